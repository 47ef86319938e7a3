"""Numba kernels for batch / layer / group normalisation: the statistics and the
normalisation, forward and backward, each in one or two passes over the data.

One view for all three layers
-----------------------------
Every normalisation layer computes, for each *group* of elements, a mean and a (biased)
variance, then ``x_hat = (x - mean) * inv_std`` with ``inv_std = 1 / sqrt(var + eps)``.
The kernels see the input as a 3-d array ``(A, G, B)`` whose groups are the middle axis:
group ``g`` is the slab ``x[:, g, :]``, i.e. all ``A * B`` elements with that middle index.

    batch_norm  (N, C, *)      -> (N, C, prod(*))      one group per channel
    layer_norm  (*, D1..Dk)    -> (1, prod(*), D1*..*Dk)   one group per sample (row)
    group_norm  (N, C, *)      -> (1, N*G, C/G*prod(*))    one group per sample and block

(all reshapes of a contiguous array, so no copy). The loops visit ``a`` then ``b``
innermost, so they read memory front to back.

    forward:   for g:  mean, var  = two passes over x[:, g, :]     (float64 sums)
                       x_hat[:, g, :] = (x - mean) * inv_std
    backward:  for g:  mean_g  = mean of g_hat[:, g, :],  mean_gx = mean of g_hat * x_hat
                       dx[:, g, :] = inv_std * (g_hat - mean_g - x_hat * mean_gx)

Layer norm has its own pair of row kernels (``layer_norm_rows``): its weight and bias are
per *column* (D,), not per group, so folding them into the loops (and accumulating their
gradients column by column) saves four more full-array passes; its backward recomputes
x_hat from x and the row's (mean, inv_std) instead of storing it, as PyTorch does. Its
row sums run in the data's precision (float32 lanes, as PyTorch's), twice the SIMD lanes
of float64 sums. Batch norm folds the normalisation and its affine map into
``y = x * alpha[g] + beta[g]`` (``scale_shift``, PyTorch's formula) and its backward
recomputes x_hat from x (``normalize_backward_from_x``): one array written, not three.

Threads: the groups (batch norm's channels, group norm's blocks) and layer norm's rows are
independent, so above ``PARALLEL_MIN_ELEMENTS`` each kernel runs on contiguous ranges of
them, one per thread of the pool in ``fast_conv/threads.py`` (nogil kernels); layer norm's
column sums get one buffer per thread, added at the end.

The NumPy versions of the same formulas made eight to eleven full-array passes, each
allocating a temporary; these make two or three. ``fastmath={"reassoc"}`` lets LLVM reorder
the sums so that they run as SIMD adds (in the group kernels with float64 accumulators, so
the order hardly matters). ndarrays in, ndarrays out; the Python
wrappers validate shapes and dtypes and make arrays contiguous before every jitted call
(Numba does no bounds checks). Debug in plain Python with ``NUMBA_DISABLE_JIT=1``.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .._dtype import FLOAT_NUMPY_DTYPES

from .elementwise import _exp
from .fast_conv.threads import PARALLEL_MIN_ELEMENTS, run_parallel, thread_count

__all__ = ["group_stats", "normalize", "normalize_backward", "scale_shift",
           "normalize_backward_from_x", "layer_norm_rows",
           "layer_norm_rows_backward", "softmax_rows", "softmax_rows_backward",
           "log_softmax_rows", "log_softmax_rows_backward"]


# ---------------------------------------------------------------------------------------
# kernels: x3 (A, G, B) contiguous, float32 or float64; per-group vectors (G,) float64
# ---------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, fastmath={"reassoc"})
def _group_stats(x3, mean, var, start, stop):
    """mean[g], var[g] (biased) of the slab x3[:, g, :] for the groups start..stop; two
    passes for accuracy."""
    n_a, n_g, n_b = x3.shape
    count = n_a * n_b
    for g in range(start, stop):
        total = 0.0
        for a in range(n_a):
            for b in range(n_b):
                total += x3[a, g, b]
        m = total / count
        squares = 0.0
        for a in range(n_a):
            for b in range(n_b):
                d = x3[a, g, b] - m
                squares += d * d
        mean[g] = m
        var[g] = squares / count


@njit(cache=True, fastmath={"reassoc"})
def _normalize(x3, mean, inv_std, x_hat3):
    """x_hat3[a, g, b] = (x3[a, g, b] - mean[g]) * inv_std[g]."""
    n_a, n_g, n_b = x3.shape
    for a in range(n_a):
        for g in range(n_g):
            m, s = mean[g], inv_std[g]
            for b in range(n_b):
                x_hat3[a, g, b] = (x3[a, g, b] - m) * s


@njit(cache=True, fastmath={"reassoc"})
def _normalize_backward(g_hat3, x_hat3, scale, grad3, sum_g, sum_gx):
    """Per group: sum_g = sum of g_hat, sum_gx = sum of g_hat * x_hat, and
    grad3 = scale[g] * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat))."""
    n_a, n_g, n_b = g_hat3.shape
    count = n_a * n_b
    for g in range(n_g):
        total_g = 0.0
        total_gx = 0.0
        for a in range(n_a):
            for b in range(n_b):
                total_g += g_hat3[a, g, b]
                total_gx += g_hat3[a, g, b] * x_hat3[a, g, b]
        sum_g[g], sum_gx[g] = total_g, total_gx
        mean_g, mean_gx, s = total_g / count, total_gx / count, scale[g]
        for a in range(n_a):
            for b in range(n_b):
                grad3[a, g, b] = s * (g_hat3[a, g, b] - mean_g - x_hat3[a, g, b] * mean_gx)


@njit(cache=True, nogil=True, fastmath={"contract"})
def _scale_shift(x3, alpha, beta, out3, start, stop):
    """out3[a, g, b] = x3[a, g, b] * alpha[g] + beta[g] for the groups start..stop: batch
    norm's normalisation and affine map folded into one multiply-add per element, as
    PyTorch does (alpha = inv_std * weight, beta = bias - mean * alpha, in x's dtype)."""
    n_a = x3.shape[0]
    for a in range(n_a):
        for g in range(start, stop):
            k, c = alpha[g], beta[g]
            for b in range(x3.shape[2]):
                out3[a, g, b] = x3[a, g, b] * k + c


@njit(cache=True, nogil=True, fastmath={"reassoc"})
def _normalize_backward_from_x(g3, x3, mean, inv_std, scale, grad3, sum_g, sum_gx,
                               start, stop):
    """_normalize_backward for the groups start..stop, with x_hat recomputed from x as
    (x - mean[g]) * inv_std[g] (in x's dtype) instead of read from a stored array: forward
    then writes one array, not two. Sums in float64."""
    n_a, n_g, n_b = g3.shape
    count = n_a * n_b
    for g in range(start, stop):
        m, s = x3.dtype.type(mean[g]), x3.dtype.type(inv_std[g])
        total_g = 0.0
        total_gx = 0.0
        for a in range(n_a):
            for b in range(n_b):
                total_g += g3[a, g, b]
                total_gx += g3[a, g, b] * ((x3[a, g, b] - m) * s)
        sum_g[g], sum_gx[g] = total_g, total_gx
        mean_g = x3.dtype.type(total_g / count)
        mean_gx = x3.dtype.type(total_gx / count)
        k = x3.dtype.type(scale[g])
        for a in range(n_a):
            for b in range(n_b):
                grad3[a, g, b] = k * (g3[a, g, b] - mean_g - ((x3[a, g, b] - m) * s) * mean_gx)


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "contract"})
def _layer_norm_rows(x2, weight, bias, eps, out2, mean, inv_std, start, stop):
    """Rows start..stop of x2 (M, D): mean[r], inv_std[r] = 1 / sqrt(biased var + eps) and
    out = (x - mean) * inv_std * weight[d] + bias[d] (weight, bias: (D,), x2's dtype).

    The sums run in x2's own precision, as PyTorch's do: float32 rows keep 16 (AVX-512) or
    8 (AVX2) float32 lanes of partial sums, twice the lanes of float64 sums, and the second
    pass (squares of x - mean) keeps the variance accurate. x_hat is not stored: backward
    recomputes it from x, one array less to write and read back."""
    n_cols = x2.shape[1]
    zero, count = x2.dtype.type(0.0), x2.dtype.type(n_cols)
    for r in range(start, stop):
        row, out = x2[r], out2[r]
        total = zero
        for d in range(n_cols):
            total += row[d]
        m = total / count
        squares = zero
        for d in range(n_cols):
            diff = row[d] - m
            squares += diff * diff
        s = x2.dtype.type(1.0 / np.sqrt(squares / count + eps))
        mean[r], inv_std[r] = m, s
        for d in range(n_cols):
            out[d] = (row[d] - m) * s * weight[d] + bias[d]


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc"})
def _layer_norm_rows_backward(g2, x2, weight, mean, inv_std, grad2, grad_w, grad_b,
                              start, stop):
    """Rows start..stop, with x_hat = (x - mean[r]) * inv_std[r] and g_hat = g * weight[d]:
        grad = inv_std[r] * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat))
    and, summed over these rows, grad_w[d] += g * x_hat, grad_b[d] += g (float64 columns,
    one pair per thread, so that no two threads add into the same sums). No "contract":
    a fused multiply-add would round g * weight differently in the two loops, and a row
    of one element (x_hat = 0) would no longer get exactly 0."""
    n_cols = g2.shape[1]
    zero, count = g2.dtype.type(0.0), g2.dtype.type(n_cols)
    for r in range(start, stop):
        g, x, grad = g2[r], x2[r], grad2[r]
        m, s = g2.dtype.type(mean[r]), g2.dtype.type(inv_std[r])
        sum_g = zero
        sum_gx = zero
        for d in range(n_cols):
            g_hat = g[d] * weight[d]
            sum_g += g_hat
            sum_gx += g_hat * ((x[d] - m) * s)
        mean_g, mean_gx = sum_g / count, sum_gx / count
        for d in range(n_cols):
            xh = (x[d] - m) * s
            grad[d] = s * (g[d] * weight[d] - mean_g - xh * mean_gx)
            grad_w[d] += g[d] * xh
            grad_b[d] += g[d]


# ---------------------------------------------------------------------------------------
# softmax and log_softmax along the rows of x2 (M, D): the row's max (NumPy), then one
# pass for exp and its sum and one to write; backward a sum and a write per row. float32
# rows use the vectorised exp of elementwise.py and sum in float32 (in SIMD lanes, as
# PyTorch does); float64 rows in float64.
# ---------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "contract", "nsz"})
def _softmax_rows(x2, row_max, out2):
    """out = exp(x - m) / sum(exp(x - m)), m = row_max[r] (so no exp overflows).

    x - m is stored before the exp reads it back: the store keeps "reassoc" from regrouping
    the subtraction with the exp's own arithmetic (x * k - m * k instead of (x - m) * k),
    and x - m is only exact for x near m as written (logits of 1000 lost 3e-5 of log 2
    that way). The row (a few KB) stays in the L1 cache between the passes."""
    for r in range(x2.shape[0]):
        row, out, m = x2[r], out2[r], row_max[r]
        for d in range(row.shape[0]):
            out[d] = row[d] - m
        total = row.dtype.type(0.0)
        for d in range(row.shape[0]):
            e = _exp(out[d])
            out[d] = e
            total += e
        inv = row.dtype.type(1.0) / total
        for d in range(row.shape[0]):
            out[d] *= inv


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "contract", "nsz"})
def _log_softmax_rows(x2, row_max, out2):
    """out = (x - m) - log(sum(exp(x - m))), m = row_max[r], subtracted in this order as
    PyTorch does (x - (m + log ...) would lose the digits of large logits); x - m is
    stored first for the reason given in _softmax_rows."""
    for r in range(x2.shape[0]):
        row, out, m = x2[r], out2[r], row_max[r]
        for d in range(row.shape[0]):
            out[d] = row[d] - m
        total = row.dtype.type(0.0)
        for d in range(row.shape[0]):
            total += _exp(out[d])
        log_total = row.dtype.type(np.log(total))
        for d in range(row.shape[0]):
            out[d] -= log_total


@njit(cache=True, error_model="numpy", fastmath={"reassoc", "contract", "nsz"})
def _softmax_rows_backward(g2, y2, grad2):
    """grad = y * (g - sum(g * y)), y the softmax output."""
    for r in range(g2.shape[0]):
        g, y, grad = g2[r], y2[r], grad2[r]
        t = y.dtype.type(0.0)
        for d in range(g.shape[0]):
            t += g[d] * y[d]
        for d in range(g.shape[0]):
            grad[d] = y[d] * (g[d] - t)


@njit(cache=True, error_model="numpy", fastmath={"reassoc", "contract", "nsz"})
def _log_softmax_rows_backward(g2, y2, grad2):
    """grad = g - exp(y) * sum(g), y the log_softmax output (exp(y) is the softmax)."""
    for r in range(g2.shape[0]):
        g, y, grad = g2[r], y2[r], grad2[r]
        t = y.dtype.type(0.0)
        for d in range(g.shape[0]):
            t += g[d]
        for d in range(g.shape[0]):
            grad[d] = g[d] - _exp(y[d]) * t


# ---------------------------------------------------------------------------------------
# Python wrappers: validate, view as (A, G, B), call
# ---------------------------------------------------------------------------------------
def _as_groups(x, groups_shape, name):
    """A contiguous float32/float64 array viewed as (A, G, B) = ``groups_shape``."""
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"normalisation kernel: {name} must be a floating-point ndarray, "
                        f"got {type(x).__name__} of dtype {getattr(x, 'dtype', None)}")
    a, g, b = (int(v) for v in groups_shape)
    if min(a, g, b) < 0 or a * g * b != x.size:
        raise ValueError(f"normalisation kernel: cannot view {name} of shape {x.shape} as "
                         f"(A, G, B) = {groups_shape}")
    dtype = x.dtype if x.dtype in FLOAT_NUMPY_DTYPES else np.dtype(np.float64)
    return np.ascontiguousarray(x, dtype=dtype).reshape(a, g, b)


def _per_group(v, n_groups, name):
    v = np.ascontiguousarray(v, dtype=np.float64).reshape(-1)
    if v.shape != (n_groups,):
        raise ValueError(f"normalisation kernel: {name} must hold one value per group "
                         f"({n_groups}), got {v.size}")
    return v


def group_stats(x: np.ndarray, groups_shape):
    """Mean and biased variance of every group. x: any shape with ``A*G*B`` elements,
    viewed as ``groups_shape = (A, G, B)``. Returns two float64 arrays (G,)."""
    x3 = _as_groups(x, groups_shape, "x")
    mean = np.empty(x3.shape[1])
    var = np.empty(x3.shape[1])
    if x3.shape[0] * x3.shape[2] == 0:            # empty groups: NaN, like NumPy's mean
        mean[:], var[:] = np.nan, np.nan
    else:
        bounds = _row_bounds(x3.shape[1], x3.size)
        run_parallel(lambda t, start, stop: _group_stats(x3, mean, var, start, stop), bounds)
    return mean, var


def scale_shift(x: np.ndarray, groups_shape, alpha, beta) -> np.ndarray:
    """``x * alpha[g] + beta[g]`` for every group g of ``groups_shape = (A, G, B)``, in x's
    shape and dtype (alpha, beta: (G,), used in x's dtype)."""
    x3 = _as_groups(x, groups_shape, "x")
    n_groups = x3.shape[1]
    alpha = _per_group(alpha, n_groups, "alpha").astype(x3.dtype)
    beta = _per_group(beta, n_groups, "beta").astype(x3.dtype)
    out3 = np.empty_like(x3)
    bounds = _row_bounds(n_groups, x3.size)
    run_parallel(lambda t, start, stop: _scale_shift(x3, alpha, beta, out3, start, stop),
                 bounds)
    return out3.reshape(x.shape).astype(x.dtype, copy=False)


def normalize_backward_from_x(g: np.ndarray, x: np.ndarray, groups_shape, mean, inv_std,
                              scale):
    """``normalize_backward`` with x_hat = (x - mean[g]) * inv_std[g] recomputed from the
    input x instead of read from a stored x_hat (batch norm in training). Returns
    ``(grad, sum_g, sum_gx)`` as normalize_backward does."""
    if np.shape(g) != np.shape(x):
        raise ValueError(f"normalisation kernel: g has shape {np.shape(g)} but x has shape "
                         f"{np.shape(x)}")
    x3 = _as_groups(x, groups_shape, "x")
    g3 = np.ascontiguousarray(g, dtype=x3.dtype).reshape(x3.shape)
    n_groups = x3.shape[1]
    grad3 = np.empty_like(x3)
    sum_g, sum_gx = np.zeros(n_groups), np.zeros(n_groups)
    mean, inv_std = _per_group(mean, n_groups, "mean"), _per_group(inv_std, n_groups, "inv_std")
    scale = _per_group(scale, n_groups, "scale")
    bounds = _row_bounds(n_groups, x3.size)
    run_parallel(lambda t, start, stop: _normalize_backward_from_x(
        g3, x3, mean, inv_std, scale, grad3, sum_g, sum_gx, start, stop), bounds)
    return grad3.reshape(x.shape).astype(x.dtype, copy=False), sum_g, sum_gx


def normalize(x: np.ndarray, groups_shape, mean, inv_std) -> np.ndarray:
    """x_hat = (x - mean[g]) * inv_std[g], in x's shape and dtype. mean, inv_std: (G,)."""
    x3 = _as_groups(x, groups_shape, "x")
    n_groups = x3.shape[1]
    x_hat3 = np.empty_like(x3)
    _normalize(x3, _per_group(mean, n_groups, "mean"),
               _per_group(inv_std, n_groups, "inv_std"), x_hat3)
    return x_hat3.reshape(x.shape).astype(x.dtype, copy=False)


def normalize_backward(g_hat: np.ndarray, x_hat: np.ndarray, groups_shape, scale):
    """dL/dx from dL/dx_hat (``g_hat``) for x_hat normalised over the groups of
    ``groups_shape``: ``scale * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat))``.

    g_hat, x_hat: same shape; scale: (G,), usually inv_std (batch norm folds its
    per-channel weight in: inv_std * weight, and passes dL/dy as g_hat). Returns
    ``(grad, sum_g, sum_gx)``: grad in g_hat's shape and x_hat's dtype, and the per-group
    float64 sums of g_hat and g_hat * x_hat (batch norm's bias and weight gradients)."""
    if np.shape(g_hat) != np.shape(x_hat):
        raise ValueError(f"normalisation kernel: g_hat has shape {np.shape(g_hat)} but x_hat "
                         f"has shape {np.shape(x_hat)}")
    x_hat3 = _as_groups(x_hat, groups_shape, "x_hat")
    g_hat3 = np.ascontiguousarray(g_hat, dtype=x_hat3.dtype).reshape(x_hat3.shape)
    n_groups = x_hat3.shape[1]
    grad3 = np.empty_like(x_hat3)
    sum_g, sum_gx = np.zeros(n_groups), np.zeros(n_groups)
    _normalize_backward(g_hat3, x_hat3, _per_group(scale, n_groups, "scale"), grad3,
                        sum_g, sum_gx)
    return grad3.reshape(x_hat.shape).astype(x_hat.dtype, copy=False), sum_g, sum_gx


def _rows(x, n_cols, name):
    """A contiguous float32/float64 view (M, D) of x, D = ``n_cols`` (the normalised size)."""
    return _as_groups(x, (1, x.size // n_cols if n_cols else 0, n_cols), name)[0]


def _row_bounds(n_rows, work):
    """Row boundaries of one contiguous piece per thread (one piece below the size where
    waking a second thread pays)."""
    threads = 1 if work < PARALLEL_MIN_ELEMENTS else max(1, min(thread_count(), n_rows))
    return [n_rows * t // threads for t in range(threads + 1)]


def _per_column(v, n_cols, dtype, fill, name):
    """weight or bias as a contiguous (D,) array of the data's dtype (``fill`` when None)."""
    if v is None:
        return np.full(n_cols, fill, dtype=dtype)
    v = np.ascontiguousarray(v, dtype=dtype).reshape(-1)
    if v.shape != (n_cols,):
        raise ValueError(f"layer norm kernel: {name} must hold one value per column "
                         f"({n_cols}), got {v.size}")
    return v


def layer_norm_rows(x: np.ndarray, n_cols: int, weight=None, bias=None, eps: float = 1e-5):
    """Layer norm of x viewed as rows of ``n_cols`` elements (x.size divisible by n_cols).

    weight, bias: ndarrays with n_cols elements, or None (1 and 0). Returns
    ``(out, mean, inv_std)``: out in x's shape and dtype, mean and inv_std (M,) float64
    (computed in the data's precision).
    """
    if n_cols < 0 or (n_cols == 0 and x.size) or (n_cols and x.size % n_cols):
        raise ValueError(f"layer norm kernel: cannot split {x.size} elements into rows of "
                         f"{n_cols}")
    x2 = _rows(x, n_cols, "x")                                   # (M, D)
    w = _per_column(weight, n_cols, x2.dtype, 1.0, "weight")
    b = _per_column(bias, n_cols, x2.dtype, 0.0, "bias")
    out2 = np.empty_like(x2)
    mean, inv_std = np.empty(x2.shape[0]), np.empty(x2.shape[0])
    bounds = _row_bounds(x2.shape[0], x2.size)
    run_parallel(lambda t, start, stop: _layer_norm_rows(x2, w, b, float(eps), out2, mean,
                                                         inv_std, start, stop), bounds)
    return out2.reshape(x.shape).astype(x.dtype, copy=False), mean, inv_std


def layer_norm_rows_backward(g: np.ndarray, x: np.ndarray, n_cols: int, mean, inv_std,
                             weight=None):
    """Gradients of layer norm from dL/dy (``g``) and the input ``x`` (same shape), with
    the row statistics forward returned. Returns ``(grad_x, grad_w, grad_b)``: grad_x in
    x's shape and dtype, grad_w and grad_b float64 with one value per column (row sums)."""
    if np.shape(g) != np.shape(x) or x.ndim == 0:
        raise ValueError(f"layer norm kernel: g has shape {np.shape(g)} but x has shape "
                         f"{np.shape(x)}")
    x2 = _rows(x, n_cols, "x")                                   # (M, D)
    n_rows = x2.shape[0]
    g2 = np.ascontiguousarray(g, dtype=x2.dtype).reshape(x2.shape)
    w = _per_column(weight, n_cols, x2.dtype, 1.0, "weight")
    mean, inv_std = _per_group(mean, n_rows, "mean"), _per_group(inv_std, n_rows, "inv_std")
    grad2 = np.empty_like(x2)
    bounds = _row_bounds(n_rows, x2.size)
    # one (grad_w, grad_b) pair of column sums per thread, added up at the end
    sums = np.zeros((len(bounds) - 1, 2, n_cols))                # (threads, 2, D)
    run_parallel(lambda t, start, stop: _layer_norm_rows_backward(
        g2, x2, w, mean, inv_std, grad2, sums[t, 0], sums[t, 1], start, stop), bounds)
    grad_w, grad_b = sums.sum(axis=0) if len(sums) > 1 else sums[0]
    return grad2.reshape(x.shape).astype(x.dtype, copy=False), grad_w, grad_b


def _along_rows(x, dim, name):
    """x with axis ``dim`` moved last, as a contiguous float32/float64 (M, D) array (a view
    when dim is already last and x contiguous), and a function putting a result back."""
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"softmax kernel: {name} must be a floating-point ndarray, got "
                        f"{type(x).__name__} of dtype {getattr(x, 'dtype', None)}")
    if x.ndim == 0:                                      # one number: a row of length 1
        rows, back = _along_rows(x.reshape(1), 0, name)
        return rows, (lambda a: back(a).reshape(()))
    dtype = x.dtype if x.dtype in FLOAT_NUMPY_DTYPES else np.dtype(np.float64)
    if dim in (-1, x.ndim - 1) and x.dtype == dtype and x.flags.c_contiguous:
        # rows along the last axis already: a reshape each way (moveaxis costs microseconds)
        shape = x.shape
        return x.reshape(x.size // shape[-1] if shape[-1] else 0, shape[-1]), (
            lambda a: a.reshape(shape))
    moved = np.moveaxis(x, dim, -1)                      # (..., D)
    n_cols = x.shape[dim]
    rows = np.ascontiguousarray(moved, dtype=dtype).reshape(
        x.size // n_cols if n_cols else 0, n_cols)

    def back(a):
        return np.moveaxis(a.reshape(moved.shape), -1, dim).astype(x.dtype, copy=False)
    return rows, back


def _softmax_call(x, dim, log):
    x2, back = _along_rows(x, dim, "x")
    out2 = np.empty_like(x2)
    if x2.size:
        # the row maxima by NumPy's SIMD reduction (NaN propagates, as in PyTorch)
        (_log_softmax_rows if log else _softmax_rows)(x2, x2.max(axis=1), out2)
    return back(out2)


def _softmax_backward_call(g, y, dim, log):
    if np.shape(g) != np.shape(y):
        raise ValueError(f"softmax kernel: g has shape {np.shape(g)} but y has shape {np.shape(y)}")
    y2, back = _along_rows(y, dim, "y")
    g2, _ = _along_rows(np.asarray(g, dtype=y2.dtype), dim, "g")
    grad2 = np.empty_like(y2)
    if y2.size:
        (_log_softmax_rows_backward if log else _softmax_rows_backward)(g2, y2, grad2)
    return back(grad2)


def softmax_rows(x: np.ndarray, dim: int) -> np.ndarray:
    """softmax of x along axis ``dim`` (x's shape and dtype)."""
    return _softmax_call(x, dim, False)


def log_softmax_rows(x: np.ndarray, dim: int) -> np.ndarray:
    """log_softmax of x along axis ``dim`` (x's shape and dtype)."""
    return _softmax_call(x, dim, True)


def softmax_rows_backward(g: np.ndarray, y: np.ndarray, dim: int) -> np.ndarray:
    """dL/dx of softmax from dL/dy ``g`` and the output ``y``."""
    return _softmax_backward_call(g, y, dim, False)


def log_softmax_rows_backward(g: np.ndarray, y: np.ndarray, dim: int) -> np.ndarray:
    """dL/dx of log_softmax from dL/dy ``g`` and the output ``y``."""
    return _softmax_backward_call(g, y, dim, True)
