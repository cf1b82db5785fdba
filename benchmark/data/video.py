"""Decoding with PyAV: only the frames a clip needs, seeking to the keyframe before them.

:class:`VideoReader` seeks to the keyframe before the first wanted frame, reads packets (cheap: no
decoding) until every wanted frame's packet has been seen, and decodes only the groups of pictures (GOPs)
that hold a wanted frame; frames are converted to RGB only if wanted. A rendered Syn-TA clip has a keyframe
every 12 frames, so an 8-frame clip of a 120-frame video decodes a fraction of it and converts 8 frames.

Frame ``i`` is the frame shown at ``i / fps`` seconds (from the packet timestamps). If timestamps do not
give every wanted frame (missing timestamps, variable frame rate, an inexact seek), the reader falls back
to decoding from the start and numbering frames in presentation order. Wanted frames past the last frame
the file really holds (its header may promise more) repeat the last decoded frame.

Frame folders (``img_00001.jpg``, ... as in the reference's EZ-CLIP lists) are read by
:class:`FrameFolderReader` with the same interface.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import os
import stat
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

FRAME_TEMPLATE = "img_{:05d}.jpg"


class DecodeError(RuntimeError):
    """A video that cannot be opened or decoded: ``str()`` is ``"<path>: <reason>"``."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video: frame count (estimated from the duration if the header has
    none), frame rate and size."""

    num_frames: int
    fps: float
    width: int
    height: int


class _Reader:
    """What both readers share: ``info``, ``num_frames`` and use as a context manager."""

    info: VideoInfo

    @property
    def num_frames(self) -> int:
        """Frames according to the source (0 when a video gives neither a count nor a duration)."""
        return self.info.num_frames

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the source (nothing to release by default)."""


class VideoReader(_Reader):
    """An open video file. Use as a context manager; ``threads`` > 1 (or 0: FFmpeg decides) turns on
    FFmpeg's frame/slice threads, worth it in the main process but not in loader workers, which already
    keep every core busy. ``max_short_side`` downscales frames during the RGB conversion (swscale, area
    filter) when the video is larger, which is cheaper than resizing tensors afterwards."""

    def __init__(self, path: str | Path, threads: int = 1, max_short_side: int | None = None) -> None:
        self.path = Path(path)
        try:
            # FFmpeg would block forever on a FIFO (and read a device without end): regular files only
            if not stat.S_ISREG(os.stat(self.path).st_mode):
                raise DecodeError(self.path, "not a regular file")
            self._container = av.open(str(self.path))
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as err:
            raise DecodeError(self.path, f"cannot open: {_reason(err)}") from None
        try:
            if not self._container.streams.video:
                raise DecodeError(self.path, "no video stream")
            self._stream = stream = self._container.streams.video[0]
            if threads != 1:
                stream.thread_type = "AUTO"
                stream.thread_count = threads
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if not rate:
                raise DecodeError(self.path, "unknown frame rate")
            self._rate = Fraction(rate)
            self._tb = Fraction(stream.time_base) if stream.time_base else None
            self._start = stream.start_time or 0
            try:
                width, height = stream.width, stream.height
            except AttributeError:  # PyAV's answer to a stream header cut short (a partial MP4 index)
                raise DecodeError(self.path, "incomplete stream header (no frame size)") from None
            self.info = VideoInfo(self._count(), float(self._rate), width, height)
            self._size = _scaled(width, height, max_short_side)
        except BaseException:
            self._container.close()
            raise

    def _count(self) -> int:
        if self._stream.frames:
            return int(self._stream.frames)
        if self._stream.duration and self._tb:
            seconds = self._stream.duration * self._tb
        elif self._container.duration:
            seconds = Fraction(self._container.duration, av.time_base)
        else:
            return 0
        return int(round(seconds * self._rate))

    def close(self) -> None:
        """Close the file."""
        self._container.close()

    def read(self, indices: Sequence[int]) -> np.ndarray:
        """Frames ``indices`` (any order, repeats allowed) as uint8 RGB, shape ``(len(indices), H, W, 3)``.

        Raises :class:`DecodeError` if the file yields no frame at all or fails mid-stream.
        """
        wanted = sorted({int(i) for i in indices})
        if not wanted or wanted[0] < 0:
            raise ValueError(f"frame indices must be non-negative, got {list(indices)[:8]}")
        try:
            frames = self._read_by_timestamp(wanted) if self._tb else None
            if frames is None:
                frames = self._read_in_order(wanted)
        except (av.error.FFmpegError, OSError, ValueError) as err:
            raise DecodeError(self.path, f"decoding failed ({_reason(err)})") from None
        return np.stack([frames[i] for i in indices])

    def last_index(self) -> int:
        """Index of the last frame that decodes, found by decoding from the keyframe before the frame the
        header calls last to the end of the file (-1 if none decodes). Raises :class:`DecodeError`."""
        try:
            if self._tb and self.num_frames > 1:
                target = self._start + int((self.num_frames - 1) / (self._rate * self._tb))
                self._container.seek(target, backward=True, stream=self._stream)
            last = -1
            for frame in self._container.decode(self._stream):
                if frame.pts is None or not self._tb:
                    return self.count()
                last = max(last, self._index(frame.pts))
            return last
        except (av.error.FFmpegError, OSError, ValueError) as err:
            raise DecodeError(self.path, f"decoding failed near the end ({_reason(err)})") from None

    def count(self) -> int:
        """Number of frames that decode, decoding them all. Raises :class:`DecodeError` mid-stream."""
        try:
            self._container.seek(0, backward=True, stream=self._stream)
            return sum(1 for _ in self._container.decode(self._stream))
        except (av.error.FFmpegError, OSError, ValueError) as err:
            raise DecodeError(self.path, f"decoding failed ({_reason(err)})") from None

    def _index(self, pts: int) -> int:
        return int(round((pts - self._start) * self._tb * self._rate))

    def _read_by_timestamp(self, wanted: list[int]) -> dict[int, np.ndarray] | None:
        """Seek, plan by packet timestamps, decode the needed GOPs; None if timestamps cannot be trusted."""
        stream, container = self._stream, self._container
        # always seek (also to frame 0): the reader may have been read before
        container.seek(self._start + int(wanted[0] / (self._rate * self._tb)), backward=True, stream=stream)
        want = set(wanted)
        gops: list[list[av.Packet]] = []
        seen: set[int] = set()
        for packet in container.demux(stream):
            if packet.size == 0:
                continue  # the demuxer's end-of-stream marker
            if packet.pts is None:
                return None
            if packet.is_keyframe or not gops:
                gops.append([])
            gops[-1].append(packet)
            index = self._index(packet.pts)
            if index in want:
                seen.add(index)
                if len(seen) == len(want):
                    break
        if not gops or self._index(gops[0][0].pts) > wanted[0]:
            return None  # the seek overshot, or the stream does not start with a keyframe
        frames: dict[int, np.ndarray] = {}
        for run in _needed_runs(gops, [[self._index(p.pts) for p in g] for g in gops], wanted):
            for packet in run:
                for frame in stream.decode(packet):
                    self._keep(frame, want, frames)
                if len(frames) == len(want):
                    break
            if len(frames) == len(want):
                break
            # Drain and reset the decoder before jumping ahead, so no state crosses the skipped GOPs.
            for frame in stream.decode(None):
                self._keep(frame, want, frames)
            stream.codec_context.flush_buffers()
        missing = want - frames.keys()
        if not frames or (missing and min(missing) < max(frames)):
            return None  # a gap inside the decoded range: timestamps do not map to frame numbers
        return _pad(frames, wanted)

    def _keep(self, frame: av.VideoFrame, want: set[int], frames: dict[int, np.ndarray]) -> None:
        if frame.pts is not None:
            index = self._index(frame.pts)
            if index in want and index not in frames:
                frames[index] = self._rgb(frame)

    def _read_in_order(self, wanted: list[int]) -> dict[int, np.ndarray]:
        """Decode from the start, numbering frames in presentation order (the robust, slow path)."""
        self._container.seek(0, backward=True, any_frame=False, stream=self._stream)
        want, last = set(wanted), wanted[-1]
        frames: dict[int, np.ndarray] = {}
        for position, frame in enumerate(self._container.decode(self._stream)):
            if position in want:
                frames[position] = self._rgb(frame)
            if position >= last:
                break
        if not frames:
            raise DecodeError(self.path, "no frame decodes")
        return _pad(frames, wanted)

    def _rgb(self, frame: av.VideoFrame) -> np.ndarray:
        if self._size is None:
            return frame.to_ndarray(format="rgb24")
        return frame.to_ndarray(width=self._size[0], height=self._size[1], format="rgb24", interpolation="AREA")


def _needed_runs(gops: list[list[av.Packet]], indices: list[list[int]], wanted: list[int]
                 ) -> list[list[av.Packet]]:
    """The packets of the GOPs whose frames span a wanted frame, as runs of consecutive GOPs.

    A GOP whose first frames are shown before its keyframe (an open GOP with leading B-frames) references
    the previous GOP, so that one is decoded too.
    """
    need = [False] * len(gops)
    for g, idx in enumerate(indices):
        lo, hi = min(idx), max(idx)
        if any(lo <= w <= hi for w in wanted):
            need[g] = True
            if g > 0 and lo < idx[0]:
                need[g - 1] = True
    runs: list[list[av.Packet]] = []
    for g, packets in enumerate(gops):
        if need[g]:
            if g == 0 or not need[g - 1]:
                runs.append([])
            runs[-1].extend(packets)
    return runs


def _pad(frames: dict[int, np.ndarray], wanted: list[int]) -> dict[int, np.ndarray]:
    """Wanted frames past the end of the decoded ones repeat the last decoded frame."""
    last = frames[max(frames)]
    return {i: frames.get(i, last) for i in wanted}


def _scaled(width: int, height: int, max_short_side: int | None) -> tuple[int, int] | None:
    short = min(width, height)
    if max_short_side is None or short <= max_short_side:
        return None
    scale = max_short_side / short
    # even sizes keep swscale on its fast paths for 4:2:0 input
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _reason(err: BaseException) -> str:
    text = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return text.splitlines()[0]


class FrameFolderReader(_Reader):
    """A folder of JPEG frames (``img_00001.jpg``, ...: 1-based, as in the reference's frame lists)."""

    def __init__(self, path: str | Path, num_frames: int | None = None, template: str = FRAME_TEMPLATE,
                 first: int = 1) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise DecodeError(self.path, "no such frame folder")
        self.template, self.first = template, first
        count = num_frames if num_frames else sum(1 for _ in self.path.glob("*.jpg"))
        self.info = VideoInfo(count, 0.0, 0, 0)  # frames as listed, else counted

    def read(self, indices: Sequence[int]) -> np.ndarray:
        """Frames ``indices`` (0-based) as uint8 RGB, shape ``(len(indices), H, W, 3)``."""
        from PIL import Image, UnidentifiedImageError

        cache: dict[int, np.ndarray] = {}
        for i in set(indices):
            file = self.path / self.template.format(int(i) + self.first)
            try:
                with Image.open(file) as im:
                    cache[i] = np.asarray(im.convert("RGB"))
            except (OSError, UnidentifiedImageError) as err:
                raise DecodeError(file, _reason(err)) from None
        return np.stack([cache[i] for i in indices])


def open_video(path: str | Path, num_frames: int | None = None, threads: int = 1,
               max_short_side: int | None = None) -> VideoReader | FrameFolderReader:
    """A reader for a video file, or for a frame folder (any path that is a directory)."""
    path = Path(path)
    if path.is_dir():
        return FrameFolderReader(path, num_frames)
    return VideoReader(path, threads=threads, max_short_side=max_short_side)


def probe(path: str | Path) -> VideoInfo:
    """Frame count, frame rate and size from the container, without decoding."""
    with VideoReader(path) as reader:
        return reader.info
