"""Triton kernels for ``apply_representation`` (imported only on the Triton path).

One launch covers the whole row, whatever the segments: the launcher packs every segment's
blocks into one per-token buffer ``P`` ``[..., T or 1, sum K*b*b]`` and describes each output
channel ``c`` by four table entries (host-built, ``TABLE = [4, D]`` int32):

    y[c] = sum_{j < NB[c]} P[ROFF[c] + j * RSTEP[c]] * x[SRC[c] + j]

``SRC`` is the first channel of c's block, ``NB`` its size, ``ROFF`` the packed offset of the
block's element (i, 0) (or (0, i) when the segment is transposed, then ``RSTEP = b``). Identity
channels have ``NB = 1`` and ``ROFF = -1``, read as a factor 1. The gradient for x is the same
kernel with the transposes flipped; the gradient for the blocks is an outer product gathered by
``_representation_outer_kernel``. Rows ``(n, t)``: n over the broadcast leading dims (element
offsets from ``X_OFF`` / ``P_OFF``, so broadcasts are never materialised), t over tokens.
"""

import triton
import triton.language as tl


@triton.jit
def represent_tile(x_row, p_row, TABLE, c, D, mask, BMAX: tl.constexpr, ACC: tl.constexpr):
    """One tile of the representation applied: ``[rows, BLOCK_D]`` of ``sum_j P[ROFF + j*RSTEP] * x[SRC + j]``.

    ``x_row`` / ``p_row`` point at each row's first channel / packed block element (``[rows, 1]``),
    ``c`` are the tile's channels, ``mask`` the valid ``[rows, BLOCK_D]`` elements. Shared with
    the fused attention kernel (``zoo_core.ops.representation_attention``).
    """
    in_row = c < D
    src = tl.load(TABLE + c, mask=in_row, other=0)
    nb = tl.load(TABLE + D + c, mask=in_row, other=0)
    roff = tl.load(TABLE + 2 * D + c, mask=in_row, other=-1)
    rstep = tl.load(TABLE + 3 * D + c, mask=in_row, other=0)
    blocks = (roff >= 0)[None, :]
    acc = tl.zeros(mask.shape, dtype=ACC)
    for j in tl.static_range(BMAX):
        m = mask & (j < nb)[None, :]
        x_j = tl.load(x_row + (src + j)[None, :], mask=m, other=0.0).to(ACC)
        r_j = tl.load(p_row + (roff + j * rstep)[None, :], mask=m & blocks, other=1.0).to(ACC)
        acc += r_j * x_j
    return acc


@triton.jit
def _representation_apply_kernel(
    X, P, Y, X_OFF, P_OFF, TABLE,
    x_stride_t, p_stride_t, T, D, n_tblocks,
    BMAX: tl.constexpr, ACC: tl.constexpr, BLOCK_T: tl.constexpr, BLOCK_D: tl.constexpr,
):
    """Y[n, t, c] = sum_j P[n, t, ROFF[c] + j*RSTEP[c]] * X[n, t, SRC[c] + j] for j < NB[c] (factor 1 where ROFF < 0)."""
    pid = tl.program_id(0)
    n = pid // n_tblocks
    t = (pid % n_tblocks) * BLOCK_T + tl.arange(0, BLOCK_T)
    c = tl.arange(0, BLOCK_D)
    mask = (t[:, None] < T) & (c < D)[None, :]
    t64 = t[:, None].to(tl.int64)
    x_row = X + tl.load(X_OFF + n) + t64 * x_stride_t
    p_row = P + tl.load(P_OFF + n) + t64 * p_stride_t
    acc = represent_tile(x_row, p_row, TABLE, c, D, mask, BMAX, ACC)
    tl.store(Y + (n.to(tl.int64) * T + t64) * D + c[None, :], acc.to(Y.dtype.element_ty), mask=mask)


@triton.jit
def _representation_outer_kernel(
    G, X, DP, X_OFF, PAIRS,
    x_stride_t, T, D, NP, n_tblocks,
    ACC: tl.constexpr, BLOCK_T: tl.constexpr, BLOCK_P: tl.constexpr,
):
    """DP[n, t, p] = G[n, t, GCH[p]] * X[n, t, XCH[p]] with ``PAIRS = [2, NP]`` = (GCH, XCH).

    G ([N, T, D]) and DP ([N, T, NP]) are full-size and contiguous; the launcher sums DP over
    broadcast dims and splits it into the segments' gradients.
    """
    pid = tl.program_id(0)
    n = pid // n_tblocks
    t = (pid % n_tblocks) * BLOCK_T + tl.arange(0, BLOCK_T)
    p = tl.program_id(1) * BLOCK_P + tl.arange(0, BLOCK_P)
    in_p = p < NP
    gch = tl.load(PAIRS + p, mask=in_p, other=0)
    xch = tl.load(PAIRS + NP + p, mask=in_p, other=0)
    mask = (t[:, None] < T) & in_p[None, :]
    t64 = t[:, None].to(tl.int64)
    row = n.to(tl.int64) * T + t64
    g = tl.load(G + row * D + gch[None, :], mask=mask, other=0.0)
    x = tl.load(X + tl.load(X_OFF + n) + t64 * x_stride_t + xch[None, :], mask=mask, other=0.0)
    tl.store(DP + row * NP + p[None, :], (g.to(ACC) * x.to(ACC)).to(DP.dtype.element_ty), mask=mask)
