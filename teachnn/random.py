"""Random numbers: one global generator, reseeded by ``teachnn.manual_seed``.

Every random draw in teachnn (``rand``, ``randn``, ``randint``, ``randperm``,
``Tensor.uniform_``/``normal_``, ``nn.init``, dropout, data shuffling) goes through
``default_generator.np_rng`` (or a ``generator=`` passed explicitly), so
``teachnn.manual_seed(0)`` makes a whole program reproducible.

The numbers are NumPy's (PCG64), not PyTorch's: the same seed gives *different* values
in teachnn and in PyTorch. Parity tests therefore copy data from one library to the other.
"""
import numbers

import numpy as np

from . import _dtype

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "rand", "randn", "randint", "randperm", "rand_like", "randn_like",
           "randint_like", "normal", "bernoulli", "multinomial"]

_DEFAULT_SEED = 67280421310721    # the seed PyTorch starts with


class Generator:
    """A random number generator (wraps ``np.random.Generator``, available as ``.np_rng``)."""

    def __init__(self, device="cpu"):
        self._seed = _DEFAULT_SEED
        self.np_rng = np.random.Generator(np.random.PCG64(self._seed))
        self.device = device

    def manual_seed(self, seed):
        """Restart the sequence from ``seed`` (an int); returns the generator."""
        if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral,)):
            try:
                seed = int(seed)
            except (TypeError, ValueError):
                raise TypeError(f"manual_seed expected an int, got {type(seed).__name__} ({seed!r})") from None
        seed = int(seed)
        self._seed = seed
        self.np_rng = np.random.Generator(np.random.PCG64(seed % 2**64 if seed < 0 else seed))
        return self

    def seed(self):
        """Seed from fresh entropy and return the seed used."""
        s = int(np.random.SeedSequence().entropy % 2**63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self.np_rng.bit_generator.state

    def set_state(self, state):
        self.np_rng.bit_generator.state = state
        return self

    def __repr__(self):
        return "<teachnn.Generator object>"


default_generator = Generator()


def manual_seed(seed):
    """Seed the global generator: ``teachnn.manual_seed(0)`` makes every draw reproducible."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def _np_rng(generator=None):
    """The numpy Generator to draw from (the global one unless ``generator`` is given)."""
    if generator is None:
        return default_generator.np_rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a teachnn.Generator, got {type(generator).__name__}")
    return generator.np_rng


def _size(size, name):
    from .tensor import _shape_args
    return _shape_args(size, name)


def _float_dtype(dtype, name):
    d = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    if not d.is_floating_point:
        raise TypeError(f"{name}() only supports floating point dtypes, got {d}")
    return d.np


def _make(array, requires_grad, device):
    from .tensor import Tensor, _check_device
    if device is not None:
        _check_device(device)
    return Tensor(array, requires_grad=requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform random numbers in [0, 1) of the given shape (float32 by default)."""
    shape = _size(size, "rand")
    npd = _float_dtype(dtype, "rand")
    values = _np_rng(generator).random(shape, dtype=np.float64).astype(npd)
    return _make(values, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal random numbers (mean 0, std 1) of the given shape."""
    shape = _size(size, "randn")
    npd = _float_dtype(dtype, "randn")
    values = _np_rng(generator).standard_normal(shape, dtype=np.float64).astype(npd)
    return _make(values, requires_grad, device)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Random integers in [low, high) (int64 by default): ``randint(10, (3,))``, ``randint(2, 5, (3,))``."""
    if size is None:
        if isinstance(high, (tuple, list)):     # randint(high, size)
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing the 'size' argument: use randint(high, (n,)) or "
                            "randint(low, high, (n,))")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    shape = _size(tuple(size) if isinstance(size, (tuple, list)) else (size,), "randint")
    npd = np.int64 if dtype is None else _dtype.to_numpy(dtype)
    values = _np_rng(generator).integers(low, high, size=shape).astype(npd)
    return _make(values, requires_grad, device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (int64)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got {n}")
    npd = np.int64 if dtype is None else _dtype.to_numpy(dtype)
    return _make(_np_rng(generator).permutation(n).astype(npd), requires_grad, device)


def rand_like(input, dtype=None, device=None, requires_grad=False):
    return rand(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    return randn(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, dtype=None, device=None, requires_grad=False):
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False):
    """Normal random numbers: ``normal(mean, std, size)`` (means/stds may be tensors)."""
    from .tensor import Tensor
    m = mean.data if isinstance(mean, Tensor) else mean
    s = std.data if isinstance(std, Tensor) else std
    if size is None:
        size = np.broadcast_shapes(np.shape(m), np.shape(s))
    if isinstance(mean, Tensor):
        npd = mean.data.dtype
    elif isinstance(std, Tensor):
        npd = std.data.dtype
    else:
        npd = _float_dtype(dtype, "normal")
    values = _np_rng(generator).normal(m, s, size=tuple(size)).astype(npd)
    return _make(values, requires_grad, None)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (elementwise), else 0; same dtype as input."""
    probs = input.data if p is None else np.full(input.data.shape, p)
    values = (_np_rng(generator).random(input.data.shape) < probs).astype(input.data.dtype)
    return _make(values, False, None)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw indices with probabilities proportional to the rows of ``input`` (1-d or 2-d)."""
    probs = np.asarray(input.data, dtype=np.float64)
    rows = probs[None] if probs.ndim == 1 else probs
    rng = _np_rng(generator)
    out = []
    for row in rows:
        if np.any(row < 0) or row.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0 or negative entries)")
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        out.append(rng.choice(len(row), size=num_samples, replace=replacement, p=row / row.sum()))
    result = np.array(out, dtype=np.int64)
    return _make(result[0] if probs.ndim == 1 else result, False, None)
