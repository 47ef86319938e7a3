"""Weight initialisation: ``teachnn.nn.init`` (PyTorch's ``torch.nn.init``).

Every function fills a Tensor **in place** (hence the trailing ``_``), without recording
anything for autograd, and returns it. Random draws come from the global generator
(``teachnn.manual_seed(0)`` makes them reproducible) or from ``generator=``.

The formulas, with ``fan_in = in_channels * kernel_area`` and ``fan_out =
out_channels * kernel_area`` (for Linear, ``in_features`` / ``out_features``):

    xavier_uniform_   U(-a, a),   a   = gain * sqrt(6 / (fan_in + fan_out))
    xavier_normal_    N(0, std²), std = gain * sqrt(2 / (fan_in + fan_out))
    kaiming_uniform_  U(-b, b),   b   = gain * sqrt(3 / fan)
    kaiming_normal_   N(0, std²), std = gain / sqrt(fan)

Default layer initialisation in PyTorch (and here) is ``kaiming_uniform_(w, a=sqrt(5))``,
which works out to ``b = 1 / sqrt(fan_in)``.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

import teachnn.random
from teachnn.autograd import no_grad
from teachnn.tensor import Tensor
from teachnn.nn.parameter import is_lazy

__all__ = [
    "calculate_gain", "calculate_fan_in_and_fan_out", "uniform_", "normal_", "trunc_normal_",
    "constant_", "zeros_", "ones_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_",
    "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
]


def _rng(generator):
    """The numpy Generator behind ``generator`` or behind the global default generator."""
    if generator is None:
        generator = teachnn.random.default_generator
    return generator.np_rng


def _check_tensor(tensor, fn_name):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{fn_name} expects a Tensor (for example layer.weight), but got "
                        f"{type(tensor).__name__}.")
    if is_lazy(tensor):
        raise ValueError(
            f"Attempted to use an uninitialized parameter in nn.init.{fn_name}: a lazy layer "
            "(nn.LazyLinear, nn.LazyConv2d, ...) creates its weights at its first call. Run the "
            "model once on an example batch, then initialise (model(X); model.apply(init)).")


def _fill(tensor, values):
    """Write ``values`` into the tensor in place, keeping its dtype, without autograd."""
    with no_grad():
        tensor.copy_(Tensor(np.asarray(values)))
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended scale for an activation function (PyTorch's table).

    ============ ==========================
    linear, conv 1
    sigmoid      1
    tanh         5/3
    relu         sqrt(2)
    leaky_relu   sqrt(2 / (1 + slope²)), slope = ``param`` (default 0.01)
    selu         3/4
    ============ ==========================
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    from teachnn._errors import suggest_name
    valid = linear_fns + ["sigmoid", "tanh", "relu", "leaky_relu", "selu"]
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}." + suggest_name(str(nonlinearity), valid)
                     + " Valid names: " + ", ".join(valid) + ".")


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``.

    fan_in = in * prod(kernel), fan_out = out * prod(kernel). Needs at least 2 dimensions.
    """
    dimensions = len(tensor.shape)
    if dimensions < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {list(tensor.shape)}). Biases and other 1-d "
                         "tensors need uniform_/normal_/zeros_ with an explicit bound.")
    num_input_fmaps = tensor.shape[1]
    num_output_fmaps = tensor.shape[0]
    receptive_field_size = 1
    for s in tensor.shape[2:]:
        receptive_field_size *= s
    fan_in = num_input_fmaps * receptive_field_size
    fan_out = num_output_fmaps * receptive_field_size
    return fan_in, fan_out


calculate_fan_in_and_fan_out = _calculate_fan_in_and_fan_out


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with draws from U(a, b)."""
    _check_tensor(tensor, "uniform_")
    return _fill(tensor, _rng(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with draws from N(mean, std²)."""
    _check_tensor(tensor, "normal_")
    return _fill(tensor, _rng(generator).normal(mean, std, size=tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with draws from N(mean, std²) restricted to [a, b].

    Drawn by rejection: draw normals, redraw the ones outside [a, b]. (PyTorch inverts the
    CDF instead; the distribution is the same, the individual numbers differ anyway because
    the random generators differ.)
    """
    _check_tensor(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"trunc_normal_ needs a < b, got a={a}, b={b}")
    rng = _rng(generator)
    values = rng.normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    for _ in range(1000):
        count = int(outside.sum())
        if count == 0:
            break
        values[outside] = rng.normal(mean, std, size=count)
        outside = (values < a) | (values > b)
    # only reachable when [a, b] is far out in the tail: keep the values inside anyway
    return _fill(tensor, np.clip(values, a, b))


def constant_(tensor, val):
    """Fill with the value ``val``."""
    _check_tensor(tensor, "constant_")
    return _fill(tensor, val)


def ones_(tensor):
    """Fill with ones."""
    _check_tensor(tensor, "ones_")
    return _fill(tensor, 1)


def zeros_(tensor):
    """Fill with zeros."""
    _check_tensor(tensor, "zeros_")
    return _fill(tensor, 0)


def eye_(tensor):
    """Fill a 2-d tensor with the identity matrix (ones on the diagonal)."""
    _check_tensor(tensor, "eye_")
    if len(tensor.shape) != 2:
        raise ValueError("Only tensors with 2 dimensions are supported "
                         f"(got shape {list(tensor.shape)})")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fill a conv weight ``(out, in, *kernel)`` so the convolution is the identity:
    a 1 at the kernel centre linking output channel i to input channel i (per group)."""
    _check_tensor(tensor, "dirac_")
    dimensions = len(tensor.shape)
    if dimensions not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    values = np.zeros(tensor.shape)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            values[(g * out_chans_per_grp + d, d) + centre] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    _check_tensor(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std  # uniform on [-a, a] has standard deviation a / sqrt(3)
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check_tensor(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan).

    ``a`` is the negative slope used by the leaky_relu gain; ``mode`` picks fan_in
    (keeps the forward signal's variance) or fan_out (the backward gradient's).
    """
    _check_tensor(tensor, "kaiming_uniform_")
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std²), std = gain / sqrt(fan)."""
    _check_tensor(tensor, "kaiming_normal_")
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)

def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix times ``gain``: rows (or columns, whichever are fewer) are
    orthonormal. Dimensions after the first are flattened, so a conv weight ``(out, in, kH, kW)``
    becomes an ``out x (in*kH*kW)`` matrix.

    As in PyTorch: draw a Gaussian matrix, take its QR factorisation and flip each column of Q
    by the sign of R's diagonal, which makes Q uniformly distributed over orthogonal matrices.
    """
    _check_tensor(tensor, "orthogonal_")
    if len(tensor.shape) < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported "
                         f"(got shape {list(tensor.shape)}); orthogonal_ needs a matrix.")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flattened = _rng(generator).normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flattened = flattened.T                   # QR of the tall matrix: Q gets orthonormal columns
    q, r = np.linalg.qr(flattened)                # (tall, k) @ (k, k)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


from .._errors import missing_attribute as _missing_attribute  # noqa: E402


def __getattr__(name):
    """Only called for a name the module lacks: ``nn.init.Relu`` suggests the nearest name."""
    raise _missing_attribute(__name__, name, globals())
