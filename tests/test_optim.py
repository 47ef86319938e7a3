"""teachnn.optim: SGD, Adam, AdamW, parameter groups, state_dict, StepLR.

Oracles: a plain NumPy re-statement of the update rule for hand-checkable cases, and PyTorch:
five steps from identical parameters with identical gradients must agree in float64 to
~1e-13 relative.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import teachnn
import teachnn.nn as nn
from teachnn import optim
from teachnn.optim.lr_scheduler import StepLR
from tests.parity import requires_torch, torch

SHAPES = [(3, 4), (4,), ()]


def make_params(lib, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.nn.Parameter(lib.from_numpy(rng.standard_normal(s))) for s in SHAPES]


def gradients(step, seed=100):
    rng = np.random.default_rng(seed + step)
    return [rng.standard_normal(s) for s in SHAPES]


def run_steps(lib, opt_class, kwargs, steps=5, groups=None):
    params = make_params(lib)
    if groups is None:
        opt = opt_class(params, **kwargs)
    else:
        opt = opt_class([{"params": params[:1], **groups}, {"params": params[1:]}], **kwargs)
    history = []
    for step in range(steps):
        for p, g in zip(params, gradients(step)):
            p.grad = lib.from_numpy(g.copy())
        if step == 2:
            params[2].grad = None              # a parameter without gradient is skipped
        opt.step()
        history.append([np.array(p.detach().numpy(), copy=True) for p in params])
    return history


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.05, momentum=0.9, weight_decay=0.1, nesterov=True, maximize=True),
]

ADAM_CASES = [
    dict(),
    dict(lr=0.01, betas=(0.8, 0.99)),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.02, eps=1e-3, maximize=True, amsgrad=True, weight_decay=0.05),
]


@requires_torch
@pytest.mark.parametrize("kwargs", SGD_CASES)
def test_sgd_matches_torch_step_by_step(kwargs):
    ours = run_steps(teachnn, optim.SGD, kwargs)
    theirs = run_steps(torch, torch.optim.SGD, kwargs)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-13, atol=1e-14, err_msg=f"step {step}")


@requires_torch
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("kwargs", ADAM_CASES)
def test_adam_and_adamw_match_torch_step_by_step(name, kwargs):
    ours = run_steps(teachnn, getattr(optim, name), kwargs)
    theirs = run_steps(torch, getattr(torch.optim, name), kwargs)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14, err_msg=f"step {step}")


@requires_torch
def test_param_groups_with_their_own_settings_match_torch():
    for ours_class, torch_class, kwargs, group in [
            (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.5), dict(lr=0.01, momentum=0.0)),
            (optim.Adam, torch.optim.Adam, dict(lr=0.01), dict(lr=0.1, betas=(0.5, 0.6)))]:
        ours = run_steps(teachnn, ours_class, kwargs, groups=group)
        theirs = run_steps(torch, torch_class, kwargs, groups=group)
        for a, b in zip(ours, theirs):
            for x, y in zip(a, b):
                np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)


def test_sgd_momentum_by_hand():
    p = nn.Parameter(teachnn.from_numpy(np.array([1.0])))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    buf, value = 0.0, 1.0
    for step, g in enumerate([1.0, 2.0, -1.0]):
        p.grad = teachnn.from_numpy(np.array([g]))
        opt.step()
        buf = g if step == 0 else 0.9 * buf + g
        value -= 0.1 * buf
        assert float(p._data[0]) == pytest.approx(value, rel=1e-15)
        assert float(opt.state[p]["momentum_buffer"]._data[0]) == pytest.approx(buf)


def test_adam_first_step_moves_each_entry_by_lr():
    # After one step m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps) ~ lr*sign(g)
    p = nn.Parameter(teachnn.from_numpy(np.array([1.0, 1.0, 1.0])))
    p.grad = teachnn.from_numpy(np.array([3.0, -0.5, 1e-3]))
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    expected = 1.0 - 0.1 * np.array([3.0, -0.5, 1e-3]) / (np.abs([3.0, -0.5, 1e-3]) + 1e-8)
    np.testing.assert_allclose(p._data, expected, rtol=1e-12)
    assert float(opt.state[p]["step"]._data) == 1.0
    assert opt.state[p]["step"]._data.dtype == np.float32


def test_training_a_linear_fit_with_autograd_reduces_the_loss():
    rng = np.random.default_rng(0)
    x = teachnn.from_numpy(rng.standard_normal((64, 3)))
    true_w = np.array([[1.5], [-2.0], [0.5]])
    y = teachnn.from_numpy(x._data @ true_w)
    w = nn.Parameter(teachnn.from_numpy(np.zeros((3, 1))))
    for opt in (optim.SGD([w], lr=0.1, momentum=0.5), optim.Adam([w], lr=0.1)):
        w._data[...] = 0
        losses = []
        for _ in range(100):
            opt.zero_grad()
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[-1] < 1e-3 * losses[0]
        np.testing.assert_allclose(w._data, true_w, atol=0.05)


def test_zero_grad_and_closure():
    p = nn.Parameter(teachnn.from_numpy(np.array([2.0])))
    opt = optim.SGD([p], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss.item()) == 4.0
    assert float(p._data[0]) == pytest.approx(2.0 - 0.5 * 4.0)
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and float(p.grad._data[0]) == 0.0
    opt.zero_grad()
    assert p.grad is None


def test_bad_arguments_are_explained():
    p = nn.Parameter(teachnn.from_numpy(np.zeros(2)))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}], lr=0.1)
    y = (p * 2)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([y], lr=0.1)
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="got the model itself.*SGD\\(model.parameters\\(\\)"):
        optim.SGD(model, lr=0.1)
    with pytest.raises(TypeError, match="without calling it.*model.parameters\\(\\)"):
        optim.Adam(model.parameters)
    with pytest.raises(TypeError, match="lr must be a number, but got '0.1'"):
        optim.SGD(model.parameters(), lr="0.1")
    with pytest.raises(TypeError, match="betas must be a pair"):
        optim.AdamW(model.parameters(), betas=0.9)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got int"):
        optim.SGD(3, lr=0.1)


def test_add_param_group_and_named_parameters():
    model = nn.Module()
    model.a = nn.Parameter(teachnn.from_numpy(np.zeros(2)))
    model.b = nn.Parameter(teachnn.from_numpy(np.zeros(3)))
    opt = optim.SGD([model.a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": model.b, "lr": 0.01})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[1]["momentum"] == 0.9               # filled from the defaults
    named = optim.Adam(model.named_parameters())
    assert named.param_groups[0]["param_names"] == ["a", "b"]


def test_repr_lists_the_groups():
    p = nn.Parameter(teachnn.from_numpy(np.zeros(2)))
    text = repr(optim.SGD([p], lr=0.1))
    # PyTorch's text, keys sorted, implementation switches included (checked without torch too)
    assert text == ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
                    "    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n"
                    "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)")


@pytest.mark.parametrize("opt_class,kwargs", [(optim.SGD, dict(lr=0.1, momentum=0.9)),
                                              (optim.Adam, dict(lr=0.05, amsgrad=True))])
def test_state_dict_round_trip_continues_identically(opt_class, kwargs):
    def train(params, opt, steps):
        for step in steps:
            for p, g in zip(params, gradients(step)):
                p.grad = teachnn.from_numpy(g.copy())
            opt.step()

    params = make_params(teachnn)
    opt = opt_class(params, **kwargs)
    train(params, opt, range(6))

    params2 = make_params(teachnn)
    opt2 = opt_class(params2, **kwargs)
    train(params2, opt2, range(3))
    saved = opt2.state_dict()
    assert sorted(saved["state"]) == [0, 1, 2]
    assert saved["param_groups"][0]["params"] == [0, 1, 2]
    params3 = [nn.Parameter(teachnn.from_numpy(p._data.copy())) for p in params2]
    opt3 = opt_class(params3, lr=123.0)
    opt3.load_state_dict(saved)
    assert opt3.param_groups[0]["lr"] == kwargs["lr"]
    train(params3, opt3, range(3, 6))
    for a, b in zip(params, params3):
        np.testing.assert_array_equal(a._data, b._data)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt3.load_state_dict({"state": {}, "param_groups": []})


SCHEDULERS = [("StepLR", dict(step_size=3, gamma=0.5)),
              ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
              ("ExponentialLR", dict(gamma=0.9)),
              ("LambdaLR", dict(lr_lambda=lambda epoch: 1 / (1 + epoch))),
              ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01))]


@requires_torch
@pytest.mark.parametrize("name,kwargs", SCHEDULERS)
def test_schedulers_match_torch(name, kwargs):
    lrs = []
    for lib, lib_optim in ((teachnn, optim), (torch, torch.optim)):
        params = make_params(lib)
        opt = lib_optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 1.0}], lr=0.5)
        sched = getattr(lib_optim.lr_scheduler, name)(opt, **kwargs)
        for p in params:
            p.grad = lib.zeros_like(p)
        seen = []
        for _ in range(14):
            seen.append([g["lr"] for g in opt.param_groups] + sched.get_last_lr())
            opt.step()
            sched.step()
        lrs.append(seen)
    np.testing.assert_allclose(np.array(lrs[0]), np.array(lrs[1]), rtol=1e-14, atol=0)


def test_steplr_by_hand():
    p = nn.Parameter(teachnn.from_numpy(np.zeros(1)))
    opt = optim.SGD([p], lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.1)
    seen = []
    for step in range(5):
        seen.append(opt.param_groups[0]["lr"])
        if step == 0:   # no optimizer.step() before it: PyTorch's ordering warning, once
            with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
                sched.step()
        else:
            sched.step()
    assert seen == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01])


# ----------------------------------------------------------------------------- drawn hyper-parameters

from hypothesis import given, settings, strategies as st  # noqa: E402


@requires_torch
@settings(max_examples=30, deadline=None)
@given(lr=st.floats(1e-4, 1.0), momentum=st.sampled_from([0.0, 0.5, 0.9, 0.99]),
       dampening=st.sampled_from([0.0, 0.1, 0.5]), nesterov=st.booleans(),
       weight_decay=st.sampled_from([0.0, 1e-4, 0.1]), maximize=st.booleans())
def test_sgd_matches_torch_for_drawn_settings(lr, momentum, dampening, nesterov, weight_decay,
                                              maximize):
    if nesterov and (momentum == 0 or dampening != 0):
        nesterov = False                               # an invalid combination in both libraries
    kwargs = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                  weight_decay=weight_decay, maximize=maximize)
    for a, b in zip(run_steps(teachnn, optim.SGD, kwargs), run_steps(torch, torch.optim.SGD, kwargs)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-13)


@requires_torch
@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(["Adam", "AdamW"]), lr=st.floats(1e-4, 0.5),
       beta1=st.sampled_from([0.0, 0.5, 0.9]), beta2=st.sampled_from([0.9, 0.99, 0.999]),
       eps=st.sampled_from([1e-8, 1e-3]), weight_decay=st.sampled_from([0.0, 0.01, 0.5]),
       amsgrad=st.booleans(), maximize=st.booleans())
def test_adam_matches_torch_for_drawn_settings(name, lr, beta1, beta2, eps, weight_decay, amsgrad,
                                               maximize):
    kwargs = dict(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
                  amsgrad=amsgrad, maximize=maximize)
    ours = run_steps(teachnn, getattr(optim, name), kwargs)
    theirs = run_steps(torch, getattr(torch.optim, name), kwargs)
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-11, atol=1e-13)


@requires_torch
@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.01, amsgrad=True)),
                                         ("AdamW", dict(lr=0.01))])
def test_a_torch_optimizer_state_loads_and_continues_identically(name, kwargs):
    torch_params = make_params(torch)
    torch_opt = getattr(torch.optim, name)(torch_params, **kwargs)

    def feed(lib, params, step):
        for p, g in zip(params, gradients(step)):
            p.grad = lib.from_numpy(g.copy())

    for step in range(3):
        feed(torch, torch_params, step)
        torch_opt.step()
    ours_params = [nn.Parameter(teachnn.from_numpy(p.detach().numpy().copy())) for p in torch_params]
    ours_opt = getattr(optim, name)(ours_params, **kwargs)
    ours_opt.load_state_dict(torch_opt.state_dict())
    for step in range(3, 5):
        feed(torch, torch_params, step)
        torch_opt.step()
        feed(teachnn, ours_params, step)
        ours_opt.step()
    for a, b in zip(ours_params, torch_params):
        np.testing.assert_allclose(a._data, b.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_step_between_forward_and_backward_is_caught_like_torch():
    # the weight is saved for backward by the multiplication; step() changes it in place
    for lib, lib_optim in [(teachnn, optim)] + ([(torch, torch.optim)] if torch else []):
        w = lib.nn.Parameter(lib.from_numpy(np.array([1.0, 2.0])))
        x = lib.from_numpy(np.array([3.0, 4.0])).requires_grad_()
        opt = lib_optim.SGD([w], lr=0.1)
        w.grad = lib.from_numpy(np.array([1.0, 1.0]))
        loss = (w * x).sum()
        opt.step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


# ----------------------------------------------------------------------------- a textbook reference

def reference_sgd(values, grads_per_step, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False, maximize=False):
    """SGD written from the documentation's pseudo-code, one number at a time."""
    values = [float(v) for v in values]
    buffers = [None] * len(values)
    history = []
    for grads in grads_per_step:
        for i, g in enumerate(grads):
            if g is None:
                continue
            g = -g if maximize else g
            g = g + weight_decay * values[i]
            if momentum:
                buffers[i] = g if buffers[i] is None else momentum * buffers[i] + (1 - dampening) * g
                g = g + momentum * buffers[i] if nesterov else buffers[i]
            values[i] = values[i] - lr * g
        history.append(list(values))
    return history


def reference_adam(values, grads_per_step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False, maximize=False, decoupled=False):
    """Adam / AdamW from the documentation's pseudo-code (m_hat, v_hat written out)."""
    beta1, beta2 = betas
    values = [float(v) for v in values]
    m = [0.0] * len(values)
    v = [0.0] * len(values)
    v_max = [0.0] * len(values)
    steps = [0] * len(values)
    history = []
    for grads in grads_per_step:
        for i, g in enumerate(grads):
            if g is None:
                continue
            steps[i] += 1
            t = steps[i]
            g = -g if maximize else g
            if decoupled:
                values[i] *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * values[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            m_hat = m[i] / (1 - beta1 ** t)
            if amsgrad:
                v_max[i] = max(v_max[i], v[i])
                v_hat = v_max[i] / (1 - beta2 ** t)
            else:
                v_hat = v[i] / (1 - beta2 ** t)
            values[i] -= lr * m_hat / (v_hat ** 0.5 + eps)
        history.append(list(values))
    return history


def run_flat(opt_class, kwargs, start, grads_per_step):
    """Run the teachnn optimiser on one parameter per entry of ``start``."""
    params = [nn.Parameter(teachnn.from_numpy(np.array(v, dtype=np.float64))) for v in start]
    opt = opt_class(params, **kwargs)
    history = []
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = None if g is None else teachnn.from_numpy(np.array(g, dtype=np.float64))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*found no gradient")   # all-None steps
            opt.step()
        history.append([float(p._data) for p in params])
    return history


@settings(max_examples=30, deadline=None)
@given(data=st.data(), momentum=st.sampled_from([0.0, 0.9]), dampening=st.sampled_from([0.0, 0.5]),
       nesterov=st.booleans(), weight_decay=st.sampled_from([0.0, 0.1]), maximize=st.booleans())
def test_sgd_matches_the_textbook_reference(data, momentum, dampening, nesterov, weight_decay,
                                            maximize):
    if nesterov and (momentum == 0 or dampening != 0):
        nesterov = False
    numbers = st.floats(-3, 3, allow_nan=False)
    start = data.draw(st.lists(numbers, min_size=1, max_size=4))
    grads = data.draw(st.lists(st.lists(st.one_of(st.none(), numbers), min_size=len(start),
                                        max_size=len(start)), min_size=1, max_size=5))
    kwargs = dict(lr=0.1, momentum=momentum, dampening=dampening, nesterov=nesterov,
                  weight_decay=weight_decay, maximize=maximize)
    np.testing.assert_allclose(run_flat(optim.SGD, kwargs, start, grads),
                               reference_sgd(start, grads, **kwargs), rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), name=st.sampled_from(["Adam", "AdamW"]), amsgrad=st.booleans(),
       weight_decay=st.sampled_from([0.0, 0.1]), maximize=st.booleans(),
       eps=st.sampled_from([1e-8, 1e-2]))
def test_adam_matches_the_textbook_reference(data, name, amsgrad, weight_decay, maximize, eps):
    numbers = st.floats(-3, 3, allow_nan=False)
    start = data.draw(st.lists(numbers, min_size=1, max_size=4))
    grads = data.draw(st.lists(st.lists(st.one_of(st.none(), numbers), min_size=len(start),
                                        max_size=len(start)), min_size=1, max_size=5))
    kwargs = dict(lr=0.05, betas=(0.8, 0.95), eps=eps, weight_decay=weight_decay,
                  amsgrad=amsgrad, maximize=maximize)
    expected = reference_adam(start, grads, decoupled=(name == "AdamW"), **kwargs)
    np.testing.assert_allclose(run_flat(getattr(optim, name), kwargs, start, grads), expected,
                               rtol=1e-9, atol=1e-9)


OTHER_CASES = [("RMSprop", dict()), ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5)),
               ("RMSprop", dict(lr=0.01, centered=True, weight_decay=0.1, maximize=True)),
               ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, eps=1e-3)),
               ("Adagrad", dict()), ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1)),
               ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, maximize=True))]


@requires_torch
@pytest.mark.parametrize("name,kwargs", OTHER_CASES)
def test_rmsprop_and_adagrad_match_torch_step_by_step(name, kwargs):
    ours = run_steps(teachnn, getattr(optim, name), kwargs)
    theirs = run_steps(torch, getattr(torch.optim, name), kwargs)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14, err_msg=f"step {step}")


def test_adagrad_by_hand():
    p = nn.Parameter(teachnn.from_numpy(np.array([1.0])))
    opt = optim.Adagrad([p], lr=0.5, lr_decay=0.1, initial_accumulator_value=1.0, eps=0.0)
    value, total = 1.0, 1.0
    for t, g in enumerate([2.0, -1.0, 0.5], start=1):
        p.grad = teachnn.from_numpy(np.array([g]))
        opt.step()
        total += g * g
        value -= 0.5 / (1 + (t - 1) * 0.1) * g / total ** 0.5
        assert float(p._data[0]) == pytest.approx(value, rel=1e-14)


def test_rmsprop_centered_by_hand():
    p = nn.Parameter(teachnn.from_numpy(np.array([0.0])))
    opt = optim.RMSprop([p], lr=0.1, alpha=0.5, eps=0.0, centered=True)
    value, square, mean = 0.0, 0.0, 0.0
    for g in [1.0, 3.0]:
        p.grad = teachnn.from_numpy(np.array([g]))
        opt.step()
        square = 0.5 * square + 0.5 * g * g
        mean = 0.5 * mean + 0.5 * g
        value -= 0.1 * g / (square - mean * mean) ** 0.5
        assert float(p._data[0]) == pytest.approx(value, rel=1e-14)


def test_step_without_any_gradient_warns_once():
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = model.weight._data.copy()
    with pytest.warns(UserWarning, match="found no gradient.*loss.backward\\(\\) before"):
        opt.step()
    np.testing.assert_array_equal(model.weight._data, before)       # nothing changed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()                                                # only once per optimiser
        model(teachnn.from_numpy(np.ones((1, 2), np.float32))).sum().backward()
        optim.Adam(model.parameters()).step()                     # grads present: silent


# ---------------------------------------------------------------- PyTorch's implementation switches
@requires_torch
@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=1e-3)), ("AdamW", dict(lr=1e-3, amsgrad=True)),
    ("RMSprop", dict(lr=1e-2, centered=True)), ("Adagrad", dict(lr=1e-2)),
    ("SGD", dict(lr=0.1, foreach=False)), ("Adam", dict(lr=1e-3, fused=True)),
])
def test_print_and_param_group_keys_match_torch(name, kwargs):
    ours = getattr(teachnn.optim, name)([teachnn.nn.Parameter(teachnn.ones(2))], **kwargs)
    theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))], **kwargs)
    assert repr(ours) == repr(theirs)                       # print(optimizer) reads the same
    assert list(ours.state_dict()["param_groups"][0]) == list(theirs.state_dict()["param_groups"][0])
    assert ours.defaults == theirs.defaults


def test_implementation_switches_change_nothing_or_refuse():
    def run(**switches):
        w = teachnn.nn.Parameter(teachnn.tensor([1.0, -2.0, 3.0]))
        opt = teachnn.optim.Adam([w], lr=0.1, **switches)
        for _ in range(3):
            opt.zero_grad()
            (w * w).sum().backward()
            opt.step()
        return w._data.copy()
    np.testing.assert_array_equal(run(foreach=True, fused=True), run())
    with pytest.raises(NotImplementedError, match="differentiable=False"):
        teachnn.optim.SGD([teachnn.nn.Parameter(teachnn.ones(1))], lr=0.1, differentiable=True)
    with pytest.raises(NotImplementedError, match="CPU only"):
        teachnn.optim.RMSprop([teachnn.nn.Parameter(teachnn.ones(1))], capturable=True)
    with pytest.raises(TypeError, match="foreach must be None, True or False"):
        teachnn.optim.Adagrad([teachnn.nn.Parameter(teachnn.ones(1))], foreach="yes")


# ---------------------------------------------------------------- ReduceLROnPlateau
from teachnn.optim.lr_scheduler import ReduceLROnPlateau  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402


def test_reduce_lr_on_plateau_hand_example():
    p = nn.Parameter(teachnn.zeros(1))
    opt = optim.SGD([p], lr=1.0)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1)
    # better, better, bad, bad, bad(>2 -> halve, cooldown 1), bad(cooldown: not counted), bad, bad, bad(-> halve)
    losses = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]
    expected = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]
    got = []
    for loss in losses:
        sched.step(loss)
        got.append(opt.param_groups[0]["lr"])
    assert got == expected
    assert sched.get_last_lr() == [0.25] and sched.best == 0.9 and sched.last_epoch == 9
    # 'max' mode with an absolute threshold, a floor, and a tensor as the metric
    opt = optim.SGD([p], lr=0.1)
    sched = ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.05,
                              threshold_mode="abs", min_lr=0.005)
    for acc in (0.5, 0.54, 0.60, 0.61):            # 0.54 and 0.61 are not better by 0.05
        sched.step(teachnn.tensor(acc))
    assert opt.param_groups[0]["lr"] == pytest.approx(0.005)   # 0.1 -> 0.01 -> max(0.001, 0.005)


def test_reduce_lr_on_plateau_errors():
    opt = optim.SGD([nn.Parameter(teachnn.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode maximum is unknown"):
        ReduceLROnPlateau(opt, mode="maximum")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])
    with pytest.raises(TypeError, match="not an Optimizer"):
        ReduceLROnPlateau([1, 2])


@requires_torch
@settings(max_examples=30, deadline=None)
@given(metrics=st.lists(st.sampled_from([1.0, 0.99, 0.98, 0.9, 0.5, 1.2, 0.97]), min_size=1, max_size=25),
       mode=st.sampled_from(["min", "max"]), threshold_mode=st.sampled_from(["rel", "abs"]),
       patience=st.integers(0, 3), cooldown=st.integers(0, 2), factor=st.sampled_from([0.1, 0.5, 0.9]),
       min_lr=st.sampled_from([0.0, 1e-3, [1e-3, 0.05]]))
def test_reduce_lr_on_plateau_matches_torch(metrics, mode, threshold_mode, patience, cooldown, factor, min_lr):
    kwargs = dict(mode=mode, factor=factor, patience=patience, threshold=0.015,
                  threshold_mode=threshold_mode, cooldown=cooldown, min_lr=min_lr)
    ours_opt = optim.SGD([{"params": [nn.Parameter(teachnn.zeros(1))]},
                          {"params": [nn.Parameter(teachnn.zeros(1))], "lr": 0.3}], lr=0.1)
    torch_opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]},
                                 {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.3}], lr=0.1)
    ours = ReduceLROnPlateau(ours_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **kwargs)
    for m in metrics:
        ours.step(m)
        theirs.step(m)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter, ours.last_epoch) == \
            (theirs.best, theirs.num_bad_epochs, theirs.cooldown_counter, theirs.last_epoch)
