"""viz — animations of what teachnn's kernels compute.

Scenes (each returns a ``viz.Scene``: shows itself in Jupyter as a player, ``.save("x.gif")``,
``.frame(i)`` for one matplotlib Figure, ``.check()`` against ``teachnn.nn.functional``)::

    viz.conv1d(size=7, channels=2, kernel=3, stride=1, padding=0, dilation=1)
    viz.conv2d(size=5, kernel=3, stride=2, padding=1)          # also channels=, dilation=
    viz.conv3d(size=4, kernel=2)
    viz.conv2d(size=(5, 7), kernel=(3, 2), stride=(1, 2))      # per axis (H, W)
    viz.conv2d(channels=2, out_channels=3, out_channel=1, bias=0.5)   # ... + b at the end
    viz.max_pool3d(size=4, kernel=2), viz.avg_pool3d(...), viz.adaptive_avg_pool3d(...)
    viz.conv_transpose2d(size=3, kernel=3, stride=2, view="scatter")   # or view="direct"
    viz.max_pool2d(size=6, kernel=2), viz.avg_pool2d(...), viz.max_pool1d(...), ...
    viz.adaptive_avg_pool2d(size=4, output_size=2)             # the notes' 4x4 -> 2x2
    viz.adaptive_avg_pool1d(size=5, output_size=3)             # overlapping regions

Every scene also accepts your own numbers: ``viz.conv2d(x, weight, stride=2)`` with ``x`` of
shape [channels, H, W] and ``weight`` of shape [channels, kh, kw], or a layer's whole
weight [out_channels, channels, kh, kw] and bias: ``viz.conv2d(x, conv.weight, conv.bias,
out_channel=2)`` shows output channel 2, its bias added last.

Interactive: ``viz.explore("conv2d")`` (ipywidgets sliders + Play button).
Inside a model: ``viz.summary(model, input_size)``, ``viz.feature_maps(model, x)``,
``viz.graph(loss)``.
Command line: ``python -m viz --help``; ``python -m viz all -o viz_gifs/`` renders every
scene to GIF.
"""
from __future__ import annotations

import inspect

from viz.plan import Plan, VizConfigError
from viz.player import Scene
from viz.scenes import ALIASES, SCENES, resolve

__all__ = ["Scene", "Plan", "VizConfigError", "scene", "explore", "summary", "feature_maps",
           "graph", "SCENES"] + list(SCENES) + list(ALIASES)


def scene(name: str, *args, fps: float = 1.5, **params) -> Scene:
    """Build the scene called ``name`` (see ``viz.SCENES``) with the given parameters."""
    spec = SCENES[resolve(name)]
    return Scene(spec.plan(*args, **params), fps=fps)


def _make_scene_function(name):
    """A public function ``viz.<name>(...)`` -> Scene, with the plan function's signature."""
    plan_function = SCENES[name].plan
    inner = getattr(plan_function, "func", plan_function)      # unwrap functools.partial

    def build(*args, fps: float = 1.5, **params) -> Scene:
        return Scene(plan_function(*args, **params), fps=fps)

    signature = inspect.signature(plan_function)
    fps = inspect.Parameter("fps", inspect.Parameter.KEYWORD_ONLY, default=1.5)
    build.__signature__ = signature.replace(parameters=list(signature.parameters.values())
                                            + [fps], return_annotation=Scene)
    build.__name__ = build.__qualname__ = name
    build.__module__ = __name__
    build.__doc__ = (f"{SCENES[name].summary}.\n\nReturns a viz.Scene: display it in a "
                     "notebook, .save('x.gif'), .frame(i) -> Figure, .check() compares with "
                     "teachnn.nn.functional. fps: frames per second of the player/GIF.\n\n"
                     + (inner.__doc__ or ""))
    return build


for _name in SCENES:
    globals()[_name] = _make_scene_function(_name)
for _alias, _target in ALIASES.items():
    globals()[_alias] = globals()[_target]
del _name, _alias, _target


def explore(name: str = "conv2d", **initial):
    """Sliders for the scene's sizes plus a Play button; see ``viz.widgets.explore``."""
    from viz.widgets import explore as _explore
    return _explore(name, **initial)


def summary(model, input_size, **kwargs):
    """A torchinfo-like table of a model; see ``viz.model.summary``."""
    from viz.model import summary as _summary
    return _summary(model, input_size, **kwargs)


def feature_maps(model, x, **kwargs):
    """What every layer of ``model`` produces for ``x``; see ``viz.model.feature_maps``."""
    from viz.model import feature_maps as _feature_maps
    return _feature_maps(model, x, **kwargs)


def graph(tensor, **kwargs):
    """The autograd graph behind ``tensor``; see ``viz.model.graph``."""
    from viz.model import graph as _graph
    return _graph(tensor, **kwargs)
