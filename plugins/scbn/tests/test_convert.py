"""The official-encoder converter on arrays in the official key layout (the Chainer run beside it
is benchmarks/scbn_parity.py: 1.3e-6 on the official small encoder)."""

import numpy as np
import pytest
import torch

from zoo_scbn.convert import OfficialEncoderFormatError, encoder_from_arrays, from_official
from zoo_scbn.projection import CollageEncoder


def official_arrays(enc: CollageEncoder) -> dict[str, np.ndarray]:
    """Our encoder's state in the official names (``resnetenc_small``: l1, block2.., l7, prelu_out, b7)."""
    names = {"weight": "W", "bias": "b", "gammas": "gammas/W", "betas": "betas/W",
             "running_mean": "avg_mean", "running_var": "avg_var", "num_batches_tracked": "N"}
    out = {}
    for key, v in enc.state_dict().items():
        parts = key.split(".")
        if parts[0] == "blocks":
            src = f"block{int(parts[1]) + 2}/{parts[2]}"
        else:
            src = {"l1": "l1", "fc": "l7", "prelu": "prelu_out"}[parts[0]]
        out[f"{src}/{names[parts[-1]]}"] = v.numpy()
    out["b7/gamma"] = np.ones(8, np.float32)  # declared, unused by the official forward
    return out


def test_shapes_give_the_config_and_the_state_round_trips(tmp_path):
    torch.manual_seed(0)
    enc = CollageEncoder(channels=[4, 8, 8], n_classes=5, dim_z=16, image_size=16)
    with torch.no_grad():
        for p in enc.parameters():
            p.normal_()
    arrays = official_arrays(enc)
    config, state = encoder_from_arrays(arrays)
    assert config == {"channels": [4, 8, 8], "n_classes": 5, "dim_z": 16, "image_size": 16}
    for key, v in enc.state_dict().items():
        assert torch.equal(state[key], v), key
    np.savez(tmp_path / "ResNetEncoder_1.npz", **{f"updater/model:enc/{k}": v for k, v in arrays.items()})
    assert set(from_official(tmp_path / "ResNetEncoder_1.npz")["model"]) == set(enc.state_dict())


def test_foreign_files_get_a_clear_error():
    enc = CollageEncoder(channels=[4, 8], n_classes=3, dim_z=8, image_size=8)
    arrays = official_arrays(enc)
    with pytest.raises(OfficialEncoderFormatError, match="not an official neural-collage encoder"):
        encoder_from_arrays({"dis/block1/c1/W": np.zeros(1)})
    with pytest.raises(OfficialEncoderFormatError, match="unexpected keys"):
        encoder_from_arrays({**arrays, "l_y/W": np.zeros((3, 8))})
    with pytest.raises(OfficialEncoderFormatError, match="block2..blockN"):
        encoder_from_arrays({k.replace("block2", "block3"): v for k, v in arrays.items()})
