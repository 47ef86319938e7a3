"""Generate lessons 02, 03, 04, 05, 07 and 11 (outputs cleared).

Run from the checkout root:  python lessons/_build_conv/build.py
Edit the lesson text in l02.py ... l11.py, never the .ipynb files directly.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import write_notebook  # noqa: E402
import l02, l03, l04, l05, l07, l11  # noqa: E402,E401

LESSONS = [l02, l03, l04, l05, l07, l11]


def main(argv=None):
    for lesson in LESSONS:
        path = write_notebook(lesson.FILENAME, lesson.PREFIX, lesson.CELLS)
        print("wrote", path)


if __name__ == "__main__":
    main()
