"""teachnn.nn.utils: gradient clipping and parameter <-> vector conversion.

Checked by hand-computed examples (no PyTorch needed) and step-by-step parity with
torch.nn.utils on drawn gradients (float32 and float64, every norm type).
"""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import teachnn
import teachnn.nn as nn
from tests.parity import torch, requires_torch

U = nn.utils


def _params_with_grads(lib, arrays, grads):
    """Tensors (requires_grad) made from ``arrays`` whose .grad is set from ``grads`` (None = no grad)."""
    params = []
    for a, g in zip(arrays, grads):
        p = lib.tensor(a.copy(), requires_grad=True)
        if g is not None:
            p.grad = lib.tensor(g.copy())
        params.append(p)
    return params


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "numpy") and not isinstance(t, teachnn.Tensor)
                      else t._data)


# ---------------------------------------------------------------- hand-computed (no torch)
def test_clip_grad_norm_hand_example():
    # gradients (3, 4) and (12,): total 2-norm = sqrt(9 + 16 + 144) = 13
    a = teachnn.zeros(2, dtype=teachnn.float64, requires_grad=True)
    b = teachnn.zeros(1, dtype=teachnn.float64, requires_grad=True)
    a.grad = teachnn.tensor([3.0, 4.0], dtype=teachnn.float64)
    b.grad = teachnn.tensor([12.0], dtype=teachnn.float64)
    total = U.clip_grad_norm_([a, b], max_norm=1.0)
    assert float(total) == pytest.approx(13.0, rel=1e-15)
    coef = 1.0 / (13.0 + 1e-6)
    np.testing.assert_allclose(a.grad._data, [3 * coef, 4 * coef], rtol=1e-14)
    np.testing.assert_allclose(b.grad._data, [12 * coef], rtol=1e-14)
    # the new total norm is (just under) max_norm
    assert math.sqrt(float((a.grad._data ** 2).sum() + (b.grad._data ** 2).sum())) == pytest.approx(1.0, abs=1e-6)


def test_clip_grad_norm_does_not_scale_up_and_skips_missing_grads():
    a = teachnn.zeros(3, requires_grad=True)
    b = teachnn.zeros(2, requires_grad=True)          # no gradient: skipped
    a.grad = teachnn.tensor([1.0, -2.0, 2.0])          # norm 3 < max_norm 10
    total = U.clip_grad_norm_([a, b], 10.0)
    assert float(total) == pytest.approx(3.0)
    np.testing.assert_array_equal(a.grad._data, np.array([1.0, -2.0, 2.0], dtype=np.float32))
    assert b.grad is None


def test_clip_grad_norm_inf_and_one_norms_hand_example():
    a = teachnn.zeros(3, dtype=teachnn.float64, requires_grad=True)
    a.grad = teachnn.tensor([1.0, -5.0, 2.0], dtype=teachnn.float64)
    assert float(U.get_total_norm([a.grad], float("inf"))) == 5.0
    assert float(U.get_total_norm([a.grad], 1)) == 8.0
    # p = 0 counts non-zero entries per tensor, then non-zero *counts* (PyTorch's norm of norms)
    assert float(U.get_total_norm([a.grad], 0)) == 1.0
    assert float(U.get_total_norm([a.grad, teachnn.zeros(2), teachnn.ones(2)], 0)) == 2.0
    total = U.clip_grad_norm_(a, 2.5, norm_type="inf")     # a single tensor is accepted; 'inf' string
    assert float(total) == 5.0
    np.testing.assert_allclose(a.grad._data, np.array([1.0, -5.0, 2.0]) * 2.5 / (5.0 + 1e-6), rtol=1e-14)


def test_clip_grad_norm_empty_and_generator_warning():
    assert float(U.clip_grad_norm_([], 1.0)) == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        U.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_norm_error_if_nonfinite():
    a = teachnn.zeros(2, requires_grad=True)
    a.grad = teachnn.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        U.clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(np.isnan(a.grad._data), [True, False])   # untouched on error
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = U.clip_grad_norm_([a], 1.0)               # default: scales by the nan norm
    assert math.isnan(float(total)) and np.isnan(a.grad._data).all()


def test_clip_grad_value_hand_example():
    a = teachnn.zeros(4, requires_grad=True)
    a.grad = teachnn.tensor([-3.0, -0.5, 0.25, 7.0])
    grad_array = a.grad._data
    assert U.clip_grad_value_(a.grad is not None and [a], 1.0) is None
    np.testing.assert_array_equal(a.grad._data, np.array([-1.0, -0.5, 0.25, 1.0], dtype=np.float32))
    assert a.grad._data is grad_array                       # in place


def test_parameters_to_vector_and_back_hand_example():
    w = teachnn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = teachnn.tensor([7.0, 8.0], requires_grad=True)
    v = U.parameters_to_vector([w, b])
    np.testing.assert_array_equal(v._data, np.arange(1, 9, dtype=np.float32))
    # differentiable: d(sum(k * v_k))/dw = k
    (v * teachnn.arange(8).float()).sum().backward()
    np.testing.assert_array_equal(w.grad._data, [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(b.grad._data, [6, 7])

    new = teachnn.arange(10, 20).float()                   # 10 entries: the last two are ignored
    U.vector_to_parameters(new, [w, b])
    np.testing.assert_array_equal(w._data, [[10, 11, 12], [13, 14, 15]])
    np.testing.assert_array_equal(b._data, [16, 17])
    assert w.shape == (2, 3) and w.requires_grad
    new._data[0] = -1.0                                      # parameters are views of the vector
    assert w._data[0, 0] == -1.0


def test_errors_are_explained():
    w = teachnn.zeros(2, 3, requires_grad=True)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        U.vector_to_parameters([1.0] * 6, [w])
    with pytest.raises(RuntimeError, match="has 4 elements.*need at least 6"):
        U.vector_to_parameters(teachnn.zeros(4), [w])
    with pytest.raises(TypeError, match="not a Tensor"):
        U.clip_grad_norm_([w, 3.0], 1.0)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        U.clip_grad_value_(5, 1.0)
    with pytest.raises(ValueError, match="max_norm must be a number"):
        U.clip_grad_norm_([w], "big")                   # float('big') is a ValueError, as in torch
    with pytest.raises(TypeError, match="norm_type must be a number"):
        U.clip_grad_norm_([w], 1.0, norm_type=None)


def test_nn_utils_is_reachable_like_torch():
    import teachnn.nn.utils as nu
    assert teachnn.nn.utils is nu
    assert nu.clip_grad_norm_ is U.clip_grad_norm_


# ---------------------------------------------------------------- PyTorch parity
NORMS = [2.0, 1.0, 3.0, 0.5, float("inf"), 0.0]


@requires_torch
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_params=st.integers(1, 4),
       norm_type=st.sampled_from(NORMS), max_norm=st.floats(0.01, 20.0),
       dtype=st.sampled_from(["float32", "float64"]), scale=st.sampled_from([1e-3, 1.0, 30.0]))
def test_clip_grad_norm_matches_torch(seed, n_params, norm_type, max_norm, dtype, scale):
    rng = np.random.default_rng(seed)
    shapes = [tuple(rng.integers(1, 5, size=rng.integers(0, 4))) for _ in range(n_params)]
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [(rng.standard_normal(s) * scale).astype(dtype) if rng.random() > 0.2 else None
             for s in shapes]
    if norm_type == 0.0:   # make some exact zeros so the count is interesting
        grads = [None if g is None else np.where(np.abs(g) < 0.5 * scale, 0, g).astype(dtype) for g in grads]
    ours = _params_with_grads(teachnn, arrays, grads)
    theirs = _params_with_grads(torch, arrays, grads)
    t_ours = U.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    t_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    rtol = 2e-6 if dtype == "float32" else 1e-12
    assert t_ours.dtype == (teachnn.float32 if dtype == "float32" or all(g is None for g in grads)
                            else teachnn.float64)
    np.testing.assert_allclose(np.asarray(t_ours._data), t_theirs.numpy(), rtol=rtol)
    for p, q in zip(ours, theirs):
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            assert p.grad._data.dtype == q.grad.numpy().dtype
            np.testing.assert_allclose(p.grad._data, q.grad.numpy(), rtol=2 * rtol, atol=0)


@requires_torch
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), clip_value=st.floats(0.0, 3.0),
       dtype=st.sampled_from(["float32", "float64"]))
def test_clip_grad_value_matches_torch(seed, clip_value, dtype):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,), ()]
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [(rng.standard_normal(s) * 2).astype(dtype) for s in shapes[:2]] + [None]
    ours = _params_with_grads(teachnn, arrays, grads)
    theirs = _params_with_grads(torch, arrays, grads)
    U.clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, q in zip(ours, theirs):
        if q.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_array_equal(p.grad._data, q.grad.numpy())


@requires_torch
def test_clip_inside_a_training_step_matches_torch():
    """A real use: Linear -> MSE -> backward -> clip -> SGD, five steps, same numbers as torch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 5)).astype(np.float32)
    y = (rng.standard_normal((16, 3)) * 10).astype(np.float32)
    t_model = torch.nn.Linear(5, 3)
    model = nn.Linear(5, 3)
    model.load_state_dict({k: teachnn.tensor(v.numpy()) for k, v in t_model.state_dict().items()})
    runs = []
    for lib, m in ((teachnn, model), (torch, t_model)):
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        norms, losses = [], []
        for _ in range(5):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(m(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            norms.append(float(lib.nn.utils.clip_grad_norm_(m.parameters(), 1.0)))
            opt.step()
            losses.append(loss.item())
        runs.append((norms, losses))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-5)
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-5)
    assert runs[1][0][0] > 1.0                            # clipping was really active


@requires_torch
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), extra=st.integers(0, 3))
def test_parameters_vector_round_trip_matches_torch(seed, extra):
    rng = np.random.default_rng(seed)
    shapes = [tuple(rng.integers(1, 4, size=rng.integers(0, 4))) for _ in range(rng.integers(1, 4))]
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ours = [teachnn.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    v_ours, v_theirs = U.parameters_to_vector(ours), torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(v_ours._data, v_theirs.detach().numpy())
    assert v_ours.requires_grad and v_theirs.requires_grad
    w = rng.standard_normal(v_theirs.shape[0]).astype(np.float32)
    (v_ours * teachnn.tensor(w)).sum().backward()
    (v_theirs * torch.tensor(w)).sum().backward()
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad._data, q.grad.numpy())
    new = rng.standard_normal(v_theirs.shape[0] + extra).astype(np.float32)
    U.vector_to_parameters(teachnn.tensor(new), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs)
    for p, q in zip(ours, theirs):
        assert tuple(p.shape) == tuple(q.shape)
        np.testing.assert_array_equal(p._data, q.detach().numpy())
