"""Running learner code safely, and building test cases.

``call_safely`` turns an exception in the learner's code into data (``ErrorSnap``) or into
"not attempted" (``____`` was used); ``materialize`` gives every run a fresh deep copy of a
case; ``tensor_case``/``random_tensor`` make reproducible Tensor inputs.
"""
from __future__ import annotations

import copy

import numpy as np

from .compare import _shape_text, _short
from .placeholder import _is_not_attempted
from .transport import ErrorSnap, NotAttempted, _is_tensor

def _error_text(exc) -> str:
    msg = str(exc).strip().splitlines()
    msg = msg[0] if msg else ""
    return msg[:300]


def call_safely(fn, *args):
    """Call learner code: returns (value, None), (None, NotAttempted) or (None, ErrorSnap)."""
    try:
        return fn(*args), None
    except RecursionError:
        return None, ErrorSnap("RecursionError", "재귀 호출이 너무 깊습니다")
    except Exception as exc:      # the learner's bug is shown as a hint, never a crash
        if _is_not_attempted(exc):
            return None, NotAttempted("____")
        return None, ErrorSnap(type(exc).__name__, _error_text(exc))


def materialize(case):
    """A case is a tuple of arguments or a zero-argument callable returning one."""
    args = case() if callable(case) else case
    if not isinstance(args, tuple):
        args = (args,)
    return copy.deepcopy(args)


def describe_args(args):
    parts = []
    for a in args:
        if _is_tensor(a):
            parts.append(f"텐서 모양 {_shape_text(a.shape)}")
        elif isinstance(a, np.ndarray):
            parts.append(f"배열 모양 {_shape_text(a.shape)}")
        else:
            parts.append(_short(a, 40))
    return ", ".join(parts)



def lazy(value):
    """A value, or the result of calling it when it is a zero-argument callable."""
    return value() if callable(value) else value


def random_tensor(shape, seed, dtype="float32", requires_grad=False, avoid_zero=False, low=None,
                  high=None):
    """A reproducible teachnn Tensor for test cases (numpy RNG seeded with ``seed``).

    ``avoid_zero`` keeps every entry at least 0.1 away from 0 (for ReLU-like kinks);
    ``low``/``high`` draw uniformly instead of from a normal distribution."""
    import teachnn
    rng = np.random.default_rng(seed)
    if low is not None:
        arr = rng.uniform(low, high, size=shape)
    else:
        arr = rng.standard_normal(size=shape)
    if avoid_zero:
        arr = np.where(np.abs(arr) < 0.1, np.sign(arr + 1e-12) * (0.1 + np.abs(arr)), arr)
    t = teachnn.tensor(arr.astype(dtype))
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor_case(*specs):
    """A FunctionProblem/ModuleProblem case: ``tensor_case((2, 3), 0)`` or
    ``tensor_case(dict(shape=(2, 3), seed=0, requires_grad=True), ...)`` -> a zero-argument
    callable returning a tuple of fresh Tensors (fresh every call: no state leaks)."""
    def make():
        out = []
        for spec in specs:
            if isinstance(spec, dict):
                out.append(random_tensor(**spec))
            elif callable(spec):
                out.append(spec())
            else:
                shape, seed = spec
                out.append(random_tensor(shape, seed))
        return tuple(out)
    return make
