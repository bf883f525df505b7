"""Geometry of the renderer, checked against formulas written out here (not the renderer's)."""

from __future__ import annotations

import numpy as np
import pytest

from zoo_scenes import MultiViewScenes, Scene, look_at, render
from zoo_scenes.cameras import intrinsics
from zoo_scenes.scene import CUBE, CYLINDER, SPHERE


@pytest.fixture(scope="module")
def data():
    ds = MultiViewScenes("val", 6, views=4, size=64, seed=3)
    return ds, [ds[i] for i in range(len(ds))], [ds.scene(i) for i in range(len(ds))]


def world_rays(item, v):
    """Camera centre [3] and pixel-centre ray directions [S, S, 3] from K and E, per the contract."""
    size = item["images"].shape[1]
    K, E = item["intrinsics"][v].astype(np.float64), item["extrinsics"][v].astype(np.float64)
    r, c = np.mgrid[0:size, 0:size]
    pix = np.stack([c + 0.5, r + 0.5, np.ones_like(r, dtype=np.float64)], -1)
    d = pix @ np.linalg.inv(K).T @ E[:3, :3]   # rows: R^T K^-1 p
    return -E[:3, :3].T @ E[:3, 3], d


def test_extrinsics_are_rigid_and_look_at_the_centre(data):
    _, items, _ = data
    for item in items:
        for K, E, pos in zip(item["intrinsics"], item["extrinsics"], item["camera_positions"]):
            R, t = E[:3, :3].astype(np.float64), E[:3, 3].astype(np.float64)
            np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-6)
            assert np.linalg.det(R) == pytest.approx(1.0, abs=1e-6)
            np.testing.assert_array_equal(E[3], [0, 0, 0, 1])
            np.testing.assert_allclose(-R.T @ t, pos, atol=1e-5)
            origin = K @ (R @ np.zeros(3) + t)  # the scene centre lands on the image centre
            np.testing.assert_allclose(origin[:2] / origin[2], [32, 32], atol=1e-4)
            assert (R @ -pos)[2] > 0          # in front of the camera
            assert R[1] @ [0, 0, 1] < 0        # camera y (down) points down in the world


def test_object_centres_project_onto_their_mask(data):
    """Each object's centre, projected with K and E, lands on that object unless something nearer covers it."""
    _, items, scenes = data
    seen = checked = 0
    for item, scene in zip(items, scenes):
        bounds = np.where(scene.kind == SPHERE, scene.size, np.hypot(scene.size, scene.height) * 1.3)
        for v in range(len(item["images"])):
            K, E = item["intrinsics"][v].astype(np.float64), item["extrinsics"][v].astype(np.float64)
            for k, centre in enumerate(scene.centre):
                cam = E[:3, :3] @ centre + E[:3, 3]
                u, w = (K @ cam)[:2] / cam[2]
                row, col = int(np.floor(w)), int(np.floor(u))
                if not (0 <= row < 64 and 0 <= col < 64):
                    continue
                checked += 1
                label, depth = item["masks"][v, row, col], item["depth"][v, row, col]
                if label == k + 1:
                    seen += 1
                    assert cam[2] - bounds[k] - 1e-3 < depth < cam[2] + 1e-3
                else:
                    assert label != 0, "ground shows where an object's centre projects"
                    assert depth < cam[2], "an object behind covers a nearer one"
    assert checked > 50 and seen > 0.6 * checked


def test_depth_of_ground_pixels_is_the_ray_plane_distance(data):
    _, items, _ = data
    for item in items:
        for v in range(len(item["images"])):
            centre, d = world_rays(item, v)
            ground = item["masks"][v] == 0
            s = -centre[2] / d[..., 2]          # the ray parameter where it meets z = 0
            point = centre + s[..., None] * d
            E = item["extrinsics"][v].astype(np.float64)
            z = point @ E[2, :3] + E[2, 3]
            assert ground.sum() > 1000
            np.testing.assert_allclose(item["depth"][v][ground], z[ground], rtol=1e-5)


def test_depth_of_object_pixels_lies_on_their_surface(data):
    _, items, scenes = data
    for item, scene in zip(items, scenes):
        for v in range(len(item["images"])):
            centre, d = world_rays(item, v)
            point = centre + item["depth"][v][..., None].astype(np.float64) * d
            for k in range(scene.n_objects):
                q = point[item["masks"][v] == k + 1] - scene.centre[k]
                if scene.kind[k] == SPHERE:
                    residual = np.linalg.norm(q, axis=1) - scene.size[k]
                elif scene.kind[k] == CUBE:
                    c, s = np.cos(scene.yaw[k]), np.sin(scene.yaw[k])
                    local = np.stack([c * q[:, 0] + s * q[:, 1], -s * q[:, 0] + c * q[:, 1], q[:, 2]], 1)
                    residual = np.abs(local).max(1) - scene.size[k]
                else:
                    assert scene.kind[k] == CYLINDER
                    residual = np.maximum(np.hypot(q[:, 0], q[:, 1]) / scene.size[k],
                                          np.abs(q[:, 2]) / scene.height[k]) - 1
                np.testing.assert_allclose(residual, 0, atol=2e-4)


def one_sphere(light) -> Scene:
    light = np.asarray(light, dtype=np.float64) / np.linalg.norm(light)
    return Scene(kind=np.array([SPHERE]), centre=np.array([[0.0, 0.0, 0.5]]), size=np.array([0.5]),
                 height=np.array([0.5]), yaw=np.zeros(1), colour=np.array([[1.0, 0.0, 0.0]]),
                 metal=np.array([False]), pattern=np.array([-1]), colour2=np.zeros((1, 3)),
                 freq=np.ones(1), light=light, ground_colour=np.full(3, 0.5), ground_pattern=-1,
                 ground_colour2=np.zeros(3), ground_freq=1.0)


def pixel_of(point, K, E):
    cam = E[:3, :3] @ point + E[:3, 3]
    u, v = (K @ cam)[:2] / cam[2]
    return int(v), int(u)


def test_the_shadow_falls_where_the_light_is_blocked():
    """Light from +x, 45 degrees up: the sphere's shadow centre is at (-0.5, 0, 0); the shadowed
    ground shows only ambient light, lit ground ambient + Lambert (RGB equal: grey ground)."""
    scene = one_sphere([1.0, 0.0, 1.0])
    K = intrinsics(96)
    E = look_at([-3.0, -1.0, 8.0])
    out = render(scene, K[None], E[None], 96)
    shadow, lit = pixel_of(np.array([-0.5, 0, 0]), K, E), pixel_of(np.array([1.5, 1.5, 0]), K, E)
    assert out["masks"][0][shadow] == 0 and out["masks"][0][lit] == 0
    ambient = 0.3 * 0.5
    np.testing.assert_allclose(out["images"][0][shadow], ambient, atol=1e-5)
    assert out["images"][0][lit].mean() > ambient + 0.75 * 0.5 * 0.7 - 0.01  # (N.L = 0.707 plus a little specular)


def test_supersampling_keeps_masks_and_depth():
    ds1 = MultiViewScenes("test", 2, views=2, size=32, seed=1)
    ds2 = MultiViewScenes("test", 2, views=2, size=32, seed=1, supersample=2)
    a, b = ds1[1], ds2[1]
    np.testing.assert_array_equal(a["masks"], b["masks"])
    np.testing.assert_array_equal(a["depth"], b["depth"])
    assert not np.array_equal(a["images"], b["images"])
    assert np.abs(a["images"] - b["images"]).mean() < 0.02


def test_objects_do_not_interpenetrate():
    ds = MultiViewScenes("train", 30, views=1, size=8, objects=(10, 10))
    for i in range(len(ds)):
        s = ds.scene(i)
        assert s.n_objects == 10
        gap = np.linalg.norm(s.centre[:, None, :2] - s.centre[None, :, :2], axis=2)
        feet = s.footprint()
        clear = gap > feet[:, None] + feet[None, :]
        np.fill_diagonal(clear, True)
        assert clear.all()
        np.testing.assert_allclose(s.centre[:, 2], s.height)  # resting on the ground
