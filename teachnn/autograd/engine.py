"""The backward engine: walk the graph from the outputs back to the leaves.

Algorithm (reverse-mode automatic differentiation):

1. Starting from the outputs' ``grad_fn`` nodes, visit every node reachable through
   ``next_functions`` and count, for each node, how many edges point *into* it
   (how many later operations used its result). An explicit stack is used instead of
   recursion, so a chain of 10,000 operations works.
2. A node is ready once all gradients flowing into it have arrived (its count reached 0).
   Take a ready node, add up its incoming gradients, call its ``backward`` and send each
   resulting gradient along the matching edge. Leaves end in ``AccumulateGrad``, which
   adds the gradient to ``tensor.grad``.
3. Unless ``retain_graph=True``, free each node's saved tensors after use: a second
   backward through the same graph then raises a clear error.
"""
import numpy as np

from . import grad_mode
from .function import AccumulateGrad, BackwardNode, _tensor_class

__all__ = ["run_backward", "backward", "grad"]


def _root_edge(t, index):
    if not t.requires_grad:
        raise RuntimeError(
            f"element {index} of tensors does not require grad and does not have a grad_fn: "
            "there is nothing to differentiate. Create the inputs with requires_grad=True "
            "(or call .requires_grad_()) and make sure the computation is not inside no_grad().")
    return t._gradient_edge()


def _make_root_grads(outputs, grad_outputs):
    """Turn ``grad_outputs`` (None, Tensors, arrays) into ndarrays shaped like ``outputs``."""
    Tensor = _tensor_class()
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs: this output has shape "
                    f"{list(out.shape)}. Reduce it to one number first (e.g. out.sum().backward()) "
                    "or pass gradient=teachnn.ones_like(out) to backward().")
            grads.append(np.ones(out._data.shape, dtype=out._data.dtype))
        else:
            g = g._data if isinstance(g, Tensor) else np.asarray(g)
            g = g.astype(out._data.dtype, copy=False)
            if g.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {list(g.shape)} and "
                    f"output[{i}] has a shape of {list(out.shape)}. The gradient passed to "
                    "backward() must have the same shape as the tensor.")
            grads.append(g)
    return grads


def run_backward(outputs, grad_outputs, retain_graph=False, inputs=None, accumulate=True):
    """Back-propagate ``grad_outputs`` (ndarrays) from ``outputs`` (Tensors).

    If ``accumulate`` is True, leaf gradients are added to ``.grad`` (``Tensor.backward``).
    If ``inputs`` is given, their gradients are collected and returned as a list of
    ndarrays (or None) instead (``autograd.grad``).
    """
    roots = [_root_edge(t, i) for i, t in enumerate(outputs)]

    # --- 1. discover the graph and count the incoming edges of every node -------------
    dependencies = {}
    root_nodes = set(node for node, _ in roots)   # nodes hash by identity
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            if child in dependencies:        # met before: one more edge into it
                dependencies[child] += 1
            else:                            # first visit: count it and walk below it
                dependencies[child] = 1
                if child not in root_nodes:
                    stack.append(child)

    # where the requested inputs' gradients will be captured
    capture = {}
    if inputs is not None:
        for k, t in enumerate(inputs):
            node, index = t._gradient_edge() if t.requires_grad else (None, 0)
            capture.setdefault((id(node), index), []).append(k)
    captured = [None] * (len(inputs) if inputs is not None else 0)

    # gradient buffers: node -> list with one summed gradient per output of the node, and
    # whether each is memory that nothing else refers to (a leaf may then keep it as its
    # .grad without a copy, as PyTorch's AccumulateGrad does)
    buffers = {}
    owned = {}

    def send(node, index, grad, fresh=False):
        buffer = buffers.get(node)
        if buffer is None:
            buffer = buffers[node] = [None] * node._n_outputs
            owned[node] = [False] * len(buffer)
        # never add in place: the same array may be used elsewhere
        if buffer[index] is None:
            buffer[index] = grad
            owned[node][index] = fresh
        else:
            buffer[index] = buffer[index] + grad
            owned[node][index] = True           # the sum is a new array

    for (node, index), g in zip(roots, grad_outputs):
        send(node, index, g)

    # --- 2. process nodes once all their gradients have arrived -------------------------
    ready = [node for node, _ in roots if dependencies.get(node, 0) == 0]
    ready = list({id(n): n for n in ready}.values())
    processed = []
    previous_mode = grad_mode._grad_enabled
    grad_mode._grad_enabled = False          # backward itself is not recorded
    errstate = np.errstate(all="ignore")     # like torch: no warnings for inf/nan gradients
    errstate.__enter__()
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            mine = owned.pop(node)
            processed.append(node)

            if isinstance(node, AccumulateGrad):
                grad = grads[0]
                if (id(node), 0) in capture:
                    for k in capture[(id(node), 0)]:
                        captured[k] = grad
                elif accumulate and grad is not None:
                    node.accumulate(grad, owned=mine[0])
                continue

            if len(grads) > 1 or grads[0] is None:     # a one-output node has its gradient
                grads = _fill_missing(node, grads)
            if node._pre_hooks or node._retained:
                grads = _run_pre_hooks(node, grads)
            if capture:
                for index, g in enumerate(grads):
                    if (id(node), index) in capture:
                        for k in capture[(id(node), index)]:
                            captured[k] = g
            input_grads = node.apply(grads)
            post_hooks = node._post_hooks
            for hook in post_hooks:
                hook(tuple(input_grads), tuple(grads))
            # gradients a Function declares new (``_fresh_grads``), each a different array,
            # and shown to no hook, belong to whoever receives them
            fresh = node._function._fresh_grads and not post_hooks
            if fresh and len(input_grads) > 1:
                ids = [id(g) for g in input_grads if g is not None]
                fresh = len(ids) == len(set(ids))

            for (child, index), g in zip(node.next_functions, input_grads):
                if child is None:
                    continue
                if g is not None:
                    send(child, index, g, fresh)
                dependencies[child] -= 1
                if dependencies[child] == 0:
                    if child in buffers:
                        ready.append(child)
                    else:
                        # no gradient reached this node: nothing flows further down from it
                        _skip_subgraph(child, dependencies, buffers, ready, processed)
    finally:
        errstate.__exit__(None, None, None)
        grad_mode._grad_enabled = previous_mode
        # --- 3. free saved tensors -------------------------------------------------------
        if not retain_graph:
            for node in processed:
                if isinstance(node, BackwardNode):
                    node._release()
    return captured


def _skip_subgraph(start, dependencies, buffers, ready, processed):
    """Mark every node below ``start`` that receives no gradient as done."""
    stack = [start]
    while stack:
        node = stack.pop()
        processed.append(node)
        for child, _ in node.next_functions:
            if child is None:
                continue
            dependencies[child] -= 1
            if dependencies[child] == 0:
                if child in buffers:
                    ready.append(child)
                else:
                    stack.append(child)


def _fill_missing(node, grads):
    """Outputs that received no gradient get zeros (backward always sees arrays)."""
    if all(g is not None for g in grads):
        return grads
    filled = []
    for g, meta in zip(grads, node._output_meta):
        if g is None and meta is not None:
            shape, dtype = meta
            g = np.zeros(shape, dtype=dtype if dtype.kind in "fc" else np.float32)
        filled.append(g)
    return filled


def _run_pre_hooks(node, grads):
    """Hooks registered with ``tensor.register_hook`` / ``retain_grad`` on non-leaf outputs."""
    if not node._pre_hooks and not node._retained:
        return grads
    Tensor = _tensor_class()
    grads = list(grads)
    for index, hooks in node._pre_hooks.items():
        for hook in hooks:
            result = hook(Tensor(grads[index]))
            if result is not None:
                grads[index] = result._data if isinstance(result, Tensor) else np.asarray(result)
    for index, ref in node._retained.items():
        t = ref()
        if t is not None:
            g = np.array(grads[index], dtype=t._data.dtype, copy=True)
            t._grad = Tensor(g) if t.grad is None else Tensor(t.grad._data + g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``teachnn.autograd.backward``: like calling ``.backward()`` on each tensor, summed."""
    Tensor = _tensor_class()
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    _check_create_graph(create_graph)
    retain = bool(retain_graph) if retain_graph is not None else create_graph
    grads = _make_root_grads(tensors, list(grad_tensors))
    if inputs is not None:
        if isinstance(inputs, Tensor):
            inputs = [inputs]
        inputs = list(inputs)
        captured = run_backward(tensors, grads, retain_graph=retain, inputs=inputs, accumulate=False)
        for t, g in zip(inputs, captured):
            if g is not None:
                g = np.array(g, dtype=t._data.dtype, copy=True)
                t._grad = Tensor(g) if t.grad is None else Tensor(t.grad._data + g)
        return None
    run_backward(tensors, grads, retain_graph=retain)
    return None


def _check_create_graph(create_graph):
    if create_graph:
        raise NotImplementedError(
            "create_graph=True (differentiating a gradient again, 'double backward') is not "
            "supported by teachnn: backward functions here compute with NumPy arrays and are "
            "not themselves recorded. Use create_graph=False.")


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple of Tensors.

    Unlike ``.backward()`` nothing is accumulated into ``.grad``.
    """
    Tensor = _tensor_class()
    _check_create_graph(create_graph)
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched=True is not supported by teachnn")
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single_input = isinstance(inputs, Tensor)
    inputs = [inputs] if single_input else list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad() expects Tensors as inputs, but inputs[{i}] is a {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (inputs[{i}]) does not require grad; "
                               "create it with requires_grad=True")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    retain = bool(retain_graph) if retain_graph is not None else create_graph
    root_grads = _make_root_grads(outputs, list(grad_outputs))
    captured = run_backward(outputs, root_grads, retain_graph=retain, inputs=inputs, accumulate=False)
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        if g is None:
            if materialize_grads:
                result.append(Tensor(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    f"Set allow_unused=True if this is the desired behavior (inputs[{i}]).")
            result.append(None)
        else:
            result.append(Tensor(np.array(g, copy=True)))
    return tuple(result)
