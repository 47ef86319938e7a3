"""Depthwise convolution (one input channel per group): direct Numba loops, no im2col.

Reference loop: out[n, m, o] = sum over c, k of w[m, c, k] * x[n, c, o*s + k*d - p]. With
one input channel per group the sum over c has a single term and there is no matrix
product to speed up: these loops swap the loops over o and k instead, so that each tap k is
ONE long vector loop over every position o of a padded plane, not a short sum per position.

Used by :mod:`teachnn.kernels.fast_conv` when ``C/G == 1``; same conventions (3-d views,
``geom`` tuples, range kernels that release the GIL, validation done by the caller).

With C/G == 1 each output channel is a weighted sum of K shifted copies of ONE input
channel. The GEMM of the im2col route would be (O/G x K) @ (K x N*L) per group: tiny
matrices, while im2col writes K copies of the input. Here the loops run directly, one
(sample, channel) plane at a time, on flat 1-d arrays. Four ideas make them fast:

1. **Pad once into a scratch plane.** Each input plane is copied into a zero-bordered
   scratch plane ``xp`` of size (Dp, Hp, Wp), just large enough for every window.
   Afterwards no loop needs a bounds test. The border is never written, so it is
   zeroed once per call, not once per plane.

2. **One tap = one shift of the flat index.** The window of output (i, j, k) starts
   at (i*sd, j*sh, k*sw) in the padded plane, flat index

       q(i, j, k) = (i*sd*Hp + j*sh)*Wp + k*sw

   and its tap (a, b, e) reads ``xp_flat[q + off]`` with the constant
   ``off = (a*dd*Hp + b*dh)*Wp + e*dw``. So the kernels work on "the grid": every q
   from 0 to the last window start, and each tap is ONE long vectorisable loop over
   the grid, instead of oD*oH short loops over rows of oW (rows of 32 columns were too
   short: the per-row overhead cost more than the arithmetic). Grid cells that are no
   window start (the last columns of each padded row; with a stride also the cells in
   between) are computed too and then ignored: free for stride 1, and for a stride s
   it costs s times the work per dimension but keeps ONE simple loop for every case.

3. **Index only from 0.** Numba accepts negative indices (Python's ``a[-1]``), so an
   index it cannot prove non-negative gets a check on every element, which stops LLVM
   from vectorising the loop. The loops therefore slice a view first (``xs =
   xp[off:off + Lq]``) and index it with ``q`` from ``range(Lq)``, which starts at 0.
   Copies and fills are plain loops too: Numba's slice assignment ``a[:] = b[...]``
   was several times slower on these short rows.

4. **Three taps per pass.** A pass over the grid that adds one tap loads and stores the
   sums once per multiply-add; adding three taps per pass does it once per three. (The
   input gradient is written as a gather for this: each padded cell collects its taps.)
   The bias is added where the sums start, and its gradient is summed from the copy of
   grad_out that the weight gradient makes anyway (separate NumPy passes over the whole
   output cost more: docs/performance.md).

Few, small compiled functions on purpose: they are compiled in a learner's first
notebook cell, and each separately compiled function and each extra loop adds to it.
"""
from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from ... import geometry
from . import threads


# --------------------------------------------------------------------------------------
# Two helpers shared by the three kernels (the layout in Python, the copy compiled once)
# --------------------------------------------------------------------------------------
# The kernels pass ONE and ZERO (locals: np.int64(1), np.int64(0)) instead of the
# literals 1 and 0: a jitted function called from another one is compiled once per
# distinct argument type, and Numba types a literal 1 (or a global constant) as "the
# integer 1", so calls with 1 and with a variable step made three compilations of
# _copy_block (each paid in a learner's first cell) instead of one.
@functools.lru_cache(maxsize=256)
def dw_layout(geom, out_spatial):
    """((Dp, Hp, Wp, Lq), tap_off): what the three kernels need to know of the geometry.

    (Dp, Hp, Wp): the padded plane holding every window (the last window reads index
    (o-1)*s + (k-1)*d, so the size is that + 1). Lq: the grid length, the last window
    start + 1. tap_off[t] = (a*dd*Hp + b*dh)*Wp + e*dw for tap t = (a*kh + b)*kw + e,
    followed by up to two taps more (offset Dp*Hp*Wp, past the plane, where the kernels
    keep zeros) so that the taps come in whole threes. Plain Python, remembered (as a
    jitted helper it cost compile time in a learner's first cell); tap_off is shared:
    never written to."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    oD, oH, oW = out_spatial
    # the last window's last cell + 1, per axis (teachnn.geometry.window, no padding)
    Dp, Hp, Wp = (geometry.window(o - 1, k, s, 0, d)[-1] + 1 for o, k, s, d in
                  zip(out_spatial, (kd, kh, kw), (sd, sh, sw), (dd, dh, dw)))
    Lq = ((oD - 1) * sd * Hp + (oH - 1) * sh) * Wp + (oW - 1) * sw + 1
    a, b, e = np.meshgrid(np.arange(kd), np.arange(kh), np.arange(kw), indexing="ij")
    tap_off = ((a * dd * Hp + b * dh) * Wp + e * dw).reshape(-1)
    extra = -tap_off.size % 3
    tap_off = np.concatenate([tap_off, np.full(extra, Dp * Hp * Wp)]).astype(np.int64)
    return (Dp, Hp, Wp, Lq), tap_off


@njit(cache=True)
def _copy_block(src, s0, s_slice, s_row, s_step, dst, d0, d_slice, d_row, d_step,
                nz, ny, nc):
    """Copy nz x ny rows of nc values between two flat layouts:

        dst[d0 + z*d_slice + y*d_row + c*d_step] = src[s0 + z*s_slice + y*s_row + c*s_step]

    Every copy of the kernels is this one: an input plane into the padded plane and
    back (steps 1), an output plane onto the grid and back (grid step = the stride)."""
    for z in range(nz):
        for y in range(ny):
            a0 = s0 + z * s_slice + y * s_row
            b0 = d0 + z * d_slice + y * d_row
            s = src[a0:a0 + (nc - 1) * s_step + 1]
            d = dst[b0:b0 + (nc - 1) * d_step + 1]
            if s_step == 1 and d_step == 1:           # the common case: vectorises
                for c in range(nc):
                    d[c] = s[c]
            else:
                for c in range(nc):
                    d[c * d_step] = s[c * s_step]


# --------------------------------------------------------------------------------------
# Forward
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _dw_forward_range(x, w, bias, has_bias, out, geom, layout, tap_off, start, stop):
    """out[n, g*Og + o] = sum_tap w[g*Og + o, 0, tap] * shifted x[n, g] (+ bias[g*Og + o]
    with ``has_bias``), for the (sample, group) pairs p = n*G + g in [start, stop).

    x (N, G, D, H, W), w (O, 1, kd, kh, kw) with O = G*Og, out (N, O, oD, oH, oW):

        out[n, oc, i, j, k] = sum_{a,b,e} w[oc, 0, a, b, e]
                              * x[n, g, i*sd + a*dd - pd, j*sh + b*dh - ph, k*sw + e*dw - pw]
    (x = 0 outside the plane). Loop order: pair -> pad its plane once -> output channel
    of the group -> tap -> grid cell. Taps outside the grid loop: the grid of sums
    (acc, a few KB) stays in L1 while the taps are added, three per pass over it (one
    load and store of acc for three multiply-adds; a sum started at the bias).
    """
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, G, D, H, W = x.shape
    Og = w.shape[0] // G
    oD, oH, oW = out.shape[2], out.shape[3], out.shape[4]
    K = kd * kh * kw
    L = oD * oH * oW
    Dp, Hp, Wp, Lq = layout                           # dw_layout(geom, (oD, oH, oW))
    ONE, ZERO = np.int64(1), np.int64(0)          # see _copy_block's note
    xf, wf, of = x.reshape(-1), w.reshape(-1), out.reshape(-1)
    # padded plane, border = 0, then Lq zeros that the padding taps read
    xp = np.zeros(Dp * Hp * Wp + Lq, dtype=x.dtype)
    acc = np.empty(Lq, dtype=out.dtype)                # sums on the grid
    wk = np.zeros(tap_off.size, dtype=w.dtype)         # one channel's taps, 0 past K
    # input cells that fit in the padded plane (the rest is read by no window)
    nz, ny, nc = min(D, Dp - pd), min(H, Hp - ph), min(W, Wp - pw)
    for p in range(start, stop):
        n = p // G
        g = p - n * G
        # x[n, g] (D, H, W) -> interior of xp (Dp, Hp, Wp), shifted by the padding
        _copy_block(xf, p * D * H * W, H * W, W, ONE,
                    xp, (pd * Hp + ph) * Wp + pw, Hp * Wp, Wp, ONE, nz, ny, nc)
        for o in range(Og):
            oc = g * Og + o
            b0 = bias[oc] if has_bias else acc.dtype.type(0)
            for q in range(Lq):
                acc[q] = b0
            for t in range(K):                         # w[oc, 0, a, b, e]
                wk[t] = wf[oc * K + t]
            for t in range(0, tap_off.size, 3):            # three taps per pass over acc
                w0, w1, w2 = wk[t], wk[t + 1], wk[t + 2]
                x0 = xp[tap_off[t]:tap_off[t] + Lq]        # the plane shifted by each tap
                x1 = xp[tap_off[t + 1]:tap_off[t + 1] + Lq]
                x2 = xp[tap_off[t + 2]:tap_off[t + 2] + Lq]
                for q in range(Lq):
                    acc[q] += w0 * x0[q] + w1 * x1[q] + w2 * x2[q]
            # window starts on the grid -> out[n, oc] (oD, oH, oW)
            _copy_block(acc, ZERO, sd * Hp * Wp, sh * Wp, sw,
                        of, (n * G * Og + oc) * L, oH * oW, oW, ONE, oD, oH, oW)


# --------------------------------------------------------------------------------------
# Gradient of the input: the same taps, scattered back
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _dw_grad_input_range(g_out, w, gx, geom, layout, tap_off, start, stop):
    """grad_x[n, g] = sum_o sum_tap w[g*Og + o, 0, tap] * grad_out[n, g*Og + o] scattered
    back through the tap (the adjoint of _dw_forward_range), pairs p in [start, stop).

    g_out (N, O, oD, oH, oW), w (O, 1, kd, kh, kw), gx (N, G, D, H, W) fully overwritten.
    grad_out[n, oc] is put on the grid (0 on the cells that are no window start). Every
    read ``xp[off + q]`` of the forward becomes an add ``gxp[off + q] += w * gq[q]`` into
    a padded scratch plane gxp; written the other way round, each cell of gxp gathers
        gxp[r] = sum_tap w[oc, 0, tap] * gq[r - off_tap]        (0 where r - off < 0),
    so the grid is kept at an offset of the largest tap offset in gqp (zeros before and
    after it) and the taps are added three per pass over gxp, like the forward; gxp's
    interior is then copied to gx (its border holds the padding's gradient: dropped)."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, G, D, H, W = gx.shape
    Og = w.shape[0] // G
    oD, oH, oW = g_out.shape[2], g_out.shape[3], g_out.shape[4]
    K = kd * kh * kw
    L = oD * oH * oW
    Dp, Hp, Wp, Lq = layout                           # dw_layout(geom, (oD, oH, oW))
    ONE = np.int64(1)                                 # see _copy_block's note
    P = Dp * Hp * Wp
    top = tap_off[K - 1]                              # the largest tap offset
    gf, wf, gxf = g_out.reshape(-1), w.reshape(-1), gx.reshape(-1)
    gxp = np.empty(P, dtype=gx.dtype)                 # padded gradient plane
    # the grid at gqp[top:top + Lq]; every other cell must be 0 and the copies never write
    # them, so they are zeroed once here
    gqp = np.zeros(top + Lq + P, dtype=gx.dtype)      # (P zeros last: the padding taps)
    wk = np.zeros(tap_off.size, dtype=w.dtype)         # one channel's taps, 0 past K
    st = np.empty(tap_off.size, dtype=np.int64)        # where each tap reads gqp
    for t in range(tap_off.size):
        st[t] = top - tap_off[t] if t < K else top + Lq
    nz, ny, nc = min(D, Dp - pd), min(H, Hp - ph), min(W, Wp - pw)
    for p in range(start, stop):
        n = p // G
        g = p - n * G
        for q in range(P):
            gxp[q] = 0
        for o in range(Og):
            oc = g * Og + o
            # grad_out[n, oc] (oD, oH, oW) -> window starts on the grid
            _copy_block(gf, (n * G * Og + oc) * L, oH * oW, oW, ONE,
                        gqp, top, sd * Hp * Wp, sh * Wp, sw, oD, oH, oW)
            for t in range(K):
                wk[t] = wf[oc * K + t]
            for t in range(0, tap_off.size, 3):        # three taps per pass over gxp
                w0, w1, w2 = wk[t], wk[t + 1], wk[t + 2]
                g0 = gqp[st[t]:st[t] + P]
                g1 = gqp[st[t + 1]:st[t + 1] + P]
                g2 = gqp[st[t + 2]:st[t + 2] + P]
                for r in range(P):
                    gxp[r] += w0 * g0[r] + w1 * g1[r] + w2 * g2[r]
        # interior of gxp -> gx[n, g]; input cells beyond the padded plane (read by
        # no window, so their gradient is 0) are zeroed first
        if nz < D or ny < H or nc < W:
            plane = gxf[p * D * H * W:(p + 1) * D * H * W]
            for q in range(D * H * W):
                plane[q] = 0
        _copy_block(gxp, (pd * Hp + ph) * Wp + pw, Hp * Wp, Wp, ONE,
                    gxf, p * D * H * W, H * W, W, ONE, nz, ny, nc)


# --------------------------------------------------------------------------------------
# Gradient of the weight: per tap, a dot product of grad_out with the shifted input
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dw_grad_weight_range(g_out, x, gw, gb, want_b, geom, layout, tap_off, start, stop):
    """grad_w[oc, 0, tap] = sum_n sum_positions grad_out[n, oc] * shifted x[n, oc // Og],
    for the output channels oc in [start, stop) (each writes only its own entries); with
    ``want_b`` also the bias gradient gb[oc] (float64) = sum_n sum_positions grad_out[n, oc],
    taken from the copy of grad_out that is in the first-level cache anyway.

    g_out (N, O, oD, oH, oW), x (N, G, D, H, W), gw (O, 1, kd, kh, kw) fully overwritten.
    Loop order: channel -> sample (pad its plane, put grad_out on the grid) -> tap:
    one dot product of the grid with the shifted padded plane per tap, added up over
    the samples in float64 (grid cells that are no window start hold 0). ``reassoc`` lets
    LLVM keep partial sums in vector lanes (a running sum adds one product after the
    other: much slower); rounded differently from a left-to-right sum, but deterministic.
    """
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, G, D, H, W = x.shape
    Og = gw.shape[0] // G
    oD, oH, oW = g_out.shape[2], g_out.shape[3], g_out.shape[4]
    K = kd * kh * kw
    L = oD * oH * oW
    Dp, Hp, Wp, Lq = layout                           # dw_layout(geom, (oD, oH, oW))
    ONE, ZERO = np.int64(1), np.int64(0)          # see _copy_block's note
    gf, xf, gwf = g_out.reshape(-1), x.reshape(-1), gw.reshape(-1)
    # padded plane, border = 0, then Lq zeros that the padding taps read
    xp = np.zeros(Dp * Hp * Wp + Lq, dtype=x.dtype)
    gq = np.zeros(Lq, dtype=x.dtype)                   # grad_out on the grid, else 0
    total = np.empty(tap_off.size, dtype=np.float64)   # per tap, summed over samples
    nz, ny, nc = min(D, Dp - pd), min(H, Hp - ph), min(W, Wp - pw)
    for oc in range(start, stop):
        g = oc // Og
        for t in range(tap_off.size):
            total[t] = 0
        total_b = 0.0
        for n in range(N):
            _copy_block(xf, (n * G + g) * D * H * W, H * W, W, ONE,
                        xp, (pd * Hp + ph) * Wp + pw, Hp * Wp, Wp, ONE, nz, ny, nc)
            _copy_block(gf, (n * G * Og + oc) * L, oH * oW, oW, ONE,
                        gq, ZERO, sd * Hp * Wp, sh * Wp, sw, oD, oH, oW)
            if want_b:                                  # (cells off the grid hold 0)
                sb = 0.0
                for q in range(Lq):
                    sb += np.float64(gq[q])
                total_b += sb
            for t in range(0, tap_off.size, 3):         # three taps per pass over gq
                x0 = xp[tap_off[t]:tap_off[t] + Lq]     # the plane shifted by each tap
                x1 = xp[tap_off[t + 1]:tap_off[t + 1] + Lq]
                x2 = xp[tap_off[t + 2]:tap_off[t + 2] + Lq]
                s0 = s1 = s2 = gq.dtype.type(0)         # in the arrays' precision
                for q in range(Lq):
                    v = gq[q]
                    s0 += v * x0[q]
                    s1 += v * x1[q]
                    s2 += v * x2[q]
                total[t] += s0
                total[t + 1] += s1
                total[t + 2] += s2
        for t in range(K):
            gwf[oc * K + t] = total[t]
        if want_b:
            gb[oc] = total_b


# --------------------------------------------------------------------------------------
# Entry points (called by the package's API once the operands are checked)
# --------------------------------------------------------------------------------------
def depthwise_forward(x, w, bias, out, geom, min_work):
    """out (N, O, oD, oH, oW) = the depthwise convolution of x with w (+ bias), the
    (sample, channel) planes shared out among the threads."""
    N, G = x.shape[:2]
    has_bias = bias is not None
    threads.run_split(_dw_forward_range,
                      (x, w, bias if has_bias else w.reshape(-1), has_bias, out, geom,
                       *dw_layout(geom, out.shape[2:])),
                      N * G, out.size * math.prod(w.shape[2:]), min_work)


def depthwise_backward(grad_out, x, w, geom, need_x, need_w, need_b, min_work):
    """(grad_x, grad_w, grad_b), each None when not needed. Both gradients in one parallel
    pass: thread t takes its share of the (sample, channel) planes of grad_x, then its
    share of the output channels of grad_w (one hand-over to the threads instead of two).
    The kernels write every cell of grad_x and sum the bias's gradient on the way."""
    N, G = x.shape[:2]
    O = w.shape[0]
    work = grad_out.size * math.prod(w.shape[2:])
    layout = dw_layout(geom, grad_out.shape[2:])
    gx = np.empty(x.shape, dtype=x.dtype) if need_x else None
    gw = np.zeros(w.shape, dtype=x.dtype) if need_w else None
    sums = np.zeros(O)
    n_threads = 1 if work < min_work else min(threads.thread_count(), N * G, O)

    def both(t, first, last):
        if need_x:
            _dw_grad_input_range(grad_out, w, gx, geom, *layout, N * G * t // n_threads,
                                 N * G * (t + 1) // n_threads)
        if need_w:
            _dw_grad_weight_range(grad_out, x, gw, sums, need_b, geom, *layout,
                                  O * t // n_threads, O * (t + 1) // n_threads)

    threads.run_parallel(both, list(range(n_threads + 1)))
    if need_w:
        gb = sums.astype(x.dtype) if need_b else None
    else:
        gb = grad_out.sum(axis=(0, 2, 3, 4)) if need_b else None
    return gx, gw, gb
