"""teachnn.distributions against torch.distributions: log-probabilities and their gradients,
entropy, moments, reparameterised samples, validation errors; samples by their statistics
(the random numbers themselves are NumPy's, not PyTorch's)."""
import numpy as np
import pytest

import teachnn
from tests.parity import assert_parity, requires_torch, torch

pytestmark = requires_torch

RNG = np.random.default_rng(0)
LOC, SCALE = RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2.0, (2, 3))
VALUE = RNG.standard_normal((4, 2, 3))
PROBS = RNG.uniform(0.1, 1.0, (2, 4))


def _d(lib):
    return lib.distributions


@pytest.mark.parametrize("what", ["log_prob", "entropy", "cdf", "moments"])
def test_normal_matches_pytorch(what):
    def fn(lib, loc, scale, value):
        dist = _d(lib).Normal(loc, scale)
        if what == "log_prob":
            return dist.log_prob(value)
        if what == "cdf":
            return dist.cdf(value)
        if what == "entropy":
            return dist.entropy()
        return lib.stack([dist.mean, dist.variance, dist.stddev])
    assert_parity(fn, [LOC, SCALE, VALUE], grad_inputs=[0, 1])


def test_uniform_bernoulli_categorical_multinomial_match_pytorch():
    low, high = LOC, LOC + SCALE
    assert_parity(lambda lib, lo, hi, v: _d(lib).Uniform(lo, hi).log_prob(lib.clamp(v, lo, hi - 1e-6)),
                  [low, high, VALUE], grad_inputs=[0, 1])
    assert_parity(lambda lib, lo, hi: lib.stack([_d(lib).Uniform(lo, hi).entropy(),
                                                 _d(lib).Uniform(lo, hi).mean,
                                                 _d(lib).Uniform(lo, hi).variance]), [low, high])
    p = RNG.uniform(0.05, 0.95, (2, 3))
    coin = (RNG.random((4, 2, 3)) < 0.5).astype(np.float64)
    assert_parity(lambda lib, p, v: _d(lib).Bernoulli(probs=p).log_prob(v) + _d(lib).Bernoulli(p).entropy(),
                  [p, coin], grad_inputs=[0])
    assert_parity(lambda lib, l, v: _d(lib).Bernoulli(logits=l).log_prob(v) * 2 + _d(lib).Bernoulli(logits=l).probs,
                  [LOC, coin], grad_inputs=[0])
    classes = RNG.integers(0, 4, (5, 2))
    assert_parity(lambda lib, p, c: _d(lib).Categorical(probs=p).log_prob(c) + _d(lib).Categorical(p).entropy(),
                  [PROBS, classes], grad_inputs=[0])
    assert_parity(lambda lib, l, c: _d(lib).Categorical(logits=l).log_prob(c) + _d(lib).Categorical(logits=l).probs.sum(),
                  [PROBS, classes], grad_inputs=[0])
    counts = np.array([[3.0, 0.0, 5.0, 2.0], [1.0, 1.0, 0.0, 8.0]])
    assert_parity(lambda lib, p, c: _d(lib).Multinomial(10, probs=p).log_prob(c), [PROBS, counts], grad_inputs=[0])
    assert_parity(lambda lib, p: lib.stack([_d(lib).Multinomial(10, p).mean, _d(lib).Multinomial(10, p).variance]),
                  [PROBS])


def test_rsample_carries_the_gradient_of_the_reparameterisation():
    loc = teachnn.tensor([1.0, -2.0], requires_grad=True)
    scale = teachnn.tensor([0.5, 3.0], requires_grad=True)
    teachnn.manual_seed(0)
    x = teachnn.distributions.Normal(loc, scale).rsample((1000,))
    x.sum().backward()
    teachnn.manual_seed(0)
    eps = teachnn.randn(1000, 2)                    # the same draw rsample made
    np.testing.assert_allclose(loc.grad.numpy(), [1000.0, 1000.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0).numpy(), rtol=1e-5)
    assert teachnn.distributions.Normal(loc, scale).sample().grad_fn is None
    u = teachnn.distributions.Uniform(teachnn.tensor(0.0, requires_grad=True), 2.0).rsample((5,))
    assert u.requires_grad and bool(((u >= 0) & (u < 2)).all())


def test_samples_have_pytorchs_shapes_dtypes_and_the_right_statistics():
    teachnn.manual_seed(3)
    fair = teachnn.ones(6) / 6
    specs = [
        (lambda lib: _d(lib).Multinomial(10, lib.ones(6) / 6).sample((500,))),
        (lambda lib: _d(lib).Categorical(lib.tensor([[0.2, 0.8], [0.5, 0.5]])).sample((7,))),
        (lambda lib: _d(lib).Bernoulli(lib.tensor([0.1, 0.9])).sample((3,))),
        (lambda lib: _d(lib).Normal(lib.zeros(2), 1.0).sample((4,))),
    ]
    for make in specs:
        a, b = make(torch), make(teachnn)
        assert tuple(b.shape) == tuple(a.shape) and str(b.dtype)[8:] == str(a.dtype)[6:]
    counts = teachnn.distributions.Multinomial(10, fair).sample((2000,))
    assert bool((counts.sum(1) == 10).all())
    np.testing.assert_allclose((counts.sum(0) / counts.sum()).numpy(), [1 / 6] * 6, atol=0.01)
    draws = teachnn.distributions.Categorical(teachnn.tensor([0.2, 0.3, 0.5])).sample((20000,))
    np.testing.assert_allclose(np.bincount(draws.numpy(), minlength=3) / 20000, [0.2, 0.3, 0.5], atol=0.015)
    x = teachnn.distributions.Normal(2.0, 3.0).sample((20000,))
    assert abs(float(x.mean()) - 2.0) < 0.1 and abs(float(x.std()) - 3.0) < 0.1


def test_invalid_arguments_raise_pytorchs_errors():
    cases = [lambda lib: _d(lib).Normal(0.0, -1.0),
             lambda lib: _d(lib).Bernoulli(probs=0.3, logits=0.1),
             lambda lib: _d(lib).Bernoulli(1.5),
             lambda lib: _d(lib).Bernoulli(0.3).log_prob(lib.tensor(0.5)),
             lambda lib: _d(lib).Categorical(lib.ones(3)).log_prob(lib.tensor(3)),
             lambda lib: _d(lib).Uniform(0.0, 1.0).log_prob(lib.tensor(2.0)),
             lambda lib: _d(lib).Categorical(lib.tensor(1.0))]
    for make in cases:
        with pytest.raises(Exception) as expected:
            make(torch)
        with pytest.raises(type(expected.value)) as got:
            make(teachnn)
        assert str(got.value).replace("teachnn.", "torch.") == str(expected.value)
    for make in [lambda lib: _d(lib).Normal(0.0, 1.0), lambda lib: _d(lib).Normal(lib.zeros(2), lib.ones(2)),
                 lambda lib: _d(lib).Bernoulli(0.3), lambda lib: _d(lib).Categorical(lib.ones(3))]:
        assert repr(make(teachnn)).replace("teachnn.", "torch.") == repr(make(torch))
