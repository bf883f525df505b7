"""Official image g-NFT (masomatics/NFTPublic ``image_experiments``) vs zoo-nft's ``EquivariantAE``.

Usage::

    PYTHONPATH=.:plugins/msp:plugins/nft:/tmp/nft-official-deps .venv/bin/python \\
        benchmarks/nft_parity_image.py --official /tmp/nftoff [--threads 1] [--reps 20]

``/tmp/nft-official-deps`` holds ``einops`` (``pip install --target``), the only extra package the
official model code needs. The harness stubs what it does not need: ``lightning`` (the official
``BaseLightningModel`` subclasses ``LightningModule``; here a plain ``nn.Module``, which only
changes the training-loop plumbing) and ``hydra.utils.instantiate`` (optimiser construction).
One shim touches the official model code's behaviour under autograd only: its ``trans`` fills
``torch.zeros_like(z)`` in place through views taken before the first write, which current torch
rejects ("a leaf Variable that requires grad is being used in an in-place operation"); the
harness gives that module a ``torch.zeros_like`` returning ``zeros_like(z) + 0 * z`` (a non-leaf:
the same values, the same gradients).
The official SO(3) action loads ``J_dense.pt`` (absent from the snapshot): ``--j-dense PATH``
(se3-transformer-pytorch 0.9.0 ships it) enables the SO(3) rows.

For each config (rotated MNIST: conv28 + straight + SO(2) 8 frequencies; the same with
``lowrank``; SO(3) degrees 0..3 with conv28 when ``--j-dense`` is given; a small MAE ViT with
dual-norm patches, lowrank adapters and SO(2), and with SO(3) degrees 0..4) the official model is
built, its state dict loaded into ours (key for key, ``strict=True``), and on the same images and
angles it prints the largest absolute difference of ``enc``, ``trans``, ``forward(x, g)`` and
``train_loss`` (plus the parameter gradients), and the CPU time ratio ours/official (median of
interleaved calls; < 1 means ours is faster) of the forward and of a training step (loss +
backward) at batch 1 and at the training batch (256). ``compare(official_root)`` returns the rows
(the lead's ``nft_parity.py`` calls it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types
from pathlib import Path

import torch
from torch import nn

CONFIGS = {
    "rot_mnist conv28 straight so2x8": dict(adapter="straight", action=dict(group="so2", num_basis=8, include_identity=True)),
    "conv28 lowrank so2x8": dict(adapter="lowrank", action=dict(group="so2", num_basis=8, include_identity=True)),
    "conv28 straight so3 0..3": dict(adapter="straight", action=dict(group="so3", num_basis=3, include_identity=True)),
    # a small MAE ViT (48 channels in 5 heads: the official head_dim = dim // heads quirk) with lowrank adapters
    "vit16 dualnorm lowrank so2x4": dict(adapter="lowrank", action=dict(group="so2", num_basis=4, include_identity=True),
                                         vit=dict(img=16, ch=3, enc=dict(patch_size=4, embed_dim=48, depth=2, num_heads=5,
                                                                          mlp_ratio=2.0, dualnorm=True),
                                                  dec=dict(embed_dim=32, depth=1, num_heads=4, mlp_ratio=2.0))),
    "vit16 lowrank so3 0..4": dict(adapter="lowrank", action=dict(group="so3", num_basis=4, include_identity=True),
                                   vit=dict(img=16, ch=3, enc=dict(patch_size=4, embed_dim=48, depth=2, num_heads=5,
                                                                    mlp_ratio=2.0),
                                            dec=dict(embed_dim=32, depth=1, num_heads=4, mlp_ratio=2.0))),
}


def import_official(root: str):
    """The official ``src.model`` modules, with ``lightning`` and ``hydra`` stubbed (see the module doc)."""
    image = Path(root) / "image_experiments"
    if not (image / "src" / "model" / "eae.py").exists():
        raise SystemExit(f"--official {root}: no image_experiments/src/model/eae.py there; pass the NFTPublic checkout")
    light = types.ModuleType("lightning")

    class LightningModule(nn.Module):
        def log(self, *a, **k):
            pass

    light.LightningModule = LightningModule
    hydra, hydra_utils = types.ModuleType("hydra"), types.ModuleType("hydra.utils")
    hydra_utils.instantiate = lambda *a, **k: None
    hydra.utils = hydra_utils
    sys.modules.update({"lightning": light, "hydra": hydra, "hydra.utils": hydra_utils})
    sys.path.insert(0, str(image))
    import src.model.action as action  # noqa: E402
    import src.model.eae as eae  # noqa: E402
    import src.model.network as network  # noqa: E402

    proxy = types.ModuleType("torch_for_official_eae")
    proxy.__getattr__ = lambda name: getattr(torch, name)
    proxy.zeros_like = lambda z, *a, **k: torch.zeros_like(z, *a, **k) + 0 * z
    eae.torch = proxy
    return types.SimpleNamespace(eae=eae, network=network, action=action)


def build_pair(off, cfg: dict, *, seed: int = 0, j_dense: str | None = None):
    from zoo_nft.eae import EquivariantAE

    a = cfg["action"]
    group = {"so2": "SO2", "so3": "SO3_WignerD_ZYZ"}[a["group"]]
    act = dict(name="rot", num_basis=a["num_basis"], group=group, include_identity=a["include_identity"])
    if a["group"] == "so3":
        act["data_path"] = j_dense
    torch.manual_seed(seed)
    vit = cfg.get("vit")
    if vit:
        enc, dec = vit["enc"], vit["dec"]
        encoder = off.network.ViTEncoder(img_size=vit["img"], img_channels=vit["ch"], **enc)
        decoder = off.network.ViTDecoder(img_size=vit["img"], img_channels=vit["ch"], patch_size=enc["patch_size"], **dec)
        dims = dict(num_patches=(vit["img"] // enc["patch_size"]) ** 2, enc_embed_dim=enc["embed_dim"],
                    dec_embed_dim=dec["embed_dim"])
        net = dict(network="vit", img_size=vit["img"], img_channels=vit["ch"], encoder=dict(enc), decoder=dict(dec))
    else:
        encoder, decoder = off.network.Conv(img_size=28, img_channels=1), off.network.Deconv(img_size=28, img_channels=1)
        dims = dict(num_patches=49, enc_embed_dim=64, dec_embed_dim=64)
        net = dict(network="conv28")
    official = off.eae.LitEquivariantAE(
        latent_dim=32, **dims, action_list=off.eae.ActionList(dict(act)), encoder=encoder, decoder=decoder,
        latent_pooling="average", adapter=cfg["adapter"], rank_ratio=4)
    official.hparams = types.SimpleNamespace(loss=types.SimpleNamespace(
        pred=True, pred_l1=False, reconst=False, alignl2=True, nalignl2=False, equiv_coef=1.0, angle_variance=False))
    ours = EquivariantAE(latent_dim=32, action=dict(a), **net, adapter=cfg["adapter"], loss=dict(alignl2=True))
    ours.load_state_dict(official.state_dict(), strict=True)
    return official, ours


def _params(group: str, B: int, gen: torch.Generator) -> torch.Tensor:
    if group == "so2":
        return torch.rand(B, generator=gen) * 2 * torch.pi
    return torch.nn.functional.normalize(torch.randn(B, 4, generator=gen), dim=-1)


def _maxdiff(a, b) -> float:
    return (a - b).abs().max().item()


def _median_time(fn, reps: int) -> float:
    fn()
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def compare(official_root: str, *, reps: int = 20, batches=(1, 256), threads: int = 1, j_dense: str | None = None,
            configs: dict | None = None) -> list[dict]:
    """One row per config and batch: max differences and the time ratios ours/official."""
    torch.set_num_threads(threads)
    off = import_official(official_root)
    rows = []
    for name, cfg in (configs or CONFIGS).items():
        if cfg["action"]["group"] == "so3" and not j_dense:
            rows.append({"config": name, "skipped": "needs --j-dense (the official SO(3) action loads J_dense.pt)"})
            continue
        official, ours = build_pair(off, cfg, j_dense=j_dense)
        group = cfg["action"]["group"]
        for B in batches:
            gen = torch.Generator().manual_seed(B)
            shape = (ours.img_channels, ours.img_size, ours.img_size)
            x1, x2 = torch.rand(B, *shape, generator=gen), torch.rand(B, *shape, generator=gen)
            g1, g2 = _params(group, B, gen), _params(group, B, gen)
            row = {"config": name, "batch": B}
            with torch.no_grad():
                z_off, z_ours = official.enc(x1), ours.enc(x1)
                row["enc"] = _maxdiff(z_off, z_ours)
                row["trans"] = _maxdiff(official.trans(z_off, g1), ours.trans(z_off, g1))
                row["forward"] = _maxdiff(official(x1, g1), ours(x1, g1))
            official.zero_grad(), ours.zero_grad()
            l_off = official.train_loss([x1, x2], [g1, g2], None)   # (it pops from the lists it gets)
            l_ours = ours.train_loss([x1, x2], [g1, g2])
            l_off.backward(), l_ours.backward()
            row["train_loss"] = abs(l_off.item() - l_ours.item())
            g_off = dict(official.named_parameters())
            row["grads"] = max(_maxdiff(g_off[k].grad, p.grad) for k, p in ours.named_parameters())

            def fwd(m):
                return lambda: m(x1, g1)

            def step(m, ours_side):
                def run():
                    m.zero_grad()
                    loss = m.train_loss([x1, x2], [g1, g2]) if ours_side else m.train_loss([x1, x2], [g1, g2], None)
                    loss.backward()
                return run

            with torch.no_grad():
                t_off, t_ours = _median_time(fwd(official), reps), _median_time(fwd(ours), reps)
            row["forward_ratio"] = t_ours / t_off
            row["forward_ms_official"] = 1e3 * t_off
            s_off, s_ours = _median_time(step(official, False), reps), _median_time(step(ours, True), reps)
            row["step_ratio"] = s_ours / s_off
            row["step_ms_official"] = 1e3 * s_off
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--official", required=True, help="NFTPublic checkout (the folder holding image_experiments/)")
    p.add_argument("--j-dense", default=None, help="J_dense.pt (se3-transformer-pytorch 0.9.0) for the SO(3) rows")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    rows = compare(args.official, reps=args.reps, threads=args.threads, j_dense=args.j_dense)
    for r in rows:
        if "skipped" in r:
            print(f"{r['config']}: skipped ({r['skipped']})")
            continue
        print(f"{r['config']:34s} B={r['batch']:<4d} max|diff| enc {r['enc']:.1e} trans {r['trans']:.1e} "
              f"forward {r['forward']:.1e} loss {r['train_loss']:.1e} grads {r['grads']:.1e} | time ours/official "
              f"forward {r['forward_ratio']:.2f} ({r['forward_ms_official']:.2f} ms off.) "
              f"train step {r['step_ratio']:.2f} ({r['step_ms_official']:.2f} ms off.)")


if __name__ == "__main__":
    main()
