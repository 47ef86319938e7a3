"""Torch-level math functions: ``teachnn.sinh(x)``, ``teachnn.atan2(y, x)``, ``teachnn.lerp``,
``teachnn.cumprod``, ``teachnn.kthvalue``, ``teachnn.dist``, ... Each calls the Tensor method of
the same name (``teachnn/_tensor_math.py``); the decorators are those of ``_torch_functions.py``.
"""
from ._arguments import refuses_ndarrays, accepts_out
from ._errors import numpy_keywords
from ._torch_functions import einsum as _einsum
from .tensor import Tensor

__all__ = [
    "sinh", "cosh", "tan", "asin", "acos", "atan", "asinh", "acosh", "atanh", "log2", "log10",
    "exp2", "erf", "erfc", "erfinv", "trunc", "frac", "sgn", "positive", "deg2rad", "rad2deg",
    "signbit", "atan2", "hypot", "logaddexp", "fmax", "fmin", "fmod", "floor_divide", "remainder",
    "true_divide", "logical_xor", "clamp_min", "clamp_max", "arcsin", "arccos", "arctan", "arctan2",
    "arcsinh", "arccosh", "arctanh", "fix", "lerp", "cumprod", "kthvalue", "dist", "msort",
    "addcmul", "addcdiv", "std_mean", "var_mean", "median", "nansum", "nanmean", "diff", "diagonal", "trace",
    "logcumsumexp", "mv", "addmm", "inner", "tensordot", "cummax", "cummin", "nan_to_num", "xlogy",
    "logit", "isposinf", "isneginf", "vdot", "aminmax", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "cross", "svd",
]


def _check_input(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


@accepts_out
@refuses_ndarrays
def sinh(input):
    _check_input(input, "sinh")
    return input.sinh()


@accepts_out
@refuses_ndarrays
def cosh(input):
    _check_input(input, "cosh")
    return input.cosh()


@accepts_out
@refuses_ndarrays
def tan(input):
    _check_input(input, "tan")
    return input.tan()


@accepts_out
@refuses_ndarrays
def asin(input):
    _check_input(input, "asin")
    return input.asin()


@accepts_out
@refuses_ndarrays
def acos(input):
    _check_input(input, "acos")
    return input.acos()


@accepts_out
@refuses_ndarrays
def atan(input):
    _check_input(input, "atan")
    return input.atan()


@accepts_out
@refuses_ndarrays
def asinh(input):
    _check_input(input, "asinh")
    return input.asinh()


@accepts_out
@refuses_ndarrays
def acosh(input):
    _check_input(input, "acosh")
    return input.acosh()


@accepts_out
@refuses_ndarrays
def atanh(input):
    _check_input(input, "atanh")
    return input.atanh()


@accepts_out
@refuses_ndarrays
def log2(input):
    _check_input(input, "log2")
    return input.log2()


@accepts_out
@refuses_ndarrays
def log10(input):
    _check_input(input, "log10")
    return input.log10()


@accepts_out
@refuses_ndarrays
def exp2(input):
    _check_input(input, "exp2")
    return input.exp2()


@accepts_out
@refuses_ndarrays
def erf(input):
    _check_input(input, "erf")
    return input.erf()


@accepts_out
@refuses_ndarrays
def erfc(input):
    _check_input(input, "erfc")
    return input.erfc()


@accepts_out
@refuses_ndarrays
def erfinv(input):
    _check_input(input, "erfinv")
    return input.erfinv()


@accepts_out
@refuses_ndarrays
def trunc(input):
    _check_input(input, "trunc")
    return input.trunc()


@accepts_out
@refuses_ndarrays
def frac(input):
    _check_input(input, "frac")
    return input.frac()


@accepts_out
@refuses_ndarrays
def sgn(input):
    _check_input(input, "sgn")
    return input.sgn()


@accepts_out
@refuses_ndarrays
def positive(input):
    _check_input(input, "positive")
    return input.positive()


@accepts_out
@refuses_ndarrays
def deg2rad(input):
    _check_input(input, "deg2rad")
    return input.deg2rad()


@accepts_out
@refuses_ndarrays
def rad2deg(input):
    _check_input(input, "rad2deg")
    return input.rad2deg()


@accepts_out
@refuses_ndarrays
def signbit(input):
    _check_input(input, "signbit")
    return input.signbit()


@accepts_out
@refuses_ndarrays
def atan2(input, other):
    _check_input(input, "atan2")
    return input.atan2(other)


@accepts_out
@refuses_ndarrays
def hypot(input, other):
    _check_input(input, "hypot")
    return input.hypot(other)


@accepts_out
@refuses_ndarrays
def logaddexp(input, other):
    _check_input(input, "logaddexp")
    return input.logaddexp(other)


@accepts_out
@refuses_ndarrays
def fmax(input, other):
    _check_input(input, "fmax")
    return input.fmax(other)


@accepts_out
@refuses_ndarrays
def fmin(input, other):
    _check_input(input, "fmin")
    return input.fmin(other)


@accepts_out
@refuses_ndarrays
def fmod(input, other):
    _check_input(input, "fmod")
    return input.fmod(other)


@accepts_out
@refuses_ndarrays
def floor_divide(input, other):
    _check_input(input, "floor_divide")
    return input.floor_divide(other)


@accepts_out
@refuses_ndarrays
def remainder(input, other):
    _check_input(input, "remainder")
    return input.remainder(other)


@accepts_out
@refuses_ndarrays
def true_divide(input, other):
    _check_input(input, "true_divide")
    return input.true_divide(other)


@accepts_out
@refuses_ndarrays
def logical_xor(input, other):
    _check_input(input, "logical_xor")
    return input.logical_xor(other)


@accepts_out
@refuses_ndarrays
def clamp_min(input, min):
    _check_input(input, "clamp_min")
    return input.clamp_min(min)


@accepts_out
@refuses_ndarrays
def clamp_max(input, max):
    _check_input(input, "clamp_max")
    return input.clamp_max(max)


# NumPy's names, as in torch
arcsin, arccos, arctan, arctan2, arcsinh, arccosh, arctanh, fix = asin, acos, atan, atan2, asinh, acosh, atanh, trunc


@accepts_out
@refuses_ndarrays
@numpy_keywords
def lerp(input, end, weight):
    """input + weight * (end - input)."""
    _check_input(input, "lerp")
    return input.lerp(end, weight)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def cumprod(input, dim, *, dtype=None):
    _check_input(input, "cumprod")
    return input.cumprod(dim, dtype=dtype)


@refuses_ndarrays
@numpy_keywords
def kthvalue(input, k, dim=-1, keepdim=False):
    _check_input(input, "kthvalue")
    return input.kthvalue(k, dim, keepdim)


@refuses_ndarrays
@numpy_keywords
def dist(input, other, p=2):
    _check_input(input, "dist")
    return input.dist(other, p)


@refuses_ndarrays
def msort(input):
    return input.msort()


@accepts_out
@refuses_ndarrays
@numpy_keywords
def addcmul(input, tensor1, tensor2, *, value=1):
    return input.addcmul(tensor1, tensor2, value=value)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def addcdiv(input, tensor1, tensor2, *, value=1):
    return input.addcdiv(tensor1, tensor2, value=value)


@refuses_ndarrays
@numpy_keywords
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) in one call."""
    _check_input(input, "std_mean")
    return (input.std(dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim=keepdim) if dim is not None else input.mean())


@refuses_ndarrays
@numpy_keywords
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) in one call."""
    _check_input(input, "var_mean")
    return (input.var(dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim=keepdim) if dim is not None else input.mean())


@refuses_ndarrays
@numpy_keywords
def median(input, dim=None, keepdim=False):
    _check_input(input, "median")
    return input.median(dim, keepdim)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    _check_input(input, "nansum")
    return input.nansum(dim, keepdim, dtype=dtype)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    _check_input(input, "nanmean")
    return input.nanmean(dim, keepdim, dtype=dtype)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def diff(input, n=1, dim=-1, prepend=None, append=None):
    _check_input(input, "diff")
    return input.diff(n, dim, prepend, append)


@refuses_ndarrays
@numpy_keywords
def diagonal(input, offset=0, dim1=0, dim2=1):
    _check_input(input, "diagonal")
    return input.diagonal(offset, dim1, dim2)


@refuses_ndarrays
def trace(input):
    _check_input(input, "trace")
    return input.trace()


@accepts_out
@refuses_ndarrays
@numpy_keywords
def logcumsumexp(input, dim):
    _check_input(input, "logcumsumexp")
    return input.logcumsumexp(dim)


@accepts_out
@refuses_ndarrays
def mv(input, vec):
    _check_input(input, "mv")
    return input.mv(vec)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    product = mat1.mm(mat2)
    return (input if beta == 1 else beta * input) + (product if alpha == 1 else alpha * product)


@accepts_out
@refuses_ndarrays
def inner(input, other):
    """Sum over the last axes of both: a dot product for vectors."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))


@refuses_ndarrays
@numpy_keywords
def tensordot(a, b, dims=2):
    """Contract the last ``dims`` axes of a with the first ``dims`` of b (or the listed axes)."""
    if isinstance(dims, int):
        axes_a, axes_b = list(range(a._data.ndim - dims, a._data.ndim)), list(range(dims))
    else:
        axes_a, axes_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    sa = list(letters[:a._data.ndim])
    sb = list(letters[a._data.ndim:a._data.ndim + b._data.ndim])
    for i, j in zip(axes_a, axes_b):
        sb[j % b._data.ndim] = sa[i % a._data.ndim]
    out = [c for c in sa if c not in sb] + [c for c in sb if c not in sa]
    return _einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


@refuses_ndarrays
@numpy_keywords
def cummax(input, dim):
    _check_input(input, "cummax")
    return input.cummax(dim)


@refuses_ndarrays
@numpy_keywords
def cummin(input, dim):
    _check_input(input, "cummin")
    return input.cummin(dim)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    _check_input(input, "nan_to_num")
    return input.nan_to_num(nan, posinf, neginf)


@accepts_out
@refuses_ndarrays
def xlogy(input, other):
    _check_input(input, "xlogy")
    return input.xlogy(other)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def logit(input, eps=None):
    _check_input(input, "logit")
    return input.logit(eps)


@accepts_out
@refuses_ndarrays
def isposinf(input):
    _check_input(input, "isposinf")
    return input.isposinf()


@accepts_out
@refuses_ndarrays
def isneginf(input):
    _check_input(input, "isneginf")
    return input.isneginf()


@accepts_out
@refuses_ndarrays
def vdot(input, other):
    _check_input(input, "vdot")
    return input.vdot(other)


@refuses_ndarrays
def aminmax(input, *, dim=None, keepdim=False):
    _check_input(input, "aminmax")
    return input.aminmax(dim=dim, keepdim=keepdim)


@accepts_out
@refuses_ndarrays
def bitwise_and(input, other):
    _check_input(input, "bitwise_and")
    return input.bitwise_and(other)


@accepts_out
@refuses_ndarrays
def bitwise_or(input, other):
    _check_input(input, "bitwise_or")
    return input.bitwise_or(other)


@accepts_out
@refuses_ndarrays
def bitwise_xor(input, other):
    _check_input(input, "bitwise_xor")
    return input.bitwise_xor(other)


@accepts_out
@refuses_ndarrays
def bitwise_not(input):
    _check_input(input, "bitwise_not")
    return input.bitwise_not()


@accepts_out
@refuses_ndarrays
def cross(input, other, dim=None):
    _check_input(input, "cross")
    return input.cross(other, dim)


@refuses_ndarrays
def svd(input, some=True, compute_uv=True):
    """``torch.svd`` -> (U, S, V) with input = U diag(S) V^T (``teachnn.linalg.svd`` returns Vh)."""
    from .linalg import _svd_deprecated
    return _svd_deprecated(input, some, compute_uv)


# ``torch.sin_(x)`` is ``x.sin_()``: PyTorch's in-place functions also live at the top level, and
# published tutorials call them there (introyt's tensors tutorial prints ``torch.sin_(b)``).
_INPLACE_FUNCTIONS = (
    "abs_", "acos_", "acosh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_",
    "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_", "detach_", "erf_", "erfc_",
    "exp2_", "exp_", "expm1_", "fill_", "floor_", "frac_", "log10_", "log1p_", "log2_", "log_",
    "logit_", "nan_to_num_", "neg_", "rad2deg_", "reciprocal_", "relu_", "round_", "rsqrt_",
    "sigmoid_", "sin_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_",
)


def _inplace_function(name):
    def function(input, *args, **kwargs):
        _check_input(input, name)
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``teachnn.{name}(x, ...)`` is ``x.{name}(...)``: changes x in place, returns x."
    return function


# one line each, so a reader (and grep) finds every name where it is defined
abs_ = _inplace_function('abs_')
acos_ = _inplace_function('acos_')
acosh_ = _inplace_function('acosh_')
asin_ = _inplace_function('asin_')
asinh_ = _inplace_function('asinh_')
atan_ = _inplace_function('atan_')
atanh_ = _inplace_function('atanh_')
ceil_ = _inplace_function('ceil_')
clamp_ = _inplace_function('clamp_')
clamp_max_ = _inplace_function('clamp_max_')
clamp_min_ = _inplace_function('clamp_min_')
clip_ = _inplace_function('clip_')
cos_ = _inplace_function('cos_')
cosh_ = _inplace_function('cosh_')
deg2rad_ = _inplace_function('deg2rad_')
detach_ = _inplace_function('detach_')
erf_ = _inplace_function('erf_')
erfc_ = _inplace_function('erfc_')
exp2_ = _inplace_function('exp2_')
exp_ = _inplace_function('exp_')
expm1_ = _inplace_function('expm1_')
fill_ = _inplace_function('fill_')
floor_ = _inplace_function('floor_')
frac_ = _inplace_function('frac_')
log10_ = _inplace_function('log10_')
log1p_ = _inplace_function('log1p_')
log2_ = _inplace_function('log2_')
log_ = _inplace_function('log_')
logit_ = _inplace_function('logit_')
nan_to_num_ = _inplace_function('nan_to_num_')
neg_ = _inplace_function('neg_')
rad2deg_ = _inplace_function('rad2deg_')
reciprocal_ = _inplace_function('reciprocal_')
relu_ = _inplace_function('relu_')
round_ = _inplace_function('round_')
rsqrt_ = _inplace_function('rsqrt_')
sigmoid_ = _inplace_function('sigmoid_')
sin_ = _inplace_function('sin_')
sinh_ = _inplace_function('sinh_')
sqrt_ = _inplace_function('sqrt_')
square_ = _inplace_function('square_')
tan_ = _inplace_function('tan_')
tanh_ = _inplace_function('tanh_')
trunc_ = _inplace_function('trunc_')
xlogy_ = _inplace_function('xlogy_')
zero_ = _inplace_function('zero_')
__all__ += list(_INPLACE_FUNCTIONS)
