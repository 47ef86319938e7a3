"""Convolution as the formula says it: the readable loops (teaching text and test oracle).

Open this file to see what ``F.conv1d/2d/3d`` and ``F.conv_transpose1d/2d/3d`` compute.
The fast kernels (``teachnn.kernels.fast_conv``) give the same numbers with im2col, matrix
products and register tiles; select these loops instead with ``TEACHNN_KERNELS=reference``
or ``with teachnn.kernels.use("reference"): ...``.

Everything is 3-d: a 1-d input (N, C, L) arrives as the view (N, C, 1, 1, L) and a 2-d
input as (N, C, 1, H, W), so each loop is written once. One axis at a time
(``teachnn.geometry``)::

    output size            O = floor((L + p_left + p_right - d*(k-1) - 1) / s) + 1
    output cell i, tap t   reads input cell  i*s + t*d - p_left   (geometry.window)
    cells outside [0, L)   are the zero padding: they add nothing

Three loops walk the same windows; only what is read and what is written changes:

    forward        out[n, o, i]   +=  w[o, c, t] * x[n, g*C/G + c, i*s + t*d - p]
    input grad     gx[n, g*C/G + c, i*s + t*d - p]  +=  w[o, c, t] * g[n, o, i]
    weight grad    gw[o, c, t]    +=  g[n, o, i] * x[n, g*C/G + c, i*s + t*d - p]

(g = o // (O/G) is the group of output channel o.) The input gradient is the forward loop
with the arrow turned round -- which is exactly a transposed convolution, so the
transposed convolution below reuses these three loops with the roles swapped.

The public functions take and return exactly what the fast module's do (a module swap);
the Python wrappers validate every array with the fast module's checks before any jitted
call, because Numba does no bounds checks.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# The validation is shared with the fast kernels, so both refuse the same input the same way.
from ..fast_conv import (_check_array, _check_conv_operands, _check_geometry,
                         _check_out_spatial, _check_transpose_operands, _conv_geometry)

__all__ = [
    "im2col",
    "col2im",
    "conv_forward",
    "conv_backward",
    "conv_transpose_forward",
    "conv_transpose_backward",
]


# --------------------------------------------------------------------------------------
# The three loops (jitted, float32 and float64)
# --------------------------------------------------------------------------------------
@njit(cache=True)
def _conv_forward_loop(x, w, out, stride, pad_left, dilation, groups):
    """out[n, o, i, j, k] = bias[o] + sum_{c, a, b, e} w[o, c, a, b, e]
                          * x[n, g*C/G + c, i*sd + a*dd - pd, j*sh + b*dh - ph, k*sw + e*dw - pw]

    (``out`` arrives holding the bias; each product of the sum is added to it.)
    """
    # x: (N, C, D, H, W)   w: (O, C/G, kd, kh, kw)   out: (N, O, oD, oH, oW), float64
    N, C, D, H, W = x.shape
    O, Cg, kd, kh, kw = w.shape
    oD, oH, oW = out.shape[2:]
    for n in range(N):
        for o in range(O):
            g = o // (O // groups)                   # the group of output channel o
            for i in range(oD):
                for j in range(oH):
                    for k in range(oW):
                        for c in range(Cg):
                            for a in range(kd):
                                z = i * stride[0] + a * dilation[0] - pad_left[0]
                                for b in range(kh):
                                    y = j * stride[1] + b * dilation[1] - pad_left[1]
                                    for e in range(kw):
                                        u = k * stride[2] + e * dilation[2] - pad_left[2]
                                        if 0 <= z < D and 0 <= y < H and 0 <= u < W:
                                            out[n, o, i, j, k] += (w[o, c, a, b, e]
                                                                   * x[n, g * Cg + c, z, y, u])


@njit(cache=True)
def _conv_input_grad_loop(grad_out, w, grad_x, stride, pad_left, dilation, groups):
    """The forward loop turned round: every product w * x of the forward sends
    w[o, c, a, b, e] * grad_out[n, o, i, j, k] back to the x cell it read,

        grad_x[n, g*C/G + c, i*sd + a*dd - pd, ...] += w[o, c, a, b, e] * grad_out[n, o, i, j, k]
    """
    # grad_out: (N, O, oD, oH, oW)   w: (O, C/G, kd, kh, kw)   grad_x: (N, C, D, H, W), float64
    N, C, D, H, W = grad_x.shape
    O, Cg, kd, kh, kw = w.shape
    oD, oH, oW = grad_out.shape[2:]
    for n in range(N):
        for o in range(O):
            g = o // (O // groups)
            for i in range(oD):
                for j in range(oH):
                    for k in range(oW):
                        for c in range(Cg):
                            for a in range(kd):
                                z = i * stride[0] + a * dilation[0] - pad_left[0]
                                for b in range(kh):
                                    y = j * stride[1] + b * dilation[1] - pad_left[1]
                                    for e in range(kw):
                                        u = k * stride[2] + e * dilation[2] - pad_left[2]
                                        if 0 <= z < D and 0 <= y < H and 0 <= u < W:
                                            grad_x[n, g * Cg + c, z, y, u] += (
                                                w[o, c, a, b, e] * grad_out[n, o, i, j, k])


@njit(cache=True)
def _conv_weight_grad_loop(grad_out, x, grad_w, stride, pad_left, dilation, groups):
    """Each weight multiplied every x cell its tap read, so its gradient sums those cells
    times the output's gradient, over samples and output positions:

        grad_w[o, c, a, b, e] += grad_out[n, o, i, j, k] * x[n, g*C/G + c, i*sd + a*dd - pd, ...]
    """
    # grad_out: (N, O, oD, oH, oW)   x: (N, C, D, H, W)   grad_w: (O, C/G, kd, kh, kw), float64
    N, C, D, H, W = x.shape
    O, Cg, kd, kh, kw = grad_w.shape
    oD, oH, oW = grad_out.shape[2:]
    for n in range(N):
        for o in range(O):
            g = o // (O // groups)
            for i in range(oD):
                for j in range(oH):
                    for k in range(oW):
                        for c in range(Cg):
                            for a in range(kd):
                                z = i * stride[0] + a * dilation[0] - pad_left[0]
                                for b in range(kh):
                                    y = j * stride[1] + b * dilation[1] - pad_left[1]
                                    for e in range(kw):
                                        u = k * stride[2] + e * dilation[2] - pad_left[2]
                                        if 0 <= z < D and 0 <= y < H and 0 <= u < W:
                                            grad_w[o, c, a, b, e] += (
                                                grad_out[n, o, i, j, k] * x[n, g * Cg + c, z, y, u])


@njit(cache=True)
def _im2col_loop(x, col, stride, pad_left, dilation):
    """col[c*K + tap, n*L + position] = x[n, c, i*sd + a*dd - pd, j*sh + b*dh - ph, ...]:
    every window laid out as one column (0 where the window reads padding). Then the
    convolution is one matrix product: out[n, o] = w.reshape(O, C*K) @ col[:, n*L:(n+1)*L]."""
    # x: (N, C, D, H, W)   col: (C, kd, kh, kw, N, oD, oH, oW), zeros
    N, C, D, H, W = x.shape
    _, kd, kh, kw, _, oD, oH, oW = col.shape
    for c in range(C):
        for a in range(kd):
            for b in range(kh):
                for e in range(kw):
                    for n in range(N):
                        for i in range(oD):
                            for j in range(oH):
                                for k in range(oW):
                                    z = i * stride[0] + a * dilation[0] - pad_left[0]
                                    y = j * stride[1] + b * dilation[1] - pad_left[1]
                                    u = k * stride[2] + e * dilation[2] - pad_left[2]
                                    if 0 <= z < D and 0 <= y < H and 0 <= u < W:
                                        col[c, a, b, e, n, i, j, k] = x[n, c, z, y, u]


@njit(cache=True)
def _col2im_loop(col, x, stride, pad_left, dilation):
    """The adjoint of _im2col_loop: every entry of col is added back to the x cell it was
    copied from, x[n, c, i*sd + a*dd - pd, ...] += col[c*K + tap, n*L + position]."""
    # col: (C, kd, kh, kw, N, oD, oH, oW)   x: (N, C, D, H, W), zeros
    N, C, D, H, W = x.shape
    _, kd, kh, kw, _, oD, oH, oW = col.shape
    for c in range(C):
        for a in range(kd):
            for b in range(kh):
                for e in range(kw):
                    for n in range(N):
                        for i in range(oD):
                            for j in range(oH):
                                for k in range(oW):
                                    z = i * stride[0] + a * dilation[0] - pad_left[0]
                                    y = j * stride[1] + b * dilation[1] - pad_left[1]
                                    u = k * stride[2] + e * dilation[2] - pad_left[2]
                                    if 0 <= z < D and 0 <= y < H and 0 <= u < W:
                                        x[n, c, z, y, u] += col[c, a, b, e, n, i, j, k]


# --------------------------------------------------------------------------------------
# The public functions: validate, run a loop in float64, round once to the input's dtype
# --------------------------------------------------------------------------------------
def _ints(values):
    """A tuple of Python ints, as the jitted loops take their geometry."""
    return tuple(int(v) for v in values)


def _f64(a):
    """The loops add in float64 (the most accurate answer, one rounding at the end)."""
    return np.ascontiguousarray(a, dtype=np.float64)


def _bias_grad(grad_out):
    """grad_b[o] = sum of grad_out[n, o, ...] over samples and positions."""
    return grad_out.sum(axis=(0, 2, 3, 4), dtype=np.float64).astype(grad_out.dtype)


def conv_forward(x, w, bias, stride, pad_lr, dilation, groups):
    """Cross-correlation, PyTorch's conv3d (1-d/2-d as views).

    x (N, C, D, H, W), w (O, C/G, kd, kh, kw), bias (O,) or None -> out (N, O, oD, oH, oW);
    ``pad_lr`` is ((left, right),) * 3 and oD, oH, oW come from
    ``geometry.conv_output_size``. The loop: :func:`_conv_forward_loop`.
    """
    _check_conv_operands(x, w, bias, groups)
    _, out_spatial = _conv_geometry(x, w, stride, pad_lr, dilation)
    out = np.zeros((x.shape[0], w.shape[0]) + out_spatial)              # (N, O, oD, oH, oW)
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1, 1)
    _conv_forward_loop(_f64(x), _f64(w), out, _ints(stride), _ints(p[0] for p in pad_lr),
                       _ints(dilation), int(groups))
    return out.astype(x.dtype)


def conv_backward(grad_out, x, w, stride, pad_lr, dilation, groups,
                  need_x=True, need_w=True, need_b=True):
    """Gradients of :func:`conv_forward`; grad_out (N, O, oD, oH, oW).

    Returns (grad_x (N, C, D, H, W) or None, grad_w (O, C/G, kd, kh, kw) or None,
    grad_b (O,) or None). The loops: :func:`_conv_input_grad_loop`,
    :func:`_conv_weight_grad_loop`.
    """
    _check_conv_operands(x, w, None, groups)
    _check_array("grad_out", grad_out, 5, x.dtype)
    _, out_spatial = _conv_geometry(x, w, stride, pad_lr, dilation)
    if grad_out.shape != x.shape[:1] + w.shape[:1] + out_spatial:
        raise ValueError(f"grad_out has shape {grad_out.shape}, expected "
                         f"{x.shape[:1] + w.shape[:1] + out_spatial}")
    geometry = (_ints(stride), _ints(p[0] for p in pad_lr), _ints(dilation), int(groups))
    gx = gw = gb = None
    if need_x:
        gx = np.zeros(x.shape)
        _conv_input_grad_loop(_f64(grad_out), _f64(w), gx, *geometry)
        gx = gx.astype(x.dtype)
    if need_w:
        gw = np.zeros(w.shape)
        _conv_weight_grad_loop(_f64(grad_out), _f64(x), gw, *geometry)
        gw = gw.astype(x.dtype)
    if need_b:
        gb = _bias_grad(grad_out)
    return gx, gw, gb


def im2col(x, kernel, stride, pad_left, dilation, out_spatial):
    """x (N, C, D, H, W) -> col (C*kd*kh*kw, N*oD*oH*oW): row ``c*K + tap`` is channel c
    seen through kernel tap (a, b, e), column ``n*L + position`` one output position of
    sample n. ``pad_left``: zeros before each axis (cells past the end read as zero).
    The loop: :func:`_im2col_loop`."""
    _check_array("x", x, 5)
    _check_geometry(kernel, stride, pad_left, dilation)
    out_spatial = _check_out_spatial(out_spatial)
    N, C = x.shape[:2]
    col = np.zeros((C,) + _ints(kernel) + (N,) + out_spatial)    # (C, kd, kh, kw, N, oD, oH, oW)
    _im2col_loop(_f64(x), col, _ints(stride), _ints(pad_left), _ints(dilation))
    return col.reshape(C * int(np.prod(kernel)), -1).astype(x.dtype)


def col2im(col, x_shape, kernel, stride, pad_left, dilation, out_spatial, out=None):
    """col (C*kd*kh*kw, N*oD*oH*oW) -> x (N, C, D, H, W), the adjoint of :func:`im2col`:
    each column entry added back into the input cell it came from. ``out``: an optional
    C-contiguous array of shape x_shape to write into. The loop: :func:`_col2im_loop`."""
    _check_array("col", col, 2)
    _check_geometry(kernel, stride, pad_left, dilation)
    out_spatial = _check_out_spatial(out_spatial)
    N, C = int(x_shape[0]), int(x_shape[1])
    if col.shape != (C * int(np.prod(kernel)), N * int(np.prod(out_spatial))):
        raise ValueError(f"col has shape {col.shape}, expected "
                         f"{(C * int(np.prod(kernel)), N * int(np.prod(out_spatial)))}")
    if out is not None:
        _check_array("out", out, 5, col.dtype)
        if out.shape != tuple(int(s) for s in x_shape):
            raise ValueError(f"out has shape {out.shape}, expected {tuple(x_shape)}")
    x = np.zeros(tuple(int(s) for s in x_shape))
    _col2im_loop(_f64(col).reshape((C,) + _ints(kernel) + (N,) + out_spatial), x,
                 _ints(stride), _ints(pad_left), _ints(dilation))
    if out is None:
        return x.astype(col.dtype)
    out[...] = x
    return out


# --------------------------------------------------------------------------------------
# Transposed convolution: the same three loops with the roles swapped
# --------------------------------------------------------------------------------------
# A transposed convolution's weight (Cin, Cout/G, k...) is, read as a convolution's weight
# (O, C/G, k...), the weight of the convolution from its *output* (Cout channels,
# out_spatial) to its *input* (Cin channels). So:
#   conv_transpose forward   = that convolution's input gradient, with x as "grad_out"
#   conv_transpose grad_x    = that convolution's forward, applied to grad_out
#   conv_transpose grad_w    = that convolution's weight gradient (input grad_out, "grad_out" x)
def conv_transpose_forward(x, w, bias, stride, padding, dilation, groups, out_spatial):
    """PyTorch's conv_transpose3d. x (N, Cin, D, H, W), w (Cin, Cout/G, kd, kh, kw)
    -> out (N, Cout, *out_spatial); ``out_spatial`` comes from
    ``geometry.conv_transpose_output_size`` (output_padding included). Input cell i of an
    axis adds x[i] * w[t] to output cell i*s + t*d - p (``geometry.transposed_targets``).
    """
    _, out_spatial = _check_transpose_operands(x, w, groups, stride, padding, dilation,
                                               out_spatial)
    Cout = w.shape[1] * groups
    if bias is not None:
        _check_array("bias", bias, 1, x.dtype)
        if bias.shape[0] != Cout:
            raise ValueError(f"bias has {bias.shape[0]} entries, expected {Cout}")
    out = np.zeros((x.shape[0], Cout) + out_spatial)             # (N, Cout, *out_spatial)
    _conv_input_grad_loop(_f64(x), _f64(w), out, _ints(stride), _ints(padding),
                          _ints(dilation), int(groups))
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1, 1)
    return out.astype(x.dtype)


def conv_transpose_backward(grad_out, x, w, stride, padding, dilation, groups,
                            need_x=True, need_w=True, need_b=True):
    """Gradients of :func:`conv_transpose_forward`; grad_out (N, Cout, *out_spatial).
    Returns (grad_x or None, grad_w or None, grad_b or None), shaped like x, w and (Cout,)."""
    _check_array("grad_out", grad_out, 5, x.dtype)
    _check_transpose_operands(x, w, groups, stride, padding, dilation, grad_out.shape[2:])
    Cout = w.shape[1] * groups
    if grad_out.shape[:2] != (x.shape[0], Cout):
        raise ValueError(f"grad_out has shape {grad_out.shape}, expected "
                         f"{(x.shape[0], Cout)} leading")
    geometry = (_ints(stride), _ints(padding), _ints(dilation), int(groups))
    gx = gw = gb = None
    if need_x:
        # the loop visits only x's cells: with output_padding the convolution of grad_out
        # may have a few more positions, which belong to no cell of x
        gx = np.zeros(x.shape)
        _conv_forward_loop(_f64(grad_out), _f64(w), gx, *geometry)
        gx = gx.astype(x.dtype)
    if need_w:
        gw = np.zeros(w.shape)
        _conv_weight_grad_loop(_f64(x), _f64(grad_out), gw, *geometry)
        gw = gw.astype(x.dtype)
    if need_b:
        gb = _bias_grad(grad_out)
    return gx, gw, gb
