"""``ClipView``: a clip's sidecar as numpy arrays, plus small predicates the semantic checks share.

Checks read only the sidecar (what any user of a rendered dataset has), never the ClipSpec, so the
same predicates can audit a dataset on disk.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class ClipView:
    """Arrays over objects ``N`` and frames ``T`` of one sidecar.

    ``pos (N,T,3)``, ``scale (N,T)``, ``opacity (N,T)``, ``color (N,T,3)``, ``morph (N,T)``,
    ``exists``/``visible``/``in_frame (N,T)`` bool, ``depth (N,T)`` (camera z of the centre) and
    ``bbox (N,T,4)`` in pixels (NaN where the object is not visible).
    """

    def __init__(self, sidecar: dict[str, Any]) -> None:
        self.sidecar = sidecar
        objs = sidecar["objects"]
        self.roles = [o["role"] for o in objs]
        self.shapes = [o["shape"] for o in objs]
        self.morph_to = [o.get("morph_to") for o in objs]
        self.num_frames = sidecar["num_frames"]
        self.fps = sidecar["fps"]
        self.resolution = tuple(sidecar["resolution"])
        self.intrinsics = np.asarray(sidecar["camera"]["intrinsics"])
        self.world_to_camera = np.asarray(sidecar["camera"]["world_to_camera"])

        def stack(key: str, dtype: Any = float) -> np.ndarray:
            return np.asarray([[f[key] for f in o["frames"]] for o in objs], dtype=dtype)

        self.pos = stack("position")
        self.scale = stack("scale")
        self.opacity = stack("opacity")
        self.color = stack("color")
        self.morph = stack("morph")
        self.exists = stack("exists", bool)
        self.visible = stack("visible", bool)
        self.in_frame = stack("in_frame", bool)
        self.depth = stack("depth")
        self.bbox = np.asarray([[f["bbox"] or [np.nan] * 4 for f in o["frames"]] for o in objs], dtype=float)

    @property
    def n(self) -> int:
        """Number of objects."""
        return len(self.roles)

    def of(self, role: str) -> list[int]:
        """Indices of the objects with a role."""
        return [i for i, r in enumerate(self.roles) if r == role]

    def one(self, role: str) -> int:
        """Index of the single object with ``role`` (ValueError if there is not exactly one)."""
        idx = self.of(role)
        if len(idx) != 1:
            raise ValueError(f"expected one {role!r} object, found {len(idx)}")
        return idx[0]

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """Camera coordinates (x right, y down, z forward) of world points ``(..., 3)``."""
        return points @ self.world_to_camera[:3, :3].T + self.world_to_camera[:3, 3]

    def camera_position(self) -> np.ndarray:
        """The camera centre in world coordinates."""
        r, t = self.world_to_camera[:3, :3], self.world_to_camera[:3, 3]
        return -r.T @ t

    def centre_px(self, i: int) -> np.ndarray:
        """Bounding-box centres ``(T, 2)`` of object ``i`` (NaN where not visible)."""
        b = self.bbox[i]
        return np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2], axis=1)

    def n_visible(self) -> np.ndarray:
        """Number of visible objects per frame ``(T,)``."""
        return self.visible.sum(axis=0)

    def speed(self, i: int) -> np.ndarray:
        """World speed of object ``i`` in units per frame ``(T-1,)``."""
        return np.linalg.norm(np.diff(self.pos[i], axis=0), axis=1)

    def moving(self, i: int, eps: float = 1e-3) -> np.ndarray:
        """Frames ``(T-1,)`` in which object ``i`` moves."""
        return self.speed(i) > eps

    def travel(self, i: int) -> float:
        """Path length of object ``i`` in world units."""
        return float(self.speed(i).sum())

    def luminance(self, i: int) -> np.ndarray:
        """Rec. 709 luma of object ``i``'s colour ``(T,)``."""
        return self.color[i] @ np.array([0.2126, 0.7152, 0.0722])


# -- predicates over 1-D series, shared by the checks ---------------------------------------------

def monotonic(x: np.ndarray, increasing: bool = True, tol: float = 1e-6) -> bool:
    """Non-decreasing (or non-increasing) up to ``tol`` per step."""
    d = np.diff(np.asarray(x, dtype=float))
    return bool(np.all(d >= -tol) if increasing else np.all(d <= tol))


def sign_changes(x: np.ndarray, eps: float = 1e-6) -> int:
    """How often the sign of a series flips, ignoring values within ``eps`` of zero."""
    s = np.sign(np.asarray(x, dtype=float)[np.abs(x) > eps])
    return int(np.count_nonzero(s[1:] != s[:-1]))


def unwrapped_angle(xy: np.ndarray) -> np.ndarray:
    """Continuous polar angle ``(T,)`` of 2-D points ``(T, 2)`` about the origin."""
    return np.unwrap(np.arctan2(xy[:, 1], xy[:, 0]))


def max_chord_deviation(points: np.ndarray) -> float:
    """Largest distance of a path ``(T, d)`` from the straight segment joining its end points."""
    a, b = points[0], points[-1]
    ab = b - a
    length = float(np.linalg.norm(ab))
    if length < 1e-9:
        return float(np.linalg.norm(points - a, axis=1).max())
    u = np.clip((points - a) @ ab / length**2, 0, 1)
    return float(np.linalg.norm(points - (a + u[:, None] * ab), axis=1).max())


def onsets(mask: np.ndarray) -> np.ndarray:
    """Frames where a boolean series turns True (a True first frame counts as an onset at 0)."""
    m = np.asarray(mask, dtype=bool)
    return np.nonzero(m & ~np.concatenate([[False], m[:-1]]))[0]


def box_overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fraction of box ``a`` covered by box ``b`` per frame; boxes ``(T, 4)``, NaN gives 0."""
    w = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    h = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    area = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = w * h / area
    return np.nan_to_num(frac, nan=0.0)


def zigzags(points: np.ndarray, min_reversals: int = 3, plane_tol: float = 0.3) -> bool:
    """Does a path ``(T, 3)`` swing from side to side of its start-to-end line at least
    ``min_reversals`` times, staying within one vertical plane (a spiral does not)?"""
    h = points[:, :2] - points[0, :2]
    chord = h[-1]
    lateral = h - np.outer(h @ chord, chord) / max(float(chord @ chord), 1e-9)
    axis = lateral[np.argmax(np.linalg.norm(lateral, axis=1))]
    norm = float(np.linalg.norm(axis))
    if norm < 1e-9:
        return False
    side = lateral @ axis / norm
    off_plane = float(np.linalg.norm(lateral - np.outer(side, axis / norm), axis=1).max())
    return sign_changes(np.diff(side), eps=1e-4) >= min_reversals and off_plane < plane_tol
