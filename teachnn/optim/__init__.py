"""teachnn.optim — optimisers with torch.optim's names, defaults and arithmetic."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]

from .._errors import missing_attribute as _missing_attribute  # noqa: E402


def __getattr__(name):
    """Only called for a name the module lacks: ``optim.Relu`` suggests the nearest name."""
    raise _missing_attribute(__name__, name, globals())
