"""``nn.Parameter``: a Tensor that a Module registers as something to learn.

A Parameter is an ordinary Tensor with two differences, both exactly as in PyTorch:

* it requires a gradient by default (``requires_grad=True``);
* assigning it as an attribute of a Module (``self.weight = nn.Parameter(...)``) registers it,
  so it shows up in ``model.parameters()``, ``model.state_dict()`` and the optimiser.

``Parameter(t)`` does not copy: the Parameter and ``t`` share the same NumPy array.
"""
from __future__ import annotations

import numpy as np

from teachnn.tensor import Tensor

__all__ = ["Parameter"]


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
