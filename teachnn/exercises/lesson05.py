"""Exercises of lesson 05 (transposed convolution).

Expected values are computed here with plain Python/NumPy (never with teachnn's kernels).
"""
import numpy as np

from teachnn.exercises.core import (FunctionProblem, ModuleProblem, ValueProblem,
                                    WordsProblem, finalize, says_not, ____)  # noqa: F401


def _conv_transpose1d_naive(x, w, stride=1):
    """Scatter view: input cell i adds x[i] * w into out[i*stride : i*stride + k]."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    out = np.zeros((len(x) - 1) * stride + len(w))
    for i, value in enumerate(x):
        out[i * stride:i * stride + len(w)] += value * w
    return out


def _out_len(length, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    return (length - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


q1 = ValueProblem(
    "out_shape",
    expected=(1, 8, _out_len(7, 4, 2, 1), _out_len(7, 4, 2, 1)),
    title="ConvTranspose2d 출력 모양",
    hints=["전치 합성곱의 공식은 합성곱과 다릅니다: (L - 1)s - 2p + (k - 1) + 1.",
           "(7 - 1) * 2 - 2 * 1 + (4 - 1) + 1"],
    solution="out_shape = (1, 8, 14, 14)   # (7-1)*2 - 2 + 3 + 1 = 14: 크기가 두 배",
    mistakes=[((1, 8, 3, 3), "합성곱(줄이는 쪽)의 공식을 썼습니다. 전치 합성곱은 크기를 키웁니다."),
              ((1, 8, 16, 16), "padding을 빠뜨렸습니다. 전치 합성곱의 padding은 출력 양쪽에서 p칸씩 잘라 냅니다(-2p)."),
              ((1, 16, 14, 14), "출력 채널 수는 두 번째 인자 out_channels(8)입니다.")],
)

_Q2_X = [1.0, 2.0, 3.0]
_Q2_W = [1.0, 1.0, 1.0]

q2 = ValueProblem(
    "y",
    expected=lambda: _conv_transpose1d_naive(_Q2_X, _Q2_W, stride=2),
    title="도장 찍기 손 계산",
    check_dtype=False,
    hints=["출력 길이: (3 - 1) * 2 + 3 = 7. 입력 i번째 칸은 출력 2i, 2i+1, 2i+2 칸에 x[i] * w를 더합니다.",
           "1은 0,1,2번 칸에, 2는 2,3,4번 칸에, 3은 4,5,6번 칸에 더해집니다. 겹치는 2번과 4번 칸을 조심하세요."],
    solution="y = torch.tensor([1.0, 1.0, 3.0, 2.0, 5.0, 3.0, 3.0])",
    mistakes=[(lambda: _conv_transpose1d_naive(_Q2_X, _Q2_W, stride=1),
               "stride=1로 계산했습니다. stride=2이면 도장 사이가 두 칸씩 벌어집니다."),
              (np.array([1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0]),
               "겹치는 칸에서는 값을 덮어쓰지 않고 더합니다.")],
)

def _q3_draw(rng):
    while True:
        k, s, p, d = (int(rng.integers(1, 8)), int(rng.integers(1, 5)), int(rng.integers(0, 4)),
                      int(rng.integers(1, 4)))
        case = (int(rng.integers(1, 40)), k, s, p, int(rng.integers(0, max(s, d))), d)
        if _out_len(*case) > 0:
            return case


q3 = FunctionProblem(
    "conv_transpose_out_len",
    reference=_out_len,
    cases=[(4, 3), (4, 3, 2), (7, 4, 2, 1), (8, 3, 2, 1, 1)],
    hidden_cases=[(5, 2, 3, 0, 1), (10, 5, 1, 2), (3, 3, 2, 0, 0, 2), (6, 4, 3, 2, 2, 1),
                  (1, 1), (16, 7, 4, 3, 3, 1)],
    draw=_q3_draw,
    title="전치 합성곱 출력 길이 함수",
    hints=["공식: (L - 1) * s - 2 * p + d * (k - 1) + output_padding + 1",
           "합성곱과 달리 나눗셈이 없습니다. 곱셈과 덧셈만 있습니다."],
    solution="def conv_transpose_out_len(length, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):\n"
             "    return (length - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1",
)


def _q4_reference():
    import teachnn.nn as nn
    return nn.ConvTranspose2d(32, 16, kernel_size=3, stride=2, padding=1, output_padding=1)


def _q4_input():
    import teachnn
    teachnn.manual_seed(7)
    return (teachnn.randn(2, 32, 8, 8),)


def _q4_input_small():
    import teachnn
    teachnn.manual_seed(8)
    return (teachnn.randn(1, 32, 5, 5),)


q4 = ModuleProblem(
    "up",
    reference=_q4_reference,
    inputs=[_q4_input, _q4_input_small],
    title="크기를 두 배로 키우는 ConvTranspose2d",
    hints=["크기를 두 배로 키우려면 stride=2. kernel_size=3이면 padding=1로 양쪽을 잘라 냅니다.",
           "(8 - 1) * 2 - 2 * 1 + (3 - 1) + output_padding + 1 = 15 + output_padding 이 16이 되어야 합니다."],
    solution="up = nn.ConvTranspose2d(32, 16, kernel_size=3, stride=2, padding=1, output_padding=1)",
)

_Q5_MODEL_ANSWER = ("합성곱을 행렬 C를 곱하는 일로 보면, 이 레이어는 역행렬 C^-1이 아니라 전치 행렬 C^T를 곱합니다. "
                    "그래서 합성곱의 결과를 넣어도 원래 입력으로 되돌아오지 않습니다(역연산이 아님). 같은 연결을 "
                    "반대 방향으로 따라갈 뿐이며, <conv(x), y> = <x, conv_transpose(y)>가 성립하고, 합성곱의 입력 "
                    "기울기 계산과 같은 연산입니다.")

q5 = WordsProblem(
    "answer",
    model_answer=_Q5_MODEL_ANSWER,
    keywords=[["전치", "transpose", "C^T", "C^⊤", "Cᵀ", "행렬"],
              ["역연산", "역행렬", "되돌", "inverse", "복원", "원래", "돌아오"]],
    claims=[says_not("역연산", "역행렬", "되돌", "inverse", "복원", "돌아오",
                     note="모범 답안은 전치 합성곱이 역연산이 아니라고(원래 입력으로 되돌아오지 "
                          "않는다고) 말합니다. 답은 되돌린다고 말하는 것 같습니다.")],
    title="왜 '전치'인가",
    hints=["5절의 행렬 C를 떠올려 보세요. 전치 합성곱은 C의 무엇을 곱했나요? 4절에서 입력이 되돌아왔나요?"],
    solution=_Q5_MODEL_ANSWER,
)

def _q6_reference():
    import teachnn.nn as nn
    return nn.ConvTranspose3d(16, 8, kernel_size=4, stride=2, padding=1)


def _q6_input():
    import teachnn
    teachnn.manual_seed(16)
    return (teachnn.randn(2, 16, 4, 8, 8),)


def _q6_input_other():
    import teachnn
    teachnn.manual_seed(17)
    return (teachnn.randn(1, 16, 3, 5, 6),)


q6 = ModuleProblem(
    "up3",
    reference=_q6_reference,
    inputs=[_q6_input, _q6_input_other],
    title="부피를 두 배로 키우는 ConvTranspose3d",
    hints=["크기를 두 배로 키우는 단골 조합은 kernel_size=4, stride=2, padding=1입니다(2차원과 같습니다).",
           "(L - 1) * 2 - 2 * 1 + (4 - 1) + 1 = 2L. 가중치의 채널 순서는 [C_in, C_out, ...]입니다."],
    solution="up3 = nn.ConvTranspose3d(16, 8, kernel_size=4, stride=2, padding=1)",
)

finalize(globals())
