"""Activation functions: the stateless form (``F.relu``, ``F.softmax``, ...).

Each activation is a small autograd ``Function`` whose ``forward`` computes the formula on
the NumPy array and whose ``backward`` applies the derivative right next to it, so the two
can be read together. Every function keeps the input's shape and dtype.

Formulas (x is one element of the input):

    relu(x)        = max(x, 0)                       relu'(x)    = 1 if x > 0 else 0
    leaky_relu(x)  = x if x > 0 else a*x              ...'(x)    = 1 if x > 0 else a
    sigmoid(x)     = 1 / (1 + exp(-x))                sigmoid'   = s * (1 - s)
    tanh(x)                                           tanh'      = 1 - tanh(x)^2
    softmax(x)_i   = exp(x_i) / sum_j exp(x_j)        (along ``dim``)
    log_softmax(x) = x_i - log(sum_j exp(x_j))
    gelu(x)        = x * Phi(x),  Phi(x) = (1 + erf(x / sqrt(2))) / 2
    elu(x)         = x if x > 0 else alpha * (exp(x) - 1)
    silu(x)        = x * sigmoid(x)
    softplus(x)    = log(1 + exp(beta*x)) / beta      (x itself once beta*x > threshold)
    hardtanh(x)    = clamp(x, min_val, max_val)
    relu6(x)       = clamp(x, 0, 6)
    prelu(x)       = x if x > 0 else w_c * x          (one learnable slope per channel)

and, beyond the issue's list: selu, celu (the ELU family), mish, hardswish, hardsigmoid,
logsigmoid, softsign, softmin (each documented where it is defined).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..._errors import check_kwargs, shape_str
from ...autograd import Function
from ...kernels import elementwise
from ..._ops import LogSoftmax as LogSoftmaxFunction, Relu as ReLUFunction, Sigmoid as SigmoidFunction
from ..._ops import Softmax as SoftmaxFunction, Tanh as TanhFunction, _stable_sigmoid
from ...tensor import Tensor

__all__ = [
    "relu", "relu_", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu",
    "elu", "silu", "softplus", "hardtanh", "relu6", "prelu",
    # beyond the list, with the same care: forms found in common tutorials
    "selu", "celu", "mish", "hardswish", "hardsigmoid", "logsigmoid", "softsign", "softmin",
]


# ---------------------------------------------------------------------------------------
# small helpers shared by the activations
# ---------------------------------------------------------------------------------------
def _check_tensor(x, func_name, arg_name="input"):
    """Raise the TypeError PyTorch raises when a non-Tensor is passed, with a hint."""
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{func_name}(): argument '{arg_name}' must be a Tensor, not "
            f"{type(x).__name__}. Wrap the data first, e.g. torch.tensor(data).")


def _check_float(x, func_name):
    """Activations need floating-point input (the result is fractional)."""
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            f"{func_name}(): expected a floating-point tensor but got dtype "
            f"{x._data.dtype}; convert it first with x.float().")


def _as_out(array, dtype) -> Tensor:
    """Wrap a NumPy result as a Tensor of the given dtype (NumPy scalars become 0-d arrays)."""
    return Tensor(np.asarray(array, dtype=dtype))


def _grad_enabled() -> bool:
    import teachnn
    return teachnn.is_grad_enabled()


def _maybe_inplace(input: Tensor, inplace: bool, compute) -> Tensor:
    """Run ``compute(input)`` (which returns a new Tensor); with ``inplace=True`` write the
    result into ``input`` and return ``input`` itself, as PyTorch does.

    The in-place write goes through ``Tensor._inplace``: outside autograd it is a plain NumPy
    copy; inside a graph the old value stays in the graph and ``input`` takes over the new
    ``grad_fn``. A leaf that requires grad cannot be overwritten (PyTorch's error).
    """
    if not inplace:
        return compute(input)
    return input._inplace(None, lambda old, _unused: compute(old))


def _normalize_dim(dim, ndim, func_name):
    """Turn a possibly negative ``dim`` into an index, with PyTorch's IndexError."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{func_name}(): dim must be an int, but got {type(dim).__name__}")
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not low <= dim <= high:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{low}, {high}], but got "
            f"{dim}). {func_name}() was given a {ndim}-d tensor; pick one of its dimensions.")
    return 0 if ndim == 0 else int(dim) % ndim


# ---------------------------------------------------------------------------------------
# ReLU family
# ---------------------------------------------------------------------------------------
@check_kwargs
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """Rectified linear unit, elementwise: ``max(x, 0)``. Shape: any -> same."""
    _check_tensor(input, "relu")
    return _maybe_inplace(input, inplace, ReLUFunction.apply)


@check_kwargs
def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``."""
    return relu(input, inplace=True)


class LeakyReLUFunction(Function):
    """x if x > 0 else slope * x; gradient 1 or slope."""
    _backward_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.positive = x._data > 0
        ctx.negative_slope = negative_slope
        return _as_out(np.where(ctx.positive, x._data, x._data * negative_slope), x._data.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        return np.where(ctx.positive, g, g * ctx.negative_slope), None


@check_kwargs
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x if x > 0 else negative_slope * x``. Shape: any -> same."""
    _check_tensor(input, "leaky_relu")
    _check_float(input, "leaky_relu")
    slope = float(negative_slope)
    return _maybe_inplace(input, inplace, lambda x: LeakyReLUFunction.apply(x, slope))


class HardtanhFunction(Function):
    """clamp(x, min_val, max_val); gradient 1 strictly inside (min_val, max_val), else 0."""
    _backward_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        ctx.inside = (x._data > min_val) & (x._data < max_val)
        return _as_out(np.clip(x._data, min_val, max_val), x._data.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out._data * ctx.inside, None, None


@check_kwargs
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``clamp(x, min_val, max_val)``. Shape: any -> same."""
    _check_tensor(input, "hardtanh")
    _check_float(input, "hardtanh")
    low, high = float(min_val), float(max_val)
    return _maybe_inplace(input, inplace, lambda x: HardtanhFunction.apply(x, low, high))


@check_kwargs
def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)`` = ``hardtanh(x, 0, 6)`` (PyTorch also records HardtanhBackward0)."""
    _check_tensor(input, "relu6")
    return hardtanh(input, 0.0, 6.0, inplace)


class PReLUFunction(Function):
    """x if x > 0 else w[c] * x, with c the channel (dim 1) of the element.

    weight: (1,) shared by all channels, or (C,) one slope per channel.
    d/dx = 1 or w[c];  d/dw[c] = sum over all elements of channel c with x <= 0 of x * grad.
    """
    _backward_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, weight):
        w = PReLUFunction._broadcast_weight(weight._data, x._data.ndim)   # (1, C, 1, ...) or (1,)
        ctx.save_for_backward(x, weight)
        return _as_out(np.where(x._data > 0, x._data, w * x._data), x._data.dtype)

    @staticmethod
    def _broadcast_weight(w, ndim):
        if w.size == 1 or ndim < 2:
            return w.reshape(())
        shape = [1] * ndim
        shape[1] = w.size
        return w.reshape(shape)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        g = grad_out._data
        w = PReLUFunction._broadcast_weight(weight._data, x._data.ndim)
        positive = x._data > 0
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_x = np.where(positive, g, w * g)
        if ctx.needs_input_grad[1]:
            contrib = np.where(positive, 0, x._data * g)                  # same shape as x
            if weight._data.size == 1 or x._data.ndim < 2:
                grad_w = np.asarray(contrib.sum()).reshape(weight._data.shape)
            else:
                axes = tuple(a for a in range(x._data.ndim) if a != 1)  # all but channels
                grad_w = contrib.sum(axis=axes).reshape(weight._data.shape)
            grad_w = grad_w.astype(weight._data.dtype)
        return grad_x, grad_w


@check_kwargs
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Parametric ReLU: ``x if x > 0 else weight[c] * x``.

    Shapes: input (N, C, *) or any; weight (1,) or (C,) with C = input.shape[1].
    """
    _check_tensor(input, "prelu")
    _check_tensor(weight, "prelu", "weight")
    _check_float(input, "prelu")
    channels = input._data.shape[1] if input._data.ndim >= 2 else 1
    if weight._data.ndim > 1:
        raise RuntimeError(
            f"prelu(): weight must be 1-d (one slope per channel) but got shape "
            f"{shape_str(weight._data.shape)}")
    if weight._data.size != 1 and weight._data.size != channels:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{weight._data.size} and channel size = {channels}. The input has shape "
            f"{shape_str(input._data.shape)}, so the channels (dim 1) number {channels}: use "
            f"nn.PReLU(num_parameters={channels}) or nn.PReLU() for one shared slope.")
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"prelu: Type promoting not supported. Got input of dtype {input._data.dtype} and "
            f"weight of dtype {weight._data.dtype}; convert one of them (x.float() or "
            "model.double()).")
    return PReLUFunction.apply(input, weight)


# ---------------------------------------------------------------------------------------
# squashing functions
# ---------------------------------------------------------------------------------------
@check_kwargs
def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, squashes to (0, 1). Shape: any -> same."""
    _check_tensor(input, "sigmoid")
    if input._data.dtype.kind in "biu":       # integers give floats, as in PyTorch
        input = Tensor(input._data.astype(np.float32))
    return SigmoidFunction.apply(input)


@check_kwargs
def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, squashes to (-1, 1). Shape: any -> same."""
    _check_tensor(input, "tanh")
    if input._data.dtype.kind in "biu":       # integers give floats, as in PyTorch
        input = Tensor(input._data.astype(np.float32))
    return TanhFunction.apply(input)


# ---------------------------------------------------------------------------------------
# softmax and log_softmax
# ---------------------------------------------------------------------------------------
def _implicit_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's legacy rule when ``dim`` is omitted: 0 for 0-, 1- and 3-d input, else 1."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        "include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_args(input, dim, dtype, name, stacklevel):
    _check_tensor(input, name)
    if dim is None:
        # +2 frames: this helper and the keyword-checking wrapper around softmax
        dim = _implicit_softmax_dim(name, input._data.ndim, stacklevel + 2)
    dim = _normalize_dim(dim, input._data.ndim, name)
    if dtype is not None:
        np_dtype = np.dtype(getattr(dtype, "np", dtype))
    else:
        np_dtype = input._data.dtype
    if np_dtype.kind != "f":
        raise RuntimeError(
            f"{name}(): expected a floating-point tensor but got dtype {np_dtype}; convert it "
            "first with x.float() or pass dtype=torch.float32.")
    return dim, np_dtype


@check_kwargs
def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """Softmax along ``dim``: entries become positive and sum to 1 along that dim.

    Shape: any -> same. Omitting ``dim`` uses PyTorch's deprecated implicit choice (with
    its warning); always pass it, e.g. ``dim=1`` for (batch, classes) scores.
    """
    dim, np_dtype = _softmax_args(input, dim, dtype, "softmax", _stacklevel)
    if input._data.ndim == 0:                 # a single number: treat it as a length-1 vector
        return SoftmaxFunction.apply(input.reshape(1), 0, np_dtype).reshape(())
    return SoftmaxFunction.apply(input, dim, np_dtype)


@check_kwargs
def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """``log(softmax(x))`` computed stably (log-sum-exp). Shape: any -> same."""
    dim, np_dtype = _softmax_args(input, dim, dtype, "log_softmax", _stacklevel)
    if input._data.ndim == 0:
        return LogSoftmaxFunction.apply(input.reshape(1), 0, np_dtype).reshape(())
    return LogSoftmaxFunction.apply(input, dim, np_dtype)


# ---------------------------------------------------------------------------------------
# smooth ReLU relatives
# ---------------------------------------------------------------------------------------


class GELUFunction(Function):
    """Gaussian error linear unit.

    'none': y = x * Phi(x),  Phi(x) = (1 + erf(x/sqrt(2))) / 2,
            dy/dx = Phi(x) + x * phi(x),  phi(x) = exp(-x^2/2) / sqrt(2 pi)
    'tanh': y = x/2 * (1 + tanh(u)),  u = sqrt(2/pi) * (x + 0.044715 x^3),
            dy/dx = (1 + tanh(u))/2 + x/2 * (1 - tanh(u)^2) * sqrt(2/pi) * (1 + 3*0.044715 x^2)

    Both directions are one fused pass each (teachnn/kernels/elementwise.py); backward
    recomputes Phi(x) from the saved x, as PyTorch does.
    """
    _backward_name = "GeluBackward0"
    _fresh_grads = True      # backward returns new arrays (see Function._fresh_grads)

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        return Tensor(elementwise.gelu(x._data, approximate))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return elementwise.gelu_backward(grad_out._data, x._data, ctx.approximate), None


@check_kwargs
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU ``x * Phi(x)`` (``approximate='tanh'``: the tanh formula). Shape: any -> same."""
    _check_tensor(input, "gelu")
    _check_float(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError(
            f"approximate argument must be either none or tanh, but got {approximate!r}.")
    return GELUFunction.apply(input, approximate)


class ELUFunction(Function):
    """The ELU family (ELU, SELU, CELU), with s = scale and k = input_scale:

        y = s * x                          if x > 0
        y = s * alpha * (exp(k x) - 1)     otherwise
        dy/dx = s  or  s * alpha * k * exp(k x)

    ELU: s = k = 1.  SELU: fixed alpha and s (self-normalising constants).  CELU: k = 1/alpha.
    """
    _backward_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha, scale=1.0, input_scale=1.0):
        a = x._data
        ctx.positive = a > 0
        # exp is only taken of values <= 0, so it never overflows
        ctx.exp_kx = np.exp(np.minimum(a, 0) * input_scale)
        neg_branch = alpha * np.expm1(np.minimum(a, 0) * input_scale)
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        return _as_out(scale * np.where(ctx.positive, a, neg_branch), a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        negative_slope = ctx.alpha * ctx.input_scale * ctx.exp_kx
        return ctx.scale * np.where(ctx.positive, g, g * negative_slope), None, None, None


class CELUFunction(ELUFunction):
    """CELU is ELU with input_scale = 1/alpha (PyTorch names its node CeluBackward0)."""
    _backward_name = "CeluBackward0"


@check_kwargs
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """ELU ``x if x > 0 else alpha * (exp(x) - 1)``. Shape: any -> same."""
    _check_tensor(input, "elu")
    _check_float(input, "elu")
    alpha = float(alpha)
    return _maybe_inplace(input, inplace, lambda x: ELUFunction.apply(x, alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@check_kwargs
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """SELU ``scale * (x if x > 0 else alpha * (exp(x) - 1))`` with alpha ~ 1.6733 and
    scale ~ 1.0507 (the constants that keep activations at mean 0, variance 1).
    Shape: any -> same."""
    _check_tensor(input, "selu")
    _check_float(input, "selu")
    return _maybe_inplace(input, inplace,
                          lambda x: ELUFunction.apply(x, _SELU_ALPHA, _SELU_SCALE))


@check_kwargs
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """CELU ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``. Shape: any -> same."""
    _check_tensor(input, "celu")
    _check_float(input, "celu")
    alpha = float(alpha)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu() needs alpha != 0 (it divides x by "
                           "alpha); use alpha=1.0 or another non-zero value.")
    return _maybe_inplace(input, inplace,
                          lambda x: CELUFunction.apply(x, alpha, 1.0, 1.0 / alpha))


class SiLUFunction(Function):
    """y = x * s, s = sigmoid(x);  dy/dx = s * (1 + x * (1 - s))."""
    _backward_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.s = _stable_sigmoid(x._data).astype(x._data.dtype)
        return _as_out(x._data * ctx.s, x._data.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        s = ctx.s
        return grad_out._data * s * (1 + x._data * (1 - s))


@check_kwargs
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """SiLU (swish) ``x * sigmoid(x)``. Shape: any -> same."""
    _check_tensor(input, "silu")
    _check_float(input, "silu")
    return _maybe_inplace(input, inplace, SiLUFunction.apply)


class SoftplusFunction(Function):
    """y = log(1 + exp(beta x)) / beta, or x where beta x > threshold (linear regime).

    dy/dx = sigmoid(beta x), or 1 in the linear regime.
    """
    _backward_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, beta, threshold):
        bx = x._data * beta
        ctx.linear = bx > threshold
        ctx.bx = bx
        # log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)): never overflows
        smooth = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta
        return _as_out(np.where(ctx.linear, x._data, smooth), x._data.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        slope = _stable_sigmoid(ctx.bx).astype(g.dtype)
        return np.where(ctx.linear, g, g * slope), None, None


@check_kwargs
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Softplus ``log(1 + exp(beta*x)) / beta``, a smooth ReLU. Shape: any -> same."""
    _check_tensor(input, "softplus")
    _check_float(input, "softplus")
    return SoftplusFunction.apply(input, float(beta), float(threshold))


# ---------------------------------------------------------------------------------------
# more activations from torch.nn: Mish, Hardswish, Hardsigmoid, LogSigmoid, Softsign, Softmin
# ---------------------------------------------------------------------------------------
def _softplus_plain(a):
    """log(1 + exp(a)) without overflow."""
    return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))


class MishFunction(Function):
    """y = x * tanh(softplus(x));  dy/dx = t + x * (1 - t^2) * sigmoid(x),  t = tanh(softplus(x))."""
    _backward_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        t = np.tanh(_softplus_plain(x._data))
        return _as_out(x._data * t, x._data.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        a = x._data
        t = np.tanh(_softplus_plain(a))
        return grad_out._data * (t + a * (1 - t * t) * _stable_sigmoid(a))


@check_kwargs
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """Mish ``x * tanh(softplus(x))``. Shape: any -> same."""
    _check_tensor(input, "mish")
    _check_float(input, "mish")
    return _maybe_inplace(input, inplace, MishFunction.apply)


class HardswishFunction(Function):
    """y = x * relu6(x + 3) / 6, i.e. 0 for x <= -3, x for x >= 3, x (x + 3) / 6 between;
    dy/dx = 0, 1, or x / 3 + 1/2 (strictly between -3 and 3, PyTorch's convention)."""
    _backward_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        a = x._data
        return _as_out(a * np.clip(a + 3, 0, 6) / 6, a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        a = x._data
        local = np.where(a <= -3, 0.0, np.where(a >= 3, 1.0, a / 3 + 0.5))
        return grad_out._data * local


@check_kwargs
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """Hardswish ``x * relu6(x + 3) / 6``. Shape: any -> same."""
    _check_tensor(input, "hardswish")
    _check_float(input, "hardswish")
    return _maybe_inplace(input, inplace, HardswishFunction.apply)


class HardsigmoidFunction(Function):
    """y = relu6(x + 3) / 6;  dy/dx = 1/6 strictly between -3 and 3, else 0."""
    _backward_name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        a = x._data
        ctx.inside = (a > -3) & (a < 3)
        return _as_out(np.clip(a + 3, 0, 6) / 6, a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out._data * ctx.inside / 6


@check_kwargs
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """Hardsigmoid ``relu6(x + 3) / 6``, a piecewise-linear sigmoid. Shape: any -> same."""
    _check_tensor(input, "hardsigmoid")
    _check_float(input, "hardsigmoid")
    return _maybe_inplace(input, inplace, HardsigmoidFunction.apply)


class LogSigmoidFunction(Function):
    """y = log(sigmoid(x)) = -softplus(-x) = min(x, 0) - log(1 + exp(-|x|));
    dy/dx = 1 - sigmoid(x) = sigmoid(-x)."""
    _backward_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        a = x._data
        return _as_out(np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a))), a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out._data * _stable_sigmoid(-x._data)


@check_kwargs
def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))`` computed stably. Shape: any -> same."""
    _check_tensor(input, "logsigmoid")
    _check_float(input, "logsigmoid")
    return LogSigmoidFunction.apply(input)


class SoftsignFunction(Function):
    """y = x / (1 + |x|);  dy/dx = 1 / (1 + |x|)^2."""
    _backward_name = "DivBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        a = x._data
        return _as_out(a / (1 + np.abs(a)), a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        d = 1 + np.abs(x._data)
        return grad_out._data / (d * d)


@check_kwargs
def softsign(input: Tensor) -> Tensor:
    """Softsign ``x / (1 + |x|)``, squashes to (-1, 1). Shape: any -> same."""
    _check_tensor(input, "softsign")
    _check_float(input, "softsign")
    return SoftsignFunction.apply(input)


@check_kwargs
def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """Softmin ``softmax(-x)`` along ``dim``: the smallest entry gets the largest weight.
    Shape: any -> same."""
    _check_tensor(input, "softmin")
    if dim is None:
        dim = _implicit_softmax_dim("softmin", input._data.ndim, _stacklevel + 1)
    _normalize_dim(dim, input._data.ndim, "softmin")          # errors name softmin
    return softmax(-input, dim, _stacklevel, dtype)

