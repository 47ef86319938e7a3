"""Loss functions, stateless form (``F.cross_entropy``, ``F.mse_loss``, ...).

Every loss first computes one number per element (or per sample), then *reduces*:

    reduction='none'  keep them all             shape of the elementwise loss
    reduction='sum'   add them up               0-d
    reduction='mean'  add them up and divide    0-d   (divided by the element count, or for
                                                       weighted class losses by the weight sum)

Each loss is an autograd ``Function`` whose backward starts from the *seed* gradient
``dL/dloss_i`` (the incoming gradient spread back over the reduction) and multiplies it by
the derivative of the formula. Shapes and formulas are stated on every function.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..._errors import check_kwargs, shape_str
from ...autograd import Function
from ...kernels import loss as loss_kernels
from ..._promotion import _promote_types
from ...tensor import Tensor
from .activation import log_softmax

__all__ = [
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
]

_REDUCTIONS = ("none", "mean", "sum")


# ---------------------------------------------------------------------------------------
# argument checks shared by every loss
# ---------------------------------------------------------------------------------------
def _size_str(shape) -> str:
    """Shapes in the words PyTorch uses in loss messages: ``torch.Size([3, 1])``."""
    return f"torch.Size({shape_str(shape)})"


def _legacy_reduction(size_average, reduce, reduction, func_name):
    """The old ``size_average`` / ``reduce`` flags, translated to ``reduction`` like PyTorch."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(
        f"{func_name}(): size_average and reduce args will be deprecated, please use "
        "reduction='mean', 'sum' or 'none' instead.", UserWarning, stacklevel=4)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _check_reduction(reduction, func_name):
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{reduction} is not a valid value for reduction: {func_name}() accepts "
            "reduction='mean' (the default), 'sum' or 'none'.")


def _check_tensor(x, func_name, arg_name):
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{func_name}(): argument '{arg_name}' must be a Tensor, not {type(x).__name__}. "
            "Wrap the values first, e.g. torch.tensor(values).")


def _check_float(x, func_name, arg_name):
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            f"{func_name}(): expected '{arg_name}' to be a floating-point tensor but got dtype "
            f"{x._data.dtype}; convert it with {arg_name}.float().")


def _optional_array(t, func_name, arg_name):
    """``None`` or the NumPy array of a weight-like Tensor (these never get gradients here)."""
    if t is None:
        return None
    _check_tensor(t, func_name, arg_name)
    return t._data


# ---------------------------------------------------------------------------------------
# reduction forward / backward
# ---------------------------------------------------------------------------------------
def _reduce(losses: np.ndarray, reduction: str, denominator=None) -> np.ndarray:
    """'none' -> losses; 'sum' -> sum; 'mean' -> sum / denominator (default: element count)."""
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return np.asarray(total, dtype=losses.dtype)
    if denominator is None:
        denominator = losses.size
    with np.errstate(invalid="ignore", divide="ignore"):      # 0/0 -> nan, as PyTorch
        return np.asarray(total / denominator, dtype=losses.dtype)


def _seed_gradient(grad_out: np.ndarray, shape, reduction: str, denominator=None):
    """dL/dloss_i for every element of the unreduced loss (the backward of ``_reduce``)."""
    if reduction == "none":
        return grad_out
    if reduction == "sum":
        return np.broadcast_to(grad_out, shape)
    if denominator is None:
        denominator = int(np.prod(shape))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.broadcast_to(grad_out / denominator, shape)


def _pointwise_denominator(weight, mean_by_weight_sum):
    """mse/l1 with ``weight`` divide the weighted sum by ``weight.sum()``; others by the count."""
    if weight is not None and mean_by_weight_sum:
        return weight.sum()
    return None


def _warn_if_broadcasting(input, target, func_name):
    if input._data.shape != target._data.shape:
        warnings.warn(
            f"Using a target size ({_size_str(target._data.shape)}) that is different to the "
            f"input size ({_size_str(input._data.shape)}). This will likely lead to incorrect "
            "results due to broadcasting. Please ensure they have the same size "
            f"({func_name}: e.g. target.view_as(input) or output.squeeze(-1)).",
            UserWarning, stacklevel=5)   # this helper, _pointwise, the loss, its wrapper
    try:
        return np.broadcast_shapes(input._data.shape, target._data.shape)
    except ValueError:
        raise RuntimeError(
            f"{func_name}(): the size of input {shape_str(input._data.shape)} and target "
            f"{shape_str(target._data.shape)} cannot be broadcast together; give the target "
            "the same shape as the input.") from None


def _check_pointwise_weight(weight, input, func_name):
    if weight is not None and weight.shape != input._data.shape:
        raise ValueError(
            f"Weights and input must have the same size: {func_name}() got weight of shape "
            f"{shape_str(weight.shape)} and input of shape {shape_str(input._data.shape)}.")


# ---------------------------------------------------------------------------------------
# regression losses: elementwise formula of d = input - target
# ---------------------------------------------------------------------------------------
class _PointwiseLoss(Function):
    """Shared forward/backward of the regression losses.

    A subclass defines two static methods of d = input - target (broadcast shape):
        ``elementwise(d, param)``  the loss of each element
        ``derivative(d, param)``   d loss / d d   (so d/d input = +that, d/d target = -that)
    Optional ``weight`` (same shape as the input) multiplies each element's loss.

    ``forward``/``backward`` are classmethods here (not staticmethods) so that the shared
    code can call the subclass's formula; ``Function.apply`` calls ``cls.forward(ctx, ...)``
    and works the same either way.
    """

    @staticmethod
    def elementwise(d, param):
        raise NotImplementedError

    @staticmethod
    def derivative(d, param):
        raise NotImplementedError

    # PyTorch computes mse, l1 and smooth_l1 in the promoted dtype of input and target (an
    # integer target counts as the input's float type, a float64 target widens the result);
    # huber_loss keeps the input's dtype, and its backward refuses an integer target.
    promotes_target = False

    @classmethod
    def forward(cls, ctx, input, target, reduction, param, weight, mean_by_weight_sum):
        dtype = (_promote_types(input._data.dtype, target._data.dtype) if cls.promotes_target
                 else input._data.dtype)
        d = input._data.astype(dtype, copy=False) - target._data.astype(dtype, copy=False)
        losses = cls.elementwise(d, param)                      # broadcast shape
        if weight is not None:
            losses = losses * weight
        ctx.d, ctx.param, ctx.weight, ctx.reduction = d, param, weight, reduction
        ctx.dtypes = input._data.dtype, target._data.dtype
        ctx.denominator = _pointwise_denominator(weight, mean_by_weight_sum)
        return Tensor(_reduce(losses.astype(dtype, copy=False), reduction, ctx.denominator))

    @classmethod
    def backward(cls, ctx, grad_out):
        input_dtype, target_dtype = ctx.dtypes       # each gradient in its tensor's dtype
        if not cls.promotes_target and target_dtype.kind != "f":
            raise RuntimeError(
                f"Found dtype {target_dtype} for the target of {cls._backward_name} but expected "
                f"a floating-point dtype; convert it with target.float() before the loss.")
        seed = _seed_gradient(grad_out._data, ctx.d.shape, ctx.reduction, ctx.denominator)
        local = cls.derivative(ctx.d, ctx.param)
        if ctx.weight is not None:
            local = local * ctx.weight
        grad_d = seed * local            # the engine sums broadcast axes back to each shape
        grad_input = grad_d.astype(input_dtype, copy=False) if ctx.needs_input_grad[0] else None
        grad_target = (-grad_d).astype(target_dtype, copy=False) if ctx.needs_input_grad[1] else None
        return grad_input, grad_target, None, None, None, None


class MSELossFunction(_PointwiseLoss):
    """loss = d^2;  dloss/dd = 2 d."""
    _backward_name = "MseLossBackward0"
    promotes_target = True

    @staticmethod
    def elementwise(d, param):
        return d * d

    @staticmethod
    def derivative(d, param):
        return 2 * d


class L1LossFunction(_PointwiseLoss):
    """loss = |d|;  dloss/dd = sign(d) (0 at d = 0, like PyTorch)."""
    _backward_name = "L1LossBackward0"
    promotes_target = True

    @staticmethod
    def elementwise(d, param):
        return np.abs(d)

    @staticmethod
    def derivative(d, param):
        return np.sign(d)


class SmoothL1LossFunction(_PointwiseLoss):
    """loss = 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta;
    dloss/dd = d / beta or sign(d). With beta = 0 it is the L1 loss."""
    _backward_name = "SmoothL1LossBackward0"
    promotes_target = True

    @staticmethod
    def elementwise(d, beta):
        z = np.abs(d)
        if beta == 0:
            return z
        return np.where(z < beta, 0.5 * d * d / beta, z - 0.5 * beta)

    @staticmethod
    def derivative(d, beta):
        if beta == 0:
            return np.sign(d)
        return np.where(np.abs(d) < beta, d / beta, np.sign(d))


class HuberLossFunction(_PointwiseLoss):
    """loss = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta);
    dloss/dd = d inside, delta * sign(d) outside (= clamp(d, -delta, delta))."""
    _backward_name = "HuberLossBackward0"

    @staticmethod
    def elementwise(d, delta):
        z = np.abs(d)
        return np.where(z < delta, 0.5 * d * d, delta * (z - 0.5 * delta))

    @staticmethod
    def derivative(d, delta):
        return np.clip(d, -delta, delta)


def _pointwise(cls, name, input, target, reduction, param=None, weight=None,
               mean_by_weight_sum=True):
    _check_tensor(input, name, "input")
    _check_tensor(target, name, "target")
    _check_reduction(reduction, name)
    _check_float(input, name, "input")
    _warn_if_broadcasting(input, target, name)
    weight = _optional_array(weight, name, "weight")
    _check_pointwise_weight(weight, input, name)
    return cls.apply(input, target, reduction, param, weight, mean_by_weight_sum)


@check_kwargs
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error: ``(input - target)^2`` per element, then reduced.

    Shapes: input (*), target (*) same shape (broadcasting works but warns, as in PyTorch).
    With ``weight`` (shape of input): 'mean' is ``sum(w * d^2) / sum(w)``.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction, "mse_loss")
    return _pointwise(MSELossFunction, "mse_loss", input, target, reduction, None, weight)


@check_kwargs
def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error: ``|input - target|`` per element, then reduced. Shapes as mse_loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "l1_loss")
    if isinstance(target, Tensor) and target._data.dtype == np.bool_:
        raise RuntimeError("l1_loss(): subtracting a bool target is not supported (PyTorch "
                           "computes input - target); convert the mask with target.float().")
    return _pointwise(L1LossFunction, "l1_loss", input, target, reduction, None, weight)


@check_kwargs
def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Quadratic for ``|d| < beta`` (scaled by 1/beta), linear beyond. Shapes as mse_loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta "
                           f"(got beta={beta}); use beta >= 0.")
    return _pointwise(SmoothL1LossFunction, "smooth_l1_loss", input, target, reduction,
                      float(beta))


@check_kwargs
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Quadratic for ``|d| < delta``, ``delta * (|d| - delta/2)`` beyond. Shapes as mse_loss.

    Equals ``delta * smooth_l1_loss(..., beta=delta)``. With ``weight``, 'mean' is the
    plain mean of the weighted losses (PyTorch's choice for this loss).
    """
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta "
                           f"(got delta={delta}); use delta > 0.")
    return _pointwise(HuberLossFunction, "huber_loss", input, target, reduction, float(delta),
                      weight, mean_by_weight_sum=False)


# ---------------------------------------------------------------------------------------
# binary cross entropy
# ---------------------------------------------------------------------------------------
class BinaryCrossEntropyFunction(Function):
    """loss = -w [ y log(x) + (1 - y) log(1 - x) ],  x in [0, 1] a probability.

    Each log is clamped at -100 (PyTorch's rule) so x = 0 or 1 gives a finite loss.
        dloss/dx = w (x - y) / max(x (1 - x), 1e-12)
        dloss/dy = w (log(1 - x) - log(x))
    """
    _backward_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, input, target, weight, reduction):
        x, y = input._data, target._data
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        losses = -(y * log_x + (1 - y) * log_1mx)
        if weight is not None:
            losses = losses * weight
        ctx.save_for_backward(input, target)
        ctx.weight, ctx.reduction = weight, reduction
        return Tensor(_reduce(np.asarray(losses, dtype=x.dtype), reduction))

    @staticmethod
    def backward(ctx, grad_out):
        input, target = ctx.saved_tensors
        x, y = input._data, target._data
        seed = _seed_gradient(grad_out._data, x.shape, ctx.reduction)
        w = 1 if ctx.weight is None else ctx.weight
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_x = seed * w * (x - y) / np.maximum(x * (1 - x), 1e-12)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                grad_y = seed * w * (np.log1p(-x) - np.log(x))
        return grad_x, grad_y, None, None


def _check_same_size_target(input, target, func_name):
    if input._data.shape != target._data.shape:
        raise ValueError(
            f"Using a target size ({_size_str(target._data.shape)}) that is different to the "
            f"input size ({_size_str(input._data.shape)}) is deprecated. Please ensure they have "
            f"the same size. {func_name} compares each probability with its own target, e.g. "
            "output.squeeze(1) or target.view_as(output).")


def _broadcast_weight(weight, shape, func_name, arg_name="weight"):
    if weight is None:
        return None
    try:
        return np.broadcast_to(weight, shape)
    except ValueError:
        raise RuntimeError(
            f"{func_name}(): {arg_name} of shape {shape_str(weight.shape)} cannot be broadcast "
            f"to the input's shape {shape_str(shape)}") from None


@check_kwargs
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross entropy between probabilities ``input`` (in [0, 1]) and ``target``.

    Shapes: input (*), target (*) the same shape, weight broadcastable to it.
    For raw scores (logits) use ``binary_cross_entropy_with_logits``: it is stabler.
    """
    name = "binary_cross_entropy"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    _check_tensor(input, name, "input")
    _check_tensor(target, name, "target")
    _check_reduction(reduction, name)
    _check_float(input, name, "input")
    _check_float(target, name, "target")
    _check_same_size_target(input, target, name)
    x = input._data
    if x.size and not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError(
            "all elements of input should be between 0 and 1: binary_cross_entropy expects "
            f"probabilities but got values from {float(np.nanmin(x)):.4g} to "
            f"{float(np.nanmax(x)):.4g}. Apply torch.sigmoid first, or pass the raw scores to "
            "F.binary_cross_entropy_with_logits / nn.BCEWithLogitsLoss.")
    w = _broadcast_weight(_optional_array(weight, name, "weight"), x.shape, name)
    return BinaryCrossEntropyFunction.apply(input, target, w, reduction)


def _stable_sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


class BCEWithLogitsFunction(Function):
    """Binary cross entropy on logits x (sigmoid folded in, so it never overflows):

        loss = w [ (1 - y) x + l * softplus(-x) ],   l = 1 + (pos_weight - 1) y
        softplus(-x) = log(1 + exp(-x)) = max(-x, 0) + log(1 + exp(-|x|))
        dloss/dx = w [ (1 - y) - l * sigmoid(-x) ]   (= w (sigmoid(x) - y) when pos_weight = 1)
        dloss/dy = w [ -x + (pos_weight - 1) softplus(-x) ]
    """
    _backward_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction):
        x, y = input._data, target._data
        softplus_neg_x = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        l = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        losses = (1 - y) * x + l * softplus_neg_x
        if weight is not None:
            losses = losses * weight
        ctx.save_for_backward(input, target)
        ctx.weight, ctx.pos_weight, ctx.reduction = weight, pos_weight, reduction
        ctx.softplus_neg_x = softplus_neg_x
        return Tensor(_reduce(np.asarray(losses, dtype=x.dtype), reduction))

    @staticmethod
    def backward(ctx, grad_out):
        input, target = ctx.saved_tensors
        x, y = input._data, target._data
        seed = _seed_gradient(grad_out._data, x.shape, ctx.reduction)
        w = 1 if ctx.weight is None else ctx.weight
        pw = ctx.pos_weight
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            l = 1 if pw is None else 1 + (pw - 1) * y
            grad_x = seed * w * ((1 - y) - l * _stable_sigmoid(-x))
        if ctx.needs_input_grad[1]:
            local = -x if pw is None else -x + (pw - 1) * ctx.softplus_neg_x
            grad_y = seed * w * local
        return grad_x, grad_y, None, None, None


@check_kwargs
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross entropy in one numerically stable step.

    Shapes: input (*) raw scores (logits), target (*) the same shape with values in [0, 1];
    weight broadcastable to input; pos_weight broadcastable to input (usually (C,), one
    weight per class on the last dimension, multiplying the positive term).
    """
    name = "binary_cross_entropy_with_logits"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    _check_tensor(input, name, "input")
    _check_tensor(target, name, "target")
    _check_reduction(reduction, name)
    _check_float(input, name, "input")
    _check_float(target, name, "target")
    if input._data.shape != target._data.shape:
        raise ValueError(
            f"Target size ({_size_str(target._data.shape)}) must be the same as input size "
            f"({_size_str(input._data.shape)}); e.g. target.view_as(input) or output.squeeze(1).")
    shape = input._data.shape
    w = _broadcast_weight(_optional_array(weight, name, "weight"), shape, name)
    pw = _broadcast_weight(_optional_array(pos_weight, name, "pos_weight"), shape, name,
                           "pos_weight")
    return BCEWithLogitsFunction.apply(input, target, w, pw, reduction)


# ---------------------------------------------------------------------------------------
# negative log-likelihood and cross entropy (class dimension = 1, or 0 for unbatched input)
# ---------------------------------------------------------------------------------------
class NLLLossFunction(Function):
    """Negative log-likelihood of log-probabilities ``logp`` at the target classes.

    Shapes: logp (N, C, d1, ...) or (C,);  target (N, d1, ...) or () with class indices.
    Per position i (t = target[i], valid = t != ignore_index):

        loss_i = valid * [ (1 - s) * w[t] * (-logp[i, t])  +  (s / C) * sum_c w[c] * (-logp[i, c]) ]

    s is the label smoothing (0 for plain nll_loss). 'mean' divides the sum by
    sum_i valid * w[t_i] (the weights of the targets actually used), exactly as PyTorch.
        dloss_i/dlogp[i, c] = -valid * [ (1 - s) w[t] [c == t] + (s / C) w[c] ]
    """
    _backward_name = "NllLossBackward0"
    _fresh_grads = True      # backward returns new arrays (see Function._fresh_grads)

    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction, label_smoothing):
        lp = logp._data                                  # (N, C, d1..) or (C,)
        # one pass over the positions (teachnn/kernels/loss.py): each target's loss and
        # weight w_t (0 where ignored)
        losses, w_t = loss_kernels.nll_forward(lp, target, weight, ignore_index,
                                               label_smoothing)          # (N, d1..)
        ctx.target, ctx.weight, ctx.ignore_index = target, weight, ignore_index
        ctx.reduction, ctx.label_smoothing = reduction, label_smoothing
        ctx.lp_shape = lp.shape
        ctx.denominator = w_t.sum()
        return Tensor(_reduce(losses, reduction, ctx.denominator))

    @staticmethod
    def backward(ctx, grad_out):
        seed = _seed_gradient(grad_out._data, ctx.target.shape, ctx.reduction, ctx.denominator)
        # ignored positions get exactly 0 (even when every target is ignored and 'mean'
        # divided by 0: PyTorch's gradient is then 0, not nan)
        grad = loss_kernels.nll_backward(seed, ctx.target, ctx.weight, ctx.ignore_index,
                                         ctx.label_smoothing, ctx.lp_shape,
                                         grad_out._data.dtype)           # (N, C, d1..)
        return grad, None, None, None, None, None


def _check_class_target(input, target, func_name):
    """Validate integer class targets against input (N, C, d1, ...) or (C,)."""
    if target._data.dtype.kind == "f":
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {target._data.dtype}: "
            f"{func_name} expected class indices of dtype int64 (teachnn.long) with shape "
            f"{_expected_target_shape(input)}, but got a float tensor of shape "
            f"{shape_str(target._data.shape)}. Use target.long() for class indices "
            "(or give probabilities with the same shape as the input).")
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"{func_name}: expected class indices of dtype int64 (teachnn.long) but got "
            f"{target._data.dtype}; use target.long().")
    in_shape, t_shape = input._data.shape, target._data.shape
    if input._data.ndim == 1:
        ok = t_shape == ()
    else:
        if len(t_shape) >= 1 and t_shape[0] != in_shape[0]:
            raise ValueError(
                f"Expected input batch_size ({in_shape[0]}) to match target batch_size "
                f"({t_shape[0]}): {func_name} needs one class index per sample. Input has shape "
                f"{shape_str(in_shape)}, target {shape_str(t_shape)}.")
        ok = t_shape == in_shape[:1] + in_shape[2:]
    if not ok:
        if input._data.ndim == 2 and len(t_shape) == 2 and t_shape[1] == 1:
            fix = "target.squeeze(1) (or target.view(-1)) gives one class index per sample"
        else:
            fix = ("for one-hot or probability targets give a float tensor of the input's "
                   "shape; for one-hot integer targets use target.argmax(dim=1)")
        raise RuntimeError(
            f"{func_name}: expected target of shape {_expected_target_shape(input)} (input shape "
            f"{shape_str(in_shape)} without its class dimension 1) but got "
            f"{shape_str(t_shape)}; multi-target not supported. Fix: {fix}.")


def _expected_target_shape(input):
    s = input._data.shape
    return "[]" if len(s) == 1 else shape_str(s[:1] + s[2:])


def _check_class_range(target, n_classes, ignore_index):
    value = loss_kernels.first_bad_target(target._data, n_classes, ignore_index)
    if value is not None:
        raise IndexError(
            f"Target {value} is out of bounds for {n_classes} classes: class indices must be "
            f"in [0, {n_classes - 1}] (or equal ignore_index={ignore_index}). Check that the "
            f"model's last layer has as many outputs as there are classes.")


def _check_class_weight(weight, n_classes):
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(
            f"weight tensor should be defined either for all {n_classes} classes or no classes "
            f"but got weight tensor of shape: {shape_str(weight.shape)}. Give one weight per "
            "class.")


def _check_class_input(input, func_name):
    _check_tensor(input, func_name, "input")
    if input._data.ndim == 0:
        raise ValueError(
            f"{func_name}: input is a 0-d tensor; expected scores of shape [batch, classes] "
            "(or [classes] for one sample).")
    _check_float(input, func_name, "input")


@check_kwargs
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: ``-input[i, target[i]]`` (times ``weight[target[i]]``).

    Shapes: input (N, C) / (N, C, d1, ...) / (C,) log-probabilities (e.g. from log_softmax),
    target (N,) / (N, d1, ...) / () class indices in [0, C). 'mean' divides by the sum of
    the weights of the non-ignored targets.
    """
    name = "nll_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    _check_reduction(reduction, name)
    _check_class_input(input, name)
    _check_tensor(target, name, "target")
    _check_class_target(input, target, name)
    n_classes = input._data.shape[1 if input._data.ndim >= 2 else 0]
    w = _optional_array(weight, name, "weight")
    _check_class_weight(w, n_classes)
    _check_class_range(target, n_classes, ignore_index)
    return NLLLossFunction.apply(input, target._data.astype(np.int64), w,
                                 ignore_index, reduction, 0.0)


class SoftTargetCrossEntropyFunction(Function):
    """Cross entropy with class *probabilities* as target (same shape as logp).

        target' = (1 - s) * target + s / C             (s = label smoothing)
        loss_i  = -sum_c w[c] * target'[i, c] * logp[i, c]     (summed over the class dim)
    'mean' divides by the number of positions N * d1 * ... (not by the weights).
        dloss_i/dlogp[i, c]   = -w[c] * target'[i, c]
        dloss_i/dtarget[i, c] = -(1 - s) * w[c] * logp[i, c]
    """

    @staticmethod
    def forward(ctx, logp, target, weight, reduction, label_smoothing):
        class_dim = 1 if logp._data.ndim >= 2 else 0
        n_classes = logp._data.shape[class_dim]
        w_shape = [1] * logp._data.ndim
        w_shape[class_dim] = n_classes
        w = 1 if weight is None else weight.reshape(w_shape)     # (1, C, 1, ...)
        t = (1 - label_smoothing) * target._data + label_smoothing / n_classes
        losses = -(w * t * logp._data).sum(axis=class_dim)
        ctx.save_for_backward(logp, target)
        ctx.class_dim, ctx.w, ctx.t, ctx.s = class_dim, w, t, label_smoothing
        ctx.reduction = reduction
        return Tensor(_reduce(np.asarray(losses, dtype=logp._data.dtype), reduction))

    @staticmethod
    def backward(ctx, grad_out):
        logp, target = ctx.saved_tensors
        out_shape = tuple(np.delete(logp._data.shape, ctx.class_dim))
        seed = _seed_gradient(grad_out._data, out_shape, ctx.reduction)
        seed = np.expand_dims(seed, ctx.class_dim)                 # put the class axis back
        grad_logp = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_logp = -seed * ctx.w * ctx.t
        if ctx.needs_input_grad[1]:
            grad_target = -seed * ctx.w * (1 - ctx.s) * logp._data
        return grad_logp, grad_target, None, None, None


@check_kwargs
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between raw scores (logits) and targets: ``nll_loss(log_softmax(input))``.

    Shapes: input (N, C) or (N, C, d1, ...) or (C,) raw scores. target either
      * class indices (int64) of shape (N,) / (N, d1, ...) / (), values in [0, C), or
      * class probabilities (float) of the input's shape.
    weight (C,) rescales each class; ignore_index marks targets that do not count;
    label_smoothing s mixes the target with the uniform distribution: (1 - s) t + s / C.
    """
    name = "cross_entropy"
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    _check_reduction(reduction, name)
    _check_class_input(input, name)
    _check_tensor(target, name, "target")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(
            f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if input._data.ndim >= 2 else 0
    n_classes = input._data.shape[class_dim]
    w = _optional_array(weight, name, "weight")
    _check_class_weight(w, n_classes)

    probability_target = (target._data.dtype.kind == "f"
                          and target._data.shape == input._data.shape)
    if probability_target:
        logp = log_softmax(input, class_dim)                     # same shape as input
        return SoftTargetCrossEntropyFunction.apply(logp, target, w, reduction,
                                                    float(label_smoothing))
    _check_class_target(input, target, name)
    _check_class_range(target, n_classes, ignore_index)
    logp = log_softmax(input, class_dim)                         # (N, C, d1, ...)
    return NLLLossFunction.apply(logp, target._data.astype(np.int64), w,
                                 ignore_index, reduction, float(label_smoothing))
