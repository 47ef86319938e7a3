"""``teachnn.cuda``: teachnn runs on the CPU only, so there is never a GPU.

These helpers exist so that the first lines of PyTorch tutorials run unchanged::

    device = "cuda" if torch.cuda.is_available() else "cpu"   # -> "cpu"
"""


def is_available():
    """Always False: teachnn computes with NumPy/Numba on the CPU."""
    return False


def device_count():
    """Always 0 (no GPUs)."""
    return 0


def manual_seed(seed):
    """No-op (there is no GPU random generator); seed the CPU with ``teachnn.manual_seed``."""


def manual_seed_all(seed):
    """No-op, like :func:`manual_seed`."""
