"""``synta data check``: verify a manifest against the disk and its label spaces.

Each video is classified as fine or as one problem: ``missing``, ``empty`` (zero bytes), ``unreadable``
(not a video FFmpeg can open, or not a regular file: a FIFO or device is never opened), ``truncated`` (a
video container that ends early: no index or a partial one, an MP4 whose last box runs past the end of
the file, fewer frames decode than its header promises, or decoding fails part-way), ``no_frames`` (no
video stream in a complete container, or nothing decodes) or ``bad_label`` (a split, set, coarse id or
fine index outside the dataset's label spaces, or a coarse id that is not the fine class's parent: the
taxonomy's for Syn-TA, the one the paired split lists gave for K400-TA and SSv2-TA).
The quick check decodes the first frame and the frames after the last keyframe; ``full`` decodes every
frame. A file that cannot be checked is a problem, never a crash.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from synta.benchmark.data.manifest import Manifest, Video
from synta.benchmark.data.splits import SPLITS
from synta.benchmark.data.video import DecodeError, FrameFolderReader, VideoReader
from synta.cpus import usable_cpus

PROBLEMS = ("missing", "empty", "unreadable", "truncated", "no_frames", "bad_label")
# File signatures of the containers the datasets use (MP4/MOV, Matroska/WebM, AVI).
_SIGNATURES = ((4, b"ftyp"), (0, b"\x1a\x45\xdf\xa3"), (0, b"RIFF"))


@dataclass(frozen=True)
class Problem:
    """One problem of one video."""

    kind: str
    path: str
    detail: str


@dataclass
class CheckReport:
    """Problems by kind (in manifest order) and the manifest without the videos that have one."""

    total: int
    problems: dict[str, list[Problem]] = field(default_factory=lambda: {k: [] for k in PROBLEMS})
    clean: Manifest | None = None

    @property
    def num_problems(self) -> int:
        """Videos with a problem."""
        return sum(len(v) for v in self.problems.values())

    def lines(self, examples: int = 3) -> list[str]:
        """A readable report: one line per problem kind with a count, then its first ``examples``."""
        out = [f"{self.total} videos checked: {self.total - self.num_problems} ok, {self.num_problems} with problems"]
        for kind in PROBLEMS:
            found = self.problems[kind]
            if found:
                out.append(f"  {kind}: {len(found)}")
                out.extend(f"    {p.path}: {p.detail}" for p in found[:examples])
                if len(found) > examples:
                    out.append(f"    ... and {len(found) - examples} more")
        return out

    def to_dict(self) -> dict:
        """JSON-ready: counts and every problem."""
        return {"total": self.total, "ok": self.total - self.num_problems,
                "counts": {k: len(v) for k, v in self.problems.items()},
                "problems": {k: [{"path": p.path, "detail": p.detail} for p in v] for k, v in self.problems.items()}}


def label_problem(manifest: Manifest, video: Video) -> str | None:
    """Why the video's labels are outside the dataset's label spaces, or None."""
    classes = manifest.classes
    if video.split not in SPLITS:
        return f"split {video.split!r} is not one of {SPLITS}"
    if video.set not in (1, 2):
        return f"set {video.set} is not 1 or 2"
    if not 0 <= video.coarse < len(classes.coarse):
        return f"coarse id {video.coarse} outside 0..{len(classes.coarse) - 1}"
    n = classes.num_classes("fine", video.set)
    if not 0 <= video.fine < n:
        return f"fine index {video.fine} outside 0..{n - 1} of Set {video.set}"
    fine = classes.fine_label(video.set, video.fine)
    if fine.coarse >= 0 and fine.coarse != video.coarse:  # -1: parent unknown (a class in no paired list)
        return (f"coarse id {video.coarse} ({classes.coarse[video.coarse]}), but fine class {fine.name} of "
                f"Set {video.set} belongs to {fine.coarse} ({classes.coarse[fine.coarse]})")
    return None


def check_file(path: str, num_frames: int | None = None, full: bool = False) -> tuple[str, str] | None:
    """``(problem kind, detail)`` for the video file or frame folder at ``path``, or None if it is fine."""
    p = Path(path)
    if p.is_dir():
        return _check_folder(p, num_frames)
    if not p.exists():
        return "missing", "no such file"
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):  # opening a FIFO would block for ever
            return "unreadable", "not a regular file (a FIFO, socket or device)"
        if st.st_size == 0:
            return "empty", "zero bytes"
        with open(p, "rb") as fh:
            head = fh.read(12)
    except OSError as err:
        return "unreadable", err.strerror or str(err)
    is_video = any(head[at:at + len(sig)] == sig for at, sig in _SIGNATURES)
    cut = _mp4_cut_short(p) if head[4:8] == b"ftyp" else None
    try:
        reader = VideoReader(p)
    except DecodeError as err:
        if err.reason == "no video stream":
            return ("truncated", f"no video stream: {cut}") if cut else ("no_frames", err.reason)
        return ("truncated", f"a video container that does not open ({err.reason})") if is_video else \
            ("unreadable", f"not a video file ({err.reason})")
    try:
        with reader:
            found = _check_frames(reader, full)
    except DecodeError as err:
        return "truncated", err.reason
    except Exception as err:  # one odd file must not stop a check of 200k videos
        return "unreadable", f"{type(err).__name__}: {err}"
    return found or (("truncated", cut) if cut else None)


def _mp4_cut_short(path: Path) -> str | None:
    """Why the top-level boxes of the MP4/MOV file ``path`` do not end exactly at its end, or None.

    FFmpeg opens many MP4s cut inside their index (``moov``) and reports fewer streams or frames; the box
    sizes say for sure that bytes are missing.
    """
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            pos = 0
            while pos < size:
                fh.seek(pos)
                header = fh.read(16)
                if len(header) < 8:
                    return f"the file ends inside a box header at byte {pos}"
                length, kind = int.from_bytes(header[:4], "big"), header[4:8].decode("latin-1")
                if length == 1:  # 64-bit size follows
                    if len(header) < 16:
                        return f"the file ends inside the header of its {kind!r} box"
                    length = int.from_bytes(header[8:16], "big")
                elif length == 0:  # the box runs to the end of the file
                    return None
                if length < 8:
                    return f"box {kind!r} at byte {pos} has an impossible size {length}"
                if pos + length > size:
                    return f"the file ends inside its {kind!r} box ({size - pos} of {length} bytes)"
                pos += length
    except OSError as err:
        return f"cannot read its boxes ({err.strerror or err})"
    return None


def _check_frames(reader: VideoReader, full: bool) -> tuple[str, str] | None:
    expected = reader.num_frames
    if expected == 0:
        return "no_frames", "the container holds no frames"
    tolerance = max(2, expected // 50)  # container headers may be off by a frame or two
    if full:
        decoded = reader.count()
        if expected - decoded > tolerance:
            return "truncated", f"{decoded} of {expected} frames decode"
        return None
    reader.read([0])
    last = reader.last_index()
    if expected - (last + 1) > tolerance:
        where = f"decodes to frame {last}" if last >= 0 else "its last keyframe does not decode"
        return "truncated", f"ends early: {where}, the header says {expected} frames"
    return None


def _check_folder(path: Path, num_frames: int | None) -> tuple[str, str] | None:
    count = sum(1 for _ in path.glob("*.jpg"))
    if count == 0:
        return "no_frames", "frame folder without JPEGs"
    if num_frames and count < num_frames:
        return "truncated", f"{count} of {num_frames} frames present"
    try:
        with FrameFolderReader(path, count) as reader:
            reader.read([0, count - 1])
    except DecodeError as err:
        return "unreadable", err.reason
    return None


def _check_one(args: tuple[str, int | None, bool]) -> tuple[str, str] | None:
    return check_file(*args)


def check_manifest(manifest: Manifest, full: bool = False, workers: int | None = None,
                   progress: Callable[[int, int], None] | None = None) -> CheckReport:
    """Check every video of ``manifest`` (labels first, then the disk, in ``workers`` processes).

    ``progress(done, total)`` is called as files are checked. The report's ``clean`` manifest keeps the
    videos without a problem, in their order.
    """
    report = CheckReport(total=len(manifest.videos))
    bad: set[int] = set()
    to_scan = []
    for i, v in enumerate(manifest.videos):
        why = label_problem(manifest, v)
        if why:
            report.problems["bad_label"].append(Problem("bad_label", v.path, why))
            bad.add(i)
        else:
            to_scan.append(i)
    jobs = [(str(manifest.resolve(manifest.videos[i])), manifest.videos[i].num_frames, full) for i in to_scan]
    workers = workers or usable_cpus()
    results = []
    if workers > 1 and len(jobs) > 8:
        with ProcessPoolExecutor(workers) as pool:
            for done, result in enumerate(pool.map(_check_one, jobs, chunksize=16), start=1):
                results.append(result)
                if progress:
                    progress(done, len(jobs))
    else:
        for done, job in enumerate(jobs, start=1):
            results.append(_check_one(job))
            if progress:
                progress(done, len(jobs))
    found: dict[int, Problem] = {}
    for i, result in zip(to_scan, results):
        if result is not None:
            found[i] = Problem(result[0], manifest.videos[i].path, result[1])
    for i in sorted(found):
        report.problems[found[i].kind].append(found[i])
    bad.update(found)
    report.clean = manifest.with_videos(v for i, v in enumerate(manifest.videos) if i not in bad)
    return report
