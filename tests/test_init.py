"""teachnn.nn.init: gains, fans, bounds, and the statistics of large draws.

Oracles: PyTorch's formulas written out by hand here, ``torch.nn.init`` for the deterministic
helpers, and sample statistics with tolerances of several standard errors.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
from teachnn.nn import init
from tests.parity import requires_torch, torch


def empty(*shape, dtype=np.float32):
    return teachnn.from_numpy(np.zeros(shape, dtype=dtype))


# ----------------------------------------------------------------------------- gain, fan

def test_calculate_gain_hand_values():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(2 / 6))
    assert init.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="Unsupported nonlinearity relu6.*Did you mean 'relu'"):
        init.calculate_gain("relu6")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "big")


@requires_torch
@pytest.mark.parametrize("name,param", [("linear", None), ("conv_transpose3d", None),
                                        ("tanh", None), ("relu", None), ("leaky_relu", None),
                                        ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


@pytest.mark.parametrize("shape,fans", [((20, 10), (10, 20)), ((16, 3, 5, 5), (75, 400)),
                                        ((8, 4, 3), (12, 24)), ((2, 3, 1, 2, 2), (12, 8))])
def test_fan_in_and_fan_out_by_hand(shape, fans):
    assert init._calculate_fan_in_and_fan_out(empty(*shape)) == fans
    assert init.calculate_fan_in_and_fan_out(empty(*shape)) == fans


def test_fan_needs_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_uniform_(empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(empty(3, 3), mode="fan_avg")


# ----------------------------------------------------------------------------- deterministic fills

def test_constant_zeros_ones_eye_keep_dtype_and_object():
    t = empty(3, 4)
    assert init.constant_(t, 0.5) is t
    assert t._data.dtype == np.float32 and np.all(t._data == 0.5)
    assert np.all(init.ones_(t)._data == 1) and not init.zeros_(t)._data.any()
    np.testing.assert_array_equal(init.eye_(t)._data, np.eye(3, 4))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(empty(2, 2, 2))
    with pytest.raises(TypeError, match="expects a Tensor"):
        init.zeros_(np.zeros(3))


def test_dirac_makes_the_identity_convolution():
    w = init.dirac_(empty(4, 2, 3, 3))
    expected = np.zeros((4, 2, 3, 3))
    expected[0, 0, 1, 1] = expected[1, 1, 1, 1] = 1
    np.testing.assert_array_equal(w._data, expected)
    w = init.dirac_(empty(4, 2, 3), groups=2)
    expected = np.zeros((4, 2, 3))
    expected[0, 0, 1] = expected[1, 1, 1] = expected[2, 0, 1] = expected[3, 1, 1] = 1
    np.testing.assert_array_equal(w._data, expected)


def test_init_works_on_parameters_without_recording_a_graph():
    p = nn.Parameter(empty(30, 20))
    init.kaiming_uniform_(p, a=math.sqrt(5))
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._data.any()


# ----------------------------------------------------------------------------- random fills

N_OUT, N_IN = 400, 500            # 200,000 draws: sample std is within ~0.5% of the truth


def check_uniform(t, bound):
    x = t._data.astype(np.float64)
    assert x.min() >= -bound and x.max() <= bound
    assert x.max() > 0.999 * bound and x.min() < -0.999 * bound   # reaches the bound
    n = x.size
    std = bound / math.sqrt(3)
    assert abs(x.mean()) < 5 * std / math.sqrt(n)
    assert x.std() == pytest.approx(std, rel=0.01)


def check_normal(t, std, mean=0.0):
    x = t._data.astype(np.float64)
    n = x.size
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(n)
    assert x.std() == pytest.approx(std, rel=0.01)
    # the fraction within one std of a normal distribution is 68.27%
    assert np.mean(np.abs(x - mean) < std) == pytest.approx(0.6827, abs=0.005)


def test_default_layer_init_bound_is_one_over_sqrt_fan_in():
    teachnn.manual_seed(0)
    w = init.kaiming_uniform_(empty(N_OUT, N_IN), a=math.sqrt(5))
    check_uniform(w, 1 / math.sqrt(N_IN))


@pytest.mark.parametrize("mode,nonlinearity,a", [("fan_in", "relu", 0), ("fan_out", "relu", 0),
                                                 ("fan_in", "leaky_relu", 0.1),
                                                 ("fan_out", "tanh", 0)])
def test_kaiming_uniform_and_normal(mode, nonlinearity, a):
    teachnn.manual_seed(1)
    fan = N_IN if mode == "fan_in" else N_OUT
    gain = init.calculate_gain(nonlinearity, a)
    w = init.kaiming_uniform_(empty(N_OUT, N_IN), a=a, mode=mode, nonlinearity=nonlinearity)
    check_uniform(w, gain * math.sqrt(3 / fan))
    w = init.kaiming_normal_(empty(N_OUT, N_IN), a=a, mode=mode, nonlinearity=nonlinearity)
    check_normal(w, gain / math.sqrt(fan))


def test_xavier_uniform_and_normal_on_a_conv_weight():
    teachnn.manual_seed(2)
    shape = (200, 100, 3, 3)                       # fan_in 900, fan_out 1800
    gain = init.calculate_gain("tanh")
    w = init.xavier_uniform_(empty(*shape), gain=gain)
    check_uniform(w, gain * math.sqrt(6 / (900 + 1800)))
    w = init.xavier_normal_(empty(*shape, dtype=np.float64), gain=gain)
    assert w._data.dtype == np.float64
    check_normal(w, gain * math.sqrt(2 / (900 + 1800)))


def test_uniform_and_normal():
    teachnn.manual_seed(3)
    u = init.uniform_(empty(N_OUT, N_IN), a=2.0, b=4.0)
    assert u._data.min() >= 2 and u._data.max() <= 4
    assert u._data.astype(np.float64).mean() == pytest.approx(3.0, abs=0.01)
    check_normal(init.normal_(empty(N_OUT, N_IN), mean=1.5, std=0.2), 0.2, mean=1.5)


def test_trunc_normal_stays_inside_and_has_the_truncated_std():
    teachnn.manual_seed(4)
    t = init.trunc_normal_(empty(N_OUT, N_IN, dtype=np.float64), mean=0.0, std=1.0, a=-1.0, b=2.0)
    x = t._data
    assert x.min() >= -1.0 and x.max() <= 2.0
    # moments of N(0,1) truncated to [a, b]:  Z = Phi(b) - Phi(a)
    pdf = lambda v: math.exp(-v * v / 2) / math.sqrt(2 * math.pi)       # noqa: E731
    cdf = lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))               # noqa: E731
    a, b = -1.0, 2.0
    z = cdf(b) - cdf(a)
    mean = (pdf(a) - pdf(b)) / z
    var = 1 + (a * pdf(a) - b * pdf(b)) / z - mean ** 2
    assert x.mean() == pytest.approx(mean, abs=5 * math.sqrt(var / x.size))
    assert x.std() == pytest.approx(math.sqrt(var), rel=0.01)
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(empty(2, 2), a=1.0, b=0.0)


def test_draws_are_reproducible_with_manual_seed_and_generators():
    teachnn.manual_seed(123)
    first = init.kaiming_uniform_(empty(5, 7))._data.copy()
    teachnn.manual_seed(123)
    second = init.kaiming_uniform_(empty(5, 7))._data.copy()
    np.testing.assert_array_equal(first, second)
    third = init.kaiming_uniform_(empty(5, 7))._data.copy()
    assert not np.array_equal(second, third)

    g1 = teachnn.Generator().manual_seed(7)
    g2 = teachnn.Generator().manual_seed(7)
    a = init.normal_(empty(4, 4), generator=g1)._data.copy()
    teachnn.manual_seed(999)                      # the global generator does not matter here
    b = init.normal_(empty(4, 4), generator=g2)._data.copy()
    np.testing.assert_array_equal(a, b)


def test_zero_element_tensor_warns_and_is_left_alone():
    t = empty(0, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert init.kaiming_uniform_(t) is t
    assert any("zero-element" in str(w.message) for w in caught)


from hypothesis import given, settings, strategies as st  # noqa: E402


@requires_torch
@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=5),
       mode=st.sampled_from(["fan_in", "fan_out"]),
       nonlinearity=st.sampled_from(["relu", "leaky_relu", "tanh", "linear", "sigmoid"]),
       a=st.sampled_from([0, 0.01, 0.2, 5 ** 0.5]))
def test_fans_and_kaiming_bounds_match_torch(shape, mode, nonlinearity, a):
    ours, theirs = empty(*shape), torch.empty(*shape)
    assert init._calculate_fan_in_and_fan_out(ours) == \
        torch.nn.init._calculate_fan_in_and_fan_out(theirs)
    fan = init._calculate_fan_in_and_fan_out(ours)[0 if mode == "fan_in" else 1]
    bound = init.calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    init.kaiming_uniform_(ours, a=a, mode=mode, nonlinearity=nonlinearity)
    torch.nn.init.kaiming_uniform_(theirs, a=a, mode=mode, nonlinearity=nonlinearity)
    # both libraries stay inside the same bound (float32 rounding allowed)
    assert np.abs(ours._data).max() <= bound * (1 + 1e-6)
    assert theirs.abs().max().item() <= bound * (1 + 1e-6)
