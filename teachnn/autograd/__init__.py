"""teachnn.autograd — reverse-mode automatic differentiation.

* ``Function`` / ``Context``: write a differentiable operation (forward + backward);
* ``backward`` / ``grad``: run backpropagation (``engine.py``);
* ``gradcheck``: compare backward against finite differences;
* ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``is_grad_enabled``: grad mode.
"""
from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .function import Function, Context, Node, AccumulateGrad, BackwardNode
from .function import Context as FunctionCtx
from . import function  # noqa: F401  (teachnn.autograd.function.once_differentiable)
from .engine import backward, grad
from .gradcheck import gradcheck, GradcheckError


def Variable(data, requires_grad=False, volatile=False):
    """Old PyTorch API (before 0.4): a Variable is just a Tensor now. Returns ``data`` with
    ``requires_grad`` set, so old tutorials keep working."""
    if not isinstance(data, function._tensor_class()):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    if requires_grad:
        data.requires_grad_(True)
    return data

__all__ = ["Variable", "Function", "FunctionCtx", "Context", "Node", "backward", "grad", "gradcheck", "GradcheckError",
           "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]
