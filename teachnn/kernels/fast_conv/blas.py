"""A BLAS matrix product, the fallback of the fused products: NumPy's ``matmul`` (OpenBLAS).

Reference loop: out[n, m, o] = sum over c, k of w[m, c, k] * x[n, c, o*s + k*d - p]. The
sum over (c, k) is a matrix product; the convolution makes it with its own register tiles
(tiles.py, products.py) and asks a BLAS only in two cases (plans.WeightGradStage): the
rerun of the weight gradient for inputs holding inf or NaN, and several groups whose output
channels are not whole tiles of 8. Intel MKL was once an optional backend here; on these
products it was no faster than NumPy's OpenBLAS (docs/performance.md, 2026-12-07), so
NumPy computes them.
"""
from __future__ import annotations

import ctypes

from contextlib import contextmanager

import numpy as np

from ..._dtype import FLOAT_NUMPY_DTYPES

__all__ = ["gemm", "backend"]


def backend() -> str:
    """Which library computes the convolution's leftover matrix products: always 'numpy'."""
    return "numpy"


def gemm(a, b, out, accumulate=False):
    """out = a @ b, or out += a @ b with ``accumulate``. 2-d ndarrays of one float dtype;
    a (M, K), b (K, N), out (M, N). a and b may be transposed views (``x.T``)."""
    dtype = out.dtype
    if a.dtype != dtype or b.dtype != dtype or dtype not in FLOAT_NUMPY_DTYPES:
        raise TypeError(f"gemm: dtypes {a.dtype}, {b.dtype}, {out.dtype} must be one float type")
    with np.errstate(invalid="ignore", over="ignore"):   # inf/NaN inputs are why the rerun exists
        if accumulate:
            out += a @ b
        else:
            np.matmul(a, b, out=out)
    return out


def gemm_batched(a, b, out, accumulate=False):
    """The same for a stack of G products: a (G, M, K), b (G, K, N), out (G, M, N)."""
    for g in range(a.shape[0]):
        gemm(a[g], b[g], out[g], accumulate)
    return out


# --------------------------------------------------------------------------------------
# NumPy's OpenBLAS held to one thread (the NumPy backend's threading)
# --------------------------------------------------------------------------------------
# NumPy's OpenBLAS starts its own worker threads for a large matrix product. Our threads
# already share out the samples, so during a plan's run OpenBLAS is switched to one thread
# (its own threads on top of ours were slower). Only NumPy's bundled OpenBLAS is
# recognised; with another BLAS the plan runs on one of our threads and leaves the
# threading to that BLAS.
def _find_openblas_threads():
    """(get, set) ctypes functions of NumPy's OpenBLAS thread count, or None."""
    try:
        with open("/proc/self/maps") as maps:
            # the shared libraries loaded in this process (Linux); NumPy's is among them
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get, set_ in (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                          ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                          ("openblas_get_num_threads", "openblas_set_num_threads")):
            if hasattr(lib, get) and hasattr(lib, set_):
                getf, setf = getattr(lib, get), getattr(lib, set_)
                getf.restype, getf.argtypes = ctypes.c_int, []
                setf.restype, setf.argtypes = None, [ctypes.c_int]
                return getf, setf
    return None


_BLAS_THREADS = "unknown"      # (get, set) once looked up, None when not found


def _blas_can_be_held():
    global _BLAS_THREADS
    if _BLAS_THREADS == "unknown":
        _BLAS_THREADS = _find_openblas_threads()
    return _BLAS_THREADS is not None


@contextmanager
def _one_thread_blas():
    """Hold OpenBLAS to one thread inside the block (does nothing with another BLAS)."""
    if not _blas_can_be_held():
        yield
        return
    get, set_ = _BLAS_THREADS
    before = get()
    set_(1)
    try:
        yield
    finally:
        set_(before)
