"""F.pad: hand examples for each mode, gradcheck, PyTorch parity over drawn shapes and
paddings (including negative = crop), and the errors for impossible paddings."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import teachnn
import teachnn.nn.functional as F
from teachnn.autograd import gradcheck
from tests.parity import assert_parity, requires_torch, torch


@pytest.mark.parametrize("mode, expected", [
    ("constant", [0, 0, 1, 2, 3, 0]),
    ("reflect", [3, 2, 1, 2, 3, 2]),        # mirror, the edge is not repeated
    ("replicate", [1, 1, 1, 2, 3, 3]),      # the edge is repeated
    ("circular", [2, 3, 1, 2, 3, 1]),       # wrap around
])
def test_hand_examples(mode, expected):
    x = teachnn.tensor([[[1.0, 2.0, 3.0]]])
    np.testing.assert_array_equal(F.pad(x, (2, 1), mode=mode)._data, [[expected]])


def test_constant_value_and_crop():
    x = teachnn.tensor([[1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_array_equal(F.pad(x, (1, -2), value=9.0)._data, [[9, 1, 2]])
    np.testing.assert_array_equal(F.pad(x, (0, 0, 1, 0), value=-1.0)._data,
                                  [[-1, -1, -1, -1], [1, 2, 3, 4]])


def test_circular_wraps_what_is_left_after_cropping():
    x = teachnn.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    np.testing.assert_array_equal(F.pad(x, (-1, 1), mode="circular")._data, [[[2, 3, 4, 2]]])


def test_gradient_of_reflect_counts_the_mirrored_reads():
    x = teachnn.tensor([[[1.0, 2.0, 3.0]]], requires_grad=True)
    F.pad(x, (2, 1), mode="reflect").sum().backward()
    # padded [3, 2, 1, 2, 3, 2]: cell 1 read once, cell 2 three times, cell 3 twice
    np.testing.assert_array_equal(x.grad._data, [[[1, 3, 2]]])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_gradcheck_every_mode(mode):
    rng = np.random.default_rng(0)
    x = teachnn.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda x: F.pad(x, (2, 1, 1, 2), mode=mode), (x,))
    x3 = teachnn.tensor(rng.standard_normal((1, 1, 3, 2, 3)), requires_grad=True)
    assert gradcheck(lambda x: F.pad(x, (1, 1, 0, 1, 2, -1), mode=mode), (x3,))


@requires_torch
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]),
       dtype=st.sampled_from(["float64", "float32"]))
def test_parity_with_torch(data, mode, dtype):
    k = data.draw(st.integers(1, 3))                     # number of padded axes
    ndim = data.draw(st.sampled_from([k + 1, k + 2]) if mode != "constant"
                     else st.integers(k, k + 2))
    shape = tuple(data.draw(st.integers(1, 4)) for _ in range(ndim))
    pads = []
    for axis in range(k):
        size = shape[ndim - 1 - axis]
        hi = {"reflect": size - 1, "circular": size}.get(mode, 3)
        left = data.draw(st.integers(-(size - 1) if mode != "constant" else -size, hi))
        right = data.draw(st.integers(max(-(size + left) + (mode != "constant"), -size), hi))
        if mode == "circular":            # wrap at most once around what cropping leaves
            kept = size - max(-left, 0) - max(-right, 0)
            if kept < 1:                  # cropped away entirely: pad only
                left, right, kept = max(left, 0), max(right, 0), size
            left, right = min(left, kept), min(right, kept)
        pads += [left, right]
    value = data.draw(st.floats(-2, 2)) if mode == "constant" else None
    x = np.random.default_rng(1).standard_normal(shape)
    kw = dict(mode=mode) if value is None else dict(mode=mode, value=value)
    tol = {} if dtype == "float64" else dict(atol=1e-6, rtol=1e-6)   # pad only copies
    assert_parity(lambda lib, x: lib.nn.functional.pad(x, tuple(pads), **kw), [x],
                  dtype=dtype, **tol)


def test_errors():
    x = teachnn.randn(1, 1, 3)
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding "
                                           "input dimension"):
        F.pad(x, (3, 3), mode="reflect")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        F.pad(x, (4, 4), mode="circular")
    with pytest.raises(RuntimeError, match=r"size 1 after cropping"):
        F.pad(x, (-2, 2), mode="circular")
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode"):
        F.pad(x, (1, 1), mode="zeros")
    with pytest.raises(NotImplementedError, match="not supported for 1D input"):
        F.pad(teachnn.randn(3), (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="less than or equal to two times the input dim"):
        F.pad(teachnn.randn(2, 5), (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match="negative output size"):
        F.pad(x, (-2, -2))
    with pytest.raises(TypeError, match="tuple of ints"):
        F.pad(x, 2)
