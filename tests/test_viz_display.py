"""What a learner sees: figure sizes on screen, Korean and English texts, short errors,
an offline player, an honest feature_maps and the explorer's state (headless, Agg).

Warnings are errors here too: a glyph missing from the shipped fonts fails the test.
"""
import base64
import io
import os
import pathlib
import re
import traceback

import matplotlib
matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from PIL import Image  # noqa: E402

import teachnn  # noqa: E402
import teachnn.nn as nn  # noqa: E402
import teachnn.nn.functional as F  # noqa: E402
import viz  # noqa: E402
from viz.render import DISPLAY_DPI, Renderer  # noqa: E402
from viz.scenes import SCENES  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")

PX_PER_POINT = DISPLAY_DPI / 72
URL = re.compile(r"https?:|//[a-z0-9-]+\.[a-z]", re.IGNORECASE)   # any external address


@pytest.fixture(autouse=True)
def _korean_figures():
    viz.set_language("ko")
    yield
    viz.set_language("ko")


def texts_of(fig):
    return [t for t in fig.findobj(Text) if t.get_text().strip()]


# ---------------------------------------------------------------- sizes on screen
@pytest.mark.parametrize("name", ["conv2d", "conv_transpose2d", "max_pool3d",
                                  "adaptive_avg_pool2d"])
def test_frames_are_drawn_at_twice_their_display_size_within_the_notebook(name):
    renderer = Renderer(SCENES[name].plan())
    assert renderer.fig.dpi == 2 * DISPLAY_DPI == 192
    shown_w, shown_h = renderer.width * DISPLAY_DPI, renderer.height * DISPLAY_DPI
    assert 700 <= shown_w <= 900                      # fits a JupyterLab cell unscaled
    with Image.open(io.BytesIO(renderer.png(0))) as im:
        assert abs(im.size[0] - 2 * shown_w) <= 1 and abs(im.size[1] - 2 * shown_h) <= 1


def test_player_shows_its_frames_at_the_display_width_and_needs_no_network():
    scene = viz.conv2d(size=4, kernel=2)
    page = scene._repr_html_()
    renderer = scene.renderer()
    width = round(renderer.width * DISPLAY_DPI)
    assert re.search(rf'<img id="_anim_img\w+" style="width:{width}px;', page)
    frame = re.search(r'frames\[0\] = "data:image/png;base64,([^"]+)"', page).group(1)
    with Image.open(io.BytesIO(base64.b64decode(frame.replace("\\n", "")))) as im:
        assert abs(im.size[0] - 2 * renderer.width * DISPLAY_DPI) <= 1
    assert not URL.search(page) and "font-awesome" not in page
    assert page.count("<svg") == 9 and 'class="fa' not in page
    assert 'title="재생"' in page and ">반복</label>" in page        # Korean controls
    viz.set_language("en")
    english = scene._repr_html_()
    assert 'title="Play"' in english and not URL.search(english)


def test_saved_html_and_figure_pngs_carry_no_url(tmp_path):
    path = viz.max_pool1d(size=4, kernel=2).save(tmp_path / "p.html")
    assert not URL.search(pathlib.Path(path).read_text(encoding="utf-8"))
    png, _ = viz.avg_pool2d(size=4, kernel=2).frame(0)._repr_png_()
    assert b"http" not in png
    png_path = viz.avg_pool1d(size=4, kernel=2).save(tmp_path / "p.png")
    assert b"http" not in pathlib.Path(png_path).read_bytes()


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("name,params", [
    ("conv2d", dict(channels=2, bias=0.5, padding=1)),
    ("adaptive_avg_pool2d", {}),
    ("max_pool2d", dict(size=5, kernel=2, ceil_mode=True)),
    ("conv_transpose2d", dict(size=2, padding=1, output_padding=1)),
])
def test_every_figure_text_is_at_least_11_px(name, params, language):
    viz.set_language(language)
    fig = viz.scene(name, **params).frame(1)
    sizes = {t.get_text(): t.get_fontsize() * PX_PER_POINT for t in texts_of(fig)}
    small = {text: size for text, size in sizes.items() if size < 11 - 1e-9}
    assert not small
    index_sizes = [size for text, size in sizes.items() if re.fullmatch(r"-?\d", text)]
    assert index_sizes and min(index_sizes) == pytest.approx(11)   # the row/column indices


# ---------------------------------------------------------------- languages
def test_korean_labels_in_the_glossary_vocabulary():
    fig = viz.conv2d(size=4, kernel=3, padding=1, bias=0.5).frame(0)
    texts = {t.get_text() for t in texts_of(fig)}
    assert "단계 1/16: 출력 칸 [0, 0]" in texts
    assert {"입력 칸", "패딩 (0)", "지금 읽는 칸", "커널 가중치 / 편향", "지금 쓰는 출력 칸"} <= texts
    assert {"커널 w[0]", "편향 b", "출력  4×4"} <= texts
    assert any(t.startswith("입력 x[0]") for t in texts)
    assert any(t.startswith("출력 크기: H_out = W_out = floor((4 + 2*1") for t in texts)
    fig.savefig(io.BytesIO(), format="png")            # no missing-glyph warning


@pytest.mark.parametrize("name,params", [(n, {}) for n in SCENES] + [
    ("conv1d", dict(bias=1.0, out_channels=2, padding=1, channels=3)),
    ("conv2d", dict(channels=2, out_channels=3, out_channel=1, bias=0.5, padding=1)),
    ("conv3d", dict(channels=2, padding=1, out_channels=2, bias=1.0)),
    ("max_pool3d", dict(padding=1, ceil_mode=True, size=5, kernel=2)),
    ("avg_pool2d", dict(padding=1, count_include_pad=False)),
    ("avg_pool2d", dict(size=5, kernel=2, ceil_mode=True)),
    ("conv_transpose2d", dict(padding=1, output_padding=1)),
    ("conv_transpose2d", dict(view="direct", padding=1, output_padding=1)),
    ("conv_transpose1d", dict(padding=1, output_padding=1)),
    ("adaptive_max_pool3d", dict(size=4, output_size=3)),
])
def test_no_english_word_is_left_in_a_korean_figure(name, params):
    """Apart from PyTorch's own names in the title line (Conv2d, kernel_size=...), every
    label and sentence is Korean."""
    renderer = Renderer(SCENES[name].plan(**params))
    english = re.compile(r"\b(input|output|kernel|step|cell|cells|region|window|rows|cols|"
                         r"channel|channels|bias|padding|zeros?|maximum|read|written|size|"
                         r"the|each|of|with|drawn|coloured|hatched|cropped|edge|purple|"
                         r"exist|scatters|view|depth|volume|slices?)\b")
    for i in range(len(renderer.plan.frames)):
        renderer.draw(i)
        title_line = renderer.title_text.get_text().split("\n")
        for text in texts_of(renderer.fig):
            lines = text.get_text().split("\n")
            if text is renderer.title_text:
                lines = [line for line in lines if "=" not in line]    # PyTorch's arguments
            for line in lines:
                assert not english.search(line), f"{name}: {line!r}"
        assert title_line


def test_set_language_switches_and_rejects_other_languages():
    scene = viz.avg_pool1d(size=4, kernel=2)
    assert viz.get_language() == "ko"
    assert "단계 1/2: 출력 칸 [0]" in {t.get_text() for t in texts_of(scene.frame(0))}
    viz.set_language("en")
    assert viz.get_language() == "en"
    texts = {t.get_text() for t in texts_of(scene.frame(0))}
    assert "step 1/2: output cell [0]" in texts and "input cell" in texts
    assert not any(re.search("[\uac00-\ud7a3]", t) for t in texts)
    with pytest.raises(ValueError, match=r"(?s)'ko'.*language must be 'ko' or 'en'"):
        viz.set_language("kr")
    assert viz.get_language() == "en"


def test_without_the_korean_font_figures_fall_back_to_english(monkeypatch):
    from viz import i18n
    monkeypatch.setitem(i18n._state, "registered", False)      # as if not installed
    assert viz.get_language() == "en" and i18n.sans() == ["DejaVu Sans"]
    fig = viz.avg_pool1d(size=4, kernel=2).frame(0)
    assert "step 1/2: output cell [0]" in {t.get_text() for t in texts_of(fig)}
    fig.savefig(io.BytesIO(), format="png")                      # no missing glyph
    with pytest.raises(RuntimeError, match="pip install koreanize-matplotlib"):
        viz.set_language("ko")


# ---------------------------------------------------------------- errors
def _viz_frames(err):
    """Files of the traceback's frames that are inside the viz package."""
    package = os.path.dirname(os.path.abspath(viz.__file__))
    return [frame.f_code.co_filename for frame, _ in traceback.walk_tb(err.__traceback__)
            if os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep)]


def test_player_errors_are_short_bilingual_and_of_pytorchs_type():
    with pytest.raises(ValueError) as info:
        viz.conv2d(size=3, kernel=5)
    err = info.value
    korean, english = str(err).split("\n")
    assert korean.startswith("팽창된 커널이 패딩된 입력보다 커서 출력이 없습니다")
    assert english.startswith("The dilated kernel does not fit into the padded input")
    assert "floor((3 + 2*0 - 1*(5-1) - 1) / 1) + 1 = -1" in english
    assert err.__suppress_context__ and err.__cause__ is None
    inside = _viz_frames(err)
    assert len(inside) == 1 and inside[0].endswith("__init__.py")    # no internals
    with pytest.raises(TypeError) as info:
        viz.conv2d(size=3, kernel_size=5)
    korean, english = str(info.value).split("\n")
    assert korean == "viz.conv2d()에는 'kernel_size' 인자가 없습니다. 'kernel'을(를) 쓰려던 것인가요?"
    assert english.startswith("viz.conv2d() got an unexpected keyword argument 'kernel_size'. "
                              "Did you mean 'kernel'?")
    assert len(_viz_frames(info.value)) == 1
    with pytest.raises(TypeError, match=r"(?s)x에는 텐서.*x must be a tensor"):
        viz.max_pool2d(x=object())
    with pytest.raises(ValueError, match=r"(?s)stride 값은 1 이상.*stride must be at least 1"):
        viz.max_pool1d(size=4, stride=0)
    with pytest.raises(ValueError, match=r"(?s)^'conv2'라는 장면은 없습니다\.\nthere is no scene "
                                         r"called 'conv2'\. Did you mean 'conv2d'\?"):
        viz.scene("conv2", size=3)
    with pytest.raises(TypeError, match=r"(?s)^explore\('conv2d'\)에는 'strides' 인자가 없습니다"
                                        r".*Did you mean 'stride'"):
        viz.explore("conv2d", strides=2)
    with pytest.raises(IndexError, match=r"(?s)^9번 단계는 없습니다.*frame 9 does not exist"):
        viz.conv2d().frame(9)
    with pytest.raises(ValueError, match=r"(?s)\.gif, \.html, \.png.*cannot save a scene as '\.mp4'"):
        viz.conv2d().save("a.mp4")


# ---------------------------------------------------------------- feature_maps
def _probe_model():
    """Conv2d(1->3): channel 0 always negative (dead after ReLU), channel 1 constant 2,
    channel 2 a real filter; then ReLU, AdaptiveAvgPool2d(1), Flatten, Linear."""
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(3, 2))
    weight = np.zeros((3, 1, 3, 3), dtype=np.float32)
    weight[2, 0] = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
    model[0].weight._data[...] = weight
    model[0].bias._data[...] = [-1.0, 2.0, 0.5]
    return model


def test_feature_maps_one_colour_scale_per_layer_with_a_colour_bar():
    model = _probe_model()
    x = teachnn.tensor(np.abs(np.random.default_rng(3).normal(size=(1, 1, 5, 5)))
                       .astype(np.float32))
    fig = viz.feature_maps(model, x)
    # oracle: the layers' outputs computed step by step with teachnn.nn.functional
    conv = F.conv2d(x, model[0].weight, model[0].bias, padding=1)._data[0]
    relu = np.maximum(conv, 0)
    pooled = relu.mean(axis=(1, 2))
    linear = pooled @ model[4].weight._data.T + model[4].bias._data
    expected = {"0": conv, "1": relu, "2": pooled, "3": pooled, "4": linear}
    names = [name for name, _, _ in fig.feature_maps]
    assert names == ["0", "1", "2", "3", "4"]
    assert list(fig.layer_axes) == ["x"] + names                # the input comes first
    assert fig.input_limits == pytest.approx((x._data.min(), x._data.max()))
    for name, (lo, hi) in zip(names, fig.colour_limits):
        assert (lo, hi) == pytest.approx((expected[name].min(), expected[name].max()),
                                         rel=1e-6)
        norms = {(im.norm.vmin, im.norm.vmax) for ax in fig.layer_axes[name]
                 for im in ax.images}
        assert len(norms) == 1                                  # one scale for the row
        assert norms.pop() == pytest.approx((lo, hi))
        bar = fig.colour_bars[name]
        assert (bar.norm.vmin, bar.norm.vmax) == pytest.approx((lo, hi))
    # the 1x1 maps after AdaptiveAvgPool2d(1) carry their numbers
    for c, ax in enumerate(fig.layer_axes["2"]):
        written = [t.get_text() for t in ax.texts]
        assert written == [f"{pooled[c]:.2f}".rstrip("0").rstrip(".") if pooled[c] else "0"]
    # dead channel (all 0) vs constant 2: labelled differently and coloured differently
    relu_axes = fig.layer_axes["1"]
    assert relu_axes[0].get_xlabel() == "채널 0  (모두 0)"
    assert relu_axes[1].get_xlabel() == "채널 1  (모두 2)"
    fig.canvas.draw()
    dead = relu_axes[0].images[0].to_rgba(relu[0], bytes=True)[0, 0]
    constant = relu_axes[1].images[0].to_rgba(relu[1], bytes=True)[0, 0]
    assert not np.array_equal(dead, constant)
    for text in texts_of(fig):
        assert text.get_fontsize() * PX_PER_POINT >= 11 - 1e-9, text.get_text()
    png, size = fig._repr_png_()
    assert size["width"] == 900
    with Image.open(io.BytesIO(png)) as im:
        assert im.size[0] == 1800


# ---------------------------------------------------------------- explorer
def test_explorer_bias_starts_at_none_and_the_header_follows_the_sliders():
    ex = viz.explore("conv2d").explorer
    bias = ex.controls["bias"]
    assert bias.value == "none" and bias.label == "없음"
    assert ex.params()["bias"] is None and "b" not in [p.key for p in ex.plan.panels]
    bias.value = 0.5
    assert ex.params()["bias"] == 0.5 and ex.plan.panel("b").values[0, 0] == 0.5
    bias.value = "none"
    assert ex.params()["bias"] is None

    ad = viz.explore("adaptive_avg_pool2d").explorer
    assert "입력 4×4 → 출력 2×2" in ad.header.value
    ad.controls["size"].value = 5
    assert "입력 5×5 → 출력 2×2" in ad.header.value and "4×4" not in ad.header.value
    ad.controls["output_size"].value = 3
    assert "입력 5×5 → 출력 3×3" in ad.header.value
    # the message: one line each for the frame count and every formula line
    lines = ad.message.value.split("<br>")
    assert len(lines) == 1 + ad.plan.formula.count("\n") + 1
    assert lines[0].endswith("9단계")
    # the image is shown at its drawn size / 2, not stretched
    width = round(ad.renderer.width * DISPLAY_DPI)
    assert ad.image.layout.width == f"{width}px"
    with Image.open(io.BytesIO(ad.image.value)) as im:
        assert im.size[0] == 2 * width


def test_explorer_greys_out_the_picture_after_an_impossible_setting():
    ex = viz.explore("conv2d", size=3).explorer
    good = ex.image.value
    with Image.open(io.BytesIO(good)) as im:
        good_pixels = np.asarray(im.convert("RGB")).astype(float)
    ex.controls["kernel"].value = 5
    assert ex.error is not None and ex.step.disabled and ex.play.disabled
    with Image.open(io.BytesIO(ex.image.value)) as im:
        faded = np.asarray(im.convert("RGB")).astype(float)
    np.testing.assert_allclose(255 - faded, 0.25 * (255 - good_pixels), atol=1)
    message = ex.message.value
    assert message.index("불가능") < message.index("cannot work")   # Korean first
    assert "<br>" in message
    faded_once = ex.image.value
    ex.controls["stride"].value = 2                   # still impossible: no second fade
    assert ex.error is not None and ex.image.value == faded_once
    ex.controls["kernel"].value = 3                   # possible again
    assert ex.error is None and not ex.step.disabled and not ex.play.disabled
    assert ex.image.value == ex.renderer.png(ex.step.value)
