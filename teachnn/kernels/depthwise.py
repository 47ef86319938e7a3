"""Depthwise convolution (one input channel per group): direct Numba loops, no im2col.

Used by :mod:`teachnn.kernels.conv` when ``C/G == 1``; same conventions (3-d views,
``geom`` tuples, range kernels that release the GIL, validation done by the caller).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._windows import _valid_columns

# --------------------------------------------------------------------------------------
# Depthwise convolution (one input channel per group): direct loops, no im2col
# --------------------------------------------------------------------------------------
# With C/G == 1 each output channel is a weighted sum of K shifted copies of ONE input
# channel. The GEMM of the im2col route would be (O/G x K) @ (K x N*L) per group: tiny
# matrices, while im2col writes K copies of the input. Here the loops run directly:
# (sample, group) pair -> output channel of the group -> kernel tap -> output row ->
# output column (contiguous, vectorisable), reading each input row in place.
@njit(cache=True, nogil=True)
def _dw_forward_range(x, w, out, geom, start, stop):
    """out[n, g*Og + o] = sum_tap w[g*Og + o, 0, tap] * shifted x[n, g], for the
    (sample, group) pairs p = n*G + g in [start, stop)."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, G, D, H, W = x.shape
    Og = w.shape[0] // G
    oD, oH, oW = out.shape[2], out.shape[3], out.shape[4]
    K = kd * kh * kw
    L = oD * oH * oW
    xf, wf, of = x.reshape(-1), w.reshape(-1), out.reshape(-1)
    for p in range(start, stop):
        n = p // G
        g = p - n * G
        x_base = p * D * H * W                            # x[n, g]
        for o in range(Og):
            oc = g * Og + o
            out_base = (n * G * Og + oc) * L              # out[n, oc]
            of[out_base:out_base + L] = 0
            for a in range(kd):
                for b in range(kh):
                    for e in range(kw):
                        wv = wf[oc * K + (a * kh + b) * kw + e]
                        off_w = e * dw - pw
                        k_lo, k_hi = _valid_columns(off_w, sw, W, oW)
                        for i in range(oD):
                            zi = i * sd + a * dd - pd
                            if zi < 0 or zi >= D:
                                continue
                            for j in range(oH):
                                yi = j * sh + b * dh - ph
                                if yi < 0 or yi >= H:
                                    continue
                                dst = out_base + (i * oH + j) * oW
                                src = x_base + (zi * H + yi) * W + off_w
                                dst_v = of[dst + k_lo:dst + k_hi]
                                if sw == 1:
                                    src_v = xf[src + k_lo:src + k_hi]
                                    for k in range(k_hi - k_lo):
                                        dst_v[k] += wv * src_v[k]
                                else:
                                    src_s = xf[src + k_lo * sw:src + k_hi * sw]
                                    for k in range(k_hi - k_lo):
                                        dst_v[k] += wv * src_s[k * sw]


@njit(cache=True, nogil=True)
def _dw_grad_input_range(g_out, w, gx, geom, start, stop):
    """grad_x[n, g] = sum_o sum_tap w[g*Og + o, 0, tap] * grad_out[n, g*Og + o] scattered
    back through the tap (the adjoint of _dw_forward_range), pairs p in [start, stop)."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, G, D, H, W = gx.shape
    Og = w.shape[0] // G
    oD, oH, oW = g_out.shape[2], g_out.shape[3], g_out.shape[4]
    K = kd * kh * kw
    L = oD * oH * oW
    gf, wf, gxf = g_out.reshape(-1), w.reshape(-1), gx.reshape(-1)
    for p in range(start, stop):
        n = p // G
        g = p - n * G
        x_base = p * D * H * W
        gxf[x_base:x_base + D * H * W] = 0
        for o in range(Og):
            oc = g * Og + o
            out_base = (n * G * Og + oc) * L
            for a in range(kd):
                for b in range(kh):
                    for e in range(kw):
                        wv = wf[oc * K + (a * kh + b) * kw + e]
                        off_w = e * dw - pw
                        k_lo, k_hi = _valid_columns(off_w, sw, W, oW)
                        for i in range(oD):
                            zi = i * sd + a * dd - pd
                            if zi < 0 or zi >= D:
                                continue
                            for j in range(oH):
                                yi = j * sh + b * dh - ph
                                if yi < 0 or yi >= H:
                                    continue
                                src = out_base + (i * oH + j) * oW
                                dst = x_base + (zi * H + yi) * W + off_w
                                src_v = gf[src + k_lo:src + k_hi]
                                if sw == 1:
                                    dst_v = gxf[dst + k_lo:dst + k_hi]
                                    for k in range(k_hi - k_lo):
                                        dst_v[k] += wv * src_v[k]
                                else:
                                    dst_s = gxf[dst + k_lo * sw:dst + k_hi * sw]
                                    for k in range(k_hi - k_lo):
                                        dst_s[k * sw] += wv * src_v[k]


@njit(cache=True, nogil=True)
def _dw_grad_weight_range(g_out, x, gw, geom, start, stop):
    """grad_w[oc, 0, tap] = sum_n sum_positions grad_out[n, oc] * shifted x[n, oc // Og],
    for the output channels oc in [start, stop) (each writes only its own entries).

    The products are first added into a row of partial sums ``acc[k]`` (an elementwise,
    vectorisable loop) and the row is summed once at the end: a running scalar sum would
    force one addition after another.
    """
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, G, D, H, W = x.shape
    Og = gw.shape[0] // G
    oD, oH, oW = g_out.shape[2], g_out.shape[3], g_out.shape[4]
    K = kd * kh * kw
    L = oD * oH * oW
    gf, xf, gwf = g_out.reshape(-1), x.reshape(-1), gw.reshape(-1)
    acc = np.empty(oW, dtype=gw.dtype)                   # partial sums, one per column
    for oc in range(start, stop):
        g = oc // Og
        for a in range(kd):
            for b in range(kh):
                for e in range(kw):
                    off_w = e * dw - pw
                    k_lo, k_hi = _valid_columns(off_w, sw, W, oW)
                    acc[:] = 0
                    for n in range(N):
                        x_base = (n * G + g) * D * H * W
                        out_base = (n * G * Og + oc) * L
                        for i in range(oD):
                            zi = i * sd + a * dd - pd
                            if zi < 0 or zi >= D:
                                continue
                            for j in range(oH):
                                yi = j * sh + b * dh - ph
                                if yi < 0 or yi >= H:
                                    continue
                                src = out_base + (i * oH + j) * oW
                                xs = x_base + (zi * H + yi) * W + off_w
                                g_v = gf[src + k_lo:src + k_hi]
                                acc_v = acc[k_lo:k_hi]
                                if sw == 1:
                                    x_v = xf[xs + k_lo:xs + k_hi]
                                    for k in range(k_hi - k_lo):
                                        acc_v[k] += g_v[k] * x_v[k]
                                else:
                                    x_s = xf[xs + k_lo * sw:xs + k_hi * sw]
                                    for k in range(k_hi - k_lo):
                                        acc_v[k] += g_v[k] * x_s[k * sw]
                    gwf[oc * K + (a * kh + b) * kw + e] = acc.sum()
