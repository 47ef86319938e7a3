"""``Multinomial(total_count, probs=... | logits=...)``: counts of ``total_count`` draws of a
categorical distribution (e.g. how often each face of a die shows in 10 throws)."""
import math

import numpy as np

import teachnn
from .categorical import Categorical
from .distribution import Distribution

__all__ = ["Multinomial"]


class Multinomial(Distribution):
    """Counts per class of ``total_count`` independent draws with probabilities ``probs``."""

    arg_constraints = {}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int) or isinstance(total_count, bool):
            raise NotImplementedError("inhomogeneous total_count is not supported: pass an int")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=validate_args)
        n = self._categorical._num_events
        self.support = (f"Multinomial(total_count={total_count})",
                        lambda a: np.all(a >= 0) and np.all(a == np.floor(a))
                        and np.all(a.sum(-1) <= total_count))
        batch = self._categorical.batch_shape
        super().__init__(batch, (n,), validate_args)

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        """Counts (in the probabilities' dtype) of shape ``sample_shape + batch_shape + [K]``."""
        probs = self.probs._data.astype(np.float64)
        probs = probs / probs.sum(-1, keepdims=True)
        shape = tuple(sample_shape) + tuple(self.batch_shape)
        rng = teachnn.random.default_generator.np_rng
        counts = rng.multinomial(self.total_count, probs, size=shape)
        return teachnn.tensor(counts.astype(self.probs._data.dtype))

    def log_prob(self, value):
        self._validate_sample(value)
        logits = self.logits.expand(np.broadcast_shapes(tuple(value.shape), tuple(self.logits.shape)))
        impossible = (value._data == 0) & np.isneginf(logits._data)   # 0 * log 0 counts as 0
        if impossible.any():
            logits = logits.masked_fill(teachnn.tensor(impossible), 0.0)
        log_powers = (logits * value).sum(-1)
        lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
        counts = value._data.astype(np.float64)
        constant = lgamma(counts.sum(-1) + 1) - lgamma(counts + 1).sum(-1)
        return log_powers + teachnn.tensor(constant.astype(log_powers._data.dtype))

    def entropy(self):
        raise NotImplementedError("Multinomial.entropy is not implemented in teachnn")

    def __repr__(self):
        return f"{type(self).__name__}()"
