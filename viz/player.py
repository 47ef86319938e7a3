"""``Scene``: a frame plan you can watch, step through and save.

In a notebook a scene shows itself as an embedded JavaScript player (matplotlib's
``FuncAnimation.to_jshtml``: no ffmpeg needed). ``scene.save("conv.gif")`` writes a GIF
with Pillow, ``scene.frame(i)`` returns one frame as a matplotlib Figure, and
``scene.check()`` confirms that the numbers shown equal ``teachnn.nn.functional``'s.
"""
from __future__ import annotations

import base64
import io
import os
import tempfile

from matplotlib.animation import FuncAnimation, HTMLWriter
import numpy as np
from PIL import Image

from viz.render import Renderer

__all__ = ["Scene"]


class Scene:
    """An animation of one operation, built from a ``viz.plan.Plan``.

    Attributes: ``plan`` (the data behind every frame), ``fps`` (frames per second for
    GIF and player).
    """

    def __init__(self, plan, fps: float = 1.5, dpi: int = 80):
        self.plan = plan
        self.fps = fps
        self.dpi = dpi

    def __len__(self) -> int:
        return len(self.plan.frames)

    def __repr__(self) -> str:
        return f"<viz.Scene {self.plan.name}: {len(self)} frames>"

    # -- single frames -------------------------------------------------------
    def renderer(self) -> Renderer:
        return Renderer(self.plan, dpi=self.dpi)

    def frame(self, i: int = 0):
        """Frame ``i`` (negative counts from the end) as a matplotlib Figure."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"frame {i} does not exist: this scene has {n} frames "
                             f"(0 to {n - 1})")
        renderer = self.renderer()
        renderer.draw(i % n)
        return renderer.fig

    # -- animations ----------------------------------------------------------
    def animation(self) -> FuncAnimation:
        """A plain matplotlib FuncAnimation of the scene (artists built once, each frame
        updates them). ``to_jshtml`` and ``save`` use a faster path with the same pixels."""
        renderer = self.renderer()
        renderer.draw(0)
        anim = FuncAnimation(renderer.fig, renderer.draw, frames=len(self),
                             interval=1000 / self.fps, blit=False, repeat=True)
        anim._viz_renderer = renderer            # keep the renderer alive with the animation
        return anim

    def to_jshtml(self) -> str:
        """HTML + JavaScript player (matplotlib's ``FuncAnimation.to_jshtml`` player) with
        every frame embedded as a PNG. Frames are drawn incrementally: only the cells that
        change are redrawn, which is several times faster than a full redraw per frame."""
        renderer = self.renderer()

        def draw_frame(i):
            renderer.rgba(i)                     # incremental draw into the Agg buffer
            return []

        anim = FuncAnimation(renderer.fig, draw_frame, frames=len(self),
                             interval=1000 / self.fps, repeat=False)
        renderer.fig.canvas.draw_idle = lambda *args, **kwargs: None   # drawn by rgba()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "scene.html")
            anim.save(path, writer=_BufferHTMLWriter(renderer, fps=self.fps,
                                                     embed_frames=True, default_mode="once"),
                      dpi=self.dpi)
            with open(path, encoding="utf-8") as fh:
                return fh.read()

    def _repr_html_(self) -> str:
        # a scene never changes once built: render the player once, show it many times
        if getattr(self, "_html", None) is None:
            self._html = self.to_jshtml()
        return self._html

    def save(self, path, fps: float | None = None) -> str:
        """Write the animation: ``.gif`` (Pillow), ``.html`` (JS player) or ``.png``
        (the first frame; use ``frame(i).savefig`` for another one). Returns the path."""
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        if ext == ".gif":
            frames = [Image.fromarray(rgba).convert("RGB")
                      for rgba in self.renderer().frames()]
            images = _to_palette(frames)
            images[0].save(path, save_all=True, append_images=images[1:],
                           duration=int(1000 / (fps or self.fps)), loop=0)
        elif ext in (".html", ".htm"):
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(self.to_jshtml())
        elif ext == ".png":
            self.frame(0).savefig(path, dpi=self.dpi)
        else:
            raise ValueError(f"cannot save a scene as {ext or 'a file without extension'!r}: "
                             "use a name ending in .gif, .html or .png")
        return path

    def check(self, atol: float = 1e-9) -> bool:
        """True if every output value shown equals ``teachnn.nn.functional``'s result."""
        return self.plan.check(atol=atol)


class _BufferHTMLWriter(HTMLWriter):
    """matplotlib's HTML player writer, taking each frame from the renderer's Agg buffer
    (already drawn incrementally) instead of calling ``savefig`` (a full redraw)."""

    def __init__(self, renderer, **kwargs):
        super().__init__(**kwargs)
        self._renderer = renderer

    def grab_frame(self, **savefig_kwargs):
        buffer = io.BytesIO()
        rgba = self._renderer.fig.canvas.buffer_rgba()       # drawn by the frame function
        Image.fromarray(np.asarray(rgba)).save(buffer, format="png")
        self._saved_frames.append(base64.encodebytes(buffer.getvalue()).decode("ascii"))


def _to_palette(frames):
    """RGB frames -> palette images sharing one palette (GIF needs <= 256 colours).

    The palette is taken from the first, middle and last frames together (so colours that
    appear only later, like finished output cells, are in it); one shared palette is also
    much faster than quantizing every frame on its own.
    """
    picks = [frames[0], frames[len(frames) // 2], frames[-1]]
    width, height = frames[0].size
    montage = Image.new("RGB", (width, height * len(picks)))
    for k, im in enumerate(picks):
        montage.paste(im, (0, height * k))
    palette = montage.quantize(colors=255, method=Image.Quantize.FASTOCTREE)
    return [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in frames]
