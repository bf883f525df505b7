"""A toy op declared the way a plugin declares one: y = x + alpha * z.

``SCALED_ADD`` is correct; ``OFF_BY_ONE`` (forward skips the last element),
``WRONG_BACKWARD`` (dz misses alpha) and ``IGNORES_STRIDES`` (launches on non-contiguous
inputs as if contiguous) are deliberately wrong, to prove the checker catches each.
The kernels are imported only on the Triton path, like real ops (see the Op strings).
"""

import torch
import triton
import triton.language as tl

from zoo_core.ops import Op
from zoo_core.ops.launch import cdiv

_BLOCK = 64  # small, so the odd sizes in the tests span several programs


def scaled_add_reference(x: torch.Tensor, z: torch.Tensor, alpha: float) -> torch.Tensor:
    """The spec."""
    return x + alpha * z


@triton.jit
def _axpy_kernel(X, Z, Y, alpha, n, SHORT: tl.constexpr, ACC: tl.constexpr, BLOCK: tl.constexpr):
    """y = x + alpha * z over n elements (SHORT=1 drops the last one: the off-by-one bug)."""
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n - SHORT
    x = tl.load(X + offs, mask=mask).to(ACC)
    z = tl.load(Z + offs, mask=mask).to(ACC)
    tl.store(Y + offs, (x + alpha * z).to(Y.dtype.element_ty), mask=mask)


def _launch(x, z, alpha, *, short=0, contiguous=True):
    if contiguous:
        x, z = x.contiguous(), z.contiguous()
    y = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    if y.numel():
        acc = tl.float64 if x.dtype == torch.float64 else tl.float32
        _axpy_kernel[(cdiv(y.numel(), _BLOCK),)](x, z, y, alpha, y.numel(), SHORT=short, ACC=acc, BLOCK=_BLOCK)
    return y


def _make_function(*, short=0, grad_z_scale=True, contiguous=True):
    class _ScaledAdd(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, z, alpha):
            ctx.alpha = alpha
            return _launch(x, z, alpha, short=short, contiguous=contiguous)

        @staticmethod
        def backward(ctx, g):
            dz = _launch(torch.zeros_like(g), g, ctx.alpha if grad_z_scale else 1.0)  # alpha * g
            return g, dz, None

    return lambda x, z, alpha: _ScaledAdd.apply(x, z, alpha)


scaled_add_triton = _make_function()
off_by_one_triton = _make_function(short=1)
wrong_backward_triton = _make_function(grad_z_scale=False)
ignores_strides_triton = _make_function(contiguous=False)

SCALED_ADD = Op("scaled_add", reference=scaled_add_reference, triton="ops_toy.scaled_add:scaled_add_triton")
OFF_BY_ONE = Op("scaled_add_off_by_one", reference=scaled_add_reference, triton="ops_toy.scaled_add:off_by_one_triton")
WRONG_BACKWARD = Op("scaled_add_wrong_backward", reference=scaled_add_reference, triton="ops_toy.scaled_add:wrong_backward_triton")
IGNORES_STRIDES = Op("scaled_add_ignores_strides", reference=scaled_add_reference, triton="ops_toy.scaled_add:ignores_strides_triton")
