"""``teachnn.backends.mps``: Apple's Metal GPU backend does not exist in teachnn (CPU only)."""


def is_available():
    """Always False."""
    return False


def is_built():
    """Always False."""
    return False
