"""Numba kernels for GELU, sigmoid and ReLU: one pass forward, one pass backward.

Why kernels
-----------
Written with NumPy, ``sigmoid`` or GELU's ``x * Phi(x)`` is a chain of full-array passes
(``exp``, ``+``, ``/``, ``*`` ...), each allocating a temporary; NumPy has no ``erf`` at all.
Here every element is read once and written once, in SIMD registers:

    forward:   for i:  out[i]  = f(x[i])                       GELU: x * Phi(x)
    backward:  for i:  grad[i] = g[i] * f'(x[i])               GELU: Phi(x) + x * phi(x)

with ``Phi(x) = (1 + erf(x / sqrt(2))) / 2`` and ``phi(x) = exp(-x^2 / 2) / sqrt(2 pi)``.
Backward recomputes ``Phi(x)`` from x (as PyTorch does) instead of reading a saved array:
arithmetic is cheaper than memory traffic.

Vector-friendly ``exp`` and ``erf`` in float32
----------------------------------------------
A loop that calls the C library's ``expf``/``erff`` runs one element at a time. So float32
uses formulas made only of ``+ * /``, ``floor`` and a bit pattern, which LLVM turns into
SIMD instructions (8 or 16 lanes), as PyTorch's vectorised kernels do:

* ``exp(x) = 2^n * exp(r)`` with ``n = round(x / ln 2)``, ``|r| <= ln(2) / 2``; ``exp(r)`` is a
  degree-6 polynomial (Cephes ``expf``) and ``2^n`` is written straight into the exponent bits;
* ``erf(x) = x * P(x^2) / Q(x^2)`` on ``[-4, 4]`` (outside it erf is +-1 in float32), the
  rational approximation of Eigen and XLA.

Both are accurate to a few units in the last place of float32, like PyTorch's own. float64
calls the C library (``math.exp``, ``math.erf``): correct to the last bit, the accuracy
gradcheck needs. GELU's ``approximate='tanh'`` uses PyTorch's formula through
``(1 + tanh(u)) / 2 = sigmoid(2u)``, which needs only ``exp``.

ndarrays in, ndarrays out (never a Tensor); the wrappers validate the dtype and make the
arrays contiguous before the jitted call, because Numba does no bounds checks. Debug the
loops in plain Python with ``NUMBA_DISABLE_JIT=1``.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from .._dtype import FLOAT_NUMPY_DTYPES

__all__ = ["gelu", "gelu_backward", "sigmoid", "sigmoid_backward", "relu", "relu_backward"]

# ---------------------------------------------------------------------------------------
# scalar building blocks (inlined into the loops)
# ---------------------------------------------------------------------------------------
@intrinsic
def _float32_from_bits(typingctx, bits):
    """The float32 whose IEEE-754 bit pattern is the int32 ``bits`` (a free register move)."""
    if bits != types.int32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


_F32 = np.float32
_LOG2E, _LN2_HI, _LN2_LO = _F32(1.44269504088896341), _F32(0.693359375), _F32(-2.12194440e-4)
_EXP_P = (_F32(1.9875691500e-4), _F32(1.3981999507e-3), _F32(8.3334519073e-3),
          _F32(4.1665795894e-2), _F32(1.6666665459e-1), _F32(5.0000001201e-1))
_EXP_HI, _EXP_LO = _F32(89.0), _F32(-88.0)     # 2^n becomes inf above, 0 below
_ERF_ALPHA = (_F32(-2.72614225801306e-10), _F32(2.77068142495902e-08), _F32(-2.10102402082508e-06),
              _F32(-5.69250639462346e-05), _F32(-7.34990630326855e-04),
              _F32(-2.95459980854025e-03), _F32(-1.60960333262415e-02))
_ERF_BETA = (_F32(-1.45660718464996e-05), _F32(-2.13374055278905e-04),
             _F32(-1.68282697438203e-03), _F32(-7.37332916720468e-03),
             _F32(-1.42647390514189e-02))
_ONE32, _HALF32, _ZERO32, _FOUR32 = _F32(1.0), _F32(0.5), _F32(0.0), _F32(4.0)


@njit(cache=True, error_model="numpy")
def _exp_f32(x):
    """exp(x) for a float32 x: 2^n * exp(r), r = x - n ln2 (ln2 split in two for accuracy)."""
    x = _EXP_HI if x > _EXP_HI else x
    x = _EXP_LO if x < _EXP_LO else x
    n = np.floor(x * _LOG2E + _HALF32)
    r = x - n * _LN2_HI - n * _LN2_LO
    p = _EXP_P[0]
    p = p * r + _EXP_P[1]
    p = p * r + _EXP_P[2]
    p = p * r + _EXP_P[3]
    p = p * r + _EXP_P[4]
    p = p * r + _EXP_P[5]
    p = p * r * r + r + _ONE32                                   # exp(r)
    two_n = _float32_from_bits(np.int32((np.int32(n) + 127) << 23))   # 2^n, exponent bits
    return p * two_n


@njit(cache=True, error_model="numpy")
def _erf_f32(x):
    """erf(x) for a float32 x: x * P(x^2) / Q(x^2) on [-4, 4] (erf is +-1 beyond)."""
    x = _FOUR32 if x > _FOUR32 else x
    x = -_FOUR32 if x < -_FOUR32 else x
    x2 = x * x
    a, b = _ERF_ALPHA, _ERF_BETA
    p = (((((a[0] * x2 + a[1]) * x2 + a[2]) * x2 + a[3]) * x2 + a[4]) * x2 + a[5]) * x2 + a[6]
    q = (((b[0] * x2 + b[1]) * x2 + b[2]) * x2 + b[3]) * x2 + b[4]
    return x * p / q


def _exp(x):
    """exp in x's precision (the loops call this; @overload picks the version by type)."""


def _erf(x):
    """erf in x's precision."""


@overload(_exp)
def _exp_impl(x):
    if x == types.float32:
        return lambda x: _exp_f32(x)
    return lambda x: math.exp(x)


@overload(_erf)
def _erf_impl(x):
    if x == types.float32:
        return lambda x: _erf_f32(x)
    return lambda x: math.erf(x)


_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_C = 0.044715


# ---------------------------------------------------------------------------------------
# the loops: 1-d contiguous arrays of one dtype, one thread (a vectorised pass over a
# layer's activations is shorter than waking a second thread); float32 data in float32
# ---------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "nsz"})
def _gelu_forward(x, out):
    """out = x * Phi(x) = x (1 + erf(x / sqrt(2))) / 2."""
    one, half, k_erf = x.dtype.type(1.0), x.dtype.type(0.5), x.dtype.type(_INV_SQRT_2)
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = v * half * (one + _erf(v * k_erf))


@njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "nsz"})
def _gelu_backward(g, x, grad):
    """grad = g * (Phi(x) + x phi(x))."""
    one, half = x.dtype.type(1.0), x.dtype.type(0.5)
    k_erf, k_pdf = x.dtype.type(_INV_SQRT_2), x.dtype.type(_INV_SQRT_2PI)
    for i in range(x.shape[0]):
        v = x[i]
        grad[i] = g[i] * (half * (one + _erf(v * k_erf)) + v * k_pdf * _exp(-half * v * v))


@njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "nsz"})
def _gelu_tanh_forward(x, out):
    """out = x (1 + tanh u) / 2 = x sigmoid(2u),  u = sqrt(2/pi) (x + 0.044715 x^3)."""
    one, k_2u, k_c = x.dtype.type(1.0), x.dtype.type(2 * _SQRT_2_OVER_PI), x.dtype.type(_GELU_TANH_C)
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = v / (one + _exp(-k_2u * (v + k_c * v * v * v)))


@njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "nsz"})
def _gelu_tanh_backward(g, x, grad):
    """grad = g * (s + x s (1 - s) 2 du/dx),  s = sigmoid(2u) = (1 + tanh u) / 2."""
    one, k_2u, k_c = x.dtype.type(1.0), x.dtype.type(2 * _SQRT_2_OVER_PI), x.dtype.type(_GELU_TANH_C)
    k_c3 = x.dtype.type(3 * _GELU_TANH_C)
    for i in range(x.shape[0]):
        v = x[i]
        s = one / (one + _exp(-k_2u * (v + k_c * v * v * v)))
        grad[i] = g[i] * (s + v * s * (one - s) * k_2u * (one + k_c3 * v * v))


@njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "nsz"})
def _sigmoid_forward(x, out):
    """out = 1 / (1 + exp(-x)); exp(-x) overflows to inf for x < -88, and 1 / inf = 0."""
    n = x.shape[0]
    one = x.dtype.type(1.0)
    for i in range(n):
        out[i] = one / (one + _exp(-x[i]))


@njit(cache=True, error_model="numpy")
def _sigmoid_backward(g, s, grad):
    """grad = g * s * (1 - s), s the saved output."""
    n = s.shape[0]
    one = s.dtype.type(1.0)
    for i in range(n):
        grad[i] = g[i] * s[i] * (one - s[i])


@njit(cache=True, error_model="numpy")
def _relu_forward(x, out):
    """out = x where x is not negative, else 0: NaN and -0.0 pass unchanged, as in PyTorch
    (a compare and a select per element, in SIMD lanes)."""
    zero = x.dtype.type(0.0)
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = zero if v < zero else v


@njit(cache=True, error_model="numpy")
def _relu_backward(g, y, grad):
    """grad = g where the output y > 0 or is NaN (PyTorch's threshold_backward: 0 where
    y <= 0), in one pass instead of a mask array and a product."""
    zero = y.dtype.type(0.0)
    for i in range(y.shape[0]):
        grad[i] = zero if y[i] <= zero else g[i]


# ---------------------------------------------------------------------------------------
# Python wrappers: validate, make contiguous 1-d views, call, reshape back
# ---------------------------------------------------------------------------------------
def _kernel_dtype(x: np.ndarray, name: str):
    """float32 and float64 run as they are; other float types (float16) run in float64."""
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"{name} kernel: expected a floating-point ndarray, got "
                        f"{type(x).__name__} of dtype {getattr(x, 'dtype', None)}")
    return x.dtype if x.dtype in FLOAT_NUMPY_DTYPES else np.dtype(np.float64)


def _flat(a: np.ndarray, dtype) -> np.ndarray:
    """A contiguous 1-d array of ``dtype`` with a's elements (a view when possible)."""
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


def _unary(kernel, x, name):
    dtype = _kernel_dtype(x, name)
    flat = _flat(x, dtype)                                       # (n,)
    out = np.empty_like(flat)
    kernel(flat, out)
    return out.reshape(x.shape).astype(x.dtype, copy=False)


def _backward(kernel, g, saved, name):
    if np.shape(g) != np.shape(saved):
        raise ValueError(f"{name} kernel: gradient of shape {np.shape(g)} for a tensor of "
                         f"shape {np.shape(saved)}")
    dtype = _kernel_dtype(saved, name)
    flat = _flat(saved, dtype)
    grad = np.empty_like(flat)
    kernel(_flat(g, dtype), flat, grad)
    return grad.reshape(saved.shape).astype(saved.dtype, copy=False)


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """GELU of every element: ``x * Phi(x)``, or PyTorch's tanh formula for 'tanh'."""
    return _unary(_gelu_tanh_forward if approximate == "tanh" else _gelu_forward, x, "GELU")


def gelu_backward(g: np.ndarray, x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """dL/dx of GELU from dL/dy ``g`` and the input ``x`` (same shape)."""
    return _backward(_gelu_tanh_backward if approximate == "tanh" else _gelu_backward, g, x,
                     "GELU")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` of every element."""
    return _unary(_sigmoid_forward, x, "sigmoid")


def sigmoid_backward(g: np.ndarray, s: np.ndarray) -> np.ndarray:
    """dL/dx of sigmoid from dL/dy ``g`` and the output ``s``: ``g * s * (1 - s)``."""
    return _backward(_sigmoid_backward, g, s, "sigmoid")


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)`` of every element (NaN stays NaN, -0.0 stays -0.0, as in PyTorch)."""
    return _unary(_relu_forward, x, "ReLU")


def relu_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dx of ReLU from dL/dy ``g`` and the output ``y``: g where y > 0 (or NaN), else 0."""
    return _backward(_relu_backward, g, y, "ReLU")
