"""``NAdam``: Adam with Nesterov momentum (look one step ahead along the first moment).

For each parameter ``p`` with gradient ``g`` at step ``t`` (PyTorch's algorithm)::

    g = -g                                           if maximize
    p = p * (1 - lr * weight_decay)                  if decoupled_weight_decay (as AdamW)
    g = g + weight_decay * p                         otherwise, if weight_decay != 0
    mu_t     = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))       momentum schedule
    mu_{t+1} = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    P = mu_1 * mu_2 * ... * mu_t                     (mu_product, kept in the state)
    m = beta1 * m + (1 - beta1) * g                  first moment
    v = beta2 * v + (1 - beta2) * g * g              second moment
    denom = sqrt(v / (1 - beta2**t)) + eps
    p = p - lr * (1 - mu_t) / (1 - P) * g / denom                       the gradient now
          - lr * mu_{t+1} / (1 - P * mu_{t+1}) * m / denom               the momentum ahead
"""
from __future__ import annotations

import numpy as np

from teachnn.tensor import Tensor
from .adam import _lerp_
from .optimizer import (Optimizer, _changed_in_place, _check_betas, _check_number,
                        _implementation_switches, _scalar_state, _to_scalar)

__all__ = ["NAdam"]


def nadam_update(param, grad, exp_avg, exp_avg_sq, mu_product, step, *, lr, beta1, beta2, eps,
                 weight_decay, momentum_decay, decoupled_weight_decay, maximize):
    """One NAdam step on NumPy arrays. ``mu_product`` is the 0-d state array (updated in place,
    in its own float32/float64 precision, as PyTorch stores it)."""
    if maximize:
        grad = -grad
    bias_correction2 = 1 - beta2 ** step
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product *= mu_product.dtype.type(mu)                  # rounded to the state's dtype
    product = float(mu_product)
    _lerp_(exp_avg, grad, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    denom = np.sqrt(exp_avg_sq / bias_correction2) + eps
    param += (-lr * (1.0 - mu) / (1.0 - product)) * grad / denom
    param += ((-lr * mu_next) / (1.0 - product * mu_next)) * exp_avg / denom


class NAdam(Optimizer):
    """``NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False, differentiable=False)``"""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        switches = _implementation_switches("NAdam", foreach, None, differentiable, capturable)
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay),
                            ("momentum_decay", momentum_decay)):
            _check_number(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr} (lr must be >= 0, e.g. 2e-3)")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps} (eps must be >= 0, e.g. 1e-8)")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay} (must be >= 0)")
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay} (it sets how fast "
                             "the momentum schedule mu_t rises and must be >= 0, e.g. 4e-3)")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize, foreach=switches["foreach"],
                        capturable=switches["capturable"], differentiable=switches["differentiable"])
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
                    state["mu_product"] = _scalar_state(1.0)
                    state["exp_avg"] = Tensor(np.zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor(np.zeros_like(p._data))
                state["step"]._data = np.asarray(state["step"]._data + 1)
                nadam_update(p._data, p.grad._data, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                             state["mu_product"]._data, float(state["step"]._data), lr=_to_scalar(group["lr"]),
                             beta1=beta1, beta2=beta2, eps=group["eps"],
                             weight_decay=group["weight_decay"],
                             momentum_decay=group["momentum_decay"],
                             decoupled_weight_decay=group["decoupled_weight_decay"],
                             maximize=group["maximize"])
                _changed_in_place(p)
        return loss
