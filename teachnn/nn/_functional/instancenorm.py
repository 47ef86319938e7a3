"""Instance normalisation, ``F.instance_norm``: every (sample, channel) pair normalised on its
own over its spatial positions.

Shapes: input (N, C, *) with at least two positions in *; weight, bias (C,) or None;
running_mean, running_var (C,) or None.

With x viewed as (N, C, M), M = prod(*), for each n and c:

    x_hat = (x - mean) / sqrt(var + eps)        mean, var over the M positions (biased var)
    y     = weight[c] * x_hat + bias[c]

Running statistics (when given and use_input_stats=True) move towards the batch average of
the per-instance statistics, with the *unbiased* variance (as BatchNorm does):

    running_mean = (1 - momentum) * running_mean + momentum * mean_n(mean)
    running_var  = (1 - momentum) * running_var  + momentum * mean_n(var * M / (M - 1))

use_input_stats=False normalises with the running statistics instead (a fixed affine map).

Backward (g = dL/dy * weight[c], means over the M positions of one instance):

    dL/dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)
"""
from __future__ import annotations

import numpy as np

from ..._errors import check_kwargs, shape_str
from ...autograd import Function
from ...tensor import Tensor

__all__ = ["instance_norm"]


class InstanceNormFunction(Function):
    """Statistics per (n, c) over the positions; affine part per channel."""
    _backward_name = "ViewBackward0"    # PyTorch runs batch_norm on (1, N*C, *), then a view

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, use_input_stats, momentum,
                eps):
        a = x._data
        n, c = a.shape[0], a.shape[1]
        m = int(np.prod(a.shape[2:]))
        a3 = a.reshape(n, c, m).astype(np.float64)                   # (N, C, *) -> (N, C, M)
        if use_input_stats:
            mean = a3.mean(axis=2, keepdims=True)                     # (N, C, 1)
            var = a3.var(axis=2, keepdims=True)                       # biased
            if running_mean is not None:
                running_mean._data[...] = ((1 - momentum) * running_mean._data
                                           + momentum * mean[..., 0].mean(axis=0))
                running_mean._version += 1
            if running_var is not None:
                unbiased = var[..., 0] * (m / (m - 1))
                running_var._data[...] = ((1 - momentum) * running_var._data
                                          + momentum * unbiased.mean(axis=0))
                running_var._version += 1
        else:
            mean = running_mean._data.astype(np.float64).reshape(1, c, 1)
            var = running_var._data.astype(np.float64).reshape(1, c, 1)
        inv_std = 1.0 / np.sqrt(var + eps)                            # (N or 1, C, 1)
        x_hat = (a3 - mean) * inv_std                                 # (N, C, M)
        out = x_hat
        if weight is not None:
            out = out * weight._data.reshape(1, c, 1)
        if bias is not None:
            out = out + bias._data.reshape(1, c, 1)
        ctx.x_hat, ctx.inv_std, ctx.use_input_stats = x_hat, inv_std, use_input_stats
        ctx.weight = None if weight is None else weight._data.astype(np.float64)
        ctx.has_bias, ctx.shape = bias is not None, a.shape
        return Tensor(out.reshape(a.shape).astype(a.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        n, c = ctx.shape[0], ctx.shape[1]
        g3 = g.reshape(n, c, ctx.x_hat.shape[2]).astype(np.float64)   # (N, C, M)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            gh = g3 if ctx.weight is None else g3 * ctx.weight.reshape(1, c, 1)
            if ctx.use_input_stats:
                gx = ctx.inv_std * (gh - gh.mean(axis=2, keepdims=True)
                                    - ctx.x_hat * (gh * ctx.x_hat).mean(axis=2, keepdims=True))
            else:
                gx = gh * ctx.inv_std                                 # statistics are constants
            grad_x = gx.reshape(ctx.shape).astype(g.dtype)
        if ctx.weight is not None and ctx.needs_input_grad[1]:
            grad_w = (g3 * ctx.x_hat).sum(axis=(0, 2)).astype(g.dtype)   # (C,)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = g3.sum(axis=(0, 2)).astype(g.dtype)                 # (C,)
        return grad_x, grad_w, grad_b, None, None, None, None, None


@check_kwargs
def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) over its positions; see the module docstring.

    Shapes: input (N, C, *); running_mean, running_var, weight, bias (C,) or None.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"instance_norm(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    if input._data.ndim < 2:
        raise ValueError(f"instance_norm(): expected input of shape [batch, channels, *] but "
                         f"got a {input._data.ndim}-d tensor of shape "
                         f"{shape_str(input._data.shape)}")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"instance_norm() is not implemented for dtype "
                                  f"{input._data.dtype}: it needs a floating-point input; "
                                  "convert it with x.float().")
    if use_input_stats and int(np.prod(input._data.shape[2:])) == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size "
            f"torch.Size({shape_str(input._data.shape)}): an instance's mean and variance need "
            "at least two positions (a length, or height x width, of 2 or more).")
    channels = input._data.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"instance_norm(): argument '{name}' must be a Tensor or None, "
                            f"not {type(t).__name__}")
        if t._data.shape != (channels,):
            raise RuntimeError(
                f"instance_norm(): {name} should contain {channels} elements (one per "
                f"channel, input.shape[1]) but got shape {shape_str(t._data.shape)}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    return InstanceNormFunction.apply(input, weight, bias, running_mean, running_var,
                                      bool(use_input_stats), float(momentum), float(eps))
