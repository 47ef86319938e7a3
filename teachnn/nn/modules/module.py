"""``nn.Module``: the base class of every layer and every model.

A Module keeps three ordered dictionaries, filled automatically when you assign attributes
in ``__init__``:

    self._parameters   name -> Parameter      (self.weight = nn.Parameter(...))
    self._buffers      name -> Tensor         (self.register_buffer('running_mean', ...))
    self._modules      name -> Module         (self.conv1 = nn.Conv2d(...))

Everything else (``parameters()``, ``state_dict()``, ``repr``, ``train()``/``eval()``,
``to(dtype)``) walks these dictionaries recursively. That is the whole trick: an attribute
assignment is intercepted by ``__setattr__`` and filed into the right dictionary, and
``model(x)`` is ``__call__`` running forward hooks around your ``forward``.

Names, order and text are PyTorch's, so ``state_dict()`` keys (``layers.0.weight``) and
``print(model)`` look exactly as they do with ``torch.nn``.
"""
from __future__ import annotations

import difflib
import functools
import itertools
import warnings
import weakref
from collections import OrderedDict, namedtuple

import numpy as np

import teachnn
from teachnn._errors import check_kwargs, shape_str, suggest_name
from teachnn._shapes import NO_CUDA_MESSAGE
from teachnn.autograd import Function, is_grad_enabled
from teachnn.tensor import Tensor
from teachnn.nn.parameter import Parameter

__all__ = ["Module"]


# ----------------------------------------------------------------------------- helpers

class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it could not match, in both directions."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by ``register_forward_hook`` & co.; ``handle.remove()`` unregisters the hook.

    Also a context manager: ``with model.register_forward_hook(h): model(x)``.

    The handle holds only a weak reference to the module's hook dictionary, so a handle never
    keeps a deleted model alive. Pickling or ``copy.deepcopy`` stores the dictionary itself
    (PyTorch's ``__getstate__``): a copied handle points at the copied dictionary, never at the
    original one, and removing it never removes the original module's hook.
    """

    _next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self._hooks_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        # e.g. the set of with_kwargs hook ids, cleaned up together with the hook
        self._extra_refs = () if extra_dict is None else (weakref.ref(extra_dict),)

    def remove(self):
        hooks = self._hooks_ref()
        if hooks is not None and self.id in hooks:
            del hooks[self.id]
        for ref in self._extra_refs:
            extra = ref()
            if extra is not None and self.id in extra:
                if isinstance(extra, set):
                    extra.discard(self.id)
                else:
                    del extra[self.id]

    def __getstate__(self):
        return (self._hooks_ref(), self.id, tuple(ref() for ref in self._extra_refs))

    def __setstate__(self, state):
        hooks, self.id = state[0], state[1]
        # a dictionary that died before pickling gives a handle whose remove() does nothing
        self._hooks_ref = weakref.ref(OrderedDict() if hooks is None else hooks)
        RemovableHandle._next_id = max(RemovableHandle._next_id, self.id + 1)
        extras = state[2] if len(state) > 2 and state[2] is not None else ()
        self._extra_refs = tuple(weakref.ref(d) for d in extras if d is not None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _WrappedHook:
    """A load_state_dict pre-hook that also receives its module (held weakly, as in PyTorch,
    so the hook does not keep the module alive); pickles and deep-copies with the module."""

    def __init__(self, hook, module=None):
        self.hook = hook
        functools.update_wrapper(self, hook)
        self.with_module = module is not None
        if self.with_module:
            self.module = weakref.ref(module)

    def __call__(self, *args, **kwargs):
        if self.with_module:
            module = self.module()
            if module is None:
                raise RuntimeError("You are trying to call the hook of a dead Module!")
            return self.hook(module, *args, **kwargs)
        return self.hook(*args, **kwargs)

    def __getstate__(self):
        state = {"hook": self.hook, "with_module": self.with_module}
        if self.with_module:
            state["module"] = self.module()
        return state

    def __setstate__(self, state):
        self.hook = state["hook"]
        self.with_module = state["with_module"]
        if self.with_module:
            if state["module"] is None:
                raise RuntimeError("You are trying to revive the hook of a dead Module!")
            self.module = weakref.ref(state["module"])


# The hook dictionaries every Module has (a module pickled by an older teachnn may lack some)
_HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
               "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
               "_load_state_dict_post_hooks")


def _addindent(text, num_spaces):
    """Indent every line of ``text`` except the first by ``num_spaces`` (used by ``repr``)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    lines = [(num_spaces * " ") + line for line in lines]
    return first + "\n" + "\n".join(lines)


def _typename(obj):
    """``'teachnn.Tensor'``, ``'int'``, ``'Linear'``: the type name used in error messages."""
    if isinstance(obj, Tensor):
        return "teachnn." + type(obj).__name__
    module = type(obj).__module__
    if module in ("builtins", "__main__") or module is None:
        return type(obj).__qualname__
    return module + "." + type(obj).__qualname__


def _to_numpy(value):
    """A checkpoint value as an ndarray: teachnn Tensors, PyTorch tensors, arrays, lists.

    PyTorch tensors are recognised by their ``detach`` method (teachnn never imports torch).
    """
    if isinstance(value, Tensor):
        return value._data
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        return np.asarray(value.detach().cpu().numpy())
    return np.asarray(value)


def _warn_if_unregistered_modules(owner, name, value):
    """Warn when a plain list/tuple/dict of layers is assigned: PyTorch accepts it silently,
    but the layers' parameters are then invisible to parameters(), state_dict() and the
    optimiser - a classic reason why "the model does not learn"."""
    if name.startswith("_"):
        return                      # internal bookkeeping such as self._modules
    if isinstance(value, (list, tuple)):
        items = list(value)
        kind, fix = type(value).__name__, "nn.ModuleList([...])"
    elif isinstance(value, dict):
        items = list(value.values())
        kind, fix = "dict", "nn.ModuleDict({...})"
    else:
        return
    if items and any(isinstance(item, Module) for item in items):
        warnings.warn(
            f"{owner}.{name}은(는) 레이어를 담은 보통 파이썬 {kind}입니다: 그 안의 파라미터가 등록되지 "
            f"않아 model.parameters(), state_dict(), 옵티마이저가 보지 못합니다. {fix}를 쓰세요.\n"
            f"{owner}.{name} is a plain Python {kind} of layers: their parameters are not "
            f"registered, so model.parameters(), state_dict() and the optimiser do not see them. "
            f"Use {fix} instead.",
            UserWarning, stacklevel=3)


class _MissingAttributeError(AttributeError):
    """``'CNN' object has no attribute 'conv_1'. Did you mean 'conv1'?``

    The suggestion is worked out only when the message is read: ``hasattr(module, name)``
    and ``getattr(module, name, default)`` raise this error routinely, and searching for a
    close name every time would make building a model slow.
    """

    def __init__(self, module, name):
        super().__init__(f"'{type(module).__name__}' object has no attribute '{name}'")
        self._module = module
        self._name = name
        self._message = None

    def __str__(self):
        if self._message is None:
            module, d = self._module, self._module.__dict__
            candidates = (list(d["_parameters"]) + list(d["_buffers"]) + list(d["_modules"])
                          + [k for k in d if not k.startswith("_")]
                          + [k for k in dir(type(module)) if not k.startswith("_")])
            self._message = self.args[0] + "." + suggest_name(self._name, candidates)
            if self._message.endswith("."):
                self._message = self._message[:-1]
        return self._message


def _forward_unimplemented(self, *args, **kwargs):
    """Stands in for ``forward`` until a subclass defines it (PyTorch's error)."""
    name = type(self).__name__
    message = f'Module [{name}] is missing the required "forward" function'
    # a common slip is a misspelt method name: 'foward', 'forwad', 'Forward'
    # look only at methods the learner wrote (classes below Module), never at 'forward' itself
    methods = [attr for klass in type(self).__mro__
               if klass is not Module and not issubclass(Module, klass)
               for attr, value in vars(klass).items()
               if callable(value) and attr != "forward" and not attr.startswith("__")]
    close = difflib.get_close_matches("forward", methods, n=1, cutoff=0.7)
    container_hint = getattr(type(self), "_no_forward_hint", None)
    if container_hint:
        message += ". " + container_hint
    elif close:
        typo = close[0]
        message += (f". Your class defines '{typo}': rename it to 'forward' so that "
                    f"calling the model runs it.")
    else:
        message += (". Define `def forward(self, x): ...` in your class; calling "
                    "model(x) then runs it.")
    raise NotImplementedError(message)


# ----------------------------------------------------------------------------- backward hooks

class _BackwardHookInputs(Function):
    """Identity on the module's inputs; its backward sees dL/d(inputs) and runs the hooks."""

    _backward_name = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx, hooks, *tensors):
        ctx.hooks = hooks
        return tuple(Tensor(t._data) for t in tensors)   # same numbers, new graph nodes

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + ctx.hooks.run_full_hooks(grads)


class _BackwardHookOutputs(Function):
    """Identity on the module's outputs; its backward sees dL/d(outputs) (``grad_output``)."""

    _backward_name = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx, hooks, *tensors):
        ctx.hooks = hooks
        return tuple(Tensor(t._data) for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + ctx.hooks.receive_grad_output(grads)


class _BackwardHooks:
    """The backward-hook bookkeeping of one ``module(...)`` call.

    The inputs and the outputs each pass through an identity Function. During backward the
    output one fires first (it records ``grad_output`` and runs the pre-hooks), then the
    layer's own backward runs, then the input one fires and calls the full backward hooks
    with ``(module, grad_input, grad_output)``.
    """

    def __init__(self, module):
        self.module = module
        self.n_inputs = 0
        self.grad_positions = []       # which Tensor arguments require grad
        self.grad_output = None

    def wrap_inputs(self, args):
        tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(tensor_positions)
        self.grad_positions = [k for k, i in enumerate(tensor_positions) if args[i].requires_grad]
        if not self.grad_positions:
            return args
        chosen = [tensor_positions[k] for k in self.grad_positions]
        wrapped = _BackwardHookInputs.apply(self, *[args[i] for i in chosen])
        if not isinstance(wrapped, tuple):
            wrapped = (wrapped,)
        args = list(args)
        for i, t in zip(chosen, wrapped):
            args[i] = t
        return tuple(args)

    def wrap_outputs(self, output):
        if isinstance(output, Tensor):
            outputs, single = (output,), True
        elif isinstance(output, tuple) and all(isinstance(o, Tensor) for o in output):
            outputs, single = output, False
        else:
            return output              # other kinds of output are passed through untouched
        if not any(o.requires_grad for o in outputs):
            return output
        wrapped = _BackwardHookOutputs.apply(self, *outputs)
        if not isinstance(wrapped, tuple):
            wrapped = (wrapped,)
        return wrapped[0] if single else tuple(wrapped)

    def receive_grad_output(self, grads):
        grads = tuple(grads)
        for hook in list(self.module._backward_pre_hooks.values()):
            result = hook(self.module, grads)
            if result is not None:
                grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        self.grad_output = grads
        if not self.grad_positions:
            # no input needs a gradient: PyTorch calls the hooks now, with grad_input all None
            self._call_full_hooks((None,) * self.n_inputs)
        return grads

    def run_full_hooks(self, grads):
        grad_input = [None] * self.n_inputs
        for k, g in zip(self.grad_positions, grads):
            grad_input[k] = g
        grad_input = self._call_full_hooks(tuple(grad_input))
        return tuple(grad_input[k] for k in self.grad_positions)

    def _call_full_hooks(self, grad_input):
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(
                        f"Backward hook returned an invalid number of grad_input, got "
                        f"{len(result)}, but expected {len(grad_input)}")
                grad_input = result
        return grad_input


# ----------------------------------------------------------------------------- Module

class Module:
    """Base class for all layers and models (``torch.nn.Module``).

    Subclass it, call ``super().__init__()`` first, create the layers as attributes, and
    write ``forward``::

        class CNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 16, kernel_size=5)
                self.fc = nn.Linear(16 * 24 * 24, 10)

            def forward(self, x):                 # x: (N, 1, 28, 28)
                x = F.relu(self.conv1(x))         # (N, 16, 24, 24)
                return self.fc(x.flatten(1))      # (N, 10)

        model = CNN()
        y = model(x)      # runs forward (with any hooks); do not call model.forward(x) directly
    """

    training: bool
    _version = 1

    def __init_subclass__(cls, **kwargs):
        """Wrap each subclass's ``__init__`` so that a misspelt keyword argument gets a
        suggestion: ``nn.Conv2d(1, 16, kernels=5)`` -> ``Did you mean 'kernel_size'?``."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_teachnn_checked", False):
            cls.__init__ = check_kwargs(init)

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            given = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
            raise TypeError(
                f"Module.__init__() takes no arguments but got {given}. "
                "Call super().__init__() without arguments and keep your own arguments "
                "in your class's __init__."
            )
        # object.__setattr__ skips our own __setattr__, which needs these dicts to exist
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks_with_kwargs", set())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks_with_kwargs", set())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_state_dict_hooks", OrderedDict())
        object.__setattr__(self, "_state_dict_pre_hooks", OrderedDict())
        object.__setattr__(self, "_load_state_dict_pre_hooks", OrderedDict())
        object.__setattr__(self, "_load_state_dict_post_hooks", OrderedDict())

    def __setstate__(self, state):
        # unpickling (and copy.deepcopy) restore __dict__ directly; fill what older pickles lack
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            if name not in self.__dict__:
                object.__setattr__(self, name, OrderedDict())
        for name in ("_forward_hooks_with_kwargs", "_forward_pre_hooks_with_kwargs",
                     "_non_persistent_buffers_set"):
            if name not in self.__dict__:
                object.__setattr__(self, name, set())

    forward = _forward_unimplemented

    # ------------------------------------------------------------------ registration

    def register_buffer(self, name, tensor, persistent=True):
        """Add a Tensor that is state but not a parameter (e.g. BatchNorm's running mean).

        Buffers move with ``to(dtype)`` and, if ``persistent``, are saved in ``state_dict()``.
        They are not returned by ``parameters()``, so the optimiser never changes them.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call\n"
                                 "call super().__init__() first in your __init__")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(teachnn Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        """Add a Parameter under ``name`` (what ``self.name = nn.Parameter(...)`` does)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call\n"
                                 "call super().__init__() first in your __init__")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                "(teachnn.nn.Parameter or None required). Wrap it: nn.Parameter(tensor)."
            )
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                f"be created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        self._parameters[name] = param

    def add_module(self, name, module):
        """Add a child module under ``name`` (what ``self.name = module`` does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if "_modules" not in self.__dict__:
            raise AttributeError("cannot assign module before Module.__init__() call\n"
                                 "call super().__init__() first in your __init__")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias of :meth:`add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target):
        """The module at a dotted path: ``model.get_submodule('layers.0')``; ``''`` is self."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                hint = suggest_name(item, list(module._modules))
                raise AttributeError(module._get_name() + " has no attribute `" + item + "`"
                                     + ("." + hint if hint else ""))
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return module

    def get_parameter(self, target):
        """The Parameter at a dotted path: ``model.get_parameter('fc1.weight')``."""
        module_path, _, param_name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, param_name):
            hint = suggest_name(param_name, list(module._parameters))
            raise AttributeError(module._get_name() + " has no attribute `" + param_name + "`"
                                 + ("." + hint if hint else ""))
        param = getattr(module, param_name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + param_name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at a dotted path: ``model.get_buffer('bn1.running_mean')``."""
        module_path, _, buffer_name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if buffer_name not in module._buffers:
            hint = suggest_name(buffer_name, list(module._buffers))
            raise AttributeError(module._get_name() + " has no buffer `" + buffer_name + "`"
                                 + ("." + hint if hint else ""))
        return module._buffers[buffer_name]

    # ------------------------------------------------------------------ attributes

    def __getattr__(self, name):
        # Only called when normal lookup fails, i.e. for registered names (and typos).
        d = self.__dict__
        if "_parameters" not in d:
            if name.startswith("__"):
                raise AttributeError(name)
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute '{name}'. "
                f"{type(self).__name__}.__init__ did not call super().__init__(): "
                "call super().__init__() first in your __init__"
            )
        for store in ("_parameters", "_buffers", "_modules"):
            if name in d[store]:
                return d[store][name]
        raise _MissingAttributeError(self, name)

    def __setattr__(self, name, value):
        def remove_from(*stores):
            for store in stores:
                if name in store:
                    if isinstance(store, dict):
                        del store[name]
                    else:
                        store.discard(name)

        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call\n"
                                     "call super().__init__() first in your __init__")
            remove_from(self.__dict__, self._buffers, self._modules,
                        self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(teachnn.nn.Parameter or None expected). To change the numbers, write "
                    f"into it under teachnn.no_grad(), e.g. self.{name}.data[...] = ..., "
                    f"or assign nn.Parameter(new_tensor)."
                )
            self.register_parameter(name, value)
        else:
            modules = self.__dict__.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call\n"
                                         "call super().__init__() first in your __init__")
                remove_from(self.__dict__, self._parameters, self._buffers,
                            self._non_persistent_buffers_set)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{_typename(value)}' as child module "
                                    f"'{name}' (teachnn.nn.Module or None expected)")
                modules[name] = value
            else:
                buffers = self.__dict__.get("_buffers")
                if buffers is not None and name in buffers:
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(f"cannot assign '{_typename(value)}' as buffer "
                                        f"'{name}' (teachnn Tensor or None expected)")
                    buffers[name] = value
                else:
                    if modules is not None:
                        _warn_if_unregistered_modules(type(self).__name__, name, value)
                    object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if name in self.__dict__.get("_parameters", {}):
            del self._parameters[name]
        elif name in self.__dict__.get("_buffers", {}):
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self.__dict__.get("_modules", {}):
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        module_attrs = dir(self.__class__)
        attrs = list(self.__dict__.keys())
        parameters = list(self._parameters.keys())
        modules = list(self._modules.keys())
        buffers = list(self._buffers.keys())
        keys = module_attrs + attrs + parameters + modules + buffers
        # drop names that are not valid Python attribute names (e.g. '0' in Sequential)
        keys = [key for key in keys if not key[0].isdigit()]
        return sorted(set(keys))

    def _get_name(self):
        return type(self).__name__

    # ------------------------------------------------------------------ calling

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Run ``hook(module, args)`` just before ``forward``.

        The hook may return a new input (a value or a tuple) to use instead of ``args``.
        With ``with_kwargs=True`` it is called as ``hook(module, args, kwargs)`` and may
        return ``(args, kwargs)``. Returns a handle; ``handle.remove()`` unregisters it.
        """
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Run ``hook(module, args, output)`` just after ``forward``.

        The visualiser uses this to grab feature maps. A hook that returns something other
        than ``None`` replaces the output. With ``with_kwargs=True`` it is called as
        ``hook(module, args, kwargs, output)``. Returns a handle with ``remove()``.
        """
        handle = RemovableHandle(self._forward_hooks, extra_dict=self._forward_hooks_with_kwargs)
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(handle.id)
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """Run ``hook(module, grad_input, grad_output)`` when the gradients with respect to
        this module's inputs have been computed during ``backward()``.

        ``grad_output``: a tuple with dL/d(output) for each Tensor the module returned;
        ``grad_input``: a tuple with dL/d(input) for each Tensor argument (``None`` for inputs
        that do not require grad, e.g. the data fed to the first layer). Returning a tuple
        replaces ``grad_input`` for the layers before. Handy for watching gradients shrink
        or explode layer by layer. Returns a handle with ``remove()``.
        """
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Run ``hook(module, grad_output)`` when dL/d(output) reaches this module, before its
        input gradients are computed; returning a tuple replaces ``grad_output``."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def __call__(self, *args, **kwargs):
        """``model(x)``: pre-hooks, then ``forward(x)``, then forward hooks."""
        pre_hooks = self.__dict__.get("_forward_pre_hooks")
        if pre_hooks is None:
            raise RuntimeError(
                f"{type(self).__name__} was called before Module.__init__() ran. "
                "call super().__init__() first in your __init__"
            )
        if not (pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)     # no hooks (the usual case): forward alone
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    if not isinstance(result, tuple):
                        result = (result,)
                    args = result

        backward_hooks = None
        if (self._backward_hooks or self._backward_pre_hooks) and is_grad_enabled():
            backward_hooks = _BackwardHooks(self)
            args = backward_hooks.wrap_inputs(args)

        output = self.forward(*args, **kwargs)

        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_with_kwargs:
                hook_result = hook(self, args, kwargs, output)
            else:
                hook_result = hook(self, args, output)
            if hook_result is not None:
                output = hook_result

        if backward_hooks is not None:
            output = backward_hooks.wrap_outputs(output)
        return output

    # ------------------------------------------------------------------ walking the tree

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(dotted_name, module)`` for self and every descendant, pre-order.

        A module reachable along two paths is yielded once (first path), unless
        ``remove_duplicate=False``. The root's name is ``prefix`` (``''``).
        """
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            submodule_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, submodule_prefix, remove_duplicate)

    def modules(self):
        """Yield self and every descendant module (pre-order, de-duplicated)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct children (each module once)."""
        memo = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def children(self):
        """Yield the direct child modules."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        """Shared walk for parameters and buffers: dotted names, each tensor once."""
        memo = set()
        if recurse:
            modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            modules = [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or id(value) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(name, Parameter)`` with dotted names like ``'layers.0.weight'``.

        Order: a module's own parameters in registration order, then its children's,
        depth first. A parameter shared by two layers is yielded once.
        """
        yield from self._named_members(lambda module: module._parameters.items(),
                                       prefix=prefix, recurse=recurse,
                                       remove_duplicate=remove_duplicate)

    def parameters(self, recurse=True):
        """Yield every Parameter (what you give the optimiser: ``SGD(model.parameters())``)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(name, buffer)`` with dotted names (persistent and non-persistent)."""
        yield from self._named_members(lambda module: module._buffers.items(),
                                       prefix=prefix, recurse=recurse,
                                       remove_duplicate=remove_duplicate)

    def buffers(self, recurse=True):
        """Yield every buffer."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    # ------------------------------------------------------------------ modes and grads

    def train(self, mode=True):
        """Set training mode on self and all descendants (Dropout drops, BatchNorm uses
        batch statistics). Returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Set evaluation mode (``train(False)``). Returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Switch gradient tracking of every parameter on or off (e.g. to freeze layers)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: to ``None`` (default) or to zeros."""
        for param in self.parameters():
            if param.grad is not None:
                if set_to_none:
                    param.grad = None
                else:
                    param.grad = Tensor(np.zeros_like(param.grad._data))

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant (children first) and then on self.

        Typical use: custom initialisation, ``model.apply(init_weights)``. Returns self.
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ dtype / device

    def _cast_floating(self, np_dtype):
        """Convert every floating-point parameter, gradient and buffer to ``np_dtype``.

        The Parameter objects stay the same (an optimiser holding them keeps working);
        only their arrays are replaced. Integer buffers (BatchNorm's num_batches_tracked)
        are left alone, as in PyTorch.
        """
        for module in self.modules():
            for tensor in list(module._parameters.values()) + list(module._buffers.values()):
                if tensor is None or not np.issubdtype(tensor._data.dtype, np.floating):
                    continue
                tensor._data = tensor._data.astype(np_dtype)
                if tensor.grad is not None:
                    tensor.grad = Tensor(tensor.grad._data.astype(np_dtype))
        return self

    def float(self):
        """Cast floating-point parameters and buffers to float32. Returns self."""
        return self._cast_floating(np.float32)

    def half(self):
        """Cast floating-point parameters and buffers to float16. Returns self."""
        return self._cast_floating(np.float16)

    def double(self):
        """Cast floating-point parameters and buffers to float64. Returns self."""
        return self._cast_floating(np.float64)

    def to(self, *args, **kwargs):
        """``model.to(teachnn.float64)``, ``model.to('cpu')``, ``model.to(some_tensor)``.

        teachnn runs on the CPU only, so a device is accepted when it is ``'cpu'``.
        """
        from teachnn import _dtype

        allowed = {"device", "dtype", "non_blocking", "memory_format", "copy"}
        for key in kwargs:
            if key not in allowed:
                raise TypeError(f"to() got an unexpected keyword argument '{key}'."
                                + suggest_name(key, sorted(allowed)))
        target_dtype = kwargs.get("dtype")
        device = kwargs.get("device")
        for arg in args:
            if isinstance(arg, Tensor):
                target_dtype = arg.dtype
            elif isinstance(arg, _dtype.dtype):
                target_dtype = arg
            elif isinstance(arg, (str, teachnn.device)):
                device = arg
            elif isinstance(arg, bool):  # non_blocking given positionally
                continue
            else:
                raise TypeError(f"to() received an invalid argument {arg!r}; expected a "
                                "dtype such as teachnn.float64, a device such as 'cpu', or a Tensor")
        if device is not None:
            _check_cpu(device)
        if target_dtype is not None:
            target_dtype = _dtype.to_dtype(target_dtype)
            if not target_dtype.is_floating_point:
                raise TypeError("nn.Module.to only accepts floating point dtypes, but got "
                                f"desired dtype={target_dtype}")
            self._cast_floating(target_dtype.np)
        return self

    def cpu(self):
        """No-op (teachnn always runs on the CPU). Returns self."""
        return self

    def cuda(self, device=None):
        """teachnn has no GPU backend: raises AssertionError, as a CPU-only PyTorch does."""
        _check_cpu("cuda")

    # ------------------------------------------------------------------ state_dict

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def register_state_dict_pre_hook(self, hook):
        """Run ``hook(module, prefix, keep_vars)`` before ``state_dict()`` saves this module."""
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook):
        """Run ``hook(module, state_dict, prefix, local_metadata)`` after ``state_dict()`` has
        saved this module and its children; the hook may change ``state_dict`` in place (it
        must return None)."""
        hook._from_public_api = True
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def _register_state_dict_hook(self, hook):
        """PyTorch's older post-hook: like ``register_state_dict_post_hook``, but a returned
        dict replaces the state_dict (only honoured for the module state_dict was called on)."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError(
                "Cannot register the same function as the state dict post hook that was "
                "previously registered via register_state_dict_post_hook")
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def register_load_state_dict_pre_hook(self, hook):
        """Run ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before ``load_state_dict`` copies this module's
        entries (e.g. to rename keys of an old checkpoint in place)."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = _WrappedHook(
            hook, self if with_module else None)
        return handle

    def register_load_state_dict_post_hook(self, hook):
        """Run ``hook(module, incompatible_keys)`` after ``load_state_dict`` has loaded this
        module and its children; it may edit ``incompatible_keys.missing_keys`` /
        ``.unexpected_keys`` in place (``strict=True`` then judges the edited lists)."""
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """An ``OrderedDict`` of every parameter and persistent buffer, by dotted name.

        Order (PyTorch's): a module's parameters, then its persistent buffers, then each
        child's entries in registration order. Values are detached Tensors that share
        their numbers with the model (save a copy with ``{k: v.clone() ...}``).
        """
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            hook_result = hook(self, destination, prefix, local_metadata)
            if not getattr(hook, "_from_public_api", False):
                if hook_result is not None:
                    destination = hook_result
            elif hook_result is not None:
                raise RuntimeError("state_dict post-hook must return None: change the "
                                   "state_dict it receives in place instead")
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """Copy this module's own entries (not its children's) from ``state_dict``.

        Same signature as PyTorch's, so a layer can override it (e.g. to accept an older
        checkpoint format, told apart by ``local_metadata.get('version')``). Problems are
        appended to the three lists; ``load_state_dict`` decides what to raise.
        """
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                 error_msgs)
        persistent_buffers = {k: v for k, v in self._buffers.items()
                              if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(),
                                                        persistent_buffers.items())
                       if v is not None}
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            try:
                value = _to_numpy(state_dict[key])
            except Exception as exc:  # noqa: BLE001 - reported as PyTorch does
                error_msgs.append(f'While copying the parameter named "{key}", expected a '
                                  "Tensor or array-like object from checkpoint but received "
                                  f"{type(state_dict[key])} ({exc})")
                continue
            if value.dtype == object:
                error_msgs.append(f'While copying the parameter named "{key}", expected a '
                                  "Tensor or array-like object from checkpoint but received "
                                  f"{type(state_dict[key])}")
                continue
            if param._data.ndim == 0 and value.shape == (1,):   # old checkpoints, as PyTorch
                value = value.reshape(())
            if value.shape != param._data.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{shape_str(value.shape)} from checkpoint, the shape in current model "
                    f"is {shape_str(param._data.shape)}."
                )
                continue
            # in place: the Parameter object (held by optimisers) keeps its identity and dtype
            try:
                param._data[...] = value
            except (TypeError, ValueError) as exc:
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model '
                    f"are {shape_str(param._data.shape)} and whose dimensions in the checkpoint "
                    f"are {shape_str(value.shape)}, an exception occurred : {exc.args}.")
                continue
            param._version += 1          # an in-place change, as with PyTorch's param.copy_()
        for key in state_dict.keys():
            if not key.startswith(prefix):
                continue
            input_name = key[len(prefix):].split(".", 1)
            if len(input_name) > 1:
                if input_name[0] not in self._modules:
                    unexpected_keys.append(key)
            elif input_name[0] not in local_state:
                unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True):
        """Copy parameters and buffers from ``state_dict`` into this model, in place.

        Values may be teachnn Tensors, NumPy arrays, nested lists, or PyTorch tensors (so
        ``model.load_state_dict(torch_model.state_dict())`` works). Each value keeps the
        model's dtype. Returns ``(missing_keys, unexpected_keys)``; with ``strict=True``
        (default) any missing or unexpected key, and with any ``strict`` a shape mismatch,
        raises ``RuntimeError`` naming the keys and shapes.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys, unexpected_keys, error_msgs = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)

        def load(module, local_state_dict, prefix=""):
            local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
            # strict=True here on purpose (as in PyTorch): the lists are always filled, and
            # load_state_dict's own ``strict`` decides whether they are errors
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True,
                                         missing_keys, unexpected_keys, error_msgs)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state_dict = {k: v for k, v in local_state_dict.items()
                                        if k.startswith(child_prefix)}
                    load(child, child_state_dict, child_prefix)
            # the hooks may edit missing_keys / unexpected_keys in place
            incompatible_keys = _IncompatibleKeys(missing_keys, unexpected_keys)
            for hook in module._load_state_dict_post_hooks.values():
                if hook(module, incompatible_keys) is not None:
                    raise AssertionError(
                        "Hooks registered with ``register_load_state_dict_post_hook`` are not "
                        "expected to return new values, if incompatible_keys need to be "
                        "modified, it should be done inplace.")

        load(self, state_dict)
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                self._get_name(), "\n\t".join(error_msgs)))
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # ------------------------------------------------------------------ printing

    def extra_repr(self):
        """One line describing the layer's settings, e.g. ``in_features=4, out_features=2,
        bias=True``. Override it in your own layers; ``repr(model)`` uses it."""
        return ""

    def __repr__(self):
        extra_lines = []
        extra_repr = self.extra_repr()
        if extra_repr:
            extra_lines = extra_repr.split("\n")
        child_lines = []
        for key, module in self._modules.items():
            mod_str = _addindent(repr(module), 2)
            child_lines.append("(" + key + "): " + mod_str)
        lines = extra_lines + child_lines
        main_str = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main_str += extra_lines[0]
            else:
                main_str += "\n  " + "\n  ".join(lines) + "\n"
        main_str += ")"
        return main_str


def _check_cpu(device):
    text = str(device)
    if text.startswith("cuda"):
        raise AssertionError(NO_CUDA_MESSAGE)
    if text != "cpu" and not text.startswith("cpu:"):
        raise RuntimeError(
            f"teachnn runs on the CPU only, but device '{text}' was requested. "
            "Use .to('cpu') or leave the device out."
        )
