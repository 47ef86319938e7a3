from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME, PREFIX = "12_custom_function.ipynb", "l12"

CELLS = [
    header(
        "12. 더 나아가기: `autograd.Function`으로 나만의 레이어 만들기",
        goals=[
            "자동 미분(autograd)이 연산마다 **순전파(forward)와 역전파(backward) 한 쌍**을 기록한다는 것을 이해합니다.",
            "`torch.autograd.Function`을 상속해 forward와 backward를 직접 쓰고, `ctx.save_for_backward`로 값을 넘깁니다.",
            "직접 쓴 backward가 맞는지 `gradcheck`로 수치 미분과 비교해 확인합니다.",
            "만든 함수를 `nn.Module`로 감싸 보통 레이어처럼 씁니다.",
        ],
        uses=[
            '01강: 자동 미분 맛보기(`requires_grad`, `backward()`, `.grad`)',
            '05강: 합성곱의 입력 기울기가 전치 합성곱이라는 것; 06강: `nn.Linear`; 10강: `nn.Sequential`',
            '처음 보는 것: `torch.autograd.Function`, `ctx.save_for_backward`, `gradcheck`, `torch.sigmoid`, `viz.graph`',
        ],
        source=beyond_notes("노트의 모든 레이어 뒤에서 일하는 자동 미분을 직접 만들어 보는 더 나아가기 강의입니다."),
    ),
    code(IMPORTS + "\nfrom teachnn.autograd import Function, gradcheck"
         "    # PyTorch라면: from torch.autograd import Function, gradcheck"),
    md("""
    ## 1. 자동 미분은 무엇을 기록할까요?

    `requires_grad=True`인 텐서로 계산하면, 결과 텐서의 `grad_fn`에 "나를 만든 연산"이 기록됩니다.
    `backward()`를 부르면 이 기록을 거꾸로 따라가며 각 연산의 backward를 불러 기울기(gradient)를 구합니다.
    """),
    predict("""
    `a = [1, 2, 3]`, `b = (a * a).sum()`일 때 `b.backward()` 뒤 `a.grad`는 무엇일까요? `b.grad_fn`에는 어떤 연산이 적혀 있을까요?
    """),
    code("""
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = (a * a).sum()
    print(b.grad_fn)                   # 마지막 연산: 합
    b.backward()
    print(a.grad)                      # d(sum a^2)/da = 2a
    """),
    md("""
    teachnn의 모든 레이어도 이렇게 forward와 backward 쌍으로 만들어져 있습니다. 같은 방법으로 우리도 새 연산을 만들 수 있습니다.

    ## 2. 첫 번째 `Function`: 시그모이드

    시그모이드 $\\sigma(x) = 1/(1+e^{-x})$의 미분은 $\\sigma(x)(1-\\sigma(x))$입니다. 출력 $y$만 알면 미분을 구할 수 있으므로
    forward에서 **출력**을 저장해 둡니다.

    - `forward(ctx, x)`: 결과를 계산합니다. backward에 필요한 텐서는 `ctx.save_for_backward(...)`로 저장합니다.
    - `backward(ctx, grad_output)`: 출력에 대한 기울기 `grad_output`을 받아, **입력**에 대한 기울기를 돌려줍니다 (연쇄 법칙).
    - 쓸 때는 `MySigmoid.apply(x)`로 부릅니다.
    """),
    code("""
    class MySigmoid(Function):
        @staticmethod
        def forward(ctx, x):
            y = 1 / (1 + torch.exp(-x))
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            y, = ctx.saved_tensors
            return grad_output * y * (1 - y)     # 연쇄 법칙: dL/dx = dL/dy * dy/dx


    x = torch.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    y = MySigmoid.apply(x)
    print(y, y.grad_fn)
    y.sum().backward()
    print("직접 만든 backward:", x.grad)

    x2 = torch.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    torch.sigmoid(x2).sum().backward()
    print("내장 sigmoid      :", x2.grad)
    """),
    md("""
    ## 3. `gradcheck`: backward를 수치 미분과 비교하기

    미분은 극한으로 정의되므로 아주 작은 $\\epsilon$으로 어림할 수 있습니다 (중심 차분):

    $$f'(x) \\approx \\frac{f(x+\\epsilon) - f(x-\\epsilon)}{2\\epsilon}$$

    `gradcheck`는 입력의 모든 원소에 대해 이 어림값과 backward가 준 값을 비교합니다. 뺄셈에서 생기는 반올림 오차를 줄이려고
    **float64** 텐서를 씁니다.
    """),
    code("""
    x64 = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    print("gradcheck 통과?", gradcheck(MySigmoid.apply, (x64,)))
    """),
    md("""
    일부러 틀린 backward를 만들어 gradcheck가 잡아내는지 봅시다. 에러가 나도 노트북이 멈추지 않게 `try/except`로 감쌌습니다.
    """),
    code("""
    class WrongSigmoid(Function):
        @staticmethod
        def forward(ctx, x):
            y = 1 / (1 + torch.exp(-x))
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            y, = ctx.saved_tensors
            return grad_output * y              # (1 - y)를 빠뜨렸습니다

    try:
        gradcheck(WrongSigmoid.apply, (x64,))
    except RuntimeError as err:                 # GradcheckError는 RuntimeError의 한 종류
        print(type(err).__name__)
        print(str(err)[:400])
    """),
    md("""
    ## 4. `nn.Module`로 감싸 레이어로 쓰기

    `Function`은 파라미터를 갖지 않는 "연산"입니다. 모델 안에서 레이어처럼 쓰려면 `nn.Module`로 한 번 감쌉니다.
    그러면 `nn.Sequential` 안에도 넣을 수 있습니다.
    """),
    predict("""
    직접 만든 `MySigmoid`를 가운데에 끼운 `nn.Sequential`에서 `backward()`를 부르면, 첫 번째 `nn.Linear`의 가중치에도 기울기가 생길까요?
    """),
    code("""
    class SigmoidLayer(nn.Module):
        def forward(self, x):
            return MySigmoid.apply(x)

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), SigmoidLayer(), nn.Linear(4, 1))
    print(net)
    out = net(torch.randn(5, 3)).sum()
    out.backward()
    print("첫 레이어 가중치의 기울기 모양:", net[0].weight.grad.shape)
    """),
    md("""
    자동 미분이 기록한 계산 그래프를 `viz.graph`로 그려 봅시다. 아래(파라미터)에서 위(출력)로 화살표가 이어지고,
    중간에 우리가 만든 `MySigmoidBackward`가 내장 연산들과 나란히 들어 있습니다. `backward()`는 이 그래프를 위에서 아래로 거슬러 갑니다.
    """),
    code("""
    import viz

    viz.graph(out, params=dict(net.named_parameters()))
    """),
    md("""
    ## 연습 문제
    """),
    code("""
    from teachnn.exercises.lesson12 import q1, q2, q3, q4, ____
    """),
    md("""
    **문제 1.** `MyReLU`의 backward를 완성하세요. ReLU의 미분은 입력이 양수인 곳에서 1, 나머지에서 0입니다.
    채점기는 결과와 기울기, 그리고 그 기울기를 여러분의 `backward`가 계산했는지 확인합니다.
    """),
    code("""
    class MyReLU(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return ____

    def my_relu(x):
        return MyReLU.apply(x)

    q1.check()
    """),
    md("""
    **문제 2.** 세제곱 $f(x) = x^3$을 계산하는 `MyCube`를 forward부터 backward까지 완성하세요.
    완성하면 `gradcheck(my_cube, (x64,))`로 스스로 먼저 확인해 보세요.
    """),
    code("""
    class MyCube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return ____

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return ____

    def my_cube(x):
        return MyCube.apply(x)

    q2.check()
    """),
    md("""
    **문제 3.** $f(x) = x^3$, $x = 2$, $\\epsilon = 10^{-3}$일 때 중심 차분 $\\frac{f(x+\\epsilon) - f(x-\\epsilon)}{2\\epsilon}$ 값을
    파이썬으로 계산해 `numeric_grad`에 넣으세요. 정확한 미분 값 $3x^2 = 12$와 얼마나 가까운가요?
    """),
    code("""
    numeric_grad = ____
    q3.check()
    """),
    md("""
    **문제 4.** `gradcheck`에 float32가 아니라 float64 텐서를 쓰는 이유를 한두 문장으로 적어 보세요.
    """),
    code("""
    why_float64 = ____
    q4.check()
    """),
    md("""
    ## 배운 점 요약

    1. 자동 미분은 연산마다 forward/backward 한 쌍을 기록하고, `backward()`는 그 기록을 거꾸로 따라갑니다.
    2. `Function`을 상속해 `forward(ctx, ...)`와 `backward(ctx, grad_output)`를 쓰고, `.apply(...)`로 부릅니다.
       backward에 필요한 값은 `ctx.save_for_backward`로 저장합니다.
    3. backward는 연쇄 법칙대로 `grad_output × (국소 미분)`을 돌려줍니다.
    4. `gradcheck`는 float64에서 수치 미분과 비교해 backward의 실수를 잡아 줍니다.
    5. `Function`을 `nn.Module`로 감싸면 다른 레이어와 똑같이 모델 안에서 쓸 수 있습니다.

    축하합니다! 자동 미분의 안쪽까지 살펴보았습니다. 남은 두 강의에서는 합성곱이 빨라지는 원리와 BatchNorm·Dropout을 배웁니다. [00_start](00_start.ipynb)의 목차로 돌아가 복습해도 좋습니다.
    """),
    next_lesson('13_fast_conv.ipynb', '더 나아가기: 합성곱이 어떻게 빨라지는지, 기준 반복문에서 teachnn의 빠른 커널까지 한 단계씩 재 봅니다.'),
    md("""
    ---
    **선생님께.** 학습자의 노트북은 `teachnn-grade 제출물/*.ipynb --out grades.csv`로 한꺼번에 채점할 수 있습니다.
    예시 제출물로 만든 결과 표, Windows PowerShell에서 쓰는 법과 자세한 설명은 [00_start](00_start.ipynb)의 마지막 절에 있습니다.
    """),
]
