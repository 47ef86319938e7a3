"""Index arithmetic for convolution and pooling — the single source of truth.

Everything here is plain Python on integers: no arrays, no Numba, no Tensor. The kernels,
the layers, the error messages and the visualiser all ask this module where a window
starts, how many outputs there are, and how padding is split, so a formula is written once.

Notation, one spatial axis at a time (PyTorch's documentation uses the same letters):

    L   input size along the axis            k   kernel size
    s   stride                               p   padding (per side, unless split)
    d   dilation                             O   output size

    conv / pooling output:   O = floor((L + p_left + p_right - d*(k-1) - 1) / s) + 1
    transposed conv output:  O = (L-1)*s - 2p + d*(k-1) + output_padding + 1
    adaptive window i of O:  [floor(i*L/O), ceil((i+1)*L/O))
"""
from __future__ import annotations

import operator
from typing import Sequence

__all__ = [
    "ntuple",
    "conv_output_size",
    "conv_transpose_output_size",
    "pool_output_size",
    "resolve_conv_padding",
    "window",
    "window_taps_between",
    "adaptive_range",
    "adaptive_ranges",
    "transposed_targets",
    "conv_output_formula",
]


def ntuple(value, n: int, name: str = "argument") -> tuple[int, ...]:
    """Turn an int or a sequence into a tuple of ``n`` ints, as PyTorch's ``_ntuple`` does.

    >>> ntuple(3, 2, "kernel_size")
    (3, 3)
    >>> ntuple((3, 5), 2, "kernel_size")
    (3, 5)
    """
    expected = f"{name} must be an int or a tuple of {n} ints"
    if isinstance(value, (str, bytes, bool)):
        raise TypeError(f"{expected}, but got {value!r}")
    try:
        return (operator.index(value),) * n          # an int (or numpy integer)
    except TypeError:
        pass
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(f"{expected}, but got {type(value).__name__}") from None
    if len(items) == 1 and n > 1:
        items = items * n
    if len(items) != n:
        raise ValueError(f"{expected} (one per spatial dimension), but got {len(items)} "
                         f"values: {items}")
    try:
        if any(isinstance(v, bool) for v in items):
            raise TypeError
        return tuple(operator.index(v) for v in items)
    except TypeError:
        raise TypeError(f"{expected}, but got {items}") from None


def conv_output_size(size: int, kernel: int, stride: int = 1, pad_left: int = 0,
                     pad_right: int | None = None, dilation: int = 1) -> int:
    """Number of positions a (dilated) kernel fits in a padded axis, stepping by ``stride``.

    ``pad_right`` defaults to ``pad_left`` (symmetric padding). The result may be zero or
    negative when the kernel does not fit: the caller turns that into a teaching error.

    >>> conv_output_size(5, 3, stride=2, pad_left=1)   # floor((5 + 2 - 2 - 1)/2) + 1
    3
    """
    if pad_right is None:
        pad_right = pad_left
    span = dilation * (kernel - 1) + 1          # cells the dilated kernel covers
    padded = size + pad_left + pad_right
    return (padded - span) // stride + 1


def conv_transpose_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                               dilation: int = 1, output_padding: int = 0) -> int:
    """Output length of a transposed convolution (the input length of the matching conv).

    >>> conv_transpose_output_size(4, 4, stride=2, padding=1)   # (4-1)*2 - 2 + 3 + 0 + 1
    8
    """
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def pool_output_size(size: int, kernel: int, stride: int, padding: int = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    """Output length of max/avg pooling, with PyTorch's ``ceil_mode`` rule.

    With ``ceil_mode=True`` the division rounds up, so a last, partial window may hang
    over the right edge, but that window must still *start* inside the input or the
    left padding; otherwise it is dropped.

    >>> pool_output_size(5, 2, 2)                  # floor((5-2)/2)+1
    2
    >>> pool_output_size(5, 2, 2, ceil_mode=True)  # ceil((5-2)/2)+1, last window starts at 4
    3
    """
    span = dilation * (kernel - 1) + 1
    numerator = size + 2 * padding - span
    if ceil_mode:
        out = -(-numerator // stride) + 1           # ceil division for ints
        if (out - 1) * stride >= size + padding:    # last window would start in right padding
            out -= 1
    else:
        out = numerator // stride + 1
    return out


def conv_output_formula(size: int, kernel: int, stride: int = 1, padding: int = 0,
                        dilation: int = 1) -> str:
    """The output-size formula written out with numbers, for messages and figures.

    >>> conv_output_formula(5, 3, 2, 1, 1)
    'floor((5 + 2*1 - 1*(3-1) - 1) / 2) + 1 = 3'
    """
    out = conv_output_size(size, kernel, stride, padding, padding, dilation)
    return (f"floor(({size} + 2*{padding} - {dilation}*({kernel}-1) - 1) / {stride}) + 1"
            f" = {out}")


def resolve_conv_padding(padding, kernel: Sequence[int], dilation: Sequence[int],
                         stride: Sequence[int], n: int) -> tuple[tuple[int, int], ...]:
    """Resolve a conv ``padding`` argument into ``(left, right)`` per spatial dimension.

    ``padding`` may be an int, a tuple of ``n`` ints, ``'valid'`` (no padding) or
    ``'same'`` (output as long as the input; only allowed with stride 1). For ``'same'``
    the total padding ``d*(k-1)`` is split as PyTorch does: ``left = total // 2`` and the
    odd cell, if any, goes to the right.

    >>> resolve_conv_padding('same', (4,), (1,), (1,), 1)
    ((1, 2),)
    """
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(
                    "padding='same' is not supported for strided convolutions: with stride "
                    f"{tuple(stride)} the output cannot keep the input's size. Use stride=1, or "
                    "give the padding as a number (the output size is "
                    "floor((L + 2p - d(k-1) - 1)/s) + 1)."
                )
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                left = total // 2
                pads.append((left, total - left))
            return tuple(pads)
        raise ValueError(
            f"Invalid padding string {padding!r}: use 'same' or 'valid', or give a number"
        )
    pad = ntuple(padding, n, "padding")
    if any(p < 0 for p in pad):
        raise RuntimeError(f"negative padding is not supported, but got padding={pad}")
    return tuple((p, p) for p in pad)


def window(out_index: int, kernel: int, stride: int = 1, pad_left: int = 0,
           dilation: int = 1) -> list[int]:
    """Input indices read by output cell ``out_index`` (conv and pooling alike).

    Indices below 0 or at/after the input length fall in the padding.

    >>> window(1, 3, stride=2, pad_left=1, dilation=1)
    [1, 2, 3]
    >>> window(0, 3, dilation=2)
    [0, 2, 4]
    """
    start = out_index * stride - pad_left
    return [start + j * dilation for j in range(kernel)]


def window_taps_between(out_index: int, kernel: int, stride: int, pad_left: int,
                        dilation: int, low: int, high: int) -> tuple[int, int]:
    """Taps ``j`` of :func:`window` whose index lies in ``[low, high)``, as ``(first, last)``
    (``first > last`` when there is none), computed without listing the taps, so the cost
    does not grow with the kernel size.

    >>> window_taps_between(0, 3, 1, 1, 1, 0, 5)      # window [-1, 0, 1]: taps 1 and 2
    (1, 2)
    """
    start = out_index * stride - pad_left              # index of tap 0
    first = 0 if start >= low else -((start - low) // dilation)    # ceil((low-start)/d)
    last = kernel - 1
    if start > high - 1:
        last = -1
    else:
        last = min(last, (high - 1 - start) // dilation)
    return first, last


def adaptive_range(i: int, in_size: int, out_size: int) -> tuple[int, int]:
    """Half-open input range ``[start, end)`` pooled into adaptive output cell ``i``.

    ``start = floor(i*L/O)``, ``end = ceil((i+1)*L/O)``: neighbouring windows overlap when
    ``L`` is not a multiple of ``O``, and ``O`` may exceed ``L`` (cells then repeat).

    >>> [adaptive_range(i, 5, 3) for i in range(3)]
    [(0, 2), (1, 4), (3, 5)]
    """
    if out_size <= 0:
        raise ValueError(f"adaptive output size must be positive, but got {out_size}")
    start = (i * in_size) // out_size
    end = -(-((i + 1) * in_size) // out_size)
    return start, end


def adaptive_ranges(in_size: int, out_size: int) -> list[tuple[int, int]]:
    """All adaptive windows of one axis: ``[adaptive_range(i, L, O) for i in range(O)]``."""
    return [adaptive_range(i, in_size, out_size) for i in range(out_size)]


def transposed_targets(in_index: int, kernel: int, stride: int = 1, padding: int = 0,
                       dilation: int = 1) -> list[int]:
    """Output positions written by input cell ``in_index`` of a transposed convolution.

    Input cell ``i`` scatters ``x[i] * w[j]`` into output position ``i*s + j*d - p`` for each
    kernel tap ``j``. Positions outside ``[0, O)`` are cropped by the padding.

    >>> transposed_targets(1, 3, stride=2)
    [2, 3, 4]
    """
    return [in_index * stride + j * dilation - padding for j in range(kernel)]


if __name__ == "__main__":  # pragma: no cover
    import doctest
    doctest.testmod(verbose=False)
