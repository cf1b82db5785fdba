"""What a rendered clip looks like, measured against its ClipSpec (no Blender): the figures of the look
benchmark (``benchmarks/render_look.py``) and of the render tests.

Object pixels come from the exact silhouette of each object's mesh, rasterised with the clip's camera
(eroded by a pixel, so edges blended with the background and the codec's chroma bleed do not count).
Shadow pixels come from the key light's shadow of the mesh on the ground plane ``z = 0``. What the
background should show comes from the same planes the renderer builds (``layout.py``), with the scene
image read where each pixel's ray meets them. Luminance is display luma (Rec. 709 weights on sRGB-encoded
values), the way a viewer sees the frame.
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
from synta.generator.lighting import key_light
from synta.generator.render.layout import CLIP_END, background_planes, camera_rays
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
    sun = key_light(spec.lights)
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
    top_step: list[float] = field(default_factory=list)  # |top-eighth ratio - next-eighth ratio| per frame


def measure_clip(spec: ClipSpec, video: np.ndarray, reference: np.ndarray, frames: list[int] | None = None) -> ClipLook:
    """Look figures of ``video`` (``(T, H, W, 3)`` uint8 RGB) rendered from ``spec``.

    ``reference``: per pixel, the display luma the background should show (``background_reference``);
    the backdrop figure compares the mean luma away from objects and shadows with its mean there.
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
            shadows = [(tr, s) for tr in spec.objects if (s := shadow_mask(spec, tr, t, direction)) is not None]
        any_shadow = np.logical_or.reduce([s for _, s in shadows]) if shadows else np.zeros_like(anything)
        for tr, s in shadows:
            if tr.opacity[t] < 0.95:
                continue  # a see-through object's shadow is as faint as it is (kept out of the rings, not measured)
            inner = ndimage.binary_erosion(s, iterations=1) & ~near_objects
            reach = max(3, int(round(0.5 * np.sqrt(max(s.sum(), 1)))))
            ring = ndimage.binary_dilation(s, iterations=reach) & ~ndimage.binary_dilation(any_shadow, iterations=2)
            ring &= ~near_objects
            if inner.sum() >= MIN_PIXELS and ring.sum() >= MIN_PIXELS:
                look.shadow_darkness.append(1.0 - float(np.median(y[t][inner])) / max(float(np.median(y[t][ring])), 1e-3))
        away = ~ndimage.binary_dilation(anything | any_shadow, iterations=6) & ~np.isnan(reference)
        if away.sum() >= MIN_PIXELS:
            look.backdrop_ratio.append(float(y[t][away].mean()) / max(float(reference[away].mean()), 1e-3))
        # a band across the top of the frame (a surface ending, the world colour showing) is a step in the
        # shown / should-show ratio between the top eighth of the rows and the eighth below it
        e = max(1, y.shape[1] // 8)
        bands = [(slice(0, e), away[:e]), (slice(e, 2 * e), away[e:2 * e])]
        if all(m.sum() >= MIN_PIXELS for _, m in bands):
            top, below = (float(y[t][rows][m].mean()) / max(float(reference[rows][m].mean()), 1e-3) for rows, m in bands)
            look.top_step.append(abs(top - below))
    return look


def background_reference(spec: ClipSpec, image: np.ndarray | None = None, image_name: str | None = None) -> np.ndarray:
    """Display luma ``(H, W)`` that each pixel of ``spec``'s frame should show where it sees the background
    (``layout.background_planes``) at the picture's own brightness; NaN where it sees none.

    Plain backgrounds show their colour. For a scene image (sRGB ``(h, w, 3)`` in [0, 1], file stem
    ``image_name``), each pixel's ray is followed to the plane it meets first and the image is read at that
    point's UV, filtered like a GPU texture: at the mip level (2x2 means in linear light) whose texels match
    the pixel's footprint on the image, so a far, minified ground shows its average, not aliasing.
    """
    w, h = spec.resolution
    if image is None:
        return np.full((h, w), float(luma(srgb(spec.background.color))))
    ih, iw = image.shape[:2]
    planes = background_planes(spec, image_name, iw / ih)
    gx, gy = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    rays = camera_rays(spec, np.c_[gx.ravel(), gy.ravel()])
    best_t, uv = np.full(len(rays), np.inf), np.full((len(rays), 2), np.nan)
    for plane in planes:
        denom = rays @ plane.normal
        with np.errstate(divide="ignore", invalid="ignore"):
            t = ((plane.origin - spec.camera.position) @ plane.normal) / denom
        t = np.where(np.isfinite(t) & (t > 0) & (t < CLIP_END), t, np.inf)
        rel = spec.camera.position + np.where(np.isfinite(t), t, 0.0)[:, None] * rays - plane.origin
        here = plane.uv_at(np.c_[rel @ plane.u, rel @ plane.v])
        nearer = (t < best_t) & ~np.isnan(here[:, 0])
        best_t[nearer], uv[nearer] = t[nearer], here[nearer]
    uv = uv.reshape(h, w, 2)
    texels = uv * np.array([iw, ih])
    # a pixel's footprint in texels: the larger UV step to a neighbouring pixel, either side, along x or y
    steps = [np.abs(np.diff(texels, axis=a, prepend=np.nan)) for a in (0, 1)]
    steps += [np.abs(np.diff(texels, axis=a, append=np.nan)) for a in (0, 1)]
    footprint = np.max(np.stack([np.nan_to_num(np.linalg.norm(d, axis=-1)) for d in steps]), axis=0)
    seen = ~np.isnan(uv[..., 0])
    out = np.full((h, w), np.nan)
    out[seen] = luma(srgb(sample_filtered(linear(image), uv[seen], footprint[seen])))
    return out


def sample_filtered(image_linear: np.ndarray, uv: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """Linear RGB ``(N, 3)`` of ``image_linear`` ``(h, w, 3)`` at UVs ``(N, 2)`` (v up), read at mip level
    ``round(log2(footprint))`` (footprint in texels of level 0), nearest texel."""
    levels = [image_linear]
    while min(levels[-1].shape[:2]) >= 2:
        a = levels[-1]
        a = a[: a.shape[0] // 2 * 2, : a.shape[1] // 2 * 2]
        levels.append(a.reshape(a.shape[0] // 2, 2, a.shape[1] // 2, 2, 3).mean(axis=(1, 3)))
    level = np.clip(np.round(np.log2(np.maximum(footprint, 1.0))).astype(int), 0, len(levels) - 1)
    out = np.empty((len(uv), 3))
    for k in np.unique(level):
        sel = level == k
        img = levels[k]
        rows = np.clip(((1.0 - uv[sel, 1]) * img.shape[0]).astype(int), 0, img.shape[0] - 1)
        cols = np.clip((uv[sel, 0] * img.shape[1]).astype(int), 0, img.shape[1] - 1)
        out[sel] = img[rows, cols]
    return out
