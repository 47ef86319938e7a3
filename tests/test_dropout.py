"""Dropout, Dropout1d, Dropout2d: training vs eval, scaling, mask reuse in backward, RNG.

PyTorch's random stream differs from NumPy's, so values are not compared with torch;
instead every property that defines dropout is asserted exactly.
"""
import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.tensor import Tensor
from tests.parity import requires_torch, torch


def t64(a, grad=True):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=grad)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_or_scales_each_element(p):
    teachnn.manual_seed(0)
    a = np.random.default_rng(0).uniform(1, 2, (200, 50))       # no zeros in the input
    y = F.dropout(t64(a, False), p=p, training=True)
    kept = y._data != 0
    np.testing.assert_allclose(y._data[kept], a[kept] / (1 - p), rtol=1e-15)
    # the dropped fraction is p within 4 standard deviations of a binomial
    n = a.size
    assert abs((~kept).mean() - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_dropout_backward_uses_the_same_mask():
    teachnn.manual_seed(1)
    x = t64(np.ones((20, 30)))
    y = F.dropout(x, p=0.3)
    r = np.random.default_rng(1).standard_normal((20, 30))
    (y * Tensor(r)).sum().backward()
    np.testing.assert_allclose(x.grad._data, r * y._data, rtol=1e-15)   # y = mask / (1 - p)


def test_dropout_eval_and_p_zero_are_identity():
    x = t64(np.arange(6.0))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    m = nn.Dropout(0.5)
    m.eval()
    assert m(x) is x and not m.training
    m.train()
    teachnn.manual_seed(2)
    assert (m(t64(np.ones(1000), False))._data == 0).any()


def test_dropout_p_one_drops_everything():
    x = t64(np.ones((3, 3)))
    y = F.dropout(x, 1.0)
    np.testing.assert_array_equal(y._data, np.zeros((3, 3)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, np.zeros((3, 3)))


def test_dropout_reproducible_with_manual_seed():
    x = t64(np.ones(100), False)
    teachnn.manual_seed(42)
    a = F.dropout(x, 0.5)._data.copy()
    teachnn.manual_seed(42)
    b = F.dropout(x, 0.5)._data.copy()
    c = F.dropout(x, 0.5)._data.copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dropout_keeps_dtype_and_inplace():
    x = Tensor(np.ones(50, dtype=np.float32))
    teachnn.manual_seed(3)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and x._data.dtype == np.float32
    assert set(np.unique(x._data)) <= {0.0, 2.0} and (x._data == 0).any()


@pytest.mark.parametrize("fn,shape", [(F.dropout2d, (4, 6, 3, 3)), (F.dropout1d, (4, 6, 5)),
                                      (F.dropout1d, (6, 5))])
def test_channel_dropout_drops_whole_channels(fn, shape):
    teachnn.manual_seed(4)
    a = np.random.default_rng(4).uniform(1, 2, shape)
    y = fn(t64(a, False), p=0.5)._data
    spatial = (-2, -1) if fn is F.dropout2d else (-1,)
    check_channels(a, y, shape, spatial)


def test_dropout2d_on_3d_input_follows_torch_legacy_rule():
    """PyTorch reads (A, B, C) as (N, C, L) for dropout2d and warns; so do we."""
    teachnn.manual_seed(5)
    a = np.random.default_rng(5).uniform(1, 2, (4, 6, 5))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d") as rec:
        y = F.dropout2d(t64(a, False), p=0.5)._data
    assert rec[0].filename == __file__
    check_channels(a, y, a.shape, (-1,))


def check_channels(a, y, shape, spatial):
    zero_channel = (y == 0).all(axis=spatial)
    kept_channel = (y != 0).all(axis=spatial)
    assert (zero_channel | kept_channel).all()                 # never a partial channel
    assert zero_channel.any() and kept_channel.any()
    kept = np.broadcast_to(np.expand_dims(kept_channel, spatial), shape)
    np.testing.assert_allclose(y[kept], a[kept] * 2)


def test_dropout_errors():
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        F.dropout(t64([1.0]), 1.5)
    with pytest.raises(ValueError, match="between 0 and 1, but got -0.1"):
        nn.Dropout(-0.1)
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D input.*\[batch, channels, "
                                           r"height, width\]"):
        F.dropout2d(t64(np.ones((2, 3))), 0.5)
    with pytest.raises(TypeError, match="Did you mean 'p'"):
        nn.Dropout(prob=0.3)


def test_dropout_reprs():
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout2d(0.2)) == "Dropout2d(p=0.2, inplace=False)"
    assert repr(nn.Dropout1d(0.1, inplace=True)) == "Dropout1d(p=0.1, inplace=True)"


@requires_torch
def test_dropout_reprs_match_torch():
    for make in (lambda lib: lib.nn.Dropout(), lambda lib: lib.nn.Dropout2d(0.2),
                 lambda lib: lib.nn.Dropout1d(0.1, True)):
        assert repr(make(teachnn)) == repr(make(torch))


def test_dropout_gradcheck_with_fixed_mask():
    from teachnn.autograd import gradcheck

    def f(x):
        teachnn.manual_seed(7)             # the same mask at every call of gradcheck
        return F.dropout(x, 0.4)
    x = t64(np.random.default_rng(7).standard_normal((4, 5)))
    assert gradcheck(f, (x,))

    def g(x):
        teachnn.manual_seed(8)
        return F.dropout2d(x, 0.5)
    assert gradcheck(g, (t64(np.random.default_rng(8).standard_normal((2, 3, 2, 2))),))


def test_dropout_in_eval_passes_integers_through_and_rejects_them_in_training():
    x = Tensor(np.array([1, 2, 3]))
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(RuntimeError, match=r"floating-point.*x.float\(\)"):
        F.dropout(x, 0.5, training=True)
