"""Images to .nmsc files and back: the Python API behind `zoo compress` / `zoo decompress`.

Example::

    import zoo
    from zoo_nmsc import codec
    model = zoo.load("nmsc-tiny-0-4-8-32-q7-photos", pretrained=True)
    data = codec.compress(model, codec.read_image("photo.png"))   # bytes of a .nmsc file
    image = codec.decompress(data, model)                          # [3, H, W] in [0, 1]
"""

from __future__ import annotations

from pathlib import Path

import torch

from zoo_nmsc import bitstream
from zoo_nmsc.data import read_image
from zoo_nmsc.errors import BitstreamError

__all__ = ["compress", "decompress", "read_header", "read_image", "save_image"]


def compress(model, image: torch.Tensor) -> bytes:
    """A whole .nmsc file for one image ``[3, H, W]`` (or ``[1, 3, H, W]``) in [0, 1]."""
    x = image.unsqueeze(0) if image.dim() == 3 else image
    if x.dim() != 4 or x.shape[0] != 1:
        from zoo_nmsc.errors import ImageError

        raise ImageError(f"compress takes one image [3, H, W], got shape {tuple(image.shape)}")
    model.eval()
    out = model.compress(x)
    h, w = out["shape"]
    header = bitstream.Header(model.zoo_name or type(model).__name__, bitstream.weights_digest(model), h, w)
    return bitstream.write(header, out["strings"][0][0])


def read_header(data: bytes, *, source: str = "the file") -> bitstream.Header:
    """The header of a file's bytes (checks the whole file: magic, lengths, CRC)."""
    return bitstream.read(data, source=source)[0]


def decompress(data: bytes, model=None, *, source: str = "the file") -> torch.Tensor:
    """The image ``[3, H, W]`` of a .nmsc file's bytes.

    ``model`` defaults to the pretrained model the header names (``zoo.load(name, pretrained=True)``);
    a model with other weights is refused (``BitstreamError``), never decoded into a wrong image.
    """
    header, payload = bitstream.read(data, source=source)
    if model is None:
        import zoo

        model = zoo.load(header.model, pretrained=True)
    bitstream.check_model(header, model, source=source)
    model.eval()
    return model.decompress([[payload]], (header.height, header.width))["x_hat"][0]


def save_image(image: torch.Tensor, path: str | Path) -> None:
    """Write ``[3, H, W]`` in [0, 1] as an 8-bit image file (format from the suffix: .png ...)."""
    import numpy as np
    from PIL import Image

    arr = (image.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    try:
        Image.fromarray(np.ascontiguousarray(arr)).save(path)
    except (ValueError, KeyError) as exc:
        raise BitstreamError(f"cannot write {path}: {exc}; use a suffix such as .png") from exc
