"""PyTorch-tutorial compatibility of the tensor library: device helpers, NumPy inputs,
out=, legacy constructors, scatter/gather. Oracles: PyTorch (when it imports) and
hand-computed values."""
import numpy as np
import pytest

import teachnn
from tests.parity import requires_torch, torch


# ------------------------------------------------------------------------------------------
# 1. device helpers
# ------------------------------------------------------------------------------------------
def test_device_helpers_report_cpu_only():
    assert teachnn.cuda.is_available() is False
    assert teachnn.cuda.device_count() == 0
    assert teachnn.accelerator.is_available() is False
    assert teachnn.accelerator.current_accelerator() is None
    assert teachnn.backends.mps.is_available() is False
    # the Quickstart's device line
    device = (teachnn.accelerator.current_accelerator().type
              if teachnn.accelerator.is_available() else "cpu")
    assert device == "cpu"


def test_device_class():
    d = teachnn.device("cpu")
    assert d.type == "cpu" and d.index is None
    assert repr(d) == "device(type='cpu')" and str(d) == "cpu"
    assert d == "cpu" and d == teachnn.device("cpu") and d != "cuda"
    assert teachnn.tensor([1.0]).device == d
    c = teachnn.device("cuda:1")
    assert c.type == "cuda" and c.index == 1
    assert teachnn.device(type="cpu") == "cpu"
    with pytest.raises(TypeError):
        teachnn.device(3)


@requires_torch
def test_device_matches_torch():
    assert repr(teachnn.device("cpu")) == repr(torch.device("cpu"))
    assert repr(teachnn.device("cuda:1")) == repr(torch.device("cuda:1"))
    assert str(teachnn.device("cuda:1")) == str(torch.device("cuda:1"))
    # deliberate difference: torch.device('cpu') == 'cpu' is False, teachnn says True
    assert teachnn.device("cpu") == teachnn.device("cpu") and torch.device("cpu") == torch.device("cpu")


def test_to_device():
    x = teachnn.tensor([1.0, 2.0])
    assert x.to("cpu") is x
    assert x.to(teachnn.device("cpu")) is x
    assert x.to(device="cpu", dtype=teachnn.float64).dtype == teachnn.float64
    for target in ("cuda", teachnn.device("cuda"), "cuda:0", "mps"):
        with pytest.raises(RuntimeError, match="CPU only"):
            x.to(target)
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to(device="cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()
