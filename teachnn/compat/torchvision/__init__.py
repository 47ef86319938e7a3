"""A small teachnn-made stand-in for ``torchvision`` (used through ``teachnn.as_torch``).

It has what introductory code needs: ``transforms`` (ToTensor, ToPILImage, PILToTensor, Compose,
Resize, Normalize, Lambda, CenterCrop, RandomCrop, RandomHorizontalFlip), ``datasets.MNIST`` /
``FashionMNIST`` / ``CIFAR10`` that read the files already on disk, and ``utils.make_grid``.
It never downloads anything.
"""
from . import datasets, transforms, utils  # noqa: F401

__version__ = "0.0.0+teachnn"
