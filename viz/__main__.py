"""Command line: render any scene to a GIF, an HTML player or a PNG frame.

    python -m viz --help                       # lists the scenes
    python -m viz conv2d --size 5 --kernel 3 --stride 2 --padding 1 --dilation 1 -o conv.gif
    python -m viz conv_transpose2d --view direct -o direct.gif
    python -m viz max_pool2d --size 7 --kernel 3 --ceil-mode -o pool.png --frame 8
    python -m viz conv2d --size 5,7 --kernel 3,2 --stride 1,2 -o rect.gif   # per axis (H,W)
    python -m viz conv2d --channels 2 --out-channels 3 --out-channel 1 --bias 0.5 -o c.gif
    python -m viz max_pool3d --size 4 --kernel 2 -o pool3d.gif
    python -m viz all -o viz_gifs/             # every scene with its defaults, as GIFs
    python -m viz all conv1d max_pool2d -o viz_gifs/   # only some
"""
from __future__ import annotations

import argparse
import os
import sys

from viz.plan import VizConfigError
from viz.player import Scene
from viz.scenes import ALIASES, SCENES, resolve


def _per_axis(dims):
    """argparse type for ``--size 5`` or ``--size 5,7``: an int, or a tuple of ``dims``
    ints (one per spatial axis, H then W)."""
    def parse(text):
        parts = [p.strip() for p in text.replace("x", ",").split(",") if p.strip()]
        try:
            values = [int(p) for p in parts]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number or {dims} numbers separated by commas "
                f"(e.g. {','.join(['3'] * dims)}), got {text!r}") from None
        if len(values) == 1:
            return values[0]
        if len(values) != dims:
            raise argparse.ArgumentTypeError(
                f"this scene has {dims} spatial ax{'is' if dims == 1 else 'es'}: give one "
                f"number or {dims} separated by commas, got {len(values)} ({text!r})")
        return tuple(values)
    parse.__name__ = "int or per-axis list"
    return parse


def _add_params(parser, spec):
    for param in spec.params:
        flag = "--" + param.name.replace("_", "-")
        if param.kind == "float":
            parser.add_argument(flag, dest=param.name, type=float, default=param.default,
                                help=param.help)
        elif param.kind == "bool":
            parser.add_argument(flag, dest=param.name, action=argparse.BooleanOptionalAction,
                                default=param.default, help=param.help)
        elif param.kind == "choice":
            parser.add_argument(flag, dest=param.name, choices=param.choices,
                                default=param.default, help=param.help)
        elif param.per_axis and spec.dims > 1:
            parser.add_argument(flag, dest=param.name, type=_per_axis(spec.dims),
                                default=param.default, metavar="N[,N...]",
                                help=f"{param.help} (default {param.default})")
        else:
            parser.add_argument(flag, dest=param.name, type=int, default=param.default,
                                help=f"{param.help} (default {param.default})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m viz",
        description="Render an animation of a teachnn operation (GIF, HTML player or PNG).",
        epilog="Aliases: " + ", ".join(f"{a} = {t}" for a, t in ALIASES.items())
        + ".  Example: python -m viz conv2d --size 5 --kernel 3 --stride 2 --padding 1 "
          "-o conv.gif.  Sizes may differ per axis: --size 5,7 --kernel 3,2.")
    sub = parser.add_subparsers(dest="scene", metavar="SCENE", required=True)
    for name, spec in SCENES.items():
        scene_parser = sub.add_parser(name, help=spec.summary, description=spec.summary,
                                      aliases=[a for a, t in ALIASES.items() if t == name])
        _add_params(scene_parser, spec)
        scene_parser.add_argument("-o", "--output", default=f"{name}.gif",
                                  help="file to write: .gif, .html or .png (default %(default)s)")
        scene_parser.add_argument("--frame", type=int, default=0,
                                  help="frame to write when the output is a .png")
        scene_parser.add_argument("--fps", type=float, default=1.5, help="frames per second")
    all_parser = sub.add_parser("all", help="render every scene with its defaults to GIF")
    all_parser.add_argument("names", nargs="*", metavar="SCENE",
                            help="only these scenes (default: all of them)")
    all_parser.add_argument("-o", "--output", default="viz_gifs",
                            help="directory for the GIFs (default %(default)s)")
    return parser


def main(argv=None) -> int:
    """Entry point; returns the exit status (0 = written)."""
    args = build_parser().parse_args(argv)
    if args.scene == "all":
        os.makedirs(args.output, exist_ok=True)
        for name in [resolve(n) for n in args.names] or list(SCENES):
            path = os.path.join(args.output, f"{name}.gif")
            Scene(SCENES[name].plan()).save(path)
            print(f"wrote {path}")
        return 0
    name = resolve(args.scene)
    spec = SCENES[name]
    params = {p.name: getattr(args, p.name) for p in spec.params}
    try:
        scene = Scene(spec.plan(**params), fps=args.fps)
    except (VizConfigError, ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    directory = os.path.dirname(args.output)
    if directory:
        os.makedirs(directory, exist_ok=True)
    if args.output.lower().endswith(".png"):
        scene.frame(args.frame).savefig(args.output, dpi=scene.dpi,
                                        metadata={"Software": None})
    else:
        scene.save(args.output)
    print(f"wrote {args.output} ({len(scene)} frames)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
