"""Helpers for errors that teach, for code outside the package (``viz``, exercises).

``suggest_name("kernels", ["kernel_size", "stride"])`` gives ``" Did you mean 'kernel_size'?"``;
``shape_str((32, 100))`` gives ``'[32, 100]'``, a shape as PyTorch prints it.
"""
from ._errors import shape_str, suggest_name

__all__ = ["suggest_name", "shape_str"]
