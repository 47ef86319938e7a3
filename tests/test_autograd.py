"""Autograd: every differentiable operation checked three ways.

1. ``gradcheck`` in float64 (backward vs central finite differences);
2. PyTorch parity (forward values and gradients) via ``tests/parity.py``;
3. hand-computed gradients for a few small cases.

Plus the engine's behaviour: 10,000-deep chains, accumulation, retain_graph, no_grad,
hooks, retain_grad, custom Functions, ``autograd.grad`` and the error messages.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import teachnn
from teachnn.autograd import Function, GradcheckError, gradcheck
from tests.parity import assert_parity, requires_torch, torch

# (name, fn(lib, *tensors), input shapes, input kind)
#   kind "any": standard normal; "pos": values in [0.5, 2] (log, sqrt, pow of a tensor)
OPS = [
    ("add", lambda lib, a, b: a + b, [(3, 4), (4,)], "any"),
    ("add_scalar", lambda lib, a: a + 2.5, [(3, 4)], "any"),
    ("radd_scalar", lambda lib, a: 2.5 + a, [(3, 4)], "any"),
    ("add_alpha", lambda lib, a, b: a.add(b, alpha=3), [(3, 4), (3, 1)], "any"),
    ("sub", lambda lib, a, b: a - b, [(2, 1, 4), (3, 1)], "any"),
    ("rsub_scalar", lambda lib, a: 2 - a, [(3, 4)], "any"),
    ("mul", lambda lib, a, b: a * b, [(3, 4), (3, 1)], "any"),
    ("mul_scalar", lambda lib, a: a * 3, [(5,)], "any"),
    ("div", lambda lib, a, b: a / b, [(3, 4), (4,)], "pos"),
    ("rdiv_scalar", lambda lib, a: 2 / a, [(3, 4)], "pos"),
    ("neg", lambda lib, a: -a, [(3, 4)], "any"),
    ("pow_scalar", lambda lib, a: a ** 3, [(3, 4)], "any"),
    ("pow_half", lambda lib, a: a ** 0.5, [(3, 4)], "pos"),
    ("pow_tensor", lambda lib, a, b: a ** b, [(3, 4), (4,)], "pos"),
    ("rpow", lambda lib, a: 2 ** a, [(3, 4)], "any"),
    ("matmul_mm", lambda lib, a, b: a @ b, [(3, 4), (4, 5)], "any"),
    ("matmul_mv", lambda lib, a, b: a @ b, [(3, 4), (4,)], "any"),
    ("matmul_vm", lambda lib, a, b: a @ b, [(4,), (4, 2)], "any"),
    ("matmul_dot", lambda lib, a, b: a @ b, [(4,), (4,)], "any"),
    ("matmul_batched", lambda lib, a, b: a @ b, [(2, 3, 4), (4, 5)], "any"),
    ("matmul_broadcast", lambda lib, a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)], "any"),
    ("mm", lambda lib, a, b: lib.mm(a, b), [(2, 3), (3, 2)], "any"),
    ("sum_all", lambda lib, a: a.sum(), [(3, 4)], "any"),
    ("sum_dim", lambda lib, a: a.sum(1), [(3, 4)], "any"),
    ("sum_dims_keep", lambda lib, a: a.sum((0, 2), keepdim=True), [(2, 3, 4)], "any"),
    ("sum_neg_dim", lambda lib, a: a.sum(-1), [(2, 3, 4)], "any"),
    ("mean_all", lambda lib, a: a.mean(), [(3, 4)], "any"),
    ("mean_dim", lambda lib, a: a.mean(0, keepdim=True), [(3, 4)], "any"),
    ("mean_dims", lambda lib, a: a.mean((1, 2)), [(2, 3, 4)], "any"),
    ("var_all", lambda lib, a: a.var(), [(3, 4)], "any"),
    ("var_dim", lambda lib, a: a.var(1), [(3, 4)], "any"),
    ("var_biased", lambda lib, a: a.var(0, unbiased=False, keepdim=True), [(3, 4)], "any"),
    ("var_correction", lambda lib, a: a.var(1, correction=0), [(3, 4)], "any"),
    ("std_all", lambda lib, a: a.std(), [(3, 4)], "any"),
    ("std_dim", lambda lib, a: a.std(0), [(3, 4)], "any"),
    ("max_all", lambda lib, a: a.max(), [(3, 4)], "any"),
    ("min_all", lambda lib, a: a.min(), [(3, 4)], "any"),
    ("max_dim", lambda lib, a: a.max(1)[0], [(3, 4)], "any"),
    ("max_dim_keep", lambda lib, a: a.max(0, keepdim=True).values, [(3, 4)], "any"),
    ("min_dim", lambda lib, a: a.min(-1).values, [(2, 3, 4)], "any"),
    ("amax", lambda lib, a: a.amax(1), [(3, 4)], "any"),
    ("exp", lambda lib, a: a.exp(), [(3, 4)], "any"),
    ("log", lambda lib, a: a.log(), [(3, 4)], "pos"),
    ("sqrt", lambda lib, a: a.sqrt(), [(3, 4)], "pos"),
    ("abs", lambda lib, a: a.abs(), [(3, 4)], "any"),
    ("clamp", lambda lib, a: a.clamp(-0.5, 0.5), [(3, 4)], "any"),
    ("clamp_min", lambda lib, a: a.clamp(min=0.1), [(3, 4)], "any"),
    ("clamp_max", lambda lib, a: lib.clamp(a, max=0.2), [(3, 4)], "any"),
    ("relu", lambda lib, a: a.relu(), [(3, 4)], "any"),
    ("sin", lambda lib, a: a.sin(), [(3, 4)], "any"),
    ("prod_dim", lambda lib, a: a.prod(1), [(3, 4)], "any"),
    ("prod_all", lambda lib, a: a.prod(), [(2, 3)], "any"),
    ("prod_keepdim", lambda lib, a: a.prod(0, keepdim=True), [(3, 4)], "any"),
    ("cumsum", lambda lib, a: a.cumsum(1), [(3, 4)], "any"),
    ("cumsum_first", lambda lib, a: lib.cumsum(a, dim=0), [(3, 4)], "any"),
    ("diag_of_matrix", lambda lib, a: lib.diag(a, 1), [(3, 4)], "any"),
    ("diag_of_vector", lambda lib, a: lib.diag(a, -1) * 3, [(3,)], "any"),
    ("flip", lambda lib, a: a.flip(0, 2), [(2, 3, 4)], "any"),
    ("roll", lambda lib, a: a.roll((1, -2), (0, 1)), [(3, 4)], "any"),
    ("log1p", lambda lib, a: a.log1p(), [(3, 4)], "pos"),
    ("expm1", lambda lib, a: lib.expm1(a), [(3, 4)], "any"),
    ("sum_axis_alias", lambda lib, a: a.sum(axis=1, keepdims=True), [(3, 4)], "any"),
    ("cos", lambda lib, a: lib.cos(a), [(3, 4)], "any"),
    ("gather", lambda lib, a: a.gather(1, lib.tensor([[0, 0], [3, 1], [2, 2]])), [(3, 4)], "any"),
    ("index_select", lambda lib, a: a.index_select(1, lib.tensor([3, 0, 3])), [(3, 4)], "any"),
    ("masked_fill", lambda lib, a: a.masked_fill(a > 0, 0.5), [(3, 4)], "any"),
    ("split", lambda lib, a: a.split(3, dim=1)[0] * 2, [(3, 4)], "any"),
    ("chunk", lambda lib, a: a.chunk(2)[1], [(4, 3)], "any"),
    ("unbind", lambda lib, a: a.unbind(1)[2], [(3, 4)], "any"),
    ("tril", lambda lib, a: a.tril(), [(3, 4)], "any"),
    ("norm", lambda lib, a: a.norm(), [(3, 4)], "any"),
    ("reciprocal", lambda lib, a: a.reciprocal(), [(3, 4)], "pos"),
    ("square", lambda lib, a: a.square(), [(3, 4)], "any"),
    ("outer", lambda lib, a, b: lib.outer(a, b), [(3,), (4,)], "any"),
    ("sort_values", lambda lib, a: a.sort(1, descending=True).values, [(3, 4)], "any"),
    ("topk_values", lambda lib, a: a.topk(2).values, [(3, 4)], "any"),
    ("sigmoid", lambda lib, a: a.sigmoid(), [(3, 4)], "any"),
    ("tanh", lambda lib, a: a.tanh(), [(3, 4)], "any"),
    ("softmax", lambda lib, a: a.softmax(1), [(3, 4)], "any"),
    ("softmax_dim0", lambda lib, a: lib.softmax(a, dim=0), [(3, 4)], "any"),
    ("log_softmax", lambda lib, a: a.log_softmax(-1), [(2, 3, 4)], "any"),
    ("logsumexp", lambda lib, a: a.logsumexp(1), [(3, 4)], "any"),
    ("maximum", lambda lib, a, b: lib.maximum(a, b), [(3, 4), (4,)], "any"),
    ("minimum", lambda lib, a, b: lib.minimum(a, b), [(3, 4), (3, 1)], "any"),
    ("where", lambda lib, a, b: lib.where(a > 0, a, b), [(3, 4), (4,)], "any"),
    ("view", lambda lib, a: a.view(4, 3), [(3, 4)], "any"),
    ("view_infer", lambda lib, a: a.view(-1), [(3, 4)], "any"),
    ("reshape", lambda lib, a: a.reshape(2, -1, 2), [(3, 4)], "any"),
    ("flatten", lambda lib, a: a.flatten(1), [(2, 3, 4)], "any"),
    ("flatten_mid", lambda lib, a: lib.flatten(a, 0, 1), [(2, 3, 4)], "any"),
    ("unsqueeze", lambda lib, a: a.unsqueeze(1), [(3, 4)], "any"),
    ("squeeze", lambda lib, a: a.squeeze(), [(3, 1, 4, 1)], "any"),
    ("squeeze_dim", lambda lib, a: a.squeeze(1), [(3, 1, 4)], "any"),
    ("permute", lambda lib, a: a.permute(2, 0, 1), [(2, 3, 4)], "any"),
    ("transpose", lambda lib, a: a.transpose(0, 2), [(2, 3, 4)], "any"),
    ("t", lambda lib, a: a.t(), [(3, 4)], "any"),
    ("T", lambda lib, a: a.T, [(3, 4)], "any"),
    ("expand", lambda lib, a: a.expand(2, 3, 4), [(3, 1)], "any"),
    ("expand_neg1", lambda lib, a: a.expand(-1, 5), [(3, 1)], "any"),
    ("repeat", lambda lib, a: a.repeat(2, 1, 3), [(3, 4)], "any"),
    ("index_int", lambda lib, a: a[1], [(3, 4)], "any"),
    ("index_slice", lambda lib, a: a[:, 1:3], [(3, 4)], "any"),
    ("index_step", lambda lib, a: a[::2, ::-1] if lib is teachnn else a[::2].flip(1), [(3, 4)], "any"),
    ("index_none_ellipsis", lambda lib, a: a[None, ..., 2], [(2, 3, 4)], "any"),
    ("index_list_repeat", lambda lib, a: a[[0, 2, 0]], [(3, 4)], "any"),
    ("index_bool", lambda lib, a: a[a > 0], [(3, 4)], "any"),
    ("index_pair", lambda lib, a: a[[0, 1], [2, 3]], [(3, 4)], "any"),
    ("cat", lambda lib, a, b: lib.cat([a, b], dim=1), [(3, 4), (3, 2)], "any"),
    ("stack", lambda lib, a, b: lib.stack([a, b], dim=1), [(3, 4), (3, 4)], "any"),
    ("clone", lambda lib, a: a.clone() * 2, [(3, 4)], "any"),
    ("contiguous", lambda lib, a: a.t().contiguous(), [(3, 4)], "any"),
    ("chain", lambda lib, a, b: ((a @ b).relu().sum(0) - a.mean()).exp(), [(3, 4), (4, 2)], "any"),
]


def _draw(shapes, kind, rng):
    arrays = []
    for shape in shapes:
        if kind == "pos":
            arrays.append(rng.uniform(0.5, 2.0, size=shape))
        else:
            arrays.append(rng.standard_normal(shape))
    return arrays


@pytest.mark.parametrize("name,fn,shapes,kind", OPS, ids=[o[0] for o in OPS])
def test_gradcheck(name, fn, shapes, kind):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    inputs = tuple(teachnn.tensor(a, requires_grad=True) for a in _draw(shapes, kind, rng))
    assert all(t.dtype == teachnn.float64 for t in inputs)
    assert gradcheck(lambda *xs: fn(teachnn, *xs), inputs)


@requires_torch
@pytest.mark.parametrize("name,fn,shapes,kind", OPS, ids=[o[0] for o in OPS])
def test_parity_float64(name, fn, shapes, kind):
    rng = np.random.default_rng(1 + abs(hash(name)) % 2**32)
    assert_parity(fn, _draw(shapes, kind, rng), dtype="float64")


@requires_torch
@pytest.mark.parametrize("name,fn,shapes,kind", OPS, ids=[o[0] for o in OPS])
def test_parity_float32(name, fn, shapes, kind):
    rng = np.random.default_rng(2 + abs(hash(name)) % 2**32)
    t_out, p_out = assert_parity(fn, _draw(shapes, kind, rng), dtype="float32")
    for a, e in zip(t_out, p_out):
        assert str(a.dtype).replace("teachnn.", "") == str(e.dtype).replace("torch.", "")


# expressions that torch records as a chain of several nodes (e.g. ``2 / x`` is
# Mul(Reciprocal(x)), ``a[::2, ::-1]`` has no torch equivalent): their top node differs
_MULTI_NODE = {"diag_of_matrix", "diag_of_vector", "gather", "index_select", "masked_fill", "split", "chunk", "unbind", "tril", "norm",
               "outer", "sort_values", "topk_values", "index_step", "matmul_vm", "matmul_batched", "matmul_broadcast", "contiguous",
               "logsumexp", "index_none_ellipsis", "clone", "chain"}
NAMED_OPS = [o for o in OPS if o[0] not in _MULTI_NODE]


@requires_torch
@pytest.mark.parametrize("name,fn,shapes,kind", NAMED_OPS, ids=[o[0] for o in NAMED_OPS])
def test_grad_fn_names_match_torch(name, fn, shapes, kind):
    rng = np.random.default_rng(3)
    arrays = _draw(shapes, kind, rng)
    ours = fn(teachnn, *[teachnn.tensor(a, requires_grad=True) for a in arrays])
    theirs = fn(torch, *[torch.tensor(a, requires_grad=True) for a in arrays])
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    assert len(ours.grad_fn.next_functions) == len(theirs.grad_fn.next_functions)


# ----------------------------------------------------------------------------------------
# broadcasting: shapes drawn by hypothesis
# ----------------------------------------------------------------------------------------
@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast: start from one shape, then drop leading axes / set sizes to 1."""
    ndim = draw(st.integers(1, 4))
    full = draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim))
    shapes = []
    for _ in range(2):
        keep = draw(st.integers(0, ndim))
        shape = [1 if draw(st.booleans()) else n for n in full[ndim - keep:]]
        shapes.append(tuple(shape))
    return shapes


@settings(max_examples=30, deadline=None)
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div", "maximum", "where"]))
def test_broadcast_gradients(shapes, op):
    rng = np.random.default_rng(0)
    a_np = rng.uniform(0.5, 2.0, size=shapes[0])
    b_np = rng.uniform(0.5, 2.0, size=shapes[1]) * rng.choice([-1, 1], size=shapes[1])
    a = teachnn.tensor(a_np, requires_grad=True)
    b = teachnn.tensor(b_np, requires_grad=True)
    fns = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
           "div": lambda x, y: x / y, "maximum": teachnn.maximum,
           "where": lambda x, y: teachnn.where(y > 0, x, y)}
    out = fns[op](a, b)
    # forward against NumPy
    np_fns = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
              "maximum": np.maximum, "where": lambda x, y: np.where(y > 0, x, y)}
    np.testing.assert_allclose(out._data, np_fns[op](a_np, b_np), rtol=1e-12)
    assert out.shape == np.broadcast_shapes(shapes[0], shapes[1])
    # gradients have the inputs' shapes and pass gradcheck
    out.sum().backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    assert gradcheck(fns[op], (a.detach().requires_grad_(), b.detach().requires_grad_()))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_reductions_over_random_dims(shape, data):
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                              unique_by=lambda d: d % ndim))
    keepdim = data.draw(st.booleans())
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal(shape)
    x = teachnn.tensor(x_np, requires_grad=True)
    axes = tuple(d % ndim for d in dims)
    np.testing.assert_allclose(x.sum(tuple(dims), keepdim=keepdim)._data,
                               x_np.sum(axis=axes, keepdims=keepdim), rtol=1e-12)
    np.testing.assert_allclose(x.mean(tuple(dims), keepdim=keepdim)._data,
                               x_np.mean(axis=axes, keepdims=keepdim), rtol=1e-12)
    assert gradcheck(lambda t: t.sum(tuple(dims), keepdim=keepdim), (x,))
    assert gradcheck(lambda t: t.mean(tuple(dims), keepdim=keepdim), (x,))


# ----------------------------------------------------------------------------------------
# hand-computed gradients
# ----------------------------------------------------------------------------------------
def test_hand_computed_gradients():
    # y = sum(x^2 * w) -> dy/dx = 2 x w, dy/dw = x^2
    x = teachnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = teachnn.tensor([4.0, 5.0, 6.0], requires_grad=True)
    (x * x * w).sum().backward()
    assert x.grad.tolist() == [8.0, 20.0, 36.0]
    assert w.grad.tolist() == [1.0, 4.0, 9.0]


def test_broadcast_gradient_is_summed():
    # b of shape (3,) is added to every row of a (2, 3): db = column sums of the upstream grad
    a = teachnn.zeros(2, 3, requires_grad=True)
    b = teachnn.zeros(3, requires_grad=True)
    g = teachnn.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    (a + b).backward(g)
    assert b.grad.tolist() == [11.0, 22.0, 33.0]
    assert a.grad.tolist() == g.tolist()


def test_max_all_splits_ties_evenly_like_torch():
    x = teachnn.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


def test_max_dim_returns_named_values_and_indices():
    x = teachnn.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.5]], requires_grad=True)
    result = x.max(dim=1)
    values, indices = result
    assert values.tolist() == [5.0, 7.5] and indices.tolist() == [1, 2]
    assert result.values is values and result.indices is indices
    assert indices.dtype == teachnn.int64 and not indices.requires_grad
    values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def test_index_with_repeated_rows_accumulates():
    x = teachnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2]].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]


def test_softmax_and_log_softmax_are_stable():
    x = teachnn.tensor([[1000.0, 1000.0], [-1000.0, 0.0]], requires_grad=True)
    s = x.softmax(1)
    ls = x.log_softmax(1)
    assert np.all(np.isfinite(s._data)) and np.all(np.isfinite(ls._data))
    np.testing.assert_allclose(s._data, [[0.5, 0.5], [0.0, 1.0]], atol=1e-7)
    np.testing.assert_allclose(ls._data, [[-np.log(2), -np.log(2)], [-1000.0, 0.0]], rtol=1e-6)
    ls.sum().backward()
    assert np.all(np.isfinite(x.grad._data))


def test_sigmoid_is_stable_for_large_inputs():
    x = teachnn.tensor([-1000.0, 0.0, 1000.0])
    assert x.sigmoid().tolist() == [0.0, 0.5, 1.0]


# ----------------------------------------------------------------------------------------
# the engine
# ----------------------------------------------------------------------------------------
def test_ten_thousand_deep_chain_has_no_recursion_error():
    x = teachnn.tensor(1.0, dtype=teachnn.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001                   # 10,000 nodes, each depending on the previous one
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-9)


def test_gradients_accumulate_across_backward_calls():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    grad_object = x.grad
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0 + 2.0, 3.0 + 4.0]
    assert x.grad is grad_object          # accumulated in place, like PyTorch
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]


def test_leaf_keeps_a_fresh_gradient_without_copying_and_still_accumulates():
    """A Function that declares its gradients new (_fresh_grads: the convolutions) hands
    them to the leaves as .grad without a copy, as PyTorch does; accumulating later
    backward calls into that .grad must then change nothing the caller holds.
    Oracle: the gradient of sum(conv(x, w) * g) from a first call, doubled."""
    import teachnn.nn.functional as F
    rng = np.random.default_rng(0)
    x = teachnn.tensor(rng.standard_normal((2, 3, 6, 6)), requires_grad=True)
    w = teachnn.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    g = teachnn.tensor(rng.standard_normal((2, 4, 4, 4)))
    g_before = g._data.copy()
    F.conv2d(x, w).backward(g)
    first_x, first_w = x.grad._data.copy(), w.grad._data.copy()
    held = x.grad                                     # the caller holds the first .grad
    F.conv2d(x, w).backward(g)
    np.testing.assert_allclose(x.grad._data, 2 * first_x, rtol=1e-12)
    np.testing.assert_allclose(w.grad._data, 2 * first_w, rtol=1e-12)
    assert x.grad is held                             # accumulated in place, like PyTorch
    np.testing.assert_array_equal(g._data, g_before)   # the grad passed in is untouched


def test_gradient_shown_to_a_node_hook_is_copied_into_grad():
    """A gradient a node hook has seen may be kept by that hook: the leaf must copy it, so
    that accumulating the next backward into .grad leaves what the hook kept unchanged."""
    import teachnn.nn.functional as F
    rng = np.random.default_rng(1)
    x = teachnn.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = teachnn.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    kept = []
    for _ in range(2):
        out = F.conv2d(x, w)
        out.grad_fn.register_hook(lambda grad_inputs, grad_outputs: kept.append(
            (grad_inputs[0], grad_inputs[0].copy())))
        out.sum().backward()
    for array, snapshot in kept:
        np.testing.assert_array_equal(array, snapshot)
    np.testing.assert_allclose(x.grad._data, kept[0][1] + kept[1][1], rtol=1e-12)


def test_identity_function_gradient_does_not_alias_the_callers_gradient():
    """A user's Function keeps _fresh_grads = False: its backward may return the very array
    it was given, so .grad must be a copy, and accumulating into it must leave the
    caller's gradient tensor alone."""
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    g = teachnn.tensor([0.5, -1.0])
    Identity.apply(x).backward(g)
    Identity.apply(x).backward(g)
    assert g.tolist() == [0.5, -1.0]
    assert x.grad.tolist() == [1.0, -2.0]


def test_shared_subexpression_gets_both_contributions():
    # y = a * a + a: dy/da = 2a + 1, the node of `a` is reached along three edges
    a = teachnn.tensor(3.0, requires_grad=True)
    (a * a + a).backward()
    assert a.grad.item() == 7.0


def test_diamond_graph():
    x = teachnn.tensor(2.0, requires_grad=True)
    h = x * 3
    y = h.exp() + h * h          # dy/dx = 3 e^{3x} + 18 x
    y.backward()
    assert x.grad.item() == pytest.approx(3 * np.exp(6.0) + 36.0, rel=1e-6)


def test_second_backward_raises_unless_retain_graph():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()                   # allowed: the graph was retained
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_no_grad_context_and_decorator():
    x = teachnn.ones(2, requires_grad=True)
    with teachnn.no_grad():
        assert not teachnn.is_grad_enabled()
        y = x * 2
        with teachnn.enable_grad():
            z = x * 2
    assert teachnn.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert z.requires_grad and z.grad_fn.name() == "MulBackward0"

    @teachnn.no_grad()
    def f(t):
        return t * 2

    @teachnn.no_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert teachnn.is_grad_enabled()


def test_set_grad_enabled():
    x = teachnn.ones(2, requires_grad=True)
    with teachnn.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    teachnn.set_grad_enabled(False)
    try:
        assert not teachnn.is_grad_enabled()
    finally:
        teachnn.set_grad_enabled(True)
    assert teachnn.autograd.no_grad is teachnn.no_grad


def test_no_grad_restores_mode_after_exception():
    with pytest.raises(ValueError):
        with teachnn.no_grad():
            raise ValueError("boom")
    assert teachnn.is_grad_enabled()


def test_backward_of_non_scalar_needs_gradient():
    x = teachnn.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(teachnn.ones(2, 3))
    assert x.grad.tolist() == [[2.0] * 3] * 2
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(teachnn.ones(3))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        teachnn.ones(2).sum().backward()


def test_requires_grad_on_integer_tensor():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point dtype can require gradients"):
        teachnn.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point dtype can require gradients"):
        teachnn.arange(3).requires_grad_()


def test_leaf_and_grad_fn_structure():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    c = teachnn.tensor([3.0, 4.0])
    y = x + c
    assert x.is_leaf and not y.is_leaf and y.grad_fn.name() == "AddBackward0"
    (node_x, nr_x), (node_c, nr_c) = y.grad_fn.next_functions
    assert type(node_x).__name__ == "AccumulateGrad" and node_x.variable is x and nr_x == 0
    assert node_c is None
    z = (y * 2).sum()
    assert z.grad_fn.name() == "SumBackward0"
    assert z.grad_fn.next_functions[0][0].name() == "MulBackward0"
    assert z.grad_fn.next_functions[0][0].next_functions[0][0] is y.grad_fn
    assert "AddBackward0" in repr(y.grad_fn)
    # the AccumulateGrad node of a leaf is the same object every time, like torch
    assert (x * 1).grad_fn.next_functions[0][0] is node_x


def test_leaf_in_place_error_and_no_grad_update():
    w = teachnn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w += 1
    with teachnn.no_grad():
        w -= 0.5                 # the optimizer's way
    assert w.tolist() == [0.5] * 3 and w.is_leaf and w.requires_grad


def test_in_place_on_non_leaf_is_recorded():
    x = teachnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    data = y._data
    y += 1
    y *= 3
    assert y._data is data                  # really in place
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0, 6.0]


def test_modified_saved_tensor_is_detected():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y                      # saves y
    y += 1                         # ... then y changes
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_setitem_in_graph():
    x = teachnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = teachnn.tensor(10.0, requires_grad=True)
    y = x * 1
    y[1] = v * 2
    assert y.tolist() == [1.0, 20.0, 3.0]
    (y * teachnn.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0]
    assert v.grad.item() == 4.0


def test_detach_and_clone():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d._data is x._data
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0" and c._data is not x._data
    (c * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_retain_grad_and_non_leaf_grad_is_none():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h2 = x * 4
    h.retain_grad()
    (h * h + h2).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0]      # d(h^2)/dh = 2h
    assert h2.grad is None
    assert h.retains_grad and not h2.retains_grad


def test_register_hook_on_leaf_and_non_leaf():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    h = x * 2
    handle = h.register_hook(lambda g: g * 10)      # replaces the gradient flowing through h
    h.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]
    assert seen == [[20.0, 20.0]]
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_requires_grad_flag_propagation():
    a = teachnn.ones(2)
    b = teachnn.ones(2, requires_grad=True)
    assert not (a * 2).requires_grad
    assert (a * b).requires_grad
    assert not (b > 0).requires_grad
    assert b.argmax().grad_fn is None
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        (b * 2).requires_grad = False


# ----------------------------------------------------------------------------------------
# custom Functions (as a learner writes them)
# ----------------------------------------------------------------------------------------
class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return teachnn.Tensor(scale * x._data ** 3)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * 3 * ctx.scale * x * x, None


def test_custom_function():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert y.tolist() == [2.0, 16.0]
    assert y.grad_fn.name() == "CubeBackward"
    assert len(y.grad_fn.next_functions) == 1       # one entry per Tensor input
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 24.0]
    xd = teachnn.tensor([0.3, -1.2], dtype=teachnn.float64, requires_grad=True)
    assert gradcheck(lambda t: Cube.apply(t, 1.5), (xd,))


def test_custom_function_needs_input_grad_and_numpy_return():
    seen = {}

    class Scale(Function):
        @staticmethod
        def forward(ctx, x, w):
            seen["needs"] = ctx.needs_input_grad
            seen["grad_mode_inside"] = teachnn.is_grad_enabled()
            ctx.save_for_backward(x, w)
            return teachnn.Tensor(x._data * w._data)

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            seen["grad_mode_backward"] = teachnn.is_grad_enabled()
            return g._data * w._data, (g._data * x._data).sum(keepdims=True)

    x = teachnn.ones(3)
    w = teachnn.tensor([2.0], requires_grad=True)
    Scale.apply(x, w).sum().backward()
    assert seen["needs"] == (False, True)
    assert seen["grad_mode_inside"] is False and seen["grad_mode_backward"] is False
    assert w.grad.tolist() == [3.0] and x.grad is None


def test_custom_function_wrong_number_of_gradients():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return teachnn.Tensor(x._data + y._data)

        @staticmethod
        def backward(ctx, g):
            return g

    x = teachnn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()


def test_custom_function_wrong_gradient_shape():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return teachnn.Tensor(x._data * 2)

        @staticmethod
        def backward(ctx, g):
            return np.ones(5)

    x = teachnn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="invalid gradient at index 0 - got \\[5\\] but expected shape compatible with \\[2\\]"):
        Bad.apply(x).sum().backward()


def test_custom_function_with_two_outputs():
    class SplitHalf(Function):
        @staticmethod
        def forward(ctx, x):
            return teachnn.Tensor(x._data * 2), teachnn.Tensor(x._data * 3)

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    x = teachnn.ones(2, requires_grad=True)
    a, b = SplitHalf.apply(x)
    a.sum().backward()                      # b gets no gradient: zeros are passed in
    assert x.grad.tolist() == [2.0, 2.0]


# ----------------------------------------------------------------------------------------
# autograd.grad and gradcheck
# ----------------------------------------------------------------------------------------
def test_autograd_grad_does_not_touch_dot_grad():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    y = (h * 3).sum()
    gx, gh = teachnn.autograd.grad(y, [x, h], retain_graph=True)
    assert gx.tolist() == [6.0, 12.0] and gh.tolist() == [3.0, 3.0]
    assert x.grad is None
    (gx2,) = teachnn.autograd.grad([y], x, grad_outputs=[teachnn.tensor(2.0)])
    assert gx2.tolist() == [12.0, 24.0]


def test_autograd_grad_unused_input():
    x = teachnn.ones(2, requires_grad=True)
    z = teachnn.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        teachnn.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = teachnn.autograd.grad(y, [x, z], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gz is None


def test_create_graph_is_explained():
    x = teachnn.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="double backward"):
        teachnn.autograd.grad((x * x).sum(), x, create_graph=True)


def test_gradcheck_reports_a_wrong_backward():
    class WrongSquare(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return teachnn.Tensor(x._data ** 2)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x              # should be 2 * x

    x = teachnn.tensor([1.0, 2.0], dtype=teachnn.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSquare.apply, (x,))
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert "input 0" in message and "numerical 2" in message and "analytical 1" in message
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False
    # the input is left unchanged by the finite differences
    assert x.tolist() == [1.0, 2.0]


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="requires_grad=True"):
        gradcheck(lambda t: t * 2, (teachnn.ones(2, dtype=teachnn.float64),))


@requires_torch
def test_engine_matches_torch_on_a_small_network():
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5),
              rng.standard_normal((5, 2))]

    def net(lib, x, w1, b1, w2):
        h = (x @ w1 + b1).tanh()
        h = h * h.sigmoid() + h.clamp(min=0)
        logits = h @ w2
        return (logits.log_softmax(1)[:, 0]).mean() + logits.var() * 0.1

    assert_parity(net, arrays, dtype="float64")


# ----------------------------------------------------------------------------------------
# random expressions: hypothesis writes small programs, PyTorch checks values and gradients
# ----------------------------------------------------------------------------------------
UNARY_STEPS = {
    "exp": lambda lib, a: (a * 0.3).exp(),
    "tanh": lambda lib, a: a.tanh(),
    "relu": lambda lib, a: a.relu(),
    "sigmoid": lambda lib, a: a.sigmoid(),
    "square": lambda lib, a: a * a,
    "abs": lambda lib, a: a.abs(),
    "neg": lambda lib, a: -a,
    "sum_last": lambda lib, a: a.sum(-1, keepdim=True),
    "mean_first": lambda lib, a: a.mean(0, keepdim=True),
    "softmax": lambda lib, a: a.softmax(-1),
    "log_softmax": lambda lib, a: a.log_softmax(0),
    "clamp": lambda lib, a: a.clamp(-1.0, 1.0),
    "max_last": lambda lib, a: a.max(-1, keepdim=True)[0],
    "std_last": lambda lib, a: a.std(-1, keepdim=True) if a.dim() and a.shape[-1] > 1 else a,
}
BINARY_STEPS = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: b - a,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / (1 + b * b),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "where": lambda lib, a, b: lib.where(b > 0, a, b),
}


@st.composite
def programs(draw):
    shapes = draw(broadcastable_pair())
    names = sorted(UNARY_STEPS) + sorted(BINARY_STEPS)
    steps = draw(st.lists(st.sampled_from(names), min_size=1, max_size=6))
    return shapes, steps


@requires_torch
@settings(max_examples=40, deadline=None)
@given(programs())
def test_random_programs_match_torch(program):
    shapes, steps = program

    def run(lib, a, b):
        out = a
        for name in steps:
            if name in UNARY_STEPS:
                out = UNARY_STEPS[name](lib, out)
            else:
                out = BINARY_STEPS[name](lib, out, b)
        return out + 0 * b.sum()          # b always takes part, so both get a gradient

    rng = np.random.default_rng(len(steps))
    arrays = [rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])]
    assert_parity(run, arrays, dtype="float64")


def test_gradcheck_with_non_contiguous_input():
    base = teachnn.tensor(np.arange(6.0).reshape(2, 3) / 7)
    x = base.t().detach().requires_grad_()           # a transposed (non-contiguous) view
    assert not x.is_contiguous()
    assert gradcheck(lambda t: (t * t).sum(0), (x,))


def test_autograd_backward_several_roots_and_inputs():
    x = teachnn.tensor([1.0, 2.0], requires_grad=True)
    w = teachnn.tensor([3.0, 4.0], requires_grad=True)
    y1 = (x * w).sum()
    y2 = x * 2
    teachnn.autograd.backward([y1, y2], [None, teachnn.tensor([1.0, 10.0])])
    assert x.grad.tolist() == [3.0 + 2.0, 4.0 + 20.0]
    assert w.grad.tolist() == [1.0, 2.0]
    # inputs=: only the listed leaves receive .grad
    x.grad = None
    w.grad = None
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None and w.grad.tolist() == [1.0, 2.0]


def test_inference_mode_behaves_like_no_grad():
    x = teachnn.ones(2, requires_grad=True)
    with teachnn.inference_mode():
        assert not (x * 2).requires_grad

    @teachnn.inference_mode()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and teachnn.is_grad_enabled()


@st.composite
def index_expressions(draw):
    """A shape and a random index mixing ints, slices (with steps), None, Ellipsis and lists."""
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    parts = []
    advanced_used = False
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "full", "list", "none"]))
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n, n)))
            stop = draw(st.one_of(st.none(), st.integers(-n, n)))
            step = draw(st.sampled_from([None, 1, 2, 3]))
            parts.append(slice(start, stop, step))
        elif kind == "list" and not advanced_used:
            advanced_used = True
            parts.append(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4)))
        elif kind == "none":
            parts.extend([None, slice(None)])
        else:
            parts.append(slice(None))
    if draw(st.booleans()) and not any(p is None for p in parts):
        parts = [Ellipsis] + parts[len(parts) // 2 + 1:]
    return shape, tuple(parts)


@settings(max_examples=40, deadline=None)
@given(index_expressions())
def test_random_indexing_forward_and_backward(case):
    shape, index = case
    a = np.random.default_rng(0).standard_normal(shape)
    x = teachnn.tensor(a, requires_grad=True)
    out = x[index]
    expected = a[index]
    np.testing.assert_array_equal(out._data, expected)
    g = np.random.default_rng(1).standard_normal(expected.shape)
    out.backward(teachnn.tensor(g))
    # reference: every output cell sends its gradient back to the cell it was read from
    ref = np.zeros(shape)
    np.add.at(ref, index, g)
    np.testing.assert_allclose(x.grad._data, ref)


def test_old_api_compatibility():
    from teachnn.autograd import Variable
    from teachnn.autograd.function import once_differentiable
    x = Variable(teachnn.ones(2), requires_grad=True)
    assert x.requires_grad and x.is_leaf

    class Double(Function):
        @staticmethod
        def forward(ctx, t):
            return teachnn.Tensor(t._data * 2)

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            return g * 2

    Double.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_prod_with_zeros_has_the_right_gradient():
    # d(x0*x1*x2)/dx1 = x0*x2 even when x1 == 0; a division-based formula would give nan
    x = teachnn.tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 6.0, 0.0]
    y = teachnn.tensor([[2.0, 0.0], [0.0, 0.0]], dtype=teachnn.float64, requires_grad=True)
    assert gradcheck(lambda t: t.prod(1), (y,))
    assert gradcheck(lambda t: t.prod(), (y,))


@requires_torch
def test_std_of_constant_values_has_zero_gradient_like_torch():
    assert_parity(lambda lib, a: a.expand(3).std(), [np.array(2.0)])
    x = teachnn.tensor([5.0, 5.0, 5.0], requires_grad=True)
    x.std().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_assigning_grad_by_hand_is_checked_like_torch():
    x = teachnn.zeros(2, requires_grad=True)
    x.grad = teachnn.ones(2)
    assert x.grad.tolist() == [1.0, 1.0]
    x.grad = None
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        x.grad = teachnn.ones(3)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different type"):
        x.grad = teachnn.ones(2, dtype=teachnn.float64)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor"):
        x.grad = np.ones(2)
    # a float64 gradient given to backward() is cast to the tensor's dtype
    y = x * 2
    y.retain_grad()
    y.backward(teachnn.ones(2, dtype=teachnn.float64))
    assert x.grad.dtype == teachnn.float32 and y.grad.dtype == teachnn.float32
