"""``teachnn.nn.parallel``: multi-GPU wrappers, as PyTorch runs them on a machine without GPUs.

Scripts written for several GPUs wrap their model in ``nn.DataParallel`` or call
``nn.parallel.data_parallel`` only when the input is on a GPU; on the CPU ``DataParallel`` is a
plain wrapper (its ``state_dict`` keys gain the ``module.`` prefix, as in PyTorch).
"""
from .modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    """Wraps ``module``; without GPUs the forward pass is ``module(*inputs, **kwargs)``."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = []
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """Runs ``module`` over ``inputs`` split across GPUs: there are none, so this always fails."""
    raise RuntimeError("device type could not be determined: nn.parallel.data_parallel needs GPUs, "
                       "and teachnn runs on the CPU only; call the module directly: module(inputs)")
