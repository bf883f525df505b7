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


if __name__ == "__main__":
    main()
