"""Run every benchmark in one go: ``python -m benchmarks.run`` (from the checkout root).

Each part prints its own Markdown table of teachnn / PyTorch ratios measured in the same
process with the same thread count. Nothing here is a test: no number is asserted.
Words after the command pick parts by name (``python -m benchmarks.run conv pool``);
``--quick`` is passed to every part.

``--isa avx2`` measures as on a CPU with AVX2 but no AVX-512, on this machine: it runs the
same command again with both sides restricted (set before Numba and PyTorch load):
    NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES=   teachnn: Numba compiles for Haswell's features
                                                 (the name alone keeps the host's AVX-512
                                                 features), so the AVX2 tile is chosen
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2   PyTorch's kernels and oneDNN's
Numba's cache keys on the CPU, so the first run compiles every kernel afresh.
"""
import os
import sys

# PyTorch's OpenMP threads spin while they wait; on a shared machine that makes PyTorch look
# several times slower than it is. Passive waiting gives PyTorch its good case (set before
# torch is imported by any part).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from benchmarks import (bench_conv, bench_dense, bench_overhead, bench_peers, bench_pool,  # noqa: E402
                        bench_viz, compile_latency)

PARTS = [
    ("convolution (forward + backward)", bench_conv.main),
    ("convolution peers: MyGrad, tinygrad (skipped when not installed)", bench_peers.main),
    ("pooling (forward + backward)", bench_pool.main),
    ("dense layers and training steps (forward + backward)", bench_dense.main),
    ("per-operation overhead (small tensors: the Python around the kernels)", bench_overhead.main),
    ("visualiser rendering", bench_viz.main),
    ("compile latency", compile_latency.main),
]


ISA_ENV = {
    "avx2": {"NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": "",
             "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
}


def _restrict_isa(argv):
    """Re-run this command with the --isa restriction in the environment (see above)."""
    i = argv.index("--isa")
    isa = argv[i + 1] if i + 1 < len(argv) else ""
    if isa not in ISA_ENV:
        raise SystemExit(f"--isa expects one of {sorted(ISA_ENV)}, got {isa!r}")
    rest = argv[:i] + argv[i + 2:]
    env = dict(os.environ, **ISA_ENV[isa])
    if all(os.environ.get(k) == v for k, v in ISA_ENV[isa].items()):
        return rest                      # already restricted: run here
    print(f"(--isa {isa}: " + " ".join(f"{k}={v}" for k, v in ISA_ENV[isa].items()) + ")",
          flush=True)
    os.execve(sys.executable, [sys.executable, "-m", "benchmarks.run", *rest, "--isa", isa], env)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "--isa" in argv:
        argv = _restrict_isa(argv)
    only = [a for a in argv if not a.startswith("-")]
    for name, part in PARTS:
        if only and not any(o in name for o in only):
            continue
        print(f"\n## {name}\n", flush=True)
        flags = [a for a in argv if a == "--quick"]
        part(flags) if part.__code__.co_argcount else part()


if __name__ == "__main__":
    main()
