"""NumPy arrays given to Tensor methods and operators behave as in PyTorch (issue 18).

PyTorch's argument parser refuses an ndarray wherever a method expects a tensor or a number
(TypeError), while the operators differ: ``t + a`` is computed by NumPy (NumPy's dtype, no
autograd), ``a + t`` is a TypeError except for ``/`` and ``==``, ``t < a`` is a TypeError and
``t != a`` is Python's identity test. Every outcome here is compared with PyTorch itself.
"""
import operator
import warnings

import numpy as np
import pytest

import teachnn

torch = pytest.importorskip("torch")

# teachnn methods that take an argument where torch's take none positionally; the difference is
# the arity, not the ndarray (``t.clone(a)``): listed so that a new difference fails the test
_ARITY_DIFFERENCES = {"clone", "contiguous", "is_contiguous", "numpy", "nonzero", "round", "round_",
                      "cuda"}


def _outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", fn()
        except Exception as exc:          # the exception type is what is compared
            return "raised", type(exc)


def _same(torch_outcome, teachnn_outcome):
    (kind_t, value_t), (kind_n, value_n) = torch_outcome, teachnn_outcome
    if kind_t != kind_n:
        return False
    if kind_t == "raised":
        return value_t is value_n
    if isinstance(value_t, torch.Tensor):
        if not isinstance(value_n, teachnn.Tensor):
            return False
        expected = value_t.detach().numpy()
        return (str(value_n.dtype).split(".")[-1] == str(value_t.dtype).split(".")[-1]
                and value_n.shape == tuple(value_t.shape)
                and np.array_equal(value_n.detach().numpy(), expected, equal_nan=True))
    return type(value_t) is type(value_n)


def _common_methods():
    names = []
    for name in dir(teachnn.Tensor):
        if name.startswith("_") or not hasattr(torch.Tensor, name):
            continue
        if callable(getattr(teachnn.Tensor, name)):
            names.append(name)
    return names


def test_every_common_method_given_an_ndarray_first_matches_torch():
    names = _common_methods()
    assert len(names) > 250
    differ = set()
    for name in names:
        t = _outcome(lambda: getattr(torch.ones(3), name)(np.ones(3)))
        n = _outcome(lambda: getattr(teachnn.ones(3), name)(np.ones(3)))
        if not _same(t, n):
            differ.add(name)
    assert differ == _ARITY_DIFFERENCES


f33 = np.arange(1, 10, dtype=np.float32).reshape(3, 3)
i33 = np.zeros((3, 3), np.int64)
b33 = np.eye(3, dtype=bool)
i2 = np.array([0, 2], np.int64)

# (method, arguments): every ndarray argument in turn stays an ndarray, the others become tensors
_MULTI = [("where", [b33, f33]), ("masked_fill", [b33, 1.0]), ("masked_fill_", [b33, 1.0]),
          ("index_select", [0, i2]), ("gather", [0, i33]), ("scatter", [0, i33, f33]),
          ("scatter_", [0, i33, f33]), ("scatter_add", [0, i33, f33]), ("scatter_add_", [0, i33, f33]),
          ("addcmul", [f33, f33]), ("addcdiv", [f33, f33]), ("addcmul_", [f33, f33]),
          ("addcdiv_", [f33, f33]), ("lerp", [f33, f33]), ("lerp_", [f33, f33]), ("addmm", [f33, f33]),
          ("clamp", [f33, f33]), ("maximum", [f33]), ("minimum", [f33]), ("max", [f33]), ("min", [f33]),
          ("matmul", [f33]), ("mm", [f33]), ("dot", [f33[0]]), ("cross", [f33]), ("allclose", [f33]),
          ("equal", [f33]), ("expand_as", [f33]), ("copy_", [f33]), ("inner", [f33]),
          ("new_tensor", [f33])]


def _as(lib, value):
    return lib.from_numpy(value.copy()) if isinstance(value, np.ndarray) else value


@pytest.mark.parametrize("name,args", _MULTI, ids=[c[0] for c in _MULTI])
def test_every_tensor_position_of_a_method_matches_torch(name, args):
    positions = [k for k, v in enumerate(args) if isinstance(v, np.ndarray)]
    for k in positions:
        outcomes = []
        for lib in (torch, teachnn):
            call_args = [v.copy() if j == k else _as(lib, v) for j, v in enumerate(args)]
            outcomes.append(_outcome(lambda: getattr(lib.from_numpy(f33.copy()), name)(*call_args)))
        assert _same(*outcomes), (name, k, outcomes)


def test_the_refusal_teaches_the_conversion_and_keywords_are_checked():
    with pytest.raises(TypeError, match=r"add\(\): argument 'other' \(position 1\) must be Tensor, "
                                        r"not numpy.ndarray — wrap it with teachnn.from_numpy"):
        teachnn.ones(3).add(np.ones(3))
    with pytest.raises(TypeError, match=r"add\(\): argument 'other' must be Tensor"):
        teachnn.ones(3).add(other=np.ones(3))
    with pytest.raises(TypeError):
        torch.ones(3).add(other=np.ones(3))
    with pytest.raises(TypeError, match="index"):
        teachnn.ones(3).index_select(0, np.array([0]))
    # the converted array works, with torch's values
    expected = torch.ones(3).add(torch.from_numpy(np.arange(3.0))).numpy()
    np.testing.assert_array_equal(teachnn.ones(3).add(teachnn.from_numpy(np.arange(3.0))).numpy(), expected)


_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
              "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul,
              "&": operator.and_, "|": operator.or_, "^": operator.xor, "==": operator.eq,
              "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}

# (tensor dtype name, ndarray): NumPy's promotion differs from torch's in several of these
_PAIRS = [("float32", np.array([1.5, -2.0, 3.0])), ("float32", np.array([1.0, 2.0, 4.0], np.float32)),
          ("int64", np.array([1, -2, 3])), ("int64", np.array([1.0, 2.0, 4.0], np.float32)),
          ("int32", np.array([1, 2, 3], np.int16)), ("bool", np.array([True, False, True])),
          ("uint8", np.array([1, 2, 3], np.int8)), ("float32", np.array(2.0))]


def _tensors(dtype_name):
    values = np.array([2, 3, 1]).astype(dtype_name)
    return torch.from_numpy(values.copy()), teachnn.from_numpy(values.copy())


@pytest.mark.parametrize("symbol", list(_OPERATORS))
def test_operators_with_an_ndarray_on_either_side_match_torch(symbol):
    op = _OPERATORS[symbol]
    for dtype_name, array in _PAIRS:
        tt, nt = _tensors(dtype_name)
        forward = _outcome(lambda: op(tt, array.copy())), _outcome(lambda: op(nt, array.copy()))
        assert _same(*forward), (symbol, dtype_name, array.dtype, "tensor first", forward)
        tt, nt = _tensors(dtype_name)
        reflected = _outcome(lambda: op(array.copy(), tt)), _outcome(lambda: op(array.copy(), nt))
        assert _same(*reflected), (symbol, dtype_name, array.dtype, "array first", reflected)


def test_operator_results_are_outside_autograd_as_in_torch():
    for symbol in ("+", "*", "/", "@", "**", "//", "&"):
        op = _OPERATORS[symbol]
        outcomes = [_outcome(lambda: op(lib.ones(3, requires_grad=True), np.ones(3)))
                    for lib in (torch, teachnn)]
        assert _same(*outcomes) and outcomes[0][1] is RuntimeError, (symbol, outcomes)
    # == is torch's own comparison: it works on a tensor that requires grad
    for lib in (torch, teachnn):
        assert lib.ones(3, requires_grad=True).__eq__(np.ones(3)).numpy().tolist() == [True] * 3
    assert not (teachnn.ones(3) + np.ones(3)).requires_grad
    with pytest.raises(RuntimeError, match="from_numpy"):
        teachnn.ones(3, requires_grad=True) * np.ones(3)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("symbol", ["+=", "-=", "*=", "/="])
def test_augmented_assignment_makes_a_new_tensor_as_in_torch(symbol):
    op = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv}[symbol]
    results = []
    for lib in (torch, teachnn):
        t = lib.ones(3)
        out = op(t, np.array([1.0, 2.0, 4.0]))
        results.append((out is t, str(out.dtype).split(".")[-1], out.numpy().tolist(), t.numpy().tolist()))
    assert results[0] == results[1]
    assert results[1][0] is False           # the float64 result is a new tensor; t is unchanged


def test_assigning_an_ndarray_into_a_tensor_is_refused_as_in_torch():
    with pytest.raises(TypeError):
        torch.ones(2, 3)[0] = np.ones(3)
    with pytest.raises(TypeError, match="teachnn.from_numpy"):
        teachnn.ones(2, 3)[0] = np.ones(3)
    t = teachnn.ones(2, 3)
    t[0] = teachnn.from_numpy(np.arange(3.0))
    np.testing.assert_array_equal(t.numpy(), [[0, 1, 2], [1, 1, 1]])


def test_tensor_with_tensor_keeps_its_autograd_path():
    # the ndarray test is one ``type(x) is np.ndarray`` before the usual path
    a, b = teachnn.ones(3, requires_grad=True), teachnn.full((3,), 2.0)
    (a * b + a / b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.5, 2.5, 2.5])
