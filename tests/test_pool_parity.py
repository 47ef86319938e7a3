"""Pooling parity with PyTorch over hypothesis-drawn configurations: forward values,
indices and input gradients (tests/parity.py), for functions and modules, plus ``repr``."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import teachnn
from teachnn import geometry
from tests.parity import assert_parity, requires_torch, torch


@st.composite
def window_config(draw, with_dilation=True):
    """dims 1-3, kernel 1-4, stride 1-3, padding <= kernel//2, dilation 1-2, ceil_mode,
    a spatial size the (dilated) kernel fits in, batched or not."""
    n = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(n))
    pad = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = tuple(draw(st.integers(1, 2)) if with_dilation else 1 for _ in range(n))
    spatial = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 8))
                    for k, p, d in zip(kernel, pad, dil))
    lead = draw(st.sampled_from([(2, 3), (3,), (1, 2)]))
    return dict(n=n, kernel=kernel, stride=stride, pad=pad, dil=dil, spatial=spatial,
                lead=lead, ceil_mode=draw(st.booleans()))


def _input(cfg, seed):
    """A coarse grid of values: ties are common, so the first-maximum rule, the indices and
    the gradient routing must all agree with PyTorch's."""
    rng = np.random.default_rng(seed)
    return rng.integers(-4, 5, size=cfg["lead"] + cfg["spatial"]) * 0.5


def _window_only_in_padding(cfg):
    for L, k, s, p, d in zip(cfg["spatial"], cfg["kernel"], cfg["stride"], cfg["pad"],
                             cfg["dil"]):
        out = geometry.pool_output_size(L, k, s, p, d, cfg["ceil_mode"])
        for i in range(out):
            if all(not 0 <= j < L for j in geometry.window(i, k, s, p, d)):
                return True
    return False


@requires_torch
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # -inf outputs
@settings(max_examples=35, deadline=None)
@given(cfg=window_config(), seed=st.integers(0, 999), dtype=st.sampled_from(["float64", "float32"]))
def test_max_pool_parity(cfg, seed, dtype):
    n = cfg["n"]
    k, s, p, d = cfg["kernel"], cfg["stride"], cfg["pad"], cfg["dil"]
    # A window that lies wholly in the padding has no input element to point at: PyTorch's
    # backward then reads an out-of-range index and can abort the whole process. Those
    # configurations are checked against the naive loops in test_pool_kernels instead.
    assume(not _window_only_in_padding(cfg))
    assert_parity(lambda lib, x: getattr(lib.nn.functional, f"max_pool{n}d")(
        x, k, s, p, d, ceil_mode=cfg["ceil_mode"], return_indices=True),
        [_input(cfg, seed)], dtype=dtype)


@requires_torch
@settings(max_examples=35, deadline=None)
@given(cfg=window_config(with_dilation=False), seed=st.integers(0, 999),
       include_pad=st.booleans(), override=st.sampled_from([None, None, 1, 2, 5]),
       dtype=st.sampled_from(["float64", "float32"]))
def test_avg_pool_parity(cfg, seed, include_pad, override, dtype):
    n = cfg["n"]
    k, s, p = cfg["kernel"], cfg["stride"], cfg["pad"]
    extra = {} if n == 1 else {"divisor_override": override}
    spatial = cfg["spatial"]
    if n == 3:     # PyTorch's avg_pool3d wants input >= kernel even with padding
        spatial = tuple(max(L, ki) for L, ki in zip(spatial, k))
    x = np.random.default_rng(seed).standard_normal(cfg["lead"] + spatial)
    assert_parity(lambda lib, x: getattr(lib.nn.functional, f"avg_pool{n}d")(
        x, k, s, p, cfg["ceil_mode"], include_pad, **extra), [x], dtype=dtype)


@st.composite
def adaptive_config(draw):
    n = draw(st.integers(1, 3))
    spatial = tuple(draw(st.integers(1, 8)) for _ in range(n))
    # output sizes smaller than, equal to and larger than the input; None keeps the axis
    sizes = []
    for L in spatial:
        choice = draw(st.sampled_from(["smaller", "equal", "larger", "none", "any"]))
        if choice == "smaller":
            sizes.append(draw(st.integers(1, L)))
        elif choice == "equal":
            sizes.append(L)
        elif choice == "larger":
            sizes.append(draw(st.integers(L, L + 5)))
        elif choice == "none" and n > 1:          # 1-d does not accept None (as PyTorch)
            sizes.append(None)
        else:
            sizes.append(draw(st.integers(1, 10)))
    as_int = n == 1 or (len(set(sizes)) == 1 and None not in sizes and draw(st.booleans()))
    output_size = sizes[0] if as_int else tuple(sizes)
    lead = draw(st.sampled_from([(2, 3), (3,)]))
    return n, lead + spatial, output_size


@requires_torch
@settings(max_examples=35, deadline=None)
@given(cfg=adaptive_config(), seed=st.integers(0, 999), dtype=st.sampled_from(["float64", "float32"]))
def test_adaptive_pool_parity(cfg, seed, dtype):
    n, shape, output_size = cfg
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=shape) * 0.5           # ties on purpose
    assert_parity(lambda lib, x: getattr(lib.nn.functional, f"adaptive_max_pool{n}d")(
        x, output_size, return_indices=True), [x], dtype=dtype)
    assert_parity(lambda lib, x: getattr(lib.nn.functional, f"adaptive_avg_pool{n}d")(
        x, output_size), [rng.standard_normal(shape)], dtype=dtype)


@requires_torch
@settings(max_examples=25, deadline=None)
@given(cfg=window_config(with_dilation=False), seed=st.integers(0, 999),
       full_shape=st.booleans())
def test_max_unpool_parity(cfg, seed, full_shape):
    """pool with indices -> unpool back to the input's size, in both libraries; values and
    gradients through both steps. (Any size in (default - s, default + s) is allowed; the
    input's own size always is, and is what decoders use.)"""
    n = cfg["n"]
    k, s, p = cfg["kernel"], cfg["stride"], cfg["pad"]
    x = np.random.default_rng(seed).standard_normal(cfg["lead"] + cfg["spatial"])

    def fn(lib, x):
        F = lib.nn.functional
        out, idx = getattr(F, f"max_pool{n}d")(x, k, s, p, return_indices=True)
        size = tuple(x.shape) if full_shape and x.dim() == n + 2 else cfg["spatial"]
        return getattr(F, f"max_unpool{n}d")(out, idx, k, s, p, output_size=size)

    assert_parity(fn, [x])


@requires_torch
@pytest.mark.parametrize("n,norm,kernel,stride,ceil", [
    (1, 2, 3, None, False), (1, 1.5, 3, 2, True), (2, 2, 2, None, False),
    (2, 3, (2, 3), (1, 2), True), (2, float("inf"), 2, 1, False), (1, 1, 2, 1, False)])
def test_lp_pool_parity(n, norm, kernel, stride, ceil):
    rng = np.random.default_rng(0)
    x = np.abs(rng.standard_normal((2, 3) + (7,) * n)) + 0.1
    assert_parity(lambda lib, x: getattr(lib.nn.functional, f"lp_pool{n}d")(
        x, norm, kernel, stride, ceil), [x])


@requires_torch
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # -inf outputs
def test_max_pool_all_padding_window_matches_pytorch_quirk():
    # k=2, d=2, p=1 on width 1: the window reads cells -1 and 1, both outside the input.
    # PyTorch returns -inf and an index computed from the first tap >= 0 (even if it
    # aliases another row), and routes that window's gradient there. So do we.
    x = np.random.default_rng(0).standard_normal((1, 1, 2, 1))
    assert_parity(lambda lib, x: lib.nn.functional.max_pool2d(
        x, (1, 2), padding=(0, 1), dilation=(1, 2), return_indices=True), [x])


@requires_torch
def test_nan_and_inf_like_pytorch():
    nan, inf = float("nan"), float("inf")
    x = np.array([[[1., nan, 3., nan, 2., -inf, -inf, 0.5]]])
    for fn in (lambda lib, x: lib.nn.functional.max_pool1d(x, 5, 3, return_indices=True),
               lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, 3, return_indices=True)):
        ours, theirs = assert_parity(fn, [x], grad=False, atol=0, rtol=0)
        np.testing.assert_array_equal(np.isnan(ours[0]._data), np.isnan(theirs[0].numpy()))


# --------------------------------------------------------------------------- modules
MODULE_EXPRS = [
    "MaxPool1d(3, 2, 1)", "MaxPool2d(2)", "MaxPool2d((3, 2), stride=(2, 1), padding=1, "
    "dilation=(1, 2), ceil_mode=True)", "MaxPool3d(2, return_indices=True)",
    "AvgPool1d(3)", "AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False)",
    "AvgPool2d(2)", "AvgPool2d((3, 1), (1, 1), (1, 0), divisor_override=2)",
    "AvgPool3d((2, 1, 2), divisor_override=3)",
    "AdaptiveAvgPool1d(5)", "AdaptiveAvgPool2d((None, 7))", "AdaptiveAvgPool3d(1)",
    "AdaptiveMaxPool1d(3, return_indices=True)", "AdaptiveMaxPool2d((2, None))",
    "AdaptiveMaxPool3d((1, 2, 3))",
    "MaxUnpool1d(2)", "MaxUnpool2d(2, 1)", "MaxUnpool3d(3, 2, 1)",
    "LPPool1d(2, 3)", "LPPool2d(1.5, (2, 3), stride=2, ceil_mode=True)",
]


@requires_torch
@pytest.mark.parametrize("expr", MODULE_EXPRS)
def test_module_repr_matches_pytorch(expr):
    ours = eval(f"teachnn.nn.{expr}")
    theirs = eval(f"torch.nn.{expr}")
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict().keys()) == list(theirs.state_dict().keys()) == []


@requires_torch
@pytest.mark.parametrize("expr,shape", [
    ("MaxPool1d(3, 2, 1)", (2, 3, 9)), ("MaxPool2d(2)", (2, 3, 6, 7)),
    ("MaxPool2d((3, 2), stride=(2, 1), padding=1, dilation=(1, 2), ceil_mode=True)", (3, 8, 7)),
    ("MaxPool3d(2, return_indices=True)", (1, 2, 4, 5, 6)),
    ("AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False)", (2, 3, 10)),
    ("AvgPool2d((3, 1), (1, 1), (1, 0), divisor_override=2)", (2, 2, 5, 4)),
    ("AvgPool3d((2, 1, 2), divisor_override=3)", (2, 2, 4, 3, 4)),
    ("AdaptiveAvgPool2d((None, 7))", (2, 3, 5, 9)), ("AdaptiveAvgPool3d(1)", (2, 3, 2, 3, 4)),
    ("AdaptiveMaxPool1d(3, return_indices=True)", (2, 3, 7)),
    ("AdaptiveMaxPool2d((2, None))", (3, 5, 4)),
    ("LPPool2d(1.5, (2, 3), stride=2, ceil_mode=True)", (2, 2, 6, 7)),
])
def test_module_forward_matches_pytorch(expr, shape):
    x = np.abs(np.random.default_rng(3).standard_normal(shape)) + 0.1
    assert_parity(lambda lib, x: eval(f"lib.nn.{expr}")(x), [x])


@requires_torch
def test_max_unpool_module_with_output_size():
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 9))

    def fn(lib, x):
        pool = lib.nn.MaxPool2d(2, stride=2, return_indices=True)
        unpool = lib.nn.MaxUnpool2d(2, stride=2)
        out, idx = pool(x)
        return unpool(out, idx, output_size=x.size())
    assert_parity(fn, [x])


@requires_torch
@pytest.mark.parametrize("call,shape", [
    # ceil_mode: the last window hangs over the padded edge; padding counts only up to it
    ("avg_pool1d(x, 3, 2, 1, True, True)", (2, 3, 6)),
    ("avg_pool2d(x, 3, 2, 1, True, True)", (2, 3, 6, 5)),
    ("avg_pool2d(x, (3, 2), (2, 3), (1, 1), True, False)", (1, 2, 8, 7)),
    ("avg_pool3d(x, 2, 3, 1, True, True, 3)", (1, 2, 5, 5, 6)),
    # ceil_mode that would start a window in the right padding: that window is dropped
    ("max_pool1d(x, 2, 2, 1, 1, True, True)", (1, 2, 5)),
    ("max_pool2d(x, 3, 3, 1, 2, True, True)", (2, 2, 9, 8)),
    ("max_pool3d(x, (1, 3, 2), (1, 2, 2), (0, 1, 1), (1, 1, 2), True, True)", (1, 2, 3, 7, 6)),
])
def test_tricky_configurations(call, shape):
    x = np.random.default_rng(11).integers(-3, 4, size=shape) * 0.5
    assert_parity(lambda lib, x: eval(f"lib.nn.functional.{call}"), [x])
