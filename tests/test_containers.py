"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict.

Oracles: hand-computed forward values through small custom layers, and PyTorch's own
containers (names, order, repr text) built the same way.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
from tests.parity import requires_torch, torch


def T(array):
    return teachnn.from_numpy(np.array(array, dtype=np.float64))


def layer_classes(lib):
    """Tiny layers with obvious forward functions, defined for teachnn or torch."""

    class Scale(lib.nn.Module):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor
            self.weight = lib.nn.Parameter(lib.from_numpy(np.full(1, float(factor))))

        def extra_repr(self):
            return f"factor={self.factor}"

        def forward(self, x):
            return x * self.weight

    class Shift(lib.nn.Module):
        def __init__(self, amount):
            super().__init__()
            self.amount = amount

        def extra_repr(self):
            return f"amount={self.amount}"

        def forward(self, x):
            return x + self.amount

    return Scale, Shift


Scale, Shift = layer_classes(teachnn)


def names(module):
    return [n for n, _ in module.named_parameters()]


# ----------------------------------------------------------------------------- Sequential

def test_the_three_ways_of_the_notes_give_the_same_model():
    a = nn.Sequential(Scale(2), Shift(1), Scale(3), Shift(-1))

    b = nn.Sequential()
    b.add_module("conv1", Scale(2))
    b.add_module("relu1", Shift(1))
    b.add_module("conv2", Scale(3))
    b.add_module("relu2", Shift(-1))

    layers = [Scale(2), Shift(1), Scale(3), Shift(-1)]
    c = nn.Sequential(*layers)

    x = T([1.0, -2.0])
    expected = ((np.array([1.0, -2.0]) * 2 + 1) * 3) - 1          # by hand
    for model in (a, b, c):
        np.testing.assert_allclose(model(x)._data, expected)
    assert names(a) == ["0.weight", "2.weight"]
    assert names(b) == ["conv1.weight", "conv2.weight"]
    assert names(c) == ["0.weight", "2.weight"]
    assert list(c) == layers


def test_sequential_from_ordered_dict_and_indexing():
    s = nn.Sequential(OrderedDict([("first", Scale(2)), ("second", Shift(5)), ("third", Scale(-1))]))
    assert list(dict(s.named_children())) == ["first", "second", "third"]
    assert s[0] is s.first and s[-1] is s.third and s[-3] is s.first
    assert len(s) == 3
    with pytest.raises(IndexError, match="index 3 is out of range"):
        s[3]
    with pytest.raises(IndexError):
        s[-4]
    tail = s[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == [s.second, s.third]
    assert list(dict(tail.named_children())) == ["second", "third"]   # names are kept
    np.testing.assert_allclose(tail(T([1.0]))._data, [-6.0])


def test_sequential_mutation_renumbers_like_torch():
    s = nn.Sequential(Scale(1), Scale(2), Scale(3))
    first, second, third = list(s)
    new = Shift(7)
    s.append(new)
    assert s[3] is new
    s.insert(1, Shift(0))
    assert [type(m).__name__ for m in s] == ["Scale", "Shift", "Scale", "Scale", "Shift"]
    s.insert(-1, Shift(9))
    assert s[4].amount == 9 and s[5] is new
    del s[0]
    assert [k for k, _ in s.named_children()] == ["0", "1", "2", "3", "4"]
    assert s[1] is second
    popped = s.pop(1)
    assert popped is second and len(s) == 4
    s[0] = Scale(10)
    assert s[0].factor == 10
    del s[1:3]
    assert len(s) == 2 and s[-1] is new
    s.extend([Scale(4), Scale(5)])
    assert [m.factor for m in s if isinstance(m, Scale)] == [10, 4, 5]
    with pytest.raises(IndexError, match="Index out of range"):
        s.insert(10, Shift(1))
    with pytest.raises(AssertionError):
        s.insert(0, "relu")


def test_sequential_add_and_multiply():
    a = nn.Sequential(Scale(2))
    b = nn.Sequential(Shift(1))
    c = a + b
    np.testing.assert_allclose(c(T([1.0]))._data, [3.0])
    a += b
    assert len(a) == 2
    d = nn.Sequential(Shift(1)) * 3
    assert len(d) == 3 and d[0] is d[2]
    np.testing.assert_allclose(d(T([0.0]))._data, [3.0])
    with pytest.raises(ValueError):
        a + [Shift(1)]


def test_sequential_backward_reaches_every_parameter():
    s = nn.Sequential(Scale(2), Shift(1), Scale(3))
    x = T([1.0, 2.0])
    s(x).sum().backward()
    # y = (x * w0 + 1) * w2  ->  dy/dw0 = sum(x * w2) = 3 * 3, dy/dw2 = sum(x * w0 + 1) = 3 + 5
    np.testing.assert_allclose(s[0].weight.grad._data, [9.0])
    np.testing.assert_allclose(s[2].weight.grad._data, [8.0])


def test_sequential_rejects_non_modules_with_a_teaching_message():
    with pytest.raises(TypeError, match="Unpack it with a star: nn.Sequential\\(\\*layers\\)"):
        nn.Sequential([Scale(1), Scale(2)])
    with pytest.raises(TypeError, match="the class Scale itself.*Scale\\(...\\)"):
        nn.Sequential(Scale)
    with pytest.raises(TypeError, match="the function 'relu'.*nn.ReLU\\(\\)"):
        def relu(x):
            return x
        nn.Sequential(Scale(1), relu)


# ----------------------------------------------------------------------------- ModuleList

def test_module_list_registers_and_behaves_like_a_list():
    layers = nn.ModuleList([Scale(1), Scale(2)])
    layers.append(Scale(3))
    layers.extend([Scale(4)])
    layers += [Scale(5)]
    layers.insert(0, Scale(0))
    assert [m.factor for m in layers] == [0, 1, 2, 3, 4, 5]
    assert len(layers) == 6 and layers[-1].factor == 5
    assert names(layers) == [f"{i}.weight" for i in range(6)]
    sub = layers[1:3]
    assert isinstance(sub, nn.ModuleList) and [m.factor for m in sub] == [1, 2]
    assert names(sub) == ["0.weight", "1.weight"]           # slicing renumbers for ModuleList
    del layers[0]
    assert [m.factor for m in layers] == [1, 2, 3, 4, 5]
    assert layers.pop(-1).factor == 5
    layers[0] = Scale(9)
    assert layers[0].factor == 9
    both = layers + nn.ModuleList([Shift(1)])
    assert len(both) == 5 and isinstance(both[-1], Shift)
    with pytest.raises(IndexError, match="out of range"):
        layers[10]
    with pytest.raises(TypeError, match="iterable"):
        layers.extend(Scale(1))
    layers.insert(-1, Shift(3))                            # negative positions count from the end
    assert isinstance(layers[-2], Shift) and len(layers) == 5
    with pytest.raises(IndexError, match="Index out of range: 9"):
        layers.insert(9, Shift(3))
    with pytest.raises(NotImplementedError,
                       match='missing the required "forward" function. A ModuleList only holds'):
        layers(T([1.0]))
    with pytest.raises(NotImplementedError, match="x = self.layers\\['conv1'\\]\\(x\\)"):
        nn.ModuleDict({"a": Scale(1)})(T([1.0]))


def test_module_list_in_a_model_like_the_notes():
    class MyModule(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([Scale(2), Scale(-3)])
            self.relu = Shift(1)

        def forward(self, x):
            for layer in self.layers:
                x = self.relu(layer(x))
            return x

    m = MyModule()
    assert names(m) == ["layers.0.weight", "layers.1.weight"]
    np.testing.assert_allclose(m(T([1.0]))._data, [((1 * 2 + 1) * -3) + 1])


# ----------------------------------------------------------------------------- ModuleDict

def test_module_dict_like_the_notes():
    class MyModule(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleDict({"conv1": Scale(2), "conv2": Scale(5), "relu": Shift(1)})

        def forward(self, x):
            x = self.layers["conv1"](x)
            x = self.layers["relu"](x)
            x = self.layers["conv2"](x)
            return self.layers["relu"](x)

    m = MyModule()
    np.testing.assert_allclose(m(T([1.0]))._data, [(1 * 2 + 1) * 5 + 1])
    assert names(m) == ["layers.conv1.weight", "layers.conv2.weight"]


def test_module_dict_operations():
    d = nn.ModuleDict([("b", Scale(1)), ("a", Scale(2))])
    assert list(d.keys()) == ["b", "a"] and list(d) == ["b", "a"]
    d.update({"c": Shift(3)})
    d.update([("a", Scale(20))])
    assert [k for k, _ in d.items()] == ["b", "a", "c"]
    assert d["a"].factor == 20 and "c" in d and "z" not in d and len(d) == 3
    assert [type(v).__name__ for v in d.values()] == ["Scale", "Scale", "Shift"]
    assert d.pop("b").factor == 1 and list(d) == ["a", "c"]
    d["e"] = Shift(0)
    del d["c"]
    assert list(d) == ["a", "e"]
    with pytest.raises(KeyError, match="Did you mean 'a'"):
        d["aa"]
    with pytest.raises(ValueError, match="2 is required"):
        d.update([("x", Scale(1), 3)])
    with pytest.raises(TypeError, match="function 'relu'"):
        def relu(x):
            return x
        d["r"] = relu
    d.clear()
    assert len(d) == 0


# ----------------------------------------------------------------------------- PyTorch parity

def build_nested(lib):
    Scale_, Shift_ = layer_classes(lib)
    inner = lib.nn.Sequential(Scale_(2), Shift_(1))
    model = lib.nn.Sequential(OrderedDict([
        ("stem", lib.nn.Sequential(Scale_(1), lib.nn.ModuleList())),
        ("blocks", lib.nn.ModuleList([Scale_(3), Scale_(3), Scale_(3), Shift_(2), inner, inner])),
        ("heads", lib.nn.ModuleDict({"cls": Scale_(4), "box": lib.nn.Sequential(Shift_(0))})),
        ("empty", lib.nn.Sequential()),
        ("plist", lib.nn.ParameterList([lib.nn.Parameter(lib.from_numpy(np.zeros((2, 3), np.float32)))])),
        ("pdict", lib.nn.ParameterDict({"alpha": lib.nn.Parameter(lib.from_numpy(np.zeros(4)))})),
    ]))
    return model


@requires_torch
def test_nested_container_repr_matches_torch():
    ours, theirs = repr(build_nested(teachnn)), repr(build_nested(torch))
    assert ours == theirs.replace("torch.", "teachnn.")
    assert "(0-2): 3 x Scale(factor=3)" in ours                  # ModuleList folds repeats


@requires_torch
def test_container_names_and_state_dict_match_torch():
    ours, theirs = build_nested(teachnn), build_nested(torch)
    assert names(ours) == names(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    s_ours, s_theirs = ours[1:3], theirs[1:3]
    assert repr(s_ours) == repr(s_theirs)


@requires_torch
def test_mutated_containers_match_torch():
    results = []
    for lib in (teachnn, torch):
        Scale_, Shift_ = layer_classes(lib)
        s = lib.nn.Sequential(Scale_(1), Scale_(2), Scale_(3))
        s.insert(1, Shift_(5))
        s.append(Shift_(6))
        del s[2]
        s.extend(lib.nn.Sequential(Scale_(7)))
        m = lib.nn.ModuleList([Scale_(1)])
        m.insert(0, Shift_(1))
        m.extend([Scale_(2), Scale_(2)])
        del m[0]
        results.append((repr(s), repr(m), repr(s[::2]), repr(m[1:])))
    assert results[0] == results[1]


# ----------------------------------------------------------------------------- parameter containers

def test_parameter_list_and_dict_register_parameters():
    plist = nn.ParameterList([nn.Parameter(T([1.0])), T([2.0])])   # a Tensor becomes a Parameter
    plist.append(T([3.0]))
    assert len(plist) == 3 and all(isinstance(p, nn.Parameter) for p in plist)
    assert names(plist) == ["0", "1", "2"]
    assert float(plist[-1]._data[0]) == 3.0
    pdict = nn.ParameterDict({"w": T([1.0])})
    pdict["b"] = nn.Parameter(T([0.5]))
    assert list(pdict) == ["w", "b"] and "w" in pdict and len(pdict) == 2
    assert names(pdict) == ["w", "b"]
    assert float(pdict.pop("w")._data[0]) == 1.0 and list(pdict.keys()) == ["b"]
    with pytest.raises(RuntimeError, match="should not be called"):
        plist(1)


# ----------------------------------------------------------------------------- drawn edit sequences

from hypothesis import given, settings, strategies as st  # noqa: E402

EDITS = st.lists(st.tuples(st.sampled_from(["append", "insert", "del", "pop", "set", "slice_del"]),
                           st.integers(-6, 6), st.integers(1, 3)), max_size=10)


def apply_edits(lib, container_name, edits):
    """Apply the same edits to a container; an invalid edit must fail in the same way."""
    Scale_, Shift_ = layer_classes(lib)
    if container_name == "ModuleList":
        container = lib.nn.ModuleList([Scale_(1), Shift_(2)])
    else:
        container = lib.nn.Sequential(Scale_(1), Shift_(2))
    log = []
    for op, index, factor in edits:
        if container_name == "ModuleList" and op == "insert" and not 0 <= index <= len(container):
            # PyTorch's ModuleList.insert does not check the index (out of range or negative it
            # corrupts the numbering); teachnn raises IndexError there. Not comparable: skip.
            log.append("skipped")
            continue
        try:
            if op == "append":
                container.append(Scale_(factor))
            elif op == "insert":
                container.insert(index, Shift_(factor))
            elif op == "del":
                del container[index]
            elif op == "pop":
                container.pop(index)
            elif op == "set":
                container[index] = Scale_(10 + factor)
            else:
                del container[index:index + factor]
            log.append("ok")
        except (IndexError, KeyError) as exc:
            log.append(type(exc).__name__)
    return log, repr(container), [n for n, _ in container.named_parameters()]


@requires_torch
@settings(max_examples=40, deadline=None)
@given(container_name=st.sampled_from(["Sequential", "ModuleList"]), edits=EDITS)
def test_drawn_edits_match_torch(container_name, edits):
    assert apply_edits(teachnn, container_name, edits) == apply_edits(torch, container_name, edits)


# ----------------------------------------------------------------------------- the notes' examples

def notes_sequentials(lib):
    """The notes' three ways of building the same Sequential, with its real layers."""
    nn_ = lib.nn
    a = nn_.Sequential(nn_.Conv2d(1, 20, 5), nn_.ReLU(), nn_.Conv2d(20, 64, 5), nn_.ReLU())
    b = nn_.Sequential()
    b.add_module("conv1", nn_.Conv2d(1, 20, 5))
    b.add_module("relu1", nn_.ReLU())
    b.add_module("conv2", nn_.Conv2d(20, 64, 5))
    b.add_module("relu2", nn_.ReLU())
    layers = [nn_.Conv2d(1, 20, 5), nn_.ReLU(), nn_.Conv2d(20, 64, 5), nn_.ReLU()]
    c = nn_.Sequential(*layers)
    return a, b, c


@requires_torch
def test_the_notes_sequentials_match_torch():
    x = np.random.default_rng(0).standard_normal((2, 1, 12, 12))
    for ours, theirs in zip(notes_sequentials(teachnn), notes_sequentials(torch)):
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        ours.double().load_state_dict(theirs.double().state_dict())
        np.testing.assert_allclose(ours(teachnn.from_numpy(x))._data,
                                   theirs(torch.from_numpy(x)).detach().numpy(),
                                   rtol=1e-10, atol=1e-12)


def notes_my_model(lib):
    """The notes' MyModel: Sequential inside a custom forward with pre- and post-processing."""
    nn_, F_ = lib.nn, lib.nn.functional

    class MyModel(nn_.Module):
        def __init__(self):
            super(MyModel, self).__init__()
            self.layers = nn_.Sequential(nn_.Conv2d(1, 20, 5), nn_.ReLU(), nn_.Conv2d(20, 64, 5),
                                         nn_.ReLU())
            self.fc1 = nn_.Linear(64 * 4 * 4, 128)
            self.fc2 = nn_.Linear(128, 10)

        def forward(self, x):
            x = x * 2
            x = self.layers(x)
            x = x.view(x.size(0), -1)
            x = self.fc1(x)
            x = F_.relu(x)
            x = self.fc2(x)
            return F_.softmax(x, dim=1)

    return MyModel()


@requires_torch
def test_the_notes_my_model_matches_torch_after_loading_its_weights():
    ours, theirs = notes_my_model(teachnn), notes_my_model(torch)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    ours.double()
    theirs.double()
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(1).standard_normal((3, 1, 12, 12))
    out_ours = ours(teachnn.from_numpy(x))
    out_theirs = theirs(torch.from_numpy(x))
    np.testing.assert_allclose(out_ours._data, out_theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out_ours[:, 0] ** 2).sum().backward()
    (out_theirs[:, 0] ** 2).sum().backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad._data, grads[name].grad.numpy(), rtol=1e-8, atol=1e-12,
                                   err_msg=name)


def test_the_notes_typo_kernels_is_explained():
    with pytest.raises(TypeError, match="unexpected keyword argument 'kernels'. "
                                        "Did you mean 'kernel_size'?"):
        nn.Conv2d(in_channels=1, out_channels=16, kernels=5, stride=2, padding=1)
