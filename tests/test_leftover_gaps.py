"""Leftover gaps of issue 18, each checked against PyTorch: big-endian NumPy arrays,
copy.deepcopy / pickle of modules with hooks, and NumPy arrays passed where PyTorch wants a
Tensor."""
from __future__ import annotations

import numpy as np
import pytest

import teachnn
from tests.parity import requires_torch, torch

pytestmark = requires_torch


# ------------------------------------------------------------------ big-endian arrays
CONSTRUCTORS = {
    "tensor": lambda lib, a: lib.tensor(a),
    "tensor(dtype=float64)": lambda lib, a: lib.tensor(a, dtype=lib.float64),
    "Tensor": lambda lib, a: lib.Tensor(a),
    "from_numpy": lambda lib, a: lib.from_numpy(a),
    "as_tensor": lambda lib, a: lib.as_tensor(a),
    "as_tensor(dtype=float64)": lambda lib, a: lib.as_tensor(a, dtype=lib.float64),
}


@pytest.mark.parametrize("make", list(CONSTRUCTORS.values()), ids=list(CONSTRUCTORS))
@pytest.mark.parametrize("dtype", (">f4", ">f8", ">i8", ">i4", ">f2"))
@pytest.mark.parametrize("shape", ((3,), (), (2, 0)))
def test_big_endian_arrays_raise_value_error_as_pytorch(make, dtype, shape):
    if shape == () and dtype[1] == "i" and make is CONSTRUCTORS["Tensor"]:
        dtype = dtype.replace("i", "f")      # torch.Tensor reads a 0-d integer array as a size
    array = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    with pytest.raises(ValueError, match="byte order") as expected:
        make(torch, array)
    assert "native byte order" in str(expected.value)
    with pytest.raises(ValueError, match=r"a\.astype\(a\.dtype\.newbyteorder\('='\)\)"):
        make(teachnn, array)


@pytest.mark.parametrize("make", list(CONSTRUCTORS.values()), ids=list(CONSTRUCTORS))
def test_big_endian_converted_as_the_message_says_gives_pytorchs_tensor(make):
    array = np.linspace(-1, 1, 6).reshape(2, 3).astype(">f4")
    fixed = array.astype(array.dtype.newbyteorder("="))
    t, p = make(teachnn, fixed), make(torch, fixed)
    assert str(t.dtype).split(".")[-1] == str(p.dtype).split(".")[-1]
    assert repr(t).replace("teachnn.", "torch.") == repr(p)
    np.testing.assert_array_equal(t.numpy(), p.numpy())


@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy.ndarrays")
def test_lists_of_big_endian_arrays_are_converted_as_pytorch():
    # torch converts element by element here (no ValueError): so does teachnn
    array = np.arange(3, dtype=">f4")
    t, p = teachnn.tensor([array, array]), torch.tensor([array, array])
    assert t.dtype == teachnn.float32 and p.dtype == torch.float32
    assert t._data.dtype.isnative
    np.testing.assert_array_equal(t.numpy(), p.numpy())
