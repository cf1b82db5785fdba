"""Where a clip's background surfaces lie and how its picture is laid on them (no Blender).

The Blender backend turns these planes into meshes; the look measurement (``look.py``) casts the
camera's rays at them to know what each pixel of the background should show. Conventions: a plane is
``origin + a u + b v`` for plane coordinates ``(a, b)``; its quads are the products of one row of
``tiles_u`` with one row of ``tiles_v`` (``mirrored_tiles`` intervals ``(x0, x1, uv0, uv1)``), UV linear
inside each quad.

- The orbit rigs' **ground** (``z = 0``) carries the picture over the view up to ``PICTURE_DEPTH``
  camera distances (that fixes its scale) and mirrored copies beyond, up to everything the camera sees of
  it; a view that reaches above the horizon also gets a **horizon** backdrop standing on the ground
  ``HORIZON_DISTANCE`` away, showing the image's sky with its horizon at the ground line.
- The front rig's **backdrop** stands just behind the furthest point any object reaches, facing the camera.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synta.generator.clip_spec import ClipSpec
from synta.generator.render.backgrounds import Interval, cover_window, image_window, mirrored_tiles
from synta.generator.shapes import get_shape

CLIP_END = 5000.0  # camera far clip: beyond it a ray grazing the ground is under a pixel from the horizon
PICTURE_DEPTH = 6.0  # a background picture spans the view up to this many camera distances
HORIZON_DISTANCE = 0.8 * CLIP_END  # a ground seen up to its horizon meets the sky backdrop this far away
UP = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Plane:
    """A flat background surface made of quads, with the UVs of its picture."""

    name: str
    origin: np.ndarray
    u: np.ndarray
    v: np.ndarray
    tiles_u: list[Interval]
    tiles_v: list[Interval]

    @property
    def normal(self) -> np.ndarray:
        return np.cross(self.u, self.v)

    def uv_at(self, ab: np.ndarray) -> np.ndarray:
        """UVs ``(N, 2)`` at plane coordinates ``ab`` ``(N, 2)``; NaN outside the plane."""
        out = np.full(ab.shape, np.nan)
        for axis, tiles in ((0, self.tiles_u), (1, self.tiles_v)):
            t = np.asarray(tiles, dtype=float)
            x = ab[:, axis]
            k = np.clip(np.searchsorted(t[:, 0], x, side="right") - 1, 0, len(t) - 1)
            x0, x1, w0, w1 = t[k].T
            inside = (x >= t[0, 0]) & (x <= t[-1, 1])
            out[inside, axis] = (w0 + (w1 - w0) * (x - x0) / (x1 - x0))[inside]
        out[np.isnan(out).any(axis=1)] = np.nan
        return out


def background_planes(spec: ClipSpec, image_name: str | None = None, image_aspect: float = 1.0) -> list[Plane]:
    """The clip's background planes. ``image_name``: the scene image's file stem (None for a plain colour,
    which shows the whole UV square); ``image_aspect``: its width / height."""
    bg = spec.background
    view = spec.camera.position - spec.camera.target
    flat = np.array([view[0], view[1], 0.0]) / np.linalg.norm(view[:2])  # horizontal, towards the camera
    if bg.surface == "ground":
        # the picture lies with its top edge away from the camera, so the scene reads upright
        origin, normal, u = np.zeros(3), UP, np.cross(-flat, UP)
    else:
        depth = max(float(np.max((spec.camera.target[:2] - tr.position[:, :2]) @ flat[:2]))
                    + get_shape(tr.shape).radius * float(tr.scale.max()) for tr in spec.objects)
        origin = spec.camera.target - flat * (max(depth, 0.0) + 3.0)
        normal, u = flat, np.cross(UP, flat)
    v = np.cross(normal, u)
    lo, hi = view_footprint(spec, origin, normal, u, v, PICTURE_DEPTH * float(np.linalg.norm(view)))
    full_lo, full_hi = view_footprint(spec, origin, normal, u, v, 0.9 * CLIP_END)
    size = hi - lo
    (u0, v0), (u1, v1) = cover_window(_window(bg.surface, image_name), image_aspect, size[0] / size[1])
    planes = [Plane("background", origin, u, v,
                    mirrored_tiles((lo[0], hi[0]), (full_lo[0], full_hi[0]), (u0, u1)),
                    mirrored_tiles((lo[1], hi[1]), (full_lo[1], full_hi[1]), (v0, v1)))]
    if bg.surface != "ground":
        return planes
    # the sky spans the view's width, keeps the picture's proportions and is mirrored upwards if need be
    origin = spec.camera.position * np.array([1.0, 1.0, 0.0]) - flat * HORIZON_DISTANCE
    u = np.cross(UP, flat)
    lo, hi = view_footprint(spec, origin, flat, u, UP, CLIP_END)
    if hi[1] <= 0.0:
        return planes  # the view stays below the horizon
    (u0, v0), (u1, v1) = _window("sky", image_name)
    sky_height = (v1 - v0) * (hi[0] - lo[0]) / image_aspect
    planes.append(Plane("horizon", origin, u, UP, [(lo[0], hi[0], u0, u1)],
                        mirrored_tiles((0.0, sky_height), (0.0, hi[1]), (v0, v1))))
    return planes


def _window(surface: str, image_name: str | None) -> tuple[tuple[float, float], tuple[float, float]]:
    return image_window(surface, image_name) if image_name is not None else ((0.0, 0.0), (1.0, 1.0))


def camera_rays(spec: ClipSpec, pixels: np.ndarray) -> np.ndarray:
    """Unit world directions ``(N, 3)`` of the camera rays through ``pixels`` ``(N, 2)`` (x, y)."""
    cam = spec.camera_model()
    rays = np.c_[pixels, np.ones(len(pixels))] @ np.linalg.inv(cam.intrinsics()).T @ cam.rotation()
    return rays / np.linalg.norm(rays, axis=1, keepdims=True)


def view_footprint(spec: ClipSpec, origin, normal, u, v, far: float) -> tuple[np.ndarray, np.ndarray]:
    """Bounds, in (u, v) plane coordinates, of where the camera's view meets the plane (with a margin;
    rays that miss it or meet it further than ``far`` from the camera are clamped there)."""
    cam = spec.camera_model()
    w, h = spec.resolution
    k_inv = np.linalg.inv(cam.intrinsics())
    rot = cam.rotation()
    pts = []
    for px in ((0, 0), (w, 0), (w, h), (0, h), (w / 2, 0), (w / 2, h), (0, h / 2), (w, h / 2)):
        ray = rot.T @ (k_inv @ np.array([px[0], px[1], 1.0]))
        ray /= np.linalg.norm(ray)
        denom = float(ray @ normal)
        t = float((origin - spec.camera.position) @ normal) / denom if abs(denom) > 1e-9 else -1.0
        if t <= 0 or t > far:
            t = far  # the ray misses or grazes the plane: project its far point onto the plane
        p = spec.camera.position + t * ray
        p = p - ((p - origin) @ normal) * normal
        pts.append([(p - origin) @ u, (p - origin) @ v])
    pts = np.asarray(pts)
    margin = 0.1 * (pts.max(0) - pts.min(0)) + 1.0
    return pts.min(0) - margin, pts.max(0) + margin
