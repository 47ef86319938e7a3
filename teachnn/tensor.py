"""``Tensor``: a NumPy array that remembers how it was computed.

A Tensor holds

* ``data``          the numbers, an ``np.ndarray``;
* ``requires_grad`` whether gradients with respect to it are wanted;
* ``grad_fn``       the backward-graph node of the operation that produced it (None for leaves);
* ``grad``          after ``loss.backward()``: dloss/dtensor, a Tensor shaped like ``data``.

Every method below either works on ``data`` directly (no gradient, e.g. comparisons) or
calls a ``Function`` from ``teachnn/autograd/ops.py`` that also knows its backward.
The names, arguments, dtypes and error types follow ``torch.Tensor``.

A tour of this file, top to bottom:

1. ``class Tensor``: attributes, conversions, printing, arithmetic (``+ - * / @ **``),
   in-place updates (``+=``, ``fill_``, ``uniform_``), comparisons, elementwise functions,
   reductions (``sum``, ``mean``, ``max``, ``var``), shape operations, indexing;
2. helpers: dims, shapes, type promotion (``_result_dtype``: torch's rules), index checks;
3. printing, following PyTorch's formatting rules exactly;
4. factories: ``tensor``, ``zeros``, ``arange``, ``cat``, ``stack``, ... (random ones live in
   ``teachnn/random.py``);
5. module-level functions: ``teachnn.exp(x)`` is ``x.exp()``, and so on.

Try ``y = (x * 2).sum(); print(y.grad_fn, y.grad_fn.next_functions)`` to see the graph.
"""
import builtins
import math
import numbers
import pickle
from collections import namedtuple

import numpy as np

from . import _dtype
from .autograd import grad_mode
from .autograd.function import AccumulateGrad

__all__ = [
    "Tensor", "Size", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye",
    "arange", "linspace", "zeros_like", "ones_like", "full_like", "empty_like", "cat", "concat",
    "concatenate", "stack", "is_tensor", "is_floating_point", "numel", "exp", "log", "sqrt", "abs",
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "matmul", "mm",
    "bmm", "dot", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "flatten", "reshape",
    "transpose", "permute", "squeeze", "unsqueeze", "where", "clamp", "clip", "allclose", "equal",
    "maximum", "minimum", "save", "load", "neg", "pow", "add", "sub", "mul", "div", "square",
    "zeros_like", "isclose", "isnan", "isinf", "isfinite", "sign", "t", "numel", "broadcast_to",
    "set_printoptions", "argsort", "sort", "topk", "chunk", "split", "unbind", "clone", "detach",
    "lt", "le", "gt", "ge", "eq", "ne", "logical_not", "logical_and", "logical_or", "floor", "ceil",
    "round", "sin", "cos", "expand_copy", "outer", "prod", "cumsum", "any", "all", "count_nonzero",
    "tril", "triu", "diag", "logsumexp", "einsum", "FloatTensor", "DoubleTensor", "HalfTensor",
    "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor",
]


class Size(tuple):
    """The shape of a tensor: a tuple of ints (``teachnn.Size([2, 3])``)."""

    def __repr__(self):
        return f"teachnn.Size({list(self)})"

    def numel(self):
        return int(np.prod(self, dtype=np.int64))

    def __getitem__(self, item):
        result = super().__getitem__(item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


def _return_type(name):
    """The result of max(dim) / min(dim) / sort / topk: a named pair (values, indices) that
    prints like torch.return_types.max."""
    base = namedtuple(name, ["values", "indices"])

    def __repr__(self):
        return f"teachnn.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


_MaxResult = _return_type("max")
_MinResult = _return_type("min")
_SortResult = _return_type("sort")
_TopkResult = _return_type("topk")


def _is_float_array(a):
    return a.dtype.kind == "f"


def _check_dtype_supported(a):
    if a.dtype not in _dtype._BY_NUMPY:
        _dtype.from_numpy_dtype(a.dtype)   # raises the TypeError


class Tensor:
    """A multi-dimensional array with automatic differentiation (see the module docstring).

    ``Tensor(ndarray, requires_grad=False)`` wraps the array as it is (no copy, no dtype
    change); to create tensors from Python data use ``teachnn.tensor([...])``.

    PyTorch's legacy forms also work: ``Tensor(2, 3)`` is an uninitialised tensor of shape
    (2, 3) (like ``teachnn.empty(2, 3)``) and ``Tensor([1, 2])`` copies Python values into
    the default dtype (float32).
    """

    __array_priority__ = 1000      # ndarray (op) Tensor goes to Tensor's reflected operator

    # defaults shared by all tensors until a tensor sets its own value
    _grad = None              # dL/dself after backward (leaves, and retain_grad() tensors)
    grad_fn = None            # the node that made this tensor; None for leaves
    _requires_grad = False
    _output_nr = 0            # which output of grad_fn this tensor is
    _version = 0              # bumped by every in-place change (checked by saved_tensors)
    _hooks = ()               # leaf hooks (non-leaf hooks live on grad_fn)
    _accumulator = None       # the AccumulateGrad node, created on first use

    def __init__(self, data=None, requires_grad=False, *more_sizes):
        if data.__class__ is not np.ndarray:
            if data.__class__ is builtins.int or isinstance(data, Size):
                # legacy torch.Tensor(2, 3): sizes, not values
                shape, requires_grad = _legacy_shape(data, requires_grad, more_sizes, "Tensor")
                data = np.empty(shape, dtype=_dtype.get_default_dtype().np)
                more_sizes = ()
            else:
                data = _as_array(data)
        if more_sizes:
            raise TypeError(f"Tensor(data, requires_grad) takes at most 2 arguments when data is an array, "
                            f"got {2 + len(more_sizes)}; for a shape use teachnn.empty(2, 3)")
        self._data = data
        if requires_grad:
            if requires_grad.__class__ is not builtins.bool and isinstance(requires_grad, numbers.Integral):
                raise TypeError(
                    f"Tensor(data, requires_grad) expects requires_grad to be True or False, got "
                    f"{requires_grad!r}. To make a tensor of a given shape use teachnn.zeros(2, 3) or "
                    "teachnn.empty(2, 3); to make one from values use teachnn.tensor([...]).")
            self.requires_grad = True

    # ------------------------------------------------------------------------------------
    # the numbers
    # ------------------------------------------------------------------------------------
    @property
    def data(self):
        """The NumPy array holding the values (shared, not copied)."""
        return self._data

    @data.setter
    def data(self, value):
        # ``p.data = other_tensor`` is common PyTorch code: take the other tensor's array
        if isinstance(value, Tensor):
            value = value._data
        elif isinstance(value, np.generic):
            value = np.asarray(value)
        elif not isinstance(value, np.ndarray):
            raise TypeError(f"data must be a Tensor or a NumPy array, but got {type(value).__name__}; "
                            "wrap values first: t.data = teachnn.tensor(values)")
        self._data = value

    # ------------------------------------------------------------------------------------
    # autograd attributes
    # ------------------------------------------------------------------------------------
    @property
    def grad(self):
        """dL/dself after ``backward()`` (None before): a Tensor shaped like self."""
        return self._grad

    @grad.setter
    def grad(self, value):
        # the checks torch makes when a gradient is assigned by hand (p.grad = ...)
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: the tensor has shape {list(self.shape)} "
                    f"but the gradient has shape {list(value.shape)}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: the tensor is {self.dtype} but the "
                    f"gradient is {value.dtype}; convert it with .to({self.dtype})")
        self._grad = value

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = builtins.bool(value)
        if self.grad_fn is not None:
            if not value:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use "
                    "a computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return
        if value and not _is_float_array(self.data):
            raise RuntimeError(
                "Only Tensors of floating point dtype can require gradients: this tensor has dtype "
                f"{self.dtype}. Convert it first, e.g. x = x.float() (or create it from float values "
                "like 1.0 instead of 1).")
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded operation (inputs, parameters)."""
        return self.grad_fn is None

    def _gradient_edge(self):
        """Where a gradient for this tensor must be sent: (node, output index)."""
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        if self._requires_grad:
            if self._accumulator is None:
                self._accumulator = AccumulateGrad(self)
            return (self._accumulator, 0)
        return (None, 0)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf that requires grad; add it to ``leaf.grad``.

        ``gradient`` is required when self is not a single number (it is dL/dself).
        The graph is freed afterwards unless ``retain_graph=True``.
        """
        from .autograd import engine
        engine.backward([self], [gradient], retain_graph=retain_graph, create_graph=create_graph,
                        inputs=inputs)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor too (leaves always get it)."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        import weakref
        self.grad_fn._retained[self._output_nr] = weakref.ref(self)

    @property
    def retains_grad(self):
        if self.grad_fn is None:
            return False
        return self._output_nr in self.grad_fn._retained

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is computed;
        a returned Tensor replaces the gradient. Returns a handle with ``.remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.function import _RemovableHandle
        if self.grad_fn is None:
            if not self._hooks:
                self._hooks = []
            hooks = self._hooks
        else:
            hooks = self.grad_fn._pre_hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def detach(self):
        """A new tensor sharing the same data, cut off from the graph."""
        return Tensor(self.data)

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ------------------------------------------------------------------------------------
    # basic properties
    # ------------------------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self.data.shape)

    def size(self, dim=None):
        """``size()`` is the shape; ``size(d)`` is the length of axis ``d``."""
        if dim is None:
            return Size(self.data.shape)
        return self.data.shape[_norm_dim(dim, self.data.ndim)]

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self.data.dtype)

    @property
    def ndim(self):
        return self.data.ndim

    def dim(self):
        return self.data.ndim

    def ndimension(self):
        return self.data.ndim

    def numel(self):
        return int(self.data.size)

    def nelement(self):
        return int(self.data.size)

    def element_size(self):
        return self.data.itemsize

    @property
    def device(self):
        return _Device("cpu")

    @property
    def is_cuda(self):
        return False

    def is_floating_point(self):
        return _is_float_array(self.data)

    def is_contiguous(self, memory_format=None):
        return builtins.bool(self.data.flags.c_contiguous)

    def stride(self, dim=None):
        strides = tuple(s // self.data.itemsize for s in self.data.strides)
        return strides if dim is None else strides[_norm_dim(dim, self.data.ndim)]

    def data_ptr(self):
        return self.data.__array_interface__["data"][0]

    # ------------------------------------------------------------------------------------
    # conversion
    # ------------------------------------------------------------------------------------
    def numpy(self, force=False):
        """The data as an ndarray (shared memory). Like torch, refuses if requires_grad."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self.data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self.data.astype(dtype, copy=copy if copy is not None else True)
        return self.data.copy() if copy else self.data

    def item(self):
        """The single value of a one-element tensor, as a Python number."""
        if self.data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self.data.size} elements cannot be converted to Scalar: item() needs "
                "exactly one element. Reduce first (e.g. t.sum().item()) or pick one (t[0].item()).")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous (this one has "
                f"{self.data.size} values). Use (t > 0).any() or (t > 0).all() to decide.")
        return builtins.bool(self.data.reshape(()).item())

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __hash__(self):
        return id(self)

    def __contains__(self, element):
        """``2 in t``: True if any element equals it (like torch)."""
        value = element.data if isinstance(element, Tensor) else element
        return builtins.bool(np.any(self.data == value))

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor, (self.data, self._requires_grad, type(self)))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment. Use t.detach().clone() instead.")
        new = type(self).__new__(type(self))
        Tensor.__init__(new, self.data.copy(), self._requires_grad)
        new.__dict__.update({k: v for k, v in self.__dict__.items()
                             if k not in ("_data", "_grad", "grad_fn", "_requires_grad", "_accumulator",
                                          "_hooks", "_version", "_output_nr")})
        if self.grad is not None:
            new.grad = Tensor(self.grad.data.copy())
        memo[id(self)] = new
        return new

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to('cpu')``, ``to(other_tensor)``; returns self if nothing changes."""
        target = kwargs.pop("dtype", None)
        kwargs.pop("copy", None)
        kwargs.pop("non_blocking", None)
        device = kwargs.pop("device", None)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        for a in args:
            if isinstance(a, Tensor):
                target = a.dtype
            elif isinstance(a, (str, _Device)):
                device = a
            elif a is not None:
                target = a
        if device is not None:
            _check_device(device)
        if target is None:
            return self
        np_dtype = _dtype.to_numpy(target)
        if np_dtype == self.data.dtype:
            return self
        return _ops.ToDtype.apply(self, np_dtype)

    def type(self, dtype=None):
        if dtype is None:
            return f"teachnn.{_TYPE_NAMES.get(self.dtype.name, 'Tensor')}"
        if isinstance(dtype, _LegacyTensorType):       # x.type(teachnn.LongTensor)
            dtype = dtype.dtype
        return self.to(dtype)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def bool(self):
        return self.to(_dtype.bool)

    def byte(self):
        return self.to(_dtype.uint8)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        raise RuntimeError("teachnn runs on the CPU only: remove .cuda() (or use .to('cpu'))")

    def clone(self, memory_format=None):
        return _ops.Clone.apply(self)

    def contiguous(self, memory_format=None):
        if self.data.flags.c_contiguous:
            return self
        return _ops.Clone.apply(self)

    def new_tensor(self, data, dtype=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False):
        return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    # ------------------------------------------------------------------------------------
    # printing
    # ------------------------------------------------------------------------------------
    def __repr__(self):
        return _tensor_repr(self)

    def __str__(self):
        return _tensor_repr(self)

    def __format__(self, spec):
        if self.data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    # ------------------------------------------------------------------------------------
    # arithmetic (broadcasting; gradients are summed back to each input's shape)
    # ------------------------------------------------------------------------------------
    def __add__(self, other):
        x, y = _binary_operands(self, other, "add")
        return _ops.Add.apply(x, y)

    def __radd__(self, other):
        y, x = _binary_operands(self, other, "add")
        return _ops.Add.apply(x, y)

    def add(self, other, *, alpha=1):
        x, y = _binary_operands(self, other, "add")
        return _ops.Add.apply(x, y, alpha)

    def __sub__(self, other):
        _check_not_bool_sub(self, other)
        x, y = _binary_operands(self, other, "sub")
        return _ops.Sub.apply(x, y)

    def __rsub__(self, other):
        _check_not_bool_sub(self, other)
        if isinstance(other, numbers.Number):
            x = self
            dtype = _result_dtype([self], [other])
            if dtype != self.data.dtype:
                x = self.to(_dtype.from_numpy_dtype(dtype))
            return _ops.RSub.apply(x, other)
        y, x = _binary_operands(self, other, "sub")
        return _ops.Sub.apply(x, y)

    def sub(self, other, *, alpha=1):
        _check_not_bool_sub(self, other)
        x, y = _binary_operands(self, other, "sub")
        return _ops.Sub.apply(x, y, alpha)

    subtract = sub

    def __mul__(self, other):
        x, y = _binary_operands(self, other, "mul")
        return _ops.Mul.apply(x, y)

    def __rmul__(self, other):
        y, x = _binary_operands(self, other, "mul")
        return _ops.Mul.apply(x, y)

    def mul(self, other):
        return self.__mul__(other)

    multiply = mul

    def __truediv__(self, other):
        x, y = _binary_operands(self, other, "div", true_divide=True)
        return _ops.Div.apply(x, y)

    def __rtruediv__(self, other):
        y, x = _binary_operands(self, other, "div", true_divide=True)
        if isinstance(other, numbers.Number):   # c / x = c * (1/x), as torch records it
            return _ops.Mul.apply(_ops.Reciprocal.apply(y), x)
        return _ops.Div.apply(x, y)

    def div(self, other, *, rounding_mode=None):
        if rounding_mode is None:
            return self.__truediv__(other)
        if rounding_mode == "floor":
            return self.__floordiv__(other)
        if rounding_mode == "trunc":
            o = other.data if isinstance(other, Tensor) else other
            out = np.trunc(self.data / o)
            return Tensor(out.astype(np.result_type(self.data, o)) if self.data.dtype.kind in "iu"
                          else out)
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")

    divide = div
    true_divide = __truediv__

    def __floordiv__(self, other):
        o = other.data if isinstance(other, Tensor) else other
        return Tensor(np.asarray(np.floor_divide(self.data, o)))

    def __rfloordiv__(self, other):
        o = other.data if isinstance(other, Tensor) else other
        return Tensor(np.asarray(np.floor_divide(o, self.data)))

    def __mod__(self, other):
        o = other.data if isinstance(other, Tensor) else other
        return Tensor(np.asarray(np.mod(self.data, o)))

    remainder = __mod__

    def __neg__(self):
        if self.data.dtype == np.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        return _ops.Neg.apply(self)

    neg = __neg__
    negative = __neg__

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        if isinstance(exponent, numbers.Number):
            x = self
            if self.data.dtype.kind in "iub" and isinstance(exponent, builtins.float):
                x = self.to(_dtype.get_default_dtype())
            return _ops.PowScalar.apply(x, exponent)
        x, y = _binary_operands(self, exponent, "pow")
        return _ops.PowTensor.apply(x, y)

    def __rpow__(self, base):
        if isinstance(base, numbers.Number):
            x = self
            if self.data.dtype.kind in "iub" and isinstance(base, builtins.float):
                x = self.to(_dtype.get_default_dtype())
            return _ops.RPow.apply(x, base)
        y, x = _binary_operands(self, base, "pow")
        return _ops.PowTensor.apply(x, y)

    def pow(self, exponent):
        return self.__pow__(exponent)

    def square(self):
        return self.__pow__(2)

    def reciprocal(self):
        x = self if _is_float_array(self.data) else self.to(_dtype.get_default_dtype())
        return _ops.Reciprocal.apply(x)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(_as_tensor_operand(other), self)

    def matmul(self, other):
        return matmul(self, other)

    def mm(self, other):
        return mm(self, other)

    def bmm(self, other):
        return bmm(self, other)

    def dot(self, other):
        return dot(self, other)

    # in-place arithmetic: x += y, x.add_(y), ...
    def __iadd__(self, other):
        return self._inplace(other, Tensor.__add__)

    def __isub__(self, other):
        return self._inplace(other, Tensor.__sub__)

    def __imul__(self, other):
        return self._inplace(other, Tensor.__mul__)

    def __itruediv__(self, other):
        return self._inplace(other, Tensor.__truediv__)

    def add_(self, other, *, alpha=1):
        return self._inplace(other, lambda a, b: Tensor.add(a, b, alpha=alpha))

    def sub_(self, other, *, alpha=1):
        return self._inplace(other, lambda a, b: Tensor.sub(a, b, alpha=alpha))

    def mul_(self, other):
        return self._inplace(other, Tensor.__mul__)

    def div_(self, other):
        return self._inplace(other, Tensor.__truediv__)

    def pow_(self, exponent):
        return self._inplace(exponent, Tensor.__pow__)

    def clamp_(self, min=None, max=None):
        return self._inplace(None, lambda a, _: Tensor.clamp(a, min, max))

    def relu_(self):
        return self._inplace(None, lambda a, _: Tensor.relu(a))

    def exp_(self):
        return self._inplace(None, lambda a, _: Tensor.exp(a))

    def neg_(self):
        return self._inplace(None, lambda a, _: Tensor.neg(a))

    def sqrt_(self):
        return self._inplace(None, lambda a, _: Tensor.sqrt(a))

    def abs_(self):
        return self._inplace(None, lambda a, _: Tensor.abs(a))

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return self._inplace(None, lambda a, _: a + value * tensor1 * tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return self._inplace(None, lambda a, _: a + value * tensor1 / tensor2)

    def lerp_(self, end, weight):
        return self._inplace(None, lambda a, _: a + weight * (end - a))

    def _check_inplace_allowed(self):
        if grad_mode._grad_enabled and self._requires_grad and self.grad_fn is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation. "
                "Change it inside `with teachnn.no_grad():` (as optimizers do), or write "
                "x = x + 1 instead of x += 1.")

    def _inplace(self, other, op):
        """Run ``op(self, other)`` and write the result into ``self`` (same array, same object).

        Outside the graph this is a plain NumPy in-place update. Inside the graph the result
        becomes a new node and ``self`` takes it over as its ``grad_fn`` (the old value keeps
        its place in the graph through a snapshot)."""
        self._check_inplace_allowed()
        tracking = grad_mode._grad_enabled and (
            self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))
        if tracking:
            old = Tensor(self.data.copy())                        # the value before the update
            old.grad_fn, old._output_nr, old._requires_grad = self.grad_fn, self._output_nr, self._requires_grad
            old._accumulator = self._accumulator
            result = op(old, other)
        else:
            with grad_mode.no_grad():
                result = op(Tensor(self.data), other)
        _check_inplace_cast(result.data.dtype, self.data.dtype)
        if self.data.shape != result.data.shape:
            raise RuntimeError(
                f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                f"{list(result.shape)}: an in-place operation cannot change the shape of its "
                "target. Use the out-of-place form (x = x + y) instead.")
        np.copyto(self.data, result.data, casting="unsafe")
        self._version += 1
        if tracking:
            self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, result._output_nr, True
        return self

    # ------------------------------------------------------------------------------------
    # in-place initialisers (no gradient tracking; nn.init uses them under no_grad)
    # ------------------------------------------------------------------------------------
    def _write(self, values):
        self._check_inplace_allowed()
        np.copyto(self.data, values, casting="unsafe")
        self._version += 1
        return self

    def fill_(self, value):
        if isinstance(value, Tensor):
            value = value.item()
        return self._write(value)

    def zero_(self):
        return self._write(0)

    def copy_(self, src, non_blocking=False):
        values = src.data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.broadcast_to(values, self.data.shape)
        except ValueError:
            raise RuntimeError(
                f"copy_: the source of shape {list(values.shape)} can't be broadcast to the target "
                f"shape {list(self.shape)}") from None
        return self._write(values)

    def uniform_(self, a=0.0, b=1.0, generator=None):
        from .random import _np_rng
        return self._write(_np_rng(generator).uniform(a, b, size=self.data.shape))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from .random import _np_rng
        return self._write(_np_rng(generator).normal(mean, std, size=self.data.shape))

    def bernoulli_(self, p=0.5, generator=None):
        from .random import _np_rng
        return self._write(_np_rng(generator).random(size=self.data.shape) < p)

    def random_(self, low=0, high=None, generator=None):
        from .random import _np_rng
        if high is None:
            low, high = 0, low
        return self._write(_np_rng(generator).integers(low, high, size=self.data.shape))

    def exponential_(self, lambd=1.0, generator=None):
        from .random import _np_rng
        return self._write(_np_rng(generator).exponential(1.0 / lambd, size=self.data.shape))

    # ------------------------------------------------------------------------------------
    # comparisons and logic (results are bool tensors, never part of the graph)
    # ------------------------------------------------------------------------------------
    def _compare(self, other, ufunc):
        o = _comparison_operand(self, other)
        return Tensor(np.asarray(ufunc(self.data, o)))

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, less, greater_equal, less_equal, not_equal = __gt__, __lt__, __ge__, __le__, __ne__

    def __invert__(self):
        if self.data.dtype == np.bool_:
            return Tensor(~self.data)
        if self.data.dtype.kind in "iu":
            return Tensor(np.invert(self.data))
        raise TypeError("~ (bitwise not) is only supported for integer and bool tensors; "
                        "for a float tensor use logical_not()")

    def __and__(self, other):
        return Tensor(np.asarray(self.data & _comparison_operand(self, other)))

    def __or__(self, other):
        return Tensor(np.asarray(self.data | _comparison_operand(self, other)))

    def __xor__(self, other):
        return Tensor(np.asarray(self.data ^ _comparison_operand(self, other)))

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def logical_not(self):
        return Tensor(np.logical_not(self.data))

    def logical_and(self, other):
        return Tensor(np.logical_and(self.data, _comparison_operand(self, other)))

    def logical_or(self, other):
        return Tensor(np.logical_or(self.data, _comparison_operand(self, other)))

    def isnan(self):
        return Tensor(np.isnan(self.data))

    def isinf(self):
        return Tensor(np.isinf(self.data))

    def isfinite(self):
        return Tensor(np.isfinite(self.data))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return Tensor(np.isclose(self.data, _comparison_operand(self, other), rtol=rtol, atol=atol,
                                 equal_nan=equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return equal(self, other)

    def any(self, dim=None, keepdim=False):
        axis = None if dim is None else _norm_dims(dim, self.data.ndim)
        return Tensor(np.asarray(np.any(self.data, axis=axis, keepdims=keepdim)))

    def all(self, dim=None, keepdim=False):
        axis = None if dim is None else _norm_dims(dim, self.data.ndim)
        return Tensor(np.asarray(np.all(self.data, axis=axis, keepdims=keepdim)))

    def sign(self):
        return Tensor(np.sign(self.data))

    def floor(self):
        return Tensor(np.floor(self.data))

    def ceil(self):
        return Tensor(np.ceil(self.data))

    def round(self, decimals=0):
        return Tensor(np.round(self.data, decimals))

    def nonzero(self, as_tuple=False):
        idx = np.nonzero(self.data)
        if as_tuple:
            return tuple(Tensor(i.astype(np.int64)) for i in idx)
        return Tensor(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64))

    def count_nonzero(self, dim=None):
        axis = None if dim is None else _norm_dims(dim, self.data.ndim)
        return Tensor(np.asarray(np.count_nonzero(self.data, axis=axis), dtype=np.int64))

    # ------------------------------------------------------------------------------------
    # elementwise functions
    # ------------------------------------------------------------------------------------
    def _float_input(self):
        """Integer tensors are converted to the default float dtype first (as torch does)."""
        return self if _is_float_array(self.data) else self.to(_dtype.get_default_dtype())

    def exp(self):
        return _ops.Exp.apply(self._float_input())

    def log(self):
        return _ops.Log.apply(self._float_input())

    def sqrt(self):
        return _ops.Sqrt.apply(self._float_input())

    def rsqrt(self):
        return 1 / self.sqrt()

    def abs(self):
        return _ops.Abs.apply(self)

    absolute = abs
    __abs__ = abs

    def relu(self):
        return _ops.Relu.apply(self)

    def sigmoid(self):
        return _ops.Sigmoid.apply(self._float_input())

    def tanh(self):
        return _ops.Tanh.apply(self._float_input())

    def sin(self):
        return _ops.Sin.apply(self._float_input())

    def cos(self):
        return _ops.Cos.apply(self._float_input())

    def clamp(self, min=None, max=None):
        """Limit every value to [min, max]; the gradient is 0 where a limit was applied."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = maximum(out, min if isinstance(min, Tensor) else tensor(min, dtype=self.dtype))
            if max is not None:
                out = minimum(out, max if isinstance(max, Tensor) else tensor(max, dtype=self.dtype))
            return out
        x = self
        if self.data.dtype.kind in "iub" and (isinstance(min, builtins.float) or isinstance(max, builtins.float)):
            x = self._float_input()
        return _ops.Clamp.apply(x, min, max)

    clip = clamp
    clip_ = clamp_

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def softmax(self, dim, dtype=None):
        """exp(x) / exp(x).sum(dim), computed stably (the max is subtracted first)."""
        x = self._float_input() if dtype is None else self.to(dtype)
        return _ops.Softmax.apply(x, _norm_dim(dim, self.data.ndim))

    def log_softmax(self, dim, dtype=None):
        """x - logsumexp(x, dim), computed stably."""
        x = self._float_input() if dtype is None else self.to(dtype)
        return _ops.LogSoftmax.apply(x, _norm_dim(dim, self.data.ndim))

    def logsumexp(self, dim, keepdim=False):
        dims = _norm_dims(dim, self.data.ndim)
        m = Tensor(np.max(self.data, axis=dims, keepdims=True))
        m = Tensor(np.where(np.isfinite(m.data), m.data, 0).astype(self.data.dtype))
        out = (self - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dims)

    def maximum(self, other):
        return maximum(self, other)

    def minimum(self, other):
        return minimum(self, other)

    def where(self, condition, other):
        return where(condition, self, other)

    def masked_fill(self, mask, value):
        m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {m.dtype}")
        v = value if isinstance(value, Tensor) else tensor(value, dtype=self.dtype)
        return where(Tensor(m), v.to(self.dtype), self)

    def masked_fill_(self, mask, value):
        return self._inplace(None, lambda a, _: Tensor.masked_fill(a, mask, value))

    # ------------------------------------------------------------------------------------
    # reductions
    # ------------------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None):
        """Sum of all elements, or over ``dim`` (int or tuple). Ints and bools sum to int64."""
        x = self
        if dtype is not None:
            x = self.to(dtype)
        elif self.data.dtype.kind in "iub":
            x = self.to(_dtype.int64)
        if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
            return _ops.SumAll.apply(x, None, False)
        return _ops.Sum.apply(x, _norm_dims(dim, self.data.ndim), keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        """Average of all elements, or over ``dim``. Needs a floating dtype, like torch."""
        x = self if dtype is None else self.to(dtype)
        if not _is_float_array(x.data):
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
                f"complex dtype. Got: {_TYPE_NAMES.get(x.dtype.name, x.dtype.name)[:-6]}. "
                "Convert first: t.float().mean()")
        if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
            return _ops.MeanAll.apply(x, None, False)
        return _ops.Mean.apply(x, _norm_dims(dim, self.data.ndim), keepdim)

    def prod(self, dim=None, keepdim=False, dtype=None):
        """Product of all elements, or along ``dim``. Ints and bools multiply to int64."""
        x = self
        if dtype is not None:
            x = self.to(dtype)
        elif self.data.dtype.kind in "iub":
            x = self.to(_dtype.int64)
        if dim is None:
            return _ops.ProdAll.apply(x)
        return _ops.Prod.apply(x, _norm_dim(dim, self.data.ndim) if self.data.ndim else 0, keepdim)

    def cumsum(self, dim, dtype=None):
        """Running sum along ``dim``: [1, 2, 3] -> [1, 3, 6]."""
        x = self if dtype is None else self.to(dtype)
        if dtype is None and self.data.dtype.kind in "iub":
            x = self.to(_dtype.int64)
        if self.data.ndim == 0:
            _norm_dim(dim, 0)
            return x.clone()
        return _ops.Cumsum.apply(x, _norm_dim(dim, self.data.ndim))

    def _var_args(self, dim, unbiased, correction, keepdim, name):
        if not _is_float_array(self.data):
            raise RuntimeError(f"{name}(): input dtype should be floating point, but got {self.dtype}")
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        dims = None if dim is None else _norm_dims(dim, self.data.ndim)
        return dims, correction, keepdim

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Variance: sum((x - mean)^2) / (N - correction); correction=1 (unbiased) by default."""
        if isinstance(dim, builtins.bool):   # var(False): the old positional 'unbiased'
            dim, unbiased = None, dim
        return _ops.Var.apply(self, *self._var_args(dim, unbiased, correction, keepdim, "var"))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Standard deviation: sqrt(var)."""
        if isinstance(dim, builtins.bool):
            dim, unbiased = None, dim
        return _ops.Std.apply(self, *self._var_args(dim, unbiased, correction, keepdim, "std"))

    def _max_min(self, dim, keepdim, other, is_max):
        name = "max" if is_max else "min"
        if isinstance(dim, Tensor):
            other = dim
        if other is not None:
            return maximum(self, other) if is_max else minimum(self, other)
        if self.data.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument.")
        if dim is None:
            return (_ops.MaxAll if is_max else _ops.MinAll).apply(self)
        d = _norm_dim(dim, self.data.ndim)
        d = 0 if self.data.ndim == 0 else d
        values, indices = (_ops.MaxDim if is_max else _ops.MinDim).apply(
            self if self.data.ndim else self.reshape(1), d, keepdim or self.data.ndim == 0)
        if self.data.ndim == 0:
            values, indices = values.reshape(()), indices.reshape(())
        return (_MaxResult if is_max else _MinResult)(values, indices)

    def max(self, dim=None, keepdim=False, other=None):
        """``max()`` -> the largest value; ``max(dim)`` -> (values, indices) along ``dim``."""
        return self._max_min(dim, keepdim, other, True)

    def min(self, dim=None, keepdim=False, other=None):
        """``min()`` -> the smallest value; ``min(dim)`` -> (values, indices) along ``dim``."""
        return self._max_min(dim, keepdim, other, False)

    def amax(self, dim=(), keepdim=False):
        dims = None if dim in ((), []) or dim is None else _norm_dims(dim, self.data.ndim)
        return _ops.Amax.apply(self, dims, keepdim)

    def amin(self, dim=(), keepdim=False):
        dims = None if dim in ((), []) or dim is None else _norm_dims(dim, self.data.ndim)
        return _ops.Amin.apply(self, dims, keepdim)

    def argmax(self, dim=None, keepdim=False):
        """Index of the largest value (in the flattened tensor if ``dim`` is None)."""
        return _arg_reduce(self, dim, keepdim, np.argmax)

    def argmin(self, dim=None, keepdim=False):
        return _arg_reduce(self, dim, keepdim, np.argmin)

    def argsort(self, dim=-1, descending=False, stable=False):
        return sort(self, dim=dim, descending=descending, stable=stable).indices

    def sort(self, dim=-1, descending=False, stable=False):
        return sort(self, dim=dim, descending=descending, stable=stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return topk(self, k, dim=dim, largest=largest, sorted=sorted)

    def norm(self, p=2, dim=None, keepdim=False):
        if p == 2 or p == "fro":
            return (self * self).sum(dim, keepdim=keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim, keepdim=keepdim)
        if p == math.inf or p == "inf":
            return self.abs().amax(() if dim is None else dim, keepdim=keepdim)
        return (self.abs() ** p).sum(dim, keepdim=keepdim) ** (1.0 / p)

    # ------------------------------------------------------------------------------------
    # shape operations
    # ------------------------------------------------------------------------------------
    def view(self, *shape):
        """Same data, new shape (one entry may be -1: inferred). The number of elements must match."""
        if len(shape) == 1 and (isinstance(shape[0], _dtype.dtype)):
            raise NotImplementedError("view(dtype) is not supported by teachnn; use .to(dtype)")
        shape = _infer_shape(_shape_args(shape, "view"), self.data.size, self.data.shape, "view")
        return _ops.View.apply(self, shape)

    def reshape(self, *shape):
        """Like ``view``: a new shape with the same number of elements (-1 is inferred)."""
        shape = _infer_shape(_shape_args(shape, "reshape"), self.data.size, self.data.shape, "reshape")
        return _ops.View.apply(self, shape)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge axes start_dim..end_dim into one: (N, C, H, W).flatten(1) -> (N, C*H*W)."""
        if self.data.ndim == 0:
            return _ops.View.apply(self, (1,))
        start = _norm_dim(start_dim, self.data.ndim)
        end = _norm_dim(end_dim, self.data.ndim)
        if start > end:
            raise RuntimeError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come "
                               f"after end_dim ({end_dim})")
        shape = self.data.shape
        if start == end:
            return self
        merged = int(np.prod(shape[start:end + 1], dtype=np.int64))
        return _ops.View.apply(self, shape[:start] + (merged,) + shape[end + 1:])

    def unflatten(self, dim, sizes):
        d = _norm_dim(dim, self.data.ndim)
        sizes = _infer_shape(tuple(sizes), self.data.shape[d], (self.data.shape[d],), "unflatten")
        return _ops.View.apply(self, self.data.shape[:d] + sizes + self.data.shape[d + 1:])

    def unsqueeze(self, dim):
        """Insert an axis of size 1 at ``dim``: (3,).unsqueeze(0) -> (1, 3)."""
        d = _norm_dim(dim, self.data.ndim + 1)
        shape = self.data.shape[:d] + (1,) + self.data.shape[d:]
        return _ops.Unsqueeze.apply(self, shape)

    def squeeze(self, dim=None):
        """Remove axes of size 1 (all of them, or only ``dim`` if it has size 1)."""
        shape = self.data.shape
        if dim is None:
            return _ops.Squeeze.apply(self, tuple(n for n in shape if n != 1))
        dims = _norm_dims(dim, self.data.ndim) if self.data.ndim else ()
        new_shape = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
        return _ops.SqueezeDim.apply(self, new_shape)

    def permute(self, *dims):
        """Reorder the axes: (N, H, W, C).permute(0, 3, 1, 2) -> (N, C, H, W)."""
        dims = _shape_args(dims, "permute")
        if len(dims) != self.data.ndim:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                f"length of the desired ordering of dimensions i.e. input.dim() = {self.data.ndim} is "
                f"not equal to len(dims) = {len(dims)}")
        normalized = tuple(_norm_dim(d, self.data.ndim) for d in dims)
        if len(set(normalized)) != len(normalized):
            raise RuntimeError(f"permute(): duplicate dims are not allowed (got {list(dims)})")
        return _ops.Permute.apply(self, normalized)

    def transpose(self, dim0, dim1):
        """Swap two axes."""
        order = list(range(self.data.ndim))
        a, b = _norm_dim(dim0, self.data.ndim), _norm_dim(dim1, self.data.ndim)
        if self.data.ndim == 0:
            return self
        order[a], order[b] = order[b], order[a]
        return _ops.Transpose.apply(self, tuple(order))

    swapaxes = transpose
    swapdims = transpose

    def t(self):
        """Transpose a matrix (tensors of at most 2 dimensions)."""
        if self.data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.data.ndim}D; "
                               "use transpose(dim0, dim1) or permute(...) for more dimensions")
        return _ops.T.apply(self, tuple(range(self.data.ndim))[::-1])

    @property
    def T(self):
        return _ops.Permute.apply(self, tuple(range(self.data.ndim))[::-1])

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        """Broadcast to a bigger shape without copying; -1 keeps a size."""
        sizes = _shape_args(sizes, "expand")
        shape = self.data.shape
        if len(sizes) < len(shape):
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
                f"number of dimensions in the tensor ({len(shape)})")
        padded = (1,) * (len(sizes) - len(shape)) + shape
        target = []
        for i, (want, have) in enumerate(zip(sizes, padded)):
            if want == -1:
                if i < len(sizes) - len(shape):
                    raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
                want = have
            if have != 1 and want != have:
                raise RuntimeError(
                    f"The expanded size of the tensor ({want}) must match the existing size ({have}) at "
                    f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}")
            target.append(want)
        return _ops.Expand.apply(self, tuple(target))

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        return self.expand(shape)

    def repeat(self, *repeats):
        """Tile the tensor: (2, 3).repeat(2, 1) -> (4, 3)."""
        repeats = _shape_args(repeats, "repeat")
        if len(repeats) < self.data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                               f"dimensions of tensor (got {len(repeats)} repeats for a "
                               f"{self.data.ndim}-d tensor)")
        return _ops.Repeat.apply(self, tuple(repeats))

    def chunk(self, chunks, dim=0):
        return chunk(self, chunks, dim)

    def split(self, split_size, dim=0):
        return split(self, split_size, dim)

    def unbind(self, dim=0):
        return unbind(self, dim)

    def tril(self, diagonal=0):
        return tril(self, diagonal)

    def triu(self, diagonal=0):
        return triu(self, diagonal)

    # ------------------------------------------------------------------------------------
    # indexing
    # ------------------------------------------------------------------------------------
    def __getitem__(self, index):
        index, advanced, kind = _convert_index(index, self.data.ndim)
        _check_index_bounds(self.data, index)
        cls = {"select": _ops.Select, "slice": _ops.Slice, "unsqueeze": _ops.UnsqueezeIndex,
               "index": _ops.Index}[kind]
        return cls.apply(self, index, advanced)

    def __setitem__(self, index, value):
        index, advanced, kind = _convert_index(index, self.data.ndim)
        _check_index_bounds(self.data, index)
        value_t = value if isinstance(value, Tensor) else None
        self._check_inplace_allowed()
        tracking = grad_mode._grad_enabled and (
            self._requires_grad or (value_t is not None and value_t._requires_grad))
        if not tracking:
            v = value.data if isinstance(value, Tensor) else value
            self.data[index] = v
            self._version += 1
            return
        old = Tensor(self.data.copy())
        old.grad_fn, old._output_nr, old._requires_grad = self.grad_fn, self._output_nr, self._requires_grad
        old._accumulator = self._accumulator
        if value_t is None:
            value_t = Tensor(np.asarray(value, dtype=self.data.dtype))
        result = _ops.CopySlices.apply(old, value_t.to(self.dtype), index)
        np.copyto(self.data, result.data)
        self._version += 1
        self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, result._output_nr, True

    def index_select(self, dim, index):
        d = _norm_dim(dim, self.data.ndim)
        idx = (slice(None),) * d + (index,)
        return self[idx]

    def flip(self, *dims):
        """Reverse the order of elements along ``dims``."""
        dims = _norm_dims(_shape_args(dims, "flip"), self.data.ndim)
        index = tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(self.data.ndim))
        return _ops.Flip.apply(self, index, False)

    def roll(self, shifts, dims=None):
        """Shift elements cyclically: ``roll(1, 0)`` moves every row down by one."""
        if dims is None:
            return self.flatten().roll(shifts, 0).view(self.shape)
        shifts = (shifts,) if isinstance(shifts, (builtins.int, np.integer)) else tuple(shifts)
        dims = (dims,) if isinstance(dims, (builtins.int, np.integer)) else tuple(dims)
        grids = list(np.indices(self.data.shape, sparse=True))
        for shift, d in zip(shifts, dims):
            d = _norm_dim(d, self.data.ndim)
            grids[d] = (grids[d] - shift) % self.data.shape[d]
        return _ops.Roll.apply(self, tuple(grids), True)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted); never part of the graph."""
        if dim is not None:
            raise NotImplementedError("unique(dim=...) is not supported by teachnn")
        values, inverse, counts = np.unique(self.data, return_inverse=True, return_counts=True)
        result = (Tensor(values),)
        if return_inverse:
            result += (Tensor(inverse.reshape(self.data.shape).astype(np.int64)),)
        if return_counts:
            result += (Tensor(counts.astype(np.int64)),)
        return result[0] if len(result) == 1 else result

    def log1p(self):
        return _ops.Log1p.apply(self._float_input())

    def expm1(self):
        return _ops.Expm1.apply(self._float_input())

    def type_as(self, other):
        return self.to(other.dtype)

    def argwhere(self):
        return self.nonzero()

    def gather(self, dim, index):
        """``out[i][j][k] = self[index[i][j][k]][j][k]`` for dim=0 (likewise for other dims).

        ``index`` (int64) has as many dims as self; out has index's shape.
        Backward: the gradient is scatter-added back to the gathered positions."""
        d, grids = _scatter_gather_grids(self, dim, index, None, "gather")
        return _ops.Index.apply(self, grids, True)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        """Out-of-place ``scatter_``: a copy of self with ``out[index[i][j]][j] = src[i][j]``
        (dim=0). ``src`` is a Tensor or a number (also accepted as ``value=``); only the part
        of src with index's shape is used. Repeated indices: the result is one of the values."""
        if reduce is not None:
            raise NotImplementedError(
                f"scatter(reduce={reduce!r}) is not implemented in teachnn (deprecated in torch); "
                "use scatter_add for reduce='add'")
        return self._scatter(dim, index, src, value, "scatter", add=False)

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        """In-place :meth:`scatter` (``x.scatter_(1, labels.unsqueeze(1), 1.0)`` makes one-hot rows)."""
        return self._inplace(None, lambda a, _: Tensor.scatter(a, dim, index, src, value, reduce))

    def scatter_add(self, dim, index, src):
        """Like scatter, but adds: ``out[index[i][j]][j] += src[i][j]`` (repeats add up)."""
        return self._scatter(dim, index, src, None, "scatter_add", add=True)

    def scatter_add_(self, dim, index, src):
        return self._inplace(None, lambda a, _: Tensor.scatter_add(a, dim, index, src))

    def _scatter(self, dim, index, src, value, name, add):
        if src is None and value is None:
            raise TypeError(f"{name}() missing the values to write: pass src (a Tensor) or value (a number)")
        if src is not None and not isinstance(src, Tensor):
            if isinstance(src, np.ndarray):
                src = as_tensor(src)
            elif isinstance(src, (numbers.Number, np.generic)) and not add:
                src, value = None, src
            else:
                raise TypeError(f"{name}(): src must be a Tensor or a number, not {type(src).__name__}")
        if src is not None and src.data.dtype != self.data.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype, but got {self.dtype} "
                               f"and {src.dtype}; convert src with src.to({self.dtype})")
        d, grids = _scatter_gather_grids(self, dim, index, src, name)
        src_part = None
        if src is not None:
            src_part = tuple(slice(0, n) for n in grids_shape(grids))
        cls = _ops.ScatterAdd if add else _ops.Scatter
        return cls.apply(self, src, value, grids, src_part, add)


# ----------------------------------------------------------------------------------------
# helpers: devices, dims, shapes, operands
# ----------------------------------------------------------------------------------------
class _Device:
    """``tensor.device``: always the CPU in teachnn."""

    def __init__(self, type=None, index=None):      # noqa: A002  (torch's keyword name)
        if isinstance(type, _Device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device() expects a device name such as 'cpu', got {type!r}")
        if ":" in type:                                # 'cuda:0' -> ('cuda', 0)
            type, _, number = type.partition(":")
            index = builtins.int(number)
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        # torch compares a device with a string as False; teachnn allows x.device == 'cpu'
        return str(other) == str(self)

    def __hash__(self):
        return hash(self.type)


device = _Device


def _check_device(device):
    name = str(device)
    if name != "cpu":
        raise RuntimeError(f"teachnn runs on the CPU only, but device='{name}' was requested; "
                           "use device='cpu' (or leave it out)")


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}


def _as_array(data):
    """What ``Tensor(data)`` stores when ``data`` is not a plain ndarray."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):       # an ndarray subclass
        return data
    if data is None:
        return np.zeros((0,), dtype=_dtype.get_default_dtype().np)
    if isinstance(data, np.generic):
        return np.asarray(data)
    return np.asarray(data, dtype=_dtype.get_default_dtype().np)   # like torch.Tensor([...])


def grids_shape(grids):
    """The shape of the index the advanced-index ``grids`` were built from."""
    return np.broadcast_shapes(*(g.shape for g in grids))


def _scatter_gather_grids(t, dim, index, src, name):
    """Check ``index`` like torch does for gather/scatter and build advanced-index grids:
    for each element of index, its target position in ``t`` (index value along ``dim``,
    the element's own coordinates along the other axes)."""
    d = _norm_dim(dim, t.data.ndim)
    if isinstance(index, np.ndarray):
        index = as_tensor(index)
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index.data
    if idx.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, but got {index.dtype}; "
                           "convert it with index.long()")
    if t.data.ndim == 0:
        raise RuntimeError(f"{name}() needs a tensor with at least one dimension, got a 0-d tensor; "
                           "use t.reshape(1) first")
    if idx.ndim != t.data.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor: "
                           f"index has {idx.ndim}, input has {t.data.ndim} (shapes {list(idx.shape)} and "
                           f"{list(t.shape)})")
    if src is not None and src.data.ndim != t.data.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as src tensor: "
                           f"index has {idx.ndim}, src has {src.data.ndim}")
    shape = t.data.shape
    for axis in range(len(shape)):
        if axis != d and idx.shape[axis] > shape[axis]:
            raise RuntimeError(f"Size does not match at dimension {axis} expected index {list(idx.shape)} to be "
                               f"smaller than self {list(t.shape)} apart from dimension {d}")
        if src is not None and idx.shape[axis] > src.data.shape[axis]:
            raise RuntimeError(f"Size does not match at dimension {axis} expected index {list(idx.shape)} to be "
                               f"smaller than src {list(src.shape)}")
    if idx.size and (idx.min() < 0 or idx.max() >= shape[d]):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(f"{name}(): index {bad} is out of bounds for dimension {d} with size {shape[d]}")
    grids = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx
    return d, tuple(grids)


def _legacy_shape(first, second, rest, name):
    """Shape and requires_grad from legacy ``Tensor(2, 3)`` / ``Tensor(Size([2, 3]))`` calls."""
    requires_grad = False
    if isinstance(first, Size):
        sizes = list(first)
        if second is not False:
            requires_grad = second
    else:
        sizes = [first]
        if second.__class__ is builtins.int:              # Tensor(2, 3): the second size
            sizes.append(second)
        elif second is not False:
            requires_grad = second
    sizes += list(rest)
    for n in sizes:
        if n.__class__ is not builtins.int:
            raise TypeError(f"{name}(*sizes) expects integer sizes, got {sizes!r}; to make a tensor from "
                            "values pass one list: teachnn.tensor([1.0, 2.0])")
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {sizes}")
    if requires_grad.__class__ is not builtins.bool:
        raise TypeError(f"{name}: requires_grad must be True or False, got {requires_grad!r}")
    return tuple(sizes), requires_grad


class _LegacyTensorType(type):
    """Metaclass of ``FloatTensor``, ``LongTensor``, ...: PyTorch's old typed constructors.

    ``LongTensor([1, 2])`` copies values into int64; ``FloatTensor(2, 3)`` is an
    uninitialised float32 tensor of shape (2, 3); ``isinstance(x, FloatTensor)`` is True
    for float32 tensors.
    """

    def __call__(cls, *args):
        np_dtype = cls.dtype.np
        if not args:
            return Tensor(np.empty((0,), dtype=np_dtype))
        first = args[0]
        if first.__class__ is builtins.int or isinstance(first, Size):
            shape, _ = _legacy_shape(first, args[1] if len(args) > 1 else False, args[2:], cls.__name__)
            if len(args) > 1 and args[1].__class__ is not builtins.int:
                raise TypeError(f"{cls.__name__}(*sizes) expects integer sizes, got {args!r}")
            return Tensor(np.empty(shape, dtype=np_dtype))
        if len(args) > 1:
            raise TypeError(f"{cls.__name__}() takes one sequence of values or integer sizes, got {args!r}")
        if isinstance(first, Tensor):
            first = first._data
        if not isinstance(first, (list, tuple, np.ndarray)):
            raise TypeError(f"new(): data must be a sequence (got {type(first).__name__}); "
                            f"write {cls.__name__}([value]) or teachnn.tensor(value)")
        return Tensor(np.array(first, dtype=np_dtype))        # a copy, like torch

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __repr__(cls):
        return f"<class 'teachnn.{cls.__name__}'>"


class FloatTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.float32


class DoubleTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.float64


class HalfTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.float16


class LongTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.int64


class IntTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.int32


class ShortTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.int16


class CharTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.int8


class ByteTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.uint8


class BoolTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.bool


def _rebuild_tensor(data, requires_grad, cls=Tensor):
    t = cls.__new__(cls)
    Tensor.__init__(t, data, requires_grad)
    return t


def _norm_dim(dim, ndim):
    """A possibly negative axis -> 0..ndim-1, or IndexError like torch's."""
    if not isinstance(dim, (builtins.int, np.integer)) or isinstance(dim, builtins.bool):
        raise TypeError(f"dim must be an int, but got {type(dim).__name__} ({dim!r})")
    low, high = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not low <= dim <= high:
        raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], but "
                         f"got {dim}): this tensor has {ndim} dimension{'s' if ndim != 1 else ''}")
    return builtins.int(dim) % ndim if ndim > 0 else 0


def _norm_dims(dim, ndim):
    """An int or a tuple of ints -> a sorted tuple of non-negative axes (none for a 0-d tensor)."""
    if ndim == 0:
        for d in (dim if isinstance(dim, (tuple, list)) else (dim,)):
            _norm_dim(d, 0)          # only 0 and -1 are valid, as in torch
        return ()
    if isinstance(dim, (tuple, list)):
        dims = tuple(_norm_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"dim {list(dim)} appears multiple times in the list of dims")
        return tuple(sorted(dims))
    return (_norm_dim(dim, ndim),)


def _shape_args(args, name):
    """Accept both ``f(2, 3)`` and ``f((2, 3))`` / ``f([2, 3])`` / ``f(teachnn.Size)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for a in args:
        if isinstance(a, Tensor) and a.data.size == 1 and a.data.dtype.kind in "iu":
            a = a.item()
        if not isinstance(a, (builtins.int, np.integer)) or isinstance(a, builtins.bool):
            raise TypeError(f"{name}(): sizes must be ints, but got {type(a).__name__} ({a!r}) in {list(args)}")
        out.append(builtins.int(a))
    return tuple(out)


def _infer_shape(shape, numel, old_shape, name):
    """Replace a single -1 in ``shape`` by whatever makes the element count match."""
    if shape.count(-1) > 1:
        raise RuntimeError(f"only one dimension can be inferred (got {list(shape)}: use -1 at most once)")
    known = 1
    for n in shape:
        if n != -1:
            if n < 0:
                raise RuntimeError(f"invalid shape dimension {n} in {list(shape)}")
            known *= n
    if -1 in shape:
        if known == 0 or numel % known != 0:
            raise RuntimeError(
                f"shape '{list(shape)}' is invalid for input of size {numel}: the other sizes multiply "
                f"to {known}, which does not divide {numel}")
        shape = tuple(numel // known if n == -1 else n for n in shape)
    elif known != numel:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {numel}: {name} keeps the number of "
            f"elements ({list(old_shape)} has {numel}, the new shape has {known}). Use -1 for one size "
            "to have it computed for you.")
    return shape


def _kind_rank(np_dtype):
    """Category of a dtype for type promotion: bool < integer < floating."""
    return {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}[np.dtype(np_dtype).kind]


def _promote_types(a, b):
    """torch.promote_types: a float type beats any integer type (float32 + int64 -> float32,
    where NumPy would say float64); otherwise the wider type of the same category wins."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    rank_a, rank_b = _kind_rank(a), _kind_rank(b)
    if rank_a != rank_b:
        return a if rank_a > rank_b else b
    return np.result_type(a, b)


def _result_dtype(tensors, scalars, true_divide=False):
    """PyTorch's type promotion for tensors and Python numbers.

    Tensors with dimensions decide; 0-d tensors and Python numbers only matter when they are
    of a higher category (bool < int < float). A Python float with an integer tensor gives
    the default float dtype (float32), never float64 as NumPy would.
    """
    dimensioned = [t.data.dtype for t in tensors if t.data.ndim > 0]
    zero_dim = [t.data.dtype for t in tensors if t.data.ndim == 0]
    result = None
    for group in (dimensioned, zero_dim):
        if group:
            candidate = group[0]
            for other in group[1:]:
                candidate = _promote_types(candidate, other)
            if result is None or _kind_rank(candidate) > _kind_rank(result):
                result = candidate
    for s in scalars:
        if isinstance(s, builtins.bool):
            rank, default = 0, np.dtype(np.bool_)
        elif isinstance(s, numbers.Integral):
            rank, default = 1, np.dtype(np.int64)
        else:
            rank, default = 2, _dtype.get_default_dtype().np
        if result is None or rank > _kind_rank(result):
            result = default
    if true_divide and _kind_rank(result) < 2:
        result = _dtype.get_default_dtype().np
    return np.dtype(result)


def _as_tensor_operand(other):
    if isinstance(other, Tensor):
        return other
    if isinstance(other, np.ndarray):
        return Tensor(other)
    if isinstance(other, (numbers.Number, np.generic)):
        return Tensor(np.asarray(other))
    if isinstance(other, (list, tuple)):
        return tensor(other)
    raise TypeError(f"unsupported operand type: expected a Tensor or a number, got {type(other).__name__}")


def _binary_operands(a, b, name, true_divide=False):
    """Return (a, b) as Tensors of the common dtype, checking that the shapes broadcast."""
    if isinstance(b, Tensor):
        if a.data.dtype == b.data.dtype and not true_divide:
            _check_broadcast(a.data.shape, b.data.shape)
            return a, b
        dtype = _result_dtype([a, b], [], true_divide)
        _check_broadcast(a.data.shape, b.data.shape)
        return _cast(a, dtype), _cast(b, dtype)
    if isinstance(b, (builtins.bool, numbers.Number)) and not isinstance(b, np.generic):
        dtype = _result_dtype([a], [b], true_divide)
        return _cast(a, dtype), Tensor(_scalar_array(b, dtype))
    if isinstance(b, (np.ndarray, np.generic, list, tuple)):
        return _binary_operands(a, _as_tensor_operand(np.asarray(b) if not isinstance(b, (list, tuple))
                                                       else b), name, true_divide)
    raise TypeError(f"unsupported operand type(s) for {name}: 'Tensor' and '{type(b).__name__}'")


def _cast(t, np_dtype):
    if t.data.dtype == np_dtype:
        return t
    return t.to(_dtype.from_numpy_dtype(np_dtype))


def _check_broadcast(shape_a, shape_b):
    if shape_a == shape_b:
        return
    for i in range(1, builtins.min(len(shape_a), len(shape_b)) + 1):
        a, b = shape_a[-i], shape_b[-i]
        if a != b and a != 1 and b != 1:
            dim = builtins.max(len(shape_a), len(shape_b)) - i
            raise RuntimeError(
                f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
                f"dimension {dim}: shapes {list(shape_a)} and {list(shape_b)} cannot be broadcast. "
                "Sizes must be equal or 1 when compared from the right; reshape or unsqueeze one of them.")


def _check_not_bool_sub(a, b):
    """torch refuses subtraction when either side is a bool (tensor or Python bool)."""
    if (a.data.dtype == np.bool_ or isinstance(b, (builtins.bool, np.bool_))
            or (isinstance(b, Tensor) and b.data.dtype == np.bool_)):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead (or convert first: mask.float()).")


def _check_inplace_cast(result_dtype, target_dtype):
    if _kind_rank(result_dtype) > _kind_rank(target_dtype):
        raise RuntimeError(
            f"result type {_dtype.from_numpy_dtype(result_dtype).name.capitalize()} can't be cast to the "
            f"desired output type {_dtype.from_numpy_dtype(target_dtype).name.capitalize()}: an in-place "
            "operation keeps the dtype of its target. Convert first (x = x.float()) or use x = x + y.")


def _scalar_array(value, dtype):
    """A Python number as a 0-d array of ``dtype``; out-of-range ints wrap around as in torch
    (uint8 tensor + (-1) adds 255), where NumPy would raise OverflowError."""
    if isinstance(value, numbers.Integral) and np.dtype(dtype).kind in "iu":
        return np.array(builtins.int(value)).astype(dtype)
    return np.asarray(value, dtype=dtype)


def _comparison_operand(a, other):
    if isinstance(other, Tensor):
        _check_broadcast(a.data.shape, other.data.shape)
        return other.data
    if isinstance(other, (list, tuple)):
        return np.asarray(other)
    if isinstance(other, numbers.Number) and not isinstance(other, np.generic):
        # torch compares in the promoted dtype: uint8 tensor < -1 compares with 255
        return _scalar_array(other, _result_dtype([a], [other]))
    return other


def _arg_reduce(t, dim, keepdim, fn):
    if dim is None:
        out = np.asarray(fn(t.data.reshape(-1)))
        if keepdim:
            out = out.reshape((1,) * t.data.ndim)
        return Tensor(out.astype(np.int64))
    d = _norm_dim(dim, t.data.ndim)
    if t.data.ndim == 0:
        return Tensor(np.asarray(0, dtype=np.int64))
    out = fn(t.data, axis=d)
    if keepdim:
        out = np.expand_dims(out, d)
    return Tensor(np.asarray(out).astype(np.int64))


def _convert_index(index, ndim):
    """Turn a Python index into a NumPy one; report whether it is 'advanced' (array-based)
    and which grad_fn name PyTorch would show."""
    if not isinstance(index, tuple):
        index = (index,)
    converted = []
    advanced = False
    for item in index:
        if isinstance(item, Tensor):
            if item.data.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            item = item.data
            if item.ndim == 0 and item.dtype.kind in "iu":
                item = builtins.int(item)
            else:
                advanced = True
        elif isinstance(item, (list, np.ndarray)):
            item = np.asarray(item)
            if item.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            advanced = True
        elif isinstance(item, (builtins.bool, np.bool_)):
            advanced = True
        elif not (isinstance(item, (builtins.int, np.integer, slice)) or item is None or item is Ellipsis):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                f"valid indices (got {type(item).__name__})")
        converted.append(item)
    index = tuple(converted)
    if advanced:
        return index, True, "index"
    kind = "slice"
    for item in reversed(index):
        if item is None:
            kind = "unsqueeze"
            break
        if isinstance(item, (builtins.int, np.integer)):
            kind = "select"
            break
        if isinstance(item, slice) and item != slice(None):
            kind = "slice"
            break
    return index, False, kind


def _check_index_bounds(data, index):
    """Give torch's IndexError for out-of-range integers (NumPy's message is less helpful)."""
    used = builtins.sum(1 for i in index if i is not None and i is not Ellipsis
                        and not (isinstance(i, np.ndarray) and i.dtype == np.bool_))
    bool_dims = builtins.sum(i.ndim for i in index if isinstance(i, np.ndarray) and i.dtype == np.bool_)
    if used + bool_dims > data.ndim:
        raise IndexError(f"too many indices for tensor of dimension {data.ndim}")
    axis = 0
    for item in index:
        if item is Ellipsis:
            axis = data.ndim - builtins.sum(1 for i in index[index.index(Ellipsis) + 1:] if i is not None)
            continue
        if item is None:
            continue
        if isinstance(item, (builtins.int, np.integer)) and not isinstance(item, builtins.bool):
            size = data.shape[axis]
            if not -size <= item < size:
                raise IndexError(f"index {item} is out of bounds for dimension {axis} with size {size}")
        if isinstance(item, np.ndarray) and item.dtype.kind in "iu" and item.size:
            size = data.shape[axis]
            if item.max() >= size or item.min() < -size:
                bad = item.max() if item.max() >= size else item.min()
                raise IndexError(f"index {bad} is out of bounds for dimension {axis} with size {size}")
        if isinstance(item, np.ndarray) and item.dtype == np.bool_:
            axis += item.ndim
        else:
            axis += 1


# ----------------------------------------------------------------------------------------
# printing, following torch/_tensor_str.py (precision 4, threshold 1000, edgeitems 3, width 80)
# ----------------------------------------------------------------------------------------
class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Same options as ``torch.set_printoptions``."""
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, 1000, 3, 80
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 1000, 2, 80
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, math.inf, 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """Decides one common format for all numbers of a tensor (like torch's _Formatter):
    integers-as-floats print as ``1.``, else 4 decimals, or scientific notation when the
    values span more than 3 orders of magnitude, exceed 1e8 or go below 1e-4."""

    def __init__(self, values):
        p = PRINT_OPTS.precision
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = builtins.max(self.max_width, len(_int_str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        abs_vals = np.abs(finite)
        lo, hi = abs_vals.min(), abs_vals.max()
        self.int_mode = builtins.bool(np.all(finite == np.ceil(finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        for v in finite.tolist():
            if self.sci_mode:
                width = len(f"{v:.{p}e}")
            elif self.int_mode:
                width = len(f"{v:.0f}") + 1
            else:
                width = len(f"{v:.{p}f}")
            self.max_width = builtins.max(self.max_width, width)

    def format(self, value):
        p = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{p}f}"
        else:
            text = _int_str(value)
        return (self.max_width - len(text)) * " " + text


def _int_str(v):
    return "True" if v is True else "False" if v is False else str(v)


def _summarized(a):
    """Only the edge items that will actually be printed (used to choose the format)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:e], a[-e:]]) if a.shape[0] > 2 * e else a
    rows = list(range(e)) + list(range(a.shape[0] - e, a.shape[0])) if a.shape[0] > 2 * e \
        else range(a.shape[0])
    return np.stack([_summarized(a[i]) for i in rows])


def _vector_str(a, indent, summarize, formatter):
    element_length = formatter.max_width + 2
    per_line = builtins.max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        data = [formatter.format(v) for v in a[:e].tolist()] + [" ..."] + \
               [formatter.format(v) for v in a[-e:].tolist()]
    else:
        data = [formatter.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(a, indent, summarize, formatter):
    if a.ndim == 0:
        return formatter.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, formatter)
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        parts = [_array_str(a[i], indent + 1, summarize, formatter) for i in range(e)] + ["..."] + \
                [_array_str(a[i], indent + 1, summarize, formatter) for i in range(a.shape[0] - e, a.shape[0])]
    else:
        parts = [_array_str(a[i], indent + 1, summarize, formatter) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _tensor_repr(t, prefix="tensor("):
    a = t.data
    indent = len(prefix)
    suffixes = []
    default = a.dtype in (_dtype.get_default_dtype().np, np.dtype(np.int64), np.dtype(np.bool_))
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append("size=" + str(tuple(a.shape)))
        if a.dtype != _dtype.get_default_dtype().np:
            suffixes.append(f"dtype={t.dtype}")
        body = "[]"
    else:
        if not default:
            suffixes.append(f"dtype={t.dtype}")
        summarize = a.size > PRINT_OPTS.threshold
        shown = a.astype(np.float64) if a.dtype == np.float16 else a
        formatter = _Formatter(_summarized(shown) if summarize else shown)
        body = _array_str(shown, indent, summarize, formatter)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name().rsplit('::', 1)[-1]}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    last_line_len = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        # measure "teachnn.float64" as torch's "torch.float64": lines break where torch's do
        width = len(s) - s.count("teachnn.") * (len("teachnn.") - len("torch."))
        if last_line_len + width + 2 > PRINT_OPTS.linewidth:
            text += ",\n" + " " * indent + s
            last_line_len = indent + width
        else:
            text += ", " + s
            last_line_len += width + 2
    return text + ")"


# ----------------------------------------------------------------------------------------
# factories
# ----------------------------------------------------------------------------------------
def _np_dtype_or_default(dtype, default=None):
    if dtype is None:
        return (default or _dtype.get_default_dtype()).np
    return _dtype.to_numpy(dtype)


def _finish(array, requires_grad, device=None):
    if device is not None:
        _check_device(device)
    return Tensor(array, requires_grad=requires_grad)


def _infer_numpy(data):
    """Python data -> ndarray with torch's defaults (floats float32, ints int64, bools bool)."""
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, (list, tuple)) and data and builtins.any(isinstance(x, Tensor) for x in _flatten_items(data)):
        data = _nested_tensors_to_lists(data)
    try:
        a = np.asarray(data)
    except ValueError:
        raise ValueError("can't build a tensor from rows of different lengths (for example [[1, 2], [3]]): "
                         "every row must have the same number of elements") from None
    if a.dtype == object:
        raise TypeError(f"can't build a tensor from this data (it contains {type(_first_odd(data)).__name__} "
                        "objects or rows of different lengths); use numbers in nested lists of equal length")
    if a.dtype.kind == "f" and not isinstance(data, np.ndarray) and not isinstance(data, np.generic):
        a = a.astype(_dtype.get_default_dtype().np)
    elif a.dtype.kind in "iu" and not isinstance(data, (np.ndarray, np.generic)):
        a = a.astype(np.int64)
    elif a.dtype.kind in "US":
        raise TypeError("new(): invalid data type 'str': tensors hold numbers, not text")
    return a


def _flatten_items(data):
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        else:
            yield x


def _first_odd(data):
    for x in _flatten_items(data):
        if not isinstance(x, (numbers.Number, np.generic)):
            return x
    return data


def _nested_tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data.data.tolist() if data.data.ndim else data.item()
    if isinstance(data, (list, tuple)):
        return [_nested_tensors_to_lists(x) for x in data]
    return data


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Create a tensor from Python data (copies). Floats -> float32, ints -> int64, bools -> bool."""
    a = _infer_numpy(data)
    if dtype is not None:
        a = a.astype(_dtype.to_numpy(dtype))
    elif a.dtype not in _dtype._BY_NUMPY:
        _dtype.from_numpy_dtype(a.dtype)
    return _finish(np.array(a, copy=True), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array (or Tensor) when the dtype allows."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray):
        if dtype is None:
            _check_dtype_supported(data)
        return _finish(data if dtype is None else data.astype(_dtype.to_numpy(dtype), copy=False), False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray`` (same dtype: float64 stays float64)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _check_dtype_supported(ndarray)
    return Tensor(ndarray)


def _size_args(size, name):
    return _shape_args(size, name)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _finish(np.zeros(_size_args(size, "zeros"), dtype=_np_dtype_or_default(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _finish(np.ones(_size_args(size, "ones"), dtype=_np_dtype_or_default(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None):
    # teachnn fills "uninitialised" memory with zeros: reproducible and safe to print
    return _finish(np.zeros(_size_args(size, "empty"), dtype=_np_dtype_or_default(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = _dtype.bool
        elif isinstance(fill_value, numbers.Integral):
            dtype = _dtype.int64
    shape = _size_args((size,) if isinstance(size, (builtins.int, np.integer)) else tuple(size), "full")
    return _finish(np.full(shape, fill_value, dtype=_np_dtype_or_default(dtype)), requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _finish(np.eye(n, n if m is None else m, dtype=_np_dtype_or_default(dtype)), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values start, start+step, ... below end. All-int arguments give int64, else float32."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_int = builtins.all(isinstance(v, (builtins.int, np.integer)) for v in values)
        dtype = _dtype.int64 if is_int else _dtype.get_default_dtype()
    start, end, step = values
    n = builtins.max(0, math.ceil((end - start) / step))
    a = (start + step * np.arange(n, dtype=np.float64)) if _dtype.to_dtype(dtype).is_floating_point \
        else np.arange(start, end, step)
    return _finish(a.astype(_dtype.to_numpy(dtype)), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    if not isinstance(steps, (builtins.int, np.integer)) or steps < 0:
        raise RuntimeError(f"number of steps must be non-negative (got {steps})")
    a = np.linspace(start, end, steps).astype(_np_dtype_or_default(dtype))
    return _finish(a, requires_grad, device)


def _like_dtype(t, dtype):
    return t.data.dtype if dtype is None else _dtype.to_numpy(dtype)


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.zeros(input.data.shape, dtype=_like_dtype(input, dtype)), requires_grad, device)


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.ones(input.data.shape, dtype=_like_dtype(input, dtype)), requires_grad, device)


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.full(input.data.shape, fill_value, dtype=_like_dtype(input, dtype)), requires_grad, device)


def _check_tensor_list(tensors, name):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' must be a tuple or list of Tensors, "
                        f"not {type(tensors).__name__}")
    if len(tensors) == 0:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    # NumPy arrays (for example ``t.data``) are accepted and wrapped, sharing memory
    tensors = [as_tensor(t) if t.__class__ is np.ndarray else t for t in tensors]
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    dtype = _result_dtype(list(tensors), [])
    return [_cast(t, dtype) for t in tensors]


def cat(tensors, dim=0, out=None):
    """Join tensors along an existing axis; all other sizes must match."""
    tensors = _check_tensor_list(tensors, "cat")
    # torch skips 1-d empty tensors in cat (legacy behaviour)
    tensors = [t for t in tensors if not (t.data.ndim == 1 and t.data.size == 0)] or tensors[:1]
    ref = tensors[0]
    d = _norm_dim(dim, ref.data.ndim)
    for i, t in enumerate(tensors):
        if t.data.ndim != ref.data.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.data.ndim} and {t.data.ndim}")
        for axis in range(ref.data.ndim):
            if axis != d and t.data.shape[axis] != ref.data.shape[axis]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.data.shape[axis]} but got size {t.data.shape[axis]} for tensor number {i} in "
                    f"the list (shapes {[list(x.shape) for x in tensors]})")
    return _ops.Cat.apply(d, *tensors)


concat = cat
concatenate = cat


def stack(tensors, dim=0, out=None):
    """Join tensors of equal shape along a new axis ``dim``."""
    tensors = _check_tensor_list(tensors, "stack")
    ref = tensors[0]
    for i, t in enumerate(tensors):
        if t.data.shape != ref.data.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref.shape)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
    d = _norm_dim(dim, ref.data.ndim + 1)
    return _ops.Stack.apply(d, *tensors)


def chunk(input, chunks, dim=0):
    d = _norm_dim(dim, input.data.ndim)
    size = math.ceil(input.data.shape[d] / chunks)
    return split(input, builtins.max(size, 1), d)


def split(input, split_size_or_sections, dim=0):
    d = _norm_dim(dim, input.data.ndim)
    n = input.data.shape[d]
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


def unbind(input, dim=0):
    d = _norm_dim(dim, input.data.ndim)
    return tuple(input[(slice(None),) * d + (i,)] for i in range(input.data.shape[d]))


def tril(input, diagonal=0):
    mask = np.tril(np.ones(input.data.shape[-2:], dtype=bool), diagonal)
    return where(Tensor(mask), input, zeros_like(input))


def triu(input, diagonal=0):
    mask = np.triu(np.ones(input.data.shape[-2:], dtype=bool), diagonal)
    return where(Tensor(mask), input, zeros_like(input))


def diag(input, diagonal=0):
    """1-d input: a square matrix with it on the ``diagonal``; 2-d input: that diagonal."""
    if input.data.ndim == 2:
        rows = np.arange(input.data.shape[0])
        cols = rows + diagonal
        keep = (cols >= 0) & (cols < input.data.shape[1])
        return input[rows[keep], cols[keep]]
    if input.data.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.data.ndim}D")
    n = input.data.shape[0] + builtins.abs(diagonal)
    out = zeros(n, n, dtype=input.dtype)
    rows = np.arange(input.data.shape[0]) + builtins.max(-diagonal, 0)
    out[rows, rows + diagonal] = input      # recorded as CopySlices when input requires grad
    return out


# ----------------------------------------------------------------------------------------
# module-level functions mirroring torch.*
# ----------------------------------------------------------------------------------------
def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


def _check_tensor_arg(x, name, arg="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


def exp(input):
    return input.exp()


def log(input):
    return input.log()


def sqrt(input):
    return input.sqrt()


def abs(input):
    return input.abs()


def neg(input):
    return input.neg()


def sign(input):
    return input.sign()


def square(input):
    return input.square()


def sin(input):
    return input.sin()


def cos(input):
    return input.cos()


def floor(input):
    return input.floor()


def ceil(input):
    return input.ceil()


def round(input, decimals=0):
    return input.round(decimals)


def pow(input, exponent):
    if isinstance(input, Tensor):
        return input.pow(exponent)
    return exponent.__rpow__(input)


def add(input, other, *, alpha=1):
    return _as_tensor_operand(input).add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    return _as_tensor_operand(input).sub(other, alpha=alpha)


def mul(input, other):
    return _as_tensor_operand(input) * other


def div(input, other, *, rounding_mode=None):
    return _as_tensor_operand(input).div(other, rounding_mode=rounding_mode)


def sum(input, dim=None, keepdim=False, dtype=None):
    return input.sum(dim, keepdim=keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, dtype=None):
    return input.mean(dim, keepdim=keepdim, dtype=dtype)


def prod(input, dim=None, keepdim=False, dtype=None):
    return input.prod(dim, keepdim, dtype=dtype)


def cumsum(input, dim, dtype=None):
    return input.cumsum(dim, dtype=dtype)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.std(dim, unbiased, keepdim, correction=correction)


def max(input, dim=None, keepdim=False):
    """``max(x)``, ``max(x, dim)`` -> (values, indices), or ``max(x, y)`` elementwise."""
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    return input.min(dim, keepdim)


def amax(input, dim=(), keepdim=False):
    return input.amax(dim, keepdim)


def amin(input, dim=(), keepdim=False):
    return input.amin(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    return input.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return input.argmin(dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    return input.logsumexp(dim, keepdim)


def any(input, dim=None, keepdim=False):
    return input.any(dim, keepdim)


def all(input, dim=None, keepdim=False):
    return input.all(dim, keepdim)


def count_nonzero(input, dim=None):
    return input.count_nonzero(dim)


def sort(input, dim=-1, descending=False, stable=False):
    d = _norm_dim(dim, input.data.ndim)
    key = -input.data if descending and input.data.dtype != np.bool_ else input.data
    order = np.argsort(key, axis=d, kind="stable")
    if descending and input.data.dtype == np.bool_:
        order = np.flip(np.argsort(input.data, axis=d, kind="stable"), axis=d)
    values = gather_along(input, d, order)
    return _SortResult(values, Tensor(order.astype(np.int64)))


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim=dim, descending=descending, stable=stable).indices


def topk(input, k, dim=-1, largest=True, sorted=True):
    d = _norm_dim(dim, input.data.ndim)
    if not 0 <= k <= input.data.shape[d]:
        raise RuntimeError(f"selected index k out of range: k={k} but dimension {d} has size {input.data.shape[d]}")
    res = sort(input, dim=d, descending=largest, stable=True)
    idx = np.take(res.indices.data, np.arange(k), axis=d)
    return _TopkResult(gather_along(input, d, idx), Tensor(idx))


def gather_along(input, dim, indices):
    grids = list(np.indices(indices.shape, sparse=True))
    grids[dim] = indices
    return _ops.Index.apply(input, tuple(grids), True)


def _matmul_checks(a, b, name):
    _check_tensor_arg(a, name)
    _check_tensor_arg(b, name, "other")
    if a.data.ndim == 0 or b.data.ndim == 0:
        raise RuntimeError(f"both arguments to {name} need to be at least 1D, but they are "
                           f"{a.data.ndim}D and {b.data.ndim}D; use * to multiply by a scalar")


def matmul(input, other):
    """Matrix product with NumPy/torch rules: 1-d vectors, 2-d matrices, batched stacks."""
    _matmul_checks(input, other, "matmul")
    a, b = input.data, other.data
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


def mm(input, mat2):
    _matmul_checks(input, mat2, "mm")
    if input.data.ndim != 2 or mat2.data.ndim != 2:
        raise RuntimeError(f"mm(): both arguments must be 2-d matrices, but got {input.data.ndim}-d and "
                           f"{mat2.data.ndim}-d tensors; use matmul (or @) for other shapes")
    return matmul(input, mat2)


def bmm(input, mat2):
    _matmul_checks(input, mat2, "bmm")
    if input.data.ndim != 3 or mat2.data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (got {input.data.ndim}-d and {mat2.data.ndim}-d)")
    if input.data.shape[0] != mat2.data.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {input.data.shape[0]} "
                           f"and {mat2.data.shape[0]}")
    return matmul(input, mat2)


def dot(input, other):
    _matmul_checks(input, other, "dot")
    if input.data.ndim != 1 or other.data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.data.ndim}D and {other.data.ndim}D tensors")
    return matmul(input, other)


def outer(input, vec2):
    return input.unsqueeze(1) * vec2.unsqueeze(0)


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if builtins.any(o.requires_grad for o in operands) and grad_mode._grad_enabled:
        raise NotImplementedError("einsum() with gradients is not implemented in teachnn; use matmul")
    return Tensor(np.einsum(equation, *[o.data for o in operands]))


def relu(input):
    return input.relu()


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def softmax(input, dim, dtype=None):
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    return input.log_softmax(dim, dtype=dtype)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def reshape(input, shape):
    return input.reshape(shape)


def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


def t(input):
    return input.t()


def permute(input, dims):
    return input.permute(dims)


def squeeze(input, dim=None):
    return input.squeeze(dim)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def broadcast_to(input, size):
    return input.expand(size)


def expand_copy(input, size):
    return input.expand(size).clone()


def clone(input, memory_format=None):
    return input.clone()


def detach(input):
    return input.detach()


def where(condition, input=None, other=None):
    """``where(cond, x, y)``: x where cond is True, else y (broadcast); gradients flow to x and y."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_dtype.from_numpy_dtype(cond.dtype)}; compare first, e.g. where(x > 0, x, y)")
    scalars = [v for v in (input, other) if not isinstance(v, Tensor)]
    tensors = [v for v in (input, other) if isinstance(v, Tensor)]
    dtype = _result_dtype(tensors, scalars)
    x = _cast(input, dtype) if isinstance(input, Tensor) else Tensor(_scalar_array(input, dtype))
    y = _cast(other, dtype) if isinstance(other, Tensor) else Tensor(_scalar_array(other, dtype))
    _check_broadcast(cond.shape, x.data.shape)
    _check_broadcast(np.broadcast_shapes(cond.shape, x.data.shape), y.data.shape)
    return _ops.Where.apply(cond, x, y)


def clamp(input, min=None, max=None):
    return input.clamp(min, max)


clip = clamp


def maximum(input, other):
    """Elementwise larger value of two tensors (broadcast)."""
    _check_tensor_arg(other, "maximum", "other")
    x, y = _binary_operands(input, other, "maximum")
    return _ops.Maximum.apply(x, y)


def minimum(input, other):
    _check_tensor_arg(other, "minimum", "other")
    x, y = _binary_operands(input, other, "minimum")
    return _ops.Minimum.apply(x, y)


def lt(input, other):
    return input < other


def le(input, other):
    return input <= other


def gt(input, other):
    return input > other


def ge(input, other):
    return input >= other


def eq(input, other):
    return input == other


def ne(input, other):
    return input != other


def logical_not(input):
    return input.logical_not()


def logical_and(input, other):
    return input.logical_and(other)


def logical_or(input, other):
    return input.logical_or(other)


def isnan(input):
    return input.isnan()


def isinf(input):
    return input.isinf()


def isfinite(input):
    return input.isfinite()


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return input.isclose(other, rtol, atol, equal_nan)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if |input - other| <= atol + rtol * |other| everywhere (shapes must broadcast)."""
    o = other.data if isinstance(other, Tensor) else np.asarray(other)
    _check_broadcast(input.data.shape, np.shape(o))
    return builtins.bool(np.allclose(input.data, o, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other):
    """True if both tensors have the same shape and the same values."""
    return input.data.shape == other.data.shape and builtins.bool(np.array_equal(input.data, other.data))


def save(obj, f, pickle_protocol=pickle.DEFAULT_PROTOCOL, **kwargs):
    """Save any picklable object (tensors, state_dicts, ...) to a path or a file object."""
    if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__"):
        with open(f, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle_protocol)
    else:
        pickle.dump(obj, f, protocol=pickle_protocol)


def load(f, map_location=None, weights_only=None, **kwargs):
    """Load an object written by ``teachnn.save`` (only load files you trust: it is pickle)."""
    if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__"):
        with open(f, "rb") as fh:
            return pickle.load(fh)
    return pickle.load(f)


def flip(input, dims):
    return input.flip(dims)


def roll(input, shifts, dims=None):
    return input.roll(shifts, dims)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    return input.unique(sorted, return_inverse, return_counts, dim)


def log1p(input):
    return input.log1p()


def expm1(input):
    return input.expm1()


def gather(input, dim, index):
    return input.gather(dim, index)


def scatter(input, dim, index, src=None, value=None, reduce=None):
    return input.scatter(dim, index, src, value, reduce)


def scatter_add(input, dim, index, src):
    return input.scatter_add(dim, index, src)


def index_select(input, dim, index):
    return input.index_select(dim, index)


def masked_fill(input, mask, value):
    return input.masked_fill(mask, value)


def argwhere(input):
    return input.nonzero()


def nonzero(input, as_tuple=False):
    return input.nonzero(as_tuple)


def rsqrt(input):
    return input.rsqrt()


def reciprocal(input):
    return input.reciprocal()


def norm(input, p=2, dim=None, keepdim=False):
    return input.norm(p, dim, keepdim)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids (no gradient). Like torch, ``indexing`` defaults to 'ij'."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return tuple(Tensor(g.copy()) for g in np.meshgrid(*[t.data for t in tensors], indexing=indexing))


def typename(obj):
    if isinstance(obj, Tensor):
        return f"teachnn.{_TYPE_NAMES.get(obj.dtype.name, 'Tensor')}"
    return type(obj).__module__ + "." + type(obj).__qualname__


def set_num_threads(n):
    """Threads used by the Numba kernels (``numba.set_num_threads``)."""
    import numba
    numba.set_num_threads(builtins.max(1, builtins.min(builtins.int(n), numba.config.NUMBA_NUM_THREADS)))


def get_num_threads():
    import numba
    return numba.get_num_threads()


def bincount(input, weights=None, minlength=0):
    w = None if weights is None else weights.data
    return Tensor(np.bincount(input.data, weights=w, minlength=minlength).astype(
        np.int64 if w is None else w.dtype))


# ----------------------------------------------------------------------------------------
# NumPy-style keyword names: like torch, x.sum(axis=1, keepdims=True) means
# x.sum(dim=1, keepdim=True). Unknown keywords get a "Did you mean ...?" suggestion.
# ----------------------------------------------------------------------------------------
def _accept_torch_keywords(fn, owner):
    import functools
    import inspect
    from ._errors import unexpected_keyword_message
    params = inspect.signature(fn).parameters
    valid = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
             and n not in ("self", "input")]
    takes_var_kwargs = builtins.any(p.kind == p.VAR_KEYWORD for p in params.values())
    aliases = {"axis": "dim", "keepdims": "keepdim", "axis0": "dim0", "axis1": "dim1"}

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for numpy_name, torch_name in aliases.items():
                if numpy_name in kwargs and torch_name in params:
                    if torch_name in kwargs:
                        raise TypeError(f"{fn.__name__}() got both '{torch_name}' and its alias '{numpy_name}'")
                    kwargs[torch_name] = kwargs.pop(numpy_name)
            if not takes_var_kwargs:
                for key in kwargs:
                    if key not in params:
                        raise TypeError(unexpected_keyword_message(f"{owner}{fn.__name__}", key, valid))
        return fn(*args, **kwargs)

    return wrapper


_KEYWORD_METHODS = [
    "sum", "mean", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin", "softmax",
    "log_softmax", "logsumexp", "squeeze", "unsqueeze", "flatten", "transpose", "cumsum", "prod",
    "any", "all", "sort", "argsort", "topk", "norm", "clamp", "size", "chunk", "split", "unbind",
    "flip", "roll", "unique", "gather", "index_select", "count_nonzero", "repeat", "expand",
    "view", "reshape", "permute", "to", "add", "sub", "div", "backward", "requires_grad_",
    "uniform_", "normal_", "fill_", "masked_fill", "isclose", "allclose",
]
for _name in _KEYWORD_METHODS:
    setattr(Tensor, _name, _accept_torch_keywords(getattr(Tensor, _name), "Tensor."))

_KEYWORD_FUNCTIONS = [
    "sum", "mean", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin", "softmax",
    "log_softmax", "logsumexp", "squeeze", "unsqueeze", "flatten", "transpose", "cumsum", "prod",
    "any", "all", "sort", "argsort", "topk", "cat", "concat", "concatenate", "stack", "chunk",
    "split", "unbind", "flip", "roll", "gather", "index_select", "norm", "clamp", "clip", "zeros",
    "ones", "empty", "full", "eye", "arange", "linspace", "tensor", "zeros_like", "ones_like",
    "full_like", "empty_like", "where", "allclose", "isclose", "count_nonzero",
]
for _name in _KEYWORD_FUNCTIONS:
    globals()[_name] = _accept_torch_keywords(globals()[_name], "")
del _name


# ----------------------------------------------------------------------------------------
# NumPy arrays where a Tensor is expected: ``t.data`` is an ndarray in teachnn (a Tensor in
# torch), so tutorial code such as ``_, predicted = torch.max(outputs.data, 1)`` passes an
# ndarray to a module-level function. Every ndarray argument is wrapped with ``as_tensor``
# (shares memory, keeps the dtype) before the function runs.
# ----------------------------------------------------------------------------------------
def _accept_numpy_arrays(fn):
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = tuple(as_tensor(a) if a.__class__ is np.ndarray else a for a in args)
        for key, value in kwargs.items():
            if value.__class__ is np.ndarray and key != "out":
                kwargs[key] = as_tensor(value)
        return fn(*args, **kwargs)

    return wrapper


def _takes_input_first(fn):
    import inspect
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] in ("input", "condition")


for _name in list(__all__) + ["logical_and", "logical_or", "logical_not", "flip", "roll", "unique",
                              "log1p", "expm1", "gather", "scatter", "scatter_add", "index_select", "masked_fill", "argwhere",
                              "nonzero", "rsqrt", "reciprocal", "norm", "bincount"]:
    _fn = globals().get(_name)
    if callable(_fn) and not isinstance(_fn, type) and _takes_input_first(_fn):
        globals()[_name] = _accept_numpy_arrays(_fn)
del _name, _fn

__all__ += ["flip", "roll", "unique", "log1p", "expm1", "gather", "scatter", "scatter_add", "index_select", "masked_fill",
            "argwhere", "nonzero", "rsqrt", "reciprocal", "norm", "meshgrid", "bincount", "typename",
            "set_num_threads", "get_num_threads"]

# ----------------------------------------------------------------------------------------
# ``out=``: torch.matmul(a, b, out=c) computes the result and writes it into c (which keeps
# its dtype; its shape is changed if it differs). Like torch, out= does no autograd: it is an
# error when grad mode is on and an argument (or out) requires grad.
# ----------------------------------------------------------------------------------------
def _any_requires_grad(values):
    for v in values:
        if isinstance(v, Tensor):
            if v._requires_grad:
                return True
        elif isinstance(v, (list, tuple)) and _any_requires_grad(v):
            return True
    return False


def _write_out(out, result, name):
    """Copy ``result`` into ``out`` in place (resizing out if the shapes differ)."""
    import warnings
    values = result._data
    _check_inplace_cast(values.dtype, out._data.dtype)
    if out._data.shape != values.shape:
        if out._data.size:
            warnings.warn(f"{name}(): an output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(values.shape)}", UserWarning, stacklevel=3)
        out._data = np.empty(values.shape, dtype=out._data.dtype)
    np.copyto(out._data, values, casting="unsafe")
    out._version += 1
    return out


def _accept_out(fn):
    import functools
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
        if grad_mode._grad_enabled and (out._requires_grad or _any_requires_grad(args)
                                        or _any_requires_grad(kwargs.values())):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad. Drop out= "
                               f"(write c = teachnn.{name}(...)) or wrap the call in teachnn.no_grad().")
        return _write_out(out, fn(*args, **kwargs), name)

    return wrapper


for _name in ["matmul", "mm", "bmm", "dot", "outer", "add", "sub", "mul", "div", "pow", "cat", "concat",
              "concatenate", "stack", "exp", "log", "sqrt", "abs", "neg", "sign", "square", "sin", "cos",
              "floor", "ceil", "round", "sigmoid", "tanh", "clamp", "clip", "maximum", "minimum", "sum",
              "mean", "prod", "cumsum", "where", "lt", "le", "gt", "ge", "eq", "ne", "logical_not",
              "logical_and", "logical_or", "log1p", "expm1", "rsqrt", "reciprocal"]:
    globals()[_name] = _accept_out(globals()[_name])
del _name


# The operations are defined in autograd/ops.py, which itself needs Tensor: import it last.
from .autograd import ops as _ops  # noqa: E402
