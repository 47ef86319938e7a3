"""``nn.BatchNorm1d/2d/3d`` and ``nn.LayerNorm``.

BatchNorm keeps two *buffers* besides its parameters: ``running_mean`` and ``running_var``
(updated in training, used in ``eval()`` mode) and ``num_batches_tracked`` (int64, counts
training batches; with ``momentum=None`` it turns the running statistics into a plain
cumulative average). Formulas are in ``teachnn/nn/_functional/normalization.py``.
"""
from __future__ import annotations

import numpy as np

from ..._errors import shape_str
from ...tensor import Tensor
from .. import init
from ..functional import batch_norm, group_norm, layer_norm
from ..parameter import Parameter
from .linear import _check_device, _empty
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm"]


def _register_affine(module: Module, enabled: bool, bias: bool, shape, dtype) -> None:
    """Register ``weight`` and ``bias`` of ``shape`` (or ``None`` when switched off), in
    PyTorch's order, so ``state_dict`` keys match. Values are set by ``_reset_affine``."""
    if enabled:
        module.weight = Parameter(_empty(shape, dtype))
        if bias:
            module.bias = Parameter(_empty(shape, dtype))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module: Module) -> None:
    """PyTorch's default for every normalisation layer: weight = 1, bias = 0."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d/3d; subclasses only say which input ranks they accept."""

    _version = 2
    _layouts: dict = {}

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__()
        _check_device(device)
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features <= 0:
            raise TypeError(f"{type(self).__name__}(): num_features must be a positive int "
                            f"(the number of channels, input.shape[1]), but got "
                            f"{num_features!r}")
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, affine, bias, (num_features,), dtype)
        if track_running_stats:
            self.register_buffer("running_mean", _empty((num_features,), dtype))
            self.register_buffer("running_var", _empty((num_features,), dtype))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        """Running statistics reset; weight = 1, bias = 0 (PyTorch's default)."""
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input) -> None:
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__} expects a Tensor, but got "
                            f"{type(input).__name__}")
        ndim = input._data.ndim
        if ndim not in self._layouts:
            wanted = " or ".join(f"{d}-d input {layout}" for d, layout in self._layouts.items())
            raise ValueError(
                f"{type(self).__name__} expects {wanted} but got a {ndim}-d tensor of shape "
                f"{shape_str(input._data.shape)}.{self._rank_hint(ndim)}")
        if input._data.shape[1] != self.num_features:
            raise RuntimeError(
                f"{type(self).__name__}({self.num_features}) got input with "
                f"{input._data.shape[1]} channels (input shape {shape_str(input._data.shape)}); "
                f"dim 1 must equal num_features={self.num_features}. Build the layer as "
                f"{type(self).__name__}({input._data.shape[1]}) or check the previous layer.")

    def _rank_hint(self, ndim) -> str:
        if ndim == min(self._layouts) - 1:
            return " Add a batch axis with x.unsqueeze(0)."
        right_layer = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d", 5: "BatchNorm3d"}
        if ndim in right_layer:
            return f" For {ndim}-d input use nn.{right_layer[ndim]}."
        return ""

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        # momentum=None: cumulative average, factor 1/num_batches_tracked
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data[...] += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        # batch statistics in training, or when there are no running statistics to use
        use_batch_stats = self.training or (self.running_mean is None
                                            and self.running_var is None)
        track = not self.training or self.track_running_stats
        return batch_norm(input,
                          self.running_mean if track else None,
                          self.running_var if track else None,
                          self.weight, self.bias, use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, per channel C.

    Shapes: input (N, C) or (N, C, L) -> same. Parameters weight, bias (C,);
    buffers running_mean, running_var (C,), num_batches_tracked () int64.
    """
    _layouts = {2: "[batch, features]", 3: "[batch, channels, length]"}


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of image batches, per channel.

    Shapes: input (N, C, H, W) -> same. Parameters and buffers as BatchNorm1d.
    """
    _layouts = {4: "[batch, channels, height, width]"}


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of volumes, per channel.

    Shapes: input (N, C, D, H, W) -> same. Parameters and buffers as BatchNorm1d.
    """
    _layouts = {5: "[batch, channels, depth, height, width]"}


class LayerNorm(Module):
    """Normalise each sample over its last dimensions (given by ``normalized_shape``).

    Args:
        normalized_shape: int or tuple; the input's trailing shape to normalise over.
        eps: added to the variance for stability. Default: 1e-5.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros) of that shape.
        bias: learn the bias (only with elementwise_affine). Default: True.

    Shapes: input (*, *normalized_shape) -> same.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, elementwise_affine, bias, self.normalized_shape, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise each sample over groups of ``num_channels / num_groups`` channels.

    Unlike BatchNorm it does not depend on the batch (no running statistics, same in train
    and eval). Shapes: input (N, C, *) -> same; weight (ones) and bias (zeros) of shape (C,).
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        _check_device(device)
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, affine, bias, (num_channels,), dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")

