"""Lesson modules and the grader's entry points.

``finalize(globals())`` ends every ``lessonNN.py``.  The teacher's grader calls
``collect_lessons`` inside the learner's kernel and ``grade_payloads`` in its own process;
only the JSON text travels between them.
"""
from __future__ import annotations

import importlib
import json

from .display import INCORRECT, UNATTEMPTED, Result
from .placeholder import ____
from .problems import Problem
from .running import _error_text
from .transport import ErrorSnap, decode, encode


def finalize(namespace):
    """Call at the end of ``lessonNN.py``: names ``q1, q2, ...`` and builds ``PROBLEMS``."""
    lesson = namespace["__name__"].rsplit(".", 1)[-1]
    problems = []
    for key, value in list(namespace.items()):
        if isinstance(value, Problem) and key.startswith("q") and key[1:].isdigit():
            value.name, value.lesson = key, lesson
            problems.append(value)
    problems.sort(key=lambda p: int(p.name[1:]))
    namespace["PROBLEMS"] = problems
    namespace["____"] = ____
    return problems


def lesson_problems(lesson):
    """``"lesson06"`` -> the list of Problems of that lesson module."""
    module = importlib.import_module(f"teachnn.exercises.{lesson}")
    return list(module.PROBLEMS)


def collect_lessons(lessons, namespace, include_hidden=True, seed=None) -> str:
    """In the learner's kernel: every problem's payload, as JSON text.

    ``seed``: the teacher's seed; hidden cases are drawn from it (pass the same seed to
    :func:`grade_payloads`)."""
    out = {}
    for lesson in lessons:
        try:
            problems = lesson_problems(lesson)
        except Exception as exc:
            out[lesson] = {"$error": f"{type(exc).__name__}: {_error_text(exc)}"}
            continue
        out[lesson] = {p.name: encode(p.collect(namespace, include_hidden, seed)) for p in problems}
    return json.dumps(out)


def grade_payloads(data, lessons=None, seed=None) -> dict:
    """In the grader: ``{lesson: {q: payload}}`` (decoded JSON) -> ``{"lesson.q": Result}``.

    Only ``lessons`` (the grader's own list) are graded: names inside the data are not
    trusted.  ``seed`` must be the one given to :func:`collect_lessons`."""
    results = {}
    if not isinstance(data, dict):
        data = {}
    for lesson in (lessons if lessons is not None else list(data)):
        items = data.get(lesson, {"$error": "missing"})
        problems = lesson_problems(lesson)
        if not isinstance(items, dict) or "$error" in items:
            for p in problems:
                results[p.qualname] = Result(INCORRECT, p._label(), ["채점용 데이터를 모으지 못했습니다."])
            continue
        for p in problems:
            if p.name in items:
                try:
                    payload = decode(items[p.name])
                except Exception:
                    payload = ErrorSnap("DataError", "제출 데이터를 읽을 수 없습니다")
                results[p.qualname] = p.grade(payload, seed)
            else:
                results[p.qualname] = Result(UNATTEMPTED, p._label(), ["답을 찾지 못했습니다."])
    return results
