"""Pooling of integer tensors, in plain NumPy (no Numba, no autograd).

PyTorch pools integer tensors too: ``max_pool2d``/``max_pool3d`` (and ``max_pool1d`` with
``return_indices=True``) take every integer dtype, ``avg_pool1d/2d/3d`` take int64 and
return int64, the sum divided by the divisor with C's integer division (rounded toward
zero: ``-7 / 2 -> -3``). An integer tensor has no gradient, so these are plain functions on
arrays. They read the same window tables (``AxisWindows``) as the float kernels: the cells of
window ``o`` along one axis are ``range(lo[o], hi[o], step)``.

Every array here is ``(P, D, H, W)``, as in the kernels: P planes, 1-d and 2-d pooling with
size-1 axes in front.
"""
from __future__ import annotations

import numpy as np

__all__ = ["int_max_pool", "int_avg_pool"]


def _axis_cells(axis):
    """The cells of every window of one axis as an (O, K) table plus a mask of the real ones
    (windows near an edge have fewer than K cells; one wholly in the padding has none, and
    its first tap ``lo`` is what its index reports, as in the float kernels)."""
    count = np.maximum(0, -(-(axis.hi - axis.lo) // axis.step))       # cells per window
    K = max(int(count.max()) if count.size else 0, 1)
    cells = axis.lo[:, None] + np.arange(K)[None, :] * axis.step     # (O, K)
    real = np.arange(K)[None, :] < count[:, None]                     # (O, K)
    return cells, real


def _gather(x, axes):
    """Every window's cells side by side.

    x (P, D, H, W) -> values (P, OD, OH, OW, KD*KH*KW), their flat positions d*H*W + h*W + w
    (OD, OH, OW, KD*KH*KW) and a mask of the real cells, in the window's C order."""
    (cd, rd), (ch, rh), (cw, rw) = (_axis_cells(a) for a in axes)
    D, H, W = x.shape[1:]
    # (OD, KD, 1, 1, 1, 1), (1, 1, OH, KH, 1, 1), (1, 1, 1, 1, OW, KW): broadcast together
    d = cd[:, :, None, None, None, None]
    h = ch[None, None, :, :, None, None]
    w = cw[None, None, None, None, :, :]
    real = rd[:, :, None, None, None, None] & rh[None, None, :, :, None, None] & \
        rw[None, None, None, None, :, :]
    # cells outside the input are read at 0 (and masked out): x has no cells there
    inside = (np.where(rd, cd, 0)[:, :, None, None, None, None],
              np.where(rh, ch, 0)[None, None, :, :, None, None],
              np.where(rw, cw, 0)[None, None, None, None, :, :])
    values = x[(slice(None),) + inside]                    # (P, OD, KD, OH, KH, OW, KW)
    flat = np.broadcast_to((d * H + h) * W + w, real.shape)
    order = (0, 2, 4, 1, 3, 5)                             # windows first, then its cells
    out_shape = (cd.shape[0], ch.shape[0], cw.shape[0], cd.shape[1] * ch.shape[1] * cw.shape[1])
    values = values.transpose((0,) + tuple(o + 1 for o in order))
    values = values.reshape((x.shape[0],) + out_shape)
    return (values, flat.transpose(order).reshape(out_shape),
            real.transpose(order).reshape(out_shape))


def int_max_pool(x, axes):
    """Max over each window of an integer array: x (P, D, H, W) -> (out, idx), both
    (P, OD, OH, OW); ``idx`` is the flat position of the first maximum in C order (PyTorch's
    tie rule), as the float kernels return it."""
    values, flat, real = _gather(x, axes)
    lowest = np.iinfo(x.dtype).min
    best = np.where(real, values, lowest).max(axis=-1, initial=lowest)   # (P, OD, OH, OW)
    # the first real cell equal to the maximum (a padding cell never wins)
    winner = np.argmax((values == best[..., None]) & real, axis=-1)
    idx = np.take_along_axis(np.broadcast_to(flat, values.shape), winner[..., None],
                             axis=-1)[..., 0]
    return best.astype(x.dtype), idx.astype(np.int64)


def int_avg_pool(x, axes, count_include_pad, divisor_override):
    """Integer average: (sum of the window) / divisor, rounded toward zero as C's integer
    division does. x (P, D, H, W) -> (P, OD, OH, OW); a divisor of 0 gives 0."""
    values, _, real = _gather(x, axes)
    total = np.where(real, values, 0).sum(axis=-1, dtype=x.dtype)      # (P, OD, OH, OW)
    if divisor_override is not None:
        divisor = np.full(total.shape[1:], int(divisor_override), dtype=np.int64)
    else:
        counts = [a.count_with_pad if count_include_pad else a.count for a in axes]
        divisor = (counts[0][:, None, None] * counts[1][None, :, None] *
                   counts[2][None, None, :]).astype(np.int64)          # (OD, OH, OW)
    safe = np.where(divisor == 0, 1, divisor)
    quotient = np.abs(total) // np.abs(safe)                          # toward zero ...
    quotient = quotient * np.sign(total) * np.sign(safe)              # ... with the sign
    return np.where(divisor == 0, 0, quotient).astype(x.dtype)
