"""``nn.Linear`` (fully connected layer) and ``nn.Identity``."""
from __future__ import annotations

import math

import numpy as np

from ... import _dtype
from ..._errors import shape_str
from ...tensor import Tensor
from .. import init
from ..parameter import Parameter
from ..functional import linear
from .module import Module

__all__ = ["Identity", "Linear"]


def _check_device(device):
    """teachnn computes on the CPU; ``device=None`` or ``'cpu'`` is accepted for torch code."""
    if device is not None and not str(device).startswith("cpu"):
        raise RuntimeError(f"teachnn runs on the CPU only, but device '{device}' was "
                           "requested. Leave the device out or use device='cpu'.")


def _empty(shape, dtype=None):
    """An uninitialised float tensor of ``shape`` (dtype None -> the default, float32)."""
    if dtype is None:
        dtype = _dtype.get_default_dtype()
    return Tensor(np.empty(shape, dtype=_dtype.to_numpy(dtype)))


def _full(shape, value, dtype=None):
    """A float tensor of ``shape`` filled with ``value`` (dtype None -> the default)."""
    t = _empty(shape, dtype)
    t._data[...] = value
    return t


class Identity(Module):
    """Returns its input unchanged (a placeholder layer). Any arguments are ignored.

    Shape: input (*) -> output (*), the very same tensor.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    r"""Fully connected layer: ``y = x A^T + b``.

    Args:
        in_features: size of each input sample (the input's last dimension).
        out_features: size of each output sample.
        bias: if False, the layer learns no additive bias. Default: True.

    Shapes:
        input  (*, in_features)   any number of leading dimensions
        output (*, out_features)

    Attributes:
        weight (out_features, in_features): initialised from U(-1/sqrt(in_features),
            1/sqrt(in_features)) via ``kaiming_uniform_(a=sqrt(5))``, as in PyTorch.
        bias (out_features,): initialised from the same U(-1/sqrt(in_features), ...).

    Example::

        >>> fc = nn.Linear(1024, 32)
        >>> fc(torch.randn(8, 1024)).shape
        torch.Size([8, 32])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        _check_device(device)
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise TypeError(f"Linear(): {name} must be a non-negative int, but got "
                                f"{value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = Parameter(_empty((out_features, in_features), dtype))
        if bias:
            self.bias = Parameter(_empty((out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight ~ kaiming_uniform_(a=sqrt(5)), i.e.
        U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        if isinstance(input, Tensor) and input._data.ndim >= 1 \
                and input._data.shape[-1] != self.in_features:
            shape = input._data.shape
            last = shape[-1]
            message = (
                f"Linear(in_features={self.in_features}) got input with last dimension {last} "
                f"(input shape {shape_str(shape)}); the last dimension must equal in_features. ")
            per_sample = int(np.prod(shape[1:])) if len(shape) > 2 else None
            if per_sample == self.in_features:
                # the classic CNN mistake: feature maps not flattened before the Linear
                sizes = " * ".join(str(s) for s in shape[1:])
                message += (
                    f"Each sample has {sizes} = {per_sample} values: flatten them first with "
                    "x = x.flatten(1) (or x.view(x.size(0), -1), or nn.Flatten() in a "
                    "Sequential).")
            else:
                message += (
                    f"Either give the layer inputs with {self.in_features} features (e.g. "
                    f"flatten with x.flatten(1) first) or build it as "
                    f"nn.Linear({last}, {self.out_features}).")
            raise RuntimeError(message)
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
