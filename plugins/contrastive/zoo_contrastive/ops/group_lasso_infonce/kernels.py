"""Triton kernels of ``group_lasso_infonce`` (imported only on the Triton path).

``z1, z2``: ``[B, NB * BD]`` with strides; blocks are loaded as ``[BLOCK_M, BLOCK_K]`` tiles
(``BLOCK_K = next_pow2(BD)``, masked), so no ``[B, B, D]`` difference tensor exists anywhere.
Math in float32.

* ``_distances_kernel``: one program per ``BLOCK_M x BLOCK_N`` tile of ``D``, looping over the
  blocks: ``D_ij = sum_b sqrt(sum_k (a_ik - c_jk)^2)``.
* ``_grad_kernel``: ``dA_{i,b} = sum_j G_ij (a_{i,b} - c_{j,b}) / ||a_{i,b} - c_{j,b}||`` (0 where
  the norm is 0), one program per ``BLOCK_M`` rows and block ``b``, looping over j tiles. With
  ``(z1, z2, G)`` it gives dL/dz1; with ``(z2, z1, G^T)`` it gives dL/dz2 (the difference
  flips sign, and so does dD/dz2, so the same formula holds).
"""

import triton
import triton.language as tl


@triton.jit
def _load_block(ptr, rows, n_rows, stride_r, stride_c, col0, BD, BLOCK_M: tl.constexpr, BLOCK_K: tl.constexpr):
    offs_k = tl.arange(0, BLOCK_K)
    mask = (rows[:, None] < n_rows) & (offs_k[None, :] < BD)
    ptrs = ptr + rows[:, None].to(tl.int64) * stride_r + (col0 + offs_k[None, :]) * stride_c
    return tl.load(ptrs, mask=mask, other=0.0).to(tl.float32)


@triton.jit
def _distances_kernel(A, C, D, B, NB, BD, sa_r, sa_c, sc_r, sc_c,
                      BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for b in range(0, NB):
        a = _load_block(A, rows, B, sa_r, sa_c, b * BD, BD, BLOCK_M, BLOCK_K)
        c = _load_block(C, cols, B, sc_r, sc_c, b * BD, BD, BLOCK_N, BLOCK_K)
        diff = a[:, None, :] - c[None, :, :]
        acc += tl.sqrt(tl.sum(diff * diff, axis=2))
    mask = (rows[:, None] < B) & (cols[None, :] < B)
    tl.store(D + rows[:, None].to(tl.int64) * B + cols[None, :], acc, mask=mask)


@triton.jit
def _grad_kernel(A, C, G, DA, B, BD, sa_r, sa_c, sc_r, sc_c, sg_r, sg_c, sd_r, sd_c,
                 BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    col0 = tl.program_id(1) * BD
    a = _load_block(A, rows, B, sa_r, sa_c, col0, BD, BLOCK_M, BLOCK_K)
    acc = tl.zeros((BLOCK_M, BLOCK_K), dtype=tl.float32)
    for j0 in range(0, B, BLOCK_N):
        cols = j0 + tl.arange(0, BLOCK_N)
        c = _load_block(C, cols, B, sc_r, sc_c, col0, BD, BLOCK_N, BLOCK_K)
        gmask = (rows[:, None] < B) & (cols[None, :] < B)
        g = tl.load(G + rows[:, None].to(tl.int64) * sg_r + cols[None, :] * sg_c, mask=gmask, other=0.0).to(tl.float32)
        diff = a[:, None, :] - c[None, :, :]
        norm = tl.sqrt(tl.sum(diff * diff, axis=2))
        w = tl.where(norm > 0, g / tl.where(norm > 0, norm, 1.0), 0.0)
        acc += tl.sum(w[:, :, None] * diff, axis=1)
    offs_k = tl.arange(0, BLOCK_K)
    mask = (rows[:, None] < B) & (offs_k[None, :] < BD)
    ptrs = DA + rows[:, None].to(tl.int64) * sd_r + (col0 + offs_k[None, :]) * sd_c
    tl.store(ptrs, acc.to(DA.dtype.element_ty), mask=mask)
