"""``Tensor``'s further math methods: ``sinh``, ``asin``, ``erf``, ``log2``, ``floor``,
``trunc``, ``atan2``, ``hypot``, ``lerp``, ``cumprod``, ``kthvalue``, ``dist``, ... and their
in-place ``_`` forms. The differentiable cores are in ``_math_ops.py``.

``class Tensor(TensorConversions, TensorIndexing, TensorMath)`` in ``tensor.py`` inherits
these methods. ``teachnn.Tensor`` and ``teachnn._math_ops`` are looked up when a method runs
(this module is imported before they exist).
"""
import builtins
import numbers
import warnings
from collections import namedtuple

import numpy as np

import teachnn
from . import _dtype
from ._errors import numpy_keywords
from ._promotion import (_as_tensor_operand, _binary_operands, _check_not_bool_sub, _is_float_array,
                         _numpy_operator, _reflected_ndarray_error, _result_dtype)
from ._shapes import _norm_dim, _return_type

__all__ = ["TensorMath", "FLOAT_UNARY", "ROUNDING_UNARY", "SIGN_UNARY"]

_KthvalueResult = _return_type("kthvalue")
_MedianResult = _return_type("median")
_CummaxResult = _return_type("cummax")
_CumminResult = _return_type("cummin")
_AminmaxResult = namedtuple("aminmax", ["min", "max"])

# integer and bool inputs become the default float dtype first (as in PyTorch)
FLOAT_UNARY = ("sinh", "cosh", "tan", "asin", "acos", "atan", "asinh", "acosh", "atanh", "log2", "log10",
               "exp2", "erf", "erfc", "erfinv", "rsqrt")
# integer inputs stay integers (a copy); bool is refused
ROUNDING_UNARY = ("floor", "ceil", "round", "trunc", "frac")
# any dtype, same dtype out
SIGN_UNARY = ("sign", "sgn")

# PyTorch's C type names, used in its error messages
_C_TYPE = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
           "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _not_implemented(name, t):
    kind = _C_TYPE.get(t._data.dtype.name, t._data.dtype.name)
    return NotImplementedError(f'"{name}_cpu" not implemented for \'{kind}\': {name}() needs a floating '
                               f"point tensor; convert first with x.float()")


def _unary(name):
    def method(self):
        x = self
        if name in FLOAT_UNARY:
            x = self if _is_float_array(self._data) else self.to(_dtype.get_default_dtype())
        elif name in ROUNDING_UNARY:
            if self._data.dtype == np.bool_ or (name == "frac" and not _is_float_array(self._data)):
                raise _not_implemented(name if name == "frac" else f"{name}_vml", self)
            if not _is_float_array(self._data):
                return self.clone()
        elif self._data.dtype == np.bool_:        # sign(True) is True
            return self.clone()
        return teachnn._math_ops.UNARY[name].apply(x)

    method.__name__ = name
    method.__doc__ = f"``{name}`` of every element (see ``teachnn._math_ops._UNARY`` for the formula)."
    return method


def _inplace(name):
    def method(self, *args, **kwargs):
        return self._inplace(None, lambda a, _: getattr(teachnn.Tensor, name)(a, *args, **kwargs))

    method.__name__ = name + "_"
    method.__doc__ = f"In-place :meth:`{name}`."
    return method


def _float_binary(self, other, name, allow_int=True):
    """Both operands in their common dtype, integers promoted to the default float dtype."""
    x, y = _binary_operands(self, other, name, true_divide=True)
    if not allow_int and not (_is_float_array(self._data) or
                              (isinstance(other, teachnn.Tensor) and _is_float_array(other._data))):
        raise _not_implemented(name, self)
    return x, y


def _linalg_cross(a, b, dim):
    """(a x b) along ``dim``: component i is a[i+1] b[i+2] - a[i+2] b[i+1] (indices mod 3),
    written with index_select so autograd differentiates it like any product."""
    if len(a.shape) != len(b.shape):
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions (got "
                           f"shapes {list(a.shape)} and {list(b.shape)}); add axes with unsqueeze()")
    ndim = len(a.shape)
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                         f"but got {dim})")
    size_a, size_b = a.shape[dim], b.shape[dim]
    if size_a != 3 or size_b != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {size_a} "
                           f"and {size_b}")
    a, b = _binary_operands(a, b, "cross")
    shape = tuple(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))
    a, b = a.expand(*shape), b.expand(*shape)
    dim = dim % len(shape)
    next1, next2 = teachnn.tensor([1, 2, 0]), teachnn.tensor([2, 0, 1])
    return (a.index_select(dim, next1) * b.index_select(dim, next2)
            - a.index_select(dim, next2) * b.index_select(dim, next1))


class TensorMath:
    """Elementwise math, rounding and a few reductions of ``Tensor`` (a base class of it)."""

    __slots__ = ()

    # ------------------------------------------------------------------------------------
    # reflected operators (``2 + t``, ``[1, 2] * t``); as in torch, an ndarray on the left is a
    # TypeError except for ``/`` (computed by NumPy) and the comparisons (handled in tensor.py)
    # ------------------------------------------------------------------------------------
    def __radd__(self, other):
        if isinstance(other, np.ndarray):
            raise _reflected_ndarray_error("+")
        y, x = _binary_operands(self, other, "add")
        return teachnn._ops.Add.apply(x, y)

    def __rsub__(self, other):
        if isinstance(other, np.ndarray):
            raise _reflected_ndarray_error("-")
        _check_not_bool_sub(self, other)
        if isinstance(other, numbers.Number):
            x = self
            dtype = _result_dtype([self], [other])
            if dtype != self._data.dtype:
                x = self.to(_dtype.from_numpy_dtype(dtype))
            return teachnn._ops.RSub.apply(x, other)
        y, x = _binary_operands(self, other, "sub")
        return teachnn._ops.Sub.apply(x, y)

    def __rmul__(self, other):
        if isinstance(other, np.ndarray):
            raise _reflected_ndarray_error("*")
        y, x = _binary_operands(self, other, "mul")
        return teachnn._ops.Mul.apply(x, y)

    def __rtruediv__(self, other):
        if isinstance(other, np.ndarray):
            # torch computes a / t as t.reciprocal() * a, the product in NumPy
            return _numpy_operator(self.reciprocal(), other, np.multiply, "/")
        y, x = _binary_operands(self, other, "div", true_divide=True)
        if isinstance(other, numbers.Number):   # c / x = c * (1/x), as torch records it
            return teachnn._ops.Mul.apply(teachnn._ops.Reciprocal.apply(y), x)
        return teachnn._ops.Div.apply(x, y)

    def __rfloordiv__(self, other):
        if isinstance(other, np.ndarray):
            raise _reflected_ndarray_error("//")
        o = other._data if isinstance(other, teachnn.Tensor) else other
        return teachnn.Tensor(np.asarray(np.floor_divide(o, self._data)))

    def __rpow__(self, base):
        if isinstance(base, np.ndarray):
            raise _reflected_ndarray_error("**")
        if isinstance(base, numbers.Number):
            x = self
            if self._data.dtype.kind in "iub" and isinstance(base, builtins.float):
                x = self.to(_dtype.get_default_dtype())
            return teachnn._ops.RPow.apply(x, base)
        y, x = _binary_operands(self, base, "pow")
        return teachnn._ops.PowTensor.apply(x, y)

    def __rmatmul__(self, other):
        if isinstance(other, np.ndarray):
            raise _reflected_ndarray_error("@")
        return teachnn.matmul(_as_tensor_operand(other), self)

    def __rand__(self, other):
        if isinstance(other, np.ndarray):
            raise _reflected_ndarray_error("&")
        return self.__and__(other)

    def __ror__(self, other):
        if isinstance(other, np.ndarray):
            raise _reflected_ndarray_error("|")
        return self.__or__(other)

    def __rxor__(self, other):
        if isinstance(other, np.ndarray):
            raise _reflected_ndarray_error("^")
        return self.__xor__(other)

    def round(self, decimals=0):
        """Round half to even; ``decimals`` digits after the point (negative: before it)."""
        if decimals == 0:
            return _unary("round")(self)
        if self._data.dtype == np.bool_ or not _is_float_array(self._data):
            raise _not_implemented("round", self)
        return teachnn._math_ops.RoundDecimals.apply(self, decimals)

    def atan2(self, other):
        """Angle of the point (other, self): atan(self / other) in the right quadrant."""
        return teachnn._math_ops.Atan2.apply(*_float_binary(self, other, "atan2"))

    def hypot(self, other):
        """sqrt(self**2 + other**2) without overflow."""
        return teachnn._math_ops.Hypot.apply(*_float_binary(self, other, "hypot", allow_int=False))

    def logaddexp(self, other):
        """log(exp(self) + exp(other)) without overflow."""
        return teachnn._math_ops.Logaddexp.apply(*_float_binary(self, other, "logaddexp", allow_int=False))

    def fmax(self, other):
        """Elementwise max where NaN loses (``maximum`` propagates NaN)."""
        return teachnn._math_ops.Fmax.apply(*_binary_operands(self, other, "fmax"))

    def fmin(self, other):
        return teachnn._math_ops.Fmin.apply(*_binary_operands(self, other, "fmin"))

    def fmod(self, other):
        """Remainder with the sign of the dividend (C's fmod); ``remainder`` follows the divisor."""
        return teachnn._math_ops.Fmod.apply(*_binary_operands(self, other, "fmod"))

    def floor_divide(self, other):
        return self // other

    @numpy_keywords
    def lerp(self, end, weight):
        """self + weight * (end - self): linear interpolation."""
        if isinstance(weight, teachnn.Tensor):
            x, e = _binary_operands(self, end, "lerp")
            return teachnn._math_ops.LerpTensor.apply(x, e, weight.to(x.dtype))
        if not isinstance(end, teachnn.Tensor):
            raise TypeError(f"lerp(): argument 'end' must be Tensor, not {type(end).__name__}")
        x, e = _binary_operands(self, end, "lerp")
        return teachnn._math_ops.Lerp.apply(x, e, weight)

    @numpy_keywords
    def cumprod(self, dim, dtype=None):
        """Running product along ``dim``: [1, 2, 3] -> [1, 2, 6]. Ints and bools give int64."""
        x = self if dtype is None else self.to(dtype)
        if dtype is None and self._data.dtype.kind in "iub":
            x = self.to(_dtype.int64)
        if self._data.ndim == 0:
            _norm_dim(dim, 0)
            return x.clone()
        return teachnn._math_ops.Cumprod.apply(x, _norm_dim(dim, self._data.ndim))

    @numpy_keywords
    def kthvalue(self, k, dim=-1, keepdim=False):
        """(values, indices) of the k-th smallest element along ``dim`` (k counts from 1)."""
        x = self if self._data.ndim else self.reshape(1)
        d = _norm_dim(dim, self._data.ndim) if self._data.ndim else 0
        n = x._data.shape[d]
        if not isinstance(k, numbers.Integral) or not 1 <= k <= n:
            raise IndexError(f"kthvalue(): selected number k out of range for dimension {d}: k={k} but the "
                             f"size is {n} (k counts from 1)")
        values, indices = teachnn._math_ops.Kthvalue.apply(x, builtins.int(k), d, keepdim)
        if self._data.ndim == 0:
            values, indices = values.reshape(()), indices.reshape(())
        return _KthvalueResult(values, indices)

    def _view_as_dtype(self, dtype):
        """``x.view(dtype)``: the same bytes read as another dtype (no copy, not differentiable).
        With a different element size the last axis shrinks or grows (float64 -> int8: x8)."""
        new, old = np.dtype(_dtype.to_numpy(dtype)), self._data.dtype
        if new.itemsize != old.itemsize:
            what = (f"to view {_C_TYPE.get(old.name, old.name)} as {_C_TYPE.get(new.name, new.name)} "
                    "(different element sizes)")
            if self._data.ndim == 0:
                raise RuntimeError(f"self.dim() cannot be 0 {what}")
            stride = self._data.strides[-1] // old.itemsize
            if stride != 1 and self._data.shape[-1] != 1:
                raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {stride}")
            if new.itemsize > old.itemsize and self._data.shape[-1] % (new.itemsize // old.itemsize):
                raise RuntimeError(f"self.size(-1) must be divisible by {new.itemsize // old.itemsize} {what}, "
                                   f"but got {self._data.shape[-1]}")
        return teachnn.Tensor(self._data.view(new))

    @numpy_keywords
    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """``torch.norm``: a vector norm over ``dim`` (all elements when None) for a number ``p``
        or 'fro'; 'nuc' is the matrix nuclear norm (teachnn.linalg has every norm)."""
        if p == "nuc":
            return teachnn.linalg.matrix_norm(self, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
        if p == "fro":
            if dim is not None and not isinstance(dim, numbers.Integral) and len(dim) > 2:
                raise RuntimeError("norm(): the Frobenius norm takes at most two dims")
            p = 2
        if isinstance(p, str) and p.lstrip("-") == "inf":
            p = float(p)
        return teachnn.linalg.vector_norm(self, p, dim, keepdim, dtype=dtype)

    @numpy_keywords
    def median(self, dim=None, keepdim=False):
        """The lower of the two middle values (PyTorch's choice): all elements, or (values,
        indices) along ``dim``."""
        if dim is None:
            if self._data.size == 0:
                return teachnn.tensor(float("nan"), dtype=self.dtype)
            return teachnn._math_ops.MedianAll.apply(self)
        x = self if self._data.ndim else self.reshape(1)
        d = _norm_dim(dim, self._data.ndim) if self._data.ndim else 0
        values, indices = teachnn._math_ops.MedianDim.apply(x, (x._data.shape[d] - 1) // 2 + 1, d, keepdim)
        if self._data.ndim == 0:
            values, indices = values.reshape(()), indices.reshape(())
        return _MedianResult(values, indices)

    @numpy_keywords
    def nansum(self, dim=None, keepdim=False, dtype=None):
        """sum, counting NaN as 0."""
        x = self if not _is_float_array(self._data) else teachnn.where(self.isnan(), 0.0, self)
        return x.sum(dim, keepdim=keepdim, dtype=dtype)

    @numpy_keywords
    def nanmean(self, dim=None, keepdim=False, dtype=None):
        """mean over the elements that are not NaN."""
        count = (~self.isnan()).sum(dim, keepdim=keepdim)
        return self.nansum(dim, keepdim=keepdim, dtype=dtype) / count

    @numpy_keywords
    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """x[i+1] - x[i] along ``dim``, ``n`` times."""
        d = _norm_dim(dim, self._data.ndim)
        x = teachnn.cat([t for t in (prepend, self, append) if t is not None], d) \
            if prepend is not None or append is not None else self
        before = (slice(None),) * d
        for _ in range(n):
            x = x[before + (slice(1, None),)] - x[before + (slice(None, -1),)] if x._data.dtype != np.bool_ \
                else x[before + (slice(1, None),)].logical_xor(x[before + (slice(None, -1),)])
        return x

    @numpy_keywords
    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of the matrices in axes (dim1, dim2), as a new last axis (a copy here)."""
        a, b = _norm_dim(dim1, self._data.ndim), _norm_dim(dim2, self._data.ndim)
        if a == b:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        rest = [d for d in range(self._data.ndim) if d not in (a, b)]
        x = self.permute(*rest, a, b)
        rows = np.arange(builtins.max(0, -offset), x._data.shape[-2])
        rows = rows[rows + offset < x._data.shape[-1]]
        return x[..., rows, rows + offset]

    def trace(self):
        """Sum of the main diagonal of a matrix."""
        if self._data.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self._data.ndim}")
        return teachnn._math_ops.Trace.apply(self)

    @numpy_keywords
    def logcumsumexp(self, dim):
        """log(cumsum(exp(x))) along ``dim`` without overflow (the maximum is taken out first)."""
        d = _norm_dim(dim, self._data.ndim) if self._data.ndim else 0
        top = teachnn.Tensor(np.nan_to_num(np.max(self._data, axis=d, keepdims=True) if self._data.ndim
                                           else self._data, neginf=0.0, posinf=0.0))
        return (self - top).exp().cumsum(d).log() + top

    def mv(self, vec):
        if self._data.ndim != 2 or vec._data.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got {self._data.ndim}, {vec._data.ndim}")
        return teachnn.matmul(self, vec)

    @numpy_keywords
    def cummax(self, dim):
        """(values, indices): the running maximum along ``dim`` and where it was reached."""
        return self._cum_extreme(dim, teachnn._math_ops.Cummax, _CummaxResult)

    @numpy_keywords
    def cummin(self, dim):
        return self._cum_extreme(dim, teachnn._math_ops.Cummin, _CumminResult)

    def _cum_extreme(self, dim, function, result):
        x = self if self._data.ndim else self.reshape(1)
        values, indices = function.apply(x, _norm_dim(dim, self._data.ndim) if self._data.ndim else 0)
        if self._data.ndim == 0:
            values, indices = values.reshape(()), indices.reshape(())
        return result(values, indices)

    @numpy_keywords
    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN -> ``nan``, infinities -> ``posinf`` / ``neginf`` (default: the dtype's largest values)."""
        if not _is_float_array(self._data):
            return self.clone()
        info = np.finfo(self._data.dtype)
        return teachnn._math_ops.NanToNum.apply(self, nan, info.max if posinf is None else posinf,
                                                info.min if neginf is None else neginf)

    def xlogy(self, other):
        """self * log(other), and 0 where self == 0 and other is not NaN (even where other is 0)."""
        x, y = _float_binary(self, other, "xlogy")
        with teachnn.no_grad():
            zero = (x == 0) & ~y.isnan()
        return teachnn.where(zero, 0.0, x * teachnn.where(zero, 1.0, y).log())

    def logit(self, eps=None):
        """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
        p = self if _is_float_array(self._data) else self.to(_dtype.get_default_dtype())
        if eps is not None:
            p = p.clamp(eps, 1 - eps)
        return (p / (1 - p)).log()

    def isposinf(self):
        return teachnn.Tensor(np.isposinf(self._data))

    def isneginf(self):
        return teachnn.Tensor(np.isneginf(self._data))

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return teachnn.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def inner(self, other):
        return teachnn.inner(self, other)

    def vdot(self, other):
        return teachnn.dot(self, other)

    def aminmax(self, *, dim=None, keepdim=False):
        return _AminmaxResult(self.amin(() if dim is None else dim, keepdim),
                              self.amax(() if dim is None else dim, keepdim))

    def msort(self):
        return teachnn.sort(self, dim=0).values

    @numpy_keywords
    def dist(self, other, p=2):
        """The p-norm of self - other (every element; the shapes broadcast)."""
        x, y = _float_binary(self, other, "dist")
        if not _is_float_array(self._data):
            raise RuntimeError(f"dist(): expected a floating point tensor, got {self.dtype}")
        return teachnn._math_ops.Dist.apply(x, y, float(p))

    def positive(self):
        return self

    def deg2rad(self):
        return self * (np.pi / 180) if _is_float_array(self._data) else self.float() * (np.pi / 180)

    def rad2deg(self):
        return self * (180 / np.pi) if _is_float_array(self._data) else self.float() * (180 / np.pi)

    def signbit(self):
        return teachnn.Tensor(np.signbit(self._data))

    def logical_xor(self, other):
        o = other._data if isinstance(other, teachnn.Tensor) else other
        return teachnn.Tensor(np.logical_xor(self._data, o))

    # Bitwise ops work on integer and bool tensors only (PyTorch has no float kernel for them);
    # both sides take the promoted dtype first, so int32 ^ int64 gives int64.
    def _bitwise(self, other, ufunc, name):
        if other is not None:
            a, b = _binary_operands(self, other, name)
        else:
            a, b = self, None
        for t in (a, b):
            if t is not None and t._data.dtype.kind not in "biu":
                scalar_type = {"float16": "Half", "float32": "Float", "float64": "Double"}.get(
                    t._data.dtype.name, t._data.dtype.name)
                raise NotImplementedError(
                    f'"{name}_cpu" not implemented for \'{scalar_type}\': {name} works on integer '
                    f"and bool tensors; for a float mask compare first (x > 0) or use "
                    f"logical_{name.split('_')[1]}()")
        out = ufunc(a._data) if b is None else ufunc(a._data, b._data)
        return teachnn.Tensor(np.asarray(out))

    def bitwise_and(self, other):
        return self._bitwise(other, np.bitwise_and, "bitwise_and")

    def bitwise_or(self, other):
        return self._bitwise(other, np.bitwise_or, "bitwise_or")

    def bitwise_xor(self, other):
        return self._bitwise(other, np.bitwise_xor, "bitwise_xor")

    def bitwise_not(self):
        return self._bitwise(None, np.invert, "bitwise_not")

    def cross(self, other, dim=None):
        """Cross product of 3-vectors along ``dim`` (default: the first axis of size 3, with
        PyTorch's deprecation warning; ``teachnn.linalg.cross`` uses the last axis)."""
        if not isinstance(other, teachnn.Tensor):
            raise TypeError(f"cross(): argument 'other' (position 2) must be Tensor, not "
                            f"{type(other).__name__}")
        if dim is None:
            warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please "
                          "either pass the dim explicitly or simply use torch.linalg.cross.",
                          UserWarning, stacklevel=2)
            sizes = [d for d, n in enumerate(self.shape) if n == 3]
            if not sizes:
                raise RuntimeError("no dimension of size 3 in input: cross() multiplies 3-vectors; "
                                   f"got shape {list(self.shape)}")
            dim = sizes[0]
        return _linalg_cross(self, other, dim)

    def svd(self, some=True, compute_uv=True):
        return teachnn.linalg._svd_deprecated(self, some, compute_uv)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return self + value * tensor1 / tensor2


# the generated methods: one per elementwise function, and the in-place form of each
for _name in FLOAT_UNARY + ROUNDING_UNARY + SIGN_UNARY:
    if _name != "round":
        setattr(TensorMath, _name, _unary(_name))
for _name in FLOAT_UNARY + ROUNDING_UNARY + SIGN_UNARY + (
        "atan2", "hypot", "lerp", "cumsum", "cumprod", "reciprocal", "log", "log1p", "expm1", "sin", "cos",
        "tanh", "sigmoid", "square", "clamp_min", "clamp_max", "fmod", "remainder", "floor_divide",
        "true_divide", "deg2rad", "rad2deg", "addcmul", "nan_to_num", "xlogy", "logit", "addmm"):
    setattr(TensorMath, _name + "_", _inplace(_name))
for _alias, _name in (("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("arctan2", "atan2"),
                      ("arcsinh", "asinh"), ("arccosh", "acosh"), ("arctanh", "atanh"), ("fix", "trunc")):
    setattr(TensorMath, _alias, getattr(TensorMath, _name))     # NumPy's names, as in torch
del _name, _alias
