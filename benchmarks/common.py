"""Shared timing helpers for the benchmarks (a benchmark is not a test: nothing is asserted).

Every benchmark times teachnn and its peers *in the same process* with the same thread
count, and reports ratios: these machines are noisy, absolute milliseconds are not.
"""
from __future__ import annotations

import math
import os
import platform
import time

__all__ = ["time_fn", "geomean", "machine_line", "match_threads", "print_table"]


def time_fn(fn, repeat: int = 5, warmup: int = 1, min_time: float = 0.0) -> float:
    """Best-of-``repeat`` wall time of ``fn()`` in seconds, after ``warmup`` untimed calls.

    The best (not the mean) run is the least disturbed by other processes on the machine.
    """
    for _ in range(warmup):
        fn()
    best = math.inf
    start_all = time.perf_counter()
    runs = 0
    while runs < repeat or time.perf_counter() - start_all < min_time:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return best


def geomean(values) -> float:
    values = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def match_threads() -> int:
    """Give PyTorch the same number of threads Numba uses; return that number."""
    import numba
    n = numba.get_num_threads()
    try:
        import torch
        torch.set_num_threads(n)
    except ImportError:
        pass
    return n


def machine_line(threads: int) -> str:
    from teachnn.kernels.fast_conv.tiles import SHAPE
    try:                              # what PyTorch's kernels use (ATEN_CPU_CAPABILITY)
        import torch
        isa = torch.backends.cpu.get_cpu_capability()
    except ImportError:
        isa = None
    return (f"CPU: {cpu_model()} | cores: {os.cpu_count()} | threads (numba = torch): {threads}"
            f" | Python {platform.python_version()} | teachnn tile: {SHAPE.name}"
            f" (NUMBA_CPU_NAME={os.environ.get('NUMBA_CPU_NAME', 'host')})"
            + (f" | torch kernels: {isa}" if isa else ""))


def print_table(rows, columns, title=""):
    """Print rows (lists) under column names, right-aligned, as Markdown."""
    if title:
        print(f"\n### {title}\n")
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]
    print("| " + " | ".join(str(c).ljust(w) for c, w in zip(columns, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(v).rjust(w) for v, w in zip(r, widths)) + " |")
