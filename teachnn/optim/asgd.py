"""``ASGD``: averaged SGD. Plain SGD steps with a slowly shrinking step size, plus a running
average of the parameters (``state['ax']``) that, after step ``t0``, is a better estimate of
the optimum than the last iterate. (The parameters themselves follow SGD; copy ``ax`` into
them for evaluation if you want the average.)

For each parameter ``p`` with gradient ``g`` at step ``t`` (PyTorch's algorithm)::

    g = -g                                       if maximize
    g = g + weight_decay * p                     if weight_decay != 0
    p = p * (1 - lambd * eta)                    decay term
    p = p - eta * g                              SGD step with the current eta
    ax = ax + mu * (p - ax)                      (ax = p while mu == 1)
    eta = lr / (1 + lambd * lr * t) ** alpha     next step size
    mu = 1 / max(1, t - t0)                      averaging starts after t0 steps

``eta`` and ``mu`` are computed in float32 (float64 if that is the default dtype) and stored
as 0-d tensors, as PyTorch does; their rounding is part of the numbers.
"""
from __future__ import annotations

import numpy as np

from teachnn.tensor import Tensor
from .optimizer import (Optimizer, _changed_in_place, _check_number, _implementation_switches,
                        _scalar_state, _to_scalar)

__all__ = ["ASGD"]


def asgd_update(param, grad, ax, eta, mu, step, *, lr, lambd, alpha, t0, weight_decay, maximize):
    """One ASGD step on NumPy arrays; ``eta`` and ``mu`` are the 0-d state arrays."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param
    eta_value = float(eta)
    param *= 1 - lambd * eta_value
    param += -eta_value * grad
    if float(mu) != 1:
        ax += (param - ax) * mu
    else:
        ax[...] = param
    # PyTorch makes each new value a tensor of the default dtype (float32) before copying it
    # into the state, so both roundings happen even after a load made the state float64
    eta[...] = _scalar_state(lr / ((1 + lambd * lr * step) ** alpha))._data
    mu[...] = _scalar_state(1 / max(1, step - t0))._data


class ASGD(Optimizer):
    """``ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False, differentiable=False, capturable=False)``"""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        switches = _implementation_switches("ASGD", foreach, None, differentiable, capturable)
        for name, value in (("lr", lr), ("lambd", lambd), ("alpha", alpha), ("t0", t0),
                            ("weight_decay", weight_decay)):
            _check_number(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr} (lr must be >= 0, e.g. 1e-2)")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay} (must be >= 0)")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=switches["foreach"], maximize=maximize,
                        differentiable=switches["differentiable"], capturable=switches["capturable"])
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient. Returns ``closure()`` if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["eta"] = _scalar_state(_to_scalar(group["lr"]))
                    state["mu"] = _scalar_state(1.0)
                    state["ax"] = Tensor(np.zeros_like(p._data))
                state["step"]._data = np.asarray(state["step"]._data + 1)
                asgd_update(p._data, p.grad._data, state["ax"]._data, state["eta"]._data,
                            state["mu"]._data, float(state["step"]._data), lr=_to_scalar(group["lr"]),
                            lambd=group["lambd"], alpha=group["alpha"], t0=group["t0"],
                            weight_decay=group["weight_decay"], maximize=group["maximize"])
                _changed_in_place(p)
        return loss
