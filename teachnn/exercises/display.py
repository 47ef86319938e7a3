"""What ``check()``, ``hint()`` and ``solution()`` show: :class:`Result` and its display.

A Result has a status (``CORRECT``, ``INCORRECT``, ``UNATTEMPTED`` or ``WRITTEN`` for a
free-text answer that only a person can grade), a header, message lines and an optional code
block.  In Jupyter it renders as HTML (text between backticks becomes ``<code>``); elsewhere
as plain text.
"""
from __future__ import annotations

import html
import re
import sys

CORRECT, INCORRECT, UNATTEMPTED = "correct", "incorrect", "unattempted"
WRITTEN = "written"          # a free-text answer: shown beside the model answer, never graded
HEADERS = {CORRECT: "정답입니다", INCORRECT: "다시 확인해 보세요",
           UNATTEMPTED: "아직 풀지 않았습니다",
           WRITTEN: "답을 적었습니다 — 모범 답안과 비교해 보세요"}
_MARKS = {CORRECT: "[O]", INCORRECT: "[X]", UNATTEMPTED: "[ ]", WRITTEN: "[~]"}
_COLORS = {CORRECT: "#1a7f37", INCORRECT: "#cf222e", UNATTEMPTED: "#6e7781", WRITTEN: "#9a6700"}


def _inline_html(text):
    """Escape ``text`` and render `code` spans as <code>."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:            # an unmatched backtick: show it as it is
        return html.escape(str(text))
    return "".join(html.escape(p) if i % 2 == 0 else f"<code>{html.escape(p)}</code>"
                   for i, p in enumerate(parts))


class Result:
    """What ``check()`` shows: a status header, message lines and an optional code block.

    For a free-text answer (status ``WRITTEN``) ``answer_text`` is the learner's text and
    ``model_answer`` the author's; both are shown side by side."""

    def __init__(self, status, title="", lines=(), code=None, code_label=None, *,
                 answer_text=None, model_answer=None):
        self.status = status
        self.title = title
        self.lines = [str(l) for l in lines]
        self.code = code
        self.code_label = code_label
        self.answer_text = answer_text
        self.model_answer = model_answer

    @property
    def header(self):
        return HEADERS.get(self.status, self.status)

    @property
    def correct(self):
        return self.status == CORRECT

    def text(self):
        mark = _MARKS.get(self.status, "[-]")
        head = f"{mark} {self.header}" + (f" — {self.title}" if self.title else "")
        out = [head] + [f"  {l}" for l in self.lines]
        if self.answer_text is not None:
            out.append(f"  내 답: {self.answer_text}")
        if self.model_answer is not None:
            out.append(f"  모범 답안: {self.model_answer}")
        if self.code:
            if self.code_label:
                out.append(f"  {self.code_label}:")
            out += ["    " + l for l in self.code.splitlines()]
        return "\n".join(out)

    __str__ = text

    def __repr__(self):
        return self.text()

    def _repr_html_(self):
        color = _COLORS.get(self.status, "#444")
        parts = [f'<div style="border-left:4px solid {color};padding:4px 10px;margin:4px 0">',
                 f'<b style="color:{color}">{html.escape(self.header)}</b>']
        if self.title:
            parts.append(f' <span style="color:#6e7781">— {_inline_html(self.title)}</span>')
        for l in self.lines:
            parts.append(f"<div>{_inline_html(l)}</div>")
        if self.answer_text is not None or self.model_answer is not None:
            cell = 'style="vertical-align:top;padding:4px 8px;border:1px solid #d0d7de;width:50%"'
            parts.append('<table style="border-collapse:collapse;margin:4px 0;width:100%">'
                         f"<tr><th {cell}>내 답</th><th {cell}>모범 답안</th></tr>"
                         f"<tr><td {cell}>{html.escape(self.answer_text or '')}</td>"
                         f"<td {cell}>{_inline_html(self.model_answer or '')}</td></tr></table>")
        if self.code:
            if self.code_label:
                parts.append(f"<div><i>{html.escape(self.code_label)}</i></div>")
            parts.append(f"<pre style='margin:4px 0'>{html.escape(self.code)}</pre>")
        parts.append("</div>")
        return "".join(parts)


class _Note(Result):
    """A hint or a solution: same display, a neutral header."""

    def __init__(self, header, title, lines=(), code=None):
        super().__init__("note", title, lines, code)
        self._header = header

    @property
    def header(self):
        return self._header

    def _repr_html_(self):
        text = super()._repr_html_()
        return text.replace('border-left:4px solid #444', 'border-left:4px solid #0969da')


def _in_kernel() -> bool:
    ip = sys.modules.get("IPython")
    if ip is None:
        return False
    try:
        shell = ip.get_ipython()
    except Exception:
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def show(obj):
    """HTML (with a text fallback) inside Jupyter, plain text elsewhere."""
    if _in_kernel():
        from IPython.display import display
        display(obj)
    else:
        print(obj.text())


# ----------------------------------------------------------------------------------------
# A Korean one-line gist before an English error message
# ----------------------------------------------------------------------------------------
_GIST_BY_TEXT = [
    (r"shape|size mismatch|mat1 and mat2|broadcast|dimension|dim\b|expects input of shape",
     "텐서의 모양(shape)이 연산에 맞지 않습니다. 각 단계의 모양을 print로 찍어 보세요."),
    (r"dtype|floating-point|Long|Float|Double", "텐서의 자료형(dtype)이 연산에 맞지 않습니다."),
    (r"not defined", "정의되지 않은 이름을 썼습니다. 철자와, 그 이름을 만든 셀을 먼저 실행했는지 확인하세요."),
    (r"has no attribute|object has no", "그 객체에 없는 속성이나 메서드를 불렀습니다. 이름을 확인하세요."),
    (r"not callable", "함수가 아닌 것을 함수처럼 불렀습니다(괄호를 확인하세요)."),
    (r"unexpected keyword|got an unexpected|positional argument|required positional",
     "함수에 넘긴 인자의 개수나 이름이 맞지 않습니다."),
    (r"super\(\)\.__init__|before Module\.__init__|cannot assign module before",
     "부모 클래스의 __init__이 아직 실행되지 않았습니다: __init__의 첫 줄에서 super().__init__()을 부르세요."),
    (r"out of range|index", "인덱스가 범위를 벗어났습니다."),
]
_GIST_BY_TYPE = {
    "NameError": "정의되지 않은 이름을 썼습니다. 철자와, 그 이름을 만든 셀을 먼저 실행했는지 확인하세요.",
    "AttributeError": "그 객체에 없는 속성이나 메서드를 불렀습니다.",
    "TypeError": "자료형이나 인자가 맞지 않는 연산·호출이 있습니다.",
    "ValueError": "값이나 모양이 함수가 기대한 것과 다릅니다.",
    "IndexError": "인덱스가 범위를 벗어났습니다.",
    "KeyError": "딕셔너리에 없는 키를 썼습니다.",
    "ZeroDivisionError": "0으로 나누었습니다.",
    "RecursionError": "함수가 자기 자신을 끝없이 부르고 있습니다(재귀가 너무 깊습니다).",
    "RuntimeError": "실행 중 문제가 생겼습니다.",
    "NotImplementedError": "아직 구현되지 않은 부분(예: forward나 backward)이 불렸습니다.",
    "AssertionError": "assert 조건이 거짓이었습니다.",
}
_HANGUL = re.compile("[가-힣]")


def error_gist(type_name, message=""):
    """A Korean one-line summary of an exception (None when the message is Korean already:
    mostly Hangul, not just a Korean prefix before an English error)."""
    hangul = len(_HANGUL.findall(message or ""))
    latin = len(re.findall("[A-Za-z]", message or ""))
    if hangul and hangul >= latin:
        return None
    for pattern, gist in _GIST_BY_TEXT:
        if re.search(pattern, message or ""):
            return gist
    return _GIST_BY_TYPE.get(type_name, "실행 중 오류가 났습니다.")


def error_lines(prefix, err):
    """``prefix: error``, with a Korean gist first when the error text is English."""
    gist = error_gist(err.type_name, err.message)
    if gist is None:
        return [f"{prefix}: {err.text()}"]
    return [f"{prefix}: {gist}", f"(원래 오류: {err.text()})"]
