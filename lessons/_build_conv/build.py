"""Generate lessons 02, 03, 04, 05, 07 and 11 (outputs cleared).

Run from the checkout root:  python lessons/_build_conv/build.py
Edit the lesson text in convnb_l02.py ... convnb_l11.py, never the .ipynb files directly.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from convnb import write_notebook  # noqa: E402
import convnb_l02, convnb_l03, convnb_l04, convnb_l05, convnb_l07, convnb_l11  # noqa: E402,E401

LESSONS = [convnb_l02, convnb_l03, convnb_l04, convnb_l05, convnb_l07, convnb_l11]


def main(argv=None):
    for lesson in LESSONS:
        path = write_notebook(lesson.FILENAME, lesson.PREFIX, lesson.CELLS)
        print("wrote", path)


if __name__ == "__main__":
    main()
