"""Real bitstreams: bit-exact round trips (odd sizes, thread counts, two processes), file size
against the entropy estimate, and clean errors for damaged, foreign or mismatched files."""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import tiny
from zoo_nmsc import bitstream, codec, coder
from zoo_nmsc.errors import BitstreamError, ImageError
from zoo_nmsc.ops.logits_to_freqs import TABLE, logits_to_freqs


@pytest.fixture(scope="module")
def model():
    m = tiny()
    m.zoo_name = "nmsc-test"
    return m


def _image(h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(1, 3, max(h // 8, 1), max(w // 8, 1), generator=g)  # smooth-ish, like a photo
    return torch.nn.functional.interpolate(base, size=(h, w), mode="bilinear", align_corners=False)[0]


def test_integer_tables():
    f = logits_to_freqs(torch.randn(1000, 7) * torch.logspace(-2, 2, 1000).unsqueeze(1))
    assert f.dtype == torch.int32 and torch.all(f >= 1) and torch.all(f.sum(-1) == 2 ** 16)
    assert logits_to_freqs(torch.tensor([[float("nan"), 0.0, float("inf")]])).sum() == 2 ** 16
    # each table entry's fraction is far from .5, so any libm rounds the same way
    assert min(abs((2 ** 15 * math.exp(-d / 16)) % 1 - 0.5) for d in range(len(TABLE))) > 1e-3
    # the same logits on the grid give the same table whatever else differs below the grid
    lg = torch.randn(50, 7)
    assert torch.equal(logits_to_freqs(lg.round(decimals=1)), logits_to_freqs(lg.round(decimals=1) + 1e-4))


@pytest.mark.parametrize("h,w", [(64, 64), (100, 70), (33, 65), (1, 1), (200, 128)])
def test_round_trip_is_bit_exact(model, h, w):
    image = _image(h, w)
    data = codec.compress(model, image)
    header, payload = bitstream.read(data)
    assert (header.height, header.width, header.model) == (h, w, "nmsc-test")
    padded = torch.nn.functional.pad(image.unsqueeze(0), (0, -w % 32, 0, -h % 32))
    zs = model.encode(padded)
    decoded = model.decompress_latents(payload, h, w)
    assert all(torch.equal(a, b) for a, b in zip(zs, decoded))
    out = codec.decompress(data, model)
    assert out.shape == (3, h, w)
    assert torch.equal(out, model.decode(zs)[0, :, :h, :w].clamp(0, 1))


def test_file_size_tracks_the_entropy_estimate(model):
    image = _image(256, 384, seed=1)
    data = codec.compress(model, image)
    zs = model.encode(image.unsqueeze(0))
    estimate = model.context_model.bits(zs).item() / 8 + bitstream.header_bytes("nmsc-test")
    assert abs(len(data) - estimate) <= 0.01 * estimate + 8, (len(data), estimate)  # +8: the coder's last words


def test_thread_counts_give_the_same_bytes_and_decode_across(model):
    image = _image(160, 224, seed=2)
    torch.set_num_threads(1)
    one = codec.compress(model, image)
    torch.set_num_threads(2)
    two = codec.compress(model, image)
    out = codec.decompress(one, model)  # encoded with 1 thread, decoded with 2
    torch.set_num_threads(1)
    assert one == two
    assert torch.equal(out, codec.decompress(two, model))


def test_two_processes(model, tmp_path):
    from safetensors.torch import save_file

    save_file(model.state_dict(), tmp_path / "weights.safetensors")
    image = _image(96, 160, seed=3)
    codec.save_image(image, tmp_path / "in.png")
    script = (
        "import sys, torch; torch.set_num_threads(int(sys.argv[3]))\n"
        "from safetensors.torch import load_file\n"
        "from conftest import tiny\n"
        "from zoo_nmsc import codec\n"
        "m = tiny(); m.load_state_dict(load_file(sys.argv[1])); m.zoo_name = 'nmsc-test'\n"
        "open(sys.argv[2] + '.nmsc', 'wb').write(codec.compress(m, codec.read_image(sys.argv[2])))\n")
    env = {**os.environ, "OMP_NUM_THREADS": "2",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "weights.safetensors"), str(tmp_path / "in.png"), "2"],
                   check=True, env=env, timeout=300)
    data = (tmp_path / "in.png.nmsc").read_bytes()
    assert data == codec.compress(model, codec.read_image(tmp_path / "in.png"))
    assert codec.decompress(data, model).shape == (3, 96, 160)


def test_damaged_foreign_and_mismatched_files_are_refused(model):
    data = codec.compress(model, _image(64, 96))
    with pytest.raises(BitstreamError, match="not an NMSC file"):
        codec.decompress(b"\x89PNG\r\n\x1a\n" + data[8:], model)
    for cut in (3, 10, len(data) // 2, len(data) - 1):
        with pytest.raises(BitstreamError, match="truncated|not an NMSC"):
            codec.decompress(data[:cut], model)
    for i in range(0, len(data), max(1, len(data) // 40)):  # flip one byte anywhere
        bad = bytearray(data)
        bad[i] ^= 0x5A
        with pytest.raises(BitstreamError):
            codec.decompress(bytes(bad), model)
    other = tiny(seed=1)
    with pytest.raises(BitstreamError, match="decode it with the model"):
        codec.decompress(data, other)


def test_bad_images_are_refused(model):
    with pytest.raises(ImageError, match=r"\[N, 3, H, W\]"):
        model.compress(torch.rand(1, 1, 32, 32))
    with pytest.raises(ImageError, match="non-empty"):
        model.compress(torch.rand(0, 3, 32, 32))
    with pytest.raises(ImageError, match="multiples of 32"):
        model(torch.rand(1, 3, 40, 32))
    with pytest.raises(ImageError):
        model.compress(torch.randint(0, 255, (1, 3, 32, 32), dtype=torch.uint8))
