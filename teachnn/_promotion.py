"""Type promotion: which dtype ``a + b`` has, following torch's rules.

A tensor operand outranks a Python number of the same kind (``int64 tensor + 2.5`` is
float32, the default dtype), a float outranks an int, an int outranks a bool. Also the
broadcasting check that gives PyTorch's error text, and the operands of ``a + b``, ``a < b``
turned into tensors of the common dtype (``teachnn.Tensor`` is looked up when they run).
"""
import builtins
import numbers

import numpy as np

import teachnn
from . import _dtype


def _is_float_array(a):
    return a.dtype.kind == "f"


def _check_dtype_supported(a):
    if a.dtype not in _dtype._BY_NUMPY:
        _dtype.from_numpy_dtype(a.dtype)   # raises the TypeError


def _kind_rank(np_dtype):
    """Category of a dtype for type promotion: bool < integer < floating."""
    return {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}[np.dtype(np_dtype).kind]


def _promote_types(a, b):
    """torch.promote_types: a float type beats any integer type (float32 + int64 -> float32,
    where NumPy would say float64); otherwise the wider type of the same category wins."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    rank_a, rank_b = _kind_rank(a), _kind_rank(b)
    if rank_a != rank_b:
        return a if rank_a > rank_b else b
    return np.result_type(a, b)


def _result_dtype(tensors, scalars, true_divide=False):
    """PyTorch's type promotion for tensors and Python numbers.

    Tensors with dimensions decide; 0-d tensors and Python numbers only matter when they are
    of a higher category (bool < int < float). A Python float with an integer tensor gives
    the default float dtype (float32), never float64 as NumPy would.
    """
    dimensioned = [t._data.dtype for t in tensors if t._data.ndim > 0]
    zero_dim = [t._data.dtype for t in tensors if t._data.ndim == 0]
    result = None
    for group in (dimensioned, zero_dim):
        if group:
            candidate = group[0]
            for other in group[1:]:
                candidate = _promote_types(candidate, other)
            if result is None or _kind_rank(candidate) > _kind_rank(result):
                result = candidate
    for s in scalars:
        if isinstance(s, builtins.bool):
            rank, default = 0, np.dtype(np.bool_)
        elif isinstance(s, numbers.Integral):
            rank, default = 1, np.dtype(np.int64)
        else:
            rank, default = 2, _dtype.get_default_dtype().np
        if result is None or rank > _kind_rank(result):
            result = default
    if true_divide and _kind_rank(result) < 2:
        result = _dtype.get_default_dtype().np
    return np.dtype(result)


def _cast(t, np_dtype):
    if t._data.dtype == np_dtype:
        return t
    return t.to(_dtype.from_numpy_dtype(np_dtype))


def _check_broadcast(shape_a, shape_b):
    if shape_a == shape_b:
        return
    for i in range(1, builtins.min(len(shape_a), len(shape_b)) + 1):
        a, b = shape_a[-i], shape_b[-i]
        if a != b and a != 1 and b != 1:
            dim = builtins.max(len(shape_a), len(shape_b)) - i
            raise RuntimeError(
                f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
                f"dimension {dim}: shapes {list(shape_a)} and {list(shape_b)} cannot be broadcast. "
                "Sizes must be equal or 1 when compared from the right; reshape or unsqueeze one of them.")


def _check_inplace_cast(result_dtype, target_dtype):
    if _kind_rank(result_dtype) > _kind_rank(target_dtype):
        raise RuntimeError(
            f"result type {_dtype.from_numpy_dtype(result_dtype).name.capitalize()} can't be cast to the "
            f"desired output type {_dtype.from_numpy_dtype(target_dtype).name.capitalize()}: an in-place "
            "operation keeps the dtype of its target. Convert first (x = x.float()) or use x = x + y.")


def _scalar_array(value, dtype):
    """A Python number as a 0-d array of ``dtype``; out-of-range ints wrap around as in torch
    (uint8 tensor + (-1) adds 255), where NumPy would raise OverflowError."""
    if isinstance(value, numbers.Integral) and np.dtype(dtype).kind in "iu":
        return np.array(builtins.int(value)).astype(dtype)
    return np.asarray(value, dtype=dtype)


# ----------------------------------------------------------------------------------------
# operands of binary operations and comparisons
# ----------------------------------------------------------------------------------------
def _as_tensor_operand(other):
    if isinstance(other, teachnn.Tensor):
        return other
    if isinstance(other, np.ndarray):
        if not other.dtype.isnative:           # ``t + big_endian_array`` works in torch too
            other = other.astype(other.dtype.newbyteorder("="))
        return teachnn.Tensor(other)
    if isinstance(other, (numbers.Number, np.generic)):
        return teachnn.Tensor(np.asarray(other))
    if isinstance(other, (list, tuple)):
        return teachnn.tensor(other)
    raise TypeError(f"unsupported operand type: expected a Tensor or a number, got {type(other).__name__}")


_WRAP_HINT = ("wrap it with teachnn.from_numpy(a) (shares memory) or teachnn.tensor(a) (copies); "
              "PyTorch does not convert NumPy arrays for you either")


def _numpy_operator(t, other, ufunc, symbol):
    """``t (op) ndarray``: PyTorch hands the operator to NumPy (through ``__array__`` and
    ``__array_wrap__``), so the result follows NumPy's dtype rules and is outside autograd."""
    if t._requires_grad:
        raise RuntimeError(
            f"Can't call numpy() on Tensor that requires grad: PyTorch computes 'Tensor {symbol} "
            f"numpy.ndarray' in NumPy, outside autograd. To keep the gradient, {_WRAP_HINT}")
    x = t._data
    out = np.asarray(ufunc(x, other))
    # torch's __array_wrap__ turns NumPy's bool results into uint8
    return teachnn.Tensor(out.astype(np.uint8) if out.dtype == np.bool_ else out)


def _reflected_ndarray_error(symbol):
    """``ndarray (op) Tensor`` is PyTorch's TypeError (except ``/`` and ``==``)."""
    return TypeError(f"unsupported operand type(s) for {symbol}: 'numpy.ndarray' and 'Tensor' — "
                     f"put the tensor first or {_WRAP_HINT}")


def _comparison_ndarray_error():
    return TypeError("order comparisons (<, <=, >, >=) between a Tensor and a numpy.ndarray are "
                     f"not supported (PyTorch refuses them too) — {_WRAP_HINT}")


def _binary_operands(a, b, name, true_divide=False):
    """Return (a, b) as Tensors of the common dtype, checking that the shapes broadcast."""
    Tensor = teachnn.Tensor
    if isinstance(b, Tensor):
        a_data, b_data = a._data, b._data
        if a_data.dtype == b_data.dtype and not true_divide:
            if a_data.shape != b_data.shape:
                _check_broadcast(a_data.shape, b_data.shape)
            return a, b
        dtype = _result_dtype([a, b], [], true_divide)
        _check_broadcast(a._data.shape, b._data.shape)
        return _cast(a, dtype), _cast(b, dtype)
    if isinstance(b, (builtins.bool, numbers.Number)) and not isinstance(b, np.generic):
        dtype = _result_dtype([a], [b], true_divide)
        return _cast(a, dtype), Tensor(_scalar_array(b, dtype))
    if isinstance(b, (np.ndarray, np.generic, list, tuple)):
        return _binary_operands(a, _as_tensor_operand(np.asarray(b) if not isinstance(b, (list, tuple))
                                                       else b), name, true_divide)
    raise TypeError(f"unsupported operand type(s) for {name}: 'Tensor' and '{type(b).__name__}'")


def _check_not_bool_sub(a, b):
    """torch refuses subtraction when either side is a bool (tensor or Python bool)."""
    if (a._data.dtype == np.bool_ or isinstance(b, (builtins.bool, np.bool_))
            or (isinstance(b, teachnn.Tensor) and b._data.dtype == np.bool_)):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead (or convert first: mask.float()).")


def _comparison_operand(a, other):
    if isinstance(other, teachnn.Tensor):
        _check_broadcast(a._data.shape, other._data.shape)
        return other._data
    if isinstance(other, (list, tuple)):
        return np.asarray(other)
    if isinstance(other, numbers.Number) and not isinstance(other, np.generic):
        # torch compares in the promoted dtype: uint8 tensor < -1 compares with 255
        return _scalar_array(other, _result_dtype([a], [other]))
    return other
