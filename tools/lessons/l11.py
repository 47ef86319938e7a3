"""Lesson 11 — a custom forward, and training a small CNN end to end."""
from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME = "11_custom_forward_cnn.ipynb"
PREFIX = "l11"

CELLS = [
header(
    "11. `forward`를 직접 쓰는 모델과 작은 CNN 훈련하기",
    goals=[
        "노트의 `MyModel`처럼 `nn.Sequential`을 쓰면서도 `forward`를 직접 정의하는 이유(전처리, 평탄화, 후처리)를 이해합니다.",
        "`nn.Linear(64 * 4 * 4, 128)`의 `64 * 4 * 4`가 어디서 오는지 계산하고 `viz.summary`로 확인합니다.",
        "생성 데이터 세트로 작은 CNN을 처음부터 끝까지 훈련합니다: 진행 막대, 손실 곡선, 최종 정확도.",
        "`viz.feature_maps`로 훈련된 모델이 각 레이어에서 무엇을 만드는지 들여다봅니다.",
    ],
    uses=[
        '01강: `nn.Module`, 자동 미분과 옵티마이저(`zero_grad` → `backward` → `step`, Adam), `torch.no_grad()`',
        '03강: `nn.Conv2d`, `load_shapes` 데이터; 06강: `nn.Linear`; 07강: `nn.MaxPool2d`, 평탄화(`view`, `nn.Flatten`)',
        '08강: `F.relu`; 09강: `nn.CrossEntropyLoss`; 10강: `nn.Sequential`',
        '처음 보는 것: `F.softmax`, `argmax`, 미니배치를 만들어 주는 `TensorDataset`과 `DataLoader`, `viz.feature_maps`',
    ],
    source=from_notes("\"배운 점 요약\"의 `MyModel` 예제를 따릅니다. 훈련 과정은 노트에 없는 보충 내용입니다"),
),
code(IMPORTS + """
import time
import numpy as np
import matplotlib.pyplot as plt
import viz
from teachnn.datasets import load_shapes, SHAPE_CLASSES
from teachnn.utils.data import TensorDataset, DataLoader   # PyTorch에서는 torch.utils.data

torch.manual_seed(0)
print("준비 완료")"""),
md("""
## 1. 노트의 `MyModel`
노트는 `Sequential`이 `forward`를 대신 만들어 주는데도 `forward`를 직접 쓰는 경우로 이 모델을 들었습니다.
`Sequential` 하나로는 표현할 수 없는 일이 `forward` 안에 있기 때문입니다.
1. **특수한 전처리**: 입력을 두 배로 키웁니다(`x * 2`).
2. **모양 바꾸기**: 합성곱이 만든 `[N, 64, 4, 4]`를 선형 레이어가 받을 수 있게 `[N, 1024]`로 평탄화합니다(`view`).
3. **함수형 활성화**와 **후처리**: `F.relu`, 그리고 마지막에 `F.softmax`로 확률을 만듭니다.

아래는 노트의 코드에서 import 줄만 바꾼 것입니다.
"""),
code("""
class MyModel(nn.Module):
    def __init__(self):
        super(MyModel, self).__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, 20, 5),
            nn.ReLU(),
            nn.Conv2d(20, 64, 5),
            nn.ReLU()
        )
        self.fc1 = nn.Linear(64 * 4 * 4, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        # 특수한 전처리
        x = x * 2  # 예를 들어, 입력을 두 배로 스케일링
        x = self.layers(x)
        x = x.view(x.size(0), -1)  # Flatten the tensor
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)

        # 특수한 후처리
        x = F.softmax(x, dim=1)
        return x

model = MyModel()
print(model)"""),
md("""
## 2. `64 * 4 * 4`는 어디서 왔을까?
`fc1`은 길이 `64 * 4 * 4 = 1024`인 벡터를 기대합니다. 64는 두 번째 합성곱의 출력 채널 수이니,
합성곱을 지난 특성 맵이 **4x4**여야 한다는 뜻입니다. 패딩 없는 5x5 합성곱(스트라이드 1)은 한 번에 높이·너비를 $5 - 1 = 4$씩 줄입니다.

$$H \\xrightarrow{\\text{Conv 5x5}} H - 4 \\xrightarrow{\\text{Conv 5x5}} H - 8 = 4 \\quad\\Rightarrow\\quad H = 12$$

즉 이 모델은 **12x12 흑백 입력** `[N, 1, 12, 12]`을 위한 모델입니다. `viz.summary`로 레이어별 출력 모양과 파라미터 수를 확인해 봅니다.
"""),
code("""
table = viz.summary(model, (1, 1, 12, 12))     # 표를 출력하고, 같은 내용을 table에도 담아 둡니다"""),
md("""
MNIST 같은 28x28 입력을 넣으면 어떻게 될까요? 합성곱 뒤 특성 맵은 20x20이 되고, 평탄화한 길이는 `64 * 20 * 20 = 25600`이라 `fc1`과 맞지 않습니다.
teachnn은 무엇이 어긋났는지 알려 줍니다.
"""),
predict("""
28x28 입력을 넣으면 어느 레이어에서 무엇이 어긋났다는 오류가 날까요? `fc1`이 기대하는 길이(1024)와 실제 길이를 계산해 보세요.
"""),
code("""
try:
    model(torch.randn(1, 1, 28, 28))
except RuntimeError as error:
    print(type(error).__name__, ":", error)"""),
md("""
12x12 입력에서는 잘 동작하고, 마지막 `softmax` 덕분에 각 행이 합이 1인 확률 10개가 됩니다.
"""),
code("""
probabilities = model(torch.randn(3, 1, 12, 12))
print(probabilities.shape)
print("행마다 합:", probabilities.sum(dim=1).tolist())"""),
md("""
> **훈련할 때의 주의점.** `nn.CrossEntropyLoss`는 안에서 `log_softmax`를 계산하므로 **로짓**(softmax 전의 값)을 받아야 합니다.
> `MyModel`처럼 `forward` 끝에서 softmax를 해 버리면 softmax가 두 번 적용되어 학습이 느려집니다.
> 그래서 아래에서 훈련할 모델은 로짓을 돌려주고, 확률이 필요할 때만 `F.softmax`를 씁니다.

## 3. 데이터: 직접 그린 도형들
`teachnn.datasets.load_shapes`는 12x12 캔버스에 가로 막대, 세로 막대, 사각형, X자를 위치·크기·밝기를 바꿔 가며 그리고
잡음을 조금 섞은 데이터 세트를 만듭니다. 내려받는 것이 없고, 시드가 고정되어 있어 언제나 같은 그림이 나옵니다.
훈련용 800장, 시험용 200장입니다. 크기가 12x12이니 `MyModel`에도 딱 맞습니다.
"""),
code("""
x_train, y_train = load_shapes(train=True)
x_test, y_test = load_shapes(train=False)
print("훈련:", x_train.shape, y_train.shape, x_train.dtype, y_train.dtype)
print("시험:", x_test.shape, y_test.shape)
print("클래스:", SHAPE_CLASSES)

fig, axes = plt.subplots(2, 8, figsize=(10, 3))
for ax, i in zip(axes.ravel(), range(16)):
    ax.imshow(x_train[i, 0].numpy(), cmap="gray", vmin=0, vmax=1)
    ax.set_title(SHAPE_CLASSES[int(y_train[i])], fontsize=8)
    ax.axis("off")
plt.tight_layout()
plt.show()"""),
md("""
## 4. 작은 CNN
합성곱 → ReLU → 최대 풀링을 두 번 거친 뒤 선형 레이어 하나로 4개 클래스의 로짓을 만듭니다.
크기는 `12 → 6 → 3`으로 줄어드니 평탄화 길이는 `16 * 3 * 3 = 144`입니다. 모양 주석과 `viz.summary`가 일치하는지 보세요.
"""),
code("""
class SmallCNN(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1),    # [N, 1, 12, 12] -> [N, 8, 12, 12]
            nn.ReLU(),
            nn.MaxPool2d(2),                              # -> [N, 8, 6, 6]
            nn.Conv2d(8, 16, kernel_size=3, padding=1),   # -> [N, 16, 6, 6]
            nn.ReLU(),
            nn.MaxPool2d(2),                              # -> [N, 16, 3, 3]
        )
        self.classifier = nn.Linear(16 * 3 * 3, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)       # 평탄화: [N, 144]
        return self.classifier(x)       # 로짓 [N, 4] (softmax 없음)

torch.manual_seed(0)
cnn = SmallCNN()
table = viz.summary(cnn, (1, 1, 12, 12))"""),
md("""
## 5. 훈련
한 단계(step)는 늘 같은 네 줄입니다: **순전파 → 손실 → 역전파 → 파라미터 갱신**.
1. `logits = cnn(images)` — 순전파 (forward)
2. `loss = loss_fn(logits, labels)` — 손실 함수
3. `loss.backward()` — 역전파 (backward)로 모든 파라미터의 기울기 계산
4. `optimizer.step()` — 기울기를 따라 파라미터 갱신 (그 전에 `optimizer.zero_grad()`로 지난 기울기를 지웁니다)

훈련 데이터 800장을 한 번에 넣지 않고 64장씩 **미니배치**로 나눠 넣습니다. `TensorDataset(x_train, y_train)`은
그림과 정답을 한 쌍씩 묶고, `DataLoader(..., batch_size=64, shuffle=True)`는 매 에포크(epoch, 데이터 전체를 한 번 도는 것)마다
순서를 섞어 `(images, labels)` 묶음을 차례로 내줍니다. 묶음의 수는 `len(loader)`입니다.

`cnn.train()`과 `cnn.eval()`은 모델을 "훈련 모드"와 "평가 모드"로 바꿉니다. 이 모델에서는 결과가 같지만,
`Dropout`이나 `BatchNorm`이 든 모델에서는 꼭 필요합니다(14강). 평가할 때는 기울기가 필요 없으므로 `torch.no_grad()` 안에서 계산합니다(01강).

진행 막대는 외부 패키지 없이 텍스트로 그립니다. 첫 단계는 Numba가 커널을 컴파일하느라 조금 느릴 수 있습니다.
"""),
predict("""
800장을 64장씩 나누면 한 에포크는 몇 단계일까요? 6 에포크면 모두 몇 단계일까요?
"""),
code("""
from IPython.display import display, Pretty

def progress_text(done, total, loss, width=30):
    filled = int(width * done / total)
    loss_text = "-" if loss is None else f"{loss:.4f}"
    return Pretty(f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} 단계  손실 {loss_text}")

torch.manual_seed(0)
cnn = SmallCNN()
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(cnn.parameters(), lr=0.01)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)

epochs = 6
total_steps = epochs * len(loader)
step_losses = []
bar = display(progress_text(0, total_steps, None), display_id=True)
start = time.perf_counter()
for epoch in range(epochs):
    cnn.train()
    for images, labels in loader:
        logits = cnn(images)                 # 1. 순전파
        loss = loss_fn(logits, labels)       # 2. 손실
        optimizer.zero_grad()
        loss.backward()                      # 3. 역전파
        optimizer.step()                     # 4. 갱신
        step_losses.append(loss.item())
        bar.update(progress_text(len(step_losses), total_steps, loss.item()))
print(f"훈련 시간: {time.perf_counter() - start:.1f}초")"""),
md("""
## 6. 손실 곡선과 정확도
"""),
code("""
steps_per_epoch = len(loader)
epoch_means = [float(np.mean(step_losses[i:i + steps_per_epoch]))
               for i in range(0, len(step_losses), steps_per_epoch)]

plt.figure(figsize=(7, 3.2))
plt.plot(step_losses, color="0.7", label="loss per step")
plt.plot([steps_per_epoch * (e + 0.5) for e in range(epochs)], epoch_means, "o-", color="C0", label="epoch mean")
plt.xlabel("step")
plt.ylabel("cross-entropy loss")
plt.legend()
plt.tight_layout()
plt.show()

cnn.eval()
with torch.no_grad():
    test_logits = cnn(x_test)
predicted = test_logits.argmax(dim=1)
test_accuracy = (predicted == y_test).float().mean().item()
print(f"시험 데이터 정확도: {test_accuracy:.1%}  (무작위로 찍으면 25%)")"""),
md("""
어떤 도형을 무엇으로 헷갈렸는지 표(혼동 행렬)로 보면 더 잘 알 수 있습니다. 행이 정답, 열이 예측입니다.
"""),
code("""
confusion = np.zeros((4, 4), dtype=int)
for truth, guess in zip(y_test.tolist(), predicted.tolist()):
    confusion[truth, guess] += 1
print(" " * 11 + "".join(f"{name:>11s}" for name in SHAPE_CLASSES))
for name, row in zip(SHAPE_CLASSES, confusion):
    print(f"{name:>11s}" + "".join(f"{count:11d}" for count in row))"""),
md("""
## 7. 특성 맵 들여다보기
`viz.feature_maps`는 순방향 훅 (forward hook)으로 각 레이어의 출력을 가로채 그려 줍니다.
잘 보이도록 잡음 없는 X자 그림 하나를 넣어 봅니다. 첫 번째 합성곱의 특성 맵들이 대각선의 방향이나 가장자리에 반응하는지,
풀링을 지나며 크기가 어떻게 줄어드는지, 마지막 선형 레이어의 네 값 중 어느 것이 가장 큰지 보세요.
"""),
code("""
clean_x, clean_y = load_shapes(train=False, n_per_class=1, noise=0.0)   # 클래스마다 한 장, 잡음 없음
cross_index = int(np.flatnonzero(clean_y.numpy() == 3)[0])             # 레이블 3 = cross
sample = clean_x[cross_index:cross_index + 1]                          # [1, 1, 12, 12]

with torch.no_grad():
    probabilities = F.softmax(cnn(sample), dim=1)[0]
plt.figure(figsize=(2, 2))
plt.imshow(sample[0, 0].numpy(), cmap="gray")
plt.axis("off")
plt.show()
print("예측 확률:", {name: round(p, 3) for name, p in zip(SHAPE_CLASSES, probabilities.tolist())})
viz.feature_maps(cnn, sample)"""),
md("""
## 8. 연습 문제
"""),
code("""
from teachnn.exercises.lesson11 import q1, q2, q3, q4, q5, ____"""),
md("""
**문제 1.** 노트의 `MyModel`에 28x28 입력을 넣고 싶다면, `fc1`의 `in_features`는 얼마여야 할까요? 정수로 답하세요.
"""),
code("""
in_features_28 = ____
q1.check()"""),
md("""
**문제 2.** 노트의 `MyModel`이 그대로 동작하는 정사각형 입력의 한 변 크기(픽셀)는 얼마인가요?
"""),
code("""
input_size = ____
q2.check()"""),
md("""
**문제 3 (함수 만들기).** 로짓 `[N, num_classes]`와 정답 `[N]`을 받아 **클래스별 정확도**의 리스트(길이 `num_classes`, 파이썬 실수)를 돌려주는 함수를 쓰세요.
모든 클래스가 정답에 한 번 이상 나온다고 가정합니다. 숨은 사례로도 채점합니다.
"""),
code("""
def per_class_accuracy(logits, labels, num_classes):
    return ____

q3.check()"""),
md("""
**문제 4 (모델 만들기).** 노트의 `MyModel`을 고쳐 **28x28 입력**에서도 `nn.Linear(64 * 4 * 4, 128)`을 그대로 쓸 수 있는 `MyModel28` 클래스를 만드세요.
합성곱 두 개와 선형 레이어 두 개, `x * 2` 전처리와 softmax 후처리는 그대로 두고, 크기를 줄이는 레이어만 더하면 됩니다.
"""),
code("""
MyModel28 = ____
q4.check()"""),
md("""
**문제 5 (말로 설명하기).** `MyModel`을 `nn.CrossEntropyLoss`로 훈련할 때, `forward` 끝의 `F.softmax`는 어떤 문제를 일으키고 어떻게 고치면 될까요?
"""),
code("""
answer = ____
q5.check()"""),
md("""
## 배운 점 요약
1. `nn.Sequential`로 레이어 흐름을 묶어도, 전처리·평탄화·후처리처럼 흐름 밖의 일이 있으면 `forward`를 직접 씁니다.
2. `64 * 4 * 4`는 "채널 64개 x 4 x 4 특성 맵"이고, 패딩 없는 5x5 합성곱 두 개 뒤에 4x4가 남으려면 입력이 12x12여야 합니다. `viz.summary`가 이 계산을 보여 줍니다.
3. 훈련의 한 단계는 순전파 → 손실 → `zero_grad` → `backward` → `step`입니다.
4. `nn.CrossEntropyLoss`에는 softmax 전의 로짓을 넣습니다.
5. `viz.feature_maps`로 훈련된 합성곱 레이어가 무엇에 반응하는지 직접 볼 수 있습니다.
"""),
next_lesson('12_custom_function.ipynb', '자동 미분 안으로 들어가, `autograd.Function`으로 나만의 연산과 backward를 직접 만듭니다.'),
]
