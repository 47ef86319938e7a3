"""Exercises for lesson 00 (start page): getting used to check / hint / solution.

These use plain Python values only, so they work before any framework piece is loaded.
"""
from .core import ValueProblem, FunctionProblem, WordsProblem, finalize, ____  # noqa: F401

q1 = ValueProblem(
    "n_lessons",
    expected=15,
    title="강의는 모두 몇 개일까요?",
    hints=["00번부터 14번까지 번호가 몇 개인지 세어 보세요.",
           "번호가 00부터 시작한다는 점에 주의하세요: 00, 01, ..., 14."],
    solution="n_lessons = 15   # 00번부터 14번까지",
    mistakes=[(14, "번호가 00부터 시작합니다. 마지막 번호(14)가 곧 개수는 아닙니다.")],
)

q2 = ValueProblem(
    "grid_shape",
    expected=(2, 3),
    title="중첩 리스트의 모양(shape)",
    hints=["바깥 리스트에 원소(행)가 몇 개 있는지, 각 행에 숫자가 몇 개 있는지 세어 보세요.",
           "모양은 (행의 수, 열의 수) 순서의 튜플로 적습니다."],
    solution="grid_shape = (2, 3)   # 행 2개, 각 행에 숫자 3개",
    mistakes=[((3, 2), "순서가 바뀌었습니다. 바깥(행)부터 안쪽(열) 순서로 적습니다.")],
)


def _double_reference(x):
    return x * 2


q3 = FunctionProblem(
    "double",
    reference=_double_reference,
    cases=[(3,), (-1.5,)],
    hidden_cases=[(0,), (1000,), (0.25,)],
    draw=lambda rng: (float(rng.integers(-4000, 4000)) / 4,),
    title="함수 문제 연습: 두 배 하기",
    hints=["함수는 입력 x를 받아 무엇을 돌려주어야 할까요?",
           "return 뒤에 x에 2를 곱한 값을 적으면 됩니다."],
    solution="def double(x):\n    return x * 2",
)

q4 = WordsProblem(
    "what_changes",
    model_answer=("import 줄만 바꾸면 됩니다. `import torch` 대신 `import teachnn as torch`, "
                  "`import torch.nn as nn` 대신 `import teachnn.nn as nn` 처럼 쓰면 "
                  "나머지 PyTorch 코드는 그대로 돌아가고 같은 숫자를 냅니다."),
    keywords=[["import", "임포트"]],
    min_length=8,
    title="PyTorch 코드를 teachnn에서 돌리려면?",
    hints=["위의 'teachnn이란?' 부분의 첫 번째 항목을 다시 읽어 보세요.",
           "코드의 맨 윗줄에서 무엇을 불러오는지(import) 생각해 보세요."],
    solution='what_changes = "import 줄만 바꾸면 된다 (import teachnn as torch)"',
)

finalize(globals())
