"""``Adam`` and ``AdamW``: adaptive moment estimation.

For each parameter ``p`` with gradient ``g``, at step ``t`` (PyTorch's algorithm)::

    g = -g                                        if maximize
    p = p * (1 - lr * weight_decay)               AdamW (decoupled weight decay)
    g = g + weight_decay * p                      Adam with weight_decay != 0 (L2 penalty)
    m = beta1 * m + (1 - beta1) * g               first moment  (moving mean of g)
    v = beta2 * v + (1 - beta2) * g * g           second moment (moving mean of g²)
    v_max = max(v_max, v); use v_max for v        if amsgrad
    m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)     bias corrections
    p = p - lr * m_hat / (sqrt(v_hat) + eps)

(The code folds the bias corrections into ``step_size`` and ``denom`` exactly as PyTorch
does, so the numbers agree to the last bits.)
"""
from __future__ import annotations

import numpy as np

from teachnn.tensor import Tensor
from .optimizer import (Optimizer, _changed_in_place, _check_number, _implementation_switches,
                        _scalar_state, _to_scalar)

__all__ = ["Adam", "AdamW"]


def _lerp_(start, end, weight):
    """In-place ``start += weight * (end - start)`` with PyTorch's rounding-friendly form."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, maximize=False)``"""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        switches = _implementation_switches(type(self).__name__, foreach, fused, differentiable, capturable)
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            _check_number(name, value)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise TypeError(f"betas must be a pair of numbers like (0.9, 0.999), but got {betas!r}")
        _check_number("betas[0]", betas[0])
        _check_number("betas[1]", betas[1])
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        # the keys in PyTorch's order (state_dict()['param_groups'] reads the same)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=switches["foreach"],
                        capturable=switches["capturable"], differentiable=switches["differentiable"],
                        fused=switches["fused"], decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient. Returns ``closure()`` if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                if group["maximize"]:
                    grad = -grad
                state = self.state[p]
                if len(state) == 0:                 # lazy state initialisation
                    state["step"] = _scalar_state(0.0)
                    state["exp_avg"] = Tensor(np.zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor(np.zeros_like(p._data))
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = Tensor(np.zeros_like(p._data))
                exp_avg = state["exp_avg"]._data
                exp_avg_sq = state["exp_avg_sq"]._data

                state["step"]._data = np.asarray(state["step"]._data + 1)
                step = float(state["step"]._data)

                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        p._data *= 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * p._data

                _lerp_(exp_avg, grad, 1 - beta1)                    # m <- beta1 m + (1-beta1) g
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad              # v <- beta2 v + (1-beta2) g²

                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5

                if group["amsgrad"]:
                    max_exp_avg_sq = state["max_exp_avg_sq"]._data
                    np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                    denom = np.sqrt(max_exp_avg_sq) / bias_correction2_sqrt + eps
                else:
                    denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps

                p._data += (-step_size * exp_avg) / denom
                _changed_in_place(p)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` before the Adam step).

    ``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *, maximize=False)``
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, foreach=foreach, capturable=capturable,
                         differentiable=differentiable, fused=fused, decoupled_weight_decay=True)
