"""The sampler: ``(fine class, clip id, seed, factors) -> ClipSpec``, deterministic and order-free."""
from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from synta.generator.camera import (
    FRONT_AZIMUTHS,
    FRONT_ELEVATION,
    OCCLUSION_AZIMUTHS,
    OCCLUSION_ELEVATION,
    ORBIT_AZIMUTHS,
    fit_camera,
    view_direction,
)
from synta.generator.clip_spec import (BACKGROUNDS, MAX_FPS, MAX_FRAMES, BackgroundSpec, CameraSpec, ClipSpec,
                                      ObjectTrack)
from synta.generator.distractors import add_distractors
from synta.generator.lighting import default_lights
from synta.generator.motions import MOTIONS
from synta.generator.motions.primitives import Scene
from synta.generator.shapes import get_shape, shape_names, shape_pool
from synta.generator.taxonomy import FineClass, load_taxonomy

CAMERAS = ("orbit", "front")
DEFAULT_RESOLUTION = (456, 256)  # 256-pixel short side at the reference's 16:9, width even for H.264
PLAIN_COLOR = [0.8, 0.8, 0.8]  # the reference's legacy grey ground
IMAGES_PER_LIST = 10  # each set's background list holds 10 scenes, used in turn (reference: i % 10)
MIN_DISTANCE = 14.0  # the closest camera distance, so a lone object keeps some surroundings in view
AZIMUTH_JITTER = 8.0  # degrees added to the reference's discrete azimuth choices

# The factors sample_clip understands besides its named arguments, with their defaults.
FACTOR_DEFAULTS: dict[str, Any] = {
    "resolution": DEFAULT_RESOLUTION,  # (width, height)
    "fps": None,  # None: the class's native fps; other values keep the duration in seconds
    "speed": 1.0,  # > 1 plays the motion faster (fewer frames), < 1 slower
    "colors": "random",  # or "fixed": a fixed palette, the same for every clip
    "background_list": None,  # realistic image list; None: "set1"/"set2" after the class's set
    "camera_distance": 1.0,  # multiplies the fitted camera distance
    "frames": None,  # clip length: every clip retimed to this many frames (None: native length / speed)
    "distractors": 0,  # bystander objects added to the scene (see distractors.py)
    "distractor_motion": "still",  # or "moving": distractors glide across the ground
    "lighting": "default",  # a preset of lighting.LIGHTINGS
}

# Separate random streams, so changing one factor (say the background, the shape pool or the colours)
# leaves everything else equal.
_STREAM_MOTION, _STREAM_CAMERA, _STREAM_LIGHTS, _STREAM_SHAPES, _STREAM_COLORS, _STREAM_DISTRACTORS = range(1, 7)


def clip_seed(global_seed: int, fine: str, camera: str, clip_id: int) -> int:
    """Stable 63-bit per-clip seed from (global seed, fine class, camera rig, clip id)."""
    digest = hashlib.sha256(f"synta/{global_seed}/{fine}/{camera}/{clip_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def _resolve_pool(objects: str, fine: FineClass) -> list[str]:
    if objects == "set":
        return shape_pool(f"set{fine.set}")
    if objects in shape_names():
        return [objects]
    return shape_pool(objects)


def sample_clip(fine: str | FineClass, clip_id: int, seed: int = 0, camera: str = "orbit",
                background: str = "plain", objects: str = "set", **factors: Any) -> ClipSpec:
    """Build the ClipSpec of one clip.

    Args:
        fine: fine class name (``"orbiting3"``) or a :class:`FineClass`.
        clip_id: 1-based clip number (the ``k`` of ``<folder><n>_id_<k>.mp4``).
        seed: global dataset seed; the clip's own seed is ``clip_seed(seed, fine, camera, clip_id)``.
        camera: ``"orbit"`` (the reference's plain scripts) or ``"front"`` (its ``_front`` scripts).
        background: ``"plain"`` or ``"realistic"``; only the background differs between the two.
        objects: shape pool: ``"set"`` (Set 1 cube/cone/pyramid/prism, Set 2 sphere/cylinder/torus/
            capsule, as the reference), ``"shared"``, ``"legacy"`` or a single shape name.
        **factors: see ``FACTOR_DEFAULTS``.

    Raises:
        KeyError: unknown fine class, shape or pool. ValueError: bad camera, background or factor.
    """
    fine = fine if isinstance(fine, FineClass) else load_taxonomy().fine_class(fine)
    if camera not in CAMERAS:
        raise ValueError(f"camera must be one of {CAMERAS}, got {camera!r}")
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {BACKGROUNDS}, got {background!r}")
    unknown = set(factors) - set(FACTOR_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown factor(s) {sorted(unknown)}; known: {sorted(FACTOR_DEFAULTS)}")
    if clip_id < 1:
        raise ValueError(f"clip ids are 1-based, got {clip_id}")
    f = {**FACTOR_DEFAULTS, **factors}
    if f["speed"] <= 0 or f["camera_distance"] <= 0:
        raise ValueError("speed and camera_distance must be positive")
    if f["colors"] not in ("random", "fixed"):
        raise ValueError(f"colors must be 'random' or 'fixed', got {f['colors']!r}")
    if f["frames"] is not None and (int(f["frames"]) != f["frames"] or f["frames"] < 2 or f["speed"] != 1.0):
        raise ValueError(f"frames must be a whole number of at least 2, without speed, got {f['frames']!r}")
    if int(f["distractors"]) != f["distractors"] or f["distractors"] < 0:
        raise ValueError(f"distractors must be a count of at least 0, got {f['distractors']!r}")
    resolution = (int(f["resolution"][0]), int(f["resolution"][1]))
    fps = int(f["fps"] or fine.fps)
    if not 1 <= fps <= MAX_FPS:
        raise ValueError(f"fps must be 1 to {MAX_FPS}, got {f['fps']!r}")

    entry = MOTIONS[fine.name]
    cseed = clip_seed(seed, fine.name, camera, clip_id)
    cam_rng = np.random.default_rng([cseed, _STREAM_CAMERA])
    if camera == "front":
        rig, azimuths, elevation = "front", FRONT_AZIMUTHS, FRONT_ELEVATION
        azimuths = tuple(-a for a in azimuths)  # the reference mirrors y: camera on the -y side
    elif entry.rig == "occlusion":
        rig, azimuths, elevation = "occlusion", OCCLUSION_AZIMUTHS, OCCLUSION_ELEVATION
    else:
        rig, azimuths, elevation = "orbit", ORBIT_AZIMUTHS, entry.elevation
    azimuth = float(azimuths[int(cam_rng.integers(len(azimuths)))])
    if rig == "orbit":
        azimuth += float(cam_rng.uniform(-AZIMUTH_JITTER, AZIMUTH_JITTER))
    elev = float(cam_rng.uniform(*elevation))

    pool = _resolve_pool(objects, fine)
    scene = Scene(fine.frames, fine.fps, np.random.default_rng([cseed, _STREAM_MOTION]), pool, azimuth,
                  fixed_colors=f["colors"] == "fixed", shape_rng=np.random.default_rng([cseed, _STREAM_SHAPES]),
                  color_rng=np.random.default_rng([cseed, _STREAM_COLORS]))
    entry.program(scene)

    num_frames = int(f["frames"] or max(2, round(fine.frames * fps / fine.fps / f["speed"])))
    if num_frames > MAX_FRAMES:
        raise ValueError(f"{fine.name}: a clip would have {num_frames} frames (fps {fps}, speed {f['speed']}, "
                         f"frames {f['frames']}); at most {MAX_FRAMES}")
    native = [_track(i, a) for i, a in enumerate(scene.actors)]
    # fitted on the native tracks, so retimed clips (speed, fps, frames) keep exactly the same camera
    cam = _frame_camera(native, view_direction(azimuth, elev), resolution, f["camera_distance"], scene.focus)
    tracks = [_retime(t, num_frames) for t in native]
    tracks += add_distractors(tracks, cam, int(f["distractors"]), f["distractor_motion"], pool,
                              np.random.default_rng([cseed, _STREAM_DISTRACTORS]))
    bg_list = f["background_list"] or f"set{fine.set}"
    bg = BackgroundSpec(
        kind=background, surface="backdrop" if rig == "front" else "ground", color=list(PLAIN_COLOR),
        image_list=bg_list if background == "realistic" else None,
        image=(clip_id - 1) % IMAGES_PER_LIST if background == "realistic" else None,
    )
    return ClipSpec(
        fine=fine.name, clip_id=clip_id, seed=cseed, global_seed=seed,
        factors={"camera": camera, "background": background, "objects": objects, "speed": f["speed"],
                 "colors": f["colors"], "camera_distance": f["camera_distance"],
                 "background_list": bg_list if background == "realistic" else None, "frames": f["frames"],
                 "distractors": int(f["distractors"]), "distractor_motion": f["distractor_motion"],
                 "lighting": f["lighting"]},
        fps=fps, num_frames=num_frames, resolution=resolution, objects=tracks,
        camera=CameraSpec(rig, cam.position, cam.target, cam.lens_mm, cam.sensor_mm),
        lights=default_lights(np.random.default_rng([cseed, _STREAM_LIGHTS]), (cam.position, cam.target),
                              f["lighting"], bg.surface == "ground"),
        background=bg,
    )


def _track(i: int, a) -> ObjectTrack:
    return ObjectTrack(id=i, shape=a.shape, morph_to=a.morph_to, role=a.role, material=a.material,
                       position=a.position, rotation=a.rotation, scale=a.scale, opacity=a.opacity,
                       color=a.color, morph=a.morph, exists=a.exists)


def _retime(track: ObjectTrack, num_frames: int) -> ObjectTrack:
    """Resample a track to ``num_frames`` (speed and fps factors); identity at the native length."""
    native = len(track.scale)
    if native == num_frames:
        return track
    t = np.linspace(0, native - 1, num_frames)
    lo = np.floor(t).astype(int)
    hi = np.minimum(lo + 1, native - 1)
    w = t - lo

    def lerp(x: np.ndarray) -> np.ndarray:
        ww = w.reshape((-1,) + (1,) * (x.ndim - 1))
        return x[lo] * (1 - ww) + x[hi] * ww

    return ObjectTrack(id=track.id, shape=track.shape, morph_to=track.morph_to, role=track.role,
                       material=track.material, position=lerp(track.position),
                       rotation=lerp(track.rotation), scale=lerp(track.scale), opacity=lerp(track.opacity),
                       color=lerp(track.color), morph=lerp(track.morph), exists=track.exists[np.rint(t).astype(int)])


def _frame_camera(tracks: list[ObjectTrack], direction: np.ndarray, resolution: tuple[int, int],
                  distance_scale: float, focus: np.ndarray | None = None):
    """Fit the camera to every frame in which an object exists and is not fully transparent, aimed at
    the motion program's ``focus`` if it chose one."""
    centres, radii = [], []
    for tr in tracks:
        shown = tr.exists & (tr.opacity > 0.01)
        r = get_shape(tr.shape).radius
        if tr.morph_to:
            r = max(r, get_shape(tr.morph_to).radius)
        centres.append(tr.position[shown])
        radii.append(r * tr.scale[shown])
    cam = fit_camera(direction, np.concatenate(centres), np.concatenate(radii), resolution, MIN_DISTANCE,
                     focus)
    if distance_scale != 1.0:
        cam = type(cam)(cam.target + (cam.position - cam.target) * distance_scale, cam.target, resolution)
    return cam
