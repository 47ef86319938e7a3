"""Decorators that let torch-level functions take their arguments the way PyTorch does.

* ``@accepts_ndarrays``: a NumPy array (for example ``t.numpy()``) passed where a Tensor is
  expected, as in ``teachnn.max(t.numpy(), 1)``, is wrapped as a Tensor (sharing memory,
  keeping the dtype) before the function runs.
* ``@accepts_out``: ``torch.matmul(a, b, out=c)`` computes the result and writes it into ``c``
  (which keeps its dtype; its shape is changed if it differs). Like torch, ``out=`` does no
  autograd: it is an error when grad mode is on and an argument (or out) requires grad.

NumPy keyword names (``axis=``, ``keepdims=``) are handled by ``teachnn._errors.numpy_keywords``,
which the Tensor methods use too. Each decorator is visible on the function it changes.
"""
import functools
import warnings

import numpy as np

from ._promotion import _check_dtype_supported, _check_inplace_cast
from .autograd import grad_mode
from .tensor import Tensor

__all__ = ["accepts_ndarrays", "accepts_out"]


def _as_tensor(array):
    """An ndarray as a Tensor sharing its memory (what ``teachnn.as_tensor(array)`` does)."""
    _check_dtype_supported(array)
    return Tensor(array)


def accepts_ndarrays(fn):
    """Decorator: wrap every ndarray argument (positional or keyword, except ``out``) as a Tensor."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = tuple(_as_tensor(a) if a.__class__ is np.ndarray else a for a in args)
        for key, value in kwargs.items():
            if value.__class__ is np.ndarray and key != "out":
                kwargs[key] = _as_tensor(value)
        return fn(*args, **kwargs)

    return wrapper


def _any_requires_grad(values):
    for v in values:
        if isinstance(v, Tensor):
            if v._requires_grad:
                return True
        elif isinstance(v, (list, tuple)) and _any_requires_grad(v):
            return True
    return False


def _write_out(out, result, name):
    """Copy ``result`` into ``out`` in place (resizing out if the shapes differ)."""
    values = result._data
    _check_inplace_cast(values.dtype, out._data.dtype)
    if out._data.shape != values.shape:
        if out._data.size:
            warnings.warn(f"{name}(): an output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(values.shape)}", UserWarning, stacklevel=3)
        out._data = np.empty(values.shape, dtype=out._data.dtype)
    np.copyto(out._data, values, casting="unsafe")
    out._version += 1
    return out


def accepts_out(fn):
    """Decorator: add ``out=`` (write the result into an existing tensor, no autograd)."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
        if grad_mode._grad_enabled and (out._requires_grad or _any_requires_grad(args)
                                        or _any_requires_grad(kwargs.values())):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad. Drop out= "
                               f"(write c = teachnn.{name}(...)) or wrap the call in teachnn.no_grad().")
        return _write_out(out, fn(*args, **kwargs), name)

    return wrapper
