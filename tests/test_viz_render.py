"""viz rendering, outputs, command line and widgets (headless, Agg).

Warnings are errors in this module: a "Glyph ... missing from font" warning fails the test,
for DejaVu (English, numbers) and for NanumGothic (Korean) alike.
"""
import functools
import io
import re

import matplotlib
matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from PIL import Image  # noqa: E402

import viz  # noqa: E402
from viz.__main__ import main  # noqa: E402
from viz.plan import fmt  # noqa: E402
from viz.render import FONT, MONO, Renderer  # noqa: E402
from viz.scenes import SCENES  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(autouse=True)
def _korean_figures():
    """Every test starts (and leaves) viz in its default language."""
    viz.set_language("ko")
    yield
    viz.set_language("ko")


@functools.lru_cache
def covered_characters(families):
    """Characters drawable by a text's font list (matplotlib falls back along the list)."""
    chars = set()
    for family in families:
        path = font_manager.findfont(font_manager.FontProperties(family=[family]),
                                     fallback_to_default=False)
        chars |= set(FT2Font(path).get_charmap())
    return chars


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("name", list(SCENES))
def test_every_text_in_every_scene_is_covered_by_its_fonts(name, language):
    """All figure text must be drawable with the shipped fonts: DejaVu Sans / Mono (with
    matplotlib) and, in Korean, NanumGothic (with koreanize-matplotlib)."""
    viz.set_language(language)
    renderer = Renderer(SCENES[name].plan())
    for i in range(len(renderer.plan.frames)):
        renderer.draw(i)
        for text in renderer.fig.findobj(Text):
            chars = covered_characters(tuple(text.get_fontfamily()))
            missing = {c for c in text.get_text() if ord(c) not in chars and c != "\n"}
            assert not missing, f"{name}: {missing} missing in {text.get_text()!r}"
    renderer.full_draw(0)          # and the actual draw raises on any warning


def test_glyph_warnings_are_caught():
    """The guard works: a Hangul label in a DejaVu-only text warns, an archaic jamo that
    NanumGothic lacks warns in the Korean font list too, and warnings are errors."""
    from viz import i18n
    fig = Figure()
    fig.text(0.5, 0.5, "\ud569\uc131\uacf1", family=FONT)
    with pytest.raises(UserWarning, match="Glyph"):
        fig.savefig(io.BytesIO(), format="png")
    fig = Figure()
    fig.text(0.5, 0.5, "\ud569\uc131\uacf1", family=i18n.sans())     # 합성곱: drawable
    fig.savefig(io.BytesIO(), format="png")
    fig.text(0.5, 0.2, "\ua960", family=i18n.sans())                  # not in NanumGothic
    with pytest.raises(UserWarning, match="Glyph"):
        fig.savefig(io.BytesIO(), format="png")


@pytest.mark.parametrize("name,params", [
    ("conv2d", dict(size=2, kernel=2, channels=2, dilation=2, padding=1)),
    ("max_pool2d", dict(size=3, kernel=2, ceil_mode=True)),
    ("adaptive_avg_pool2d", dict(size=3, output_size=2)),
    ("conv_transpose2d", dict(size=2, padding=1, output_padding=1)),
    ("max_pool3d", dict(size=(3, 2, 3), kernel=2, stride=1, padding=1)),
    ("conv2d", dict(size=(2, 3), kernel=(1, 2), out_channels=2, out_channel=1, bias=0.5)),
])
def test_incremental_frames_equal_full_redraws(name, params):
    """Drawing only the changed cells gives exactly the pixels of a full redraw."""
    plan = SCENES[name].plan(**params)
    scale = 2 if name == "conv2d" else 1        # the player's 2x once; 1x (GIFs) for speed
    fast = list(Renderer(plan, scale=scale).frames(incremental=True))
    full = list(Renderer(plan, scale=scale).frames(incremental=False))
    assert len(fast) == len(full) == len(plan.frames)
    for i, (a, b) in enumerate(zip(fast, full)):
        assert a.shape == b.shape
        assert np.array_equal(a, b), f"frame {i}: {(a != b).any(-1).sum()} pixels differ"
    assert not np.array_equal(fast[0], fast[1])                 # frames do change


def test_gif_frame_count_read_back(tmp_path):
    scene = viz.conv2d(size=4, kernel=2, stride=1)               # 3x3 = 9 frames
    path = scene.save(tmp_path / "conv.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == len(scene) == 9
        sizes = set()
        for i in range(gif.n_frames):
            gif.seek(i)
            sizes.add(gif.size)
        assert len(sizes) == 1


def test_gif_frames_show_the_rendered_pixels(tmp_path):
    """Palette conversion keeps the picture: frame 3 of the GIF ~ the RGBA frame 3."""
    scene = viz.max_pool1d(size=6, kernel=2)
    path = scene.save(tmp_path / "pool.gif")
    expected = list(scene.renderer(scale=1).frames())[2][..., :3].astype(int)   # GIF: 1x
    with Image.open(path) as gif:
        gif.seek(2)
        got = np.asarray(gif.convert("RGB")).astype(int)
    assert got.shape == expected.shape
    assert np.abs(got - expected).mean() < 2.0


def test_jshtml_player_embeds_every_frame():
    scene = viz.adaptive_avg_pool2d()
    html = scene._repr_html_()
    assert "<script" in html and "Animation" in html
    frames = re.findall(r"frames\[(\d+)\] = \"data:image/png;base64,", html)
    assert [int(i) for i in frames] == list(range(len(scene)))


def test_frame_returns_a_figure_and_checks_range():
    scene = viz.avg_pool2d(size=4, kernel=2)
    fig = scene.frame(2)
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert "단계 3/4: 출력 칸 [1, 0]" in texts
    assert any(t.startswith("out[1, 0] = (") for t in texts)
    assert any(t.startswith("출력 크기: H_out = W_out = floor(") for t in texts)
    png, size = fig._repr_png_()                      # shows in Jupyter without pyplot
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(png)) as im:          # 2x pixels, shown at the display size
        assert im.size == (2 * size["width"], 2 * size["height"])
    viz.set_language("en")
    texts = [t.get_text() for t in scene.frame(2).findobj(Text)]
    assert "step 3/4: output cell [1, 0]" in texts
    assert any(t.startswith("output size: H_out = W_out = floor(") for t in texts)
    with pytest.raises(IndexError, match="4 frames"):
        scene.frame(4)
    assert scene.frame(-1) is not None


def test_save_html_and_png_and_bad_extension(tmp_path):
    scene = viz.conv1d(size=5, kernel=3)
    html = (tmp_path / "c.html")
    scene.save(html)
    frames = re.findall(r"frames\[(\d+)\] = \"data:image/png", html.read_text(encoding="utf-8"))
    assert len(frames) == len(scene) == 3
    with Image.open(scene.save(tmp_path / "c.png")) as png:
        assert png.size[0] > 300
    with pytest.raises(ValueError, match=".gif, .html or .png"):
        scene.save(tmp_path / "c.mp4")


def test_scene_functions_take_learner_tensors():
    import teachnn
    x = teachnn.tensor(np.arange(16.0, dtype=np.float32).reshape(1, 4, 4))
    w = teachnn.tensor(np.ones((1, 1, 2, 2), dtype=np.float32))     # as nn.Conv2d stores it
    scene = viz.conv2d(x, w, stride=2)
    np.testing.assert_array_equal(scene.plan.result, [[10.0, 18.0], [42.0, 50.0]])
    assert scene.check()


def test_scene_of_a_real_layer_with_bias_and_out_channel():
    """viz.conv2d(x, conv.weight, conv.bias, out_channel=j) shows what the layer computes."""
    import teachnn
    import teachnn.nn as nn
    conv = nn.Conv2d(2, 3, 3)
    x = teachnn.tensor(np.random.default_rng(2).normal(size=(1, 2, 5, 4)).astype(np.float32))
    expected = np.asarray(conv(x)._data, dtype=np.float64)           # [1, 3, 3, 2]
    for j in range(3):
        plan = viz.conv2d(x, conv.weight, conv.bias, out_channel=j).plan
        np.testing.assert_allclose(plan.result, expected[0, j], rtol=1e-5, atol=1e-5)
        assert plan.panel("b").values[0, 0] == pytest.approx(float(conv.bias._data[j]))
        b_line = plan.frames[0].arithmetic.splitlines()[-2].strip()   # 2 channels: own line
        assert b_line == f"+ b   (bias: {fmt(float(conv.bias._data[j]))})"


def test_cli_example_from_the_issue(tmp_path):
    out = tmp_path / "conv.gif"
    assert main(["conv2d", "--size", "5", "--kernel", "3", "--stride", "2", "--padding", "1",
                 "--dilation", "1", "-o", str(out)]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == 9


@pytest.mark.parametrize("name", list(SCENES))
def test_cli_writes_a_file_for_every_scene(tmp_path, name):
    """Every scene renders from the command line (one PNG frame each, to stay fast)."""
    out = tmp_path / f"{name}.png"
    assert main([name, "-o", str(out), "--frame", "1"]) == 0
    with Image.open(out) as png:
        assert png.size[0] >= 500


def test_cli_all_renders_gifs(tmp_path, capsys):
    assert main(["all", "max_pool1d", "adaptive_avg_pool1d", "-o", str(tmp_path)]) == 0
    for name in ("max_pool1d", "adaptive_avg_pool1d"):
        with Image.open(tmp_path / f"{name}.gif") as gif:
            assert gif.n_frames == len(SCENES[name].plan().frames)
    assert "wrote" in capsys.readouterr().out


def test_cli_options_png_frame_aliases_and_errors(tmp_path, capsys):
    png = tmp_path / "pool.png"
    assert main(["max_pool", "--size", "7", "--kernel", "3", "--ceil-mode", "-o", str(png),
                 "--frame", "3"]) == 0
    assert png.exists()
    assert main(["conv_transpose", "--view", "direct", "-o", str(tmp_path / "t.png")]) == 0
    assert main(["conv2d", "--size", "3", "--kernel", "5", "-o", str(tmp_path / "x.gif")]) == 2
    assert "does not fit" in capsys.readouterr().err
    assert not (tmp_path / "x.gif").exists()
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    assert all(name in listed for name in SCENES)


@pytest.mark.parametrize("name", list(SCENES))
def test_widgets_build_and_update_without_display(name):
    box = viz.explore(name)
    ex = box.explorer
    assert ex.error is None and ex.step.max == len(ex.plan.frames) - 1
    assert ex.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    if ex.step.max > 0:
        before = ex.image.value
        ex.step.value = ex.step.max
        assert ex.image.value != before
    # a parameter change rebuilds the plan with the new numbers
    first = ex.spec.params[0].name
    ex.controls[first].value = ex.controls[first].value + 1
    assert ex.error is None
    assert ex.plan.check()
    assert ex.step.value <= ex.step.max


def test_widget_impossible_combination_shows_a_message():
    ex = viz.explore("conv2d", size=3).explorer
    good_image = ex.image.value
    ex.controls["kernel"].value = 5
    assert ex.error is not None
    assert "cannot work" in ex.message.value and "불가능" in ex.message.value
    assert ex.image.value != good_image               # the old picture is greyed out
    ex.controls["padding"].value = 1                  # 3 + 2 - 4 - 1 = 0 -> fits again
    assert ex.error is None and ex.plan.result.shape == (1, 1)


def test_widget_play_button_is_linked_to_the_step_slider():
    ex = viz.explore("max_pool1d").explorer
    assert ex.link.source == (ex.play, "value") and ex.link.target == (ex.step, "value")
    assert ex.play.max == ex.step.max
    with pytest.raises(TypeError, match="Did you mean 'stride'"):
        viz.explore("conv2d", strides=2)
    with pytest.raises(ValueError, match="Did you mean"):
        viz.explore("conv2")


@pytest.mark.parametrize("name,params", [(n, {}) for n in SCENES] + [
    ("conv2d", dict(size=5, channels=3, padding=1)),
    ("conv3d", dict(size=3, kernel=3, padding=1)),
    ("conv_transpose2d", dict(size=2, kernel=4, stride=3, view="direct")),
    ("conv2d", dict(size=(3, 5), channels=2, out_channels=2, out_channel=1, bias=-0.5)),
    ("max_pool3d", dict(size=3, kernel=2, padding=1, ceil_mode=True)),
])
def test_layout_nothing_overlaps_and_all_text_is_inside(name, params):
    """Legibility: panels do not overlap each other and no text leaves the figure."""
    renderer = Renderer(SCENES[name].plan(**params))
    fig = renderer.fig
    canvas_renderer = fig.canvas.get_renderer()
    boxes = [cell["ax"].get_window_extent(canvas_renderer) for cell in renderer.cells.values()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b) or a.intersection(a, b).width * \
                a.intersection(a, b).height < 1.0, f"panels overlap: {a} {b}"
    width, height = fig.bbox.width, fig.bbox.height
    for i in range(len(renderer.plan.frames)):
        renderer.draw(i)
        for text in (renderer.arith_text, renderer.step_text):
            box = text.get_window_extent(canvas_renderer)
            assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height, \
                f"frame {i}: {text.get_text()[:40]!r} leaves the figure"
    titles = [cell["title"] for cell in renderer.cells.values()]
    for text in list(fig.texts) + titles:                  # figure texts and panel titles
        box = text.get_window_extent(canvas_renderer)
        assert box.x0 >= -1 and box.x1 <= width + 1, text.get_text()
    title_boxes = [t.get_window_extent(canvas_renderer) for t in titles]
    for i, a in enumerate(title_boxes):                   # panel titles do not collide
        assert not any(a.overlaps(b) for b in title_boxes[i + 1:]), titles[i].get_text()


def test_cli_per_axis_sizes_out_channel_and_bias(tmp_path):
    from viz.__main__ import build_parser
    args = build_parser().parse_args(["conv2d", "--size", "5,7", "--kernel", "3,2",
                                      "--stride", "1,2", "--out-channels", "3",
                                      "--out-channel", "1", "--bias", "0.5"])
    assert (args.size, args.kernel, args.stride) == ((5, 7), (3, 2), (1, 2))
    assert (args.out_channels, args.out_channel, args.bias) == (3, 1, 0.5)
    plan = SCENES["conv2d"].plan(**{p.name: getattr(args, p.name)
                                    for p in SCENES["conv2d"].params})
    assert plan.result.shape == (3, 3) and plan.reference[3] == (0, 1)
    assert plan.frames[0].arithmetic.endswith(f"+ b = {plan.frames[0].value - 0.5:g} + 0.5 = "
                                              f"{plan.frames[0].value:g}")
    assert plan.check()
    out = tmp_path / "rect.png"
    assert main(["conv2d", "--size", "5,7", "--kernel", "3,2", "--out-channels", "2",
                 "--out-channel", "1", "--bias", "-1", "-o", str(out), "--frame", "2"]) == 0
    with Image.open(out) as png:
        assert png.size[0] >= 500
    assert main(["max_pool3d", "--size", "3,4,4", "-o", str(tmp_path / "p.png")]) == 0


def test_cli_bad_per_axis_values_and_out_channel_explain(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["conv2d", "--size", "5,7,3"])
    assert exit_info.value.code == 2
    assert "2 spatial axes" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["max_pool2d", "--kernel", "two"])
    assert "whole number" in capsys.readouterr().err
    assert main(["conv2d", "--out-channel", "2", "-o", str(tmp_path / "x.png")]) == 2
    assert "out_channel=2 does not exist" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_widgets_per_axis_sliders_bias_and_out_channel():
    ex = viz.explore("conv2d", size=(5, 7)).explorer
    size = ex.controls["size"]
    assert [s.description for s in size.sliders] == ["size H", "size W"]
    assert ex.plan.result.shape == (3, 5)
    size.sliders[1].value = 6                        # move only the width
    assert ex.params()["size"] == (5, 6) and ex.plan.result.shape == (3, 4)
    ex.controls["kernel"].value = (3, 2)
    assert ex.plan.result.shape == (3, 5)
    assert ex.controls["out_channel"].max == 0      # a one-channel layer: only channel 0
    ex.controls["out_channels"].value = 3
    ex.controls["out_channel"].value = 2
    ex.controls["bias"].value = 0.5
    assert ex.error is None and ex.plan.reference[3] == (0, 2)
    assert ex.plan.panel("b").values[0, 0] == 0.5 and ex.plan.check()
    ex.controls["out_channels"].value = 2            # channel 2 is gone: clamp to 1
    assert ex.controls["out_channel"].value == 1 and ex.plan.reference[3] == (0, 1)
    assert ex.error is None
    one_d = viz.explore("conv1d").explorer              # 1-d scenes keep one slider
    assert not hasattr(one_d.controls["size"], "sliders")
    cube = viz.explore("max_pool3d").explorer           # 3-d: one slider unless per axis
    assert not hasattr(cube.controls["size"], "sliders")
    box = viz.explore("max_pool3d", size=(3, 4, 4)).explorer
    assert [s.description for s in box.controls["size"].sliders] == \
        ["size D", "size H", "size W"]
    assert box.plan.result.shape == (1, 2, 2) and box.plan.check()
