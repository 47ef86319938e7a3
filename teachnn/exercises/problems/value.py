"""ValueProblem: a number, string, shape, array or Tensor the learner works out."""
from __future__ import annotations

from ..compare import compare
from ..display import CORRECT, INCORRECT, Result
from ..running import lazy
from ..transport import snapshot
from .base import Problem


class ValueProblem(Problem):
    """A value or tensor, compared with a tolerance (type, then shape, then dtype, then values).

    ``reveal_shape`` is False by default: a value exercise is usually a hand calculation,
    and the expected shape (or how far off a number is) would give part of the answer away.
    ``mistakes=[(wrong_value, "explanation"), ...]`` explains typical wrong answers."""

    kind = "value"

    def __init__(self, var, expected, *, atol=1e-5, rtol=1e-4, check_dtype=True,
                 reveal_shape=False, mistakes=(), **kw):
        super().__init__(var, **kw)
        self._expected = expected
        self._expected_cache = None
        self.atol, self.rtol = atol, rtol
        self.check_dtype, self.reveal_shape = check_dtype, reveal_shape
        self.mistakes = list(mistakes)

    def expected(self):
        if self._expected_cache is None:
            self._expected_cache = (snapshot(lazy(self._expected)),)
        return self._expected_cache[0]

    def _grade(self, payload, seed=None):
        msg = compare(payload, self.expected(), self.atol, self.rtol, self.check_dtype,
                      self.reveal_shape)
        if msg is None:
            return Result(CORRECT, self._label(), ["잘했습니다!"])
        lines = [msg]
        for wrong, explanation in self.mistakes:
            if compare(payload, snapshot(lazy(wrong)), self.atol, self.rtol, False, True) is None:
                lines = [explanation] + lines
                break
        return Result(INCORRECT, self._label(), lines)
