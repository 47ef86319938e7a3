"""Lesson 03 — Conv2d."""
from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME = "03_conv2d.ipynb"
PREFIX = "l03"

CELLS = [
header(
    "03. 2차원 합성곱 — `nn.Conv2d`",
    goals=[
        "이미지가 `[배치 크기, 채널, 높이, 너비]` = `[N, C, H, W]` 텐서라는 것을 알고, `nn.Conv2d`의 커널 모양을 읽습니다.",
        "커널이 가로·세로 **두 방향**으로 미끄러지며, 여러 입력 채널의 곱을 **모두 더해** 출력 한 칸을 만든다는 것을 확인합니다.",
        "스트라이드 (보폭)와 패딩이 출력 크기를 어떻게 바꾸는지 공식으로 계산합니다.",
        "합성곱을 파이썬 반복문으로 직접 구현해 `F.conv2d`와 값이 같은지 확인합니다.",
    ],
    uses=[
        '00강: 텐서와 모양; 01강: `nn.Module`, 노트의 `CNN`(`nn.Conv2d`를 처음 본 곳)',
        '02강: 합성곱의 아이디어, 출력 길이 공식, `F.conv1d`, `viz`의 애니메이션과 `viz.explore`',
        '처음 보는 것: `F.conv2d`, 이 과정의 생성 데이터 `teachnn.datasets.load_shapes`, 텐서의 `stack`, `unsqueeze`, `numpy()`',
    ],
    source=from_notes("`nn.Conv2d` 부분을 따릅니다"),
),
code(IMPORTS + """
import numpy as np
import matplotlib.pyplot as plt
import viz
from teachnn.datasets import load_shapes

torch.manual_seed(0)
print("준비 완료")"""),
md("""
## 1. 아이디어
Conv1d의 커널은 채널 전체를 덮은 채 길이 방향으로만 움직였습니다. Conv2d는 같은 생각을 한 차원 늘린 것입니다.
- 입력: `[N, C_in, H, W]` — 흑백 사진은 `C_in = 1`, 컬러 사진은 빨강·초록·파랑 `C_in = 3`
- 커널 (필터): `[C_out, C_in, kH, kW]` — 커널 하나가 **모든 입력 채널**을 덮는 `kH x kW` 창
- 출력: `[N, C_out, H_out, W_out]` — 커널 하나가 특성 맵 (feature map) 하나를 만듭니다

출력 한 칸은 창 안의 모든 채널 값과 커널 값을 곱해 더한 것입니다.

$$y[o, i, j] = b[o] + \\sum_{c}\\sum_{u}\\sum_{v} w[o, c, u, v]\\; x[c,\\; i\\,s + u,\\; j\\,s + v]$$

커널은 채널 방향으로는 이미 꽉 차 있으므로 높이와 너비, 두 방향으로만 움직입니다.
"""),
predict("""
`nn.Conv2d(in_channels=3, out_channels=16, kernel_size=3)`의 파라미터는 모두 몇 개일까요?
(커널 하나가 `3 x 3 x 3`개의 가중치를 갖고, 커널이 16개, 편향이 16개입니다.) 32x32 사진을 넣으면 출력의 높이와 너비는?
"""),
code("""
images = torch.randn(8, 3, 32, 32)          # 컬러 사진 8장: [N, C, H, W]
conv = nn.Conv2d(in_channels=3, out_channels=16, kernel_size=3)
features = conv(images)

print(conv)
print("커널 모양:", conv.weight.shape, " <- [C_out, C_in, kH, kW]")
print("입력", images.shape, "-> 출력", features.shape)
print("파라미터 수:", sum(p.numel() for p in conv.parameters()), "= 16*3*3*3 + 16")"""),
md("""
> 노트에는 `nn.Conv2d(in_channels, out_channels, kernels, stride, padding, ...)`라고 적혀 있지만 인자 이름은 **`kernel_size`** 입니다.
> `kernels=5`라고 쓰면 teachnn은 PyTorch처럼 `TypeError`를 내면서 `kernel_size`를 제안합니다(01강에서 직접 만나 보았습니다).

## 2. 직접 구현해 보기: 반복문 네 겹
`F.conv2d`가 마법이 아님을 확인합시다. 아래 함수는 정의를 그대로 옮긴 느린 구현입니다(배치 1, 스트라이드 1, 패딩 없음).
teachnn의 실제 커널은 같은 계산을 Numba로 컴파일해 빠르게 실행합니다.
"""),
code("""
def conv2d_by_hand(x, w):
    # x: [C_in, H, W], w: [C_out, C_in, kH, kW]  (NumPy 배열)
    c_out, c_in, kh, kw = w.shape
    h_out, w_out = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    y = np.zeros((c_out, h_out, w_out))
    for o in range(c_out):
        for i in range(h_out):
            for j in range(w_out):
                window = x[:, i:i + kh, j:j + kw]          # [C_in, kH, kW]
                y[o, i, j] = (window * w[o]).sum()          # 모든 채널을 한꺼번에 더함
    return y

x = torch.randn(1, 3, 6, 7)
w = torch.randn(2, 3, 3, 3)
by_hand = conv2d_by_hand(x[0].numpy(), w.numpy())
by_teachnn = F.conv2d(x, w)[0].numpy()
print("출력 모양:", by_teachnn.shape)
print("가장 큰 차이:", np.abs(by_hand - by_teachnn).max())"""),
md("""
### 합성곱(convolution)의 반복문을 teachnn 안에서 읽어 보기
`nn.Conv2d`는 `F.conv2d`를 부르고, `F.conv2d`는 Numba 커널을 실행합니다. 기본 커널(`fast`)은 속도를 위해
im2col·행렬 곱·레지스터 타일로 짜여 있어 읽기 어렵습니다(13강에서 한 단계씩 봅니다). 그래서 teachnn에는 **같은 값을 내는 참조 커널**이
함께 있습니다: `teachnn/kernels/reference/conv.py`. 공식

$$\\text{out}[n,o,i,j] = \\text{bias}[o] + \\sum_{c,a,b} w[o,c,a,b]\\cdot x[n,\\,c,\\,i s_h + a d_h - p_h,\\,j s_w + b d_w - p_w]$$

을 그대로 옮긴 반복문으로, 위에서 여러분이 쓴 네 겹 반복문과 같은 생각입니다(패딩 칸은 0이므로 더하지 않습니다). 아래 셀에서 그 원문을 출력하고,
`with torch.kernels.use("reference"):` 블록 안에서 같은 레이어를 참조 커널로 실행해 빠른 커널의 결과(출력과
역전파의 기울기)와 비교해 봅시다. 차이는 부동소수점 반올림 정도입니다.
"""),
code("""
import inspect
from teachnn.kernels.reference import conv as ref_conv

print(inspect.getsource(ref_conv._conv_forward_loop))     # 공식을 그대로 옮긴 반복문

torch.manual_seed(0)
conv = nn.Conv2d(3, 4, kernel_size=3, stride=2, padding=1)
x = torch.randn(2, 3, 8, 8, requires_grad=True)

y_fast = conv(x)                                  # 기본: 빠른 커널
y_fast.sum().backward()
grad_fast = x.grad.clone()

x.grad = None
with torch.kernels.use("reference"):              # 이 블록 안에서만 참조 커널
    print("지금 쓰는 커널:", torch.kernels.current())
    y_ref = conv(x)
    y_ref.sum().backward()
print("블록 밖:", torch.kernels.current())

print("출력의 최대 차이:", (y_fast - y_ref).abs().max().item())
print("기울기의 최대 차이:", (grad_fast - x.grad).abs().max().item())"""),
md("""
## 3. 커널이 찾는 것: 가장자리
학습된 커널은 무엇을 할까요? 손으로 만든 커널 두 개로 감을 잡아 봅시다. 이 과정의 생성 데이터(`teachnn.datasets`)에서 사각형 그림 하나를 꺼내
- 세로 가장자리 커널 `[[-1, 0, 1]] * 3` (왼쪽이 어둡고 오른쪽이 밝으면 큰 값)
- 가로 가장자리 커널 (위 커널의 전치)

을 적용합니다. 두 커널을 하나의 `[2, 1, 3, 3]` 가중치로 묶으면 한 번의 호출로 특성 맵 두 장이 나옵니다.
빨간색은 큰 양수(어두운 곳에서 밝은 곳으로), 파란색은 큰 음수(밝은 곳에서 어두운 곳으로)입니다. 세로 가장자리 커널은 사각형의 왼쪽·오른쪽 변에만,
가로 가장자리 커널은 위·아래 변에만 반응하는지 보세요.
"""),
code("""
x_all, y_all = load_shapes(train=True, noise=0.05)                 # 잡음을 줄인 그림으로
first_square = int(np.flatnonzero(y_all.numpy() == 2)[0])        # 레이블 2 = 사각형
square = x_all[first_square].unsqueeze(0)                         # [1, 1, 12, 12]

vertical = torch.tensor([[-1.0, 0.0, 1.0]] * 3)                   # [3, 3]
edge_kernels = torch.stack([vertical, vertical.t()]).unsqueeze(1) # [2, 1, 3, 3]
edges = F.conv2d(square, edge_kernels, padding=1)                  # [1, 2, 12, 12]

limit = edges.abs().max().item()                                    # 색 범위를 0 중심으로
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
axes[0].imshow(square[0, 0].numpy(), cmap="gray")
axes[0].set_title("input")
for ax, channel, title in zip(axes[1:], [0, 1], ["vertical-edge kernel", "horizontal-edge kernel"]):
    ax.imshow(edges[0, channel].numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(title)
for ax in axes:
    ax.axis("off")
plt.tight_layout()
plt.show()"""),
md("""
## 4. 스트라이드와 패딩, 그리고 출력 크기 공식
- **스트라이드 (보폭)** `stride`: 커널이 한 번에 몇 칸 움직이는지. 2이면 출력이 대략 절반이 됩니다.
- **패딩** `padding`: 입력 둘레에 0을 몇 겹 두르는지. 가장자리 정보를 살리고 출력 크기를 조절합니다.
- **팽창** `dilation`: Conv1d와 같습니다. 창 안에서 몇 칸씩 건너뛸지.

높이와 너비 각각에 대해

$$H_{out} = \\left\\lfloor \\frac{H + 2p - d\\,(k-1) - 1}{s} \\right\\rfloor + 1$$

나누어떨어지지 않으면 **내림**합니다. 마지막에 커널이 다 들어가지 않는 자투리는 버려집니다.
"""),
code("""
def out_size(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1

x = torch.randn(1, 1, 32, 32)
print(" k  s  p | 공식 | 실제")
for k, s, p in [(3, 1, 0), (3, 1, 1), (5, 1, 2), (3, 2, 1), (5, 2, 0), (4, 3, 1)]:
    y = nn.Conv2d(1, 1, kernel_size=k, stride=s, padding=p)(x)
    print(f"{k:2d} {s:2d} {p:2d} | {out_size(32, k, s, p):4d} | {y.shape[-1]:4d}")"""),
md("""
크기를 그대로 두고 싶을 때는 `padding='same'`이라고 써도 됩니다(스트라이드 1일 때만). 홀수 커널이면 $p = (k-1)/2$와 같습니다.
높이와 너비에 다른 값을 주고 싶으면 튜플을 씁니다: `kernel_size=(3, 5)`, `stride=(1, 2)`.
"""),
code("""
same = nn.Conv2d(3, 4, kernel_size=5, padding="same")
wide = nn.Conv2d(3, 4, kernel_size=(3, 5), stride=(1, 2), padding=(1, 0))
x = torch.randn(2, 3, 20, 30)
print("padding='same'      :", same(x).shape)
print("(3,5) 커널, (1,2) 보폭:", wide(x).shape, "<- H: (20+2-3)//1+1, W: (30-5)//2+1")"""),
md("""
## 5. 애니메이션
5x5 입력, 3x3 커널, 스트라이드 2, 패딩 1인 경우입니다. 패딩 칸은 따로 표시되고, 매 프레임마다 현재 출력 칸의 계산식과 출력 크기 공식이 나옵니다.
"""),
code("""
scene = viz.conv2d(size=5, kernel=3, stride=2, padding=1)
scene"""),
md("""
숫자를 바꿔 가며 봅시다. 아래 `viz.explore("conv2d")`의 슬라이더를 움직여 보세요. 불가능한 조합(예: 패딩 포함 입력보다 큰 커널)을 고르면 위젯이 이유를 알려 줍니다.
"""),
predict("""
입력 5x5, 커널 3에서 스트라이드를 2로, 패딩을 1로 두면 출력은 몇 x 몇일까요? 패딩을 0으로 되돌리면요? 슬라이더로 확인하세요.
"""),
code("""
viz.explore("conv2d")"""),
md("""
## 6. 연습 문제
`____`를 바꾸고 셀을 실행하세요. `q1.hint()`, `q1.solution()`도 쓸 수 있습니다.
"""),
code("""
from teachnn.exercises.lesson03 import q1, q2, q3, q4, q5, ____"""),
md("""
**문제 1 (출력 모양).** 입력 `x`의 모양이 `(8, 3, 28, 40)`이고 레이어가
`nn.Conv2d(3, 8, kernel_size=(3, 5), stride=(1, 2), padding=(1, 0))`일 때 출력 모양을 튜플로 적으세요. 코드를 실행하지 말고 공식으로 구해 보세요.
"""),
code("""
out_shape = ____
q1.check()"""),
md("""
**문제 2 (손으로 계산하기).** 입력 `[[1, 2, 0], [0, 1, 3], [2, 1, 0]]`에 커널 `[[1, 0], [0, -1]]`을 스트라이드 1, 패딩 0으로 적용한 출력을
`2 x 2` 텐서 `y`로 적으세요.
"""),
code("""
y = ____                 # 예: torch.tensor([[0.0, 0.0], [0.0, 0.0]])
q2.check()"""),
md("""
**문제 3 (함수 만들기).** `[N, C, H, W]` 입력 모양과 레이어 설정을 받아 출력 모양 튜플을 돌려주는 함수를 쓰세요.
`kernel_size`, `stride`, `padding`은 정수(가로·세로 같음)라고 가정합니다. 숨은 사례로도 채점합니다.
"""),
code("""
def conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0):
    n, c, h, w = input_shape
    return ____

q3.check()"""),
md("""
**문제 4 (레이어 만들기).** 컬러 사진 `[N, 3, 32, 32]`을 받아 특성 맵 16장을 만들되, **높이와 너비가 32로 유지**되는 `kernel_size=5`짜리 `nn.Conv2d` 레이어 `conv`를 만드세요.
"""),
code("""
conv = ____
q4.check()"""),
md("""
**문제 5 (말로 설명하기).** 스트라이드를 1에서 2로 바꾸면 출력 특성 맵과 계산량에 어떤 일이 생기나요?
"""),
code("""
answer = ____
q5.check()"""),
md("""
## 배운 점 요약
1. 이미지는 `[N, C, H, W]`이고, Conv2d의 커널은 `[C_out, C_in, kH, kW]`입니다. 커널 하나가 모든 입력 채널을 덮고 곱의 합 하나를 만듭니다.
2. 커널은 가로·세로 두 방향으로 움직이며, 커널 하나가 특성 맵 하나를 만듭니다.
3. 출력 크기는 축마다 $\\lfloor (H + 2p - d(k-1) - 1)/s \\rfloor + 1$ 이고, 나누어떨어지지 않으면 내림합니다.
4. 패딩은 가장자리를 살리고 크기를 유지하는 데, 스트라이드는 크기를 줄이는 데 씁니다.
5. `F.conv2d`는 반복문 네 겹으로 쓸 수 있는 계산을 빠르게 한 것일 뿐입니다.
"""),
next_lesson('04_conv3d.ipynb', '한 차원을 더 늘려, 부피와 동영상을 다루는 `nn.Conv3d`를 봅니다.'),
]
