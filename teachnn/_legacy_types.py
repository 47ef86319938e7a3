"""PyTorch's old typed constructors: ``FloatTensor([1, 2])``, ``LongTensor(2, 3)``,
``isinstance(x, teachnn.FloatTensor)``, and ``teachnn.typename(x)``."""
import builtins

import numpy as np

from . import _dtype
from ._dtype import _TYPE_NAMES
from ._shapes import Size, _legacy_shape
from .tensor import Tensor

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
           "CharTensor", "ByteTensor", "BoolTensor", "typename"]


class _LegacyTensorType(type):
    """Metaclass of ``FloatTensor``, ``LongTensor``, ...: PyTorch's old typed constructors.

    ``LongTensor([1, 2])`` copies values into int64; ``FloatTensor(2, 3)`` is an
    uninitialised float32 tensor of shape (2, 3); ``isinstance(x, FloatTensor)`` is True
    for float32 tensors.
    """

    def __call__(cls, *args):
        np_dtype = cls.dtype.np
        if not args:
            return Tensor(np.empty((0,), dtype=np_dtype))
        first = args[0]
        if first.__class__ is builtins.int or isinstance(first, Size):
            shape, _ = _legacy_shape(first, args[1] if len(args) > 1 else False, args[2:], cls.__name__)
            if len(args) > 1 and args[1].__class__ is not builtins.int:
                raise TypeError(f"{cls.__name__}(*sizes) expects integer sizes, got {args!r}")
            return Tensor(np.empty(shape, dtype=np_dtype))
        if len(args) > 1:
            raise TypeError(f"{cls.__name__}() takes one sequence of values or integer sizes, got {args!r}")
        if isinstance(first, Tensor):
            first = first._data
        if not isinstance(first, (list, tuple, np.ndarray)):
            raise TypeError(f"new(): data must be a sequence (got {type(first).__name__}); "
                            f"write {cls.__name__}([value]) or teachnn.tensor(value)")
        return Tensor(np.array(first, dtype=np_dtype))        # a copy, like torch

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __repr__(cls):
        return f"<class 'teachnn.{cls.__name__}'>"


class FloatTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.float32


class DoubleTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.float64


class HalfTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.float16


class LongTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.int64


class IntTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.int32


class ShortTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.int16


class CharTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.int8


class ByteTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.uint8


class BoolTensor(metaclass=_LegacyTensorType):
    dtype = _dtype.bool


def typename(obj):
    if isinstance(obj, Tensor):
        return f"teachnn.{_TYPE_NAMES.get(obj.dtype.name, 'Tensor')}"
    return type(obj).__module__ + "." + type(obj).__qualname__
