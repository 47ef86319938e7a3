"""The shortcuts that keep Python per operation small must not change what autograd does.

Nodes share empty hook containers until a hook is registered, a one-output ``apply`` skips
the general loop, ``AccumulateGrad`` sets ``.grad`` directly and ``Module.__call__`` calls
``forward`` alone while no hook is registered: each test here exercises one of those paths
against values computed by hand (and PyTorch where it is installed).
"""
import numpy as np
import pytest

import teachnn
from teachnn.autograd import Function


def test_hooks_on_one_node_do_not_leak_to_other_nodes_of_the_same_class():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    y1, y2 = x * 2, x * 3                          # two MulBackward0 nodes
    y1.register_hook(lambda g: g * 10)             # only y1's gradient is scaled
    seen = []
    y1.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(1))
    (y1 + y2).sum().backward()
    assert x.grad.tolist() == [23.0, 23.0]         # 2 * 10 + 3
    assert seen == [1]

    # a new graph of the same operations has no hooks at all
    x.grad = None
    z1, z2 = x * 2, x * 3
    assert not z1.grad_fn._pre_hooks and not z2.grad_fn._post_hooks
    (z1 + z2).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]
    assert seen == [1]


def test_retain_grad_on_one_output_only():
    x = teachnn.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    h = x.relu()
    k = x.relu()
    h.retain_grad()
    (h * 3 + k).sum().backward()
    assert h.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert k.grad is None
    assert x.grad.tolist() == [[4.0, 0.0], [4.0, 4.0]]


class _Identity(Function):
    """forward returns its input as it is: apply must hand back a new Tensor."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_an_input_returned_by_forward_is_not_relabelled():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    y = _Identity.apply(x)
    assert y is not x and x.grad_fn is None and x.is_leaf
    assert np.shares_memory(y._data, x._data)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_accumulated_gradients_match_pytorch_over_two_backwards():
    torch = pytest.importorskip("torch")
    data = np.array([[0.5, -1.0, 2.0]], dtype=np.float32)
    grads = []
    for lib in (teachnn, torch):
        w = lib.tensor(data, requires_grad=True)
        for _ in range(2):                        # the second backward adds to .grad
            (w * w).sum().backward()
        grads.append(w.grad.numpy())
        assert w.grad.dtype == w.dtype
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


def test_module_hooks_added_after_calls_and_removed_again():
    layer = teachnn.nn.Linear(3, 2)
    x = teachnn.ones(1, 3)
    plain = layer(x).tolist()
    handle = layer.register_forward_hook(lambda module, args, out: out * 0)
    assert layer(x).tolist() == [[0.0, 0.0]]
    pre = layer.register_forward_pre_hook(lambda module, args: (args[0] * 2,))
    assert layer(x).tolist() == [[0.0, 0.0]]
    handle.remove()
    doubled = (layer.weight @ teachnn.full((3,), 2.0) + layer.bias).tolist()
    np.testing.assert_allclose(layer(x).tolist(), [doubled], rtol=1e-6)
    pre.remove()
    assert layer(x).tolist() == plain


def test_leaf_whose_data_changed_shape_before_backward_gets_a_clear_error():
    x = teachnn.ones(3, requires_grad=True)
    y = (x * 2).sum()
    x.data = teachnn.ones(4)
    with pytest.raises(RuntimeError, match="different size"):
        y.backward()


def test_linear_weight_grad_has_the_weights_layout_as_in_pytorch():
    # the optimiser's update runs over .grad and the weight together: same layout, one pass
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    theirs = torch.nn.Linear(3, 2)
    ours = teachnn.nn.Linear(3, 2)
    ours.load_state_dict(theirs.state_dict())
    theirs(torch.tensor(x)).sum().backward()
    ours(teachnn.tensor(x)).sum().backward()
    assert theirs.weight.grad.is_contiguous()
    assert ours.weight.grad._data.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)
