"""Distractor objects (the ``distractors`` factor): bystanders that stand still or drift across the
ground while the clip's motion plays, never touching, hiding or being hidden by its objects.

They are placed after the camera is fitted to the clip's own objects, from a random stream of their
own, so a clip with distractors has exactly the camera, objects and tracks of the clip without them.
"""
from __future__ import annotations

import numpy as np

from synta.generator.annotations import world_vertices
from synta.generator.camera import Camera, project
from synta.generator.clip_spec import ObjectTrack
from synta.generator.motions.primitives import EASINGS
from synta.generator.shapes import get_shape

MOTIONS = ("still", "moving")
MAX_TRIES = 400  # placements tried per distractor before giving up on it
EDGE = 0.04  # fraction of the image kept free at its borders
GAP = 4.0  # pixels between a distractor's box and any other object's box, in every frame
MIN_TRAVEL = 3.0  # world units a moving distractor covers at least


def add_distractors(tracks: list[ObjectTrack], cam: Camera, count: int, motion: str, pool: list[str],
                    rng: np.random.Generator) -> list[ObjectTrack]:
    """``count`` distractor tracks (role ``"distractor"``) for a clip whose objects are ``tracks``.

    Each stands on the ground somewhere the camera sees; a ``"moving"`` one glides between two such
    spots over the whole clip. In every frame its pixel box stays inside the image and clear of every
    other object's box. Where no such place is found (a crowded frame) fewer are returned.
    """
    if motion not in MOTIONS:
        raise ValueError(f"distractor_motion must be one of {MOTIONS}, got {motion!r}")
    if count == 0:
        return []
    num_frames = len(tracks[0].scale)
    taken = [_boxes(t, cam) for t in tracks]
    rot, k = cam.rotation(), cam.intrinsics()
    pixel_to_ray = rot.T @ np.linalg.inv(k)  # world direction through a pixel
    out: list[ObjectTrack] = []
    for _ in range(count):
        for _ in range(MAX_TRIES):
            track = _candidate(len(tracks) + len(out), cam, pixel_to_ray, motion, pool, num_frames, rng)
            if track is None:
                continue
            boxes = _sphere_boxes(track, cam.position, rot, k)
            if _inside(boxes, cam.resolution) and not any(_overlap(boxes, other) for other in taken):
                out.append(track)
                taken.append(boxes)
                break
    return out


def _candidate(obj_id: int, cam: Camera, pixel_to_ray: np.ndarray, motion: str, pool: list[str], num_frames: int,
               rng: np.random.Generator) -> ObjectTrack | None:
    shape = pool[int(rng.integers(len(pool)))]
    scale = float(rng.uniform(0.6, 0.9))
    z = get_shape(shape).half_height * scale
    start = _ground_point(cam, pixel_to_ray, z, rng)
    end = start if motion == "still" else _ground_point(cam, pixel_to_ray, z, rng)
    if start is None or end is None or (motion == "moving" and np.linalg.norm(end - start) < MIN_TRAVEL):
        return None
    u = EASINGS["smooth"](np.linspace(0.0, 1.0, num_frames))[:, None]
    return ObjectTrack(
        id=obj_id, shape=shape, role="distractor", material="glossy", position=start + (end - start) * u,
        rotation=np.tile([0.0, 0.0, rng.uniform(0, 2 * np.pi)], (num_frames, 1)),
        scale=np.full(num_frames, scale), opacity=np.ones(num_frames),
        color=np.tile(rng.uniform(0.1, 1.0, 3), (num_frames, 1)), morph=np.zeros(num_frames),
        exists=np.ones(num_frames, dtype=bool))


def _ground_point(cam: Camera, pixel_to_ray: np.ndarray, z: float, rng: np.random.Generator) -> np.ndarray | None:
    """Where the ray through a random pixel meets the plane at height ``z`` (None: it misses it, or
    meets it further than twice the camera's distance from its target)."""
    w, h = cam.resolution
    pixel = np.array([rng.uniform(EDGE * w, (1 - EDGE) * w), rng.uniform(EDGE * h, (1 - EDGE) * h), 1.0])
    ray = pixel_to_ray @ pixel
    if ray[2] >= -1e-6:
        return None
    hit = cam.position + ray * (z - cam.position[2]) / ray[2]
    if np.linalg.norm(hit - cam.target) > 2 * np.linalg.norm(cam.position - cam.target):
        return None
    return hit


def _boxes(track: ObjectTrack, cam: Camera) -> np.ndarray:
    """Pixel boxes ``(T, 4)`` of the object, NaN in frames where it does not exist or is invisible."""
    uv, _ = project(world_vertices(track), cam.intrinsics(), cam.world_to_camera())
    boxes = np.concatenate([uv.min(axis=1), uv.max(axis=1)], axis=1)
    boxes[~track.exists | (track.opacity <= 0.01)] = np.nan
    return boxes


def _sphere_boxes(track: ObjectTrack, cam_position: np.ndarray, rotation: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Pixel boxes ``(T, 4)`` of the object's bounding sphere for a camera at ``cam_position`` with
    ``rotation`` and intrinsics ``k``: exact for the sphere, so they hold the object's own boxes, and much
    cheaper than projecting every vertex of every candidate."""
    r = get_shape(track.shape).radius * track.scale
    c = (track.position - cam_position) @ rotation.T  # camera coordinates (x right, y down, z forward)
    z2 = np.maximum(c[:, 2] ** 2 - r**2, 1e-9)  # a sphere around the camera has no box: never accepted
    out = []
    for axis, (f, centre) in enumerate(((k[0, 0], k[0, 2]), (k[1, 1], k[1, 2]))):
        # the two planes through the camera tangent to the sphere, seen along this image axis
        x = c[:, axis]
        spread = r * np.sqrt(np.maximum(x**2 + c[:, 2] ** 2 - r**2, 0.0))
        out.append((centre + f * (x * c[:, 2] - spread) / z2, centre + f * (x * c[:, 2] + spread) / z2))
    boxes = np.stack([out[0][0], out[1][0], out[0][1], out[1][1]], axis=1)
    boxes[c[:, 2] <= r] = np.nan
    return boxes


def _inside(boxes: np.ndarray, resolution: tuple[int, int]) -> bool:
    w, h = resolution
    return bool((boxes[:, :2] >= EDGE * np.array([w, h])).all()
                and (boxes[:, 2:] <= (1 - EDGE) * np.array([w, h])).all())


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Do boxes ``a`` and ``b`` come within GAP pixels of each other in any frame? (NaN: never)."""
    with np.errstate(invalid="ignore"):
        apart = ((a[:, 2] + GAP < b[:, 0]) | (b[:, 2] + GAP < a[:, 0])
                 | (a[:, 3] + GAP < b[:, 1]) | (b[:, 3] + GAP < a[:, 1]))
    both = ~np.isnan(a[:, 0]) & ~np.isnan(b[:, 0])
    return bool((both & ~apart).any())
