"""Frame plans for transposed convolution (1-d and 2-d, one input and one output channel).

Two views of the same numbers:

* ``view="scatter"`` -- one frame per input cell: input cell ``x[i]`` adds ``x[i] * w`` (a
  weighted copy of the whole kernel) to the output, at the positions
  ``geometry.transposed_targets`` gives; the sums build up frame by frame. Positions that
  fall outside ``[0, O)`` are cropped by ``padding``; with ``output_padding`` the output has
  extra cells at the end that no input reaches (they stay 0). A last frame shows the result.
* ``view="direct"`` -- the same output as an ordinary convolution (stride 1) with the
  flipped kernel over the input with zeros inserted between its cells and padding around
  it. One frame per output cell.

The direct view's canvas is laid out from ``geometry``: input cell ``i`` sits at canvas
position ``transposed_targets(i, ...)[-1]`` (derivation: output ``o`` reads, with flipped
tap ``t' = k-1-t``, canvas position ``o + t'*d``; for the pair ``(i, t)`` that writes ``o``
this is ``target(i, t) + (k-1-t)*d = target(i, k-1)``), and output ``o`` reads the canvas at
``geometry.window(o, k, stride=1, pad_left=0, dilation=d)``.
"""
from __future__ import annotations

import itertools

import numpy as np

from teachnn import geometry
from viz.plan import (Frame, Panel, Plan, KIND_EXTRA, KIND_OUTSIDE, KIND_PADDING, KIND_VALUE,
                      KIND_ZERO, impossible)
from viz.scenes._common import (check_size_limit, compact, example_input, example_kernel, fmt,
                                index_text, join_terms, positive, products_text, shape_text,
                                to_numpy)

__all__ = ["conv_transpose_plan"]


def _grid(n, values):
    return values[None, :] if n == 1 else values


def _rc(n, pos):
    """n-d position -> (row, col) of a panel (1-d is one row)."""
    return (0, pos[0]) if n == 1 else (pos[0], pos[1])


def _box(cells):
    rs = [r for r, _ in cells]
    cs = [c for _, c in cells]
    return (min(rs), min(cs), max(rs) + 1, max(cs) + 1)


def _read(n, value, name):
    value = to_numpy(value, name)
    while value.ndim > n and value.shape[0] == 1:
        value = value[0]                    # drop [1, 1, ...] batch/channel axes
    if value.ndim != n:
        raise impossible(f"conv_transpose{n}d scene shows one channel: {name} must be {n}-d "
                         f"but has shape {list(value.shape)}.",
                         f"{name}는 {n}차원이어야 합니다 (입력 shape {list(value.shape)}).")
    return value


def _size_formula(L, k, s, p, d, op, out):
    return f"({L}-1)*{s} - 2*{p} + {d}*({k}-1) + {op} + 1 = {out}"


def conv_transpose_plan(n: int, x=None, weight=None, *, size=None, kernel=3, stride=2,
                        padding=0, output_padding=0, dilation=1, view="scatter") -> Plan:
    """Plan ``conv_transpose{n}d`` in the ``'scatter'`` or ``'direct'`` view."""
    if view not in ("scatter", "direct"):
        raise impossible(f"view must be 'scatter' or 'direct', got {view!r}.",
                         f"view는 'scatter' 또는 'direct'여야 합니다 (입력 {view!r}).")
    name = f"conv_transpose{n}d"
    if x is None:
        x = example_input(positive(size if size is not None else (4 if n == 1 else 3), n,
                                   "size"))
    else:
        x = _read(n, x, "x")
    S = x.shape
    check_size_limit(S, "input")
    if weight is None:
        weight = example_kernel(positive(kernel, n, "kernel"))
    else:
        weight = _read(n, weight, "weight")
    K = weight.shape
    s = positive(stride, n, "stride")
    p = positive(padding, n, "padding", minimum=0)
    op = positive(output_padding, n, "output_padding", minimum=0)
    d = positive(dilation, n, "dilation")
    for i in range(n):
        if op[i] >= max(s[i], d[i]):
            raise impossible(
                f"output_padding must be smaller than either stride or dilation, but got "
                f"output_padding={op[i]}, stride={s[i]}, dilation={d[i]}. output_padding only "
                "picks between output sizes that the same stride could produce.",
                f"output_padding은 stride나 dilation보다 작아야 합니다 (output_padding={op[i]}, "
                f"stride={s[i]}, dilation={d[i]}).")
    O = tuple(geometry.conv_transpose_output_size(S[i], K[i], s[i], p[i], d[i], op[i])
              for i in range(n))
    formulas = [_size_formula(S[i], K[i], s[i], p[i], d[i], op[i], O[i]) for i in range(n)]
    if any(o <= 0 for o in O):
        raise impossible("The padding crops away the whole output: " + "; ".join(formulas)
                         + ". Use a smaller padding.",
                         "padding이 출력 전체를 잘라 냅니다: " + "; ".join(formulas)
                         + ". padding을 줄여 보세요.")
    check_size_limit(O, "output")
    # Output positions written by each input index and tap, per axis (from geometry).
    targets = [[geometry.transposed_targets(i, K[a], s[a], p[a], d[a]) for i in range(S[a])]
               for a in range(n)]

    x_panel = Panel("x", f"input x  {shape_text(S)}", _grid(n, x.copy()),
                    np.zeros(_grid(n, x).shape, dtype=int), "input",
                    None if n == 1 else list(range(S[0])), list(range(S[-1])))
    if view == "scatter":
        # Output size with output_padding=0: cells past it exist only because of it.
        without_op = [geometry.conv_transpose_output_size(S[i], K[i], s[i], p[i], d[i], 0)
                      for i in range(n)]
        panels, frames, result = _scatter(n, x, weight, S, K, O, targets, x_panel, without_op)
        legend = [("highlight", "written now"), ("kernel", "kernel weight"),
                  ("current", "input cell scattering"), ("outside", "cropped by padding"),
                  ("extra", "added by output_padding")]
        how = "each input cell adds (its value x kernel) to the output; overlaps are summed"
    else:
        panels, frames, result = _direct(n, x, weight, S, K, O, targets, d)
        legend = [("input", "input cell"), ("zero", "inserted zero"),
                  ("padding", "padding (zeros)"), ("highlight", "read now"),
                  ("kernel", "flipped kernel"), ("current", "output being written")]
        how = "the same result: zeros between inputs, padding around, flipped kernel, stride 1"
    title = (f"ConvTranspose{n}d   kernel_size={compact(K)}, stride={compact(s)}, "
             f"padding={compact(p)}, output_padding={compact(op)}, dilation={compact(d)}\n"
             f"{view} view: {how}")
    axes = ["L"] if n == 1 else ["H", "W"]
    if n > 1 and len(set(formulas)) == 1:
        formula = ("output size: H_out = W_out = (L-1)*s - 2p + d*(k-1) + output_padding + 1"
                   "\n    = " + formulas[0])
    else:
        formula = "output size: (L-1)*s - 2p + d*(k-1) + output_padding + 1" + (
            ":   " if n == 1 else " per axis:\n    ") + \
            "\n    ".join(f"{a}_out = {f}" for a, f in zip(axes, formulas))
    reference = (name, [x[None, None], weight[None, None]],
                 dict(stride=s, padding=p, output_padding=op, dilation=d), (0, 0))
    return Plan(f"{name}_{view}", title, ([x_panel] if view == "scatter" else []) + panels,
                frames, formula, result, reference, legend)


def _scatter(n, x, w, S, K, O, targets, x_panel, without_op):
    # The canvas spans every written position and the whole output [0, O).
    lo = [min(0, min(t[0] for t in targets[a])) for a in range(n)]
    hi = [max(O[a] - 1, max(t[-1] for t in targets[a])) for a in range(n)]
    axes = [list(range(lo[a], hi[a] + 1)) for a in range(n)]
    shape = tuple(len(ax) for ax in axes)
    kinds = np.full(shape, KIND_VALUE)
    for pos in itertools.product(*[range(m) for m in shape]):
        idx = [axes[a][pos[a]] for a in range(n)]
        if any(not 0 <= idx[a] < O[a] for a in range(n)):
            kinds[pos] = KIND_OUTSIDE                 # cropped by padding
        elif any(idx[a] >= without_op[a] for a in range(n)):
            kinds[pos] = KIND_EXTRA                   # only there because of output_padding
    w_panel = Panel("w", f"kernel w  {shape_text(K)}", _grid(n, w.copy()),
                    np.zeros(_grid(n, w).shape, dtype=int), "kernel",
                    None if n == 1 else list(range(K[0])), list(range(K[-1])))
    cropped = "  (hatched: cropped)" if (kinds == KIND_OUTSIDE).any() else ""
    out_panel = Panel("out", f"output  {shape_text(O)}{cropped}",
                      _grid(n, np.full(shape, np.nan)), _grid(n, kinds), "output",
                      None if n == 1 else axes[0], axes[-1])

    canvas = np.zeros(shape)
    touched = np.zeros(shape, dtype=bool)
    frames = []
    for i in itertools.product(*[range(m) for m in S]):
        written, pairs, parts = [], [], []
        for taps in itertools.product(*[range(k) for k in K]):
            target = tuple(targets[a][i[a]][taps[a]] for a in range(n))
            pos = tuple(target[a] - lo[a] for a in range(n))
            product = products_text([(x[i], w[taps])])[0]
            # show the running sum: out[4] = 1 + 7x2 = 15 (or out[4] = 7x2 = 14 if new)
            before = f"{fmt(canvas[pos])} + " if touched[pos] else ""
            canvas[pos] += x[i] * w[taps]
            touched[pos] = True
            written.append(_rc(n, pos))
            pairs.append((x[i], w[taps]))
            parts.append(f"out[{index_text(target)}] = {before}{product} = {fmt(canvas[pos])}")
        # one line per kernel row (2-d), so no sum is broken across lines
        per_row = K[-1]
        rows = [join_terms(parts[r:r + per_row], joiner=",   ", limit=16)
                for r in range(0, len(parts), per_row)]
        arithmetic = (f"x[{index_text(i)}] = {fmt(x[i])} scatters {fmt(x[i])} \u00d7 kernel:"
                      + ("  " + rows[0] if n == 1 else "\n  " + "\n  ".join(rows)))
        frames.append(Frame(
            title=f"input cell [{index_text(i)}] scatters a weighted kernel copy",
            highlight={"out": written}, current={"x": [_rc(n, i)]},
            values={"out": _grid(n, np.where(touched, canvas, np.nan))},
            boxes={"out": [_box(written)]}, arithmetic=arithmetic, out_index=None,
            value=None, terms=pairs))
    inside = tuple(slice(-lo[a], -lo[a] + O[a]) for a in range(n))
    result = canvas[inside].copy()
    final = np.where(touched, canvas, np.nan)
    final[inside] = result                                 # output_padding cells show 0
    crop_cells = [_rc(n, pos) for pos in itertools.product(*[range(m) for m in shape])
                  if kinds[pos] != KIND_OUTSIDE]
    frames.append(Frame(
        title="crop: the output is what is left inside the padding",
        values={"out": _grid(n, final)}, boxes={"out": [_box(crop_cells)]},
        arithmetic=(f"output = the sums at positions 0..{O[0] - 1}"
                    + ("" if n == 1 else f" x 0..{O[1] - 1}")
                    + "; hatched cells (the outermost padding positions) are cropped away"
                    + ("; purple cells exist only because of output_padding (0 where no "
                       "kernel copy reaches)" if (kinds == KIND_EXTRA).any() else "")),
        out_index=None, value=None, terms=[]))
    return [w_panel, out_panel], frames, result


def _direct(n, x, w, S, K, O, targets, d):
    # Canvas position of each input cell along each axis, and the canvas length: every
    # window of every output cell must fit.
    where = [[targets[a][i][-1] for i in range(S[a])] for a in range(n)]
    windows = [[geometry.window(o, K[a], 1, 0, d[a]) for o in range(O[a])] for a in range(n)]
    length = [windows[a][-1][-1] + 1 for a in range(n)]
    shape = tuple(length)
    values = np.zeros(shape)
    kinds = np.full(shape, KIND_PADDING)
    for pos in itertools.product(*[range(m) for m in shape]):
        between = all(where[a][0] <= pos[a] <= where[a][-1] for a in range(n))
        if between:
            kinds[pos] = KIND_ZERO
    for i in itertools.product(*[range(m) for m in S]):
        pos = tuple(where[a][i[a]] for a in range(n))
        if all(0 <= pos[a] < length[a] for a in range(n)):
            values[pos] = x[i]
            kinds[pos] = KIND_VALUE
    flipped = w[tuple(slice(None, None, -1) for _ in range(n))]
    z_panel = Panel("z", "input with zeros inserted and padding", _grid(n, values),
                    _grid(n, kinds), "input", None, None)
    w_panel = Panel("w", "flipped kernel", _grid(n, flipped.copy()),
                    np.zeros(_grid(n, w).shape, dtype=int), "kernel", None, None)
    out_panel = Panel("out", f"output  {shape_text(O)}", _grid(n, np.full(O, np.nan)),
                      np.zeros(_grid(n, np.zeros(O)).shape, dtype=int), "output",
                      None if n == 1 else list(range(O[0])), list(range(O[-1])))
    result = np.zeros(O)
    done = np.zeros(O, dtype=bool)
    frames = []
    for o in itertools.product(*[range(m) for m in O]):
        pairs, cells = [], []
        for taps in itertools.product(*[range(k) for k in K]):
            pos = tuple(windows[a][o[a]][taps[a]] for a in range(n))
            pairs.append((values[pos], flipped[taps]))
            cells.append(_rc(n, pos))
        value = float(sum(a * b for a, b in pairs))
        result[o] = value
        done[o] = True
        frames.append(Frame(
            title=f"output cell [{index_text(o)}]",
            highlight={"z": cells}, current={"out": [_rc(n, o)]},
            values={"out": _grid(n, np.where(done, result, np.nan))},
            boxes={"z": [_box(cells)]},
            arithmetic=(f"out[{index_text(o)}] = " + join_terms(products_text(pairs))
                        + f" = {fmt(value)}"),
            out_index=o, value=value, terms=pairs))
    return [z_panel, w_panel, out_panel], frames, result
