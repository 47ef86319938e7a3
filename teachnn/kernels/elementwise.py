"""Numba kernels for elementwise activations whose NumPy form is slow: GELU.

Why a kernel
------------
NumPy has no ``erf``. Written with NumPy operations, GELU's ``x * Phi(x)`` needs a rational
approximation of erf evaluated in a dozen full-array passes (each allocating a temporary),
and was about 40x slower than PyTorch. A Numba loop visits every element once, calls the
C library's ``erf`` (``math.erf``, exact to the last bit in float64), and writes the result
straight into the output: one pass, no temporaries.

    for i in range(n):                    # x, out, cdf are 1-d views of the same shape
        v      = float64(x[i])            # computed in float64 whatever x's dtype
        cdf[i] = (1 + erf(v / sqrt(2))) / 2          # Phi(x), kept for backward
        out[i] = v * cdf[i]

Backward reuses ``Phi(x)`` and needs only one ``exp``:

    dy/dx = Phi(x) + x * phi(x),   phi(x) = exp(-x^2 / 2) / sqrt(2 pi)

The tanh approximation (``approximate='tanh'``) has its own pair of loops with the same
shape. ndarrays in, ndarrays out (never a Tensor); the Python wrappers below validate
dtype and shape and make every array contiguous before the jitted call, because Numba does
no bounds checks. For debugging a kernel in plain Python, run with ``NUMBA_DISABLE_JIT=1``.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["gelu_forward", "gelu_backward"]

_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715                       # the constant of the tanh approximation


# ---------------------------------------------------------------------------------------
# the kernels: 1-d contiguous arrays of one dtype (float32 or float64), no checks inside
# ---------------------------------------------------------------------------------------
@njit(cache=True)
def _gelu_erf_forward(x, out, cdf):
    """out = x * Phi(x), cdf = Phi(x) = (1 + erf(x / sqrt(2))) / 2.  x, out, cdf: (n,)."""
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        phi_cdf = 0.5 * (1.0 + math.erf(v / _SQRT_2))
        cdf[i] = phi_cdf
        out[i] = v * phi_cdf


@njit(cache=True)
def _gelu_erf_backward(x, cdf, grad_out, grad_in):
    """grad_in = grad_out * (Phi(x) + x * phi(x)).  All arrays: (n,)."""
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        pdf = math.exp(-0.5 * v * v) * _INV_SQRT_2PI
        grad_in[i] = grad_out[i] * (cdf[i] + v * pdf)


@njit(cache=True)
def _gelu_tanh_forward(x, out):
    """out = x/2 * (1 + tanh(u)),  u = sqrt(2/pi) * (x + 0.044715 x^3).  x, out: (n,)."""
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        t = math.tanh(_SQRT_2_OVER_PI * (v + _TANH_CUBIC * v * v * v))
        out[i] = 0.5 * v * (1.0 + t)


@njit(cache=True)
def _gelu_tanh_backward(x, grad_out, grad_in):
    """grad_in = grad_out * ((1 + t)/2 + x/2 * (1 - t^2) * du/dx),
    du/dx = sqrt(2/pi) * (1 + 3 * 0.044715 x^2).  All arrays: (n,)."""
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        t = math.tanh(_SQRT_2_OVER_PI * (v + _TANH_CUBIC * v * v * v))
        du_dx = _SQRT_2_OVER_PI * (1.0 + 3.0 * _TANH_CUBIC * v * v)
        grad_in[i] = grad_out[i] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du_dx)


# ---------------------------------------------------------------------------------------
# Python wrappers: validate, make contiguous 1-d views, call, reshape back
# ---------------------------------------------------------------------------------------
def _flat(a: np.ndarray, dtype) -> np.ndarray:
    """A contiguous 1-d array of ``dtype`` with a's elements (a view when possible)."""
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


def _kernel_dtype(x: np.ndarray):
    """float32 and float64 run as they are; other float types (float16) run in float64."""
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"GELU kernel: expected a floating-point ndarray, got "
                        f"{type(x).__name__} of dtype {getattr(x, 'dtype', None)}")
    return x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)


def gelu_forward(x: np.ndarray, approximate: str = "none"):
    """GELU of every element. Returns ``(out, cdf)``: ``out`` has x's shape and dtype;
    ``cdf`` (``Phi(x)``, flat, for :func:`gelu_backward`) is None for ``approximate='tanh'``."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    dtype = _kernel_dtype(x)
    flat = _flat(x, dtype)                                    # (n,)
    out = np.empty_like(flat)
    cdf = None
    if approximate == "none":
        cdf = np.empty_like(flat)
        _gelu_erf_forward(flat, out, cdf)
    else:
        _gelu_tanh_forward(flat, out)
    return out.reshape(x.shape).astype(x.dtype, copy=False), cdf


def gelu_backward(x: np.ndarray, grad_out: np.ndarray, cdf=None, approximate: str = "none"):
    """dL/dx of GELU from dL/dy. Shapes: x and grad_out the same; cdf as returned by
    :func:`gelu_forward` (required for ``approximate='none'``). Result: x's shape and dtype."""
    dtype = _kernel_dtype(x)
    if np.shape(grad_out) != x.shape:
        raise ValueError(f"GELU backward: grad_out has shape {np.shape(grad_out)} but x has "
                         f"shape {x.shape}; they must be equal")
    flat = _flat(x, dtype)
    g = _flat(grad_out, dtype)
    grad_in = np.empty_like(flat)
    if approximate == "none":
        if cdf is None or cdf.shape != flat.shape:
            raise ValueError("GELU backward: pass the cdf returned by gelu_forward(x)")
        _gelu_erf_backward(flat, _flat(cdf, dtype), g, grad_in)
    else:
        _gelu_tanh_backward(flat, g, grad_in)
    return grad_in.reshape(x.shape).astype(x.dtype, copy=False)
