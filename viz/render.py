"""Turn a frame plan into a matplotlib figure whose artists are created once.

``Renderer(plan)`` builds one Axes per panel, one Rectangle and one Text per cell, a grid of
lines, a few dashed boxes (the window) and red marks (the chosen maximum), and the texts at
the top and bottom. ``draw(i)`` only changes colours, texts and box positions -- the axes
are never cleared or rebuilt -- and remembers which cells changed.

``frames()`` / ``rgba(i)`` then draw *only those cells* onto the Agg buffer. That is
correct because fills, grid lines, boxes and marks are drawn without antialiasing (drawing
them twice gives the same pixels) and every cell is opaque; tests/test_viz_render.py checks
that the result equals a full redraw pixel for pixel. It makes GIFs, the notebook player
and widget steps several times faster (see benchmarks/bench_viz.py).

Sizes are given for the figure as shown: ``DISPLAY_DPI`` CSS pixels per inch, so a figure
of 9 inches is shown 864 px wide and a 12 px label is 12 px on screen; the pixels are drawn
at ``scale`` times that density (2 by default) for sharp high-density screens, and the
player, the widgets and ``VizFigure`` tell the browser the display size.

Texts come from the plan in English and go through ``viz.i18n.tr`` (Korean by default) and
are drawn with ``viz.i18n.sans()`` / ``mono()``: NanumGothic (shipped by the
``koreanize-matplotlib`` package) for Hangul, DejaVu Sans (shipped with matplotlib) for the rest.
"""
from __future__ import annotations

import math
import textwrap

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from viz import i18n
from viz.plan import (Panel, KIND_EXTRA, KIND_OUTSIDE, KIND_PADDING, KIND_VALUE, KIND_ZERO, fmt)

__all__ = ["Renderer", "VizFigure", "COLOURS", "FONT", "MONO", "DISPLAY_DPI", "SCALE", "px"]

FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
DISPLAY_DPI = 96      # CSS pixels per inch of a figure as shown in the notebook
SCALE = 2             # drawn pixels per CSS pixel (sharp on high-density screens)
MAX_WIDTH_PX = 900    # a JupyterLab notebook cell is about 900-1000 px wide at 100 % zoom


def px(size: float) -> float:
    """A font size in CSS pixels on screen -> matplotlib points at DISPLAY_DPI."""
    return size * 72 / DISPLAY_DPI


class VizFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG in Jupyter even though viz never
    imports pyplot (so no inline backend is registered and no figure piles up in pyplot's
    global list). The PNG has ``SCALE`` times the pixels of its display size, which is
    passed to Jupyter as the image's width and height."""

    def _repr_png_(self):
        import io
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DISPLAY_DPI * SCALE,
                     metadata={"Software": None})          # no URL in viz's output
        width, height = self.get_size_inches() * DISPLAY_DPI
        return buffer.getvalue(), {"width": int(round(width)), "height": int(round(height))}


# Colour-blind-friendly enough: the states differ in lightness as well as hue.
COLOURS = {
    "input": "#ffffff",       # an input value
    "padding": "#cfcfcf",     # padding around the input
    "zero": "#fff1b8",        # a zero inserted between input cells
    "outside": "#f4f4f4",     # outside the tensor (overhang / cropped)
    "extra": "#d9c8f0",       # created by output_padding
    "kernel": "#d4e6f7",      # kernel weights
    "highlight": "#ffad42",   # read in this frame
    "current": "#5cb85c",     # output cell written in this frame
    "done": "#e6f4e6",        # output already written
    "output": "#ffffff",      # output not yet written
    "marked": "#c62828",      # border of the chosen maximum
    "box": "#b34700",         # dashed window outline
    "edge": "#7a7a7a",        # normal cell border
}
# Outline colours for the regions of adaptive pooling.
REGION_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
                  "#8c564b", "#e377c2", "#bcbd22"]

_KIND_COLOUR = {KIND_VALUE: "input", KIND_PADDING: "padding", KIND_ZERO: "zero",
                KIND_OUTSIDE: "outside", KIND_EXTRA: "extra"}

CELL = 0.42         # inches per cell (40 px)
GAP = 0.45          # inches between panels of a group
GROUP_GAP = 0.8     # inches between groups
MAX_LINE = MAX_WIDTH_PX / DISPLAY_DPI - 0.7     # inches: wider rows of panels are wrapped
MARGIN = 0.35
HEAD = 0.55         # inches above each panel for its title and column indices
ROW_LABEL = 0.3     # inches left of each panel for row indices
ARITH_SIZE = px(13)     # points, monospace arithmetic line
TITLE_SIZE = px(15)     # points, the scene's title on top
PANEL_TITLE_SIZE = px(13)
INDEX_SIZE = px(11)     # the tensor indices beside rows and columns
LEGEND_SIZE = px(12)
FORMULA_SIZE = px(12.5)
STEP_SIZE = px(14)
N_BOXES = 2         # dashed boxes available per panel
BAR_LANE = 0.4      # cells per lane of range bars
N_MARKS = 2         # red 'chosen maximum' marks available per panel


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospaced line: a Hangul syllable takes two."""
    return sum(2 if "\u1100" <= ch <= "\ud7a3" else 1 for ch in text)


def _wrap_wide(text: str, width: int, indent: str = "") -> list[str]:
    """``textwrap.wrap`` by words, counting Hangul as two columns."""
    if _width(text) <= width:
        return [text] if text else []
    body = text.lstrip(" ")
    lead = text[:len(text) - len(body)]             # keep the alignment of "+ ..." lines
    lines, line = [], lead
    for word in body.split(" "):
        candidate = f"{line} {word}" if line.strip() else line + word
        if line.strip() and _width(candidate) > width:
            lines.append(line)
            line = indent + word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


class Renderer:
    """Draw a Plan frame by frame on one long-lived Figure."""

    def __init__(self, plan, scale: float = SCALE):
        self.plan = plan
        self.scale = scale
        self.dpi = DISPLAY_DPI * scale
        self.language = i18n.get_language()             # the language at build time
        self.sans, self.mono = i18n.sans(), i18n.mono()
        self._layout()
        self.fig = VizFigure(figsize=(self.width, self.height), dpi=self.dpi)
        FigureCanvasAgg(self.fig)
        self.fig.patch.set_facecolor("white")
        self._build()
        self.current = None

    # ------------------------------------------------------------------ layout
    @staticmethod
    def _extra(bars):
        """Cells of room the range bars need beside the grid (0 without bars)."""
        return 0.25 + BAR_LANE * (max(Panel.lanes(bars)) + 1) if bars else 0.0

    def _panel_size(self, panel):
        """(width, height) in inches of the panel's block, labels and bars included."""
        rows, cols = panel.shape
        cols_total = cols + self._extra(panel.row_bars)
        rows_total = rows + self._extra(panel.col_bars)
        return ROW_LABEL + cols_total * self.cell, HEAD + rows_total * self.cell

    def _layout(self):
        plan = self.plan
        # long numbers (-0.25, 12.75) get wider cells so that they stay >= 11 px
        self.longest = max(self._longest(panel) for panel in plan.panels)
        self.cell = CELL if self.longest <= 5 else CELL * 1.2
        groups = []
        for panel in plan.panels:
            if not groups or groups[-1][0] != panel.group:
                groups.append((panel.group, []))
            groups[-1][1].append(panel)

        def line_width(items):
            width = 0.0
            for j, (panel, starts_group) in enumerate(items):
                if j:
                    width += GROUP_GAP if starts_group else GAP
                width += self._panel_size(panel)[0]
            return width

        flat = [(p, j == 0) for _, ps in groups for j, p in enumerate(ps)]
        if line_width(flat) <= MAX_LINE:
            lines = [flat]
        else:                                   # one group per line, wrapped if too wide
            lines = []
            for _, ps in groups:
                line = []
                for p in ps:
                    if line and line_width(line + [(p, False)]) > MAX_LINE:
                        lines.append(line)
                        line = []
                    line.append((p, False))
                lines.append(line)
        widths = [line_width(line) for line in lines]
        # wide enough for the panels (wider only if the panels need it) and the title,
        # whose lines are wrapped at the notebook's width
        limit = MAX_WIDTH_PX / DISPLAY_DPI
        self.title = self._wrap_title(self._tr(plan.title), limit - 2 * MARGIN)
        title_width = max(self._text_width(line, TITLE_SIZE) for line in self.title.split("\n"))
        self.width = max(max(widths) + 2 * MARGIN, 7.5, title_width + 2 * MARGIN)

        # Text areas: title on top, arithmetic + formula + legend below.
        self.title_lines = self.title.count("\n") + 1
        # DejaVu Sans Mono advances 0.602 em per character (a Hangul syllable: two).
        char_inches = 0.602 * ARITH_SIZE / 72
        self.wrap_width = max(int((self.width - 2 * MARGIN) / char_inches) - 2, 30)
        self.arith_lines = max([len(self._wrap(self._tr(f.arithmetic))) for f in plan.frames]
                               + [1])
        formula_chars = int((self.width - 2 * MARGIN) / (0.55 * FORMULA_SIZE / 72))
        self.formula_lines = [_wrap_wide(line, formula_chars) or [""]
                              for line in self._tr(plan.formula).split("\n")]
        n_formula = sum(len(x) for x in self.formula_lines)
        top = 0.3 + 0.24 * self.title_lines + 0.3
        bottom = 0.25 + 0.2 * self.arith_lines + 0.21 * n_formula + 0.2 + \
            0.27 * len(self._legend_rows())
        heights = [max(self._panel_size(p)[1] for p, _ in line) for line in lines]
        self.height = top + sum(heights) + 0.25 * (len(lines) - 1) + bottom + 0.2
        self.top, self.bottom = top, bottom

        # Panel rectangles in inches from the top-left corner.
        self.places = {}
        y = top
        for line, lw, lh in zip(lines, widths, heights):
            x = (self.width - lw) / 2
            for j, (panel, starts_group) in enumerate(line):
                if j:
                    x += GROUP_GAP if starts_group else GAP
                pw, ph = self._panel_size(panel)
                self.places[panel.key] = (x + ROW_LABEL, y + HEAD, pw - ROW_LABEL, ph - HEAD)
                x += pw
            y += lh + 0.25

    def _tr(self, text: str) -> str:
        return i18n.tr(text, self.language)

    def _text_width(self, text: str, size: float) -> float:
        """Inches ``text`` needs at ``size`` points in the figure's sans-serif fonts."""
        from matplotlib.backends.backend_agg import RendererAgg
        from matplotlib.font_manager import FontProperties
        if not text:
            return 0.0
        measure = RendererAgg(1, 1, 72)
        font = FontProperties(family=self.sans, size=size)
        return measure.get_text_width_height_descent(text, font, ismath=False)[0] / 72

    def _wrap_title(self, title: str, width: float) -> str:
        """Lines of the title longer than ``width`` inches broken after commas."""
        lines = []
        for line in title.split("\n"):
            while self._text_width(line, TITLE_SIZE) > width and ", " in line:
                parts = line.split(", ")
                k = len(parts) - 1
                while k > 1 and self._text_width(", ".join(parts[:k]) + ",",
                                                 TITLE_SIZE) > width:
                    k -= 1
                lines.append(", ".join(parts[:k]) + ",")
                line = "    " + ", ".join(parts[k:])
            lines.append(line)
        return "\n".join(lines)

    def _wrap(self, text):
        lines = []
        for part in text.split("\n"):
            lines += _wrap_wide(part, self.wrap_width, "    ") or [""]
        return lines

    # ------------------------------------------------------------------ artists
    def _longest(self, panel) -> int:
        """Characters of the longest number the panel shows in any frame."""
        texts = [fmt(v) for v in panel.values.ravel()]
        for frame in self.plan.frames:
            grid = frame.values.get(panel.key)
            if grid is not None:
                texts += [fmt(v) for v in np.asarray(grid).ravel()]
        return max([len(t) for t in texts] + [1])

    def _font_size(self, panel):
        longest = self._longest(panel)
        return px(15) if longest <= 3 else px(13) if longest <= 4 else px(11.5) \
            if longest <= 5 else px(11)

    def _build(self):
        fig, W, H = self.fig, self.width, self.height
        self.cells = {}
        for panel in self.plan.panels:
            left, top, w, h = self.places[panel.key]
            ax = fig.add_axes((left / W, 1 - (top + h) / H, w / W, h / H))
            rows, cols = panel.shape
            ax.set_xlim(0, cols + self._extra(panel.row_bars))
            ax.set_ylim(rows + self._extra(panel.col_bars), 0)
            ax.set_axis_off()
            size = self._font_size(panel)
            rects = np.empty((rows, cols), dtype=object)
            texts = np.empty((rows, cols), dtype=object)
            base = np.empty((rows, cols), dtype=object)
            # Fills, grid lines, marks and boxes are drawn without antialiasing: drawing
            # them again over themselves gives the same pixels, which is what lets
            # ``frames()`` redraw only the cells that changed.
            for r in range(rows):
                for c in range(cols):
                    kind = int(panel.kinds[r, c])
                    if panel.group == "kernel":
                        colour = COLOURS["kernel"]
                    elif panel.group == "output" and kind == KIND_VALUE:
                        colour = COLOURS["output"]
                    else:
                        colour = COLOURS[_KIND_COLOUR[kind]]
                    base[r, c] = colour
                    rect = Rectangle((c, r), 1, 1, facecolor=colour, edgecolor="none",
                                     antialiased=False, zorder=1,
                                     hatch="///" if kind == KIND_OUTSIDE else None,
                                     hatchcolor="#b0b0b0")
                    ax.add_patch(rect)
                    rects[r, c] = rect
                    grey = kind in (KIND_PADDING, KIND_ZERO, KIND_OUTSIDE)
                    texts[r, c] = ax.text(c + 0.5, r + 0.52, "", ha="center", va="center",
                                          fontsize=size, family=FONT, zorder=3,
                                          color="#555555" if grey else "black",
                                          style="italic" if grey else "normal")
            segments = [[(0, r), (cols, r)] for r in range(rows + 1)]
            segments += [[(c, 0), (c, rows)] for c in range(cols + 1)]
            grid = LineCollection(segments, colors=COLOURS["edge"], linewidths=0.8,
                                  antialiaseds=False, zorder=2, clip_on=False)
            ax.add_collection(grid)
            # Range bars (adaptive pooling): drawn in every frame, never overlapping cells.
            for bar_list, vertical in ((panel.col_bars, False), (panel.row_bars, True)):
                for (start, end, ci), lane in zip(bar_list, Panel.lanes(bar_list)):
                    offset = (rows if not vertical else cols) + 0.25 + BAR_LANE * (lane + 0.5)
                    ends = (start + 0.1, end - 0.1)
                    xs, ys = ((offset, offset), ends) if vertical else (ends, (offset, offset))
                    ax.add_line(Line2D(xs, ys, linewidth=5, solid_capstyle="butt",
                                       antialiased=False,
                                       color=REGION_COLOURS[ci % len(REGION_COLOURS)]))
            boxes = []
            for _ in range(N_BOXES):
                box = Rectangle((0, 0), 1, 1, fill=False, linestyle="--", linewidth=2.2,
                                edgecolor=COLOURS["box"], visible=False, zorder=5,
                                antialiased=False)
                ax.add_patch(box)
                boxes.append(box)
            marks = []
            for _ in range(N_MARKS):
                mark = Rectangle((0, 0), 1, 1, fill=False, linewidth=2.6, visible=False,
                                 edgecolor=COLOURS["marked"], zorder=4, antialiased=False)
                ax.add_patch(mark)
                marks.append(mark)
            # Title and tensor indices (padding indices are negative or past the end).
            title = ax.text(cols / 2, -0.62 if panel.col_index is not None else -0.25,
                            self._tr(panel.title), ha="center", va="bottom",
                            fontsize=PANEL_TITLE_SIZE, family=self.sans,
                            clip_on=False)
            if panel.col_index is not None and cols <= 20:
                for c, idx in enumerate(panel.col_index):
                    ax.text(c + 0.5, -0.12, str(idx), ha="center", va="bottom", fontsize=INDEX_SIZE,
                            color="#777777", family=FONT, clip_on=False)
            if panel.row_index is not None and rows <= 20:
                for r, idx in enumerate(panel.row_index):
                    ax.text(-0.15, r + 0.5, str(idx), ha="right", va="center", fontsize=INDEX_SIZE,
                            color="#777777", family=FONT, clip_on=False)
            self.cells[panel.key] = dict(panel=panel, ax=ax, rects=rects, texts=texts, title=title,
                                         base=base, boxes=boxes, marks=marks, grid=grid,
                                         shown=None, colours=None,
                                         box_cells=set(), dirty=set())

        y = 0.22 / H
        self.title_text = fig.text(0.5, 1 - 0.2 / H, self.title, ha="center", va="top",
                                   fontsize=TITLE_SIZE, family=self.sans, linespacing=1.4)
        step_y = 1 - (0.2 + 0.24 * self.title_lines + 0.08) / H
        self.step_bg = Rectangle((0, step_y - 0.26 / H), 1, 0.27 / H, facecolor="white",
                                 edgecolor="none", antialiased=False,
                                 transform=fig.transFigure, figure=fig)
        fig.patches.append(self.step_bg)
        self.step_text = fig.text(0.5, step_y, "", ha="center", va="top", fontsize=STEP_SIZE,
                                  family=self.sans, color="#2e6b2e")
        # Bottom block, from the bottom up: legend, formula, arithmetic.
        y = self._build_legend(y) + 0.11 / H
        formula = "\n".join(line for part in self.formula_lines for line in part)
        self.formula_text = fig.text(MARGIN / W, y, formula, ha="left", va="bottom",
                                     fontsize=FORMULA_SIZE, family=self.sans,
                                     color="#333333", linespacing=1.45)
        y += (0.21 * sum(len(x) for x in self.formula_lines) + 0.12) / H
        arith_h = (0.2 * self.arith_lines + 0.1) / H
        self.arith_bg = Rectangle((0, y - 0.03 / H), 1, arith_h, facecolor="white",
                                  edgecolor="none", antialiased=False,
                                  transform=fig.transFigure, figure=fig)
        fig.patches.append(self.arith_bg)
        self.arith_text = fig.text(MARGIN / W, y, "", ha="left", va="bottom",
                                   fontsize=ARITH_SIZE, family=self.mono, linespacing=1.25)

    def _legend_rows(self):
        """Legend entries split into rows that fit the figure width."""
        rows, row, x = [], [], MARGIN
        for colour_key, label in self._legend_entries():
            label = self._tr(label)
            width = 0.24 + self._text_width(label, LEGEND_SIZE) + 0.3
            if row and x + width > self.width - MARGIN:
                rows.append(row)
                row, x = [], MARGIN
            row.append((colour_key, label, x))
            x += width
        if row:
            rows.append(row)
        return rows

    def _legend_entries(self):
        """The plan's legend without colours that never appear (e.g. no padding)."""
        kinds = set()
        for panel in self.plan.panels:
            kinds |= {int(k) for k in np.unique(panel.kinds)}
        needs = {"padding": KIND_PADDING, "zero": KIND_ZERO, "outside": KIND_OUTSIDE,
                 "extra": KIND_EXTRA}
        return [(key, label) for key, label in self.plan.legend
                if key not in needs or needs[key] in kinds]

    def _build_legend(self, y):
        """Legend rows from ``y`` (figure fraction) upwards; returns the y above them."""
        fig, W, H = self.fig, self.width, self.height
        for row in reversed(self._legend_rows()):
            for colour_key, label, x in row:
                colour = COLOURS.get(colour_key, colour_key)
                edge = COLOURS["marked"] if colour_key == "marked" else COLOURS["edge"]
                face = "white" if colour_key == "marked" else colour
                fig.patches.append(Rectangle(
                    (x / W, y), 0.16 / W, 0.16 / H, facecolor=face, edgecolor=edge,
                    linewidth=2 if colour_key == "marked" else 0.8,
                    hatch="///" if colour_key == "outside" else None, hatchcolor="#b0b0b0",
                    transform=fig.transFigure, figure=fig))
                fig.text((x + 0.22) / W, y + 0.08 / H, label, ha="left", va="center",
                         fontsize=LEGEND_SIZE, family=self.sans)
            y += 0.27 / H
        return y

    # ------------------------------------------------------------------ drawing
    def draw(self, i: int):
        """Set every artist to frame ``i`` (colours, texts, boxes). Nothing is drawn yet:
        ``fig.savefig`` / ``canvas.draw()`` draw everything, ``frames()`` only what changed.
        Records which cells changed since the previous frame."""
        frames = self.plan.frames
        if not 0 <= i < len(frames):
            raise IndexError(f"frame {i} does not exist: this scene has {len(frames)} frames "
                             f"(0 to {len(frames) - 1})")
        frame = frames[i]
        for key, cell in self.cells.items():
            panel = cell["panel"]
            values = frame.values.get(key, panel.values)
            colours = cell["base"].copy()
            if panel.group == "output":
                done = ~np.isnan(values) & (panel.kinds == KIND_VALUE)
                colours[done] = COLOURS["done"]
            for r, c in frame.highlight.get(key, ()):
                colours[r, c] = COLOURS["highlight"]
            for r, c in frame.current.get(key, ()):
                colours[r, c] = COLOURS["current"]
            rows, cols = panel.shape
            shown = [[fmt(values[r, c]) for c in range(cols)] for r in range(rows)]
            dirty = cell["dirty"]
            for r in range(rows):
                for c in range(cols):
                    if cell["colours"] is None or cell["colours"][r, c] != colours[r, c]:
                        cell["rects"][r, c].set_facecolor(colours[r, c])
                        dirty.add((r, c))
                    if cell["shown"] is None or cell["shown"][r][c] != shown[r][c]:
                        cell["texts"][r, c].set_text(shown[r][c])
                        dirty.add((r, c))
            cell["colours"], cell["shown"] = colours, shown
            # Cells under a box or mark, before and after, are redrawn (the old outline
            # must disappear).
            dirty |= cell["box_cells"]
            covered = set()
            boxes = frame.boxes.get(key, [])
            for j, box in enumerate(cell["boxes"]):
                if j < len(boxes):
                    r0, c0, r1, c1 = boxes[j]
                    box.set_bounds(c0 + 0.07, r0 + 0.07, c1 - c0 - 0.14, r1 - r0 - 0.14)
                    box.set_visible(True)
                    # only the border cells: the dashed line runs through them
                    covered |= {(r, c) for r in range(r0, r1) for c in range(c0, c1)
                                if r in (r0, r1 - 1) or c in (c0, c1 - 1)}
                else:
                    box.set_visible(False)
            marked = list(frame.marked.get(key, ()))
            for j, mark in enumerate(cell["marks"]):
                if j < len(marked):
                    r, c = marked[j]
                    mark.set_bounds(c + 0.1, r + 0.1, 0.8, 0.8)
                    mark.set_visible(True)
                    covered.add((r, c))
                else:
                    mark.set_visible(False)
            dirty |= covered
            cell["box_cells"] = covered
        step = "단계" if self.language == "ko" else "step"
        self.step_text.set_text(f"{step} {i + 1}/{len(frames)}: {self._tr(frame.title)}")
        self.arith_text.set_text("\n".join(self._wrap(self._tr(frame.arithmetic))))
        self.current = i
        return []

    def _draw_changes(self):
        """Draw only the changed cells (plus grid, marks, boxes) onto the Agg buffer."""
        renderer = self.fig.canvas.get_renderer()
        for cell in self.cells.values():
            dirty = cell["dirty"]
            if not dirty:
                continue
            for r, c in dirty:
                cell["rects"][r, c].draw(renderer)
            cell["grid"].draw(renderer)
            for r, c in dirty:
                cell["texts"][r, c].draw(renderer)
            for artist in cell["marks"] + cell["boxes"]:
                if artist.get_visible():
                    artist.draw(renderer)
            dirty.clear()
        for artist in (self.step_bg, self.step_text, self.arith_bg, self.arith_text):
            artist.draw(renderer)

    def _clear_dirty(self):
        for cell in self.cells.values():
            cell["dirty"].clear()

    def full_draw(self, i: int):
        """Draw frame ``i`` from scratch (everything)."""
        self.draw(i)
        self.fig.canvas.draw()
        self._clear_dirty()
        self._drawn = i

    def rgba(self, i: int, incremental: bool = True) -> np.ndarray:
        """Frame ``i`` as an (H, W, 4) uint8 array. With ``incremental`` and the buffer
        holding another frame already, only the cells that differ are redrawn."""
        if incremental and getattr(self, "_drawn", None) is not None:
            self.draw(i)
            self._draw_changes()
            self._drawn = i
        else:
            self.full_draw(i)
        return np.asarray(self.fig.canvas.buffer_rgba()).copy()

    def frames(self, incremental: bool = True):
        """Yield every frame as an RGBA array, in order."""
        self._drawn = None
        for i in range(len(self.plan.frames)):
            yield self.rgba(i, incremental)

    def png(self, i: int) -> bytes:
        """Frame ``i`` as PNG bytes (used by the widgets and the notebook player)."""
        import io
        from PIL import Image
        buffer = io.BytesIO()
        # RGB: the figure is opaque, and a PNG without alpha is smaller and faster to write
        Image.fromarray(self.rgba(i)[..., :3]).save(buffer, format="png")
        return buffer.getvalue()
