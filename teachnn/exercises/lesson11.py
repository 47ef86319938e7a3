"""Exercises of lesson 11 (a custom forward and training a small CNN).

Expected values are computed here with plain Python/NumPy where possible; the module problem
compares the learner's model with a reference model built from the notes' ``MyModel``.
"""
import numpy as np

from teachnn.exercises.core import (FunctionProblem, ModuleProblem, ValueProblem,
                                    WordsProblem, finalize, ____)  # noqa: F401


def _after_two_convs(size, kernel=5):
    """Spatial size after the notes' two unpadded k=5 convolutions (stride 1)."""
    return size - (kernel - 1) - (kernel - 1)


q1 = ValueProblem(
    "in_features_28",
    expected=64 * _after_two_convs(28) ** 2,
    title="28x28 입력이면 fc1의 in_features는?",
    hints=["패딩 없는 5x5 합성곱(스트라이드 1)은 높이와 너비를 각각 4씩 줄입니다. 두 번 거치면?",
           "28 -> 24 -> 20. 평탄화하면 채널 수 x 높이 x 너비 = 64 x 20 x 20."],
    solution="in_features_28 = 64 * 20 * 20   # = 25600",
    mistakes=[(64 * 24 * 24, "합성곱을 한 번만 적용했습니다. Sequential 안에 Conv2d가 두 개 있습니다."),
              (20 * 20, "평탄화하면 채널 64개가 모두 이어 붙습니다. 채널 수를 곱하세요."),
              (64 * 28 * 28, "패딩 없는 합성곱은 크기를 줄입니다: (28 - 5) + 1 = 24.")],
)

q2 = ValueProblem(
    "input_size",
    expected=next(n for n in range(5, 64) if _after_two_convs(n) == 4),
    title="64*4*4가 맞는 입력 크기",
    hints=["거꾸로 계산해 보세요. 합성곱 하나가 크기를 4씩 줄입니다.",
           "4 + 4 + 4 = ?"],
    solution="input_size = 12    # 12 -> 8 -> 4, 그래서 64 * 4 * 4",
    mistakes=[(28, "28x28(MNIST 크기)이면 20x20이 남습니다. 풀링 없이 4x4가 되려면 입력이 훨씬 작아야 합니다."),
              (8, "합성곱이 두 개입니다. 4만큼 두 번 줄어듭니다.")],
)


def _per_class_accuracy_reference(logits, labels, num_classes):
    predicted = np.argmax(np.asarray(logits.numpy()), axis=1)
    labels = np.asarray(labels.numpy())
    return [float(np.mean(predicted[labels == c] == c)) for c in range(num_classes)]


def _per_class_case(seed, n, classes=4):
    """Random logits; every class appears at least once; about half the answers are right."""
    def make():
        import teachnn
        rng = np.random.default_rng(seed)
        logits = rng.standard_normal((n, classes)).astype(np.float32)
        labels = rng.permutation(np.arange(n) % classes).astype(np.int64)
        right = rng.random(n) < 0.5
        logits[right, labels[right]] += 3.0          # make these predictions right
        return (teachnn.from_numpy(logits), teachnn.from_numpy(labels), classes)
    return make


def _per_class_small():
    import teachnn
    logits = teachnn.tensor([[2.0, 0.0, -1.0],    # 예측 0, 정답 0
                             [0.0, 3.0, 1.0],     # 예측 1, 정답 1
                             [0.5, 0.0, 0.2],     # 예측 0, 정답 2
                             [0.0, 0.1, 4.0]])    # 예측 2, 정답 2
    labels = teachnn.tensor([0, 1, 2, 2])
    return (logits, labels, 3)


q3 = FunctionProblem(
    "per_class_accuracy",
    reference=_per_class_accuracy_reference,
    cases=[_per_class_small, _per_class_case(0, 12)],
    hidden_cases=[_per_class_case(1, 50), _per_class_case(2, 10, classes=10),
                  _per_class_case(3, 41, classes=5)],
    draw=lambda rng: _per_class_case(int(rng.integers(0, 2 ** 31)), int(rng.integers(12, 60)),
                                     classes=int(rng.integers(2, 11))),
    title="클래스별 정확도 함수",
    hints=["먼저 예측: predicted = logits.argmax(dim=1). 그다음 클래스 c마다 정답이 c인 샘플만 골라 봅니다.",
           "mask = labels == c 로 고른 뒤 (predicted[mask] == c).float().mean().item(). 결과를 리스트에 모으세요."],
    solution="def per_class_accuracy(logits, labels, num_classes):\n"
             "    predicted = logits.argmax(dim=1)\n"
             "    result = []\n"
             "    for c in range(num_classes):\n"
             "        mask = labels == c\n"
             "        result.append((predicted[mask] == c).float().mean().item())\n"
             "    return result",
)


def _my_model_28_class():
    import teachnn.nn as nn
    import teachnn.nn.functional as F

    class MyModel28(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(20, 64, 5), nn.ReLU(), nn.MaxPool2d(2),
            )
            self.fc1 = nn.Linear(64 * 4 * 4, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = x * 2
            x = self.layers(x)
            x = x.view(x.size(0), -1)
            x = F.relu(self.fc1(x))
            x = self.fc2(x)
            return F.softmax(x, dim=1)

    return MyModel28


def _q4_reference():
    return _my_model_28_class()()


def _q4_variants():
    """Every MyModel28 the question allows: the notes' model with layers that shrink the
    maps added so that 64 x 4 x 4 comes out of a 28 x 28 input.  Max or average pooling,
    before or after the ReLU, after the first convolution, the second or both (an adaptive
    pooling to the same size gives the same windows here)."""
    import teachnn.nn as nn

    cls = _my_model_28_class()

    def pool(kind, k):
        return nn.MaxPool2d(k) if kind == "max" else nn.AvgPool2d(k)

    def block(conv, kind, k, before_relu):
        if kind is None:
            return [conv, nn.ReLU()]
        return [conv, pool(kind, k), nn.ReLU()] if before_relu else [conv, nn.ReLU(), pool(kind, k)]

    def build(first, second):
        def make():
            model = cls()
            model.layers = nn.Sequential(*block(nn.Conv2d(1, 20, 5), *first),
                                         *block(nn.Conv2d(20, 64, 5), *second))
            return model
        return make

    variants = []
    kinds = ("max", "avg")
    orders = (False, True)
    for k1 in kinds:                                   # 28 -> 24 -> 12 -> 8 -> 4
        for k2 in kinds:
            for o1 in orders:
                for o2 in orders:
                    variants.append(build((k1, 2, o1), (k2, 2, o2)))
    for kind in kinds:
        for order in orders:
            variants.append(build((kind, 3, order), (None, 0, False)))   # 24 -> 8 -> 4
            variants.append(build((None, 0, False), (kind, 5, order)))   # 20 -> 4
    return variants


def _q4_input():
    import teachnn
    teachnn.manual_seed(11)
    return (teachnn.randn(2, 1, 28, 28),)


q4 = ModuleProblem(
    "MyModel28",
    reference=_q4_reference,
    inputs=[_q4_input],
    check_structure=False,     # nn.MaxPool2d in the Sequential or F.max_pool2d in forward: both fine
    also_accept=_q4_variants,  # "add only the layers that shrink the maps": any such pooling
    title="28x28에서도 64*4*4가 되는 MyModel",
    hints=["각 합성곱 뒤에 크기를 절반으로 줄이는 nn.MaxPool2d(2)를 넣으면 28 -> 24 -> 12 -> 8 -> 4 가 됩니다.",
           "나머지(x * 2, Sequential, view, fc1, relu, fc2, softmax)는 노트의 MyModel과 똑같이 둡니다."],
    solution="class MyModel28(nn.Module):\n"
             "    def __init__(self):\n"
             "        super().__init__()\n"
             "        self.layers = nn.Sequential(\n"
             "            nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),    # 28 -> 24 -> 12\n"
             "            nn.Conv2d(20, 64, 5), nn.ReLU(), nn.MaxPool2d(2),   # 12 -> 8 -> 4\n"
             "        )\n"
             "        self.fc1 = nn.Linear(64 * 4 * 4, 128)\n"
             "        self.fc2 = nn.Linear(128, 10)\n\n"
             "    def forward(self, x):\n"
             "        x = x * 2\n"
             "        x = self.layers(x)\n"
             "        x = x.view(x.size(0), -1)\n"
             "        x = F.relu(self.fc1(x))\n"
             "        x = self.fc2(x)\n"
             "        return F.softmax(x, dim=1)",
)

_Q5_MODEL_ANSWER = ("nn.CrossEntropyLoss는 안에서 log_softmax를 계산하므로 로짓(softmax 전의 값)을 받아야 합니다. "
                    "forward에서 softmax를 한 확률을 넣으면 softmax가 두 번 적용되어 기울기가 작아지고 학습이 느려집니다. "
                    "훈련에는 로짓을 돌려주고, 확률이 필요할 때(예측할 때)만 F.softmax를 적용합니다.")

q5 = WordsProblem(
    "answer",
    model_answer=_Q5_MODEL_ANSWER,
    keywords=[["softmax", "소프트맥스", "log_softmax", "로짓", "logit", "두 번"]],
    title="softmax와 CrossEntropyLoss",
    hints=["nn.CrossEntropyLoss의 입력은 확률인가요, 로짓인가요? 9강(손실 함수)을 떠올려 보세요."],
    solution=_Q5_MODEL_ANSWER,
)

finalize(globals())
