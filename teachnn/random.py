"""Random numbers: one global generator, reseeded by ``teachnn.manual_seed``.

Every random draw in teachnn (``rand``, ``randn``, ``randint``, ``randperm``,
``Tensor.uniform_``/``normal_``, ``nn.init``, dropout, data shuffling) goes through
``default_generator.np_rng`` (or a ``generator=`` passed explicitly), so
``teachnn.manual_seed(0)`` makes a whole program reproducible.

The numbers are NumPy's (PCG64), not PyTorch's: the same seed gives *different* values
in teachnn and in PyTorch. Parity tests therefore copy data from one library to the other.

The random tensor factories (``teachnn.rand``, ``randn``, ``randint``, ...) live with the
other factories in ``teachnn/_factories.py``; this module knows nothing about tensors.
"""
import numbers

import numpy as np

from . import _dtype

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state"]

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
