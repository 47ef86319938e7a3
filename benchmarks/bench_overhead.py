"""Per-operation overhead: small tensors, where the Python around a kernel is most of the time.

    python benchmarks/bench_overhead.py            # every case (about half a minute)
    python benchmarks/bench_overhead.py --quick    # fewer rounds

Each case is a tiny piece of a training step on arrays so small (32 x 100) that the
arithmetic costs a few hundred nanoseconds: what is timed is the framework around it
(argument parsing, type promotion, creating the result Tensor and the backward node, the
backward engine, ``Module.__call__``). Cases marked "grad" use inputs with
``requires_grad=True``, so the backward graph is recorded as in training.

Both libraries run in this one process, with the same inputs and PyTorch limited to the
threads Numba uses; the cases alternate round by round, so both see the same load on a
shared machine. A round times short batches of calls and keeps the best batch's mean per
call; the table shows the median over rounds and, for the ratio, the range of the
middle half of the rounds. ratio = teachnn / PyTorch (below 1: teachnn is faster).
A benchmark, not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import geomean, machine_line, match_threads, print_table  # noqa: E402

import teachnn  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


# ---------------------------------------------------------------------------------------
# cases: each builder takes the library and returns a function of no arguments (one call)
# ---------------------------------------------------------------------------------------
def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _add(grad):
    def build(lib):
        a = lib.tensor(_data(32, 100, seed=1), requires_grad=grad)
        b = lib.tensor(_data(32, 100, seed=2), requires_grad=grad)
        return lambda: a + b
    return build


def _relu(lib):
    x = lib.tensor(_data(32, 100), requires_grad=True)
    return lambda: x.relu()


def _matmul(lib):
    x = lib.tensor(_data(32, 100), requires_grad=True)
    w = lib.tensor(_data(100, 10, seed=1), requires_grad=True)
    return lambda: x @ w


def _softmax(lib):
    x = lib.tensor(_data(32, 100), requires_grad=True)
    return lambda: x.softmax(1)


def _small_backward(lib):
    """(x * 2).sum().backward() on a leaf: two nodes, the engine and AccumulateGrad."""
    x = lib.tensor(_data(32, 100), requires_grad=True)

    def call():
        x.grad = None
        (x * 2).sum().backward()
    return call


def _linear_module(lib):
    layer = lib.nn.Linear(100, 10)
    x = lib.tensor(_data(32, 100))
    return lambda: layer(x)


def _conv_call(lib):
    """Conv2d(1, 4, 3) on a (1, 1, 8, 8) input that requires grad: the Python of the
    convolution's functional layer (checks, geometry, plan lookup) around a tiny kernel."""
    if lib is torch:
        lib.manual_seed(0)
    layer = lib.nn.Conv2d(1, 4, 3)
    x = lib.tensor(_data(1, 1, 8, 8), requires_grad=True)
    return lambda: layer(x)


def _pool_call(lib):
    pool = lib.nn.MaxPool2d(2)
    x = lib.tensor(_data(1, 4, 8, 8), requires_grad=True)
    return lambda: pool(x)


def _mlp_step(lib):
    """A whole SGD step of a tiny MLP: 100 -> 32 -> 10, batch 32, cross_entropy."""
    nn = lib.nn
    if lib is torch:
        lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(100, 32), nn.ReLU(), nn.Linear(32, 10))
    x = lib.tensor(_data(32, 100))
    t = lib.tensor(np.arange(32) % 10)
    return _sgd_step(lib, model, x, t)


def _sgd_step(lib, model, x, t):
    """A call that runs one SGD step (zero_grad, cross_entropy, backward, step) of ``model``."""
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = lib.nn.functional.cross_entropy

    def call():
        opt.zero_grad()
        loss_fn(model(x), t).backward()
        opt.step()
    return call


def _train_step(model_name, batch):
    """One SGD step of a model of benchmarks/bench_dense.py. On a batch of ONE image the
    kernels have almost nothing to do, so that case is the framework's cost of a step; the
    batch-32 cases are bench_dense's training steps, timed here as medians over rounds."""
    def build(lib):
        from benchmarks import bench_dense
        make, size = {"MyModel": (bench_dense.my_model, 12), "LeNet": (bench_dense.lenet, 28)}[model_name]
        if lib is torch:
            lib.manual_seed(0)
        model = make(lib)
        x = lib.tensor(_data(batch, 1, size, size))
        t = lib.tensor(np.arange(batch) % 10)
        return _sgd_step(lib, model, x, t)
    return build


CASES = [
    ("a + b (32x100), no grad", _add(False)),
    ("a + b (32x100), grad", _add(True)),
    ("x.relu(), grad", _relu),
    ("x @ w (32x100 @ 100x10), grad", _matmul),
    ("x.softmax(1), grad", _softmax),
    ("(x * 2).sum().backward()", _small_backward),
    ("nn.Linear(100, 10) call, no grad input", _linear_module),
    ("Conv2d(1, 4, 3) call, x (1,1,8,8), grad", _conv_call),
    ("MaxPool2d(2) call, x (1,4,8,8), grad", _pool_call),
    ("MLP 100-32-10 SGD step (fwd+bwd+step)", _mlp_step),
    ("notes' MyModel SGD step, batch of 1", _train_step("MyModel", 1)),
    ("notes' MyModel SGD step, batch 32", _train_step("MyModel", 32)),
    ("LeNet SGD step, batch 32", _train_step("LeNet", 32)),
]


def _per_call(fn, budget=2e-4, batches=5):
    """Seconds per call: the mean over a batch of calls lasting about ``budget`` seconds,
    the best of ``batches`` batches (short batches, so that most escape the other
    processes of a shared machine)."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= budget:
            break
        n *= 2
    best = elapsed / n
    for _ in range(batches - 1):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def run_case(build, rounds):
    """Alternate the libraries round by round; return (ours us, theirs us, ratios)."""
    theirs_fn, ours_fn = build(torch), build(teachnn)
    for _ in range(3):                           # warm-up (JIT compilation, caches)
        theirs_fn()
        ours_fn()
    ours, theirs = [], []
    for _ in range(rounds):
        theirs.append(_per_call(theirs_fn))
        ours.append(_per_call(ours_fn))
    ratios = sorted(o / t for o, t in zip(ours, theirs))
    return statistics.median(ours) * 1e6, statistics.median(theirs) * 1e6, ratios


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="7 rounds instead of 21")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    args = parser.parse_args(argv)
    if torch is None:
        print("PyTorch is not installed: nothing to compare against.")
        return []
    rounds = args.rounds or (7 if args.quick else 21)
    threads = match_threads()
    print(machine_line(threads))
    print(f"float32, per call; median of {rounds} rounds; ratio = teachnn / PyTorch "
          "(median, and the middle half of the rounds)")
    rows, medians = [], []
    for name, build in CASES:
        if args.only and args.only.lower() not in name.lower():
            continue
        ours, theirs, ratios = run_case(build, rounds)
        ratio = statistics.median(ratios)
        medians.append(ratio)
        q = len(ratios) // 4
        rows.append([name, f"{ours:.1f}", f"{theirs:.1f}", f"{ratio:.2f}",
                     f"{ratios[q]:.2f}-{ratios[-1 - q]:.2f}"])
        print(" | ".join(rows[-1]), flush=True, file=sys.stderr)
    rows.append(["geometric mean", "", "", f"{geomean(medians):.2f}", ""])
    print_table(rows, ["case (float32)", "teachnn us", "torch us", "teachnn/torch", "middle half"],
                title="Per-operation overhead")
    return rows


if __name__ == "__main__":
    main()
