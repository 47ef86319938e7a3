"""Looking inside a model: ``summary``, ``feature_maps`` and ``graph``.

* ``summary(model, input_size)`` runs one forward pass with forward hooks on every module and
  prints the table learners know from torchinfo: layer, output shape, parameter count, and
  the totals. It answers questions like "where does 64*4*4 come from?".
* ``feature_maps(model, x)`` shows what every layer produces for ``x`` (forward hooks again),
  the output shape in each title.
* ``graph(tensor)`` draws the autograd graph behind a tensor by walking
  ``grad_fn.next_functions`` (as torchviz does), with matplotlib only: operations in grey,
  leaves that receive a gradient (AccumulateGrad) in blue with their shapes, the output in
  green. It works on teachnn tensors and on PyTorch tensors alike.
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from viz.render import FONT, VizFigure

__all__ = ["summary", "Summary", "feature_maps", "graph"]


def _shape(value):
    """Shape of a tensor output as a list, or a list of shapes for tuples/lists."""
    if isinstance(value, (tuple, list)):
        return [_shape(v) for v in value]
    shape = getattr(value, "shape", None)
    return list(shape) if shape is not None else None


def _shape_text(shape):
    if shape is None:
        return "--"
    if shape and isinstance(shape[0], list):
        return ", ".join(_shape_text(s) for s in shape)
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _count(params):
    return int(sum(int(np.prod(p.shape)) for p in params))


def _run_with_hooks(model, x, modules, record, before=None):
    """Forward ``x`` through ``model`` with ``record(name, module, output)`` hooked onto each
    of ``modules`` [(name, module)] (and ``before(name, module)`` as a pre-hook, if given),
    in eval mode and without gradients; restores the training flags and removes the hooks
    afterwards."""
    import teachnn

    handles = []
    for name, module in modules:
        if before is not None:
            handles.append(module.register_forward_pre_hook(
                lambda mod, args, name=name: before(name, mod)))
        handles.append(module.register_forward_hook(
            lambda mod, args, output, name=name: record(name, mod, output)))
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()                 # no dropout, batch norm statistics untouched
        with teachnn.no_grad():
            output = model(x)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:
            module.training = training
    return output


class Summary:
    """Result of ``summary``: ``rows`` (dicts with name, type, depth, output_shape, params),
    ``total_params``, ``trainable_params``; ``str(s)`` is the table."""

    def __init__(self, rows, total, trainable, input_size, text):
        self.rows = rows
        self.total_params = total
        self.trainable_params = trainable
        self.non_trainable_params = total - trainable
        self.input_size = input_size
        self.text = text

    def __str__(self):
        return self.text

    def __repr__(self):
        return (f"Summary(layers={len(self.rows) - 1}, total_params={self.total_params:,}, "
                f"trainable_params={self.trainable_params:,})")


def summary(model, input_size, dtype=None, verbose: bool = True) -> Summary:
    """Print a torchinfo-like table of ``model`` for an input of shape ``input_size``.

    One row per module call, indented by nesting depth: ``name (Type)``, output shape and
    the number of parameters the module holds itself (containers show ``--``). Then the
    totals. Runs one forward pass on zeros in eval mode without gradients.
    Returns a ``Summary``; ``verbose=False`` returns it without printing.
    """
    import teachnn

    input_size = tuple(int(s) for s in input_size)
    x = teachnn.zeros(*input_size) if dtype is None else teachnn.zeros(*input_size, dtype=dtype)
    named = list(model.named_modules())
    rows, open_rows = [], []

    def before(name, module):
        # A row is added when a module *starts* (so containers come before their
        # children, as in torchinfo) and completed when it finishes.
        depth = 0 if name == "" else name.count(".") + 1
        has_children = any(True for _ in module.children())
        own = _count(module.parameters(recurse=False))
        rows.append(dict(name=name or type(module).__name__, type=type(module).__name__,
                         depth=depth, output_shape=None,
                         params=None if has_children and own == 0 else own))
        open_rows.append(rows[-1])

    def record(name, module, output):
        open_rows.pop()["output_shape"] = _shape(output)

    _run_with_hooks(model, x, named, record, before)
    ordered = rows
    total = _count(model.parameters())
    trainable = _count(p for p in model.parameters() if p.requires_grad)

    width = 78
    head = f"{'Layer (type)':<40}{'Output Shape':<24}{'Param #':>14}"
    lines = ["=" * width, head, "=" * width]
    for row in ordered:
        label = "  " * row["depth"] + (row["name"] if row["depth"] == 0 else
                                       f"{row['name'].split('.')[-1]} ({row['type']})")
        params = "--" if row["params"] is None else f"{row['params']:,}"
        lines.append(f"{label:<40}{_shape_text(row['output_shape']):<24}{params:>14}")
    lines += ["=" * width,
              f"Total params: {total:,}",
              f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}",
              f"Input size: {_shape_text(list(input_size))}",
              "=" * width]
    result = Summary(ordered, total, trainable, input_size, "\n".join(lines))
    if verbose:
        print(result.text)
    return result


def _layer_limits(array: np.ndarray) -> tuple[float, float]:
    """(min, max) of a layer's output for the shown sample: its one colour scale."""
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return 0.0, 1.0
    return float(finite.min()), float(finite.max())


def _value_text(value: float, digits: int = 2) -> str:
    """A number short enough for a small map cell: 3, -0.25, 1.2e+03."""
    if not np.isfinite(value):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:.1e}"
    if value == 0:
        return "0"
    text = f"{value:.{digits}f}"
    short = text.rstrip("0").rstrip(".") if "." in text else text
    # a small non-zero value keeps its zeros ("0.00"), so it is not mistaken for an exact 0
    return text.lstrip("-") if short in ("0", "-0") else short


# Maps with at most this many cells (e.g. 4x4, or a 1x1 after AdaptiveAvgPool2d(1)) show
# their numbers where they fit at >= 11 px: a colour alone cannot tell 0.3 from 0.31.
NUMBERS_UP_TO = 16
NUMBER_PX = 11.5
CHAR_PX = 0.62 * NUMBER_PX        # width of a digit at that size


def _write_numbers(maps, norm, colour_map, fig, sans, px):
    """Write each value of the row's maps [(ax, image)] in its cell with 2 or 1 decimals,
    the same for the whole row, whichever fits every cell's width on screen; nothing if
    not even 1 decimal fits (a row shows numbers on all its maps or on none)."""
    from viz.render import DISPLAY_DPI
    widths = []
    for ax, image in maps:
        ax.apply_aspect()
        widths.append(ax.get_position().width * fig.get_figwidth() * DISPLAY_DPI
                      / image.shape[1])
    for digits in (2, 1):                    # rounding to whole numbers would hide too much
        texts = [{index: _value_text(v, digits) for index, v in np.ndenumerate(image)}
                 for _, image in maps]
        longest = max(len(t) for row in texts for t in row.values())
        if longest * CHAR_PX <= min(widths) - 3:
            break
    else:
        return
    for (ax, image), row in zip(maps, texts):
        for (r, k), text in row.items():
            red, green, blue, _ = colour_map(norm(image[r, k]))
            light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
            ax.text(k, r, text, ha="center", va="center", fontsize=px(NUMBER_PX),
                    family=sans, color="black" if light else "white")


def feature_maps(model, x, max_channels: int = 8, layers=None, cmap: str = "viridis"):
    """A Figure with one row per layer: what it outputs for the first sample of ``x``.

    The input comes first. ``layers``: names (as in ``model.named_modules()``) to show;
    default every module without children. 4-d outputs [N, C, H, W] show up to
    ``max_channels`` channel images; 3-d [N, C, L] one image with a row per channel; 2-d
    [N, F] one strip. Each row is coloured on one scale, from the layer's minimum to its
    maximum (the colour bar at the right), so channels of a layer can be compared and a
    channel that is all zero (a dead ReLU) looks different from a constant non-zero one;
    maps of at most 16 cells have their numbers written in. ``fig.feature_maps`` lists
    (name, type, shape), ``fig.colour_limits`` each layer's (min, max), ``fig.layer_axes``
    and ``fig.colour_bars`` the axes and colour bar of each row (``"x"``: the input).
    """
    import matplotlib.colors as mcolors
    from matplotlib import colormaps

    from viz import i18n
    from viz.render import DISPLAY_DPI, MAX_WIDTH_PX, SCALE, px

    named = [(n, m) for n, m in model.named_modules() if n]
    if layers is None:
        chosen = [(n, m) for n, m in named if not any(True for _ in m.children())]
    else:
        lookup = dict(named)
        missing = [n for n in layers if n not in lookup]
        if missing:
            from teachnn.errors import suggest_name
            raise ValueError(f"모델에 '{missing[0]}' 레이어가 없습니다.\n"
                             f"model has no layer {missing[0]!r}."
                             f"{suggest_name(missing[0], list(lookup))} "
                             f"Layers: {', '.join(lookup)}")
        chosen = [(n, lookup[n]) for n in layers]
    captured = []

    def record(name, module, output):
        if hasattr(output, "shape"):
            captured.append((name, type(module).__name__, np.asarray(output._data if hasattr(
                output, "_data") else output, dtype=np.float64)))

    _run_with_hooks(model, x, chosen, record)
    if not captured:
        raise ValueError("텐서를 출력하는 레이어가 없어 보여 줄 것이 없습니다.\n"
                         "no layer produced a tensor output: nothing to show")
    fig_maps = [(name, kind, tuple(a.shape)) for name, kind, a in captured]
    x_array = np.asarray(getattr(x, "_data", x), dtype=np.float64)
    rows = [("x", i18n.say("입력", "input"), x_array)] + captured

    cols = max(1, min(max_channels, max(a.shape[1] if a.ndim == 4 else 1
                                        for _, _, a in rows)))
    width = MAX_WIDTH_PX / DISPLAY_DPI                       # inches, as shown
    # rows as tall as a square map is wide (each map as large as the width allows), plus
    # room for the title above and the label below
    map_width = 0.9 * width / (cols + 0.12 + 0.3 * cols)
    row_height = min(max(map_width, 0.9), 2.4) + 0.8
    fig = VizFigure(figsize=(width, row_height * len(rows) + 0.2), dpi=DISPLAY_DPI * SCALE)
    FigureCanvasAgg(fig)
    sans = i18n.sans()
    grid = fig.add_gridspec(len(rows), cols + 1, hspace=0.8 / (row_height - 0.8), wspace=0.3,
                            width_ratios=[1] * cols + [0.12], top=1 - 0.45 / fig.get_figheight(),
                            bottom=0.35 / fig.get_figheight(), left=0.03, right=0.93)
    colour_map = colormaps[cmap]
    limits, layer_axes, colour_bars = [], {}, {}
    for row, (name, kind, array) in enumerate(rows):
        sample = array[0] if array.ndim >= 2 else array[None]
        lo, hi = _layer_limits(sample)
        limits.append((lo, hi))
        # one scale per row; a constant row gets a scale around its value so it still
        # has a colour (the colour bar then shows that single value in the middle)
        norm = mcolors.Normalize(lo, hi) if hi > lo else mcolors.Normalize(lo - 1, hi + 1)
        shape = _shape_text(list(array.shape))
        title = f"{name}: {kind} → {shape}" if name != "x" else f"x  ({kind}) {shape}"
        if array.ndim == 4:
            images = [sample[c] for c in range(min(cols, sample.shape[0]))]
            labels = [i18n.say(f"채널 {c}", f"channel {c}") for c in range(len(images))]
            if sample.shape[0] > len(images):
                title += i18n.say(f"   (채널 {sample.shape[0]}개 중 {len(images)}개)",
                                  f"   ({len(images)} of {sample.shape[0]} channels)")
        elif array.ndim == 3:
            images, labels = [sample], [i18n.say("채널 × 길이", "channels × length")]
        else:
            images = [np.atleast_2d(sample.reshape(1, -1))]
            labels = [i18n.say(f"특성 {sample.size}개", f"{sample.size} features")]
        small_maps = []
        for c in range(cols if array.ndim == 4 else 1):
            # channel maps side by side; a strip or a [C, L] image takes the whole row
            ax = fig.add_subplot(grid[row, c] if array.ndim == 4 else grid[row, :cols])
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= len(images):
                ax.set_axis_off()
                continue
            image = images[c]
            layer_axes.setdefault(name, []).append(ax)
            ax.imshow(image, cmap=colour_map, norm=norm, interpolation="nearest",
                      aspect="auto" if array.ndim != 4 else "equal")
            label = labels[c]
            if array.ndim == 4 and image.size > 1 and np.all(image == image.flat[0]):
                label += i18n.say("  (모두 0)", "  (all 0)") if image.flat[0] == 0 else \
                    i18n.say(f"  (모두 {_value_text(image.flat[0])})",
                             f"  (all {_value_text(image.flat[0])})")
            ax.set_xlabel(label, fontsize=px(12), family=sans)
            if image.size <= NUMBERS_UP_TO:
                small_maps.append((ax, image))
            if c == 0:
                ax.set_title(title, fontsize=px(13), family=sans, loc="left")
        if small_maps:
            _write_numbers(small_maps, norm, colour_map, fig, sans, px)
        bar_ax = fig.add_subplot(grid[row, cols])
        from matplotlib.cm import ScalarMappable
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=colour_map), cax=bar_ax)
        colour_bars[name] = bar
        if hi == lo:
            bar.set_ticks([lo])
        bar.ax.tick_params(labelsize=px(11))
        for tick in bar.ax.get_yticklabels():
            tick.set_family(sans)
    fig.feature_maps = fig_maps
    fig.colour_limits = limits[1:]            # per layer, as fig.feature_maps
    fig.input_limits = limits[0]
    fig.layer_axes = layer_axes              # name -> its image axes ("x": the input)
    fig.colour_bars = colour_bars
    return fig


def _short_name(node):
    name = node.name() if hasattr(node, "name") else type(node).__name__
    return name.split("::")[-1]


def graph(tensor, params=None, show_shapes: bool = True):
    """Draw the autograd graph that produced ``tensor`` (a teachnn or PyTorch tensor).

    Walks ``tensor.grad_fn`` and each node's ``next_functions`` iteratively (no recursion,
    so deep graphs are fine), places every node on the layer of its longest distance from
    the output, and draws boxes and arrows pointing from inputs to outputs.
    ``params``: optional dict name -> tensor (e.g. ``dict(model.named_parameters())``) to
    label the leaves. Returns a Figure with ``fig.graph_nodes`` (list of dicts: id, label,
    kind, depth) and ``fig.graph_edges`` (child id -> parent id) for inspection.
    """
    root = getattr(tensor, "grad_fn", None)
    if root is None:
        raise ValueError("this tensor has no grad_fn, so there is no graph to draw: it is a "
                         "leaf or was computed without gradients. Make an input with "
                         "requires_grad=True and compute from it outside no_grad().")
    names = {id(v): k for k, v in (params or {}).items()}

    # Discover nodes and edges (breadth first, iterative).
    nodes, edges, order = {id(root): root}, [], [root]
    queue = [root]
    while queue:
        node = queue.pop(0)
        for child, _ in getattr(node, "next_functions", ()):
            if child is None:
                continue
            edges.append((id(child), id(node)))
            if id(child) not in nodes:
                nodes[id(child)] = child
                order.append(child)
                queue.append(child)
    # Longest distance from the root: relax edges in a topological order (Kahn).
    parents_left = {key: 0 for key in nodes}
    for child, _parent in edges:
        parents_left[child] += 1
    depth = {id(root): 1}
    ready = [id(root)]
    children_of = {}
    for child, parent in edges:
        children_of.setdefault(parent, []).append(child)
    while ready:
        key = ready.pop()
        for child in children_of.get(key, []):
            depth[child] = max(depth.get(child, 0), depth[key] + 1)
            parents_left[child] -= 1
            if parents_left[child] == 0:
                ready.append(child)

    info = [dict(id=0, label=f"output\n{_shape_text(_shape(tensor))}", kind="output", depth=0)]
    for node in order:
        label = _short_name(node)
        kind = "operation"
        variable = getattr(node, "variable", None)
        if variable is not None:
            kind = "leaf"
            label = names.get(id(variable), "leaf") + f"\n{_shape_text(_shape(variable))}"
            label = "AccumulateGrad\n" + label
        elif show_shapes:
            meta = getattr(node, "_input_meta", None)
            if meta:
                label += "\n" + " ".join(_shape_text(list(shape)) for shape, _ in meta)
        info.append(dict(id=id(node), label=label, kind=kind, depth=depth.get(id(node), 1)))
    edges = edges + [(id(root), 0)]          # the output tensor hangs below its grad_fn

    layers = {}
    for item in info:
        layers.setdefault(item["depth"], []).append(item)
    n_layers = max(layers) + 1
    widest = max(len(v) for v in layers.values())
    from viz.render import DISPLAY_DPI, SCALE, px
    fig = VizFigure(figsize=(max(4.0, 2.5 * widest), 1.15 * n_layers + 0.4),
                    dpi=DISPLAY_DPI * SCALE)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, widest)
    ax.set_ylim(n_layers, -0.1)
    ax.set_axis_off()
    colours = {"output": "#c8e6c9", "operation": "#eeeeee", "leaf": "#bbdefb"}
    texts = {}
    for d, items in layers.items():
        for k, item in enumerate(items):
            x = (k + 0.5) * widest / len(items)
            texts[item["id"]] = ax.text(
                x, d + 0.45, item["label"], ha="center", va="center", fontsize=px(12),
                family=FONT, bbox=dict(boxstyle="round,pad=0.4", fc=colours[item["kind"]],
                                       ec="#555555"))
    for child, parent in edges:
        a, b = texts[child], texts[parent]
        ax.annotate("", xy=b.get_position(), xytext=a.get_position(),
                    arrowprops=dict(arrowstyle="-|>", color="#555555", shrinkA=14, shrinkB=14,
                                    patchA=a.get_bbox_patch(), patchB=b.get_bbox_patch()))
    fig.graph_nodes = info
    fig.graph_edges = edges
    return fig
