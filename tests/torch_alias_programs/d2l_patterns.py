"""A program written for PyTorch, in the style of the d2l.ai book's code (lazy layers, a
Trainer that calls backward under no_grad, scratch batch norm, .data edits, save/load).

It is run twice by tests/test_torch_alias.py: ``python d2l_patterns.py OUT.json`` with real
PyTorch and ``python -m teachnn.as_torch d2l_patterns.py OUT.json``; both write every number
they compute to OUT.json and the test compares them. It must not mention teachnn.
"""
import inspect
import json
import os
import sys
import tempfile

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils import data
import torch.optim.lr_scheduler

results = {}


def record(key, value):
    if isinstance(value, torch.Tensor):
        value = value.detach().numpy()
    results[key] = np.asarray(value, dtype=float).ravel().tolist()


class HyperParameters:
    """Keeps a constructor's arguments as attributes, read from the caller's frame."""

    def save_hyperparameters(self, ignore=()):
        frame = inspect.currentframe().f_back
        _, _, _, local_vars = inspect.getargvalues(frame)
        for k, v in local_vars.items():
            if k not in set(ignore) | {"self"} and not k.startswith("_"):
                setattr(self, k, v)


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def scratch_norm(X, gamma, beta, moving_mean, moving_var, eps=1e-5, momentum=0.1):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        mean = X.mean(dim=(0, 2, 3), keepdim=True)
        var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    return gamma * X_hat + beta, moving_mean.data, moving_var.data


class ScratchNorm(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        shape = (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean, self.moving_var = torch.zeros(shape), torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = scratch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var)
        return Y


class Residual(nn.Module):
    def __init__(self, channels, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.LazyConv2d(channels, kernel_size=3, padding=1)
        self.conv3 = nn.LazyConv2d(channels, kernel_size=1, stride=strides)
        self.bn1, self.bn2 = nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        Y += self.conv3(X)
        return F.relu(Y)


class Classifier(nn.Module, HyperParameters):
    def __init__(self, num_classes, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.LazyConv2d(4, kernel_size=3, padding=1), ScratchNorm(4), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2), Residual(6, strides=2),
            nn.MaxPool2d(3, padding=1, stride=2), nn.Flatten(),
            nn.LazyLinear(16), nn.ReLU(), nn.Dropout(0.0), nn.LazyLinear(num_classes))

    def forward(self, X):
        return self.net(X)

    def loss(self, Y_hat, Y, averaged=True):
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        return F.cross_entropy(Y_hat, Y.reshape((-1,)), reduction="mean" if averaged else "none")

    def accuracy(self, Y_hat, Y):
        preds = Y_hat.reshape((-1, Y_hat.shape[-1])).argmax(axis=1).type(Y.dtype)
        return (preds == Y.reshape(-1)).type(torch.float32).mean()


g = np.random.default_rng(0)
X = torch.tensor(g.standard_normal((24, 1, 12, 12)).astype(np.float32))
y = torch.tensor(g.integers(0, 3, 24))

record("corr2d", corr2d(torch.arange(16.0).reshape(4, 4), torch.tensor([[1.0, -1.0]])))

model = Classifier(num_classes=3, lr=0.2)
model(X[:2])  # lazy layers learn their input sizes from a first batch
weights = {}
for k, v in model.state_dict().items():
    if k.endswith("running_mean") or k.endswith("num_batches_tracked"):
        v = torch.zeros_like(v)     # the first call above already moved the statistics
    elif k.endswith("running_var"):
        v = torch.ones_like(v)
    else:
        v = torch.tensor(g.uniform(-0.5, 0.5, tuple(v.shape)).astype(np.float32))
    weights[k] = v
model.load_state_dict(weights)
for m in model.net:                     # the scratch statistics are attributes, not buffers
    if isinstance(m, ScratchNorm):
        m.moving_mean, m.moving_var = torch.zeros_like(m.moving_mean), torch.ones_like(m.moving_var)
record("shapes", [s for p in model.parameters() for s in p.shape])
record("names", [len(name) for name, _ in model.named_parameters()])

model = model.to(torch.device("cpu"))
loader = data.DataLoader(data.TensorDataset(X[:16], y[:16]), batch_size=4, shuffle=False)
optim = torch.optim.SGD(model.parameters(), lr=model.lr, momentum=0.5)
scheduler = torch.optim.lr_scheduler.StepLR(optim, step_size=2, gamma=0.5)
for epoch in range(3):
    model.train()
    for Xb, yb in loader:
        loss = model.loss(model(Xb), yb)
        optim.zero_grad()
        with torch.no_grad():           # d2l's Trainer calls backward inside no_grad
            loss.backward()
        optim.step()
        record(f"loss{epoch}", loss)
    scheduler.step()
    model.eval()
    with torch.no_grad():
        Y_hat = model(X[16:])
        record(f"val_loss{epoch}", model.loss(Y_hat, y[16:]))
        record(f"val_acc{epoch}", model.accuracy(Y_hat, y[16:]))
record("moving_mean", model.net[1].moving_mean)
record("running_var", model.net[4].bn1.running_var)

# .data edits that autograd does not see
w = model.net[7].weight
w.data *= w.data.abs() >= 0.2
w.data[:, 0] += 1
record("masked", w)
record("grad_is_none_after_zero", [model.net[7].weight.grad is None])
optim.zero_grad()
record("grad_is_none_after_zero2", [model.net[7].weight.grad is None])

# a kernel learnt by gradient descent on .data
conv2d = nn.LazyConv2d(1, kernel_size=(1, 2), bias=False)
Xe = torch.ones((6, 8))
Xe[:, 2:6] = 0
Ye = corr2d(Xe, torch.tensor([[1.0, -1.0]])).reshape((1, 1, 6, 7))
Xe = Xe.reshape((1, 1, 6, 8))
conv2d(Xe)
conv2d.load_state_dict({"weight": torch.tensor([[[[0.3, 0.1]]]])})
for i in range(10):
    l = (conv2d(Xe) - Ye) ** 2
    conv2d.zero_grad()
    l.sum().backward()
    conv2d.weight.data[:] -= 3e-2 * conv2d.weight.grad
record("kernel", conv2d.weight.data.reshape((1, 2)))

# save and load
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "model.params")
    torch.save(model.state_dict(), path)
    clone = Classifier(num_classes=3, lr=0.2)
    clone(X[:2])
    clone.load_state_dict(torch.load(path))
    for a, b in zip(model.net, clone.net):
        if isinstance(a, ScratchNorm):
            b.moving_mean, b.moving_var = a.moving_mean, a.moving_var
    clone.eval()
    record("clone_equal", [bool((clone(X[16:]) == model(X[16:])).all())])
    torch.save([torch.arange(4), {"y": torch.zeros(2, dtype=torch.float64)}], path)
    xs, d = torch.load(path, weights_only=True)
    record("loaded", torch.cat([xs.double(), d["y"]]))
    record("loaded_dtypes", [xs.dtype == torch.int64, d["y"].dtype == torch.float64])

with open(sys.argv[1], "w") as fh:
    json.dump(results, fh)
