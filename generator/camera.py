"""Pinhole camera model and the reference's camera rigs.

Conventions: world z is up; camera coordinates follow OpenCV (x right, y down, z forward), so pixel
coordinates are ``K @ X_cam / z`` with the origin at the top-left pixel corner. The Blender backend
converts to Blender's camera convention (-z forward, +y up) itself.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LENS_MM = 50.0  # Blender's default lens, as the reference uses
SENSOR_MM = 36.0  # Blender's default sensor width (sensor fit: horizontal for landscape frames)
FRAME_MARGIN = 0.08  # fraction of the half-frame kept free around the action when fitting the distance

# Azimuth choices (degrees) and elevation ranges of the reference's rigs (docs/reference.md#camera-rigs). The
# reference gives heights z ~ U(lo, hi) at a fixed radius R; elevation = atan(z / R) keeps their look.
ORBIT_AZIMUTHS = (0.0, 60.0, 120.0, 180.0, 240.0, 300.0)
FRONT_AZIMUTHS = tuple(range(75, 106, 5))  # mirrored to the -y side: the camera looks towards +y
FRONT_ELEVATION = (9.5, 18.5)  # z ~ U(5, 10) at R = 30
OCCLUSION_AZIMUTHS = (70.0, 75.0, 80.0, 90.0, 100.0, 105.0, 110.0)  # +y side: y order is depth order
OCCLUSION_ELEVATION = (8.0, 24.0)  # z ~ U(3, 10) at R = 22


@dataclass(frozen=True)
class Camera:
    """A static perspective camera looking from ``position`` at ``target`` with world z up."""

    position: np.ndarray
    target: np.ndarray
    resolution: tuple[int, int]
    lens_mm: float = LENS_MM
    sensor_mm: float = SENSOR_MM

    def intrinsics(self) -> np.ndarray:
        """3x3 pixel intrinsics (square pixels, principal point at the image centre)."""
        w, h = self.resolution
        f = self.lens_mm / self.sensor_mm * w
        return np.array([[f, 0.0, w / 2], [0.0, f, h / 2], [0.0, 0.0, 1.0]])

    def rotation(self) -> np.ndarray:
        """Rows are the camera's x (right), y (down), z (forward) axes in world coordinates."""
        fwd = self.target - self.position
        fwd = fwd / np.linalg.norm(fwd)
        right = np.cross(fwd, (0.0, 0.0, 1.0))
        right = right / np.linalg.norm(right)
        down = np.cross(fwd, right)
        return np.stack([right, down, fwd])

    def world_to_camera(self) -> np.ndarray:
        """4x4 rigid transform from world to (OpenCV) camera coordinates."""
        rot = self.rotation()
        m = np.eye(4)
        m[:3, :3] = rot
        m[:3, 3] = -rot @ self.position
        return m


def project(points: np.ndarray, intrinsics: np.ndarray, world_to_camera: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates ``(..., 2)`` and depths ``(...)`` of world points ``(..., 3)``."""
    cam = points @ world_to_camera[:3, :3].T + world_to_camera[:3, 3]
    depth = cam[..., 2]
    uvw = cam @ intrinsics.T
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = uvw[..., :2] / uvw[..., 2:3]
    return uv, depth


def view_direction(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit vector from the target towards the camera."""
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])


def fit_camera(
    direction: np.ndarray,
    centres: np.ndarray,
    radii: np.ndarray,
    resolution: tuple[int, int],
    min_distance: float,
    target: np.ndarray | None = None,
) -> Camera:
    """Place a camera along ``direction`` so every sphere (centre, radius) lies inside the frame.

    The camera looks at ``target``, by default the centre of the spheres' bounding box (the reference
    sometimes aimed at an object's creation point instead; see DIFFERENCES.md); a motion that has a
    place of its own (where an arrival comes to rest) passes that place, so it is the middle of the view.
    The distance is the smallest that keeps every sphere within the frame minus ``FRAME_MARGIN``, and at
    least ``min_distance`` so a lone object does not fill the whole picture.
    """
    if target is None:
        lo = (centres - radii[:, None]).min(axis=0)
        hi = (centres + radii[:, None]).max(axis=0)
        target = (lo + hi) / 2
    target = np.asarray(target, dtype=float)
    probe = Camera(target + direction, target, resolution)
    rot = probe.rotation()
    rel = (centres - target) @ rot.T  # camera-aligned offsets; depth measured along -direction
    w, h = resolution
    tan_x = (1 - FRAME_MARGIN) * (SENSOR_MM / 2) / LENS_MM
    tan_y = tan_x * h / w
    # A sphere of radius r at lateral offset a and depth z stays inside a half-angle with tangent k when
    # z >= (|a| + r * sqrt(1 + k^2)) / k; the camera distance d adds to the depth.
    need_x = (np.abs(rel[:, 0]) + radii * np.sqrt(1 + tan_x**2)) / tan_x - rel[:, 2]
    need_y = (np.abs(rel[:, 1]) + radii * np.sqrt(1 + tan_y**2)) / tan_y - rel[:, 2]
    distance = max(float(need_x.max()), float(need_y.max()), min_distance)
    return Camera(target + distance * direction, target, resolution)
