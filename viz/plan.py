"""Frame plans: what every frame of an animation shows, as plain data.

A scene is built in two steps:

1. a *plan* (this module's ``Plan``): the grids of numbers (panels), and for every frame
   which cells are highlighted, which output cell is being written, the arithmetic of that
   cell (``1x0 + 2x1 + ... = 19``) and its value. No matplotlib here, so tests can check
   a plan headless and fast;
2. a *renderer* (``viz.render``) that turns a plan into matplotlib artists once and then
   only updates colours and texts from frame to frame.

Every index in a plan comes from ``teachnn.geometry``; the values are computed from the
input numbers by following those indices, and ``Plan.check()`` compares the result with
``teachnn.nn.functional`` so the animation shows exactly what the kernels compute.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Panel", "Frame", "Plan", "VizConfigError", "fmt", "impossible",
           "KIND_VALUE", "KIND_PADDING", "KIND_ZERO", "KIND_OUTSIDE", "KIND_EXTRA"]

# What a cell of a panel stands for (decides its base colour in the renderer).
KIND_VALUE = 0      # a real number of the input / kernel / output
KIND_PADDING = 1    # padding added around the input (0 for conv and avg pool, -inf for max pool)
KIND_ZERO = 2       # a zero inserted between input cells (transposed conv, direct view)
KIND_OUTSIDE = 3    # outside the tensor: a ceil_mode window hanging over, or cropped output
KIND_EXTRA = 4      # an output cell that exists only because of output_padding


class VizConfigError(ValueError):
    """A combination of sizes that cannot work (e.g. the kernel does not fit).

    ``str(err)`` is the Korean sentence, then the English one on the next line;
    ``err.ko`` and ``err.en`` hold each alone (the widgets show them side by side).
    """

    __module__ = "viz"                  # shown as viz.VizConfigError in tracebacks

    def __init__(self, message: str, ko: str = ""):
        super().__init__(f"{ko}\n{message}" if ko else message)
        self.en = message
        self.ko = ko


def impossible(message: str, ko: str = "") -> VizConfigError:
    """Build the error a scene raises for an impossible configuration."""
    return VizConfigError(message, ko)


def fmt(value: float) -> str:
    """A number as a learner would write it: ``3``, ``-1``, ``2.5``, ``0.33``; NaN -> ``''``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = float(value)
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    if abs(value - round(value)) < 1e-9:
        return str(int(round(value)))
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text


def fmt_factor(value: float) -> str:
    """A factor inside a product: negative numbers get parentheses, ``2x(-1)``."""
    text = fmt(value)
    return f"({text})" if text.startswith("-") else text


@dataclass
class Panel:
    """One grid of cells drawn as a table of numbers.

    values: (rows, cols) float array; NaN draws an empty cell.
    kinds:  (rows, cols) int array of KIND_* codes (padding, inserted zero, ...).
    row_index / col_index: the tensor index printed beside each row / column (padding
        rows get -1, -2, ...); None prints no index labels.
    group: "input", "kernel" or "output" -- panels of one group are drawn side by side.
    """

    key: str
    title: str
    values: np.ndarray
    kinds: np.ndarray
    group: str = "input"
    row_index: list | None = None
    col_index: list | None = None
    # Ranges drawn as coloured bars in every frame (adaptive pooling): bars below the grid
    # for column ranges, bars right of it for row ranges; each (start, end, colour_index),
    # half-open. Overlapping ranges go to separate lanes, so overlaps are visible.
    col_bars: list = field(default_factory=list)
    row_bars: list = field(default_factory=list)

    @staticmethod
    def lanes(bars) -> list[int]:
        """Lane of each bar: the lowest lane whose previous bar ends before this one starts."""
        ends, lanes = [], []
        for start, end, _ in bars:
            for lane, last in enumerate(ends):
                if last <= start:
                    ends[lane] = end
                    lanes.append(lane)
                    break
            else:
                ends.append(end)
                lanes.append(len(ends) - 1)
        return lanes

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape


@dataclass
class Frame:
    """Everything that changes from one frame to the next.

    highlight: panel key -> cells (row, col) read in this step (the window, the kernel taps).
    current:   panel key -> cells being written in this step (the current output cell).
    marked:    panel key -> cells given a thick red border (the maximum a max-pool picks).
    values:    panel key -> full value grid to show in this frame (outputs filling up).
    boxes:     panel key -> (r0, c0, r1, c1) half-open rectangles (the window's extent).
    arithmetic: the computation of this step, e.g. ``out[0, 1] = 1x0 + 2x1 = 2``.
    out_index: index of the computed cell in the output (without batch/channel axes), or
        None for a step that writes several cells (transposed conv scatter).
    value: the value of that output cell, computed from ``terms``.
    terms: the numbers behind ``arithmetic`` (pairs (x, w) for sums of products, single
        numbers for max/mean), kept for tests.
    bias: the bias added after the sum of products (0 when the layer has none).
    """

    title: str
    highlight: dict = field(default_factory=dict)
    current: dict = field(default_factory=dict)
    marked: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    boxes: dict = field(default_factory=dict)
    arithmetic: str = ""
    out_index: tuple | None = None
    value: float | None = None
    terms: list = field(default_factory=list)
    bias: float = 0.0


@dataclass
class Plan:
    """A whole scene as data: panels, frames, the output-size formula and the result.

    result: the output (spatial axes only) assembled from the frames' sums.
    reference: (function name in teachnn.nn.functional, positional numpy arrays, kwargs,
        index of the shown slice in F's output, e.g. (0, 2) for batch 0 / channel 2).
    """

    name: str
    title: str
    panels: list
    frames: list
    formula: str
    result: np.ndarray
    reference: tuple
    legend: list = field(default_factory=list)
    notes: str = ""

    def __len__(self) -> int:
        return len(self.frames)

    def panel(self, key: str) -> Panel:
        for p in self.panels:
            if p.key == key:
                return p
        raise KeyError(key)

    def functional_output(self) -> np.ndarray:
        """Run the same operation with ``teachnn.nn.functional`` (float64) and return the
        slice this scene shows."""
        import teachnn.nn.functional as F
        from teachnn.tensor import Tensor

        fname, arrays, kwargs, index = self.reference
        fn = getattr(F, fname)
        tensors = [Tensor(np.ascontiguousarray(a, dtype=np.float64)) for a in arrays]
        out = fn(*tensors, **kwargs)
        return np.asarray(out._data)[index]

    def check(self, atol: float = 1e-9) -> bool:
        """Assert that the numbers in the animation are what teachnn.nn.functional computes.

        Raises AssertionError naming the first cell that differs.
        """
        expected = self.functional_output()
        if expected.shape != self.result.shape:
            raise AssertionError(f"{self.name}: the animation's output has shape "
                                 f"{self.result.shape}, teachnn.nn.functional gives "
                                 f"{expected.shape}")
        bad = np.argwhere(~np.isclose(self.result, expected, atol=atol, rtol=1e-9))
        if len(bad):
            idx = tuple(int(i) for i in bad[0])
            raise AssertionError(f"{self.name}: output{list(idx)} is {self.result[idx]} in the "
                                 f"animation but {expected[idx]} in teachnn.nn.functional")
        return True
