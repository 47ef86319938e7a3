"""The one template every lesson notebook is built from.

A lesson module (``lNN.py`` beside this file) defines ``FILENAME``, ``PREFIX`` and
``CELLS = [md("..."), code("..."), ...]``; ``build.py`` turns every such module into
``lessons/<FILENAME>`` with outputs cleared. Cell ids are deterministic ("l06-c07"), so
re-running the builder gives a byte-identical file when the text did not change.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

LESSONS_DIR = Path(__file__).resolve().parents[2] / "lessons"

NOTES = "스터디 노트 『PyTorch 공부 0 - torch.nn (1)』(thon, 2024-07-22)"

IMPORTS = """import teachnn as torch                 # PyTorch라면: import torch
import teachnn.nn as nn                 # PyTorch라면: import torch.nn as nn
import teachnn.nn.functional as F       # PyTorch라면: import torch.nn.functional as F"""


def md(text: str) -> tuple[str, str]:
    return ("markdown", textwrap.dedent(text).strip("\n"))


def code(text: str) -> tuple[str, str]:
    return ("code", textwrap.dedent(text).strip("\n"))


def from_notes(part: str) -> str:
    """Attribution of a lesson that follows part of the notes (``part`` names which)."""
    return f"> 바탕: {NOTES} — {part}. 설명 문장은 새로 썼습니다."


def beyond_notes(why: str) -> str:
    """Attribution of a lesson whose topic the notes do not contain."""
    return f"> 보충 강의: {NOTES}에는 없는 내용입니다. {why} 설명과 예제는 모두 새로 썼습니다."


def header(title: str, goals: list[str], source: str, uses: list[str] | None = None):
    """The first cell of every lesson: title, goals, what it uses (and where that was
    taught), and where the material comes from."""
    parts = [f"# {title}", "**이번 강의의 목표**\n" + "\n".join(f"- {g}" for g in goals)]
    if uses:
        parts.append("**이 강의에서 쓰는 것**\n" + "\n".join(f"- {u}" for u in uses))
    parts.append(source)
    return ("markdown", "\n\n".join(parts))


def write_notebook(filename: str, prefix: str, cells: list[tuple[str, str]],
                   out_dir: Path | None = None) -> Path:
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, (kind, text) in enumerate(cells):
        cell_id = f"{prefix}-c{index:02d}"
        if kind in ("markdown", "md"):
            cell = new_markdown_cell(text, id=cell_id)
        else:
            cell = new_code_cell(text, id=cell_id)
        nb.cells.append(cell)
    nbformat.validate(nb)
    path = Path(out_dir or LESSONS_DIR) / filename
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        nbformat.write(nb, handle)
    return path
