"""``teachnn.backends``: only ``backends.mps.is_available()`` (always False), for tutorial code."""
from . import mps  # noqa: F401
