"""Object shapes shared by the annotation code and the Blender backend.

Definitions live in ``assets/shapes.yaml``; this module turns them into trimesh meshes that follow one
size convention (centred, largest extent 2 units), so a projected bounding box computed here is exactly
the box of what Blender draws from the same vertices.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import trimesh

from synta.assets import load_yaml


@dataclass(frozen=True)
class Shape:
    """A mesh in the project's size convention."""

    name: str
    vertices: np.ndarray  # (V, 3) float64
    faces: np.ndarray  # (F, 3) int64

    @property
    def half_height(self) -> float:
        """Height of the origin above the ground when the shape rests on it at scale 1."""
        return float(-self.vertices[:, 2].min())

    @property
    def radius(self) -> float:
        """Radius of the bounding sphere about the origin at scale 1."""
        return float(np.linalg.norm(self.vertices, axis=1).max())


def _dodecahedron(radius: float) -> trimesh.Trimesh:
    phi = (1 + 5**0.5) / 2
    pts = [(x, y, z) for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]
    for a in (-1 / phi, 1 / phi):
        for b in (-phi, phi):
            pts += [(0, a, b), (a, b, 0), (b, 0, a)]
    v = np.asarray(pts, dtype=float)
    return trimesh.Trimesh(v * radius / np.linalg.norm(v[0])).convex_hull


def _build(spec: dict) -> trimesh.Trimesh:
    kind = spec["kind"]
    c = trimesh.creation
    if kind == "box":
        return c.box(extents=(2.0, 2.0, 2.0))
    if kind == "cone":
        return c.cone(spec["radius"], spec["height"], sections=spec["sections"])
    if kind == "cylinder":
        return c.cylinder(spec["radius"], spec["height"], sections=spec["sections"])
    if kind == "uv_sphere":
        return c.uv_sphere(spec["radius"], count=spec["count"])
    if kind == "torus":
        major, minor = spec["sections"]
        return c.torus(spec["major_radius"], spec["minor_radius"], major_sections=major, minor_sections=minor)
    if kind == "capsule":
        return c.capsule(height=spec["height"], radius=spec["radius"], count=spec["count"])
    if kind == "icosphere":
        return c.icosphere(subdivisions=spec["subdivisions"], radius=spec["radius"])
    if kind == "dodecahedron":
        return _dodecahedron(spec["radius"])
    raise ValueError(f"unknown shape kind {kind!r} in assets/shapes.yaml")


def _normalise(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Centre on the bounding-box centre and scale the largest extent to 2."""
    mesh = mesh.copy()
    mesh.apply_translation(-mesh.bounds.mean(axis=0))
    mesh.apply_scale(2.0 / mesh.extents.max())
    return mesh


@cache
def get_shape(name: str) -> Shape:
    """The named shape (``cube``, ``torus``, ...), built once per process."""
    specs = load_yaml("shapes.yaml")["shapes"]
    if name not in specs:
        raise KeyError(f"unknown shape {name!r}; known: {', '.join(specs)}")
    mesh = _normalise(_build(specs[name]))
    return Shape(name, np.asarray(mesh.vertices, dtype=float), np.asarray(mesh.faces, dtype=np.int64))


def shape_names() -> list[str]:
    """All shape names, in the order of ``assets/shapes.yaml``."""
    return list(load_yaml("shapes.yaml")["shapes"])


def shape_pool(name: str) -> list[str]:
    """A named pool of shapes (``set1``, ``set2``, ``shared``, ``legacy``)."""
    pools = load_yaml("shapes.yaml")["pools"]
    if name not in pools:
        raise KeyError(f"unknown shape pool {name!r}; known: {', '.join(pools)}")
    return list(pools[name])
