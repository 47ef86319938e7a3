"""nn.Embedding / F.embedding, F.one_hot, nn.Upsample / F.interpolate, nn.InstanceNorm*d /
F.instance_norm, nn.KLDivLoss / F.kl_div.

Oracles: small hand examples, gradcheck in float64, and PyTorch (forward values, gradients,
repr, state_dict keys, exception types; module weights copied with load_state_dict).
"""
import warnings

import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.autograd import gradcheck
from tests.parity import assert_close, assert_parity, requires_torch, to_numpy, torch

RNG = np.random.default_rng(0)


def t64(a, grad=True):
    return teachnn.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ----------------------------------------------------------------------------- hand examples

def test_hand_examples():
    x = teachnn.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(
        to_numpy(F.interpolate(x, scale_factor=2)),
        [[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]])
    line = teachnn.tensor([[[0.0, 1.0]]])
    np.testing.assert_allclose(
        to_numpy(F.interpolate(line, size=3, mode="linear", align_corners=True)),
        [[[0.0, 0.5, 1.0]]])
    # align_corners=False: pixel centres at (i + 0.5) * 2/4 - 0.5 = -0.25, 0.25, 0.75, 1.25
    np.testing.assert_allclose(
        to_numpy(F.interpolate(line, size=4, mode="linear", align_corners=False)),
        [[[0.0, 0.25, 0.75, 1.0]]])
    np.testing.assert_array_equal(to_numpy(F.one_hot(teachnn.tensor([0, 2, 1]))),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert F.one_hot(teachnn.tensor([0, 2]), 4).dtype == teachnn.int64
    w = teachnn.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], requires_grad=True)
    out = F.embedding(teachnn.tensor([[2, 0], [2, 2]]), w)
    np.testing.assert_array_equal(to_numpy(out), [[[4, 5], [0, 1]], [[4, 5], [4, 5]]])
    out.sum().backward()
    np.testing.assert_array_equal(to_numpy(w.grad), [[1, 1], [0, 0], [3, 3]])  # row counts
    # KL(p || q) with p = q is 0; with p = [1, 0], log q = log [0.5, 0.5]: log 2
    p = teachnn.tensor([[1.0, 0.0]])
    logq = teachnn.tensor([[np.log(0.5), np.log(0.5)]])
    np.testing.assert_allclose(to_numpy(F.kl_div(logq, p, reduction="batchmean")), np.log(2))


# ------------------------------------------------------------------------------ gradcheck

@pytest.mark.parametrize("shape,kwargs", [
    ((1, 2, 3, 4), dict(scale_factor=2)),
    ((1, 2, 3, 4), dict(size=(5, 3), mode="nearest-exact")),
    ((1, 2, 3, 4), dict(size=(5, 7), mode="bilinear")),
    ((1, 2, 3, 4), dict(scale_factor=1.5, mode="bilinear", align_corners=True)),
    ((1, 1, 3, 4), dict(size=(5, 2), mode="bicubic")),
    ((1, 1, 3, 4), dict(scale_factor=1.5, mode="bicubic", align_corners=True)),
    ((1, 1, 6, 5), dict(size=(2, 3), mode="bicubic", antialias=True)),
    ((2, 1, 4), dict(size=7, mode="linear")),
    ((1, 1, 2, 3, 2), dict(scale_factor=2, mode="trilinear")),
    ((1, 1, 2, 3, 2), dict(size=(3, 2, 4))),
])
def test_interpolate_gradcheck(shape, kwargs):
    x = t64(RNG.standard_normal(shape))
    assert gradcheck(lambda x: F.interpolate(x, **kwargs), (x,))


def test_other_gradchecks():
    w = t64(RNG.standard_normal((6, 3)))
    idx = teachnn.tensor(RNG.integers(0, 6, (2, 4)))
    # (padding_idx and scale_grad_by_freq change the gradient on purpose: PyTorch parity below)
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    q, p = t64(RNG.standard_normal((3, 4))), t64(RNG.random((3, 4)) + 0.1)
    for reduction in ("batchmean", "none"):
        for log_target in (False, True):
            assert gradcheck(lambda q, p: F.kl_div(q, p, reduction=reduction,
                                                   log_target=log_target), (q, p))
    x = t64(RNG.standard_normal((2, 3, 4)))
    wt, b = t64(RNG.standard_normal(3)), t64(RNG.standard_normal(3))
    assert gradcheck(lambda x, wt, b: F.instance_norm(x, weight=wt, bias=b), (x, wt, b))
    rm, rv = t64(RNG.standard_normal(3), False), t64(RNG.random(3) + 0.5, False)
    assert gradcheck(lambda x, wt: F.instance_norm(x, rm, rv, wt, use_input_stats=False),
                     (x, wt))


# ---------------------------------------------------------------------- functional parity

INTERPOLATE_CASES = [
    (shape, mode, kw, ac)
    for shape, modes in (((2, 3, 5, 4), ("nearest", "nearest-exact", "bilinear", "bicubic",
                                         "area")),
                         ((2, 3, 7), ("nearest", "linear")),
                         ((1, 2, 3, 4, 3), ("nearest", "trilinear")))
    for mode in modes
    for kw in (dict(scale_factor=2), dict(scale_factor=1.7), dict(scale_factor=0.6),
               dict(size=(3, 11, 2)[:len(shape) - 2]),
               dict(scale_factor=1.7, recompute_scale_factor=True))
    for ac in ((False, True) if mode in ("linear", "bilinear", "bicubic", "trilinear")
               else (None,))
]


@requires_torch
@pytest.mark.parametrize("shape,mode,kw,ac", INTERPOLATE_CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_interpolate_matches_pytorch(shape, mode, kw, ac, dtype):
    assert_parity(lambda lib, x: lib.nn.functional.interpolate(x, mode=mode, align_corners=ac,
                                                               **kw),
                  [RNG.standard_normal(shape)], dtype=dtype)


@requires_torch
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("kw", [dict(size=(5, 4)), dict(size=(20, 3)), dict(size=(1, 1)),
                                dict(scale_factor=0.4), dict(size=(4, 6), align_corners=True)])
def test_interpolate_antialias_matches_pytorch(mode, kw):
    assert_parity(lambda lib, x: lib.nn.functional.interpolate(x, mode=mode, antialias=True,
                                                               **kw),
                  [RNG.standard_normal((2, 2, 13, 11))])


@requires_torch
def test_interpolate_index_rounding_matches_pytorch_for_many_sizes():
    # the source index is computed in float32, as PyTorch does: exact equality everywhere
    x = np.arange(1, 10, dtype=np.float32)
    for n_in in range(1, 10):
        for n_out in range(1, 20):
            row = x[:n_in].reshape(1, 1, n_in)
            for mode, ac in (("nearest", None), ("nearest-exact", None), ("linear", False),
                             ("linear", True)):
                ours = F.interpolate(teachnn.tensor(row), size=n_out, mode=mode,
                                     align_corners=ac)
                theirs = torch.nn.functional.interpolate(torch.tensor(row), size=n_out,
                                                         mode=mode, align_corners=ac)
                np.testing.assert_allclose(to_numpy(ours), theirs.numpy(), rtol=1e-6,
                                           atol=1e-6, err_msg=f"{mode} {n_in}->{n_out}")
            scale = n_out / n_in
            ours = F.interpolate(teachnn.tensor(row), scale_factor=scale)
            theirs = torch.nn.functional.interpolate(torch.tensor(row), scale_factor=scale)
            np.testing.assert_array_equal(to_numpy(ours), theirs.numpy())


@requires_torch
def test_embedding_one_hot_kl_instance_norm_match_pytorch():
    w, idx = RNG.standard_normal((10, 4)), RNG.integers(0, 10, (3, 5))
    for kwargs in (dict(), dict(padding_idx=2), dict(padding_idx=-1, scale_grad_by_freq=True)):
        assert_parity(lambda lib, w, i: lib.nn.functional.embedding(i, w, **kwargs), [w, idx])
    for kwargs in (dict(max_norm=1.0), dict(max_norm=1.5, norm_type=1.0)):
        # max_norm rescales the used rows of the weight in place: compare the weights too
        assert_parity(lambda lib, w, i: (lib.nn.functional.embedding(i, w, **kwargs), w),
                      [w, idx], grad=False)
    assert_parity(lambda lib, i: lib.nn.functional.one_hot(i), [idx])
    assert_parity(lambda lib, i: lib.nn.functional.one_hot(i, 12), [idx])
    q, p = RNG.standard_normal((4, 5)), RNG.random((4, 5)) + 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # reduction='mean' warns in both libraries
        for reduction in ("mean", "batchmean", "sum", "none"):
            for log_target in (False, True):
                assert_parity(lambda lib, q, p: lib.nn.functional.kl_div(
                    q, p.log() if log_target else p, reduction=reduction,
                    log_target=log_target), [q, p])
    p0 = p.copy()
    p0[0, 0] = 0                                 # 0 * log 0 counts as 0
    assert_parity(lambda lib, q, p: lib.nn.functional.kl_div(q, p, reduction="sum"), [q, p0],
                  grad_inputs=[0])
    assert_parity(lambda lib, q, p: lib.nn.functional.kl_div(q, p, reduction="batchmean"),
                  [q, RNG.random(5) + 0.1])      # broadcast target
    for shape in ((2, 3, 5), (2, 3, 4, 4), (1, 3, 2, 3, 2)):
        x = RNG.standard_normal(shape)
        w3, b3 = RNG.standard_normal(3), RNG.standard_normal(3)
        assert_parity(lambda lib, x, w, b: lib.nn.functional.instance_norm(x, weight=w, bias=b),
                      [x, w3, b3])
        rm, rv = RNG.standard_normal(3), RNG.random(3) + 0.5
        assert_parity(lambda lib, x, w, rm, rv: lib.nn.functional.instance_norm(
            x, rm, rv, weight=w, use_input_stats=False), [x, w3, rm, rv], grad_inputs=[0, 1])

        def with_running(lib, x, rm, rv):
            y = lib.nn.functional.instance_norm(x, rm, rv, momentum=0.3)
            return y, rm * 1, rv * 1             # the statistics after the in-place update
        assert_parity(with_running, [x, rm, rv], grad_inputs=[0])
    # an empty batch gives empty results and gradients, as in PyTorch
    for fn in (lambda lib, x: lib.nn.functional.instance_norm(x),
               lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2),
               lambda lib, x: lib.nn.functional.interpolate(x, size=5, mode="linear")):
        assert_parity(fn, [np.zeros((0, 2, 3))])


# -------------------------------------------------------------------------------- modules

MODULES = [
    ("nn.Embedding(10, 3)", (2, 4), "int"),
    ("nn.Embedding(10, 3, padding_idx=-1, max_norm=1.0, norm_type=1.0, "
     "scale_grad_by_freq=True)", (2, 4), "int"),
    ("nn.InstanceNorm1d(3)", (2, 3, 5), "float"),
    ("nn.InstanceNorm1d(3, affine=True)", (3, 5), "float"),
    ("nn.InstanceNorm2d(3, affine=True, track_running_stats=True)", (2, 3, 4, 4), "float"),
    ("nn.InstanceNorm3d(2, momentum=None, track_running_stats=True)", (2, 2, 2, 3, 2),
     "float"),
    ("nn.Upsample(scale_factor=2)", (1, 2, 3, 3), "float"),
    ("nn.Upsample(size=(3, 4), mode='bilinear', align_corners=True)", (1, 2, 2, 2), "float"),
    ("nn.Upsample(scale_factor=(2, 3))", (1, 1, 2, 2), "float"),
    ("nn.Upsample(size=5, mode='linear')", (1, 2, 3), "float"),
    ("nn.UpsamplingNearest2d(scale_factor=2)", (1, 1, 2, 3), "float"),
    ("nn.UpsamplingBilinear2d(size=3)", (1, 1, 2, 2), "float"),
]


@requires_torch
@pytest.mark.parametrize("text,shape,kind", MODULES, ids=[m[0] for m in MODULES])
def test_modules_match_pytorch(text, shape, kind):
    ours, theirs = eval(text, {"nn": nn}), eval(text, {"nn": torch.nn})
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():
        for p in theirs.parameters():        # not the default ones and zeros
            p.normal_()
    ours.load_state_dict(theirs.state_dict())
    ours.double()
    theirs.double()
    if kind == "int":
        x = RNG.integers(0, 10, shape)
        assert_close(ours(teachnn.tensor(x)), theirs(torch.tensor(x)), 1e-10, 1e-8, "output")
        assert_close(ours.weight, theirs.weight, 1e-10, 1e-8, "weight after max_norm")
        return
    for train in (True, False):               # eval() switches to the running statistics
        ours.train(train)
        theirs.train(train)
        x = RNG.standard_normal(shape)
        xt, xp = teachnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yt, yp = ours(xt), theirs(xp)
        assert_close(yt, yp, 1e-10, 1e-8, "output")
        r = RNG.standard_normal(tuple(yp.shape))
        (yt * teachnn.tensor(r)).sum().backward()
        (yp * torch.tensor(r)).sum().backward()
        assert_close(xt.grad, xp.grad, 1e-10, 1e-8, "input gradient")
        for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert_close(a.grad, b.grad, 1e-10, 1e-8, f"gradient of {name}")
            a.grad, b.grad = None, None
        for name, b in theirs.named_buffers():
            assert_close(ours.get_buffer(name), b, 1e-10, 1e-8, f"buffer {name}")


@requires_torch
def test_kl_div_loss_module_matches_pytorch():
    for kwargs in (dict(), dict(reduction="batchmean", log_target=True),
                   dict(reduction="none")):
        ours, theirs = nn.KLDivLoss(**kwargs), torch.nn.KLDivLoss(**kwargs)
        assert repr(ours) == repr(theirs) and list(ours.state_dict()) == []
        q, p = RNG.standard_normal((3, 4)), RNG.random((3, 4))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_parity(lambda lib, q, p: (ours if lib is teachnn else theirs)(q, p), [q, p],
                          grad_inputs=[0])


def test_embedding_init_padding_and_from_pretrained():
    teachnn.manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=1)
    assert tuple(emb.weight.shape) == (5, 3) and emb.weight.requires_grad
    np.testing.assert_array_equal(to_numpy(emb.weight)[1], 0)
    teachnn.manual_seed(0)
    expected = teachnn.randn(5, 3)                     # PyTorch's default: N(0, 1) draws
    np.testing.assert_array_equal(np.delete(to_numpy(emb.weight), 1, axis=0),
                                  np.delete(to_numpy(expected), 1, axis=0))
    emb(teachnn.tensor([[1, 2, 1]])).sum().backward()
    np.testing.assert_array_equal(to_numpy(emb.weight.grad)[1], 0)   # padding row: no grad
    table = teachnn.tensor([[1.0, 2.0], [3.0, 4.0]])
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and repr(frozen) == "Embedding(2, 2)"
    np.testing.assert_array_equal(to_numpy(frozen(teachnn.tensor([1]))), [[3.0, 4.0]])
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad
    np.testing.assert_array_equal(to_numpy(trainable.weight)[0], [1.0, 2.0])  # not zeroed
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(4, 2, sparse=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(teachnn.tensor([0]), table, sparse=True)


@requires_torch
def test_bad_inputs_raise_pytorch_types():
    x4 = np.zeros((1, 1, 4, 4), dtype=np.float32)

    def both(make):
        kinds = []
        for lib in (teachnn, torch):
            try:
                make(lib)
                kinds.append("no error")
            except Exception as exc:  # noqa: BLE001 - the type is what is compared
                kinds.append(type(exc).__name__)
        return kinds

    cases = [
        lambda lib: lib.nn.Embedding(4, 2, padding_idx=4),
        lambda lib: lib.nn.Embedding(4, 2, padding_idx=-5),
        lambda lib: lib.nn.Embedding(4, 2)(lib.tensor([4])),
        lambda lib: lib.nn.Embedding(4, 2)(lib.tensor([-1])),
        lambda lib: lib.nn.Embedding(4, 2)(lib.tensor([1.0])),
        lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(3)),
        lambda lib: lib.nn.functional.one_hot(lib.tensor([0.0, 2.0])),
        lambda lib: lib.nn.functional.one_hot(lib.tensor([-1, 2])),
        lambda lib: lib.nn.functional.one_hot(lib.tensor([0, 5]), 3),
        lambda lib: lib.nn.functional.one_hot(lib.tensor([], dtype=lib.int64)),
        lambda lib: lib.nn.functional.one_hot(lib.tensor([1], dtype=lib.int32), 3),
        lambda lib: lib.nn.functional.kl_div(lib.zeros(2, 3), lib.zeros(2, 3), reduction="x"),
        lambda lib: lib.nn.functional.kl_div(lib.zeros(2, 3), lib.zeros(4), reduction="sum"),
        lambda lib: lib.nn.KLDivLoss(reduction="x")(lib.zeros(2), lib.zeros(2)),
        lambda lib: lib.nn.InstanceNorm1d(3)(lib.zeros(4)),
        lambda lib: lib.nn.InstanceNorm1d(3, affine=True)(lib.zeros(2, 4, 5)),
        lambda lib: lib.nn.InstanceNorm2d(3)(lib.zeros(3, 1, 1)),
        lambda lib: lib.nn.functional.instance_norm(lib.zeros(2, 3)),
        lambda lib: lib.nn.functional.interpolate(lib.tensor(x4), scale_factor=2,
                                                  align_corners=True),
        lambda lib: lib.nn.functional.interpolate(lib.tensor(x4), scale_factor=2,
                                                  mode="linear"),
        lambda lib: lib.nn.functional.interpolate(lib.tensor(x4), size=2, scale_factor=2),
        lambda lib: lib.nn.functional.interpolate(lib.tensor(x4)),
        lambda lib: lib.nn.functional.interpolate(lib.tensor(x4), size=(2,)),
        lambda lib: lib.nn.functional.interpolate(lib.tensor(x4), size=3, mode="cubic"),
        lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4), size=3, mode="bicubic"),
        lambda lib: lib.nn.functional.interpolate(lib.tensor(x4), size=3, antialias=True),
        lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4), size=3, mode="linear",
                                                  antialias=True),
        lambda lib: lib.nn.functional.interpolate(lib.tensor(x4), scale_factor=(2, 2, 2)),
        lambda lib: lib.nn.functional.interpolate(lib.tensor(x4), scale_factor=0.1),
        lambda lib: lib.nn.functional.interpolate(lib.zeros(4, 4), scale_factor=2),
        lambda lib: lib.nn.functional.interpolate(lib.tensor(x4).long(), scale_factor=2),
        lambda lib: lib.nn.functional.interpolate(lib.tensor(x4), size=2.5),
        lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 0, 2), scale_factor=2),
        lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 2), scale_factor=2.0 ** 40),
        lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 2), scale_factor=float("nan")),
        lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 2), scale_factor="2"),
        lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 2), size=3, mode="linear",
                                                  align_corners="yes"),
        lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4, dtype=lib.int64)),
        lambda lib: lib.nn.Embedding(-1, 2),
        lambda lib: lib.nn.LazyLinear(-1)(lib.ones(2, 3)),
    ]
    for i, make in enumerate(cases):
        ours, theirs = both(make)
        assert ours == theirs, f"case {i}: teachnn raised {ours}, PyTorch {theirs}"
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(teachnn.zeros(2, 4, 5))


@requires_torch
def test_grad_fn_names_match_pytorch():
    cases = [
        lambda lib, x: lib.nn.functional.interpolate(x[:, :, 0], scale_factor=2),
        lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="nearest-exact"),
        lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"),
        lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="bicubic"),
        lambda lib, x: lib.nn.functional.interpolate(x, size=2, mode="bilinear", antialias=True),
        lambda lib, x: lib.nn.functional.interpolate(x[:, :, 0], size=5, mode="linear"),
        lambda lib, x: lib.nn.functional.interpolate(x[None], scale_factor=2, mode="trilinear"),
        lambda lib, x: lib.nn.functional.embedding(lib.tensor([1, 2]), x[0, 0]),
        lambda lib, x: lib.nn.functional.kl_div(x, x.detach().exp(), reduction="batchmean"),
        lambda lib, x: lib.nn.functional.kl_div(x, x.detach(), reduction="none",
                                                log_target=True),
        lambda lib, x: lib.nn.functional.instance_norm(x),
    ]
    x = RNG.standard_normal((1, 2, 3, 3)).astype(np.float32)
    for make in cases:
        names = [type(make(lib, lib.tensor(x, requires_grad=True)).grad_fn).__name__
                 for lib in (teachnn, torch)]
        assert names[0] == names[1]
