"""Guards for "write it yourself" exercises.

:class:`Forbidden` lists the library functions an exercise asks the learner to write (for
``FunctionProblem(..., forbid=[F.linear, nn.Linear])``).  Two checks use it:

* identity: the answer *is* one of them (``my_linear = F.linear``, a bound method, a
  ``functools.partial``, a decorated wrapper);
* a call-level tripwire while the learner's function runs: each forbidden Python function's
  ``__code__`` is swapped for a tripwire that records the call, then restored in ``finally``.
  Because the function object itself is changed, the tripwire also catches references the
  learner captured earlier (``f = F.linear``), methods (``x.relu()``), modules whose forward
  delegates to it (``nn.Linear``) and aliases (``teachnn.relu``), whatever the path.

:func:`learner_functions_in_graph` and :func:`watch_backward` serve the custom-autograd
exercises: the result must come from the learner's own ``Function`` subclass, and its
``backward`` must be the one that ran.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import types
import warnings


class ForbiddenCallError(Exception):
    """Raised by a tripwire: the learner's code called a function the exercise forbids."""


_HOOK_CONST = "__teachnn_tripwire_hook__"


@functools.lru_cache(maxsize=None)
def _tripwire_template(n_free):
    """A code object ``def _trip(*args, **kwargs): return HOOK(args, kwargs)`` with ``n_free``
    free variables, so it can replace the code of a function that has a closure."""
    names = [f"_c{i}" for i in range(n_free)]
    lines = (["def _outer():"] + [f"    {n} = None" for n in names]
             + ["    def _trip(*args, **kwargs):"] + [f"        {n}" for n in names]
             + [f"        return {_HOOK_CONST!r}(args, kwargs)", "    return _trip"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # "'str' object is not callable": on purpose
        module = compile("\n".join(lines), "<teachnn tripwire>", "exec")
    outer = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    trip = next(c for c in outer.co_consts if isinstance(c, types.CodeType))
    assert len(trip.co_freevars) == n_free
    return trip


def _tripwire_code(n_free, hook):
    trip = _tripwire_template(n_free)
    return trip.replace(co_consts=tuple(hook if c == _HOOK_CONST else c for c in trip.co_consts))


def _resolve(item):
    """A string ``"package.module:attr.attr"`` -> the object; anything else unchanged."""
    if not isinstance(item, str):
        return item
    module_name, _, attrs = item.partition(":")
    obj = importlib.import_module(module_name)
    for a in filter(None, attrs.split(".")):
        obj = getattr(obj, a)
    return obj


def _label_of(obj):
    """A short name a learner recognises: ``F.linear``, ``nn.Linear``, ``Tensor.relu``."""
    module = getattr(obj, "__module__", "") or ""
    qual = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
    if module.startswith("teachnn.nn._functional") or module == "teachnn.nn.functional":
        return f"F.{qual}"
    if module.startswith("teachnn.nn.modules"):
        return f"nn.{qual}"
    if module == "teachnn.tensor":
        return qual if "." in qual else f"torch.{qual}"
    if module.startswith("teachnn."):
        return f"{module.replace('teachnn.', '', 1)}.{qual}"
    return qual


def _functions_of(obj):
    """The Python functions whose code runs when ``obj`` is used, and caches to clear."""
    funcs, caches = [], []
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if inspect.ismethod(obj):
        obj = obj.__func__
    if inspect.isclass(obj):
        for name in ("forward", "__call__"):
            attr = inspect.getattr_static(obj, name, None)
            if isinstance(attr, (staticmethod, classmethod)):
                attr = attr.__func__
            if isinstance(attr, types.FunctionType) and \
                    not (attr.__module__ or "").endswith(("autograd.function", "modules.module")):
                funcs.append(attr)
        return funcs, caches
    seen = set()
    while obj is not None and id(obj) not in seen:
        seen.add(id(obj))
        if hasattr(obj, "cache_clear") and hasattr(obj, "__wrapped__"):
            caches.append(obj)                    # functools.lru_cache: a hit runs no code
        if isinstance(obj, types.FunctionType):
            funcs.append(obj)
        obj = getattr(obj, "__wrapped__", None)
    return funcs, caches


class Forbidden:
    """The functions a "write it yourself" exercise refuses; see the module docstring.

    ``items``: functions, methods, classes (a ``Function`` subclass or an ``nn.Module``
    class: their ``forward``), ``"module:attr"`` strings, or ``(label, item)`` pairs."""

    def __init__(self, items=()):
        self._items = list(items)
        self._resolved = None

    def __bool__(self):
        return bool(self._items)

    def resolved(self):
        """[(label, objects for the identity check, functions to trip, caches to clear)]."""
        if self._resolved is None:
            out = []
            for item in self._items:
                label, item = item if isinstance(item, tuple) else (None, item)
                obj = _resolve(item)
                funcs, caches = _functions_of(obj)
                identity = {id(obj)} | {id(f) for f in funcs} | {id(c) for c in caches}
                out.append((label or _label_of(obj), identity, funcs, caches))
            self._resolved = out
        return self._resolved

    @property
    def labels(self):
        """The names to show a learner: the library's autograd Functions behind them are
        tripped too but not listed (a learner never calls them by name)."""
        return [label for (label, *_), item in zip(self.resolved(), self._items)
                if not _is_library_function_class(_resolve(item[1] if isinstance(item, tuple) else item))]

    def identity(self, fn):
        """The label of the forbidden function ``fn`` *is* (or wraps), else None."""
        candidates, seen = [fn], set()
        while candidates:
            c = candidates.pop()
            if c is None or id(c) in seen:
                continue
            seen.add(id(c))
            for label, identity, _, _ in self.resolved():
                if id(c) in identity:
                    return label
            if isinstance(c, functools.partial):
                candidates.append(c.func)
            candidates += [getattr(c, "__func__", None), getattr(c, "__wrapped__", None)]
            if not isinstance(c, (types.FunctionType, types.BuiltinFunctionType)) and \
                    not inspect.isclass(c) and not inspect.ismethod(c):
                # an instance of a forbidden module class: nn.ReLU() is relu
                candidates.append(type(c))
        return None

    @contextlib.contextmanager
    def tripwires(self):
        """While active, calling a forbidden function records its label in the yielded list
        (and raises :class:`ForbiddenCallError`, which the learner cannot hide by catching:
        the record stays)."""
        hits = []
        saved = []
        try:
            for label, _, funcs, caches in self.resolved():
                for cache in caches:
                    cache.cache_clear()

                def hook(args, kwargs, _label=label):
                    hits.append(_label)
                    raise ForbiddenCallError(f"{_label}은(는) 이 문제에서 쓸 수 없습니다")
                for f in funcs:
                    if any(f is g for g, *_ in saved):
                        continue
                    trip = _tripwire_code(len(f.__code__.co_freevars), hook)
                    saved.append((f, f.__code__, trip, label))
                    f.__code__ = trip
            yield hits
        finally:
            for f, code, trip, label in reversed(saved):
                if f.__code__ is not trip:       # the learner's code put something back
                    hits.append(label)
                f.__code__ = code


def _is_library_function_class(obj):
    try:
        from teachnn.autograd import Function
    except Exception:
        return False
    return inspect.isclass(obj) and issubclass(obj, Function)


# ----------------------------------------------------------------------------------------
# Custom autograd Functions
# ----------------------------------------------------------------------------------------
def _is_learners_function_class(cls):
    try:
        from teachnn.autograd import Function
    except Exception:
        return False
    return (inspect.isclass(cls) and issubclass(cls, Function)
            and not (cls.__module__ or "").startswith("teachnn"))


def learner_functions_in_graph(out, others=None):
    """The learner's own ``Function`` subclasses found in the backward graph of ``out``;
    the names of the library's nodes found there are appended to ``others``."""
    found, seen = [], set()
    stack = [getattr(out, "grad_fn", None)]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        cls = getattr(node, "_function", None)
        if _is_learners_function_class(cls):
            if cls not in found:
                found.append(cls)
        elif cls is not None and others is not None:
            others.append(type(node).__name__)
        for edge in getattr(node, "next_functions", ()) or ():
            stack.append(edge[0] if isinstance(edge, tuple) else edge)
    return found


@contextlib.contextmanager
def watch_backward(classes):
    """While active, a call of any of ``classes``' own ``backward`` adds the class to the
    yielded list (the original backward still runs)."""
    ran = []
    saved = []
    try:
        for cls in classes:
            attr = cls.__dict__.get("backward")
            if isinstance(attr, staticmethod):
                original = attr.__func__
            elif isinstance(attr, types.FunctionType):   # @staticmethod forgotten: still works
                original = attr
            else:
                continue

            def backward(*args, _cls=cls, _original=original, **kwargs):
                ran.append(_cls)
                return _original(*args, **kwargs)
            saved.append((cls, attr))
            setattr(cls, "backward", staticmethod(backward) if attr is not original else backward)
        yield ran
    finally:
        for cls, attr in saved:
            setattr(cls, "backward", attr)
