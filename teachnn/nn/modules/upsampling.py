"""``nn.Upsample`` (and the older ``nn.UpsamplingNearest2d`` / ``nn.UpsamplingBilinear2d``):
the layer form of ``F.interpolate``."""
from __future__ import annotations

from ...tensor import Tensor
from .._functional.upsampling import interpolate
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resize feature maps to ``size`` or by ``scale_factor``; no parameters.

    Args: size=None, scale_factor=None, mode='nearest' ('nearest-exact', 'linear',
    'bilinear', 'trilinear', 'area'), align_corners=None, recompute_scale_factor=None.

    Shapes: input (N, C, L) / (N, C, H, W) / (N, C, D, H, W) -> same N and C.

    Example::

        >>> up = nn.Upsample(scale_factor=2, mode="bilinear")
        >>> up(torch.randn(1, 3, 16, 16)).shape
        torch.Size([1, 3, 32, 32])
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode='nearest')`` for 4-d input (older name)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode='bilinear', align_corners=True)`` (older name)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
