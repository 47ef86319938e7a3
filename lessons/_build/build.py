"""Regenerate lessons 00, 01, 06, 08, 09, 10 and 12 (outputs cleared).

    python lessons/_build/build.py          # from the checkout root

Lessons 02, 03, 04, 05, 07 and 11 have their own generator in lessons/_build_conv/.
"""
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import write_notebook  # noqa: E402

MODULES = ["l00", "l01", "l06", "l08", "l09", "l10", "l12"]


def main():
    for name in MODULES:
        module = importlib.import_module(name)
        path = write_notebook(module.FILENAME, module.PREFIX, module.CELLS)
        print("wrote", path)


if __name__ == "__main__":
    main()
