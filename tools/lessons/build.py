"""Regenerate every lesson notebook in lessons/ from the lesson modules beside this file.

    python tools/lessons/build.py            # from the checkout root: writes lessons/*.ipynb
    python tools/lessons/build.py --out DIR  # writes somewhere else (the tests compare)

A lesson module is any ``lNN.py`` here that defines FILENAME, PREFIX and CELLS; edit the
lesson text there, never the .ipynb files.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from common import write_notebook  # noqa: E402


def lesson_modules():
    """Every lesson module here, in lesson order."""
    names = sorted(p.stem for p in HERE.glob("l[0-9][0-9]*.py"))
    return [importlib.import_module(name) for name in names]


def build(out_dir: Path | None = None) -> list[Path]:
    return [write_notebook(m.FILENAME, m.PREFIX, m.CELLS, out_dir) for m in lesson_modules()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder to write into")
    args = parser.parse_args(argv)
    for path in build(args.out):
        print("wrote", path)


if __name__ == "__main__":
    main()
