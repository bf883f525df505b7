"""`zoo compress` and `zoo decompress` (hook zoo_cli_commands); no torch at import time.

    zoo compress nmsc-tiny-0-4-8-32-q7-photos photo.png -o photo.nmsc
    zoo decompress photo.nmsc -o photo.png          # the model is the one the file names
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _model(name: str, weights: str | None):
    import zoo

    return zoo.load(f"local-dir:{weights}") if weights else zoo.load(name, pretrained=True)


def add_compress(parser: argparse.ArgumentParser) -> None:
    """Compress an image into a .nmsc file with a zoo-nmsc model.

    The file holds the model's name and a digest of its weights, so `zoo decompress` finds
    the model and refuses other weights. --weights DIR uses a trained folder (`zoo train`
    output) instead of the published weights.
    """
    parser.add_argument("name", help="model name, e.g. nmsc-tiny-0-4-8-32-q7-photos")
    parser.add_argument("image", help="input image (PNG, JPEG, ...)")
    parser.add_argument("-o", "--output", required=True, help="output .nmsc file")
    parser.add_argument("--weights", metavar="DIR", help="a trained folder instead of the published weights")
    parser.set_defaults(fn=_compress)


def add_decompress(parser: argparse.ArgumentParser) -> None:
    """Decompress a .nmsc file into an image (the model the file names, its published weights).

    A truncated, corrupted or foreign file, or weights other than the encoder's, give a
    one-line error, never a wrong image. --weights DIR decodes with a trained folder.
    """
    parser.add_argument("file", help="a .nmsc file written by `zoo compress`")
    parser.add_argument("-o", "--output", required=True, help="output image; the suffix picks the format (.png)")
    parser.add_argument("--weights", metavar="DIR", help="a trained folder instead of the published weights")
    parser.set_defaults(fn=_decompress)


def _read(path: str, what: str) -> bytes:
    from zoo_nmsc.errors import BitstreamError

    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BitstreamError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _compress(args: argparse.Namespace) -> int:
    from zoo_nmsc import codec
    from zoo_nmsc.errors import ImageError

    _read(args.image, "image")
    try:
        image = codec.read_image(args.image)
    except Exception as exc:  # Pillow: not an image
        raise ImageError(f"cannot read image {args.image}: {exc}") from None
    model = _model(args.name, args.weights)
    data = codec.compress(model, image)
    Path(args.output).write_bytes(data)
    h, w = image.shape[-2:]
    print(f"{args.output}: {len(data)} bytes, {8 * len(data) / (h * w):.4f} bpp ({w}x{h}, {model.zoo_name})")
    return 0


def _decompress(args: argparse.Namespace) -> int:
    from zoo_nmsc import codec

    data = _read(args.file, "file")
    header = codec.read_header(data, source=args.file)
    model = _model(header.model, args.weights) if args.weights else None
    image = codec.decompress(data, model, source=args.file)
    codec.save_image(image, args.output)
    print(f"{args.output}: {header.width}x{header.height} from {args.file} ({header.model})", file=sys.stdout)
    return 0
