"""teachnn — torch.nn, re-implemented to be read, stepped through and watched.

``import teachnn as torch`` gives the tensor library (Tensor, autograd, factories, random
numbers); ``teachnn.nn`` holds the layers and ``teachnn.nn.functional`` the functions.
"""
__version__ = "0.1.0"

from ._dtype import (dtype, float16, float32, float64, int8, int16, int32, int64, uint8, bool,  # noqa: F401,A004
                     half, float, double, short, int, long, get_default_dtype, set_default_dtype)
from .autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled,  # noqa: F401
                                 inference_mode)
from .random import (Generator, default_generator, manual_seed, seed, initial_seed,  # noqa: F401
                     get_rng_state, set_rng_state)
# the Tensor layer, bottom up: each module imports only the ones above it in this list
from .tensor import Tensor, Size, device  # noqa: F401
from . import _ops, _math_ops  # noqa: F401  (the differentiable operations the methods call)
from ._tensor_str import set_printoptions  # noqa: F401
from ._legacy_types import *  # noqa: F401,F403
from ._factories import *  # noqa: F401,F403
from ._torch_functions import *  # noqa: F401,F403
from ._math_functions import *  # noqa: F401,F403
from . import linalg  # noqa: F401,E402
from . import autograd  # noqa: F401
from . import random  # noqa: F401,E402
from . import cuda, accelerator, backends  # noqa: F401,E402  (CPU-only device helpers)
from . import errors  # noqa: F401,E402  (teaching-error helpers for viz and exercises)
from . import serialization  # noqa: F401,E402  (torch.serialization.add_safe_globals)
from . import distributions  # noqa: F401,E402  (torch.distributions.Normal, ...)

# nn imports teachnn.tensor, so it comes last (``teachnn.nn`` works right after ``import teachnn``)
from . import nn  # noqa: F401,E402
from . import optim  # noqa: F401,E402  (torch.optim.SGD works after ``import teachnn as torch``)
from . import utils  # noqa: F401,E402  (torch.utils.data.DataLoader likewise)

from ._errors import missing_attribute as _missing_attribute  # noqa: E402


def __getattr__(name):
    """Only called for a name the module lacks: ``teachnn.Relu`` suggests the nearest name."""
    raise _missing_attribute(__name__, name, globals())
