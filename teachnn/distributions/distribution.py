"""The base class every distribution shares: shapes, validation, sample/rsample, repr."""
from __future__ import annotations

import numbers

import numpy as np

import teachnn
from teachnn.autograd import grad_mode
from teachnn.tensor import Size, Tensor

__all__ = ["Distribution", "broadcast_all", "lazy_property", "probs_to_logits", "logits_to_probs"]


class lazy_property:
    """Computed on first access, then stored on the instance (PyTorch's ``lazy_property``):
    ``probs`` of a distribution given ``logits`` and the other way round."""

    def __init__(self, compute):
        self.compute, self.__doc__ = compute, compute.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.compute(instance)
        instance.__dict__[self.name] = value
        return value


def _clamp_probs(probs):
    eps = float(np.finfo(probs._data.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """log-odds for a binary distribution, log-probabilities otherwise (clamped away from 0, 1)."""
    clamped = _clamp_probs(probs)
    return clamped.log() - (-clamped).log1p() if is_binary else clamped.log()


def logits_to_probs(logits, is_binary=False):
    return logits.sigmoid() if is_binary else teachnn.nn.functional.softmax(logits, dim=-1)


def broadcast_all(*values):
    """Parameters as float tensors of one broadcast shape (numbers become default-dtype tensors)."""
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), teachnn.get_default_dtype())
    tensors = [v if isinstance(v, Tensor) else teachnn.tensor(float(v), dtype=dtype) for v in values]
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(t.expand(shape) if tuple(t.shape) != shape else t for t in tensors)


class Distribution:
    """``batch_shape`` independent distributions, each over values of ``event_shape``.

    ``sample()`` draws without a graph; ``rsample()`` (where ``has_rsample``) draws as a
    differentiable function of the parameters (the reparameterisation trick).
    """

    has_rsample = False
    arg_constraints: dict = {}   # parameter name -> (description, test on its array)
    support = None               # (description, test on a value's array)

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        self._validate_args = True if validate_args is None else validate_args
        if self._validate_args:
            for name, (description, test) in self.arg_constraints.items():
                if name not in self.__dict__:
                    continue  # computed from the other parameter (probs from logits): valid by construction
                value = getattr(self, name)
                array = value._data if isinstance(value, Tensor) else np.asarray(value)
                if not np.all(test(array)):
                    raise ValueError(
                        f"Expected parameter {name} (Tensor of shape {tuple(array.shape)}) of "
                        f"distribution {self!r} to satisfy the constraint {description}, but found "
                        f"invalid values:\n{value}")

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=Size()):
        """Draw values of shape ``sample_shape + batch_shape + event_shape`` (no gradient)."""
        with grad_mode.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampling "
                                  f"(rsample); use sample(), which carries no gradient")

    def _validate_sample(self, value):
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        if not self._validate_args or self.support is None:
            return
        description, test = self.support
        if not np.all(test(value._data)):
            raise ValueError(
                f"Expected value argument (Tensor of shape {tuple(value.shape)}) to be within the "
                f"support ({description}) of the distribution {self!r}, but found invalid "
                f"values:\n{value}")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def __repr__(self):
        parts = []
        for name in self.arg_constraints:
            if name not in self.__dict__:
                continue
            value = self.__dict__[name]
            shown = float(value) if value.numel() == 1 else value.size()
            parts.append(f"{name}: {shown}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _is_number(x):
    return isinstance(x, numbers.Number) and not isinstance(x, bool)
