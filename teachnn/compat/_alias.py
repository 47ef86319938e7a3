"""The import hook that lets ``import torch`` (and ``torchvision``) find teachnn.

A finder at the front of ``sys.meta_path`` answers every ``torch`` / ``torch.*`` import with
the matching ``teachnn`` module object itself (not a copy), so ``torch.nn is teachnn.nn`` and a
submodule is imported only when a program asks for it.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys

# alias prefix -> the teachnn package that stands in for it
ALIASES = {
    "torch": "teachnn",
    "torchvision": "teachnn.compat.torchvision",
}


def _target(fullname: str) -> str | None:
    """``torch.nn.functional`` -> ``teachnn.nn.functional``; None for names we do not alias."""
    for alias, target in ALIASES.items():
        if fullname == alias:
            return target
        if fullname.startswith(alias + "."):
            return target + fullname[len(alias):]
    return None


class _ExistingModuleLoader(importlib.abc.Loader):
    """Hands the import system a module that is already loaded under its teachnn name."""

    def __init__(self, module):
        self._module = module

    def create_module(self, spec):
        return self._module

    def exec_module(self, module):
        """Nothing to run: the teachnn module executed when it was imported under its own name."""


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``torch.*`` and ``torchvision.*`` imports to teachnn's modules."""

    def find_spec(self, fullname, path=None, target=None):
        name = _target(fullname)
        if name is None:
            return None
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise  # a real missing dependency inside teachnn: show it as it is
            alias = fullname.split(".")[0]
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: teachnn stands in for {alias} here and has no "
                f"{name!r} (it re-implements torch.nn and the parts of torch that lessons and "
                f"d2l.ai use). Run this program with real PyTorch to use {fullname!r}.",
                name=fullname) from None
        return importlib.machinery.ModuleSpec(fullname, _ExistingModuleLoader(module),
                                              is_package=hasattr(module, "__path__"))


def _real_module_loaded(alias: str):
    """The module imported as ``alias`` if it is not teachnn's stand-in, else None."""
    module = sys.modules.get(alias)
    if module is None:
        return None
    if getattr(module, "__name__", "").split(".")[0] == "teachnn":
        return None
    return module


def installed() -> bool:
    """True if the alias finder is on ``sys.meta_path``."""
    return any(isinstance(f, TorchAliasFinder) for f in sys.meta_path)


def install_torch_alias() -> None:
    """Make ``import torch`` and ``import torchvision`` give teachnn from now on, in this process.

    Raises ImportError if real PyTorch or torchvision has already been imported: teachnn tensors
    and PyTorch tensors cannot be mixed, and half a program on each would compute nonsense.
    """
    for alias in ALIASES:
        real = _real_module_loaded(alias)
        if real is not None:
            where = getattr(real, "__file__", None) or "?"
            raise ImportError(
                f"real {alias} is already imported in this process (from {where}), so teachnn "
                f"cannot stand in for it: the two libraries' tensors do not mix. Put "
                f"'import teachnn.as_torch' before the first 'import {alias}' (restart the "
                f"kernel in Jupyter), or run the script with 'python -m teachnn.as_torch "
                f"script.py'.")
    if installed():
        return
    sys.meta_path.insert(0, TorchAliasFinder())
    # Register what is already loaded, so `sys.modules["torch.nn"]` is there before any import.
    for name, module in list(sys.modules.items()):
        alias_name = _alias_of(name)
        if module is not None and alias_name is not None:
            sys.modules.setdefault(alias_name, module)


def _alias_of(name: str) -> str | None:
    """``teachnn.nn`` -> ``torch.nn``, ``teachnn.compat.torchvision.x`` -> ``torchvision.x``;
    None for teachnn's own helpers (``teachnn.compat``) and for other packages."""
    for alias, target in sorted(ALIASES.items(), key=lambda item: -len(item[1])):
        if name == target or name.startswith(target + "."):
            alias_name = alias + name[len(target):]
            return None if alias_name.startswith("torch.compat") else alias_name
    return None
