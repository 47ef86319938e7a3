"""teachnn.optim — optimisers with torch.optim's names, defaults and arithmetic."""
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
