"""Dropout, stateless form: ``F.dropout``, ``F.dropout1d``, ``F.dropout2d``.

In training, each element (or each whole channel for dropout1d/2d) is zeroed with
probability p, and the survivors are scaled by 1 / (1 - p) so that the expected value of
every element stays the same:

    y = x * mask / (1 - p),    mask ~ Bernoulli(1 - p)

In evaluation (``training=False``) dropout is the identity. The mask is drawn from the
global generator (``teachnn.manual_seed`` makes it reproducible); backward multiplies the
incoming gradient by the same mask and scale.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..._errors import check_kwargs, shape_str
from ...autograd import Function
from ...tensor import Tensor
from .activation import _maybe_inplace

__all__ = ["dropout", "dropout1d", "dropout2d"]


def _global_rng() -> np.random.Generator:
    from ... import random as _random
    return _random.default_generator.np_rng


class DropoutFunction(Function):
    """y = x * scaled_mask, with scaled_mask = mask / (1 - p) (0 where dropped).

    Shapes: x any; scaled_mask broadcastable to x ((N, C, 1, ...) for channel dropout).
    """
    _backward_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, scaled_mask):
        ctx.scaled_mask = scaled_mask
        return Tensor(np.asarray(x._data * scaled_mask, dtype=x._data.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out._data * ctx.scaled_mask, None


def _check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_mask(input, p, mask_shape, inplace, name):
    """Draw a keep-mask of ``mask_shape`` and multiply (shared by the three functions)."""
    if p == 1.0:
        scaled = np.zeros(mask_shape, dtype=input._data.dtype)        # everything dropped
    else:
        keep = _global_rng().random(mask_shape) >= p                 # True with prob 1 - p
        scaled = (keep / (1.0 - p)).astype(input._data.dtype)
    return _maybe_inplace(input, inplace, lambda x: DropoutFunction.apply(x, scaled))


def _check_input(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")


def _check_float(input, name):
    """Dropping needs a float tensor (the survivors are scaled by 1/(1-p))."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}(): expected a floating-point tensor but got dtype "
                           f"{input._data.dtype}; convert it with x.float().")


@check_kwargs
def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` (and scale the rest by 1/(1-p)) in training.

    Shape: any -> same. With ``training=False`` the input is returned unchanged.
    """
    _check_input(input, "dropout")
    _check_p(p)
    if not training or p == 0.0:
        return input
    _check_float(input, "dropout")
    return _apply_mask(input, float(p), input._data.shape, inplace, "dropout")


def _channel_dropout(input, p, training, inplace, name, spatial_dims):
    """Drop whole channels: input (N, C, *spatial) or unbatched (C, *spatial)."""
    _check_input(input, name)
    _check_p(p)
    ndim = input._data.ndim
    if ndim not in (spatial_dims + 1, spatial_dims + 2):
        layout = {1: "[batch, channels, length]", 2: "[batch, channels, height, width]"}
        raise RuntimeError(
            f"{name}: Expected {spatial_dims + 1}D or {spatial_dims + 2}D input, but received a "
            f"{ndim}D input of shape {shape_str(input._data.shape)}. {name} zeroes whole "
            f"channels of input {layout[spatial_dims]} (or the same without the batch axis).")
    if not training or p == 0.0:
        return input
    _check_float(input, name)
    n_lead = ndim - spatial_dims                                 # (N, C) or (C,)
    if spatial_dims == 2 and ndim == 3:
        # PyTorch still reads a 3-d input to dropout2d as (N, C, L), with this warning
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning, stacklevel=4)
        n_lead = 2
    mask_shape = input._data.shape[:n_lead] + (1,) * (ndim - n_lead)  # (N, C, 1, ...)
    return _apply_mask(input, float(p), mask_shape, inplace, name)


@check_kwargs
def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels: input (N, C, L) or (C, L); mask shape (N, C, 1)."""
    return _channel_dropout(input, p, training, inplace, "dropout1d", 1)


@check_kwargs
def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels: input (N, C, H, W) or (C, H, W); mask shape (N, C, 1, 1)."""
    return _channel_dropout(input, p, training, inplace, "dropout2d", 2)
