"""Convolution of integer tensors, in plain NumPy (no Numba, no autograd).

PyTorch convolves integer tensors too (its CPU loops for int8 ... int64 and uint8;
dilation and transposed convolution only for int64). The sums are exact integer sums,
wrapping around like C's integer arithmetic, so they are computed here in int64 and cast
back to the input's dtype (a wrap-around modulo 2**8 or 2**16 gives the same result either
way). An integer tensor has no gradient, so these are plain functions on arrays.

The loop runs over the kernel's offsets (a handful), never over elements: for each offset,
the input cells it touches form one strided slice, and a product with that offset's weights
over the channels (``np.einsum``) adds its share to every output cell at once.
"""
from __future__ import annotations

import numpy as np

__all__ = ["int_conv", "int_conv_transpose"]


def _offset_slices(offset, dilation, stride, sizes):
    """For kernel offset ``offset``: the strided slice of cells it meets, one per axis
    (cell ``o*s + t*d`` of the padded input for output ``o``, tap ``t``)."""
    return tuple(slice(t * d, t * d + s * (L - 1) + 1, s)
                 for t, d, s, L in zip(offset, dilation, stride, sizes))


def int_conv(x, w, b, stride, pad_lr, dilation, groups):
    """x (N, C, *S), w (O, C/groups, *K), b (O,) or None -> (N, O, *S_out), x's dtype.

    ``pad_lr``: one (left, right) pair per spatial axis (zeros are added there)."""
    n = x.ndim - 2
    N, C = x.shape[:2]
    O, K = w.shape[0], w.shape[2:]
    G = groups
    xp = np.pad(x.astype(np.int64), [(0, 0), (0, 0)] + [tuple(p) for p in pad_lr])
    out_sizes = tuple((xp.shape[2 + i] - dilation[i] * (K[i] - 1) - 1) // stride[i] + 1
                      for i in range(n))
    xg = xp.reshape((N, G, C // G) + xp.shape[2:])            # (N, G, C/G, *S_padded)
    wg = w.astype(np.int64).reshape((G, O // G, C // G) + K)  # (G, O/G, C/G, *K)
    out = np.zeros((N, G, O // G) + out_sizes, dtype=np.int64)
    for offset in np.ndindex(*K):
        patch = xg[(slice(None),) * 3 + _offset_slices(offset, dilation, stride, out_sizes)]
        # (N, G, C/G, *S_out) x (G, O/G, C/G) -> (N, G, O/G, *S_out)
        out += np.einsum("ngc...,goc->ngo...", patch, wg[(slice(None),) * 3 + offset])
    out = out.reshape((N, O) + out_sizes)
    if b is not None and b.dtype.kind == "f":    # (padding='same'/'valid' let one through)
        return (out + b.reshape((1, O) + (1,) * n)).astype(x.dtype)
    if b is not None:
        out += b.astype(np.int64).reshape((1, O) + (1,) * n)
    return out.astype(x.dtype)


def int_conv_transpose(x, w, b, stride, padding, dilation, groups, out_sizes):
    """x (N, C, *S), w (C, O/groups, *K), b (O,) or None -> (N, O, *out_sizes), x's dtype:
    every input cell adds ``x * w[tap]`` to output cell ``i*s + t*d - p`` (the adjoint of
    ``int_conv``); ``out_sizes`` already includes output_padding."""
    n = x.ndim - 2
    N, C = x.shape[:2]
    K = w.shape[2:]
    G = groups
    O = w.shape[1] * G
    S = x.shape[2:]
    # the uncropped output: every tap of every input cell lands inside it
    full = tuple(max((L - 1) * s + d * (k - 1) + 1, p + o)
                 for L, s, d, k, p, o in zip(S, stride, dilation, K, padding, out_sizes))
    xg = x.astype(np.int64).reshape((N, G, C // G) + S)          # (N, G, C/G, *S)
    wg = w.astype(np.int64).reshape((G, C // G, O // G) + K)     # (G, C/G, O/G, *K)
    out = np.zeros((N, G, O // G) + full, dtype=np.int64)
    for offset in np.ndindex(*K):
        # (N, G, C/G, *S) x (G, C/G, O/G) -> (N, G, O/G, *S)
        share = np.einsum("ngc...,gco->ngo...", xg, wg[(slice(None),) * 3 + offset])
        out[(slice(None),) * 3 + _offset_slices(offset, dilation, stride, S)] += share
    crop = tuple(slice(p, p + o) for p, o in zip(padding, out_sizes))
    out = out[(slice(None),) * 3 + crop].reshape((N, O) + tuple(out_sizes))
    if b is not None:
        out = out + b.astype(np.int64).reshape((1, O) + (1,) * n)
    return np.ascontiguousarray(out).astype(x.dtype)
