"""The look benchmark: what rendered Syn-TA clips look like, per engine, against their ClipSpecs.

A fixed set of clips (one fine class per coarse class, both cameras, plain and realistic backgrounds) is
rendered through the real render pool (``synta render``'s workers) and measured with
``synta.generator.render.look``:

- object: median object-pixel luma / display luma of the object's spec colour (target 0.7-1.2);
- shadow: 1 - ground luma in the key light's shadow of an opaque object / open ground nearby (orbit-camera grounds; target
  >= 0.2; the front camera has a backdrop and no ground, so no shadow is cast there);
- backdrop: mean luma away from objects and shadows / the mean luma the scene image (or plain colour)
  has at those pixels, read where each pixel's ray meets the background (front backdrop within 10 %,
  orbit ground within 20 %);
- top-of-frame step: how much that ratio jumps between the top eighth of the rows and the eighth below
  (a band where a surface ends; target <= 0.1), for the clips above and for four orbit-camera clips whose
  view reaches past the ground picture or above the horizon (``FAR_GROUND``);
- the smallest object height in pixels, scaled to a 256-pixel short side, and clips per hour.

    python benchmarks/render_look.py [--engines workbench] [--short-side 192] [--frames 8]
        [--clips 1] [--sheet docs/img/look.png] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import av
import numpy as np
from PIL import Image

from synta.generator import sample_clip
from synta.generator.render.backgrounds import background_lists
from synta.generator.render.look import background_reference, measure_clip
from synta.generator.render.options import RenderOptions
from synta.generator.render.plan import ClipJob
from synta.generator.render.run import parse_resolution
from synta.generator.render.worker import Task, run_pool
from synta.generator.taxonomy import load_taxonomy

SHEET_CLASSES = ("occlusion", "orbiting", "rising", "departing")  # rows of the contact sheet
TARGETS = {"object": (0.7, 1.2), "shadow": 0.2, "backdrop": {"backdrop": 0.10, "ground": 0.20}, "top_step": 0.1}
# orbit-camera clips whose view reaches past the ground picture or above the horizon (the top of the frame
# is far ground or sky), measured apart for the top-of-frame step
FAR_GROUND = (("occlusion1", 1), ("occlusion3", 1), ("occlusion4", 1), ("orbiting6", 1))


def clip_set(clips: int) -> list[tuple[ClipJob, str]]:
    """(job, background) pairs: per coarse class one fine class (alternating sets), both cameras, both
    backgrounds, ``clips`` clip ids each (ids differ per class, so every scene image is used)."""
    tax = load_taxonomy()
    out = []
    for i, coarse in enumerate(tax.coarse):
        children = tax.children(coarse.id)
        fine = children[i % len(children)]
        for k in range(clips):
            clip_id = i + 1 + 20 * k
            for camera in ("orbit", "front"):
                for background in ("plain", "realistic"):
                    out.append((ClipJob(fine, camera, clip_id, "train"), background))
    return out


def far_ground_set() -> list[tuple[ClipJob, str]]:
    """(job, background) pairs of the FAR_GROUND clips, on both backgrounds."""
    tax = load_taxonomy()
    return [(ClipJob(tax.fine_class(name), "orbit", clip_id, "train"), background)
            for name, clip_id in FAR_GROUND for background in ("plain", "realistic")]


def _frames(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def _reference(spec, lists: dict[str, list[str]], images: dict) -> np.ndarray:
    """Per pixel, the display luma the background should show (the plain colour, or the scene image read
    where the pixel sees it: ``look.background_reference``)."""
    bg = spec.background
    if bg.kind == "plain":
        return background_reference(spec)
    path = lists[bg.image_list][bg.image % len(lists[bg.image_list])]
    if path not in images:
        with Image.open(path) as im:
            images[path] = np.asarray(im.convert("RGB"), dtype=float) / 255.0
    return background_reference(spec, images[path], Path(path).stem)


def _summary(values: list[float]) -> str:
    if not values:
        return "      -"
    return f"{np.median(values):7.2f}"


def run(engine: str, clips: int, short_side: int, frames: int, keep: Path | None, sheet: Path | None) -> None:
    res = parse_resolution(str(short_side))
    lists = background_lists()
    main = clip_set(clips)
    pairs = main + far_ground_set()
    tmp = keep or Path(tempfile.mkdtemp(prefix="synta-look-"))
    tmp.mkdir(parents=True, exist_ok=True)
    options = RenderOptions(engine=engine, background_images=tuple((k, tuple(v)) for k, v in lists.items()))
    tasks = []
    for job, background in pairs:
        out = tmp / background
        args = {"background": background, "resolution": res, "frames": frames}
        tasks.append(Task(job, args, str(out), str(out / ".partial")))
        (out / ".partial").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = run_pool(tasks, options, 1, max_tasks=1000, on_done=lambda task, ok: None)
    wall = time.perf_counter() - t0
    if result.failures:
        raise SystemExit(f"{engine}: {len(result.failures)} clips failed: {next(iter(result.failures.values()))}")

    per_class: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    per_look: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    heights: list[float] = []
    images: dict = {}
    sheet_rows = []
    steps: dict[str, list[float]] = {"main": [], "far": []}
    for i, (task, (job, background)) in enumerate(zip(tasks, pairs)):
        spec = sample_clip(job.fine, job.clip_id, camera=job.camera, **task.spec_args)
        video = _frames(Path(task.out) / f"{job.stem}.mp4")
        look = measure_clip(spec, video, _reference(spec, lists, images))
        if i >= len(main):
            steps["far"] += look.top_step
            continue
        steps["main"] += look.top_step
        row = per_class[job.fine.coarse_name]
        for (shape, material), ratios in look.object_ratio.items():
            row["object"] += ratios
            per_look[(shape, material, background)] += ratios
        row["shadow"] += look.shadow_darkness
        row[f"backdrop_{spec.background.surface}"] += look.backdrop_ratio
        side = json.loads((Path(task.out) / f"{job.stem}.json").read_text())
        for obj in side["objects"]:
            for fr in obj["frames"]:
                if fr["visible"] and fr["in_frame"]:
                    heights.append((fr["bbox"][3] - fr["bbox"][1]) * 256 / res[1])
        if sheet is not None and job.fine.coarse_name in SHEET_CLASSES and job.clip_id <= 20 \
                and (job.camera, background) != ("front", "plain"):
            sheet_rows.append(video[[0, len(video) // 2, len(video) - 1]])

    print(f"engine {engine}: {len(main)} clips of {frames} frames at {res[0]}x{res[1]} "
          f"(one fine class per coarse class x orbit/front x plain/realistic) and {len(pairs) - len(main)} "
          f"far-ground clips")
    print(f"{'coarse class':<30} {'object':>7} {'shadow':>7} {'ground':>7} {'backdrop':>8}")
    allv: dict[str, list[float]] = defaultdict(list)
    for name, row in per_class.items():
        for k, v in row.items():
            allv[k] += v
        print(f"{name:<30} {_summary(row['object'])} {_summary(row['shadow'])} {_summary(row['backdrop_ground'])} "
              f"{_summary(row['backdrop_backdrop'])}")
    print(f"{'overall (median)':<30} {_summary(allv['object'])} {_summary(allv['shadow'])} "
          f"{_summary(allv['backdrop_ground'])} {_summary(allv['backdrop_backdrop'])}")
    print("object luma ratio per shape, material and background (median; target 0.7-1.2):")
    for (shape, material, background), v in sorted(per_look.items()):
        print(f"  {shape:<10} {material:<9} {background:<10} {np.median(v):5.2f}  (n={len(v)})")
    obj = np.array(allv["object"])
    sh = np.array(allv["shadow"])
    lo, hi = TARGETS["object"]
    print(f"object-frames within {lo}-{hi}: {np.mean((obj >= lo) & (obj <= hi)):.0%} of {len(obj)}")
    print(f"shadow darkness >= {TARGETS['shadow']}: {np.mean(sh >= TARGETS['shadow']) if len(sh) else 0:.0%} "
          f"of {len(sh)} shadow-frames (orbit-camera grounds)")
    for surface, tol in TARGETS["backdrop"].items():
        v = np.array(allv[f"backdrop_{surface}"])
        print(f"{surface} brightness within +-{tol:.0%}: {np.mean(np.abs(v - 1) <= tol):.0%} of {len(v)} frames "
              f"(median ratio {np.median(v):.2f}, range {v.min():.2f}-{v.max():.2f})")
    for group, label in (("main", "the clips above"), ("far", "far-ground clips " + ", ".join(
            f"{n}_id_{k}" for n, k in FAR_GROUND))):
        v = np.array(steps[group])
        print(f"top-of-frame step <= {TARGETS['top_step']}: {np.mean(v <= TARGETS['top_step']):.0%} of {len(v)} "
              f"frames of {label} (median {np.median(v):.3f}, max {v.max():.3f})")
    h = np.array(heights)
    print(f"object height at a 256-px short side: min {h.min():.1f} px, 1st percentile {np.percentile(h, 1):.1f}, "
          f"median {np.median(h):.1f}; {np.mean(h < 8):.1%} of object-frames under 8 px")
    secs = np.array(list(result.seconds.values()))
    print(f"{len(pairs) / wall * 3600:.0f} clips/hour ({frames}-frame clips, one process; "
          f"median {np.median(secs):.2f} s per clip)")
    if sheet is not None and sheet_rows:
        _contact_sheet(sheet_rows, sheet)
        print(f"wrote {sheet} ({sheet.stat().st_size // 1024} KiB)")
    if keep is None:
        shutil.rmtree(tmp, ignore_errors=True)


def _contact_sheet(rows: list[np.ndarray], path: Path, height: int = 96) -> None:
    """Rows of frames (first, middle, last of each clip), palette PNG to stay small."""
    tiles = []
    for row in rows:
        ims = [Image.fromarray(f).resize((round(f.shape[1] * height / f.shape[0]), height), Image.LANCZOS) for f in row]
        tiles.append(np.concatenate([np.asarray(im) for im in ims], axis=1))
    width = max(t.shape[1] for t in tiles)
    tiles = [np.pad(t, ((0, 2), (0, width - t.shape[1]), (0, 0))) for t in tiles]
    half = (len(tiles) + 1) // 2
    cols = [np.concatenate(tiles[:half], axis=0), np.concatenate(tiles[half:], axis=0)]
    cols[1] = np.pad(cols[1], ((0, cols[0].shape[0] - cols[1].shape[0]), (0, 0), (0, 0)))
    grid = np.concatenate([cols[0], np.zeros((cols[0].shape[0], 4, 3), np.uint8), cols[1]], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).quantize(colors=192, dither=Image.Dither.NONE).save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="workbench", help="comma-separated: workbench, cycles, eevee")
    parser.add_argument("--clips", type=int, default=1, help="clips per coarse class, camera and background")
    parser.add_argument("--short-side", type=int, default=192)
    parser.add_argument("--frames", type=int, default=8, help="frames per clip (the motion is retimed)")
    parser.add_argument("--sheet", type=Path, help="write a contact sheet PNG of some clips here")
    parser.add_argument("--keep", type=Path, help="keep the rendered clips in this folder")
    args = parser.parse_args()
    for engine in args.engines.split(","):
        run(engine, args.clips, args.short_side, args.frames, args.keep, args.sheet)


if __name__ == "__main__":
    main()
