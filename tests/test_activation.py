"""Activations: functional and module form.

Oracles: formulas written out in NumPy / math in the test, gradcheck in float64, and
PyTorch parity (values, gradients, repr) when torch is installed.
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


def t64(a, grad=True):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def away_from_kinks(rng, shape, kinks=(0.0,), gap=1e-2):
    """Random values that stay `gap` away from the points where a function has a kink
    (finite differences across a kink are meaningless)."""
    x = rng.standard_normal(shape) * 2
    for k in kinks:
        close = np.abs(x - k) < gap
        x[close] = k + gap * 3 * np.sign(x[close] - k + 1e-300)
    return x


# every activation: (name, functional call, NumPy reference, kinks)
def _sig(a):
    return 1 / (1 + np.exp(-a))


_erf = np.vectorize(math.erf)

CASES = [
    ("relu", lambda lib, x: lib.nn.functional.relu(x), lambda a: np.maximum(a, 0), (0.0,)),
    ("leaky_relu", lambda lib, x: lib.nn.functional.leaky_relu(x, 0.2),
     lambda a: np.where(a > 0, a, 0.2 * a), (0.0,)),
    ("sigmoid", lambda lib, x: lib.nn.functional.sigmoid(x), _sig, ()),
    ("tanh", lambda lib, x: lib.nn.functional.tanh(x), np.tanh, ()),
    ("gelu", lambda lib, x: lib.nn.functional.gelu(x),
     lambda a: a * 0.5 * (1 + _erf(a / math.sqrt(2))), ()),
    ("gelu_tanh", lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"),
     lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3))), ()),
    ("elu", lambda lib, x: lib.nn.functional.elu(x, alpha=1.5),
     lambda a: np.where(a > 0, a, 1.5 * (np.exp(a) - 1)), (0.0,)),
    ("silu", lambda lib, x: lib.nn.functional.silu(x), lambda a: a * _sig(a), ()),
    ("softplus", lambda lib, x: lib.nn.functional.softplus(x, beta=2.0, threshold=3.0),
     lambda a: np.where(2 * a > 3, a, np.log1p(np.exp(2 * a)) / 2), (1.5,)),
    ("hardtanh", lambda lib, x: lib.nn.functional.hardtanh(x, -0.5, 1.0),
     lambda a: np.clip(a, -0.5, 1.0), (-0.5, 1.0)),
    ("relu6", lambda lib, x: lib.nn.functional.relu6(x * 4), lambda a: np.clip(4 * a, 0, 6),
     (0.0, 1.5)),
    ("softmax", lambda lib, x: lib.nn.functional.softmax(x, dim=-1),
     lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True), ()),
    ("log_softmax0", lambda lib, x: lib.nn.functional.log_softmax(x, dim=0),
     lambda a: a - np.log(np.exp(a).sum(0, keepdims=True)), ()),
    ("selu", lambda lib, x: lib.nn.functional.selu(x),
     lambda a: 1.0507009873554804934 * np.where(a > 0, a, 1.6732632423543772848 * np.expm1(a)),
     (0.0,)),
    ("celu", lambda lib, x: lib.nn.functional.celu(x, alpha=0.7),
     lambda a: np.maximum(a, 0) + np.minimum(0, 0.7 * np.expm1(a / 0.7)), (0.0,)),
    ("mish", lambda lib, x: lib.nn.functional.mish(x),
     lambda a: a * np.tanh(np.log1p(np.exp(a))), ()),
    ("hardswish", lambda lib, x: lib.nn.functional.hardswish(x * 2),
     lambda a: 2 * a * np.clip(2 * a + 3, 0, 6) / 6, (-1.5, 1.5)),
    ("hardsigmoid", lambda lib, x: lib.nn.functional.hardsigmoid(x * 2),
     lambda a: np.clip(2 * a + 3, 0, 6) / 6, (-1.5, 1.5)),
    ("logsigmoid", lambda lib, x: lib.nn.functional.logsigmoid(x),
     lambda a: np.log(1 / (1 + np.exp(-a))), ()),
    ("softsign", lambda lib, x: lib.nn.functional.softsign(x), lambda a: a / (1 + np.abs(a)),
     (0.0,)),
    ("softmin", lambda lib, x: lib.nn.functional.softmin(x, dim=-1),
     lambda a: np.exp(-a) / np.exp(-a).sum(-1, keepdims=True), ()),
]
IDS = [c[0] for c in CASES]

# PyTorch's backward kernels for these two use single-precision constants (1/6 as a float,
# CELU's 1/alpha as a float): its float64 gradients are off by ~3e-8 relative, ours are exact
# (gradcheck above confirms). Parity for them is checked at that looser tolerance.
LOOSE = {"celu": 1e-7, "hardsigmoid": 1e-7, "Hardsigmoid()": 1e-7, "CELU(alpha=1.0)": 1e-7}


def rtol_for(name):
    return LOOSE.get(name)


@pytest.mark.parametrize("name,fn,ref,kinks", CASES, ids=IDS)
def test_forward_matches_numpy_formula(name, fn, ref, kinks):
    rng = np.random.default_rng(1)
    a = away_from_kinks(rng, (3, 4), kinks)
    out = fn(teachnn, t64(a, grad=False))
    np.testing.assert_allclose(out._data, ref(a), rtol=1e-12, atol=1e-12)
    assert out._data.dtype == np.float64 and out.shape == a.shape


@pytest.mark.parametrize("name,fn,ref,kinks", CASES, ids=IDS)
def test_gradcheck(name, fn, ref, kinks):
    rng = np.random.default_rng(2)
    x = t64(away_from_kinks(rng, (2, 5), kinks))
    assert gradcheck(lambda x: fn(teachnn, x), (x,))


@requires_torch
@pytest.mark.parametrize("name,fn,ref,kinks", CASES, ids=IDS)
def test_parity_with_torch(name, fn, ref, kinks):
    rng = np.random.default_rng(3)
    assert_parity(fn, [away_from_kinks(rng, (4, 3, 2), kinks)], rtol=rtol_for(name))


@requires_torch
@pytest.mark.parametrize("name,fn,ref,kinks", CASES, ids=IDS)
def test_parity_float32(name, fn, ref, kinks):
    rng = np.random.default_rng(4)
    t_out, _ = assert_parity(fn, [away_from_kinks(rng, (5, 6), kinks)], dtype="float32",
                             atol=1e-5, rtol=1e-5)
    assert t_out[0]._data.dtype == np.float32


@requires_torch
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4),
       case=st.sampled_from(CASES), seed=st.integers(0, 10_000))
def test_parity_random_shapes(shape, case, seed):
    rng = np.random.default_rng(seed)
    assert_parity(case[1], [away_from_kinks(rng, tuple(shape), case[3])],
                  rtol=rtol_for(case[0]))


def test_relu_kink_gradient_is_zero_like_torch():
    # PyTorch's convention: relu'(0) = 0, leaky_relu'(0) = slope, hardtanh' = 0 at the ends
    x = t64([-1.0, 0.0, 2.0])
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [0.0, 0.0, 1.0])
    x = t64([-1.0, 0.0, 2.0])
    F.leaky_relu(x, 0.1).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [0.1, 0.1, 1.0])
    x = t64([-1.0, 0.0, 1.0])
    F.hardtanh(x).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [0.0, 1.0, 0.0])


def test_extreme_inputs_stay_finite():
    x = t64([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    for fn in (F.sigmoid, F.silu, F.softplus, F.elu, F.gelu, lambda v: F.softmax(v, 0),
               lambda v: F.log_softmax(v, 0), F.tanh, F.selu, F.celu, F.mish, F.logsigmoid,
               F.softsign, lambda v: F.softmin(v, 0)):
        x.grad = None
        y = fn(x)
        assert np.all(np.isfinite(y._data)), fn
        y.sum().backward()
        assert np.all(np.isfinite(x.grad._data)), fn
    np.testing.assert_allclose(F.sigmoid(x)._data, [0, 1.9287498479639178e-22, 0.5, 1, 1])
    np.testing.assert_allclose(F.softplus(x)._data[[0, 4]], [0, 1000])
    ls = F.log_softmax(t64([0.0, 1000.0], grad=False), 0)
    np.testing.assert_allclose(ls._data, [-1000.0, 0.0])


def test_softmax_rows_sum_to_one_and_hand_example():
    x = t64([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], grad=False)
    y = F.softmax(x, dim=1)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(y._data[0], e / e.sum())
    np.testing.assert_allclose(y._data[1], [1 / 3] * 3)
    np.testing.assert_allclose(y._data.sum(1), [1.0, 1.0])


@pytest.mark.parametrize("ndim,expected_dim", [(1, 0), (2, 1), (3, 0), (4, 1)])
def test_softmax_implicit_dim_warns_and_follows_torch_rule(ndim, expected_dim):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((2,) * ndim)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(t64(a, grad=False))
    ref = np.exp(a) / np.exp(a).sum(expected_dim, keepdims=True)
    np.testing.assert_allclose(y._data, ref)
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax") as rec:
        F.log_softmax(t64(a, grad=False))
    assert rec[0].filename == __file__           # the warning points at the learner's line
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax") as rec:
        nn.Softmax()(t64(a, grad=False))
    assert rec[0].filename == __file__


def test_softmax_bad_dim_raises_index_error():
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        F.softmax(t64(np.zeros((2, 3))), dim=2)


def test_softmax_dtype_argument_casts():
    y = F.softmax(Tensor(np.array([1.0, 2.0], dtype=np.float32)), dim=0, dtype=teachnn.float64)
    assert y._data.dtype == np.float64


def test_gelu_bad_approximate():
    with pytest.raises(RuntimeError, match="none or tanh"):
        F.gelu(t64([1.0]), approximate="fast")
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        nn.GELU(approximate="fast")


def test_activation_rejects_non_tensor_with_hint():
    with pytest.raises(TypeError, match=r"must be a Tensor, not list.*torch.tensor"):
        F.relu([1.0, -1.0])


# ------------------------------------------------------------------ in-place behaviour
def test_inplace_relu_without_grad_changes_input():
    x = Tensor(np.array([-1.0, 2.0, -3.0]))
    y = F.relu(x, inplace=True)
    assert y is x
    np.testing.assert_array_equal(x._data, [0.0, 2.0, 0.0])
    m = nn.ReLU(inplace=True)
    z = Tensor(np.array([-5.0, 5.0]))
    assert m(z) is z and z._data.tolist() == [0.0, 5.0]


def test_inplace_on_leaf_requiring_grad_raises():
    x = t64([-1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.relu(x, inplace=True)


def test_inplace_inside_graph_gives_correct_gradient():
    x = t64([-1.0, 2.0, 3.0])
    h = x * 2.0
    y = nn.ReLU(inplace=True)(h)
    assert y is h                            # the same object, as in PyTorch
    y.sum().backward()
    np.testing.assert_array_equal(y._data, [0.0, 4.0, 6.0])
    np.testing.assert_array_equal(x.grad._data, [0.0, 2.0, 2.0])


# ------------------------------------------------------------------ PReLU
def test_prelu_hand_example_and_weight_gradient():
    x = t64([[-2.0, 3.0], [-1.0, -4.0]])
    w = t64([0.5, 0.1])                      # channel 0 slope 0.5, channel 1 slope 0.1
    y = F.prelu(x, w)
    np.testing.assert_allclose(y._data, [[-1.0, 3.0], [-0.5, -0.4]])
    y.sum().backward()
    np.testing.assert_allclose(w.grad._data, [-3.0, -4.0])      # sum of negative inputs
    np.testing.assert_allclose(x.grad._data, [[0.5, 1.0], [0.5, 0.1]])


@pytest.mark.parametrize("shape,nw", [((3, 4, 5), 4), ((3, 4, 5), 1), ((6,), 1),
                                      ((2, 3, 2, 2), 3)])
def test_prelu_gradcheck(shape, nw):
    rng = np.random.default_rng(6)
    x = t64(away_from_kinks(rng, shape))
    w = t64(rng.uniform(0.1, 0.5, nw))
    assert gradcheck(F.prelu, (x, w))


@requires_torch
@pytest.mark.parametrize("shape,nw", [((3, 4, 5), 4), ((3, 4), 1), ((2, 3, 2, 2), 3)])
def test_prelu_parity(shape, nw):
    rng = np.random.default_rng(7)
    assert_parity(lambda lib, x, w: lib.nn.functional.prelu(x, w),
                  [away_from_kinks(rng, shape), rng.uniform(0.1, 0.5, nw)])


def test_prelu_channel_mismatch_message():
    with pytest.raises(RuntimeError, match=r"parameter numbers = 3 and channel size = 4.*"
                                           r"num_parameters=4"):
        nn.PReLU(3)(t64(np.zeros((2, 4))))


def test_prelu_dtype_mismatch_teaches():
    with pytest.raises(RuntimeError, match=r"float64.*float32.*double\(\)"):
        nn.PReLU()(t64([1.0, -1.0]))


def test_prelu_module_parameter():
    m = nn.PReLU(3, init=0.1)
    assert list(m.state_dict().keys()) == ["weight"]
    np.testing.assert_allclose(m.weight._data, [0.1, 0.1, 0.1])
    assert m.weight._data.dtype == np.float32
    assert [n for n, _ in m.named_parameters()] == ["weight"]


# ------------------------------------------------------------------ modules
MODULES = [
    ("ReLU()", lambda lib: lib.nn.ReLU()),
    ("ReLU(inplace=True)", lambda lib: lib.nn.ReLU(inplace=True)),
    ("LeakyReLU(negative_slope=0.01)", lambda lib: lib.nn.LeakyReLU()),
    ("LeakyReLU(negative_slope=0.2, inplace=True)", lambda lib: lib.nn.LeakyReLU(0.2, True)),
    ("Sigmoid()", lambda lib: lib.nn.Sigmoid()),
    ("Tanh()", lambda lib: lib.nn.Tanh()),
    ("Softmax(dim=1)", lambda lib: lib.nn.Softmax(dim=1)),
    ("Softmax(dim=None)", lambda lib: lib.nn.Softmax()),
    ("LogSoftmax(dim=1)", lambda lib: lib.nn.LogSoftmax(dim=1)),
    ("GELU(approximate='none')", lambda lib: lib.nn.GELU()),
    ("GELU(approximate='tanh')", lambda lib: lib.nn.GELU(approximate="tanh")),
    ("ELU(alpha=1.0)", lambda lib: lib.nn.ELU()),
    ("ELU(alpha=1.0, inplace=True)", lambda lib: lib.nn.ELU(inplace=True)),
    ("SiLU()", lambda lib: lib.nn.SiLU()),
    ("Softplus(beta=1.0, threshold=20.0)", lambda lib: lib.nn.Softplus()),
    ("Hardtanh(min_val=-1.0, max_val=1.0)", lambda lib: lib.nn.Hardtanh()),
    ("Hardtanh(min_val=-2, max_val=2)", lambda lib: lib.nn.Hardtanh(-2, 2)),
    ("ReLU6()", lambda lib: lib.nn.ReLU6()),
    ("PReLU(num_parameters=1)", lambda lib: lib.nn.PReLU()),
    ("SELU()", lambda lib: lib.nn.SELU()),
    ("SELU(inplace=True)", lambda lib: lib.nn.SELU(inplace=True)),
    ("CELU(alpha=1.0)", lambda lib: lib.nn.CELU()),
    ("CELU(alpha=0.5, inplace=True)", lambda lib: lib.nn.CELU(0.5, True)),
    ("Mish()", lambda lib: lib.nn.Mish()),
    ("Hardswish()", lambda lib: lib.nn.Hardswish()),
    ("Hardsigmoid()", lambda lib: lib.nn.Hardsigmoid()),
    ("LogSigmoid()", lambda lib: lib.nn.LogSigmoid()),
    ("Softsign()", lambda lib: lib.nn.Softsign()),
    ("Softmin(dim=1)", lambda lib: lib.nn.Softmin(dim=1)),
]


@pytest.mark.parametrize("text,make", MODULES, ids=[m[0] for m in MODULES])
def test_module_repr(text, make):
    assert repr(make(teachnn)) == text            # checked against torch 2.13 by hand
    if torch is not None:
        assert repr(make(torch)) == text


@requires_torch
@pytest.mark.parametrize("text,make", [m for m in MODULES if "inplace=True" not in m[0]],
                         ids=[m[0] for m in MODULES if "inplace=True" not in m[0]])
def test_module_forward_parity(text, make):
    rng = np.random.default_rng(8)
    x = away_from_kinks(rng, (3, 4), (0.0, -1.0, 1.0, 6.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # Softmax(dim=None) warns in both
        assert_parity(lambda lib, x: make(lib).double()(x), [x], rtol=rtol_for(text))


def test_unknown_keyword_suggests():
    with pytest.raises(TypeError, match="Did you mean 'negative_slope'"):
        nn.LeakyReLU(negative_slop=0.1)


def test_inplace_after_op_that_saved_its_output_is_detected():
    # sigmoid saves its output for backward; overwriting it in place must not give a silently
    # wrong gradient (PyTorch raises the same kind of error at backward time)
    x = t64([-1.0, 2.0])
    s = F.sigmoid(x)
    F.relu(s * 1.0, inplace=True)          # fine: a fresh tensor
    F.relu(s, inplace=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        s.sum().backward()


def _gelu_reference(x):
    """x * Phi(x) and its derivative Phi(x) + x phi(x), element by element with math.erf
    in float64 (Python's erf is correct to the last bit)."""
    x = np.asarray(x, dtype=np.float64)
    phi_cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.ravel()]).reshape(x.shape)
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    with np.errstate(invalid="ignore"):
        return x * phi_cdf, phi_cdf + x * pdf


def _gelu_tanh_reference(x):
    x = np.asarray(x, dtype=np.float64)
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
    with np.errstate(over="ignore"):
        half_1_plus_t = 1 / (1 + np.exp(-2 * u))     # (1 + tanh u) / 2 without cancellation
    one_minus_t2 = 4 * half_1_plus_t * (1 - half_1_plus_t)
    du = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
    return x * half_1_plus_t, half_1_plus_t + 0.5 * x * one_minus_t2 * du


def test_gelu_kernel_matches_math_erf_everywhere():
    """The fused GELU kernels against x * Phi(x) written with Python's math.erf, element by
    element across the whole range: float64 to the last bits, float32 (a rational erf and a
    polynomial exp, vectorised) to a few float32 roundings; special values as in PyTorch."""
    from teachnn.kernels.elementwise import gelu, gelu_backward
    x = np.concatenate([np.linspace(-30, 30, 6001), [0.0, -0.0, 1e-300, -1e-20, 5e-324]])
    ref, dref = _gelu_reference(x)
    # atol: 1 + erf(x) and Phi(x) + x phi(x) cancel for negative x, roundings of 1 remain
    np.testing.assert_allclose(gelu(x), ref, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(gelu_backward(np.ones_like(x), x), dref, rtol=1e-14, atol=1e-15)
    x32 = x.astype(np.float32)
    ref, dref = _gelu_reference(x32)
    # float32: erf(x) near -1 leaves a few roundings of 1 after the cancellation; PyTorch's
    # own float32 GELU is off by up to 9e-7 on this grid
    np.testing.assert_allclose(gelu(x32), ref, rtol=4e-6, atol=7e-7)
    np.testing.assert_allclose(gelu_backward(np.ones_like(x32), x32), dref, rtol=4e-6, atol=2e-7)
    for dtype in (np.float32, np.float64):
        out = gelu(np.array([np.inf, -np.inf, np.nan], dtype=dtype))
        assert out[0] == np.inf and np.isnan(out[1]) and np.isnan(out[2])   # -inf * 0 is nan


def test_gelu_tanh_and_sigmoid_kernels_match_their_formulas():
    """approximate='tanh' (computed as x * sigmoid(2u)) and sigmoid, forward and backward,
    against the formulas in float64 NumPy; the float32 kernels within float32 rounding."""
    from teachnn.kernels.elementwise import gelu, gelu_backward, sigmoid, sigmoid_backward
    x = np.linspace(-12, 12, 4801)
    g = np.cos(x)                                               # an arbitrary dL/dy
    ref, dref = _gelu_tanh_reference(x)
    s_ref = 1 / (1 + np.exp(-x))
    for dtype, rtol, atol in ((np.float64, 1e-13, 1e-300), (np.float32, 4e-6, 2e-7)):
        xd, gd = x.astype(dtype), g.astype(dtype)
        np.testing.assert_allclose(gelu(xd, "tanh"), ref, rtol=rtol, atol=atol)
        np.testing.assert_allclose(gelu_backward(gd, xd, "tanh"), g * dref, rtol=rtol, atol=atol)
        s = sigmoid(xd)
        np.testing.assert_allclose(s, s_ref, rtol=rtol, atol=atol)
        np.testing.assert_allclose(sigmoid_backward(gd, s), gd * s * (1 - s), rtol=rtol, atol=atol)
    assert sigmoid(np.array([-1e4, 1e4], dtype=np.float32)).tolist() == [0.0, 1.0]
    assert np.isnan(sigmoid(np.array([np.nan]))[0])


def test_gelu_kernel_keeps_shape_dtype_and_handles_views():
    """Non-contiguous input (a transposed view), float16/32/64 all come back in the input's
    shape and dtype (float16 computed in float64 and rounded once)."""
    from teachnn.kernels.elementwise import gelu, gelu_backward
    base = np.random.default_rng(3).standard_normal((5, 7))
    for dtype, rtol in ((np.float16, 1e-3), (np.float32, 4e-6), (np.float64, 1e-14)):
        x = base.astype(dtype).T                                   # (7, 5), not contiguous
        ref, dref = _gelu_reference(x)
        out, grad = gelu(x), gelu_backward(np.ones_like(x), x)
        assert out.shape == grad.shape == (7, 5) and out.dtype == grad.dtype == dtype
        np.testing.assert_allclose(out, ref, rtol=rtol, atol=1e-7)
        np.testing.assert_allclose(grad, dref, rtol=rtol, atol=1e-7)
    with pytest.raises(TypeError, match="floating-point"):
        gelu(np.arange(3))


def test_softmax_row_kernels_match_numpy_along_any_dim():
    """The one-pass softmax / log_softmax kernels (forward and backward) against the NumPy
    formulas in float64, along every axis of a 3-d array (moved last and back), in float32
    within float32 rounding; huge logits do not overflow."""
    from teachnn.kernels import normalization as K
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 5)) * 4
    g = rng.standard_normal((3, 4, 5))
    for dim in (0, 1, 2, -1):
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        sm = e / e.sum(axis=dim, keepdims=True)
        lsm = np.log(sm)
        d_sm = sm * (g - (g * sm).sum(axis=dim, keepdims=True))
        d_lsm = g - sm * g.sum(axis=dim, keepdims=True)
        for dtype, rtol in ((np.float64, 1e-12), (np.float32, 2e-5)):
            xd, gd = x.astype(dtype), g.astype(dtype)
            y, ly = K.softmax_rows(xd, dim), K.log_softmax_rows(xd, dim)
            assert y.dtype == ly.dtype == dtype and y.shape == x.shape
            np.testing.assert_allclose(y, sm, rtol=rtol, atol=1e-7)
            np.testing.assert_allclose(ly, lsm, rtol=rtol, atol=1e-6)
            np.testing.assert_allclose(K.softmax_rows_backward(gd, y, dim), d_sm, rtol=rtol, atol=1e-6)
            np.testing.assert_allclose(K.log_softmax_rows_backward(gd, ly, dim), d_lsm,
                                       rtol=rtol, atol=1e-6)
    big = np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    np.testing.assert_array_equal(K.softmax_rows(big, 1), [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(K.log_softmax_rows(big, 1), [[0.0, -1000.0, -2000.0]])


@requires_torch
def test_softmax_of_a_single_number():
    assert_parity(lambda lib, x: lib.nn.functional.softmax(x, dim=0), [np.array(0.7)])
    assert_parity(lambda lib, x: lib.nn.functional.log_softmax(x, dim=-1), [np.array(0.7)])


def test_sigmoid_tanh_of_integers_give_float32_like_torch():
    x = Tensor(np.array([-1, 0, 2]))
    s, t = F.sigmoid(x), F.tanh(x)
    assert s._data.dtype == np.float32 and t._data.dtype == np.float32
    np.testing.assert_allclose(s._data, 1 / (1 + np.exp([1.0, 0.0, -2.0])), rtol=1e-6)
    np.testing.assert_allclose(t._data, np.tanh([-1.0, 0.0, 2.0]), rtol=1e-6)
    np.testing.assert_array_equal(F.relu(x)._data, [0, 0, 2])       # relu keeps int64
    assert F.relu(x)._data.dtype == np.int64


def test_hard_activation_kinks_follow_torch():
    x = t64([-3.0, 3.0, 0.0])
    F.hardswish(x).sum().backward()
    np.testing.assert_allclose(x.grad._data, [0.0, 1.0, 0.5])
    x = t64([-3.0, 3.0, 0.0])
    F.hardsigmoid(x).sum().backward()
    np.testing.assert_allclose(x.grad._data, [0.0, 0.0, 1 / 6])


def test_softmin_implicit_dim_warns_at_caller():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin") as rec:
        F.softmin(t64(np.zeros((2, 3)), grad=False))
    assert rec[0].filename == __file__
