"""Which clips a dataset holds: the deterministic plan behind ``synta render``.

``--n`` clips are spread evenly over the selected fine classes (the first classes in taxonomy order take
one more when it does not divide), and each class's clips over the cameras; clip ids run 1..k per class
and camera, as in the reference's file names. The first 60 % of a class's ids are ``train`` and the rest
``val`` (the reference's 30/20 of 50), the same ids for both cameras.
"""
from __future__ import annotations

from dataclasses import dataclass

from synta.generator.clip_spec import clip_stem
from synta.generator.taxonomy import TASKS, FineClass, load_taxonomy

TRAIN_FRACTION = 0.6
CAMERA_CHOICES = ("orbit", "front", "both")


@dataclass(frozen=True)
class ClipJob:
    """One clip of the plan."""

    fine: FineClass
    camera: str
    clip_id: int
    split: str

    @property
    def stem(self) -> str:
        """Dataset-relative path without extension."""
        return clip_stem(self.fine.name, self.camera, self.clip_id)


def select_classes(classes: list[str] | None = None, set_id: int | None = None) -> list[FineClass]:
    """Fine classes named by ``classes`` (coarse/fine names or ids; all when empty), optionally one set."""
    tax = load_taxonomy()
    fine = tax.select(classes) if classes else list(tax.fine)
    return [f for f in fine if set_id is None or f.set == set_id]


def plan_dataset(n: int, fine: list[FineClass], camera: str = "both") -> list[ClipJob]:
    """All clips of a dataset of ``n`` clips over ``fine``, in the order of the official split files
    (class order, then clip id, then orbit before front)."""
    if n < 1:
        raise ValueError(f"--n must be at least 1, got {n}")
    if not fine:
        raise ValueError("no fine classes selected")
    if camera not in CAMERA_CHOICES:
        raise ValueError(f"camera must be one of {CAMERA_CHOICES}, got {camera!r}")
    cameras = ("orbit", "front") if camera == "both" else (camera,)
    jobs = []
    for i, f in enumerate(fine):
        count = n // len(fine) + (i < n % len(fine))
        per_camera = {c: count // len(cameras) + (j < count % len(cameras)) for j, c in enumerate(cameras)}
        ids = max(per_camera.values())
        train = ids if ids == 1 else min(ids - 1, max(1, round(TRAIN_FRACTION * ids)))
        for k in range(1, ids + 1):
            for c in cameras:
                if k <= per_camera[c]:
                    jobs.append(ClipJob(f, c, k, "train" if k <= train else "val"))
    return jobs


def plan_gaps(jobs: list[ClipJob], fine: list[FineClass], camera: str = "both") -> list[str]:
    """What ``synta bench`` will miss in a plan, one line each: selected classes without a clip, cameras
    without a clip, (split, set) pairs without a clip, then the ``--n`` that fills them. Empty when every
    class has a ``train`` and a ``val`` clip on every camera, which takes ``--n`` of at least
    2 x cameras x classes."""
    cameras = ("orbit", "front") if camera == "both" else (camera,)
    enough = f"--n {2 * len(cameras) * len(fine)} or more gives each class a train and a val clip per camera"
    gaps = []
    covered = {j.fine.name for j in jobs}
    if missing := [f.name for f in fine if f.name not in covered]:
        gaps.append(f"{len(missing)} of {len(fine)} selected classes get no clip "
                    f"({', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''})")
    if missing_cameras := [c for c in cameras if c not in {j.camera for j in jobs}]:
        gaps.append(f"no clip of the {' or '.join(missing_cameras)} camera")
    sets = sorted({f.set for f in fine})
    empty = [f"{split} Set {s}" for split in ("train", "val") for s in sets
             if not any(j.split == split and j.fine.set == s for j in jobs)]
    if empty:
        gaps.append(f"no {', no '.join(empty)} clip, so `synta bench` cannot use this dataset")
    return [*gaps, enough] if gaps else []


def shard(jobs: list[ClipJob], num_shards: int, shard_id: int) -> list[ClipJob]:
    """Shard ``shard_id`` of ``num_shards``: a disjoint, deterministic, balanced slice of the plan."""
    if num_shards < 1 or not 0 <= shard_id < num_shards:
        raise ValueError(f"--shard-id must be in [0, {num_shards - 1}] for --num-shards {num_shards}")
    return jobs[shard_id::num_shards]


def split_files(jobs: list[ClipJob]) -> dict[str, str]:
    """The official split files (docs/reference.md#inventory) listing ``jobs``: relative path -> text.

    ``splits/{coarse,fine}_classes/{train,val}_set{1,2}_{coarse,fine}.txt``, one ``<path>.mp4 <label>``
    line per clip (label: coarse id, or fine index within its set), no final newline, as the reference.
    """
    files: dict[str, list[str]] = {}
    for split in ("train", "val"):
        for s in (1, 2):
            for task in TASKS:
                files[f"{task}_classes/{split}_set{s}_{task}.txt"] = []
    for job in jobs:
        for task, label in (("coarse", job.fine.coarse), ("fine", job.fine.index)):
            files[f"{task}_classes/{job.split}_set{job.fine.set}_{task}.txt"].append(f"{job.stem}.mp4 {label}")
    return {path: "\n".join(lines) for path, lines in files.items()}
