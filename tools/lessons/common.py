"""The one template every lesson notebook is built from.

A lesson module (``lNN.py`` beside this file) defines ``FILENAME``, ``PREFIX`` and
``CELLS = [md("..."), code("..."), ...]``; ``build.py`` turns every such module into
``lessons/<FILENAME>`` with outputs cleared. Cell ids are deterministic ("l06-c07"), so
re-running the builder gives a byte-identical file when the text did not change.
"""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

LESSONS_DIR = Path(__file__).resolve().parents[2] / "lessons"

NOTES = "스터디 노트 『PyTorch 공부 0 - torch.nn (1)』(thon, 2024-07-22)"

IMPORTS = """import teachnn as torch                 # PyTorch라면: import torch
import teachnn.nn as nn                 # PyTorch라면: import torch.nn as nn
import teachnn.nn.functional as F       # PyTorch라면: import torch.nn.functional as F"""


# code spans, maths and fenced blocks are left exactly as written by tidy()
_PROTECTED = re.compile(r"『[^』]*』|```.*?```|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]*\$", re.S)
# one space between a word and "(": Korean writing attaches the bracket to the word
# (arithmetic such as "(1+2)/4" and maths are left alone)
_SPACE_PAREN = re.compile(r"(?<=[가-힣A-Za-z*`]) \((?=[가-힣A-Za-z`]|\d+강)")


def tidy(text: str) -> str:
    """The lessons' one spacing rule: "합성곱(convolution)", never "합성곱 (convolution)"."""
    protected = [m.span() for m in _PROTECTED.finditer(text)]
    drop = [m.start() for m in _SPACE_PAREN.finditer(text)
            if not any(a <= m.start() < b for a, b in protected)]
    for i in reversed(drop):
        text = text[:i] + text[i + 1:]
    return text


def md(text: str) -> tuple[str, str]:
    return ("markdown", tidy(textwrap.dedent(text).strip("\n")))


def predict(question: str) -> tuple[str, str]:
    """A "predict, then run" prompt placed just before the cell that answers it."""
    return md("**예측해 보세요.** " + textwrap.dedent(question).strip()
              + "\n\n먼저 답을 정한 다음, 아래 셀을 실행해 맞았는지 확인하세요.")


def next_lesson(filename: str | None, what: str) -> tuple[str, str]:
    """The link every lesson ends its summary with."""
    if filename is None:
        return md(f"**다음 강의:** {what}")
    return md(f"**다음 강의:** [{filename[:-len('.ipynb')]}]({filename}) — {what}")


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
    return ("markdown", tidy("\n\n".join(parts)))


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
