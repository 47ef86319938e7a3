"""``teachnn.accelerator``: teachnn has no accelerator (GPU, MPS, ...), only the CPU.

The PyTorch Quickstart writes::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

which gives ``"cpu"`` here.
"""


def is_available():
    """Always False: teachnn runs on the CPU only."""
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator (PyTorch also returns None when none is present)."""
    return None


def device_count():
    """Always 0."""
    return 0
