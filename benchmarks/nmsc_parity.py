"""Parity of zoo-nmsc with the official Chainer code (pfnet-research/nms-comp) and its converter.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/nmsc_parity.py --official /tmp/nms-comp-official \
        --chainer-python /tmp/chainer-venv/bin/python [--c-list 0 0 4 32] [--q-num 7] [--size 256]

In a subprocess of the Chainer venv, the official ``LossyModel`` (analyzer, synthesizer) and
``LossLess`` (the context model) are built at the official widths with Chainer's initialisers,
their BatchNorm statistics, scales and shifts and the static final level moved off their defaults
with a seeded generator, and saved with ``chainer.serializers.save_npz`` in the layout of the
official ``model_all`` snapshot. ``zoo_nmsc.convert`` reads that file into ``NMSC`` (widths 64 /
512), and both sides, in eval mode, take the same held-out photo crops (BGR for the official
code, as OpenCV reads them; RGB for ours):

1. the analyzer's standardised latents z1..z4 (official packed ``z`` unpacked with Chainer's
   depth-to-space) and the quantised symbols (count of differing symbols);
2. the synthesizer's output logits from the official symbols (colour reversed for the comparison);
3. the context model's code length in bits per image over the official symbols (the official
   ``LossLess.__call__`` in test mode, times the symbols per image).

Then the CPU time of each side, one thread, median of ``--reps`` runs in its own process: the
autoencoder (analyzer, quantiser, synthesizer, output quantiser) and the context model's code
length. The official range coder (a pybind11 module) is not built: the harness gives the import a
stub, and entropy coding is not compared. Nothing of the official code is imported into this process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import torch

CHAINER_SIDE = textwrap.dedent('''
    import json, sys, time, types
    import numpy as np, chainer
    mode, official, wpath, inpath, outpath, c_list, q_num, reps = sys.argv[1:9]
    c_list, q_num, reps = [int(c) for c in c_list.split(",")], int(q_num), int(reps)
    sys.path.insert(0, official)
    stub = types.ModuleType("cpp.range_coder_cpp")   # the compiled range coder is not needed here
    sys.modules["cpp"] = types.ModuleType("cpp"); sys.modules["cpp"].range_coder_cpp = stub
    sys.modules["cpp.range_coder_cpp"] = stub
    import materials as M
    from model_lossy import LossyModel
    from model_lossless import LossLess

    class ModelAll(chainer.Chain):   # the layout of LosslessModel (model_all), without its file loading
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.model_lossy = LossyModel(c_list=c_list, q_num=q_num)
                self.model_lossless = LossLess(c_list=c_list, q_num=q_num)

    chainer.global_config.train = False
    chainer.global_config.enable_backprop = False
    np.random.seed(0)   # Chainer's initialisers draw from numpy's global generator
    model = ModelAll()
    if mode == "init":
        rng = np.random.default_rng(0)
        for name, link in model.namedlinks():
            if isinstance(link, chainer.links.BatchNormalization):
                n = link.avg_mean.shape[0]
                link.avg_mean[...] = rng.normal(0, 0.3, n)
                link.avg_var[...] = rng.uniform(0.5, 2.0, n)
                link.N = 7
                if link.gamma is not None:
                    link.gamma.array[...] = rng.uniform(0.7, 1.3, n)
                    link.beta.array[...] = rng.normal(0, 0.2, n)
        d = model.model_lossless.d_pred
        d.array[...] = rng.normal(0, 1, d.shape)
        chainer.serializers.save_npz(wpath, model)
        sys.exit(0)
    chainer.serializers.load_npz(wpath, model)
    x = np.load(inpath)["x_bgr"]
    lossy, lossless = model.model_lossy, model.model_lossless
    z = lossy.analyzer(x).array
    q = M.quantizer(chainer.Variable(z), q_num).array
    y = lossy.synthesizer(q).array
    bits = float(lossless(chainer.Variable(q)).array) * q[0].size

    def autoencoder():
        return M.final_quantizer(lossy.synthesizer(M.quantizer(lossy.analyzer(x), q_num))).array

    def code_length():
        return lossless(chainer.Variable(q)).array

    times = {}
    for name, fn in (("autoencoder", autoencoder), ("context_model", code_length)):
        fn()
        runs = []
        for _ in range(reps):
            t = time.process_time(); fn(); runs.append(time.process_time() - t)
        times[name] = float(np.median(runs))
    np.savez(outpath, z=z, q=q, y=y, bits=np.float64(bits))
    print(json.dumps(times))
''')


def chainer_d2s(t: np.ndarray, r: int) -> np.ndarray:
    """Chainer's ``depth2space``: input channel ``(dy r + dx) C + c`` to pixel ``(c, y r + dy, x r + dx)``."""
    n, ch, h, w = t.shape
    c = ch // (r * r)
    return t.reshape(n, r, r, c, h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, c, h * r, w * r)


def official_latents(z: np.ndarray, c_list) -> list[np.ndarray]:
    """Split the official packed ``z`` (stride 32) into z1..z4 at their native strides."""
    sizes = [c * (32 // n) ** 2 for c, n in zip(c_list, (4, 8, 16, 32))]
    parts = np.split(z, np.cumsum(sizes)[:-1], axis=1)
    return [chainer_d2s(p, 32 // n) if n < 32 else p for p, n in zip(parts, (4, 8, 16, 32))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", required=True, help="the nms-comp checkout")
    ap.add_argument("--chainer-python", default="/tmp/chainer-venv/bin/python")
    ap.add_argument("--c-list", type=int, nargs=4, default=[0, 0, 4, 32])
    ap.add_argument("--q-num", type=int, default=7)
    ap.add_argument("--size", type=int, default=256, help="crop side (a multiple of 256: the official "
                    "training-path code length needs even maps down to stride 256)")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    from zoo_nmsc.convert import from_official
    from zoo_nmsc.data import TEST_PHOTOS, photo
    from zoo_nmsc.model import NMSC
    from zoo_nmsc.quantize import quantize_latent
    from zoo_core.testing.parity import interleaved_cpu_times

    torch.set_num_threads(1)
    c_list, s = tuple(args.c_list), args.size
    x = torch.stack([photo(ref)[:, :s, :s] for ref in TEST_PHOTOS[:args.batch]])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        script, wpath, inpath, outpath = tmp / "side.py", tmp / "model_all.npz", tmp / "in.npz", tmp / "out.npz"
        script.write_text(CHAINER_SIDE)
        np.savez(inpath, x_bgr=x.flip(1).numpy())

        def chainer(mode: str) -> str:
            cmd = [args.chainer_python, str(script), mode, str(Path(args.official).resolve()), str(wpath),
                   str(inpath), str(outpath), ",".join(map(str, c_list)), str(args.q_num), str(args.reps)]
            run = subprocess.run(cmd, capture_output=True, text=True, env={"OMP_NUM_THREADS": "1", "HOME": str(tmp)})
            if run.returncode:
                sys.exit(f"the Chainer side failed:\n{run.stderr[-3000:]}")
            return run.stdout

        chainer("init")
        model = NMSC(c_list=c_list, q_num=args.q_num, width=64, ctx_width=512, coarse_levels=3).eval()
        for component, state in from_official(wpath).items():
            getattr(model, component).load_state_dict(state, strict=True)
        theirs_times = json.loads(chainer("run").strip().splitlines()[-1])
        out = np.load(outpath)

    with torch.no_grad():
        zs = model.analyzer(x)
        ref_z = official_latents(out["z"], c_list)
        ref_q = official_latents(out["q"], c_list)
        z_err = max(float((a - torch.from_numpy(b)).abs().max()) for a, b in zip(zs, ref_z) if a.numel())
        q_ours = [quantize_latent(z, args.q_num) for z in zs]
        q_diff = sum(int((a != torch.from_numpy(b)).sum()) for a, b in zip(q_ours, ref_q))
        q_total = sum(a.numel() for a in q_ours)
        q_ref = [torch.from_numpy(b) for b in ref_q]
        y_ours = model.synthesizer(q_ref)
        y_err = float((y_ours - torch.from_numpy(out["y"]).flip(1)).abs().max())
        bits_ours = float(model.context_model.bits(q_ref).mean())
        bits_ref = float(out["bits"])

        def autoencoder():
            return model.decode(model.encode(x))

        def code_length():
            return model.context_model.bits(q_ref)

        ours_times = interleaved_cpu_times({"autoencoder": autoencoder, "context_model": code_length}, args.reps)

    print(f"nms-comp parity: c_list {c_list}, q_num {args.q_num}, widths 64 / 512, {args.batch} x 3 x {s} x {s} "
          f"(held-out photos {', '.join(TEST_PHOTOS[:args.batch])}), float32, eval mode, 1 thread")
    print(f"  analyzer latents z1..z4      max |diff| {z_err:.2e}")
    print(f"  quantised symbols            {q_diff} of {q_total} differ")
    print(f"  synthesizer logits           max |diff| {y_err:.2e}")
    print(f"  context model bits / image   ours {bits_ours:.3f}  official {bits_ref:.3f}  "
          f"rel diff {abs(bits_ours - bits_ref) / bits_ref:.2e}")
    print("  CPU s (median of %d)         ours    official  speed-up" % args.reps)
    for name in ours_times:
        print(f"  {name:28s} {ours_times[name]:7.3f} {theirs_times[name]:8.3f}  "
              f"{theirs_times[name] / ours_times[name]:.2f}x")


if __name__ == "__main__":
    main()
