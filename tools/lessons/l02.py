"""Lesson 02 — Conv1d."""
from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME = "02_conv1d.ipynb"
PREFIX = "l02"

CELLS = [
header(
    "02. 1차원 합성곱 — `nn.Conv1d`",
    goals=[
        "1차원 합성곱 (convolution)이 입력을 **`[batch_size, num_channels, sequence_length]`** 모양으로 받는다는 것을 이해합니다.",
        "커널 (필터)이 채널(임베딩 차원) 전체를 한 번에 덮고 **길이 방향으로만** 미끄러진다는 것을 눈으로 확인합니다.",
        "스트라이드 (보폭), 패딩, 팽창 (dilation)이 출력 길이를 어떻게 바꾸는지 계산합니다.",
        "시계열 예제와 텍스트 예제를 직접 돌려 봅니다.",
        "노트의 오해 하나를 바로잡습니다: `kernel_size`는 임베딩 차원이 아니라 **한 번에 보는 시점(단어) 수**입니다.",
    ],
    uses=[
        "00강: 텐서와 모양, `torch.manual_seed`",
        "01강: `nn.Module`과 레이어 객체, 맛보기로 본 `F.relu`",
        "처음 보는 것: `nn.Conv1d`와 같은 계산을 함수로 부르는 `F.conv1d`(레이어와 함수의 차이는 08강), "
        "`viz`의 애니메이션과 슬라이더(`viz.explore`), 텐서를 만드는 `torch.arange`, `torch.full`, "
        "`torch.from_numpy`(NumPy 배열에서), 텐서의 `view`, `transpose`, `max(dim=...)`",
    ],
    source=from_notes("`nn.Conv1d` 부분(입력 모양, 한 방향으로만 움직이는 커널, `dilation`)을 따릅니다"),
),
code(IMPORTS + """
import numpy as np
import matplotlib.pyplot as plt
import viz

torch.manual_seed(0)
print("준비 완료")"""),
md("""
## 1. 아이디어: 한 방향으로만 미끄러지는 창

시계열이나 문장은 **순서가 있는 데이터**입니다. 각 시점(또는 각 단어)마다 여러 개의 숫자가 있습니다.

| 데이터 | 채널 (`num_channels`) | 시퀀스 길이 (`sequence_length`) |
|---|---|---|
| 센서 시계열 | 센서 종류(온도, 습도, …) = 특성 수 | 시간 단계 수 |
| 문장 | 단어 벡터의 크기 = 임베딩 차원 | 단어 수 |

`nn.Conv1d`는 이 데이터를 `[배치 크기, 채널, 시퀀스 길이]`로 받습니다.
커널의 모양은 `[out_channels, in_channels, kernel_size]`입니다. 즉 커널 하나는 **채널 전체**(`in_channels`)와 **연속된 `kernel_size`개 시점**을 한꺼번에 덮습니다.
채널 방향으로는 이미 꽉 차 있으니 움직일 곳이 없고, 커널은 시간(길이) 방향으로만 미끄러집니다. 이것이 "Conv1d의 커널은 한 방향으로만 움직인다"는 말의 뜻입니다.

출력 한 칸의 값은 창 안의 모든 값과 커널 값을 곱해 더한 것(그리고 편향)입니다.

$$y[o, t] = b[o] + \\sum_{c}\\sum_{j=0}^{k-1} w[o, c, j]\\; x[c,\\; t\\cdot s + j\\cdot d - p]$$

($s$ = 스트라이드, $d$ = 팽창, $p$ = 패딩)
"""),
md("""
## 2. 코드로 확인하기: 모양부터

임베딩 차원이 6인 단어 7개짜리 문장 2개를 생각해 봅시다. 입력은 `[2, 6, 7]`입니다.
"""),
predict("""
`nn.Conv1d(in_channels=6, out_channels=4, kernel_size=3)`에 `[2, 6, 7]`을 넣으면 출력 모양은 무엇일까요?
커널이 길이 7 위를 한 칸씩 움직이면 몇 자리에 놓일 수 있는지 세어 보세요.
"""),
code("""
x = torch.randn(2, 6, 7)                 # [batch_size, num_channels(임베딩 차원), sequence_length]
conv = nn.Conv1d(in_channels=6, out_channels=4, kernel_size=3)
y = conv(x)

print("입력 모양 :", x.shape)
print("커널 모양 :", conv.weight.shape, " <- [out_channels, in_channels, kernel_size]")
print("편향 모양 :", conv.bias.shape)
print("출력 모양 :", y.shape, "  <- 길이 7 - 3 + 1 = 5")
print(conv)"""),
md("""
커널의 두 번째 축이 입력 채널 수(6)와 **항상 같다**는 점을 보세요. 그래서 커널은 채널 방향으로 움직일 여지가 없습니다.

배치 축을 빠뜨리면 어떻게 될까요? teachnn은 PyTorch처럼 배치가 없는 `[채널, 길이]` 입력도 받아 줍니다.
하지만 채널 수가 맞지 않으면 무엇이 잘못됐는지 알려 주는 오류가 납니다. 직접 확인해 봅시다.
"""),
code("""
try:
    conv(torch.randn(2, 7, 6))           # 채널과 길이 축을 바꿔 넣은 실수
except RuntimeError as error:
    print(type(error).__name__, ":", error)"""),
md("""
### 바로잡기: `kernel_size`는 임베딩 차원이 아닙니다
노트에는 "Conv1d는 한 커널(필터)의 너비가 임베딩 벡터의 차원과 동일하게 설정됨"이라고 적혀 있고, 요약에도
"임베딩 차원과 kernel의 크기는 항상 동일"이라고 되어 있습니다. 커널이 임베딩 차원 **전체를 덮는다**는 것은 맞지만,
그 폭은 `kernel_size`가 아니라 **`in_channels`** 가 정하며 우리가 고르는 값이 아닙니다(언제나 입력 채널 수와 같습니다).

- `in_channels` = 임베딩 차원: 커널이 세로로 덮는 폭. 입력이 정합니다.
- `kernel_size` = **한 번에 보는 단어(시점) 수**: 커널이 길이 방향으로 덮는 폭. 보통 2, 3, 5처럼 작게 고릅니다.

그래서 커널 하나의 모양은 `[in_channels, kernel_size]` = `[임베딩 차원, 한 번에 보는 단어 수]`이고, 레이어의 가중치는
`[out_channels, in_channels, kernel_size]`입니다.
"""),
predict("""
임베딩 차원 50, 단어 12개인 문장 4개에 `nn.Conv1d(50, 16, kernel_size=3)`을 쓰면 가중치 모양은 무엇일까요?
노트처럼 `kernel_size=50`(임베딩 차원)으로 두면 어떻게 될까요?
"""),
code("""
text = torch.randn(4, 50, 12)                      # 문장 4개, 임베딩 차원 50, 단어 12개
conv3 = nn.Conv1d(50, 16, kernel_size=3)
print("가중치:", conv3.weight.shape, " <- [out_channels, in_channels(임베딩 차원), kernel_size(단어 3개)]")
print("출력  :", conv3(text).shape, " <- 세 단어 묶음 10개")
try:
    nn.Conv1d(50, 16, kernel_size=50)(text)        # 임베딩 차원을 kernel_size로 잘못 쓰면
except RuntimeError as error:
    print(type(error).__name__, ":", error)"""),
md("""
`kernel_size=50`은 "단어 50개를 한 번에 보는 커널"이라는 뜻이어서, 단어가 12개뿐인 문장에는 놓일 자리가 없습니다.
"""),
md("""
## 3. 출력 길이 공식

길이 $L$인 입력에 커널 크기 $k$, 스트라이드 $s$, 패딩 $p$, 팽창 $d$를 쓰면 출력 길이는

$$L_{out} = \\left\\lfloor \\frac{L + 2p - d\\,(k-1) - 1}{s} \\right\\rfloor + 1$$

입니다. $d\\,(k-1)+1$은 팽창된 커널이 실제로 덮는 폭입니다. 아래에서 공식과 실제 출력을 비교해 봅니다.
"""),
code("""
def out_len(L, k, s=1, p=0, d=1):
    return (L + 2 * p - d * (k - 1) - 1) // s + 1

x = torch.randn(1, 3, 20)
for k, s, p, d in [(3, 1, 0, 1), (3, 2, 0, 1), (3, 1, 1, 1), (3, 1, 0, 2), (5, 2, 2, 3)]:
    y = F.conv1d(x, torch.randn(2, 3, k), stride=s, padding=p, dilation=d)
    print(f"k={k} s={s} p={p} d={d}:  공식 {out_len(20, k, s, p, d):2d}  실제 {y.shape[-1]:2d}")"""),
md("""
## 4. 팽창 (dilation): 커널 안에서 건너뛰며 보기

노트의 설명처럼 `dilation`은 커널이 **몇 칸씩 건너뛰며** 입력을 볼지 정합니다.
`kernel_size=3, dilation=2`라면 커널은 `x[t], x[t+2], x[t+4]`를 봅니다. 파라미터 수는 그대로인데 보는 범위(수용 영역)는 5칸으로 넓어집니다.
값으로 확인해 봅시다. 커널을 `[1, 1, 1]`로 두면 출력은 덮은 세 값의 합입니다.
"""),
code("""
x = torch.arange(10, dtype=torch.float32).view(1, 1, 10)   # 0, 1, ..., 9
w = torch.ones(1, 1, 3)

y1 = F.conv1d(x, w)               # x[t] + x[t+1] + x[t+2]
y2 = F.conv1d(x, w, dilation=2)   # x[t] + x[t+2] + x[t+4]
print("dilation=1:", y1.view(-1).tolist())
print("dilation=2:", y2.view(-1).tolist())
print("손으로 계산한 dilation=2의 첫 칸: 0 + 2 + 4 =", 0 + 2 + 4)"""),
md("""
## 5. 애니메이션: 창이 어떻게 움직이나

아래 애니메이션에서 채널 3개짜리 시퀀스 위를 커널이 움직입니다.
커널이 **채널 전체를 세로로 덮은 채** 가로(길이)로만 이동하는 것, `dilation=2`일 때 창 안에서 한 칸씩 건너뛰는 것을 확인하세요.
각 프레임에는 현재 출력 칸을 만드는 곱셈과 덧셈이 적혀 있습니다. ▶ 버튼으로 재생하고, 한 칸씩 넘겨 볼 수도 있습니다.
"""),
code("""
scene = viz.conv1d(size=7, channels=3, kernel=3, dilation=2)
scene"""),
md("""
직접 숫자를 바꿔 봅시다. 아래 `viz.explore("conv1d")`의 슬라이더로 길이, 커널, 스트라이드, 패딩, 팽창을 바꾸면 그림과 출력 길이가 바로 바뀝니다.
(위젯은 JupyterLab에서 보입니다.)
"""),
predict("""
길이 7, `kernel_size=3`에서 `dilation`을 1에서 3으로 올리면 출력 길이는 몇이 될까요? 슬라이더로 확인해 보세요.
"""),
code("""
viz.explore("conv1d")"""),
md("""
## 6. 시계열 예제: 잡음 섞인 신호 다듬기

센서 신호 하나(채널 1개)를 `[1, 1, 60]`으로 만들고, 직접 고른 커널 두 개를 적용해 봅니다.
- 평균 커널 `[1/5, 1/5, 1/5, 1/5, 1/5]`: 이웃 다섯 시점의 평균 → 잡음이 줄어든 신호
- 차분 커널 `[-1, 0, 1]`: 뒤 값 - 앞 값 → 신호가 오르는지 내리는지

학습된 합성곱 레이어는 이런 커널을 데이터에서 스스로 찾아냅니다.
"""),
code("""
rng = np.random.default_rng(0)
steps = np.arange(60)
signal_np = (np.sin(steps / 6.0) + 0.3 * rng.standard_normal(60)).astype(np.float32)
x = torch.from_numpy(signal_np).view(1, 1, 60)     # [batch=1, channels=1, length=60]

smooth_w = torch.full((1, 1, 5), 1 / 5)              # [out=1, in=1, k=5]
diff_w = torch.tensor([[[-1.0, 0.0, 1.0]]])          # [out=1, in=1, k=3]
smoothed = F.conv1d(x, smooth_w, padding=2)          # padding=2 -> 길이 60 유지
slope = F.conv1d(x, diff_w, padding=1)

fig, axes = plt.subplots(2, 1, figsize=(8, 4.5), sharex=True)
axes[0].plot(signal_np, color="0.6", label="input")
axes[0].plot(smoothed.view(-1).numpy(), color="C0", label="moving average (k=5)")
axes[0].legend(loc="upper right")
axes[1].plot(slope.view(-1).numpy(), color="C3", label="difference [-1, 0, 1]")
axes[1].axhline(0, color="k", lw=0.5)
axes[1].legend(loc="upper right")
axes[1].set_xlabel("time step")
plt.tight_layout()
plt.show()
print("입력", tuple(x.shape), "-> 평균", tuple(smoothed.shape), ", 차분", tuple(slope.shape))"""),
md("""
센서가 여러 개라면 채널이 늘어날 뿐입니다. 온도·습도·풍속 3개 센서를 100시점 기록했다면 입력은 `[batch, 3, 100]`이고,
`nn.Conv1d(3, 8, kernel_size=5)`의 커널 하나는 `[3, 5]` 크기로 세 센서를 **동시에** 봅니다.
"""),
code("""
sensors = torch.randn(16, 3, 100)                    # 16개 구간, 센서 3개, 100 시점
layer = nn.Conv1d(3, 8, kernel_size=5, stride=2)
print(layer.weight.shape, "->", layer(sensors).shape)   # (100 - 5)//2 + 1 = 48"""),
md("""
## 7. 텍스트 예제: 세 단어씩 읽는 커널

문장을 단어 번호로 바꾸고, 각 단어를 길이 6짜리 벡터(임베딩)로 바꿉니다. 여기서는 임베딩 표를 무작위로 만듭니다.
단어 벡터를 쌓으면 `[단어 수, 임베딩 차원]`이 되므로, Conv1d에 넣기 전에 **축을 바꿔** `[배치, 임베딩 차원, 단어 수]`로 만들어야 합니다.
이 `transpose`를 빠뜨리는 것이 가장 흔한 실수입니다.
"""),
code("""
vocab = ["<pad>", "나는", "오늘", "파이토치", "합성곱", "을", "배웠다", "재미있다"]
sentence = ["나는", "오늘", "파이토치", "합성곱", "을", "배웠다", "재미있다"]
token_ids = torch.tensor([[vocab.index(w) for w in sentence]])     # [1, 7]

embedding_table = torch.randn(len(vocab), 6)                      # [단어 수, 임베딩 차원]
embedded = embedding_table[token_ids]                             # [1, 7, 6] = [배치, 단어, 임베딩]
x = embedded.transpose(1, 2)                                      # [1, 6, 7] = [배치, 채널, 길이]

trigram = nn.Conv1d(in_channels=6, out_channels=4, kernel_size=3)
features = F.relu(trigram(x))                                     # [1, 4, 5]: 세 단어 묶음 5개
sentence_vector = features.max(dim=2).values                      # 시간 축 최대값 -> [1, 4]

print("임베딩:", tuple(embedded.shape), "-> 합성곱 입력:", tuple(x.shape))
print("특성 맵:", tuple(features.shape), "-> 문장 벡터:", tuple(sentence_vector.shape))
for t in range(features.shape[2]):
    print(f"출력 위치 {t}: '{' '.join(sentence[t:t + 3])}' 를 본다")"""),
md("""
## 8. 연습 문제

각 문제의 `____`를 바꾼 뒤 셀을 실행하고 `q1.check()`로 채점합니다. 막히면 `q1.hint()`, 그래도 어렵다면 `q1.solution()`을 실행하세요.
`____`를 그대로 두면 "아직 풀지 않았습니다"라고 나옵니다.
"""),
code("""
from teachnn.exercises.lesson02 import q1, q2, q3, q4, q5, q6, q7, ____"""),
md("""
**문제 1 (입력 모양).** 문장 4개가 있고, 모두 단어 12개로 맞춰져 있으며, 단어마다 크기 50인 임베딩 벡터가 있습니다.
이 배치를 `nn.Conv1d(50, 16, kernel_size=3)`에 넣으려면 입력 모양이 어떠해야 할까요? 튜플로 답하세요. 예: `(1, 2, 3)`
"""),
code("""
x_shape = ____
q1.check()"""),
md("""
**문제 2 (손으로 계산하기).** 입력 `x = [1, 3, 2, 5, 4, 6]`(배치 1, 채널 1), 커널 `w = [2, 1, -1]`, `dilation=2`, 편향 없음.
`F.conv1d`의 출력 값들을 **손으로** 계산해 1차원 텐서 `y`로 적으세요. (`F.conv1d`를 불러 답을 베끼지 말고, 먼저 출력 길이부터 구해 보세요.)
"""),
code("""
y = ____                 # 예: torch.tensor([0.0, 0.0, 0.0])
q2.check()"""),
md("""
**문제 3 (함수 만들기).** 출력 길이 공식을 함수로 쓰세요. 숨은 사례로도 채점합니다.
"""),
code("""
def conv1d_out_len(length, kernel_size, stride=1, padding=0, dilation=1):
    return ____

q3.check()"""),
md("""
**문제 4 (레이어 만들기).** 임베딩 차원 6인 문장을 받아 채널 4개짜리 특성 맵을 만들되, **시퀀스 길이가 그대로 유지되는**
`nn.Conv1d` 레이어 `conv`를 만드세요. `kernel_size=3`을 쓰세요.
"""),
code("""
conv = ____
q4.check()"""),
md("""
**문제 5 (말로 설명하기).** 텍스트에 쓰는 Conv1d에서 커널이 왜 한 방향(문장 길이 방향)으로만 움직이는지 한두 문장으로 설명해 보세요.
"""),
code("""
answer = ____            # 예: answer = "..."
q5.check()"""),
md("""
**문제 6(가중치 모양).** 임베딩 차원 50인 문장을 받는 `nn.Conv1d(in_channels=50, out_channels=16, kernel_size=3)`의
가중치 `weight`의 모양을 튜플로 적으세요. 코드로 확인하기 전에 먼저 답을 정하세요.
"""),
code("""
weight_shape = ____
q6.check()"""),
md("""
**문제 7(레이어 만들기).** 단어마다 크기 300인 임베딩 벡터가 있는 문장을 **세 단어씩** 읽어 특성 맵 8개를 만드는
`nn.Conv1d` 레이어 `trigram_conv`를 만드세요(패딩 없음).
"""),
code("""
trigram_conv = ____
q7.check()"""),
md("""
## 배운 점 요약
1. Conv1d의 입력은 `[batch_size, num_channels, sequence_length]`입니다. 시계열이면 채널 = 특성 수, 텍스트면 채널 = 임베딩 차원입니다.
2. 커널 모양은 `[out_channels, in_channels, kernel_size]`이고, 커널은 채널 전체를 덮으므로 길이 방향으로만 움직입니다.
3. 출력 길이는 $\\lfloor (L + 2p - d(k-1) - 1)/s \\rfloor + 1$ 입니다.
4. 팽창 (dilation)은 파라미터 수는 그대로 두고 커널이 보는 범위를 넓힙니다.
5. 텍스트는 `[배치, 단어, 임베딩]`으로 만들어지므로 `transpose(1, 2)`로 채널 축을 가운데로 옮긴 뒤 Conv1d에 넣습니다.
6. `kernel_size`는 임베딩 차원이 아니라 한 번에 보는 단어(시점) 수입니다. 임베딩 차원은 `in_channels`입니다.
"""),
next_lesson("03_conv2d.ipynb", "가로·세로 두 방향으로 움직이는 `nn.Conv2d`를 봅니다."),
]
