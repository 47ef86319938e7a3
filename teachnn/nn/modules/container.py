"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``, ``ParameterDict``.

A container is a Module whose children are stored under generated names, so every layer
inside it is registered: its parameters appear in ``model.parameters()`` and its entries in
``state_dict()`` under names like ``layers.0.weight``. A plain Python list of layers would
hide them from both - that is why these classes exist.

    Sequential   children named '0', '1', ... (or your own names); forward runs them in order
    ModuleList   a registered list; you write forward yourself
    ModuleDict   a registered dict (string keys); you write forward yourself
"""
from __future__ import annotations

import inspect
import operator
from collections import OrderedDict
from collections import abc as container_abcs
from itertools import chain, islice

from teachnn.tensor import Tensor
from teachnn.nn.parameter import Parameter
from .module import Module, _addindent

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _check_is_module(container, value, position):
    """Raise a TypeError that explains what to pass instead of ``value``."""
    if isinstance(value, Module) or value is None:
        return
    where = f"{container} expects nn.Module objects, but {position} is "
    if inspect.isclass(value) and issubclass(value, Module):
        raise TypeError(where + f"the class {value.__name__} itself. Create a layer object: "
                        f"write {value.__name__}(...) with parentheses.")
    if isinstance(value, (list, tuple)) and all(isinstance(v, Module) for v in value):
        raise TypeError(where + f"a {type(value).__name__} of modules. Unpack it with a star: "
                        f"nn.{container}(*layers).")
    if callable(value):
        name = getattr(value, "__name__", type(value).__name__)
        raise TypeError(where + f"the function '{name}'. Use the module form instead (for "
                        "example nn.ReLU() instead of F.relu), or call the function in your "
                        "own forward().")
    raise TypeError(where + f"a {type(value).__name__}.")


class Sequential(Module):
    """Apply modules one after the other: ``forward(x)`` is ``m_k(...m_1(m_0(x)))``.

    Three ways to build one::

        model = nn.Sequential(nn.Conv2d(1, 20, 5), nn.ReLU())          # named '0', '1'

        model = nn.Sequential()
        model.add_module('conv1', nn.Conv2d(1, 20, 5))                  # your own names
        model.add_module('relu1', nn.ReLU())

        layers = [nn.Conv2d(1, 20, 5), nn.ReLU()]
        model = nn.Sequential(*layers)                                  # unpack a list

    ``nn.Sequential(OrderedDict([('conv1', ...), ('relu1', ...)]))`` names them too.
    Indexing (``model[0]``, ``model[-1]``) returns a layer, slicing (``model[1:]``) a new
    Sequential that shares the layers.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                _check_is_module("Sequential", module, f"entry '{key}'")
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                _check_is_module("Sequential", module, f"argument {idx}")
                self.add_module(str(idx), module)

    def _get_item_by_idx(self, iterator, idx):
        """The idx-th item of ``iterator`` (negative counts from the end)."""
        size = len(self)
        idx = operator.index(idx)
        if not -size <= idx < size:
            raise IndexError(f"index {idx} is out of range for a Sequential of {size} modules")
        idx %= size
        return next(islice(iterator, idx, None))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            # keeps the original names: model[1:] has children '1', '2', ...
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return self._get_item_by_idx(self._modules.values(), idx)

    def __setitem__(self, idx, module):
        key = self._get_item_by_idx(self._modules.keys(), idx)
        setattr(self, key, module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for key in list(self._modules.keys())[idx]:
                delattr(self, key)
        else:
            key = self._get_item_by_idx(self._modules.keys(), idx)
            delattr(self, key)
        # renumber so the names stay '0', '1', ... (PyTorch does the same)
        str_indices = [str(i) for i in range(len(self._modules))]
        self._modules = OrderedDict(zip(str_indices, self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, "
                             f"but {type(other)} is given.")
        combined = Sequential()
        for layer in chain(self, other):
            combined.append(layer)
        return combined

    def __iadd__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, "
                             f"but {type(other)} is given.")
        offset = len(self)
        for i, module in enumerate(other):
            self.add_module(str(i + offset), module)
        return self

    def __mul__(self, other):
        if not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")
        combined = Sequential()
        offset = 0
        for _ in range(other):
            for module in self:
                combined.add_module(str(offset), module)
                offset += 1
        return combined

    def __rmul__(self, other):
        return self.__mul__(other)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def pop(self, key):
        """Remove the module at index ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def append(self, module):
        """Add ``module`` at the end (named ``str(len(self))``). Returns self."""
        _check_is_module("Sequential", module, "the appended value")
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``; later modules are renumbered."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not (-n <= index <= n):
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        return self

    def extend(self, sequential):
        """Append every module of an iterable (another Sequential or a list). Returns self."""
        for layer in sequential:
            self.append(layer)
        return self

    def forward(self, input):
        """Feed ``input`` through every module in order."""
        for module in self:
            input = module(input)
        return input


class ModuleList(Module):
    """A list of modules that registers them (their parameters become the model's).

    Use it when ``forward`` needs a loop or something other than a straight chain::

        self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
        ...
        for layer in self.layers:
            x = torch.relu(layer(x))

    A ModuleList has no ``forward`` of its own.
    """

    _no_forward_hint = ("A ModuleList only holds layers; it is not called itself. Loop over "
                        "it in your model's forward: for layer in self.layers: x = layer(x)")

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self += modules

    def _get_abs_string_index(self, idx):
        """``-1`` -> ``'4'`` for a list of five."""
        idx = operator.index(idx)
        if not (-len(self) <= idx < len(self)):
            raise IndexError(f"index {idx} is out of range for a ModuleList of {len(self)} modules")
        if idx < 0:
            idx += len(self)
        return str(idx)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])
        return self._modules[self._get_abs_string_index(idx)]

    def __setitem__(self, idx, module):
        idx = self._get_abs_string_index(idx)
        setattr(self, idx, module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for k in range(len(self._modules))[idx]:
                delattr(self, str(k))
        else:
            delattr(self, self._get_abs_string_index(idx))
        str_indices = [str(i) for i in range(len(self._modules))]
        self._modules = OrderedDict(zip(str_indices, self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        combined = ModuleList()
        for i, module in enumerate(chain(self, other)):
            combined.add_module(str(i), module)
        return combined

    def __repr__(self):
        """Like Module's, but runs of identical layers are folded: ``(0-2): 3 x Linear(...)``."""
        reprs = [repr(item) for item in self]
        if not reprs:
            return self._get_name() + "()"
        blocks = []                                    # [start, end, text] of equal runs
        for i, text in enumerate(reprs):
            if blocks and blocks[-1][2] == text:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, text])
        lines = []
        for start, end, text in blocks:
            if start == end:
                local = f"({start}): {text}"
            else:
                local = f"({start}-{end}): {end - start + 1} x {text}"
            lines.append(_addindent(local, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def insert(self, index, module):
        """Insert ``module`` before position ``index`` (negative counts from the end).

        (PyTorch does not check ``index`` here and corrupts the numbering when it is out of
        range; teachnn raises IndexError instead.)
        """
        _check_is_module("ModuleList", module, "the inserted value")
        n = len(self._modules)
        if not (-n <= index <= n):
            raise IndexError(f"Index out of range: {index} (the list has {n} modules)")
        if index < 0:
            index += n
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module

    def append(self, module):
        """Add ``module`` at the end. Returns self."""
        _check_is_module("ModuleList", module, "the appended value")
        self.add_module(str(len(self)), module)
        return self

    def pop(self, key):
        """Remove the module at index ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def extend(self, modules):
        """Append every module of an iterable. Returns self."""
        if not isinstance(modules, container_abcs.Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        offset = len(self)
        for i, module in enumerate(modules):
            _check_is_module("ModuleList", module, f"item {i}")
            self.add_module(str(offset + i), module)
        return self


class ModuleDict(Module):
    """A dict of modules (string keys) that registers them, in insertion order::

        self.layers = nn.ModuleDict({'conv1': nn.Conv2d(1, 20, 5), 'relu': nn.ReLU()})
        x = self.layers['conv1'](x)

    A ModuleDict has no ``forward`` of its own.
    """

    _no_forward_hint = ("A ModuleDict only holds layers; it is not called itself. Pick a "
                        "layer by name in your model's forward: x = self.layers['conv1'](x)")

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        if key not in self._modules:
            from teachnn._errors import suggest_name
            raise KeyError(f"'{key}' is not in this ModuleDict (keys: {list(self._modules)})."
                           + suggest_name(str(key), list(self._modules)))
        return self._modules[key]

    def __setitem__(self, key, module):
        _check_is_module("ModuleDict", module, f"the value for '{key}'")
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        """Remove every entry."""
        self._modules.clear()

    def pop(self, key):
        """Remove ``key`` and return its module."""
        value = self[key]
        del self[key]
        return value

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        """Add or overwrite entries from a mapping or an iterable of ``(key, module)`` pairs."""
        if not isinstance(modules, container_abcs.Iterable):
            raise TypeError("ModuleDict.update should be called with an iterable of key/value "
                            "pairs, but got " + type(modules).__name__)
        if isinstance(modules, (OrderedDict, ModuleDict, container_abcs.Mapping)):
            for key, module in modules.items():
                self[key] = module
        else:
            for j, pair in enumerate(modules):
                if not isinstance(pair, container_abcs.Iterable):
                    raise TypeError(f"ModuleDict update sequence element #{j} should be "
                                    f"Iterable; is {type(pair).__name__}")
                if len(pair) != 2:
                    raise ValueError(f"ModuleDict update sequence element #{j} has length "
                                     f"{len(pair)}; 2 is required")
                self[pair[0]] = pair[1]


# torch.typename() names, which PyTorch's ParameterDict prints instead of the dtype
_LEGACY_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor",
                      "float16": "HalfTensor", "int64": "LongTensor", "int32": "IntTensor",
                      "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
                      "bool": "BoolTensor"}


def _tensor_line(key, value, legacy_type_name=False):
    """``  (0): Parameter containing: [teachnn.float32 of size 3x4]`` (PyTorch's wording).

    ParameterDict names the type the old way (``teachnn.FloatTensor``), as PyTorch does.
    """
    if isinstance(value, Tensor):
        size = "x".join(str(s) for s in value.shape)
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        dtype_name = value._data.dtype.name
        if legacy_type_name:
            type_text = "teachnn." + _LEGACY_TYPE_NAMES.get(dtype_name, dtype_name)
        else:
            type_text = "teachnn." + dtype_name
        return f"  ({key}): {kind} containing: [{type_text} of size {size}]"
    return f"  ({key}): Object of type: {type(value).__name__}"


class ParameterList(Module):
    """A list of Parameters that registers them (plain Tensors are wrapped as Parameters)."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _get_abs_string_index(self, idx):
        idx = operator.index(idx)
        if not (-len(self) <= idx < len(self)):
            raise IndexError(f"index {idx} is out of range for a ParameterList of {len(self)}")
        if idx < 0:
            idx += len(self)
        return str(idx)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__([self[i] for i in range(len(self))[idx]])
        return getattr(self, self._get_abs_string_index(idx))

    def __setitem__(self, idx, param):
        idx = self._get_abs_string_index(idx)
        if isinstance(param, Tensor) and not isinstance(param, Parameter):
            param = Parameter(param)
        setattr(self, idx, param)

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value):
        """Add ``value`` at the end (a Tensor becomes a Parameter). Returns self."""
        new_idx = len(self)
        self._size += 1
        self[new_idx] = value
        return self

    def extend(self, values):
        """Append every value of an iterable. Returns self."""
        if not isinstance(values, container_abcs.Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return "\n".join(_tensor_line(k, p) for k, p in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """A dict of Parameters (string keys) that registers them."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return getattr(self, key)

    def __setitem__(self, key, value):
        self._keys[key] = None
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, key, value)

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, key)

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __contains__(self, key):
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def update(self, parameters):
        """Add or overwrite entries from a mapping or an iterable of ``(key, value)`` pairs."""
        if isinstance(parameters, (container_abcs.Mapping, ParameterDict)):
            pairs = list(parameters.items())
        else:
            pairs = list(parameters)
        for j, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(f"ParameterDict update sequence element #{j} has length "
                                 f"{len(pair)}; 2 is required")
            self[pair[0]] = pair[1]

    def extra_repr(self):
        return "\n".join(_tensor_line(k, p, legacy_type_name=True) for k, p in self.items())

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")
