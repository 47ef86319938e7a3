"""A small conv/pool parity subset, run by test_tile_targets.py in a fresh process compiled
for another CPU (NUMBA_CPU_NAME=generic: no AVX at all; haswell: AVX2 without AVX-512): the
fast kernels against the reference loops, through every path whose copies or tiles depend
on the vector width (depthwise and pooling are plain loops: pooling stands for them).
Prints the tile it ran with; exits non-zero on the first mismatch."""
from __future__ import annotations

import sys

import numpy as np

from teachnn.kernels import fast_conv as K
from teachnn.kernels import pool as P
from teachnn.kernels.fast_conv import tiles
from teachnn.kernels.reference import conv as RC
from teachnn.kernels.reference import pool as RP

TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}

# (N, C, O, spatial, kernel, stride, pad_lr, groups, dtype): which path each case reaches
CONV = [
    # 16 -> 32 channels: the forward's gathered product, grad_w with col in place
    (2, 16, 32, (1, 9, 11), (1, 3, 3), (1, 1, 1), ((0, 0), (1, 1), (1, 1)), 1, np.float32),
    # 5 -> 6 channels, stride 2 (interleaved phases), grad_w by packed tiles
    (2, 5, 6, (1, 13, 17), (1, 3, 3), (1, 2, 2), ((0, 0), (1, 1), (0, 2)), 1, np.float32),
    # groups, Conv1d, float64 (tiles half as wide)
    (3, 8, 8, (1, 1, 40), (1, 1, 5), (1, 1, 1), ((0, 0), (0, 0), (2, 2)), 2, np.float64),
]


def check(name, got, want, dtype):
    try:
        np.testing.assert_allclose(got, want, **TOL[dtype])
    except AssertionError as e:
        print(f"MISMATCH {name} (tile {tiles.SHAPE.name})\n{e}")
        sys.exit(1)


def conv_cases():
    for i, (N, C, O, sp, k, s, p, g, dt) in enumerate(CONV):
        rng = np.random.default_rng(i)
        x = rng.standard_normal((N, C) + sp).astype(dt)
        w = rng.standard_normal((O, C // g) + k).astype(dt)
        b = rng.standard_normal(O).astype(dt)
        d = (1, 1, 1)
        out = K.conv_forward(x, w, b, s, p, d, g)
        check(f"conv {i} forward", out, RC.conv_forward(x, w, b, s, p, d, g), dt)
        go = rng.standard_normal(out.shape).astype(dt)
        for j, (a, r) in enumerate(zip(K.conv_backward(go, x, w, s, p, d, g),
                                       RC.conv_backward(go, x, w, s, p, d, g))):
            check(f"conv {i} backward {j}", a, r, dt)
    # the transposed convolution (col2im from the tiles' registers)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 16, 1, 6, 7)).astype(np.float32)
    w = rng.standard_normal((16, 8, 1, 4, 4)).astype(np.float32)
    args = ((1, 2, 2), (0, 1, 1), (1, 1, 1), 1, (1, 12, 14))
    out = K.conv_transpose_forward(x, w, None, *args)
    check("transpose forward", out, RC.conv_transpose_forward(x, w, None, *args), np.float32)
    go = rng.standard_normal(out.shape).astype(np.float32)
    for j, (a, r) in enumerate(zip(K.conv_transpose_backward(go, x, w, *args),
                                   RC.conv_transpose_backward(go, x, w, *args))):
        check(f"transpose backward {j}", a, r, np.float32)


def pool_cases():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 1, 13, 15)).astype(np.float32)
    axes = (P.pool_windows(1, 1, 1), P.pool_windows(13, 3, 2, 1), P.pool_windows(15, 3, 2, 1))
    out, idx = P.max_pool_forward(x, axes)
    r_out, r_idx = RP.max_pool_forward(x, axes)
    check("max pool forward", out, r_out, np.float32)
    assert np.array_equal(idx, r_idx), "max pool indices"
    g = rng.standard_normal(out.shape).astype(np.float32)
    check("max pool backward", P.max_pool_backward(g, idx, x.shape[1:]),
          RP.max_pool_backward(g, r_idx, x.shape[1:]), np.float32)
    avg = P.avg_pool_forward(x, axes, True, None)
    check("avg pool forward", avg, RP.avg_pool_forward(x, axes, True, None), np.float32)
    check("avg pool backward", P.avg_pool_backward(g, axes, True, None),
          RP.avg_pool_backward(g, axes, True, None), np.float32)
    adapt = (P.adaptive_windows(1, 1), P.adaptive_windows(13, 5), P.adaptive_windows(15, 7))
    check("adaptive avg forward", P.avg_pool_forward(x, adapt, False, None),
          RP.avg_pool_forward(x, adapt, False, None), np.float32)
    # rows long enough for whole vectors plus a tail: the register loops of 2 and 3 taps,
    # strides 1 and 2 (many ties: the first maximum must win on every vector width)
    for k, s, p in ((2, 2, 0), (3, 1, 1), (3, 2, 1)):
        x = rng.integers(-2, 3, size=(4, 1, 5, 45)).astype(np.float32)
        axes = (P.pool_windows(1, 1, 1), P.pool_windows(5, k, s, p), P.pool_windows(45, k, s, p))
        out, idx = P.max_pool_forward(x, axes)
        r_out, r_idx = RP.max_pool_forward(x, axes)
        check(f"max pool k={k} s={s} forward", out, r_out, np.float32)
        assert np.array_equal(idx, r_idx), f"max pool k={k} s={s} indices"
        check(f"avg pool k={k} s={s} forward", P.avg_pool_forward(x, axes, True, None),
              RP.avg_pool_forward(x, axes, True, None), np.float32)
        g = rng.standard_normal(out.shape).astype(np.float32)
        check(f"avg pool k={k} s={s} backward", P.avg_pool_backward(g, axes, True, None),
              RP.avg_pool_backward(g, axes, True, None), np.float32)


if __name__ == "__main__":
    conv_cases()
    pool_cases()
    print(f"ok tile={tiles.SHAPE.name}")
