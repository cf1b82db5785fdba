"""One manifest model for Syn-TA, K400-TA and SSv2-TA: a table of videos plus the dataset's class index.

On disk a manifest is a CSV with the columns of a rendered Syn-TA ``manifest.csv`` (``path, split, set,
coarse_id, coarse_name, fine_index, fine_name, label, num_frames``, then any extra columns) and, beside it,
``<name>.classes.json`` with the dataset name, the video root and the class index (so classes without
videos keep their names and ids). A rendered Syn-TA tree needs no sidecar: its ``manifest.csv`` is read
directly, with the shipped taxonomy as its class index and the tree as its root.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from synta.benchmark.data.datasets import DatasetInfo, canonical_dataset, dataset_info
from synta.benchmark.data.labels import (
    ClassIndex,
    FineLabel,
    FormatError,
    classes_from_label_files,
    synta_classes,
)
from synta.benchmark.data.splits import SPLITS, check_paths, find_lists, pair_lists, read_list, recover_parents
from synta.files import read_text_input, write_atomic
from synta.generator.render.dataset import MANIFEST_COLUMNS as COLUMNS  # defined where rendered manifests are written
from synta.paths import PathEscapeError, relative

FORMAT = "synta-manifest/1"


@dataclass(frozen=True)
class Video:
    """One video (or frame folder) with its split, set, coarse id and within-set fine index.

    ``path`` is relative to the manifest's root (and stays below it), or absolute in a manifest made from
    frame-folder lists (the reference's EZ-CLIP lists name absolute folders). ``num_frames`` is known for rendered
    Syn-TA clips and frame-folder lists, else None. ``extra`` holds further manifest columns (camera, ...).
    """

    path: str
    split: str
    set: int
    coarse: int
    fine: int
    num_frames: int | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Manifest:
    """Videos of one dataset, where they live, and the dataset's label spaces."""

    dataset: str
    root: Path
    classes: ClassIndex
    videos: tuple[Video, ...]

    def __len__(self) -> int:
        return len(self.videos)

    def select(self, split: str | None = None, set_id: int | None = None) -> Manifest:
        """The videos of one split and/or set (same root and classes)."""
        kept = tuple(v for v in self.videos
                     if (split is None or v.split == split) and (set_id is None or v.set == set_id))
        return replace(self, videos=kept)

    def with_videos(self, videos: Iterable[Video]) -> Manifest:
        """The same manifest over other videos."""
        return replace(self, videos=tuple(videos))

    def label(self, video: Video, task: str) -> int:
        """The video's label for ``task`` (``coarse`` or ``fine``; fine ids are within the video's set)."""
        return video.coarse if task == "coarse" else video.fine

    def fine_class(self, video: Video) -> FineLabel | None:
        """The video's fine class, or None if its fine index is outside its set's label space."""
        try:
            return self.classes.fine_label(video.set, video.fine)
        except KeyError:
            return None

    def resolve(self, video: Video) -> Path:
        """Absolute location of the video file or frame folder."""
        return self.root / video.path

    def save(self, path: str | Path) -> None:
        """Write the CSV to ``path`` and the class index to ``<path stem>.classes.json``, each through a
        temporary file and a rename (the CSV last: a manifest is complete once it exists)."""
        path = Path(path)
        meta = {"format": FORMAT, "dataset": self.dataset, "root": str(self.root.resolve()),
                "classes": self.classes.to_dict()}
        write_atomic(classes_path(path), json.dumps(meta, indent=1) + "\n")
        write_atomic(path, self.to_csv())

    def to_csv(self) -> str:
        """The video table as CSV text."""
        extra = list(dict.fromkeys(k for v in self.videos for k in v.extra if k not in COLUMNS))
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([*COLUMNS, *extra])
        for v in self.videos:
            fine = self.fine_class(v)
            coarse_name = self.classes.coarse[v.coarse] if 0 <= v.coarse < len(self.classes.coarse) else ""
            writer.writerow([v.path, v.split, v.set, v.coarse, coarse_name, v.fine, fine.name if fine else "",
                             fine.caption if fine else "", "" if v.num_frames is None else v.num_frames,
                             *(v.extra.get(k, "") for k in extra)])
        return buf.getvalue()


def classes_path(csv_path: str | Path) -> Path:
    """Where the class index of the manifest ``csv_path`` lives (``x.csv`` → ``x.classes.json``)."""
    csv_path = Path(csv_path)
    return csv_path.with_name(csv_path.stem + ".classes.json")


_REQUIRED = ("path", "split", "set", "coarse_id", "fine_index")  # the columns a row cannot do without


def read_manifest(path: str | Path, root: str | Path | None = None) -> Manifest:
    """Read a manifest CSV (with its ``.classes.json``), or a rendered Syn-TA tree (its folder or its
    ``manifest.csv``). ``root`` overrides where the videos live.

    Every row's path must stay below the root (absolute paths only in a manifest with a class index, as
    frame-folder lists make). Raises ``FileNotFoundError`` or :class:`FormatError` with a one-line message
    naming the file and line: also for binary or non-UTF-8 files, CSV or JSON that does not parse, and a
    class index with missing or mistyped fields.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "manifest.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no manifest at {path}")
    reader = csv.DictReader(io.StringIO(read_text_input(path, FormatError)))
    try:
        rows = list(reader)
    except csv.Error as err:
        raise FormatError(f"{path}:{reader.line_num}: not CSV ({err})") from None
    header = reader.fieldnames or []
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise FormatError(f"{path}:1: not a manifest: no column(s) {', '.join(missing)}")
    meta_path = classes_path(path)
    if meta_path.is_file():
        dataset, classes, default_root = _read_class_index(meta_path)
    elif path.name == "manifest.csv" or {"camera", "clip_id"} <= set(header):
        dataset, classes, default_root = "synta", synta_classes(), path.parent
    else:
        raise FormatError(f"{path}: no class index beside it ({meta_path.name}); "
                          "make manifests with `synta data prepare`")
    absolute_ok = meta_path.is_file()
    videos = []
    for lineno, row in enumerate(rows, start=2):
        try:
            if None in row.values():
                raise ValueError(f"{len(header)} columns expected, fewer found")
            videos.append(Video(
                path=_row_path(row["path"], absolute_ok), split=row["split"], set=int(row["set"]),
                coarse=int(row["coarse_id"]), fine=int(row["fine_index"]),
                num_frames=int(row["num_frames"]) if row.get("num_frames") else None,
                extra={k: v for k, v in row.items() if k not in COLUMNS and k is not None}))
        except PathEscapeError as err:
            raise FormatError(f"{path}:{lineno}: {err}") from None
        except (KeyError, TypeError, ValueError) as err:
            raise FormatError(f"{path}:{lineno}: bad manifest row ({err})") from None
    return Manifest(dataset, Path(root) if root is not None else default_root, classes, tuple(videos))


def _row_path(text: str, absolute_ok: bool) -> str:
    if absolute_ok and text.startswith("/") and "\x00" not in text:
        return text
    return relative(text)


def _read_class_index(meta_path: Path) -> tuple[str, ClassIndex, Path]:
    """``(dataset, class index, video root)`` from a ``.classes.json``; :class:`FormatError` if it is not one."""
    text = read_text_input(meta_path, FormatError)
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError) as err:
        line = getattr(err, "lineno", None)
        raise FormatError(f"{meta_path}:{line or 1}: not JSON ({str(err).splitlines()[0][:120]})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise FormatError(f"{meta_path}: not a {FORMAT} class index")
    try:
        dataset, root, raw = meta["dataset"], meta["root"], meta["classes"]
        coarse, fine = raw["coarse"], raw["fine"]
        if not (isinstance(dataset, str) and isinstance(root, str) and root and "\x00" not in root):
            raise TypeError("dataset and root must be strings")
        if not (isinstance(coarse, list) and all(isinstance(c, str) for c in coarse)):
            raise TypeError("classes.coarse must be a list of names")
        if not isinstance(fine, list):
            raise TypeError("classes.fine must be a list")
        types = {"set": int, "index": int, "name": str, "coarse": int, "caption": str}
        labels = []
        for f in fine:
            if not (isinstance(f, dict) and set(f) == set(types)
                    and all(isinstance(f[k], t) and not isinstance(f[k], bool) for k, t in types.items())):
                raise TypeError(f"classes.fine entries must have {', '.join(types)} of the right types, got {f!r:.80}")
            labels.append(FineLabel(**f))
    except KeyError as err:
        raise FormatError(f"{meta_path}: incomplete class index (no {err.args[0]!r})") from None
    except TypeError as err:
        raise FormatError(f"{meta_path}: bad class index ({err})") from None
    try:
        dataset = canonical_dataset(dataset)  # older sidecars may spell it k400-ta
    except ValueError as err:
        raise FormatError(f"{meta_path}: {err}") from None
    return dataset, ClassIndex(tuple(coarse), tuple(labels)), Path(root)


def manifest_from_splits(dataset: str, splits_dir: str | Path, videos_dir: str | Path | None,
                         labels_dir: str | Path | None = None, frame_lists: bool = False,
                         rewrite_root: tuple[str, str] | None = None) -> Manifest:
    """Build a manifest from the reference's split lists (and, for K400-TA/SSv2-TA, its label CSVs).

    ``splits_dir`` is ``dataset_splits/<dataset>/`` of the reference (or a rendered tree's ``splits/``);
    ``videos_dir`` the folder the list paths are relative to; ``labels_dir`` the reference's ``labels/``
    (default: ``<splits_dir>/../../labels``; Syn-TA uses the shipped taxonomy instead). With
    ``frame_lists`` the EZ-CLIP frame-folder lists are read, their absolute paths mapped by
    ``rewrite_root=(old, new)``. Raises :class:`FormatError` (naming file and line) or
    ``FileNotFoundError``.
    """
    info = dataset_info(dataset)
    lists = find_lists(splits_dir, info, frame_lists=frame_lists)
    if not lists:
        kind = "frame-folder lists" if frame_lists else "split lists (coarse_classes/, fine_classes/, ...)"
        raise FileNotFoundError(f"no {info.title} {kind} under {splits_dir}")
    classes = _classes(info, Path(splits_dir), labels_dir)
    pairs_by_set: dict[int, list] = {1: [], 2: []}
    videos = []
    for split in SPLITS:
        for s in (1, 2):
            coarse_file, fine_file = lists.get(("coarse", split, s)), lists.get(("fine", split, s))
            if coarse_file is None and fine_file is None:
                continue
            if coarse_file is None or fine_file is None:
                have = coarse_file or fine_file
                raise FileNotFoundError(f"{have} has no {'fine' if fine_file is None else 'coarse'} list to pair with")
            coarse, fine = read_list(coarse_file, rewrite_root), read_list(fine_file, rewrite_root)
            check_paths(coarse, info)
            check_paths(fine, info)
            pairs = pair_lists(coarse, fine)
            pairs_by_set[s].extend(pairs)
            videos.extend(Video(p.path, split, s, p.coarse, p.fine, p.num_frames) for p in pairs)
    if not videos:
        raise FormatError(f"{splits_dir}: the split lists found hold no videos "
                          f"({', '.join(str(p) for p in sorted(lists.values())[:3])}, ...)")
    parents = recover_parents(pairs_by_set)  # also checks that each fine class has a single parent
    if info.name == "synta":
        _check_synta_parents(classes, pairs_by_set)
    else:
        classes = classes.with_parents(parents)
    root = Path(videos_dir) if videos_dir is not None else Path("/")
    return Manifest(info.name, root.resolve(), classes, tuple(videos))


def _classes(info: DatasetInfo, splits_dir: Path, labels_dir: str | Path | None) -> ClassIndex:
    if info.name == "synta":
        return synta_classes()
    labels = Path(labels_dir) if labels_dir is not None else splits_dir.resolve().parent.parent / "labels"
    files = [labels / info.label_files[k] for k in ("coarse", 1, 2)]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"no {info.title} label file {missing[0]} (pass the reference's labels/ folder)")
    return classes_from_label_files(*files)


def _check_synta_parents(classes: ClassIndex, pairs_by_set: dict[int, list]) -> None:
    """Syn-TA's hierarchy is known: every paired line must agree with the taxonomy."""
    for s, pairs in pairs_by_set.items():
        for p in pairs:
            try:
                parent = classes.fine_label(s, p.fine).coarse
            except KeyError:
                continue  # an out-of-range fine id is for `synta data check` to report
            if parent != p.coarse:
                raise FormatError(f"{p.source}: Syn-TA fine class {p.fine} of Set {s} belongs to coarse class "
                                  f"{parent}, but the coarse list labels this video {p.coarse}")


def count_notes(manifest: Manifest) -> list[str]:
    """Departures from the reference's class counts, and fine classes whose parent is unknown."""
    info = dataset_info(manifest.dataset)
    notes = []
    for task, s in (("coarse", 1), ("fine", 1), ("fine", 2)):
        got, want = manifest.classes.num_classes(task, s), info.num_classes(task, s)
        if got != want:
            what = "coarse" if task == "coarse" else f"fine Set {s}"
            notes.append(f"{what}: {got} classes, the reference has {want}")
    orphans = [f"{f.set}/{f.index}" for f in manifest.classes.fine if f.coarse < 0]
    if orphans:
        notes.append(f"{len(orphans)} fine classes appear in no list, so their coarse parent is unknown "
                     f"(set/index: {', '.join(orphans[:5])}{', ...' if len(orphans) > 5 else ''})")
    return notes
