"""Pooling layers: ``nn.MaxPool2d``, ``nn.AvgPool2d``, ``nn.AdaptiveAvgPool2d``, ...

A pooling layer has no parameters: it only remembers its settings and calls the matching
function in ``teachnn.nn.functional`` (where the shapes and formulas are documented).
Attribute names, defaults and ``repr`` text are PyTorch's, including its small quirks
(``AvgPool1d`` stores 1-tuples, ``MaxUnpool2d`` stores pairs, ``MaxPool2d`` keeps what you
gave it).
"""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = [
    "MaxPool1d", "MaxPool2d", "MaxPool3d",
    "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
    "LPPool1d", "LPPool2d", "LPPool3d",
]


def _ntuple(value, n):
    """PyTorch's ``_single``/``_pair``/``_triple``: an int is repeated, a sequence kept."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


# ------------------------------------------------------------------------- max pooling
class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, "
                f"ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of a sequence.

    Input ``(N, C, L_in)`` or ``(C, L_in)``; output ``(N, C, L_out)`` with
    ``L_out = floor((L_in + 2*padding - dilation*(kernel_size-1) - 1)/stride) + 1``.

    Computes ``F.max_pool1d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_max_pool_loop``.
    """

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding,
                            self.dilation, ceil_mode=self.ceil_mode,
                            return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max over sliding 2-d windows: keeps the strongest response of each region.

    Input ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``; output ``(N, C, H_out, W_out)`` with
    ``H_out = floor((H_in + 2*padding[0] - dilation[0]*(kernel_size[0]-1) - 1)/stride[0]) + 1``
    (same for W). ``stride`` defaults to ``kernel_size``: ``MaxPool2d(2)`` halves H and W.

    Computes ``F.max_pool2d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_max_pool_loop``.
    """

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding,
                            self.dilation, ceil_mode=self.ceil_mode,
                            return_indices=self.return_indices)


class MaxPool3d(_MaxPoolNd):
    """Max over sliding 3-d windows. Input ``(N, C, D, H, W)`` or ``(C, D, H, W)``.

    Computes ``F.max_pool3d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_max_pool_loop``.
    """

    def forward(self, input):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding,
                            self.dilation, ceil_mode=self.ceil_mode,
                            return_indices=self.return_indices)


# ------------------------------------------------------------------------- avg pooling
class _AvgPoolNd(Module):
    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean over sliding windows of a sequence: ``(N, C, L_in) -> (N, C, L_out)``.

    ``L_out = floor((L_in + 2*padding - kernel_size)/stride) + 1``.

    Computes ``F.avg_pool1d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_avg_pool_loop``.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding,
                            self.ceil_mode, self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """Mean over sliding 2-d windows: ``(N, C, H_in, W_in) -> (N, C, H_out, W_out)``.

    ``H_out = floor((H_in + 2*padding[0] - kernel_size[0])/stride[0]) + 1``. The divisor is
    the window size (padding counted), the number of real cells
    (``count_include_pad=False``), or ``divisor_override``.

    Computes ``F.avg_pool2d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_avg_pool_loop``.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                            self.ceil_mode, self.count_include_pad, self.divisor_override)


class AvgPool3d(_AvgPoolNd):
    """Mean over sliding 3-d windows: ``(N, C, D, H, W) -> (N, C, D_out, H_out, W_out)``.

    Computes ``F.avg_pool3d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_avg_pool_loop``.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding,
                            self.ceil_mode, self.count_include_pad, self.divisor_override)


# -------------------------------------------------------------------- adaptive pooling
class _AdaptiveAvgPoolNd(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Mean pooling to a chosen length: ``(N, C, L) -> (N, C, output_size)``.

    Output ``i`` averages ``x[floor(i*L/O) : ceil((i+1)*L/O)]``.

    Computes ``F.adaptive_avg_pool1d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_avg_pool_loop``.
    """

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Mean pooling to a chosen size: ``(N, C, H, W) -> (N, C, *output_size)``.

    Along each axis window ``i`` is ``[floor(i*L/O), ceil((i+1)*L/O))``; ``None`` in
    ``output_size`` keeps that axis. A 4x4 input ``1..16`` pooled to ``(2, 2)`` gives
    ``[[3.5, 5.5], [11.5, 13.5]]``.

    Computes ``F.adaptive_avg_pool2d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_avg_pool_loop``.
    """

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Mean pooling to a chosen size: ``(N, C, D, H, W) -> (N, C, *output_size)``.

    Computes ``F.adaptive_avg_pool3d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_avg_pool_loop``.
    """

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class _AdaptiveMaxPoolNd(Module):
    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling to a chosen length: ``(N, C, L) -> (N, C, output_size)``.

    Computes ``F.adaptive_max_pool1d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_max_pool_loop``.
    """

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to a chosen size: ``(N, C, H, W) -> (N, C, *output_size)``.

    Computes ``F.adaptive_max_pool2d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_max_pool_loop``.
    """

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling to a chosen size: ``(N, C, D, H, W) -> (N, C, *output_size)``.

    Computes ``F.adaptive_max_pool3d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_max_pool_loop``.
    """

    def forward(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


# ----------------------------------------------------------------------- max unpooling
class _MaxUnpoolNd(Module):
    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Undo ``MaxPool1d`` as far as possible: ``(N, C, L_in) -> (N, C, L_out)``, each value
    put back at its index, zeros elsewhere. ``L_out = (L_in-1)*stride - 2*padding + kernel_size``.
    Call it as ``unpool(x, indices)`` or ``unpool(x, indices, output_size)``.

    Computes ``F.max_unpool1d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_unpool_loop``.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if (stride is not None) else kernel_size, 1)
        self.padding = _ntuple(padding, 1)

    def forward(self, input, indices, output_size=None):
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """Undo ``MaxPool2d`` as far as possible: ``(N, C, H_in, W_in) -> (N, C, H_out, W_out)``
    with ``H_out = (H_in-1)*stride[0] - 2*padding[0] + kernel_size[0]`` (or ``output_size``).

    Computes ``F.max_unpool2d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_unpool_loop``.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 2)
        self.stride = _ntuple(stride if (stride is not None) else kernel_size, 2)
        self.padding = _ntuple(padding, 2)

    def forward(self, input, indices, output_size=None):
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """Undo ``MaxPool3d`` as far as possible: ``(N, C, D, H, W)`` in, larger volume out.

    Computes ``F.max_unpool3d``; the loop it runs, to read:
    teachnn/kernels/reference/pool.py, ``_unpool_loop``.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 3)
        self.stride = _ntuple(stride if (stride is not None) else kernel_size, 3)
        self.padding = _ntuple(padding, 3)

    def forward(self, input, indices, output_size=None):
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


# ---------------------------------------------------------------------------- Lp pooling
class _LPPoolNd(Module):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling ``(sum of x^p over the window)^(1/p)``: ``(N, C, L) -> (N, C, L_out)``."""

    def forward(self, input):
        return F.lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """Power-average pooling over 2-d windows: ``(N, C, H, W) -> (N, C, H_out, W_out)``."""

    def forward(self, input):
        return F.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class LPPool3d(_LPPoolNd):
    """Power-average pooling over 3-d windows: ``(N, C, D, H, W) -> (N, C, D', H', W')``."""

    def forward(self, input):
        return F.lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)
