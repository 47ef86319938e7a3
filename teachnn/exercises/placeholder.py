"""The placeholder ``____``: an answer not written yet.

Any use of it (arithmetic, a call, ``len``, ``bool``, an attribute) raises
:class:`NotAttemptedError`, which the engine reads as "아직 풀지 않았습니다" (not attempted),
never as a wrong answer.  Both are recognised by a marker attribute, not by class, because the
grader re-imports this package fresh while the notebook keeps the ``____`` it imported first.
"""
from __future__ import annotations

import numpy as np

class NotAttemptedError(Exception):
    """Raised when the placeholder ``____`` is used as if it were a real value."""

    _TEACHNN_NOT_ATTEMPTED = True


def _is_not_attempted(exc) -> bool:
    # Checked by marker, not by class: the grader re-imports this module fresh, and the
    # learner's ``____`` (and the error it raises) come from the import made in the notebook.
    return getattr(type(exc), "_TEACHNN_NOT_ATTEMPTED", False) is True


class _Placeholder:
    """``____``: an answer not written yet.  Using it in any computation raises
    :class:`NotAttemptedError`, which the engine reads as "not attempted"."""

    _instance = None
    _TEACHNN_PLACEHOLDER = True

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "____"

    def __reduce__(self):
        return (_Placeholder, ())

    def _refuse(self, *args, **kwargs):
        raise NotAttemptedError("____ 자리를 아직 채우지 않았습니다.")

    def __getattr__(self, name):
        if name.startswith("_"):          # IPython/numpy probe private names: stay quiet
            raise AttributeError(name)
        self._refuse()

    __call__ = __getitem__ = __iter__ = __len__ = __bool__ = _refuse
    __int__ = __float__ = __index__ = __array__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = _refuse
    __matmul__ = __rmatmul__ = __pow__ = __rpow__ = __mod__ = __rmod__ = _refuse
    __neg__ = __pos__ = __abs__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = _refuse


____ = _Placeholder()


def _is_placeholder(obj) -> bool:
    # by marker, not isinstance: see _is_not_attempted
    return getattr(type(obj), "_TEACHNN_PLACEHOLDER", False) is True



def contains_placeholder(obj, depth=0) -> bool:
    """``____`` anywhere inside a (nested) list, tuple, set, dict or object array."""
    if _is_placeholder(obj):
        return True
    if depth > 6:
        return False
    if isinstance(obj, (list, tuple, set, frozenset)):
        return any(contains_placeholder(o, depth + 1) for o in obj)
    if isinstance(obj, dict):
        return any(contains_placeholder(o, depth + 1) for o in list(obj.keys()) + list(obj.values()))
    if isinstance(obj, np.ndarray) and obj.dtype == object:
        return any(contains_placeholder(o, depth + 1) for o in obj.flat)
    return False
