"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov, weight decay.

For each parameter ``p`` with gradient ``g`` (PyTorch's algorithm, in this order)::

    g = -g                                  if maximize
    g = g + weight_decay * p                if weight_decay != 0   (L2 penalty)
    if momentum != 0:
        b = g                               on the first step
        b = momentum * b + (1 - dampening) * g     afterwards
        g = g + momentum * b                if nesterov, else  g = b
    p = p - lr * g
"""
from __future__ import annotations

import numpy as np

from teachnn.tensor import Tensor
from .optimizer import (Optimizer, _changed_in_place, _check_number, _implementation_switches,
                        _to_scalar)

__all__ = ["SGD"]


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False)``

    ``foreach``, ``differentiable`` and ``fused`` are PyTorch's implementation switches; see
    ``_implementation_switches`` (accepted, stored, same numbers).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False, fused=None):
        switches = _implementation_switches("SGD", foreach, fused, differentiable)
        for name, value in (("lr", lr), ("momentum", momentum), ("dampening", dampening),
                            ("weight_decay", weight_decay)):
            _check_number(name, value)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=switches["foreach"], differentiable=switches["differentiable"],
                        fused=switches["fused"])
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient. Returns ``closure()`` if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue                       # not used in this forward: leave it
                grad = p.grad._data
                if group["maximize"]:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * p._data
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = Tensor(np.array(grad, dtype=p._data.dtype, copy=True))
                        state["momentum_buffer"] = buf
                    else:
                        buf._data *= momentum
                        buf._data += (1 - dampening) * grad
                    if group["nesterov"]:
                        grad = grad + momentum * buf._data
                    else:
                        grad = buf._data
                p._data -= lr * grad                # in place: the Parameter object stays the same
                _changed_in_place(p)
        return loss
