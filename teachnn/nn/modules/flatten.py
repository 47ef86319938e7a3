"""``nn.Flatten`` and ``nn.Unflatten``: reshape layers for use inside ``nn.Sequential``."""
from __future__ import annotations

import math

from ..._errors import shape_str
from ...tensor import Tensor
from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` into one (``input.flatten(start_dim, end_dim)``).

    Shapes (defaults): input (N, *dims) -> output (N, prod(dims)), e.g. (32, 64, 4, 4) ->
    (32, 1024): what a CNN needs between its last convolution and its first Linear.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``, the inverse of Flatten.

    Shapes: input (*, S, *) -> output (*, U1, ..., Uk, *) with U1 * ... * Uk = S
    (one entry may be -1, inferred). E.g. Unflatten(1, (2, 5)): (N, 10) -> (N, 2, 5).
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if isinstance(dim, str):
            raise TypeError("Unflatten with a named dimension is not supported in teachnn; "
                            "give dim as an int")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(s, int) and not isinstance(s, bool) for s in unflattened_size):
            raise TypeError("unflattened_size must be a tuple of ints, but found "
                            f"{unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        shape = tuple(input.shape)
        ndim = len(shape)
        if not -ndim <= self.dim < ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                f"but got {self.dim}): Unflatten(dim={self.dim}) got input of shape "
                f"{shape_str(shape)}")
        dim = self.dim % ndim
        sizes = tuple(self.unflattened_size)
        known = math.prod(s for s in sizes if s != -1)
        if (-1 not in sizes and known != shape[dim]) or \
                (-1 in sizes and (known == 0 or shape[dim] % known != 0)):
            raise RuntimeError(
                f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                f"{self.dim} ({shape[dim]}) in the input tensor of shape {shape_str(shape)}")
        return input.reshape(*shape[:dim], *sizes, *shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
