"""Background image lists for ``--background realistic``.

The default lists are the project's own scene images, ``assets/backgrounds/set1`` and ``set2`` (10 each,
tied to Set 1 and Set 2 like the reference). ``--backgrounds DIR`` uses any folder instead: its ``set1/``
and ``set2/`` subfolders if it has them, otherwise its images sorted by name and split in halves (which
reproduces the reference's own lists from its 20 images: castle … hotel, then inside_white_house …
warehouse). A clip uses image ``(clip_id - 1) % len(list)`` of its set's list.
"""
from __future__ import annotations

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


def image_window(surface: str, name: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """The part of a scene image laid on a surface, as UV corners ``((u0, v0), (u1, v1))`` (v up)."""
    return (0.0, 0.0), (1.0, 1.0)
