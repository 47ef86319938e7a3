"""teachnn.optim — optimisers with torch.optim's names, defaults and arithmetic.

Each optimiser file starts with its update rule written out (PyTorch's algorithm) and keeps
the rule itself in one short function (``adadelta_update``, ``nadam_update``, ...).

============= ==============================================================================
``SGD``       p -= lr * g, with momentum / dampening / Nesterov / weight decay
``Adam``      moving means of g and g²; step m_hat / (sqrt(v_hat) + eps); ``amsgrad``
``AdamW``     Adam with decoupled weight decay (p *= 1 - lr * weight_decay)
``Adamax``    Adam with a decaying max of |g| in place of sqrt(v)
``NAdam``     Adam with Nesterov momentum and a momentum schedule (``momentum_decay``)
``RAdam``     Adam whose adaptive step is switched on gradually (rectified)
``Adafactor`` second moment stored per row and per column of a matrix; relative steps
``Adagrad``   each entry's step shrinks with its summed g²
``Adadelta``  step = RMS of past updates / RMS of gradients (no hand-set scale)
``RMSprop``   divide by a moving RMS of g; ``centered``, ``momentum``
``Rprop``     only the sign of g; per-entry step sizes grow or shrink
``ASGD``      SGD plus a running average of the parameters (``state['ax']``)
``LBFGS``     quasi-Newton; ``step(closure)`` with an optional strong-Wolfe line search
============= ==============================================================================

Learning-rate schedules are in :mod:`teachnn.optim.lr_scheduler`; weight averaging (SWA,
EMA) in :mod:`teachnn.optim.swa_utils`.
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .adafactor import Adafactor
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .adadelta import Adadelta
from .adagrad import Adagrad
from .rmsprop import RMSprop
from .rprop import Rprop
from .asgd import ASGD
from .lbfgs import LBFGS
from . import lr_scheduler, swa_utils

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adafactor", "Adamax", "NAdam", "RAdam", "Adadelta", "Adagrad",
           "RMSprop", "Rprop", "ASGD", "LBFGS", "lr_scheduler",
           "swa_utils"]

from .._errors import missing_attribute as _missing_attribute  # noqa: E402


def __getattr__(name):
    """Only called for a name the module lacks: ``optim.Relu`` suggests the nearest name."""
    raise _missing_attribute(__name__, name, globals())
