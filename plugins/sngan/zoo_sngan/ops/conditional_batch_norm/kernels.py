"""Triton kernels of conditional batch normalization (forward and backward).

Layout: ``x``, ``y``, ``dy``, ``dx`` contiguous ``(B, C, HW)``; ``gamma``, ``beta``,
``dgamma``, ``dbeta`` contiguous ``(B, C)``; ``mean``, ``var``, ``rstd`` ``(C,)`` float32.
Row ``r = b * C + c`` of ``x`` is the ``HW`` pixels of sample ``b``, channel ``c``.

Forward::

    mean[c] = sum_{b,p} x / N,  var[c] = sum_{b,p} (x - mean)^2 / N,  N = B * HW
    y = gamma[b, c] * (x - mean[c]) * rstd[c] + beta[b, c],  rstd = 1 / sqrt(var + eps)

Backward (``x_hat = (x - mean) * rstd``)::

    dbeta[b, c]  = sum_p dy
    dgamma[b, c] = sum_p dy * x_hat
    batch stats:   dx = rstd * (gamma dy - S1[c] / N - x_hat * S2[c] / N),
                   S1[c] = sum_b gamma[b, c] dbeta[b, c],  S2[c] = sum_b gamma[b, c] dgamma[b, c]
    running stats: dx = rstd * gamma dy
"""

import triton
import triton.language as tl


@triton.jit
def _cbn_stats_kernel(X, MEAN, VAR, RSTD, B, C, HW, eps, BLOCK: tl.constexpr):
    """One program per channel: two-pass (mean, then centred variance) batch statistics."""
    c = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for b in range(0, B):
        row = X + (b * C + c) * HW
        for start in range(0, HW, BLOCK):
            mask = start + offs < HW
            acc += tl.load(row + start + offs, mask=mask, other=0.0).to(tl.float32)
    n = B * HW
    mean = tl.sum(acc, axis=0) / n
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for b in range(0, B):
        row = X + (b * C + c) * HW
        for start in range(0, HW, BLOCK):
            mask = start + offs < HW
            d = tl.load(row + start + offs, mask=mask, other=0.0).to(tl.float32) - mean
            d = tl.where(mask, d, 0.0)
            acc += d * d
    var = tl.sum(acc, axis=0) / n
    tl.store(MEAN + c, mean)
    tl.store(VAR + c, var)
    tl.store(RSTD + c, 1.0 / tl.sqrt(var + eps))


@triton.jit
def _cbn_fwd_kernel(X, GAMMA, BETA, MEAN, RSTD, Y, C, HW, BLOCK: tl.constexpr):
    """Grid (B * C, cdiv(HW, BLOCK)): y = x * scale + shift with per-(b, c) scale and shift."""
    r = tl.program_id(0)
    c = r % C
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < HW
    scale = tl.load(GAMMA + r).to(tl.float32) * tl.load(RSTD + c)
    shift = tl.load(BETA + r).to(tl.float32) - tl.load(MEAN + c) * scale
    x = tl.load(X + r * HW + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(Y + r * HW + offs, (x * scale + shift).to(Y.dtype.element_ty), mask=mask)


@triton.jit
def _cbn_bwd_reduce_kernel(X, DY, MEAN, RSTD, DGAMMA, DBETA, C, HW, BLOCK: tl.constexpr):
    """Grid (B * C,): dbeta[b, c] = sum_p dy, dgamma[b, c] = sum_p dy * x_hat."""
    r = tl.program_id(0)
    c = r % C
    mean = tl.load(MEAN + c)
    rstd = tl.load(RSTD + c)
    offs = tl.arange(0, BLOCK)
    acc_dy = tl.zeros([BLOCK], dtype=tl.float32)
    acc_dyx = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, HW, BLOCK):
        mask = start + offs < HW
        x = tl.load(X + r * HW + start + offs, mask=mask, other=0.0).to(tl.float32)
        dy = tl.load(DY + r * HW + start + offs, mask=mask, other=0.0).to(tl.float32)
        acc_dy += dy
        acc_dyx += dy * tl.where(mask, (x - mean) * rstd, 0.0)
    tl.store(DBETA + r, tl.sum(acc_dy, axis=0))
    tl.store(DGAMMA + r, tl.sum(acc_dyx, axis=0))


@triton.jit
def _cbn_bwd_dx_kernel(X, DY, GAMMA, MEAN, RSTD, DGAMMA, DBETA, DX, B, C, HW,
                       USE_BATCH_STATS: tl.constexpr, BLOCK: tl.constexpr):
    """Grid (B * C, cdiv(HW, BLOCK)): dx from dy and the per-channel sums S1, S2."""
    r = tl.program_id(0)
    c = r % C
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < HW
    rstd = tl.load(RSTD + c)
    g = tl.load(GAMMA + r).to(tl.float32)
    dy = tl.load(DY + r * HW + offs, mask=mask, other=0.0).to(tl.float32)
    if USE_BATCH_STATS:
        mean = tl.load(MEAN + c)
        s1 = 0.0
        s2 = 0.0
        for b in range(0, B):
            gb = tl.load(GAMMA + b * C + c).to(tl.float32)
            s1 += gb * tl.load(DBETA + b * C + c)
            s2 += gb * tl.load(DGAMMA + b * C + c)
        n = B * HW
        x = tl.load(X + r * HW + offs, mask=mask, other=0.0).to(tl.float32)
        x_hat = (x - mean) * rstd
        dx = rstd * (g * dy - s1 / n - x_hat * (s2 / n))
    else:
        dx = rstd * g * dy
    tl.store(DX + r * HW + offs, dx.to(DX.dtype.element_ty), mask=mask)
