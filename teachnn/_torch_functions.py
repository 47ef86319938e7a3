"""Torch-level functions: ``teachnn.exp(x)``, ``teachnn.sum(x, dim=1)``, ``teachnn.cat([a, b])``,
``teachnn.matmul(a, b)``, ... Most are one line that calls the Tensor method of the same name;
the others (cat, stack, split, sort, topk, matmul, where, ...) are written here and the Tensor
methods call them.

The decorators above a function are what makes it take its arguments like torch
(``teachnn/_arguments.py``, ``teachnn/_errors.py``): ``@numpy_keywords`` (``axis=`` for ``dim=``,
suggestions for unknown keywords), ``@refuses_ndarrays`` (``teachnn.relu(np.ones(3))`` is a TypeError, as in torch),
``@accepts_out`` (``out=``). The function under them is the one that runs.
"""
import builtins
import math
import pickle

import numpy as np

from . import _dtype, _math_ops, _ops
from ._arguments import refuses_ndarrays, accepts_out
from ._errors import numpy_keywords
from ._factories import as_tensor, tensor, zeros, zeros_like
from ._promotion import (_as_tensor_operand, _binary_operands, _cast, _check_broadcast, _result_dtype,
                         _scalar_array)
from .autograd import grad_mode
from ._shapes import _SortResult, _TopkResult, _norm_dim
from .tensor import Tensor

__all__ = [
    "cat", "concat", "concatenate", "stack", "is_tensor", "is_floating_point", "numel", "exp",
    "log", "sqrt", "abs", "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "var",
    "std", "matmul", "mm", "bmm", "dot", "relu", "sigmoid", "tanh", "softmax", "log_softmax",
    "flatten", "reshape", "transpose", "permute", "squeeze", "unsqueeze", "where", "clamp", "clip",
    "allclose", "equal", "maximum", "minimum", "save", "load", "repeat_interleave", "neg", "pow", "add", "sub", "mul",
    "div", "square", "isclose", "isnan", "isinf", "isfinite", "sign", "t", "broadcast_to",
    "argsort", "sort", "topk", "chunk", "split", "unbind", "clone", "detach", "lt", "le", "gt",
    "ge", "eq", "ne", "logical_not", "logical_and", "logical_or", "floor", "ceil", "round", "sin",
    "cos", "expand_copy", "outer", "prod", "cumsum", "any", "all", "count_nonzero", "tril", "triu",
    "diag", "logsumexp", "einsum", "flip", "roll", "unique", "log1p", "expm1", "gather", "scatter",
    "scatter_add", "index_select", "masked_fill", "argwhere", "nonzero", "rsqrt", "reciprocal",
    "norm", "meshgrid", "bincount", "set_num_threads", "get_num_threads",
]


def _check_tensor_list(tensors, name):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' must be a tuple or list of Tensors, "
                        f"not {type(tensors).__name__}")
    if len(tensors) == 0:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if isinstance(t, np.ndarray):          # as torch: arrays are not converted for you
            raise TypeError(f"{name}(): expected Tensor as element {i} in argument 0, but got "
                            "numpy.ndarray — wrap it with teachnn.from_numpy(a) or teachnn.tensor(a)")
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    dtype = _result_dtype(list(tensors), [])
    return [_cast(t, dtype) for t in tensors]


@accepts_out
@numpy_keywords
def cat(tensors, dim=0, out=None):
    """Join tensors along an existing axis; all other sizes must match."""
    tensors = _check_tensor_list(tensors, "cat")
    # torch skips 1-d empty tensors in cat (legacy behaviour)
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or tensors[:1]
    ref = tensors[0]
    d = _norm_dim(dim, ref._data.ndim)
    for i, t in enumerate(tensors):
        if t._data.ndim != ref._data.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref._data.ndim} and {t._data.ndim}")
        for axis in range(ref._data.ndim):
            if axis != d and t._data.shape[axis] != ref._data.shape[axis]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref._data.shape[axis]} but got size {t._data.shape[axis]} for tensor number {i} in "
                    f"the list (shapes {[list(x.shape) for x in tensors]})")
    return _ops.Cat.apply(d, *tensors)


concat = cat


concatenate = cat


@accepts_out
@numpy_keywords
def stack(tensors, dim=0, out=None):
    """Join tensors of equal shape along a new axis ``dim``."""
    tensors = _check_tensor_list(tensors, "stack")
    ref = tensors[0]
    for i, t in enumerate(tensors):
        if t._data.shape != ref._data.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref.shape)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
    d = _norm_dim(dim, ref._data.ndim + 1)
    return _ops.Stack.apply(d, *tensors)


@refuses_ndarrays
@numpy_keywords
def chunk(input, chunks, dim=0):
    d = _norm_dim(dim, input._data.ndim)
    size = math.ceil(input._data.shape[d] / chunks)
    return split(input, builtins.max(size, 1), d)


@refuses_ndarrays
@numpy_keywords
def split(input, split_size_or_sections, dim=0):
    d = _norm_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if isinstance(split_size_or_sections, (builtins.int, np.integer)):
        bounds = list(range(0, n, split_size_or_sections)) + [n]
    else:
        bounds = [0] + list(np.cumsum(split_size_or_sections))
        if bounds[-1] != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes={list(split_size_or_sections)}")
    pieces = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        pieces.append(input[(slice(None),) * d + (slice(builtins.int(a), builtins.int(b)),)])
    return tuple(pieces)


@refuses_ndarrays
@numpy_keywords
def unbind(input, dim=0):
    d = _norm_dim(dim, input._data.ndim)
    return tuple(input[(slice(None),) * d + (i,)] for i in range(input._data.shape[d]))


@refuses_ndarrays
def tril(input, diagonal=0):
    mask = np.tril(np.ones(input._data.shape[-2:], dtype=bool), diagonal)
    return where(Tensor(mask), input, zeros_like(input))


@refuses_ndarrays
def triu(input, diagonal=0):
    mask = np.triu(np.ones(input._data.shape[-2:], dtype=bool), diagonal)
    return where(Tensor(mask), input, zeros_like(input))


@refuses_ndarrays
def diag(input, diagonal=0):
    """1-d input: a square matrix with it on the ``diagonal``; 2-d input: that diagonal."""
    if input._data.ndim == 2:
        rows = np.arange(input._data.shape[0])
        cols = rows + diagonal
        keep = (cols >= 0) & (cols < input._data.shape[1])
        return input[rows[keep], cols[keep]]
    if input._data.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input._data.ndim}D")
    n = input._data.shape[0] + builtins.abs(diagonal)
    out = zeros(n, n, dtype=input.dtype)
    rows = np.arange(input._data.shape[0]) + builtins.max(-diagonal, 0)
    out[rows, rows + diagonal] = input      # recorded as CopySlices when input requires grad
    return out


# ----------------------------------------------------------------------------------------
# module-level functions mirroring torch.*
# ----------------------------------------------------------------------------------------
def is_tensor(obj):
    return isinstance(obj, Tensor)


@refuses_ndarrays
def is_floating_point(input):
    return input.is_floating_point()


@refuses_ndarrays
def numel(input):
    return input.numel()


def _check_tensor_arg(x, name, arg="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


@accepts_out
@refuses_ndarrays
def exp(input):
    return input.exp()


@accepts_out
@refuses_ndarrays
def log(input):
    return input.log()


@accepts_out
@refuses_ndarrays
def sqrt(input):
    return input.sqrt()


@accepts_out
@refuses_ndarrays
def abs(input):
    return input.abs()


@accepts_out
@refuses_ndarrays
def neg(input):
    return input.neg()


@accepts_out
@refuses_ndarrays
def sign(input):
    return input.sign()


@accepts_out
@refuses_ndarrays
def square(input):
    return input.square()


@accepts_out
@refuses_ndarrays
def sin(input):
    return input.sin()


@accepts_out
@refuses_ndarrays
def cos(input):
    return input.cos()


@accepts_out
@refuses_ndarrays
def floor(input):
    return input.floor()


@accepts_out
@refuses_ndarrays
def ceil(input):
    return input.ceil()


@accepts_out
@refuses_ndarrays
def round(input, decimals=0):
    return input.round(decimals)


@accepts_out
@refuses_ndarrays
def pow(input, exponent):
    if isinstance(input, Tensor):
        return input.pow(exponent)
    return exponent.__rpow__(input)


@accepts_out
@refuses_ndarrays
def add(input, other, *, alpha=1):
    return _as_tensor_operand(input).add(other, alpha=alpha)


@accepts_out
@refuses_ndarrays
def sub(input, other, *, alpha=1):
    return _as_tensor_operand(input).sub(other, alpha=alpha)


@accepts_out
@refuses_ndarrays
def mul(input, other):
    return _as_tensor_operand(input) * other


@accepts_out
@refuses_ndarrays
def div(input, other, *, rounding_mode=None):
    return _as_tensor_operand(input).div(other, rounding_mode=rounding_mode)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def sum(input, dim=None, keepdim=False, dtype=None):
    return input.sum(dim, keepdim=keepdim, dtype=dtype)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def mean(input, dim=None, keepdim=False, dtype=None):
    return input.mean(dim, keepdim=keepdim, dtype=dtype)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def prod(input, dim=None, keepdim=False, dtype=None):
    return input.prod(dim, keepdim, dtype=dtype)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def cumsum(input, dim, dtype=None):
    return input.cumsum(dim, dtype=dtype)


@refuses_ndarrays
@numpy_keywords
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.var(dim, unbiased, keepdim, correction=correction)


@refuses_ndarrays
@numpy_keywords
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.std(dim, unbiased, keepdim, correction=correction)


@refuses_ndarrays
@numpy_keywords
def max(input, dim=None, keepdim=False):
    """``max(x)``, ``max(x, dim)`` -> (values, indices), or ``max(x, y)`` elementwise."""
    return input.max(dim, keepdim)


@refuses_ndarrays
@numpy_keywords
def min(input, dim=None, keepdim=False):
    return input.min(dim, keepdim)


@refuses_ndarrays
@numpy_keywords
def amax(input, dim=(), keepdim=False):
    return input.amax(dim, keepdim)


@refuses_ndarrays
@numpy_keywords
def amin(input, dim=(), keepdim=False):
    return input.amin(dim, keepdim)


@refuses_ndarrays
@numpy_keywords
def argmax(input, dim=None, keepdim=False):
    return input.argmax(dim, keepdim)


@refuses_ndarrays
@numpy_keywords
def argmin(input, dim=None, keepdim=False):
    return input.argmin(dim, keepdim)


@refuses_ndarrays
@numpy_keywords
def logsumexp(input, dim, keepdim=False):
    return input.logsumexp(dim, keepdim)


@refuses_ndarrays
@numpy_keywords
def any(input, dim=None, keepdim=False):
    return input.any(dim, keepdim)


@refuses_ndarrays
@numpy_keywords
def all(input, dim=None, keepdim=False):
    return input.all(dim, keepdim)


@refuses_ndarrays
@numpy_keywords
def count_nonzero(input, dim=None):
    return input.count_nonzero(dim)


@refuses_ndarrays
@numpy_keywords
def sort(input, dim=-1, descending=False, stable=False):
    d = _norm_dim(dim, input._data.ndim)
    key = -input._data if descending and input._data.dtype != np.bool_ else input._data
    order = np.argsort(key, axis=d, kind="stable")
    if descending and input._data.dtype == np.bool_:
        order = np.flip(np.argsort(input._data, axis=d, kind="stable"), axis=d)
    values = gather_along(input, d, order, _math_ops.SortValues)
    return _SortResult(values, Tensor(order.astype(np.int64)))


@refuses_ndarrays
@numpy_keywords
def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim=dim, descending=descending, stable=stable).indices


@refuses_ndarrays
@numpy_keywords
def topk(input, k, dim=-1, largest=True, sorted=True):
    d = _norm_dim(dim, input._data.ndim)
    if not 0 <= k <= input._data.shape[d]:
        raise RuntimeError(f"selected index k out of range: k={k} but dimension {d} has size {input._data.shape[d]}")
    res = sort(input, dim=d, descending=largest, stable=True)
    idx = np.take(res.indices._data, np.arange(k), axis=d)
    return _TopkResult(gather_along(input, d, idx, _math_ops.TopkValues), Tensor(idx))


def gather_along(input, dim, indices, function=_ops.Index):
    grids = list(np.indices(indices.shape, sparse=True))
    grids[dim] = indices
    return function.apply(input, tuple(grids), True)


def _matmul_checks(a, b, name):
    _check_tensor_arg(a, name)
    _check_tensor_arg(b, name, "other")
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(f"both arguments to {name} need to be at least 1D, but they are "
                           f"{a._data.ndim}D and {b._data.ndim}D; use * to multiply by a scalar")


@accepts_out
@refuses_ndarrays
def matmul(input, other):
    """Matrix product with NumPy/torch rules: 1-d vectors, 2-d matrices, batched stacks."""
    _matmul_checks(input, other, "matmul")
    a, b = input._data, other._data
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                "the same number of elements, but got different numbers of elements")
        left = "x".join(str(n) for n in (a.shape if a.ndim > 1 else (1,) + a.shape)[-2:])
        right = "x".join(str(n) for n in (b.shape if b.ndim > 1 else b.shape + (1,))[-2:])
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({left} and {right}): the last size of the first "
            f"({k_a}) must equal the first size of the second ({k_b}). Shapes were {list(a.shape)} and "
            f"{list(b.shape)}; check the layer sizes or transpose one operand.")
    if a.ndim > 2 and b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise RuntimeError(f"matmul: the batch dimensions {list(a.shape[:-2])} and {list(b.shape[:-2])} "
                               "cannot be broadcast together") from None
    if a.dtype != b.dtype:
        # torch does not promote in matrix products: float32 @ float64 is an error
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES.get(a.dtype.name, a.dtype.name)} "
            f"!= {_C_NAMES.get(b.dtype.name, b.dtype.name)}. Convert one of them first, e.g. x.float() "
            "(NumPy arrays are float64: use teachnn.tensor(array, dtype=teachnn.float32) or x.float()).")
    name = _ops.matmul_backward_name(a.ndim, b.ndim)
    return _ops.MATMUL_BY_NAME[name].apply(input, other)


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}


@accepts_out
@refuses_ndarrays
def mm(input, mat2):
    _matmul_checks(input, mat2, "mm")
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"mm(): both arguments must be 2-d matrices, but got {input._data.ndim}-d and "
                           f"{mat2._data.ndim}-d tensors; use matmul (or @) for other shapes")
    return matmul(input, mat2)


@accepts_out
@refuses_ndarrays
def bmm(input, mat2):
    _matmul_checks(input, mat2, "bmm")
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (got {input._data.ndim}-d and {mat2._data.ndim}-d)")
    if input._data.shape[0] != mat2._data.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {input._data.shape[0]} "
                           f"and {mat2._data.shape[0]}")
    return matmul(input, mat2)


@accepts_out
@refuses_ndarrays
def dot(input, other):
    _matmul_checks(input, other, "dot")
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    return matmul(input, other)


@accepts_out
@refuses_ndarrays
def outer(input, vec2):
    return input.unsqueeze(1) * vec2.unsqueeze(0)


def einsum(equation, *operands):
    """Sum of products over the letters of ``equation`` (NumPy's notation, with '...'), e.g.
    ``einsum('ij,jk->ik', a, b)`` is ``a @ b``. Differentiable in every operand."""
    if not isinstance(equation, str):          # einsum(a, [0, 1], b, [1, 2], [0, 2])
        equation, operands = _einsum_sublists((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, o in enumerate(operands):
        if isinstance(o, np.ndarray):          # as torch: arrays are not converted for you
            raise TypeError(f"einsum(): expected Tensor as element {i} in argument 1, but got "
                            "numpy.ndarray — wrap it with teachnn.from_numpy(a) or teachnn.tensor(a)")
        if not isinstance(o, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, not {type(o).__name__}")
    inputs, output = _einsum_subscripts(equation, operands)
    dtype = _result_dtype(list(operands), [])
    return _math_ops.Einsum.apply(inputs, output, *[_cast(o, dtype) for o in operands])


def _einsum_sublists(args):
    """The sublist form (operand, [axis ids], operand, [axis ids], ..., [output ids]) as an equation."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def spell(ids):
        return "".join("..." if i is Ellipsis else letters[i] for i in ids)

    operands, terms = args[0::2], [spell(ids) for ids in args[1::2]]
    output = ""
    if len(args) % 2:                       # a trailing output sublist
        operands, output = operands[:-1], "->" + spell(args[-1])
    return ",".join(terms) + output, operands


def _einsum_subscripts(equation, operands):
    """'...ij,jk' -> (['ABij', 'jk'], 'ABik'): '...' spelt out in unused letters, output made explicit."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum(): more operands were provided than specified in the equation"
                         if len(operands) > len(terms) else
                         "einsum(): fewer operands were provided than specified in the equation")
    if not builtins.all(c.isalpha() or c == "." for c in lhs.replace(",", "") + rhs):
        raise RuntimeError(f"einsum(): invalid subscript given in equation {equation!r}: use letters a-z, A-Z")
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in equation]
    n_ellipsis = 0
    expanded = []
    for term, o in zip(terms, operands):
        if "..." in term:
            n = o._data.ndim - (len(term) - 3)
            n_ellipsis = builtins.max(n_ellipsis, n)
            term = term.replace("...", "".join(spare[len(spare) - n:]) if n > 0 else "")
        if len(term) != o._data.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) does not "
                               f"match the number of dimensions ({o._data.ndim}) for operand "
                               f"{len(expanded)}{'' if '...' in lhs else ' and no ellipsis was given'}")
        expanded.append(term)
    batch = "".join(spare[len(spare) - n_ellipsis:])
    if arrow:
        output = rhs.replace("...", batch)
    else:       # implicit output: the ellipsis, then every letter used once, in alphabetical order
        letters = "".join(expanded)
        output = batch + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in batch))
    return expanded, output


@refuses_ndarrays
def relu(input):
    return input.relu()


@accepts_out
@refuses_ndarrays
def sigmoid(input):
    return input.sigmoid()


@accepts_out
@refuses_ndarrays
def tanh(input):
    return input.tanh()


@refuses_ndarrays
@numpy_keywords
def softmax(input, dim, dtype=None):
    return input.softmax(dim, dtype=dtype)


@refuses_ndarrays
@numpy_keywords
def log_softmax(input, dim, dtype=None):
    return input.log_softmax(dim, dtype=dtype)


@refuses_ndarrays
@numpy_keywords
def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


@refuses_ndarrays
def reshape(input, shape):
    return input.reshape(shape)


@refuses_ndarrays
@numpy_keywords
def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


@refuses_ndarrays
def t(input):
    return input.t()


@refuses_ndarrays
def permute(input, dims):
    return input.permute(dims)


@refuses_ndarrays
@numpy_keywords
def squeeze(input, dim=None):
    return input.squeeze(dim)


@refuses_ndarrays
@numpy_keywords
def unsqueeze(input, dim):
    return input.unsqueeze(dim)


@refuses_ndarrays
def broadcast_to(input, size):
    return input.expand(size)


@refuses_ndarrays
def expand_copy(input, size):
    return input.expand(size).clone()


@refuses_ndarrays
def clone(input, memory_format=None):
    return input.clone()


@refuses_ndarrays
def detach(input):
    return input.detach()


@accepts_out
@refuses_ndarrays
@numpy_keywords
def where(condition, input=None, other=None):
    """``where(cond, x, y)``: x where cond is True, else y (broadcast); gradients flow to x and y."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_dtype.from_numpy_dtype(cond.dtype)}; compare first, e.g. where(x > 0, x, y)")
    scalars = [v for v in (input, other) if not isinstance(v, Tensor)]
    tensors = [v for v in (input, other) if isinstance(v, Tensor)]
    dtype = _result_dtype(tensors, scalars)
    x = _cast(input, dtype) if isinstance(input, Tensor) else Tensor(_scalar_array(input, dtype))
    y = _cast(other, dtype) if isinstance(other, Tensor) else Tensor(_scalar_array(other, dtype))
    _check_broadcast(cond.shape, x._data.shape)
    _check_broadcast(np.broadcast_shapes(cond.shape, x._data.shape), y._data.shape)
    return _ops.Where.apply(cond, x, y)


@accepts_out
@refuses_ndarrays
@numpy_keywords
def clamp(input, min=None, max=None):
    return input.clamp(min, max)


clip = clamp


@accepts_out
@refuses_ndarrays
def maximum(input, other):
    """Elementwise larger value of two tensors (broadcast)."""
    _check_tensor_arg(other, "maximum", "other")
    x, y = _binary_operands(input, other, "maximum")
    return _ops.Maximum.apply(x, y)


@accepts_out
@refuses_ndarrays
def minimum(input, other):
    _check_tensor_arg(other, "minimum", "other")
    x, y = _binary_operands(input, other, "minimum")
    return _ops.Minimum.apply(x, y)


@accepts_out
@refuses_ndarrays
def lt(input, other):
    return input < other


@accepts_out
@refuses_ndarrays
def le(input, other):
    return input <= other


@accepts_out
@refuses_ndarrays
def gt(input, other):
    return input > other


@accepts_out
@refuses_ndarrays
def ge(input, other):
    return input >= other


@accepts_out
@refuses_ndarrays
def eq(input, other):
    return input == other


@accepts_out
@refuses_ndarrays
def ne(input, other):
    return input != other


@accepts_out
@refuses_ndarrays
def logical_not(input):
    return input.logical_not()


@accepts_out
@refuses_ndarrays
def logical_and(input, other):
    return input.logical_and(other)


@accepts_out
@refuses_ndarrays
def logical_or(input, other):
    return input.logical_or(other)


@refuses_ndarrays
def isnan(input):
    return input.isnan()


@refuses_ndarrays
def isinf(input):
    return input.isinf()


@refuses_ndarrays
def isfinite(input):
    return input.isfinite()


@refuses_ndarrays
@numpy_keywords
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return input.isclose(other, rtol, atol, equal_nan)


@refuses_ndarrays
@numpy_keywords
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if |input - other| <= atol + rtol * |other| everywhere (shapes must broadcast)."""
    o = other._data if isinstance(other, Tensor) else np.asarray(other)
    _check_broadcast(input._data.shape, np.shape(o))
    return builtins.bool(np.allclose(input._data, o, rtol=rtol, atol=atol, equal_nan=equal_nan))


@refuses_ndarrays
def equal(input, other):
    """True if both tensors have the same shape and the same values."""
    return input._data.shape == other._data.shape and builtins.bool(np.array_equal(input._data, other._data))


from ._serialization import save, load  # noqa: E402  (pickle with weights_only, as PyTorch)


@refuses_ndarrays
@numpy_keywords
def flip(input, dims):
    return input.flip(dims)


@refuses_ndarrays
@numpy_keywords
def roll(input, shifts, dims=None):
    return input.roll(shifts, dims)


@refuses_ndarrays
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    return input.unique(sorted, return_inverse, return_counts, dim)


@accepts_out
@refuses_ndarrays
def log1p(input):
    return input.log1p()


@accepts_out
@refuses_ndarrays
def expm1(input):
    return input.expm1()


@refuses_ndarrays
@numpy_keywords
def gather(input, dim, index):
    return input.gather(dim, index)


@refuses_ndarrays
def scatter(input, dim, index, src=None, value=None, reduce=None):
    return input.scatter(dim, index, src, value, reduce)


@refuses_ndarrays
def scatter_add(input, dim, index, src):
    return input.scatter_add(dim, index, src)


@refuses_ndarrays
@numpy_keywords
def index_select(input, dim, index):
    return input.index_select(dim, index)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """``input`` with each element repeated ``repeats`` times along ``dim``; with one argument,
    ``repeat_interleave(counts)`` gives each index i ``counts[i]`` times."""
    if repeats is None:
        _check_tensor_arg(input, "repeat_interleave", "repeats")
        counts = input._data
        if not (np.issubdtype(counts.dtype, np.integer) and counts.ndim == 1):
            raise RuntimeError("repeat_interleave(repeats): repeats must be a 1-d tensor of ints")
        return tensor(np.arange(counts.shape[0])).repeat_interleave(input, output_size=output_size)
    _check_tensor_arg(input, "repeat_interleave")
    return input.repeat_interleave(repeats, dim, output_size=output_size)


@refuses_ndarrays
def masked_fill(input, mask, value):
    return input.masked_fill(mask, value)


@refuses_ndarrays
def argwhere(input):
    return input.nonzero()


@refuses_ndarrays
def nonzero(input, as_tuple=False):
    return input.nonzero(as_tuple)


@accepts_out
@refuses_ndarrays
def rsqrt(input):
    return input.rsqrt()


@accepts_out
@refuses_ndarrays
def reciprocal(input):
    return input.reciprocal()


@refuses_ndarrays
@numpy_keywords
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    return input.norm(p, dim, keepdim, dtype=dtype)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids (no gradient). Like torch, ``indexing`` defaults to 'ij'."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return tuple(Tensor(g.copy()) for g in np.meshgrid(*[t._data for t in tensors], indexing=indexing))


def set_num_threads(n):
    """Threads used by the Numba kernels (``numba.set_num_threads``)."""
    import numba
    numba.set_num_threads(builtins.max(1, builtins.min(builtins.int(n), numba.config.NUMBA_NUM_THREADS)))


def get_num_threads():
    import numba
    return numba.get_num_threads()


@refuses_ndarrays
def bincount(input, weights=None, minlength=0):
    w = None if weights is None else weights._data
    return Tensor(np.bincount(input._data, weights=w, minlength=minlength).astype(
        np.int64 if w is None else w.dtype))
