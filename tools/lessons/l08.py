from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME, PREFIX = "08_activations.ipynb", "l08"

CELLS = [
    header(
        "08. 활성화 함수: `nn.ReLU()`와 `F.relu`",
        goals=[
            "활성화 함수(activation function)가 왜 필요한지 이해하고, 자주 쓰는 함수의 모양을 그려 봅니다.",
            "같은 ReLU를 `nn.ReLU()`(클래스)와 `F.relu`(함수) 두 가지로 쓸 수 있다는 것을 확인합니다.",
            "노트의 두 `NeuralNetwork` 버전이 **같은 가중치에서 완전히 같은 결과**를 낸다는 것을 직접 보입니다.",
        ],
        uses=[
            '01강: `nn.Module`, `F.relu` 맛보기, `state_dict`; 06강: `nn.Linear`',
            '처음 보는 것: `nn.ReLU`, `nn.LeakyReLU`, `nn.Sigmoid`, `nn.Tanh` 같은 활성화 레이어, `load_state_dict`로 가중치 옮겨 담기, `torch.equal`',
        ],
        source=from_notes("활성화 함수 부분과 두 `NeuralNetwork` 예제(`nn.ReLU()`와 `F.relu`)를 따릅니다"),
    ),
    code(IMPORTS),
    md("""
    ## 1. 왜 활성화 함수가 필요할까요?

    선형 레이어를 아무리 여러 개 쌓아도, 활성화 함수가 없으면 전체는 여전히 **하나의 선형 변환**입니다
    ($W_2(W_1x) = (W_2W_1)x$). 레이어 사이에 비선형 함수를 끼워 넣어야 신경망이 곡선 같은 복잡한 관계를 배울 수 있습니다.

    자주 쓰는 활성화 함수를 그려 봅시다. 모두 teachnn 텐서로 계산합니다.
    """),
    code("""
    import matplotlib.pyplot as plt

    z = torch.linspace(-4, 4, 161)
    curves = {
        "ReLU": nn.ReLU()(z),
        "LeakyReLU(0.1)": nn.LeakyReLU(0.1)(z),
        "Sigmoid": nn.Sigmoid()(z),
        "Tanh": nn.Tanh()(z),
    }
    fig, axes = plt.subplots(1, 4, figsize=(12, 2.6), sharex=True)
    for ax, (name, out) in zip(axes, curves.items()):
        ax.plot(z.numpy(), out.numpy(), color="#4c72b0")
        ax.axhline(0, color="gray", linewidth=0.5)
        ax.axvline(0, color="gray", linewidth=0.5)
        ax.set_title(name)
    plt.tight_layout()
    plt.show()
    """),
    md("""
    | 함수 | 식 | 특징 |
    |---|---|---|
    | ReLU | $\\max(0, x)$ | 음수는 0, 양수는 그대로. 가장 흔히 씁니다. |
    | LeakyReLU | $x$ (x ≥ 0), $\\alpha x$ (x < 0) | 음수 쪽에 작은 기울기를 남깁니다 (기본 $\\alpha = 0.01$). |
    | Sigmoid | $1 / (1 + e^{-x})$ | 0과 1 사이. 확률처럼 해석할 때. |
    | Tanh | $\\tanh(x)$ | -1과 1 사이, 0을 중심으로 대칭. |

    ## 2. 클래스로 쓰기 vs 함수로 쓰기

    `torch.nn`에는 `nn.ReLU` 같은 **클래스**가 있고, `torch.nn.functional`에는 `F.relu` 같은 **함수**가 있습니다.
    계산은 같습니다. 차이는 "어디에 어떻게 적느냐"입니다.
    """),
    code("""
    v = torch.tensor([-2.0, -0.5, 0.0, 1.5, 3.0])
    relu_layer = nn.ReLU()          # 1) 객체를 먼저 만들고
    print(relu_layer(v))            #    불러서 씁니다
    print(F.relu(v))                # 2) 함수를 바로 부릅니다
    """),
    md("""
    ### 노트의 첫 번째 버전: `__init__`에 `nn.ReLU()`를 레이어로 둔다
    """),
    code("""
    class NeuralNetwork(nn.Module):
        def __init__(self):
            super(NeuralNetwork, self).__init__()
            self.fc1 = nn.Linear(10, 20)
            self.relu = nn.ReLU()
            self.fc2 = nn.Linear(20, 10)

        def forward(self, x):
            x = self.fc1(x)
            x = self.relu(x)
            x = self.fc2(x)
            return x


    torch.manual_seed(0)
    model_a = NeuralNetwork()
    print(model_a)
    """),
    md("""
    ### 노트의 두 번째 버전: `forward`에서 `F.relu`를 부른다
    """),
    code("""
    class NeuralNetworkF(nn.Module):
        def __init__(self):
            super(NeuralNetworkF, self).__init__()
            self.fc1 = nn.Linear(10, 20)
            self.fc2 = nn.Linear(20, 10)

        def forward(self, x):
            x = self.fc1(x)
            x = F.relu(x)
            x = self.fc2(x)
            return x


    model_b = NeuralNetworkF()
    print(model_b)
    """),
    md("""
    `print`에는 차이가 드러납니다. 첫 번째 버전은 `(relu): ReLU()`가 구조에 보이고, 두 번째 버전에는 없습니다.
    ReLU에는 파라미터가 없으므로 두 모델의 `state_dict` 키는 똑같습니다. 그래서 첫 번째 모델의 가중치를
    두 번째 모델에 그대로 옮겨 담을 수 있고, 그러면 결과도 완전히 같아야 합니다.
    """),
    predict("""
    같은 가중치를 옮겨 담은 두 모델에 같은 `x`를 넣으면, 결과가 **비트 하나까지** 똑같을까요(`torch.equal`),
    아니면 반올림 오차만큼 다를까요?
    """),
    code("""
    print(list(model_a.state_dict().keys()))
    print(list(model_b.state_dict().keys()))

    model_b.load_state_dict(model_a.state_dict())   # 같은 가중치로 맞추기
    x = torch.randn(3, 10)
    out_a, out_b = model_a(x), model_b(x)
    print("완전히 같은가요?", torch.equal(out_a, out_b))
    """),
    md("""
    ### 언제 어느 쪽을 쓸까요?

    - **`nn.ReLU()` (클래스)**: `__init__`에 레이어로 두면 `print(model)`에 구조가 드러나고, `nn.Sequential` 안에 넣을 수 있습니다 (10강).
    - **`F.relu` (함수)**: `forward` 안에서 바로 부를 수 있어 간단하고 유연합니다. 조건에 따라 다른 함수를 쓰는 것도 쉽습니다.

    이 구분은 활성화 함수뿐 아니라 합성곱(`nn.Conv2d` / `F.conv2d`), 풀링(`nn.MaxPool2d` / `F.max_pool2d`)에도 똑같이 적용됩니다.
    단, 파라미터가 있는 레이어(합성곱, 선형)는 보통 `__init__`에 클래스로 만들어 두어야 파라미터가 등록됩니다.

    ## 연습 문제
    """),
    code("""
    from teachnn.exercises.lesson08 import q1, q2, q3, q4, ____
    """),
    md("""
    **문제 1.** `F.relu`나 `nn.ReLU`를 쓰지 않고 **텐서 연산만으로** ReLU 함수 `my_relu`를 만드세요.
    채점기는 결과값뿐 아니라 역전파(backward)로 구한 기울기(gradient)도 확인합니다. 그러니 `.data`나 넘파이로 계산하면 안 됩니다.
    """),
    code("""
    def my_relu(x):
        return ____

    q1.check()
    """),
    md("""
    **문제 2.** 노트의 두 번째 버전처럼 `F.relu`를 `forward`에서 부르는 모델 클래스를 직접 써 보고 (위에서 복사하지 말고!),
    객체를 만들어 `model_f`에 넣으세요. 구조: `Linear(10, 20)` → ReLU → `Linear(20, 10)`.
    """),
    code("""
    # 여기에 클래스를 작성하세요

    model_f = ____
    q2.check()
    """),
    md("""
    **문제 3.** 손으로 계산해 튜플로 적으세요: `(sigmoid(0), tanh(0), relu(-3), leaky_relu(-3))`.
    LeakyReLU의 `negative_slope`는 기본값 0.01입니다.
    """),
    code("""
    act_values = ____
    q3.check()
    """),
    md("""
    **문제 4.** `nn.ReLU()`와 `F.relu`는 각각 언제 쓰면 좋을까요? 한두 문장으로 적어 보세요.
    """),
    code("""
    when_which = ____
    q4.check()
    """),
    md("""
    ## 배운 점 요약

    1. 활성화 함수가 없으면 레이어를 쌓아도 하나의 선형 변환입니다. 비선형 함수가 표현력을 만듭니다.
    2. `torch.nn`의 활성화 함수는 **클래스**: `__init__`에서 객체로 만들어 두면 모델 구조가 명확해집니다.
    3. `torch.nn.functional`의 활성화 함수는 **함수**: `forward`에서 바로 불러 유연하게 씁니다.
    4. 파라미터가 없는 ReLU는 두 방식의 계산 결과가 완전히 같습니다 (`torch.equal`로 확인).
    """),
    next_lesson('09_losses.ipynb', '손실 함수를 같은 관점(클래스와 함수)으로 살펴봅니다.'),
]
