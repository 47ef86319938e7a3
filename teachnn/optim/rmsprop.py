"""``RMSprop``: divide each step by a moving root-mean-square of recent gradients.

For each parameter ``p`` with gradient ``g`` (PyTorch's algorithm)::

    g = -g                                       if maximize
    g = g + weight_decay * p                     if weight_decay != 0
    s = alpha * s + (1 - alpha) * g * g          moving mean of g²
    a = sqrt(s - m * m) + eps,  m = moving mean of g     if centered
    a = sqrt(s) + eps                                     otherwise
    b = momentum * b + g / a;  p = p - lr * b    if momentum > 0
    p = p - lr * g / a                           otherwise
"""
from __future__ import annotations

import numpy as np

from teachnn.tensor import Tensor
from .adam import _lerp_
from .optimizer import (Optimizer, _changed_in_place, _check_number, _implementation_switches,
                        _scalar_state, _to_scalar)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *, maximize=False)``"""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False, differentiable=False):
        switches = _implementation_switches("RMSprop", foreach, None, differentiable, capturable)
        for name, value in (("lr", lr), ("alpha", alpha), ("eps", eps),
                            ("weight_decay", weight_decay), ("momentum", momentum)):
            _check_number(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=switches["capturable"],
                        foreach=switches["foreach"], maximize=maximize,
                        differentiable=switches["differentiable"])
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient. Returns ``closure()`` if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = _to_scalar(group["lr"]), group["alpha"], group["eps"]
            weight_decay, momentum = group["weight_decay"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                if group["maximize"]:
                    grad = -grad
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["square_avg"] = Tensor(np.zeros_like(p._data))
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor(np.zeros_like(p._data))
                    if group["centered"]:
                        state["grad_avg"] = Tensor(np.zeros_like(p._data))
                state["step"]._data = np.asarray(state["step"]._data + 1)
                if weight_decay != 0:
                    grad = grad + weight_decay * p._data
                square_avg = state["square_avg"]._data
                square_avg *= alpha
                square_avg += (1 - alpha) * grad * grad
                if group["centered"]:
                    grad_avg = state["grad_avg"]._data
                    _lerp_(grad_avg, grad, 1 - alpha)
                    avg = np.sqrt(square_avg + (-1) * grad_avg * grad_avg)
                else:
                    avg = np.sqrt(square_avg)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += grad / avg
                    p._data -= lr * buf
                else:
                    p._data += (-lr * grad) / avg
                _changed_in_place(p)
        return loss
