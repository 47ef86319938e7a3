"""Helpers for errors that teach.

An error message in teachnn says what was expected, what was given and what to change.
These helpers keep the common parts (name suggestions, shape text) the same everywhere.
"""
from __future__ import annotations

import difflib
import functools
import inspect

__all__ = ["suggest_name", "check_kwargs", "shape_str", "unexpected_keyword_message", "numpy_keywords",
           "missing_attribute"]


def suggest_name(name: str, candidates) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest candidate, or ``""`` if none is close.

    >>> suggest_name("kernels", ["in_channels", "kernel_size", "stride"])
    " Did you mean 'kernel_size'?"
    """
    candidates = [c for c in candidates if isinstance(c, str)]
    best = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if not best:
        # a prefix match catches 'kernels' -> 'kernel_size' when the ratio is low
        prefix = [c for c in candidates if c.startswith(name.rstrip("s")) or name.startswith(c)]
        best = prefix[:1]
    return f" Did you mean '{best[0]}'?" if best else ""


def _nearest_ignoring_case(name: str, candidates) -> str:
    """``Relu`` -> ``ReLU``, ``maxpool2d`` -> ``max_pool2d``, ``Sofmax`` -> ``softmax``."""
    def squash(text):
        return text.lower().replace("_", "")

    for key in (str.lower, squash):
        same = [c for c in candidates if key(c) == key(name)]
        if same:
            return f" Did you mean '{same[0]}'?"
    swapped = [c for c in candidates if sorted(squash(c)) == sorted(squash(name))]   # SDG -> SGD
    if swapped:
        return f" Did you mean '{swapped[0]}'?"
    by_squashed = {}
    for c in candidates:
        by_squashed.setdefault(squash(c), c)
    best = difflib.get_close_matches(squash(name), list(by_squashed), n=1, cutoff=0.75)
    return f" Did you mean '{by_squashed[best[0]]}'?" if best else ""


class _SuggestedAttributeError(AttributeError):
    """An AttributeError whose message already names the nearest attribute. Python fills in
    ``name``/``obj`` on the way out of a module's ``__getattr__`` and then appends its own,
    case-sensitive guess ("Did you mean: 'sign'?" after ours, 'sin'); ignoring those two
    attributes keeps one suggestion."""
    name = property(lambda self: None, lambda self, value: None)
    obj = property(lambda self: None, lambda self, value: None)


# tracebacks print it as the AttributeError it is
_SuggestedAttributeError.__module__, _SuggestedAttributeError.__qualname__ = "builtins", "AttributeError"


def missing_attribute(module_name: str, name: str, namespace) -> AttributeError:
    """The AttributeError for ``teachnn.nn.Relu``: Python's wording plus the nearest public name
    of the module (case-insensitively). A module's ``__getattr__`` raises it."""
    message = f"module '{module_name}' has no attribute '{name}'"
    if not name.startswith("_"):        # probes (__path__, _repr_html_, _ipython_...) are not typos
        public = [n for n, v in namespace.items() if not n.startswith("_") and not (
            type(v).__name__ == "module" and v.__name__ != f"{module_name}.{n}")]   # not re-exported internals
        public.sort(key=lambda n: type(namespace[n]).__name__ == "module")     # classes and functions first
        hint = _nearest_ignoring_case(name, public)
        if hint:
            return _SuggestedAttributeError(message + "." + hint)
    return AttributeError(message)


def shape_str(shape) -> str:
    """``(32, 100)`` -> ``'[32, 100]'``: shapes are written as PyTorch prints them."""
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _keyword_names(signature: inspect.Signature) -> list[str]:
    return [p.name for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"]


def unexpected_keyword_message(func_name: str, keyword: str, valid) -> str:
    """PyTorch/Python's wording plus a suggestion and the list of valid keywords."""
    valid = list(valid)
    msg = f"{func_name}() got an unexpected keyword argument '{keyword}'."
    msg += suggest_name(keyword, valid)
    if valid:
        msg += " Valid keywords: " + ", ".join(valid) + "."
    return msg


def check_kwargs(func):
    """Decorator: an unknown keyword argument raises a TypeError that suggests the nearest
    valid one (``kernels=5`` -> ``Did you mean 'kernel_size'?``).

    Functions that take ``**kwargs`` themselves are left alone. The check happens before
    the call, so a TypeError raised *inside* the function is never rewritten.
    """
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return func
    if any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values()):
        return func
    valid = _keyword_names(signature)
    valid_set = set(valid)
    qualname = func.__qualname__

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if kwargs:
            for key in kwargs:
                if key not in valid_set:
                    raise TypeError(unexpected_keyword_message(qualname, key, valid))
        return func(*args, **kwargs)

    wrapper.__signature__ = signature
    wrapper._teachnn_checked = True
    return wrapper


_NUMPY_ALIASES = {"axis": "dim", "keepdims": "keepdim", "axis0": "dim0", "axis1": "dim1"}


def numpy_keywords(fn):
    """Decorator: accept NumPy's keyword names as torch does (``x.sum(axis=1, keepdims=True)``
    is ``x.sum(dim=1, keepdim=True)``) and answer an unknown keyword with the nearest valid one.

    The wrapper does nothing but one ``if`` when no keyword is passed.
    """
    params = inspect.signature(fn).parameters
    valid = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
             and n not in ("self", "input")]
    takes_var_kwargs = any(p.kind == p.VAR_KEYWORD for p in params.values())
    # methods are named like torch's: "Tensor.sum", functions plainly: "sum"
    display_name = ("Tensor." if "." in fn.__qualname__ else "") + fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for numpy_name, torch_name in _NUMPY_ALIASES.items():
                if numpy_name in kwargs and torch_name in params:
                    if torch_name in kwargs:
                        raise TypeError(f"{fn.__name__}() got both '{torch_name}' and its alias '{numpy_name}'")
                    kwargs[torch_name] = kwargs.pop(numpy_name)
            if not takes_var_kwargs:
                for key in kwargs:
                    if key not in params:
                        raise TypeError(unexpected_keyword_message(display_name, key, valid))
        return fn(*args, **kwargs)

    return wrapper
