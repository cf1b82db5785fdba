"""The dataset tree on disk (docs/design.md#dataset-tree): finished-clip checks, ``manifest.csv``, split files and
``dataset.json``. Every file is written under a temporary name and renamed when complete."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import av

from synta.files import write_atomic
from synta.generator.render.plan import ClipJob, split_files

# The columns of every manifest, rendered here or prepared by ``synta data prepare`` (the benchmark reads
# and writes these, and keeps any further column as an extra).
MANIFEST_COLUMNS = ("path", "split", "set", "coarse_id", "coarse_name", "fine_index", "fine_name", "label",
                    "num_frames")
# A rendered manifest.csv adds what identifies and describes each clip.
MANIFEST_FIELDS = (*MANIFEST_COLUMNS, "camera", "clip_id", "fps", "width", "height", "background", "seed")


def video_ok(path: Path, num_frames: int, resolution: tuple[int, int]) -> bool:
    """Does the MP4 open, with ``num_frames`` frames of ``resolution``, and decode its last frame?"""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if stream.frames != num_frames or (stream.width, stream.height) != tuple(resolution):
                return False
            count = sum(1 for _ in container.decode(stream))
        return count == num_frames
    except (av.error.FFmpegError, OSError, IndexError):
        return False


def read_finished(out: Path, job: ClipJob) -> dict[str, Any] | None:
    """The clip's sidecar if the clip is finished (sidecar parses, video decodes to its frames), else None."""
    mp4, side = out / f"{job.stem}.mp4", out / f"{job.stem}.json"
    if not (mp4.is_file() and side.is_file()):
        return None
    try:
        sidecar = json.loads(side.read_text())
        frames, res = sidecar["num_frames"], sidecar["resolution"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sidecar if video_ok(mp4, frames, res) else None


def manifest_row(job: ClipJob, sidecar: dict[str, Any]) -> dict[str, Any]:
    """One manifest.csv row of a finished clip."""
    f = job.fine
    return {"path": f"{job.stem}.mp4", "split": job.split, "set": f.set, "coarse_id": f.coarse,
            "coarse_name": f.coarse_name, "fine_index": f.index, "fine_name": f.name, "label": f.label,
            "camera": job.camera, "clip_id": job.clip_id, "num_frames": sidecar["num_frames"],
            "fps": sidecar["fps"], "width": sidecar["resolution"][0], "height": sidecar["resolution"][1],
            "background": sidecar["factors"]["background"], "seed": sidecar["seed"]}


def write_index(out: Path, finished: list[tuple[ClipJob, dict[str, Any]]]) -> None:
    """``manifest.csv`` and the official split files for the finished clips (in plan order)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
    writer.writeheader()
    for job, sidecar in finished:
        writer.writerow(manifest_row(job, sidecar))
    write_atomic(out / "manifest.csv", buf.getvalue())
    for rel, text in split_files([job for job, _ in finished]).items():
        write_atomic(out / "splits" / rel, text)


def check_dataset_json(out: Path, description: dict[str, Any]) -> None:
    """Write ``dataset.json``, or check that an existing one describes the same dataset.

    ``description["dataset"]`` holds what defines the clips (classes, n, seed, factors...); a rerun or
    another shard with a different definition into the same folder is refused rather than mixed in.
    """
    path = out / "dataset.json"
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            old = None
        if old is not None and old.get("dataset") != description["dataset"]:
            raise ValueError(f"{out} holds a different dataset (see its dataset.json); use another --out")
        if old is not None:
            return
    write_atomic(path, json.dumps(description, indent=2) + "\n")
