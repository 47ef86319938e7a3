"""Layer classes, one file per family."""
from .module import *          # noqa: F401,F403
from .container import *       # noqa: F401,F403
from .linear import *          # noqa: F401,F403
from .activation import *      # noqa: F401,F403
from .loss import *            # noqa: F401,F403
from .normalization import *   # noqa: F401,F403
from .dropout import *         # noqa: F401,F403
from .flatten import *         # noqa: F401,F403
from .conv import *            # noqa: F401,F403
from .pooling import *         # noqa: F401,F403
from .lazy import *            # noqa: F401,F403
from .sparse import *          # noqa: F401,F403
from .kl_div import *          # noqa: F401,F403
from .instancenorm import *    # noqa: F401,F403
from .upsampling import *      # noqa: F401,F403
from .padding import *         # noqa: F401,F403
from .pixelshuffle import *    # noqa: F401,F403
