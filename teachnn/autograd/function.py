"""``Function``, ``Context`` and the nodes of the backward graph.

Every differentiable operation in teachnn is a ``Function`` with two static methods::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):                 # x is a Tensor
            y = np.exp(x._data)
            ctx.y = y                        # remember what backward needs
            return Tensor(y)

        @staticmethod
        def backward(ctx, grad_out):         # dL/dy, a Tensor shaped like y
            return grad_out._data * ctx.y     # dL/dx = dL/dy * exp(x)

    y = Exp.apply(x)

``apply`` runs ``forward``. If grad mode is on and some input requires grad, it also
creates a *node* of the backward graph and stores it in ``y.grad_fn``. The node points
to the nodes of the inputs (``next_functions``), so the graph can be walked from the loss
back to the leaves. ``teachnn/autograd/engine.py`` does that walk.
"""
import types

import numpy as np

from . import grad_mode

__all__ = ["Function", "Context", "Node", "AccumulateGrad", "BackwardNode", "unbroadcast"]

_SECOND_BACKWARD_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


_Tensor = None     # the Tensor class; teachnn/tensor.py registers it (autograd never imports it)


def register_tensor_class(cls):
    """Called once by ``teachnn/tensor.py`` right after ``class Tensor``: the engine wraps
    gradients in this class. autograd sits below the Tensor layer and never imports it."""
    global _Tensor
    _Tensor = cls
    return cls


def _tensor_class():
    if _Tensor is None:
        raise RuntimeError("teachnn.autograd is used before teachnn.tensor defined Tensor; import teachnn first")
    return _Tensor


class Context:
    """The ``ctx`` handed to ``forward`` and ``backward``: a place to keep things for later.

    * ``ctx.save_for_backward(*tensors)`` / ``ctx.saved_tensors`` for Tensors (checked:
      they must not be changed in place before backward, and they are freed after it);
    * any other value as a plain attribute: ``ctx.stride = 2``;
    * ``ctx.needs_input_grad``: a tuple of bools, one per ``forward`` input.
    """

    # defaults (class attributes: creating a Context costs nothing)
    needs_input_grad = ()
    _saved = ()
    _saved_versions = ()
    _freed = False
    _non_differentiable = ()

    def save_for_backward(self, *tensors):
        Tensor = _Tensor or _tensor_class()
        versions = []
        for t in tensors:
            if t is None:
                versions.append(None)
            elif isinstance(t, Tensor):
                versions.append(t._version)
            else:
                raise TypeError("save_for_backward can only save Tensors (or None), got "
                                f"{type(t).__name__}; store other values as attributes: ctx.name = value")
        self._saved = tensors
        self._saved_versions = versions

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_SECOND_BACKWARD_MESSAGE)
        for i, (t, v) in enumerate(zip(self._saved, self._saved_versions)):
            if t is not None and t._version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [tensor of shape {list(t.shape)}] is at version {t._version}; "
                    f"expected version {v} instead. Use an out-of-place operation (y = y + 1 "
                    "instead of y += 1) or .clone() the tensor before changing it.")
        return self._saved

    def mark_non_differentiable(self, *tensors):
        """Outputs passed here never require grad (e.g. the indices returned by max)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        # teachnn always hands backward zero-filled gradients for unused outputs
        pass

    def _free(self):
        self._saved = ()
        self._freed = True


class Node:
    """A node of the backward graph: what ``tensor.grad_fn`` holds.

    ``next_functions`` is a tuple of ``(node, output_index)`` pairs, one per Tensor input of
    the operation (``(None, 0)`` for inputs that do not require grad).
    """

    next_functions = ()
    _n_outputs = 1
    # hooks are rare: a node starts with these shared empty defaults and gets its own
    # containers only when a hook is registered (creating a node costs less)
    _post_hooks = ()
    _pre_hooks = types.MappingProxyType({})     # output index -> hooks of that output tensor
    _retained = types.MappingProxyType({})      # output index -> weakref of a retain_grad() tensor

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)`` runs after this node computed its gradients."""
        if "_post_hooks" not in self.__dict__:
            self._post_hooks = []
        self._post_hooks.append(hook)
        return _RemovableHandle(self._post_hooks, hook)

    def _output_hooks(self, index):
        """The list of hooks registered on output ``index`` (``tensor.register_hook``)."""
        if "_pre_hooks" not in self.__dict__:
            self._pre_hooks = {}
        return self._pre_hooks.setdefault(index, [])

    def _retain_output(self, index, ref):
        """Keep the gradient of output ``index`` on the tensor ``ref()`` (``retain_grad``)."""
        if "_retained" not in self.__dict__:
            self._retained = {}
        self._retained[index] = ref


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class AccumulateGrad(Node):
    """The node of a leaf tensor that requires grad: it adds incoming gradients to ``.grad``."""

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "teachnn::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"

    def accumulate(self, grad, owned=False):
        """Run the tensor's hooks, then ``variable.grad += grad`` (creating ``.grad`` if needed).
        ``owned``: nothing else refers to grad's memory (the engine knows), so a new .grad
        may be grad itself."""
        Tensor = _Tensor
        var = self.variable
        for hook in var._hooks:
            result = hook(Tensor(grad))
            if result is not None:
                grad = result._data if isinstance(result, Tensor) else np.asarray(result)
        if var._grad is None:
            array = var._data
            if grad.shape != array.shape:
                var.grad = Tensor(grad)      # the .grad setter explains the mismatch
            if owned and not var._hooks and grad.dtype == array.dtype:
                new = grad                   # as PyTorch does: no copy of a gradient nobody shares
            else:
                # a fresh array: the engine may hand the same gradient array to several leaves
                new = np.array(grad, dtype=array.dtype, copy=True)
            var._grad = Tensor(new)          # shape and dtype are the leaf's (checked above)
        else:
            var._grad._data += grad          # accumulate into the existing .grad, like PyTorch
        return grad


_node_classes = {}


def _node_class(name):
    """A subclass of BackwardNode per name, so ``type(y.grad_fn).__name__ == 'AddBackward0'``."""
    cls = _node_classes.get(name)
    if cls is None:
        cls = type(name, (BackwardNode,), {})
        _node_classes[name] = cls
    return cls


class BackwardNode(Node):
    """The backward graph node created by ``Function.apply``."""

    _output_meta = ()

    def __init__(self, function, ctx, inputs):
        self._function = function
        self._ctx = ctx
        # one edge per Tensor input: (node, output_index) or (None, 0)
        edges = []
        positions = self._tensor_positions = []   # where each Tensor input sat in forward's args
        meta = self._input_meta = []              # (shape, numpy dtype) of each Tensor input
        Tensor = _Tensor
        optional = function._optional_tensor_args
        for position, x in enumerate(inputs):
            if isinstance(x, Tensor):
                node = x.grad_fn
                edges.append((node, x._output_nr) if node is not None else x._gradient_edge())
                positions.append(position)
                array = x._data
                meta.append((array.shape, array.dtype))
            elif x is None and position in optional:   # an absent optional Tensor
                edges.append((None, 0))
                positions.append(position)
                meta.append((None, None))
        self.next_functions = tuple(edges)
        self._n_inputs = len(inputs)

    def name(self):
        return type(self).__name__

    @property
    def metadata(self):
        return {}

    def _release(self):
        self._ctx._free()

    def apply(self, grad_outputs):
        """Call ``backward`` with the output gradients (ndarrays); return one ndarray or None
        per entry of ``next_functions``."""
        Tensor = _Tensor
        if len(grad_outputs) == 1:           # one output, the common case: no list to build
            grads = self._function.backward(self._ctx, Tensor(grad_outputs[0]))
        else:
            grads = self._function.backward(self._ctx, *[Tensor(g) for g in grad_outputs])
        if grads.__class__ is not tuple:
            grads = (grads,)
        # backward returns one value per forward input; extra trailing Nones are fine
        n_inputs = self._n_inputs
        if len(grads) != n_inputs and (len(grads) < n_inputs
                                       or any(g is not None for g in grads[n_inputs:])):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {self._n_inputs}, got {len(grads)}): backward must return one "
                "gradient per input of forward (None for inputs that are not Tensors)")
        result = []
        for (node, _), position, (shape, dtype) in zip(self.next_functions, self._tensor_positions,
                                                       self._input_meta):
            g = grads[position]
            if node is None or g is None:
                result.append(None)
                continue
            if g.__class__ is not np.ndarray:
                g = g._data if isinstance(g, Tensor) else np.asarray(g)
            if g.shape != shape:
                g = _reduce_to_shape(g, shape, self.name(), position)
            if g.dtype != dtype:
                g = g.astype(dtype)
            result.append(g)
        return result


def _reduce_to_shape(grad, shape, name, position):
    """Sum a broadcast gradient back to ``shape`` (as PyTorch does); else explain the mismatch."""
    try:
        np.broadcast_shapes(grad.shape, shape)
        ok = np.broadcast_shapes(grad.shape, shape) == grad.shape
    except ValueError:
        ok = False
    if not ok:
        if grad.size == int(np.prod(shape)) and grad.ndim == 0:
            return grad.reshape(shape)
        raise RuntimeError(
            f"Function {name} returned an invalid gradient at index {position} - got "
            f"{list(grad.shape)} but expected shape compatible with {list(shape)}: the gradient "
            "for an input must have that input's shape")
    return unbroadcast(grad, shape)


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape`` (the inverse of broadcasting ``shape`` to ``grad.shape``).

    (2, 4, 3) -> (4, 1): sum over the leading axis (added by broadcasting), then over axis
    2 with keepdims (it was size 1 and got stretched).
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))   # (2, 4, 3) -> (4, 3)
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)   # (4, 3) -> (4, 1)
    return grad


class _FunctionMeta(type):
    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        if "_backward_name" not in namespace:
            cls._backward_name = f"{name}Backward"


class Function(metaclass=_FunctionMeta):
    """Base class of differentiable operations (same usage as ``torch.autograd.Function``).

    Subclass it, write ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as
    static methods, and call ``MyFunction.apply(*args)``.
    """

    _backward_name = "FunctionBackward"
    # positions of Tensor-or-None arguments that get an edge even when None, as PyTorch's
    # nodes list an absent optional input (conv's bias) as (None, 0) in next_functions
    _optional_tensor_args = ()
    # True when backward returns only new arrays (each a different one, not kept anywhere
    # else): a leaf may then take its gradient as .grad without copying it. teachnn's own
    # functions set it where that holds; a user's Function keeps the safe default.
    _fresh_grads = False

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _Tensor or _tensor_class()
        ctx = Context()
        needs = []
        for a in args:                  # a loop: a comprehension is one more call (Python 3.11)
            needs.append(isinstance(a, Tensor) and a._requires_grad)
        ctx.needs_input_grad = needs = tuple(needs)
        previous = grad_mode._grad_enabled
        record = previous and True in needs

        # forward runs with recording off: its inner operations are not part of the graph
        grad_mode._grad_enabled = False
        try:
            outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            grad_mode._grad_enabled = previous

        if outputs.__class__ is Tensor:
            # the common case: one Tensor (an input returned as it is gets a new Tensor
            # sharing its data, so that the input is never re-labelled as this output)
            for a in args:
                if outputs is a:
                    outputs = Tensor(a._data)
                    break
            if record:
                _record(cls, ctx, args, (outputs,))
            return outputs

        single = not isinstance(outputs, tuple)
        wrapped = [_wrap_output(out, args, Tensor) for out in ((outputs,) if single else outputs)]
        if record:
            _record(cls, ctx, args, wrapped)
        return wrapped[0] if single else tuple(wrapped)


def _record(function, ctx, args, outputs):
    """Create the backward node of one ``apply`` and make it the ``grad_fn`` of its outputs."""
    Tensor = _Tensor
    name = function._backward_name
    node = (_node_classes.get(name) or _node_class(name))(function, ctx, args)
    if len(outputs) == 1:
        # one output, the common case: the loop below without its lists
        out = outputs[0]
        if isinstance(out, Tensor):
            array = out._data
            node._output_meta = ((array.shape, array.dtype),)
            non_diff = ctx._non_differentiable
            if array.dtype.kind in "fc" and not (non_diff and any(out is n for n in non_diff)):
                out.grad_fn = node
                out._output_nr = 0
                out._requires_grad = True
        else:
            node._output_meta = (None,)
        return
    node._n_outputs = len(outputs)
    meta = []
    non_diff = ctx._non_differentiable
    for index, out in enumerate(outputs):
        if isinstance(out, Tensor):
            array = out._data
            meta.append((array.shape, array.dtype))
            differentiable = array.dtype.kind in "fc" and not (
                non_diff and any(out is n for n in non_diff))
            if differentiable:
                out.grad_fn = node
                out._output_nr = index
                out._requires_grad = True
        else:
            meta.append(None)
    node._output_meta = tuple(meta)


def _wrap_output(out, args, Tensor):
    """ndarray -> Tensor; an input returned as is gets a new Tensor (sharing the data),
    so that an input is never re-labelled as this operation's output."""
    if isinstance(out, np.ndarray):
        return Tensor(out)
    if isinstance(out, Tensor):
        for a in args:
            if out is a:
                return Tensor(out._data)
    return out


def once_differentiable(backward):
    """Mark a ``backward`` as not differentiable again (always true in teachnn: backward is
    never recorded). Kept so that code written for torch runs unchanged."""
    return backward
