"""The exercise engine's public face: ``from teachnn.exercises.core import ...``.

The engine lives in small modules, one idea each (read them in this order):

    placeholder.py     ``____`` and "not attempted"
    transport.py       snapshots of the learner's values and their JSON transport
    compare.py         learner's value vs expected value -> one Korean sentence
    display.py         Result (정답 / 다시 확인 / 아직 / 답을 적었습니다) and its HTML
    running.py         running learner code safely; tensor_case, random_tensor
    guard.py           "write it yourself": forbidden functions, own autograd Functions
    problems/          ValueProblem, FunctionProblem, ModuleProblem, WordsProblem
    registry.py        finalize() for lesson modules; the grader's entry points

A teacher writing an exercise needs only ``problems/`` and the guide in ``docs/exercises.md``.
This module re-exports every name lesson modules and the grader use.
"""
from __future__ import annotations

from .compare import _as_number, _kind_name, _object, _position_text, _shape_text, _short, compare  # noqa: F401
from .display import (CORRECT, HEADERS, INCORRECT, UNATTEMPTED, WRITTEN, Result, _in_kernel,  # noqa: F401
                      _Note, error_gist, error_lines, show)
from .guard import Forbidden, ForbiddenCallError  # noqa: F401
from .placeholder import (NotAttemptedError, _is_not_attempted, _is_placeholder, _Placeholder,  # noqa: F401
                          ____, contains_placeholder)
from .problems import (Claim, FunctionProblem, ModuleProblem, Problem, ValueProblem,  # noqa: F401
                       WordsProblem, says, says_not)
from .problems.module import _issubclass_module  # noqa: F401
from .registry import collect_lessons, finalize, grade_payloads, lesson_problems  # noqa: F401
from .running import (_error_text, call_safely, describe_args, lazy, materialize,  # noqa: F401
                      random_tensor, tensor_case)
from .transport import (_SAFE_DTYPES, ErrorSnap, NotAttempted, Opaque, TensorSnap,  # noqa: F401
                        _is_tensor, _tensor_class, decode, encode, roundtrip, snapshot)

# the names core.py had before it was split
_contains_placeholder = contains_placeholder
_call_safely, _materialize, _describe_args, _lazy = call_safely, materialize, describe_args, lazy

__all__ = ["____", "NotAttemptedError", "Problem", "ValueProblem", "FunctionProblem",
           "ModuleProblem", "WordsProblem", "Result", "finalize", "tensor_case",
           "random_tensor", "says", "says_not", "collect_lessons", "grade_payloads",
           "lesson_problems", "CORRECT", "INCORRECT", "UNATTEMPTED", "WRITTEN", "HEADERS"]
