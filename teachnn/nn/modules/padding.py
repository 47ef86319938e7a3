"""Padding layers: ``nn.ZeroPad2d``, ``nn.ConstantPad2d``, ``nn.ReflectionPad2d``,
``nn.ReplicationPad2d``, ``nn.CircularPad2d`` and their 1-d and 3-d forms.

A padding layer has no parameters: it remembers ``padding`` (and ``value``) and calls
``F.pad``, where the modes are explained. As in PyTorch, ``padding`` is an int (the same on
every side) or a sequence kept as given, ``(left, right, top, bottom, front, back)`` with the
LAST axis first; the constructor checks nothing, so a bad padding is reported by ``F.pad`` at
the first call (with PyTorch's exception types).

Example: ``nn.ReflectionPad2d((1, 1, 2, 0))`` turns ``(N, C, H, W)`` into
``(N, C, H + 2, W + 2)``, mirroring the rows and columns next to each edge.
"""
from __future__ import annotations

import collections.abc
import itertools

from ...tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "CircularPad1d", "CircularPad2d", "CircularPad3d",
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
]


def _sides(padding, n):
    """PyTorch's ``_pair``/``_quadruple``/``_ntuple(6)``: a non-iterable is repeated n times,
    any iterable is kept as a tuple (its length is checked by F.pad, not here)."""
    if isinstance(padding, collections.abc.Iterable):
        return tuple(padding)
    return tuple(itertools.repeat(padding, n))


class _PadNd(Module):
    """Shared body: ``padding`` as a tuple, ``F.pad`` in ``forward``, repr ``(l, r, ...)``."""

    _mode = "constant"
    _n_sides = 2

    def __init__(self, padding):
        super().__init__()
        self.padding = _sides(padding, self._n_sides)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


# ------------------------------------------------------------------------ circular
class _CircularPadNd(_PadNd):
    _mode = "circular"
    _spatial = 1

    def _check_input_dim(self, input):
        # PyTorch checks the rank here, before F.pad, and raises ValueError
        n = self._spatial
        if not isinstance(input, Tensor):       # PyTorch fails on the missing .dim() here
            raise AttributeError(
                f"'{type(input).__name__}' object has no attribute 'dim': {type(self).__name__} "
                "expects a Tensor; wrap an array with teachnn.from_numpy(a) or teachnn.tensor(a)")
        dim = input.dim()
        if dim != n + 1 and dim != n + 2:
            raise ValueError(
                f"expected {n + 1}D or {n + 2}D input (got {dim}D input): "
                f"{type(self).__name__} pads the last {n} ax{'is' if n == 1 else 'es'} of a "
                f"batched ({n + 2}-d) or unbatched ({n + 1}-d) input")

    def forward(self, input):
        self._check_input_dim(input)
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Wrap the last axis around: ``[1, 2, 3]`` padded by (2, 1) is ``[2, 3, 1, 2, 3, 1]``.

    Args: padding (int, or (left, right)). Input ``(N, C, W)`` or ``(C, W)``; output width
    ``W + left + right``. Each side may add at most ``W`` cells.
    """

    _spatial, _n_sides = 1, 2


class CircularPad2d(_CircularPadNd):
    """Wrap the last two axes around (the image tiles the plane).

    Args: padding (int, or (left, right, top, bottom)). Input ``(N, C, H, W)`` or
    ``(C, H, W)``; output ``(…, H + top + bottom, W + left + right)``.
    """

    _spatial, _n_sides = 2, 4


class CircularPad3d(_CircularPadNd):
    """Wrap the last three axes around.

    Args: padding (int, or (left, right, top, bottom, front, back)). Input
    ``(N, C, D, H, W)`` or ``(C, D, H, W)``.
    """

    _spatial, _n_sides = 3, 6


# ------------------------------------------------------------------------ constant
class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Fill ``left`` and ``right`` cells of the last axis with ``value``.

    Args: padding (int, or (left, right)), value (float). Input ``(N, C, W)`` or ``(C, W)``
    (any rank works, as in PyTorch); output width ``W + left + right``. Negative padding crops.
    """

    _n_sides = 2


class ConstantPad2d(_ConstantPadNd):
    """Fill a border of the last two axes with ``value``.

    Args: padding (int, or (left, right, top, bottom)), value (float). Input
    ``(N, C, H, W)`` or ``(C, H, W)``; output ``(…, H + top + bottom, W + left + right)``.
    """

    _n_sides = 4


class ConstantPad3d(_ConstantPadNd):
    """Fill a border of the last three axes with ``value``.

    Args: padding (int, or six ints, last axis first), value (float). Input
    ``(N, C, D, H, W)`` or ``(C, D, H, W)``.
    """

    _n_sides = 6


class ZeroPad1d(ConstantPad1d):
    """``ConstantPad1d(padding, 0.0)``: zeros on both ends of the last axis."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """``ConstantPad2d(padding, 0.0)``: a border of zeros around each feature map."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """``ConstantPad3d(padding, 0.0)``: a border of zeros around each volume."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


# ---------------------------------------------------------------------- reflection
class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Mirror the last axis without repeating the edge: ``[1, 2, 3]`` by (2, 1) is
    ``[3, 2, 1, 2, 3, 2]``.

    Args: padding (int, or (left, right)). Input ``(N, C, W)`` or ``(C, W)``; each side may
    add at most ``W - 1`` cells.
    """

    _n_sides = 2


class ReflectionPad2d(_ReflectionPadNd):
    """Mirror the last two axes (a common border for image-to-image networks).

    Args: padding (int, or (left, right, top, bottom)). Input ``(N, C, H, W)`` or
    ``(C, H, W)``; output ``(…, H + top + bottom, W + left + right)``.
    """

    _n_sides = 4


class ReflectionPad3d(_ReflectionPadNd):
    """Mirror the last three axes.

    Args: padding (int, or six ints, last axis first). Input ``(N, C, D, H, W)`` or
    ``(C, D, H, W)``.
    """

    _n_sides = 6


# --------------------------------------------------------------------- replication
class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Repeat the edge value of the last axis: ``[1, 2, 3]`` by (2, 1) is
    ``[1, 1, 1, 2, 3, 3]``.

    Args: padding (int, or (left, right)). Input ``(N, C, W)`` or ``(C, W)``.
    """

    _n_sides = 2


class ReplicationPad2d(_ReplicationPadNd):
    """Repeat the edge rows and columns of the last two axes.

    Args: padding (int, or (left, right, top, bottom)). Input ``(N, C, H, W)`` or
    ``(C, H, W)``.
    """

    _n_sides = 4


class ReplicationPad3d(_ReplicationPadNd):
    """Repeat the edge cells of the last three axes.

    Args: padding (int, or six ints, last axis first). Input ``(N, C, D, H, W)`` or
    ``(C, D, H, W)``.
    """

    _n_sides = 6
