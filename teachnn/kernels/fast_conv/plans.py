"""The plans: which stages run, on which blocks of the samples, on how many threads.

Reference loop: out[n, m, o] = sum over c, k of w[m, c, k] * x[n, c, o*s + k*d - p].
A plan reorders its outer loops: the samples n (and, for large samples, the output rows o)
are cut into *blocks* small enough that a block's phases, its panels and its rows of grad_out
stay in the core's own cache while every stage passes over them, and the blocks are shared
out among the threads, so no two threads write the same memory.

Three directions, one plan type and one run function each:

    conv forward            out = w @ im2col(x) + bias                    ForwardPlan
    conv backward           grad_w = grad_out @ im2col(x)^T,              BackwardPlan
                            grad_x = col2im(w^T @ grad_out)
    conv_transpose forward  out = col2im(w^T @ x) + bias                  TransposePlan

(conv_transpose's backward is a ForwardPlan over grad_out, with x's weight gradient riding
along; conv's input gradient at stride 1 is a ForwardPlan too: see the package's API.)
A plan is built from small *stages*, each a frozen description of one fused product
(products.py) and the buffers it needs per thread: ``ProductStage`` (gather + product),
``WeightGradStage`` (weight gradient), ``ScatterStage`` (product + col2im).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .blas import _blas_can_be_held, _one_thread_blas
from .blas import gemm_batched
from .layout import (gather_phases, im2col_block, pair_columns, phase_shape, phase_size,
                     scatter_phases, widen_rows)
from .products import (KQ, gather_product, product_scatter, weight_grad_col_in_place,
                       weight_grad_packed)
from .runs import (packed_row_starts, panel_runs, tap_major_offsets, tap_offsets,
                   tap_offsets_padded)
from .threads import PARALLEL_MIN_ELEMENTS, run_parallel, thread_count
from .tiles import KC, MR, MR_W, NV_W, VECTOR_BYTES, pack_rows, padded_rows, tile_cols

# Bytes of one block: what it keeps in the core's cache while it is gathered, multiplied
# and scattered (tuned for a 2 MB second-level cache; docs/performance.md has the figures).
BLOCK_BYTES = 1 << 20


# --------------------------------------------------------------------------------------
# What every plan shares: the phases of one sample, and how the samples are cut
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PhaseLayout:
    """The "big" side (what im2col reads, col2im writes): (N, C, D, H, W) = big_shape, its
    phases (layout.py) and the output positions (oD, oH, oW) whose windows read it."""
    geom: tuple
    big_shape: tuple
    out_spatial: tuple
    groups: int
    dtype: np.dtype
    qshape: tuple            # (Dq, Hq, Wq): one phase
    qsize: int               # cells of one sample's phases (plus slack)
    pairs: tuple             # layout.pair_columns
    panel_cols: int          # NR: columns of a tile's panel (tiles.tile_cols)

    @property
    def rows(self):          # output rows oD*oH: a block is a range of them
        return self.out_spatial[0] * self.out_spatial[1]

    @property
    def taps(self):          # K = kd*kh*kw
        return self.geom[0] * self.geom[1] * self.geom[2]

    @property
    def col_rows_per_group(self):        # C/G*K
        return self.big_shape[1] // self.groups * self.taps


@functools.lru_cache(maxsize=256)
def phase_layout(geom, big_shape, out_spatial, groups, dtype):
    """Remembered: a layer calls with the same shapes every time."""
    qshape = phase_shape(geom, out_spatial)
    return PhaseLayout(geom, tuple(big_shape), tuple(out_spatial), groups, np.dtype(dtype),
                       qshape, phase_size(geom, big_shape[1], qshape),
                       pair_columns(geom, big_shape[4], qshape, np.dtype(dtype)),
                       tile_cols(dtype))


@dataclass(frozen=True)
class Blocks:
    """The blocks (n0, n1, r0, r1): samples n0..n1-1 x output rows r0..r1-1, and which of
    them each thread takes (items[bounds[t]:bounds[t + 1]])."""
    items: tuple
    bounds: tuple
    whole_samples: bool      # every sample's blocks on one thread (else: private copies)
    most: int                # samples in the largest block
    widest: int              # wide columns of the largest block
    panel_width: int         # widest rounded up to whole panels of the tiles


def cut_blocks(layout, sample_bytes, row_bytes, always_whole, products, blas_threads,
               block_bytes, min_work):
    """Small samples go several whole samples to a block (larger products, fewer calls
    from Python: with several threads those calls queue for the GIL), large ones one
    sample and some of its rows at a time. ``products``: the rows of all products per
    group (their work decides whether threads pay); ``blas_threads``: False when a BLAS
    that cannot be held to one thread makes a product (then that BLAS does the threading)."""
    return _cut_blocks(layout.big_shape[0], layout.rows, layout.out_spatial[2],
                       layout.qshape[2], layout.big_shape[1] * layout.taps, layout.panel_cols,
                       sample_bytes, row_bytes, always_whole, products, blas_threads,
                       block_bytes, min_work, thread_count())


@functools.lru_cache(maxsize=512)
def _cut_blocks(N, rows, oW, Wq, CK, nr, sample_bytes, row_bytes, always_whole, products,
                blas_threads, block_bytes, min_work, T):
    """cut_blocks, remembered (a layer cuts the same way every call)."""
    multi = N >= T and (always_whole or 2 * sample_bytes <= block_bytes)
    if multi:           # ... the same number of blocks for every thread, near equal
        cap = max(1, block_bytes // sample_bytes)         # samples per block at most
        k = -(-(-(-N // T)) // cap)                       # blocks per thread
        items = []
        for t in range(T):                                # thread t's samples, k blocks
            a, b = N * t // T, N * (t + 1) // T
            cuts = sorted({a + (b - a) * i // k for i in range(k + 1)})
            items += [(n0, n1, 0, rows) for n0, n1 in zip(cuts, cuts[1:])]
    else:
        rb = max(1, min(rows, block_bytes // row_bytes))     # rows per block
        row_blocks = [(r0, min(rows, r0 + rb)) for r0 in range(0, rows, rb)]
        items = [(n, n + 1, r0, r1) for n in range(N) for r0, r1 in row_blocks]
    threads = min(T, len(items))
    if N * rows * oW * CK * products < min_work * 16 or not blas_threads:
        threads = 1
    whole_samples = N >= threads
    if multi or not whole_samples:   # every block is whole samples, or blocks are shared
        bounds = [len(items) * t // threads for t in range(threads + 1)]
    else:                            # thread t takes whole samples [N*t/T, N*(t+1)/T)
        bounds = [N * t // threads * len(row_blocks) for t in range(threads + 1)]
    widest = max((n1 - n0) * (r1 - r0) for n0, n1, r0, r1 in items) * Wq
    return Blocks(tuple(items), tuple(bounds), whole_samples,
                  max(n1 - n0 for n0, n1, _, _ in items), widest, -(-widest // nr) * nr)


def _rows_view(layout, a):
    """A small operand (N, G*M, oD, oH, oW) as (N, G*M, rows*oW)."""
    return a.reshape(a.shape[0], a.shape[1], layout.rows * layout.out_spatial[2])


def _runs(layout, block):
    """The runs of a block's panels of NR columns (runs.panel_runs)."""
    n0, n1, r0, r1 = block
    return panel_runs(n1 - n0, r0, r1, layout.out_spatial[1], layout.qshape[2],
                      layout.qshape[1], layout.qsize, layout.panel_cols)


def _widen(layout, rows3, wide, block, sums, add_sums):
    n0, n1, r0, r1 = block
    widen_rows(rows3, wide, n0, n1, r0, r1, layout.out_spatial[2], layout.qshape[2], sums,
               add_sums)


class _Phases:
    """One thread's phases of the block's samples, gathered from ``src`` (im2col's first
    half); a block that starts with the sample the last one ended with reuses its phases."""

    def __init__(self, layout, blocks, src):
        self.layout, self.src = layout, src
        self.xq = np.zeros(layout.qsize * blocks.most, layout.dtype)   # (padding stays 0)
        self.gathered = -1                   # the last sample whose phases xq holds

    def gather(self, block):
        n0, n1 = block[:2]
        lay = self.layout
        gather_phases(self.src, n0, n1, n0 != self.gathered, self.xq, lay.geom, lay.qshape,
                      lay.qsize, lay.pairs)
        self.gathered = n1 - 1


# --------------------------------------------------------------------------------------
# The stages: one fused product each, with what it needs per thread
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProductStage:
    """out[n, g*M + m, o] = sum over j of w[g, m, j] * col[g*C/G*K + j, o] (+ bias[m]):
    products.gather_product, col read in the phases."""
    out_rows: np.ndarray     # (N, G*M, rows*oW)
    packed_weight: np.ndarray  # (G, m_pad/MR, C/G*K, MR), flat
    m_group: int             # M: output channels per group
    m_pad: int               # M rounded up to whole tiles
    bias: np.ndarray
    has_bias: bool
    tap_at: np.ndarray       # where each row of col starts in the phases (runs.tap_offsets)
    packed_starts: np.ndarray  # where each row of a packed panel piece starts

    def buffers(self, layout):
        nr = layout.panel_cols
        return (np.zeros(KC * nr, layout.dtype),                           # a packed panel piece
                np.empty(layout.groups * self.m_pad * nr, layout.dtype))   # a product panel

    def run(self, layout, bufs, xq, runs, block):
        pbuf, cpan = bufs
        n0, n1, r0, r1 = block
        gather_product(xq, self.tap_at, *runs, self.packed_weight, self.m_pad, layout.groups,
                       pbuf, self.packed_starts, cpan, self.out_rows, n0, r0, r1,
                       layout.out_spatial[2], layout.qshape[2], self.m_group, self.bias,
                       self.has_bias)


def product_stage(layout, w3, out, bias):
    """w3 (G, M, C/G*K), out (N, G*M, oD, oH, oW), bias (G*M,) or None."""
    m_group = out.shape[1] // layout.groups
    m_pad = padded_rows(m_group)
    return ProductStage(_rows_view(layout, out), pack_rows(w3, m_pad).reshape(-1), m_group,
                        m_pad, bias if bias is not None else np.zeros(1, layout.dtype),
                        bias is not None,
                        tap_offsets(layout.geom, layout.qshape, layout.big_shape[1])[0],
                        packed_row_starts(layout.panel_cols))


@dataclass(frozen=True)
class WeightGradStage:
    """acc[g, m, j] += sum over o of rows[n, g*M + m, o] * col[g*C/G*K + j, o], summed over
    the samples. ``method``: "col_in_place" (products.weight_grad_col_in_place: 32 rows or
    more), "packed" (products.weight_grad_packed) or "blas" (a built column matrix times
    BLAS: the rerun for inputs holding inf or NaN, whose wide columns must be zeroed, and
    groups whose rows are not whole tiles)."""
    rows: np.ndarray         # (N, G*M, rows*oW): grad_out (conv), x (conv_transpose)
    method: str
    m_group: int             # M
    m_pad: int               # rows of the widened buffer per group
    j_pad: int               # col rows per group in acc (rounded up for the tiles)
    zero_wide: bool
    tap_at: np.ndarray | None  # where col's rows start in the phases (padded for the tiles)

    def buffers(self, layout, blocks):
        dt, G, nr = layout.dtype, layout.groups, layout.panel_cols
        lanes = VECTOR_BYTES // dt.itemsize
        b = {"rows": np.zeros((G * self.m_pad, blocks.panel_width), dt),     # rows M.. stay 0
             "row_offs": np.arange(MR, dtype=np.int64) * blocks.panel_width}
        if self.method == "col_in_place":
            b["acc"] = np.zeros(G * self.j_pad * self.m_pad, dt)      # (G, j_pad, m_pad)
            b["bpack"] = np.zeros(self.m_pad * KQ, dt)                # (m_pad/NRW, KQ, NRW)
        elif self.method == "packed":
            b["acc"] = np.zeros(G * self.m_pad * self.j_pad, dt)      # (G, m_pad, j_pad)
            b["apack"] = np.empty(self.m_pad * KQ, dt)
            b["bpack"] = np.zeros(KQ * nr, dt)
            b["stage"] = np.empty(MR * lanes, dt)                     # a chunk of several runs
            b["lane_offs"] = np.arange(MR, dtype=np.int64) * lanes
        else:
            b["acc"] = np.zeros((G, layout.col_rows_per_group, self.m_group), dt)
            b["col"] = np.empty(layout.big_shape[1] * layout.taps * blocks.widest, dt)
        return b

    def run(self, layout, b, xq, block, blocks, sums, add_sums):
        """Widen the block's rows (adding up their sums with ``add_sums``: the bias
        gradient), then add the block's product into b["acc"]."""
        _widen(layout, self.rows, b["rows"], block, sums, add_sums)
        if self.method == "col_in_place":
            self._col_in_place(layout, b, xq, block, blocks.panel_width)
        elif self.method == "packed":
            self._packed(layout, b, xq, block, blocks.panel_width)
        else:
            self._blas(layout, b, xq, block, blocks.panel_width)

    def _col_in_place(self, lay, b, xq, block, width):
        n0, n1, r0, r1 = block
        Lb = (n1 - n0) * (r1 - r0) * lay.qshape[2]                # columns of the block
        _, dst, src, length = panel_runs(n1 - n0, r0, r1, lay.out_spatial[1], lay.qshape[2],
                                         lay.qshape[1], lay.qsize, 1 << 40)   # one panel
        weight_grad_col_in_place(xq, self.tap_at, dst, src, length, Lb, b["rows"].reshape(-1),
                                 width, b["row_offs"], self.m_pad, lay.groups, self.j_pad,
                                 b["bpack"], b["acc"])

    def _packed(self, lay, b, xq, block, width):
        n0, n1, r0, r1 = block
        lanes = VECTOR_BYTES // lay.dtype.itemsize
        runs = panel_runs(n1 - n0, r0, r1, lay.out_spatial[1], lay.qshape[2], lay.qshape[1],
                          lay.qsize, lanes)                        # panels of LANES columns
        weight_grad_packed(xq, self.tap_at, *runs, b["rows"].reshape(-1), width,
                           b["row_offs"], self.m_pad, lay.groups, lay.col_rows_per_group,
                           b["apack"], b["bpack"], b["acc"], b["stage"], b["lane_offs"])

    def _blas(self, lay, b, xq, block, width):
        n0, n1, r0, r1 = block
        C, G = lay.big_shape[1], lay.groups
        Lb = (n1 - n0) * (r1 - r0) * lay.qshape[2]                # columns of the block
        col = b["col"][:C * lay.taps * Lb].reshape(C * lay.taps, Lb)
        im2col_block(xq, C, n1 - n0, col, lay.geom, lay.qshape, lay.out_spatial, r0, r1,
                     self.zero_wide, lay.qsize)
        rows3 = b["rows"].reshape(G, self.m_group, width)[:, :, :Lb]
        # acc += (G, C/G*K, Lb) @ (G, Lb, M): the long Lb axis is read along memory in both
        # operands (faster than rows @ col^T here)
        gemm_batched(col.reshape(G, lay.col_rows_per_group, Lb), rows3.transpose(0, 2, 1),
                     b["acc"], accumulate=True)

    def result(self, layout, accs):
        """The threads' sums added up in place (they are this call's own arrays, and adding
        them as they lie is faster than adding transposed views), then transposed once
        into (G, M, C/G*K)."""
        acc = accs[0]
        for other in accs[1:]:
            np.add(acc, other, out=acc)
        G, CgK, M = layout.groups, layout.col_rows_per_group, self.m_group
        if self.method == "col_in_place":
            view = acc.reshape(G, self.j_pad, self.m_pad)[:, :CgK, :M].transpose(0, 2, 1)
        elif self.method == "packed":
            view = acc.reshape(G, self.m_pad, self.j_pad)[:, :M, :CgK]
        else:
            view = acc.transpose(0, 2, 1)
        return np.ascontiguousarray(view)


def weight_grad_stage(layout, rows, zero_wide=False):
    """rows (N, G*M, oD, oH, oW): the operand that is not im2col'ed."""
    G, CgK = layout.groups, layout.col_rows_per_group
    M = rows.shape[1] // G
    nr = layout.panel_cols
    nrw = NV_W * VECTOR_BYTES // layout.dtype.itemsize     # columns of _tile_acols
    tiled = not zero_wide and (G == 1 or M % MR == 0)
    geom, qshape, C = layout.geom, layout.qshape, layout.big_shape[1]
    if tiled and M >= nrw and (G == 1 or M % nrw == 0):
        method, m_pad, j_pad = "col_in_place", -(-M // nrw) * nrw, -(-CgK // MR_W) * MR_W
        tap_at = tap_offsets_padded(geom, qshape, C, G, j_pad)
    elif tiled:
        method, m_pad, j_pad = "packed", padded_rows(M), -(-CgK // nr) * nr
        tap_at = tap_offsets(geom, qshape, C)[1]
    else:
        method, m_pad, j_pad, tap_at = "blas", M, CgK, None
    return WeightGradStage(_rows_view(layout, rows), method, M, m_pad, j_pad, zero_wide,
                           tap_at)


@dataclass(frozen=True)
class ScatterStage:
    """dst[n] = col2im(w^T @ src[n]) (+ bias): products.product_scatter adds each panel of
    the product into the phases, layout.scatter_phases undoes them into dst."""
    src_rows: np.ndarray     # (N, G*M, rows*oW)
    m_group: int
    k_pad: int               # C/G*K rounded up to whole tiles
    packed_weight: np.ndarray  # w^T, its rows tap by tap: (G, k_pad/MR, M, MR), flat
    dst: np.ndarray          # (N, C, D, H, W)
    bias: np.ndarray | None
    tap_at: np.ndarray       # col's rows in the product's order (runs.tap_major_offsets)

    def buffers(self, layout, blocks, shared_rows=None):
        """Phases to add into, one product panel, the widened src (or the weight gradient's
        widened copy of the same rows) and where to write (dst, or a private zeroed copy
        when a sample's blocks are shared among threads)."""
        dt, nr = layout.dtype, layout.panel_cols
        wide = shared_rows if shared_rows is not None else np.zeros(
            (self.src_rows.shape[1], blocks.panel_width), dt)
        dst = self.dst if blocks.whole_samples else np.zeros(layout.big_shape, dt)
        return np.zeros(layout.qsize * blocks.most, dt), np.empty(self.k_pad * nr, dt), wide, dst

    def run(self, layout, bufs, runs, block, last_done, widen, sums, add_sums, whole_samples):
        gq, cbuf, wide, dst = bufs
        n0, n1 = block[:2]
        if widen:
            _widen(layout, self.src_rows, wide, block, sums, add_sums)
        product_scatter(wide.reshape(-1), self.m_group, self.packed_weight, self.k_pad,
                        layout.groups, self.tap_at, *runs, cbuf, gq)
        has_bias = whole_samples and self.bias is not None
        scatter_phases(gq, layout.qsize, dst, n0, n1, last_done, layout.geom, layout.qshape,
                       self.bias if self.bias is not None else np.zeros(1, layout.dtype),
                       has_bias, layout.pairs)

    def finish(self, blocks, private):
        """With shared samples: the threads' private copies summed into dst, bias added."""
        if not blocks.whole_samples:
            dst = self.dst
            np.sum(private, axis=0, out=dst)
            if self.bias is not None:
                dst += self.bias.reshape(1, -1, 1, 1, 1)


def scatter_stage(layout, w3, src, dst, bias):
    """w3 (G, M, C/G*K) (conv's weight; its transpose multiplies), src (N, G*M, oD, oH, oW)."""
    G, K, CgK = layout.groups, layout.taps, layout.col_rows_per_group
    M = src.shape[1] // G
    # (G, M, C/G, K) -> its columns tap by tap (runs.tap_major_offsets), (G, M, K*C/G), then
    # its transpose w^T packed (G, k_pad/MR, M, MR). (Swapping the two axes costs less than
    # picking the columns by an index array.)
    w_taps = np.ascontiguousarray(w3.reshape(G, M, CgK // K, K).transpose(0, 1, 3, 2))
    k_pad = padded_rows(CgK)
    packed = pack_rows(w_taps.reshape(G, M, CgK).transpose(0, 2, 1), k_pad).reshape(-1)
    return ScatterStage(_rows_view(layout, src), M, k_pad, packed, dst, bias,
                        tap_major_offsets(layout.geom, layout.qshape, layout.big_shape[1], G))


# --------------------------------------------------------------------------------------
# The three plans and their runs
# --------------------------------------------------------------------------------------
def _cut(layout, gathers, product, weight_grad, scatter, same_rows, block_bytes, min_work):
    """Blocks for these stages. With the tiles, a block costs its samples' phases and its
    rows of the small operands widened to Wq columns (splitting a sample's rows saves only
    the latter); where BLAS makes the weight gradient, its built column matrix."""
    itemsize, Wq, rows = layout.dtype.itemsize, layout.qshape[2], layout.rows
    uses_blas = weight_grad is not None and weight_grad.method == "blas"
    if uses_blas:
        row_bytes = layout.big_shape[1] * layout.taps * Wq * itemsize
        sample_bytes, always_whole = max(1, rows * row_bytes), False
    else:
        n_small = (0 if weight_grad is None else weight_grad.rows.shape[1]) + (
            0 if scatter is None or same_rows else scatter.src_rows.shape[1])
        row_bytes = max(1, n_small * Wq * itemsize)
        phases = layout.qsize * itemsize * (gathers + (scatter is not None))
        sample_bytes, always_whole = max(1, phases + rows * row_bytes), n_small == 0
    products = sum(s.m_group for s in (product, weight_grad, scatter) if s is not None)
    # NumPy's OpenBLAS must be held to one thread, or, when it cannot be, do the threading itself
    blas_threads = not (uses_blas and not _blas_can_be_held())
    return cut_blocks(layout, sample_bytes, row_bytes, always_whole, products, blas_threads,
                      block_bytes, min_work)


def _run(weight_grad, blocks, work):
    """run_parallel(work, blocks.bounds), with NumPy's OpenBLAS held to one thread when it
    makes a product (our threads already share out the samples)."""
    if weight_grad is not None and weight_grad.method == "blas":
        with _one_thread_blas():
            run_parallel(work, blocks.bounds)
    else:
        run_parallel(work, blocks.bounds)


def _last_of_sample(items, idx, last):
    """Is block idx this thread's last block of its last sample (the sample is complete)?"""
    return idx == last - 1 or items[idx + 1][0] != items[idx][1] - 1


@dataclass(frozen=True)
class ForwardPlan:
    """conv forward: gather x's phases, then the product, block by block. Also serves
    conv_transpose's backward (x = its grad_out), whose weight gradient rides along."""
    layout: PhaseLayout
    blocks: Blocks
    x: np.ndarray
    product: ProductStage
    weight_grad: WeightGradStage | None


def forward_plan(layout, x, product, weight_grad=None, block_bytes=BLOCK_BYTES,
                 min_work=PARALLEL_MIN_ELEMENTS):
    blocks = _cut(layout, True, product, weight_grad, None, False, block_bytes, min_work)
    return ForwardPlan(layout, blocks, x, product, weight_grad)


def run_forward(plan):
    """Fill plan.product's output; returns the weight gradient (G, M, C/G*K) or None."""
    lay, blocks, wg_stage = plan.layout, plan.blocks, plan.weight_grad
    accs = [None] * (len(blocks.bounds) - 1)

    def work(t, first, last):
        phases = _Phases(lay, blocks, plan.x)
        product = plan.product.buffers(lay)
        wg = None if wg_stage is None else wg_stage.buffers(lay, blocks)
        no_sums = np.zeros(1)
        for block in blocks.items[first:last]:
            runs = _runs(lay, block)
            phases.gather(block)
            plan.product.run(lay, product, phases.xq, runs, block)
            if wg is not None:
                wg_stage.run(lay, wg, phases.xq, block, blocks, no_sums, False)
        if wg is not None:
            accs[t] = wg["acc"]

    _run(wg_stage, blocks, work)
    return None if wg_stage is None else wg_stage.result(lay, accs)


@dataclass(frozen=True)
class BackwardPlan:
    """conv backward, one pass over the samples for both big gradients: gather x's phases
    for the weight gradient, and col2im of w^T @ grad_out for the input gradient; both
    read grad_out's rows, widened once (``same_rows``). With ``bias_sums`` the pass also
    adds up grad_out per channel (the bias gradient) while it copies grad_out's rows."""
    layout: PhaseLayout
    blocks: Blocks
    x: np.ndarray | None
    weight_grad: WeightGradStage | None
    scatter: ScatterStage | None
    same_rows: bool
    bias_sums: bool


def backward_plan(layout, x, weight_grad, scatter, bias_sums, block_bytes=BLOCK_BYTES,
                  min_work=PARALLEL_MIN_ELEMENTS):
    same = weight_grad is not None and scatter is not None
    blocks = _cut(layout, weight_grad is not None, None, weight_grad, scatter, same,
                  block_bytes, min_work)
    return BackwardPlan(layout, blocks, x, weight_grad, scatter, same, bias_sums)


def run_backward(plan):
    """Fill plan.scatter's dst; returns (weight gradient (G, M, C/G*K) or None, the bias
    gradient in float64 or None)."""
    lay, blocks = plan.layout, plan.blocks
    wg_stage, sc_stage = plan.weight_grad, plan.scatter
    threads = len(blocks.bounds) - 1
    accs, sums, private = [None] * threads, [None] * threads, [None] * threads
    n_sums = (wg_stage.rows if wg_stage is not None else sc_stage.src_rows).shape[1]

    def work(t, first, last):
        phases = None if wg_stage is None else _Phases(lay, blocks, plan.x)
        wg = None if wg_stage is None else wg_stage.buffers(lay, blocks)
        shared = wg["rows"][:lay.groups * wg_stage.m_group] if plan.same_rows else None
        sc = None if sc_stage is None else sc_stage.buffers(lay, blocks, shared)
        private[t] = None if sc is None else sc[3]
        my_sums = sums[t] = np.zeros(n_sums)          # float64 row sums
        for idx in range(first, last):
            block = blocks.items[idx]
            if wg is not None:
                phases.gather(block)
                wg_stage.run(lay, wg, phases.xq, block, blocks, my_sums, plan.bias_sums)
            if sc is not None:
                sc_stage.run(lay, sc, _runs(lay, block), block,
                             _last_of_sample(blocks.items, idx, last), shared is None,
                             my_sums, plan.bias_sums and wg is None, blocks.whole_samples)
        if wg is not None:
            accs[t] = wg["acc"]

    _run(wg_stage, blocks, work)
    bias_grad = None
    if plan.bias_sums:
        bias_grad = np.zeros(n_sums)
        for part in sums:
            bias_grad += part
    if sc_stage is not None:
        sc_stage.finish(blocks, private)
    return (None if wg_stage is None else wg_stage.result(lay, accs)), bias_grad


@dataclass(frozen=True)
class TransposePlan:
    """conv_transpose forward: col2im of w^T @ x, block by block (the adjoint of
    ForwardPlan; conv's input gradient is the same computation)."""
    layout: PhaseLayout
    blocks: Blocks
    scatter: ScatterStage


def transpose_plan(layout, scatter, block_bytes=BLOCK_BYTES, min_work=PARALLEL_MIN_ELEMENTS):
    blocks = _cut(layout, False, None, None, scatter, False, block_bytes, min_work)
    return TransposePlan(layout, blocks, scatter)


def run_transpose(plan):
    """Fill plan.scatter's dst (bias included)."""
    lay, blocks, stage = plan.layout, plan.blocks, plan.scatter
    private = [None] * (len(blocks.bounds) - 1)

    def work(t, first, last):
        bufs = stage.buffers(lay, blocks)
        private[t] = bufs[3]
        no_sums = np.zeros(1)
        for idx in range(first, last):
            block = blocks.items[idx]
            stage.run(lay, bufs, _runs(lay, block), block,
                      _last_of_sample(blocks.items, idx, last), True, no_sums, False,
                      blocks.whole_samples)

    run_parallel(work, blocks.bounds)
    stage.finish(blocks, private)
