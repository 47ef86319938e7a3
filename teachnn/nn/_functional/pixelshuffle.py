"""``F.pixel_shuffle`` and ``F.pixel_unshuffle``: trade channels for resolution and back.

pixel_shuffle(x, r): (*, C*r*r, H, W) -> (*, C, H*r, W*r). Channel ``c*r*r + i*r + j`` becomes
the pixel at offset (i, j) inside each r x r block of output channel ``c`` (the sub-pixel
convolution of Shi et al. 2016: a convolution predicts r*r channels, the shuffle lays them out
as a finer image). pixel_unshuffle is its exact inverse, so each one's backward is the other.
Both are a reshape, a transpose and a reshape: no arithmetic, so gradients are copied, not scaled.
"""
from __future__ import annotations

import numbers

from ..._errors import shape_str
from ...autograd import Function
from ...tensor import Tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _shuffle(a, r):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r) on a NumPy array."""
    *batch, c, h, w = a.shape
    oc = c // (r * r)
    nb = len(batch)
    a = a.reshape(*batch, oc, r, r, h, w)                  # (*, C, i, j, H, W)
    axes = tuple(range(nb)) + tuple(nb + k for k in (0, 3, 1, 4, 2))
    return a.transpose(axes).reshape(*batch, oc, h * r, w * r)   # (*, C, H, i, W, j)


def _unshuffle(a, r):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W) on a NumPy array."""
    *batch, c, hr, wr = a.shape
    h, w = hr // r, wr // r
    nb = len(batch)
    a = a.reshape(*batch, c, h, r, w, r)                   # (*, C, H, i, W, j)
    axes = tuple(range(nb)) + tuple(nb + k for k in (0, 2, 4, 1, 3))
    return a.transpose(axes).reshape(*batch, c * r * r, h, w)    # (*, C, i, j, H, W)


class PixelShuffleFunction(Function):
    _backward_name = "PixelShuffleBackward0"

    @staticmethod
    def forward(ctx, input, r):
        ctx.r = r
        return Tensor(_shuffle(input._data, r))

    @staticmethod
    def backward(ctx, grad_out):
        return _unshuffle(grad_out._data, ctx.r), None


class PixelUnshuffleFunction(Function):
    _backward_name = "PixelUnshuffleBackward0"

    @staticmethod
    def forward(ctx, input, r):
        ctx.r = r
        return Tensor(_unshuffle(input._data, r))

    @staticmethod
    def backward(ctx, grad_out):
        return _shuffle(grad_out._data, ctx.r), None


def _check(name, input, factor, factor_name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(input).__name__}")
    if isinstance(factor, bool) or not isinstance(factor, numbers.Integral):
        raise TypeError(f"{name}(): argument '{factor_name}' (position 2) must be int, "
                        f"not {type(factor).__name__}")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {factor_name}, but got {factor}")
    if input.dim() < 3:
        raise RuntimeError(
            f"{name} expects input to have at least 3 dimensions, but got input with "
            f"{input.dim()} dimension(s): give it the shape (channels, height, width) or "
            f"(batch, channels, height, width); got {shape_str(tuple(input.shape))}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r) with r = ``upscale_factor``."""
    _check("pixel_shuffle", input, upscale_factor, "upscale_factor")
    r = int(upscale_factor)
    c = input.shape[-3]
    if c % (r * r) != 0:
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}; the layer "
            f"before it should output C * {r * r} channels for C output channels")
    return PixelShuffleFunction.apply(input, r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W) with r = ``downscale_factor``."""
    _check("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    r = int(downscale_factor)
    for axis, what in ((-2, "height"), (-1, "width")):
        if input.shape[axis] % r != 0:
            raise RuntimeError(
                f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but "
                f"input.size({axis})={input.shape[axis]} is not divisible by {r}")
    return PixelUnshuffleFunction.apply(input, r)
