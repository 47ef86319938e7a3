"""WordsProblem: a question answered in a sentence.  Never graded by the machine.

    q5 = WordsProblem(
        "answer", model_answer="...",
        keywords=[["전치", "transpose"]],          # a gentle note when none is mentioned
        claims=[says_not("역연산", "되돌", note="모범 답안은 ... 라고 말합니다")],
    )

Once answered (a string of at least ``min_length`` characters) the status is ``WRITTEN``:
"답을 적었습니다 — 모범 답안과 비교해 보세요", shown beside the model answer; the teacher
reads it.  A keyword check cannot tell "줄어든다" from "줄지 않는다", so keywords and claims
only add *notes*, never a grade.  A claim flags a clause that contradicts the model answer
in the plainest way: it mentions one of the claim's terms with the opposite polarity
(negated when the model answer affirms it, affirmed when the model answer denies it).
"""
from __future__ import annotations

import re

from ..display import INCORRECT, WRITTEN, Result, _Note, show
from .base import Problem

# a clause ends at punctuation or at a contrasting connective
_CLAUSE_SPLIT = re.compile(r"[.!?;,\n]|지만|그러나|하지만|반면|(?<=[고며])\s|면서")
_NEGATION = re.compile(r"않|없|아니|아닙|아님|아닌|못|\b안 |\bnot\b|\bno\b|n't|\bnever\b|cannot")


class Claim:
    """One claim of the model answer: ``terms`` (any of them) with a polarity."""

    def __init__(self, terms, affirmed, note, unless=()):
        self.terms = [t.casefold() for t in terms]
        self.affirmed = affirmed
        self.note = note
        self.unless = [u.casefold() for u in unless]    # clauses about something else

    def contradicted_by(self, text):
        for clause in _CLAUSE_SPLIT.split(text.casefold()):
            if any(u in clause for u in self.unless):
                continue
            if any(t in clause for t in self.terms):
                negated = bool(_NEGATION.search(clause))
                if negated == self.affirmed:
                    return True
        return False


def says(*terms, note, unless=()):
    """The model answer affirms this: a clause that mentions a term *negated* gets ``note``
    (clauses that mention a word of ``unless`` are about something else and skipped)."""
    return Claim(terms, True, note, unless)


def says_not(*terms, note, unless=()):
    """The model answer denies this: a clause that affirms a term gets ``note``."""
    return Claim(terms, False, note, unless)


class WordsProblem(Problem):
    """A question answered in words; shows the model answer beside the learner's."""

    kind = "words"

    def __init__(self, var, model_answer, *, keywords=None, claims=(), min_length=10, **kw):
        super().__init__(var, **kw)
        self.model_answer = model_answer
        self.keywords = [list(g) for g in (keywords or [])]
        self.claims = list(claims)
        self.min_length = min_length

    def notes(self, text):
        """Gentle notes on ``text`` (contradictions first); empty when nothing stands out."""
        notes = [f"참고: {c.note}" for c in self.claims if c.contradicted_by(text)]
        folded = text.casefold()
        if any(not any(w.casefold() in folded for w in g) for g in self.keywords):
            notes.append("참고: 모범 답안의 핵심 개념 중 답에 보이지 않는 것이 있습니다. "
                         "빠진 생각이 없는지 모범 답안과 비교해 보세요.")
        return notes

    def _grade(self, payload, seed=None):
        if not isinstance(payload, str):
            return Result(INCORRECT, self._label(),
                          [f'답은 따옴표로 감싼 문장(문자열)으로 적어 주세요: {self.var} = "..."'])
        text = " ".join(payload.split())
        if len(text) < self.min_length:
            return Result(INCORRECT, self._label(),
                          [f"답이 너무 짧습니다({len(text)}자). 이유까지 한두 문장으로 설명해 보세요."])
        lines = ["이 문제는 자동으로 채점하지 않습니다. 내 답과 모범 답안을 나란히 읽어 보세요."]
        return Result(WRITTEN, self._label(), lines + self.notes(text),
                      answer_text=text, model_answer=self.model_answer)

    def solution(self):
        """Show the model answer (and the example code, if the author gave one)."""
        code = self.solution_text or None
        show(_Note("모범 답안", self._label(), [f"모범 답안: {self.model_answer}"], code=code))
