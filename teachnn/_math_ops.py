"""The differentiable elementwise math and reductions beyond the basic ones in ``_ops.py``:
hyperbolic and inverse trigonometric functions, ``erf``, ``log2``, rounding, ``atan2``,
``hypot``, ``lerp``, ``cumprod``, ``kthvalue``, ``einsum``, ...

Most elementwise functions differ only in their formula and derivative, so each one is a
row of ``_UNARY`` below: ``y = f(x)`` and ``dy/dx`` written from ``x`` and ``y``. The
backward is the chain rule, ``dL/dx = dL/dy * dy/dx``. As in ``_ops.py``, ``forward``
reads the arrays through ``x._data`` and ``backward`` returns ndarrays.
"""
import math

import numpy as np

from ._ops import Index
from .autograd.function import Function, unbroadcast
from .tensor import Tensor

__all__ = ["UNARY", "Atan2", "Hypot", "Logaddexp", "Fmax", "Fmin", "Fmod", "Lerp", "LerpTensor", "Cumprod",
           "Kthvalue", "MedianDim", "MedianAll", "Trace", "SortValues", "TopkValues", "Cummax", "NanToNum", "VectorNorm", "Dist", "Svdvals", "Einsum", "RoundDecimals", "erf", "erfinv"]

_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def erf(a):
    """erf of every element (NumPy has none; the C library's, computed in float64)."""
    return _erf(a).astype(a.dtype, copy=False) if a.size else a.copy()


def erfc(a):
    return _erfc(a).astype(a.dtype, copy=False) if a.size else a.copy()


def erfinv(a):
    """Inverse of erf: Giles' single-precision approximation, then Newton steps in float64."""
    x = a.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1.0 - x) * (1.0 + x))
        small = w < 5.0
        ws, wl = w - 2.5, np.sqrt(w) - 3.0
        p_s = np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                          0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941], ws)
        p_l = np.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                          0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682], wl)
        y = np.where(small, p_s, p_l) * x
        for _ in range(3):          # Newton: y -= (erf(y) - x) / erf'(y)
            step = (_erf(y) - x) / (2.0 / math.sqrt(math.pi) * np.exp(-y * y))
            y = np.where(np.isfinite(step), y - step, y)
        y = np.where(x == 1, np.inf, np.where(x == -1, -np.inf, y))
        y = np.where(np.abs(x) > 1, np.nan, y)
    return y.astype(a.dtype, copy=False)


_LN2, _LN10, _TWO_OVER_SQRT_PI = math.log(2.0), math.log(10.0), 2.0 / math.sqrt(math.pi)


def _zero(x, y):
    return np.zeros_like(x)


# name: (PyTorch's backward-node name, forward f(x), derivative dy/dx from (x, y))
_UNARY = {
    "sinh": ("SinhBackward0", np.sinh, lambda x, y: np.cosh(x)),
    "cosh": ("CoshBackward0", np.cosh, lambda x, y: np.sinh(x)),
    "tan": ("TanBackward0", np.tan, lambda x, y: 1 + y * y),
    "asin": ("AsinBackward0", np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x)),
    "acos": ("AcosBackward0", np.arccos, lambda x, y: -1 / np.sqrt(1 - x * x)),
    "atan": ("AtanBackward0", np.arctan, lambda x, y: 1 / (1 + x * x)),
    "asinh": ("AsinhBackward0", np.arcsinh, lambda x, y: 1 / np.sqrt(x * x + 1)),
    "acosh": ("AcoshBackward0", np.arccosh, lambda x, y: 1 / np.sqrt(x * x - 1)),
    "atanh": ("AtanhBackward0", np.arctanh, lambda x, y: 1 / (1 - x * x)),
    "log2": ("Log2Backward0", np.log2, lambda x, y: 1 / (x * _LN2)),
    "log10": ("Log10Backward0", np.log10, lambda x, y: 1 / (x * _LN10)),
    "exp2": ("Exp2Backward0", np.exp2, lambda x, y: y * _LN2),
    "erf": ("ErfBackward0", erf, lambda x, y: _TWO_OVER_SQRT_PI * np.exp(-x * x)),
    "erfc": ("ErfcBackward0", erfc, lambda x, y: -_TWO_OVER_SQRT_PI * np.exp(-x * x)),
    "erfinv": ("ErfinvBackward0", erfinv, lambda x, y: math.sqrt(math.pi) / 2 * np.exp(y * y)),
    "rsqrt": ("RsqrtBackward0", lambda x: 1 / np.sqrt(x), lambda x, y: -0.5 * y * y * y),
    "frac": ("FracBackward0", lambda x: x - np.trunc(x), lambda x, y: np.ones_like(x)),
    # piecewise constant: the derivative is 0 wherever it exists (PyTorch's choice too)
    "floor": ("FloorBackward0", np.floor, _zero),
    "ceil": ("CeilBackward0", np.ceil, _zero),
    "round": ("RoundBackward0", np.round, _zero),
    "trunc": ("TruncBackward0", np.trunc, _zero),
    "sign": ("SignBackward0", np.sign, _zero),
    "sgn": ("SgnBackward0", np.sign, _zero),
}


class _Unary(Function):
    """y = f(x) elementwise; a subclass per row of ``_UNARY`` fills in ``f`` and ``df``."""
    f = df = None

    @classmethod
    def forward(cls, ctx, x):
        with np.errstate(all="ignore"):
            y = np.asarray(cls.f(x._data)).astype(x._data.dtype, copy=False)
        ctx.arrays = (x._data, y)
        return Tensor(y)

    @classmethod
    def backward(cls, ctx, grad_out):
        x, y = ctx.arrays
        with np.errstate(all="ignore"):
            return grad_out._data * cls.df(x, y)


UNARY = {name: type(name.capitalize(), (_Unary,), {"_backward_name": node, "f": staticmethod(f),
                                                  "df": staticmethod(df)})
         for name, (node, f, df) in _UNARY.items()}


class RoundDecimals(Function):
    """round(x * 10**d) / 10**d, half to even like PyTorch; the gradient is 0."""
    _backward_name = "RoundBackward1"

    @staticmethod
    def forward(ctx, x, decimals):
        return Tensor(np.round(x._data, decimals))

    @staticmethod
    def backward(ctx, grad_out):
        return np.zeros_like(grad_out._data), None


# ----------------------------------------------------------------------------------------
# binary: z = f(x, y), broadcasting; each gradient is summed back to its input's shape
# ----------------------------------------------------------------------------------------
class Atan2(Function):
    _backward_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, x, y):
        ctx.arrays = (x._data, y._data)
        return Tensor(np.arctan2(x._data, y._data))

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.arrays                       # d atan2(x, y) = (y dx - x dy) / (x^2 + y^2)
        g = grad_out._data
        with np.errstate(all="ignore"):
            r2 = x * x + y * y
            return unbroadcast(g * y / r2, x.shape), unbroadcast(-g * x / r2, y.shape)


class Hypot(Function):
    _backward_name = "HypotBackward0"

    @staticmethod
    def forward(ctx, x, y):
        out = np.hypot(x._data, y._data)
        ctx.arrays = (x._data, y._data, out)
        return Tensor(out)

    @staticmethod
    def backward(ctx, grad_out):
        x, y, out = ctx.arrays                  # d sqrt(x^2 + y^2)/dx = x / out
        g = grad_out._data
        with np.errstate(all="ignore"):
            return unbroadcast(g * x / out, x.shape), unbroadcast(g * y / out, y.shape)


class Logaddexp(Function):
    _backward_name = "LogaddexpBackward0"

    @staticmethod
    def forward(ctx, x, y):
        out = np.logaddexp(x._data, y._data)
        ctx.arrays = (x._data, y._data, out)
        return Tensor(out)

    @staticmethod
    def backward(ctx, grad_out):
        x, y, out = ctx.arrays                  # d log(e^x + e^y)/dx = e^x / (e^x + e^y)
        g = grad_out._data
        return unbroadcast(g * np.exp(x - out), x.shape), unbroadcast(g * np.exp(y - out), y.shape)


class Fmax(Function):
    """max ignoring NaN; at ties the whole gradient goes to x (unlike maximum, which splits)."""
    _backward_name = "FmaxBackward0"
    _ufunc, _compare = np.fmax, np.greater_equal

    @classmethod
    def forward(cls, ctx, x, y):
        ctx.to_x = cls._compare(x._data, y._data) | np.isnan(y._data)
        ctx.shapes = (x._data.shape, y._data.shape)
        return Tensor(cls._ufunc(x._data, y._data))

    @classmethod
    def backward(cls, ctx, grad_out):
        g = grad_out._data
        return unbroadcast(np.where(ctx.to_x, g, 0), ctx.shapes[0]), unbroadcast(np.where(ctx.to_x, 0, g),
                                                                                 ctx.shapes[1])


class Fmin(Fmax):
    _backward_name = "FminBackward0"
    _ufunc, _compare = np.fmin, np.less_equal


class Fmod(Function):
    """C's fmod: the remainder has the sign of x. d/dx = 1, d/dy = -trunc(x / y)."""
    _backward_name = "FmodBackward1"

    @staticmethod
    def forward(ctx, x, y):
        ctx.arrays = (x._data, y._data)
        with np.errstate(all="ignore"):
            return Tensor(np.asarray(np.fmod(x._data, y._data)))

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.arrays
        g = grad_out._data
        with np.errstate(all="ignore"):
            return unbroadcast(g, x.shape), unbroadcast(-g * np.trunc(x / y), y.shape)


class Lerp(Function):
    """start + weight * (end - start) with a number as weight."""
    _backward_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.shapes, ctx.weight = (start._data.shape, end._data.shape), weight
        return Tensor((start._data + weight * (end._data - start._data)).astype(start._data.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        g, w = grad_out._data, ctx.weight
        return unbroadcast(g * (1 - w), ctx.shapes[0]), unbroadcast(g * w, ctx.shapes[1]), None


class LerpTensor(Function):
    _backward_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.arrays = (start._data, end._data, weight._data)
        return Tensor(start._data + weight._data * (end._data - start._data))

    @staticmethod
    def backward(ctx, grad_out):
        s, e, w = ctx.arrays
        g = grad_out._data
        return unbroadcast(g * (1 - w), s.shape), unbroadcast(g * w, e.shape), unbroadcast(g * (e - s), w.shape)


# ----------------------------------------------------------------------------------------
# along one axis
# ----------------------------------------------------------------------------------------
class Cumprod(Function):
    """Running product along ``dim``: [1, 2, 3] -> [1, 2, 6]."""
    _backward_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.x, ctx.dim = x._data, dim
        return Tensor(np.cumprod(x._data, axis=dim))

    @staticmethod
    def backward(ctx, grad_out):
        # y_j = prod_{k<=j} x_k  ->  dL/dx_i = prod_{k<i} x_k * S_i with
        # S_i = sum_{j>=i} g_j * prod_{i<k<=j} x_k = g_i + x_{i+1} * S_{i+1}
        # (no division, so zeros in x are handled exactly)
        x = np.moveaxis(ctx.x, ctx.dim, 0)                        # (L, ...)
        g = np.moveaxis(grad_out._data, ctx.dim, 0)
        before = np.ones_like(x)
        before[1:] = np.cumprod(x[:-1], axis=0)                    # prod_{k<i} x_k
        s = np.empty_like(g)
        if len(x):
            s[-1] = g[-1]
        for i in range(len(x) - 2, -1, -1):
            s[i] = g[i] + x[i + 1] * s[i + 1]
        return np.moveaxis(before * s, 0, ctx.dim), None


class Kthvalue(Function):
    """The k-th smallest value along ``dim`` and its index; the gradient goes to that index."""
    _backward_name = "KthvalueBackward0"

    @staticmethod
    def forward(ctx, x, k, dim, keepdim):
        order = np.argsort(x._data, axis=dim, kind="stable")
        index = np.take(order, [k - 1], axis=dim)                  # keepdim shape
        values = np.take_along_axis(x._data, index, axis=dim)
        ctx.index, ctx.dim, ctx.shape = index, dim, x._data.shape
        if not keepdim:
            index, values = np.squeeze(index, dim), np.squeeze(values, dim)
        indices = Tensor(index.astype(np.int64))
        ctx.mark_non_differentiable(indices)
        return Tensor(values), indices

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        grad = np.zeros(ctx.shape, dtype=grad_values._data.dtype)
        g = grad_values._data.reshape(ctx.index.shape)
        np.put_along_axis(grad, ctx.index, g, axis=ctx.dim)
        return grad, None, None, None


class MedianDim(Kthvalue):
    """median(dim): the ((n - 1) // 2 + 1)-th smallest value, PyTorch's lower median."""
    _backward_name = "MedianBackward1"


class MedianAll(Function):
    """The lower median of every element; its gradient goes to the element it came from."""
    _backward_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, x):
        flat = x._data.reshape(-1)
        position = int(np.argsort(flat, kind="stable")[(flat.size - 1) // 2])
        ctx.shape, ctx.position = x._data.shape, position
        return Tensor(np.asarray(flat[position]))

    @staticmethod
    def backward(ctx, grad_out):
        grad = np.zeros(int(np.prod(ctx.shape)), dtype=grad_out._data.dtype)
        grad[ctx.position] = grad_out._data
        return grad.reshape(ctx.shape)


class Trace(Function):
    """Sum of the main diagonal; dL/dx is g on the diagonal, 0 elsewhere."""
    _backward_name = "TraceBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x._data.shape
        return Tensor(np.asarray(np.trace(x._data), dtype=x._data.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        return np.eye(*ctx.shape, dtype=grad_out._data.dtype) * grad_out._data


class SortValues(Index):
    """The values of ``sort``: picked by the sorting order, so the gradient goes back there."""
    _backward_name = "SortBackward0"


class TopkValues(Index):
    _backward_name = "TopkBackward0"


class Cummax(Function):
    """Running max along ``dim`` and where it was reached (the latest index at ties, as torch);
    the gradient of each output goes to that index."""
    _backward_name = "CummaxBackward0"
    _better = staticmethod(np.greater_equal)

    @classmethod
    def forward(cls, ctx, x, dim):
        a = np.moveaxis(x._data, dim, 0)                          # (L, ...)
        values, index = np.empty_like(a), np.zeros(a.shape, dtype=np.int64)
        for i in range(len(a)):
            if i == 0:
                values[0], index[0] = a[0], 0
                continue
            take = cls._better(a[i], values[i - 1]) | np.isnan(a[i])
            values[i] = np.where(take, a[i], values[i - 1])
            index[i] = np.where(take, i, index[i - 1])
        ctx.index, ctx.dim, ctx.shape = np.moveaxis(index, 0, dim), dim, x._data.shape
        indices = Tensor(ctx.index)
        ctx.mark_non_differentiable(indices)
        return Tensor(np.moveaxis(values, 0, dim)), indices

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        grad = np.zeros(ctx.shape, dtype=grad_values._data.dtype)
        grids = list(np.indices(ctx.shape, sparse=True))
        grids[ctx.dim] = ctx.index
        np.add.at(grad, tuple(grids), grad_values._data)
        return grad, None


class Cummin(Cummax):
    _backward_name = "CumminBackward0"
    _better = staticmethod(np.less_equal)


class NanToNum(Function):
    """NaN -> nan, +inf -> posinf, -inf -> neginf; the gradient passes only where x was finite."""
    _backward_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.finite = np.isfinite(x._data)
        return Tensor(np.nan_to_num(x._data, nan=nan, posinf=posinf, neginf=neginf))

    @staticmethod
    def backward(ctx, grad_out):
        return np.where(ctx.finite, grad_out._data, 0), None, None, None


# ----------------------------------------------------------------------------------------
# norms
# ----------------------------------------------------------------------------------------
class VectorNorm(Function):
    """||x||_p over ``dims`` (None: every element): (sum |x|^p)^(1/p); p = inf: max |x|,
    -inf: min |x|, 0: the number of non-zeros."""
    _backward_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        a = np.abs(x._data)
        if p == math.inf:
            out = np.max(a, axis=dims, keepdims=True, initial=0)
        elif p == -math.inf:
            out = np.min(a, axis=dims, keepdims=True)
        elif p == 0:
            out = np.sum(a != 0, axis=dims, keepdims=True).astype(a.dtype)
        elif p == 1:
            out = np.sum(a, axis=dims, keepdims=True)
        elif p == 2:
            out = np.sqrt(np.sum(a * a, axis=dims, keepdims=True))
        else:
            out = np.sum(a ** p, axis=dims, keepdims=True) ** (1.0 / p)
        ctx.x, ctx.p, ctx.out, ctx.dims, ctx.keepdim = x._data, p, out, dims, keepdim
        return Tensor(np.asarray(out if keepdim else np.squeeze(out, axis=dims), dtype=x._data.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        x, p, out = ctx.x, ctx.p, ctx.out
        g = grad_out._data if ctx.keepdim else np.expand_dims(grad_out._data, ctx.dims if ctx.dims is not None
                                                              else tuple(range(x.ndim)))
        with np.errstate(all="ignore"):
            if p == 0:
                local = np.zeros_like(x)
            elif math.isinf(p):         # the gradient is shared by the entries that reach the max (min)
                hit = np.abs(x) == out
                local = np.sign(x) * hit / np.sum(hit, axis=ctx.dims, keepdims=True)
            elif p == 1:
                local = np.sign(x)
            elif p == 2:
                local = np.where(out == 0, 0, x / out)
            else:               # d/dx (sum |x|^p)^(1/p) = sign(x) |x|^(p-1) / norm^(p-1)
                local = np.where(out == 0, 0, np.sign(x) * np.abs(x) ** (p - 1) / out ** (p - 1))
        return g * local, None, None, None


class Dist(Function):
    """||x - y||_p over every element (x and y broadcast): the vector norm of the difference."""
    _backward_name = "DistBackward0"

    @staticmethod
    def forward(ctx, x, y, p):
        ctx.shapes = (x._data.shape, y._data.shape)
        return VectorNorm.forward(ctx, Tensor(x._data - y._data), p, None, False)

    @staticmethod
    def backward(ctx, grad_out):
        g = VectorNorm.backward(ctx, grad_out)[0]                  # dL/d(x - y)
        return unbroadcast(g, ctx.shapes[0]), unbroadcast(-g, ctx.shapes[1]), None


class Svdvals(Function):
    """The singular values of (a stack of) matrices, largest first; dL/dA = U diag(g) V^T."""
    _backward_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, x):
        u, s, vt = np.linalg.svd(x._data, full_matrices=False)
        ctx.u, ctx.vt = u, vt
        return Tensor(s.astype(x._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad_out):
        return (ctx.u * grad_out._data[..., None, :]) @ ctx.vt


def _mT(a):
    return None if a is None else np.swapaxes(a, -1, -2)


def _svd_backward(gU, gS, gVh, U, S, Vh):
    """PyTorch's svd_backward (real case) for the reduced SVD A = U diag(S) Vh, (..., m, k) (k) (k, n).

    gU / gVh are None when U / Vh did not reach the loss. With E_jk = S_k^2 - S_j^2:
    gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] Vh + (I - U U^T) gU S^-1 Vh.
    Repeated singular values make E zero off the diagonal: the gradient is then inf/nan, as in PyTorch.
    """
    if gU is None and gVh is None:                         # only S was used: U diag(gS) Vh
        return (U * gS[..., None, :]) @ Vh
    m, n = U.shape[-2], Vh.shape[-1]
    if m < n:                                              # wide: differentiate A^T = V S U^T
        return _mT(_svd_backward(_mT(gVh), gS, _mT(gU), _mT(Vh), S, _mT(U)))
    V, gV = _mT(Vh), _mT(gVh)

    def skew(x):
        return x - _mT(x)

    S2 = S * S
    E = S2[..., None, :] - S2[..., :, None]                # (..., k, k)
    k = S.shape[-1]
    E[..., range(k), range(k)] = 1
    with np.errstate(divide="ignore", invalid="ignore"):
        if gU is not None and gV is not None:
            gA = (skew(_mT(U) @ gU) * S[..., None, :] + S[..., :, None] * skew(_mT(V) @ gV)) / E
        elif gU is not None:
            gA = skew(_mT(U) @ gU) * (S[..., None, :] / E)
        else:
            gA = S[..., :, None] * (skew(_mT(V) @ gV) / E)
        gA[..., range(k), range(k)] += gS
        if m > n and gU is not None:                       # tall: gU's part outside span(U)
            gUSinv = gU / S[..., None, :]                  # (..., m, k)
            return (U @ gA + gUSinv - U @ (_mT(U) @ gUSinv)) @ Vh
        return U @ gA @ Vh


class LinalgSvd(Function):
    """``linalg.svd``: A = U diag(S) Vh, singular values largest first (LAPACK via NumPy)."""
    _backward_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, x, full_matrices):
        a = x._data
        if not np.all(np.isfinite(a)):
            raise RuntimeError("linalg.svd: The algorithm failed to converge because the input matrix "
                               "contained non-finite values.")
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        out = tuple(Tensor(f.astype(a.dtype, copy=False)) for f in (u, s, vh))
        ctx.save_for_backward(*out)                        # changing U, S or Vh in place is refused
        return out

    @staticmethod
    def backward(ctx, grad_u, grad_s, grad_vh):
        U, S, Vh = (t._data for t in ctx.saved_tensors)
        k = S.shape[-1]
        # teachnn hands zeros for outputs the loss did not use: treat them as absent, as PyTorch does
        gU = grad_u._data[..., :, :k] if np.any(grad_u._data) else None
        gVh = grad_vh._data[..., :k, :] if np.any(grad_vh._data) else None
        # only the reduced factors matter: PyTorch ignores the extra columns of a full U / Vh
        return _svd_backward(gU, grad_s._data, gVh, U[..., :, :k], S, Vh[..., :k, :]), None


# ----------------------------------------------------------------------------------------
# einsum
# ----------------------------------------------------------------------------------------
class Einsum(Function):
    """``einsum(equation, *operands)`` with explicit output (the caller expands '...' and '->').

    The gradient for operand i is itself an einsum: contract the output gradient with every
    other operand onto operand i's letters. A letter repeated in operand i (a diagonal,
    'ii->') is written back onto that diagonal; a letter only operand i has (summed away) is
    broadcast back by contracting with ones.
    """
    _backward_name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, inputs, output, *operands):
        ctx.inputs, ctx.output = inputs, output
        ctx.arrays = [o._data for o in operands]
        return Tensor(np.asarray(np.einsum(",".join(inputs) + "->" + output, *ctx.arrays)))

    @staticmethod
    def backward(ctx, grad_out):
        grads = [None, None]
        g = grad_out._data
        sizes = {}
        for letters, a in zip(ctx.inputs, ctx.arrays):
            sizes.update(zip(letters, a.shape))
        for i, (letters, a) in enumerate(zip(ctx.inputs, ctx.arrays)):
            if not ctx.needs_input_grad[i + 2]:
                grads.append(None)
                continue
            unique = "".join(dict.fromkeys(letters))               # 'ii' -> 'i'
            others = [(s, o) for j, (s, o) in enumerate(zip(ctx.inputs, ctx.arrays)) if j != i]
            known = set(ctx.output).union(*[set(s) for s, _ in others])
            missing = "".join(c for c in unique if c not in known)
            terms = [ctx.output] + [s for s, _ in others]
            arrays = [g] + [o for _, o in others]
            if missing:                                            # broadcast back what was summed away
                terms.append(missing)
                arrays.append(np.ones([sizes[c] for c in missing], dtype=g.dtype))
            small = np.einsum(",".join(terms) + "->" + unique, *arrays)
            if unique == letters:
                grads.append(small)
                continue
            full = np.zeros(a.shape, dtype=g.dtype)
            np.einsum(letters + "->" + unique, full)[...] = small   # a writeable diagonal view
            grads.append(full)
        return tuple(grads)
