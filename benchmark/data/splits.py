"""Readers for the reference's official split lists (docs/reference.md#line-grammars).

Two line grammars, one record per line, fields separated by spaces, no header:

- video lists: ``<path> <label>`` (Syn-TA ``<folder>/<file>.mp4``, K400 ``train|val/<ytid>_<t0>_<t1>.mp4``,
  SSv2 ``<id>.webm``);
- frame-folder lists (EZ-CLIP): ``<frame dir> <num_frames> <label>``, with the author's absolute paths,
  which ``rewrite_root`` maps onto the local disk.

Files may or may not end with a newline and may end with empty lines. A coarse list and the fine list of
the same split name the same videos in the same order, which is how :func:`pair_lists` recovers each fine
class's coarse parent for K400-TA and SSv2-TA.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from synta.benchmark.data.datasets import DatasetInfo
from synta.benchmark.data.labels import FormatError
from synta.files import read_text_input
from synta.paths import PathEscapeError, relative

SPLITS = ("train", "val")

# Newer folder/file names first; the older ones hold byte-identical files (docs/reference.md#duplicates).
_LIST_NAMES = {
    "coarse": (("coarse_classes", "coarse"), ("head_classes", "head")),
    "fine": (("fine_classes", "fine"), ("fine_context_classes", "fine")),
}


@dataclass(frozen=True)
class ListEntry:
    """One line of a split list: a video path (or frame folder), its label, and where it was read."""

    path: str
    label: int
    num_frames: int | None
    source: str  # "file:line", for error messages

    @property
    def is_frame_dir(self) -> bool:
        """True for a frame-folder list entry (a directory of JPEGs, not a video file)."""
        return self.num_frames is not None


@dataclass(frozen=True)
class PairedEntry:
    """A video with both of its labels, from a coarse list and the fine list of the same split."""

    path: str
    coarse: int
    fine: int
    num_frames: int | None
    source: str


def read_list(path: str | Path, rewrite_root: tuple[str, str] | None = None) -> list[ListEntry]:
    """Parse a video list (``path label``) or a frame-folder list (``dir num_frames label``).

    ``rewrite_root=(old, new)`` replaces the prefix ``old`` of frame-folder paths by ``new``. Raises
    :class:`FormatError` naming the file and line of the first malformed line, or of a line whose
    grammar differs from the file's first line, and for a binary or non-UTF-8 file or one that is not a
    regular file (a FIFO is never opened for reading). An empty file gives an empty list.
    """
    path = Path(path)
    entries: list[ListEntry] = []
    width = None
    for lineno, line in enumerate(read_text_input(path, FormatError).split("\n"), start=1):
        fields = line.split()
        if not fields:
            continue
        source = f"{path}:{lineno}"
        if width is None:
            width = len(fields)
        if len(fields) != width or width not in (2, 3):
            raise FormatError(f"{source}: expected 'path label' or 'dir num_frames label' like the lines above, "
                              f"got {line.strip()!r}")
        if not all(f.isascii() and f.isdigit() for f in fields[1:]):
            raise FormatError(f"{source}: label and frame count must be non-negative integers, got {line.strip()!r}")
        item = fields[0]
        if width == 3 and rewrite_root is not None:
            item = _rewrite(item, rewrite_root)
        entries.append(ListEntry(item, int(fields[-1]), int(fields[1]) if width == 3 else None, source))
    return entries


def _rewrite(item: str, rewrite_root: tuple[str, str]) -> str:
    old, new = (r.rstrip("/") for r in rewrite_root)
    if item == old or item.startswith(old + "/"):
        return new + item[len(old):]
    return item


def check_paths(entries: list[ListEntry], info: DatasetInfo) -> None:
    """Raise :class:`FormatError` at the first path that does not follow the dataset's grammar, or that
    is relative and climbs out of the videos folder (frame folders may be absolute, as the reference's)."""
    for e in entries:
        ok = info.frame_dir.search(e.path) if e.is_frame_dir else info.video_path.fullmatch(e.path)
        if not ok:
            kind = "frame folder" if e.is_frame_dir else "video path"
            raise FormatError(f"{e.source}: {e.path!r} is not a {info.title} {kind}")
        if not e.path.startswith("/"):
            try:
                relative(e.path)
            except PathEscapeError as err:
                raise FormatError(f"{e.source}: {err}") from None


def find_lists(splits_dir: str | Path, info: DatasetInfo, frame_lists: bool = False
               ) -> dict[tuple[str, str, int], Path]:
    """The split lists present under ``splits_dir``, keyed by (task, split, set).

    ``splits_dir`` is the reference's ``dataset_splits/<dataset>/`` (or a rendered dataset's ``splits/``):
    ``coarse_classes/{split}_set{s}_coarse.txt`` (or the older ``head_classes/..._head.txt``) and
    ``fine_classes/{split}_set{s}_fine.txt`` (or ``fine_context_classes/...``). With ``frame_lists``, the
    dataset's EZ-CLIP frame-folder lists instead.
    """
    root = Path(splits_dir)
    found: dict[tuple[str, str, int], Path] = {}
    if frame_lists:
        for key, rel in info.frame_lists.items():
            if (root / rel).is_file():
                found[key] = root / rel
        return found
    for task, names in _LIST_NAMES.items():
        for split in SPLITS:
            for s in (1, 2):
                for folder, suffix in names:
                    candidate = root / folder / f"{split}_set{s}_{suffix}.txt"
                    if candidate.is_file():
                        found[(task, split, s)] = candidate
                        break
    return found


def pair_lists(coarse: list[ListEntry], fine: list[ListEntry]) -> list[PairedEntry]:
    """Zip a coarse list with the fine list of the same split (same videos, same order).

    Raises :class:`FormatError` naming the first line where the two lists disagree.
    """
    for c, f in zip(coarse, fine):
        if c.path != f.path:
            raise FormatError(f"{f.source}: lists out of step: {f.path!r} here but {c.path!r} at {c.source}")
    if len(coarse) != len(fine):
        longer, shorter = (coarse, fine) if len(coarse) > len(fine) else (fine, coarse)
        raise FormatError(f"{longer[len(shorter)].source}: {len(longer)} lines, but the paired list has "
                          f"{len(shorter)}")
    return [PairedEntry(c.path, c.label, f.label, f.num_frames, f.source) for c, f in zip(coarse, fine)]


def recover_parents(pairs_by_set: dict[int, list[PairedEntry]]) -> dict[tuple[int, int], int]:
    """``{(set, fine index): coarse id}`` from paired lists; every fine class must have one parent.

    Raises :class:`FormatError` naming both lines when a fine class appears under two coarse ids.
    """
    parents: dict[tuple[int, int], tuple[int, str]] = {}
    for s, pairs in pairs_by_set.items():
        for p in pairs:
            seen = parents.setdefault((s, p.fine), (p.coarse, p.source))
            if seen[0] != p.coarse:
                raise FormatError(f"{p.source}: fine class {p.fine} of Set {s} has coarse label {p.coarse} here "
                                  f"but {seen[0]} at {seen[1]}")
    return {k: v[0] for k, v in parents.items()}
