"""nn.Conv1d/2d/3d and nn.ConvTranspose1d/2d/3d against PyTorch: repr, state_dict keys,
weight shapes, default initialisation, forward/backward with the same parameters, padding
modes, ``output_size``, and the constructor's errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import teachnn
import teachnn.nn as nn
from tests.parity import assert_close, requires_torch, torch

LAYERS = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

CONFIGS = [
    ("Conv1d", (4, 6, 3), {}),
    ("Conv1d", (4, 6, 4), dict(padding="same", dilation=2, padding_mode="reflect")),
    ("Conv2d", (3, 16, 3), dict(padding=1)),
    ("Conv2d", (4, 8, (3, 2)), dict(stride=(2, 1), padding=2, dilation=2, groups=2, bias=False,
                                    padding_mode="circular")),
    ("Conv2d", (4, 8, 4), dict(padding="same", padding_mode="replicate")),
    ("Conv2d", (4, 4, 3), dict(groups=4)),
    ("Conv3d", (2, 4, 3), dict(padding="valid")),
    ("Conv3d", (2, 4, (1, 2, 3)), dict(padding=(0, 1, 1), padding_mode="reflect")),
    ("ConvTranspose1d", (4, 6, 3), dict(bias=False, dilation=2)),
    ("ConvTranspose2d", (4, 6, 4), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ("ConvTranspose3d", (2, 3, (2, 3, 2)), dict(stride=(1, 2, 2))),
]


def _input_shape(name, in_channels, batch=2):
    n = int(name[-2])
    spatial = {1: (9,), 2: (7, 6), 3: (5, 4, 6)}[n]
    return (batch, in_channels) + spatial


@requires_torch
@pytest.mark.parametrize("name, args, kw", CONFIGS)
def test_repr_state_dict_and_shapes_match_torch(name, args, kw):
    ours = getattr(nn, name)(*args, **kw)
    theirs = getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict().keys()) == list(theirs.state_dict().keys())
    for key, value in theirs.state_dict().items():
        assert tuple(ours.state_dict()[key].shape) == tuple(value.shape), key
    assert ours.weight.dtype == teachnn.float32


@requires_torch
@pytest.mark.parametrize("name, args, kw", CONFIGS)
def test_forward_and_backward_match_torch_with_the_same_parameters(name, args, kw):
    ours = getattr(nn, name)(*args, **kw).double()
    theirs = getattr(torch.nn, name)(*args, **kw).double()
    theirs.load_state_dict({k: torch.tensor(v._data) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(len(name))
    x = rng.standard_normal(_input_shape(name, args[0]))
    tx = teachnn.tensor(x, requires_grad=True)
    px = torch.tensor(x, requires_grad=True)
    y, z = ours(tx), theirs(px)
    assert_close(y, z, 1e-10, 1e-8, "output")
    r = rng.standard_normal(tuple(z.shape))
    (y * teachnn.tensor(r)).sum().backward()
    (z * torch.tensor(r)).sum().backward()
    assert_close(tx.grad, px.grad, 1e-10, 1e-8, "input grad")
    assert_close(ours.weight.grad, theirs.weight.grad, 1e-10, 1e-8, "weight grad")
    if theirs.bias is not None:
        assert_close(ours.bias.grad, theirs.bias.grad, 1e-10, 1e-8, "bias grad")


@requires_torch
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 3), mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
       k=st.integers(1, 4), dilation=st.integers(1, 2), same=st.booleans(),
       pad=st.integers(0, 2), unbatched=st.booleans(), seed=st.integers(0, 99))
def test_padding_modes_match_torch_float32(n, mode, k, dilation, same, pad, unbatched, seed):
    """float32 tolerance 1e-5: a few dozen products of O(1) numbers per output."""
    kw = dict(padding="same" if same else pad, dilation=dilation, padding_mode=mode)
    ours = getattr(nn, f"Conv{n}d")(2, 3, k, **kw)
    theirs = getattr(torch.nn, f"Conv{n}d")(2, 3, k, **kw)
    theirs.load_state_dict({key: torch.tensor(v._data) for key, v in ours.state_dict().items()})
    size = dilation * (k - 1) + 3                 # reflect needs padding < size
    shape = ((2,) if not unbatched else ()) + (2,) + (size,) * n
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    tx, px = teachnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, z = ours(tx), theirs(px)
    assert_close(y, z, 1e-5, 1e-5, "output")
    y.sum().backward()
    z.sum().backward()
    assert_close(tx.grad, px.grad, 1e-5, 1e-5, "input grad")
    assert_close(ours.weight.grad, theirs.weight.grad, 1e-4, 1e-5, "weight grad")


@pytest.mark.parametrize("name", LAYERS)
def test_default_init_bounds(name):
    teachnn.manual_seed(0)
    layer = getattr(nn, name)(8, 6, 3, groups=2)
    w = layer.weight._data
    # fan_in = weight.shape[1] * kernel volume (for ConvTranspose weight.shape[1] = out/groups)
    fan_in = w.shape[1] * int(np.prod(w.shape[2:]))
    bound = 1 / math.sqrt(fan_in)      # kaiming_uniform_(a=sqrt(5)) gives exactly this bound
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.9 * bound              # spread over the whole interval
    assert abs(w.mean()) < 0.2 * bound
    b = layer.bias._data
    assert b.shape == (6,) and np.abs(b).max() <= bound and np.ptp(b) > 0
    teachnn.manual_seed(0)
    again = getattr(nn, name)(8, 6, 3, groups=2)
    np.testing.assert_array_equal(again.weight._data, w)            # manual_seed reproduces


def test_conv_transpose_output_size_picks_output_padding():
    up = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    x = teachnn.randn(1, 3, 5, 5)
    assert up(x).shape == (1, 2, 9, 9)
    assert up(x, output_size=(10, 10)).shape == (1, 2, 10, 10)
    assert up(x, output_size=[1, 2, 10, 9]).shape == (1, 2, 10, 9)
    with pytest.raises(ValueError, match=r"valid sizes range from \[9, 9\] to \[10, 10\]"):
        up(x, output_size=(12, 12))
    with pytest.raises(ValueError, match="must have 2 or 4 elements"):
        up(x, output_size=(10,))


@requires_torch
def test_conv_transpose_output_size_matches_torch():
    ours = nn.ConvTranspose1d(2, 3, 4, stride=3, padding=1).double()
    theirs = torch.nn.ConvTranspose1d(2, 3, 4, stride=3, padding=1).double()
    theirs.load_state_dict({k: torch.tensor(v._data) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 2, 5))
    for size in (14, 15, 16):
        assert_close(ours(teachnn.tensor(x), output_size=[size]),
                     theirs(torch.tensor(x), output_size=[size]), 1e-10, 1e-8)


def test_constructor_errors_teach():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'foo'"):
        nn.Conv1d(3, 4, 3, padding="foo")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for '
                                         'ConvTranspose2d'):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(TypeError, match="Conv2d.__init__.*'kernels'. Did you mean 'kernel_size'"):
        nn.Conv2d(1, 16, kernels=5)
    with pytest.raises(TypeError, match="kernel_size must be an int or a tuple of 2 ints"):
        nn.Conv2d(1, 16, "3")


def test_forward_errors_name_the_layer():
    conv = nn.Conv1d(3, 4, 3)
    with pytest.raises(RuntimeError) as err:
        conv(teachnn.randn(2, 3, 4, 5))
    assert str(err.value).startswith(
        "Conv1d expects input of shape [batch, channels, length] (3-d) or [channels, length] "
        "(2-d, unbatched) but got a 4-d tensor of shape [2, 3, 4, 5]")
    with pytest.raises(RuntimeError, match="to have 3 channels, but got 5"):
        conv(teachnn.randn(2, 5, 10))
    reflect = nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")
    # PyTorch pads first (F.pad refuses a 2-d input for 2 padded axes: NotImplementedError)
    with pytest.raises(NotImplementedError, match=r"Conv2d\(padding_mode='reflect'\) pads"):
        reflect(teachnn.randn(3, 4))


def test_unbatched_module_call():
    conv = nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular")
    x = teachnn.randn(3, 6, 5)
    y = conv(x)
    assert y.shape == (4, 6, 5)
    np.testing.assert_allclose(y._data, conv(teachnn.tensor(x._data[None]))._data[0], rtol=1e-6)
