"""Exercises of lesson 01 (nn.Module, inheritance, super().__init__(), forward)."""
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.exercises.core import (ModuleProblem, ValueProblem, WordsProblem, finalize,
                                    tensor_case, ____)  # noqa: F401


class _TwoLayerReference(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


q1 = ModuleProblem(
    "model",
    reference=_TwoLayerReference,
    inputs=[tensor_case(((5, 4), 21)), tensor_case(((1, 4), 22))],
    structure_types={"Linear"},        # nn.ReLU() in __init__ or F.relu in forward: both fine
    require_subclass=True,             # the lesson is about inheriting nn.Module: no nn.Sequential
    title="nn.Module을 상속한 두 층 신경망",
    hints=["class TwoLayer(nn.Module): 로 상속하고, __init__의 첫 줄에서 super().__init__()을 부르세요.",
           "__init__에 self.fc1 = nn.Linear(4, 8), self.fc2 = nn.Linear(8, 3)을 만들고, "
           "forward에서 fc1 -> relu -> fc2 순서로 계산해 돌려주세요. 마지막에 model = TwoLayer()"],
    solution=("class TwoLayer(nn.Module):\n"
              "    def __init__(self):\n"
              "        super().__init__()\n"
              "        self.fc1 = nn.Linear(4, 8)\n"
              "        self.fc2 = nn.Linear(8, 3)\n\n"
              "    def forward(self, x):\n"
              "        x = self.fc1(x)\n"
              "        x = F.relu(x)\n"
              "        return self.fc2(x)\n\n"
              "model = TwoLayer()"),
)

q2 = ValueProblem(
    "right_keyword",
    expected="kernel_size",
    title="노트의 kernels = 5 를 고치는 키워드",
    hints=["에러 메시지의 마지막 문장(Did you mean ...?)을 읽어 보세요.",
           "커널의 '크기'를 정하는 인자입니다: kernel_....."],
    solution='right_keyword = "kernel_size"',
    mistakes=[("kernel", "거의 맞았습니다. 크기(size)를 뜻하는 부분까지 정확한 이름을 적어 주세요."),
              ("kernels", "kernels는 노트에 적힌 틀린 이름입니다. 에러 메시지가 제안하는 이름을 적어 주세요.")],
)

q3 = ValueProblem(
    "conv1_out_shape",
    expected=(1, 16, 13, 13),
    title="노트의 CNN 첫 합성곱 레이어 출력 모양",
    hints=["출력 크기 공식: floor((H + 2*padding - kernel_size) / stride) + 1",
           "H = 28, padding = 1, kernel_size = 5, stride = 2: (28 + 2 - 5) // 2 + 1. 채널 수는 out_channels=16."],
    solution="conv1_out_shape = (1, 16, 13, 13)   # (28 + 2*1 - 5) // 2 + 1 = 13",
    mistakes=[((1, 16, 26, 26), "stride=2를 빠뜨렸습니다. 나눈 뒤 내림하고 1을 더합니다."),
              ((1, 16, 12, 12), "나눈 값을 내림한 것까지는 맞습니다. 공식의 마지막 단계(+ 1)를 빠뜨리지 않았는지 확인하세요."),
              ((1, 1, 13, 13), "채널 수는 out_channels(16)가 됩니다.")],
)

q4 = WordsProblem(
    "why_super",
    model_answer=("super().__init__()은 부모 클래스 nn.Module의 __init__을 실행해, 파라미터와 "
                  "하위 레이어(서브모듈)를 기록할 저장소를 준비합니다. 이것을 부르지 않고 "
                  "self.fc1 = nn.Linear(...)처럼 레이어를 붙이면 등록할 곳이 없어서 에러가 납니다. "
                  "그래서 __init__의 가장 첫 줄에서 부릅니다."),
    keywords=[["부모", "nn.module", "상속", "parent"],
              ["등록", "파라미터", "준비", "초기화", "저장", "parameter", "register"]],
    title="super().__init__()을 부르는 이유",
    hints=["super()는 부모 클래스를 가리킵니다. 여기서 부모는 누구인가요?",
           "super().__init__()을 지우고 self.fc = nn.Linear(2, 2)를 실행해 보면 어떤 에러가 나나요?"],
    solution='why_super = "부모 클래스 nn.Module을 초기화해서 파라미터와 레이어를 등록할 준비를 하기 위해서"',
)

def _q5_expected():
    import teachnn
    return teachnn.tensor([5.0, -1.0, 9.0])   # d/dw (w^2 + 3w) = 2w + 3 at w = [1, -2, 3]


def _q5_forgot_linear():
    import teachnn
    return teachnn.tensor([2.0, -4.0, 6.0])


def _q5_values_not_grad():
    import teachnn
    return teachnn.tensor([4.0, -2.0, 18.0])


q5 = ValueProblem(
    "w_grad",
    expected=_q5_expected,
    check_dtype=False,
    title="backward()가 채우는 w.grad",
    hints=["원소마다 따로 미분합니다: w_i^2 + 3 w_i 를 w_i로 미분하면?",
           "2 * w + 3 에 w = [1, -2, 3]을 넣으세요."],
    solution="w_grad = torch.tensor([5.0, -1.0, 9.0])   # 2w + 3",
    mistakes=[(_q5_forgot_linear, "(w ** 2).sum()의 기울기 2w만 적었습니다. (3 * w).sum()의 기울기 3도 더해집니다."),
              (_q5_values_not_grad, "기울기가 아니라 원소마다의 값 w^2 + 3w를 적었습니다. 미분한 식 2w + 3에 넣어 보세요.")],
)

q6 = ValueProblem(
    "p_after",
    expected=1.95,
    check_dtype=False,
    title="SGD 한 단계",
    hints=["SGD의 step()은 p = p - lr * p.grad 입니다.",
           "2.0 - 0.1 * 0.5"],
    solution="p_after = 2.0 - 0.1 * 0.5   # 1.95",
    mistakes=[(2.05, "기울기의 반대 방향으로 움직입니다: 빼야 합니다(p - lr * grad)."),
              (1.5, "학습률 lr=0.1을 곱하는 것을 빠뜨렸습니다.")],
)

finalize(globals())
