# Loop order and why
# ------------------
# Convolution here is "im2col + GEMM":
#
#   1. im2col (Numba): copy every receptive field of the input into the columns of a matrix
#          x (N, C, D, H, W) -> col (C*kd*kh*kw, N*oD*oH*oW)
#      Rows are (channel, kernel tap), columns are (sample, output position). The outer loop
#      is over (sample, channel) pairs: each pair reads one input channel and writes its own
#      block of col, so for large arrays the pairs are split among threads (the kernels
#      release the GIL) and threads never touch the same memory. Inside,
#      the loops run kernel tap (a, b, e) -> output row (i, j) -> output column k. The
#      innermost loop walks the output's last axis, so ``col`` is written contiguously and
#      (for stride 1) the input row is read contiguously too. The cells that fall in the
#      zero padding are found once per row (k_lo, k_hi), so the hot loop has no branch, and
#      it runs over slice views with a plain index (dst[k] = src[k]): LLVM vectorises that,
#      while flat indexing with computed offsets (col[base + k]) stayed scalar, ~15x slower.
#   2. The channel contraction is ONE matrix product per group, done by BLAS (``np.matmul``):
#          weight (G, O/G, C/G*K) @ col (G, C/G*K, N*L) -> out (G, O/G, N*L)
#      Putting the whole batch into the columns makes the product large and efficient (a
#      per-sample product is small and slow); a cheap transpose then gives (N, O, L).
#      Hand-written loops cannot compete with a tuned GEMM, and a learner can see that the
#      whole convolution *is* one matrix product once the windows are laid out as columns.
#      (``_matmul`` computes it; for large products it hands blocks of output rows to our
#      threads, each running a one-thread BLAS GEMM - see the comment above it.)
#   3. col2im (Numba) is the adjoint of im2col: every column entry is *added* back to the
#      input cell it was copied from. Same loop order, same split over (sample, channel)
#      pairs (each writes only its own input channel, so no races).
#   Depthwise convolution (one input channel per group) skips im2col: direct loops.
#
# The six directions use only these two loops:
#   conv forward            = GEMM(weight, im2col(x))
#   conv grad wrt input     = col2im(GEMM(weight^T, grad_out))       <- this IS conv_transpose
#   conv grad wrt weight    = GEMM(grad_out, im2col(x)^T)
#   conv_transpose forward  = col2im(GEMM(weight^T, x))
#   conv_transpose grad x   = GEMM(weight, im2col(grad_out))         <- this IS conv
#   conv_transpose grad w   = GEMM(x, im2col(grad_out)^T)
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

import numpy as np
from concurrent.futures import ThreadPoolExecutor

import numba
from numba import njit

from ._windows import _valid_columns
from .depthwise import _dw_forward_range, _dw_grad_input_range, _dw_grad_weight_range

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
# Each loop works on a range [start, stop) of independent items (sample-channel pairs, or
# output channels) and releases the GIL (nogil=True). ``_run_split`` below hands the
# range to a few Python threads for large arrays, so the loops run on all cores without
# Numba's parallel=True, which compiles several times slower (a cost every learner pays
# in the first cell) and wakes a thread pool even for tiny inputs.
@njit(cache=True, nogil=True)
def _im2col_range(x, col, geom, start, stop):
    """Gather windows: x (N, C, D, H, W) -> col (C, kd, kh, kw, N, oD, oH, oW), for the
    (sample, channel) pairs nc = n*C + c in [start, stop):

    col[c, a, b, e, n, i, j, k] = x[n, c, i*sd + a*dd - pd, j*sh + b*dh - ph, k*sw + e*dw - pw]

    (zero where the index falls in the padding). Both arrays are walked through flat 1-d
    views with explicit offsets, which keeps the innermost loop a plain (vectorisable) copy.
    """
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, C, D, H, W = x.shape
    oD, oH, oW = col.shape[5], col.shape[6], col.shape[7]
    L = oD * oH * oW
    xf = x.reshape(-1)                                   # (N*C*D*H*W,)
    cf = col.reshape(-1)                                 # (C*K*N*L,)
    for nc in range(start, stop):
        n = nc // C
        c = nc - n * C
        x_base = nc * D * H * W                          # start of x[n, c]
        for a in range(kd):
            for b in range(kh):
                for e in range(kw):
                    row = ((c * kd + a) * kh + b) * kw + e
                    col_base = (row * N + n) * L         # start of col[c, a, b, e, n]
                    off_w = e * dw - pw
                    k_lo, k_hi = _valid_columns(off_w, sw, W, oW)
                    for i in range(oD):
                        zi = i * sd + a * dd - pd
                        for j in range(oH):
                            yi = j * sh + b * dh - ph
                            dst = col_base + (i * oH + j) * oW       # one output row (oW,)
                            if zi < 0 or zi >= D or yi < 0 or yi >= H:
                                cf[dst:dst + oW] = 0
                                continue
                            if k_lo > 0:
                                cf[dst:dst + k_lo] = 0               # left zero padding
                            if k_hi < oW:
                                cf[dst + k_hi:dst + oW] = 0          # right zero padding
                            # slices (views) with a plain index k let LLVM vectorise; with
                            # computed offsets like cf[dst + k] it falls back to scalars
                            src = x_base + (zi * H + yi) * W + off_w
                            dst_v = cf[dst + k_lo:dst + k_hi]
                            if sw == 1:
                                src_v = xf[src + k_lo:src + k_hi]
                                for k in range(k_hi - k_lo):
                                    dst_v[k] = src_v[k]
                            else:
                                src_s = xf[src + k_lo * sw:src + k_hi * sw]
                                for k in range(k_hi - k_lo):
                                    dst_v[k] = src_s[k * sw]


@njit(cache=True, nogil=True)
def _col2im_range(col, x, geom, start, stop):
    """Scatter-add windows back (the adjoint of im2col) for the pairs nc in [start, stop):
    col (C, kd, kh, kw, N, oD, oH, oW) -> x (N, C, D, H, W),
    x[n, c, zi, yi, xi] = sum of the col entries that were copied from it.
    x[n, c] is zeroed first, so the caller may pass np.empty.
    """
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, C, D, H, W = x.shape
    oD, oH, oW = col.shape[5], col.shape[6], col.shape[7]
    L = oD * oH * oW
    xf = x.reshape(-1)
    cf = col.reshape(-1)
    size = D * H * W
    for nc in range(start, stop):
        n = nc // C
        c = nc - n * C
        x_base = nc * size
        xf[x_base:x_base + size] = 0
        for a in range(kd):
            for b in range(kh):
                for e in range(kw):
                    row = ((c * kd + a) * kh + b) * kw + e
                    col_base = (row * N + n) * L
                    off_w = e * dw - pw
                    k_lo, k_hi = _valid_columns(off_w, sw, W, oW)
                    for i in range(oD):
                        zi = i * sd + a * dd - pd
                        if zi < 0 or zi >= D:
                            continue
                        for j in range(oH):
                            yi = j * sh + b * dh - ph
                            if yi < 0 or yi >= H:
                                continue
                            src = col_base + (i * oH + j) * oW
                            dst = x_base + (zi * H + yi) * W + off_w
                            src_v = cf[src + k_lo:src + k_hi]
                            if sw == 1:
                                dst_v = xf[dst + k_lo:dst + k_hi]
                                for k in range(k_hi - k_lo):
                                    dst_v[k] += src_v[k]
                            else:
                                dst_s = xf[dst + k_lo * sw:dst + k_hi * sw]
                                for k in range(k_hi - k_lo):
                                    dst_s[k * sw] += src_v[k]


def _is_depthwise(x, w, groups):
    """C/G == 1 with several groups: the direct loops beat im2col + tiny GEMMs."""
    return groups > 1 and w.shape[1] == 1 and x.shape[1] == groups


# --------------------------------------------------------------------------------------
# Running a range kernel on several threads
# --------------------------------------------------------------------------------------
# Below this much work (array elements touched) one thread is faster than handing out
# pieces: learners' examples are small.
PARALLEL_MIN_ELEMENTS = 1 << 18
_POOL = None


def _threads():
    return max(1, numba.get_num_threads())


def _run_split(kernel, args, n_items, work):
    """Call ``kernel(*args, start, stop)`` over [0, n_items), split into one contiguous
    piece per thread when ``work`` is large. The kernels release the GIL, so the pieces
    run at the same time; each piece writes disjoint memory."""
    global _POOL
    threads = min(_threads(), n_items)
    if threads <= 1 or work < PARALLEL_MIN_ELEMENTS:
        kernel(*args, 0, n_items)
        return
    if _POOL is None or _POOL._max_workers < threads - 1:
        _POOL = ThreadPoolExecutor(max_workers=max(threads - 1, 1),
                                   thread_name_prefix="teachnn-conv")
    bounds = [n_items * t // threads for t in range(threads + 1)]
    futures = [_POOL.submit(kernel, *args, bounds[t], bounds[t + 1])
               for t in range(1, threads)]
    kernel(*args, bounds[0], bounds[1])          # this thread does the first piece
    for f in futures:
        f.result()


# --------------------------------------------------------------------------------------
# The matrix products: BLAS, parallel over our own threads when that pays
# --------------------------------------------------------------------------------------
# NumPy's OpenBLAS starts its own worker threads for a large matrix product, and they
# spin-wait between calls. On the shared 2-core machine this was measured on, that was
# slow whenever the product had few rows per group (grouped convolutions: 3.5x slower) or
# the machine was busy. So OpenBLAS is switched to one thread during our products, and
# when a product splits into enough pieces (groups x blocks of output rows) each of our
# threads runs its own one-thread GEMM on some pieces. Only NumPy's bundled OpenBLAS is
# recognised; with another BLAS it is always a plain np.matmul call.
def _find_openblas_threads():
    """(get, set) ctypes functions of NumPy's OpenBLAS thread count, or None."""
    import ctypes
    try:
        with open("/proc/self/maps") as maps:
            # the shared libraries loaded in this process (Linux); NumPy's is among them
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get, set_ in (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                          ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                          ("openblas_get_num_threads", "openblas_set_num_threads")):
            if hasattr(lib, get) and hasattr(lib, set_):
                getf, setf = getattr(lib, get), getattr(lib, set_)
                getf.restype, getf.argtypes = ctypes.c_int, []
                setf.restype, setf.argtypes = None, [ctypes.c_int]
                return getf, setf
    return None


_BLAS_THREADS = "unknown"      # (get, set) once looked up, None when not found
MIN_ROWS_PER_PIECE = 32        # fewer rows than this per thread: not worth splitting rows
MIN_COLS_PER_PIECE = 1024      # the same for column blocks (used when there are too few rows)


def _matmul(a, b):
    """Batched matrix product (G, M, K) @ (G, K, N) -> (G, M, N), the same as ``np.matmul``,
    always with OpenBLAS held to one thread.

    Large products are cut into pieces (group g, output rows r0:r1); every thread computes
    ``a[g, r0:r1] @ b[g]`` for its pieces (NumPy releases the GIL in BLAS). Row blocks of
    the output are contiguous, so no piece copies anything. A product with too few rows
    to share (e.g. 16 output channels) is cut into column blocks instead,
    ``a[g] @ b[g, :, c0:c1]`` (measured: (16, 216) @ (216, 50400) 11.4 -> 4.8 ms on 2
    threads; BLAS reads a column block in place, row stride = full width). A product with too few pieces
    runs as one one-thread GEMM: measured here, that beat OpenBLAS's own threads too
    (Conv3d fwd+bwd 87 -> 49 ms, small Conv2d 33 -> 7 ms).
    """
    global _BLAS_THREADS
    G, M, Kd = a.shape
    N = b.shape[2]
    threads = _threads()
    blocks = threads if M >= MIN_ROWS_PER_PIECE * threads else 1     # row blocks per group
    cblocks = 1                                                      # column blocks per group
    if blocks == 1 and G < threads and N >= MIN_COLS_PER_PIECE * threads:
        cblocks = threads
    split = (threads > 1 and G * blocks * cblocks >= threads
             and G * M * N * Kd >= PARALLEL_MIN_ELEMENTS * 16)
    if _BLAS_THREADS == "unknown":
        _BLAS_THREADS = _find_openblas_threads()
    if _BLAS_THREADS is None:
        return np.matmul(a, b)
    get, set_ = _BLAS_THREADS
    before = get()
    set_(1)
    try:
        if not split:
            return np.matmul(a, b)
        out = np.empty((G, M, N), dtype=np.result_type(a, b))
        # (group, rows r0:r1, columns c0:c1); only one of rows/columns is actually cut
        pieces = [(g, M * t // blocks, M * (t + 1) // blocks,
                   N * u // cblocks, N * (u + 1) // cblocks)
                  for g in range(G) for t in range(blocks) for u in range(cblocks)]

        def run(first, last):
            for g, r0, r1, c0, c1 in pieces[first:last]:
                np.matmul(a[g, r0:r1], b[g, :, c0:c1], out=out[g, r0:r1, c0:c1])

        _run_split_py(run, len(pieces), threads)
        return out
    finally:
        set_(before)


def _run_split_py(fn, n_items, threads):
    """Call ``fn(start, stop)`` on ``threads`` contiguous pieces of [0, n_items) at once."""
    global _POOL
    if _POOL is None or _POOL._max_workers < threads - 1:
        _POOL = ThreadPoolExecutor(max_workers=max(threads - 1, 1),
                                   thread_name_prefix="teachnn-conv")
    bounds = [n_items * t // threads for t in range(threads + 1)]
    futures = [_POOL.submit(fn, bounds[t], bounds[t + 1]) for t in range(1, threads)]
    fn(bounds[0], bounds[1])
    for f in futures:
        f.result()


def _geom(kernel, stride, pad_left, dilation):
    return tuple(int(v) for v in (*kernel, *stride, *pad_left, *dilation))


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
# im2col / col2im: validated entry points
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
    the end of the input read as zero).
    """
    _check_array("x", x, 5)
    _check_geometry(kernel, stride, pad_left, dilation)
    out_spatial = _check_out_spatial(out_spatial)
    N, C = x.shape[:2]
    kd, kh, kw = kernel
    col = np.empty((C, kd, kh, kw, N) + out_spatial, dtype=x.dtype)
    if col.size:
        _run_split(_im2col_range, (x, col, _geom(kernel, stride, pad_left, dilation)),
                   N * C, col.size)
    # (C, kd, kh, kw, N, oD, oH, oW) -> (C*K, N*L)
    return col.reshape(C * kd * kh * kw, -1)


def col2im(col, x_shape, kernel, stride, pad_left, dilation, out_spatial, out=None):
    """col (C*kd*kh*kw, N*oD*oH*oW) -> x (N, C, D, H, W): adds each column entry back into
    the input cell it came from (the adjoint of :func:`im2col`). ``out``: an optional
    C-contiguous array of shape x_shape to write into (it is overwritten)."""
    _check_array("col", col, 2)
    _check_geometry(kernel, stride, pad_left, dilation)
    N, C, D, H, W = (int(s) for s in x_shape)
    kd, kh, kw = kernel
    out_spatial = _check_out_spatial(out_spatial)
    expected = (C * kd * kh * kw, N * int(np.prod(out_spatial)))
    if col.shape != expected:
        raise ValueError(f"col has shape {col.shape}, expected {expected}")
    if out is None:
        x = np.empty((N, C, D, H, W), dtype=col.dtype)
    else:
        _check_array("out", out, 5, col.dtype)
        if out.shape != (N, C, D, H, W):
            raise ValueError(f"out has shape {out.shape}, expected {(N, C, D, H, W)}")
        x = out
    if x.size:
        if col.size:
            col8 = col.reshape((C, kd, kh, kw, N) + out_spatial)
            _run_split(_col2im_range, (col8, x, _geom(kernel, stride, pad_left, dilation)),
                       N * C, col.size)
        else:
            x[...] = 0
    return x


def _batch_to_columns(a, G):
    """(N, C, *spatial) -> (G, C/G, N*L): channels as rows, (sample, position) as columns."""
    N, C = a.shape[:2]
    L = int(np.prod(a.shape[2:]))
    # (N, C, L) -> (C, N, L) -> (G, C/G, N*L)
    return np.ascontiguousarray(a.reshape(N, C, L).transpose(1, 0, 2)).reshape(G, C // G, N * L)


def _columns_into_batch(m, out):
    """Copy m (G, C/G, N*L) into out (N, C, *spatial): the inverse of _batch_to_columns."""
    N, C = out.shape[:2]
    L = int(np.prod(out.shape[2:]))
    # (G, C/G, N*L) -> (C, N, L) -> (N, C, L)
    out.reshape(N, C, L)[...] = m.reshape(C, N, L).transpose(1, 0, 2)


# Very large batches are processed a few samples at a time, so that ``col`` (C*K times the
# size of the output) never takes more than about this many bytes of memory. Measured on
# a shared 2-core machine, smaller, cache-sized pieces were slower (more thread hand-offs
# and smaller GEMMs), so the pieces are only a memory cap. Each piece is one large GEMM.
CHUNK_BYTES = 256 << 20


def _sample_chunks(N, col_bytes_per_sample):
    """[(start, stop), ...] covering range(N), each with at most ~CHUNK_BYTES of col
    (but at least one sample)."""
    per = max(1, CHUNK_BYTES // max(1, col_bytes_per_sample))
    return [(a, min(N, a + per)) for a in range(0, N, per)]


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


def conv_forward(x, w, bias, stride, pad_lr, dilation, groups, keep_col=False):
    """Cross-correlation, PyTorch's conv3d (1-d/2-d as views).

    x (N, C, D, H, W), w (O, C/G, kd, kh, kw), bias (O,) or None
    -> out (N, O, oD, oH, oW); also returns col (C*K, N*L) when ``keep_col`` (else None),
    so the backward pass can reuse it for the weight gradient.
    ``pad_lr`` is ((left, right),) * 3.

        out[n, o, i, j, k] = bias[o] + sum_{c, a, b, e} w[o, c, a, b, e]
                             * x[n, g*C/G + c, i*sd + a*dd - pd, j*sh + b*dh - ph, k*sw + e*dw - pw]
    """
    _check_conv_operands(x, w, bias, groups)
    O, Cg, kd, kh, kw = w.shape
    N, C = x.shape[:2]
    kernel = (kd, kh, kw)
    pad_left = tuple(p[0] for p in pad_lr)
    _check_geometry(kernel, stride, pad_left, dilation)
    out_spatial = _out_sizes(x.shape[2:], kernel, stride, pad_lr, dilation)
    if min(out_spatial) < 1:
        raise ValueError(f"kernel does not fit in the padded input: output {out_spatial}")
    G, K = groups, kd * kh * kw
    if _is_depthwise(x, w, groups):
        out = np.empty((N, O) + out_spatial, dtype=x.dtype)
        _run_split(_dw_forward_range, (x, w, out, _geom(kernel, stride, pad_left, dilation)),
                   N * G, out.size * K)
        if bias is not None:
            out += bias.reshape(1, O, 1, 1, 1)
        return out, None
    L = int(np.prod(out_spatial))
    w3 = w.reshape(G, O // G, Cg * K)          # (O, C/G, kd, kh, kw) -> (G, O/G, C/G*K)
    out = np.empty((N, O) + out_spatial, dtype=x.dtype)
    chunks = _sample_chunks(N, C * K * L * x.itemsize)
    col = None
    for a, b in chunks:
        col = im2col(x[a:b], kernel, stride, pad_left, dilation, out_spatial)  # (C*K, n*L)
        # (G, O/G, C/G*K) @ (G, C/G*K, n*L) -> (G, O/G, n*L) -> out[a:b] (n, O, oD, oH, oW)
        _columns_into_batch(_matmul(w3, col.reshape(G, Cg * K, -1)), out[a:b])
    if bias is not None:
        out += bias.reshape(1, O, 1, 1, 1)
    # one piece: hand its columns to the backward pass (saves recomputing them)
    return out, (col if keep_col and len(chunks) == 1 else None)


def conv_backward(grad_out, x, w, col, stride, pad_lr, dilation, groups,
                  need_x=True, need_w=True, need_b=True):
    """Gradients of conv_forward. grad_out (N, O, oD, oH, oW).

    Returns (grad_x (N, C, D, H, W) or None, grad_w (O, C/G, kd, kh, kw) or None,
    grad_b (O,) or None). ``col`` is the forward's im2col (or None: recomputed from x).
    """
    _check_conv_operands(x, w, None, groups)
    _check_array("grad_out", grad_out, 5, x.dtype)
    O, Cg, kd, kh, kw = w.shape
    N, C = x.shape[:2]
    kernel = (kd, kh, kw)
    pad_left = tuple(p[0] for p in pad_lr)
    _check_geometry(kernel, stride, pad_left, dilation)
    out_spatial = _out_sizes(x.shape[2:], kernel, stride, pad_lr, dilation)
    if grad_out.shape != (N, O) + out_spatial:
        raise ValueError(f"grad_out has shape {grad_out.shape}, expected {(N, O) + out_spatial}")
    G, K = groups, kd * kh * kw
    if _is_depthwise(x, w, groups):
        geom = _geom(kernel, stride, pad_left, dilation)
        work = grad_out.size * K
        gx = gw = None
        if need_x:
            gx = np.empty(x.shape, dtype=x.dtype)
            _run_split(_dw_grad_input_range, (grad_out, w, gx, geom), N * G, work)
        if need_w:
            gw = np.empty(w.shape, dtype=x.dtype)
            _run_split(_dw_grad_weight_range, (grad_out, x, gw, geom), O, work)
        gb = grad_out.sum(axis=(0, 2, 3, 4)) if need_b else None
        return gx, gw, gb
    L = int(np.prod(out_spatial))
    w3 = w.reshape(G, O // G, Cg * K)
    gx = gw = gb = None
    if need_x:
        gx = np.empty(x.shape, dtype=x.dtype)
    if need_w:
        gw3 = np.zeros((G, O // G, Cg * K), dtype=x.dtype)
    if need_x or need_w:
        chunks = _sample_chunks(N, C * K * L * x.itemsize)
        if col is not None and (len(chunks) != 1 or col.shape != (C * K, N * L)
                                or col.dtype != x.dtype):
            raise ValueError("saved col does not match the input")
        for a, b in chunks:
            g = _batch_to_columns(grad_out[a:b], G)         # (n, O, ...) -> (G, O/G, n*L)
            if need_w:
                piece = col if col is not None else im2col(x[a:b], kernel, stride, pad_left,
                                                           dilation, out_spatial)
                # gw_g += g_g (O/G, n*L) @ col_g^T (n*L, C/G*K), computed as
                # (col_g (C/G*K, n*L) @ g_g^T (n*L, O/G))^T: the same numbers, but OpenBLAS
                # runs this orientation 3-15x faster here (measured: the long n*L axis is
                # read along memory in both operands instead of across rows of col)
                gw3 += _matmul(piece.reshape(G, Cg * K, -1),
                                 g.transpose(0, 2, 1)).transpose(0, 2, 1)
            if need_x:
                # dcol_g = w_g^T (C/G*K, O/G) @ g_g (O/G, n*L) -> (G, C/G*K, n*L) -> gx[a:b]
                dcol = _matmul(w3.transpose(0, 2, 1), g)
                col2im(dcol.reshape(C * K, -1), gx[a:b].shape, kernel, stride, pad_left,
                       dilation, out_spatial, out=gx[a:b])
    if need_w:
        gw = gw3.reshape(w.shape)
    if need_b:
        gb = grad_out.reshape(N, O, L).sum(axis=(0, 2))     # sum over samples and positions
    return gx, gw, gb


# --------------------------------------------------------------------------------------
# Transposed convolution: the adjoint of conv (same loops, swapped roles)
# --------------------------------------------------------------------------------------
def _check_transpose_operands(x, w, groups, stride, padding, dilation, out_spatial):
    _check_array("x", x, 5)
    _check_array("weight", w, 5, x.dtype)
    Cin = w.shape[0]
    if groups < 1 or x.shape[1] != Cin or Cin % groups:
        raise ValueError(f"x has {x.shape[1]} channels, weight expects {Cin} (groups={groups})")
    kernel = tuple(w.shape[2:])
    _check_geometry(kernel, stride, padding, dilation)
    out_spatial = _check_out_spatial(out_spatial)
    pad_lr = tuple((p, p) for p in padding)
    # every input cell must land on a window of the matching conv over the output (the conv
    # may have more windows when output_padding >= stride, allowed while < dilation)
    back = _out_sizes(out_spatial, kernel, stride, pad_lr, dilation)
    if any(b < L for b, L in zip(back, x.shape[2:])):
        raise ValueError(f"output size {out_spatial} does not match input {x.shape[2:]}")
    return kernel, out_spatial


def conv_transpose_forward(x, w, bias, stride, padding, dilation, groups, out_spatial):
    """PyTorch's conv_transpose3d. x (N, Cin, D, H, W), w (Cin, Cout/G, kd, kh, kw)
    -> out (N, Cout, *out_spatial).

    This is conv's input gradient with x in the role of grad_out:
    out = col2im(w^T @ x) (plus bias). ``out_spatial`` already includes output_padding
    (those extra cells receive no input, only the bias).
    """
    kernel, out_spatial = _check_transpose_operands(x, w, groups, stride, padding, dilation,
                                                    out_spatial)
    Cin, Coutg = w.shape[:2]
    N, G, K = x.shape[0], groups, int(np.prod(kernel))
    Cout = Coutg * G
    if bias is not None:
        _check_array("bias", bias, 1, x.dtype)
        if bias.shape[0] != Cout:
            raise ValueError(f"bias has {bias.shape[0]} entries, expected {Cout}")
    w3 = w.reshape(G, Cin // G, Coutg * K)                       # (G, Cin/G, Cout/G*K)
    L = int(np.prod(x.shape[2:]))
    out = np.empty((N, Cout) + out_spatial, dtype=x.dtype)
    for a, b in _sample_chunks(N, Cout * K * L * x.itemsize):
        xc = _batch_to_columns(x[a:b], G)                        # (G, Cin/G, n*L)
        dcol = _matmul(w3.transpose(0, 2, 1), xc)              # (G, Cout/G*K, n*L)
        col2im(dcol.reshape(Cout * K, -1), out[a:b].shape, kernel, stride, padding,
               dilation, x.shape[2:], out=out[a:b])
    if bias is not None:
        out += bias.reshape(1, Cout, 1, 1, 1)
    return out


def conv_transpose_backward(grad_out, x, w, stride, padding, dilation, groups,
                            need_x=True, need_w=True, need_b=True):
    """Gradients of conv_transpose_forward; grad_out (N, Cout, *out_spatial).

    grad_x is conv's forward applied to grad_out: w @ im2col(grad_out);
    grad_w = x @ im2col(grad_out)^T (summed over samples by the GEMM).
    """
    _check_array("grad_out", grad_out, 5, x.dtype)
    kernel, out_spatial = _check_transpose_operands(x, w, groups, stride, padding, dilation,
                                                    grad_out.shape[2:])
    Cin, Coutg = w.shape[:2]
    N, G, K = x.shape[0], groups, int(np.prod(kernel))
    Cout = Coutg * G
    if grad_out.shape[:2] != (N, Cout):
        raise ValueError(f"grad_out has shape {grad_out.shape}, expected {(N, Cout)} leading")
    L = int(np.prod(x.shape[2:]))
    w3 = w.reshape(G, Cin // G, Coutg * K)
    gx = gw = gb = None
    if need_x:
        gx = np.empty(x.shape, dtype=x.dtype)
    if need_w:
        gw3 = np.zeros((G, Cin // G, Coutg * K), dtype=x.dtype)
    if need_x or need_w:
        for a, b in _sample_chunks(N, Cout * K * L * x.itemsize):
            col = im2col(grad_out[a:b], kernel, stride, padding, dilation, x.shape[2:])
            col3 = col.reshape(G, Coutg * K, -1)                  # (G, Cout/G*K, n*L)
            if need_x:
                # conv forward of grad_out: (G, Cin/G, Cout/G*K) @ col -> gx[a:b]
                _columns_into_batch(_matmul(w3, col3), gx[a:b])
            if need_w:
                xc = _batch_to_columns(x[a:b], G)                  # (G, Cin/G, n*L)
                # gw_g += xc_g @ col_g^T, as (col_g @ xc_g^T)^T (faster, see conv_backward)
                gw3 += _matmul(col3, xc.transpose(0, 2, 1)).transpose(0, 2, 1)
    if need_w:
        gw = gw3.reshape(w.shape)
    if need_b:
        gb = grad_out.reshape(N, Cout, -1).sum(axis=(0, 2))
    return gx, gw, gb
