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

Figures are in Korean; ``viz.set_language("en")`` switches them to English.
Interactive: ``viz.explore("conv2d")`` (ipywidgets sliders + Play button).
Inside a model: ``viz.summary(model, input_size)``, ``viz.feature_maps(model, x)``,
``viz.graph(loss)``.
Command line: ``python -m viz --help``; ``python -m viz all -o viz_gifs/`` renders every
scene to GIF.
"""
from __future__ import annotations

import inspect

from viz.i18n import get_language, set_language
from viz.plan import Plan, VizConfigError
from viz.player import Scene
from viz.scenes import ALIASES, SCENES, resolve

__all__ = ["Scene", "Plan", "VizConfigError", "set_language", "get_language", "scene", "explore", "summary", "feature_maps",
           "graph", "SCENES"] + list(SCENES) + list(ALIASES)


def scene(name: str, *args, fps: float = 1.5, **params) -> Scene:
    """Build the scene called ``name`` (see ``viz.SCENES``) with the given parameters."""
    __tracebackhide__ = True
    try:
        build = globals()[resolve(name)]
    except ValueError as err:
        error = err
    else:
        return build(*args, fps=fps, **params)
    raise ValueError(str(error)) from None


def _make_scene_function(name):
    """A public function ``viz.<name>(...)`` -> Scene, with the plan function's signature."""
    plan_function = SCENES[name].plan
    inner = getattr(plan_function, "func", plan_function)      # unwrap functools.partial

    signature = inspect.signature(plan_function)

    def build(*args, fps: float = 1.5, **params) -> Scene:
        __tracebackhide__ = True                 # pytest / IPython: hide this frame too
        try:
            plan = plan_function(*args, **_bind(name, signature, args, params))
        except (ValueError, TypeError) as err:
            error = _short_error(err)
        else:
            return Scene(plan, fps=fps)
        # raised here, outside the handler and ``from None``: the traceback is the
        # learner's line and this one, not the plan's internals
        raise error from None

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


def _bind(name, signature, args, params) -> dict:
    """Check the arguments against the scene's signature: a wrong keyword gets a short
    bilingual TypeError with the nearest valid name (``kernel_size=`` -> ``kernel``)."""
    try:
        signature.bind(*args, **params)
    except TypeError as err:
        from teachnn.errors import suggest_name
        names = [p for p in signature.parameters if p not in ("x", "weight", "bias")] + \
            ["x", "weight", "bias"]
        unknown = [k for k in params if k not in signature.parameters]
        if unknown:
            hint = suggest_name(unknown[0], names)
            ko_hint = f" '{hint.split(chr(39))[1]}'을(를) 쓰려던 것인가요?" if hint else ""
            raise TypeError(f"viz.{name}()에는 '{unknown[0]}' 인자가 없습니다.{ko_hint}\n"
                            f"viz.{name}() got an unexpected keyword argument "
                            f"'{unknown[0]}'.{hint} Arguments: {', '.join(names)}") from None
        raise TypeError(f"viz.{name}()의 인자가 맞지 않습니다: {err}\n"
                        f"viz.{name}(): {err}") from None
    return params


def _short_error(err: Exception) -> Exception:
    """The same kind of exception with a Korean line first and the English one after."""
    if isinstance(err, VizConfigError):
        return VizConfigError(err.en, err.ko)
    text = str(err)
    if any("\uac00" <= ch <= "\ud7a3" for ch in text):      # already bilingual
        return type(err)(text)
    kind = ValueError if isinstance(err, ValueError) else TypeError
    return kind(f"이 값으로는 장면을 만들 수 없습니다.\n{text}")


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
