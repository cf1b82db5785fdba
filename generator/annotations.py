"""Exact per-frame annotations of a clip, computed from its ClipSpec and the camera model (no Blender).

``sidecar(spec)`` is the JSON the renderer writes next to each video (docs/design.md#sidecar-schema): per object and
frame the world position, scale, opacity, colour, visibility and the pixel bounding box of the real geometry.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from synta import __version__
from synta.generator.camera import project
from synta.generator.clip_spec import SCHEMA_VERSION, ClipSpec, ObjectTrack
from synta.generator.shapes import get_shape
from synta.generator.taxonomy import load_taxonomy

VISIBLE_OPACITY = 0.05  # below this an object counts as invisible


def euler_xyz(rot: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(T, 3, 3)`` from XYZ Euler angles ``(T, 3)`` (Blender's default order)."""
    cx, cy, cz = np.cos(rot).T
    sx, sy, sz = np.sin(rot).T
    one, zero = np.ones_like(cx), np.zeros_like(cx)
    rx = np.stack([one, zero, zero, zero, cx, -sx, zero, sx, cx], -1).reshape(-1, 3, 3)
    ry = np.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], -1).reshape(-1, 3, 3)
    rz = np.stack([cz, -sz, zero, sz, cz, zero, zero, zero, one], -1).reshape(-1, 3, 3)
    return rz @ ry @ rx


def world_vertices(obj: ObjectTrack) -> np.ndarray:
    """World coordinates ``(T, V, 3)`` of the object's mesh vertices in every frame (both shapes
    while it morphs, each scaled by its share of the morph)."""
    rot = euler_xyz(obj.rotation)
    parts = [(get_shape(obj.shape).vertices, obj.scale * (1 - obj.morph))]
    if obj.morph_to:
        parts.append((get_shape(obj.morph_to).vertices, obj.scale * obj.morph))
    out = []
    for verts, scale in parts:
        local = np.einsum("tij,vj->tvi", rot, verts) * scale[:, None, None]
        out.append(local + obj.position[:, None, :])
    return np.concatenate(out, axis=1)


def object_boxes(spec: ClipSpec, obj: ObjectTrack) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unclipped pixel boxes ``(T, 4)``, whether each lies wholly in the image ``(T,)`` and the centre's
    camera depth ``(T,)``."""
    cam = spec.camera_model()
    k, w2c = cam.intrinsics(), cam.world_to_camera()
    uv, depth = project(world_vertices(obj), k, w2c)
    boxes = np.concatenate([uv.min(axis=1), uv.max(axis=1)], axis=1)
    w, h = spec.resolution
    in_front = depth.min(axis=1) > 1e-3
    inside = in_front & (boxes[:, 0] >= 0) & (boxes[:, 1] >= 0) & (boxes[:, 2] <= w) & (boxes[:, 3] <= h)
    _, centre_depth = project(obj.position, k, w2c)
    boxes[~in_front] = np.nan
    return boxes, inside, centre_depth


def sidecar(spec: ClipSpec) -> dict[str, Any]:
    """The per-clip sidecar dict (schema in docs/design.md#sidecar-schema), exactly what the renderer writes as JSON."""
    fine = load_taxonomy().fine_class(spec.fine)
    cam = spec.camera_model()
    w, h = spec.resolution
    objects = []
    for obj in spec.objects:
        boxes, inside, depth = object_boxes(spec, obj)
        clipped = np.stack([np.clip(boxes[:, 0], 0, w), np.clip(boxes[:, 1], 0, h),
                            np.clip(boxes[:, 2], 0, w), np.clip(boxes[:, 3], 0, h)], axis=1)
        on_screen = ~np.isnan(boxes[:, 0]) & (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
        visible = obj.exists & (obj.opacity >= VISIBLE_OPACITY) & on_screen
        clipped = np.round(clipped, 2)
        frames = [
            {
                "t": t,
                "position": obj.position[t].tolist(),
                "scale": float(obj.scale[t]),
                "opacity": float(obj.opacity[t]) if obj.exists[t] else 0.0,
                "color": obj.color[t].tolist(),
                "morph": float(obj.morph[t]),
                "exists": bool(obj.exists[t]),
                "visible": bool(visible[t]),
                "in_frame": bool(inside[t]),
                "depth": round(float(depth[t]), 4),
                "bbox": clipped[t].tolist() if visible[t] else None,
            }
            for t in range(spec.num_frames)
        ]
        objects.append({"id": obj.id, "shape": obj.shape, "morph_to": obj.morph_to, "role": obj.role,
                        "material": obj.material, "color": obj.color[0].tolist(), "frames": frames})
    return {
        "schema": SCHEMA_VERSION,
        "clip": spec.stem,
        "coarse": {"id": fine.coarse, "name": fine.coarse_name},
        "fine": {"name": fine.name, "set": fine.set, "intra": fine.intra, "index": fine.index, "label": fine.label},
        "clip_id": spec.clip_id,
        "seed": spec.seed,
        "global_seed": spec.global_seed,
        "factors": dict(spec.factors),
        "fps": spec.fps,
        "num_frames": spec.num_frames,
        "resolution": [w, h],
        "camera": {"rig": spec.camera.rig, "intrinsics": np.round(cam.intrinsics(), 6).tolist(),
                   "world_to_camera": np.round(cam.world_to_camera(), 6).tolist(),
                   "convention": "opencv: x right, y down, z forward; pixels from the top-left corner"},
        "objects": objects,
        "versions": {"synta": __version__, "sidecar_schema": SCHEMA_VERSION},
    }
