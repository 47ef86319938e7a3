"""F.conv1d/2d/3d and F.conv_transpose1d/2d/3d: hand examples, gradcheck, PyTorch parity,
and the teaching errors for bad input.

Tolerances: float64 values and gradients agree with PyTorch to 1e-10 (both sum the same
products, in a different order); float32 to atol 1e-4 / rtol 1e-4 (sums of up to a few
hundred products of O(1) numbers, each rounded to ~6e-8 relative).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import teachnn
import teachnn.nn.functional as F
from teachnn.autograd import gradcheck
from tests.parity import assert_parity, requires_torch, torch

F32_TOL = dict(atol=1e-4, rtol=1e-4)

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
NAMES = {1: "conv1d", 2: "conv2d", 3: "conv3d"}


def t64(a, grad=True):
    return teachnn.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ---------------------------------------------------------------------------------------
# Hand-computed examples
# ---------------------------------------------------------------------------------------
def test_conv1d_hand_example_with_padding_and_stride():
    # x = [1, 2, 3, 4, 5], kernel [1, 0, -1], padding 1, stride 2:
    # padded [0, 1, 2, 3, 4, 5, 0]; windows at 0, 2, 4: [0,1,2] [2,3,4] [4,5,0]
    # out = [0 - 2, 2 - 4, 4 - 0] + bias 0.5 = [-1.5, -1.5, 4.5]
    x = teachnn.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    w = teachnn.tensor([[[1.0, 0.0, -1.0]]])
    b = teachnn.tensor([0.5])
    out = F.conv1d(x, w, b, stride=2, padding=1)
    np.testing.assert_array_equal(out._data, [[[-1.5, -1.5, 4.5]]])
    assert out.dtype == teachnn.float32


def test_conv2d_hand_example_and_gradients():
    # 3x3 input 1..9, 2x2 kernel of ones: each output is the sum of a 2x2 block
    x = teachnn.tensor(np.arange(1.0, 10.0).reshape(1, 1, 3, 3), requires_grad=True)
    w = teachnn.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    out = F.conv2d(x, w)
    np.testing.assert_array_equal(out._data, [[[[12, 16], [24, 28]]]])
    out.sum().backward()
    # the centre cell is in all 4 windows, edges in 2, corners in 1
    np.testing.assert_array_equal(x.grad._data, [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]])
    # dL/dw[a, b] = sum of the input cells that tap (a, b) sees
    np.testing.assert_array_equal(w.grad._data, [[[[12, 16], [24, 28]]]])


def test_conv_transpose1d_hand_example():
    # stride 2: input cell i writes x[i] * w at positions 2i, 2i+1, 2i+2 (overlaps add)
    x = teachnn.tensor([[[1.0, 10.0]]])
    w = teachnn.tensor([[[1.0, 2.0, 3.0]]])
    out = F.conv_transpose1d(x, w, stride=2)
    np.testing.assert_array_equal(out._data, [[[1, 2, 3 + 10, 20, 30]]])
    out = F.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1)
    np.testing.assert_array_equal(out._data, [[[2, 13, 20, 30]]])


def test_same_padding_even_kernel_puts_extra_cell_on_the_right():
    # kernel 4 needs 3 cells of padding: 1 left, 2 right (as PyTorch)
    x = teachnn.tensor(np.arange(1.0, 6.0).reshape(1, 1, 5))
    w = teachnn.tensor(np.ones((1, 1, 4)))
    out = F.conv1d(x, w, padding="same")
    # padded [0, 1, 2, 3, 4, 5, 0, 0]
    np.testing.assert_array_equal(out._data, [[[6, 10, 14, 12, 9]]])
    np.testing.assert_array_equal(F.conv1d(x, w, padding="valid")._data, [[[10, 14]]])


def test_unbatched_input_gives_unbatched_output_and_grad():
    x = t64(np.random.default_rng(0).standard_normal((3, 6, 5)))
    w = t64(np.random.default_rng(1).standard_normal((4, 3, 3, 3)))
    out = F.conv2d(x, w, padding=1)
    batched = F.conv2d(teachnn.tensor(x._data[None]), w, padding=1)
    assert out.shape == (4, 6, 5)
    np.testing.assert_allclose(out._data, batched._data[0], rtol=1e-12)
    out.sum().backward()
    assert x.grad.shape == (3, 6, 5)


# ---------------------------------------------------------------------------------------
# gradcheck (float64) for input, weight and bias of every variant
# ---------------------------------------------------------------------------------------
GRADCHECK_CASES = [
    # (dims, x shape, weight shape, kwargs)
    (1, (2, 3, 7), (4, 3, 3), dict(stride=2, padding=1)),
    (1, (1, 4, 9), (4, 2, 2), dict(dilation=3, groups=2, padding="same")),
    (2, (2, 2, 5, 4), (3, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0))),
    (2, (1, 4, 5, 5), (4, 1, 3, 3), dict(groups=4, dilation=2, padding=2)),
    (2, (1, 2, 4, 6), (2, 2, 2, 4), dict(padding="same")),
    (3, (1, 2, 4, 3, 5), (2, 2, 2, 2, 3), dict(stride=(1, 2, 2), padding=(1, 0, 1))),
]


@pytest.mark.parametrize("n, xs, ws, kw", GRADCHECK_CASES)
def test_conv_gradcheck(n, xs, ws, kw):
    rng = np.random.default_rng(sum(xs))
    x, w, b = t64(rng.standard_normal(xs)), t64(rng.standard_normal(ws)), t64(rng.standard_normal(ws[0]))
    assert gradcheck(lambda x, w, b: CONV[n](x, w, b, **kw), (x, w, b))


GRADCHECK_T_CASES = [
    (1, (2, 2, 4), (2, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    (2, (1, 4, 3, 2), (4, 1, 3, 2), dict(stride=(2, 3), groups=2, dilation=(2, 1))),
    (2, (1, 2, 3, 3), (2, 2, 4, 4), dict(stride=2, padding=1)),
    (3, (1, 2, 2, 3, 2), (2, 2, 2, 3, 2), dict(stride=(1, 2, 2), output_padding=(0, 1, 1))),
]


@pytest.mark.parametrize("n, xs, ws, kw", GRADCHECK_T_CASES)
def test_conv_transpose_gradcheck(n, xs, ws, kw):
    rng = np.random.default_rng(sum(xs))
    groups = kw.get("groups", 1)
    x, w = t64(rng.standard_normal(xs)), t64(rng.standard_normal(ws))
    b = t64(rng.standard_normal(ws[1] * groups))
    assert gradcheck(lambda x, w, b: CONV_T[n](x, w, b, **kw), (x, w, b))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_after_padding_mode_gradcheck(mode):
    # what nn.Conv2d(padding_mode=mode) does: F.pad then an unpadded conv
    rng = np.random.default_rng(3)
    x, w, b = t64(rng.standard_normal((1, 2, 4, 5))), t64(rng.standard_normal((2, 2, 3, 3))), t64([0.1, -0.2])
    assert gradcheck(lambda x, w, b: F.conv2d(F.pad(x, (1, 2, 1, 1), mode=mode), w, b), (x, w, b))


def test_gradient_without_bias_and_without_weight_grad():
    rng = np.random.default_rng(5)
    x = t64(rng.standard_normal((2, 3, 6)))
    w = t64(rng.standard_normal((2, 3, 3)), grad=False)
    assert gradcheck(lambda x: F.conv1d(x, w, None, padding=2), (x,))
    out = F.conv1d(x, w, padding=2)
    out.sum().backward()
    assert w.grad is None and x.grad is not None


def test_backward_twice_with_retain_graph_recomputes_the_freed_columns():
    rng = np.random.default_rng(6)
    x, w = t64(rng.standard_normal((2, 2, 5, 5))), t64(rng.standard_normal((3, 2, 3, 3)))
    out = F.conv2d(x, w, padding=1)
    out.sum().backward(retain_graph=True)
    first = w.grad._data.copy()
    out.sum().backward()
    np.testing.assert_allclose(w.grad._data, 2 * first, rtol=1e-12)


# ---------------------------------------------------------------------------------------
# PyTorch parity over hypothesis-drawn configurations
# ---------------------------------------------------------------------------------------
@st.composite
def conv_case(draw, transposed=False):
    n = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    batch = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(n))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(n))
    kw = {}
    if transposed:
        padding = tuple(draw(st.integers(0, 1)) for _ in range(n))
        out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        spatial = tuple(draw(st.integers(1, 4)) for _ in range(n))
        kw.update(stride=stride, padding=padding, output_padding=out_pad, dilation=dilation)
        sizes = [(L - 1) * s - 2 * p + d * (k - 1) + op + 1 for L, s, p, d, k, op in
                 zip(spatial, stride, padding, dilation, kernel, out_pad)]
        if min(sizes) < 1:
            kw["padding"] = 0
        wshape = (cin, cout // groups) + kernel
    else:
        pad_kind = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
        if pad_kind == "same":
            stride = (1,) * n
            pads = [(d * (k - 1)) for k, d in zip(kernel, dilation)]  # total padding
            padding = "same"
        elif pad_kind == "valid":
            pads, padding = [0] * n, "valid"
        elif pad_kind == "int":
            p = draw(st.integers(0, 2))
            pads, padding = [2 * p] * n, p
        else:
            padding = tuple(draw(st.integers(0, 2)) for _ in range(n))
            pads = [2 * p for p in padding]
        spatial = []
        for k, d, tot in zip(kernel, dilation, pads):
            low = max(1, d * (k - 1) + 1 - tot)          # low: kernel equals the padded input
            spatial.append(draw(st.integers(low, low + 3)))
        spatial = tuple(spatial)
        kw.update(stride=stride if len(set(stride)) > 1 or draw(st.booleans()) else stride[0],
                  padding=padding, dilation=dilation)
        wshape = (cout, cin // groups) + kernel
    kw["groups"] = groups
    bias = draw(st.booleans())
    unbatched = draw(st.integers(0, 5)) == 0
    xshape = ((batch,) if not unbatched else ()) + (cin,) + spatial
    return n, xshape, wshape, bias, kw


def _parity(n, xshape, wshape, bias, kw, transposed, dtype, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(xshape), rng.standard_normal(wshape)]
    if bias:
        groups = kw["groups"]
        arrays.append(rng.standard_normal(wshape[1] * groups if transposed else wshape[0]))
    name = ("conv_transpose%dd" if transposed else "conv%dd") % n

    def fn(lib, x, w, b=None):
        return getattr(lib.nn.functional, name)(x, w, b, **kw)

    tol = {} if dtype == "float64" else F32_TOL
    assert_parity(fn, arrays, dtype=dtype, seed=seed, **tol)


@requires_torch
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=conv_case(), dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 999))
def test_conv_parity_with_torch(case, dtype, seed):
    _parity(*case, False, dtype, seed)


@requires_torch
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=conv_case(transposed=True), dtype=st.sampled_from(["float64", "float32"]),
       seed=st.integers(0, 999))
def test_conv_transpose_parity_with_torch(case, dtype, seed):
    _parity(*case, True, dtype, seed)


@requires_torch
@pytest.mark.parametrize("n", [1, 2, 3])
def test_parity_larger_float32_layers(n):
    # a realistic layer size in float32 (the GEMM path with many products per output)
    rng = np.random.default_rng(n)
    spatial = {1: (40,), 2: (12, 11), 3: (5, 6, 7)}[n]
    x = rng.standard_normal((3, 16) + spatial)
    w = rng.standard_normal((8, 16) + (3,) * n) * 0.2
    b = rng.standard_normal(8)
    assert_parity(lambda lib, x, w, b: CONV_LIB(lib, n)(x, w, b, padding=1, stride=2),
                  [x, w, b], dtype="float32", **F32_TOL)
    wt = rng.standard_normal((16, 8) + (4,) * n) * 0.2
    assert_parity(lambda lib, x, w: getattr(lib.nn.functional, f"conv_transpose{n}d")(
        x, w, stride=2, padding=1), [x, wt], dtype="float32", **F32_TOL)


def CONV_LIB(lib, n):
    return getattr(lib.nn.functional, f"conv{n}d")


# ---------------------------------------------------------------------------------------
# Bad input: PyTorch's exception type and a message that teaches
# ---------------------------------------------------------------------------------------
def _x(*shape, dtype=np.float32):
    return teachnn.tensor(np.zeros(shape, dtype=dtype))


def test_wrong_number_of_dimensions_explains_the_layout():
    with pytest.raises(RuntimeError) as err:
        F.conv1d(_x(2, 3, 4, 5), _x(2, 3, 3))
    msg = str(err.value)
    assert "conv1d" in msg.lower()
    assert "[batch, channels, length] (3-d) or [channels, length] (2-d, unbatched)" in msg
    assert "4-d tensor of shape [2, 3, 4, 5]" in msg
    with pytest.raises(RuntimeError, match=r"\[batch, channels, height, width\].*1-d tensor"):
        F.conv2d(_x(5), _x(2, 3, 3, 3))


def test_channel_mismatch_names_both_counts():
    with pytest.raises(RuntimeError, match=r"expected input\[2, 5, 6, 6\] to have 3 channels, "
                                           r"but got 5 channels"):
        F.conv2d(_x(2, 5, 6, 6), _x(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match="to have 4 channels, but got 3"):
        F.conv_transpose2d(_x(2, 3, 6, 6), _x(4, 4, 3, 3))


def test_groups_must_divide_channels():
    with pytest.raises(RuntimeError, match="divisible by 2 at dimension 0"):
        F.conv2d(_x(1, 4, 5, 5), _x(3, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match="to have 6 channels"):
        F.conv2d(_x(1, 3, 5, 5), _x(4, 3, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match="non-positive groups"):
        F.conv2d(_x(1, 3, 5, 5), _x(4, 3, 3, 3), groups=0)


def test_kernel_larger_than_padded_input():
    with pytest.raises(RuntimeError, match=r"padded input size per channel: \(4 x 4\).*"
                                           r"Kernel size: \(5 x 5\)"):
        F.conv2d(_x(1, 1, 2, 2), _x(1, 1, 5, 5), padding=1)
    with pytest.raises(RuntimeError, match=r"Kernel size: \(5\)"):       # dilated 3 -> span 5
        F.conv1d(_x(1, 1, 4), _x(1, 1, 3), dilation=2)


def test_same_padding_with_stride_and_bad_strings():
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided"):
        F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="Invalid padding string 'foo'"):
        F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), padding="foo")
    with pytest.raises(TypeError, match="'same'/'valid' exist only"):
        F.conv_transpose2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), padding="same")


def test_output_padding_too_large():
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride "
                                           "or dilation"):
        F.conv_transpose2d(_x(1, 1, 3, 3), _x(1, 1, 3, 3), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.conv_transpose2d(_x(1, 1, 1, 1), _x(1, 1, 1, 1), padding=2)


def test_non_float_and_mismatched_dtypes():
    # PyTorch convolves int64 too, but only with an int64 weight
    with pytest.raises(RuntimeError, match=r"input is int64 but weight is float32.*"
                                           r"x.float\(\) / 255"):
        F.conv2d(teachnn.tensor(np.zeros((1, 1, 3, 3), np.int64)), _x(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match="input is float64 but weight is float32"):
        F.conv2d(_x(1, 1, 3, 3, dtype=np.float64), _x(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match="expected bias to be 1-dimensional with 2 elements"):
        F.conv2d(_x(1, 1, 3, 3), _x(2, 1, 3, 3), _x(3))
    with pytest.raises(TypeError, match="Tensor"):
        F.conv2d(np.zeros((1, 1, 3, 3)), _x(1, 1, 3, 3))


def test_bad_stride_padding_and_keywords():
    with pytest.raises(RuntimeError, match="non-positive stride"):
        F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), stride=0)
    with pytest.raises(RuntimeError, match="negative padding"):
        F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), padding=-1)
    with pytest.raises(RuntimeError, match="one per spatial dimension"):
        F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), stride=(1, 1, 1))
    with pytest.raises(TypeError, match="Did you mean 'stride'"):
        F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), strides=2)
    with pytest.raises(RuntimeError, match="4-d weight"):
        F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3))


# ---------------------------------------------------------------------------------------
# Fuzzing: random (often invalid) arguments never crash; teachnn fails exactly when PyTorch
# fails, and otherwise agrees with it.
# ---------------------------------------------------------------------------------------
@requires_torch
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_arguments_never_crash_and_fail_like_torch(data):
    n = data.draw(st.integers(1, 3))
    transposed = data.draw(st.booleans())
    ndim = data.draw(st.integers(n, n + 3))
    xshape = tuple(data.draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
    wndim = data.draw(st.sampled_from([n + 2, n + 2, n + 1]))
    wshape = tuple(data.draw(st.lists(st.integers(0, 4), min_size=wndim, max_size=wndim)))
    small = st.one_of(st.integers(-1, 3), st.tuples(*[st.integers(-1, 3)] * n))
    kw = dict(stride=data.draw(small), dilation=data.draw(small),
              groups=data.draw(st.integers(-1, 3)))
    if transposed:
        kw["padding"] = data.draw(small)
        kw["output_padding"] = data.draw(small)
    else:
        kw["padding"] = data.draw(st.one_of(small, st.sampled_from(["same", "valid"])))
    with_bias = data.draw(st.booleans())
    bshape = (data.draw(st.integers(0, 4)),)
    name = ("conv_transpose%dd" if transposed else "conv%dd") % n
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(xshape), rng.standard_normal(wshape)]
    arrays.append(rng.standard_normal(bshape) if with_bias else None)

    def run(lib):
        ts = [None if a is None else lib.tensor(a) for a in arrays]
        return getattr(lib.nn.functional, name)(*ts, **kw)

    try:
        expected = run(torch)
    except Exception:                       # noqa: BLE001 - any PyTorch refusal
        expected = None
    if expected is None or expected.numel() == 0:
        # PyTorch refuses (or returns an empty tensor from an empty input, which teachnn
        # reports as an error): teachnn must raise a normal Python exception, not crash
        try:
            got = run(teachnn)
        except (RuntimeError, ValueError, TypeError, NotImplementedError):
            return
        assert expected is not None, f"teachnn accepted what PyTorch refuses: {kw}, {xshape}"
        assert got._data.size == 0
        return
    got = run(teachnn)
    np.testing.assert_allclose(got._data, expected.numpy(), rtol=1e-9, atol=1e-9)


def test_empty_batch_gives_empty_output_and_mismatched_empty_channels_are_refused():
    w = teachnn.randn(3, 2, 3, 3, requires_grad=True)
    out = F.conv2d(teachnn.randn(0, 2, 5, 5), w, padding=1)
    assert out.shape == (0, 3, 5, 5)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad._data, np.zeros((3, 2, 3, 3)))
    assert F.conv_transpose2d(teachnn.randn(0, 3, 2, 2), w).shape == (0, 2, 4, 4)
    # no channels on both sides: PyTorch (2.13) returns an empty (N, 0, L_out) result
    assert F.conv1d(teachnn.randn(1, 0, 4), teachnn.randn(3, 0, 1)).shape == (1, 0, 4)
    with pytest.raises(RuntimeError, match="to have 0 channels, but got 2 channels"):
        F.conv1d(teachnn.randn(1, 2, 4), teachnn.randn(3, 0, 1))
    with pytest.raises(RuntimeError, match="Only zero batch or zero channel inputs"):
        F.conv1d(teachnn.randn(1, 2, 0), teachnn.randn(3, 2, 1), padding=1)
    with pytest.raises(RuntimeError, match="expected weight to be at least 1 at dimension 0"):
        F.conv1d(teachnn.randn(1, 2, 4), teachnn.randn(0, 2, 1))
