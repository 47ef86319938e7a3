"""PyTorch API forms published code uses (issue 18, items 2, 5, 8, 9 (einsum, view(dtype)) and 10),
each checked against PyTorch 2.13."""
import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.autograd import gradcheck
from tests.parity import assert_parity, requires_torch, torch


# ------------------------------------------------------------------------------------------
# 2. factories: size=, dtype=, requires_grad=, generator=, out=, device=, layout=, pin_memory=
# ------------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_take_every_keyword_form(name):
    for lib in (teachnn, torch):
        fn = getattr(lib, name)
        a = fn(size=(2, 3), dtype=lib.float64, requires_grad=True, device="cpu", layout=lib.strided,
               pin_memory=False)
        assert tuple(a.shape) == (2, 3) and a.dtype == lib.float64 and a.requires_grad
        assert tuple(fn(size=[4]).shape) == (4,) and tuple(fn(size=()).shape) == ()
        out = lib.full((2,), 7.0, dtype=lib.float64)
        assert fn(2, out=out) is out and out.dtype == lib.float64
        with pytest.raises(TypeError):
            fn(2, size=(3,))
        with pytest.raises(TypeError):
            fn(size=2)
        with pytest.raises(RuntimeError):
            fn(2, pin_memory=True)
    if name in ("zeros", "ones"):
        ours = getattr(teachnn, name)(3, out=teachnn.empty(3, dtype=teachnn.int64))
        theirs = getattr(torch, name)(3, out=torch.empty(3, dtype=torch.int64))
        assert str(ours.dtype)[8:] == str(theirs.dtype)[6:] and ours.tolist() == theirs.tolist()


def test_factory_keyword_typos_suggest_the_keyword():
    with pytest.raises(TypeError, match="'sise'. Did you mean 'size'?"):
        teachnn.zeros(2, sise=(3,))
    with pytest.raises(TypeError, match="Did you mean 'requires_grad'?"):
        teachnn.rand(2, requires_gard=True)


def test_random_factories_follow_the_generator_with_size_keyword():
    for name in ("rand", "randn"):
        fn = getattr(teachnn, name)
        a = fn(size=(3,), generator=teachnn.Generator().manual_seed(5))
        b = fn(3, generator=teachnn.Generator().manual_seed(5))
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    x = teachnn.ones(2, 2)
    assert teachnn.rand_like(x, dtype=teachnn.float64, requires_grad=True, memory_format=None).dtype == teachnn.float64
    assert teachnn.zeros_like(x, layout=teachnn.strided).shape == (2, 2)
    out = teachnn.empty(0, dtype=teachnn.int64)
    assert teachnn.arange(4, out=out) is out and out.tolist() == [0, 1, 2, 3]


# ------------------------------------------------------------------------------------------
# 5. .to(...) and .cuda()
# ------------------------------------------------------------------------------------------
@requires_torch
def test_module_and_tensor_to_accept_every_form():
    for lib in (teachnn, torch):
        m = lib.nn.Linear(2, 3)
        assert m.to(lib.device("cpu")) is m and m.to("cpu", non_blocking=True) is m
        assert m.to(lib.float64).weight.dtype == lib.float64
        assert m.to(device=lib.device("cpu"), dtype=lib.float32).weight.dtype == lib.float32
        assert m.to(lib.zeros(1, dtype=lib.float64)).bias.dtype == lib.float64
        assert m.to("cpu", lib.float32, True).weight.dtype == lib.float32
        x = lib.ones(2)
        assert x.to(lib.device("cpu")) is x
        assert x.to("cpu", non_blocking=True) is x
        assert x.to(device="cpu", dtype=lib.float64).dtype == lib.float64
        assert x.to(lib.zeros(1, dtype=lib.int64)).dtype == lib.int64
        assert x.to("cpu", lib.float64, True).dtype == lib.float64
        # copy=True always copies; positional booleans are non_blocking, then copy
        assert x.to("cpu", copy=True) is not x and x.to(lib.float32, False, True) is not x
        assert x.to("cpu", lib.float32, True) is x and x.to(x, copy=False) is x


@requires_torch
def test_cuda_fails_with_the_exception_type_of_a_cpu_only_pytorch():
    for lib in (teachnn, torch):
        for call in (lambda: lib.ones(2).cuda(), lambda: lib.nn.Linear(2, 2).cuda(),
                     lambda: lib.ones(2).to("cuda"), lambda: lib.nn.Linear(2, 2).to("cuda:0"),
                     lambda: lib.zeros(2, device="cuda")):
            with pytest.raises(AssertionError):
                call()
    with pytest.raises(AssertionError, match="CPU only"):
        teachnn.ones(2).cuda()


# ------------------------------------------------------------------------------------------
# 8. Size, Python numbers, next_functions
# ------------------------------------------------------------------------------------------
@requires_torch
def test_size_behaves_like_torch_size():
    ours, theirs = teachnn.ones(2, 3).shape, torch.ones(2, 3).shape
    assert ours == theirs and ours == (2, 3) and (2, 3) == ours and ours != [2, 3]
    assert hash(ours) == hash(theirs) == hash((2, 3))
    assert {ours: 1}[(2, 3)] == 1
    for a, b in [(ours[1:], theirs[1:]), (ours + (4,), theirs + (4,)), ((4,) + ours, (4,) + theirs),
                 (ours * 2, theirs * 2), (2 * ours, 2 * theirs)]:
        assert type(a) is teachnn.Size and type(b) is torch.Size and a == b
    assert ours.numel() == theirs.numel() == 6 and ours.count(2) == 1 and ours.index(3) == 1
    assert repr(ours) == "teachnn.Size([2, 3])"
    with pytest.raises(TypeError):
        ours + [4]
    with pytest.raises(TypeError):
        theirs + [4]


@requires_torch
def test_reductions_to_python_give_python_numbers():
    for lib in (teachnn, torch):
        x = lib.tensor([[1.5, -2.0], [3.0, 0.5]])
        assert type(x.sum().item()) is float and type(x.max().item()) is float
        assert type(x.argmax().item()) is int and type(lib.tensor([1, 2]).sum().item()) is int
        assert type((x > 0).all().item()) is bool and type(lib.allclose(x, x)) is bool
        assert type(lib.equal(x, x)) is bool and type(x.tolist()[0][0]) is float
        assert type(x.size(0)) is int and type(x.numel()) is int and type(x.dim()) is int
        assert type(float(x[0, 0])) is float and type(int(lib.tensor(3))) is int


def _structure(lib, y):
    """The graph under y as (node name, [names of next_functions]) in breadth-first order."""
    def name(node):
        return None if node is None else type(node).__name__.replace("teachnn::autograd::", "")
    if lib is teachnn:
        def name(node):  # noqa: F811  (teachnn names nodes through .name())
            return None if node is None else node.name().split("::")[-1]
    seen, todo, out = set(), [y.grad_fn], []
    while todo:
        node = todo.pop(0)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        out.append((name(node), [name(n) for n, _ in node.next_functions]))
        todo += [n for n, _ in node.next_functions]
    return out


GRAPHS = [
    lambda lib, x, w, b: lib.nn.functional.linear(x.relu(), w, b),
    lambda lib, x, w, b: lib.nn.functional.linear(x, w),
    lambda lib, x, w, b: (x * 2 + x.exp()).sum(),
    lambda lib, x, w, b: lib.cat([x, x * 3]).mean(),
    lambda lib, x, w, b: (x.t() @ x).sum(),
    lambda lib, x, w, b: lib.nn.functional.cross_entropy(x, lib.tensor([0, 2])),
    lambda lib, x, w, b: ((x / 3 - 1) ** 2).sum(),
    lambda lib, x, w, b: lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 1))(x).sum(),
    lambda lib, x, w, b: lib.nn.functional.max_pool2d(
        lib.nn.BatchNorm2d(2)(lib.nn.Conv2d(1, 2, 2)(x.reshape(1, 1, 2, 3))).relu(), (1, 2)).flatten(1).sum(),
    lambda lib, x, w, b: lib.nn.functional.mse_loss(lib.softmax(x.view(3, 2), dim=1), lib.zeros(3, 2)),
]


@requires_torch
@pytest.mark.parametrize("k", range(len(GRAPHS)))
def test_next_functions_in_torchs_order(k):
    graphs = []
    for lib in (teachnn, torch):
        x, w, b = (lib.ones(*shape, requires_grad=True) for shape in ((2, 3), (4, 3), (4,)))
        graphs.append(_structure(lib, GRAPHS[k](lib, x, w, b)))
    assert graphs[0] == graphs[1]


# ------------------------------------------------------------------------------------------
# 9. einsum with backward, view(dtype)
# ------------------------------------------------------------------------------------------
EINSUM = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("i,i", [(3,), (3,)]),
          ("...ij,...jk", [(2, 2, 3), (2, 3, 2)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
          ("ij->", [(2, 3)]), ("ij,k->ijk", [(2, 3), (2,)]), ("iij->j", [(2, 2, 3)]),
          ("i...->...", [(2, 3, 4)]), ("ij,ij->i", [(2, 3), (2, 3)]), ("ijk->kji", [(2, 3, 4)]),
          ("ba", [(2, 3)]), ("b i d, b j d -> b i j", [(2, 3, 4), (2, 5, 4)]),
          ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
          ("i,j->", [(2,), (3,)])]


@requires_torch
@pytest.mark.parametrize("equation,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_values_and_gradients_match_torch(equation, shapes):
    rng = np.random.default_rng(len(equation))
    arrays = [rng.standard_normal(s) for s in shapes]
    assert_parity(lambda lib, *xs: lib.einsum(equation, *xs), arrays)
    assert_parity(lambda lib, *xs: lib.einsum(equation, list(xs)), arrays, dtype="float32")
    assert gradcheck(lambda *xs: teachnn.einsum(equation, *xs),
                     tuple(teachnn.tensor(a, requires_grad=True) for a in arrays))


@requires_torch
def test_einsum_sublist_form():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    assert_parity(lambda lib, x, y: lib.einsum(x, [0, 1], y, [1, 2], [0, 2]), [a, b])
    assert_parity(lambda lib, x: lib.einsum(x, [Ellipsis, 1], x, [Ellipsis, 1]), [a])


@requires_torch
def test_einsum_errors():
    for lib in (teachnn, torch):
        a = lib.ones(2, 3)
        with pytest.raises((RuntimeError, ValueError)):
            lib.einsum("ij,jk->ik", a)
        with pytest.raises(RuntimeError):
            lib.einsum("ijk->i", a)


@requires_torch
@pytest.mark.parametrize("src,dst", [("float32", "int32"), ("float32", "uint8"), ("float64", "int8"),
                                     ("int16", "float32"), ("float32", "bool"), ("int64", "float64")])
def test_view_dtype_reinterprets_bytes_like_torch(src, dst):
    a = np.arange(8).reshape(2, 4).astype(src)
    ours = teachnn.tensor(a).view(getattr(teachnn, dst))
    theirs = torch.tensor(a).view(getattr(torch, dst))
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    t = teachnn.tensor(a)
    t.view(getattr(teachnn, dst))[...] = 0        # shares memory
    assert not t.numpy().any()


@requires_torch
def test_view_dtype_errors_match_torch():
    for lib in (teachnn, torch):
        for bad in (lambda: lib.ones(3).view(lib.float64), lambda: lib.tensor(1.0).view(lib.float64),
                    lambda: lib.ones(4, 2).t().view(lib.float64)):
            with pytest.raises(RuntimeError):
                bad()


# ------------------------------------------------------------------------------------------
# 10. a misspelt name suggests the nearest one
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("namespace,name,suggestion", [
    (nn, "Relu", "ReLU"), (F, "Relu", "relu"), (teachnn, "Sofmax", "softmax"), (F, "maxpool2d", "max_pool2d"),
    (nn, "Conv2D", "Conv2d"), (nn, "CrossEntropyLos", "CrossEntropyLoss"), (teachnn.optim, "adam", None),
    (teachnn.optim, "SDG", "SGD"), (nn.init, "kaiming_normal", "kaiming_normal_"),
    (nn.functional, "Softmax", "softmax"),
    (teachnn, "xyzzy", None)])
def test_misspelt_names_suggest_the_nearest(namespace, name, suggestion):
    if suggestion is None and hasattr(namespace, name):       # teachnn.optim.adam is the module
        return
    with pytest.raises(AttributeError) as info:
        getattr(namespace, name)
    message = str(info.value)
    assert message.startswith(f"module '{namespace.__name__}' has no attribute '{name}'")
    if suggestion:
        assert message.endswith(f"Did you mean '{suggestion}'?")
    else:
        assert "Did you mean" not in message
    assert not hasattr(namespace, name)


def test_a_misspelt_name_prints_one_suggestion_in_the_traceback():
    """Python appends its own case-sensitive guess to a module's AttributeError; the printed
    traceback must carry teachnn's suggestion only ('sin' for 'sinn', not also 'sign')."""
    import subprocess
    import sys
    for code, suggestion in (("import teachnn; teachnn.sinn", "sin"),
                             ("import teachnn.nn as nn; nn.Relu", "ReLU")):
        err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stderr
        last = err.strip().splitlines()[-1]
        assert last.startswith("AttributeError: module "), last
        assert last.endswith(f"Did you mean '{suggestion}'?"), last
        assert last.count("Did you mean") == 1, last
