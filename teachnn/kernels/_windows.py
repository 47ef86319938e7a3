"""Small jitted helpers shared by the convolution kernels."""
from numba import njit


@njit(cache=True, inline="always")
def _valid_columns(offset, stride, size, out_size):
    """Range [lo, hi) of output columns k whose input index k*stride + offset is in [0, size)."""
    lo = 0
    if offset < 0:
        lo = (-offset + stride - 1) // stride          # ceil(-offset / stride)
    hi = 0
    if size - 1 - offset >= 0:
        hi = (size - 1 - offset) // stride + 1
    if hi > out_size:
        hi = out_size
    if lo > hi:
        lo = hi
    return lo, hi



