"""Convolution layers: ``nn.Conv1d/2d/3d`` and ``nn.ConvTranspose1d/2d/3d``.

A layer holds the learnable ``weight`` and ``bias`` and its hyper-parameters; ``forward``
calls the functional form (``teachnn/nn/_functional/conv.py``), which checks the input and
runs the Numba kernels. Names, defaults, weight shapes, initialisation, ``repr`` and
``state_dict`` keys follow ``torch.nn``.
"""
from __future__ import annotations

import math

import numpy as np

from ... import _dtype, geometry
from ...tensor import Tensor
from .. import init
from .. import functional as F
from .._functional.conv import _check_input_dims   # the input-shape check F and the layers share
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


# the public functions the layers call, by number of spatial dims
_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _check_device(device):
    if device is not None and not str(device).startswith("cpu"):
        raise RuntimeError(f"teachnn runs on the CPU only, but device '{device}' was "
                           "requested. Leave the device out or use device='cpu'.")


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating))


def _channel_count(value, name, layer):
    """in_channels / out_channels as the weight's shape needs them (PyTorch's checks when it
    makes the weight): a whole number, not negative; 0 makes an empty weight."""
    if not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}(): {name} must be an int, but got {value!r}; it is a "
                        "number of channels (the weight's shape holds it)")
    if value < 0:
        raise RuntimeError(f"{layer}(): {name} must not be negative, but got {value}; the "
                           "weight would need a negative size")
    return int(value)


def _as_ntuple(value, n):
    """PyTorch's ``_single``/``_pair``/``_triple``: a sequence becomes a tuple as it is, any
    other value is repeated ``n`` times; nothing is checked here (forward checks)."""
    try:
        return tuple(value)
    except TypeError:
        return (value,) * n


class _ConvNd(Module):
    """What Conv and ConvTranspose layers share: arguments, parameters, init, repr."""

    _n = 0                 # number of spatial dimensions, set by each subclass
    _transposed = False

    def _setup(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
               output_padding, groups, bias, padding_mode, device, dtype):
        layer = type(self).__name__
        n = self._n
        _check_device(device)
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not _is_number(value):         # (PyTorch's groups checks would fail on it)
                raise TypeError(f"{layer}(): {name} must be an int, but got {value!r}")
        # PyTorch's order: the ValueErrors of its constructor (groups, padding string,
        # padding_mode) come first; a wrong kernel_size fails when the weight is made; the
        # form and value of stride, padding, dilation and output_padding are only checked
        # at forward, where F.conv*d explains them (so they are stored as given, as tuples).
        kernel_size = _as_ntuple(kernel_size, n)
        stride = _as_ntuple(stride, n)
        dilation = _as_ntuple(dilation, n)
        if not isinstance(padding, str):
            padding = _as_ntuple(padding, n)
        if isinstance(groups, bool) or not isinstance(groups, (int, float, np.integer)):
            raise TypeError(f"{layer}(): groups must be an int, but got {groups!r}")
        if groups <= 0:
            raise ValueError(f"groups must be a positive integer, but got groups={groups!r}")
        if in_channels % groups != 0:
            raise ValueError(f"in_channels must be divisible by groups: in_channels="
                             f"{in_channels}, groups={groups}. Each group sees in_channels/"
                             "groups channels, so choose groups among the divisors")
        if out_channels % groups != 0:
            raise ValueError(f"out_channels must be divisible by groups: out_channels="
                             f"{out_channels}, groups={groups}")
        if isinstance(padding, str) and not self._transposed:
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'same', 'valid'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions: "
                                 f"with stride={stride} the output cannot keep the input's "
                                 "size. Use stride=1, or give padding as a number")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {{'zeros', 'reflect', 'replicate', "
                             f"'circular'}}, but got padding_mode={padding_mode!r}")
        if not isinstance(groups, (int, np.integer)):
            raise TypeError(f"{layer}(): groups must be an int, but got {groups!r}; the "
                            "weight has in_channels/groups channels per filter, a whole number")
        # a bool is an int to PyTorch where it is divided by groups, but not where it is a
        # size of its own: the weight's first axis, and the bias
        direct = ["in_channels" if self._transposed else "out_channels"]
        if bias:
            direct.append("out_channels")
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, (bool, np.bool_)) and name in direct:
                raise TypeError(f"{layer}(): {name} must be an int, but got {value!r}; it is "
                                "a number of channels (a size of the weight or the bias)")
        in_channels = _channel_count(in_channels, "in_channels", layer)
        out_channels = _channel_count(out_channels, "out_channels", layer)
        # the weight is made with kernel_size as given (PyTorch: torch.empty(shape)), so only
        # what no shape can hold fails here; a wrong length fails at forward
        if any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) for k in kernel_size):
            raise TypeError(f"{layer}(): kernel_size must be an int or a tuple of {n} ints, "
                            f"but got {kernel_size!r}; the weight's shape is (out_channels, "
                            "in_channels/groups, *kernel_size)")
        kernel_size = tuple(int(k) for k in kernel_size)
        if any(k < 0 for k in kernel_size):
            raise RuntimeError(f"{layer}(): kernel_size must not be negative, but got "
                               f"kernel_size={kernel_size}; the weight would need a negative "
                               "size")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = self._transposed
        self.output_padding = output_padding
        self.groups = int(groups)
        self.padding_mode = padding_mode
        # F.pad takes (left, right) pairs starting from the LAST axis
        if padding == "valid":
            pad_lr = ((0, 0),) * n
        elif padding == "same":
            if any(isinstance(d, bool) or not isinstance(d, (int, np.integer))
                   for d in dilation):
                raise TypeError(f"{layer}(): dilation must be an int or a tuple of {n} ints, "
                                f"but got {dilation!r}; padding='same' needs it to work out "
                                "the padding d*(k-1)")
            pad_lr = tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                           for d, k in zip(dilation, kernel_size))
        else:                          # not validated here: forward explains a bad value
            pad_lr = tuple((p, p) for p in padding)
        self._reversed_padding_repeated_twice = tuple(
            p for left_right in reversed(pad_lr) for p in left_right)
        if self._transposed:
            shape = (in_channels, out_channels // groups) + kernel_size
        else:
            shape = (out_channels, in_channels // groups) + kernel_size
        np_dtype = _dtype.to_numpy(_dtype.get_default_dtype() if dtype is None else dtype)
        self.weight = Parameter(Tensor(np.empty(shape, dtype=np_dtype)))
        if bias:
            self.bias = Parameter(Tensor(np.empty((out_channels,), dtype=np_dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight ~ kaiming_uniform_(a=sqrt(5)), which is
        U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = weight.shape[1] * prod(kernel_size);
        bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        n = self._n
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation,
                    (0,) * self._n, groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        n = self._n
        if self.padding_mode != "zeros":
            # pad with the chosen rule first, then convolve without padding (as PyTorch:
            # so a wrong input fails in F.pad, with its exception type)
            try:
                input = F.pad(input, self._reversed_padding_repeated_twice,
                              mode=self.padding_mode)
            except (TypeError, ValueError, RuntimeError, NotImplementedError) as err:
                raise type(err)(
                    f"{type(self).__name__}(padding_mode={self.padding_mode!r}) pads its input "
                    f"with F.pad before convolving, and F.pad refused it: {err}") from None
            return _CONV[n](input, weight, bias, self.stride, 0, self.dilation, self.groups)
        return _CONV[n](input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    r"""1-d convolution over a sequence: time series, or text with the embedding as channels.

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0 (int, tuple, 'valid'
    or 'same'), dilation=1, groups=1, bias=True, padding_mode='zeros' ('reflect',
    'replicate', 'circular').

    Shapes:
        input  (N, C_in, L_in) or (C_in, L_in)
        output (N, C_out, L_out),  L_out = floor((L_in + 2p - d(k-1) - 1)/s) + 1
        weight (C_out, C_in/groups, k);  bias (C_out,)

    Example::

        >>> conv = nn.Conv1d(128, 64, kernel_size=3, padding=1)   # 128 = embedding size
        >>> conv(torch.randn(32, 128, 256)).shape
        torch.Size([32, 64, 256])

    Computes ``F.conv1d``. The loops it runs, to read: teachnn/kernels/reference/conv.py
    (``_conv_forward_loop``; backward ``_conv_input_grad_loop``,
    ``_conv_weight_grad_loop``).
    """
    _n = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)


class Conv2d(_Conv):
    r"""2-d convolution over images.

    Shapes:
        input  (N, C_in, H, W) or (C_in, H, W)
        output (N, C_out, H_out, W_out), each axis floor((L + 2p - d(k-1) - 1)/s) + 1
        weight (C_out, C_in/groups, kh, kw);  bias (C_out,)

    ``groups=C_in`` (with C_out a multiple of C_in) makes a depthwise convolution: each
    channel is filtered on its own.

    Example::

        >>> conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        >>> conv(torch.randn(32, 3, 32, 32)).shape
        torch.Size([32, 16, 32, 32])

    Computes ``F.conv2d``. The loops it runs, to read: teachnn/kernels/reference/conv.py
    (``_conv_forward_loop``; backward ``_conv_input_grad_loop``,
    ``_conv_weight_grad_loop``).
    """
    _n = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)


class Conv3d(_Conv):
    r"""3-d convolution over volumes or video (depth/time, height, width).

    Shapes:
        input  (N, C_in, D, H, W) or (C_in, D, H, W)
        output (N, C_out, D_out, H_out, W_out)
        weight (C_out, C_in/groups, kd, kh, kw);  bias (C_out,)

    Computes ``F.conv3d``. The loops it runs, to read: teachnn/kernels/reference/conv.py
    (``_conv_forward_loop``; backward ``_conv_input_grad_loop``,
    ``_conv_weight_grad_loop``).
    """
    _n = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        layer = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {layer}')
        super().__init__()
        # PyTorch turns even a string padding into a tuple here; forward refuses it
        padding = _as_ntuple(padding, self._n)
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation,
                    output_padding, groups, bias, padding_mode, device, dtype)
        # checked at forward, by F.conv_transpose*d, as PyTorch does
        self.output_padding = _as_ntuple(output_padding, self._n)

    def _output_padding(self, input, output_size):
        """The output_padding that gives ``output_size`` (PyTorch's rule), or the layer's."""
        if output_size is None:
            return self.output_padding
        n, layer = self._n, type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{layer}.forward() expects a Tensor, got {type(input).__name__}")
        batched = _check_input_dims(input, n, f"conv_transpose{n}d", layer)
        leading = 2 if batched else 1
        output_size = [int(s) for s in output_size]
        if len(output_size) == leading + n:
            output_size = output_size[leading:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.ndim}D input, output_size must "
                             f"have {n} or {n + leading} elements (got {len(output_size)})")
        spatial = input.shape[leading:]
        min_sizes = [geometry.conv_transpose_output_size(L, k, s, p, d, 0) for L, k, s, p, d
                     in zip(spatial, self.kernel_size, self.stride, self.padding,
                            self.dilation)]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{min_sizes} to {max_sizes} (for an input of {list(spatial)}). Sizes "
                    "in between differ only by output_padding < stride")
        return tuple(size - lo for size, lo in zip(output_size, min_sizes))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        n = self._n
        output_padding = self._output_padding(input, output_size)
        return _CONV_TRANSPOSE[n](input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    r"""1-d transposed convolution ("the reverse direction, not the inverse"): up-samples.

    Shapes:
        input  (N, C_in, L_in) or (C_in, L_in)
        output (N, C_out, L_out), L_out = (L_in-1)s - 2p + d(k-1) + output_padding + 1
        weight (C_in, C_out/groups, k);  bias (C_out,)

    Computes ``F.conv_transpose1d``. The loops it runs, to read:
    teachnn/kernels/reference/conv.py (``conv_transpose_forward``: the convolution's
    input-gradient loop with the roles swapped).
    """
    _n = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, device, dtype)


class ConvTranspose2d(_ConvTranspose):
    r"""2-d transposed convolution, the up-sampling step of a decoder.

    Shapes:
        input  (N, C_in, H, W) or (C_in, H, W)
        output (N, C_out, H_out, W_out), each axis (L-1)s - 2p + d(k-1) + output_padding + 1
        weight (C_in, C_out/groups, kh, kw);  bias (C_out,)

    Example::

        >>> up = nn.ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1)
        >>> up(torch.randn(8, 64, 16, 16)).shape          # doubles height and width
        torch.Size([8, 32, 32, 32])

    Computes ``F.conv_transpose2d``. The loops it runs, to read:
    teachnn/kernels/reference/conv.py (``conv_transpose_forward``: the convolution's
    input-gradient loop with the roles swapped).
    """
    _n = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, device, dtype)


class ConvTranspose3d(_ConvTranspose):
    r"""3-d transposed convolution.

    Shapes:
        input  (N, C_in, D, H, W) or (C_in, D, H, W)
        output (N, C_out, D_out, H_out, W_out)
        weight (C_in, C_out/groups, kd, kh, kw);  bias (C_out,)

    Computes ``F.conv_transpose3d``. The loops it runs, to read:
    teachnn/kernels/reference/conv.py (``conv_transpose_forward``: the convolution's
    input-gradient loop with the roles swapped).
    """
    _n = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, device, dtype)
