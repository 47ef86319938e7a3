"""Numba kernels for the negative log-likelihood (``nll_loss``, the second half of
``cross_entropy``): one pass forward, one pass backward.

The formulas (s = label smoothing, w the class weights, C classes, t = target[i]):

    forward:   loss_i = valid_i * [ (1 - s) w[t] (-logp[i, t]) + (s / C) sum_c w[c] (-logp[i, c]) ]
    backward:  dlogp[i, c] = -valid_i * seed_i * [ (1 - s) w[t] [c == t]  +  (s / C) w[c] ]

with valid_i = (t != ignore_index) and seed_i = dL/dloss_i. Written with NumPy these are a
chain of small passes (moveaxis, where, take_along_axis, zeros, put_along_axis, ...), each
a call of a few microseconds; for one batch of a classifier the calls cost more than the
arithmetic. Here each position is visited once.

The log-probabilities are seen as a 3-d array ``(N, C, L)``: (N, C) is (N, C, 1) and
(N, C, d1, ..., dk) is (N, C, d1*...*dk), a reshape of a contiguous array (no copy, no
moveaxis); targets are ``(N, L)``. ndarrays in, ndarrays out; the wrappers validate and make
the arrays contiguous before every jitted call (Numba does no bounds checks).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._dtype import FLOAT_NUMPY_DTYPES

__all__ = ["first_bad_target", "nll_forward", "nll_backward"]


@njit(cache=True, error_model="numpy")
def _first_bad_target(t, n_classes, ignore_index):
    """Index of the first target outside [0, n_classes) that is not ignore_index, or -1."""
    for i in range(t.shape[0]):
        v = t[i]
        if v != ignore_index and (v < 0 or v >= n_classes):
            return i
    return -1


@njit(cache=True, error_model="numpy")
def _nll_forward(lp3, t2, w, ignore_index, smoothing, losses2, w_t2):
    """losses2[n, l] and the weight of the target used, w_t2[n, l] (0 where ignored)."""
    n_batch, n_classes, n_pos = lp3.shape
    keep = lp3.dtype.type(1.0 - smoothing)
    share = lp3.dtype.type(smoothing / n_classes)
    zero = lp3.dtype.type(0.0)
    for n in range(n_batch):
        for p in range(n_pos):
            t = t2[n, p]
            if t == ignore_index:
                losses2[n, p] = zero
                w_t2[n, p] = zero
                continue
            loss = keep * w[t] * -lp3[n, t, p]
            if smoothing > 0.0:
                smooth = zero
                for c in range(n_classes):
                    smooth += w[c] * -lp3[n, c, p]
                loss += share * smooth
            losses2[n, p] = loss
            w_t2[n, p] = w[t]


@njit(cache=True, error_model="numpy")
def _nll_backward(seed2, t2, w, ignore_index, smoothing, grad3):
    """Into a zero-filled grad3: -(1 - s) w[t] seed at the target (minus (s/C) w[c] seed
    in every class when smoothing); the columns of ignored targets stay 0. (np.zeros gets
    pages the OS fills with zeros on first touch: without smoothing only the targets'
    entries are written here.)"""
    n_batch, n_classes, n_pos = grad3.shape
    keep = grad3.dtype.type(1.0 - smoothing)
    share = grad3.dtype.type(smoothing / n_classes)
    for n in range(n_batch):
        for p in range(n_pos):
            t = t2[n, p]
            if t == ignore_index:
                continue
            seed = grad3.dtype.type(seed2[n, p])
            if smoothing > 0.0:
                for c in range(n_classes):
                    grad3[n, c, p] = -share * w[c] * seed
            grad3[n, t, p] -= keep * w[t] * seed


# ---------------------------------------------------------------------------------------
# Python wrappers
# ---------------------------------------------------------------------------------------
def _shape3(shape):
    """(N, C, d1..) -> (N, C, d1*..*dk); (N, C) -> (N, C, 1); (C,) -> (1, C, 1)."""
    if len(shape) == 1:
        return (1, shape[0], 1)
    return (shape[0], shape[1], math.prod(shape[2:]))


def _kernel_dtype(dtype):
    return dtype if dtype in FLOAT_NUMPY_DTYPES else np.dtype(np.float64)


def _class_weights(weight, n_classes, dtype):
    if weight is None:
        return np.ones(n_classes, dtype=dtype)
    return np.ascontiguousarray(weight, dtype=dtype).reshape(n_classes)


def _targets(target, shape3):
    """target (N, d1..) / (N,) / () as a contiguous int64 (N, L) array."""
    return np.ascontiguousarray(target, dtype=np.int64).reshape(shape3[0], shape3[2])


def first_bad_target(target: np.ndarray, n_classes: int, ignore_index: int):
    """The first target value outside [0, n_classes) that is not ``ignore_index``, or None."""
    flat = np.ascontiguousarray(target, dtype=np.int64).reshape(-1)
    i = _first_bad_target(flat, int(n_classes), int(ignore_index))
    return None if i < 0 else int(flat[i])


def nll_forward(lp: np.ndarray, target: np.ndarray, weight, ignore_index: int,
                smoothing: float):
    """Per-position losses and target weights of nll_loss (before the reduction).

    lp: (N, C, d1..) / (N, C) / (C,) log-probabilities; target: (N, d1..) / (N,) / () class
    indices, every one in [0, C) or equal to ``ignore_index`` (checked by the caller);
    weight: (C,) or None. Returns ``(losses, w_t)``, both target-shaped, in lp's dtype."""
    if not isinstance(lp, np.ndarray) or lp.dtype.kind != "f" or lp.ndim == 0:
        raise TypeError(f"nll kernel: log-probabilities must be a floating-point ndarray with "
                        f"a class axis, got {type(lp).__name__} of shape {np.shape(lp)}")
    shape3 = _shape3(lp.shape)
    lp3 = np.ascontiguousarray(lp, dtype=_kernel_dtype(lp.dtype)).reshape(shape3)
    t2 = _targets(target, shape3)
    w = _class_weights(weight, shape3[1], lp3.dtype)
    losses2, w_t2 = np.empty(t2.shape, lp3.dtype), np.empty(t2.shape, lp3.dtype)
    _nll_forward(lp3, t2, w, int(ignore_index), float(smoothing), losses2, w_t2)
    shape = np.shape(target)
    return (losses2.reshape(shape).astype(lp.dtype, copy=False),
            w_t2.reshape(shape).astype(lp.dtype, copy=False))


def nll_backward(seed: np.ndarray, target: np.ndarray, weight, ignore_index: int,
                 smoothing: float, lp_shape, dtype) -> np.ndarray:
    """dL/dlogp of nll_loss, a new array of lp's shape ``lp_shape`` and ``dtype``, from the
    seed dL/dloss_i (broadcastable to target's shape, already divided by the reduction's
    denominator)."""
    shape3 = _shape3(tuple(lp_shape))
    grad3 = np.zeros(shape3, dtype=_kernel_dtype(np.dtype(dtype)))
    t2 = _targets(target, shape3)
    w = _class_weights(weight, shape3[1], grad3.dtype)
    seed2 = np.ascontiguousarray(np.broadcast_to(seed, np.shape(target)),
                                 dtype=grad3.dtype).reshape(t2.shape)
    _nll_backward(seed2, t2, w, int(ignore_index), float(smoothing), grad3)
    return grad3.reshape(lp_shape).astype(dtype, copy=False)
