"""Kullback-Leibler divergence loss, ``F.kl_div``.

``input`` holds log-probabilities log q (e.g. the output of ``log_softmax``); ``target``
holds probabilities p (or log p with ``log_target=True``). Elementwise:

    loss = p * (log p - log q)                   (a term with p = 0 counts as 0)
    loss = exp(t) * (t - log q)                  with log_target=True, t = log p

Reductions: 'none', 'sum', 'mean' (sum / number of elements) and 'batchmean'
(sum / input.shape[0]: the KL divergence per sample, the mathematical definition).

Backward:
    dL/dinput  = -p                              (-exp(t) with log_target)
    dL/dtarget = log p + 1 - log q               (exp(t) * (t - log q + 1) with log_target)
"""
from __future__ import annotations

import warnings

import numpy as np

from ..._errors import check_kwargs
from ...autograd import Function
from ...tensor import Tensor
from .loss import _check_float, _check_tensor, _legacy_reduction

__all__ = ["kl_div"]

_KL_REDUCTIONS = ("none", "mean", "batchmean", "sum")


class KLDivFunction(Function):
    """Elementwise KL terms, then the reduction (with its own denominator)."""
    _backward_name = "KlDivBackward0"

    @staticmethod
    def forward(ctx, input, target, reduction, log_target):
        q, t = np.broadcast_arrays(input._data, target._data)
        if log_target:
            p = np.exp(t)
            losses = p * (t - q)
        else:
            p = t
            with np.errstate(divide="ignore", invalid="ignore"):
                # xlogy: 0 * log 0 is 0, so a class with no probability adds nothing
                plogp = np.where(t == 0, 0.0, t * np.log(np.where(t == 0, 1.0, t)))
            losses = plogp - t * q
        if reduction == "batchmean":
            denominator = input._data.shape[0] if input._data.ndim > 0 else 1
        elif reduction == "mean":
            denominator = losses.size
        else:
            denominator = 1
        ctx.q, ctx.t, ctx.p = q, t, p
        ctx.reduction, ctx.log_target, ctx.denominator = reduction, log_target, denominator
        ctx.shapes = (input._data.shape, target._data.shape)
        dtype = np.result_type(input._data.dtype, target._data.dtype)
        if reduction == "none":
            return Tensor(losses.astype(dtype, copy=False))
        with np.errstate(invalid="ignore", divide="ignore"):
            return Tensor(np.asarray(losses.sum() / denominator, dtype=dtype))

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        if ctx.reduction != "none":
            g = np.broadcast_to(g / ctx.denominator, ctx.q.shape)   # dL/dloss_i
        grad_in = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_in = _unbroadcast(-ctx.p * g, ctx.shapes[0])
        if ctx.needs_input_grad[1]:
            if ctx.log_target:
                d = ctx.p * (ctx.t - ctx.q + 1)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    d = np.log(ctx.t) + 1 - ctx.q
            grad_t = _unbroadcast(d * g, ctx.shapes[1])
        return grad_in, grad_t, None, None


def _unbroadcast(grad, shape):
    """Sum a broadcast gradient back to ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


@check_kwargs
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence of ``target`` from ``exp(input)``; see the module docstring.

    Shapes: input (*) log-probabilities, target (*) same shape (broadcastable);
    output () or (*) with reduction='none'.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction, "kl_div")
    _check_tensor(input, "kl_div", "input")
    _check_tensor(target, "kl_div", "target")
    if reduction not in _KL_REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction: kl_div() accepts "
                         "'batchmean' (the KL divergence per sample), 'sum', 'mean' or 'none'.")
    _check_float(input, "kl_div", "input")
    _check_float(target, "kl_div", "target")
    try:
        np.broadcast_shapes(input._data.shape, target._data.shape)
    except ValueError:
        a, b = input._data.shape[::-1], target._data.shape[::-1]
        dim = next(i for i in range(min(len(a), len(b))) if a[i] != b[i] and 1 not in
                   (a[i], b[i]))
        raise RuntimeError(
            f"The size of tensor a ({a[dim]}) must match the size of tensor b ({b[dim]}) at "
            f"non-singleton dimension {max(len(a), len(b)) - 1 - dim}: kl_div's input and "
            "target must have the same shape (or broadcast).") from None
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", UserWarning, stacklevel=2)
    node = _NODES[(reduction, bool(log_target))]
    return node.apply(input, target, reduction, bool(log_target))


# PyTorch builds kl_div from small operations, so its grad_fn is the last one of them
_NODES = {}
for _reduction, _last in (("mean", "MeanBackward0"), ("sum", "SumBackward0"),
                          ("batchmean", "DivBackward0")):
    for _log_target in (False, True):
        _NODES[(_reduction, _log_target)] = type(_last.replace("Backward0", "KLDivFunction"),
                                                 (KLDivFunction,), {"_backward_name": _last})
_NODES[("none", False)] = type("SubKLDivFunction", (KLDivFunction,),
                               {"_backward_name": "SubBackward0"})
_NODES[("none", True)] = type("MulKLDivFunction", (KLDivFunction,),
                              {"_backward_name": "MulBackward0"})
