"""teachnn.nn — layers, containers and losses, with torch.nn's names and behaviour."""
from .parameter import *   # noqa: F401,F403
from .modules import *     # noqa: F401,F403
from . import functional   # noqa: F401
from . import init         # noqa: F401
from . import utils        # noqa: F401
