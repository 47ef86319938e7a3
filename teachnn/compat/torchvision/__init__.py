"""A small teachnn-made stand-in for ``torchvision`` (used through ``teachnn.as_torch``).

It has what introductory code needs: ``transforms`` (ToTensor, PILToTensor, Compose, Resize,
Normalize, Lambda, CenterCrop, RandomHorizontalFlip) and ``datasets.MNIST`` / ``FashionMNIST``
that read the IDX files already on disk. It never downloads anything.
"""
from . import datasets, transforms  # noqa: F401

__version__ = "0.0.0+teachnn"
