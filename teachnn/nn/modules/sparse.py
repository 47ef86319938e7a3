"""``nn.Embedding``: a learnable look-up table of vectors, one row per token id."""
from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from .. import init
from .._functional.sparse import embedding
from ..parameter import Parameter
from .linear import _check_device, _empty
from .module import Module

__all__ = ["Embedding"]


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, indexed by integers.

    Args:
        num_embeddings: number of rows (e.g. the vocabulary size).
        embedding_dim: length of each vector.
        padding_idx: this row starts as zeros and gets no gradient.
        max_norm, norm_type: rows looked up are rescaled to norm ``max_norm`` if longer.
        scale_grad_by_freq: divide row gradients by their frequency in the batch.
        sparse: only False (teachnn has no sparse gradients).

    Shapes: input (*) int64 -> output (*, embedding_dim). weight (num_embeddings,
    embedding_dim), initialised from N(0, 1) as in PyTorch.

    Example::

        >>> emb = nn.Embedding(10, 3)
        >>> emb(torch.tensor([[1, 2, 4, 5], [4, 3, 2, 9]])).shape
        torch.Size([2, 4, 3])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight=None,
                 _freeze: bool = False, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        for name, value in (("num_embeddings", num_embeddings),
                            ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"Embedding(): {name} must be an int, but got {value!r}")
            if value < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {value}: "
                                   f"Embedding(): {name} must be >= 0")
        if sparse:
            raise NotImplementedError(
                "Embedding(sparse=True): teachnn has no sparse tensors, so it cannot make the "
                "sparse gradient PyTorch makes here. Use sparse=False (the default); the dense "
                "gradient has zeros in the rows the batch did not use, and training gives the "
                "same result with any optimiser except optim.SparseAdam.")
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        if padding_idx is not None:
            if padding_idx > 0 and padding_idx >= num_embeddings:
                raise AssertionError("Padding_idx must be within num_embeddings")
            if padding_idx < 0:
                if padding_idx < -num_embeddings:
                    raise AssertionError("Padding_idx must be within num_embeddings")
                padding_idx = num_embeddings + padding_idx
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if _weight is None:
            self.weight = Parameter(_empty((num_embeddings, embedding_dim), dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        self.sparse = sparse

    def reset_parameters(self) -> None:
        """weight ~ N(0, 1); the padding row (if any) set to zeros."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> "Embedding":
        """An Embedding whose table is ``embeddings`` (shared, not copied); ``freeze=True``
        keeps it fixed (``weight.requires_grad = False``)."""
        if not isinstance(embeddings, Tensor):
            raise TypeError(f"Embedding.from_pretrained expects a Tensor, but got "
                            f"{type(embeddings).__name__}")
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)
