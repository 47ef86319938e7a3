"""``nn.InstanceNorm1d/2d/3d``: normalise each sample's channels separately (style transfer,
image generation). Formulas in ``teachnn/nn/_functional/instancenorm.py``.

Unlike BatchNorm the defaults are ``affine=False`` and ``track_running_stats=False``: the
layer learns nothing and behaves the same in train() and eval() unless asked otherwise.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..._errors import shape_str
from ...tensor import Tensor
from .._functional.instancenorm import instance_norm
from .linear import _check_device, _empty
from .module import Module
from .normalization import _register_affine, _reset_affine

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(Module):
    _no_batch_dim = 2                 # rank of an unbatched input, set by each subclass
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None):
        super().__init__()
        _check_device(device)
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features <= 0:
            raise TypeError(f"{type(self).__name__}(): num_features must be a positive int "
                            f"(the number of channels), but got {num_features!r}")
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, affine, True, (self.num_features,), dtype)
        if track_running_stats:
            self.register_buffer("running_mean", _empty((self.num_features,), dtype))
            self.register_buffer("running_var", _empty((self.num_features,), dtype))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input) -> None:
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__} expects a Tensor, but got "
                            f"{type(input).__name__}")
        ndim = input.ndim
        if ndim not in (self._no_batch_dim, self._no_batch_dim + 1):
            raise ValueError(
                f"expected {self._no_batch_dim}D or {self._no_batch_dim + 1}D input (got "
                f"{ndim}D input): {type(self).__name__} takes {self._layout}, with or without "
                f"the batch axis; got shape {shape_str(input.shape)}.")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        feature_dim = input.ndim - self._no_batch_dim
        channels = input.shape[feature_dim]
        if channels != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {channels}.")
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not used "
                "because affine=False", UserWarning, stacklevel=2)
        unbatched = input.ndim == self._no_batch_dim
        x = input.unsqueeze(0) if unbatched else input
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training or not self.track_running_stats,
                          0.0 if self.momentum is None else self.momentum, self.eps)
        return y.squeeze(0) if unbatched else y

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or unbatched (C, L) input. Output: same shape."""
    _no_batch_dim = 2
    _layout = "[batch, channels, length]"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or unbatched (C, H, W) input."""
    _no_batch_dim = 3
    _layout = "[batch, channels, height, width]"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or unbatched (C, D, H, W) input."""
    _no_batch_dim = 4
    _layout = "[batch, channels, depth, height, width]"
