"""Checks run under TRITON_INTERPRET=1 (zoo_core.ops.testing.run_interpreted): GTA's kernel path
(one apply_representation call per transform) equals its CPU path, values and gradients."""

import os

import torch

from test_gta_attention import ALL, MSN, setup
from zoo_gta.gta import geometric_transform_attention, gta_reps


def _run(impl, f_dims, dtype, v_transform, seed):
    q, k, v, E, coords = (t.to(dtype) for t in setup(f_dims, B=2, H=2, V=2, Tv=3, seed=seed))
    reps = gta_reps(f_dims, extrinsics=E, coords=coords)
    q.requires_grad_(), k.requires_grad_(), v.requires_grad_()
    old = os.environ.pop("ZOO_OPS_IMPL", None)
    os.environ["ZOO_OPS_IMPL"] = impl
    try:
        out = geometric_transform_attention(q, k, v, reps, reps, f_dims, trans_coeff=0.3, v_transform=v_transform)
        out.backward(torch.cos(out.detach()))
    finally:
        os.environ.pop("ZOO_OPS_IMPL")
        if old is not None:
            os.environ["ZOO_OPS_IMPL"] = old
    return [out.detach(), q.grad, k.grad, v.grad]


def check_kernel_path_equals_cpu_path():
    done = []
    for f_dims in (ALL, MSN):
        for dtype, tol in ((torch.float64, 1e-9), (torch.float32, 1e-4)):
            for v_transform in (True, False):
                want = _run("reference", f_dims, dtype, v_transform, seed=3)
                got = _run("triton", f_dims, dtype, v_transform, seed=3)
                for name, a, b in zip(("out", "dq", "dk", "dv"), got, want):
                    err = (a - b).abs().max().item()
                    assert err < tol * (1 + b.abs().max().item()), (f_dims, dtype, v_transform, name, err)
                done.append(f"{sorted(f_dims)} {dtype} v_transform={v_transform}")
    return done
