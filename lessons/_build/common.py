"""Helpers that turn a list of (kind, text) cells into a clean .ipynb (outputs cleared).

Cell ids are deterministic ("l06-c07"), so re-running the generator gives the same file.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

LESSONS_DIR = Path(__file__).resolve().parent.parent

IMPORTS = """import teachnn as torch                 # PyTorch라면: import torch
import teachnn.nn as nn                 # PyTorch라면: import torch.nn as nn
import teachnn.nn.functional as F       # PyTorch라면: import torch.nn.functional as F"""

SOURCE_NOTE = ("> 이 강의의 흐름과 예제는 학습 노트 『PyTorch의 주요 모듈 2. torch.nn』"
               "(`notes/torch_nn_study_notes_ko.txt`)를 바탕으로 했습니다. 설명은 새로 썼습니다.")


def md(text: str) -> tuple[str, str]:
    return ("md", textwrap.dedent(text).strip("\n"))


def code(text: str) -> tuple[str, str]:
    return ("code", textwrap.dedent(text).strip("\n"))


def write_notebook(filename: str, prefix: str, cells: list[tuple[str, str]]) -> Path:
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, (kind, text) in enumerate(cells):
        cell_id = f"{prefix}-c{index:02d}"
        cell = new_markdown_cell(text, id=cell_id) if kind == "md" else new_code_cell(text, id=cell_id)
        nb.cells.append(cell)
    nbformat.validate(nb)
    path = LESSONS_DIR / filename
    with open(path, "w", encoding="utf-8") as handle:
        nbformat.write(nb, handle)
    return path
