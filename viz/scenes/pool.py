"""Frame plans for max/avg pooling and adaptive avg/max pooling (1-d, 2-d and 3-d, one
channel).

Pooling: one frame per output cell. The window comes from ``geometry.window`` (also with
dilation for max pooling); padding cells are drawn grey (``-inf`` for max pooling, ``0`` for
average pooling) and, with ``ceil_mode=True``, cells of a last window that hang over the
edge are drawn hatched: they are not part of the tensor and are never counted.

Adaptive pooling: every region ``[floor(i*L/O), ceil((i+1)*L/O))`` from
``geometry.adaptive_range`` is outlined in its own colour in every frame, so overlapping
regions (e.g. length 5 -> 3) are visible.

Layout: a 1-d tensor is one row, a 2-d tensor one grid, and a 3-d volume [D, H, W] is drawn
like conv3d: a row of depth slices, one H x W grid per depth index (padding slices grey).
"""
from __future__ import annotations

import itertools

import numpy as np

from teachnn import geometry
from viz.plan import (Frame, Panel, Plan, KIND_OUTSIDE, KIND_PADDING, KIND_VALUE, impossible)
from viz.scenes._common import (check_size_limit, compact, example_input, fmt, index_text,
                                join_terms, positive, shape_text, to_numpy)

__all__ = ["pool_plan", "adaptive_plan"]

# A volume is drawn as one grid per depth slice: more slices than this do not fit a screen.
MAX_DEPTH = 8


def _grid(n, values):
    """n-d (1 or 2) array -> 2-d array for a panel (a 1-d tensor is one row)."""
    return values[None, :] if n == 1 else values


def _place(n, idx, offset, prefix):
    """Tensor index -> (panel key, row, col); ``offset`` is the tensor index of the first
    drawn cell along each axis. 3-d: panel ``{prefix}z{depth slice}``."""
    pos = [idx[i] - offset[i] for i in range(n)]
    if n == 1:
        return prefix, 0, pos[0]
    if n == 2:
        return prefix, pos[0], pos[1]
    return f"{prefix}z{pos[0]}", pos[1], pos[2]


def _group(places):
    """[(key, r, c), ...] -> {key: [(r, c), ...]}."""
    grouped = {}
    for key, r, c in places:
        grouped.setdefault(key, []).append((r, c))
    return grouped


def _box(cells):
    rs = [r for r, _ in cells]
    cs = [c for _, c in cells]
    return (min(rs), min(cs), max(rs) + 1, max(cs) + 1)


def _boxes(places):
    """One box per panel around the cells of ``places`` in it."""
    return {key: [_box(cells)] for key, cells in _group(places).items()}


def _output_panels(n, O):
    """Empty output grid(s): one panel 'out', or for a volume one 'outz{d}' per depth."""
    if n < 3:
        return [Panel("out", f"output  {shape_text(O)}", _grid(n, np.full(O, np.nan)),
                      np.zeros(_grid(n, np.zeros(O)).shape, dtype=int), "output",
                      None if n == 1 else list(range(O[0])), list(range(O[-1])))]
    return [Panel(f"outz{z}", f"out[d={z}]", np.full(O[1:], np.nan),
                  np.zeros(O[1:], dtype=int), "output", list(range(O[1])),
                  list(range(O[2]))) for z in range(O[0])]


def _output_values(n, shown):
    """Output grid(s) of one frame, keyed like ``_output_panels``."""
    if n < 3:
        return {"out": _grid(n, shown)}
    return {f"outz{z}": shown[z] for z in range(shown.shape[0])}


def _read_input(n, x, name):
    if x is None:
        return None
    x = to_numpy(x, "x")
    if x.ndim == n + 2 and x.shape[:2] == (1, 1):
        x = x[0, 0]                                 # [1, 1, ...] -> the one channel
    elif x.ndim == n + 1 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != n:
        raise impossible(f"{name} scene shows one channel: give x of shape "
                         f"[{', '.join(['size'] * n)}] ({n}-d) but got shape {list(x.shape)}.",
                         f"x는 {n}차원이어야 합니다 (입력 shape {list(x.shape)}).")
    return x


def _check_depth(n, depth, what):
    if n == 3 and depth > MAX_DEPTH:
        raise impossible(f"The {what} has {depth} depth slices: more than {MAX_DEPTH} "
                         f"slices side by side are too small to read. Use a depth of at most "
                         f"{MAX_DEPTH}.",
                         f"{what}의 깊이 {depth}는 너무 깁니다. {MAX_DEPTH} 이하로 줄여 보세요.")


def _size_formula(L, k, s, p, d, ceil_mode, out):
    rounding = "ceil" if ceil_mode else "floor"
    return f"{rounding}(({L} + 2*{p} - {d}*({k}-1) - 1) / {s}) + 1 = {out}"


def _axis_names(n):
    return ["L"] if n == 1 else ["H", "W"] if n == 2 else ["D", "H", "W"]


def pool_plan(n: int, mode: str, x=None, *, size=None, kernel=2, stride=None, padding=0,
              dilation=1, ceil_mode=False, count_include_pad=True) -> Plan:
    """Plan ``max_pool{n}d`` (mode 'max') or ``avg_pool{n}d`` (mode 'avg') on one channel.

    x: [*spatial] (n axes; [1, *spatial] and [1, 1, *spatial] are accepted too). Without x,
    small whole numbers of shape ``size`` (an int or one value per axis) are used.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    name = f"{mode}_pool{n}d"
    x = _read_input(n, x, name)
    if x is None:
        size = positive(size if size is not None else (8 if n == 1 else 6 if n == 2 else 4),
                        n, "size")
        x = example_input(size)
    S = x.shape
    check_size_limit(S, "input")
    _check_depth(n, S[0], "input")
    kernel = positive(kernel, n, "kernel_size")
    stride = kernel if stride is None else positive(stride, n, "stride")
    pad = positive(padding, n, "padding", minimum=0)
    dil = positive(dilation, n, "dilation")
    if mode == "avg" and any(d != 1 for d in dil):
        raise impossible("avg_pool has no dilation argument in PyTorch; use dilation=1.",
                         "avg_pool에는 dilation 인자가 없습니다. dilation=1을 사용하세요.")
    for i in range(n):
        span = geometry.window(0, kernel[i], 1, 0, dil[i])     # cells one window covers
        effective = span[-1] - span[0] + 1
        if 2 * pad[i] > effective or 2 * pad[i] > kernel[i]:      # PyTorch's two checks
            raise impossible(
                f"pad should be at most half of kernel size, but got pad={pad[i]}, "
                f"kernel_size={kernel[i]} and dilation={dil[i]} (a window could see only "
                f"padding). Use padding <= {kernel[i] // 2}.",
                f"padding은 (팽창된) 커널 크기의 절반 이하여야 합니다 (padding={pad[i]}, "
                f"kernel_size={kernel[i]}). padding을 줄여 보세요.")
    O = tuple(geometry.pool_output_size(S[i], kernel[i], stride[i], pad[i], dil[i], ceil_mode)
              for i in range(n))
    formulas = [_size_formula(S[i], kernel[i], stride[i], pad[i], dil[i], ceil_mode, O[i])
                for i in range(n)]
    if any(o <= 0 for o in O):
        formulas = list(dict.fromkeys(formulas))
        raise impossible("The pooling window does not fit into the padded input, so there is "
                         "no output: " + "; ".join(formulas)
                         + ". Make the input larger or the kernel smaller.",
                         "풀링 창이 입력보다 커서 출력이 없습니다: " + "; ".join(formulas)
                         + ". 입력을 키우거나 커널을 줄여 보세요.")

    # Window indices per output position and axis; the panels span all of them.
    windows = [[geometry.window(o, kernel[i], stride[i], pad[i], dil[i]) for o in range(O[i])]
               for i in range(n)]
    lo = [min(-pad[i], min(w[0] for w in windows[i])) for i in range(n)]
    hi = [max(S[i] - 1 + pad[i], max(w[-1] for w in windows[i])) for i in range(n)]
    axes = [list(range(lo[i], hi[i] + 1)) for i in range(n)]
    shape = tuple(len(a) for a in axes)
    _check_depth(n, shape[0], "padded input")
    pad_value = -np.inf if mode == "max" else 0.0
    values = np.full(shape, np.nan)
    kinds = np.full(shape, KIND_OUTSIDE)
    for pos in itertools.product(*[range(s) for s in shape]):
        idx = tuple(axes[i][pos[i]] for i in range(n))
        if all(0 <= idx[i] < S[i] for i in range(n)):
            values[pos], kinds[pos] = x[idx], KIND_VALUE
        elif all(-pad[i] <= idx[i] < S[i] + pad[i] for i in range(n)):
            values[pos], kinds[pos] = pad_value, KIND_PADDING
    if n < 3:
        in_panels = [Panel("x", f"input  {shape_text(S)}", _grid(n, values), _grid(n, kinds),
                           "input", None if n == 1 else axes[0], axes[-1])]
    else:
        in_panels = []
        for zi, z in enumerate(axes[0]):
            label = (f"x[d={z}]" if 0 <= z < S[0] else
                     f"pad d={z}" if -pad[0] <= z < S[0] + pad[0] else f"outside d={z}")
            in_panels.append(Panel(f"xz{zi}", label, values[zi], kinds[zi], "input",
                                   axes[1], axes[2]))

    result = np.zeros(O)
    done = np.zeros(O, dtype=bool)
    frames = []
    for o in itertools.product(*[range(s) for s in O]):
        window_cells = list(itertools.product(*[windows[i][o[i]] for i in range(n)]))
        inside = [idx for idx in window_cells if all(0 <= idx[i] < S[i] for i in range(n))]
        in_padding = [idx for idx in window_cells if idx not in inside and
                      all(-pad[i] <= idx[i] < S[i] + pad[i] for i in range(n))]
        highlight = _group([_place(n, idx, lo, "x") for idx in inside + in_padding])
        boxes = _boxes([_place(n, idx, lo, "x") for idx in window_cells])
        marked = {}
        if mode == "max":
            terms = [float(x[idx]) for idx in inside]
            best = int(np.argmax(terms))                  # first maximum, as PyTorch
            value = terms[best]
            marked = _group([_place(n, inside[best], lo, "x")])
            arithmetic = f"out[{index_text(o)}] = max({', '.join(fmt(t) for t in terms)})"
            if in_padding:
                arithmetic += "   (padding is -inf: never the maximum)"
            arithmetic += f" = {fmt(value)}"
        else:
            terms = [float(x[idx]) for idx in inside]
            if count_include_pad:
                terms += [0.0] * len(in_padding)
            divisor = len(terms)
            value = sum(terms) / divisor
            arithmetic = (f"out[{index_text(o)}] = ({join_terms([fmt(t) for t in terms])}) "
                          f"/ {divisor} = {fmt(value)}")
            if in_padding:
                arithmetic += ("   (padding zeros counted)" if count_include_pad
                               else "   (padding not counted: count_include_pad=False)")
        if len(inside) + len(in_padding) < len(window_cells):
            arithmetic += "\nthe window hangs over the edge (ceil_mode): those cells do not exist"
        result[o] = value
        done[o] = True
        okey, orow, ocol = _place(n, o, (0,) * n, "out")
        frames.append(Frame(
            title=f"output cell [{index_text(o)}]",
            highlight=highlight, current={okey: [(orow, ocol)]}, marked=marked,
            values=_output_values(n, np.where(done, result, np.nan)),
            boxes=boxes, arithmetic=arithmetic, out_index=o, value=value, terms=terms))

    axis_names = _axis_names(n)
    if n > 1 and len(set(formulas)) == 1:
        formula = ("output size: " + " = ".join(f"{a}_out" for a in axis_names) + " = "
                   + formulas[0])
    else:
        formula = "output size: " + "\n             ".join(f"{a}_out = {f}"
                                               for a, f in zip(axis_names, formulas))
    if ceil_mode:                                  # PyTorch's rule, said once for all axes
        formula += ("\nceil_mode: minus 1 where the last window would start in the right "
                    "padding")
    what = "MaxPool" if mode == "max" else "AvgPool"
    title = (f"{what}{n}d   kernel_size={compact(kernel)}, stride={compact(stride)}, "
             f"padding={compact(pad)}")
    if mode == "max":
        title += f", dilation={compact(dil)}"
    title += f", ceil_mode={ceil_mode}"
    if mode == "avg":
        title += f", count_include_pad={count_include_pad}"
    if n == 3:
        title += (f"\ninput {shape_text(S)} -> output {shape_text(O)}, drawn as rows of "
                  f"depth slices; each window reads {kernel[0]} of them")
    legend = [("input", "input cell"), ("highlight", "in the window"),
              ("current", "output being written")]
    if (kinds == KIND_PADDING).any():
        legend.insert(1, ("padding", "padding (-inf)" if mode == "max" else "padding (0)"))
    if (kinds == KIND_OUTSIDE).any():
        legend.insert(1, ("outside", "outside the input (ceil_mode)"))
    if mode == "max":
        legend.append(("marked", "chosen maximum"))
    kwargs = dict(kernel_size=kernel, stride=stride, padding=pad, ceil_mode=ceil_mode)
    if mode == "max":
        kwargs["dilation"] = dil
    else:
        kwargs["count_include_pad"] = count_include_pad
    reference = (f"{mode}_pool{n}d", [x[None, None]], kwargs, (0, 0))
    return Plan(name, title, in_panels + _output_panels(n, O), frames, formula, result,
                reference, legend)


def adaptive_plan(n: int, mode: str, x=None, *, size=None, output_size=None) -> Plan:
    """Plan ``adaptive_{mode}_pool{n}d``: output cell i pools input region
    ``[floor(i*L/O), ceil((i+1)*L/O))`` (per axis)."""
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    name = f"adaptive_{mode}_pool{n}d"
    x = _read_input(n, x, name)
    if x is None:
        size = positive(size if size is not None else (5 if n == 1 else 4 if n == 2 else 3),
                        n, "size")
        x = np.arange(1, int(np.prod(size)) + 1, dtype=np.float64).reshape(size)
    S = x.shape
    check_size_limit(S, "input")
    _check_depth(n, S[0], "input")
    if output_size is None:
        output_size = 3 if n == 1 else 2
    O = positive(output_size, n, "output_size")
    check_size_limit(O, "output")
    _check_depth(n, O[0], "output")
    ranges = [geometry.adaptive_ranges(S[i], O[i]) for i in range(n)]

    if n < 3:
        in_panels = [Panel("x", f"input  {shape_text(S)}", _grid(n, x.copy()),
                           np.zeros(_grid(n, x).shape, dtype=int), "input",
                           None if n == 1 else list(range(S[0])), list(range(S[-1])))]
    else:
        in_panels = [Panel(f"xz{z}", f"x[d={z}]", x[z].copy(), np.zeros(S[1:], dtype=int), "input",
                           list(range(S[1])), list(range(S[2]))) for z in range(S[0])]
    out_panels = _output_panels(n, O)
    # Every range drawn as a coloured bar beside the grid (columns below, rows on the
    # right), the same colour under the output column/row it produces. For a volume every
    # slice has them; the depth range is in the arithmetic line.
    for panel in in_panels:
        panel.col_bars = [(a, b, k) for k, (a, b) in enumerate(ranges[-1])]
        if n >= 2:
            panel.row_bars = [(a, b, k) for k, (a, b) in enumerate(ranges[-2])]
    for panel in out_panels:
        panel.col_bars = [(k, k + 1, k) for k in range(O[-1])]
        if n >= 2:
            panel.row_bars = [(k, k + 1, k) for k in range(O[-2])]

    result = np.zeros(O)
    done = np.zeros(O, dtype=bool)
    frames = []
    axis_names = {1: ["cells"], 2: ["rows", "cols"], 3: ["depth", "rows", "cols"]}[n]
    origin = (0,) * n
    for o in itertools.product(*[range(s) for s in O]):
        bounds = [ranges[i][o[i]] for i in range(n)]
        cells = list(itertools.product(*[range(a, b) for a, b in bounds]))
        terms = [float(x[idx]) for idx in cells]
        marked = {}
        if mode == "max":
            best = int(np.argmax(terms))
            value = terms[best]
            marked = _group([_place(n, cells[best], origin, "x")])
            arithmetic = f"out[{index_text(o)}] = max({', '.join(fmt(t) for t in terms)})"
        else:
            value = sum(terms) / len(terms)
            arithmetic = (f"out[{index_text(o)}] = ({join_terms([fmt(t) for t in terms])}) "
                          f"/ {len(terms)}")
        arithmetic += f" = {fmt(value)}"
        parts = [f"{axis_names[i]} [floor({o[i]}*{S[i]}/{O[i]}), "
                 f"ceil({o[i] + 1}*{S[i]}/{O[i]})) = [{bounds[i][0]}, {bounds[i][1]})"
                 for i in range(n)]
        region = "\n".join(parts)              # one line per axis: no range is split

        result[o] = value
        done[o] = True
        places = [_place(n, idx, origin, "x") for idx in cells]
        okey, orow, ocol = _place(n, o, origin, "out")
        frames.append(Frame(
            title=f"output cell [{index_text(o)}]",
            highlight=_group(places), current={okey: [(orow, ocol)]}, marked=marked,
            values=_output_values(n, np.where(done, result, np.nan)),
            boxes=_boxes(places), arithmetic=region + "\n" + arithmetic, out_index=o,
            value=value, terms=terms))

    overlap = any(ranges[i][j][1] > ranges[i][j + 1][0] for i in range(n)
                  for j in range(O[i] - 1))
    what = "AdaptiveMaxPool" if mode == "max" else "AdaptiveAvgPool"
    title = f"{what}{n}d   output_size={compact(O)}   (input {shape_text(S)})"
    if overlap:
        title += "\nneighbouring regions overlap: the input size is not a multiple of the output size"
    if n == 3:
        title += "\nthe volume is drawn as a row of depth slices, one grid per depth index"
    sizes = ";  ".join(f"{a} L={S[i]}, O={O[i]}" for i, a in enumerate(
        ["rows", "cols"] if n == 2 else ["depth", "rows", "cols"])) if n > 1 else \
        f"L={S[0]}, O={O[0]}"
    formula = ("region of output cell i:  [floor(i*L/O), ceil((i+1)*L/O))\nwith " + sizes
               + "\ncoloured bars: the input range of each output "
               + ("position" if n == 1 else "row (right) and column (below)")
               + ("; the depth range is the first line of each step" if n == 3 else ""))
    legend = [("input", "input cell"), ("highlight", "in the region"),
              ("current", "output being written")]
    if mode == "max":
        legend.append(("marked", "chosen maximum"))
    reference = (f"adaptive_{mode}_pool{n}d", [x[None, None]], dict(output_size=O), (0, 0))
    return Plan(name, title, in_panels + out_panels, frames, formula, result, reference,
                legend)
