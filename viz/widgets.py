"""``explore(name)``: a scene with sliders, for changing the numbers and watching again.

The box holds one slider (or checkbox / toggle) per scene parameter, a Play button linked to
a step slider (``jslink``, so playing runs in the browser without a round trip per frame),
a message line and an image of the current frame. Changing a parameter rebuilds the frame
plan; an impossible combination (the kernel does not fit, ...) shows a plain message in
English and Korean instead of a traceback, and the last good picture stays.
"""
from __future__ import annotations

import html

from viz.plan import VizConfigError
from viz.render import Renderer
from viz.scenes import SCENES, resolve

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


NO_BIAS = "none"


def _control(widgets, param, value, dims=1):
    style = {"description_width": "initial"}
    if param.per_axis and (dims == 2 or (dims == 3 and isinstance(value, (tuple, list)))):
        # 2-d: always H and W sliders; 3-d: one slider (a cube) unless asked per axis
        return AxisSliders(widgets, param, value, dims)
    if param.kind == "float":               # a bias: 'none' or one of a few values
        options = [(NO_BIAS, None)] + [(f"{v:g}", v) for v in param.choices]
        if value is not None and value not in param.choices:
            options.append((f"{value:g}", float(value)))
        return widgets.Dropdown(options=options, value=None if value is None else float(value),
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
            raise TypeError(f"explore({self.name!r}) got an unexpected keyword argument "
                            f"{bad!r}.{suggest_name(bad, [p.name for p in self.spec.params])}")
        self.controls = {p.name: _control(widgets, p, initial.get(p.name, p.default),
                                          self.spec.dims)
                         for p in self.spec.params}
        self.step = widgets.IntSlider(value=0, min=0, max=0, description="step",
                                      continuous_update=True)
        self.play = widgets.Play(value=0, min=0, max=0, interval=900, description="Play")
        self.link = widgets.jslink((self.play, "value"), (self.step, "value"))
        self.message = widgets.HTML(value="")
        self.image = widgets.Image(format="png")
        self.plan = None
        self.renderer = None
        self.error = None
        sliders = [getattr(c, "widget", c) for c in self.controls.values()]
        self.box = widgets.VBox([
            widgets.HTML(value=f"<b>{html.escape(self.spec.summary)}</b>"),
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
        return {name: control.value for name, control in self.controls.items()}

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
            self._fail(str(err), err.ko)
            return
        except (ValueError, TypeError, RuntimeError) as err:   # any other impossible input
            self._fail(str(err), "이 조합으로는 계산할 수 없습니다.")
            return
        self.error = None
        self.plan = plan
        self.renderer = Renderer(plan)
        last = len(plan.frames) - 1
        self.step.max = self.play.max = last
        if self.step.value > last:
            self.step.value = last                  # triggers _show
        self.message.value = (f"<span style='color:#2e6b2e'>{len(plan.frames)} frames. "
                              f"{html.escape(plan.formula)}</span>")
        self._show()

    def _fail(self, english: str, korean: str):
        self.error = english
        self.message.value = (
            "<div style='color:#a00000; border:1px solid #a00000; padding:6px'>"
            f"<b>This combination cannot work.</b> {html.escape(english)}<br>"
            f"<b>이 조합은 불가능합니다.</b> {html.escape(korean)}</div>")

    def _show(self, change=None):
        if self.renderer is None or self.error is not None:
            return
        self.image.value = self.renderer.png(self.step.value)


def explore(name: str = "conv2d", **initial):
    """An ipywidgets box for scene ``name`` (``'conv2d'``, ``'max_pool2d'``, ...).

    Keyword arguments set the starting values (``explore('conv2d', stride=2)``). The
    returned box has an ``explorer`` attribute (controls, current plan) for scripting.
    """
    return Explorer(name, **initial).box
