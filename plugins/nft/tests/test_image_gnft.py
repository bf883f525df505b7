"""Image g-NFT: representations, the equivariant AE, adapters, rotated digits, baselines, converter, task."""

import math
import sys
import types

import pytest
import torch

from zoo_core.errors import CheckpointError, ZooError
from zoo_nft.baselines import MSPAE, AutoEncoder, ContrastiveEncoder, InvariantAE, Supervised, info_nce
from zoo_nft.convert_image import from_official
from zoo_nft.eae import EquivariantAE, ImageInputError
from zoo_nft.reps import ActionList, RepresentationError, matrix_to_quaternion
from zoo_nft.rotdigits import IN_CLASSES, OOD_CLASSES, RotatedDigits, RotatedDigitsTask, rotate

GEN = torch.Generator().manual_seed(0)


def _quat_mul(p, q):
    w1, x1, y1, z1 = p.unbind(-1)
    w2, x2, y2, z2 = q.unbind(-1)
    return torch.stack([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2], -1)


# --- representations -------------------------------------------------------------------------

@pytest.mark.parametrize("group,K,ident,dim", [("so2", 8, True, 17), ("so2", 3, False, 6), ("so3", 8, True, 81),
                                               ("so3", 2, False, 8)])
def test_action_dims_follow_the_official_action_list(group, K, ident, dim):
    assert ActionList(group, K, ident).dim == dim


@pytest.mark.parametrize("group,K", [("so2", 8), ("so3", 3), ("so3", 5)])
def test_trans_is_z_times_the_block_diagonal_matrix(group, K):
    """Both code paths (the core op for blocks <= 8 wide, einsum for wider Wigner-D blocks)."""
    acts = ActionList(group, K)
    z = torch.randn(4, 5, acts.dim, generator=GEN, dtype=torch.float64)
    g = acts.random(4, generator=GEN).double()
    assert torch.allclose(acts.trans(z, g), z @ acts.matrix(g), atol=1e-10)


def test_so2_trans_is_a_right_action_and_invert_undoes_it():
    acts = ActionList("so2", 8)
    z = torch.randn(3, 4, acts.dim, generator=GEN, dtype=torch.float64)
    a, b = acts.random(3, generator=GEN).double(), acts.random(3, generator=GEN).double()
    assert torch.allclose(acts.trans(acts.trans(z, a), b), acts.trans(z, a + b), atol=1e-10)
    assert torch.allclose(acts.trans(acts.trans(z, a), acts.invert(a)), z, atol=1e-10)
    # frequency k rotates its block by k * theta; the identity channel is untouched
    out = acts.trans(z, a)
    assert torch.allclose(out[..., 0], z[..., 0])
    assert torch.allclose(out[..., 5:7], z[..., 5:7] @ acts.matrix(a)[:, 5:7, 5:7], atol=1e-12)


def test_so3_trans_is_a_right_action():
    acts = ActionList("so3", 4)
    z = torch.randn(3, 2, acts.dim, generator=GEN, dtype=torch.float64)
    p, q = acts.random(3, generator=GEN).double(), acts.random(3, generator=GEN).double()
    # z M(p) M(q) = z M(p q) for the homomorphism M
    assert torch.allclose(acts.trans(acts.trans(z, p), q), acts.trans(z, _quat_mul(p, q)), atol=1e-9)
    assert torch.allclose(acts.trans(acts.trans(z, p), acts.invert(p)), z, atol=1e-9)


def test_identify_recovers_the_group_element():
    so2 = ActionList("so2", 8)
    z = torch.randn(6, 32, so2.dim, generator=GEN)
    theta = (torch.rand(6, generator=GEN) - 0.5) * 2 * math.pi * 0.99
    assert torch.allclose(so2.identify(z, so2.trans(z, theta)), theta, atol=1e-4)
    assert so2.param_error(theta, so2.identify(z, so2.trans(z, theta))) < 1e-7
    so3 = ActionList("so3", 3)
    z = torch.randn(6, 16, so3.dim, generator=GEN)
    q = so3.random(6, generator=GEN)
    q_hat = so3.identify(z, so3.trans(z, q))
    assert so3.param_error(q, q_hat) < 1e-5
    assert so2.param_error(theta, theta + 0.5) > 0.1   # the error can be large


def test_matrix_to_quaternion_inverts_quaternion_to_matrix():
    from zoo_core.groups import quaternion_to_matrix
    q = torch.nn.functional.normalize(torch.randn(20, 4, generator=GEN, dtype=torch.float64), dim=-1)
    q_back = matrix_to_quaternion(quaternion_to_matrix(q))
    assert torch.allclose((q * q_back).sum(-1).abs(), torch.ones(20, dtype=torch.float64), atol=1e-10)


def test_bad_representation_inputs_are_clear_errors():
    with pytest.raises(RepresentationError, match="group"):
        ActionList("se3")
    with pytest.raises(RepresentationError, match="empty"):
        ActionList("so2", 0, include_identity=False)
    acts = ActionList("so2", 2)
    with pytest.raises(RepresentationError, match=r"angles \[B\]"):
        acts.trans(torch.zeros(2, 3, 5), torch.zeros(2, 4))
    with pytest.raises(RepresentationError, match=r"latents must be \[B, latent_dim, 5\]"):
        acts.trans(torch.zeros(2, 3, 4), torch.zeros(2))
    with pytest.raises(RepresentationError, match="float tensor"):
        acts.trans(torch.zeros(2, 3, 5), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ZooError):
        ActionList("so3", 2).trans(torch.zeros(2, 3, 9), torch.zeros(2))


# --- model ----------------------------------------------------------------------------------

OFFICIAL_KEYS = {
    "straight": {"encoder.net.0", "encoder.net.2", "pre_adapter.1", "post_adapter.1", "post_adapter.3",
                 "decoder.net.2", "decoder.net.4"},
    "lowrank": {"encoder.net.0", "encoder.net.2", "pre_adapter.0", "pre_adapter.2", "pre_adapter.4", "pre_adapter.6",
                "post_adapter.1", "post_adapter.4", "post_adapter.5", "post_adapter.7", "decoder.net.2", "decoder.net.4"},
}


@pytest.mark.parametrize("adapter", ["straight", "lowrank"])
def test_parameter_names_are_the_official_layer_indices(adapter):
    model = EquivariantAE(adapter=adapter)
    assert {k.rsplit(".", 1)[0] for k in model.state_dict()} == OFFICIAL_KEYS[adapter]
    assert model.state_dict()["pre_adapter.1.weight" if adapter == "straight" else "pre_adapter.6.weight"].shape[0] \
        == 32 * 17


@pytest.mark.parametrize("adapter", ["straight", "lowrank"])
def test_forward_shapes_and_range(adapter):
    model = EquivariantAE(adapter=adapter)
    x, g = model.example_inputs(3)
    assert model.enc(x).shape == (3, 32, 17)
    y = model(x, g)
    assert y.shape == x.shape and 0 <= y.min() and y.max() <= 1


def test_vit_network_builds_at_the_modelnet_shapes():
    model = EquivariantAE(latent_dim=8, action={"group": "so3", "num_basis": 2}, network="vit", img_size=16,
                          img_channels=3, encoder={"patch_size": 4, "embed_dim": 32, "depth": 1, "num_heads": 2},
                          decoder={"embed_dim": 16, "depth": 1, "num_heads": 2}, adapter="lowrank")
    x, g = model.example_inputs(2)
    assert model.enc(x).shape == (2, 8, 9) and model(x, g).shape == x.shape


def test_train_loss_with_one_view_adds_the_reverse_prediction():
    torch.manual_seed(0)
    model = EquivariantAE()
    x1, x2 = torch.rand(2, 2, 1, 28, 28, generator=GEN)
    g1, g2 = torch.rand(2, 2, generator=GEN)
    import torch.nn.functional as F
    z1, z2 = model.enc(x1), model.enc(x2)
    pred = model.dec(model.trans(model.trans(z1, -g1), g2))
    back = model.dec(model.trans(model.trans(z2, -g2), g1))
    want = F.mse_loss(pred, x2) + F.mse_loss(x1, back)
    assert torch.allclose(model.train_loss([x1, x2], [g1, g2]), want, atol=1e-6)
    model.loss_config["alignl2"] = True
    assert model.train_loss([x1, x2], [g1, g2]) > want


def test_bad_images_are_clear_errors():
    model = EquivariantAE()
    with pytest.raises(ImageInputError, match=r"\[B, 1, 28, 28\]"):
        model.enc(torch.rand(2, 3, 28, 28))
    with pytest.raises(ImageInputError, match="empty"):
        model.enc(torch.rand(0, 1, 28, 28))
    with pytest.raises(ImageInputError, match="float"):
        model.enc(torch.zeros(2, 1, 28, 28, dtype=torch.uint8))
    with pytest.raises(ValueError, match="softmax"):
        EquivariantAE(latent_pooling="softmax")
    with pytest.raises(ValueError, match="adapter"):
        EquivariantAE(adapter="diagonal")


# --- data -----------------------------------------------------------------------------------

def test_rotate_is_counter_clockwise_and_composes():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 13:15, 21:26] = 1                              # a bar right of the centre
    up = rotate(x, torch.tensor([math.pi / 2]))[0, 0]
    rows, cols = torch.nonzero(up > 0.5, as_tuple=True)
    assert rows.float().mean() < 8 and abs(cols.float().mean() - 13.5) < 1.5   # now above the centre
    d = RotatedDigits("test", "in").images[:4]
    a, b = torch.rand(4, generator=GEN) * 3, torch.rand(4, generator=GEN) * 3
    two = rotate(rotate(d, a), b)
    assert (two - rotate(d, a + b)).abs().mean() < 0.02 < (two - rotate(d, a - b)).abs().mean()


def test_rotated_digits_splits_classes_and_occlusion():
    train, ood = RotatedDigits("train", "in"), RotatedDigits("test", "ood")
    assert set(train.labels.tolist()) == set(IN_CLASSES) and set(ood.labels.tolist()) == set(OOD_CLASSES)
    x, a, y = RotatedDigits("test", "in", seed=3)[5]
    x2, a2, _ = RotatedDigits("test", "in", seed=3)[5]
    assert x.shape == (2, 1, 28, 28) and torch.equal(x, x2) and torch.equal(a, a2)
    occ = RotatedDigits("test", "in", occlusion=True, seed=3)[5][0]
    assert occ[0, 0, :14].abs().sum() == 0 and occ[0, 0, :, :14].abs().sum() == 0
    assert torch.equal(occ[1], x[1])                      # the target view is not occluded
    st = RotatedDigits("train", "in", num_views=2, stationary=True)
    assert torch.allclose(st.angles[:, 1], 2 * st.angles[:, 0]) and torch.allclose(st.angles[:, 2], 3 * st.angles[:, 0])


# --- baselines ------------------------------------------------------------------------------

@pytest.mark.parametrize("cls,views", [(AutoEncoder, 1), (InvariantAE, 1), (MSPAE, 2), (ContrastiveEncoder, 1),
                                       (Supervised, 1)])
def test_baselines_train_and_give_probe_features(cls, views):
    model = cls()
    x, a, y = RotatedDigits("train", "in", num_views=views, stationary=views == 2).views(torch.arange(8))
    loss, _ = model.training_loss((x, a, y))
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None for p in model.parameters())
    assert model.features(x[:, 0]).shape[0] == 8


def test_info_nce_prefers_matching_pairs():
    q = torch.randn(16, 8, generator=GEN)
    assert info_nce(q, q) < info_nce(q, q.roll(1, 0))


def test_mspae_predicts_exactly_when_the_latent_transition_is_linear():
    """With an encoder whose latent rotates linearly, least squares recovers M and the third view."""
    model = MSPAE(latent_dim=4, action_dim=2)
    H0 = torch.randn(3, 4, 2, generator=GEN, dtype=torch.float64)
    from zoo_core.groups import so2_rotation
    from zoo_msp.transition import apply_transition, estimate_transition
    R = so2_rotation(torch.tensor([0.3, 1.0, -2.0], dtype=torch.float64))
    H1 = apply_transition(H0, R)
    assert torch.allclose(estimate_transition(H0, H1), R, atol=1e-8)
    assert model.features(torch.rand(2, 1, 28, 28)).shape == (2, 4)   # row norms |z_i|


# --- converter ------------------------------------------------------------------------------

def _official_ckpt(tmp_path, state, hyper):
    sys.modules["omegaconf_standin"] = mod = types.ModuleType("omegaconf_standin")

    class DictConfig(dict):
        pass

    DictConfig.__module__, DictConfig.__qualname__ = "omegaconf_standin", "DictConfig"
    mod.DictConfig = DictConfig
    path = tmp_path / "epoch=99-step=23500.ckpt"
    torch.save({"epoch": 99, "global_step": 23500, "state_dict": state, "hyper_parameters": DictConfig(hyper),
                "pytorch-lightning_version": "2.0.0"}, path)
    del sys.modules["omegaconf_standin"]     # the reader cannot import it: an inert placeholder stands in
    return path


def test_converter_loads_a_lightning_checkpoint_with_unimportable_hyperparameters(tmp_path):
    model = EquivariantAE()
    path = _official_ckpt(tmp_path, model.state_dict(), {"latent_dim": 32})
    state = from_official(path)["model"]
    fresh = EquivariantAE()
    fresh.load_state_dict(state, strict=True)
    x, g = model.example_inputs(2)
    assert torch.equal(fresh(x, g), model(x, g))


def test_converter_rejects_files_that_are_not_official_checkpoints(tmp_path):
    with pytest.raises(FileNotFoundError, match="Lightning"):
        from_official(tmp_path / "missing.ckpt")
    torch.save({"model": {}}, tmp_path / "a.ckpt")
    with pytest.raises(CheckpointError, match="state_dict"):
        from_official(tmp_path / "a.ckpt")
    torch.save({"state_dict": {"head.weight": torch.zeros(1)}}, tmp_path / "b.ckpt")
    with pytest.raises(CheckpointError, match="encoder"):
        from_official(tmp_path / "b.ckpt")
    (tmp_path / "c.ckpt").write_bytes(b"not a pickle")
    with pytest.raises(CheckpointError, match="readable"):
        from_official(tmp_path / "c.ckpt")


def test_converter_never_calls_objects_from_the_file(tmp_path, capsys):
    class Boom:
        def __reduce__(self):
            return (print, ("pickled code ran",))

    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {"encoder.x": torch.zeros(1)}, "hyper_parameters": Boom()}, path)
    assert set(from_official(path)["model"]) == {"encoder.x"}
    assert "pickled code ran" not in capsys.readouterr().out


# --- task -----------------------------------------------------------------------------------

def test_task_evaluates_every_metric_on_a_small_limit():
    torch.manual_seed(0)
    out = RotatedDigitsTask().evaluate(EquivariantAE(), limit=60)
    assert set(out) == {"probe_acc", "probe_acc_invariant", "psnr", "angle_err", "probe_acc_ood",
                        "probe_acc_ood_invariant", "psnr_ood", "angle_err_ood"}
    assert 0 <= out["probe_acc"] <= 1 and out["psnr"] > 0
    ae = RotatedDigitsTask().evaluate(AutoEncoder(), limit=60)
    assert set(ae) == {"probe_acc", "probe_acc_ood"}
    with pytest.raises(ValueError, match="split"):
        RotatedDigitsTask().dataset("val")


def test_figures_draw_predicted_rotations_and_reconstructions(tmp_path):
    from zoo_nft.figures_image import draw

    figs = draw(EquivariantAE(), RotatedDigitsTask(), tmp_path, name="g")
    assert [t for t, _ in figs] == ["Predicted rotated views beside the truth"] and figs[0][1].stat().st_size > 1000
    assert draw(AutoEncoder(), RotatedDigitsTask(), tmp_path, name="a")[0][1].exists()
    assert draw(ContrastiveEncoder(), RotatedDigitsTask(), tmp_path, name="c") == []
