"""Dense layers and whole training steps: teachnn vs PyTorch, forward + backward.

    python benchmarks/bench_dense.py            # every case (well under a minute)
    python benchmarks/bench_dense.py --quick    # fewer repeats
    python benchmarks/bench_dense.py --repeat 9

Every case runs in float32, in this one process, with PyTorch limited to the threads Numba
uses. A layer case times ``y = layer(x); y.backward(g)``; a loss case times
``loss = F.cross_entropy(x, t); loss.backward()`` (or ``F.nll_loss``); a training-step case times
``opt.zero_grad(); loss = F.cross_entropy(model(x), t); loss.backward(); opt.step()``
(the step a learner writes in every lesson). Both libraries start from the same weights
and the same data; the "max diff" column compares their outputs (or losses) on that input,
a sanity check that the same work was timed. Times are the best of several runs: the
machine is shared, the best run is the least disturbed one. ratio = teachnn / PyTorch
(below 1 means teachnn is faster). A benchmark, not a test: nothing is asserted.

NumPy's matrix products run on OpenBLAS threads, which ``match_threads`` does not limit. On a
machine busy with other work, multi-threaded OpenBLAS (and PyTorch) spin-wait and times
swing by 100x; pin every library to one thread for numbers that can be compared:

    NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/bench_dense.py
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import geomean, machine_line, match_threads, print_table, time_fn  # noqa: E402

import teachnn  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


# ---------------------------------------------------------------------------------------
# the two models of the training-step cases, written once against either library
# ---------------------------------------------------------------------------------------
def my_model(lib):
    """The study notes' ``MyModel``: two 5x5 convolutions, flatten, two linear layers,
    softmax. Input (N, 1, 12, 12) -> conv (N, 20, 8, 8) -> conv (N, 64, 4, 4) -> (N, 10)."""
    nn, F = lib.nn, lib.nn.functional

    class MyModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(nn.Conv2d(1, 20, 5), nn.ReLU(),
                                        nn.Conv2d(20, 64, 5), nn.ReLU())
            self.fc1 = nn.Linear(64 * 4 * 4, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = x * 2
            x = self.layers(x)
            x = x.view(x.size(0), -1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.fc2(x)
            return F.softmax(x, dim=1)

    return MyModel()


def lenet(lib):
    """A LeNet-5-style CNN for (N, 1, 28, 28) digits: conv-relu-maxpool twice, three
    linear layers. (N,1,28,28) -> (N,6,14,14) -> (N,16,5,5) -> 400 -> 120 -> 84 -> 10."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


# ---------------------------------------------------------------------------------------
# cases: each builder returns (step, check) for one library; step() is what is timed,
# check() returns a NumPy array compared between the libraries
# ---------------------------------------------------------------------------------------
def _numpy(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t.numpy())


def _layer_case(make_layer, shape, train=True):
    """forward + backward of one layer on a fixed input and output gradient."""
    def build(lib, torch_layer):
        rng = np.random.default_rng(0)
        data = rng.standard_normal(shape).astype(np.float32)
        layer = make_layer(lib)
        if lib is torch:
            torch_layer.append(layer)
        else:                                    # same parameters as the PyTorch layer
            layer.load_state_dict(torch_layer[0].state_dict())
        layer.train(train)
        x = lib.tensor(data).requires_grad_(True)
        with (torch.no_grad() if lib is torch else teachnn.no_grad()):
            out_shape = tuple(layer(x).shape)
        g = lib.tensor(rng.standard_normal(out_shape).astype(np.float32))

        def step():
            x.grad = None
            layer(x).backward(g)

        def check():
            with (torch.no_grad() if lib is torch else teachnn.no_grad()):
                return _numpy(layer(x))
        return step, check
    return build


def _cross_entropy_case(n, classes):
    def build(lib, _unused):
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((n, classes)).astype(np.float32)).requires_grad_(True)
        t = lib.tensor(rng.integers(0, classes, n))

        def step():
            x.grad = None
            lib.nn.functional.cross_entropy(x, t).backward()

        def check():
            return _numpy(lib.nn.functional.cross_entropy(x, t))
        return step, check
    return build


def _nll_loss_case(n, classes):
    """nll_loss on given log-probabilities (a leaf), the second half of cross_entropy."""
    def build(lib, _unused):
        rng = np.random.default_rng(0)
        logits = rng.standard_normal((n, classes))
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        x = lib.tensor(logp.astype(np.float32)).requires_grad_(True)
        t = lib.tensor(rng.integers(0, classes, n))

        def step():
            x.grad = None
            lib.nn.functional.nll_loss(x, t).backward()

        def check():
            return _numpy(lib.nn.functional.nll_loss(x, t))
        return step, check
    return build


def _train_step_case(make_model, shape, classes=10, lr=0.01):
    def build(lib, torch_model):
        rng = np.random.default_rng(0)
        model = make_model(lib)
        if lib is torch:
            torch_model.append(model)
        else:                                    # same starting weights as PyTorch
            model.load_state_dict(torch_model[0].state_dict())
        # a snapshot: each timed step changes the weights, both libraries start equal
        start = {k: v.detach().clone() for k, v in model.state_dict().items()}
        x = lib.tensor(rng.standard_normal(shape).astype(np.float32))
        t = lib.tensor(rng.integers(0, classes, shape[0]))
        opt = lib.optim.SGD(model.parameters(), lr=lr)
        F = lib.nn.functional

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), t)
            loss.backward()
            opt.step()

        def check():
            model.load_state_dict(start)
            with (torch.no_grad() if lib is torch else teachnn.no_grad()):
                return _numpy(F.cross_entropy(model(x), t))
        return step, check
    return build


CASES = [
    ("Linear 1024->512, x (256,1024)", _layer_case(lambda lib: lib.nn.Linear(1024, 512),
                                                    (256, 1024))),
    ("BatchNorm2d(64) train, x (32,64,16,16)",
     _layer_case(lambda lib: lib.nn.BatchNorm2d(64), (32, 64, 16, 16))),
    ("cross_entropy (256,1000)", _cross_entropy_case(256, 1000)),
    ("GELU (64,3072)", _layer_case(lambda lib: lib.nn.GELU(), (64, 3072))),
    ("ReLU (64,3072)", _layer_case(lambda lib: lib.nn.ReLU(), (64, 3072))),
    ("Sigmoid (64,3072)", _layer_case(lambda lib: lib.nn.Sigmoid(), (64, 3072))),
    ("LayerNorm(512), x (64,128,512)",
     _layer_case(lambda lib: lib.nn.LayerNorm(512), (64, 128, 512))),
    ("nll_loss (256,1000)", _nll_loss_case(256, 1000)),
    ("train step: notes' MyModel, x (32,1,12,12)", _train_step_case(my_model, (32, 1, 12, 12))),
    ("train step: LeNet + MaxPool2d, x (32,1,28,28)", _train_step_case(lenet, (32, 1, 28, 28))),
]


def run_case(build, repeat):
    """Time one case in both libraries; return (teachnn s, torch s, max |difference|)."""
    shared = []                                  # the PyTorch layer/model, built first
    torch_step, torch_check = build(torch, shared)
    ours_step, ours_check = build(teachnn, shared)
    diff = float(np.max(np.abs(ours_check() - torch_check())))
    for _ in range(2):                           # warm-up (JIT compilation, allocator)
        torch_step()
        ours_step()
    # alternate the libraries run by run, so both see the same load on a shared machine
    theirs = ours = float("inf")
    for _ in range(repeat):
        theirs = min(theirs, time_fn(torch_step, repeat=1, warmup=0))
        ours = min(ours, time_fn(ours_step, repeat=1, warmup=0))
    return ours, theirs, diff


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    args = parser.parse_args(argv)
    if torch is None:
        print("PyTorch is not installed: nothing to compare against.")
        return []
    repeat = args.repeat or (3 if args.quick else 7)
    threads = match_threads()
    print(machine_line(threads))
    print(f"float32, forward + backward, best of {repeat} runs; ratio = teachnn / PyTorch")
    rows, ratios = [], []
    for name, build in CASES:
        if args.only and args.only.lower() not in name.lower():
            continue
        ours, theirs, diff = run_case(build, repeat)
        ratio = ours / theirs
        ratios.append(ratio)
        rows.append([name, f"{ours * 1e3:.2f}", f"{theirs * 1e3:.2f}", f"{ratio:.2f}",
                     f"{diff:.1e}"])
        print(" | ".join(rows[-1]), flush=True, file=sys.stderr)
    rows.append(["geometric mean", "", "", f"{geomean(ratios):.2f}", ""])
    print_table(rows, ["case (float32, forward+backward)", "teachnn ms", "torch ms",
                       "teachnn/torch", "max diff"], title="Dense layers and training steps")
    return rows


if __name__ == "__main__":
    main()
