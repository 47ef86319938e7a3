"""Integer convolution and pooling, and the autograd graph of conv/pool, against PyTorch
(issue 18).

PyTorch pools integer tensors: max pooling (2-d, 3-d, and 1-d with return_indices) takes
every integer dtype, average pooling takes int64 and divides with C's integer division
(toward zero); it convolves int8 ... int64 and uint8 (dilated or transposed: int64 only);
the other combinations raise NotImplementedError. teachnn must give the same
values, dtypes and exception types, and its grad_fn graph must read like PyTorch's
(node names and next_functions), also for empty inputs and 1-d pooling.
"""
from __future__ import annotations

import numpy as np
import pytest

import teachnn
from tests.parity import requires_torch, torch

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_]

POOL_CALLS = {
    "max_pool1d": lambda F, x: F.max_pool1d(x[:, :, 0], 2),
    "max_pool1d_indices": lambda F, x: F.max_pool1d(x[:, :, 0], 3, 2, 1, return_indices=True),
    "max_pool2d": lambda F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    "max_pool2d_dilated": lambda F, x: F.max_pool2d(x, 2, 1, 1, 2, return_indices=True),
    "max_pool3d": lambda F, x: F.max_pool3d(x.unsqueeze(2), (1, 2, 3), return_indices=True),
    "avg_pool1d": lambda F, x: F.avg_pool1d(x[:, :, 0], 3, 2, 1, count_include_pad=False),
    "avg_pool2d": lambda F, x: F.avg_pool2d(x, 3, 2, 1),
    "avg_pool2d_ceil": lambda F, x: F.avg_pool2d(x, (1, 3), padding=(0, 1), ceil_mode=True,
                                                 count_include_pad=False),
    "avg_pool2d_divisor": lambda F, x: F.avg_pool2d(x, 2, divisor_override=-3),
    "avg_pool3d": lambda F, x: F.avg_pool3d(x.unsqueeze(2), (1, 2, 2), 1, (0, 1, 0),
                                            divisor_override=3),
    "adaptive_avg_pool2d": lambda F, x: F.adaptive_avg_pool2d(x, 3),
    "adaptive_avg_pool1d_1": lambda F, x: F.adaptive_avg_pool1d(x[:, :, 0], 1),
    "adaptive_max_pool1d": lambda F, x: F.adaptive_max_pool1d(x[:, :, 0], 2),
    "lp_pool2d_int_norm": lambda F, x: F.lp_pool2d(x, 2, 2),
    "lp_pool2d_inf": lambda F, x: F.lp_pool2d(x, float("inf"), 2),
    "max_unpool2d": lambda F, x: F.max_unpool2d(x, x.long().abs() % 4, 2),
}


def _outcome(lib, call, array):
    """("ok", [arrays]) or ("error", exception type)."""
    try:
        out = call(lib.nn.functional, lib.tensor(array))
    except Exception as err:  # noqa: BLE001 - the type is what is compared
        return "error", type(err)
    outs = out if isinstance(out, tuple) else (out,)
    return "ok", [np.asarray(o.numpy() if lib is torch else o._data) for o in outs]


@requires_torch
@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(POOL_CALLS))
@pytest.mark.parametrize("batch", [2, 0])
def test_integer_pooling_matches_pytorch(name, dtype, batch):
    # negative values too: integer averages round toward zero, not down
    values = np.random.default_rng(7).integers(-60, 60, (batch, 3, 5, 7))
    array = (values > 0) if dtype is np.bool_ else values.astype(dtype)
    expected = _outcome(torch, POOL_CALLS[name], array)
    got = _outcome(teachnn, POOL_CALLS[name], array)
    assert got[0] == expected[0], f"teachnn {got}, PyTorch {expected}"
    if expected[0] == "error":
        assert got[1] is expected[1]
        return
    for a, b in zip(got[1], expected[1]):
        assert a.dtype == b.dtype and a.shape == b.shape
        if a.dtype.kind == "f":     # lp_pool's final x^(1/p) of an integer sum is float32
            np.testing.assert_allclose(a, b, rtol=1e-6)
        else:
            np.testing.assert_array_equal(a, b)


CONV_CALLS = {
    "conv2d": lambda F, x, w, b: F.conv2d(x, w[:4], b[:4], stride=2, padding=1),
    "conv2d_groups_same": lambda F, x, w, b: F.conv2d(x[:, :2], w[:4, :1], groups=2,
                                                      padding="same"),
    "conv2d_dilated": lambda F, x, w, b: F.conv2d(x, w[:4], dilation=2),
    "conv1d_unbatched": lambda F, x, w, b: F.conv1d(x[0, :, 0], w[:4, :, 0], b[:4]),
    "conv3d": lambda F, x, w, b: F.conv3d(x.unsqueeze(2), w[:4].unsqueeze(2), padding=1),
    "conv_transpose2d": lambda F, x, w, b: F.conv_transpose2d(x, w[:3], b, stride=2,
                                                              output_padding=1),
    "conv_transpose1d_groups": lambda F, x, w, b: F.conv_transpose1d(
        x[:, :2, 0], w[:2, :3, 0], groups=2, dilation=2),
    "conv2d_empty_batch": lambda F, x, w, b: F.conv2d(x[:0], w[:4], b[:4]),
    "conv2d_mixed_dtype": lambda F, x, w, b: F.conv2d(x, w[:4].double()),
}


@requires_torch
@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(CONV_CALLS))
def test_integer_convolution_matches_pytorch(name, dtype):
    rng = np.random.default_rng(11)
    arrays = [rng.integers(-40, 40, (2, 3, 5, 6)), rng.integers(-6, 6, (6, 3, 2, 3)),
              rng.integers(-9, 9, 6)]
    arrays = [(a > 0) if dtype is np.bool_ else a.astype(dtype) for a in arrays]
    results = []
    for lib in (torch, teachnn):
        try:
            out = CONV_CALLS[name](lib.nn.functional, *[lib.tensor(a) for a in arrays])
            results.append(np.asarray(out.numpy() if lib is torch else out._data))
        except Exception as err:  # noqa: BLE001 - the type is what is compared
            results.append(type(err))
    expected, got = results
    if isinstance(expected, type):
        assert got is expected
        return
    assert isinstance(got, np.ndarray), f"teachnn raised {got}"
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)   # int8 sums wrap around in both


def test_integer_average_rounds_toward_zero_by_hand():
    x = teachnn.tensor(np.array([[[-7, -6, 5, 4, -3, 1, 2, 9]]]))
    F = teachnn.nn.functional
    # windows (-7, -6, 5) and (4, -3, 1): -8/3 -> -2, 2/3 -> 0
    np.testing.assert_array_equal(F.avg_pool1d(x, 3)._data, [[[-2, 0]]])
    # padding counted: (0, -7, -6) -> -13/3 -> -4; not counted: -13/2 -> -6
    np.testing.assert_array_equal(F.avg_pool1d(x, 3, padding=1)._data, [[[-4, 2, 4]]])
    np.testing.assert_array_equal(
        F.avg_pool1d(x, 3, padding=1, count_include_pad=False)._data, [[[-6, 2, 4]]])
    out, idx = F.max_pool1d(x, 4, return_indices=True)
    np.testing.assert_array_equal(out._data, [[[5, 9]]])
    np.testing.assert_array_equal(idx._data, [[[2, 7]]])
    assert out.dtype == teachnn.int64


# --------------------------------------------------------------------------------------
# The backward graph: node names and next_functions as PyTorch shows them
# --------------------------------------------------------------------------------------
def _graph(t, depth=3):
    """Node names along every path from t.grad_fn, depth levels deep."""
    def walk(node, level):
        if node is None:
            return None
        if level == depth:
            return type(node).__name__
        return (type(node).__name__, tuple(walk(n, level + 1) for n, _ in node.next_functions))
    return walk(t.grad_fn, 0)


GRAPHS = {
    "conv2d": lambda F, x, w, b, wt: F.conv2d(x, w),
    "conv2d_bias": lambda F, x, w, b, wt: F.conv2d(x, w, b),
    "conv2d_empty_batch": lambda F, x, w, b, wt: F.conv2d(x[:0], w),
    "conv2d_empty_batch_bias": lambda F, x, w, b, wt: F.conv2d(x[:0], w, b),
    "conv2d_no_channels": lambda F, x, w, b, wt: F.conv2d(x[:, :0], w[:, :0]),
    "conv2d_unbatched": lambda F, x, w, b, wt: F.conv2d(x[0], w, b),
    "conv2d_same_even": lambda F, x, w, b, wt: F.conv2d(x, w, padding="same").sum(),
    "conv1d": lambda F, x, w, b, wt: F.conv1d(x[:, :, 0], w[..., 0]),
    "conv3d": lambda F, x, w, b, wt: F.conv3d(x.unsqueeze(2), w.unsqueeze(2), b),
    "conv_transpose2d": lambda F, x, w, b, wt: F.conv_transpose2d(x, wt),
    "conv_transpose2d_empty": lambda F, x, w, b, wt: F.conv_transpose2d(x[:0], wt, b),
    "conv_transpose1d": lambda F, x, w, b, wt: F.conv_transpose1d(x[:, :, 0], wt[..., 0]),
    "max_pool1d": lambda F, x, w, b, wt: F.max_pool1d(x[:, :, 0], 2),
    "max_pool2d": lambda F, x, w, b, wt: F.max_pool2d(x, 2),
    "max_pool2d_empty": lambda F, x, w, b, wt: F.max_pool2d(x[:0], 2),
    "max_pool3d": lambda F, x, w, b, wt: F.max_pool3d(x.unsqueeze(2), (1, 2, 2)),
    "avg_pool1d": lambda F, x, w, b, wt: F.avg_pool1d(x[:, :, 0], 2),
    "avg_pool2d_unbatched": lambda F, x, w, b, wt: F.avg_pool2d(x[0], 2),
    "avg_pool3d": lambda F, x, w, b, wt: F.avg_pool3d(x.unsqueeze(2), (1, 2, 2)),
    "adaptive_avg_pool1d": lambda F, x, w, b, wt: F.adaptive_avg_pool1d(x[:, :, 0], 2),
    "adaptive_avg_pool1d_1": lambda F, x, w, b, wt: F.adaptive_avg_pool1d(x[:, :, 0], 1),
    "adaptive_avg_pool2d_1": lambda F, x, w, b, wt: F.adaptive_avg_pool2d(x, 1),
    "adaptive_max_pool1d": lambda F, x, w, b, wt: F.adaptive_max_pool1d(x[:, :, 0], 2),
    "adaptive_max_pool3d": lambda F, x, w, b, wt: F.adaptive_max_pool3d(x.unsqueeze(2), 2),
    "max_unpool1d": lambda F, x, w, b, wt: F.max_unpool1d(
        *F.max_pool1d(x[:, :, 0], 2, return_indices=True), 2),
    "max_unpool2d": lambda F, x, w, b, wt: F.max_unpool2d(
        *F.max_pool2d(x, 2, return_indices=True), 2, output_size=(5, 5)),
}


@requires_torch
@pytest.mark.parametrize("name", list(GRAPHS))
def test_grad_fn_graph_matches_pytorch(name):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 2, 2)),
              rng.standard_normal(4), rng.standard_normal((3, 4, 2, 2))]
    graphs = []
    for lib in (torch, teachnn):
        tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
        graphs.append(_graph(GRAPHS[name](lib.nn.functional, *tensors)))
    expected, got = graphs
    if name == "conv2d_same_even":
        # the explicit pad node is F.pad's (named by the padding code): compare the rest
        expected = str(expected).replace("ConstantPadNdBackward0", "PAD")
        got = str(got).replace("PadBackward", "PAD")
    assert got == expected


# --------------------------------------------------------------------------------------
# Layers with several bad arguments fail where PyTorch fails (constructor or forward),
# with PyTorch's type: the cases an earlier fuzz run found
# --------------------------------------------------------------------------------------
LAYER_CASES = [
    ("ConvTranspose1d", (2, 1, 1), dict(stride=(3, 1), dilation=(2.0,),
                                        output_padding="valid", bias=False), (2, 2, 4)),
    ("ConvTranspose1d", (4, 4, (1,)), dict(stride=0, padding=1, dilation=(), groups=2,
                                           output_padding=(0.0,)), (1, 4, 5)),
    ("ConvTranspose3d", (2, 2, (2, 2, 3)), dict(stride=(3, 3), padding=1.0,
                                                dilation=(1, 2, 2),
                                                output_padding=(0, 1, 1, 0)), (0, 0, 6, 3, 4)),
    ("Conv2d", (1, 1, (1, 2)), dict(stride=(1.0, 2.0), padding=2 ** 40, dilation=-1,
                                    padding_mode="reflect"), (1, 3, 4)),
    ("Conv3d", (3, 6, 0), dict(stride=[1], dilation=(1, 1, 2), groups=3,
                               padding_mode="replicate"), (5, 4, 6)),
    ("Conv2d", (4, 4, 0), dict(stride=(2, 1), padding=1, dilation="same", groups=2,
                               bias=False), (2, 4, 1, 6)),
    ("Conv2d", (2, 2, 3), dict(padding="same", stride="1"), (1, 2, 5, 5)),
    ("Conv1d", (2, 2, 2.0), dict(), (1, 2, 5)),
    ("Conv2d", (2, 2, -1), dict(), (1, 2, 5, 5)),
    ("ConvTranspose2d", (2, 2, 3), dict(padding="same"), (1, 2, 5, 5)),
    ("Conv2d", (0, 2, 3), dict(), (1, 0, 5, 5)),
    ("Conv2d", (-1, 2, 3), dict(), (1, 2, 5, 5)),
    ("Conv2d", (True, 2, 3), dict(), (1, 1, 5, 5)),
    ("Conv2d", (2, True, 3), dict(bias=False), (1, 2, 5, 5)),
    ("ConvTranspose2d", (2, True, 3), dict(bias=False), (1, 2, 5, 5)),
    ("ConvTranspose2d", (2, True, 3), dict(), (1, 2, 5, 5)),
    ("Conv1d", (2.0, 2, 3), dict(groups=0), (1, 2, 5)),
]


def _layer_outcome(lib, layer, args, kwargs, shape):
    """Where the layer fails: ("init"/"forward", exception type), or ("ok", None)."""
    try:
        module = getattr(lib.nn, layer)(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 - the type is what is compared
        return "init", type(err)
    try:
        module(lib.zeros(*shape))
    except Exception as err:  # noqa: BLE001
        return "forward", type(err)
    return "ok", None


@requires_torch
@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: f"{c[0]}{c[1]}")
def test_layers_with_bad_arguments_fail_where_pytorch_fails(case):
    assert _layer_outcome(teachnn, *case) == _layer_outcome(torch, *case)


@requires_torch
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_modes_on_bool_tensors(mode):
    array = np.random.default_rng(2).standard_normal((2, 3, 4)) > 0
    results = []
    for lib in (torch, teachnn):
        try:
            out = lib.nn.functional.pad(lib.tensor(array), (1, 2), mode=mode)
            results.append(np.asarray(out.numpy() if lib is torch else out._data))
        except Exception as err:  # noqa: BLE001
            results.append(type(err))
    expected, got = results
    if isinstance(expected, type):
        assert got is expected
    else:
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
