"""Numba kernels for pooling: max, average, adaptive, unpooling. ndarrays in, ndarrays out.

Loop order and why
------------------
Every kernel sees the input as ``(P, D, H, W)``: ``P = N*C`` independent *planes* (one
channel of one sample), each a contiguous 3-d block. 1-d and 2-d pooling are the same
kernels with size-1 axes (``(N, C, L) -> (N*C, 1, 1, L)``), so there is one code path.

    for p in range(start, stop):        # planes are independent: a few threads each
        _..._plane(planes[p], ...)      # take a piece of [0, P); a serial function per plane:
            for od, oh, ow in outputs:  #   C order: output is written front to back
                for d, h, w in window:  #   C order: PyTorch's scan order, so "first
                                        #   maximum" means the same element in both

Splitting the planes among threads is the only parallelism: backward kernels scatter into
the plane they read from, so two threads never write the same memory. The kernels release
the GIL (``nogil=True``) and ``_run_split`` gives each Python thread a contiguous piece of
planes, as the convolution kernels do; Numba's ``parallel=True`` compiled slower, and
compile time is what a learner waits for in a notebook's first cell. Inside a plane the
loops walk the innermost (``W``) axis last, so reads and writes are contiguous. The
per-plane work lives in its own serial ``@njit`` function (``_max_pool_plane`` ...): it is
the part to read (measured: about 2x less CPU time than nested ``range(lo, hi, step)``
loops with 4-d indexing).

Who decides the windows
-----------------------
The kernels do not derive window positions. ``teachnn.geometry`` is the single source of
truth for that index math; :func:`pool_windows` and :func:`adaptive_windows` below ask it
for every output cell's window along one axis and turn the answer into three small integer
tables per axis:

    lo[o], hi[o]   the window's cells *inside* the input: lo, lo+step, ... < hi
    count[o]       how many cells the average divides by along this axis

so max pooling, average pooling and their adaptive variants share the same two loops and
differ only in their tables. A window's divisor is ``count_d[od] * count_h[oh] * count_w[ow]``
(PyTorch's ``pool_size``), unless ``divisor_override`` replaces it.

Fast paths
----------
For 2-wide, stride-2 windows along the rows (``MaxPool2d(2)``, ``AvgPool2d(2)``, their 1-d
and 3-d forms, adaptive pooling that halves a size) the forward kernels swap the loop over
a row's outputs inside the loop over the window's rows, so that the compiler turns it into
vector instructions on any CPU (see "Rows of windows" below); the results are the same
cells and the same sums as the window-at-a-time loop.
When the windows *tile* the input (stride = kernel, no padding, no dilation -- e.g.
``AvgPool2d(2)`` or ``AdaptiveAvgPool2d((7, 7))`` on 14x14) every input cell belongs to at
most one window, so the average backward writes each cell once instead of zeroing the plane
and adding (``_avg_tiled_backward_range``). When one window covers the whole plane
(``AdaptiveAvgPool2d(1)``, global average pooling) forward is a contiguous sum per plane and
backward a fill (``_global_avg_range``). :func:`_tiled_kernel` decides; the results equal the
general kernels' (tests compare them). Adaptive pooling with uneven windows sums (or takes
the maximum of) each output row's input rows column by column first, then each window's
columns (``_adaptive_avg_range``, ``_adaptive_max_range``; see the comments above them).

Numba does no bounds checks: every public function here validates shapes, dtypes,
contiguity and table ranges in Python before the jitted call. For debugging a kernel in
plain Python, run with ``NUMBA_DISABLE_JIT=1``.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numba  # noqa: F401  (tests patch numba.get_num_threads through this module)
import numpy as np
from numba import njit

from .. import geometry
from .._dtype import FLOAT_NUMPY_DTYPES
from .fast_conv import threads

__all__ = [
    "AxisWindows",
    "pool_windows",
    "adaptive_windows",
    "max_pool_forward",
    "max_pool_backward",
    "avg_pool_forward",
    "avg_pool_backward",
    "max_unpool_forward",
    "max_unpool_backward",
]

FLOAT_DTYPES = FLOAT_NUMPY_DTYPES


# --------------------------------------------------------------------------------------
# Window tables (plain Python, from teachnn.geometry)
# --------------------------------------------------------------------------------------
class AxisWindows(NamedTuple):
    """The windows of one spatial axis, as int64 tables indexed by output position ``o``.

    ``lo[o]``/``hi[o]``: first input cell inside the input, and one past the last, visited
    in steps of ``step`` (the dilation). ``count[o]``: cells inside the input;
    ``count_with_pad[o]``: cells inside input *or padding* (for ``count_include_pad``).
    """
    in_size: int
    lo: np.ndarray
    hi: np.ndarray
    step: int
    count: np.ndarray
    count_with_pad: np.ndarray

    @property
    def out_size(self) -> int:
        return len(self.lo)


def _freeze(values) -> np.ndarray:
    array = np.asarray(values, dtype=np.int64).reshape(-1)
    array.flags.writeable = False    # tables are cached and shared: nobody may edit them
    return array


@functools.lru_cache(maxsize=512)
def pool_windows(in_size: int, kernel: int, stride: int, padding: int = 0,
                 dilation: int = 1, ceil_mode: bool = False) -> AxisWindows:
    """Window tables of max/avg pooling along one axis (sizes already validated).

    Output cell ``o`` reads ``geometry.window(o, kernel, stride, padding, dilation)``;
    taps below 0 or at/after ``in_size`` are padding.
    """
    out_size = geometry.pool_output_size(in_size, kernel, stride, padding, dilation, ceil_mode)
    lo, hi, count, count_with_pad = [], [], [], []
    for o in range(max(out_size, 0)):
        # taps j of geometry.window(o, ...) inside the input, found without listing them
        # all (a kernel of a million cells must not cost a million steps per window)
        start = o * stride - padding
        first, last = geometry.window_taps_between(o, kernel, stride, padding, dilation,
                                                   0, in_size)
        if first <= last:
            lo.append(start + first * dilation)
            hi.append(start + last * dilation + 1)
        else:
            # A dilated window can skip over the whole input (L=1, k=2, d=2, p=1 reads
            # cells -1 and 1). The range is empty; like PyTorch we still remember the first
            # tap at or after 0, from which max pooling reports its (-inf) cell's index.
            lo.append(start + first * dilation)
            hi.append(start + first * dilation)
        count.append(max(last - first + 1, 0))
        # PyTorch counts padding cells only up to the padded edge L + p (never beyond)
        first_p, last_p = geometry.window_taps_between(o, kernel, stride, padding, dilation,
                                                       -padding, in_size + padding)
        count_with_pad.append(max(last_p - first_p + 1, 0))
    return AxisWindows(in_size, _freeze(lo), _freeze(hi), dilation,
                       _freeze(count), _freeze(count_with_pad))


@functools.lru_cache(maxsize=512)
def adaptive_windows(in_size: int, out_size: int) -> AxisWindows:
    """Window tables of adaptive pooling: cell ``i`` reads ``geometry.adaptive_range(i, L, O)``."""
    ranges = [geometry.adaptive_range(i, in_size, out_size) for i in range(out_size)]
    lo = [start for start, _ in ranges]
    hi = [end for _, end in ranges]
    count = [end - start for start, end in ranges]
    return AxisWindows(in_size, _freeze(lo), _freeze(hi), 1, _freeze(count), _freeze(count))


# --------------------------------------------------------------------------------------
# Jitted kernels, part 1: one plane at a time (serial, the part worth reading)
# --------------------------------------------------------------------------------------
# A plane is passed flat: cell (d, h, w) of a (D, H, W) plane sits at (d*H + h)*W + w.
# The windows' loops are `while` loops with a step, and the row offset (d*H + h)*W is
# computed once per row: measured about 2x faster than nested `range(lo, hi, step)`
# loops with 4-d indexing.
#
# Rows of windows. The reference loop finishes one output cell before the next (window
# innermost), which leaves nothing for SIMD: each step depends on the previous maximum.
# For the most common windows -- 2 wide with stride 2 along the rows (MaxPool2d(2),
# AvgPool2d(2), MaxPool3d(2), MaxPool1d(2), adaptive pooling that halves a size) -- the
# fast kernels swap the loops for the cells of an output row whose windows lie wholly
# inside the input (``ow0 <= ow < ow1``, see :func:`_interior`): one loop over the row's
# outputs per window row (two rows per loop for max), the window row's two taps compared
# or added in registers. Each output still visits its taps in the reference's (d, h, w)
# order, so "first maximum wins" and the NaN rule pick the same cell. The loop indexes
# views of the input from 0 with the stride 2 written as a constant: LLVM then loads whole
# vectors and deinterleaves them on every vector width (AVX-512, AVX2, NEON, SSE); with a
# run-time stride or offset it would need gathers (slow on AVX2, absent on SSE/NEON) or
# an index check it cannot vectorise. Other windows (edges clipped by padding, other widths
# and strides, dilation, uneven adaptive windows) run one window at a time in the
# reference's order; register loops for them (3 taps, stride 1) were faster too, but
# each vectorised loop adds noticeably to the first call's compile time
# (docs/performance.md).

@njit(cache=True)
def _max_row_pair(x0, x1, at0, at1, best, best_at):
    """Two rows of every 2-wide, stride-2 window in a run: window i compares x0[2i],
    x0[2i+1], x1[2i], x1[2i+1] (flat positions at0 + 2i ..., at1 + 2i ...) with best[i]
    in registers, in scan order, and writes best[i], best_at[i] once."""
    for i in range(best.shape[0]):
        b = best[i]
        a = best_at[i]
        v = x0[2 * i]
        t = (v > b) | (v != v)                  # the reference's rule: greater, or NaN
        b = v if t else b
        a = at0 + 2 * i if t else a
        v = x0[2 * i + 1]
        t = (v > b) | (v != v)
        b = v if t else b
        a = at0 + 2 * i + 1 if t else a
        v = x1[2 * i]
        t = (v > b) | (v != v)
        b = v if t else b
        a = at1 + 2 * i if t else a
        v = x1[2 * i + 1]
        t = (v > b) | (v != v)
        b = v if t else b
        a = at1 + 2 * i + 1 if t else a
        best[i] = b
        best_at[i] = a


@njit(cache=True)
def _max_pool_plane(plane, out, idx, H, W, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w,
                    st_d, st_h, st_w, lowest, ow0, ow1, base):
    """One plane: out[o], idx[o] = max and flat position of the max over window o.

    plane (D*H*W,) -> out, idx (OD*OH*OW,). Like PyTorch, a value wins if it is greater
    than the current best *or* NaN: the first maximum in scan order wins ties, and a NaN
    always propagates. ``lowest`` is -inf in the plane's dtype; a window of only -inf (or
    empty) reports its first cell. Outputs ow in [ow0, ow1) of every row are 2-wide
    windows at ``base + 2*ow`` inside the input: they run a pair of window rows at a time
    over the whole run (vectorised); the others one window at a time.
    """
    OW = lo_w.shape[0]
    o_row = 0
    for od in range(lo_d.shape[0]):
        for oh in range(lo_h.shape[0]):
            for ow in range(OW):                    # other cells: one window at a time
                if ow0 <= ow < ow1:
                    continue
                best = lowest
                best_at = (lo_d[od] * H + lo_h[oh]) * W + lo_w[ow]
                d = lo_d[od]
                while d < hi_d[od]:
                    h = lo_h[oh]
                    while h < hi_h[oh]:
                        row = (d * H + h) * W
                        w = lo_w[ow]
                        while w < hi_w[ow]:
                            v = plane[row + w]
                            # `|` not `or`: both tests always run, so LLVM can use
                            # branch-free selects (measured faster on random data)
                            take = (v > best) | (v != v)        # greater, or NaN
                            best = v if take else best
                            best_at = row + w if take else best_at
                            w += st_w
                        h += st_h
                    d += st_d
                out[o_row + ow] = best
                idx[o_row + ow] = best_at
            if ow1 > ow0:
                # the run: start from "-inf at the window's first cell", then one pass
                # per pair of window rows, in the reference's order
                best = out[o_row + ow0:o_row + ow1]
                best_at = idx[o_row + ow0:o_row + ow1]
                first = (lo_d[od] * H + lo_h[oh]) * W + base + 2 * ow0
                for i in range(ow1 - ow0):
                    best[i] = lowest
                    best_at[i] = first + 2 * i
                pending = -1                        # a window row waiting for its pair
                d = lo_d[od]
                while d < hi_d[od]:
                    h = lo_h[oh]
                    while h < hi_h[oh]:
                        at = (d * H + h) * W + base + 2 * ow0
                        if pending < 0:
                            pending = at
                        else:
                            _max_row_pair(plane[pending:], plane[at:], pending, at, best,
                                          best_at)
                            pending = -1
                        h += st_h
                    d += st_d
                if pending >= 0:        # an odd row, paired with itself: a repeat of the
                    _max_row_pair(plane[pending:], plane[pending:], pending, pending,  # row
                                  best, best_at)                    # changes nothing
            o_row += OW


@njit(cache=True)
def _sum_row(xs, sums):
    """sums[i] += xs[2i] + xs[2i+1] in float64: one row of every 2-wide, stride-2 window
    of a run, each sum read and written once per row."""
    for i in range(sums.shape[0]):
        t = sums[i]
        t += xs[2 * i]
        t += xs[2 * i + 1]
        sums[i] = t


@njit(cache=True, fastmath={"reassoc", "contract"})   # may reorder the sum: SIMD adds
def _avg_pool_plane(plane, out, acc, H, W, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w,
                    cnt_d, cnt_h, cnt_w, divisor_override, ow0, ow1, base):
    """One plane: out[o] = (sum over window o) / divisor.

    divisor = cnt_d[od] * cnt_h[oh] * cnt_w[ow], or ``divisor_override`` if it is not 0.
    Sums are accumulated in float64 and rounded once when stored. An empty window gives
    0, as in PyTorch. Outputs [ow0, ow1) of each row are summed one window row at a time
    over the whole run (``acc``, float64), as in :func:`_max_pool_plane`; the others one
    window at a time.
    """
    OW = lo_w.shape[0]
    n = ow1 - ow0
    sums = acc[:n]
    o_row = 0
    for od in range(lo_d.shape[0]):
        for oh in range(lo_h.shape[0]):
            if n > 0:
                for i in range(n):
                    sums[i] = 0.0
                for d in range(lo_d[od], hi_d[od]):
                    for h in range(lo_h[oh], hi_h[oh]):
                        _sum_row(plane[(d * H + h) * W + base + 2 * ow0:], sums)
            for ow in range(OW):
                if ow0 <= ow < ow1:
                    total = sums[ow - ow0]
                else:                               # edge cells: one window at a time
                    total = 0.0
                    for d in range(lo_d[od], hi_d[od]):
                        for h in range(lo_h[oh], hi_h[oh]):
                            row = (d * H + h) * W
                            for w in range(lo_w[ow], hi_w[ow]):
                                total += plane[row + w]
                divisor = divisor_override
                if divisor == 0:
                    divisor = cnt_d[od] * cnt_h[oh] * cnt_w[ow]
                out[o_row + ow] = total / divisor if divisor != 0 else 0.0
            o_row += OW


@njit(cache=True)
def _avg_pool_plane_backward(grad_out, grad_plane, H, W, lo_d, hi_d, lo_h, hi_h,
                             lo_w, hi_w, cnt_d, cnt_h, cnt_w, divisor_override):
    """One plane: every cell of window o receives grad_out[o] / divisor (added, since
    windows may overlap). grad_out (OD*OH*OW,) -> grad_plane (D*H*W,)."""
    grad_plane[:] = 0.0
    o = 0
    for od in range(lo_d.shape[0]):
        for oh in range(lo_h.shape[0]):
            for ow in range(lo_w.shape[0]):
                divisor = divisor_override
                if divisor == 0:
                    divisor = cnt_d[od] * cnt_h[oh] * cnt_w[ow]
                if divisor != 0:
                    share = grad_out[o] / divisor
                    for d in range(lo_d[od], hi_d[od]):
                        for h in range(lo_h[oh], hi_h[oh]):
                            row = (d * H + h) * W
                            for w in range(lo_w[ow], hi_w[ow]):
                                grad_plane[row + w] += share
                o += 1


# --------------------------------------------------------------------------------------
# Jitted kernels, part 2: ranges of planes, run on several threads
# --------------------------------------------------------------------------------------
# Each loop below handles the planes p in [start, stop) and releases the GIL (nogil=True);
# ``_run_split`` hands contiguous pieces of [0, P) to a few Python threads for large
# arrays. Planes never share memory, so the pieces never race. (Numba's parallel=True
# would do the same split but compiles several times slower -- a cost every learner
# pays in the first notebook cell -- and wakes its thread pool even for tiny inputs.)
@njit(cache=True, nogil=True)
def _max_pool_range(planes, out, idx, H, W, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w,
                    st_d, st_h, st_w, lowest, ow0, ow1, base, start, stop):
    """planes (P, D*H*W) -> out, idx (P, OD*OH*OW) for planes [start, stop)."""
    for p in range(start, stop):
        _max_pool_plane(planes[p], out[p], idx[p], H, W, lo_d, hi_d, lo_h, hi_h,
                        lo_w, hi_w, st_d, st_h, st_w, lowest, ow0, ow1, base)


@njit(cache=True, nogil=True)
def _avg_pool_range(planes, out, H, W, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w,
                    cnt_d, cnt_h, cnt_w, divisor_override, ow0, ow1, base, start, stop):
    """planes (P, D*H*W) -> out (P, OD*OH*OW): window sums / divisors."""
    acc = np.empty(lo_w.shape[0], dtype=np.float64)     # one row of sums, reused per plane
    for p in range(start, stop):
        _avg_pool_plane(planes[p], out[p], acc, H, W, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w,
                        cnt_d, cnt_h, cnt_w, divisor_override, ow0, ow1, base)


@njit(cache=True, nogil=True)
def _avg_pool_backward_range(grad_out, grad_in, H, W, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w,
                             cnt_d, cnt_h, cnt_w, divisor_override, start, stop):
    """grad_out (P, OD*OH*OW) -> grad_in (P, D*H*W): each output's gradient shared evenly
    by its window."""
    for p in range(start, stop):
        _avg_pool_plane_backward(grad_out[p], grad_in[p], H, W, lo_d, hi_d, lo_h, hi_h,
                                 lo_w, hi_w, cnt_d, cnt_h, cnt_w, divisor_override)


@njit(cache=True, nogil=True)
def _avg_tiled_backward_range(grad_out, grad_in, D, H, W, kd, kh, kw, OD, OH, OW,
                              divisor, start, stop):
    """Fast path of the average backward when the windows *tile* the input: stride equals
    kernel, no padding, no dilation (window o covers cells o*k ... o*k + k - 1 on each axis).

    Then every input cell belongs to at most one window, so each cell is *written* once
    (``grad_out[o] / divisor``, or 0 for cells past the last window) instead of zeroing
    the plane and adding shares: one pass over grad_in instead of two.
    grad_out (P, OD*OH*OW) -> grad_in (P, D*H*W). Same numbers as the general kernel
    (the share is computed in float64 and rounded once when stored).
    """
    for p in range(start, stop):
        g = grad_out[p]
        out = grad_in[p]
        for d in range(D):
            od = d // kd
            for h in range(H):
                oh = h // kh
                row = (d * H + h) * W
                if od >= OD or oh >= OH:          # below/behind the last window
                    for w in range(W):
                        out[row + w] = 0.0
                    continue
                o_row = (od * OH + oh) * OW
                for ow in range(OW):
                    share = g[o_row + ow] / divisor
                    for j in range(kw):
                        out[row + ow * kw + j] = share
                for w in range(OW * kw, W):       # right of the last window
                    out[row + w] = 0.0


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})   # SIMD adds
def _global_avg_range(planes, out, divisor, start, stop):
    """Fast path of the average forward when one window covers the whole plane
    (``adaptive_avg_pool2d(x, 1)``, global average pooling): out[p] = sum(plane p) / divisor.

    planes (P, S) -> out (P,). One contiguous read per plane, summed in float64 like the
    general kernel, rounded once when stored.
    """
    for p in range(start, stop):
        total = 0.0
        for i in range(planes.shape[1]):
            total += planes[p, i]
        out[p] = total / divisor


@njit(cache=True, nogil=True)
def _global_avg_backward_range(grad_out, grad_in, divisor, start, stop):
    """Backward of :func:`_global_avg_range`: every cell of plane p gets
    grad_out[p] / divisor. grad_out (P,) -> grad_in (P, S), one write per cell."""
    for p in range(start, stop):
        share = grad_out[p] / divisor
        for i in range(grad_in.shape[1]):
            grad_in[p, i] = share


@njit(cache=True, nogil=True)
def _scatter_range(values, idx, out, accumulate, start, stop):
    """values, idx (P, M) -> out (P, S): out[p, idx[p, m]] (+)= values[p, m].

    Max-pool backward accumulates (overlapping windows can pick the same cell);
    max-unpool forward overwrites (the last write wins, as in PyTorch's CPU loop).
    An index outside the plane is skipped: only a max-pool window lying wholly in the
    padding produces one (PyTorch gives that -inf output no gradient either).
    """
    plane_size = out.shape[1]
    for p in range(start, stop):
        out[p, :] = 0            # zeroed here, by the thread that fills it (cache-warm)
        for m in range(values.shape[1]):
            i = idx[p, m]
            if i < 0 or i >= plane_size:
                continue
            if accumulate:
                out[p, i] += values[p, m]
            else:
                out[p, i] = values[p, m]


@njit(cache=True, nogil=True)
def _gather_range(source, idx, out, start, stop):
    """source (P, S), idx (P, M) -> out (P, M): out[p, m] = source[p, idx[p, m]]."""
    for p in range(start, stop):
        for m in range(idx.shape[1]):
            out[p, m] = source[p, idx[p, m]]


# Adaptive average pooling, columns first. Uneven adaptive windows (5 from 14: widths 3
# and 4, overlapping) give the row loops above nothing to vectorise. Averages are
# separable, so for each output row (od, oh) the fast kernel first adds the window's input
# rows element by element over the whole width (a contiguous loop LLVM vectorises on any
# target), then sums each window's few columns of that one row of column sums; backward
# does the same in reverse order (spread each share over its columns, then add that row to
# every input row of the window). Same sums as the window-at-a-time loop in another order.
@njit(cache=True)
def _add_row(acc, xs):
    """acc[i] += xs[i] over acc's length: one row added into another."""
    for i in range(acc.shape[0]):
        acc[i] += xs[i]


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})   # may reorder: SIMD adds
def _adaptive_avg_range(planes, out, H, W, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w, start, stop):
    """Adaptive average forward, planes (P, D*H*W) -> out (P, OD*OH*OW) for planes
    [start, stop): column sums of each output row's input rows, then each window's
    columns. Windows are never empty; sums in float64, rounded once when stored."""
    OW = lo_w.shape[0]
    col = np.empty(W, dtype=np.float64)
    for p in range(start, stop):
        x = planes[p]
        o = out[p]
        k = 0
        for od in range(lo_d.shape[0]):
            for oh in range(lo_h.shape[0]):
                col[:] = 0.0
                for d in range(lo_d[od], hi_d[od]):
                    for h in range(lo_h[oh], hi_h[oh]):
                        _add_row(col, x[(d * H + h) * W:])
                rows = (hi_d[od] - lo_d[od]) * (hi_h[oh] - lo_h[oh])
                for ow in range(OW):
                    total = 0.0
                    for w in range(lo_w[ow], hi_w[ow]):
                        total += col[w]
                    o[k + ow] = total / (rows * (hi_w[ow] - lo_w[ow]))
                k += OW


@njit(cache=True, nogil=True)
def _adaptive_avg_backward_range(grad_out, grad_in, H, W, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w,
                                 start, stop):
    """Backward of :func:`_adaptive_avg_range`, grad_out (P, OD*OH*OW) -> grad_in
    (P, D*H*W): for each output row, the shares of its windows spread over one row of
    columns (float64), then that row added to every input row of the window."""
    OW = lo_w.shape[0]
    spread = np.empty(W, dtype=np.float64)
    for p in range(start, stop):
        g = grad_out[p]
        gi = grad_in[p]
        gi[:] = 0.0                    # zeroed by the thread that fills it (cache-warm)
        k = 0
        for od in range(lo_d.shape[0]):
            for oh in range(lo_h.shape[0]):
                spread[:] = 0.0
                rows = (hi_d[od] - lo_d[od]) * (hi_h[oh] - lo_h[oh])
                for ow in range(OW):
                    share = g[k + ow] / (rows * (hi_w[ow] - lo_w[ow]))
                    for w in range(lo_w[ow], hi_w[ow]):
                        spread[w] += share
                for d in range(lo_d[od], hi_d[od]):
                    for h in range(lo_h[oh], hi_h[oh]):
                        _add_row(gi[(d * H + h) * W:(d * H + h + 1) * W], spread)
                k += OW


# Adaptive max pooling, columns first too. Per output row the kernel keeps every input
# column's maximum over the window's rows (the reference's rule: greater, or NaN;
# vectorised over the whole width), and a window's maximum is the maximum of its columns.
# The cell the reference reports is then found by scanning the window in its scan order:
# the first cell equal to the maximum (the first maximum wins ties, with its own sign for
# zeros), or with a NaN the last NaN (the reference's rule lets a later NaN replace an
# earlier one). Tracking positions in the column pass instead vectorised badly on AVX2.
@njit(cache=True)
def _max_col_row(xs, best):
    """One input row into the columns' maxima: best[i] = xs[i] if greater or NaN."""
    for i in range(best.shape[0]):
        b = best[i]
        v = xs[i]
        best[i] = v if (v > b) | (v != v) else b


@njit(cache=True, nogil=True)
def _adaptive_max_range(planes, out, idx, H, W, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w, lowest,
                        start, stop):
    """Adaptive max forward, planes (P, D*H*W) -> out, idx (P, OD*OH*OW) for planes
    [start, stop), the reference's values and indices (windows are never empty)."""
    OW = lo_w.shape[0]
    col = np.empty(W, dtype=planes.dtype)
    for p in range(start, stop):
        x = planes[p]
        k = 0
        for od in range(lo_d.shape[0]):
            for oh in range(lo_h.shape[0]):
                first = (lo_d[od] * H + lo_h[oh]) * W
                col[:] = x[first:first + W]         # the window's first row as it is
                for d in range(lo_d[od], hi_d[od]):
                    for h in range(lo_h[oh], hi_h[oh]):
                        at = (d * H + h) * W
                        if at != first:
                            _max_col_row(x[at:], col)
                for ow in range(OW):
                    best = lowest
                    for w in range(lo_w[ow], hi_w[ow]):
                        v = col[w]
                        best = v if (v > best) | (v != v) else best
                    pos = first + lo_w[ow]
                    if best == best:                # the first cell equal to the maximum
                        found = False
                        for d in range(lo_d[od], hi_d[od]):
                            for h in range(lo_h[oh], hi_h[oh]):
                                row = (d * H + h) * W
                                for w in range(lo_w[ow], hi_w[ow]):
                                    if x[row + w] == best:
                                        pos = row + w
                                        found = True
                                        break
                                if found:
                                    break
                            if found:
                                break
                    else:                           # the last NaN in scan order
                        for d in range(lo_d[od], hi_d[od]):
                            for h in range(lo_h[oh], hi_h[oh]):
                                row = (d * H + h) * W
                                for w in range(lo_w[ow], hi_w[ow]):
                                    if x[row + w] != x[row + w]:
                                        pos = row + w
                    out[p, k + ow] = x[pos]
                    idx[p, k + ow] = pos
                k += OW


# Below this many array elements one thread is faster than handing out pieces (learners'
# examples are small).
PARALLEL_MIN_ELEMENTS = 1 << 18


def _run_split(kernel, args, n_planes, work):
    """Call ``kernel(*args, start, stop)`` over the planes [0, n_planes), in one contiguous
    piece per thread when ``work`` is large, on the thread pool the convolutions use."""
    threads.run_split(kernel, args, n_planes, work, PARALLEL_MIN_ELEMENTS)


# --------------------------------------------------------------------------------------
# Validated entry points (Python): check everything Numba would not
# --------------------------------------------------------------------------------------
def _check_float(name: str, array: np.ndarray, ndim: int) -> None:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, but got {type(array).__name__}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-d, but got shape {array.shape}")
    if array.dtype not in FLOAT_DTYPES:     # '>f8' is not float64 here: Numba needs native
        raise TypeError(f"{name} must be float32 or float64 in the machine's byte order, "
                        f"but got {array.dtype} (convert with array.astype(array.dtype."
                        "newbyteorder('=')))")
    if not array.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")


def _check_indices(indices: np.ndarray, shape, plane_size: int | None) -> None:
    if not isinstance(indices, np.ndarray) or indices.dtype != np.int64:
        raise TypeError("indices must be an int64 numpy.ndarray in the machine's byte order")
    if indices.shape != tuple(shape):
        raise ValueError(f"indices must have shape {tuple(shape)}, but got {indices.shape}")
    if not indices.flags.c_contiguous:
        raise ValueError("indices must be C-contiguous")
    if plane_size is not None and indices.size and (
            indices.min() < 0 or indices.max() >= plane_size):
        raise IndexError(f"indices must lie in [0, {plane_size}), but range over "
                         f"[{indices.min()}, {indices.max()}]")


# Window tables already checked, by id, each with the tables themselves: holding them keeps
# the id from being reused, and pool_windows' tables are frozen, so a layer's tables (the
# same cached objects every call) are checked once.
_CHECKED_AXES = {}


def _check_axes(axes, spatial) -> None:
    if len(axes) != 3:
        raise ValueError(f"expected window tables for 3 axes (D, H, W), got {len(axes)}")
    for a, size in zip(axes, spatial):
        if _CHECKED_AXES.get((id(a), size)) is a:
            continue
        if a.in_size != size:
            raise ValueError(f"window tables are for an axis of size {a.in_size}, "
                             f"but the array has size {size}")
        if a.step < 1:
            raise ValueError(f"window step must be >= 1, got {a.step}")
        n = a.out_size
        for table in (a.lo, a.hi, a.count, a.count_with_pad):
            if table.shape != (n,) or table.dtype != np.int64:
                raise ValueError("window tables must be int64 vectors of equal length")
        nonempty = a.lo < a.hi
        if n and (a.lo.min() < 0 or (a.lo > a.hi).any() or (a.hi[nonempty] > size).any()):
            raise ValueError(f"window tables leave the axis [0, {size})")
        if not any(t.flags.writeable for t in (a.lo, a.hi, a.count, a.count_with_pad)):
            if len(_CHECKED_AXES) >= 1024:
                _CHECKED_AXES.clear()
            _CHECKED_AXES[(id(a), size)] = a


def _check_contiguous_windows(axes) -> None:
    # the average kernels visit every cell from lo to hi: no dilation
    if any(a.step != 1 for a in axes):
        raise ValueError("average pooling windows must have step 1 (no dilation)")


def _tables(axes, count_include_pad=False):
    counts = [a.count_with_pad if count_include_pad else a.count for a in axes]
    ranges = [t for a in axes for t in (a.lo, a.hi)]
    return ranges, counts


def _tiled_kernel(axes, counts):
    """Window sizes ``(kd, kh, kw)`` if the windows tile every axis, else None.

    Tiling along an axis: window o is exactly the cells [o*k, o*k + k) (stride = kernel,
    no padding, no dilation; adaptive pooling with an exact division too) and its count
    is k. Cells after the last window (L not a multiple of k) belong to no window.
    """
    sizes = []
    for a, count in zip(axes, counts):
        n = a.out_size
        if a.step != 1 or n == 0:
            return None
        k = int(a.hi[0] - a.lo[0])
        if k < 1 or n * k > a.in_size:
            return None
        starts = np.arange(n, dtype=np.int64) * k
        if not (np.array_equal(a.lo, starts) and np.array_equal(a.hi, starts + k)
                and bool((count == k).all())):
            return None
        sizes.append(k)
    return tuple(sizes)


# Shorter runs do not fill one AVX2 vector of float32: one window at a time was as fast.
RUN_MIN = 8


def _interior(a: AxisWindows):
    """The run of outputs along the innermost axis that the kernels sweep a window row at
    a time: ``(ow0, ow1, base)`` such that for ow0 <= ow < ow1 window ow is the two cells
    ``base + 2*ow`` and ``base + 2*ow + 1``, both inside the input. That holds for every
    window of 2-wide, stride-2 pooling that padding does not clip, and for adaptive
    windows that halve the axis. ``ow0 == ow1`` when there is no run of ``RUN_MIN`` or
    more.
    """
    full = (a.count == 2) & (a.hi - a.lo == 2) & (a.step == 1)
    if not full.any():
        return 0, 0, 0
    ow0 = int(np.argmax(full))
    ow1 = ow0 + 1
    while ow1 < a.out_size and full[ow1] and a.lo[ow1] == a.lo[ow0] + 2 * (ow1 - ow0):
        ow1 += 1
    if ow1 - ow0 < RUN_MIN:
        return 0, 0, 0
    return ow0, ow1, int(a.lo[ow0]) - 2 * ow0


def _adaptive(axes) -> bool:
    """True if every axis has adaptive pooling's windows (the tables ``adaptive_windows``
    returns, never empty): the columns-first average kernels need nothing else."""
    return all(a is adaptive_windows(a.in_size, a.out_size) and bool((a.count > 0).all())
               for a in axes)


def _window_rows(axes) -> int:
    """Most input rows (d, h) in one window: the columns-first max pays only when its
    column pass covers more than two rows (on 2-row windows the old loop was faster)."""
    return int((axes[0].hi - axes[0].lo).max(initial=0) *
               (axes[1].hi - axes[1].lo).max(initial=0))


def max_pool_forward(x: np.ndarray, axes) -> tuple[np.ndarray, np.ndarray]:
    """Max over each window. x (P, D, H, W) -> (out, idx), both (P, OD, OH, OW)."""
    _check_float("x", x, 4)
    _check_axes(axes, x.shape[1:])
    ranges, _ = _tables(axes)
    lowest = x.dtype.type(-np.inf)                       # -inf as float32 or float64
    P, D, H, W = x.shape
    out_spatial = tuple(a.out_size for a in axes)
    out = np.empty((P, int(np.prod(out_spatial))), dtype=x.dtype)
    idx = np.empty(out.shape, dtype=np.int64)
    if _adaptive(axes) and _window_rows(axes) > 2:
        _run_split(_adaptive_max_range, (x.reshape(P, D * H * W), out, idx, H, W, *ranges,
                                         lowest), P, x.size)
        return out.reshape((P,) + out_spatial), idx.reshape((P,) + out_spatial)
    _run_split(_max_pool_range, (x.reshape(P, D * H * W), out, idx, H, W, *ranges,
                                 axes[0].step, axes[1].step, axes[2].step, lowest,
                                 *_interior(axes[2])),
               P, x.size)
    return out.reshape((P,) + out_spatial), idx.reshape((P,) + out_spatial)


def max_pool_backward(grad_out: np.ndarray, indices: np.ndarray, in_spatial) -> np.ndarray:
    """Route each output gradient to the cell that won the max.

    grad_out, indices (P, OD, OH, OW) -> grad_in (P, D, H, W).
    """
    _check_float("grad_out", grad_out, 4)
    D, H, W = (int(s) for s in in_spatial)
    # indices come from max_pool_forward; one may point past the plane (see _scatter_range)
    _check_indices(indices, grad_out.shape, None)
    P = grad_out.shape[0]
    flat = np.empty((P, D * H * W), dtype=grad_out.dtype)
    M = int(np.prod(grad_out.shape[1:]))      # explicit: an empty batch has no -1 to infer
    _run_split(_scatter_range, (grad_out.reshape(P, M), indices.reshape(P, M), flat, True),
               P, flat.size)
    return flat.reshape(P, D, H, W)


def avg_pool_forward(x: np.ndarray, axes, count_include_pad: bool = True,
                     divisor_override: int | None = None) -> np.ndarray:
    """Mean over each window. x (P, D, H, W) -> out (P, OD, OH, OW)."""
    _check_float("x", x, 4)
    _check_axes(axes, x.shape[1:])
    _check_contiguous_windows(axes)
    ranges, counts = _tables(axes, count_include_pad)
    override = 0 if divisor_override is None else int(divisor_override)
    P, D, H, W = x.shape
    out_spatial = tuple(a.out_size for a in axes)
    out = np.empty((P, int(np.prod(out_spatial))), dtype=x.dtype)
    if out_spatial == (1, 1, 1) and _tiled_kernel(axes, counts) == (D, H, W):
        # one window = the whole plane (global average pooling): a plain contiguous sum
        divisor = override if override != 0 else D * H * W
        _run_split(_global_avg_range, (x.reshape(P, D * H * W), out.reshape(P), divisor),
                   P, x.size)
        return out.reshape((P,) + out_spatial)
    if override == 0 and _adaptive(axes):
        _run_split(_adaptive_avg_range, (x.reshape(P, D * H * W), out, H, W, *ranges),
                   P, x.size)
        return out.reshape((P,) + out_spatial)
    _run_split(_avg_pool_range, (x.reshape(P, D * H * W), out, H, W, *ranges, *counts,
                                 override, *_interior(axes[2])), P, x.size)
    return out.reshape((P,) + out_spatial)


def avg_pool_backward(grad_out: np.ndarray, axes, count_include_pad: bool = True,
                      divisor_override: int | None = None) -> np.ndarray:
    """Spread each output gradient evenly over its window.

    grad_out (P, OD, OH, OW) -> grad_in (P, D, H, W).
    """
    _check_float("grad_out", grad_out, 4)
    if tuple(grad_out.shape[1:]) != tuple(a.out_size for a in axes):
        raise ValueError(f"grad_out has spatial shape {grad_out.shape[1:]}, but the windows "
                         f"give {tuple(a.out_size for a in axes)}")
    spatial = tuple(a.in_size for a in axes)
    _check_axes(axes, spatial)
    _check_contiguous_windows(axes)
    ranges, counts = _tables(axes, count_include_pad)
    override = 0 if divisor_override is None else int(divisor_override)
    P = grad_out.shape[0]
    D, H, W = spatial
    grad_in = np.empty((P, D * H * W), dtype=grad_out.dtype)   # every cell written below
    tiled = _tiled_kernel(axes, counts)
    if tiled is not None:                     # non-overlapping windows: one write per cell
        kd, kh, kw = tiled
        divisor = override if override != 0 else kd * kh * kw
        if tiled == spatial:                  # one window = the whole plane
            _run_split(_global_avg_backward_range, (grad_out.reshape(P), grad_in, divisor),
                       P, grad_in.size)
            return grad_in.reshape(P, D, H, W)
        OD, OH, OW = grad_out.shape[1:]
        _run_split(_avg_tiled_backward_range, (grad_out.reshape(P, OD * OH * OW), grad_in, D, H, W,
                                               kd, kh, kw, OD, OH, OW, divisor),
                   P, grad_in.size)
        return grad_in.reshape(P, D, H, W)
    M = int(np.prod(grad_out.shape[1:]))      # explicit: an empty batch has no -1 to infer
    if override == 0 and _adaptive(axes):
        _run_split(_adaptive_avg_backward_range, (grad_out.reshape(P, M), grad_in, H, W,
                                                  *ranges), P, grad_in.size)
        return grad_in.reshape(P, D, H, W)
    _run_split(_avg_pool_backward_range, (grad_out.reshape(P, M), grad_in, H, W, *ranges,
                                          *counts, override), P, grad_in.size)
    return grad_in.reshape(P, D, H, W)


def max_unpool_forward(x: np.ndarray, indices: np.ndarray, out_spatial) -> np.ndarray:
    """Put each value back where its index says; every other cell is 0.

    x, indices (P, ID, IH, IW) -> out (P, *out_spatial).
    """
    _check_float("x", x, 4)
    D, H, W = (int(s) for s in out_spatial)
    _check_indices(indices, x.shape, D * H * W)
    P = x.shape[0]
    flat = np.empty((P, D * H * W), dtype=x.dtype)
    M = int(np.prod(x.shape[1:]))             # explicit: an empty batch has no -1 to infer
    _run_split(_scatter_range, (x.reshape(P, M), indices.reshape(P, M), flat, False),
               P, flat.size)
    return flat.reshape(P, D, H, W)


def max_unpool_backward(grad_out: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Each input cell receives the gradient of the output cell it was placed in.

    grad_out (P, D, H, W), indices (P, ID, IH, IW) -> grad_in (P, ID, IH, IW).
    """
    _check_float("grad_out", grad_out, 4)
    P = grad_out.shape[0]
    plane = int(np.prod(grad_out.shape[1:]))
    if indices.ndim != 4 or indices.shape[0] != P:
        raise ValueError(f"indices must be (P, ID, IH, IW) with P={P}, got {indices.shape}")
    _check_indices(indices, indices.shape, plane)
    M = int(np.prod(indices.shape[1:]))       # explicit: an empty batch has no -1 to infer
    flat = np.empty((P, M), dtype=grad_out.dtype)
    _run_split(_gather_range, (grad_out.reshape(P, plane), indices.reshape(P, M), flat),
               P, flat.size)
    return flat.reshape(indices.shape)
