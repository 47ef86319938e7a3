"""Exercises of lesson 07 (pooling).

Expected values are computed here with plain Python/NumPy (never with teachnn's kernels).
"""
import numpy as np

from teachnn.exercises.core import (FunctionProblem, ModuleProblem, ValueProblem,
                                    WordsProblem, finalize, ____)  # noqa: F401


def _pool2d_naive(x, k, reduce):
    """Non-overlapping k x k pooling (stride k, no padding) of a 2-d list with ``reduce``."""
    x = np.asarray(x, dtype=np.float64)
    h, w = x.shape[0] // k, x.shape[1] // k
    return np.array([[reduce(x[i * k:(i + 1) * k, j * k:(j + 1) * k]) for j in range(w)]
                     for i in range(h)])


def _adaptive_windows(in_size, out_size):
    """PyTorch's adaptive windows [floor(i*L/O), ceil((i+1)*L/O)) in integer arithmetic."""
    return [((i * in_size) // out_size, -((-(i + 1) * in_size) // out_size)) for i in range(out_size)]


def _adaptive_avg1d_naive(x, out_size):
    x = np.asarray(x, dtype=np.float64)
    return np.array([x[s:e].mean() for s, e in _adaptive_windows(len(x), out_size)])


def _pool_size(n, k, s, p=0):
    return (n + 2 * p - k) // s + 1


_Q1_X = [[1.0, 5.0, 2.0, 0.0],
         [3.0, 2.0, 8.0, 1.0],
         [0.0, 4.0, 1.0, 1.0],
         [7.0, 2.0, 3.0, 9.0]]

q1 = ValueProblem(
    "y",
    expected=lambda: _pool2d_naive(_Q1_X, 2, np.max),
    title="최대 풀링 손 계산",
    check_dtype=False,
    hints=["MaxPool2d(2)는 kernel_size=2, stride=2(기본값은 kernel_size와 같음)입니다. 4x4를 겹치지 않는 2x2 구역 네 개로 나누세요.",
           "각 구역에서 가장 큰 값 하나를 고릅니다. 출력은 2x2입니다."],
    solution="y = torch.tensor([[5.0, 8.0], [7.0, 9.0]])",
    mistakes=[(lambda: _pool2d_naive(_Q1_X, 2, np.mean),
               "구역의 평균을 냈습니다. 그것은 평균 풀링(AvgPool2d)입니다; 최대 풀링은 가장 큰 값을 고릅니다."),
              (np.array([[5.0, 8.0, 8.0], [4.0, 8.0, 8.0], [7.0, 4.0, 9.0]]),
               "stride=1로 창을 겹치게 움직였습니다. MaxPool2d(2)의 stride 기본값은 kernel_size(2)입니다.")],
)

q2 = ValueProblem(
    "y2",
    expected=lambda: _adaptive_avg1d_naive([1.0, 2.0, 3.0, 4.0, 5.0], 3),
    title="적응형 평균 풀링 손 계산",
    check_dtype=False,
    hints=["창 i는 [floor(i*5/3), ceil((i+1)*5/3)) 입니다. 세 창을 먼저 구하세요.",
           "창은 [0, 2), [1, 4), [3, 5) 로 서로 겹칩니다. 각 창의 평균을 내세요."],
    solution="# 창: [0,2) -> (1+2)/2,  [1,4) -> (2+3+4)/3,  [3,5) -> (4+5)/2\n"
             "y2 = torch.tensor([1.5, 3.0, 4.5])",
    mistakes=[(np.array([1.5, 3.5, 5.0]), "창을 겹치지 않게 [0,2), [2,4), [4,5)로 나누었습니다. 적응형 풀링은 ceil로 끝을 잡아 창이 겹칠 수 있습니다."),
              (np.array([2.0, 3.0, 4.0]), "창 하나를 [i, i+3)처럼 같은 크기로 잡았습니다. 적응형 풀링의 창은 공식 floor(i*L/O) ~ ceil((i+1)*L/O)로 정해집니다.")],
)

q3 = FunctionProblem(
    "adaptive_windows",
    reference=_adaptive_windows,
    cases=[(4, 2), (5, 3), (3, 5)],
    hidden_cases=[(7, 3), (10, 4), (6, 6), (1, 3), (10, 1), (13, 5), (2, 7)],
    draw=lambda rng: (int(rng.integers(1, 40)), int(rng.integers(1, 16))),
    # the lesson shows teachnn's own window functions: writing the formula is the exercise
    forbid=["teachnn.geometry:adaptive_range", "teachnn.geometry:adaptive_ranges",
            "teachnn.kernels.pool:adaptive_windows"],
    title="적응형 풀링 창 함수",
    hints=["창 i = (floor(i * L / O), ceil((i + 1) * L / O)), i = 0 .. O-1. 결과는 (시작, 끝) 튜플의 리스트입니다.",
           "math.floor, math.ceil을 쓰거나, 정수만으로: 시작 = (i * L) // O, 끝 = -((-(i + 1) * L) // O)."],
    solution="import math\n"
             "def adaptive_windows(in_size, out_size):\n"
             "    return [(math.floor(i * in_size / out_size), math.ceil((i + 1) * in_size / out_size))\n"
             "            for i in range(out_size)]",
)


def _q4_reference():
    import teachnn.nn as nn
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4))


def _q4_input_square():
    import teachnn
    teachnn.manual_seed(9)
    return (teachnn.randn(2, 16, 5, 5),)


def _q4_input_other():
    import teachnn
    teachnn.manual_seed(10)
    return (teachnn.randn(1, 16, 7, 3),)


def _q4_global_max():
    import teachnn.nn as nn
    return nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(16, 4))


q4 = ModuleProblem(
    "head",
    reference=_q4_reference,
    inputs=[_q4_input_square, _q4_input_other],
    check_structure=False,     # AdaptiveAvgPool2d(1) or ((1, 1)), Flatten or a hand-written mean: all fine
    mistakes=[(_q4_global_max,
               "전역 최대 풀링(`AdaptiveMaxPool2d`)으로 계산한 출력입니다. 문제는 6절의 전역 '평균' "
               "풀링을 이어 붙이라고 합니다: `nn.AdaptiveAvgPool2d(1)`을 써 보세요.")],
    title="크기와 상관없는 분류 머리",
    hints=["세 단계입니다: 전역 평균 풀링 [N, 16, H, W] -> [N, 16, 1, 1], 평탄화 -> [N, 16], 선형 레이어 -> [N, 4].",
           "nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(...)) 의 빈칸을 채워 보세요."],
    solution="head = nn.Sequential(\n"
             "    nn.AdaptiveAvgPool2d(1),   # [N, 16, H, W] -> [N, 16, 1, 1]\n"
             "    nn.Flatten(),              # -> [N, 16]\n"
             "    nn.Linear(16, 4),          # -> [N, 4]\n"
             ")",
)

q5 = ValueProblem(
    "out_shape",
    expected=(8, 64, _pool_size(56, 3, 2, 1), _pool_size(56, 3, 2, 1)),
    title="MaxPool2d 출력 모양",
    hints=["풀링의 출력 크기 공식은 합성곱과 같습니다: (n + 2p - k) // s + 1. 채널 수는 변하지 않습니다.",
           "(56 + 2*1 - 3) // 2 + 1"],
    solution="out_shape = (8, 64, 28, 28)",
    mistakes=[((8, 64, 27, 27), "padding=1을 빠뜨렸습니다."),
              ((8, 64, 56, 56), "stride=2를 적용하지 않았습니다."),
              ((8, 64, 29, 29), "나누어떨어지지 않으면 내림합니다(ceil_mode=False가 기본값).")],
)

_Q6_MODEL_ANSWER = ("풀링은 구역을 대표값(최대 또는 평균) 하나로 요약해 특성 맵을 줄입니다. 그래서 다음 레이어의 입력과 "
                    "파라미터 수가 줄어 모델이 외울 수 있는 세부가 줄고, 특징의 위치가 구역 안에서 조금 움직여도 같은 "
                    "출력이 나오므로(작은 이동에 둔감) 훈련 데이터의 사소한 차이에 덜 민감해집니다.")

q6 = WordsProblem(
    "answer",
    model_answer=_Q6_MODEL_ANSWER,
    keywords=[["위치", "이동", "움직", "불변", "둔감", "요약", "대표", "크기", "축소", "차원", "작아"]],
    title="파라미터 없는 풀링이 과적합을 줄이는 이유",
    hints=["풀링 뒤 특성 맵 크기와 다음 레이어의 파라미터 수는 어떻게 되나요? 특징이 한 칸 옮겨지면 최대 풀링 결과는?"],
    solution=_Q6_MODEL_ANSWER,
)

_SEQ = [4.0, 1.0, 3.0, 8.0, 2.0, 6.0, 5.0]


def _pool1d_naive(x, k, s, reduce):
    """Windows [i*s, i*s + k) that fit inside x (no padding), each reduced by ``reduce``."""
    n = (len(x) - k) // s + 1
    return [float(reduce(x[i * s:i * s + k])) for i in range(n)]


def _as_tensor(values):
    def make():
        import teachnn
        return teachnn.tensor(values)
    return make


q7 = ValueProblem(
    "y_max1d",
    expected=_as_tensor(_pool1d_naive(_SEQ, 3, 2, max)),
    check_dtype=False,
    title="MaxPool1d 손 계산",
    hints=["출력 길이는 (7 - 3) // 2 + 1 입니다. 창은 [0, 3), [2, 5), [4, 7)입니다.",
           "창마다 가장 큰 값: [4, 1, 3], [3, 8, 2], [2, 6, 5]"],
    solution="y_max1d = torch.tensor([4.0, 8.0, 6.0])",
    mistakes=[(_as_tensor(_pool1d_naive(_SEQ, 3, 3, max)),
               "stride=2입니다. 창이 3칸이 아니라 2칸씩 움직이므로 창끼리 한 칸 겹칩니다."),
              (_as_tensor(_pool1d_naive(_SEQ, 3, 2, lambda w: sum(w) / len(w))),
               "평균이 아니라 최대 풀링입니다: 창에서 가장 큰 값을 고릅니다.")],
)

q8 = ValueProblem(
    "y_avg1d",
    expected=_as_tensor(_pool1d_naive(_SEQ, 2, 2, lambda w: sum(w) / len(w))),
    check_dtype=False,
    title="AvgPool1d 손 계산",
    hints=["stride를 주지 않으면 kernel_size(2)와 같습니다. 출력 길이는 (7 - 2) // 2 + 1 = 3입니다.",
           "창 [4, 1], [3, 8], [2, 6]의 평균. 마지막 5는 창이 다 들어가지 않아 버려집니다."],
    solution="y_avg1d = torch.tensor([2.5, 5.5, 4.0])",
    mistakes=[(_as_tensor([2.5, 5.5, 4.0, 5.0]),
               "마지막 5는 창(2칸)이 다 들어가지 않아 버려집니다(ceil_mode=False가 기본값)."),
              (_as_tensor(_pool1d_naive(_SEQ, 2, 1, lambda w: sum(w) / len(w))),
               "stride의 기본값은 kernel_size입니다. 창은 겹치지 않고 2칸씩 움직입니다.")],
)

q9 = ValueProblem(
    "flat_shape",
    expected=(8, 64 * 4 * 4),
    title="nn.Flatten의 출력 모양",
    hints=["nn.Flatten()의 기본값은 start_dim=1입니다: 배치 축(0번)은 남깁니다.",
           "1번 축부터 끝까지 64 * 4 * 4개를 한 줄로 폅니다."],
    solution="flat_shape = (8, 1024)",
    mistakes=[((8 * 64 * 4 * 4,), "nn.Flatten()은 배치 축을 남깁니다(start_dim=1). 배치까지 펴는 것은 torch.flatten(x)입니다."),
              ((8, 64, 16), "1번 축부터 마지막 축까지 모두 한 줄로 합칩니다.")],
)

finalize(globals())
