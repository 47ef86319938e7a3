"""``Tensor``'s conversions: to Python numbers, lists and NumPy (``item``, ``tolist``,
``numpy``, ``float(t)``, ``len(t)``, ``for row in t``), to other dtypes (``t.float()``,
``t.long()``, ``t.type(...)``), pickling and deep copies, and ``new_*`` factories.

``class Tensor(TensorConversions, TensorIndexing)`` in ``tensor.py`` inherits these methods;
they are kept here so that ``tensor.py`` reads as the arithmetic and autograd of a tensor.
``teachnn.Tensor`` is looked up when a method runs (this module is imported before it exists).
"""
import builtins

import numpy as np

import teachnn
from . import _dtype
from ._dtype import _TYPE_NAMES
from ._shapes import NO_CUDA_MESSAGE

__all__ = ["TensorConversions"]


def _rebuild_tensor(data, requires_grad, cls=None):
    """What pickle calls to recreate a tensor (see ``__reduce_ex__``)."""
    cls = cls or teachnn.Tensor
    t = cls.__new__(cls)
    teachnn.Tensor.__init__(t, data, requires_grad)
    return t


class TensorConversions:
    """Conversion methods of ``Tensor`` (a base class of it; never used on its own)."""

    __slots__ = ()

    def numpy(self, force=False):
        """The data as an ndarray (shared memory). Like torch, refuses if requires_grad."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self._data.astype(dtype, copy=copy if copy is not None else True)
        return self._data.copy() if copy else self._data

    def item(self):
        """The single value of a one-element tensor, as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar: item() needs "
                "exactly one element. Reduce first (e.g. t.sum().item()) or pick one (t[0].item()).")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous (this one has "
                f"{self._data.size} values). Use (t > 0).any() or (t > 0).all() to decide.")
        return builtins.bool(self._data.reshape(()).item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __contains__(self, element):
        """``2 in t``: True if any element equals it (like torch)."""
        value = element._data if isinstance(element, teachnn.Tensor) else element
        return builtins.bool(np.any(self._data == value))

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor, (self._data, self._requires_grad, type(self)))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment. Use t.detach().clone() instead.")
        new = type(self).__new__(type(self))
        teachnn.Tensor.__init__(new, self._data.copy(), self._requires_grad)
        new.__dict__.update({k: v for k, v in self.__dict__.items()
                             if k not in ("_data", "_grad", "grad_fn", "_requires_grad", "_accumulator",
                                          "_hooks", "_version", "_output_nr")})
        if self.grad is not None:
            new.grad = teachnn.Tensor(self.grad._data.copy())
        memo[id(self)] = new
        return new

    def type(self, dtype=None):
        if dtype is None:
            return f"teachnn.{_TYPE_NAMES.get(self.dtype.name, 'Tensor')}"
        if isinstance(dtype, teachnn._legacy_types._LegacyTensorType):       # x.type(teachnn.LongTensor)
            dtype = dtype.dtype
        return self.to(dtype)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def bool(self):
        return self.to(_dtype.bool)

    def byte(self):
        return self.to(_dtype.uint8)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        raise AssertionError(NO_CUDA_MESSAGE)         # PyTorch built without CUDA does the same

    @property
    def is_cuda(self):
        return False

    @property
    def is_cpu(self):
        return True

    # Devices and layouts teachnn does not have: scripts test them before choosing a code path.
    is_xpu = is_mps = is_meta = is_xla = is_ipu = is_mtia = is_maia = is_vulkan = property(
        lambda self: False, doc="Always False: teachnn tensors live on the CPU.")
    is_sparse = is_sparse_csr = is_quantized = is_nested = is_mkldnn = property(
        lambda self: False, doc="Always False: teachnn tensors are dense, strided and unquantized.")

    def new_tensor(self, data, dtype=None, requires_grad=False):
        return teachnn.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        return teachnn.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        return teachnn.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        return teachnn.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False):
        return teachnn.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)
