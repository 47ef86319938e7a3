"""Numba kernels (ndarrays in, ndarrays out) and the switch between their two tiers.

* ``"fast"`` (the default): the tuned kernels -- ``kernels/fast_conv/`` (im2col, register
  tiles, threads) and ``kernels/pool.py``.
* ``"reference"``: the readable loops in ``kernels/reference/`` -- the formulas as plain
  ``@njit`` loops, the text a learner opens and the oracle the tests trust.

Both tiers have the same functions with the same arguments and results, so choosing one
is a module swap::

    TEACHNN_KERNELS=reference python train.py        # for a whole run (read at import)

    import teachnn
    teachnn.kernels.use("reference")                  # from now on
    with teachnn.kernels.use("fast"):                 # for a block, then back
        ...
    teachnn.kernels.current()                         # -> "reference" or "fast"

The functional layer (``F.conv2d``, ``F.max_pool2d``, ...) looks up ``kernels.active`` at
every call and remembers it for the backward pass, so switching mid-session works and a
backward always runs on the tier that ran its forward.
"""
from __future__ import annotations

import os
from types import SimpleNamespace

from . import fast_conv as _fast_conv
from . import pool as _fast_pool
from .reference import conv as _reference_conv
from .reference import pool as _reference_pool

__all__ = ["use", "current", "available", "active"]

# The one place that says which module implements each family in each tier.
_BACKENDS = {
    "fast": SimpleNamespace(name="fast", conv=_fast_conv, pool=_fast_pool),
    "reference": SimpleNamespace(name="reference", conv=_reference_conv, pool=_reference_pool),
}
ENV_VARIABLE = "TEACHNN_KERNELS"


def available() -> tuple[str, ...]:
    """The names ``use`` accepts: ``("fast", "reference")``."""
    return tuple(_BACKENDS)


def _lookup(name, where):
    if not isinstance(name, str) or name.strip().lower() not in _BACKENDS:
        raise ValueError(
            f"{where}: unknown kernel tier {name!r}; choose one of "
            f"{', '.join(map(repr, _BACKENDS))} ('fast' is the default, 'reference' runs "
            "the readable loops in teachnn/kernels/reference/)")
    return _BACKENDS[name.strip().lower()]


def _from_environment():
    value = os.environ.get(ENV_VARIABLE, "")
    if value.strip() == "":
        return _BACKENDS["fast"]
    return _lookup(value, f"environment variable {ENV_VARIABLE}={value!r}")


# The tier every kernel call goes to (read at each call by the functional layer).
active = _from_environment()


def current() -> str:
    """The tier in use now: ``"fast"`` or ``"reference"``."""
    return active.name


class use:
    """Select a kernel tier: ``"fast"`` or ``"reference"``.

    Called alone, it switches from now on; as a context manager, it switches for the
    ``with`` block and then restores the tier that was in use before::

        with teachnn.kernels.use("reference"):
            y = F.conv2d(x, w)            # the loops of kernels/reference/conv.py
    """

    def __init__(self, name: str):
        global active
        chosen = _lookup(name, "teachnn.kernels.use()")
        self.previous = active.name
        active = chosen

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        global active
        active = _BACKENDS[self.previous]
        return False

    def __repr__(self):
        return f"teachnn.kernels.use({current()!r})"
