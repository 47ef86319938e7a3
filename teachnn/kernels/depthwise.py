"""Depthwise convolution (one input channel per group): direct Numba loops, no im2col.

Used by :mod:`teachnn.kernels.conv` when ``C/G == 1``; same conventions (3-d views,
``geom`` tuples, range kernels that release the GIL, validation done by the caller).

With C/G == 1 each output channel is a weighted sum of K shifted copies of ONE input
channel. The GEMM of the im2col route would be (O/G x K) @ (K x N*L) per group: tiny
matrices, while im2col writes K copies of the input. Here the loops run directly, one
(sample, channel) plane at a time. Three ideas make them fast:

1. **Pad once into a scratch plane.** Each input plane is copied into a zero-bordered
   scratch array ``xp`` of shape (Dp, Hp, Wp), just large enough for every window
   position. Afterwards no loop needs a bounds test: every tap reads a full row.
   The border is never written, so it is zeroed once per call, not once per plane.

2. **Stride 1: one tap = one shift of the flat index.** On the padded plane, output
   position (i, j, k) of tap (a, b, e) reads ``xp[i + a*dd, j + b*dh, k + e*dw]``. Lay
   the output out on the same row length Wp ("the grid": flat index
   ``q = (i*Hp + j)*Wp + k``) and that input is ``xp_flat[q + off]`` with the constant
   ``off = (a*dd*Hp + b*dh)*Wp + e*dw``. So each tap is ONE long vectorisable loop over
   the whole plane, instead of oD*oH short loops over rows of oW (32 columns was too
   short: the per-row loop overhead cost more than the arithmetic). The grid has a few
   extra columns per row (Wp - oW) whose values are never used; see each kernel.

3. **Index only from 0.** Numba accepts negative indices (Python's ``a[-1]``), so an
   index it cannot prove non-negative gets a check on every element, which stops LLVM
   from vectorising the loop. The kernels therefore slice a view first (``xs =
   xpf[off:off + Lq]``) and index it with ``q`` from ``range(...)``, which starts at 0.
   Copies between rows are plain loops too: Numba's slice assignment ``a[:] = b[...]``
   was measured about 4x slower on these short rows.

Strides > 1 take a simpler row-by-row path on the same padded plane (no shift trick).
"""
from __future__ import annotations

import numpy as np
from numba import njit


# --------------------------------------------------------------------------------------
# Helpers: padded sizes, copying a plane into / out of the padded scratch, a dot product
# --------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _padded_sizes(geom, oD, oH, oW):
    """Size (Dp, Hp, Wp) of the padded plane that holds every window position:
    the last output reads index (o-1)*s + (k-1)*d, so the size is that + 1."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    return ((oD - 1) * sd + (kd - 1) * dd + 1,
            (oH - 1) * sh + (kh - 1) * dh + 1,
            (oW - 1) * sw + (kw - 1) * dw + 1)


@njit(cache=True, inline="always")
def _pad_plane(xf, base, D, H, W, xp, pd, ph, pw):
    """xp[z + pd, y + ph, c + pw] = x_plane[z, y, c], where x_plane is the (D, H, W)
    plane starting at flat index ``base`` of ``xf``. Only the interior is written (the
    zero border stays zero). Input cells beyond the padded size are never read by any
    window (the output size was floored), so they are not copied."""
    Dp, Hp, Wp = xp.shape
    nz = max(0, min(D, Dp - pd))                  # planes / rows / columns that fit
    ny = max(0, min(H, Hp - ph))
    nc = max(0, min(W, Wp - pw))
    for z in range(nz):
        for y in range(ny):
            src = xf[base + (z * H + y) * W:base + (z * H + y) * W + nc]
            dst = xp[z + pd, y + ph, pw:pw + nc]
            for c in range(nc):
                dst[c] = src[c]


@njit(cache=True, inline="always")
def _unpad_plane(xp, xf, base, D, H, W, pd, ph, pw):
    """The adjoint of _pad_plane: x_plane[z, y, c] = xp[z + pd, y + ph, c + pw], and 0
    for the input cells outside the padded plane (no window reads them)."""
    Dp, Hp, Wp = xp.shape
    nz = max(0, min(D, Dp - pd))
    ny = max(0, min(H, Hp - ph))
    nc = max(0, min(W, Wp - pw))
    if nz < D or ny < H or nc < W:                # some cells are read by no window
        plane = xf[base:base + D * H * W]
        for q in range(D * H * W):
            plane[q] = 0
    for z in range(nz):
        for y in range(ny):
            src = xp[z + pd, y + ph, pw:pw + nc]
            dst = xf[base + (z * H + y) * W:base + (z * H + y) * W + nc]
            for c in range(nc):
                dst[c] = src[c]


@njit(cache=True, inline="always")
def _plane_to_grid(of, base, oD, oH, oW, grid, Hp, Wp):
    """grid[(i*Hp + j)*Wp + k] = plane[i, j, k] for the (oD, oH, oW) plane starting at
    flat index ``base`` of ``of``. The grid's extra cells are not touched."""
    for i in range(oD):
        for j in range(oH):
            src = of[base + (i * oH + j) * oW:base + (i * oH + j + 1) * oW]
            dst = grid[(i * Hp + j) * Wp:(i * Hp + j) * Wp + oW]
            for k in range(oW):
                dst[k] = src[k]


@njit(cache=True, inline="always")
def _grid_to_plane(grid, of, base, oD, oH, oW, Hp, Wp):
    """plane[i, j, k] = grid[(i*Hp + j)*Wp + k]: the adjoint of _plane_to_grid (the
    grid's extra cells are dropped)."""
    for i in range(oD):
        for j in range(oH):
            src = grid[(i * Hp + j) * Wp:(i * Hp + j) * Wp + oW]
            dst = of[base + (i * oH + j) * oW:base + (i * oH + j + 1) * oW]
            for k in range(oW):
                dst[k] = src[k]


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dot(a, b):
    """sum_q a[q] * b[q] for two 1-d arrays of equal length.

    ``fastmath={"reassoc"}`` lets LLVM add the products in any order, so it keeps
    several partial sums in the lanes of a vector register and adds them at the end
    (a plain running sum must add one product after the other: 8-16x slower). The
    result is rounded differently from a left-to-right sum, but deterministically."""
    s = a.dtype.type(0)
    for q in range(a.shape[0]):
        s += a[q] * b[q]
    return s


# --------------------------------------------------------------------------------------
# Forward
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _dw_forward_range(x, w, out, geom, start, stop):
    """out[n, g*Og + o] = sum_tap w[g*Og + o, 0, tap] * shifted x[n, g], for the
    (sample, group) pairs p = n*G + g in [start, stop).

    x (N, G, D, H, W), w (O, 1, kd, kh, kw) with O = G*Og, out (N, O, oD, oH, oW):

        out[n, oc, i, j, k] = sum_{a,b,e} w[oc, 0, a, b, e]
                              * x[n, g, i*sd + a*dd - pd, j*sh + b*dh - ph, k*sw + e*dw - pw]
    (x = 0 outside the plane). Loop order: pair -> pad its plane once -> output channel
    of the group -> tap -> the whole grid (stride 1) or output row -> column.
    """
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, G, D, H, W = x.shape
    Og = w.shape[0] // G
    oD, oH, oW = out.shape[2], out.shape[3], out.shape[4]
    K = kd * kh * kw
    L = oD * oH * oW
    Dp, Hp, Wp = _padded_sizes(geom, oD, oH, oW)
    xf, wf, of = x.reshape(-1), w.reshape(-1), out.reshape(-1)
    xp = np.zeros((Dp, Hp, Wp), dtype=x.dtype)            # padded plane, border = 0
    xpf = xp.reshape(-1)
    stride1 = sd == 1 and sh == 1 and sw == 1
    Lq = ((oD - 1) * Hp + (oH - 1)) * Wp + oW             # grid length (stride 1)
    acc = np.empty(Lq if stride1 else oW, dtype=out.dtype)
    for p in range(start, stop):
        n = p // G
        g = p - n * G
        _pad_plane(xf, p * D * H * W, D, H, W, xp, pd, ph, pw)   # x[n, g] -> xp
        for o in range(Og):
            oc = g * Og + o
            w_base = oc * K                                # w[oc, 0] (flat)
            out_base = (n * G * Og + oc) * L               # out[n, oc] (flat)
            if stride1:
                # acc[q] = sum_tap w[tap] * xp_flat[q + off(tap)] on the grid; the grid's
                # extra columns get sums of neighbouring cells and are simply not copied
                for q in range(Lq):
                    acc[q] = 0
                for a in range(kd):
                    for b in range(kh):
                        for e in range(kw):
                            wv = wf[w_base + (a * kh + b) * kw + e]
                            off = (a * dd * Hp + b * dh) * Wp + e * dw
                            xs = xpf[off:off + Lq]        # the plane shifted by the tap
                            for q in range(Lq):
                                acc[q] += wv * xs[q]
                _grid_to_plane(acc, of, out_base, oD, oH, oW, Hp, Wp)
            else:
                # any stride: one output row at a time, its oW sums in the buffer acc
                for i in range(oD):
                    for j in range(oH):
                        acc[:] = 0
                        for a in range(kd):
                            for b in range(kh):
                                xr = xp[i * sd + a * dd, j * sh + b * dh]     # (Wp,)
                                for e in range(kw):
                                    wv = wf[w_base + (a * kh + b) * kw + e]
                                    # xs[k] = xr[k*sw + e*dw], k < oW
                                    xs = xr[e * dw:e * dw + (oW - 1) * sw + 1:sw]
                                    for k in range(oW):
                                        acc[k] += wv * xs[k]
                        dst = of[out_base + (i * oH + j) * oW:
                                 out_base + (i * oH + j + 1) * oW]
                        for k in range(oW):
                            dst[k] = acc[k]


# --------------------------------------------------------------------------------------
# Gradient of the input: the same taps, scattered back
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _dw_grad_input_range(g_out, w, gx, geom, start, stop):
    """grad_x[n, g] = sum_o sum_tap w[g*Og + o, 0, tap] * grad_out[n, g*Og + o] scattered
    back through the tap (the adjoint of _dw_forward_range), pairs p in [start, stop).

    g_out (N, O, oD, oH, oW), w (O, 1, kd, kh, kw), gx (N, G, D, H, W) fully overwritten.
    The sums build up in a padded scratch plane gxp (each forward read of xp becomes an
    addition into gxp), whose interior is then copied to gx: the border collected the
    gradient of the zero padding, which nobody needs.
    """
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, G, D, H, W = gx.shape
    Og = w.shape[0] // G
    oD, oH, oW = g_out.shape[2], g_out.shape[3], g_out.shape[4]
    K = kd * kh * kw
    L = oD * oH * oW
    Dp, Hp, Wp = _padded_sizes(geom, oD, oH, oW)
    gf, wf, gxf = g_out.reshape(-1), w.reshape(-1), gx.reshape(-1)
    gxp = np.empty((Dp, Hp, Wp), dtype=gx.dtype)          # padded gradient plane
    gxpf = gxp.reshape(-1)
    stride1 = sd == 1 and sh == 1 and sw == 1
    Lq = ((oD - 1) * Hp + (oH - 1)) * Wp + oW
    # grad_out plane on the grid (stride 1). Its extra cells must be 0 (they are added
    # into gxp like the others); _plane_to_grid never writes them, so zero them once.
    gq = np.zeros(Lq if stride1 else 1, dtype=gx.dtype)
    for p in range(start, stop):
        n = p // G
        g = p - n * G
        for q in range(gxpf.shape[0]):
            gxpf[q] = 0
        for o in range(Og):
            oc = g * Og + o
            w_base = oc * K
            out_base = (n * G * Og + oc) * L               # g_out[n, oc] (flat)
            if stride1:
                # gxp_flat[q + off(tap)] += w[tap] * gq[q]: one long loop per tap
                _plane_to_grid(gf, out_base, oD, oH, oW, gq, Hp, Wp)
                for a in range(kd):
                    for b in range(kh):
                        for e in range(kw):
                            wv = wf[w_base + (a * kh + b) * kw + e]
                            off = (a * dd * Hp + b * dh) * Wp + e * dw
                            gs = gxpf[off:off + Lq]
                            for q in range(Lq):
                                gs[q] += wv * gq[q]
            else:
                # any stride: one grad_out row at a time, scattered to every tap's row
                for i in range(oD):
                    for j in range(oH):
                        src = gf[out_base + (i * oH + j) * oW:
                                 out_base + (i * oH + j + 1) * oW]          # (oW,)
                        for a in range(kd):
                            for b in range(kh):
                                gr = gxp[i * sd + a * dd, j * sh + b * dh]   # (Wp,)
                                for e in range(kw):
                                    wv = wf[w_base + (a * kh + b) * kw + e]
                                    gs = gr[e * dw:e * dw + (oW - 1) * sw + 1:sw]
                                    for k in range(oW):
                                        gs[k] += wv * src[k]
        _unpad_plane(gxp, gxf, p * D * H * W, D, H, W, pd, ph, pw)   # gxp -> gx[n, g]


# --------------------------------------------------------------------------------------
# Gradient of the weight: per tap, a dot product of grad_out with the shifted input
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _dw_grad_weight_range(g_out, x, gw, geom, start, stop):
    """grad_w[oc, 0, tap] = sum_n sum_positions grad_out[n, oc] * shifted x[n, oc // Og],
    for the output channels oc in [start, stop) (each writes only its own entries).

    g_out (N, O, oD, oH, oW), x (N, G, D, H, W), gw (O, 1, kd, kh, kw) fully overwritten.
    Loop order: channel -> sample (pad its plane) -> tap. Stride 1: per tap one dot
    product over the grid (grad_out's extra grid cells are 0, so the unused columns add
    nothing). Other strides: per output row, the products go into a (K, oW) buffer of
    partial sums (an elementwise, vectorisable loop), summed once at the end. Each
    sample's sums are added up in float64.
    """
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geom
    N, G, D, H, W = x.shape
    Og = gw.shape[0] // G
    oD, oH, oW = g_out.shape[2], g_out.shape[3], g_out.shape[4]
    K = kd * kh * kw
    L = oD * oH * oW
    Dp, Hp, Wp = _padded_sizes(geom, oD, oH, oW)
    gf, xf, gwf = g_out.reshape(-1), x.reshape(-1), gw.reshape(-1)
    xp = np.zeros((Dp, Hp, Wp), dtype=x.dtype)
    xpf = xp.reshape(-1)
    stride1 = sd == 1 and sh == 1 and sw == 1
    Lq = ((oD - 1) * Hp + (oH - 1)) * Wp + oW
    gq = np.zeros(Lq if stride1 else 1, dtype=x.dtype)    # extra cells stay 0
    acc = np.empty((K, 1 if stride1 else oW), dtype=gw.dtype)
    total = np.empty(K, dtype=np.float64)                 # sum over samples, per tap
    for oc in range(start, stop):
        g = oc // Og
        total[:] = 0
        for n in range(N):
            _pad_plane(xf, (n * G + g) * D * H * W, D, H, W, xp, pd, ph, pw)
            out_base = (n * G * Og + oc) * L               # g_out[n, oc] (flat)
            if stride1:
                _plane_to_grid(gf, out_base, oD, oH, oW, gq, Hp, Wp)
                for a in range(kd):
                    for b in range(kh):
                        for e in range(kw):
                            off = (a * dd * Hp + b * dh) * Wp + e * dw
                            total[(a * kh + b) * kw + e] += _dot(gq, xpf[off:off + Lq])
            else:
                acc[:, :] = 0
                for i in range(oD):
                    for j in range(oH):
                        src = gf[out_base + (i * oH + j) * oW:
                                 out_base + (i * oH + j + 1) * oW]          # (oW,)
                        for a in range(kd):
                            for b in range(kh):
                                xr = xp[i * sd + a * dd, j * sh + b * dh]    # (Wp,)
                                for e in range(kw):
                                    xs = xr[e * dw:e * dw + (oW - 1) * sw + 1:sw]
                                    acc_t = acc[(a * kh + b) * kw + e]
                                    for k in range(oW):
                                        acc_t[k] += src[k] * xs[k]
                for t in range(K):
                    total[t] += acc[t].sum()
        for t in range(K):
            gwf[oc * K + t] = total[t]
