"""The fast kernels of the dense ops (LayerNorm, BatchNorm, ReLU, softmax / log_softmax,
nll_loss / cross_entropy) against their oracles.

Oracles: PyTorch in float32 (the precision a learner trains in) and float64, gradcheck in
float64, NumPy formulas, and hand-written edge cases (NaN, -0.0, -inf and huge logits,
ignored targets, empty batches). The row and channel kernels split their work over threads
above a size; ``split_everything`` forces that split (into 3 uneven pieces) on small inputs,
so the threaded path is checked on any machine.
"""
import numpy as np
import pytest

import teachnn
import teachnn.nn.functional as F
from teachnn.autograd import gradcheck
from teachnn.kernels import elementwise, normalization
from tests.parity import requires_torch, torch


@pytest.fixture(params=["one piece", "three pieces"])
def split_everything(request, monkeypatch):
    """Run the row / channel kernels in one piece, or split into 3 pieces at any size."""
    if request.param == "three pieces":
        monkeypatch.setattr(normalization, "PARALLEL_MIN_ELEMENTS", 0)
        monkeypatch.setattr(normalization, "thread_count", lambda: 3)
    return request.param


def _pair(array, requires_grad=True):
    ours = teachnn.tensor(array).requires_grad_(requires_grad)
    theirs = torch.tensor(array).requires_grad_(requires_grad)
    return ours, theirs


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t._data)


# ---------------------------------------------------------------------------------------
# LayerNorm
# ---------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, norm", [((7, 5, 33), (33,)), ((1, 40), (40,)),
                                         ((3, 4, 6), (4, 6)), ((5, 1), (1,))])
def test_layer_norm_matches_torch(split_everything, dtype, shape, norm):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(norm).astype(dtype)
    b = rng.standard_normal(norm).astype(dtype)
    (xo, xt), (wo, wt), (bo, bt) = _pair(x), _pair(w), _pair(b)
    yo = F.layer_norm(xo, norm, wo, bo, 1e-5)
    yt = torch.nn.functional.layer_norm(xt, norm, wt, bt, 1e-5)
    yo.backward(teachnn.tensor(g))
    yt.backward(torch.tensor(g))
    tol = dict(rtol=1e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    assert yo.dtype == (teachnn.float32 if dtype == np.float32 else teachnn.float64)
    for ours, theirs in ((yo, yt), (xo.grad, xt.grad), (bo.grad, bt.grad)):
        np.testing.assert_allclose(_np(ours), _np(theirs), **tol)
    if np.prod(norm) == 1:
        # one element per row: x_hat is exactly 0, so is dL/dweight; PyTorch's float32
        # x_hat is 0 only up to rounding times inv_std (about 316), hence the looser atol
        np.testing.assert_array_equal(_np(wo.grad), 0)
        tol = dict(rtol=0, atol=1e-4)
    np.testing.assert_allclose(_np(wo.grad), _np(wt.grad), **tol)


def test_layer_norm_gradcheck(split_everything):
    rng = np.random.default_rng(2)
    x = teachnn.tensor(rng.standard_normal((4, 3, 5))).requires_grad_(True)
    w = teachnn.tensor(rng.standard_normal(5)).requires_grad_(True)
    b = teachnn.tensor(rng.standard_normal(5)).requires_grad_(True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (5,), w, b), (x, w, b))


def test_layer_norm_float32_statistics_are_accurate_for_offset_rows():
    """Sums in float32 lanes still give the mean and variance of rows far from 0 (the
    second pass sums squares of x - mean, not x^2)."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((6, 512)) + 1000).astype(np.float32)
    _, mean, inv_std = normalization.layer_norm_rows(x, 512)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(1), rtol=1e-6)
    np.testing.assert_allclose(inv_std, 1 / np.sqrt(x64.var(1) + 1e-5), rtol=1e-6)


def test_layer_norm_empty_and_nan_rows():
    out, mean, inv_std = normalization.layer_norm_rows(np.zeros((0, 4), np.float32), 4)
    assert out.shape == (0, 4) and mean.shape == inv_std.shape == (0,)
    x = np.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]], np.float32)
    out, _, _ = normalization.layer_norm_rows(x, 3)
    assert np.isnan(out[0]).all()                      # NaN spreads over its row only
    np.testing.assert_allclose(out[1], [-1.2247427, 0.0, 1.2247427], rtol=1e-5)


# ---------------------------------------------------------------------------------------
# BatchNorm (training: batch statistics; eval: running statistics)
# ---------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6, 5, 4, 3), (8, 3), (2, 7, 9)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_torch(split_everything, dtype, shape, training):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    c = shape[1]
    w, b = rng.uniform(0.5, 2, c).astype(dtype), rng.standard_normal(c).astype(dtype)
    stats = [rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)]
    (xo, xt), (wo, wt), (bo, bt) = _pair(x), _pair(w), _pair(b)
    rm_o, rv_o = (teachnn.tensor(s.copy()) for s in stats)
    rm_t, rv_t = (torch.tensor(s.copy()) for s in stats)
    yo = F.batch_norm(xo, rm_o, rv_o, wo, bo, training=training, momentum=0.1, eps=1e-5)
    yt = torch.nn.functional.batch_norm(xt, rm_t, rv_t, wt, bt, training=training,
                                        momentum=0.1, eps=1e-5)
    yo.backward(teachnn.tensor(g))
    yt.backward(torch.tensor(g))
    tol = dict(rtol=1e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for ours, theirs in ((yo, yt), (xo.grad, xt.grad), (wo.grad, wt.grad), (bo.grad, bt.grad),
                         (rm_o, rm_t), (rv_o, rv_t)):
        np.testing.assert_allclose(_np(ours), _np(theirs), **tol)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(split_everything, training):
    rng = np.random.default_rng(5)
    x = teachnn.tensor(rng.standard_normal((3, 4, 5))).requires_grad_(True)
    w = teachnn.tensor(rng.uniform(0.5, 2, 4)).requires_grad_(True)
    b = teachnn.tensor(rng.standard_normal(4)).requires_grad_(True)
    rm, rv = rng.standard_normal(4), rng.uniform(0.5, 2, 4)

    def f(x, w, b):                  # fresh running statistics: gradcheck calls f many times
        return F.batch_norm(x, teachnn.tensor(rm.copy()), teachnn.tensor(rv.copy()), w, b,
                            training=training)
    assert gradcheck(f, (x, w, b))


def test_batch_norm_input_changed_in_place_after_forward_is_caught():
    """Backward recomputes x_hat from the saved input, so, as in PyTorch, changing the
    input in place before backward is an error, not a silently wrong gradient."""
    x = teachnn.tensor(np.random.default_rng(6).standard_normal((4, 3))).requires_grad_(True)
    h = x * 1.0
    y = F.batch_norm(h, None, None, training=True)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_scale_shift_and_backward_from_x_match_numpy(split_everything):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 5, 4))
    mean, var = normalization.group_stats(x, x.shape)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(var, x.var(axis=(0, 2)), rtol=1e-12)
    alpha, beta = rng.standard_normal(5), rng.standard_normal(5)
    out = normalization.scale_shift(x, x.shape, alpha, beta)
    np.testing.assert_allclose(out, x * alpha[:, None] + beta[:, None], rtol=1e-12)
    g, inv_std, scale = rng.standard_normal(x.shape), 1 / np.sqrt(var + 1e-5), rng.random(5)
    x_hat = (x - mean[:, None]) * inv_std[:, None]
    grad, sum_g, sum_gx = normalization.normalize_backward_from_x(g, x, x.shape, mean,
                                                                  inv_std, scale)
    ref, ref_g, ref_gx = normalization.normalize_backward(g, x_hat, x.shape, scale)
    np.testing.assert_allclose(grad, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sum_g, ref_g, rtol=1e-12)
    np.testing.assert_allclose(sum_gx, ref_gx, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------
# ReLU
# ---------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_special_values_match_torch(dtype):
    """-0.0 stays -0.0, NaN stays NaN, and the gradient passes where the output is NaN
    (PyTorch's threshold_backward masks only where the output is <= 0)."""
    x = np.array([-0.0, np.nan, 0.0, -1.0, 2.0, -np.inf, np.inf, 1e-45], dtype)
    g = np.arange(1, 9, dtype=dtype)
    xo, xt = _pair(x)
    yo, yt = F.relu(xo), torch.relu(xt)
    yo.backward(teachnn.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(_np(yo), _np(yt))
    np.testing.assert_array_equal(np.signbit(_np(yo)), np.signbit(_np(yt)))
    np.testing.assert_array_equal(_np(xo.grad), _np(xt.grad))


@pytest.mark.parametrize("shape", [(0,), (1,), (3, 17), (2, 3, 4, 5)])
def test_relu_kernels_match_numpy(shape):
    rng = np.random.default_rng(8)
    for dtype in (np.float32, np.float64, np.float16):
        x = rng.standard_normal(shape).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        y = elementwise.relu(x)
        assert y.dtype == dtype and y.shape == x.shape
        np.testing.assert_array_equal(y, np.where(x < 0, 0, x).astype(dtype))
        np.testing.assert_array_equal(elementwise.relu_backward(g, y),
                                      np.where(y > 0, g, 0).astype(dtype))


def test_relu_gradcheck_and_integer_input():
    x = teachnn.tensor(np.array([[-1.5, 0.3], [2.0, -0.2]])).requires_grad_(True)
    assert gradcheck(F.relu, (x,))
    np.testing.assert_array_equal(F.relu(teachnn.tensor([-2, 0, 3]))._data, [0, 0, 3])


# ---------------------------------------------------------------------------------------
# softmax, log_softmax, nll_loss, cross_entropy
# ---------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("offset, scale", [(0, 1), (0, 30), (1000, 1), (-1e4, 1), (1e5, 100)])
def test_log_softmax_float32_keeps_the_digits_of_large_logits(offset, scale):
    """(x - max) - log(sum) in this order: large logits lose nothing to regrouping."""
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((16, 333)) * scale + offset).astype(np.float32)
    for ours, theirs in ((normalization.log_softmax_rows, torch.log_softmax),
                         (normalization.softmax_rows, torch.softmax)):
        np.testing.assert_allclose(ours(x, 1), theirs(torch.tensor(x), 1).numpy(),
                                   rtol=1e-5, atol=2e-6)


@requires_torch
def test_log_softmax_inf_and_nan_rows_match_torch():
    x = np.array([[-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf], [np.nan, 1.0, 2.0],
                  [np.inf, 1.0, 2.0]], np.float32)
    for ours, theirs in ((normalization.log_softmax_rows, torch.log_softmax),
                         (normalization.softmax_rows, torch.softmax)):
        np.testing.assert_array_equal(ours(x, 1), theirs(torch.tensor(x), 1).numpy())


@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(9, 7), (4, 5, 3, 2), (6,), (0, 4)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll_match_torch(dtype, shape, weighted, smoothing, reduction):
    rng = np.random.default_rng(10)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    t_shape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    t = rng.integers(0, n_classes, t_shape)
    if t.size:
        t.reshape(-1)[::3] = -100                        # ignore_index at every third place
    w = rng.uniform(0.2, 2, n_classes).astype(dtype) if weighted else None
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for name in ("cross_entropy", "nll_loss"):
        xo, xt = _pair(x)
        kw = dict(reduction=reduction, ignore_index=-100)
        if name == "cross_entropy":
            kw["label_smoothing"] = smoothing
        lo = getattr(F, name)(xo, teachnn.tensor(t), None if w is None else teachnn.tensor(w),
                              **kw)
        lt = getattr(torch.nn.functional, name)(xt, torch.tensor(t),
                                                None if w is None else torch.tensor(w), **kw)
        g = rng.standard_normal(lt.shape).astype(dtype)
        lo.backward(teachnn.tensor(g))
        lt.backward(torch.tensor(g))
        np.testing.assert_allclose(_np(lo), _np(lt), **tol, err_msg=name)
        np.testing.assert_allclose(_np(xo.grad), _np(xt.grad), **tol, err_msg=name)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_spatial_gradcheck(smoothing):
    rng = np.random.default_rng(11)
    x = teachnn.tensor(rng.standard_normal((3, 4, 2, 2))).requires_grad_(True)
    t = teachnn.tensor(np.array([[[0, 3], [1, -100]], [[2, 2], [3, 0]], [[1, 1], [-100, 2]]]))
    w = teachnn.tensor(rng.uniform(0.5, 2, 4))
    assert gradcheck(lambda x: F.cross_entropy(x, t, w, label_smoothing=smoothing), (x,))


@requires_torch
def test_cross_entropy_minus_inf_logit_of_a_wrong_class_matches_torch():
    x = np.array([[-np.inf, 1.0, 2.0], [0.5, -np.inf, -1.0]], np.float32)
    t = np.array([1, 2])
    xo, xt = _pair(x)
    lo, lt = F.cross_entropy(xo, teachnn.tensor(t)), torch.nn.functional.cross_entropy(
        xt, torch.tensor(t))
    lo.backward()
    lt.backward()
    np.testing.assert_allclose(_np(lo), _np(lt), rtol=1e-6)
    np.testing.assert_array_equal(_np(xo.grad), _np(xt.grad))


def test_nll_kernels_hand_example_and_bad_target():
    from teachnn.kernels import loss
    lp = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.6, 0.3]]))
    losses, w_t = loss.nll_forward(lp, np.array([0, -100]), np.array([2.0, 1.0, 1.0]), -100,
                                   0.0)
    np.testing.assert_allclose(losses, [2 * np.log(2), 0.0])
    np.testing.assert_array_equal(w_t, [2.0, 0.0])
    grad = loss.nll_backward(np.array([1.0, 1.0]), np.array([0, -100]), None, -100, 0.0,
                             lp.shape, np.float64)
    np.testing.assert_array_equal(grad, [[-1.0, 0, 0], [0, 0, 0]])
    assert loss.first_bad_target(np.array([0, -100, 3, 5]), 3, -100) == 3
    assert loss.first_bad_target(np.array([0, -100, 2]), 3, -100) is None
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.nll_loss(teachnn.tensor(lp), teachnn.tensor(np.array([7, 0])))
