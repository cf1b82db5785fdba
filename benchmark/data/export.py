"""``synta data export``: a manifest's transfer protocol as the annotation lists of other video codebases.

For each task (``coarse``, ``fine``) and each direction (``set1``: train on Set 1, unknown Set 2; ``set2``:
the reverse; see :mod:`synta.benchmark.protocol`) one folder ``OUT/<task>/<direction>/`` holds the videos
of that direction: the train videos of the train set A, the val videos of A (known contexts) and the val
videos of the other set B (unknown contexts). Labels are the indices ``synta bench`` scores:
``protocol.label_space`` of the task and set, i.e. the coarse id for ``coarse``, and for ``fine`` the fine
index within the video's own set. So ``fine`` unknown labels index Set B's fine classes, which only a
model that classifies by text can score (FineMotion-U).

Every video path is absolute (the manifest's root joined with its path), so the lists work with any
``data_prefix`` / ``PATH_PREFIX``, including none: both codebases join the prefix with ``os.path.join``,
which keeps an absolute path as it is. Lines keep the manifest's order.

Files in every direction folder, whatever the format:

- ``classes.txt``: the label space of A, one name per line, line i is label i (coarse names, or Set A's
  fine captions: what text models read).
- ``classes_unknown.txt`` (``fine`` only): Set B's fine captions, the label space of the unknown lists.
- ``no_flip.txt``: the dataset's fine class names (Set 1, then Set 2, in index order) whose meaning a
  horizontal flip changes (``assets/flip_policy.yaml``); their videos must never be mirrored in training,
  whatever the task: a mirrored Set-A clip of such a class looks like a Set-B class and leaks the unknown
  set into training.
- ``no_flip_videos.txt``: the paths, as written in this folder's lists, of the videos of those classes,
  since neither list format carries the fine class of a video (coarse labels do not identify it).

Per format:

- ``mmaction2``: ``train.txt``, ``val_known.txt``, ``val_unknown.txt`` in the annotation format of
  mmaction2's ``VideoDataset``: ``<path> <label>`` per line, one space.
- ``slowfast``: ``train.csv``, ``val.csv`` (known) and ``test.csv`` (unknown) as PySlowFast's ``Kinetics``
  dataset reads ``DATA.PATH_TO_DATA_DIR/{train,val,test}.csv``: ``<path> <label>`` per line, no header;
  plus ``README.txt`` with the settings to use (PySlowFast flips every training clip at random unless
  ``DATA.RANDOM_FLIP`` is off, which the classes of ``no_flip.txt`` need).
- ``csv``: ``videos.csv`` with the header ``path,label,label_name,split,set``: the train and known val
  rows (``set`` = A) and the unknown val rows (``set`` = B), ``label_name`` from the label space of the
  row's set.

Both list formats split a line at whitespace, so a video path holding whitespace is refused (the ``csv``
format quotes it instead). Labels out of their label space, and a direction without train, known or
unknown videos, are refused too: run ``synta data check`` and export its cleaned manifest.

Output folder: ``OUT`` must be absent, empty, or hold a previous export and nothing else. ``OUT/export.json``
records what an export wrote (format, manifest, files, ``complete``); it is written first (``complete:
false``, claiming the files about to be written) and last (``complete: true``), so an interrupted export
can be rerun into the same folder. Re-exporting replaces the previous export: its files that the new one
does not write, and temporary files an interrupted write left, are removed. Any other file in ``OUT``
makes the export refuse, and nothing is written. Every file is written atomically
(:func:`synta.files.write_atomic`). There is no lock: run one export into a folder at a time.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from synta.benchmark.data.labels import TASKS
from synta.benchmark.data.manifest import Manifest, Video
from synta.errors import InputError
from synta.files import make_folder, write_atomic

FORMATS = ("mmaction2", "slowfast", "csv")
RECORD_NAME = "export.json"
RECORD_FORMAT = "synta-export/1"
# What write_atomic leaves behind when killed between writing and renaming: ".<name>.tmp-<pid>".
_TEMP = re.compile(r"\.(?P<name>.+)\.tmp-\d+")
_LISTS = {  # per format: file names of the train, known val and unknown val lists
    "mmaction2": ("train.txt", "val_known.txt", "val_unknown.txt"),
    "slowfast": ("train.csv", "val.csv", "test.csv"),
}
CSV_COLUMNS = ("path", "label", "label_name", "split", "set")


class ExportError(InputError):
    """A manifest that cannot be exported, or an output folder that holds other files (one line)."""


@dataclass(frozen=True)
class DirectionCounts:
    """How many videos one exported direction lists."""

    folder: str
    train: int
    known: int
    unknown: int


def plan_export(manifest: Manifest, fmt: str, source: str | Path | None = None) -> tuple[dict[str, str],
                                                                                        list[DirectionCounts]]:
    """The files of an export of ``manifest`` in ``fmt`` (path relative to OUT → text) and the counts of
    each direction. ``source`` names the manifest in error messages. Raises :class:`ExportError`."""
    # protocol and transforms import torch; importing them here keeps `synta --help` fast.
    from synta.benchmark.data.transforms import no_flip_classes
    from synta.benchmark.protocol import directions, label_space

    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    where = source if source is not None else manifest.root
    fine_names = _fine_names(manifest, where)
    no_flip = no_flip_classes(manifest.dataset)
    no_flip_names = [f.name for f in manifest.classes.fine if f.name in no_flip]
    root = os.path.abspath(manifest.root)
    files: dict[str, str] = {}
    counts = []
    for task in TASKS:
        for direction in directions(task):
            a, b = direction.train_set, direction.unknown_set
            known_space, unknown_space = label_space(manifest.classes, task, a), label_space(manifest.classes, task, b)
            parts = [("train", manifest.select("train", a)), ("val", manifest.select("val", a)),
                     ("val", manifest.select("val", b))]
            for (split, part), s in zip(parts, (a, a, b)):
                if not part.videos:
                    raise ExportError(f"{where} has no {split} videos of Set {s}, which {task}/{direction.name} needs")
            folder = f"{task}/{direction.name}"
            rows = [[(_video_path(root, v, fmt, where), manifest.label(v, task), v) for v in part.videos]
                    for _, part in parts]
            if fmt == "csv":
                files[f"{folder}/videos.csv"] = _videos_csv(rows, parts, (known_space, known_space, unknown_space))
            else:
                for name, part_rows in zip(_LISTS[fmt], rows):
                    files[f"{folder}/{name}"] = "".join(f"{path} {label}\n" for path, label, _ in part_rows)
            files[f"{folder}/classes.txt"] = _lines(known_space.names, where)
            if task == "fine":
                files[f"{folder}/classes_unknown.txt"] = _lines(unknown_space.names, where)
            files[f"{folder}/no_flip.txt"] = _lines(no_flip_names, where)
            files[f"{folder}/no_flip_videos.txt"] = _lines(
                [path for part_rows in rows for path, _, v in part_rows if fine_names[v.set, v.fine] in no_flip],
                where)
            if fmt == "slowfast":
                files[f"{folder}/README.txt"] = _slowfast_readme(task, a, b, len(known_space), bool(no_flip_names))
            counts.append(DirectionCounts(folder, *(len(r) for r in rows)))
    return files, counts


def export_manifest(manifest: Manifest, fmt: str, out: str | Path,
                    source: str | Path | None = None) -> list[DirectionCounts]:
    """Write the export of ``manifest`` in ``fmt`` under ``out`` (layouts: see the module docstring).

    Raises :class:`ExportError` for a manifest that cannot be exported or an ``out`` holding files no
    export wrote, before anything is written; OS errors while writing propagate."""
    files, counts = plan_export(manifest, fmt, source)
    out = Path(out)
    previous = _previous_files(out)
    make_folder(out)
    meta = {"format": RECORD_FORMAT, "export_format": fmt, "dataset": manifest.dataset,
            "manifest": str(Path(source).absolute()) if source is not None else None,
            "root": os.path.abspath(manifest.root)}
    # Claim the old and the new files before touching any, so that an interrupted export can be rerun here.
    write_atomic(out / RECORD_NAME, _record(meta, sorted(set(previous) | set(files)), complete=False))
    for rel in sorted(set(previous) - set(files)):
        (out / rel).unlink(missing_ok=True)
    for rel, text in files.items():
        write_atomic(out / rel, text)
    write_atomic(out / RECORD_NAME, _record(meta, sorted(files), complete=True))
    return counts


def _record(meta: dict, files: list[str], complete: bool) -> str:
    return json.dumps({**meta, "files": files, "complete": complete}, indent=1) + "\n"


def _previous_files(out: Path) -> list[str]:
    """The files of a previous export in ``out``: those its record lists and the temporary files of an
    interrupted write of one of them ([] if ``out`` is absent or empty). Raises
    :class:`ExportError` if ``out`` holds anything else (a file, link or other entry no export wrote)."""
    if not out.exists() and not out.is_symlink():
        return []
    if not out.is_dir():  # a link to a folder is fine: OUT may live on another disk
        raise ExportError(f"output folder {out} is not a folder")
    found = []
    for folder, dirs, names in os.walk(out):
        here = Path(folder)
        for d in dirs:
            if (here / d).is_symlink():  # os.walk does not descend into it: it would hide what it holds
                names.append(d)
        found.extend((here / n).relative_to(out).as_posix() for n in names)
    if not found:
        return []
    record_path = out / RECORD_NAME
    claimed: set[str] = set()
    if record_path.is_file() and not record_path.is_symlink():
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = None
        if isinstance(record, dict) and record.get("format") == RECORD_FORMAT and isinstance(record.get("files"), list):
            claimed = {f for f in record["files"] if isinstance(f, str)}
    if not claimed:
        raise ExportError(f"output folder {out} is not empty and holds no previous export ({RECORD_NAME}); "
                          "choose an empty or new folder")
    for rel in found:
        path = out / rel
        temp = _TEMP.fullmatch(path.name)
        ours = rel == RECORD_NAME or rel in claimed or (
            temp is not None and (path.with_name(temp["name"]).relative_to(out).as_posix() in claimed | {RECORD_NAME}))
        if not ours or path.is_symlink() or not path.is_file():
            raise ExportError(f"output folder {out} holds {rel}, which no export wrote; "
                              "remove it or choose another folder")
    return sorted(rel for rel in found if rel != RECORD_NAME)


def _fine_names(manifest: Manifest, where: str | Path) -> dict[tuple[int, int], str]:
    """``{(set, fine index): fine name}``, once every video's coarse id and fine index are checked to lie
    inside their label spaces (else the lists would lie). A dict: a manifest may hold 10^5 videos."""
    names = {(s, i): f.name for s in (1, 2) for i, f in enumerate(manifest.classes.in_set(s))}
    for v in manifest.videos:
        if not 0 <= v.coarse < len(manifest.classes.coarse):
            raise ExportError(f"{where}: {v.path}: coarse id {v.coarse} outside the {len(manifest.classes.coarse)} "
                              "coarse classes; run `synta data check` and export its cleaned manifest")
        if (v.set, v.fine) not in names:
            raise ExportError(f"{where}: {v.path}: fine index {v.fine} outside the "
                              f"{len(manifest.classes.in_set(v.set))} fine classes of Set {v.set}; "
                              "run `synta data check` and export its cleaned manifest")
    return names


def _video_path(root: str, video: Video, fmt: str, where: str | Path) -> str:
    """The absolute path of ``video`` as the lists write it (lexically normalised: the root may be a link)."""
    path = os.path.normpath(os.path.join(root, video.path))
    if fmt != "csv" and re.search(r"\s", path):
        raise ExportError(f"{where}: video path {path!r} holds whitespace, which {fmt}'s '<path> <label>' lists "
                          "cannot hold (use --format csv, or move the videos)")
    if "\n" in path or "\r" in path:
        raise ExportError(f"{where}: video path {path!r} holds a line break")
    return path


def _lines(items: list[str] | tuple[str, ...], where: str | Path) -> str:
    """One item per line (items come from the manifest's class index and paths: a line break would shift
    every later line)."""
    for item in items:
        if "\n" in item or "\r" in item:
            raise ExportError(f"{where}: {item!r} holds a line break")
    return "".join(f"{item}\n" for item in items)


def _videos_csv(rows: list[list[tuple[str, int, Video]]], parts: list[tuple[str, Manifest]], spaces: tuple) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for part_rows, (split, _), space in zip(rows, parts, spaces):
        for path, label, v in part_rows:
            writer.writerow([path, label, space.names[label], split, v.set])
    return buf.getvalue()


def _slowfast_readme(task: str, a: int, b: int, num_classes: int, has_no_flip: bool) -> str:
    unknown = (f"test.csv: val videos of Set {b} (unknown contexts), labels in the same {num_classes} coarse classes."
               if task == "coarse" else
               f"test.csv: val videos of Set {b} (unknown contexts); its labels index Set {b}'s fine classes\n"
               "(classes_unknown.txt), not classes.txt: only a model that classifies by text can score them.")
    flip = ("Horizontal flips: PySlowFast flips every training clip at random (DATA.RANDOM_FLIP, default True).\n"
            "The fine classes in no_flip.txt must never be mirrored (a mirrored clip shows another class, one of\n"
            "the unknown set): set DATA.RANDOM_FLIP False, or skip the flip for the videos in no_flip_videos.txt.\n"
            if has_no_flip else
            "Horizontal flips: every class of this dataset may be mirrored; DATA.RANDOM_FLIP may stay on.\n")
    return (f"PySlowFast lists for {task}, trained on Set {a} (written by `synta data export --format slowfast`).\n\n"
            f"train.csv: train videos of Set {a}; val.csv: val videos of Set {a} (known contexts);\n{unknown}\n"
            "Lines are '<absolute path> <label>'; classes.txt names label i on line i.\n\n"
            "Settings: DATA.PATH_TO_DATA_DIR = this folder; DATA.PATH_PREFIX may stay empty (the paths are\n"
            f"absolute); MODEL.NUM_CLASSES = {num_classes}.\n\n" + flip)
