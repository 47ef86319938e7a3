"""``Normal(loc, scale)``: the Gaussian, with reparameterised sampling."""
import math

import numpy as np

import teachnn
from .distribution import Distribution, broadcast_all

__all__ = ["Normal"]


class Normal(Distribution):
    """Normal distribution with mean ``loc`` and standard deviation ``scale`` (> 0)."""

    arg_constraints = {"loc": ("Real()", np.isfinite),
                       "scale": ("GreaterThan(lower_bound=0.0)", lambda a: a > 0)}
    support = ("Real()", lambda a: ~np.isnan(a))
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return self.scale ** 2

    @property
    def stddev(self):
        return self.scale

    def rsample(self, sample_shape=()):
        """loc + eps * scale with eps ~ N(0, 1): the gradient flows to loc and scale."""
        eps = teachnn.randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        self._validate_sample(value)
        return (-((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log()
                - math.log(math.sqrt(2 * math.pi)))

    def cdf(self, value):
        self._validate_sample(value)
        return 0.5 * (1 + teachnn.erf((value - self.loc) / (self.scale * math.sqrt(2))))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()
