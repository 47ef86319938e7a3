"""Patterns from published PyTorch programs (pytorch/examples, pytorch/tutorials) that once broke.

Each published program was run twice - on PyTorch, and with only its import lines changed to
teachnn - from the same weights and data, and every printed number compared. What broke is
re-created here in a few lines and checked against PyTorch: values, gradients, printed text,
exception types.
"""
import numpy as np
import pytest

import teachnn
from tests.parity import torch, requires_torch

pytestmark = requires_torch


def _np(t):
    return t.detach().numpy()


# ---- pytorch/examples dcgan: multi-GPU guards that must run (and do nothing) on the CPU

def test_gpu_guards_of_a_multi_gpu_script_run_on_the_cpu():
    import teachnn.backends.cudnn as cudnn
    import torch.backends.cudnn as torch_cudnn
    cudnn.benchmark = True                              # set unconditionally by training scripts
    for name in ("is_available", "version"):
        assert getattr(cudnn, name)() == getattr(torch_cudnn, name)()
    x, tx = teachnn.ones(2), torch.ones(2)
    for flag in ("is_cpu", "is_cuda", "is_xpu", "is_mps", "is_meta", "is_sparse", "is_quantized"):
        assert getattr(x, flag) is getattr(tx, flag), flag


def test_data_parallel_wraps_on_the_cpu():
    import teachnn.nn.parallel  # noqa: F401  (scripts import the submodule by name)
    inner = torch.nn.Linear(3, 2)
    ours_inner = teachnn.nn.Linear(3, 2)
    ours_inner.load_state_dict({k: teachnn.tensor(_np(v)) for k, v in inner.state_dict().items()})
    theirs, ours = torch.nn.DataParallel(inner), teachnn.nn.DataParallel(ours_inner)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["module.weight", "module.bias"]
    assert ours.device_ids == theirs.device_ids == []
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(_np(ours(teachnn.tensor(x))), _np(theirs(torch.tensor(x))), rtol=1e-6)
    with pytest.raises(RuntimeError) as theirs_err:
        torch.nn.parallel.data_parallel(inner, torch.tensor(x))
    with pytest.raises(type(theirs_err.value)):
        teachnn.nn.parallel.data_parallel(ours_inner, teachnn.tensor(x))
