"""Vectorised analytic ray casting of a ``Scene`` (numpy).

All views' rays are cast at once, object by object: ray-sphere, ray-box in the cube's own
frame (slabs), ray-cylinder (side and caps) and ray-plane (the ground z = 0). Each object
first culls the rays that miss its bounding sphere, so the exact tests run on few rays.
Shading is Lambert + Blinn-Phong under one distant light, with hard shadows from shadow
rays cast against the same primitives, a little ambient light and, on metal, a faint sky
reflection. Rays that hit nothing see a sky gradient (none does with the default cameras).

Mask and depth come from the ray through each pixel's centre; with ``supersample=k`` the
image averages ``k x k`` rays per pixel (anti-aliasing) and the centre rays are cast once
more for mask and depth. Rays are stored component-major, ``[3, N]``.
"""

from __future__ import annotations

import numpy as np

from zoo_scenes.scene import CUBE, SPHERE, Scene

EPS = 1e-4           # smallest ray parameter counted as a hit
SHADOW_OFFSET = 1e-3  # shadow rays start this far off the surface
AMBIENT = 0.3
SKY_LOW, SKY_HIGH = np.array([0.75, 0.8, 0.85]), np.array([0.45, 0.6, 0.85])
# (diffuse weight, specular weight, shininess): rubber is matte, metal shiny and darker
RUBBER = (0.75, 0.08, 8.0)
METAL = (0.45, 0.9, 90.0)
GROUND = (0.75, 0.02, 4.0)


def pixel_rays(intrinsics, extrinsics, size: int, offsets=(0.5,)) -> tuple[np.ndarray, np.ndarray]:
    """World ray origins and directions ``[3, V*S*S*k*k]`` (order: view, row, col, sub-sample).

    ``offsets`` are the sub-pixel positions on each axis (0.5 = the pixel centre).
    Directions are ``R^T K^-1 [u, v, 1]``, unnormalised, so the ray parameter is camera depth z.
    """
    offsets = np.asarray(offsets, dtype=np.float64)
    grid = np.arange(size, dtype=np.float64)
    u = grid[None, :, None, None] + offsets[None, None, None, :]   # column + x offset
    v = grid[:, None, None, None] + offsets[None, None, :, None]   # row + y offset
    u, v = np.broadcast_arrays(u, v)
    pix = np.stack([u.ravel(), v.ravel(), np.ones(u.size)])          # [3, P]
    intrinsics, extrinsics = np.asarray(intrinsics, np.float64), np.asarray(extrinsics, np.float64)
    rotation = extrinsics[:, :3, :3]
    to_world = rotation.transpose(0, 2, 1) @ np.linalg.inv(intrinsics)  # [V, 3, 3]
    d = (to_world @ pix).transpose(1, 0, 2).reshape(3, -1)          # [3, V*P]
    centres = -np.einsum("vji,vj->vi", rotation, extrinsics[:, :3, 3])  # [V, 3]
    o = np.repeat(centres.T, pix.shape[1], axis=1)
    return o, d


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _rotate_z(v, angle: float):
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]])


def _bounds(scene: Scene) -> np.ndarray:
    """Bounding-sphere radius of each object."""
    r, h = scene.size, scene.height
    return np.where(scene.kind == SPHERE, r, np.where(scene.kind == CUBE, r * np.sqrt(3.0),
                                                      np.hypot(r, h)))


def _hit_sphere(q, d, dd, radius):
    """Nearest t > EPS of rays from ``q`` (relative to the centre) along ``d``; inf if none."""
    b = _dot(q, d)
    disc = b * b - dd * (_dot(q, q) - radius * radius)
    t = (-b - np.sqrt(np.maximum(disc, 0.0))) / dd
    return np.where((disc >= 0) & (t > EPS), t, np.inf)


def _hit_box(q, d, half, yaw):
    q, d = _rotate_z(q, -yaw), _rotate_z(d, -yaw)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / np.where(d == 0, 1e-30, d)
        t0, t1 = (-half - q) * inv, (half - q) * inv
    near, far = np.minimum(t0, t1), np.maximum(t0, t1)
    tmin = np.maximum(np.maximum(near[0], near[1]), near[2])
    tmax = np.minimum(np.minimum(far[0], far[1]), far[2])
    return np.where((tmax >= tmin) & (tmin > EPS), tmin, np.inf)


def _hit_cylinder(q, d, radius, half_height):
    a = d[0] * d[0] + d[1] * d[1]
    b = q[0] * d[0] + q[1] * d[1]
    disc = b * b - a * (q[0] * q[0] + q[1] * q[1] - radius * radius)
    with np.errstate(divide="ignore", invalid="ignore"):
        side = (-b - np.sqrt(np.maximum(disc, 0.0))) / a
        z = q[2] + side * d[2]
        best = np.where((disc >= 0) & (a > 0) & (side > EPS) & (np.abs(z) <= half_height), side, np.inf)
        for h in (half_height, -half_height):
            cap = (h - q[2]) / d[2]
            x, y = q[0] + cap * d[0], q[1] + cap * d[1]
            best = np.minimum(best, np.where((cap > EPS) & (x * x + y * y <= radius * radius), cap, np.inf))
    return best


def intersect(scene: Scene, o: np.ndarray, d: np.ndarray, *, any_hit: bool = False):
    """Nearest hits of rays ``o + t d`` (``[3, N]``): ``(t, ids)``, id 0 ground, 1..n objects, -1 none.

    ``any_hit=True`` (shadow rays) ignores the ground and returns whether any object is hit.
    """
    best = np.full(o.shape[1], np.inf)
    ids = np.full(o.shape[1], -1, dtype=np.int64)
    dd = _dot(d, d)
    for k, bound in enumerate(_bounds(scene)):
        q = o - scene.centre[k][:, None]
        b = _dot(q, d)
        disc = b * b - dd * (_dot(q, q) - bound * bound)
        rays = np.flatnonzero((disc >= 0) & (-b + np.sqrt(np.maximum(disc, 0.0)) > EPS * dd))
        if not len(rays):
            continue
        q, dk = q[:, rays], d[:, rays]
        if scene.kind[k] == SPHERE:
            t = _hit_sphere(q, dk, dd[rays], bound)
        elif scene.kind[k] == CUBE:
            t = _hit_box(q, dk, scene.size[k], scene.yaw[k])
        else:
            t = _hit_cylinder(q, dk, scene.size[k], scene.height[k])
        closer = t < best[rays]
        best[rays[closer]] = t[closer]
        ids[rays[closer]] = k + 1
    if any_hit:
        return ids > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(d[2] < 0, -o[2] / d[2], np.inf)
    closer = (t < best) & (t > EPS)
    best[closer] = t[closer]
    ids[closer] = 0
    return best, ids


def _object_normal(scene: Scene, k: int, q):
    """Unit normals ``[3, M]`` of object ``k`` at surface points ``q`` relative to its centre."""
    kind = scene.kind[k]
    if kind == SPHERE:
        return q / scene.size[k]
    if kind == CUBE:
        local = _rotate_z(q, -scene.yaw[k])
        axis = np.abs(local).argmax(0)
        normal = np.zeros_like(local)
        cols = np.arange(local.shape[1])
        normal[axis, cols] = np.sign(local[axis, cols])
        return _rotate_z(normal, scene.yaw[k])
    rho = np.hypot(q[0], q[1])
    cap = (scene.height[k] - np.abs(q[2])) < (scene.size[k] - rho)
    inv = 1.0 / np.maximum(rho, 1e-12)
    return np.where(cap, np.stack([0 * rho, 0 * rho, np.sign(q[2])]),
                    np.stack([q[0] * inv, q[1] * inv, 0 * rho]))


def _pattern(kind: int, x):
    """Pattern weight in [0, 1] of ``PATTERNS[kind]`` at scaled coordinates ``x`` ``[3, M]``."""
    if kind == 0:  # stripes
        return (np.sin(2 * np.pi * (x[0] + 0.5 * x[2])) > 0).astype(np.float64)
    if kind == 1:  # checker
        return (np.floor(x).sum(0) % 2).astype(np.float64)
    return 0.5 + 0.5 * np.sin(2 * np.pi * x[0] + 2.0 * np.sin(2 * np.pi * x[1])) * np.cos(np.pi * x[2])


def _sky(up):
    up = np.clip(up, 0.0, 1.0)[None]
    return SKY_LOW[:, None] * (1 - up) + SKY_HIGH[:, None] * up


def shade(scene: Scene, o: np.ndarray, d: np.ndarray, t: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """RGB ``[3, N]`` of rays ``[3, N]`` whose hits ``(t, ids)`` came from ``intersect``."""
    view = d / np.sqrt(_dot(d, d))
    rgb = _sky(view[2])
    hit = np.flatnonzero(ids >= 0)
    p = o[:, hit] + t[hit] * d[:, hit]
    v = -view[:, hit]
    hid = ids[hit]
    m = len(hit)
    normal = np.zeros((3, m))
    normal[2] = 1.0  # the ground's; objects overwrite theirs
    albedo = np.empty((3, m))
    weights = np.empty((3, m))  # diffuse weight, specular weight, shininess
    ground = hid == 0
    albedo[:, ground] = scene.ground_colour[:, None]
    if scene.ground_pattern >= 0:
        w = _pattern(scene.ground_pattern, p[:, ground] * scene.ground_freq)
        albedo[:, ground] = scene.ground_colour[:, None] * (1 - w) + scene.ground_colour2[:, None] * w
    weights[:, ground] = np.array(GROUND)[:, None]
    for k in range(scene.n_objects):
        sel = np.flatnonzero(hid == k + 1)
        if not len(sel):
            continue
        q = p[:, sel] - scene.centre[k][:, None]
        normal[:, sel] = _object_normal(scene, k, q)
        albedo[:, sel] = scene.colour[k][:, None]
        if scene.pattern[k] >= 0:
            w = _pattern(scene.pattern[k], _rotate_z(q, -scene.yaw[k]) * scene.freq[k])
            albedo[:, sel] = scene.colour[k][:, None] * (1 - w) + scene.colour2[k][:, None] * w
        weights[:, sel] = np.array(METAL if scene.metal[k] else RUBBER)[:, None]
    light = scene.light[:, None]
    lit = _dot(normal, light)
    facing = np.flatnonzero(lit > 0)  # only these can be lit: cast their shadow rays
    visible = np.zeros(m)
    origin = p[:, facing] + SHADOW_OFFSET * normal[:, facing]
    visible[facing] = ~intersect(scene, origin, np.broadcast_to(light, origin.shape), any_hit=True)
    half = light + v
    half /= np.sqrt(_dot(half, half))
    spec = np.maximum(_dot(normal, half), 0.0) ** weights[2]
    colour = albedo * (AMBIENT + weights[0] * np.maximum(lit, 0.0) * visible)
    colour += weights[1] * spec * visible
    metal = np.flatnonzero(weights[1] > 0.5)
    if len(metal):  # a faint mirror image of the sky on metal
        n_m, v_m = normal[:, metal], v[:, metal]
        colour[:, metal] += 0.25 * albedo[:, metal] * _sky((2 * _dot(n_m, v_m) * n_m - v_m)[2])
    rgb[:, hit] = colour
    return np.clip(rgb, 0.0, 1.0)


def render(scene: Scene, intrinsics: np.ndarray, extrinsics: np.ndarray, size: int, *,
           supersample: int = 1) -> dict:
    """Render ``scene`` from ``V`` cameras (``intrinsics [V, 3, 3]``, ``extrinsics [V, 4, 4]``).

    Returns ``images [V, S, S, 3]`` float32 in [0, 1], ``masks [V, S, S]`` int64 (0 ground or
    sky, 1..n objects) and ``depth [V, S, S]`` float32 (camera z; 0 where a ray hits nothing),
    ``S = size`` pixels a side. ``supersample=k`` averages ``k x k`` rays per pixel for the
    image; mask and depth always come from the pixel-centre ray.
    """
    views = len(extrinsics)
    o, d = pixel_rays(intrinsics, extrinsics, size)
    t, ids = intersect(scene, o, d)
    if supersample == 1:
        rgb = shade(scene, o, d, t, ids)
    else:
        so, sd = pixel_rays(intrinsics, extrinsics, size, (np.arange(supersample) + 0.5) / supersample)
        rgb = shade(scene, so, sd, *intersect(scene, so, sd))
        rgb = rgb.reshape(3, -1, supersample * supersample).mean(2)
    shape = (views, size, size)
    return {"images": np.ascontiguousarray(rgb.T.reshape(*shape, 3), dtype=np.float32),
            "masks": np.maximum(ids, 0).reshape(shape),
            "depth": np.where(ids >= 0, t, 0.0).reshape(shape).astype(np.float32)}
