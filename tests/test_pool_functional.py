"""F.max_pool*/avg_pool*/adaptive_*/max_unpool*/lp_pool*: hand examples, naive loops,
gradcheck in float64, and bad input. (PyTorch parity lives in test_pool_parity.py.)"""
import numpy as np
import pytest

import teachnn
import teachnn.nn.functional as F
from teachnn.autograd import gradcheck
from tests.parity import torch
from tests.test_pool_kernels import ref_adaptive, ref_avg_pool, ref_max_pool


def t64(array, grad=False):
    t = teachnn.tensor(np.asarray(array, dtype=np.float64))
    if grad:
        t.requires_grad_(True)
    return t


def distinct(shape, seed=0):
    """float64 values at least 0.1 apart (no ties, so max pooling is differentiable)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.01, n)).reshape(shape)


# ------------------------------------------------------------------- hand examples
def test_notes_adaptive_avg_example():
    x = teachnn.tensor(np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4))
    out = F.adaptive_avg_pool2d(x, (2, 2))
    assert out._data.dtype == np.float32
    np.testing.assert_array_equal(out._data[0, 0], [[3.5, 5.5], [11.5, 13.5]])
    out = teachnn.nn.AdaptiveAvgPool2d((2, 2))(x)
    np.testing.assert_array_equal(out._data[0, 0], [[3.5, 5.5], [11.5, 13.5]])


def test_max_pool2d_by_hand_with_indices():
    x = teachnn.tensor(np.array([[[[1., 5., 2., 0.],
                                   [3., 4., 8., 7.],
                                   [0., 9., 1., 1.],
                                   [6., 2., 1., 3.]]]]))
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert out._data[0, 0].tolist() == [[5., 8.], [9., 3.]]
    assert idx._data[0, 0].tolist() == [[1, 6], [9, 15]]    # flat h*4 + w
    assert idx._data.dtype == np.int64


def test_avg_pool1d_docstring_example_and_padding_divisors():
    x = teachnn.tensor([[[1., 2, 3, 4, 5, 6, 7]]])
    assert F.avg_pool1d(x, 3, stride=2)._data.tolist() == [[[2., 4., 6.]]]
    # padding 1: first window [pad, 1, 2] -> (0+1+2)/3 with the pad counted, /2 without
    y = F.avg_pool1d(x, 3, stride=2, padding=1)
    np.testing.assert_allclose(y._data[0, 0], [1.0, 3.0, 5.0, 13 / 3], rtol=1e-6)
    y = F.avg_pool1d(x, 3, stride=2, padding=1, count_include_pad=False)
    np.testing.assert_allclose(y._data[0, 0], [1.5, 3.0, 5.0, 6.5], rtol=1e-6)


def test_adaptive_max_overlapping_and_larger_output():
    x = teachnn.tensor([[[3., 1., 4., 1., 5.]]])
    out, idx = F.adaptive_max_pool1d(x, 3, return_indices=True)
    # windows [0,2), [1,4), [3,5)
    assert out._data.tolist() == [[[3., 4., 5.]]] and idx._data.tolist() == [[[0, 2, 4]]]
    out = F.adaptive_avg_pool1d(teachnn.tensor([[[2., 4.]]]), 5)
    # windows of 2 over 5 outputs: [0,1), [0,1), [0,2), [1,2), [1,2)
    assert out._data.tolist() == [[[2., 2., 3., 4., 4.]]]


def test_max_unpool_inverts_max_pool_positions():
    x = t64(distinct((2, 3, 4, 6)))
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    up = F.max_unpool2d(out, idx, 2)
    assert up.shape == x.shape
    kept = up._data != 0
    assert kept.sum() == out._data.size
    np.testing.assert_array_equal(up._data[kept], x._data[kept])   # maxima back in place
    # a given output_size within one stride of the default is allowed
    assert F.max_unpool2d(out, idx, 2, output_size=(5, 7)).shape == (2, 3, 5, 7)
    assert F.max_unpool2d(out, idx, 2, output_size=(2, 3, 5, 7)).shape == (2, 3, 5, 7)


def test_lp_pool_is_p_norm_of_windows():
    x = np.abs(np.random.default_rng(1).standard_normal((1, 2, 6))) + 0.1
    out = F.lp_pool1d(t64(x), 2, 3)
    expected = np.sqrt((x.reshape(1, 2, 2, 3) ** 2).sum(-1))
    np.testing.assert_allclose(out._data, expected, rtol=1e-12)
    out = F.lp_pool1d(t64(x), float("inf"), 3)
    np.testing.assert_allclose(out._data, np.abs(x).reshape(1, 2, 2, 3).max(-1))


# --------------------------------------------------------------- against naive loops
@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("batched", [True, False])
def test_functional_values_match_naive_loops(n, batched):
    rng = np.random.default_rng(n)
    spatial = (7, 6, 5)[:n]
    lead = (2, 3) if batched else (3,)
    x = rng.standard_normal(lead + spatial)
    planes = x.reshape(-1, *spatial)
    kernel, stride, pad, dil = (3,) * n, (2,) * n, (1,) * n, (1,) * n
    max_fn = getattr(F, f"max_pool{n}d")
    out, idx = max_fn(t64(x), 3, 2, 1, return_indices=True, ceil_mode=True)
    ref_out, ref_idx = ref_max_pool(planes, kernel, stride, pad, dil, ceil_mode=True)
    np.testing.assert_array_equal(out._data.reshape(ref_out.shape), ref_out)
    np.testing.assert_array_equal(idx._data.reshape(ref_idx.shape), ref_idx)
    assert out.shape[:len(lead)] == lead

    avg_fn = getattr(F, f"avg_pool{n}d")
    got = avg_fn(t64(x), 3, 2, 1, True, False)
    ref = ref_avg_pool(planes, kernel, stride, pad, True, False)
    np.testing.assert_allclose(got._data.reshape(ref.shape), ref, rtol=1e-12)

    sizes = (4, 6, 9)[:n]                              # smaller, equal-ish, larger
    got = getattr(F, f"adaptive_avg_pool{n}d")(t64(x), sizes)
    ref, _ = ref_adaptive(planes, sizes, "avg")
    np.testing.assert_allclose(got._data.reshape(ref.shape), ref, rtol=1e-12)
    got, gidx = getattr(F, f"adaptive_max_pool{n}d")(t64(x), sizes, return_indices=True)
    ref, ref_idx = ref_adaptive(planes, sizes, "max")
    np.testing.assert_array_equal(got._data.reshape(ref.shape), ref)
    np.testing.assert_array_equal(gidx._data.reshape(ref_idx.shape), ref_idx)


def test_none_in_output_size_keeps_axis_and_float32_is_kept():
    x = teachnn.tensor(np.random.default_rng(0).standard_normal((2, 3, 5, 8)).astype(np.float32))
    out = F.adaptive_avg_pool2d(x, (None, 3))
    assert out.shape == (2, 3, 5, 3) and out._data.dtype == np.float32
    ref, _ = ref_adaptive(x._data.reshape(6, 5, 8), (5, 3), "avg")
    np.testing.assert_allclose(out._data.reshape(6, 5, 3), ref, rtol=1e-5)
    assert F.adaptive_max_pool3d(teachnn.tensor(np.ones((1, 2, 3, 4, 5))),
                                 (None, 2, None)).shape == (1, 2, 3, 2, 5)


def test_empty_batch_and_zero_adaptive_size_give_empty_outputs():
    x = teachnn.tensor(np.zeros((0, 3, 4, 4)))
    assert F.max_pool2d(x, 2).shape == (0, 3, 2, 2)
    assert F.avg_pool2d(x, 2).shape == (0, 3, 2, 2)
    y = teachnn.tensor(np.ones((2, 3, 4, 4)))
    assert F.adaptive_avg_pool2d(y, 0).shape == (2, 3, 0, 0)      # as PyTorch: empty, no error


# ------------------------------------------------------------------ gradcheck float64
@pytest.mark.parametrize("n", [1, 2, 3])
def test_gradcheck_all_pooling_ops(n):
    spatial = {1: (6,), 2: (4, 3), 3: (3, 3, 3)}[n]       # small: gradcheck is O(size^2)
    x = t64(distinct((1, 2 if n < 3 else 1) + spatial, seed=n), grad=True)
    Fn = {name: getattr(F, f"{name}{n}d") for name in
          ("max_pool", "avg_pool", "adaptive_avg_pool", "adaptive_max_pool", "max_unpool")}
    assert gradcheck(lambda t: Fn["max_pool"](t, 3, 2, 1, ceil_mode=True), (x,))
    assert gradcheck(lambda t: Fn["max_pool"](t, 2, 1, 0, 2), (x,))            # dilation 2
    assert gradcheck(lambda t: Fn["avg_pool"](t, 3, 2, 1, True, False), (x,))
    assert gradcheck(lambda t: Fn["avg_pool"](t, 2, 1, 1), (x,))
    assert gradcheck(lambda t: Fn["adaptive_avg_pool"](t, 3), (x,))
    assert gradcheck(lambda t: Fn["adaptive_max_pool"](t, 3), (x,))
    assert gradcheck(lambda t: Fn["adaptive_avg_pool"](t, 7), (x,))            # O > L
    _, idx = Fn["max_pool"](x.detach(), 2, return_indices=True)
    pooled = t64(distinct(idx.shape, seed=7), grad=True)
    assert gradcheck(lambda t: Fn["max_unpool"](t, idx, 2, output_size=spatial), (pooled,))


def test_gradcheck_divisor_override_and_lp_pool():
    x = t64(distinct((1, 2, 4, 5)) + 0.5, grad=True)
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, divisor_override=4), (x,))
    assert gradcheck(lambda t: F.avg_pool3d(t.unsqueeze(2), (1, 2, 2), divisor_override=3), (x,))
    assert gradcheck(lambda t: F.lp_pool2d(t, 2, 2), (x,))
    assert gradcheck(lambda t: F.lp_pool1d(t.reshape(1, 2, 20), 1.5, 3, 2, True), (x,))


def test_max_pool_gradient_goes_to_first_maximum():
    x = t64([[[2., 2., 1., 2.]]], grad=True)
    F.max_pool1d(x, 2, 1).sum().backward()
    # windows [2,2] -> index 0; [2,1] -> 1; [1,2] -> 3
    assert x.grad._data.tolist() == [[[1., 1., 0., 1.]]]


# ------------------------------------------------------------------------ bad input
def raises_like_torch(call, exc, *words):
    """``call(lib)`` raises ``exc`` in teachnn with all ``words`` in the message, and PyTorch
    (when installed) raises the same exception type."""
    with pytest.raises(exc) as info:
        call(teachnn)
    message = str(info.value)
    for w in words:
        assert w in message, f"{w!r} missing from: {message}"
    if torch is not None:
        with pytest.raises(exc):
            call(torch)
    return message


def _x(lib, *shape):
    return lib.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))


def test_padding_more_than_half_the_kernel():
    raises_like_torch(lambda lib: lib.nn.functional.max_pool2d(_x(lib, 1, 1, 5, 5), 3, padding=2),
                      RuntimeError, "pad should be at most half of effective kernel size",
                      "pad=2", "kernel_size=3", "padding <= 1")
    raises_like_torch(lambda lib: lib.nn.functional.avg_pool1d(_x(lib, 1, 1, 5), 3, padding=2),
                      RuntimeError, "at most half", "pad=2")
    raises_like_torch(lambda lib: lib.nn.functional.max_pool2d(_x(lib, 1, 1, 9, 9), 3,
                                                               padding=2, dilation=2),
                      RuntimeError, "half of kernel size", "pad=2")


def test_kernel_larger_than_padded_input():
    msg = raises_like_torch(lambda lib: lib.nn.functional.max_pool2d(_x(lib, 2, 3, 5, 5), 7),
                            RuntimeError, "Output size is too small", "(3x5x5)", "(3x0x0)")
    assert "floor((5 + 2*0 - 1*(7-1) - 1) / 7) + 1 = 0" in msg
    raises_like_torch(lambda lib: lib.nn.functional.avg_pool2d(_x(lib, 1, 1, 4, 4), 7),
                      RuntimeError, "too small", "(1x4x4)", "(1x0x0)")
    raises_like_torch(lambda lib: lib.nn.functional.max_pool1d(_x(lib, 1, 1, 5), 7),
                      RuntimeError, "too small")
    # avg_pool3d alone also wants the unpadded input to be at least the kernel
    raises_like_torch(lambda lib: lib.nn.functional.avg_pool3d(_x(lib, 1, 1, 1, 3, 3), 2, 1, 1),
                      RuntimeError, "smaller than kernel size", "T: 1", "kT: 2")


def test_nonpositive_sizes():
    F_ = lambda lib: lib.nn.functional  # noqa: E731
    raises_like_torch(lambda lib: F_(lib).max_pool2d(_x(lib, 1, 1, 5, 5), -1),
                      RuntimeError, "greater than zero")
    raises_like_torch(lambda lib: F_(lib).max_pool2d(_x(lib, 1, 1, 5, 5), 2, stride=0),
                      RuntimeError, "stride")
    raises_like_torch(lambda lib: F_(lib).avg_pool2d(_x(lib, 1, 1, 5, 5), 2, padding=-1),
                      RuntimeError, "non-negative")
    raises_like_torch(lambda lib: F_(lib).max_pool2d(_x(lib, 1, 1, 5, 5), 2, dilation=0),
                      RuntimeError, "dilation")
    raises_like_torch(lambda lib: F_(lib).adaptive_avg_pool2d(_x(lib, 1, 1, 5, 5), -1),
                      RuntimeError, "greater than or equal to 0")
    raises_like_torch(lambda lib: F_(lib).avg_pool2d(_x(lib, 1, 1, 5, 5), 2, divisor_override=0),
                      RuntimeError, "divisor must be not zero")


def test_wrong_number_of_dimensions():
    raises_like_torch(lambda lib: lib.nn.functional.max_pool2d(_x(lib, 5, 5), 2),
                      RuntimeError, "3D (unbatched) or 4D (batch mode)", "[5, 5]", "unsqueeze(0)")
    raises_like_torch(lambda lib: lib.nn.functional.max_pool3d(_x(lib, 5, 5, 5), 2),
                      RuntimeError, "4D (unbatched) or 5D", "[5, 5, 5]")
    raises_like_torch(lambda lib: lib.nn.functional.adaptive_max_pool2d(_x(lib, 5, 5), 2),
                      RuntimeError, "[5, 5]")
    raises_like_torch(lambda lib: lib.nn.functional.max_pool2d(_x(lib, 1, 1, 1, 5, 5), 2),
                      RuntimeError, "max_pool3d")
    raises_like_torch(lambda lib: lib.nn.functional.adaptive_avg_pool2d(_x(lib, 1, 1, 5, 5),
                                                                        (2, 3, 4)),
                      RuntimeError, "output_size must be 2")
    raises_like_torch(lambda lib: lib.nn.functional.max_pool2d(_x(lib, 2, 0, 4, 5), 2),
                      RuntimeError, "non-zero size", "dimension 1")


def test_max_unpool_indices_that_do_not_fit():
    def call(lib, value=100, dtype=np.int64, shape=(1, 2, 3, 3), **kw):
        idx = lib.tensor(np.full(shape, value, dtype=dtype))
        return lib.nn.functional.max_unpool2d(_x(lib, 1, 2, 3, 3), idx, 2, **kw)
    raises_like_torch(call, RuntimeError, "invalid max index: 100", "6x6", "[0, 36)")
    raises_like_torch(lambda lib: call(lib, -1), RuntimeError, "invalid max index: -1")
    raises_like_torch(lambda lib: call(lib, 0, np.int32), RuntimeError, "int64")
    raises_like_torch(lambda lib: call(lib, 0, shape=(1, 2, 3, 2)), RuntimeError,
                      "same as that of the input", "[1, 2, 3, 2]")
    raises_like_torch(lambda lib: call(lib, 0, output_size=(12, 12)), ValueError,
                      "invalid output_size", "between 4 and 8")
    raises_like_torch(lambda lib: call(lib, 0, output_size=(1, 2, 3)), ValueError,
                      "2 or 4 elements")


def test_unknown_keyword_and_integer_input():
    with pytest.raises(TypeError, match="Did you mean 'kernel_size'"):
        F.max_pool2d(teachnn.tensor(np.ones((1, 1, 4, 4))), kernel=2)
    # PyTorch averages int64 but no other integer dtype (tests/test_conv_pool_integer.py)
    with pytest.raises(NotImplementedError, match=r"int64.*x.float\(\)"):
        F.avg_pool2d(teachnn.tensor(np.ones((1, 1, 4, 4), dtype=np.int32)), 2)
    with pytest.raises(TypeError, match="Tensor"):
        F.max_pool2d(np.ones((1, 1, 4, 4)), 2)


# ------------------------------------------------------------------- graph and layout
def test_grad_fn_names_dtype_and_noncontiguous_input():
    x = teachnn.tensor(np.random.default_rng(5).standard_normal((2, 3, 6, 4)).astype(np.float32))
    x.requires_grad_(True)
    assert type(F.max_pool2d(x, 2).grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"
    assert type(F.avg_pool2d(x, 2).grad_fn).__name__ == "AvgPool2DBackward0"
    assert type(F.adaptive_avg_pool2d(x, 3).grad_fn).__name__ == "AdaptiveAvgPool2DBackward0"
    assert type(F.adaptive_max_pool2d(x, 3).grad_fn).__name__ == "AdaptiveMaxPool2DBackward0"
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert not idx.requires_grad and idx.grad_fn is None
    F.avg_pool2d(x, 2).sum().backward()
    assert x.grad._data.dtype == np.float32
    np.testing.assert_allclose(x.grad._data, 0.25)          # each cell in exactly one window
    # a transposed (non-contiguous) view pools like its contiguous copy
    xt = x.detach().transpose(2, 3)
    np.testing.assert_array_equal(F.max_pool2d(xt, 2)._data,
                                  F.max_pool2d(teachnn.tensor(np.ascontiguousarray(xt._data)), 2)._data)


@pytest.mark.parametrize("pool", [
    lambda F, x: F.max_pool2d(x, 2), lambda F, x: F.avg_pool2d(x, 2),
    lambda F, x: F.adaptive_avg_pool2d(x, 3), lambda F, x: F.adaptive_max_pool2d(x, 3),
    lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2)])
def test_pooling_gradients_taken_without_a_copy_accumulate_as_pytorch(pool):
    """The pooling Functions hand their fresh gradient arrays to the leaf (no copy): a second
    backward must still add into .grad, and the first .grad must not change afterwards."""
    import torch
    a = np.random.default_rng(3).standard_normal((2, 3, 6, 6)).astype(np.float32)
    grads = []
    for lib in (torch, teachnn):
        x = lib.tensor(a, requires_grad=True)
        pool(lib.nn.functional, x).pow(2).sum().backward()
        first = x.grad.clone()
        pool(lib.nn.functional, x).sum().backward()
        grads.append((first.numpy(), x.grad.numpy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-6, atol=1e-6)
