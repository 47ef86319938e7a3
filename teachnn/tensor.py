"""``Tensor``: a NumPy array that remembers how it was computed.

A Tensor holds

* ``data``          the numbers, an ``np.ndarray``;
* ``requires_grad`` whether gradients with respect to it are wanted;
* ``grad_fn``       the backward-graph node of the operation that produced it (None for leaves);
* ``grad``          after ``loss.backward()``: dloss/dtensor, a Tensor shaped like ``data``.

Every method below either works on ``data`` directly (no gradient, e.g. comparisons) or
calls a ``Function`` from ``teachnn/_ops.py`` that also knows its backward.
The names, arguments, dtypes and error types follow ``torch.Tensor``.

The Tensor layer, file by file (``docs/architecture.md`` draws the arrows):

* ``tensor.py``             this class: the numbers, autograd attributes, arithmetic, in-place
                            updates, comparisons, elementwise functions, reductions, shapes;
* ``_tensor_indexing.py``   ``x[i]``, ``x[i] = v``, gather/scatter (a base class of Tensor);
* ``_tensor_math.py``        ``sinh``, ``erf``, ``floor``, ``atan2``, ``lerp``, ``cumprod``, ... (a base class);
* ``_tensor_conversions.py`` ``item``, ``tolist``, ``float()``, pickling (a base class of Tensor);
* ``_ops.py``               the differentiable operations (forward + backward) the methods call;
* ``_promotion.py``         type promotion (torch's rules) and the operands of ``a + b``;
* ``_shapes.py``            ``Size``, dims, shape arguments, ``device``;
* ``_tensor_str.py``        printing, following PyTorch's formatting rules;
* ``_factories.py``         ``tensor``, ``zeros``, ``arange``, ``rand``, ...;
* ``_torch_functions.py``   ``teachnn.exp(x)``, ``teachnn.cat``, ``teachnn.matmul``, ...;
* ``_legacy_types.py``      ``FloatTensor``, ``LongTensor``, ... (PyTorch's old constructors).

Where a method needs a module that imports this one (``teachnn._ops.Exp``, ``teachnn.matmul``)
it looks it up in the package when it runs, as ``torch/_tensor.py`` calls ``torch.*``: the
imports stay one-way (tests/test_architecture.py checks that there is no import cycle).

Try ``y = (x * 2).sum(); print(y.grad_fn, y.grad_fn.next_functions)`` to see the graph.
"""
import builtins
import numbers

import numpy as np

import teachnn
from . import _dtype
from ._dtype import _TYPE_NAMES
from ._errors import numpy_keywords
from ._promotion import (_binary_operands, _cast, _check_inplace_cast, _check_not_bool_sub,
                         _comparison_ndarray_error, _comparison_operand, _is_float_array, _numpy_operator,
                         _result_dtype)
from ._shapes import (Size, _MaxResult, _MinResult, _check_device, _Device, _infer_shape,  # noqa: F401
                      _legacy_shape, _norm_dim, _norm_dims, _shape_args, device)
from ._tensor_conversions import TensorConversions, _rebuild_tensor  # noqa: F401  (old pickles)
from ._tensor_indexing import TensorIndexing
from ._tensor_math import TensorMath
from ._tensor_str import _tensor_repr
from .autograd import engine, grad_mode
from .autograd.function import AccumulateGrad, _RemovableHandle, register_tensor_class
from .random import _np_rng

__all__ = ["Tensor", "Size", "device"]


@register_tensor_class          # autograd wraps gradients in this class without importing it
class Tensor(TensorConversions, TensorIndexing, TensorMath):
    """A multi-dimensional array with automatic differentiation (see the module docstring).

    ``Tensor(ndarray, requires_grad=False)`` wraps the array as it is (no copy, no dtype
    change); to create tensors from Python data use ``teachnn.tensor([...])``.

    PyTorch's legacy forms also work: ``Tensor(2, 3)`` is an uninitialised tensor of shape
    (2, 3) (like ``teachnn.empty(2, 3)``) and ``Tensor([1, 2])`` copies Python values into
    the default dtype (float32).
    """

    __array_priority__ = 1000      # ndarray (op) Tensor goes to Tensor's reflected operator
    __module__ = "teachnn"         # type(x) prints <class 'teachnn.Tensor'>, as torch's 'torch.Tensor'

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
        if not data.dtype.isnative:             # kernels read the CPU's byte order only
            _dtype.check_native_byte_order(data.dtype)
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
        """A new Tensor sharing this tensor's memory, with ``requires_grad=False``, no ``grad_fn``
        and its own version counter (as in PyTorch): ``w.data.mul_(2)`` changes ``w`` unrecorded."""
        return Tensor(self._data)

    @data.setter
    def data(self, value):
        # ``p.data = other_tensor`` (as in PyTorch): self takes the other tensor's memory, any shape
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}; "
                            "wrap values first: t.data = teachnn.tensor(values)")
        if self._requires_grad and not _is_float_array(value._data):
            raise RuntimeError(f"data set to a tensor that requires gradients must be floating point, "
                               f"but got {value.dtype}; convert it first, e.g. t.data = other.float()")
        self._data = value._data

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
        if value and not _is_float_array(self._data):
            raise RuntimeError(
                "Only Tensors of floating point dtype can require gradients: this tensor has dtype "
                f"{self.dtype}. Convert it first, e.g. x = x.float() (or create it from float values "
                "like 1.0 instead of 1).")
        self._requires_grad = value

    @numpy_keywords
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

    @numpy_keywords
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf that requires grad; add it to ``leaf.grad``.

        ``gradient`` is required when self is not a single number (it is dL/dself).
        The graph is freed afterwards unless ``retain_graph=True``.
        """
        engine.backward([self], [gradient], retain_graph=retain_graph, create_graph=create_graph,
                        inputs=inputs)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor too (leaves always get it)."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        import weakref
        self.grad_fn._retain_output(self._output_nr, weakref.ref(self))

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
        if self.grad_fn is None:
            if not self._hooks:
                self._hooks = []
            hooks = self._hooks
        else:
            hooks = self.grad_fn._output_hooks(self._output_nr)
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def detach(self):
        """A new tensor sharing the same data, cut off from the graph."""
        return Tensor(self._data)

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ------------------------------------------------------------------------------------
    # basic properties
    # ------------------------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    @numpy_keywords
    def size(self, dim=None):
        """``size()`` is the shape; ``size(d)`` is the length of axis ``d``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_norm_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def ndimension(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    def nelement(self):
        return int(self._data.size)

    def element_size(self):
        return self._data.itemsize

    @property
    def device(self):
        return _Device("cpu")

    def is_floating_point(self):
        return _is_float_array(self._data)

    def is_contiguous(self, memory_format=None):
        return builtins.bool(self._data.flags.c_contiguous)

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_norm_dim(dim, self._data.ndim)]

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def __hash__(self):
        return id(self)

    @numpy_keywords
    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to('cpu')``, ``to(other_tensor)``; returns self if nothing changes."""
        target = kwargs.pop("dtype", None)
        flags = [kwargs.pop("non_blocking", False)]                 # then copy
        copy = kwargs.pop("copy", False)
        device = kwargs.pop("device", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        for a in args:
            if isinstance(a, Tensor):
                target = a.dtype
            elif isinstance(a, builtins.bool):          # non_blocking, copy given positionally
                flags.append(a)
            elif isinstance(a, (str, _Device)):
                device = a
            elif a is not None:
                target = a
        if device is not None:
            _check_device(device)
        np_dtype = self._data.dtype if target is None else _dtype.to_numpy(target)
        if np_dtype == self._data.dtype and not (copy or flags[2:3] == [True]):     # nothing to change
            return self
        return teachnn._ops.ToDtype.apply(self, np_dtype)

    def clone(self, memory_format=None):
        return teachnn._ops.Clone.apply(self)

    def contiguous(self, memory_format=None):
        if self._data.flags.c_contiguous:
            return self
        return teachnn._ops.Clone.apply(self)

    # ------------------------------------------------------------------------------------
    # printing
    # ------------------------------------------------------------------------------------
    def __repr__(self):
        return _tensor_repr(self)

    def __str__(self):
        return _tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    # ------------------------------------------------------------------------------------
    # arithmetic (broadcasting; gradients are summed back to each input's shape)
    # ------------------------------------------------------------------------------------
    # ``t (op) ndarray`` is computed by NumPy, as in torch; ``ndarray (op) t`` is in _tensor_math.py
    def __add__(self, other):
        if type(other) is np.ndarray:
            return _numpy_operator(self, other, np.add, "+")
        x, y = _binary_operands(self, other, "add")
        return teachnn._ops.Add.apply(x, y)

    @numpy_keywords
    def add(self, other, *, alpha=1):
        x, y = _binary_operands(self, other, "add")
        return teachnn._ops.Add.apply(x, y, alpha)

    def __sub__(self, other):
        if type(other) is np.ndarray:
            return _numpy_operator(self, other, np.subtract, "-")
        _check_not_bool_sub(self, other)
        x, y = _binary_operands(self, other, "sub")
        return teachnn._ops.Sub.apply(x, y)

    @numpy_keywords
    def sub(self, other, *, alpha=1):
        _check_not_bool_sub(self, other)
        x, y = _binary_operands(self, other, "sub")
        return teachnn._ops.Sub.apply(x, y, alpha)

    subtract = sub

    def __mul__(self, other):
        if type(other) is np.ndarray:
            return _numpy_operator(self, other, np.multiply, "*")
        x, y = _binary_operands(self, other, "mul")
        return teachnn._ops.Mul.apply(x, y)

    def mul(self, other):
        return self.__mul__(other)

    multiply = mul

    def __truediv__(self, other):
        if type(other) is np.ndarray:
            return _numpy_operator(self, other, np.true_divide, "/")
        x, y = _binary_operands(self, other, "div", true_divide=True)
        return teachnn._ops.Div.apply(x, y)

    @numpy_keywords
    def div(self, other, *, rounding_mode=None):
        if rounding_mode is None:
            return self.__truediv__(other)
        if rounding_mode == "floor":
            return self.__floordiv__(other)
        if rounding_mode == "trunc":
            o = other._data if isinstance(other, Tensor) else other
            out = np.trunc(self._data / o)
            return Tensor(out.astype(np.result_type(self._data, o)) if self._data.dtype.kind in "iu"
                          else out)
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")

    divide = div
    true_divide = __truediv__

    def __floordiv__(self, other):
        if type(other) is np.ndarray:
            return _numpy_operator(self, other, np.floor_divide, "//")
        o = other._data if isinstance(other, Tensor) else other
        return Tensor(np.asarray(np.floor_divide(self._data, o)))

    def __mod__(self, other):
        if type(other) is np.ndarray:
            return _numpy_operator(self, other, np.mod, "%")
        o = other._data if isinstance(other, Tensor) else other
        return Tensor(np.asarray(np.mod(self._data, o)))

    remainder = __mod__

    def __neg__(self):
        if self._data.dtype == np.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        return teachnn._ops.Neg.apply(self)

    neg = __neg__
    negative = __neg__

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        if type(exponent) is np.ndarray:
            return _numpy_operator(self, exponent, np.power, "**")
        if isinstance(exponent, numbers.Number):
            x = self
            if self._data.dtype.kind in "iub" and isinstance(exponent, builtins.float):
                x = self.to(_dtype.get_default_dtype())
            elif self._data.dtype.kind == "b" and not isinstance(exponent, builtins.bool):
                x = self.to(_dtype.int64)           # PyTorch: bool ** int is int64
            return teachnn._ops.PowScalar.apply(x, exponent)
        x, y = _binary_operands(self, exponent, "pow")
        return teachnn._ops.PowTensor.apply(x, y)

    def pow(self, exponent):
        return self.__pow__(exponent)

    def square(self):
        return self.__pow__(2)

    def reciprocal(self):
        x = self if _is_float_array(self._data) else self.to(_dtype.get_default_dtype())
        return teachnn._ops.Reciprocal.apply(x)

    def __matmul__(self, other):
        # as torch: ``t @ ndarray`` is NumPy's matmul, while ``t.matmul(ndarray)`` refuses it
        if isinstance(other, np.ndarray):
            return _numpy_operator(self, other, np.matmul, "@")
        return teachnn.matmul(self, other)

    def matmul(self, other):
        return teachnn.matmul(self, other)

    def mm(self, other):
        return teachnn.mm(self, other)

    def bmm(self, other):
        return teachnn.bmm(self, other)

    def dot(self, other):
        return teachnn.dot(self, other)

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
        if type(other) is np.ndarray:    # torch: ``t += a`` falls back to ``t = t + a`` (a new tensor)
            return NotImplemented
        self._check_inplace_allowed()
        tracking = grad_mode._grad_enabled and (
            self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))
        if tracking:
            old = Tensor(self._data.copy())                        # the value before the update
            old.grad_fn, old._output_nr, old._requires_grad = self.grad_fn, self._output_nr, self._requires_grad
            old._accumulator = self._accumulator
            result = op(old, other)
        else:
            with grad_mode.no_grad():
                result = op(Tensor(self._data), other)
        _check_inplace_cast(result._data.dtype, self._data.dtype)
        if self._data.shape != result._data.shape:
            raise RuntimeError(
                f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                f"{list(result.shape)}: an in-place operation cannot change the shape of its "
                "target. Use the out-of-place form (x = x + y) instead.")
        np.copyto(self._data, result._data, casting="unsafe")
        self._version += 1
        if tracking:
            self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, result._output_nr, True
        return self

    # ------------------------------------------------------------------------------------
    # in-place initialisers (no gradient tracking; nn.init uses them under no_grad)
    # ------------------------------------------------------------------------------------
    def _write(self, values):
        self._check_inplace_allowed()
        np.copyto(self._data, values, casting="unsafe")
        self._version += 1
        return self

    @numpy_keywords
    def fill_(self, value):
        if isinstance(value, Tensor):
            value = value.item()
        return self._write(value)

    def zero_(self):
        return self._write(0)

    def copy_(self, src, non_blocking=False):
        values = src._data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.broadcast_to(values, self._data.shape)
        except ValueError:
            raise RuntimeError(
                f"copy_: the source of shape {list(values.shape)} can't be broadcast to the target "
                f"shape {list(self.shape)}") from None
        return self._write(values)

    @numpy_keywords
    def uniform_(self, a=0.0, b=1.0, generator=None):
        return self._write(_np_rng(generator).uniform(a, b, size=self._data.shape))

    @numpy_keywords
    def normal_(self, mean=0.0, std=1.0, generator=None):
        return self._write(_np_rng(generator).normal(mean, std, size=self._data.shape))

    def bernoulli_(self, p=0.5, generator=None):
        return self._write(_np_rng(generator).random(size=self._data.shape) < p)

    def random_(self, low=0, high=None, generator=None):
        if high is None:
            low, high = 0, low
        return self._write(_np_rng(generator).integers(low, high, size=self._data.shape))

    def exponential_(self, lambd=1.0, generator=None):
        return self._write(_np_rng(generator).exponential(1.0 / lambd, size=self._data.shape))

    # ------------------------------------------------------------------------------------
    # comparisons and logic (results are bool tensors, never part of the graph)
    # ------------------------------------------------------------------------------------
    def _compare(self, other, ufunc):
        if isinstance(other, np.ndarray) and ufunc is not np.equal:   # torch: t == a compares
            if ufunc is np.not_equal:          # ... but t != a is Python's identity test
                return NotImplemented
            raise _comparison_ndarray_error()
        o = _comparison_operand(self, other)
        return Tensor(np.asarray(ufunc(self._data, o)))

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
        if self._data.dtype == np.bool_:
            return Tensor(~self._data)
        if self._data.dtype.kind in "iu":
            return Tensor(np.invert(self._data))
        raise TypeError("~ (bitwise not) is only supported for integer and bool tensors; "
                        "for a float tensor use logical_not()")

    def __and__(self, other):
        if type(other) is np.ndarray:
            return _numpy_operator(self, other, np.bitwise_and, "&")
        return Tensor(np.asarray(self._data & _comparison_operand(self, other)))

    def __or__(self, other):
        if type(other) is np.ndarray:
            return _numpy_operator(self, other, np.bitwise_or, "|")
        return Tensor(np.asarray(self._data | _comparison_operand(self, other)))

    def __xor__(self, other):
        if type(other) is np.ndarray:
            return _numpy_operator(self, other, np.bitwise_xor, "^")
        return Tensor(np.asarray(self._data ^ _comparison_operand(self, other)))


    def logical_not(self):
        return Tensor(np.logical_not(self._data))

    def logical_and(self, other):
        return Tensor(np.logical_and(self._data, _comparison_operand(self, other)))

    def logical_or(self, other):
        return Tensor(np.logical_or(self._data, _comparison_operand(self, other)))

    def isnan(self):
        return Tensor(np.isnan(self._data))

    def isinf(self):
        return Tensor(np.isinf(self._data))

    def isfinite(self):
        return Tensor(np.isfinite(self._data))

    @numpy_keywords
    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return Tensor(np.isclose(self._data, _comparison_operand(self, other), rtol=rtol, atol=atol,
                                 equal_nan=equal_nan))

    @numpy_keywords
    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return teachnn.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return teachnn.equal(self, other)

    @numpy_keywords
    def any(self, dim=None, keepdim=False):
        axis = None if dim is None else _norm_dims(dim, self._data.ndim)
        return Tensor(np.asarray(np.any(self._data, axis=axis, keepdims=keepdim)))

    @numpy_keywords
    def all(self, dim=None, keepdim=False):
        axis = None if dim is None else _norm_dims(dim, self._data.ndim)
        return Tensor(np.asarray(np.all(self._data, axis=axis, keepdims=keepdim)))

    def nonzero(self, as_tuple=False):
        idx = np.nonzero(self._data)
        if as_tuple:
            return tuple(Tensor(i.astype(np.int64)) for i in idx)
        return Tensor(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64))

    @numpy_keywords
    def count_nonzero(self, dim=None):
        axis = None if dim is None else _norm_dims(dim, self._data.ndim)
        return Tensor(np.asarray(np.count_nonzero(self._data, axis=axis), dtype=np.int64))

    # ------------------------------------------------------------------------------------
    # elementwise functions
    # ------------------------------------------------------------------------------------
    def _float_input(self):
        """Integer tensors are converted to the default float dtype first (as torch does)."""
        return self if _is_float_array(self._data) else self.to(_dtype.get_default_dtype())

    def exp(self):
        return teachnn._ops.Exp.apply(self._float_input())

    def log(self):
        return teachnn._ops.Log.apply(self._float_input())

    def sqrt(self):
        return teachnn._ops.Sqrt.apply(self._float_input())

    def abs(self):
        return teachnn._ops.Abs.apply(self)

    absolute = abs
    __abs__ = abs

    def relu(self):
        return teachnn._ops.Relu.apply(self)

    def sigmoid(self):
        return teachnn._ops.Sigmoid.apply(self._float_input())

    def tanh(self):
        return teachnn._ops.Tanh.apply(self._float_input())

    def sin(self):
        return teachnn._ops.Sin.apply(self._float_input())

    def cos(self):
        return teachnn._ops.Cos.apply(self._float_input())

    @numpy_keywords
    def clamp(self, min=None, max=None):
        """Limit every value to [min, max]; the gradient is 0 where a limit was applied."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = teachnn.maximum(out, min if isinstance(min, Tensor) else teachnn.tensor(min, dtype=self.dtype))
            if max is not None:
                out = teachnn.minimum(out, max if isinstance(max, Tensor) else teachnn.tensor(max, dtype=self.dtype))
            return out
        x = self
        if self._data.dtype.kind in "iub" and (isinstance(min, builtins.float) or isinstance(max, builtins.float)):
            x = self._float_input()
        return teachnn._ops.Clamp.apply(x, min, max)

    clip = clamp
    clip_ = clamp_

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    @numpy_keywords
    def softmax(self, dim, dtype=None):
        """exp(x) / exp(x).sum(dim), computed stably (the max is subtracted first)."""
        x = self._float_input() if dtype is None else self.to(dtype)
        return teachnn._ops.Softmax.apply(x, _norm_dim(dim, self._data.ndim), x._data.dtype)

    @numpy_keywords
    def log_softmax(self, dim, dtype=None):
        """x - logsumexp(x, dim), computed stably."""
        x = self._float_input() if dtype is None else self.to(dtype)
        return teachnn._ops.LogSoftmax.apply(x, _norm_dim(dim, self._data.ndim), x._data.dtype)

    @numpy_keywords
    def logsumexp(self, dim, keepdim=False):
        dims = _norm_dims(dim, self._data.ndim)
        m = Tensor(np.max(self._data, axis=dims, keepdims=True))
        m = Tensor(np.where(np.isfinite(m._data), m._data, 0).astype(self._data.dtype))
        out = (self - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dims)

    def maximum(self, other):
        return teachnn.maximum(self, other)

    def minimum(self, other):
        return teachnn.minimum(self, other)

    def where(self, condition, other):
        return teachnn.where(condition, self, other)

    @numpy_keywords
    def masked_fill(self, mask, value):
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {m.dtype}")
        v = value if isinstance(value, Tensor) else teachnn.tensor(value, dtype=self.dtype)
        return teachnn.where(Tensor(m), v.to(self.dtype), self)

    def masked_fill_(self, mask, value):
        return self._inplace(None, lambda a, _: Tensor.masked_fill(a, mask, value))

    # ------------------------------------------------------------------------------------
    # reductions
    # ------------------------------------------------------------------------------------
    @numpy_keywords
    def sum(self, dim=None, keepdim=False, dtype=None):
        """Sum of all elements, or over ``dim`` (int or tuple). Ints and bools sum to int64."""
        x = self
        if dtype is not None:
            x = self.to(dtype)
        elif self._data.dtype.kind in "iub":
            x = self.to(_dtype.int64)
        if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
            return teachnn._ops.SumAll.apply(x, None, False)
        return teachnn._ops.Sum.apply(x, _norm_dims(dim, self._data.ndim), keepdim)

    @numpy_keywords
    def mean(self, dim=None, keepdim=False, dtype=None):
        """Average of all elements, or over ``dim``. Needs a floating dtype, like torch."""
        x = self if dtype is None else self.to(dtype)
        if not _is_float_array(x._data):
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
                f"complex dtype. Got: {_TYPE_NAMES.get(x.dtype.name, x.dtype.name)[:-6]}. "
                "Convert first: t.float().mean()")
        if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
            return teachnn._ops.MeanAll.apply(x, None, False)
        return teachnn._ops.Mean.apply(x, _norm_dims(dim, self._data.ndim), keepdim)

    @numpy_keywords
    def prod(self, dim=None, keepdim=False, dtype=None):
        """Product of all elements, or along ``dim``. Ints and bools multiply to int64."""
        x = self
        if dtype is not None:
            x = self.to(dtype)
        elif self._data.dtype.kind in "iub":
            x = self.to(_dtype.int64)
        if dim is None:
            return teachnn._ops.ProdAll.apply(x)
        return teachnn._ops.Prod.apply(x, _norm_dim(dim, self._data.ndim) if self._data.ndim else 0, keepdim)

    @numpy_keywords
    def cumsum(self, dim, dtype=None):
        """Running sum along ``dim``: [1, 2, 3] -> [1, 3, 6]."""
        x = self if dtype is None else self.to(dtype)
        if dtype is None and self._data.dtype.kind in "iub":
            x = self.to(_dtype.int64)
        if self._data.ndim == 0:
            _norm_dim(dim, 0)
            return x.clone()
        return teachnn._ops.Cumsum.apply(x, _norm_dim(dim, self._data.ndim))

    def _var_args(self, dim, unbiased, correction, keepdim, name):
        if not _is_float_array(self._data):
            raise RuntimeError(f"{name}(): input dtype should be floating point, but got {self.dtype}")
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        dims = None if dim is None else _norm_dims(dim, self._data.ndim)
        return dims, correction, keepdim

    @numpy_keywords
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Variance: sum((x - mean)^2) / (N - correction); correction=1 (unbiased) by default."""
        if isinstance(dim, builtins.bool):   # var(False): the old positional 'unbiased'
            dim, unbiased = None, dim
        return teachnn._ops.Var.apply(self, *self._var_args(dim, unbiased, correction, keepdim, "var"))

    @numpy_keywords
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Standard deviation: sqrt(var)."""
        if isinstance(dim, builtins.bool):
            dim, unbiased = None, dim
        return teachnn._ops.Std.apply(self, *self._var_args(dim, unbiased, correction, keepdim, "std"))

    def _max_min(self, dim, keepdim, other, is_max):
        name = "max" if is_max else "min"
        if isinstance(dim, Tensor):
            other = dim
        if other is not None:
            return teachnn.maximum(self, other) if is_max else teachnn.minimum(self, other)
        if self._data.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument.")
        if dim is None:
            return (teachnn._ops.MaxAll if is_max else teachnn._ops.MinAll).apply(self)
        d = _norm_dim(dim, self._data.ndim)
        d = 0 if self._data.ndim == 0 else d
        values, indices = (teachnn._ops.MaxDim if is_max else teachnn._ops.MinDim).apply(
            self if self._data.ndim else self.reshape(1), d, keepdim or self._data.ndim == 0)
        if self._data.ndim == 0:
            values, indices = values.reshape(()), indices.reshape(())
        return (_MaxResult if is_max else _MinResult)(values, indices)

    @numpy_keywords
    def max(self, dim=None, keepdim=False, other=None):
        """``max()`` -> the largest value; ``max(dim)`` -> (values, indices) along ``dim``."""
        return self._max_min(dim, keepdim, other, True)

    @numpy_keywords
    def min(self, dim=None, keepdim=False, other=None):
        """``min()`` -> the smallest value; ``min(dim)`` -> (values, indices) along ``dim``."""
        return self._max_min(dim, keepdim, other, False)

    @numpy_keywords
    def amax(self, dim=(), keepdim=False):
        dims = None if dim in ((), []) or dim is None else _norm_dims(dim, self._data.ndim)
        return teachnn._ops.Amax.apply(self, dims, keepdim)

    @numpy_keywords
    def amin(self, dim=(), keepdim=False):
        dims = None if dim in ((), []) or dim is None else _norm_dims(dim, self._data.ndim)
        return teachnn._ops.Amin.apply(self, dims, keepdim)

    @numpy_keywords
    def argmax(self, dim=None, keepdim=False):
        """Index of the largest value (in the flattened tensor if ``dim`` is None)."""
        return _arg_reduce(self, dim, keepdim, np.argmax)

    @numpy_keywords
    def argmin(self, dim=None, keepdim=False):
        return _arg_reduce(self, dim, keepdim, np.argmin)

    @numpy_keywords
    def argsort(self, dim=-1, descending=False, stable=False):
        return teachnn.sort(self, dim=dim, descending=descending, stable=stable).indices

    @numpy_keywords
    def sort(self, dim=-1, descending=False, stable=False):
        return teachnn.sort(self, dim=dim, descending=descending, stable=stable)

    @numpy_keywords
    def topk(self, k, dim=-1, largest=True, sorted=True):
        return teachnn.topk(self, k, dim=dim, largest=largest, sorted=sorted)

    # ------------------------------------------------------------------------------------
    # shape operations
    # ------------------------------------------------------------------------------------
    @numpy_keywords
    def view(self, *shape):
        """Same data, new shape (one entry may be -1: inferred). The number of elements must match."""
        if len(shape) == 1 and (isinstance(shape[0], _dtype.dtype)):
            return self._view_as_dtype(shape[0])
        shape = _infer_shape(_shape_args(shape, "view"), self._data.size, self._data.shape, "view")
        return teachnn._ops.View.apply(self, shape)

    @numpy_keywords
    def reshape(self, *shape):
        """Like ``view``: a new shape with the same number of elements (-1 is inferred)."""
        shape = _infer_shape(_shape_args(shape, "reshape"), self._data.size, self._data.shape, "reshape")
        return teachnn._ops.View.apply(self, shape)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    @numpy_keywords
    def flatten(self, start_dim=0, end_dim=-1):
        """Merge axes start_dim..end_dim into one: (N, C, H, W).flatten(1) -> (N, C*H*W)."""
        if self._data.ndim == 0:
            return teachnn._ops.View.apply(self, (1,))
        start = _norm_dim(start_dim, self._data.ndim)
        end = _norm_dim(end_dim, self._data.ndim)
        if start > end:
            raise RuntimeError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come "
                               f"after end_dim ({end_dim})")
        shape = self._data.shape
        if start == end:
            return self
        merged = int(np.prod(shape[start:end + 1], dtype=np.int64))
        return teachnn._ops.View.apply(self, shape[:start] + (merged,) + shape[end + 1:])

    def unflatten(self, dim, sizes):
        d = _norm_dim(dim, self._data.ndim)
        sizes = _infer_shape(tuple(sizes), self._data.shape[d], (self._data.shape[d],), "unflatten")
        return teachnn._ops.View.apply(self, self._data.shape[:d] + sizes + self._data.shape[d + 1:])

    @numpy_keywords
    def unsqueeze(self, dim):
        """Insert an axis of size 1 at ``dim``: (3,).unsqueeze(0) -> (1, 3)."""
        d = _norm_dim(dim, self._data.ndim + 1)
        shape = self._data.shape[:d] + (1,) + self._data.shape[d:]
        return teachnn._ops.Unsqueeze.apply(self, shape)

    @numpy_keywords
    def squeeze(self, dim=None):
        """Remove axes of size 1 (all of them, or only ``dim`` if it has size 1)."""
        shape = self._data.shape
        if dim is None:
            return teachnn._ops.Squeeze.apply(self, tuple(n for n in shape if n != 1))
        dims = _norm_dims(dim, self._data.ndim) if self._data.ndim else ()
        new_shape = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
        return teachnn._ops.SqueezeDim.apply(self, new_shape)

    @numpy_keywords
    def permute(self, *dims):
        """Reorder the axes: (N, H, W, C).permute(0, 3, 1, 2) -> (N, C, H, W)."""
        dims = _shape_args(dims, "permute")
        if len(dims) != self._data.ndim:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                f"length of the desired ordering of dimensions i.e. input.dim() = {self._data.ndim} is "
                f"not equal to len(dims) = {len(dims)}")
        normalized = tuple(_norm_dim(d, self._data.ndim) for d in dims)
        if len(set(normalized)) != len(normalized):
            raise RuntimeError(f"permute(): duplicate dims are not allowed (got {list(dims)})")
        return teachnn._ops.Permute.apply(self, normalized)

    @numpy_keywords
    def transpose(self, dim0, dim1):
        """Swap two axes."""
        order = list(range(self._data.ndim))
        a, b = _norm_dim(dim0, self._data.ndim), _norm_dim(dim1, self._data.ndim)
        if self._data.ndim == 0:
            return self
        order[a], order[b] = order[b], order[a]
        return teachnn._ops.Transpose.apply(self, tuple(order))

    swapaxes = transpose
    swapdims = transpose

    def t(self):
        """Transpose a matrix (tensors of at most 2 dimensions)."""
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D; "
                               "use transpose(dim0, dim1) or permute(...) for more dimensions")
        return teachnn._ops.T.apply(self, tuple(range(self._data.ndim))[::-1])

    @property
    def T(self):
        return teachnn._ops.Permute.apply(self, tuple(range(self._data.ndim))[::-1])

    @property
    def mT(self):
        return self.transpose(-2, -1)

    @numpy_keywords
    def expand(self, *sizes):
        """Broadcast to a bigger shape without copying; -1 keeps a size."""
        sizes = _shape_args(sizes, "expand")
        shape = self._data.shape
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
        return teachnn._ops.Expand.apply(self, tuple(target))

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        return self.expand(shape)

    @numpy_keywords
    def repeat(self, *repeats):
        """Tile the tensor: (2, 3).repeat(2, 1) -> (4, 3)."""
        repeats = _shape_args(repeats, "repeat")
        if len(repeats) < self._data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                               f"dimensions of tensor (got {len(repeats)} repeats for a "
                               f"{self._data.ndim}-d tensor)")
        return teachnn._ops.Repeat.apply(self, tuple(repeats))

    @numpy_keywords
    def chunk(self, chunks, dim=0):
        return teachnn.chunk(self, chunks, dim)

    @numpy_keywords
    def split(self, split_size, dim=0):
        return teachnn.split(self, split_size, dim)

    @numpy_keywords
    def unbind(self, dim=0):
        return teachnn.unbind(self, dim)

    def tril(self, diagonal=0):
        return teachnn.tril(self, diagonal)

    def triu(self, diagonal=0):
        return teachnn.triu(self, diagonal)

    def log1p(self):
        return teachnn._ops.Log1p.apply(self._float_input())

    def expm1(self):
        return teachnn._ops.Expm1.apply(self._float_input())

    def type_as(self, other):
        return self.to(other.dtype)

    def argwhere(self):
        return self.nonzero()


# ----------------------------------------------------------------------------------------
# helpers: constructor data, argmax/argmin
# ----------------------------------------------------------------------------------------
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


def _arg_reduce(t, dim, keepdim, fn):
    if dim is None:
        out = np.asarray(fn(t._data.reshape(-1)))
        if keepdim:
            out = out.reshape((1,) * t._data.ndim)
        return Tensor(out.astype(np.int64))
    d = _norm_dim(dim, t._data.ndim)
    if t._data.ndim == 0:
        return Tensor(np.asarray(0, dtype=np.int64))
    out = fn(t._data, axis=d)
    if keepdim:
        out = np.expand_dims(out, d)
    return Tensor(np.asarray(out).astype(np.int64))


