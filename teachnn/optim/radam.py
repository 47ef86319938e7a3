"""``RAdam``: Adam whose adaptive step is switched on gradually ("rectified"), so the first
steps, when the second moment is still a poor estimate, are plain momentum SGD.

For each parameter ``p`` with gradient ``g`` at step ``t`` (PyTorch's algorithm)::

    g = -g                                           if maximize
    p = p * (1 - lr * weight_decay)                  if decoupled_weight_decay (as AdamW)
    g = g + weight_decay * p                         otherwise, if weight_decay != 0
    m = beta1 * m + (1 - beta1) * g;   m_hat = m / (1 - beta1**t)
    v = beta2 * v + (1 - beta2) * g * g
    rho_inf = 2 / (1 - beta2) - 1                    length of the moving average, at most
    rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)  ... and at step t
    if rho_t > 5:                                    the variance estimate is trustworthy
        r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        p = p - lr * m_hat * sqrt(1 - beta2**t) / (sqrt(v) + eps) * r
    else:
        p = p - lr * m_hat
"""
from __future__ import annotations

import math

import numpy as np

from teachnn.tensor import Tensor
from .adam import _lerp_
from .optimizer import (Optimizer, _changed_in_place, _check_betas, _check_number,
                        _implementation_switches, _scalar_state, _to_scalar)

__all__ = ["RAdam"]


def radam_update(param, grad, exp_avg, exp_avg_sq, step, *, lr, beta1, beta2, eps, weight_decay,
                 decoupled_weight_decay, maximize):
    """One RAdam step on NumPy arrays (``step`` is already counted: 1 on the first call)."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    _lerp_(exp_avg, grad, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    bias_corrected_exp_avg = exp_avg / bias_correction1
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    if rho_t > 5.0:
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        adaptive_lr = (bias_correction2 ** 0.5) / (np.sqrt(exp_avg_sq) + eps)
        param -= bias_corrected_exp_avg * lr * adaptive_lr * rect
    else:
        param -= bias_corrected_exp_avg * lr


class RAdam(Optimizer):
    """``RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False, differentiable=False)``"""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        switches = _implementation_switches("RAdam", foreach, None, differentiable, capturable)
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            _check_number(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr} (lr must be >= 0, e.g. 1e-3)")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps} (eps must be >= 0, e.g. 1e-8)")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay} (must be >= 0)")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=switches["foreach"], capturable=switches["capturable"],
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=switches["differentiable"])
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient. Returns ``closure()`` if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["exp_avg"] = Tensor(np.zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor(np.zeros_like(p._data))
                state["step"]._data = np.asarray(state["step"]._data + 1)
                radam_update(p._data, p.grad._data, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                             float(state["step"]._data), lr=_to_scalar(group["lr"]), beta1=beta1, beta2=beta2,
                             eps=group["eps"], weight_decay=group["weight_decay"],
                             decoupled_weight_decay=group["decoupled_weight_decay"],
                             maximize=group["maximize"])
                _changed_in_place(p)
        return loss
