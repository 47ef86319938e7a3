"""The checks ``F.pad`` makes for its non-constant modes, in PyTorch's order and with its
exception types (the gather that pads lives in ``conv.py``, ``_pad_index`` and ``_Pad``).

PyTorch runs 'reflect' and 'replicate' through dedicated 1-d/2-d/3-d kernels, and each kernel
checks its input before padding:

1. the input is batched ``(N, C, *spatial)`` with only N allowed to be 0, or unbatched
   ``(C, *spatial)`` with no empty axis at all;
2. 'reflect' can add at most ``size - 1`` cells per side (it mirrors without repeating the edge);
3. at least one padded axis keeps one cell (1-d: the one axis must);
4. no axis may be cropped below nothing.

'circular' wraps around at most once per side and may crop an axis to nothing.
"""
from __future__ import annotations

from ..._errors import shape_str

__all__ = []

_AXIS_NAMES = ("W", "H", "D")          # last axis first, as in ``pad``


def check_edge_pad(input, pad, mode):
    """Rules 1-4 above for mode 'reflect' or 'replicate' (``len(pad) // 2`` padded axes)."""
    n = len(pad) // 2
    shape = tuple(input.shape)
    batched = input.ndim == n + 2
    must_be_nonzero = shape[1:] if batched else shape
    if 0 in must_be_nonzero:
        raise RuntimeError(
            f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 batch size and "
            f"other non-zero dimensions for input, but got: {shape_str(shape)}. mode='{mode}' "
            "copies edge cells, so every axis but the batch axis needs at least one cell")
    out_sizes = []
    for k in range(n):                                  # k = 0 is the last axis (W)
        axis = input.ndim - 1 - k
        left, right = int(pad[2 * k]), int(pad[2 * k + 1])
        size = shape[axis]
        if mode == "reflect" and (left >= size or right >= size):
            raise RuntimeError(
                f"Argument #{4 + 2 * k}: Padding size should be less than the corresponding "
                f"input dimension, but got: padding ({left}, {right}) at dimension {axis} of "
                f"input {shape_str(shape)}. Reflection mirrors the axis without repeating the "
                f"edge, so it can add at most size-1 = {size - 1} cells per side")
        out_sizes.append(size + left + right)
    if max(out_sizes) < 1:
        names = " ".join(f"{_AXIS_NAMES[k]}: {shape[input.ndim - 1 - k]}" for k in reversed(range(n)))
        outs = " ".join(f"{_AXIS_NAMES[k]}: {out_sizes[k]}" for k in reversed(range(n)))
        raise RuntimeError(f"input ({names}) is too small. Calculated output {outs}; negative "
                           "padding crops, and it may not remove every cell of the input")
    for k, out in enumerate(out_sizes):
        if out < 0:
            axis = input.ndim - 1 - k
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {out}: padding "
                f"({int(pad[2 * k])}, {int(pad[2 * k + 1])}) crops more cells than dimension "
                f"{axis} of input {shape_str(shape)} has")
    if input._data.dtype.kind == "b":                   # PyTorch checks the dtype after the sizes
        raise NotImplementedError(
            f"\"{'reflection' if mode == 'reflect' else 'replication'}_pad{n}d\" not implemented "
            f"for 'Bool': mode='{mode}' pads numbers; convert first with x.float() or x.int(), "
            "or use mode='constant' or 'circular', which also pad bool tensors")


def check_circular_pad(input, pad):
    """Circular padding: each side wraps at most once, the result may be empty, not negative.

    Returns, per padded axis (last axis first), whether the output is empty there.
    """
    n = len(pad) // 2
    shape = tuple(input.shape)
    for k in range(n):
        axis = input.ndim - 1 - k
        left, right = int(pad[2 * k]), int(pad[2 * k + 1])
        size = shape[axis]
        if left > size or right > size:
            raise RuntimeError(
                f"Padding value causes wrapping around more than once: padding ({left}, "
                f"{right}) at dimension {axis} of size {size}; circular padding can add at "
                "most that many cells per side")
        if size + left + right < 0:
            raise RuntimeError(
                f"Negative padding value is resulting in an empty dimension: padding ({left}, "
                f"{right}) crops more cells than dimension {axis} of input {shape_str(shape)} has")
        kept = size - max(-left, 0) - max(-right, 0)          # what is left after cropping
        if size + left + right > 0 and (left > kept or right > kept):
            # PyTorch copies the wrapped cells from the cropped input itself and refuses when
            # source and destination overlap; one wrap of the kept part is all it can do
            raise RuntimeError(
                f"Padding value causes wrapping around more than once: padding ({left}, "
                f"{right}) at dimension {axis} of size {size} (size {kept} after cropping); circular "
                "padding can add at most that many cells per side")
