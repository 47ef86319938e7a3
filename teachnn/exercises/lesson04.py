"""Exercises of lesson 04 (Conv3d).

Expected values are computed here with plain Python/NumPy (never with teachnn's kernels).
"""
import numpy as np

from teachnn.exercises.core import (ModuleProblem, ValueProblem, WordsProblem, finalize,
                                    ____)  # noqa: F401


def _size(n, k, s=1, p=0):
    return (n + 2 * p - k) // s + 1


def _ones_conv3d_value(index, size=3, kernel=3, padding=1):
    """Value of conv3d(ones(size^3), ones(kernel^3), padding) at ``index``: count of the
    window cells that fall inside the volume (padding cells are 0)."""
    count = 0
    for offset in np.ndindex(kernel, kernel, kernel):
        cell = [i + o - padding for i, o in zip(index, offset)]
        if all(0 <= c < size for c in cell):
            count += 1
    return count


q1 = ValueProblem(
    "out_shape",
    expected=(2, 8, _size(16, 3, 1, 1), _size(112, 7, 2, 3), _size(112, 7, 2, 3)),
    title="Conv3d 출력 모양",
    hints=["깊이, 높이, 너비 각각에 같은 공식을 씁니다: (n + 2p - k) // s + 1.",
           "깊이: (16 + 2 - 3)//1 + 1,  높이·너비: (112 + 6 - 7)//2 + 1"],
    solution="out_shape = (2, 8, 16, 56, 56)",
    mistakes=[((2, 8, 14, 53, 53), "패딩 (1, 3, 3)을 빠뜨렸습니다."),
              ((2, 8, 16, 112, 112), "높이·너비의 스트라이드 2를 적용하지 않았습니다."),
              ((2, 3, 16, 56, 56), "출력 채널 수는 out_channels(8)입니다.")],
)

q2 = ValueProblem(
    "n_params",
    expected=8 * 3 * (3 * 7 * 7) + 8,
    title="Conv3d 파라미터 수",
    hints=["가중치 모양은 [C_out, C_in, kD, kH, kW]이고, 편향은 출력 채널마다 하나입니다.",
           "8 * 3 * 3 * 7 * 7 + 8"],
    solution="n_params = 8 * 3 * 3 * 7 * 7 + 8   # = 3536 (가중치 3528 + 편향 8)",
    mistakes=[(8 * 3 * 3 * 7 * 7, "가중치만 세었습니다. 편향(bias)도 파라미터입니다."),
              (3 * 3 * 7 * 7 + 8, "커널 하나의 가중치만 세었습니다. 커널은 출력 채널마다 하나씩, 8개 있습니다.")],
)

q3 = ValueProblem(
    "values",
    expected=lambda: (_ones_conv3d_value((1, 1, 1)), _ones_conv3d_value((0, 0, 0))),
    title="모두 1인 부피의 합성곱",
    hints=["커널이 모두 1이면 출력은 창 안에 들어온 입력 값들의 합, 즉 창이 덮은 '진짜' 칸의 개수입니다.",
           "꼭짓점에서는 창의 일부가 패딩(값 0)에 걸칩니다. 세 축 모두에서 창의 3칸 중 2칸만 부피 안에 있습니다."],
    solution="values = (27, 8)   # 가운데: 3*3*3칸 모두, 꼭짓점: 2*2*2칸만 부피 안",
    mistakes=[((27, 27), "패딩 칸의 값은 0입니다. 꼭짓점의 창은 일부가 부피 밖으로 나갑니다."),
              ((9, 4), "3차원입니다. 깊이 방향도 세어야 합니다.")],
)


def _q4_reference():
    import teachnn.nn as nn
    return nn.Conv3d(1, 4, kernel_size=3, stride=2, padding=1)


def _q4_input_cube():
    import teachnn
    teachnn.manual_seed(5)
    return (teachnn.randn(2, 1, 16, 16, 16),)


def _q4_input_box():
    import teachnn
    teachnn.manual_seed(6)
    return (teachnn.randn(1, 1, 8, 12, 10),)


q4 = ModuleProblem(
    "conv",
    reference=_q4_reference,
    inputs=[_q4_input_cube, _q4_input_box],
    check_params=False,        # any kernel that halves every axis is right (3/2/1, 2/2/0, ...)
    check_behaviour=False,
    title="크기를 절반으로 줄이는 Conv3d",
    hints=["입력 채널 1, 출력 채널 4. 크기를 절반으로 줄이는 것은 stride=2입니다.",
           "kernel_size=3이면 padding=1: (16 + 2 - 3)//2 + 1 = 8. kernel_size=2, stride=2, padding=0도 됩니다."],
    solution="conv = nn.Conv3d(1, 4, kernel_size=3, stride=2, padding=1)",
)

_Q5_MODEL_ANSWER = ("프레임마다 Conv2d를 따로 적용하면 각 출력은 한 프레임 안의 공간 정보만 봅니다. Conv3d의 커널은 "
                    "시간(깊이) 방향으로도 여러 프레임을 한꺼번에 덮기 때문에, 프레임 사이의 변화, 즉 움직임을 "
                    "특성으로 잡아낼 수 있습니다. 깊이가 1인 Conv3d는 프레임별 Conv2d와 같습니다.")

q5 = WordsProblem(
    "answer",
    model_answer=_Q5_MODEL_ANSWER,
    keywords=[["시간", "프레임 사이", "프레임간", "프레임 간", "움직", "motion", "연속", "여러 프레임", "깊이"]],
    title="Conv2d 대 Conv3d",
    hints=["시간 방향 커널 [-1, 0, 1]로 무엇을 찾았는지 떠올려 보세요."],
    solution=_Q5_MODEL_ANSWER,
)

finalize(globals())
