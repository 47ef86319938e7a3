"""Lesson 05 — transposed convolution."""
from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME = "05_conv_transpose.ipynb"
PREFIX = "l05"

CELLS = [
header(
    "05. 전치 합성곱 — `nn.ConvTranspose1d/2d/3d`",
    goals=[
        "전치 합성곱 (transposed convolution)이 디코더 (decoder)에서 작은 특성 맵을 크게 만드는 **업샘플링**에 쓰인다는 것을 압니다.",
        "입력 한 칸이 커널 모양의 \"도장\"을 출력에 찍고 겹친 곳은 더해진다는 것을 계산과 애니메이션으로 확인합니다.",
        "노트의 한 문장 — *\"역방향으로 수행하는 것이지 역연산이 아니다\"* — 을 숫자로 확인합니다.\n  합성곱 뒤에 전치 합성곱을 해도 입력이 돌아오지 않고, 대신 $\\langle \\mathrm{conv}(x), y\\rangle = \\langle x, \\mathrm{conv\\_transpose}(y)\\rangle$ 가 성립합니다.",
    ],
    uses=[
        '01강: 자동 미분 맛보기(`requires_grad`, `backward()`, `.grad`) — 6절에서 씁니다',
        '02~04강: 합성곱(`F.conv1d`, `F.conv2d`, `nn.Conv2d`, `nn.Conv3d`)과 출력 크기 공식, `viz` 애니메이션',
        '처음 보는 것: `nn.Sequential`로 레이어를 차례로 잇기(맛보기; 10강에서 자세히), `nn.ReLU()`(08강), 행렬 곱 연산자 `@`와 `.t()`(06강에서 다시), `torch.eye`, 이미 만든 텐서의 기울기를 켜는 `requires_grad_()`',
    ],
    source=from_notes("`nn.ConvTranspose1d, 2d, 3d` 부분(업샘플링, 디코더, \"역방향이지 역연산이 아님\")을 따릅니다"),
),
code(IMPORTS + """
import numpy as np
import matplotlib.pyplot as plt
import viz

torch.manual_seed(0)
print("준비 완료")"""),
md("""
## 1. 이름에 대하여: 역합성곱? 전치 합성곱!
노트에서는 이 레이어를 **역합성곱**이라고 부릅니다. 흔히 쓰이는 이름이지만, 이 과정에서는 **전치 합성곱**이라고 부르겠습니다.
"역"이라는 말은 합성곱을 **되돌리는 연산(역연산, inverse)** 처럼 들리지만 실제로는 그렇지 않기 때문입니다.
합성곱을 행렬 $C$를 곱하는 일로 보면, 이 레이어는 $C^{-1}$이 아니라 **전치 행렬 $C^{\\top}$** 를 곱합니다.
노트가 덧붙인 대로 "역방향이지 역연산이 아닌" 것이고, 아래 4절과 5절에서 이것을 직접 확인합니다.

## 2. 아이디어: 칸마다 도장 찍기
합성곱은 **여러 입력 칸을 모아 출력 한 칸**을 만듭니다. 전치 합성곱은 방향이 반대입니다.
**입력 한 칸이 커널 전체에 자기 값을 곱해 출력의 여러 칸에 뿌리고**, 겹치는 곳은 더합니다. 스트라이드 $s$는 도장 사이의 간격입니다.
그래서 출력은 입력보다 커집니다.

$$L_{out} = (L - 1)\\,s - 2p + d\\,(k-1) + \\text{output\\_padding} + 1$$

여기서 `padding` $p$는 합성곱과 달리 출력의 양 끝을 **잘라내는** 양입니다.
"""),
predict("""
입력 `[1, 2]`, 커널 `[1, 2, 3]`, `stride=1`이면 출력 길이는 $(2-1)\\cdot 1 + 3 = 4$입니다. 출력의 네 값은 무엇일까요?
(`1 x [1, 2, 3]`과 `2 x [1, 2, 3]`을 한 칸 어긋나게 놓고 더해 보세요.)
"""),
code("""
def transposed_by_hand(x, w, stride=1):
    # x: 길이 L인 1차원 입력, w: 길이 k인 커널 (NumPy). padding=0, dilation=1
    out = np.zeros((len(x) - 1) * stride + len(w))
    for i, value in enumerate(x):
        out[i * stride: i * stride + len(w)] += value * w     # 도장 찍기: 겹치면 더해진다
    return out

x = torch.tensor([1.0, 2.0])
w = torch.tensor([1.0, 2.0, 3.0])
for s in [1, 2]:
    by_teachnn = F.conv_transpose1d(x.view(1, 1, 2), w.view(1, 1, 3), stride=s).view(-1)
    print(f"stride={s}: 손 계산 {transposed_by_hand(x.numpy(), w.numpy(), s).tolist()}"
          f"  teachnn {by_teachnn.tolist()}")"""),
md("""
`stride=1`에서는 `[1, 2, 3]`과 `[2, 4, 6]`이 한 칸 어긋나 겹쳐 `[1, 4, 7, 6]`이 되고, `stride=2`에서는 가운데 한 칸만 겹쳐 `[1, 2, 5, 4, 6]`이 됩니다.

## 3. 디코더에서의 업샘플링
`kernel_size=4, stride=2, padding=1`은 크기를 정확히 두 배로 만드는 단골 조합입니다: $(L-1)\\cdot 2 - 2 + 3 + 1 = 2L$.
가중치 모양이 `[C_in, C_out, k, k]`로 **합성곱과 순서가 반대**라는 점도 보세요.
"""),
code("""
decoder = nn.Sequential(
    nn.ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1),   # 4x4  -> 8x8
    nn.ReLU(),
    nn.ConvTranspose2d(32, 1, kernel_size=4, stride=2, padding=1),    # 8x8  -> 16x16
)
code_map = torch.randn(1, 64, 4, 4)        # 인코더가 만든 작은 특성 맵
print(decoder)
print("가중치 모양:", decoder[0].weight.shape, " <- [C_in, C_out, kH, kW]")
h = code_map
for layer in decoder:
    h = layer(h)
    print(f"{type(layer).__name__:16s} -> {tuple(h.shape)}")"""),
md("""
스트라이드가 2 이상이면 같은 출력 크기로 갈 수 있는 입력 크기가 여럿입니다(합성곱의 내림 때문). 그래서 원하는 크기를 고를 때
`output_padding`을 씁니다. 예를 들어 `kernel_size=3, stride=2, padding=1`에서 8x8을 16x16으로 만들려면 `output_padding=1`이 필요합니다.
"""),
code("""
up = nn.ConvTranspose2d(8, 8, kernel_size=3, stride=2, padding=1)
x = torch.randn(1, 8, 8, 8)
print("output_padding=0:", up(x).shape)
up_op = nn.ConvTranspose2d(8, 8, kernel_size=3, stride=2, padding=1, output_padding=1)
print("output_padding=1:", up_op(x).shape)"""),
md("""
### 3차원도 같습니다: `nn.ConvTranspose3d`
노트의 `nn.ConvTranspose1d, 2d, 3d` 중 마지막인 3차원 전치 합성곱은 부피와 동영상(04강의 `[N, C, D, H, W]`)을 키웁니다.
출력 크기 공식이 깊이·높이·너비에 따로 적용되고, 가중치 모양은 `[C_in, C_out, kD, kH, kW]`입니다.
"""),
predict("""
`[1, 8, 4, 4, 4]` 부피에 `nn.ConvTranspose3d(8, 4, kernel_size=4, stride=2, padding=1)`을 쓰면 출력 모양은 무엇일까요?
"""),
code("""
up3d = nn.ConvTranspose3d(8, 4, kernel_size=4, stride=2, padding=1)
volume = torch.randn(1, 8, 4, 4, 4)                    # [N, C, D, H, W]
print(up3d)
print("가중치 모양:", up3d.weight.shape, " <- [C_in, C_out, kD, kH, kW]")
print("입력", tuple(volume.shape), "-> 출력", tuple(up3d(volume).shape))

# 동영상처럼 깊이(시간)는 그대로 두고 높이·너비만 두 배로: 축마다 다른 값을 튜플로
up_frames = nn.ConvTranspose3d(3, 3, kernel_size=(1, 4, 4), stride=(1, 2, 2), padding=(0, 1, 1))
print("프레임 8장 16x16 ->", tuple(up_frames(torch.randn(1, 3, 8, 16, 16)).shape))"""),
md("""
## 4. 역연산이 아니다: 합성곱 뒤 전치 합성곱
8x8 입력에 합성곱(스트라이드 2)을 해서 4x4로 줄인 뒤, **같은 가중치**로 전치 합성곱을 해서 다시 8x8로 키워 봅니다.
모양은 돌아오지만 값은 돌아오지 않습니다. 64개의 숫자를 16개로 줄이는 순간 정보가 사라졌으니, 어떤 연산으로도 되돌릴 수 없습니다.
"""),
code("""
x = torch.randn(1, 1, 8, 8)
w = torch.randn(1, 1, 3, 3)
down = F.conv2d(x, w, stride=2, padding=1)                                    # [1, 1, 4, 4]
back = F.conv_transpose2d(down, w, stride=2, padding=1, output_padding=1)      # [1, 1, 8, 8]
print("x", tuple(x.shape), "-> conv", tuple(down.shape), "-> conv_transpose", tuple(back.shape))
print("x와 되돌린 값의 가장 큰 차이:", (back - x).abs().max().item())

fig, axes = plt.subplots(1, 2, figsize=(6, 3))
axes[0].imshow(x[0, 0].numpy(), cmap="viridis"); axes[0].set_title("x")
axes[1].imshow(back[0, 0].numpy(), cmap="viridis"); axes[1].set_title("conv_transpose(conv(x))")
for ax in axes:
    ax.axis("off")
plt.tight_layout()
plt.show()"""),
md("""
## 5. 행렬로 보면: $C$ 대신 $C^{\\top}$
1차원에서 길이 5 입력에 크기 3 커널을 쓰는 합성곱은 길이 3 출력을 만듭니다. 이 일은 `3 x 5` 행렬 $C$를 곱하는 것과 같습니다.
단위 벡터 다섯 개를 합성곱하면 $C$의 열을 하나씩 얻을 수 있습니다.
그러면 전치 합성곱이 정확히 $C^{\\top}$을 곱하는 일이라는 것을 확인할 수 있습니다. $C$는 정사각 행렬도 아니니 역행렬 $C^{-1}$은 존재하지도 않습니다.
"""),
code("""
w = torch.tensor([[[1.0, 2.0, 3.0]]])                        # [C_out=1, C_in=1, k=3]
units = torch.eye(5).view(5, 1, 5)                           # 단위 벡터 5개를 배치로
C = F.conv1d(units, w).view(5, 3).t()                         # [3, 5]: j번째 열 = conv(e_j)
print("C =")
print(C)

y = torch.tensor([1.0, -1.0, 2.0])
print("conv_transpose1d(y):", F.conv_transpose1d(y.view(1, 1, 3), w).view(-1).tolist())
print("C^T @ y            :", (C.t() @ y).tolist())
print("C^T C 는 단위 행렬인가? ->", np.allclose((C.t() @ C).numpy(), np.eye(5)))"""),
md("""
## 6. 수반 관계: $\\langle \\mathrm{conv}(x), y\\rangle = \\langle x, \\mathrm{conv\\_transpose}(y)\\rangle$
행렬로 쓰면 $\\langle Cx, y\\rangle = \\langle x, C^{\\top}y\\rangle$ 입니다. 스트라이드·패딩이 있는 2차원에서도 성립하는지 float64로 확인합니다.
이 관계 때문에 **합성곱의 입력 기울기 (gradient) 계산이 곧 전치 합성곱**입니다. 자동 미분 (autograd)으로도 확인해 봅니다.
"""),
code("""
x = torch.randn(2, 3, 7, 7, dtype=torch.float64)
w = torch.randn(4, 3, 3, 3, dtype=torch.float64)          # conv: 3 -> 4 채널, 전치: 4 -> 3 채널
y = torch.randn(2, 4, 4, 4, dtype=torch.float64)          # conv(x)와 같은 모양

lhs = (F.conv2d(x, w, stride=2, padding=1) * y).sum()
rhs = (x * F.conv_transpose2d(y, w, stride=2, padding=1)).sum()
print(f"<conv(x), y>           = {lhs.item():.12f}")
print(f"<x, conv_transpose(y)> = {rhs.item():.12f}")

x.requires_grad_()
(F.conv2d(x, w, stride=2, padding=1) * y).sum().backward()
gap = (x.grad - F.conv_transpose2d(y, w, stride=2, padding=1)).abs().max().item()
print("x.grad 와 conv_transpose(y) 의 가장 큰 차이:", gap)"""),
md("""
## 7. 애니메이션: 두 가지 관점
**관점 1 — 흩뿌리기**: 입력 칸 하나하나가 커널 모양의 도장을 출력에 찍고, 합이 쌓여 갑니다.

**관점 2 — 직접 합성곱**: 입력 칸 사이에 $s-1$개의 0을 끼우고 둘레에 $d(k-1)-p$ 겹의 0을 두른 뒤, **뒤집은 커널**로 보통 합성곱을 합니다. 결과는 관점 1과 같습니다.
`output_padding`은 오른쪽(아래쪽) 끝에 한 줄을 더 붙여 출력 크기를 고르는 것으로 보입니다.
"""),
code("""
scatter_view = viz.conv_transpose2d(size=3, kernel=3, stride=2, padding=1, output_padding=1, view="scatter")
scatter_view"""),
code("""
direct_view = viz.conv_transpose2d(size=3, kernel=3, stride=2, padding=1, output_padding=1, view="direct")
direct_view"""),
md("""
## 8. 연습 문제
"""),
code("""
from teachnn.exercises.lesson05 import q1, q2, q3, q4, q5, q6, ____"""),
md("""
**문제 1 (출력 모양).** `nn.ConvTranspose2d(16, 8, kernel_size=4, stride=2, padding=1)`에 `(1, 16, 7, 7)` 입력을 넣은 출력 모양을 튜플로 적으세요.
"""),
code("""
out_shape = ____
q1.check()"""),
md("""
**문제 2 (도장 찍기를 손으로).** 입력 `[1, 2, 3]`, 커널 `[1, 1, 1]`, `stride=2`, 패딩 0인 `F.conv_transpose1d`의 출력 값을 1차원 텐서 `y`로 적으세요.
"""),
code("""
y = ____                 # 예: torch.tensor([0.0, 0.0, 0.0])
q2.check()"""),
md("""
**문제 3 (함수 만들기).** 전치 합성곱의 출력 길이 공식을 함수로 쓰세요. 숨은 사례로도 채점합니다.
"""),
code("""
def conv_transpose_out_len(length, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    return ____

q3.check()"""),
md("""
**문제 4 (레이어 만들기).** 디코더의 한 단계로, `[N, 32, 8, 8]`을 받아 `[N, 16, 16, 16]`을 만드는 `nn.ConvTranspose2d` 레이어 `up`을 만드세요.
**`kernel_size=3`** 을 써야 합니다(힌트: `output_padding`).
"""),
code("""
up = ____
q4.check()"""),
md("""
**문제 5 (말로 설명하기).** 노트에서 쓴 이름 대신 "전치 합성곱"이라고 부르는 것이 더 정확한 이유를 설명해 보세요.
"""),
code("""
answer = ____
q5.check()"""),
md("""
**문제 6(3차원 업샘플링).** 디코더의 마지막 단계로, 부피 `[N, 16, 4, 8, 8]`을 받아 **깊이·높이·너비를 모두 두 배로** 키운
`[N, 8, 8, 16, 16]`을 만드는 `nn.ConvTranspose3d` 레이어 `up3`를 만드세요. `kernel_size=4`를 쓰세요.
"""),
code("""
up3 = ____
q6.check()"""),
md("""
## 배운 점 요약
1. 전치 합성곱은 입력 한 칸이 커널 모양으로 출력에 값을 흩뿌리고 겹친 곳을 더하는 연산으로, 디코더에서 특성 맵을 키우는 업샘플링에 씁니다.
2. 출력 크기는 $(L-1)s - 2p + d(k-1) + \\text{output\\_padding} + 1$ 이고, `kernel_size=4, stride=2, padding=1`은 크기를 두 배로 만듭니다.
3. 가중치 모양은 `[C_in, C_out, k...]`로 합성곱과 반대입니다.
4. 합성곱이 행렬 $C$라면 전치 합성곱은 $C^{\\top}$입니다. $C^{-1}$이 아니므로 합성곱을 되돌리지 못합니다. 그래서 "역방향이지 역연산이 아닌" 이 연산에는 "전치"라는 이름이 정확합니다.
5. $\\langle \\mathrm{conv}(x), y\\rangle = \\langle x, \\mathrm{conv\\_transpose}(y)\\rangle$ 이고, 그래서 합성곱의 입력 기울기가 곧 전치 합성곱입니다.
"""),
next_lesson('06_linear.ipynb', '모든 입력을 섞어 출력을 만드는 선형 레이어 `nn.Linear`를 배웁니다.'),
]
