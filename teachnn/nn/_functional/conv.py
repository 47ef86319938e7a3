"""Convolution, transposed convolution and padding: ``F.conv1d/2d/3d``,
``F.conv_transpose1d/2d/3d`` and ``F.pad``, with PyTorch's arguments and semantics.

Each public function checks its arguments in Python (so a mistake gets a clear message, and
the Numba kernels only ever see valid arrays), then calls one autograd ``Function``:

* ``_Convolution`` (grad_fn ``ConvolutionBackward0``): forward and backward run on the
  kernel tier ``teachnn.kernels`` has selected -- the fast kernels (im2col + matrix
  product, col2im for the input gradient) or the readable loops of
  ``teachnn/kernels/reference/conv.py`` (``teachnn.kernels.use("reference")``);
* ``_ConvolutionTranspose``: the same kernels with the roles swapped;
* ``_Pad``: padding as an index map, differentiable.

1-d and 2-d calls are run as 3-d convolutions with size-1 axes in front (a view, no copy),
so every dimension goes through the same kernels.
"""
from __future__ import annotations

import numpy as np

from ... import geometry
from ..._errors import check_kwargs, shape_str
from ...autograd import Function
from ... import kernels as _kernels
from ...tensor import Tensor
from . import padding_checks as _padding_checks
from .conv_int import int_conv, int_conv_transpose

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "pad",
]

# How a learner would name the axes of each input, for error messages.
_LAYOUTS = {
    1: ("[batch, channels, length]", "[channels, length]"),
    2: ("[batch, channels, height, width]", "[channels, height, width]"),
    3: ("[batch, channels, depth, height, width]", "[channels, depth, height, width]"),
}


# --------------------------------------------------------------------------------------
# Argument checks shared by conv and conv_transpose
# --------------------------------------------------------------------------------------
def _as_tensor_arg(value, what, who):
    if not isinstance(value, Tensor):
        raise TypeError(f"{who}() expects {what} to be a Tensor, but got "
                        f"{type(value).__name__}; wrap arrays with teachnn.tensor(...)")
    return value


def _check_input_dims(x, n, who, layer):
    """Accept (N, C, *spatial) or the unbatched (C, *spatial); return (is_batched)."""
    batched, unbatched = _LAYOUTS[n]
    if x.ndim == n + 2:
        return True
    if x.ndim == n + 1:
        return False
    msg = (f"{layer} expects input of shape {batched} ({n + 2}-d) or {unbatched} "
           f"({n + 1}-d, unbatched) but got a {x.ndim}-d tensor of shape {shape_str(x.shape)}")
    if x.ndim == n + 3 and n < 3:
        msg += f"; a {x.ndim}-d input fits a {n + 1}-d layer (e.g. {layer[:-2]}{n + 1}d)"
    elif x.ndim > n + 2 and n > 1:
        msg += f"; a {x.ndim}-d input has too many axes for {layer}"
    elif x.ndim < n + 1:
        msg += (f"; each sample needs a channel axis and {n} spatial "
                f"ax{'is' if n == 1 else 'es'}: add a channel axis with x.unsqueeze(0)")
    raise RuntimeError(msg)


def _native(array):
    """The array in the machine's byte order (Numba compiles native-order arrays only)."""
    return array if array.dtype.isnative else array.astype(array.dtype.newbyteorder("="))


def _kernel_array(t):
    """A Tensor's array as the kernels take it: contiguous, native byte order, and float16 as
    float32 (the kernels are compiled for float32/float64; PyTorch's CPU convolution also
    accumulates half precision in float and rounds the result)."""
    dtype = np.float32 if t._data.dtype == np.float16 else None
    return np.ascontiguousarray(_native(t._data), dtype=dtype)


def _native_dtype(t):
    return t._data.dtype.newbyteorder("=")


def _check_float_pair(x, weight, who, n):
    """Input and weight must have the same dtype: float32 or float64, or an integer dtype
    (PyTorch convolves those too; which ones, _check_integer_conv decides later)."""
    if x._data.dtype.kind in "iub":
        return       # PyTorch picks the integer loop first, then compares (see below)
    if x.ndim == n + 2 and x.shape[0] == 0:
        return       # PyTorch returns an empty batch without comparing the dtypes
    for name, t in (("input", x), ("weight", weight)):
        if t._data.dtype.kind != "f" or t._data.dtype.itemsize not in (2, 4, 8):
            raise RuntimeError(
                f"{who}() needs a floating-point {name} (float16, float32 or float64), but got "
                f"{name} of dtype {t._data.dtype}. Convert it with {name}.float() (images "
                "stored as integers should also be scaled, e.g. x.float() / 255)")
    if _native_dtype(x) != _native_dtype(weight):
        raise RuntimeError(
            f"{who}(): input is {x._data.dtype} but weight is {weight._data.dtype}; they must "
            f"match. Use input.to(weight.dtype) or convert the layer with .double()/.float()")


def _integer_conv(who, loop, input, weight, bias, batched, out_channels, out_spatial, *args):
    """Run an integer convolution ``loop`` (conv_int.py; no gradient) on a batched or
    unbatched input: ``args`` are the loop's geometry after x, weight and bias."""
    x = input._data if batched else input._data[None]
    out = _allocating(who, (x.shape[0], out_channels) + out_spatial, loop, _native(x),
                      _native(weight._data), None if bias is None else _native(bias._data),
                      *args)
    return Tensor(out if batched else out[0])


def _check_integer_conv(x, weight, bias, who, dilation, transposed, out_shape):
    """PyTorch's integer convolution loops (picked by the input's dtype after every shape
    check): int8 ... int64 and uint8 for an ordinary convolution, int64 only with dilation
    or transposed; bool never. Only then must the weight have the same dtype. Returns True
    for an integer input that runs (through conv_int.py)."""
    dtype = _native_dtype(x)
    if dtype.kind == "f":
        return False
    if dtype == np.int64 or (dtype.kind in "iu" and not transposed and
                             all(d == 1 for d in dilation)):
        # (an ordinary convolution's bias was compared earlier, or is added in the input's
        # dtype; a transposed one's cannot be added to an integer result unless it matches)
        for name, t in (("weight", weight), ("bias", bias if transposed else None)):
            if t is not None and _native_dtype(t) != dtype:
                raise RuntimeError(
                    f"{who}(): input is {dtype} but {name} is {t._data.dtype}; they must "
                    f"match. Use {name}.to(input.dtype), or convert the input with "
                    "x.float() (images stored as integers should also be scaled, e.g. "
                    "x.float() / 255)")
        return True
    # PyTorch allocates the output before it looks for a loop: a size no memory holds
    # fails first (RuntimeError, see _allocating)
    _allocating(who, out_shape, np.empty, out_shape, dtype)
    takes = "int64" if dtype.kind in "iu" else "int8 ... int64 and uint8"
    reason = ("a transposed convolution" if transposed else
              "a dilated convolution" if dtype.kind in "iu" else "a convolution")
    raise NotImplementedError(
        f'"{who}" not implemented for {dtype} tensors: {reason} takes float32, float64 or '
        f"{takes} input (as in PyTorch); convert input and weight with .float()")


def _int_tuple(value, n, name, who, minimum):
    try:
        values = geometry.ntuple(value, n, name)
    except ValueError as err:
        raise RuntimeError(f"{who}(): {err}") from None
    if any(v < minimum for v in values):
        kind = "non-positive" if minimum == 1 else "negative"
        raise RuntimeError(f"{who}(): {kind} {name} is not supported, but got {name}="
                           f"{values}; every entry must be >= {minimum}")
    return values


def _check_arg_types(n, who, groups, **tuples):
    """PyTorch parses every argument's type before it looks at any shape: a float stride
    is a TypeError even when the input has the wrong shape too, so check the types first."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{who}(): groups must be an int, but got {type(groups).__name__} "
                        f"({groups!r})")
    for name, value in tuples.items():
        if name == "padding" and isinstance(value, str) and who.startswith("conv") and \
                "transpose" not in who:
            continue                              # 'same'/'valid': checked later
        try:
            geometry.ntuple(value, n, name)
        except TypeError as err:
            raise TypeError(f"{who}(): {err}; write it as an int or a tuple of {n} ints") \
                from None
        except ValueError:                        # a wrong length: RuntimeError later,
            if any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                   for v in value):               # unless an entry is no int at all
                raise TypeError(f"{who}(): {name} must be a tuple of ints, but got "
                                f"{tuple(value)!r}; write it as an int or a tuple of {n} "
                                "ints") from None


def _check_groups(groups, who):
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{who}(): groups must be an int, but got {type(groups).__name__}")
    if groups < 1:
        raise RuntimeError(f"{who}(): non-positive groups is not supported, but got "
                           f"groups={groups}; use groups=1 for an ordinary convolution")
    return int(groups)


def _check_bias(bias, out_channels, weight, x, who, compare_dtype=True):
    if bias is None:
        return None
    _as_tensor_arg(bias, "bias", who)
    if bias.ndim != 1 or bias.shape[0] != out_channels:
        raise RuntimeError(
            f"Given weight of size {shape_str(weight.shape)}, expected bias to be 1-dimensional "
            f"with {out_channels} elements (one per output channel), but got bias of size "
            f"{shape_str(bias.shape)} instead")
    if compare_dtype and _native_dtype(bias) != _native_dtype(x):
        raise RuntimeError(f"{who}(): bias is {bias._data.dtype} but input is {x._data.dtype}; "
                           "they must match")
    return bias


def _check_not_empty(x_shape, weight, groups, who, empty_channels=False):
    """An empty batch is fine (the result is empty too); an empty channel, spatial,
    kernel or output-channel axis is refused (``empty_channels``: except an input with no
    channels at all and a weight that expects none, which PyTorch maps to an empty result)."""
    if weight.shape[0] == 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least 1 at "
                           f"dimension 0, but got weight of size {shape_str(weight.shape)} "
                           "instead")
    if x_shape[0] == 0 and any(k < 1 for k in weight.shape[2:]):
        # PyTorch's type here (an empty batch and an empty kernel reach an internal select)
        raise IndexError(f"{who}(): the weight {shape_str(weight.shape)} has an empty kernel "
                         "axis; a convolution needs at least one kernel cell per axis (and "
                         f"the batch of the input {shape_str(x_shape)} is empty too)")
    no_channels = empty_channels and x_shape[1] == 0 and weight.shape[1] == 0
    if any(k < 1 for k in weight.shape[2:]) or (
            (weight.shape[1] == 0 or x_shape[1] == 0) and not no_channels):
        raise RuntimeError(f"{who}(): the weight {shape_str(weight.shape)} or the input "
                           f"{shape_str(x_shape)} has no channels or an empty kernel; a "
                           "convolution needs at least one channel and one kernel cell")
    if any(s < 1 for s in x_shape[2:]) and x_shape[0] != 0 and x_shape[1] != 0:
        raise RuntimeError(f"Only zero batch or zero channel inputs are supported, but got "
                           f"input shape: {shape_str(x_shape)}; every spatial axis needs at "
                           "least one cell")


def _allocating(who, shape, fn, *args):
    """Run ``fn(*args)``; a failed allocation becomes PyTorch's RuntimeError with the size
    that was asked for (NumPy raises MemoryError or ValueError "array is too big")."""
    try:
        return fn(*args)
    except (MemoryError, ValueError, OverflowError) as err:
        if isinstance(err, ValueError) and "too big" not in str(err):
            raise
        raise RuntimeError(
            f"{who}(): cannot allocate a result of shape {shape_str(shape)} (too large for "
            "memory, or for an array's size limit); check the padding, stride and "
            "output_padding you gave: they set the output size") from None


class _EmptyConvolution(Function):
    """An empty output without running a kernel, as PyTorch does for an empty input (it
    skips its kernels' own checks then: a zero dilation, a large output_padding). The same
    node as a real convolution; every gradient is zero (no output cell used any input)."""

    _backward_name = "ConvolutionBackward0"
    _optional_tensor_args = (2,)

    @staticmethod
    def forward(ctx, x, weight, bias, out_shape):
        ctx.arrays = (x._data, weight._data, None if bias is None else bias._data)
        # PyTorch's dtype for an empty batch whose input and weight differ (it compares
        # them only when it computes something): the input's, if that is a float
        dtype = _native_dtype(x) if x._data.dtype.kind == "f" else _native_dtype(weight)
        return Tensor(np.zeros(out_shape, dtype=dtype))

    @staticmethod
    def backward(ctx, grad_out):
        grads = tuple(None if a is None else np.zeros(a.shape, dtype=a.dtype.newbyteorder("="))
                      for a in ctx.arrays)
        return grads + (None,)


def _empty_result(input, weight, bias, out_shape, batched):
    """The empty output of an empty input (see _EmptyConvolution); out_shape is batched."""
    if batched:
        return _EmptyConvolution.apply(input, weight, bias, out_shape)
    return _EmptyConvolution.apply(input.unsqueeze(0), weight, bias, out_shape).squeeze(0)


def _to3(values, fill):
    """Pad a per-axis tuple for n spatial axes in front to 3 axes (depth, height, width)."""
    return (fill,) * (3 - len(values)) + tuple(values)


def _shape5(shape, n):
    """(N, C, *spatial_n) -> (N, C, *spatial_3): size-1 axes in front of the spatial ones."""
    return tuple(shape[:2]) + (1,) * (3 - n) + tuple(shape[2:])


# --------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------
class _Convolution(Function):
    """out = conv(x, weight) + bias on (N, C, *spatial) with n = 1, 2 or 3 spatial axes."""

    _backward_name = "ConvolutionBackward0"
    _fresh_grads = True      # the kernels return new arrays (see Function._fresh_grads)
    _optional_tensor_args = (2,)      # bias: (None, 0) in next_functions when absent

    @staticmethod
    def forward(ctx, x, weight, bias, stride, pad_lr, dilation, groups):
        n = weight.ndim - 2
        # (N, C, D, H, W), native byte order (Numba compiles nothing else)
        x5 = _kernel_array(x).reshape(_shape5(x._data.shape, n))
        w5 = _kernel_array(weight).reshape(_shape5(weight._data.shape, n))
        # (a bias of another float dtype is added in the input's, as PyTorch does where it
        # lets one through; its gradient goes back in the bias' own dtype)
        b = None if bias is None else np.ascontiguousarray(bias._data, dtype=x5.dtype)
        ctx.kernels = _kernels.active             # the tier now; backward runs on it too
        out5 = ctx.kernels.conv.conv_forward(x5, w5, b, stride, pad_lr, dilation, groups)
        ctx.save_for_backward(x, weight)
        ctx.geometry = (stride, pad_lr, dilation, groups)
        ctx.has_bias = bias is not None
        # (N, O, oD, oH, oW) -> (N, O, *spatial_n)
        out = out5.reshape(out5.shape[:2] + out5.shape[5 - n:])
        return Tensor(out.astype(x._data.dtype, copy=False))    # float16 back from float32

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        stride, pad_lr, dilation, groups = ctx.geometry
        n = weight.ndim - 2
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        x5 = _kernel_array(x).reshape(_shape5(x._data.shape, n))
        w5 = _kernel_array(weight).reshape(_shape5(weight._data.shape, n))
        g5 = np.ascontiguousarray(grad_out._data, dtype=x5.dtype).reshape(
            _shape5(grad_out._data.shape, n))
        gx, gw, gb = ctx.kernels.conv.conv_backward(g5, x5, w5, stride, pad_lr, dilation,
                                                    groups, need_x=need_x, need_w=need_w,
                                                    need_b=need_b and ctx.has_bias)
        if x._data.dtype == np.float16:            # computed in float32, returned in half
            gx, gw, gb = (None if g is None else g.astype(np.float16) for g in (gx, gw, gb))
        gx = None if gx is None else gx.reshape(x._data.shape)
        gw = None if gw is None else gw.reshape(weight._data.shape)
        return gx, gw, gb, None, None, None, None


def _plain_key(value):
    """``value`` if it is an int, a str or a tuple of ints, else None: only these go into a
    cache key, since ``True == 1`` and ``2.0 == 2`` would otherwise share a slot with a valid
    argument and skip the TypeError they get."""
    if type(value) is int or type(value) is str:
        return value
    if type(value) is tuple and all(type(v) is int for v in value):
        return value
    return None


# Validated convolution calls: a layer calls with the same shapes, dtypes and arguments
# every step, so _convolution checks a combination once and then looks it up.
_CHECKED_CALLS = {}
_CHECKED_CALLS_MAX = 256


def _checked_call_key(n, input, weight, bias, stride, padding, dilation, groups, who,
                      compare_bias_dtype):
    """A hashable key for everything _convolution's checks depend on, or None when an
    argument has a type the checks must see (the slow path then validates it)."""
    if type(groups) is not int or not (isinstance(input, Tensor) and isinstance(weight, Tensor)
                                       and (bias is None or isinstance(bias, Tensor))):
        return None
    args = (_plain_key(stride), _plain_key(padding), _plain_key(dilation))
    if None in args:
        return None
    b = None if bias is None else (bias._data.shape, bias._data.dtype)
    return (n, who, input._data.shape, input._data.dtype, weight._data.shape,
            weight._data.dtype, b, args, groups, compare_bias_dtype)


def _convolution(n, input, weight, bias, stride, padding, dilation, groups, who, layer,
                 compare_bias_dtype=None):
    """Validate every argument of an n-d convolution, then run it (shared by F and nn)."""
    key = _checked_call_key(n, input, weight, bias, stride, padding, dilation, groups, who,
                            compare_bias_dtype)
    checked = _CHECKED_CALLS.get(key) if key is not None else None
    if checked is not None:
        batched, stride3, pad3, dilation3, groups, out_shape = checked
        x = input if batched else input.unsqueeze(0)
        out = _allocating(who, out_shape, _Convolution.apply, x, weight, bias, stride3, pad3,
                          dilation3, groups)
        return out if batched else out.squeeze(0)
    _as_tensor_arg(input, "input", who)
    _as_tensor_arg(weight, "weight", who)
    _check_arg_types(n, who, groups, stride=stride, padding=padding, dilation=dilation)
    batched = _check_input_dims(input, n, who, layer)
    if weight.ndim != n + 2:
        raise RuntimeError(
            f"{who}() expects a {n + 2}-d weight [out_channels, in_channels/groups, "
            f"{'kernel' if n == 1 else 'kernel sizes...'}], but got weight of shape "
            f"{shape_str(weight.shape)}")
    _check_float_pair(input, weight, who, n)
    groups = _check_groups(groups, who)
    stride = _int_tuple(stride, n, "stride", who, 1)
    empty_batch = batched and input.shape[0] == 0     # PyTorch skips the kernel's checks
    dilation = _int_tuple(dilation, n, "dilation", who, 0 if empty_batch else 1)
    kernel = tuple(weight.shape[2:])
    try:
        pad_lr = geometry.resolve_conv_padding(padding, kernel, dilation, stride, n)
    except (ValueError, TypeError) as err:
        if isinstance(padding, str) or isinstance(err, ValueError):
            raise RuntimeError(f"{who}(): {err}") from None
        raise TypeError(f"{who}(): {err}") from None

    x_shape = tuple(input.shape) if batched else (1,) + tuple(input.shape)
    out_channels, in_per_group = weight.shape[:2]
    C = x_shape[1]
    if out_channels % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0 "
            f"(out_channels), but got weight of size {shape_str(weight.shape)}; out_channels "
            "must be a multiple of groups")
    if in_per_group * groups != C:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {shape_str(weight.shape)}, expected "
            f"input{shape_str(x_shape)} to have {in_per_group * groups} channels, but got {C} "
            f"channels instead. The channel axis is axis {1 if batched else 0} of the input; "
            f"make in_channels of the layer equal to it (or check the order of the axes)")
    # PyTorch compares the bias dtype here only for numeric padding ('same'/'valid' take
    # another path, which adds the bias in the input's dtype)
    if compare_bias_dtype is None:
        compare_bias_dtype = not isinstance(padding, str)
    _check_bias(bias, out_channels, weight, input, who, compare_dtype=compare_bias_dtype)
    _check_not_empty(x_shape, weight, groups, who, empty_channels=True)

    spatial = x_shape[2:]
    out_spatial = tuple(geometry.conv_output_size(L, k, s, pl, pr, d)
                        for L, k, s, (pl, pr), d in zip(spatial, kernel, stride, pad_lr, dilation))
    if any(o < 1 for o in out_spatial):
        padded = tuple(L + pl + pr for L, (pl, pr) in zip(spatial, pad_lr))
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, span))}). Kernel size can't be greater than "
            f"actual input size. The (dilated) kernel must fit inside the padded input: use a "
            f"smaller kernel_size or dilation, more padding, or a larger input")

    if any(pl != pr for pl, pr in pad_lr):
        # padding='same' with an odd total: PyTorch pads the extra cell on the right with
        # F.pad first (its graph shows that node) and convolves with symmetric padding
        extra = tuple(v for pl, pr in reversed(pad_lr) for v in (0, pr - pl))
        padded_shape = tuple(input.shape[:-n]) + tuple(
            L + pr - pl for L, (pl, pr) in zip(input.shape[-n:], pad_lr))
        padded = _allocating(who, padded_shape, pad, input, extra)
        return _convolution(n, padded, weight, bias, stride,
                            tuple(pl for pl, _ in pad_lr), dilation, groups, who, layer,
                            compare_bias_dtype=False)
    # A stride longer than the padded input gives the same single window as a stride of
    # (padded - span + 1): use that, so no kernel sizes a buffer by a huge stride.
    stride = tuple(min(s, L + pl + pr - (d * (k - 1) + 1) + 1) for s, L, (pl, pr), k, d
                   in zip(stride, spatial, pad_lr, kernel, dilation))
    if C == 0 or x_shape[0] == 0:
        # PyTorch returns an empty (N, 0, *out) result for an input without channels
        out_shape = (x_shape[0], 0 if C == 0 else out_channels) + out_spatial
        return _allocating(who, out_shape, _empty_result, input, weight, bias, out_shape,
                           batched)
    if _check_integer_conv(input, weight, bias, who, dilation, False, (x_shape[0], out_channels) +
                           out_spatial):    # no gradient
        return _integer_conv(who, int_conv, input, weight, bias, batched, out_channels,
                             out_spatial, stride, pad_lr, dilation, groups)
    stride3 = _to3(stride, 1)
    dilation3 = _to3(dilation, 1)
    pad3 = _to3(pad_lr, (0, 0))
    out_shape = (x_shape[0], out_channels) + out_spatial
    if key is not None:
        if len(_CHECKED_CALLS) >= _CHECKED_CALLS_MAX:
            _CHECKED_CALLS.clear()
        _CHECKED_CALLS[key] = (batched, stride3, pad3, dilation3, groups, out_shape)
    if batched:
        return _allocating(who, out_shape, _Convolution.apply, input, weight, bias, stride3,
                           pad3, dilation3, groups)
    out = _allocating(who, out_shape, _Convolution.apply, input.unsqueeze(0), weight, bias,
                      stride3, pad3, dilation3, groups)
    return out.squeeze(0)


@check_kwargs
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation), as ``torch.nn.functional.conv1d``.

    input (N, C_in, L) or (C_in, L); weight (C_out, C_in/groups, k); bias (C_out,) or None
    -> (N, C_out, L_out) with L_out = floor((L + 2p - d(k-1) - 1)/s) + 1.
    ``padding`` may be an int, a 1-tuple, 'valid' or 'same' (stride 1 only).

    The loop this computes: teachnn/kernels/reference/conv.py, ``conv_forward``
    (``_conv_forward_loop``); its backward: ``conv_backward`` (``_conv_input_grad_loop``,
    ``_conv_weight_grad_loop``). The default fast kernels give the same numbers; run the
    loops themselves with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _convolution(1, input, weight, bias, stride, padding, dilation, groups,
                        "conv1d", "Conv1d")


@check_kwargs
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation), as ``torch.nn.functional.conv2d``.

    input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in/groups, kh, kw)
    -> (N, C_out, H_out, W_out), each axis by floor((L + 2p - d(k-1) - 1)/s) + 1:

        out[n, o, i, j] = bias[o] + sum_{c, a, b} weight[o, c, a, b]
                          * x_padded[n, g(o)*C_in/groups + c, i*s_h + a*d_h, j*s_w + b*d_w]

    The loop this computes: teachnn/kernels/reference/conv.py, ``conv_forward``
    (``_conv_forward_loop``); its backward: ``conv_backward`` (``_conv_input_grad_loop``,
    ``_conv_weight_grad_loop``). The default fast kernels give the same numbers; run the
    loops themselves with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _convolution(2, input, weight, bias, stride, padding, dilation, groups,
                        "conv2d", "Conv2d")


@check_kwargs
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution, as ``torch.nn.functional.conv3d``.

    input (N, C_in, D, H, W) or (C_in, D, H, W); weight (C_out, C_in/groups, kd, kh, kw)
    -> (N, C_out, D_out, H_out, W_out).

    The loop this computes: teachnn/kernels/reference/conv.py, ``conv_forward``
    (``_conv_forward_loop``); its backward: ``conv_backward`` (``_conv_input_grad_loop``,
    ``_conv_weight_grad_loop``). The default fast kernels give the same numbers; run the
    loops themselves with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _convolution(3, input, weight, bias, stride, padding, dilation, groups,
                        "conv3d", "Conv3d")


# --------------------------------------------------------------------------------------
# Transposed convolution
# --------------------------------------------------------------------------------------
class _ConvolutionTranspose(Function):
    """out = conv_transpose(x, weight) + bias: the adjoint of _Convolution's input map."""

    _backward_name = "ConvolutionBackward0"
    _fresh_grads = True      # the kernels return new arrays (see Function._fresh_grads)
    _optional_tensor_args = (2,)      # bias: (None, 0) in next_functions when absent

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, out_spatial):
        n = weight.ndim - 2
        x5 = _kernel_array(x).reshape(_shape5(x._data.shape, n))
        w5 = _kernel_array(weight).reshape(_shape5(weight._data.shape, n))
        # (a bias of another float dtype is added in the input's, as PyTorch does where it
        # lets one through; its gradient goes back in the bias' own dtype)
        b = None if bias is None else np.ascontiguousarray(bias._data, dtype=x5.dtype)
        ctx.kernels = _kernels.active             # the tier now; backward runs on it too
        out5 = ctx.kernels.conv.conv_transpose_forward(x5, w5, b, stride, padding, dilation,
                                                       groups, out_spatial)
        ctx.save_for_backward(x, weight)
        ctx.geometry = (stride, padding, dilation, groups)
        ctx.has_bias = bias is not None
        out = out5.reshape(out5.shape[:2] + out5.shape[5 - n:])
        return Tensor(out.astype(x._data.dtype, copy=False))    # float16 back from float32

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        n = weight.ndim - 2
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        x5 = _kernel_array(x).reshape(_shape5(x._data.shape, n))
        w5 = _kernel_array(weight).reshape(_shape5(weight._data.shape, n))
        g5 = np.ascontiguousarray(grad_out._data, dtype=x5.dtype).reshape(
            _shape5(grad_out._data.shape, n))
        gx, gw, gb = ctx.kernels.conv.conv_transpose_backward(
            g5, x5, w5, stride, padding, dilation, groups, need_x=need_x, need_w=need_w,
            need_b=need_b and ctx.has_bias)
        if x._data.dtype == np.float16:            # computed in float32, returned in half
            gx, gw, gb = (None if g is None else g.astype(np.float16) for g in (gx, gw, gb))
        gx = None if gx is None else gx.reshape(x._data.shape)
        gw = None if gw is None else gw.reshape(weight._data.shape)
        return gx, gw, gb, None, None, None, None, None


def _conv_transpose(n, input, weight, bias, stride, padding, output_padding, groups, dilation,
                    who, layer):
    """Validate every argument of an n-d transposed convolution, then run it."""
    _as_tensor_arg(input, "input", who)
    _as_tensor_arg(weight, "weight", who)
    if isinstance(padding, str):
        raise TypeError(f"{who}(): padding must be an int or a tuple of {n} ints, not the "
                        f"string {padding!r} ('same'/'valid' exist only for ordinary "
                        "convolutions); the output size is (L-1)*s - 2p + d(k-1) + "
                        "output_padding + 1")
    _check_arg_types(n, who, groups, stride=stride, padding=padding, dilation=dilation,
                     output_padding=output_padding)
    batched = _check_input_dims(input, n, who, layer)
    if weight.ndim != n + 2:
        raise RuntimeError(
            f"{who}() expects a {n + 2}-d weight [in_channels, out_channels/groups, kernel "
            f"sizes...], but got weight of shape {shape_str(weight.shape)}")
    _check_float_pair(input, weight, who, n)
    groups = _check_groups(groups, who)
    if isinstance(padding, str):
        raise TypeError(f"{who}(): padding must be an int or a tuple of {n} ints, not the "
                        f"string {padding!r} ('same'/'valid' exist only for ordinary "
                        "convolutions); the output size is (L-1)*s - 2p + d(k-1) + "
                        "output_padding + 1")
    stride = _int_tuple(stride, n, "stride", who, 1)
    empty_batch = batched and input.shape[0] == 0     # PyTorch skips the kernel's checks
    dilation = _int_tuple(dilation, n, "dilation", who, 0)
    if not empty_batch and any(d < 1 and k != 1 for d, k in zip(dilation, weight.shape[2:])):
        raise RuntimeError(f"{who}(): non-positive dilation is not supported, but got "
                           f"dilation={dilation}; every entry must be >= 1")
    # (a dilation of 0 spreads nothing along an axis with a one-tap kernel: PyTorch takes it)
    dilation = tuple(max(d, 1) if k == 1 and not empty_batch else d
                     for d, k in zip(dilation, weight.shape[2:]))
    padding = _int_tuple(padding, n, "padding", who, 0)
    output_padding = _int_tuple(output_padding, n, "output_padding", who, 0)
    if not empty_batch and any(d > 2 ** 31 - 1 for d in dilation):
        # PyTorch's transposed kernels keep dilation in a 32-bit int (2**40 becomes 0)
        raise RuntimeError(f"{who}(): dilation={dilation} does not fit in a 32-bit int, which "
                           "is what PyTorch's transposed convolution keeps it in; a dilation "
                           "larger than the output is never useful")
    if not empty_batch and any(op >= s and op >= d
                               for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            f"output padding must be smaller than either stride or dilation, but got "
            f"output_padding={output_padding} with stride={stride} and dilation={dilation}. "
            "output_padding only chooses among the output sizes that map back to the same "
            "input size, so it must be < stride (or < dilation)")
    x_shape = tuple(input.shape) if batched else (1,) + tuple(input.shape)
    in_channels, out_per_group = weight.shape[:2]
    C = x_shape[1]
    if C != in_channels:
        raise RuntimeError(
            f"Given transposed=1, weight of size {shape_str(weight.shape)}, expected "
            f"input{shape_str(x_shape)} to have {in_channels} channels, but got {C} channels "
            "instead. A transposed convolution's weight is [in_channels, "
            "out_channels/groups, kernel...]: make in_channels equal to the input's channels")
    if in_channels % groups:
        raise RuntimeError(f"{who}(): in_channels={in_channels} must be divisible by "
                           f"groups={groups}")
    out_channels = out_per_group * groups
    # PyTorch adds a transposed convolution's bias in the input's dtype without comparing
    _check_bias(bias, out_channels, weight, input, who, compare_dtype=False)
    kernel = tuple(weight.shape[2:])
    _check_not_empty(x_shape, weight, groups, who)
    out_spatial = tuple(geometry.conv_transpose_output_size(L, k, s, p, d, op)
                        for L, k, s, p, d, op in zip(x_shape[2:], kernel, stride, padding,
                                                     dilation, output_padding))
    # (an empty batch skips PyTorch's size check: only a negative size fails then)
    if any(o < (0 if empty_batch else 1) for o in out_spatial):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, x_shape[2:]))}). Calculated "
            f"output size per channel: ({' x '.join(map(str, out_spatial))}). Output size is "
            "too small: (L-1)*s - 2p + d(k-1) + output_padding + 1 must be >= 1; use less "
            "padding")
    if empty_batch:
        return _allocating(who, (0, out_channels) + out_spatial, _empty_result, input,
                           weight, bias, (0, out_channels) + out_spatial, True)
    if _check_integer_conv(input, weight, bias, who, dilation, True, (x_shape[0], out_channels) +
                           out_spatial):     # no gradient
        return _integer_conv(who, int_conv_transpose, input, weight, bias, batched,
                             out_channels, out_spatial, stride, padding, dilation, groups,
                             out_spatial)
    args = (weight, bias, _to3(stride, 1), _to3(padding, 0), _to3(dilation, 1), groups,
            _to3(out_spatial, 1))
    out_shape = (x_shape[0], out_channels) + out_spatial
    if batched:
        return _allocating(who, out_shape, _ConvolutionTranspose.apply, input, *args)
    return _allocating(who, out_shape, _ConvolutionTranspose.apply, input.unsqueeze(0),
                       *args).squeeze(0)


@check_kwargs
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-d transposed convolution, as ``torch.nn.functional.conv_transpose1d``.

    input (N, C_in, L) or (C_in, L); weight (C_in, C_out/groups, k)
    -> (N, C_out, L_out), L_out = (L-1)*s - 2p + d(k-1) + output_padding + 1.
    Each input cell i adds x[i]*weight[:, :, j] at output position i*s + j*d - p.

    The loop this computes: teachnn/kernels/reference/conv.py, ``conv_transpose_forward``
    (the convolution's input-gradient loop with the roles swapped); its backward:
    ``conv_transpose_backward``. Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation, "conv_transpose1d", "ConvTranspose1d")


@check_kwargs
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-d transposed convolution ("the reverse direction, not the inverse").

    input (N, C_in, H, W) or (C_in, H, W); weight (C_in, C_out/groups, kh, kw)
    -> (N, C_out, H_out, W_out), each axis (L-1)*s - 2p + d(k-1) + output_padding + 1.

    The loop this computes: teachnn/kernels/reference/conv.py, ``conv_transpose_forward``
    (the convolution's input-gradient loop with the roles swapped); its backward:
    ``conv_transpose_backward``. Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation, "conv_transpose2d", "ConvTranspose2d")


@check_kwargs
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """3-d transposed convolution. input (N, C_in, D, H, W) or (C_in, D, H, W);
    weight (C_in, C_out/groups, kd, kh, kw) -> (N, C_out, D_out, H_out, W_out).

    The loop this computes: teachnn/kernels/reference/conv.py, ``conv_transpose_forward``
    (the convolution's input-gradient loop with the roles swapped); its backward:
    ``conv_transpose_backward``. Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation, "conv_transpose3d", "ConvTranspose3d")


# --------------------------------------------------------------------------------------
# Padding
# --------------------------------------------------------------------------------------
_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_index(size, left, right, mode):
    """Source index along one axis for each padded position (-1 = the constant value).

    Output position t reads input index i = t - left, mapped back into [0, size):
      reflect    i < 0 -> -i,  i >= size -> 2(size-1) - i    (mirror, edge not repeated)
      replicate  clip to [0, size-1]                          (edge repeated)
      circular   wrap around (the part left after any cropping, as PyTorch does)
      constant   -1 outside [0, size)
    Negative ``left``/``right`` crop instead of padding.
    """
    i = np.arange(-left, size + right)
    if mode == "constant":
        return np.where((i >= 0) & (i < size), i, -1)
    if mode == "reflect":
        i = np.abs(i)                                   # left side
        return np.where(i >= size, 2 * (size - 1) - i, i)
    if mode == "replicate":
        return np.clip(i, 0, size - 1)
    # circular: keep [crop_left, size - crop_right), then wrap around that kept part
    crop_left, crop_right = max(-left, 0), max(-right, 0)
    kept = size - crop_left - crop_right
    return crop_left + np.mod(i - crop_left, kept)


class _Pad(Function):
    """Padding as a gather along each padded axis; backward scatter-adds (np.add.at)."""

    _backward_name = "PadBackward"     # torch names these per mode; one node here

    @staticmethod
    def forward(ctx, x, index_maps, value):
        # index_maps: tuple of (axis, index array) for each padded axis
        out = _native(x._data)
        for axis, idx in index_maps:
            inside = idx >= 0
            if out.shape[axis] == 0:        # nothing to gather from: all padding cells
                shape = list(out.shape)
                shape[axis] = len(idx)
                out = np.full(shape, value, dtype=out.dtype)
                continue
            out = np.take(out, np.where(inside, idx, 0), axis=axis)    # gather
            if not inside.all():                                        # constant cells
                where = [slice(None)] * out.ndim
                where[axis] = ~inside
                out[tuple(where)] = value
        ctx.index_maps = index_maps
        ctx.in_shape = x.shape
        if not index_maps:
            out = out.copy()                    # a new tensor, never a view of the input
        return Tensor(np.ascontiguousarray(out))

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        shapes = [tuple(ctx.in_shape)]
        for axis, idx in ctx.index_maps[:-1]:          # shape before each axis was padded
            s = list(shapes[-1])
            s[axis] = len(idx)
            shapes.append(tuple(s))
        for (axis, idx), in_shape in zip(reversed(ctx.index_maps), reversed(shapes)):
            inside = idx >= 0
            moved = np.moveaxis(g, axis, 0)                             # (padded, ...)
            acc = np.zeros((in_shape[axis],) + moved.shape[1:], dtype=g.dtype)
            np.add.at(acc, idx[inside], moved[inside])                  # scatter-add
            g = np.moveaxis(acc, 0, axis)
        return np.ascontiguousarray(g), None, None


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad)//2`` axes, as ``torch.nn.functional.pad``.

    ``pad`` lists (left, right) for the LAST axis first: ``(left_W, right_W, top_H,
    bottom_H, ...)``. Modes: 'constant' (fill with ``value``, default 0), 'reflect'
    (mirror without repeating the edge: [1,2,3] -> 3,2,[1,2,3],2,1), 'replicate' (repeat
    the edge: 1,1,[1,2,3],3,3), 'circular' (wrap around: 2,3,[1,2,3],1,2). Negative numbers
    crop. Differentiable: the gradient of every padded cell flows back to its source cell.
    """
    _as_tensor_arg(input, "input", "pad")
    if isinstance(pad, (int, np.integer)) or isinstance(pad, str) or pad is None:
        raise TypeError(f"pad(): pad must be a tuple of ints like (left, right), but got {pad!r}")
    if any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in tuple(pad)):
        raise TypeError(f"pad(): pad must contain ints, but got {tuple(pad)}")
    if value is not None and (isinstance(value, (str, bytes)) or
                              not isinstance(value, (int, float, np.number))):
        raise TypeError(f"pad(): argument 'value' must be a number (the fill of the padded "
                        f"cells), not {type(value).__name__} ({value!r})")
    if mode not in _PAD_MODES:
        raise NotImplementedError(
            f"Unrecognised padding mode {mode}: use one of {', '.join(map(repr, _PAD_MODES))}"
            " ('zeros' is the nn.Conv padding_mode name; here it is mode='constant')")
    if isinstance(pad, (int, np.integer)) or isinstance(pad, str):
        raise TypeError(f"pad(): pad must be a tuple of ints like (left, right), but got {pad!r}")
    pad = tuple(pad)
    if any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in pad):
        raise TypeError(f"pad(): pad must contain ints, but got {pad}")
    if len(pad) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2, but got pad={pad}: give "
                           "(left, right) for the last axis, then (top, bottom) for the one "
                           "before, and so on")
    n_axes = len(pad) // 2
    if n_axes > input.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pad)} and input of dimension {input.ndim}")
    if mode != "constant":
        if value not in (None, 0, 0.0):
            raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
        if n_axes > 3 or input.ndim not in (n_axes + 1, n_axes + 2):
            raise NotImplementedError(
                f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor. "
                f"Non-constant padding pads the last 1, 2 or 3 axes of a batched or "
                f"unbatched input: padding size 2*k needs a {'{'}k+1, k+2{'}'}-d input")
    value = 0.0 if value is None else value
    if mode in ("reflect", "replicate"):
        _padding_checks.check_edge_pad(input, pad, mode)
    elif mode == "circular":
        _padding_checks.check_circular_pad(input, pad)
    maps = []
    for k in range(n_axes):
        axis = input.ndim - 1 - k
        left, right = int(pad[2 * k]), int(pad[2 * k + 1])
        size = input.shape[axis]
        if mode == "constant" and size + left + right < 0:
            raise RuntimeError(
                f"The input size {size}, plus negative padding {left} and {right} resulted "
                f"in a negative output size, which is invalid. Check dimension {axis} of "
                f"your input.")
        if mode == "constant" and size + min(left, 0) + min(right, 0) < 0:
            raise RuntimeError(
                f"narrow(): length must be non-negative: padding ({left}, {right}) crops "
                f"{-min(left, 0) - min(right, 0)} cells from dimension {axis} of size {size}; "
                "negative padding can remove at most the cells the axis has")
        if left == 0 and right == 0:
            continue
        padded_shape = input.shape[:axis] + (size + left + right,) + input.shape[axis + 1:]
        maps.append((axis, _allocating("pad", padded_shape, _pad_index, size, left, right,
                                       mode)))
    if input._data.dtype.kind not in "fc" and mode == "constant" and maps:
        value = np.asarray(value).astype(input._data.dtype)
    out_shape = list(input.shape)
    for axis, idx in maps:
        out_shape[axis] = len(idx)
    return _allocating("pad", tuple(out_shape), _Pad.apply, input, tuple(maps), value)
