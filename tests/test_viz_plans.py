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
            expected = sum(x * w for x, w in frame.terms)
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
    n = draw(st.sampled_from([1, 2]))
    mode = draw(st.sampled_from(["max", "avg"]))
    kernel = draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 2)) if mode == "max" else 1
    span = dilation * (kernel - 1) + 1
    size = draw(st.integers(span, 8))
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
            (r, c), = frame.marked["x"]
            assert plan.panel("x").values[r, c] == frame.value
    assert plan.check(atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([1, 2]), st.sampled_from(["max", "avg"]), st.integers(1, 8),
       st.integers(1, 6), st.integers(0, 10**6))
def test_adaptive_plans_match_functional(n, mode, size, out, seed):
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
