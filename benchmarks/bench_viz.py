"""How long the viz animations take to render (a benchmark, not a test: nothing asserted).

    python benchmarks/bench_viz.py            # full run (~1 minute)
    python benchmarks/bench_viz.py --quick    # one repetition each

Compares, for a 25-frame Conv2d scene (7x7 input, 3x3 kernel):
  * viz's GIF path: artists created once, each frame redraws only the cells that changed
    (pixel-identical to a full redraw: tests/test_viz_render.py checks it), shared palette;
  * the plain matplotlib path on the same artists: FuncAnimation + PillowWriter, which
    redraws the whole figure (twice) per frame;
  * the notebook player (to_jshtml) and one widget step (PNG of one frame).
Times are best-of-N wall seconds on a shared, noisy machine: compare the ratios.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import matplotlib
matplotlib.use("Agg")

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from matplotlib.animation import PillowWriter  # noqa: E402

from benchmarks.common import machine_line, print_table, time_fn  # noqa: E402
import viz  # noqa: E402
from viz.render import DISPLAY_DPI, Renderer  # noqa: E402
from viz.scenes import SCENES  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition per timing")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else 3
    print(machine_line(threads=1))

    scene = viz.conv2d(size=7, kernel=3)
    assert len(scene) == 25
    tmp = tempfile.mkdtemp()
    gif = os.path.join(tmp, "conv.gif")

    def plain_matplotlib_gif():
        anim = scene.animation()
        anim.save(os.path.join(tmp, "plain.gif"), writer=PillowWriter(fps=scene.fps),
                  dpi=DISPLAY_DPI)          # the GIF size viz.save writes

    def cpu_seconds(fn):
        """CPU time of this process for one call: less disturbed by other processes on a
        shared machine than wall time (matplotlib drawing is single-threaded)."""
        start = time.process_time()
        fn()
        return time.process_time() - start

    rows = []
    t_plan = time_fn(lambda: SCENES["conv2d"].plan(size=7, kernel=3), repeat=repeat)
    rows.append(["frame plan (25 frames, no drawing)", f"{t_plan:.3f}", "", ""])
    t_fast = time_fn(lambda: scene.save(gif), repeat=repeat, warmup=0)
    t_plain = time_fn(plain_matplotlib_gif, repeat=1, warmup=0)
    c_fast = cpu_seconds(lambda: scene.save(gif))
    c_plain = cpu_seconds(plain_matplotlib_gif)
    rows.append(["GIF, viz (incremental redraw)", f"{t_fast:.2f}", f"{c_fast:.2f}", "1.00"])
    rows.append(["GIF, FuncAnimation + PillowWriter", f"{t_plain:.2f}", f"{c_plain:.2f}",
                 f"{c_plain / c_fast:.2f}"])
    t_html = time_fn(scene.to_jshtml, repeat=repeat, warmup=0)
    c_html = cpu_seconds(scene.to_jshtml)
    rows.append(["notebook player (to_jshtml)", f"{t_html:.2f}", f"{c_html:.2f}",
                 f"{c_html / c_fast:.2f}"])
    renderer = Renderer(scene.plan)
    renderer.png(0)
    steps = iter(range(1, 10**6))
    t_step = time_fn(lambda: renderer.png(next(steps) % 25), repeat=5 * repeat)
    rows.append(["widget step (one PNG frame)", f"{t_step:.3f}", "", ""])
    print_table(rows, ["25-frame Conv2d 7x7, k=3", "wall s", "CPU s", "x viz GIF (CPU)"],
                title="viz rendering")

    rows = []
    for name, spec in SCENES.items():
        s = viz.Scene(spec.plan())
        path = os.path.join(tmp, f"{name}.gif")
        t0, c0 = time.perf_counter(), time.process_time()
        s.save(path)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        rows.append([name, len(s), f"{seconds:.2f}", f"{cpu:.2f}",
                     f"{cpu / len(s) * 1000:.0f}"])
    print_table(rows, ["scene (defaults)", "frames", "GIF wall s", "GIF CPU s", "CPU ms/frame"],
                title="every scene to GIF (python -m viz all)")


if __name__ == "__main__":
    main()
