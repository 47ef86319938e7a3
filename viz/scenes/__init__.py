"""Scene registry: every animated operation, its plan function and its parameters.

The command line (``python -m viz``) and the widgets (``viz.explore``) are both built from
``SCENES``, so a scene added here appears in both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from viz.scenes.conv import conv1d_plan, conv2d_plan, conv3d_plan
from viz.scenes.pool import adaptive_plan, pool_plan
from viz.scenes.transpose import conv_transpose_plan

__all__ = ["Param", "SceneSpec", "SCENES", "ALIASES", "resolve"]


@dataclass
class Param:
    """One knob of a scene: a name (the keyword of the plan function), a default, and the
    slider range used by the widgets (``low``..``high``), or ``choices`` for text options.

    per_axis: the value may differ per spatial axis (``size=(5, 7)``); the command line then
    takes ``--size 5,7`` and the widgets of 2-d scenes show one slider per axis (H, W).
    number: a float that may be None (a conv layer's bias): ``--bias 0.5`` on the command
    line, a drop-down of a few values (and 'none') in the widgets.
    """

    name: str
    default: object
    low: int = 0
    high: int = 0
    help: str = ""
    choices: tuple = ()
    per_axis: bool = False
    number: bool = False

    @property
    def kind(self) -> str:
        if self.number:
            return "float"
        if self.choices:
            return "choice"
        if isinstance(self.default, bool):
            return "bool"
        return "int"


def _size(default, low=2, high=9):
    return Param("size", default, low, high, "input size (an int, or one value per axis "
                 "such as 5,7 for H=5, W=7)", per_axis=True)


def _kernel(default, low=1, high=5):
    return Param("kernel", default, low, high, "kernel size (int or one per axis)",
                 per_axis=True)


STRIDE = Param("stride", 1, 1, 3, "stride (step of the window)", per_axis=True)
PADDING = Param("padding", 0, 0, 3, "zero padding on each side", per_axis=True)
DILATION = Param("dilation", 1, 1, 3, "dilation (gap between kernel taps)", per_axis=True)
BIAS_VALUES = (-1.0, -0.5, 0.5, 1.0, 2.0)          # the widget's drop-down (plus 'none')


@dataclass
class SceneSpec:
    plan: object                  # callable(**params) -> Plan
    params: list = field(default_factory=list)
    summary: str = ""
    dims: int = 2                 # spatial dimensions (widgets: one slider per axis for 2)


def _conv_params(n):
    defaults = {1: (7, 2, 3), 2: (5, 1, 3), 3: (4, 1, 2)}[n]
    return [_size(defaults[0], 2, 12 if n == 1 else 9 if n == 2 else 5),
            Param("channels", defaults[1], 1, 3, "input channels"),
            _kernel(defaults[2], 1, 5 if n < 3 else 3), STRIDE, PADDING, DILATION,
            Param("out_channels", 1, 1, 4, "output channels of the layer (one kernel each)"),
            Param("out_channel", 0, 0, 3, "which output channel to show (0 .. out_channels-1)"),
            Param("bias", None, help="bias of the shown output channel, added after the "
                  "sum of products (default: no bias)", number=True, choices=BIAS_VALUES)]


def _transpose_params(n):
    return [_size(4 if n == 1 else 3, 1, 6 if n == 1 else 4), _kernel(3, 1, 4),
            Param("stride", 2, 1, 3, "stride (spacing of the kernel copies)", per_axis=True),
            Param("padding", 0, 0, 3, "cells cropped from each side of the output",
                  per_axis=True),
            Param("output_padding", 0, 0, 2, "extra cells at the end of the output",
                  per_axis=True),
            DILATION, Param("view", "scatter", help="scatter: kernel copies summed; "
                            "direct: convolution over the zero-inserted input",
                            choices=("scatter", "direct"))]


def _pool_params(n, mode):
    params = [_size({1: 8, 2: 6, 3: 4}[n], 2, {1: 12, 2: 9, 3: 6}[n]), _kernel(2, 1, 4),
              Param("stride", None, 1, 3, "stride (default, as in PyTorch: kernel_size)",
                    per_axis=True),
              Param("padding", 0, 0, 2, "padding (-inf for max, 0 for avg)", per_axis=True)]
    if mode == "max":
        params.append(DILATION)
    params.append(Param("ceil_mode", False, help="round the output size up"))
    if mode == "avg":
        params.append(Param("count_include_pad", True, help="count padding zeros in the mean"))
    return params


def _adaptive_params(n):
    return [_size({1: 5, 2: 4, 3: 3}[n], 1, {1: 12, 2: 8, 3: 5}[n]),
            Param("output_size", 3 if n == 1 else 2, 1, 6, "output size (int or one per axis)",
                  per_axis=True)]


SCENES = {
    "conv1d": SceneSpec(conv1d_plan, _conv_params(1),
                        "Conv1d on [channels, length]: the kernel spans all channels", 1),
    "conv2d": SceneSpec(conv2d_plan, _conv_params(2),
                        "Conv2d: stride, padding, dilation, channels summed, bias", 2),
    "conv3d": SceneSpec(conv3d_plan, _conv_params(3),
                        "Conv3d: the volume as a row of depth slices", 3),
    "conv_transpose1d": SceneSpec(partial(conv_transpose_plan, 1), _transpose_params(1),
                                  "ConvTranspose1d: scatter view or direct view", 1),
    "conv_transpose2d": SceneSpec(partial(conv_transpose_plan, 2), _transpose_params(2),
                                  "ConvTranspose2d: scatter view or direct view", 2),
    "max_pool1d": SceneSpec(partial(pool_plan, 1, "max"), _pool_params(1, "max"),
                            "MaxPool1d, the chosen maximum marked", 1),
    "max_pool2d": SceneSpec(partial(pool_plan, 2, "max"), _pool_params(2, "max"),
                            "MaxPool2d, the chosen maximum marked, ceil_mode overhang", 2),
    "max_pool3d": SceneSpec(partial(pool_plan, 3, "max"), _pool_params(3, "max"),
                            "MaxPool3d: the volume as a row of depth slices", 3),
    "avg_pool1d": SceneSpec(partial(pool_plan, 1, "avg"), _pool_params(1, "avg"),
                            "AvgPool1d", 1),
    "avg_pool2d": SceneSpec(partial(pool_plan, 2, "avg"), _pool_params(2, "avg"),
                            "AvgPool2d, count_include_pad", 2),
    "avg_pool3d": SceneSpec(partial(pool_plan, 3, "avg"), _pool_params(3, "avg"),
                            "AvgPool3d: the volume as a row of depth slices", 3),
    "adaptive_avg_pool1d": SceneSpec(partial(adaptive_plan, 1, "avg"), _adaptive_params(1),
                                     "AdaptiveAvgPool1d, overlapping regions (5 -> 3)", 1),
    "adaptive_avg_pool2d": SceneSpec(partial(adaptive_plan, 2, "avg"), _adaptive_params(2),
                                     "AdaptiveAvgPool2d (4x4 -> 2x2 as in the notes)", 2),
    "adaptive_avg_pool3d": SceneSpec(partial(adaptive_plan, 3, "avg"), _adaptive_params(3),
                                     "AdaptiveAvgPool3d (3x3x3 -> 2x2x2, overlapping)", 3),
    "adaptive_max_pool1d": SceneSpec(partial(adaptive_plan, 1, "max"), _adaptive_params(1),
                                     "AdaptiveMaxPool1d", 1),
    "adaptive_max_pool2d": SceneSpec(partial(adaptive_plan, 2, "max"), _adaptive_params(2),
                                     "AdaptiveMaxPool2d", 2),
    "adaptive_max_pool3d": SceneSpec(partial(adaptive_plan, 3, "max"), _adaptive_params(3),
                                     "AdaptiveMaxPool3d (3x3x3 -> 2x2x2, overlapping)", 3),
}

# Short names a learner may type.
ALIASES = {
    "conv_transpose": "conv_transpose2d",
    "max_pool": "max_pool2d",
    "avg_pool": "avg_pool2d",
    "adaptive_avg_pool": "adaptive_avg_pool2d",
    "adaptive_max_pool": "adaptive_max_pool2d",
    "adaptive_pool": "adaptive_avg_pool2d",
}


def resolve(name: str) -> str:
    """Canonical scene name, or a ValueError that lists the scenes and suggests one."""
    from teachnn.errors import suggest_name

    name = ALIASES.get(name, name)
    if name not in SCENES:
        names = list(SCENES) + list(ALIASES)
        raise ValueError(f"'{name}'라는 장면은 없습니다.\n"
                         f"there is no scene called {name!r}.{suggest_name(name, names)} "
                         f"Scenes: {', '.join(SCENES)}.")
    return name
