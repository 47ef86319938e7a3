"""Decorators that let torch-level functions take their arguments the way PyTorch does.

* ``@refuses_ndarrays``: a NumPy array passed where a Tensor is expected, as in
  ``teachnn.relu(np.ones(3))``, raises PyTorch's ``TypeError`` (``AttributeError`` for the few
  functions PyTorch writes in Python) with the call that converts it, instead of being
  silently wrapped: code that runs on teachnn must run on PyTorch too.
* ``@accepts_out``: ``torch.matmul(a, b, out=c)`` computes the result and writes it into ``c``
  (which keeps its dtype; its shape is changed if it differs). Like torch, ``out=`` does no
  autograd: it is an error when grad mode is on and an argument (or out) requires grad.

NumPy keyword names (``axis=``, ``keepdims=``) are handled by ``teachnn._errors.numpy_keywords``,
which the Tensor methods use too. Each decorator is visible on the function it changes.
"""
import functools
import inspect
import warnings

import numpy as np

from ._promotion import _check_inplace_cast
from .autograd import grad_mode
from .tensor import Tensor

__all__ = ["refuses_ndarrays", "accepts_out"]

# torch.split, torch.norm and torch.tensordot are written in Python and fail with
# AttributeError on an array in their leading tensor argument(s): name -> how many
_PYTHON_LEVEL = {"split": 1, "norm": 1, "tensordot": 2}


def _ndarray_error(fn_name, param, position, error_type):
    where = f"argument '{param}'" + ("" if position is None else f" (position {position})")
    return error_type(
        f"{fn_name}(): {where} must be Tensor, not numpy.ndarray — wrap it with "
        "teachnn.from_numpy(a) (shares memory) or teachnn.tensor(a) (copies); PyTorch does not "
        "convert NumPy arrays for you either")


def refuses_ndarrays(fn):
    """Decorator: a NumPy array as an argument (positional or keyword) is PyTorch's TypeError."""
    names = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            names.append(p.name)
            break
    fn_name = fn.__name__
    signature = inspect.signature(fn)
    n_attribute_error = 0 if fn.__module__.endswith("linalg") else _PYTHON_LEVEL.get(fn_name, 0)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for i, a in enumerate(args):
            if isinstance(a, np.ndarray):
                param = names[min(i, len(names) - 1)] if names else "input"
                if i < n_attribute_error:              # a missing argument is found first
                    try:
                        signature.bind(*args, **kwargs)
                    except TypeError as exc:
                        raise TypeError(f"{fn_name}(): {exc}") from None
                raise _ndarray_error(fn_name, param, i + 1,
                                     AttributeError if i < n_attribute_error else TypeError)
        for key, value in kwargs.items():
            if isinstance(value, np.ndarray):
                raise _ndarray_error(fn_name, key, None, TypeError)
        return fn(*args, **kwargs)

    wrapper._refuses_ndarrays = True           # lets the tests find every decorated function
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


# Tensor methods that take a tensor (or a number) where PyTorch's argument parser refuses an
# ndarray with TypeError; the operators are handled in tensor.py, since ``t + a`` works in torch.
_REFUSING_METHODS = (
    "add", "add_", "sub", "sub_", "subtract", "mul", "mul_", "multiply", "div", "div_", "divide",
    "true_divide", "true_divide_", "floor_divide", "floor_divide_", "remainder", "remainder_",
    "fmod", "fmod_", "pow", "pow_", "atan2", "atan2_", "arctan2", "hypot", "hypot_", "logaddexp",
    "xlogy", "xlogy_", "fmax", "fmin", "maximum", "minimum", "dist", "isclose", "allclose", "equal",
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
    "clamp", "clamp_", "clip", "clip_", "clamp_min", "clamp_min_", "clamp_max", "clamp_max_",
    "copy_", "fill_", "expand_as", "view_as", "reshape_as", "type_as", "masked_fill", "masked_fill_",
    "where", "index_select", "gather", "scatter", "scatter_", "scatter_add", "scatter_add_",
    "addcmul", "addcmul_", "addcdiv", "addcdiv_", "lerp", "lerp_", "matmul", "mm", "bmm", "mv", "dot",
    "cross", "inner", "outer", "kron", "masked_select", "take", "index_add", "index_add_",
    "index_copy", "index_fill", "index_fill_", "put_", "copysign", "heaviside", "float_power",
    "ldexp", "nextafter", "addmm", "addmv", "masked_scatter", "logit", "logit_", "kthvalue",
    "nan_to_num", "nan_to_num_", "uniform_", "normal_", "bernoulli_", "random_", "exponential_",
    "unique", "amax", "amin", "diagonal", "roll", "norm", "requires_grad_", "backward", "svd",
)


def _refusing_method(method, name):
    params = [p.name for p in list(inspect.signature(method).parameters.values())[1:]
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)] or ["other"]

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        for i, a in enumerate(args):
            if isinstance(a, np.ndarray):
                raise _ndarray_error(name, params[min(i, len(params) - 1)], i + 1, TypeError)
        if kwargs:
            for key, value in kwargs.items():
                if isinstance(value, np.ndarray):
                    raise _ndarray_error(name, key, None, TypeError)
        return method(self, *args, **kwargs)

    wrapper._refuses_ndarrays = True
    return wrapper


for _name in _REFUSING_METHODS:
    if _name in vars(Tensor) or hasattr(Tensor, _name):
        setattr(Tensor, _name, _refusing_method(getattr(Tensor, _name), _name))
