"""Lesson 14 — BatchNorm and Dropout: train mode and eval mode."""
from common import IMPORTS, code, from_notes, header, md, next_lesson, predict

FILENAME = "14_batchnorm_dropout.ipynb"
PREFIX = "l14"

CELLS = [
header(
    "14. 훈련 모드와 평가 모드 — `BatchNorm`과 `Dropout`",
    goals=[
        "배치 정규화(batch normalization)가 채널마다 **배치의 평균과 분산**으로 값을 정규화한다는 것을 손 계산으로 확인합니다.",
        "드롭아웃(dropout)이 훈련할 때만 값을 무작위로 0으로 만들고, 남은 값을 $1/(1-p)$배 한다는 것을 봅니다.",
        "`model.train()`과 `model.eval()`이 무엇을 바꾸는지, 왜 평가하기 전에 `eval()`을 불러야 하는지 이해합니다.",
        "`forward`에서 `F.dropout`을 쓸 때 `training=self.training`을 빠뜨리는 흔한 실수를 직접 보고 고칩니다.",
    ],
    uses=[
        "01강: `nn.Module`, `state_dict`, 자동 미분과 옵티마이저, `torch.no_grad()`",
        "03강: `nn.Conv2d`; 06강: `nn.Linear`; 08강: 같은 계산의 클래스(`nn.ReLU()`)와 함수(`F.relu`) 두 방식",
        "10강: `nn.Sequential`; 11강: `model.train()`, `model.eval()`을 처음 본 곳",
        "처음 보는 것: `nn.BatchNorm1d`, `nn.BatchNorm2d`, `nn.Dropout`, `F.dropout`, 모듈의 `training` 속성",
    ],
    source=from_notes("레이어 목록의 첫 줄(\"Linear, Conv1d, Conv2d, BatchNorm 등\")에 이름만 나온 `BatchNorm`을 다룹니다. "
                      "`Dropout`과 훈련·평가 모드는 노트에 없는 보충 내용입니다"),
),
code(IMPORTS + """
import numpy as np

torch.manual_seed(0)
print("준비 완료")"""),
md("""
## 1. 배치 정규화: 채널마다 평균 0, 분산 1로
레이어를 여러 겹 쌓으면 중간 값들의 크기가 레이어마다 제각각이 되어 학습이 불안정해지기 쉽습니다.
**배치 정규화**(`nn.BatchNorm1d`, `nn.BatchNorm2d`)는 미니배치가 들어올 때마다 **채널(특성)마다** 배치의 평균 $\\mu$와
분산 $\\sigma^2$를 구해 값을 정규화한 뒤, 학습되는 두 파라미터 $\\gamma$(`weight`, 처음 1)와 $\\beta$(`bias`, 처음 0)로 다시 늘이고 옮깁니다.

$$y = \\gamma \\cdot \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} + \\beta \\qquad (\\epsilon = 10^{-5}\\text{: 0으로 나누지 않으려는 작은 수})$$

여기서 $\\sigma^2$는 $N$으로 나눈 분산(편향 분산)입니다. `nn.BatchNorm1d(C)`는 `[N, C]`(또는 `[N, C, L]`)를, `nn.BatchNorm2d(C)`는
`[N, C, H, W]`를 받고, 2차원에서는 채널마다 배치와 높이·너비 전체의 평균을 씁니다.
"""),
predict("""
특성 하나짜리 샘플 세 개 `[[2], [4], [6]]`을 새로 만든 `nn.BatchNorm1d(1)`에 넣으면 출력은 무엇일까요?
평균은 4, 분산은 $((2-4)^2 + 0^2 + (6-4)^2)/3 = 8/3$입니다.
"""),
code("""
bn = nn.BatchNorm1d(1)
x = torch.tensor([[2.0], [4.0], [6.0]])              # [N=3, C=1]
print(bn)
print("출력       :", [round(v, 4) for v in bn(x).view(-1).tolist()])

mean = x.mean(dim=0)                                   # 채널마다 배치 평균
var = ((x - mean) ** 2).mean(dim=0)                    # N으로 나눈 분산
print("손 계산    :", [round(v, 4) for v in ((x - mean) / (var + 1e-5) ** 0.5).view(-1).tolist()])"""),
md("""
정규화하면 평균이 0, 분산이 1이 됩니다. 그런데 평가할 때는 샘플이 **하나뿐**일 수도 있습니다. 샘플 하나의 "배치 평균"은 그 샘플 자신이라,
정규화하면 모든 값이 0이 되어 버립니다. 그래서 배치 정규화는 훈련하는 동안 평균과 분산의 **이동 평균**을 기억해 둡니다.

$$\\text{running\\_mean} \\leftarrow (1 - m)\\cdot\\text{running\\_mean} + m \\cdot \\mu \\qquad (m = \\text{momentum} = 0.1)$$

`running_mean`(처음 0)과 `running_var`(처음 1; 이쪽은 $N-1$로 나눈 분산으로 갱신합니다)는 학습되는 파라미터가 아니지만
모델과 함께 저장되어야 하므로 `state_dict`에 들어 있습니다.
"""),
predict("""
방금 배치 하나(평균 4)를 넣었습니다. `bn.running_mean`은 지금 얼마일까요? 4일까요?
"""),
code("""
print("running_mean:", round(bn.running_mean.item(), 4), "  <- 0.9 * 0 + 0.1 * 4")
print("running_var :", round(bn.running_var.item(), 4), "  <- 0.9 * 1 + 0.1 * 4 (N-1로 나눈 분산 8/2 = 4)")
print("파라미터     :", [name for name, _ in bn.named_parameters()])
print("state_dict  :", list(bn.state_dict().keys()))"""),
md("""
## 2. 훈련 모드와 평가 모드
모든 모듈에는 `training`이라는 속성이 있습니다. 처음에는 `True`(훈련 모드)이고,
- `model.train()`: 자신과 **모든 하위 레이어**의 `training`을 `True`로,
- `model.eval()`: 모두 `False`(평가 모드)로 바꿉니다.

배치 정규화는 훈련 모드에서 **배치의 통계**로 정규화하고 이동 평균을 갱신하며, 평가 모드에서는 **기억해 둔 이동 평균**으로 정규화하고 아무것도 갱신하지 않습니다.
"""),
predict("""
`bn.eval()` 뒤에 같은 `x = [[2], [4], [6]]`을 넣으면, 1절과 같은 `[-1.22, 0, 1.22]`가 나올까요?
"""),
code("""
bn.eval()
print("training:", bn.training)
print("평가 모드 출력:", [round(v, 4) for v in bn(x).view(-1).tolist()])
print("손 계산       :", [round((v - 0.4) / (1.3 + 1e-5) ** 0.5, 4) for v in [2.0, 4.0, 6.0]])
print("running_mean 그대로:", round(bn.running_mean.item(), 4))

single = torch.tensor([[5.0]])                          # 샘플 하나도 평가할 수 있습니다
print("샘플 하나:", round(bn(single).item(), 4))"""),
md("""
2차원 특성 맵에는 `nn.BatchNorm2d`를 씁니다. 보통 합성곱 바로 뒤, 활성화 함수 앞에 둡니다.
채널마다 $\\gamma, \\beta$가 하나씩이므로 파라미터는 `2 * 채널 수`개입니다.
"""),
code("""
torch.manual_seed(0)
block = nn.Sequential(nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
images = torch.randn(16, 1, 12, 12) * 5 + 3            # 크기와 중심이 제각각인 입력
print("블록 출력 모양:", tuple(block(images).shape))
normed = block[1](block[0](images))                    # 합성곱 -> 배치 정규화까지만
print(block)
print("BatchNorm2d 파라미터 수:", sum(p.numel() for p in block[1].parameters()))
print("채널마다 평균(거의 0):", [round(v, 3) + 0.0 for v in normed.mean(dim=(0, 2, 3)).tolist()])"""),
md("""
## 3. 드롭아웃: 훈련할 때만 무작위로 끄기
**드롭아웃**(`nn.Dropout(p)`)은 훈련 모드에서 각 값을 확률 `p`로 0으로 만듭니다. 매번 다른 일부가 꺼지므로 모델이 특정 값 몇 개에만
기대지 못하게 되어 과적합을 줄입니다. 살아남은 값은 $1/(1-p)$배 해서, 평균적인 크기가 끄기 전과 같게 맞춥니다.
평가 모드에서는 아무것도 하지 않고 입력을 그대로 돌려줍니다.
"""),
predict("""
모든 값이 1인 `[2, 8]` 텐서에 훈련 모드의 `nn.Dropout(p=0.5)`를 쓰면 어떤 값들이 보일까요? 평가 모드에서는요?
"""),
code("""
torch.manual_seed(1)
drop = nn.Dropout(p=0.5)
ones = torch.ones(2, 8)
print(drop)
print("훈련 모드 1:", drop(ones).tolist())
print("훈련 모드 2:", drop(ones).tolist(), " <- 부를 때마다 다르게 꺼집니다")
drop.eval()
print("평가 모드  :", drop(ones).tolist())

drop.train()
big = drop(torch.ones(1000, 100))
print("꺼진 비율:", round((big == 0).float().mean().item(), 3), "  평균:", round(big.mean().item(), 3), "(약 1)")"""),
md("""
## 4. 평가하기 전에는 `model.eval()`
배치 정규화와 드롭아웃이 든 모델은 모드에 따라 결과가 다릅니다. 훈련 모드 그대로 평가하면 같은 입력에도 매번 다른 답이 나오고,
배치 정규화의 이동 평균까지 시험 데이터로 바뀌어 버립니다. 그래서 평가 코드는 늘 이렇게 씁니다(11강의 모양 그대로).

```python
model.eval()
with torch.no_grad():
    predictions = model(x_test)
model.train()      # 다시 훈련할 때
```
"""),
predict("""
아래 `net`을 훈련 모드로 두고 같은 입력을 두 번 넣으면 결과가 같을까요? `net.eval()` 뒤에는요?
"""),
code("""
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
batch = torch.randn(8, 4)

net.train()
print("훈련 모드, 두 번 같은가?", torch.equal(net(batch), net(batch)))
net.eval()
print("평가 모드, 두 번 같은가?", torch.equal(net(batch), net(batch)))
print("하위 레이어의 training:", [layer.training for layer in net])"""),
md("""
## 5. 흔한 실수: `F.dropout`과 `training=self.training`
08강에서 본 것처럼 같은 계산을 클래스(`nn.Dropout`)로도, 함수(`F.dropout`)로도 쓸 수 있습니다. 그런데 드롭아웃은 **모드가 있는** 계산이라 차이가 생깁니다.
- `nn.Dropout`은 레이어라서 `model.eval()`이 하위 레이어까지 평가 모드로 바꿔 줍니다.
- `F.dropout(x, p)`는 모델의 모드를 모릅니다. 기본값이 `training=True`라서 `model.eval()` 뒤에도 계속 값을 끕니다.

그래서 `forward`에서 `F.dropout`을 쓸 때는 모델의 모드를 직접 넘겨야 합니다: `F.dropout(x, p, training=self.training)`.
(`F.batch_norm`도 마찬가지로 `training=`을 넘겨야 하므로, 배치 정규화는 보통 `nn.BatchNorm2d` 레이어로 씁니다.)
"""),
predict("""
아래 `Forgetful`은 `F.dropout(x, 0.5)`를 씁니다. `eval()` 뒤 같은 입력을 두 번 넣으면 결과가 같을까요?
"""),
code("""
class Forgetful(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.dropout(x, p=0.5)                          # 모드를 넘기지 않았습니다
        return self.fc2(x)


class Careful(Forgetful):
    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.dropout(x, p=0.5, training=self.training)  # 모델의 모드를 그대로 넘깁니다
        return self.fc2(x)


torch.manual_seed(0)
for model in [Forgetful(), Careful()]:
    model.eval()
    same = torch.equal(model(batch), model(batch))
    print(f"{type(model).__name__:9s} eval() 뒤 두 번 같은가? {same}")"""),
md("""
## 6. 연습 문제
`____`를 바꾸고 셀을 실행하세요. `q1.hint()`, `q1.solution()`도 쓸 수 있습니다.
"""),
code("""
from teachnn.exercises.lesson14 import q1, q2, q3, q4, q5, q6, ____"""),
md("""
**문제 1(배치 정규화 손 계산).** 새로 만든 `nn.BatchNorm1d(1)`(훈련 모드, $\\gamma = 1$, $\\beta = 0$)에
`[[1.0], [2.0], [3.0], [6.0]]`을 넣은 출력을 손으로 계산해 1차원 텐서 `y_bn`으로 적으세요. 소수 셋째 자리까지면 충분합니다.
"""),
code("""
y_bn = ____              # 예: torch.tensor([0.0, 0.0, 0.0, 0.0])
q1.check()"""),
md("""
**문제 2(이동 평균).** 문제 1의 배치를 한 번 넣은 뒤 `running_mean`은 얼마인가요? 실수로 적으세요.
"""),
code("""
running_mean_after = ____
q2.check()"""),
md("""
**문제 3(드롭아웃의 배율).** 훈련 모드의 `nn.Dropout(p=0.2)`를 지나고 살아남은 값은 몇 배가 되나요? 실수로 적으세요.
"""),
code("""
dropout_scale = ____
q3.check()"""),
md("""
**문제 4(모델 만들기).** `nn.Module`을 상속한 클래스 `DropNet`을 만들고 `model = DropNet()`으로 객체를 만드세요.
- `__init__`: `self.fc1 = nn.Linear(8, 16)`, `self.fc2 = nn.Linear(16, 4)`
- `forward`: `fc1` → `F.relu` → 확률 0.5의 드롭아웃을 **`F.dropout`으로** → `fc2`

채점기는 모델을 `eval()`로 바꾼 뒤 출력을 확인합니다. 5절의 실수를 피하세요.
"""),
code("""
# 여기에 class DropNet(nn.Module): ... 를 작성하세요

model = ____
q4.check()"""),
md("""
**문제 5(함수 만들기).** `[N, C]` 텐서를 받아 **훈련 모드의 배치 정규화**($\\gamma = 1$, $\\beta = 0$, $\\epsilon = 10^{-5}$)를 직접 계산하는 함수를 쓰세요.
`nn.BatchNorm1d`나 `F.batch_norm`을 부르지 말고 텐서 연산(`mean`, 빼기, 제곱, 나누기)으로 쓰세요. 숨은 사례로도 채점합니다.
"""),
code("""
def batch_norm_train(x):
    return ____

q5.check()"""),
md("""
**문제 6(말로 설명하기).** 훈련을 마친 모델로 시험 데이터를 평가하기 전에 `model.eval()`을 부르지 않으면 무슨 일이 생기나요?
배치 정규화와 드롭아웃 각각에 대해 적어 보세요.
"""),
code("""
answer = ____
q6.check()"""),
md("""
## 배운 점 요약
1. 배치 정규화는 채널마다 배치의 평균과 ($N$으로 나눈) 분산으로 정규화하고, 학습되는 $\\gamma$, $\\beta$로 다시 늘이고 옮깁니다.
2. 훈련 모드에서는 배치의 통계를 쓰고 이동 평균(`running_mean`, `running_var`, momentum 0.1)을 갱신하며, 평가 모드에서는 이동 평균을 씁니다.
3. 드롭아웃은 훈련 모드에서만 확률 `p`로 값을 끄고 남은 값을 $1/(1-p)$배 합니다. 평가 모드에서는 입력을 그대로 돌려줍니다.
4. `model.train()` / `model.eval()`은 모든 하위 레이어의 `training`을 바꿉니다. 평가는 `model.eval()`과 `torch.no_grad()` 안에서 합니다.
5. `F.dropout`은 모델의 모드를 모르므로 `forward`에서 `F.dropout(x, p, training=self.training)`으로 씁니다.
"""),
next_lesson(None, "이것으로 이 과정의 마지막 강의를 마쳤습니다. [00_start](00_start.ipynb)의 목차에서 다시 보고 싶은 강의를 골라 보세요."),
]
