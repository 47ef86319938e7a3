"""Compile latency of the convolution kernels: what a learner waits for in the first cell.

    python benchmarks/compile_latency.py

Each measurement is a fresh Python process; the time runs from before ``import teachnn``
to the end of the first backward pass. "cold" uses an empty Numba cache directory (the
first run after installing), "warm" runs again with the cache that the cold run filled.

Scenarios:
  small-net   a small Conv2d network (Conv2d-ReLU-Conv2d-ReLU-Flatten-Linear) on a batch
              of 4 MNIST-sized images, float32: the notes' first CNN.
  notes       every conv kernel the notes' models use, float32: conv1d/2d/3d and
              conv_transpose2d, each run once on one thread and once split over the
              thread pool (as a large batch would be). (The notes and lessons never use
              groups.)
  family      the same plus depthwise conv2d (groups = channels), whose kernels of their
              own (fast_conv/depthwise.py) add several seconds: the stricter measure earlier sessions kept.

Next to the wall time, "cpu" is the child process's CPU seconds (user + system): on a
shared machine it is less disturbed by other processes than the wall time.

Python bytecode: ``pip install`` compiles every module to ``.pyc`` and a learner's Python
writes the ones it lacks, so the learner never pays for compiling teachnn's source. This
benchmark does the same before measuring (``compileall`` on ``teachnn/``, checked-hash
``.pyc`` files, which Python re-validates against the source on every import, so an edited
file is never run from a stale ``.pyc``). Without this, an environment with
``PYTHONDONTWRITEBYTECODE=1`` (set on the project's build machine) and no ``.pyc`` files
would add about 0.1 s of source compilation to every run.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SMALL_NET = r"""
import time
t0 = time.perf_counter()
import teachnn as torch
import teachnn.nn as nn
t_import = time.perf_counter() - t0
net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
                    nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
                    nn.Flatten(), nn.Linear(16 * 14 * 14, 10))
x = torch.randn(4, 1, 28, 28)
net(x).sum().backward()
print(json.dumps({"import": t_import, "total": time.perf_counter() - t0}))
"""

FAMILY = r"""
import time
t0 = time.perf_counter()
import teachnn as torch
import teachnn.nn.functional as F
from teachnn.kernels import fast_conv as K
t_import = time.perf_counter() - t0

def run_all():
    cases = [
        (F.conv1d, (2, 4, 16), (6, 4, 3), {}),
        (F.conv2d, (2, 4, 8, 8), (6, 4, 3, 3), dict(padding=1)),
        (F.conv3d, (2, 4, 4, 4, 4), (6, 4, 3, 3, 3), dict(padding=1)),
        (F.conv_transpose2d, (2, 4, 8, 8), (4, 6, 4, 4), dict(stride=2, padding=1)),
    ]
    if DEPTHWISE:
        cases.append((F.conv2d, (2, 4, 8, 8), (4, 1, 3, 3), dict(padding=1, groups=4)))
    for fn, xs, ws, kw in cases:
        x = torch.randn(*xs, requires_grad=True)
        w = torch.randn(*ws, requires_grad=True)
        fn(x, w, **kw).sum().backward()

run_all()                                  # one thread
K.PARALLEL_MIN_ELEMENTS = 0
run_all()                                  # split over the thread pool
print(json.dumps({"import": t_import, "total": time.perf_counter() - t0}))
"""


def run(script, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, "-c", "import json\n" + script], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def compile_bytecode():
    """Write checked-hash .pyc files for teachnn/, as ``pip install`` would (see the docstring)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash",
                    os.path.join(ROOT, "teachnn")], check=True)


def main():
    compile_bytecode()
    rows = []
    for name, script in (("small-net", SMALL_NET),
                         ("notes", "DEPTHWISE = False\n" + FAMILY),
                         ("family", "DEPTHWISE = True\n" + FAMILY)):
        with tempfile.TemporaryDirectory(prefix="teachnn-numba-cache-") as cache:
            cold = run(script, cache)
            warm = min((run(script, cache) for _ in range(2)), key=lambda r: r["total"])
        rows.append((name, cold, warm))
        print(f"{name:10s} cold {cold['total']:6.2f} s (import {cold['import']:.2f} s, "
              f"cpu {cold['cpu']:.2f} s)   warm {warm['total']:6.2f} s "
              f"(import {warm['import']:.2f} s, cpu {warm['cpu']:.2f} s)", flush=True)
    return rows


if __name__ == "__main__":
    main()
