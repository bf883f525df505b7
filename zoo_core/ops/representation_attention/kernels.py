"""Triton kernel for ``representation_attention`` (imported only on the Triton path): a
FlashAttention-style forward (online softmax over key blocks) that applies the representation
to the q, k and v tiles as it loads them (``represent_tile``: gathers from global memory, no
transformed copy of q, k or v is written) and to the output tile on store. The output transform
needs each token's whole row, so the normalised tile is stored, read back with the output
table, and stored again (barriers keep the program's threads in step; the row stays in cache).
Dots take the input dtype (``DOT``), except bfloat16 under ``TRITON_INTERPRET=1``: Triton's
interpreter multiplies bfloat16 dot operands as raw bits, so there they run in float32.
"""

import triton
import triton.language as tl

from zoo_core.ops.representation.kernels import represent_tile


@triton.jit
def _representation_attention_fwd_kernel(
    Q, K, V, O, PQ, PK, PQ_OFF, PK_OFF, TABLE_Q, TABLE_K, TABLE_O,
    pq_stride_t, pk_stride_t, Tq, Tk, D, n_mblocks, scale,
    BMAX: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
    PRECISION: tl.constexpr, DOT: tl.constexpr,
):
    """O[n, m] for a block of BLOCK_M queries m of row n (q, k, v, O contiguous [N, T, D])."""
    pid = tl.program_id(0)
    n = pid // n_mblocks
    m = (pid % n_mblocks) * BLOCK_M + tl.arange(0, BLOCK_M)
    c = tl.arange(0, BLOCK_D)
    n64 = n.to(tl.int64)
    m64 = m[:, None].to(tl.int64)
    q_mask = (m[:, None] < Tq) & (c < D)[None, :]
    dtype = Q.dtype.element_ty
    pq_row = PQ + tl.load(PQ_OFF + n) + m64 * pq_stride_t
    q = represent_tile(Q + (n64 * Tq + m64) * D, pq_row, TABLE_Q, c, D, q_mask, BMAX, tl.float32)
    q = (q * scale).to(dtype).to(DOT)

    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)
    pk_base = PK + tl.load(PK_OFF + n)
    for start in range(0, Tk, BLOCK_N):
        kn = start + tl.arange(0, BLOCK_N)
        kn64 = kn[:, None].to(tl.int64)
        kv_mask = (kn[:, None] < Tk) & (c < D)[None, :]
        pk_row = pk_base + kn64 * pk_stride_t
        rows = (n64 * Tk + kn64) * D
        k = represent_tile(K + rows, pk_row, TABLE_K, c, D, kv_mask, BMAX, tl.float32).to(dtype).to(DOT)
        v = represent_tile(V + rows, pk_row, TABLE_K, c, D, kv_mask, BMAX, tl.float32).to(dtype).to(DOT)
        s = tl.dot(q, tl.trans(k), input_precision=PRECISION)
        s = tl.where((kn < Tk)[None, :], s, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, 1))
        alpha = tl.exp(m_i - m_new)
        p = tl.exp(s - m_new[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        acc = acc * alpha[:, None] + tl.dot(p.to(dtype).to(DOT), v, input_precision=PRECISION)
        m_i = m_new

    o_ptr = O + (n64 * Tq + m64) * D
    tl.store(o_ptr + c[None, :], (acc / l_i[:, None]).to(dtype), mask=q_mask)
    tl.debug_barrier()
    out = represent_tile(o_ptr, pq_row, TABLE_O, c, D, q_mask, BMAX, tl.float32)
    tl.debug_barrier()
    tl.store(o_ptr + c[None, :], out.to(dtype), mask=q_mask)
