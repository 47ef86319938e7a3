"""Exercises of lesson 09 (loss functions: CrossEntropyLoss, MSELoss, L1Loss)."""
import numpy as np

import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.exercises.core import (FunctionProblem, ValueProblem, WordsProblem, finalize,
                                    random_tensor, ____)  # noqa: F401

# the lesson's small example (also printed in the notebook)
PRED = [2.5, 0.0, 2.0, 8.0]
TARGET = [3.0, -0.5, 2.0, 7.0]


def _mse():
    p, t = np.array(PRED), np.array(TARGET)
    return float(np.mean((p - t) ** 2))


def _mae():
    p, t = np.array(PRED), np.array(TARGET)
    return float(np.mean(np.abs(p - t)))


q1 = ValueProblem(
    "mse",
    expected=_mse,
    atol=1e-4, rtol=1e-4,
    title="MSELoss를 손으로 계산하기",
    hints=["각 자리의 차이(예측 - 정답)를 구하고 제곱한 뒤 평균을 냅니다.",
           "차이는 -0.5, 0.5, 0, 1 입니다. 제곱하면 0.25, 0.25, 0, 1 이고, 평균은 합을 4로 나눈 값입니다."],
    solution="mse = (0.25 + 0.25 + 0 + 1) / 4   # 0.375",
    mistakes=[(_mae, "절댓값의 평균을 구했습니다. 그것은 L1Loss(MAE)입니다. MSE는 제곱의 평균입니다."),
              (1.5, "제곱의 합까지 구했습니다. 평균이므로 원소 수(4)로 나누세요.")],
)

q2 = ValueProblem(
    "mae",
    expected=_mae,
    atol=1e-4, rtol=1e-4,
    title="L1Loss(MAE)를 손으로 계산하기",
    hints=["차이의 절댓값을 구하고 평균을 냅니다.",
           "|차이|는 0.5, 0.5, 0, 1 입니다."],
    solution="mae = (0.5 + 0.5 + 0 + 1) / 4   # 0.5",
    mistakes=[(_mse, "제곱의 평균을 구했습니다. 그것은 MSELoss입니다. L1Loss는 절댓값의 평균입니다.")],
)


def _ce_reference(logits, target):
    """Cross entropy written out in NumPy (float64): mean over the batch of -log softmax."""
    z = logits.detach().numpy().astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    t = target.numpy().astype(np.int64)
    return teachnn.tensor(-logp[np.arange(len(t)), t].mean())


def _ce_case(n, c, seed):
    def make():
        logits = random_tensor((n, c), seed, dtype="float64")
        rng = np.random.default_rng(seed + 1000)
        target = teachnn.tensor(rng.integers(0, c, size=n).astype(np.int64))
        return (logits, target)
    return make


def _q3_draw(rng):
    return _ce_case(int(rng.integers(1, 16)), int(rng.integers(2, 11)), int(rng.integers(0, 2 ** 30)))


q3 = FunctionProblem(
    "my_cross_entropy",
    reference=_ce_reference,
    cases=[_ce_case(10, 5, 41)],
    hidden_cases=[_ce_case(1, 3, 42), _ce_case(7, 2, 43)],
    draw=_q3_draw,
    # the question forbids F.cross_entropy (nn.CrossEntropyLoss calls it); F.nll_loss after
    # F.log_softmax is what the question allows, so it stays allowed
    forbid=[F.cross_entropy, nn.CrossEntropyLoss],
    check_dtype=False, atol=1e-6, rtol=1e-6,
    title="F.cross_entropy를 log_softmax로 직접 만들기",
    hints=["cross entropy = 정답 클래스의 -log(softmax 확률)을 배치에 대해 평균낸 값입니다.",
           "logp = F.log_softmax(output, dim=1) 로 구한 뒤 "
           "logp[torch.arange(len(target)), target] 로 정답 자리만 골라 평균을 내고 부호를 바꾸세요."],
    solution=("def my_cross_entropy(output, target):\n"
              "    logp = F.log_softmax(output, dim=1)\n"
              "    return -logp[torch.arange(len(target)), target].mean()"),
)

q4 = ValueProblem(
    "none_shape",
    expected=(10,),
    title="reduction='none'일 때 손실의 모양",
    hints=["reduction='mean'(기본값)은 배치 전체를 평균내 스칼라 하나를 줍니다. 'none'은 평균을 내지 않습니다.",
           "샘플마다 손실이 하나씩 남습니다. 샘플이 10개라면? (원소 하나짜리 튜플은 (10,)처럼 쉼표를 붙입니다.)"],
    solution="none_shape = (10,)",
    mistakes=[((), "그것은 기본값 reduction='mean'일 때의 모양입니다."),
              ((10, 5), "클래스 축(5)은 손실을 계산하면서 사라지고, 샘플마다 값 하나가 남습니다.")],
)

q5 = WordsProblem(
    "class_vs_function",
    model_answer=("nn.CrossEntropyLoss()는 클래스라서 먼저 손실 함수 객체(criterion)를 만들어 두고 "
                  "criterion(output, target)처럼 호출합니다. 설정(reduction 등)을 한 번 정해 두고 여러 번 "
                  "쓰기 좋습니다. F.cross_entropy는 함수라서 객체 없이 바로 손실 값을 계산합니다. "
                  "같은 입력이면 두 결과는 같습니다."),
    keywords=[["객체", "클래스", "criterion", "인스턴스"], ["함수", "바로", "직접"]],
    title="nn.CrossEntropyLoss()와 F.cross_entropy의 차이",
    hints=["하나는 먼저 만들고(괄호 두 번) 나중에 부르고, 하나는 바로 부릅니다.",
           "nn 쪽은 클래스(객체), F 쪽은 함수입니다. 결과 값도 비교해 보세요."],
    solution='class_vs_function = "nn.CrossEntropyLoss는 객체를 만든 뒤 호출하고, F.cross_entropy는 함수로 바로 계산한다. 값은 같다."',
)

finalize(globals())
