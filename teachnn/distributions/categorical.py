"""``Categorical(probs=... | logits=...)``: one of K classes, with the given probabilities."""
import numpy as np

import teachnn
from .distribution import Distribution, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


def _as_tensor(x):
    return x if isinstance(x, teachnn.Tensor) else teachnn.tensor(x, dtype=teachnn.get_default_dtype())


class Categorical(Distribution):
    """Class index ``i`` with probability ``probs[..., i]`` (rows need not sum to 1: they are
    normalised); ``logits`` are unnormalised log-probabilities."""

    arg_constraints = {"probs": ("Simplex()", lambda a: np.all(a >= 0)),
                       "logits": ("IndependentConstraint(Real(), 1)", lambda a: ~np.isnan(a))}

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = _as_tensor(probs if probs is not None else logits)
        if given.dim() < 1:
            raise ValueError("`probs` parameter must be at least one-dimensional.")
        if probs is not None:
            self.probs = given / given.sum(-1, keepdim=True)
        else:
            self.logits = given - given.logsumexp(dim=-1, keepdim=True)
        self._num_events = given.shape[-1]
        n = self._num_events
        self.support = (f"IntegerInterval(lower_bound=0, upper_bound={n - 1})",
                        lambda a: (a >= 0) & (a <= n - 1) & (a == np.floor(a)))
        super().__init__(given.shape[:-1], (), validate_args)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self.probs.shape

    @property
    def mean(self):
        return teachnn.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    def sample(self, sample_shape=()):
        """Class indices (int64) of shape ``sample_shape + batch_shape``: the first class whose
        cumulative probability exceeds a uniform draw."""
        shape = tuple(self._extended_shape(sample_shape))
        cumulative = np.cumsum(self.probs._data.astype(np.float64), axis=-1)
        u = teachnn.rand(shape, dtype=teachnn.float64)._data[..., None]
        index = (cumulative / cumulative[..., -1:] <= u).sum(-1)
        return teachnn.tensor(np.minimum(index, self._num_events - 1).astype(np.int64))

    def log_prob(self, value):
        self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        shape = np.broadcast_shapes(tuple(value.shape), tuple(self.logits.shape[:-1]) + (1,))
        value = value.expand(shape)
        log_pmf = self.logits.expand(shape[:-1] + (self._num_events,))
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits._data.dtype).min)
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def __repr__(self):
        shown = "probs" if "probs" in self.__dict__ else "logits"
        return f"{type(self).__name__}({shown}: {self.__dict__[shown].size()})"
