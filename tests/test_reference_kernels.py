"""The reference kernels (teachnn/kernels/reference/) and the switch between kernel tiers.

Oracles: hand examples, gradcheck in float64, and the fast kernels (every public op and its
backward must agree under both tiers). The parity suite (test_conv.py, test_pool_*.py, ...)
also runs under the reference tier against PyTorch (see conftest.py); test_conv_kernels.py
and test_pool_kernels.py hold the fast kernels to these loops on hypothesis-drawn shapes.
"""
from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
import teachnn.nn.functional as F
from teachnn import kernels
from teachnn.autograd import gradcheck
from teachnn.kernels.reference import conv as R
from teachnn.kernels.reference import pool as RP

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ------------------------------------------------------------------------- the switch
def test_use_switches_and_restores_as_a_context_manager():
    start = kernels.current()
    assert start in ("fast", "reference")
    with kernels.use("reference"):
        assert kernels.current() == "reference" and kernels.active.conv is R
        with kernels.use("fast"):
            assert kernels.current() == "fast"
        assert kernels.current() == "reference"
    assert kernels.current() == start
    try:
        kernels.use("reference")                       # called alone: from now on
        assert kernels.current() == "reference" and kernels.active.pool is RP
    finally:
        kernels.use(start)
    assert kernels.current() == start and kernels.available() == ("fast", "reference")


def test_unknown_tier_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="'fast', 'reference'"):
        kernels.use("slow")
    assert kernels.current() in ("fast", "reference")


def test_environment_variable(monkeypatch):
    for value, name in (("reference", "reference"), (" Fast ", "fast"), ("", "fast")):
        monkeypatch.setenv("TEACHNN_KERNELS", value)
        assert kernels._from_environment().name == name
    monkeypatch.delenv("TEACHNN_KERNELS")
    assert kernels._from_environment().name == "fast"
    # at import: a bad value stops the import with a message naming the variable
    env = dict(os.environ, TEACHNN_KERNELS="refrence", PYTHONPATH=REPO)
    run = subprocess.run([sys.executable, "-c", "import teachnn"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "ValueError" in run.stderr and "TEACHNN_KERNELS='refrence'" in run.stderr


def _spy(monkeypatch, module, name, calls):
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: calls.append(name) or real(*a, **k))


def test_backward_runs_on_the_tier_that_ran_the_forward(monkeypatch):
    calls = []
    for name in ("conv_forward", "conv_backward"):
        _spy(monkeypatch, R, name, calls)
    for name in ("max_pool_forward", "max_pool_backward"):
        _spy(monkeypatch, RP, name, calls)
    x = teachnn.randn(1, 2, 5, 5, requires_grad=True)
    w = teachnn.randn(3, 2, 3, 3, requires_grad=True)
    with kernels.use("fast"):
        F.max_pool2d(F.conv2d(x, w), 2).sum().backward()
    assert calls == []
    fast_grads = x.grad._data.copy(), w.grad._data.copy()
    x.grad = w.grad = None
    with kernels.use("reference"):
        loss = F.max_pool2d(F.conv2d(x, w), 2).sum()
    with kernels.use("fast"):                  # switched between forward and backward
        loss.backward()
    assert calls == ["conv_forward", "max_pool_forward", "max_pool_backward", "conv_backward"]
    np.testing.assert_allclose(x.grad._data, fast_grads[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w.grad._data, fast_grads[1], rtol=1e-5, atol=1e-6)


def test_both_tiers_have_the_same_interface():
    """A module swap: the same public functions with the same parameters."""
    for fast, reference in ((kernels._BACKENDS["fast"].conv, R),
                            (kernels._BACKENDS["fast"].pool, RP)):
        assert sorted(fast.__all__) == sorted(reference.__all__)
        for name in fast.__all__:
            a, b = getattr(fast, name), getattr(reference, name)
            if inspect.isfunction(a):
                assert list(inspect.signature(a).parameters) == list(
                    inspect.signature(b).parameters), name


def test_reference_functions_are_short_and_documented():
    """The teaching text: one idea per function, each with its docstring, none long."""
    for module in (R, RP):
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= 40, f"{module.__name__}.{node.name}: {length} lines"
                if node.name.startswith("_") and node.name.endswith("_loop"):
                    assert ast.get_docstring(node), node.name


# ------------------------------------------------------------------------- hand examples
def test_reference_conv_by_hand():
    # x = [1, 2, 3, 4], w = [1, -1], padding 1 left / 0 right, stride 1:
    # windows [pad, 1], [1, 2], [2, 3], [3, 4] -> -1, -1, -1, -1 ... plus bias 10
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 1, 1, 4)
    w = np.array([1.0, -1.0]).reshape(1, 1, 1, 1, 2)
    pads = ((0, 0), (0, 0), (1, 0))
    out = R.conv_forward(x, w, np.array([10.0]), (1, 1, 1), pads, (1, 1, 1), 1)
    assert out.ravel().tolist() == [9.0, 9.0, 9.0, 9.0]
    g = np.array([1.0, 0.0, 0.0, 2.0]).reshape(out.shape)
    gx, gw, gb = R.conv_backward(g, x, w, (1, 1, 1), pads, (1, 1, 1), 1)
    # out[0] = -x[0] (tap 1), out[3] = x[2] - x[3]: grad_x = [-1, 0, 2, -2]
    assert gx.ravel().tolist() == [-1.0, 0.0, 2.0, -2.0]
    # grad_w[0] = sum g[i] * x[i-1] = 2*3, grad_w[1] = sum g[i] * x[i] = 1 + 2*4
    assert gw.ravel().tolist() == [6.0, 9.0] and gb.tolist() == [3.0]
    # transposed, stride 2: x = [1, 2] scatters x[i]*w at 2i -> [1, -1, 2, -2]
    t = R.conv_transpose_forward(np.array([1.0, 2.0]).reshape(1, 1, 1, 1, 2), w, None,
                                 (1, 1, 2), (0, 0, 0), (1, 1, 1), 1, (1, 1, 4))
    assert t.ravel().tolist() == [1.0, -1.0, 2.0, -2.0]


def test_reference_pooling_by_hand():
    # the notes' adaptive example: 4x4 of 1..16 -> 2x2 means
    x = np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4)
    axes = (RP.adaptive_windows(1, 1), RP.adaptive_windows(4, 2), RP.adaptive_windows(4, 2))
    assert RP.avg_pool_forward(x, axes, False).tolist() == [[[[3.5, 5.5], [11.5, 13.5]]]]
    out, idx = RP.max_pool_forward(x, axes)
    assert out.tolist() == [[[[6, 8], [14, 16]]]] and idx.tolist() == [[[[5, 7], [13, 15]]]]
    # max_pool1d(k=3, s=2, p=1) of [3, 1, 4, 1, 5]: windows [pad,3,1], [1,4,1], [1,5,pad]
    row = np.array([3.0, 1.0, 4.0, 1.0, 5.0]).reshape(1, 1, 1, 5)
    one = RP.pool_windows(1, 1, 1)
    axes = (one, one, RP.pool_windows(5, 3, 2, 1))
    out, idx = RP.max_pool_forward(row, axes)
    assert out.ravel().tolist() == [3.0, 4.0, 5.0] and idx.ravel().tolist() == [0, 2, 4]
    g = RP.max_pool_backward(np.array([1.0, 2.0, 3.0]).reshape(out.shape), idx, (1, 1, 5))
    assert g.ravel().tolist() == [1.0, 0.0, 2.0, 0.0, 3.0]
    # avg with count_include_pad: (0+3+1)/3, (1+4+1)/3, (1+5+0)/3; without: /2, /3, /2
    assert np.allclose(RP.avg_pool_forward(row, axes, True).ravel(), [4 / 3, 2, 2])
    assert np.allclose(RP.avg_pool_forward(row, axes, False).ravel(), [2, 2, 3])
    assert np.allclose(RP.avg_pool_backward(np.ones((1, 1, 1, 3)), axes, False).ravel(),
                       [0.5, 0.5 + 1 / 3, 1 / 3, 1 / 3 + 0.5, 0.5])


# ------------------------------------------------------------------------- gradcheck
@pytest.fixture
def reference_tier():
    with kernels.use("reference"):
        yield


def _t(shape, seed, grad=True):
    t = teachnn.tensor(np.random.default_rng(seed).standard_normal(shape))
    return t.requires_grad_(grad)


def test_gradcheck_reference_convolutions(reference_tier):
    x, w, b = _t((2, 4, 5, 6), 1), _t((6, 2, 3, 2), 2), _t((6,), 3)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2),
                                              dilation=(1, 2), groups=2), (x, w, b))
    assert gradcheck(lambda x, w: F.conv1d(x, w, padding="same"),
                     (_t((1, 2, 7), 4), _t((3, 2, 4), 5)))
    assert gradcheck(lambda x, w: F.conv3d(x, w, stride=2, padding=1),
                     (_t((1, 2, 3, 4, 3), 6), _t((2, 2, 2, 3, 2), 7)))
    wt = _t((4, 3, 3, 2), 8)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 3), padding=1,
                                                        output_padding=(1, 2), groups=2),
                     (_t((1, 4, 3, 2), 9), wt, _t((6,), 10)))
    assert gradcheck(lambda x, w: F.conv_transpose1d(x, w, stride=1, output_padding=1,
                                                     dilation=2),
                     (_t((2, 2, 4), 11), _t((2, 1, 3), 12)))


def test_gradcheck_reference_pooling(reference_tier):
    rng = np.random.default_rng(0)
    x = teachnn.tensor((rng.permutation(60) * 0.1).reshape(1, 2, 5, 6)).requires_grad_(True)
    assert gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True), (x,))
    assert gradcheck(lambda t: F.max_pool2d(t, 2, 1, 0, dilation=2), (x,))
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, True, False, divisor_override=4), (x,))
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (3, 7)), (x,))
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, (2, 4)), (x,))
    pooled, idx = F.max_pool2d(x.detach(), 2, return_indices=True)
    assert gradcheck(lambda t: F.max_unpool2d(t, idx, 2, output_size=(5, 6)),
                     (pooled.detach().requires_grad_(True),))


# ------------------------------------------------------------------------- tiers agree
def _ops(dtype):
    """(name, fn(x) -> Tensor, input shape) for every convolution and pooling op."""
    rng = np.random.default_rng(5)
    w1, w2, w3, tw = (teachnn.tensor(rng.standard_normal(s).astype(dtype)) for s in
                      ((4, 3, 3), (6, 1, 2, 3), (2, 3, 2, 2, 2), (3, 2, 3, 2)))
    return [
        ("conv1d", lambda x: F.conv1d(x, w1, stride=2, padding=2, dilation=2), (2, 3, 9)),
        ("conv2d", lambda x: F.conv2d(x, w2, groups=3, padding="same"), (2, 3, 5, 6)),
        ("conv3d", lambda x: F.conv3d(x, w3, stride=(1, 2, 1), padding=1), (1, 3, 3, 4, 5)),
        ("conv_transpose2d", lambda x: F.conv_transpose2d(x, tw, stride=2, padding=1,
                                                          output_padding=1), (2, 3, 3, 4)),
        ("Conv2d groups", nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2,
                                    padding_mode="reflect"), (2, 4, 6, 5)),
        ("ConvTranspose3d", nn.ConvTranspose3d(2, 3, 2, stride=2, groups=1), (1, 2, 2, 3, 2)),
        ("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (2, 3, 7, 6)),
        ("avg_pool3d", lambda x: F.avg_pool3d(x, 2, 1, 1, count_include_pad=False),
         (1, 2, 3, 4, 3)),
        ("AdaptiveAvgPool2d", nn.AdaptiveAvgPool2d((3, 4)), (2, 3, 7, 5)),
        ("AdaptiveMaxPool1d", nn.AdaptiveMaxPool1d(4), (2, 3, 9)),
        ("max_unpool1d", lambda x: F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True),
                                                  2), (2, 3, 8)),
        ("lp_pool2d", lambda x: F.lp_pool2d(x, 2, 2), (1, 2, 4, 4)),
    ]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_op_gives_the_same_numbers_under_both_tiers(dtype):
    for name, fn, shape in _ops(dtype):
        if isinstance(fn, nn.Module) and dtype == "float64":
            fn = fn.double()
        results = {}
        for tier in ("fast", "reference"):
            x = teachnn.tensor(np.random.default_rng(1).standard_normal(shape).astype(dtype))
            x.requires_grad_(True)
            with kernels.use(tier):
                out = fn(x)
                (out * out).sum().backward()
            results[tier] = [out._data, x.grad._data]
            if isinstance(fn, nn.Module):
                results[tier] += [p.grad._data.copy() for p in fn.parameters()]
                fn.zero_grad()
        tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
        for fast, ref in zip(results["fast"], results["reference"]):
            assert fast.dtype == ref.dtype == np.dtype(dtype), name
            np.testing.assert_allclose(fast, ref, err_msg=name, **tol)


def test_im2col_and_col2im_of_both_tiers():
    from teachnn.kernels import fast_conv as K
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 1, 1, 4)
    col = R.im2col(x, (1, 1, 2), (1, 1, 1), (0, 0, 1), (1, 1, 1), (1, 1, 4))
    assert col.tolist() == [[0, 1, 2, 3], [1, 2, 3, 4]]     # windows [pad, 1], [1, 2], ...
    rng = np.random.default_rng(0)
    geom = ((2, 2, 3), (2, 1, 2), (1, 0, 2), (1, 2, 1))
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((2, 3, 4, 5, 6)).astype(dtype)
        col = R.im2col(x, *geom, (3, 2, 4))
        np.testing.assert_array_equal(col, K.im2col(x, *geom, (3, 2, 4)))
        c = rng.standard_normal(col.shape).astype(dtype)
        back = R.col2im(c, x.shape, *geom, (3, 2, 4))
        np.testing.assert_allclose(back, K.col2im(c, x.shape, *geom, (3, 2, 4)), rtol=1e-5,
                                   atol=1e-5)
        out = np.empty_like(x)
        assert R.col2im(c, x.shape, *geom, (3, 2, 4), out=out) is out
        np.testing.assert_array_equal(out, back)
        # adjoint: <im2col(x), c> == <x, col2im(c)>
        np.testing.assert_allclose(np.vdot(col.astype(np.float64), c.astype(np.float64)),
                                   np.vdot(x.astype(np.float64), back.astype(np.float64)),
                                   rtol=1e-5)
    with pytest.raises(ValueError, match="col has shape"):
        R.col2im(np.zeros((5, 5)), (1, 1, 1, 4, 4), (1, 3, 3), (1, 1, 1), (0, 1, 1),
                 (1, 1, 1), (1, 4, 4))
