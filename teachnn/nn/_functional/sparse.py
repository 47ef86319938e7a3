"""Look-up tables: ``F.embedding`` (rows of a weight matrix picked by index) and ``F.one_hot``.

Shapes:
    embedding  input (*) integer indices in [0, num_embeddings), weight (num_embeddings, D)
               -> output (*, D),  output[..., :] = weight[input[...], :]
    one_hot    input (*) int64 class indices -> output (*, num_classes) int64

Backward of the look-up (only the weight gets a gradient; indices are not differentiable):
    dL/dweight[r] = sum of dL/doutput[p] over every position p with input[p] == r
so a row used twice gets the sum of both gradients, and an unused row gets zero.
"""
from __future__ import annotations

import numpy as np

from ..._errors import check_kwargs, shape_str
from ...autograd import Function
from ...tensor import Tensor

__all__ = ["embedding", "one_hot"]


class EmbeddingFunction(Function):
    """output = weight[indices]; the indices are a NumPy array, not a graph input."""
    _backward_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.padding_idx = indices, padding_idx
        ctx.scale_grad_by_freq = scale_grad_by_freq
        ctx.num_embeddings = weight._data.shape[0]
        return Tensor(weight._data[indices])                     # (*) -> (*, D)

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        dim = g.shape[-1]
        rows = ctx.indices.reshape(-1)                           # (M,)
        g2 = g.reshape(-1, dim)                                  # (*, D) -> (M, D)
        if ctx.scale_grad_by_freq:
            # each row's gradient divided by how often the row occurs in this batch
            counts = np.bincount(rows, minlength=ctx.num_embeddings)
            g2 = g2 / counts[rows].astype(g.dtype)[:, None]
        grad_w = np.zeros((ctx.num_embeddings, dim), dtype=g.dtype)
        np.add.at(grad_w, rows, g2)                              # scatter-add rows
        if ctx.padding_idx is not None:
            grad_w[ctx.padding_idx] = 0                          # the padding row never learns
        return grad_w, None, None, None


def _check_indices(input, func_name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{func_name}(): argument 'input' must be a Tensor of indices, not "
                        f"{type(input).__name__}. Convert it first, e.g. "
                        "torch.tensor([1, 2, 3]).")


def _renorm_rows(weight, rows, max_norm, norm_type):
    """PyTorch's embedding_renorm_: rows used by this call whose norm exceeds ``max_norm``
    are scaled (in place, outside autograd) to norm ``max_norm``."""
    w = weight._data
    unique = np.unique(rows)
    picked = w[unique]                                           # (U, D)
    if norm_type == float("inf"):
        norms = np.abs(picked).max(axis=1)
    else:
        norms = (np.abs(picked) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    too_long = norms > max_norm
    if np.any(too_long):
        scale = (max_norm / (norms[too_long] + 1e-7)).astype(w.dtype)
        w[unique[too_long]] = picked[too_long] * scale[:, None]
        weight._version += 1


@check_kwargs
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Pick rows of ``weight`` by index: ``output[..., :] = weight[input[...], :]``.

    Args:
        padding_idx: this row gets no gradient (its vector stays as it is).
        max_norm: rows used by this call whose ``norm_type``-norm exceeds it are rescaled to
            it first, in place (as PyTorch does).
        scale_grad_by_freq: divide each row's gradient by its count in ``input``.
        sparse: teachnn has no sparse gradients; only False is accepted.

    Shapes: input (*) int64/int32, weight (num_embeddings, D) -> output (*, D).
    """
    _check_indices(input, "embedding")
    if not isinstance(weight, Tensor):
        raise TypeError(f"embedding(): argument 'weight' must be a Tensor, not "
                        f"{type(weight).__name__}")
    if sparse:
        raise NotImplementedError(
            "embedding(sparse=True): teachnn has no sparse tensors, so it cannot make the "
            "sparse row gradient PyTorch makes here. Use sparse=False (the default): the "
            "gradient is a dense matrix with zeros in the unused rows, and the result is the "
            "same.")
    if weight._data.ndim != 2:
        raise RuntimeError(f"embedding(): 'weight' must be 2-D [num_embeddings, "
                           f"embedding_dim] but got shape {shape_str(weight._data.shape)}")
    num = weight._data.shape[0]
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    indices = input._data
    if indices.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got dtype {indices.dtype} instead. Indices pick rows, so "
            "they must be integers: convert with input.long().")
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        bad = indices[(indices < 0) | (indices >= num)].reshape(-1)[0]
        raise IndexError(
            f"index out of range in self: the input contains {int(bad)} but the table has "
            f"{num} rows (valid indices 0..{num - 1}). Make num_embeddings larger than the "
            "largest index (e.g. the vocabulary size).")
    if max_norm is not None:
        _renorm_rows(weight, indices.reshape(-1), float(max_norm), float(norm_type))
    return EmbeddingFunction.apply(weight, indices.astype(np.int64, copy=False), padding_idx,
                                   bool(scale_grad_by_freq))


@check_kwargs
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices -> one-hot rows: ``out[..., c] = 1 if tensor[...] == c else 0``.

    ``num_classes=-1`` uses ``tensor.max() + 1``. Shapes: (*) int64 -> (*, num_classes) int64.
    """
    _check_indices(tensor, "one_hot")
    labels = tensor._data
    if labels.dtype != np.int64:
        raise RuntimeError(
            "one_hot is only applicable to index tensor of type LongTensor. Got dtype "
            f"{labels.dtype}; convert the labels with labels.long().")
    if num_classes == -1:
        if labels.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor. "
                               "Pass num_classes explicitly.")
        num_classes = int(labels.max()) + 1
    if labels.size and labels.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if labels.size and labels.max() >= num_classes:
        raise RuntimeError(
            f"Class values must be smaller than num_classes. Got the label "
            f"{int(labels.max())} with num_classes={num_classes}.")
    out = (labels[..., None] == np.arange(num_classes)).astype(np.int64)   # (*, C)
    return Tensor(out)
