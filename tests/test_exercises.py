"""The exercise engine (teachnn.exercises.core) and the exercises of lessons 00, 01, 06, 08,
09, 10 and 12: every exercise passes with its reference solution, reads "not attempted"
with the placeholder, and fails with its intended Korean message on a typical wrong answer.
"""
import json

import numpy as np
import pytest

from teachnn.exercises import core
from teachnn.exercises.core import (CORRECT, INCORRECT, UNATTEMPTED, WRITTEN, FunctionProblem,
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
    # a value exercise is a hand calculation: neither the expected shape nor the size of
    # the gap (your value + the gap = the answer) is shown
    assert "1개 원소가 다릅니다" in r.text() and "[1, 2]" in r.text()
    assert "차이" not in r.text() and "45" not in r.text()
    r = ev(q, a=np.zeros((3, 2)))
    assert "[2, 3]" not in r.text() and "[3, 2]" in r.text()
    shown = ValueProblem("a", expected=lambda: np.arange(6.0).reshape(2, 3), reveal_shape=True)
    r = ev(shown, a=bad)
    assert "1개 원소가 다르고" in r.text() and "가장 큰 차이는 45" in r.text()
    assert "[2, 3]" in ev(shown, a=np.zeros((3, 2))).text()


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
    assert r.status == WRITTEN and not r.correct and "정답" not in r.text()
    assert r.answer_text == "레이어를 정해진 순서대로 쌓을 때 씁니다"
    assert r.model_answer == "모범 답안입니다" and "모범 답안입니다" in r.text()
    assert "보이지 않는" not in r.text()
    r = ev(q, a="잘 모르겠지만 길게 적어 봅니다")
    assert r.status == WRITTEN and "핵심 개념 중 답에 보이지 않는 것" in r.text()
    assert "문자열" in ev(q, a=42).text()


def test_words_solution_shows_the_model_answer(capsys):
    WordsProblem("a", model_answer="모범 답안입니다").solution()
    assert "모범 답안입니다" in capsys.readouterr().out


def test_an_error_in_the_learners_function_comes_with_a_hint():
    r = ev(_relu_problem(), relu=lambda x: x.no_such_method())
    assert "AttributeError" in r.text() and "힌트:" in r.text() and r.status == INCORRECT


# ----------------------------------------------------------------------------------------
# Transport, display, hints
# ----------------------------------------------------------------------------------------
def test_json_transport_roundtrip_keeps_dtype_and_shape():
    data = {"t": core.TensorSnap(np.arange(6, dtype=np.float32).reshape(2, 3), True),
            "a": np.array([[1, 2]], dtype=np.int64), "s": (1, [2.5, float("nan")], "x"),
            "zero_d": np.array(3.5), "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
            "n": None, "b": True, "na": core.NotAttempted("r"), "e": core.ErrorSnap("E", "m")}
    back = core.decode(json.loads(json.dumps(core.encode(data))))
    assert back["t"].array.dtype == np.float32 and back["t"].array.shape == (2, 3)
    assert back["t"].requires_grad is True
    np.testing.assert_array_equal(back["t"].array, data["t"].array)
    assert back["a"].dtype == np.int64 and back["a"].tolist() == [[1, 2]]
    assert back["s"][0] == 1 and back["s"][1][0] == 2.5 and np.isnan(back["s"][1][1])
    assert isinstance(back["s"], tuple) and isinstance(back["s"][1], list)
    assert back["zero_d"].shape == () and back["zero_d"] == 3.5
    np.testing.assert_array_equal(back["fortran"], np.arange(6.0).reshape(2, 3))
    assert back["n"] is None and back["b"] is True
    assert isinstance(back["na"], core.NotAttempted) and back["e"].text() == "E: m"


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

_DTYPES = st.sampled_from(["bool", "int8", "int32", "int64", "uint8", "float16", "float32",
                           "float64"])


@given(hnp.arrays(dtype=_DTYPES, shape=hnp.array_shapes(min_dims=0, max_dims=4, max_side=4)),
       st.booleans())
def test_any_array_survives_the_json_transport(arr, as_tensor):
    value = core.TensorSnap(arr, True) if as_tensor else arr
    back = core.roundtrip(value)
    back_arr = back.array if as_tensor else back
    assert back_arr.dtype == arr.dtype and back_arr.shape == arr.shape
    np.testing.assert_array_equal(back_arr, arr)
    # and an array always matches itself under compare(), NaNs included
    assert core.compare(back, value) is None


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
        want = WRITTEN if isinstance(p, WordsProblem) else CORRECT
        assert p.evaluate(ns).status == want, p.name
    assert "00부터" in ev(L.q1, n_lessons=14).text()
    assert "순서가 바뀌었습니다" in ev(L.q2, grid_shape=(3, 2)).text()
    assert "공개되지 않은" in ev(L.q3, double=lambda x: {3: 6, -1.5: -3.0}[x] if x in (3, -1.5) else x).text()
    r = ev(L.q4, what_changes="모든 줄을 다시 써야 한다")
    assert r.status == WRITTEN and "보이지 않는" in r.text()


# ----------------------------------------------------------------------------------------
# Lessons 01, 06, 08, 09, 10, 12: reference solutions pass, placeholders read "not
# attempted", typical wrong answers get the intended Korean message
# ----------------------------------------------------------------------------------------
import importlib  # noqa: E402

import teachnn  # noqa: E402
import teachnn.nn as nn  # noqa: E402
import teachnn.nn.functional as F  # noqa: E402
from teachnn.autograd import Function  # noqa: E402

MY_LESSONS = ["lesson00", "lesson01", "lesson06", "lesson08", "lesson09", "lesson10", "lesson12"]


def _lesson_namespace(lesson):
    """What the notebook has defined before the exercises (imports, the lesson's model)."""
    ns = {"torch": teachnn, "nn": nn, "F": F, "Function": Function}
    if lesson == "lesson10":
        class MyModule(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleDict({"encoder": nn.Linear(4, 2),
                                             "decoder": nn.Linear(2, 4)})
        ns["model"] = MyModule()
    return ns


@pytest.mark.parametrize("lesson", MY_LESSONS)
def test_reference_solutions_pass_and_placeholders_read_not_attempted(lesson):
    module = importlib.import_module(f"teachnn.exercises.{lesson}")
    assert len(module.PROBLEMS) >= 3
    ns = _lesson_namespace(lesson)
    for p in module.PROBLEMS:
        assert p.hints and p.solution_text, p.qualname
        assert p.evaluate(dict(ns, **{p.var: ____})).status == UNATTEMPTED, p.qualname
        exec(p.solution_text, ns)
        result = p.evaluate(ns)
        want = WRITTEN if isinstance(p, WordsProblem) else CORRECT
        assert result.status == want, (p.qualname, result.text())


def _src(code):
    """Run a learner's cell and return its namespace."""
    def make(lesson):
        ns = _lesson_namespace(lesson)
        exec(code, ns)
        return ns
    return make


WRONG = {
    ("lesson01", "q1"): (_src(
        "class TwoLayer(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc1 = nn.Linear(4, 8)\n"
        "        self.fc2 = nn.Linear(8, 3)\n"
        "    def forward(self, x):\n"
        "        return self.fc2(self.fc1(x))\n"          # forgot the ReLU
        "model = TwoLayer()"), "같은 가중치로 계산한 출력이 다릅니다"),
    ("lesson01", "q1b"): (_src(
        "class TwoLayer(nn.Module):\n"
        "    def __init__(self):\n"
        "        self.fc1 = nn.Linear(4, 8)\n"               # forgot super().__init__()
        "    def forward(self, x):\n"
        "        return x\n"
        "model = TwoLayer"), "오류"),
    ("lesson01", "q1c"): (_src("model = nn.Linear(4, 3)"), "nn.Module`을 상속한 클래스를 직접"),
    ("lesson01", "q2"): (_src("right_keyword = 'kernels'"), "노트에 적힌 틀린 이름"),
    ("lesson01", "q3"): (_src("conv1_out_shape = (1, 16, 26, 26)"), "stride=2를 빠뜨렸습니다"),
    ("lesson06", "q1"): (_src("def my_linear(x, A, b):\n    return x @ A + b"), "오류"),
    ("lesson06", "q1b"): (_src("def my_linear(x, A, b):\n    return x @ A.T"), "값이 다릅니다"),
    ("lesson06", "q2"): (_src("n_params = 1024 * 32"), "편향(bias)도 파라미터"),
    ("lesson06", "q3"): (_src("out_shape = (8, 32)"), "마지막 축만 바꿉니다"),
    ("lesson06", "q4"): (_src("layer = nn.Linear(5, 3)"), "파라미터 수가 다릅니다"),
    ("lesson06", "q4b"): (_src("layer = nn.Linear(3, 5, bias=False)"), "모양이나 순서"),
    ("lesson08", "q1"): (_src("def my_relu(x):\n    return x.abs()"), "값이 다릅니다"),
    ("lesson08", "q1b"): (_src("import numpy as np\n"
                               "def my_relu(x):\n    return torch.tensor(np.maximum(x.data, 0))"),
                          "기울기"),
    ("lesson08", "q2"): (_src(
        "class N(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc1 = nn.Linear(10, 20)\n"
        "        self.fc2 = nn.Linear(20, 10)\n"
        "    def forward(self, x):\n"
        "        return self.fc2(torch.sigmoid(self.fc1(x)))\n"
        "model_f = N()"), "`fc1`의 출력까지는 같고, `fc2`(Linear)의 출력부터 다릅니다"),
    ("lesson08", "q3"): (_src("act_values = (0.5, 0.0, 0.0, 0.0)"), "작은 기울기(0.01)"),
    ("lesson09", "q1"): (_src("mse = 0.5"), "L1Loss(MAE)"),
    ("lesson09", "q2"): (_src("mae = 0.375"), "MSELoss"),
    ("lesson09", "q3"): (_src("def my_cross_entropy(output, target):\n"
                              "    logp = F.log_softmax(output, dim=1)\n"
                              "    return logp[torch.arange(len(target)), target].mean()"),
                         "값이 다릅니다"),
    ("lesson09", "q4"): (_src("none_shape = ()"), "reduction='mean'"),
    ("lesson10", "q1"): (_src("seq = nn.Sequential(nn.Linear(8, 16), nn.Linear(16, 4))"),
                         "ReLU 레이어가 0개"),
    ("lesson10", "q2"): (_src(
        "class Stack(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.layers = [nn.Linear(6, 6) for _ in range(3)]\n"   # plain list: not registered
        "    def forward(self, x):\n"
        "        for layer in self.layers:\n"
        "            x = F.relu(layer(x))\n"
        "        return x\n"
        "stack = Stack()"), "`self.layers`에 레이어를 파이썬 list로 담았습니다"),
    ("lesson10", "q3"): (_src("state_keys = ['encoder.weight', 'encoder.bias', "
                              "'decoder.weight', 'decoder.bias']"), "속성 이름(self.layers)"),
    ("lesson10", "q4"): (_src("which_container = {'a': 'Sequential', 'b': 'ModuleDict', "
                              "'c': 'ModuleList'}"), "키 'b'의 값이 다릅니다"),
    ("lesson12", "q1"): (_src(
        "class MyReLU(Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        ctx.save_for_backward(x)\n"
        "        return x.clamp(min=0)\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad_output):\n"
        "        x, = ctx.saved_tensors\n"
        "        return grad_output\n"                                  # forgot the mask
        "def my_relu(x):\n    return MyReLU.apply(x)"), "역전파(backward)"),
    ("lesson12", "q2"): (_src(
        "class MyCube(Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        ctx.save_for_backward(x)\n"
        "        return x ** 3\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad_output):\n"
        "        x, = ctx.saved_tensors\n"
        "        return grad_output * 3 * x\n"                              # 3x, not 3x^2
        "def my_cube(x):\n    return MyCube.apply(x)"), "기울기가 다릅니다"),
    ("lesson12", "q3"): (_src("numeric_grad = 8.0"), "f(2) 값"),
    # lesson01 q5-q6 (autograd primer): more cases in tests/test_exercises_course.py
    ("lesson01", "q5"): (_src("w_grad = torch.tensor([2.0, -4.0, 6.0])"), "3도 더해집니다"),
    ("lesson01", "q6"): (_src("p_after = 2.0 + 0.1 * 0.5"), "빼야 합니다"),
}


@pytest.mark.parametrize("key", sorted(WRONG), ids=lambda k: f"{k[0]}.{k[1]}")
def test_typical_wrong_answers_get_the_intended_message(key):
    lesson, qname = key
    module = importlib.import_module(f"teachnn.exercises.{lesson}")
    problem = getattr(module, qname.rstrip("abc"))
    make_ns, expected_text = WRONG[key]
    if key == ("lesson10", "q2"):       # teachnn warns about a plain list of layers, too
        with pytest.warns(UserWarning, match="ModuleList"):
            namespace = make_ns(lesson)
    else:
        namespace = make_ns(lesson)
    result = problem.evaluate(namespace)
    assert result.status == INCORRECT, result.text()
    assert result.header == "다시 확인해 보세요"
    assert expected_text in result.text(), result.text()
    # a wrong answer never shows the reference solution
    assert problem.solution_text not in result.text()


def test_every_problem_of_my_lessons_has_a_wrong_answer_test():
    covered = {(l, q.rstrip("abc")) for l, q in WRONG}
    for lesson in MY_LESSONS[1:]:
        module = importlib.import_module(f"teachnn.exercises.{lesson}")
        for p in module.PROBLEMS:
            if not isinstance(p, WordsProblem):      # free text: see test_exercises_issue16.py
                assert (lesson, p.name) in covered, p.qualname


def test_module_problem_rejects_non_modules_and_unbuildable_classes():
    from teachnn.exercises import lesson06
    r = lesson06.q4.evaluate({"layer": 5})
    assert r.status == INCORRECT and "nn.Module이 필요한데 정수(int)" in r.text()

    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            raise ValueError("고장")
    r = lesson06.q4.evaluate({"layer": Broken})
    assert r.status == INCORRECT and "ValueError: 고장" in r.text()


def test_tensor_answers_check_type_shape_dtype_then_values():
    q = ValueProblem("t", expected=lambda: teachnn.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert ev(q, t=teachnn.tensor([[1.0, 2.0], [3.0, 4.0]])).status == CORRECT
    r = ev(q, t=np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert "텐서(Tensor)가 필요한데 넘파이 배열" in r.text()
    r = ev(q, t=teachnn.tensor([1.0, 2.0, 3.0, 4.0]))
    assert "모양(shape)이 다릅니다" in r.text()
    r = ev(q, t=teachnn.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=teachnn.float64))
    assert "자료형(dtype)이 다릅니다" in r.text() and "float64" in r.text()
    r = ev(q, t=teachnn.tensor([[1.0, 2.0], [3.0, 5.0]]))
    assert "값이 다릅니다" in r.text() and "[1, 1]" in r.text()


def test_feedback_uses_the_fitting_korean_particle():
    assert core._object("정수(int)") == "정수(int)를"
    assert core._object("문자열(str)") == "문자열(str)을"
    assert core._object("텐서(Tensor, 모양 [2, 3])") == "텐서(Tensor, 모양 [2, 3])를"
    assert core._object("None") == "None을(를)"
    r = ev(ValueProblem("v", expected=3), v="three")
    assert "숫자가 필요한데 문자열(str)을 받았습니다" in r.text()
