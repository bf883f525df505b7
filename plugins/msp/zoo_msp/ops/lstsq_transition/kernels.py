"""Triton kernels of ``lstsq_transition``: one program per batch element.

Forward (``_lstsq_transition_fwd_kernel``), with X = H0, Y = H1:

    G = X^T X,  C = X^T Y             accumulated over row blocks of size BLOCK_R
    [G | C | I] -> [I | M | G^-1]     Gauss-Jordan elimination in registers (G is SPD, so no
                                      pivoting is needed; padded coordinates get G_ii = 1)
    P = Z M                           optional (HAS_Z)

Backward (``_lstsq_transition_bwd_kernel``), given dM and dP (the incoming gradients):

    W  = dM + Z^T dP,   dZ = dP M^T
    dC = G^-1 W,        dG = -dC M^T
    dX = X (dG + dG^T) + Y dC^T,      dY = X dC

All matrices are ``BLOCK_A x BLOCK_A`` tiles (``BLOCK_A = max(16, next_pow2(a))``, the
smallest size ``tl.dot`` accepts); inputs are contiguous float32 ``(B, rows, a)``.
"""

import triton
import triton.language as tl


@triton.jit
def _load_rows(ptr, base, r0, n_rows, A, BLOCK_R: tl.constexpr, BLOCK_A: tl.constexpr):
    offs_r = r0 + tl.arange(0, BLOCK_R)
    offs_a = tl.arange(0, BLOCK_A)
    mask = (offs_r[:, None] < n_rows) & (offs_a[None, :] < A)
    return tl.load(ptr + base + offs_r[:, None] * A + offs_a[None, :], mask=mask, other=0.0)


@triton.jit
def _store_rows(ptr, base, r0, n_rows, A, value, BLOCK_R: tl.constexpr, BLOCK_A: tl.constexpr):
    offs_r = r0 + tl.arange(0, BLOCK_R)
    offs_a = tl.arange(0, BLOCK_A)
    mask = (offs_r[:, None] < n_rows) & (offs_a[None, :] < A)
    tl.store(ptr + base + offs_r[:, None] * A + offs_a[None, :], value, mask=mask)


@triton.jit
def _lstsq_transition_fwd_kernel(
    H0, H1, Z, M_OUT, GINV_OUT, P_OUT,
    R, S, A,
    HAS_Z: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_A: tl.constexpr,
):
    """M = (H0^T H0)^-1 H0^T H1 per batch element; also G^-1 (for backward) and P = Z M."""
    b = tl.program_id(0).to(tl.int64)
    offs_a = tl.arange(0, BLOCK_A)
    G = tl.zeros((BLOCK_A, BLOCK_A), dtype=tl.float32)
    C = tl.zeros((BLOCK_A, BLOCK_A), dtype=tl.float32)
    for r0 in range(0, R, BLOCK_R):
        x = _load_rows(H0, b * R * A, r0, R, A, BLOCK_R, BLOCK_A)
        y = _load_rows(H1, b * R * A, r0, R, A, BLOCK_R, BLOCK_A)
        xt = tl.trans(x)
        G += tl.dot(xt, x, input_precision="ieee")
        C += tl.dot(xt, y, input_precision="ieee")

    eye = offs_a[:, None] == offs_a[None, :]
    G = tl.where(eye & (offs_a[:, None] >= A), 1.0, G)  # padded coordinates: identity
    Ginv = tl.where(eye, 1.0, 0.0)
    for k in range(0, A):
        is_row = offs_a[:, None] == k
        g_k = tl.sum(tl.where(is_row, G, 0.0), axis=0)
        c_k = tl.sum(tl.where(is_row, C, 0.0), axis=0)
        i_k = tl.sum(tl.where(is_row, Ginv, 0.0), axis=0)
        pivot = tl.sum(tl.where(offs_a == k, g_k, 0.0), axis=0)
        g_k = g_k / pivot
        c_k = c_k / pivot
        i_k = i_k / pivot
        f = tl.sum(tl.where(offs_a[None, :] == k, G, 0.0), axis=1)
        f = tl.where(offs_a == k, 0.0, f)
        G = tl.where(is_row, g_k[None, :], G - f[:, None] * g_k[None, :])
        C = tl.where(is_row, c_k[None, :], C - f[:, None] * c_k[None, :])
        Ginv = tl.where(is_row, i_k[None, :], Ginv - f[:, None] * i_k[None, :])

    mask_aa = (offs_a[:, None] < A) & (offs_a[None, :] < A)
    offs_aa = b * A * A + offs_a[:, None] * A + offs_a[None, :]
    tl.store(M_OUT + offs_aa, C, mask=mask_aa)
    tl.store(GINV_OUT + offs_aa, Ginv, mask=mask_aa)
    if HAS_Z:
        for s0 in range(0, S, BLOCK_R):
            z = _load_rows(Z, b * S * A, s0, S, A, BLOCK_R, BLOCK_A)
            p = tl.dot(z, C, input_precision="ieee")
            _store_rows(P_OUT, b * S * A, s0, S, A, p, BLOCK_R, BLOCK_A)


@triton.jit
def _lstsq_transition_bwd_kernel(
    H0, H1, Z, M, GINV, DM, DP,
    DH0, DH1, DZ,
    R, S, A,
    HAS_Z: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_A: tl.constexpr,
):
    """Gradients of M = (X^T X)^-1 X^T Y and P = Z M with respect to X, Y and Z."""
    b = tl.program_id(0).to(tl.int64)
    offs_a = tl.arange(0, BLOCK_A)
    mask_aa = (offs_a[:, None] < A) & (offs_a[None, :] < A)
    offs_aa = b * A * A + offs_a[:, None] * A + offs_a[None, :]
    m = tl.load(M + offs_aa, mask=mask_aa, other=0.0)
    ginv = tl.load(GINV + offs_aa, mask=mask_aa, other=0.0)
    w = tl.load(DM + offs_aa, mask=mask_aa, other=0.0)
    mt = tl.trans(m)
    if HAS_Z:
        for s0 in range(0, S, BLOCK_R):
            z = _load_rows(Z, b * S * A, s0, S, A, BLOCK_R, BLOCK_A)
            dp = _load_rows(DP, b * S * A, s0, S, A, BLOCK_R, BLOCK_A)
            w += tl.dot(tl.trans(z), dp, input_precision="ieee")
            _store_rows(DZ, b * S * A, s0, S, A, tl.dot(dp, mt, input_precision="ieee"),
                        BLOCK_R, BLOCK_A)
    dc = tl.dot(ginv, w, input_precision="ieee")
    dg = -tl.dot(dc, mt, input_precision="ieee")
    wg = dg + tl.trans(dg)
    dct = tl.trans(dc)
    for r0 in range(0, R, BLOCK_R):
        x = _load_rows(H0, b * R * A, r0, R, A, BLOCK_R, BLOCK_A)
        y = _load_rows(H1, b * R * A, r0, R, A, BLOCK_R, BLOCK_A)
        dx = tl.dot(x, wg, input_precision="ieee") + tl.dot(y, dct, input_precision="ieee")
        _store_rows(DH0, b * R * A, r0, R, A, dx, BLOCK_R, BLOCK_A)
        _store_rows(DH1, b * R * A, r0, R, A, tl.dot(x, dc, input_precision="ieee"),
                    BLOCK_R, BLOCK_A)
