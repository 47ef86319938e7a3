"""``Tensor.data`` as in PyTorch: a tensor sharing memory, cut off from autograd.

Each idiom from published PyTorch code (d2l.ai, the DCGAN-style init, hand-written SGD) runs on
both libraries from the same numbers and must leave the same values behind.
"""
import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
from tests.parity import requires_torch, torch


def _pair(values, requires_grad=True, dtype=np.float32):
    """The same numbers as a teachnn and a torch tensor."""
    a = np.array(values, dtype=dtype)
    ours = teachnn.tensor(a.copy(), requires_grad=requires_grad)
    theirs = torch.tensor(a.copy(), requires_grad=requires_grad)
    return ours, theirs


def _same(ours, theirs):
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


# ---------------------------------------------------------------------------------------------
# what .data is
# ---------------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("make", ["leaf", "parameter", "non_leaf", "plain"])
def test_data_is_a_detached_tensor_sharing_memory(make):
    def build(lib):
        base = lib.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=make != "plain")
        if make == "parameter":
            return lib.nn.Parameter(base.detach())
        if make == "non_leaf":
            return base * 2
        return base

    x, tx = build(teachnn), build(torch)
    d, td = x.data, tx.data
    assert type(d) is teachnn.Tensor and type(td) is torch.Tensor      # a Parameter's too
    assert d is not x and td is not tx
    assert np.shares_memory(d._data, x._data)
    assert (d.requires_grad, d.grad_fn, d.is_leaf) == (td.requires_grad, td.grad_fn, td.is_leaf) \
        == (False, None, True)
    assert x.requires_grad == tx.requires_grad                            # the original is unchanged
    assert (x.grad_fn is None) == (tx.grad_fn is None)
    assert d.size() == td.size() == (2, 2) and d.shape == tuple(td.shape)
    assert d.dim() == td.dim() and d.dtype.is_floating_point
    assert repr(d) == repr(td)                                            # tensor([[ 1., -2.], ...])
    assert str(x.data) == str(tx.data)


@requires_torch
def test_data_numpy_works_on_a_tensor_that_requires_grad():
    x, tx = _pair([0.5, 1.5, -2.0])
    with pytest.raises(RuntimeError):
        x.numpy()
    with pytest.raises(RuntimeError):
        tx.numpy()
    a, ta = x.data.numpy(), tx.data.numpy()
    np.testing.assert_array_equal(a, ta)
    assert np.shares_memory(a, x._data)
    a[0] = 7.0                                                          # the same memory, as in torch
    ta[0] = 7.0
    _same(x, tx)


@requires_torch
def test_grad_data_is_a_tensor_of_the_gradient():
    x, tx = _pair([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    g, tg = x.grad.data, tx.grad.data
    assert isinstance(g, teachnn.Tensor) and not g.requires_grad
    assert np.shares_memory(g._data, x.grad._data)
    np.testing.assert_array_equal(g.numpy(), tg.numpy())


# ---------------------------------------------------------------------------------------------
# in-place changes through .data: visible to the original, not recorded
# ---------------------------------------------------------------------------------------------
@requires_torch
def test_d2l_pruning_idiom():
    # d2l.ai (parameters chapter): w.data *= w.data.abs() >= 5
    values = [[-6.0, 4.5, 5.0], [7.25, -4.99, 0.0]]
    w, tw = _pair(values)
    w.data *= w.data.abs() >= 5
    tw.data *= tw.data.abs() >= 5
    _same(w, tw)
    np.testing.assert_array_equal(w.detach().numpy(), [[-6.0, 0.0, 5.0], [7.25, 0.0, 0.0]])
    assert w.requires_grad and w.grad_fn is None and w.is_leaf        # not recorded
    (w * 3).sum().backward()
    (tw * 3).sum().backward()
    _same(w.grad, tw.grad)


@requires_torch
def test_in_place_through_data_is_not_a_leaf_error_and_keeps_the_graph():
    # a leaf that requires grad refuses w.mul_(2) but accepts w.data.mul_(2), in both libraries
    w, tw = _pair([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError):
        w.mul_(2)
    with pytest.raises(RuntimeError):
        tw.mul_(2)
    w.data.mul_(2)
    tw.data.mul_(2)
    _same(w, tw)
    assert w.grad_fn is None and w.is_leaf and w.requires_grad


@requires_torch
def test_change_through_data_does_not_trip_the_version_check():
    # PyTorch gives .data its own version counter: backward uses the changed values, no error
    w, tw = _pair([1.0, -2.0, 3.0])
    s, ts = (w * w).sum(), (tw * tw).sum()
    w.data.mul_(2)
    tw.data.mul_(2)
    s.backward()
    ts.backward()
    _same(w.grad, tw.grad)
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, -8.0, 12.0])


def test_the_same_change_without_data_is_caught():
    # the contrast: the version counter of w itself still guards saved values
    w = teachnn.tensor([1.0, -2.0, 3.0], requires_grad=True)
    s = (w * w).sum()
    with teachnn.no_grad():
        w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        s.backward()


@requires_torch
def test_copy_into_data():
    p, tp = _pair([[0.0, 0.0], [0.0, 0.0]])
    src = np.array([[1.5, -2.0], [0.25, 8.0]], dtype=np.float32)
    p.data.copy_(teachnn.tensor(src))
    tp.data.copy_(torch.tensor(src))
    _same(p, tp)
    # the DQN tutorial's soft update: target.data.copy_(tau * online.data + (1 - tau) * target.data)
    online, tonline = _pair([[4.0, 2.0], [-1.0, 0.5]])
    tau = 0.125
    p.data.copy_(tau * online.data + (1 - tau) * p.data)
    tp.data.copy_(tau * tonline.data + (1 - tau) * tp.data)
    _same(p, tp)
    assert p.grad_fn is None and p.requires_grad


@requires_torch
def test_grad_data_zero():
    x, tx = _pair([1.0, 2.0, 3.0])
    for lib, t in ((teachnn, x), (torch, tx)):
        (t ** 3).sum().backward()
        grad = t.grad
        t.grad.data.zero_()
        assert t.grad is grad                                             # zeroed in place
    _same(x.grad, tx.grad)
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    (x ** 3).sum().backward()                                             # accumulates from zero
    (tx ** 3).sum().backward()
    _same(x.grad, tx.grad)


@requires_torch
def test_dcgan_style_init_loop():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.BatchNorm2d(4), lib.nn.ReLU(),
                                 lib.nn.Conv2d(4, 2, 1, bias=False))

    ours, theirs = build(teachnn), build(torch)
    ours.load_state_dict({k: teachnn.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    before = {name: p for name, p in ours.named_parameters()}

    def weights_init(m):                                                  # as in pytorch/examples
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            m.weight.data.normal_(0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            m.weight.data.normal_(1.0, 0.02)
            m.bias.data.fill_(0)

    teachnn.manual_seed(0)
    for m in ours.modules():
        weights_init(m)
    theirs.apply(weights_init)

    # the same Parameter objects, now holding the new numbers
    assert {name: p for name, p in ours.named_parameters()} == before
    assert all(p.requires_grad and p.grad_fn is None for p in ours.parameters())
    # the deterministic part equals PyTorch's
    _same(ours[1].bias, theirs[1].bias)
    _same(ours[0].bias, theirs[0].bias)                                   # untouched by the loop
    # the random part equals teachnn's own normal_ from the same seed (NumPy's generator, so
    # other numbers than PyTorch's; the README says so)
    teachnn.manual_seed(0)
    expected = [teachnn.empty(3 * 4 * 9).normal_(0.0, 0.02), teachnn.empty(4).normal_(1.0, 0.02),
                teachnn.empty(4 * 2).normal_(0.0, 0.02)]
    for got, want in zip((ours[0].weight, ours[1].weight, ours[3].weight), expected):
        np.testing.assert_array_equal(got.detach().numpy().reshape(-1), want.numpy())


@requires_torch
def test_init_functions_accept_data():
    # nn.init.normal_(m.weight.data, 0.0, 0.02) is the other common spelling
    ours = nn.Linear(50, 40)
    teachnn.manual_seed(3)
    nn.init.normal_(ours.weight.data, 0.0, 0.02)
    nn.init.constant_(ours.bias.data, 0.5)
    teachnn.manual_seed(3)
    expected = teachnn.empty(40, 50).normal_(0.0, 0.02)
    np.testing.assert_array_equal(ours.weight.detach().numpy(), expected.numpy())
    theirs = torch.nn.Linear(50, 40)
    torch.nn.init.constant_(theirs.bias.data, 0.5)
    _same(ours.bias, theirs.bias)


@requires_torch
@pytest.mark.parametrize("update", ["p.data -= lr * p.grad",
                                    "p.data -= lr * p.grad.data",
                                    "p.data.add_(p.grad.data, alpha=-lr)",
                                    "p.data.sub_(lr * p.grad)",
                                    "p.data = p.data - lr * p.grad.data"])
def test_hand_written_sgd(update):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4))
    b0 = rng.standard_normal(3)
    x = rng.standard_normal((5, 4))
    y = rng.standard_normal((5, 3))
    lr = 0.1

    def train(lib):
        model = lib.nn.Linear(4, 3).double()
        model.load_state_dict({"weight": lib.tensor(w0), "bias": lib.tensor(b0)})
        params = list(model.parameters())
        losses = []
        for _ in range(3):
            loss = ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
            model.zero_grad()
            loss.backward()
            for p in params:
                exec(update, {}, {"p": p, "lr": lr})
            losses.append(loss.item())
        assert list(model.parameters()) == params         # the optimiser's references stay valid
        return losses, [p.detach().numpy() for p in params], params

    ours, theirs = train(teachnn), train(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-14)
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert all(p.requires_grad and p.is_leaf for p in ours[2])


@requires_torch
def test_max_over_outputs_data():
    # the classification tutorial: _, predicted = torch.max(outputs.data, 1)
    scores = [[0.1, 2.0, -1.0], [3.0, 0.5, 0.25]]
    out, tout = _pair(scores)
    out, tout = out * 2, tout * 2
    values, predicted = teachnn.max(out.data, 1)
    tvalues, tpredicted = torch.max(tout.data, 1)
    _same(values, tvalues)
    _same(predicted, tpredicted)
    assert not values.requires_grad and values.grad_fn is None


# ---------------------------------------------------------------------------------------------
# x.data = other
# ---------------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("new", [[[1.0, 2.0], [3.0, 4.0]], [5.0]])
def test_assigning_data_takes_the_other_tensors_memory(new):
    x, tx = _pair([0.0, 0.0, 0.0])
    other, tother = _pair(new, requires_grad=False)
    x.data = other
    tx.data = tother
    assert x.shape == tuple(tx.shape)                                     # any shape, as in torch
    _same(x, tx)
    assert np.shares_memory(x._data, other._data)
    assert x.requires_grad and tx.requires_grad and x.is_leaf
    other.add_(1)
    tother.add_(1)
    _same(x, tx)


@requires_torch
def test_assigning_data_of_another_float_dtype():
    x, tx = _pair([1.0, 2.0])
    x.data = teachnn.tensor([3.0, 4.0], dtype=teachnn.float64)
    tx.data = torch.tensor([3.0, 4.0], dtype=torch.float64)
    assert str(x.dtype) == str(tx.dtype).replace("torch", "teachnn")
    _same(x, tx)


@requires_torch
@pytest.mark.parametrize("value", ["long", "ndarray", "float", "list"])
def test_assigning_data_rejects_what_torch_rejects(value):
    def make(lib):
        return {"long": lambda: lib.tensor([1, 2]),
                "ndarray": lambda: np.ones(2, dtype=np.float32),
                "float": lambda: 3.0,
                "list": lambda: [1.0, 2.0]}[value]()

    x, tx = _pair([1.0, 2.0])
    with pytest.raises(Exception) as theirs:
        tx.data = make(torch)
    with pytest.raises(type(theirs.value)):
        x.data = make(teachnn)
    _same(x, tx)                                                          # left unchanged


@requires_torch
def test_assigning_integer_data_to_a_tensor_without_grad():
    x, tx = _pair([1.0, 2.0], requires_grad=False)
    x.data = teachnn.tensor([7, 8])
    tx.data = torch.tensor([7, 8])
    assert str(x.dtype) == str(tx.dtype).replace("torch", "teachnn")
    _same(x, tx)


@requires_torch
def test_writing_into_data_by_index():
    # m.weight.data[...] = values (what teachnn's Module error message suggests)
    w, tw = _pair([[1.0, 2.0], [3.0, 4.0]])
    w.data[0, 1] = 9.0
    tw.data[0, 1] = 9.0
    w.data[1] = teachnn.tensor([-1.0, -2.0])
    tw.data[1] = torch.tensor([-1.0, -2.0])
    _same(w, tw)
    assert w.grad_fn is None and w.is_leaf and w.requires_grad
