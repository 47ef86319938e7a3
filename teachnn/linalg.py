"""``teachnn.linalg``: the norms of ``torch.linalg`` (``vector_norm``, ``matrix_norm``, ``norm``),
``svd`` and ``svdvals``, differentiable. ``teachnn.svd`` (the older API returning V) lives here
too. ``Tensor.norm`` and ``teachnn.norm`` / ``teachnn.dist`` use them.
"""
import math
from collections import namedtuple

import numpy as np

from . import _math_ops
from ._arguments import refuses_ndarrays
from ._errors import numpy_keywords
from ._promotion import _is_float_array
from ._shapes import _norm_dim, _norm_dims
from .tensor import Tensor

__all__ = ["vector_norm", "matrix_norm", "norm", "svd", "svdvals", "cross"]

_C_TYPE = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _float_input(x, name, dtype):
    if not isinstance(x, Tensor):
        raise TypeError(f"linalg.{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    if dtype is not None:
        x = x.to(dtype)
    if not _is_float_array(x._data):
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_C_TYPE.get(x._data.dtype.name, x._data.dtype.name)}; convert first with x.float()")
    return x


@refuses_ndarrays
@numpy_keywords
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """(sum |x|^ord)^(1/ord) over ``dim`` (every element when None); ord may be inf, -inf or 0."""
    x = _float_input(x, "vector_norm", dtype)
    if isinstance(ord, str) or isinstance(ord, bool):
        raise TypeError(f"linalg.vector_norm(): argument 'ord' must be a number, not {type(ord).__name__}")
    dims = None if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0) \
        else _norm_dims(dim, x._data.ndim)
    if x._data.ndim == 0:
        return _math_ops.VectorNorm.apply(x, float(ord), None, keepdim)
    return _math_ops.VectorNorm.apply(x, float(ord), dims, keepdim)


@refuses_ndarrays
def svdvals(A):
    """The singular values of a matrix (or a stack of them), largest first."""
    A = _float_input(A, "svdvals", None)
    if A._data.ndim < 2:
        raise RuntimeError(f"linalg.svdvals: The input tensor A must have at least 2 dimensions, got {A._data.ndim}")
    _refuse_half(A)
    return _math_ops.Svdvals.apply(A)


def _result_type(name, fields):
    """A named tuple that prints like torch.return_types.<name>."""
    base = namedtuple(name, fields)

    def __repr__(self):
        inner = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"teachnn.return_types.{name}(\n{inner})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


_LinalgSvdResult = _result_type("linalg_svd", ["U", "S", "Vh"])
_SvdResult = _result_type("svd", ["U", "S", "V"])


def _svd_input(A, name):
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(A).__name__}")
    if not _is_float_array(A._data):
        raise RuntimeError(f"linalg.svd: Expected a floating point or complex tensor as input. Got "
                           f"{_C_TYPE.get(A._data.dtype.name, A._data.dtype.name)}; convert first with A.float()")
    if A._data.ndim < 2:
        raise RuntimeError(f"linalg.svd: The input tensor A must have at least 2 dimensions, got "
                           f"{A._data.ndim}; an SVD factors matrices (..., m, n)")
    _refuse_half(A)
    return A


def _refuse_half(A):
    # LAPACK has no half-precision SVD; PyTorch's CPU kernel is not built for it either
    if A._data.dtype == np.float16:
        raise NotImplementedError("\"linalg_svd_cpu\" not implemented for 'Half'; convert first with A.float()")


@refuses_ndarrays
def svd(A, full_matrices=True, *, driver=None):
    """A = U diag(S) Vh for (a stack of) matrices (..., m, n), singular values largest first.

    With full_matrices=True U is (..., m, m) and Vh (..., n, n); with False they are (..., m, k)
    and (..., k, n), k = min(m, n). Each singular vector is fixed only up to its sign.
    """
    A = _svd_input(A, "linalg_svd")
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs "
                           "with cuSOLVER backend.")
    return _LinalgSvdResult(*_math_ops.LinalgSvd.apply(A, bool(full_matrices)))


def _svd_deprecated(input, some=True, compute_uv=True):
    """``torch.svd``: (U, S, V) with A = U diag(S) V^T (V, not Vh); ``some=False`` gives full U and V.
    With compute_uv=False only S is computed and U, V are zero matrices (m, m) and (n, n)."""
    A = _svd_input(input, "svd")
    if not compute_uv:
        m, n = A._data.shape[-2:]
        batch = A._data.shape[:-2]
        zeros = np.zeros
        return _SvdResult(Tensor(zeros(batch + (m, m), A._data.dtype)), svdvals(A),
                          Tensor(zeros(batch + (n, n), A._data.dtype)))
    U, S, Vh = _math_ops.LinalgSvd.apply(A, not some)
    return _SvdResult(U, S, Vh.mT)


@refuses_ndarrays
@numpy_keywords
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """'fro', 'nuc', 2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum
    of |A|), inf / -inf (max / min row sum of |A|) of the matrices in the two axes ``dim``."""
    A = _float_input(A, "matrix_norm", dtype)
    if A._data.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions, got "
                           f"{A._data.ndim}; use linalg.vector_norm for vectors")
    rows, cols = (_norm_dim(d, A._data.ndim) for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        rest = [d for d in range(A._data.ndim) if d not in (rows, cols)]
        s = svdvals(A.permute(*rest, rows, cols))                    # (..., k)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            for d in sorted((rows, cols)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        summed, picked = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = A.abs().sum(summed, keepdim=True)
        out = sums.amax(picked, keepdim=True) if ord > 0 else sums.amin(picked, keepdim=True)
        return out if keepdim else out.squeeze((rows, cols))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported (use 'fro', 'nuc', 1, -1, 2, -2, inf or -inf)")


@refuses_ndarrays
@numpy_keywords
def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm, or a matrix norm when ``dim`` names two axes (or A is 2-d and ``ord`` is given)."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    ndim = A._data.ndim if isinstance(A, Tensor) else 0
    if (dim is not None and len(dim) == 2) or (dim is None and ndim == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2 to use ord={ord!r}; "
                           "'fro' and 'nuc' are matrix norms")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)



@refuses_ndarrays
def cross(input, other, *, dim=-1):
    """Cross product of 3-vectors along ``dim`` (default: the last axis), broadcasting the rest."""
    from ._tensor_math import _linalg_cross
    if not isinstance(input, Tensor):
        raise TypeError(f"linalg_cross(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return _linalg_cross(input, other, dim)
