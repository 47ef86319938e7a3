"""A BLAS matrix product, the fallback of the fused products: Intel MKL when it is
installed, else NumPy.

Reference loop: out[n, m, o] = sum over c, k of w[m, c, k] * x[n, c, o*s + k*d - p]. The
sum over (c, k) is a matrix product; the convolution makes it with its own register tiles
(tiles.py, products.py) and asks a BLAS only in two cases (plans.WeightGradStage): the
rerun of the weight gradient for inputs holding inf or NaN, and several groups whose output
channels are not whole tiles of 8. MKL was faster than NumPy's OpenBLAS on these products
(docs/performance.md) but is a large download, so it is an optional extra (``pip install -e '.[mkl]'``, x86-64 Linux and Windows). When the
``mkl`` wheel is installed, teachnn calls its ``cblas_sgemm``/``cblas_dgemm`` directly
through ``ctypes`` (which releases the GIL, so our threads run products at the same time),
with MKL switched to its sequential layer: each call runs on the calling thread, and the
convolution shares samples out among its own threads. Otherwise, or with
``TEACHNN_BLAS=numpy`` in the environment, ``np.matmul`` (NumPy's OpenBLAS) computes the
same products. Both give the same numbers up to float rounding.

``gemm`` checks every operand before the call: a BLAS, like Numba, does no bounds checks,
and wrong strides would read or write outside the arrays.
"""
from __future__ import annotations

import ctypes
import glob
import os
import sys

from contextlib import contextmanager

import numpy as np

from ..._dtype import FLOAT_NUMPY_DTYPES

__all__ = ["gemm", "backend"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112          # CBLAS enum values
_SEQUENTIAL = 1                                         # MKL_THREADING_SEQUENTIAL


def _find_mkl():
    """(cblas_sgemm, cblas_dgemm) of the MKL runtime installed beside this Python, or None."""
    if os.environ.get("TEACHNN_BLAS", "").lower() == "numpy":
        return None
    patterns = [os.path.join(sys.prefix, "lib", "libmkl_rt.so*"),                # Linux
                os.path.join(sys.prefix, "Library", "bin", "mkl_rt*.dll")]       # Windows
    for path in sorted(p for pat in patterns for p in glob.glob(pat)):
        try:
            lib = ctypes.CDLL(path)
            lib.MKL_Set_Threading_Layer.argtypes = [ctypes.c_int]
            lib.MKL_Set_Threading_Layer(_SEQUENTIAL)     # before the first product
            sgemm, dgemm = lib.cblas_sgemm, lib.cblas_dgemm
        except (OSError, AttributeError):
            continue
        i, vp = ctypes.c_int, ctypes.c_void_p
        sgemm.argtypes = [i, i, i, i, i, i, ctypes.c_float, vp, i, vp, i, ctypes.c_float, vp, i]
        dgemm.argtypes = [i, i, i, i, i, i, ctypes.c_double, vp, i, vp, i, ctypes.c_double, vp, i]
        sgemm.restype = dgemm.restype = None
        return sgemm, dgemm
    return None


_MKL = "unknown"


def backend() -> str:
    """'mkl' or 'numpy': which library computes the convolution's matrix products."""
    global _MKL
    if _MKL == "unknown":
        _MKL = _find_mkl()
    return "numpy" if _MKL is None else "mkl"


def _layout(name, m, rows, cols):
    """(transpose flag, leading dimension) of a 2-d operand for row-major CBLAS."""
    if m.shape != (rows, cols):
        raise ValueError(f"gemm: {name} has shape {m.shape}, expected {(rows, cols)}")
    item = m.itemsize
    s0, s1 = m.strides
    if (s1 == item or cols == 1) and s0 % item == 0 and s0 // item >= max(1, cols):
        return _NO_TRANS, max(1, s0 // item, cols)       # rows apart by s0: row-major
    if (s0 == item or rows == 1) and s1 % item == 0 and s1 // item >= max(1, rows):
        return _TRANS, max(1, s1 // item, rows)          # a transposed row-major matrix
    raise ValueError(f"gemm: {name} with strides {m.strides} is not a BLAS matrix")


def _address(m):
    """Memory address of m's first element (``m.ctypes.data``, without building a ctypes
    object: this runs several times per block, with other threads waiting for the GIL)."""
    return m.__array_interface__["data"][0]


def gemm(a, b, out, accumulate=False):
    """out = a @ b, or out += a @ b with ``accumulate``. 2-d ndarrays of one float dtype;
    a (M, K), b (K, N), out (M, N) with unit stride along its rows. a and b may be
    transposed views (``x.T``); nothing is copied."""
    M, K = a.shape
    N = b.shape[1]
    dtype = out.dtype
    if a.dtype != dtype or b.dtype != dtype or dtype not in FLOAT_NUMPY_DTYPES:
        raise TypeError(f"gemm: dtypes {a.dtype}, {b.dtype}, {out.dtype} must be one float type")
    if backend() == "numpy":
        if accumulate:
            out += a @ b
        else:
            np.matmul(a, b, out=out)
        return out
    ta, lda = _layout("a", a, M, K)
    tb, ldb = _layout("b", b, K, N)
    tc, ldc = _layout("out", out, M, N)
    if tc != _NO_TRANS:
        raise ValueError(f"gemm: out with strides {out.strides} must be row-major")
    if M and N:
        if K == 0 and not accumulate:
            out[...] = 0
        elif K:
            fn = _MKL[0] if dtype.type is np.float32 else _MKL[1]
            fn(_ROW_MAJOR, ta, tb, M, N, K, 1.0, _address(a), lda, _address(b), ldb,
               1.0 if accumulate else 0.0, _address(out), ldc)
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
