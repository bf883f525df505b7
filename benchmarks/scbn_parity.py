"""Parity of zoo-scbn's sCBN and feature blending with the official Chainer code.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/scbn_parity.py --official /tmp/neural-collage-official \
        [--chainer-python /tmp/chainer-venv-ssdrl/bin/python] [--ch 4] [--batch 2]

Builds the official dog&cat-128 layout (``gen_models/resnet_small_scbn.py:SCBNResNetGenerator``,
widths 8c-8c-4c-4c-2c-c, 5 blocks, 128 px) at a small ``ch`` with 10 classes, draws random
weights on our side (class tables, running statistics and biases away from their defaults),
writes them as an official Chainer ``.npz`` (checked by reading it back with zoo-sngan's
converter), and runs in a subprocess of the Chainer venv, in eval mode:

1. ``spatial_interpolation(z, weights)`` with random per-pixel class mixtures at all 10 layers
   (channels-last, as the official code takes them) against ``zoo_scbn.collage.scbn``;
2. ``spatial_interpolation(zs=[z0, z1], weights, blends)`` with random blend weights at the 6
   blend points (the official ``M_out = 1 - M_src - M_ref`` construction) against
   ``feature_blend(..., maps=...)``.

3. the official small encoder (``enc_models/resnetenc_small.py:ResNetEncoder``, ch ``--ch``, 128
   px, 10 classes), built and initialised by Chainer, its class tables and BN statistics moved off
   their defaults, saved with ``chainer.serializers.save_npz``; zoo-scbn's converter
   (``zoo_scbn.convert``) reads that file into a ``CollageEncoder`` (config from the shapes), and
   both encode the same images and labels in eval mode.

Prints the largest absolute difference of each (float32). The official code is only read from
``--official``; nothing of it is imported into this process.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import torch

CHAINER_SIDE = textwrap.dedent('''
    import sys, numpy as np, chainer
    official, wpath, inpath, outpath, ch, k = sys.argv[1:7]
    sys.path.insert(0, official)
    from gen_models.resnet_small_scbn import SCBNResNetGenerator
    gen = SCBNResNetGenerator(ch=int(ch), n_classes=int(k))
    chainer.serializers.load_npz(wpath, gen)
    d = np.load(inpath)
    ws = [d["w%d" % i] for i in range(10)]
    bs = [d["b%d" % i] for i in range(6)]
    with chainer.using_config("train", False), chainer.using_config("enable_backprop", False):
        a = gen.spatial_interpolation(z=d["z0"], weights=ws)
        b = gen.spatial_interpolation(zs=[d["z0"], d["z1"]], weights=ws, blends=bs)
    np.savez(outpath, scbn=a.array, blend=b.array)
''')


ENCODER_SIDE = textwrap.dedent('''
    import sys, numpy as np, chainer
    official, wpath, inpath, outpath, ch, k = sys.argv[1:7]
    sys.path.insert(0, official)
    from enc_models.resnetenc_small import ResNetEncoder
    np.random.seed(0)
    enc = ResNetEncoder(ch=int(ch), dim_z=32, n_classes=int(k))
    for name, p in enc.namedparams():
        if "gammas" in name or "betas" in name or name.endswith("/b"):
            p.array[...] += np.random.normal(0, 0.3, p.shape).astype(p.dtype)
    for link in enc.links():
        if hasattr(link, "avg_mean"):
            link.avg_mean[...] = np.random.normal(0, 0.3, link.avg_mean.shape)
            link.avg_var[...] = np.random.uniform(0.5, 2, link.avg_var.shape)
    chainer.serializers.save_npz(wpath, enc)
    d = np.load(inpath)
    with chainer.using_config("train", False), chainer.using_config("enable_backprop", False):
        out = enc(d["x"], d["y"])
    np.savez(outpath, z=out.array)
''')


def check_encoder(args) -> float:
    """Largest |ours - official| of the official small encoder through our converter."""
    from zoo_scbn.convert import encoder_from_arrays
    from zoo_scbn.projection import CollageEncoder

    gen = torch.Generator().manual_seed(2)
    x = torch.rand(args.batch, 3, 128, 128, generator=gen) * 2 - 1
    y = torch.randint(10, (args.batch,), generator=gen)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.savez(tmp / "inputs.npz", x=x.numpy(), y=y.numpy().astype(np.int32))
        (tmp / "enc.py").write_text(ENCODER_SIDE)
        subprocess.run([args.chainer_python, str(tmp / "enc.py"), args.official, str(tmp / "enc.npz"),
                        str(tmp / "inputs.npz"), str(tmp / "out.npz"), str(args.ch), "10"],
                       check=True, cwd=args.official)
        with np.load(tmp / "enc.npz", allow_pickle=False) as npz:
            config, state = encoder_from_arrays({k: npz[k] for k in npz.files})
        theirs = np.load(tmp / "out.npz")["z"]
    enc = CollageEncoder(**config).eval()
    enc.load_state_dict(state)
    with torch.no_grad():
        ours = enc(x, y).numpy()
    print(f"ResNetEncoder (resnetenc_small) ch={args.ch} -> config {config}, eval mode, float32:")
    d = float(np.abs(theirs - ours).max())
    print(f"  encoder output (batch {args.batch})              max |ours - official| = {d:.2e} "
          f"(outputs up to {np.abs(theirs).max():.2f})")
    return d


def to_chainer(state: dict[str, torch.Tensor], n_blocks: int) -> dict[str, np.ndarray]:
    """Our ResNetGenerator state dict -> the official Chainer key layout."""
    out = {}
    bn = {"running_mean": "avg_mean", "running_var": "avg_var", "num_batches_tracked": "N"}
    for key, value in state.items():
        v = value.numpy()
        parts = key.split(".")
        if parts[0] == "fc":
            name = f"l1/{'W' if parts[1] == 'weight' else 'b'}"
        elif parts[0] == "blocks":
            blk, layer, param = f"block{int(parts[1]) + 2}", parts[2], parts[3]
            if layer in ("b1", "b2"):
                name = f"{blk}/{layer}/" + {"gammas": "gammas/W", "betas": "betas/W", **bn}[param]
            else:
                name = f"{blk}/{layer}/{'W' if param == 'weight' else 'b'}"
        elif parts[0] == "bn_out":
            name = f"b{n_blocks + 2}/" + {"weight": "gamma", "bias": "beta", **bn}[parts[1]]
        elif parts[0] == "conv_out":
            name = f"l{n_blocks + 2}/{'W' if parts[1] == 'weight' else 'b'}"
        else:
            raise KeyError(key)
        out[name] = v
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--official", required=True)
    p.add_argument("--chainer-python", default="/tmp/chainer-venv-ssdrl/bin/python")
    p.add_argument("--ch", type=int, default=4)
    p.add_argument("--batch", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(1)

    from zoo_scbn.collage import blend_sizes, feature_blend, scbn
    from zoo_sngan.convert import convert_arrays
    from zoo_sngan.models.resnet import ResNetGenerator

    k, c, n = 10, args.ch, args.batch
    torch.manual_seed(0)
    g = ResNetGenerator(channels=[8 * c, 8 * c, 4 * c, 4 * c, 2 * c, c], n_classes=k).eval()
    with torch.no_grad():
        for m in g.modules():
            if hasattr(m, "running_var"):
                m.running_mean.normal_(0, 0.3), m.running_var.uniform_(0.5, 2)
            if hasattr(m, "gammas"):
                m.gammas.normal_(1, 0.5), m.betas.normal_(0, 0.5)
        g.bn_out.weight.normal_(1, 0.3), g.bn_out.bias.normal_(0, 0.3)
        for m in g.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.bias.normal_(0, 0.1)
    state = {key: v.detach().float() if v.is_floating_point() else v for key, v in g.state_dict().items()}
    arrays = to_chainer(state, len(g.blocks))
    back = convert_arrays(arrays)["generator"]  # our reverse map agrees with zoo-sngan's converter
    assert set(back) == set(state) and all(torch.equal(back[key].to(state[key].dtype).reshape(state[key].shape), state[key])
                                           for key in state), "to_chainer disagrees with zoo_sngan.convert"
    gen = torch.Generator().manual_seed(1)
    z0, z1 = torch.randn(n, 128, generator=gen), torch.randn(n, 128, generator=gen)
    maps = []
    for s in g.layer_sizes:
        w = torch.rand(n, k, s, s, generator=gen)
        maps.append(w / w.sum(1, keepdim=True))
    blends = []
    for s in blend_sizes(g):
        w = torch.rand(n, 3, s, s, generator=gen)
        blends.append(w / w.sum(1, keepdim=True))
    blends[0][:, 2] = 0  # official: the output stream is zeros at point 0, weights from sources
    blends[0] /= blends[0].sum(1, keepdim=True)
    with torch.no_grad():
        ours_scbn = scbn(g, z0, maps).numpy()
        ours_blend = feature_blend(g, [z0, z1], blends, maps=maps).numpy()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.savez(tmp / "weights.npz", **arrays)
        inputs = {"z0": z0.numpy(), "z1": z1.numpy()}
        inputs.update({f"w{i}": m.permute(0, 2, 3, 1).contiguous().numpy() for i, m in enumerate(maps)})
        inputs.update({f"b{i}": b.permute(0, 2, 3, 1).contiguous().numpy() for i, b in enumerate(blends)})
        np.savez(tmp / "inputs.npz", **inputs)
        (tmp / "side.py").write_text(CHAINER_SIDE)
        subprocess.run([args.chainer_python, str(tmp / "side.py"), args.official, str(tmp / "weights.npz"),
                        str(tmp / "inputs.npz"), str(tmp / "out.npz"), str(c), str(k)],
                       check=True, cwd=args.official)
        theirs = np.load(tmp / "out.npz")
        d1 = float(np.abs(theirs["scbn"] - ours_scbn).max())
        d2 = float(np.abs(theirs["blend"] - ours_blend).max())
    print(f"SCBNResNetGenerator ch={c} (128 px, {k} classes, batch {n}), eval mode, float32:")
    print(f"  sCBN (10 random per-pixel class mixtures)      max |ours - official| = {d1:.2e}")
    print(f"  feature blend + sCBN (6 random blend maps)     max |ours - official| = {d2:.2e}")
    check_encoder(args)


if __name__ == "__main__":
    main()
