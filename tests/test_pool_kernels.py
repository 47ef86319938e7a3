"""Pooling kernels (teachnn/kernels/pool.py) against naive reference loops.

The references below are plain NumPy loops written without teachnn.geometry: they pad the
input explicitly and look at every window cell, so they are an independent oracle for the
window tables *and* the Numba kernels. Other pooling test files import them.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from teachnn import geometry
from teachnn.kernels import pool as K


# ----------------------------------------------------------------------- naive references
def ref_out_size(L, k, s, p, d=1, ceil_mode=False):
    """PyTorch's pooling output size, written out again from its documentation."""
    span = d * (k - 1) + 1
    if ceil_mode:
        out = math.ceil((L + 2 * p - span) / s) + 1
        if (out - 1) * s >= L + p:        # last window must start inside input/left pad
            out -= 1
    else:
        out = math.floor((L + 2 * p - span) / s) + 1
    return out


def _grid(spatial, kernel, stride, pad, dil, ceil_mode):
    outs = [ref_out_size(L, k, s, p, d, ceil_mode)
            for L, k, s, p, d in zip(spatial, kernel, stride, pad, dil)]
    return outs


def ref_max_pool(x, kernel, stride, pad, dil, ceil_mode=False):
    """x (P, *S) with len(S) = n -> (out, flat indices) by brute force (NaN-free input)."""
    n = len(kernel)
    spatial = x.shape[1:]
    outs = _grid(spatial, kernel, stride, pad, dil, ceil_mode)
    out = np.empty((x.shape[0], *outs), dtype=x.dtype)
    idx = np.empty((x.shape[0], *outs), dtype=np.int64)
    for p in range(x.shape[0]):
        for o in np.ndindex(*outs):
            best, best_at = -np.inf, None
            # every tap of the window, in row-major order
            for taps in np.ndindex(*kernel):
                pos = [o[a] * stride[a] - pad[a] + taps[a] * dil[a] for a in range(n)]
                if all(0 <= pos[a] < spatial[a] for a in range(n)):
                    v = x[(p, *pos)]
                    flat = int(np.ravel_multi_index(pos, spatial))
                    if best_at is None or v > best:
                        best, best_at = v, flat
            if best_at is None:
                # a dilated window that skips the whole input: PyTorch reports -inf at the
                # flat position of the first tap at or after 0 on every axis
                first = [next(o[a] * stride[a] - pad[a] + j * dil[a] for j in range(kernel[a])
                              if o[a] * stride[a] - pad[a] + j * dil[a] >= 0) for a in range(n)]
                best_at = 0
                for a in range(n):
                    best_at = best_at * spatial[a] + first[a]
            out[(p, *o)] = best
            idx[(p, *o)] = best_at
    return out, idx


def ref_avg_pool(x, kernel, stride, pad, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
    """Average pooling by brute force: a padded copy plus masks of 'real' and 'padded' cells."""
    n = len(kernel)
    spatial = x.shape[1:]
    outs = _grid(spatial, kernel, stride, pad, (1,) * n, ceil_mode)
    out = np.empty((x.shape[0], *outs), dtype=np.float64)
    for p in range(x.shape[0]):
        for o in np.ndindex(*outs):
            total, real, padded = 0.0, 0, 0
            for taps in np.ndindex(*kernel):
                pos = [o[a] * stride[a] - pad[a] + taps[a] for a in range(n)]
                if all(0 <= pos[a] < spatial[a] for a in range(n)):
                    total += x[(p, *pos)]
                    real += 1
                if all(-pad[a] <= pos[a] < spatial[a] + pad[a] for a in range(n)):
                    padded += 1       # inside the input or its padding (not beyond)
            divisor = divisor_override or (padded if count_include_pad else real)
            out[(p, *o)] = total / divisor if real else 0.0
    return out.astype(x.dtype)


def ref_adaptive(x, out_sizes, reduce):
    """Adaptive pooling by brute force: window i = [floor(i*L/O), ceil((i+1)*L/O))."""
    n = len(out_sizes)
    spatial = x.shape[1:]
    out = np.empty((x.shape[0], *out_sizes), dtype=x.dtype)
    idx = np.empty((x.shape[0], *out_sizes), dtype=np.int64)
    for p in range(x.shape[0]):
        for o in np.ndindex(*out_sizes):
            sl = []
            for a in range(n):
                start = math.floor(o[a] * spatial[a] / out_sizes[a])
                end = math.ceil((o[a] + 1) * spatial[a] / out_sizes[a])
                sl.append(slice(start, end))
            block = x[(p, *sl)]
            if reduce == "max":
                local = np.unravel_index(int(np.argmax(block)), block.shape)   # first max
                pos = [sl[a].start + local[a] for a in range(n)]
                out[(p, *o)] = block[local]
                idx[(p, *o)] = np.ravel_multi_index(pos, spatial)
            else:
                out[(p, *o)] = block.mean()
    return out, idx


def as3(x, n):
    """(P, *S) -> (P, 1.., *S) with 3 spatial axes, as the functional layer does."""
    return np.ascontiguousarray(x.reshape(x.shape[0], *(1,) * (3 - n), *x.shape[1:]))


def axes_for(spatial, kernel, stride, pad, dil, ceil_mode):
    axes = [K.pool_windows(L, k, s, p, d, ceil_mode)
            for L, k, s, p, d in zip(spatial, kernel, stride, pad, dil)]
    dummy = K.pool_windows(1, 1, 1, 0, 1, False)
    return tuple([dummy] * (3 - len(axes)) + axes)


# ----------------------------------------------------------------------- window tables
def test_pool_windows_follow_geometry_and_clip_padding():
    # L=5, k=3, s=2, p=1: windows [-1,0,1], [1,2,3], [3,4,5] -> inside [0,2), [1,4), [3,5)
    w = K.pool_windows(5, 3, 2, 1, 1, False)
    assert w.lo.tolist() == [0, 1, 3]
    assert w.hi.tolist() == [2, 4, 5]
    assert w.count.tolist() == [2, 3, 2]
    assert w.count_with_pad.tolist() == [3, 3, 3]
    for o in range(w.out_size):
        inside = [t for t in geometry.window(o, 3, 2, 1, 1) if 0 <= t < 5]
        assert list(range(w.lo[o], w.hi[o], w.step)) == inside


def test_ceil_mode_window_counts_only_up_to_padded_edge():
    # L=5, k=2, s=2, p=0, ceil: windows [0,1], [2,3], [4,5]; cell 5 is beyond the input and
    # beyond the (zero) padding, so even count_include_pad divides the last window by 1
    w = K.pool_windows(5, 2, 2, 0, 1, True)
    assert w.out_size == 3
    assert w.count.tolist() == [2, 2, 1]
    assert w.count_with_pad.tolist() == [2, 2, 1]


def test_adaptive_windows_are_pytorchs_ranges():
    w = K.adaptive_windows(5, 3)
    assert list(zip(w.lo.tolist(), w.hi.tolist())) == [(0, 2), (1, 4), (3, 5)]
    w = K.adaptive_windows(2, 5)           # O > L: windows repeat cells
    assert list(zip(w.lo.tolist(), w.hi.tolist())) == [(0, 1), (0, 1), (0, 2), (1, 2), (1, 2)]


# ----------------------------------------------------------------------- kernels vs loops
@st.composite
def pool_config(draw, max_dim=3):
    n = draw(st.integers(1, max_dim))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(n))
    pad = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = tuple(draw(st.integers(1, 2)) for _ in range(n))
    ceil_mode = draw(st.booleans())
    spatial = tuple(draw(st.integers(d * (k - 1) + 1 - 2 * p if d * (k - 1) + 1 - 2 * p > 0
                                     else 1, 7))
                    for k, p, d in zip(kernel, pad, dil))
    planes = draw(st.integers(1, 3))
    return n, planes, spatial, kernel, stride, pad, dil, ceil_mode


@settings(max_examples=40, deadline=None)
@given(cfg=pool_config(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 99))
def test_max_pool_kernel_matches_naive_loops(cfg, dtype, seed):
    n, planes, spatial, kernel, stride, pad, dil, ceil_mode = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((planes, *spatial)).astype(dtype)
    ref_out, ref_idx = ref_max_pool(x, kernel, stride, pad, dil, ceil_mode)
    out, idx = K.max_pool_forward(as3(x, n), axes_for(spatial, kernel, stride, pad, dil, ceil_mode))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.reshape(ref_out.shape), ref_out)
    np.testing.assert_array_equal(idx.reshape(ref_idx.shape), ref_idx)

    # backward: scatter-add of the output gradient to the winners, checked by a plain loop
    g = rng.standard_normal(out.shape).astype(dtype)
    grad = K.max_pool_backward(g, idx, as3(x, n).shape[1:])
    expected = np.zeros(int(np.prod(spatial)), dtype=np.float64)
    for p in range(planes):
        exp_p = np.zeros_like(expected)
        for gv, iv in zip(g[p].ravel(), idx[p].ravel()):
            if iv < exp_p.size:         # an all-padding window's index may point past the plane
                exp_p[iv] += gv
        np.testing.assert_allclose(grad[p].ravel(), exp_p, rtol=1e-6, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(cfg=pool_config(), include_pad=st.booleans(), override=st.sampled_from([None, 1, 3]),
       seed=st.integers(0, 99))
def test_avg_pool_kernel_matches_naive_loops(cfg, include_pad, override, seed):
    n, planes, spatial, kernel, stride, pad, _, ceil_mode = cfg
    dil = (1,) * n
    spatial = tuple(max(L, k) for L, k in zip(spatial, kernel))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((planes, *spatial))
    axes = axes_for(spatial, kernel, stride, pad, dil, ceil_mode)
    out = K.avg_pool_forward(as3(x, n), axes, include_pad, override)
    ref = ref_avg_pool(x, kernel, stride, pad, ceil_mode, include_pad, override)
    np.testing.assert_allclose(out.reshape(ref.shape), ref, rtol=1e-12, atol=1e-12)

    # backward is the adjoint of forward: <avg(x), g> == <x, avg_backward(g)> for all x, g
    g = rng.standard_normal(out.shape)
    gx = K.avg_pool_backward(g, axes, include_pad, override)
    np.testing.assert_allclose(np.sum(out * g), np.sum(as3(x, n) * gx), rtol=1e-10)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 3), data=st.data(), seed=st.integers(0, 99))
def test_adaptive_kernels_match_naive_loops(n, data, seed):
    spatial = tuple(data.draw(st.integers(1, 7)) for _ in range(n))
    outs = tuple(data.draw(st.integers(1, 9)) for _ in range(n))   # smaller, equal, larger
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, *spatial))
    axes = tuple([K.adaptive_windows(1, 1)] * (3 - n) +
                 [K.adaptive_windows(L, o) for L, o in zip(spatial, outs)])
    ref_max, ref_idx = ref_adaptive(x, outs, "max")
    ref_avg, _ = ref_adaptive(x, outs, "avg")
    out, idx = K.max_pool_forward(as3(x, n), axes)
    np.testing.assert_array_equal(out.reshape(ref_max.shape), ref_max)
    np.testing.assert_array_equal(idx.reshape(ref_idx.shape), ref_idx)
    avg = K.avg_pool_forward(as3(x, n), axes, False, None)
    np.testing.assert_allclose(avg.reshape(ref_avg.shape), ref_avg, rtol=1e-12)


def test_max_pool_ties_pick_first_and_nan_propagates():
    # window of 5 over [1, nan, 3, nan, 2]: PyTorch reports the *last* NaN (index 3),
    # because "v > best or isnan(v)" keeps replacing while NaNs appear
    x = np.array([[[[1.0, np.nan, 3.0, np.nan, 2.0]]]])
    out, idx = K.max_pool_forward(x, axes_for((1, 1, 5), (1, 1, 5), (1, 1, 5), (0, 0, 0),
                                              (1, 1, 1), False))
    assert np.isnan(out[0, 0, 0, 0]) and idx[0, 0, 0, 0] == 3
    # ties: [2, 2, 1, 2] with k=4 -> first 2 (index 0)
    x = np.array([[[[2.0, 2.0, 1.0, 2.0]]]])
    out, idx = K.max_pool_forward(x, axes_for((1, 1, 4), (1, 1, 4), (1, 1, 4), (0, 0, 0),
                                              (1, 1, 1), False))
    assert out[0, 0, 0, 0] == 2.0 and idx[0, 0, 0, 0] == 0
    # all -inf: value -inf, index = first real cell of the window (PyTorch: [0, 1, 3])
    x = np.full((1, 1, 1, 4), -np.inf)
    out, idx = K.max_pool_forward(x, axes_for((1, 1, 4), (1, 1, 2), (1, 1, 2), (0, 0, 1),
                                              (1, 1, 1), False))
    assert idx.ravel().tolist() == [0, 1, 3] and np.all(out == -np.inf)


def test_unpool_scatter_and_gather_by_hand():
    x = np.array([[[[5.0, 7.0]]]])
    idx = np.array([[[[1, 2]]]])
    out = K.max_unpool_forward(x, idx, (1, 1, 4))
    assert out.ravel().tolist() == [0.0, 5.0, 7.0, 0.0]
    g = np.array([[[[10.0, 20.0, 30.0, 40.0]]]])
    assert K.max_unpool_backward(g, idx).ravel().tolist() == [20.0, 30.0]


def test_wrappers_reject_what_numba_would_not_check():
    x = np.zeros((1, 1, 1, 4))
    axes = axes_for((1, 1, 4), (1, 1, 2), (1, 1, 2), (0, 0, 0), (1, 1, 1), False)
    with pytest.raises(ValueError, match="size 4"):
        K.max_pool_forward(np.zeros((1, 1, 1, 5)), axes)
    with pytest.raises(TypeError, match="float32 or float64"):
        K.max_pool_forward(x.astype(np.int64), axes)
    with pytest.raises(ValueError, match="contiguous"):
        K.max_pool_forward(np.zeros((1, 1, 1, 8))[..., ::2], axes)
    with pytest.raises(ValueError, match="step 1"):
        K.avg_pool_forward(x, axes_for((1, 1, 4), (1, 1, 2), (1, 1, 1), (0, 0, 0), (1, 1, 2), False))
    with pytest.raises(IndexError, match=r"\[0, 4\)"):
        K.max_unpool_forward(np.ones((1, 1, 1, 2)), np.array([[[[0, 4]]]]), (1, 1, 4))
    # max-pool backward skips indices outside the plane (all-padding windows) safely
    g = K.max_pool_backward(np.array([[[[1.0, 2.0, 3.0]]]]), np.array([[[[-1, 4, 1]]]]), (1, 1, 4))
    assert g.ravel().tolist() == [0.0, 3.0, 0.0, 0.0]
    with pytest.raises(TypeError, match="int64"):
        K.max_pool_backward(np.ones((1, 1, 1, 2)), np.array([[[[0, 1]]]], dtype=np.int32), (1, 1, 4))


def test_split_over_threads_gives_the_same_result(monkeypatch):
    """Large inputs are split into pieces of planes run on several threads: force the
    split on a small input and compare with the one-thread run, bit for bit."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 1, 6, 5))
    axes = axes_for((1, 6, 5), (1, 3, 2), (1, 2, 1), (0, 1, 1), (1, 1, 1), True)
    g = rng.standard_normal((7, 1) + tuple(a.out_size for a in axes[1:]))

    def run_all():
        out, idx = K.max_pool_forward(x, axes)
        return [out, idx, K.max_pool_backward(g, idx, (1, 6, 5)),
                K.avg_pool_forward(x, axes, True, None), K.avg_pool_backward(g, axes, False, 3),
                K.max_unpool_forward(g, idx, (1, 6, 5)), K.max_unpool_backward(x, idx)]

    single = run_all()
    monkeypatch.setattr(K, "PARALLEL_MIN_ELEMENTS", 0)
    monkeypatch.setattr(K.numba, "get_num_threads", lambda: 3)   # 3 uneven pieces of 7
    split = run_all()
    for a, b in zip(single, split):
        np.testing.assert_array_equal(a, b)


def _general_avg_backward(g, axes, count_include_pad, override):
    """The general (zero-then-add) backward kernel, called directly: the oracle of the
    tiled fast path."""
    ranges, counts = K._tables(axes, count_include_pad)
    P = g.shape[0]
    spatial = tuple(a.in_size for a in axes)
    ref = np.full((P, int(np.prod(spatial))), np.nan, dtype=g.dtype)
    K._avg_pool_backward_range(g.reshape(P, -1), ref, spatial[1], spatial[2], *ranges,
                               *counts, 0 if override is None else override, 0, P)
    return ref.reshape((P,) + spatial)


@settings(max_examples=30, deadline=None)
@given(spatial=st.tuples(st.integers(1, 5), st.integers(1, 9), st.integers(1, 9)),
       kernel=st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4)),
       override=st.sampled_from([None, 1, 3]), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 99))
def test_avg_backward_tiled_fast_path_equals_general_kernel(spatial, kernel, override, dtype,
                                                            seed):
    # stride == kernel, no padding: windows tile the input (leftover cells get 0)
    kernel = tuple(min(k, L) for k, L in zip(kernel, spatial))
    axes = tuple(K.pool_windows(L, k, k) for L, k in zip(spatial, kernel))
    assert K._tiled_kernel(axes, K._tables(axes, True)[1]) == kernel
    g = np.random.default_rng(seed).standard_normal(
        (3,) + tuple(a.out_size for a in axes)).astype(dtype)
    fast = K.avg_pool_backward(g, axes, True, override)
    np.testing.assert_array_equal(fast, _general_avg_backward(g, axes, True, override))


def test_tiled_detection_rejects_overlap_padding_and_uneven_adaptive():
    t = K._tables
    assert K._tiled_kernel([K.pool_windows(1, 1, 1)] * 2 + [K.pool_windows(8, 3, 2)],
                           t([K.pool_windows(8, 3, 2)] * 3, True)[1]) is None      # overlap
    padded = [K.pool_windows(1, 1, 1)] * 2 + [K.pool_windows(8, 2, 2, 1)]
    assert K._tiled_kernel(padded, t(padded, True)[1]) is None
    assert K._tiled_kernel(padded, t(padded, False)[1]) is None
    uneven = [K.adaptive_windows(1, 1)] * 2 + [K.adaptive_windows(14, 5)]
    assert K._tiled_kernel(uneven, t(uneven)[1]) is None
    even = [K.adaptive_windows(1, 1), K.adaptive_windows(14, 1), K.adaptive_windows(14, 7)]
    assert K._tiled_kernel(even, t(even)[1]) == (1, 14, 2)
    # adaptive (1) backward: every cell gets g / (H*W); compare with the general kernel
    g = np.random.default_rng(1).standard_normal((4, 1, 1, 7)).astype(np.float32)
    np.testing.assert_array_equal(K.avg_pool_backward(g, even, False),
                                  _general_avg_backward(g, even, False, None))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spatial", [(1, 1, 1), (1, 14, 14), (3, 5, 7)])
def test_global_average_fast_path_forward_and_backward(spatial, dtype):
    # one window covering the whole plane (adaptive_avg_pool(x, 1)): plain sum / size
    rng = np.random.default_rng(7)
    axes = tuple(K.adaptive_windows(L, 1) for L in spatial)
    x = rng.standard_normal((5,) + spatial).astype(dtype)
    for override in (None, 4):
        out = K.avg_pool_forward(x, axes, True, override)
        divisor = override or int(np.prod(spatial))
        ref = [math.fsum(plane.astype(np.float64).ravel()) / divisor for plane in x]
        tol = 1e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(out.reshape(5), ref, rtol=tol, atol=tol)
        assert out.shape == (5, 1, 1, 1) and out.dtype == dtype
        g = rng.standard_normal((5, 1, 1, 1)).astype(dtype)
        np.testing.assert_array_equal(K.avg_pool_backward(g, axes, True, override),
                                      _general_avg_backward(g, axes, True, override))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_select_rule_with_nans_ties_and_infs(dtype):
    # the kernel picks with branch-free selects; check its rule "greater, or NaN" cell by
    # cell against a plain-Python loop on data full of ties, NaNs and infinities
    rng = np.random.default_rng(3)
    x = rng.choice(np.array([0.0, 1.0, 1.0, 2.0, np.nan, -np.inf, np.inf]),
                   size=(4, 1, 9, 10)).astype(dtype)
    for k, s, p in [(2, 2, 0), (3, 2, 1), (3, 1, 1)]:
        axes = axes_for((1, 9, 10), (1, k, k), (1, s, s), (0, p, p), (1, 1, 1), False)
        out, idx = K.max_pool_forward(x, axes)
        for q in range(4):
            for oh in range(out.shape[2]):
                for ow in range(out.shape[3]):
                    best, best_at = -np.inf, None
                    for h in range(oh * s - p, oh * s - p + k):
                        for w in range(ow * s - p, ow * s - p + k):
                            if 0 <= h < 9 and 0 <= w < 10:
                                v = x[q, 0, h, w]
                                if best_at is None:
                                    best_at = h * 10 + w        # first real cell
                                if v > best or math.isnan(v):
                                    best, best_at = v, h * 10 + w
                    got = out[q, 0, oh, ow]
                    assert (np.isnan(got) and np.isnan(best)) or got == best
                    assert idx[q, 0, oh, ow] == best_at
