"""Exercises of lesson 03 (Conv2d).

Expected values are computed here with plain NumPy loops (never with teachnn's kernels).
"""
import numpy as np

from teachnn.exercises.core import (FunctionProblem, ModuleProblem, ValueProblem,
                                    WordsProblem, finalize, says, ____)  # noqa: F401


def _conv2d_naive(x, w):
    """x: (H, W), w: (kh, kw) -> (H-kh+1, W-kw+1); stride 1, no padding, no kernel flip."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    kh, kw = w.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (x[i:i + kh, j:j + kw] * w).sum()
    return out


def _size(n, k, s=1, p=0):
    return (n + 2 * p - k) // s + 1


def _conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0):
    n, c, h, w = input_shape
    return (n, out_channels, _size(h, kernel_size, stride, padding), _size(w, kernel_size, stride, padding))


q1 = ValueProblem(
    "out_shape",
    expected=(8, 8, _size(28, 3, 1, 1), _size(40, 5, 2, 0)),
    title="Conv2d 출력 모양",
    hints=["배치 크기는 그대로, 채널 수는 out_channels가 됩니다. 높이와 너비는 따로 계산합니다.",
           "높이: (28 + 2*1 - 3) // 1 + 1,  너비: (40 + 2*0 - 5) // 2 + 1"],
    solution="out_shape = (8, 8, 28, 18)   # H: (28+2-3)//1+1 = 28,  W: (40-5)//2+1 = 18",
    mistakes=[((8, 8, 28, 36), "너비에 스트라이드 2를 적용하지 않았습니다. 나누기 s를 잊지 마세요."),
              ((8, 8, 26, 18), "높이 쪽 패딩 1을 빠뜨렸습니다. 패딩은 양쪽에 붙으므로 2p를 더합니다."),
              ((8, 3, 28, 18), "출력 채널 수는 입력 채널 수가 아니라 out_channels입니다."),
              ((8, 8, 28, 17), "나누어떨어지지 않을 때는 내림한 뒤 1을 더합니다: (40-5)//2 + 1.")],
)

_Q2_X = [[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 1.0, 0.0]]
_Q2_W = [[1.0, 0.0], [0.0, -1.0]]

q2 = ValueProblem(
    "y",
    expected=lambda: _conv2d_naive(_Q2_X, _Q2_W),
    title="2x2 커널 손 계산",
    check_dtype=False,
    hints=["출력은 (3-2+1) x (3-2+1) = 2 x 2 입니다. 커널을 왼쪽 위에 겹치고 같은 자리끼리 곱해 더하세요.",
           "커널 [[1, 0], [0, -1]]은 '왼쪽 위 값 - 오른쪽 아래 값'을 계산합니다."],
    solution="# y[0,0] = 1 - 1 = 0,   y[0,1] = 2 - 3 = -1\n"
             "# y[1,0] = 0 - 1 = -1,  y[1,1] = 1 - 0 = 1\n"
             "y = torch.tensor([[0.0, -1.0], [-1.0, 1.0]])",
    mistakes=[(lambda: _conv2d_naive(_Q2_X, np.flip(np.asarray(_Q2_W), (0, 1))),
               "커널을 뒤집어 곱했습니다. PyTorch의 합성곱은 커널을 뒤집지 않습니다: w[0, 0]이 창의 왼쪽 위와 곱해집니다.")],
)

def _q3_draw(rng):
    k, s, p = int(rng.integers(1, 8)), int(rng.integers(1, 4)), int(rng.integers(0, 4))
    shortest = max(1, k - 2 * p)
    h, w = (int(rng.integers(shortest, shortest + 60)) for _ in range(2))
    shape = (int(rng.integers(1, 33)), int(rng.integers(1, 65)), h, w)
    return (shape, int(rng.integers(1, 129)), k, s, p)


q3 = FunctionProblem(
    "conv2d_output_shape",
    reference=_conv2d_output_shape,
    cases=[((1, 3, 32, 32), 16, 3), ((8, 3, 28, 28), 6, 5, 1, 2), ((4, 1, 28, 28), 8, 3, 2, 1)],
    hidden_cases=[((2, 3, 224, 224), 64, 7, 2, 3), ((5, 16, 13, 17), 32, 3, 2, 0),
                  ((1, 1, 5, 9), 1, 5), ((3, 8, 10, 6), 4, 4, 3, 1), ((16, 64, 56, 56), 128, 1, 2, 0)],
    draw=_q3_draw,
    title="출력 모양 함수",
    hints=["(N, out_channels, H_out, W_out)을 돌려주세요. H_out과 W_out은 같은 공식을 씁니다.",
           "H_out = (h + 2 * padding - kernel_size) // stride + 1"],
    solution="def conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0):\n"
             "    n, c, h, w = input_shape\n"
             "    h_out = (h + 2 * padding - kernel_size) // stride + 1\n"
             "    w_out = (w + 2 * padding - kernel_size) // stride + 1\n"
             "    return (n, out_channels, h_out, w_out)",
)


def _q4_reference():
    import teachnn.nn as nn
    return nn.Conv2d(3, 16, kernel_size=5, padding=2)


def _q4_input():
    import teachnn
    teachnn.manual_seed(4)
    return (teachnn.randn(2, 3, 32, 32),)


q4 = ModuleProblem(
    "conv",
    reference=_q4_reference,
    inputs=[_q4_input],
    title="크기를 유지하는 Conv2d",
    hints=["입력 채널 3, 출력 채널 16, kernel_size=5.",
           "(32 + 2p - 5) + 1 = 32 가 되려면 p = 2입니다."],
    solution="conv = nn.Conv2d(3, 16, kernel_size=5, padding=2)   # padding='same'도 됩니다",
)

_Q5_MODEL_ANSWER = ("스트라이드가 2가 되면 커널이 두 칸씩 건너뛰므로 출력 특성 맵의 높이와 너비가 각각 약 절반"
                    "(전체 칸 수는 약 1/4)으로 줄어듭니다. 출력 칸 하나를 만드는 계산은 같으므로 계산량도 약 1/4로 "
                    "줄어들고, 대신 일부 위치를 건너뛰어 세밀한 위치 정보가 줄어듭니다. 파라미터 수는 변하지 않습니다.")

q5 = WordsProblem(
    "answer",
    model_answer=_Q5_MODEL_ANSWER,
    keywords=[["절반", "줄", "작아", "감소", "1/2", "1/4", "half", "축소"]],
    claims=[says("줄", "작아", "감소", "축소", "shrink", "smaller",
                 unless=("파라미터", "가중치", "parameter", "weight"),
                 note="모범 답안은 스트라이드 2가 출력 크기(과 계산량)를 줄인다고 말합니다. "
                      "답에는 줄지 않는다고 적혀 있는 것 같습니다.")],
    title="스트라이드 2의 효과",
    hints=["출력 크기 공식에서 s가 1에서 2로 바뀌면 H_out은 어떻게 변하나요? 출력 칸 하나를 만드는 곱셈 수는 변하나요?"],
    solution=_Q5_MODEL_ANSWER,
)

finalize(globals())
