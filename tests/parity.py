"""Run one expression in teachnn and in PyTorch and compare values and gradients.

    from tests.parity import torch, requires_torch, assert_parity

    @requires_torch
    def test_conv():
        assert_parity(lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=1),
                      [np.random.randn(2, 3, 5, 5), np.random.randn(4, 3, 3, 3)])

``fn(lib, *tensors)`` is called once with ``lib=teachnn`` and once with ``lib=torch``, on
tensors made from the same NumPy arrays. Forward values are compared, then both sides run
backward on ``(out * r).sum()`` for one fixed random ``r`` and every input's gradient is
compared. PyTorch is a test oracle only: without it these tests skip with a visible reason.
"""
from __future__ import annotations

import numpy as np
import pytest

import teachnn

try:  # PyTorch is optional: CI installs the CPU build, a learner's machine may not have it
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

requires_torch = pytest.mark.skipif(
    torch is None, reason="PyTorch is not installed: parity with torch.nn is not checked "
                          "(pip install torch==2.13.0 to run these tests)")

DEFAULT_TOL = {"float64": (1e-10, 1e-8), "float32": (1e-4, 1e-4)}


def to_numpy(t) -> np.ndarray:
    """A teachnn or torch tensor (or anything array-like) as a NumPy array."""
    if hasattr(t, "detach"):
        t = t.detach()
    if torch is not None and isinstance(t, torch.Tensor):
        return t.cpu().numpy()
    if isinstance(t, teachnn.Tensor):
        return np.asarray(t._data)
    return np.asarray(t)


def _make(lib, array, requires_grad):
    if lib is teachnn:
        t = teachnn.tensor(array)
    else:
        t = torch.tensor(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def assert_close(actual, expected, atol, rtol, what="value"):
    a, e = to_numpy(actual), to_numpy(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != PyTorch's {e.shape}"
    np.testing.assert_allclose(a, e, atol=atol, rtol=rtol, err_msg=f"{what} differs from PyTorch")


def assert_parity(fn, inputs, *, dtype="float64", atol=None, rtol=None, grad=True,
                  grad_inputs=None, seed=0):
    """Compare ``fn(teachnn, *inputs)`` with ``fn(torch, *inputs)``; see the module docstring.

    ``inputs`` are NumPy arrays; float arrays are cast to ``dtype``, integer arrays (class
    targets, indices) are passed as int64 and never require grad. ``grad_inputs`` lists
    which input positions get gradients (default: every float input).
    Returns the two outputs so a test can check more.
    """
    if torch is None:
        pytest.skip("PyTorch is not installed")
    default_atol, default_rtol = DEFAULT_TOL[dtype]
    atol = default_atol if atol is None else atol
    rtol = default_rtol if rtol is None else rtol

    arrays = []
    for a in inputs:
        a = np.asarray(a)
        if a.dtype.kind == "f":
            a = a.astype(dtype)
        elif a.dtype.kind in "iu":
            a = a.astype(np.int64)
        arrays.append(a)
    if grad_inputs is None:
        grad_inputs = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    grad_inputs = set(grad_inputs) if grad else set()

    results = {}
    for lib in (teachnn, torch):
        ts = [_make(lib, a, i in grad_inputs) for i, a in enumerate(arrays)]
        outs = _as_tuple(fn(lib, *ts))
        results[lib] = (ts, outs)

    (t_in, t_out), (p_in, p_out) = results[teachnn], results[torch]
    assert len(t_out) == len(p_out), f"teachnn returned {len(t_out)} outputs, PyTorch {len(p_out)}"
    for k, (a, e) in enumerate(zip(t_out, p_out)):
        assert_close(a, e, atol, rtol, what=f"output {k}")

    if grad_inputs:
        rng = np.random.default_rng(seed)
        t_loss = None
        p_loss = None
        for a, e in zip(t_out, p_out):
            if not (getattr(e, "requires_grad", False)):
                continue
            r = rng.standard_normal(tuple(e.shape)).astype(dtype)
            t_term = (a * teachnn.tensor(r)).sum()
            p_term = (e * torch.tensor(r)).sum()
            t_loss = t_term if t_loss is None else t_loss + t_term
            p_loss = p_term if p_loss is None else p_loss + p_term
        if p_loss is not None:
            t_loss.backward()
            p_loss.backward()
            for i in sorted(grad_inputs):
                pg, tg = p_in[i].grad, t_in[i].grad
                if pg is None:
                    assert tg is None or np.allclose(to_numpy(tg), 0), \
                        f"input {i}: PyTorch gives no gradient but teachnn does"
                    continue
                assert tg is not None, f"input {i}: teachnn computed no gradient, PyTorch did"
                assert_close(tg, pg, atol, rtol, what=f"gradient of input {i}")
    return t_out, p_out
