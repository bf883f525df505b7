"""Triton kernels of spatial conditional batch normalization (forward and backward).

Layout: ``x``, ``y``, ``dy``, ``dx``, ``gxh`` contiguous ``(B, C, HW)``; class maps ``w``
``(B, K, HW)``; tables ``g``, ``bt`` ``(K, C)``; ``mean``, ``rstd``, ``s1``, ``s2`` ``(C,)``
float32. Each program recomputes the per-pixel ``gamma = sum_k w[b, k] g[k, c]`` (and beta) in
registers, so the ``(B, C, HW)`` affine maps are never written::

    forward:  y = gamma * x_hat + beta
    backward: gxh = dy * x_hat
              batch stats:   dx = rstd * (gamma dy - S1[c] / N - x_hat S2[c] / N),
                             S1[c] = sum_{b,p} gamma dy,  S2[c] = sum_{b,p} gamma dy x_hat
              running stats: dx = rstd * gamma dy

(the class-map and table gradients are contractions of ``gxh`` and ``dy``, done by matmuls).
"""

import triton
import triton.language as tl


@triton.jit
def _affine(W, G, BT, b, c, C, K, HW, offs, mask, BLOCK: tl.constexpr):
    gam = tl.zeros([BLOCK], dtype=tl.float32)
    bet = tl.zeros([BLOCK], dtype=tl.float32)
    for k in range(0, K):
        w = tl.load(W + (b * K + k) * HW + offs, mask=mask, other=0.0).to(tl.float32)
        gam += w * tl.load(G + k * C + c).to(tl.float32)
        bet += w * tl.load(BT + k * C + c).to(tl.float32)
    return gam, bet


@triton.jit
def _scbn_fwd_kernel(X, W, G, BT, MEAN, RSTD, Y, C, K, HW, BLOCK: tl.constexpr):
    """Grid (B * C, cdiv(HW, BLOCK))."""
    r = tl.program_id(0)
    b = r // C
    c = r % C
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < HW
    gam, bet = _affine(W, G, BT, b, c, C, K, HW, offs, mask, BLOCK)
    x = tl.load(X + r * HW + offs, mask=mask, other=0.0).to(tl.float32)
    x_hat = (x - tl.load(MEAN + c)) * tl.load(RSTD + c)
    tl.store(Y + r * HW + offs, (gam * x_hat + bet).to(Y.dtype.element_ty), mask=mask)


@triton.jit
def _scbn_bwd_reduce_kernel(X, W, G, BT, DY, MEAN, RSTD, S1, S2, B, C, K, HW, BLOCK: tl.constexpr):
    """Grid (C,): the per-channel sums S1, S2 of the batch-statistics backward."""
    c = tl.program_id(0)
    mean = tl.load(MEAN + c)
    rstd = tl.load(RSTD + c)
    acc1 = tl.zeros([BLOCK], dtype=tl.float32)
    acc2 = tl.zeros([BLOCK], dtype=tl.float32)
    for b in range(0, B):
        for start in range(0, HW, BLOCK):
            offs = start + tl.arange(0, BLOCK)
            mask = offs < HW
            gam, bet = _affine(W, G, BT, b, c, C, K, HW, offs, mask, BLOCK)
            x = tl.load(X + (b * C + c) * HW + offs, mask=mask, other=0.0).to(tl.float32)
            dy = tl.load(DY + (b * C + c) * HW + offs, mask=mask, other=0.0).to(tl.float32)
            gdy = gam * dy
            acc1 += gdy
            acc2 += tl.where(mask, gdy * (x - mean) * rstd, 0.0)
    tl.store(S1 + c, tl.sum(acc1, axis=0))
    tl.store(S2 + c, tl.sum(acc2, axis=0))


@triton.jit
def _scbn_bwd_dx_kernel(X, W, G, BT, DY, MEAN, RSTD, S1, S2, DX, GXH, B, C, K, HW,
                        USE_BATCH_STATS: tl.constexpr, BLOCK: tl.constexpr):
    """Grid (B * C, cdiv(HW, BLOCK)): dx and gxh = dy * x_hat."""
    r = tl.program_id(0)
    b = r // C
    c = r % C
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < HW
    gam, bet = _affine(W, G, BT, b, c, C, K, HW, offs, mask, BLOCK)
    rstd = tl.load(RSTD + c)
    x = tl.load(X + r * HW + offs, mask=mask, other=0.0).to(tl.float32)
    dy = tl.load(DY + r * HW + offs, mask=mask, other=0.0).to(tl.float32)
    x_hat = (x - tl.load(MEAN + c)) * rstd
    if USE_BATCH_STATS:
        n = B * HW
        dx = rstd * (gam * dy - tl.load(S1 + c) / n - x_hat * (tl.load(S2 + c) / n))
    else:
        dx = rstd * gam * dy
    tl.store(DX + r * HW + offs, dx.to(DX.dtype.element_ty), mask=mask)
    tl.store(GXH + r * HW + offs, dy * x_hat, mask=mask)
