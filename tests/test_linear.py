"""Linear, Identity, Flatten, Unflatten.

Oracles: a plain-loop reference for y = x A^T + b, gradcheck in float64, and PyTorch
parity (values, gradients, repr, state_dict keys; weights copied from torch's state_dict).
"""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.autograd import gradcheck
from teachnn.tensor import Tensor
from tests.parity import assert_parity, requires_torch, torch


def t64(a, grad=True):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def naive_linear(x, w, b):
    """y[..., o] = sum_i x[..., i] * w[o, i] + b[o], written as loops."""
    lead = x.shape[:-1]
    flat = x.reshape(-1, x.shape[-1])
    out = np.zeros((flat.shape[0], w.shape[0]))
    for m in range(flat.shape[0]):
        for o in range(w.shape[0]):
            s = 0.0
            for i in range(w.shape[1]):
                s += flat[m, i] * w[o, i]
            out[m, o] = s + (0.0 if b is None else b[o])
    return out.reshape(*lead, w.shape[0])


@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5), (2, 1, 2, 5)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_loops(shape, with_bias):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(shape), rng.standard_normal((4, 5)), rng.standard_normal(4)
    out = F.linear(t64(x, False), t64(w, False), t64(b, False) if with_bias else None)
    np.testing.assert_allclose(out._data, naive_linear(x, w, b if with_bias else None),
                               rtol=1e-12, atol=1e-12)
    assert out.shape == shape[:-1] + (4,)


@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5)])
def test_linear_gradcheck(shape):
    rng = np.random.default_rng(1)
    x, w, b = t64(rng.standard_normal(shape)), t64(rng.standard_normal((4, 5))), \
        t64(rng.standard_normal(4))
    assert gradcheck(F.linear, (x, w, b))
    assert gradcheck(lambda x, w: F.linear(x, w), (x, w))


@requires_torch
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=3), fin=st.integers(1, 6),
       fout=st.integers(1, 6), bias=st.booleans(), seed=st.integers(0, 1000))
def test_linear_parity_random_shapes(lead, fin, fout, bias, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((*lead, fin)), rng.standard_normal((fout, fin))]
    if bias:
        arrays.append(rng.standard_normal(fout))
    assert_parity(lambda lib, *a: lib.nn.functional.linear(*a), arrays)


def test_linear_module_defaults_and_init_bounds():
    teachnn.manual_seed(0)
    m = nn.Linear(64, 10)
    assert m.weight.shape == (10, 64) and m.bias.shape == (10,)
    assert m.weight._data.dtype == np.float32 and m.weight.requires_grad
    bound = 1 / math.sqrt(64)
    assert np.abs(m.weight._data).max() <= bound and np.abs(m.bias._data).max() <= bound
    # kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), +): its std is bound / sqrt(3)
    big = nn.Linear(400, 500)
    assert abs(big.weight._data.std() - (1 / math.sqrt(400)) / math.sqrt(3)) < 2e-4
    assert abs(big.weight._data.mean()) < 2e-4
    assert np.abs(big.weight._data).max() > 0.99 / math.sqrt(400)   # fills the whole range


def test_linear_init_reproducible_with_manual_seed():
    teachnn.manual_seed(123)
    a = nn.Linear(3, 2)
    teachnn.manual_seed(123)
    b = nn.Linear(3, 2)
    np.testing.assert_array_equal(a.weight._data, b.weight._data)
    np.testing.assert_array_equal(a.bias._data, b.bias._data)


def test_linear_state_dict_repr_and_options():
    m = nn.Linear(3, 2)
    assert list(m.state_dict().keys()) == ["weight", "bias"]
    assert repr(m) == "Linear(in_features=3, out_features=2, bias=True)"
    nb = nn.Linear(3, 2, bias=False)
    assert nb.bias is None and list(nb.state_dict().keys()) == ["weight"]
    assert repr(nb) == "Linear(in_features=3, out_features=2, bias=False)"
    d = nn.Linear(3, 2, dtype=teachnn.float64)
    assert d.weight._data.dtype == np.float64 and d.bias._data.dtype == np.float64
    assert d(t64(np.ones((1, 3)), False))._data.dtype == np.float64


def test_linear_wrong_last_dimension_teaches():
    m = nn.Linear(1024, 20)
    x = Tensor(np.zeros((32, 1000), dtype=np.float32))
    with pytest.raises(RuntimeError) as info:
        m(x)
    msg = str(info.value)
    assert ("Linear(in_features=1024) got input with last dimension 1000 "
            "(input shape [32, 1000]); the last dimension must equal in_features") in msg
    assert "nn.Linear(1000, 20)" in msg and "flatten" in msg
    with pytest.raises(RuntimeError, match=r"weight of shape \[20, 1024\]"):
        F.linear(x, m.weight)


def test_linear_on_unflattened_feature_maps_says_flatten():
    m = nn.Linear(64 * 4 * 4, 10)
    with pytest.raises(RuntimeError, match=r"Each sample has 64 \* 4 \* 4 = 1024 values: "
                                           r"flatten them first with x = x.flatten\(1\)"):
        m(Tensor(np.zeros((2, 64, 4, 4), dtype=np.float32)))


def test_linear_dtype_mismatch_teaches():
    m = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match=r"float64.*float32.*x.float\(\)"):
        m(t64(np.ones((1, 3)), False))


def test_linear_unknown_keyword():
    with pytest.raises(TypeError, match="Did you mean 'out_features'"):
        nn.Linear(3, out_feature=2)


@requires_torch
def test_linear_module_parity_after_loading_torch_state_dict():
    torch.manual_seed(0)
    tm = torch.nn.Linear(7, 4).double()
    m = nn.Linear(7, 4).double()
    m.load_state_dict(tm.state_dict())
    x = np.random.default_rng(2).standard_normal((3, 2, 7))
    out = m(t64(x))
    tout = tm(torch.tensor(x, requires_grad=True))
    np.testing.assert_allclose(out._data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    r = np.random.default_rng(3).standard_normal(out.shape)
    (out * Tensor(r)).sum().backward()
    (tout * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(m.weight.grad._data, tm.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.bias.grad._data, tm.bias.grad.numpy(), rtol=1e-12)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())


# ------------------------------------------------------------------ Identity / Flatten / Unflatten
def test_identity_returns_input():
    x = t64([1.0, 2.0])
    m = nn.Identity(54, unused_argument=0.1)
    assert m(x) is x
    assert repr(m) == "Identity()"
    assert list(m.state_dict().keys()) == []


@pytest.mark.parametrize("start,end,shape", [(1, -1, (2, 3, 4, 5)), (0, -1, (2, 3, 4)),
                                             (1, 2, (2, 3, 4, 5)), (-2, -1, (2, 3, 4))])
def test_flatten_shapes_and_gradient(start, end, shape):
    rng = np.random.default_rng(4)
    a = rng.standard_normal(shape)
    m = nn.Flatten(start, end)
    x = t64(a)
    y = m(x)
    s, e = start % len(shape), end % len(shape)
    expected = shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:]
    assert y.shape == expected
    np.testing.assert_array_equal(y._data, a.reshape(expected))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, np.ones(shape))


def test_flatten_unflatten_repr():
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 5))) == "Unflatten(dim=1, unflattened_size=(2, 5))"


def test_unflatten_round_trip_and_errors():
    a = np.arange(24.0).reshape(2, 12)
    y = nn.Unflatten(1, (3, -1))(t64(a))
    assert y.shape == (2, 3, 4)
    np.testing.assert_array_equal(y._data, a.reshape(2, 3, 4))
    back = nn.Flatten()(y)
    np.testing.assert_array_equal(back._data, a)
    with pytest.raises(RuntimeError, match=r"don't multiply up to the size of dim 1 \(12\)"):
        nn.Unflatten(1, (5, 2))(t64(a))
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, 12)


@requires_torch
def test_flatten_unflatten_parity():
    rng = np.random.default_rng(5)
    assert_parity(lambda lib, x: lib.nn.Unflatten(1, (2, 3))(lib.nn.Flatten(1, 2)(x)),
                  [rng.standard_normal((2, 3, 2, 4))])
    assert repr(torch.nn.Unflatten(1, (2, 5))) == repr(nn.Unflatten(1, (2, 5)))


def test_linear_in_sequential_trains_down():
    """A tiny regression learns y = 2x - 1 with SGD-by-hand: the gradients are usable."""
    teachnn.manual_seed(0)
    model = nn.Linear(1, 1).double()
    x = t64(np.linspace(-1, 1, 16).reshape(-1, 1), False)
    y = t64(2 * x._data - 1, False)
    for _ in range(300):
        model.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad.data
    np.testing.assert_allclose(model.weight._data, [[2.0]], atol=1e-3)
    np.testing.assert_allclose(model.bias._data, [-1.0], atol=1e-3)


@requires_torch
@pytest.mark.parametrize("xs,ws", [((0, 3), (2, 3)), ((2, 0), (2, 0)), ((4, 3), (0, 3))],
                         ids=["empty batch", "zero in_features", "zero out_features"])
def test_linear_empty_shapes_match_torch(xs, ws):
    rng = np.random.default_rng(9)
    assert_parity(lambda lib, x, w: lib.nn.functional.linear(x, w),
                  [rng.standard_normal(xs), rng.standard_normal(ws)])


def test_linear_grad_fn_names_like_torch_for_2d_input():
    x, w, b = t64(np.ones((2, 3))), t64(np.ones((4, 3))), t64(np.ones(4))
    assert F.linear(x, w, b).grad_fn.name() == "AddmmBackward0"
    assert F.linear(x, w).grad_fn.name() == "MmBackward0"


def test_linear_on_numpy_array_says_convert():
    with pytest.raises(TypeError, match=r"must be a Tensor, not ndarray.*from_numpy"):
        nn.Linear(3, 2)(np.ones((1, 3), dtype=np.float32))


def test_linear_accepts_numpy_ints_and_rejects_floats():
    m = nn.Linear(np.int64(3), np.int32(2))
    assert repr(m) == "Linear(in_features=3, out_features=2, bias=True)"
    with pytest.raises(TypeError, match="in_features must be a non-negative int"):
        nn.Linear(3.0, 2)
