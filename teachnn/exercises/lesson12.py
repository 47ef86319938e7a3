"""Exercises of lesson 12 (your own layer with teachnn.autograd.Function, gradcheck)."""
from teachnn.exercises.core import (FunctionProblem, ValueProblem, WordsProblem, finalize,
                                    tensor_case, ____)  # noqa: F401


def _grad_case(shape, seed):
    return tensor_case(dict(shape=shape, seed=seed, dtype="float64", requires_grad=True,
                            avoid_zero=True))


def _relu_reference(x):
    return x.clamp(min=0.0)


def _draw(rng):
    shape = tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    return _grad_case(shape, int(rng.integers(0, 2 ** 31)))


q1 = FunctionProblem(
    "my_relu",
    reference=_relu_reference,
    cases=[_grad_case((3, 4), 61)],
    hidden_cases=[_grad_case((7,), 62), _grad_case((2, 3, 2), 63)],
    draw=_draw,
    own_function=True,     # the result must come from the learner's Function and its backward
    check_grad=True,
    title="MyReLU의 backward 완성하기",
    hints=["ReLU의 미분은 x > 0인 곳에서 1, 나머지에서 0입니다. 연쇄 법칙으로 grad_output에 곱합니다.",
           "return grad_output * (x > 0)   (x는 ctx.saved_tensors에서 꺼낸 입력)"],
    solution=("class MyReLU(Function):\n"
              "    @staticmethod\n"
              "    def forward(ctx, x):\n"
              "        ctx.save_for_backward(x)\n"
              "        return x.clamp(min=0)\n\n"
              "    @staticmethod\n"
              "    def backward(ctx, grad_output):\n"
              "        x, = ctx.saved_tensors\n"
              "        return grad_output * (x > 0)\n\n"
              "def my_relu(x):\n"
              "    return MyReLU.apply(x)"),
)


def _cube_reference(x):
    return x * x * x


q2 = FunctionProblem(
    "my_cube",
    reference=_cube_reference,
    cases=[_grad_case((2, 3), 64)],
    hidden_cases=[_grad_case((5,), 65), _grad_case((1, 1), 66)],
    draw=_draw,
    own_function=True,
    check_grad=True,
    title="세제곱 레이어를 처음부터 만들기",
    hints=["forward는 x ** 3, backward는 (x ** 3)' = 3 x^2 에 grad_output을 곱합니다.",
           "forward에서 ctx.save_for_backward(x)로 x를 저장해 두고, backward에서 "
           "x, = ctx.saved_tensors 로 꺼낸 뒤 grad_output * 3 * x ** 2 를 돌려주세요."],
    solution=("class MyCube(Function):\n"
              "    @staticmethod\n"
              "    def forward(ctx, x):\n"
              "        ctx.save_for_backward(x)\n"
              "        return x ** 3\n\n"
              "    @staticmethod\n"
              "    def backward(ctx, grad_output):\n"
              "        x, = ctx.saved_tensors\n"
              "        return grad_output * 3 * x ** 2\n\n"
              "def my_cube(x):\n"
              "    return MyCube.apply(x)"),
)

q3 = ValueProblem(
    "numeric_grad",
    expected=12.0,
    atol=1e-4, rtol=0,
    title="중심 차분으로 기울기 어림하기",
    hints=["f(x) = x ** 3, x = 2, eps = 1e-3 일 때 (f(x + eps) - f(x - eps)) / (2 * eps) 를 계산하세요.",
           "파이썬으로 바로 계산할 수 있습니다: ((2 + 1e-3) ** 3 - (2 - 1e-3) ** 3) / (2 * 1e-3)"],
    solution="f = lambda x: x ** 3\neps = 1e-3\nnumeric_grad = (f(2 + eps) - f(2 - eps)) / (2 * eps)   # 약 12.000001",
    mistakes=[(8.0, "그것은 f(2) 값입니다. 기울기(미분 값)를 어림해야 합니다."),
              (4.0, "x^2의 기울기가 아니라 x^3의 기울기입니다: 3 x^2")],
)

q4 = WordsProblem(
    "why_float64",
    model_answer=("gradcheck는 아주 작은 eps로 f(x+eps) - f(x-eps)를 계산해 수치 기울기를 얻습니다. "
                  "float32는 유효 숫자가 7자리 정도라 이 뺄셈에서 반올림 오차가 커져, 맞는 backward도 "
                  "틀렸다고 나올 수 있습니다. float64는 정밀도가 높아 비교가 믿을 만합니다."),
    keywords=[["정밀", "오차", "반올림", "유효", "precision", "자릿수", "자리"]],
    title="gradcheck는 왜 float64를 쓰나요?",
    hints=["eps = 1e-6 만큼 떨어진 두 값의 차이를 float32로 계산하면 어떻게 될까요?",
           "float32와 float64의 차이는 '몇 자리까지 정확한가'입니다."],
    solution='why_float64 = "수치 미분의 뺄셈에서 float32는 반올림 오차가 커서 정밀한 float64를 쓴다"',
)

finalize(globals())
