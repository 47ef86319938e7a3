"""Pooling, the stateless way: ``F.max_pool2d``, ``F.avg_pool2d``, ``F.adaptive_avg_pool2d``...

Pooling shrinks a feature map by summarising each window with one number: its maximum
(the most characteristic value) or its mean. Everything here follows the same three steps:

1. **validate** the input and the hyper-parameters and explain any mistake;
2. ask ``teachnn.geometry`` (through ``kernels.pool.pool_windows`` / ``adaptive_windows``)
   which input cells every output cell reads, one spatial axis at a time;
3. call a ``Function`` whose ``forward`` runs a Numba kernel and whose ``backward`` runs
   the matching backward kernel, on the tier ``teachnn.kernels`` has selected: the fast
   kernels, or the readable loops of ``teachnn/kernels/reference/pool.py``
   (``teachnn.kernels.use("reference")``).

Shapes: 1-d pooling takes ``(N, C, L)`` or ``(C, L)``, 2-d ``(N, C, H, W)`` or ``(C, H, W)``,
3-d ``(N, C, D, H, W)`` or ``(C, D, H, W)``. The kernels only ever see ``(P, D, H, W)`` with
``P = N*C`` planes; 1-d and 2-d inputs get size-1 axes in front of their spatial axes.

Output size along one axis (PyTorch's formula, ``geometry.pool_output_size``)::

    O = floor((L + 2p - d(k-1) - 1) / s) + 1        (ceil instead of floor with ceil_mode,
                                                     but the last window must start inside
                                                     the input or the left padding)
"""
from __future__ import annotations

import math
import operator

import numpy as np

from ... import geometry
from ..._errors import check_kwargs, shape_str
from ..._dtype import FLOAT_NUMPY_DTYPES
from ...autograd import Function, is_grad_enabled
from ... import kernels as _kernels
from ...tensor import Tensor
from .pooling_int import int_avg_pool, int_max_pool

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
    "lp_pool1d", "lp_pool2d", "lp_pool3d",
]

_AXES = {1: "[length]", 2: "[height, width]", 3: "[depth, height, width]"}
_AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
_FLOATS = FLOAT_NUMPY_DTYPES


# --------------------------------------------------------------------------------------
# Validation helpers: every message says what was expected, what was given, what to do
# --------------------------------------------------------------------------------------
def _check_tensor(input, fname: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}; wrap your data with teachnn.tensor(...)")


def _native(array: np.ndarray) -> np.ndarray:
    """The array in the machine's byte order (Numba compiles native-order arrays only)."""
    return array if array.dtype.isnative else array.astype(array.dtype.newbyteorder("="))


def _check_flag(value, name: str, fname: str) -> bool:
    """A bool argument, strictly: PyTorch refuses ``ceil_mode="False"`` (a non-empty string
    is truthy, so accepting it would silently turn the option on)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fname}(): argument '{name}' must be bool, not "
                        f"{type(value).__name__} ({value!r}); write {name}=True or "
                        f"{name}=False")
    return bool(value)


def _check_input(input, n: int, fname: str, empty_channels: bool = False,
                 channels_first: bool | None = None) -> None:
    """``input`` must be a float Tensor of shape (C, *spatial) or (N, C, *spatial).

    ``empty_channels``: the operation accepts zero channels too (PyTorch's adaptive average
    pooling returns an empty result for them). ``channels_first``: it reads the channel axis
    (dim -3) before the rank is checked, as PyTorch's 2-d average pooling does (default:
    avg_pool2d and lp_pool2d)."""
    _check_tensor(input, fname)
    spatial = _AXES[n][1:-1]
    ndim = input._data.ndim
    if ndim not in (n + 1, n + 2):
        if channels_first is None:
            channels_first = fname in ("avg_pool2d", "lp_pool2d")
        if ndim < n + 1 and channels_first:
            # PyTorch's 2-d average pooling reads the channel axis (dim -3) first
            raise IndexError(
                f"{fname}() expected a 3D (unbatched) or 4D (batch mode) tensor for input: "
                f"[channels, height, width] or [batch, channels, height, width], but got a "
                f"{ndim}-d tensor of shape {shape_str(input.shape)}, which has no dimension "
                "-3 (channels); add the missing axis with x.unsqueeze(0).")
        if ndim < n + 1:
            hint = "add the missing axis with x.unsqueeze(0)"
        elif 1 <= ndim - 2 <= 3:
            other = fname.replace(f"{n}d", f"{ndim - 2}d")
            hint = (f"if it is [batch, channels, {_AXES[ndim - 2][1:-1]}] data, use {other}")
        else:
            hint = "reshape it to one of these shapes"

        raise RuntimeError(
            f"{fname}() expected a {n + 1}D (unbatched) or {n + 2}D (batch mode) tensor for "
            f"input: [channels, {spatial}] or [batch, channels, {spatial}], but got a "
            f"{ndim}-d tensor of shape {shape_str(input.shape)}; {hint}.")
    shape = input._data.shape
    # PyTorch lets adaptive pooling take an empty leading axis of an unbatched input, and
    # adaptive average pooling (1-d, 2-d) an empty channel axis too
    first_nonbatch = 1 if ndim == n + 2 or empty_channels else 0
    if empty_channels == "all" and ndim == n + 2 and 0 not in shape[2:]:
        first_nonbatch = 2
    for axis in range(first_nonbatch, ndim):
        if shape[axis] == 0:
            raise RuntimeError(
                f"{fname}() expected input with non-zero size for non-batch dimensions, but "
                f"input has shape {shape_str(shape)} with dimension {axis} being empty; only "
                "the batch axis may be 0.")


# the integer dtypes PyTorch's max pooling kernels take (bool is not one of them)
_INTEGERS = tuple(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8))
_INT64 = (np.dtype(np.int64),)


def _int_pooling(fname, pool, *args):
    """Run an integer pooling of pooling_int.py; an allocation failure is PyTorch's
    RuntimeError with a message."""
    try:
        return pool(*args)
    except MemoryError:
        raise RuntimeError(f"{fname}: not enough memory to pool this integer tensor (teachnn "
                           "gathers every window's cells at once); pool a smaller input, or "
                           "convert it with x.float()") from None


def _check_dtype(input, fname: str, integers=(), empty_ok=False, out_numel=None) -> None:
    """The input's dtype, checked last (PyTorch's kernels pick their loop by dtype after
    every shape check): float32/float64, or one of ``integers``.

    ``empty_ok``: an empty result needs no loop, so PyTorch returns it for any dtype."""
    dtype = input._data.dtype.newbyteorder("=")
    if dtype in _FLOATS or dtype in integers or (empty_ok and out_numel == 0):
        return
    if dtype == np.float16 and fname != "avg_pool3d":    # PyTorch has half loops but there
        return
    if dtype.kind == "f" and fname != "avg_pool3d":
        raise RuntimeError(
            f"{fname}() is implemented for float32 and float64 tensors in teachnn, but the "
            f"input has dtype {dtype}; convert it with x.float() (or x.double()).")
    takes = ("float32, float64 and " + ", ".join(str(t) for t in integers)) if integers \
        else "float32 and float64"
    raise NotImplementedError(
        f'"{fname}" not implemented for {dtype} tensors: it takes {takes} tensors (as in '
        f"PyTorch); convert the input with x.float() (or x.double()).")


def _tuple_arg(value, n: int, name: str, fname: str) -> tuple[int, ...]:
    """``geometry.ntuple`` with PyTorch's exception type for a wrong length (RuntimeError)."""
    try:
        return geometry.ntuple(value, n, name)
    except ValueError:
        raise RuntimeError(
            f"{fname}: {name} must either be a single int, or a tuple of {n} ints (one per "
            f"spatial axis {_AXES[n]}), but got {value!r}") from None


def _window_args(fname, n, kernel_size, stride, padding, dilation=1):
    """Parse and check kernel_size / stride / padding / dilation; return four n-tuples."""
    kernel, stride, pad, dil = _parse_window(fname, n, kernel_size, stride, padding, dilation)
    return _check_window(fname, kernel, stride, pad, dil)


def _parse_window(fname, n, kernel_size, stride, padding, dilation=1):
    """The argument parsing alone (TypeError/RuntimeError for the form of each value)."""
    # every argument's type first (PyTorch's parser), then a wrong length (its kernel)
    for name, value in (("kernel_size", kernel_size), ("stride", stride),
                        ("padding", padding), ("dilation", dilation)):
        if name == "stride" and value is None:
            continue
        try:
            geometry.ntuple(value, n, name)
        except TypeError as err:
            raise TypeError(f"{fname}(): {err}; write it as an int or a tuple of {n} ints "
                            f"(one per spatial axis {_AXES[n]})") from None
        except ValueError:
            pass
    kernel = _tuple_arg(kernel_size, n, "kernel_size", fname)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = kernel                      # PyTorch's default: windows do not overlap
    else:
        stride = _tuple_arg(stride, n, "stride", fname)
    pad = _tuple_arg(padding, n, "padding", fname)
    dil = _tuple_arg(dilation, n, "dilation", fname)
    return kernel, stride, pad, dil


# Parsed and checked window arguments: a layer passes the same kernel_size, stride, padding
# and dilation every call, so they are parsed once and then looked up.
_PARSED_WINDOWS = {}       # key -> (kernel, stride, pad, dil) as _parse_window returns them
_CHECKED_WINDOWS = set()   # (key, int32) pairs that passed _check_window
_POOL_AXES = {}            # (spatial, window, ceil_mode, kernel tier) -> _pool_axes' result
_CACHE_MAX = 256


def _plain(value):
    """``value`` if it is an int or a tuple of ints, else None: only these go into a cache
    key, since ``True == 1`` and ``2.0 == 2`` would otherwise share a slot with a valid
    argument and skip the TypeError they get."""
    if type(value) is int:
        return value
    if type(value) is tuple and all(type(v) is int for v in value):
        return value
    return None


def _window_key(fname, n, kernel_size, stride, padding, dilation=1):
    """A cache key for the window arguments, or None when one has a type the checks must see."""
    args = (_plain(kernel_size), ... if stride is None else _plain(stride), _plain(padding),
            _plain(dilation))
    return None if None in args else (fname, n) + args


def _parsed_window(key, fname, n, kernel_size, stride, padding, dilation=1):
    """_parse_window, remembered under ``key`` (None: not remembered)."""
    parsed = _PARSED_WINDOWS.get(key) if key is not None else None
    if parsed is None:
        parsed = _parse_window(fname, n, kernel_size, stride, padding, dilation)
        if key is not None:
            if len(_PARSED_WINDOWS) >= _CACHE_MAX:
                _PARSED_WINDOWS.clear()
                _CHECKED_WINDOWS.clear()
            _PARSED_WINDOWS[key] = parsed
    return parsed


def _checked_window(key, fname, parsed, int32=True):
    """_check_window on parsed arguments, skipped when ``key`` already passed it."""
    if key is not None and (key, int32) in _CHECKED_WINDOWS:
        return parsed
    checked = _check_window(fname, *parsed, int32=int32)
    if key is not None:
        _CHECKED_WINDOWS.add((key, int32))
    return checked


def _check_window(fname, kernel, stride, pad, dil, int32=True):
    """The values of the parsed window arguments (RuntimeError, as PyTorch's kernels).

    ``int32``: PyTorch's pooling kernels keep these numbers in 32-bit ints (all but the
    plain ``max_pool1d``), so a larger one is refused there as well."""
    if int32 and any(abs(v) > 2 ** 31 - 1 for v in (*kernel, *stride, *pad, *dil)):
        raise RuntimeError(
            f"{fname}: value cannot be converted to type int without overflow: got "
            f"kernel_size={kernel}, stride={stride}, padding={pad}, dilation={dil}; each "
            "must fit in a 32-bit int (below 2**31), and a window larger than the input "
            "is refused anyway")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{fname}: kernel size should be greater than zero, but got "
                           f"kernel_size={kernel}; a window must cover at least one cell.")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{fname}: stride should not be zero (or negative), but got "
                           f"stride={stride}; the window must move by at least one cell.")
    if any(p < 0 for p in pad):
        raise RuntimeError(f"{fname}: pad must be non-negative, but got padding={pad}.")
    if any(d <= 0 for d in dil):
        raise RuntimeError(f"{fname}: dilation should be greater than zero, but got "
                           f"dilation={dil}; dilation=1 means neighbouring cells.")
    for k, p, d in zip(kernel, pad, dil):
        effective = d * (k - 1) + 1
        if p > effective // 2:
            raise RuntimeError(
                f"{fname}: pad should be at most half of effective kernel size, but got "
                f"pad={p}, kernel_size={k} and dilation={d} (effective kernel size "
                f"d*(k-1)+1 = {effective}, half of it = {effective // 2}). With more padding a "
                f"window could lie entirely in the padding; use padding <= {k // 2}.")
        if p > k // 2:
            raise RuntimeError(
                f"{fname}: pad should be smaller than or equal to half of kernel size, but got "
                f"pad={p} and kernel_size={k} (k // 2 = {k // 2}); use padding <= {k // 2}.")
    return kernel, stride, pad, dil


def _pool_axes(fname, input, n, kernel, stride, pad, dil, ceil_mode):
    """Window tables for the 3 kernel axes (missing leading axes are size-1 dummies)."""
    spatial = input._data.shape[-n:]
    key = (spatial, kernel, stride, pad, dil, ceil_mode, _kernels.active.pool)
    axes = _POOL_AXES.get(key)
    if axes is None:
        axes = _build_pool_axes(fname, input, n, kernel, stride, pad, dil, ceil_mode)
        if len(_POOL_AXES) >= _CACHE_MAX:
            _POOL_AXES.clear()
        _POOL_AXES[key] = axes
    return axes


def _build_pool_axes(fname, input, n, kernel, stride, pad, dil, ceil_mode):
    spatial = input._data.shape[-n:]
    sizes = [geometry.pool_output_size(L, k, s, p, d, ceil_mode)
             for L, k, s, p, d in zip(spatial, kernel, stride, pad, dil)]
    if any(o <= 0 for o in sizes):
        rounding = "ceil" if ceil_mode else "floor"
        lines = []
        for name, L, k, s, p, d, o in zip(_AXIS_NAMES[n], spatial, kernel, stride, pad, dil,
                                          sizes):
            lines.append(f"{name}: {rounding}(({L} + 2*{p} - {d}*({k}-1) - 1) / {s}) + 1 = {o}")
        channels = input._data.shape[-n - 1]
        raise RuntimeError(
            f"{fname}: Given input size: ({'x'.join(str(v) for v in (channels, *spatial))}). "
            f"Calculated output size: ({'x'.join(str(v) for v in (channels, *sizes))}). "
            "Output size is too small. The output size is "
            f"{rounding}((L + 2p - d(k-1) - 1) / s) + 1; here " + "; ".join(lines) + ". "
            "The (dilated) kernel is larger than the padded input: use a smaller "
            "kernel_size, add padding, or pool a larger input.")
    axes = [_kernels.active.pool.pool_windows(L, k, s, p, d, bool(ceil_mode))
            for L, k, s, p, d in zip(spatial, kernel, stride, pad, dil)]
    return _pad_axes(axes)


def _pad_axes(axes):
    dummy = _kernels.active.pool.pool_windows(1, 1, 1, 0, 1, False)     # one cell, one window
    return tuple([dummy] * (3 - len(axes)) + list(axes))


def _to_planes(array: np.ndarray, n: int) -> np.ndarray:
    """(N, C, *spatial) or (C, *spatial) -> (P, D, H, W), contiguous, native byte order,
    P = N*C (or C). float16 becomes float32: the kernels are compiled for float32/float64, and
    PyTorch's CPU loops compute half precision in float too, rounding only the result."""
    spatial = array.shape[-n:]
    planes = math.prod(array.shape[:-n])
    dtype = np.float32 if array.dtype == np.float16 else None
    return np.ascontiguousarray(_native(array), dtype=dtype).reshape(
        (planes,) + (1,) * (3 - n) + tuple(spatial))


def _from_planes(array: np.ndarray, lead_shape, n: int) -> np.ndarray:
    """(P, D, H, W) -> (*lead_shape, *spatial[-n:]): undo ``_to_planes``."""
    return array.reshape(tuple(lead_shape) + array.shape[4 - n:])


# --------------------------------------------------------------------------------------
# Functions (autograd): forward runs a kernel, backward runs its partner
# --------------------------------------------------------------------------------------
class _MaxPool(Function):
    """Max pooling over given windows (regular or adaptive); returns (values, indices).

    backward: each output's gradient goes to the one input cell that won its window.
    """

    _fresh_grads = True      # the kernels return new arrays (see Function._fresh_grads)

    @staticmethod
    def forward(ctx, input, axes, n):
        x = _to_planes(input._data, n)                       # (N, C, *S) -> (P, D, H, W)
        ctx.kernels = _kernels.active                        # backward runs on it too
        out, idx = ctx.kernels.pool.max_pool_forward(x, axes)   # (P, OD, OH, OW) twice
        lead = input._data.shape[:-n]
        ctx.n, ctx.in_shape, ctx.dtype = n, input._data.shape, input._data.dtype
        ctx.spatial = x.shape[1:]
        indices = Tensor(_from_planes(idx, lead, n))
        ctx.mark_non_differentiable(indices)
        # saved as a Tensor: the learner gets the same array, and an in-place change to it
        # must make backward fail (as in PyTorch) instead of routing gradients elsewhere
        ctx.save_for_backward(indices)
        return Tensor(_from_planes(out, lead, n).astype(ctx.dtype, copy=False)), indices

    @staticmethod
    def backward(ctx, grad_out, grad_indices):
        indices, = ctx.saved_tensors
        g = _to_planes(grad_out._data, ctx.n)                # (P, OD, OH, OW)
        idx = np.ascontiguousarray(indices._data).reshape(g.shape)   # (P, OD, OH, OW)
        grad_in = ctx.kernels.pool.max_pool_backward(g, idx, ctx.spatial)  # (P, D, H, W)
        return grad_in.reshape(ctx.in_shape).astype(ctx.dtype, copy=False), None, None


class _AvgPool(Function):
    """Average pooling over given windows (regular or adaptive).

    backward: each output's gradient is shared equally (g / divisor) by its window.
    """

    _fresh_grads = True      # the kernels return new arrays (see Function._fresh_grads)

    @staticmethod
    def forward(ctx, input, axes, n, count_include_pad, divisor_override):
        x = _to_planes(input._data, n)                       # (P, D, H, W)
        ctx.kernels = _kernels.active                        # backward runs on it too
        out = ctx.kernels.pool.avg_pool_forward(x, axes, count_include_pad, divisor_override)
        ctx.n, ctx.in_shape, ctx.axes = n, input._data.shape, axes
        ctx.count_include_pad, ctx.divisor_override = count_include_pad, divisor_override
        ctx.dtype = input._data.dtype
        return Tensor(_from_planes(out, input._data.shape[:-n], n).astype(ctx.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad_out):
        g = _to_planes(grad_out._data, ctx.n)                # (P, OD, OH, OW)
        grad_in = ctx.kernels.pool.avg_pool_backward(g, ctx.axes, ctx.count_include_pad,
                                                     ctx.divisor_override)
        return grad_in.reshape(ctx.in_shape).astype(ctx.dtype, copy=False), None, None, None, None


class _MaxUnpool(Function):
    """Scatter each value to the flat position its index names; zeros elsewhere.

    backward: each input cell reads the gradient of the output cell it was put in.
    """

    _fresh_grads = True      # the kernels return new arrays (see Function._fresh_grads)

    @staticmethod
    def forward(ctx, input, indices, out_spatial, n):
        x = _to_planes(input._data, n)                       # (P, ID, IH, IW)
        idx = _to_planes(indices, n)        # an array: PyTorch's node has no edge for it
        out3 = (1,) * (3 - n) + tuple(out_spatial)
        ctx.kernels = _kernels.active                        # backward runs on it too
        out = ctx.kernels.pool.max_unpool_forward(x, idx, out3)   # (P, D, H, W)
        ctx.n, ctx.in_shape, ctx.indices = n, input._data.shape, idx
        ctx.dtype = input._data.dtype
        return Tensor(_from_planes(out, input._data.shape[:-n], n).astype(ctx.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad_out):
        g = _to_planes(grad_out._data, ctx.n)                # (P, D, H, W)
        grad_in = ctx.kernels.pool.max_unpool_backward(g, ctx.indices)
        return grad_in.reshape(ctx.in_shape).astype(ctx.dtype, copy=False), None, None, None


def _named(base, backward_name):
    """A subclass of ``base`` whose grad_fn prints PyTorch's node name."""
    return type(backward_name, (base,), {"_backward_name": backward_name})


# PyTorch computes the 1-d versions as 2-d pooling of x.unsqueeze(-2) (max_unpool1d:
# unsqueeze(-1)) and squeezes the result, so its graph shows SqueezeBackward1 above a 2-D
# node: teachnn does the same (_as_2d below), so y.grad_fn reads the same in both.
_MAX_POOL = {n: _named(_MaxPool, f"MaxPool{n}DWithIndicesBackward0") for n in (2, 3)}
_AVG_POOL = {n: _named(_AvgPool, f"AvgPool{n}DBackward0") for n in (2, 3)}


def _as_2d(function, n, input, axes, *args):
    """``function.apply`` on the input, or for 1-d pooling on ``input.unsqueeze(-2)`` (a 2-d
    input of height 1, whose window tables are the same) with the outputs squeezed back."""
    if n > 1:
        return function[n].apply(input, axes, n, *args)
    out = function[2].apply(input.unsqueeze(-2), axes, 2, *args)
    if not isinstance(out, tuple):
        return out.squeeze(-2)
    values, indices = (o.squeeze(-2) for o in out)
    if values.grad_fn is not None:
        # the learner holds the squeezed indices: backward must notice an in-place change
        # to them (as PyTorch's shared version counter does), so the node watches those
        out[0].grad_fn._ctx.save_for_backward(indices)
    return values, indices


def _check_adaptive_grad(kind, n, grad_out):
    """PyTorch's adaptive pooling backward refuses an empty output (other than an empty
    batch), so the same program fails at the same line here. (A 1x1 average is PyTorch's
    mean(), which has no such check.)"""
    if kind == "avg" and all(s == 1 for s in grad_out.shape[-n:]):
        return
    if 0 in grad_out.shape[1:]:
        raise RuntimeError(
            f"adaptive_{kind}_pool{n}d backward: Expected grad_output to have non-zero "
            f"size for non-batch dimensions, but grad_output has sizes "
            f"{shape_str(grad_out.shape)}. An output_size of 0 (or an empty channel "
            "axis) gives an empty result that PyTorch cannot differentiate; ask for at "
            "least one cell per axis")


class _AdaptiveAvgPool(_AvgPool):
    @staticmethod
    def backward(ctx, grad_out):
        _check_adaptive_grad("avg", ctx.n, grad_out)
        return _AvgPool.backward(ctx, grad_out)


class _AdaptiveMaxPool(_MaxPool):
    @staticmethod
    def backward(ctx, grad_out, grad_indices):
        _check_adaptive_grad("max", ctx.n, grad_out)
        return _MaxPool.backward(ctx, grad_out, grad_indices)


_ADAPTIVE_AVG = {n: _named(_AdaptiveAvgPool, f"AdaptiveAvgPool{n}DBackward0") for n in (2, 3)}
_ADAPTIVE_MAX = {n: _named(_AdaptiveMaxPool, f"AdaptiveMaxPool{n}DBackward0") for n in (2, 3)}
_MAX_UNPOOL = {n: _named(_MaxUnpool, f"MaxUnpool{n}DBackward0") for n in (2, 3)}


# --------------------------------------------------------------------------------------
# Max pooling
# --------------------------------------------------------------------------------------
def _max_pool(n, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    fname = f"max_pool{n}d"
    _check_tensor(input, fname)
    ceil_mode = _check_flag(ceil_mode, "ceil_mode", fname)
    _check_flag(return_indices, "return_indices", fname)
    key = _window_key(fname, n, kernel_size, stride, padding, dilation)
    parsed = _parsed_window(key, fname, n, kernel_size, stride, padding, dilation)
    _check_input(input, n, fname)
    # PyTorch's plain max_pool1d keeps sizes in 64 bits; it takes the 32-bit path of the
    # others when it needs indices (return_indices, or a gradient to compute)
    with_indices = bool(return_indices) or (input.requires_grad and is_grad_enabled())
    kernel, stride, pad, dil = _checked_window(key, fname, parsed, int32=n > 1 or with_indices)
    axes = _pool_axes(fname, input, n, kernel, stride, pad, dil, ceil_mode)
    # PyTorch's plain max_pool1d (no indices) has float loops only
    _check_dtype(input, fname, _INTEGERS if n > 1 or return_indices else ())
    if input._data.dtype.kind in "iu":        # no gradient: NumPy, no autograd node
        out, indices = _int_pooling(fname, int_max_pool, _to_planes(input._data, n), axes)
        lead = input._data.shape[:-n]
        out, indices = Tensor(_from_planes(out, lead, n)), Tensor(_from_planes(indices, lead, n))
    else:
        out, indices = _as_2d(_MAX_POOL, n, input, axes)
    return (out, indices) if return_indices else out


@check_kwargs
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-d max pooling: (N, C, L) -> (N, C, L_out); each output is its window's maximum.

    ``L_out = floor((L + 2p - d(k-1) - 1)/s) + 1`` (``stride`` defaults to ``kernel_size``).
    With ``return_indices=True`` also returns, per output, the position of the maximum in
    its input row (what ``max_unpool1d`` needs).

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@check_kwargs
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-d max pooling: (N, C, H, W) -> (N, C, H_out, W_out).

    Per axis ``O = floor((L + 2p - d(k-1) - 1)/s) + 1``; padding cells never win (they
    act as -inf). Indices (``return_indices=True``) are flat positions ``h*W + w`` in the
    input plane; ties go to the first maximum in row-major scan order, as in PyTorch.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@check_kwargs
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-d max pooling: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out).

    Indices are flat positions ``d*H*W + h*W + w`` in the input volume.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@check_kwargs
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool1d`` that always returns ``(output, indices)``.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, True)


@check_kwargs
def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool2d`` that always returns ``(output, indices)``.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


@check_kwargs
def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool3d`` that always returns ``(output, indices)``.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


# --------------------------------------------------------------------------------------
# Average pooling
# --------------------------------------------------------------------------------------
def _check_divisor(fname, divisor_override):
    if divisor_override == 0:
        raise RuntimeError(f"{fname}: divisor must be not zero (divisor_override=0 would "
                           "divide every window sum by 0); use None for the default.")


def _avg_pool(n, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    fname = f"avg_pool{n}d"
    _check_tensor(input, fname)
    ceil_mode = _check_flag(ceil_mode, "ceil_mode", fname)
    count_include_pad = _check_flag(count_include_pad, "count_include_pad", fname)
    if divisor_override is not None:
        if isinstance(divisor_override, (bool, np.bool_)) or \
                not isinstance(divisor_override, (int, np.integer)):
            raise TypeError(f"{fname}(): argument 'divisor_override' must be int, not "
                            f"{type(divisor_override).__name__} ({divisor_override!r}); the "
                            "divisor replaces the window's cell count, a whole number")
        divisor_override = int(divisor_override)
    key = _window_key(fname, n, kernel_size, stride, padding)
    parsed = _parsed_window(key, fname, n, kernel_size, stride, padding)
    # PyTorch checks the divisor first in 2-d, after the input's rank in 3-d
    if n == 2:
        _check_divisor(fname, divisor_override)
    _check_input(input, n, fname)
    _check_divisor(fname, divisor_override)
    kernel, stride, pad, dil = _checked_window(key, fname, parsed)
    spatial = input._data.shape[-n:]
    if n == 3 and any(L < k for L, k in zip(spatial, kernel)):
        # PyTorch's avg_pool3d (only the 3-d one) also refuses an input smaller than the
        # kernel before padding; we keep its rule so the same code fails the same way.
        raise RuntimeError(
            f"{fname}: input image (T: {spatial[0]} H: {spatial[1]} W: {spatial[2]}) smaller "
            f"than kernel size (kT: {kernel[0]} kH: {kernel[1]} kW: {kernel[2]}); avg_pool3d "
            "needs every input size to be at least the kernel size, even with padding. Use "
            "a smaller kernel_size or pad the input first.")
    axes = _pool_axes(fname, input, n, kernel, stride, pad, dil, ceil_mode)
    _check_dtype(input, fname, _INT64)
    if input._data.dtype.kind == "i":         # no gradient: NumPy, no autograd node
        out = _int_pooling(fname, int_avg_pool, _to_planes(input._data, n), axes,
                           bool(count_include_pad), divisor_override)
        return Tensor(_from_planes(out, input._data.shape[:-n], n))
    return _as_2d(_AVG_POOL, n, input, axes, bool(count_include_pad), divisor_override)


@check_kwargs
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-d average pooling: (N, C, L) -> (N, C, L_out); each output is its window's mean.

    With ``count_include_pad=True`` (default) padding cells count as zeros in the mean;
    with ``False`` the sum is divided by the number of real input cells in the window.
    (PyTorch's 1-d version has no ``divisor_override``.)

    The loop this computes: teachnn/kernels/reference/pool.py, ``avg_pool_forward``
    (``_avg_pool_loop``; backward ``_avg_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     None)


@check_kwargs
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-d average pooling: (N, C, H, W) -> (N, C, H_out, W_out).

    ``out = sum(window) / divisor`` with divisor ``kh*kw`` (cells beyond the padded edge
    never count), the number of real cells (``count_include_pad=False``), or
    ``divisor_override``.

    The loop this computes: teachnn/kernels/reference/pool.py, ``avg_pool_forward``
    (``_avg_pool_loop``; backward ``_avg_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


@check_kwargs
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-d average pooling: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out).

    The loop this computes: teachnn/kernels/reference/pool.py, ``avg_pool_forward``
    (``_avg_pool_loop``; backward ``_avg_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


# --------------------------------------------------------------------------------------
# Adaptive pooling: you choose the output size, the windows follow
# --------------------------------------------------------------------------------------
def _adaptive_axes(fname, input, n, output_size):
    """Resolve ``output_size`` (int, tuple, None entries = keep) and build window tables."""
    items = _parse_output_size(fname, n, output_size)
    spatial = input._data.shape[-n:]
    sizes = [int(L) if o is None else o for L, o in zip(spatial, items)]
    if any(o < 0 for o in sizes):
        raise RuntimeError(f"{fname}: elements of output_size must be greater than or equal "
                           f"to 0, but got output_size={tuple(sizes)}.")
    axes = [_kernels.active.pool.adaptive_windows(int(L), o) for L, o in zip(spatial, sizes)]
    dummy = _kernels.active.pool.adaptive_windows(1, 1)
    return tuple([dummy] * (3 - n) + axes)


def _parse_output_size(fname, n, output_size, input=None):
    """``output_size`` as a list of n ints or None (= keep that axis), before any shape
    check, as PyTorch's argument parser does."""
    if n > 1 and isinstance(output_size, (tuple, list)) and input is not None and \
            input.ndim <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}: "
                         f"output_size={tuple(output_size)} names more axes than the "
                         f"{input.ndim}-d input of shape {shape_str(input.shape)} has; give "
                         f"{n} sizes, one per spatial axis {_AXES[n]}")
    if output_size is None or isinstance(output_size, (int, np.integer)) or n == 1:
        if isinstance(output_size, (tuple, list)) and n == 1 and len(output_size) == 1:
            output_size = output_size[0]
        elif isinstance(output_size, (tuple, list)) and n == 1:
            raise RuntimeError(f"{fname}() argument 'output_size' should contain one int (got "
                               f"{len(output_size)}): a 1-d pooling has one output length")
        if output_size is None or isinstance(output_size, bool) or \
                not isinstance(output_size, (int, np.integer)):
            raise TypeError(f"{fname}(): argument 'output_size' must be an int or a tuple of "
                            f"{n} ints, but got {output_size!r}" +
                            ("; the 1-d version does not accept None" if n == 1 else ""))
        return [int(output_size)] * n
    else:
        try:
            items = list(output_size)
        except TypeError:
            raise TypeError(f"{fname}(): argument 'output_size' must be an int or a tuple of "
                            f"{n} ints, but got {type(output_size).__name__}") from None
        for o in items:
            if o is not None and (isinstance(o, bool) or not isinstance(o, (int, np.integer))):
                raise TypeError(f"{fname}(): output_size entries must be ints or None, "
                                f"but got {o!r}")
        if len(items) != n:
            raise RuntimeError(f"{fname}: output_size must be {n} (one size per spatial axis "
                               f"{_AXES[n]}), but got {len(items)} values: {tuple(items)}")
        return [None if o is None else int(o) for o in items]


def _adaptive_avg(n, input, output_size):
    fname = f"adaptive_avg_pool{n}d"
    _check_tensor(input, fname)
    items = _parse_output_size(fname, n, output_size, input)
    if n > 1 and input.ndim < n and all(o == 1 for o in items):
        raise IndexError(f"{fname}() averages the last {n} axes of its input, but got a "
                         f"{input.ndim}-d tensor of shape {shape_str(input.shape)}; give it "
                         f"[channels, {_AXES[n][1:-1]}] or [batch, channels, {_AXES[n][1:-1]}]")
    if n == 1 and items == [1] and input.ndim in (2, 3):
        # PyTorch: adaptive_avg_pool2d of x.unsqueeze(-2) to (1, 1), which is mean()
        return input.unsqueeze(-2).mean((-2, -1), keepdim=True).squeeze(-2)
    if n > 1 and input.ndim >= n and all(
            (o if o is not None else L) == 1 for o, L in zip(items, input.shape[-n:])):
        # PyTorch computes a 1x1 (1x1x1) adaptive average as mean() over the last n axes,
        # for an input of any rank: so does teachnn, with the same values and gradients
        return input.mean(tuple(range(-n, 0)), keepdim=True)
    # PyTorch's 1-d and 2-d adaptive average pooling return an empty result for 0 channels
    _check_input(input, n, fname, empty_channels="all" if n < 3 else "unbatched")
    axes = _adaptive_axes(fname, input, n, output_size)
    out_numel = math.prod(input._data.shape[:-n]) * math.prod(a.out_size for a in axes)
    _check_dtype(input, fname, empty_ok=n < 3, out_numel=out_numel)
    if input._data.dtype.newbyteorder("=") not in _FLOATS + (np.dtype(np.float16),):
        # an empty integer result
        out_shape = input._data.shape[:-n] + tuple(a.out_size for a in axes[3 - n:])
        return Tensor(np.zeros(out_shape, dtype=input._data.dtype.newbyteorder("=")))
    return _as_2d(_ADAPTIVE_AVG, n, input, axes, False, None)


def _adaptive_max(n, input, output_size, return_indices):
    fname = f"adaptive_max_pool{n}d"
    _check_tensor(input, fname)
    _parse_output_size(fname, n, output_size, input)
    _check_flag(return_indices, "return_indices", fname)
    _check_input(input, n, fname, empty_channels="unbatched")
    axes = _adaptive_axes(fname, input, n, output_size)
    _check_dtype(input, fname)
    out, indices = _as_2d(_ADAPTIVE_MAX, n, input, axes)
    return (out, indices) if return_indices else out


@check_kwargs
def adaptive_avg_pool1d(input, output_size):
    """(N, C, L) -> (N, C, O): output i is the mean of ``x[floor(i*L/O) : ceil((i+1)*L/O)]``.

    The loop this computes: teachnn/kernels/reference/pool.py, ``avg_pool_forward``
    (``_avg_pool_loop``; backward ``_avg_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _adaptive_avg(1, input, output_size)


@check_kwargs
def adaptive_avg_pool2d(input, output_size):
    """(N, C, H, W) -> (N, C, OH, OW), any output size you ask for.

    Window ``i`` of an axis is ``[floor(i*L/O), ceil((i+1)*L/O))``: windows overlap when
    ``L`` is not a multiple of ``O``. ``output_size`` is an int, a pair, or a pair with
    ``None`` (keep that axis). Example: 4x4 input 1..16 to (2, 2) gives
    ``[[3.5, 5.5], [11.5, 13.5]]``.

    The loop this computes: teachnn/kernels/reference/pool.py, ``avg_pool_forward``
    (``_avg_pool_loop``; backward ``_avg_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _adaptive_avg(2, input, output_size)


@check_kwargs
def adaptive_avg_pool3d(input, output_size):
    """(N, C, D, H, W) -> (N, C, OD, OH, OW); windows as in ``adaptive_avg_pool2d``.

    The loop this computes: teachnn/kernels/reference/pool.py, ``avg_pool_forward``
    (``_avg_pool_loop``; backward ``_avg_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _adaptive_avg(3, input, output_size)


@check_kwargs
def adaptive_max_pool1d(input, output_size, return_indices=False):
    """(N, C, L) -> (N, C, O): output i is the max of ``x[floor(i*L/O) : ceil((i+1)*L/O)]``.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _adaptive_max(1, input, output_size, return_indices)


@check_kwargs
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """(N, C, H, W) -> (N, C, OH, OW): the max of each adaptive window (and its index).

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _adaptive_max(2, input, output_size, return_indices)


@check_kwargs
def adaptive_max_pool3d(input, output_size, return_indices=False):
    """(N, C, D, H, W) -> (N, C, OD, OH, OW): the max of each adaptive window.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _adaptive_max(3, input, output_size, return_indices)


@check_kwargs
def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool1d`` that always returns ``(output, indices)``.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _adaptive_max(1, input, output_size, True)


@check_kwargs
def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool2d`` that always returns ``(output, indices)``.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _adaptive_max(2, input, output_size, True)


@check_kwargs
def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool3d`` that always returns ``(output, indices)``.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_pool_forward``
    (``_max_pool_loop``; backward ``_max_pool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _adaptive_max(3, input, output_size, True)


# --------------------------------------------------------------------------------------
# Max unpooling: put the maxima back where they came from
# --------------------------------------------------------------------------------------
def _unpool_output_size(fname, spatial, kernel, stride, pad, output_size):
    """PyTorch's rule: default ``(L-1)*s - 2p + k``; a given size must be within ``s`` of it."""
    n = len(kernel)
    default = [(L - 1) * s + k - 2 * p for L, k, s, p in zip(spatial, kernel, stride, pad)]
    if output_size is None:
        sizes = default
    else:
        sizes = list(output_size)
        if len(sizes) == n + 2:
            sizes = sizes[2:]                 # a full shape (N, C, *spatial) is accepted too
        if len(sizes) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                             f"elements, but it has a length of '{len(sizes)}'")
        for axis, (o, base, s) in enumerate(zip(sizes, default, stride)):
            if not (base - s < o < base + s):
                raise ValueError(
                    f'invalid output_size "{tuple(sizes)}" (dim {axis} must be between '
                    f"{base - s} and {base + s}): max pooling with stride {s} maps any size in "
                    f"that range to the same pooled size, the default is (L-1)*s - 2p + k = "
                    f"{base}.")
    if any(o < 0 for o in sizes):
        raise ValueError(f"{fname}: output_size must contain non-negative spatial dimensions, "
                         f"but got {tuple(sizes)} (from (L-1)*s - 2p + k)")
    return tuple(int(o) for o in sizes)


def _max_unpool(n, input, indices, kernel_size, stride, padding, output_size):
    fname = f"max_unpool{n}d"
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    if input._data.ndim not in (n + 1, n + 2):
        raise RuntimeError(
            f"Input to max_unpooling{n}d should be a {n + 1}d or {n + 2}d Tensor "
            f"([channels, {_AXES[n][1:-1]}] or [batch, channels, {_AXES[n][1:-1]}]), but got "
            f"a tensor with {input._data.ndim} dimensions: {shape_str(input.shape)}.")
    if not isinstance(indices, Tensor):
        raise TypeError(f"{fname}(): argument 'indices' must be a Tensor (the second output of "
                        f"max_pool{n}d(..., return_indices=True)), not {type(indices).__name__}")
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"{fname}: elements in indices should be type int64 but got: "
                           f"{indices._data.dtype}; pass the indices max_pool{n}d returned.")
    if indices._data.shape != input._data.shape:
        raise RuntimeError(
            f"{fname}: Expected shape of indices to be same as that of the input tensor "
            f"({shape_str(input.shape)}) but got indices tensor with shape: "
            f"{shape_str(indices.shape)}; indices and values come in pairs from max_pool{n}d.")
    kernel = _tuple_arg(kernel_size, n, "kernel_size", fname)
    stride = kernel if stride is None else _tuple_arg(stride, n, "stride", fname)
    pad = _tuple_arg(padding, n, "padding", fname)
    sizes = _unpool_output_size(fname, input._data.shape[-n:], kernel, stride, pad, output_size)
    plane = math.prod(sizes)
    _check_dtype(input, fname, empty_ok=True,
                 out_numel=math.prod(input._data.shape[:-n]) * plane)
    if input._data.dtype.newbyteorder("=") not in _FLOATS + (np.dtype(np.float16),):
        # an empty integer result
        return Tensor(np.zeros(input._data.shape[:-n] + sizes,
                               dtype=input._data.dtype.newbyteorder("=")))
    idx = indices._data
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < 0 or high >= plane:
            bad = low if low < 0 else high
            raise RuntimeError(
                f"{fname}: Found an invalid max index: {bad} (output volumes are of size "
                f"{'x'.join(str(s) for s in (sizes if n > 1 else (sizes[0], 1)))}). Each index "
                f"must lie in [0, {plane}) = one flat position in an output plane of shape "
                f"{tuple(sizes)}; check kernel_size/stride/padding/output_size match the "
                f"max_pool{n}d that produced the indices.")
    try:
        if n == 1:        # PyTorch: 2-d unpooling of a (L, 1) plane, then squeeze(-1)
            return _MAX_UNPOOL[2].apply(input.unsqueeze(-1), indices._data[..., None],
                                        sizes + (1,), 2).squeeze(-1)
        return _MAX_UNPOOL[n].apply(input, indices._data, sizes, n)
    except MemoryError:
        raise RuntimeError(f"{fname}: not enough memory for an output of spatial size "
                           f"{tuple(sizes)}; check kernel_size, stride and output_size, "
                           "which set it") from None


@check_kwargs
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool1d``: (N, C, L_in) -> (N, C, L_out), zeros except at
    the indices. ``L_out = (L_in - 1)*s - 2p + k`` unless ``output_size`` says otherwise.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_unpool_forward``
    (``_unpool_loop``; backward ``_unpool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


@check_kwargs
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool2d``: (N, C, H_in, W_in) -> (N, C, H_out, W_out).

    Every value goes to flat position ``indices`` of its output plane; every other cell
    is 0. Used in decoders (SegNet) to undo a max pooling.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_unpool_forward``
    (``_unpool_loop``; backward ``_unpool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


@check_kwargs
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool3d``: (N, C, D, H, W) in, larger volume out.

    The loop this computes: teachnn/kernels/reference/pool.py, ``max_unpool_forward``
    (``_unpool_loop``; backward ``_unpool_backward_loop``).
    Run it with ``with teachnn.kernels.use("reference"): ...``.
    """
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


# --------------------------------------------------------------------------------------
# Power-average (Lp) pooling: (sum over window of x^p)^(1/p)
# --------------------------------------------------------------------------------------
def _lp_pool(n, input, norm_type, kernel_size, stride, ceil_mode):
    """Composed exactly as PyTorch does it, so values *and* gradients match:
    ``avg_pool(x^p) * (kernel cells)``, then ``^(1/p)``; ``p = inf`` is max pooling of |x|.
    """
    fname = f"lp_pool{n}d"
    _check_tensor(input, fname)
    if n > 1 and not isinstance(kernel_size, (int, np.integer)):
        try:
            count = len(kernel_size)
        except TypeError:
            count = None
        if count is not None and count != n:
            raise ValueError(f"{fname}: kernel_size must be an int or {n} ints (one per axis "
                             f"{_AXES[n]}), but got {kernel_size!r} ({count} values)")
    if norm_type in (float("inf"), -float("inf")) and input._data.dtype.kind == "b":
        # PyTorch takes |x| before anything else is checked, and bool has no abs()
        raise NotImplementedError(f'"abs" not implemented for bool tensors: {fname} with '
                                  "norm_type=inf pools |x|; convert the input with x.float()")
    _check_flag(ceil_mode, "ceil_mode", fname)
    _parse_window(fname, n, kernel_size, stride, 0)
    kernel = _tuple_arg(kernel_size, n, "kernel_size", fname)
    # (with norm_type=inf PyTorch max-pools |x|: the max pooling rank check applies)
    _check_input(input, n, fname,
                 channels_first=False if norm_type in (float("inf"), -float("inf")) else None)
    max_pool = {1: max_pool1d, 2: max_pool2d, 3: max_pool3d}[n]
    avg_pool = {1: avg_pool1d, 2: avg_pool2d, 3: avg_pool3d}[n]
    if norm_type == float("inf"):
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    if n == 1 and (isinstance(kernel_size, bool) or
                   not isinstance(kernel_size, (int, np.integer))):
        # PyTorch multiplies the pooled sums by kernel_size itself, which needs an int
        raise TypeError(f"lp_pool1d(): kernel_size must be an int, but got {kernel_size!r}; "
                        "the 1-d version takes kernel_size=3, not (3,)")
    # sign(out) * |out| is out itself, but its gradient is 0 where the window sum is 0
    # (PyTorch writes sign(out) * relu(|out|): the same values and gradients)
    return (out.sign() * out.abs()).mul(math.prod(kernel)).pow(1.0 / norm_type)


@check_kwargs
def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: each output is ``(sum of x^p over the window)^(1/p)``.

    ``p=1`` is sum pooling, ``p=inf`` is max pooling (of |x|). (N, C, L) -> (N, C, L_out).
    """
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


@check_kwargs
def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-d power-average pooling: (N, C, H, W) -> (N, C, H_out, W_out)."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


@check_kwargs
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """3-d power-average pooling: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out)."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)
