"""Leftover gaps of issue 18, each checked against PyTorch: big-endian NumPy arrays,
copy.deepcopy / pickle of modules with hooks, and NumPy arrays passed where PyTorch wants a
Tensor."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import teachnn
from tests.parity import requires_torch, torch

pytestmark = requires_torch


# ------------------------------------------------------------------ big-endian arrays
CONSTRUCTORS = {
    "tensor": lambda lib, a: lib.tensor(a),
    "tensor(dtype=float64)": lambda lib, a: lib.tensor(a, dtype=lib.float64),
    "Tensor": lambda lib, a: lib.Tensor(a),
    "from_numpy": lambda lib, a: lib.from_numpy(a),
    "as_tensor": lambda lib, a: lib.as_tensor(a),
    "as_tensor(dtype=float64)": lambda lib, a: lib.as_tensor(a, dtype=lib.float64),
}


@pytest.mark.parametrize("make", list(CONSTRUCTORS.values()), ids=list(CONSTRUCTORS))
@pytest.mark.parametrize("dtype", (">f4", ">f8", ">i8", ">i4", ">f2"))
@pytest.mark.parametrize("shape", ((3,), (), (2, 0)))
def test_big_endian_arrays_raise_value_error_as_pytorch(make, dtype, shape):
    if shape == () and dtype[1] == "i" and make is CONSTRUCTORS["Tensor"]:
        dtype = dtype.replace("i", "f")      # torch.Tensor reads a 0-d integer array as a size
    array = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    with pytest.raises(ValueError, match="byte order") as expected:
        make(torch, array)
    assert "native byte order" in str(expected.value)
    with pytest.raises(ValueError, match=r"a\.astype\(a\.dtype\.newbyteorder\('='\)\)"):
        make(teachnn, array)


@pytest.mark.parametrize("make", list(CONSTRUCTORS.values()), ids=list(CONSTRUCTORS))
def test_big_endian_converted_as_the_message_says_gives_pytorchs_tensor(make):
    array = np.linspace(-1, 1, 6).reshape(2, 3).astype(">f4")
    fixed = array.astype(array.dtype.newbyteorder("="))
    t, p = make(teachnn, fixed), make(torch, fixed)
    assert str(t.dtype).split(".")[-1] == str(p.dtype).split(".")[-1]
    assert repr(t).replace("teachnn.", "torch.") == repr(p)
    np.testing.assert_array_equal(t.numpy(), p.numpy())


@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy.ndarrays")
def test_lists_of_big_endian_arrays_are_converted_as_pytorch():
    # torch converts element by element here (no ValueError): so does teachnn
    array = np.arange(3, dtype=">f4")
    t, p = teachnn.tensor([array, array]), torch.tensor([array, array])
    assert t.dtype == teachnn.float32 and p.dtype == torch.float32
    assert t._data.dtype.isnative
    np.testing.assert_array_equal(t.numpy(), p.numpy())


# --------------------------------------------- copy.deepcopy / pickle of modules with hooks

_LOG = []


# module-level functions, so that both libraries can pickle them
def _fwd(m, args, out):
    _LOG.append("forward")


def _pre(m, args):
    _LOG.append("forward_pre")


def _fwd_kwargs(m, args, kwargs, out):
    _LOG.append("forward_kwargs")


def _bwd(m, grad_in, grad_out):
    _LOG.append("backward")


def _bwd_pre(m, grad_out):
    _LOG.append("backward_pre")


def _sd_pre(m, prefix, keep_vars):
    _LOG.append("state_dict_pre")


def _sd_post(m, state_dict, prefix, local_metadata):
    _LOG.append("state_dict_post")
    state_dict[prefix + "note"] = 1


def _load_pre(m, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
    _LOG.append("load_pre")
    state_dict.pop(prefix + "note", None)


def _load_post(m, incompatible_keys):
    _LOG.append("load_post")


def _register_all(m):
    return [m.register_forward_hook(_fwd), m.register_forward_pre_hook(_pre),
            m.register_forward_hook(_fwd_kwargs, with_kwargs=True),
            m.register_full_backward_hook(_bwd), m.register_full_backward_pre_hook(_bwd_pre),
            m.register_state_dict_pre_hook(_sd_pre), m.register_state_dict_post_hook(_sd_post),
            m.register_load_state_dict_pre_hook(_load_pre),
            m.register_load_state_dict_post_hook(_load_post)]


def _exercise(lib, m):
    """Which hooks fire in a forward, backward, state_dict and load_state_dict."""
    _LOG.clear()
    m(lib.ones(1, 2, requires_grad=True)).sum().backward()
    state = m.state_dict()
    result = m.load_state_dict(state)
    return list(_LOG), sorted(state), repr(result)


def _hook_story(lib, clone):
    """The same sequence of copies and removals, told as a list of observations."""
    story = []
    m = lib.nn.Linear(2, 2)
    handles = _register_all(m)
    c = clone(m)
    story.append(("copy has every hook", _exercise(lib, c)))
    for h in handles:
        h.remove()
    story.append(("original after remove", _exercise(lib, m)))
    story.append(("copy keeps its hooks", _exercise(lib, c)))
    handles = _register_all(m)
    for h in [clone(h) for h in handles]:          # a copied handle: a dead reference
        h.remove()
    story.append(("copied handles remove nothing", _exercise(lib, m)))
    c, handle = clone((m, handles[0]))             # copied together: linked to the copy
    handle.remove()
    story.append(("copy with its handle", _exercise(lib, c)))
    story.append(("original untouched", _exercise(lib, m)))
    story.append(("ids kept", [clone(h).id == h.id for h in handles]))
    return story


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o))],
                         ids=["deepcopy", "pickle"])
def test_copies_of_modules_and_handles_with_hooks_as_pytorch(clone):
    expected, got = _hook_story(torch, clone), _hook_story(teachnn, clone)
    assert got == expected
    # and the story is not empty: the first copy fired all nine hooks
    assert len(expected[0][1][0]) == 9 and "note" in expected[0][1][1]


def test_state_dict_hook_return_values_as_pytorch():
    for lib in (torch, teachnn):
        m = lib.nn.Linear(2, 2)
        m.register_state_dict_post_hook(lambda m, sd, p, meta: {"x": 1})
        with pytest.raises(RuntimeError, match="must return None"):
            m.state_dict()
        m = lib.nn.Sequential(lib.nn.Linear(2, 2))
        m._register_state_dict_hook(lambda m, sd, p, meta: {"replaced": 1})
        assert dict(m.state_dict()) == {"replaced": 1}
        m = lib.nn.Linear(2, 2)
        m.register_load_state_dict_post_hook(lambda m, keys: keys.missing_keys.clear())
        # the post-hook clears the missing keys, so strict loading of nothing succeeds
        assert repr(m.load_state_dict({})) == "<All keys matched successfully>"
        m.register_load_state_dict_post_hook(lambda m, keys: 1)
        with pytest.raises(AssertionError, match="not expected to return new values"):
            m.load_state_dict(m.state_dict())


def test_state_dict_hooks_see_prefixes_and_run_pre_then_post():
    def story(lib):
        seen = []
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
        net[0].register_state_dict_pre_hook(lambda m, p, kv: seen.append(("pre", p, kv)))
        net.register_state_dict_post_hook(lambda m, sd, p, meta: seen.append(("post", p, len(sd))))
        net[0].register_load_state_dict_pre_hook(
            lambda m, sd, p, meta, strict, mk, uk, em: seen.append(("load", p, sorted(sd))))
        net.load_state_dict(net.state_dict(keep_vars=True))
        return seen
    assert story(teachnn) == story(torch) == [
        ("pre", "0.", True), ("post", "", 2), ("load", "0.", ["0.bias", "0.weight"])]


def test_old_pickles_without_the_new_hook_dicts_load():
    m = teachnn.nn.Linear(2, 2)
    state = dict(m.__dict__)
    for name in ("_state_dict_hooks", "_load_state_dict_post_hooks", "_forward_hooks_with_kwargs"):
        del state[name]
    revived = teachnn.nn.Linear.__new__(teachnn.nn.Linear)
    revived.__setstate__(state)
    assert list(revived.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(revived(teachnn.ones(1, 2))._data, m(teachnn.ones(1, 2))._data)


# ------------------------------------------- NumPy arrays where PyTorch expects a Tensor
def _decorated_functions():
    found = {}
    for prefix, namespace in (("", teachnn), ("linalg.", teachnn.linalg)):
        for name in dir(namespace):
            fn = getattr(namespace, name, None)
            if callable(fn) and getattr(fn, "_refuses_ndarrays", False):
                found[prefix + name] = fn
    return found


DECORATED = _decorated_functions()
ARRAY = np.ones((3, 3), dtype=np.float32)
PATTERNS = {                                   # "a" is the array, "t" a 3x3 tensor, 1 an int
    "a": ("a",), "a,1": ("a", 1), "t,a": ("t", "a"), "a,t": ("a", "t"), "a,a": ("a", "a"),
    "t,a,t": ("t", "a", "t"), "t,t,a": ("t", "t", "a"),
}
# where PyTorch reads the array as a flag or a dims argument and fails later with another type:
# both must still fail (checked below), only the exception types differ
NON_TENSOR_POSITIONS = {("unique", "t,a,t"), ("unique", "t,t,a"), ("tensordot", "t,a,t"),
                        ("tensordot", "t,t,a")}


def _lookup(lib, dotted):
    obj = lib
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def test_every_decorated_function_is_found():
    assert len(DECORATED) > 150
    assert {"relu", "max", "where", "zeros_like", "linalg.norm", "norm", "split"} <= set(DECORATED)


@pytest.mark.parametrize("name", sorted(DECORATED))
def test_numpy_array_arguments_fail_as_in_pytorch(name):
    for pattern, spec in PATTERNS.items():
        outcomes = []
        for lib in (torch, teachnn):
            t = lib.ones(3, 3)
            args = [ARRAY if s == "a" else t if s == "t" else s for s in spec]
            try:
                _lookup(lib, name)(*args)
                outcomes.append("no error")
            except Exception as e:                          # noqa: BLE001 - compared below
                outcomes.append(type(e))
                if lib is teachnn:
                    assert ("teachnn.from_numpy(a)" in str(e)
                            or "missing a required argument" in str(e)), (name, pattern, str(e))
        if (name, pattern) in NON_TENSOR_POSITIONS:
            assert "no error" not in outcomes, (name, pattern, outcomes)
            continue
        assert outcomes[0] in (TypeError, AttributeError), (name, pattern, outcomes)
        assert outcomes[1] is outcomes[0], (name, pattern, outcomes)


def test_numpy_keyword_arguments_and_sequences_fail_as_in_pytorch():
    calls = [lambda lib: lib.add(lib.ones(3), other=np.ones(3)),
             lambda lib: lib.relu(input=np.ones(3)),
             lambda lib: lib.cat([lib.ones(3), np.ones(3)]),
             lambda lib: lib.stack([np.ones(3)]),
             lambda lib: lib.einsum("ij->i", np.ones((2, 2)))]
    for call in calls:
        with pytest.raises(TypeError):
            call(torch)
        with pytest.raises(TypeError, match=r"numpy\.ndarray .*teachnn\.from_numpy\(a\)"):
            call(teachnn)


def test_message_names_the_argument_and_position_like_pytorch():
    with pytest.raises(TypeError) as want:
        torch.relu(np.ones(3))
    with pytest.raises(TypeError) as got:
        teachnn.relu(np.ones(3))
    assert str(want.value) == "relu(): argument 'input' (position 1) must be Tensor, not numpy.ndarray"
    assert str(got.value).startswith(str(want.value))


@pytest.mark.filterwarnings("ignore:__array_wrap__ must accept context")
def test_operators_still_take_arrays_as_pytorch():
    # torch's ``tensor + ndarray`` works (the array is converted): so does teachnn's
    for a in (np.arange(3.0, dtype=np.float32), np.arange(3.0, dtype=">f4")):
        for op in (lambda t: t + a, lambda t: t * a, lambda t: t - a, lambda t: t @ a,
                   lambda t: t / (a + 1)):
            got, want = op(teachnn.ones(3)), op(torch.ones(3))
            assert isinstance(got, teachnn.Tensor)
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    # while the method form refuses the array in both
    with pytest.raises(TypeError):
        torch.ones(3).matmul(np.ones(3))
    with pytest.raises(TypeError, match="from_numpy"):
        teachnn.ones(3).matmul(np.ones(3))
