"""The depthwise range kernels (teachnn/kernels/fast_conv/depthwise.py) called directly,
against naive loops written here.

Oracles: plain Python loops over every output cell and tap, with the bounds tested
cell by cell (the kernels instead pad into a scratch plane and run each tap as one
shifted loop over a "grid", so a wrong grid length, tap offset or stride mapping shows
up as a mismatch); the adjoint identities <fwd(x), g> == <x, grad_x(g)> == <w, grad_w>.
Outputs start as NaN, so a cell the kernels forget to write fails the test. Every call
is split into two ranges [0, m) and [m, end), as the thread pool would split it.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, strategies as st

from teachnn.kernels.fast_conv import depthwise as DW


def naive_depthwise(x, w, geom):
    """out (N, G*Og, oD, oH, oW) by one output cell at a time, float64:

        out[n, oc, i, j, k] = sum_{a,b,e} w[oc, 0, a, b, e] * x[n, oc // Og, i*sd + a*dd - pd,
                                                                 j*sh + b*dh - ph, k*sw + e*dw - pw]
    with x = 0 outside its plane."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, G, D, H, W = x.shape
    O = w.shape[0]
    Og = O // G
    oD = (D + 2 * pd - dd * (kd - 1) - 1) // sd + 1
    oH = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    oW = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, O, oD, oH, oW))
    for n, oc, i, j, k in itertools.product(range(N), range(O), range(oD), range(oH), range(oW)):
        total = 0.0
        for a, b, e in itertools.product(range(kd), range(kh), range(kw)):
            z, y, c = i * sd + a * dd - pd, j * sh + b * dh - ph, k * sw + e * dw - pw
            if 0 <= z < D and 0 <= y < H and 0 <= c < W:
                total += float(w[oc, 0, a, b, e]) * float(x[n, oc // Og, z, y, c])
        out[n, oc, i, j, k] = total
    return out


def naive_grads(g_out, x, w, geom):
    """(grad_x, grad_w) of naive_depthwise by scattering every product back, float64."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, G, D, H, W = x.shape
    O = w.shape[0]
    Og = O // G
    gx = np.zeros(x.shape)
    gw = np.zeros(w.shape)
    _, _, oD, oH, oW = g_out.shape
    for n, oc, i, j, k in itertools.product(range(N), range(O), range(oD), range(oH), range(oW)):
        for a, b, e in itertools.product(range(kd), range(kh), range(kw)):
            z, y, c = i * sd + a * dd - pd, j * sh + b * dh - ph, k * sw + e * dw - pw
            if 0 <= z < D and 0 <= y < H and 0 <= c < W:
                go = float(g_out[n, oc, i, j, k])
                gx[n, oc // Og, z, y, c] += go * float(w[oc, 0, a, b, e])
                gw[oc, 0, a, b, e] += go * float(x[n, oc // Og, z, y, c])
    return gx, gw


def run_kernels(x, w, g_out, geom, bias=None):
    """The three kernels, each over its items in two pieces, into NaN-filled outputs:
    (out, grad_x, grad_w, grad_bias (float64, summed by the weight kernel))."""
    N, G = x.shape[:2]
    O = w.shape[0]
    out = np.full((N, O) + g_out.shape[2:], np.nan, dtype=x.dtype)
    gx = np.full(x.shape, np.nan, dtype=x.dtype)
    gw = np.full(w.shape, np.nan, dtype=x.dtype)
    gb = np.full(O, np.nan)
    layout = DW.dw_layout(geom, g_out.shape[2:])
    b = w.reshape(-1) if bias is None else bias      # (any array of the dtype when unused)
    for kernel, args, n_items in (
            (DW._dw_forward_range, (x, w, b, bias is not None, out, geom, *layout), N * G),
            (DW._dw_grad_input_range, (g_out, w, gx, geom, *layout), N * G),
            (DW._dw_grad_weight_range, (g_out, x, gw, gb, True, geom, *layout), O)):
        m = n_items // 2
        kernel(*args, 0, m)
        kernel(*args, m, n_items)
    return out, gx, gw, gb


def make_case(rng, shape, Og, kernel, stride, pad, dilation, dtype):
    """Random x (N, G, D, H, W), w (G*Og, 1, kd, kh, kw), geom, and a random g_out of the
    output's shape (from the naive loops)."""
    N, G = shape[:2]
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((G * Og, 1) + tuple(kernel)).astype(dtype)
    geom = tuple(kernel) + tuple(stride) + tuple(pad) + tuple(dilation)
    ref = naive_depthwise(x, w, geom)
    g_out = rng.standard_normal(ref.shape).astype(dtype)
    return x, w, geom, ref, g_out


def check_against_naive(x, w, geom, ref, g_out):
    bias = np.linspace(-1.5, 2.0, w.shape[0]).astype(x.dtype)
    out, gx, gw, gb = run_kernels(x, w, g_out, geom, bias)
    ref_gx, ref_gw = naive_grads(g_out, x, w, geom)
    tol = dict(rtol=1e-10, atol=1e-10) if x.dtype == np.float64 else dict(rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out, ref + bias.reshape(1, -1, 1, 1, 1), **tol)
    np.testing.assert_allclose(gx, ref_gx, **tol)
    np.testing.assert_allclose(gw, ref_gw, **tol)
    np.testing.assert_allclose(gb, g_out.astype(np.float64).sum(axis=(0, 2, 3, 4)), **tol)
    return out, gx, gw


# name, (N, G, D, H, W), Og, kernel, stride, padding, dilation
CASES = [
    ("2-d k3 p1 (the benchmark's shape, small)", (2, 3, 1, 6, 7), 1, (1, 3, 3), (1, 1, 1),
     (0, 1, 1), (1, 1, 1)),
    ("2-d k3 s2 p1 (MobileNet's downsampling)", (2, 2, 1, 7, 8), 1, (1, 3, 3), (1, 2, 2),
     (0, 1, 1), (1, 1, 1)),
    ("2-d unequal strides and dilations", (1, 2, 1, 9, 8), 1, (1, 3, 2), (1, 2, 3),
     (0, 2, 1), (1, 2, 1)),
    ("2-d channel multiplier Og=2", (2, 3, 1, 5, 5), 2, (1, 2, 3), (1, 1, 1),
     (0, 0, 1), (1, 1, 1)),
    ("1-d dilated", (3, 2, 1, 1, 11), 1, (1, 1, 3), (1, 1, 1), (0, 0, 2), (1, 1, 2)),
    ("3-d k3 p1", (1, 2, 4, 5, 6), 1, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1)),
    ("3-d stride 2 Og=2", (1, 2, 5, 5, 5), 2, (2, 2, 2), (2, 2, 2), (1, 0, 1), (1, 1, 1)),
    # floored output: the last input column and row are read by no window (gx must be 0
    # there, and the padded plane is smaller than the padded input)
    ("2-d floored output", (2, 2, 1, 7, 7), 1, (1, 2, 2), (1, 2, 2), (0, 0, 0), (1, 1, 1)),
    # padding wider than the kernel reach: edge outputs read only zeros
    ("2-d padding beyond the kernel", (1, 2, 1, 3, 4), 1, (1, 1, 2), (1, 1, 1), (0, 2, 3),
     (1, 1, 1)),
    ("1x1 kernel", (2, 3, 1, 4, 4), 1, (1, 1, 1), (1, 1, 1), (0, 0, 0), (1, 1, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_kernels_match_naive_loops(case, dtype):
    _, shape, Og, kernel, stride, pad, dilation = case
    rng = np.random.default_rng(len(case[0]))
    check_against_naive(*make_case(rng, shape, Og, kernel, stride, pad, dilation, dtype))


@given(data=st.data())
def test_kernels_match_naive_loops_on_drawn_geometries(data):
    dims = data.draw(st.sampled_from([1, 2, 3]), label="spatial dims")
    kernel, stride, pad, dilation, spatial = [], [], [], [], []
    for axis in range(3):
        if axis < 3 - dims:                             # unused leading axis: size 1
            k, s, p, d, size = 1, 1, 0, 1, 1
        else:
            k, s = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
            p, d = data.draw(st.integers(0, 2)), data.draw(st.integers(1, 2))
            # at least one window must fit: size + 2p >= d*(k-1) + 1
            size = max(data.draw(st.integers(1, 7)), d * (k - 1) + 1 - 2 * p, 1)
        for lst, v in zip((kernel, stride, pad, dilation, spatial), (k, s, p, d, size)):
            lst.append(v)
    N, G = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))
    Og = data.draw(st.integers(1, 2))
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    check_against_naive(*make_case(rng, (N, G) + tuple(spatial), Og, kernel, stride, pad,
                                   dilation, dtype))


def test_gradient_kernels_are_the_adjoint_of_forward():
    """<fwd(x), g> == <x, grad_x(g)> == <w, grad_w(g, x)>: the three kernels describe one
    bilinear form (an oracle independent of the naive loops), float64."""
    rng = np.random.default_rng(0)
    x, w, geom, _, g_out = make_case(rng, (2, 3, 3, 6, 7), 2, (2, 3, 2), (1, 2, 1),
                                     (1, 1, 0), (2, 1, 2), np.float64)
    out, gx, gw, _ = run_kernels(x, w, g_out, geom)
    form = np.vdot(out, g_out)
    np.testing.assert_allclose(np.vdot(x, gx), form, rtol=1e-12)
    np.testing.assert_allclose(np.vdot(w, gw), form, rtol=1e-12)


@pytest.mark.parametrize("kernel", [(1, 1, 2), (1, 2, 2), (1, 3, 3)], ids=["K=2", "K=4", "K=9"])
def test_inf_in_the_input_reaches_only_the_windows_that_read_it(kernel):
    """The taps are added three at a time; when K is not a multiple of 3 the missing taps
    have weight 0 and must read zeros: were they to read the plane, 0 * inf = NaN would
    appear in windows that never touch the inf cell. Oracle: the naive loops (which skip
    cells outside every window), and the weight gradient's row of the inf cell."""
    rng = np.random.default_rng(7)
    x, w, geom, _, g_out = make_case(rng, (1, 2, 1, 5, 6), 1, kernel, (1, 1, 1), (0, 1, 1),
                                     (1, 1, 1), np.float64)
    x[0, 1, 0, 2, 3] = np.inf
    ref = naive_depthwise(x, w, geom)
    out, gx, _, _ = run_kernels(x, w, g_out, geom)
    np.testing.assert_array_equal(np.isfinite(out), np.isfinite(ref))
    assert np.isfinite(out[0, 0]).all() and not np.isfinite(out[0, 1]).all()
    finite = np.isfinite(ref)
    np.testing.assert_allclose(out[finite], ref[finite], rtol=1e-12)
    np.testing.assert_allclose(gx, naive_grads(g_out, x, w, geom)[0], rtol=1e-12)
