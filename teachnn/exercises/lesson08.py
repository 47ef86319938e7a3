"""Exercises of lesson 08 (activation functions: nn.ReLU() in __init__ vs F.relu in forward)."""
import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn import _ops
from teachnn.exercises.core import (FunctionProblem, ModuleProblem, ValueProblem,
                                    WordsProblem, finalize, tensor_case, ____)  # noqa: F401
from teachnn.nn._functional import activation as _activation


def _relu_reference(x):
    """max(x, 0) with a tensor op, so autograd gives the reference gradient too."""
    return x.clamp(min=0.0)


def _grad_case(shape, seed, dtype="float64"):
    return tensor_case(dict(shape=shape, seed=seed, dtype=dtype, requires_grad=True,
                            avoid_zero=True))


def _q1_draw(rng):
    shape = tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    return _grad_case(shape, int(rng.integers(0, 2 ** 31)))


# "without F.relu or nn.ReLU, with tensor operations only": every ReLU of the library is
# refused (F.relu, x.relu(), teachnn.relu, nn.ReLU and the autograd Functions behind them);
# x.clamp(min=0), torch.maximum and a mask are tensor operations and stay allowed.
_RELUS = [F.relu, F.relu_, teachnn.relu, teachnn.Tensor.relu, teachnn.Tensor.relu_, nn.ReLU,
          _activation.ReLUFunction, _ops.Relu]

q1 = FunctionProblem(
    "my_relu",
    reference=_relu_reference,
    cases=[_grad_case((2, 3), 31)],
    hidden_cases=[_grad_case((5,), 32), _grad_case((2, 2, 3), 33)],
    draw=_q1_draw,
    forbid=_RELUS,
    check_grad=True,
    title="텐서 연산만으로 ReLU 만들기",
    hints=["ReLU(x) = max(x, 0): 음수는 0으로, 양수는 그대로 둡니다.",
           "x.clamp(min=0) 을 쓰거나, (x > 0)으로 만든 마스크를 곱해 보세요: x * (x > 0)"],
    solution="def my_relu(x):\n    return x.clamp(min=0)",
)


class _NeuralNetworkReference(nn.Module):
    """The notes' first version (nn.ReLU() as a layer)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 20)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(20, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


q2 = ModuleProblem(
    "model_f",
    reference=_NeuralNetworkReference,
    inputs=[tensor_case(((4, 10), 34)), tensor_case(((1, 10), 35))],
    structure_types={"Linear"},
    title="F.relu를 쓰는 두 번째 NeuralNetwork",
    hints=["__init__에는 파라미터가 있는 레이어(fc1, fc2)만 두고, 활성화 함수는 forward에서 F.relu(x)로 부릅니다.",
           "forward: x = self.fc1(x); x = F.relu(x); x = self.fc2(x); return x — 마지막에 model_f = NeuralNetworkF()"],
    solution=("class NeuralNetworkF(nn.Module):\n"
              "    def __init__(self):\n"
              "        super().__init__()\n"
              "        self.fc1 = nn.Linear(10, 20)\n"
              "        self.fc2 = nn.Linear(20, 10)\n\n"
              "    def forward(self, x):\n"
              "        x = self.fc1(x)\n"
              "        x = F.relu(x)\n"
              "        x = self.fc2(x)\n"
              "        return x\n\n"
              "model_f = NeuralNetworkF()"),
)

q3 = ValueProblem(
    "act_values",
    expected=(0.5, 0.0, 0.0, -0.03),
    atol=1e-6,
    title="활성화 함수 값 손으로 계산하기",
    hints=["sigmoid(0) = 1 / (1 + e^0), tanh(0) = 0, ReLU는 음수를 0으로 만듭니다.",
           "LeakyReLU(negative_slope=0.01)는 음수 x에 0.01 * x를 돌려줍니다: 0.01 * (-3)"],
    solution="act_values = (0.5, 0.0, 0.0, -0.03)",
    mistakes=[((0.5, 0.0, 0.0, 0.0), "LeakyReLU는 음수를 0으로 만들지 않고 작은 기울기(0.01)를 곱합니다."),
              ((0.0, 0.0, 0.0, -0.03), "sigmoid(0)은 0이 아니라 1 / (1 + 1) 입니다.")],
)

q4 = WordsProblem(
    "when_which",
    model_answer=("nn.ReLU()는 클래스라서 __init__에서 객체(레이어)로 만들어 두면 print(model)에 "
                  "구조가 드러나고 nn.Sequential 안에 넣을 수 있습니다. F.relu는 함수라서 forward "
                  "안에서 바로 불러 쓰기 편하고 유연합니다. 파라미터가 없으니 두 방법의 계산 결과는 "
                  "같습니다."),
    keywords=[["__init__", "객체", "클래스", "레이어", "구조", "sequential", "print"],
              ["forward", "함수", "유연", "직접"]],
    title="nn.ReLU()와 F.relu는 언제 쓰나요?",
    hints=["print(model)을 해 보면 두 버전의 출력이 어떻게 다른가요?",
           "nn.Sequential 안에 넣을 수 있는 것은 어느 쪽인가요? forward 안에서 바로 부르기 쉬운 것은요?"],
    solution='when_which = "nn.ReLU()는 __init__에서 레이어 객체로 만들어 구조를 드러낼 때, F.relu는 forward에서 함수로 바로 쓸 때"',
)

finalize(globals())
