"""``teachnn.serialization`` (PyTorch's ``torch.serialization``): save, load and the list of
classes a weights-only load accepts."""
from ._serialization import add_safe_globals, get_safe_globals, load, save  # noqa: F401
