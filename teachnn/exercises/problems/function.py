"""FunctionProblem: a function the learner writes, run on visible and hidden cases.

    q1 = FunctionProblem(
        "my_linear",                                   # the notebook's function name
        reference=_linear_reference,                   # computes the expected output
        cases=[tensor_case(((4, 3), 1), ((2, 3), 2), ((2,), 3))],   # shown in feedback
        hidden_cases=[...],                            # run, never shown
        draw=lambda rng: tensor_case(...),             # a fresh hidden case from an RNG
        forbid=[F.linear, nn.Linear],                  # "write it yourself"
    )

``draw(rng)`` returns one case (a tuple of arguments or a zero-argument callable).  With a
teacher's ``seed`` the hidden cases are drawn from it at grading time (as many as
``hidden_cases``), so knowing the shipped hidden cases helps nobody.  ``forbid`` refuses an
answer that is, calls or delegates to one of the listed functions (see ``guard.py``).
``own_function=True`` (custom autograd lessons) requires the result to come from the
learner's own ``Function`` subclass and its ``backward`` to be the one that ran.
"""
from __future__ import annotations

import zlib

import numpy as np

from ..compare import _kind_name, compare
from ..display import CORRECT, INCORRECT, Result, error_lines
from ..guard import Forbidden, learner_functions_in_graph, watch_backward
from ..placeholder import NotAttemptedError
from ..running import call_safely, describe_args, materialize
from ..transport import ErrorSnap, NotAttempted, _is_tensor, snapshot
from .base import Problem


class FunctionProblem(Problem):
    """A function, tested against ``reference`` on visible and hidden cases."""

    kind = "function"

    def __init__(self, var, reference, cases, *, hidden_cases=(), draw=None, n_drawn=None,
                 forbid=(), own_function=False, atol=1e-5, rtol=1e-4, check_dtype=True,
                 check_grad=False, **kw):
        super().__init__(var, **kw)
        self.reference = reference
        self.cases = list(cases)
        self.hidden_cases = list(hidden_cases)
        self.draw = draw
        self.n_drawn = n_drawn if n_drawn is not None else max(len(self.hidden_cases), 3)
        self.forbid = Forbidden(forbid)
        self.own_function = own_function
        self.atol, self.rtol = atol, rtol
        self.check_dtype = check_dtype
        self.check_grad = check_grad or own_function

    # -- cases --
    def hidden(self, seed=None):
        """The hidden cases: the shipped ones, plus cases drawn from the teacher's ``seed``.

        The shipped cases keep the edge cases the author chose (0, a large value, ...); the
        drawn ones make a lookup table of the shipped cases worthless."""
        if seed is None or self.draw is None:
            return list(self.hidden_cases)
        key = zlib.crc32(self.qualname.encode("utf-8"))
        rng = np.random.default_rng([int(seed) % (2 ** 63), key])
        return list(self.hidden_cases) + [self.draw(rng) for _ in range(self.n_drawn)]

    def _all_cases(self, include_hidden=True, seed=None):
        return self.cases + (self.hidden(seed) if include_hidden else [])

    # -- collect: runs the learner's function --
    def _run(self, fn, case, learner=True):
        """Run ``fn`` on a fresh copy of ``case``: snapshot of output (+ input gradients)."""
        args = materialize(case)
        out, problem = call_safely(fn, *args)
        if problem is not None:
            return problem
        try:
            snap = snapshot(out)
        except NotAttemptedError:
            return NotAttempted("____")
        if not self.check_grad or not _is_tensor(out):
            return snap
        if not getattr(out, "requires_grad", False):
            return {"out": snap, "grads": [], "detached": True}
        check_own = self.own_function and learner
        library_nodes = []
        own = learner_functions_in_graph(out, library_nodes) if check_own else []
        if check_own and not own:
            return {"own_function": "missing"}
        if check_own and library_nodes:       # autograd, not the learner's backward, did part
            return {"own_function": "mixed", "nodes": sorted(set(library_nodes))}
        with watch_backward(own) as ran:
            _, problem = call_safely(lambda: out.sum().backward())
        if problem is not None:
            if isinstance(problem, ErrorSnap):
                problem = ErrorSnap(problem.type_name, "역전파(backward) 중 오류: " + problem.message)
            return problem
        if check_own and not ran:
            return {"own_function": "backward_not_run"}
        grads = []
        for a in args:
            if _is_tensor(a) and getattr(a, "requires_grad", False):
                g = a.grad
                grads.append(None if g is None else snapshot(g))
        return {"out": snap, "grads": grads}

    def _collect(self, fn, include_hidden, seed=None):
        if not callable(fn):
            return {"not_callable": _kind_name(snapshot(fn))}
        if self.forbid:
            label = self.forbid.identity(fn)
            if label is not None:
                return {"forbidden": label, "how": "is"}
        results = []
        for case in self._all_cases(include_hidden, seed):
            if self.forbid:
                with self.forbid.tripwires() as hits:
                    r = self._run(fn, case)
                if hits:
                    return {"forbidden": hits[0], "how": "calls"}
            else:
                r = self._run(fn, case)
            if isinstance(r, NotAttempted):
                return r
            results.append(r)
        return {"results": results}

    # -- grade: compares with the reference --
    def _forbidden_result(self, payload):
        label, how = payload.get("forbidden", "?"), payload.get("how")
        what = (f"제출한 `{self.var}`이(가) 라이브러리의 `{label}` 그 자체입니다" if how == "is"
                else f"제출한 `{self.var}`이(가) 실행 중에 라이브러리의 `{label}`을(를) 불렀습니다")
        names = ", ".join(f"`{l}`" for l in dict.fromkeys(self.forbid.labels))
        return Result(INCORRECT, self._label(), [
            f"{what}. 이 문제는 그 계산을 직접 작성하는 연습이라 {names}은(는) 쓸 수 없습니다.",
            "문제에서 허용한 기본 연산으로 식을 직접 적어 보세요. "
            f"막히면 {self.name or 'q'}.hint()를 실행해 보세요."])

    def _grade(self, payload, seed=None):
        if isinstance(payload, dict) and "forbidden" in payload:
            return self._forbidden_result(payload)
        if not isinstance(payload, dict) or "results" not in payload:
            kind = payload.get("not_callable", "?") if isinstance(payload, dict) else "?"
            return Result(INCORRECT, self._label(),
                          [f"`{self.var}`은(는) 함수여야 하는데 {kind}입니다. def {self.var}(...): 로 정의하세요."])
        results = payload["results"]
        cases = self._all_cases(True, seed)
        n_visible = len(self.cases)
        if len(results) < n_visible:
            return Result(INCORRECT, self._label(), ["결과 수가 맞지 않습니다."])
        hidden_failures = 0
        for i, (got, case) in enumerate(zip(results, cases)):
            own = self._own_function_problem(got)
            if own is not None:
                return own
            expected = self._expected(case)
            msg = self._compare_case(got, expected)
            if msg is None:
                continue
            if i < n_visible:
                args = materialize(case)
                lines = [f"테스트 {i + 1}번(입력: {describe_args(args)})에서 결과가 다릅니다."]
                if isinstance(got, ErrorSnap):
                    lines += error_lines("함수를 실행하다가 오류가 났습니다", got)
                    lines.append("힌트: 오류 메시지가 가리키는 줄을 고쳐 보세요. 막히면 "
                                 f"{self.name or 'q'}.hint()를 실행해 보세요.")
                else:
                    lines.append(msg)
                return Result(INCORRECT, self._label(), lines)
            hidden_failures += 1
        if hidden_failures:
            return Result(INCORRECT, self._label(), [
                "보이는 테스트는 통과했지만, 공개되지 않은 추가 테스트"
                f" {hidden_failures}개에서 결과가 다릅니다.",
                "다른 크기·다른 값(음수, 0, 큰 값 등)의 입력에서도 맞는지 생각해 보세요."])
        return Result(CORRECT, self._label(), [f"테스트 {len(results)}개를 모두 통과했습니다."])

    def _expected(self, case):
        expected = self._run(self.reference, case, learner=False)
        if isinstance(expected, (ErrorSnap, NotAttempted)):
            raise RuntimeError(f"reference failed: {getattr(expected, 'message', '')}")
        return expected

    def _own_function_problem(self, got):
        if not (isinstance(got, dict) and "own_function" in got):
            return None
        if got["own_function"] == "missing":
            lines = [
                "결과가 직접 만든 Function 클래스에서 나오지 않았습니다: 결과의 grad_fn(계산 그래프)에 "
                "`Function`을 상속한 여러분의 클래스가 없습니다.",
                "이 문제는 autograd가 아니라 여러분이 쓴 backward로 기울기를 계산하는 연습입니다. "
                "class ...(Function): 에 forward와 backward를 staticmethod로 쓰고, 함수 안에서 "
                "`클래스이름.apply(x)`로 부르세요."]
        elif got["own_function"] == "mixed":
            nodes = ", ".join(f"`{n}`" for n in got.get("nodes", []))
            lines = [
                f"결과의 계산 그래프에 직접 만든 Function 말고 라이브러리의 연산({nodes})도 들어 있습니다: "
                "기울기의 일부를 여러분의 backward가 아니라 autograd가 계산합니다.",
                "forward 안에서 모든 계산을 하고(forward 안의 연산은 그래프에 남지 않습니다), 함수는 "
                "`클래스이름.apply(x)`의 결과를 그대로 돌려주세요."]
        else:
            lines = [
                "직접 만든 Function 클래스는 계산 그래프에 있지만, 역전파 때 그 클래스의 backward가 "
                "실행되지 않았습니다.",
                "backward를 `@staticmethod`로 클래스 안에 정의했는지, 결과가 그 클래스의 `.apply(...)`에서 "
                "나오는지 확인하세요."]
        return Result(INCORRECT, self._label(), lines)

    def _compare_case(self, got, expected):
        if isinstance(got, ErrorSnap):
            return f"함수를 실행하다가 오류가 났습니다 — {got.text()}"
        if not self.check_grad or not isinstance(expected, dict):
            return compare(got, expected, self.atol, self.rtol, self.check_dtype, True, what="결과")
        got_out = got["out"] if isinstance(got, dict) else got
        msg = compare(got_out, expected["out"], self.atol, self.rtol, self.check_dtype, True,
                      what="결과")
        if msg is not None:
            return "순전파(forward) 결과: " + msg
        if not isinstance(got, dict) or got.get("detached"):
            return ("결과 텐서가 기울기(gradient)를 추적하지 않습니다: .data나 넘파이로 계산하면 "
                    "자동 미분(autograd)의 계산 그래프가 끊어집니다. 텐서 연산만 써 보세요.")
        for j, (g, e) in enumerate(zip(got["grads"], expected["grads"])):
            if g is None and e is not None:
                return f"{j + 1}번째 입력의 기울기(grad)가 계산되지 않았습니다."
            if e is None:
                continue
            msg = compare(g, e, self.atol, self.rtol, False, True, what="기울기")
            if msg is not None:
                return f"역전파(backward): {j + 1}번째 입력의 기울기가 다릅니다. {msg}"
        return None
