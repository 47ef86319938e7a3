"""Helpers that turn a list of (kind, text) cells into a clean .ipynb file.

Cell ids are deterministic ("l02-c07"), outputs are empty and execution counts are None,
so re-running the generator gives a byte-identical file when the text did not change.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

LESSONS_DIR = Path(__file__).resolve().parent.parent

IMPORTS = """import teachnn as torch
import teachnn.nn as nn
import teachnn.nn.functional as F"""


def md(text: str) -> tuple[str, str]:
    return ("md", textwrap.dedent(text).strip("\n"))


def code(text: str) -> tuple[str, str]:
    return ("code", textwrap.dedent(text).strip("\n"))


def write_notebook(filename: str, prefix: str, cells: list[tuple[str, str]]) -> Path:
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, (kind, text) in enumerate(cells):
        cell_id = f"{prefix}-c{index:02d}"
        if kind == "md":
            cell = new_markdown_cell(text, id=cell_id)
        else:
            cell = new_code_cell(text, id=cell_id)
        nb.cells.append(cell)
    nbformat.validate(nb)
    path = LESSONS_DIR / filename
    with open(path, "w", encoding="utf-8") as handle:
        nbformat.write(nb, handle)
    return path
