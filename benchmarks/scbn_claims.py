"""Neural collage's claims at small scale, on the fontdigits32 conditional SN-GAN
(arXiv:1811.10153; no official numbers exist, so this measures what the method promises).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/scbn_claims.py --weights DIR [--out benchmarks/scbn_claims]
        [--n 200] [--images 20] [--encoder DIR | --encoder-steps 400]

``DIR``: a folder of ``sngan-projection-fontdigits32`` weights (``zoo train`` output, or the
published repo folder under hub/). Prints and writes ``OUT.json`` / ``OUT.txt``:

1. edit success of sCBN (the fontdigits classifier calls the edited image the target class)
   against strength t at every layer, and at t = 1 on the coarse (4, 8 px) or fine (16, 32 px)
   layers only; the base images' accuracy as the ceiling (task ``editing/fontdigits32``);
2. locality: mean |delta| inside a relabelled right half and beyond its receptive field;
3. manifold projection of ``--images`` held-out test digits (half from unseen fonts):
   feature loss (-cos) and PSNR of G(z*) after 200 Adam steps, from z ~ N(0, I) and from an
   encoder: ``--encoder DIR`` (a ``collage-encoder-fontdigits32`` folder, ``zoo train`` output or
   hub/), else one trained here for ``--encoder-steps`` steps (G, D frozen; seed 0). The official
   auxiliary network (encoder + aux) is not implemented here.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", required=True)
    p.add_argument("--out", default="benchmarks/scbn_claims")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--images", type=int, default=20)
    p.add_argument("--encoder", help="folder of trained collage-encoder-fontdigits32 weights")
    p.add_argument("--encoder-steps", type=int, default=400)
    args = p.parse_args()
    torch.set_num_threads(1)

    import zoo
    from zoo_core.weights import component_file, component_module, load_state_dict_strict, read_safetensors
    from zoo_scbn.projection import CollageEncoder, project, train_encoder
    from zoo_scbn.task import FontDigitsEditing
    from zoo_sngan.fontdigits import font_digits32_tensors

    t0 = time.time()
    model = zoo.create("scbn-fontdigits32")  # the Collage view of the same generator and D files
    for part in ("generator", "discriminator"):
        load_state_dict_strict(component_module(model, part),
                               read_safetensors(Path(args.weights) / component_file(part)))
    model.eval()
    results = {"editing": FontDigitsEditing(n=args.n).evaluate(model)}
    x, y = font_digits32_tensors("test")
    idx = torch.cat([torch.arange(args.images // 2), 1000 + torch.arange(args.images - args.images // 2)])
    xs, ys = x[idx], y[idx]
    g, d = model.generator, model.discriminator
    proj = {}
    z, rec = project(g, d, xs, ys, init="random", seed=0)
    proj["random"] = rec
    if args.encoder:
        enc, hist = zoo.load(f"local-dir:{args.encoder}").eval(), None
    else:
        enc = CollageEncoder()
        xt, yt = font_digits32_tensors("train")
        hist = train_encoder(enc, g, d, xt, yt, steps=args.encoder_steps, batch_size=32, seed=0)
    z, rec = project(g, d, xs, ys, init="encoder", encoder=enc)
    proj["encoder"] = rec
    results["projection"] = {k: {m: round(float(v.mean()), 4) for m, v in r.items()} for k, r in proj.items()}
    results["projection"]["encoder_source"] = args.encoder or f"trained here, {args.encoder_steps} steps"
    if hist:
        results["projection"]["encoder_train_loss_last50"] = round(sum(hist[-50:]) / 50, 4)
    results["seconds"] = round(time.time() - t0, 1)

    e = results["editing"]
    lines = ["edit success (classifier says target), whole-image mask:",
             "  t:        " + "  ".join(f"{t:>5}" for t in ("0.25", "0.5", "0.75", "1")),
             "  success:  " + "  ".join(f"{e[f'edit_success_t{t}']:5.3f}" for t in ("0.25", "0.5", "0.75", "1")),
             f"  t=1 coarse layers only (4, 8 px): {e['edit_success_coarse']:.3f}; fine only (16, 32 px): "
             f"{e['edit_success_fine']:.3f}; base images' accuracy {e['base_accuracy']:.3f}",
             f"locality (right half relabelled at the fine layers): mean |delta| inside {e['locality_inside']:.4f}, "
             f"beyond the receptive field {e['locality_outside']:.2e}; every layer relabelled: outside the "
             f"mask {e['locality_outside_all']:.4f}",
             f"projection of {args.images} held-out digits (200 Adam steps, lr 0.075, 0.2 MSE):"]
    for k in ("random", "encoder"):
        r = results["projection"][k]
        lines.append(f"  {k:8s} init: -cos {r['feature_loss']:.4f}  PSNR {r['psnr_init']:.2f} -> {r['psnr']:.2f} dB")
    lines.append(f"({results['seconds']} s)")
    text = "\n".join(lines)
    print(text)
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    out.with_suffix(".txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
