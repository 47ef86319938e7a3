"""The layout: the zero-padded, stride-split input ("phases") and the copies in and out of it.

Reference loop: out[n, m, o] = sum over c, k of w[m, c, k] * x[n, c, o*s + k*d - p].
This module transforms its *index* ``o*s + k*d - p``: it pads x once and splits it by the
stride, after which every tap k reads its output positions as ONE contiguous run of memory
(no bounds test, no stride), so each copy and each product is a long vector loop instead
of a short, checked one per output row.

A window of output cell (i, j, k) starts at padded input cell (i*sd, j*sh, k*sw) and tap
(a, b, e) reads (i*sd + a*dd, j*sh + b*dh, k*sw + e*dw). Two ideas:

  * Phases. The padded input of one sample is split once into sd*sh*sw "phases",
        xq[c, pa, pb, pe, u, v, t] = xpad[c, pa + sd*u, pb + sh*v, pe + sw*t],
    so that tap (a, b, e) reads phase (a*dd % sd, b*dh % sh, e*dw % sw) at
    (i + a*dd//sd, j + b*dh//sh, k + e*dw//sw): stride 1 in every axis. (With stride 1
    there is a single phase, which is just the zero-padded input.) The padding cells of the
    phases are the same for every sample: they are zeroed once per call, and only x's cells
    are copied. With stride 2 along the rows, each row of x goes into its two column phases
    a vector of column pairs at a time (even columns to one, odd to the other).
  * Wide rows. Each output row is given Wq >= oW columns, the width of a phase row. Then
    the oH consecutive rows a tap reads are one contiguous run of oH*Wq phase cells. The
    Wq - oW extra "wide" columns of a row are computed too and thrown away.

``gather_phases`` fills the phases (im2col's first half), ``scatter_phases`` empties them
(col2im's last half), ``im2col_block`` builds a column matrix from them (only for BLAS and
the public im2col), ``widen_rows`` gives grad_out the wide rows. All of them work on whole
samples and release the GIL (nogil=True): the threads run them on different samples.
"""
from __future__ import annotations

import functools

import numpy as np
from numba import njit

from .tiles import ROW_BYTES, VECTOR_BYTES, _deinterleave, _interleave, _row_out


@njit(cache=True, inline="always")
def _valid_columns(offset, stride, size, out_size):
    """Range [lo, hi) of output columns k whose input index k*stride + offset is in [0, size)."""
    lo = 0
    if offset < 0:
        lo = (-offset + stride - 1) // stride          # ceil(-offset / stride)
    hi = 0
    if size - 1 - offset >= 0:
        hi = (size - 1 - offset) // stride + 1
    if hi > out_size:
        hi = out_size
    if lo > hi:
        lo = hi
    return lo, hi


@njit(cache=True, nogil=True)
def gather_phases(batch, n0, n1, load_first, xq, geom, qshape, qstride, pairs):
    """The phases of the samples n0..n1-1 of batch (N, C, D, H, W): zero-pad each sample and
    split it into phases (skipped for sample n0 unless ``load_first``: xq holds its phases
    already),
        xq[c, pa, pb, pe, u, v, t] = x[c, pa + sd*u - pd, pb + sh*v - ph, pe + sw*t - pw]
    (zero outside x; (C, sd, sh, sw, Dq, Hq, Wq) plus slack, flat, from xq[(n - n0)*qstride]
    on, or all share one with qstride = 0). Only x's cells are written: xq starts as zeros
    and its padding cells, the same for every sample, stay zero (rewriting them was slow)."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    Dq, Hq, Wq = qshape
    C, D, H, W = batch.shape[1:]          # the big side: (N, C, D, H, W)
    P = Dq * Hq * Wq                      # cells of one phase
    lanes = VECTOR_BYTES // xq.itemsize
    J, even_at, odd_at, _, _ = pairs          # pair_columns
    for n in range(n0, n1):
        q0 = (n - n0) * qstride               # where sample n's phases start in xq
        if n == n0 and not load_first:
            continue
        xf = batch[n].reshape(-1)
        for c in range(C):
            for pa in range(sd):
                for pb in range(sh):
                    if sw == 2 and J > 0:
                        # stride 2: column pairs (2j, 2j + 1), j < J, a vector at a time,
                        # into the two column phases (pair_columns); the loop below: the rest
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
                        if J > 0 and t_lo < (2 * J - pe + pw + 1) // 2:   # (after the
                            t_lo = (2 * J - pe + pw + 1) // 2          # pairs; no max())
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
def im2col_block(xq, C, n_samples, col, geom, qshape, oshape, r0, r1, zero_wide, qstride):
    """im2col of output rows [r0, r1) of a block of ``n_samples`` samples from their phases
    (made by gather_phases) into col (C*kd*kh*kw, Lt), sample s in the columns c0 + [0, (r1 -
    r0)*Wq), c0 = s*Ls: one contiguous run per (channel, tap, output plane),
        col[((c*kd + a)*kh + b)*kw + e, c0 + (r - r0)*Wq + k]
            = xpad[c, i*sd + a*dd, j*sh + b*dh, k*sw + e*dw],   r = i*oH + j, k < oW.
    The wide columns k >= oW hold whatever the run copied there (finite numbers from
    neighbouring cells) unless ``zero_wide``, which zeroes them (needed only when the
    input holds inf or NaN: see plans). Only BLAS's products read a built col (and the
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
                            # one run of `run` wide rows, through slice views with a plain
                            # index: LLVM vectorises that (``cf[a:b] = xq[c:d]`` checks
                            # for overlap and is slower)
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
def scatter_phases(gq, qstride, out, n0, n1, last_done, geom, qshape, bias, has_bias, pairs):
    """col2im's last step, the adjoint of gather_phases: undo the phases of each complete
    sample (every column added in: products.product_scatter) into out (N, C, D, H, W),
        out[n, c, zi, yi, xi] = gq[phase and position of padded cell (zi+pd, yi+ph, xi+pw)]
    (+ bias[c] with ``has_bias``; zero where no window reaches), then zero them. Sample n
    has its phases at gq[(n - n0)*qstride:]; the last is complete only with ``last_done``."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    Dq, Hq, Wq = qshape
    C, D, H, W = out.shape[1:]          # the big side: (N, C, D, H, W)
    xq = gq
    P = Dq * Hq * Wq                      # cells of one phase
    lanes = VECTOR_BYTES // gq.itemsize
    nr = ROW_BYTES // gq.itemsize             # (_row_out copies up to nr numbers)
    neg_zero = -gq.dtype.type(0)              # (x + -0.0 is x, -0.0 included)
    J, even_at, odd_at, zero_rows, rest = pairs      # pair_columns
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
                        if sw == 2 and J > 0:       # stride 2: column pairs, as in gather
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
def widen_rows(rows, wide, n0, n1, r0, r1, oW, Wq, row_sums, add_sums):
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


def phase_shape(geom, out_spatial):
    """(Dq, Hq, Wq): the extent of each phase that windows read (see gather_phases)."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    oD, oH, oW = out_spatial
    return (oD + (kd - 1) * dd // sd, oH + (kh - 1) * dh // sh, oW + (kw - 1) * dw // sw)


def phase_size(geom, C, qshape):
    """Length of the flat phase buffer of one sample; Wq cells of slack at the end, because
    the last wide row of a run may reach up to Wq - 1 cells past its phase."""
    sd, sh, sw = geom[3:6]
    return C * sd * sh * sw * qshape[0] * qshape[1] * qshape[2] + qshape[2]


@functools.lru_cache(maxsize=256)
def pair_columns(geom, W, qshape, dtype):
    """Stride 2 along the rows (sw = 2) of W columns: column xc of x lies in column phase
    (xc + pw) % 2 at t = (xc + pw) // 2 (kept if t < Wq). Taken in pairs (2j, 2j + 1), the
    even column of pair j lies at ``even_at + j`` and the odd one at ``odd_at + j`` from
    the start of phase 0's row (phase 1's row starts one phase, Dq*Hq*Wq cells, later).
    Returns (J, even_at, odd_at, zero_rows, rest) for gather_phases and scatter_phases: the pairs
    j < J, whole vectors of pairs, have both columns inside the phases (J = 0 for other
    strides); ``zero_rows``: some columns of x lie in no phase (no window reaches them);
    ``rest``: some lie in a phase but in no pair j < J. Worked out here and passed in:
    inside the kernels it cost compile time."""
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

