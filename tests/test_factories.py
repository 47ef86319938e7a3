"""Factories (zeros, arange, cat, ...) and random numbers (manual_seed, rand, randn, ...)."""
import numpy as np
import pytest

import teachnn
from tests.parity import requires_torch, torch


def test_constant_factories():
    assert teachnn.zeros(2, 3).tolist() == [[0.0] * 3] * 2
    assert teachnn.zeros((2, 3)).shape == (2, 3) and teachnn.zeros([2, 3]).shape == (2, 3)
    assert teachnn.zeros(teachnn.Size([4])).shape == (4,)
    assert teachnn.ones(3, dtype=teachnn.int64).tolist() == [1, 1, 1]
    assert teachnn.ones(2).dtype == teachnn.float32
    assert teachnn.empty(2, 2).shape == (2, 2)
    assert teachnn.full((2,), 7.0).tolist() == [7.0, 7.0] and teachnn.full((2,), 7.0).dtype == teachnn.float32
    assert teachnn.full((2,), 7).dtype == teachnn.int64
    assert teachnn.full((1,), True).dtype == teachnn.bool
    np.testing.assert_array_equal(teachnn.eye(3)._data, np.eye(3))
    np.testing.assert_array_equal(teachnn.eye(2, 3)._data, np.eye(2, 3))
    w = teachnn.zeros(2, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    assert teachnn.zeros(()).shape == () and teachnn.zeros(0).numel() == 0


def test_like_factories():
    x = teachnn.ones(2, 3, dtype=teachnn.float64)
    for f in (teachnn.zeros_like, teachnn.ones_like, teachnn.empty_like, teachnn.rand_like,
              teachnn.randn_like):
        y = f(x)
        assert y.shape == x.shape and y.dtype == teachnn.float64
    assert teachnn.zeros_like(x).tolist() == [[0.0] * 3] * 2
    assert teachnn.ones_like(x, dtype=teachnn.int64).dtype == teachnn.int64
    assert teachnn.full_like(x, 3.0).tolist() == [[3.0] * 3] * 2
    r = teachnn.randint_like(teachnn.zeros(5, dtype=teachnn.int64), 3, 6)
    assert r.dtype == teachnn.int64 and np.all((r._data >= 3) & (r._data < 6))


def test_arange_and_linspace():
    assert teachnn.arange(5).tolist() == [0, 1, 2, 3, 4] and teachnn.arange(5).dtype == teachnn.int64
    assert teachnn.arange(1, 4).tolist() == [1, 2, 3]
    assert teachnn.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert teachnn.arange(0, 1, 0.25).dtype == teachnn.float32
    assert teachnn.arange(5.0).dtype == teachnn.float32
    assert teachnn.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    assert teachnn.arange(3, dtype=teachnn.float64).dtype == teachnn.float64
    np.testing.assert_allclose(teachnn.linspace(0, 1, 5)._data, [0, 0.25, 0.5, 0.75, 1.0])
    assert teachnn.linspace(0, 1, 5).dtype == teachnn.float32
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        teachnn.arange(0, 1, 0)


@requires_torch
def test_factories_match_torch():
    cases = [
        lambda lib: lib.arange(0, 1, 0.1),
        lambda lib: lib.arange(-3, 7, 2),
        lambda lib: lib.arange(1.5, 4),
        lambda lib: lib.linspace(-1, 1, 7),
        lambda lib: lib.eye(3, 4),
        lambda lib: lib.full((2, 2), 3),
        lambda lib: lib.zeros(2, 3, dtype=lib.int32),
        lambda lib: lib.cat([lib.ones(2, 3), lib.zeros(1, 3)]),
        lambda lib: lib.stack([lib.ones(2), lib.zeros(2)], dim=1),
        lambda lib: lib.cat([lib.zeros(0), lib.ones(2, 2)]),
    ]
    for case in cases:
        ours, theirs = case(teachnn), case(torch)
        assert str(ours.dtype).replace("teachnn.", "") == str(theirs.dtype).replace("torch.", "")
        # torch's float32 linspace differs by one rounding step around 0
        np.testing.assert_allclose(ours._data, theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_cat_and_stack():
    a = teachnn.tensor([[1, 2]])
    b = teachnn.tensor([[3, 4], [5, 6]])
    assert teachnn.cat([a, b]).tolist() == [[1, 2], [3, 4], [5, 6]]
    assert teachnn.cat((a, a), dim=1).tolist() == [[1, 2, 1, 2]]
    assert teachnn.cat([a, a], dim=-1).shape == (1, 4)
    assert teachnn.stack([a[0], b[0]]).tolist() == [[1, 2], [3, 4]]
    assert teachnn.stack([a[0], b[0]], dim=1).tolist() == [[1, 3], [2, 4]]
    assert teachnn.stack([a[0], b[0]], dim=-1).shape == (2, 2)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        teachnn.cat([teachnn.zeros(2, 3), teachnn.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        teachnn.stack([teachnn.zeros(2), teachnn.zeros(3)])
    with pytest.raises(TypeError, match="must be a tuple or list of Tensors"):
        teachnn.cat(teachnn.zeros(2))
    with pytest.raises(RuntimeError, match="non-empty list"):
        teachnn.stack([])


def test_split_chunk_unbind():
    t = teachnn.arange(10)
    assert [p.tolist() for p in t.split(4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [p.tolist() for p in t.split([3, 7])] == [list(range(3)), list(range(3, 10))]
    assert [p.numel() for p in t.chunk(3)] == [4, 4, 2]
    m = teachnn.arange(6).reshape(2, 3)
    assert [r.tolist() for r in m.unbind(1)] == [[0, 3], [1, 4], [2, 5]]


def test_factory_errors():
    with pytest.raises(TypeError, match="sizes must be ints"):
        teachnn.zeros(2.5)
    with pytest.raises(AssertionError, match="CPU only"):     # a CPU-only PyTorch's type
        teachnn.zeros(2, device="cuda")
    with pytest.raises(TypeError, match="rand\\(\\) only supports floating point dtypes"):
        teachnn.rand(2, dtype=teachnn.int64)


# ----------------------------------------------------------------------------------------
# random numbers
# ----------------------------------------------------------------------------------------
def test_manual_seed_reproducible():
    teachnn.manual_seed(123)
    first = [teachnn.rand(3), teachnn.randn(2, 2), teachnn.randint(0, 10, (4,)), teachnn.randperm(5),
             teachnn.empty(3).uniform_(-1, 1), teachnn.empty(3).normal_(0, 2)]
    teachnn.manual_seed(123)
    second = [teachnn.rand(3), teachnn.randn(2, 2), teachnn.randint(0, 10, (4,)), teachnn.randperm(5),
              teachnn.empty(3).uniform_(-1, 1), teachnn.empty(3).normal_(0, 2)]
    for a, b in zip(first, second):
        assert teachnn.equal(a, b)
    teachnn.manual_seed(124)
    assert not teachnn.equal(teachnn.rand(3), first[0])


def test_manual_seed_returns_the_global_generator():
    g = teachnn.manual_seed(7)
    assert g is teachnn.random.default_generator and isinstance(g, teachnn.Generator)
    assert isinstance(g.np_rng, np.random.Generator)
    assert teachnn.initial_seed() == 7
    # drawing directly from np_rng is part of the same reproducible stream
    x = g.np_rng.random()
    teachnn.manual_seed(7)
    assert teachnn.random.default_generator.np_rng.random() == x


def test_explicit_generator_is_independent():
    g = teachnn.Generator().manual_seed(5)
    a = teachnn.rand(4, generator=g)
    teachnn.manual_seed(0)
    teachnn.rand(10)                        # draws from the global generator only
    g2 = teachnn.Generator().manual_seed(5)
    assert teachnn.equal(teachnn.rand(4, generator=g2), a)


def test_random_distributions():
    teachnn.manual_seed(0)
    u = teachnn.rand(20000)
    assert u.dtype == teachnn.float32 and u.min().item() >= 0 and u.max().item() < 1
    assert abs(u.mean().item() - 0.5) < 0.01
    n = teachnn.randn(20000, dtype=teachnn.float64)
    assert n.dtype == teachnn.float64
    assert abs(n.mean().item()) < 0.03 and abs(n.std().item() - 1) < 0.03
    r = teachnn.randint(3, 7, (1000,))
    assert r.dtype == teachnn.int64 and set(r.tolist()) == {3, 4, 5, 6}
    r2 = teachnn.randint(4, (10,))
    assert r2.min().item() >= 0 and r2.max().item() < 4
    p = teachnn.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == teachnn.int64
    with pytest.raises(RuntimeError, match="expects 'from' to be less than 'to'"):
        teachnn.randint(5, 5, (2,))


def test_rand_requires_grad_and_shapes():
    x = teachnn.randn(2, 3, requires_grad=True)
    assert x.requires_grad and x.shape == (2, 3)
    assert teachnn.rand((4, 1)).shape == (4, 1)
