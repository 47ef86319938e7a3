"""The last cell the grader runs in a learner's kernel: it collects the answers as data.

Imported by ``_worker.py`` (run as a script: this file imports nothing from teachnn).

The cell carries its own copy of the exercise engine: the text of every ``.py`` file of the
GRADER's ``teachnn/exercises`` folder, read on the grader's side.  In the kernel those
texts are executed into fresh module objects under a package name that contains a random
nonce (``_teachnn_grade_<nonce>``), with an ``__import__`` of their own that sends
``teachnn.exercises...`` and ``importlib.import_module`` to those private modules.  So
what the notebook did to ``sys.modules``, ``importlib``, ``teachnn.exercises.core`` or a
lesson module does not change the collector, its cases or its list of problems.

The answers go back as one display message of the MIME type ``GRADE_MIME`` holding
``{"nonce": ..., "data": <collect_lessons JSON>}``; the worker keeps it only when it comes
from this cell's execution and carries the nonce, and there is exactly one.  The data are
plain values (numbers, arrays, the outputs of the learner's functions): the grader compares
them with the expected values it computes itself.
"""
from __future__ import annotations

from pathlib import Path

GRADE_MIME = "application/vnd.teachnn.grade+json"

# The grader's own files in the exercises folder: the kernel never needs them.
_GRADER_FILES = {"grade.py", "_sandbox.py", "_collector.py", "_worker.py", "__main__.py"}


def engine_sources(folder=None) -> dict:
    """``{"": __init__ text, "core": text, "lesson00": text, "sub.mod": text, ...}``."""
    folder = Path(folder) if folder else Path(__file__).resolve().parent
    sources = {}
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(folder)
        if len(rel.parts) == 1 and rel.name in _GRADER_FILES:
            continue
        if "__pycache__" in rel.parts:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
            key = ".".join(parts) + ("/" if parts else "")     # "/" marks a package
            key = key or "/"
        else:
            key = ".".join(parts)
        sources[key] = path.read_text(encoding="utf-8")
    return sources


_CELL = r'''
def _teachnn_grade_collect_%(nonce)s(_namespace):
    import builtins as _b, sys as _sys, types as _types
    _SOURCES = %(sources)r
    _PKG, _PUBLIC = "_teachnn_grade_%(nonce)s", "teachnn.exercises"
    _real_import = _b.__import__
    _real_importlib = _sys.modules.get("importlib")
    _mods = {}
    _builtins = dict(vars(_b))

    def _is_pkg(rel):
        return (rel + "/" if rel else "/") in _SOURCES

    def _load(rel):
        if rel in _mods:
            return _mods[rel]
        key = (rel + "/" if rel else "/") if _is_pkg(rel) else rel
        if key not in _SOURCES:
            raise ImportError("no module " + _PUBLIC + ("." + rel if rel else ""))
        if rel and "." in rel:
            _load(rel.rpartition(".")[0])
        elif rel:
            _load("")
        full = _PKG + ("." + rel if rel else "")
        mod = _types.ModuleType(full)
        mod.__file__ = "<grader>/teachnn/exercises/" + (rel.replace(".", "/") or "__init__") + ".py"
        mod.__package__ = full if _is_pkg(rel) else full.rpartition(".")[0]
        if _is_pkg(rel):
            mod.__path__ = []
        mod.__builtins__ = _builtins
        _mods[rel] = mod
        _sys.modules[full] = mod        # a name the notebook could not know in advance
        if rel:
            parent = _mods[rel.rpartition(".")[0]]
            setattr(parent, rel.rpartition(".")[2], mod)
        exec(compile(_SOURCES[key], mod.__file__, "exec"), mod.__dict__)
        return mod

    def _private(absname):
        for prefix in (_PUBLIC, _PKG):
            if absname == prefix:
                return ""
            if absname.startswith(prefix + "."):
                return absname[len(prefix) + 1:]
        return None

    def _import_module(name, package=None):
        if name.startswith("."):
            level = len(name) - len(name.lstrip("."))
            base = package.rsplit(".", level - 1)[0] if level > 1 else package
            name = base + ("." + name[level:] if name[level:] else "")
        rel = _private(name)
        if rel is not None:
            return _load(rel)
        return _real_importlib.import_module(name)

    _importlib = _types.ModuleType("importlib")
    _importlib.import_module = _import_module
    _importlib.__getattr__ = lambda attr: getattr(_real_importlib, attr)

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        absname = name
        if level:
            package = (globals or {}).get("__package__") or ""
            base = package.rsplit(".", level - 1)[0] if level > 1 else package
            absname = base + ("." + name if name else "")
        if absname == "importlib":
            return _importlib
        rel = _private(absname)
        if rel is None:
            return _real_import(name, globals, locals, fromlist, level)
        target = _load(rel)
        if fromlist:
            for item in fromlist:
                sub = (rel + "." + item) if rel else item
                if item != "*" and not hasattr(target, item) and (sub in _SOURCES or sub + "/" in _SOURCES):
                    _load(sub)
            return target
        if level:
            return target
        return _real_import("teachnn", globals, locals, (), 0)

    _builtins["__import__"] = _import
    _core = _load("core")
    _kw = {"include_hidden": True}
    if %(pass_seed)r:
        _kw["seed"] = %(seed)r
    return _core.collect_lessons(%(lessons)r, _namespace, **_kw)


from IPython.display import display as _teachnn_grade_display
_teachnn_grade_display({%(mime)r: {"nonce": %(nonce)r,
                                   "data": _teachnn_grade_collect_%(nonce)s(globals())}},
                       raw=True)
'''


def collector_cell(lessons, nonce, seed=None, pass_seed=False, sources=None) -> str:
    """The source of the collector cell for one notebook (``nonce``: hex, fresh per run)."""
    if not nonce.isalnum():
        raise ValueError("nonce must be alphanumeric")
    return _CELL % {"nonce": nonce, "sources": sources if sources is not None else engine_sources(),
                    "lessons": list(lessons), "seed": seed, "pass_seed": bool(pass_seed),
                    "mime": GRADE_MIME}
