"""Grad mode: whether operations are recorded for backward.

``no_grad()`` turns recording off (inside it, results never get a ``grad_fn``);
``enable_grad()`` turns it back on; ``set_grad_enabled(mode)`` sets it explicitly.
All three work as context managers and as function decorators, like PyTorch's.
"""
import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]

_grad_enabled = True


def is_grad_enabled():
    """True when new operations are recorded for backward (the default)."""
    return _grad_enabled


def _set(mode):
    global _grad_enabled
    _grad_enabled = bool(mode)


class _GradModeContext:
    """Base class: sets the mode on enter, restores the previous mode on exit."""

    mode = True

    def __enter__(self):
        self._prev = _grad_enabled
        _set(self.mode)
        return None

    def __exit__(self, exc_type, exc_value, traceback):
        _set(self._prev)
        return False

    def __call__(self, func):
        """Use as a decorator: ``@teachnn.no_grad()`` (or ``@teachnn.no_grad``)."""
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__._clone(self):
                return func(*args, **kwargs)
        return wrapper

    @staticmethod
    def _clone(ctx):
        return ctx


class no_grad(_GradModeContext):
    """Context manager / decorator that disables gradient recording.

    >>> with teachnn.no_grad():
    ...     y = x * 2          # y.requires_grad is False even if x requires grad
    """

    mode = False

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if callable(func):          # used as a bare decorator: @no_grad
            self.__init__()
            return self(func)
        return self

    def __init__(self, func=None):
        pass

    @staticmethod
    def _clone(ctx):
        return no_grad()


class enable_grad(_GradModeContext):
    """Context manager / decorator that enables gradient recording (e.g. inside ``no_grad``)."""

    mode = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if callable(func):
            self.__init__()
            return self(func)
        return self

    def __init__(self, func=None):
        pass

    @staticmethod
    def _clone(ctx):
        return enable_grad()


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` turns recording off right away; as a context manager
    the previous mode comes back at the end of the ``with`` block."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled() expects a bool (True or False), got {type(mode).__name__}")
        self._prev = _grad_enabled
        self.mode = mode
        _set(mode)

    def __enter__(self):
        # the mode was already set in __init__; remember what to restore
        return None

    def __exit__(self, exc_type, exc_value, traceback):
        _set(self._prev)
        return False

    def __call__(self, func):
        mode = self.mode
        _set(self._prev)   # as a decorator, the mode applies only inside calls

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = _grad_enabled
            _set(mode)
            try:
                return func(*args, **kwargs)
            finally:
                _set(prev)
        return wrapper


class inference_mode(no_grad):
    """Treated like ``no_grad`` in teachnn (no separate inference tensors)."""

    def __new__(cls, mode=True):
        if callable(mode):
            self = object.__new__(cls)
            self.mode = False
            return _GradModeContext.__call__(self, mode)
        self = object.__new__(cls)
        self.mode = not mode
        return self

    def __init__(self, mode=True):
        pass

    @staticmethod
    def _clone(ctx):
        c = object.__new__(inference_mode)
        c.mode = ctx.mode
        return c
