"""The fast convolution kernels against the reference loops (teachnn/kernels/reference/conv.py).

Oracles: the reference kernels (plain loops over every output cell and kernel tap, run in
float64; they are checked themselves against PyTorch, by gradcheck and by hand examples in
test_reference_kernels.py and the parity suite under the reference tier), and the adjoint
identity <im2col(x), c> == <x, col2im(c)>. No teachnn Tensor is involved.
"""
from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from teachnn.kernels import fast_conv as K
from teachnn.kernels.fast_conv import plans
from teachnn.kernels.reference import conv as R


# ---------------------------------------------------------------------------------------
# The oracle: the reference loops, in float64
# ---------------------------------------------------------------------------------------
def _f64(a):
    return None if a is None else np.ascontiguousarray(a, dtype=np.float64)


def naive_conv3d(x, w, b, stride, pad_lr, dilation, groups):
    """conv_forward by the reference loop, in float64."""
    return R.conv_forward(_f64(x), _f64(w), _f64(b), stride, pad_lr, dilation, groups)


def naive_conv_transpose3d(x, w, b, stride, padding, dilation, groups, out_spatial):
    """conv_transpose_forward by the reference loops, in float64."""
    return R.conv_transpose_forward(_f64(x), _f64(w), _f64(b), stride, padding, dilation,
                                    groups, out_spatial)


# ---------------------------------------------------------------------------------------
# Hypothesis configurations
# ---------------------------------------------------------------------------------------
@st.composite
def conv_configs(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    Cg = draw(st.integers(1, 2))
    Og = draw(st.integers(1, 2))
    N = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(3))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(3))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(3))
    pad_lr = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(3))
    spatial = []
    for k, d, (pl, pr) in zip(kernel, dilation, pad_lr):
        span = d * (k - 1) + 1
        low = max(1, span - pl - pr)                 # kernel may equal the padded input
        spatial.append(draw(st.integers(low, low + 3)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return N, Cg * groups, Og * groups, tuple(spatial), kernel, stride, pad_lr, dilation, groups, dtype


def _arrays(seed, N, C, O, spatial, kernel, groups, dtype, transpose=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C) + spatial).astype(dtype)
    if transpose:
        w = rng.standard_normal((C, O // groups) + kernel).astype(dtype)
    else:
        w = rng.standard_normal((O, C // groups) + kernel).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    return x, w, b


def _tol(dtype):
    # float32: GEMM sums of <= 36 products of N(0,1) numbers, rounding ~1e-6 relative
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


@contextlib.contextmanager
def kernel_mode(split):
    """split=True: every loop is split over threads (threshold 0) AND each sample is done one
    output row per block (so blocks of one sample meet at their halos, and a batch smaller
    than the thread count shares out blocks); split=False: one thread, one block per sample."""
    saved = K.PARALLEL_MIN_ELEMENTS, K.BLOCK_BYTES
    K.PARALLEL_MIN_ELEMENTS, K.BLOCK_BYTES = (0, 1) if split else (1 << 62, 1 << 62)
    try:
        yield
    finally:
        K.PARALLEL_MIN_ELEMENTS, K.BLOCK_BYTES = saved


@settings(max_examples=40, deadline=None)
@given(cfg=conv_configs(), seed=st.integers(0, 2**16), parallel=st.booleans())
def test_conv_forward_matches_reference_loops(cfg, seed, parallel):
    N, C, O, spatial, kernel, stride, pad_lr, dilation, groups, dtype = cfg
    x, w, b = _arrays(seed, N, C, O, spatial, kernel, groups, dtype)
    with kernel_mode(parallel):
        out = K.conv_forward(x, w, b, stride, pad_lr, dilation, groups)
    expected = naive_conv3d(x.astype(np.float64), w.astype(np.float64), b, stride, pad_lr,
                            dilation, groups)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, **_tol(dtype))


@settings(max_examples=40, deadline=None)
@given(cfg=conv_configs(), seed=st.integers(0, 2**16), parallel=st.booleans())
def test_conv_backward_is_the_adjoint_of_forward(cfg, seed, parallel):
    """<conv(x, w), g> is bilinear: its derivative in x (resp. w, b) paired with any dx
    equals <conv(dx, w), g> (resp. <conv(x, dw), g>, <sum g, db>). Checked in float64, for
    the fast and the reference kernels, which must also agree entry by entry."""
    N, C, O, spatial, kernel, stride, pad_lr, dilation, groups, dtype = cfg
    x, w, b = _arrays(seed, N, C, O, spatial, kernel, groups, np.float64)
    out = K.conv_forward(x, w, None, stride, pad_lr, dilation, groups)
    rng = np.random.default_rng(seed + 1)
    g = rng.standard_normal(out.shape)
    dx = rng.standard_normal(x.shape)
    dw = rng.standard_normal(w.shape)
    for tier in (K, R):
        with kernel_mode(parallel):
            gx, gw, gb = tier.conv_backward(g, x, w, stride, pad_lr, dilation, groups)
        lhs_x = np.vdot(tier.conv_forward(dx, w, None, stride, pad_lr, dilation, groups), g)
        lhs_w = np.vdot(tier.conv_forward(x, dw, None, stride, pad_lr, dilation, groups), g)
        np.testing.assert_allclose(np.vdot(gx, dx), lhs_x, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(np.vdot(gw, dw), lhs_w, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(gb, g.sum(axis=(0, 2, 3, 4)), rtol=1e-12)
    # fast against reference in the drawn dtype
    xs, ws, gs = x.astype(dtype), w.astype(dtype), g.astype(dtype)
    with kernel_mode(parallel):
        fast = K.conv_backward(gs, xs, ws, stride, pad_lr, dilation, groups)
    for got, want in zip(fast, R.conv_backward(gs, xs, ws, stride, pad_lr, dilation, groups)):
        assert got.dtype == want.dtype == dtype
        np.testing.assert_allclose(got, want, **_tol(dtype))


@settings(max_examples=30, deadline=None)
@given(cfg=conv_configs(), seed=st.integers(0, 2**16), data=st.data(), split=st.booleans())
def test_conv_transpose_matches_reference_loops(cfg, seed, data, split):
    N, C, O, spatial, kernel, stride, _, dilation, groups, dtype = cfg
    padding = tuple(data.draw(st.integers(0, 1)) for _ in range(3))
    out_pad = tuple(data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    out_spatial = tuple((L - 1) * s - 2 * p + d * (k - 1) + op + 1 for L, s, p, d, k, op in
                        zip(spatial, stride, padding, dilation, kernel, out_pad))
    if min(out_spatial) < 1:
        return
    x, w, b = _arrays(seed, N, C, O, spatial, kernel, groups, dtype, transpose=True)
    with kernel_mode(split):
        out = K.conv_transpose_forward(x, w, b, stride, padding, dilation, groups, out_spatial)
    expected = naive_conv_transpose3d(x.astype(np.float64), w.astype(np.float64), b, stride,
                                      padding, dilation, groups, out_spatial)
    np.testing.assert_allclose(out, expected, **_tol(dtype))
    # its backward is conv's forward (and the weight/bias sums): check the adjoint identity
    rng = np.random.default_rng(seed + 2)
    g = rng.standard_normal(out.shape).astype(dtype)
    with kernel_mode(split):
        gx, gw, gb = K.conv_transpose_backward(g, x, w, stride, padding, dilation, groups)
    x64, w64, g64 = x.astype(np.float64), w.astype(np.float64), g.astype(np.float64)
    dx = rng.standard_normal(x.shape)
    dw = rng.standard_normal(w.shape)
    lhs_x = np.vdot(K.conv_transpose_forward(dx, w64, None, stride, padding, dilation, groups,
                                             out_spatial), g64)
    lhs_w = np.vdot(K.conv_transpose_forward(x64, dw, None, stride, padding, dilation, groups,
                                             out_spatial), g64)
    tol = 1e-3 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(np.vdot(gx.astype(np.float64), dx), lhs_x, rtol=tol, atol=tol)
    np.testing.assert_allclose(np.vdot(gw.astype(np.float64), dw), lhs_w, rtol=tol, atol=tol)
    np.testing.assert_allclose(gb, g.sum(axis=(0, 2, 3, 4)), rtol=tol, atol=tol)
    # and entry by entry against the reference loops
    ref = R.conv_transpose_backward(g, x, w, stride, padding, dilation, groups)
    for got, want in zip((gx, gw, gb), ref):
        np.testing.assert_allclose(got, want, **_tol(dtype))


def test_im2col_col2im_are_adjoint_and_match_hand_example():
    # 1 sample, 1 channel, a 1-d row [1, 2, 3, 4], kernel 2, stride 1, padding 1 on the left
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 1, 1, 4)
    col = K.im2col(x, (1, 1, 2), (1, 1, 1), (0, 0, 1), (1, 1, 1), (1, 1, 4))
    # windows: [pad, 1], [1, 2], [2, 3], [3, 4]; rows are kernel taps, columns positions
    np.testing.assert_array_equal(col, [[0, 1, 2, 3], [1, 2, 3, 4]])
    back = K.col2im(np.ones_like(col), x.shape, (1, 1, 2), (1, 1, 1), (0, 0, 1), (1, 1, 1),
                    (1, 1, 4))
    # cells 1, 2, 3 are each read by two windows, cell 4 only by the last one
    np.testing.assert_array_equal(back.ravel(), [2, 2, 2, 1])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5, 6))
    geom = ((2, 2, 3), (2, 1, 2), (1, 0, 2), (1, 2, 1))
    out_spatial = (3, 2, 4)
    col = K.im2col(x, *geom, out_spatial)
    c = rng.standard_normal(col.shape)
    np.testing.assert_allclose(np.vdot(col, c), np.vdot(x, K.col2im(c, x.shape, *geom,
                                                                     out_spatial)), rtol=1e-12)


@pytest.mark.parametrize("K", [K, R], ids=["fast", "reference"])
def test_kernels_reject_bad_arrays_before_the_jitted_call(K):
    x = np.zeros((1, 2, 1, 4, 4), np.float32)
    w = np.zeros((3, 2, 1, 3, 3), np.float32)
    pads = ((0, 0), (1, 1), (1, 1))
    with pytest.raises(TypeError, match="float32 or float64"):
        K.conv_forward(x.astype(np.int64), w, None, (1, 1, 1), pads, (1, 1, 1), 1)
    with pytest.raises(TypeError, match="dtype"):
        K.conv_forward(x, w.astype(np.float64), None, (1, 1, 1), pads, (1, 1, 1), 1)
    with pytest.raises(ValueError, match="C-contiguous"):
        K.conv_forward(x[..., ::2], w, None, (1, 1, 1), pads, (1, 1, 1), 1)
    with pytest.raises(ValueError, match="input channels"):
        K.conv_forward(np.zeros((1, 3, 1, 4, 4), np.float32), w, None, (1, 1, 1), pads,
                       (1, 1, 1), 1)
    with pytest.raises(ValueError, match="does not fit"):
        K.conv_forward(np.zeros((1, 2, 1, 1, 1), np.float32), w, None, (1, 1, 1),
                       ((0, 0),) * 3, (1, 1, 1), 1)
    with pytest.raises(ValueError, match="stride"):
        K.conv_forward(x, w, None, (1, 0, 1), pads, (1, 1, 1), 1)
    with pytest.raises(ValueError, match="col has shape"):
        K.col2im(np.zeros((5, 5), np.float32), x.shape, (1, 3, 3), (1, 1, 1), (0, 1, 1),
                 (1, 1, 1), (1, 4, 4))
    with pytest.raises(ValueError, match="does not match"):
        K.conv_transpose_forward(x, np.zeros((2, 3, 1, 3, 3), np.float32), None, (1, 1, 1),
                                 (0, 0, 0), (1, 1, 1), 1, (1, 3, 3))


def test_sweep_restores_blas_threads_and_agrees_across_thread_splits():
    """The sweep holds OpenBLAS to one thread while our threads run, and must give it back
    unchanged; the result must not depend on how samples and blocks were shared out
    (whole samples per thread, blocks of one sample per thread, one thread)."""
    rng = np.random.default_rng(7)
    w = rng.standard_normal((6, 4, 1, 3, 3))
    blas = K._find_openblas_threads()
    before = blas[0]() if blas else None
    pads = ((0, 0), (1, 1), (1, 1))
    for N in (1, 3):
        x = rng.standard_normal((N, 4, 1, 9, 7))
        g = rng.standard_normal((N, 6, 1, 9, 7))
        results = []
        for split in (False, True):
            with kernel_mode(split):
                out = K.conv_forward(x, w, None, (1, 1, 1), pads, (1, 1, 1), 1)
                results.append((out,) + K.conv_backward(g, x, w, (1, 1, 1), pads, (1, 1, 1), 1))
        for a, b in zip(*results):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        expected = naive_conv3d(x, w, None, (1, 1, 1), pads, (1, 1, 1), 1)
        np.testing.assert_allclose(results[1][0], expected, rtol=1e-12, atol=1e-12)
    if blas:
        assert blas[0]() == before


@pytest.mark.parametrize("transpose", [False, True])
def test_weight_gradient_with_inf_and_nan_inputs_matches_reference_loops(transpose):
    """The sweep computes a few "wide" columns past the end of each output row and drops
    them; their products with the zero rows of the gradient must not turn an inf in the
    input into NaN where the true sum is +-inf (0 * inf = NaN). The reference loops in
    float64 (which never touch a padding cell) give the exact IEEE pattern of inf, -inf
    and NaN."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 2, 1, 5, 6))
    x[0, 1, 0, 2, 0] = np.inf            # first column: read by wide columns of the row above
    x[1, 0, 0, 4, 5] = -np.inf
    x[1, 1, 0, 0, 3] = np.nan
    pads = ((0, 0), (1, 1), (1, 1))
    if not transpose:
        w = rng.standard_normal((3, 2, 1, 3, 3))
        g = rng.standard_normal((2, 3, 1, 5, 6))
        _, gw, _ = K.conv_backward(g, x, w, (1, 1, 1), pads, (1, 1, 1), 1)
        expected = R.conv_backward(g, x, w, (1, 1, 1), pads, (1, 1, 1), 1)[1]
    else:
        # conv_transpose's weight gradient reads grad_out through the windows: put the
        # non-finite values in grad_out (the "big" side) instead
        w = rng.standard_normal((3, 2, 1, 3, 3))
        xs = rng.standard_normal((2, 3, 1, 5, 6))
        g = x
        _, gw, _ = K.conv_transpose_backward(g, xs, w, (1, 1, 1), (0, 1, 1), (1, 1, 1), 1)
        expected = R.conv_transpose_backward(g, xs, w, (1, 1, 1), (0, 1, 1), (1, 1, 1), 1)[1]
    assert not np.isfinite(expected).all()
    np.testing.assert_allclose(gw, expected, rtol=1e-12, atol=1e-12)   # same inf/NaN pattern


def naive_depthwise_grad_x(g, w, x_shape, pads):
    """grad_x of a stride-1 depthwise convolution (groups = channels) by the reference loop."""
    x = np.zeros(x_shape)
    return R.conv_backward(_f64(g), x, _f64(w), (1, 1, 1), pads, (1, 1, 1), x_shape[1],
                           need_w=False, need_b=False)[0]


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("need_x, need_w", [(True, True), (True, False), (False, True),
                                            (False, False)])
def test_bias_gradient_for_every_choice_of_gradients(split, need_x, need_w):
    """The bias gradient is summed inside the sweep while grad_out's rows are copied (from
    the weight-gradient pass, else the input-gradient pass, else by NumPy). Every path must
    give the float64 sum of grad_out over samples and positions, and the other gradients
    must not change with it (grad_x is no longer zeroed first: every cell is written)."""
    rng = np.random.default_rng(11)
    pads = ((0, 0), (1, 1), (2, 2))
    # two groups (the sweep), and depthwise (one input channel per group: depthwise.py's
    # kernels, both gradients in one parallel pass)
    for C, O, G in ((4, 6, 2), (4, 8, 4)):
        for N in (1, 3):
            x = rng.standard_normal((N, C, 1, 6, 7)).astype(np.float32)
            w = rng.standard_normal((O, C // G, 1, 3, 4)).astype(np.float32)
            g = (rng.standard_normal((N, O, 1, 6, 8)) * 100).astype(np.float32)
            with kernel_mode(split):
                gx, gw, gb = K.conv_backward(g, x, w, (1, 1, 1), pads, (1, 1, 1), G,
                                             need_x, need_w, True)
                full = K.conv_backward(g, x, w, (1, 1, 1), pads, (1, 1, 1), G)
            assert gb.dtype == np.float32
            np.testing.assert_allclose(gb, g.astype(np.float64).sum(axis=(0, 2, 3, 4)),
                                       rtol=1e-6, atol=1e-4)
            assert (gx is None) == (not need_x) and (gw is None) == (not need_w)
            if need_x:
                np.testing.assert_array_equal(gx, full[0])
            if need_w:
                np.testing.assert_array_equal(gw, full[1])
            if G == C:
                np.testing.assert_allclose(full[0], naive_depthwise_grad_x(g, w, x.shape, pads),
                                           rtol=1e-4, atol=1e-2)


@pytest.mark.parametrize("split", [False, True])
def test_bias_gradient_keeps_inf_and_nan(split):
    """IEEE sums: a row with +inf gives +inf, +inf and -inf together give NaN, NaN stays."""
    x = np.ones((2, 3, 1, 4, 4))
    w = np.ones((4, 3, 1, 3, 3))
    g = np.ones((2, 4, 1, 4, 4))
    g[0, 0, 0, 1, 2] = np.inf
    g[1, 1, 0, 0, 0], g[0, 1, 0, 3, 3] = np.inf, -np.inf
    g[1, 2, 0, 2, 1] = np.nan
    with kernel_mode(split), np.errstate(invalid="ignore"):   # inf - inf is meant here
        _, _, gb = K.conv_backward(g, x, w, (1, 1, 1), ((0, 0), (1, 1), (1, 1)), (1, 1, 1), 1)
    assert gb[0] == np.inf and np.isnan(gb[1]) and np.isnan(gb[2]) and gb[3] == 32.0


# ---------------------------------------------------------------------------------------
# The register-tile products (tiles.py) on layers large enough to use all of their parts
# ---------------------------------------------------------------------------------------
def reference_conv3d_and_grads(x, w, g, stride, pad_lr, dilation, groups):
    """Forward, grad_x and grad_w in float64 by the reference loops."""
    out = naive_conv3d(x, w, None, stride, pad_lr, dilation, groups)
    gx, gw, _ = R.conv_backward(_f64(g), _f64(x), _f64(w), stride, pad_lr, dilation, groups,
                                need_b=False)
    return out, gx, gw


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [
    # 2-d, C/G*K = 216 > KC: the sum over k in two pieces; 20 outputs: rows padded to 24
    dict(x=(3, 24, 1, 13, 13), O=20, kernel=(1, 3, 3), stride=(1, 1, 1),
         pad=((0, 0), (1, 1), (1, 1)), dilation=(1, 1, 1), groups=1),
    # groups, each padded from 10 to 16 rows; stride 2 (phases)
    dict(x=(2, 48, 1, 17, 15), O=20, kernel=(1, 3, 3), stride=(1, 2, 2),
         pad=((0, 0), (1, 1), (2, 1)), dilation=(1, 1, 1), groups=2),
    # 3-d: a panel's columns cross output planes and samples (runs), dilation
    dict(x=(2, 8, 5, 6, 7), O=16, kernel=(3, 3, 3), stride=(1, 1, 1),
         pad=((1, 1), (0, 1), (1, 1)), dilation=(1, 2, 1), groups=1),
    # 200 outputs: col2im's product sums over 200 > KC rows of grad_out
    dict(x=(2, 4, 1, 9, 50), O=200, kernel=(1, 3, 3), stride=(1, 1, 1),
         pad=((0, 0), (1, 1), (1, 1)), dilation=(1, 1, 1), groups=1),
    # groups of 8 outputs: the weight gradient's tiles per group; a 1-d dilated layer
    dict(x=(3, 16, 1, 1, 70), O=16, kernel=(1, 1, 5), stride=(1, 1, 1),
         pad=((0, 0), (0, 0), (3, 1)), dilation=(1, 1, 2), groups=2),
])
def test_tiled_products_match_reference_on_large_layers(case, dtype, split):
    """Forward (_gather_gemm), grad_x and conv_transpose (_gemm_scatter) and grad_w
    (_wgrad_tiles) on layers that use every part of the tiles: sums cut into KC pieces,
    padded row tiles, groups, whole panels and panels made of several runs, both dtypes,
    one block per sample and one output row per block on several threads."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(case["x"]).astype(dtype)
    C, O, G = case["x"][1], case["O"], case["groups"]
    w = rng.standard_normal((O, C // G) + case["kernel"]).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    geo = (case["stride"], case["pad"], case["dilation"], G)
    with kernel_mode(split):
        out = K.conv_forward(x, w, b, *geo)
    g = rng.standard_normal(out.shape).astype(dtype)
    ref, gx_ref, gw_ref = reference_conv3d_and_grads(x.astype(np.float64), w.astype(np.float64),
                                                 g.astype(np.float64), *geo)
    # float32: sums of up to 216 products of N(0, 1) numbers (size ~15), rounding ~1e-6 each
    tol = dict(rtol=1e-4, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(out, ref + b.reshape(1, -1, 1, 1, 1), **tol)
    with kernel_mode(split):
        gx, gw, _ = K.conv_backward(g, x, w, *geo)
        gx_only = K.conv_backward(g, x, w, *geo, need_w=False)[0]
    np.testing.assert_allclose(gx, gx_ref, **tol)
    # (grad_w sums over every sample and position: entries ~30, so a larger atol)
    np.testing.assert_allclose(gw, gw_ref, rtol=tol["rtol"], atol=tol["atol"] * 50)
    np.testing.assert_array_equal(gx_only, gx)
    if G == 1 and case["stride"] == (1, 1, 1):
        # conv_transpose of g with w is conv's grad_x (when the padding is symmetric)
        pads = tuple(p for p, _ in case["pad"])
        if all(p == q for p, q in case["pad"]):
            with kernel_mode(split):
                ct = K.conv_transpose_forward(g, w, None, (1, 1, 1), pads, case["dilation"], 1,
                                              x.shape[2:])
            np.testing.assert_allclose(ct, gx_ref, **tol)


def _layer_and_reference(case, stride, dtype, seed):
    """A random layer of ``case`` (x, w, grad_out g, geometry) and the reference loops's
    grad_x and grad_w in float64, with the tolerances for ``dtype``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case["x"]).astype(dtype)
    C, O, G = case["x"][1], case["O"], case["groups"]
    w = rng.standard_normal((O, C // G) + case["kernel"]).astype(dtype)
    geo = (stride, case["pad"], case["dilation"], G)
    g_shape = (x.shape[0], O) + K._out_sizes(x.shape[2:], case["kernel"], *geo[:3])
    g = rng.standard_normal(g_shape).astype(dtype)
    _, gx_ref, gw_ref = reference_conv3d_and_grads(x.astype(np.float64), w.astype(np.float64),
                                               g.astype(np.float64), *geo)
    tol = dict(rtol=1e-4, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    return x, w, g, geo, gx_ref, gw_ref, tol


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [
    # 2-d 'same' padding: grad_x by the convolution with the turned weight
    dict(x=(2, 32, 1, 9, 11), O=24, kernel=(1, 3, 3), pad=((0, 0), (1, 1), (1, 1)),
         dilation=(1, 1, 1), groups=1),
    # groups of 32 input channels; even kernel, asymmetric padding ('same' for k=4)
    dict(x=(3, 64, 1, 7, 8), O=16, kernel=(1, 4, 4), pad=((0, 0), (1, 2), (2, 1)),
         dilation=(1, 1, 1), groups=2),
    # 1-d dilated, and 3-d
    dict(x=(2, 40, 1, 1, 30), O=8, kernel=(1, 1, 3), pad=((0, 0), (0, 0), (2, 2)),
         dilation=(1, 1, 2), groups=1),
    dict(x=(1, 32, 4, 5, 6), O=8, kernel=(3, 3, 3), pad=((1, 1), (1, 1), (1, 1)),
         dilation=(1, 1, 1), groups=1),
])
def test_grad_x_as_a_convolution_with_the_turned_weight(case, dtype, monkeypatch):
    """With stride 1 conv_backward makes grad_x as a convolution of grad_out with the
    weight's channels swapped and taps reversed, padded by d*(k-1) - p. Oracle: the
    reference loops; the test also checks that this route was taken."""
    calls = []
    flipped = K._flipped_weight
    monkeypatch.setattr(K, "_flipped_weight", lambda w, G: calls.append(G) or flipped(w, G))
    x, w, g, geo, gx_ref, gw_ref, tol = _layer_and_reference(case, (1, 1, 1), dtype, 11)
    G = geo[3]
    for split in (False, True):
        with kernel_mode(split):
            gx, gw, gb = K.conv_backward(g, x, w, *geo)
            gx_only, _, gb_only = K.conv_backward(g, x, w, *geo, need_w=False)
        np.testing.assert_allclose(gx, gx_ref, **tol)
        np.testing.assert_allclose(gx_only, gx_ref, **tol)
        np.testing.assert_allclose(gw, gw_ref, rtol=tol["rtol"], atol=tol["atol"] * 50)
        np.testing.assert_allclose(gb, g.astype(np.float64).sum(axis=(0, 2, 3, 4)), **tol)
        np.testing.assert_allclose(gb_only, gb, **tol)
    assert calls == [G] * 4


def test_grad_x_keeps_col2im_where_the_turned_convolution_does_not_apply():
    """A stride, a padding beyond the kernel's reach, few input channels, or a grad_x with
    more positions than grad_out (no padding): col2im, still against the reference."""
    assert K._adjoint_padding((1, 3, 3), (1, 2, 1), ((0, 0), (1, 1), (1, 1)), (1, 1, 1)) is None
    assert K._adjoint_padding((1, 1, 3), (1, 1, 1), ((0, 0), (0, 0), (3, 0)), (1, 1, 1)) is None
    assert K._adjoint_padding((1, 3, 3), (1, 1, 1), ((0, 0), (1, 1), (0, 2)), (1, 1, 2)) == (
        (0, 0), (1, 1), (4, 2))
    rng = np.random.default_rng(5)
    for xs, kernel, pad in (((2, 32, 1, 8, 8), (1, 3, 3), ((0, 0), (0, 0), (0, 0))),
                            ((2, 16, 1, 8, 8), (1, 3, 3), ((0, 0), (1, 1), (1, 1)))):
        x = rng.standard_normal(xs)
        w = rng.standard_normal((8, xs[1]) + kernel)
        geo = ((1, 1, 1), pad, (1, 1, 1), 1)
        g = rng.standard_normal((2, 8) + K._out_sizes(xs[2:], kernel, *geo[:3]))
        gx = K.conv_backward(g, x, w, *geo)[0]
        np.testing.assert_allclose(gx, reference_conv3d_and_grads(x, w, g, *geo)[1], rtol=1e-10,
                                   atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [
    # 32 output channels, stride 2 (phases), C/G*K = 400: not whole tiles of 12 col rows
    dict(x=(3, 16, 1, 13, 12), O=32, kernel=(1, 5, 5), stride=(1, 2, 2),
         pad=((0, 0), (2, 2), (2, 1)), dilation=(1, 1, 1), groups=1),
    # 40 channels padded to whole panels; 3-d: the block's runs end with planes and samples
    dict(x=(3, 6, 5, 6, 7), O=40, kernel=(3, 3, 2), stride=(1, 1, 1),
         pad=((1, 1), (0, 1), (1, 0)), dilation=(2, 1, 1), groups=1),
    # two groups of 32 output channels
    dict(x=(2, 16, 1, 9, 10), O=64, kernel=(1, 3, 3), stride=(1, 1, 1),
         pad=((0, 0), (1, 1), (1, 1)), dilation=(1, 1, 1), groups=2),
])
def test_weight_gradient_with_grad_out_turned_round(case, dtype, monkeypatch):
    """With 32 output channels or more per group (16 in float64), the weight gradient is made
    by _wgrad_cols: col's rows read as numbers where they lie in the phases, grad_out turned
    round. Oracle: the reference loops; the test checks that the route was taken."""
    calls = []
    cols = plans.weight_grad_col_in_place
    monkeypatch.setattr(plans, "weight_grad_col_in_place", lambda *a: calls.append(1) or cols(*a))
    x, w, g, geo, gx_ref, gw_ref, tol = _layer_and_reference(case, case["stride"], dtype, 13)
    for split in (False, True):
        with kernel_mode(split):
            gx, gw, gb = K.conv_backward(g, x, w, *geo)
            gw_only = K.conv_backward(g, x, w, *geo, need_x=False)[1]
        np.testing.assert_allclose(gw, gw_ref, rtol=tol["rtol"], atol=tol["atol"] * 50)
        np.testing.assert_array_equal(gw_only, gw)
        np.testing.assert_allclose(gx, gx_ref, **tol)
        np.testing.assert_allclose(gb, g.astype(np.float64).sum(axis=(0, 2, 3, 4)), **tol)
    assert calls


def test_transposed_weight_gradient_with_many_input_channels_is_the_adjoint():
    """conv_transpose's weight gradient sums over x's rows (here 32 channels: _wgrad_cols).
    Oracle: the bilinear identity <grad_w, dw> = <g, conv_transpose(x, dw)> for a random dw."""
    rng = np.random.default_rng(17)
    x = rng.standard_normal((2, 32, 1, 5, 6))
    w = rng.standard_normal((32, 8, 1, 4, 4))
    geo = ((1, 2, 2), (0, 1, 1), (1, 1, 1), 1)
    out_spatial = (1, 10, 12)
    g = rng.standard_normal((2, 8) + out_spatial)
    for split in (False, True):
        with kernel_mode(split):
            _, gw, _ = K.conv_transpose_backward(g, x, w, *geo)
            dw = rng.standard_normal(w.shape)
            ct = K.conv_transpose_forward(x, dw, None, *geo, out_spatial)
        np.testing.assert_allclose(np.vdot(gw, dw), np.vdot(g, ct), rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("W, kw, pw, sw", [
    (64, 4, (1, 1), 2),  # odd padding: x's pairs (2j, 2j + 1) land in phases 1 and 0
    (64, 5, (2, 2), 2),  # even padding: phases 0 and 1
    (67, 3, (0, 3), 2),  # odd width: the last column one by one; uneven padding
    (70, 2, (3, 0), 2),  # the last columns of x are read by no window
    (33, 1, (0, 0), 2),  # just over one vector of pairs in float64, under it in float32
    (40, 4, (3, 3), 3),  # stride 3 (one phase at a time), padding 3: phase 0 from t = 1
    (64, 5, (4, 1), 3),
])
def test_strided_phases_of_wide_rows(W, kw, pw, sw, dtype):
    """Strides along the rows: _gather splits each row of x into its column phases and
    _scatter merges them back; with stride 2, a vector of pairs at a time (_deinterleave,
    _interleave) and the rest one by one. Oracle: the reference loops for the
    forward (which reads the phases) and grad_x (which comes out of _scatter), one block
    per sample and several threads."""
    case = dict(x=(3, 5, 1, 3, W), O=6, kernel=(1, 2, kw), pad=((0, 0), (0, 1), pw),
                dilation=(1, 1, 1), groups=1)
    x, w, g, geo, gx_ref, gw_ref, tol = _layer_and_reference(case, (1, 1, sw), dtype, 23)
    ref = reference_conv3d_and_grads(x.astype(np.float64), w.astype(np.float64),
                                 g.astype(np.float64), *geo)[0]
    for split in (False, True):
        with kernel_mode(split):
            out = K.conv_forward(x, w, None, *geo)
            gx, gw, _ = K.conv_backward(g, x, w, *geo, need_b=False)
        np.testing.assert_allclose(out, ref, **tol)
        np.testing.assert_allclose(gx, gx_ref, **tol)
        np.testing.assert_allclose(gw, gw_ref, rtol=tol["rtol"], atol=tol["atol"] * 50)
