"""``nn.Parameter``: a Tensor that a Module registers as something to learn.

A Parameter is an ordinary Tensor with two differences, both exactly as in PyTorch:

* it requires a gradient by default (``requires_grad=True``);
* assigning it as an attribute of a Module (``self.weight = nn.Parameter(...)``) registers it,
  so it shows up in ``model.parameters()``, ``model.state_dict()`` and the optimiser.

``Parameter(t)`` does not copy: the Parameter and ``t`` share the same NumPy array.
"""
from __future__ import annotations

import numpy as np

from teachnn import _dtype
from teachnn.tensor import Tensor

# is_lazy stays out of __all__ (torch.nn has no is_lazy; nn.parameter.is_lazy is the name)
__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer"]


class Parameter(Tensor):
    """A learnable Tensor. ``Parameter(data=None, requires_grad=True)``.

    Args:
        data: a Tensor whose array the Parameter shares (no copy). ``None`` gives an
            empty float32 Parameter of shape ``[0]``.
        requires_grad: whether the optimiser should get a gradient for it (default True).

    Example::

        >>> w = nn.Parameter(teachnn.zeros(2))
        >>> w
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data._data          # shared, not copied: Parameter(t) and t see the same numbers
        else:
            raise TypeError(
                f"Parameter expects a Tensor, but got {type(data).__name__}. "
                "Wrap the values first, e.g. nn.Parameter(torch.tensor(values)) or "
                "nn.Parameter(torch.from_numpy(array))."
            )
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __str__(self):
        # print(model.weight) shows the same as repr, as in PyTorch
        return self.__repr__()


# --------------------------------------------------------------------------------------
# ``UninitializedParameter`` and ``UninitializedBuffer``: placeholders of unknown shape.
#
# A lazy layer (``nn.LazyLinear(10)``) cannot create its weight in ``__init__``: the weight's
# shape depends on the input's feature count, which is only seen at the first call. Until then
# the layer holds an *uninitialised* parameter. It is registered like any Parameter (so it is in
# ``parameters()`` and ``state_dict()``) but holds no numbers; almost every use raises, exactly
# as in PyTorch:
#
# * ``p.shape`` raises ``RuntimeError`` ("Can't access the shape of an uninitialized parameter");
# * any other operation (``p.numel()``, ``p + 1``, ``p.sum()``, ``p[0]``, ``nn.init.normal_(p)``)
#   raises ``ValueError`` ("Attempted to use an uninitialized parameter in ...");
# * what is allowed: ``p.size()`` (``[0]``), the dtype / device conversions (``p.double()``,
#   ``p.to(...)``), ``p.dtype``, ``p.requires_grad``, ``p.data``, ``repr(p)``;
# * ``p.materialize(shape)`` gives it an (uninitialised) array of ``shape`` and turns the same
#   object into a plain ``Parameter`` (an optimiser that already holds it keeps working).

# the methods PyTorch lets through (UninitializedTensorMixin._allowed_methods)
_ALLOWED_METHODS = frozenset({
    "size", "copy_", "is_complex", "is_floating_point", "half", "float", "double", "char",
    "short", "int", "long", "cuda", "cpu", "to", "get_device", "materialize", "share_memory_",
})

# dunder methods that stay usable: object identity, printing, copying, attribute access
_SAFE_DUNDERS = frozenset({
    "__init__", "__new__", "__repr__", "__str__", "__hash__", "__getattribute__",
    "__getattr__", "__setattr__", "__delattr__", "__class__", "__init_subclass__",
    "__reduce__", "__reduce_ex__", "__deepcopy__", "__copy__", "__dir__", "__sizeof__",
    "__subclasshook__", "__format__", "__getstate__", "__setstate__",
})


def _use_error(cls_name: str, what: str) -> ValueError:
    return ValueError(
        f"Attempted to use an uninitialized parameter in {what}. This error happens when you "
        f"are using a `LazyModule` or explicitly manipulating `torch.nn.parameter.{cls_name}` "
        "objects. When using LazyModules Call `forward` with a dummy batch to initialize the "
        "parameters before calling torch functions. (A lazy layer learns its input size from "
        "its first input: run model(example_batch) once, then use the parameters.)")


def _raising_dunder(name):
    def method(self, *args, **kwargs):
        raise _use_error(type(self).__name__, f"<method '{name}' of 'Tensor' objects>")
    method.__name__ = name
    return method


class UninitializedTensorMixin(Tensor):
    """What UninitializedParameter and UninitializedBuffer share (PyTorch's mixin).

    It subclasses Tensor so that ``materialize`` may switch ``__class__`` to Parameter or
    Tensor: Python allows that only between classes with the same instance layout."""

    cls_to_become = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor an (uninitialised) array of ``shape`` and make it a normal
        ``cls_to_become`` in place; dtype defaults to the placeholder's own."""
        if device is not None and not str(device).startswith("cpu"):
            raise RuntimeError(f"teachnn runs on the CPU only, but device '{device}' was "
                               "requested. Leave the device out or use device='cpu'.")
        np_dtype = self._data.dtype if dtype is None else _dtype.to_numpy(dtype)
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        self._data = np.empty(tuple(int(s) for s in shape), dtype=np_dtype)
        self.__class__ = self.cls_to_become

    def __getattribute__(self, name):
        if name.startswith("_") or name in _ALLOWED_METHODS:
            return object.__getattribute__(self, name)
        if name == "shape":
            raise RuntimeError(
                "Can't access the shape of an uninitialized parameter or buffer. This error "
                "usually happens in `load_state_dict` when trying to load an uninitialized "
                "parameter into an initialized one. Call `forward` to initialize the "
                "parameters before accessing their attributes.")
        value = object.__getattribute__(self, name)
        # properties (dtype, requires_grad, grad, data, ...) pass, as in PyTorch; methods
        # are handed back as something that raises when called (p.numel is fine, p.numel() not)
        if callable(value) and not isinstance(value, type) \
                and callable(getattr(type(self), name, None)):
            cls_name = type(self).__name__

            def refuse(*args, **kwargs):
                raise _use_error(cls_name, f"<method '{name}' of 'Tensor' objects>")
            return refuse
        return value

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __hash__(self):
        return id(self)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, None, _dtype.from_numpy_dtype(self._data.dtype))
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad, None,
                             _dtype.from_numpy_dtype(self._data.dtype)))


def _block_operators():
    """Make every operator of Tensor (``p + 1``, ``p[0]``, ``len(p)``, ``p == 1``, ...) raise
    PyTorch's ValueError: Python looks operators up on the class, not via __getattribute__."""
    names = set()
    for klass in Tensor.__mro__[:-1]:                  # Tensor and its bases, not object
        names.update(n for n, v in vars(klass).items()
                     if n.startswith("__") and n.endswith("__") and callable(v))
    names.update({"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"})
    for name in sorted(names - _SAFE_DUNDERS):
        if name not in vars(UninitializedTensorMixin):
            setattr(UninitializedTensorMixin, name, _raising_dunder(name))


_block_operators()


def _empty(dtype):
    if dtype is None:
        dtype = _dtype.get_default_dtype()
    return np.empty((0,), dtype=_dtype.to_numpy(dtype))


def _check_cpu(device):
    if device is not None and not str(device).startswith("cpu"):
        raise RuntimeError(f"teachnn runs on the CPU only, but device '{device}' was "
                           "requested. Leave the device out or use device='cpu'.")


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (held by lazy layers until their first call).

    ``UninitializedParameter(requires_grad=True, device=None, dtype=None)``; ``dtype`` is the
    dtype the parameter will have once materialised (default: the default dtype).
    """

    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        if isinstance(requires_grad, Tensor):
            raise TypeError("UninitializedParameter(requires_grad=True, device=None, dtype=None) "
                            "holds no values: it takes no tensor. Use nn.Parameter(tensor) for "
                            "a parameter with values.")
        _check_cpu(device)
        Tensor.__init__(self, _empty(dtype), requires_grad=bool(requires_grad))


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (LazyBatchNorm's running statistics).

    ``UninitializedBuffer(requires_grad=False, device=None, dtype=None, persistent=True)``.
    """

    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        _check_cpu(device)
        Tensor.__init__(self, _empty(dtype), requires_grad=bool(requires_grad))
        self.persistent = persistent


def is_lazy(param) -> bool:
    """True for an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)
