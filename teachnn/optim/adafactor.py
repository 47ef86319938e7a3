"""``Adafactor``: an Adam-like step that stores, for a matrix gradient, only a moving mean of
g² per *row* and per *column* (their outer product estimates the full table), so the memory
for the second moment grows with rows + columns instead of rows x columns.

For each parameter ``p`` with gradient ``g`` at step ``t`` (PyTorch's algorithm)::

    g = -g                                            if maximize
    beta2_t = 1 - t ** beta2_decay                    how much of the old estimate is kept
    rho_t = min(lr, 1 / sqrt(t))
    alpha = max(eps2, RMS(p)) * rho_t                 the step is relative to p's size
    p = p * (1 - lr * weight_decay)                   if weight_decay != 0
    if g has 2 or more dims (factored over the last two):
        R = beta2_t R + (1 - beta2_t) mean(g², last dim)        (row_var)
        C = beta2_t C + (1 - beta2_t) mean(g², second-to-last)  (col_var)
        v = R C / max(mean(R), eps1)                  outer product, rescaled
    else:
        v = beta2_t v + (1 - beta2_t) g²              (variance)
    u = g / sqrt(max(v, eps1²))
    p = p - alpha / max(1, RMS(u) / d) * u            update clipped to RMS d
"""
from __future__ import annotations

import numpy as np

from teachnn.tensor import Tensor
from .adam import _lerp_
from .optimizer import (Optimizer, _changed_in_place, _check_number, _implementation_switches,
                        _scalar_state, _to_scalar)

__all__ = ["Adafactor"]


def _rms(a):
    """Root-mean-square of every entry: ||a||_2 / sqrt(numel)."""
    return float(np.sqrt(np.sum(a * a))) / (a.size ** 0.5)


def adafactor_update(param, grad, state, step, *, lr, beta2_decay, eps1, eps2, d, weight_decay,
                     maximize):
    """One Adafactor step on NumPy arrays; ``state`` holds row_var/col_var or variance arrays."""
    if maximize:
        grad = -grad
    if eps1 is None:
        eps1 = float(np.finfo(param.dtype).eps)
    one_minus_beta2_t = step ** beta2_decay
    rho_t = min(lr, 1 / (step ** 0.5))
    alpha = max(eps2, _rms(param)) * rho_t
    if weight_decay != 0:
        param *= 1 - lr * weight_decay
    if grad.ndim > 1:
        row_var, col_var = state["row_var"], state["col_var"]
        # mean of g² along the last axis (rows) and the second-to-last (columns), as
        # squared norms the way PyTorch computes them
        row_mean = np.sqrt(np.sum(grad * grad, axis=-1, keepdims=True)) ** 2 / grad.shape[-1]
        _lerp_(row_var, row_mean, one_minus_beta2_t)
        col_mean = np.sqrt(np.sum(grad * grad, axis=-2, keepdims=True)) ** 2 / grad.shape[-2]
        _lerp_(col_var, col_mean, one_minus_beta2_t)
        var_estimate = row_var @ col_var                              # (..., R, 1) @ (..., 1, C)
        var_estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
    else:
        variance = state["variance"]
        _lerp_(variance, grad * grad, one_minus_beta2_t)
        var_estimate = variance.copy()
    update = 1 / np.sqrt(np.maximum(var_estimate, eps1 * eps1)) * grad
    denom = max(1.0, _rms(update) / d)
    param += (-alpha / denom) * update


class Adafactor(Optimizer):
    """``Adafactor(params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *, foreach=None, maximize=False)``"""

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        switches = _implementation_switches("Adafactor", foreach)
        for name, value in (("lr", lr), ("beta2_decay", beta2_decay), ("d", d),
                            ("weight_decay", weight_decay)):
            _check_number(name, value)
        if not (isinstance(eps, (tuple, list)) and len(eps) == 2):
            raise TypeError(f"eps must be a pair (eps1, eps2) like (None, 1e-3), but got {eps!r}")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay} (the old "
                             "estimate is kept with weight 1 - t**beta2_decay, e.g. -0.8)")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d} (updates are "
                             "scaled down when their RMS exceeds d)")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                        foreach=switches["foreach"], maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient. Returns ``closure()`` if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            eps1, eps2 = group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                if np.iscomplexobj(p._data):
                    raise RuntimeError("Adafactor does not support complex parameters")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    if grad.ndim > 1:
                        state["row_var"] = Tensor(np.zeros(grad.shape[:-1] + (1,), dtype=grad.dtype))
                        state["col_var"] = Tensor(np.zeros(grad.shape[:-2] + (1,) + grad.shape[-1:],
                                                           dtype=grad.dtype))
                    else:
                        state["variance"] = Tensor(np.zeros_like(grad))
                state["step"]._data = np.asarray(state["step"]._data + 1)
                arrays = {k: v._data for k, v in state.items() if k != "step"}
                adafactor_update(p._data, grad, arrays, float(state["step"]._data), lr=_to_scalar(group["lr"]),
                                 beta2_decay=group["beta2_decay"], eps1=eps1, eps2=eps2,
                                 d=group["d"], weight_decay=group["weight_decay"],
                                 maximize=group["maximize"])
                _changed_in_place(p)
        return loss
