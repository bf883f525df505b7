"""Claims of arXiv:1805.06386 at CPU scale, with real files (zoo-nmsc).

    python benchmarks/nmsc_claims.py --weights-root runs --out benchmarks/nmsc_claims \
        [--baseline-steps 240] [--sizes 256 512 1024]

1. RD: MS-SSIM and PSNR against bpp (bytes of the .nmsc file, header included) of the
   nmsc-tiny-* rate points on the held-out photos, beside JPEG and WebP (Pillow, quality
   sweep, and the quality whose bpp matches each model point) and, with --baseline-steps N,
   CompressAI's bmshj2018-factorized and -hyperprior (small N/M) trained here for N steps on
   the same crops with lambda * (1 - MS-SSIM) + bpp.
2. File size against the entropy estimate (+ header): under the coder's integer tables (what
   the range coder is given), and under the float softmax (what training minimises).
3. Single-thread encode / decode time of a 768x512 image, beside CompressAI's hyperprior
   (N=128, M=192, its quality 1-5 size; untrained weights: time only).
4. Sequential network passes of the decoder (counted by hooking the context model's blocks)
   and decode time at 256, 512 and 1024 px squares: the passes do not grow with the size.

Writes OUT.json (CompressAI-style result lists per codec), OUT.txt (tables), OUT.png (RD).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

MODELS = ("nmsc-tiny-0-0-4-32-q7-photos", "nmsc-tiny-0-4-8-32-q7-photos", "nmsc-tiny-0-8-16-32-q7-photos")


def load(name: str, root: str | None):
    import zoo

    if root and (Path(root) / name).is_dir():
        return zoo.load(f"local-dir:{Path(root) / name}").eval()
    return zoo.load(name, pretrained=True).eval()


def metrics(x, y) -> dict:
    from zoo_nmsc.metrics import ms_ssim_rgb, psnr_rgb

    return {"psnr-rgb": psnr_rgb(y[None], x[None]), "ms-ssim-rgb": ms_ssim_rgb(y[None], x[None])}


def run_nmsc(model, images) -> list[dict]:
    from zoo_nmsc import bitstream, codec, coder

    rows = []
    for x in images:
        h, w = x.shape[-2:]
        t0 = time.perf_counter()
        data = codec.compress(model, x)
        t1 = time.perf_counter()
        y = codec.decompress(data, model)
        t2 = time.perf_counter()
        with torch.no_grad():
            zs = model.encode(F.pad(x[None], (0, -w % 32, 0, -h % 32)))
            est_bits = model.context_model.bits(zs).item()
            table_bits = coder.code_length(model.context_model.groups(zs))
            decoded = model.decompress_latents(bitstream.read(data)[1], h, w)
        header = bitstream.header_bytes(model.zoo_name)
        est_bytes, table_bytes = est_bits / 8 + header, table_bits / 8 + header
        rows.append({"bpp": 8 * len(data) / (h * w), "bytes": len(data), "estimate_bytes": est_bytes,
                     "size_gap": len(data) / est_bytes - 1, "table_bytes": table_bytes,
                     "table_gap": len(data) / table_bytes - 1,
                     "bit_exact": float(all(torch.equal(a, b) for a, b in zip(zs, decoded))),
                     "encoding_time": t1 - t0,
                     "decoding_time": t2 - t1, **metrics(x, y)})
    return rows


def pillow(x, fmt: str, quality: int) -> dict:
    from PIL import Image

    from zoo_nmsc.data import read_image

    arr = (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    t0 = time.perf_counter()
    Image.fromarray(arr).save(buf, format=fmt, quality=quality)
    t1 = time.perf_counter()
    buf.seek(0)
    y = read_image(buf)
    t2 = time.perf_counter()
    h, w = x.shape[-2:]
    return {"bpp": 8 * buf.getbuffer().nbytes / (h * w), "quality": quality, "encoding_time": t1 - t0,
            "decoding_time": t2 - t1, **metrics(x, y)}


def matched(x, fmt: str, bpp: float) -> dict:
    """The Pillow quality whose bpp is closest to ``bpp`` (bisection on quality 1..95)."""
    lo, hi = 1, 95
    best = pillow(x, fmt, lo)
    while lo <= hi:
        q = (lo + hi) // 2
        r = pillow(x, fmt, q)
        if abs(r["bpp"] - bpp) < abs(best["bpp"] - bpp):
            best = r
        lo, hi = (q + 1, hi) if r["bpp"] < bpp else (lo, q - 1)
    return best


def train_compressai(kind: str, steps: int, lmbda: float, seed: int = 0):
    """bmshj2018-{factorized,hyperprior} with N=32, M=48 trained on the nmsc training crops."""
    from compressai.models import FactorizedPrior, ScaleHyperprior

    from zoo_nmsc.data import PhotoCrops
    from zoo_nmsc.metrics import ms_ssim

    torch.manual_seed(seed)
    net = (FactorizedPrior if kind == "factorized" else ScaleHyperprior)(32, 48)
    data = PhotoCrops(crop=256, seed=seed)
    main = [p for n, p in net.named_parameters() if not n.endswith(".quantiles")]
    aux = [p for n, p in net.named_parameters() if n.endswith(".quantiles")]
    opt, aux_opt = torch.optim.Adam(main, 1e-3), torch.optim.Adam(aux, 1e-3)
    g = torch.Generator().manual_seed(seed)
    for step in range(steps):
        idx = torch.randint(len(data), (2,), generator=g)
        x = torch.stack([data[int(i)] for i in idx])[..., :192, :192]
        out = net(x)
        bpp = sum(-torch.log2(l).sum() for l in out["likelihoods"].values()) / (x.shape[0] * 192 * 192)
        loss = lmbda * (1 - ms_ssim(out["x_hat"].clamp(0, 1), x)) + bpp
        opt.zero_grad(), aux_opt.zero_grad()
        loss.backward()
        opt.step()
        net.aux_loss().backward()
        aux_opt.step()
    net.update(force=True)
    return net.eval()


def run_compressai(net, images) -> list[dict]:
    rows = []
    for x in images:
        h, w = x.shape[-2:]
        xp = F.pad(x[None], (0, -w % 64, 0, -h % 64))
        with torch.no_grad():
            t0 = time.perf_counter()
            out = net.compress(xp)
            t1 = time.perf_counter()
            y = net.decompress(out["strings"], out["shape"])["x_hat"][0, :, :h, :w].clamp(0, 1)
            t2 = time.perf_counter()
        nbytes = sum(len(s[0]) for s in out["strings"])
        rows.append({"bpp": 8 * nbytes / (h * w), "encoding_time": t1 - t0, "decoding_time": t2 - t1,
                     **metrics(x, y)})
    return rows


def mean(rows: list[dict]) -> dict:
    return {k: sum(r[k] for r in rows) / len(rows) for k in rows[0] if isinstance(rows[0][k], (int, float))}


def count_passes(model, size: int) -> tuple[int, float, float]:
    """(sequential block passes while decoding, encode s, decode s) for a ``size`` square."""
    from zoo_nmsc import codec

    x = torch.rand(1, 3, size // 8, size // 8)
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)[0]
    t0 = time.perf_counter()
    data = codec.compress(model, x)
    t1 = time.perf_counter()
    calls = []
    hooks = [b.register_forward_hook(lambda *a: calls.append(1))
             for pair in model.context_model.blocks.values() for b in pair]
    try:
        codec.decompress(data, model)
    finally:
        for hk in hooks:
            hk.remove()
    return len(calls), t1 - t0, time.perf_counter() - t1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=list(MODELS))
    p.add_argument("--weights-root", help="folder of `zoo train` outputs (default: the published weights)")
    p.add_argument("--out", default="benchmarks/nmsc_claims")
    p.add_argument("--baseline-steps", type=int, default=0, help="CompressAI training steps (0: skip)")
    p.add_argument("--lambdas", type=float, nargs="+", default=[4.0, 16.0], help="CompressAI lambda (MS-SSIM)")
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    p.add_argument("--qualities", type=int, nargs="+", default=[5, 10, 20, 30, 50, 70])
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    from zoo_nmsc.data import TEST_PHOTOS, photo

    images = [photo(r) for r in TEST_PHOTOS]
    res: dict = {"images": list(TEST_PHOTOS), "codecs": {}}
    lines = [f"held-out images: {', '.join(TEST_PHOTOS)}; one thread; bpp from the bytes of each file", ""]
    models = {n: load(n, args.weights_root) for n in args.models}
    for name, model in models.items():
        rows = run_nmsc(model, images)
        res["codecs"][name] = {"points": [mean(rows)], "per_image": rows}
    for fmt in ("JPEG", "WEBP"):
        res["codecs"][fmt] = {"points": [mean([pillow(x, fmt, q) for x in images]) for q in args.qualities]}
        for name in models:
            pts = [matched(x, fmt, r["bpp"]) for x, r in zip(images, res["codecs"][name]["per_image"])]
            res["codecs"][name][f"{fmt}_matched"] = mean(pts)
    if args.baseline_steps:
        for kind in ("factorized", "hyperprior"):
            pts = []
            for lmbda in args.lambdas:
                t0 = time.perf_counter()
                net = train_compressai(kind, args.baseline_steps, lmbda)
                pt = mean(run_compressai(net, images))
                pts.append({**pt, "lambda": lmbda, "train_s": time.perf_counter() - t0})
            res["codecs"][f"bmshj2018-{kind}"] = {"points": pts, "steps": args.baseline_steps}

    lines.append("codec | bpp | PSNR-RGB | MS-SSIM | enc s | dec s | matched JPEG bpp/MS-SSIM | matched WebP bpp/MS-SSIM")
    for name, r in res["codecs"].items():
        for pt in r["points"]:
            extra = ""
            if "JPEG_matched" in r:
                j, wp = r["JPEG_matched"], r["WEBP_matched"]
                extra = f" | {j['bpp']:.3f}/{j['ms-ssim-rgb']:.3f} | {wp['bpp']:.3f}/{wp['ms-ssim-rgb']:.3f}"
            tag = f" q{pt['quality']:.0f}" if "quality" in pt else f" lambda {pt['lambda']}" if "lambda" in pt else ""
            lines.append(f"{name}{tag} | {pt['bpp']:.4f} | {pt['psnr-rgb']:.2f} | {pt['ms-ssim-rgb']:.4f} | "
                         f"{pt['encoding_time']:.3f} | {pt['decoding_time']:.3f}{extra}")
    lines += ["", "file bytes / (estimate + header) - 1 per image: integer tables | float softmax; bit-exact latents"]
    for name in models:
        per = res["codecs"][name]["per_image"]
        lines.append(f"{name}: " + ", ".join(f"{100 * r['table_gap']:+.2f}%" for r in per) + " | "
                     + ", ".join(f"{100 * r['size_gap']:+.2f}%" for r in per)
                     + f"; bytes {[r['bytes'] for r in per]}; bit-exact {[int(r['bit_exact']) for r in per]}")

    # 768x512 timing beside CompressAI's hyperprior (its real size, untrained: time only)
    from compressai.models import ScaleHyperprior

    from zoo_nmsc import codec

    x768 = F.interpolate(images[0][None], size=(512, 768), mode="bilinear", align_corners=False)[0].clamp(0, 1)
    hyper = ScaleHyperprior(128, 192).eval()
    hyper.update(force=True)
    timing = {}
    for name, model in models.items():
        t0 = time.perf_counter()
        data = codec.compress(model, x768)
        t1 = time.perf_counter()
        codec.decompress(data, model)
        timing[name] = {"encoding_time": t1 - t0, "decoding_time": time.perf_counter() - t1}
    timing["bmshj2018-hyperprior N128 M192 (untrained)"] = mean(run_compressai(hyper, [x768]))
    res["timing_768x512"] = timing
    lines += ["", "768x512, one thread: encode s / decode s"]
    lines += [f"{k}: {v['encoding_time']:.3f} / {v['decoding_time']:.3f}" for k, v in timing.items()]

    lines += ["", "sequential context-model passes while decoding, and encode / decode s, by image size"]
    res["passes"] = {}
    for name, model in models.items():
        rows = {s: count_passes(model, s) for s in args.sizes}
        res["passes"][name] = {str(s): {"passes": n, "encoding_time": e, "decoding_time": d}
                               for s, (n, e, d) in rows.items()}
        lines.append(f"{name}: " + "; ".join(f"{s}px {n} passes {e:.2f}/{d:.2f} s" for s, (n, e, d) in rows.items()))

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(res, indent=1))
    out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    figure(res, out.with_suffix(".png"))
    print("\n".join(lines))
    return 0


def figure(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    nmsc = [(n, r) for n, r in res["codecs"].items() if n.startswith("nmsc")]
    for ax, key in zip(axes, ("ms-ssim-rgb", "psnr-rgb")):
        for name, r in res["codecs"].items():
            if name.startswith("nmsc"):
                continue
            pts = sorted(r["points"], key=lambda p: p["bpp"])
            ax.plot([p["bpp"] for p in pts], [p[key] for p in pts], "o--", label=name, alpha=0.7)
        pts = sorted((r["points"][0] for _, r in nmsc), key=lambda p: p["bpp"])
        ax.plot([p["bpp"] for p in pts], [p[key] for p in pts], "s-", color="k", label="nmsc-tiny (ours)")
        ax.set_xlabel("bpp (bytes of the file)")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.set_xlim(0, max(1.0, max(p["bpp"] for p in pts) * 1.2))
    axes[0].legend(fontsize=8)
    fig.suptitle("held-out photos (flower, coffee, chelsea), CPU-sized models")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
