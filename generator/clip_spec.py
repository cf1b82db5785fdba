"""``ClipSpec``: everything that determines one Syn-TA clip, as plain JSON-serialisable data.

No ``bpy`` here: a renderer turns a ClipSpec into pixels and decides nothing; annotations and semantic
checks read the same ClipSpec without Blender.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synta.generator.camera import Camera

SCHEMA_VERSION = 2  # 2: LightSpec.objects_only and the WORLD (sky) light
DECIMALS = 5  # tracks are rounded once, so a JSON round trip reproduces them exactly
MAX_FPS = 120  # five times the native 24
MAX_FRAMES = 2400  # frames of one clip: the longest native clip (180) at MAX_FPS and half speed is 1,800


def _arr(values: Any, dtype: Any = float) -> np.ndarray:
    arr = np.asarray(values, dtype=dtype)
    return np.round(arr, DECIMALS) if dtype is float else arr


def clip_stem(fine: str, camera: str, clip_id: int) -> str:
    """The reference's file stem of a clip: ``<folder>/<folder><n>[_front]_id_<k>``."""
    folder = fine.rstrip("0123456789")
    return f"{folder}/{fine}{'_front' if camera == 'front' else ''}_id_{clip_id}"


@dataclass
class ObjectTrack:
    """One object and its per-frame tracks (``T`` = number of frames).

    ``scale`` is absolute (shape units, see ``assets/shapes.yaml``); ``rotation`` is XYZ Euler in
    radians; ``morph`` in [0, 1] cross-fades ``shape`` into ``morph_to`` the way the reference does it
    (old shape scaled by 1 - m, new shape scaled by m, same place, colour and material); ``exists`` is
    False before a clone appears or after a merged object vanishes.
    """

    id: int
    shape: str
    role: str
    material: str
    position: np.ndarray  # (T, 3)
    rotation: np.ndarray  # (T, 3)
    scale: np.ndarray  # (T,)
    opacity: np.ndarray  # (T,)
    color: np.ndarray  # (T, 3) linear RGB in [0, 1]
    morph: np.ndarray  # (T,)
    exists: np.ndarray  # (T,) bool
    morph_to: str | None = None

    def __post_init__(self) -> None:
        for name in ("position", "rotation", "scale", "opacity", "color", "morph"):
            setattr(self, name, _arr(getattr(self, name)))
        self.exists = _arr(self.exists, bool)

    def to_dict(self) -> dict:
        """JSON-ready dict; arrays become nested lists."""
        out: dict[str, Any] = {"id": self.id, "shape": self.shape, "morph_to": self.morph_to,
                               "role": self.role, "material": self.material}
        for name in ("position", "rotation", "scale", "opacity", "color", "morph", "exists"):
            out[name] = getattr(self, name).tolist()
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "ObjectTrack":
        """Inverse of ``to_dict``."""
        return cls(**d)


@dataclass
class CameraSpec:
    """The static camera: rig name, pose and lens (see ``camera.py`` for conventions)."""

    rig: str  # "orbit", "occlusion" (orbit-camera rig of the occlusion classes) or "front"
    position: np.ndarray
    target: np.ndarray
    lens_mm: float
    sensor_mm: float

    def __post_init__(self) -> None:
        self.position, self.target = _arr(self.position), _arr(self.target)

    def model(self, resolution: tuple[int, int]) -> Camera:
        """The pinhole model at a given resolution."""
        return Camera(self.position, self.target, tuple(resolution), self.lens_mm, self.sensor_mm)

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {"rig": self.rig, "position": self.position.tolist(), "target": self.target.tolist(),
                "lens_mm": self.lens_mm, "sensor_mm": self.sensor_mm}


@dataclass
class LightSpec:
    """A light of the scene: a Blender light type (``SUN``, ``POINT``, ``AREA``, ``SPOT``), or ``WORLD``, the
    sky: a uniform environment of radiance ``energy`` x ``color`` (position and rotation unused).
    ``objects_only``: it lights the objects and not the background (Cycles/EEVEE light linking)."""

    kind: str
    position: list[float]
    rotation: list[float]  # XYZ Euler, radians
    energy: float
    color: list[float] = field(default_factory=lambda: [1.0, 1.0, 1.0])
    shadow: bool = True
    objects_only: bool = False


BACKGROUNDS = ("plain", "realistic")  # BackgroundSpec.kind


@dataclass
class BackgroundSpec:
    """What surrounds the objects.

    ``plain``: a solid ``color`` ground (orbit rigs) or backdrop (front rig). ``realistic``: scene image
    number ``image`` of list ``image_list`` (``set1``/``set2`` or a user folder's name), laid on the
    ground (orbit rigs) or on a vertical backdrop behind the action (front rig).
    """

    kind: str
    surface: str  # "ground" or "backdrop"
    color: list[float]
    image_list: str | None = None
    image: int | None = None


@dataclass
class ClipSpec:
    """A complete, renderer-independent description of one clip."""

    fine: str  # fine class name, e.g. "orbiting3"
    clip_id: int  # 1-based, as in the reference's file names
    seed: int  # per-clip seed derived from the global seed (see sampler.clip_seed)
    global_seed: int
    factors: dict[str, Any]
    fps: int
    num_frames: int
    resolution: tuple[int, int]  # (width, height)
    objects: list[ObjectTrack]
    camera: CameraSpec
    lights: list[LightSpec]
    background: BackgroundSpec
    schema: int = SCHEMA_VERSION

    @property
    def stem(self) -> str:
        """Dataset-relative path without extension: ``orbiting/orbiting3_front_id_7``."""
        return clip_stem(self.fine, "front" if self.camera.rig == "front" else "orbit", self.clip_id)

    def camera_model(self) -> Camera:
        """The pinhole camera at this clip's resolution."""
        return self.camera.model(self.resolution)

    def to_dict(self) -> dict:
        """JSON-ready dict; ``ClipSpec.from_dict(spec.to_dict())`` reproduces the spec exactly."""
        return {
            "schema": self.schema, "fine": self.fine, "clip_id": self.clip_id, "seed": self.seed,
            "global_seed": self.global_seed, "factors": dict(self.factors), "fps": self.fps,
            "num_frames": self.num_frames, "resolution": list(self.resolution),
            "objects": [o.to_dict() for o in self.objects], "camera": self.camera.to_dict(),
            "lights": [vars(light) | {} for light in self.lights], "background": vars(self.background) | {},
        }

    @classmethod
    def from_dict(cls, d: dict) -> "ClipSpec":
        """Inverse of ``to_dict``; rejects a newer schema than this code knows."""
        if d.get("schema", SCHEMA_VERSION) > SCHEMA_VERSION:
            raise ValueError(f"ClipSpec schema {d['schema']} is newer than this synta ({SCHEMA_VERSION})")
        return cls(
            fine=d["fine"], clip_id=d["clip_id"], seed=d["seed"], global_seed=d["global_seed"],
            factors=dict(d["factors"]), fps=d["fps"], num_frames=d["num_frames"],
            resolution=tuple(d["resolution"]), objects=[ObjectTrack.from_dict(o) for o in d["objects"]],
            camera=CameraSpec(**d["camera"]), lights=[LightSpec(**light) for light in d["lights"]],
            background=BackgroundSpec(**d["background"]), schema=d.get("schema", SCHEMA_VERSION),
        )
