"""``torchvision.utils.make_grid`` as teachnn: tile a batch of images into one picture."""
from __future__ import annotations

import math

import teachnn

__all__ = ["make_grid"]


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """[B, C, H, W] images (or a list of [C, H, W]) -> one [C, rows*(H+p)+p, nrow*(W+p)+p]
    image, ``nrow`` pictures a row, ``padding`` pixels of ``pad_value`` around each."""
    if isinstance(tensor, (list, tuple)):
        tensor = teachnn.stack(list(tensor), dim=0)
    if not isinstance(tensor, teachnn.Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor).__name__}")
    if tensor.dim() == 2:                       # one grey picture [H, W]
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:                       # one picture [C, H, W]
        if tensor.shape[0] == 1:
            tensor = teachnn.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.shape[1] == 1:   # grey batch -> three equal channels
        tensor = teachnn.cat((tensor, tensor, tensor), 1)
    if normalize:
        tensor = tensor.clone()

        def norm_range(t):
            low, high = value_range if value_range is not None else (float(t.min()), float(t.max()))
            t.clamp_(min=low, max=high)
            t.sub_(low).div_(max(high - low, 1e-5))

        if scale_each:
            for t in tensor:
                norm_range(t)
        else:
            norm_range(tensor)
    if tensor.shape[0] == 1:
        return tensor.squeeze(0)
    nmaps = tensor.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.shape[2] + padding), int(tensor.shape[3] + padding)
    channels = tensor.shape[1]
    grid = teachnn.full((channels, height * ymaps + padding, width * xmaps + padding), pad_value,
                        dtype=tensor.dtype)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            top, left = y * height + padding, x * width + padding
            grid[:, top:top + height - padding, left:left + width - padding] = tensor[k]
            k += 1
    return grid
