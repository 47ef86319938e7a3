"""The linear (fully connected) map ``y = x A^T + b``, stateless form ``F.linear``.

Shapes:
    input  (*, in_features)          any number of leading dimensions, e.g. (N, in) or (N, L, in)
    weight (out_features, in_features)   A
    bias   (out_features,)           b, optional
    output (*, out_features)

As in PyTorch the product is taken with W = A^T (``weight.t()``, a node of its own: TBackward0).
Backward, with g = dL/dy flattened to (M, out) and x flattened to (M, in):
    dL/dx = g W^T          (M, out) @ (out, in) -> (M, in)
    dL/dW = x^T g          (in, M) @ (M, out)   -> (in, out)   (TBackward0 turns it into dL/dA)
    dL/db = sum_rows(g)    (M, out) -> (out,)
"""
from __future__ import annotations

import math
from contextlib import nullcontext

import numpy as np

from ..._errors import check_kwargs, shape_str
from ...autograd import Function
from ...kernels.fast_conv.blas import _one_thread_blas
from ...tensor import Tensor

__all__ = ["linear"]

# products with fewer multiply-adds than this run on one OpenBLAS thread: for them a second
# thread costs more than it saves, and its spinning slows the convolutions' threads after it
_ONE_THREAD_MACS = 1 << 24


def _blas_threads(macs):
    return _one_thread_blas() if macs < _ONE_THREAD_MACS else nullcontext()


class LinearFunction(Function):
    """y = x W + b with W = A^T (out of ``A.t()``), over the last dimension of x (every leading
    dimension is a batch).

    The inputs come in PyTorch's order for ``addmm(bias, input, weight.t())``, so the graph
    matches torch's for 2-d input: ``AddmmBackward0`` with next_functions (bias, input,
    TBackward0). For other ranks PyTorch reshapes around the matrix product and shows
    View/UnsafeView nodes on top; here one node does the whole map.
    """
    _backward_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, bias, x, weight_t):
        ctx.save_for_backward(x, weight_t)
        lead_shape = x._data.shape[:-1]
        m = math.prod(lead_shape)                             # M = number of rows
        x2 = x._data.reshape(m, x._data.shape[-1])            # (*, in) -> (M, in)
        with _blas_threads(x2.size * weight_t._data.shape[1]):
            out = x2 @ weight_t._data                         # (M, in) @ (in, out) -> (M, out)
        if bias is not None:
            out += bias._data                                 # (M, out) + (out,), in place
        out = out.reshape(*lead_shape, weight_t._data.shape[1])   # (M, out) -> (*, out)
        return Tensor(np.asarray(out, dtype=x._data.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        return _linear_backward(ctx, grad_out, *ctx.needs_input_grad)


def _linear_backward(ctx, grad_out, needs_b, needs_x, needs_w):
    x, weight_t = ctx.saved_tensors
    m = math.prod(x._data.shape[:-1])
    g2 = grad_out._data.reshape(m, weight_t._data.shape[1])   # (*, out) -> (M, out)
    grad_b = grad_x = grad_wt = None
    with _blas_threads(x._data.size * weight_t._data.shape[1]):
        if needs_x:                                        # (M, out) @ (out, in) -> (*, in)
            grad_x = (g2 @ weight_t._data.T).reshape(x._data.shape)
        if needs_w:
            x2 = x._data.reshape(m, x._data.shape[-1])     # (M, in)
            # (out, M) @ (M, in) -> (out, in), handed on as its (in, out) view: TBackward0 turns
            # it back into a C-ordered dL/dA, the weight's own layout (the optimiser's pass is faster)
            grad_wt = (g2.T @ x2).T
    if needs_b:
        grad_b = g2.sum(axis=0)                            # (M, out) -> (out,)
    return grad_b, grad_x, grad_wt


class LinearNoBiasFunction(Function):
    """y = x W (bias=None): PyTorch's ``mm(input, weight.t())``, named MmBackward0."""
    _backward_name = "MmBackward0"

    @staticmethod
    def forward(ctx, x, weight_t):
        return LinearFunction.forward(ctx, None, x, weight_t)

    @staticmethod
    def backward(ctx, grad_out):
        return _linear_backward(ctx, grad_out, False, *ctx.needs_input_grad)[1:]


def _check_linear_args(input, weight, bias):
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"linear(): argument '{name}' must be a Tensor, not "
                            f"{type(t).__name__}. Convert it first, e.g. "
                            "torch.tensor(data) or torch.from_numpy(array).float().")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"linear(): argument 'bias' must be a Tensor or None, not "
                        f"{type(bias).__name__}")
    if weight._data.ndim != 2:
        raise RuntimeError(
            f"linear(): weight must be 2-d [out_features, in_features] but got shape "
            f"{shape_str(weight._data.shape)}")
    out_features, in_features = weight._data.shape
    if input._data.ndim == 0:
        raise RuntimeError(
            "linear(): input is a 0-d tensor (a single number); it needs a last dimension of "
            f"size {in_features}, e.g. shape [batch, {in_features}]")
    if input._data.shape[-1] != in_features:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied: linear() got input of shape "
            f"{shape_str(input._data.shape)} (last dimension {input._data.shape[-1]}) and weight "
            f"of shape {shape_str(weight._data.shape)} (in_features={in_features}); the last "
            "dimension of input must equal weight.shape[1].")
    if bias is not None and tuple(bias._data.shape) not in ((out_features,), ()):
        raise RuntimeError(
            f"linear(): bias must have shape [{out_features}] (one value per output feature) "
            f"but got {shape_str(bias._data.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._data.dtype != input._data.dtype:
            raise RuntimeError(
                f"linear(): input has dtype {input._data.dtype} but {name} has dtype "
                f"{t._data.dtype}; they must match. Convert the input (x.float() / x.double()) "
                "or the layer (model.float() / model.double()).")
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"linear(): expected floating-point input but got dtype {input._data.dtype}; "
            "convert it with x.float().")


@check_kwargs
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Apply ``y = x A^T + b`` to the last dimension of ``input``.

    Shapes: input (*, in_features), weight (out_features, in_features),
    bias (out_features,) or None -> output (*, out_features).
    """
    _check_linear_args(input, weight, bias)
    if bias is None:
        return LinearNoBiasFunction.apply(input, weight.t())
    return LinearFunction.apply(bias, input, weight.t())
