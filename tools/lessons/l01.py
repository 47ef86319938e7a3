from common import IMPORTS, beyond_notes, code, from_notes, header, md

FILENAME, PREFIX = "01_module.ipynb", "l01"

CELLS = [
    header(
        "01. `nn.Module`과 클래스 상속",
        goals=[
            "신경망을 **클래스**로 정의할 때 왜 `nn.Module`을 상속(inheritance)하는지 이해합니다.",
            "`super().__init__()`이 하는 일을 직접 확인합니다.",
            "레이어(layer)는 `__init__`에 만들어 두고, 데이터가 흐르는 길은 `forward`에 적는다는 규칙을 익힙니다.",
            "노트에 나온 `CNN` 클래스를 실행해 보고, 노트의 작은 실수(`kernels = 5`)를 에러 메시지를 따라 고칩니다.",
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

    ## 연습 문제
    """),
    code("""
    from teachnn.exercises.lesson01 import q1, q2, q3, q4, ____
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
    ## 배운 점 요약

    1. 신경망 클래스는 `class 이름(nn.Module):`로 **상속**해서 만듭니다.
    2. `__init__`의 첫 줄에서 `super().__init__()`을 불러야 레이어와 파라미터가 **등록**될 자리가 생깁니다.
    3. 레이어는 `__init__`에 만들어 두고, 데이터가 흐르는 순서는 `forward`에 씁니다. 실행은 `model(x)`로 합니다.
    4. 인자 이름을 틀리면 `TypeError`가 나고, teachnn은 비슷한 올바른 이름(`kernels` → `kernel_size`)을 제안합니다.

    다음 강의 [02_conv1d](02_conv1d.ipynb)에서는 1차원 합성곱 레이어를 배웁니다.
    """),
]
