"""Convolution speed vs the peers: teachnn, PyTorch, MyGrad, tinygrad, forward + backward.

    python benchmarks/bench_peers.py                  # the 9 cases of bench_conv.py (a few minutes)
    python benchmarks/bench_peers.py --quick          # fewer repeats, no eager tinygrad column
    python benchmarks/bench_peers.py --case Conv3d    # only cases whose name contains this

Question answered: does teachnn beat both educational peers on every case of the convolution
suite? The cases are imported from ``benchmarks/bench_conv.py`` (``CASES``), so the two
benchmarks always measure the same layers.

What is timed, for every framework, in this one process: one forward convolution (with
bias) and one backward pass that fills the gradients of input, weight and bias, float32,
with the same thread count (Numba's; PyTorch and tinygrad are set to it, NumPy's BLAS
uses every core for teachnn and MyGrad alike). Frameworks run in turns (A B C D A B C D
...) and each keeps its best run, so a burst of load from other processes on this shared
machine hits all of them alike. Times are only comparable inside one run: read the ratios.

Setup (the peers are never teachnn dependencies; install them into the test venv only):

    /tmp/venvtest/bin/pip install mygrad tinygrad     # measured with mygrad 2.5.0, tinygrad 0.14.0
    apt-get install clang                             # tinygrad's CPU device needs clang

tinygrad notes. Backend: the CPU device (``DEV=CPU``, set here unless ``DEV`` is set) with
its default CLANG renderer, i.e. every kernel is C compiled by ``clang`` (Debian 12's clang 14
here). The device also compiles small helper programs with clang when it opens, so without
clang it fails whatever the renderer. Tried and not used: ``CPU=1`` / ``CPU_LLVM=1`` are
rejected by tinygrad 0.14 as deprecated; ``DEV=CPU:LLVM`` fails on the first real kernel
(Debian's libLLVM 14/15 reject the IR tinygrad 0.14 emits); ``DEV=CPU:X86`` (tinygrad's own
assembler) works and was not faster in a spot check. Threads: ``NUM_CPU_THREADS`` = Numba's
count. No BEAM search (tinygrad's default; ``BEAM=2`` spent ~5 minutes searching on the
3-channel Conv2d case alone and did not change tinygrad's ratio to PyTorch there).
Compile time is excluded: each tinygrad variant runs several untimed warm-up steps first.
tinygrad is lazy, so every timed step realizes the output *and* the three gradients and
then synchronizes the device; otherwise it would skip the forward (the gradients of a
linear op do not need its value) and return before the kernels finish. Two tinygrad
columns: ``eager`` (the step as a user writes it: build graph, schedule, run) and
``TinyJit`` (the same step captured once by ``TinyJit`` and replayed, tinygrad's fast
path: no Python graph building or scheduling).

MyGrad notes. ``mygrad.nnet.conv_nd(x, w, stride=, padding=, dilation=)`` has no bias
(added with MyGrad's broadcast ``+``, timed), no ``groups`` and no transposed convolution:
those cases print ``n/a``. It also refuses a layer whose output size is not an exact
integer (PyTorch floors): for those layers the input is padded asymmetrically with
MyGrad's own ``concatenate`` of zeros (timed) so that it computes PyTorch's result.

Each peer's gradients are compared with PyTorch's (max abs difference of dx, dw, db and the
worst of them relative to the size of that PyTorch gradient) so we know all compute the
same thing. A peer that is not installed, or whose backend does not start, is skipped
with a message. Nothing is asserted: this is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time

# Same environment as bench_conv.py (its module body sets OMP_WAIT_POLICY=PASSIVE and the
# BLAS thread count before NumPy and torch load; importing it below does that first).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.bench_conv import CASES  # noqa: E402  (imports numpy and teachnn too)
from benchmarks.common import (geomean, machine_line, match_threads,  # noqa: E402
                               print_table, time_fn)

import numpy as np  # noqa: E402

import teachnn  # noqa: E402
import teachnn.nn.functional as F  # noqa: E402
from teachnn.geometry import ntuple  # noqa: E402

import numba  # noqa: E402

# tinygrad reads these when it is imported: its CPU device, with Numba's thread count.
os.environ.setdefault("DEV", "CPU")
os.environ.setdefault("NUM_CPU_THREADS", str(numba.get_num_threads()))

# Untimed calls before the timed rounds. tinygrad compiles its kernels on the first calls
# (and TinyJit captures on its second), so it gets more.
WARMUP = {"teachnn": 1, "torch": 1, "mygrad": 1, "tinygrad eager": 3, "tinygrad jit": 4}
# A framework slower than this many seconds in total stops after 2 timed runs (MyGrad's
# Python loops can take seconds per step; its best-of-2 is still far from the others).
SLOW_BUDGET = 6.0


# ---------------------------------------------------------------------------------------
# One case: arrays, geometry, and a step function per framework
# ---------------------------------------------------------------------------------------
class Case:
    """The arrays and geometry of one benchmark case, shared by every framework.

    x: (N, C_in, *spatial); w: (C_out, C_in/groups, *k) for a convolution, or
    (C_in, C_out/groups, *k) for a transposed one; b: (C_out,); g: the incoming gradient,
    shaped like the output.
    """

    def __init__(self, case):
        self.name, self.kind, xshape, out_ch, k, kw = case
        self.kw = kw
        self.n = n = len(xshape) - 2
        self.groups = kw.get("groups", 1)
        self.stride = ntuple(kw.get("stride", 1), n)
        self.padding = ntuple(kw.get("padding", 0), n)
        self.dilation = ntuple(kw.get("dilation", 1), n)
        cin = xshape[1]
        if self.kind == "conv":
            wshape = (out_ch, cin // self.groups) + (k,) * n
            self.fname = f"conv{n}d"
        else:
            wshape = (cin, out_ch // self.groups) + (k,) * n
            self.fname = f"conv_transpose{n}d"
        rng = np.random.default_rng(0)      # the same draws as bench_conv.run_case
        self.x = rng.standard_normal(xshape).astype(np.float32)
        self.w = (rng.standard_normal(wshape) * 0.1).astype(np.float32)
        self.b = rng.standard_normal(out_ch).astype(np.float32)
        out_shape = getattr(F, self.fname)(teachnn.tensor(self.x), teachnn.tensor(self.w),
                                           teachnn.tensor(self.b), **kw).shape
        self.g = rng.standard_normal(tuple(out_shape)).astype(np.float32)


def teachnn_step(c: Case):
    """Return (step, grads): step() runs forward + backward; grads() -> (dx, dw, db)."""
    tx, tw, tb = (teachnn.tensor(a, requires_grad=True) for a in (c.x, c.w, c.b))
    tg = teachnn.tensor(c.g)
    conv = getattr(F, c.fname)

    def step():
        for t in (tx, tw, tb):
            t.grad = None
        conv(tx, tw, tb, **c.kw).backward(tg)

    return step, lambda: tuple(t.grad._data for t in (tx, tw, tb))


def torch_step(c: Case, torch):
    px, pw, pb = (torch.tensor(a, requires_grad=True) for a in (c.x, c.w, c.b))
    pg = torch.tensor(c.g)
    conv = getattr(torch.nn.functional, c.fname)

    def step():
        for t in (px, pw, pb):
            t.grad = None
        conv(px, pw, pb, **c.kw).backward(pg)

    return step, lambda: tuple(t.grad.numpy() for t in (px, pw, pb))


def mygrad_step(c: Case, mg):
    """MyGrad's conv_nd; returns a reason string when MyGrad cannot compute this layer."""
    if c.kind != "conv":
        return "n/a (no transposed conv)"
    if c.groups != 1:
        return "n/a (no groups)"
    from mygrad.nnet import conv_nd

    # conv_nd pads symmetrically and demands (L + 2p - span) % stride == 0, where
    # span = dilation * (k - 1) + 1. PyTorch floors instead, i.e. ignores the last r cells of
    # the padded input. Where r > 0, pad by hand: p before, p - r after (the same result).
    kernel = c.w.shape[2:]
    spare = [(L + 2 * p - (d * (k - 1) + 1)) % s for L, p, d, k, s in
             zip(c.x.shape[2:], c.padding, c.dilation, kernel, c.stride)]
    manual_pad = any(spare)
    if manual_pad and any(r > p for r, p in zip(spare, c.padding)):
        return "n/a (would need cropping)"

    def pad(x):
        """Zero-pad x (N, C, *spatial) by padding[i] before and padding[i] - spare[i] after
        along each spatial axis, with MyGrad ops so the gradient flows and is timed."""
        for axis, (p, r) in enumerate(zip(c.padding, spare), start=2):
            parts = []
            for width in (p, None, p - r):
                if width is None:
                    parts.append(x)
                elif width > 0:
                    shape = list(x.shape)
                    shape[axis] = width
                    parts.append(mg.zeros(tuple(shape), dtype=x.dtype, constant=True))
            x = mg.concatenate(parts, axis=axis) if len(parts) > 1 else x
        return x

    mx, mw, mb = (mg.tensor(a) for a in (c.x, c.w, c.b))
    bias_shape = (1, -1) + (1,) * c.n

    def step():
        if manual_pad:
            out = conv_nd(pad(mx), mw, stride=c.stride, padding=0, dilation=c.dilation)
        else:
            out = conv_nd(mx, mw, stride=c.stride, padding=c.padding, dilation=c.dilation)
        out = out + mb.reshape(bias_shape)      # (N, C_out, *out) + (1, C_out, 1, ...)
        out.backward(c.g)

    return step, lambda: tuple(np.asarray(t.grad) for t in (mx, mw, mb))


def tinygrad_steps(c: Case, tg, jit: bool):
    """tinygrad's Tensor.conv2d (any number of spatial dims) / conv_transpose2d."""
    Tensor, device = tg.Tensor, tg.Device[tg.Device.DEFAULT]
    tx, tw, tb = (Tensor(a).realize() for a in (c.x, c.w, c.b))
    tgo = Tensor(c.g).realize()
    args = dict(groups=c.groups, stride=c.stride, dilation=c.dilation, padding=c.padding)
    conv = Tensor.conv2d if c.kind == "conv" else Tensor.conv_transpose2d

    def build():
        for t in (tx, tw, tb):
            t.grad = None
        out = conv(tx, tw, tb, **args)
        out.backward(tgo)
        # realize the forward too: laziness would otherwise skip it
        Tensor.realize(out, tx.grad, tw.grad, tb.grad)
        return tx.grad, tw.grad, tb.grad

    core = tg.TinyJit(build) if jit else build
    last = {}

    def step():
        last["grads"] = core()
        device.synchronize()             # the CPU device runs kernels on worker threads

    return step, lambda: tuple(t.numpy() for t in last["grads"])


# ---------------------------------------------------------------------------------------
# Timing and comparison
# ---------------------------------------------------------------------------------------
def interleaved(fns, repeat):
    """Best-of-``repeat`` seconds for each function, run in turns (A B C A B C ...) after
    their warm-up calls; a function over SLOW_BUDGET seconds in total stops after 2 runs."""
    for name, fn in fns.items():
        time_fn(fn, 1, warmup=WARMUP.get(name, 1) - 1)
    best = {name: math.inf for name in fns}
    spent = {name: 0.0 for name in fns}
    for r in range(repeat):
        for name, fn in fns.items():
            if r >= 2 and spent[name] > SLOW_BUDGET:
                continue
            t = time_fn(fn, 1, warmup=0)
            best[name] = min(best[name], t)
            spent[name] += t
    return best


def grad_diff(grads, ref):
    """'dx / dw / db' max abs differences against PyTorch's, and the worst one relative to
    the largest entry of that PyTorch gradient."""
    abs_d = [float(np.abs(np.asarray(a, np.float64) - r).max()) for a, r in zip(grads, ref)]
    rel = max(d / max(float(np.abs(r).max()), 1e-30) for d, r in zip(abs_d, ref))
    return " / ".join(f"{d:.0e}" for d in abs_d) + f" (rel {rel:.0e})"


def code_version() -> str:
    """The checkout's last commit and any uncommitted edits under teachnn/ (the kernels
    change often: say exactly what was measured)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True,
                              cwd=root).stdout
    try:
        head = git("log", "--oneline", "-1").strip()[:90]
        dirty = [line[3:] for line in git("status", "--porcelain", "--", "teachnn").splitlines()]
    except OSError:
        return "unknown (no git)"
    return head + (f" + uncommitted edits in {', '.join(dirty)}" if dirty else "")


def load_peers():
    """Import each peer, or print why it is skipped. Returns {name: module}."""
    peers = {}
    try:
        import mygrad
        peers["mygrad"] = mygrad
        print(f"MyGrad {mygrad.__version__}")
    except ImportError as e:
        print(f"skipping MyGrad: not installed ({e}); pip install mygrad", file=sys.stderr)
    try:
        import tinygrad
        from tinygrad import Tensor
        dev = tinygrad.Device.DEFAULT
        (Tensor([1.0, 2.0]) * 2).realize().numpy()      # opens the device, compiles once
        from importlib.metadata import version
        print(f"tinygrad {version('tinygrad')}: device {dev}, renderer "
              f"{type(tinygrad.Device[dev].renderer).__name__}, "
              f"NUM_CPU_THREADS={os.environ.get('NUM_CPU_THREADS')}")
        peers["tinygrad"] = tinygrad
    except ImportError as e:
        print(f"skipping tinygrad: not installed ({e}); pip install tinygrad", file=sys.stderr)
    except Exception as e:  # noqa: BLE001 -- a backend that does not start (e.g. no clang)
        print(f"skipping tinygrad: its {os.environ.get('DEV')} device does not start: "
              f"{type(e).__name__}: {e} (the CPU device needs clang)", file=sys.stderr)
    return peers


def run_case(case, repeat, torch, peers, tiny_eager):
    """Time one case. Returns ({framework: seconds or 'n/a ...'}, {framework: grad diff})."""
    c = Case(case)
    steps = {"teachnn": teachnn_step(c), "torch": torch_step(c, torch)}
    times, diffs = {}, {}
    if "mygrad" in peers:
        s = mygrad_step(c, peers["mygrad"])
        if isinstance(s, str):
            times["mygrad"] = s
        else:
            steps["mygrad"] = s
    if "tinygrad" in peers:
        if tiny_eager:
            steps["tinygrad eager"] = tinygrad_steps(c, peers["tinygrad"], jit=False)
        steps["tinygrad jit"] = tinygrad_steps(c, peers["tinygrad"], jit=True)
    t0 = time.perf_counter()
    for name in [f for f in steps if f not in ("teachnn", "torch")]:
        try:                    # a peer that fails on this layer is reported, not fatal
            steps[name][0]()
        except Exception as e:  # noqa: BLE001
            print(f"{c.name}: {name} failed: {type(e).__name__}: {str(e)[:200]}",
                  file=sys.stderr)
            times[name] = f"failed ({type(e).__name__})"
            del steps[name]
    times.update(interleaved({name: s[0] for name, s in steps.items()}, repeat))
    ref = [np.asarray(a, np.float64) for a in steps["torch"][1]()]
    for name, (_, grads) in steps.items():
        if name != "torch":
            diffs[name] = grad_diff(grads(), ref)
    print(f"{c.name}: " + ", ".join(f"{k} {v * 1e3:.1f} ms" if not isinstance(v, str) else
                                    f"{k} {v}" for k, v in times.items())
          + f"  [{time.perf_counter() - t0:.0f} s]", file=sys.stderr, flush=True)
    return times, diffs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats; tinygrad only with TinyJit")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--case", default="", help="run only cases whose name contains this")
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 5)
    try:
        import torch
    except ImportError:
        sys.exit("bench_peers needs PyTorch: it is the reference for every ratio and gradient")
    threads = match_threads()
    print(machine_line(threads))
    print(f"teachnn code: {code_version()} | PyTorch {torch.__version__}")
    peers = load_peers()
    print(f"forward + backward (grads of input, weight, bias), float32, best of {repeat} "
          "interleaved runs; ratio = time / PyTorch time (below 1: faster than PyTorch)")

    frameworks = ["teachnn", "torch"] + [f for f in ("mygrad", "tinygrad eager", "tinygrad jit")
                                         if f.split()[0] in peers
                                         and not (args.quick and f == "tinygrad eager")]
    peer_names = [f for f in frameworks if f not in ("teachnn", "torch")]
    label = {"teachnn": "teachnn", "torch": "PyTorch", "mygrad": "MyGrad",
             "tinygrad eager": "tinygrad eager", "tinygrad jit": "tinygrad TinyJit"}
    rows, diff_rows = [], []
    ratios = {f: [] for f in frameworks}
    for case in [c for c in CASES if args.case in c[0]]:
        times, diffs = run_case(case, repeat, torch, peers, "tinygrad eager" in frameworks)
        p = times["torch"]
        ms, rat = [], []
        for f in frameworks:
            v = times[f]
            if isinstance(v, str):
                ms.append(v)
                rat.append("n/a")
            else:
                ms.append(f"{v * 1e3:.2f}")
                if f != "torch":
                    rat.append(f"{v / p:.2f}")
                    ratios[f].append(v / p)
        measured = {f: times[f] for f in peer_names if not isinstance(times[f], str)}
        if not measured:
            verdict = "teachnn (no peer can run it)" if peer_names else "(no peers installed)"
        else:
            best = min(measured, key=measured.get)
            t = times["teachnn"]
            verdict = (f"teachnn, {measured[best] / t:.1f}x vs {label[best]}" if t < measured[best]
                       else f"{label[best]}, {t / measured[best]:.1f}x")
        rows.append([case[0]] + ms + rat + [verdict])
        diff_rows.append([case[0]] + [diffs.get(f, times.get(f, "")) for f in frameworks
                                      if f != "torch"])
    geo = ["geometric mean"] + [""] * len(frameworks)
    geo += [f"{geomean(ratios[f]):.2f}" if ratios[f] else "n/a"
            for f in frameworks if f != "torch"] + [""]
    rows.append(geo)
    columns = ([f"{label[f]} ms" for f in frameworks]
               + [f"{label[f]}/PyTorch" for f in frameworks if f != "torch"]
               + ["faster: teachnn or best peer"])
    print_table(rows, ["case"] + columns)
    print("\n(a peer's geometric mean covers only the cases it can run)")
    print("\nmax |grad - PyTorch grad|, dx / dw / db (rel: worst one / max |PyTorch grad|)\n")
    print_table(diff_rows, ["case"] + [label[f] for f in frameworks if f != "torch"])
    return rows, diff_rows


if __name__ == "__main__":
    main()
