"""Data types: ``teachnn.float32``, ``teachnn.int64``, ... and their NumPy twins.

A ``teachnn.dtype`` is a small named object, just like ``torch.dtype``. Each one knows
the NumPy dtype that actually stores the numbers (``teachnn.float32.np`` is
``numpy.float32``). PyTorch's defaults are kept: Python floats become ``float32`` and
Python ints become ``int64``.
"""
import builtins

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "bool", "half", "float", "double", "short", "int", "long",
    "get_default_dtype", "set_default_dtype", "to_numpy", "from_numpy_dtype", "to_dtype",
]

class dtype:
    """A tensor element type. Compare with ``==`` or ``is``; print as ``teachnn.float32``."""

    def __init__(self, name, np_dtype, is_floating_point, is_signed):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = is_floating_point
        self.is_signed = is_signed
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"teachnn.{self.name}"

    def __reduce__(self):
        # pickling a dtype gives back the very same module-level object
        return (to_dtype, (self.name,))


float16 = dtype("float16", np.float16, True, True)
float32 = dtype("float32", np.float32, True, True)
float64 = dtype("float64", np.float64, True, True)
int8 = dtype("int8", np.int8, False, True)
int16 = dtype("int16", np.int16, False, True)
int32 = dtype("int32", np.int32, False, True)
int64 = dtype("int64", np.int64, False, True)
uint8 = dtype("uint8", np.uint8, False, False)
bool = dtype("bool", np.bool_, False, False)  # noqa: A001  (torch.bool)

# PyTorch's aliases
half = float16
float = float32  # noqa: A001
double = float64
short = int16
int = int32  # noqa: A001
long = int64

_ALL = [float16, float32, float64, int8, int16, int32, int64, uint8, bool]
_BY_NUMPY = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"half": float16, "float": float32, "double": float64, "short": int16,
                 "int": int32, "long": int64})

_default_float = float32

# the floating dtypes teachnn computes in (float16 tensors can be stored, not computed with):
# the one tuple to check an array against before a kernel runs
FLOAT_NUMPY_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def get_default_dtype():
    """The dtype used for Python floats and by ``rand``/``zeros``/... (``teachnn.float32``)."""
    return _default_float


def set_default_dtype(d):
    """Change the default floating dtype (only ``float32`` or ``float64``, as in PyTorch)."""
    global _default_float
    d = to_dtype(d)
    if d.np not in FLOAT_NUMPY_DTYPES:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}; "
                        "use teachnn.float32 or teachnn.float64")
    _default_float = d


def to_dtype(d):
    """Turn a ``teachnn.dtype``, a NumPy dtype/type or a name into a ``teachnn.dtype``.

    An unknown dtype raises ``TypeError`` listing the dtypes that exist.
    """
    if isinstance(d, dtype):
        return d
    if isinstance(d, str):
        name = d[len("teachnn."):] if d.startswith("teachnn.") else d
        name = name[len("torch."):] if name.startswith("torch.") else name
        if name in _BY_NAME:
            return _BY_NAME[name]
    elif d is builtins.bool:     # dtype=bool, as torch accepts
        return bool
    elif d is builtins.float:    # dtype=float means float64 in PyTorch
        return float64
    elif d is builtins.int:      # dtype=int means int64 in PyTorch
        return int64
    else:
        try:
            npd = np.dtype(d)
        except TypeError:
            npd = None
        if npd is not None and npd in _BY_NUMPY:
            return _BY_NUMPY[npd]
    known = ", ".join(f"teachnn.{x.name}" for x in _ALL)
    raise TypeError(f"unknown dtype {d!r}: expected one of {known} "
                    "(for example dtype=teachnn.float32)")


def to_numpy(d):
    """The NumPy dtype that stores a ``teachnn.dtype``: ``to_numpy(teachnn.float32) -> float32``."""
    return to_dtype(d).np


def from_numpy_dtype(npd):
    """The ``teachnn.dtype`` of a NumPy dtype; raises ``TypeError`` for unsupported ones."""
    npd = np.dtype(npd)
    if npd in _BY_NUMPY:
        return _BY_NUMPY[npd]
    check_native_byte_order(npd)
    raise TypeError(f"can't convert NumPy arrays of dtype {npd}; the supported types are: "
                    "float64, float32, float16, int64, int32, int16, int8, uint8, and bool")


def check_native_byte_order(npd):
    """Refuse, as PyTorch does (ValueError), an array stored in the other byte order.

    A file written on another machine (or ``np.dtype('>f4')``) can hold big-endian numbers;
    the kernels read memory in the CPU's own order, so the array must be converted first.
    """
    if not npd.isnative:
        order = "big-endian" if npd.byteorder == ">" else "little-endian"
        raise ValueError(
            "given numpy array has byte order different from the native byte order. Conversion "
            f"between byte orders is currently not supported: the array's dtype {npd.str!r} is "
            f"{order}; convert it first with a.astype(a.dtype.newbyteorder('=')), then pass it "
            "to teachnn.tensor / teachnn.from_numpy")


# x.type() names, PyTorch's legacy tensor classes (teachnn/_legacy_types.py)
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
