"""Losses: functional and module form.

Oracles: naive per-sample loops for cross entropy / nll (weights, ignore_index, label
smoothing), closed formulas for the regression losses, gradcheck in float64, and PyTorch
parity for values and gradients of every loss and reduction.
"""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.autograd import gradcheck
from teachnn.tensor import Tensor
from tests.parity import assert_parity, requires_torch, torch

REDUCTIONS = ["mean", "sum", "none"]


def t64(a, grad=True):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def idx(a):
    return Tensor(np.array(a, dtype=np.int64))


# ------------------------------------------------------------------ naive references
def naive_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean", ls=0.0):
    """Cross entropy by loops over samples; x (N, C), t (N,)."""
    n, c = x.shape
    w = np.ones(c) if weight is None else weight
    losses, wsum = [], 0.0
    for i in range(n):
        if t[i] == ignore_index:
            losses.append(0.0)
            continue
        m = max(x[i])
        logz = m + math.log(sum(math.exp(v - m) for v in x[i]))
        logp = [v - logz for v in x[i]]
        nll = -w[t[i]] * logp[t[i]]
        smooth = -sum(w[k] * logp[k] for k in range(c))
        losses.append((1 - ls) * nll + ls / c * smooth)
        wsum += w[t[i]]
    losses = np.array(losses)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / wsum


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_matches_loops(reduction, weighted, ls):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4))
    t = np.array([0, 3, -100, 2, 1, 3])
    w = rng.uniform(0.5, 2.0, 4) if weighted else None
    out = F.cross_entropy(t64(x, False), idx(t), weight=None if w is None else t64(w, False),
                          reduction=reduction, label_smoothing=ls)
    np.testing.assert_allclose(out._data, naive_cross_entropy(x, t, w, -100, reduction, ls),
                               rtol=1e-12, atol=1e-12)


def test_cross_entropy_hand_example():
    # logits [0, 0] target 0: loss = log 2; logits [ln 3, 0] target 0: -log(3/4)
    out = F.cross_entropy(t64([[0.0, 0.0], [math.log(3), 0.0]], False), idx([0, 0]),
                          reduction="none")
    np.testing.assert_allclose(out._data, [math.log(2), -math.log(0.75)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ls", [0.0, 0.1])
def test_cross_entropy_gradcheck(reduction, ls):
    rng = np.random.default_rng(1)
    x = t64(rng.standard_normal((5, 3)))
    w = t64(rng.uniform(0.5, 2, 3), False)
    t = idx([0, 2, 1, -100, 2])
    assert gradcheck(lambda x: F.cross_entropy(x, t, weight=w, reduction=reduction,
                                               label_smoothing=ls), (x,))


def test_cross_entropy_probability_target_gradcheck_both_inputs():
    rng = np.random.default_rng(2)
    x = t64(rng.standard_normal((4, 3, 2)))
    p = rng.uniform(size=(4, 3, 2))
    tgt = t64(p / p.sum(1, keepdims=True))
    assert gradcheck(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), (x, tgt))


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.3])
@pytest.mark.parametrize("layout", ["2d", "4d", "unbatched"])
def test_cross_entropy_class_index_parity(reduction, weighted, ls, layout):
    rng = np.random.default_rng(3)
    shapes = {"2d": ((5, 4), (5,)), "4d": ((2, 4, 3, 2), (2, 3, 2)), "unbatched": ((4,), ())}
    xs, ts = shapes[layout]
    x = rng.standard_normal(xs)
    t = rng.integers(0, 4, ts)
    if layout != "unbatched":
        t.flat[0] = 7          # ignored below (ignore_index=7)
    arrays = [x, t] + ([rng.uniform(0.5, 2.0, 4)] if weighted else [])

    def fn(lib, x, t, *w):
        return lib.nn.functional.cross_entropy(x, t, weight=w[0] if w else None,
                                               ignore_index=7, reduction=reduction,
                                               label_smoothing=ls)
    assert_parity(fn, arrays, grad_inputs=[0])


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.25])
def test_cross_entropy_probability_target_parity(reduction, weighted, ls):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4, 2))
    p = rng.uniform(size=(3, 4, 2))
    arrays = [x, p / p.sum(1, keepdims=True)] + ([rng.uniform(0.5, 2, 4)] if weighted else [])

    def fn(lib, x, t, *w):
        return lib.nn.functional.cross_entropy(x, t, weight=w[0] if w else None,
                                               reduction=reduction, label_smoothing=ls)
    assert_parity(fn, arrays, grad_inputs=[0, 1])


@requires_torch
@given(n=st.integers(1, 6), c=st.integers(1, 6), seed=st.integers(0, 10_000),
       reduction=st.sampled_from(REDUCTIONS))
def test_cross_entropy_parity_random(n, c, seed, reduction):
    rng = np.random.default_rng(seed)
    assert_parity(lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, reduction=reduction),
                  [rng.standard_normal((n, c)) * 3, rng.integers(0, c, n)], grad_inputs=[0])


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_parity(reduction):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 3, 2))
    t = rng.integers(0, 3, (6, 2))
    t[0, 0] = -100
    w = rng.uniform(0.5, 2, 3)
    assert_parity(lambda lib, x, t, w: lib.nn.functional.nll_loss(x, t, w, reduction=reduction),
                  [x, t, w], grad_inputs=[0])


def test_all_targets_ignored_gives_nan_mean_like_torch():
    x = t64([[1.0, 2.0]])
    out = F.cross_entropy(x, idx([-100]), label_smoothing=0.1)
    assert np.isnan(out._data)
    out.backward()
    np.testing.assert_array_equal(x.grad._data, [[0.0, 0.0]])     # PyTorch: 0, not nan
    assert F.cross_entropy(t64([[1.0, 2.0]], False), idx([-100]), reduction="sum").item() == 0


def test_cross_entropy_huge_logits_are_stable():
    x = t64([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])
    loss = F.cross_entropy(x, idx([2, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad._data))
    np.testing.assert_allclose(loss.item(), 1000.0)      # (2000 + 0) / 2
    np.testing.assert_allclose(x.grad._data, [[0.5, 0, -0.5], [0, 0, 0]], atol=1e-12)


# ------------------------------------------------------------------ bad input
def test_float_class_target_teaches_long():
    with pytest.raises(RuntimeError) as info:
        F.cross_entropy(t64(np.zeros((4, 5))), t64([0.0, 1.0, 2.0, 3.0], False))
    msg = str(info.value)
    assert "expected class indices of dtype int64 (teachnn.long)" in msg
    assert "target.long()" in msg


def test_target_out_of_range_teaches():
    with pytest.raises(IndexError, match="Target 7 is out of bounds for 5 classes"):
        F.cross_entropy(t64(np.zeros((4, 5))), idx([0, 1, 7, 3]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds for 5 classes"):
        nn.NLLLoss()(t64(np.zeros((2, 5))), idx([0, -1]))


def test_target_shape_errors():
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target "
                                         r"batch_size \(3\)"):
        F.cross_entropy(t64(np.zeros((4, 5))), idx([0, 1, 2]))
    with pytest.raises(RuntimeError, match=r"expected target of shape \[4\].*argmax"):
        F.cross_entropy(t64(np.zeros((4, 5))), idx(np.zeros((4, 5), dtype=np.int64)))
    with pytest.raises(RuntimeError, match=r"got \[4, 1\].*target.squeeze\(1\)"):
        nn.CrossEntropyLoss()(t64(np.zeros((4, 5))), idx(np.zeros((4, 1), dtype=np.int64)))


def test_bad_weight_and_reduction_and_smoothing():
    with pytest.raises(RuntimeError, match="defined either for all 5 classes"):
        F.cross_entropy(t64(np.zeros((2, 5))), idx([0, 1]), weight=t64(np.ones(3), False))
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.mse_loss(t64([1.0]), t64([1.0]), reduction="avg")
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="average")
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(t64(np.zeros((2, 5))), idx([0, 1]), label_smoothing=1.5)


# ------------------------------------------------------------------ regression losses
def _regression_reference(name, d, param):
    z = np.abs(d)
    if name == "mse":
        return d * d
    if name == "l1":
        return z
    if name == "smooth_l1":
        return np.where(z < param, 0.5 * d * d / param, z - 0.5 * param)
    return np.where(z < param, 0.5 * d * d, param * (z - 0.5 * param))


REGRESSION = [
    ("mse", None, lambda lib, x, y, r: lib.nn.functional.mse_loss(x, y, reduction=r)),
    ("l1", None, lambda lib, x, y, r: lib.nn.functional.l1_loss(x, y, reduction=r)),
    ("smooth_l1", 0.5,
     lambda lib, x, y, r: lib.nn.functional.smooth_l1_loss(x, y, reduction=r, beta=0.5)),
    ("huber", 0.7, lambda lib, x, y, r: lib.nn.functional.huber_loss(x, y, reduction=r,
                                                                   delta=0.7)),
]


def _apart(rng, shape, param):
    """Inputs whose difference stays away from the kinks at 0 and +-param."""
    x = rng.standard_normal(shape)
    y = rng.standard_normal(shape)
    d = x - y
    for k in (0.0,) + ((param, -param) if param else ()):
        close = np.abs(d - k) < 1e-2
        x[close] += 0.05
        d = x - y
    return x, y


@pytest.mark.parametrize("name,param,fn", REGRESSION, ids=[r[0] for r in REGRESSION])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_formula(name, param, fn, reduction):
    rng = np.random.default_rng(6)
    x, y = _apart(rng, (3, 4), param)
    ref = _regression_reference(name, x - y, param)
    ref = {"none": ref, "sum": ref.sum(), "mean": ref.mean()}[reduction]
    np.testing.assert_allclose(fn(teachnn, t64(x), t64(y), reduction)._data, ref, rtol=1e-12)


@pytest.mark.parametrize("name,param,fn", REGRESSION, ids=[r[0] for r in REGRESSION])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_gradcheck_input_and_target(name, param, fn, reduction):
    rng = np.random.default_rng(7)
    x, y = _apart(rng, (2, 3), param)
    assert gradcheck(lambda a, b: fn(teachnn, a, b, reduction), (t64(x), t64(y)))


@requires_torch
@pytest.mark.parametrize("name,param,fn", REGRESSION, ids=[r[0] for r in REGRESSION])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_parity(name, param, fn, reduction):
    rng = np.random.default_rng(8)
    x, y = _apart(rng, (4, 3), param)
    assert_parity(lambda lib, x, y: fn(lib, x, y, reduction), [x, y])


@requires_torch
def test_mse_broadcasting_warns_and_matches_torch():
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((3, 1)), rng.standard_normal(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert_parity(lambda lib, x, y: lib.nn.functional.mse_loss(x, y), [x, y])
    with pytest.warns(UserWarning, match=r"target size \(torch.Size\(\[3\]\)\) that is "
                                         r"different to the input size") as rec:
        F.mse_loss(t64(x), t64(y))
    assert rec[0].filename == __file__


@requires_torch
@pytest.mark.parametrize("fname", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_regression_parity(fname, reduction):
    rng = np.random.default_rng(10)
    x, y = _apart(rng, (3, 4), 1.0)
    w = rng.uniform(0.1, 2, (3, 4))
    assert_parity(lambda lib, x, y, w: getattr(lib.nn.functional, fname)(
        x, y, reduction=reduction, weight=w), [x, y, w], grad_inputs=[0, 1])


def test_smooth_l1_beta_zero_is_l1():
    x, y = t64([1.0, -2.0, 0.5], False), t64([0.0, 0.0, 1.0], False)
    np.testing.assert_allclose(F.smooth_l1_loss(x, y, beta=0.0)._data, F.l1_loss(x, y)._data)


# ------------------------------------------------------------------ binary cross entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_formula_and_gradcheck(reduction):
    rng = np.random.default_rng(11)
    p, y, w = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(size=(3, 4)), rng.uniform(size=4)
    ref = -w * (y * np.log(p) + (1 - y) * np.log(1 - p))
    ref = {"none": ref, "sum": ref.sum(), "mean": ref.mean()}[reduction]
    out = F.binary_cross_entropy(t64(p), t64(y), weight=t64(w, False), reduction=reduction)
    np.testing.assert_allclose(out._data, ref, rtol=1e-12)
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, t64(w, False),
                                                         reduction=reduction), (t64(p), t64(y)))


def test_bce_log_clamped_at_minus_100():
    out = F.binary_cross_entropy(t64([0.0, 1.0], False), t64([1.0, 0.0], False),
                                 reduction="none")
    np.testing.assert_allclose(out._data, [100.0, 100.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_formula_and_gradcheck(reduction):
    rng = np.random.default_rng(12)
    x, y = rng.standard_normal((3, 4)) * 3, rng.uniform(size=(3, 4))
    w, pw = rng.uniform(size=(3, 1)), rng.uniform(0.5, 3, 4)
    s = 1 / (1 + np.exp(-x))
    ref = -w * (pw * y * np.log(s) + (1 - y) * np.log(1 - s))
    ref = {"none": ref, "sum": ref.sum(), "mean": ref.mean()}[reduction]
    f = lambda a, b: F.binary_cross_entropy_with_logits(  # noqa: E731
        a, b, weight=t64(w, False), pos_weight=t64(pw, False), reduction=reduction)
    np.testing.assert_allclose(f(t64(x), t64(y))._data, ref, rtol=1e-10)
    assert gradcheck(f, (t64(x), t64(y)))


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", [False, True])
def test_bce_parity(reduction, weights):
    rng = np.random.default_rng(13)
    p, y = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(size=(4, 3))
    extra = [rng.uniform(size=3)] if weights else []
    assert_parity(lambda lib, p, y, *w: lib.nn.functional.binary_cross_entropy(
        p, y, weight=w[0] if w else None, reduction=reduction), [p, y] + extra,
        grad_inputs=[0, 1])
    x = rng.standard_normal((4, 3)) * 4
    extra = [rng.uniform(size=(4, 1)), rng.uniform(0.5, 2, 3)] if weights else []
    assert_parity(lambda lib, x, y, *w: lib.nn.functional.binary_cross_entropy_with_logits(
        x, y, weight=w[0] if w else None, pos_weight=w[1] if w else None,
        reduction=reduction), [x, y] + extra, grad_inputs=[0, 1])


def test_bce_with_logits_huge_logit_is_finite():
    x = t64([1000.0, -1000.0, 1000.0])
    loss = F.binary_cross_entropy_with_logits(x, t64([1.0, 0.0, 0.0], False), reduction="none")
    np.testing.assert_allclose(loss._data, [0.0, 0.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad._data, [0.0, 0.0, 1.0])


def test_bce_bad_input_messages():
    with pytest.raises(RuntimeError, match="between 0 and 1.*sigmoid.*with_logits"):
        F.binary_cross_entropy(t64([2.0]), t64([1.0]))
    with pytest.raises(ValueError, match=r"target size \(torch.Size\(\[3, 1\]\)\)"):
        F.binary_cross_entropy(t64([0.5, 0.5, 0.5]), t64(np.ones((3, 1))))
    with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[3, 1\]\)\) must be the "
                                         r"same as input size \(torch.Size\(\[3\]\)\)"):
        F.binary_cross_entropy_with_logits(t64([0.5, 0.5, 0.5]), t64(np.ones((3, 1))))


# ------------------------------------------------------------------ modules
@requires_torch
def test_loss_modules_match_functional_and_torch():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((5, 3))
    t = rng.integers(0, 3, 5)
    w = rng.uniform(0.5, 2, 3)
    y = rng.standard_normal((5, 3))
    p = rng.uniform(0.1, 0.9, (5, 3))
    cases = [
        (lambda lib: lib.nn.CrossEntropyLoss(weight=lib.tensor(w), label_smoothing=0.1), x, t),
        (lambda lib: lib.nn.CrossEntropyLoss(reduction="sum", ignore_index=1), x, t),
        (lambda lib: lib.nn.NLLLoss(), x, t),
        (lambda lib: lib.nn.MSELoss(), x, y),
        (lambda lib: lib.nn.L1Loss(reduction="none"), x, y),
        (lambda lib: lib.nn.SmoothL1Loss(beta=0.3), x, y),
        (lambda lib: lib.nn.HuberLoss(delta=0.4), x, y),
        (lambda lib: lib.nn.BCELoss(weight=lib.tensor(w)), p, y.clip(0, 1)),
        (lambda lib: lib.nn.BCEWithLogitsLoss(pos_weight=lib.tensor(w)), x, p),
    ]
    for make, a, b in cases:
        assert_parity(lambda lib, a, b: make(lib)(a, b), [a, b], grad_inputs=[0])
        tm, pm = make(teachnn), make(torch)
        assert repr(tm) == repr(pm)
        assert list(tm.state_dict().keys()) == list(pm.state_dict().keys())


def test_loss_module_reprs_and_buffers():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss()) == "MSELoss()"
    m = nn.CrossEntropyLoss(weight=t64([1.0, 2.0], False))
    assert list(m.state_dict().keys()) == ["weight"]
    m2 = nn.BCEWithLogitsLoss(pos_weight=t64([1.0], False))
    assert list(m2.state_dict().keys()) == ["pos_weight"]
    assert list(nn.MSELoss().state_dict().keys()) == []


def test_legacy_size_average_reduce_flags():
    x, y = t64([1.0, 3.0], False), t64([0.0, 0.0], False)
    with pytest.warns(UserWarning, match="size_average and reduce") as rec:
        out = F.mse_loss(x, y, size_average=False)
    assert rec[0].filename == __file__
    assert out.item() == 10.0
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False)(x, y)._data.tolist() == [1.0, 3.0]


def test_functional_unknown_keyword_suggests():
    with pytest.raises(TypeError, match="Did you mean 'label_smoothing'"):
        F.cross_entropy(t64(np.zeros((2, 3))), idx([0, 1]), label_smooth=0.1)


@requires_torch
@pytest.mark.parametrize("make", [
    lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, label_smoothing=0.1),
    lambda lib, x, t: lib.nn.functional.nll_loss(lib.nn.functional.log_softmax(x, 1), t),
], ids=["cross_entropy", "nll_loss(log_softmax)"])
def test_float32_losses_keep_dtype_and_match_torch(make):
    rng = np.random.default_rng(15)
    t_out, _ = assert_parity(make, [rng.standard_normal((8, 5)) * 3, rng.integers(0, 5, 8)],
                             dtype="float32", atol=1e-5, rtol=1e-5, grad_inputs=[0])
    assert t_out[0]._data.dtype == np.float32


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_empty_batch_matches_torch(reduction):
    x, t = np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
    t_out, p_out = assert_parity(
        lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, reduction=reduction), [x, t],
        grad=False)
    if reduction == "mean":
        assert np.isnan(t_out[0].item())                   # 0 / 0, as in PyTorch


@requires_torch
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3),
       which=st.sampled_from(["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                              "binary_cross_entropy", "binary_cross_entropy_with_logits"]),
       reduction=st.sampled_from(REDUCTIONS), seed=st.integers(0, 10_000))
def test_elementwise_losses_parity_random_shapes(shape, which, reduction, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(shape)
    if which == "binary_cross_entropy":
        x = rng.uniform(0.05, 0.95, shape)
    else:
        x, _ = _apart(rng, shape, 1.0)
    y = rng.uniform(0, 1, shape)
    if which in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
        x, y = _apart(rng, shape, 1.0)
    assert_parity(lambda lib, x, y: getattr(lib.nn.functional, which)(x, y, reduction=reduction),
                  [x, y])


@requires_torch
@given(n=st.integers(1, 3), c=st.integers(2, 5), spatial=st.lists(st.integers(1, 3), max_size=2),
       weighted=st.booleans(), ls=st.sampled_from([0.0, 0.15]),
       reduction=st.sampled_from(REDUCTIONS), seed=st.integers(0, 10_000))
def test_cross_entropy_kd_parity_random(n, c, spatial, weighted, ls, reduction, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *spatial)) * 2
    t = rng.integers(0, c, (n, *spatial))
    t.flat[rng.integers(0, t.size)] = -100                      # one ignored position
    arrays = [x, t] + ([rng.uniform(0.5, 2, c)] if weighted else [])
    assert_parity(lambda lib, x, t, *w: lib.nn.functional.cross_entropy(
        x, t, weight=w[0] if w else None, reduction=reduction, label_smoothing=ls),
        arrays, grad_inputs=[0])
