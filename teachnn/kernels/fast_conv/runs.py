"""The run tables: where each row and each panel of the column matrix lies in the phases.

Reference loop: out[n, m, o] = sum over c, k of w[m, c, k] * x[n, c, o*s + k*d - p].
im2col would copy x[n, c, o*s + k*d - p] into a column matrix col[(c, k), o] before the
product. These tables make that copy unnecessary: row (c, k) of col *is* the phases from
``tap_at[(c, k)]`` on (layout.py), and a panel of NR columns of col (the piece a register
tile reads) is one or a few contiguous "runs" of the phases, so the products read col where
it already lies instead of writing and re-reading it through the cache.

Column q of a block (sample n0 + s, wide row r, column k) of row (channel c, tap a, b, e)
reads
    phases of sample n0 + s  at  tap_at[row] + (i*Hq + j)*Wq + k,   r0 + r = i*oH + j,
and the columns of one sample and one output plane i follow each other in memory (wide
rows). ``panel_runs`` lists, per panel, those runs.

Everything here is plain Python, remembered per layer (``functools.lru_cache``): a layer's
blocks share a few patterns, and as Numba code they would cost compile time in a learner's
first notebook cell. The arrays returned are shared: never write to them. (A read-only flag
would make Numba compile every kernel once more, for read-only arrays.)
"""
from __future__ import annotations

import functools

import numpy as np

from .tiles import KC, ROW_BYTES


@functools.lru_cache(maxsize=256)
def tap_offsets(geom, qshape, C):
    """(tap_at, tap_pad): tap_at (C*kd*kh*kw,) is where row (c, a, b, e) of col starts
    reading in the phases; tap_pad is tap_at followed by NR (float32's) copies of tap_at[0]
    (slack that weight_grad_packed reads for the unused columns of its last panel). Remembered per
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
def tap_major_offsets(geom, qshape, C, G):
    """tap_at in the order of col2im's product: each group's C/G*K rows taken tap by tap,
    all the group's channels of one tap after the other (row t*C/G + c of the product is
    row c*K + t of col; plans.scatter_stage orders the weight's rows the same way). _tile_add_rows adds
    a tile's 8 rows into the phases one after the other; in col's own order they are
    neighbouring taps of one channel, whose runs overlap one cell apart, so every row's
    loads waited for the last row's stores to reach the cache. Eight channels of one tap
    touch eight disjoint runs instead. Shared, never written to."""
    K = geom[0] * geom[1] * geom[2]
    Cg = C // G
    at = tap_offsets(geom, qshape, C)[0].reshape(G, Cg, K).transpose(0, 2, 1)
    return np.ascontiguousarray(at).reshape(-1)


@functools.lru_cache(maxsize=256)
def tap_offsets_padded(geom, qshape, C, G, k_pad):
    """tap_at with each group's C/G*K rows followed by padding rows up to k_pad, which read
    the group's first row (weight_grad_col_in_place drops their sums). Shared, never written to."""
    at = tap_offsets(geom, qshape, C)[0].reshape(G, -1)
    out = np.repeat(at[:, :1], k_pad, axis=1)
    out[:, :at.shape[1]] = at
    return out.reshape(-1)


@functools.lru_cache(maxsize=4)
def packed_row_starts(nr):
    """[0, NR, 2*NR, ...] (KC entries): where the rows of a packed panel piece start.
    Shared, never written to."""
    return np.arange(KC, dtype=np.int64) * nr


@functools.lru_cache(maxsize=512)
def panel_runs(n_samples, r0, r1, oH, Wq, Hq, qstride, nr):
    """The runs of every panel of a block of ``n_samples`` samples x output rows [r0, r1):
    returns (first, dst, src, length) with the runs of panel p at first[p]..first[p+1]-1;
    run t copies ``length[t]`` columns starting at column dst[t] of the panel from the
    phases at src[t] (+ tap_at[row]; sample s's phases start at s*qstride). Plain Python,
    remembered (see above). The arrays returned are shared: never written to."""
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

