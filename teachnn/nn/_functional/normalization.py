"""Normalisation layers, stateless form: ``F.batch_norm`` and ``F.layer_norm``.

Both compute, over some group of elements,

    x_hat = (x - mean) / sqrt(var + eps)          var is the *biased* variance (divide by M)
    y     = weight * x_hat + bias                 (optional affine part)

and differ only in *which* elements form a group:

    batch_norm  input (N, C, *): one group per channel c, over the batch and every spatial
                position (M = N * prod(*)). In eval mode the stored running mean / variance
                are used instead of the batch's.
    layer_norm  input (*, D1, ..., Dk) with normalized_shape (D1, ..., Dk): one group per
                sample, over its last k dimensions (M = D1 * ... * Dk).
    group_norm  input (N, C, *) with G groups: one group per sample and per block of C/G
                channels (M = C/G * prod(*)); the affine part is per channel.

Backward of the normalisation (g = dL/dx_hat = dL/dy * weight, sums over one group):

    dL/dx = (1 / sqrt(var + eps)) * (g - mean(g) - x_hat * mean(g * x_hat))

This is the closed form of the chain rule through mean and var; writing it out (instead
of composing ten small operations) is both faster and the formula found in textbooks.

The statistics, the normalisation and this backward formula run as Numba loops in
teachnn/kernels/normalization.py, which sees every layer's input as (A, G, B) with one
group per middle index (sums in float64); the affine part and the weight/bias gradients
stay here as NumPy one-liners.
"""
from __future__ import annotations

import numpy as np

from ..._errors import check_kwargs, shape_str
from ...autograd import Function
from ...kernels import normalization as kernels
from ...tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm"]


def _affine(x_hat, weight, bias, shape):
    """y = x_hat * weight + bias (each optional), weight and bias reshaped to ``shape``.
    Writes into a new array: x_hat itself is kept for backward."""
    if weight is None and bias is None:
        return x_hat
    out = x_hat.copy() if weight is None else x_hat * weight._data.reshape(shape)
    if bias is not None:
        out += bias._data.reshape(shape)                  # in place: out is a fresh array
    return out


class BatchNormFunction(Function):
    """Batch normalisation over every axis except the channel axis 1.

    Shapes: x (N, C, *), running stats / weight / bias (C,) (reshaped to (1, C, 1, ...)).
    training=True: batch statistics (biased var) normalise; the running statistics are
    updated in place with the *unbiased* variance:
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var  = (1 - momentum) * running_var  + momentum * var * M / (M - 1)
    training=False: x_hat = (x - running_mean) / sqrt(running_var + eps), a fixed affine map.
    """
    _backward_name = "NativeBatchNormBackward0"
    _fresh_grads = True      # backward returns new arrays (see Function._fresh_grads)

    @staticmethod
    def forward(ctx, x, weight, bias, running_stats, training, momentum, eps):
        # the running statistics come as one pair, not as Tensor inputs: they are state, not
        # differentiable inputs, so (as in PyTorch) they get no entry in next_functions
        running_mean, running_var = running_stats
        a = x._data
        axes = (0,) + tuple(range(2, a.ndim))            # every axis but the channels
        stat_shape = [1] * a.ndim
        stat_shape[1] = a.shape[1]                       # (1, C, 1, ...)
        groups = (a.shape[0], a.shape[1], int(np.prod(a.shape[2:])))   # (N, C, *) -> (N, C, L)
        if training:
            mean, var = kernels.group_stats(a, groups)               # (C,), (C,) biased
            if running_mean is not None:
                m = a.size // a.shape[1]                             # elements per channel
                unbiased = var * (m / (m - 1))
                running_mean._data[...] = (1 - momentum) * running_mean._data + momentum * mean
                running_var._data[...] = (1 - momentum) * running_var._data + momentum * unbiased
                for buf in (running_mean, running_var):
                    if hasattr(buf, "_version"):
                        buf._version += 1
        else:
            mean, var = running_mean._data, running_var._data          # (C,), (C,)
        inv_std = 1.0 / np.sqrt(var.astype(np.float64) + eps)        # (C,)
        # normalisation and affine map in one multiply-add per element, as PyTorch does:
        # y = x * alpha + beta, alpha = inv_std * weight, beta = bias - mean * alpha
        alpha = inv_std if weight is None else inv_std * weight._data
        beta = -mean * alpha if bias is None else bias._data - mean * alpha
        out = kernels.scale_shift(a, groups, alpha, beta)            # (N, C, *)
        ctx.save_for_backward(x)                    # backward recomputes x_hat from x
        ctx.axes, ctx.stat_shape, ctx.training = axes, stat_shape, training
        ctx.groups, ctx.mean, ctx.inv_std = groups, np.array(mean, dtype=np.float64), inv_std
        ctx.has_weight, ctx.has_bias = weight is not None, bias is not None
        ctx.weight = None if weight is None else weight._data
        return Tensor(out)

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data                                            # (N, C, *)
        (x,) = ctx.saved_tensors
        # dL/dx_hat = g * weight[c]: the weight is a per-channel factor, folded into scale
        scale = ctx.inv_std if ctx.weight is None else ctx.inv_std * ctx.weight     # (C,)
        grad_x = sum_g = sum_gx = None
        if ctx.needs_input_grad[0] and ctx.training:
            # mean and var depend on x: the full formula; the kernel also returns the
            # per-channel sums of g and g * x_hat, which are exactly dL/dbias and dL/dweight
            grad_x, sum_g, sum_gx = kernels.normalize_backward_from_x(
                g, x._data, ctx.groups, ctx.mean, ctx.inv_std, scale)
        elif ctx.needs_input_grad[0]:
            # running stats are constants: a plain per-channel scaling
            grad_x = g * scale.astype(g.dtype).reshape(ctx.stat_shape)
        grad_w = grad_b = None
        if ctx.has_weight and ctx.needs_input_grad[1]:
            if sum_gx is None:                                       # no kernel call above
                x_hat = kernels.normalize(x._data, ctx.groups, ctx.mean, ctx.inv_std)
                sum_gx = (g * x_hat).sum(axis=ctx.axes)              # (C,)
            grad_w = sum_gx.astype(g.dtype)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = (g.sum(axis=ctx.axes) if sum_g is None else sum_g).astype(g.dtype)
        return grad_x, grad_w, grad_b, None, None, None, None


def _check_stat(t, name, channels):
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"batch_norm(): argument '{name}' must be a Tensor or None, not "
                        f"{type(t).__name__}")
    if t._data.shape != (channels,):
        raise RuntimeError(
            f"batch_norm(): {name} should contain {channels} elements (one per channel, "
            f"input.shape[1]) but got shape {shape_str(t._data.shape)}")


@check_kwargs
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation per channel (dim 1). See the module docstring for the formulas.

    Shapes: input (N, C) or (N, C, *); running_mean, running_var, weight, bias (C,).
    With ``training=True`` the batch statistics are used and the running statistics (if
    given) are updated in place; with ``training=False`` the running statistics are used.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    if input._data.ndim < 2:
        raise ValueError(
            f"batch_norm(): expected input of shape [batch, channels, *] (at least 2-d) but got "
            f"a {input._data.ndim}-d tensor of shape {shape_str(input._data.shape)}; add a batch "
            "axis with x.unsqueeze(0).")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"batch_norm(): expected a floating-point input but got dtype "
                           f"{input._data.dtype}; convert it with x.float().")
    channels = input._data.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_stat(t, name, channels)
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(
            "batch_norm(): running_mean and running_var must be given when training=False "
            "(evaluation uses the stored statistics); pass training=True to use the batch's.")
    if training:
        per_channel = input._data.size // channels if channels else 0
        if per_channel <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"torch.Size({shape_str(input._data.shape)}): a batch statistic needs at least "
                "two values per channel. Use a batch of 2 or more samples, or call model.eval() "
                "to use the running statistics.")
    return BatchNormFunction.apply(input, weight, bias, (running_mean, running_var),
                                   bool(training), float(momentum), float(eps))


class LayerNormFunction(Function):
    """Layer normalisation over the last k dimensions (k = len(normalized_shape)).

    Shapes: x (*, D1..Dk); weight, bias (D1..Dk) or None.
        mean, var over the last k axes (biased), x_hat = (x - mean) / sqrt(var + eps)
        y = x_hat * weight + bias
        dL/dweight = sum over the leading axes of g * x_hat,  dL/dbias = sum of g
    """
    _backward_name = "NativeLayerNormBackward0"
    _fresh_grads = True      # backward returns new arrays (see Function._fresh_grads)

    @staticmethod
    def forward(ctx, x, weight, bias, n_norm_dims, eps):
        a = x._data
        axes = tuple(range(a.ndim - n_norm_dims, a.ndim))           # the normalised axes
        # one row per sample: (*, D1..Dk) -> (M, D), D = D1*..*Dk; weight, bias (D,)
        n_cols = int(np.prod(a.shape[a.ndim - n_norm_dims:]))
        out, mean, inv_std = kernels.layer_norm_rows(
            a, n_cols, None if weight is None else weight._data,
            None if bias is None else bias._data, eps)               # mean, inv_std (M,)
        ctx.save_for_backward(x)                    # backward recomputes x_hat from x
        ctx.axes, ctx.n_cols, ctx.mean, ctx.inv_std = axes, n_cols, mean, inv_std
        ctx.weight = None if weight is None else weight._data
        ctx.has_bias = bias is not None
        return Tensor(np.asarray(out, dtype=a.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data                                            # (*, D1..Dk)
        # one pass for all three: dL/dx per row, dL/dweight and dL/dbias summed over rows
        (x,) = ctx.saved_tensors
        grad_x, grad_w, grad_b = kernels.layer_norm_rows_backward(
            g, x._data, ctx.n_cols, ctx.mean, ctx.inv_std, ctx.weight)
        norm_shape = g.shape[g.ndim - len(ctx.axes):]                # (D1..Dk)
        grad_w = grad_w.reshape(norm_shape).astype(g.dtype) if ctx.weight is not None else None
        grad_b = grad_b.reshape(norm_shape).astype(g.dtype) if ctx.has_bias else None
        return grad_x, grad_w, grad_b, None, None


@check_kwargs
def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample over its last ``len(normalized_shape)`` dimensions.

    Shapes: input (*, *normalized_shape); weight, bias normalized_shape or None.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"layer_norm(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    shape = input._data.shape
    if k == 0 or input._data.ndim < k or tuple(shape[len(shape) - k:]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size "
            f"{shape_str(shape)}. The last {k} dimension(s) of the input must equal "
            "normalized_shape (e.g. nn.LayerNorm(x.shape[-1]) for the feature dimension).")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"layer_norm(): expected a floating-point input but got dtype "
                           f"{input._data.dtype}; convert it with x.float().")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._data.shape != normalized_shape:
            raise RuntimeError(
                f"layer_norm(): {name} must have shape {shape_str(normalized_shape)} "
                f"(= normalized_shape) but got {shape_str(t._data.shape)}")
    return LayerNormFunction.apply(input, weight, bias, k, float(eps))


class GroupNormFunction(Function):
    """Group normalisation: channels split into G groups, each normalised per sample.

    Shapes: x (N, C, *) -> viewed as (N, G, C/G * prod(*)) for the statistics;
    weight, bias (C,) applied per channel after normalising.
    """
    _backward_name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, num_groups, eps):
        a = x._data
        n, c = a.shape[0], a.shape[1]
        groups = (1, n * num_groups, a.size // max(n * num_groups, 1))   # (1, N*G, M)
        mean, var = kernels.group_stats(a, groups)                   # (N*G,), biased var
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = kernels.normalize(a, groups, mean, inv_std)          # (N, C, *)
        affine_shape = (1, c) + (1,) * (a.ndim - 2)                  # (1, C, 1, ...)
        out = _affine(x_hat, weight, bias, affine_shape)
        ctx.x_hat, ctx.inv_std, ctx.groups = x_hat, inv_std, groups
        ctx.affine_shape = affine_shape
        ctx.weight = None if weight is None else weight._data
        ctx.has_bias = bias is not None
        return Tensor(np.asarray(out, dtype=a.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data                                            # (N, C, *)
        sum_axes = (0,) + tuple(range(2, g.ndim))                    # all but channels
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            g_hat = g if ctx.weight is None else g * ctx.weight.reshape(ctx.affine_shape)
            grad_x, _, _ = kernels.normalize_backward(g_hat, ctx.x_hat, ctx.groups, ctx.inv_std)
        if ctx.weight is not None and ctx.needs_input_grad[1]:
            grad_w = (g * ctx.x_hat).sum(axis=sum_axes)              # (C,)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = g.sum(axis=sum_axes)                            # (C,)
        return grad_x, grad_w, grad_b, None, None


@check_kwargs
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample over groups of channels (and all positions).

    Shapes: input (N, C, *) with C divisible by num_groups; weight, bias (C,) or None.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"group_norm(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    if input._data.ndim < 2:
        raise RuntimeError(
            f"group_norm(): expected input of shape [batch, channels, *] (at least 2-d) but "
            f"got shape {shape_str(input._data.shape)}; add a batch axis with x.unsqueeze(0).")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"group_norm(): expected a floating-point input but got dtype "
                           f"{input._data.dtype}; convert it with x.float().")
    channels = input._data.shape[1]
    if num_groups <= 0 or channels % num_groups != 0:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {shape_str(input._data.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._data.shape != (channels,):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {shape_str(t._data.shape)} and input of shape "
                f"{shape_str(input._data.shape)}")
    return GroupNormFunction.apply(input, weight, bias, int(num_groups), float(eps))

