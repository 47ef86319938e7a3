"""Lesson 07 — pooling."""
from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME = "07_pooling.ipynb"
PREFIX = "l07"

CELLS = [
header(
    "07. 풀링 — 최대 풀링, 평균 풀링, 적응형 풀링",
    goals=[
        "풀링 (pooling)이 구역마다 대표값 하나를 골라 특성 맵을 줄이는 레이어라는 것을 이해합니다.",
        "최대 풀링 / 평균 풀링의 값을 손으로 계산하고, 출력 크기 공식이 합성곱과 같다는 것을 확인합니다.",
        "적응형 풀링 (adaptive pooling)이 **출력 크기를 먼저 정하고** 창을 거꾸로 계산한다는 것을, 노트의 4x4 예제로 확인합니다.",
        "전역 평균 풀링이 어떤 크기의 입력이든 채널마다 숫자 하나로 줄인다는 것을 봅니다.",
    ],
    uses=[
        '00·01강: 텐서와 모양, `nn.Module`, 파라미터 세기',
        '02·03강: 합성곱의 창과 출력 크기 공식, `F.conv2d`, `viz` 애니메이션; 06강: `nn.Linear`',
        '처음 보는 것: `F.max_pool2d`, `teachnn.geometry`(출력 크기와 창을 계산하는 모듈), `nn.Flatten`',
    ],
    source=from_notes("풀링 레이어 부분과 `AdaptiveAvgPool2d`의 4x4 예제를 따릅니다"),
),
code(IMPORTS + """
import numpy as np
import matplotlib.pyplot as plt
import viz
from teachnn import geometry

print("준비 완료")"""),
md("""
## 1. 아이디어: 구역의 대표 뽑기
합성곱처럼 창이 특성 맵 위를 움직이지만, 곱하고 더할 **커널이 없습니다**. 창 안의 값들 중
- **최대 풀링** (`nn.MaxPool2d`): 가장 큰 값
- **평균 풀링** (`nn.AvgPool2d`): 평균

하나만 남깁니다. 그래서 풀링 레이어에는 학습할 파라미터가 없습니다. 채널마다 따로 계산하므로 채널 수도 그대로입니다.
`stride`를 주지 않으면 기본값이 `kernel_size`와 같아서, 창이 겹치지 않고 나란히 놓입니다.
"""),
code("""
x = torch.tensor([[[[1.0, 2.0, 3.0, 4.0],
                    [5.0, 6.0, 7.0, 8.0],
                    [9.0, 10.0, 11.0, 12.0],
                    [13.0, 14.0, 15.0, 16.0]]]])          # [1, 1, 4, 4], 노트의 예제 입력

max_pool = nn.MaxPool2d(kernel_size=2)
avg_pool = nn.AvgPool2d(kernel_size=2)
print(max_pool)
print("최대 풀링:\\n", max_pool(x))
print("평균 풀링:\\n", avg_pool(x))
print("파라미터 개수:", len(list(max_pool.parameters())), len(list(avg_pool.parameters())))"""),
md("""
왼쪽 위 구역 `[[1, 2], [5, 6]]`의 최댓값은 6, 평균은 (1+2+5+6)/4 = 3.5입니다. 나머지 구역도 손으로 확인해 보세요.

## 2. 최대 풀링과 작은 이동
최대 풀링은 구역 **안에서** 특징이 조금 움직여도 같은 결과를 냅니다. 밝은 점이 한 칸 옮겨 간 두 그림을 비교해 봅니다.
이런 둔감함이 노트에서 말한 "과적합을 줄이는 데 도움"이 되는 이유 중 하나입니다. (구역 경계를 넘어가면 결과가 바뀝니다.)
"""),
code("""
a = torch.zeros(1, 1, 4, 4)
b = torch.zeros(1, 1, 4, 4)
a[0, 0, 0, 0] = 1.0          # 왼쪽 위 구역의 (0, 0)
b[0, 0, 1, 1] = 1.0          # 같은 구역 안에서 한 칸 대각선 이동
print("a 풀링:", F.max_pool2d(a, 2).view(-1).tolist())
print("b 풀링:", F.max_pool2d(b, 2).view(-1).tolist())"""),
md("""
### 1차원 풀링: `nn.MaxPool1d`, `nn.AvgPool1d`
노트의 목록에는 2차원 풀링과 나란히 `nn.MaxPool1d`, `nn.AvgPool1d`도 있습니다. 시계열이나 문장처럼 `[N, C, L]`인 입력
(02강 Conv1d의 출력)을 **길이 방향으로만** 줄입니다. 창이 한 방향으로 움직인다는 것 말고는 2차원과 같습니다.
"""),
predict("""
`[4, 1, 3, 8, 2, 6]`에 `nn.MaxPool1d(2)`와 `nn.AvgPool1d(2)`를 쓰면 각각 무엇이 나올까요?
(`stride`를 주지 않으면 창이 겹치지 않게 2칸씩 움직입니다.)
"""),
code("""
seq = torch.tensor([[[4.0, 1.0, 3.0, 8.0, 2.0, 6.0]]])          # [N=1, C=1, L=6]
print(nn.MaxPool1d(2))
print("MaxPool1d(2)          :", nn.MaxPool1d(2)(seq).view(-1).tolist())
print("AvgPool1d(2)          :", nn.AvgPool1d(2)(seq).view(-1).tolist())
print("MaxPool1d(3, stride=1):", nn.MaxPool1d(3, stride=1)(seq).view(-1).tolist(), " <- 창이 겹칩니다")

features = torch.randn(16, 32, 100)          # Conv1d가 만든 특성 맵: 문장 16개, 채널 32, 길이 100
print("[16, 32, 100] -> MaxPool1d(2) ->", tuple(nn.MaxPool1d(2)(features).shape))"""),
md("""
### 풀링(pooling)의 반복문 읽어 보기
최대 풀링·평균 풀링과 적응형 풀링의 참조 커널은 `teachnn/kernels/reference/pool.py`에 있습니다.
각 출력 칸이 읽는 창(window)은 `teachnn.geometry`가 정하고(일반 풀링: `o*s - p + t*d`, 적응형 풀링:
`[floor(o*L/O), ceil((o+1)*L/O))`), 반복문은 그 창의 칸을 차례로 보며 최댓값과 그 위치(평면 안의 평탄화된
인덱스 `h*W + w`)를 기억합니다. 같은 값이 여러 번 나오면 **처음** 것이 이깁니다 — PyTorch와 같은 규칙입니다.
아래에서 원문을 읽고, 참조 커널과 빠른 커널의 값·인덱스가 같은지 확인해 봅시다.
"""),
code("""
import inspect
from teachnn.kernels.reference import pool as ref_pool

print(inspect.getsource(ref_pool._max_pool_loop))

torch.manual_seed(0)
x = torch.randn(1, 2, 6, 6)
pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1, return_indices=True)
gap = nn.AdaptiveAvgPool2d((4, 3))

out_fast, idx_fast = pool(x)
gap_fast = gap(x)
with torch.kernels.use("reference"):
    out_ref, idx_ref = pool(x)
    gap_ref = gap(x)

print("최대 풀링 값이 같은가:", bool((out_fast == out_ref).all()))
print("최대값의 위치(인덱스)가 같은가:", bool((idx_fast == idx_ref).all()))
print("적응형 평균 풀링의 최대 차이:", (gap_fast - gap_ref).abs().max().item())"""),
md("""
## 3. 출력 크기: 합성곱과 같은 공식, 그리고 `ceil_mode`
$$H_{out} = \\left\\lfloor \\frac{H + 2p - d\\,(k-1) - 1}{s} \\right\\rfloor + 1$$

`ceil_mode=True`로 두면 내림 대신 **올림**을 해서, 가장자리에 걸친 자투리 창도 하나의 출력 칸이 됩니다
(단, 그 창은 입력이나 왼쪽 패딩 안에서 시작해야 합니다). 최대 풀링의 패딩 칸은 $-\\infty$로 취급되어 결코 뽑히지 않습니다.
"""),
code("""
x = torch.randn(8, 64, 56, 56)
print("MaxPool2d(3, stride=2, padding=1):", nn.MaxPool2d(3, stride=2, padding=1)(x).shape)

x5 = torch.arange(25, dtype=torch.float32).view(1, 1, 5, 5)
print("5x5 입력에 MaxPool2d(2)                :", nn.MaxPool2d(2)(x5).shape)
print("5x5 입력에 MaxPool2d(2, ceil_mode=True):", nn.MaxPool2d(2, ceil_mode=True)(x5).shape)
print(nn.MaxPool2d(2, ceil_mode=True)(x5))"""),
md("""
## 4. 애니메이션: 풀링 창
각 프레임에서 현재 창과, 최대 풀링이라면 **뽑힌 칸**이 표시됩니다. `ceil_mode=True`에서 가장자리에 걸친 창도 보세요.
"""),
code("""
scene = viz.max_pool2d(size=5, kernel=2, stride=2, ceil_mode=True)
scene"""),
md("""
## 5. 적응형 풀링: 출력 크기를 먼저 정한다
보통 풀링은 창 크기를 정하면 출력 크기가 따라 나옵니다. **적응형 풀링** (`nn.AdaptiveAvgPool2d(output_size)`)은 반대로
**출력 크기를 정하면** 창을 알아서 계산합니다. 출력의 $i$번째 칸은 입력의

$$\\Big[\\;\\lfloor i \\cdot L / O \\rfloor,\\;\\; \\lceil (i+1) \\cdot L / O \\rceil\\;\\Big)$$

구간(끝은 포함하지 않음)을 봅니다. $L$은 입력 크기, $O$는 출력 크기입니다. 노트의 예제를 그대로 실행해 봅니다.
"""),
code("""
x = torch.tensor([[[[1.0, 2.0, 3.0, 4.0],
                    [5.0, 6.0, 7.0, 8.0],
                    [9.0, 10.0, 11.0, 12.0],
                    [13.0, 14.0, 15.0, 16.0]]]])

adaptive_avg_pool = nn.AdaptiveAvgPool2d(output_size=(2, 2))
output = adaptive_avg_pool(x)
print("Adaptive Average Pooling Output:\\n", output)
print("행(세로) 창:", geometry.adaptive_ranges(4, 2), "  열(가로) 창:", geometry.adaptive_ranges(4, 2))"""),
code("""
scene = viz.adaptive_avg_pool2d(size=4, output_size=2)     # 노트의 4x4 -> 2x2
scene"""),
md("""
4를 2로 나누면 나누어떨어지므로 창은 `[0, 2)`, `[2, 4)` — 2x2 평균 풀링과 같습니다. 왼쪽 위는 (1+2+5+6)/4 = **3.5**로, 노트의 출력 `[[3.5, 5.5], [11.5, 13.5]]`이 그대로 나옵니다.

나누어떨어지지 않으면 재미있는 일이 생깁니다. 길이 5를 3으로 줄이면 창이 **서로 겹칩니다**.
"""),
code("""
x = torch.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]])                  # [1, 1, 5]
print("창:", geometry.adaptive_ranges(5, 3))
print("AdaptiveAvgPool1d(3):", nn.AdaptiveAvgPool1d(3)(x).view(-1).tolist())
print("AdaptiveMaxPool1d(3):", nn.AdaptiveMaxPool1d(3)(x).view(-1).tolist())
print("손 계산 (평균)       :", [float(np.mean([1, 2, 3, 4, 5][s:e])) for s, e in geometry.adaptive_ranges(5, 3)])"""),
code("""
scene = viz.adaptive_avg_pool1d(size=5, output_size=3)     # 겹치는 창 세 개
scene"""),
md("""
## 6. 전역 평균 풀링
`output_size=1`이면 창이 특성 맵 **전체**가 되어, 채널마다 평균 하나만 남습니다. 이것이 **전역 평균 풀링** (global average pooling)입니다.
노트가 `AdaptiveAvgPool1d`를 "Global Average Pooling"이라고 소개한 것은 이 쓰임 때문입니다.
입력 크기가 달라도 출력이 `[N, C, 1, 1]`로 같으므로, 뒤에 붙는 선형 레이어의 크기를 입력 해상도와 상관없이 정할 수 있습니다.
"""),
code("""
gap = nn.AdaptiveAvgPool2d(1)
head = nn.Linear(16, 4)
for size in [(12, 12), (20, 31)]:
    features = torch.randn(2, 16, *size)                     # 합성곱이 만든 특성 맵이라고 생각합시다
    pooled = gap(features)                                   # [2, 16, 1, 1]
    same_as_mean = (pooled.view(2, 16) - features.mean(dim=(2, 3))).abs().max().item()
    logits = head(pooled.flatten(1))                         # [2, 4]
    print(f"입력 {tuple(features.shape)} -> 풀링 {tuple(pooled.shape)} -> 분류 {tuple(logits.shape)},"
          f" 평균과의 차이 {same_as_mean:.1e}")"""),
md("""
## 7. 평탄화: `nn.Flatten`
풀링이나 합성곱이 만든 `[N, C, H, W]`를 선형 레이어에 넣으려면 샘플마다 한 줄, 곧 `[N, C*H*W]`로 펴야 합니다.
6절은 `pooled.flatten(1)`을 썼습니다. 같은 일을 하는 방법은 셋입니다.
- `x.flatten(1)`: 1번 축부터 끝까지를 하나로 합칩니다(0번 축인 배치는 그대로).
- `x.view(x.size(0), -1)`: 노트의 `MyModel`이 쓴 방법입니다(11강).
- `nn.Flatten()`: 같은 일을 하는 **레이어**입니다. 기본값이 `start_dim=1`이라 배치 축을 남기고,
  레이어이므로 `nn.Sequential` 안에 다른 레이어와 나란히 넣을 수 있습니다.

주의: 함수 `torch.flatten(x)`의 기본값은 `start_dim=0`이라서 배치 축까지 한 줄로 펴 버립니다.
"""),
predict("""
`[8, 64, 4, 4]`에 `nn.Flatten()`을 쓰면 모양이 어떻게 될까요? `torch.flatten`을 쓰면요?
"""),
code("""
maps = torch.randn(8, 64, 4, 4)
print(nn.Flatten())
print("nn.Flatten()       :", tuple(nn.Flatten()(maps).shape))
print("maps.flatten(1)    :", tuple(maps.flatten(1).shape))
print("maps.view(8, -1)   :", tuple(maps.view(maps.size(0), -1).shape))
print("torch.flatten(maps):", tuple(torch.flatten(maps).shape), " <- 배치 축까지 펴졌습니다")

classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * 4 * 4, 10))   # 평탄화도 레이어 하나
print(classifier)
print("분류 결과 모양:", tuple(classifier(maps).shape))"""),
md("""
## 8. 연습 문제
"""),
code("""
from teachnn.exercises.lesson07 import q1, q2, q3, q4, q5, q6, q7, q8, q9, ____"""),
md("""
**문제 1 (최대 풀링 손 계산).** 아래 4x4 입력에 `nn.MaxPool2d(2)`를 적용한 결과를 2x2 텐서 `y`로 적으세요.
```
[[1, 5, 2, 0],
 [3, 2, 8, 1],
 [0, 4, 1, 1],
 [7, 2, 3, 9]]
```
"""),
code("""
y = ____
q1.check()"""),
md("""
**문제 2 (적응형 풀링 손 계산).** `[1, 2, 3, 4, 5]`에 `nn.AdaptiveAvgPool1d(3)`을 적용한 결과를 1차원 텐서 `y2`로 적으세요.
"""),
code("""
y2 = ____
q2.check()"""),
md("""
**문제 3 (함수 만들기).** 입력 크기 `in_size`와 출력 크기 `out_size`를 받아 적응형 풀링의 창 `(시작, 끝)` 목록을 돌려주는 함수를 쓰세요.
예: `adaptive_windows(5, 3)`은 `[(0, 2), (1, 4), (3, 5)]`. 숨은 사례로도 채점합니다. `teachnn.geometry`의 함수를 부르지 말고 공식으로 직접 쓰세요.
"""),
code("""
def adaptive_windows(in_size, out_size):
    return ____

q3.check()"""),
md("""
**문제 4 (모델 만들기).** 합성곱이 만든 특성 맵 `[N, 16, H, W]`를 **어떤 H, W이든** 받아 4개 클래스의 로짓 `[N, 4]`를 만드는
분류 머리 `head`를 `nn.Sequential`로 만드세요. 6절의 전역 평균 풀링과 선형 레이어를 이어 붙이면 됩니다(사이에 7절의 평탄화 레이어가 필요합니다).
"""),
code("""
head = ____
q4.check()"""),
md("""
**문제 5 (출력 모양).** `(8, 64, 56, 56)` 입력에 `nn.MaxPool2d(kernel_size=3, stride=2, padding=1)`을 적용한 출력 모양을 튜플로 적으세요.
"""),
code("""
out_shape = ____
q5.check()"""),
md("""
**문제 6 (말로 설명하기).** 풀링 레이어에는 학습되는 파라미터가 없습니다. 그런데도 풀링이 과적합을 줄이는 데 도움이 되는 이유는 무엇일까요?
"""),
code("""
answer = ____
q6.check()"""),
md("""
**문제 7(1차원 최대 풀링 손 계산).** 시퀀스 `[4, 1, 3, 8, 2, 6, 5]`(`[1, 1, 7]`)에 `nn.MaxPool1d(kernel_size=3, stride=2)`를
적용한 결과를 1차원 텐서 `y_max1d`로 적으세요. 출력 길이부터 구해 보세요.
"""),
code("""
y_max1d = ____
q7.check()"""),
md("""
**문제 8(1차원 평균 풀링 손 계산).** 같은 시퀀스에 `nn.AvgPool1d(2)`를 적용한 결과를 1차원 텐서 `y_avg1d`로 적으세요.
"""),
code("""
y_avg1d = ____
q8.check()"""),
md("""
**문제 9(평탄화).** `(8, 64, 4, 4)` 모양의 특성 맵에 `nn.Flatten()`을 적용한 출력 모양을 튜플로 적으세요.
"""),
code("""
flat_shape = ____
q9.check()"""),
md("""
## 배운 점 요약
1. 풀링은 구역마다 대표값(최대 또는 평균) 하나를 남겨 특성 맵을 줄입니다. 파라미터가 없고 채널 수는 그대로입니다.
2. 출력 크기 공식은 합성곱과 같고, `stride`의 기본값은 `kernel_size`입니다. `ceil_mode=True`는 자투리 창까지 출력으로 만듭니다.
3. 최대 풀링은 구역 안의 작은 이동에 둔감하고, 다음 레이어의 크기를 줄여 과적합을 줄이는 데 도움이 됩니다.
4. 적응형 풀링은 출력 크기를 정하면 창 $[\\lfloor iL/O \\rfloor, \\lceil (i+1)L/O \\rceil)$을 계산합니다. 나누어떨어지지 않으면 창이 겹칩니다.
5. 노트의 4x4 예제는 `[[3.5, 5.5], [11.5, 13.5]]`이고, `output_size=1`인 적응형 평균 풀링이 전역 평균 풀링입니다.
6. `nn.MaxPool1d`, `nn.AvgPool1d`는 `[N, C, L]`을 길이 방향으로 줄입니다.
7. `nn.Flatten()`은 배치 축을 남기고 나머지를 한 줄로 펴는 레이어라서 `nn.Sequential` 안에 넣을 수 있습니다.
"""),
next_lesson('08_activations.ipynb', '활성화 함수와, 같은 ReLU를 `nn.ReLU()`와 `F.relu` 두 가지로 쓰는 법을 배웁니다.'),
]
