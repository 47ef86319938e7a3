"""The conv and pooling calls remember validated (shapes, dtypes, arguments) combinations
(issue 19): a warm cache must change neither a result nor an error. Each check runs the
same call on a cold cache and on a warm one and compares exception type and message, or
values against the reference kernels."""
from __future__ import annotations

import numpy as np
import pytest

import teachnn
import teachnn.nn.functional as F
from teachnn.kernels import pool as pool_kernels
from teachnn.nn._functional import conv as conv_functional
from teachnn.nn._functional import pooling as pool_functional


def _clear():
    conv_functional._CHECKED_CALLS.clear()
    pool_functional._PARSED_WINDOWS.clear()
    pool_functional._CHECKED_WINDOWS.clear()
    pool_functional._POOL_AXES.clear()
    pool_kernels._CHECKED_AXES.clear()


def _error(call):
    with pytest.raises(Exception) as info:
        call()
    return type(info.value), str(info.value)


def _data(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


X = _data(2, 3, 7, 7)
W = _data(4, 3, 3, 3, seed=1)

BAD_CONV_CALLS = [
    ("bool stride", lambda x, w: F.conv2d(x, w, stride=True)),
    ("float stride", lambda x, w: F.conv2d(x, w, stride=1.0)),
    ("float padding tuple", lambda x, w: F.conv2d(x, w, padding=(1.0, 1))),
    ("numpy bool groups", lambda x, w: F.conv2d(x, w, groups=np.bool_(True))),
    ("float64 weight", lambda x, w: F.conv2d(x, teachnn.tensor(W.astype(np.float64)))),
    ("wrong bias length", lambda x, w: F.conv2d(x, w, teachnn.tensor(np.zeros(3, np.float32)))),
]


@pytest.mark.parametrize("name,call", BAD_CONV_CALLS, ids=[c[0] for c in BAD_CONV_CALLS])
def test_conv_errors_survive_a_warm_cache(name, call):
    x, w = teachnn.tensor(X), teachnn.tensor(W)
    _clear()
    cold = _error(lambda: call(x, w))
    F.conv2d(x, w, stride=1, padding=1)          # the valid neighbours, now remembered
    F.conv2d(x, w)
    F.conv2d(x, w, teachnn.tensor(np.zeros(4, np.float32)), stride=(1, 1), padding=(1, 1))
    assert _error(lambda: call(x, w)) == cold


def test_conv_warm_calls_give_the_reference_values():
    _clear()
    bias = _data(4, seed=2)
    with teachnn.kernels.use("reference"):
        expected = F.conv2d(teachnn.tensor(X), teachnn.tensor(W), teachnn.tensor(bias),
                            padding=1).numpy()
    x = teachnn.tensor(X, requires_grad=True)
    for _ in range(2):                            # cold, then warm
        out = F.conv2d(x, teachnn.tensor(W), teachnn.tensor(bias), padding=1)
        np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    # same shape and arguments, other forms: a transposed view, float64,
    # and the unbatched form of one sample
    view = teachnn.tensor(np.ascontiguousarray(X.transpose(0, 1, 3, 2))).transpose(2, 3)
    np.testing.assert_allclose(F.conv2d(view, teachnn.tensor(W), teachnn.tensor(bias),
                                        padding=1).numpy(), expected, rtol=1e-5, atol=1e-5)
    double = F.conv2d(teachnn.tensor(X.astype(np.float64)), teachnn.tensor(W.astype(np.float64)),
                      teachnn.tensor(bias.astype(np.float64)), padding=1).numpy()
    assert double.dtype == np.float64
    np.testing.assert_allclose(double, expected, rtol=1e-5, atol=1e-5)
    for _ in range(2):
        one = F.conv2d(teachnn.tensor(X[1]), teachnn.tensor(W), teachnn.tensor(bias), padding=1)
        np.testing.assert_allclose(one.numpy(), expected[1], rtol=1e-5, atol=1e-5)


P = _data(2, 3, 8, 8, seed=3)

BAD_POOL_CALLS = [
    ("bool kernel", lambda x: F.max_pool2d(x, True)),
    ("float kernel", lambda x: F.max_pool2d(x, 2.0)),
    ("float stride", lambda x: F.max_pool2d(x, 2, stride=2.0)),
    ("padding too large", lambda x: F.max_pool2d(x, 2, padding=2)),
    ("wrong kernel length", lambda x: F.max_pool2d(x, (2, 2, 2))),
    ("avg float kernel", lambda x: F.avg_pool2d(x, 2.0)),
    ("kernel larger than input", lambda x: F.max_pool2d(x[:, :, :1, :1], 2)),
]


@pytest.mark.parametrize("name,call", BAD_POOL_CALLS, ids=[c[0] for c in BAD_POOL_CALLS])
def test_pool_errors_survive_a_warm_cache(name, call):
    x = teachnn.tensor(P)
    _clear()
    cold = _error(lambda: call(x))
    F.max_pool2d(x, 2)
    F.max_pool2d(x, 2, stride=2, padding=1)
    F.avg_pool2d(x, 2)
    F.max_pool2d(x[:, :, :1, :1], 1)
    assert _error(lambda: call(x)) == cold


def test_pool_warm_calls_give_the_reference_values():
    _clear()
    for fn, kwargs in ((F.max_pool2d, {"padding": 1}), (F.avg_pool2d, {"padding": 1}),
                       (F.max_pool2d, {})):
        with teachnn.kernels.use("reference"):
            expected = fn(teachnn.tensor(P), 2, **kwargs).numpy()
        for _ in range(2):                        # cold, then warm
            np.testing.assert_array_equal(fn(teachnn.tensor(P), 2, **kwargs).numpy(), expected)
            with teachnn.kernels.use("reference"):    # the other tier's tables
                np.testing.assert_array_equal(fn(teachnn.tensor(P), 2, **kwargs).numpy(),
                                              expected)


def test_check_axes_still_refuses_tables_it_has_not_checked():
    good = pool_kernels.pool_windows(8, 2, 2)
    x = P.reshape(6, 1, 8, 8)
    dummy = pool_kernels.pool_windows(1, 1, 1)
    pool_kernels.max_pool_forward(x, (dummy, good, good))          # remembered now
    # editable tables (not pool_windows' frozen ones) reaching past the axis
    lo = np.array([0, 2, 4, 7], dtype=np.int64)
    bad = pool_kernels.AxisWindows(8, lo, lo + 2, 1, np.full(4, 2, np.int64),
                                   np.full(4, 2, np.int64))
    for _ in range(2):
        with pytest.raises(ValueError, match="leave the axis"):
            pool_kernels.max_pool_forward(x, (dummy, good, bad))
    with pytest.raises(ValueError, match="axis of size 8"):      # remembered for size 8 only
        pool_kernels.max_pool_forward(P.reshape(6, 1, 4, 16), (dummy, good, good))
