"""``Adagrad``: each entry gets its own step size, shrinking with its summed squared gradients.

For each parameter ``p`` with gradient ``g`` at step ``t`` (PyTorch's algorithm)::

    g = -g                                       if maximize
    g = g + weight_decay * p                     if weight_decay != 0
    clr = lr / (1 + (t - 1) * lr_decay)
    s = s + g * g                                (s starts at initial_accumulator_value)
    p = p - clr * g / (sqrt(s) + eps)
"""
from __future__ import annotations

import numpy as np

from teachnn.tensor import Tensor
from teachnn.nn.parameter import is_lazy
from .optimizer import (Optimizer, _changed_in_place, _check_number, _implementation_switches,
                        _scalar_state, _to_scalar)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *, maximize=False)``"""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        switches = _implementation_switches("Adagrad", foreach, fused, differentiable)
        for name, value in (("lr", lr), ("lr_decay", lr_decay), ("weight_decay", weight_decay),
                            ("initial_accumulator_value", initial_accumulator_value),
                            ("eps", eps)):
            _check_number(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        foreach=switches["foreach"], maximize=maximize,
                        differentiable=switches["differentiable"], fused=switches["fused"])
        super().__init__(params, defaults)
        # Adagrad creates its state at once (PyTorch does too): step 0, sum = initial value
        for group in self.param_groups:
            for p in group["params"]:
                if is_lazy(p):
                    raise ValueError(
                        "Attempted to use an uninitialized parameter in Adagrad: Adagrad makes its "
                        "state from every parameter's shape at once, and a lazy layer has none yet. "
                        "Call the model once on a dummy batch first, then create the optimiser.")
                self.state[p]["step"] = _scalar_state(0.0)
                self.state[p]["sum"] = Tensor(
                    np.full_like(p._data, group["initial_accumulator_value"]))

    def step(self, closure=None):
        """Update every parameter that has a gradient. Returns ``closure()`` if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                if group["maximize"]:
                    grad = -grad
                state = self.state[p]
                state["step"]._data = np.asarray(state["step"]._data + 1)
                step = float(state["step"]._data)
                if group["weight_decay"] != 0:
                    grad = grad + group["weight_decay"] * p._data
                clr = _to_scalar(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
                state_sum = state["sum"]._data
                state_sum += grad * grad
                std = np.sqrt(state_sum) + group["eps"]
                p._data += (-clr * grad) / std
                _changed_in_place(p)
        return loss
