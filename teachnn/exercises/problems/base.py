"""The base class of every exercise: variable lookup, check/hint/solution, collect/grade.

Checking is two steps.  ``collect(namespace)`` runs where the learner's code lives and turns
their variable into plain data (a function's *outputs* on the cases, a module's parameters
and outputs).  ``grade(payload)`` runs in the grader's process and compares that data with
values computed from the reference.  ``check()`` does both, through the same JSON round trip
the grader uses, so the notebook sees exactly the grade the teacher will.
"""
from __future__ import annotations

import inspect
import sys

from ..display import INCORRECT, UNATTEMPTED, Result, _Note, error_lines, show
from ..placeholder import _is_not_attempted, contains_placeholder
from ..running import _error_text
from ..transport import ErrorSnap, NotAttempted, roundtrip, snapshot


def _with_seed(method, *args, seed):
    """Call ``method(*args, seed)``, or ``method(*args)`` for a subclass written before
    seeds existed (its ``_grade(self, payload)`` keeps working)."""
    try:
        takes_seed = len(inspect.signature(method).parameters) > len(args)
    except (TypeError, ValueError):
        takes_seed = True
    return method(*args, seed) if takes_seed else method(*args)


class Problem:
    """Base class: variable lookup, check/hint/solution, collect/grade split."""

    kind = "problem"

    def __init__(self, var, *, title="", hints=(), solution="", points=1):
        self.var = var
        self.title = title
        self.hints = list(hints)
        self.solution_text = solution
        self.points = points
        self.name = None          # set by finalize(): "q1"
        self.lesson = None        # set by finalize(): "lesson06"
        self.last_result = None

    # -- identity --
    @property
    def qualname(self):
        return f"{self.lesson}.{self.name}" if self.lesson else (self.name or self.var)

    def _label(self):
        label = f"{self.name}" if self.name else ""
        if self.title:
            label = f"{label} {self.title}".strip()
        return label

    # -- the two steps --
    def _lookup(self, namespace):
        if self.var not in namespace:
            return NotAttempted(f"변수 `{self.var}`이(가) 아직 없습니다. 답을 적은 셀을 먼저 실행하세요.")
        value = namespace[self.var]
        if contains_placeholder(value):
            return NotAttempted("____")
        return value

    def collect(self, namespace, include_hidden=True, seed=None):
        """Learner's variables -> plain data (runs where the learner's code lives).

        ``seed`` (the teacher's, at grading time) draws fresh hidden cases; ``None`` uses
        the cases shipped with the exercise."""
        value = self._lookup(namespace)
        if isinstance(value, NotAttempted):
            return value
        try:
            return _with_seed(self._collect, value, include_hidden, seed=seed)
        except RecursionError:
            return ErrorSnap("RecursionError", "재귀 호출이 너무 깊습니다")
        except Exception as exc:
            if _is_not_attempted(exc):
                return NotAttempted("____")
            return ErrorSnap(type(exc).__name__, _error_text(exc))

    def _collect(self, value, include_hidden, seed):
        return snapshot(value)

    def grade(self, payload, seed=None):
        """Plain data -> Result (runs in the grader's process; the only place truth lives)."""
        if isinstance(payload, NotAttempted):
            lines = [f"`{self.var}`의 ____ 자리를 채운 뒤 다시 실행해 보세요."]
            if payload.reason and payload.reason != "____":
                lines = [payload.reason]
            return Result(UNATTEMPTED, self._label(), lines)
        if isinstance(payload, ErrorSnap):
            return Result(INCORRECT, self._label(), error_lines(
                "코드를 실행하다가 오류가 났습니다", payload) + [
                f"힌트: 오류 메시지가 알려 주는 곳을 고쳐 보세요. 막히면 {self.name or 'q'}.hint()를 실행해 보세요."])
        try:
            return _with_seed(self._grade, payload, seed=seed)
        except Exception as exc:      # a bug in a problem definition must not hide the rest
            return Result(INCORRECT, self._label(),
                          [f"채점 중 문제가 생겼습니다({type(exc).__name__}: {_error_text(exc)}). "
                           "선생님께 알려 주세요."])

    def _grade(self, payload, seed):
        raise NotImplementedError

    def evaluate(self, namespace, include_hidden=True, seed=None):
        """collect + JSON round trip + grade, without display (used by check and tests)."""
        payload = roundtrip(self.collect(namespace, include_hidden, seed))
        result = self.grade(payload, seed)
        self.last_result = result
        return result

    # -- what the learner calls --
    def check(self, namespace=None):
        """Check the answer written in the notebook (reads the caller's globals)."""
        if namespace is None:
            namespace = sys._getframe(1).f_globals
        show(self.evaluate(namespace))

    def hint(self, n=1):
        """Show hint number ``n`` (1 = the gentlest)."""
        if not self.hints:
            show(_Note("힌트", self._label(), ["이 문제에는 힌트가 없습니다."]))
            return
        try:
            n = int(n)
        except (TypeError, ValueError):
            n = 1
        n = min(max(n, 1), len(self.hints))
        lines = [self.hints[n - 1]]
        if n < len(self.hints):
            lines.append(f"(더 자세한 힌트: {self.name or 'q'}.hint({n + 1}))")
        show(_Note(f"힌트 {n}/{len(self.hints)}", self._label(), lines))

    def solution(self):
        """Show the model solution (정답 예시)."""
        show(_Note("정답 예시", self._label(), [], code=self.solution_text or "(정답 예시가 없습니다)"))

    def __repr__(self):
        return (f"<연습 문제 {self.qualname}: {self.title or self.var} — "
                f"{self.name or 'q'}.check(), .hint(), .solution()>")
