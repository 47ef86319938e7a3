"""``nn.PixelShuffle`` and ``nn.PixelUnshuffle``: layers around ``F.pixel_shuffle`` / ``F.pixel_unshuffle``.

Shapes: PixelShuffle(r): (*, C*r*r, H, W) -> (*, C, H*r, W*r); PixelUnshuffle(r) the inverse.
"""
from __future__ import annotations

from .. import functional as F
from ...tensor import Tensor
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """Rearranges C*r*r channels into an r-times finer image (super-resolution's last layer)."""

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearranges each r x r block of pixels into r*r channels (the inverse of PixelShuffle)."""

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
