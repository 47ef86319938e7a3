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
    for target in ("cuda", teachnn.device("cuda"), "cuda:0", "mps"):
        with pytest.raises(RuntimeError, match="CPU only"):
            x.to(target)
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to(device="cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()


# ------------------------------------------------------------------------------------------
# 2. NumPy arrays (t.data) accepted by module-level functions
# ------------------------------------------------------------------------------------------
def test_module_functions_accept_numpy_arrays():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], dtype=np.float32)
    outputs = teachnn.tensor(a, requires_grad=True)
    values, predicted = teachnn.max(outputs.data, 1)          # the CIFAR-10 tutorial line
    np.testing.assert_array_equal(predicted.numpy(), [1, 0])
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    assert predicted.dtype == teachnn.int64 and not values.requires_grad
    assert (predicted == teachnn.tensor([1, 2])).sum().item() == 1
    np.testing.assert_array_equal(teachnn.argmax(a, dim=1).numpy(), a.argmax(1))
    np.testing.assert_allclose(teachnn.sum(a).item(), a.sum())
    np.testing.assert_allclose(teachnn.mean(a, 0).numpy(), a.mean(0))
    np.testing.assert_array_equal(teachnn.min(a).numpy(), a.min())
    np.testing.assert_allclose(teachnn.softmax(a, dim=1).numpy(),
                               np.exp(a) / np.exp(a).sum(1, keepdims=True), rtol=1e-6)
    np.testing.assert_array_equal(teachnn.cat([a, outputs.data], 0).numpy(), np.concatenate([a, a]))
    np.testing.assert_array_equal(teachnn.stack([a, a]).numpy(), np.stack([a, a]))
    np.testing.assert_array_equal(teachnn.where(a > 2, a, 0.0).numpy(), np.where(a > 2, a, 0.0))
    np.testing.assert_array_equal(teachnn.matmul(a, a.T).numpy(), a @ a.T)
    # the dtype is kept (as_tensor): float64 arrays stay float64
    assert teachnn.sum(a.astype(np.float64)).dtype == teachnn.float64
    # memory is shared, like torch.as_tensor
    view = teachnn.flatten(a)
    view[0] = 100.0
    assert a[0, 0] == 100.0


@requires_torch
def test_numpy_inputs_match_torch_on_tensors():
    a = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    for name, args in [("max", (1,)), ("min", (0,)), ("argmax", (1,)), ("sum", (1,)), ("mean", ()),
                       ("std", (0,)), ("exp", ()), ("abs", ()), ("argsort", (1,))]:
        ours = getattr(teachnn, name)(a, *args)
        ref = getattr(torch, name)(torch.from_numpy(a), *args)
        if isinstance(ref, tuple):
            for o, r in zip(ours, ref):
                np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-5, err_msg=name)
        else:
            np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-5, err_msg=name)


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
    assert w.data is a and w.dtype == teachnn.int64
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
        assert x.data.dtype == np_dtype
        e = cls(2, 3)
        assert e.shape == (2, 3) and e.data.dtype == np_dtype
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
