"""The exercise engine (teachnn.exercises.core) and the exercises of lessons 00, 01, 06, 08,
09, 10 and 12: every exercise passes with its reference solution, reads "not attempted"
with the placeholder, and fails with its intended Korean message on a typical wrong answer.
"""
import json

import numpy as np
import pytest

from teachnn.exercises import core
from teachnn.exercises.core import (CORRECT, INCORRECT, UNATTEMPTED, FunctionProblem,
                                    ValueProblem, WordsProblem, ____)


def ev(problem, **namespace):
    return problem.evaluate(namespace)


# ----------------------------------------------------------------------------------------
# The placeholder
# ----------------------------------------------------------------------------------------
def test_placeholder_refuses_to_be_used():
    for use in (lambda: ____ + 1, lambda: 2 * ____, lambda: ____(3), lambda: ____[0],
                lambda: list(____), lambda: float(____), lambda: bool(____),
                lambda: np.asarray(____, dtype=float), lambda: ____.shape, lambda: -____):
        with pytest.raises(core.NotAttemptedError):
            use()
    assert repr(____) == "____"
    assert not hasattr(____, "_repr_html_")      # IPython's probing stays quiet


def test_placeholder_anywhere_in_the_answer_reads_not_attempted():
    q = ValueProblem("s", expected=(32, 16, 98))
    for value in (____, (32, ____, 98), [____], {"a": ____}):
        r = ev(q, s=value)
        assert r.status == UNATTEMPTED and r.header == "아직 풀지 않았습니다"
    r = ev(q)                                      # the variable does not exist yet
    assert r.status == UNATTEMPTED and "셀을 먼저 실행" in r.text()


def test_placeholder_is_recognised_across_a_fresh_import():
    """The grader re-imports the engine: the notebook's ____ must still read as not attempted."""
    class FakePlaceholderFromOtherImport:
        _TEACHNN_PLACEHOLDER = True
    q = ValueProblem("s", expected=3)
    assert ev(q, s=FakePlaceholderFromOtherImport()).status == UNATTEMPTED

    class OtherNotAttempted(Exception):
        _TEACHNN_NOT_ATTEMPTED = True

    def f(x):
        raise OtherNotAttempted()
    fq = FunctionProblem("f", reference=lambda x: x, cases=[(1,)])
    assert ev(fq, f=f).status == UNATTEMPTED


# ----------------------------------------------------------------------------------------
# ValueProblem: type, shape, dtype, values; no expected value in the feedback
# ----------------------------------------------------------------------------------------
def test_value_numbers_and_tolerance():
    q = ValueProblem("v", expected=lambda: 0.1 + 0.2, atol=1e-6, rtol=0)
    assert ev(q, v=0.3).status == CORRECT
    assert ev(q, v=np.float32(0.3)).status == CORRECT
    assert ev(q, v=np.array([0.3])).status == CORRECT      # one-element arrays are numbers
    r = ev(q, v=0.31)
    assert r.status == INCORRECT and "0.31" in r.text() and "0.3000" not in r.text()
    r = ev(q, v="0.3")
    assert r.status == INCORRECT and "숫자가 필요한데 문자열(str)" in r.text()
    assert ev(ValueProblem("n", expected=13), n=13.0).status == CORRECT
    assert ev(ValueProblem("n", expected=13), n=14).status == INCORRECT
    assert ev(ValueProblem("b", expected=True), b=1).status == INCORRECT   # bool wanted


def test_value_sequences_say_which_position_differs_without_the_answer():
    q = ValueProblem("s", expected=(32, 16, 98))
    r = ev(q, s=(32, 16, 100))
    assert r.status == INCORRECT
    assert "3번째 값(100)" in r.text() and "98" not in r.text()
    r = ev(q, s=(32, 16))
    assert "원소의 개수가 다릅니다" in r.text() and "98" not in r.text()
    r = ev(q, s="(32, 16, 98)")
    assert "튜플(tuple)이 필요한데 문자열(str)" in r.text()
    assert ev(q, s=[32, 16, 98]).status == CORRECT


def test_value_mistakes_give_the_authors_explanation_first():
    q = ValueProblem("s", expected=(2, 3), mistakes=[((3, 2), "순서가 바뀌었습니다.")])
    r = ev(q, s=(3, 2))
    assert r.lines[0] == "순서가 바뀌었습니다."
    r = ev(q, s=(4, 4))
    assert "순서가 바뀌었습니다." not in r.text()


def test_value_arrays_shape_then_values():
    q = ValueProblem("a", expected=lambda: np.arange(6.0).reshape(2, 3))
    assert ev(q, a=np.arange(6.0).reshape(2, 3) + 1e-7).status == CORRECT
    r = ev(q, a=np.arange(6.0).reshape(3, 2))
    assert "모양(shape)이 다릅니다" in r.text() and "[3, 2]" in r.text()
    bad = np.arange(6.0).reshape(2, 3)
    bad[1, 2] = 50
    r = ev(q, a=bad)
    assert "1개 원소가 다르고" in r.text() and "[1, 2]" in r.text()
    hidden = ValueProblem("a", expected=lambda: np.zeros((2, 3)), reveal_shape=False)
    r = ev(hidden, a=np.zeros((3, 2)))
    assert "[2, 3]" not in r.text() and "[3, 2]" in r.text()


def test_strings_and_dicts():
    q = ValueProblem("w", expected="Conv2d")
    assert ev(q, w="  conv2d ").status == CORRECT
    assert ev(q, w="Conv1d").status == INCORRECT
    d = ValueProblem("d", expected={"a": 1, "b": (1, 2)})
    assert ev(d, d={"b": (1, 2), "a": 1}).status == CORRECT
    assert "키 'b'" in ev(d, d={"a": 1}).text()


# ----------------------------------------------------------------------------------------
# FunctionProblem: visible cases explained, hidden cases never revealed, errors as hints
# ----------------------------------------------------------------------------------------
def _relu_problem():
    return FunctionProblem("relu", reference=lambda x: np.maximum(x, 0.0),
                           cases=[(np.array([-1.0, 2.0]),)],
                           hidden_cases=[(np.array([[-3.0, 0.5], [7.0, -0.25]]),)])


def test_function_correct_wrong_hidden_error_and_not_callable():
    q = _relu_problem()
    assert ev(q, relu=lambda x: np.where(x > 0, x, 0.0)).status == CORRECT
    r = ev(q, relu=np.abs)
    assert r.status == INCORRECT and "테스트 1번" in r.text() and "[0]" in r.text()
    r = ev(q, relu=lambda x: np.maximum(x.ravel(), 0.0))          # only right for 1-d input
    assert r.status == INCORRECT and "공개되지 않은 추가 테스트 1개" in r.text()
    assert "-3" not in r.text() and "0.25" not in r.text() and "[2, 2]" not in r.text()
    r = ev(q, relu=lambda x: x / undefined_name)  # noqa: F821
    assert r.status == INCORRECT and "NameError" in r.text() and "오류" in r.text()
    r = ev(q, relu=5)
    assert "함수여야 하는데 정수(int)" in r.text()
    assert ev(q, relu=lambda x: ____).status == UNATTEMPTED
    assert ev(q, relu=lambda x: x * ____).status == UNATTEMPTED


def test_function_gets_fresh_copies_of_the_arguments():
    def mutating(x):
        x[...] = 0.0
        return np.maximum(x, 0.0)
    q = _relu_problem()
    ev(q, relu=mutating)                     # must not damage the cases for later checks
    assert ev(q, relu=lambda x: np.maximum(x, 0.0)).status == CORRECT
    assert q.cases[0][0].tolist() == [-1.0, 2.0]


def test_function_with_hidden_cases_can_be_collected_without_them():
    q = _relu_problem()
    payload = q.collect({"relu": lambda x: np.maximum(x, 0.0)}, include_hidden=False)
    assert len(payload["results"]) == 1


# ----------------------------------------------------------------------------------------
# WordsProblem
# ----------------------------------------------------------------------------------------
def test_words_problem():
    q = WordsProblem("a", model_answer="모범 답안입니다", keywords=[["순서", "order"]])
    assert ev(q, a=____).status == UNATTEMPTED
    assert "너무 짧습니다" in ev(q, a="몰라요").text()
    r = ev(q, a="레이어를 정해진 순서대로 쌓을 때 씁니다")
    assert r.status == CORRECT and "모범 답안입니다" in r.text()
    r = ev(q, a="잘 모르겠지만 길게 적어 봅니다")
    assert r.status == INCORRECT and "모범 답안입니다" not in r.text()
    assert "문자열" in ev(q, a=42).text()


# ----------------------------------------------------------------------------------------
# Transport, display, hints
# ----------------------------------------------------------------------------------------
def test_json_transport_roundtrip_keeps_dtype_and_shape():
    data = {"t": core.TensorSnap(np.arange(6, dtype=np.float32).reshape(2, 3), True),
            "a": np.array([[1, 2]], dtype=np.int64), "s": (1, [2.5, float("nan")], "x"),
            "n": None, "b": True, "na": core.NotAttempted("r"), "e": core.ErrorSnap("E", "m")}
    back = core.decode(json.loads(json.dumps(core.encode(data))))
    assert back["t"].array.dtype == np.float32 and back["t"].array.shape == (2, 3)
    assert back["t"].requires_grad is True
    np.testing.assert_array_equal(back["t"].array, data["t"].array)
    assert back["a"].dtype == np.int64 and back["a"].tolist() == [[1, 2]]
    assert back["s"][0] == 1 and back["s"][1][0] == 2.5 and np.isnan(back["s"][1][1])
    assert isinstance(back["s"], tuple) and isinstance(back["s"][1], list)
    assert back["n"] is None and back["b"] is True
    assert isinstance(back["na"], core.NotAttempted) and back["e"].text() == "E: m"


def test_decode_refuses_unsafe_dtypes():
    evil = {"$a": "AAAA", "dtype": "object", "shape": [1]}
    assert isinstance(core.decode(evil), core.Opaque)
    wrong_size = {"$a": "AAAA", "dtype": "float64", "shape": [5]}
    assert isinstance(core.decode(wrong_size), core.Opaque)


def test_result_renders_html_and_text():
    r = core.Result(INCORRECT, "q1 <제목>", ["값이 <다릅니다>"], code="x = 1")
    h = r._repr_html_()
    assert "다시 확인해 보세요" in h and "&lt;다릅니다&gt;" in h and "<pre" in h
    assert r.text().startswith("[X] 다시 확인해 보세요 — q1 <제목>")


def test_check_hint_and_solution_print_outside_jupyter(capsys):
    q = ValueProblem("answer", expected=7, hints=["첫 힌트", "둘째 힌트"], solution="answer = 7")
    answer = 7  # noqa: F841  (read by check() from this frame's globals? no: pass namespace)
    q.check({"answer": 7})
    q.hint()
    q.hint(2)
    q.hint(9)
    q.solution()
    out = capsys.readouterr().out
    assert "정답입니다" in out
    assert "힌트 1/2" in out and "첫 힌트" in out and "hint(2)" in out
    assert out.count("힌트 2/2") == 2 and "둘째 힌트" in out
    assert "정답 예시" in out and "answer = 7" in out


ANSWER_FOR_GLOBALS_TEST = 7


def test_check_reads_the_callers_globals(capsys):
    q = ValueProblem("ANSWER_FOR_GLOBALS_TEST", expected=7)
    q.check()
    assert "정답입니다" in capsys.readouterr().out


def test_a_broken_problem_definition_does_not_crash_check():
    q = ValueProblem("x", expected=lambda: 1 / 0)
    r = ev(q, x=1)
    assert r.status == INCORRECT and "선생님께" in r.text()


# ----------------------------------------------------------------------------------------
# Lesson 00
# ----------------------------------------------------------------------------------------
def test_lesson00_solutions_pass_and_mistakes_explain():
    from teachnn.exercises import lesson00 as L
    assert [p.name for p in L.PROBLEMS] == ["q1", "q2", "q3", "q4"]
    assert all(p.lesson == "lesson00" for p in L.PROBLEMS)
    for p in L.PROBLEMS:
        assert ev(p).status == UNATTEMPTED
    ns = {}
    for p in L.PROBLEMS:
        exec(p.solution_text, ns)
    for p in L.PROBLEMS:
        assert p.evaluate(ns).status == CORRECT, p.name
    assert "00부터" in ev(L.q1, n_lessons=12).text()
    assert "순서가 바뀌었습니다" in ev(L.q2, grid_shape=(3, 2)).text()
    assert "공개되지 않은" in ev(L.q3, double=lambda x: {3: 6, -1.5: -3.0}[x] if x in (3, -1.5) else x).text()
    assert ev(L.q4, what_changes="모든 줄을 다시 써야 한다").status == INCORRECT
