"""Edit your own digit image: project it onto the generator, relabel the masked region with
sCBN, write the result (the paper's real-image pipeline, without Poisson blending).

Command::

    python -m zoo_scbn.edit IMAGE MASK --source 3 --target 8 [--strength 1] [--layers all]
        [--model sngan-projection-fontdigits32] [--encoder collage-encoder-fontdigits32]
        [--steps 200] [--out edited.png]

``IMAGE``: any picture of one digit (converted to grey, resized to the generator's 32x32;
``--invert`` for dark ink on a light background); ``MASK``: a grey picture, white = edit
(resized the same way). Writes ``OUT`` (the edited image) and ``OUT`` with ``-projection``
(``G(z*)`` before the edit). The function behind it is :func:`edit_image`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from zoo_core.errors import ZooError

__all__ = ["edit_image", "load_image", "EditInputError", "main"]

LAYERS = ("all", "coarse", "fine")


class EditInputError(ZooError, ValueError):
    """An image, mask or class the edit command cannot use."""


def load_image(path: str | Path, size: int, *, invert: bool = False) -> torch.Tensor:
    """A picture as grey ``(size, size)`` in [0, 1] (Pillow, bicubic resize)."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(path).convert("L").resize((size, size), Image.BICUBIC)
    except (FileNotFoundError, UnidentifiedImageError, OSError) as e:
        raise EditInputError(f"Cannot read image {str(path)!r} ({e}); give a PNG/JPEG/WebP file") from None
    x = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).view(size, size).float() / 255
    return 1 - x if invert else x


def _strengths(layers: str, strength: float, sizes: list[int], image_size: int) -> list[float]:
    if layers not in LAYERS:
        raise EditInputError(f"--layers must be one of {LAYERS}, got {layers!r}")
    if not 0 <= strength <= 1:
        raise EditInputError(f"--strength must lie in [0, 1], got {strength}")
    if layers == "coarse":
        return [strength if s <= image_size // 4 else 0.0 for s in sizes]
    if layers == "fine":
        return [strength if s >= image_size // 2 else 0.0 for s in sizes]
    return [strength] * len(sizes)


def edit_image(model, image: torch.Tensor, mask: torch.Tensor, *, source: int, target: int,
               strength: float = 1.0, layers: str = "all", steps: int = 200,
               seed: int = 0, encoder=None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(edited, projection)`` images ``(3, S, S)`` in [-1, 1].

    Args:
        model: a :class:`~zoo_scbn.models.Collage` (or any conditional zoo-sngan SN-GAN).
        image: grey ``(S, S)`` in [0, 1], white digit on black (as the training data).
        mask: ``(S, S)`` in [0, 1]; 1 = relabel to ``target``.
        source, target: the digit's class and the class to collage in.
        strength, layers: sCBN strength ``t`` and which CBN layers get it (``all``, ``coarse``
            = 4 and 8 px, ``fine`` = 16 and 32 px).
        steps: manifold-projection Adam steps.
        encoder: a projection encoder (``zoo.load("collage-encoder-fontdigits32")``) to start
            from; None starts from a random latent.
    """
    from zoo_scbn.collage import pair_maps, scbn
    from zoo_scbn.projection import project

    g = model.generator
    s = g.image_size
    for name, t in (("image", image), ("mask", mask)):
        if t.shape != (s, s) or float(t.min()) < 0 or float(t.max()) > 1:
            raise EditInputError(f"The {name} must be ({s}, {s}) in [0, 1]; got {tuple(t.shape)}")
    for name, c in (("source", source), ("target", target)):
        if not 0 <= c < g.n_classes:
            raise EditInputError(f"--{name} must be a class in [0, {g.n_classes}); got {c}")
    model.eval()
    x = (image * 2 - 1).expand(1, 3, s, s).contiguous()
    y = torch.tensor([source])
    z, _ = project(g, model.discriminator, x, y, steps=steps, seed=seed,
                   init="random" if encoder is None else "encoder", encoder=encoder)
    ts = _strengths(layers, strength, g.layer_sizes, s)
    with torch.no_grad():
        projection = g(z, y)[0]
        edited = scbn(g, z, pair_maps(g, y, torch.tensor([target]), mask, strength=ts))[0]
    return edited, projection


def _save(img: torch.Tensor, path: Path) -> None:
    from PIL import Image

    arr = (img.clamp(-1, 1).add(1).mul(127.5).round().byte().permute(1, 2, 0).numpy())
    Image.fromarray(arr).save(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo_scbn.edit", description=__doc__.splitlines()[0])
    p.add_argument("image")
    p.add_argument("mask")
    p.add_argument("--source", type=int, required=True, help="the digit's class")
    p.add_argument("--target", type=int, required=True, help="class to collage into the mask")
    p.add_argument("--strength", type=float, default=1.0)
    p.add_argument("--layers", default="all", choices=LAYERS)
    p.add_argument("--model", default="sngan-projection-fontdigits32")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--encoder", default=None,
                   help="start projection from this encoder (e.g. collage-encoder-fontdigits32)")
    p.add_argument("--invert", action="store_true", help="the image has dark ink on light paper")
    p.add_argument("--out", default="edited.png")
    args = p.parse_args(argv)
    try:
        import zoo

        model = zoo.load(args.model, pretrained=True)
        encoder = zoo.load(args.encoder, pretrained=True) if args.encoder else None
        s = model.generator.image_size
        edited, projection = edit_image(
            model, load_image(args.image, s, invert=args.invert), load_image(args.mask, s),
            source=args.source, target=args.target, strength=args.strength, layers=args.layers,
            steps=args.steps, encoder=encoder)
    except ZooError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = Path(args.out)
    _save(edited, out)
    _save(projection, out.with_name(out.stem + "-projection" + out.suffix))
    print(f"wrote {out} and {out.with_name(out.stem + '-projection' + out.suffix)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
