"""The fast convolution: the reference loop, reordered and fused until it runs at the
core's peak. ndarrays in, ndarrays out (no Tensor, no autograd).

The reference loop (teachnn/kernels/reference/) is, per sample n and output channel m,

    out[n, m, o] = sum over c, k of w[m, c, k] * x[n, c, o*s + k*d - p]

and this package computes exactly that sum ("im2col + matrix product"), one stage per
module, each transforming one step of the loop:

    layout.py    the index o*s + k*d - p: x is padded once and split by the stride into
                 "phases", after which each tap k reads its positions as ONE contiguous run
    runs.py      where each row and panel of the column matrix col[(c, k), o] lies in the
                 phases, so col is never built: the products read it where it lies
    tiles.py     the sum over (c, k): register tiles (with AVX-512 8 x 48 numbers of the
                 product held in 24 vector registers, emitted as LLVM IR) beside their
                 NumPy twins
    target.py    the tile's shape for the CPU Numba compiles for (AVX-512, AVX2, NEON or
                 any other): the one table every stage takes it from
    products.py  the tiles fused with the copies around them: gather + product (forward),
                 product + scatter (col2im: input gradient, transposed forward), and the
                 weight gradient (a sum over o instead of over (c, k))
    plans.py     the loops over n and o: blocks of samples sized to stay in cache, shared
                 out among threads; one explicit plan per direction
    threads.py   the one thread pool (conv, depthwise, pooling)
    depthwise.py one input channel per group: direct loops, no product to speak of
    blas.py      a BLAS product, kept for two rare cases (plans.WeightGradStage)

The six directions use only these stages:
    conv forward            = w @ im2col(x)                       ForwardPlan
    conv grad wrt input     = col2im(w^T @ grad_out)               BackwardPlan (scatter)
                              (stride 1, >= 32 channels: a conv of grad_out with the
                              flipped weight, no col2im: see _adjoint_padding)
    conv grad wrt weight    = sum over n of grad_out @ im2col(x)^T BackwardPlan (weight grad)
    conv_transpose forward  = col2im(w^T @ x)                      TransposePlan
    conv_transpose grad x   = w @ im2col(grad_out)                 ForwardPlan
    conv_transpose grad w   = sum over n of x @ im2col(grad_out)^T (rides along)

Everything is 3-d: a 1-d input (N, C, L) is the view (N, C, 1, 1, L), a 2-d one
(N, C, 1, H, W): one code path to test and two compiled specialisations per loop (float32,
float64). Numba does no bounds checks, so the functions below check shapes, dtypes and
contiguity before every jitted call. Debug a kernel in plain Python with
``NUMBA_DISABLE_JIT=1 python -m pytest tests/test_conv_kernels.py``. Measurements and the
history of each stage: docs/performance.md.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ... import geometry
from ..._dtype import FLOAT_NUMPY_DTYPES
from . import threads
from .blas import _find_openblas_threads  # noqa: F401  (tests hold NumPy's BLAS with it)
from .depthwise import depthwise_backward, depthwise_forward
from .layout import gather_phases, im2col_block, pair_columns, phase_shape, phase_size
from .plans import (BLOCK_BYTES, backward_plan, forward_plan, phase_layout, product_stage,
                    run_backward, run_forward, run_transpose, scatter_stage, transpose_plan,
                    weight_grad_stage)
from .tiles import MR

__all__ = [
    "im2col",
    "col2im",
    "conv_forward",
    "conv_backward",
    "conv_transpose_forward",
    "conv_transpose_backward",
]

# The two tuning knobs, read at every call (tests set them to force threads and small
# blocks): work below which one thread runs everything, and the bytes of one block.
PARALLEL_MIN_ELEMENTS = threads.PARALLEL_MIN_ELEMENTS
BLOCK_BYTES = BLOCK_BYTES

_FLOATS = FLOAT_NUMPY_DTYPES


def _is_depthwise(x, w, groups):
    """C/G == 1 with several groups: the direct loops beat im2col + tiny products."""
    return groups > 1 and w.shape[1] == 1 and x.shape[1] == groups


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
    if a.dtype not in _FLOATS:
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
    """Conv output size per axis (teachnn.geometry: PyTorch's floor formula) with (left,
    right) padding."""
    return tuple(geometry.conv_output_size(L, k, s, pl, pr, d)
                 for L, k, s, (pl, pr), d in zip(spatial, kernel, stride, pad_lr, dilation))


# --------------------------------------------------------------------------------------
# im2col / col2im over a whole batch: validated entry points (for learners and tests)
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
    the end of the input read as zero). The convolutions never build this whole matrix
    (they gather one block of one sample at a time, with wide rows), but it is what they
    compute.
    """
    _check_array("x", x, 5)
    _check_geometry(kernel, stride, pad_left, dilation)
    out_spatial = _check_out_spatial(out_spatial)
    N, C = x.shape[:2]
    oD, oH, oW = out_spatial
    CK, L = C * math.prod(kernel), oD * oH * oW
    geom = _geom(kernel, stride, pad_left, dilation)
    qshape = phase_shape(geom, out_spatial)
    Wq = qshape[2]
    pairs = pair_columns(geom, x.shape[4], qshape, x.dtype)
    col = np.empty((CK, N * L), dtype=x.dtype)
    xq = np.zeros(phase_size(geom, C, qshape), dtype=x.dtype)
    wide = np.empty((CK, oD * oH * Wq), dtype=x.dtype)
    for n in range(N):
        gather_phases(x, n, n + 1, True, xq, geom, qshape, 0, pairs)
        im2col_block(xq, C, 1, wide, geom, qshape, out_spatial, 0, oD * oH, False, 0)
        # (C*K, rows, Wq) -> (C*K, rows, oW): drop the wide columns
        col[:, n * L:(n + 1) * L] = wide.reshape(CK, oD * oH, Wq)[:, :, :oW].reshape(CK, L)
    return col


def col2im(col, x_shape, kernel, stride, pad_left, dilation, out_spatial, out=None):
    """col (C*kd*kh*kw, N*oD*oH*oW) -> x (N, C, D, H, W): adds each column entry back into
    the input cell it came from (the adjoint of :func:`im2col`). ``out``: an optional
    C-contiguous array of shape x_shape to write into (it is overwritten).

    Written in NumPy, one strided view per kernel tap (the convolutions never build col:
    they add each panel of it into the input as soon as it is made: products.py).
    """
    _check_array("col", col, 2)
    _check_geometry(kernel, stride, pad_left, dilation)
    N, C, D, H, W = (int(s) for s in x_shape)
    out_spatial = _check_out_spatial(out_spatial)
    CK, L = C * math.prod(kernel), math.prod(out_spatial)
    if col.shape != (CK, N * L):
        raise ValueError(f"col has shape {col.shape}, expected {(CK, N * L)}")
    if out is None:
        x = np.empty((N, C, D, H, W), dtype=col.dtype)
    else:
        _check_array("out", out, 5, col.dtype)
        if out.shape != (N, C, D, H, W):
            raise ValueError(f"out has shape {out.shape}, expected {(N, C, D, H, W)}")
        x = out
    # a zero-padded input large enough for every window and for x itself
    # (the last window's last cell, teachnn.geometry.window, counted from the padded start)
    padded = [max(p + size, geometry.window(o - 1, k, s, 0, d)[-1] + 1) for p, size, o, s, k, d
              in zip(pad_left, (D, H, W), out_spatial, stride, kernel, dilation)]
    xp = np.zeros((N, C, *padded), dtype=col.dtype)
    c8 = col.reshape(C, *kernel, N, *out_spatial)       # (C, kd, kh, kw, N, oD, oH, oW)
    for tap in np.ndindex(*kernel):
        view = xp[(slice(None), slice(None)) + tuple(
            slice(t * d, t * d + (o - 1) * s + 1, s)
            for t, d, o, s in zip(tap, dilation, out_spatial, stride))]
        view += c8[(slice(None),) + tap].transpose(1, 0, 2, 3, 4)   # (N, C, oD, oH, oW)
    x[...] = xp[(slice(None), slice(None)) + tuple(
        slice(p, p + size) for p, size in zip(pad_left, (D, H, W)))]
    return x


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


def _conv_geometry(x, w, stride, pad_lr, dilation):
    """Validated (geom tuple, output spatial size) of a convolution of x with w."""
    try:        # remembered: a layer calls with the same shapes and tuples every time
        return _conv_geometry_of(x.shape[2:], w.shape[2:], stride, pad_lr, dilation)
    except TypeError:        # (lists: not hashable)
        return _conv_geometry_of.__wrapped__(x.shape[2:], w.shape[2:], stride, pad_lr, dilation)


@functools.lru_cache(maxsize=256)
def _conv_geometry_of(spatial, kernel, stride, pad_lr, dilation):
    kernel = tuple(kernel)
    pad_left = tuple(p[0] for p in pad_lr)
    _check_geometry(kernel, stride, pad_left, dilation)
    out_spatial = _out_sizes(spatial, kernel, stride, pad_lr, dilation)
    if min(out_spatial) < 1:
        raise ValueError(f"kernel does not fit in the padded input: output {out_spatial}")
    return _geom(kernel, stride, pad_left, dilation), out_spatial


def conv_forward(x, w, bias, stride, pad_lr, dilation, groups):
    """Cross-correlation, PyTorch's conv3d (1-d/2-d as views).

    x (N, C, D, H, W), w (O, C/G, kd, kh, kw), bias (O,) or None -> out (N, O, oD, oH, oW).
    ``pad_lr`` is ((left, right),) * 3.

        out[n, o, i, j, k] = bias[o] + sum_{c, a, b, e} w[o, c, a, b, e]
                             * x[n, g*C/G + c, i*sd + a*dd - pd, j*sh + b*dh - ph, k*sw + e*dw - pw]
    """
    _check_conv_operands(x, w, bias, groups)
    geom, out_spatial = _conv_geometry(x, w, stride, pad_lr, dilation)
    O, Cg = w.shape[:2]
    G, K = groups, math.prod(w.shape[2:])
    out = np.empty((x.shape[0], O) + out_spatial, dtype=x.dtype)
    if out.size == 0:
        return out
    if _is_depthwise(x, w, groups):
        depthwise_forward(x, w, bias, out, geom, PARALLEL_MIN_ELEMENTS)
        return out
    # per block: (G, O/G, C/G*K) @ im2col(x[n]) (G, C/G*K, block) -> out[n] (G, O/G, block)
    layout = phase_layout(geom, x.shape, out_spatial, G, x.dtype)
    product = product_stage(layout, w.reshape(G, O // G, Cg * K), out, bias)
    run_forward(forward_plan(layout, x, product, None, BLOCK_BYTES, PARALLEL_MIN_ELEMENTS))
    return out


def conv_backward(grad_out, x, w, stride, pad_lr, dilation, groups,
                  need_x=True, need_w=True, need_b=True):
    """Gradients of conv_forward. grad_out (N, O, oD, oH, oW).

    Returns (grad_x (N, C, D, H, W) or None, grad_w (O, C/G, kd, kh, kw) or None,
    grad_b (O,) or None). One pass over the samples does both big gradients:
    grad_w += grad_out[n] @ im2col(x[n])^T and grad_x[n] = col2im(w^T @ grad_out[n]).
    """
    _check_conv_operands(x, w, None, groups)
    _check_array("grad_out", grad_out, 5, x.dtype)
    geom, out_spatial = _conv_geometry(x, w, stride, pad_lr, dilation)
    if grad_out.shape != (x.shape[0], w.shape[0]) + out_spatial:
        raise ValueError(f"grad_out has shape {grad_out.shape}, expected "
                         f"{(x.shape[0], w.shape[0]) + out_spatial}")
    if grad_out.size == 0 or not (need_x or need_w):
        gx = np.zeros(x.shape, dtype=x.dtype) if need_x else None
        gw = np.zeros(w.shape, dtype=x.dtype) if need_w else None
        return gx, gw, (grad_out.sum(axis=(0, 2, 3, 4)) if need_b else None)
    if _is_depthwise(x, w, groups):
        return depthwise_backward(grad_out, x, w, geom, need_x, need_w, need_b,
                                  PARALLEL_MIN_ELEMENTS)
    gx = None
    if need_x and _flipped_conv_pays(x, w, grad_out, stride, pad_lr, dilation, groups):
        # stride 1: grad_x is itself a convolution, of grad_out with the flipped weight
        # (see _adjoint_padding); made by the forward's tiles, it needs no col2im
        gx = conv_forward(grad_out, _flipped_weight(w, groups), None, (1, 1, 1),
                          _adjoint_padding(w.shape[2:], stride, pad_lr, dilation), dilation,
                          groups)
        need_x = False
    gw, sums = None, None
    if need_w or need_x:
        gx_new, gw, sums = _backward_pass(grad_out, x, w, geom, out_spatial, groups, need_x,
                                           need_w, need_b)
        gx = gx_new if need_x else gx
    gb = None
    if need_b:
        gb = grad_out.sum(axis=(0, 2, 3, 4)) if sums is None else sums.astype(x.dtype)
    return gx, gw, gb


def _backward_pass(grad_out, x, w, geom, out_spatial, G, need_x, need_w, need_b):
    """(grad_x or None, grad_w or None, float64 bias sums or None) from one BackwardPlan;
    the weight gradient is made again with zeroed wide columns if x holds inf or NaN (0 *
    inf = NaN would otherwise leak in from the wide columns)."""
    O, Cg = w.shape[:2]
    layout = phase_layout(geom, x.shape, out_spatial, G, x.dtype)
    # the plan writes every cell of grad_x (col2im of whole samples): no need to zero it
    gx = np.empty(x.shape, dtype=x.dtype) if need_x else None
    wgrad = weight_grad_stage(layout, grad_out) if need_w else None
    scatter = None
    if need_x:
        w3 = w.reshape(G, O // G, Cg * math.prod(w.shape[2:]))   # (G, O/G, C/G*K)
        scatter = scatter_stage(layout, w3, grad_out, gx, None)
    gw3, sums = run_backward(backward_plan(layout, x if need_w else None, wgrad, scatter,
                                           need_b, BLOCK_BYTES, PARALLEL_MIN_ELEMENTS))
    gw = None
    if need_w:
        if not np.isfinite(gw3).all():
            gw3 = _weight_grad_rerun(layout, x, grad_out)
        gw = gw3.reshape(w.shape)                         # (G, O/G, C/G*K) -> w's shape
    return gx, gw, sums


def _weight_grad_rerun(layout, gathered, rows):
    """The weight gradient again, by BLAS on column matrices whose wide columns are zero."""
    wgrad = weight_grad_stage(layout, rows, zero_wide=True)
    return run_backward(backward_plan(layout, gathered, wgrad, None, False, BLOCK_BYTES,
                                      PARALLEL_MIN_ELEMENTS))[0]


def _flipped_conv_pays(x, w, grad_out, stride, pad_lr, dilation, groups):
    """Make grad_x as a convolution (stride 1 only) with at least 4 tiles of input channels
    to share each packed panel, and when grad_x has no more (wide) positions than grad_out
    (a 'same' padding), as the zero border taps are then multiplied too
    (docs/performance.md has the A/B)."""
    Cg, kw = w.shape[1], w.shape[4]
    if _adjoint_padding(w.shape[2:], stride, pad_lr, dilation) is None:
        return False
    return Cg >= 32 and Cg % MR == 0 and (
        math.prod(x.shape[2:4]) * (x.shape[4] + kw - 1) * 20
        <= math.prod(grad_out.shape[2:4]) * (grad_out.shape[4] + kw - 1) * 21)


def _adjoint_padding(kernel, stride, pad_lr, dilation):
    """With stride 1 the input gradient of a convolution is a convolution too:
        grad_x[n, c, y] = sum_{o, t} w[o, c, t] * grad_out[n, o, y + p - t*d]
                        = sum_{o, t'} w[o, c, k-1-t'] * grad_out[n, o, y + t'*d - (d*(k-1) - p)]
    (per axis; t' = k-1-t), i.e. grad_out convolved with the flipped weight (in and out channels
    swapped, taps reversed: _flipped_weight) and padded by d*(k-1) - p on each side, which
    gives back the input's size. Returns that padding ((left, right),) * 3, or None when
    the trick does not apply (a stride, or a padding beyond the kernel's reach)."""
    out = []
    for k, s, (pl, pr), d in zip(kernel, stride, pad_lr, dilation):
        reach = d * (k - 1)
        if s != 1 or pl > reach or pr > reach:
            return None
        out.append((reach - pl, reach - pr))
    return tuple(out)


def _flipped_weight(w, G):
    """w (O, C/G, kd, kh, kw) -> (C, O/G, kd, kh, kw), each group's in and out channels
    swapped and its taps reversed along every axis (see _adjoint_padding)."""
    O, Cg = w.shape[:2]
    wg = w.reshape((G, O // G, Cg) + w.shape[2:])[:, :, :, ::-1, ::-1, ::-1]
    return np.ascontiguousarray(wg.transpose(0, 2, 1, 3, 4, 5)).reshape(
        (G * Cg, O // G) + w.shape[2:])


# --------------------------------------------------------------------------------------
# Transposed convolution: the adjoint of conv (the same stages, swapped roles)
# --------------------------------------------------------------------------------------
def _check_transpose_operands(x, w, groups, stride, padding, dilation, out_spatial):
    _check_array("x", x, 5)
    _check_array("weight", w, 5, x.dtype)
    Cin = w.shape[0]
    if groups < 1 or x.shape[1] != Cin or Cin % groups:
        raise ValueError(f"x has {x.shape[1]} channels, weight expects {Cin} (groups={groups})")
    try:        # remembered, as _conv_geometry
        return _transpose_geometry_of(x.shape[2:], w.shape[2:], stride, padding, dilation,
                                      out_spatial)
    except TypeError:        # (lists: not hashable)
        return _transpose_geometry_of.__wrapped__(x.shape[2:], w.shape[2:], stride, padding,
                                                  dilation, out_spatial)


@functools.lru_cache(maxsize=256)
def _transpose_geometry_of(spatial, kernel, stride, padding, dilation, out_spatial):
    kernel = tuple(kernel)
    _check_geometry(kernel, stride, padding, dilation)
    out_spatial = _check_out_spatial(out_spatial)
    pad_lr = tuple((p, p) for p in padding)
    # every input cell must land on a window of the matching conv over the output (the conv
    # may have more windows when output_padding >= stride, allowed while < dilation)
    back = _out_sizes(out_spatial, kernel, stride, pad_lr, dilation)
    if any(b < L for b, L in zip(back, spatial)):
        raise ValueError(f"output size {out_spatial} does not match input {spatial}")
    return _geom(kernel, stride, padding, dilation), out_spatial


def conv_transpose_forward(x, w, bias, stride, padding, dilation, groups, out_spatial):
    """PyTorch's conv_transpose3d. x (N, Cin, D, H, W), w (Cin, Cout/G, kd, kh, kw)
    -> out (N, Cout, *out_spatial).

    This is conv's input gradient with x in the role of grad_out:
    out[n] = col2im(w^T @ x[n]) (plus bias). ``out_spatial`` already includes
    output_padding (those extra cells receive no input, only the bias).
    """
    geom, out_spatial = _check_transpose_operands(x, w, groups, stride, padding, dilation,
                                                  out_spatial)
    Cin, Coutg = w.shape[:2]
    N, G, K = x.shape[0], groups, math.prod(w.shape[2:])
    Cout = Coutg * G
    if bias is not None:
        _check_array("bias", bias, 1, x.dtype)
        if bias.shape[0] != Cout:
            raise ValueError(f"bias has {bias.shape[0]} entries, expected {Cout}")
    empty = x.size == 0 or N * Cout * math.prod(out_spatial) == 0
    # the plan writes every cell (col2im of whole samples): zero only when it does not run
    out = (np.zeros if empty else np.empty)((N, Cout) + out_spatial, dtype=x.dtype)
    if not empty:
        # per block: (G, Cout/G*K, Cin/G) @ x[n] (G, Cin/G, block) -> col2im -> out[n]
        layout = phase_layout(geom, out.shape, x.shape[2:], G, x.dtype)
        scatter = scatter_stage(layout, w.reshape(G, Cin // G, Coutg * K), x, out, bias)
        run_transpose(transpose_plan(layout, scatter, BLOCK_BYTES, PARALLEL_MIN_ELEMENTS))
    elif bias is not None:
        out += bias.reshape(1, Cout, 1, 1, 1)
    return out


def conv_transpose_backward(grad_out, x, w, stride, padding, dilation, groups,
                            need_x=True, need_w=True, need_b=True):
    """Gradients of conv_transpose_forward; grad_out (N, Cout, *out_spatial).

    grad_x is conv's forward applied to grad_out: grad_x[n] = w @ im2col(grad_out[n]);
    grad_w = sum over samples of x[n] @ im2col(grad_out[n])^T. One pass does both.
    """
    _check_array("grad_out", grad_out, 5, x.dtype)
    geom, out_spatial = _check_transpose_operands(x, w, groups, stride, padding, dilation,
                                                  grad_out.shape[2:])
    Cin, Coutg = w.shape[:2]
    N, G, K = x.shape[0], groups, math.prod(w.shape[2:])
    Cout = Coutg * G
    if grad_out.shape[:2] != (N, Cout):
        raise ValueError(f"grad_out has shape {grad_out.shape}, expected {(N, Cout)} leading")
    gw = np.zeros(w.shape, dtype=x.dtype) if need_w else None
    gb = grad_out.reshape(N, Cout, -1).sum(axis=(0, 2)) if need_b else None
    if x.size == 0 or grad_out.size == 0 or not (need_x or need_w):
        return (np.zeros(x.shape, dtype=x.dtype) if need_x else None), gw, gb
    gx = np.empty(x.shape, dtype=x.dtype) if need_x else None   # every cell is written
    w3 = w.reshape(G, Cin // G, Coutg * K)                # (G, Cin/G, Cout/G*K)
    layout = phase_layout(geom, grad_out.shape, x.shape[2:], G, x.dtype)
    wgrad = weight_grad_stage(layout, x) if need_w else None
    if need_x:      # grad_x = conv of grad_out, x's weight gradient riding along
        gw3 = run_forward(forward_plan(layout, grad_out, product_stage(layout, w3, gx, None),
                                       wgrad, BLOCK_BYTES, PARALLEL_MIN_ELEMENTS))
    else:
        gw3 = run_backward(backward_plan(layout, grad_out, wgrad, None, False, BLOCK_BYTES,
                                         PARALLEL_MIN_ELEMENTS))[0]
    if need_w and not np.isfinite(gw3).all():   # inf/NaN input: redo with zeroed wide columns
        gw3 = _weight_grad_rerun(layout, grad_out, x)
    if need_w:
        gw = gw3.reshape(w.shape)                         # (G, Cin/G, Cout/G*K) -> w's shape
    return gx, gw, gb
