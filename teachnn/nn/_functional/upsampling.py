"""Resizing feature maps: ``F.interpolate`` (and the older ``F.upsample``).

Every mode is *separable*: resizing an (N, C, D, H, W) input resizes one spatial axis at a
time, and along one axis each output position i reads from the input as follows
(L_in -> L_out, ``scale`` = 1/scale_factor when given, else L_in / L_out):

    nearest        src = min(floor(i * scale), L_in - 1)                      (float32 math)
    nearest-exact  src = min(floor((i + 0.5) * scale), L_in - 1)
    linear         x = (i + 0.5) * scale - 0.5, clamped at 0        (align_corners=False)
                   x = i * (L_in - 1) / (L_out - 1)                  (align_corners=True)
                   i0 = floor(x), i1 = min(i0 + 1, L_in - 1), w = x - i0
                   out[i] = (1 - w) * in[i0] + w * in[i1]
    (bilinear and trilinear are linear along 2 and 3 axes.)
    bicubic        x as for linear but not clamped, i0 = floor(x), t = x - i0:
                   out[i] = sum over k = -1..2 of cubic(k - t) * in[clamp(i0 + k)]
                   (Keys' cubic convolution with A = -0.75, as PyTorch; 4-d input only)

Each mode is a list of *taps* per axis: an index array and a weight array (nearest has one
tap without weights, linear two, cubic four; antialias=True as many as the widened filter
covers when shrinking).

Backward is the same map read the other way: each output gradient is added back to the
input positions it was read from, with the same weights (a scatter-add per axis).
'area' mode is adaptive average pooling (as in PyTorch).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..._errors import check_kwargs, shape_str
from ...autograd import Function
from ...tensor import Tensor
from . import pooling

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_LINEAR_RANK = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}


def _nearest_plan(in_size, out_size, scale, exact):
    """One tap: the source index of each output position (PyTorch's float32 arithmetic)."""
    if out_size == in_size:
        return ((np.arange(out_size), None),)
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 \
        else np.float32(in_size) / np.float32(out_size)
    dst = np.arange(out_size, dtype=np.float32)
    if exact:
        dst = dst + np.float32(0.5)
    src = np.floor(dst * s).astype(np.int64)
    return ((np.minimum(src, in_size - 1), None),)


def _source_position(in_size, out_size, scale, align_corners, dtype, cubic):
    """The (fractional) input position each output position samples, in the input's dtype."""
    dst = np.arange(out_size, dtype=dtype)
    if align_corners:
        ratio = dtype.type((in_size - 1) / (out_size - 1)) if out_size > 1 else dtype.type(0)
        return ratio * dst
    ratio = dtype.type(1.0 / scale) if scale is not None and scale > 0 \
        else dtype.type(in_size) / dtype.type(out_size)
    src = ratio * (dst + dtype.type(0.5)) - dtype.type(0.5)
    return src if cubic else np.maximum(src, dtype.type(0))


def _linear_plan(in_size, out_size, scale, align_corners, dtype):
    """Two taps: out[i] = w0[i] * in[i0[i]] + w1[i] * in[i1[i]]."""
    if out_size == in_size:
        idx = np.arange(out_size)
        return ((idx, np.ones(out_size, dtype)), (idx, np.zeros(out_size, dtype)))
    src = _source_position(in_size, out_size, scale, align_corners, dtype, cubic=False)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    w1 = np.clip(src - i0, 0, 1).astype(dtype)
    i1 = i0 + (i0 < in_size - 1)
    return ((i0, (1 - w1).astype(dtype)), (i1, w1))


def _cubic_plan(in_size, out_size, scale, align_corners, dtype, a=-0.75):
    """Four taps at i0-1 .. i0+2 (clamped to the edge) with Keys' cubic weights."""
    src = _source_position(in_size, out_size, scale, align_corners, dtype, cubic=True)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    t = np.clip(src - i0, 0, 1).astype(dtype)

    def near(x):                       # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):                        # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    return tuple((np.clip(i0 + k, 0, in_size - 1), w.astype(dtype))
                 for k, w in zip((-1, 0, 1, 2), weights))


def _aa_plan(in_size, out_size, scale, align_corners, dtype, cubic):
    """antialias=True (PIL's resampling, as PyTorch): when shrinking, each output position
    averages every input position under a filter stretched by the shrink factor, so no
    input pixel is skipped. Triangle filter for bilinear, cubic (A = -0.5) for bicubic."""
    one = dtype.type(1)
    if align_corners:
        ratio = dtype.type((in_size - 1) / (out_size - 1)) if out_size > 1 else dtype.type(0)
    else:
        ratio = dtype.type(1.0 / scale) if scale is not None and scale > 0 \
            else dtype.type(in_size) / dtype.type(out_size)
    interp_size = 4 if cubic else 2
    support = dtype.type(interp_size * 0.5) * (ratio if ratio >= 1 else one)
    invscale = one / ratio if ratio >= 1 else one
    center = ratio * (np.arange(out_size, dtype=dtype) + dtype.type(0.5))     # (O,)
    xmin = np.maximum(np.trunc(center - support + dtype.type(0.5)).astype(np.int64), 0)
    xsize = np.minimum(np.trunc(center + support + dtype.type(0.5)).astype(np.int64),
                       in_size) - xmin
    taps = int(xsize.max())
    j = np.arange(taps)[:, None]                                              # (T, 1)
    x = ((j + xmin - center + dtype.type(0.5)) * invscale).astype(dtype)      # (T, O)
    ax = np.abs(x)
    if cubic:
        a = -0.5
        w = np.where(ax < 1, ((a + 2) * ax - (a + 3)) * ax * ax + 1,
                     np.where(ax < 2, (((ax - 5) * ax + 8) * ax - 4) * a, 0))
    else:
        w = np.where(ax < 1, 1 - ax, 0)
    w = np.where(j < xsize, w, 0).astype(dtype)                               # (T, O)
    total = w.sum(axis=0)
    w = np.where(total != 0, w / np.where(total != 0, total, 1), w).astype(dtype)
    index = np.minimum(xmin + j, in_size - 1)                                 # (T, O)
    return tuple((index[t], w[t]) for t in range(taps))


def _along(weights, axis, ndim):
    """Shape a per-position weight vector to broadcast along ``axis`` of an ndim array."""
    shape = [1] * ndim
    shape[axis] = weights.shape[0]
    return weights.reshape(shape)


def _scatter(grad, index, axis, in_size):
    """The adjoint of ``np.take(x, index, axis)``: add every slice back where it came from.

    ``index`` never decreases along the output, so the output positions that read input
    position j form one short run. The loop walks the offsets within a run (a few steps, at
    most about L_out / L_in + 1); each step adds one whole slice per input position, masked
    where a run is shorter, so every step is a plain vectorised take, multiply and add."""
    rows, starts, counts = np.unique(index, return_index=True, return_counts=True)
    acc = np.take(grad, starts, axis=axis)                       # offset 0 of every run
    for offset in range(1, int(counts.max()) if counts.size else 0):
        longer = counts > offset                                 # runs that reach this offset
        picked = np.take(grad, np.where(longer, starts + offset, starts), axis=axis)
        acc += picked * _along(longer.astype(grad.dtype), axis, grad.ndim)
    if rows.size == in_size:                                     # every input position read
        return acc
    shape = list(grad.shape)
    shape[axis] = in_size
    out = np.zeros(shape, dtype=grad.dtype)                      # unread positions get 0
    out[(slice(None),) * axis + (rows,)] = acc
    return out


class InterpolateFunction(Function):
    """Resize each spatial axis in turn with its taps (see the module docstring)."""

    @staticmethod
    def forward(ctx, x, plans):
        out = x._data
        for k, taps in enumerate(plans):
            axis = 2 + k
            if taps[0][1] is None:                             # nearest: a plain gather
                out = np.take(out, taps[0][0], axis)
                continue
            terms = [np.take(out, index, axis) * _along(weight, axis, out.ndim)
                     for index, weight in taps]
            out = terms[0]
            for term in terms[1:]:
                out += term                                    # in place: terms are fresh
        ctx.plans, ctx.in_shape = plans, x._data.shape
        return Tensor(np.ascontiguousarray(out, dtype=x._data.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        for k in reversed(range(len(ctx.plans))):            # undo the last axis first
            axis, in_size, taps = 2 + k, ctx.in_shape[2 + k], ctx.plans[k]
            if taps[0][1] is None:
                g = _scatter(g, taps[0][0], axis, in_size)
                continue
            parts = [_scatter(g * _along(weight, axis, g.ndim), index, axis, in_size)
                     for index, weight in taps]
            g = parts[0]
            for part in parts[1:]:
                g += part
        return g.astype(grad_out._data.dtype, copy=False), None


def _backward_name(mode, dims):
    if mode in ("nearest", "nearest-exact"):
        prefix = "UpsampleNearest" if mode == "nearest" else "UpsampleNearestExact"
        return f"{prefix}{dims}DBackward0"
    return {"linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
            "trilinear": "UpsampleTrilinear3DBackward0",
            "bicubic": "UpsampleBicubic2DBackward0"}[mode]


_FUNCTIONS = {}


def _function_for(name):
    """One Function subclass per PyTorch node name, so grad_fn prints like PyTorch's."""
    cls = _FUNCTIONS.get(name)
    if cls is None:
        cls = type(name.replace("Backward0", "Function"), (InterpolateFunction,),
                   {"_backward_name": name})
        _FUNCTIONS[name] = cls
    return cls


def _scale_value(f):
    if isinstance(f, bool) or not isinstance(f, (int, float, np.integer, np.floating)):
        raise TypeError(f"interpolate(): scale_factor must be a number or a tuple of numbers, "
                        f"but got {f!r} ({type(f).__name__})")
    return float(f)


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


@check_kwargs
def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial axes of ``input`` to ``size`` or by ``scale_factor``.

    Args:
        size: int or tuple, the output's spatial size.
        scale_factor: float or tuple; output size = floor(input size * scale_factor).
        mode: 'nearest' (default), 'nearest-exact', 'linear' (3-d input), 'bilinear'
            (4-d), 'bicubic' (4-d), 'trilinear' (5-d), 'area' (adaptive average pooling).
        align_corners: for the linear modes only; True maps the corner pixels' centres onto
            each other, False (default) treats pixels as areas (see the module docstring).
        antialias: bilinear / bicubic only; when shrinking, average every input pixel under
            a widened filter instead of sampling a few (PIL's and torchvision's resize).

    Shapes: input (N, C, L) / (N, C, H, W) / (N, C, D, H, W) -> same N, C, new sizes.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
            f"{input._data.ndim}D) for the modes: nearest | linear | bilinear | bicubic | "
            f"trilinear | area | nearest-exact (got mode={mode!r})")
    if align_corners is not None and not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"interpolate(): align_corners must be True, False or None, but got "
                        f"{align_corners!r}")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    ndim = input._data.ndim
    dim = ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input._data.shape[2:])} and output "
                    f"size of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                    "format and output size in (o1, o2, ...,oK) format.")
            if not all(_is_int(s) for s in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, "
                                "int] or Tuple[int, int, int], but got size with types "
                                f"{[type(s) for s in size]}")
            output_size = [int(s) for s in size]
        else:
            if not _is_int(size):
                raise TypeError(f"expected size to be an int or a tuple of ints, but got "
                                f"{type(size).__name__}")
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(input._data.shape[2:])} "
                    f"and scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [_scale_value(s) for s in scale_factor]
        else:
            scale_factors = [_scale_value(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if ndim not in (3, 4, 5):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the "
            f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
            f"(got mode={mode}). Give the input as [batch, channels, *spatial], e.g. "
            "x.unsqueeze(0) for one image.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if output_size is None:
        if not all(math.isfinite(s * f) and abs(s * f) < 2 ** 62
                   for s, f in zip(input._data.shape[2:], scale_factors)):
            raise RuntimeError(f"value cannot be converted to type int64_t without overflow: "
                               f"scale_factor={scale_factor} gives no finite output size")
        output_size = [int(math.floor(s * f)) for s, f in zip(input._data.shape[2:],
                                                               scale_factors)]
        if recompute_scale_factor:
            scale_factors = None
    else:
        scale_factors = [None] * dim
    if scale_factors is None:
        scale_factors = [None] * dim
    if antialias and not (mode in ("bilinear", "bicubic") and ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if mode in _LINEAR_RANK and ndim != _LINEAR_RANK[mode]:
        raise NotImplementedError(f"Got {ndim}D input, but {mode} mode needs "
                                  f"{_LINEAR_RANK[mode]}D input")
    in_sizes = list(input._data.shape[2:])
    if any(o <= 0 for o in output_size) or any(s <= 0 for s in in_sizes):
        axes = "DHW"[3 - dim:]
        raise RuntimeError(
            "Input and output sizes should be greater than 0, but got input ("
            + ", ".join(f"{a}: {s}" for a, s in zip(axes, in_sizes)) + ") output ("
            + ", ".join(f"{a}: {s}" for a, s in zip(axes, output_size)) + ")")
    if 0 in input._data.shape[1:]:
        raise RuntimeError(f"Non-empty {ndim}D data tensor expected but got a tensor with "
                           f"sizes {shape_str(input._data.shape)}: only the batch axis may "
                           "be empty.")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f"interpolate() is not implemented for dtype {input._data.dtype}: it computes "
            "weighted averages of floating-point values; convert with x.float().")
    if mode == "area":
        pool = {1: pooling.adaptive_avg_pool1d, 2: pooling.adaptive_avg_pool2d,
                3: pooling.adaptive_avg_pool3d}[dim]
        return pool(input, tuple(output_size))
    try:
        return _resize(input, in_sizes, output_size, scale_factors, mode, align_corners,
                       antialias)
    except MemoryError:
        raise RuntimeError(
            f"interpolate(): not enough memory for an output of spatial size {output_size} "
            f"(input {shape_str(input._data.shape)}); check size / scale_factor.") from None


def _resize(input, in_sizes, output_size, scale_factors, mode, align_corners, antialias):
    """Build one plan per spatial axis and run the Function named like PyTorch's node."""
    dtype = input._data.dtype
    if antialias:
        plans = tuple(_aa_plan(i, o, s, align_corners, dtype, mode == "bicubic")
                      for i, o, s in zip(in_sizes, output_size, scale_factors))
    elif mode == "bicubic":
        plans = tuple(_cubic_plan(i, o, s, align_corners, dtype)
                      for i, o, s in zip(in_sizes, output_size, scale_factors))
    elif mode in _LINEAR_RANK:
        plans = tuple(_linear_plan(i, o, s, align_corners, dtype)
                      for i, o, s in zip(in_sizes, output_size, scale_factors))
    else:
        plans = tuple(_nearest_plan(i, o, s, mode == "nearest-exact")
                      for i, o, s in zip(in_sizes, output_size, scale_factors))
    name = _backward_name(mode, len(in_sizes))
    function = _function_for(name.replace("2DBackward0", "2DAaBackward0") if antialias else name)
    return function.apply(input, plans)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated name of ``interpolate`` (warns, as PyTorch does)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)

