"""PyTorch-tutorial compatibility of the tensor library: device helpers, NumPy inputs,
out=, legacy constructors, scatter/gather. Oracles: PyTorch (when it imports) and
hand-computed values."""
import numpy as np
import pytest

import teachnn
from tests.parity import requires_torch, torch


# ------------------------------------------------------------------------------------------
# 1. device helpers
# ------------------------------------------------------------------------------------------
def test_device_helpers_report_cpu_only():
    assert teachnn.cuda.is_available() is False
    assert teachnn.cuda.device_count() == 0
    assert teachnn.accelerator.is_available() is False
    assert teachnn.accelerator.current_accelerator() is None
    assert teachnn.backends.mps.is_available() is False
    # the Quickstart's device line
    device = (teachnn.accelerator.current_accelerator().type
              if teachnn.accelerator.is_available() else "cpu")
    assert device == "cpu"


def test_device_class():
    d = teachnn.device("cpu")
    assert d.type == "cpu" and d.index is None
    assert repr(d) == "device(type='cpu')" and str(d) == "cpu"
    assert d == "cpu" and d == teachnn.device("cpu") and d != "cuda"
    assert teachnn.tensor([1.0]).device == d
    c = teachnn.device("cuda:1")
    assert c.type == "cuda" and c.index == 1
    assert teachnn.device(type="cpu") == "cpu"
    with pytest.raises(TypeError):
        teachnn.device(3)


@requires_torch
def test_device_matches_torch():
    assert repr(teachnn.device("cpu")) == repr(torch.device("cpu"))
    assert repr(teachnn.device("cuda:1")) == repr(torch.device("cuda:1"))
    assert str(teachnn.device("cuda:1")) == str(torch.device("cuda:1"))
    # deliberate difference: torch.device('cpu') == 'cpu' is False, teachnn says True
    assert teachnn.device("cpu") == teachnn.device("cpu") and torch.device("cpu") == torch.device("cpu")


def test_to_device():
    x = teachnn.tensor([1.0, 2.0])
    assert x.to("cpu") is x
    assert x.to(teachnn.device("cpu")) is x
    assert x.to(device="cpu", dtype=teachnn.float64).dtype == teachnn.float64
    # a CPU-only PyTorch fails an assertion for CUDA, and raises RuntimeError for other devices
    for target in ("cuda", teachnn.device("cuda"), "cuda:0"):
        with pytest.raises(AssertionError, match="CPU only"):
            x.to(target)
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("mps")
    with pytest.raises(AssertionError, match="CPU only"):
        x.to(device="cuda")
    with pytest.raises(AssertionError, match="CPU only"):
        x.cuda()


# ------------------------------------------------------------------------------------------
# 2. NumPy arrays (t.numpy()) are refused by module-level functions, as in torch
# ------------------------------------------------------------------------------------------
NUMPY_CALLS = [
    ("max", lambda lib, a: lib.max(a, 1)), ("argmax", lambda lib, a: lib.argmax(a, dim=1)),
    ("sum", lambda lib, a: lib.sum(a)), ("mean", lambda lib, a: lib.mean(a, 0)),
    ("min", lambda lib, a: lib.min(a)), ("softmax", lambda lib, a: lib.softmax(a, dim=1)),
    ("cat", lambda lib, a: lib.cat([a, a], 0)), ("stack", lambda lib, a: lib.stack([a, a])),
    ("where", lambda lib, a: lib.where(a > 2, a, 0.0)), ("matmul", lambda lib, a: lib.matmul(a, a.T)),
    ("flatten", lambda lib, a: lib.flatten(a)), ("einsum", lambda lib, a: lib.einsum("ij->j", a)),
    ("add(other=)", lambda lib, a: lib.add(lib.ones(2, 3), other=a)),
]


@requires_torch
@pytest.mark.parametrize("call", [c for _, c in NUMPY_CALLS], ids=[n for n, _ in NUMPY_CALLS])
def test_module_functions_refuse_numpy_arrays_as_torch(call):
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], dtype=np.float32)
    with pytest.raises(TypeError):
        call(torch, a)
    with pytest.raises(TypeError, match=r"numpy\.ndarray .*teachnn\.from_numpy\(a\)"):
        call(teachnn, a)


@requires_torch
def test_numpy_inputs_wrapped_with_from_numpy_match_torch():
    a = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    for name, args in [("max", (1,)), ("min", (0,)), ("argmax", (1,)), ("sum", (1,)), ("mean", ()),
                       ("std", (0,)), ("exp", ()), ("abs", ()), ("argsort", (1,))]:
        ours = getattr(teachnn, name)(teachnn.from_numpy(a), *args)
        ref = getattr(torch, name)(torch.from_numpy(a), *args)
        if isinstance(ref, tuple):
            for o, r in zip(ours, ref):
                np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-5, err_msg=name)
        else:
            np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-5, err_msg=name)
    # from_numpy shares memory, as torch's does
    view = teachnn.flatten(teachnn.from_numpy(a))
    view[0] = 100.0
    assert a[0, 0] == 100.0


# ------------------------------------------------------------------------------------------
# 4. legacy constructors
# ------------------------------------------------------------------------------------------
def test_legacy_tensor_constructor():
    t = teachnn.Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype == teachnn.float32 and not t.requires_grad
    assert teachnn.Tensor(2, 0).shape == (2, 0)
    assert teachnn.Tensor(teachnn.Size([4, 1])).shape == (4, 1)
    v = teachnn.Tensor([1, 2])
    assert v.dtype == teachnn.float32
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    assert teachnn.Tensor().shape == (0,)
    # the internal contract: an ndarray is stored as it is (same object, dtype kept)
    a = np.arange(3)
    w = teachnn.Tensor(a)
    assert w._data is a and w.dtype == teachnn.int64
    g = teachnn.Tensor(np.ones(2), True)
    assert g.requires_grad and g.dtype == teachnn.float64
    with pytest.raises(RuntimeError, match="negative dimension"):
        teachnn.Tensor(-1)
    with pytest.raises(TypeError):
        teachnn.Tensor(np.ones(2), False, 3)
    with pytest.raises(TypeError):
        teachnn.Tensor(np.ones(2), 1)      # requires_grad must be a bool
    # Parameter (a Tensor subclass) still wraps a tensor, and legacy tensors feed it
    from teachnn import nn
    p = nn.Parameter(teachnn.Tensor(3, 2))
    assert p.shape == (3, 2) and p.requires_grad and isinstance(p, teachnn.Tensor)


def test_legacy_typed_constructors():
    cases = [(teachnn.FloatTensor, np.float32), (teachnn.DoubleTensor, np.float64),
             (teachnn.LongTensor, np.int64), (teachnn.IntTensor, np.int32)]
    for cls, np_dtype in cases:
        x = cls([1.7, -1.7, 3])
        np.testing.assert_array_equal(x.numpy(), np.array([1.7, -1.7, 3]).astype(np_dtype))
        assert x._data.dtype == np_dtype
        e = cls(2, 3)
        assert e.shape == (2, 3) and e._data.dtype == np_dtype
        assert isinstance(e, cls) and isinstance(e, teachnn.Tensor)
        src = np.array([1.0, 2.0])
        c = cls(src)
        c[0] = 9
        assert src[0] == 1.0                 # a copy, like torch
    assert not isinstance(teachnn.zeros(2), teachnn.LongTensor)
    assert teachnn.zeros(2).type(teachnn.LongTensor).dtype == teachnn.int64
    with pytest.raises(TypeError, match="sequence"):
        teachnn.FloatTensor(2.5)


@requires_torch
def test_legacy_constructors_match_torch():
    for args in [([1, 2],), ([[1.5, 2.0], [3.0, 4.0]],), ([-1.7, 2.9],)]:
        for name in ["Tensor", "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor"]:
            ours = getattr(teachnn, name)(*args)
            ref = getattr(torch, name)(*args)
            np.testing.assert_array_equal(ours.numpy(), ref.numpy(), err_msg=name)
            assert str(ours.dtype).split(".")[1] == str(ref.dtype).split(".")[1], name
    for sizes in [(2, 3), (0,), (4, 1, 2)]:
        assert tuple(teachnn.Tensor(*sizes).shape) == tuple(torch.Tensor(*sizes).shape)
        assert tuple(teachnn.LongTensor(*sizes).shape) == tuple(torch.LongTensor(*sizes).shape)
    assert isinstance(torch.zeros(2), torch.FloatTensor) == isinstance(teachnn.zeros(2), teachnn.FloatTensor)
    with pytest.raises(RuntimeError):
        torch.Tensor(-1)


# ------------------------------------------------------------------------------------------
# 5. scatter / scatter_add / gather
# ------------------------------------------------------------------------------------------
def _naive_scatter(x, dim, index, src, add):
    """Reference loop: out[..., index[pos], ...] (=|+=) src[pos] over every position of index."""
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        value = src[pos] if isinstance(src, np.ndarray) else src
        if add:
            out[tuple(target)] += value
        else:
            out[tuple(target)] = value
    return out


def test_scatter_against_naive_loop():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 5))
    src = rng.standard_normal((3, 5))
    for dim in (0, 1, -1):
        d = dim % 2
        idx_shape = (3, 4) if d == 0 else (2, 5)
        # a permutation per row/column so no target is written twice (scatter with repeats is
        # unspecified in torch)
        if d == 0:
            index = np.stack([rng.permutation(4)[:3] for _ in range(4)], axis=1)
        else:
            index = np.stack([rng.permutation(5) for _ in range(2)], axis=0)
        assert index.shape == idx_shape
        s = src if d == 0 else rng.standard_normal((2, 5))
        t = teachnn.tensor(x).scatter(dim, teachnn.tensor(index), teachnn.tensor(s))
        np.testing.assert_array_equal(t.numpy(), _naive_scatter(x, d, index, s, False))
        v = teachnn.tensor(x).scatter(dim, teachnn.tensor(index), 2.5)
        np.testing.assert_array_equal(v.numpy(), _naive_scatter(x, d, index, 2.5, False))
    # scatter_add: repeats add up
    index = rng.integers(0, 4, size=(3, 5))
    t = teachnn.scatter_add(teachnn.tensor(x), 0, teachnn.tensor(index), teachnn.tensor(src))
    np.testing.assert_allclose(t.numpy(), _naive_scatter(x, 0, index, src, True), rtol=1e-12)


def test_scatter_inplace_one_hot():
    labels = teachnn.tensor([2, 0, 3])
    one_hot = teachnn.zeros(3, 4)
    out = one_hot.scatter_(1, labels.unsqueeze(1), 1.0)
    assert out is one_hot
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(4, dtype=np.float32)[[2, 0, 3]])
    acc = teachnn.zeros(2)
    acc.scatter_add_(0, teachnn.tensor([1, 1, 0]), teachnn.tensor([1.0, 2.0, 5.0]))
    np.testing.assert_array_equal(acc.numpy(), [5.0, 3.0])


def test_scatter_and_gather_gradcheck():
    rng = np.random.default_rng(2)
    from teachnn.autograd import gradcheck
    x = teachnn.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    src = teachnn.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    index = teachnn.tensor([[0, 2, 1, 0], [2, 1, 0, 1]])          # no repeats within a column
    assert gradcheck(lambda a, b: a.scatter(0, index, b), (x, src))
    rep = teachnn.tensor([[0, 0, 1, 1], [0, 0, 1, 1]])              # repeats add up
    assert gradcheck(lambda a, b: a.scatter_add(0, rep, b), (x, src))
    assert gradcheck(lambda a: a.gather(1, teachnn.tensor([[0, 0], [3, 1], [2, 2]])), (x,))
    # in-place scatter_ on a non-leaf is tracked
    assert gradcheck(lambda a, b: (a * 1.0).scatter_(0, index, b), (x, src))


def test_scatter_gather_errors():
    x = teachnn.zeros(3, 4)
    with pytest.raises(RuntimeError, match="int64"):
        x.scatter(0, teachnn.tensor([[0]], dtype=teachnn.int32), 1.0)
    with pytest.raises(RuntimeError, match="out of bounds"):
        x.scatter(0, teachnn.tensor([[3]]), 1.0)
    with pytest.raises(RuntimeError, match="out of bounds"):
        x.gather(1, teachnn.tensor([[-1]]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(0, teachnn.tensor([0]))
    with pytest.raises(RuntimeError, match="dtype"):
        x.scatter(0, teachnn.tensor([[0]]), teachnn.ones(1, 1, dtype=teachnn.float64))
    with pytest.raises(RuntimeError, match="Size does not match"):
        x.scatter(0, teachnn.tensor([[0, 1, 2]]), teachnn.ones(1, 2))
    with pytest.raises(RuntimeError, match="leaf"):
        teachnn.zeros(3, 4, requires_grad=True).scatter_(0, teachnn.tensor([[0]]), 1.0)


@requires_torch
def test_scatter_gather_match_torch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    src = rng.standard_normal((3, 6)).astype(np.float32)
    index = np.stack([rng.permutation(4)[:3] for _ in range(6)], axis=1)
    rep = rng.integers(0, 4, size=(3, 6))
    g = rng.standard_normal((4, 6)).astype(np.float32)
    for name, idx in [("scatter", index), ("scatter_add", rep)]:
        results = []
        for lib in (teachnn, torch):
            a = lib.tensor(x, requires_grad=True)
            b = lib.tensor(src, requires_grad=True)
            out = getattr(a, name)(0, lib.tensor(idx), b)
            out.backward(lib.tensor(g))
            results.append((out.detach().numpy(), a.grad.numpy(), b.grad.numpy()))
        for ours, ref in zip(*results):
            np.testing.assert_allclose(ours, ref, rtol=1e-6, err_msg=name)
    ours = teachnn.zeros(3, 5).scatter_(1, teachnn.tensor([[4], [0], [2]]), 1.0)
    ref = torch.zeros(3, 5).scatter_(1, torch.tensor([[4], [0], [2]]), 1.0)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    gi = rng.integers(0, 6, size=(4, 3))
    a = teachnn.tensor(x, requires_grad=True)
    ta = torch.tensor(x, requires_grad=True)
    a.gather(1, teachnn.tensor(gi)).sum().backward()
    ta.gather(1, torch.tensor(gi)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())


# ------------------------------------------------------------------------------------------
# 3. out=
# ------------------------------------------------------------------------------------------
def test_out_keyword_writes_into_the_given_tensor():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((2, 3)).astype(np.float32)
    ta, tb = teachnn.tensor(a), teachnn.tensor(b)
    cases = [("matmul", (ta, tb.T), a @ b.T), ("mul", (ta, tb), a * b), ("add", (ta, tb), a + b),
             ("sub", (ta, 2.0), a - 2.0), ("div", (ta, tb), a / b), ("exp", (ta,), np.exp(a)),
             ("sum", (ta, 1), a.sum(1)), ("maximum", (ta, tb), np.maximum(a, b))]
    for name, args, expected in cases:
        out = teachnn.empty(*expected.shape)
        array = out._data
        result = getattr(teachnn, name)(*args, out=out)
        assert result is out, name
        assert out._data is array, name                       # written in place, same array
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, err_msg=name)
    out = teachnn.empty(4, 3)
    teachnn.cat([ta, tb], 0, out=out)
    np.testing.assert_array_equal(out.numpy(), np.concatenate([a, b]))
    # a wrongly shaped out is resized (with a warning when it was not empty)
    out = teachnn.empty(0)
    teachnn.stack([ta, tb], dim=1, out=out)
    np.testing.assert_array_equal(out.numpy(), np.stack([a, b], axis=1))
    with pytest.warns(UserWarning, match="resized"):
        teachnn.mul(ta, tb, out=teachnn.zeros(5))
    # out keeps its dtype: float32 result into float64 out; float into int64 is an error
    out64 = teachnn.zeros(2, 3, dtype=teachnn.float64)
    teachnn.add(ta, 1, out=out64)
    assert out64.dtype == teachnn.float64
    np.testing.assert_allclose(out64.numpy(), a.astype(np.float64) + 1, rtol=1e-6)
    with pytest.raises(RuntimeError, match="can't be cast"):
        teachnn.add(ta, 0.5, out=teachnn.zeros(2, 3, dtype=teachnn.int64))


def test_out_keyword_and_autograd():
    a = teachnn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        teachnn.mul(a, 2.0, out=teachnn.empty(2))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        teachnn.mul(teachnn.ones(2), 2.0, out=teachnn.empty(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        teachnn.cat([a, a], out=teachnn.empty(4))
    with teachnn.no_grad():
        out = teachnn.empty(2)
        teachnn.mul(a, 3.0, out=out)
    assert not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), [3.0, 3.0])
    with pytest.raises(TypeError, match="out"):
        teachnn.mul(teachnn.ones(2), 2.0, out=np.empty(2))


@requires_torch
def test_out_keyword_matches_torch():
    t = np.arange(6, dtype=np.float32).reshape(2, 3)
    results = []
    for lib in (teachnn, torch):
        x = lib.tensor(t)
        y3 = lib.rand_like(x @ x.T)
        lib.matmul(x, x.T, out=y3)                          # the Tensors tutorial
        z3 = lib.rand_like(x)
        lib.mul(x, x, out=z3)
        c = lib.zeros(2, 6)
        lib.cat([x, x], dim=1, out=c)
        d = lib.zeros(2, 3, dtype=lib.float64)
        lib.div(x, 4, out=d)
        results.append([v.numpy() for v in (y3, z3, c, d)])
    for ours, ref in zip(*results):
        assert ours.dtype == ref.dtype
        np.testing.assert_allclose(ours, ref, rtol=1e-6)
    with pytest.raises(RuntimeError):
        torch.mul(torch.ones(2, requires_grad=True), 2.0, out=torch.empty(2))
