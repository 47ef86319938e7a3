"""The promise, checked on whole programs: code written for torch.nn runs on teachnn with only
the import changed, and gives the same numbers.

Each program below is written ONCE, the way a PyTorch user writes it (patterns from the
official beginner tutorials: tensors, autograd, building a model, the optimisation loop,
saving/loading, a small CNN, "learning PyTorch with examples"). It receives the library as
arguments - ``program(torch, nn, F, optim, data, env)`` - and returns a dict of everything a
learner would print. ``run_both`` runs it with PyTorch and with teachnn:

* the same data: NumPy arrays from ``env.data`` (drawn once, outside both libraries);
* the same initial weights: ``env.init(model)`` records the PyTorch model's ``state_dict()``
  on the PyTorch run and loads it into the teachnn model on the teachnn run (this also
  checks that the state_dict keys are the same);
* no randomness that cannot match: ``shuffle=False``, dropout only in eval mode.

Then every returned number is compared: integers, booleans, strings (with ``teachnn.`` read
as ``torch.``, the only difference the changed import may make) and shapes exactly,
floats with the tolerance stated per program (float32 arithmetic, different summation
orders: differences grow slowly over many training steps).
"""
import math
import re

import numpy as np
import pytest

import teachnn
from tests.parity import torch, requires_torch

pytestmark = requires_torch

TEACHNN_LIBS = (teachnn, teachnn.nn, teachnn.nn.functional, teachnn.optim, teachnn.utils.data)


def _torch_libs():
    import torch.nn.functional
    import torch.optim
    import torch.utils.data
    return (torch, torch.nn, torch.nn.functional, torch.optim, torch.utils.data)


class Env:
    """What a program gets besides the library: data arrays, a temp dir, shared initial weights."""

    def __init__(self, data, tmp_path, weights):
        self.data = data
        self.tmp = tmp_path
        self._weights = weights          # list of state dicts (NumPy), in init() call order
        self._recording = None
        self._next = 0

    def init(self, model):
        """Give ``model`` the same starting weights on both runs (PyTorch's draw)."""
        if self._recording:
            self._weights.append({k: v.detach().numpy().copy() for k, v in model.state_dict().items()})
        else:
            saved = self._weights[self._next]
            keys = list(model.state_dict().keys())
            assert keys == list(saved.keys()), f"state_dict keys differ: {keys} vs torch {list(saved)}"
            model.load_state_dict({k: teachnn.tensor(v) for k, v in saved.items()})
            self._next += 1
        return model


def _plain(value):
    """A returned value as something comparable: NumPy array, str, int, bool, tuple or list."""
    if hasattr(value, "detach"):
        return np.asarray(value.detach().numpy())
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (float, int)) and
                                                           not isinstance(v, bool) for v in value):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, str):   # printed text may name the library: 'teachnn.float32' = 'torch.float32'
        return value.replace("teachnn.", "torch.")
    return value


def _compare(name, ours, theirs, rtol, atol):
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), f"{name}: teachnn gave {type(ours).__name__}, torch an array"
        assert ours.shape == theirs.shape, f"{name}: shape {ours.shape} vs torch {theirs.shape}"
        assert ours.dtype == theirs.dtype, f"{name}: dtype {ours.dtype} vs torch {theirs.dtype}"
        if theirs.dtype.kind in "fc":
            np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol,
                                       err_msg=f"{name} differs from PyTorch")
        else:
            np.testing.assert_array_equal(ours, theirs, err_msg=f"{name} differs from PyTorch")
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=rtol, abs=atol), f"{name}: {ours} vs torch {theirs}"
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{name}: {ours} vs torch {theirs}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _compare(f"{name}[{i}]", a, b, rtol, atol)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{name}: keys {list(ours)} vs torch {list(theirs)}"
        for key in theirs:
            _compare(f"{name}[{key!r}]", ours[key], theirs[key], rtol, atol)
    elif isinstance(theirs, str) and isinstance(ours, str):
        _compare_printed(name, ours, theirs, rtol, atol)
    else:
        assert type(ours) is type(theirs) and ours == theirs, f"{name}: {ours!r} vs torch {theirs!r}"


_NUMBER = re.compile(r"-?\d+\.(\d+)(?:e[-+]?\d+)?")


def _compare_printed(name, ours, theirs, rtol, atol):
    """Printed text: the words exactly, each printed decimal number within the tolerance plus
    one unit of its last printed digit (two runs 1e-7 apart may round to different digits)."""
    assert _NUMBER.sub("#", ours) == _NUMBER.sub("#", theirs), f"{name}: {ours!r} vs torch {theirs!r}"
    for a, b in zip(_NUMBER.finditer(ours), _NUMBER.finditer(theirs)):
        last_digit = 10.0 ** -len(b.group(1)) if "e" not in b.group(0) else 0.0
        x, y = float(a.group(0)), float(b.group(0))
        assert abs(x - y) <= atol + rtol * abs(y) + last_digit * (1 + 1e-9), \
            f"{name}: printed {a.group(0)} vs torch {b.group(0)} in {theirs!r}"


def run_both(program, data, tmp_path, rtol, atol):
    """Run ``program`` with PyTorch, then teachnn; compare every returned value. Returns both."""
    weights = []
    env_torch = Env(data, tmp_path / "torch", weights)
    env_torch._recording = True
    env_ours = Env(data, tmp_path / "teachnn", weights)
    env_ours._recording = False
    for env in (env_torch, env_ours):
        env.tmp.mkdir(parents=True)
    # tests/parity sets one torch thread, but a teachnn conv call resets torch's OpenMP thread
    # count (shared runtime); on a loaded 2-core machine two threads make torch ~10x slower
    torch.set_num_threads(1)
    # PyTorch draws the starting weights (copied into teachnn by env.init): seed both so every
    # run starts from the same weights and the comparison is deterministic
    torch.manual_seed(0)
    teachnn.manual_seed(0)
    theirs = program(*_torch_libs(), env_torch)
    ours = program(*TEACHNN_LIBS, env_ours)
    assert env_ours._next == len(weights)
    assert list(ours) == list(theirs)
    for key in theirs:
        _compare(key, _plain(ours[key]), _plain(theirs[key]), rtol, atol)
    return ours, theirs


# ====================================================================================
# 1. Tensors (tutorial "Tensors"): creation, attributes, indexing, joining, arithmetic,
#    in-place operations, the NumPy bridge, broadcasting
# ====================================================================================
def tensors_program(torch, nn, F, optim, data, env):
    out = {}
    d = [[1, 2], [3, 4]]
    x_data = torch.tensor(d)
    out["x_data"] = x_data
    np_array = np.array(d)
    x_np = torch.from_numpy(np_array)
    out["x_np"] = x_np
    x_ones = torch.ones_like(x_data)
    out["x_ones"] = x_ones
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    out["x_rand shape/dtype"] = (tuple(x_rand.shape), str(x_rand.dtype).split(".")[-1])
    shape = (2, 3,)
    out["rand/ones/zeros"] = [tuple(torch.rand(shape).shape), torch.ones(shape), torch.zeros(shape)]
    tensor = torch.tensor(env.data["t44"])
    out["attributes"] = (tuple(tensor.shape), str(tensor.dtype).split(".")[-1], str(tensor.device))
    out["first row"] = tensor[0]
    out["first column"] = tensor[:, 0]
    out["last column"] = tensor[..., -1]
    tensor[:, 1] = 0
    out["after tensor[:,1] = 0"] = tensor
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    out["cat"] = t1
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    # (the tutorial's third form, torch.matmul(tensor, tensor.T, out=y3), is left out:
    #  teachnn has no out= yet)
    out["matmul x2"] = [y1, y2]
    z1 = tensor * tensor
    z2 = tensor.mul(tensor)
    out["mul x2"] = [z1, z2]
    agg = tensor.sum()
    agg_item = agg.item()
    out["agg_item"] = (agg_item, type(agg_item).__name__)
    tensor.add_(5)
    out["add_"] = tensor
    # the NumPy bridge: tensor and array share memory
    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    out["numpy after t.add_"] = n.copy()
    n = np.ones(5)
    t = torch.from_numpy(n)
    np.add(n, 1, out=n)
    out["tensor after np.add"] = t
    # more indexing and shape work (tutorial "Tensors", "60 minute blitz")
    a = torch.arange(24).reshape(2, 3, 4)
    out["a[1, :, ::2]"] = a[1, :, ::2]
    out["a[a > 20]"] = a[a > 20]
    out["a[:, [0, 2]]"] = a[:, [0, 2]]
    out["permute/view"] = a.permute(2, 0, 1).contiguous().view(4, -1)
    out["unsqueeze/squeeze"] = (tuple(a.unsqueeze(1).shape), tuple(a[:, :1].squeeze(1).shape))
    out["stack"] = torch.stack([a[0], a[1]], dim=-1).flatten()
    b = torch.tensor(env.data["b3"])
    c = torch.tensor(env.data["c41"])
    out["broadcast add/mul"] = [b + c, b * c - 1.5, (c / 2) ** 2]
    out["reductions"] = [b.mean(), c.std(), (b + c).max(dim=1).values, (b + c).argmax(dim=0),
                         (b + c).sum(dim=-1, keepdim=True)]
    out["comparisons"] = [(b > 0).sum().item(), torch.where(c > 0, c, torch.zeros_like(c))]
    out["dtype conversion"] = [a.float().mean(), (a % 3 == 0).long().sum(), a.to(torch.float64).std()]
    out["clamp/abs/exp"] = [b.clamp(min=-0.5, max=0.5), b.abs().sqrt(), torch.exp(b).log()]
    # what print() shows (text compared word for word, numbers within tolerance)
    w = torch.tensor(env.data["c41"], requires_grad=True)
    out["printed"] = [str(x_data), str(tensor), str(t1), str(agg), str(b), str(a), str(a > 20),
                      str(a.to(torch.float64) / 7), str(torch.arange(2000) * 0.5), str(x_data.shape),
                      str(x_data.dtype), str(w), str(w * 2), str((w * 2).sum()), str(torch.tensor(3.5)),
                      str(torch.zeros(0, 3)), str(torch.tensor([1e-5, 1e5, float("nan")])),
                      str(nn.Parameter(torch.ones(2)))]
    return out


def test_tensors_tutorial(tmp_path):
    rng = np.random.default_rng(1)
    data = {"t44": np.ones((4, 4), dtype=np.float32) + np.arange(16, dtype=np.float32).reshape(4, 4) / 8,
            "b3": rng.standard_normal(3).astype(np.float32),
            "c41": rng.standard_normal((4, 1)).astype(np.float32)}
    run_both(tensors_program, data, tmp_path, rtol=1e-6, atol=1e-7)


# ====================================================================================
# 2. Autograd (tutorials "Automatic Differentiation" and "A gentle introduction to autograd")
# ====================================================================================
def autograd_program(torch, nn, F, optim, data, env):
    out = {}
    x = torch.ones(5)                                    # input tensor
    y = torch.zeros(3)                                   # expected output
    w = torch.tensor(env.data["w"], requires_grad=True)
    b = torch.tensor(env.data["b"], requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    out["loss"] = loss
    out["grad_fn names"] = (type(z.grad_fn).__name__, type(loss.grad_fn).__name__)
    loss.backward()
    out["w.grad"] = w.grad
    out["b.grad"] = b.grad
    out["z.requires_grad"] = z.requires_grad
    with torch.no_grad():
        z = torch.matmul(x, w) + b
    out["under no_grad"] = z.requires_grad
    z = torch.matmul(x, w) + b
    z_det = z.detach()
    out["detach"] = (z_det.requires_grad, z.requires_grad, z_det.grad_fn is None)
    # Optional reading: Jacobian-vector products, accumulation, zeroing
    inp = torch.eye(4, 5, requires_grad=True)
    o = (inp + 1).pow(2).t()
    o.backward(torch.ones_like(o), retain_graph=True)
    out["first call"] = inp.grad.clone()
    o.backward(torch.ones_like(o))
    out["second call"] = inp.grad.clone()
    inp.grad.zero_()
    o = (inp + 1).pow(2).t()
    o.backward(torch.ones_like(o))
    out["call after zeroing"] = inp.grad
    # A gentle introduction: Q = 3a^3 - b^2, dQ/da = 9a^2, dQ/db = -2b
    a = torch.tensor([2., 3.], requires_grad=True)
    b = torch.tensor([6., 4.], requires_grad=True)
    Q = 3 * a ** 3 - b ** 2
    external_grad = torch.tensor([1., 1.])
    Q.backward(gradient=external_grad)
    out["9*a**2 == a.grad"] = (9 * a ** 2 == a.grad).tolist()
    out["-2*b == b.grad"] = (-2 * b == b.grad).tolist()
    out["a.grad"] = a.grad
    # leaves, requires_grad_ and freezing (the tutorial's "Exclusion from the DAG")
    x = torch.rand(5, 5)
    y = torch.rand(5, 5)
    zz = torch.rand((5, 5), requires_grad=True)
    out["exclusion"] = ((x + y).requires_grad, (x + zz).requires_grad, x.is_leaf, (x + zz).is_leaf)
    model = env.init(nn.Linear(4, 2))
    for param in model.parameters():
        param.requires_grad = False
    model.weight.requires_grad_(True)
    model(torch.tensor(env.data["x4"])).sum().backward()
    out["frozen bias"] = (model.bias.grad is None, model.weight.grad)
    # torch.autograd.grad and a non-scalar backward through a small network
    h = torch.tensor(env.data["x4"], requires_grad=True)
    s = (torch.tanh(h) * torch.sigmoid(h)).sum()
    (g,) = torch.autograd.grad(s, h)
    out["autograd.grad"] = g
    return out


def test_autograd_tutorial(tmp_path):
    rng = np.random.default_rng(2)
    data = {"w": rng.standard_normal((5, 3)).astype(np.float32),
            "b": rng.standard_normal(3).astype(np.float32),
            "x4": rng.standard_normal((3, 4)).astype(np.float32)}
    run_both(autograd_program, data, tmp_path, rtol=1e-5, atol=1e-6)


# ====================================================================================
# 3. Build the model (tutorial "Build the Neural Network"): subclassing nn.Module
# ====================================================================================
def build_model_program(torch, nn, F, optim, data, env):
    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(8 * 8, 32),
                nn.ReLU(),
                nn.Linear(32, 32),
                nn.ReLU(),
                nn.Linear(32, 10),
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    out = {}
    model = env.init(NeuralNetwork())
    out["print(model)"] = str(model)
    X = torch.tensor(env.data["images"])                 # (3, 8, 8)
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    out["logits"] = logits
    out["pred_probab"] = pred_probab
    out["Predicted class"] = y_pred
    # the tutorial's layer-by-layer walk
    input_image = X
    flat_image = nn.Flatten()(input_image)
    out["flat_image.size()"] = tuple(flat_image.size())
    layer1 = model.linear_relu_stack[0]
    hidden1 = layer1(flat_image)
    out["hidden1 before/after ReLU"] = [hidden1, nn.ReLU()(hidden1)]
    softmax = nn.Softmax(dim=1)
    out["softmax sums"] = softmax(logits).sum(dim=1)
    out["parameters"] = [(name, tuple(param.size()), param[:2].detach().clone())
                         for name, param in model.named_parameters()]
    out["n parameters"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    out["modules"] = [type(m).__name__ for m in model.modules()]
    out["children"] = [name for name, _ in model.named_children()]
    # functional forms and log-softmax/NLL are the same numbers as CrossEntropy
    target = torch.tensor(env.data["labels3"])
    out["losses"] = [F.cross_entropy(logits, target), F.nll_loss(F.log_softmax(logits, dim=1), target),
                     nn.CrossEntropyLoss(reduction="sum")(logits, target)]
    return out


def test_build_model_tutorial(tmp_path):
    rng = np.random.default_rng(3)
    data = {"images": rng.random((3, 8, 8)).astype(np.float32),
            "labels3": np.array([1, 7, 3])}
    run_both(build_model_program, data, tmp_path, rtol=1e-5, atol=1e-6)


# ====================================================================================
# 4. Optimising the model parameters (tutorials "Datasets & DataLoaders" and
#    "Optimizing Model Parameters"): the full training loop
# ====================================================================================
def training_loop_program(torch, nn, F, optim, data, env):
    TensorDataset, DataLoader, Dataset = data.TensorDataset, data.DataLoader, data.Dataset

    class BlobDataset(Dataset):            # a custom Dataset, as in "Datasets & DataLoaders"
        def __init__(self, features, labels, transform=None):
            self.features = features
            self.labels = labels
            self.transform = transform

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, idx):
            x = torch.tensor(self.features[idx])
            if self.transform:
                x = self.transform(x)
            return x, int(self.labels[idx])

    training_data = BlobDataset(env.data["x_train"], env.data["y_train"],
                                transform=lambda x: (x - 0.5) * 2)
    test_data = TensorDataset(torch.tensor((env.data["x_test"] - 0.5) * 2), torch.tensor(env.data["y_test"]))
    batch_size = 16
    train_dataloader = DataLoader(training_data, batch_size=batch_size, shuffle=False)
    test_dataloader = DataLoader(test_data, batch_size=batch_size)

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(nn.Linear(2 * 3, 16), nn.ReLU(), nn.Linear(16, 16),
                                                   nn.ReLU(), nn.Linear(16, 4))

        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))

    log = {"train losses": [], "test loss": [], "accuracy": [], "first batch": None}

    def train_loop(dataloader, model, loss_fn, optimizer):
        size = len(dataloader.dataset)
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            if log["first batch"] is None:
                log["first batch"] = (tuple(X.shape), str(X.dtype), tuple(y.shape), str(y.dtype), y)
            pred = model(X)
            loss = loss_fn(pred, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            loss, current = loss.item(), batch * batch_size + len(X)
            log["train losses"].append(loss)
            assert current <= size

    def test_loop(dataloader, model, loss_fn):
        model.eval()
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        test_loss, correct = 0, 0
        with torch.no_grad():
            for X, y in dataloader:
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        test_loss /= num_batches
        correct /= size
        log["test loss"].append(test_loss)
        log["accuracy"].append(correct)

    out = {}
    for opt_name in ("SGD", "Adam"):
        model = env.init(NeuralNetwork())
        learning_rate = 1e-1 if opt_name == "SGD" else 1e-2
        loss_fn = nn.CrossEntropyLoss()
        if opt_name == "SGD":
            optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
        log = {"train losses": [], "test loss": [], "accuracy": [], "first batch": None}
        epochs = 4
        for t in range(epochs):
            train_loop(train_dataloader, model, loss_fn, optimizer)
            test_loop(test_dataloader, model, loss_fn)
        out[f"print({opt_name})"] = str(optimizer)
        for key, value in log.items():
            out[f"{opt_name}: {key}"] = value
        out[f"{opt_name}: final weights"] = [p.detach().clone() for p in model.parameters()]
    return out


def _blobs(rng, n, centers):
    """Four Gaussian blobs in 6-d (shaped (2, 3) so that Flatten has work to do)."""
    labels = rng.integers(0, len(centers), size=n)
    x = centers[labels] + 0.35 * rng.standard_normal((n, 2, 3))
    return x.astype(np.float32), labels.astype(np.int64)


def test_training_loop_tutorial(tmp_path):
    rng = np.random.default_rng(4)
    centers = 3 * rng.random((4, 2, 3))
    x_train, y_train = _blobs(rng, 96, centers)
    x_test, y_test = _blobs(rng, 40, centers)
    data = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    ours, theirs = run_both(training_loop_program, data, tmp_path, rtol=2e-4, atol=2e-5)
    # the comparison is about a model that really learns
    assert theirs["Adam: accuracy"][-1] > 0.6 and theirs["Adam: train losses"][-1] < theirs["Adam: train losses"][0]


# ====================================================================================
# 5. A small CNN (tutorial "Training a Classifier", scaled down): Conv2d, BatchNorm2d, ReLU,
#    MaxPool2d, Dropout (kept out of training, active only through eval()), Flatten, Linear
# ====================================================================================
def cnn_program(torch, nn, F, optim, data, env):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(4)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(4, 6, 3)
            self.dropout = nn.Dropout(0.25)
            self.flatten = nn.Flatten()
            self.fc1 = nn.Linear(6 * 2 * 2, 16)
            self.fc2 = nn.Linear(16, 3)

        def forward(self, x):
            x = self.pool(F.relu(self.bn1(self.conv1(x))))      # (N, 1, 12, 12) -> (N, 4, 6, 6)
            x = self.pool(F.relu(self.conv2(x)))                # -> (N, 6, 4, 4) -> (N, 6, 2, 2)
            x = self.flatten(x)                                 # -> (N, 24)
            x = self.dropout(F.relu(self.fc1(x)))
            return self.fc2(x)

    out = {}
    net = env.init(Net())
    out["print(net)"] = str(net)
    trainset = data.TensorDataset(torch.tensor(env.data["x_train"]), torch.tensor(env.data["y_train"]))
    testset = data.TensorDataset(torch.tensor(env.data["x_test"]), torch.tensor(env.data["y_test"]))
    trainloader = data.DataLoader(trainset, batch_size=8, shuffle=False)
    testloader = data.DataLoader(testset, batch_size=10, shuffle=False)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

    losses = []
    for epoch in range(3):
        running_loss = 0.0
        net.train()
        # dropout draws random masks that cannot match between two libraries: switch just the
        # Dropout layers to eval mode (BatchNorm keeps training and updating its statistics)
        net.apply(lambda m: m.eval() if isinstance(m, nn.Dropout) else None)
        for i, (inputs, labels) in enumerate(trainloader, 0):
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            losses.append(loss.item())
        out[f"epoch {epoch} running loss"] = running_loss / len(trainloader)
    out["losses"] = losses
    out["bn running stats"] = [net.bn1.running_mean, net.bn1.running_var, net.bn1.num_batches_tracked]
    out["conv1 grad"] = net.conv1.weight.grad

    correct, total = 0, 0
    net.eval()
    with torch.no_grad():
        for images, labels in testloader:
            outputs = net(images)
            _, predicted = torch.max(outputs.data, 1)      # as the tutorial writes it
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    out["accuracy"] = 100 * correct // total
    with torch.no_grad():
        logits = net(torch.tensor(env.data["x_test"]))
    out["test logits"] = logits
    out["predicted"] = logits.argmax(dim=1)
    out["training flags"] = [m.training for m in net.modules()]
    return out


def _shapes_data(rng, n):
    """12x12 pictures of a horizontal bar, a vertical bar or a square, with noise (labels 0/1/2)."""
    labels = rng.integers(0, 3, size=n)
    x = 0.3 * rng.standard_normal((n, 1, 12, 12))
    for i, label in enumerate(labels):
        r, c = rng.integers(2, 8, size=2)
        if label == 0:
            x[i, 0, r, 1:11] += 2.0
        elif label == 1:
            x[i, 0, 1:11, c] += 2.0
        else:
            x[i, 0, r:r + 4, c:c + 4] += 2.0
    return x.astype(np.float32), labels.astype(np.int64)


def test_cnn_tutorial(tmp_path):
    rng = np.random.default_rng(5)
    x_train, y_train = _shapes_data(rng, 48)
    x_test, y_test = _shapes_data(rng, 30)
    data = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    ours, theirs = run_both(cnn_program, data, tmp_path, rtol=5e-4, atol=5e-5)
    assert theirs["losses"][-1] < theirs["losses"][0]


# ====================================================================================
# 6. Save and load (tutorials "Save and Load the Model" and "Saving and loading a general
#    checkpoint"): state_dict through torch.save/torch.load, resuming training
# ====================================================================================
def checkpoint_program(torch, nn, F, optim, data, env):
    def make_model():
        # bias=False before BatchNorm (the usual practice): that bias gets an exactly-zero
        # gradient in exact arithmetic, i.e. rounding noise that Adam would blow up to +-lr
        return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8),
                             nn.ReLU(), nn.Linear(8, 2))

    X = torch.tensor(env.data["x"])
    y = torch.tensor(env.data["y"])
    loss_fn = nn.MSELoss()

    def train(model, optimizer, steps):
        model.train()
        losses = []
        for _ in range(steps):
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    out = {}
    model = env.init(make_model())
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    out["first losses"] = train(model, optimizer, 5)
    # save only the weights, load them into a fresh model
    PATH = str(env.tmp / "model_weights.pth")
    torch.save(model.state_dict(), PATH)
    model2 = make_model()
    result = model2.load_state_dict(torch.load(PATH, weights_only=True))
    out["load result"] = (list(result.missing_keys), list(result.unexpected_keys))
    model.eval()
    model2.eval()
    with torch.no_grad():
        out["same outputs after load"] = torch.equal(model(X), model2(X))
        out["eval outputs"] = model2(X)
    # a general checkpoint: epoch, model, optimiser, loss
    CKPT = str(env.tmp / "checkpoint.pt")
    torch.save({"epoch": 5, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "loss": out["first losses"][-1]}, CKPT)
    model3 = make_model()
    optimizer3 = optim.Adam(model3.parameters(), lr=0.01)
    checkpoint = torch.load(CKPT, weights_only=True)
    model3.load_state_dict(checkpoint["model_state_dict"])
    optimizer3.load_state_dict(checkpoint["optimizer_state_dict"])
    out["checkpoint epoch/loss"] = (checkpoint["epoch"], checkpoint["loss"])
    out["optimizer state keys"] = sorted(checkpoint["optimizer_state_dict"]["state"].keys())
    out["param_groups"] = [dict(g) for g in checkpoint["optimizer_state_dict"]["param_groups"]]
    out["print(optimizer)"] = str(optimizer3)
    # resuming gives the same losses as never stopping
    out["resumed losses"] = train(model3, optimizer3, 4)
    out["continued losses"] = train(model, optimizer, 4)
    return out


def test_checkpoint_tutorial(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((20, 5)).astype(np.float32)
    data = {"x": x, "y": np.stack([np.sin(x[:, 0]), x[:, 1] * x[:, 2]], axis=1).astype(np.float32)}
    ours, theirs = run_both(checkpoint_program, data, tmp_path, rtol=1e-4, atol=1e-5)
    assert theirs["resumed losses"] == theirs["continued losses"]      # the program's own claim
    assert ours["resumed losses"] == ours["continued losses"]


# ====================================================================================
# 7. A PyTorch model's weights in the teachnn twin: load_state_dict(torch_model.state_dict())
# ====================================================================================
@pytest.mark.parametrize("make", ["mlp", "cnn"])
def test_torch_state_dict_loads_into_teachnn_twin(make):
    import torch.nn as tnn
    import teachnn.nn as nn

    def twin(lib_nn):
        if make == "mlp":
            return lib_nn.Sequential(lib_nn.Linear(6, 10), lib_nn.ReLU(), lib_nn.LayerNorm(10),
                                     lib_nn.Linear(10, 3))
        return lib_nn.Sequential(lib_nn.Conv2d(2, 3, 3, stride=2, padding=1), lib_nn.BatchNorm2d(3),
                                 lib_nn.ReLU(), lib_nn.AvgPool2d(2), lib_nn.Flatten(), lib_nn.Linear(12, 3))

    rng = np.random.default_rng(7)
    shape = (4, 6) if make == "mlp" else (4, 2, 8, 8)
    x = rng.standard_normal(shape).astype(np.float32)
    torch.manual_seed(0)
    t_model = twin(tnn)
    t_model.train()
    t_model(torch.tensor(x))                     # one train-mode pass: BatchNorm statistics move
    t_model.eval()
    ours = twin(nn)
    ours.load_state_dict(t_model.state_dict())   # PyTorch tensors, straight in
    ours.eval()
    assert list(ours.state_dict()) == list(t_model.state_dict())
    for (k, a), (_, b) in zip(ours.state_dict().items(), t_model.state_dict().items()):
        np.testing.assert_array_equal(np.asarray(a._data), b.numpy(), err_msg=k)
        assert np.asarray(a._data).dtype == b.numpy().dtype, k
    with torch.no_grad():
        expected = t_model(torch.tensor(x)).numpy()
    with teachnn.no_grad():
        got = ours(teachnn.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# ====================================================================================
# the harness itself can fail
# ====================================================================================
def test_run_both_notices_a_difference(tmp_path):
    def program(torch, nn, F, optim, data, env):
        off = 1e-3 if torch is teachnn else 0.0          # a teachnn that is slightly wrong
        return {"value": torch.tensor([1.0, 2.0]) + off}

    with pytest.raises(AssertionError, match="value differs from PyTorch"):
        run_both(program, {}, tmp_path, rtol=1e-5, atol=1e-6)

    def program_keys(torch, nn, F, optim, data, env):
        return {"printed": str(torch.float64).replace("torch", "teachnn") + ("!" if torch is teachnn else "")}

    with pytest.raises(AssertionError, match="printed"):
        run_both(program_keys, {}, tmp_path / "second", rtol=1e-5, atol=1e-6)


# ====================================================================================
# 8. "Learning PyTorch with Examples": fitting y = sin(x) with a third-order polynomial,
#    by hand with autograd, with a custom autograd.Function, with nn, with optim, and with
#    a custom nn.Module
# ====================================================================================
def polynomial_program(torch, nn, F, optim, data, env):
    out = {}
    steps = env.data["steps"]
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    out["x, y"] = [x, y]

    # --- tensors and autograd, updated by hand
    dtype = torch.float
    a, b, c, d = (torch.tensor(v, dtype=dtype, requires_grad=True) for v in env.data["abcd"])
    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 50 == 49:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    out["autograd losses"] = losses
    out["autograd result"] = f"y = {a.item():.5f} + {b.item():.5f} x + {c.item():.5f} x^2 + {d.item():.5f} x^3"

    # --- a new autograd Function: the Legendre polynomial P3
    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    a, b, c, d = (torch.full((), v, dtype=dtype, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
    learning_rate = 5e-6
    losses = []
    for t in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 50 == 49:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= learning_rate * p.grad
                p.grad = None
    out["legendre losses"] = losses
    out["legendre coefficients"] = [a, b, c, d]

    # --- nn: the polynomial as a Linear layer on (x, x^2, x^3)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)                             # (2000, 1) -> (2000, 3)
    out["xx"] = xx
    model = env.init(torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 50 == 49:
            losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    out["nn losses"] = losses
    out["nn result"] = (f"y = {linear_layer.bias.item():.5f} + {linear_layer.weight[:, 0].item():.5f} x + "
                        f"{linear_layer.weight[:, 1].item():.5f} x^2 + {linear_layer.weight[:, 2].item():.5f} x^3")

    # --- optim: RMSprop does the update
    model = env.init(torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)))
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for t in range(steps):
        loss = loss_fn(model(xx), y)
        if t % 50 == 49:
            losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    out["rmsprop losses"] = losses
    out["rmsprop weights"] = [model[0].weight, model[0].bias]

    # --- a custom nn.Module with four scalar Parameters, trained with SGD
    class Polynomial3(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

        def string(self):
            return f"y = {self.a.item():.5f} + {self.b.item():.5f} x + {self.c.item():.5f} x^2 + {self.d.item():.5f} x^3"

    model = env.init(Polynomial3())
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    losses = []
    for t in range(steps):
        loss = criterion(model(x), y)
        if t % 50 == 49:
            losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    out["module losses"] = losses
    out["module named parameters"] = [(n, p.shape) for n, p in model.named_parameters()]
    return out


def test_learning_pytorch_with_examples(tmp_path):
    rng = np.random.default_rng(8)
    data = {"steps": 150, "abcd": [float(v) for v in rng.standard_normal(4).astype(np.float32)]}
    ours, theirs = run_both(polynomial_program, data, tmp_path, rtol=2e-4, atol=1e-5)
    # the fits really improve (the comparison is not between two flat lines)
    for key in ("autograd losses", "nn losses", "rmsprop losses", "module losses"):
        assert theirs[key][-1] < theirs[key][0], key


def test_printed_numbers_compare_by_value_and_words_exactly():
    _compare_printed("ok", "y = 0.48466 x", "y = 0.48467 x", 1e-6, 1e-7)          # last-digit rounding
    with pytest.raises(AssertionError):
        _compare_printed("far", "y = 0.48460 x", "y = 0.48467 x", 1e-6, 1e-7)
    with pytest.raises(AssertionError):
        _compare_printed("words", "y = 0.48467 z", "y = 0.48467 x", 1e-6, 1e-7)


# ====================================================================================
# 9. Transfer learning (tutorial "Transfer Learning for Computer Vision"): a "pretrained"
#    backbone, frozen; a new head; train/val phases with set_grad_enabled; StepLR; the best
#    weights saved and restored
# ====================================================================================
def transfer_learning_program(torch, nn, F, optim, data, env):
    import copy
    lr_scheduler = optim.lr_scheduler

    class SmallNet(nn.Module):                   # stands in for models.resnet18(weights=...)
        def __init__(self, num_classes=10):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU(),
                                          nn.MaxPool2d(2), nn.Conv2d(6, 8, 3), nn.ReLU(),
                                          nn.AdaptiveAvgPool2d((1, 1)))
            self.fc = nn.Linear(8, num_classes)

        def forward(self, x):
            return self.fc(torch.flatten(self.features(x), 1))

    image_datasets = {phase: data.TensorDataset(torch.tensor(env.data[f"x_{phase}"]),
                                                torch.tensor(env.data[f"y_{phase}"]))
                      for phase in ["train", "val"]}
    dataloaders = {phase: data.DataLoader(image_datasets[phase], batch_size=6, shuffle=False)
                   for phase in ["train", "val"]}
    dataset_sizes = {phase: len(image_datasets[phase]) for phase in ["train", "val"]}
    log = []

    def train_model(model, criterion, optimizer, scheduler, num_epochs):
        best_model_params_path = str(env.tmp / "best_model_params.pt")
        torch.save(model.state_dict(), best_model_params_path)
        best_model_wts = copy.deepcopy(model.state_dict())
        best_acc = 0.0
        for epoch in range(num_epochs):
            log.append(f"Epoch {epoch}/{num_epochs - 1}")
            for phase in ["train", "val"]:
                if phase == "train":
                    model.train()
                else:
                    model.eval()
                running_loss = 0.0
                running_corrects = 0
                for inputs, labels in dataloaders[phase]:
                    optimizer.zero_grad()
                    with torch.set_grad_enabled(phase == "train"):
                        outputs = model(inputs)
                        _, preds = torch.max(outputs, 1)
                        loss = criterion(outputs, labels)
                        if phase == "train":
                            loss.backward()
                            optimizer.step()
                    running_loss += loss.item() * inputs.size(0)
                    running_corrects += torch.sum(preds == labels.data)
                if phase == "train":
                    scheduler.step()
                epoch_loss = running_loss / dataset_sizes[phase]
                epoch_acc = running_corrects.double() / dataset_sizes[phase]
                log.append(f"{phase} Loss: {epoch_loss:.4f} Acc: {epoch_acc:.4f} lr: {scheduler.get_last_lr()[0]:.5f}")
                if phase == "val" and epoch_acc > best_acc:
                    best_acc = epoch_acc
                    best_model_wts = copy.deepcopy(model.state_dict())
                    torch.save(model.state_dict(), best_model_params_path)
        log.append(f"Best val Acc: {best_acc:4f}")
        model.load_state_dict(torch.load(best_model_params_path, weights_only=True))
        same = all(torch.equal(v, best_model_wts[k]) for k, v in model.state_dict().items())
        return model, same

    out = {}
    model_conv = env.init(SmallNet())
    for param in model_conv.parameters():
        param.requires_grad = False
    num_ftrs = model_conv.fc.in_features
    model_conv.fc = env.init(nn.Linear(num_ftrs, 3))        # new layers require grad by default
    out["trainable"] = [name for name, p in model_conv.named_parameters() if p.requires_grad]
    criterion = nn.CrossEntropyLoss()
    optimizer_conv = optim.SGD(model_conv.fc.parameters(), lr=0.05, momentum=0.9)
    exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=2, gamma=0.1)
    model_conv, same = train_model(model_conv, criterion, optimizer_conv, exp_lr_scheduler, num_epochs=4)
    out["log"] = log
    out["best weights restored"] = same
    out["state after training"] = [v for v in model_conv.state_dict().values()]
    out["frozen features have no grad"] = [p.grad is None for p in model_conv.features.parameters()]
    model_conv.eval()
    with torch.no_grad():
        out["val predictions"] = model_conv(torch.tensor(env.data["x_val"])).argmax(1)
    return out


def test_transfer_learning_tutorial(tmp_path):
    rng = np.random.default_rng(9)
    x_train, y_train = _shapes_data(rng, 36)
    x_val, y_val = _shapes_data(rng, 24)
    data = {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val}
    ours, theirs = run_both(transfer_learning_program, data, tmp_path, rtol=2e-4, atol=2e-5)
    assert theirs["trainable"] == ["fc.weight", "fc.bias"]


# ====================================================================================
# 10. The 60-minute blitz "Neural Networks" (LeNet on one 32x32 picture) and the Quickstart's
#     train/test functions with their printed lines
# ====================================================================================
def lenet_program(torch, nn, F, optim, data, env):
    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, input):
            c1 = F.relu(self.conv1(input))            # (N, 1, 32, 32) -> (N, 6, 28, 28)
            s2 = F.max_pool2d(c1, (2, 2))             # -> (N, 6, 14, 14)
            c3 = F.relu(self.conv2(s2))               # -> (N, 16, 10, 10)
            s4 = F.max_pool2d(c3, 2)                  # -> (N, 16, 5, 5)
            s4 = torch.flatten(s4, 1)                 # -> (N, 400)
            f5 = F.relu(self.fc1(s4))
            f6 = F.relu(self.fc2(f5))
            output = self.fc3(f6)
            return output

    out = {}
    net = env.init(Net())
    out["print(net)"] = str(net)
    params = list(net.parameters())
    out["len(params)"] = len(params)
    out["params[0].size()"] = str(params[0].size())
    input = torch.tensor(env.data["input"])
    output = net(input)
    out["out"] = output
    net.zero_grad()
    output.backward(torch.tensor(env.data["out_grad"]))
    out["grads after out.backward"] = [p.grad.clone() for p in net.parameters()]
    output = net(input)
    target = torch.tensor(env.data["target"])
    target = target.view(1, -1)
    criterion = nn.MSELoss()
    loss = criterion(output, target)
    out["loss"] = loss
    out["loss.grad_fn"] = type(loss.grad_fn).__name__
    out["loss.grad_fn.next_functions[0][0]"] = type(loss.grad_fn.next_functions[0][0]).__name__
    net.zero_grad()
    out["conv1.bias.grad before backward"] = net.conv1.bias.grad is None
    loss.backward()
    out["conv1.bias.grad after backward"] = net.conv1.bias.grad
    optimizer = optim.SGD(net.parameters(), lr=0.01)
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        output = net(input)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    out["losses"] = losses
    return out


def test_blitz_neural_networks_tutorial(tmp_path):
    rng = np.random.default_rng(10)
    data = {"input": rng.standard_normal((1, 1, 32, 32)).astype(np.float32),
            "out_grad": rng.standard_normal((1, 10)).astype(np.float32),
            "target": rng.standard_normal(10).astype(np.float32)}
    run_both(lenet_program, data, tmp_path, rtol=1e-4, atol=1e-6)


def quickstart_program(torch, nn, F, optim, data, env):
    DataLoader = data.DataLoader
    training_data = data.TensorDataset(torch.tensor(env.data["x_train"]), torch.tensor(env.data["y_train"]))
    test_data = data.TensorDataset(torch.tensor(env.data["x_test"]), torch.tensor(env.data["y_test"]))
    batch_size = 16
    train_dataloader = DataLoader(training_data, batch_size=batch_size)
    test_dataloader = DataLoader(test_data, batch_size=batch_size)
    printed = []
    for X, y in test_dataloader:
        printed.append(f"Shape of X [N, C, H, W]: {X.shape}")
        printed.append(f"Shape of y: {y.shape} {y.dtype}")
        break
    # (the Quickstart picks torch.accelerator here; teachnn has no accelerator module: see report)
    device = "cpu"
    printed.append(f"Using {device} device")

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(12 * 12, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    model = env.init(NeuralNetwork()).to(device)
    printed.append(str(model))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)

    def train(dataloader, model, loss_fn, optimizer):
        size = len(dataloader.dataset)
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            X, y = X.to(device), y.to(device)
            pred = model(X)
            loss = loss_fn(pred, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if batch % 2 == 0:
                loss, current = loss.item(), (batch + 1) * len(X)
                printed.append(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")

    def test(dataloader, model, loss_fn):
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            for X, y in dataloader:
                X, y = X.to(device), y.to(device)
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        test_loss /= num_batches
        correct /= size
        printed.append(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")

    epochs = 3
    for t in range(epochs):
        printed.append(f"Epoch {t+1}\n-------------------------------")
        train(train_dataloader, model, loss_fn, optimizer)
        test(test_dataloader, model, loss_fn)
    printed.append("Done!")
    torch.save(model.state_dict(), str(env.tmp / "model.pth"))
    model = NeuralNetwork().to(device)
    model.load_state_dict(torch.load(str(env.tmp / "model.pth"), weights_only=True))
    classes = ["bar -", "bar |", "square"]
    model.eval()
    x, y = test_data[0][0], test_data[0][1]
    with torch.no_grad():
        x = x.to(device)
        pred = model(x.unsqueeze(0))
        predicted, actual = classes[pred[0].argmax(0)], classes[y]
        printed.append(f'Predicted: "{predicted}", Actual: "{actual}"')
    return {"printed": printed}


def test_quickstart_tutorial(tmp_path):
    rng = np.random.default_rng(11)
    x_train, y_train = _shapes_data(rng, 64)
    x_test, y_test = _shapes_data(rng, 32)
    data = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    ours, theirs = run_both(quickstart_program, data, tmp_path, rtol=1e-4, atol=1e-6)
    assert len(theirs["printed"]) == 18 and theirs["printed"][-1].startswith("Predicted")


# ====================================================================================
# 11. Data pipelines (tutorials "Datasets & DataLoaders" and "Writing Custom Datasets,
#     DataLoaders and Transforms"): dict samples holding NumPy arrays, transforms as callable
#     classes, Subset/ConcatDataset, drop_last, a custom collate_fn
# ====================================================================================
def data_pipeline_program(torch, nn, F, optim, data, env):
    class LandmarksDataset(data.Dataset):
        def __init__(self, images, landmarks, transform=None):
            self.images = images
            self.landmarks = landmarks
            self.transform = transform

        def __len__(self):
            return len(self.images)

        def __getitem__(self, idx):
            if torch.is_tensor(idx):
                idx = idx.tolist()
            sample = {"image": self.images[idx], "landmarks": self.landmarks[idx].reshape(-1, 2)}
            if self.transform:
                sample = self.transform(sample)
            return sample

    class RandomishCrop:              # the tutorial's RandomCrop, with a fixed offset
        def __init__(self, output_size, offset):
            self.output_size = output_size
            self.offset = offset

        def __call__(self, sample):
            image, landmarks = sample["image"], sample["landmarks"]
            top, left = self.offset
            new_h, new_w = self.output_size
            image = image[top: top + new_h, left: left + new_w]
            landmarks = landmarks - [left, top]
            return {"image": image, "landmarks": landmarks}

    class ToTensor:
        def __call__(self, sample):
            image, landmarks = sample["image"], sample["landmarks"]
            image = image.transpose((2, 0, 1))           # H x W x C -> C x H x W
            return {"image": torch.from_numpy(image), "landmarks": torch.from_numpy(landmarks)}

    class Compose:
        def __init__(self, transforms):
            self.transforms = transforms

        def __call__(self, sample):
            for t in self.transforms:
                sample = t(sample)
            return sample

    out = {}
    transformed_dataset = LandmarksDataset(env.data["images"], env.data["landmarks"],
                                           transform=Compose([RandomishCrop((6, 5), (1, 2)), ToTensor()]))
    out["len"] = len(transformed_dataset)
    for i, sample in enumerate(transformed_dataset):
        out[f"sample {i} sizes"] = (tuple(sample["image"].size()), tuple(sample["landmarks"].size()))
        if i == 2:
            break
    dataloader = data.DataLoader(transformed_dataset, batch_size=4, shuffle=False)
    for i_batch, sample_batched in enumerate(dataloader):
        out[f"batch {i_batch}"] = [sample_batched["image"], sample_batched["landmarks"]]
    # Subset, ConcatDataset, drop_last, len
    tensors = data.TensorDataset(torch.tensor(env.data["x"]), torch.tensor(env.data["y"]))
    first, second = data.Subset(tensors, list(range(0, 7))), data.Subset(tensors, [9, 8, 7])
    both = data.ConcatDataset([first, second])
    loader = data.DataLoader(both, batch_size=4, drop_last=True)
    out["concat len / batches"] = (len(both), len(loader))
    out["concat batches"] = [(x, y) for x, y in loader]
    train_features, train_labels = next(iter(data.DataLoader(tensors, batch_size=5)))
    out["next(iter(loader))"] = [train_features, train_labels]

    # a collate_fn that pads sequences of different lengths
    def pad_collate(batch):
        lengths = [len(seq) for seq, _ in batch]
        padded = torch.zeros(len(batch), max(lengths))
        for i, (seq, _) in enumerate(batch):
            padded[i, :len(seq)] = seq
        return padded, torch.tensor(lengths), torch.tensor([label for _, label in batch])

    sequences = [(torch.tensor(env.data["x"][i, : 2 + i % 3]), i % 2) for i in range(6)]
    out["padded batches"] = [list(b) for b in data.DataLoader(sequences, batch_size=4, collate_fn=pad_collate)]
    # default collate of plain Python numbers and of tuples of tensors
    out["collate numbers"] = [b for b in data.DataLoader([(1.5, 2), (2.5, 3), (3.5, 4)], batch_size=2)]
    # a small model over the batches, to see the pipeline feed a network
    model = env.init(nn.Sequential(nn.Conv2d(3, 2, 3), nn.Flatten(), nn.Linear(2 * 4 * 3, 4)))
    out["model on batches"] = [model(b["image"]) for b in dataloader]
    return out


def test_data_pipeline_tutorial(tmp_path):
    rng = np.random.default_rng(12)
    data = {"images": rng.random((10, 8, 8, 3)).astype(np.float32),
            "landmarks": (rng.random((10, 6)) * 8).astype(np.float32),
            "x": rng.standard_normal((10, 4)).astype(np.float32),
            "y": rng.integers(0, 3, size=10)}
    run_both(data_pipeline_program, data, tmp_path, rtol=1e-5, atol=1e-6)


# ====================================================================================
# 12. Working with a model's insides: init through apply(), editing weights under no_grad,
#     forward hooks that collect activations, backward hooks, gradient clipping,
#     parameters_to_vector, editing a state_dict
# ====================================================================================
def model_internals_program(torch, nn, F, optim, data, env):
    out = {}
    model = nn.Sequential(nn.Conv2d(2, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 5),
                          nn.Tanh(), nn.Linear(5, 3))

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.bias, 0.01)
            with torch.no_grad():
                m.weight.copy_(torch.linspace(-1, 1, m.weight.numel()).reshape(m.weight.shape))
        elif isinstance(m, nn.Conv2d):
            nn.init.dirac_(m.weight)
            nn.init.zeros_(m.bias)

    model.apply(init_weights)
    out["after init"] = [p.detach().clone() for p in model.parameters()]
    with torch.no_grad():
        model[0].weight[0, 1, 1, 1] = 0.5
        model[3].weight[:, :4] *= 2
        model[5].bias.add_(1.0)
    out["edited"] = [model[0].weight[0, 1], model[3].weight[:, :5], model[5].bias]
    out["leaf flags"] = [(p.is_leaf, p.requires_grad, p.grad_fn is None) for p in model.parameters()]

    activations = {}

    def get_activation(name):
        def hook(module, input, output):
            activations[name] = output.detach()
        return hook

    handles = [model[1].register_forward_hook(get_activation("relu")),
               model[4].register_forward_hook(get_activation("tanh"))]
    grads_seen = []
    handles.append(model[5].register_full_backward_hook(
        lambda module, grad_input, grad_output: grads_seen.append(grad_output[0].detach().clone())))
    x = torch.tensor(env.data["x"])
    y = torch.tensor(env.data["y"])
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    norms, losses = [], []
    for step in range(4):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        norms.append(nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5).item())
        nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
        optimizer.step()
        losses.append(loss.item())
    out["losses"], out["grad norms before clipping"] = losses, norms
    out["activations"] = [activations["relu"], activations["tanh"]]
    out["backward hook grads"] = grads_seen
    for h in handles:
        h.remove()
    model(x)
    out["hooks removed"] = len(grads_seen)
    vec = nn.utils.parameters_to_vector(model.parameters())
    out["parameters_to_vector"] = vec
    nn.utils.vector_to_parameters(vec * 0.5, model.parameters())
    out["after vector_to_parameters"] = model(x)
    sd = model.state_dict()
    sd["5.bias"] = torch.zeros(3)
    model.load_state_dict(sd)
    out["modules"] = [(name, type(m).__name__) for name, m in model.named_modules()]
    model.requires_grad_(False)
    out["frozen"] = [p.requires_grad for p in model.parameters()]
    out["final"] = model(x)
    return out


def test_model_internals(tmp_path):
    rng = np.random.default_rng(13)
    data = {"x": rng.standard_normal((6, 2, 4, 4)).astype(np.float32), "y": rng.integers(0, 3, size=6)}
    run_both(model_internals_program, data, tmp_path, rtol=1e-4, atol=1e-6)


# ====================================================================================
# 13. DCGAN (tutorial "DCGAN Tutorial", scaled down to 8x8 pictures): ConvTranspose2d,
#     BatchNorm2d, LeakyReLU(inplace=True), Tanh, Sigmoid, BCELoss, two Adam optimisers,
#     detach() of the fake batch, D(x) and D(G(z)) statistics
# ====================================================================================
def dcgan_program(torch, nn, F, optim, data, env):
    nz, ngf, ndf, nc = 4, 8, 8, 1

    class Generator(nn.Module):
        def __init__(self):
            super(Generator, self).__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),     # (N, nz, 1, 1) -> (N, 16, 4, 4)
                nn.BatchNorm2d(ngf * 2),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),     # -> (N, 1, 8, 8)
                nn.Tanh())

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self):
            super(Discriminator, self).__init__()
            self.main = nn.Sequential(
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),                  # (N, 1, 8, 8) -> (N, 8, 4, 4)
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 3, 1, 1, bias=False),
                nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),               # -> (N, 1, 1, 1)
                nn.Sigmoid())

        def forward(self, input):
            return self.main(input)

    netG = env.init(Generator())
    netD = env.init(Discriminator())
    criterion = nn.BCELoss()
    fixed_noise = torch.tensor(env.data["fixed_noise"])
    real_label, fake_label = 1., 0.
    optimizerD = optim.Adam(netD.parameters(), lr=0.0002 * 10, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=0.0002 * 10, betas=(0.5, 0.999))
    dataloader = data.DataLoader(data.TensorDataset(torch.tensor(env.data["real"])), batch_size=8)
    G_losses, D_losses, lines = [], [], []
    for epoch in range(2):
        for i, batch in enumerate(dataloader, 0):
            # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
            netD.zero_grad()
            real_cpu = batch[0]
            b_size = real_cpu.size(0)
            label = torch.full((b_size,), real_label, dtype=torch.float)
            output = netD(real_cpu).view(-1)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()
            noise = torch.tensor(env.data["noise"][epoch, i])
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach()).view(-1)
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()
            # (2) Update G: maximize log(D(G(z)))
            netG.zero_grad()
            label.fill_(real_label)
            output = netD(fake).view(-1)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()
            lines.append('[%d/%d][%d/%d]\tLoss_D: %.4f\tLoss_G: %.4f\tD(x): %.4f\tD(G(z)): %.4f / %.4f'
                         % (epoch, 2, i, len(dataloader), errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
            G_losses.append(errG.item())
            D_losses.append(errD.item())
    with torch.no_grad():
        fake = netG(fixed_noise).detach().cpu()
    return {"lines": lines, "G_losses": G_losses, "D_losses": D_losses, "fixed fake": fake}


def test_dcgan_tutorial(tmp_path):
    rng = np.random.default_rng(14)
    real = np.tanh(rng.standard_normal((24, 1, 8, 8))).astype(np.float32)
    real[:, :, 2:6, 2:6] = 0.9                                   # a bright square in every picture
    data = {"real": real, "noise": rng.standard_normal((2, 3, 8, 4, 1, 1)).astype(np.float32),
            "fixed_noise": rng.standard_normal((4, 4, 1, 1)).astype(np.float32)}
    run_both(dcgan_program, data, tmp_path, rtol=5e-4, atol=5e-5)


# ====================================================================================
# 14. A regression run with the usual extras: AdamW with weight decay, a validation split
#     via Subset, ReduceLROnPlateau on the validation loss, gradient clipping, SmoothL1Loss
# ====================================================================================
def regression_program(torch, nn, F, optim, data, env):
    X = torch.tensor(env.data["x"])
    y = torch.tensor(env.data["y"])
    dataset = data.TensorDataset(X, y)
    train_set, val_set = data.Subset(dataset, range(0, 48)), data.Subset(dataset, range(48, 64))
    train_loader = data.DataLoader(train_set, batch_size=12)
    val_loader = data.DataLoader(val_set, batch_size=16)
    model = env.init(nn.Sequential(nn.Linear(3, 16), nn.SiLU(), nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 1)))
    criterion = nn.SmoothL1Loss(beta=0.5)
    optimizer = optim.AdamW(model.parameters(), lr=0.1, weight_decay=0.05)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=0)
    history = {"train": [], "val": [], "lr": [], "grad norm": []}
    for epoch in range(8):
        model.train()
        total = 0.0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(xb).squeeze(1), yb)
            loss.backward()
            history["grad norm"].append(float(nn.utils.clip_grad_norm_(model.parameters(), 1.0)))
            optimizer.step()
            total += loss.item() * len(xb)
        history["train"].append(total / len(train_set))
        model.eval()
        with torch.no_grad():
            val_loss = sum(F.smooth_l1_loss(model(xb).squeeze(1), yb, beta=0.5, reduction="sum").item()
                           for xb, yb in val_loader) / len(val_set)
        scheduler.step(val_loss)
        history["val"].append(val_loss)
        history["lr"].append(optimizer.param_groups[0]["lr"])
    history["scheduler state"] = {k: v for k, v in scheduler.state_dict().items()
                                  if k in ("best", "num_bad_epochs", "last_epoch", "cooldown_counter")}
    return history


def test_regression_with_plateau_scheduler(tmp_path):
    rng = np.random.default_rng(15)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] + 0.1 * rng.standard_normal(64)).astype(np.float32)
    ours, theirs = run_both(regression_program, {"x": x, "y": y}, tmp_path, rtol=5e-4, atol=2e-5)
    assert len(set(theirs["lr"])) > 1                    # the scheduler really reduced the lr
