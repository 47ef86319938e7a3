"""Every optimiser and scheduler of teachnn.optim against PyTorch's, step by step.

Oracles: PyTorch itself (float64 parameters fed identical gradients must agree to ~1e-12;
learning-rate sequences must agree exactly), plus a few hand-worked sequences that hold
without PyTorch installed.
"""
from __future__ import annotations

import importlib
import math
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import teachnn
from teachnn import optim
from tests.parity import requires_torch, torch

# the scheduler tests step optimisers without gradients on purpose (only the lr matters)
pytestmark = pytest.mark.filterwarnings("ignore:.*found no gradient:UserWarning")

SHAPES = [(3, 4), (5,), ()]
STEPS = 8


def make_params(lib, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.nn.Parameter(lib.from_numpy(rng.standard_normal(s))) for s in SHAPES]


def set_grads(lib, params, step):
    rng = np.random.default_rng(100 + step)
    for p, s in zip(params, SHAPES):
        p.grad = lib.from_numpy(rng.standard_normal(s))
    if step == 2:
        params[2].grad = None                 # a parameter without gradient is left alone


def make_optimizer(lib_optim, name, params, kwargs, group_lr=None):
    if group_lr is None:
        return getattr(lib_optim, name)(params, **kwargs)
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": group_lr}]
    return getattr(lib_optim, name)(groups, **kwargs)


def run(lib, lib_optim, name, kwargs, steps=STEPS, group_lr=None):
    params = make_params(lib)
    opt = make_optimizer(lib_optim, name, params, kwargs, group_lr)
    history = []
    for step in range(steps):
        set_grads(lib, params, step)
        opt.step()
        history.append([np.array(p.detach().numpy(), copy=True) for p in params])
    return history, opt


def assert_same_history(ours, theirs):
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for k, (x, y) in enumerate(zip(a, b)):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14,
                                       err_msg=f"parameter {k} after step {step + 1}")


def to_array(value):
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, teachnn.Tensor):
        return np.asarray(value._data)
    return np.asarray(value)


# every option of every optimiser, alone and mixed (the existing ones too)
CASES = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4)),
    ("Adadelta", dict(weight_decay=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-3)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.9), momentum_decay=0.05)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9))),             # rho_t > 5 from step 5: both branches
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True,
                   maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(0.01, 0.2))),
    ("Rprop", dict(lr=0.05, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=3)),    # averaging starts at step 4
    ("ASGD", dict(lr=0.05, t0=0, weight_decay=0.1, maximize=True)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.1, beta2_decay=-0.5, eps=(1e-30, 1e-2), d=1.5)),
    ("Adafactor", dict(lr=0.5, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1,
                     maximize=True)),
]
NEW = ["Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD", "Adafactor"]


@requires_torch
@pytest.mark.parametrize("name,kwargs", CASES)
def test_steps_match_torch(name, kwargs):
    ours, our_opt = run(teachnn, optim, name, kwargs, group_lr=0.003)
    theirs, their_opt = run(torch, torch.optim, name, kwargs, group_lr=0.003)
    assert_same_history(ours, theirs)
    # the optimiser state: same keys, same dtypes (float32 step counters), same values
    ours_state, theirs_state = our_opt.state_dict(), their_opt.state_dict()
    assert ours_state["param_groups"] == theirs_state["param_groups"]
    assert ours_state["state"].keys() == theirs_state["state"].keys()
    for index, their_entry in theirs_state["state"].items():
        our_entry = ours_state["state"][index]
        assert list(our_entry) == list(their_entry)
        for key, value in their_entry.items():
            a, b = to_array(our_entry[key]), to_array(value)
            assert a.dtype == b.dtype, f"state[{index}][{key!r}]: {a.dtype} vs {b.dtype}"
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=f"state {key}")


@requires_torch
@pytest.mark.parametrize("name", ["NAdam", "ASGD", "Adamax", "Adam", "Adagrad", "RMSprop"])
def test_float64_default_dtype_keeps_float64_scalar_state_like_torch(name):
    kwargs = dict(lr=0.05, t0=2) if name == "ASGD" else dict(lr=0.01)
    before = (teachnn.get_default_dtype(), torch.get_default_dtype())
    teachnn.set_default_dtype(teachnn.float64)
    torch.set_default_dtype(torch.float64)
    try:
        ours, our_opt = run(teachnn, optim, name, kwargs)
        theirs, their_opt = run(torch, torch.optim, name, kwargs)
    finally:
        teachnn.set_default_dtype(before[0])
        torch.set_default_dtype(before[1])
    assert_same_history(ours, theirs)
    assert to_array(our_opt.state_dict()["state"][0]["step"]).dtype == np.float64
    assert to_array(their_opt.state_dict()["state"][0]["step"]).dtype == np.float64


@requires_torch
@settings(max_examples=25, deadline=None, derandomize=True)
@given(name=st.sampled_from(NEW[:-1]), lr=st.floats(1e-4, 0.5), beta1=st.floats(0.0, 0.99),
       beta2=st.floats(0.5, 0.999), weight_decay=st.sampled_from([0.0, 0.01, 0.3]),
       flag=st.booleans(), maximize=st.booleans())
def test_drawn_hyper_parameters_match_torch(name, lr, beta1, beta2, weight_decay, flag, maximize):
    kwargs = dict(lr=lr, maximize=maximize)
    if name in ("Adamax", "NAdam", "RAdam"):
        kwargs.update(betas=(beta1, beta2), weight_decay=weight_decay)
        if name != "Adamax":
            kwargs["decoupled_weight_decay"] = flag
    elif name == "Adadelta":
        kwargs.update(rho=beta2, weight_decay=weight_decay)
    elif name == "Rprop":
        kwargs.update(etas=(beta1 / 2 + 0.01, 1 + beta2), step_sizes=(1e-3, 1.0))
    else:
        kwargs.update(lambd=beta1 / 10, alpha=beta2, t0=3 if flag else 1e6,
                      weight_decay=weight_decay)
    ours, _ = run(teachnn, optim, name, kwargs, steps=5)
    theirs, _ = run(torch, torch.optim, name, kwargs, steps=5)
    assert_same_history(ours, theirs)


@requires_torch
@pytest.mark.parametrize("name,kwargs", [
    ("Adadelta", dict(weight_decay=0.1)), ("Adamax", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01)), ("Rprop", dict(lr=0.1)), ("ASGD", dict(lr=0.05, t0=2)),
    ("Adafactor", dict(eps=(1e-30, 1e-3))),
])
def test_repr_signature_and_state_dict_match_torch(name, kwargs):
    import inspect
    ours = getattr(optim, name)([teachnn.nn.Parameter(teachnn.ones(2))], **kwargs)
    theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))], **kwargs)
    assert repr(ours) == repr(theirs)                         # print(optimizer)
    assert ours.defaults == theirs.defaults                   # names, defaults, key order
    assert list(ours.defaults) == list(theirs.defaults)
    ours_sig = inspect.signature(type(ours).__init__).parameters
    theirs_sig = inspect.signature(type(theirs).__init__).parameters
    assert [(p.name, p.kind, p.default) for p in ours_sig.values()] == \
           [(p.name, p.kind, p.default) for p in theirs_sig.values()]


@requires_torch
@pytest.mark.parametrize("name,kwargs", [
    ("Adadelta", dict(lr=0.5)), ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9))), ("Rprop", dict(lr=0.1)),
    ("ASGD", dict(lr=0.05, t0=2)), ("Adafactor", dict(lr=0.1)),
])
def test_state_dict_resumes_identically_from_ours_and_from_torch(name, kwargs):
    # four steps on both sides; then each state_dict is loaded into fresh optimisers (a PyTorch
    # one, and teachnn ones from PyTorch's dict and, through pickle, from teachnn's own), which
    # continue for four more steps. Loading casts floating state such as NAdam's mu_product
    # to the parameters' dtype, so the resumed PyTorch optimiser is the oracle.
    torch_params = make_params(torch)
    torch_opt = getattr(torch.optim, name)(torch_params, **kwargs)
    ours_params = make_params(teachnn)
    ours_opt = getattr(optim, name)(ours_params, **kwargs)
    for step in range(4):
        set_grads(torch, torch_params, step)
        torch_opt.step()
        set_grads(teachnn, ours_params, step)
        ours_opt.step()

    def fresh(lib, lib_optim, params, state_dict):
        copies = [lib.nn.Parameter(lib.from_numpy(np.array(p.detach().numpy(), copy=True)))
                  for p in params]
        opt = getattr(lib_optim, name)(copies, **kwargs)
        opt.load_state_dict(state_dict)
        return copies, opt

    runs = [fresh(torch, torch.optim, torch_params, torch_opt.state_dict()),
            fresh(teachnn, optim, torch_params, torch_opt.state_dict()),
            fresh(teachnn, optim, ours_params, pickle.loads(pickle.dumps(ours_opt.state_dict())))]
    for step in range(4, 8):
        for (params, opt), lib in zip(runs, (torch, teachnn, teachnn)):
            set_grads(lib, params, step)
            opt.step()
    (torch_resumed, _), (from_torch, _), (resumed, _) = runs
    for a, b, c in zip(from_torch, resumed, torch_resumed):
        np.testing.assert_allclose(a.detach().numpy(), c.detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b.detach().numpy(), c.detach().numpy(), rtol=1e-12, atol=1e-14)


BAD_OPTIMIZER_ARGS = [
    ("Adadelta", dict(lr=-1.0)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(rho=-0.1)),
    ("Adadelta", dict(eps=-1e-6)), ("Adadelta", dict(weight_decay=-0.1)),
    ("Adadelta", dict(lr="0.1")),
    ("Adamax", dict(lr=-1.0)), ("Adamax", dict(betas=(1.0, 0.9))), ("Adamax", dict(betas=(0.9, -0.1))),
    ("Adamax", dict(eps=-1.0)), ("Adamax", dict(weight_decay=-1.0)), ("Adamax", dict(betas=0.9)),
    ("NAdam", dict(momentum_decay=-1e-3)), ("NAdam", dict(betas=(0.9, 1.0))), ("NAdam", dict(lr=-0.1)),
    ("NAdam", dict(weight_decay=-1.0)), ("NAdam", dict(eps=-1.0)),
    ("RAdam", dict(lr=-0.1)), ("RAdam", dict(betas=(-0.1, 0.9))), ("RAdam", dict(weight_decay=-1.0)),
    ("RAdam", dict(eps=-1.0)),
    ("Rprop", dict(lr=-0.1)), ("Rprop", dict(etas=(1.2, 0.5))), ("Rprop", dict(etas=(0.0, 1.2))),
    ("Rprop", dict(etas=(0.5, 1.0))), ("Rprop", dict(etas=0.5)),
    ("ASGD", dict(lr=-0.1)), ("ASGD", dict(weight_decay=-0.1)),
    ("ASGD", dict(lr=0.1, nesterov=True)), ("NAdam", dict(amsgrad=True)),     # unknown keyword
    ("Adafactor", dict(lr=-0.1)), ("Adafactor", dict(beta2_decay=0.5)), ("Adafactor", dict(d=0.5)),
    ("Adafactor", dict(eps=(-1.0, 1e-3))), ("Adafactor", dict(eps=(None, -1.0))),
    ("Adafactor", dict(weight_decay=-1.0)),
    ("SGD", dict(lr=-0.1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1.0)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(betas=(0.9, 1.0))), ("Adam", dict(eps=-1.0)), ("AdamW", dict(weight_decay=-0.1)),
    ("RMSprop", dict(alpha=-0.1)), ("RMSprop", dict(momentum=-0.1)), ("RMSprop", dict(eps=-1.0)),
    ("Adagrad", dict(lr_decay=-0.1)), ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adagrad", dict(eps=-1.0)),
]


@requires_torch
@pytest.mark.parametrize("name,kwargs", BAD_OPTIMIZER_ARGS)
def test_invalid_arguments_raise_torchs_exception_type(name, kwargs):
    with pytest.raises(Exception) as theirs:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))], **kwargs)
    with pytest.raises(theirs.type) as ours:
        getattr(optim, name)([teachnn.nn.Parameter(teachnn.ones(2))], **kwargs)
    # the teaching text: which argument, and the value that was given
    text = str(ours.value)
    if theirs.type is ValueError:
        assert text.startswith(str(theirs.value).split(":")[0])
        if name in NEW[:-1]:          # (Adafactor's messages already say "should be >= 0")
            assert "(" in text, "the message explains the allowed range"


def test_bad_arguments_are_explained_without_torch():
    w = [teachnn.nn.Parameter(teachnn.ones(2))]
    with pytest.raises(ValueError, match=r"Invalid rho value: 1.5 \(rho is the decay"):
        optim.Adadelta(w, rho=1.5)
    with pytest.raises(ValueError, match=r"Invalid eta values: 1.2, 0.5 .*0 < etaminus < 1 < etaplus"):
        optim.Rprop(w, etas=(1.2, 0.5))
    with pytest.raises(ValueError, match="Invalid momentum_decay value: -1"):
        optim.NAdam(w, momentum_decay=-1)
    with pytest.raises(TypeError, match="betas must be a pair"):
        optim.RAdam(w, betas=0.9)
    with pytest.raises(NotImplementedError, match="CPU only"):
        optim.ASGD(w, capturable=True)


# ----------------------------------------------------------------------------- hand-worked steps

def test_rprop_by_hand():
    # entry 0: gradient keeps its sign, the step grows 0.1 -> 0.12; entry 1: the sign flips,
    # the step shrinks 0.1 -> 0.05 and the entry rests; entry 2: zero gradient, step kept
    p = teachnn.nn.Parameter(teachnn.tensor([0.0, 0.0, 0.0], dtype=teachnn.float64))
    opt = optim.Rprop([p], lr=0.1)
    p.grad = teachnn.tensor([1.0, 1.0, 0.0], dtype=teachnn.float64)
    opt.step()
    np.testing.assert_allclose(p._data, [-0.1, -0.1, 0.0])
    p.grad = teachnn.tensor([2.0, -3.0, 0.0], dtype=teachnn.float64)
    opt.step()
    np.testing.assert_allclose(p._data, [-0.22, -0.1, 0.0])
    np.testing.assert_allclose(opt.state[p]["step_size"]._data, [0.12, 0.05, 0.1])
    np.testing.assert_allclose(opt.state[p]["prev"]._data, [2.0, 0.0, 0.0])


def test_adadelta_first_step_by_hand():
    p = teachnn.nn.Parameter(teachnn.tensor([1.0], dtype=teachnn.float64))
    opt = optim.Adadelta([p], lr=1.0, rho=0.9, eps=1e-6)
    p.grad = teachnn.tensor([2.0], dtype=teachnn.float64)
    opt.step()
    v = 0.1 * 4.0                                   # (1 - rho) g²
    delta = math.sqrt(1e-6) / math.sqrt(v + 1e-6) * 2.0
    np.testing.assert_allclose(p._data, [1.0 - delta], rtol=1e-14)
    np.testing.assert_allclose(opt.state[p]["acc_delta"]._data, [0.1 * delta * delta], rtol=1e-14)


def test_radam_first_steps_are_momentum_sgd():
    # rho_t <= 5 for the first steps with beta2 = 0.999: p -= lr * m_hat, and m_hat = g at step 1
    p = teachnn.nn.Parameter(teachnn.tensor([1.0, -1.0], dtype=teachnn.float64))
    opt = optim.RAdam([p], lr=0.1)
    p.grad = teachnn.tensor([0.5, 2.0], dtype=teachnn.float64)
    opt.step()
    np.testing.assert_allclose(p._data, [0.95, -1.2], rtol=1e-14)


# ----------------------------------------------------------------------------- schedulers

SCHEDULERS = {
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda epoch: 0.9 ** epoch),
    "LambdaLR per group": lambda S, o: S.LambdaLR(o, [lambda e: 1 / (1 + e), lambda e: 0.95 ** e]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 1.01]),
    "StepLR": lambda S, o: S.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=6),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=10),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=12, power=2.0),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3),
    "CosineAnnealingWarmRestarts T_mult=1": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5),
    "CyclicLR triangular": lambda S, o: S.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=4, step_size_down=3),
    "CyclicLR triangular2": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="triangular2"),
    "CyclicLR exp_range": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.97),
    "CyclicLR scale_fn": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=5, scale_fn=lambda x: 0.5 ** x,
                                                 scale_mode="iterations", base_momentum=0.7),
    "OneCycleLR cos": lambda S, o: S.OneCycleLR(o, [0.5, 1.0], total_steps=31),
    "OneCycleLR linear three_phase": lambda S, o: S.OneCycleLR(
        o, 0.5, epochs=4, steps_per_epoch=8, anneal_strategy="linear", three_phase=True, pct_start=0.25),
    "OneCycleLR no momentum": lambda S, o: S.OneCycleLR(o, 0.2, total_steps=40, cycle_momentum=False,
                                                        div_factor=10.0, final_div_factor=100.0),
    "SequentialLR": lambda S, o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=5), S.ExponentialLR(o, 0.9),
                                                    S.CosineAnnealingLR(o, 8)], milestones=[5, 12]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler([S.ConstantLR(o, 0.5, 4), S.ExponentialLR(o, 0.9)]),
}


def scheduled_run(lib, lib_optim, optimizer, make, steps=30, epochs=None):
    """lr, get_last_lr() and momentum/beta1 of both groups before each of ``steps`` steps."""
    params = [lib.nn.Parameter(lib.from_numpy(np.ones(2))) for _ in range(2)]
    kwargs = dict(lr=0.1, momentum=0.9) if optimizer == "SGD" else dict(lr=0.1)
    opt = getattr(lib_optim, optimizer)([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}],
                                        **kwargs)
    sched = make(lib_optim.lr_scheduler, opt)
    seen = []
    for step in range(steps):
        momentum = [g["momentum"] if "momentum" in g else g["betas"][0] for g in opt.param_groups]
        seen.append([g["lr"] for g in opt.param_groups] + list(sched.get_last_lr()) + momentum)
        for p in params:
            p.grad = lib.zeros_like(p)
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # step(epoch)'s deprecation warning
            sched.step() if epochs is None else sched.step(epochs[step])
    return np.array(seen, dtype=float), sched


@requires_torch
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_lr_sequence_matches_torch(name, optimizer):
    ours, our_sched = scheduled_run(teachnn, optim, optimizer, SCHEDULERS[name])
    theirs, their_sched = scheduled_run(torch, torch.optim, optimizer, SCHEDULERS[name])
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0)
    assert getattr(our_sched, "last_epoch", None) == getattr(their_sched, "last_epoch", None)


@requires_torch
@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
                                  "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
                                  "CosineAnnealingWarmRestarts T_mult=1", "LambdaLR"])
def test_step_with_an_epoch_uses_the_closed_form_like_torch(name):
    epochs = [0.5 * k + 1 if name.startswith("Cosine") else (3 * k) % 17 for k in range(20)]
    ours, _ = scheduled_run(teachnn, optim, "SGD", SCHEDULERS[name], steps=20, epochs=epochs)
    theirs, _ = scheduled_run(torch, torch.optim, "SGD", SCHEDULERS[name], steps=20, epochs=epochs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0)


@requires_torch
@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "CyclicLR triangular2", "OneCycleLR no momentum",
                                  "SequentialLR", "ChainedScheduler", "CosineAnnealingWarmRestarts"])
def test_scheduler_state_dict_resumes_like_torch(name):
    # ten steps, save both state_dicts, rebuild, load, ten more: the same lrs as PyTorch's
    def run_resumed(lib, lib_optim):
        params = [lib.nn.Parameter(lib.from_numpy(np.ones(2)))]
        opt = lib_optim.SGD(params, lr=0.1, momentum=0.9)
        sched = SCHEDULERS[name](lib_optim.lr_scheduler, opt)
        for _ in range(10):
            opt.step()
            sched.step()
        saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
        keys = sorted(k for k in saved_sched if k != "_scale_fn_ref")
        params2 = [lib.nn.Parameter(lib.from_numpy(np.ones(2)))]
        opt2 = lib_optim.SGD(params2, lr=0.1, momentum=0.9)
        sched2 = SCHEDULERS[name](lib_optim.lr_scheduler, opt2)
        opt2.load_state_dict(saved_opt)
        sched2.load_state_dict(saved_sched)
        lrs = []
        for _ in range(10):
            opt2.step()
            sched2.step()
            lrs.append(sched2.get_last_lr() + [opt2.param_groups[0]["lr"],
                                               getattr(sched2, "last_epoch", -99)])
        return np.array(lrs, dtype=float), keys

    ours, our_keys = run_resumed(teachnn, optim)
    theirs, their_keys = run_resumed(torch, torch.optim)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0)
    assert our_keys == their_keys                     # the same state_dict entries


def test_reduce_lr_on_plateau_through_chained_or_sequential_is_refused():
    p = [teachnn.nn.Parameter(teachnn.ones(1))]
    opt = optim.SGD(p, lr=0.1)
    S = optim.lr_scheduler
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(opt, 3)], milestones=[])


def _bad_scheduler_cases(S, opt, adagrad):
    return [
        lambda: S.ConstantLR(opt, factor=1.5),
        lambda: S.ConstantLR(opt, factor=-0.1),
        lambda: S.LinearLR(opt, start_factor=0.0),
        lambda: S.LinearLR(opt, end_factor=1.5),
        lambda: S.LambdaLR(opt, [lambda e: 1.0] * 3),
        lambda: S.MultiplicativeLR(opt, 0.9),
        lambda: S.CosineAnnealingWarmRestarts(opt, T_0=0),
        lambda: S.CosineAnnealingWarmRestarts(opt, T_0=2.5),
        lambda: S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=0),
        lambda: S.CosineAnnealingWarmRestarts(opt, T_0=3, eta_min="0"),
        lambda: S.OneCycleLR(opt, 0.1),
        lambda: S.OneCycleLR(opt, 0.1, total_steps=0),
        lambda: S.OneCycleLR(opt, 0.1, epochs=2, steps_per_epoch=0),
        lambda: S.OneCycleLR(opt, 0.1, total_steps=10, pct_start=1.5),
        lambda: S.OneCycleLR(opt, 0.1, total_steps=10, anneal_strategy="cosine"),
        lambda: S.OneCycleLR(opt, [0.1, 0.2], total_steps=10),
        lambda: S.OneCycleLR(adagrad, 0.1, total_steps=10),
        lambda: S.CyclicLR(opt, 0.01, 0.1, mode="triangle"),
        lambda: S.CyclicLR(adagrad, 0.01, 0.1),
        lambda: S.StepLR(opt, 2, last_epoch=5),
        lambda: S.StepLR("optimizer", 2),
        lambda: S.LambdaLR("optimizer", lambda e: 1.0),
        lambda: S.MultiplicativeLR(None, lambda e: 1.0),
        lambda: S.CyclicLR("optimizer", 0.01, 0.1),
        lambda: S.OneCycleLR("optimizer", 0.1, total_steps=10),
        lambda: S.ReduceLROnPlateau("optimizer"),
        lambda: S.SequentialLR(opt, [S.StepLR(opt, 2), "not a scheduler"], milestones=[3]),
        lambda: S.ChainedScheduler([S.StepLR(opt, 2), S.StepLR(adagrad, 2)]),
        lambda: S.SequentialLR(opt, [], milestones=[]),
        lambda: S.ChainedScheduler([]),
        lambda: S.ReduceLROnPlateau(opt, factor=1.0),
        lambda: S.ReduceLROnPlateau(opt, mode="maximum"),
    ]


@requires_torch
def test_invalid_scheduler_arguments_raise_torchs_exception_type():
    def cases(lib, lib_optim):
        opt = lib_optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        adagrad = lib_optim.Adagrad([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        return _bad_scheduler_cases(lib_optim.lr_scheduler, opt, adagrad)

    for k, (ours, theirs) in enumerate(zip(cases(teachnn, optim), cases(torch, torch.optim))):
        with pytest.raises(Exception) as their_error:
            theirs()
        with pytest.raises(their_error.type):
            ours()


@requires_torch
@pytest.mark.parametrize("make", [lambda S, o: S.StepLR(o, 0), lambda S, o: S.CosineAnnealingLR(o, 0),
                                  lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=0)],
                         ids=["StepLR step_size=0", "CosineAnnealingLR T_max=0", "CyclicLR zero cycle"])
def test_zero_length_schedules_fail_like_torch_with_a_reason(make):
    # PyTorch fails with a bare ZeroDivisionError (at creation or first step); same type here,
    # with the argument named
    def first_steps(lib, lib_optim):
        opt = lib_optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1, momentum=0.9)
        sched = make(lib_optim.lr_scheduler, opt)
        opt.step()
        sched.step()

    with pytest.raises(ZeroDivisionError):
        first_steps(torch, torch.optim)
    with pytest.raises(ZeroDivisionError, match="step_size|T_max"):
        first_steps(teachnn, optim)


@requires_torch
def test_one_cycle_stepping_past_total_steps_raises_like_torch():
    for lib, lib_optim in ((teachnn, optim), (torch, torch.optim)):
        opt = lib_optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1, momentum=0.9)
        sched = lib_optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=3)
        for _ in range(3):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 4 times"):
            sched.step()


def test_one_cycle_by_hand():
    # 10 steps, pct_start 0.3: start at max_lr/25, peak max_lr at step 2, end at start/1e4
    p = [teachnn.nn.Parameter(teachnn.ones(1))]
    opt = optim.SGD(p, lr=1.0, momentum=0.9)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=10, anneal_strategy="linear")
    lrs, momenta = [], []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        opt.step()
        if len(lrs) < 10:
            sched.step()
    assert lrs[0] == pytest.approx(0.02)
    assert lrs[1] == pytest.approx(0.26)                 # halfway up the line
    assert lrs[2] == pytest.approx(0.5)
    assert lrs[9] == pytest.approx(0.02 / 1e4)
    assert momenta[0] == pytest.approx(0.95) and momenta[2] == pytest.approx(0.85)
    assert momenta[9] == pytest.approx(0.95)


def test_warm_restarts_and_linear_warmup_by_hand():
    p = [teachnn.nn.Parameter(teachnn.ones(1))]
    opt = optim.SGD(p, lr=1.0)
    sched = optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    lrs = []
    for _ in range(8):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    # cycles of 2 and 4 epochs: restarts (lr back to 1) at epochs 2 and 6
    expected = [1.0, 0.5, 1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5, (1 + math.cos(3 * math.pi / 4)) / 2,
                1.0, (1 + math.cos(math.pi / 8)) / 2]
    np.testing.assert_allclose(lrs, expected, rtol=1e-14, atol=1e-15)

    opt = optim.SGD(p, lr=1.0)
    sched = optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
    lrs = []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(lrs, [0.25, 0.5, 0.75, 1.0, 1.0], rtol=1e-14)
    assert sched.get_last_lr() == [pytest.approx(1.0)]
    assert sched.last_epoch == 5


def test_get_lr_outside_step_warns_like_torch():
    opt = optim.SGD([teachnn.nn.Parameter(teachnn.ones(1))], lr=1.0)
    sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="use `get_last_lr\\(\\)`"):
        sched.get_lr()


# ----------------------------------------------------------------------------- LBFGS

def lbfgs_run(lib, lib_optim, kwargs, steps=3):
    """A small non-quadratic least-squares fit; the loss of every step() and the final weights."""
    rng = np.random.default_rng(0)
    A, b = lib.from_numpy(rng.standard_normal((6, 5))), lib.from_numpy(rng.standard_normal(6))
    w = lib.nn.Parameter(lib.from_numpy(rng.standard_normal(5)))
    c = lib.nn.Parameter(lib.from_numpy(np.array(0.3)))
    opt = lib_optim.LBFGS([w, c], **kwargs)

    def closure():
        opt.zero_grad()
        r = A @ w + c - b
        loss = (r * r).sum() + 0.1 * (w * w * w * w).sum()
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    state = opt.state[w]
    return np.array(losses + list(w.detach().numpy()) + [float(c.detach())]), \
        (state["func_evals"], state["n_iter"], len(state["old_dirs"]))


@requires_torch
@pytest.mark.parametrize("kwargs", [
    dict(max_iter=4), dict(lr=0.5, max_iter=7, history_size=3),
    dict(line_search_fn="strong_wolfe", max_iter=4),
    dict(line_search_fn="strong_wolfe", history_size=2, max_iter=5, max_eval=6),
    dict(max_iter=50, tolerance_change=1e-6, tolerance_grad=1e-4),       # stops on a tolerance
])
def test_lbfgs_matches_torch(kwargs):
    ours, our_counts = lbfgs_run(teachnn, optim, kwargs)
    theirs, their_counts = lbfgs_run(torch, torch.optim, kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-13)
    assert our_counts == their_counts            # the same evaluations, iterations, history


@requires_torch
def test_lbfgs_signature_repr_and_errors_match_torch():
    import inspect
    ours = optim.LBFGS([teachnn.nn.Parameter(teachnn.ones(2))])
    theirs = torch.optim.LBFGS([torch.nn.Parameter(torch.ones(2))])
    assert repr(ours) == repr(theirs) and list(ours.defaults) == list(theirs.defaults)
    assert [p.name for p in inspect.signature(optim.LBFGS.__init__).parameters.values()] == \
           [p.name for p in inspect.signature(torch.optim.LBFGS.__init__).parameters.values()]
    for lib, lib_optim in ((teachnn, optim), (torch, torch.optim)):
        w = lib.nn.Parameter(lib.ones(2))
        with pytest.raises(ValueError, match="Invalid learning rate"):
            lib_optim.LBFGS([w], lr=-1.0)
        with pytest.raises(ValueError, match="doesn't support per-parameter options"):
            lib_optim.LBFGS([{"params": [w]}, {"params": [lib.nn.Parameter(lib.ones(1))]}])
        with pytest.raises(TypeError):
            lib_optim.LBFGS([w]).step()
        opt = lib_optim.LBFGS([w], line_search_fn="backtracking")

        def closure():
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss
        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(closure)


def test_lbfgs_minimises_a_quadratic_exactly():
    # on f(x) = 1/2 x.Ax - b.x (A symmetric positive definite, 3x3) L-BFGS with a line search
    # reaches the solution of Ax = b in a few iterations
    A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
    b = np.array([1.0, -2.0, 0.5])
    x = teachnn.nn.Parameter(teachnn.from_numpy(np.zeros(3)))
    At, bt = teachnn.from_numpy(A), teachnn.from_numpy(b)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                      tolerance_change=0.0)         # stop on the gradient only

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x * (At @ x)).sum() - (bt * x).sum()
        loss.backward()
        return loss
    opt.step(closure)
    np.testing.assert_allclose(x._data, np.linalg.solve(A, b), rtol=1e-9, atol=1e-10)


# ----------------------------------------------------------------------------- published code

def mnist_example_training(torch_like, epochs=3):
    """pytorch/examples mnist/main.py's optimisation (Adadelta(lr=1.0) + StepLR(step_size=1,
    gamma=0.7), nll_loss of log_softmax, optimizer.step() per batch, scheduler.step() per
    epoch) on a small MLP and synthetic data; returns every batch loss and every epoch's lr."""
    nn, F = torch_like.nn, torch_like.nn.functional
    rng = np.random.default_rng(3)
    model = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 4))
    with torch_like.no_grad():
        for p in model.parameters():          # the same starting weights on both sides
            p.copy_(torch_like.from_numpy(rng.standard_normal(tuple(p.shape)) * 0.3))
    data = torch_like.from_numpy(rng.standard_normal((5, 8, 12)))
    target = torch_like.from_numpy(rng.integers(0, 4, size=(5, 8)))
    model = model.double()
    optimizer = torch_like.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch_like.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    losses, lrs = [], []
    for _ in range(epochs):
        for batch in range(5):
            optimizer.zero_grad()
            output = F.log_softmax(model(data[batch]), dim=1)
            loss = F.nll_loss(output, target[batch])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return np.array(losses), np.array(lrs)


@requires_torch
def test_pytorch_examples_mnist_optimisation_runs_unchanged():
    ours = mnist_example_training(teachnn)
    theirs = mnist_example_training(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(ours[1], [0.7, 0.49, 0.343], rtol=1e-15)
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_an_optimizer_with_a_scheduler_pickles_and_copies_like_torch():
    # the scheduler wraps optimizer.step; pickling keeps defaults, state and param_groups only
    import copy
    p = [teachnn.nn.Parameter(teachnn.from_numpy(np.array([1.0, 2.0])))]
    opt = optim.Adam(p, lr=0.1)
    optim.lr_scheduler.StepLR(opt, 2)
    p[0].grad = teachnn.from_numpy(np.array([0.5, -0.5]))
    opt.step()
    for clone in (pickle.loads(pickle.dumps(opt)), copy.deepcopy(opt)):
        assert clone.param_groups[0]["lr"] == 0.1 and clone.param_groups[0]["initial_lr"] == 0.1
        (state,) = clone.state.values()
        np.testing.assert_allclose(state["exp_avg"]._data, [0.05, -0.05], rtol=1e-15)   # (1-0.9) g
        assert state["exp_avg"]._data is not opt.state[p[0]]["exp_avg"]._data
        assert float(state["step"]._data) == 1.0
        assert "_opt_called" not in vars(clone) and "step" not in vars(clone)


# ----------------------------------------------------------------------------- swa_utils

def swa_training(lib, lib_optim, averaging):
    """SGD on a Linear-BatchNorm-ReLU-Linear model; AveragedModel updated and SWALR stepped
    after each epoch; update_bn at the end. Returns the lrs, the averaged state_dict and the
    averaged model's output."""
    swa_utils = lib_optim.swa_utils
    kwargs = {"swa": {}, "swa with buffers": dict(use_buffers=True),
              "ema multi": dict(multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9)),
              "ema": dict(avg_fn=swa_utils.get_ema_avg_fn(0.9))}[averaging]
    rng = np.random.default_rng(1)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2)).double()
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.from_numpy(rng.standard_normal(tuple(p.shape))))
    opt = lib_optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    swa_model = swa_utils.AveragedModel(model, **kwargs)
    scheduler = swa_utils.SWALR(opt, swa_lr=0.02, anneal_epochs=3, anneal_strategy="cos")
    x = lib.from_numpy(rng.standard_normal((4, 8, 4)))
    lrs = []
    for _ in range(4):
        for batch in range(4):
            opt.zero_grad()
            (model(x[batch]) ** 2).mean().backward()
            opt.step()
        swa_model.update_parameters(model)
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    swa_utils.update_bn([(x[b], None) for b in range(4)], swa_model)
    state = {k: np.array(v.detach().numpy()) for k, v in swa_model.state_dict().items()}
    return lrs, state, swa_model(x[0]).detach().numpy()


@requires_torch
@pytest.mark.parametrize("averaging", ["swa", "swa with buffers", "ema multi", "ema"])
def test_averaged_model_swalr_and_update_bn_match_torch(averaging):
    our_lrs, our_state, our_out = swa_training(teachnn, optim, averaging)
    their_lrs, their_state, their_out = swa_training(torch, torch.optim, averaging)
    np.testing.assert_allclose(our_lrs, their_lrs, rtol=1e-15, atol=0)
    assert list(our_state) == list(their_state)          # 'n_averaged', 'module.0.weight', ...
    for key in their_state:
        assert our_state[key].dtype == their_state[key].dtype, key
        np.testing.assert_allclose(our_state[key], their_state[key], rtol=1e-12, atol=1e-13,
                                   err_msg=key)
    np.testing.assert_allclose(our_out, their_out, rtol=1e-12, atol=1e-13)


@requires_torch
@pytest.mark.parametrize("kwargs", [dict(anneal_epochs=0), dict(anneal_epochs=4, anneal_strategy="linear"),
                                    dict(swa_lr=[0.05, 0.5], anneal_epochs=2)])
def test_swalr_sequence_matches_torch(kwargs):
    kwargs = dict(dict(swa_lr=0.05), **kwargs)
    make = lambda S, o: S.SWALR(o, **kwargs)             # noqa: E731
    seqs = []
    for lib, lib_optim in ((teachnn, optim), (torch, torch.optim)):
        params = [lib.nn.Parameter(lib.ones(1)) for _ in range(2)]
        opt = lib_optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1)
        sched = make(lib_optim.swa_utils, opt)
        seq = []
        for _ in range(8):
            seq.append([g["lr"] for g in opt.param_groups])
            opt.step()
            sched.step()
        seqs.append(seq)
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-15, atol=0)


@requires_torch
def test_swa_utils_errors_match_torch():
    def cases(lib, lib_optim):
        swa_utils = lib_optim.swa_utils
        opt = lib_optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        model = lib.nn.Linear(2, 1)
        return [lambda: swa_utils.SWALR(opt, 0.05, anneal_strategy="cosine"),
                lambda: swa_utils.SWALR(opt, 0.05, anneal_epochs=-1),
                lambda: swa_utils.SWALR(opt, 0.05, anneal_epochs=2.5),
                lambda: swa_utils.SWALR(opt, [0.05, 0.1]),
                lambda: swa_utils.SWALR("optimizer", 0.05),
                lambda: swa_utils.get_ema_avg_fn(1.5),
                lambda: swa_utils.get_ema_multi_avg_fn(-0.1),
                lambda: swa_utils.AveragedModel(model, avg_fn=swa_utils.get_swa_avg_fn(),
                                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())]
    for ours, theirs in zip(cases(teachnn, optim), cases(torch, torch.optim)):
        with pytest.raises(Exception) as their_error:
            theirs()
        with pytest.raises(their_error.type):
            ours()


def test_swa_average_by_hand():
    # three weights 1, 2, 6 -> the running mean is 3; EMA with decay 0.5 gives 0.25*1+0.25*2+0.5*6
    model = teachnn.nn.Linear(1, 1, bias=False).double()
    swa = optim.swa_utils.AveragedModel(model)
    ema = optim.swa_utils.AveragedModel(model, multi_avg_fn=optim.swa_utils.get_ema_multi_avg_fn(0.5))
    for w in (1.0, 2.0, 6.0):
        with teachnn.no_grad():
            model.weight.copy_(teachnn.from_numpy(np.full((1, 1), w)))
        swa.update_parameters(model)
        ema.update_parameters(model)
    assert swa.module.weight.item() == pytest.approx(3.0)
    assert ema.module.weight.item() == pytest.approx(0.25 + 0.5 + 3.0)
    assert swa.n_averaged.item() == 3
    assert model.weight.item() == 6.0                       # the trained model is untouched


# ----------------------------------------------------------------------------- hooks

def hook_trace(lib, lib_optim):
    """Every optimiser hook PyTorch has, registered and fired; returns what they saw."""
    seen = []
    w = lib.nn.Parameter(lib.from_numpy(np.array([1.0, -2.0])))
    opt = lib_optim.SGD([w], lr=0.5)
    opt_mod = importlib.import_module(lib_optim.__name__ + ".optimizer")
    handles = [
        opt_mod.register_optimizer_step_pre_hook(lambda o, a, k: seen.append(("global pre", len(a)))),
        opt_mod.register_optimizer_step_post_hook(lambda o, a, k: seen.append(("global post", len(a)))),
        opt.register_step_pre_hook(lambda o, a, k: seen.append(("pre", type(o).__name__, sorted(k)))),
        opt.register_step_post_hook(lambda o, a, k: seen.append(("post", w.detach().numpy().tolist()))),
        opt.register_state_dict_pre_hook(lambda o: seen.append("sd pre")),
        opt.register_state_dict_post_hook(lambda o, sd: dict(sd, extra=1)),
        opt.register_state_dict_post_hook(lambda o, sd: seen.append(("sd post first", "extra" in sd)),
                                          prepend=True),
        opt.register_load_state_dict_pre_hook(lambda o, sd: seen.append(("load pre", sorted(sd)))),
        opt.register_load_state_dict_post_hook(lambda o: seen.append(("load post", o.param_groups[0]["lr"]))),
    ]
    try:
        w.grad = lib.from_numpy(np.array([1.0, 1.0]))
        opt.step(closure=None)
        state = opt.state_dict()
        seen.append(("keys", sorted(state)))
        state["param_groups"][0]["lr"] = 0.25
        opt.load_state_dict(state)
        replace = opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": lambda: 7.0}))
        seen.append(("closure result", opt.step()))
        replace.remove()
        bad = opt.register_step_pre_hook(lambda o, a, k: "not a pair")
        with pytest.raises(RuntimeError, match="must return None or a tuple"):
            opt.step()
        bad.remove()
        for handle in handles[2:4]:
            handle.remove()
        opt.step()                         # only the global hooks are left
    finally:
        for handle in handles[:2]:
            handle.remove()
    seen.append(("final", w.detach().numpy().tolist()))
    return seen


@requires_torch
def test_optimizer_hooks_fire_like_torch():
    ours = hook_trace(teachnn, optim)
    theirs = hook_trace(torch, torch.optim)
    assert ours == theirs
    assert ("post", [0.5, -2.5]) in ours and ("closure result", 7.0) in ours


@requires_torch
@pytest.mark.parametrize("make,suggestion", [
    (lambda lib_optim, ps: lib_optim.SGD(ps, learning_rate=0.1), "lr"),
    (lambda lib_optim, ps: lib_optim.Adam(ps, beta=(0.9, 0.99)), "betas"),
    (lambda lib_optim, ps: lib_optim.NAdam(ps, momentum_decays=0.1), "momentum_decay"),
    (lambda lib_optim, ps: lib_optim.lr_scheduler.StepLR(lib_optim.SGD(ps, lr=0.1), step=3), "step_size"),
    (lambda lib_optim, ps: lib_optim.lr_scheduler.OneCycleLR(lib_optim.SGD(ps, lr=0.1), 0.1,
                                                             total_step=10), "total_steps"),
])
def test_a_misspelt_keyword_suggests_the_right_one(make, suggestion):
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        make(torch.optim, [torch.nn.Parameter(torch.ones(1))])
    with pytest.raises(TypeError, match=f"Did you mean '{suggestion}'"):
        make(optim, [teachnn.nn.Parameter(teachnn.ones(1))])


@requires_torch
@pytest.mark.parametrize("name", NEW)
def test_float32_parameters_stay_float32_and_follow_torch(name):
    def run32(lib, lib_optim):
        rng = np.random.default_rng(0)
        params = [lib.nn.Parameter(lib.from_numpy(rng.standard_normal(s).astype(np.float32)))
                  for s in SHAPES]
        opt = getattr(lib_optim, name)(params)
        for step in range(6):
            g = np.random.default_rng(100 + step)
            for p, s in zip(params, SHAPES):
                p.grad = lib.from_numpy(g.standard_normal(s).astype(np.float32))
            opt.step()
        return [p.detach().numpy().copy() for p in params], opt

    ours, our_opt = run32(teachnn, optim)
    theirs, _ = run32(torch, torch.optim)
    for a, b in zip(ours, theirs):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=2e-7)   # float32 rounding only
    for entry in our_opt.state.values():
        for key, value in entry.items():
            if key not in ("step", "eta", "mu", "mu_product"):
                assert value._data.dtype == np.float32, key


@requires_torch
def test_d2l_learning_rate_scheduling_idioms():
    # d2l.ai "Learning Rate Scheduling": built-in schedulers are told apart from the book's own
    # by `scheduler.__module__ == lr_scheduler.__name__`, and plotted through this get_lr
    def lrs_of(torch_like):
        lr_scheduler = torch_like.optim.lr_scheduler
        net = torch_like.nn.Linear(2, 1)
        trainer = torch_like.optim.SGD(net.parameters(), lr=0.5)
        scheduler = lr_scheduler.MultiStepLR(trainer, milestones=[15, 30], gamma=0.5)
        assert scheduler.__module__ == lr_scheduler.__name__

        def get_lr(trainer, scheduler):
            lr = scheduler.get_last_lr()[0]
            trainer.step()
            scheduler.step()
            return lr
        return [get_lr(trainer, scheduler) for _ in range(40)]

    ours = lrs_of(teachnn)
    assert ours == lrs_of(torch)
    assert ours[14:16] == [0.5, 0.25] and ours[29:31] == [0.25, 0.125]
    for name in optim.lr_scheduler.__all__:
        assert getattr(optim.lr_scheduler, name).__module__ == optim.lr_scheduler.__name__


@requires_torch
@pytest.mark.parametrize("name", NEW + ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_a_tensor_lr_works_like_torch_and_schedulers_update_it_in_place(name):
    # PyTorch accepts lr as a 1-element tensor; a float32 one rounds the step sizes computed
    # from it to float32 there, and here too
    results = []
    for lib, lib_optim in ((teachnn, optim), (torch, torch.optim)):
        params = make_params(lib)
        lr = lib.tensor(0.05)                                     # float32
        opt = getattr(lib_optim, name)(params, lr=lr)
        sched = lib_optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        history = []
        for step in range(5):
            set_grads(lib, params, step)
            opt.step()
            sched.step()
            history.append([np.array(p.detach().numpy(), copy=True) for p in params])
        assert opt.param_groups[0]["lr"] is lr                    # updated in place
        results.append((history, float(lr), [float(v) for v in sched.get_last_lr()]))
    assert_same_history(results[0][0], results[1][0])
    assert results[0][1:] == results[1][1:]
    for lib, lib_optim in ((teachnn, optim), (torch, torch.optim)):
        with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
            getattr(lib_optim, name)(make_params(lib), lr=lib.tensor([0.1, 0.2]))
