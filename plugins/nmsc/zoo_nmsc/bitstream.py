"""The .nmsc file: a header that names the model, then the range-coded payload, then a CRC.

    offset  size  field
    0       4     magic b"NMSC"
    4       1     format version (1)
    5       1     n = length of the model name
    6       n     model name (UTF-8), e.g. "nmsc-tiny-0-0-4-32-q7-photos"
    6+n     8     weights digest: the first 8 bytes of the sha256 of the model's weights
    14+n    4     image height   (big-endian uint32, the unpadded size)
    18+n    4     image width
    22+n    4     payload length in bytes
    26+n    L     payload (constriction range coder, 32-bit little-endian words)
    26+n+L  4     CRC-32 of everything before it

Reading checks, in this order, and raises ``BitstreamError`` saying what is wrong and what to
do: the magic (a foreign file), the version, the lengths (a truncated file), the CRC (a
corrupted one), then (``check_model``) that the decoding model is the one that wrote it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
import zlib

import torch

from zoo_nmsc.errors import BitstreamError

MAGIC = b"NMSC"
VERSION = 1
_FIXED = struct.Struct(">8sIII")  # digest, height, width, payload length


@dataclasses.dataclass(frozen=True)
class Header:
    model: str
    digest: bytes
    height: int
    width: int


def weights_digest(model: torch.nn.Module) -> bytes:
    """8 bytes identifying a model's weights and buffers (their names, shapes and values)."""
    h = hashlib.sha256()
    for key, value in sorted(model.state_dict().items()):
        h.update(f"{key}{tuple(value.shape)}{value.dtype}".encode())
        h.update(value.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
                 if value.numel() else b"")
    return h.digest()[:8]


def header_bytes(name: str) -> int:
    """Bytes a file adds around the payload for model ``name`` (header + CRC)."""
    return 6 + len(name.encode()) + _FIXED.size + 4


def write(header: Header, payload: bytes) -> bytes:
    """The file's bytes."""
    name = header.model.encode()
    if len(name) > 255:
        raise BitstreamError(f"model name {header.model!r} is longer than 255 bytes")
    body = (MAGIC + bytes([VERSION, len(name)]) + name
            + _FIXED.pack(header.digest, header.height, header.width, len(payload)) + payload)
    return body + struct.pack(">I", zlib.crc32(body))


def read(data: bytes, *, source: str = "the file") -> tuple[Header, bytes]:
    """``(header, payload)`` of a file's bytes; ``BitstreamError`` if it is not a whole, intact one."""
    if len(data) < 6 or data[:4] != MAGIC:
        raise BitstreamError(f"{source} is not an NMSC file (no {MAGIC!r} magic at its start); "
                             "give a file written by `zoo compress`")
    if data[4] != VERSION:
        raise BitstreamError(f"{source} has format version {data[4]}, this zoo-nmsc reads version {VERSION}; "
                             "use the zoo-nmsc version that wrote it")
    n = data[5]
    start = 6 + n + _FIXED.size
    if len(data) < start + 4:
        raise BitstreamError(f"{source} is truncated: {len(data)} bytes, shorter than its header")
    digest, height, width, length = _FIXED.unpack_from(data, 6 + n)
    if len(data) != start + length + 4:
        raise BitstreamError(f"{source} is {'truncated' if len(data) < start + length + 4 else 'too long'}: "
                             f"{len(data)} bytes, its header says {start + length + 4}")
    (crc,) = struct.unpack_from(">I", data, start + length)
    if zlib.crc32(data[:start + length]) != crc:
        raise BitstreamError(f"{source} is corrupted (CRC-32 mismatch); the bytes changed after it was written")
    try:
        name = data[6:6 + n].decode()
    except UnicodeDecodeError:
        raise BitstreamError(f"{source} has an unreadable model name") from None
    if not height or not width:
        raise BitstreamError(f"{source} declares an empty image ({height}x{width})")
    return Header(name, digest, height, width), data[start:start + length]


def check_model(header: Header, model: torch.nn.Module, *, source: str = "the file") -> None:
    """The decoding model must be the one that encoded: same name and same weights digest."""
    name = getattr(model, "zoo_name", None)
    if header.digest != weights_digest(model):
        which = f"{name!r}" if name else "the given model"
        raise BitstreamError(f"{source} was written by {header.model!r} with weights {header.digest.hex()}, "
                             f"but {which} has weights {weights_digest(model).hex()}; decode it with the "
                             "model (and weights) that compressed it")
