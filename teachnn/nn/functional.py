"""teachnn.nn.functional — the stateless form of every layer (like torch.nn.functional).

This file only gathers names; each family lives in ``teachnn/nn/_functional/<family>.py``.
"""
from ._functional.linear import *          # noqa: F401,F403
from ._functional.activation import *      # noqa: F401,F403
from ._functional.loss import *            # noqa: F401,F403
from ._functional.normalization import *   # noqa: F401,F403
from ._functional.dropout import *         # noqa: F401,F403
from ._functional.conv import *            # noqa: F401,F403
from ._functional.pooling import *         # noqa: F401,F403
from ._functional.sparse import *          # noqa: F401,F403
from ._functional.kl_div import *          # noqa: F401,F403
from ._functional.instancenorm import *    # noqa: F401,F403
from ._functional.upsampling import *      # noqa: F401,F403
from ._functional.pixelshuffle import *    # noqa: F401,F403

from .._errors import missing_attribute as _missing_attribute  # noqa: E402


def __getattr__(name):
    """Only called for a name the module lacks: ``F.Relu`` suggests the nearest name."""
    raise _missing_attribute(__name__, name, globals())
