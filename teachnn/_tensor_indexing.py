"""``Tensor``'s indexing: ``x[i]``, ``x[1:, ::2]``, ``x[mask]``, ``x[idx] = v``, and the
index-based operations ``gather``, ``scatter``, ``index_select``, ``flip``, ``roll``, ``unique``.

An index is first converted into NumPy's form (``_convert_index``), checked against the
shape with torch's error messages (``_check_index_bounds``), then handed to a ``Function``
(``Select``, ``Slice``, ``Index``, ``CopySlices`` in ``_ops.py``) whose backward puts the
gradient back where the elements came from.

``class Tensor(TensorConversions, TensorIndexing)`` in ``tensor.py`` inherits these methods.
``teachnn.Tensor`` is looked up when a method runs (this module is imported before it exists).
"""
import builtins
import numbers
import warnings

import numpy as np

import teachnn
from ._errors import numpy_keywords
from ._promotion import _WRAP_HINT
from ._shapes import _norm_dim, _norm_dims, _shape_args
from .autograd import grad_mode

__all__ = ["TensorIndexing"]


class TensorIndexing:
    """Indexing methods of ``Tensor`` (a base class of it; never used on its own)."""

    __slots__ = ()

    def __getitem__(self, index):
        index, advanced, kind = _convert_index(index, self._data.ndim)
        _check_index_bounds(self._data, index)
        cls = {"select": teachnn._ops.Select, "slice": teachnn._ops.Slice, "unsqueeze": teachnn._ops.UnsqueezeIndex,
               "index": teachnn._ops.Index}[kind]
        return cls.apply(self, index, advanced)

    def __setitem__(self, index, value):
        if isinstance(value, np.ndarray):
            raise TypeError(f"can't assign a numpy.ndarray to a teachnn tensor (PyTorch refuses it too) — "
                            f"{_WRAP_HINT}")
        index, advanced, kind = _convert_index(index, self._data.ndim)
        _check_index_bounds(self._data, index)
        value_t = value if isinstance(value, teachnn.Tensor) else None
        self._check_inplace_allowed()
        tracking = grad_mode._grad_enabled and (
            self._requires_grad or (value_t is not None and value_t._requires_grad))
        if not tracking:
            v = value._data if isinstance(value, teachnn.Tensor) else value
            self._data[index] = v
            self._version += 1
            return
        old = teachnn.Tensor(self._data.copy())
        old.grad_fn, old._output_nr, old._requires_grad = self.grad_fn, self._output_nr, self._requires_grad
        old._accumulator = self._accumulator
        if value_t is None:
            value_t = teachnn.Tensor(np.asarray(value, dtype=self._data.dtype))
        result = teachnn._ops.CopySlices.apply(old, value_t.to(self.dtype), index)
        np.copyto(self._data, result._data)
        self._version += 1
        self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, result._output_nr, True

    @numpy_keywords
    def index_select(self, dim, index):
        d = _norm_dim(dim, self._data.ndim)
        idx = (slice(None),) * d + (index,)
        return self[idx]

    @numpy_keywords
    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Repeat each element ``repeats`` times along ``dim`` (the flattened tensor if None):
        ``[a, b] -> [a, a, b, b]``. An index_select underneath, as in PyTorch."""
        source = self.flatten() if dim is None else self
        d = 0 if dim is None else _norm_dim(dim, self._data.ndim)
        length = source._data.shape[d]
        if isinstance(repeats, teachnn.Tensor):
            counts = repeats._data
            if not np.issubdtype(counts.dtype, np.integer):  # PyTorch's type for this case
                raise NotImplementedError(f"repeat_interleave: repeats must be a tensor of ints, "
                                          f"not {repeats.dtype}; use repeats.long()")
            if counts.ndim > 1:
                raise RuntimeError(f"repeats must be 0-dim or 1-dim tensor, but got a "
                                   f"{counts.ndim}-d tensor")
        elif isinstance(repeats, (numbers.Integral, np.integer)) and not isinstance(repeats, builtins.bool):
            counts = np.asarray(repeats)
        else:
            raise TypeError(f"repeat_interleave(): repeats must be an int or a tensor of ints, but "
                            f"got {type(repeats).__name__}")
        if counts.ndim == 1 and counts.shape[0] not in (1, length):
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.shape[0]} and input.size({d}) = {length}")
        if (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
        index = np.repeat(np.arange(length, dtype=np.int64), np.broadcast_to(counts, (length,)))
        if output_size is not None and output_size != index.shape[0]:
            raise RuntimeError(f"allocated size does not match required size: output_size="
                               f"{output_size} but the repeats add up to {index.shape[0]}")
        return source.index_select(d, teachnn.tensor(index))

    @numpy_keywords
    def flip(self, *dims):
        """Reverse the order of elements along ``dims``."""
        dims = _norm_dims(_shape_args(dims, "flip"), self._data.ndim)
        index = tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(self._data.ndim))
        return teachnn._ops.Flip.apply(self, index, False)

    @numpy_keywords
    def roll(self, shifts, dims=None):
        """Shift elements cyclically: ``roll(1, 0)`` moves every row down by one."""
        if dims is None:
            return self.flatten().roll(shifts, 0).view(self.shape)
        shifts = (shifts,) if isinstance(shifts, (builtins.int, np.integer)) else tuple(shifts)
        dims = (dims,) if isinstance(dims, (builtins.int, np.integer)) else tuple(dims)
        grids = list(np.indices(self._data.shape, sparse=True))
        for shift, d in zip(shifts, dims):
            d = _norm_dim(d, self._data.ndim)
            grids[d] = (grids[d] - shift) % self._data.shape[d]
        return teachnn._ops.Roll.apply(self, tuple(grids), True)

    @numpy_keywords
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted); never part of the graph."""
        if dim is not None:
            raise NotImplementedError("unique(dim=...) is not supported by teachnn")
        values, inverse, counts = np.unique(self._data, return_inverse=True, return_counts=True)
        result = (teachnn.Tensor(values),)
        if return_inverse:
            result += (teachnn.Tensor(inverse.reshape(self._data.shape).astype(np.int64)),)
        if return_counts:
            result += (teachnn.Tensor(counts.astype(np.int64)),)
        return result[0] if len(result) == 1 else result

    @numpy_keywords
    def gather(self, dim, index):
        """``out[i][j][k] = self[index[i][j][k]][j][k]`` for dim=0 (likewise for other dims).

        ``index`` (int64) has as many dims as self; out has index's shape.
        Backward: the gradient is scatter-added back to the gathered positions."""
        if _is_0d_index_of_1d(self, index):  # PyTorch reads a 0-d index as one element
            return self.gather(dim, index.reshape(1)).reshape(())
        d, grids = _scatter_gather_grids(self, dim, index, None, "gather")
        return teachnn._ops.Index.apply(self, grids, True)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        """Out-of-place ``scatter_``: a copy of self with ``out[index[i][j]][j] = src[i][j]``
        (dim=0). ``src`` is a Tensor or a number (also accepted as ``value=``); only the part
        of src with index's shape is used. Repeated indices: the result is one of the values."""
        if reduce is not None:
            raise NotImplementedError(
                f"scatter(reduce={reduce!r}) is not implemented in teachnn (deprecated in torch); "
                "use scatter_add for reduce='add'")
        return self._scatter(dim, index, src, value, "scatter", add=False)

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        """In-place :meth:`scatter` (``x.scatter_(1, labels.unsqueeze(1), 1.0)`` makes one-hot rows)."""
        return self._inplace(None, lambda a, _: teachnn.Tensor.scatter(a, dim, index, src, value, reduce))

    def scatter_add(self, dim, index, src):
        """Like scatter, but adds: ``out[index[i][j]][j] += src[i][j]`` (repeats add up)."""
        return self._scatter(dim, index, src, None, "scatter_add", add=True)

    def scatter_add_(self, dim, index, src):
        return self._inplace(None, lambda a, _: teachnn.Tensor.scatter_add(a, dim, index, src))

    def _scatter(self, dim, index, src, value, name, add):
        if _is_0d_index_of_1d(self, index):  # x.scatter_(0, torch.tensor(3), value=1): one element
            index = index.reshape(1)
            if isinstance(src, teachnn.Tensor) and src.dim() == 0:
                src = src.reshape(1)
        if src is None and value is None:
            raise TypeError(f"{name}() missing the values to write: pass src (a teachnn.Tensor) or value (a number)")
        if src is not None and not isinstance(src, teachnn.Tensor):
            if isinstance(src, np.ndarray):
                src = teachnn.as_tensor(src)
            elif isinstance(src, (numbers.Number, np.generic)) and not add:
                src, value = None, src
            else:
                raise TypeError(f"{name}(): src must be a Tensor or a number, not {type(src).__name__}")
        if src is not None and src._data.dtype != self._data.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype, but got {self.dtype} "
                               f"and {src.dtype}; convert src with src.to({self.dtype})")
        d, grids = _scatter_gather_grids(self, dim, index, src, name)
        src_part = None
        if src is not None:
            src_part = tuple(slice(0, n) for n in grids_shape(grids))
        cls = teachnn._ops.ScatterAdd if add else teachnn._ops.Scatter
        return cls.apply(self, src, value, grids, src_part, add)

    def _inplace_reshape(self, op):
        """Shape-only in-place ops (``unsqueeze_``, ``squeeze_``, ``t_``, ``transpose_``): ``self``
        becomes the view ``op(self)`` of the same memory; in the graph it takes over that view's
        node, so gradients flow back through the reshaping like for ``x = x.unsqueeze(0)``."""
        self._check_inplace_allowed()
        tracking = grad_mode._grad_enabled and self._requires_grad
        if tracking:
            old = teachnn.Tensor(self._data)                    # same values, the old place in the graph
            old.grad_fn, old._output_nr, old._requires_grad = self.grad_fn, self._output_nr, True
            old._accumulator = self._accumulator
            result = op(old)
        else:
            with grad_mode.no_grad():
                result = op(teachnn.Tensor(self._data))
        self._data = result._data
        if tracking:
            self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
        return self

    def unsqueeze_(self, dim):
        return self._inplace_reshape(lambda t: t.unsqueeze(dim))

    def squeeze_(self, dim=None):
        return self._inplace_reshape(lambda t: t.squeeze() if dim is None else t.squeeze(dim))

    def t_(self):
        return self._inplace_reshape(lambda t: t.t())

    def transpose_(self, dim0, dim1):
        return self._inplace_reshape(lambda t: t.transpose(dim0, dim1))


# ----------------------------------------------------------------------------------------
# index helpers
# ----------------------------------------------------------------------------------------
def _convert_index(index, ndim):
    """Turn a Python index into a NumPy one; report whether it is 'advanced' (array-based)
    and which grad_fn name PyTorch would show."""
    if not isinstance(index, tuple):
        index = (index,)
    converted = []
    advanced = False
    for item in index:
        if isinstance(item, teachnn.Tensor):
            if item._data.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            item = item._data
            if item.dtype == np.uint8:          # a byte tensor is a mask (PyTorch's legacy rule)
                warnings.warn("indexing with dtype teachnn.uint8 is now deprecated, please use a dtype "
                              "teachnn.bool instead.", UserWarning, stacklevel=3)
                item = item.astype(np.bool_)
            if item.ndim == 0 and item.dtype.kind in "iu":
                item = builtins.int(item)
            else:
                advanced = True
        elif isinstance(item, (list, tuple, range, np.ndarray)):
            item = _sequence_index(item)
            if item.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            advanced = True
        elif isinstance(item, (builtins.bool, np.bool_)):
            advanced = True
        elif not (isinstance(item, (builtins.int, np.integer, slice)) or item is None or item is Ellipsis):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                f"valid indices (got {type(item).__name__})")
        converted.append(item)
    index = tuple(converted)
    if advanced:
        return index, True, "index"
    kind = "slice"
    for item in reversed(index):
        if item is None:
            kind = "unsqueeze"
            break
        if isinstance(item, (builtins.int, np.integer)):
            kind = "select"
            break
        if isinstance(item, slice) and item != slice(None):
            kind = "slice"
            break
    return index, False, kind


def _sequence_index(item):
    """A list, tuple, range or ndarray used as an index, as an integer or bool ndarray
    (``x[range(3), [0, 1, 2]]``; an empty list selects nothing, as in PyTorch)."""
    if isinstance(item, range):
        return np.arange(item.start, item.stop, item.step, dtype=np.int64)
    if isinstance(item, np.ndarray):
        array = item
    else:
        array = np.asarray([np.asarray(v._data) if isinstance(v, teachnn.Tensor) else v for v in item])
    if array.dtype.kind == "f":         # PyTorch converts a sequence or array to int64 (truncating)
        return np.trunc(array).astype(np.int64)
    return array


def _check_index_bounds(data, index):
    """Give torch's IndexError for out-of-range integers (NumPy's message is less helpful)."""
    used = builtins.sum(1 for i in index if i is not None and i is not Ellipsis
                        and not (isinstance(i, np.ndarray) and i.dtype == np.bool_))
    bool_dims = builtins.sum(i.ndim for i in index if isinstance(i, np.ndarray) and i.dtype == np.bool_)
    if used + bool_dims > data.ndim:
        raise IndexError(f"too many indices for tensor of dimension {data.ndim}")
    axis = 0
    for item in index:
        if item is Ellipsis:
            after = index[next(k for k, i in enumerate(index) if i is Ellipsis) + 1:]
            axis = data.ndim - builtins.sum(i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1
                                            for i in after if i is not None)
            continue
        if item is None:
            continue
        if isinstance(item, (builtins.int, np.integer)) and not isinstance(item, builtins.bool):
            size = data.shape[axis]
            if not -size <= item < size:
                raise IndexError(f"index {item} is out of bounds for dimension {axis} with size {size}")
        if isinstance(item, np.ndarray) and item.dtype.kind in "iu" and item.size:
            size = data.shape[axis]
            if item.max() >= size or item.min() < -size:
                bad = item.max() if item.max() >= size else item.min()
                raise IndexError(f"index {bad} is out of bounds for dimension {axis} with size {size}")
        if isinstance(item, np.ndarray) and item.dtype == np.bool_:
            axis += item.ndim
        else:
            axis += 1


def grids_shape(grids):
    """The shape of the index the advanced-index ``grids`` were built from."""
    return np.broadcast_shapes(*(g.shape for g in grids))


def _is_0d_index_of_1d(t, index):
    """PyTorch treats a 0-d index of a 1-d tensor in gather/scatter as a 1-element index."""
    return isinstance(index, teachnn.Tensor) and index._data.ndim == 0 and t._data.ndim == 1


def _scatter_gather_grids(t, dim, index, src, name):
    """Check ``index`` like torch does for gather/scatter and build advanced-index grids:
    for each element of index, its target position in ``t`` (index value along ``dim``,
    the element's own coordinates along the other axes)."""
    d = _norm_dim(dim, t._data.ndim)
    if isinstance(index, np.ndarray):
        index = teachnn.as_tensor(index)
    if not isinstance(index, teachnn.Tensor):
        raise TypeError(f"{name}(): argument 'index' must be teachnn.Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, but got {index.dtype}; "
                           "convert it with index.long()")
    if t._data.ndim == 0:
        raise RuntimeError(f"{name}() needs a tensor with at least one dimension, got a 0-d tensor; "
                           "use t.reshape(1) first")
    if idx.ndim != t._data.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor: "
                           f"index has {idx.ndim}, input has {t._data.ndim} (shapes {list(idx.shape)} and "
                           f"{list(t.shape)})")
    if src is not None and src._data.ndim != t._data.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as src tensor: "
                           f"index has {idx.ndim}, src has {src._data.ndim}")
    shape = t._data.shape
    for axis in range(len(shape)):
        if axis != d and idx.shape[axis] > shape[axis]:
            raise RuntimeError(f"Size does not match at dimension {axis} expected index {list(idx.shape)} to be "
                               f"smaller than self {list(t.shape)} apart from dimension {d}")
        if src is not None and idx.shape[axis] > src._data.shape[axis]:
            raise RuntimeError(f"Size does not match at dimension {axis} expected index {list(idx.shape)} to be "
                               f"smaller than src {list(src.shape)}")
    if idx.size and (idx.min() < 0 or idx.max() >= shape[d]):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(f"{name}(): index {bad} is out of bounds for dimension {d} with size {shape[d]}")
    grids = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx
    return d, tuple(grids)
