"""``Optimizer``: the base class of SGD, Adam and AdamW (PyTorch's ``torch.optim.Optimizer``).

An optimiser holds **parameter groups**: a list of dicts, each with a ``'params'`` list and
its own hyper-parameters (``lr``, ``momentum``, ...). ``step()`` reads every parameter's
``.grad`` and updates the parameter's numbers in place; ``zero_grad()`` clears the grads
before the next backward. Per-parameter memory (momentum buffers, Adam's moving averages)
lives in ``optimizer.state[param]``.

The training loop every lesson uses::

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        optimizer.zero_grad()          # 1. forget the previous gradients
        loss = loss_fn(model(x), y)    # 2. forward
        loss.backward()                # 3. backward: fills p.grad
        optimizer.step()               # 4. update: p <- p - lr * p.grad (for SGD)
"""
from __future__ import annotations

import copy
import functools
import inspect
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain

import numpy as np

from teachnn._errors import check_kwargs
from teachnn.tensor import Tensor

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]

# hooks run around the step() of every optimiser (PyTorch's global optimizer hooks)
_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


def _handle(hooks, hook, prepend=False):
    from teachnn.nn.modules.module import RemovableHandle
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` before the ``step()`` of every optimiser."""
    return _handle(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` after the ``step()`` of every optimiser."""
    return _handle(_global_optimizer_post_hooks, hook)


class _RequiredParameter:
    """Marks a hyper-parameter without a default (every group must give it)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _check_number(name, value):
    """Hyper-parameters are plain numbers: ``lr=0.1``, not ``lr='0.1'``. (``lr`` may also be a
    1-element tensor, as in PyTorch.)"""
    if name == "lr" and isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"Tensor lr must be 1-element, but got a tensor of shape "
                             f"{list(value.shape)}; pass a number or teachnn.tensor(0.01)")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, but got {value!r} "
                        f"({type(value).__name__})")


# names from other libraries and papers that a learner may type for PyTorch's keywords
_KEYWORD_ALIASES = {"learning_rate": "lr", "learningrate": "lr", "wd": "weight_decay",
                    "l2": "weight_decay", "decay": "weight_decay", "epsilon": "eps",
                    "beta": "betas", "beta1": "betas", "beta2": "betas", "mom": "momentum"}


def _check_optim_kwargs(init):
    """``check_kwargs`` (nearest-name suggestions) plus the aliases above, for the ``__init__``
    of optimisers and schedulers: ``learning_rate=0.1`` -> ``Did you mean 'lr'?``."""
    checked = check_kwargs(init)
    signature = inspect.signature(init)
    if any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values()):
        return checked
    valid = [name for name in signature.parameters if name != "self"]

    @functools.wraps(init)
    def wrapper(*args, **kwargs):
        for key in kwargs:
            alias = _KEYWORD_ALIASES.get(key.lower())
            if key not in valid and alias in valid:
                raise TypeError(f"{init.__qualname__}() got an unexpected keyword argument "
                                f"'{key}'. Did you mean '{alias}'? Valid keywords: "
                                + ", ".join(valid) + ".")
        return checked(*args, **kwargs)

    wrapper.__signature__ = signature
    wrapper._teachnn_checked = True
    return wrapper


def _outside_optim_stacklevel():
    """The ``stacklevel`` of a warning that points at the learner's line calling step()
    (step() may be wrapped by hooks and by a scheduler, each adding a frame)."""
    import os
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here:
        frame, level = frame.f_back, level + 1
    return level


def _to_scalar(value):
    """A hyper-parameter as a number: ``lr`` may be a 1-element tensor."""
    # a NumPy scalar of the tensor's dtype: NumPy then rounds what is computed from it the way
    # PyTorch rounds arithmetic with a 0-d tensor (a float32 lr gives float32 step sizes)
    return value.detach()._data.reshape(())[()] if isinstance(value, Tensor) else value


def _check_betas(betas):
    """``betas=(beta1, beta2)``: two decay rates of moving averages, each in [0, 1)."""
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
        raise TypeError(f"betas must be a pair of numbers like (0.9, 0.999), but got {betas!r}")
    _check_number("betas[0]", betas[0])
    _check_number("betas[1]", betas[1])
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]} (each beta is the "
                             "decay of a moving average and must lie in [0, 1), e.g. 0.9)")


class Optimizer:
    """Base class: parameter groups, ``state``, ``zero_grad``, ``state_dict``.

    Args:
        params: an iterable of Tensors (``model.parameters()``), of ``(name, Tensor)`` pairs
            (``model.named_parameters()``), or of dicts, one per group, e.g.
            ``[{'params': model.base.parameters()}, {'params': model.head.parameters(), 'lr': 1e-3}]``.
        defaults: hyper-parameters used by groups that do not set them.
    """

    def __init_subclass__(cls, **kwargs):
        """A misspelt keyword gets a suggestion: ``SGD(params, learning_rate=0.1)`` ->
        ``Did you mean 'lr'?`` (still PyTorch's TypeError)."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_teachnn_checked", False):
            cls.__init__ = _check_optim_kwargs(init)

    def __init__(self, params, defaults):
        self._init_hooks()
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}. Pass model.parameters() or a list "
                "such as [w, b]."
            )
        if hasattr(params, "named_parameters") and hasattr(params, "forward"):
            raise TypeError(f"the optimizer got the model itself ({type(params).__name__}); "
                            "pass its parameters instead: "
                            f"{type(self).__name__}(model.parameters(), ...)")
        if callable(params) and getattr(params, "__name__", "") == "parameters":
            raise TypeError("the optimizer got the method model.parameters without calling it; "
                            "add the parentheses: model.parameters()")
        try:
            param_groups = list(params)
        except TypeError:
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}") from None
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list. Did the model register "
                             "its layers? (assign them as attributes after super().__init__(), "
                             "and use nn.ModuleList instead of a Python list)")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(dict(group))
        self._patch_step_function()

    def __getstate__(self):
        # only the data: a scheduler's wrapper around step() (an instance attribute) and other
        # bookkeeping are not pickled, as in PyTorch
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._init_hooks()
        self._patch_step_function()

    # ------------------------------------------------------------------ hooks (as PyTorch)

    def _init_hooks(self):
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())

    @staticmethod
    def _hooked_step(func):
        """``step`` wrapped so that the step pre- and post-hooks run around it. A pre-hook may
        return ``(new_args, new_kwargs)`` to replace step()'s arguments."""
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            self = args[0]
            for pre_hook in chain(_global_optimizer_pre_hooks.values(),
                                  self._optimizer_step_pre_hooks.values()):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(f"{func} must return None or a tuple of (new_args, "
                                           f"new_kwargs), but got {result}.")
            out = func(*args, **kwargs)
            for post_hook in chain(self._optimizer_step_post_hooks.values(),
                                   _global_optimizer_post_hooks.values()):
                post_hook(self, args, kwargs)
            return out
        wrapper.hooked = True
        return wrapper

    def _patch_step_function(self):
        # the concrete class's step is wrapped once, when its first optimiser is made (as
        # PyTorch does), so subclasses written by learners get the hooks too
        if not getattr(self.__class__.step, "hooked", False):
            self.__class__.step = self._hooked_step(self.__class__.step)

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)`` before each step()."""
        return _handle(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None`` after each step()."""
        return _handle(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer) -> None`` before state_dict() builds the dict."""
        return _handle(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict) -> state_dict or None`` on the dict state_dict() returns."""
        return _handle(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict) -> state_dict or None`` before load_state_dict() loads."""
        return _handle(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer) -> None`` after load_state_dict() has loaded."""
        return _handle(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def add_param_group(self, param_group):
        """Add a group (a dict with ``'params'`` and optional hyper-parameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):         # from model.named_parameters()
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. "
                                 "Some param names are missing")
            param_group["param_names"] = names

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + type(param).__name__)
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (it is the result of an "
                                 "operation); optimise the tensor it was computed from")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        existing = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in existing for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient: to ``None`` (default) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad = Tensor(np.zeros_like(p.grad._data))

    def step(self, closure=None):
        raise NotImplementedError(f"{type(self).__name__} must implement step()")

    def _run_closure(self, closure):
        """Start of every ``step()``: ``loss = closure()`` with gradients enabled, if given;
        then a one-time warning if no parameter has a gradient at all."""
        loss = None
        if closure is not None:
            import teachnn
            with teachnn.enable_grad():
                loss = closure()
        if not getattr(self, "_warned_no_grad", False) and all(
                p.grad is None for group in self.param_groups for p in group["params"]):
            # PyTorch silently does nothing here; for a learner it is nearly always a bug
            self._warned_no_grad = True
            warnings.warn(
                f"{type(self).__name__}.step() found no gradient on any of its parameters, so "
                "nothing changes. Call loss.backward() before optimizer.step(), and check that "
                "the optimiser was created from this model's parameters (model.parameters()).",
                UserWarning, stacklevel=_outside_optim_stacklevel())
        return loss

    # ------------------------------------------------------------------ saving / loading

    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        Parameters are replaced by their position (counting through all groups), so the
        dict can be loaded into a new optimiser over a new model with the same layout.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index_of = {}
        groups = []
        next_index = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            indices = []
            for p in group["params"]:
                if id(p) not in index_of:
                    index_of[id(p)] = next_index
                    next_index += 1
                indices.append(index_of[id(p)])
            packed["params"] = indices
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index_of[id(p)]] = self.state[p]
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Restore hyper-parameters and per-parameter state saved by :meth:`state_dict`
        (of a teachnn optimiser, or of the same PyTorch optimiser)."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        state_dict = copy.deepcopy(state_dict)
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        param_of = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for index, p in zip(saved["params"], group["params"]):
                param_of[index] = p
        self.state = defaultdict(dict)
        for index, value in state_dict["state"].items():
            if index in param_of:
                param = param_of[index]
                self.state[param] = {k: _cast_like(v, param, k) for k, v in value.items()}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            saved = dict(saved)
            saved["params"] = group["params"]
            new_groups.append(saved)
        self.param_groups = new_groups
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def __repr__(self):
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += "\n"
            text += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        text += ")"
        return text


def _implementation_switches(name, foreach=None, fused=None, differentiable=False, capturable=False):
    """Check PyTorch's implementation switches and return them for ``defaults``.

    ``foreach`` and ``fused`` choose how PyTorch runs the same arithmetic (one kernel per
    parameter, per list, or one fused kernel). teachnn has one plain NumPy implementation, so
    they are accepted and stored (code, ``print(optimizer)`` and state_dicts carry over) and
    change nothing. ``differentiable`` (a step that autograd can go through) and
    ``capturable`` (CUDA graphs) are features teachnn does not have: True raises.
    """
    for switch, value in (("foreach", foreach), ("fused", fused)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"{name}: {switch} must be None, True or False, but got {value!r}")
    if differentiable:
        raise NotImplementedError(
            f"{name}(differentiable=True): teachnn's optimiser steps are plain NumPy updates that "
            "autograd does not record. Leave differentiable=False (the default).")
    if capturable:
        raise NotImplementedError(
            f"{name}(capturable=True) is for CUDA graphs; teachnn runs on the CPU only. "
            "Leave capturable=False (the default).")
    return dict(foreach=foreach, fused=fused, differentiable=differentiable, capturable=capturable)


def _scalar_state(value):
    """A 0-d Tensor for per-parameter scalars (``step``, NAdam's ``mu_product``, ASGD's ``eta``).

    PyTorch keeps them as float32 tensors (float64 when the default dtype is float64), and the
    rounding of that storage shows in the updates, so teachnn stores them the same way.
    """
    from teachnn._dtype import get_default_dtype
    dtype = np.float64 if get_default_dtype().np == np.float64 else np.float32
    return Tensor(np.array(value, dtype=dtype))


def _changed_in_place(tensor):
    """Count an in-place update of ``tensor`` (its version counter, as every in-place operation
    does), so that a backward() that needs the old values raises instead of silently using
    the new ones - PyTorch raises in that case too."""
    tensor._version += 1


def _cast_like(value, param, key=None):
    """A loaded state entry as a teachnn Tensor; floating entries follow the parameter's dtype.

    PyTorch tensors (from ``torch_optimizer.state_dict()``) are converted through NumPy, so a
    PyTorch optimiser's state loads directly. As in PyTorch, the step counter keeps its own
    dtype and every other floating entry (moments, NAdam's ``mu_product``, ...) takes the
    parameter's.
    """
    if isinstance(value, list):                       # LBFGS keeps lists of tensors
        return [_cast_like(v, param, key) for v in value]
    if not isinstance(value, Tensor) and hasattr(value, "detach") and hasattr(value, "numpy"):
        value = Tensor(np.array(value.detach().cpu().numpy()))
    if key != "step" and isinstance(value, Tensor) \
            and np.issubdtype(value._data.dtype, np.floating) \
            and np.issubdtype(param._data.dtype, np.floating):
        return Tensor(value._data.astype(param._data.dtype))
    return value
