"""``Uniform(low, high)``: every value in [low, high) equally likely."""
import numpy as np

import teachnn
from .distribution import Distribution, broadcast_all

__all__ = ["Uniform"]


class Uniform(Distribution):
    """Uniform distribution on the half-open interval [low, high)."""

    arg_constraints = {"low": ("Real()", np.isfinite), "high": ("Real()", np.isfinite)}
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, (), validate_args)
        if self._validate_args and not np.all(self.low._data < self.high._data):
            raise ValueError(f"Expected parameter low (Tensor of shape {tuple(self.low.shape)}) of "
                             f"distribution {self!r} to satisfy low < high, but found invalid "
                             f"values:\n{self.low}")
        lo, hi = float(self.low._data.min()), float(self.high._data.max())
        self.support = (f"Interval(lower_bound={lo}, upper_bound={hi})",
                        lambda a: (a >= self.low._data) & (a <= self.high._data))

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=()):
        rand = teachnn.rand(self._extended_shape(sample_shape), dtype=self.low.dtype)
        return self.low + rand * (self.high - self.low)

    def log_prob(self, value):
        self._validate_sample(value)
        inside = (self.low <= value).type_as(self.low) * (self.high > value).type_as(self.low)
        return inside.log() - (self.high - self.low).log()

    def entropy(self):
        return (self.high - self.low).log()
