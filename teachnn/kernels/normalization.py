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
gradients column by column) saves four more full-array passes.

The NumPy versions of the same formulas made eight to eleven full-array passes, each
allocating a temporary; these make two or three. ``fastmath={"reassoc"}`` lets LLVM reorder
the sums so that they run as SIMD adds (float64 accumulators, so the order hardly matters). ndarrays in, ndarrays out; the Python
wrappers validate shapes and dtypes and make arrays contiguous before every jitted call
(Numba does no bounds checks). Debug in plain Python with ``NUMBA_DISABLE_JIT=1``.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .._dtype import FLOAT_NUMPY_DTYPES

__all__ = ["group_stats", "normalize", "normalize_backward", "layer_norm_rows",
           "layer_norm_rows_backward"]


# ---------------------------------------------------------------------------------------
# kernels: x3 (A, G, B) contiguous, float32 or float64; per-group vectors (G,) float64
# ---------------------------------------------------------------------------------------
@njit(cache=True, fastmath={"reassoc"})
def _group_stats(x3, mean, var):
    """mean[g], var[g] (biased) of the slab x3[:, g, :]; two passes for accuracy."""
    n_a, n_g, n_b = x3.shape
    count = n_a * n_b
    for g in range(n_g):
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


@njit(cache=True, fastmath={"reassoc"})
def _layer_norm_rows(x2, weight, bias, eps, out2, x_hat2, inv_std):
    """Per row r of x2 (M, D): mean, biased var, x_hat = (x - mean) * inv_std[r] and
    out = x_hat * weight[d] + bias[d] (weight, bias: (D,))."""
    n_rows, n_cols = x2.shape
    for r in range(n_rows):
        total = 0.0
        for d in range(n_cols):
            total += x2[r, d]
        m = total / n_cols
        squares = 0.0
        for d in range(n_cols):
            diff = x2[r, d] - m
            squares += diff * diff
        s = 1.0 / np.sqrt(squares / n_cols + eps)
        inv_std[r] = s
        for d in range(n_cols):
            xh = (x2[r, d] - m) * s
            x_hat2[r, d] = xh
            out2[r, d] = xh * weight[d] + bias[d]


@njit(cache=True, fastmath={"reassoc"})
def _layer_norm_rows_backward(g2, x_hat2, weight, inv_std, grad2, grad_w, grad_b):
    """Per row r, with g_hat = g * weight[d]:
        grad = inv_std[r] * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat))
    and, summed over the rows, grad_w[d] += g * x_hat, grad_b[d] += g."""
    n_rows, n_cols = g2.shape
    for r in range(n_rows):
        sum_g = 0.0
        sum_gx = 0.0
        for d in range(n_cols):
            g_hat = g2[r, d] * weight[d]
            sum_g += g_hat
            sum_gx += g_hat * x_hat2[r, d]
        mean_g, mean_gx, s = sum_g / n_cols, sum_gx / n_cols, inv_std[r]
        for d in range(n_cols):
            g, xh = g2[r, d], x_hat2[r, d]
            grad2[r, d] = s * (g * weight[d] - mean_g - xh * mean_gx)
            grad_w[d] += g * xh
            grad_b[d] += g


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
        _group_stats(x3, mean, var)
    return mean, var


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


def layer_norm_rows(x: np.ndarray, n_cols: int, weight=None, bias=None, eps: float = 1e-5):
    """Layer norm of x viewed as rows of ``n_cols`` elements (x.size divisible by n_cols).

    weight, bias: ndarrays with n_cols elements, or None (1 and 0). Returns
    ``(out, x_hat, inv_std)``: out and x_hat in x's shape and dtype, inv_std (M,) float64.
    """
    if n_cols < 0 or (n_cols == 0 and x.size) or (n_cols and x.size % n_cols):
        raise ValueError(f"layer norm kernel: cannot split {x.size} elements into rows of "
                         f"{n_cols}")
    x2 = _rows(x, n_cols, "x")
    w = np.ones(n_cols) if weight is None else _per_group(weight, n_cols, "weight")
    b = np.zeros(n_cols) if bias is None else _per_group(bias, n_cols, "bias")
    out2, x_hat2 = np.empty_like(x2), np.empty_like(x2)
    inv_std = np.empty(x2.shape[0])
    _layer_norm_rows(x2, w, b, float(eps), out2, x_hat2, inv_std)
    back = (lambda a: a.reshape(x.shape).astype(x.dtype, copy=False))
    return back(out2), back(x_hat2), inv_std


def layer_norm_rows_backward(g: np.ndarray, x_hat: np.ndarray, n_cols: int, inv_std,
                             weight=None):
    """Gradients of layer norm from dL/dy (``g``, x_hat's shape). Returns
    ``(grad_x, grad_w, grad_b)``: grad_x in x_hat's shape and dtype, grad_w and grad_b
    float64 with one value per column (sums over the rows)."""
    if np.shape(g) != np.shape(x_hat) or x_hat.ndim == 0:
        raise ValueError(f"layer norm kernel: g has shape {np.shape(g)} but x_hat has shape "
                         f"{np.shape(x_hat)}")
    x_hat2 = _rows(x_hat, n_cols, "x_hat")                       # (M, D)
    n_rows = x_hat2.shape[0]
    g2 = np.ascontiguousarray(g, dtype=x_hat2.dtype).reshape(x_hat2.shape)
    w = np.ones(n_cols) if weight is None else _per_group(weight, n_cols, "weight")
    grad2 = np.empty_like(x_hat2)
    grad_w, grad_b = np.zeros(n_cols), np.zeros(n_cols)
    _layer_norm_rows_backward(g2, x_hat2, w, _per_group(inv_std, n_rows, "inv_std"), grad2,
                              grad_w, grad_b)
    return grad2.reshape(x_hat.shape).astype(x_hat.dtype, copy=False), grad_w, grad_b
