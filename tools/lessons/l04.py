"""Lesson 04 — Conv3d."""
from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME = "04_conv3d.ipynb"
PREFIX = "l04"

CELLS = [
header(
    "04. 3차원 합성곱 — `nn.Conv3d`",
    goals=[
        "부피 데이터(MRI·CT)와 동영상이 `[N, C, D, H, W]` 텐서가 된다는 것을 이해합니다.",
        "Conv3d의 커널이 깊이·높이·너비 **세 방향**으로 움직인다는 것을 깊이 조각(slice) 애니메이션으로 봅니다.",
        "시간 방향 커널로 동영상의 **움직임**을 찾아보고, Conv2d가 Conv3d의 특별한 경우임을 확인합니다.",
    ],
    uses=[
        '00강: 텐서와 모양; 01강: `nn.Module`',
        '02·03강: 합성곱, 출력 크기 공식, `F.conv2d`, 텐서의 `stack`, `viz` 애니메이션',
        '처음 보는 것: `F.conv3d`와 `nn.Conv3d`',
    ],
    source=from_notes("`nn.Conv3d` 부분(의료 영상, 비디오)을 따릅니다"),
),
code(IMPORTS + """
import numpy as np
import matplotlib.pyplot as plt
import viz

torch.manual_seed(0)
print("준비 완료")"""),
md("""
## 1. 아이디어: 한 축이 더 생겼을 뿐
| 데이터 | C (채널) | D (깊이) | H, W |
|---|---|---|---|
| CT·MRI | 1(흑백 밝기) | 촬영한 단면(slice) 수 | 단면의 높이·너비 |
| 동영상 | 3(RGB) | 프레임 수(시간) | 프레임의 높이·너비 |

커널 모양은 `[C_out, C_in, kD, kH, kW]`입니다. Conv2d의 커널이 사각형 창이었다면 Conv3d의 커널은 **상자**입니다.
상자는 모든 입력 채널을 덮은 채 깊이·높이·너비 세 방향으로 움직이고, 출력 크기 공식은 축마다 Conv2d와 똑같이 적용됩니다.
"""),
predict("""
8프레임짜리 32x32 동영상에 `kernel_size=(3, 5, 5), stride=(1, 2, 2), padding=(1, 2, 2)`인 Conv3d를 쓰면
출력의 (깊이, 높이, 너비)는 무엇일까요? 축마다 03강의 공식을 따로 적용하세요.
"""),
code("""
video = torch.randn(2, 3, 8, 32, 32)                  # 동영상 2개: RGB, 8프레임, 32x32
conv = nn.Conv3d(3, 8, kernel_size=(3, 5, 5), stride=(1, 2, 2), padding=(1, 2, 2))
out = conv(video)

print(conv)
print("커널 모양:", conv.weight.shape, " <- [C_out, C_in, kD, kH, kW]")
print("입력", video.shape, "-> 출력", out.shape)
print("파라미터 수:", sum(p.numel() for p in conv.parameters()), "= 8*3*3*5*5 + 8")"""),
md("""
## 2. 부피 예제: 잡음 섞인 CT 속의 공
9x9x9 부피 가운데에 밝은 공을 넣고 잡음을 섞은 가짜 CT를 만듭니다. `3x3x3` 평균 커널(모든 값 1/27)로 합성곱하면
각 칸은 **위아래 단면까지 포함한** 이웃 27칸의 평균이 되어 잡음이 줄어듭니다. 깊이 조각을 나란히 그려 봅니다.
"""),
code("""
rng = np.random.default_rng(0)
d, h, w = np.meshgrid(np.arange(9), np.arange(9), np.arange(9), indexing="ij")
ball = ((d - 4) ** 2 + (h - 4) ** 2 + (w - 4) ** 2 <= 9).astype(np.float32)
noisy = ball + 0.5 * rng.standard_normal(ball.shape).astype(np.float32)
volume = torch.from_numpy(noisy).view(1, 1, 9, 9, 9)        # [N=1, C=1, D=9, H=9, W=9]

mean_kernel = torch.full((1, 1, 3, 3, 3), 1 / 27)
smoothed = F.conv3d(volume, mean_kernel, padding=1)          # 크기 유지: [1, 1, 9, 9, 9]

fig, axes = plt.subplots(2, 5, figsize=(10, 4.2))
for col, depth in enumerate([0, 2, 4, 6, 8]):
    axes[0, col].imshow(volume[0, 0, depth].numpy(), cmap="gray", vmin=-1, vmax=2)
    axes[0, col].set_title(f"input d={depth}")
    axes[1, col].imshow(smoothed[0, 0, depth].numpy(), cmap="gray", vmin=-0.5, vmax=1.2)
    axes[1, col].set_title(f"smoothed d={depth}")
for ax in axes.ravel():
    ax.axis("off")
plt.tight_layout()
plt.show()"""),
md("""
## 3. 동영상 예제: 시간 방향 커널로 움직임 찾기
작은 사각형이 한 프레임에 한 칸씩 오른쪽으로 움직이는 6프레임짜리 흑백 동영상 `[1, 1, 6, 12, 12]`을 만듭니다.
커널 모양을 `(3, 1, 1)`로, 값을 시간 방향 `[-1, 0, 1]`로 두면 출력은 "두 프레임 뒤 - 지금"이 됩니다.
멈춰 있는 부분은 0이 되고 **움직인 부분만** 남습니다. 빨간색(+1)은 사각형이 새로 들어온 곳, 파란색(-1)은 빠져나간 곳입니다.
Conv2d는 프레임 한 장만 보므로 이런 일을 할 수 없습니다. (움직임 t는 프레임 t와 t+2의 차이라서, 가운데 프레임 t+1 아래에 그렸습니다.)
"""),
code("""
frames = np.zeros((6, 12, 12), dtype=np.float32)
for t in range(6):
    frames[t, 4:7, 2 + t:5 + t] = 1.0                      # 3x3 사각형이 오른쪽으로 이동
clip = torch.from_numpy(frames).view(1, 1, 6, 12, 12)      # [N, C, D(=시간), H, W]

time_diff = torch.tensor([-1.0, 0.0, 1.0]).view(1, 1, 3, 1, 1)
motion = F.conv3d(clip, time_diff)                          # [1, 1, 4, 12, 12]
print("입력", clip.shape, "-> 움직임", motion.shape)

fig, axes = plt.subplots(2, 4, figsize=(9, 4.5))
for t in range(4):
    axes[0, t].imshow(clip[0, 0, t + 1].numpy(), cmap="gray")
    axes[0, t].set_title(f"frame {t + 1}")
    axes[1, t].imshow(motion[0, 0, t].numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    axes[1, t].set_title(f"motion[{t}] = f{t + 2} - f{t}")
for ax in axes.ravel():
    ax.axis("off")
plt.tight_layout()
plt.show()"""),
md("""
## 4. Conv2d는 깊이 1짜리 Conv3d
커널 깊이가 1이면 Conv3d는 각 프레임에 같은 Conv2d를 따로 적용한 것과 같습니다. 숫자로 확인해 봅니다.
"""),
predict("""
두 방법의 결과 차이는 얼마일까요? 정확히 0일까요, 작은 반올림 오차일까요, 큰 차이일까요?
"""),
code("""
video = torch.randn(2, 3, 5, 8, 8)                      # [N, C, D, H, W]
w3 = torch.randn(4, 3, 1, 3, 3)                         # 깊이 1짜리 3D 커널
as_3d = F.conv3d(video, w3)                              # [2, 4, 5, 6, 6]
per_frame = torch.stack([F.conv2d(video[:, :, t], w3[:, :, 0]) for t in range(5)], dim=2)
print(as_3d.shape, per_frame.shape)
print("가장 큰 차이:", (as_3d - per_frame).abs().max().item())"""),
md("""
## 5. 애니메이션: 깊이 조각을 따라 움직이는 상자
부피를 깊이 조각의 행렬로 펼쳐 놓고, `3x3x3` 커널 상자가 어느 조각들의 어느 칸을 덮는지 보여 줍니다.
상자가 한 조각 안에서 가로·세로로 움직인 뒤 다음 깊이로 넘어가는 순서를 살펴보세요.
"""),
code("""
scene = viz.conv3d(size=4, kernel=3)
scene"""),
md("""
## 6. 연습 문제
"""),
code("""
from teachnn.exercises.lesson04 import q1, q2, q3, q4, q5, ____"""),
md("""
**문제 1 (출력 모양).** 동영상 배치 `(2, 3, 16, 112, 112)`를
`nn.Conv3d(3, 8, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3))`에 넣은 출력 모양을 튜플로 적으세요.
"""),
code("""
out_shape = ____
q1.check()"""),
md("""
**문제 2 (파라미터 수).** `nn.Conv3d(3, 8, kernel_size=(3, 7, 7))`의 파라미터(가중치 + 편향) 개수는 몇 개인가요? 정수로 답하세요.
"""),
code("""
n_params = ____
q2.check()"""),
md("""
**문제 3 (손으로 계산하기).** 모든 값이 1인 부피 `torch.ones(1, 1, 3, 3, 3)`에 모든 값이 1인 커널 `torch.ones(1, 1, 3, 3, 3)`을
`padding=1`로 적용했습니다(편향 없음). 출력의 **가운데 칸** `out[0, 0, 1, 1, 1]`과 **꼭짓점 칸** `out[0, 0, 0, 0, 0]`의 값은 각각 얼마인가요?
`(가운데, 꼭짓점)` 튜플로 답하세요.
"""),
code("""
values = ____
q3.check()"""),
md("""
**문제 4 (레이어 만들기).** 흑백 CT 부피 `[N, 1, D, H, W]`를 받아 채널 4개를 만들면서 **깊이·높이·너비를 모두 절반으로** 줄이는
`nn.Conv3d` 레이어 `conv`를 만드세요. (예: `[2, 1, 16, 16, 16]` -> `[2, 4, 8, 8, 8]`)
"""),
code("""
conv = ____
q4.check()"""),
md("""
**문제 5 (말로 설명하기).** 동영상의 각 프레임에 Conv2d를 따로 적용하는 것과 Conv3d를 적용하는 것은 무엇이 다른가요?
"""),
code("""
answer = ____
q5.check()"""),
md("""
## 배운 점 요약
1. 부피와 동영상은 `[N, C, D, H, W]`이고, Conv3d의 커널은 `[C_out, C_in, kD, kH, kW]` 상자입니다.
2. 커널은 깊이·높이·너비 세 방향으로 움직이고, 출력 크기 공식은 축마다 Conv1d·Conv2d와 같습니다.
3. 시간 축을 가로지르는 커널은 프레임 사이의 변화, 즉 움직임을 잡아낼 수 있습니다.
4. 깊이가 1인 Conv3d는 프레임마다 Conv2d를 적용한 것과 같습니다. 그래서 1·2·3차원 합성곱은 같은 계산의 다른 모습입니다.
5. 파라미터 수는 $C_{out} \\cdot C_{in} \\cdot k_D k_H k_W + C_{out}$ 로 빠르게 늘어나므로, 3차원 커널은 작게 씁니다.
"""),
next_lesson('05_conv_transpose.ipynb', '반대 방향으로, 작은 특성 맵을 크게 만드는 전치 합성곱을 배웁니다.'),
]
