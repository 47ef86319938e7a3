"""``teachnn.distributions`` (PyTorch's ``torch.distributions``): a few common distributions
with ``sample``, ``log_prob`` (differentiable in the parameters), ``entropy``, ``mean`` and
``variance``; ``Normal`` and ``Uniform`` also ``rsample`` (the reparameterisation trick).

Random draws come from teachnn's generator (``teachnn.manual_seed``), so they are not
PyTorch's numbers; probabilities and log-probabilities are.
"""
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .multinomial import Multinomial
from .normal import Normal
from .uniform import Uniform

__all__ = ["Distribution", "Bernoulli", "Categorical", "Multinomial", "Normal", "Uniform"]
