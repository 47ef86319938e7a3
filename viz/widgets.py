"""``explore(name)``: a scene with sliders, for changing the numbers and watching again.

The box holds one slider (or checkbox / toggle) per scene parameter, a Play button linked to
a step slider (``jslink``, so playing runs in the browser without a round trip per frame),
a message line and an image of the current frame. Changing a parameter rebuilds the frame
plan and the header (the operation with its current input and output sizes); an impossible
combination (the kernel does not fit, ...) shows a plain message in Korean and English
instead of a traceback, the last picture is greyed out and the step controls are disabled
until the numbers work again.

The image is a PNG with ``SCALE`` times the pixels of its display size, and the widget is
given that display size, so the browser neither stretches nor blurs it.
"""
from __future__ import annotations

import html
import io

import numpy as np

from viz import i18n
from viz.plan import VizConfigError
from viz.render import DISPLAY_DPI, Renderer
from viz.scenes import SCENES, resolve
from viz.scenes._common import shape_text

__all__ = ["explore", "Explorer"]


class AxisSliders:
    """One IntSlider per spatial axis (H, W) for a per-axis parameter of a 2-d scene.

    ``value`` is an int when all axes agree and a tuple otherwise (what the plan functions
    take); setting an int sets every axis. Observers are called once per change, also when
    several sliders move together."""

    def __init__(self, widgets, param, value, dims):
        value = (2 if value is None else value)     # pooling stride=None means kernel_size
        values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
        names = "HW" if dims == 2 else "DHW"
        style = {"description_width": "initial"}
        self.sliders = [
            widgets.IntSlider(value=v, min=min(param.low, v), max=max(param.high, v),
                              description=f"{param.name} {names[i]}",
                              continuous_update=False, tooltip=param.help, style=style,
                              layout=widgets.Layout(width="50%"))
            for i, v in enumerate(values)]
        self.widget = widgets.HBox(self.sliders)
        self._observers = []
        self._busy = False
        for slider in self.sliders:
            slider.observe(self._changed, names="value")

    @property
    def value(self):
        values = tuple(s.value for s in self.sliders)
        return values[0] if len(set(values)) == 1 else values

    @value.setter
    def value(self, value):
        values = tuple(value) if isinstance(value, (tuple, list)) else \
            (value,) * len(self.sliders)
        self._busy = True                   # move all sliders, then notify once
        try:
            for slider, v in zip(self.sliders, values):
                slider.max = max(slider.max, v)
                slider.value = v
        finally:
            self._busy = False
        self._changed(None)

    def observe(self, handler, names="value"):
        self._observers.append(handler)

    def _changed(self, change):
        if not self._busy:
            for handler in self._observers:
                handler(change)


NO_BIAS = "none"      # the drop-down's value for "no bias" (None would show a blank box)


def _control(widgets, param, value, dims=1):
    style = {"description_width": "initial"}
    if param.per_axis and (dims == 2 or (dims == 3 and isinstance(value, (tuple, list)))):
        # 2-d: always H and W sliders; 3-d: one slider (a cube) unless asked per axis
        return AxisSliders(widgets, param, value, dims)
    if param.kind == "float":               # a bias: 'none' or one of a few values
        options = [(i18n.say("없음", "none"), NO_BIAS)] + [(f"{v:g}", v) for v in param.choices]
        if value is not None and value not in param.choices:
            options.append((f"{value:g}", float(value)))
        return widgets.Dropdown(options=options,
                                value=NO_BIAS if value is None else float(value),
                                description=param.name, tooltip=param.help, style=style)
    if param.kind == "bool":
        return widgets.Checkbox(value=bool(value), description=param.name, indent=False,
                                tooltip=param.help)
    if param.kind == "choice":
        return widgets.ToggleButtons(options=list(param.choices), value=value,
                                     description=param.name, tooltip=param.help, style=style)
    if value is None:                 # e.g. pooling stride=None means "= kernel_size"
        value = 2
    low, high = min(param.low, value), max(param.high, value)
    return widgets.IntSlider(value=value, min=low, max=high, description=param.name,
                             continuous_update=False, tooltip=param.help, style=style)


class Explorer:
    """The state behind the widget box: the controls, the current plan and renderer."""

    def __init__(self, name: str, **initial):
        import ipywidgets as widgets

        self.name = resolve(name)
        self.spec = SCENES[self.name]
        unknown = set(initial) - {p.name for p in self.spec.params}
        if unknown:
            from teachnn.errors import suggest_name
            bad = sorted(unknown)[0]
            raise TypeError(f"explore({self.name!r})에는 '{bad}' 인자가 없습니다.\n"
                            f"explore({self.name!r}) got an unexpected keyword argument "
                            f"{bad!r}.{suggest_name(bad, [p.name for p in self.spec.params])}")
        self.controls = {p.name: _control(widgets, p, initial.get(p.name, p.default),
                                          self.spec.dims)
                         for p in self.spec.params}
        self.step = widgets.IntSlider(value=0, min=0, max=0,
                                      description=i18n.say("단계", "step"),
                                      continuous_update=True)
        self.play = widgets.Play(value=0, min=0, max=0, interval=900,
                                 description=i18n.say("재생", "Play"))
        self.link = widgets.jslink((self.play, "value"), (self.step, "value"))
        self.header = widgets.HTML(value="")
        self.message = widgets.HTML(value="")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%",
                                                                       height="auto"))
        self.plan = None
        self.renderer = None
        self.error = None
        self._good_png = None                   # the last picture that matched the sliders
        sliders = [getattr(c, "widget", c) for c in self.controls.values()]
        self.box = widgets.VBox([
            self.header,
            widgets.GridBox(sliders, layout=widgets.Layout(
                grid_template_columns="repeat(2, minmax(300px, 1fr))"
                if self.spec.dims == 2 else "repeat(3, minmax(220px, 1fr))")),
            widgets.HBox([self.play, self.step]),
            self.message,
            self.image,
        ])
        self.box.explorer = self                     # reachable from the returned widget
        for control in self.controls.values():
            control.observe(self._rebuild, names="value")
        self.step.observe(self._show, names="value")
        self._rebuild()

    def params(self) -> dict:
        values = {name: control.value for name, control in self.controls.items()}
        return {name: None if isinstance(value, str) and value == NO_BIAS else value
                for name, value in values.items()}

    def _header(self, plan) -> str:
        """The operation and its current sizes, e.g. AdaptiveAvgPool2d: 5×5 -> 2×2."""
        operation = self.spec.summary.split(":")[0].split(",")[0].split(" (")[0]
        size_in = shape_text(plan.reference[1][0].shape[2:])
        size_out = shape_text(plan.result.shape)
        text = i18n.say(f"입력 {size_in} → 출력 {size_out}", f"input {size_in} → output {size_out}")
        return f"<b>{html.escape(operation)}</b> &nbsp; {html.escape(text)}"

    def _rebuild(self, change=None):
        if "out_channels" in self.controls and "out_channel" in self.controls:
            # only existing output channels can be chosen (lowering max clamps the value,
            # which calls _rebuild again: leave the rest to that call)
            chooser = self.controls["out_channel"]
            last = self.controls["out_channels"].value - 1
            if chooser.max != last:
                clamp = chooser.value > last
                chooser.max = last
                if clamp:
                    return
        try:
            plan = self.spec.plan(**self.params())
        except VizConfigError as err:
            self._fail(err.en, err.ko)
            return
        except (ValueError, TypeError, RuntimeError) as err:   # any other impossible input
            self._fail(str(err), "")
            return
        self.error = None
        self.plan = plan
        self.renderer = Renderer(plan)
        self.image.layout.width = f"{round(self.renderer.width * DISPLAY_DPI)}px"
        last = len(plan.frames) - 1
        self.step.max = self.play.max = last
        self.step.disabled = self.play.disabled = False
        self.header.value = self._header(plan)
        if self.step.value > last:
            self.step.value = last                  # triggers _show
        lines = [i18n.say(f"{len(plan.frames)}단계", f"{len(plan.frames)} frames")]
        lines += i18n.tr(plan.formula, self.renderer.language).split("\n")
        self.message.value = ("<div style='color:#2e6b2e; line-height:1.5'>"
                              + "<br>".join(html.escape(line) for line in lines) + "</div>")
        self._show()

    def _fail(self, english: str, korean: str):
        self.error = english
        korean = korean or "이 조합으로는 계산할 수 없습니다."
        self.message.value = (
            "<div style='color:#a00000; border:1px solid #a00000; padding:6px; "
            "line-height:1.5'>"
            f"<b>이 조합은 불가능합니다.</b> {html.escape(korean)}<br>"
            f"<b>This combination cannot work.</b> {html.escape(english)}</div>")
        # the old picture no longer matches the sliders: show it faded, stop the player
        self.step.disabled = self.play.disabled = True
        self.play.playing = False
        if self._good_png is not None:
            self.image.value = _faded(self._good_png)

    def _show(self, change=None):
        if self.renderer is None or self.error is not None:
            return
        self._good_png = self.image.value = self.renderer.png(self.step.value)


def _faded(png: bytes) -> bytes:
    """The PNG washed out towards white (a picture that is no longer valid)."""
    from PIL import Image
    with Image.open(io.BytesIO(png)) as im:
        rgb = np.asarray(im.convert("RGB")).astype(np.float32)
    faded = (255 - 0.25 * (255 - rgb)).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(faded).save(buffer, format="png")
    return buffer.getvalue()


def explore(name: str = "conv2d", **initial):
    """An ipywidgets box for scene ``name`` (``'conv2d'``, ``'max_pool2d'``, ...).

    Keyword arguments set the starting values (``explore('conv2d', stride=2)``). The
    returned box has an ``explorer`` attribute (controls, current plan) for scripting.
    """
    return Explorer(name, **initial).box
