"""Random scenes: a ground plane z = 0 with spheres, cubes and cylinders resting on it.

World frame: z up, the scene centre at the origin. Objects sit in the square
``|x|, |y| <= area`` and never interpenetrate (their footprints' bounding circles are kept
apart by rejection sampling). Each object is rubber (diffuse) or metal (specular, sharper
highlight); ``textured=True`` adds a procedural pattern (stripes, checker or waves) in object
coordinates to every object and one in world coordinates to the ground ("clevrtex-style").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("sphere", "cube", "cylinder")
PATTERNS = ("stripes", "checker", "waves")  # pattern -1 is plain
SPHERE, CUBE, CYLINDER = range(3)


@dataclass
class Scene:
    """One scene's geometry and materials (arrays over its ``n`` objects; ids are index + 1).

    ``size`` is the sphere radius, the cube's half side or the cylinder radius; ``height`` the
    half height (the centre sits at ``z = height``). ``yaw`` turns cubes (and every texture)
    about z. ``light`` is the unit direction towards a distant light. ``pattern`` is -1 (plain)
    or an index into ``PATTERNS``, drawn in ``colour2`` at ``freq`` cycles per world unit.
    """

    kind: np.ndarray        # [n] int, index into KINDS
    centre: np.ndarray      # [n, 3]
    size: np.ndarray        # [n]
    height: np.ndarray      # [n]
    yaw: np.ndarray         # [n] radians
    colour: np.ndarray      # [n, 3] in [0, 1]
    metal: np.ndarray       # [n] bool
    pattern: np.ndarray     # [n] int
    colour2: np.ndarray     # [n, 3]
    freq: np.ndarray        # [n]
    light: np.ndarray       # [3] unit
    ground_colour: np.ndarray   # [3]
    ground_pattern: int
    ground_colour2: np.ndarray  # [3]
    ground_freq: float

    @property
    def n_objects(self) -> int:
        return len(self.kind)

    def footprint(self) -> np.ndarray:
        """Radius of each object's bounding circle in the ground plane."""
        return np.where(self.kind == CUBE, self.size * np.sqrt(2.0), self.size)


def hsv_to_rgb(h, s, v) -> np.ndarray:
    """HSV in [0, 1] to RGB in [0, 1] (arrays broadcast; RGB on the last axis)."""
    h, s, v = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (h, s, v)))
    k = (np.array([5.0, 3.0, 1.0]) + h[..., None] * 6.0) % 6.0
    return v[..., None] - v[..., None] * s[..., None] * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    return hsv_to_rgb(rng.uniform(), rng.uniform(0.45, 0.9), rng.uniform(0.45, 0.95))


def sample_scene(rng: np.random.Generator, objects: tuple[int, int] = (3, 10), *,
                 area: float = 3.0, textured: bool = False, metal_prob: float = 0.4,
                 max_tries: int = 200) -> Scene:
    """Draw a scene with ``objects[0]..objects[1]`` objects (inclusive) from ``rng``.

    Each object's kind, size, yaw, colour and material are drawn, then its position is
    drawn until its footprint clears every placed one; after every 50 failed positions the
    object is redrawn 15 % smaller, so crowded scenes still get all their objects.
    """
    lo, hi = objects
    n = int(rng.integers(lo, hi + 1))
    kind = rng.integers(0, len(KINDS), n)
    size = np.empty(n)
    height = np.empty(n)
    centre = np.zeros((n, 3))
    for i in range(n):
        k = kind[i]
        if k == SPHERE:
            size[i] = height[i] = rng.uniform(0.4, 0.8)
        elif k == CUBE:
            size[i] = height[i] = rng.uniform(0.35, 0.65)
        else:
            size[i], height[i] = rng.uniform(0.35, 0.7), rng.uniform(0.35, 0.8)
        foot = size[i] * (np.sqrt(2.0) if k == CUBE else 1.0)
        for attempt in range(max_tries):
            if attempt and attempt % 50 == 0:
                size[i] *= 0.85
                height[i] *= 0.85
                foot *= 0.85
            xy = rng.uniform(-area, area, 2)
            placed = centre[:i, :2]
            feet = np.where(kind[:i] == CUBE, size[:i] * np.sqrt(2.0), size[:i])
            if np.all(np.linalg.norm(placed - xy, axis=1) > feet + foot + 0.05):
                break
        else:
            raise RuntimeError(f"could not place {n} objects in area {area}; pass a larger area "
                               "or fewer objects")
        centre[i] = (xy[0], xy[1], height[i])
    yaw = rng.uniform(0.0, np.pi / 2, n)
    colour = np.stack([_random_colour(rng) for _ in range(n)]) if n else np.zeros((0, 3))
    metal = rng.uniform(size=n) < metal_prob
    azimuth, elevation = rng.uniform(0, 2 * np.pi), np.radians(rng.uniform(35, 70))
    light = np.array([np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth),
                      np.sin(elevation)])
    ground = np.full(3, rng.uniform(0.45, 0.65))
    if textured:
        pattern = rng.integers(0, len(PATTERNS), n)
        colour2 = np.stack([_random_colour(rng) for _ in range(n)]) if n else np.zeros((0, 3))
        freq = rng.uniform(1.5, 4.0, n)
        ground = _random_colour(rng) * 0.8
        ground_pattern, ground_colour2 = int(rng.integers(0, len(PATTERNS))), _random_colour(rng) * 0.8
        ground_freq = float(rng.uniform(0.5, 1.5))
    else:
        pattern, colour2, freq = np.full(n, -1), colour.copy(), np.ones(n)
        ground_pattern, ground_colour2, ground_freq = -1, ground.copy(), 1.0
    return Scene(kind=kind, centre=centre, size=size, height=height, yaw=yaw, colour=colour,
                 metal=metal, pattern=pattern, colour2=colour2, freq=freq, light=light,
                 ground_colour=ground, ground_pattern=ground_pattern,
                 ground_colour2=ground_colour2, ground_freq=ground_freq)
