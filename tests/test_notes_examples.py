"""The code examples of the study notes (../shared/notes/torch_nn_study_notes_ko.txt) run on
teachnn with only the import lines changed, and give PyTorch's numbers once the weights
are the same (teachnn loads the torch model's state_dict).

Each snippet below is copied from the notes (indentation normalised). ``run_snippet``
executes it twice: once as written (PyTorch) and once with the three import lines
rewritten to teachnn. The container examples use ``nn.Conv2d`` from the convolution work.
"""
import math
import textwrap

import numpy as np
import pytest

import teachnn
from teachnn.tensor import Tensor
from tests.parity import requires_torch, to_numpy, torch

HEADER_TORCH = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"

IMPORT_REWRITES = [
    ("import torch.nn.functional as F", "import teachnn.nn.functional as F"),
    ("import torch.nn as nn", "import teachnn.nn as nn"),
    ("import torch\n", "import teachnn as torch\n"),
]


def to_teachnn(code: str) -> str:
    """The only change a learner makes: the import lines."""
    for old, new in IMPORT_REWRITES:
        code = code.replace(old, new)
    return code


def run_snippet(code: str, lib: str) -> dict:
    code = HEADER_TORCH + textwrap.dedent(code) + "\n"
    if lib == "teachnn":
        code = to_teachnn(code)
        assert "import torch" not in code.replace("import teachnn as torch", "")
    namespace = {"__name__": "notes_example"}
    exec(compile(code, f"<notes example, {lib}>", "exec"), namespace)
    return namespace


# ------------------------------------------------------------------ the notes' snippets
NN_RELU_VERSION = """
import torch.nn as nn

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

# 모델 초기화
model = NeuralNetwork()
"""

F_RELU_VERSION = """
import torch.nn.functional as F

class NeuralNetwork(nn.Module):
    def __init__(self):
        super(NeuralNetwork, self).__init__()
        self.fc1 = nn.Linear(10, 20)
        self.fc2 = nn.Linear(20, 10)

    def forward(self, x):
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        return x

model = NeuralNetwork()
"""

LOSS_OBJECT = """
import torch
import torch.nn as nn

criterion = nn.CrossEntropyLoss() # 손실함수 객체 생성
output = torch.randn(10, 5)
target = torch.randint(0, 5, (10,))
loss = criterion(output, target) # 손실함수 객체를 호출하여 손실값 계산
"""

LOSS_FUNCTION = """
import torch
import torch.nn.functional as F

output = torch.randn(10, 5)
target = torch.randint(0, 5, (10,))
loss = F.cross_entropy(output, target) # 직접 손실함수를 호출하여 계산
"""

LINEAR_LAYER = """
fc = nn.Linear(in_features = 1024, out_features = 32)
"""

SEQUENTIAL_THREE_WAYS = """
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(1, 20, 5),
    nn.ReLU(),
    nn.Conv2d(20, 64, 5),
    nn.ReLU()
)

# 또는
model2 = nn.Sequential()
model2.add_module('conv1', nn.Conv2d(1, 20, 5))
model2.add_module('relu1', nn.ReLU())
model2.add_module('conv2', nn.Conv2d(20, 64, 5))
model2.add_module('relu2', nn.ReLU())

# 또는
layers = [
    nn.Conv2d(1, 20, 5),
    nn.ReLU(),
    nn.Conv2d(20, 64, 5),
    nn.ReLU()
]
model3 = nn.Sequential(*layers)
"""

MODULE_LIST = """
import torch.nn as nn

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

model = MyModule()
"""

MODULE_DICT = """
import torch.nn as nn

class MyModule(nn.Module):
    def __init__(self):
        super(MyModule, self).__init__()
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

model = MyModule()
"""

MY_MODEL = """
import torch
import torch.nn as nn
import torch.nn.functional as F

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

# 모델 초기화
model = MyModel()
"""


# ------------------------------------------------------------------ comparison helper
def assert_models_agree(t_model, p_model, x, target=None, rtol=1e-9, atol=1e-10):
    """Copy torch's weights into teachnn, run both on x (float64), compare the output,
    the cross-entropy loss and every parameter gradient, the repr and state_dict keys."""
    p_model = p_model.double()
    t_model = t_model.double()
    result = t_model.load_state_dict(p_model.state_dict())
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    assert repr(t_model) == repr(p_model)
    assert list(t_model.state_dict().keys()) == list(p_model.state_dict().keys())

    t_out = t_model(Tensor(x.copy()))
    p_out = p_model(torch.tensor(x))
    np.testing.assert_allclose(to_numpy(t_out), to_numpy(p_out), rtol=rtol, atol=atol)

    if target is None:
        target = np.random.default_rng(0).integers(0, t_out.shape[1], t_out.shape[0])
    t_loss = teachnn.nn.functional.cross_entropy(t_out, Tensor(target))
    p_loss = torch.nn.functional.cross_entropy(p_out, torch.tensor(target))
    np.testing.assert_allclose(t_loss.item(), p_loss.item(), rtol=rtol, atol=atol)
    t_loss.backward()
    p_loss.backward()
    t_params = dict(t_model.named_parameters())
    for name, p in p_model.named_parameters():
        np.testing.assert_allclose(to_numpy(t_params[name].grad), p.grad.numpy(), rtol=1e-8,
                                   atol=1e-10, err_msg=name)


# ------------------------------------------------------------------ tests
@requires_torch
@pytest.mark.parametrize("snippet", [NN_RELU_VERSION, F_RELU_VERSION],
                         ids=["nn.ReLU version", "F.relu version"])
def test_neural_network_examples_match_torch(snippet):
    torch.manual_seed(0)
    p_ns = run_snippet(snippet, "torch")
    t_ns = run_snippet(snippet, "teachnn")
    x = np.random.default_rng(1).standard_normal((8, 10))
    assert_models_agree(t_ns["model"], p_ns["model"], x)


def test_neural_network_examples_run_without_torch():
    """The same snippets on teachnn alone: shapes, parameter names and counts."""
    for snippet in (NN_RELU_VERSION, F_RELU_VERSION):
        ns = run_snippet(snippet, "teachnn")
        model = ns["model"]
        out = model(teachnn.randn(4, 10))
        assert tuple(out.shape) == (4, 10)
        assert [n for n, _ in model.named_parameters()] == [
            "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
        assert sum(p.numel() for p in model.parameters()) == 10 * 20 + 20 + 20 * 10 + 10
    assert repr(run_snippet(NN_RELU_VERSION, "teachnn")["model"]) == (
        "NeuralNetwork(\n"
        "  (fc1): Linear(in_features=10, out_features=20, bias=True)\n"
        "  (relu): ReLU()\n"
        "  (fc2): Linear(in_features=20, out_features=10, bias=True)\n"
        ")")


@pytest.mark.parametrize("snippet", [LOSS_OBJECT, LOSS_FUNCTION],
                         ids=["criterion = nn.CrossEntropyLoss()", "F.cross_entropy"])
def test_loss_examples(snippet):
    teachnn.manual_seed(0)
    ns = run_snippet(snippet, "teachnn")
    output, target, loss = ns["output"], ns["target"], ns["loss"]
    assert tuple(output.shape) == (10, 5) and tuple(target.shape) == (10,)
    assert target._data.dtype == np.int64 and 0 <= target._data.min() and target._data.max() < 5
    # oracle 1: the definition, by loops
    x, t = output._data.astype(np.float64), target._data
    expected = np.mean([math.log(sum(math.exp(v) for v in x[i])) - x[i, t[i]]
                        for i in range(10)])
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-6)
    assert loss.shape == () and loss._data.dtype == np.float32
    # oracle 2: PyTorch on the same numbers
    if torch is not None:
        p_loss = torch.nn.functional.cross_entropy(torch.tensor(output._data),
                                                   torch.tensor(target._data))
        np.testing.assert_allclose(loss.item(), p_loss.item(), rtol=1e-6)


@requires_torch
def test_loss_examples_gradient_matches_torch():
    teachnn.manual_seed(1)
    ns = run_snippet(LOSS_OBJECT.replace("torch.randn(10, 5)",
                                         "torch.randn(10, 5, requires_grad=True)"), "teachnn")
    ns["loss"].backward()
    out = torch.tensor(ns["output"]._data, requires_grad=True)
    torch.nn.CrossEntropyLoss()(out, torch.tensor(ns["target"]._data)).backward()
    np.testing.assert_allclose(ns["output"].grad._data, out.grad.numpy(), rtol=1e-5,
                               atol=1e-7)


@requires_torch
def test_linear_example_matches_torch():
    torch.manual_seed(0)
    p_fc = run_snippet(LINEAR_LAYER, "torch")["fc"]
    t_fc = run_snippet(LINEAR_LAYER, "teachnn")["fc"]
    assert tuple(t_fc.weight.shape) == (32, 1024)
    x = np.random.default_rng(2).standard_normal((3, 1024))
    assert_models_agree(t_fc, p_fc, x)


@requires_torch
def test_sequential_three_ways_match_torch():
    torch.manual_seed(0)
    p_ns = run_snippet(SEQUENTIAL_THREE_WAYS, "torch")
    t_ns = run_snippet(SEQUENTIAL_THREE_WAYS, "teachnn")
    x = np.random.default_rng(3).standard_normal((2, 1, 12, 12))
    for name in ("model", "model2", "model3"):
        t_model, p_model = t_ns[name], p_ns[name]
        p_model = p_model.double()
        t_model = t_model.double()
        t_model.load_state_dict(p_model.state_dict())
        assert repr(t_model) == repr(p_model)
        out = t_model(Tensor(x.copy()))
        p_out = p_model(torch.tensor(x))
        np.testing.assert_allclose(to_numpy(out), to_numpy(p_out), rtol=1e-9, atol=1e-10)
        r = np.random.default_rng(4).standard_normal(p_out.shape)
        (out * Tensor(r)).sum().backward()
        (p_out * torch.tensor(r)).sum().backward()
        t_params = dict(t_model.named_parameters())
        for pname, p in p_model.named_parameters():
            np.testing.assert_allclose(to_numpy(t_params[pname].grad), p.grad.numpy(),
                                       rtol=1e-8, atol=1e-9, err_msg=f"{name}.{pname}")


@requires_torch
@pytest.mark.parametrize("snippet", [MODULE_LIST, MODULE_DICT], ids=["ModuleList", "ModuleDict"])
def test_container_modules_match_torch(snippet):
    torch.manual_seed(0)
    p_model = run_snippet(snippet, "torch")["model"].double()
    t_model = run_snippet(snippet, "teachnn")["model"].double()
    t_model.load_state_dict(p_model.state_dict())
    assert repr(t_model) == repr(p_model)
    x = np.random.default_rng(5).standard_normal((2, 1, 12, 12))
    out, p_out = t_model(Tensor(x.copy())), p_model(torch.tensor(x))
    np.testing.assert_allclose(to_numpy(out), to_numpy(p_out), rtol=1e-9, atol=1e-10)


@requires_torch
def test_my_model_with_preprocessing_matches_torch():
    torch.manual_seed(0)
    p_model = run_snippet(MY_MODEL, "torch")["model"]
    t_model = run_snippet(MY_MODEL, "teachnn")["model"]
    x = np.random.default_rng(6).standard_normal((3, 1, 12, 12))   # 12 -> 8 -> 4: 64*4*4
    assert_models_agree(t_model, p_model, x)


def test_only_the_imports_change():
    """The teachnn version of a snippet differs from the notes only in its import lines."""
    for snippet in (NN_RELU_VERSION, F_RELU_VERSION, LOSS_OBJECT, LOSS_FUNCTION, MY_MODEL):
        original = (HEADER_TORCH + textwrap.dedent(snippet)).splitlines()
        rewritten = to_teachnn(HEADER_TORCH + textwrap.dedent(snippet)).splitlines()
        changed = [(a, b) for a, b in zip(original, rewritten) if a != b]
        assert len(original) == len(rewritten)
        assert all(a.startswith("import torch") and b.startswith("import teachnn")
                   for a, b in changed)
