"""Run every benchmark in one go: ``python -m benchmarks.run`` (from the checkout root).

Each part prints its own Markdown table of teachnn / PyTorch ratios measured in the same
process with the same thread count. Nothing here is a test: no number is asserted.
Arguments after the command are passed to every part (e.g. ``--repeat 3``).
"""
import sys

from benchmarks import bench_conv, bench_dense, bench_pool, bench_viz, compile_latency

PARTS = [
    ("convolution (forward + backward)", bench_conv.main),
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
        flags = [a for a in argv if a.startswith("-")]
        part(flags) if part.__code__.co_argcount else part()


if __name__ == "__main__":
    main()
