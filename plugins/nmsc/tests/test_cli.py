"""`zoo compress` / `zoo decompress` end to end, and their one-line errors."""

import torch

import zoo
from zoo_core.cli import main
from zoo_nmsc import codec

NAME = "nmsc-tiny-0-0-4-32-q7-photos"


def test_compress_decompress_files(tmp_path, capsys):
    torch.manual_seed(0)
    zoo.create(NAME).eval().save_pretrained(tmp_path / "w")
    image = torch.rand(3, 40, 72)
    codec.save_image(image, tmp_path / "in.png")
    assert main(["compress", NAME, str(tmp_path / "in.png"), "-o", str(tmp_path / "a.nmsc"),
                 "--weights", str(tmp_path / "w")]) == 0
    assert "bpp" in capsys.readouterr().out
    data = (tmp_path / "a.nmsc").read_bytes()
    assert codec.read_header(data).model == NAME
    assert main(["decompress", str(tmp_path / "a.nmsc"), "-o", str(tmp_path / "out.png"),
                 "--weights", str(tmp_path / "w")]) == 0
    out = codec.read_image(tmp_path / "out.png")
    model = zoo.load(f"local-dir:{tmp_path / 'w'}")
    assert torch.equal(out, codec.decompress(data, model))  # the PNG holds the decoded 8-bit image

    bad = bytearray(data)
    bad[len(bad) // 2] ^= 1
    (tmp_path / "bad.nmsc").write_bytes(bytes(bad))
    capsys.readouterr()
    assert main(["decompress", str(tmp_path / "bad.nmsc"), "-o", str(tmp_path / "x.png"),
                 "--weights", str(tmp_path / "w")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("zoo: error:") and "corrupted" in err and err.count("\n") == 1
    assert not (tmp_path / "x.png").exists()
    assert main(["decompress", str(tmp_path / "in.png"), "-o", str(tmp_path / "x.png")]) == 1
    assert "not an NMSC file" in capsys.readouterr().err
    assert main(["compress", NAME, str(tmp_path / "missing.png"), "-o", str(tmp_path / "m.nmsc")]) == 1
    assert "cannot read image" in capsys.readouterr().err
