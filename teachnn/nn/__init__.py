"""teachnn.nn — layers, containers and losses, with torch.nn's names and behaviour."""
from .parameter import *   # noqa: F401,F403
from .modules import *     # noqa: F401,F403
from . import functional   # noqa: F401
from . import init         # noqa: F401
from . import utils        # noqa: F401
from . import parallel     # noqa: F401
from .parallel import DataParallel  # noqa: F401

from .._errors import missing_attribute as _missing_attribute  # noqa: E402


def __getattr__(name):
    """Only called for a name the module lacks: ``nn.Relu`` suggests the nearest name."""
    raise _missing_attribute(__name__, name, globals())
