"""Exercises of lesson 10 (containers: Sequential, ModuleList, ModuleDict)."""
import teachnn
import teachnn.nn as nn
from teachnn.exercises.core import (ModuleProblem, ValueProblem, finalize, tensor_case,
                                    ____)  # noqa: F401

q1 = ModuleProblem(
    "seq",
    reference=lambda: nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)),
    inputs=[tensor_case(((3, 8), 51)), tensor_case(((1, 8), 52))],
    title="nn.Sequential로 쌓기",
    hints=["nn.Sequential(레이어1, 레이어2, ...)에 순서대로 넣으면 forward를 따로 쓰지 않아도 됩니다.",
           "Linear(8, 16) -> ReLU() -> Linear(16, 4) 순서입니다."],
    solution="seq = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))",
)


class _StackReference(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(6, 6) for _ in range(3)])

    def forward(self, x):
        for layer in self.layers:
            x = teachnn.relu(layer(x))
        return x


q2 = ModuleProblem(
    "stack",
    reference=_StackReference,
    inputs=[tensor_case(((2, 6), 53)), tensor_case(((5, 6), 54))],
    structure_types={"Linear"},
    title="nn.ModuleList와 for 반복문",
    hints=["__init__에서 self.layers = nn.ModuleList([nn.Linear(6, 6) for _ in range(3)]) 처럼 만듭니다.",
           "forward에서 for layer in self.layers: x = F.relu(layer(x)) 를 반복하고 x를 돌려주세요. "
           "마지막에 stack = Stack()"],
    solution=("class Stack(nn.Module):\n"
              "    def __init__(self):\n"
              "        super().__init__()\n"
              "        self.layers = nn.ModuleList([nn.Linear(6, 6) for _ in range(3)])\n\n"
              "    def forward(self, x):\n"
              "        for layer in self.layers:\n"
              "            x = F.relu(layer(x))\n"
              "        return x\n\n"
              "stack = Stack()"),
)

q3 = ValueProblem(
    "state_keys",
    expected=["layers.encoder.weight", "layers.encoder.bias",
              "layers.decoder.weight", "layers.decoder.bias"],
    title="ModuleDict에 붙인 이름과 state_dict 키",
    hints=["state_dict의 키는 '속성 이름.딕셔너리 키.파라미터 이름' 처럼 점으로 이어집니다.",
           "list(model.state_dict().keys()) 로 확인할 수 있습니다. 등록한 순서(encoder 먼저)를 지키세요."],
    solution="state_keys = list(model.state_dict().keys())",
    mistakes=[(["encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"],
               "ModuleDict를 담은 속성 이름(self.layers)도 키 앞에 붙습니다.")],
)

q4 = ValueProblem(
    "which_container",
    expected={"a": "Sequential", "b": "ModuleList", "c": "ModuleDict"},
    title="상황에 맞는 컨테이너 고르기",
    hints=["forward 없이 순서대로 통과시키기만 하면 되는 것은? 같은 레이어를 반복문으로 돌릴 것은? 이름으로 골라 쓸 것은?",
           "각 값은 'Sequential', 'ModuleList', 'ModuleDict' 중 하나입니다."],
    solution='which_container = {"a": "Sequential", "b": "ModuleList", "c": "ModuleDict"}',
)

finalize(globals())
