"""Lazy layers (nn.LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*) and the
UninitializedParameter / UninitializedBuffer placeholders.

Oracles: PyTorch (repr before and after the first call, state_dict keys, forward values and
gradients with the same weights, exception types) and teachnn's own ordinary layers (a seed
gives a lazy layer the weights the ordinary layer built at that moment gets).
"""
import copy

import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
from tests.parity import assert_close, requires_torch, to_numpy, torch

# (constructor text, input shape): evaluated with nn = teachnn.nn and nn = torch.nn
LAZY_CASES = [
    ("nn.LazyLinear(3)", (2, 4)),
    ("nn.LazyLinear(3, bias=False)", (2, 5, 4)),
    ("nn.LazyConv1d(4, 3, padding=1)", (2, 3, 7)),
    ("nn.LazyConv2d(4, 3, stride=2, groups=2, bias=False)", (2, 6, 7, 7)),
    ("nn.LazyConv2d(4, 3, padding=1, padding_mode='reflect')", (1, 2, 5, 5)),
    ("nn.LazyConv3d(2, (1, 2, 3))", (1, 3, 3, 4, 5)),
    ("nn.LazyConvTranspose1d(4, 3, stride=2)", (2, 3, 5)),
    ("nn.LazyConvTranspose2d(4, 3, stride=2, output_padding=1)", (1, 2, 4, 4)),
    ("nn.LazyConvTranspose3d(2, 2, groups=2)", (1, 4, 2, 3, 3)),
    ("nn.LazyBatchNorm1d()", (4, 3)),
    ("nn.LazyBatchNorm2d(affine=False)", (2, 3, 4, 4)),
    ("nn.LazyBatchNorm3d(momentum=None, track_running_stats=False)", (2, 3, 2, 2, 2)),
]
IDS = [c for c, _ in LAZY_CASES]


def build(lib, text):
    return eval(text, {"nn": lib.nn})


def unbatched_ok(text):
    return "BatchNorm" not in text


@requires_torch
@pytest.mark.parametrize("text,shape", LAZY_CASES, ids=IDS)
def test_repr_state_dict_and_values_match_pytorch(text, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    ours, theirs = build(teachnn, text), build(torch, text)
    # before the first call: repr, state_dict keys, placeholder types and reprs
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [type(v).__name__ for v in ours.state_dict().values()] == \
        [type(v).__name__ for v in theirs.state_dict().values()]
    assert [repr(v) for v in ours.state_dict().values() if nn.parameter.is_lazy(v)] == \
        [repr(v) for v in theirs.state_dict().values() if torch.nn.parameter.is_lazy(v)]
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    # the first call materialises: same output shape, same class and repr afterwards
    y_ours = ours(teachnn.tensor(x.astype(np.float32)))
    y_theirs = theirs(torch.tensor(x.astype(np.float32)))
    assert tuple(y_ours.shape) == tuple(y_theirs.shape)
    assert type(ours).__name__ == type(theirs).__name__
    assert repr(ours) == repr(theirs)
    assert not hasattr(ours, "has_uninitialized_params")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert tuple(ours.state_dict()[key].shape) == tuple(value.shape), key
        assert type(ours.state_dict()[key]).__name__ != "UninitializedParameter"
    # same weights -> same forward values and gradients (float64)
    ours.load_state_dict(theirs.state_dict())
    ours.double()
    theirs.double()
    xt, xp = teachnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yt, yp = ours(xt), theirs(xp)
    assert_close(yt, yp, 1e-10, 1e-8, "output")
    r = rng.standard_normal(tuple(yp.shape))
    (yt * teachnn.tensor(r)).sum().backward()
    (yp * torch.tensor(r)).sum().backward()
    assert_close(xt.grad, xp.grad, 1e-10, 1e-8, "input gradient")
    for (name, p_ours), (_, p_theirs) in zip(ours.named_parameters(),
                                             theirs.named_parameters()):
        assert_close(p_ours.grad, p_theirs.grad, 1e-10, 1e-8, f"gradient of {name}")
    for name, b in theirs.named_buffers():
        assert_close(ours.get_buffer(name), b, 1e-10, 1e-8, f"buffer {name}")


@requires_torch
@pytest.mark.parametrize("text,shape", LAZY_CASES, ids=IDS)
def test_load_state_dict_materialises_a_lazy_layer(text, shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    reference = build(torch, text)
    reference(torch.tensor(x))                         # a materialised PyTorch layer
    ours = build(teachnn, text)
    ours.load_state_dict(reference.state_dict())
    assert not ours.has_uninitialized_params()
    assert type(ours).__name__.startswith("Lazy")      # still lazy until its first call
    for key, value in reference.state_dict().items():
        assert_close(ours.state_dict()[key], value, 0, 0, key)
    assert_close(ours(teachnn.tensor(x)), reference(torch.tensor(x)), 1e-5, 1e-5, "output")
    assert type(ours).__name__ == type(reference).__name__


@pytest.mark.parametrize("lazy,ordinary,shape", [
    ("nn.LazyLinear(5)", "nn.Linear(4, 5)", (3, 4)),
    ("nn.LazyConv2d(6, 3, groups=2)", "nn.Conv2d(4, 6, 3, groups=2)", (1, 4, 5, 5)),
    ("nn.LazyConvTranspose1d(3, 2)", "nn.ConvTranspose1d(4, 3, 2)", (1, 4, 5)),
    ("nn.LazyBatchNorm2d()", "nn.BatchNorm2d(4)", (2, 4, 3, 3)),
])
def test_seed_gives_the_ordinary_layers_weights(lazy, ordinary, shape):
    x = teachnn.tensor(np.ones(shape, dtype=np.float32))
    teachnn.manual_seed(123)
    layer = build(teachnn, lazy)
    after_construction = teachnn.rand(3)             # the constructor drew no random numbers
    layer(x)
    teachnn.manual_seed(123)
    teachnn.rand(3)
    real = build(teachnn, ordinary)
    real(x)                                            # the same forward (BatchNorm statistics)
    teachnn.manual_seed(123)
    np.testing.assert_array_equal(to_numpy(after_construction), to_numpy(teachnn.rand(3)))
    assert repr(layer) == repr(real)
    for (name, a), (_, b) in zip(layer.state_dict().items(), real.state_dict().items()):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b), err_msg=name)


def test_materialise_keeps_identity_for_optimisers_and_sequential():
    net = nn.Sequential(nn.LazyLinear(5), nn.ReLU(), nn.LazyLinear(2))
    params = list(net.parameters())
    optimiser = teachnn.optim.SGD(net.parameters(), lr=0.1)
    y = net(teachnn.ones(3, 7))
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear"]
    assert all(a is b for a, b in zip(params, net.parameters()))
    assert all(type(p) is nn.Parameter for p in params)
    assert tuple(net[0].weight.shape) == (5, 7) and tuple(net[2].weight.shape) == (2, 5)
    before = net[2].bias._data.copy()
    y.sum().backward()
    optimiser.step()
    # d(sum y)/d bias = 3 (batch of three): the optimiser updated the materialised bias
    np.testing.assert_allclose(net[2].bias._data, before - 0.1 * 3, rtol=1e-6)


def test_placeholders_refuse_use_like_pytorch():
    lazy = nn.LazyLinear(3)
    w = lazy.weight
    assert repr(w) == "<UninitializedParameter>" and str(w) == "<UninitializedParameter>"
    assert isinstance(w, nn.Parameter) and nn.parameter.is_lazy(w)
    assert w.requires_grad and w.dtype == teachnn.float32 and tuple(w.size()) == (0,)
    with pytest.raises(RuntimeError, match="shape of an uninitialized parameter"):
        w.shape
    for use in (lambda: w.numel(), lambda: w + 1, lambda: w.sum(), lambda: w[0],
                lambda: len(w), lambda: w == 1, lambda: w.detach(), lambda: w.clone(),
                lambda: bool(w), lambda: w.tolist(), lambda: w.zero_()):
        with pytest.raises(ValueError, match="uninitialized parameter"):
            use()
    buffer = nn.LazyBatchNorm1d().running_mean
    assert repr(buffer) == "<UninitializedBuffer>" and not buffer.requires_grad
    with pytest.raises(ValueError, match="UninitializedBuffer"):
        buffer.mean()
    clone = copy.deepcopy(nn.LazyLinear(2, dtype=teachnn.float64))
    assert type(clone.weight).__name__ == "UninitializedParameter"
    assert clone.weight.dtype == teachnn.float64
    p = nn.UninitializedParameter()
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3) and p.requires_grad


@requires_torch
def test_placeholder_errors_have_pytorch_types():
    def kind(fn):
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - the type is what is compared
            return type(exc).__name__
        return "ok"

    uses = [lambda w: w.shape, lambda w: w.numel(), lambda w: w.dim(), lambda w: w * 2,
            lambda w: w.sum(), lambda w: w[0], lambda w: len(w), lambda w: w.size(),
            lambda w: w.dtype, lambda w: w.requires_grad, lambda w: w.double(),
            lambda w: w.grad, lambda w: w.item(), lambda w: float(w), lambda w: w.view(-1),
            lambda w: w.is_leaf]
    ours, theirs = nn.LazyLinear(2).weight, torch.nn.LazyLinear(2).weight
    assert [kind(lambda: u(ours)) for u in uses] == [kind(lambda: u(theirs)) for u in uses]


@requires_torch
def test_bad_inputs_raise_pytorch_types():
    cases = [
        (lambda lib: lib.nn.LazyConv2d(4, 3, groups=2)(lib.ones(1, 3, 5, 5)), ValueError),
        (lambda lib: lib.nn.LazyConv2d(4, 3)(lib.ones(5, 5)), RuntimeError),
        (lambda lib: lib.nn.LazyConvTranspose1d(3, 2)(lib.ones(5)), RuntimeError),
        (lambda lib: lib.nn.LazyConv2d(4, 3, groups=0), ValueError),
        (lambda lib: lib.nn.LazyConvTranspose2d(4, 3, padding_mode="reflect"), ValueError),
        (lambda lib: lib.nn.LazyBatchNorm1d()(lib.ones(4)), IndexError),
        (lambda lib: lib.nn.LazyBatchNorm2d()(lib.ones(2, 3, 4)), ValueError),
        (lambda lib: lib.nn.LazyBatchNorm1d()(lib.ones(1, 3)), ValueError),
        (lambda lib: lib.nn.LazyLinear(3)(lib.ones(2, 4), lib.ones(2)), TypeError),
        (lambda lib: lib.nn.LazyLinear(3).double()(lib.ones(2, 2)), RuntimeError),
        (lambda lib: lib.nn.Linear(4, 3).load_state_dict(lib.nn.LazyLinear(3).state_dict()),
         RuntimeError),
        # initialising before the first call (d2l's apply_init runs forward first)
        (lambda lib: lib.nn.init.xavier_uniform_(lib.nn.LazyLinear(3).weight), ValueError),
        (lambda lib: lib.nn.init.zeros_(lib.nn.LazyConv2d(3, 2).bias), ValueError),
    ]
    for make, error in cases:
        for lib in (teachnn, torch):
            with pytest.raises(error):
                make(lib)


def test_copies_and_pickles_of_a_lazy_model_materialise_on_their_own():
    import pickle
    original = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d())
    for clone in (copy.deepcopy(original), pickle.loads(pickle.dumps(original))):
        clone(teachnn.ones(2, 4))
        clone(teachnn.ones(2, 4))                     # the second call runs no hook
        assert repr(clone[0]) == "Linear(in_features=4, out_features=3, bias=True)"
        assert type(clone[1]).__name__ == "BatchNorm1d"
    assert original[0].has_uninitialized_params()      # the original is still lazy
    original(teachnn.ones(2, 5))
    assert repr(original[0]) == "Linear(in_features=5, out_features=3, bias=True)"


def test_lazy_layer_after_load_reads_in_features_from_the_weights():
    layer = nn.LazyLinear(3)
    layer.load_state_dict(nn.Linear(4, 3).state_dict())
    assert repr(layer) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    with pytest.raises(AssertionError, match="in_features"):
        layer(teachnn.ones(2, 5))
    assert tuple(layer(teachnn.ones(2, 4)).shape) == (2, 3)
    assert repr(layer) == "Linear(in_features=4, out_features=3, bias=True)"
    # teachnn's conv / batch-norm checks read the channel count, so it comes from the weights
    conv = nn.LazyConv2d(5, 3)
    conv.load_state_dict(nn.Conv2d(2, 5, 3).state_dict())
    conv(teachnn.ones(1, 2, 4, 4))
    assert repr(conv) == "Conv2d(2, 5, kernel_size=(3, 3), stride=(1, 1))"
    bn = nn.LazyBatchNorm1d()
    bn.load_state_dict(nn.BatchNorm1d(3).state_dict())
    assert tuple(bn(teachnn.randn(4, 3)).shape) == (4, 3) and bn.num_features == 3


def test_a_learners_own_lazy_module():
    from teachnn.nn.modules.lazy import LazyModuleMixin

    class LazyScale(LazyModuleMixin, nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.UninitializedParameter()

        def initialize_parameters(self, x):
            if self.has_uninitialized_params():
                self.scale.materialize((x.shape[-1],))
                nn.init.constant_(self.scale, 2.0)

        def forward(self, x):
            return x * self.scale

    layer = LazyScale()
    assert repr(layer.state_dict()["scale"]) == "<UninitializedParameter>"
    np.testing.assert_array_equal(to_numpy(layer(teachnn.ones(2, 3))), np.full((2, 3), 2.0))
    assert type(layer).__name__ == "LazyScale"          # cls_to_become None: keeps its class
    assert tuple(layer.scale.shape) == (3,) and "_initialize_hook" not in vars(layer)

    class Forgot(LazyModuleMixin, nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.UninitializedParameter()

        def forward(self, x):
            return x
    with pytest.raises(NotImplementedError, match="initialize_parameters"):
        Forgot()(teachnn.ones(1))


@requires_torch
def test_adagrad_on_an_uninitialised_lazy_model_is_refused_as_in_pytorch():
    """Adagrad makes its state at construction, so a lazy layer without a shape is refused
    at once (PyTorch: ValueError), not at the first step with a raw NumPy message."""
    with pytest.raises(ValueError):
        torch.optim.Adagrad(torch.nn.LazyLinear(3).parameters())
    with pytest.raises(ValueError, match="dummy batch"):
        teachnn.optim.Adagrad(nn.LazyLinear(3).parameters())
