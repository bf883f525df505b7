"""Triton kernel of ``logits_to_freqs`` (see reference.py for the integer algorithm it follows).

One program per ``BLOCK_R`` rows, a row's ``q`` logits in one ``BLOCK_Q`` tile: grid, row
max, table gather, sum, floor division and the remainder to the first maximum, all in
registers; one read of the logits and one write of the frequencies.
"""

import triton
import triton.language as tl


@triton.jit
def _logits_to_freqs_kernel(x_ptr, table_ptr, out_ptr, rows, q, stride_x, stride_out,
                            SCALE: tl.constexpr, DROP: tl.constexpr, TOTAL: tl.constexpr,
                            BLOCK_R: tl.constexpr, BLOCK_Q: tl.constexpr):
    r = tl.program_id(0) * BLOCK_R + tl.arange(0, BLOCK_R)[:, None]
    c = tl.arange(0, BLOCK_Q)[None, :]
    valid = (r < rows) & (c < q)
    x = tl.load(x_ptr + r * stride_x + c, mask=valid, other=0.0).to(tl.float32)
    x = tl.where(x != x, 0.0, x)  # NaN -> 0, then clamp (as reference.grid)
    x = tl.minimum(tl.maximum(x, -1e6), 1e6)
    y = x * SCALE
    f = tl.floor(y)
    frac = y - f  # exact: |y| < 2**24
    fi = f.to(tl.int32)
    odd = (fi & 1) == 1
    lg = fi + ((frac > 0.5) | ((frac == 0.5) & odd)).to(tl.int32)  # round half to even
    lg = tl.where(valid, lg, -2147483647)
    top = tl.max(lg, axis=1)[:, None]
    d = tl.minimum(top - lg, DROP)
    w = tl.load(table_ptr + d, mask=valid, other=0)
    total_w = tl.sum(w, axis=1)[:, None]
    freq = 1 + (w * (TOTAL - q)) // total_w
    freq = tl.where(valid, freq, 0)
    rem = TOTAL - tl.sum(freq, axis=1)[:, None]
    wmax = tl.max(w, axis=1)[:, None]
    first = tl.min(tl.where((w == wmax) & valid, c, BLOCK_Q), axis=1)[:, None]
    freq = freq + tl.where(c == first, rem, 0)
    tl.store(out_ptr + r * stride_out + c, freq.to(tl.int32), mask=valid)
