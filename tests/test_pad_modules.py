"""nn.ReflectionPad / ReplicationPad / ZeroPad / ConstantPad / CircularPad 1d-3d against
PyTorch: constructor arguments, repr, state_dict, batched and unbatched values and gradients,
and the exception type of every bad argument or input (PyTorch checks nothing in the
constructors: the errors come at the first call). Also F.pad's edge cases per mode: empty axes,
cropping to nothing, and dtypes."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn.autograd import gradcheck
from tests.parity import assert_parity, requires_torch, torch

pytestmark = requires_torch

KINDS = ("Reflection", "Replication", "Zero", "Constant", "Circular")
MODES = {"Reflection": "reflect", "Replication": "replicate", "Zero": "constant",
         "Constant": "constant", "Circular": "circular"}


def _build(lib, kind, d, padding, value=1.5):
    cls = getattr(lib.nn, f"{kind}Pad{d}d")
    return cls(padding, value) if kind == "Constant" else cls(padding)


def _outcome(lib, kind, d, padding, array, value=1.5):
    """('ctor', exc type) | ('fwd', repr, exc type) | ('ok', repr, values)."""
    try:
        m = _build(lib, kind, d, padding, value)
    except Exception as e:                                  # noqa: BLE001 - compared below
        return ("ctor", type(e))
    x = teachnn.tensor(array) if lib is teachnn else torch.tensor(array)
    try:
        y = m(x)
    except Exception as e:                                  # noqa: BLE001 - compared below
        return ("fwd", repr(m), type(e))
    return ("ok", repr(m), y.dtype.__repr__().split(".")[-1], y.detach().numpy().tolist())


def _hand_example(kind):
    """``[1, 2, 3]`` padded by (2, 1), computed by hand."""
    return {"Reflection": [3, 2, 1, 2, 3, 2], "Replication": [1, 1, 1, 2, 3, 3],
            "Zero": [0, 0, 1, 2, 3, 0], "Constant": [1.5, 1.5, 1, 2, 3, 1.5],
            "Circular": [2, 3, 1, 2, 3, 1]}[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_hand_examples_1d(kind):
    y = _build(teachnn, kind, 1, (2, 1))(teachnn.tensor([[[1.0, 2.0, 3.0]]]))
    np.testing.assert_array_equal(y._data, [[_hand_example(kind)]])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("d", (1, 2, 3))
def test_repr_attributes_and_state_dict(kind, d):
    for padding in (2, tuple(range(1, 2 * d + 1)), [1] * (2 * d)):
        t, p = _build(teachnn, kind, d, padding), _build(torch, kind, d, padding)
        assert repr(t) == repr(p)
        assert t.padding == p.padding and type(t.padding) is tuple
        if kind in ("Constant", "Zero"):
            assert t.value == p.value
        assert dict(t.state_dict()) == {} and list(t.parameters()) == []
    assert (repr(nn.ConstantPad2d(1, 3)) == repr(torch.nn.ConstantPad2d(1, 3))
            == "ConstantPad2d(padding=(1, 1, 1, 1), value=3)")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("d", (1, 2, 3))
@pytest.mark.parametrize("batched", (True, False))
def test_values_and_gradients(kind, d, batched):
    shape = (2, 3, 4, 3, 4)[3 - d + (0 if batched else 1):]
    rng = np.random.default_rng(d)
    padding = [int(v) for v in rng.integers(-1, 3, size=2 * d)]
    x = rng.standard_normal(shape)
    assert_parity(lambda lib, x: _build(lib, kind, d, tuple(padding), -0.5)(x), [x])
    assert_parity(lambda lib, x: _build(lib, kind, d, 1, -0.5)(x), [x], dtype="float32")


@pytest.mark.parametrize("kind", ("Reflection", "Replication", "Circular"))
def test_gradcheck(kind):
    x = teachnn.randn(1, 2, 3, 4, dtype=teachnn.float64, requires_grad=True)
    assert gradcheck(lambda x: _build(teachnn, kind, 2, (2, 1, 1, 2))(x), (x,))


# Constructor arguments: ints, sequences of the right and the wrong length, negatives,
# floats, None, strings; inputs of every rank, empty axes, integer dtype.
PADDINGS = {
    1: [0, 1, 3, -1, (1, 2), (2,), (1, 2, 3, 4), [0, 1], (-1, 2), 2.5, None, "ab", (1.0, 2)],
    2: [0, 1, 2, -1, (1, 2), (1, 2, 0, 1), (1, 2, 3), (0, 0, 0, 0, 1, 1), (-1, 1, 1, -1), 2.5],
    3: [0, 1, 2, (1, 0, 0, 1, 1, 0), (1, 2), -1, (1,) * 8, 2.5],
}
SHAPES = [(3,), (2, 3), (1, 2, 3), (2, 2, 3, 3), (1, 1, 2, 3, 3), (1, 1, 1, 2, 2, 2), (2, 0),
          (0, 2, 3), (1, 2, 0, 3)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("d", (1, 2, 3))
def test_every_argument_and_input_as_pytorch(kind, d):
    values = (1.5, 2, None) if kind == "Constant" else (1.5,)
    for padding, shape, dtype, value in itertools.product(PADDINGS[d], SHAPES,
                                                          ("float32", "int64"), values):
        array = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
        expected = _outcome(torch, kind, d, padding, array, value)
        got = _outcome(teachnn, kind, d, padding, array, value)
        assert got == expected, (kind, d, padding, shape, dtype, value)


@pytest.mark.parametrize("kind", KINDS)
def test_numpy_input_fails_as_in_pytorch(kind):
    array = np.ones((1, 2, 3, 3), dtype=np.float32)
    with pytest.raises(Exception) as want:
        _build(torch, kind, 2, 1)(array)
    with pytest.raises(type(want.value), match=r"teachnn\.from_numpy\(a\)|wrap arrays"):
        _build(teachnn, kind, 2, 1)(array)
    assert type(want.value) in (TypeError, AttributeError)


def test_circular_checks_the_rank_first_with_value_error():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.CircularPad2d(1)(teachnn.zeros(3, 3))
    with pytest.raises(ValueError) as want:
        torch.nn.CircularPad2d(1)(torch.zeros(3, 3))
    assert "expected 3D or 4D input (got 2D input)" in str(want.value)


# ----------------------------------------------------------------- F.pad edge cases
PAIRS = [(0, 0), (1, 1), (-1, -1), (2, 0), (2, -1), (-2, 1), (3, -1), (-3, 0), (-4, 1), (0, -2)]


def _pad_outcome(lib, array, pad, mode):
    x = teachnn.tensor(array) if lib is teachnn else torch.tensor(array)
    try:
        y = lib.nn.functional.pad(x, pad, mode)
    except Exception as e:                                  # noqa: BLE001 - compared below
        return (type(e),)
    if any(s < 0 for s in y.shape):
        return ("negative shape",)
    return ("ok", tuple(y.shape), y.numpy().tolist())


def _torch_reads_uninitialised(shape, pad, mode):
    """Cases where PyTorch 2.13 returns garbage instead of raising; teachnn raises RuntimeError.

    Circular padding wider than what is left after cropping copies cells PyTorch has not
    written yet; reflect with an empty batch skips the size check and returns a negative shape.
    """
    n = len(pad) // 2
    for k in range(n):
        size, (left, right) = shape[len(shape) - 1 - k], pad[2 * k: 2 * k + 2]
        kept = size - max(-left, 0) - max(-right, 0)
        if mode == "circular" and size + left + right > 0 and (left > kept or right > kept):
            return True
        if mode == "reflect" and shape[0] == 0 and len(shape) == n + 2 and size + left + right < 0:
            return True
    return False


@pytest.mark.parametrize("mode", ("reflect", "replicate", "circular"))
@pytest.mark.parametrize("n", (1, 2, 3))
def test_pad_empty_axes_and_cropping_as_pytorch(mode, n):
    rng = np.random.default_rng(n)
    checked = 0
    for extra in (1, 2):
        for shape in itertools.product((0, 1, 2, 3), repeat=n + extra):
            if rng.random() > {1: 0.75, 2: 0.4, 3: 0.1}[n]:     # a sample keeps the test short
                continue
            for pair, which in itertools.product(PAIRS, range(n)):
                pad = [0] * (2 * n)
                pad[2 * which: 2 * which + 2] = pair
                pad = tuple(pad)
                array = np.arange(int(np.prod(shape)), dtype="float32").reshape(shape)
                got = _pad_outcome(teachnn, array, pad, mode)
                if _torch_reads_uninitialised(shape, pad, mode):
                    assert got == (RuntimeError,), (shape, pad)
                    continue
                assert got == _pad_outcome(torch, array, pad, mode), (shape, pad)
                checked += 1
    assert checked > 100


def test_replicate_empty_axis_raises_runtime_error_with_reason():
    for shape, pad in (((1, 1, 0), (1, 0)), ((2, 0), (0, 0)), ((0, 2), (1, 1)),
                       ((0, 2, 2), (1, 1, 1, 1))):
        with pytest.raises(RuntimeError, match="possibly 0 batch size and other non-zero"):
            torch.nn.functional.pad(torch.zeros(shape), pad, "replicate")
        with pytest.raises(RuntimeError, match="every axis but the batch axis"):
            F.pad(teachnn.zeros(shape), pad, "replicate")
    # an empty batch is fine, as in PyTorch
    assert F.pad(teachnn.zeros(0, 2, 2), (1, 1), "replicate").shape == (0, 2, 4)


@pytest.mark.parametrize("dtype", ("int8", "uint8", "int16", "int32", "int64", "bool",
                                   "float32", "float64"))
@pytest.mark.parametrize("mode", ("constant", "reflect", "replicate", "circular"))
def test_pad_dtypes_as_pytorch(dtype, mode):
    for shape, pad in (((1, 2, 3), (1, 1)), ((1, 2, 3), (1, 2, 1, 0)),
                       ((1, 1, 2, 2, 3), (1, 1, 1, 0, 0, 1)), ((2, 3), (1, -1))):
        array = (np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(dtype)
        for value in ((None, 1, 2.5) if mode == "constant" else (None,)):
            kw = {} if value is None else {"value": value}
            outcomes = []
            for lib in (torch, teachnn):
                x = torch.tensor(array) if lib is torch else teachnn.tensor(array)
                try:
                    y = lib.nn.functional.pad(x, pad, mode, **kw)
                    outcomes.append((str(y.dtype).split(".")[-1], y.numpy().tolist()))
                except Exception as e:                      # noqa: BLE001 - compared below
                    outcomes.append((type(e),))
            assert outcomes[0] == outcomes[1], (shape, pad, value)
    if dtype == "bool" and mode in ("reflect", "replicate"):
        with pytest.raises(NotImplementedError, match="x.float"):
            F.pad(teachnn.zeros(1, 2, 3, dtype=teachnn.bool), (1, 1), mode)


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("shape,pad", [((1, 2, 3), (5, 5)), ((1, 2, 0), (1, 1)), ((1, 2, 3), (1, 1)),
                                       ((1, 2, 3, 3), (-2, -2, -5, 0)), ((1, 2, 3), (-3, -3))])
def test_bool_padding_checks_sizes_before_the_dtype_as_pytorch(mode, shape, pad):
    """PyTorch's reflect/replicate kernels check every size rule first, then refuse bool."""
    outcomes = []
    for lib in (torch, teachnn):
        try:
            lib.nn.functional.pad(lib.zeros(shape, dtype=lib.bool), pad, mode=mode)
            outcomes.append("no error")
        except Exception as e:                              # noqa: BLE001 - compared below
            outcomes.append(type(e))
    assert outcomes[0] != "no error" and outcomes[1] == outcomes[0], outcomes
