"""teachnn.nn.utils — helpers around parameters and their gradients (``torch.nn.utils``).

* :func:`clip_grad_norm_` / :func:`clip_grad_value_` keep gradients from exploding;
* :func:`parameters_to_vector` / :func:`vector_to_parameters` flatten all parameters into one
  vector and back (useful for second-order methods and for looking at a model as a point).
"""
from .clip_grad import clip_grad_norm_, clip_grad_norm, clip_grad_value_, get_total_norm, \
    clip_grads_with_norm_  # noqa: F401
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_", "parameters_to_vector", "vector_to_parameters"]
