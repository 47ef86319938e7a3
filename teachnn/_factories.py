"""Factories: the functions that make new tensors.

``tensor(data)`` copies Python data (floats -> float32, ints -> int64), ``as_tensor`` /
``from_numpy`` share a NumPy array's memory, ``zeros``/``ones``/``full``/``arange``/... fill a
new shape, ``*_like`` copy another tensor's shape and dtype, and ``rand``/``randn``/``randint``/...
draw from ``teachnn.random.default_generator``.
"""
import builtins
import functools
import inspect
import math
import numbers

import numpy as np

from . import _dtype
from ._arguments import _write_out, refuses_ndarrays
from ._errors import numpy_keywords, unexpected_keyword_message
from ._promotion import _check_dtype_supported
from .random import _np_rng
from ._shapes import _check_device, _shape_args, device, layout, strided
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye", "arange",
           "linspace", "zeros_like", "ones_like", "full_like", "empty_like",
           "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like",
           "normal", "bernoulli", "multinomial", "layout", "strided"]


def _creation_keywords(takes_sizes):
    """Decorator: PyTorch's keyword forms of a factory. ``size=(2, 3)`` in place of positional
    sizes (when ``takes_sizes``), ``out=`` (the result is written into it; its dtype is the
    default), ``layout=teachnn.strided`` and ``pin_memory=False`` (the only ones a CPU has)."""
    def decorate(fn):
        name = fn.__name__
        params = inspect.signature(fn).parameters
        valid = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                 and n != "input"] + (["size"] if takes_sizes else []) + ["out", "layout", "pin_memory"]

        @functools.wraps(fn)
        def wrapper(*args, out=None, layout=None, pin_memory=False, **kwargs):
            for key in kwargs:
                if key not in valid:
                    raise TypeError(unexpected_keyword_message(name, key, valid))
            if takes_sizes and "size" in kwargs:
                if args:
                    raise TypeError(f"{name}() got multiple values for argument 'size': give the sizes "
                                    f"either positionally ({name}(2, 3)) or as size=(2, 3), not both")
                size = kwargs.pop("size")
                if not isinstance(size, (tuple, list)):
                    raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not "
                                    f"{type(size).__name__}; write size=({size},)")
                args = (tuple(size),)
            if layout is not None and layout is not strided:
                raise RuntimeError(f"{name}(): teachnn only has dense tensors (layout=teachnn.strided), "
                                   f"got layout={layout!r}")
            if pin_memory:
                raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; no pinned "
                                   "memory allocator is available on this system. Leave pin_memory out.")
            if out is None:
                return fn(*args, **kwargs)
            if not isinstance(out, Tensor):
                raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
            if kwargs.get("dtype") is None and not name.endswith("_like"):
                kwargs["dtype"] = out.dtype
            return _write_out(out, fn(*args, **kwargs), name)

        return wrapper

    return decorate


# ----------------------------------------------------------------------------------------
# factories
# ----------------------------------------------------------------------------------------
def _np_dtype_or_default(dtype, default=None):
    if dtype is None:
        return (default or _dtype.get_default_dtype()).np
    return _dtype.to_numpy(dtype)


def _finish(array, requires_grad, device=None):
    if device is not None:
        _check_device(device)
    return Tensor(array, requires_grad=requires_grad)


def _infer_numpy(data):
    """Python data -> ndarray with torch's defaults (floats float32, ints int64, bools bool)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)) and data and builtins.any(isinstance(x, Tensor) for x in _flatten_items(data)):
        data = _nested_tensors_to_lists(data)
    try:
        a = np.asarray(data)
    except ValueError:
        raise ValueError("can't build a tensor from rows of different lengths (for example [[1, 2], [3]]): "
                         "every row must have the same number of elements") from None
    if a.dtype == object:
        raise TypeError(f"can't build a tensor from this data (it contains {type(_first_odd(data)).__name__} "
                        "objects or rows of different lengths); use numbers in nested lists of equal length")
    if a.dtype.kind == "f" and not isinstance(data, np.ndarray) and not isinstance(data, np.generic):
        a = a.astype(_dtype.get_default_dtype().np)
    elif a.dtype.kind in "iu" and not isinstance(data, (np.ndarray, np.generic)):
        a = a.astype(np.int64)
    elif a.dtype.kind in "US":
        raise TypeError("new(): invalid data type 'str': tensors hold numbers, not text")
    return a


def _flatten_items(data):
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        else:
            yield x


def _first_odd(data):
    for x in _flatten_items(data):
        if not isinstance(x, (numbers.Number, np.generic)):
            return x
    return data


def _nested_tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data._data.tolist() if data._data.ndim else data.item()
    if isinstance(data, (list, tuple)):
        return [_nested_tensors_to_lists(x) for x in data]
    return data


@_creation_keywords(takes_sizes=False)
@numpy_keywords
def tensor(data, dtype=None, device=None, requires_grad=False):
    """Create a tensor from Python data (copies). Floats -> float32, ints -> int64, bools -> bool."""
    if isinstance(data, np.ndarray):
        _dtype.check_native_byte_order(data.dtype)          # before any cast hides it, as torch
    a = _infer_numpy(data)
    if dtype is not None:
        a = a.astype(_dtype.to_numpy(dtype))
    elif a.dtype not in _dtype._BY_NUMPY:
        _dtype.from_numpy_dtype(a.dtype)
    return _finish(np.array(a, copy=True), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array (or Tensor) when the dtype allows."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray):
        _dtype.check_native_byte_order(data.dtype)
        if dtype is None:
            _check_dtype_supported(data)
        return _finish(data if dtype is None else data.astype(_dtype.to_numpy(dtype), copy=False), False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray`` (same dtype: float64 stays float64)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _check_dtype_supported(ndarray)
    return Tensor(ndarray)


def _size_args(size, name):
    return _shape_args(size, name)


@_creation_keywords(takes_sizes=True)
@numpy_keywords
def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _finish(np.zeros(_size_args(size, "zeros"), dtype=_np_dtype_or_default(dtype)), requires_grad, device)


@_creation_keywords(takes_sizes=True)
@numpy_keywords
def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(np.ones(_size_args(size, "ones"), dtype=_np_dtype_or_default(dtype)), requires_grad, device)


@_creation_keywords(takes_sizes=True)
@numpy_keywords
def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None):
    # teachnn fills "uninitialised" memory with zeros: reproducible and safe to print
    return _finish(np.zeros(_size_args(size, "empty"), dtype=_np_dtype_or_default(dtype)), requires_grad, device)


@_creation_keywords(takes_sizes=False)
@numpy_keywords
def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = _dtype.bool
        elif isinstance(fill_value, numbers.Integral):
            dtype = _dtype.int64
    shape = _size_args((size,) if isinstance(size, (builtins.int, np.integer)) else tuple(size), "full")
    return _finish(np.full(shape, fill_value, dtype=_np_dtype_or_default(dtype)), requires_grad, device)


@_creation_keywords(takes_sizes=False)
@numpy_keywords
def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _finish(np.eye(n, n if m is None else m, dtype=_np_dtype_or_default(dtype)), requires_grad, device)


@_creation_keywords(takes_sizes=False)
@numpy_keywords
def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values start, start+step, ... below end. All-int arguments give int64, else float32."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_int = builtins.all(isinstance(v, (builtins.int, np.integer)) for v in values)
        dtype = _dtype.int64 if is_int else _dtype.get_default_dtype()
    start, end, step = values
    n = builtins.max(0, math.ceil((end - start) / step))
    a = (start + step * np.arange(n, dtype=np.float64)) if _dtype.to_dtype(dtype).is_floating_point \
        else np.arange(start, end, step)
    return _finish(a.astype(_dtype.to_numpy(dtype)), requires_grad, device)


@_creation_keywords(takes_sizes=False)
@numpy_keywords
def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    if not isinstance(steps, (builtins.int, np.integer)) or steps < 0:
        raise RuntimeError(f"number of steps must be non-negative (got {steps})")
    a = np.linspace(start, end, steps).astype(_np_dtype_or_default(dtype))
    return _finish(a, requires_grad, device)


def _like_dtype(t, dtype):
    return t._data.dtype if dtype is None else _dtype.to_numpy(dtype)


@_creation_keywords(takes_sizes=False)
@refuses_ndarrays
@numpy_keywords
def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.zeros(input._data.shape, dtype=_like_dtype(input, dtype)), requires_grad, device)


@_creation_keywords(takes_sizes=False)
@refuses_ndarrays
@numpy_keywords
def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.ones(input._data.shape, dtype=_like_dtype(input, dtype)), requires_grad, device)


@_creation_keywords(takes_sizes=False)
@refuses_ndarrays
@numpy_keywords
def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


@_creation_keywords(takes_sizes=False)
@refuses_ndarrays
@numpy_keywords
def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.full(input._data.shape, fill_value, dtype=_like_dtype(input, dtype)), requires_grad, device)


# ----------------------------------------------------------------------------------------
# random tensors: every draw goes through teachnn.random (manual_seed makes them reproducible)
# ----------------------------------------------------------------------------------------

def _size(size, name):
    return _shape_args(size, name)


def _float_dtype(dtype, name):
    d = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    if not d.is_floating_point:
        raise TypeError(f"{name}() only supports floating point dtypes, got {d}")
    return d.np


def _make(array, requires_grad, device):
    if device is not None:
        _check_device(device)
    return Tensor(array, requires_grad=requires_grad)


@_creation_keywords(takes_sizes=True)
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform random numbers in [0, 1) of the given shape (float32 by default)."""
    shape = _size(size, "rand")
    npd = _float_dtype(dtype, "rand")
    values = _np_rng(generator).random(shape, dtype=np.float64).astype(npd)
    return _make(values, requires_grad, device)


@_creation_keywords(takes_sizes=True)
def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal random numbers (mean 0, std 1) of the given shape."""
    shape = _size(size, "randn")
    npd = _float_dtype(dtype, "randn")
    values = _np_rng(generator).standard_normal(shape, dtype=np.float64).astype(npd)
    return _make(values, requires_grad, device)


@_creation_keywords(takes_sizes=False)
def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Random integers in [low, high) (int64 by default): ``randint(10, (3,))``, ``randint(2, 5, (3,))``."""
    if size is None:
        if isinstance(high, (tuple, list)):     # randint(high, size)
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing the 'size' argument: use randint(high, (n,)) or "
                            "randint(low, high, (n,))")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    shape = _size(tuple(size) if isinstance(size, (tuple, list)) else (size,), "randint")
    npd = np.int64 if dtype is None else _dtype.to_numpy(dtype)
    values = _np_rng(generator).integers(low, high, size=shape).astype(npd)
    return _make(values, requires_grad, device)


@_creation_keywords(takes_sizes=False)
def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (int64)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got {n}")
    npd = np.int64 if dtype is None else _dtype.to_numpy(dtype)
    return _make(_np_rng(generator).permutation(n).astype(npd), requires_grad, device)


@_creation_keywords(takes_sizes=False)
def rand_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return rand(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


@_creation_keywords(takes_sizes=False)
def randn_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randn(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


@_creation_keywords(takes_sizes=False)
def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


@_creation_keywords(takes_sizes=False)
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal random numbers: ``normal(mean, std, size)`` (means/stds may be tensors)."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if size is None:
        size = np.broadcast_shapes(np.shape(m), np.shape(s))
    if isinstance(mean, Tensor):
        npd = mean._data.dtype
    elif isinstance(std, Tensor):
        npd = std._data.dtype
    else:
        npd = _float_dtype(dtype, "normal")
    values = _np_rng(generator).normal(m, s, size=tuple(size)).astype(npd)
    return _make(values, requires_grad, device)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (elementwise), else 0; same dtype as input."""
    probs = input._data if p is None else np.full(input._data.shape, p)
    values = (_np_rng(generator).random(input._data.shape) < probs).astype(input._data.dtype)
    return _make(values, False, None)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw indices with probabilities proportional to the rows of ``input`` (1-d or 2-d)."""
    probs = np.asarray(input._data, dtype=np.float64)
    rows = probs[None] if probs.ndim == 1 else probs
    rng = _np_rng(generator)
    out = []
    for row in rows:
        if np.any(row < 0) or row.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0 or negative entries)")
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        out.append(rng.choice(len(row), size=num_samples, replace=replacement, p=row / row.sum()))
    result = np.array(out, dtype=np.int64)
    return _make(result[0] if probs.ndim == 1 else result, False, None)
