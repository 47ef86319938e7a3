"""teachnn.utils.data: Dataset, TensorDataset, DataLoader, default_collate, random_split.

Oracles: hand-written expected batches, set arithmetic over indices, and PyTorch's DataLoader
for the un-shuffled batches (same values, same dtypes, same number of batches).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import teachnn
from teachnn.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset,
                                RandomSampler, SequentialSampler, Subset, SubsetRandomSampler,
                                TensorDataset, WeightedRandomSampler, default_collate,
                                random_split)
from tests.parity import requires_torch, torch


def make_xy(n=10):
    x = teachnn.from_numpy(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = teachnn.from_numpy(np.arange(n, dtype=np.int64) % 3)
    return x, y


class Squares(Dataset):
    """A custom map-style dataset: sample i is (i, i*i as float)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i, float(i * i)


def test_tensor_dataset_indexing():
    x, y = make_xy()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi._data, [12, 13, 14])
    assert int(yi.item()) == 1
    with pytest.raises(ValueError, match="Size mismatch between tensors.*\\[10, 9\\]"):
        TensorDataset(x, y[:9])
    with pytest.raises(TypeError, match="teachnn.tensor"):
        TensorDataset(np.zeros((3, 2)))


@pytest.mark.parametrize("batch_size,drop_last,expected_sizes",
                         [(4, False, [4, 4, 2]), (4, True, [4, 4]), (5, False, [5, 5]),
                          (1, False, [1] * 10), (32, False, [10]), (32, True, [])])
def test_batches_in_order(batch_size, drop_last, expected_sizes):
    x, y = make_xy()
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(expected_sizes) == len(batches)
    start = 0
    for (xb, yb), size in zip(batches, expected_sizes):
        assert tuple(xb.shape) == (size, 3) and tuple(yb.shape) == (size,)
        np.testing.assert_array_equal(xb._data, x._data[start:start + size])
        np.testing.assert_array_equal(yb._data, y._data[start:start + size])
        assert xb._data.dtype == np.float32 and yb._data.dtype == np.int64
        start += size


def test_shuffle_is_a_fresh_permutation_each_epoch_and_reproducible():
    x, y = make_xy(20)
    loader = DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True)

    def epoch_order():
        return [int(v) for xb, _ in loader for v in xb._data[:, 0] // 3]

    teachnn.manual_seed(0)
    first, second = epoch_order(), epoch_order()
    assert sorted(first) == list(range(20)) and sorted(second) == list(range(20))
    assert first != second and first != list(range(20))
    teachnn.manual_seed(0)
    assert epoch_order() == first                       # same seed, same order
    g = teachnn.Generator().manual_seed(5)
    loader_g = DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, generator=g)
    order_g = [int(v) for xb, _ in loader_g for v in xb._data[:, 0] // 3]
    g.manual_seed(5)
    teachnn.manual_seed(1234)                           # the global seed plays no part
    assert [int(v) for xb, _ in loader_g for v in xb._data[:, 0] // 3] == order_g
    # rows stay together: x and y are shuffled with the same permutation
    for xb, yb in loader:
        np.testing.assert_array_equal((xb._data[:, 0] // 3).astype(np.int64) % 3, yb._data)


def test_default_collate_rules():
    batch = default_collate([(1, 2.5, "a", np.array([1.0, 2.0])), (3, 4.5, "b", np.array([3.0, 4.0]))])
    ints, floats, strings, arrays = batch
    assert ints._data.dtype == np.int64 and ints._data.tolist() == [1, 3]
    assert floats._data.dtype == np.float64 and floats._data.tolist() == [2.5, 4.5]
    assert strings == ["a", "b"]
    np.testing.assert_array_equal(arrays._data, [[1.0, 2.0], [3.0, 4.0]])
    d = default_collate([{"x": 1, "y": teachnn.from_numpy(np.ones(2))},
                         {"x": 2, "y": teachnn.from_numpy(np.zeros(2))}])
    assert d["x"]._data.tolist() == [1, 2] and d["y"]._data.tolist() == [[1, 1], [0, 0]]
    Point = namedtuple("Point", ["a", "b"])
    p = default_collate([Point(1, 2), Point(3, 4)])
    assert isinstance(p, Point) and p.a._data.tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([teachnn.from_numpy(np.zeros(2)), teachnn.from_numpy(np.zeros(3))])


def test_custom_dataset_and_collate_fn():
    loader = DataLoader(Squares(5), batch_size=2)
    batches = list(loader)
    assert [b[0]._data.tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert [b[1]._data.tolist() for b in batches] == [[0.0, 1.0], [4.0, 9.0], [16.0]]
    loader = DataLoader(Squares(5), batch_size=2, collate_fn=lambda samples: samples)
    assert list(loader)[1] == [(2, 4.0), (3, 9.0)]
    assert list(DataLoader(Squares(3), batch_size=None)) == [(0, 0.0), (1, 1.0), (2, 4.0)]
    assert list(DataLoader(Squares(4), sampler=[3, 1], batch_size=2))[0][0]._data.tolist() == [3, 1]


def test_bad_arguments():
    x, y = make_xy()
    with pytest.raises(ValueError, match="positive integer"):
        DataLoader(TensorDataset(x, y), batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(TensorDataset(x, y), sampler=[0], shuffle=True)
    with pytest.raises(TypeError, match="TensorDataset\\(x, y\\)"):
        DataLoader(5)
    with pytest.raises(TypeError, match="DataLoader\\(TensorDataset\\(x, y\\), batch_size=...\\)"):
        DataLoader(x, y)
    batches = list(DataLoader(x, batch_size=4))          # a lone Tensor is a dataset of rows
    np.testing.assert_array_equal(batches[0]._data, x._data[:4])
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]


def test_random_split_subset_and_concat():
    ds = Squares(10)
    teachnn.manual_seed(0)
    a, b = random_split(ds, [7, 3])
    assert len(a) == 7 and len(b) == 3
    assert sorted(a.indices + b.indices) == list(range(10))
    assert a[0] == ds[a.indices[0]]
    teachnn.manual_seed(0)
    assert random_split(ds, [7, 3])[0].indices == a.indices
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=teachnn.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(Squares(11), [0.5, 0.5])
    assert [len(p) for p in parts] == [6, 5]                 # the extra sample goes first
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [5, 6])
    assert Subset(ds, [4, 2])[1] == (2, 4.0)
    both = ConcatDataset([Squares(2), Squares(3)])
    assert len(both) == 5 and both[2] == (0, 0.0) and both[-1] == (2, 4.0)
    assert len(Squares(2) + Squares(2)) == 4


@requires_torch
def test_unshuffled_batches_match_torch():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((11, 2, 3)).astype(np.float32)
    ys = rng.integers(0, 5, 11)
    ours = DataLoader(TensorDataset(teachnn.from_numpy(xs), teachnn.from_numpy(ys)), batch_size=4)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(xs), torch.from_numpy(ys)), batch_size=4)
    assert len(ours) == len(theirs)
    for (xa, ya), (xb, yb) in zip(ours, theirs):
        np.testing.assert_array_equal(xa._data, xb.numpy())
        np.testing.assert_array_equal(ya._data, yb.numpy())
        assert xa._data.dtype == xb.numpy().dtype and ya._data.dtype == yb.numpy().dtype
    ours = list(DataLoader(Squares(5), batch_size=2))
    theirs = list(torch.utils.data.DataLoader(Squares(5), batch_size=2))
    for a, b in zip(ours, theirs):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u._data, v.numpy())
            assert u._data.dtype == v.numpy().dtype


# ----------------------------------------------------------------------------- drawn sizes

from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), drop_last=st.booleans(),
       shuffle=st.booleans(), seed=st.integers(0, 2 ** 31 - 1))
def test_every_sample_is_visited_once_per_epoch(n, batch_size, drop_last, shuffle, seed):
    x = teachnn.from_numpy(np.arange(n, dtype=np.int64))
    if n == 0 and shuffle:
        with pytest.raises(ValueError, match="num_samples=0"):      # as in PyTorch
            DataLoader(TensorDataset(x), shuffle=True)
        return
    loader = DataLoader(TensorDataset(x), batch_size=batch_size, shuffle=shuffle,
                        drop_last=drop_last, generator=teachnn.Generator().manual_seed(seed))
    batches = [xb._data.tolist() for (xb,) in loader]
    full, rest = divmod(n, batch_size)
    expected_sizes = [batch_size] * full + ([] if drop_last or rest == 0 else [rest])
    assert [len(b) for b in batches] == expected_sizes
    assert len(loader) == len(expected_sizes)
    seen = [i for b in batches for i in b]
    assert len(set(seen)) == len(seen)                  # no sample twice
    if not drop_last:
        assert sorted(seen) == list(range(n))           # every sample once
    if not shuffle:
        assert seen == list(range(len(seen)))           # in order


# ----------------------------------------------------------------------------- samplers

def test_samplers():
    ds = Squares(7)
    assert list(SequentialSampler(ds)) == list(range(7))
    g = teachnn.Generator().manual_seed(3)
    order = list(RandomSampler(ds, generator=g))
    assert sorted(order) == list(range(7))
    longer = list(RandomSampler(ds, num_samples=16, generator=g))
    assert len(longer) == 16
    assert sorted(longer[:7]) == sorted(longer[7:14]) == list(range(7))   # whole permutations
    assert len(set(longer[14:])) == 2
    drawn = list(RandomSampler(ds, replacement=True, num_samples=50, generator=g))
    assert len(drawn) == 50 and set(drawn) <= set(range(7))
    assert sorted(SubsetRandomSampler([5, 1, 3], generator=g)) == [1, 3, 5]
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, drop_last=False)) == 3


def test_weighted_random_sampler_follows_the_weights():
    g = teachnn.Generator().manual_seed(0)
    draws = list(WeightedRandomSampler([1.0, 0.0, 3.0], 20000, generator=g))
    counts = np.bincount(draws, minlength=3)
    assert counts[1] == 0
    # binomial(20000, 0.25): standard deviation ~61; allow 5 of them
    assert abs(counts[0] - 5000) < 5 * 61
    once = list(WeightedRandomSampler([1.0, 1.0, 2.0], 3, replacement=False, generator=g))
    assert sorted(once) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)


def test_dataloader_with_samplers():
    x, y = make_xy(10)
    ds = TensorDataset(x, y)
    loader = DataLoader(ds, batch_size=3, sampler=SubsetRandomSampler([1, 4, 7, 8],
                        generator=teachnn.Generator().manual_seed(1)))
    rows = sorted(int(v) for xb, _ in loader for v in xb._data[:, 0] // 3)
    assert rows == [1, 4, 7, 8] and len(loader) == 2
    loader = DataLoader(ds, batch_sampler=[[9, 0], [5]])
    assert [yb._data.tolist() for _, yb in loader] == [[0, 0], [2]]
    assert len(loader) == 2
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=4)
