"""All parameters as one flat vector, and back (``torch.nn.utils.parameters_to_vector``).

    parameters_to_vector([W (2, 3), b (2,)])  ->  vector of 6 + 2 = 8 numbers: W row by row, then b
    vector_to_parameters(v, [W, b])           ->  W takes v[0:6] as (2, 3), b takes v[6:8]
"""
from __future__ import annotations

import teachnn
from teachnn.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _tensor_list(parameters, func_name):
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        items = list(parameters)
    except TypeError:
        raise TypeError(f"{func_name}() expects an iterable of Tensors (for example "
                        f"model.parameters()), but got {type(parameters).__name__}.") from None
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(f"{func_name}(): parameters[{i}] is a {type(item).__name__}, not a Tensor.")
    return items


def parameters_to_vector(parameters):
    """Concatenate the flattened parameters into one 1-d Tensor of length ``sum(p.numel())``.

    Differentiable, like PyTorch: the result is built with ``reshape`` and ``cat``, so a loss
    of the vector sends gradients back to the parameters.
    """
    params = _tensor_list(parameters, "parameters_to_vector")
    if len(params) == 0:
        # torch.cat([]) raises too; say what to pass instead
        raise RuntimeError("parameters_to_vector() got no parameters: torch.cat(): expected a "
                           "non-empty list of Tensors. Does the model have any parameters?")
    return teachnn.cat([p.reshape(-1) for p in params])      # each (n_i,) -> (sum n_i,)


def vector_to_parameters(vec, parameters):
    """Copy slices of the 1-d ``vec`` into ``parameters`` (in order), reshaped to each one's shape.

    Like PyTorch, each parameter's ``.data`` becomes a view of ``vec`` (they share memory) and
    entries of ``vec`` beyond the total number of parameter elements are ignored.
    """
    if not isinstance(vec, Tensor):
        kind = type(vec)
        name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
        raise TypeError(f"expected torch.Tensor, but got: {name} (wrap values with teachnn.tensor(...))")
    params = _tensor_list(parameters, "vector_to_parameters")
    flat = vec._data.reshape(-1) if vec._data.ndim != 1 else vec._data
    pointer = 0
    for i, param in enumerate(params):
        n = param._data.size
        if pointer + n > flat.shape[0]:
            raise RuntimeError(
                f"vector_to_parameters(): the vector has {flat.shape[0]} elements, but the "
                f"parameters need at least {pointer + n} (parameter {i} has shape "
                f"{list(param._data.shape)} and starts at element {pointer}). Pass a vector of "
                "length sum(p.numel() for p in parameters).")
        param._data = flat[pointer:pointer + n].reshape(param._data.shape)   # a view, as in torch
        pointer += n
