"""Random argument combinations for the conv / pool / pad entry points, run in teachnn and
in PyTorch, with the outcome classified (shared by tests/test_fuzz_entry_points.py and the
standalone driver ``python -m tests.fuzz_cases N``).

A case is drawn through a tiny ``Draw`` interface (``choice``, ``integer``, ``floats``) so the
same generator serves hypothesis (``st.data()``) in the suite and ``random.Random`` in the
driver, which can run thousands of cases and print a table of mismatches.

``run_case`` returns ``(kind, detail)``: "ok" (both raised the same type, or both returned
equal values and gradients) or a mismatch class: "type" (both raised, different types),
"teachnn_refuses", "teachnn_accepts", "value", "grad", "raw" (teachnn's message is a raw
NumPy/Numba/Python message rather than a teaching message).
"ok_forward_only": equal values of a max pooling with a window wholly in the padding, whose
backward is not run in PyTorch (it writes outside the gradient array there).
"""
from __future__ import annotations

import math
import random
import re
import sys
import traceback

import numpy as np

import teachnn

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

# A message of one of these shapes was not written by teachnn: the error escaped from
# NumPy, Numba or the Python runtime instead of being explained.
RAW_MESSAGES = re.compile(
    r"cannot reshape array|object cannot be interpreted as an integer|"
    r"TypingError|numba|Numba|No implementation of function|index .* is out of bounds|"
    r"unsupported operand type|object is not iterable|not supported between instances|"
    r"Unable to allocate|invalid literal for int|object has no attribute|"
    r"takes \d+ positional argument|missing \d+ required positional|"
    r"zero-size array to reduction|division by zero|operands could not be broadcast|"
    r"negative dimensions are not allowed|array is too big|Maximum allowed dimension|"
    r"float division|integer division or modulo|must be real number")

ERROR_TYPES = (TypeError, ValueError, RuntimeError, NotImplementedError, IndexError)


class RandomDraw:
    """The ``Draw`` interface on ``random.Random`` (for the standalone driver)."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def choice(self, options):
        return options[self.rng.randrange(len(options))]

    def integer(self, low, high):
        return self.rng.randint(low, high)


class HypothesisDraw:
    """The ``Draw`` interface on hypothesis' ``st.data()``."""

    def __init__(self, data):
        from hypothesis import strategies as st
        self.data, self.st = data, st

    def choice(self, options):
        return options[self.data.draw(self.st.integers(0, len(options) - 1))]

    def integer(self, low, high):
        return self.data.draw(self.st.integers(low, high))


# --------------------------------------------------------------------------------------
# Argument generators: mostly valid values, sometimes the mistakes learners make
# --------------------------------------------------------------------------------------
def _int_arg(d, n, low, high, valid_weight=6):
    """An int or an n-tuple in [low, high], or occasionally something invalid."""
    kind = d.choice(["int"] * valid_weight + ["tuple"] * valid_weight +
                    ["zero", "negative", "float", "str", "bool", "wrong_len", "list1",
                     "none", "huge", "float_tuple", "np_int"])
    if kind == "int":
        return d.integer(low, high)
    if kind == "tuple":
        return tuple(d.integer(low, high) for _ in range(n))
    if kind == "zero":
        return 0
    if kind == "negative":
        return -d.integer(1, 2)
    if kind == "float":
        return d.choice([1.0, 2.5, 2.0])
    if kind == "str":
        return d.choice(["2", "same", "valid", "abc"])
    if kind == "bool":
        return d.choice([True, False])
    if kind == "wrong_len":
        return tuple(d.integer(low, high) for _ in range(d.choice([n + 1, max(n - 1, 0), 0])))
    if kind == "list1":
        return [d.integer(low, high)]
    if kind == "none":
        return None
    if kind == "huge":
        return d.choice([100000, 2 ** 31, 2 ** 40])
    if kind == "float_tuple":
        return tuple(float(d.integer(low, high)) for _ in range(n))
    return np.int64(d.integer(low, high))


def _flag(d):
    return d.choice([False, True, False, True, "False", 1, 0, None, 2.0])


def _shape(d, n, channels=None, min_size=1, max_size=6):
    batch = d.choice([1, 2, 2, 0, None])           # None: unbatched
    c = channels if channels is not None else d.choice([1, 2, 3, 0])
    spatial = [d.integer(min_size, max_size) for _ in range(n)]
    if d.choice([False] * 12 + [True]):
        spatial[d.integer(0, n - 1)] = 0            # an empty spatial axis
    shape = ([] if batch is None else [batch]) + [c] + spatial
    ndim_mistake = d.choice([None] * 12 + ["drop", "add"])
    if ndim_mistake == "drop":
        shape = shape[1:]
    elif ndim_mistake == "add":
        shape = [1] + shape
    return tuple(shape)


# integer dtypes a learner's tensor may have (PyTorch pools and convolves some of them)
INT_DTYPES = (np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_)


def _array(d, shape, rng):
    kind = d.choice(["f64"] * 8 + ["f32", "big", "int", "int", "noncontig"])
    a = rng.standard_normal(shape)
    if kind == "f32":
        return a.astype(np.float32)
    if kind == "big":
        return a.astype(">f8")
    if kind == "int":
        dtype = d.choice(INT_DTYPES[:1] * 4 + INT_DTYPES[1:])
        if dtype is np.bool_:
            return a > 0
        return (a * 40).astype(dtype)               # negatives too (uint8 wraps them)
    if kind == "noncontig":
        return np.asfortranarray(a)
    return a


# --------------------------------------------------------------------------------------
# Cases: (description, fn(lib, *tensors), arrays, which arrays get requires_grad)
# --------------------------------------------------------------------------------------
def _conv_case(d, rng):
    n = d.integer(1, 3)
    transposed = d.choice([False, False, True])
    groups = d.choice([1, 1, 1, 2, 3, 0, 1.0])
    g = groups if isinstance(groups, int) and groups > 0 else 1
    cin = g * d.choice([1, 2])
    cout = g * d.choice([1, 2])
    k = tuple(d.integer(1, 3) for _ in range(n))
    x_shape = _shape(d, n, channels=d.choice([cin] * 6 + [cin + 1, 0]), max_size=7)
    if transposed:
        w_shape = (cin, cout // g) + k
    else:
        w_shape = (cout, cin // g) + k
    if d.choice([False] * 10 + [True]):
        w_shape = w_shape[:-1]                      # wrong weight rank
    x = _array(d, x_shape, rng)
    w = rng.standard_normal(w_shape)
    if x.dtype == np.float32 and d.choice([True, True, False]):
        w = w.astype(np.float32)
    elif x.dtype.kind in "iub" and d.choice([True, True, True, False]):
        w = (w * 3).astype(x.dtype)                 # integer convolution: same dtype
    bias = d.choice([None, None, "ok", "wrong"])
    b = None
    if bias == "ok":
        b = rng.standard_normal(cout).astype(w.dtype)
    elif bias == "wrong":
        b = rng.standard_normal(cout + 1).astype(w.dtype)
    stride = _int_arg(d, n, 1, 3)
    padding = _int_arg(d, n, 0, 2)
    if not transposed and d.choice([False] * 5 + [True]):
        padding = d.choice(["same", "valid", "full"])
    dilation = _int_arg(d, n, 1, 2)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if transposed:
        kwargs["output_padding"] = _int_arg(d, n, 0, 1)
    name = f"conv_transpose{n}d" if transposed else f"conv{n}d"
    arrays = [x, w] + ([] if b is None else [b])
    use_module = d.choice([False, False, True])
    if use_module:
        layer = ("ConvTranspose" if transposed else "Conv") + f"{n}d"
        mkwargs = dict(kwargs)
        if not transposed:
            mkwargs["padding_mode"] = d.choice(["zeros"] * 4 + ["reflect", "replicate",
                                                                "circular", "wrong"])
        mkwargs["bias"] = b is not None
        kernel_size = d.choice([k, k, k[0] if len(set(k)) == 1 else k, 0, -1, 2.0])
        cin_arg, cout_arg = cin, cout

        def fn(lib, x, *rest):
            m = getattr(lib.nn, layer)(cin_arg, cout_arg, kernel_size, **mkwargs).double()
            with lib.no_grad():               # the same weights in both libraries
                for p in m.parameters():
                    p.copy_(lib.tensor(np.cos(np.arange(p.numel()) * 0.7).reshape(
                        tuple(p.shape))))
            return m(x.double() if x.dtype != lib.int64 else x)

        x = x.astype(x.dtype.newbyteorder("="))   # .double() needs a tensor's dtype
        return f"nn.{layer}({cin}, {cout}, {kernel_size!r}, {mkwargs})(x{x_shape})", fn, \
            [x], [True]

    def fn(lib, x, w, b=None):
        return getattr(lib.nn.functional, name)(x, w, b, **kwargs)

    return (f"F.{name}(x{x_shape}:{x.dtype}, w{w_shape}, b={None if b is None else b.shape}, "
            f"{kwargs})"), fn, arrays, [True] * len(arrays)


def _pool_case(d, rng):
    n = d.integer(1, 3)
    family = d.choice(["max", "max", "avg", "avg", "adaptive_max", "adaptive_avg", "lp",
                       "unpool"])
    x_shape = _shape(d, n, max_size=7)
    x = _array(d, x_shape, rng)
    F = "nn.functional"
    if family in ("max", "avg", "lp"):
        kernel = _int_arg(d, n, 1, 3)
        stride = d.choice([None, None, _int_arg(d, n, 1, 3)])
        ceil_mode = _flag(d) if d.choice([True, False, False]) else False
        kwargs = dict(kernel_size=kernel, stride=stride, ceil_mode=ceil_mode)
        if family != "lp":
            kwargs["padding"] = _int_arg(d, n, 0, 1)
        if family == "max":
            kwargs["dilation"] = _int_arg(d, n, 1, 2)
            kwargs["return_indices"] = d.choice([False, True])
        if family == "avg":
            kwargs["count_include_pad"] = d.choice([True, False])
            if n > 1 or d.choice([True, False]):
                div = d.choice([None] * 6 + [2, 3, 0, -1, 2.5, True, "2"])
                if n > 1:
                    kwargs["divisor_override"] = div
        if family == "lp":
            norm = d.choice([1, 2, 2.0, 3, float("inf"), 0.5])
            kwargs = dict(norm_type=norm, **kwargs)
            if x.dtype.kind == "f":
                x = np.abs(x) + 0.5                 # x^p of negatives is NaN for odd p
        name = {"max": f"max_pool{n}d", "avg": f"avg_pool{n}d", "lp": f"lp_pool{n}d"}[family]
        use_module = d.choice([False, False, True])
        if use_module:
            layer = {"max": f"MaxPool{n}d", "avg": f"AvgPool{n}d", "lp": f"LPPool{n}d"}[family]

            def fn(lib, x):
                return getattr(lib.nn, layer)(**kwargs)(x)
            return f"nn.{layer}({kwargs})(x{x_shape}:{x.dtype})", fn, [x], [True]

        def fn(lib, x):
            return getattr(lib.nn.functional, name)(x, **kwargs)
        return f"F.{name}(x{x_shape}:{x.dtype}, {kwargs})", fn, [x], [True]
    if family.startswith("adaptive"):
        size = d.choice([d.integer(0, 4), tuple(d.integer(0, 4) for _ in range(n)),
                         tuple(d.choice([None, 2, 3]) for _ in range(n)), -1, 2.0, None,
                         (2,) * (n + 1), "2"])
        kw = {}
        if family == "adaptive_max":
            kw["return_indices"] = d.choice([False, True])
        name = f"{family}_pool{n}d"
        if d.choice([False, False, True]):
            layer = ("AdaptiveMaxPool" if family == "adaptive_max" else "AdaptiveAvgPool") + \
                f"{n}d"

            def fn(lib, x):
                return getattr(lib.nn, layer)(size, **kw)(x)
            return f"nn.{layer}({size!r}, {kw})(x{x_shape}:{x.dtype})", fn, [x], [True]

        def fn(lib, x):
            return getattr(lib.nn.functional, name)(x, size, **kw)
        return f"F.{name}(x{x_shape}:{x.dtype}, {size!r}, {kw})", fn, [x], [True]
    # max_unpool: pool first (in both libraries) so the indices are real ones
    kernel = d.integer(1, 3)
    stride = d.choice([None, kernel, d.integer(1, 3)])
    padding = d.choice([0, 0, kernel // 2])
    out_size = d.choice([None, None, "default", "full", "bad", "zero"])
    modify = d.choice([False] * 5 + [True])
    use_module = d.choice([False, False, True])

    def fn(lib, x):
        F_ = lib.nn.functional
        pooled, idx = getattr(F_, f"max_pool{n}d")(x, kernel, stride, padding,
                                                   return_indices=True)
        if modify:
            idx.zero_()
        L = x.shape[-n:]
        s = kernel if stride is None else stride
        default = [(o - 1) * s - 2 * padding + kernel for o in pooled.shape[-n:]]
        size = None
        if out_size == "default":
            size = default
        elif out_size == "full":
            size = list(x.shape[:-n]) + list(L)
        elif out_size == "bad":
            size = [v + s + 1 for v in default]
        elif out_size == "zero":
            size = [0] * n
        if use_module:
            layer = getattr(lib.nn, f"MaxUnpool{n}d")(kernel, stride, padding)
            return layer(pooled, idx, output_size=size)
        return getattr(F_, f"max_unpool{n}d")(pooled, idx, kernel, stride, padding, size)
    name = f"nn.MaxUnpool{n}d" if use_module else f"F.max_unpool{n}d"
    return (f"{name}(x{x_shape}:{x.dtype}, k={kernel}, s={stride}, p={padding}, "
            f"out={out_size}, modify={modify})"), fn, [x], [True]


def _pad_case(d, rng):
    ndim = d.integer(1, 5)
    shape = tuple(d.choice([0, 1, 2, 3, 4, 5]) if d.choice([False] * 8 + [True])
                  else d.integer(1, 5) for _ in range(ndim))
    x = _array(d, shape, rng)
    npad = d.choice([1, 2, 2, 4, 4, 6, 3, 8])
    pad = tuple(d.integer(-2, 3) for _ in range(npad))
    if d.choice([False] * 8 + [True]):
        pad = d.choice([2, "1", (1.0, 1), (True, 0), [1, 1], None])
    mode = d.choice(["constant", "constant", "reflect", "replicate", "circular", "zeros"])
    value = d.choice([None, None, 1.5, 0, "a"])
    kwargs = dict(mode=mode) if value is None else dict(mode=mode, value=value)

    def fn(lib, x):
        return lib.nn.functional.pad(x, pad, **kwargs)
    return f"F.pad(x{shape}:{x.dtype}, {pad!r}, {kwargs})", fn, [x], [True]


def draw_case(d, seed=0, family=None):
    rng = np.random.default_rng(seed)
    if family is None:
        family = d.choice(["conv", "conv", "pool", "pool", "pool", "pad"])
    return {"conv": _conv_case, "pool": _pool_case, "pad": _pad_case}[family](d, rng)


# --------------------------------------------------------------------------------------
# Running one case in both libraries
# --------------------------------------------------------------------------------------
def _run(lib, fn, arrays, grads, seed, backward=True):
    """Return ("error", exception) or ("ok", outputs, grads)."""
    tensors = []
    for a, g in zip(arrays, grads):
        # both libraries refuse non-native byte order outright (ValueError, tested in
        # test_leftover_gaps.py), so both get the array converted to native order
        if lib is torch:
            t = torch.tensor(a.astype(a.dtype.newbyteorder("=")))
        elif a.dtype.byteorder == ">":
            t = teachnn.tensor(a.astype(a.dtype.newbyteorder("=")))
        else:
            t = teachnn.tensor(a)
        if g and a.dtype.kind == "f":
            t.requires_grad_(True)
        tensors.append(t)
    try:
        out = fn(lib, *tensors)
        outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if lib is torch and any(o.numel() == 0 and math.prod(s for s in o.shape if s) *
                                o.element_size() >= 2 ** 63 for o in outs):
            # an empty result NumPy cannot describe (shape product past its limit):
            # teachnn's arrays cannot hold it, and refuses it as a failed allocation
            raise RuntimeError("the result's shape is too large for a NumPy array")
        values = [np.array(o.detach().numpy() if lib is torch else o.detach()._data
                           if hasattr(o.detach(), "_data") else o.detach().data)
                  for o in outs]
        first = outs[0]
        if not backward:
            return ("ok", values, [])
        if first.requires_grad and first.numel() == 0:
            first.sum().backward()              # (no random weights for an empty output)
        elif first.requires_grad:
            r = np.random.default_rng(seed).standard_normal(tuple(first.shape))
            weight = (teachnn.tensor(r) if lib is teachnn else torch.tensor(r)).to(first.dtype)
            (first * weight).sum().backward()
        gs = []
        for t in tensors:
            g = t.grad
            if g is None:
                gs.append(None)
            else:
                gs.append(np.array(g.numpy() if lib is torch else
                                   (g._data if hasattr(g, "_data") else g.data)))
        return ("ok", values, gs)
    except Exception as err:  # noqa: BLE001 - classifying every exception is the point
        return ("error", err)


def run_case(description, fn, arrays, grads, seed=0):
    """Classify one case: ("ok", "") or (mismatch kind, detail)."""
    n = _run(teachnn, fn, arrays, grads, seed)
    # A max-pooling window wholly in the padding (possible with dilation) gives -inf; PyTorch
    # then returns an index past the input and its backward writes there, outside the
    # gradient's memory (heap corruption, sometimes a crash): compare the forward only.
    empty_window = re.search(r"max_pool|MaxPool", description) and n[0] == "ok" and any(
        v.dtype.kind == "f" and np.isneginf(v).any() for v in n[1])
    t = _run(torch, fn, arrays, grads, seed, backward=not empty_window)
    if empty_window and t[0] == "ok":
        n = ("ok", n[1], [])
    if n[0] == "error":
        err = n[1]
        msg = f"{type(err).__name__}: {err}"
        if not isinstance(err, ERROR_TYPES) or RAW_MESSAGES.search(str(err)):
            return "raw", msg + "\n" + "".join(traceback.format_tb(err.__traceback__)[-2:])
        if t[0] == "error":
            if type(t[1]) is not type(err):
                return "type", f"torch {type(t[1]).__name__}: {t[1]} | teachnn {msg}"
            return "ok", ""
        return "teachnn_refuses", msg
    if t[0] == "error":
        return "teachnn_accepts", f"torch {type(t[1]).__name__}: {t[1]}"
    _, tv, tg = t
    _, nv, ng = n
    if len(tv) != len(nv):
        return "value", f"{len(nv)} outputs, torch {len(tv)}"
    for a, b in zip(nv, tv):
        if a.shape != b.shape:
            return "value", f"shape {a.shape} vs torch {b.shape}"
        if a.dtype != b.dtype:
            return "value", f"dtype {a.dtype} vs torch {b.dtype}"
        if not np.allclose(a, b, rtol=1e-4, atol=1e-5, equal_nan=True):
            return "value", f"max diff {np.nanmax(np.abs(a - b)) if a.size else 0}"
    if empty_window:
        return "ok_forward_only", "a window lies wholly in the padding: forward compared"
    for a, b in zip(ng, tg):
        if (a is None) != (b is None):
            return "grad", f"grad None: teachnn {a is None}, torch {b is None}"
        if a is not None and (a.shape != b.shape or
                              not np.allclose(a, b, rtol=1e-4, atol=1e-5, equal_nan=True)):
            return "grad", f"grad differs (shapes {a.shape} {b.shape})"
    return "ok", ""


def main(argv):
    import collections
    import resource
    count = int(argv[1]) if len(argv) > 1 else 500
    seed0 = int(argv[2]) if len(argv) > 2 else 0
    # a runaway allocation becomes an error instead of swapping the shared machine
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = 12 << 30 if hard == resource.RLIM_INFINITY else min(12 << 30, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    torch.set_num_threads(1)
    kinds = collections.Counter()
    examples = collections.defaultdict(list)
    for i in range(seed0, seed0 + count):
        desc, fn, arrays, grads = draw_case(RandomDraw(i), seed=i)
        kind, detail = run_case(desc, fn, arrays, grads, seed=i)
        kinds[kind] += 1
        if kind != "ok":
            examples[kind].append(f"[{i}] {desc}\n      {detail.strip()[:400]}")
    print(dict(kinds))
    for kind, items in examples.items():
        print(f"=== {kind}: {len(items)}")
        for item in items:
            print("  ", item)


if __name__ == "__main__":
    main(sys.argv)
