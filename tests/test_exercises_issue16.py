"""Issue 16, the exercise engine's half: no wrong or shortcut answer graded correct, no
correct answer the question allows rejected, feedback that helps.

Every case the issue names is here, with the class of answers it stands for: free text is
never "정답"; "write it yourself" refuses the library function (as itself, called, captured
before the check, behind a method, a module or an alias); custom autograd exercises need the
learner's own Function; seeded hidden cases defeat a lookup table; module feedback names the
first layer that differs and explains unregistered layers; hand calculations never reveal
the answer.
"""
import functools
import importlib
import json

import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.autograd import Function
from teachnn.exercises import core
from teachnn.exercises.core import (CORRECT, INCORRECT, UNATTEMPTED, WRITTEN, FunctionProblem,
                                    ModuleProblem, ValueProblem, WordsProblem, ____)

ALL_LESSONS = [f"lesson{i:02d}" for i in range(13)]

PRELUDE = """
import functools
import math
import numpy as np
import teachnn as torch
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.autograd import Function
from teachnn.exercises import ____
"""


def _module(lesson):
    return importlib.import_module(f"teachnn.exercises.{lesson}")


def _ns(code=""):
    ns = {"__name__": "__main__"}
    exec(PRELUDE, ns)
    if code:
        exec(code, ns)
    return ns


def _problems(kind=None):
    for lesson in ALL_LESSONS:
        for p in _module(lesson).PROBLEMS:
            if kind is None or p.kind == kind:
                yield pytest.param(p, id=p.qualname)


def _evaluate(problem, code, seed=None):
    return problem.evaluate(_ns(code), seed=seed)


# ----------------------------------------------------------------------------------------
# Free text: its own status, never "정답", shown beside the model answer
# ----------------------------------------------------------------------------------------
def test_there_are_eleven_free_text_problems():
    assert len(list(_problems("words"))) == 11


@pytest.mark.parametrize("problem", list(_problems("words")))
def test_free_text_is_never_graded_correct(problem):
    answers = [problem.model_answer, "잘 모르겠지만 길게 적어 봅니다. 정말 그렇습니다.",
               " ".join(w for g in problem.keywords for w in g) + " 때문입니다",
               "정답입니다 정답입니다 정답입니다"]
    for answer in answers:
        r = problem.evaluate({problem.var: answer})
        assert r.status == WRITTEN and r.correct is False, r.text()
        assert r.header == "답을 적었습니다 — 모범 답안과 비교해 보세요"
        assert r.answer_text == " ".join(answer.split())
        assert r.model_answer == problem.model_answer
        assert "정답입니다" not in r.text().replace(answer, "")
        html = r._repr_html_()
        assert "모범 답안" in html and "내 답" in html and "정답입니다" not in html.replace(answer, "")
    # the model answer raises no note against itself
    assert "참고:" not in problem.evaluate({problem.var: problem.model_answer}).text()


def test_free_text_solution_never_says_correct(capsys):
    for param in _problems("words"):
        param.values[0].solution()
    out = capsys.readouterr().out
    assert "모범 답안" in out and "정답" not in out


@pytest.mark.parametrize("lesson,answer,note", [
    # the examples: key words present, meaning reversed
    ("lesson05", "행렬을 곱해 원래 입력을 되돌리는 역연산이라서", "역연산이 아니라고"),
    ("lesson03", "스트라이드를 바꿔도 출력 크기는 줄지 않는다", "줄인다고"),
    ("lesson03", "출력은 작아지지 않고 그대로입니다", "줄인다고"),
])
def test_contradictions_of_the_model_answer_get_a_gentle_note(lesson, answer, note):
    q = _module(lesson).q5
    r = q.evaluate({q.var: answer})
    assert r.status == WRITTEN and not r.correct
    assert "참고:" in r.text() and note in r.text()


@pytest.mark.parametrize("lesson,answer", [
    ("lesson05", "전치 행렬 C^T를 곱하는 것이지 역행렬로 원래 입력을 되돌리는 것이 아니기 때문입니다."),
    ("lesson05", "역연산이 아니라 C의 전치를 곱하므로 원래 입력으로 돌아오지 않습니다"),
    ("lesson03", "출력의 높이와 너비가 절반으로 줄고 파라미터 수는 줄지 않는다"),
    ("lesson03", "계산량이 1/4로 줄어들고, 가중치 수는 변하지 않습니다"),
])
def test_agreeing_answers_get_no_contradiction_note(lesson, answer):
    q = _module(lesson).q5
    r = q.evaluate({q.var: answer})
    assert r.status == WRITTEN and "모범 답안은" not in r.text(), r.text()


def test_free_text_too_short_or_not_a_string_is_incorrect_not_written():
    q = _module("lesson05").q5
    assert q.evaluate({q.var: "몰라요"}).status == INCORRECT
    assert q.evaluate({q.var: 42}).status == INCORRECT
    assert q.evaluate({q.var: ____}).status == UNATTEMPTED


def test_written_answers_travel_through_the_graders_entry_points():
    ns = _ns('answer = "행렬을 곱해 원래 입력을 되돌리는 역연산이라서"')
    data = json.loads(core.collect_lessons(["lesson05"], ns))
    results = core.grade_payloads(data, ["lesson05"])
    r = results["lesson05.q5"]
    assert r.status == WRITTEN and not r.correct and r.answer_text.startswith("행렬을")


# ----------------------------------------------------------------------------------------
# "Write it yourself": the library's function is refused however it is reached
# ----------------------------------------------------------------------------------------
LINEAR_SHORTCUTS = {
    "is": "my_linear = F.linear",
    "partial": "my_linear = functools.partial(F.linear)",
    "calls": "def my_linear(x, A, b):\n    return F.linear(x, A, b)",
    "captured": "lin = F.linear\ndef my_linear(x, A, b):\n    return lin(x, A, b)",
    "module": ("def my_linear(x, A, b):\n"
               "    layer = nn.Linear(A.shape[1], A.shape[0])\n"
               "    layer.weight.data = A.data\n    layer.bias.data = b.data\n"
               "    return layer(x)"),
    "caught": ("def my_linear(x, A, b):\n    try:\n        return F.linear(x, A, b)\n"
               "    except Exception:\n        return x @ A.T + b"),
}
LINEAR_RIGHT = ["def my_linear(x, A, b):\n    return x @ A.T + b",
                "def my_linear(x, A, b):\n    return torch.matmul(x, A.t()) + b",
                "def my_linear(x, A, b):\n    return x @ A.transpose(0, 1) + b"]


@pytest.mark.parametrize("how", sorted(LINEAR_SHORTCUTS))
def test_lesson06_q1_refuses_f_linear(how):
    q = _module("lesson06").q1
    r = _evaluate(q, LINEAR_SHORTCUTS[how])
    assert r.status == INCORRECT, r.text()
    assert "F.linear" in r.text() and "직접 작성하는 연습" in r.text()
    # the tripwire is gone afterwards: F.linear works and gives x A^T + b
    x, A, b = teachnn.randn(3, 4), teachnn.randn(2, 4), teachnn.randn(2)
    np.testing.assert_allclose(F.linear(x, A, b).numpy(), x.numpy() @ A.numpy().T + b.numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nn.Linear(4, 2)(x).shape, (3, 2))


@pytest.mark.parametrize("code", LINEAR_RIGHT)
def test_lesson06_q1_accepts_hand_written_linear(code):
    assert _evaluate(_module("lesson06").q1, code).status == CORRECT


RELU_SHORTCUTS = {
    "F.relu": "my_relu = F.relu",
    "torch.relu": "my_relu = torch.relu",
    "Tensor.relu": "my_relu = torch.Tensor.relu",
    "method": "def my_relu(x):\n    return x.relu()",
    "alias": "def my_relu(x):\n    return torch.relu(x)",
    "module": "my_relu = nn.ReLU()",
    "module_call": "def my_relu(x):\n    return nn.ReLU()(x)",
    "captured": "r = F.relu\ndef my_relu(x):\n    return r(x)",
    "lambda": "my_relu = lambda x: F.relu(x)",
}


@pytest.mark.parametrize("how", sorted(RELU_SHORTCUTS))
def test_lesson08_q1_refuses_every_library_relu(how):
    q = _module("lesson08").q1
    r = _evaluate(q, RELU_SHORTCUTS[how])
    assert r.status == INCORRECT, r.text()
    assert "직접 작성하는 연습" in r.text() and "relu" in r.text().lower()
    x = teachnn.tensor([-1.0, 2.0])
    assert F.relu(x).tolist() == [0.0, 2.0] and x.relu().tolist() == [0.0, 2.0]


@pytest.mark.parametrize("code", [
    "def my_relu(x):\n    return x.clamp(min=0)",            # the lesson's hint allows clamp
    "def my_relu(x):\n    return x * (x > 0)",
    "def my_relu(x):\n    return torch.maximum(x, torch.zeros_like(x))",
    "def my_relu(x):\n    return torch.where(x > 0, x, torch.zeros_like(x))",
])
def test_lesson08_q1_accepts_tensor_operations(code):
    assert _evaluate(_module("lesson08").q1, code).status == CORRECT


@pytest.mark.parametrize("code", [
    "my_cross_entropy = F.cross_entropy",
    "def my_cross_entropy(output, target):\n    return F.cross_entropy(output, target)",
    "def my_cross_entropy(output, target):\n    return nn.CrossEntropyLoss()(output, target)",
])
def test_lesson09_q3_refuses_cross_entropy(code):
    r = _evaluate(_module("lesson09").q3, code)
    assert r.status == INCORRECT and "F.cross_entropy" in r.text(), r.text()


def test_lesson09_q3_accepts_log_softmax_with_nll_loss():
    code = ("def my_cross_entropy(output, target):\n"
            "    return F.nll_loss(F.log_softmax(output, dim=1), target)")
    assert _evaluate(_module("lesson09").q3, code).status == CORRECT


@pytest.mark.parametrize("code", [
    "from teachnn import geometry\nadaptive_windows = geometry.adaptive_ranges",
    "from teachnn import geometry\n"
    "def adaptive_windows(in_size, out_size):\n"
    "    return [geometry.adaptive_range(i, in_size, out_size) for i in range(out_size)]",
    # through the kernels' cached tables (called once first, so the cache is warm)
    "from teachnn.kernels import pool\npool.adaptive_windows(5, 3)\n"
    "def adaptive_windows(in_size, out_size):\n"
    "    w = pool.adaptive_windows(in_size, out_size)\n"
    "    return [(int(a), int(b)) for a, b in zip(w.lo, w.hi)]",
])
def test_lesson07_q3_refuses_teachnns_adaptive_windows(code):
    r = _evaluate(_module("lesson07").q3, code)
    assert r.status == INCORRECT and "직접 작성하는 연습" in r.text(), r.text()
    from teachnn import geometry
    assert geometry.adaptive_ranges(5, 3) == [(0, 2), (1, 4), (3, 5)]


def test_lesson07_q3_accepts_integer_arithmetic():
    code = ("def adaptive_windows(in_size, out_size):\n"
            "    return [(i * in_size // out_size, -(-(i + 1) * in_size // out_size))\n"
            "            for i in range(out_size)]")
    assert _evaluate(_module("lesson07").q3, code).status == CORRECT


MY_RELU_FUNCTION = """
class MyReLU(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    {decorator}
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * (x > 0)

def my_relu(x):
    return MyReLU.apply(x)
"""


@pytest.mark.parametrize("lesson_q,code", [
    ("q1", "my_relu = lambda x: x.clamp(min=0)"),
    ("q1", "def my_relu(x):\n    return x * (x > 0)"),
    ("q2", "my_cube = lambda x: x ** 3"),
    ("q2", "class MyCube(Function):\n    pass\ndef my_cube(x):\n    return x * x * x"),
])
def test_lesson12_needs_the_learners_own_function(lesson_q, code):
    r = _evaluate(getattr(_module("lesson12"), lesson_q), code)
    assert r.status == INCORRECT, r.text()
    assert "Function" in r.text() and "grad_fn" in r.text() and ".apply(x)" in r.text()


@pytest.mark.parametrize("decorator", ["@staticmethod", ""])
def test_lesson12_accepts_a_function_subclass_with_its_backward(decorator):
    r = _evaluate(_module("lesson12").q1, MY_RELU_FUNCTION.format(decorator=decorator))
    assert r.status == CORRECT, r.text()


def test_lesson12_function_that_only_wraps_autograd_still_needs_a_right_backward():
    code = MY_RELU_FUNCTION.format(decorator="@staticmethod").replace(
        "grad_output * (x > 0)", "grad_output")
    r = _evaluate(_module("lesson12").q1, code)
    assert r.status == INCORRECT and "역전파(backward)" in r.text()


@pytest.mark.parametrize("code,message", [
    ("model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))",
     "`Sequential` 객체입니다"),
    ("class TwoLayer(nn.Sequential):\n    def __init__(self):\n"
     "        super().__init__(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))\nmodel = TwoLayer()",
     "nn.Module`을 상속한 클래스를 직접"),
])
def test_lesson01_q1_needs_an_nn_module_subclass(code, message):
    r = _evaluate(_module("lesson01").q1, code)
    assert r.status == INCORRECT and message in r.text(), r.text()


def test_lesson01_q1_accepts_relu_as_a_layer_or_a_function():
    base = ("class TwoLayer(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self.fc1 = nn.Linear(4, 8)\n{extra}        self.fc2 = nn.Linear(8, 3)\n"
            "    def forward(self, x):\n        return self.fc2({act}(self.fc1(x)))\n"
            "model = TwoLayer()")
    q = _module("lesson01").q1
    assert _evaluate(q, base.format(extra="", act="F.relu")).status == CORRECT
    assert _evaluate(q, base.format(extra="        self.act = nn.ReLU()\n", act="self.act")).status == CORRECT


def test_forbidden_identity_and_tripwire_on_a_plain_problem():
    """The engine, outside any lesson: a forbidden function with a closure is refused and
    restored; the reference may use it freely."""
    def make_scaler(k):
        def scale(x):
            return x * k
        return scale
    scale = make_scaler(2)
    q = FunctionProblem("double", reference=lambda x: scale(x), cases=[(3,), (-1.5,)],
                        forbid=[("scale", scale)])
    assert q.evaluate({"double": lambda x: x + x}).status == CORRECT
    r = q.evaluate({"double": scale})
    assert r.status == INCORRECT and "`scale` 그 자체" in r.text()
    r = q.evaluate({"double": lambda x: scale(x)})
    assert r.status == INCORRECT and "`scale`을(를) 불렀습니다" in r.text()
    assert scale(4) == 8


# ----------------------------------------------------------------------------------------
# Modules: every architecture the question allows; the first differing layer named
# ----------------------------------------------------------------------------------------
MYMODEL28 = """
class MyModel28(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, 20, 5), {a}
            nn.Conv2d(20, 64, 5), {b}
        )
        self.fc1 = nn.Linear(64 * 4 * 4, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = {pre}
        x = self.layers(x)
        {mid}
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.softmax(x, dim=1)
"""


@pytest.mark.parametrize("a,b,mid", [
    ("nn.ReLU(), nn.MaxPool2d(2),", "nn.ReLU(), nn.MaxPool2d(2),", ""),
    ("nn.ReLU(), nn.AvgPool2d(2),", "nn.ReLU(), nn.AvgPool2d(2),", ""),
    ("nn.MaxPool2d(2), nn.ReLU(),", "nn.ReLU(), nn.AvgPool2d(2),", ""),
    ("nn.ReLU(),", "nn.ReLU(), nn.AdaptiveAvgPool2d(4),", ""),
    ("nn.ReLU(),", "nn.ReLU(),", "x = F.max_pool2d(x, 5)"),
    ("nn.ReLU(), nn.MaxPool2d(3),", "nn.ReLU(),", ""),
])
def test_lesson11_q4_accepts_every_pooling_the_question_allows(a, b, mid):
    code = MYMODEL28.format(a=a, b=b, mid=mid, pre="x * 2")
    r = _evaluate(_module("lesson11").q4, code)
    assert r.status == CORRECT, r.text()


def test_lesson11_q4_names_the_first_layer_that_differs():
    code = MYMODEL28.format(a="nn.ReLU(), nn.MaxPool2d(2),", b="nn.ReLU(), nn.MaxPool2d(2),",
                            mid="", pre="x")                  # forgot x * 2
    r = _evaluate(_module("lesson11").q4, code)
    assert r.status == INCORRECT
    assert "첫 레이어 `layers.0`(Conv2d)의 출력부터 다릅니다" in r.text(), r.text()


def test_lesson07_q4_global_max_pooling_is_explained():
    code = "head = nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(16, 4))"
    r = _evaluate(_module("lesson07").q4, code)
    assert r.status == INCORRECT and "AdaptiveMaxPool2d" in r.text() and "평균" in r.text()
    assert "계산 순서나 활성화 함수" not in r.text()
    for ok in ["head = nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(16, 4))",
               "head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(16, 4))"]:
        assert _evaluate(_module("lesson07").q4, ok).status == CORRECT


def test_lesson01_q1_missing_relu_names_fc2():
    code = ("class TwoLayer(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self.fc1 = nn.Linear(4, 8)\n        self.fc2 = nn.Linear(8, 3)\n"
            "    def forward(self, x):\n        return self.fc2(self.fc1(x))\nmodel = TwoLayer()")
    r = _evaluate(_module("lesson01").q1, code)
    assert r.status == INCORRECT
    assert "`fc1`의 출력까지는 같고, `fc2`(Linear)의 출력부터 다릅니다" in r.text()


@pytest.mark.parametrize("container,fix", [
    ("[nn.Linear(6, 6) for _ in range(3)]", "nn.ModuleList([...])"),
    ("{'a': nn.Linear(6, 6), 'b': nn.Linear(6, 6), 'c': nn.Linear(6, 6)}", "nn.ModuleDict({...})"),
])
def test_lesson10_q2_unregistered_layers_are_explained_in_korean(container, fix):
    values = ".values()" if container.startswith("{") else ""
    code = ("class Stack(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            f"        self.layers = {container}\n"
            f"    def forward(self, x):\n        for layer in self.layers{values}:\n"
            "            x = F.relu(layer(x))\n        return x\nstack = Stack()")
    with pytest.warns(UserWarning):
        ns = _ns(code)
    r = _module("lesson10").q2.evaluate(ns)
    assert r.status == INCORRECT
    assert "등록되지 않아" in r.text() and fix in r.text() and "Linear 레이어가 0개" not in r.text()


# ----------------------------------------------------------------------------------------
# Display: backticks as code, a Korean gist before an English error
# ----------------------------------------------------------------------------------------
def test_backticks_render_as_code_in_html():
    r = core.Result(INCORRECT, "q", ["`self.layers`를 `nn.ModuleList`로 <감싸세요>"])
    h = r._repr_html_()
    assert "<code>self.layers</code>" in h and "<code>nn.ModuleList</code>" in h
    assert "&lt;감싸세요&gt;" in h
    assert "<code>" not in core.Result(INCORRECT, "q", ["홀로 있는 ` 하나"])._repr_html_()


def test_english_errors_get_a_korean_gist_first():
    r = _evaluate(_module("lesson06").q1, "def my_linear(x, A, b):\n    return x @ A + b")
    text = r.text()
    assert r.status == INCORRECT and "모양(shape)이 연산에 맞지 않습니다" in text
    assert text.index("모양(shape)이 연산에") < text.index("원래 오류")
    r = _evaluate(_module("lesson08").q1, "def my_relu(x):\n    return undefined_name")
    assert "정의되지 않은 이름" in r.text() and "NameError" in r.text()
    r = _module("lesson06").q4.evaluate({"layer": 5})
    assert "nn.Module이 필요한데" in r.text()


# ----------------------------------------------------------------------------------------
# Hand calculations never reveal the expected shape or value (all 13 lessons)
# ----------------------------------------------------------------------------------------
def _wrong_like(expected):
    """A wrong answer of the expected kind: an array of another length / off by one."""
    if isinstance(expected, core.TensorSnap):
        return teachnn.tensor(np.zeros(expected.array.size + 3, dtype=expected.array.dtype))
    if isinstance(expected, np.ndarray):
        return np.zeros(expected.size + 3)
    return None


@pytest.mark.parametrize("problem", list(_problems("value")))
def test_value_feedback_never_reveals_the_answer(problem):
    expected = problem.expected()
    if isinstance(expected, (core.TensorSnap, np.ndarray)):
        arr = expected.array if isinstance(expected, core.TensorSnap) else expected
        text = problem.evaluate({problem.var: _wrong_like(expected)}).text()
        assert core._shape_text(arr.shape) not in text, text
        off = arr.astype(np.float64).copy()
        off.flat[0] += 7.0
        answer = teachnn.tensor(off.astype(arr.dtype)) if isinstance(expected, core.TensorSnap) else off
        r = problem.evaluate({problem.var: answer})
        said = r.text().replace(problem._label(), "")    # the title may hold a digit (q7)
        assert r.status == INCORRECT and "차이" not in said and "7" not in said, r.text()
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
        r = problem.evaluate({problem.var: -expected - 1})
        assert r.status == INCORRECT and f"{expected}" not in r.text().replace(problem._label(), "")
    elif isinstance(expected, tuple) and all(isinstance(e, int) for e in expected):
        r = problem.evaluate({problem.var: tuple(-e - 1 for e in expected)})
        assert r.status == INCORRECT
        text = r.text().replace(problem._label(), "")
        assert not any(f"{e}" in text for e in expected if e > 9), text


def test_lesson02_q2_does_not_tell_the_output_length():
    r = _evaluate(_module("lesson02").q2, "y = torch.tensor([0.0, 5.0, 1.0])")
    assert r.status == INCORRECT and "[3]" in r.text() and "[2]" not in r.text(), r.text()


# ----------------------------------------------------------------------------------------
# Seeded hidden cases
# ----------------------------------------------------------------------------------------
def _args_key(case):
    args = core.materialize(case)
    return json.dumps(core.encode(core.snapshot(args)), sort_keys=True)


@pytest.mark.parametrize("problem", list(_problems("function")))
def test_seeded_hidden_cases_differ_and_the_solution_still_passes(problem):
    assert problem.draw is not None, "every function exercise draws hidden cases from a seed"
    shipped = [_args_key(c) for c in problem.hidden()]
    seeded = [_args_key(c) for c in problem.hidden(seed=20261207)]
    # a teacher's seed keeps the shipped edge cases and adds drawn ones nobody has seen
    assert seeded[:len(shipped)] == shipped
    drawn = seeded[len(shipped):]
    assert len(drawn) >= 3 and not set(shipped) & set(drawn)
    assert seeded == [_args_key(c) for c in problem.hidden(seed=20261207)]     # reproducible
    assert seeded != [_args_key(c) for c in problem.hidden(seed=7)]
    ns = _ns(problem.solution_text)
    for seed in (None, 20261207, 7):
        r = problem.evaluate(ns, seed=seed)
        assert r.status == CORRECT, (seed, r.text())


def test_a_lookup_table_of_the_shipped_cases_fails_with_a_teachers_seed():
    q = _module("lesson07").q3
    table = {c: q.reference(*c) for c in q.cases + q.hidden_cases}
    ns = {"adaptive_windows": lambda L, O: table.get((L, O), [])}
    assert q.evaluate(ns).status == CORRECT                     # shipped cases: fooled
    r = q.evaluate(ns, seed=123)
    assert r.status == INCORRECT and "공개되지 않은 추가 테스트" in r.text()


def test_seed_goes_through_collect_lessons_and_grade_payloads():
    ns = _ns(_module("lesson07").q3.solution_text)
    data = json.loads(core.collect_lessons(["lesson07"], ns, seed=99))
    assert core.grade_payloads(data, ["lesson07"], seed=99)["lesson07.q3"].status == CORRECT
    table_ns = _ns()
    q = _module("lesson07").q3
    table = {c: q.reference(*c) for c in q.cases + q.hidden_cases}
    table_ns["adaptive_windows"] = lambda L, O: table.get((L, O), [])
    data = json.loads(core.collect_lessons(["lesson07"], table_ns, seed=99))
    assert core.grade_payloads(data, ["lesson07"], seed=99)["lesson07.q3"].status == INCORRECT


# ----------------------------------------------------------------------------------------
# Every solution passes, every placeholder reads "not attempted" (all 13 lessons)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("problem", list(_problems()))
def test_every_solution_passes_and_placeholder_is_not_attempted(problem):
    assert problem.evaluate({problem.var: ____}).status == UNATTEMPTED
    if isinstance(problem, WordsProblem):
        assert problem.evaluate({problem.var: problem.model_answer}).status == WRITTEN
        return
    ns = _ns()
    if problem.qualname == "lesson10.q3":
        class MyModule(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleDict({"encoder": nn.Linear(4, 2), "decoder": nn.Linear(2, 4)})
        ns["model"] = MyModule()
    exec(problem.solution_text, ns)
    r = problem.evaluate(ns)
    assert r.status == CORRECT, r.text()


def test_a_problem_subclass_written_before_seeds_still_works():
    class Old(ValueProblem):
        def _collect(self, value, include_hidden):
            return value * 2

        def _grade(self, payload):
            return core.Result(CORRECT if payload == 6 else INCORRECT, "old")
    q = Old("v", expected=6)
    assert q.evaluate({"v": 3}).status == CORRECT
    assert q.evaluate({"v": 4}, seed=5).status == INCORRECT


def test_a_backward_error_gets_the_gist_despite_its_korean_prefix():
    code = MY_RELU_FUNCTION.format(decorator="@staticmethod").replace(
        "grad_output * (x > 0)", "grad_output.no_such_method()")
    r = _evaluate(_module("lesson12").q1, code)
    assert r.status == INCORRECT and "없는 속성이나 메서드" in r.text(), r.text()
    assert r.text().index("없는 속성이나 메서드") < r.text().index("AttributeError")


@pytest.mark.parametrize("code", [
    # a pass-through Function around autograd's own x ** 3: autograd did the real work
    "class Identity(Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        return x.clone()\n"
    "    @staticmethod\n    def backward(ctx, g):\n        return g\n"
    "def my_cube(x):\n    return Identity.apply(x ** 3)",
    "class Identity(Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        return x.clone()\n"
    "    @staticmethod\n    def backward(ctx, g):\n        return g\n"
    "def my_cube(x):\n    return Identity.apply(x) * x * x",
])
def test_lesson12_a_function_wrapped_around_autograd_is_refused(code):
    r = _evaluate(_module("lesson12").q2, code)
    assert r.status == INCORRECT and "라이브러리의 연산" in r.text() and "Backward" in r.text(), r.text()


def test_putting_the_original_code_back_during_the_run_is_caught():
    code = ("saved = F.linear.__code__\n"
            "def my_linear(x, A, b):\n"
            "    F.linear.__code__ = saved\n"
            "    return F.linear(x, A, b)")
    r = _evaluate(_module("lesson06").q1, code)
    assert r.status == INCORRECT and "F.linear" in r.text(), r.text()
    x, A, b = teachnn.randn(3, 4), teachnn.randn(2, 4), teachnn.randn(2)
    np.testing.assert_allclose(F.linear(x, A, b).numpy(), x.numpy() @ A.numpy().T + b.numpy(),
                               rtol=1e-5, atol=1e-6)
