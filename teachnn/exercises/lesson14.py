"""Exercises of lesson 14 (BatchNorm, Dropout, train mode and eval mode).

Expected values are computed here with plain NumPy (never with teachnn's layers).
"""
import numpy as np

import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.nn._functional import normalization as _normalization
from teachnn.exercises.core import (FunctionProblem, ModuleProblem, ValueProblem,
                                    WordsProblem, finalize, tensor_case, ____)  # noqa: F401

EPS = 1e-5
_Q1_X = np.array([1.0, 2.0, 3.0, 6.0])


def _normalize(x, ddof=0, eps=EPS):
    return (x - x.mean()) / np.sqrt(x.var(ddof=ddof) + eps)


def _as_tensor(values):
    def make():
        import teachnn
        return teachnn.tensor(np.asarray(values, dtype=np.float32))
    return make


q1 = ValueProblem(
    "y_bn",
    expected=_as_tensor(_normalize(_Q1_X)),
    atol=2e-3, rtol=0.0,
    check_dtype=False,
    title="BatchNorm1d 손 계산",
    hints=["평균은 (1 + 2 + 3 + 6) / 4 = 3입니다. 분산은 편차 제곱의 평균(N=4로 나눔)입니다.",
           "분산 = (4 + 1 + 0 + 9) / 4 = 3.5. 각 값에서 3을 빼고 sqrt(3.5 + 1e-5)로 나누세요."],
    solution="y_bn = torch.tensor([-1.069, -0.535, 0.0, 1.604])   # (x - 3) / sqrt(3.5 + 1e-5)",
    mistakes=[(_as_tensor(_normalize(_Q1_X, ddof=1)),
               "정규화에는 N으로 나눈 분산(3.5)을 씁니다. N-1로 나눈 분산은 running_var를 갱신할 때만 씁니다."),
              (_as_tensor(_Q1_X - _Q1_X.mean()),
               "평균을 뺀 다음 표준편차 sqrt(분산 + eps)로 나누는 것까지가 정규화입니다.")],
)

q2 = ValueProblem(
    "running_mean_after",
    expected=0.1 * float(_Q1_X.mean()),
    check_dtype=False,
    title="running_mean의 이동 평균",
    hints=["running_mean은 처음에 0이고, momentum은 0.1입니다.",
           "(1 - 0.1) * 0 + 0.1 * (배치 평균 3)"],
    solution="running_mean_after = 0.9 * 0.0 + 0.1 * 3.0   # 0.3",
    mistakes=[(3.0, "running_mean은 배치 평균으로 바뀌는 것이 아니라 momentum=0.1만큼만 다가갑니다."),
              (2.7, "새 값 쪽에 곱하는 것이 momentum(0.1)입니다: 0.9 * 이전 값 + 0.1 * 배치 평균.")],
)

q3 = ValueProblem(
    "dropout_scale",
    expected=1.0 / (1.0 - 0.2),
    check_dtype=False,
    title="드롭아웃의 배율",
    hints=["평균적인 크기를 끄기 전과 같게 맞추려면, 살아남은 비율(1 - p)로 나눠야 합니다.",
           "1 / (1 - 0.2)"],
    solution="dropout_scale = 1 / (1 - 0.2)   # 1.25",
    mistakes=[(0.8, "0.8은 살아남는 비율입니다. 살아남은 값은 그 비율로 나눈 1 / 0.8배가 됩니다."),
              (1.0 / 0.2, "p=0.2는 꺼지는 확률입니다. 살아남는 비율 1 - p로 나눕니다.")],
)


def _q4_reference():
    import teachnn.nn as nn
    import teachnn.nn.functional as F

    class DropNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(8, 16)
            self.fc2 = nn.Linear(16, 4)

        def forward(self, x):
            x = F.relu(self.fc1(x))
            x = F.dropout(x, p=0.5, training=self.training)
            return self.fc2(x)

    return DropNet()


q4 = ModuleProblem(
    "model",
    reference=_q4_reference,
    inputs=[tensor_case(((5, 8), 41)), tensor_case(((3, 8), 42))],
    structure_types={"Linear"},       # nn.Dropout as a layer is fine too
    title="eval()에서 꺼지는 F.dropout",
    hints=["F.dropout의 training 기본값은 True입니다. 평가 모드에서도 값을 끄지 않으려면 모델의 모드를 넘기세요.",
           "x = F.dropout(x, p=0.5, training=self.training)"],
    solution=("class DropNet(nn.Module):\n"
              "    def __init__(self):\n"
              "        super().__init__()\n"
              "        self.fc1 = nn.Linear(8, 16)\n"
              "        self.fc2 = nn.Linear(16, 4)\n\n"
              "    def forward(self, x):\n"
              "        x = F.relu(self.fc1(x))\n"
              "        x = F.dropout(x, p=0.5, training=self.training)\n"
              "        return self.fc2(x)\n\n"
              "model = DropNet()"),
)


def _bn_train_reference(x):
    import teachnn
    a = x.detach().numpy().astype(np.float64)
    out = (a - a.mean(axis=0)) / np.sqrt(a.var(axis=0) + EPS)
    return teachnn.tensor(out.astype(x.detach().numpy().dtype))


def _small_spread():
    """Values whose variance is near eps: a formula without eps (or with it misplaced) fails."""
    import teachnn
    rng = np.random.default_rng(54)
    return (teachnn.tensor((1e-3 * rng.standard_normal((6, 2)) + 4.0).astype(np.float32)),)


q5 = FunctionProblem(
    "batch_norm_train",
    reference=_bn_train_reference,
    cases=[tensor_case(((6, 3), 51))],
    hidden_cases=[tensor_case(((2, 5), 52)), tensor_case(((10, 1), 53)), _small_spread],
    # the exercise is batch normalisation by hand: the library's batch norm is refused
    forbid=[F.batch_norm, nn.BatchNorm1d, _normalization.BatchNormFunction],
    atol=1e-4, rtol=1e-3,
    title="배치 정규화를 직접",
    hints=["평균과 분산은 배치 축(dim=0)을 따라 구합니다: 특성(열)마다 하나씩.",
           "mean = x.mean(dim=0); var = ((x - mean) ** 2).mean(dim=0); return (x - mean) / (var + 1e-5) ** 0.5"],
    solution=("def batch_norm_train(x):\n"
              "    mean = x.mean(dim=0)\n"
              "    var = ((x - mean) ** 2).mean(dim=0)      # N으로 나눈 분산\n"
              "    return (x - mean) / (var + 1e-5) ** 0.5"),
)

_Q6_MODEL_ANSWER = ("배치 정규화는 훈련 모드에 남아 있으면 저장해 둔 이동 평균 대신 시험 배치 자신의 평균과 분산으로 "
                    "정규화하므로, 같은 샘플도 함께 들어온 배치에 따라 결과가 달라지고(샘플 하나면 모두 0), "
                    "running_mean·running_var까지 시험 데이터로 바뀝니다. 드롭아웃은 평가 중에도 무작위로 값을 꺼서 "
                    "같은 입력에 매번 다른 예측을 내고 정확도가 떨어집니다. 그래서 평가 전에 model.eval()을 부릅니다.")

q6 = WordsProblem(
    "answer",
    model_answer=_Q6_MODEL_ANSWER,
    keywords=[["배치", "평균", "분산", "running", "이동", "통계", "batchnorm", "정규화"],
              ["드롭아웃", "dropout", "무작위", "랜덤", "꺼", "0으로", "매번"]],
    title="평가 전에 model.eval()을 부르는 이유",
    hints=["훈련 모드의 배치 정규화는 어떤 평균과 분산을 쓰나요? 드롭아웃은 훈련 모드에서 무엇을 하나요?"],
    solution=('answer = "배치 정규화는 이동 평균 대신 시험 배치의 평균과 분산으로 정규화하고 running_mean도 바뀌며, '
              '드롭아웃은 평가 중에도 무작위로 값을 꺼서 매번 다른 예측을 낸다"'),
)

finalize(globals())
