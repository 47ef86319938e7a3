from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME, PREFIX = "01_module.ipynb", "l01"

CELLS = [
    header(
        "01. `nn.Module`과 클래스 상속",
        goals=[
            "신경망을 **클래스**로 정의할 때 왜 `nn.Module`을 상속(inheritance)하는지 이해합니다.",
            "`super().__init__()`이 하는 일을 직접 확인합니다.",
            "레이어(layer)는 `__init__`에 만들어 두고, 데이터가 흐르는 길은 `forward`에 적는다는 규칙을 익힙니다.",
            "노트에 나온 `CNN` 클래스를 실행해 보고, 노트의 작은 실수(`kernels = 5`)를 에러 메시지를 따라 고칩니다.",
            "파라미터가 학습되는 원리를 맛봅니다: 자동 미분(`backward()`, `.grad`)과 옵티마이저(`zero_grad`, `step`).",
        ],
        uses=[
            "00강: 텐서와 모양(`.shape`), `torch.manual_seed`, 맛보기로 본 `nn.Linear`",
            "처음 보는 것: `nn.Conv2d`(노트의 `CNN` 예제에서 잠깐; 03강에서 자세히), `viz.summary`, "
            "ReLU `F.relu`(맛보기; 08강에서 자세히), 자동 미분과 옵티마이저(4절; 12강에서 더 깊이), `torch.linspace`",
        ],
        source=from_notes("`nn.Module` 상속과 `super()`의 설명, `CNN` 클래스 예제(`kernels = 5` 포함)를 따릅니다"),
    ),
    code(IMPORTS),
    md("""
    ## 1. 상속이란?

    상속은 이미 있는 클래스(부모)의 기능을 새 클래스(자식)가 그대로 물려받는 방법입니다.
    `class 자식(부모):`라고 쓰면 부모가 가진 메서드와 속성을 자식도 쓸 수 있습니다.
    순수한 파이썬 예제로 먼저 보겠습니다.
    """),
    code("""
    class Counter:
        def __init__(self):
            self.count = 0          # 부모가 준비하는 속성

        def tick(self):
            self.count += 1


    class NamedCounter(Counter):    # Counter를 상속
        def __init__(self, name):
            super().__init__()      # 부모의 __init__을 먼저 실행해 count를 준비
            self.name = name


    c = NamedCounter("클릭 수")
    c.tick(); c.tick()              # tick은 부모에게서 물려받은 메서드
    print(c.name, c.count)
    """),
    md("""
    `super().__init__()`을 빼면 `self.count`가 만들어지지 않아 `tick()`이 실패합니다.
    신경망 클래스에서도 똑같은 일이 일어납니다.

    ## 2. 가장 작은 신경망 클래스

    `nn.Module`은 모든 레이어와 모델의 부모 클래스입니다. 상속하면 다음을 공짜로 얻습니다.
    - `self.fc = nn.Linear(...)`처럼 붙인 레이어와 그 **파라미터(parameter)** 가 자동으로 **등록**됩니다.
    - `model.parameters()`, `print(model)`, `model.state_dict()` 같은 기능.
    - `model(x)`처럼 객체를 함수처럼 부르면 우리가 정의한 `forward(x)`가 실행됩니다.
    """),
    code("""
    class TinyNet(nn.Module):            # nn.Module 상속
        def __init__(self):
            super().__init__()           # 부모(nn.Module)의 준비 작업을 먼저!
            self.fc = nn.Linear(3, 2)    # 레이어는 __init__에 만들어 둡니다

        def forward(self, x):            # 데이터가 흐르는 길은 forward에
            return self.fc(x)


    torch.manual_seed(0)
    model = TinyNet()
    print(model)
    for name, p in model.named_parameters():
        print(f"{name:10s} 모양 {list(p.shape)}")
    """),
    md("""
    `print(model)`에 `fc` 레이어가 보이고, `fc.weight`와 `fc.bias`가 파라미터로 등록되었습니다.
    이제 순전파(forward)를 해 봅니다. `model.forward(x)`가 아니라 **`model(x)`** 로 부르는 것이 규칙입니다.
    """),
    predict("""
    `model`의 `fc`는 특성 3개를 받아 2개를 내놓습니다. 샘플 4개를 한꺼번에 넣은 `x`(모양 `[4, 3]`)의 출력 모양은?
    """),
    code("""
    x = torch.randn(4, 3)       # 배치 크기 4, 특성 3개
    y = model(x)                # 내부에서 forward(x)가 불립니다
    print(y.shape)
    """),
    md("""
    ### `super().__init__()`을 빼먹으면?

    일부러 빼먹어 보겠습니다. 에러가 나도 노트북이 멈추지 않도록 `try/except`로 감싸 에러 메시지만 출력합니다.
    """),
    code("""
    class Forgetful(nn.Module):
        def __init__(self):
            # super().__init__()  을 잊었습니다
            self.fc = nn.Linear(3, 2)

    try:
        Forgetful()
    except AttributeError as err:
        print("AttributeError:", err)
    """),
    md("""
    레이어를 등록할 저장소가 아직 준비되지 않았다는 뜻입니다. 그래서 `super().__init__()`은 항상 `__init__`의 **첫 줄**에 씁니다.
    노트처럼 `super(CNN, self).__init__()`이라고 써도 같은 뜻입니다 (옛날 파이썬 방식).

    ## 3. 노트의 `CNN` 클래스

    노트에는 합성곱 레이어를 이렇게 쓴 줄이 있습니다.

    ```python
    self.conv1 = nn.Conv2d(in_channels = 1, out_channels = 16, kernels = 5, stride = 2, padding = 1)
    ```

    그대로 실행해 보겠습니다.
    """),
    code("""
    class CNN(nn.Module):
        def __init__(self):
            super(CNN, self).__init__()
            self.conv1 = nn.Conv2d(in_channels=1, out_channels=16, kernels=5, stride=2, padding=1)

        def forward(self, x):
            return self.conv1(x)

    try:
        CNN()
    except TypeError as err:
        print("TypeError:", err)
    """),
    md("""
    PyTorch와 똑같이 `TypeError`가 납니다. `nn.Conv2d`에는 `kernels`라는 인자가 없기 때문입니다.
    teachnn의 에러 메시지는 가장 비슷한 올바른 이름을 제안해 줍니다. 제안대로 고쳐 봅시다.
    """),
    code("""
    class CNN(nn.Module):
        def __init__(self):
            super(CNN, self).__init__()
            self.conv1 = nn.Conv2d(in_channels=1, out_channels=16, kernel_size=5, stride=2, padding=1)

        def forward(self, x):
            return self.conv1(x)


    torch.manual_seed(0)
    cnn = CNN()
    print(cnn)
    image = torch.randn(1, 1, 28, 28)      # [배치 크기, 채널, 높이, 너비]
    print("출력 모양:", cnn(image).shape)
    """),
    md("""
    `viz.summary`로 모델을 표로 정리해 볼 수도 있습니다. 레이어마다 출력 모양과 파라미터 수가 나옵니다.
    """),
    code("""
    import viz
    viz.summary(cnn, (1, 1, 28, 28));
    """),
    md("""
    출력의 높이와 너비는 합성곱 출력 크기 공식으로 계산됩니다 (03강에서 자세히 봅니다).

    $$H_{out} = \\left\\lfloor \\frac{H + 2 \\cdot padding - kernel\\_size}{stride} \\right\\rfloor + 1$$

    ## 4. 파라미터는 어떻게 배울까: 자동 미분과 옵티마이저 맛보기

    레이어의 가중치는 처음에 무작위입니다. 학습이란 "손실(틀린 정도)을 줄이는 쪽으로 가중치를 조금씩 고치는 일"입니다.
    그러려면 각 가중치를 조금 바꿨을 때 손실이 얼마나 변하는지, 곧 **기울기(gradient)** 를 알아야 합니다.
    teachnn(그리고 PyTorch)은 이것을 **자동 미분(autograd)** 으로 구합니다.

    1. `requires_grad=True`인 텐서로 계산하면, 어떤 연산을 거쳤는지가 기록됩니다.
    2. 결과(숫자 하나)에서 `.backward()`를 부르면 기록을 거꾸로 따라가며 기울기를 계산합니다.
    3. 기울기는 원래 텐서의 `.grad`에 담깁니다.
    """),
    predict("""
    `w = [1, -2, 3]`이고 `loss = w[0]² + w[1]² + w[2]²`입니다. $w_i^2$의 미분은 $2w_i$이니, `w.grad`는 무엇일까요?
    """),
    code("""
    w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    loss = (w * w).sum()          # 1 + 4 + 9 = 14
    loss.backward()               # 기울기 계산
    print("loss  :", loss.item())
    print("w.grad:", w.grad)      # d(loss)/dw = 2w
    """),
    md("""
    레이어의 파라미터(`model.parameters()`)는 모두 `requires_grad=True`인 텐서입니다. **옵티마이저(optimizer)** 는
    이 파라미터 목록을 받아 두었다가, 기울기의 반대 방향으로 파라미터를 조금 옮깁니다. 학습의 한 단계는 언제나 같은 모양입니다.

    ```python
    optimizer.zero_grad()   # 지난 단계의 기울기를 지운다 (지우지 않으면 .grad에 더해진다)
    loss.backward()         # 새 기울기를 계산한다
    optimizer.step()        # 파라미터를 고친다: SGD라면 p = p - lr * p.grad
    ```

    `nn.Linear(1, 1)` 하나로 점들이 놓인 직선 $y = 2x + 1$을 찾아봅시다. 손실은 예측과 정답 차이의 제곱 평균입니다
    (09강에서 같은 것을 `nn.MSELoss`로 배웁니다). 평가할 때처럼 기울기가 필요 없는 계산은 `with torch.no_grad():` 안에서 합니다.
    """),
    predict("""
    200번 학습한 뒤 `line.weight`와 `line.bias`는 각각 어떤 숫자에 가까워질까요?
    """),
    code("""
    torch.manual_seed(0)
    xs = torch.linspace(-1, 1, 20).view(20, 1)       # 입력 20개: [20, 1]
    ys = 2 * xs + 1                                  # 정답: 직선 y = 2x + 1
    line = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(line.parameters(), lr=0.1)

    for step in range(200):
        loss = ((line(xs) - ys) ** 2).mean()         # 손실: 차이의 제곱 평균
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 0:
            print(f"{step:3d}단계  손실 {loss.item():.4f}")

    with torch.no_grad():                            # 기울기 기록 없이 확인만
        print("weight:", round(line.weight.item(), 3), " bias:", round(line.bias.item(), 3))
    """),
    md("""
    `torch.optim.Adam(model.parameters(), lr=0.01)`처럼 다른 옵티마이저도 똑같이 `zero_grad` → `backward` → `step`으로 씁니다
    (11강에서 Adam으로 CNN을 학습시킵니다). 자동 미분이 안에서 어떻게 기록되는지는 12강에서 직접 만들어 봅니다.

    ## 5. 연습 문제 전에: ReLU 한 줄 맛보기

    문제 1에는 ReLU라는 활성화 함수가 나옵니다. `F.relu(t)`는 음수를 0으로 바꾸고 양수는 그대로 두는 함수입니다
    (왜 필요한지는 08강에서 배웁니다).
    """),
    code("""
    print(F.relu(torch.tensor([-2.0, 0.0, 3.0])))
    """),
    md("""
    ## 연습 문제
    """),
    code("""
    from teachnn.exercises.lesson01 import q1, q2, q3, q4, q5, q6, ____
    """),
    md("""
    **문제 1.** `nn.Module`을 상속한 클래스 `TwoLayer`를 만드세요.
    - `__init__`: `self.fc1 = nn.Linear(4, 8)`, `self.fc2 = nn.Linear(8, 3)`
    - `forward`: `fc1` → ReLU(`F.relu`) → `fc2`

    클래스를 만든 뒤 `model = TwoLayer()`로 객체를 만들어 `model`에 넣으세요.
    채점기는 구조, 파라미터 수, 출력 모양, 그리고 같은 가중치에서의 출력값까지 확인합니다.
    """),
    code("""
    # 여기에 class TwoLayer(nn.Module): ... 를 작성하세요

    model = ____
    q1.check()
    """),
    md("""
    **문제 2.** 노트의 `kernels = 5`는 어떤 키워드 인자 이름으로 고쳐야 하나요? 문자열로 적으세요.
    """),
    code("""
    right_keyword = ____
    q2.check()
    """),
    md("""
    **문제 3.** 위의 `CNN`에 `[1, 1, 28, 28]` 모양의 이미지를 넣으면 출력 모양은 무엇인가요?
    공식으로 먼저 계산하고 튜플로 적으세요. (위 셀의 출력과 비교해 보세요.)
    """),
    code("""
    conv1_out_shape = ____
    q3.check()
    """),
    md("""
    **문제 4.** `__init__`의 첫 줄에서 `super().__init__()`을 부르는 이유를 한두 문장으로 적어 보세요.
    """),
    code("""
    why_super = ____
    q4.check()
    """),
    md("""
    **문제 5.** `w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)`로
    `loss = (w ** 2).sum() + (3 * w).sum()`을 계산하고 `loss.backward()`를 불렀습니다. `w.grad`를 손으로 계산해 텐서로 적으세요.
    (답을 적은 다음 코드로 확인해 보세요.)
    """),
    code("""
    w_grad = ____            # 예: torch.tensor([0.0, 0.0, 0.0])
    q5.check()
    """),
    md("""
    **문제 6.** 파라미터 `p`의 값이 `2.0`이고 `backward()`가 구한 `p.grad`가 `0.5`입니다.
    `torch.optim.SGD([p], lr=0.1)`의 `optimizer.step()`을 한 번 부른 뒤 `p`의 값은 얼마인가요? 실수로 적으세요.
    """),
    code("""
    p_after = ____
    q6.check()
    """),
    md("""
    ## 배운 점 요약

    1. 신경망 클래스는 `class 이름(nn.Module):`로 **상속**해서 만듭니다.
    2. `__init__`의 첫 줄에서 `super().__init__()`을 불러야 레이어와 파라미터가 **등록**될 자리가 생깁니다.
    3. 레이어는 `__init__`에 만들어 두고, 데이터가 흐르는 순서는 `forward`에 씁니다. 실행은 `model(x)`로 합니다.
    4. 인자 이름을 틀리면 `TypeError`가 나고, teachnn은 비슷한 올바른 이름(`kernels` → `kernel_size`)을 제안합니다.
    5. `loss.backward()`는 `requires_grad=True`인 텐서마다 기울기를 `.grad`에 채우고, 옵티마이저는
       `zero_grad` → `backward` → `step`의 순서로 파라미터를 기울기의 반대 방향으로 고칩니다.
    """),
    next_lesson("02_conv1d.ipynb", "시계열과 문장에 쓰는 1차원 합성곱 레이어 `nn.Conv1d`를 배웁니다."),
]
