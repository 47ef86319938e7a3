from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME, PREFIX = "10_containers.ipynb", "l10"

CELLS = [
    header(
        "10. 컨테이너: `Sequential`, `ModuleList`, `ModuleDict`",
        goals=[
            "여러 레이어를 한데 묶어 관리하는 컨테이너(container) 세 가지를 익힙니다.",
            "`nn.Sequential`을 만드는 세 가지 방법을 실행해 보고, 결과가 같은 모양인지 확인합니다.",
            "`nn.ModuleList`는 반복문이 있는 `forward`와, `nn.ModuleDict`는 이름으로 고르는 레이어와 함께 씁니다.",
            "각 컨테이너가 어떤 상황에 맞는지 판단합니다.",
        ],
        uses=[
            '01강: `nn.Module`, `state_dict`; 03강: `nn.Conv2d`; 05강: `nn.Sequential` 맛보기; 08강: `nn.ReLU()`',
            '01강의 옵티마이저: 등록되지 않은 레이어는 `model.parameters()`에 없어서 학습되지 않습니다',
            '처음 보는 것: `add_module`, `nn.ModuleList`, `nn.ModuleDict`, `viz.summary`로 모델 표 보기(01강에서 한 번 봄)',
        ],
        source=from_notes("컨테이너 부분(`Sequential`을 만드는 세 가지 방법, `ModuleList`, `ModuleDict` 예제)을 따릅니다"),
    ),
    code(IMPORTS),
    md("""
    ## 1. `nn.Sequential`: 순서대로 통과시키기

    `nn.Sequential`은 넣은 순서대로 레이어를 적용합니다. `forward`를 따로 쓸 필요가 없습니다.
    노트의 세 가지 방법을 차례로 실행해 봅니다.

    **방법 1: 인자로 바로 넣기**
    """),
    code("""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 20, 5),
        nn.ReLU(),
        nn.Conv2d(20, 64, 5),
        nn.ReLU()
    )
    print(model)
    """),
    md("""
    **방법 2: 빈 `Sequential`에 `add_module`로 이름을 붙여 추가하기**
    """),
    code("""
    model2 = nn.Sequential()
    model2.add_module('conv1', nn.Conv2d(1, 20, 5))
    model2.add_module('relu1', nn.ReLU())
    model2.add_module('conv2', nn.Conv2d(20, 64, 5))
    model2.add_module('relu2', nn.ReLU())
    print(model2)
    """),
    md("""
    **방법 3: 리스트를 만들어 `*`로 풀어 넣기** — 레이어 개수를 코드로 정할 때 편합니다.
    """),
    code("""
    layers = [
        nn.Conv2d(1, 20, 5),
        nn.ReLU(),
        nn.Conv2d(20, 64, 5),
        nn.ReLU()
    ]
    model3 = nn.Sequential(*layers)

    x = torch.randn(1, 1, 28, 28)
    for m in (model, model2, model3):
        print(m(x).shape)
    """),
    md("""
    세 모델 모두 출력 모양이 `[1, 64, 20, 20]`입니다 (5x5 합성곱을 두 번 지나며 28 → 24 → 20).
    차이는 레이어의 **이름**입니다. 방법 1과 3은 `0, 1, 2, 3` 번호가, 방법 2는 우리가 붙인 이름이 `state_dict` 키가 됩니다.
    """),
    code("""
    print(list(model.state_dict().keys()))
    print(list(model2.state_dict().keys()))
    print(model2.conv1)          # 이름으로 꺼내기
    print(model[0])              # 번호로 꺼내기
    """),
    md("""
    `viz.summary`는 컨테이너 안의 레이어를 한 줄씩, 출력 모양과 파라미터 수와 함께 보여 줍니다.
    """),
    code("""
    import viz
    viz.summary(model2, (1, 1, 28, 28));
    """),
    md("""
    ## 2. `nn.ModuleList`: 반복되는 레이어와 `for` 반복문

    `nn.ModuleList`는 파이썬 리스트처럼 쓰지만, 안에 든 모듈을 모델의 파라미터로 **등록**해 줍니다.
    순서대로 적용하는 규칙이 없으므로 `forward`를 직접 써야 합니다. 노트의 예제입니다.
    """),
    code("""
    class MyModule(nn.Module):
        def __init__(self):
            super(MyModule, self).__init__()
            self.layers = nn.ModuleList([
                nn.Conv2d(1, 20, 5),
                nn.Conv2d(20, 64, 5)
            ])
            self.relu = nn.ReLU()

        def forward(self, x):
            for layer in self.layers:
                x = self.relu(layer(x))
            return x

    list_model = MyModule()
    print(list_model(x).shape)
    """),
    md("""
    그냥 파이썬 리스트를 쓰면 어떻게 될까요? 레이어가 등록되지 않아 파라미터가 보이지 않습니다.
    옵티마이저가 이 레이어들을 학습시키지 못하게 되는, 찾기 어려운 버그입니다.
    PyTorch는 조용히 넘어가지만, teachnn은 이럴 때 경고(UserWarning)를 띄워 알려 줍니다.
    """),
    predict("""
    아래 `PlainList`는 레이어 두 개를 평범한 파이썬 리스트에 담았습니다. `list(model.parameters())`에는 파라미터가 몇 개 보일까요?
    """),
    code("""
    class PlainList(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(4, 4), nn.Linear(4, 4)]     # 평범한 list

    class WithModuleList(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])

    print("list      :", len(list(PlainList().parameters())), "개 파라미터")
    print("ModuleList:", len(list(WithModuleList().parameters())), "개 파라미터")
    """),
    md("""
    ## 3. `nn.ModuleDict`: 이름으로 고르는 레이어

    `nn.ModuleDict`는 딕셔너리처럼 이름으로 레이어를 꺼내 씁니다. 노트의 예제입니다.
    """),
    code("""
    class MyDictModule(nn.Module):
        def __init__(self):
            super(MyDictModule, self).__init__()
            self.layers = nn.ModuleDict({
                'conv1': nn.Conv2d(1, 20, 5),
                'conv2': nn.Conv2d(20, 64, 5),
                'relu': nn.ReLU()
            })

        def forward(self, x):
            x = self.layers['conv1'](x)
            x = self.layers['relu'](x)
            x = self.layers['conv2'](x)
            x = self.layers['relu'](x)
            return x

    dict_model = MyDictModule()
    print(dict_model(x).shape)
    print(list(dict_model.state_dict().keys()))
    """),
    md("""
    이름으로 고를 수 있으니, 예를 들어 입력 종류에 따라 다른 레이어를 쓰는 모델을 쉽게 만들 수 있습니다.
    """),
    code("""
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = nn.ModuleDict({'cat_dog': nn.Linear(8, 2), 'digits': nn.Linear(8, 10)})

        def forward(self, x, task):
            return self.heads[task](x)

    heads = TwoHeads()
    features = torch.randn(3, 8)
    print(heads(features, 'cat_dog').shape, heads(features, 'digits').shape)
    """),
    md("""
    ## 4. 언제 무엇을 쓸까요?

    | 컨테이너 | `forward` | 어울리는 상황 |
    |---|---|---|
    | `nn.Sequential` | 자동 (넣은 순서대로) | 레이어를 한 줄로 쌓기만 하면 될 때 |
    | `nn.ModuleList` | 직접 작성 (보통 `for` 반복문) | 같은 모양의 블록을 여러 번 반복하거나, 중간 결과를 따로 쓸 때 |
    | `nn.ModuleDict` | 직접 작성 (이름으로 선택) | 레이어에 이름을 붙여 골라 쓰거나, 구조가 복잡할 때 |

    `Sequential`을 쓰면서도 `forward`를 직접 쓰는 경우도 있습니다. 입력을 특별히 전처리하거나 결과를 후처리할 때입니다 (11강).

    ## 연습 문제
    """),
    code("""
    from teachnn.exercises.lesson10 import q1, q2, q3, q4, ____
    """),
    md("""
    **문제 1.** `nn.Sequential`로 `Linear(8, 16)` → `ReLU()` → `Linear(16, 4)` 모델을 만들어 `seq`에 넣으세요.
    """),
    code("""
    seq = ____
    q1.check()
    """),
    md("""
    **문제 2.** `nn.ModuleList`에 `nn.Linear(6, 6)` 세 개를 담고, `forward`에서 반복문으로 각 레이어 뒤에 ReLU를 적용하는
    클래스를 만드세요. 객체를 만들어 `stack`에 넣으세요. (평범한 list를 쓰면 어떻게 채점되는지도 한번 시험해 보세요!)
    """),
    code("""
    # 여기에 클래스를 작성하세요

    stack = ____
    q2.check()
    """),
    md("""
    **문제 3.** 아래 모델의 `state_dict` 키를 **순서대로** 리스트로 적으세요. 먼저 예상해 보고, 그다음 코드로 확인해도 좋습니다.
    """),
    code("""
    class AutoEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleDict({'encoder': nn.Linear(4, 2), 'decoder': nn.Linear(2, 4)})

        def forward(self, x):
            return self.layers['decoder'](self.layers['encoder'](x))

    model = AutoEncoder()

    state_keys = ____
    q3.check()
    """),
    md("""
    **문제 4.** 각 상황에 가장 잘 맞는 컨테이너의 이름을 적으세요 (`'Sequential'`, `'ModuleList'`, `'ModuleDict'` 중 하나).
    - `a`: Conv → ReLU → Pool을 한 줄로 쌓기만 하면 된다.
    - `b`: 똑같은 블록 12개를 반복문으로 통과시킨다.
    - `c`: 과제 이름(`'cat_dog'`, `'digits'`)에 따라 다른 출력 레이어를 고른다.
    """),
    code("""
    which_container = {"a": ____, "b": ____, "c": ____}
    q4.check()
    """),
    md("""
    ## 배운 점 요약

    1. 컨테이너는 여러 레이어를 한데 모아 관리하고, 안의 파라미터를 모델에 **등록**합니다.
    2. `nn.Sequential`은 넣은 순서대로 적용하므로 `forward`가 필요 없습니다. 만드는 방법은 세 가지(인자, `add_module`, `*리스트`).
    3. `nn.ModuleList`는 반복되는 구조에, `nn.ModuleDict`는 이름으로 고르는 구조에 쓰고, 둘 다 `forward`를 직접 씁니다.
    4. 평범한 `list`나 `dict`에 레이어를 담으면 등록되지 않습니다. 꼭 `ModuleList`/`ModuleDict`를 쓰세요.
    """),
    next_lesson('11_custom_forward_cnn.ipynb', '직접 쓴 `forward`로 작은 CNN을 만들어 처음부터 끝까지 학습시킵니다.'),
]
