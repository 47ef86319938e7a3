"""Snapshots and their JSON transport.

``snapshot`` turns a learner's value into plain data (numbers, strings, numpy arrays, tuples,
lists, dicts and the small marker classes below).  ``encode``/``decode`` carry that data as
JSON between the learner's kernel and the grader: no pickle, arrays as base64 bytes with an
allow-listed dtype, and decoding never executes anything from the data.
"""
from __future__ import annotations

import base64
import json
import math

import numpy as np

from .placeholder import NotAttemptedError, _is_placeholder, contains_placeholder

class TensorSnap:
    """A Tensor reduced to data: its numpy array (dtype included) and requires_grad."""

    def __init__(self, array, requires_grad=False):
        self.array = np.asarray(array)
        self.requires_grad = bool(requires_grad)

    def __repr__(self):
        return f"TensorSnap(shape={list(self.array.shape)}, dtype={self.array.dtype})"


class Opaque:
    """A value the engine cannot turn into data (kept as its type name and repr)."""

    def __init__(self, type_name, text):
        self.type_name, self.text = type_name, text


class NotAttempted:
    """Marker payload: the learner has not filled this answer in yet."""

    def __init__(self, reason=""):
        self.reason = reason


class ErrorSnap:
    """Marker payload: the learner's code raised an exception."""

    def __init__(self, type_name, message):
        self.type_name, self.message = type_name, message

    def text(self):
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


def _tensor_class():
    try:
        from teachnn.tensor import Tensor
        return Tensor
    except Exception:             # the framework may be partly built; the engine still works
        return None


def _is_tensor(obj) -> bool:
    T = _tensor_class()
    return T is not None and isinstance(obj, T)


def snapshot(obj, depth=0):
    """Turn a learner's value into plain data.  Raises NotAttemptedError on ``____``."""
    if _is_placeholder(obj):
        raise NotAttemptedError("____")
    if depth > 20:
        return Opaque(type(obj).__name__, "(너무 깊게 중첩된 값)")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    if _is_tensor(obj):
        return TensorSnap(np.array(obj._data, copy=True), getattr(obj, "requires_grad", False))
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            if contains_placeholder(obj):
                raise NotAttemptedError("____")
            return Opaque("ndarray", "object 배열")
        return np.array(obj, copy=True)
    if isinstance(obj, tuple):        # includes torch.Size-like tuple subclasses
        return tuple(snapshot(o, depth + 1) for o in obj)
    if isinstance(obj, list):
        return [snapshot(o, depth + 1) for o in obj]
    if isinstance(obj, dict):
        return {snapshot(k, depth + 1): snapshot(v, depth + 1) for k, v in obj.items()}
    try:
        text = repr(obj)
    except Exception:
        text = "?"
    return Opaque(type(obj).__name__, text[:200])


# ----------------------------------------------------------------------------------------
# JSON transport (safe: no pickle; arrays as base64 bytes with an allow-listed dtype)
# ----------------------------------------------------------------------------------------
_SAFE_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "float16", "float32", "float64"}


def encode(obj):
    """Plain data (as made by :func:`snapshot`) -> JSON-compatible structure."""
    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"$f": repr(obj)}
    if isinstance(obj, np.ndarray):
        arr = np.array(obj, order="C", copy=True)   # (ascontiguousarray would make 0-d into 1-d)
        if arr.dtype.name not in _SAFE_DTYPES:
            return {"$o": ["ndarray", f"dtype {arr.dtype}"]}
        return {"$a": base64.b64encode(arr.tobytes()).decode("ascii"),
                "dtype": arr.dtype.name, "shape": list(arr.shape)}
    if isinstance(obj, TensorSnap):
        return {"$T": encode(obj.array), "rg": obj.requires_grad}
    if isinstance(obj, tuple):
        return {"$t": [encode(o) for o in obj]}
    if isinstance(obj, list):
        return {"$l": [encode(o) for o in obj]}
    if isinstance(obj, dict):
        return {"$d": [[encode(k), encode(v)] for k, v in obj.items()]}
    if isinstance(obj, Opaque):
        return {"$o": [obj.type_name, obj.text]}
    if isinstance(obj, NotAttempted):
        return {"$na": obj.reason}
    if isinstance(obj, ErrorSnap):
        return {"$err": [obj.type_name, obj.message]}
    return {"$o": [type(obj).__name__, "?"]}


def decode(obj):
    """Inverse of :func:`encode`.  Never executes anything from the data."""
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, list):            # plain JSON lists should not occur; be lenient
        return [decode(o) for o in obj]
    if not isinstance(obj, dict) or len(obj) == 0:
        return Opaque("?", "?")
    if "$f" in obj:
        return float(obj["$f"])
    if "$a" in obj:
        dtype = str(obj.get("dtype"))
        if dtype not in _SAFE_DTYPES:
            return Opaque("ndarray", dtype)
        shape = tuple(int(s) for s in obj.get("shape", []))
        raw = base64.b64decode(obj["$a"])
        itemsize = np.dtype(dtype).itemsize
        if len(raw) != itemsize * int(np.prod(shape, dtype=np.int64)):
            return Opaque("ndarray", "손상된 데이터")
        arr = np.frombuffer(raw, dtype=np.dtype(dtype))
        return arr.reshape(shape).copy()
    if "$T" in obj:
        arr = decode(obj["$T"])
        if not isinstance(arr, np.ndarray):
            return Opaque("Tensor", "?")
        return TensorSnap(arr, bool(obj.get("rg", False)))
    if "$t" in obj:
        return tuple(decode(o) for o in obj["$t"])
    if "$l" in obj:
        return [decode(o) for o in obj["$l"]]
    if "$d" in obj:
        out = {}
        for k, v in obj["$d"]:
            k = decode(k)
            try:
                out[k] = decode(v)
            except TypeError:            # unhashable key
                pass
        return out
    if "$o" in obj:
        t, text = obj["$o"]
        return Opaque(str(t), str(text))
    if "$na" in obj:
        return NotAttempted(str(obj["$na"]))
    if "$err" in obj:
        t, m = obj["$err"]
        return ErrorSnap(str(t), str(m))
    return Opaque("?", "?")


def roundtrip(payload):
    """encode -> JSON text -> decode: check() grades exactly what the grader would see."""
    return decode(json.loads(json.dumps(encode(payload))))

