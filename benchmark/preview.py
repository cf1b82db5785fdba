"""``synta preview``: look at a dataset or an ablation — contact sheet, animated GIF grid, HTML gallery.

A *selection* is a list of clips (``per_class`` per fine class, optionally only some classes) and, for an
ablation shown side by side, the variants as columns: the same clip (same relative path) in every
variant's dataset. The contact sheet has one row per clip: its label (fine name, caption, set, camera),
a *path* thumbnail (the last frame with each object's on-screen path, from the sidecar, where there is
one) and frames evenly spaced from first to last. Side by side, each row holds one strip per variant.
The GIF plays every cell at the same relative time, so clips of different lengths loop together. The
HTML gallery plays the MP4s themselves (H.264, which Chromium, Firefox and Safari decode).

Every path here comes from a data file (a manifest row, a variant of ``ablation.json``), so it is checked
before it is used: a variant's folder must lie inside the ablation's folder, and a video copied into a
gallery must resolve (symlinks followed) inside its dataset root and land inside the gallery folder, or the
preview stops with an :class:`~synta.errors.InputError` naming the file and row. Only regular files are
opened (a FIFO named ``.mp4`` would block a read for ever).
"""
from __future__ import annotations

import html
import io
import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from synta.benchmark.data.labels import FineLabel
from synta.benchmark.data.manifest import Manifest, Video, read_manifest
from synta.benchmark.data.video import DecodeError, VideoReader
from synta.errors import InputError
from synta.files import make_folder, read_text_input, write_atomic
from synta.generator.ablation import INDEX_NAME, read_index
from synta.paths import PathEscapeError, inside, slug

LABEL_WIDTH = 300  # pixels of the label column of the contact sheet
PAD = 4  # pixels between thumbnails
BACKGROUND, INK, MUTED = (255, 255, 255), (20, 20, 20), (110, 110, 110)
TRAIL_COLORS = ((230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240))


@dataclass(frozen=True)
class Clip:
    """One clip to show: where it is in each column, and its label."""

    key: str  # path relative to the dataset root (the same in every variant of an ablation)
    name: str  # fine class name (``orbiting3``)
    caption: str  # fine class label text
    meta: str  # set, camera, clip id
    paths: tuple[Path, ...]  # one per column
    row: str  # where the clip was read (``<manifest>:<line>``), for error messages


@dataclass(frozen=True)
class Selection:
    """Clips (rows) and columns (variant names; one unnamed column for a single dataset)."""

    columns: tuple[str, ...]
    clips: tuple[Clip, ...]
    roots: tuple[Path, ...]  # each column's dataset root, which its copied videos must stay inside


def select(source: Path, classes: list[str] | None = None, per_class: int = 1,
           side_by_side: bool = False) -> Selection:
    """The clips to preview from a dataset folder, a manifest CSV, or an ablation (folder or index).

    An ablation shows its reference variant, or every variant with ``side_by_side``. ``classes`` are fine
    or coarse class names (``orbiting3``, ``orbiting``, ``changing color``) or coarse ids. Raises
    ValueError for a source without clips, an unknown class or side by side without an ablation, and
    :class:`InputError` for a variant that is malformed or whose folder lies outside the ablation's.
    """
    source = Path(source)
    if (source / INDEX_NAME).is_file() or source.name == INDEX_NAME:
        root, index = read_index(source)
        variants = _variants(root, index["variants"])
        if not side_by_side:
            variants = [v for v in variants if v[0] == index.get("reference")] or variants[:1]
        columns = tuple(name for name, _ in variants)
        roots = [folder for _, folder in variants]
    elif side_by_side:
        raise ValueError(f"--side-by-side needs an ablation (a folder with {INDEX_NAME}), got {source}")
    else:
        columns, roots = ("",), [source]
    try:
        manifest = read_manifest(roots[0])
    except (FileNotFoundError, ValueError) as err:
        raise ValueError(f"cannot read the clips of {roots[0]}: {err}") from None
    chosen = _by_class(manifest, classes, per_class)
    if not chosen:
        raise ValueError(f"{roots[0]} has no finished clips to preview")
    csv_path = roots[0] / "manifest.csv" if roots[0].is_dir() else roots[0]
    clips = []
    for line, v, fine in chosen:
        meta = f"Set {v.set}" + (f" · {v.extra['camera']} camera" if v.extra.get("camera") else "") \
            + (f" · clip {v.extra['clip_id']}" if v.extra.get("clip_id") else "")
        paths = (manifest.resolve(v),) + tuple(r / v.path for r in roots[1:])  # variants: same relative path
        clips.append(Clip(v.path, fine.name if fine else str(v.fine), fine.caption if fine else "", meta, paths,
                          f"{csv_path}:{line}"))
    return Selection(columns, tuple(clips), (manifest.root, *roots[1:]))


def _variants(root: Path, variants: list) -> list[tuple[str, Path]]:
    """``(name, dataset folder)`` of each variant of the ablation in ``root``, each folder checked to lie
    inside ``root`` (symlinks followed); :class:`InputError` naming the index and the variant otherwise."""
    out = []
    for i, v in enumerate(variants):
        where = f"{root / INDEX_NAME}: variants[{i}]"
        if not isinstance(v, dict) or not isinstance(v.get("name"), str) or not isinstance(v.get("dir"), str):
            raise InputError(f"{where}: expected {{\"name\": ..., \"dir\": ...}} strings")
        try:
            out.append((v["name"], inside(root, v["dir"])))
        except PathEscapeError as err:
            raise InputError(f"{where}: {err}") from None
    return out


def _by_class(manifest: Manifest, classes: list[str] | None,
              per_class: int) -> list[tuple[int, Video, FineLabel | None]]:
    """``(CSV line, video, fine class)`` of the first ``per_class`` videos of each (wanted) fine class, in
    manifest order (line 1 is the header; a manifest row is one line)."""
    wanted = _class_filter(manifest, classes) if classes else None
    counts: dict[tuple[int, int], int] = {}
    chosen = []
    for line, v in enumerate(manifest.videos, start=2):
        fine = manifest.fine_class(v)
        key = (v.set, v.fine)
        if wanted is not None and key not in wanted:
            continue
        if counts.get(key, 0) < per_class:
            counts[key] = counts.get(key, 0) + 1
            chosen.append((line, v, fine))
    return chosen


def _class_filter(manifest: Manifest, names: list[str]) -> set[tuple[int, int]]:
    """(set, fine index) of the fine classes named, or under the coarse classes named."""
    def norm(text: str) -> str:
        return text.strip().lower().replace("_", " ")

    coarse = {norm(name): i for i, name in enumerate(manifest.classes.coarse)}
    keep: set[tuple[int, int]] = set()
    for name in names:
        n = norm(name)
        fine = [f for f in manifest.classes.fine if norm(f.name) == n]
        parent = int(n) if n.isdigit() else coarse.get(n)
        if parent is not None:
            fine += [f for f in manifest.classes.fine if f.coarse == parent]
        if not fine:
            raise ValueError(f"no class {name!r} in {manifest.dataset} (fine or coarse name, or coarse id)")
        keep |= {(f.set, f.index) for f in fine}
    return keep


# -- frames -----------------------------------------------------------------------------------------

def frame_indices(num_frames: int, count: int) -> list[int]:
    """``count`` frame numbers evenly spaced from the first to the last frame."""
    return [int(i) for i in np.linspace(0, max(num_frames - 1, 0), count).round()]


def read_frames(path: Path, count: int, height: int) -> tuple[list[Image.Image], str | None]:
    """``count`` evenly spaced frames of a video as thumbnails ``height`` pixels high at 16:9 (the frame
    fitted inside, centred), or grey placeholders and the reason when it does not decode."""
    size = (_width(height), height)
    try:
        with VideoReader(path, max_short_side=height) as reader:
            n = reader.num_frames or reader.count()
            frames = reader.read(frame_indices(n, count))
    except (DecodeError, ValueError) as err:
        return [Image.new("RGB", size, (200, 200, 200)) for _ in range(count)], str(err)
    return [_fit(Image.fromarray(f), size) for f in frames], None


def _width(height: int) -> int:
    return 2 * round(height * 16 / 9 / 2)


def _fit(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` scaled to fit ``size`` and centred on black (letterboxed when its aspect differs)."""
    if image.size == size:
        return image
    scale = min(size[0] / image.width, size[1] / image.height)
    image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                         Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", size, (0, 0, 0))
    canvas.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    return canvas


def trail(path: Path, last: Image.Image) -> Image.Image | None:
    """The last frame, faded, with what each object did (from the clip's sidecar): a thin box where it
    was first seen, a thick box where it was last seen, and its on-screen path from a ring at its start
    with arrowheads showing the direction. None when the clip has no sidecar."""
    side = path.with_suffix(".json")
    try:
        sc = json.loads(read_text_input(side))  # regular files only: a FIFO must not block the preview
        w, h = sc["resolution"]
        objects = [o for o in sc["objects"] if o.get("role") != "prop"]  # stairs and walls do not move
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # InputError is a ValueError
        return None
    scale = min(last.width / w, last.height / h)
    off = np.array([(last.width - w * scale) / 2, (last.height - h * scale) / 2] * 2)
    img = Image.blend(last, Image.new("RGB", last.size, (255, 255, 255)), 0.45)
    draw = ImageDraw.Draw(img)
    r = max(2.5, last.height / 26)
    for i, obj in enumerate(objects):
        boxes = np.array([off + np.asarray(f["bbox"]) * scale for f in obj["frames"] if f.get("bbox")])
        if not len(boxes):
            continue
        color = TRAIL_COLORS[i % len(TRAIL_COLORS)]
        draw.rectangle(tuple(boxes[0]), outline=color, width=1)
        draw.rectangle(tuple(boxes[-1]), outline=color, width=2)
        pts = (boxes[:, :2] + boxes[:, 2:]) / 2
        arrows = _arrows(pts, min_length=last.height / 8)
        if not arrows:  # it hardly moves on screen: the two boxes tell the story (growing, fading, ...)
            continue
        xy = [tuple(p) for p in pts]
        draw.line(xy, fill=(0, 0, 0), width=4, joint="curve")
        draw.line(xy, fill=color, width=2, joint="curve")
        x, y = xy[0]
        draw.ellipse((x - r, y - r, x + r, y + r), outline=(0, 0, 0), width=3)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=color, width=1)
        for tip, direction in arrows:
            normal = np.array([-direction[1], direction[0]])
            head = [tip, tip - 2.2 * r * direction + r * normal, tip - 2.2 * r * direction - r * normal]
            draw.polygon([tuple(p) for p in head], fill=color, outline=(0, 0, 0))
    return img


def _arrows(pts: np.ndarray, min_length: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Arrowhead tips and unit directions at 1/3, 2/3 and the end of a polyline's length (none for a
    path shorter than ``min_length``)."""
    steps = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] < min_length:
        return []
    out = []
    for frac in (1 / 3, 2 / 3, 1.0):
        k = int(np.clip(np.searchsorted(along, frac * along[-1]), 1, len(pts) - 1))
        back = int(np.searchsorted(along, along[k] - min_length / 3))  # direction over the last few pixels
        d = pts[k] - pts[min(back, k - 1)]
        if np.linalg.norm(d) > 1e-6:
            out.append((pts[k], d / np.linalg.norm(d)))
    return out


# -- drawing ----------------------------------------------------------------------------------------

@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled scalable font (no system fonts needed)."""
    return ImageFont.load_default(size=size)


def wrap(text: str, width: float, size: int, max_lines: int = 4) -> list[str]:
    """Words of ``text`` in lines no wider than ``width`` pixels (the last line ends in … if cut)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font(size).getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(".,;") + "…"
    return lines


def _label(draw: ImageDraw.ImageDraw, clip: Clip, x: int, y: int, width: int, height: int) -> None:
    big, small = max(12, height // 6), max(10, height // 8)
    draw.text((x, y), clip.name, font=font(big), fill=INK)
    y += big + 4
    for line in wrap(clip.caption, width, small, max_lines=max(1, (height - 2 * big) // (small + 2))):
        draw.text((x, y), line, font=font(small), fill=INK)
        y += small + 2
    draw.text((x, y + 2), clip.meta, font=font(small), fill=MUTED)


def contact_sheet(selection: Selection, frames: int = 8, height: int = 96) -> tuple[Image.Image, list[str]]:
    """The contact sheet and the problems met (videos that did not decode).

    Rows are clips; each row holds, per column (variant), a path thumbnail (when the clip has a sidecar)
    and ``frames`` frames from first to last; column names head the sheet when there are several.
    """
    w = _width(height)
    trails = any(c.paths[0].with_suffix(".json").is_file() for c in selection.clips)
    strip = (frames + trails) * (w + PAD) + 3 * PAD
    head = height // 3 if len(selection.columns) > 1 else height // 5
    sheet = Image.new("RGB", (LABEL_WIDTH + strip * len(selection.columns), head + len(selection.clips)
                              * (height + PAD) + PAD), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    problems = []
    for j, name in enumerate(selection.columns):
        x0 = LABEL_WIDTH + j * strip
        title = name or f"{'path, then ' if trails else ''}{frames} frames from first to last"
        draw.text((x0, PAD), title, font=font(max(11, head - 2 * PAD)), fill=INK)
    for i, clip in enumerate(selection.clips):
        y = head + i * (height + PAD)
        _label(draw, clip, PAD, y, LABEL_WIDTH - 2 * PAD, height)
        for j, path in enumerate(clip.paths):
            images, err = read_frames(path, frames, height)
            if err:
                problems.append(err)
            if trails:
                images = [trail(path, images[-1]) or Image.new("RGB", (w, height), BACKGROUND)] + images
            x = LABEL_WIDTH + j * strip
            for k, im in enumerate(images):
                sheet.paste(im, (x + k * (w + PAD) + (2 * PAD if trails and k else 0), y))
    return sheet, problems


def gif_grid(selection: Selection, frames: int = 24, height: int = 96) -> tuple[list[Image.Image], list[str]]:
    """Frames of an animated grid and the problems met. A single dataset fills a near-square grid of
    labelled cells; side by side, rows are clips and columns variants."""
    w, label = _width(height), max(12, height // 6) + 6
    cells, problems = [], []
    for clip in selection.clips:
        for path in clip.paths:
            images, err = read_frames(path, frames, height)
            if err:
                problems.append(err)
            cells.append((clip, images))
    ncols = len(selection.columns) if len(selection.columns) > 1 else int(np.ceil(np.sqrt(len(cells) * 0.75)))
    nrows = int(np.ceil(len(cells) / ncols))
    head = label if len(selection.columns) > 1 else 0
    size = (ncols * (w + PAD) + PAD, head + nrows * (height + label + PAD) + PAD)
    base = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(base)
    if head:
        for j, name in enumerate(selection.columns):
            draw.text((PAD + j * (w + PAD), 2), name, font=font(label - 6), fill=INK)
    corners = [(PAD + (n % ncols) * (w + PAD), head + (n // ncols) * (height + label + PAD)) for n in range(len(cells))]
    for (clip, _), (x, y) in zip(cells, corners):
        draw.text((x, y + height + 2), clip.name, font=font(label - 6), fill=INK)
    out = []
    for t in range(frames):
        frame = base.copy()
        for (_, images), corner in zip(cells, corners):
            frame.paste(images[t], corner)
        out.append(frame)
    return out, problems


def save_png(image: Image.Image, path: Path) -> None:
    """Write a PNG atomically."""
    buf = _encode(lambda fh: image.save(fh, format="PNG", optimize=True))
    write_atomic(Path(path), buf)


def save_gif(frames: list[Image.Image], path: Path, frame_ms: int = 100) -> None:
    """Write an endlessly looping animated GIF atomically."""
    buf = _encode(lambda fh: frames[0].save(fh, format="GIF", save_all=True, append_images=frames[1:],
                                            duration=frame_ms, loop=0, optimize=False))
    write_atomic(Path(path), buf)


def _encode(write: Callable[[io.BytesIO], None]) -> bytes:
    fh = io.BytesIO()
    write(fh)
    return fh.getvalue()


# -- HTML gallery -----------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 6px; vertical-align: top; text-align: left; }}
.grid {{ display: flex; flex-wrap: wrap; gap: 14px; }}
figure {{ margin: 0; width: {width}px; }} video {{ width: {width}px; background: #000; display: block; }}
.name {{ font-weight: 600; }} .caption {{ font-size: 0.9em; }} .meta {{ font-size: 0.8em; color: #777; }}
#status.bad {{ color: #b00; }}
</style></head>
<body>
<h1>{title}</h1>
<p id="status">loading videos…</p>
{body}
<script>
// Reports how many videos this browser can play (and which it cannot), on the page and as
// data-playable / data-failed on <body>, each <video> getting data-ready-state and data-duration.
const videos = [...document.querySelectorAll("video")], failed = [];
let playable = 0;
const status = document.getElementById("status");
function update() {{
  status.textContent = `${{playable}} of ${{videos.length}} videos playable`
    + (failed.length ? `; cannot play: ${{failed.join(", ")}}` : "");
  status.className = failed.length ? "bad" : "";
  document.body.dataset.playable = playable;
  document.body.dataset.failed = failed.length;
}}
for (const v of videos) {{
  const ok = () => {{ if (v.dataset.readyState) return; v.dataset.readyState = v.readyState;
                      v.dataset.duration = v.duration.toFixed(3); playable++; update(); }};
  const bad = () => {{ if (v.dataset.error) return; v.dataset.error = v.error ? v.error.code : "?";
                       failed.push(v.dataset.key); update(); }};
  v.addEventListener("loadeddata", ok);
  v.addEventListener("error", bad);
  if (v.readyState >= 2) ok();
  if (v.error) bad();
}}
update();
</script>
</body></html>
"""


def html_gallery(selection: Selection, out_dir: Path, title: str, copy: bool = False, width: int = 320) -> Path:
    """Write ``out_dir/index.html``: every clip playable with its label (side by side: a table with one
    row per clip and one column per variant). Videos are linked by relative path, or copied into
    ``out_dir/videos/`` with ``copy`` (a self-contained folder to share).

    A copied video must be a regular file that resolves inside its column's dataset root, and its copy
    must land inside ``out_dir`` (symlinks followed on both sides); anything else raises
    :class:`InputError` naming the manifest row before anything is written.
    """
    out_dir = Path(out_dir)
    copies: list[tuple[Path, Path]] = []  # (origin, target): all checked before the first is copied

    def src(clip: Clip, path: Path, root: Path, key: str) -> str:
        if not copy:
            return Path(os.path.relpath(path.resolve(), out_dir.resolve())).as_posix()
        try:
            origin = inside(root, clip.key, clip.row)
            target = inside(out_dir, f"videos/{key}", clip.row)
        except PathEscapeError as err:
            raise InputError(f"--copy: {err}") from None
        if not origin.is_file():  # a FIFO would block the copy; a missing clip has nothing to share
            raise InputError(f"--copy: {clip.row}: {origin} is not a regular file")
        copies.append((origin, target))
        return target.relative_to(out_dir.resolve()).as_posix()

    def video(clip: Clip, path: Path, root: Path, column: str) -> str:
        rel = Path(clip.key).name if Path(clip.key).is_absolute() else clip.key
        key = f"{slug(column)}/{rel}" if column else rel  # a variant name from ablation.json is no path
        return (f'<video src="{html.escape(src(clip, path, root, key))}" data-key="{html.escape(key)}" '
                'muted loop autoplay playsinline controls preload="auto"></video>')

    def label(clip: Clip) -> str:
        return (f'<div class="name">{html.escape(clip.name)}</div><div class="caption">'
                f'{html.escape(clip.caption)}</div><div class="meta">{html.escape(clip.meta)}</div>')

    if len(selection.columns) > 1:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in selection.columns)
        rows = "".join(f"<tr><td>{label(c)}</td>"
                       + "".join(f"<td>{video(c, p, r, col)}</td>"
                                 for p, r, col in zip(c.paths, selection.roots, selection.columns))
                       + "</tr>\n" for c in selection.clips)
        body = f"<table><tr><th>clip</th>{head}</tr>\n{rows}</table>"
    else:
        body = '<div class="grid">\n' + "".join(
            f"<figure>{video(c, c.paths[0], selection.roots[0], '')}<figcaption>{label(c)}</figcaption></figure>\n"
            for c in selection.clips) + "</div>"
    make_folder(out_dir, "--html folder")
    for origin, target in copies:
        make_folder(target.parent, "--html folder")
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        shutil.copyfile(origin, tmp)
        os.replace(tmp, target)  # a gallery never shows a half-copied video
    page = out_dir / "index.html"
    write_atomic(page, PAGE.format(title=html.escape(title), width=width, body=body))
    return page
