"""Lesson 13 (how a convolution gets fast): its exercises and its notebook.

* every exercise passes with the solution ``q.solution()`` shows, pasted as a learner would;
* typical wrong answers (off-by-one, wrong stride, transposed weight, a library shortcut) are
  graded incorrect with the intended Korean message;
* the placeholders read "not attempted", also inside an ``@njit`` function;
* the answer keys agree with teachnn's ``F.conv2d`` and, where installed, with PyTorch;
* the notebook's builder reproduces the stored notebook, which runs top to bottom.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from teachnn.exercises import lesson13
from teachnn.exercises.core import CORRECT, INCORRECT, UNATTEMPTED, WRITTEN, ____  # noqa: F401
from tests.parity import requires_torch, torch

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "lessons" / "13_fast_conv.ipynb"
PRELUDE = """
import numpy as np
from numba import njit
import teachnn as torch
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.exercises import ____
"""


def _namespace(code: str = "") -> dict:
    ns: dict = {"__name__": "__main__"}
    exec(PRELUDE + code, ns)
    return ns


def _evaluate(problem, code):
    return problem.evaluate(_namespace(code))


# ------------------------------------------------------------------------------------------
# Answer keys against the library (the keys themselves never call it)
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", lesson13.q2.cases + lesson13.q2.hidden_cases)
def test_conv_key_matches_teachnn(case):
    import teachnn
    import teachnn.nn.functional as F
    x, w, stride, padding = case()
    got = lesson13._conv2d_key(x, w, stride, padding)
    want = F.conv2d(teachnn.from_numpy(x), teachnn.from_numpy(w), stride=stride,
                    padding=padding).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@requires_torch
@pytest.mark.parametrize("case", lesson13.q2.cases + lesson13.q2.hidden_cases)
def test_conv_key_matches_pytorch(case):
    x, w, stride, padding = case()
    want = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=stride,
                                      padding=padding).numpy()
    np.testing.assert_allclose(lesson13._conv2d_key(x, w, stride, padding), want,
                               rtol=1e-4, atol=1e-4)


@requires_torch
@pytest.mark.parametrize("case", lesson13.q1.cases + lesson13.q1.hidden_cases)
def test_im2col_key_matches_pytorch_unfold(case):
    x, kh, kw, stride, padding = case()
    want = torch.nn.functional.unfold(torch.from_numpy(x)[None], (kh, kw), stride=stride,
                                      padding=padding)[0].numpy()
    np.testing.assert_allclose(lesson13._im2col_key(x, kh, kw, stride, padding), want)


def test_im2col_key_by_hand():
    # 1 channel, 3x3 input, 2x2 kernel, stride 1, no padding: 4 windows as columns
    x = np.arange(9, dtype=np.float32).reshape(1, 3, 3)
    col = lesson13._im2col_key(x, 2, 2, 1, 0)
    np.testing.assert_array_equal(col, [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]])


def test_col_size_key():
    assert lesson13.q4.expected() == 576 * 3136


# ------------------------------------------------------------------------------------------
# Solutions pass, placeholders read "not attempted"
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("problem", lesson13.PROBLEMS, ids=lambda p: p.name)
def test_solution_is_accepted(problem):
    if problem.kind == "words":
        result = problem.evaluate(_namespace(f"{problem.var} = {problem.model_answer!r}"))
        # free text is never judged right: it is shown beside the model answer
        assert result.status == WRITTEN and not result.correct, result.text()
        assert result.model_answer == problem.model_answer
    else:
        result = _evaluate(problem, problem.solution_text)
        assert result.status == CORRECT, result.text()


@pytest.mark.parametrize("problem", lesson13.PROBLEMS, ids=lambda p: p.name)
def test_placeholder_reads_not_attempted(problem):
    result = _evaluate(problem, f"{problem.var} = ____")
    assert result.status == UNATTEMPTED, result.text()


def test_notebook_templates_read_not_attempted():
    """The exercise cells exactly as the notebook ships them."""
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    sources = {p.var: None for p in lesson13.PROBLEMS}
    for cell in nb.cells:
        for var in sources:
            if cell.cell_type == "code" and (f"def {var}(" in cell.source
                                             or cell.source.startswith(f"{var} = ")):
                sources[var] = cell.source
    for cell in nb.cells:       # q3's cell starts with the two loop orders
        if cell.cell_type == "code" and "faster_order = ____" in cell.source:
            sources["faster_order"] = cell.source
    for problem in lesson13.PROBLEMS:
        source = sources[problem.var]
        assert source is not None, problem.var
        ns = _namespace(source.replace(f"{problem.name}.check()", ""))
        assert problem.evaluate(ns).status == UNATTEMPTED, problem.var


# ------------------------------------------------------------------------------------------
# Typical wrong answers
# ------------------------------------------------------------------------------------------
_CONV = lesson13._CONV_SOLUTION
_IM2COL = lesson13._IM2COL_SOLUTION

WRONG_CONV = {
    "off-by-one": (_CONV.replace("oH = (H + 2 * padding - kh) // stride + 1",
                                 "oH = (H + 2 * padding - kh) // stride"),
                   "모양(shape)이 다릅니다"),
    "stride ignored": (_CONV.replace("r = i * stride + u - padding", "r = i + u - padding")
                       .replace("q = j * stride + v - padding", "q = j + v - padding"),
                       "처음 틀린 곳은 출력 칸 [n, m, i, j] = [0, 0, 0, 1]"),
    "transposed weight": (_CONV.replace("wv = w[m, c, u, v]", "wv = w[m, c, v, u]"),
                          "처음 틀린 곳은 출력 칸 [n, m, i, j] = [0, 0, 0, 0]"),
    "padding ignored in the index": (_CONV.replace("r = i * stride + u - padding", "r = i * stride + u"),
                                     "테스트 2번"),
    # right on the visible cases (strides 1 and 2), wrong on a hidden one (stride 3)
    "stride 3 read as 2": (_CONV.replace("N, C, H, W = x.shape", "N, C, H, W = x.shape\n"
                                         "    step = min(stride, 2)")
                           .replace("r = i * stride", "r = i * step").replace("q = j * stride", "q = j * step"),
                           "공개되지 않은 추가 테스트 1개에서 결과가 다릅니다"),
    "no @njit": (_CONV.replace("@njit\n", ""), "@njit를 붙이고"),
    "the library itself": ("my_conv2d = F.conv2d", "라이브러리 함수(teachnn"),
    "a wrapper around the library": (
        "def my_conv2d(x, w, stride, padding):\n"
        "    return F.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=stride,"
        " padding=padding).numpy()", "라이브러리 함수(teachnn"),
    "the kernel module": (
        "from teachnn.kernels import fast_conv as _k\n"
        "def my_conv2d(x, w, stride, padding):\n"
        "    return _k.conv_forward(x[:, :, None], w[:, :, None], None, (1, stride, stride),\n"
        "                           ((0, 0), (padding, padding), (padding, padding)), (1, 1, 1), 1)[:, :, 0]",
        "라이브러리 함수(teachnn"),
    "a module": ("def my_conv2d(x, w, stride, padding):\n"
                 "    conv = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2:], stride=stride, padding=padding,"
                 " bias=False)\n"
                 "    conv.weight.data = w\n"
                 "    return conv(torch.from_numpy(x)).detach().numpy()", "라이브러리 함수(teachnn"),
}


@pytest.mark.parametrize("name", sorted(WRONG_CONV))
def test_wrong_conv_gets_the_intended_message(name):
    code, message = WRONG_CONV[name]
    result = _evaluate(lesson13.q2, code)
    assert result.status == INCORRECT, result.text()
    assert message in result.text(), result.text()


@requires_torch
def test_pytorch_shortcut_is_refused():
    code = ("import torch as real_torch\n"
            "def my_conv2d(x, w, stride, padding):\n"
            "    t = real_torch.nn.functional.conv2d(real_torch.from_numpy(x), real_torch.from_numpy(w),"
            " stride=stride, padding=padding)\n"
            "    return t.numpy()")
    result = _evaluate(lesson13.q2, code)
    assert result.status == INCORRECT and "라이브러리 함수(torch" in result.text(), result.text()
    code = ("import torch as real_torch\n"
            "def im2col(x, kh, kw, stride, padding):\n"
            "    t = real_torch.nn.functional.unfold(real_torch.from_numpy(x)[None], (kh, kw),"
            " stride=stride, padding=padding)\n"
            "    return t[0].numpy()")
    result = _evaluate(lesson13.q1, code)
    assert result.status == INCORRECT and "unfold" in result.text(), result.text()


WRONG_IM2COL = {
    "stride ignored": (_IM2COL.replace("u:u + stride * oH:stride", "u:u + oH")
                       .replace("v:v + stride * oW:stride", "v:v + oW"),
                       "col[0, 5] (행 0 = 채널 c=0, 커널 칸 (u, v)=(0, 0); 열 5 = 출력 칸 (i, j)=(1, 1))"),
    "no padding": (_IM2COL.replace("xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))",
                                   "xp = x"), "오류가 났습니다"),
    "rows in (u, v, c) order": (_IM2COL.replace("col = np.empty((C, kh, kw, oH, oW), dtype=x.dtype)",
                                                "col = np.empty((kh, kw, C, oH, oW), dtype=x.dtype)")
                                .replace("col[:, u, v] =", "col[u, v] ="),
                                "처음 틀린 곳은 col[1, 4] (행 1 = 채널 c=0, 커널 칸 (u, v)=(0, 1)"),
}


@pytest.mark.parametrize("name", sorted(WRONG_IM2COL))
def test_wrong_im2col_gets_the_intended_message(name):
    code, message = WRONG_IM2COL[name]
    result = _evaluate(lesson13.q1, code)
    assert result.status == INCORRECT, result.text()
    assert message in result.text(), result.text()


def test_wrong_col_size_gets_the_intended_message():
    result = _evaluate(lesson13.q4, "col_numbers = 576 * 54 * 54")
    assert result.status == INCORRECT and "padding=1을 빠뜨렸습니다" in result.text()


def test_words_answer_without_reason_is_not_accepted_silently():
    # free text is left to the teacher: a reason-less answer is shown beside the model
    # answer with a note that key ideas are missing, and it earns no point
    result = _evaluate(lesson13.q3, 'faster_order = "B가 빠릅니다. 그냥요."')
    assert result.status == WRITTEN and not result.correct, result.text()
    assert "참고:" in result.text() and "모범 답안" in result.text()


def test_guard_leaves_no_profiler_behind():
    before = sys.getprofile()
    _evaluate(lesson13.q2, WRONG_CONV["a wrapper around the library"][0])
    _evaluate(lesson13.q2, _CONV)
    assert sys.getprofile() is before

# The notebook itself (built by tools/lessons/build.py, executed top to bottom with every
# check reading "not attempted") is tested with every other lesson in tests/test_lessons.py.
