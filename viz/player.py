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

from viz import i18n
from viz.render import DISPLAY_DPI, SCALE, Renderer

__all__ = ["Scene"]


class Scene:
    """An animation of one operation, built from a ``viz.plan.Plan``.

    Attributes: ``plan`` (the data behind every frame), ``fps`` (frames per second for
    GIF and player), ``scale`` (drawn pixels per screen pixel for the player and PNGs; GIFs
    are drawn at their display size).
    """

    def __init__(self, plan, fps: float = 1.5, scale: float = SCALE):
        self.plan = plan
        self.fps = fps
        self.scale = scale

    @property
    def dpi(self) -> float:
        """Pixels per inch of the player's frames and of ``frame(i)``."""
        return DISPLAY_DPI * self.scale

    def __len__(self) -> int:
        return len(self.plan.frames)

    def __repr__(self) -> str:
        return f"<viz.Scene {self.plan.name}: {len(self)} frames>"

    # -- single frames -------------------------------------------------------
    def renderer(self, scale: float | None = None) -> Renderer:
        return Renderer(self.plan, scale=self.scale if scale is None else scale)

    def frame(self, i: int = 0):
        """Frame ``i`` (negative counts from the end) as a matplotlib Figure."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"{i}번 단계는 없습니다: 이 장면은 {n}단계입니다 (0부터 {n - 1}까지).\n"
                             f"frame {i} does not exist: this scene has {n} frames "
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
                page = fh.read()
        width = round(renderer.width * DISPLAY_DPI)
        return _offline_player(page, width, renderer.language)

    def _repr_html_(self) -> str:
        # a scene never changes once built: render the player once per language
        cache = self.__dict__.setdefault("_html", {})
        language = i18n.get_language()
        if language not in cache:
            cache[language] = self.to_jshtml()
        return cache[language]

    def save(self, path, fps: float | None = None) -> str:
        """Write the animation: ``.gif`` (Pillow), ``.html`` (JS player) or ``.png``
        (the first frame; use ``frame(i).savefig`` for another one). Returns the path."""
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        if ext == ".gif":
            frames = [Image.fromarray(rgba).convert("RGB")
                      for rgba in self.renderer(scale=1).frames()]
            images = _to_palette(frames)
            images[0].save(path, save_all=True, append_images=images[1:],
                           duration=int(1000 / (fps or self.fps)), loop=0)
        elif ext in (".html", ".htm"):
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(self.to_jshtml())
        elif ext == ".png":
            self.frame(0).savefig(path, dpi=DISPLAY_DPI, metadata={"Software": None})
        else:
            raise ValueError("장면은 .gif, .html, .png 파일로만 저장할 수 있습니다.\n"
                             f"cannot save a scene as {ext or 'a file without extension'!r}: "
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
        Image.fromarray(np.asarray(rgba)[..., :3]).save(buffer, format="png")   # opaque: RGB
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


# Player buttons as inline SVG (Font Awesome's shapes would need a request to a CDN, which
# fails offline): one 16x16 path per button, drawn in the button's text colour.
_ICONS = {
    "fa fa-minus": "M3 7h10v2H3z",
    "fa fa-plus": "M7 3h2v4h4v2H9v4H7V9H3V7h4z",
    "fa fa-fast-backward": "M2 3h2v10H2zM4 8l5-5v10zM9 8l5-5v10z",
    "fa fa-step-backward": "M3 3h2v10H3zM5 8l7-5v10z",
    "fa fa-play fa-flip-horizontal": "M12 3v10L4 8z",
    "fa fa-pause": "M4 3h3v10H4zM9 3h3v10H9z",
    "fa fa-play": "M4 3v10l8-5z",
    "fa fa-step-forward": "M11 3h2v10h-2zM11 8L4 3v10z",
    "fa fa-fast-forward": "M12 3h2v10h-2zM12 8L7 3v10zM7 8L2 3v10z",
}
_KO_LABELS = {
    "Decrease speed": "느리게", "First frame": "첫 단계", "Previous frame": "이전 단계",
    "Play backwards": "거꾸로 재생", "Pause": "멈춤", "Play": "재생", "Next frame": "다음 단계",
    "Last frame": "마지막 단계", "Increase speed": "빠르게", "Repetition mode": "반복 방식",
}


def _offline_player(page: str, width: int, language: str) -> str:
    """matplotlib's player page without external requests, its image shown at ``width``
    CSS pixels (the frames have ``SCALE`` times as many), its labels in ``language``."""
    import re
    page = re.sub(r'<link rel="stylesheet"\s*href="[^"]*font-awesome[^"]*">\s*', "", page)
    for name, path in _ICONS.items():
        svg = (f'<svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" '
               f'style="vertical-align:middle"><path fill="currentColor" d="{path}"/></svg>')
        page = page.replace(f'<i class="{name}"></i>', svg)
    page = re.sub(r'<img id="(_anim_img[0-9a-f]+)">',
                  rf'<img id="\1" style="width:{width}px; max-width:100%; height:auto">', page)
    if language == "ko":
        for english, korean in _KO_LABELS.items():
            page = page.replace(f'title="{english}" aria-label="{english}"',
                                f'title="{korean}" aria-label="{korean}"')
        for english, korean in (("Once", "한 번"), ("Loop", "반복"), ("Reflect", "왕복")):
            page = page.replace(f">{english}</label>", f">{korean}</label>")
    return page
