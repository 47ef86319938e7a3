"""Exercises of lesson 02 (Conv1d).

Expected values are computed here with plain NumPy loops (never with teachnn's kernels), so a
bug in the framework cannot make a wrong answer look right.
"""
import numpy as np

from teachnn.exercises.core import (FunctionProblem, ModuleProblem, ValueProblem,
                                    WordsProblem, finalize, ____)  # noqa: F401


def _conv1d_naive(x, w, stride=1, padding=0, dilation=1):
    """x: (L,), w: (k,) -> (L_out,). Cross-correlation, as torch.nn.functional.conv1d."""
    x = np.pad(np.asarray(x, dtype=np.float64), padding)
    w = np.asarray(w, dtype=np.float64)
    span = dilation * (len(w) - 1) + 1
    starts = range(0, len(x) - span + 1, stride)
    return np.array([sum(w[j] * x[s + j * dilation] for j in range(len(w))) for s in starts])


def _out_len(length, kernel_size, stride=1, padding=0, dilation=1):
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


q1 = ValueProblem(
    "x_shape",
    expected=(4, 50, 12),
    title="Conv1d 입력 모양",
    hints=["Conv1d의 입력 순서는 [batch_size, num_channels, sequence_length]입니다.",
           "텍스트에서 채널은 임베딩 차원, 길이는 단어 수입니다. 그러면 (문장 수, 임베딩 차원, 단어 수)."],
    solution="x_shape = (4, 50, 12)   # [batch_size, num_channels(임베딩 차원), sequence_length(단어 수)]",
    mistakes=[((4, 12, 50), "채널 축과 길이 축이 바뀌었습니다. 임베딩 차원이 채널 자리(가운데)에 와야 합니다. "
                            "[문장, 단어, 임베딩]으로 만든 텐서는 transpose(1, 2)로 바꿔 넣습니다."),
              ((12, 50, 4), "첫 번째 축은 배치 크기(문장 수)입니다.")],
)

_Q2_X = [1.0, 3.0, 2.0, 5.0, 4.0, 6.0]
_Q2_W = [2.0, 1.0, -1.0]

q2 = ValueProblem(
    "y",
    expected=lambda: _conv1d_naive(_Q2_X, _Q2_W, dilation=2),
    title="dilation=2 손 계산",
    check_dtype=False,
    hints=["먼저 출력 길이: (6 - 2*(3-1) - 1) // 1 + 1. 팽창된 커널은 5칸을 덮습니다.",
           "dilation=2이면 출력 t는 2*x[t] + 1*x[t+2] - 1*x[t+4] 입니다."],
    solution="# 출력 길이 = (6 - 2*2 - 1) + 1 = 2\n"
             "# y[0] = 2*1 + 1*2 - 1*4 = 0\n"
             "# y[1] = 2*3 + 1*5 - 1*6 = 5\n"
             "y = torch.tensor([0.0, 5.0])",
    mistakes=[(lambda: _conv1d_naive(_Q2_X, _Q2_W, dilation=1),
               "dilation=1(이웃한 세 칸)로 계산한 값입니다. dilation=2이면 한 칸씩 건너뛰어 x[t], x[t+2], x[t+4]를 봅니다."),
              (lambda: _conv1d_naive(_Q2_X, _Q2_W[::-1], dilation=2),
               "커널을 뒤집어 곱했습니다. PyTorch의 합성곱은 커널을 뒤집지 않습니다(교차 상관): w[0]이 창의 첫 칸과 곱해집니다.")],
)

_Q3_CASES = [(10, 3), (10, 3, 2), (10, 3, 1, 1), (10, 3, 1, 0, 2), (7, 7)]
_Q3_HIDDEN = [(100, 5, 3, 2, 1), (20, 4, 2, 1, 3), (9, 2, 4, 0, 1), (32, 3, 1, 1, 1),
              (15, 5, 2, 2, 2), (1, 1)]

def _q3_draw(rng):
    k, d, s, p = (int(rng.integers(1, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 5)),
                  int(rng.integers(0, 4)))
    shortest = max(1, d * (k - 1) + 1 - 2 * p)
    return (int(rng.integers(shortest, shortest + 60)), k, s, p, d)


q3 = FunctionProblem(
    "conv1d_out_len",
    reference=_out_len,
    cases=_Q3_CASES,
    hidden_cases=_Q3_HIDDEN,
    draw=_q3_draw,
    title="출력 길이 함수",
    hints=["공식: (L + 2p - d(k-1) - 1) / s 를 내림한 뒤 1을 더합니다.",
           "파이썬에서 음이 아닌 수의 내림 나눗셈은 // 입니다. 결과는 정수여야 합니다."],
    solution="def conv1d_out_len(length, kernel_size, stride=1, padding=0, dilation=1):\n"
             "    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1",
)


def _q4_reference():
    import teachnn.nn as nn
    return nn.Conv1d(6, 4, kernel_size=3, padding=1)


def _q4_input():
    import teachnn
    teachnn.manual_seed(2)
    return (teachnn.randn(2, 6, 9),)


def _q4_input_longer():
    import teachnn
    teachnn.manual_seed(3)
    return (teachnn.randn(3, 6, 20),)


q4 = ModuleProblem(
    "conv",
    reference=_q4_reference,
    inputs=[_q4_input, _q4_input_longer],
    title="길이를 유지하는 Conv1d",
    hints=["in_channels는 임베딩 차원, out_channels는 만들 특성 맵 수입니다.",
           "kernel_size=3에서 길이를 유지하려면 양쪽에 한 칸씩 패딩이 필요합니다: (L + 2p - 3) + 1 = L."],
    solution="conv = nn.Conv1d(in_channels=6, out_channels=4, kernel_size=3, padding=1)   # padding='same'도 됩니다",
)

_Q5_MODEL_ANSWER = ("커널의 크기가 채널 방향으로는 입력의 임베딩 차원(in_channels) 전체와 같아서 "
                    "채널 방향으로는 움직일 자리가 없습니다. 그래서 커널은 단어가 놓인 시퀀스 길이 방향으로만 "
                    "미끄러지며, 한 번에 연속된 kernel_size개 단어의 임베딩 전체를 봅니다.")

q5 = WordsProblem(
    "answer",
    model_answer=_Q5_MODEL_ANSWER,
    keywords=[["채널", "임베딩", "embedding", "channel", "차원", "in_channels"]],
    title="왜 한 방향인가",
    hints=["커널의 모양 [out_channels, in_channels, kernel_size]에서 in_channels가 무엇과 같은지 보세요."],
    solution=_Q5_MODEL_ANSWER,
)

q6 = ValueProblem(
    "weight_shape",
    expected=(16, 50, 3),
    title="Conv1d 가중치의 모양",
    hints=["가중치는 [out_channels, in_channels, kernel_size] 순서입니다.",
           "in_channels는 임베딩 차원(50), kernel_size는 한 번에 보는 단어 수(3)입니다."],
    solution="weight_shape = (16, 50, 3)   # [out_channels, in_channels(임베딩 차원), kernel_size]",
    mistakes=[((16, 50, 50), "kernel_size는 임베딩 차원이 아닙니다. 길이 방향으로 한 번에 보는 단어 수(3)입니다."),
              ((16, 3, 50), "두 번째 축이 in_channels(임베딩 차원), 마지막 축이 kernel_size입니다."),
              ((16, 3), "커널은 채널(임베딩 차원) 전체도 덮습니다: 가중치는 축이 세 개입니다."),
              ((50, 16, 3), "합성곱의 가중치는 [out_channels, in_channels, ...] 순서입니다.")],
)


def _q7_reference():
    import teachnn.nn as nn
    return nn.Conv1d(300, 8, kernel_size=3)


def _q7_input():
    import teachnn
    teachnn.manual_seed(7)
    return (teachnn.randn(2, 300, 10),)


q7 = ModuleProblem(
    "trigram_conv",
    reference=_q7_reference,
    inputs=[_q7_input],
    title="세 단어씩 읽는 Conv1d",
    hints=["in_channels는 임베딩 차원입니다. '세 단어씩'은 어느 인자일까요?",
           "kernel_size는 한 번에 보는 단어 수입니다: nn.Conv1d(300, 8, kernel_size=3)."],
    solution="trigram_conv = nn.Conv1d(in_channels=300, out_channels=8, kernel_size=3)",
)

finalize(globals())
