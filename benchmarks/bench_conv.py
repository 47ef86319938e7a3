"""Convolution speed: teachnn vs PyTorch vs a plain NumPy im2col, forward + backward.

    python benchmarks/bench_conv.py            # the full suite (about a minute)
    python benchmarks/bench_conv.py --quick    # fewer repeats
    NUMBA_NUM_THREADS=1 python benchmarks/bench_conv.py   # everything on one thread

Every case runs forward and backward (gradients for input, weight and bias) in float32,
in this one process, with PyTorch limited to the threads Numba uses. Times are the best of
several runs (the machine is shared, the best run is the least disturbed one). The ratio
column is teachnn time / PyTorch time: below 1 means teachnn is faster.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys

# PyTorch's OpenMP threads spin-wait between operations by default. On this shared 2-core
# machine, with other processes running, that made PyTorch 5-10x slower than it can be
# (measured: Conv2d (32,16,32,32) fwd+bwd 217 ms spinning vs 16 ms passive), which would
# flatter teachnn. Passive waiting gives PyTorch its good case here; set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# NUMBA_NUM_THREADS=1 means a one-thread comparison: hold NumPy's BLAS (teachnn's GEMMs and
# the NumPy baseline) to the same count, else it would still use every core. Must be set
# before NumPy loads.
if "NUMBA_NUM_THREADS" in os.environ:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ["NUMBA_NUM_THREADS"])

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import geomean, machine_line, match_threads, print_table, time_fn  # noqa: E402

import teachnn  # noqa: E402
import teachnn.nn.functional as F  # noqa: E402

# name, kind, input shape, out channels, kernel, keyword arguments
CASES = [
    ("Conv1d text (32,128,256)->128 k3", "conv", (32, 128, 256), 128, 3, dict(padding=1)),
    ("Conv1d text (32,128,256)->128 k3 d2", "conv", (32, 128, 256), 128, 3,
     dict(padding=2, dilation=2)),
    ("Conv2d (32,3,32,32)->16 k3 p1", "conv", (32, 3, 32, 32), 16, 3, dict(padding=1)),
    ("Conv2d (32,16,32,32)->32 k3 p1", "conv", (32, 16, 32, 32), 32, 3, dict(padding=1)),
    ("Conv2d (8,64,56,56)->64 k3 p1", "conv", (8, 64, 56, 56), 64, 3, dict(padding=1)),
    ("Conv2d (32,16,32,32)->32 k5 s2 p2", "conv", (32, 16, 32, 32), 32, 5,
     dict(stride=2, padding=2)),
    ("Conv2d depthwise (32,32,32,32) g=32 k3", "conv", (32, 32, 32, 32), 32, 3,
     dict(padding=1, groups=32)),
    ("Conv3d (4,8,16,32,32)->16 k3", "conv", (4, 8, 16, 32, 32), 16, 3, {}),
    ("ConvTranspose2d (8,64,16,16)->32 k4 s2 p1", "transpose", (8, 64, 16, 16), 32, 4,
     dict(stride=2, padding=1)),
]


# ---------------------------------------------------------------------------------------
# Plain NumPy baseline: im2col by one strided slice per kernel tap, tensordot, col2im by
# adding the slices back. No Numba, no threads beyond BLAS.
# ---------------------------------------------------------------------------------------
def _tap_slices(kernel, stride, dilation, out_spatial):
    for tap in itertools.product(*[range(k) for k in kernel]):
        yield tap, tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                         for t, d, o, s in zip(tap, dilation, out_spatial, stride))


def numpy_conv_fwd_bwd(x, w, b, stride, padding, dilation, groups, gout):
    n = x.ndim - 2
    N, C = x.shape[:2]
    O, Cg = w.shape[:2]
    kernel = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    out_spatial = tuple((L - d * (k - 1) - 1) // s + 1 for L, k, s, d in
                        zip(xp.shape[2:], kernel, stride, dilation))
    K = int(np.prod(kernel))
    col = np.empty((N, C, K) + out_spatial, x.dtype)          # (N, C, K, *out)
    for i, (tap, sl) in enumerate(_tap_slices(kernel, stride, dilation, out_spatial)):
        col[:, :, i] = xp[(slice(None), slice(None)) + sl]
    G, Og = groups, O // groups
    colg = col.reshape((N, G, Cg * K) + out_spatial)
    wg = w.reshape(G, Og, Cg * K)
    out = np.einsum("gok,ngk...->ngo...", wg, colg, optimize=True).reshape((N, O) + out_spatial)
    out += b.reshape((1, O) + (1,) * n)
    # backward
    gg = gout.reshape((N, G, Og) + out_spatial)
    gb = gout.sum(axis=(0,) + tuple(range(2, n + 2)))
    gw = np.einsum("ngo...,ngk...->gok", gg, colg, optimize=True).reshape(w.shape)
    dcol = np.einsum("gok,ngo...->ngk...", wg, gg, optimize=True).reshape(col.shape)
    gxp = np.zeros_like(xp)
    for i, (tap, sl) in enumerate(_tap_slices(kernel, stride, dilation, out_spatial)):
        gxp[(slice(None), slice(None)) + sl] += dcol[:, :, i]
    gx = gxp[(slice(None), slice(None)) + tuple(slice(p, p + L) for p, L in
                                                zip(padding, x.shape[2:]))]
    return out, gx, gw, gb


def numpy_conv_transpose_fwd_bwd(x, w, b, stride, padding, dilation, gout):
    """groups=1 transposed conv: out = col2im(w^T x); backward = im2col(gout)."""
    N, Cin = x.shape[:2]
    Cout = w.shape[1]
    kernel = w.shape[2:]
    in_spatial = x.shape[2:]
    out_spatial = gout.shape[2:]
    full = tuple(o + 2 * p for o, p in zip(out_spatial, padding))
    K = int(np.prod(kernel))
    wk = w.reshape(Cin, Cout, K)
    dcol = np.einsum("cok,nc...->nok...", wk, x, optimize=True)       # (N, Cout, K, *in)
    outp = np.zeros((N, Cout) + full, x.dtype)
    for i, (tap, sl) in enumerate(_tap_slices(kernel, stride, dilation, in_spatial)):
        outp[(slice(None), slice(None)) + sl] += dcol[:, :, i]
    crop = tuple(slice(p, p + o) for p, o in zip(padding, out_spatial))
    out = outp[(slice(None), slice(None)) + crop] + b.reshape((1, Cout) + (1,) * len(kernel))
    gp = np.zeros((N, Cout) + full, x.dtype)
    gp[(slice(None), slice(None)) + crop] = gout
    col = np.empty((N, Cout, K) + in_spatial, x.dtype)
    for i, (tap, sl) in enumerate(_tap_slices(kernel, stride, dilation, in_spatial)):
        col[:, :, i] = gp[(slice(None), slice(None)) + sl]
    gx = np.einsum("cok,nok...->nc...", wk, col, optimize=True)
    gw = np.einsum("nc...,nok...->cok", x, col, optimize=True).reshape(w.shape)
    gb = gout.sum(axis=(0,) + tuple(range(2, gout.ndim)))
    return out, gx, gw, gb


# ---------------------------------------------------------------------------------------
def interleaved(fns, repeat):
    """Best-of-``repeat`` seconds for each function, running them in turns (A B A B ...),
    so that a burst of load from other processes hits all of them alike."""
    for fn in fns.values():
        time_fn(fn, 1, warmup=1)
    best = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            best[name] = min(best[name], time_fn(fn, 1, warmup=0))
    return best


def run_case(case, repeat, torch):
    name, kind, xshape, out_ch, k, kw = case
    n = len(xshape) - 2
    rng = np.random.default_rng(0)
    cin = xshape[1]
    groups = kw.get("groups", 1)
    if kind == "conv":
        wshape = (out_ch, cin // groups) + (k,) * n
    else:
        wshape = (cin, out_ch // groups) + (k,) * n
    x = rng.standard_normal(xshape).astype(np.float32)
    w = (rng.standard_normal(wshape) * 0.1).astype(np.float32)
    b = rng.standard_normal(out_ch).astype(np.float32)
    fname = f"conv{n}d" if kind == "conv" else f"conv_transpose{n}d"

    tx, tw, tb = (teachnn.tensor(a, requires_grad=True) for a in (x, w, b))
    out_shape = getattr(F, fname)(tx, tw, tb, **kw).shape
    g = rng.standard_normal(tuple(out_shape)).astype(np.float32)
    tg = teachnn.tensor(g)

    def ours():
        for t in (tx, tw, tb):
            t.grad = None
        getattr(F, fname)(tx, tw, tb, **kw).backward(tg)

    if torch is not None:
        px, pw, pb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        pg = torch.tensor(g)
        tfn = getattr(torch.nn.functional, fname)

        def theirs():
            for t in (px, pw, pb):
                t.grad = None
            tfn(px, pw, pb, **kw).backward(pg)

        times = interleaved({"teachnn": ours, "torch": theirs}, repeat)
        err = max(float(np.abs(tx.grad._data - px.grad.numpy()).max()),
                  float(np.abs(tw.grad._data - pw.grad.numpy()).max()
                        / max(1.0, np.abs(pw.grad.numpy()).max())))
    else:
        times = interleaved({"teachnn": ours}, repeat)
        err = float("nan")
    stride = teachnn.geometry.ntuple(kw.get("stride", 1), n)
    padding = teachnn.geometry.ntuple(kw.get("padding", 0), n)
    dilation = teachnn.geometry.ntuple(kw.get("dilation", 1), n)
    if kind == "conv":
        times["numpy"] = time_fn(lambda: numpy_conv_fwd_bwd(x, w, b, stride, padding, dilation,
                                                            groups, g), max(2, repeat // 2))
    else:
        times["numpy"] = time_fn(lambda: numpy_conv_transpose_fwd_bwd(x, w, b, stride, padding,
                                                                      dilation, g),
                                 max(2, repeat // 2))
    return times, err


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--case", default="", help="run only cases whose name contains this")
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    try:
        import torch
    except ImportError:
        torch = None
    threads = match_threads()
    print(machine_line(threads))
    print("forward + backward (grads of input, weight, bias), float32, best of "
          f"{repeat} runs; ratio = teachnn / PyTorch")
    rows, ratios = [], []
    for case in [c for c in CASES if args.case in c[0]]:
        times, err = run_case(case, repeat, torch)
        t_ms = times["teachnn"] * 1e3
        p_ms = times.get("torch", float("nan")) * 1e3
        np_ms = times["numpy"] * 1e3
        ratio = t_ms / p_ms if torch is not None else float("nan")
        ratios.append(ratio)
        rows.append([case[0], f"{t_ms:.2f}", f"{p_ms:.2f}", f"{np_ms:.2f}", f"{ratio:.2f}",
                     f"{np_ms / t_ms:.1f}", f"{err:.1e}"])
        print(" ".join(map(str, rows[-1])), flush=True, file=sys.stderr)
    rows.append(["geometric mean", "", "", "", f"{geomean(ratios):.2f}", "", ""])
    print_table(rows, ["case", "teachnn ms", "torch ms", "numpy-im2col ms", "teachnn/torch",
                       "numpy/teachnn", "max grad diff"])
    return rows


if __name__ == "__main__":
    main()
