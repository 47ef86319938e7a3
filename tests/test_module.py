"""nn.Module and nn.Parameter: registration, traversal order, state_dict, repr, hooks, errors.

Oracles: hand-written expectations, and PyTorch itself (the same model built with ``lib=torch``
and ``lib=teachnn`` must give the same names, order, repr text and numbers).
"""
from __future__ import annotations

import copy
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
import teachnn.optim
from teachnn.tensor import Tensor
from tests.parity import requires_torch, torch


# ----------------------------------------------------------------------------- helpers

def T(array):
    """A teachnn Tensor holding exactly this array (dtype kept)."""
    return teachnn.from_numpy(np.array(array))


def make_lib_tensor(lib, array):
    return lib.from_numpy(np.array(array))


def build_model(lib, dtype=np.float32, seed=0):
    """The same small network in teachnn (lib=teachnn) or PyTorch (lib=torch).

    Only Module/Parameter/containers are used, so it tests the Module system on its own:
    custom layers, nesting, Sequential, ModuleList (with repeated layers), ModuleDict,
    a shared layer, buffers (one non-persistent) and a parameter set to None.
    """
    rng = np.random.default_rng(seed)

    class Affine(lib.nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.n_in, self.n_out = n_in, n_out
            self.weight = lib.nn.Parameter(make_lib_tensor(lib, rng.standard_normal((n_out, n_in)).astype(dtype)))
            self.bias = lib.nn.Parameter(make_lib_tensor(lib, rng.standard_normal(n_out).astype(dtype)))
            self.register_buffer("running", make_lib_tensor(lib, np.zeros(n_out, dtype)))
            self.register_buffer("scratch", make_lib_tensor(lib, np.zeros(1, dtype)), persistent=False)

        def extra_repr(self):
            return f"n_in={self.n_in}, n_out={self.n_out}"

        def forward(self, x):
            return x @ self.weight.t() + self.bias

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = lib.nn.Parameter(make_lib_tensor(lib, np.array([2.0], dtype)))
            self.body = lib.nn.Sequential(Affine(3, 4), lib.nn.Sequential(), Affine(4, 4))
            self.blocks = lib.nn.ModuleList([Affine(4, 4), Affine(4, 4), Affine(4, 4), Affine(4, 2)])
            self.heads = lib.nn.ModuleDict({"b": Affine(2, 1), "a": lib.nn.Sequential(
                OrderedDict([("inner", Affine(2, 2))]))})
            self.tied = self.body[0]                       # the same layer under two names
            self.nothing = None
            self.register_parameter("unused", None)
            self.register_buffer("steps", make_lib_tensor(lib, np.array(0, np.int64)))

        def forward(self, x):
            x = self.body(x) * self.scale
            for block in self.blocks:
                x = block(x)
            return self.heads["b"](x) + self.heads["a"](x).sum(1, keepdim=True)

    return Net()


# ----------------------------------------------------------------------------- Parameter

def test_parameter_defaults_and_shared_data():
    t = T(np.array([1.0, 2.0], np.float32))
    p = nn.Parameter(t)
    assert isinstance(p, Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p._data is t._data                     # no copy
    t._data[0] = 5.0
    assert float(p._data[0]) == 5.0
    assert nn.Parameter(t, requires_grad=False).requires_grad is False
    empty = nn.Parameter()
    assert tuple(empty.shape) == (0,) and empty._data.dtype == np.float32


@requires_torch
def test_parameter_repr_matches_torch():
    p = nn.Parameter(T(np.array([[1.0, 2.5]], np.float32)))
    q = torch.nn.Parameter(torch.tensor([[1.0, 2.5]]))
    assert repr(p) == repr(q)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert str(p) == str(q) == repr(q)          # print(model.weight) shows the header too


def test_parameter_rejects_non_tensor():
    with pytest.raises(TypeError, match="expects a Tensor.*nn.Parameter\\(torch.tensor"):
        nn.Parameter(np.zeros(3))


def test_parameter_deepcopy_copies_numbers():
    p = nn.Parameter(T(np.ones(3, np.float32)))
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.requires_grad
    q._data[0] = 7
    assert float(p._data[0]) == 1.0


# ----------------------------------------------------------------------------- registration

def test_attribute_assignment_registers_in_the_right_dict():
    m = build_model(teachnn)
    assert list(m._parameters) == ["scale", "unused"]
    assert m._parameters["unused"] is None
    assert list(m._modules) == ["body", "blocks", "heads", "tied"]
    assert m.__dict__["nothing"] is None        # None is a plain attribute, as in PyTorch
    assert list(m._buffers) == ["steps"]
    assert m.tied is m.body[0]
    assert "body" not in m.__dict__             # registered, not a plain attribute

    # re-assigning a parameter name with a Parameter replaces it; None clears it
    new = nn.Parameter(T(np.zeros(1, np.float32)))
    m.scale = new
    assert m.scale is new
    m.scale = None
    assert m._parameters["scale"] is None
    # a plain attribute that becomes a Module moves from __dict__ to _modules
    m.extra = 3
    m.extra = nn.Sequential()
    assert "extra" not in m.__dict__ and isinstance(m._modules["extra"], nn.Sequential)
    del m.extra
    assert "extra" not in m._modules
    with pytest.raises(AttributeError):
        m.extra


def test_assigning_a_plain_tensor_to_a_parameter_name_is_a_type_error():
    m = build_model(teachnn)
    with pytest.raises(TypeError, match="cannot assign 'teachnn.Tensor' as parameter 'scale'"):
        m.scale = T(np.zeros(1, np.float32))
    with pytest.raises(TypeError, match="as child module 'body'"):
        m.body = 5
    with pytest.raises(TypeError, match="as buffer 'steps'"):
        m.steps = 5
    m.steps = T(np.array(3, np.int64))           # a Tensor may replace a buffer
    assert int(m.steps._data) == 3


def test_register_methods_validate_names():
    m = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", T(np.zeros(1)))
    with pytest.raises(KeyError, match="empty string"):
        m.register_parameter("", None)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("training", T(np.zeros(1)))
    with pytest.raises(TypeError, match="not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(TypeError, match="buffer 'b'"):
        m.register_buffer("b", [1, 2])
    m.register_module("child", nn.Sequential())
    assert m.get_submodule("child") is m.child


# ----------------------------------------------------------------------------- traversal

@requires_torch
def test_names_and_order_match_torch():
    ours, theirs = build_model(teachnn), build_model(torch)
    for method in ["named_parameters", "named_buffers", "named_modules", "named_children"]:
        a = [name for name, _ in getattr(ours, method)()]
        b = [name for name, _ in getattr(theirs, method)()]
        assert a == b, method
    a = [n for n, _ in ours.named_parameters(prefix="model", recurse=True)]
    b = [n for n, _ in theirs.named_parameters(prefix="model", recurse=True)]
    assert a == b
    assert [n for n, _ in ours.named_parameters(recurse=False)] == \
        [n for n, _ in theirs.named_parameters(recurse=False)]
    assert [n for n, _ in ours.named_modules(remove_duplicate=False)] == \
        [n for n, _ in theirs.named_modules(remove_duplicate=False)]
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert len(list(ours.modules())) == len(list(theirs.modules()))
    assert len(list(ours.children())) == len(list(theirs.children()))


def test_shared_parameters_are_listed_once_hand_example():
    m = nn.Module()
    m.a = nn.Module()
    m.b = nn.Module()
    w = nn.Parameter(T(np.ones(2, np.float32)))
    m.a.w = w
    m.b.w = w
    assert [n for n, _ in m.named_parameters()] == ["a.w"]
    assert [n for n, _ in m.named_parameters(remove_duplicate=False)] == ["a.w", "b.w"]
    assert list(m.state_dict()) == ["a.w", "b.w"]  # state_dict keeps every name


def test_dir_lists_registered_names():
    m = build_model(teachnn)
    names = dir(m)
    for expected in ["body", "blocks", "scale", "steps", "forward", "state_dict"]:
        assert expected in names


# ----------------------------------------------------------------------------- state_dict

@requires_torch
def test_state_dict_keys_and_order_match_torch():
    ours, theirs = build_model(teachnn), build_model(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "body.0.scratch" not in ours.state_dict()      # non-persistent buffer left out
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(value._data, theirs.state_dict()[key].numpy())


def test_state_dict_and_parameter_order_by_hand():
    # PyTorch's rule: own parameters, own persistent buffers, then each child in registration
    # order; the shared layer 'tied' appears again in state_dict but not in named_parameters
    m = build_model(teachnn)
    layer = ["weight", "bias", "running"]
    children = ["body.0", "body.2"] + [f"blocks.{i}" for i in range(4)] + ["heads.b", "heads.a.inner"]
    expected_state = ["scale", "steps"] + [f"{c}.{k}" for c in children + ["tied"] for k in layer]
    assert list(m.state_dict()) == expected_state
    expected_params = ["scale"] + [f"{c}.{k}" for c in children for k in ["weight", "bias"]]
    assert [n for n, _ in m.named_parameters()] == expected_params
    assert [n for n, _ in m.named_buffers()] == ["steps"] + [
        f"{c}.{k}" for c in children for k in ["running", "scratch"]]
    assert [n for n, _ in m.named_modules()][:5] == ["", "body", "body.0", "body.1", "body.2"]


def test_state_dict_values_are_detached_and_share_numbers():
    m = build_model(teachnn)
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    w = sd["body.0.weight"]
    assert not isinstance(w, nn.Parameter) and not w.requires_grad
    assert np.shares_memory(w._data, m.body[0].weight._data)
    kept = m.state_dict(keep_vars=True)["body.0.weight"]
    assert kept is m.body[0].weight


@requires_torch
def test_load_state_dict_from_a_torch_model():
    ours = build_model(teachnn, dtype=np.float64, seed=1)
    theirs = build_model(torch, dtype=np.float32, seed=2)
    weight_object = ours.body[0].weight
    result = ours.load_state_dict(theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for key, value in theirs.state_dict().items():
        mine = ours.state_dict()[key]
        np.testing.assert_array_equal(mine._data, value.numpy().astype(mine._data.dtype))
    assert ours.body[0].weight is weight_object            # copied in place
    assert ours.body[0].weight._data.dtype == np.float64    # the model's dtype is kept
    assert ours.steps._data.dtype == np.int64


@requires_torch
def test_load_state_dict_then_forward_matches_torch():
    ours = build_model(teachnn, dtype=np.float64, seed=3)
    theirs = build_model(torch, dtype=np.float64, seed=4)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(5).standard_normal((6, 3))
    out = ours(T(x))
    expected = theirs(torch.from_numpy(x))
    np.testing.assert_allclose(out._data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    # and the gradient of every parameter
    out.sum().backward()
    expected.sum().backward()
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad._data, theirs_params[name].grad.numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=name)


def test_load_state_dict_accepts_numpy_and_lists():
    m = nn.Module()
    m.w = nn.Parameter(T(np.zeros((2, 2), np.float32)))
    m.load_state_dict({"w": [[1, 2], [3, 4]]})
    np.testing.assert_array_equal(m.w._data, [[1, 2], [3, 4]])
    assert m.w._data.dtype == np.float32
    m.load_state_dict({"w": np.eye(2)})
    np.testing.assert_array_equal(m.w._data, np.eye(2))


@requires_torch
def test_load_state_dict_errors_match_torch_wording():
    ours, theirs = build_model(teachnn), build_model(torch)
    bad = OrderedDict((k, v.clone()) for k, v in theirs.state_dict().items())
    bad["body.0.weight"] = torch.zeros(4, 5)
    del bad["scale"]
    bad["extra.weight"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as ours_err:
        ours.load_state_dict(bad)
    with pytest.raises(RuntimeError) as torch_err:
        theirs.load_state_dict(bad)
    expected = str(torch_err.value).replace("torch.Size(", "").replace("])", "]")
    assert str(ours_err.value) == expected
    assert ("size mismatch for body.0.weight: copying a param with shape [4, 5] from "
            "checkpoint, the shape in current model is [4, 3].") in str(ours_err.value)


def test_load_state_dict_strict_false_reports_keys():
    m = nn.Module()
    m.fc = nn.Module()
    m.fc.weight = nn.Parameter(T(np.zeros(2, np.float32)))
    m.fc.bias = nn.Parameter(T(np.zeros(2, np.float32)))
    result = m.load_state_dict({"fc.weight": np.ones(2), "fc.gamma": np.ones(2),
                                "head.w": np.ones(1)}, strict=False)
    assert result.missing_keys == ["fc.bias"]
    assert result.unexpected_keys == ["head.w", "fc.gamma"]      # PyTorch's order: root first
    missing, unexpected = result                  # a namedtuple
    assert missing == ["fc.bias"]
    np.testing.assert_array_equal(m.fc.weight._data, [1, 1])
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "fc.bias"'):
        m.load_state_dict({"fc.weight": np.ones(2)})
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match='While copying the parameter named "fc.weight"'):
        m.load_state_dict({"fc.weight": np.array(["a", "b"]), "fc.bias": np.ones(2)})
    with pytest.raises(RuntimeError, match='While copying the parameter named "fc.bias"'):
        m.load_state_dict({"fc.weight": np.ones(2), "fc.bias": {"not": "an array"}})
    # a shape error is raised even with strict=False, naming both shapes
    with pytest.raises(RuntimeError, match=r"shape \[3\] from checkpoint.*current model is \[2\]"):
        m.load_state_dict({"fc.weight": np.ones(3)}, strict=False)


# ----------------------------------------------------------------------------- repr

@requires_torch
def test_repr_matches_torch_character_for_character():
    assert repr(build_model(teachnn)) == repr(build_model(torch))


def test_repr_hand_example():
    class Leaf(nn.Module):
        def extra_repr(self):
            return "k=1"

    class Multi(nn.Module):
        def extra_repr(self):
            return "line one\nline two"

    root = nn.Module()
    root.a = Leaf()
    root.b = nn.Module()
    root.b.c = Multi()
    assert repr(root) == ("Module(\n"
                          "  (a): Leaf(k=1)\n"
                          "  (b): Module(\n"
                          "    (c): Multi(\n"
                          "      line one\n"
                          "      line two\n"
                          "    )\n"
                          "  )\n"
                          ")")
    assert repr(nn.Module()) == "Module()"


# ----------------------------------------------------------------------------- calling, hooks

class Doubler(nn.Module):
    def forward(self, x, shift=0):
        return x * 2 + shift


def test_call_runs_forward_with_kwargs():
    out = Doubler()(T(np.array([1.0, 2.0])), shift=1)
    np.testing.assert_array_equal(out._data, [3.0, 5.0])


def test_forward_hooks_see_and_replace_values():
    m = Doubler()
    calls = []

    def pre(module, args):
        calls.append(("pre", float(args[0]._data[0])))
        return args[0] + 10                         # a single value is wrapped into a tuple

    def post(module, args, output):
        calls.append(("post", float(args[0]._data[0]), float(output._data[0])))
        return output - 1

    h1 = m.register_forward_pre_hook(pre)
    h2 = m.register_forward_hook(post)
    out = m(T(np.array([1.0])))
    assert float(out._data[0]) == (1 + 10) * 2 - 1
    assert calls == [("pre", 1.0), ("post", 11.0, 22.0)]
    h1.remove()
    h2.remove()
    h2.remove()                                     # removing twice is harmless
    assert float(m(T(np.array([1.0])))._data[0]) == 2.0


def test_hook_order_prepend_kwargs_and_context_manager():
    m = Doubler()
    order = []
    m.register_forward_hook(lambda mod, a, o: order.append("first"))
    m.register_forward_hook(lambda mod, a, o: order.append("prepended"), prepend=True)

    def kw_pre(module, args, kwargs):
        return args, {"shift": 100}

    with m.register_forward_pre_hook(kw_pre, with_kwargs=True):
        assert float(m(T(np.array([1.0])))._data[0]) == 102.0
    assert float(m(T(np.array([1.0])))._data[0]) == 2.0
    assert order == ["prepended", "first", "prepended", "first"]
    seen = {}
    m.register_forward_hook(lambda mod, a, kw, o: seen.update(kw), with_kwargs=True)
    m(T(np.array([1.0])), shift=3)
    assert seen == {"shift": 3}


def test_forward_hooks_collect_feature_maps_in_nested_models():
    m = build_model(teachnn, dtype=np.float64)
    shapes = {}
    for name, module in m.named_modules():
        if name.startswith("blocks."):
            module.register_forward_hook(
                lambda mod, args, out, name=name: shapes.__setitem__(name, tuple(out.shape)))
    m(T(np.zeros((5, 3))))
    assert shapes == {"blocks.0": (5, 4), "blocks.1": (5, 4), "blocks.2": (5, 4),
                      "blocks.3": (5, 2)}


# ----------------------------------------------------------------------------- modes, grads, dtype

def test_train_eval_recurse():
    m = build_model(teachnn)
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    with pytest.raises(ValueError, match="boolean"):
        m.train("no")


@requires_torch
def test_apply_visits_children_first_like_torch():
    ours, theirs = build_model(teachnn), build_model(torch)
    a, b = [], []
    ours.apply(lambda mod: a.append(type(mod).__name__))
    theirs.apply(lambda mod: b.append(type(mod).__name__))
    assert a == b
    assert a[-1] == "Net"


def test_zero_grad_and_requires_grad_():
    m = build_model(teachnn, dtype=np.float64)
    m(T(np.ones((2, 3)))).sum().backward()
    params = list(m.parameters())
    assert all(p.grad is not None for p in params)
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad._data.any() for p in params)
    m.zero_grad()
    assert all(p.grad is None for p in params)
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in params)
    m.requires_grad_()
    assert all(p.requires_grad for p in params)


def test_dtype_conversion_keeps_objects_and_integer_buffers():
    m = build_model(teachnn, dtype=np.float32)
    weight = m.body[0].weight
    assert m.double() is m
    assert m.body[0].weight is weight and weight._data.dtype == np.float64
    assert m.body[0].running._data.dtype == np.float64
    assert m.steps._data.dtype == np.int64             # integer buffer untouched
    m.half()
    assert weight._data.dtype == np.float16
    m.float()
    assert weight._data.dtype == np.float32
    m.to(teachnn.float64)
    assert weight._data.dtype == np.float64
    m.to(dtype=teachnn.float32)
    assert weight._data.dtype == np.float32
    assert m.to("cpu") is m and m.cpu() is m
    m.to(T(np.zeros(1, np.float64)))
    assert weight._data.dtype == np.float64
    with pytest.raises(AssertionError, match="CPU only"):     # a CPU-only PyTorch's type
        m.to("cuda")
    with pytest.raises(TypeError, match="floating point"):
        m.to(teachnn.int64)


def test_deepcopy_gives_an_independent_model():
    m = build_model(teachnn)
    c = copy.deepcopy(m)
    assert c.tied is c.body[0]                        # sharing is preserved inside the copy
    c.body[0].weight._data[...] = 0
    assert m.body[0].weight._data.any()
    assert list(c.state_dict()) == list(m.state_dict())


# ----------------------------------------------------------------------------- teaching errors

class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential()

    def forward(self, x):
        return self.conv_1(x)


def test_misspelt_attribute_suggests_the_registered_name():
    with pytest.raises(AttributeError) as err:
        CNN()(T(np.zeros(1)))
    assert str(err.value) == "'CNN' object has no attribute 'conv_1'. Did you mean 'conv1'?"
    with pytest.raises(AttributeError, match="Did you mean 'eval'"):
        CNN().evl()
    with pytest.raises(AttributeError) as err:
        CNN().qqqqqq
    assert str(err.value) == "'CNN' object has no attribute 'qqqqqq'"   # PyTorch's text
    assert not hasattr(CNN(), "conv_1") and getattr(CNN(), "conv_1", None) is None


def test_missing_forward_is_not_implemented_error():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError,
                       match='Module \\[NoForward\\] is missing the required "forward" function'):
        NoForward()(T(np.zeros(1)))

    class Typo(nn.Module):
        def foward(self, x):
            return x

    with pytest.raises(NotImplementedError, match="defines 'foward': rename it to 'forward'"):
        Typo()(T(np.zeros(1)))


def test_forgetting_super_init_says_so():
    class Forgot(nn.Module):
        def __init__(self):
            self.layer = nn.Sequential()

    with pytest.raises(AttributeError) as err:
        Forgot()
    assert str(err.value).startswith("cannot assign module before Module.__init__() call")
    assert "call super().__init__() first in your __init__" in str(err.value)

    class ForgotParam(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(T(np.zeros(1, np.float32)))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        ForgotParam()

    class ForgotPlain(nn.Module):
        def __init__(self):
            self.size = 3

        def forward(self, x):
            return x

    with pytest.raises(RuntimeError, match="call super\\(\\).__init__\\(\\) first"):
        ForgotPlain()(1)


def test_unknown_keyword_in_a_subclass_init_suggests_the_right_one():
    class Block(nn.Module):
        def __init__(self, in_channels, kernel_size=3, stride=1):
            super().__init__()
            self.kernel_size = kernel_size

    with pytest.raises(TypeError) as err:
        Block(1, kernels=5)
    assert "unexpected keyword argument 'kernels'" in str(err.value)
    assert "Did you mean 'kernel_size'?" in str(err.value)
    assert Block(1, kernel_size=5).kernel_size == 5       # valid keywords still work

    class Flexible(nn.Module):
        def __init__(self, **options):
            super().__init__()
            self.options = options

    assert Flexible(anything=1).options == {"anything": 1}
    with pytest.raises(TypeError, match="takes no arguments"):
        nn.Module(3)


def test_get_submodule_and_get_parameter():
    m = build_model(teachnn)
    assert m.get_submodule("heads.a.inner") is m.heads["a"].inner
    assert m.get_submodule("") is m
    assert m.get_parameter("body.0.weight") is m.body[0].weight
    with pytest.raises(AttributeError, match="has no attribute `bdy`. Did you mean 'body'"):
        m.get_submodule("bdy.0")
    with pytest.raises(AttributeError, match="is not an nn.Module"):
        m.get_submodule("scale.x")
    assert m.get_buffer("body.0.running") is m.body[0].running
    assert m.get_buffer("steps") is m.steps
    with pytest.raises(AttributeError, match="has no buffer `runing`. Did you mean 'running'"):
        m.get_buffer("body.0.runing")


def test_a_layer_can_override_load_from_state_dict_with_torchs_signature():
    class Versioned(nn.Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.register_buffer("count", T(np.array(5, np.int64)))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                  missing_keys, unexpected_keys, error_msgs):
            # an old checkpoint (version < 2) had no 'count': fill it in, as BatchNorm does
            if local_metadata.get("version", 1) < 2 and prefix + "count" not in state_dict:
                state_dict[prefix + "count"] = np.array(0)
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                          missing_keys, unexpected_keys, error_msgs)

    root = nn.Sequential(Versioned())
    saved = root.state_dict()
    assert saved._metadata["0"] == {"version": 2}
    root.load_state_dict(saved)                               # current format
    old = OrderedDict()
    old._metadata = {"": {"version": 1}, "0": {"version": 1}}
    root.load_state_dict(old)                                 # old format: filled in
    assert int(root[0].count._data) == 0
    current = OrderedDict()
    current._metadata = {"": {"version": 1}, "0": {"version": 2}}
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0.count"'):
        root.load_state_dict(current)                         # current format: a real miss


# ----------------------------------------------------------------------------- with the real layers

def build_layered(lib):
    """A model made of the library's own layers inside every kind of container."""

    class Classifier(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = lib.nn.Sequential(lib.nn.Linear(6, 8), lib.nn.BatchNorm1d(8),
                                              lib.nn.ReLU())
            self.blocks = lib.nn.ModuleList([lib.nn.Linear(8, 8) for _ in range(2)])
            self.heads = lib.nn.ModuleDict({"act": lib.nn.Tanh(), "out": lib.nn.Linear(8, 3)})
            self.drop = lib.nn.Dropout(0.0)

        def forward(self, x):
            x = self.features(x)
            for block in self.blocks:
                x = self.heads["act"](block(x))
            return self.heads["out"](self.drop(x))

    return Classifier()


@requires_torch
def test_real_layers_repr_state_dict_and_five_training_steps_match_torch():
    ours, theirs = build_layered(teachnn), build_layered(torch)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.double()
    theirs.double()
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 6))
    y = rng.integers(0, 3, 10)
    opt_ours = teachnn.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    loss_ours, loss_theirs = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for _ in range(5):
        for model, opt, loss_fn, lib in ((ours, opt_ours, loss_ours, teachnn),
                                         (theirs, opt_theirs, loss_theirs, torch)):
            opt.zero_grad()
            loss = loss_fn(model(lib.from_numpy(x)), lib.from_numpy(y))
            loss.backward()
            opt.step()
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key]._data, value.numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=key)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(teachnn.from_numpy(x))._data,
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_layer_keyword_typo_is_caught_by_init_subclass():
    with pytest.raises(TypeError, match="unexpected keyword argument 'bais'. Did you mean 'bias'"):
        nn.Linear(3, 4, bais=False)


def test_plain_list_of_layers_warns_that_it_is_not_registered():
    class Forgetful(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2), nn.Linear(2, 2)]

    with pytest.warns(UserWarning, match="Forgetful.layers is a plain Python list.*nn.ModuleList"):
        m = Forgetful()
    with pytest.warns(UserWarning, match=r"보통 파이썬 list입니다: 그 안의 파라미터가 등록되지 않아.*nn\.ModuleList"):
        Forgetful()                                     # Korean first, for the lessons' learners
    assert list(m.parameters()) == []                   # PyTorch's behaviour is kept
    with pytest.warns(UserWarning, match="nn.ModuleDict"):
        m.table = {"a": nn.Linear(1, 1)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.sizes = [1, 2, 3]                             # no layers inside: no warning
        m.names = {}


def test_pickle_round_trip_of_a_model():
    teachnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    clone = pickle.loads(pickle.dumps(model))
    assert repr(clone) == repr(model)
    for (name, a), (_, b) in zip(model.state_dict().items(), clone.state_dict().items()):
        np.testing.assert_array_equal(a._data, b._data, err_msg=name)
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
    x = teachnn.from_numpy(np.ones((1, 3), np.float32))
    np.testing.assert_array_equal(clone(x)._data, model(x)._data)


# ----------------------------------------------------------------------------- backward hooks

def _record_backward_hooks(lib, torch_model):
    """Register full backward (pre-)hooks on every layer, run one backward, return the log.

    The Tanh hook doubles its grad_input, so the gradients of the layers before it change too.
    """
    if lib is teachnn:
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
        model.load_state_dict(torch_model.state_dict())
    else:
        model = torch_model
    log = []

    def as_array(g):
        return None if g is None else np.array(g.detach().numpy(), copy=True)

    def full_hook(module, grad_input, grad_output):
        log.append(("full", type(module).__name__, [as_array(g) for g in grad_input],
                    [as_array(g) for g in grad_output]))
        if type(module).__name__ == "Tanh":
            return (grad_input[0] * 2,)

    def pre_hook(module, grad_output):
        log.append(("pre", type(module).__name__, [as_array(g) for g in grad_output]))

    for layer in model:
        layer.register_full_backward_hook(full_hook)
        layer.register_full_backward_pre_hook(pre_hook)
    x = lib.from_numpy(np.arange(6.0).reshape(2, 3) / 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # PyTorch warns that the first layer's input has no grad
        (model(x) ** 2).sum().backward()
    return log, [np.array(p.grad.detach().numpy()) for p in model.parameters()]


def _assert_same_arrays(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@requires_torch
def test_full_backward_hooks_match_torch():
    torch.manual_seed(0)
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                      torch.nn.Linear(4, 2)).double()
    ours, ours_grads = _record_backward_hooks(teachnn, torch_model)
    theirs, theirs_grads = _record_backward_hooks(torch, torch_model)
    assert [entry[:2] for entry in ours] == [entry[:2] for entry in theirs] == [
        ("pre", "Linear"), ("full", "Linear"), ("pre", "Tanh"), ("full", "Tanh"),
        ("pre", "Linear"), ("full", "Linear")]
    for a, b in zip(ours, theirs):
        for part in range(2, len(a)):
            _assert_same_arrays(a[part], b[part])
    assert ours[-1][2] == [None]                 # the data fed to the first layer needs no grad
    _assert_same_arrays(ours_grads, theirs_grads)


def test_backward_hook_handle_removes_the_hook():
    layer = Doubler()
    calls = []
    handle = layer.register_full_backward_hook(lambda m, gi, go: calls.append((gi, go)))
    x = T(np.array([1.0, 2.0])).requires_grad_()
    layer(x).sum().backward()
    assert len(calls) == 1
    grad_input, grad_output = calls[0]
    np.testing.assert_array_equal(grad_output[0]._data, [1.0, 1.0])
    np.testing.assert_array_equal(grad_input[0]._data, [2.0, 2.0])      # d(2x)/dx
    handle.remove()
    layer(x).sum().backward()
    assert len(calls) == 1
    np.testing.assert_array_equal(x.grad._data, [4.0, 4.0])             # accumulated twice


def test_save_and_load_a_state_dict_through_a_file(tmp_path):
    teachnn.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    opt = teachnn.optim.Adam(model.parameters(), lr=0.01)
    model(teachnn.from_numpy(np.ones((5, 3), np.float32))).sum().backward()
    opt.step()
    teachnn.save({"model": model.state_dict(), "optim": opt.state_dict()}, tmp_path / "ckpt.pt")

    teachnn.manual_seed(2)                               # different initial weights
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    fresh_opt = teachnn.optim.Adam(fresh.parameters(), lr=0.5)
    checkpoint = teachnn.load(tmp_path / "ckpt.pt")
    fresh.load_state_dict(checkpoint["model"])
    fresh_opt.load_state_dict(checkpoint["optim"])
    for (name, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(a._data, b._data, err_msg=name)
    assert fresh_opt.param_groups[0]["lr"] == 0.01
    first = list(fresh.parameters())[0]
    np.testing.assert_array_equal(fresh_opt.state[first]["exp_avg"]._data,
                                  opt.state[list(model.parameters())[0]]["exp_avg"]._data)
