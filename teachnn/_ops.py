"""The basic differentiable operations behind ``Tensor``'s methods.

Each operation is a small ``Function``: ``forward`` computes with NumPy on ``x._data``,
``backward`` receives dL/d(output) and returns dL/d(input) for every input, right next
to it (chain rule, one local derivative at a time). Read any class on its own.

Conventions used below:
* ``g`` is the incoming gradient as an ndarray (``grad_out._data``), shaped like the output;
* ``unbroadcast(grad, shape)`` undoes NumPy broadcasting: an input of shape (3,) that was
  broadcast to (2, 3) in forward receives the sum of the (2, 3) gradient over axis 0.
* ``_backward_name`` is the name PyTorch gives the node (``AddBackward0``), so that
  ``y.grad_fn`` prints the same in both libraries.
"""
import numpy as np

from .autograd.function import Context, Function, unbroadcast
from .kernels import elementwise, normalization
from .tensor import Tensor

__all__ = ["unbroadcast"]



def _as_out(array, dtype):
    """Wrap a NumPy result as a Tensor of the given dtype (NumPy scalars become 0-d arrays)."""
    return Tensor(np.asarray(array, dtype=dtype))


# ----------------------------------------------------------------------------------------
# arithmetic: z = x (op) y, with broadcasting
# ----------------------------------------------------------------------------------------
class Add(Function):
    _backward_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x, y, alpha=1):
        a, b = x._data, y._data
        ctx.shapes = (a.shape, b.shape)
        ctx.alpha = alpha
        return Tensor(a + b if alpha == 1 else a + alpha * b)

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data                        # dz/dx = 1, dz/dy = alpha
        x_shape, y_shape = ctx.shapes
        gy = g if ctx.alpha == 1 else g * ctx.alpha
        return unbroadcast(g, x_shape), unbroadcast(gy, y_shape), None


class Sub(Function):
    _backward_name = "SubBackward0"

    @staticmethod
    def forward(ctx, x, y, alpha=1):
        ctx.shapes = (x._data.shape, y._data.shape)
        ctx.alpha = alpha
        return Tensor(x._data - y._data if alpha == 1 else x._data - alpha * y._data)

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data                        # dz/dx = 1, dz/dy = -alpha
        x_shape, y_shape = ctx.shapes
        return unbroadcast(g, x_shape), unbroadcast(-ctx.alpha * g, y_shape), None


class RSub(Function):
    """``scalar - x`` (PyTorch calls it rsub)."""
    _backward_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, x, scalar):
        return Tensor(np.asarray(scalar - x._data, dtype=x._data.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out._data, None


class Mul(Function):
    _backward_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return Tensor(x._data * y._data)

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        g = grad_out._data                        # dz/dx = y, dz/dy = x
        gx = unbroadcast(g * y._data, x._data.shape) if ctx.needs_input_grad[0] else None
        gy = unbroadcast(g * x._data, y._data.shape) if ctx.needs_input_grad[1] else None
        return gx, gy


class Div(Function):
    _backward_name = "DivBackward0"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):   # 1/0 = inf silently, as torch
            return Tensor(x._data / y._data)

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        g = grad_out._data                        # dz/dx = 1/y, dz/dy = -x/y^2
        gx = unbroadcast(g / y._data, x._data.shape) if ctx.needs_input_grad[0] else None
        gy = (unbroadcast(-g * x._data / (y._data * y._data), y._data.shape)
              if ctx.needs_input_grad[1] else None)
        return gx, gy


class Reciprocal(Function):
    _backward_name = "ReciprocalBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            y = 1 / x._data
        out = Tensor(y)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors                 # d(1/x)/dx = -1/x^2 = -y^2
        return -grad_out._data * y._data * y._data


class Neg(Function):
    _backward_name = "NegBackward0"

    @staticmethod
    def forward(ctx, x):
        return Tensor(-x._data)

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out._data


class PowScalar(Function):
    """``x ** p`` with a number ``p``."""
    _backward_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        with np.errstate(all="ignore"):
            return Tensor(np.asarray(x._data ** p, dtype=x._data.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors                 # d(x^p)/dx = p * x^(p-1)
        p = ctx.p
        if p == 0:
            return np.zeros_like(x._data), None
        return grad_out._data * p * x._data ** (p - 1), None


class PowTensor(Function):
    """``x ** y`` with both Tensors."""
    _backward_name = "PowBackward1"

    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(all="ignore"):
            out = Tensor(x._data ** y._data)
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, y, out = ctx.saved_tensors
        g = grad_out._data
        gx = gy = None
        if ctx.needs_input_grad[0]:              # d(x^y)/dx = y * x^(y-1)
            gx = unbroadcast(g * y._data * x._data ** (y._data - 1), x._data.shape)
        if ctx.needs_input_grad[1]:              # d(x^y)/dy = x^y * ln(x)   (0 where x == 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_x = np.where(x._data == 0, 0, np.log(np.where(x._data == 0, 1, x._data)))
            gy = unbroadcast(g * out._data * log_x, y._data.shape)
        return gx, gy


class RPow(Function):
    """``c ** x`` with a number ``c``."""
    _backward_name = "PowBackward2"

    @staticmethod
    def forward(ctx, x, base):
        with np.errstate(all="ignore"):
            out = Tensor(np.asarray(np.power(base, x._data), dtype=x._data.dtype))
        ctx.save_for_backward(out)
        ctx.base = base
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors               # d(c^x)/dx = c^x * ln(c)
        return grad_out._data * out._data * np.log(ctx.base), None


# ----------------------------------------------------------------------------------------
# matrix product
# ----------------------------------------------------------------------------------------
class MatMul(Function):
    """``x @ y`` with NumPy's matmul rules (1-d vectors, batched stacks, broadcasting).

    Backward: dL/dx = g @ y^T and dL/dy = x^T @ g, with the 1-d cases handled by
    temporarily adding the missing axis, and batch axes summed back (unbroadcast).
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return Tensor(np.matmul(x._data, y._data))

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        a, b, g = x._data, y._data, grad_out._data
        # make both operands at least 2-d:  (k,) @ (k, m): a -> (1, k);  (n, k) @ (k,): b -> (k, 1)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)      # (..., n) -> (..., n, 1)
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)      # (..., m) -> (..., 1, m)
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = np.matmul(g2, np.swapaxes(b2, -1, -2))          # (..., n, m) @ (..., m, k)
            gx = unbroadcast(gx, a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gy = np.matmul(np.swapaxes(a2, -1, -2), g2)          # (..., k, n) @ (..., n, m)
            gy = unbroadcast(gy, b2.shape).reshape(b.shape)
        return gx, gy


def matmul_backward_name(x_ndim, y_ndim):
    """PyTorch's grad_fn name for ``x @ y``: MmBackward0, MvBackward0, DotBackward0, ..."""
    if x_ndim == 2 and y_ndim == 2:
        return "MmBackward0"
    if x_ndim == 1 and y_ndim == 1:
        return "DotBackward0"
    if x_ndim == 2 and y_ndim == 1:
        return "MvBackward0"
    if x_ndim == 3 and y_ndim == 3:
        return "BmmBackward0"
    return "UnsafeViewBackward0"


class _Mm(MatMul):
    _backward_name = "MmBackward0"


class _Dot(MatMul):
    _backward_name = "DotBackward0"


class _Mv(MatMul):
    _backward_name = "MvBackward0"


class _Bmm(MatMul):
    _backward_name = "BmmBackward0"


class _MatMulView(MatMul):
    _backward_name = "UnsafeViewBackward0"


MATMUL_BY_NAME = {c._backward_name: c for c in (_Mm, _Dot, _Mv, _Bmm, _MatMulView)}


# ----------------------------------------------------------------------------------------
# elementwise functions y = f(x): backward multiplies by f'(x)
# ----------------------------------------------------------------------------------------
class Exp(Function):
    _backward_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):     # exp(1000) = inf, as torch
            out = Tensor(np.exp(x._data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors               # d exp(x)/dx = exp(x)
        return grad_out._data * out._data


class Log(Function):
    _backward_name = "LogBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):   # log(0) = -inf, log(-1) = nan, as torch
            return Tensor(np.log(x._data))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors                 # d log(x)/dx = 1/x
        with np.errstate(divide="ignore"):
            return grad_out._data / x._data


class Sqrt(Function):
    _backward_name = "SqrtBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            out = Tensor(np.sqrt(x._data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors               # d sqrt(x)/dx = 1 / (2 sqrt(x))
        with np.errstate(divide="ignore"):
            return grad_out._data / (2 * out._data)


class Abs(Function):
    _backward_name = "AbsBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return Tensor(np.abs(x._data))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors                 # d|x|/dx = sign(x)  (0 at x = 0, as torch)
        return grad_out._data * np.sign(x._data)


class Sin(Function):
    _backward_name = "SinBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return Tensor(np.sin(x._data))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors                 # d sin(x)/dx = cos(x)
        return grad_out._data * np.cos(x._data)


class Cos(Function):
    _backward_name = "CosBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return Tensor(np.cos(x._data))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors                 # d cos(x)/dx = -sin(x)
        return -grad_out._data * np.sin(x._data)


class Log1p(Function):
    _backward_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return Tensor(np.log1p(x._data))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors                 # d log(1 + x)/dx = 1 / (1 + x)
        with np.errstate(divide="ignore"):
            return grad_out._data / (1 + x._data)


class Expm1(Function):
    _backward_name = "Expm1Backward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            out = Tensor(np.expm1(x._data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors               # d (e^x - 1)/dx = e^x = out + 1
        return grad_out._data * (out._data + 1)


class Clamp(Function):
    _backward_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, min, max):
        ctx.save_for_backward(x)
        ctx.min, ctx.max = min, max
        out = x._data
        if min is not None:
            out = np.maximum(out, np.asarray(min, dtype=out.dtype))
        if max is not None:
            out = np.minimum(out, np.asarray(max, dtype=out.dtype))
        return Tensor(np.array(out, copy=True) if out is x._data else np.asarray(out))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors                 # gradient passes where min <= x <= max
        inside = np.ones(x._data.shape, dtype=bool)
        if ctx.min is not None:
            inside &= x._data >= ctx.min
        if ctx.max is not None:
            inside &= x._data <= ctx.max
        return grad_out._data * inside, None, None


class Relu(Function):
    """relu(x) = max(x, 0); gradient 1 where x > 0, else 0."""
    _backward_name = "ReluBackward0"
    _fresh_grads = True      # backward returns new arrays (see Function._fresh_grads)

    @staticmethod
    def forward(ctx, x):
        a = x._data
        # one pass (teachnn/kernels/elementwise.py); other dtypes (integers) take NumPy's max
        out = Tensor(elementwise.relu(a) if a.dtype.kind == "f"
                     else np.maximum(a, 0).astype(a.dtype, copy=False))
        ctx.save_for_backward(out)               # the result, as torch saves it: in-place changes get caught
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors               # relu'(x) = 1 if x > 0 else 0
        g, y = grad_out._data, out._data
        if y.dtype.kind == "f" and g.dtype == y.dtype:
            return elementwise.relu_backward(g, y)
        return g * (y > 0)


def _stable_sigmoid(a):
    """1/(1+exp(-a)) without overflow: exp is only ever taken of a non-positive number.

    With e = exp(-|a|) in (0, 1]:  low = sigmoid(-|a|) = e / (1 + e)  is the answer for
    a < 0, and sigmoid(|a|) = 1 - low for a >= 0. Choosing by multiplying with the mask
    (low + mask * (1 - 2 low)) is several times faster than np.where or a ``where=`` ufunc.
    """
    e = np.exp(-np.abs(a))                       # in (0, 1]
    low = e / (1 + e)                            # sigmoid(-|a|)
    return low + (a >= 0) * (1 - 2 * low)        # a >= 0: 1 - low;  a < 0: low exactly


class Sigmoid(Function):
    """s = 1 / (1 + exp(-x)); ds/dx = s * (1 - s)."""
    _backward_name = "SigmoidBackward0"
    _fresh_grads = True      # backward returns new arrays (see Function._fresh_grads)

    @staticmethod
    def forward(ctx, x):
        out = Tensor(elementwise.sigmoid(x._data))   # one pass (teachnn/kernels/elementwise.py)
        ctx.save_for_backward(out)        # saved as a Tensor: in-place changes get caught
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return elementwise.sigmoid_backward(grad_out._data, out._data)   # g * s * (1 - s)


class Tanh(Function):
    """t = tanh(x); dt/dx = 1 - t^2."""
    _backward_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, x):
        out = _as_out(np.tanh(x._data), x._data.dtype)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        t = out._data
        return grad_out._data * (1 - t * t)


class Softmax(Function):
    """y_i = exp(x_i - m) / sum_j exp(x_j - m), m = max_j x_j (subtracting m avoids overflow).

    Backward (Jacobian-vector product): dx_i = y_i * (g_i - sum_j g_j y_j).
    """
    _backward_name = "SoftmaxBackward0"
    _fresh_grads = True      # backward returns new arrays (see Function._fresh_grads)

    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        a = x._data if x._data.dtype == np_dtype else x._data.astype(np_dtype)
        # one kernel along each row of ``dim`` (teachnn/kernels/normalization.py)
        out = Tensor(normalization.softmax_rows(a, dim))
        ctx.save_for_backward(out)
        ctx.dim, ctx.in_dtype = dim, x._data.dtype
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        grad = normalization.softmax_rows_backward(grad_out._data, out._data, ctx.dim)
        return grad.astype(ctx.in_dtype, copy=False), None, None


class LogSoftmax(Function):
    """y_i = x_i - m - log(sum_j exp(x_j - m)) (log-sum-exp trick, stable for huge logits).

    Backward: dx_i = g_i - exp(y_i) * sum_j g_j.
    """
    _backward_name = "LogSoftmaxBackward0"
    _fresh_grads = True      # backward returns new arrays (see Function._fresh_grads)

    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        a = x._data if x._data.dtype == np_dtype else x._data.astype(np_dtype)
        # one kernel along each row of ``dim`` (teachnn/kernels/normalization.py)
        out = Tensor(normalization.log_softmax_rows(a, dim))
        ctx.save_for_backward(out)
        ctx.dim, ctx.in_dtype = dim, x._data.dtype
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors                                    # g - softmax * sum(g)
        grad = normalization.log_softmax_rows_backward(grad_out._data, out._data, ctx.dim)
        return grad.astype(ctx.in_dtype, copy=False), None, None


class Maximum(Function):
    """Elementwise max of two tensors; at ties the gradient is split in half (as torch)."""
    _backward_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return Tensor(np.maximum(x._data, y._data))

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        g = grad_out._data
        weight_x = (x._data > y._data) + 0.5 * (x._data == y._data)
        gx = unbroadcast(g * weight_x, x._data.shape)
        gy = unbroadcast(g * (1 - weight_x), y._data.shape)
        return gx, gy


class Minimum(Function):
    _backward_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return Tensor(np.minimum(x._data, y._data))

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        g = grad_out._data
        weight_x = (x._data < y._data) + 0.5 * (x._data == y._data)
        gx = unbroadcast(g * weight_x, x._data.shape)
        gy = unbroadcast(g * (1 - weight_x), y._data.shape)
        return gx, gy


class Where(Function):
    _backward_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, condition, x, y):
        ctx.condition = condition
        ctx.shapes = (x._data.shape, y._data.shape)
        return Tensor(np.where(condition, x._data, y._data))

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        x_shape, y_shape = ctx.shapes
        zero = np.zeros((), dtype=g.dtype)
        gx = unbroadcast(np.where(ctx.condition, g, zero), x_shape)
        gy = unbroadcast(np.where(ctx.condition, zero, g), y_shape)
        return None, gx, gy


# ----------------------------------------------------------------------------------------
# reductions
# ----------------------------------------------------------------------------------------
def _expand_back(g, shape, dims, keepdim):
    """Give a reduced gradient its reduced axes back (size 1) so it broadcasts over ``shape``."""
    if dims is None:
        return np.reshape(g, (1,) * len(shape))
    if not keepdim:
        g = np.expand_dims(g, dims)
    return g


class Sum(Function):
    """Sum over ``dims`` (a tuple) or everything (None). Backward: copy g to every summed cell."""
    _backward_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype=None):
        ctx.shape, ctx.dims, ctx.keepdim = x._data.shape, dims, keepdim
        out = np.sum(x._data, axis=dims, keepdims=keepdim, dtype=dtype)
        return Tensor(np.asarray(out))

    @staticmethod
    def backward(ctx, grad_out):
        g = _expand_back(grad_out._data, ctx.shape, ctx.dims, ctx.keepdim)
        return np.broadcast_to(g, ctx.shape), None, None, None


class SumAll(Sum):
    _backward_name = "SumBackward0"


class Mean(Function):
    """Mean over ``dims``. Backward: g / (number of averaged cells), copied to each of them."""
    _backward_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x._data.shape, dims, keepdim
        ctx.count = x._data.size if dims is None else int(np.prod([x._data.shape[d] for d in dims]))
        return Tensor(np.asarray(np.mean(x._data, axis=dims, keepdims=keepdim)))

    @staticmethod
    def backward(ctx, grad_out):
        g = _expand_back(grad_out._data, ctx.shape, ctx.dims, ctx.keepdim)
        return np.broadcast_to(g / ctx.count, ctx.shape), None, None


class MeanAll(Mean):
    _backward_name = "MeanBackward0"


class Var(Function):
    """var = sum (x - mean)^2 / (n - correction). Backward: 2 (x - mean) / (n - correction)."""
    _backward_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        ctx.save_for_backward(x)
        ctx.dims, ctx.correction, ctx.keepdim = dims, correction, keepdim
        n = x._data.size if dims is None else int(np.prod([x._data.shape[d] for d in dims]))
        ctx.n = n
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.var(x._data, axis=dims, ddof=correction, keepdims=keepdim) if n - correction > 0 \
                else np.full(np.sum(x._data, axis=dims, keepdims=keepdim).shape, np.nan, dtype=x._data.dtype)
        return Tensor(np.asarray(out, dtype=x._data.dtype))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        mean = np.mean(x._data, axis=ctx.dims, keepdims=True)
        g = _expand_back(grad_out._data, x._data.shape, ctx.dims, ctx.keepdim)
        return g * 2 * (x._data - mean) / (ctx.n - ctx.correction), None, None, None


class Std(Function):
    """std = sqrt(var). Backward: d std = d var / (2 std)."""
    _backward_name = "StdBackward0"

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        ctx.save_for_backward(x)
        ctx.dims, ctx.correction, ctx.keepdim = dims, correction, keepdim
        n = x._data.size if dims is None else int(np.prod([x._data.shape[d] for d in dims]))
        ctx.n = n
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.std(x._data, axis=dims, ddof=correction, keepdims=keepdim) if n - correction > 0 \
                else np.full(np.sum(x._data, axis=dims, keepdims=keepdim).shape, np.nan, dtype=x._data.dtype)
        out = Tensor(np.asarray(out, dtype=x._data.dtype))
        ctx.std = out._data
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        mean = np.mean(x._data, axis=ctx.dims, keepdims=True)
        g = _expand_back(grad_out._data, x._data.shape, ctx.dims, ctx.keepdim)
        std = _expand_back(ctx.std, x._data.shape, ctx.dims, ctx.keepdim)
        # where std == 0 (all values equal) torch defines the gradient as 0, not 0/0
        safe_std = np.where(std == 0, 1, std)
        grad = g * (x._data - mean) / ((ctx.n - ctx.correction) * safe_std)
        return np.where(std == 0, 0, grad).astype(x._data.dtype, copy=False), None, None, None


class MaxAll(Function):
    """max of all elements. At ties, torch spreads the gradient evenly over the maxima."""
    _backward_name = "MaxBackward1"
    _reduce = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x):
        out = Tensor(np.asarray(cls._reduce(x._data)))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved_tensors
        hits = x._data == out._data
        return grad_out._data * hits / hits.sum()


class MinAll(MaxAll):
    _backward_name = "MinBackward1"
    _reduce = staticmethod(np.min)


class MaxDim(Function):
    """``max(dim)``: values and indices. The gradient goes to the chosen index only."""
    _backward_name = "MaxBackward0"
    _arg = staticmethod(np.argmax)

    @classmethod
    def forward(cls, ctx, x, dim, keepdim):
        indices = np.expand_dims(cls._arg(x._data, axis=dim), dim)       # (..., 1, ...)
        values = np.take_along_axis(x._data, indices, axis=dim)
        if not keepdim:
            indices, values = indices.squeeze(dim), values.squeeze(dim)
        ctx.shape, ctx.dim, ctx.keepdim, ctx.indices = x._data.shape, dim, keepdim, indices
        idx = Tensor(indices.astype(np.int64))
        ctx.mark_non_differentiable(idx)
        return Tensor(values), idx

    @staticmethod
    def backward(ctx, grad_out, grad_indices):
        g = grad_out._data
        indices = ctx.indices
        if not ctx.keepdim:
            g, indices = np.expand_dims(g, ctx.dim), np.expand_dims(indices, ctx.dim)
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        np.put_along_axis(gx, indices, g, axis=ctx.dim)
        return gx, None, None


class MinDim(MaxDim):
    _backward_name = "MinBackward0"
    _arg = staticmethod(np.argmin)


class Amax(Function):
    """``amax(dim)``: max values over several dims; ties share the gradient evenly."""
    _backward_name = "AmaxBackward0"
    _reduce = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x, dims, keepdim):
        out = Tensor(np.asarray(cls._reduce(x._data, axis=dims, keepdims=keepdim)))
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved_tensors
        o = _expand_back(out._data, x._data.shape, ctx.dims, ctx.keepdim)
        g = _expand_back(grad_out._data, x._data.shape, ctx.dims, ctx.keepdim)
        hits = x._data == o
        return g * hits / hits.sum(axis=ctx.dims, keepdims=True), None, None


class Amin(Amax):
    _backward_name = "AminBackward0"
    _reduce = staticmethod(np.min)


class Prod(Function):
    """Product along ``dim``. d(prod)/dx_i = product of all the *other* entries, computed as
    (product of those before i) * (product of those after i): no division, so zeros are fine."""
    _backward_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        return Tensor(np.asarray(np.prod(x._data, axis=dim, keepdims=keepdim)))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        a, d = x._data, ctx.dim
        ones = np.ones_like(np.take(a, [0], axis=d))                        # (..., 1, ...)
        before = np.cumprod(np.concatenate([ones, np.delete(a, -1, axis=d)], axis=d), axis=d)
        flipped = np.flip(a, axis=d)
        after = np.flip(np.cumprod(np.concatenate([ones, np.delete(flipped, -1, axis=d)], axis=d),
                                   axis=d), axis=d)
        g = grad_out._data if ctx.keepdim else np.expand_dims(grad_out._data, d)
        return g * before * after, None, None


class ProdAll(Function):
    """Product of all elements: Prod along the single axis of the flattened tensor."""
    _backward_name = "ProdBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return Tensor(np.asarray(np.prod(x._data)))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        flat = Tensor(x._data.reshape(-1))
        inner = Context()
        inner.save_for_backward(flat)
        inner.dim, inner.keepdim = 0, False
        g, _, _ = Prod.backward(inner, grad_out)          # (n,)
        return g.reshape(x._data.shape)


class Cumsum(Function):
    """Running sum along ``dim``. Backward: the running sum of the gradient taken from the end."""
    _backward_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return Tensor(np.cumsum(x._data, axis=dim))

    @staticmethod
    def backward(ctx, grad_out):
        # y_j = sum_{i <= j} x_i  ->  dL/dx_i = sum_{j >= i} dL/dy_j
        g = np.flip(grad_out._data, axis=ctx.dim)
        return np.flip(np.cumsum(g, axis=ctx.dim), axis=ctx.dim), None


# ----------------------------------------------------------------------------------------
# shape operations: the gradient is moved back, never changed
# ----------------------------------------------------------------------------------------
class View(Function):
    """reshape / view / flatten. Backward: reshape the gradient back."""
    _backward_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._data.shape
        return Tensor(x._data.reshape(shape))

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out._data.reshape(ctx.shape), None


class Unsqueeze(View):
    _backward_name = "UnsqueezeBackward0"


class Squeeze(View):
    _backward_name = "SqueezeBackward0"


class SqueezeDim(View):
    _backward_name = "SqueezeBackward1"


class Permute(Function):
    """Reorder axes. Backward: apply the inverse permutation."""
    _backward_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))   # argsort, no array
        return Tensor(np.transpose(x._data, dims))

    @staticmethod
    def backward(ctx, grad_out):
        return np.transpose(grad_out._data, ctx.inverse), None


class Transpose(Permute):
    _backward_name = "TransposeBackward0"


class T(Permute):
    _backward_name = "TBackward0"


class Expand(Function):
    """Broadcast to a bigger shape (no copy). Backward: sum back (unbroadcast)."""
    _backward_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._data.shape
        return Tensor(np.broadcast_to(x._data, shape))

    @staticmethod
    def backward(ctx, grad_out):
        return unbroadcast(grad_out._data, ctx.shape), None


class Repeat(Function):
    """Tile the tensor. Backward: sum the gradient over all the tiles."""
    _backward_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, repeats):
        shape = (1,) * (len(repeats) - x._data.ndim) + x._data.shape
        ctx.shape, ctx.padded, ctx.repeats = x._data.shape, shape, repeats
        return Tensor(np.tile(x._data.reshape(shape), repeats))

    @staticmethod
    def backward(ctx, grad_out):
        # (r0*s0, r1*s1, ...) -> (r0, s0, r1, s1, ...) -> sum over the r axes
        split = []
        for r, s in zip(ctx.repeats, ctx.padded):
            split += [r, s]
        g = grad_out._data.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.shape), None


class Index(Function):
    """``x[index]``. Backward: scatter-add the gradient into a zero tensor shaped like x."""
    _backward_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, index, advanced):
        ctx.shape, ctx.dtype, ctx.index, ctx.advanced = x._data.shape, x._data.dtype, index, advanced
        out = x._data[index]
        return Tensor(np.array(out, copy=True) if advanced else np.asarray(out))

    @staticmethod
    def backward(ctx, grad_out):
        gx = np.zeros(ctx.shape, dtype=ctx.dtype)
        if ctx.advanced:
            np.add.at(gx, ctx.index, grad_out._data)   # repeated indices add up
        else:
            gx[ctx.index] = grad_out._data
        return gx, None, None


class Scatter(Function):
    """``x.scatter(dim, index, src)`` (``add=False``) or ``x.scatter_add(...)`` (``add=True``).

    ``grids`` are the advanced-index arrays that name, for every element of ``index``, the
    target position in x (``index`` itself along ``dim``, the element's own coordinate along
    the other axes); ``src_part`` indexes the part of src that index covers.
    Forward: ``out = x; out[grids] = src[src_part]`` (or ``+=`` with repeats adding up).
    Backward: scatter -> dx = grad with the overwritten positions set to 0; scatter_add -> dx
    = grad. Both: dsrc[src_part] = grad[grids] (zeros elsewhere).
    """
    _backward_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, src, value, grids, src_part, add):
        ctx.grids, ctx.src_part, ctx.add = grids, src_part, add
        ctx.src_shape = None if src is None else src._data.shape
        out = x._data.copy()
        values = src._data[src_part] if src is not None else np.asarray(value, dtype=x._data.dtype)
        if add:
            np.add.at(out, grids, values)
        else:
            out[grids] = values
        return Tensor(out)

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        gx = g
        if not ctx.add:
            gx = g.copy()
            gx[ctx.grids] = 0
        gsrc = None
        if ctx.src_shape is not None:
            gsrc = np.zeros(ctx.src_shape, dtype=g.dtype)
            gsrc[ctx.src_part] = g[ctx.grids]
        return gx, gsrc, None, None, None, None


class ScatterAdd(Scatter):
    _backward_name = "ScatterAddBackward0"


class Select(Index):
    _backward_name = "SelectBackward0"


class Slice(Index):
    _backward_name = "SliceBackward0"


class UnsqueezeIndex(Index):
    _backward_name = "UnsqueezeBackward0"


class Flip(Index):
    _backward_name = "FlipBackward0"


class Roll(Index):
    _backward_name = "RollBackward0"


class Cat(Function):
    """Concatenate along ``dim``. Backward: split the gradient into the original pieces."""
    _backward_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim = dim
        ctx.sizes = [t._data.shape[dim] for t in tensors]
        return Tensor(np.concatenate([t._data for t in tensors], axis=dim))

    @staticmethod
    def backward(ctx, grad_out):
        cuts = np.cumsum(ctx.sizes)[:-1]
        return (None, *np.split(grad_out._data, cuts, axis=ctx.dim))


class Stack(Function):
    """Stack along a new axis ``dim``. Backward: take each slice of the gradient."""
    _backward_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim, ctx.n = dim, len(tensors)
        return Tensor(np.stack([t._data for t in tensors], axis=dim))

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        return (None, *[np.take(g, i, axis=ctx.dim) for i in range(ctx.n)])


class Clone(Function):
    _backward_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return Tensor(x._data.copy())

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out._data


class ToDtype(Function):
    """Change dtype. Backward: cast the gradient back to the input's dtype."""
    _backward_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.dtype = x._data.dtype
        return Tensor(x._data.astype(np_dtype))

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out._data.astype(ctx.dtype), None


class CopySlices(Function):
    """``x[index] = value`` on a tensor in the graph: the old values at ``index`` get no
    gradient, ``value`` gets the gradient of the overwritten cells."""
    _backward_name = "CopySlices"

    @staticmethod
    def forward(ctx, x, value, index):
        out = x._data.copy()
        out[index] = value._data
        ctx.index, ctx.value_shape = index, value._data.shape
        ctx.out_shape = out[index].shape
        return Tensor(out)

    @staticmethod
    def backward(ctx, grad_out):
        g = grad_out._data
        gx = g.copy()
        gx[ctx.index] = 0
        gv = unbroadcast(np.array(g[ctx.index]), ctx.value_shape) if ctx.needs_input_grad[1] else None
        return gx, gv, None
