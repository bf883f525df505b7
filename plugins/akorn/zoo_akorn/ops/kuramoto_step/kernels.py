"""Triton kernels of the fused Kuramoto step (forward and backward).

Rows are oscillators: ``x`` and ``y`` are viewed as ``[R, N]`` (``R = numel / N``), row ``r``
holding channels ``(r % K) * N .. + N - 1`` of its site (``K = C / N``). Per row::

    d = <x, y>;  p = y - d x  (PROJECT)  or  y
    dxdt = p (OMEGA_MODE 0) | x + p (1, official use_omega=False quirk) | Omega x + p (2)
    v = x + gamma dxdt;  out = v / max(||v||, 1e-12);  e = -d

with ``(Omega x)_c = s_c w_c x_{c^1}``, ``s_c = +1`` for even ``c`` and ``-1`` for odd ``c``.
The backward kernel recomputes the forward quantities and writes ``grad_x``, ``grad_y``,
the per-row contribution to ``grad_gamma`` and the per-element contribution to
``grad_omega`` (reduced by the launcher). All arithmetic is in float32.
"""

import triton
import triton.language as tl


@triton.jit
def _swap_pairs(t, BLOCK_R: tl.constexpr, BLOCK_N: tl.constexpr):
    """Swap columns (2k, 2k+1) of a [BLOCK_R, BLOCK_N] tile."""
    a, b = tl.split(tl.reshape(t, (BLOCK_R, BLOCK_N // 2, 2)))
    return tl.reshape(tl.join(b, a), (BLOCK_R, BLOCK_N))


@triton.jit
def _kuramoto_step_fwd_kernel(
    X, Y, W, GAMMA, OUT, E, R, K,
    N: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_N: tl.constexpr,
    OMEGA_MODE: tl.constexpr, PROJECT: tl.constexpr,
):
    """out = normalize(x + gamma (Omega x + Proj_x y)), e = -<x, y> for BLOCK_R oscillators."""
    rows = tl.program_id(0) * BLOCK_R + tl.arange(0, BLOCK_R)
    cols = tl.arange(0, BLOCK_N)
    mask = (rows < R)[:, None] & (cols < N)[None, :]
    offs = rows[:, None] * N + cols[None, :]
    x = tl.load(X + offs, mask=mask, other=0.0).to(tl.float32)
    y = tl.load(Y + offs, mask=mask, other=0.0).to(tl.float32)
    d = tl.sum(x * y, axis=1)
    if PROJECT:
        p = y - d[:, None] * x
    else:
        p = y
    if OMEGA_MODE == 1:
        dxdt = x + p
    elif OMEGA_MODE == 2:
        w = tl.load(W + (rows % K)[:, None] * N + cols[None, :], mask=mask, other=0.0).to(tl.float32)
        sign = tl.where(cols % 2 == 0, 1.0, -1.0)[None, :]
        dxdt = sign * w * _swap_pairs(x, BLOCK_R, BLOCK_N) + p
    else:
        dxdt = p
    gamma = tl.load(GAMMA).to(tl.float32)
    v = x + gamma * dxdt
    norm = tl.maximum(tl.sqrt(tl.sum(v * v, axis=1)), 1e-12)
    tl.store(OUT + offs, (v / norm[:, None]).to(OUT.dtype.element_ty), mask=mask)
    tl.store(E + rows, (-d).to(E.dtype.element_ty), mask=rows < R)


@triton.jit
def _kuramoto_step_bwd_kernel(
    X, Y, W, GAMMA, GOUT, GE, GX, GY, GGAMMA, GW, R, K,
    N: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_N: tl.constexpr,
    OMEGA_MODE: tl.constexpr, PROJECT: tl.constexpr,
):
    """Gradients of the step w.r.t. x, y, gamma (per row) and omega (per element)."""
    rows = tl.program_id(0) * BLOCK_R + tl.arange(0, BLOCK_R)
    cols = tl.arange(0, BLOCK_N)
    rmask = rows < R
    mask = rmask[:, None] & (cols < N)[None, :]
    offs = rows[:, None] * N + cols[None, :]
    x = tl.load(X + offs, mask=mask, other=0.0).to(tl.float32)
    y = tl.load(Y + offs, mask=mask, other=0.0).to(tl.float32)
    g = tl.load(GOUT + offs, mask=mask, other=0.0).to(tl.float32)
    ge = tl.load(GE + rows, mask=rmask, other=0.0).to(tl.float32)
    gamma = tl.load(GAMMA).to(tl.float32)
    # recompute the forward pass
    d = tl.sum(x * y, axis=1)
    if PROJECT:
        p = y - d[:, None] * x
    else:
        p = y
    sign = tl.where(cols % 2 == 0, 1.0, -1.0)[None, :]
    if OMEGA_MODE == 1:
        dxdt = x + p
    elif OMEGA_MODE == 2:
        w = tl.load(W + (rows % K)[:, None] * N + cols[None, :], mask=mask, other=0.0).to(tl.float32)
        x_sw = _swap_pairs(x, BLOCK_R, BLOCK_N)
        dxdt = sign * w * x_sw + p
    else:
        dxdt = p
    v = x + gamma * dxdt
    r = tl.sqrt(tl.sum(v * v, axis=1))
    big = r >= 1e-12
    nrm = tl.maximum(r, 1e-12)
    out = v / nrm[:, None]
    # through the normalisation: d(v / max(|v|, eps))
    og = tl.sum(out * g, axis=1)
    gv = tl.where(big[:, None], (g - out * og[:, None]) / nrm[:, None], g / nrm[:, None])
    tl.store(GGAMMA + rows, tl.sum(gv * dxdt, axis=1), mask=rmask)
    gd = gamma * gv  # gradient w.r.t. dxdt
    gx = gv
    if OMEGA_MODE == 1:
        gx = gx + gd
    elif OMEGA_MODE == 2:
        # (Omega x)_c = s_c w_c x_{c^1}  =>  gx_c += s_{c^1} w_c gd_{c^1} = -s_c w_c gd_{c^1}
        gx = gx - sign * w * _swap_pairs(gd, BLOCK_R, BLOCK_N)
        tl.store(GW + offs, sign * x_sw * gd, mask=mask)
    if PROJECT:
        gdot = -tl.sum(x * gd, axis=1) - ge
        gx = gx - d[:, None] * gd + gdot[:, None] * y
    else:
        gdot = -ge
        gx = gx + gdot[:, None] * y
    gy = gd + gdot[:, None] * x
    tl.store(GX + offs, gx.to(GX.dtype.element_ty), mask=mask)
    tl.store(GY + offs, gy.to(GY.dtype.element_ty), mask=mask)
