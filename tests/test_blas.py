"""teachnn.kernels.fast_conv.blas: the fallback matrix products behind convolution (NumPy's
OpenBLAS). Oracle: NumPy's own matmul in float64, and the naive convolution loops of
test_conv_kernels.py."""
from __future__ import annotations

import numpy as np
import pytest

from teachnn.kernels.fast_conv import blas
from teachnn.kernels import fast_conv as K

from tests.test_conv_kernels import naive_conv3d


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_matches_numpy_for_plain_transposed_and_strided_operands(dtype):
    assert blas.backend() == "numpy"
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 5)).astype(dtype)
    b = rng.standard_normal((5, 9)).astype(dtype)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    out = np.empty((7, 9), dtype)
    np.testing.assert_allclose(blas.gemm(a, b, out), expected, **tol)
    # transposed views (as the weight gradient passes them) and a strided output block
    at = np.ascontiguousarray(a.T).T
    bt = np.ascontiguousarray(b.T).T
    big = np.full((7, 20), 5.0, dtype)
    blas.gemm(at, bt, big[:, 3:12])
    np.testing.assert_allclose(big[:, 3:12], expected, **tol)
    assert (big[:, :3] == 5).all() and (big[:, 12:] == 5).all()      # nothing outside
    # accumulate: out += a @ b
    acc = np.ones((7, 9), dtype)
    blas.gemm(a, b, acc, accumulate=True)
    np.testing.assert_allclose(acc, expected + 1, **tol)


def test_gemm_refuses_mixed_dtypes():
    a = np.zeros((4, 6), np.float32)
    with pytest.raises(TypeError, match="one float type"):
        blas.gemm(a, np.zeros((6, 2), np.float64), np.zeros((4, 2), np.float32))


def test_convolution_through_the_blas_fallback_matches_naive_loops():
    """Forward and both gradients through the sweep, threads and all, against naive loops
    (forward) and against float64 finite sums (the adjoint identity) for the gradients."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 1, 9, 8))
    w = rng.standard_normal((6, 2, 1, 3, 3))                  # groups=2
    pads = ((0, 0), (1, 1), (2, 0))
    saved = K.PARALLEL_MIN_ELEMENTS
    K.PARALLEL_MIN_ELEMENTS = 0                               # use the thread pool too
    openblas = K._find_openblas_threads()
    before = openblas[0]() if openblas else None
    try:
        out = K.conv_forward(x, w, None, (1, 2, 1), pads, (1, 1, 2), 2)
        g = rng.standard_normal(out.shape)
        gx, gw, _ = K.conv_backward(g, x, w, (1, 2, 1), pads, (1, 1, 2), 2)
        dx, dw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
        lhs_x = np.vdot(K.conv_forward(dx, w, None, (1, 2, 1), pads, (1, 1, 2), 2), g)
        lhs_w = np.vdot(K.conv_forward(x, dw, None, (1, 2, 1), pads, (1, 1, 2), 2), g)
    finally:
        K.PARALLEL_MIN_ELEMENTS = saved
    if openblas:     # the NumPy path holds OpenBLAS to one thread, then gives it back
        assert openblas[0]() == before
    np.testing.assert_allclose(out, naive_conv3d(x, w, None, (1, 2, 1), pads, (1, 1, 2), 2),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.vdot(gx, dx), lhs_x, rtol=1e-10)
    np.testing.assert_allclose(np.vdot(gw, dw), lhs_w, rtol=1e-10)
