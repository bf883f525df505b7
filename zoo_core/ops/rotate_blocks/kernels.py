"""Triton kernels for ``rotate_blocks`` (imported only on the Triton path).

Rows are ``(n, t)``: ``n`` runs over the broadcast leading dims, ``t`` over tokens. One program
covers ``BLOCK_T`` tokens x all ``K`` blocks of one ``n``; per-``n`` element offsets of x and R come
from tables (``X_OFF``, ``R_OFF``) so broadcast leading dims are never materialised. Math runs in
``ACC`` (float32, or float64 for float64 inputs). ``TRANSPOSE`` reads each block as R^T (the
index of element (i, j) becomes j*B + i), so R^T is never materialised.
"""

import triton
import triton.language as tl


@triton.jit
def _at(i, j, B: tl.constexpr, TRANSPOSE: tl.constexpr):
    """Offset of the effective matrix's element (i, j) in a row-major B x B block: R[i, j], or R[j, i] = R^T[i, j]."""
    if TRANSPOSE:
        return j * B + i
    return i * B + j


@triton.jit
def _rotate_blocks_fwd_kernel(
    X, R, Y, X_OFF, R_OFF,
    x_stride_t, r_stride_t, T, K, n_tblocks,
    B: tl.constexpr, ACC: tl.constexpr, BLOCK_T: tl.constexpr, BLOCK_K: tl.constexpr, TRANSPOSE: tl.constexpr,
):
    """y[n, t, k*B + i] = sum_j R[n, t, k, i, j] * x[n, t, k*B + j]  (R[.., j, i] with TRANSPOSE)."""
    pid = tl.program_id(0)
    n = pid // n_tblocks
    t = (pid % n_tblocks) * BLOCK_T + tl.arange(0, BLOCK_T)
    k = tl.arange(0, BLOCK_K)
    mask = (t[:, None] < T) & (k[None, :] < K)
    t64 = t[:, None].to(tl.int64)
    x_ptr = X + tl.load(X_OFF + n) + t64 * x_stride_t + k[None, :] * B
    r_ptr = R + tl.load(R_OFF + n) + t64 * r_stride_t + k[None, :] * (B * B)
    y_ptr = Y + (n.to(tl.int64) * T + t64) * (K * B) + k[None, :] * B
    for i in tl.static_range(B):
        acc = tl.zeros([BLOCK_T, BLOCK_K], dtype=ACC)
        for j in tl.static_range(B):
            acc += tl.load(r_ptr + _at(i, j, B, TRANSPOSE), mask=mask).to(ACC) * tl.load(x_ptr + j, mask=mask).to(ACC)
        tl.store(y_ptr + i, acc.to(Y.dtype.element_ty), mask=mask)


@triton.jit
def _rotate_blocks_bwd_kernel(
    G, X, R, DX, DR, X_OFF, R_OFF,
    x_stride_t, r_stride_t, T, K, n_tblocks,
    B: tl.constexpr, ACC: tl.constexpr, BLOCK_T: tl.constexpr, BLOCK_K: tl.constexpr,
    TRANSPOSE: tl.constexpr, NEED_DX: tl.constexpr, NEED_DR: tl.constexpr,
):
    """dx[n, t, k*B + j] = sum_i R[n, t, k, i, j] * g[n, t, k*B + i];  dR[n, t, k, i, j] = g[.., k*B + i] * x[.., k*B + j]
    (with TRANSPOSE, R[.., j, i] and dR[.., j, i]).

    DX ([N, T, D]) and DR ([N, T, K, B, B]) are full-size, contiguous; the launcher sums them
    over broadcast dims.
    """
    pid = tl.program_id(0)
    n = pid // n_tblocks
    t = (pid % n_tblocks) * BLOCK_T + tl.arange(0, BLOCK_T)
    k = tl.arange(0, BLOCK_K)
    mask = (t[:, None] < T) & (k[None, :] < K)
    t64 = t[:, None].to(tl.int64)
    row = n.to(tl.int64) * T + t64
    g_ptr = G + row * (K * B) + k[None, :] * B
    x_ptr = X + tl.load(X_OFF + n) + t64 * x_stride_t + k[None, :] * B
    r_ptr = R + tl.load(R_OFF + n) + t64 * r_stride_t + k[None, :] * (B * B)
    if NEED_DX:
        dx_ptr = DX + row * (K * B) + k[None, :] * B
        for j in tl.static_range(B):
            acc = tl.zeros([BLOCK_T, BLOCK_K], dtype=ACC)
            for i in tl.static_range(B):
                acc += tl.load(r_ptr + _at(i, j, B, TRANSPOSE), mask=mask).to(ACC) * tl.load(g_ptr + i, mask=mask).to(ACC)
            tl.store(dx_ptr + j, acc.to(DX.dtype.element_ty), mask=mask)
    if NEED_DR:
        dr_ptr = DR + row * (K * B * B) + k[None, :] * (B * B)
        for i in tl.static_range(B):
            g_i = tl.load(g_ptr + i, mask=mask).to(ACC)
            for j in tl.static_range(B):
                x_j = tl.load(x_ptr + j, mask=mask).to(ACC)
                tl.store(dr_ptr + _at(i, j, B, TRANSPOSE), (g_i * x_j).to(DR.dtype.element_ty), mask=mask)
