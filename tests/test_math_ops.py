"""PyTorch's elementwise math and reductions (issue 18, item 1): values, result dtypes and
gradients against PyTorch 2.13, gradcheck in float64, in-place forms and error types."""
import numpy as np
import pytest

import teachnn
from teachnn.autograd import gradcheck
from tests.parity import assert_parity, requires_torch, torch

RNG = np.random.default_rng(18)
X = RNG.uniform(-0.9, 0.9, (3, 4))          # inside every domain below (asin, atanh, erfinv)
POS = RNG.uniform(1.2, 3.0, (3, 4))         # for acosh, log2, rsqrt
Y = RNG.uniform(-2.0, 2.0, (3, 4))

UNARY = {"sinh": X, "cosh": X, "tan": X, "asin": X, "acos": X, "atan": X, "asinh": Y, "acosh": POS,
         "atanh": X, "log2": POS, "log10": POS, "exp2": Y, "erf": Y, "erfc": Y, "erfinv": X, "rsqrt": POS,
         "frac": Y * 3, "floor": Y * 3, "ceil": Y * 3, "round": Y * 3, "trunc": Y * 3, "sign": Y, "sgn": Y,
         "log1p": POS, "expm1": Y, "reciprocal": POS, "sin": Y, "cos": Y, "tanh": Y, "sigmoid": Y}


@requires_torch
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch_as_function_and_method(name):
    a = UNARY[name]
    grad = name != "sgn"            # torch's gradient of sgn is a ZeroTensor, which has no NumPy view
    assert_parity(lambda lib, x: getattr(lib, name)(x), [a], grad=grad)
    ours = getattr(teachnn, name)(teachnn.tensor(a, requires_grad=True)).grad_fn.name()
    assert ours == type(getattr(torch, name)(torch.tensor(a, requires_grad=True)).grad_fn).__name__
    assert_parity(lambda lib, x: getattr(x, name)(), [a], dtype="float32", grad=grad)


@pytest.mark.parametrize("name", sorted(n for n in UNARY if n not in ("floor", "ceil", "round", "trunc",
                                                                       "sign", "sgn")))
def test_unary_gradcheck(name):
    assert gradcheck(getattr(teachnn, name), (teachnn.tensor(UNARY[name], requires_grad=True),))


@requires_torch
@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("values", [[1, -2, 3], [True, False]], ids=["int64", "bool"])
def test_unary_result_dtype_of_integer_input_is_torchs(name, values):
    try:
        expected = getattr(torch, name)(torch.tensor(values))
    except (NotImplementedError, RuntimeError) as error:
        with pytest.raises(type(error)):
            getattr(teachnn, name)(teachnn.tensor(values))
        return
    ours = getattr(teachnn, name)(teachnn.tensor(values))
    assert str(ours.dtype).split(".")[1] == str(expected.dtype).split(".")[1]
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("name", ["sinh", "asin", "erf", "floor", "trunc", "frac", "rsqrt", "log2", "sign",
                                  "log1p", "expm1", "reciprocal", "sin", "cos", "tanh", "sigmoid"])
def test_inplace_forms(name):
    a = UNARY[name].astype(np.float32)
    ours, theirs = teachnn.tensor(a), torch.tensor(a)
    assert getattr(ours, name + "_")() is ours
    getattr(theirs, name + "_")()
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


@requires_torch
def test_round_with_decimals_and_half_to_even():
    values = [1.2345, 2.5, 3.5, -0.5, 125.0, 0.125]
    for decimals in (0, 2, -1):
        ours = teachnn.round(teachnn.tensor(values), decimals=decimals)
        theirs = torch.round(torch.tensor(values), decimals=decimals)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    x = teachnn.tensor(values, requires_grad=True)
    y = x.round(decimals=1)
    assert y.grad_fn.name() == "RoundBackward1"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(6))


BINARY = ["atan2", "hypot", "logaddexp", "fmax", "fmin", "fmod", "maximum", "minimum"]


@requires_torch
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch_with_broadcasting(name):
    a, b = Y, RNG.uniform(0.5, 2.0, (4,))
    assert_parity(lambda lib, x, y: getattr(lib, name)(x, y), [a, b])
    assert_parity(lambda lib, x, y: getattr(x, name)(y), [a, b], dtype="float32")
    if name not in ("fmax", "fmin", "maximum", "minimum", "fmod"):      # kinks there
        assert gradcheck(getattr(teachnn, name), (teachnn.tensor(a, requires_grad=True),
                                                  teachnn.tensor(b, requires_grad=True)))


@requires_torch
@pytest.mark.parametrize("name", BINARY)
def test_binary_integer_inputs_like_torch(name):
    a, b = [3, -7, 8], [2, 2, -3]
    try:
        expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    except (NotImplementedError, RuntimeError) as error:
        with pytest.raises(type(error)):
            getattr(teachnn, name)(teachnn.tensor(a), teachnn.tensor(b))
        return
    ours = getattr(teachnn, name)(teachnn.tensor(a), teachnn.tensor(b))
    assert str(ours.dtype).split(".")[1] == str(expected.dtype).split(".")[1]
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-6)


@requires_torch
def test_fmax_fmin_ignore_nan_and_send_ties_to_the_first_input():
    a, b = np.array([1.0, np.nan, 2.0, 3.0]), np.array([np.nan, 1.0, 2.0, 5.0])
    for name in ("fmax", "fmin"):
        grads = []
        for lib in (teachnn, torch):
            x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
            out = getattr(lib, name)(x, y)
            out.sum().backward()
            grads.append((out.detach().numpy(), x.grad.numpy(), y.grad.numpy()))
        for ours, theirs in zip(*grads):
            np.testing.assert_array_equal(ours, theirs)


@requires_torch
def test_lerp_with_number_and_tensor_weight():
    a, b, w = X, Y, RNG.uniform(0, 1, (3, 4))
    assert_parity(lambda lib, x, y: lib.lerp(x, y, 0.3), [a, b])
    assert_parity(lambda lib, x, y, z: lib.lerp(x, y, z), [a, b, w])
    assert_parity(lambda lib, x, y, z: x.lerp(y, z), [a, b, w], dtype="float32")
    assert gradcheck(lambda x, y, z: teachnn.lerp(x, y, z),
                     tuple(teachnn.tensor(v, requires_grad=True) for v in (a, b, w)))
    x = teachnn.tensor(a.astype(np.float32))
    x.lerp_(teachnn.tensor(b.astype(np.float32)), 0.5)
    np.testing.assert_allclose(x.numpy(), torch.tensor(a, dtype=torch.float32).lerp(
        torch.tensor(b, dtype=torch.float32), 0.5).numpy(), rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_and_cumsum_with_zeros(dim):
    a = Y.copy()
    a[1, 2] = 0.0
    a[0, 0] = 0.0
    assert_parity(lambda lib, x: lib.cumprod(x, dim), [a])
    assert_parity(lambda lib, x: x.cumprod(dim=dim), [a])
    assert_parity(lambda lib, x: lib.cumsum(x, dim), [a])
    assert gradcheck(lambda x: teachnn.cumprod(x, dim), (teachnn.tensor(a, requires_grad=True),))
    assert teachnn.cumprod(teachnn.tensor([1, 2, 3]), 0).dtype == teachnn.int64
    assert teachnn.cumprod(teachnn.tensor([1, 2, 3]), 0).tolist() == [1, 2, 6]


@requires_torch
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue_values_indices_and_gradient(keepdim):
    a = RNG.permutation(12).reshape(3, 4).astype(np.float64)
    out, theirs = assert_parity(lambda lib, x: tuple(lib.kthvalue(x, 2, 1, keepdim)), [a])
    assert out[1].dtype == teachnn.int64
    assert type(teachnn.kthvalue(teachnn.tensor(a), 3).values).__name__ == "Tensor"
    with pytest.raises(IndexError):
        teachnn.tensor(a).kthvalue(5, dim=1)
    with pytest.raises((IndexError, RuntimeError)):
        torch.tensor(a).kthvalue(5, dim=1)


@requires_torch
@pytest.mark.parametrize("p", [1, 2, 3, float("inf"), 0.5])
def test_norm_and_dist(p):
    a, b = Y, X
    assert_parity(lambda lib, x: lib.norm(x, p=p), [a])
    assert_parity(lambda lib, x: x.norm(p, dim=1, keepdim=True), [a])
    assert_parity(lambda lib, x, y: lib.dist(x, y, p), [a, b])
    assert_parity(lambda lib, x, y: x.dist(y[0], p=p), [a, b])          # broadcasting
    assert gradcheck(lambda x, y: teachnn.dist(x, y, p), (teachnn.tensor(a, requires_grad=True),
                                                          teachnn.tensor(b, requires_grad=True)))
    assert teachnn.dist(teachnn.tensor(a, requires_grad=True), teachnn.tensor(b)).grad_fn.name() == "DistBackward0"


@requires_torch
def test_reductions_already_present_match_torch():
    a = Y
    assert_parity(lambda lib, x: lib.logsumexp(x, dim=1), [a])
    assert_parity(lambda lib, x: lib.logsumexp(x, dim=(0, 1), keepdim=True), [a])
    assert_parity(lambda lib, x: lib.prod(x, 1), [a])
    assert_parity(lambda lib, x: lib.prod(x), [a])
    assert_parity(lambda lib, x: tuple(lib.topk(x, 2, dim=1)), [a])
    assert_parity(lambda lib, x: tuple(lib.sort(x, dim=0, descending=True)), [a])
    assert_parity(lambda lib, x: lib.argsort(x, dim=1), [a], grad=False)
    assert_parity(lambda lib, x, lo, hi: lib.clamp(x, min=lo, max=hi), [a, -np.ones(4) * 0.5, np.ones((3, 1))])
    assert_parity(lambda lib, x: lib.where(x > 0, x, 0.0), [a])
    assert_parity(lambda lib, x: lib.where(x > 0, 1.0, x), [a])
    assert_parity(lambda lib, x: lib.msort(x), [a])
    x = teachnn.tensor(a, requires_grad=True)
    assert x.sort().values.grad_fn.name() == "SortBackward0" and x.topk(2).values.grad_fn.name() == "TopkBackward0"


@requires_torch
def test_where_with_scalar_arguments_gives_torchs_dtype():
    cond = [True, False, True]
    for args in ((1.0, 0), (1, 0), (True, False), (2.5, 1.5)):
        ours = teachnn.where(teachnn.tensor(cond), *args)
        theirs = torch.where(torch.tensor(cond), *args)
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@requires_torch
def test_numpy_names_and_small_helpers():
    a = X.astype(np.float32)
    t, p = teachnn.tensor(a), torch.tensor(a)
    for ours, theirs in [(teachnn.arcsin(t), torch.arcsin(p)), (t.arctan2(t), p.arctan2(p)),
                         (teachnn.fix(t * 3), torch.fix(p * 3)), (teachnn.deg2rad(t), torch.deg2rad(p)),
                         (teachnn.rad2deg(t), torch.rad2deg(p)), (teachnn.signbit(t), torch.signbit(p)),
                         (teachnn.clamp_min(t, 0.1), torch.clamp_min(p, 0.1)),
                         (teachnn.addcmul(t, t, t, value=2), torch.addcmul(p, p, p, value=2)),
                         (teachnn.addcdiv(t, t, t + 2, value=0.5), torch.addcdiv(p, p, p + 2, value=0.5)),
                         (teachnn.remainder(t, 0.3), torch.remainder(p, 0.3)),
                         (teachnn.floor_divide(t, 0.3), torch.floor_divide(p, 0.3))]:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


@requires_torch
def test_out_and_type_errors():
    out = teachnn.empty(3)
    teachnn.sinh(teachnn.tensor([0.0, 1.0, -1.0]), out=out)
    np.testing.assert_allclose(out.numpy(), np.sinh([0.0, 1.0, -1.0]), rtol=1e-6)
    for lib in (teachnn, torch):
        with pytest.raises(TypeError):
            lib.sinh([1.0, 2.0])
        with pytest.raises(TypeError):
            lib.atan2(1.0, lib.tensor([1.0]))
        with pytest.raises(RuntimeError):       # an int tensor cannot hold sin's float result
            lib.tensor([1, 2]).sin_()


def test_erfinv_inverts_erf_and_handles_the_ends():
    values = np.array([-1.0, -0.999999, -0.3, 0.0, 1e-9, 0.7, 0.999999, 1.0, 1.5])
    y = teachnn.erfinv(teachnn.tensor(values)).numpy()
    assert y[0] == -np.inf and y[-2] == np.inf and np.isnan(y[-1])
    np.testing.assert_allclose(teachnn.erf(teachnn.tensor(y[1:-2])).numpy(), values[1:-2], rtol=1e-12, atol=1e-15)


@requires_torch
@pytest.mark.parametrize("ord_", [1, 2, 3.5, 0, float("inf"), float("-inf")])
@pytest.mark.parametrize("dim", [None, 1, (0, 1)])
def test_linalg_vector_norm_and_norm(ord_, dim):
    a = Y.copy()
    a[0, 1] = a[2, 3] = 5.0                      # a tie for the max: the gradient is shared
    assert_parity(lambda lib, x: lib.linalg.vector_norm(x, ord_, dim), [a])
    assert_parity(lambda lib, x: lib.linalg.vector_norm(x, ord_, dim, keepdim=True), [a])
    assert_parity(lambda lib, x: lib.linalg.norm(x, ord_, 1), [a])
    assert_parity(lambda lib, x: lib.linalg.norm(x, dim=dim), [a])
    assert_parity(lambda lib, x: lib.norm(x, p=ord_, dim=dim), [a])


@requires_torch
@pytest.mark.parametrize("ord_", ["fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf")])
@pytest.mark.parametrize("keepdim", [False, True])
def test_linalg_matrix_norm(ord_, keepdim):
    a = RNG.standard_normal((2, 3, 4))
    assert_parity(lambda lib, x: lib.linalg.matrix_norm(x, ord_, keepdim=keepdim), [a])
    assert_parity(lambda lib, x: lib.linalg.matrix_norm(x, ord_, dim=(0, 2)), [a])
    assert_parity(lambda lib, x: lib.linalg.norm(x[0], ord_), [a])


@requires_torch
def test_norm_defaults_errors_and_gradcheck():
    a = Y
    assert_parity(lambda lib, x: lib.norm(x), [a])
    assert_parity(lambda lib, x: x.norm(p="nuc"), [a])
    assert_parity(lambda lib, x: x.norm(p="fro", dim=(0, 1), keepdim=True), [a])
    assert_parity(lambda lib, x: lib.linalg.svdvals(x), [a])
    for ord_ in (1, 2, 3, float("inf")):
        assert gradcheck(lambda x: teachnn.linalg.vector_norm(x, ord_, 1),
                         (teachnn.tensor(a, requires_grad=True),))
    assert gradcheck(lambda x: teachnn.linalg.matrix_norm(x, "nuc"), (teachnn.tensor(a, requires_grad=True),))
    for lib in (teachnn, torch):
        with pytest.raises(RuntimeError):
            lib.norm(lib.tensor([1, 2]))
    ours = teachnn.std_mean(teachnn.tensor(a), dim=1)
    theirs = torch.std_mean(torch.tensor(a), dim=1)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12)


EXTRA = [
    lambda lib, x: lib.median(x),
    lambda lib, x: tuple(lib.median(x, 1)),
    lambda lib, x: tuple(x.median(dim=0, keepdim=True)),
    lambda lib, x: lib.diff(x, dim=0),
    lambda lib, x: x.diff(n=2),
    lambda lib, x: lib.diff(x, prepend=x[:, :1], append=x[:, -2:]),
    lambda lib, x: x.diagonal(),
    lambda lib, x: lib.diagonal(x, 1),
    lambda lib, x: lib.diagonal(x, -1),
    lambda lib, x: lib.diagonal(x.reshape(3, 2, 2), 0, 1, 2),
    lambda lib, x: x.trace(),
    lambda lib, x: lib.logcumsumexp(x, 1),
    lambda lib, x: lib.logcumsumexp(x * 100, 0),
    lambda lib, x: lib.mv(x, x[0]),
    lambda lib, x: lib.addmm(x[:, :3], x, x.t()[:, :3], beta=0.5, alpha=2),
    lambda lib, x: lib.inner(x, x),
    lambda lib, x: lib.tensordot(x, x.t(), dims=1),
    lambda lib, x: lib.tensordot(x, x, dims=([0, 1], [0, 1])),
    lambda lib, x: lib.tensordot(x, x, dims=([0], [0])),
    lambda lib, x: lib.nansum(x.sqrt()),
    lambda lib, x: lib.nanmean(x.sqrt(), dim=1),
]


@requires_torch
@pytest.mark.parametrize("k", range(len(EXTRA)))
def test_further_reductions_match_torch(k):
    assert_parity(EXTRA[k], [RNG.permutation(12).reshape(3, 4) / 7 - 0.5])


@requires_torch
def test_median_picks_the_lower_middle_and_diff_of_ints():
    x = teachnn.tensor(X, requires_grad=True)
    assert [x.median().grad_fn.name(), x.median(1).values.grad_fn.name(), x.trace().grad_fn.name()] == \
        ["MedianBackward0", "MedianBackward1", "TraceBackward0"]
    assert teachnn.tensor([4.0, 1, 3, 2]).median().item() == torch.tensor([4.0, 1, 3, 2]).median().item() == 2.0
    ours = teachnn.diff(teachnn.tensor([1, 3, 6]), prepend=teachnn.tensor([0]))
    assert ours.tolist() == torch.diff(torch.tensor([1, 3, 6]), prepend=torch.tensor([0])).tolist()
    assert ours.dtype == teachnn.int64


@requires_torch
@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1])
def test_cummax_cummin_with_ties_and_nan(name, dim):
    a = np.array([[1.0, 3, 3, 2], [np.nan, 0, -1, 5], [2, 2, 7, 7]])
    ours, theirs = assert_parity(lambda lib, x: tuple(getattr(lib, name)(x, dim)), [a])
    assert ours[1].dtype == teachnn.int64


@requires_torch
def test_nan_to_num_xlogy_logit_and_friends():
    special = np.array([[1.5, np.nan, np.inf], [-np.inf, 0.0, -2.0]])
    assert_parity(lambda lib, x: lib.nan_to_num(x, nan=0.5), [special])
    assert_parity(lambda lib, x: x.nan_to_num(posinf=9.0, neginf=-9.0), [special])
    assert_parity(lambda lib, x, y: lib.xlogy(x, y), [X, POS])
    assert_parity(lambda lib, x, y: lib.xlogy(x * 0, y - 2), [X, POS], grad=False)
    assert_parity(lambda lib, x: lib.logit(x.abs()), [X])
    assert_parity(lambda lib, x: lib.logit(x, eps=0.05), [np.array([0.0, 0.01, 0.5, 0.99, 1.0])])
    for name in ("isposinf", "isneginf"):
        assert getattr(teachnn, name)(teachnn.tensor(special)).tolist() == \
            getattr(torch, name)(torch.tensor(special)).tolist()
    assert teachnn.vdot(teachnn.tensor([1.0, 2]), teachnn.tensor([3.0, 4])).item() == 11.0
    ours, theirs = teachnn.aminmax(teachnn.tensor(X), dim=1), torch.aminmax(torch.tensor(X), dim=1)
    np.testing.assert_array_equal(ours.min.numpy(), theirs.min.numpy())
    np.testing.assert_array_equal(ours.max.numpy(), theirs.max.numpy())
