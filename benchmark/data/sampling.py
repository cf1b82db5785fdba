"""Which frames a clip takes: dense clips, TSN/uniform segments, and multi-view testing.

Every sampler maps (number of frames, randomness) to frame indices, so each is a pure function that the
tests check against hand-computed indices. Training draws from an explicit ``numpy.random.Generator``;
testing is deterministic and returns one index list per temporal view.

Short videos (fewer frames than a clip spans): ``pad="repeat"`` (default) repeats the last frame, so the
clip ends on a freeze; ``pad="loop"`` starts the video again. Repeating is the default because looping
plays a different motion in several classes: an "appearing" clip that loops shows the object vanish.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PADS = ("repeat", "loop")


def _pad(indices: np.ndarray, num_frames: int, pad: str) -> list[int]:
    if pad not in PADS:
        raise ValueError(f"pad must be one of {PADS}, got {pad!r}")
    if num_frames < 1:
        raise ValueError("a video needs at least one frame")
    out = indices % num_frames if pad == "loop" else np.minimum(indices, num_frames - 1)
    return [int(i) for i in out]


@dataclass(frozen=True)
class DenseSampler:
    """``frames`` frames ``stride`` apart (the SlowFast-family clips, e.g. 8×8, 16×4).

    Training: a random start in ``[0, num_frames - span]`` (``span = (frames - 1) * stride + 1``).
    Testing with ``views`` temporal views: one view starts at ``(num_frames - span) // 2`` (the centre clip);
    N > 1 views start at ``round(k * (num_frames - span) / (N - 1))``, k = 0..N-1, from the first possible
    clip to the last. When the video is shorter than the span, every view starts at 0 and is padded.
    """

    frames: int
    stride: int = 1
    pad: str = "repeat"

    @property
    def span(self) -> int:
        """Frames covered from the clip's first to its last index."""
        return (self.frames - 1) * self.stride + 1

    def clip(self, num_frames: int, start: int) -> list[int]:
        """The clip starting at ``start``."""
        return _pad(start + self.stride * np.arange(self.frames), num_frames, self.pad)

    def train(self, num_frames: int, rng: np.random.Generator) -> list[int]:
        """One clip at a uniformly random start."""
        return self.clip(num_frames, int(rng.integers(0, max(num_frames - self.span, 0) + 1)))

    def test(self, num_frames: int, views: int = 1) -> list[list[int]]:
        """``views`` evenly spaced clips."""
        slack = max(num_frames - self.span, 0)
        if views == 1:
            return [self.clip(num_frames, slack // 2)]
        return [self.clip(num_frames, int(round(k * slack / (views - 1)))) for k in range(views)]


@dataclass(frozen=True)
class UniformSampler:
    """TSN-style sparse sampling: the video is cut into ``frames`` equal segments, one frame from each.

    Segment k covers ``[k * L, (k + 1) * L)`` with ``L = num_frames / frames``. Training takes
    ``floor(k * L + u * L)`` with u uniform in [0, 1) per segment; testing with N views takes
    ``floor(k * L + (v + 0.5) * L / N)`` for view v (one view: each segment's middle frame). Videos with
    fewer frames than segments repeat frames (segments shorter than a frame), so nothing is padded.
    """

    frames: int

    def train(self, num_frames: int, rng: np.random.Generator) -> list[int]:
        """One random frame per segment."""
        seg = num_frames / self.frames
        offsets = rng.random(self.frames)
        return _pad(np.floor((np.arange(self.frames) + offsets) * seg).astype(int), num_frames, "repeat")

    def test(self, num_frames: int, views: int = 1) -> list[list[int]]:
        """``views`` deterministic index lists, shifted within each segment."""
        seg = num_frames / self.frames
        k = np.arange(self.frames)
        return [_pad(np.floor(k * seg + (v + 0.5) * seg / views).astype(int), num_frames, "repeat")
                for v in range(views)]


Sampler = DenseSampler | UniformSampler


def make_sampler(kind: str, frames: int, stride: int = 1, pad: str = "repeat") -> Sampler:
    """``dense`` (``frames`` at ``stride``, short videos padded by ``pad``) or ``uniform`` (TSN segments;
    ``stride`` and ``pad`` do not apply)."""
    if frames < 1 or stride < 1:
        raise ValueError("frames and stride must be at least 1")
    if pad not in PADS:
        raise ValueError(f"pad must be one of {PADS}, got {pad!r}")
    if kind == "dense":
        return DenseSampler(frames, stride, pad)
    if kind == "uniform":
        return UniformSampler(frames)
    raise ValueError(f"unknown sampler {kind!r} (expected 'dense' or 'uniform')")
