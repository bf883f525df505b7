"""Official GTA attention (autonomousvision/gta ``main``) vs zoo-gta: outputs and CPU time.

Usage::

    mkdir -p /tmp/gta-main && git --git-dir=<mirror>/autonomousvision+gta/repo ls-tree -r --name-only main \\
        | grep -v J_dense | xargs git --git-dir=<mirror>/autonomousvision+gta/repo archive main -- | tar -x -C /tmp/gta-main
    PYTHONPATH=.:plugins/gta:/work/gta-official-deps .venv/bin/python benchmarks/gta_parity.py \\
        --official /tmp/gta-main [--j-dense PATH/J_dense.pt]

The official code needs ``einops`` and its ``J_dense.pt`` (lucidrains' J matrices, loaded from the
working directory when ``source/utils/wigner_d.py`` is imported): the harness imports that module
from the folder holding ``--j-dense`` (default ``<official>/J_dense.pt``; the PyPI wheel
se3-transformer-pytorch 0.9.0 ships the identical file as ``se3_transformer_pytorch/data/J_dense.pt``).
``main`` HEAD imports a removed ``ray2rotation`` in encoder.py/decoder.py; the harness adds a stub
that raises if called, so the official ``pre_compute_reps`` (used here to build the official
representations, exactly as the official encoder/decoder do) can be imported.

For the CLEVR-TR (``runs/clevrtr/GTA/gta``) and MSN-Hard (``runs/msn/GTA/gta_so3``) encoder
settings, on random q/k/v and random camera poses relative to the first view:

* ``function``: ``multihead_geometric_transform_attention`` (with the official softmax attention)
  vs ``geometric_transform_attention``; representations precomputed outside the timing on both sides;
* ``layer``: the official ``Attention`` (trans_coeff set to 0.3) vs ours after ``load_state_dict`` of
  its state dict, from the tokens;
* ``dec-layer``: the decoder cross-attention layer (target-ray queries, reps of one target view).

Prints the largest absolute output difference and the time ratio ours/official (medians of
interleaved calls; < 1 means ours is faster) for the forward pass and forward + backward, at batch 1
and at a training batch (``--train-batch``), with ``--threads`` torch threads (default 1).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

import torch

CONFIGS = {
    # name: (attdim, heads, dim_head, official method args, image H, W, coord downsample, views, dec dim)
    "clevrtr gta (se3 32 + so2 32)": (384, 6, 64, {"so2": 8, "max_freq_h": 1, "max_freq_w": 1,
                                                   "f_dims": {"se3": 32, "so2": 32}}, 240, 320, 4, 2, 180),
    "msn gta_so3 (se3 48 + so3 24 + so2 24)": (768, 8, 96, {"so2": 6, "so3": 2, "max_freq_h": 1, "max_freq_w": 1,
                                                            "f_dims": {"triv": 0, "se3": 48, "so2": 24, "so3": 24}},
                                               128, 128, 3, 5, 180),
}


@contextlib.contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def import_official(path: str, j_dense: str | None):
    """Import the official gta/layers/encoder/decoder modules; returns them as a dict."""
    import importlib

    j = Path(j_dense) if j_dense else Path(path) / "J_dense.pt"
    if not j.is_file():
        sys.exit(f"J_dense.pt not found at {j}: pass --j-dense (it is in the PyPI wheel se3-transformer-pytorch 0.9.0, "
                 "se3_transformer_pytorch/data/J_dense.pt).")
    sys.path.insert(0, path)
    ogta = importlib.import_module("source.utils.gta")
    if not hasattr(ogta, "ray2rotation"):            # removed in 4f34c0a, still imported by encoder/decoder

        def ray2rotation(*args, **kwargs):
            raise NotImplementedError("ray2rotation stub (parity harness): the ray_to_se3 option is not compared")
        ogta.ray2rotation = ray2rotation
    with _cwd(j.parent):                             # wigner_d.py runs torch.load('J_dense.pt') on import
        importlib.import_module("source.utils.wigner_d")
    return {"gta": ogta, "layers": importlib.import_module("source.layers"),
            "encoder": importlib.import_module("source.encoder"), "decoder": importlib.import_module("source.decoder")}


def random_cameras(B: int, V: int, gen: torch.Generator) -> torch.Tensor:
    """World->camera extrinsics relative to the first view (E_i E_0^-1, as the official loaders)."""
    Q, Rr = torch.linalg.qr(torch.randn(B * V, 3, 3, generator=gen))
    Q = Q * torch.sign(torch.diagonal(Rr, dim1=-2, dim2=-1))[:, None, :]
    Q[torch.linalg.det(Q) < 0, :, 0] *= -1
    E = torch.eye(4).repeat(B * V, 1, 1)
    E[:, :3, :3], E[:, :3, 3] = Q, 3 * torch.randn(B * V, 3, generator=gen)
    E = E.reshape(B, V, 4, 4)
    return E @ torch.linalg.inv(E[:, :1])


def build(off, name: str, B: int, seed: int = 0):
    """Official extras + our Geometry for the encoder (self) and the decoder (cross) attention."""
    from zoo_gta.gta import gta_reps, image_coords
    from zoo_gta.layers import Geometry

    attdim, heads, dh, args, H, W, ds, V, _ = CONFIGS[name]
    gen = torch.Generator().manual_seed(seed)
    E = random_cameras(B, V + 1, gen)
    E_in, E_tgt = E[:, :V], E[:, V:]
    coord_in = image_coords(H, W, ds).reshape(1, 1, -1, 2).expand(B, V, -1, -1).contiguous()   # [B, V, T, 2]
    n_rays = 512
    coord_tgt = image_coords(H, W).reshape(-1, 2)[torch.randperm(H * W, generator=gen)[:n_rays]]
    coord_tgt = coord_tgt.reshape(1, 1, n_rays, 2).expand(B, 1, -1, -1).contiguous()
    extras = {"input_transforms": E_in, "input_coord": coord_in, "target_transforms": E_tgt, "target_coord": coord_tgt}
    off["encoder"].ImprovedSRTEncoder.pre_compute_reps(None, args, extras)   # official reps (self is unused)
    dec_extras = dict(extras)
    off["decoder"].ImprovedSRTDecoder.pre_compute_reps(None, args, dec_extras)
    f_dims = {k: v for k, v in args["f_dims"].items() if v}
    rk = gta_reps(f_dims, extrinsics=E_in, coords=coord_in.flatten(1, 2))
    rq = gta_reps(f_dims, extrinsics=E_tgt, coords=coord_tgt.flatten(1, 2))
    return extras, dec_extras, Geometry(reps_q=rk), Geometry(reps_q=rq, reps_k=rk), f_dims


def timed(fn_off, fn_ours, reps: int, backward: bool):
    """Interleaved median seconds of the official and our call (optionally with backward)."""
    def run(fn):
        out = fn()
        if backward:
            out.square().mean().backward()
    for _ in range(2):
        run(fn_off), run(fn_ours)
    t_off, t_ours = [], []
    for _ in range(reps):
        t = time.perf_counter(); run(fn_off); t_off.append(time.perf_counter() - t)
        t = time.perf_counter(); run(fn_ours); t_ours.append(time.perf_counter() - t)
    return statistics.median(t_off), statistics.median(t_ours)


def compare(off, name: str, B: int, reps: int):
    from zoo_gta.gta import geometric_transform_attention
    from zoo_gta.layers import Attention, attention_kwargs

    attdim, heads, dh, args, H, W, ds, V, dec_dim = CONFIGS[name]
    attn_args = {"method": {"name": "gta", "args": args}}
    extras, dec_extras, geo, dec_geo, f_dims = build(off, name, B)
    T = extras["input_coord"].shape[1] * extras["input_coord"].shape[2]
    gen = torch.Generator().manual_seed(1)
    torch.manual_seed(0)
    theirs = off["layers"].Attention(attdim, heads=heads, dim_head=dh, attn_args=attn_args)
    theirs_dec = off["layers"].Attention(dec_dim, heads=heads, dim_head=dh, kv_dim=attdim, attn_args=attn_args)
    for m in (theirs, theirs_dec):
        with torch.no_grad():
            m.trans_coeff.fill_(0.3)
    ours = Attention(attdim, heads=heads, dim_head=dh, **attention_kwargs(attn_args))
    ours.load_state_dict(theirs.state_dict(), strict=True)
    ours_dec = Attention(dec_dim, heads=heads, dim_head=dh, kv_dim=attdim, **attention_kwargs(attn_args))
    ours_dec.load_state_dict(theirs_dec.state_dict(), strict=True)

    q, k, v = (torch.randn(B, heads, T, dh, generator=gen).requires_grad_() for _ in range(3))
    x = torch.randn(B, T, attdim, generator=gen).requires_grad_()
    xq = torch.randn(B, extras["target_coord"].shape[2], dec_dim, generator=gen).requires_grad_()
    c = torch.tensor([0.3])
    ogta = off["gta"].multihead_geometric_transform_attention
    cases = {
        "function": (lambda: ogta(q, k, v, theirs.attn_fn, f_dims, extras, trans_coeff=c)[0],
                     lambda: geometric_transform_attention(q, k, v, geo.reps_q, geo.reps_q, f_dims, trans_coeff=c)),
        "layer": (lambda: theirs(x, extras=extras), lambda: ours(x, geometry=geo)),
        "dec-layer": (lambda: theirs_dec(xq, x, extras=dec_extras), lambda: ours_dec(xq, x, geometry=dec_geo)),
    }
    rows = []
    for case, (f_off, f_ours) in cases.items():
        with torch.no_grad():
            a, b = f_off(), f_ours()
        diff, scale = (a - b).abs().max().item(), a.abs().max().item()
        with torch.no_grad():
            fwd = timed(f_off, f_ours, reps, backward=False)
        bwd = timed(f_off, f_ours, reps, backward=True)
        rows.append((case, diff, scale, fwd, bwd))
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--official", required=True, help="exported autonomousvision/gta main checkout")
    ap.add_argument("--j-dense", default=None, help="J_dense.pt (default: <official>/J_dense.pt)")
    ap.add_argument("--train-batch", type=int, default=4, help="the training batch (default 4; 8 per GPU in CLEVR-TR)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", nargs="*", default=None, help="substrings of config names to run")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    off = import_official(args.official, args.j_dense)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), median of {args.reps} interleaved calls; "
          "ratio = ours / official time (< 1: ours faster)")
    print(f"{'config':40s} {'B':>2s} {'case':9s} {'max|diff|':>9s} {'max|out|':>8s} "
          f"{'fwd off ms':>10s} {'fwd ours':>8s} {'ratio':>5s} {'f+b off ms':>10s} {'f+b ours':>8s} {'ratio':>5s}")
    for name in CONFIGS:
        if args.only and not any(s in name for s in args.only):
            continue
        for B in (1, args.train_batch):
            for case, diff, scale, (fo, fu), (bo, bu) in compare(off, name, B, args.reps):
                print(f"{name:40s} {B:2d} {case:9s} {diff:9.2e} {scale:8.3f} {fo * 1e3:10.1f} {fu * 1e3:8.1f} "
                      f"{fu / fo:5.2f} {bo * 1e3:10.1f} {bu * 1e3:8.1f} {bu / bo:5.2f}", flush=True)


if __name__ == "__main__":
    main()
