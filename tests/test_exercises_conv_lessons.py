"""Exercises of lessons 02, 03, 04, 05, 07 and 11, the shapes data set, and the notebooks'
generator.

For every exercise:
  * the reference solution shown by ``q.solution()`` is executed as a learner would paste it,
    and must be graded 정답입니다;
  * a typical wrong answer must be graded 다시 확인해 보세요 with the intended Korean message;
  * the untouched placeholder must read 아직 풀지 않았습니다.
The expected values (computed inside the exercise modules with NumPy loops) are also checked
against teachnn's functional ops and, where PyTorch is installed, against PyTorch.
"""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from teachnn.exercises.core import CORRECT, INCORRECT, UNATTEMPTED, WRITTEN, WordsProblem, ____
from teachnn.datasets import SHAPE_CLASSES, load_shapes, make_shapes
from tests.parity import requires_torch, torch

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ["lesson02", "lesson03", "lesson04", "lesson05", "lesson07", "lesson11"]
NOTEBOOKS = {"lesson02": "02_conv1d.ipynb", "lesson03": "03_conv2d.ipynb",
             "lesson04": "04_conv3d.ipynb", "lesson05": "05_conv_transpose.ipynb",
             "lesson07": "07_pooling.ipynb", "lesson11": "11_custom_forward_cnn.ipynb"}

NOTEBOOK_PRELUDE = """
import math
import numpy as np
import teachnn as torch
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.exercises import ____
"""


def _module(lesson):
    return importlib.import_module(f"teachnn.exercises.{lesson}")


def _namespace(code: str = "") -> dict:
    """A fresh 'notebook' namespace with the lesson imports, then ``code`` executed in it."""
    ns: dict = {"__name__": "__main__"}
    exec(NOTEBOOK_PRELUDE, ns)
    if code:
        exec(code, ns)
    return ns


def _all_problems():
    for lesson in LESSONS:
        for problem in _module(lesson).PROBLEMS:
            yield pytest.param(lesson, problem.name, id=f"{lesson}.{problem.name}")


# ------------------------------------------------------------------------------------------
# Every exercise: the solution passes, the placeholder reads "not attempted"
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lesson,name", list(_all_problems()))
def test_reference_solution_is_correct(lesson, name):
    problem = getattr(_module(lesson), name)
    if isinstance(problem, WordsProblem):
        ns = _namespace()
        ns[problem.var] = problem.model_answer          # the model answer: written, no note
        result = problem.evaluate(ns)
        assert result.status == WRITTEN and "참고:" not in result.text(), result.text()
        return
    ns = _namespace(problem.solution_text)
    result = problem.evaluate(ns)
    assert result.status == CORRECT, result.text()


@pytest.mark.parametrize("lesson,name", list(_all_problems()))
def test_placeholder_reads_not_attempted(lesson, name):
    problem = getattr(_module(lesson), name)
    ns = _namespace()
    ns[problem.var] = ____
    result = problem.evaluate(ns)
    assert result.status == UNATTEMPTED, result.text()
    assert result.header == "아직 풀지 않았습니다"


def _function_problems():
    for lesson in LESSONS:
        for problem in _module(lesson).PROBLEMS:
            if problem.kind == "function":
                yield pytest.param(lesson, problem.name, id=f"{lesson}.{problem.name}")


@pytest.mark.parametrize("lesson,name", list(_function_problems()))
def test_placeholder_inside_function_reads_not_attempted(lesson, name):
    """The notebook cells as shipped: ``return ____`` inside the def."""
    problem = getattr(_module(lesson), name)
    ns = _namespace(f"def {problem.var}(*args, **kwargs):\n    return ____\n")
    assert problem.evaluate(ns).status == UNATTEMPTED


def test_every_lesson_has_three_or_more_exercises_of_several_kinds():
    for lesson in LESSONS:
        problems = _module(lesson).PROBLEMS
        assert len(problems) >= 3, lesson
        kinds = {p.kind for p in problems}
        assert len(kinds) >= 3, (lesson, kinds)
        for p in problems:
            assert p.hints, f"{lesson}.{p.name} has no hint"
            assert p.solution_text, f"{lesson}.{p.name} has no solution"


# ------------------------------------------------------------------------------------------
# Typical wrong answers: graded incorrect, with the intended Korean message
# ------------------------------------------------------------------------------------------
WRONG = {
    # lesson02 — Conv1d
    ("lesson02", "q1"): ("x_shape = (4, 12, 50)", "채널 축과 길이 축이 바뀌었습니다"),
    ("lesson02", "q2"): ("y = torch.tensor([2*1 + 3 - 2, 2*3 + 2 - 5, 2*2 + 5 - 4, 2*5 + 4 - 6])",
                         "dilation=1(이웃한 세 칸)로 계산한 값입니다"),
    ("lesson02", "q3"): ("def conv1d_out_len(length, kernel_size, stride=1, padding=0, dilation=1):\n"
                         "    return (length + 2 * padding - kernel_size) // stride + 1",
                         "테스트 4번"),
    ("lesson02", "q4"): ("conv = nn.Conv1d(6, 4, kernel_size=3)", "출력 모양이 [2, 4, 7]인데, 기대한 모양은 [2, 4, 9]"),
    ("lesson02", "q5"): ('answer = "잘 모르겠습니다"', "답이 너무 짧습니다"),
    # lesson03 — Conv2d
    ("lesson03", "q1"): ("out_shape = (8, 8, 28, 36)", "스트라이드 2를 적용하지 않았습니다"),
    ("lesson03", "q2"): ("y = torch.tensor([[0.0, 1.0], [1.0, -1.0]])", "커널을 뒤집어 곱했습니다"),
    ("lesson03", "q3"): ("def conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0):\n"
                         "    n, c, h, w = input_shape\n"
                         "    h_out = (h + 2 * padding - kernel_size) // stride + 1\n"
                         "    return (n, out_channels, h_out, h_out)",
                         "공개되지 않은 추가 테스트"),
    ("lesson03", "q4"): ("conv = nn.Conv2d(3, 16, kernel_size=5)", "기대한 모양은 [2, 16, 32, 32]"),
    # lesson04 — Conv3d
    ("lesson04", "q1"): ("out_shape = (2, 8, 14, 53, 53)", "패딩 (1, 3, 3)을 빠뜨렸습니다"),
    ("lesson04", "q2"): ("n_params = 8 * 3 * 3 * 7 * 7", "편향(bias)도 파라미터입니다"),
    ("lesson04", "q3"): ("values = (27, 27)", "패딩 칸의 값은 0입니다"),
    ("lesson04", "q4"): ("conv = nn.Conv3d(1, 4, kernel_size=3, padding=1)", "기대한 모양은 [2, 4, 8, 8, 8]"),
    # lesson05 — transposed convolution
    ("lesson05", "q1"): ("out_shape = (1, 8, 3, 3)", "합성곱(줄이는 쪽)의 공식을 썼습니다"),
    ("lesson05", "q2"): ("y = torch.tensor([1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0])", "값을 덮어쓰지 않고 더합니다"),
    ("lesson05", "q3"): ("def conv_transpose_out_len(length, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):\n"
                         "    return (length - 1) * stride - 2 * padding + kernel_size + output_padding",
                         "공개되지 않은 추가 테스트"),
    ("lesson05", "q4"): ("up = nn.ConvTranspose2d(32, 16, kernel_size=3, stride=2, padding=1)",
                         "기대한 모양은 [2, 16, 16, 16]"),
    # lesson07 — pooling
    ("lesson07", "q1"): ("y = torch.tensor([[2.75, 2.75], [3.25, 3.5]])", "평균 풀링(AvgPool2d)입니다"),
    ("lesson07", "q2"): ("y2 = torch.tensor([1.5, 3.5, 5.0])", "창을 겹치지 않게"),
    ("lesson07", "q3"): ("def adaptive_windows(in_size, out_size):\n"
                         "    k = in_size // out_size\n"
                         "    return [(i * k, (i + 1) * k) for i in range(out_size)]",
                         "테스트 2번"),
    ("lesson07", "q4"): ("head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Linear(16, 4))", "오류가 났습니다"),
    ("lesson07", "q5"): ("out_shape = (8, 64, 27, 27)", "padding=1을 빠뜨렸습니다"),
    # lesson11 — custom forward, training
    ("lesson11", "q1"): ("in_features_28 = 64 * 24 * 24", "합성곱을 한 번만 적용했습니다"),
    ("lesson11", "q2"): ("input_size = 28", "28x28(MNIST 크기)이면 20x20이 남습니다"),
    ("lesson11", "q3"): ("def per_class_accuracy(logits, labels, num_classes):\n"
                         "    predicted = logits.argmax(dim=1)\n"
                         "    overall = (predicted == labels).float().mean().item()\n"
                         "    return [overall] * num_classes",
                         "테스트 1번"),
    ("lesson11", "q4"): ("class MyModel28(nn.Module):\n"
                         "    def __init__(self):\n"
                         "        super().__init__()\n"
                         "        self.layers = nn.Sequential(nn.Conv2d(1, 20, 5), nn.ReLU(),\n"
                         "                                    nn.Conv2d(20, 64, 5), nn.ReLU())\n"
                         "        self.fc1 = nn.Linear(64 * 4 * 4, 128)\n"
                         "        self.fc2 = nn.Linear(128, 10)\n"
                         "    def forward(self, x):\n"
                         "        x = self.layers(x * 2)\n"
                         "        x = x.view(x.size(0), -1)\n"
                         "        return F.softmax(self.fc2(F.relu(self.fc1(x))), dim=1)\n",
                         "오류가 났습니다"),
    # added for issue 20 (more cases in tests/test_exercises_course.py)
    ("lesson02", "q6"): ("weight_shape = (16, 50, 50)", "임베딩 차원이 아닙니다"),
    ("lesson02", "q7"): ("trigram_conv = nn.Conv1d(300, 8, kernel_size=300)", "파라미터 수가 다릅니다"),
    ("lesson05", "q6"): ("up3 = nn.ConvTranspose3d(16, 8, kernel_size=4, stride=2)", "출력 모양이"),
    ("lesson07", "q7"): ("y_max1d = torch.tensor([4.0, 8.0])", "stride=2입니다"),
    ("lesson07", "q8"): ("y_avg1d = torch.tensor([2.5, 5.5, 4.0, 5.0])", "버려집니다"),
    ("lesson07", "q9"): ("flat_shape = (8192,)", "배치 축을 남깁니다"),
}


def test_every_exercise_has_a_wrong_answer_test():
    names = {(lesson, p.name) for lesson in LESSONS for p in _module(lesson).PROBLEMS
             if not isinstance(p, WordsProblem)}       # free text: test_exercises_issue16.py
    assert names <= set(WRONG)


@pytest.mark.parametrize("key", sorted(WRONG), ids=[f"{l}.{q}" for l, q in sorted(WRONG)])
def test_typical_wrong_answer_gets_the_intended_message(key):
    lesson, name = key
    code, message = WRONG[key]
    problem = getattr(_module(lesson), name)
    result = problem.evaluate(_namespace(code))
    assert result.status == INCORRECT, result.text()
    assert result.header == "다시 확인해 보세요"
    assert message in result.text(), result.text()


def test_wrong_answer_never_reveals_the_expected_value():
    from teachnn.exercises import lesson02, lesson05
    result = lesson02.q2.evaluate(_namespace("y = torch.tensor([1.0, 1.0])"))
    assert result.status == INCORRECT
    assert "5" not in result.text().replace("q2", "")      # the expected [0, 5] is not shown
    result = lesson05.q1.evaluate(_namespace("out_shape = (1, 8, 15, 15)"))
    assert "14" not in result.text()


def test_learner_exception_is_a_hint_not_a_crash():
    from teachnn.exercises import lesson03
    code = ("def conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0):\n"
            "    n, c, h = input_shape\n"
            "    return (n, out_channels, h, h)\n")
    result = lesson03.q3.evaluate(_namespace(code))
    assert result.status == INCORRECT
    assert "ValueError" in result.text()


def test_words_answers_that_name_the_idea_are_written_without_a_note():
    from teachnn.exercises import lesson04, lesson05
    ns = _namespace('answer = "전치 행렬 C^T를 곱하는 것이지 역행렬로 원래 입력을 되돌리는 것이 아니기 때문입니다."')
    r = lesson05.q5.evaluate(ns)
    assert r.status == WRITTEN and "참고:" not in r.text()
    ns = _namespace('answer = "Conv3d는 여러 프레임을 함께 보아 움직임을 잡아냅니다."')
    r = lesson04.q5.evaluate(ns)
    assert r.status == WRITTEN and "참고:" not in r.text()


def test_alternative_right_answers_are_accepted():
    from teachnn.exercises import lesson02, lesson04, lesson07
    # padding='same' keeps the length as well as padding=1
    assert lesson02.q4.evaluate(_namespace("conv = nn.Conv1d(6, 4, 3, padding='same')")).status == CORRECT
    # any Conv3d that halves every axis
    assert lesson04.q4.evaluate(_namespace("conv = nn.Conv3d(1, 4, kernel_size=2, stride=2)")).status == CORRECT
    # a hand-written global average instead of AdaptiveAvgPool2d + Flatten
    code = ("class Head(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.fc = nn.Linear(16, 4)\n"
            "    def forward(self, x):\n"
            "        return self.fc(x.mean(dim=3).mean(dim=2))\n"
            "head = Head()\n")
    assert lesson07.q4.evaluate(_namespace(code)).status == CORRECT
    # shapes as lists or torch.Size are fine
    assert lesson02.q1.evaluate(_namespace("x_shape = torch.zeros(4, 50, 12).shape")).status == CORRECT


# ------------------------------------------------------------------------------------------
# Expected values agree with teachnn's functional ops and with PyTorch
# ------------------------------------------------------------------------------------------
def _expected_cases(lib):
    """(name, expected-from-exercise-module, value computed by ``lib``) triples."""
    from teachnn.exercises import lesson02, lesson03, lesson04, lesson05, lesson07
    F = lib.nn.functional
    t = lambda a: lib.tensor(np.asarray(a, dtype=np.float32))  # noqa: E731
    out = []
    y = F.conv1d(t(lesson02._Q2_X).reshape(1, 1, 6), t(lesson02._Q2_W).reshape(1, 1, 3), dilation=2)
    out.append(("lesson02.q2", lesson02.q2.expected(), y.reshape(-1)))
    y = F.conv2d(t(lesson03._Q2_X).reshape(1, 1, 3, 3), t(lesson03._Q2_W).reshape(1, 1, 2, 2))
    out.append(("lesson03.q2", lesson03.q2.expected(), y.reshape(2, 2)))
    ones = lib.ones(1, 1, 3, 3, 3)
    y = F.conv3d(ones, ones, padding=1)
    out.append(("lesson04.q3", np.array(lesson04.q3.expected(), dtype=float),
                lib.stack([y[0, 0, 1, 1, 1], y[0, 0, 0, 0, 0]])))
    y = F.conv_transpose1d(t(lesson05._Q2_X).reshape(1, 1, 3), t(lesson05._Q2_W).reshape(1, 1, 3), stride=2)
    out.append(("lesson05.q2", lesson05.q2.expected(), y.reshape(-1)))
    y = F.max_pool2d(t(lesson07._Q1_X).reshape(1, 1, 4, 4), 2)
    out.append(("lesson07.q1", lesson07.q1.expected(), y.reshape(2, 2)))
    y = F.adaptive_avg_pool1d(t([1, 2, 3, 4, 5]).reshape(1, 1, 5), 3)
    out.append(("lesson07.q2", lesson07.q2.expected(), y.reshape(-1)))
    return out


def _shape_cases(lib):
    from teachnn.exercises import lesson03, lesson04, lesson05, lesson07
    nn = lib.nn
    with lib.no_grad():
        return [
            ("lesson03.q1", lesson03.q1.expected(),
             nn.Conv2d(3, 8, kernel_size=(3, 5), stride=(1, 2), padding=(1, 0))(lib.zeros(8, 3, 28, 40)).shape),
            ("lesson04.q1", lesson04.q1.expected(),
             nn.Conv3d(3, 8, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3))(lib.zeros(2, 3, 16, 112, 112)).shape),
            ("lesson05.q1", lesson05.q1.expected(),
             nn.ConvTranspose2d(16, 8, kernel_size=4, stride=2, padding=1)(lib.zeros(1, 16, 7, 7)).shape),
            ("lesson07.q5", lesson07.q5.expected(),
             nn.MaxPool2d(kernel_size=3, stride=2, padding=1)(lib.zeros(8, 64, 56, 56)).shape),
        ]


def test_expected_values_match_teachnn_functional():
    import teachnn
    for name, expected, got in _expected_cases(teachnn):
        np.testing.assert_allclose(np.asarray(got._data, dtype=float), expected, atol=1e-6, err_msg=name)


def test_expected_shapes_and_param_count_match_teachnn_layers():
    import teachnn
    from teachnn.exercises import lesson04
    for name, expected, got in _shape_cases(teachnn):
        assert tuple(got) == tuple(expected), name
    layer = teachnn.nn.Conv3d(3, 8, kernel_size=(3, 7, 7))
    assert sum(p.numel() for p in layer.parameters()) == lesson04.q2.expected()


@requires_torch
def test_expected_values_and_shapes_match_pytorch():
    for name, expected, got in _expected_cases(torch):
        np.testing.assert_allclose(got.detach().numpy().astype(float), expected, atol=1e-6, err_msg=name)
    for name, expected, got in _shape_cases(torch):
        assert tuple(got) == tuple(expected), name
    from teachnn.exercises import lesson04, lesson11
    assert sum(p.numel() for p in torch.nn.Conv3d(3, 8, kernel_size=(3, 7, 7)).parameters()) == lesson04.q2.expected()
    # the notes' MyModel: two k=5 convs on 28x28 leave 64x20x20; on 12x12 exactly 64x4x4
    convs = torch.nn.Sequential(torch.nn.Conv2d(1, 20, 5), torch.nn.Conv2d(20, 64, 5))
    with torch.no_grad():
        assert convs(torch.zeros(1, 1, 28, 28)).numel() == lesson11.q1.expected()
        assert convs(torch.zeros(1, 1, lesson11.q2.expected(), lesson11.q2.expected())).numel() == 64 * 4 * 4


def test_function_references_match_geometry():
    """The references of the formula exercises agree with teachnn.geometry on a grid."""
    from teachnn import geometry
    from teachnn.exercises import lesson02, lesson05, lesson07
    for length in range(1, 14):
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(0, 3):
                    for d in range(1, 3):
                        if length + 2 * p >= d * (k - 1) + 1:
                            assert lesson02._out_len(length, k, s, p, d) == \
                                geometry.conv_output_size(length, k, s, p, p, d)
                        for op in range(0, max(s, d)):
                            assert lesson05._out_len(length, k, s, p, op, d) == \
                                geometry.conv_transpose_output_size(length, k, s, p, d, op)
        for out_size in range(1, 9):
            assert lesson07._adaptive_windows(length, out_size) == geometry.adaptive_ranges(length, out_size)


# ------------------------------------------------------------------------------------------
# The shapes data set
# ------------------------------------------------------------------------------------------
def test_make_shapes_shapes_dtypes_balance_and_determinism():
    x, y = make_shapes(n_per_class=30, size=12, seed=3)
    assert x.shape == (120, 1, 12, 12) and x.dtype == np.float32
    assert y.shape == (120,) and y.dtype == np.int64
    assert np.bincount(y, minlength=4).tolist() == [30, 30, 30, 30]
    x2, y2 = make_shapes(n_per_class=30, size=12, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = make_shapes(n_per_class=30, size=12, seed=4)
    assert not np.array_equal(x, x3)
    assert len(set(y[:20].tolist())) > 1                  # shuffled, not sorted by class


def _assert_pictures_match_labels(x, y, size):
    """Check each noise-free picture's geometry against its label (an independent oracle)."""
    for image, label in zip(x[:, 0], y):
        on = image > 0
        rows, cols = np.nonzero(on)
        assert on.sum() > 0
        assert 0.6 <= image[on].min() and image[on].max() <= 1.0
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        name = SHAPE_CLASSES[label]
        if name == "horizontal":
            assert height <= 2 and width >= size // 2
        elif name == "vertical":
            assert width <= 2 and height >= size // 2
        elif name == "square":
            assert height == width >= 4
            assert not on[rows.min() + 1:rows.max(), cols.min() + 1:cols.max()].any()   # hollow
            assert on[rows.min(), cols.min():cols.max() + 1].all()                       # top edge
            assert on[rows.max(), cols.min():cols.max() + 1].all()                       # bottom edge
        elif name == "cross":
            assert height == width >= 5
            top, left = rows.min(), cols.min()
            for i in range(height):
                assert on[top + i, left + i] and on[top + i, left + height - 1 - i]
            assert on.sum() == 2 * height - (height % 2)


def test_make_shapes_draws_the_shape_its_label_names():
    x, y = make_shapes(n_per_class=40, size=12, noise=0.0, seed=7)
    _assert_pictures_match_labels(x, y, 12)


@settings(max_examples=30, deadline=None)
@given(size=st.integers(8, 24), seed=st.integers(0, 10_000), n=st.integers(1, 6))
def test_make_shapes_any_size_and_seed(size, seed, n):
    x, y = make_shapes(n_per_class=n, size=size, noise=0.0, seed=seed)
    assert x.shape == (4 * n, 1, size, size)
    assert np.bincount(y, minlength=4).tolist() == [n] * 4
    _assert_pictures_match_labels(x, y, size)


def test_make_shapes_rejects_bad_arguments():
    with pytest.raises(ValueError, match="size"):
        make_shapes(size=5)
    with pytest.raises(ValueError, match="n_per_class"):
        make_shapes(n_per_class=0)
    with pytest.raises(ValueError, match="noise"):
        make_shapes(noise=-1.0)
    with pytest.raises(ValueError, match="noise"):
        make_shapes(noise=float("nan"))
    with pytest.raises(TypeError, match="n_per_class must be an int"):
        make_shapes(n_per_class=2.5)
    with pytest.raises(TypeError, match="size must be an int"):
        make_shapes(size="12")
    with pytest.raises(TypeError, match="noise must be a number"):
        make_shapes(noise="0.1")


def test_load_shapes_train_and_test_are_tensors_and_differ():
    import teachnn
    x_train, y_train = load_shapes(train=True)
    x_test, y_test = load_shapes(train=False)
    assert isinstance(x_train, teachnn.Tensor) and isinstance(y_train, teachnn.Tensor)
    assert tuple(x_train.shape) == (800, 1, 12, 12) and tuple(x_test.shape) == (200, 1, 12, 12)
    assert x_train.dtype == teachnn.float32 and y_train.dtype == teachnn.int64
    # no test picture is also a training picture
    train_rows = {row.tobytes() for row in x_train._data.reshape(800, -1)}
    assert not any(row.tobytes() in train_rows for row in x_test._data.reshape(200, -1))


# ------------------------------------------------------------------------------------------
# The notebooks are what the generator writes (outputs cleared) and use the exercises
# ------------------------------------------------------------------------------------------
def test_notebooks_import_and_check_every_exercise():
    for lesson, filename in NOTEBOOKS.items():
        nb = json.loads((ROOT / "lessons" / filename).read_text(encoding="utf-8"))
        source = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        assert f"from teachnn.exercises.{lesson} import" in source
        assert "import teachnn as torch" in source
        for problem in _module(lesson).PROBLEMS:
            assert f"{problem.name}.check()" in source, f"{filename} never checks {problem.name}"
            assert f"{problem.var} = ____" in source or f"def {problem.var}(" in source
