"""Pooling speed: teachnn vs PyTorch, forward + backward, same process, same thread count.

    python benchmarks/bench_pool.py            # the table from the pooling issue
    python benchmarks/bench_pool.py --quick    # fewer repeats
    python benchmarks/bench_pool.py --compile  # also JIT latency, cold and warm cache

Each case times ``y = layer(x); y.backward(g)`` (best of several runs after a warm-up,
the two libraries taking turns) in float32 for both libraries and prints the ratio teachnn/PyTorch. A benchmark, not a
test: nothing is asserted, and shared machines are noisy — compare ratios, not ms.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import geomean, machine_line, match_threads, print_table, time_fn  # noqa: E402

import teachnn  # noqa: E402
import teachnn.nn as tnn  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

# (name, module expression evaluated as lib.nn.<expr>, input shape)
CASES = [
    ("MaxPool2d(2, 2)", "MaxPool2d(2, 2)", (32, 64, 56, 56)),
    ("MaxPool2d(3, 2, 1)", "MaxPool2d(3, 2, 1)", (32, 64, 56, 56)),
    ("AvgPool2d(2)", "AvgPool2d(2)", (32, 64, 56, 56)),
    ("AdaptiveAvgPool2d(1)", "AdaptiveAvgPool2d(1)", (32, 512, 14, 14)),
    ("AdaptiveAvgPool2d((7, 7))", "AdaptiveAvgPool2d((7, 7))", (32, 512, 14, 14)),
    ("AdaptiveAvgPool2d((5, 5)) non-divisible", "AdaptiveAvgPool2d((5, 5))", (32, 512, 14, 14)),
    ("AdaptiveMaxPool2d((5, 5)) non-divisible", "AdaptiveMaxPool2d((5, 5))", (32, 512, 14, 14)),
    ("MaxPool1d(2)", "MaxPool1d(2)", (32, 128, 256)),
    ("MaxPool1d(3, 2, 1)", "MaxPool1d(3, 2, 1)", (32, 128, 256)),
    ("MaxPool3d(2)", "MaxPool3d(2)", (4, 16, 16, 32, 32)),
    ("AvgPool3d(2)", "AvgPool3d(2)", (4, 16, 16, 32, 32)),
]


def _step(lib, layer, x, g):
    """One forward + backward; clears the gradient so runs do not accumulate."""
    x.grad = None
    y = layer(x)
    y.backward(g)


def run_case(expr, shape, repeat):
    """Best-of-``repeat`` seconds per step for (teachnn, torch).

    The two libraries take turns, one run each, so a burst of load from other processes
    on a shared machine hits both rather than only one of them.
    """
    rng = np.random.default_rng(0)
    data = rng.standard_normal(shape).astype(np.float32)
    steps = {}
    for lib in (teachnn, torch):
        x = lib.tensor(data).requires_grad_(True)
        layer = eval(f"lib.nn.{expr}")
        with (torch.no_grad() if lib is torch else teachnn.no_grad()):
            out_shape = tuple(layer(x).shape)
        g = lib.tensor(rng.standard_normal(out_shape).astype(np.float32))
        steps[lib] = (lambda lib=lib, layer=layer, x=x, g=g: _step(lib, layer, x, g))
        time_fn(steps[lib], repeat=1, warmup=2)              # compile / warm caches
    best = {teachnn: float("inf"), torch: float("inf")}
    for _ in range(repeat):
        for lib in (teachnn, torch):
            best[lib] = min(best[lib], time_fn(steps[lib], repeat=1, warmup=0))
    return best[teachnn], best[torch]


def compile_latency():
    """First call of F.max_pool2d + backward in a fresh interpreter: cold and warm cache."""
    code = ("import time; t=time.perf_counter(); import numpy as np, teachnn, "
            "teachnn.nn.functional as F; t1=time.perf_counter(); "
            "x=teachnn.tensor(np.ones((1,1,4,4),np.float32)).requires_grad_(True); "
            "F.max_pool2d(x,2).sum().backward(); F.avg_pool2d(x,2).sum().backward(); "
            "print(f'{t1-t:.2f} {time.perf_counter()-t1:.2f}')")
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold cache", "warm cache"):
            out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                 text=True, check=True).stdout.split()
            rows.append([label, out[0], out[1]])
    print_table(rows, ["numba cache", "import teachnn (s)",
                       "first max_pool2d+avg_pool2d fwd+bwd float32 (s)"],
                title="JIT latency (fresh interpreter)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 repeats instead of 10")
    parser.add_argument("--compile", action="store_true", help="also measure JIT latency")
    args = parser.parse_args(argv)
    if torch is None:
        print("PyTorch is not installed: nothing to compare against.")
        return
    threads = match_threads()
    print(machine_line(threads))
    repeat = 4 if args.quick else 10
    rows, ratios = [], []
    for name, expr, shape in CASES:
        ours, theirs = run_case(expr, shape, repeat)
        ratio = ours / theirs
        ratios.append(ratio)
        rows.append([name, "x".join(map(str, shape)), f"{ours * 1e3:.1f}", f"{theirs * 1e3:.1f}",
                     f"{ratio:.2f}"])
    print_table(rows, ["case (float32, forward+backward)", "input", "teachnn ms", "torch ms",
                       "teachnn/torch"], title="Pooling")
    print(f"\ngeomean teachnn/torch: {geomean(ratios):.2f}   worst: {max(ratios):.2f}"
          f"   threads: {threads} (numba = torch)")
    if args.compile:
        compile_latency()


if __name__ == "__main__":
    main()
