"""BatchNorm1d/2d/3d and LayerNorm.

Oracles: the normalisation formula written in NumPy in the test, running statistics
updated by hand, gradcheck in float64 (training and eval mode), and PyTorch parity over
several training steps (outputs, gradients, running_mean/var, num_batches_tracked).
"""
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


def ref_batch_norm(x, gamma, beta, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    mean = x.mean(axis=axes).reshape(shape)
    var = x.var(axis=axes).reshape(shape)          # biased
    return (x - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


# ------------------------------------------------------------------ BatchNorm, functional
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 2, 2)])
def test_batch_norm_training_formula_and_running_update(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = t64(np.zeros(3), False), t64(np.ones(3), False)
    out = F.batch_norm(t64(x, False), rm, rv, t64(gamma, False), t64(beta, False),
                       training=True, momentum=0.3)
    np.testing.assert_allclose(out._data, ref_batch_norm(x, gamma, beta), rtol=1e-10,
                               atol=1e-12)
    axes = (0,) + tuple(range(2, x.ndim))
    m = x.size // 3
    np.testing.assert_allclose(rm._data, 0.3 * x.mean(axis=axes), rtol=1e-12)
    np.testing.assert_allclose(rv._data, 0.7 + 0.3 * x.var(axis=axes) * m / (m - 1),
                               rtol=1e-12)


def test_batch_norm_eval_uses_running_stats():
    x = np.array([[1.0, 2.0], [4.0, 6.0]])
    rm, rv = t64([1.0, 2.0], False), t64([4.0, 16.0], False)
    out = F.batch_norm(t64(x, False), rm, rv, eps=0.0)     # (x - rm) / sqrt(rv)
    np.testing.assert_allclose(out._data, [[0.0, 0.0], [1.5, 1.0]])
    np.testing.assert_array_equal(rm._data, [1.0, 2.0])          # unchanged in eval


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 4), (2, 2, 3, 3)])
def test_batch_norm_gradcheck(training, shape):
    rng = np.random.default_rng(1)
    x = t64(rng.standard_normal(shape))
    w, b = t64(rng.standard_normal(shape[1])), t64(rng.standard_normal(shape[1]))
    rm = t64(rng.standard_normal(shape[1]), False)
    rv = t64(rng.uniform(0.5, 2, shape[1]), False)

    def f(x, w, b):
        # copies: gradcheck calls f many times and training updates the running stats
        return F.batch_norm(x, Tensor(rm._data.copy()), Tensor(rv._data.copy()), w, b,
                            training=training, momentum=0.1, eps=1e-3)
    assert gradcheck(f, (x, w, b))
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), (x,))


@requires_torch
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_norm_functional_parity(training, shape):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(shape) * 3 + 2, rng.standard_normal(shape[1]),
              rng.uniform(0.5, 2.0, shape[1]), rng.standard_normal(shape[1]),
              rng.standard_normal(shape[1])]

    def fn(lib, x, rm, rv, w, b):
        return lib.nn.functional.batch_norm(x, rm.detach().clone(), rv.detach().clone(), w, b,
                                            training=training, momentum=0.2, eps=1e-4)
    assert_parity(fn, arrays, grad_inputs=[0, 3, 4])


# ------------------------------------------------------------------ BatchNorm, module
def test_batchnorm_buffers_state_dict_and_repr():
    bn = nn.BatchNorm2d(3)
    assert list(bn.state_dict().keys()) == ["weight", "bias", "running_mean", "running_var",
                                            "num_batches_tracked"]
    assert bn.num_batches_tracked._data.dtype == np.int64 and bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.running_mean._data, np.zeros(3))
    np.testing.assert_array_equal(bn.running_var._data, np.ones(3))
    np.testing.assert_array_equal(bn.weight._data, np.ones(3))
    np.testing.assert_array_equal(bn.bias._data, np.zeros(3))
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert repr(bn) == ("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                        "track_running_stats=True)")
    assert repr(nn.BatchNorm1d(4, momentum=None, affine=False)) == (
        "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=True)")
    assert list(nn.BatchNorm1d(2, affine=False).state_dict()) == [
        "running_mean", "running_var", "num_batches_tracked"]
    assert list(nn.BatchNorm1d(2, track_running_stats=False).state_dict()) == ["weight", "bias"]
    assert list(nn.BatchNorm1d(2, bias=False).state_dict())[:2] == ["weight", "running_mean"]


@requires_torch
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (5, 3)), ("BatchNorm1d", (4, 3, 6)),
                                       ("BatchNorm2d", (2, 3, 4, 5)),
                                       ("BatchNorm3d", (2, 3, 2, 3, 2))])
@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"affine": False},
                                    {"track_running_stats": False}, {"bias": False}])
def test_batchnorm_module_matches_torch_over_steps(cls, shape, kwargs):
    """Three training steps then one eval step: outputs, grads and buffers agree."""
    rng = np.random.default_rng(3)
    tm = getattr(torch.nn, cls)(3, **kwargs).double()
    if tm.weight is not None:
        with torch.no_grad():
            tm.weight.copy_(torch.tensor(rng.uniform(0.5, 2, 3)))
            if tm.bias is not None:
                tm.bias.copy_(torch.tensor(rng.standard_normal(3)))
    m = getattr(nn, cls)(3, **kwargs).double()
    m.load_state_dict(tm.state_dict())
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    for step in range(4):
        if step == 3:
            m.eval()
            tm.eval()
        x = rng.standard_normal(shape) * (step + 1) + step
        r = rng.standard_normal(shape)
        xt, xp = t64(x), torch.tensor(x, requires_grad=True)
        out, tout = m(xt), tm(xp)
        np.testing.assert_allclose(out._data, tout.detach().numpy(), rtol=1e-9, atol=1e-10)
        (out * Tensor(r)).sum().backward()
        (tout * torch.tensor(r)).sum().backward()
        np.testing.assert_allclose(xt.grad._data, xp.grad.numpy(), rtol=1e-8, atol=1e-10)
        for (name, p), tp in zip(m.named_parameters(), tm.parameters()):
            np.testing.assert_allclose(p.grad._data, tp.grad.numpy(), rtol=1e-8, atol=1e-10,
                                       err_msg=name)
        for (name, b), (tname, tb) in zip(m.named_buffers(), tm.named_buffers()):
            assert name == tname
            np.testing.assert_allclose(b._data, tb.numpy(), rtol=1e-12, err_msg=name)
            assert b._data.dtype == tb.numpy().dtype


def test_batchnorm_momentum_none_is_cumulative_average():
    bn = nn.BatchNorm1d(1, momentum=None).double()
    batches = [np.array([[1.0], [3.0]]), np.array([[5.0], [9.0]]), np.array([[0.0], [4.0]])]
    for b in batches:
        bn(t64(b, False))
    np.testing.assert_allclose(bn.running_mean._data, [np.mean([2.0, 7.0, 2.0])])
    np.testing.assert_allclose(bn.running_var._data, [np.mean([2.0, 8.0, 8.0])])  # unbiased
    assert bn.num_batches_tracked.item() == 3


def test_batchnorm_train_vs_eval():
    bn = nn.BatchNorm1d(2).double()
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    y = bn(t64(x, False))
    np.testing.assert_allclose(y._data, [[-1.0, -1.0], [1.0, 1.0]], atol=1e-4)
    bn.eval()
    y_eval = bn(t64(x, False))     # running mean 0.1*mean, running var 0.9 + 0.1*unbiased
    rm = 0.1 * x.mean(0)
    rv = 0.9 + 0.1 * x.var(0, ddof=1)
    np.testing.assert_allclose(y_eval._data, (x - rm) / np.sqrt(rv + 1e-5))
    assert bn.num_batches_tracked.item() == 1       # eval does not count


def test_batchnorm_wrong_rank_teaches():
    with pytest.raises(ValueError) as info:
        nn.BatchNorm2d(3)(t64(np.zeros((3, 4)), False))
    msg = str(info.value)
    assert msg.startswith("BatchNorm2d expects 4-d input [batch, channels, height, width] but "
                          "got a 2-d tensor of shape [3, 4]")
    with pytest.raises(ValueError, match=r"x.unsqueeze\(0\)"):
        nn.BatchNorm2d(3)(t64(np.zeros((3, 4, 4)), False))
    with pytest.raises(ValueError, match="BatchNorm1d expects 2-d input"):
        nn.BatchNorm1d(3)(t64(np.zeros((2, 3, 4, 4)), False))


def test_batchnorm_channel_mismatch_and_single_value():
    with pytest.raises(RuntimeError, match=r"BatchNorm1d\(4\) got input with 3 channels"):
        nn.BatchNorm1d(4)(t64(np.zeros((2, 3)), False))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when "
                                         "training.*model.eval"):
        nn.BatchNorm1d(3)(t64(np.zeros((1, 3)), False))
    bn = nn.BatchNorm1d(3).eval()                   # eval mode is fine with one sample
    assert bn(Tensor(np.zeros((1, 3), dtype=np.float32))).shape == (1, 3)


# ------------------------------------------------------------------ LayerNorm
@pytest.mark.parametrize("shape,norm", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((6,), (6,))])
def test_layer_norm_formula(shape, norm):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape) * 3 + 1
    w, b = rng.standard_normal(norm), rng.standard_normal(norm)
    axes = tuple(range(len(shape) - len(norm), len(shape)))
    ref = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5) * w + b
    out = F.layer_norm(t64(x, False), norm, t64(w, False), t64(b, False))
    np.testing.assert_allclose(out._data, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape,norm", [((3, 4), (4,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_gradcheck(shape, norm):
    rng = np.random.default_rng(5)
    x, w, b = t64(rng.standard_normal(shape)), t64(rng.standard_normal(norm)), \
        t64(rng.standard_normal(norm))
    assert gradcheck(lambda x, w, b: F.layer_norm(x, norm, w, b, eps=1e-3), (x, w, b))
    assert gradcheck(lambda x: F.layer_norm(x, norm), (x,))


@requires_torch
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2),
       norm=st.lists(st.integers(1, 4), min_size=1, max_size=2), seed=st.integers(0, 1000),
       affine=st.booleans())
def test_layer_norm_parity_random(lead, norm, seed, affine):
    rng = np.random.default_rng(seed)
    norm = tuple(norm)
    arrays = [rng.standard_normal((*lead, *norm)) * 2]
    if affine:
        arrays += [rng.standard_normal(norm), rng.standard_normal(norm)]
    assert_parity(lambda lib, x, *wb: lib.nn.functional.layer_norm(x, norm, *wb), arrays)


@requires_torch
def test_layernorm_module_parity_repr_state_dict():
    rng = np.random.default_rng(6)
    for kwargs in [{}, {"bias": False}, {"elementwise_affine": False}, {"eps": 1e-3}]:
        tm = torch.nn.LayerNorm([3, 4], **kwargs).double()
        m = nn.LayerNorm([3, 4], **kwargs).double()
        assert repr(m) == repr(tm)
        assert list(m.state_dict()) == list(tm.state_dict())
        if tm.weight is not None:
            with torch.no_grad():
                tm.weight.copy_(torch.tensor(rng.standard_normal((3, 4))))
        m.load_state_dict(tm.state_dict())
        assert_parity(lambda lib, x: (m if lib is teachnn else tm)(x),
                      [rng.standard_normal((2, 3, 4))])


def test_layernorm_repr_and_errors():
    assert repr(nn.LayerNorm(10)) == ("LayerNorm((10,), eps=1e-05, elementwise_affine=True, "
                                      "bias=True)")
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[10\], expected input with "
                                           r"shape \[\*, 10\], but got input of size \[2, 8\]"):
        nn.LayerNorm(10)(t64(np.zeros((2, 8)), False))


@requires_torch
def test_batchnorm_float32_matches_torch_and_keeps_dtype():
    rng = np.random.default_rng(7)
    tm = torch.nn.BatchNorm2d(4)
    m = nn.BatchNorm2d(4)
    for _ in range(2):
        x = (rng.standard_normal((3, 4, 5, 5)) * 2 + 1).astype(np.float32)
        out, tout = m(Tensor(x)), tm(torch.tensor(x))
        assert out._data.dtype == np.float32 and m.running_var._data.dtype == np.float32
        np.testing.assert_allclose(out._data, tout.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m.running_mean._data, tm.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(m.running_var._data, tm.running_var.numpy(), rtol=1e-5)


@requires_torch
@given(n=st.integers(2, 4), c=st.integers(1, 4), spatial=st.lists(st.integers(1, 3), max_size=3),
       training=st.booleans(), affine=st.booleans(), seed=st.integers(0, 1000))
def test_batch_norm_parity_random_shapes(n, c, spatial, training, affine, seed):
    rng = np.random.default_rng(seed)
    shape = (n, c, *spatial)
    arrays = [rng.standard_normal(shape) * 2, rng.standard_normal(c), rng.uniform(0.5, 2, c)]
    if affine:
        arrays += [rng.standard_normal(c), rng.standard_normal(c)]

    def fn(lib, x, rm, rv, *wb):
        return lib.nn.functional.batch_norm(x, rm.detach().clone(), rv.detach().clone(), *wb,
                                            training=training)
    assert_parity(fn, arrays, grad_inputs=[0, 3, 4] if affine else [0])


def test_batchnorm_rank_hint_names_the_right_layer():
    with pytest.raises(ValueError, match=r"For 4-d input use nn.BatchNorm2d"):
        nn.BatchNorm1d(3)(t64(np.zeros((2, 3, 4, 4)), False))


# ------------------------------------------------------------------ GroupNorm
def ref_group_norm(x, groups, w, b, eps=1e-5):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1)
    x_hat = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + eps))
    shape = (1, c) + (1,) * (x.ndim - 2)
    return x_hat.reshape(x.shape) * w.reshape(shape) + b.reshape(shape)


@pytest.mark.parametrize("shape,groups", [((2, 4), 2), ((3, 6, 5), 3), ((2, 4, 3, 3), 1),
                                          ((2, 4, 2, 2), 4)])
def test_group_norm_formula_and_gradcheck(shape, groups):
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape) * 2 + 1
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    out = F.group_norm(t64(x, False), groups, t64(w, False), t64(b, False))
    np.testing.assert_allclose(out._data, ref_group_norm(x, groups, w, b), rtol=1e-10,
                               atol=1e-12)
    assert gradcheck(lambda x, w, b: F.group_norm(x, groups, w, b, eps=1e-3),
                     (t64(x), t64(w), t64(b)))


@requires_torch
@given(n=st.integers(1, 3), groups=st.integers(1, 3), per_group=st.integers(1, 3),
       spatial=st.lists(st.integers(1, 3), max_size=2), affine=st.booleans(),
       seed=st.integers(0, 1000))
def test_group_norm_parity_random(n, groups, per_group, spatial, affine, seed):
    rng = np.random.default_rng(seed)
    c = groups * per_group
    if per_group * int(np.prod(spatial)) == 1:
        spatial = [2]                     # a group of one value has no variance to speak of
    arrays = [rng.standard_normal((n, c, *spatial))]
    if affine:
        arrays += [rng.standard_normal(c), rng.standard_normal(c)]
    assert_parity(lambda lib, x, *wb: lib.nn.functional.group_norm(x, groups, *wb), arrays)


@requires_torch
def test_groupnorm_module_repr_state_dict_and_errors():
    for args, kwargs in [((2, 4), {}), ((1, 3), {"affine": False}), ((2, 4), {"bias": False})]:
        m, tm = nn.GroupNorm(*args, **kwargs), torch.nn.GroupNorm(*args, **kwargs)
        assert repr(m) == repr(tm)
        assert list(m.state_dict()) == list(tm.state_dict())
    with pytest.raises(ValueError, match=r"num_channels \(4\) must be divisible by num_groups"):
        nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match="Expected weight to be a vector of size equal"):
        nn.GroupNorm(2, 4)(t64(np.zeros((2, 6, 3)), False))


# ---------------------------------------------------------------------------------------
# the Numba kernels behind the layers, against plain loops written here
# ---------------------------------------------------------------------------------------
def _naive_group_norm(x3, eps):
    """mean/var per middle index of (A, G, B) by explicit loops; x_hat and inv_std."""
    n_a, n_g, n_b = x3.shape
    x_hat = np.empty_like(x3)
    inv_std = np.empty(n_g)
    for g in range(n_g):
        values = [x3[a, g, b] for a in range(n_a) for b in range(n_b)]
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / len(values)
        inv_std[g] = 1 / np.sqrt(var + eps)
        x_hat[:, g, :] = (x3[:, g, :] - mean) * inv_std[g]
    return x_hat, inv_std


@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 6), st.integers(0, 10_000))
def test_group_kernels_match_loops(n_a, n_g, n_b, seed):
    from teachnn.kernels import normalization as K
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_a, n_g, n_b)) * 3 + 1
    mean, var = K.group_stats(x, x.shape)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, x.var(axis=(0, 2)), rtol=1e-12, atol=1e-12)
    ref_hat, inv_std = _naive_group_norm(x, 1e-5)
    x_hat = K.normalize(x, x.shape, mean, inv_std)
    np.testing.assert_allclose(x_hat, ref_hat, rtol=1e-12, atol=1e-12)
    # backward: dL/dx of sum(g_hat * x_hat(x)) by central differences of the loop version
    g_hat = rng.standard_normal(x.shape)
    scale = inv_std * rng.uniform(0.5, 2, n_g)           # a per-group factor, like weight
    grad, sum_g, sum_gx = K.normalize_backward(g_hat, x_hat, x.shape, scale)
    np.testing.assert_allclose(sum_g, g_hat.sum(axis=(0, 2)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sum_gx, (g_hat * x_hat).sum(axis=(0, 2)), rtol=1e-12,
                               atol=1e-12)
    if n_a * n_b > 1:
        numeric = np.empty_like(x)
        h = 1e-6
        for idx in np.ndindex(x.shape):
            plus, minus = x.copy(), x.copy()
            plus[idx] += h
            minus[idx] -= h
            f = lambda v: np.sum(g_hat * _naive_group_norm(v, 1e-5)[0])       # noqa: E731
            numeric[idx] = (f(plus) - f(minus)) / (2 * h)
        np.testing.assert_allclose(grad, numeric * (scale / inv_std)[None, :, None],
                                   rtol=1e-5, atol=1e-6)


@given(st.integers(0, 5), st.integers(1, 7), st.booleans(), st.integers(0, 10_000))
def test_layer_norm_row_kernels_match_numpy(rows, cols, affine, seed):
    from teachnn.kernels import normalization as K
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, cols)).astype(np.float32) * 2
    w = rng.standard_normal(cols) if affine else None
    b = rng.standard_normal(cols) if affine else None
    out, mean, inv_std = K.layer_norm_rows(x, cols, w, b, 1e-5)
    x64 = x.astype(np.float64)
    ref_hat = (x64 - x64.mean(1, keepdims=True)) / np.sqrt(x64.var(1, keepdims=True) + 1e-5)
    ref_out = ref_hat * (1 if w is None else w) + (0 if b is None else b)
    assert out.dtype == np.float32 and mean.shape == inv_std.shape == (rows,)
    # the statistics are summed in the data's precision (float32 here), as PyTorch does
    np.testing.assert_allclose(mean, x64.mean(1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(inv_std, 1 / np.sqrt(x64.var(1) + 1e-5), rtol=1e-5)
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-5)
    g = rng.standard_normal((rows, cols)).astype(np.float32)
    grad, grad_w, grad_b = K.layer_norm_rows_backward(g, x, cols, mean, inv_std, w)
    g_hat = g.astype(np.float64) * (1 if w is None else w)
    xh = ref_hat
    ref_grad = inv_std[:, None] * (g_hat - g_hat.mean(1, keepdims=True)
                                   - xh * (g_hat * xh).mean(1, keepdims=True))
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grad_w, (g * xh).sum(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad_b, g.sum(0, dtype=np.float64), rtol=1e-5, atol=1e-5)


def test_normalisation_kernels_reject_bad_input():
    from teachnn.kernels import normalization as K
    with pytest.raises(TypeError, match="floating-point"):
        K.group_stats(np.arange(6), (1, 2, 3))
    with pytest.raises(ValueError, match="cannot view"):
        K.group_stats(np.zeros(6), (1, 4, 2))
    with pytest.raises(ValueError, match="one value per group"):
        K.normalize(np.zeros((1, 2, 3)), (1, 2, 3), np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="rows of"):
        K.layer_norm_rows(np.zeros(7), 3)
    with pytest.raises(ValueError, match="shape"):
        K.layer_norm_rows_backward(np.zeros(3), np.zeros((1, 3)), 3, np.zeros(1), np.ones(1))


def test_batch_norm_weight_grad_without_input_grad():
    """Only weight/bias need gradients (input is data): the sums come from NumPy, not from
    the kernel call that computes dL/dx, and must equal sum(g * x_hat) and sum(g)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 5))
    w, b = t64(rng.uniform(0.5, 2, 3)), t64(rng.standard_normal(3))
    g = rng.standard_normal(x.shape)
    for training in (True, False):
        w.grad = b.grad = None
        rm, rv = Tensor(np.zeros(3)), Tensor(np.ones(3))
        y = F.batch_norm(t64(x, False), rm, rv, w, b, training=training)
        (y * Tensor(g)).sum().backward()
        if training:
            x_hat = (x - x.mean((0, 2), keepdims=True)) / np.sqrt(x.var((0, 2), keepdims=True)
                                                                 + 1e-5)
        else:
            x_hat = x / np.sqrt(1 + 1e-5)
        np.testing.assert_allclose(w.grad._data, (g * x_hat).sum((0, 2)), rtol=1e-10)
        np.testing.assert_allclose(b.grad._data, g.sum((0, 2)), rtol=1e-10)
