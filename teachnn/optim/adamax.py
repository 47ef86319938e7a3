"""``Adamax``: Adam with the infinity norm in place of the root-mean-square.

For each parameter ``p`` with gradient ``g`` at step ``t`` (PyTorch's algorithm)::

    g = -g                                       if maximize
    g = g + weight_decay * p                     if weight_decay != 0
    m = beta1 * m + (1 - beta1) * g              first moment              (exp_avg)
    u = max(beta2 * u, |g| + eps)                decaying max of |g|       (exp_inf)
    p = p - lr / (1 - beta1**t) * m / u
"""
from __future__ import annotations

import numpy as np

from teachnn.tensor import Tensor
from .adam import _lerp_
from .optimizer import (Optimizer, _changed_in_place, _check_betas, _check_number,
                        _implementation_switches, _scalar_state, _to_scalar)

__all__ = ["Adamax"]


def adamax_update(param, grad, exp_avg, exp_inf, step, *, lr, beta1, beta2, eps, weight_decay,
                  maximize):
    """One Adamax step on NumPy arrays (``step`` is already counted: 1 on the first call)."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param
    _lerp_(exp_avg, grad, 1 - beta1)                          # m <- beta1 m + (1-beta1) g
    exp_inf *= beta2
    np.maximum(exp_inf, np.abs(grad) + eps, out=exp_inf)      # u <- max(beta2 u, |g| + eps)
    clr = lr / (1 - beta1 ** step)                            # bias correction of m only
    param += (-clr * exp_avg) / exp_inf


class Adamax(Optimizer):
    """``Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *, maximize=False, differentiable=False, capturable=False)``"""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        switches = _implementation_switches("Adamax", foreach, None, differentiable, capturable)
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            _check_number(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr} (lr must be >= 0, e.g. 2e-3)")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps} (eps must be >= 0, e.g. 1e-8)")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay} (must be >= 0)")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=switches["foreach"], maximize=maximize,
                        differentiable=switches["differentiable"], capturable=switches["capturable"])
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
                    state["exp_inf"] = Tensor(np.zeros_like(p._data))
                state["step"]._data = np.asarray(state["step"]._data + 1)
                adamax_update(p._data, p.grad._data, state["exp_avg"]._data, state["exp_inf"]._data,
                              float(state["step"]._data), lr=_to_scalar(group["lr"]), beta1=beta1, beta2=beta2,
                              eps=group["eps"], weight_decay=group["weight_decay"],
                              maximize=group["maximize"])
                _changed_in_place(p)
        return loss
