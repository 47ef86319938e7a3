"""``import teachnn.as_torch``: from here on ``import torch`` gives teachnn (and ``torchvision``
teachnn's small stand-in). ``python -m teachnn.as_torch script.py [args]`` (or ``-m module [args]``) runs a program so.

The alias is refused (ImportError) if real PyTorch is already imported in the process.
"""
import os
import runpy
import sys

from .compat import install_torch_alias

install_torch_alias()


def main(argv=None):
    """Run a script (``python script.py``) or, after ``-m``, a module (``python -m module``) as
    ``__main__``, with ``torch`` aliased to teachnn."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help") or argv == ["-m"]:
        print("usage: python -m teachnn.as_torch script.py [args...]\n"
              "       python -m teachnn.as_torch -m module [args...]\n"
              "Runs the program with 'import torch' and 'import torchvision' giving teachnn.")
        return 0 if argv and argv[0] != "-m" else 2
    if argv[0] == "-m":
        sys.argv = list(argv[1:])
        sys.path[0] = os.getcwd()  # as `python -m module` sets it
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))  # as `python script.py` sets it
    runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
