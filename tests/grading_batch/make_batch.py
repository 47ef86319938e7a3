"""Writes the made-up submissions in this folder (run from the checkout root):

    python tests/grading_batch/make_batch.py

Each notebook imitates a learner's copy of lesson 00.  ``expected_grades.csv`` is written
by hand, from what each submission does, not by running the grader.
"""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
IMPORT = "from teachnn.exercises.lesson00 import q1, q2, q3, q4, ____"


def write(name, cells):
    nb = new_notebook(cells=[new_markdown_cell("# 00 시작하기 (제출본)")] +
                      [new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(HERE / name))


SUBMISSIONS = {
    # everything right
    "perfect.ipynb": [
        IMPORT,
        "n_lessons = 15\nq1.check()",
        "grid_shape = (2, 3)\nq2.check()",
        "def double(x):\n    return x * 2\nq3.check()",
        "what_changes = 'import 줄만 바꾸면 된다: import teachnn as torch'\nq4.check()",
    ],
    # q1 right, q2 a typical mistake, q3 passes the visible cases only, q4 untouched
    "partial.ipynb": [
        IMPORT,
        "n_lessons = 15\nq1.check()",
        "grid_shape = (3, 2)\nq2.check()",
        "def double(x):\n    if x == 3:\n        return 6\n    return x + x if x < 0 else x\nq3.check()",
        "what_changes = ____\nq4.check()",
    ],
    # opened and saved without answering
    "empty.ipynb": [
        IMPORT,
        "n_lessons = ____\nq1.check()",
        "grid_shape = ____\nq2.check()",
        "def double(x):\n    return ____\nq3.check()",
        "what_changes = ____\nq4.check()",
    ],
    # q1 right; a syntax error in the q2 cell and in the q3 cell; q4 right
    "syntax_error.ipynb": [
        IMPORT,
        "n_lessons = 15\nq1.check()",
        "grid_shape = (2, 3\nq2.check()",
        "def double(x)\n    return x * 2",
        "what_changes = '맨 위의 import 줄만 바꾼다'\nq4.check()",
    ],
    # q1 right, then a cell that never ends (interrupted), then q2 right
    "infinite_loop.ipynb": [
        IMPORT,
        "n_lessons = 15",
        "while True:\n    pass",
        "grid_shape = (2, 3)",
    ],
    # wrong answers, and tries to fool the checker in three ways
    "tamper.ipynb": [
        IMPORT,
        "n_lessons = 99\nq1.check = lambda *args, **kw: print('정답입니다')\nq1.check()",
        "import teachnn.exercises.core as core\n"
        "core.compare = lambda *args, **kw: None\n"
        "core.ValueProblem._grade = lambda self, payload: core.Result(core.CORRECT)\n"
        "grid_shape = 'anything'\nq2.check()",
        "def double(x):\n    return {3: 6, -1.5: -3.0}.get(x, 0)   # only the visible cases",
        "what_changes = 'x'",
    ],
    # the kernel dies half way
    "kernel_crash.ipynb": [
        IMPORT,
        "n_lessons = 15",
        "import os\nos._exit(1)",
        "grid_shape = (2, 3)",
    ],
}


def main():
    for name, cells in SUBMISSIONS.items():
        write(name, cells)
    (HERE / "not_a_notebook.ipynb").write_text("{ this is not json", encoding="utf-8")


if __name__ == "__main__":
    main()
