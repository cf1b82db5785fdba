"""Background image lists for ``--background realistic``.

The default lists are the project's own scene images, ``assets/backgrounds/set1`` and ``set2`` (10 each,
tied to Set 1 and Set 2 like the reference). ``--backgrounds DIR`` uses any folder instead: its ``set1/``
and ``set2/`` subfolders if it has them, otherwise its images sorted by name and split in halves (which
reproduces the reference's own lists from its 20 images: castle … hotel, then inside_white_house …
warehouse). A clip uses image ``(clip_id - 1) % len(list)`` of its set's list.
"""
from __future__ import annotations

from math import ceil, floor
from pathlib import Path

import av

from synta.assets import ASSETS_DIR

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".exr"}
DEFAULT_DIR = ASSETS_DIR / "backgrounds"


class BackgroundError(ValueError):
    """A background folder that cannot be used (missing, unreadable, not images)."""


def _images(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    except OSError as err:
        raise BackgroundError(f"cannot read backgrounds folder {folder}: {err.strerror}") from None


def _check_image(path: Path) -> None:
    """Decode the image once, so a broken file fails here and not in a render worker."""
    try:
        with av.open(str(path)) as container:
            next(container.decode(video=0))
    except (av.error.FFmpegError, StopIteration, OSError, UnicodeDecodeError):
        raise BackgroundError(f"not a readable image: {path}") from None


def background_lists(folder: Path | None = None) -> dict[str, list[str]]:
    """``{"set1": [paths], "set2": [paths]}`` from ``folder`` (default: the shipped images), checked."""
    root = Path(folder) if folder is not None else DEFAULT_DIR
    if not root.is_dir():
        raise BackgroundError(f"backgrounds folder not found: {root}")
    if (root / "set1").is_dir() and (root / "set2").is_dir():
        lists = {"set1": _images(root / "set1"), "set2": _images(root / "set2")}
    else:
        images = _images(root)
        if len(images) < 2:
            raise BackgroundError(f"backgrounds folder {root} needs at least 2 images (found {len(images)})")
        half = (len(images) + 1) // 2
        lists = {"set1": images[:half], "set2": images[half:]}
    for name, paths in lists.items():
        if not paths:
            raise BackgroundError(f"backgrounds list {name} in {root} has no images")
        for p in paths:
            _check_image(p)
    return {name: [str(p.resolve()) for p in paths] for name, paths in lists.items()}


# Share of each shipped scene image's height, from the bottom edge, that shows ground or floor (below the
# horizon), read off the images; an orbit camera looks down on the ground, so only that part is laid there
# (no sky on the ground). Other images get DEFAULT_GROUND_SHARE.
GROUND_SHARE = {
    "alpine_meadow": 0.45, "castle_night": 0.25, "city_dusk": 0.7, "desert_dunes": 0.65, "galaxy_night": 0.15,
    "lava_field": 0.6, "pine_forest": 0.35, "red_canyon": 0.6, "snowy_field": 0.5, "sports_hall": 0.5,
    "cloudy_sky": 0.25, "kitchen": 0.4, "library": 0.4, "marble_hall": 0.4, "ocean": 0.45, "office": 0.5,
    "rainy_farm": 0.45, "storm_clouds": 0.3, "underwater": 0.6, "warehouse": 0.35,
}
DEFAULT_GROUND_SHARE = 0.4


def image_window(surface: str, name: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """The part of scene image ``name`` (file stem) laid on a surface, as UV corners ``((u0, v0), (u1, v1))``
    (v up): the whole image on a front-camera backdrop, the part below its horizon on the ground, the part
    above it on the ``"sky"`` backdrop beyond a ground seen up to its horizon."""
    share = GROUND_SHARE.get(name, DEFAULT_GROUND_SHARE)
    if surface == "ground":
        return (0.0, 0.0), (1.0, share)
    if surface == "sky":
        return (0.0, share), (1.0, 1.0)
    return (0.0, 0.0), (1.0, 1.0)


def cover_window(window: tuple[tuple[float, float], tuple[float, float]], image_aspect: float,
                 rect_aspect: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """The centred part of ``window`` (UV corners, as ``image_window``) that covers a rectangle of width /
    height ``rect_aspect`` without distorting the picture (``image_aspect``: the whole image's width /
    height): the window's proportions are ``a = (u1 - u0) / (v1 - v0) * image_aspect``; a wider rectangle
    keeps the full width and ``a / rect_aspect`` of the height, a narrower one the full height and
    ``rect_aspect / a`` of the width."""
    (u0, v0), (u1, v1) = window
    a = (u1 - u0) / (v1 - v0) * image_aspect
    sx, sy = (1.0, a / rect_aspect) if rect_aspect >= a else (rect_aspect / a, 1.0)
    du, dv = (u1 - u0) * (1 - sx) / 2, (v1 - v0) * (1 - sy) / 2
    return (u0 + du, v0 + dv), (u1 - du, v1 - dv)



Interval = tuple[float, float, float, float]  # plane coordinates x0, x1 and the UV coordinates there


def mirrored_tiles(picture: tuple[float, float], extent: tuple[float, float],
                   window: tuple[float, float]) -> list[Interval]:
    """Along one axis of a plane: the intervals that cover ``extent = (lo, hi)`` with copies of a picture
    laid on ``picture = (p0, p1)`` (UV ``window = (w0, w1)`` there), each copy mirrored across the edge
    it shares with the one before, so the picture continues without a seam (the ground runs on to the
    horizon at the picture's own scale). Copy ``k`` spans ``p0 + k L .. p0 + (k + 1) L`` (``L = p1 - p0``);
    a point at ``s = (x - p0) / L - k`` in it has UV ``w0 + (w1 - w0) s`` for even ``k``, ``w0 + (w1 - w0)
    (1 - s)`` for odd ``k``. The first and last copies are cut at ``lo`` and ``hi``."""
    (p0, p1), (lo, hi), (w0, w1) = picture, extent, window
    length = p1 - p0
    out = []
    for k in range(floor((lo - p0) / length), ceil((hi - p0) / length)):
        a, b = max(lo, p0 + k * length), min(hi, p0 + (k + 1) * length)
        sa, sb = (a - p0) / length - k, (b - p0) / length - k
        if k % 2:
            sa, sb = 1 - sa, 1 - sb
        out.append((a, b, w0 + (w1 - w0) * sa, w0 + (w1 - w0) * sb))
    return out
