"""``Rprop``: resilient backpropagation, which uses only the *sign* of each gradient entry.

Every entry keeps its own step size. While the gradient keeps its sign the step grows; when
the sign flips (a minimum was jumped over) the step shrinks and that entry rests for a step.
For each parameter ``p`` with gradient ``g`` (PyTorch's algorithm)::

    g = -g                                       if maximize
    s = sign(g * g_prev)
    step_size = step_size * (etaplus  if s > 0,
                             etaminus if s < 0,
                             1        if s == 0),  clipped to [step_size_min, step_size_max]
    g = 0 where s < 0                            (no move, and no sign to compare next time)
    p = p - sign(g) * step_size
    g_prev = g

``step_size`` starts at ``lr`` for every entry; ``etas=(etaminus, etaplus)``,
``step_sizes=(step_size_min, step_size_max)``.
"""
from __future__ import annotations

import numpy as np

from teachnn.tensor import Tensor
from .optimizer import (Optimizer, _changed_in_place, _check_number, _implementation_switches,
                        _scalar_state, _to_scalar)

__all__ = ["Rprop"]


def rprop_update(param, grad, prev, step_size, *, etaminus, etaplus, step_size_min, step_size_max,
                 maximize):
    """One Rprop step on NumPy arrays; ``param``, ``prev``, ``step_size`` change in place."""
    if maximize:
        grad = -grad
    sign = np.sign(grad * prev)
    factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1.0))
    step_size *= factor
    np.clip(step_size, step_size_min, step_size_max, out=step_size)
    grad = np.where(factor == etaminus, 0.0, grad)       # a sign change: rest this entry
    param += -np.sign(grad) * step_size
    prev[...] = grad


class Rprop(Optimizer):
    """``Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None, maximize=False, differentiable=False)``"""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        switches = _implementation_switches("Rprop", foreach, None, differentiable, capturable)
        _check_number("lr", lr)
        for name, pair, example in (("etas", etas, "(0.5, 1.2)"), ("step_sizes", step_sizes, "(1e-6, 50)")):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError(f"{name} must be a pair of numbers like {example}, but got {pair!r}")
            _check_number(f"{name}[0]", pair[0])
            _check_number(f"{name}[1]", pair[1])
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr} (lr is the first step size of every "
                             "entry and must be >= 0, e.g. 1e-2)")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]} (etas=(etaminus, etaplus) "
                             "needs 0 < etaminus < 1 < etaplus: the step shrinks after a sign "
                             "change and grows otherwise, e.g. (0.5, 1.2))")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=switches["foreach"],
                        maximize=maximize, differentiable=switches["differentiable"],
                        capturable=switches["capturable"])
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient. Returns ``closure()`` if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["prev"] = Tensor(np.zeros_like(p._data))
                    state["step_size"] = Tensor(np.full_like(p.grad._data, _to_scalar(group["lr"])))
                state["step"]._data = np.asarray(state["step"]._data + 1)
                rprop_update(p._data, p.grad._data, state["prev"]._data, state["step_size"]._data,
                             etaminus=etaminus, etaplus=etaplus, step_size_min=step_size_min,
                             step_size_max=step_size_max, maximize=group["maximize"])
                _changed_in_place(p)
        return loss
