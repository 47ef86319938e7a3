from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME, PREFIX = "06_linear.ipynb", "l06"

CELLS = [
    header(
        "06. 선형 레이어 `nn.Linear`: `y = xA^T + b`",
        goals=[
            "완전 연결 레이어(fully connected layer), 곧 선형 레이어(linear layer)가 계산하는 식 $y = xA^T + b$를 이해합니다.",
            "`nn.Linear`의 결과를 행렬 곱 연산자 `@`로 **직접** 계산해 똑같은지 확인합니다.",
            "가중치(weight)와 편향(bias)의 모양, 파라미터 수, 기본 초기화를 살펴봅니다.",
        ],
        uses=[
            '00·01강: 텐서와 모양, `nn.Module`, `named_parameters()`, `nn.Linear` 맛보기',
            '05강: 행렬 곱 연산자 `@`와 전치',
            '처음 보는 것: `nn.Parameter`로 가중치 바꿔 끼우기, `torch.allclose`, `.detach()`',
        ],
        source=from_notes("`nn.Linear` 부분(식 $y = xA^T + b$와 `nn.Linear(in_features=1024, out_features=32)`)을 따릅니다. 나머지 예제는 새로 만들었습니다"),
    ),
    code(IMPORTS),
    md("""
    ## 1. 아이디어

    선형 레이어는 입력 벡터의 모든 원소를 섞어 새 벡터를 만듭니다. 출력의 각 원소는
    "입력 원소마다 가중치를 곱해 더하고 편향을 더한 값"입니다. 이것을 한꺼번에 쓰면

    $$y = xA^T + b$$

    | 기호 | 뜻 | 모양 |
    |---|---|---|
    | $x$ | 입력 (배치) | `[N, in_features]` |
    | $A$ | 가중치 `layer.weight` | `[out_features, in_features]` |
    | $b$ | 편향 `layer.bias` | `[out_features]` |
    | $y$ | 출력 | `[N, out_features]` |

    가중치가 `[out, in]` 모양으로 저장되어 있어서 $x$와 곱할 때 **전치(transpose)** $A^T$가 필요합니다.
    """),
    code("""
    torch.manual_seed(0)
    layer = nn.Linear(in_features=4, out_features=3)
    print(layer)
    print("weight 모양:", layer.weight.shape)   # [out_features, in_features]
    print("bias 모양:  ", layer.bias.shape)     # [out_features]
    """),
    md("""
    ## 2. `@`로 직접 계산해서 비교하기

    같은 입력을 `layer(x)`와 `x @ layer.weight.T + layer.bias`에 넣어 봅니다.
    """),
    code("""
    x = torch.randn(2, 4)                       # 배치 2개, 특성 4개
    y_layer = layer(x)
    y_hand = x @ layer.weight.T + layer.bias    # y = x A^T + b

    print(y_layer)
    print(y_hand)
    print("같은가요?", torch.allclose(y_layer, y_hand))
    """),
    md("""
    ### 손으로 계산할 수 있는 작은 예

    가중치와 편향을 직접 정해 두면 결과를 종이 위에서 확인할 수 있습니다.
    파라미터는 `nn.Parameter`로 감싸 바꿔 끼웁니다.

    $A = \\begin{bmatrix}1 & 0\\\\ 0 & 2\\\\ 1 & 1\\end{bmatrix}$, $b = [0.5, -1, 0]$, $x = [1, 2]$ 이면

    $$y = [1\\cdot1 + 0\\cdot2 + 0.5,\\; 0\\cdot1 + 2\\cdot2 - 1,\\; 1\\cdot1 + 1\\cdot2 + 0] = [1.5,\\; 3,\\; 3]$$
    """),
    code("""
    small = nn.Linear(2, 3)
    small.weight = nn.Parameter(torch.tensor([[1.0, 0.0],
                                              [0.0, 2.0],
                                              [1.0, 1.0]]))
    small.bias = nn.Parameter(torch.tensor([0.5, -1.0, 0.0]))

    x_small = torch.tensor([[1.0, 2.0]])
    print(small(x_small))          # 손으로 계산한 [1.5, 3.0, 3.0]과 같아야 합니다
    """),
    md("""
    ## 3. 노트의 예: `nn.Linear(in_features=1024, out_features=32)`

    노트에 나온 레이어를 만들어 파라미터 수를 세어 봅니다. 원소 수는 모양의 곱입니다.
    """),
    predict("""
    `nn.Linear(in_features=1024, out_features=32)`의 파라미터는 모두 몇 개일까요? (가중치 `[32, 1024]`와 편향 `[32]`)
    """),
    code("""
    fc = nn.Linear(in_features=1024, out_features=32)
    for name, p in fc.named_parameters():
        print(f"{name:6s} 모양 {list(p.shape)}  원소 수 {p.numel()}")
    print("합계:", sum(p.numel() for p in fc.parameters()))
    """),
    md("""
    입력이 3차원 이상이면 어떻게 될까요? `nn.Linear`는 **마지막 축만** 바꾸고, 앞의 축은 그대로 둡니다.
    예를 들어 문장 8개, 단어 10개, 단어마다 특성 1024개인 입력이라면:
    """),
    predict("""
    `[8, 10, 1024]` 입력을 `fc`에 넣으면 출력 모양은 무엇일까요?
    """),
    code("""
    tokens = torch.randn(8, 10, 1024)
    print(fc(tokens).shape)
    """),
    md("""
    ## 4. 그림으로 보기: 기본 초기화

    PyTorch와 teachnn의 `nn.Linear`는 가중치를 $\\left[-\\frac{1}{\\sqrt{in}}, \\frac{1}{\\sqrt{in}}\\right]$ 범위에서
    고르게(uniform) 뽑아 초기화합니다. `in_features = 1024`이면 경계는 $\\pm 1/32$입니다. 히스토그램으로 확인해 봅시다.
    """),
    code("""
    import matplotlib.pyplot as plt

    weights = fc.weight.detach().numpy().ravel()
    bound = 1 / 1024 ** 0.5
    fig, ax = plt.subplots(figsize=(6, 2.5))
    ax.hist(weights, bins=40, color="#4c72b0")
    for b in (-bound, bound):
        ax.axvline(b, color="crimson", linestyle="--")
    ax.set_title("nn.Linear(1024, 32) weight distribution (dashed: ±1/sqrt(1024))")
    plt.show()
    """),
    md("""
    ## 연습 문제
    """),
    code("""
    from teachnn.exercises.lesson06 import q1, q2, q3, q4, ____
    """),
    md("""
    **문제 1.** `nn.Linear`나 `F.linear`를 쓰지 않고 `@`로, 입력 `x`, 가중치 `A`(`[out, in]`), 편향 `b`를 받아
    $y = xA^T + b$를 계산하는 함수 `my_linear`를 완성하세요. 공개되지 않은 테스트에는 3차원 입력도 있습니다.
    """),
    code("""
    def my_linear(x, A, b):
        return ____

    q1.check()
    """),
    md("""
    **문제 2.** `nn.Linear(1024, 32)`의 파라미터는 모두 몇 개인가요? 정수로 적으세요.
    """),
    code("""
    n_params = ____
    q2.check()
    """),
    md("""
    **문제 3.** `[8, 10, 1024]` 모양의 입력을 `nn.Linear(in_features=1024, out_features=32)`에 넣으면 출력 모양은?
    """),
    code("""
    out_shape = ____
    q3.check()
    """),
    md("""
    **문제 4.** 특성 5개를 3개로 바꾸고 **편향이 없는** 선형 레이어를 만들어 `layer`에 넣으세요.
    """),
    code("""
    layer = ____
    q4.check()
    """),
    md("""
    ## 배운 점 요약

    1. `nn.Linear(in_features, out_features)`는 $y = xA^T + b$를 계산합니다. 가중치 모양은 `[out, in]`, 편향은 `[out]`.
    2. 결과는 `x @ layer.weight.T + layer.bias`와 똑같습니다. 레이어는 행렬 곱에 이름을 붙인 것일 뿐입니다.
    3. 파라미터 수는 `in * out + out`입니다. `bias=False`이면 편향이 빠집니다.
    4. 입력이 몇 차원이든 **마지막 축만** `in_features`에서 `out_features`로 바뀝니다.
    """),
    next_lesson('07_pooling.ipynb', '특성 맵을 줄이는 풀링 레이어와, 평탄화 레이어 `nn.Flatten`을 배웁니다.'),
]
