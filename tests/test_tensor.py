"""Tensor: forward values against NumPy, dtypes and promotion, shapes, indexing, printing,
conversions and the teaching errors for bad input (type and message)."""
import copy
import io

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import teachnn
from tests.parity import requires_torch, torch


# ----------------------------------------------------------------------------------------
# forward values against NumPy
# ----------------------------------------------------------------------------------------
ELEMENTWISE = [
    ("exp", lambda t: t.exp(), np.exp, "any"),
    ("log", lambda t: t.log(), np.log, "pos"),
    ("sqrt", lambda t: t.sqrt(), np.sqrt, "pos"),
    ("abs", lambda t: t.abs(), np.abs, "any"),
    ("neg", lambda t: -t, np.negative, "any"),
    ("relu", lambda t: t.relu(), lambda a: np.maximum(a, 0), "any"),
    ("sigmoid", lambda t: t.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), "any"),
    ("tanh", lambda t: t.tanh(), np.tanh, "any"),
    ("clamp", lambda t: t.clamp(-0.3, 0.4), lambda a: np.clip(a, -0.3, 0.4), "any"),
    ("square", lambda t: t ** 2, np.square, "any"),
    ("softmax", lambda t: t.softmax(-1),
     lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True), "any"),
    ("log_softmax", lambda t: t.log_softmax(0),
     lambda a: a - np.log(np.exp(a).sum(0, keepdims=True)), "any"),
    ("module_exp", teachnn.exp, np.exp, "any"),
    ("module_sigmoid", teachnn.sigmoid, lambda a: 1 / (1 + np.exp(-a)), "any"),
]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.sampled_from(ELEMENTWISE),
       st.sampled_from(["float32", "float64"]))
def test_elementwise_against_numpy(shape, op, dtype):
    name, fn, ref, kind = op
    rng = np.random.default_rng(len(shape))
    a = rng.uniform(0.1, 3.0, shape) if kind == "pos" else rng.standard_normal(shape) * 3
    a = a.astype(dtype)
    out = fn(teachnn.tensor(a))
    assert out.dtype == getattr(teachnn, dtype)
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out._data, ref(a.astype(np.float64)), rtol=tol, atol=tol)


def test_reductions_against_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 5))
    t = teachnn.tensor(a)
    np.testing.assert_allclose(t.sum().item(), a.sum())
    np.testing.assert_allclose(t.sum(dim=(0, 2))._data, a.sum(axis=(0, 2)))
    np.testing.assert_allclose(t.mean(1, keepdim=True)._data, a.mean(1, keepdims=True))
    np.testing.assert_allclose(t.var().item(), a.var(ddof=1))
    np.testing.assert_allclose(t.var(1, unbiased=False)._data, a.var(1))
    np.testing.assert_allclose(t.std(2, keepdim=True)._data, a.std(2, ddof=1, keepdims=True))
    np.testing.assert_allclose(t.std(correction=0).item(), a.std())
    np.testing.assert_allclose(t.max().item(), a.max())
    np.testing.assert_allclose(t.min(0).values._data, a.min(0))
    np.testing.assert_array_equal(t.max(2).indices._data, a.argmax(2))
    assert t.argmax().item() == a.argmax()
    np.testing.assert_array_equal(t.argmin(1)._data, a.argmin(1))
    np.testing.assert_array_equal(t.argmax(1, keepdim=True)._data, np.expand_dims(a.argmax(1), 1))
    assert teachnn.sum(t).item() == pytest.approx(a.sum())
    assert teachnn.mean(t, 0).shape == (4, 5)
    assert teachnn.max(t, 1).values.shape == (3, 5)
    assert teachnn.argmin(t).item() == a.argmin()


def test_integer_sum_and_mean_dtypes():
    t = teachnn.tensor([[1, 2], [3, 4]])
    s = t.sum()
    assert s.dtype == teachnn.int64 and s.item() == 10
    assert teachnn.tensor([True, True, False]).sum().item() == 2
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        t.mean()
    assert t.float().mean().item() == 2.5


def test_matmul_against_numpy():
    rng = np.random.default_rng(1)
    for sa, sb in [((3, 4), (4, 2)), ((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)),
                   ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2))]:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        np.testing.assert_allclose((teachnn.tensor(a) @ teachnn.tensor(b))._data, a @ b, rtol=1e-12)
        np.testing.assert_allclose(teachnn.matmul(teachnn.tensor(a), teachnn.tensor(b))._data, a @ b)


# ----------------------------------------------------------------------------------------
# dtypes and type promotion (PyTorch's rules, checked against torch where available)
# ----------------------------------------------------------------------------------------
def test_tensor_dtype_defaults():
    assert teachnn.tensor([1.0, 2.0]).dtype == teachnn.float32
    assert teachnn.tensor([1, 2]).dtype == teachnn.int64
    assert teachnn.tensor([True]).dtype == teachnn.bool
    assert teachnn.tensor(np.zeros(2)).dtype == teachnn.float64        # numpy float64 stays
    assert teachnn.tensor(3.5).shape == () and teachnn.tensor(3.5).dim() == 0
    assert teachnn.tensor([1, 2], dtype=teachnn.float64).dtype is teachnn.float64
    assert repr(teachnn.float32) == "teachnn.float32"
    assert teachnn.float32.is_floating_point and not teachnn.int64.is_floating_point
    assert teachnn.float is teachnn.float32 and teachnn.long is teachnn.int64
    assert teachnn.float64.np == np.float64
    assert teachnn.get_default_dtype() is teachnn.float32


def test_dtype_conversions():
    t = teachnn.tensor([1.7, -2.2])
    assert t.to(teachnn.float64).dtype == teachnn.float64
    assert t.double().dtype == teachnn.float64
    assert t.long().tolist() == [1, -2] and t.long().dtype == teachnn.int64
    assert t.int().dtype == teachnn.int32
    assert t.bool().tolist() == [True, True]
    assert t.float() is t                      # no change: the same tensor, like torch
    assert t.to("cpu") is t
    assert t.to(teachnn.zeros(1, dtype=teachnn.float64)).dtype == teachnn.float64
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.grad_fn.name() == "ToCopyBackward0"
    y.sum().backward()
    assert x.grad.dtype == teachnn.float32 and x.grad.tolist() == [1.0, 1.0]


PROMOTION_CASES = [
    ("f32+f64", lambda lib: lib.ones(2) + lib.ones(2, dtype=lib.float64)),
    ("i64+float", lambda lib: lib.tensor([1, 2]) + 1.5),
    ("i64*int", lambda lib: lib.tensor([1, 2]) * 3),
    ("i64/i64", lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 4])),
    ("i64/int", lambda lib: lib.tensor([3, 4]) / 2),
    ("bool+bool_int", lambda lib: lib.tensor([True, False]) + 1),
    ("f32+0d_f64", lambda lib: lib.ones(2) + lib.tensor(2.0, dtype=lib.float64)),
    ("i64+0d_f64", lambda lib: lib.tensor([1, 2]) + lib.tensor(2.0, dtype=lib.float64)),
    ("i32+i64", lambda lib: lib.tensor([1], dtype=lib.int32) + lib.tensor([1])),
    ("f32*np_float", lambda lib: lib.ones(2) * 0.1),
    ("int**float", lambda lib: lib.tensor([1, 4]) ** 0.5),
    ("float_sum_dtype", lambda lib: lib.tensor([1, 2]).sum(dtype=lib.float64)),
    ("exp_int", lambda lib: lib.tensor([0, 1]).exp()),
    ("where_scalar", lambda lib: lib.where(lib.tensor([True, False]), lib.ones(2), 0.0)),
    ("rsub_int", lambda lib: 1 - lib.tensor([1, 2])),
    ("cat_mixed", lambda lib: lib.cat([lib.ones(2), lib.ones(2, dtype=lib.float64)])),
]


@requires_torch
@pytest.mark.parametrize("name,fn", PROMOTION_CASES, ids=[c[0] for c in PROMOTION_CASES])
def test_type_promotion_matches_torch(name, fn):
    ours, theirs = fn(teachnn), fn(torch)
    assert str(ours.dtype).replace("teachnn.", "") == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours._data, theirs.numpy(), rtol=1e-6)


def test_type_promotion_hand_checked():
    # the same rules, without torch: a Python float never makes a float32 tensor float64
    assert (teachnn.ones(2) * 0.1).dtype == teachnn.float32
    assert (teachnn.tensor([1, 2]) / 2).dtype == teachnn.float32
    assert (teachnn.tensor([1, 2]) + 1.5).dtype == teachnn.float32
    assert (teachnn.ones(2) + teachnn.ones(2, dtype=teachnn.float64)).dtype == teachnn.float64


def test_unknown_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="unknown dtype 'float33'.*teachnn.float32"):
        teachnn.zeros(2, dtype="float33")
    with pytest.raises(TypeError, match="unknown dtype"):
        teachnn.ones(2).to(np.complex64)
    with pytest.raises(TypeError, match="can't convert NumPy arrays of dtype"):
        teachnn.from_numpy(np.zeros(2, dtype=np.complex128))


# ----------------------------------------------------------------------------------------
# shapes
# ----------------------------------------------------------------------------------------
def test_shape_and_size():
    t = teachnn.zeros(2, 3, 4)
    assert isinstance(t.shape, teachnn.Size) and isinstance(t.shape, tuple)
    assert t.shape == (2, 3, 4) and repr(t.shape) == "teachnn.Size([2, 3, 4])"
    assert t.size() == t.shape and t.size(1) == 3 and t.size(-1) == 4
    assert t.dim() == t.ndim == 3 and t.numel() == 24 and len(t) == 2
    assert t.shape[1:] == (3, 4) and isinstance(t.shape[1:], teachnn.Size)
    assert t.shape.numel() == 24
    assert str(t.device) == "cpu" and t.device.type == "cpu"


def test_view_reshape_flatten_squeeze():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = teachnn.tensor(a)
    np.testing.assert_array_equal(t.view(6, -1)._data, a.reshape(6, 4))
    np.testing.assert_array_equal(t.view((4, 6))._data, a.reshape(4, 6))
    np.testing.assert_array_equal(t.reshape(-1)._data, a.reshape(-1))
    assert t.flatten().shape == (24,)
    assert t.flatten(1).shape == (2, 12)
    assert t.flatten(0, 1).shape == (6, 4)
    assert t.flatten(-2, -1).shape == (2, 12)
    assert t.unsqueeze(0).shape == (1, 2, 3, 4) and t.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert teachnn.zeros(1, 3, 1).squeeze().shape == (3,)
    assert teachnn.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    assert teachnn.zeros(2, 3).squeeze(0).shape == (2, 3)          # size 2: left alone
    np.testing.assert_array_equal(t.permute(2, 0, 1)._data, a.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.transpose(0, 2)._data, a.swapaxes(0, 2))
    np.testing.assert_array_equal(t[0].t()._data, a[0].T)
    np.testing.assert_array_equal(t[0].T._data, a[0].T)
    np.testing.assert_array_equal(teachnn.tensor([[1], [2]]).expand(2, 3)._data, [[1, 1, 1], [2, 2, 2]])
    np.testing.assert_array_equal(teachnn.tensor([1, 2]).repeat(2, 2)._data, np.tile([1, 2], (2, 2)))
    assert t.transpose(0, 1).contiguous().is_contiguous()
    assert teachnn.zeros(2, 3).view_as(teachnn.zeros(3, 2)).shape == (3, 2)
    assert t.unflatten(2, (2, 2)).shape == (2, 3, 2, 2)


def test_shape_errors():
    t = teachnn.zeros(2, 3)
    with pytest.raises(RuntimeError, match="shape '\\[4, 2\\]' is invalid for input of size 6"):
        t.view(4, 2)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        t.view(-1, -1)
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        t.reshape(-1, 4)
    with pytest.raises(IndexError, match="Dimension out of range \\(expected to be in range of \\[-2, 1\\], but got 2\\)"):
        t.sum(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.unsqueeze(3)
    with pytest.raises(RuntimeError, match="expanded size of the tensor \\(4\\) must match the existing size \\(3\\)"):
        t.expand(2, 4)
    with pytest.raises(RuntimeError, match="number of dimensions in the tensor input does not match"):
        t.permute(1, 0, 2)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        teachnn.zeros(2, 2, 2).t()
    with pytest.raises(TypeError, match="sizes must be ints"):
        t.view(2.5, 2)


def test_broadcast_and_matmul_errors_are_teaching_errors():
    with pytest.raises(RuntimeError, match="The size of tensor a \\(3\\) must match the size of tensor b \\(4\\) at non-singleton dimension 1"):
        teachnn.zeros(2, 3) + teachnn.zeros(2, 4)
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied \\(2x3 and 4x5\\)"):
        teachnn.zeros(2, 3) @ teachnn.zeros(4, 5)
    with pytest.raises(RuntimeError, match="both arguments to matmul need to be at least 1D"):
        teachnn.zeros(2) @ teachnn.tensor(2.0)
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        teachnn.zeros(2) @ teachnn.zeros(3)
    with pytest.raises(RuntimeError, match="mm\\(\\): both arguments must be 2-d"):
        teachnn.mm(teachnn.zeros(2, 3, 4), teachnn.zeros(4, 2))
    with pytest.raises(TypeError, match="unsupported operand"):
        teachnn.zeros(2) + "a"
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"):
        teachnn.zeros(2, 3) @ teachnn.zeros(3, 2, dtype=teachnn.float64)


@requires_torch
def test_error_types_match_torch():
    cases = [
        lambda lib: lib.zeros(2, 3) + lib.zeros(2, 4),
        lambda lib: lib.zeros(2, 3) @ lib.zeros(4, 5),
        lambda lib: lib.zeros(2, 3).view(4, 2),
        lambda lib: lib.zeros(2, 3).sum(2),
        lambda lib: lib.zeros(2, 3)[2],
        lambda lib: lib.zeros(2, 3)[0, 0, 0],
        lambda lib: lib.tensor([1, 2], requires_grad=True),
        lambda lib: lib.ones(2, 3, requires_grad=True).mul(2).backward(),
        lambda lib: lib.ones(2).item(),
        lambda lib: bool(lib.ones(2)),
        lambda lib: lib.ones(2, requires_grad=True).numpy(),
        lambda lib: lib.zeros(2, dtype="float33"),
        lambda lib: lib.ones(2, requires_grad=True).add_(1),
        lambda lib: lib.cat([lib.zeros(2, 3), lib.zeros(3, 2)]),
        lambda lib: lib.stack([lib.zeros(2), lib.zeros(3)]),
        lambda lib: lib.zeros(2, 3) @ lib.zeros(3, 2, dtype=lib.float64),
    ]
    for i, case in enumerate(cases):
        with pytest.raises(Exception) as ours:
            case(teachnn)
        with pytest.raises(Exception) as theirs:
            case(torch)
        assert ours.type is theirs.type or issubclass(ours.type, theirs.type), \
            f"case {i}: teachnn raised {ours.type.__name__}, torch {theirs.type.__name__}"


# ----------------------------------------------------------------------------------------
# indexing
# ----------------------------------------------------------------------------------------
INDEXES = [
    1, -1, (0, 2), slice(1, None), (slice(None), 1), (Ellipsis, 0), (None, 0), [0, 2, 2],
    (slice(None), [1, 0]), ([0, 1], [2, 3]), (slice(0, 3, 2), slice(None, None, 2)), (0, None, slice(1, 3)),
]


@pytest.mark.parametrize("index", INDEXES, ids=[repr(i) for i in INDEXES])
def test_getitem_against_numpy(index):
    a = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(teachnn.tensor(a)[index]._data, a[index])


def test_getitem_with_tensors_and_masks():
    a = np.arange(12.0).reshape(3, 4)
    t = teachnn.tensor(a)
    np.testing.assert_array_equal(t[t > 5]._data, a[a > 5])
    np.testing.assert_array_equal(t[teachnn.tensor([2, 0])]._data, a[[2, 0]])
    np.testing.assert_array_equal(t[teachnn.tensor(1)]._data, a[1])
    np.testing.assert_array_equal(t[teachnn.tensor([True, False, True])]._data, a[[True, False, True]])
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool"):
        t[teachnn.tensor([0.0])]


def test_index_errors():
    t = teachnn.zeros(2, 3)
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 0 with size 2"):
        t[2]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 3"):
        t[:, 5]
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 2"):
        t[[0, 3]]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        t[0, 0, 0]


def test_setitem_without_grad():
    t = teachnn.zeros(2, 3)
    t[0, 1] = 5
    t[1] = teachnn.tensor([1.0, 2.0, 3.0])
    t[t > 2] = -1
    assert t.tolist() == [[0.0, -1.0, 0.0], [1.0, 2.0, -1.0]]
    assert t.dtype == teachnn.float32


def test_setitem_on_leaf_requiring_grad():
    w = teachnn.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 1.0
    with teachnn.no_grad():
        w[0] = 1.0
    assert w.tolist() == [1.0, 0.0, 0.0]


# ----------------------------------------------------------------------------------------
# comparisons, logic, where
# ----------------------------------------------------------------------------------------
def test_comparisons():
    a = teachnn.tensor([1.0, 2.0, 3.0])
    b = teachnn.tensor([3.0, 2.0, 1.0])
    assert (a < b).tolist() == [True, False, False] and (a < b).dtype == teachnn.bool
    assert (a <= 2).tolist() == [True, True, False]
    assert (a == b).tolist() == [False, True, False]
    assert (a != 2).tolist() == [True, False, True]
    assert (a >= b).tolist() == [False, True, True]
    assert ((a > 1) & (b > 1)).tolist() == [False, True, False]
    assert (~(a > 1)).tolist() == [True, False, False]
    assert teachnn.where(a > 1, a, teachnn.zeros(3)).tolist() == [0.0, 2.0, 3.0]
    assert teachnn.allclose(a, a + 1e-9) and not teachnn.allclose(a, b)
    assert teachnn.equal(a, a.clone()) and not teachnn.equal(a, a[:2])
    assert (a > 2).any().item() and not (a > 5).any().item() and (a > 0).all().item()
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor"):
        teachnn.where(a, a, b)


def test_maximum_minimum_and_clamp_values():
    a = teachnn.tensor([1.0, 5.0, -2.0])
    b = teachnn.tensor([2.0, 3.0, -3.0])
    assert teachnn.maximum(a, b).tolist() == [2.0, 5.0, -2.0]
    assert teachnn.minimum(a, b).tolist() == [1.0, 3.0, -3.0]
    assert teachnn.clamp(a, min=0).tolist() == [1.0, 5.0, 0.0]
    assert a.clamp(max=2).tolist() == [1.0, 2.0, -2.0]
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        a.clamp()


# ----------------------------------------------------------------------------------------
# conversions and Python protocols
# ----------------------------------------------------------------------------------------
def test_item_tolist_numpy_array():
    t = teachnn.tensor([[1.5, 2.0]])
    assert t[0, 0].item() == 1.5 and isinstance(t[0, 0].item(), float)
    assert teachnn.tensor([7]).item() == 7 and isinstance(teachnn.tensor([7]).item(), int)
    assert t.tolist() == [[1.5, 2.0]]
    assert t.numpy() is t._data
    assert np.asarray(t).tolist() == [[1.5, 2.0]]
    assert np.array(t, dtype=np.float64).dtype == np.float64
    assert float(teachnn.tensor(2.5)) == 2.5 and int(teachnn.tensor(3)) == 3
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        t.item()
    r = teachnn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad. Use tensor.detach\\(\\).numpy\\(\\) instead."):
        r.numpy()
    assert r.detach().numpy().tolist() == [1.0, 1.0]


def test_bool_len_iter_hash():
    assert bool(teachnn.tensor([1.0])) and not bool(teachnn.tensor(0.0))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(teachnn.ones(2))
    t = teachnn.tensor([[1, 2], [3, 4]])
    assert len(t) == 2
    assert [row.tolist() for row in t] == [[1, 2], [3, 4]]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(teachnn.tensor(1.0))
    assert 3 in t and 5 not in t
    a, b = teachnn.ones(1), teachnn.ones(1)
    assert len({a, b, a}) == 2                     # hashed by identity, like torch
    assert {a: 1}[a] == 1


def test_from_numpy_shares_memory_and_as_tensor():
    a = np.zeros(3)
    t = teachnn.from_numpy(a)
    a[0] = 5
    assert t[0].item() == 5.0 and t.dtype == teachnn.float64
    assert teachnn.as_tensor(a)._data is a
    assert teachnn.as_tensor([1, 2]).dtype == teachnn.int64
    c = teachnn.tensor(a)
    a[1] = 7
    assert c[1].item() == 0.0                        # tensor() copies
    with pytest.raises(TypeError, match="expected np.ndarray"):
        teachnn.from_numpy([1, 2])


def test_tensor_from_nested_tensors_and_bad_data():
    t = teachnn.tensor([teachnn.tensor(1.0), teachnn.tensor(2.0)])
    assert t.tolist() == [1.0, 2.0] and t.dtype == teachnn.float32
    with pytest.raises((TypeError, ValueError)):
        teachnn.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="not text"):
        teachnn.tensor(["a"])


def test_save_and_load_roundtrip(tmp_path):
    state = {"weight": teachnn.randn(3, 2), "bias": teachnn.zeros(2, dtype=teachnn.float64),
             "steps": 5}
    path = tmp_path / "state.pt"
    teachnn.save(state, path)
    loaded = teachnn.load(path)
    assert set(loaded) == {"weight", "bias", "steps"}
    assert teachnn.equal(loaded["weight"], state["weight"])
    assert loaded["bias"].dtype is teachnn.float64 and loaded["steps"] == 5
    buffer = io.BytesIO()
    p = teachnn.ones(2, requires_grad=True)
    teachnn.save(p, buffer)
    buffer.seek(0)
    q = teachnn.load(buffer)
    assert q.requires_grad and q.tolist() == [1.0, 1.0]


def test_deepcopy_of_leaf():
    p = teachnn.ones(2, requires_grad=True)
    q = copy.deepcopy(p)
    assert q.requires_grad and q._data is not p._data and teachnn.equal(p, q)
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(p * 2)


def test_in_place_initialisers():
    t = teachnn.empty(2, 3)
    assert t.fill_(2.5) is t and t.tolist() == [[2.5] * 3] * 2
    t.zero_()
    assert t.tolist() == [[0.0] * 3] * 2
    t.copy_(teachnn.tensor([1.0, 2.0, 3.0]))           # broadcast copy
    assert t.tolist() == [[1.0, 2.0, 3.0]] * 2
    teachnn.manual_seed(0)
    t.uniform_(-2, -1)
    assert t.dtype == teachnn.float32 and np.all((t._data >= -2) & (t._data < -1))
    t.normal_(10.0, 0.01)
    assert np.all(np.abs(t._data - 10) < 0.1)
    with pytest.raises(RuntimeError, match="can't be broadcast"):
        t.copy_(teachnn.zeros(4))


def test_in_place_arithmetic_keeps_identity_and_dtype():
    t = teachnn.tensor([1, 2])
    data = t._data
    t += 1
    t *= 3
    assert t._data is data and t.tolist() == [6, 9] and t.dtype == teachnn.int64
    with pytest.raises(RuntimeError, match="result type Float32 can't be cast to the desired output type Int64"):
        t += 0.5
    f = teachnn.zeros(2)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        f += teachnn.zeros(2, 2)


# ----------------------------------------------------------------------------------------
# printing: repr like PyTorch's
# ----------------------------------------------------------------------------------------
REPR_CASES = [
    lambda lib: lib.tensor([[1.0, 2.0]]),
    lambda lib: lib.tensor([[1.0, 2.0]], requires_grad=True),
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) + 1,
    lambda lib: lib.tensor([1.5, -2.25, 3.0]),
    lambda lib: lib.tensor([0.1, 0.25]),
    lambda lib: lib.tensor([1e-5, 1.0]),
    lambda lib: lib.tensor([1e10, 1.0]),
    lambda lib: lib.tensor([123456789.0]),
    lambda lib: lib.tensor([0.0, -0.0]),
    lambda lib: lib.tensor([float("nan"), float("inf"), 1.0]),
    lambda lib: lib.tensor([float("nan"), 1.5]),
    lambda lib: lib.tensor(3.0),
    lambda lib: lib.tensor(3),
    lambda lib: lib.tensor([1, 2, 300]),
    lambda lib: lib.tensor([True, False]),
    lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
    lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    lambda lib: lib.tensor([1, 2], dtype=lib.uint8),
    lambda lib: lib.tensor([1.5], dtype=lib.float64, requires_grad=True) * 2,
    lambda lib: lib.zeros(0),
    lambda lib: lib.zeros(0, 3),
    lambda lib: lib.zeros(2, 0, dtype=lib.int64),
    lambda lib: lib.arange(12.0).reshape(2, 3, 2),
    lambda lib: lib.arange(2000).reshape(40, 50),
    lambda lib: lib.arange(1500.0) / 7,
    lambda lib: lib.arange(5000.0).reshape(10, 10, 50) / 3,
    lambda lib: lib.arange(30.0) / 7,
    lambda lib: lib.arange(100) * 1000,
    lambda lib: lib.tensor([[-1.23456, 1000.5], [0.001, 2.0]]),
    lambda lib: lib.ones(2, 2, requires_grad=True).sum(),
    lambda lib: lib.ones(3, 30, dtype=lib.float64, requires_grad=True) * 1.5,
    lambda lib: lib.tensor([[1e-8, 2e-8]]),
    lambda lib: lib.ones(2, requires_grad=True).max(),
    lambda lib: lib.tensor([[1.0, 2.0], [4.0, 3.0]]).max(1),
    lambda lib: lib.tensor([[1.0, 2.0], [4.0, 3.0]], requires_grad=True).min(dim=0, keepdim=True),
    lambda lib: lib.tensor([3, 1, 2]).sort(),
]


@requires_torch
@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_repr_matches_torch(case):
    fn = REPR_CASES[case]
    ours = repr(fn(teachnn))
    theirs = repr(fn(torch)).replace("torch.", "teachnn.")
    assert ours == theirs


def test_repr_examples_by_hand():
    assert repr(teachnn.tensor([[1.0, 2.0]], requires_grad=True)) == "tensor([[1., 2.]], requires_grad=True)"
    assert repr(teachnn.tensor([0.5, 1.25])) == "tensor([0.5000, 1.2500])"
    assert repr(teachnn.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(teachnn.tensor([1.0], dtype=teachnn.float64)) == "tensor([1.], dtype=teachnn.float64)"
    assert repr(teachnn.tensor([1.0], requires_grad=True) * 2) == "tensor([2.], grad_fn=<MulBackward0>)"
    assert repr(teachnn.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert str(teachnn.tensor([3])) == "tensor([3])"
    big = repr(teachnn.arange(2000))
    assert big == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    assert f"{teachnn.tensor(2.5):.2f}" == "2.50"


# ----------------------------------------------------------------------------------------
# keyword names: torch also accepts NumPy's axis= / keepdims=; typos get a suggestion
# ----------------------------------------------------------------------------------------
def test_numpy_keyword_aliases():
    a = np.arange(6.0).reshape(2, 3)
    t = teachnn.tensor(a)
    np.testing.assert_array_equal(t.sum(axis=1, keepdims=True)._data, a.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(teachnn.mean(t, axis=0)._data, a.mean(axis=0))
    np.testing.assert_array_equal(t.max(axis=1).values._data, a.max(axis=1))
    np.testing.assert_array_equal(t.argmax(axis=0)._data, a.argmax(axis=0))
    assert teachnn.cat([t, t], axis=1).shape == (2, 6)
    assert t.unsqueeze(axis=0).shape == (1, 2, 3)
    with pytest.raises(TypeError, match="got both 'dim' and its alias 'axis'"):
        t.sum(dim=0, axis=1)


def test_unknown_keyword_suggests_the_right_one():
    t = teachnn.zeros(2, 3)
    with pytest.raises(TypeError, match="Tensor.sum\\(\\) got an unexpected keyword argument 'dims'. Did you mean 'dim'\\?"):
        t.sum(dims=1)
    with pytest.raises(TypeError, match="zeros\\(\\) got an unexpected keyword argument 'dtpye'. Did you mean 'dtype'\\?"):
        teachnn.zeros(2, dtpye=teachnn.float32)
    with pytest.raises(TypeError, match="Did you mean 'keepdim'"):
        t.mean(0, keep_dim=True)


def test_unique_meshgrid_bincount():
    t = teachnn.tensor([3, 1, 3, 2, 1, 3])
    values, inverse, counts = t.unique(return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 3] and counts.tolist() == [2, 1, 3]
    assert values[inverse].tolist() == t.tolist()
    gi, gj = teachnn.meshgrid(teachnn.arange(2), teachnn.arange(3))
    assert gi.tolist() == [[0, 0, 0], [1, 1, 1]] and gj.tolist() == [[0, 1, 2], [0, 1, 2]]
    assert teachnn.bincount(t).tolist() == [0, 2, 1, 3]


def test_tensor_constructor_misuse_is_explained():
    assert teachnn.Tensor(2, 3).shape == (2, 3)    # legacy sizes form (see test_tensor_compat.py)
    with pytest.raises(TypeError, match="teachnn.zeros\\(2, 3\\)"):
        teachnn.Tensor(np.zeros(2), 3)             # an integer where requires_grad belongs
    t = teachnn.Tensor([1, 2])                     # like torch.Tensor([...]): default float dtype
    assert t.dtype == teachnn.float32 and t.tolist() == [1.0, 2.0]
    a = np.zeros(2, dtype=np.float64)
    assert teachnn.Tensor(a)._data is a             # the internal constructor wraps without copying


def test_typename_and_threads():
    assert teachnn.typename(teachnn.ones(1)) == "teachnn.FloatTensor"
    assert teachnn.ones(1).long().type() == "teachnn.LongTensor"
    assert teachnn.get_num_threads() >= 1


@requires_torch
@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=0, max_size=3),
       st.integers(-7, 10), st.sampled_from(["float32", "float64", "int64"]),
       st.booleans(), st.booleans())
def test_repr_of_random_tensors_matches_torch(shape, exponent, dtype, integral, requires_grad):
    rng = np.random.default_rng(abs(exponent) + len(shape))
    a = rng.standard_normal(shape) * 10.0 ** exponent
    if integral or dtype == "int64":
        a = np.round(a)
    a = a.astype(dtype)
    if a.size and dtype != "int64":
        a.reshape(-1)[0] = 0.0                   # zeros are skipped when choosing the format
    ours = teachnn.tensor(a, requires_grad=requires_grad and dtype != "int64")
    theirs = torch.tensor(a, requires_grad=requires_grad and dtype != "int64")
    assert repr(ours) == repr(theirs).replace("torch.", "teachnn.")


@requires_torch
@pytest.mark.parametrize("shape", [(1001,), (40, 30), (3, 400), (11, 11, 11)])
def test_repr_of_summarised_tensors_matches_torch(shape):
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    assert repr(teachnn.tensor(a)) == repr(torch.tensor(a))


MODULE_FUNCTIONS = {
    # name: (call, expected value computed by hand)
    "exp": (lambda: teachnn.exp(teachnn.tensor([0.0])), [1.0]),
    "log": (lambda: teachnn.log(teachnn.tensor([1.0])), [0.0]),
    "sqrt": (lambda: teachnn.sqrt(teachnn.tensor([9.0])), [3.0]),
    "abs": (lambda: teachnn.abs(teachnn.tensor([-2.0])), [2.0]),
    "sum": (lambda: teachnn.sum(teachnn.tensor([[1, 2], [3, 4]]), 0), [4, 6]),
    "mean": (lambda: teachnn.mean(teachnn.tensor([1.0, 3.0])), 2.0),
    "max": (lambda: teachnn.max(teachnn.tensor([1.0, 3.0])), 3.0),
    "min": (lambda: teachnn.min(teachnn.tensor([[1.0, 3.0]]), 1).values, [1.0]),
    "argmax": (lambda: teachnn.argmax(teachnn.tensor([1.0, 3.0, 2.0])), 1),
    "matmul": (lambda: teachnn.matmul(teachnn.tensor([1.0, 2.0]), teachnn.tensor([3.0, 4.0])), 11.0),
    "mm": (lambda: teachnn.mm(teachnn.tensor([[1.0, 2.0]]), teachnn.tensor([[3.0], [4.0]])), [[11.0]]),
    "relu": (lambda: teachnn.relu(teachnn.tensor([-1.0, 2.0])), [0.0, 2.0]),
    "sigmoid": (lambda: teachnn.sigmoid(teachnn.tensor([0.0])), [0.5]),
    "tanh": (lambda: teachnn.tanh(teachnn.tensor([0.0])), [0.0]),
    "softmax": (lambda: teachnn.softmax(teachnn.tensor([0.0, 0.0]), dim=0), [0.5, 0.5]),
    "log_softmax": (lambda: teachnn.log_softmax(teachnn.tensor([0.0, 0.0]), 0).exp(), [0.5, 0.5]),
    "flatten": (lambda: teachnn.flatten(teachnn.tensor([[1, 2], [3, 4]])), [1, 2, 3, 4]),
    "reshape": (lambda: teachnn.reshape(teachnn.tensor([1, 2, 3, 4]), (2, 2)), [[1, 2], [3, 4]]),
    "transpose": (lambda: teachnn.transpose(teachnn.tensor([[1, 2]]), 0, 1), [[1], [2]]),
    "permute": (lambda: teachnn.permute(teachnn.tensor([[1, 2]]), (1, 0)), [[1], [2]]),
    "squeeze": (lambda: teachnn.squeeze(teachnn.tensor([[1, 2]])), [1, 2]),
    "unsqueeze": (lambda: teachnn.unsqueeze(teachnn.tensor([1, 2]), 1), [[1], [2]]),
    "where": (lambda: teachnn.where(teachnn.tensor([True, False]), teachnn.tensor([1, 2]),
                                    teachnn.tensor([3, 4])), [1, 4]),
    "clamp": (lambda: teachnn.clamp(teachnn.tensor([-5, 5]), -1, 1), [-1, 1]),
    "allclose": (lambda: teachnn.allclose(teachnn.ones(2), teachnn.ones(2)), True),
    "equal": (lambda: teachnn.equal(teachnn.ones(2), teachnn.zeros(2)), False),
    "is_tensor": (lambda: (teachnn.is_tensor(teachnn.ones(1)), teachnn.is_tensor([1])), (True, False)),
    "numel": (lambda: teachnn.numel(teachnn.zeros(2, 3)), 6),
    "maximum": (lambda: teachnn.maximum(teachnn.tensor([1, 5]), teachnn.tensor([3, 2])), [3, 5]),
    "minimum": (lambda: teachnn.minimum(teachnn.tensor([1, 5]), teachnn.tensor([3, 2])), [1, 2]),
}


@pytest.mark.parametrize("name", sorted(MODULE_FUNCTIONS))
def test_module_level_functions(name):
    call, expected = MODULE_FUNCTIONS[name]
    result = call()
    if isinstance(result, teachnn.Tensor):
        result = result.tolist()
    assert result == expected


def test_data_assignment_like_torch():
    p = teachnn.zeros(3, requires_grad=True)
    p.data = teachnn.ones(3)                    # torch code: p.data = other_tensor
    assert isinstance(p.data, teachnn.Tensor) and p.tolist() == [1.0, 1.0, 1.0]
    assert p.requires_grad and p.is_leaf
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got ndarray"):
        p.data = np.full(3, 2.0, dtype=np.float32)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        p.data = [1, 2, 3]
    assert p.tolist() == [1.0, 1.0, 1.0]


_DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]


@requires_torch
@settings(max_examples=40, deadline=None)
@given(st.sampled_from(_DTYPES), st.sampled_from(_DTYPES), st.booleans(),
       st.sampled_from(["add", "sub", "mul", "div", "lt", "maximum", "where"]),
       st.one_of(st.none(), st.integers(-3, 3), st.floats(-2, 2, allow_nan=False), st.booleans()))
def test_type_promotion_of_random_pairs_matches_torch(dtype_a, dtype_b, b_is_0d, op, scalar):
    a = np.array([1, 2, 0], dtype=dtype_a)
    b = np.array(1 if b_is_0d else [2, 1, 1], dtype=dtype_b)

    def run(lib):
        x = lib.tensor(a)
        y = lib.tensor(b) if scalar is None else scalar
        if op == "add":
            return x + y
        if op == "sub":
            return x - y
        if op == "mul":
            return x * y
        if op == "div":
            return x / y
        if op == "lt":
            return x < y
        if op == "maximum":
            return lib.maximum(x, lib.tensor(b))
        return lib.where(x > 0, x, y)

    try:
        expected = run(torch)
    except (RuntimeError, TypeError) as error:
        with pytest.raises(type(error)):
            run(teachnn)
        return
    ours = run(teachnn)
    assert str(ours.dtype).replace("teachnn.", "") == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours._data.astype(np.float64), expected.numpy().astype(np.float64),
                               rtol=1e-6, equal_nan=True)
