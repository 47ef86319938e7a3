"""Patterns from published PyTorch programs (pytorch/examples, pytorch/tutorials) that once broke.

Each published program was run twice - on PyTorch, and with only its import lines changed to
teachnn - from the same weights and data, and every printed number compared. What broke is
re-created here in a few lines and checked against PyTorch: values, gradients, printed text,
exception types.
"""
import numpy as np
import pytest

import teachnn
from tests.parity import assert_parity, torch, requires_torch

pytestmark = requires_torch


def _np(t):
    return t.detach().numpy()


# ---- pytorch/examples dcgan: multi-GPU guards that must run (and do nothing) on the CPU

def test_gpu_guards_of_a_multi_gpu_script_run_on_the_cpu():
    import teachnn.backends.cudnn as cudnn
    import torch.backends.cudnn as torch_cudnn
    cudnn.benchmark = True                              # set unconditionally by training scripts
    for name in ("is_available", "version"):
        assert getattr(cudnn, name)() == getattr(torch_cudnn, name)()
    x, tx = teachnn.ones(2), torch.ones(2)
    for flag in ("is_cpu", "is_cuda", "is_xpu", "is_mps", "is_meta", "is_sparse", "is_quantized"):
        assert getattr(x, flag) is getattr(tx, flag), flag


def test_data_parallel_wraps_on_the_cpu():
    import teachnn.nn.parallel  # noqa: F401  (scripts import the submodule by name)
    inner = torch.nn.Linear(3, 2)
    ours_inner = teachnn.nn.Linear(3, 2)
    ours_inner.load_state_dict({k: teachnn.tensor(_np(v)) for k, v in inner.state_dict().items()})
    theirs, ours = torch.nn.DataParallel(inner), teachnn.nn.DataParallel(ours_inner)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["module.weight", "module.bias"]
    assert ours.device_ids == theirs.device_ids == []
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(_np(ours(teachnn.tensor(x))), _np(theirs(torch.tensor(x))), rtol=1e-6)
    with pytest.raises(RuntimeError) as theirs_err:
        torch.nn.parallel.data_parallel(inner, torch.tensor(x))
    with pytest.raises(type(theirs_err.value)):
        teachnn.nn.parallel.data_parallel(ours_inner, teachnn.tensor(x))


# ---- pytorch/tutorials blitz/neural_networks (2017-2019 editions): MSELoss against
# torch.arange(1, 11), an int64 target; regression scripts also mix float32 and float64

@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss"])
@pytest.mark.parametrize("target_dtype", ["int64", "int32", "bool", "float64", "float32"])
@pytest.mark.parametrize("input_dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_regression_losses_promote_the_target_like_pytorch(name, target_dtype, input_dtype, reduction):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5)).astype(input_dtype)
    t = (rng.integers(0, 2, (2, 5)) if target_dtype == "bool" else rng.integers(-3, 4, (2, 5))
         if target_dtype.startswith("int") else rng.standard_normal((2, 5))).astype(target_dtype)
    if name == "l1_loss" and target_dtype == "bool":     # PyTorch refuses `input - bool`
        for lib in (torch, teachnn):
            with pytest.raises(RuntimeError):
                lib.nn.functional.l1_loss(lib.tensor(x), lib.tensor(t), reduction=reduction)
        return
    results = []
    for lib in (torch, teachnn):
        xt = lib.tensor(x, requires_grad=True)
        tt = lib.tensor(t, requires_grad=target_dtype.startswith("float"))
        loss = getattr(lib.nn.functional, name)(xt, tt, reduction=reduction)
        loss.sum().backward()
        results.append((loss, xt.grad, tt.grad, type(loss.grad_fn).__name__))
    (theirs, tgx, tgt, tname), (ours, ogx, ogt, oname) = results
    assert str(ours.dtype).replace("teachnn.", "torch.") == str(theirs.dtype)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-6)
    assert str(ogx.dtype).replace("teachnn.", "torch.") == str(tgx.dtype)
    np.testing.assert_allclose(_np(ogx), _np(tgx), rtol=1e-6)
    if tgt is not None:
        assert str(ogt.dtype).replace("teachnn.", "torch.") == str(tgt.dtype)
        np.testing.assert_allclose(_np(ogt), _np(tgt), rtol=1e-6)


def test_huber_loss_takes_an_integer_target_forward_only_like_pytorch():
    x, t = np.linspace(-2, 3, 6, dtype=np.float32).reshape(2, 3), np.arange(6).reshape(2, 3)
    results = []
    for lib in (torch, teachnn):
        loss = lib.nn.functional.huber_loss(lib.tensor(x, requires_grad=True), lib.tensor(t))
        with pytest.raises(RuntimeError):       # PyTorch's backward wants a float target
            loss.backward()
        results.append(loss)
    theirs, ours = results
    assert str(ours.dtype).replace("teachnn.", "torch.") == str(theirs.dtype)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-6)
    t64 = np.arange(6.0).reshape(2, 3)          # a float64 target keeps the float32 result
    theirs = torch.nn.functional.huber_loss(torch.tensor(x), torch.tensor(t64))
    ours = teachnn.nn.functional.huber_loss(teachnn.tensor(x), teachnn.tensor(t64))
    assert str(ours.dtype).replace("teachnn.", "torch.") == str(theirs.dtype)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-6)


# ---- pytorch/examples super_resolution: nn.PixelShuffle after orthogonally initialised convs

@pytest.mark.parametrize("shape, r", [((2, 8, 3, 4), 2), ((9, 2, 3), 3), ((2, 1, 4, 2, 2), 2),
                                      ((0, 4, 2, 2), 2), ((1, 3, 2, 5), 1)])
def test_pixel_shuffle_and_unshuffle_match_pytorch(shape, r):
    x = np.random.default_rng(1).standard_normal(shape)
    grad = 0 not in shape           # PyTorch's own backward fails on an empty batch
    assert_parity(lambda lib, t: lib.nn.functional.pixel_shuffle(t, r), [x], grad=grad)
    assert_parity(lambda lib, t: lib.nn.PixelShuffle(r)(t), [x], dtype="float32", grad=grad)
    down = shape[:-3] + (shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)
    y = np.random.default_rng(2).standard_normal(down)
    if grad:
        assert_parity(lambda lib, t: lib.nn.functional.pixel_unshuffle(t, r), [y])
    else:   # PyTorch returns an empty input unchanged here; teachnn keeps the inverse's shape
        assert tuple(teachnn.nn.functional.pixel_unshuffle(teachnn.tensor(y), r).shape) == shape
    ours = teachnn.nn.functional.pixel_shuffle(teachnn.tensor(x, requires_grad=True), r)
    assert type(ours.grad_fn).__name__ == "PixelShuffleBackward0"
    assert repr(teachnn.nn.PixelShuffle(r)) == repr(torch.nn.PixelShuffle(r))
    assert repr(teachnn.nn.PixelUnshuffle(r)) == repr(torch.nn.PixelUnshuffle(r))


def test_pixel_shuffle_gradcheck():
    x = teachnn.tensor(np.random.default_rng(3).standard_normal((2, 4, 2, 4)), requires_grad=True)
    assert teachnn.autograd.gradcheck(lambda t: teachnn.nn.functional.pixel_shuffle(t, 2) ** 2, (x,))
    assert teachnn.autograd.gradcheck(lambda t: teachnn.nn.functional.pixel_unshuffle(t, 2) ** 2,
                                      (x,))


@pytest.mark.parametrize("name, shape, factor", [
    ("pixel_shuffle", (4, 4), 2), ("pixel_shuffle", (1, 5, 2, 2), 2), ("pixel_shuffle", (1, 8, 2, 2), 0),
    ("pixel_shuffle", (1, 8, 2, 2), -2), ("pixel_shuffle", (1, 8, 2, 2), 2.0),
    ("pixel_shuffle", (1, 8, 2, 2), True), ("pixel_unshuffle", (1, 2, 3, 4), 2),
    ("pixel_unshuffle", (1, 2, 4, 3), 2), ("pixel_unshuffle", (2, 3), 2), ("pixel_unshuffle", (1, 1, 2, 2), 0)])
def test_pixel_shuffle_refuses_what_pytorch_refuses(name, shape, factor):
    x = np.zeros(shape, np.float32)
    with pytest.raises(Exception) as theirs:
        getattr(torch.nn.functional, name)(torch.tensor(x), factor)
    with pytest.raises(type(theirs.value)):
        getattr(teachnn.nn.functional, name)(teachnn.tensor(x), factor)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3, 3), (6, 6)])
def test_orthogonal_init_gives_orthonormal_rows_or_columns(shape):
    w = teachnn.empty(shape)
    gain = teachnn.nn.init.calculate_gain("relu")
    assert teachnn.nn.init.orthogonal_(w, gain) is w
    m = w.numpy().reshape(shape[0], -1).astype(np.float64)
    small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m      # the fewer vectors are orthonormal
    np.testing.assert_allclose(small, gain ** 2 * np.eye(len(small)), atol=1e-5)
    theirs = torch.nn.init.orthogonal_(torch.empty(shape), gain).numpy().reshape(shape[0], -1)
    tsmall = theirs @ theirs.T if m.shape[0] <= m.shape[1] else theirs.T @ theirs
    np.testing.assert_allclose(small, tsmall, atol=1e-5)           # the same property in PyTorch
    g1, g2 = teachnn.Generator().manual_seed(5), teachnn.Generator().manual_seed(5)
    a = teachnn.nn.init.orthogonal_(teachnn.empty(shape), generator=g1)
    np.testing.assert_array_equal(a.numpy(), teachnn.nn.init.orthogonal_(teachnn.empty(shape), generator=g2).numpy())


def test_orthogonal_init_edge_cases_like_pytorch():
    with pytest.raises(ValueError):
        torch.nn.init.orthogonal_(torch.empty(3))
    with pytest.raises(ValueError, match="2 or more dimensions"):
        teachnn.nn.init.orthogonal_(teachnn.empty(3))
    assert tuple(teachnn.nn.init.orthogonal_(teachnn.empty(0, 3)).shape) == (0, 3)


# ---- pytorch/examples mnist_hogwild and many scripts import from torch.utils.data's submodules

def test_utils_data_submodules_hold_pytorchs_names():
    import importlib
    for sub in ("sampler", "dataset", "dataloader"):
        theirs = importlib.import_module(f"torch.utils.data.{sub}")
        ours = importlib.import_module(f"teachnn.utils.data.{sub}")
        for name in ours.__all__:
            assert name in theirs.__all__
            assert getattr(ours, name) is getattr(teachnn.utils.data, name)
    from teachnn.utils.data.sampler import Sampler, SubsetRandomSampler  # noqa: F401
    from teachnn.utils.data.dataset import Dataset, TensorDataset, random_split  # noqa: F401
    from teachnn.utils.data.dataloader import DataLoader, default_collate  # noqa: F401
    ds = TensorDataset(teachnn.arange(6.0))
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=4)] == [[0, 1, 2, 3], [4, 5]]


# ---- pytorch/tutorials introyt/tensors_deeper_tutorial: type(x), torch.bitwise_xor

def test_type_of_a_tensor_prints_like_pytorchs():
    assert str(type(teachnn.empty(3, 4))).replace("teachnn", "torch") == str(type(torch.empty(3, 4)))
    import pickle
    t = teachnn.arange(3)
    assert pickle.loads(pickle.dumps(t)).tolist() == [0, 1, 2]       # still found by pickle


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor"])
@pytest.mark.parametrize("a, b", [
    (np.array([1, 5, 11]), np.array([2, 7, 10])), (np.array([1, 5], np.int32), 6),
    (np.array([True, False, True]), np.array([True, True, False])),
    (np.array([[3], [12]], np.int32), np.array([5, 9, 1])), (np.array([True, False]), np.array([3, 4])),
    (np.array([1.5, 2.0]), np.array([1.0, 2.0])), (np.array([1, 2]), np.array([1.0, 2.0]))])
def test_bitwise_ops_match_pytorch(name, a, b):
    def run(lib):
        other = lib.tensor(b) if isinstance(b, np.ndarray) else b
        return (getattr(lib, name)(lib.tensor(a), other), getattr(lib.tensor(a), name)(other))
    try:
        theirs = run(torch)
    except Exception as error:
        with pytest.raises(type(error)):
            run(teachnn)
        return
    for ours, expected in zip(run(teachnn), theirs):
        assert str(ours.dtype).replace("teachnn", "torch") == str(expected.dtype)
        np.testing.assert_array_equal(ours.numpy(), expected.numpy())


@pytest.mark.parametrize("a", [np.array([1, -6, 0]), np.array([True, False]),
                               np.array([3], np.uint8), np.array([1.0])])
def test_bitwise_not_matches_pytorch(a):
    try:
        theirs = torch.bitwise_not(torch.tensor(a))
    except Exception as error:
        with pytest.raises(type(error)):
            teachnn.bitwise_not(teachnn.tensor(a))
        return
    ours = teachnn.tensor(a).bitwise_not()
    assert str(ours.dtype).replace("teachnn", "torch") == str(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("shapes, dim", [(((3,), (3,)), None), (((4, 3), (4, 3)), -1),
                                         (((3, 5), (3, 5)), 0), (((1, 3), (4, 3)), 1),
                                         (((2, 3, 3), (1, 1, 3)), -1), (((3, 2), (3, 2)), None)])
def test_cross_matches_pytorch_values_and_gradients(shapes, dim):
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in shapes]
    if dim is None:
        with pytest.warns(UserWarning):
            assert_parity(lambda lib, a, b: lib.cross(a, b), arrays)
    else:
        assert_parity(lambda lib, a, b: lib.cross(a, b, dim=dim), arrays)
        assert_parity(lambda lib, a, b: lib.linalg.cross(a, b, dim=dim), arrays)
        assert_parity(lambda lib, a, b: a.cross(b, dim), arrays, dtype="float32")


@pytest.mark.parametrize("call", [lambda lib: lib.cross(lib.ones(2, 4), lib.ones(2, 4)),
                                  lambda lib: lib.cross(lib.ones(2, 3), lib.ones(2, 3), dim=0),
                                  lambda lib: lib.linalg.cross(lib.ones(3, 2), lib.ones(3, 2)),
                                  lambda lib: lib.cross(lib.ones(3), lib.ones(3), dim=2),
                                  lambda lib: lib.cross(lib.ones(2, 3), lib.ones(3), dim=-1)])
def test_cross_refuses_what_pytorch_refuses(call):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(Exception) as theirs:
            call(torch)
        with pytest.raises(type(theirs.value)):
            call(teachnn)


_INPLACE_ARGS = {"clamp_": (-0.5, 0.5), "clip_": (-0.5, 0.5), "clamp_max_": (0.3,), "clamp_min_": (0.3,),
                 "fill_": (2.5,), "xlogy_": (2.0,), "round_": (), "logit_": ()}


@pytest.mark.parametrize("name", teachnn._math_functions._INPLACE_FUNCTIONS)
def test_top_level_inplace_functions_match_pytorch(name):
    x = np.random.default_rng(5).uniform(0.1, 0.9, (2, 3))    # inside every function's domain
    if name == "acosh_":
        x = x + 1.5
    args = _INPLACE_ARGS.get(name, ())
    theirs_input, ours_input = torch.tensor(x), teachnn.tensor(x)
    theirs = getattr(torch, name)(theirs_input, *args)
    ours = getattr(teachnn, name)(ours_input, *args)
    assert ours is ours_input and theirs is theirs_input      # changed in place and returned
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", [lambda t: t.unsqueeze_(0), lambda t: t.unsqueeze_(-1),
                                lambda t: t.squeeze_(), lambda t: t.squeeze_(1), lambda t: t.t_(),
                                lambda t: t.transpose_(0, 1)])
def test_shape_changing_inplace_ops_match_pytorch(op):
    x = np.random.default_rng(6).standard_normal((3, 1))
    results = []
    for lib in (torch, teachnn):
        leaf = lib.tensor(x, requires_grad=True)
        with pytest.raises(RuntimeError):              # a leaf that requires grad: refused
            op(leaf)
        with lib.no_grad():                            # ... except outside the graph
            free = lib.tensor(x, requires_grad=True)
            assert op(free) is free and free.requires_grad
        y = leaf * 2
        assert op(y) is y                               # a non-leaf keeps its history
        (y * lib.arange(y.numel(), dtype=y.dtype).reshape(y.shape)).sum().backward()
        plain = lib.tensor(x)
        view = plain.view(3, 1)
        op(plain)
        plain.view(-1)[0] = 7.0                        # still the same memory as the old view
        results.append((tuple(y.shape), leaf.grad.numpy(), tuple(plain.shape), view.numpy().copy()))
    (ts, tg, tps, tv), (os_, og, ops, ov) = results
    assert os_ == ts and ops == tps
    np.testing.assert_allclose(og, tg)
    np.testing.assert_array_equal(ov, tv)


# ---- a whole small program in the shape of pytorch/examples super_resolution

def _sub_pixel_program(lib, weights, low, high):
    nn = lib.nn

    class SubPixelNet(nn.Module):
        def __init__(self, r):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, 1, 1)
            self.conv2 = nn.Conv2d(8, r * r, 3, 1, 1)
            self.shuffle = nn.PixelShuffle(r)
            nn.init.orthogonal_(self.conv1.weight, nn.init.calculate_gain("relu"))

        def forward(self, x):
            return self.shuffle(self.conv2(lib.relu(self.conv1(x))))

    model = SubPixelNet(2)
    if weights is None:                                     # the PyTorch run draws the weights
        weights = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    else:
        model.load_state_dict({k: lib.tensor(v) for k, v in weights.items()})
    optimizer = lib.optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.MSELoss()
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        loss = criterion(model(lib.tensor(low)), lib.tensor(high))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with lib.no_grad():
        out = model(lib.tensor(low)).numpy()
    return weights, losses, out, repr(model)


def test_sub_pixel_super_resolution_program_matches_pytorch():
    rng = np.random.default_rng(7)
    high = rng.random((2, 1, 8, 8), dtype=np.float32)
    low = high.reshape(2, 1, 4, 2, 4, 2).mean((3, 5))
    weights, theirs_losses, theirs_out, theirs_repr = _sub_pixel_program(torch, None, low, high)
    _, ours_losses, ours_out, ours_repr = _sub_pixel_program(teachnn, weights, low, high)
    np.testing.assert_allclose(ours_losses, theirs_losses, rtol=1e-5)
    np.testing.assert_allclose(ours_out, theirs_out, rtol=1e-4, atol=1e-5)
    assert ours_repr == theirs_repr
