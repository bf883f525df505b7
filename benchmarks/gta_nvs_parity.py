"""Official TransformingSRT / SRT / RePAST vs zoo-gta's port: same weights, same scenes.

Usage::

    mkdir -p /tmp/gta-main && git --git-dir=<mirror of autonomousvision/gta> archive main \
        $(git --git-dir=<mirror> ls-tree --name-only main | grep -v J_dense) | tar -x -C /tmp/gta-main
    PYTHONPATH=.:plugins/gta:/work/gta-official-deps .venv/bin/python benchmarks/gta_nvs_parity.py \
        --official /tmp/gta-main [--threads 1] [--configs gta-srt-clevrtr,srt-clevrtr]

For each configuration (the official ``runs/.../config.yaml`` model block, from the catalog
entry): build the official model (seeded), load its ``encoder``/``decoder`` state dicts
strictly into ours (the key names are equal), render the same random scenes (cameras on a
ring, random images) in eval mode, and print the largest absolute difference and the CPU
time ratio ours / official (median of interleaved calls; below 1 means ours is faster), at
batch 1 and a training batch, for the forward pass and a training step (forward + MSE +
backward).

Patches to run official ``main`` HEAD (never needed by the plugin): ``source/encoder.py`` and
``decoder.py`` import ``ray2rotation`` (removed from ``source/utils/gta.py`` in 4f34c0a; only
the ``ray_to_se3`` ablation calls it), so a stub is inserted; ``source/utils/wigner_d.py``
loads ``J_dense.pt`` from the working directory at import: with ``--jdense PATH`` it is loaded
from there (SO(3) configurations), otherwise the module is replaced by a stub and SO(3)
configurations are skipped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "plugins", "gta"))

SIZES = {"clevrtr": (2, 3, 120, 160), "msn-hard": (5, 5, 128, 128)}  # views in, out, H, W (official)


def load_official(path: str, jdense: str | None):
    sys.path.insert(0, path)
    import source.utils.gta as ogta

    ogta.ray2rotation = lambda *a, **k: (_ for _ in ()).throw(NotImplementedError("ray2rotation stub"))
    if jdense:
        cwd = os.getcwd()
        os.chdir(os.path.dirname(os.path.abspath(jdense)))
        try:
            import source.utils.wigner_d  # noqa: F401  (reads ./J_dense.pt)
        finally:
            os.chdir(cwd)
    else:
        stub = types.ModuleType("source.utils.wigner_d")
        stub.rotmat_to_wigner_d_matrices = lambda *a, **k: (_ for _ in ()).throw(
            NotImplementedError("no J_dense.pt given (--jdense)"))
        sys.modules["source.utils.wigner_d"] = stub
    from source.models_nvs import SRT, TransformingSRT

    return {"tsrt": TransformingSRT, "srt": SRT}


def scene(batch: int, ni: int, nt: int, H: int, W: int, rays: int, seed: int):
    """Random images, cameras on a ring, ``rays`` random target pixels per target view, in
    both input conventions (ours: extrinsics + rays + coords; official: + extras)."""
    from zoo_gta.cameras import camera_positions, pixel_rays, rays_at
    from zoo_gta.models.nvs import ring_cameras

    g = torch.Generator().manual_seed(seed)
    K = torch.tensor([[W * 1.1, 0, W / 2], [0, W * 1.1, H / 2], [0, 0, 1.0]]).expand(batch, ni + nt, 3, 3)
    E = ring_cameras(batch, ni + nt, generator=g)
    E = E @ torch.linalg.inv(E[:, :1])  # canonical: relative to the first input camera, as the official data
    rows = torch.randint(0, H, (batch, nt, rays), generator=g).float()
    cols = torch.randint(0, W, (batch, nt, rays), generator=g).float()
    ours = {"input_images": torch.rand(batch, ni, 3, H, W, generator=g), "input_extrinsics": E[:, :ni],
            "input_rays": pixel_rays(K[:, :ni], E[:, :ni], H, W), "target_extrinsics": E[:, ni:],
            "target_rays": rays_at(K[:, ni:], E[:, ni:], rows, cols),
            "target_coords": torch.stack([rows / H, cols / W], -1)}
    r, c = torch.meshgrid(torch.arange(4, H, 8.0), torch.arange(4, W, 8.0), indexing="ij")
    in_coord = torch.stack([r / H, c / W], -1).reshape(1, 1, -1, 2).expand(batch, ni, -1, -1)
    pos = camera_positions(E)
    official = dict(input_images=ours["input_images"], input_camera_pos=pos[:, :ni], input_rays=ours["input_rays"],
                    target_camera_pos=pos[:, ni:, None].expand(-1, -1, rays, -1).flatten(1, 2),
                    target_rays=ours["target_rays"].flatten(1, 2),
                    extras=dict(input_transforms=E[:, :ni], target_transforms=E[:, ni:],
                                input_coord=in_coord.contiguous(), target_coord=ours["target_coords"]))
    return ours, official


def run_official(model, inp):
    extras = {k: v for k, v in inp["extras"].items()}
    out = model(inp["input_images"], inp["input_camera_pos"], inp["input_rays"], inp["target_camera_pos"],
                inp["target_rays"], extras)
    return out[0]


def timed(fn, reps: int) -> list[float]:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def compare(name: str, cfg: dict, classes, batches, reps: int, rays: int):
    from zoo_gta.models.nvs import TransformingSRT

    torch.manual_seed(0)
    official = classes[cfg["model_type"]](cfg).eval()
    ours = TransformingSRT(**cfg).eval()
    ours.encoder.load_state_dict(official.encoder.state_dict(), strict=True)
    ours.decoder.load_state_dict(official.decoder.state_dict(), strict=True)
    dataset = "msn-hard" if "msn" in name else "clevrtr"
    ni, nt, H, W = SIZES[dataset]
    for batch in batches:
        a, b = scene(batch, ni, nt, H, W, rays, seed=batch)
        with torch.no_grad():
            mine = ours(**a).flatten(1, 2)
            theirs = run_official(official, b)
        diff = (mine - theirs).abs().max().item()

        def fwd_ours():
            with torch.no_grad():
                ours(**a)

        def fwd_off():
            with torch.no_grad():
                run_official(official, b)

        def step(model, fn):
            def go():
                model.zero_grad(set_to_none=True)
                fn().square().mean().backward()
            return go

        train_ours = step(ours, lambda: ours(**a))
        train_off = step(official, lambda: run_official(official, b))
        ratios = {}
        for kind, f_ours, f_off in (("forward", fwd_ours, fwd_off), ("train step", train_ours, train_off)):
            f_ours(), f_off()  # warm-up
            t_ours, t_off = [], []
            for _ in range(reps):
                t_ours += timed(f_ours, 1)
                t_off += timed(f_off, 1)
            ratios[kind] = (statistics.median(t_ours) / statistics.median(t_off), statistics.median(t_ours))
        print(f"{name:18s} batch {batch:2d}: max |ours - official| = {diff:.2e}; CPU time ours/official: "
              + "; ".join(f"{k} {r:.2f} ({t * 1e3:.0f} ms)" for k, (r, t) in ratios.items()), flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--official", required=True, help="checkout of autonomousvision/gta branch main")
    p.add_argument("--jdense", default=None, help="J_dense.pt (for the SO(3) configurations)")
    p.add_argument("--configs", default="gta-srt-clevrtr,srt-clevrtr,repast-clevrtr")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batches", default="1,8")
    p.add_argument("--rays", type=int, default=512, help="target rays per target view")
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    classes = load_official(args.official, args.jdense)
    import zoo

    for name in args.configs.split(","):
        cfg = zoo.entry(name).config
        if "so3" in str(cfg) and not args.jdense:
            print(f"{name}: skipped (SO(3) needs --jdense)")
            continue
        compare(name, cfg, classes, [int(b) for b in args.batches.split(",")], args.reps, args.rays)


if __name__ == "__main__":
    main()
