"""``teachnn.utils.data``: ``Dataset``, ``TensorDataset``, ``DataLoader``, ``random_split``.

A **Dataset** answers two questions: how many samples (``len(ds)``) and what is sample i
(``ds[i]``). A **DataLoader** walks a dataset in mini-batches: it picks the indices (in
order, or shuffled once per epoch), fetches the samples and *collates* them - stacks the
i-th fields of every sample into one Tensor with a new leading batch axis::

    ds = TensorDataset(x, y)              # x: (1000, 1, 28, 28), y: (1000,)
    loader = DataLoader(ds, batch_size=64, shuffle=True)
    for xb, yb in loader:                 # xb: (64, 1, 28, 28), yb: (64,)  (last batch: 40)
        ...

Shuffling draws from the global generator (``teachnn.manual_seed``) or ``generator=``, so a
seeded run visits the samples in the same order every time.
"""
from __future__ import annotations

import collections.abc
import math
import numbers
import sys
import types

import numpy as np

import teachnn
import teachnn.random
from teachnn.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "DataLoader",
           "default_collate", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"]


class Dataset:
    """Base class: subclass it and define ``__getitem__(i)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(self, index) "
                                  "returning sample number index")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are rows of the given tensors: ``ds[i] == (t0[i], t1[i], ...)``.

    All tensors must have the same size along dimension 0.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, e.g. TensorDataset(x, y)")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset expects teachnn Tensors, but argument {i} is a "
                                f"{type(t).__name__}; convert it with teachnn.tensor(...) or "
                                "teachnn.from_numpy(...)")
            if t._data.ndim == 0:
                raise ValueError(f"TensorDataset needs tensors with a sample axis, but argument "
                                 f"{i} is 0-dimensional")
        sizes = [t.shape[0] for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise ValueError("Size mismatch between tensors: every tensor must have the same "
                             f"number of samples (size of dimension 0), got {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (in that order)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after the other (``ds1 + ds2``)."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        for d_index, end in enumerate(self.cumulative_sizes):
            if idx < end:
                start = end - len(self.datasets[d_index])
                return self.datasets[d_index][idx - start]
        raise IndexError(f"index {idx} is out of range for a dataset of {len(self)} samples")


def default_collate(batch):
    """Stack a list of samples into a batch (PyTorch's rules).

    * Tensors            -> ``teachnn.stack(batch)``: new leading axis of size len(batch)
    * NumPy arrays       -> stacked into a Tensor
    * Python ints        -> int64 Tensor;  Python floats -> float64 Tensor
    * strings            -> left as a list
    * dicts              -> dict of collated values, key by key
    * tuples / lists     -> list of collated fields: [(x0, y0), (x1, y1)] -> [X, Y]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        shapes = {tuple(t.shape) for t in batch}
        if len(shapes) > 1:
            raise RuntimeError("stack expects each tensor to be equal size, but the samples of "
                               f"this batch have shapes {sorted(shapes)}; give all samples the "
                               "same shape or pass your own collate_fn to DataLoader")
        return teachnn.stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        return default_collate([teachnn.from_numpy(np.asarray(b)) for b in batch])
    if isinstance(elem, np.generic):
        return teachnn.as_tensor(np.array(batch))
    if isinstance(elem, bool):
        return teachnn.tensor(list(batch))
    if isinstance(elem, numbers.Integral):
        return teachnn.tensor(list(batch))
    if isinstance(elem, float):
        return teachnn.tensor(list(batch), dtype=teachnn.float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):          # namedtuple
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(elem)}")


def _rng(generator):
    if generator is None:
        generator = teachnn.random.default_generator
    return generator.np_rng


# ----------------------------------------------------------------------------- samplers
# A sampler decides the order of the sample indices for one epoch; a batch sampler groups
# them into lists of batch_size. DataLoader(shuffle=True) is RandomSampler + BatchSampler.

class Sampler:
    """Base class: ``iter(sampler)`` yields sample indices (a new order every epoch)."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, 2, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices (a fresh permutation each epoch).

    With ``replacement=True`` it draws ``num_samples`` indices independently instead, so
    some samples repeat and others are skipped.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, numbers.Integral) or self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        rng = _rng(self.generator)
        if self.replacement:
            yield from (int(i) for i in rng.integers(0, n, size=self.num_samples))
            return
        for _ in range(self.num_samples // n):          # whole permutations first
            yield from (int(i) for i in rng.permutation(n))
        yield from (int(i) for i in rng.permutation(n)[:self.num_samples % n])

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (e.g. a validation split of one dataset)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _rng(self.generator).permutation(len(self.indices)):
            yield self.indices[int(i)]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Draw ``num_samples`` indices with probability proportional to ``weights``
    (balance rare classes by giving their samples larger weights)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) \
                or num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        weights = np.asarray(weights._data if isinstance(weights, Tensor) else weights,
                             dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights.shape)}")
        if (weights < 0).any() or not weights.sum() > 0:
            raise RuntimeError("weights must be non-negative and not all zero")
        if not replacement and num_samples > int((weights > 0).sum()):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        p = self.weights / self.weights.sum()
        draws = _rng(self.generator).choice(len(p), size=self.num_samples,
                                            replace=self.replacement, p=p)
        return (int(i) for i in draws)

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last may be shorter,
    unless ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                or batch_size <= 0:
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return math.ceil(len(self.sampler) / self.batch_size)


# ----------------------------------------------------------------------------- DataLoader

class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    Args:
        dataset: anything with ``__len__`` and ``__getitem__``.
        batch_size: samples per batch (``None``: yield single samples, not collated).
        shuffle: new random order at the start of every epoch (every ``iter(loader)``).
        sampler: the order of the indices instead (a Sampler or any iterable of indices;
            excludes ``shuffle``).
        batch_sampler: yields whole lists of indices (excludes batch_size, shuffle, sampler,
            drop_last).
        num_workers, pin_memory: accepted for compatibility; loading always happens here,
            in the main process.
        collate_fn: turns a list of samples into a batch (default: :func:`default_collate`).
        drop_last: drop the final batch if it is smaller than ``batch_size``.
        generator: a ``teachnn.Generator`` for shuffling (default: the global one).

    ``len(loader)`` is the number of batches: ``ceil(N / batch_size)``, or
    ``floor(N / batch_size)`` with ``drop_last=True``.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 generator=None):
        if isinstance(batch_size, Tensor):
            raise TypeError("DataLoader takes one dataset, but a second Tensor was given where "
                            "batch_size goes. Pair the tensors first: "
                            "DataLoader(TensorDataset(x, y), batch_size=...)")
        if batch_size is not None:
            if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                    or batch_size <= 0:
                raise ValueError("batch_size should be a positive integer value, but got "
                                 f"batch_size={batch_size}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                             "shuffle, sampler, and drop_last")
        if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 "
                             "to disable multiprocessing.")
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader needs a dataset with __len__ and __getitem__, but got "
                            f"a {type(dataset).__name__}; wrap tensors with TensorDataset(x, y)")
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        elif batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = generator
        self.collate_fn = collate_fn if collate_fn is not None else default_collate

    def __iter__(self):
        if self.batch_sampler is None:                   # no batching: samples one by one
            for i in self.sampler:
                yield self.dataset[i]
            return
        for batch_indices in self.batch_sampler:
            yield self._fetch(list(batch_indices))

    def _fetch(self, batch_indices):
        """One batch: ``collate_fn([dataset[i] for i in batch_indices])``."""
        if type(self.dataset) is TensorDataset and self.collate_fn is default_collate:
            # Same result as stacking the rows one by one, in one indexing step per tensor.
            rows = np.asarray(batch_indices, dtype=np.int64)
            return [t[Tensor(rows)] for t in self.dataset.tensors]
        return self.collate_fn([self.dataset[i] for i in batch_indices])

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random ``Subset`` s of the given lengths.

    ``lengths`` are counts that add up to ``len(dataset)``, or fractions that add up to 1
    (``[0.8, 0.2]``); with fractions, left-over samples go one each to the first subsets.
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and n > 0 \
            and not all(isinstance(x, numbers.Integral) for x in lengths):
        subset_lengths = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            subset_lengths.append(int(math.floor(n * frac)))
        remainder = n - sum(subset_lengths)
        for i in range(remainder):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset! "
                         f"(lengths {lengths} add up to {sum(lengths)}, the dataset has {n})")
    permutation = [int(i) for i in _rng(generator).permutation(n)]
    subsets = []
    offset = 0
    for length in lengths:
        subsets.append(Subset(dataset, permutation[offset:offset + length]))
        offset += length
    return subsets


# Published code imports these names from PyTorch's submodules (``from
# torch.utils.data.sampler import SubsetRandomSampler``, ``torch.utils.data.dataset.Dataset``);
# teachnn keeps them in this one file and registers the submodule names as views of it.
def _submodule(name, names):
    module = types.ModuleType(f"{__name__}.{name}",
                              f"PyTorch's torch.utils.data.{name}: the same classes as {__name__}.")
    module.__all__ = [n for n in names if n in globals()]
    for n in module.__all__:
        setattr(module, n, globals()[n])
    sys.modules[module.__name__] = module
    return module


sampler = _submodule("sampler", ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler",
                                 "SubsetRandomSampler", "WeightedRandomSampler"])
dataset = _submodule("dataset", ["Dataset", "IterableDataset", "TensorDataset", "StackDataset",
                                 "ConcatDataset", "ChainDataset", "Subset", "random_split"])
dataloader = _submodule("dataloader", ["DataLoader", "get_worker_info", "default_collate",
                                       "default_convert"])
