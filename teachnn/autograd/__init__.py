"""teachnn.autograd — reverse-mode automatic differentiation.

* ``Function`` / ``Context``: write a differentiable operation (forward + backward);
* ``backward`` / ``grad``: run backpropagation (``engine.py``);
* ``gradcheck``: compare backward against finite differences;
* ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``is_grad_enabled``: grad mode.
"""
from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .function import Function, Context, Node, AccumulateGrad, BackwardNode
from .function import Context as FunctionCtx
from .engine import backward, grad
from .gradcheck import gradcheck, GradcheckError

__all__ = ["Function", "FunctionCtx", "Context", "Node", "backward", "grad", "gradcheck", "GradcheckError",
           "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]
