"""``import teachnn.as_torch``: from here on ``import torch`` gives teachnn (and ``torchvision``
teachnn's small stand-in). ``python -m teachnn.as_torch script.py [args]`` runs a script so.

The alias is refused (ImportError) if real PyTorch is already imported in the process.
"""
import os
import runpy
import sys

from .compat import install_torch_alias

install_torch_alias()


def main(argv=None):
    """Run ``argv[0]`` as ``__main__`` with ``torch`` aliased to teachnn, like ``python script.py``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m teachnn.as_torch script.py [args...]\n"
              "Runs script.py with 'import torch' and 'import torchvision' giving teachnn.")
        return 0 if argv else 2
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))  # as `python script.py` sets it
    runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
