"""The fused products: the reference loop's sum over (c, k), made by register tiles.

Reference loop: out[n, m, o] = sum over c, k of w[m, c, k] * x[n, c, o*s + k*d - p].
Written with col[(c, k), o] = x[n, c, o*s + k*d - p] this is one matrix product per
sample and group, (M x C*K) @ (C*K x positions). The register tiles (tiles.py) make that
product at close to the core's peak, and the functions here fuse it with the copies
around it, so that no column matrix is ever written out and read back:

  * ``gather_product`` (forward): the tiles read col's rows where they lie in the phases
    (runs.py) and each finished panel goes straight into out, wide columns dropped, bias
    added, while it is still in the first-level cache.
  * ``product_scatter`` (col2im, the input gradient and the transposed forward): the
    adjoint: the tiles add each row of a panel of w^T @ grad_out into the phases at that
    row's tap, straight from their registers.
  * ``weight_grad_packed`` and ``weight_grad_col_in_place`` (the weight gradient, a sum
    over the output positions o): both operands hold o along memory while a tile steps
    through its sum one entry at a time, so operands are transposed 8 rows at a time in
    vector registers first: both of them (``weight_grad_packed``), or only grad_out, with
    col's numbers read where they lie (``weight_grad_col_in_place``, for 32 output
    channels or more).
"""
from __future__ import annotations

from numba import njit

from .tiles import (KC, MR, MR_W, NV_W, ROW_BYTES, VECTOR_BYTES, _row_add, _row_move,
                    _row_out, _tile, _tile_acols, _tile_add_rows, _tile_rows, _transpose8)

# KQ: output positions per step of the weight gradient's sum (a multiple of 16, like KC for
# the other products): its col panel piece (KQ x NR) stays in the first-level cache beside
# the tiles' other operand.
KQ = 96


@njit(cache=True, nogil=True)
def gather_product(xq, tap_at, first, run_dst, run_src, run_len, wp, m_pad, groups, pbuf,
                   pk_offs, cpan, out, n0, r0, r1, oW, Wq, m_group, bias, has_bias):
    """Forward of a block with im2col folded in and the wide columns dropped on the way out:
    for every group g, output channel m = g*m_group + i and column q of the block (sample
    n0 + s, wide row r, column k < oW),
        out[n0 + s, m, (r0 + r)*oW + k] = sum over rows j of group g of wp[g, i, j] * col[j, q]
                                          (+ bias[m] with ``has_bias``).
    Panel by panel (NR columns), KC rows at a time, the packed weight wp (G, m_pad/MR,
    C/G*K, MR) times col's rows (in the phases xq when the panel is one run, else packed
    into pbuf first) goes into cpan (G*m_pad, NR), then from cache into out."""
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
        whole = t1 == t0 + 1 and run_len[t0] == nr     # the usual case: one run
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
def product_scatter(src, rows_g, wtp, m_pad, groups, tap_at, first, run_dst, run_src,
                    run_len, cbuf, gq):
    """col2im of a block's product, the product made panel by panel: for every group g and
    panel p (columns p*NR..p*NR+NR-1), the tiles make wtp[g] @ src[g, :, panel], where
        wtp: the packed transposed weight (G, m_pad/MR, rows_g, MR), m_pad >= C/G*K
        src: the block's small operand, (G*rows_g, ldb) row-major (layout.widen_rows;
             ldb >= whole panels, so no packing: rows_g is small and stays in cache)
    and every row k < C/G*K of it is added into the phases gq along the panel's runs (from
    tap_at[g*C/G*K + k] on), as col2im adds a column matrix: by the tiles themselves
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
def weight_grad_packed(xq, tap_at, first, run_dst, run_src, run_len, rows, ldr, row_offs,
                       m_pad, groups, CgK, apack, bpack, acc, stage, lane_offs):
    """The weight gradient of a block by register tiles: for every group g,
        acc[g, m, k] += sum over the block's columns q of rows[g*m_pad + m, q] * col[g*CgK + k, q]
    acc (G, m_pad, Jp) flat (Jp: CgK rounded up to whole panels), rows (G*m_pad, ldr) flat
    (grad_out's wide rows: 0 in the wide columns), col as in layout.im2col_block (never
    built: row k at column q is xq[tap_at[k] + src(q)]). The sum runs over the positions,
    which both operands hold along memory while the tiles step through them one by one, so
    both are transposed 8 rows x LANES positions at a time (_transpose8, in vector
    registers): KQ positions at a time, rows into apack (m_pad/MR, KQ, MR) and, panel by
    panel, col into bpack (KQ, NR); then the tiles multiply. The runs are runs.panel_runs
    with panels of LANES columns: a chunk of LANES positions that is one run is transposed
    in registers, the others (a plane or a sample ends inside, or the block's last columns)
    are copied first into ``stage`` (MR rows of LANES, zeros past the block; row i at
    lane_offs[i]) and transposed from there. (Transposing number by number, with stores a
    row apart, made LLVM emit many vectorised versions of that loop: slow to compile.)
    ``row_offs`` = [0, ldr, ..., 7*ldr]; tap_at has NR entries of slack past the last group
    (they fill the last panel's unused columns)."""
    nr = ROW_BYTES // acc.itemsize             # tiles.tile_cols
    lanes = VECTOR_BYTES // acc.itemsize
    Jp = acc.size // (groups * m_pad)
    n_q = (first.size - 1) * lanes             # the block's columns, whole chunks
    for q0 in range(0, n_q, KQ):
        kc = min(KQ, n_q - q0)
        for g in range(groups):
            for mt in range(m_pad // MR):        # A: rows, transposed
                for c in range(kc // lanes):
                    _transpose8(rows, (g * m_pad + mt * MR) * ldr + q0 + c * lanes, row_offs, 0,
                                apack, (mt * KQ + c * lanes) * MR, MR)
            for jp in range(Jp // nr):
                for c in range(kc // lanes):     # B: col, transposed
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
def weight_grad_col_in_place(xq, tap_w, run_dst, run_src, run_len, n_cols, rows, ldr,
                             row_offs, m_pad, groups, k_pad, bpack, acc):
    """The weight gradient of a block with the roles of weight_grad_packed swapped: for every
    group g,
        acc[g, k, m] += sum over the block's columns q of col[g*k_pad + k, q] * rows[g*m_pad + m, q]
    acc (G, k_pad, m_pad) flat; rows (G*m_pad, ldr) flat (grad_out's wide rows, 0 in the
    wide columns and in the padding rows); col as in layout.im2col_block, row k read where it lies
    in the phases (from xq[tap_w[k]] on; k_pad is C/G*K rounded up to MR_W, tap_w's padding
    rows read the group's first row, their sums are dropped). The tiles (_tile_acols) take
    col's numbers one at a time as they lie along the positions, so only grad_out is
    transposed (8 rows x LANES positions at a time, _transpose8) into bpack (m_pad/NRW, KQ,
    NRW): m_pad rows to transpose instead of C/G*K. The block's columns are the runs
    run_dst/src/len (runs.panel_runs with one panel)."""
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
            for jm in range(m_pad // nrw):       # B: grad_out transposed, one panel
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

