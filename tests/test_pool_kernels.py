"""The fast pooling kernels (teachnn/kernels/pool.py) against the reference loops
(teachnn/kernels/reference/pool.py), and the window tables against the formulas.

Both tiers read the same window tables, so the tables get their own oracle here: PyTorch's
formulas written out again from its documentation, without teachnn.geometry. The
reference loops are checked themselves against PyTorch, by gradcheck and by hand examples
(test_reference_kernels.py and the parity suite under the reference tier). Other pooling
test files import ``ref_max_pool``, ``ref_avg_pool`` and ``ref_adaptive``.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from teachnn import geometry
from teachnn.kernels import pool as K
from teachnn.kernels.reference import pool as R


# ----------------------------------------------------------------------- the oracles
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


def as3(x, n):
    """(P, *S) -> (P, 1.., *S) with 3 spatial axes, as the functional layer does."""
    return np.ascontiguousarray(x.reshape(x.shape[0], *(1,) * (3 - n), *x.shape[1:]))


def axes_for(spatial, kernel, stride, pad, dil, ceil_mode):
    axes = [K.pool_windows(L, k, s, p, d, ceil_mode)
            for L, k, s, p, d in zip(spatial, kernel, stride, pad, dil)]
    dummy = K.pool_windows(1, 1, 1, 0, 1, False)
    return tuple([dummy] * (3 - len(axes)) + axes)


def _planes_out(x, out, n):
    """(P, 1.., *O) -> (P, *O): drop the size-1 axes as3 added."""
    return out.reshape((x.shape[0],) + out.shape[4 - n:])


def ref_max_pool(x, kernel, stride, pad, dil, ceil_mode=False):
    """x (P, *S) with len(S) = n -> (out, flat indices) by the reference loop."""
    n = len(kernel)
    out, idx = R.max_pool_forward(as3(x, n), axes_for(x.shape[1:], kernel, stride, pad, dil,
                                                      ceil_mode))
    return _planes_out(x, out, n), _planes_out(x, idx, n)


def ref_avg_pool(x, kernel, stride, pad, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
    """x (P, *S) -> average pooling by the reference loop."""
    n = len(kernel)
    axes = axes_for(x.shape[1:], kernel, stride, pad, (1,) * n, ceil_mode)
    return _planes_out(x, R.avg_pool_forward(as3(x, n), axes, count_include_pad,
                                             divisor_override), n)


def ref_adaptive(x, out_sizes, reduce):
    """x (P, *S) -> adaptive max (values, indices) or average (values, None) by the
    reference loops."""
    n = len(out_sizes)
    axes = tuple([K.adaptive_windows(1, 1)] * (3 - n) +
                 [K.adaptive_windows(L, o) for L, o in zip(x.shape[1:], out_sizes)])
    if reduce == "max":
        out, idx = R.max_pool_forward(as3(x, n), axes)
        return _planes_out(x, out, n), _planes_out(x, idx, n)
    return _planes_out(x, R.avg_pool_forward(as3(x, n), axes, False, None), n), None


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


@settings(max_examples=60, deadline=None)
@given(L=st.integers(1, 9), k=st.integers(1, 4), s=st.integers(1, 3), d=st.integers(1, 3),
       ceil_mode=st.booleans(), data=st.data())
def test_pool_windows_match_the_formulas_written_out(L, k, s, d, ceil_mode, data):
    """Every table entry against PyTorch's definitions spelled out here: output size,
    window o's taps o*s - p + j*d, the ones inside [0, L), and the cells counted by
    count_include_pad (inside [-p, L + p))."""
    p = data.draw(st.integers(0, k // 2))
    if d * (k - 1) + 1 > L + 2 * p:
        return
    w = K.pool_windows(L, k, s, p, d, ceil_mode)
    assert w.out_size == ref_out_size(L, k, s, p, d, ceil_mode)
    for o in range(w.out_size):
        taps = [o * s - p + j * d for j in range(k)]
        inside = [t for t in taps if 0 <= t < L]
        assert list(range(w.lo[o], w.hi[o], w.step)) == inside
        assert w.count[o] == len(inside)
        assert w.count_with_pad[o] == len([t for t in taps if -p <= t < L + p])
    for O in range(1, 2 * L + 2):
        a = K.adaptive_windows(L, O)
        assert [(int(a.lo[i]), int(a.hi[i])) for i in range(O)] == [
            (math.floor(i * L / O), math.ceil((i + 1) * L / O)) for i in range(O)]


# ------------------------------------------------------------- fast kernels vs the reference
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
def test_max_pool_kernel_matches_reference_loops(cfg, dtype, seed):
    n, planes, spatial, kernel, stride, pad, dil, ceil_mode = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((planes, *spatial)).astype(dtype)
    ref_out, ref_idx = ref_max_pool(x, kernel, stride, pad, dil, ceil_mode)
    out, idx = K.max_pool_forward(as3(x, n), axes_for(spatial, kernel, stride, pad, dil, ceil_mode))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.reshape(ref_out.shape), ref_out)
    np.testing.assert_array_equal(idx.reshape(ref_idx.shape), ref_idx)

    # backward: scatter-add of the output gradient to the winners
    g = rng.standard_normal(out.shape).astype(dtype)
    grad = K.max_pool_backward(g, idx, as3(x, n).shape[1:])
    expected = R.max_pool_backward(g, idx, as3(x, n).shape[1:])
    assert grad.dtype == expected.dtype == dtype
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(cfg=pool_config(), include_pad=st.booleans(), override=st.sampled_from([None, 1, 3]),
       seed=st.integers(0, 99), dtype=st.sampled_from([np.float32, np.float64]))
def test_avg_pool_kernel_matches_reference_loops(cfg, include_pad, override, seed, dtype):
    n, planes, spatial, kernel, stride, pad, _, ceil_mode = cfg
    dil = (1,) * n
    spatial = tuple(max(L, k) for L, k in zip(spatial, kernel))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((planes, *spatial)).astype(dtype)
    axes = axes_for(spatial, kernel, stride, pad, dil, ceil_mode)
    out = K.avg_pool_forward(as3(x, n), axes, include_pad, override)
    ref = ref_avg_pool(x, kernel, stride, pad, ceil_mode, include_pad, override)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    assert out.dtype == ref.dtype == dtype
    np.testing.assert_allclose(out.reshape(ref.shape), ref, **tol)

    # backward, against the reference and as the adjoint of forward (<avg(x), g> ==
    # <x, avg_backward(g)> for all x, g; in float64)
    g = rng.standard_normal(out.shape).astype(dtype)
    gx = K.avg_pool_backward(g, axes, include_pad, override)
    np.testing.assert_allclose(gx, R.avg_pool_backward(g, axes, include_pad, override), **tol)
    x64, g64 = as3(x, n).astype(np.float64), g.astype(np.float64)
    out64 = R.avg_pool_forward(x64, axes, include_pad, override)
    np.testing.assert_allclose(np.sum(out64 * g64),
                               np.sum(x64 * R.avg_pool_backward(g64, axes, include_pad, override)),
                               rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 3), data=st.data(), seed=st.integers(0, 99))
def test_adaptive_kernels_match_reference_loops(n, data, seed):
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
    # backward of both
    g = rng.standard_normal(out.shape)
    np.testing.assert_allclose(K.max_pool_backward(g, idx, as3(x, n).shape[1:]),
                               R.max_pool_backward(g, idx, as3(x, n).shape[1:]), rtol=1e-12)
    np.testing.assert_allclose(K.avg_pool_backward(g, axes, False, None),
                               R.avg_pool_backward(g, axes, False, None), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("K", [K, R], ids=["fast", "reference"])
def test_max_pool_ties_pick_first_and_nan_propagates(K):
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


@pytest.mark.parametrize("K", [K, R], ids=["fast", "reference"])
def test_unpool_scatter_and_gather_by_hand(K):
    x = np.array([[[[5.0, 7.0]]]])
    idx = np.array([[[[1, 2]]]])
    out = K.max_unpool_forward(x, idx, (1, 1, 4))
    assert out.ravel().tolist() == [0.0, 5.0, 7.0, 0.0]
    g = np.array([[[[10.0, 20.0, 30.0, 40.0]]]])
    assert K.max_unpool_backward(g, idx).ravel().tolist() == [20.0, 30.0]


@pytest.mark.parametrize("K", [K, R], ids=["fast", "reference"])
def test_wrappers_reject_what_numba_would_not_check(K):
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
    # the fast kernel picks with branch-free selects; check its rule "greater, or NaN"
    # against the reference loop's plain `if` on data full of ties, NaNs and infinities
    rng = np.random.default_rng(3)
    x = rng.choice(np.array([0.0, 1.0, 1.0, 2.0, np.nan, -np.inf, np.inf]),
                   size=(4, 1, 9, 10)).astype(dtype)
    for k, s, p in [(2, 2, 0), (3, 2, 1), (3, 1, 1)]:
        axes = axes_for((1, 9, 10), (1, k, k), (1, s, s), (0, p, p), (1, 1, 1), False)
        out, idx = K.max_pool_forward(x, axes)
        ref_out, ref_idx = R.max_pool_forward(x, axes)
        np.testing.assert_array_equal(out, ref_out)          # (NaN == NaN here)
        np.testing.assert_array_equal(idx, ref_idx)


# ------------------------------------ the vectorised runs of the fast kernels: long rows, tails
def test_interior_runs_by_hand():
    # L=21, k=2, s=2, p=1: windows [0,1) [1,3) [3,5) ... [19,21); the first is clipped
    assert K._interior(K.pool_windows(21, 2, 2, 1)) == (1, 11, -1)
    assert K._interior(K.pool_windows(56, 2, 2)) == (0, 28, 0)
    assert K._interior(K.pool_windows(17, 2, 2)) == (0, 8, 0)            # cell 16: no window
    assert K._interior(K.adaptive_windows(32, 16)) == (0, 16, 0)         # halves: a run
    for axis in (K.adaptive_windows(14, 5), K.pool_windows(21, 3, 2, 1), K.pool_windows(21, 2, 1),
                 K.pool_windows(24, 2, 2, 0, 2), K.pool_windows(1, 1, 1),
                 K.pool_windows(15, 2, 2)):
        # uneven, 3 wide, stride 1, dilated, one cell, a run shorter than RUN_MIN
        assert K._interior(axis)[:2] == (0, 0)


@pytest.mark.parametrize("kernel, stride, pad, dil, ceil_mode", [
    (2, 2, 0, 1, False),   # the register loops: 2 wide, stride 2
    (2, 2, 1, 1, True),    # the same with clipped windows at both edges, ceil_mode
    (3, 2, 1, 1, False),   # every other window: one at a time
    (3, 1, 1, 1, True),
    (2, 1, 0, 1, False),
    (2, 2, 0, 2, False),   # dilated
])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_long_rows_through_the_vector_loops_match_reference(kernel, stride, pad, dil, ceil_mode,
                                                            n):
    """Rows long enough for whole vectors plus a tail on every target (the hypothesis tests
    above draw rows shorter than one vector), with many ties, NaNs and -inf."""
    spatial = {1: (61,), 2: (5, 45), 3: (3, 4, 37)}[n]
    k, s, p, d = (kernel,) * n, (stride,) * n, (pad,) * n, (dil,) * n
    axes = axes_for(spatial, k, s, p, d, ceil_mode)
    ow0, ow1, _ = K._interior(axes[2])
    assert (ow1 - ow0 >= 16) == ((kernel, stride, dil) == (2, 2, 1))   # a run, > 1 vector
    rng = np.random.default_rng(kernel * 10 + stride + n)
    for dtype in (np.float32, np.float64):
        x = rng.integers(-2, 3, size=(3, *spatial)).astype(dtype)    # ties everywhere
        x.flat[rng.choice(x.size, 6, replace=False)] = np.nan
        x.flat[rng.choice(x.size, 6, replace=False)] = -np.inf
        ref_out, ref_idx = ref_max_pool(x, k, s, p, d, ceil_mode)
        out, idx = K.max_pool_forward(as3(x, n), axes)
        np.testing.assert_array_equal(out.reshape(ref_out.shape), ref_out)
        np.testing.assert_array_equal(idx.reshape(ref_idx.shape), ref_idx)
        if dil == 1:
            x = rng.standard_normal((3, *spatial)).astype(dtype)
            tol = (dict(rtol=1e-6, atol=1e-6) if dtype == np.float32
                   else dict(rtol=1e-12, atol=1e-12))
            for include_pad, override in ((True, None), (False, None), (True, 5)):
                out = K.avg_pool_forward(as3(x, n), axes, include_pad, override)
                ref = ref_avg_pool(x, k, s, p, ceil_mode, include_pad, override)
                np.testing.assert_allclose(out.reshape(ref.shape), ref, **tol)
                g = rng.standard_normal(out.shape).astype(dtype)
                np.testing.assert_allclose(K.avg_pool_backward(g, axes, include_pad, override),
                                           R.avg_pool_backward(g, axes, include_pad, override),
                                           **tol)


# -------------------------------------------- adaptive average: the columns-first kernels
# (spatial in, output size): uneven overlapping windows (5 from 14, 5 from 13), in < out
# (windows repeat cells), out = 1 on one axis only, size-1 axes, an exact halving
ADAPTIVE_CASES = [((14, 14), (5, 5)), ((13,), (5,)), ((3, 7), (5, 9)), ((1, 6), (4, 1)),
                  ((1, 1), (3, 2)), ((6, 5, 7), (4, 2, 3)), ((2, 9, 4), (1, 4, 6)),
                  ((15, 16), (7, 8))]


@pytest.mark.parametrize("spatial, outs", ADAPTIVE_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adaptive_avg_columns_first_matches_reference_and_torch(spatial, outs, dtype):
    from tests.parity import torch
    n = len(spatial)
    rng = np.random.default_rng(len(spatial) * 100 + sum(outs))
    x = rng.standard_normal((3, *spatial)).astype(dtype)
    axes = tuple([K.adaptive_windows(1, 1)] * (3 - n) +
                 [K.adaptive_windows(L, o) for L, o in zip(spatial, outs)])
    # the new kernels, not a fast path taken before them
    assert K._adaptive(axes) and K._tiled_kernel(axes, [a.count for a in axes]) is None
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    out = K.avg_pool_forward(as3(x, n), axes, False, None)
    ref = R.avg_pool_forward(as3(x, n), axes, False, None)
    np.testing.assert_allclose(out, ref, **tol)
    g = rng.standard_normal(out.shape).astype(dtype)
    grad = K.avg_pool_backward(g, axes, False, None)
    np.testing.assert_allclose(grad, R.avg_pool_backward(g, axes, False, None), **tol)
    # the adjoint: <avg(x), g> == <x, avg^T(g)>
    np.testing.assert_allclose(np.vdot(out.astype(np.float64), g),
                               np.vdot(as3(x, n).astype(np.float64), grad), rtol=1e-5)
    if torch is not None:
        f = getattr(torch.nn.functional, f"adaptive_avg_pool{n}d")
        tx = torch.tensor(x[None], requires_grad=True)         # (1, C=3, *spatial)
        ty = f(tx, outs)
        ty.backward(torch.tensor(g.reshape(ty.shape)))
        np.testing.assert_allclose(out.reshape(ty.shape), ty.detach().numpy(), **tol)
        np.testing.assert_allclose(grad.reshape(tx.shape), tx.grad.numpy(), **tol)


def test_adaptive_avg_columns_first_only_for_adaptive_tables():
    # pooling windows with the same shape as adaptive ones keep the general kernel, and
    # divisor_override (never set by adaptive pooling) too: both give the reference's numbers
    pooled = (K.adaptive_windows(1, 1), K.adaptive_windows(1, 1), K.pool_windows(9, 3, 3))
    assert not K._adaptive(pooled)
    adaptive = (K.adaptive_windows(1, 1), K.adaptive_windows(6, 4), K.adaptive_windows(9, 4))
    assert K._adaptive(adaptive)
    x = np.arange(2 * 6 * 9, dtype=np.float64).reshape(2, 1, 6, 9)
    np.testing.assert_allclose(K.avg_pool_forward(x, adaptive, False, 5),
                               R.avg_pool_forward(x, adaptive, False, 5), rtol=1e-12)
    # by hand: 4 from 9 along W reads columns [0,3) [2,5) [4,7) [6,9); 4 from 6 along H
    # reads rows [0,2) [1,3) [3,5) [4,6); row h, column w holds 9h + w
    out = K.avg_pool_forward(x, adaptive, False, None)
    rows = [(0, 2), (1, 3), (3, 5), (4, 6)]
    cols = [(0, 3), (2, 5), (4, 7), (6, 9)]
    want = [[np.mean([9 * h + w for h in range(*r) for w in range(*c)]) for c in cols]
            for r in rows]
    np.testing.assert_allclose(out[0, 0], want, rtol=1e-12)
    np.testing.assert_allclose(out[1, 0], np.array(want) + 54, rtol=1e-12)


# ------------------------------------------------ adaptive max: the columns-first kernel
@pytest.mark.parametrize("spatial, outs", ADAPTIVE_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adaptive_max_columns_first_matches_reference_and_torch(spatial, outs, dtype):
    from tests.parity import torch
    n = len(spatial)
    rng = np.random.default_rng(len(spatial) * 100 + sum(outs))
    x = rng.standard_normal((3, *spatial)).astype(dtype)
    axes = tuple([K.adaptive_windows(1, 1)] * (3 - n) +
                 [K.adaptive_windows(L, o) for L, o in zip(spatial, outs)])
    out, idx = K.max_pool_forward(as3(x, n), axes)
    ref, ref_idx = R.max_pool_forward(as3(x, n), axes)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(idx, ref_idx)
    if torch is not None:
        f = getattr(torch.nn.functional, f"adaptive_max_pool{n}d")
        t_out, t_idx = f(torch.tensor(x[None]), outs, return_indices=True)
        np.testing.assert_array_equal(out.reshape(t_out.shape), t_out.numpy())
        np.testing.assert_array_equal(idx.reshape(t_idx.shape), t_idx.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adaptive_max_columns_first_ties_nans_infs_and_signed_zeros(dtype):
    # data full of ties across rows and columns, NaNs (the last one in scan order wins),
    # infinities and both zeros (the first in scan order wins, with its own sign): the
    # kernel's per-column rule must give the reference loop's cell for every window
    rng = np.random.default_rng(7)
    x = rng.choice(np.array([0.0, -0.0, 1.0, 1.0, 2.0, np.nan, -np.inf, np.inf]),
                   size=(40, 3, 9, 10)).astype(dtype)
    x[:5] = -np.inf                                          # windows of only -inf
    x[5:10] = rng.choice(np.array([0.0, -0.0]), size=(5, 3, 9, 10))
    for outs in [(2, 4, 3), (1, 5, 4), (3, 12, 13), (1, 1, 1)]:
        axes = tuple(K.adaptive_windows(L, o) for L, o in zip(x.shape[1:], outs))
        # windows of 1-2 rows (3 from 3, 12 from 9) keep the general loop; all others not
        assert (K._window_rows(axes) > 2) == (outs != (3, 12, 13))
        out, idx = K.max_pool_forward(x, axes)
        ref_out, ref_idx = R.max_pool_forward(x, axes)
        np.testing.assert_array_equal(idx, ref_idx)
        np.testing.assert_array_equal(out, ref_out)          # (NaN == NaN here)
        np.testing.assert_array_equal(np.signbit(out), np.signbit(ref_out))
