"""Shapes, dims, devices and result pairs: the small vocabulary every tensor operation uses.

* ``Size``: ``x.shape``, a tuple that prints as ``teachnn.Size([2, 3])``;
* ``_norm_dim`` / ``_norm_dims``: a possibly negative ``dim`` -> an axis, with torch's errors;
* ``_shape_args``: ``f(2, 3)``, ``f((2, 3))`` and ``f(x.shape)`` all mean the shape (2, 3);
* ``device``: always the CPU in teachnn;
* ``return_types``: the (values, indices) pairs of ``max(dim)``, ``sort``, ``topk``.
"""
import builtins
from collections import namedtuple

import numpy as np

import teachnn

__all__ = ["Size", "device", "layout", "strided"]


class Size(tuple):
    """The shape of a tensor: a tuple of ints (``teachnn.Size([2, 3])``)."""

    def __repr__(self):
        return f"teachnn.Size({list(self)})"

    def numel(self):
        return int(np.prod(self, dtype=np.int64))

    def __getitem__(self, item):
        result = super().__getitem__(item)
        return Size(result) if isinstance(item, slice) else result

    # like torch.Size: arithmetic with tuples gives a Size, a list is refused (as tuple + list is)
    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        result = tuple.__mul__(self, n)
        return NotImplemented if result is NotImplemented else Size(result)

    __rmul__ = __mul__


def _legacy_shape(first, second, rest, name):
    """Shape and requires_grad from legacy ``Tensor(2, 3)`` / ``Tensor(Size([2, 3]))`` calls."""
    requires_grad = False
    if isinstance(first, Size):
        sizes = list(first)
        if second is not False:
            requires_grad = second
    else:
        sizes = [first]
        if second.__class__ is builtins.int:              # Tensor(2, 3): the second size
            sizes.append(second)
        elif second is not False:
            requires_grad = second
    sizes += list(rest)
    for n in sizes:
        if n.__class__ is not builtins.int:
            raise TypeError(f"{name}(*sizes) expects integer sizes, got {sizes!r}; to make a tensor from "
                            "values pass one list: teachnn.tensor([1.0, 2.0])")
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {sizes}")
    if requires_grad.__class__ is not builtins.bool:
        raise TypeError(f"{name}: requires_grad must be True or False, got {requires_grad!r}")
    return tuple(sizes), requires_grad


def _norm_dim(dim, ndim):
    """A possibly negative axis -> 0..ndim-1, or IndexError like torch's."""
    if not isinstance(dim, (builtins.int, np.integer)) or isinstance(dim, builtins.bool):
        raise TypeError(f"dim must be an int, but got {type(dim).__name__} ({dim!r})")
    low, high = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not low <= dim <= high:
        raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], but "
                         f"got {dim}): this tensor has {ndim} dimension{'s' if ndim != 1 else ''}")
    return builtins.int(dim) % ndim if ndim > 0 else 0


def _norm_dims(dim, ndim):
    """An int or a tuple of ints -> a sorted tuple of non-negative axes (none for a 0-d tensor)."""
    if ndim == 0:
        for d in (dim if isinstance(dim, (tuple, list)) else (dim,)):
            _norm_dim(d, 0)          # only 0 and -1 are valid, as in torch
        return ()
    if isinstance(dim, (tuple, list)):
        dims = tuple(_norm_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"dim {list(dim)} appears multiple times in the list of dims")
        return tuple(sorted(dims))
    return (_norm_dim(dim, ndim),)


def _shape_args(args, name):
    """Accept both ``f(2, 3)`` and ``f((2, 3))`` / ``f([2, 3])`` / ``f(teachnn.Size)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for a in args:
        if not isinstance(a, (builtins.int, np.integer)) or isinstance(a, builtins.bool):
            if isinstance(a, teachnn.Tensor) and a._data.size == 1 and a._data.dtype.kind in "iu":
                a = a.item()             # a one-element integer tensor counts as its value
            else:
                raise TypeError(f"{name}(): sizes must be ints, but got {type(a).__name__} ({a!r}) in {list(args)}")
        out.append(builtins.int(a))
    return tuple(out)


def _infer_shape(shape, numel, old_shape, name):
    """Replace a single -1 in ``shape`` by whatever makes the element count match."""
    if shape.count(-1) > 1:
        raise RuntimeError(f"only one dimension can be inferred (got {list(shape)}: use -1 at most once)")
    known = 1
    for n in shape:
        if n != -1:
            if n < 0:
                raise RuntimeError(f"invalid shape dimension {n} in {list(shape)}")
            known *= n
    if -1 in shape:
        if known == 0 or numel % known != 0:
            raise RuntimeError(
                f"shape '{list(shape)}' is invalid for input of size {numel}: the other sizes multiply "
                f"to {known}, which does not divide {numel}")
        shape = tuple(numel // known if n == -1 else n for n in shape)
    elif known != numel:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {numel}: {name} keeps the number of "
            f"elements ({list(old_shape)} has {numel}, the new shape has {known}). Use -1 for one size "
            "to have it computed for you.")
    return shape


class _Device:
    """``tensor.device``: always the CPU in teachnn."""

    def __init__(self, type=None, index=None):      # noqa: A002  (torch's keyword name)
        if isinstance(type, _Device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device() expects a device name such as 'cpu', got {type!r}")
        if ":" in type:                                # 'cuda:0' -> ('cuda', 0)
            type, _, number = type.partition(":")
            index = builtins.int(number)
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        # torch compares a device with a string as False; teachnn allows x.device == 'cpu'
        return str(other) == str(self)

    def __hash__(self):
        return hash(self.type)


device = _Device


class layout:
    """How a tensor's elements are stored. teachnn has one layout: ``teachnn.strided`` (dense)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"teachnn.{self.name}"


strided = layout("strided")


NO_CUDA_MESSAGE = ("Torch not compiled with CUDA enabled: teachnn runs on the CPU only. Remove .cuda() "
                   "and device='cuda', or write device = 'cuda' if torch.cuda.is_available() else 'cpu' "
                   "and use .to(device)")


def _check_device(device):
    """Only the CPU exists. Like a CPU-only PyTorch, asking for CUDA fails an assertion."""
    name = str(device)
    if name == "cpu" or name.startswith("cpu:"):
        return
    if name.startswith("cuda"):
        raise AssertionError(NO_CUDA_MESSAGE)
    raise RuntimeError(f"teachnn runs on the CPU only, but device='{name}' was requested; "
                       "use device='cpu' (or leave it out)")


def _return_type(name):
    """The result of max(dim) / min(dim) / sort / topk: a named pair (values, indices) that
    prints like torch.return_types.max."""
    base = namedtuple(name, ["values", "indices"])

    def __repr__(self):
        return f"teachnn.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


_MaxResult = _return_type("max")
_MinResult = _return_type("min")
_SortResult = _return_type("sort")
_TopkResult = _return_type("topk")
