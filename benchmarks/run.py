"""Run every benchmark in one go: ``python -m benchmarks.run`` (from the checkout root).

Each part prints its own Markdown table of teachnn / PyTorch ratios measured in the same
process with the same thread count. Nothing here is a test: no number is asserted.
Words after the command pick parts by name (``python -m benchmarks.run conv pool``);
``--quick`` is passed to every part.
"""
import os
import sys

# PyTorch's OpenMP threads spin while they wait; on a shared machine that makes PyTorch look
# several times slower than it is. Passive waiting gives PyTorch its good case (set before
# torch is imported by any part).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from benchmarks import (bench_conv, bench_dense, bench_peers, bench_pool, bench_viz,  # noqa: E402
                        compile_latency)

PARTS = [
    ("convolution (forward + backward)", bench_conv.main),
    ("convolution peers: MyGrad, tinygrad (skipped when not installed)", bench_peers.main),
    ("pooling (forward + backward)", bench_pool.main),
    ("dense layers and training steps (forward + backward)", bench_dense.main),
    ("visualiser rendering", bench_viz.main),
    ("compile latency", compile_latency.main),
]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    only = [a for a in argv if not a.startswith("-")]
    for name, part in PARTS:
        if only and not any(o in name for o in only):
            continue
        print(f"\n## {name}\n", flush=True)
        flags = [a for a in argv if a == "--quick"]
        part(flags) if part.__code__.co_argcount else part()


if __name__ == "__main__":
    main()
