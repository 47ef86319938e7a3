"""Frame plans for Conv1d, Conv2d and Conv3d (one output channel, several input channels).

One frame per output cell. The frame highlights the input cells under the kernel (only
every d-th cell when dilated), writes the products ``x*w`` of all channels and taps and
their sum, and fills that output cell. All window indices come from ``geometry.window``.

How a tensor is laid out on the screen:
    conv1d  input [C, L]     one grid, a row per channel (the kernel spans all rows)
    conv2d  input [C, H, W]  one grid per channel, side by side
    conv3d  input [C, D, H, W] one grid per (channel, depth slice): a row of slices
"""
from __future__ import annotations

import itertools

import numpy as np

from teachnn import geometry
from viz.plan import (Frame, Panel, Plan, KIND_PADDING, KIND_VALUE, fmt_factor, impossible)
from viz.scenes._common import (MAX_CHANNELS, check_size_limit, conv_size_formula,
                                compact, example_input, example_kernel, fmt, index_text, join_terms,
                                positive, products_text, shape_text, to_numpy)

__all__ = ["conv_plan", "conv1d_plan", "conv2d_plan", "conv3d_plan"]

# Kernels of this many output channels can be generated for the example numbers.
MAX_OUT_CHANNELS = 8


class _ConvLayout:
    """Where each tensor cell sits on screen: (panel key, row, col) for n = 1, 2, 3."""

    def __init__(self, n, channels, in_size, kernel, out_size, pads, out_channels=1,
                 out_channel=0):
        self.n, self.C = n, channels
        self.C_out, self.j = out_channels, out_channel
        self.in_size, self.kernel, self.out_size, self.pads = in_size, kernel, out_size, pads
        self.left = tuple(p[0] for p in pads)

    # -- input (index is (c, i0, ..., i_{n-1}) with i possibly in the padding) --
    def x_cell(self, c, idx):
        padded = tuple(i + l for i, l in zip(idx, self.left))
        if self.n == 1:
            return "x", c, padded[0]
        if self.n == 2:
            return f"x{c}", padded[0], padded[1]
        return f"x{c}z{padded[0]}", padded[1], padded[2]

    def w_cell(self, c, taps):
        if self.n == 1:
            return "w", c, taps[0]
        if self.n == 2:
            return f"w{c}", taps[0], taps[1]
        return f"w{c}z{taps[0]}", taps[1], taps[2]

    def out_cell(self, o):
        if self.n == 1:
            return "out", 0, o[0]
        if self.n == 2:
            return "out", o[0], o[1]
        return f"outz{o[0]}", o[1], o[2]

    def out_slice_key(self, o):
        return self.out_cell(o)[0]


def _padded_axis(size, pad):
    """Tensor indices along a padded axis: [-left, ..., size-1+right]."""
    return list(range(-pad[0], size + pad[1]))


def _input_panels(x, layout):
    n, C = layout.n, layout.C
    pads = layout.pads
    panels = []
    if n == 1:
        cols = _padded_axis(x.shape[1], pads[0])
        values = np.zeros((C, len(cols)))
        kinds = np.full((C, len(cols)), KIND_PADDING)
        inside = [j for j, i in enumerate(cols) if 0 <= i < x.shape[1]]
        values[:, inside] = x
        kinds[:, inside] = KIND_VALUE
        panels.append(Panel("x", f"input x  [channels={C}, length={x.shape[1]}]", values,
                            kinds, "input", list(range(C)), cols))
        return panels
    if n == 2:
        rows = _padded_axis(x.shape[1], pads[0])
        cols = _padded_axis(x.shape[2], pads[1])
        for c in range(C):
            values = np.zeros((len(rows), len(cols)))
            kinds = np.full(values.shape, KIND_PADDING)
            r_in = slice(pads[0][0], pads[0][0] + x.shape[1])
            c_in = slice(pads[1][0], pads[1][0] + x.shape[2])
            values[r_in, c_in] = x[c]
            kinds[r_in, c_in] = KIND_VALUE
            title = f"input x[{c}]" + (f"  {shape_text(x.shape[1:])}" if c == 0 else "")
            panels.append(Panel(f"x{c}", title, values, kinds, "input", rows, cols))
        return panels
    depths = _padded_axis(x.shape[1], pads[0])
    rows = _padded_axis(x.shape[2], pads[1])
    cols = _padded_axis(x.shape[3], pads[2])
    for c in range(C):
        for zi, z in enumerate(depths):
            values = np.zeros((len(rows), len(cols)))
            kinds = np.full(values.shape, KIND_PADDING)
            if 0 <= z < x.shape[1]:
                r_in = slice(pads[1][0], pads[1][0] + x.shape[2])
                c_in = slice(pads[2][0], pads[2][0] + x.shape[3])
                values[r_in, c_in] = x[c, z]
                kinds[r_in, c_in] = KIND_VALUE
            label = f"x[{c}, d={z}]" if 0 <= z < x.shape[1] else f"pad d={z}"
            panels.append(Panel(f"x{c}z{zi}", label, values, kinds, "input", rows, cols))
    return panels


def _kernel_panels(w, layout, bias):
    """The kernel of the shown output channel (w is [C, *k]) and, if any, its bias.

    With several output channels the titles carry the layer's index, ``w[j, c]``."""
    n, C = layout.n, layout.C
    lead = f"{layout.j}, " if layout.C_out > 1 else ""
    if n == 1:
        panels = [Panel("w", f"kernel w{'[' + lead[:-2] + ']' if lead else ''}  "
                        f"[{C}, {w.shape[1]}]", w.copy(),
                        np.zeros(w.shape, dtype=int), "kernel", list(range(C)),
                        list(range(w.shape[1])))]
    elif n == 2:
        panels = [Panel(f"w{c}", f"kernel w[{lead}{c}]", w[c].copy(),
                        np.zeros(w[c].shape, dtype=int), "kernel", list(range(w.shape[1])),
                        list(range(w.shape[2])))
                  for c in range(C)]
    else:
        panels = [Panel(f"w{c}z{t}", f"w[{lead}{c}, d={t}]", w[c, t].copy(),
                        np.zeros(w[c, t].shape, dtype=int), "kernel",
                        list(range(w.shape[2])), list(range(w.shape[3])))
                  for c in range(C) for t in range(w.shape[1])]
    if bias is not None:
        title = f"bias b[{layout.j}]" if layout.C_out > 1 else "bias b"
        panels.append(Panel("b", title, np.array([[bias]]), np.zeros((1, 1), dtype=int),
                            "kernel", None, None))
    return panels


def _output_panels(out_size, layout):
    n = layout.n
    channel = f"output channel {layout.j}" if layout.C_out > 1 else "output"
    if n == 1:
        shape = (1, out_size[0])
        return [Panel("out", f"{channel}  [1, {out_size[0]}]", np.full(shape, np.nan),
                      np.zeros(shape, dtype=int), "output", None, list(range(out_size[0])))]
    if n == 2:
        return [Panel("out", f"{channel}  {shape_text(out_size)}", np.full(out_size, np.nan),
                      np.zeros(out_size, dtype=int), "output", list(range(out_size[0])),
                      list(range(out_size[1])))]
    lead = f"{layout.j}, " if layout.C_out > 1 else ""
    return [Panel(f"outz{z}", f"out[{lead}d={z}]", np.full(out_size[1:], np.nan),
                  np.zeros(out_size[1:], dtype=int), "output", list(range(out_size[1])),
                  list(range(out_size[2])))
            for z in range(out_size[0])]


def _output_grids(result, done_mask, layout):
    """Panel key -> value grid showing only the output cells computed so far."""
    shown = np.where(done_mask, result, np.nan)
    if layout.n == 1:
        return {"out": shown[None, :]}
    if layout.n == 2:
        return {"out": shown}
    return {f"outz{z}": shown[z] for z in range(shown.shape[0])}


def _read_bias(bias, out_channels, out_channel):
    """The layer's bias as a float vector [out_channels] (None: the layer has no bias).

    Accepts a number (the bias of the shown output channel), or a vector / tensor of
    length out_channels (as nn.ConvNd stores it)."""
    if bias is None:
        return None
    b = to_numpy(bias, "bias")
    if b.ndim == 0:                                  # one number: the shown channel's bias
        full = np.zeros(out_channels)
        full[out_channel] = float(b)
        return full
    if b.ndim != 1 or b.shape[0] != out_channels:
        raise impossible(f"bias must be a number or have shape [{out_channels}] (one value "
                         f"per output channel), but got shape {list(b.shape)}.",
                         f"bias는 숫자 하나이거나 shape [{out_channels}]이어야 합니다 "
                         f"(입력 shape {list(b.shape)}).")
    return b.astype(np.float64)


def conv_plan(n: int, x=None, weight=None, bias=None, *, size=None, channels=None, kernel=3,
              stride=1, padding=0, dilation=1, out_channels=None, out_channel=0) -> Plan:
    """Plan a convolution with ``n`` spatial dimensions, showing one output channel.

    x: [C, *spatial] (or [1, C, *spatial]); weight: [C, *kernel] (a single kernel), or a
    layer's whole weight [C_out, C, *kernel] of which output channel ``out_channel`` is
    shown. bias: None (no bias), a number, or the layer's bias [C_out]; the shown channel's
    bias ``b`` is added last: ``out = sum(x * w) + b``. When x / weight are omitted they are
    filled with small whole numbers of the given ``size`` / ``channels`` / ``kernel``, with
    ``out_channels`` kernels (default 1).
    """
    name = f"conv{n}d"
    if x is None:
        size = positive(size if size is not None else (7 if n == 1 else 5 if n == 2 else 4),
                        n, "size")
        channels = channels if channels is not None else (2 if n == 1 else 1)
        if not 1 <= int(channels) <= MAX_CHANNELS:
            raise impossible(f"channels must be between 1 and {MAX_CHANNELS}, got {channels}.",
                             f"channels는 1부터 {MAX_CHANNELS} 사이여야 합니다 (입력: {channels}).")
        x = example_input((int(channels),) + size)
    else:
        x = to_numpy(x, "x")
        if x.ndim == n + 2 and x.shape[0] == 1:
            x = x[0]                                 # [1, C, ...]: drop the batch axis
        if x.ndim != n + 1:
            raise impossible(f"{name} scene expects x of shape [channels, {'spatial, ' * n}"
                             f"] ({n + 1}-d, no batch axis) but got shape {list(x.shape)}.",
                             f"x는 배치 축 없이 {n + 1}차원이어야 합니다 (입력 shape {list(x.shape)}).")
    C = x.shape[0]
    in_size = x.shape[1:]
    if weight is None:
        kernel = positive(kernel, n, "kernel")
        out_channels = 1 if out_channels is None else out_channels
        if not 1 <= int(out_channels) <= MAX_OUT_CHANNELS:
            raise impossible(f"out_channels must be between 1 and {MAX_OUT_CHANNELS}, got "
                             f"{out_channels}.",
                             f"out_channels는 1부터 {MAX_OUT_CHANNELS} 사이여야 합니다 "
                             f"(입력: {out_channels}).")
        # one example kernel per output channel; kernel 0 is the same for any out_channels
        full_weight = np.stack([example_kernel((C,) + kernel, seed=1 + j)
                                for j in range(int(out_channels))])
    else:
        weight = to_numpy(weight, "weight")
        if weight.ndim == n + 1:                     # one kernel [C, *k]
            weight = weight[None]
        if weight.ndim != n + 2 or weight.shape[1] != C:
            raise impossible(f"weight must have shape [{C}, {'k, ' * n}] or [out_channels, "
                             f"{C}, {'k, ' * n}] to match x's {C} channels, but got "
                             f"{list(weight.shape)}.",
                             f"weight의 shape은 x의 채널 수 {C}에 맞아야 합니다 "
                             f"(입력 {list(weight.shape)}).")
        if out_channels is not None and out_channels != weight.shape[0]:
            raise impossible(f"out_channels={out_channels} but the weight has "
                             f"{weight.shape[0]} output channels; leave out_channels out when "
                             "you pass a weight.",
                             f"weight의 출력 채널 수는 {weight.shape[0]}입니다 "
                             f"(out_channels={out_channels}).")
        full_weight = weight
    C_out = full_weight.shape[0]
    if not 0 <= out_channel < C_out:
        raise impossible(f"out_channel={out_channel} does not exist: the layer has {C_out} "
                         f"output channel{'s' if C_out > 1 else ''} (0 to {C_out - 1}). "
                         "Choose one of those, or raise out_channels.",
                         f"out_channel={out_channel}은 없습니다 (0부터 {C_out - 1}까지).")
    weight = full_weight[out_channel]                # [C, *k]: the kernel of this channel
    full_bias = _read_bias(bias, C_out, out_channel)
    b = None if full_bias is None else float(full_bias[out_channel])
    kernel = weight.shape[1:]
    check_size_limit(in_size, "input")
    stride = positive(stride, n, "stride")
    dilation = positive(dilation, n, "dilation")
    if not isinstance(padding, str):
        positive(padding, n, "padding", minimum=0)
    try:
        pads = geometry.resolve_conv_padding(padding, kernel, dilation, stride, n)
    except (ValueError, RuntimeError) as err:
        raise impossible(str(err), "이 padding 설정은 사용할 수 없습니다: " + str(err)) from None
    out_size = tuple(geometry.conv_output_size(in_size[i], kernel[i], stride[i], pads[i][0],
                                               pads[i][1], dilation[i]) for i in range(n))
    formulas = [conv_size_formula(in_size[i], kernel[i], stride[i], pads[i][0], pads[i][1],
                                  dilation[i], out_size[i]) for i in range(n)]
    if any(o <= 0 for o in out_size):
        formulas = list(dict.fromkeys(formulas))            # each different axis once
        raise impossible(
            "The dilated kernel does not fit into the padded input, so there is no output: "
            + "; ".join(formulas)
            + ". Make the input larger, the kernel or dilation smaller, or add padding.",
            "팽창된 커널이 패딩된 입력보다 커서 출력이 없습니다: " + "; ".join(formulas)
            + ". 입력을 키우거나, 커널/dilation을 줄이거나, padding을 늘려 보세요.")

    layout = _ConvLayout(n, C, in_size, kernel, out_size, pads, C_out, out_channel)
    panels = _input_panels(x, layout) + _kernel_panels(weight, layout, b) + \
        _output_panels(out_size, layout)

    result = np.zeros(out_size)
    done = np.zeros(out_size, dtype=bool)
    frames = []
    for o in itertools.product(*[range(s) for s in out_size]):
        # Input indices under each kernel tap, one list per spatial axis (from geometry).
        windows = [geometry.window(o[i], kernel[i], stride[i], pads[i][0], dilation[i])
                   for i in range(n)]
        pairs, highlight, boxes = [], {}, {}
        for c in range(C):
            for taps in itertools.product(*[range(k) for k in kernel]):
                idx = tuple(windows[i][taps[i]] for i in range(n))
                inside = all(0 <= idx[i] < in_size[i] for i in range(n))
                xv = x[(c,) + idx] if inside else 0.0          # padding reads 0
                pairs.append((xv, weight[(c,) + taps]))
                key, r, col = layout.x_cell(c, idx)
                highlight.setdefault(key, []).append((r, col))
        for key, cells in highlight.items():
            rs = [r for r, _ in cells]
            cs = [col for _, col in cells]
            boxes[key] = [(min(rs), min(cs), max(rs) + 1, max(cs) + 1)]
        products = float(sum(xv * wv for xv, wv in pairs))
        value = products + (b if b is not None else 0.0)
        result[o] = value
        done[o] = True
        okey, orow, ocol = layout.out_cell(o)
        head = f"out[{index_text(o)}] = "
        if C == 1:
            arithmetic = head + join_terms(products_text(pairs))
            if b is not None:        # sum of products, then the bias: ... + b = 4 + 0.5
                arithmetic += f" + b = {fmt(products)} + {fmt_factor(b)}"
            arithmetic += f" = {fmt(value)}"
        else:
            # one line per input channel with its subtotal, then the total
            per = len(pairs) // C
            lines = []
            for c in range(C):
                chunk = pairs[c * per:(c + 1) * per]
                subtotal = sum(xv * wv for xv, wv in chunk)
                lead = head if c == 0 else " " * (len(head) - 2) + "+ "
                lines.append(lead + join_terms(products_text(chunk))
                             + f"   (channel {c}: {fmt(subtotal)})")
            if b is not None:
                lines.append(" " * (len(head) - 2) + f"+ b   (bias: {fmt(b)})")
            lines.append(" " * (len(head) - 2) + f"= {fmt(value)}")
            arithmetic = "\n".join(lines)
        frames.append(Frame(
            title=f"output cell [{index_text(o)}]",
            highlight=highlight, current={okey: [(orow, ocol)]},
            values=_output_grids(result, done, layout), boxes=boxes,
            arithmetic=arithmetic, out_index=o, value=value, terms=pairs,
            bias=0.0 if b is None else b))

    axes = ["L"] if n == 1 else ["H", "W"] if n == 2 else ["D", "H", "W"]
    if len(set(formulas)) == 1 and n > 1:                      # a cube: say it once
        formula = "output size: " + " = ".join(f"{a}_out" for a in axes) + f" = {formulas[0]}"
    else:
        formula = "output size: " + "\n             ".join(f"{a}_out = {f}" for a, f in zip(axes, formulas))
    pad_text = padding if isinstance(padding, str) else tuple(p[0] for p in pads)
    title = (f"Conv{n}d   in_channels={C}, out_channels={C_out}, "
             f"kernel_size={compact(kernel)}, stride={compact(stride)}, "
             f"padding={compact(pad_text)}, dilation={compact(dilation)}"
             f"{'' if b is None else ', bias=True'}")
    if C_out > 1:
        title += (f"\nshowing output channel {out_channel} of {C_out}: its kernel "
                  f"w[{out_channel}]" + ("" if b is None else f" and bias b[{out_channel}]"))
    if n == 1:
        title += "\nthe kernel spans all channels and slides along the length only"
    elif C > 1:
        title += f"\neach output cell sums the products over all {C} input channels"
    legend = [("input", "input cell"), ("padding", "padding (zeros)"), ("highlight", "read now"),
              ("kernel", "kernel weight" if b is None else "kernel weight / bias"),
              ("current", "output being written")]
    arrays = [x[None], full_weight] + ([] if full_bias is None else [full_bias])
    reference = (name, arrays,
                 dict(stride=stride, padding=padding if isinstance(padding, str)
                      else tuple(p[0] for p in pads), dilation=dilation), (0, out_channel))
    return Plan(name, title, panels, frames, formula, result, reference, legend)


def conv1d_plan(x=None, weight=None, bias=None, *, size=7, channels=2, kernel=3, stride=1,
                padding=0, dilation=1, out_channels=None, out_channel=0) -> Plan:
    """Conv1d on a sequence [channels, length]: the kernel covers every channel (the
    embedding dimension) and slides along the length only."""
    return conv_plan(1, x, weight, bias, size=size, channels=channels, kernel=kernel,
                     stride=stride, padding=padding, dilation=dilation,
                     out_channels=out_channels, out_channel=out_channel)


def conv2d_plan(x=None, weight=None, bias=None, *, size=5, channels=1, kernel=3, stride=1,
                padding=0, dilation=1, out_channels=None, out_channel=0) -> Plan:
    """Conv2d on [channels, H, W]: one output cell is the sum over all channels of the
    window times the kernel (plus the bias, if the layer has one)."""
    return conv_plan(2, x, weight, bias, size=size, channels=channels, kernel=kernel,
                     stride=stride, padding=padding, dilation=dilation,
                     out_channels=out_channels, out_channel=out_channel)


def conv3d_plan(x=None, weight=None, bias=None, *, size=4, channels=1, kernel=2, stride=1,
                padding=0, dilation=1, out_channels=None, out_channel=0) -> Plan:
    """Conv3d on [channels, D, H, W], drawn as a row of depth slices."""
    return conv_plan(3, x, weight, bias, size=size, channels=channels, kernel=kernel,
                     stride=stride, padding=padding, dilation=dilation,
                     out_channels=out_channels, out_channel=out_channel)
