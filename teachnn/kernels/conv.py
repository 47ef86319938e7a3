# Loop order and why
# ------------------
# Convolution here is "im2col + GEMM", done one sample and one block of output rows at a time:
#
#   1. im2col: every receptive field of ONE sample laid out as the columns of a matrix
#          x[n] (C, D, H, W) -> col (C*kd*kh*kw, rows*Wq)      (Wq >= oW: see "Wide rows")
#      Rows of col are (channel, kernel tap), columns are output positions. The sample is
#      first zero-padded and split into stride phases (``_gather``), after which every
#      tap's view of a plane of output rows is ONE contiguous run of memory (below).
#   2. The channel contraction is a matrix product per group:
#          weight (G, O/G, C/G*K) @ col (G, C/G*K, rows*Wq) -> (G, O/G, rows*Wq)
#      made by register tiles written here (``tiles.py``: an 8 x 48 block of the product
#      held in 24 vector registers, the core of every fast GEMM). col is never built: row
#      (c, tap) of col IS a run of the phases, so ``_gather_gemm``'s tiles read each
#      48-column piece of col's rows where it lies in the phases (``tiles._tile_rows``),
#      and each 48-column piece of the product goes straight into out[n] (wide columns
#      dropped, bias added) while it is still in the first-level cache. A learner can see that the whole convolution *is*
#      a matrix product once the windows are laid out as columns.
#   3. col2im is the adjoint of im2col: every column entry is *added* back to the input
#      cell it was copied from. ``_gemm_scatter`` makes the product 48 columns at a time
#      and its tiles add each row of a piece into the phases at that row's tap, straight
#      from their registers (``tiles._tile_add_rows``); ``_scatter`` undoes the phases.
#      With stride 1 and 32 channels or more, grad_x is instead made as a convolution of
#      grad_out with the weight turned round (``_adjoint_padding``): no col2im at all.
#   The weight gradient is a product that sums over the positions, which both of its
#   operands hold along memory, while a tile steps through its sum one entry at a time:
#   ``_wgrad_tiles`` turns grad_out's rows and col round 8 rows x 16 positions at a time in
#   vector registers (``tiles._transpose8``), then multiplies. With 32 output channels or
#   more, ``_wgrad_cols`` turns only grad_out round and its tiles (``tiles._tile_acols``,
#   12 col rows x 32 channels) take col's numbers one at a time where they lie in the
#   phases: C/G*K rows fewer to turn round (backward 0.78-0.95 of the time). (Turning them round one
#   number at a time cost what the tiles saved: 0.89-1.15x the time of BLAS on a built
#   col; a tile summing along rows instead reached only 45-100 GFLOPS.) BLAS (``np.matmul``)
#   on a column matrix that ``_im2col_block`` builds, one block of output rows at a time sized
#   to stay in the core's own cache (BLOCK_BYTES), is kept for two cases only: the rerun
#   for inputs holding inf or NaN, and several groups whose output channels are not whole
#   tiles of 8.
#   Measured gains of the tiles over BLAS (one thread, float32, AVX-512 Xeon): the products
#   alone 130-170 GFLOPS against OpenBLAS's 80-130; folding im2col in cut the forward to
#   0.65-1.0 of its time with BLAS on a built col, which sent ~1 MB per block through the
#   second-level cache and back; the weight gradient alone took 0.63-0.85 of the time of
#   _gather + BLAS (Conv2d (32,16,32,32)->32: 3.8 ms against 6.1).
#   Fewer multiply-adds (Winograd F(2x2, 3x3): 2.25x fewer for 3x3 layers) did not pay off
#   here: a first prototype (forward, untuned transforms) ran 1.35x slower than im2col + GEMM
#   on Conv2d (8,64,56,56) k3 and 2-3x slower with 16 channels, because its sixteen thin
#   (O x C) @ (C x tiles) products ran at ~75 GFLOPS against ~110 for one (O x C*9) product,
#   and the tile transforms cost as much as the products.
#   Threads: samples are shared out among our threads (each runs a one-thread BLAS and has
#   its own buffers), so no two threads ever write the same memory. Depthwise convolution
#   (one input channel per group) skips im2col: direct loops in ``depthwise.py``.
#
# The six directions use only these loops (``_sweep`` runs them):
#   conv forward            = GEMM(weight, im2col(x))
#   conv grad wrt input     = col2im(GEMM(weight^T, grad_out))       <- this IS conv_transpose
#                             (stride 1, >= 32 channels: conv(grad_out, weight turned round),
#                             see _adjoint_padding; the same numbers without col2im)
#   conv grad wrt weight    = sum over samples of GEMM(grad_out, im2col(x)^T)
#   conv_transpose forward  = col2im(GEMM(weight^T, x))
#   conv_transpose grad x   = GEMM(weight, im2col(grad_out))         <- this IS conv
#   conv_transpose grad w   = sum over samples of GEMM(x, im2col(grad_out)^T)
#
# Everything is 3-d: a 1-d input (N, C, L) is the view (N, C, 1, 1, L) and a 2-d input is
# (N, C, 1, H, W). One kernel family means one code path to test and only two compiled
# specialisations per loop (float32, float64). No parallel=True: it compiled 2-3x slower
# here, and the learner waits for compilation in the first cell of every notebook.
#
# Numba does no bounds checks, so the Python wrappers below check shapes, dtypes and
# contiguity before every jitted call. Debug a kernel in plain Python with
# ``NUMBA_DISABLE_JIT=1 python -m pytest tests/test_conv_kernels.py``.
"""Numba convolution kernels: ndarrays in, ndarrays out (no Tensor, no autograd)."""
from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit

from ._windows import _valid_columns
from .blas import backend as _blas_backend, gemm_batched as _gemm
from .blas import _blas_can_be_held, _find_openblas_threads, _one_thread_blas  # noqa: F401
from .depthwise import _dw_forward_range, _dw_grad_input_range, _dw_grad_weight_range, dw_layout
from .tiles import (KC, MR, MR_W, NV_W, ROW_BYTES, VECTOR_BYTES, _deinterleave, _interleave,
                    _row_add, _row_move, _row_out, _tile,
                    _tile_acols, _tile_add_rows, _tile_rows, _transpose8, pack_rows,
                    padded_rows, tile_cols)

__all__ = [
    "im2col",
    "col2im",
    "conv_forward",
    "conv_backward",
    "conv_transpose_forward",
    "conv_transpose_backward",
]

_FLOATS = (np.float32, np.float64)


# --------------------------------------------------------------------------------------
# The jitted loops
# --------------------------------------------------------------------------------------
# A window of output cell (i, j, k) starts at padded input cell (i*sd, j*sh, k*sw) and tap
# (a, b, e) reads (i*sd + a*dd, j*sh + b*dh, k*sw + e*dw). Two ideas make every copy below
# a long contiguous one (measured 3-6x faster than copying one short output row at a time):
#
#   * Phases. The padded input of one sample is split once into sd*sh*sw "phases",
#         xq[c, pa, pb, pe, u, v, t] = xpad[c, pa + sd*u, pb + sh*v, pe + sw*t],
#     so that tap (a, b, e) reads phase (a*dd % sd, b*dh % sh, e*dw % sw) at
#     (i + a*dd//sd, j + b*dh//sh, k + e*dw//sw): stride 1 in every axis. (With stride 1
#     there is a single phase, which is just the zero-padded input.)
#     The padding cells of the phases are the same for every sample: they are zeroed once
#     per call, and only x's cells are copied. With stride 2 along the rows, each row of x
#     goes into its two column phases a vector of column pairs at a time (even columns to
#     one, odd to the other: _deinterleave), and col2im's phases come back the same way.
#   * Wide rows. Each output row is given Wq >= oW columns, the width of a phase row. Then
#     the oH consecutive rows a tap reads are one contiguous run of oH*Wq phase cells, and
#     im2col is one copy per (channel, tap, plane). The Wq - oW extra "wide" columns of a
#     row are computed too and thrown away (they cost (Wq - oW)/oW more multiply-adds,
#     a few per cent for typical layers).
#
# All loops work on ONE sample and release the GIL (nogil=True): our threads run them at
# the same time on different samples. Blocks of output rows r = i*oH + j in [r0, r1) keep
# the column matrix small enough to stay in cache.
@njit(cache=True, nogil=True)
def _gather(batch, n0, n1, load_first, xq, geom, qshape, qstride, pairs):
    """The phases of the samples n0..n1-1 of batch (N, C, D, H, W): zero-pad each sample and
    split it into phases (skipped for sample n0 unless ``load_first``: xq holds its phases
    already),
        xq[c, pa, pb, pe, u, v, t] = x[c, pa + sd*u - pd, pb + sh*v - ph, pe + sw*t - pw]
    (zero outside x; (C, sd, sh, sw, Dq, Hq, Wq) plus slack, flat, from xq[(n - n0)*qstride]
    on: each sample of the block has its own, or all share one with qstride = 0). All
    samples of a block are one call: Python calls it once per block (with several
    threads, calls from Python queue for the GIL).

    Only the cells that come from x are written: xq must start as zeros (np.zeros), and
    the padding cells, the same for every sample, stay zero from then on. (Writing the
    zeros of every phase row again for each sample took 17-40 % of this copy's time.)"""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    Dq, Hq, Wq = qshape
    C, D, H, W = batch.shape[1:]          # the big side: (N, C, D, H, W)
    P = Dq * Hq * Wq                      # cells of one phase
    lanes = VECTOR_BYTES // xq.itemsize
    J, even_at, odd_at, _, _ = pairs          # _pair_columns
    for n in range(n0, n1):
        q0 = (n - n0) * qstride               # where sample n's phases start in xq
        if n == n0 and not load_first:
            continue
        xf = batch[n].reshape(-1)
        for c in range(C):
            for pa in range(sd):
                for pb in range(sh):
                    if sw == 2 and J > 0:
                        # stride 2: x's rows in pairs of columns (2j, 2j + 1), j < J, a
                        # vector of pairs at a time, split into evens and odds, which lie
                        # in the two column phases (see _pair_columns); the loop below
                        # copies the rest
                        plane = q0 + ((c * sd + pa) * sh + pb) * 2 * P
                        for u in range(Dq):
                            zi = pa + sd * u - pd
                            for v in range(Hq):
                                yi = pb + sh * v - ph
                                if zi < 0 or zi >= D or yi < 0 or yi >= H:
                                    continue
                                row_q = plane + (u * Hq + v) * Wq      # phase 0's row; 1's at +P
                                src = ((c * D + zi) * H + yi) * W      # x[c, zi, yi, 0]
                                for j in range(0, J, lanes):
                                    _deinterleave(xf, src + 2 * j, xq, row_q + even_at + j,
                                                  row_q + odd_at + j)
                    for pe in range(sw):
                        t_lo, t_hi = _valid_columns(pe - pw, sw, W, Wq)
                        if J > 0 and t_lo < (2 * J - pe + pw + 1) // 2:   # (stride 2:
                            t_lo = (2 * J - pe + pw + 1) // 2          # after the pairs; no
                                                                       # max(): compile time)
                        if t_lo >= t_hi:
                            continue
                        plane = q0 + (((c * sd + pa) * sh + pb) * sw + pe) * Dq * Hq * Wq
                        for u in range(Dq):
                            zi = pa + sd * u - pd
                            for v in range(Hq):
                                yi = pb + sh * v - ph
                                dst = plane + (u * Hq + v) * Wq            # one phase row (Wq,)
                                if zi < 0 or zi >= D or yi < 0 or yi >= H:
                                    continue                  # (zero, and never written)
                                src = ((c * D + zi) * H + yi) * W + pe - pw   # x[c, zi, yi, pe-pw]
                                dst_v = xq[dst + t_lo:dst + t_hi]
                                if sw == 1:
                                    src_v = xf[src + t_lo:src + t_hi]
                                    for t in range(t_hi - t_lo):
                                        dst_v[t] = src_v[t]
                                else:
                                    src_s = xf[src + t_lo * sw:src + t_hi * sw]
                                    for t in range(t_hi - t_lo):
                                        dst_v[t] = src_s[t * sw]


@njit(cache=True, nogil=True)
def _im2col_block(xq, C, n_samples, col, geom, qshape, oshape, r0, r1, zero_wide, qstride):
    """im2col of output rows [r0, r1) of a block of ``n_samples`` samples from their phases
    (made by _gather) into col (C*kd*kh*kw, Lt), sample s in the columns c0 + [0, (r1 -
    r0)*Wq), c0 = s*Ls: one contiguous run per (channel, tap, output plane),
        col[((c*kd + a)*kh + b)*kw + e, c0 + (r - r0)*Wq + k]
            = xpad[c, i*sd + a*dd, j*sh + b*dh, k*sw + e*dw],   r = i*oH + j, k < oW.
    The wide columns k >= oW hold whatever the run copied there (finite numbers from
    neighbouring cells) unless ``zero_wide``, which zeroes them (needed only when the
    input holds inf or NaN: see _sweep). Only BLAS's products read a built col (and the
    public im2col); the tiles pack it from the phases themselves."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    Dq, Hq, Wq = qshape
    oD, oH, oW = oshape
    Lt = col.shape[1]                     # columns of the whole block
    cf = col.reshape(-1)
    Ls = (r1 - r0) * Wq                   # columns of one sample
    for s in range(n_samples):
        c0 = s * Ls
        q0 = s * qstride                  # where sample s's phases start in xq
        for c in range(C):
            for a in range(kd):
                for b in range(kh):
                    for e in range(kw):
                        row = ((c * kd + a) * kh + b) * kw + e
                        plane = q0 + (((c * sd + (a * dd) % sd) * sh + (b * dh) % sh) * sw
                                      + (e * dw) % sw) * Dq * Hq * Wq
                        ua, vb, te = (a * dd) // sd, (b * dh) // sh, (e * dw) // sw
                        r = r0
                        while r < r1:                      # one run per output plane i
                            i = r // oH
                            j = r - i * oH
                            run = min(r1 - r, oH - j)      # rows of plane i in this block
                            src = plane + ((i + ua) * Hq + j + vb) * Wq + te
                            dst = row * Lt + c0 + (r - r0) * Wq
                            # one contiguous run of `run` wide rows, copied through slice views with
                            # a plain index (dst_v[k] = src_v[k]): LLVM vectorises that, while
                            # ``cf[a:b] = xq[c:d]`` checks for overlap and went 3x slower
                            src_v = xq[src:src + run * Wq]
                            dst_v = cf[dst:dst + run * Wq]
                            for k in range(run * Wq):
                                dst_v[k] = src_v[k]
                            r += run
                        if zero_wide and Wq > oW:
                            for r in range(r1 - r0):       # zero the wide columns
                                base = row * Lt + c0 + r * Wq
                                cf[base + oW:base + Wq] = 0


@njit(cache=True, nogil=True)
def _scatter(gq, qstride, out, n0, n1, last_done, geom, qshape, bias, has_bias, pairs):
    """col2im's last step, the adjoint of _gather's phases: once the phases of a sample in
    gq hold every column added into them (_gemm_scatter), undo them into out
    (N, C, D, H, W) (plus the bias per channel when ``has_bias``):
        out[n, c, zi, yi, xi] = gq[phase and position of padded cell (zi+pd, yi+ph, xi+pw)]
    (zero for cells no window reaches), and zero them for the next sample. Sample n of
    n0..n1-1 has its phases at gq[(n - n0)*qstride:]; all are complete except the last,
    which is complete only with ``last_done`` (else later blocks add its other rows).
    """
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    Dq, Hq, Wq = qshape
    C, D, H, W = out.shape[1:]          # the big side: (N, C, D, H, W)
    xq = gq
    P = Dq * Hq * Wq                      # cells of one phase
    lanes = VECTOR_BYTES // gq.itemsize
    nr = ROW_BYTES // gq.itemsize             # (_row_out copies up to nr numbers)
    neg_zero = -gq.dtype.type(0)              # (x + -0.0 is x, -0.0 included)
    # (_pair_columns; zero_rows: some cells of a row of out are reached by no window, so
    # the rows are zeroed first; rest: the pairs leave columns to copy one by one)
    J, even_at, odd_at, zero_rows, rest = pairs
    for n in range(n0, n1):
        q0 = (n - n0) * qstride               # where sample n's phases start in gq
        if n < n1 - 1 or last_done:
            xf = out[n].reshape(-1)
            for c in range(C):
                for zi in range(D):
                    pa, u = (zi + pd) % sd, (zi + pd) // sd
                    for yi in range(H):
                        pb, v = (yi + ph) % sh, (yi + ph) // sh
                        row = ((c * D + zi) * H + yi) * W                 # x[c, zi, yi, :]
                        if u >= Dq or v >= Hq or zero_rows:
                            xf[row:row + W] = 0
                        if u >= Dq or v >= Hq:
                            continue
                        if sw == 2 and J > 0:
                            # stride 2: pairs of out's columns (2j, 2j + 1), j < J, a vector
                            # of pairs at a time, from the two column phases (see
                            # _pair_columns); the loop below copies the rest
                            row_q = q0 + ((c * sd + pa) * sh + pb) * 2 * P + (u * Hq + v) * Wq
                            for j in range(0, J, lanes):
                                _interleave(xq, row_q + even_at + j, row_q + odd_at + j, xf,
                                            row + 2 * j)
                        if not rest:
                            continue
                        for pe in range(sw):
                            t_lo, t_hi = _valid_columns(pe - pw, sw, W, Wq)
                            if J > 0 and t_lo < (2 * J - pe + pw + 1) // 2:   # (stride 2:
                                t_lo = (2 * J - pe + pw + 1) // 2      # after the pairs)
                            src = q0 + ((((c * sd + pa) * sh + pb) * sw + pe) * Dq * Hq
                                        + u * Hq + v) * Wq
                            dst = row + pe - pw                           # x column of t = 0
                            if sw == 1:          # (masked vector copies: rows are short)
                                for t in range(t_lo, t_hi, nr):
                                    _row_out(xf, dst + t, xq, src + t, min(nr, t_hi - t),
                                             neg_zero)
                            else:
                                src_v = xq[src + t_lo:src + t_hi]
                                dst_s = xf[dst + t_lo * sw:dst + t_hi * sw]
                                for t in range(t_hi - t_lo):
                                    dst_s[t * sw] = src_v[t]
            if has_bias:                     # (the plain loop compiles much faster
                size = D * H * W                 # than out[n, ch] += bias[ch])
                for ch in range(C):
                    plane_v = xf[ch * size:(ch + 1) * size]
                    for k in range(size):
                        plane_v[k] += bias[ch]
            gq[q0:q0 + qstride] = 0          # zero for the next sample


@njit(cache=True, nogil=True, fastmath={"reassoc"})
def _widen(rows, wide, n0, n1, r0, r1, oW, Wq, row_sums, add_sums):
    """Copy rows [r0, r1) of the samples n0..n1-1 of rows (N, M, rows*oW) into wide (M, Lt),
    sample n from column (n - n0)*Ls, leaving the wide columns k >= oW untouched (the caller
    keeps them zero). With ``add_sums``, also add what was copied of each m into row_sums[m]
    (float64): the bias gradient is the sum of grad_out over samples and positions, and this
    copy is the one pass over grad_out there is anyway. ("reassoc" lets the sum be split
    into vector lanes; every other float rule, inf and NaN included, stays strict.)"""
    Ls = (r1 - r0) * Wq
    for n in range(n0, n1):
        c0 = (n - n0) * Ls
        for m in range(rows.shape[1]):
            total = 0.0
            for r in range(r1 - r0):
                src_v = rows[n, m, (r0 + r) * oW:(r0 + r + 1) * oW]
                dst_v = wide[m, c0 + r * Wq:c0 + r * Wq + oW]
                if add_sums:
                    part = 0.0
                    for k in range(oW):
                        v = src_v[k]
                        dst_v[k] = v
                        part += np.float64(v)
                    total += part
                else:
                    for k in range(oW):
                        dst_v[k] = src_v[k]
            if add_sums:
                row_sums[m] += total

# Products by register tiles (tiles.py), with im2col / col2im folded in
# ----------------------------------------------------------------------
# The tiles read their B operand in panels of NR columns (48 float32). Rather than building
# a block's whole column matrix and then multiplying it (about 1 MB sent through the
# second-level cache and back per block, which cost as much as a third of the forward),
# the tiles read each panel's rows in the phases themselves (_tile_rows: B's row k from
# its own offset); only a panel that is several runs (a plane or a sample ends inside it)
# is packed first, KC rows at a time, into a buffer that stays in the first-level cache.
# (Packing every panel cost 5-23 % of the forward.) col2im works the same way round: the
# tiles add each row of a panel of the product into the phases at its tap.
#
# Where a panel's columns live in the phases: column q of the block (sample n0 + s, wide
# row r, column k) of row (channel c, tap a, b, e) reads
#     phases of sample n0 + s  at  tap_at[row] + (i*Hq + j)*Wq + k,   r0 + r = i*oH + j,
# and the columns of one sample and one output plane i follow each other in memory (wide
# rows). So each panel is one or a few contiguous "runs", found once per block by
# _panel_runs, and each row of a panel is a copy of those runs from tap_at[row] on.
@functools.lru_cache(maxsize=256)
def _tap_offsets(geom, qshape, C):
    """(tap_at, tap_pad): tap_at (C*kd*kh*kw,) is where row (c, a, b, e) of col starts
    reading in the phases; tap_pad is tap_at followed by NR (48) copies of tap_at[0] (slack
    that _wgrad_tiles reads for the unused columns of its last panel). Remembered per
    layer: shared, never written to (a read-only flag would make Numba compile the kernels
    once more, for read-only arrays)."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    Dq, Hq, Wq = qshape
    c, a, b, e = np.meshgrid(np.arange(C), np.arange(kd), np.arange(kh), np.arange(kw),
                             indexing="ij")
    plane = ((c * sd + (a * dd) % sd) * sh + (b * dh) % sh) * sw + (e * dw) % sw
    at = plane * (Dq * Hq * Wq) + ((a * dd) // sd * Hq + (b * dh) // sh) * Wq + (e * dw) // sw
    at = at.reshape(-1).astype(np.int64)
    return at, np.concatenate([at, np.full(ROW_BYTES // 4, at[0])])


@functools.lru_cache(maxsize=256)
def _tap_major(geom, qshape, C, G):
    """tap_at in the order of col2im's product: each group's C/G*K rows taken tap by tap,
    all the group's channels of one tap after the other (row t*C/G + c of the product is
    row c*K + t of col; _sweep orders the weight's rows the same way). _tile_add_rows adds
    a tile's 8 rows into the phases one after the other; in col's own order they are
    neighbouring taps of one channel, whose runs overlap one cell apart, so every row's
    loads waited for the last row's stores to reach the cache. Eight channels of one tap
    touch eight disjoint runs instead. Shared, never written to."""
    K = geom[0] * geom[1] * geom[2]
    Cg = C // G
    at = _tap_offsets(geom, qshape, C)[0].reshape(G, Cg, K).transpose(0, 2, 1)
    return np.ascontiguousarray(at).reshape(-1)


@functools.lru_cache(maxsize=256)
def _tap_rows_padded(geom, qshape, C, G, k_pad):
    """tap_at with each group's C/G*K rows followed by padding rows up to k_pad, which read
    the group's first row (_wgrad_cols drops their sums). Shared, never written to."""
    at = _tap_offsets(geom, qshape, C)[0].reshape(G, -1)
    out = np.repeat(at[:, :1], k_pad, axis=1)
    out[:, :at.shape[1]] = at
    return out.reshape(-1)


@functools.lru_cache(maxsize=4)
def _packed_rows(nr):
    """[0, NR, 2*NR, ...] (KC entries): where the rows of a packed panel piece start.
    Shared, never written to."""
    return np.arange(KC, dtype=np.int64) * nr


@functools.lru_cache(maxsize=512)
def _panel_runs(n_samples, r0, r1, oH, Wq, Hq, qstride, nr):
    """The runs of every panel of a block of ``n_samples`` samples x output rows [r0, r1):
    returns (first, dst, src, length) with the runs of panel p at first[p]..first[p+1]-1;
    run t copies ``length[t]`` columns starting at column dst[t] of the panel from the
    phases at src[t] (+ tap_at[row]; sample s's phases start at s*qstride). Plain Python,
    remembered: a layer's blocks share a few patterns, each worked out once (~1 ms for a
    block of many samples), and Numba would spend most of a second compiling it. The
    arrays returned are shared: never written to."""
    Ls = (r1 - r0) * Wq
    Lb = n_samples * Ls
    panels = (Lb + nr - 1) // nr
    first, dst, src, length = [], [], [], []
    for p in range(panels):
        first.append(len(dst))
        q, q_end = p * nr, min(Lb, (p + 1) * nr)
        while q < q_end:
            s = q // Ls                          # sample n0 + s
            r = (q - s * Ls) // Wq
            i, j = divmod(r0 + r, oH)
            plane_end = s * Ls + (min(r1, (i + 1) * oH) - r0) * Wq   # a run ends with its plane
            run = min(q_end, plane_end) - q
            dst.append(q - p * nr)
            src.append(s * qstride + (i * Hq + j) * Wq + q - s * Ls - r * Wq)
            length.append(run)
            q += run
    first.append(len(dst))
    return tuple(np.array(v, np.int64) for v in (first, dst, src, length))


@njit(cache=True, nogil=True)
def _gather_gemm(xq, tap_at, first, run_dst, run_src, run_len, wp, m_pad, groups, pbuf, pk_offs,
                 cpan, out, n0, r0, r1, oW, Wq, m_group, bias, has_bias):
    """Forward of a block with im2col folded in and the wide columns dropped on the way out:
    for every group g, output channel m = g*m_group + i and column q of the block (sample
    n0 + s, wide row r, column k < oW),
        out[n0 + s, m, (r0 + r)*oW + k] = sum over rows j of group g of wp[g, i, j] * col[j, q]
                                          (+ bias[m] with ``has_bias``).
    Panel by panel (NR columns) and KC rows at a time, the packed weight wp
    (G, m_pad/MR, C/G*K, MR) multiplies col's rows, read where they lie in the phases xq
    when the panel is one run (see above), else packed into pbuf (KC*NR) first (row kk at
    pbuf[pk_offs[kk]:]), into cpan (G*m_pad, NR); while cpan is still in the first-level
    cache, its columns k < oW are copied into out, one piece of an output row at a time."""
    nr = ROW_BYTES // cpan.itemsize            # tiles.tile_cols
    CgK = tap_at.size // groups
    piece = -(-CgK // -(-CgK // KC))             # KC or less, pieces of equal size
    Ls = (r1 - r0) * Wq                          # columns of one sample
    zero = cpan.dtype.type(0)                    # (adding 0 to the sums: no bias)
    neg_zero = -zero                             # (x + -0.0 is x, -0.0 included)
    M, row_len = out.shape[1], out.shape[2]
    of = out.reshape(-1)
    last = first[first.size - 1] - 1             # the block's last run ends its columns
    n_cols = (first.size - 2) * nr + run_dst[last] + run_len[last]
    for p in range(first.size - 1):
        t0, t1 = first[p], first[p + 1]
        # the usual case: the panel is one run of nr columns
        whole = t1 == t0 + 1 and run_len[t0] == nr
        for g in range(groups):
            for k0 in range(0, CgK, piece):
                kc = min(piece, CgK - k0)
                # where the tiles read col's rows: in the phases (a whole panel), else in
                # pbuf, where they are packed first (row kk at pbuf[pk_offs[kk]:])
                b_src, b_base, b_offs, b_idx = xq, run_src[t0], tap_at, g * CgK + k0
                if not whole:
                    b_src, b_base, b_offs, b_idx = pbuf, 0, pk_offs, 0
                    for kk in range(kc):         # pack rows k0..k0+kc: pbuf[kk*nr + l]
                        at = tap_at[g * CgK + k0 + kk]
                        for t in range(t0, t1):
                            # a run as masked vector copies (adding -0.0 changes no number)
                            _row_out(pbuf, kk * nr + run_dst[t], xq, at + run_src[t],
                                     run_len[t], neg_zero)
                for ip in range(m_pad // MR):
                    _tile_rows(wp, ((g * (m_pad // MR) + ip) * CgK + k0) * MR, b_src, b_base,
                               b_offs, b_idx, kc, cpan, (g * m_pad + ip * MR) * nr, nr, k0 > 0)
        # the panel's columns into out: one piece of a wide row at a time, wide columns
        # (k >= oW) and columns past the block skipped
        q = p * nr
        q_end = min(n_cols, q + nr)
        while q < q_end:
            s = q // Ls
            r = (q - s * Ls) // Wq
            k = q - s * Ls - r * Wq
            ln = min(q_end - q, Wq - k)          # to the end of this wide row
            if k < oW:
                lv = min(ln, oW - k)
                o0 = (n0 + s) * M * row_len + (r0 + r) * oW + k     # out[n0 + s, 0, (r0+r)*oW + k]
                for g in range(groups):
                    for i in range(m_group):
                        m = g * m_group + i
                        _row_out(of, o0 + m * row_len, cpan, (g * m_pad + i) * nr + q - p * nr,
                                 lv, bias[m] if has_bias else zero)
            q += ln


@njit(cache=True, nogil=True)
def _gemm_scatter(src, rows_g, wtp, m_pad, groups, tap_at, first, run_dst, run_src, run_len,
                  cbuf, gq):
    """col2im of a block's product, the product made panel by panel: for every group g and
    panel p (columns p*NR..p*NR+NR-1), the tiles make wtp[g] @ src[g, :, panel], where
        wtp: the packed transposed weight (G, m_pad/MR, rows_g, MR), m_pad >= C/G*K
        src: the block's small operand, (G*rows_g, ldb) row-major (_widen's wide rows;
             ldb >= whole panels, so no packing: rows_g is small and stays in cache)
    and every row k < C/G*K of it is added into the phases gq along the panel's runs (from
    tap_at[g*C/G*K + k] on), as _scatter adds a column matrix: by the tiles themselves
    (_tile_add_rows) when the panel is one run, for the tiles of 8 real rows; the others
    are made into cbuf (m_pad, NR) and added from there."""
    nr = ROW_BYTES // gq.itemsize              # tiles.tile_cols
    CgK = tap_at.size // groups
    ldb = src.size // (groups * rows_g)
    piece = -(-rows_g // -(-rows_g // KC))       # KC or less, pieces of equal size
    for p in range(first.size - 1):
        t0, t1 = first[p], first[p + 1]
        whole = t1 == t0 + 1 and run_len[t0] == nr
        # a whole panel's tiles of 8 real rows add straight into the phases; the others
        # (a panel of several runs, the padding rows of the last tile) go through cbuf
        direct = (CgK // MR) * MR if whole else 0
        for g in range(groups):
            for ip in range(m_pad // MR):
                for k0 in range(0, rows_g, piece):
                    kc = min(piece, rows_g - k0)
                    a_off = ((g * (m_pad // MR) + ip) * rows_g + k0) * MR
                    b_off = (g * rows_g + k0) * ldb + p * nr
                    if ip * MR < direct:
                        _tile_add_rows(wtp, a_off, src, b_off, ldb, kc, gq, run_src[t0], tap_at,
                                       g * CgK + ip * MR)
                    else:
                        _tile(wtp, a_off, src, b_off, ldb, kc, cbuf, ip * MR * nr, nr, k0 > 0)
            for k in range(direct, CgK):         # add the rest of the panel into the phases
                at = tap_at[g * CgK + k]
                if whole:
                    _row_move(gq, at + run_src[t0], cbuf, k * nr, True)
                    continue
                for t in range(t0, t1):          # (masked vector adds, a run at a time)
                    _row_add(gq, at + run_src[t], cbuf, k * nr + run_dst[t], run_len[t])


@njit(cache=True, nogil=True)
def _wgrad_tiles(xq, tap_at, first, run_dst, run_src, run_len, rows, ldr, row_offs, m_pad,
                 groups, CgK, apack, bpack, acc, stage, lane_offs):
    """The weight gradient of a block by register tiles: for every group g,
        acc[g, m, k] += sum over the block's columns q of rows[g*m_pad + m, q] * col[g*CgK + k, q]
    acc (G, m_pad, Jp) flat (Jp: CgK rounded up to whole panels), rows (G*m_pad, ldr) flat
    (grad_out's wide rows: 0 in the wide columns), col as in _im2col_block (never built: row k at
    column q is xq[tap_at[k] + src(q)]). The sum runs over the positions, which both
    operands hold along memory while the tiles step through them one by one, so both are
    turned round 8 rows x LANES positions at a time (_transpose8, in vector registers):
    KQ positions at a time, rows into apack (m_pad/MR, KQ, MR) and, panel by panel, col into
    bpack (KQ, NR); then the tiles multiply. The runs are _panel_runs with panels of LANES
    columns: a chunk of LANES positions that is one run is turned round in registers, the
    others (a plane or a sample ends inside, or the block's last columns) are copied first
    into ``stage`` (MR rows of LANES, zeros past the block; row i at lane_offs[i]) and
    turned round from there. (Turning them round number by number, with stores a row
    apart, made LLVM emit many vectorised versions of that loop: 0.9 s of compilation.) ``row_offs`` = [0, ldr, ..., 7*ldr]; tap_at has NR entries of
    slack past the last group (they fill the last panel's unused columns)."""
    nr = ROW_BYTES // acc.itemsize             # tiles.tile_cols
    lanes = VECTOR_BYTES // acc.itemsize
    Jp = acc.size // (groups * m_pad)
    n_q = (first.size - 1) * lanes             # the block's columns, whole chunks
    for q0 in range(0, n_q, KQ):
        kc = min(KQ, n_q - q0)
        for g in range(groups):
            for mt in range(m_pad // MR):        # A: rows, turned round
                for c in range(kc // lanes):
                    _transpose8(rows, (g * m_pad + mt * MR) * ldr + q0 + c * lanes, row_offs, 0,
                                apack, (mt * KQ + c * lanes) * MR, MR)
            for jp in range(Jp // nr):
                for c in range(kc // lanes):     # B: col, turned round
                    ch = q0 // lanes + c
                    t0, t1 = first[ch], first[ch + 1]
                    whole = t1 == t0 + 1 and run_len[t0] == lanes
                    for j8 in range(nr // MR):
                        k0 = g * CgK + jp * nr + j8 * MR
                        d0 = c * lanes * nr + j8 * MR
                        if whole:
                            _transpose8(xq, run_src[t0], tap_at, k0, bpack, d0, nr)
                            continue
                        for i in range(MR):
                            at = tap_at[k0 + i]
                            row_s = stage[i * lanes:(i + 1) * lanes]
                            for l in range(lanes):
                                row_s[l] = 0
                            for t in range(t0, t1):
                                dt, st, ln = run_dst[t], at + run_src[t], run_len[t]
                                for o in range(ln):
                                    row_s[dt + o] = xq[st + o]
                        _transpose8(stage, 0, lane_offs, 0, bpack, d0, nr)
                for mt in range(m_pad // MR):
                    _tile(apack, mt * KQ * MR, bpack, 0, nr, kc,
                          acc, (g * m_pad + mt * MR) * Jp + jp * nr, Jp, True)


@njit(cache=True, nogil=True)
def _wgrad_cols(xq, tap_w, run_dst, run_src, run_len, n_cols, rows, ldr, row_offs, m_pad,
                groups, k_pad, bpack, acc):
    """The weight gradient of a block with the roles of _wgrad_tiles swapped: for every
    group g,
        acc[g, k, m] += sum over the block's columns q of col[g*k_pad + k, q] * rows[g*m_pad + m, q]
    acc (G, k_pad, m_pad) flat; rows (G*m_pad, ldr) flat (grad_out's wide rows, 0 in the
    wide columns and in the padding rows); col as in _im2col_block, row k read where it lies
    in the phases (from xq[tap_w[k]] on; k_pad is C/G*K rounded up to MR_W, tap_w's padding
    rows read the group's first row, their sums are dropped). The tiles (_tile_acols) take
    col's numbers one at a time as they lie along the positions, so only grad_out is turned
    round (8 rows x LANES positions at a time, _transpose8) into bpack (m_pad/NRW, KQ, NRW):
    m_pad rows instead of C/G*K (measured: turning col round cost 2-14 % of a backward).
    The block's columns are the runs run_dst/src/len (_panel_runs with one panel)."""
    nrw = NV_W * VECTOR_BYTES // acc.itemsize
    lanes = VECTOR_BYTES // acc.itemsize
    n_q = -(-n_cols // lanes) * lanes            # whole chunks of LANES positions
    t_first = 0                                  # the first run not yet passed
    for q0 in range(0, n_q, KQ):
        kc = min(KQ, n_q - q0)
        q1 = min(q0 + kc, n_cols)                # the block's columns in this step
        while run_dst[t_first] + run_len[t_first] <= q0:
            t_first += 1
        for g in range(groups):
            for jm in range(m_pad // nrw):       # B: grad_out turned round, one panel
                for c in range(kc // lanes):
                    for j8 in range(nrw // MR):
                        _transpose8(rows, (g * m_pad + jm * nrw + j8 * MR) * ldr + q0 + c * lanes,
                                    row_offs, 0, bpack, (jm * KQ + c * lanes) * nrw + j8 * MR, nrw)
            for jm in range(m_pad // nrw):
                t = t_first
                while t < run_dst.size and run_dst[t] < q1:
                    a = max(q0, run_dst[t])
                    b = min(q1, run_dst[t] + run_len[t])
                    for rt in range(k_pad // MR_W):
                        _tile_acols(xq, run_src[t] + a - run_dst[t], tap_w, g * k_pad + rt * MR_W,
                                    bpack, (jm * KQ + a - q0) * nrw, b - a,
                                    acc, (g * k_pad + rt * MR_W) * m_pad + jm * nrw, m_pad)
                    t += 1


# Positions per step of the weight gradient (a multiple of 16): its col panel piece (KQ x NR)
# is 18 KB in float32. With KC (36 KB, what the other products use) the backward took
# 1.04-1.08x as long (same-process A/B, 2 threads, Conv2d (32,16,32,32) and Conv3d k3).
KQ = 96


def _is_depthwise(x, w, groups):
    """C/G == 1 with several groups: the direct loops beat im2col + tiny GEMMs."""
    return groups > 1 and w.shape[1] == 1 and x.shape[1] == groups


# --------------------------------------------------------------------------------------
# Running work on several threads
# --------------------------------------------------------------------------------------
# Below this much work (array elements touched, or multiply-adds / 16 for the products)
# one thread is faster than handing out pieces: learners' examples are small.
PARALLEL_MIN_ELEMENTS = 1 << 18
_POOL = None


def _threads():
    return max(1, numba.get_num_threads())


def _run_parallel(fn, bounds):
    """Call ``fn(t, bounds[t], bounds[t + 1])`` for every piece t at the same time (piece
    0 on the calling thread). The work must release the GIL (Numba nogil kernels, NumPy's
    BLAS) for the pieces to overlap, and the pieces must write disjoint memory."""
    global _POOL
    threads = len(bounds) - 1
    if threads <= 1:
        fn(0, bounds[0], bounds[-1])
        return
    if _POOL is None or _POOL._max_workers < threads - 1:
        _POOL = ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="teachnn-conv")
    futures = [_POOL.submit(fn, t, bounds[t], bounds[t + 1]) for t in range(1, threads)]
    fn(0, bounds[0], bounds[1])
    for f in futures:
        f.result()


def _run_split(kernel, args, n_items, work):
    """Call ``kernel(*args, start, stop)`` over [0, n_items), split into one contiguous
    piece per thread when ``work`` is large."""
    threads = 1 if work < PARALLEL_MIN_ELEMENTS else min(_threads(), n_items)
    bounds = [n_items * t // threads for t in range(threads + 1)]
    _run_parallel(lambda t, start, stop: kernel(*args, start, stop), bounds)


def _geom(kernel, stride, pad_left, dilation):
    return tuple(int(v) for v in (*kernel, *stride, *pad_left, *dilation))


# --------------------------------------------------------------------------------------
# The sweep: every sample, one block of output rows at a time
# --------------------------------------------------------------------------------------
# Bytes of one block: what it keeps in the core's cache while it is gathered, multiplied
# and scattered (2 MB of L2 per core on the machine this was tuned on). Where BLAS makes the
# weight gradient, that is the block's column matrix (C*K rows x its wide positions).
# Measured fwd+bwd, Conv2d (8,64,56,56)->64 k3, 1 thread: 256 KB 124 ms, 512 KB 87 ms,
# 1 MB 78 ms, 2 MB 81 ms (small blocks make thin, slow matrix products). Re-measured with
# the register tiles, forward: 128 KB 43 ms, 256 KB 43 ms, 512 KB 28 ms, 1 MB 25 ms (a block
# of one or two output rows leaves most of a 48-column panel empty). The tiles build no
# col (they pack it from the phases panel by panel), so with them a block costs its samples'
# phases and its rows of the small operands: blocks of whole samples where those fit (a
# forward alone: always), fewer calls from Python; 0.77-0.97 of the time of col-sized
# blocks for the forward, 0.89-0.98 for the backward (same-process A/B, 2 threads).
BLOCK_BYTES = 1 << 20


def _phase_shape(geom, out_spatial):
    """(Dq, Hq, Wq): the extent of each phase that windows read (see _gather)."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    oD, oH, oW = out_spatial
    return (oD + (kd - 1) * dd // sd, oH + (kh - 1) * dh // sh, oW + (kw - 1) * dw // sw)


def _phase_size(geom, C, qshape):
    """Length of the flat phase buffer of one sample; Wq cells of slack at the end, because
    the last wide row of a run may reach up to Wq - 1 cells past its phase."""
    sd, sh, sw = geom[3:6]
    return C * sd * sh * sw * qshape[0] * qshape[1] * qshape[2] + qshape[2]


@functools.lru_cache(maxsize=256)
def _pair_columns(geom, W, qshape, dtype):
    """Stride 2 along the rows (sw = 2) of W columns: column xc of x lies in column phase
    (xc + pw) % 2 at t = (xc + pw) // 2 (kept if t < Wq). Taken in pairs (2j, 2j + 1), the
    even column of pair j lies at ``even_at + j`` and the odd one at ``odd_at + j`` from
    the start of phase 0's row (phase 1's row starts one phase, Dq*Hq*Wq cells, later).
    Returns (J, even_at, odd_at, zero_rows, rest) for _gather and _scatter: the pairs
    j < J, whole vectors of pairs, have both columns inside the phases (J = 0 for other
    strides); ``zero_rows``: some columns of x lie in no phase (no window reaches them);
    ``rest``: some lie in a phase but in no pair j < J. Worked out here and passed in:
    inside the kernels it cost 0.1-0.3 s of compilation."""
    sw, pw = geom[5], geom[8]
    Dq, Hq, Wq = qshape
    lanes = VECTOR_BYTES // np.dtype(dtype).itemsize
    even = pw % 2                                   # the phase of the even columns
    plane = Dq * Hq * Wq
    pairs = min(W // 2, Wq - (pw + 1) // 2)
    J = pairs // lanes * lanes if sw == 2 and pairs > 0 else 0
    # t of column xc in its phase: (xc + pw) // sw; columns with t < Wq lie in a phase
    in_phases = [xc for xc in range(W) if (xc + pw) // sw < Wq]
    zero_rows = len(in_phases) < W
    rest = any(xc >= 2 * J for xc in in_phases)
    return J, even * plane + pw // 2, (1 - even) * plane + (pw + 1) // 2, zero_rows, rest



def _sweep(geom, big_shape, out_spatial, G, dtype, *, gather_src=None, gemm_w=None,
           gemm_out=None, gemm_bias=None, wgrad_rows=None, scatter_src=None, scatter_w=None,
           scatter_dst=None, scatter_bias=None, zero_wide=False, row_sums=None):
    """One pass over the samples doing any of these jobs for each block of output rows.

    "big" is the side that im2col reads and col2im writes, (N, C, D, H, W) = big_shape (the
    input of a convolution, the output of a transposed one); "small" arrays have the
    output positions and are viewed as (N, G*M, rows*oW). K = kd*kh*kw; a block has
    Lb = (its rows) * Wq wide columns.

      gather   col = im2col(gather_src[n])                  -> (G, C/G*K, Lb)
        gemm     gemm_out[n][..., block] = gemm_w @ col (+ gemm_bias)
                 (G, M, C/G*K) @ (G, C/G*K, Lb) -> (G, M, Lb), wide columns dropped
        wgrad    acc += col @ wgrad_rows[n][..., block]^T, summed over samples
                 (G, C/G*K, Lb) @ (G, Lb, Mw) -> (G, C/G*K, Mw)
      scatter  scatter_dst[n] = col2im(scatter_w^T @ scatter_src[n][..., block]) (+ bias)
               (G, C/G*K, Ms) @ (G, Ms, Lb) -> (G, C/G*K, Lb) -> (C, D, H, W)

    Returns the weight gradient (G, Mw, C/G*K) when wgrad_rows is given, else None. With
    ``row_sums`` (float64, one entry per row of the small operand that is read: wgrad_rows,
    else scatter_src), the sum of each row over samples and positions is added into it:
    conv's bias gradient, taken while the rows are copied anyway.
    Samples are shared out among threads; with fewer samples than threads the blocks are,
    and each thread then scatters into its own zeroed copy, summed at the end.

    The wide columns of col are left as they are (``zero_wide=False``): the products drop
    them (gemm) or multiply them by zeros (wgrad, whose rows have zero wide columns). Only
    when the input holds inf or NaN does 0 * inf = NaN leak into the weight gradient;
    callers that see a non-finite weight gradient run the sweep again with zeroed columns.
    """
    N, C = big_shape[:2]
    oD, oH, oW = out_spatial
    qshape = _phase_shape(geom, out_spatial)
    Wq = qshape[2]
    qsize = _phase_size(geom, C, qshape)
    pairs = _pair_columns(geom, big_shape[4], qshape, dtype)
    rows = oD * oH
    K = geom[0] * geom[1] * geom[2]
    CK, CgK = C * K, C // G * K
    itemsize = np.dtype(dtype).itemsize
    # Blocks: (samples n0:n1, output rows r0:r1). Small samples go several whole samples to
    # a block (larger products, fewer calls from Python per sample: with several threads
    # those calls queue for the GIL), large ones one sample and some of its rows at a time.
    T = _threads()
    Mw = 0 if wgrad_rows is None else wgrad_rows.shape[1] // G
    tiled_wgrad = wgrad_rows is not None and not zero_wide and (G == 1 or Mw % 8 == 0)
    if wgrad_rows is not None and not tiled_wgrad:    # BLAS's weight gradient builds col
        row_bytes = CK * Wq * itemsize                # col's columns of one output row
        sample_bytes = max(1, rows * row_bytes)
        multi = N >= T and 2 * sample_bytes <= BLOCK_BYTES
    else:
        # the tiles pack col panel by panel from the phases, so a block costs its samples'
        # phases (gather's, scatter's) and its rows of the small operands widened to Wq
        # columns; splitting a sample's rows saves only the latter
        n_small = (0 if wgrad_rows is None else wgrad_rows.shape[1]) + (
            0 if scatter_src is None or scatter_src is wgrad_rows else scatter_src.shape[1])
        row_bytes = max(1, n_small * Wq * itemsize)
        sample_bytes = qsize * itemsize * ((gather_src is not None) + (scatter_src is not None))
        sample_bytes = max(1, sample_bytes + rows * row_bytes)
        # (a forward alone: whole samples, 0.77-0.97 of the time of col-sized blocks)
        multi = N >= T and (n_small == 0 or 2 * sample_bytes <= BLOCK_BYTES)
    if multi:           # ... the same number of blocks for every thread, near equal
        cap = max(1, BLOCK_BYTES // sample_bytes)         # samples per block at most
        k = -(-(-(-N // T)) // cap)                       # blocks per thread
        items = []
        for t in range(T):                                # thread t's samples, k blocks
            a, b = N * t // T, N * (t + 1) // T
            cuts = sorted({a + (b - a) * i // k for i in range(k + 1)})
            items += [(n0, n1, 0, rows) for n0, n1 in zip(cuts, cuts[1:])]
    else:
        rb = max(1, min(rows, BLOCK_BYTES // row_bytes))     # rows per block
        blocks = [(r0, min(rows, r0 + rb)) for r0 in range(0, rows, rb)]
        items = [(n, n + 1, r0, r1) for n in range(N) for r0, r1 in blocks]
    Lmax = max((n1 - n0) * (r1 - r0) for n0, n1, r0, r1 in items) * Wq     # widest block

    def small2(a):                             # (N, G*M, oD, oH, oW) -> (N, G*M, rows*oW)
        return None if a is None else a.reshape(N, a.shape[1], rows * oW)

    gemm_out2, wgrad2, scatter2 = small2(gemm_out), small2(wgrad_rows), small2(scatter_src)
    # All products are made by register tiles with im2col / col2im folded in
    # (_gather_gemm, _gemm_scatter, _wgrad_tiles). BLAS makes the weight gradient's product
    # on a column matrix built by _im2col_block only in the rerun for inf/NaN inputs (zero_wide),
    # and with several groups of output channels that are not whole tiles.
    nr = tile_cols(dtype)
    Lcap = -(-Lmax // nr) * nr                 # Lmax rounded up to whole panels
    most = max(n1 - n0 for n0, n1, _, _ in items)            # samples in the largest block
    tap_at, tap_pad = _tap_offsets(geom, qshape, C)
    pk_offs = _packed_rows(nr)                    # rows of a packed panel piece
    if gemm_out2 is not None:
        Mg = gemm_out2.shape[1] // G                        # rows of the product per group
        Mp = padded_rows(Mg)
        gemm_wp = pack_rows(gemm_w, Mp).reshape(-1)         # (G, Mp/MR, C/G*K, MR)
    if scatter2 is not None:
        Msg = scatter2.shape[1] // G
        Kp = padded_rows(CgK)
        # (G, Ms/G, C/G, K) -> its columns tap by tap (_tap_major), (G, Ms/G, K*C/G); its
        # transpose w^T packed (G, Kp/MR, Ms/G, MR). (Swapping the two axes costs less than
        # picking the columns by an index array: 64 against 96 us for ConvTranspose2d.)
        scatter_at = _tap_major(geom, qshape, C, G)
        w_taps = np.ascontiguousarray(scatter_w.reshape(G, Msg, C // G, K).transpose(0, 1, 3, 2))
        scatter_wtp = pack_rows(w_taps.reshape(G, Msg, CgK).transpose(0, 2, 1), Kp).reshape(-1)
    has_bias = gemm_bias is not None
    gemm_b = gemm_bias if has_bias else np.zeros(1, dtype)
    Mwr = Mw
    # the weight gradient by _wgrad_cols (grad_out turned round, in panels of nrw channels)
    # where the channels fill its panels well enough, else by _wgrad_tiles (col turned round)
    nrw = NV_W * VECTOR_BYTES // itemsize
    cols_wgrad = tiled_wgrad and Mw >= nrw and (G == 1 or Mw % nrw == 0)
    if cols_wgrad:
        Mwr = -(-Mw // nrw) * nrw                # rows of grad_out's buffer per group
        k_pad = -(-CgK // MR_W) * MR_W
        tap_w = _tap_rows_padded(geom, qshape, C, G, k_pad)
        row_offs = np.arange(MR, dtype=np.int64) * Lcap
    elif tiled_wgrad:
        Mwr = padded_rows(Mw)                    # rows of grad_out's buffer per group
        Jp = -(-CgK // nr) * nr                  # col rows, whole panels
        lanes = VECTOR_BYTES // itemsize
        row_offs = np.arange(MR, dtype=np.int64) * Lcap
        lane_offs = np.arange(MR, dtype=np.int64) * lanes     # rows of the stage
    same_rows = wgrad2 is not None and scatter2 is not None and wgrad_rows is scatter_src

    # how many threads: one for small work (learners' examples), else one per core; one
    # also when BLAS makes a product and cannot be held to one thread (then that BLAS
    # does the threading)
    m_total = sum(0 if a is None else a.shape[1] // G for a in (gemm_out2, wgrad2, scatter2))
    threads = min(T, len(items))
    if N * rows * oW * CK * m_total < PARALLEL_MIN_ELEMENTS * 16:
        threads = 1
    uses_blas = wgrad2 is not None and not tiled_wgrad
    mkl = uses_blas and _blas_backend() == "mkl"   # sequential MKL: each product on its caller
    if uses_blas and not mkl and not _blas_can_be_held():
        threads = 1
    whole_samples = N >= threads
    if multi or not whole_samples:   # every block is whole samples, or blocks are shared
        bounds = [len(items) * t // threads for t in range(threads + 1)]
    else:                            # thread t takes whole samples [N*t/T, N*(t+1)/T)
        bounds = [N * t // threads * len(blocks) for t in range(threads + 1)]
    private = [None] * threads
    accs = [None] * threads
    sums = [None] * threads
    want_sums = row_sums is not None
    summed = wgrad2 if wgrad2 is not None else scatter2      # the rows row_sums adds up
    n_sums = 1 if summed is None else summed.shape[1]
    if want_sums and row_sums.shape != (n_sums,):
        raise ValueError(f"row_sums has shape {row_sums.shape}, expected {(n_sums,)}")

    def work(t, first, last):
        # this thread's buffers; the "wide" ones hold a small operand with Wq columns per
        # output row, the extra ones zero
        # phases of gather and scatter: of every sample of a block, one after another
        if gather_src is not None:
            # (zeros once: _gather writes only the cells that come from x)
            xq = np.zeros(qsize * most, dtype)
            if gemm_out2 is not None:
                pbuf = np.zeros(KC * nr, dtype)                 # one piece of a panel
            if wgrad2 is not None and not tiled_wgrad:
                col = np.empty(CK * Lmax, dtype)                # a block's column matrix
        if gemm_out2 is not None:
            cpan = np.empty(G * Mp * nr, dtype)                 # one panel of the product
        if wgrad2 is not None:
            rows_w = np.zeros((G * Mwr, Lcap), dtype)           # rows Mw..Mwr stay 0
            if cols_wgrad:
                acc = np.zeros(G * k_pad * Mwr, dtype)          # (G, k_pad, Mwr)
                bpack = np.zeros(Mwr * KQ, dtype)               # (Mwr/nrw, KQ, nrw)
            elif tiled_wgrad:
                acc = np.zeros(G * Mwr * Jp, dtype)             # (G, Mwr, Jp)
                apack = np.empty(Mwr * KQ, dtype)
                bpack = np.zeros(KQ * nr, dtype)
                stage = np.empty(MR * lanes, dtype)             # a chunk of several runs
            else:
                acc = np.zeros((G, CgK, Mw), dtype)
        if scatter2 is not None:
            gq = np.zeros(qsize * most, dtype)
            cbuf = np.empty(Kp * nr, dtype)                     # one panel of the product
            src_w = (rows_w[:G * Mw] if same_rows else
                     np.zeros((scatter2.shape[1], Lcap), dtype))
            dst = scatter_dst
            if not whole_samples:
                dst = private[t] = np.zeros(big_shape, dtype)
        gathered = -1                    # the last sample whose phases xq holds
        my_sums = sums[t] = np.zeros(n_sums)          # float64 row sums (row_sums)
        scatter_b = scatter_bias if scatter_bias is not None else np.zeros(1, dtype)
        add_scatter_b = whole_samples and scatter_bias is not None
        for idx in range(first, last):
            n0, n1, r0, r1 = items[idx]
            Lb = (n1 - n0) * (r1 - r0) * Wq          # columns of the block
            # is this the thread's last block of sample n1 - 1?
            last_done = idx == last - 1 or items[idx + 1][0] != n1 - 1
            if gemm_out2 is not None or scatter2 is not None:   # the runs of the block's panels
                runs = _panel_runs(n1 - n0, r0, r1, oH, Wq, qshape[1], qsize, nr)
            if gather_src is not None:
                # the phases of the block's samples (and, for BLAS's weight gradient, its
                # column matrix (C*K, Lb))
                _gather(gather_src, n0, n1, n0 != gathered, xq, geom, qshape, qsize, pairs)
                gathered = n1 - 1
                if wgrad2 is not None and not tiled_wgrad:
                    c2 = col[:CK * Lb].reshape(CK, Lb)
                    _im2col_block(xq, C, n1 - n0, c2, geom, qshape, out_spatial, r0, r1,
                                  zero_wide, qsize)
            if gemm_out2 is not None:
                # (G, Mp, C/G*K) @ im2col (G, C/G*K, Lb) panel by panel, each panel into
                # the output at once (wide columns and padding rows dropped, bias added)
                _gather_gemm(xq, tap_at, *runs, gemm_wp, Mp, G, pbuf, pk_offs, cpan, gemm_out2,
                             n0, r0, r1, oW, Wq, Mg, gemm_b, has_bias)
            if cols_wgrad:
                # acc (G, k_pad, Mwr) += im2col (G, C/G*K, Lb) @ rows^T (G, Lb, Mwr)
                _widen(wgrad2, rows_w, n0, n1, r0, r1, oW, Wq, my_sums, want_sums)
                _, run_dst, run_src, run_len = _panel_runs(n1 - n0, r0, r1, oH, Wq, qshape[1],
                                                           qsize, 1 << 40)
                _wgrad_cols(xq, tap_w, run_dst, run_src, run_len, Lb, rows_w.reshape(-1), Lcap,
                            row_offs, Mwr, G, k_pad, bpack, acc)
            elif tiled_wgrad:
                # acc (G, Mwr, Jp) += rows (G, Mwr, Lb) @ im2col^T (G, Lb, C/G*K)
                _widen(wgrad2, rows_w, n0, n1, r0, r1, oW, Wq, my_sums, want_sums)
                runs_v = _panel_runs(n1 - n0, r0, r1, oH, Wq, qshape[1], qsize, lanes)
                _wgrad_tiles(xq, tap_pad, *runs_v, rows_w.reshape(-1), Lcap, row_offs, Mwr, G,
                             CgK, apack, bpack, acc, stage, lane_offs)
            elif wgrad2 is not None:
                _widen(wgrad2, rows_w, n0, n1, r0, r1, oW, Wq, my_sums, want_sums)
                r3 = rows_w.reshape(G, Mw, Lcap)[:, :, :Lb]
                # acc += (G, C/G*K, Lb) @ (G, Lb, Mw): the long Lb axis is read along
                # memory in both operands (measured faster than rows @ col^T here)
                _gemm(c2.reshape(G, CgK, Lb), r3.transpose(0, 2, 1), acc, accumulate=True)
            if scatter2 is not None:
                if not same_rows:
                    _widen(scatter2, src_w, n0, n1, r0, r1, oW, Wq, my_sums,
                           want_sums and wgrad2 is None)
                # (G, C/G*K, Ms/G) @ (G, Ms/G, Lb) panel by panel, added into the phases,
                # then the phases of the finished samples into dst
                _gemm_scatter(src_w.reshape(-1), Msg, scatter_wtp, Kp, G, scatter_at, *runs,
                              cbuf, gq)
                _scatter(gq, qsize, dst, n0, n1, last_done, geom, qshape, scatter_b,
                         add_scatter_b, pairs)
        if wgrad2 is not None:
            accs[t] = acc

    if uses_blas and not mkl:
        with _one_thread_blas():
            _run_parallel(work, bounds)
    else:
        _run_parallel(work, bounds)
    if want_sums:
        for part in sums:
            if part is not None:
                row_sums += part
    if scatter2 is not None and not whole_samples:
        np.sum(private, axis=0, out=scatter_dst)
        if scatter_bias is not None:
            scatter_dst += scatter_bias.reshape(1, -1, 1, 1, 1)
    if wgrad2 is None:
        return None

    def result(acc):                             # -> a view (G, Mw, C/G*K)
        if cols_wgrad:                           # (G, k_pad, Mwr)
            return acc.reshape(G, k_pad, Mwr)[:, :CgK, :Mw].transpose(0, 2, 1)
        if tiled_wgrad:                          # (G, Mwr, Jp)
            return acc.reshape(G, Mwr, Jp)[:, :Mw, :CgK]
        return acc.transpose(0, 2, 1)            # (G, C/G*K, Mw)

    # the threads' sums added up in place (they are this call's own arrays, and adding
    # them as they lie is faster than adding turned views), then turned round once
    acc = accs[0]
    for other in accs[1:]:
        np.add(acc, other, out=acc)
    return np.ascontiguousarray(result(acc))


# --------------------------------------------------------------------------------------
# Validation helpers (run before every jitted call)
# --------------------------------------------------------------------------------------
def _check_array(name, a, ndim, dtype=None):
    if not isinstance(a, np.ndarray):
        raise TypeError(f"kernel argument {name} must be a numpy array, got {type(a).__name__}")
    if a.ndim != ndim:
        raise ValueError(f"kernel argument {name} must be {ndim}-d, got shape {a.shape}")
    if a.dtype.type not in _FLOATS:
        raise TypeError(f"kernel argument {name} must be float32 or float64, got {a.dtype}")
    if dtype is not None and a.dtype != dtype:
        raise TypeError(f"kernel argument {name} has dtype {a.dtype}, expected {dtype}")
    if not a.flags.c_contiguous:
        raise ValueError(f"kernel argument {name} must be C-contiguous")


def _check_geometry(kernel, stride, pad, dilation):
    for name, v, low in (("kernel", kernel, 1), ("stride", stride, 1),
                         ("padding", pad, 0), ("dilation", dilation, 1)):
        if len(v) != 3 or any(int(t) != t or t < low for t in v):
            raise ValueError(f"kernel geometry {name} must be 3 ints >= {low}, got {v}")


def _out_sizes(spatial, kernel, stride, pad_lr, dilation):
    """Conv output size per axis (PyTorch's floor formula) with (left, right) padding."""
    out = []
    for L, k, s, (pl, pr), d in zip(spatial, kernel, stride, pad_lr, dilation):
        out.append((L + pl + pr - d * (k - 1) - 1) // s + 1)
    return tuple(out)


# --------------------------------------------------------------------------------------
# im2col / col2im over a whole batch: validated entry points (for learners and tests)
# --------------------------------------------------------------------------------------
def _check_out_spatial(out_spatial):
    out_spatial = tuple(int(o) for o in out_spatial)
    if len(out_spatial) != 3 or min(out_spatial) < 1:
        raise ValueError(f"output size must be 3 positive ints, got {out_spatial}")
    return out_spatial


def im2col(x, kernel, stride, pad_left, dilation, out_spatial):
    """x (N, C, D, H, W) -> col (C*kd*kh*kw, N*oD*oH*oW), a fresh C-contiguous array.

    Row ``c*K + tap`` holds channel c seen through kernel tap (a, b, e); column
    ``n*L + position`` is one output position of sample n. ``pad_left`` is the zero padding
    before each axis; the padding after an axis is implied by ``out_spatial`` (cells past
    the end of the input read as zero). The convolutions never build this whole matrix
    (they gather one block of one sample at a time, with wide rows), but it is what they
    compute.
    """
    _check_array("x", x, 5)
    _check_geometry(kernel, stride, pad_left, dilation)
    out_spatial = _check_out_spatial(out_spatial)
    N, C = x.shape[:2]
    oD, oH, oW = out_spatial
    CK, L = C * math.prod(kernel), oD * oH * oW
    geom = _geom(kernel, stride, pad_left, dilation)
    qshape = _phase_shape(geom, out_spatial)
    Wq = qshape[2]
    pairs = _pair_columns(geom, x.shape[4], qshape, x.dtype)
    col = np.empty((CK, N * L), dtype=x.dtype)
    xq = np.zeros(_phase_size(geom, C, qshape), dtype=x.dtype)
    wide = np.empty((CK, oD * oH * Wq), dtype=x.dtype)
    for n in range(N):
        _gather(x, n, n + 1, True, xq, geom, qshape, 0, pairs)
        _im2col_block(xq, C, 1, wide, geom, qshape, out_spatial, 0, oD * oH, False, 0)
        # (C*K, rows, Wq) -> (C*K, rows, oW): drop the wide columns
        col[:, n * L:(n + 1) * L] = wide.reshape(CK, oD * oH, Wq)[:, :, :oW].reshape(CK, L)
    return col


def col2im(col, x_shape, kernel, stride, pad_left, dilation, out_spatial, out=None):
    """col (C*kd*kh*kw, N*oD*oH*oW) -> x (N, C, D, H, W): adds each column entry back into
    the input cell it came from (the adjoint of :func:`im2col`). ``out``: an optional
    C-contiguous array of shape x_shape to write into (it is overwritten).

    Written in NumPy, one strided view per kernel tap (the convolutions never build col:
    they add each panel of it into the input as soon as it is made, see _gemm_scatter).
    """
    _check_array("col", col, 2)
    _check_geometry(kernel, stride, pad_left, dilation)
    N, C, D, H, W = (int(s) for s in x_shape)
    out_spatial = _check_out_spatial(out_spatial)
    CK, L = C * math.prod(kernel), math.prod(out_spatial)
    if col.shape != (CK, N * L):
        raise ValueError(f"col has shape {col.shape}, expected {(CK, N * L)}")
    if out is None:
        x = np.empty((N, C, D, H, W), dtype=col.dtype)
    else:
        _check_array("out", out, 5, col.dtype)
        if out.shape != (N, C, D, H, W):
            raise ValueError(f"out has shape {out.shape}, expected {(N, C, D, H, W)}")
        x = out
    # a zero-padded input large enough for every window and for x itself
    padded = [max(p + size, (o - 1) * s + (k - 1) * d + 1) for p, size, o, s, k, d in
              zip(pad_left, (D, H, W), out_spatial, stride, kernel, dilation)]
    xp = np.zeros((N, C, *padded), dtype=col.dtype)
    c8 = col.reshape(C, *kernel, N, *out_spatial)       # (C, kd, kh, kw, N, oD, oH, oW)
    for tap in np.ndindex(*kernel):
        view = xp[(slice(None), slice(None)) + tuple(
            slice(t * d, t * d + (o - 1) * s + 1, s)
            for t, d, o, s in zip(tap, dilation, out_spatial, stride))]
        view += c8[(slice(None),) + tap].transpose(1, 0, 2, 3, 4)   # (N, C, oD, oH, oW)
    x[...] = xp[(slice(None), slice(None)) + tuple(
        slice(p, p + size) for p, size in zip(pad_left, (D, H, W)))]
    return x


# --------------------------------------------------------------------------------------
# Convolution: forward and backward
# --------------------------------------------------------------------------------------
def _check_conv_operands(x, w, bias, groups):
    _check_array("x", x, 5)
    _check_array("weight", w, 5, x.dtype)
    if bias is not None:
        _check_array("bias", bias, 1, x.dtype)
        if bias.shape[0] != w.shape[0]:
            raise ValueError(f"bias has {bias.shape[0]} entries, weight has {w.shape[0]} outputs")
    if groups < 1 or x.shape[1] % groups or w.shape[0] % groups:
        raise ValueError(f"groups={groups} must divide the channels {x.shape[1]}, {w.shape[0]}")
    if w.shape[1] * groups != x.shape[1]:
        raise ValueError(f"weight expects {w.shape[1] * groups} input channels, x has {x.shape[1]}")


def _conv_geometry(x, w, stride, pad_lr, dilation):
    """Validated (geom tuple, output spatial size) of a convolution of x with w."""
    try:        # remembered: a layer calls with the same shapes and tuples every time
        return _conv_geometry_of(x.shape[2:], w.shape[2:], stride, pad_lr, dilation)
    except TypeError:        # (lists: not hashable)
        return _conv_geometry_of.__wrapped__(x.shape[2:], w.shape[2:], stride, pad_lr, dilation)


@functools.lru_cache(maxsize=256)
def _conv_geometry_of(spatial, kernel, stride, pad_lr, dilation):
    kernel = tuple(kernel)
    pad_left = tuple(p[0] for p in pad_lr)
    _check_geometry(kernel, stride, pad_left, dilation)
    out_spatial = _out_sizes(spatial, kernel, stride, pad_lr, dilation)
    if min(out_spatial) < 1:
        raise ValueError(f"kernel does not fit in the padded input: output {out_spatial}")
    return _geom(kernel, stride, pad_left, dilation), out_spatial


def conv_forward(x, w, bias, stride, pad_lr, dilation, groups):
    """Cross-correlation, PyTorch's conv3d (1-d/2-d as views).

    x (N, C, D, H, W), w (O, C/G, kd, kh, kw), bias (O,) or None -> out (N, O, oD, oH, oW).
    ``pad_lr`` is ((left, right),) * 3.

        out[n, o, i, j, k] = bias[o] + sum_{c, a, b, e} w[o, c, a, b, e]
                             * x[n, g*C/G + c, i*sd + a*dd - pd, j*sh + b*dh - ph, k*sw + e*dw - pw]
    """
    _check_conv_operands(x, w, bias, groups)
    geom, out_spatial = _conv_geometry(x, w, stride, pad_lr, dilation)
    O, Cg = w.shape[:2]
    N, G, K = x.shape[0], groups, math.prod(w.shape[2:])
    out = np.empty((N, O) + out_spatial, dtype=x.dtype)
    if out.size == 0:
        return out
    if _is_depthwise(x, w, groups):
        has_bias = bias is not None
        _run_split(_dw_forward_range, (x, w, bias if has_bias else w.reshape(-1), has_bias, out,
                                       geom, *dw_layout(geom, out_spatial)), N * G, out.size * K)
        return out
    # per block: (G, O/G, C/G*K) @ im2col(x[n]) (G, C/G*K, block) -> out[n] (G, O/G, block)
    _sweep(geom, x.shape, out_spatial, G, x.dtype, gather_src=x,
           gemm_w=w.reshape(G, O // G, Cg * K), gemm_out=out, gemm_bias=bias)
    return out


def conv_backward(grad_out, x, w, stride, pad_lr, dilation, groups,
                  need_x=True, need_w=True, need_b=True):
    """Gradients of conv_forward. grad_out (N, O, oD, oH, oW).

    Returns (grad_x (N, C, D, H, W) or None, grad_w (O, C/G, kd, kh, kw) or None,
    grad_b (O,) or None). One sweep over the samples does both big gradients:
    grad_w += grad_out[n] @ im2col(x[n])^T and grad_x[n] = col2im(w^T @ grad_out[n]).
    """
    _check_conv_operands(x, w, None, groups)
    _check_array("grad_out", grad_out, 5, x.dtype)
    geom, out_spatial = _conv_geometry(x, w, stride, pad_lr, dilation)
    O, Cg = w.shape[:2]
    N, G, K = x.shape[0], groups, math.prod(w.shape[2:])
    if grad_out.shape != (N, O) + out_spatial:
        raise ValueError(f"grad_out has shape {grad_out.shape}, expected {(N, O) + out_spatial}")
    gw = np.zeros(w.shape, dtype=x.dtype) if need_w else None
    depthwise = _is_depthwise(x, w, groups)
    no_sweep = grad_out.size == 0 or not (need_x or need_w)
    if no_sweep:
        gx = np.zeros(x.shape, dtype=x.dtype) if need_x else None
        gb = grad_out.sum(axis=(0, 2, 3, 4)) if need_b else None
        return gx, gw, gb
    if depthwise:       # (the kernels write every cell of grad_x, and sum the bias's)
        work = grad_out.size * K
        layout = dw_layout(geom, out_spatial)
        gx = np.empty(x.shape, dtype=x.dtype) if need_x else None
        sums = np.zeros(O)
        # both gradients in one parallel pass: thread t takes its share of the (sample,
        # channel) planes of grad_x, then its share of the output channels of grad_w (one
        # hand-over to the threads instead of two)
        threads = 1 if work < PARALLEL_MIN_ELEMENTS else min(_threads(), N * G, O)

        def both(t, first, last):
            if need_x:
                _dw_grad_input_range(grad_out, w, gx, geom, *layout, N * G * t // threads,
                                     N * G * (t + 1) // threads)
            if need_w:
                _dw_grad_weight_range(grad_out, x, gw, sums, need_b, geom, *layout,
                                      O * t // threads, O * (t + 1) // threads)

        _run_parallel(both, list(range(threads + 1)))
        if need_w:
            gb = sums.astype(x.dtype) if need_b else None
        else:
            gb = grad_out.sum(axis=(0, 2, 3, 4)) if need_b else None
        return gx, gw, gb
    w3 = w.reshape(G, O // G, Cg * K)                     # (O, C/G, kd, kh, kw) -> (G, O/G, C/G*K)
    gx = None
    pad_t = _adjoint_padding(w.shape[2:], stride, pad_lr, dilation)
    if need_x and pad_t is not None and Cg >= 32 and Cg % MR == 0 and (
            math.prod(x.shape[2:4]) * (x.shape[4] + geom[2] - 1) * 20
            <= math.prod(out_spatial[:2]) * (out_spatial[2] + geom[2] - 1) * 21):
        # stride 1: grad_x is itself a convolution, of grad_out with the weight turned
        # round (see _adjoint_padding); made by the forward's tiles, it needs no col2im.
        # Worth it with at least 4 tiles of input channels to share each packed panel, and
        # when grad_x has no more (wide) positions than grad_out (a 'same' padding), as the
        # zero border taps are then multiplied too. Same-process A/B, 2 threads: grad_x
        # 0.90-0.94 of col2im's time on Conv2d (8,64,56,56), Conv1d (32,128,256); 1.03 with
        # 16 channels, 1.32 on Conv3d (4,8,16,32,32) k3 without padding.
        gx = conv_forward(grad_out, _turned_weight(w, G), None, (1, 1, 1), pad_t, dilation, G)
        need_x = False
    # the sweep writes every cell of grad_x (col2im of whole samples): no need to zero it;
    # it adds up grad_out per channel (the bias gradient) as it copies grad_out's rows
    if need_x:
        gx = np.empty(x.shape, dtype=x.dtype)
    sums = np.zeros(O) if need_b and (need_w or need_x) else None
    gw3 = None
    if need_w or need_x:
        gw3 = _sweep(geom, x.shape, out_spatial, G, x.dtype,
                     gather_src=x if need_w else None, wgrad_rows=grad_out if need_w else None,
                     scatter_src=grad_out if need_x else None, scatter_w=w3, scatter_dst=gx,
                     row_sums=sums)
    gb = None
    if need_b:
        gb = grad_out.sum(axis=(0, 2, 3, 4)) if sums is None else sums.astype(x.dtype)
    if need_w:
        if not np.isfinite(gw3).all():     # inf/NaN input: redo with zeroed wide columns
            gw3 = _sweep(geom, x.shape, out_spatial, G, x.dtype, gather_src=x,
                         wgrad_rows=grad_out, zero_wide=True)
        gw = gw3.reshape(w.shape)                         # (G, O/G, C/G*K) -> (O, C/G, kd, kh, kw)
    return gx, gw, gb


def _adjoint_padding(kernel, stride, pad_lr, dilation):
    """With stride 1 the input gradient of a convolution is a convolution too:
        grad_x[n, c, y] = sum_{o, t} w[o, c, t] * grad_out[n, o, y + p - t*d]
                        = sum_{o, t'} w[o, c, k-1-t'] * grad_out[n, o, y + t'*d - (d*(k-1) - p)]
    (per axis; t' = k-1-t), i.e. grad_out convolved with the weight turned round (channels
    swapped, taps reversed: _turned_weight) and padded by d*(k-1) - p on each side, which
    gives back the input's size. Returns that padding ((left, right),) * 3, or None when
    the trick does not apply (a stride, or a padding beyond the kernel's reach)."""
    out = []
    for k, s, (pl, pr), d in zip(kernel, stride, pad_lr, dilation):
        reach = d * (k - 1)
        if s != 1 or pl > reach or pr > reach:
            return None
        out.append((reach - pl, reach - pr))
    return tuple(out)


def _turned_weight(w, G):
    """w (O, C/G, kd, kh, kw) -> (C, O/G, kd, kh, kw), each group's in and out channels
    swapped and its taps reversed along every axis (see _adjoint_padding)."""
    O, Cg = w.shape[:2]
    wg = w.reshape((G, O // G, Cg) + w.shape[2:])[:, :, :, ::-1, ::-1, ::-1]
    return np.ascontiguousarray(wg.transpose(0, 2, 1, 3, 4, 5)).reshape(
        (G * Cg, O // G) + w.shape[2:])


# --------------------------------------------------------------------------------------
# Transposed convolution: the adjoint of conv (same loops, swapped roles)
# --------------------------------------------------------------------------------------
def _check_transpose_operands(x, w, groups, stride, padding, dilation, out_spatial):
    _check_array("x", x, 5)
    _check_array("weight", w, 5, x.dtype)
    Cin = w.shape[0]
    if groups < 1 or x.shape[1] != Cin or Cin % groups:
        raise ValueError(f"x has {x.shape[1]} channels, weight expects {Cin} (groups={groups})")
    try:        # remembered, as _conv_geometry
        return _transpose_geometry_of(x.shape[2:], w.shape[2:], stride, padding, dilation,
                                      out_spatial)
    except TypeError:        # (lists: not hashable)
        return _transpose_geometry_of.__wrapped__(x.shape[2:], w.shape[2:], stride, padding,
                                                  dilation, out_spatial)


@functools.lru_cache(maxsize=256)
def _transpose_geometry_of(spatial, kernel, stride, padding, dilation, out_spatial):
    kernel = tuple(kernel)
    _check_geometry(kernel, stride, padding, dilation)
    out_spatial = _check_out_spatial(out_spatial)
    pad_lr = tuple((p, p) for p in padding)
    # every input cell must land on a window of the matching conv over the output (the conv
    # may have more windows when output_padding >= stride, allowed while < dilation)
    back = _out_sizes(out_spatial, kernel, stride, pad_lr, dilation)
    if any(b < L for b, L in zip(back, spatial)):
        raise ValueError(f"output size {out_spatial} does not match input {spatial}")
    return _geom(kernel, stride, padding, dilation), out_spatial


def conv_transpose_forward(x, w, bias, stride, padding, dilation, groups, out_spatial):
    """PyTorch's conv_transpose3d. x (N, Cin, D, H, W), w (Cin, Cout/G, kd, kh, kw)
    -> out (N, Cout, *out_spatial).

    This is conv's input gradient with x in the role of grad_out:
    out[n] = col2im(w^T @ x[n]) (plus bias). ``out_spatial`` already includes
    output_padding (those extra cells receive no input, only the bias).
    """
    geom, out_spatial = _check_transpose_operands(x, w, groups, stride, padding, dilation,
                                                  out_spatial)
    Cin, Coutg = w.shape[:2]
    N, G, K = x.shape[0], groups, math.prod(w.shape[2:])
    Cout = Coutg * G
    if bias is not None:
        _check_array("bias", bias, 1, x.dtype)
        if bias.shape[0] != Cout:
            raise ValueError(f"bias has {bias.shape[0]} entries, expected {Cout}")
    empty = x.size == 0 or N * Cout * math.prod(out_spatial) == 0
    # the sweep writes every cell (col2im of whole samples): zero only when it does not run
    out = (np.zeros if empty else np.empty)((N, Cout) + out_spatial, dtype=x.dtype)
    if not empty:
        # per block: (G, Cout/G*K, Cin/G) @ x[n] (G, Cin/G, block) -> col2im -> out[n]
        _sweep(geom, out.shape, x.shape[2:], G, x.dtype, scatter_src=x,
               scatter_w=w.reshape(G, Cin // G, Coutg * K), scatter_dst=out,
               scatter_bias=bias)
    elif bias is not None:
        out += bias.reshape(1, Cout, 1, 1, 1)
    return out


def conv_transpose_backward(grad_out, x, w, stride, padding, dilation, groups,
                            need_x=True, need_w=True, need_b=True):
    """Gradients of conv_transpose_forward; grad_out (N, Cout, *out_spatial).

    grad_x is conv's forward applied to grad_out: grad_x[n] = w @ im2col(grad_out[n]);
    grad_w = sum over samples of x[n] @ im2col(grad_out[n])^T. One sweep does both.
    """
    _check_array("grad_out", grad_out, 5, x.dtype)
    geom, out_spatial = _check_transpose_operands(x, w, groups, stride, padding, dilation,
                                                  grad_out.shape[2:])
    Cin, Coutg = w.shape[:2]
    N, G, K = x.shape[0], groups, math.prod(w.shape[2:])
    Cout = Coutg * G
    if grad_out.shape[:2] != (N, Cout):
        raise ValueError(f"grad_out has shape {grad_out.shape}, expected {(N, Cout)} leading")
    gw = np.zeros(w.shape, dtype=x.dtype) if need_w else None
    gb = grad_out.reshape(N, Cout, -1).sum(axis=(0, 2)) if need_b else None
    if x.size == 0 or grad_out.size == 0 or not (need_x or need_w):
        return (np.zeros(x.shape, dtype=x.dtype) if need_x else None), gw, gb
    gx = np.empty(x.shape, dtype=x.dtype) if need_x else None   # every cell is written
    w3 = w.reshape(G, Cin // G, Coutg * K)                # (G, Cin/G, Cout/G*K)
    gw3 = _sweep(geom, grad_out.shape, x.shape[2:], G, x.dtype, gather_src=grad_out,
                 gemm_w=w3 if need_x else None, gemm_out=gx,
                 wgrad_rows=x if need_w else None)
    if need_w and not np.isfinite(gw3).all():   # inf/NaN input: redo with zeroed wide columns
        gw3 = _sweep(geom, grad_out.shape, x.shape[2:], G, x.dtype, gather_src=grad_out,
                     wgrad_rows=x, zero_wide=True)
    if need_w:
        gw = gw3.reshape(w.shape)                         # (G, Cin/G, Cout/G*K) -> w's shape
    return gx, gw, gb
