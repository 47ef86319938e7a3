"""Exercises added for the notes' missing topics and the early autograd primer: lesson 01
q5-q6, lesson 02 q6-q7 (kernel_size is not the embedding dimension), lesson 05 q6
(ConvTranspose3d), lesson 07 q7-q9 (MaxPool1d, AvgPool1d, nn.Flatten) and lesson 14
(BatchNorm, Dropout, train/eval). Each reference solution passes, the placeholder reads "not
attempted", and the typical wrong answers fail with the intended explanation."""
import importlib

import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.exercises.core import CORRECT, INCORRECT, UNATTEMPTED, WRITTEN, ____

NEW = {"lesson01": ["q5", "q6"], "lesson02": ["q6", "q7"], "lesson05": ["q6"],
       "lesson07": ["q7", "q8", "q9"], "lesson14": ["q1", "q2", "q3", "q4", "q5", "q6"]}


def _problem(lesson, name):
    return getattr(importlib.import_module(f"teachnn.exercises.{lesson}"), name)


def ev(problem, **namespace):
    return problem.evaluate(namespace)


@pytest.mark.parametrize("lesson,name", [(l, q) for l, qs in NEW.items() for q in qs])
def test_solution_passes_and_placeholder_is_not_attempted(lesson, name):
    problem = _problem(lesson, name)
    ns = {"torch": teachnn, "nn": nn, "F": F}
    exec(problem.solution_text, ns)
    status = problem.evaluate(ns).status
    if problem.kind == "words":      # free text is shown beside the model answer, never marked wrong
        assert status not in (INCORRECT, UNATTEMPTED)
    else:
        assert status == CORRECT
    assert ev(problem, **{problem.var: ____}).status == UNATTEMPTED


def test_lesson01_autograd_primer_wrong_answers():
    q5, q6 = _problem("lesson01", "q5"), _problem("lesson01", "q6")
    # oracle: d/dw sum(w^2 + 3w) = 2w + 3, by hand
    assert ev(q5, w_grad=teachnn.tensor([5.0, -1.0, 9.0])).status == CORRECT
    forgot = ev(q5, w_grad=teachnn.tensor([2.0, -4.0, 6.0]))
    assert forgot.status == INCORRECT and "3도 더해" in forgot.text()
    assert ev(q5, w_grad=teachnn.tensor([4.0, -2.0, 18.0])).status == INCORRECT
    assert ev(q6, p_after=1.95).status == CORRECT
    wrong_sign = ev(q6, p_after=2.05)
    assert wrong_sign.status == INCORRECT and "빼야" in wrong_sign.text()
    assert ev(q6, p_after=1.5).status == INCORRECT


def test_lesson02_kernel_size_is_not_the_embedding_dimension():
    q6, q7 = _problem("lesson02", "q6"), _problem("lesson02", "q7")
    assert ev(q6, weight_shape=tuple(nn.Conv1d(50, 16, kernel_size=3).weight.shape)).status == CORRECT
    notes_misreading = ev(q6, weight_shape=(16, 50, 50))
    assert notes_misreading.status == INCORRECT and "임베딩 차원이 아닙니다" in notes_misreading.text()
    assert ev(q6, weight_shape=(16, 3)).status == INCORRECT
    assert ev(q7, trigram_conv=nn.Conv1d(300, 8, kernel_size=3, padding=0)).status == CORRECT
    for wrong in (nn.Conv1d(300, 8, kernel_size=300),      # the notes' reading: fails to run on 10 words
                  nn.Conv1d(3, 8, kernel_size=300),        # same parameter count, axes swapped
                  nn.Conv1d(300, 8, kernel_size=3, padding=1),
                  nn.Conv2d(300, 8, kernel_size=3)):
        assert ev(q7, trigram_conv=wrong).status == INCORRECT, wrong


def test_lesson05_conv_transpose3d():
    q6 = _problem("lesson05", "q6")
    assert ev(q6, up3=nn.ConvTranspose3d(16, 8, 4, stride=2, padding=1)).status == CORRECT
    for wrong in (nn.ConvTranspose3d(16, 8, 4, stride=2),                  # no padding: 10x18x18
                  nn.ConvTranspose3d(8, 16, 4, stride=2, padding=1),       # channels swapped
                  nn.Conv3d(16, 8, 4, stride=2, padding=1),                # shrinks instead
                  nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)):
        assert ev(q6, up3=wrong).status == INCORRECT, wrong


def _pool1d(x, k, s, reduce):
    """Naive loop oracle: windows [i*s, i*s + k) inside x."""
    return [reduce(x[i * s:i * s + k]) for i in range((len(x) - k) // s + 1)]


def test_lesson07_pool1d_and_flatten():
    q7, q8, q9 = (_problem("lesson07", n) for n in ("q7", "q8", "q9"))
    seq = [4.0, 1.0, 3.0, 8.0, 2.0, 6.0, 5.0]
    assert _pool1d(seq, 3, 2, max) == [4.0, 8.0, 6.0]
    assert ev(q7, y_max1d=teachnn.tensor([4, 8, 6])).status == CORRECT        # ints are fine
    # the layer itself agrees with the loop oracle and with the expected answer
    layer_out = nn.MaxPool1d(3, stride=2)(teachnn.tensor([[seq]]))[0, 0]
    assert ev(q7, y_max1d=layer_out).status == CORRECT
    default_stride = ev(q7, y_max1d=teachnn.tensor(_pool1d(seq, 3, 3, max)))
    assert default_stride.status == INCORRECT and "stride=2" in default_stride.text()
    assert ev(q7, y_max1d=teachnn.tensor(_pool1d(seq, 3, 2, np.mean))).status == INCORRECT

    mean2 = _pool1d(seq, 2, 2, lambda w: sum(w) / 2)
    assert mean2 == [2.5, 5.5, 4.0]
    assert ev(q8, y_avg1d=nn.AvgPool1d(2)(teachnn.tensor([[seq]]))[0, 0]).status == CORRECT
    leftover = ev(q8, y_avg1d=teachnn.tensor(mean2 + [5.0]))
    assert leftover.status == INCORRECT and "버려집니다" in leftover.text()
    assert ev(q8, y_avg1d=teachnn.tensor(_pool1d(seq, 2, 1, lambda w: sum(w) / 2))).status == INCORRECT

    maps = teachnn.zeros(8, 64, 4, 4)
    assert ev(q9, flat_shape=tuple(nn.Flatten()(maps).shape)).status == CORRECT
    whole = ev(q9, flat_shape=tuple(teachnn.flatten(maps).shape))
    assert whole.status == INCORRECT and "배치 축" in whole.text()
    assert ev(q9, flat_shape=(8, 64, 16)).status == INCORRECT


def test_lesson14_batchnorm_values_and_wrong_answers():
    q1, q2, q3 = (_problem("lesson14", n) for n in ("q1", "q2", "q3"))
    x = [1.0, 2.0, 3.0, 6.0]
    mean = sum(x) / 4                                              # 3, by hand
    var = sum((v - mean) ** 2 for v in x) / 4                      # 3.5, by hand
    by_hand = [(v - mean) / (var + 1e-5) ** 0.5 for v in x]
    assert ev(q1, y_bn=teachnn.tensor(by_hand)).status == CORRECT
    assert ev(q1, y_bn=teachnn.tensor([round(v, 3) for v in by_hand])).status == CORRECT
    bn = nn.BatchNorm1d(1)
    out = bn(teachnn.tensor([[v] for v in x])).view(-1)
    assert ev(q1, y_bn=out).status == CORRECT                      # the layer agrees
    unbiased = [(v - mean) / (sum((u - mean) ** 2 for u in x) / 3 + 1e-5) ** 0.5 for v in x]
    r = ev(q1, y_bn=teachnn.tensor(unbiased))
    assert r.status == INCORRECT and "N으로 나눈 분산" in r.text()
    assert ev(q1, y_bn=teachnn.tensor([v - mean for v in x])).status == INCORRECT

    assert abs(bn.running_mean.item() - 0.3) < 1e-6                # the layer's own update
    assert ev(q2, running_mean_after=bn.running_mean.item()).status == CORRECT
    r = ev(q2, running_mean_after=3.0)
    assert r.status == INCORRECT and "momentum" in r.text()
    assert ev(q2, running_mean_after=2.7).status == INCORRECT

    assert ev(q3, dropout_scale=1.25).status == CORRECT
    for wrong in (0.8, 5.0, 0.2):
        assert ev(q3, dropout_scale=wrong).status == INCORRECT


def _drop_net(training_flag):
    class DropNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(8, 16)
            self.fc2 = nn.Linear(16, 4)

        def forward(self, x):
            x = F.relu(self.fc1(x))
            if training_flag == "self.training":
                x = F.dropout(x, p=0.5, training=self.training)
            elif training_flag == "forgotten":
                x = F.dropout(x, p=0.5)
            return self.fc2(x)
    return DropNet


def test_lesson14_f_dropout_needs_training_flag():
    q4 = _problem("lesson14", "q4")
    teachnn.manual_seed(0)
    assert ev(q4, model=_drop_net("self.training")()).status == CORRECT
    assert ev(q4, model=_drop_net("self.training")).status == CORRECT        # the class works too
    layer_version = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 4))
    assert ev(q4, model=layer_version).status == CORRECT                      # nn.Dropout is fine
    assert ev(q4, model=_drop_net("forgotten")()).status == INCORRECT          # the pitfall
    assert ev(q4, model=nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 5))).status == INCORRECT


def test_lesson14_batch_norm_by_hand_function():
    q5 = _problem("lesson14", "q5")

    def right(x):
        mean = x.mean(dim=0)
        return (x - mean) / (((x - mean) ** 2).mean(dim=0) + 1e-5) ** 0.5

    def unbiased(x):
        mean = x.mean(dim=0)
        return (x - mean) / (((x - mean) ** 2).sum(dim=0) / (x.shape[0] - 1) + 1e-5) ** 0.5

    def wrong_axis(x):
        mean = x.mean(dim=1, keepdim=True)
        return (x - mean) / (((x - mean) ** 2).mean(dim=1, keepdim=True) + 1e-5) ** 0.5

    def no_eps(x):
        mean = x.mean(dim=0)
        return (x - mean) / (((x - mean) ** 2).mean(dim=0)) ** 0.5

    def the_layer(x):                    # the library's own batch norm: a shortcut, refused
        return F.batch_norm(x, None, None, training=True)

    assert ev(q5, batch_norm_train=right).status == CORRECT
    assert ev(q5, batch_norm_train=the_layer).status == INCORRECT
    # oracle check: the answer key agrees with teachnn's batch norm on the visible case
    (x,) = q5.cases[0]()
    np.testing.assert_allclose(q5.reference(x).numpy(),
                               F.batch_norm(x, None, None, training=True).numpy(), atol=1e-5)
    for wrong in (unbiased, wrong_axis, no_eps):
        assert ev(q5, batch_norm_train=wrong).status == INCORRECT, wrong.__name__


def test_lesson14_words_needs_both_layers():
    q6 = _problem("lesson14", "q6")
    # free text is never graded correct: too short is wrong, anything else is shown beside
    # the model answer, with a note when one of the two layers is missing
    assert ev(q6, answer="모른다").status == INCORRECT
    half = ev(q6, answer="배치 정규화가 시험 배치의 평균을 써서 결과가 달라진다")
    assert half.status == WRITTEN and not half.correct and "참고:" in half.text()
    both = ev(q6, answer="배치 정규화는 배치 평균을 쓰고 드롭아웃은 무작위로 값을 끈다")
    assert both.status == WRITTEN and not both.correct and "참고:" not in both.text()


@pytest.mark.parametrize("body", [
    "import teachnn.nn.functional as F\n"
    "def batch_norm_train(x):\n    return F.batch_norm(x, None, None, training=True)",
    "import teachnn.nn as nn\n"
    "def batch_norm_train(x):\n    return nn.BatchNorm1d(x.shape[1], affine=False)(x)",
])
def test_lesson14_batch_norm_by_hand_refuses_the_library(body):
    q5 = _problem("lesson14", "q5")
    ns = {}
    exec(body, ns)
    result = q5.evaluate(ns)
    assert result.status == INCORRECT and "쓸 수 없습니다" in result.text(), result.text()
