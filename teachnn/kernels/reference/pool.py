"""Pooling as the formula says it: the readable loops (teaching text and test oracle).

Open this file to see what ``F.max_pool*``, ``F.avg_pool*``, ``F.adaptive_*_pool*`` and
``F.max_unpool*`` compute. The fast kernels (``teachnn.kernels.pool``) give the same
numbers with flat indexing, branch-free selects and threads; select these loops instead
with ``TEACHNN_KERNELS=reference`` or ``with teachnn.kernels.use("reference"): ...``.

Every loop sees the input as ``(P, D, H, W)``: P = N*C independent planes (one channel of
one sample), 1-d and 2-d pooling as size-1 axes in front. Which input cells output cell
``o`` reads is decided in Python by ``teachnn.geometry``, one axis at a time, and handed
to the loops as tables (``AxisWindows``: ``lo[o]``, ``hi[o]``, ``step``, ``count[o]``):

    max/avg pooling   window o = geometry.window(o, k, s, p, d) = [o*s - p + t*d for t < k],
                      cells outside [0, L) are padding (they never win a max, add 0)
    adaptive pooling  window o = geometry.adaptive_range(o, L, O)
                      = [floor(o*L/O), ceil((o+1)*L/O))

so the window's cells inside the input are ``range(lo[o], hi[o], step)``, and the same
loops serve the regular and the adaptive layers.

The public functions take and return exactly what the fast module's do (a module swap);
the fast module's checks validate every array before any jitted call.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# Window tables and validation are shared with the fast kernels (plain Python).
from ..pool import (AxisWindows, _check_axes, _check_contiguous_windows, _check_float,
                    _check_indices, adaptive_windows, pool_windows)

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


# --------------------------------------------------------------------------------------
# The loops (jitted; the wrappers pass float64, see _f64)
# --------------------------------------------------------------------------------------
@njit(cache=True)
def _max_pool_loop(x, out, idx, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w, step_d, step_h, step_w):
    """out[p, od, oh, ow] = max of x[p, d, h, w] over the window's cells, and
    idx[p, od, oh, ow] = d*H*W + h*W + w of the cell that won (PyTorch's flat index).

    Cells are visited in C order; a cell wins if it is greater than the best so far or NaN
    (PyTorch's rule: the first maximum wins a tie, a NaN always propagates). A window with
    no cell inside the input gives -inf at its first tap at or after 0.
    """
    # x: (P, D, H, W)   out, idx: (P, OD, OH, OW)
    P, D, H, W = x.shape
    for p in range(P):
        for od in range(len(lo_d)):
            for oh in range(len(lo_h)):
                for ow in range(len(lo_w)):
                    best = -np.inf
                    best_at = (lo_d[od] * H + lo_h[oh]) * W + lo_w[ow]
                    for d in range(lo_d[od], hi_d[od], step_d):
                        for h in range(lo_h[oh], hi_h[oh], step_h):
                            for w in range(lo_w[ow], hi_w[ow], step_w):
                                if x[p, d, h, w] > best or np.isnan(x[p, d, h, w]):
                                    best = x[p, d, h, w]
                                    best_at = (d * H + h) * W + w
                    out[p, od, oh, ow] = best
                    idx[p, od, oh, ow] = best_at


@njit(cache=True)
def _max_pool_backward_loop(grad_out, idx, grad_x):
    """Only the winner of a window moved its output: grad_x[p, idx[p, o]] += grad_out[p, o].

    An index past the plane (a window lying wholly in the padding) gets no gradient.
    """
    # grad_out, idx: (P, OD*OH*OW)   grad_x: (P, D*H*W)
    P, M = grad_out.shape
    for p in range(P):
        for o in range(M):
            if 0 <= idx[p, o] < grad_x.shape[1]:
                grad_x[p, idx[p, o]] += grad_out[p, o]


@njit(cache=True)
def _divisor(od, oh, ow, cnt_d, cnt_h, cnt_w, divisor_override):
    """What average pooling divides window (od, oh, ow) by: the product of its cell counts
    along the axes (with or without padding cells, see avg_pool_forward), unless
    ``divisor_override`` (not 0) says otherwise."""
    if divisor_override != 0:
        return divisor_override
    return cnt_d[od] * cnt_h[oh] * cnt_w[ow]


@njit(cache=True)
def _avg_pool_loop(x, out, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w, cnt_d, cnt_h, cnt_w,
                   divisor_override):
    """out[p, od, oh, ow] = (sum of x[p, d, h, w] over the window) / divisor;
    an empty window (divisor 0) gives 0, as in PyTorch."""
    # x: (P, D, H, W)   out: (P, OD, OH, OW)
    P = x.shape[0]
    for p in range(P):
        for od in range(len(lo_d)):
            for oh in range(len(lo_h)):
                for ow in range(len(lo_w)):
                    total = 0.0
                    for d in range(lo_d[od], hi_d[od]):
                        for h in range(lo_h[oh], hi_h[oh]):
                            for w in range(lo_w[ow], hi_w[ow]):
                                total += x[p, d, h, w]
                    divisor = _divisor(od, oh, ow, cnt_d, cnt_h, cnt_w, divisor_override)
                    if divisor != 0:
                        out[p, od, oh, ow] = total / divisor


@njit(cache=True)
def _avg_pool_backward_loop(grad_out, grad_x, lo_d, hi_d, lo_h, hi_h, lo_w, hi_w,
                            cnt_d, cnt_h, cnt_w, divisor_override):
    """Every cell of window o counted 1/divisor in out[o], so it receives
    grad_out[o] / divisor (added up: windows may overlap)."""
    # grad_out: (P, OD, OH, OW)   grad_x: (P, D, H, W)
    P = grad_out.shape[0]
    for p in range(P):
        for od in range(len(lo_d)):
            for oh in range(len(lo_h)):
                for ow in range(len(lo_w)):
                    divisor = _divisor(od, oh, ow, cnt_d, cnt_h, cnt_w, divisor_override)
                    if divisor == 0:
                        continue
                    for d in range(lo_d[od], hi_d[od]):
                        for h in range(lo_h[oh], hi_h[oh]):
                            for w in range(lo_w[ow], hi_w[ow]):
                                grad_x[p, d, h, w] += grad_out[p, od, oh, ow] / divisor


@njit(cache=True)
def _unpool_loop(x, idx, out):
    """out[p, idx[p, i]] = x[p, i]: each value goes back to the cell its index names
    (when two share a cell, the later one stays, as in PyTorch's CPU loop)."""
    # x, idx: (P, ID*IH*IW)   out: (P, D*H*W), zeros elsewhere
    P, M = x.shape
    for p in range(P):
        for i in range(M):
            out[p, idx[p, i]] = x[p, i]


@njit(cache=True)
def _unpool_backward_loop(grad_out, idx, grad_x):
    """grad_x[p, i] = grad_out[p, idx[p, i]]: a value put in a cell gets that cell's gradient."""
    # grad_out: (P, D*H*W)   idx, grad_x: (P, ID*IH*IW)
    P, M = grad_x.shape
    for p in range(P):
        for i in range(M):
            grad_x[p, i] = grad_out[p, idx[p, i]]


# --------------------------------------------------------------------------------------
# The public functions: validate, run a loop in float64, round once to the input's dtype
# --------------------------------------------------------------------------------------
def _f64(a):
    """The loops work in float64 (exact for max pooling, one rounding for averages)."""
    return np.ascontiguousarray(a, dtype=np.float64)


def _ranges(axes):
    """(lo_d, hi_d, lo_h, hi_h, lo_w, hi_w) of the window tables of the 3 axes."""
    return tuple(t for a in axes for t in (a.lo, a.hi))


def _counts(axes, count_include_pad):
    """Cells per window along each axis: inside the input, or inside input and padding."""
    return tuple(a.count_with_pad if count_include_pad else a.count for a in axes)


def _override(divisor_override):
    return 0 if divisor_override is None else int(divisor_override)


def max_pool_forward(x, axes):
    """Max over each window. x (P, D, H, W) -> (out, idx), both (P, OD, OH, OW);
    ``axes``: the 3 axes' ``AxisWindows``. The loop: :func:`_max_pool_loop`."""
    _check_float("x", x, 4)
    _check_axes(axes, x.shape[1:])
    shape = x.shape[:1] + tuple(a.out_size for a in axes)
    out = np.empty(shape)
    idx = np.empty(shape, dtype=np.int64)
    _max_pool_loop(_f64(x), out, idx, *_ranges(axes), *(a.step for a in axes))
    return out.astype(x.dtype), idx


def max_pool_backward(grad_out, indices, in_spatial):
    """grad_out, indices (P, OD, OH, OW) -> grad_in (P, *in_spatial): each output's gradient
    goes to the cell that won its window. The loop: :func:`_max_pool_backward_loop`."""
    _check_float("grad_out", grad_out, 4)
    _check_indices(indices, grad_out.shape, None)
    P = grad_out.shape[0]
    D, H, W = (int(s) for s in in_spatial)
    grad_x = np.zeros((P, D * H * W))
    M = int(np.prod(grad_out.shape[1:]))
    _max_pool_backward_loop(_f64(grad_out).reshape(P, M), indices.reshape(P, M), grad_x)
    return grad_x.astype(grad_out.dtype).reshape(P, D, H, W)


def avg_pool_forward(x, axes, count_include_pad=True, divisor_override=None):
    """Mean over each window. x (P, D, H, W) -> out (P, OD, OH, OW). The divisor is the
    window's cell count (padding cells included if ``count_include_pad``; adaptive windows
    have none) or ``divisor_override``. The loop: :func:`_avg_pool_loop`."""
    _check_float("x", x, 4)
    _check_axes(axes, x.shape[1:])
    _check_contiguous_windows(axes)
    out = np.zeros(x.shape[:1] + tuple(a.out_size for a in axes))
    _avg_pool_loop(_f64(x), out, *_ranges(axes), *_counts(axes, count_include_pad),
                   _override(divisor_override))
    return out.astype(x.dtype)


def avg_pool_backward(grad_out, axes, count_include_pad=True, divisor_override=None):
    """grad_out (P, OD, OH, OW) -> grad_in (P, D, H, W): each output's gradient shared
    evenly by its window. The loop: :func:`_avg_pool_backward_loop`."""
    _check_float("grad_out", grad_out, 4)
    if tuple(grad_out.shape[1:]) != tuple(a.out_size for a in axes):
        raise ValueError(f"grad_out has spatial shape {grad_out.shape[1:]}, but the windows "
                         f"give {tuple(a.out_size for a in axes)}")
    spatial = tuple(a.in_size for a in axes)
    _check_axes(axes, spatial)
    _check_contiguous_windows(axes)
    grad_x = np.zeros(grad_out.shape[:1] + spatial)
    _avg_pool_backward_loop(_f64(grad_out), grad_x, *_ranges(axes),
                            *_counts(axes, count_include_pad), _override(divisor_override))
    return grad_x.astype(grad_out.dtype)


def max_unpool_forward(x, indices, out_spatial):
    """x, indices (P, ID, IH, IW) -> out (P, *out_spatial): each value put back at its flat
    index, zeros elsewhere. The loop: :func:`_unpool_loop`."""
    _check_float("x", x, 4)
    D, H, W = (int(s) for s in out_spatial)
    _check_indices(indices, x.shape, D * H * W)
    P = x.shape[0]
    out = np.zeros((P, D * H * W))
    M = int(np.prod(x.shape[1:]))
    _unpool_loop(_f64(x).reshape(P, M), indices.reshape(P, M), out)
    return out.astype(x.dtype).reshape(P, D, H, W)


def max_unpool_backward(grad_out, indices):
    """grad_out (P, D, H, W), indices (P, ID, IH, IW) -> grad_in (P, ID, IH, IW): each value
    reads the gradient of the cell it was put in. The loop: :func:`_unpool_backward_loop`."""
    _check_float("grad_out", grad_out, 4)
    P = grad_out.shape[0]
    plane = int(np.prod(grad_out.shape[1:]))
    if indices.ndim != 4 or indices.shape[0] != P:
        raise ValueError(f"indices must be (P, ID, IH, IW) with P={P}, got {indices.shape}")
    _check_indices(indices, indices.shape, plane)
    M = int(np.prod(indices.shape[1:]))
    grad_x = np.zeros((P, M))
    _unpool_backward_loop(_f64(grad_out).reshape(P, plane), indices.reshape(P, M), grad_x)
    return grad_x.astype(grad_out.dtype).reshape(indices.shape)
