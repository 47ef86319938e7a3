"""Printing tensors exactly as PyTorch does (``set_printoptions``, summarised long tensors,
one number format for the whole tensor)."""
import builtins
import math

import numpy as np

from . import _dtype

__all__ = ["set_printoptions"]


# ----------------------------------------------------------------------------------------
# printing, following torch/_tensor_str.py (precision 4, threshold 1000, edgeitems 3, width 80)
# ----------------------------------------------------------------------------------------
class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Same options as ``torch.set_printoptions``."""
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, 1000, 3, 80
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 1000, 2, 80
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, math.inf, 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """Decides one common format for all numbers of a tensor (like torch's _Formatter):
    integers-as-floats print as ``1.``, else 4 decimals, or scientific notation when the
    values span more than 3 orders of magnitude, exceed 1e8 or go below 1e-4."""

    def __init__(self, values):
        p = PRINT_OPTS.precision
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = builtins.max(self.max_width, len(_int_str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        abs_vals = np.abs(finite)
        lo, hi = abs_vals.min(), abs_vals.max()
        self.int_mode = builtins.bool(np.all(finite == np.ceil(finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        for v in finite.tolist():
            if self.sci_mode:
                width = len(f"{v:.{p}e}")
            elif self.int_mode:
                width = len(f"{v:.0f}") + 1
            else:
                width = len(f"{v:.{p}f}")
            self.max_width = builtins.max(self.max_width, width)

    def format(self, value):
        p = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{p}f}"
        else:
            text = _int_str(value)
        return (self.max_width - len(text)) * " " + text


def _int_str(v):
    return "True" if v is True else "False" if v is False else str(v)


def _summarized(a):
    """Only the edge items that will actually be printed (used to choose the format)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:e], a[-e:]]) if a.shape[0] > 2 * e else a
    rows = list(range(e)) + list(range(a.shape[0] - e, a.shape[0])) if a.shape[0] > 2 * e \
        else range(a.shape[0])
    return np.stack([_summarized(a[i]) for i in rows])


def _vector_str(a, indent, summarize, formatter):
    element_length = formatter.max_width + 2
    per_line = builtins.max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        data = [formatter.format(v) for v in a[:e].tolist()] + [" ..."] + \
               [formatter.format(v) for v in a[-e:].tolist()]
    else:
        data = [formatter.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(a, indent, summarize, formatter):
    if a.ndim == 0:
        return formatter.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, formatter)
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        parts = [_array_str(a[i], indent + 1, summarize, formatter) for i in range(e)] + ["..."] + \
                [_array_str(a[i], indent + 1, summarize, formatter) for i in range(a.shape[0] - e, a.shape[0])]
    else:
        parts = [_array_str(a[i], indent + 1, summarize, formatter) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _tensor_repr(t, prefix="tensor("):
    a = t._data
    indent = len(prefix)
    suffixes = []
    default = a.dtype in (_dtype.get_default_dtype().np, np.dtype(np.int64), np.dtype(np.bool_))
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append("size=" + str(tuple(a.shape)))
        if a.dtype != _dtype.get_default_dtype().np:
            suffixes.append(f"dtype={t.dtype}")
        body = "[]"
    else:
        if not default:
            suffixes.append(f"dtype={t.dtype}")
        summarize = a.size > PRINT_OPTS.threshold
        shown = a.astype(np.float64) if a.dtype == np.float16 else a
        formatter = _Formatter(_summarized(shown) if summarize else shown)
        body = _array_str(shown, indent, summarize, formatter)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name().rsplit('::', 1)[-1]}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    last_line_len = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        # measure "teachnn.float64" as torch's "torch.float64": lines break where torch's do
        width = len(s) - s.count("teachnn.") * (len("teachnn.") - len("torch."))
        if last_line_len + width + 2 > PRINT_OPTS.linewidth:
            text += ",\n" + " " * indent + s
            last_line_len = indent + width
        else:
            text += ", " + s
            last_line_len += width + 2
    return text + ")"
