"""Small, procedurally drawn image data sets for the lessons (no downloads).

``make_shapes`` draws grey-scale pictures of four simple shapes on a square canvas, with a
random position, size, brightness and a little noise. Everything comes from one
``numpy.random.Generator`` seeded with ``seed``, so the same arguments always give the same
pictures, on every machine, independently of ``teachnn.manual_seed``.

Classes (label -> name):

    0  horizontal  a horizontal bar           ──
    1  vertical    a vertical bar             │
    2  square      the outline of a square    □
    3  cross       the two diagonals of a box ╳

At the default size 12x12 the pictures fit the notes' ``MyModel`` exactly: two 5x5
convolutions without padding turn 12x12 into 4x4, hence ``nn.Linear(64 * 4 * 4, 128)``.

Example::

    >>> from teachnn.datasets import load_shapes, SHAPE_CLASSES
    >>> x_train, y_train = load_shapes(train=True)      # Tensors
    >>> x_train.shape, y_train.shape
    (teachnn.Size([800, 1, 12, 12]), teachnn.Size([800]))
"""
from __future__ import annotations

import numpy as np

__all__ = ["SHAPE_CLASSES", "make_shapes", "load_shapes"]

SHAPE_CLASSES = ("horizontal", "vertical", "square", "cross")

_MIN_SIZE = 8


def _draw_horizontal(canvas: np.ndarray, rng: np.random.Generator, value: float) -> None:
    """A horizontal bar: 1 or 2 rows thick, at least half the canvas wide."""
    size = canvas.shape[0]
    thickness = int(rng.integers(1, 3))
    length = int(rng.integers(size // 2, size - 1))
    row = int(rng.integers(1, size - thickness))
    col = int(rng.integers(0, size - length + 1))
    canvas[row:row + thickness, col:col + length] = value


def _draw_vertical(canvas: np.ndarray, rng: np.random.Generator, value: float) -> None:
    """A vertical bar: the horizontal bar drawn on the transposed canvas."""
    _draw_horizontal(canvas.T, rng, value)


def _draw_square(canvas: np.ndarray, rng: np.random.Generator, value: float) -> None:
    """The outline of a square with side 4..size-2 (hollow inside)."""
    size = canvas.shape[0]
    side = int(rng.integers(4, size - 1))
    top = int(rng.integers(0, size - side + 1))
    left = int(rng.integers(0, size - side + 1))
    bottom, right = top + side - 1, left + side - 1
    canvas[top, left:right + 1] = value
    canvas[bottom, left:right + 1] = value
    canvas[top:bottom + 1, left] = value
    canvas[top:bottom + 1, right] = value


def _draw_cross(canvas: np.ndarray, rng: np.random.Generator, value: float) -> None:
    """Both diagonals of a square box with side 5..size-1 (an 'X')."""
    size = canvas.shape[0]
    side = int(rng.integers(5, size))
    top = int(rng.integers(0, size - side + 1))
    left = int(rng.integers(0, size - side + 1))
    for i in range(side):
        canvas[top + i, left + i] = value               # main diagonal
        canvas[top + i, left + side - 1 - i] = value    # anti-diagonal


_DRAWERS = (_draw_horizontal, _draw_vertical, _draw_square, _draw_cross)


def make_shapes(n_per_class: int = 200, size: int = 12, noise: float = 0.2,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``4 * n_per_class`` shape pictures as NumPy arrays.

    Args:
        n_per_class: pictures per class (>= 1).
        size: canvas height and width in pixels (>= 8).
        noise: standard deviation of the Gaussian noise added to every pixel (>= 0).
        seed: seed of the private ``numpy.random.Generator``.

    Returns:
        images: float32 array of shape (N, 1, size, size), N = 4 * n_per_class, values
            roughly in [0, 1] (shape pixels 0.6..1.0, background 0, plus noise);
        labels: int64 array of shape (N,), values 0..3 (see ``SHAPE_CLASSES``).
        The order is shuffled (classes are mixed), deterministically from ``seed``.
    """
    for name, value in (("n_per_class", n_per_class), ("size", size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"make_shapes: {name} must be an int, but got {type(value).__name__} "
                            f"{value!r}; pass a whole number such as {name}=12")
    if n_per_class < 1:
        raise ValueError(f"make_shapes: n_per_class must be at least 1, but got {n_per_class}")
    if size < _MIN_SIZE:
        raise ValueError(f"make_shapes: size must be at least {_MIN_SIZE} pixels (the shapes need room), "
                         f"but got {size}; use size={_MIN_SIZE} or more")
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)):
        raise TypeError(f"make_shapes: noise must be a number, but got {type(noise).__name__} {noise!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"make_shapes: noise must be a finite number >= 0 (a standard deviation), "
                         f"but got {noise}")

    rng = np.random.default_rng(seed)
    n_classes = len(_DRAWERS)
    total = n_classes * int(n_per_class)
    images = np.zeros((total, 1, size, size), dtype=np.float32)   # (N, 1, H, W)
    labels = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)  # (N,)

    for index, label in enumerate(labels):
        brightness = float(rng.uniform(0.6, 1.0))
        _DRAWERS[label](images[index, 0], rng, brightness)

    if noise > 0:
        images += rng.normal(0.0, noise, size=images.shape).astype(np.float32)

    order = rng.permutation(total)
    return images[order], labels[order]


def load_shapes(train: bool = True, n_per_class: int | None = None, size: int = 12,
                noise: float = 0.2, as_tensor: bool = True):
    """The lessons' train/test split of :func:`make_shapes`.

    The training set uses seed 0 (200 pictures per class by default), the test set seed 1
    (50 per class by default), so the two never share a picture by construction.

    Returns:
        ``(images, labels)``: Tensors of shape (N, 1, size, size) float32 and (N,) int64
        (or NumPy arrays with ``as_tensor=False``).
    """
    if n_per_class is None:
        n_per_class = 200 if train else 50
    images, labels = make_shapes(n_per_class=n_per_class, size=size, noise=noise,
                                 seed=0 if train else 1)
    if not as_tensor:
        return images, labels
    import teachnn  # imported here so the data set also works before teachnn's Tensor loads
    return teachnn.from_numpy(images), teachnn.from_numpy(labels)
