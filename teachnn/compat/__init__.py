"""Run programs written for PyTorch on teachnn without editing them.

``install_torch_alias()`` makes ``import torch`` (with ``torch.nn``, ``torch.nn.functional``,
``torch.optim``, ``torch.utils.data``, ...) import teachnn, and ``import torchvision`` import a
small teachnn-made ``torchvision`` (``transforms`` and local ``MNIST`` / ``FashionMNIST``)::

    import teachnn.as_torch          # first line of a notebook: the same as install_torch_alias()
    import torch                     # -> teachnn
    from d2l import torch as d2l     # d2l.ai's library now runs on teachnn

or, for a script: ``python -m teachnn.as_torch script.py [args]``. See docs/torch_alias.md.
"""
from ._alias import install_torch_alias, installed  # noqa: F401

__all__ = ["install_torch_alias", "installed"]
