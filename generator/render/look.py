"""What a rendered clip looks like, measured against its ClipSpec (no Blender): the figures of the look
benchmark (``benchmarks/render_look.py``) and of the render tests.

Object pixels come from the exact silhouette of each object's mesh, rasterised with the clip's camera
(eroded by a pixel, so edges blended with the background and the codec's chroma bleed do not count).
Shadow pixels come from the key light's shadow of the mesh on the ground plane ``z = 0``. Luminance is
display luma (Rec. 709 weights on sRGB-encoded values), the way a viewer sees the frame.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from synta.generator.annotations import euler_xyz, world_vertices
from synta.generator.camera import project
from synta.generator.clip_spec import ClipSpec, ObjectTrack
from synta.generator.shapes import get_shape

LUMA = np.array([0.2126, 0.7152, 0.0722])
MIN_PIXELS = 6  # fewer mask pixels than this give no reliable median


def srgb(linear: np.ndarray) -> np.ndarray:
    """sRGB encoding of linear values in [0, 1] (what a Standard view transform writes)."""
    c = np.clip(np.asarray(linear, dtype=float), 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def linear(encoded: np.ndarray) -> np.ndarray:
    """Linear values of sRGB-encoded ones in [0, 1] (the inverse of :func:`srgb`)."""
    c = np.clip(np.asarray(encoded, dtype=float), 0.0, 1.0)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def luma(rgb: np.ndarray) -> np.ndarray:
    """Display luma of sRGB-encoded colours ``(..., 3)`` in [0, 1]."""
    return np.asarray(rgb, dtype=float) @ LUMA


def key_light_direction(spec: ClipSpec) -> np.ndarray | None:
    """Unit direction the key (sun) light travels in, or None when the clip's sun casts no shadow."""
    sun = next((light for light in spec.lights if light.kind == "SUN"), None)
    if sun is None or not sun.shadow:
        return None
    return euler_xyz(np.array([sun.rotation]))[0] @ np.array([0.0, 0.0, -1.0])


def _faces(track: ObjectTrack) -> np.ndarray:
    """Faces indexing ``world_vertices(track)`` (both shapes while it morphs)."""
    faces = get_shape(track.shape).faces
    if track.morph_to:
        faces = np.concatenate([faces, get_shape(track.morph_to).faces + len(get_shape(track.shape).vertices)])
    return faces


def _polygons_mask(uv: np.ndarray, polygons: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    img = Image.new("1", size, 0)
    draw = ImageDraw.Draw(img)
    for poly in polygons:
        draw.polygon([tuple(p) for p in uv[poly]], fill=1)
    return np.asarray(img, dtype=bool)


def object_masks(spec: ClipSpec, t: int) -> list[np.ndarray | None]:
    """Per object, its silhouette in frame ``t`` (None when it is hidden, behind the camera or see-through)."""
    cam = spec.camera_model()
    k, w2c = cam.intrinsics(), cam.world_to_camera()
    out: list[np.ndarray | None] = []
    for tr in spec.objects:
        if not tr.exists[t] or tr.opacity[t] < 0.95 or tr.scale[t] < 1e-4:
            out.append(None)
            continue
        uv, depth = project(world_vertices(tr)[t], k, w2c)
        out.append(_polygons_mask(uv, _faces(tr), spec.resolution) if depth.min() > 1e-3 else None)
    return out


def shadow_mask(spec: ClipSpec, track: ObjectTrack, t: int, direction: np.ndarray) -> np.ndarray | None:
    """Where ``track`` shadows the ground ``z = 0`` in frame ``t`` (its mesh projected along the light)."""
    if direction[2] >= -1e-3 or not track.exists[t]:
        return None
    verts = world_vertices(track)[t]
    ground = verts - direction[None, :] * (verts[:, 2:3] / direction[2])
    try:
        hull = ConvexHull(ground[:, :2])
    except QhullError:
        return None
    cam = spec.camera_model()
    uv, depth = project(ground[hull.vertices], cam.intrinsics(), cam.world_to_camera())
    if depth.min() <= 1e-3:
        return None
    return _polygons_mask(uv, np.arange(len(uv))[None, :], spec.resolution)


@dataclass
class ClipLook:
    """The look figures of one clip (lists hold one value per measured object-frame or frame)."""

    object_ratio: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (shape, material)
    shadow_darkness: list[float] = field(default_factory=list)
    backdrop_ratio: list[float] = field(default_factory=list)


def measure_clip(spec: ClipSpec, video: np.ndarray, reference_luma: float, frames: list[int] | None = None) -> ClipLook:
    """Look figures of ``video`` (``(T, H, W, 3)`` uint8 RGB) rendered from ``spec``.

    ``reference_luma``: the display luma the backdrop or ground should show away from objects (the plain
    colour's, or the mean of the scene image's part laid on it).
    """
    look = ClipLook()
    img = video.astype(float) / 255.0
    y = luma(img)
    direction = key_light_direction(spec) if spec.background.surface == "ground" else None
    for t in frames if frames is not None else range(len(video)):
        masks = object_masks(spec, t)
        shown = [m for m in masks if m is not None]
        anything = np.logical_or.reduce(shown) if shown else np.zeros(y.shape[1:], bool)
        overlap = np.sum(shown, axis=0) > 1 if len(shown) > 1 else np.zeros_like(anything)
        near_objects = ndimage.binary_dilation(anything, iterations=3)
        for tr, m in zip(spec.objects, masks):
            if m is None:
                continue
            core = ndimage.binary_erosion(m & ~overlap, iterations=1)
            if core.sum() >= MIN_PIXELS:
                want = float(luma(srgb(tr.color[t])))
                look.object_ratio.setdefault((tr.shape, tr.material), []).append(
                    float(np.median(y[t][core])) / max(want, 1e-3))
        shadows = []
        if direction is not None:
            shadows = [s for tr in spec.objects if (s := shadow_mask(spec, tr, t, direction)) is not None]
        any_shadow = np.logical_or.reduce(shadows) if shadows else np.zeros_like(anything)
        for s in shadows:
            inner = ndimage.binary_erosion(s, iterations=1) & ~near_objects
            reach = max(3, int(round(0.5 * np.sqrt(max(s.sum(), 1)))))
            ring = ndimage.binary_dilation(s, iterations=reach) & ~ndimage.binary_dilation(any_shadow, iterations=2)
            ring &= ~near_objects
            if inner.sum() >= MIN_PIXELS and ring.sum() >= MIN_PIXELS:
                look.shadow_darkness.append(1.0 - float(np.median(y[t][inner])) / max(float(np.median(y[t][ring])), 1e-3))
        away = ~ndimage.binary_dilation(anything | any_shadow, iterations=6)
        if away.sum() >= MIN_PIXELS:
            look.backdrop_ratio.append(float(y[t][away].mean()) / max(reference_luma, 1e-3))
    return look


def shown_luma(pixels: np.ndarray, size: tuple[int, int]) -> float:
    """Mean display luma of an sRGB image ``(H, W, 3)`` in [0, 1] as a renderer shows it ``size`` = (w, h)
    pixels large: each output pixel averages its footprint in linear light (texture filtering), then is
    encoded. On a sparse bright pattern (a star field) this is well above the mean of the encoded values;
    on smooth images the two agree."""
    h, w = pixels.shape[:2]
    k = max(1, int(min(h / size[1], w / size[0])))  # image pixels per output pixel along each side
    lin = linear(pixels[: h - h % k, : w - w % k])
    blocks = lin.reshape(lin.shape[0] // k, k, lin.shape[1] // k, k, 3).mean(axis=(1, 3))
    return float(luma(srgb(blocks)).mean())
