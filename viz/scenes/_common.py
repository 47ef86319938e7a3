"""Helpers shared by the scene plans: input checking, example numbers, arithmetic text."""
from __future__ import annotations

import numpy as np

from teachnn import geometry
from viz.plan import fmt, fmt_factor, impossible

# Beyond these sizes the numbers in the cells stop being readable.
MAX_CELLS = 16
MAX_CHANNELS = 4


def to_numpy(value, name: str) -> np.ndarray:
    """Accept a teachnn Tensor, a numpy array or nested lists; return float64 numpy."""
    data = getattr(value, "_data", value)
    if hasattr(data, "detach"):           # a torch tensor slipped in: use its numbers
        data = data.detach().cpu().numpy()
    try:
        return np.array(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}에는 텐서, numpy 배열 또는 숫자의 중첩 리스트를 넣어야 합니다 "
                        f"(입력: {type(value).__name__}).\n"
                        f"{name} must be a tensor, a numpy array or nested lists of numbers, "
                        f"but got {type(value).__name__}") from None


def positive(value, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """``ntuple`` plus a teaching error for values below ``minimum``."""
    values = geometry.ntuple(value, n, name)
    if any(v < minimum for v in values):
        raise impossible(f"{name} must be at least {minimum}, but got {value}.",
                         f"{name} 값은 {minimum} 이상이어야 합니다 (입력: {value}).")
    return values


def check_size_limit(sizes, what: str) -> None:
    if any(s > MAX_CELLS for s in sizes):
        raise impossible(
            f"The {what} is {tuple(sizes)}: cells larger than {MAX_CELLS} per side are too "
            f"small to read in an animation. Use a size of at most {MAX_CELLS}.",
            f"{what} 크기 {tuple(sizes)}는 애니메이션에서 읽기에 너무 큽니다. "
            f"한 변을 {MAX_CELLS} 이하로 줄여 보세요.")


def example_input(shape, seed: int = 0) -> np.ndarray:
    """Small whole numbers 0..9, the same for the same shape (easy mental arithmetic)."""
    rng = np.random.default_rng(seed + 7 * len(shape) + int(np.prod(shape)))
    return rng.integers(0, 10, size=shape).astype(np.float64)


def example_kernel(shape, seed: int = 1) -> np.ndarray:
    """Small whole weights -1..2, never all zero."""
    rng = np.random.default_rng(seed + 11 * len(shape) + int(np.prod(shape)))
    w = rng.integers(-1, 3, size=shape).astype(np.float64)
    if not w.any():
        w.flat[0] = 1.0
    return w


def products_text(pairs) -> list[str]:
    """[(x, w), ...] -> ['1x0', '2x(-1)', ...] with a proper multiplication sign."""
    return [f"{fmt_factor(x)}\u00d7{fmt_factor(w)}" for x, w in pairs]


def join_terms(terms: list[str], joiner: str = " + ", limit: int = 40) -> str:
    """Join terms; very long sums keep their first and last terms around '...'."""
    if len(terms) > limit:
        keep = limit // 2
        terms = terms[:keep] + ["..."] + terms[-keep:]
    return joiner.join(terms)


def index_text(index) -> str:
    return ", ".join(str(int(i)) for i in index)


def shape_text(shape) -> str:
    return "\u00d7".join(str(int(s)) for s in shape)


def compact(value):
    """(2, 2) -> 2 for titles; (1, 2) stays a tuple; strings pass through."""
    if isinstance(value, (tuple, list)) and len(set(value)) == 1:
        return value[0]
    return tuple(value) if isinstance(value, list) else value


def conv_size_formula(size, kernel, stride, pad_left, pad_right, dilation, out) -> str:
    """'floor((5 + 1 + 1 - 1*(3-1) - 1) / 2) + 1 = 3' for one axis, ``out`` from geometry."""
    if pad_left == pad_right:
        pad = f"2*{pad_left}"
    else:
        pad = f"{pad_left} + {pad_right}"
    return (f"floor(({size} + {pad} - {dilation}*({kernel}-1) - 1) / {stride}) + 1 = {out}")


__all__ = ["to_numpy", "positive", "check_size_limit", "example_input", "example_kernel",
           "products_text", "join_terms", "compact", "index_text", "shape_text", "conv_size_formula",
           "fmt", "MAX_CELLS", "MAX_CHANNELS"]
