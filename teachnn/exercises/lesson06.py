"""Exercises of lesson 06 (nn.Linear: y = x A^T + b)."""
import numpy as np

import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.exercises.core import (FunctionProblem, ModuleProblem, ValueProblem,
                                    finalize, tensor_case, ____)  # noqa: F401
from teachnn.nn._functional import linear as _linear_impl


def _linear_reference(x, A, b):
    """Plain NumPy, float64: y = x A^T + b over the last axis."""
    y = x.detach().numpy().astype(np.float64) @ A.detach().numpy().astype(np.float64).T \
        + b.detach().numpy().astype(np.float64)
    return teachnn.tensor(y.astype(np.float32))


def _q1_draw(rng):
    lead = tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(1, 3))))
    n_in, n_out = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    seeds = [int(s) for s in rng.integers(0, 2 ** 31, size=3)]
    return tensor_case((lead + (n_in,), seeds[0]), ((n_out, n_in), seeds[1]), ((n_out,), seeds[2]))


q1 = FunctionProblem(
    "my_linear",
    reference=_linear_reference,
    cases=[tensor_case(((4, 3), 1), ((2, 3), 2), ((2,), 3))],
    hidden_cases=[tensor_case(((1, 5), 4), ((7, 5), 5), ((7,), 6)),
                  tensor_case(((2, 3, 4), 7), ((6, 4), 8), ((6,), 9))],
    draw=_q1_draw,
    # the exercise is y = x A^T + b by hand: F.linear (and nn.Linear, which calls it) is refused
    forbid=[F.linear, nn.Linear, _linear_impl.LinearFunction, _linear_impl.LinearNoBiasFunction],
    atol=1e-5, rtol=1e-4,
    title="y = x A^T + b 를 @로 직접 계산하기",
    hints=["A의 모양은 [out_features, in_features]입니다. x와 곱하려면 A를 전치(transpose)해야 합니다.",
           "A.T 또는 A.t()로 전치하고, x @ A.T 에 b를 더하세요 (b는 브로드캐스팅으로 각 행에 더해집니다)."],
    solution="def my_linear(x, A, b):\n    return x @ A.T + b",
)

q2 = ValueProblem(
    "n_params",
    expected=1024 * 32 + 32,
    title="nn.Linear(1024, 32)의 파라미터 수",
    hints=["가중치 A의 모양은 [32, 1024]이고 편향 b의 모양은 [32]입니다.",
           "두 텐서의 원소 수를 더하세요: 32*1024 + 32. 확인: sum(p.numel() for p in layer.parameters())"],
    solution="n_params = 32 * 1024 + 32   # 가중치 32768개 + 편향 32개 = 32800",
    mistakes=[(1024 * 32, "가중치만 세었습니다. 편향(bias)도 파라미터입니다."),
              (1024 + 32, "원소 수는 모양의 곱입니다: 가중치는 32 x 1024개입니다.")],
)

q3 = ValueProblem(
    "out_shape",
    expected=(8, 10, 32),
    title="3차원 입력에 Linear를 적용한 결과의 모양",
    hints=["nn.Linear는 입력의 마지막 축만 바꿉니다. 앞의 축들은 그대로 남습니다.",
           "마지막 축 1024가 out_features=32로 바뀝니다."],
    solution="out_shape = (8, 10, 32)",
    mistakes=[((8, 32), "앞의 축(8, 10)은 모두 그대로 남습니다: Linear는 마지막 축만 바꿉니다."),
              ((8, 10, 1024), "마지막 축이 in_features에서 out_features로 바뀝니다.")],
)

q4 = ModuleProblem(
    "layer",
    reference=lambda: nn.Linear(5, 3, bias=False),
    inputs=[tensor_case(((4, 5), 11)), tensor_case(((1, 5), 12))],
    title="편향이 없는 선형 레이어 만들기",
    hints=["nn.Linear(in_features, out_features, bias=...) 의 세 번째 인자를 살펴보세요.",
           "5개의 특성을 3개로 바꾸고, 편향은 끄세요: bias=False"],
    solution="layer = nn.Linear(5, 3, bias=False)",
)

finalize(globals())
