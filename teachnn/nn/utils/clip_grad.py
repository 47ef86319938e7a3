"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (PyTorch's arithmetic).

Clipping by norm treats all gradients as one long vector ``g``::

    total_norm = ||g||_p = || [ ||g_1||_p, ||g_2||_p, ... ] ||_p     (norm of the per-tensor norms)
    coef       = min(max_norm / (total_norm + 1e-6), 1)
    g_i       <- g_i * coef                                           (every gradient, in place)

so the direction of the update is kept and only its length is capped at ``max_norm``.
Clipping by value clamps every gradient entry into ``[-clip_value, clip_value]``.

Both work on the ``.grad`` arrays directly: no autograd graph is recorded (as under
``torch.no_grad()``). The numbers follow PyTorch step by step, in the gradients' dtype.
"""
from __future__ import annotations

import math
import types
import warnings

import numpy as np

from teachnn.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _as_tensor_list(parameters, func_name, what="parameters"):
    """``parameters`` (one Tensor or an iterable of Tensors) as a list, checked."""
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        items = list(parameters)
    except TypeError:
        raise TypeError(
            f"{func_name}() expects {what} as a Tensor or an iterable of Tensors (for example "
            f"model.parameters()), but got {type(parameters).__name__}.") from None
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(
                f"{func_name}(): {what}[{i}] is a {type(item).__name__}, not a Tensor. Pass "
                "model.parameters() or a list of parameters/tensors.")
    return items


def _check_float(name, value, func_name):
    """``float(value)``; the same exception type as ``float()`` (as PyTorch), with a clearer text."""
    try:
        return float(value)
    except TypeError:
        raise TypeError(f"{func_name}(): {name} must be a number, but got "
                        f"{type(value).__name__}.") from None
    except ValueError:
        raise ValueError(f"{func_name}(): {name} must be a number (or 'inf'), but got "
                         f"{value!r}.") from None


def _vector_norm(a: np.ndarray, p: float):
    """``torch.linalg.vector_norm(a, p)`` of a NumPy array, as a 0-d array of ``a``'s dtype.

    p = inf: max |a|;  p = -inf: min |a|;  p = 0: number of non-zero entries;
    otherwise (sum |a|^p)^(1/p). The sum is accumulated in float64 and rounded once.
    """
    dtype = a.dtype
    x = np.abs(a.astype(np.float64)).ravel()
    if math.isinf(p) and x.size == 0:
        raise RuntimeError(
            f"the {p}-norm of an empty gradient is not defined (max/min over no entries). "
            "Use norm_type=2.0, or leave tensors with no elements out of the list.")
    if p == math.inf:
        value = x.max()
    elif p == -math.inf:
        value = x.min()
    elif p == 0.0:
        value = float(np.count_nonzero(x))
    elif p == 1.0:
        value = x.sum()
    elif p == 2.0:
        value = math.sqrt(np.dot(x, x))
    else:
        with np.errstate(divide="ignore"):   # 0 ** (negative p) is inf, as in PyTorch
            value = np.sum(x ** p) ** (1.0 / p)
    return np.asarray(value, dtype=dtype)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` seen as one vector (a 0-d Tensor).

    Computed as the norm of the per-tensor norms, like PyTorch. An empty list gives
    ``tensor(0.)``. With ``error_if_nonfinite=True`` a nan/inf total raises RuntimeError.
    """
    tensors = _as_tensor_list(tensors, "get_total_norm", "tensors")
    norm_type = _check_float("norm_type", norm_type, "get_total_norm")
    if len(tensors) == 0:
        return Tensor(np.asarray(0.0, dtype=np.float32))
    norms = [_vector_norm(t._data, norm_type) for t in tensors]          # one 0-d array each
    dtype = np.result_type(*[n.dtype for n in norms])                  # torch.stack promotes
    total = _vector_norm(np.stack([n.astype(dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every ``p.grad`` in place by ``min(max_norm / (total_norm + 1e-6), 1)``."""
    parameters = _as_tensor_list(parameters, "clip_grads_with_norm_")
    max_norm = _check_float("max_norm", max_norm, "clip_grads_with_norm_")
    grads = [p.grad for p in parameters if p.grad is not None]
    if len(grads) == 0:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    dtype = total.dtype.type
    # PyTorch writes max_norm / (total + 1e-6), which it computes as reciprocal(...) * max_norm
    coef = (dtype(1.0) / (total + dtype(1e-6))) * dtype(max_norm)
    coef = np.minimum(coef, dtype(1.0))                                # never scale up
    for g in grads:
        g._data *= coef.astype(g._data.dtype)                            # in place, like g.mul_
        g._version += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradients of ``parameters`` so that their total norm is at most ``max_norm``.

    Args:
        parameters: a Tensor or an iterable of Tensors (``model.parameters()``); those
            without a gradient are skipped.
        max_norm: the largest allowed total norm.
        norm_type: p of the p-norm (``float('inf')`` for the largest absolute entry).
        error_if_nonfinite: raise RuntimeError if the total norm is nan or inf.

    Returns:
        the total norm *before* clipping, a 0-d Tensor.
    """
    if isinstance(parameters, types.GeneratorType):
        parameters = list(parameters)
        if len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    parameters = _as_tensor_list(parameters, "clip_grad_norm_")
    max_norm = _check_float("max_norm", max_norm, "clip_grad_norm_")
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated spelling of :func:`clip_grad_norm_` (warns, like PyTorch)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry into ``[-clip_value, clip_value]``, in place. Returns None."""
    parameters = _as_tensor_list(parameters, "clip_grad_value_")
    clip_value = _check_float("clip_value", clip_value, "clip_grad_value_")
    for p in parameters:
        if p.grad is None:
            continue
        g = p.grad._data
        lo, hi = g.dtype.type(-clip_value), g.dtype.type(clip_value)
        np.minimum(np.maximum(g, lo), hi, out=g)     # clamp_(min=-c, max=c): min applied first
        p.grad._version += 1
