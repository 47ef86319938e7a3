"""``teachnn.save`` / ``teachnn.load``: pickle, with PyTorch's ``weights_only`` safety.

A pickle file can run any code while it loads. ``load(f)`` therefore reads, by default
(``weights_only=True``, as PyTorch 2.6+), only data: tensors, parameters, dtypes, sizes,
NumPy arrays and Python's containers and scalars — enough for ``state_dict``\\ s, optimizer
states and checkpoints. ``weights_only=False`` unpickles anything: only for files you trust.
"""
from __future__ import annotations

import io
import os
import pickle

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals"]

# (module, name) pairs a weights-only load may construct; every one builds plain data.
_SAFE_GLOBALS = {
    ("collections", "OrderedDict"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
    ("builtins", "complex"), ("builtins", "bytearray"), ("builtins", "range"),
    ("teachnn._tensor_conversions", "_rebuild_tensor"),
    ("teachnn.tensor", "Tensor"), ("teachnn", "Tensor"),     # the second: Tensor.__module__
    ("teachnn.nn.parameter", "Parameter"),
    ("teachnn.nn.parameter", "UninitializedParameter"),
    ("teachnn.nn.parameter", "UninitializedBuffer"),
    ("teachnn._dtype", "to_dtype"),
    ("teachnn._shapes", "Size"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
}
_ZIP_MAGIC = b"PK\x03\x04"


def add_safe_globals(safe_globals):
    """Allow more classes or functions in weights-only loads (PyTorch's
    ``torch.serialization.add_safe_globals``): a list of the objects themselves."""
    for obj in safe_globals:
        _SAFE_GLOBALS.add((obj.__module__, obj.__qualname__))


def get_safe_globals():
    """The (module, name) pairs a weights-only load accepts."""
    return sorted(_SAFE_GLOBALS)


class _WeightsOnlyUnpickler(pickle.Unpickler):
    """An unpickler that refuses every global outside ``_SAFE_GLOBALS``."""

    def find_class(self, module, name):
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Weights only load failed. The file needs {module}.{name}, which is not plain data "
            f"(tensors, dicts, lists, numbers). A pickle can run code while it loads, so "
            f"weights_only=True (the default) refuses it. If you trust where the file comes "
            f"from, call load(..., weights_only=False); or save only model.state_dict(); or "
            f"allow the class with teachnn.serialization.add_safe_globals([{name}]).")


def _is_path(f) -> bool:
    return isinstance(f, (str, bytes)) or hasattr(f, "__fspath__")


def save(obj, f, pickle_module=pickle, pickle_protocol=pickle.DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """Save any picklable object (tensors, state_dicts, ...) to a path or a binary file object."""
    if _is_path(f):
        with open(f, "wb") as fh:
            pickle_module.dump(obj, fh, protocol=pickle_protocol)
    else:
        pickle_module.dump(obj, f, protocol=pickle_protocol)


def _check_map_location(map_location):
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return
    name = str(getattr(map_location, "type", map_location))
    if not name.startswith("cpu"):
        raise RuntimeError(
            f"Attempting to deserialize object on device {str(map_location)!r}, but teachnn "
            f"runs on the CPU only; use map_location='cpu' (or leave it out)")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object written by ``teachnn.save``.

    ``weights_only`` (default True, as PyTorch 2.6+): read only tensors and plain data;
    ``False`` unpickles anything (it can run code: only for files you trust).
    """
    _check_map_location(map_location)
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified; pass weights_only=False to use your pickle_module")
    if _is_path(f):
        with open(f, "rb") as fh:
            return _load(fh, os.fspath(f), weights_only, pickle_module, pickle_load_args)
    return _load(f, "the file object", weights_only, pickle_module, pickle_load_args)


def _load(fh, where, weights_only, pickle_module, pickle_load_args):
    head = fh.read(4)
    if head == _ZIP_MAGIC:
        raise RuntimeError(
            f"{where} was written by PyTorch's torch.save (a zip archive of PyTorch storages), "
            f"which teachnn cannot read. In PyTorch, save the tensors as NumPy arrays instead "
            f"(np.savez('w.npz', **{{k: v.numpy() for k, v in sd.items()}})) and build the "
            f"state_dict with teachnn.tensor(...) from np.load('w.npz').")
    stream = io.BytesIO(head + fh.read())
    if weights_only:
        return _WeightsOnlyUnpickler(stream, **pickle_load_args).load()
    return (pickle_module or pickle).load(stream, **pickle_load_args)
