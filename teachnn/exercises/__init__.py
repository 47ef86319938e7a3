"""Autograded exercises for the lessons and the teachers' grading command.

In a lesson notebook::

    from teachnn.exercises.lesson06 import q1, q2, q3, ____
    answer = ____        # replace ____ with your answer
    q1.check()           # 정답입니다 / 다시 확인해 보세요 / 아직 풀지 않았습니다
                         # (free text: 답을 적었습니다 — 모범 답안과 비교해 보세요)
    q1.hint(); q1.hint(2); q1.solution()

Teachers: ``teachnn-grade SUBMISSION.ipynb ... --out grades.csv`` (see ``grade.py``).
Lesson authors: read ``docs/exercises.md`` and ``problems/`` (one short file per kind).
"""
from .core import ____, NotAttemptedError  # noqa: F401

__all__ = ["____", "NotAttemptedError"]
