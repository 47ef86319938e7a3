"""``teachnn.backends``: ``backends.mps`` and ``backends.cudnn`` (never available), for tutorial code."""
from . import cudnn, mps  # noqa: F401
