"""float16 convolution and pooling, against PyTorch 2.13's CPU loops.

PyTorch computes half precision on the CPU in float and rounds the result; teachnn runs its
float32 kernels and rounds the same way, so values and gradients agree to half precision's
rounding (max pooling exactly), the graph nodes carry PyTorch's names, and avg_pool3d (which
has no half loop in PyTorch) fails as there."""
import numpy as np
import pytest
import torch

import teachnn

CASES = [
    ("conv2d", [(2, 3, 8, 8), (4, 3, 3, 3), (4,)], {}),
    ("conv1d", [(2, 3, 9), (4, 3, 3)], {"padding": 1}),
    ("conv3d", [(2, 3, 5, 5, 5), (4, 3, 2, 2, 2)], {}),
    ("conv_transpose2d", [(2, 3, 5, 5), (3, 4, 3, 3), (4,)], {"stride": 2}),
    ("conv2d", [(2, 4, 8, 8), (4, 1, 3, 3)], {"groups": 4, "dilation": 2}),
    ("max_pool2d", [(2, 3, 8, 8)], {"kernel_size": 2}),
    ("max_pool1d", [(2, 3, 9)], {"kernel_size": 3, "stride": 2}),
    ("max_pool3d", [(2, 3, 4, 4, 4)], {"kernel_size": 2}),
    ("avg_pool2d", [(2, 3, 8, 8)], {"kernel_size": 3, "padding": 1}),
    ("avg_pool1d", [(2, 3, 9)], {"kernel_size": 2}),
    ("adaptive_avg_pool2d", [(2, 3, 7, 7)], {"output_size": 3}),
    ("adaptive_max_pool2d", [(2, 3, 7, 7)], {"output_size": 3}),
    ("adaptive_avg_pool3d", [(2, 3, 5, 5, 5)], {"output_size": 2}),
    ("lp_pool2d", [(2, 3, 8, 8)], {"norm_type": 2, "kernel_size": 2}),
]


def _run(lib, name, arrays, kwargs):
    args = [lib.tensor(a, requires_grad=True) for a in arrays]
    y = getattr(lib.nn.functional, name)(*args, **kwargs)
    y.float().pow(2).sum().backward()
    return y, [a.grad for a in args]


@pytest.mark.parametrize("name,shapes,kwargs", CASES, ids=[c[0] + str(i) for i, c in enumerate(CASES)])
def test_half_precision_matches_pytorch(name, shapes, kwargs):
    rng = np.random.default_rng(len(name))
    arrays = [rng.standard_normal(s).astype(np.float16) for s in shapes]
    yt, gt = _run(torch, name, arrays, kwargs)
    yn, gn = _run(teachnn, name, arrays, kwargs)
    assert str(yn.dtype) == "teachnn.float16" and str(yt.dtype) == "torch.float16"
    assert yn.grad_fn.name() == yt.grad_fn.name()
    exact = "max" in name
    ref = yt.detach().float().numpy()
    tol = 0 if exact else 2e-3 * max(1.0, np.abs(ref).max())       # a few half ulps
    np.testing.assert_allclose(yn.detach().float().numpy(), ref, rtol=0, atol=tol)
    for a, b in zip(gn, gt):
        assert str(a.dtype) == "teachnn.float16"
        ref = b.float().numpy()
        np.testing.assert_allclose(a.float().numpy(), ref, rtol=0,
                                   atol=0 if exact else 2e-3 * max(1.0, np.abs(ref).max()))


def test_avg_pool3d_has_no_half_loop_as_in_pytorch():
    for lib in (torch, teachnn):
        with pytest.raises(NotImplementedError):
            lib.nn.functional.avg_pool3d(lib.zeros(1, 1, 2, 2, 2, dtype=lib.float16), 2)


def test_mixed_half_and_float_convolution_fails_as_in_pytorch():
    for lib in (torch, teachnn):
        with pytest.raises(RuntimeError):
            lib.nn.functional.conv2d(lib.zeros(1, 1, 4, 4, dtype=lib.float16), lib.zeros(1, 1, 2, 2))
