"""``Adadelta``: step sizes from the ratio of two moving root-mean-squares (no hand-set scale).

For each parameter ``p`` with gradient ``g`` (PyTorch's algorithm)::

    g = -g                                       if maximize
    g = g + weight_decay * p                     if weight_decay != 0
    v = rho * v + (1 - rho) * g * g              moving mean of g²          (square_avg)
    d = sqrt(u + eps) / sqrt(v + eps) * g        the update, in p's units
    u = rho * u + (1 - rho) * d * d              moving mean of d²          (acc_delta)
    p = p - lr * d
"""
from __future__ import annotations

import numpy as np

from teachnn.tensor import Tensor
from .optimizer import (Optimizer, _changed_in_place, _check_number, _implementation_switches,
                        _scalar_state, _to_scalar)

__all__ = ["Adadelta"]


def adadelta_update(param, grad, square_avg, acc_delta, *, lr, rho, eps, weight_decay, maximize):
    """One Adadelta step on NumPy arrays; ``param``, ``square_avg``, ``acc_delta`` change in place."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg *= rho
    square_avg += (1 - rho) * grad * grad
    std = np.sqrt(square_avg + eps)
    delta = np.sqrt(acc_delta + eps) / std * grad
    acc_delta *= rho
    acc_delta += (1 - rho) * delta * delta
    param += -lr * delta


class Adadelta(Optimizer):
    """``Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False, maximize=False, differentiable=False)``"""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        switches = _implementation_switches("Adadelta", foreach, None, differentiable, capturable)
        for name, value in (("lr", lr), ("rho", rho), ("eps", eps), ("weight_decay", weight_decay)):
            _check_number(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr} (lr scales every step and must be >= 0; "
                             "Adadelta's usual value is 1.0)")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} (rho is the decay of the moving averages "
                             "and must lie in [0, 1], e.g. 0.9)")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps} (eps must be >= 0, e.g. 1e-6)")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay} (must be >= 0)")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=switches["capturable"], foreach=switches["foreach"],
                        differentiable=switches["differentiable"])
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient. Returns ``closure()`` if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:                 # lazy state initialisation
                    state["step"] = _scalar_state(0.0)
                    state["square_avg"] = Tensor(np.zeros_like(p._data))
                    state["acc_delta"] = Tensor(np.zeros_like(p._data))
                state["step"]._data = np.asarray(state["step"]._data + 1)
                adadelta_update(p._data, p.grad._data, state["square_avg"]._data,
                                state["acc_delta"]._data, lr=_to_scalar(group["lr"]), rho=group["rho"],
                                eps=group["eps"], weight_decay=group["weight_decay"],
                                maximize=group["maximize"])
                _changed_in_place(p)
        return loss
