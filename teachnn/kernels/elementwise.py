"""Numba kernel for the one elementwise formula NumPy cannot express well: GELU's erf.

Why a kernel
------------
NumPy has no ``erf``. Written with NumPy operations, GELU's ``x * Phi(x)`` needs a rational
approximation of erf evaluated in a dozen full-array passes (each allocating a temporary),
and was about 30x slower than PyTorch. A Numba loop visits every element once, calls the
C library's ``erf`` (``math.erf``, correct to the last bit in float64), and writes the result
straight into the output: one pass, no temporaries.

    for i in range(n):                    # x, out, cdf are 1-d views of the same shape
        v      = float64(x[i])            # computed in float64 whatever x's dtype
        cdf[i] = (1 + erf(v / sqrt(2))) / 2          # Phi(x), kept for backward
        out[i] = v * cdf[i]

Everything else about GELU stays in NumPy (teachnn/nn/_functional/activation.py): the
backward ``Phi(x) + x * phi(x)`` needs only ``exp``, which NumPy runs with SIMD
instructions, several times faster than a scalar loop calling the C library; the same holds
for the ``tanh`` approximation. ndarrays in, ndarrays out (never a Tensor); the wrapper
validates the dtype and makes the array contiguous before the jitted call, because Numba
does no bounds checks. For debugging the loop in plain Python, run with
``NUMBA_DISABLE_JIT=1``.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._dtype import FLOAT_NUMPY_DTYPES

__all__ = ["gelu_erf"]

_SQRT_2 = math.sqrt(2.0)


# ---------------------------------------------------------------------------------------
# the kernel: 1-d contiguous arrays of one dtype (float32 or float64), no checks inside
# ---------------------------------------------------------------------------------------
@njit(cache=True)
def _gelu_erf_forward(x, out, cdf):
    """out = x * Phi(x), cdf = Phi(x) = (1 + erf(x / sqrt(2))) / 2.  x, out, cdf: (n,)."""
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        phi_cdf = 0.5 * (1.0 + math.erf(v / _SQRT_2))
        cdf[i] = phi_cdf
        out[i] = v * phi_cdf


# ---------------------------------------------------------------------------------------
# Python wrapper: validate, make a contiguous 1-d view, call, reshape back
# ---------------------------------------------------------------------------------------
def _flat(a: np.ndarray, dtype) -> np.ndarray:
    """A contiguous 1-d array of ``dtype`` with a's elements (a view when possible)."""
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


def _kernel_dtype(x: np.ndarray):
    """float32 and float64 run as they are; other float types (float16) run in float64."""
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"GELU kernel: expected a floating-point ndarray, got "
                        f"{type(x).__name__} of dtype {getattr(x, 'dtype', None)}")
    return x.dtype if x.dtype in FLOAT_NUMPY_DTYPES else np.dtype(np.float64)


def gelu_erf(x: np.ndarray):
    """GELU ``x * Phi(x)`` of every element, with ``Phi(x) = (1 + erf(x / sqrt(2))) / 2``.

    Returns ``(out, cdf)``, both in x's shape and dtype: the GELU values and ``Phi(x)``
    (which backward reuses). float16 input is computed through float64.
    """
    dtype = _kernel_dtype(x)
    flat = _flat(x, dtype)                                    # (n,)
    out = np.empty_like(flat)
    cdf = np.empty_like(flat)
    _gelu_erf_forward(flat, out, cdf)
    back = (lambda a: a.reshape(x.shape).astype(x.dtype, copy=False))
    return back(out), back(cdf)
