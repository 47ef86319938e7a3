"""Indexing as in PyTorch: ranges, tuples of lists, NumPy integer arrays, index tensors mixed
with slices, Ellipsis, None and boolean masks; reading and writing, with gradients
(issue 18, item 4). Every case is run in teachnn and PyTorch from the same arrays."""
import warnings

import numpy as np
import pytest

import teachnn
from tests.parity import requires_torch, torch


def _index(lib, spec):
    """Build an index from a spec that names tensors as ('t', values) so both libraries get theirs."""
    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
        return lib.tensor(spec[1])
    if isinstance(spec, tuple):
        return tuple(_index(lib, s) for s in spec)
    return spec


GET_CASES = [
    (range(3), ("t", [0, 1, 2])),                 # the example
    (range(3),),
    (range(0, 4, 2), slice(1, None)),
    ([0, 2], [1, 3]),
    (([0, 2], [1, 2]),),                          # a tuple of lists inside the index tuple
    (np.array([0, 2]), slice(None, None, 2)),
    (np.array([[0], [2]]), np.array([1, 3])),
    (slice(None), ("t", [3, 0, 0])),              # a repeated index: gradients add up
    (Ellipsis, ("t", [1, 0])),
    (None, ("t", [2, 1]), Ellipsis),
    (("t", [True, False, True]),),
    (("t", [True, False, True]), slice(1, 3)),
    (Ellipsis, None, 1),
    (1, Ellipsis, None),
    ([],),
    (np.int64(2), [0, -1]),
    (("t", [[0, 1], [2, 2]]), ("t", [[3], [0]])),  # broadcasting index tensors
    (slice(None), [1]),
]


def _grad_after(lib, array, build):
    x = lib.tensor(array, requires_grad=True)
    out = build(x)
    r = np.linspace(-1, 1, int(np.prod(out.shape)) or 1)[:int(np.prod(out.shape))].reshape(tuple(out.shape))
    (out * lib.tensor(r)).sum().backward()
    return out, x.grad


@requires_torch
@pytest.mark.parametrize("spec", GET_CASES, ids=[repr(c) for c in GET_CASES])
def test_getitem_values_and_gradients_match_torch(spec):
    array = np.arange(12.0).reshape(3, 4)
    ours, our_grad = _grad_after(teachnn, array, lambda x: x[_index(teachnn, spec)])
    theirs, their_grad = _grad_after(torch, array, lambda x: x[_index(torch, spec)])
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    np.testing.assert_array_equal(our_grad.numpy(), their_grad.numpy())


SET_CASES = [
    ((range(2), [0, 3]), 5.0),
    ((slice(None), ("t", [1, 2])), [[1.0, 2.0]]),
    ((("t", [True, False, True]),), -1.0),
    ((Ellipsis, 0), [7.0, 8.0, 9.0]),
    ((np.array([2, 0]), slice(1, 3)), [[1.0, 2.0], [3.0, 4.0]]),
]


@requires_torch
@pytest.mark.parametrize("spec,value", SET_CASES, ids=[repr(c[0]) for c in SET_CASES])
def test_setitem_values_and_gradients_match_torch(spec, value):
    array = np.arange(12.0).reshape(3, 4)
    results = []
    for lib in (teachnn, torch):
        x = lib.tensor(array, requires_grad=True)
        v = lib.tensor(np.array(value), requires_grad=True)
        y = x * 2
        y[_index(lib, spec)] = v
        (y * lib.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy(), v.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


@requires_torch
def test_byte_mask_is_a_mask_with_a_warning_like_torch():
    x = np.arange(4.0)
    mask = [1, 0, 1, 1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = teachnn.tensor(x)[teachnn.tensor(mask, dtype=teachnn.uint8)]
    assert any("uint8" in str(w.message) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.tensor(x)[torch.tensor(mask, dtype=torch.uint8)]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@requires_torch
def test_index_errors_have_torchs_types():
    for lib in (teachnn, torch):
        x = lib.zeros(3, 4)
        with pytest.raises(IndexError):
            x[range(5)]
        with pytest.raises(IndexError):
            x[lib.tensor([0.5])]
        # a Python list or NumPy array of floats is truncated to int64
        assert x[[1.7, -0.5]].shape == (2, 4) and x[np.array([0.5])].shape == (1, 4)
        with pytest.raises(IndexError):
            x[0, 0, 0]
