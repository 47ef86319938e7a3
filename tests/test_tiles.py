"""The register tiles of kernels/fast_conv/tiles.py against NumPy's matrix product.

Oracles: ``np.matmul`` in float64 of the unpacked operands; the NumPy fallbacks used with
NUMBA_DISABLE_JIT=1 must give what the compiled LLVM tiles give. (The convolutions built
on the tiles are checked in test_conv_kernels.py.)
"""
from __future__ import annotations

import numpy as np
import pytest

from teachnn.kernels.fast_conv import tiles as T


def _tol(dtype):
    # float32: sums of up to ~300 products of N(0, 1) numbers, rounding ~1e-6 relative
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("G, M, K, L", [
    (1, 8, 1, 1),          # one step, one column
    (1, 13, 27, 100),      # rows padded to 16, a part panel
    (2, 20, 300, 130),     # groups, the sum over k in two KC pieces (KC = 192)
    (3, 64, 192, 48),      # exactly one piece, one panel
])
def test_tile_product_matches_matmul(dtype, G, M, K, L):
    rng = np.random.default_rng(G * 1000 + M + K + L)
    a = rng.standard_normal((G, M, K)).astype(dtype)
    b = rng.standard_normal((G, K, L)).astype(dtype)
    m_pad = T.padded_rows(M)
    bp = T.pack_panels(b)
    ldc = bp.shape[1] * T.tile_cols(dtype)
    c = np.full((G * m_pad, ldc), 7.0, dtype)
    T.tile_product(T.pack_rows(a, m_pad), bp, c, G, m_pad, K, L)
    expected = a.astype(np.float64) @ b.astype(np.float64)                # (G, M, L)
    got = c.reshape(G, m_pad, ldc)
    np.testing.assert_allclose(got[:, :M, :L], expected, **_tol(dtype))
    np.testing.assert_array_equal(got[:, M:, :], 0)        # the zero rows of packed A
    # accumulate=True adds the same product again
    T.tile_product(T.pack_rows(a, m_pad), bp, c, G, m_pad, K, L, accumulate=True)
    np.testing.assert_allclose(c.reshape(G, m_pad, ldc)[:, :M, :L], 2 * expected,
                               **_tol(dtype))


def test_tile_product_leaves_panels_past_n_cols_alone():
    rng = np.random.default_rng(1)
    nr = T.tile_cols(np.float32)           # (48 with AVX-512: the numbers in the comments)
    a = rng.standard_normal((1, 8, 5)).astype(np.float32)
    b = rng.standard_normal((1, 5, 3 * nr + 6)).astype(np.float32)         # 4 panels of 48
    c = np.full((8, 4 * nr), -3.0, np.float32)
    n_cols = nr + min(12, nr - 1)                                           # 60: 2 panels
    T.tile_product(T.pack_rows(a, 8), T.pack_panels(b), c, 1, 8, 5, n_cols)
    np.testing.assert_allclose(c[:, :2 * nr], (a[0] @ b[0])[:, :2 * nr], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(c[:, 2 * nr:], -3.0)


def test_packing_layouts():
    a = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4)            # (G, M, K)
    ap = T.pack_rows(a, 8)                                                  # (G, 1, K, MR)
    assert ap.shape == (2, 8 // T.MR, 4, T.MR)                              # MR = 8: (2, 1, 4, 8)
    np.testing.assert_array_equal(ap[1, 0, 2, :3], a[1, :, 2])             # ap[g,i,k,m] = A[g,m,k]
    np.testing.assert_array_equal(ap[:, :, :, 3:], 0)
    # a turned weight (a view w^T with w's rows along memory) packs to the same layout,
    # with and without padding rows
    rng = np.random.default_rng(2)
    for M, m_pad in ((16, 16), (13, 16), (3, 8)):
        w = rng.standard_normal((2, 5, M))                                # (G, K, M)
        ap = T.pack_rows(w.transpose(0, 2, 1), m_pad)                     # A = w^T
        expected = np.zeros((2, m_pad // T.MR, 5, T.MR))
        for g, m, k in np.ndindex(2, M, 5):
            expected[g, m // T.MR, k, m % T.MR] = w[g, k, m]
        np.testing.assert_array_equal(ap, expected)
        assert ap.flags.c_contiguous
    nr = T.tile_cols(np.float64)                                            # 24 with AVX-512
    r = min(6, nr - 1)
    b = np.arange(1 * 2 * (nr + r), dtype=np.float64).reshape(1, 2, nr + r)  # (G, K, L): L = 30
    bp = T.pack_panels(b)
    assert bp.shape == (1, 2, 2, nr)
    np.testing.assert_array_equal(bp[0, 1, 1, :r], b[0, 1, nr:])    # bp[g,p,k,l] = B[g,k,p*NR+l]
    np.testing.assert_array_equal(bp[0, 1, :, r:], 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_fallbacks_match_the_compiled_tiles(dtype):
    """NUMBA_DISABLE_JIT=1 swaps in _tile_python and _row_move_python: a learner debugging
    in plain Python must see the same numbers."""
    rng = np.random.default_rng(2)
    nr = T.tile_cols(dtype)
    steps, ldb, ldc = 11, nr + 5, nr + 3
    ap = rng.standard_normal(steps * T.MR + 4).astype(dtype)
    bp = rng.standard_normal(steps * ldb + 9).astype(dtype)
    for accumulate in (False, True):
        c1 = rng.standard_normal(T.MR * ldc + 2).astype(dtype)
        c2 = c1.copy()
        T._tile_via_jit(ap, 3, bp, 7, ldb, steps, c1, 2, ldc, accumulate)
        T._tile_python(ap, 3, bp, 7, ldb, steps, c2, 2, ldc, accumulate)
        np.testing.assert_allclose(c1, c2, **_tol(dtype))
    for add in (False, True):
        d1 = rng.standard_normal(3 * nr).astype(dtype)
        d2 = d1.copy()
        src = rng.standard_normal(2 * nr).astype(dtype)
        T._row_move_via_jit(d1, 5, src, 4, add)
        T._row_move_python(d2, 5, src, 4, add)
        np.testing.assert_array_equal(d1, d2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transpose8_turns_rows_round_like_numpy(dtype):
    """8 rows at any offsets -> position after position, in registers; and its NumPy twin
    (NUMBA_DISABLE_JIT=1) gives the same."""
    rng = np.random.default_rng(3)
    lanes = T.VECTOR_BYTES // np.dtype(dtype).itemsize
    src = rng.standard_normal(400).astype(dtype)
    offs = np.array([9, 3, 50, 51, 52, 100, 170, 171, 300, 7], np.int64)   # rows = offs[1:9]
    ldd = T.MR + 5
    got = np.full(20 + lanes * ldd, -1.0, dtype)
    twin = got.copy()
    T._transpose8_via_jit(src, 11, offs, 1, got, 20, ldd)
    T._transpose8_python(src, 11, offs, 1, twin, 20, ldd)
    expected = np.full_like(got, -1.0)
    for i in range(T.MR):
        for q in range(lanes):
            expected[20 + q * ldd + i] = src[11 + offs[1 + i] + q]
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(twin, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 17, "nr"])
def test_row_out_writes_n_numbers_plus_bias_and_nothing_else(dtype, n):
    """_row_out: dst[d_off + l] = src[s_off + l] + b for l < n (masked vector stores: the
    numbers around, before d_off and from d_off + n on, keep their values); n up to a
    whole tile row (NR). Against an explicit loop, and its NumPy twin."""
    nr = T.tile_cols(dtype)
    n = nr if n == "nr" else min(n, nr)          # n <= NR (17 < NR with AVX-512)
    rng = np.random.default_rng(6)
    src = rng.standard_normal(120).astype(dtype)
    b = dtype(0.75)
    got = np.full(130, -1.0, dtype)
    twin = got.copy()
    T._row_out_via_jit(got, 11, src, 30, n, b)
    T._row_out_python(twin, 11, src, 30, n, b)
    expected = np.full_like(got, -1.0)
    for l in range(n):
        expected[11 + l] = src[30 + l] + b
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(twin, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 17, "nr"])
def test_row_add_adds_n_numbers_and_leaves_the_rest(dtype, n):
    """_row_add: dst[d_off + l] += src[s_off + l] for l < n (masked loads and stores; the
    numbers around keep their values, inf and NaN included); n up to a whole tile row.
    Against an explicit loop, and its NumPy twin."""
    nr = T.tile_cols(dtype)
    n = nr if n == "nr" else min(n, nr)          # n <= NR (17 < NR with AVX-512)
    rng = np.random.default_rng(7)
    src = rng.standard_normal(120).astype(dtype)
    src[31] = -0.0
    got = rng.standard_normal(130).astype(dtype)
    got[12] = -0.0
    got[11 + n] = np.inf                 # just past the run: must stay as it is
    got[10] = np.nan                     # just before it
    twin = got.copy()
    expected = got.copy()
    for l in range(n):
        expected[11 + l] = expected[11 + l] + src[30 + l]
    T._row_add_via_jit(got, 11, src, 30, n)
    T._row_add_python(twin, 11, src, 30, n)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(twin, expected)
    # the sign of a zero sum too (-0.0 + -0.0 is -0.0)
    assert np.signbit(got[12]) == np.signbit(expected[12])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_deinterleave_and_interleave_split_and_merge_pairs(dtype):
    """_deinterleave: evens and odds of 2*LANES numbers, each to its own offset;
    _interleave: the reverse. Written out with explicit loops; everything else in dst is
    left as it was; the NumPy twins (NUMBA_DISABLE_JIT=1) give the same."""
    rng = np.random.default_rng(5)
    lanes = T.VECTOR_BYTES // np.dtype(dtype).itemsize
    src = rng.standard_normal(200).astype(dtype)
    got = np.full(120, -1.0, dtype)
    twin = got.copy()
    T._deinterleave_via_jit(src, 7, got, 3, 60)
    T._deinterleave_python(src, 7, twin, 3, 60)
    expected = np.full_like(got, -1.0)
    for i in range(lanes):
        expected[3 + i] = src[7 + 2 * i]
        expected[60 + i] = src[7 + 2 * i + 1]
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(twin, expected)
    got = np.full(120, -1.0, dtype)
    twin = got.copy()
    T._interleave_via_jit(src, 5, 150, got, 9)
    T._interleave_python(src, 5, 150, twin, 9)
    expected = np.full_like(got, -1.0)
    for i in range(lanes):
        expected[9 + 2 * i] = src[5 + i]
        expected[9 + 2 * i + 1] = src[150 + i]
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(twin, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("accumulate", [False, True])
def test_tile_rows_reads_b_where_it_lies(dtype, accumulate):
    """_tile_rows: B's row k starts at src[base + offs[o_idx + k]] (rows anywhere, in any
    order, overlapping) instead of a packed panel. Oracle: np.matmul on the rows gathered
    by fancy indexing; and its NumPy twin (NUMBA_DISABLE_JIT=1) gives the same."""
    rng = np.random.default_rng(4)
    nr = T.tile_cols(dtype)
    steps = 37
    src = rng.standard_normal(900).astype(dtype)
    offs = rng.integers(0, 900 - nr - 20, size=steps + 3).astype(np.int64)
    offs[5] = offs[4] + 1                            # neighbouring taps overlap
    ap = rng.standard_normal(T.MR * steps + 6).astype(dtype)
    ldc = 2 * nr + 3
    c0 = rng.standard_normal(4 + (T.MR - 1) * ldc + nr).astype(dtype)
    got, twin = c0.copy(), c0.copy()
    T._tile_rows_via_jit(ap, 6, src, 20, offs, 2, steps, got, 4, ldc, accumulate)
    T._tile_rows_python(ap, 6, src, 20, offs, 2, steps, twin, 4, ldc, accumulate)
    a = ap[6:].reshape(steps, T.MR).T                               # (MR, steps)
    b = src[20 + offs[2:2 + steps, None] + np.arange(nr)]            # (steps, nr)
    expected = c0.copy()
    rows = np.lib.stride_tricks.as_strided(expected[4:], (T.MR, nr),
                                           (ldc * expected.itemsize, expected.itemsize))
    product = a.astype(np.float64) @ b.astype(np.float64)
    rows[...] = (rows + product) if accumulate else product
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, expected, **tol)
    np.testing.assert_allclose(twin, got, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tile_add_rows_adds_each_row_where_it_belongs(dtype):
    """_tile_add_rows: row m of the tile is added into c from c_base + c_offs[o_idx + m] on,
    rows one after the other, also where they overlap (neighbouring taps). Oracle: np.matmul
    and the adds written as a loop; and its NumPy twin (NUMBA_DISABLE_JIT=1)."""
    rng = np.random.default_rng(6)
    nr = T.tile_cols(dtype)
    steps, ldb = 21, nr + 9
    ap = rng.standard_normal(T.MR * steps + 5).astype(dtype)
    bp = rng.standard_normal(3 + steps * ldb).astype(dtype)
    c_offs = np.array([40, 0, 1, 2, 60, 61, 200, 330, 331, 500], np.int64)  # rows = [1:9]
    c0 = rng.standard_normal(700).astype(dtype)
    got, twin = c0.copy(), c0.copy()
    T._tile_add_rows_via_jit(ap, 5, bp, 3, ldb, steps, got, 17, c_offs, 1)
    T._tile_add_rows_python(ap, 5, bp, 3, ldb, steps, twin, 17, c_offs, 1)
    a = ap[5:].reshape(steps, T.MR).T.astype(np.float64)
    b = np.stack([bp[3 + k * ldb:3 + k * ldb + nr] for k in range(steps)]).astype(np.float64)
    expected = c0.astype(np.float64)
    for m, row in enumerate(a @ b):
        at = 17 + c_offs[1 + m]
        expected[at:at + nr] += row
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, expected, **tol)
    np.testing.assert_allclose(twin, expected, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tile_acols_reads_a_where_it_lies(dtype):
    """_tile_acols: MR_W rows of A read as numbers from src[a_base + a_offs[a_idx + m] + k]
    (rows anywhere, overlapping) times a packed B of NV_W vectors, added into C. Oracle:
    np.matmul on the rows gathered by fancy indexing; and its NumPy twin."""
    rng = np.random.default_rng(8)
    nrw = T.NV_W * T.VECTOR_BYTES // np.dtype(dtype).itemsize
    steps = 43
    src = rng.standard_normal(1500).astype(dtype)
    a_offs = rng.integers(0, 1400, size=T.MR_W + 4).astype(np.int64)
    a_offs[3] = a_offs[2] + 1                                  # neighbouring taps overlap
    bp = rng.standard_normal(9 + steps * nrw).astype(dtype)
    ldc = nrw + 5
    c0 = rng.standard_normal(6 + T.MR_W * ldc).astype(dtype)
    got, twin = c0.copy(), c0.copy()
    T._tile_acols_via_jit(src, 30, a_offs, 2, bp, 9, steps, got, 6, ldc)
    T._tile_acols_python(src, 30, a_offs, 2, bp, 9, steps, twin, 6, ldc)
    a = src[30 + a_offs[2:2 + T.MR_W, None] + np.arange(steps)].astype(np.float64)
    b = bp[9:9 + steps * nrw].reshape(steps, nrw).astype(np.float64)
    expected = c0.astype(np.float64)
    for m, row in enumerate(a @ b):
        expected[6 + m * ldc:6 + m * ldc + nrw] += row
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, expected, **tol)
    np.testing.assert_allclose(twin, expected, **tol)


def test_tile_product_refuses_bad_operands_before_the_jitted_call():
    nr = T.tile_cols(np.float32)           # (48 with AVX-512: the numbers in the comments)
    a = np.zeros((1, 8, 4), np.float32)
    ap, bp = T.pack_rows(a, 8), T.pack_panels(np.zeros((1, 4, nr), np.float32))
    c = np.zeros((8, nr), np.float32)
    with pytest.raises(TypeError, match="C-contiguous float32"):
        T.tile_product(ap, bp.astype(np.float64), c, 1, 8, 4, nr)
    bad = nr * 5 // 6                                                       # 40: not whole panels
    with pytest.raises(ValueError, match="C has shape"):
        T.tile_product(ap, bp, np.zeros((8, bad), np.float32), 1, 8, 4, bad)
    with pytest.raises(ValueError, match="packed B"):
        T.tile_product(ap, bp[:, :, :2], c, 1, 8, 4, nr)
    with pytest.raises(ValueError, match="n_cols"):
        T.tile_product(ap, bp, c, 1, 8, 4, nr + 1)
    with pytest.raises(ValueError, match="must be a multiple"):
        T.pack_rows(a, T.MR + T.MR // 2)                                    # 12
