"""Frame plans of viz (headless, no matplotlib drawing): every number an animation shows is
checked against teachnn.nn.functional (and PyTorch where installed), frame by frame."""
import math

import matplotlib
matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from teachnn import geometry  # noqa: E402
from tests.parity import requires_torch, torch  # noqa: E402
from viz.plan import (KIND_EXTRA, KIND_OUTSIDE, KIND_PADDING, KIND_VALUE,  # noqa: E402
                      KIND_ZERO, VizConfigError, fmt)
from viz.scenes import SCENES  # noqa: E402
from viz.scenes.conv import conv_plan  # noqa: E402
from viz.scenes.pool import adaptive_plan, pool_plan  # noqa: E402
from viz.scenes.transpose import conv_transpose_plan  # noqa: E402


def assert_frames_consistent(plan, kind):
    """Each frame's value is the sum/max/mean of the terms it shows, the text ends with
    that value, and it sits at out_index of the plan's result."""
    for frame in plan.frames:
        if frame.out_index is None:
            continue
        if kind == "sum":
            expected = sum(x * w for x, w in frame.terms) + frame.bias
        elif kind == "max":
            expected = max(frame.terms)
        else:
            expected = sum(frame.terms) / len(frame.terms)
        assert math.isclose(frame.value, expected, rel_tol=1e-12, abs_tol=1e-12)
        assert frame.arithmetic.rstrip().endswith(f"= {fmt(frame.value)}") or \
            f"= {fmt(frame.value)}" in frame.arithmetic
        assert plan.result[frame.out_index] == frame.value


def torch_output(plan):
    fname, arrays, kwargs, index = plan.reference
    fn = getattr(torch.nn.functional, fname)
    return fn(*[torch.tensor(a) for a in arrays], **kwargs).numpy()[index]


# ---------------------------------------------------------------- hand-computed examples

def test_notes_adaptive_example_4x4_to_2x2():
    plan = adaptive_plan(2, "avg", size=4, output_size=2)       # input 1..16
    np.testing.assert_array_equal(plan.result, [[3.5, 5.5], [11.5, 13.5]])
    assert plan.frames[0].arithmetic.splitlines()[-1] == "out[0, 0] = (1 + 2 + 5 + 6) / 4 = 3.5"
    assert plan.check()


def test_conv1d_hand_example_arithmetic():
    plan = conv_plan(1, [[1, 2, 3, 4]], [[1, 0, -1]])
    np.testing.assert_array_equal(plan.result, [-2, -2])
    assert plan.frames[0].arithmetic == "out[0] = 1\u00d71 + 2\u00d70 + 3\u00d7(-1) = -2"
    assert "floor((4 + 2*0 - 1*(3-1) - 1) / 1) + 1 = 2" in plan.formula


def test_conv1d_kernel_spans_all_channels():
    plan = conv_plan(1, np.arange(12.0).reshape(3, 4), np.ones((3, 2)))
    # frame 0 reads every channel row at columns 0 and 1
    assert sorted(plan.frames[0].highlight["x"]) == [(c, j) for c in range(3) for j in (0, 1)]
    assert plan.result[0] == sum(np.arange(12.0).reshape(3, 4)[:, :2].ravel())


def test_conv2d_dilation_highlights_every_dth_cell_and_padding_is_drawn():
    plan = conv_plan(2, size=5, kernel=2, dilation=2, padding=1)
    panel = plan.panel("x0")
    assert panel.shape == (7, 7)
    assert (panel.kinds[0, :] == KIND_PADDING).all() and (panel.kinds[:, -1] == KIND_PADDING).all()
    assert (panel.kinds[1:6, 1:6] == KIND_VALUE).all()
    # output (0, 0) reads padded rows/cols 0 and 2 only (gap of one cell)
    assert sorted(plan.frames[0].highlight["x0"]) == [(0, 0), (0, 2), (2, 0), (2, 2)]
    assert plan.frames[0].boxes["x0"] == [(0, 0, 3, 3)]


def test_conv2d_channels_summed_into_one_cell():
    x = np.arange(2 * 3 * 3, dtype=float).reshape(2, 3, 3)
    w = np.ones((2, 3, 3))
    plan = conv_plan(2, x, w)
    assert plan.result.shape == (1, 1)
    assert plan.result[0, 0] == x.sum()
    assert len(plan.frames[0].terms) == 18


def test_conv3d_slices_and_frame_count():
    plan = conv_plan(3, size=4, kernel=2, padding=1)
    keys = [p.key for p in plan.panels]
    assert keys[:6] == [f"x0z{z}" for z in range(6)]              # 4 slices + 2 padding
    assert (plan.panel("x0z0").kinds == KIND_PADDING).all()
    assert len(plan.frames) == 5 ** 3


def test_max_pool_marks_the_chosen_maximum():
    x = np.array([[1.0, 9.0, 2.0, 3.0], [4.0, 5.0, 8.0, 0.0]])
    plan = pool_plan(2, "max", x, kernel=2)
    assert plan.frames[0].marked["x"] == [(0, 1)]
    assert plan.frames[1].marked["x"] == [(1, 2)]
    np.testing.assert_array_equal(plan.result, [[9.0, 8.0]])


def test_ceil_mode_window_hangs_over_the_edge():
    plan = pool_plan(1, "max", [1.0, 2.0, 3.0, 4.0, 5.0], kernel=2, stride=2, ceil_mode=True)
    assert len(plan.frames) == 3
    panel = plan.panel("x")
    assert panel.kinds[0, 5] == KIND_OUTSIDE and panel.col_index[5] == 5
    assert plan.frames[2].terms == [5.0]
    assert "hangs over" in plan.frames[2].arithmetic


def test_avg_pool_count_include_pad_divisors():
    x = [2.0, 4.0, 6.0]
    with_pad = pool_plan(1, "avg", x, kernel=2, stride=2, padding=1)
    without = pool_plan(1, "avg", x, kernel=2, stride=2, padding=1, count_include_pad=False)
    np.testing.assert_allclose(with_pad.result, [1.0, 5.0])
    np.testing.assert_allclose(without.result, [2.0, 5.0])


def test_adaptive_overlapping_regions_5_to_3():
    plan = adaptive_plan(1, "avg", size=5, output_size=3)
    bars = plan.panel("x").col_bars
    assert [(a, b) for a, b, _ in bars] == [geometry.adaptive_range(i, 5, 3) for i in range(3)]
    lanes = plan.panel("x").lanes(bars)
    assert lanes[0] != lanes[1] and lanes[1] != lanes[2]         # overlapping -> own lanes
    np.testing.assert_allclose(plan.result, [1.5, 3.0, 4.5])
    assert "overlap" in plan.title


def test_transposed_scatter_builds_up_and_shows_output_padding():
    plan = conv_transpose_plan(1, [1.0, 2.0], [1.0], stride=2, output_padding=1)
    # O = (2-1)*2 - 0 + 1*(1-1) + 1 + 1 = 4; the last cell exists only via output_padding
    np.testing.assert_array_equal(plan.result, [1.0, 0.0, 2.0, 0.0])
    assert list(plan.panel("out").kinds[0]) == [KIND_VALUE] * 3 + [KIND_EXTRA]
    plan = conv_transpose_plan(1, [1.0, 2.0], [1.0, 1.0], stride=3, output_padding=2)
    np.testing.assert_array_equal(plan.result, [1.0, 1.0, 0.0, 2.0, 2.0, 0.0, 0.0])
    assert list(plan.panel("out").kinds[0][-2:]) == [KIND_EXTRA, KIND_EXTRA]
    # partial sums build up: after input cell 0 only its two targets have values
    first = plan.frames[0].values["out"][0]
    assert list(first[:2]) == [1.0, 1.0] and np.isnan(first[2:]).all()
    assert plan.frames[0].highlight["out"] == [(0, 0), (0, 1)]
    # cropping: padding=1 hides the outermost positions (hatched)
    plan = conv_transpose_plan(1, [1.0, 2.0], [1.0, 1.0, 1.0], stride=1, padding=1)
    kinds = plan.panel("out").kinds[0]
    assert kinds[0] == KIND_OUTSIDE and kinds[-1] == KIND_OUTSIDE
    np.testing.assert_array_equal(plan.result, [3.0, 3.0])


def test_transposed_direct_view_inserts_zeros_and_flips_kernel():
    plan = conv_transpose_plan(1, [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], stride=2, view="direct")
    z = plan.panel("z")
    # padding d(k-1) - p = 2, inputs at 2, 4, 6 with one zero between them
    assert list(z.kinds[0]) == [KIND_PADDING] * 2 + [KIND_VALUE, KIND_ZERO, KIND_VALUE,
                                                     KIND_ZERO, KIND_VALUE] + [KIND_PADDING] * 2
    np.testing.assert_array_equal(plan.panel("w").values[0], [3.0, 2.0, 1.0])
    scatter = conv_transpose_plan(1, [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], stride=2)
    np.testing.assert_array_equal(plan.result, scatter.result)


@pytest.mark.parametrize("name", list(SCENES))
def test_every_default_scene_agrees_with_functional(name):
    plan = SCENES[name].plan()
    assert plan.check()
    assert len(plan.frames) >= 1


def test_impossible_configurations_explain_in_english_and_korean():
    with pytest.raises(VizConfigError) as err:
        conv_plan(2, size=3, kernel=5)
    assert "does not fit" in str(err.value) and "커널" in err.value.ko
    with pytest.raises(VizConfigError, match="output_padding must be smaller"):
        conv_transpose_plan(2, stride=1, output_padding=1)
    with pytest.raises(VizConfigError, match="at most half"):
        pool_plan(2, "max", size=6, kernel=2, padding=2)
    with pytest.raises(VizConfigError, match="at most half"):
        pool_plan(1, "max", size=6, kernel=3, padding=2, dilation=2)   # PyTorch refuses too
    with pytest.raises(VizConfigError, match="stride must be at least 1"):
        conv_plan(2, stride=0)
    with pytest.raises(VizConfigError, match="too small to read"):
        conv_plan(2, size=40)
    with pytest.raises(VizConfigError, match="strided"):
        conv_plan(2, padding="same", stride=2)


# ---------------------------------------------------------------- hypothesis vs functional

@st.composite
def conv_configs(draw):
    n = draw(st.sampled_from([1, 2, 3]))
    high = {1: 9, 2: 6, 3: 4}[n]
    size = tuple(draw(st.integers(1, high)) for _ in range(n))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(n))
    return dict(n=n, size=size, kernel=kernel, channels=draw(st.integers(1, 2)),
                stride=draw(st.integers(1, 3)), padding=draw(st.integers(0, 2)),
                dilation=draw(st.integers(1, 2)), seed=draw(st.integers(0, 10**6)))


@settings(max_examples=35, deadline=None)
@given(conv_configs())
def test_conv_plans_match_functional(cfg):
    rng = np.random.default_rng(cfg["seed"])
    n = cfg["n"]
    x = rng.normal(size=(cfg["channels"],) + cfg["size"])
    w = rng.normal(size=(cfg["channels"],) + cfg["kernel"])
    outs = [geometry.conv_output_size(cfg["size"][i], cfg["kernel"][i], cfg["stride"],
                                      cfg["padding"], cfg["padding"], cfg["dilation"])
            for i in range(n)]
    if min(outs) <= 0:
        with pytest.raises(VizConfigError):
            conv_plan(n, x, w, stride=cfg["stride"], padding=cfg["padding"],
                      dilation=cfg["dilation"])
        return
    plan = conv_plan(n, x, w, stride=cfg["stride"], padding=cfg["padding"],
                     dilation=cfg["dilation"])
    assert len(plan.frames) == int(np.prod(outs))
    assert plan.result.shape == tuple(outs)
    assert_frames_consistent(plan, "sum")
    assert plan.check(atol=1e-9)


@st.composite
def pool_configs(draw):
    n = draw(st.sampled_from([1, 2, 3]))
    mode = draw(st.sampled_from(["max", "avg"]))
    kernel = draw(st.integers(1, 3 if n < 3 else 2))
    dilation = draw(st.integers(1, 2)) if mode == "max" else 1
    span = dilation * (kernel - 1) + 1
    size = draw(st.integers(span, 8 if n < 3 else 4))
    return dict(n=n, mode=mode, size=size, kernel=kernel, dilation=dilation,
                stride=draw(st.integers(1, 3)), padding=draw(st.integers(0, kernel // 2)),
                ceil_mode=draw(st.booleans()), count_include_pad=draw(st.booleans()),
                seed=draw(st.integers(0, 10**6)))


@settings(max_examples=35, deadline=None)
@given(pool_configs())
def test_pool_plans_match_functional(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.normal(size=(cfg["size"],) * cfg["n"])
    plan = pool_plan(cfg["n"], cfg["mode"], x, kernel=cfg["kernel"], stride=cfg["stride"],
                     padding=cfg["padding"], dilation=cfg["dilation"],
                     ceil_mode=cfg["ceil_mode"], count_include_pad=cfg["count_include_pad"])
    out = geometry.pool_output_size(cfg["size"], cfg["kernel"], cfg["stride"], cfg["padding"],
                                    cfg["dilation"], cfg["ceil_mode"])
    assert len(plan.frames) == out ** cfg["n"]
    assert_frames_consistent(plan, cfg["mode"] if cfg["mode"] == "max" else "mean")
    if cfg["mode"] == "max":
        for frame in plan.frames:                 # the marked cell holds the maximum
            (key, [(r, c)]), = frame.marked.items()
            assert plan.panel(key).values[r, c] == frame.value
    assert plan.check(atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([1, 2, 3]), st.sampled_from(["max", "avg"]), st.integers(1, 8),
       st.integers(1, 6), st.integers(0, 10**6))
def test_adaptive_plans_match_functional(n, mode, size, out, seed):
    if n == 3:                                    # keep volumes small (frames = out**3)
        size, out = min(size, 4), min(out, 3)
    x = np.random.default_rng(seed).normal(size=(size,) * n)
    plan = adaptive_plan(n, mode, x, output_size=out)
    assert len(plan.frames) == out ** n
    assert_frames_consistent(plan, "max" if mode == "max" else "mean")
    assert plan.check(atol=1e-12)


@settings(max_examples=35, deadline=None)
@given(st.sampled_from([1, 2]), st.sampled_from(["scatter", "direct"]), st.integers(1, 4),
       st.integers(1, 3), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2),
       st.integers(1, 2), st.integers(0, 10**6))
def test_transposed_plans_match_functional(n, view, size, kernel, stride, padding, out_pad,
                                           dilation, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(size,) * n)
    w = rng.normal(size=(kernel,) * n)
    out = geometry.conv_transpose_output_size(size, kernel, stride, padding, dilation, out_pad)
    if out_pad >= max(stride, dilation) or out <= 0:
        with pytest.raises(VizConfigError):
            conv_transpose_plan(n, x, w, stride=stride, padding=padding,
                                output_padding=out_pad, dilation=dilation, view=view)
        return
    plan = conv_transpose_plan(n, x, w, stride=stride, padding=padding,
                               output_padding=out_pad, dilation=dilation, view=view)
    assert plan.result.shape == (out,) * n
    if view == "scatter":
        assert len(plan.frames) == size ** n + 1
        # the canvas after the last scatter frame, cropped, is the result
        for frame in plan.frames[:-1]:
            assert len(frame.terms) == kernel ** n
    else:
        assert len(plan.frames) == out ** n
        assert_frames_consistent(plan, "sum")
    assert plan.check(atol=1e-9)


@requires_torch
@pytest.mark.parametrize("name", list(SCENES))
def test_default_scenes_match_pytorch(name):
    plan = SCENES[name].plan()
    np.testing.assert_allclose(plan.result, torch_output(plan), atol=1e-12)


@requires_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")       # PyTorch's own notice
@pytest.mark.parametrize("cfg", [
    dict(n=2, padding="same", kernel=4), dict(n=1, padding="same", kernel=2, dilation=3),
    dict(n=2, stride=(1, 2), padding=(0, 1), kernel=(2, 3), channels=3),
])
def test_conv_padding_variants_match_pytorch(cfg):
    plan = conv_plan(**cfg)
    np.testing.assert_allclose(plan.result, torch_output(plan), atol=1e-12)


# ---------------------------------------------------------------- 3-d pooling

def naive_pool3d(x, k, s, p, mode, count_include_pad=True):
    """Reference loops: max / avg pooling of a [D, H, W] volume (floor mode)."""
    D, H, W = x.shape
    padded = np.pad(x, p, constant_values=-np.inf if mode == "max" else 0.0)
    inside = np.pad(np.ones_like(x), p)
    out = np.zeros(tuple((n + 2 * p - k) // s + 1 for n in (D, H, W)))
    for idx in np.ndindex(*out.shape):
        sl = tuple(slice(i * s, i * s + k) for i in idx)
        if mode == "max":
            out[idx] = padded[sl].max()
        else:
            count = k ** 3 if count_include_pad else inside[sl].sum()
            out[idx] = padded[sl].sum() / count
    return out


def test_max_pool3d_slices_window_and_marked_maximum():
    x = np.arange(27.0).reshape(3, 3, 3)
    x[1, 1, 1] = 100.0                         # the centre wins every window touching it
    plan = pool_plan(3, "max", x, kernel=2, stride=1, padding=1)
    keys = [p.key for p in plan.panels]
    assert keys[:5] == [f"xz{z}" for z in range(5)]          # 3 slices + a padding slice each side
    assert plan.panel("xz0").title == "pad d=-1" and plan.panel("xz1").title == "x[d=0]"
    assert (plan.panel("xz0").kinds == KIND_PADDING).all()
    assert (plan.panel("xz1").kinds[1:4, 1:4] == KIND_VALUE).all()
    assert keys[5:] == [f"outz{z}" for z in range(4)]
    # output [1, 1, 1] reads depth slices 0 and 1 (panels xz1, xz2), rows/cols 0..1
    frame = plan.frames[int(np.ravel_multi_index((1, 1, 1), (4, 4, 4)))]
    assert frame.out_index == (1, 1, 1)
    assert sorted(frame.highlight) == ["xz1", "xz2"]
    assert sorted(frame.highlight["xz1"]) == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert frame.boxes == {"xz1": [(1, 1, 3, 3)], "xz2": [(1, 1, 3, 3)]}
    assert frame.marked == {"xz2": [(2, 2)]} and frame.value == 100.0
    assert frame.current == {"outz1": [(1, 1)]}
    np.testing.assert_array_equal(plan.result, naive_pool3d(x, 2, 1, 1, "max"))
    assert plan.check()


def test_avg_pool3d_matches_reference_loops_with_and_without_padding_count():
    x = np.random.default_rng(3).integers(0, 10, size=(4, 3, 5)).astype(float)
    for include in (True, False):
        plan = pool_plan(3, "avg", x, kernel=3, stride=2, padding=1, count_include_pad=include)
        np.testing.assert_allclose(plan.result, naive_pool3d(x, 3, 2, 1, "avg", include))
        assert plan.check()
    assert "/ 27 =" in pool_plan(3, "avg", x, kernel=3, stride=2, padding=1).frames[0].arithmetic


def test_adaptive_pool3d_depth_range_and_notes_formula():
    plan = adaptive_plan(3, "avg", size=3, output_size=2)          # input 1..27
    frame = plan.frames[4]                                          # out[1, 0, 0]
    assert frame.arithmetic.splitlines()[0] == "depth [floor(1*3/2), ceil(2*3/2)) = [1, 3)"
    assert sorted(frame.highlight) == ["xz1", "xz2"]
    expected = np.mean([10, 11, 13, 14, 19, 20, 22, 23])
    assert frame.value == expected == plan.result[1, 0, 0]
    assert plan.check()
    with pytest.raises(VizConfigError, match="depth slices"):
        adaptive_plan(3, "max", size=(9, 2, 2), output_size=1)


# ---------------------------------------------------------------- bias, out channels, non-square

def naive_conv2d(x, w, b, stride, pad):
    """Reference loops: cross-correlation of x [C, H, W] with w [C, kh, kw], plus b."""
    xp = np.pad(x, ((0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    C, kh, kw = w.shape
    H = (xp.shape[1] - kh) // stride[0] + 1
    W = (xp.shape[2] - kw) // stride[1] + 1
    out = np.zeros((H, W))
    for i in range(H):
        for j in range(W):
            r, c = i * stride[0], j * stride[1]
            out[i, j] = (xp[:, r:r + kh, c:c + kw] * w).sum() + b
    return out


def test_conv_bias_is_the_last_term_of_the_arithmetic():
    plan = conv_plan(1, [[1, 2, 3, 4]], [[1, 0, -1]], bias=0.5)
    assert plan.frames[0].arithmetic == \
        "out[0] = 1\u00d71 + 2\u00d70 + 3\u00d7(-1) + b = -2 + 0.5 = -1.5"
    np.testing.assert_array_equal(plan.result, [-1.5, -1.5])
    assert plan.panel("b").values[0, 0] == 0.5 and plan.panel("b").group == "kernel"
    negative = conv_plan(1, [[1, 2, 3, 4]], [[1, 0, -1]], bias=-2)
    assert negative.frames[0].arithmetic.endswith("+ b = -2 + (-2) = -4")
    two_channels = conv_plan(2, np.ones((2, 2, 2)), np.ones((2, 2, 2)), bias=1.5)
    lines = two_channels.frames[0].arithmetic.splitlines()
    assert lines[-2].strip() == "+ b   (bias: 1.5)" and lines[-1].strip() == "= 9.5"
    assert "bias=True" in plan.title
    assert_frames_consistent(two_channels, "sum")
    assert plan.check() and two_channels.check()
    without = conv_plan(1, [[1, 2, 3, 4]], [[1, 0, -1]])
    assert "b" not in [p.key for p in without.panels] and "+ b" not in without.frames[0].arithmetic


def test_out_channel_of_a_whole_layer_weight_with_bias():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 5, 6))
    w = rng.normal(size=(3, 2, 3, 2))                  # [C_out, C, kh, kw] as nn.Conv2d stores it
    b = rng.normal(size=3)
    for j in range(3):
        plan = conv_plan(2, x, w, b, stride=(1, 2), padding=(1, 0), out_channel=j)
        np.testing.assert_allclose(plan.result, naive_conv2d(x, w[j], b[j], (1, 2), (1, 0)),
                                   atol=1e-12)
        assert plan.reference[3] == (0, j)
        np.testing.assert_array_equal(plan.panel("w1").values, w[j, 1])
        assert plan.panel("w1").title == f"kernel w[{j}, 1]"
        assert plan.panel("b").values[0, 0] == b[j]
        assert_frames_consistent(plan, "sum")
        assert plan.check(atol=1e-9)


def test_generated_out_channels_differ_and_channel_zero_is_stable():
    one = conv_plan(2, size=5, out_channels=1)
    three = [conv_plan(2, size=5, out_channels=3, out_channel=j, bias=1.0) for j in range(3)]
    np.testing.assert_array_equal(three[0].panel("w0").values, one.panel("w0").values)
    assert not np.array_equal(three[1].panel("w0").values, three[2].panel("w0").values)
    for j, plan in enumerate(three):
        assert plan.check()                     # F.conv2d on the whole 3-channel layer, slice j
        assert f"showing output channel {j} of 3" in plan.title
        assert plan.panel("out").title.startswith(f"output channel {j}")


def test_out_channel_and_bias_errors_explain():
    with pytest.raises(VizConfigError, match=r"out_channel=2 does not exist.*0 to 1"):
        conv_plan(2, out_channels=2, out_channel=2)
    with pytest.raises(VizConfigError, match="out_channels must be between"):
        conv_plan(2, out_channels=0)
    with pytest.raises(VizConfigError, match=r"bias must be a number or have shape \[3\]"):
        conv_plan(2, np.ones((1, 4, 4)), np.ones((3, 1, 2, 2)), np.ones(2))
    with pytest.raises(VizConfigError, match="leave out_channels out"):
        conv_plan(2, np.ones((1, 4, 4)), np.ones((3, 1, 2, 2)), out_channels=2)


def test_non_square_sizes_kernels_and_strides():
    plan = conv_plan(2, size=(5, 7), kernel=(3, 2), stride=(1, 2))
    x = plan.reference[1][0][0]
    np.testing.assert_array_equal(plan.result, naive_conv2d(x, plan.reference[1][1][0],
                                                            0.0, (1, 2), (0, 0)))
    assert plan.result.shape == (3, 3)
    assert plan.formula.splitlines() == [
        "output size: H_out = floor((5 + 2*0 - 1*(3-1) - 1) / 1) + 1 = 3",
        "             W_out = floor((7 + 2*0 - 1*(2-1) - 1) / 2) + 1 = 3"]
    pool = pool_plan(2, "max", size=(4, 7), kernel=(2, 3), stride=(2, 2), padding=(1, 1))
    assert pool.result.shape == (3, 4) and pool.check()
    adaptive = adaptive_plan(2, "avg", size=(4, 6), output_size=(2, 4))
    assert adaptive.result.shape == (2, 4) and adaptive.check()
    transposed = conv_transpose_plan(2, size=(2, 3), kernel=(2, 3), stride=(2, 1))
    assert transposed.result.shape == (4, 5) and transposed.check()


@requires_torch
@pytest.mark.parametrize("cfg", [
    dict(n=1, channels=3, out_channels=4, out_channel=3, bias=-0.5),
    dict(n=2, size=(4, 6), kernel=(2, 3), stride=(2, 1), channels=2, out_channels=3,
         out_channel=1, bias=2.0),
    dict(n=3, size=(3, 4, 5), kernel=(2, 1, 3), padding=(1, 0, 1), out_channels=2,
         out_channel=1, bias=1.0),
])
def test_bias_and_out_channel_match_pytorch(cfg):
    plan = conv_plan(**cfg)
    np.testing.assert_allclose(plan.result, torch_output(plan), atol=1e-12)


@requires_torch
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool3d_non_cubic_matches_pytorch(mode):
    plan = pool_plan(3, mode, size=(3, 5, 4), kernel=(2, 3, 2), stride=(1, 2, 2),
                     padding=(1, 1, 0), ceil_mode=True)
    np.testing.assert_allclose(plan.result, torch_output(plan), atol=1e-12)
