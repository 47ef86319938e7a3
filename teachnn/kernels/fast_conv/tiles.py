"""The register tiles: the reference loop's sum over (c, k), at the core's peak.

Reference loop: out[n, m, o] = sum over c, k of w[m, c, k] * x[n, c, o*s + k*d - p].
Written as a matrix product C = A @ B (A the weight, B the column matrix), its sum over
(c, k) is made here the way every fast matrix product (OpenBLAS, MKL, BLIS) makes it, by a
small "micro-kernel" that keeps a block of C in vector registers for the whole sum:

    C[m0:m0+MR, l0:l0+NR] (+)= sum over k of  A[m0:m0+MR, k]  (outer product)  B[k, l0:l0+NR]

With AVX-512 and float32, MR = 8 rows of NR = 48 columns (3 vectors of 16 lanes) are 24 of
the 32 registers; other CPUs get other shapes (AVX2: 4 x 24 in 16 registers), chosen at
import from the CPU Numba compiles for (target.py, the one table). Each step k loads 3
vectors of B, broadcasts 8 numbers of A and does 24 fused multiply-adds, so the core does
arithmetic almost every cycle instead of waiting for memory. (Each C entry sees its k terms
in order, one fused multiply-add each, so results match a plain loop up to the rounding of
those multiply-adds.)

Both operands are "packed" so that each step reads contiguous memory:
    A packed: (Mp/MR, K, MR)        ap[i, k, m] = A[i*MR + m, k]   (rows zero-padded to Mp)
    B packed: (Lp/NR, K, NR)        bp[j, k, l] = B[k, j*NR + l]   ("panels" of NR columns)
(B may also be read straight from a row-major matrix: ``ldb`` is its row length.) Variants
serve the fused products (products.py): ``_tile_rows`` reads B's row k from its own offset
(the column matrix's rows where they lie in the phases: no packing at all),
``_tile_add_rows`` adds row m of the tile into C at its own offset (col2im straight from the
registers), and ``_tile_acols``, the weight gradient's tile (AVX-512: 12 x 32), takes A's
numbers where they lie. Small vector helpers serve the copies around the products:
``_row_out`` / ``_row_add`` / ``_row_move`` (masked or whole rows of a panel),
``_deinterleave`` / ``_interleave`` (stride 2's phases) and ``_transpose8`` (MR rows
transposed in registers). The sum over k is cut into pieces of KC steps so that one panel
piece (KC x NR) stays in the core's first-level cache while all the rows of A pass over it.

Numba has no vector types, so each tile is emitted as LLVM IR (``numba.extending.intrinsic``):
the code below builds exactly the loop above, with vectors of one register (<16 x float>
with AVX-512, <8 x float> with AVX2, half as many doubles for float64). Masked copies are
masked instructions with AVX-512 and whole vectors plus a scalar tail elsewhere. Beside
each IR generator is its NumPy twin (``_tile_python`` ...): the same computation in a few
NumPy lines, which runs instead with ``NUMBA_DISABLE_JIT=1`` and which the tests compare
against.
Why not call a BLAS: docs/performance.md.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic
from llvmlite import ir

from ..._dtype import FLOAT_NUMPY_DTYPES
from .target import current as current_tile

# The tile's shape follows the CPU Numba compiles for (target.py: the one table). With
# AVX-512: 8 x 3 vectors of 64 bytes; with AVX2: 4 x 3 of 32 bytes; see target.TILES.
SHAPE = current_tile()
MR = SHAPE.mr                    # rows of a tile (numbers of A broadcast per step)
NV = SHAPE.nv                    # vectors per tile row
VECTOR_BYTES = SHAPE.vector_bytes  # one vector register
MASKED = SHAPE.masked            # masked loads/stores are instructions (else a scalar tail)
KC = 192          # steps of k per piece: a KC x NR panel piece fits the L1 cache
ROW_BYTES = NV * VECTOR_BYTES   # bytes of one tile row: NR = ROW_BYTES // itemsize
# Numba's cache (cache=True) sees only the file of a cached function: after changing a
# constant or the tiles here, delete teachnn/kernels/fast_conv/__pycache__, or the other
# modules' cached kernels keep the old ones.


def tile_cols(dtype):
    """NR: columns of a tile (and of a panel of packed B) for this dtype: with AVX-512 48 for
    float32, 24 for float64."""
    return ROW_BYTES // np.dtype(dtype).itemsize


def _data_pointer(context, builder, array_type, array):
    return cgutils.create_struct_proxy(array_type)(context, builder, value=array).data


def _tile_codegen(context, builder, is_f32, A, a_pos, B, b_pos, steps, C, c_pos, accumulate,
                  mr=MR, nv=NV):
    """The IR of one tile (see _tile): mr x nv vectors of C (+)= sum over k < steps of
    A[a_pos(k, m)] (one number, broadcast) * B[b_pos(k):b_pos(k) + nv*lanes]; row m of C
    starts at C[c_pos(m)]. A, B, C are data pointers, the positions LLVM values."""
    scalar = ir.FloatType() if is_f32 else ir.DoubleType()
    lanes = VECTOR_BYTES // (4 if is_f32 else 8)
    vec = ir.VectorType(scalar, lanes)
    vec_ptr = vec.as_pointer()
    i32, i64 = ir.IntType(32), ir.IntType(64)
    fma = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(vec, [vec, vec, vec]),
        f"llvm.fma.v{lanes}f{32 if is_f32 else 64}")

    def const(v):
        return ir.Constant(i64, v)

    # the mr x nv accumulators: stack slots that LLVM promotes to registers
    acc = [[cgutils.alloca_once(builder, vec) for _ in range(nv)] for _ in range(mr)]
    zero = ir.Constant(vec, [0.0] * lanes)
    for row in acc:
        for slot in row:
            builder.store(zero, slot)
    splat_mask = ir.Constant(ir.VectorType(i32, lanes), [0] * lanes)
    with cgutils.for_range(builder, steps) as loop:           # for k in range(steps):
        k = loop.index
        b_row = b_pos(k)
        b = [builder.load(builder.bitcast(builder.gep(B, [builder.add(b_row, const(j * lanes))]),
                                          vec_ptr), align=4)
             for j in range(nv)]                              # B[k, l0:l0+NR] as nv vectors
        for m in range(mr):
            a = builder.load(builder.gep(A, [a_pos(k, m)]))
            a = builder.insert_element(ir.Constant(vec, None), a, ir.Constant(i32, 0))
            a = builder.shuffle_vector(a, ir.Constant(vec, None), splat_mask)  # A[m, k] x lanes
            for j in range(nv):
                builder.store(builder.call(fma, [a, b[j], builder.load(acc[m][j])]), acc[m][j])
    add = builder.icmp_unsigned("!=", accumulate, ir.Constant(accumulate.type, 0))
    with builder.if_else(add) as (then, otherwise):
        for adding in (True, False):         # C += tile, or C = tile (C not read)
            with (then if adding else otherwise):
                for m in range(mr):
                    c_row = c_pos(m)
                    for j in range(nv):
                        p = builder.bitcast(builder.gep(C, [builder.add(c_row, const(j * lanes))]),
                                            vec_ptr)
                        total = builder.load(acc[m][j])
                        if adding:
                            total = builder.fadd(total, builder.load(p, align=4))
                        builder.store(total, p, align=4)


def _packed_a(builder, a_off, mr):
    """a_pos of a packed A: ap[a_off + k*mr + m]."""
    i64 = ir.IntType(64)
    return lambda k, m: builder.add(builder.add(a_off, builder.mul(k, ir.Constant(i64, mr))),
                                    ir.Constant(i64, m))


def _strided_c(builder, c_off, ldc):
    """c_pos of a row-major C: c[c_off + m*ldc]."""
    i64 = ir.IntType(64)
    return lambda m: builder.add(c_off, builder.mul(ir.Constant(i64, m), ldc))


def _ptr(context, builder, signature, args, i):
    return _data_pointer(context, builder, signature.args[i], args[i])


def _is_f32(signature):
    return signature.args[0].dtype == types.float32


@intrinsic
def _tile(typingctx, ap, a_off, bp, b_off, ldb, steps, c, c_off, ldc, accumulate):
    """C tile at c[c_off + m*ldc + l] (m < MR, l < NR) = (or += with ``accumulate``)
    sum over k < steps of ap[a_off + k*MR + m] * bp[b_off + k*ldb + l]
    (ldb = NR for a packed panel)."""
    sig = types.void(ap, a_off, bp, b_off, ldb, steps, c, c_off, ldc, accumulate)

    def codegen(context, builder, signature, args):
        _tile_codegen(context, builder, _is_f32(signature),
                      _ptr(context, builder, signature, args, 0), _packed_a(builder, args[1], MR),
                      _ptr(context, builder, signature, args, 2),
                      lambda k: builder.add(args[3], builder.mul(k, args[4])), args[5],
                      _ptr(context, builder, signature, args, 6),
                      _strided_c(builder, args[7], args[8]), args[9])
        return context.get_dummy_value()

    return sig, codegen


def _tile_python(ap, a_off, bp, b_off, ldb, steps, c, c_off, ldc, accumulate):
    """What ``_tile`` computes, in NumPy (used with NUMBA_DISABLE_JIT=1)."""
    nr = tile_cols(c.dtype)
    a = ap[a_off:a_off + steps * MR].reshape(steps, MR)
    b = np.lib.stride_tricks.as_strided(bp[b_off:b_off + (steps - 1) * ldb + nr], (steps, nr),
                                        (ldb * bp.itemsize, bp.itemsize))
    view = c[c_off:c_off + (MR - 1) * ldc + nr]
    rows = np.lib.stride_tricks.as_strided(view, (MR, nr), (ldc * c.itemsize, c.itemsize))
    product = a.T @ b
    if accumulate:
        rows += product
    else:
        rows[...] = product


@intrinsic
def _tile_rows(typingctx, ap, a_off, src, base, offs, o_idx, steps, c, c_off, ldc, accumulate):
    """Like _tile, with B's rows read where they lie instead of from a packed panel:
        sum over k < steps of ap[a_off + k*MR + m] * src[base + offs[o_idx + k] + l].
    The convolutions' column matrix needs no packing this way when a panel is one run of
    the phases (row k of col is the phases from tap_at[k] on: runs.py)."""
    sig = types.void(ap, a_off, src, base, offs, o_idx, steps, c, c_off, ldc, accumulate)

    def codegen(context, builder, signature, args):
        O = _ptr(context, builder, signature, args, 4)
        _tile_codegen(context, builder, _is_f32(signature),
                      _ptr(context, builder, signature, args, 0), _packed_a(builder, args[1], MR),
                      _ptr(context, builder, signature, args, 2),
                      lambda k: builder.add(args[3], builder.load(
                          builder.gep(O, [builder.add(args[5], k)]))), args[6],
                      _ptr(context, builder, signature, args, 7),
                      _strided_c(builder, args[8], args[9]), args[10])
        return context.get_dummy_value()

    return sig, codegen


def _tile_rows_python(ap, a_off, src, base, offs, o_idx, steps, c, c_off, ldc, accumulate):
    """What ``_tile_rows`` computes, in NumPy (used with NUMBA_DISABLE_JIT=1)."""
    nr = tile_cols(c.dtype)
    rows = base + np.asarray(offs[o_idx:o_idx + steps])
    b = src[rows[:, None] + np.arange(nr)].reshape(-1)          # B's rows, packed
    _tile_python(ap, a_off, b, 0, nr, steps, c, c_off, ldc, accumulate)


@intrinsic
def _tile_add_rows(typingctx, ap, a_off, bp, b_off, ldb, steps, c, c_base, c_offs, o_idx):
    """Like _tile with ``accumulate``, with C's rows added where they lie: row m of the
    tile is added into c[c_base + c_offs[o_idx + m]:... + NR]. col2im adds each row of its
    product into the phases at that row's tap (products.product_scatter): this way the tile
    adds it straight from its registers instead of through a buffer. The rows may overlap
    (neighbouring taps read overlapping runs of the phases): they are added one after the
    other, as the loop in _tile_add_rows_python does."""
    sig = types.void(ap, a_off, bp, b_off, ldb, steps, c, c_base, c_offs, o_idx)

    def codegen(context, builder, signature, args):
        O = _ptr(context, builder, signature, args, 8)
        i64 = ir.IntType(64)
        _tile_codegen(context, builder, _is_f32(signature),
                      _ptr(context, builder, signature, args, 0), _packed_a(builder, args[1], MR),
                      _ptr(context, builder, signature, args, 2),
                      lambda k: builder.add(args[3], builder.mul(k, args[4])), args[5],
                      _ptr(context, builder, signature, args, 6),
                      lambda m: builder.add(args[7], builder.load(
                          builder.gep(O, [builder.add(args[9], ir.Constant(i64, m))]))),
                      ir.Constant(ir.IntType(1), 1))
        return context.get_dummy_value()

    return sig, codegen


def _tile_add_rows_python(ap, a_off, bp, b_off, ldb, steps, c, c_base, c_offs, o_idx):
    """What ``_tile_add_rows`` computes, in NumPy (used with NUMBA_DISABLE_JIT=1)."""
    nr = tile_cols(c.dtype)
    tile = np.zeros(MR * nr, c.dtype)
    _tile_python(ap, a_off, bp, b_off, ldb, steps, tile, 0, nr, False)
    for m in range(MR):
        at = c_base + c_offs[o_idx + m]
        c[at:at + nr] += tile[m * nr:(m + 1) * nr]


# The weight gradient's tile: MR_W rows of col (A, read as numbers where they lie in the
# phases) x NV_W vectors of output channels (B: grad_out transposed, packed); with AVX-512
# 12 x 32 float32, 24 registers.
MR_W = SHAPE.mr_w
NV_W = SHAPE.nv_w


@intrinsic
def _tile_acols(typingctx, src, a_base, a_offs, a_idx, bp, b_off, steps, c, c_off, ldc):
    """C[c_off + m*ldc + l] += sum over k < steps of src[a_base + a_offs[a_idx + m] + k]
    * bp[b_off + k*NRW + l] for m < MR_W, l < NRW (NRW = NV_W vectors: 32 float32): A's
    rows are read where they lie (col's rows in the phases: products.weight_grad_col_in_place), B is a
    packed panel."""
    sig = types.void(src, a_base, a_offs, a_idx, bp, b_off, steps, c, c_off, ldc)

    def codegen(context, builder, signature, args):
        is_f32 = _is_f32(signature)
        lanes = VECTOR_BYTES // (4 if is_f32 else 8)
        i64 = ir.IntType(64)
        O = _ptr(context, builder, signature, args, 2)
        rows = [builder.add(args[1], builder.load(builder.gep(O, [builder.add(
            args[3], ir.Constant(i64, m))]))) for m in range(MR_W)]     # each row's start
        _tile_codegen(context, builder, is_f32,
                      _ptr(context, builder, signature, args, 0),
                      lambda k, m: builder.add(rows[m], k),
                      _ptr(context, builder, signature, args, 4),
                      lambda k: builder.add(args[5], builder.mul(k, ir.Constant(i64, NV_W * lanes))),
                      args[6], _ptr(context, builder, signature, args, 7),
                      _strided_c(builder, args[8], args[9]), ir.Constant(ir.IntType(1), 1),
                      mr=MR_W, nv=NV_W)
        return context.get_dummy_value()

    return sig, codegen


def _tile_acols_python(src, a_base, a_offs, a_idx, bp, b_off, steps, c, c_off, ldc):
    """What ``_tile_acols`` computes, in NumPy (used with NUMBA_DISABLE_JIT=1)."""
    nrw = NV_W * VECTOR_BYTES // c.itemsize
    starts = a_base + np.asarray(a_offs[a_idx:a_idx + MR_W])
    a = src[starts[:, None] + np.arange(steps)]                  # (MR_W, steps)
    b = bp[b_off:b_off + steps * nrw].reshape(steps, nrw)
    for m in range(MR_W):
        c[c_off + m * ldc:c_off + m * ldc + nrw] += a[m] @ b


@intrinsic
def _row_move(typingctx, dst, d_off, src, s_off, add):
    """dst[d_off:d_off + NR] = (or += with ``add``) src[s_off:s_off + NR], as NV vector
    loads and stores. (A plain loop does the same, but LLVM cannot prove that dst and src
    do not overlap, and its checked vector loop handles 64 elements at a time: the 48 of a
    panel row went one by one.)"""
    sig = types.void(dst, d_off, src, s_off, add)

    def codegen(context, builder, signature, args):
        dst_, d_off_, src_, s_off_, add_ = args
        is_f32 = signature.args[0].dtype == types.float32
        lanes = VECTOR_BYTES // (4 if is_f32 else 8)
        vec_ptr = ir.VectorType(ir.FloatType() if is_f32 else ir.DoubleType(), lanes).as_pointer()
        D = _data_pointer(context, builder, signature.args[0], dst_)
        S = _data_pointer(context, builder, signature.args[2], src_)
        i64 = ir.IntType(64)
        is_add = builder.icmp_unsigned("!=", add_, ir.Constant(add_.type, 0))
        for j in range(NV):
            step = ir.Constant(i64, j * lanes)
            s = builder.bitcast(builder.gep(S, [builder.add(s_off_, step)]), vec_ptr)
            d = builder.bitcast(builder.gep(D, [builder.add(d_off_, step)]), vec_ptr)
            v = builder.load(s, align=4)
            builder.store(builder.select(is_add, builder.fadd(v, builder.load(d, align=4)), v),
                          d, align=4)
        return context.get_dummy_value()

    return sig, codegen


def _row_move_python(dst, d_off, src, s_off, add):
    """What ``_row_move`` does, in NumPy (used with NUMBA_DISABLE_JIT=1)."""
    nr = tile_cols(dst.dtype)
    if add:
        dst[d_off:d_off + nr] += src[s_off:s_off + nr]
    else:
        dst[d_off:d_off + nr] = src[s_off:s_off + nr]


def _butterfly(lanes, rows=None):
    """How _transpose8 transposes MR vectors of ``lanes`` numbers (rows 0..MR-1): log2(MR)
    rounds of interleaving (rows 0-1, 2-3, ...; then pairs of pairs; then fours ...), each a
    list of (vector a, vector b, mask) for one shufflevector; and, for every final vector,
    the position each of its groups of MR (rows 0..MR-1 at one position) belongs to.
    Worked out by following labels (row, position) through the rounds. None when MR is not
    a power of two or a vector holds fewer than MR numbers (the transpose then goes number
    by number)."""
    rows = MR if rows is None else rows
    if rows & (rows - 1) or lanes < rows or lanes % rows:
        return None
    vecs = [[(r, k) for k in range(lanes)] for r in range(rows)]
    rounds = []
    width = 1
    while width < rows:
        new, masks = [], []
        for i in range(0, rows, 2 * width):
            for j in range(width):
                a, b = vecs[i + j], vecs[i + width + j]
                for half in (0, 1):
                    out = []
                    for lo in range(half * lanes // 2, (half + 1) * lanes // 2, width):
                        out += a[lo:lo + width] + b[lo:lo + width]
                    masks.append((i + j, i + width + j, [(a + b).index(x) for x in out]))
                    new.append(out)
        rounds.append(masks)
        vecs = new
        width *= 2
    positions = []
    for v in vecs:
        groups = [v[g:g + rows] for g in range(0, lanes, rows)]
        assert all(grp == [(r, grp[0][1]) for r in range(rows)] for grp in groups)
        positions.append([grp[0][1] for grp in groups])
    return rounds, positions


@intrinsic
def _transpose8(typingctx, src, base, offs, o_idx, dst, d_off, ldd):
    """Transpose MR rows of LANES numbers: row i is src[base + offs[o_idx + i]:][:LANES];
    for every position q < LANES, dst[d_off + q*ldd + i] = row i's number q. Done in
    vector registers (loads, log2(MR) rounds of shuffles, stores of MR numbers) where a
    vector holds MR numbers or more: copying one number at a time cost the weight
    gradient's tiles what they saved. (Named for AVX-512's 8 rows.)"""
    sig = types.void(src, base, offs, o_idx, dst, d_off, ldd)

    def codegen(context, builder, signature, args):
        src_, base_, offs_, o_idx_, dst_, d_off_, ldd_ = args
        is_f32 = signature.args[0].dtype == types.float32
        scalar = ir.FloatType() if is_f32 else ir.DoubleType()
        lanes = VECTOR_BYTES // (4 if is_f32 else 8)
        vec, eight = ir.VectorType(scalar, lanes), ir.VectorType(scalar, MR)
        i32, i64 = ir.IntType(32), ir.IntType(64)
        S = _data_pointer(context, builder, signature.args[0], src_)
        O = _data_pointer(context, builder, signature.args[2], offs_)
        D = _data_pointer(context, builder, signature.args[4], dst_)
        rows = []
        for i in range(MR):
            off = builder.load(builder.gep(O, [builder.add(o_idx_, ir.Constant(i64, i))]))
            p = builder.gep(S, [builder.add(base_, off)])
            rows.append(builder.load(builder.bitcast(p, vec.as_pointer()), align=4))
        plan = _butterfly(lanes)
        if plan is None:            # number by number (vectors narrower than MR)
            for i, v in enumerate(rows):
                for q in range(lanes):
                    at = builder.add(builder.add(d_off_, builder.mul(ir.Constant(i64, q), ldd_)),
                                     ir.Constant(i64, i))
                    builder.store(builder.extract_element(v, ir.Constant(i32, q)),
                                  builder.gep(D, [at]))
            return context.get_dummy_value()
        rounds, positions = plan
        for masks in rounds:
            rows = [builder.shuffle_vector(rows[a], rows[b],
                                           ir.Constant(ir.VectorType(i32, lanes), mask))
                    for a, b, mask in masks]
        for v, where in zip(rows, positions):
            for g, q in enumerate(where):
                part = v if lanes == MR else builder.shuffle_vector(
                    v, v, ir.Constant(ir.VectorType(i32, MR), list(range(g * MR, g * MR + MR))))
                at = builder.add(d_off_, builder.mul(ir.Constant(i64, q), ldd_))
                builder.store(part, builder.bitcast(builder.gep(D, [at]), eight.as_pointer()),
                              align=4)
        return context.get_dummy_value()

    return sig, codegen


def _transpose8_python(src, base, offs, o_idx, dst, d_off, ldd):
    """What ``_transpose8`` does, in NumPy (used with NUMBA_DISABLE_JIT=1)."""
    lanes = VECTOR_BYTES // src.itemsize
    for i in range(MR):
        at = base + offs[o_idx + i]
        dst[d_off + i:d_off + i + (lanes - 1) * ldd + 1:ldd] = src[at:at + lanes]


@intrinsic
def _row_out(typingctx, dst, d_off, src, s_off, n, b):
    """dst[d_off + l] = src[s_off + l] + b for l < n (n <= NR), as NV masked vector loads
    and stores: the forward writes each row of a panel of its product into the output
    this way (n is where a wide row's columns end). The plain loop that did it, with its
    two slices and overlap checks, was a visible part of small layers' forward."""
    sig = types.void(dst, d_off, src, s_off, n, b)

    def codegen(context, builder, signature, args):
        _masked_row_codegen(context, builder, signature, args, False)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _row_add(typingctx, dst, d_off, src, s_off, n):
    """dst[d_off + l] += src[s_off + l] for l < n (n <= NR), as NV masked vector loads and
    stores: col2im adds each run of a panel of several runs into the phases this way (and
    the forward packs such a panel with _row_out). The plain loops that did both, with
    their slices and overlap checks, were slow and slow to compile."""
    sig = types.void(dst, d_off, src, s_off, n)

    def codegen(context, builder, signature, args):
        _masked_row_codegen(context, builder, signature, args, True)
        return context.get_dummy_value()

    return sig, codegen


def _masked_row_codegen(context, builder, signature, args, add_dst):
    """The IR of _row_out (``add_dst`` false: dst = src + b) and _row_add (dst += src)."""
    if add_dst:
        dst_, d_off_, src_, s_off_, n_ = args
    else:
        dst_, d_off_, src_, s_off_, n_, b_ = args
    is_f32 = signature.args[0].dtype == types.float32
    lanes = VECTOR_BYTES // (4 if is_f32 else 8)
    vec = ir.VectorType(ir.FloatType() if is_f32 else ir.DoubleType(), lanes)
    i32, i64 = ir.IntType(32), ir.IntType(64)
    mask_t, ptr_t = ir.VectorType(ir.IntType(1), lanes), vec.as_pointer()
    name = f"v{lanes}f{32 if is_f32 else 64}.p0"
    load = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(vec, [ptr_t, i32, mask_t, vec]),
        f"llvm.masked.load.{name}")
    store = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(ir.VoidType(), [vec, ptr_t, i32, mask_t]),
        f"llvm.masked.store.{name}")
    D = _data_pointer(context, builder, signature.args[0], dst_)
    S = _data_pointer(context, builder, signature.args[2], src_)
    splat = ir.Constant(ir.VectorType(i32, lanes), [0] * lanes)
    if not add_dst:
        bv = builder.shuffle_vector(
            builder.insert_element(ir.Constant(vec, None), b_, ir.Constant(i32, 0)),
            ir.Constant(vec, None), splat)
    n_vec = ir.VectorType(i64, lanes)
    nv = builder.shuffle_vector(
        builder.insert_element(ir.Constant(n_vec, None), n_, ir.Constant(i32, 0)),
        ir.Constant(n_vec, None), splat)
    if not MASKED:
        _row_tail_codegen(builder, D, d_off_, S, s_off_, n_, None if add_dst else bv, lanes,
                          ptr_t)
        return
    for j in range(NV):
        mask = builder.icmp_signed("<", ir.Constant(n_vec, list(range(j * lanes,
                                                                         (j + 1) * lanes))), nv)
        step = ir.Constant(i64, j * lanes)
        ps = builder.bitcast(builder.gep(S, [builder.add(s_off_, step)]), ptr_t)
        pd = builder.bitcast(builder.gep(D, [builder.add(d_off_, step)]), ptr_t)
        v = builder.call(load, [ps, ir.Constant(i32, 4), mask, ir.Constant(vec, None)])
        if add_dst:
            bv = builder.call(load, [pd, ir.Constant(i32, 4), mask, ir.Constant(vec, None)])
        builder.call(store, [builder.fadd(bv, v) if add_dst else builder.fadd(v, bv), pd,
                             ir.Constant(i32, 4), mask])


def _row_tail_codegen(builder, D, d_off, S, s_off, n, bv, lanes, ptr_t):
    """_masked_row_codegen without masks (CPUs without masked loads and stores, where LLVM
    makes every masked one a chain of tests and single numbers): the whole vectors of the
    n numbers as plain vector operations, the last n % LANES one number at a time.
    ``bv`` is b broadcast (dst = src + b), None for dst += src."""
    i64 = ir.IntType(64)
    whole = builder.udiv(n, ir.Constant(i64, lanes))
    for j in range(NV):
        with builder.if_then(builder.icmp_signed("<", ir.Constant(i64, j), whole)):
            step = ir.Constant(i64, j * lanes)
            ps = builder.bitcast(builder.gep(S, [builder.add(s_off, step)]), ptr_t)
            pd = builder.bitcast(builder.gep(D, [builder.add(d_off, step)]), ptr_t)
            v = builder.load(ps, align=4)
            if bv is None:
                builder.store(builder.fadd(builder.load(pd, align=4), v), pd, align=4)
            else:
                builder.store(builder.fadd(v, bv), pd, align=4)
    done = builder.mul(whole, ir.Constant(i64, lanes))
    b = None if bv is None else builder.extract_element(bv, ir.Constant(ir.IntType(32), 0))
    with cgutils.for_range(builder, builder.sub(n, done)) as loop:
        at = builder.add(done, loop.index)
        pd = builder.gep(D, [builder.add(d_off, at)])
        v = builder.load(builder.gep(S, [builder.add(s_off, at)]))
        builder.store(builder.fadd(builder.load(pd), v) if b is None else builder.fadd(v, b), pd)


def _row_out_python(dst, d_off, src, s_off, n, b):
    """What ``_row_out`` does, in NumPy (used with NUMBA_DISABLE_JIT=1)."""
    dst[d_off:d_off + n] = src[s_off:s_off + n] + b


def _row_add_python(dst, d_off, src, s_off, n):
    """What ``_row_add`` does, in NumPy (used with NUMBA_DISABLE_JIT=1)."""
    dst[d_off:d_off + n] += src[s_off:s_off + n]


def _pair_masks(lanes):
    """Shuffle masks over two vectors a, b (lanes each; b's lanes are numbered from lanes
    on): (evens, odds) of their concatenation, and (low, high) halves of a and b
    interleaved (a0 b0 a1 b1 ...)."""
    evens = list(range(0, 2 * lanes, 2))
    odds = list(range(1, 2 * lanes, 2))
    mixed = [v for i in range(lanes) for v in (i, lanes + i)]
    return evens, odds, mixed[:lanes], mixed[lanes:]


def _pair_codegen(context, builder, signature, args, split):
    """The IR of _deinterleave (split) and _interleave (not split)."""
    is_f32 = signature.args[0].dtype == types.float32
    lanes = VECTOR_BYTES // (4 if is_f32 else 8)
    vec = ir.VectorType(ir.FloatType() if is_f32 else ir.DoubleType(), lanes)
    i32, i64 = ir.IntType(32), ir.IntType(64)
    evens, odds, low, high = _pair_masks(lanes)

    def at(array_index, offset):
        base = _data_pointer(context, builder, signature.args[array_index], args[array_index])
        return builder.bitcast(builder.gep(base, [offset]), vec.as_pointer())

    def mask(m):
        return ir.Constant(ir.VectorType(i32, lanes), m)

    step = ir.Constant(i64, lanes)
    if split:           # src, s_off, dst, d0, d1
        a = builder.load(at(0, args[1]), align=4)
        b = builder.load(at(0, builder.add(args[1], step)), align=4)
        builder.store(builder.shuffle_vector(a, b, mask(evens)), at(2, args[3]), align=4)
        builder.store(builder.shuffle_vector(a, b, mask(odds)), at(2, args[4]), align=4)
    else:               # src, s0, s1, dst, d_off
        a = builder.load(at(0, args[1]), align=4)
        b = builder.load(at(0, args[2]), align=4)
        builder.store(builder.shuffle_vector(a, b, mask(low)), at(3, args[4]), align=4)
        builder.store(builder.shuffle_vector(a, b, mask(high)),
                      at(3, builder.add(args[4], step)), align=4)
    return context.get_dummy_value()


@intrinsic
def _deinterleave(typingctx, src, s_off, dst, d0, d1):
    """Split 2*LANES numbers src[s_off:s_off + 2*LANES] into their even and odd ones:
    dst[d0 + i] = src[s_off + 2*i], dst[d1 + i] = src[s_off + 2*i + 1] for i < LANES (16
    float32, 8 float64). Two loads, two shuffles, two stores: stride 2's phases are made
    this way (a loop of single numbers read with a step of 2 does not vectorise)."""
    sig = types.void(src, s_off, dst, d0, d1)
    return sig, lambda context, builder, signature, args: _pair_codegen(
        context, builder, signature, args, True)


@intrinsic
def _interleave(typingctx, src, s0, s1, dst, d_off):
    """The reverse of _deinterleave: dst[d_off + 2*i] = src[s0 + i] and
    dst[d_off + 2*i + 1] = src[s1 + i] for i < LANES."""
    sig = types.void(src, s0, s1, dst, d_off)
    return sig, lambda context, builder, signature, args: _pair_codegen(
        context, builder, signature, args, False)


def _deinterleave_python(src, s_off, dst, d0, d1):
    """What ``_deinterleave`` does, in NumPy (used with NUMBA_DISABLE_JIT=1)."""
    lanes = VECTOR_BYTES // src.itemsize
    dst[d0:d0 + lanes] = src[s_off:s_off + 2 * lanes:2]
    dst[d1:d1 + lanes] = src[s_off + 1:s_off + 2 * lanes:2]


def _interleave_python(src, s0, s1, dst, d_off):
    """What ``_interleave`` does, in NumPy (used with NUMBA_DISABLE_JIT=1)."""
    lanes = VECTOR_BYTES // src.itemsize
    dst[d_off:d_off + 2 * lanes:2] = src[s0:s0 + lanes]
    dst[d_off + 1:d_off + 2 * lanes:2] = src[s1:s1 + lanes]


if numba.config.DISABLE_JIT:
    _tile = _tile_python  # noqa: F811
    _tile_rows = _tile_rows_python  # noqa: F811
    _tile_add_rows = _tile_add_rows_python  # noqa: F811
    _tile_acols = _tile_acols_python  # noqa: F811
    _row_move = _row_move_python  # noqa: F811
    _transpose8 = _transpose8_python  # noqa: F811
    _deinterleave = _deinterleave_python  # noqa: F811
    _interleave = _interleave_python  # noqa: F811
    _row_out = _row_out_python  # noqa: F811
    _row_add = _row_add_python  # noqa: F811


# An intrinsic can only be called from compiled code: these two let Python (tests, a
# learner at the prompt) run one tile or one row move.
@njit(cache=True)
def _tile_via_jit(ap, a_off, bp, b_off, ldb, steps, c, c_off, ldc, accumulate):
    _tile(ap, a_off, bp, b_off, ldb, steps, c, c_off, ldc, accumulate)


@njit(cache=True)
def _tile_rows_via_jit(ap, a_off, src, base, offs, o_idx, steps, c, c_off, ldc, accumulate):
    _tile_rows(ap, a_off, src, base, offs, o_idx, steps, c, c_off, ldc, accumulate)


@njit(cache=True)
def _tile_add_rows_via_jit(ap, a_off, bp, b_off, ldb, steps, c, c_base, c_offs, o_idx):
    _tile_add_rows(ap, a_off, bp, b_off, ldb, steps, c, c_base, c_offs, o_idx)


@njit(cache=True)
def _tile_acols_via_jit(src, a_base, a_offs, a_idx, bp, b_off, steps, c, c_off, ldc):
    _tile_acols(src, a_base, a_offs, a_idx, bp, b_off, steps, c, c_off, ldc)


@njit(cache=True)
def _row_move_via_jit(dst, d_off, src, s_off, add):
    _row_move(dst, d_off, src, s_off, add)


@njit(cache=True)
def _transpose8_via_jit(src, base, offs, o_idx, dst, d_off, ldd):
    _transpose8(src, base, offs, o_idx, dst, d_off, ldd)


@njit(cache=True)
def _deinterleave_via_jit(src, s_off, dst, d0, d1):
    _deinterleave(src, s_off, dst, d0, d1)


@njit(cache=True)
def _interleave_via_jit(src, s0, s1, dst, d_off):
    _interleave(src, s0, s1, dst, d_off)


@njit(cache=True)
def _row_out_via_jit(dst, d_off, src, s_off, n, b):
    _row_out(dst, d_off, src, s_off, n, b)


@njit(cache=True)
def _row_add_via_jit(dst, d_off, src, s_off, n):
    _row_add(dst, d_off, src, s_off, n)


@njit(cache=True, nogil=True)
def _tile_product(ap, bp, c, groups, m_pad, steps, n_cols, ldc, accumulate):
    """For each group g: C_g (+)= A_g @ B_g over the first ``n_cols`` columns (rounded up to
    whole panels), where
        ap: packed A, (G, m_pad/MR, steps, MR)
        bp: packed B, (G, ldc/NR, steps, NR)     (ldc = columns of the whole buffer)
        c:  C, (G*m_pad, ldc) row-major, flat.
    Panels beyond n_cols are not touched. Callers check the sizes (no bounds checks here)."""
    nr = ROW_BYTES // c.itemsize                 # tile_cols
    piece = -(-steps // -(-steps // KC))          # KC or less, pieces of equal size
    for g in range(groups):
        for jp in range((n_cols + nr - 1) // nr):       # one panel of B ...
            b_panel = (g * (ldc // nr) + jp) * steps * nr
            for k0 in range(0, steps, piece):           # ... one piece of it at a time ...
                kc = min(piece, steps - k0)
                for ip in range(m_pad // MR):           # ... against every row tile of A
                    _tile(ap, ((g * (m_pad // MR) + ip) * steps + k0) * MR,
                          bp, b_panel + k0 * nr, nr, kc,
                          c, (g * m_pad + ip * MR) * ldc + jp * nr, ldc,
                          accumulate or k0 > 0)


def pack_rows(a, m_pad):
    """A (G, M, K) -> packed (G, m_pad/MR, K, MR), rows M..m_pad-1 zero."""
    G, M, K = a.shape
    if m_pad % MR or m_pad < M:
        raise ValueError(f"m_pad={m_pad} must be a multiple of {MR} and >= {M}")
    at = a.transpose(0, 2, 1)                 # (G, K, M)
    if at.flags.c_contiguous:                 # a is a transposed weight, w^T: take w's
        # rows as they lie, MR numbers at a time (faster than a general copy)
        if m_pad > M:
            padded = np.zeros((G, K, m_pad), a.dtype)
            padded[:, :, :M] = at
            at = padded
        return np.ascontiguousarray(at.reshape(G, K, m_pad // MR, MR).transpose(0, 2, 1, 3))
    out = np.zeros((G, m_pad, K), a.dtype)
    out[:, :M] = a
    return np.ascontiguousarray(out.reshape(G, m_pad // MR, MR, K).transpose(0, 1, 3, 2))


def pack_panels(b):
    """B (G, K, L) -> packed (G, Lp/NR, K, NR), Lp = L rounded up to whole panels (zero
    columns past L)."""
    G, K, L = b.shape
    nr = tile_cols(b.dtype)
    Lp = -(-L // nr) * nr
    out = np.zeros((G, K, Lp), b.dtype)
    out[:, :, :L] = b
    return np.ascontiguousarray(out.reshape(G, K, Lp // nr, nr).transpose(0, 2, 1, 3))


def padded_rows(m):
    """m rounded up to whole tiles (MR)."""
    return -(-m // MR) * MR


def tile_product(ap, bp, c, groups, m_pad, steps, n_cols, accumulate=False):
    """Checked entry point of ``_tile_product``: c (G*m_pad, ldc) (+)= A @ B as packed above."""
    dtype = c.dtype
    if dtype not in FLOAT_NUMPY_DTYPES:
        raise TypeError(f"tile product needs float32 or float64, got {dtype}")
    nr = tile_cols(dtype)
    for name, arr in (("packed A", ap), ("packed B", bp), ("C", c)):
        if not isinstance(arr, np.ndarray) or arr.dtype != dtype or not arr.flags.c_contiguous:
            raise TypeError(f"tile product: {name} must be a C-contiguous {dtype} array")
    if c.ndim != 2 or c.shape[0] != groups * m_pad or c.shape[1] % nr:
        raise ValueError(f"C has shape {c.shape}, expected ({groups * m_pad}, a multiple of {nr})")
    ldc = c.shape[1]
    if groups < 1 or steps < 1:
        raise ValueError(f"groups={groups} and steps={steps} must be >= 1")
    if m_pad % MR or ap.size != groups * m_pad * steps:
        raise ValueError(f"packed A has {ap.size} entries, expected {groups * m_pad * steps}")
    if bp.size < groups * ldc * steps:
        raise ValueError(f"packed B has {bp.size} entries, expected {groups * ldc * steps}")
    if not 0 <= n_cols <= ldc:
        raise ValueError(f"n_cols={n_cols} must lie in [0, {ldc}]")
    _tile_product(ap.reshape(-1), bp.reshape(-1), c.reshape(-1), groups, m_pad, steps, n_cols,
                  ldc, accumulate)
    return c
