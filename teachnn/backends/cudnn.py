"""``teachnn.backends.cudnn``: NVIDIA's cuDNN does not exist in teachnn (CPU only).

Published training scripts set ``cudnn.benchmark = True`` or ``cudnn.deterministic = True``
unconditionally; the flags are kept (with PyTorch's defaults) so those lines run, and do nothing.
"""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """Always False."""
    return False


def version():
    """None, as in PyTorch built without cuDNN."""
    return None
