"""Frame indices of every sampler against hand-computed expectations."""
from __future__ import annotations

import numpy as np
import pytest

from synta.benchmark.data.sampling import DenseSampler, UniformSampler, make_sampler


class FixedRng:
    """Stands in for numpy's Generator: ``integers`` returns ``low + pick * (high - low - 1)``, ``random``
    returns ``u`` for every draw."""

    def __init__(self, pick: float = 0.0, u: float = 0.0) -> None:
        self.pick, self.u = pick, u

    def integers(self, low: int, high: int) -> int:
        return low + int(self.pick * (high - 1 - low))

    def random(self, n: int) -> np.ndarray:
        return np.full(n, self.u)


def test_dense_8x8_on_120_frames():
    s = DenseSampler(8, 8)
    assert s.span == 57
    assert s.clip(120, 10) == [10, 18, 26, 34, 42, 50, 58, 66]
    # training: start uniform in [0, 120 - 57] = [0, 63]
    assert s.train(120, FixedRng(pick=0.0)) == [0, 8, 16, 24, 32, 40, 48, 56]
    assert s.train(120, FixedRng(pick=1.0)) == [63, 71, 79, 87, 95, 103, 111, 119]
    starts = {s.train(120, np.random.default_rng(i))[0] for i in range(2000)}
    assert starts == set(range(64))
    # testing: the centre clip starts at 63 // 2 = 31
    assert s.test(120) == [[31, 39, 47, 55, 63, 71, 79, 87]]
    # three views start at round(k * 63 / 2): 0, 32 (31.5 rounds to even), 63
    assert s.test(120, views=3) == [[0, 8, 16, 24, 32, 40, 48, 56], [32, 40, 48, 56, 64, 72, 80, 88],
                                    [63, 71, 79, 87, 95, 103, 111, 119]]


def test_dense_16x4_exactly_fits_61_frames():
    s = DenseSampler(16, 4)
    assert s.span == 61
    expected = list(range(0, 61, 4))
    assert s.test(61) == [expected] and s.train(61, np.random.default_rng(0)) == expected


def test_dense_short_video_repeat_and_loop():
    # 40 frames, 8x8 clip spans 57: start 0; 40, 48, 56 are past the end
    assert DenseSampler(8, 8).test(40) == [[0, 8, 16, 24, 32, 39, 39, 39]]
    assert DenseSampler(8, 8, pad="loop").test(40) == [[0, 8, 16, 24, 32, 0, 8, 16]]
    assert DenseSampler(8, 8, pad="loop").train(40, np.random.default_rng(3)) == [0, 8, 16, 24, 32, 0, 8, 16]
    assert DenseSampler(8, 8).test(40, views=2) == [[0, 8, 16, 24, 32, 39, 39, 39]] * 2
    assert DenseSampler(4, 2).test(1) == [[0, 0, 0, 0]]


def test_dense_stride_1():
    assert DenseSampler(4, 1).test(10) == [[3, 4, 5, 6]]  # slack 6, centre start 3
    assert DenseSampler(4, 1).test(10, views=4) == [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7], [6, 7, 8, 9]]


def test_uniform_tsn_segments():
    s = UniformSampler(8)
    # 120 frames: segments of 15; test takes each middle, floor(15k + 7.5)
    assert s.test(120) == [[7, 22, 37, 52, 67, 82, 97, 112]]
    # two views: floor(15k + 3.75) and floor(15k + 11.25)
    assert s.test(120, views=2) == [[3, 18, 33, 48, 63, 78, 93, 108], [11, 26, 41, 56, 71, 86, 101, 116]]
    # training: one random offset per segment
    assert s.train(120, FixedRng(u=0.0)) == [0, 15, 30, 45, 60, 75, 90, 105]
    assert s.train(120, FixedRng(u=0.999)) == [14, 29, 44, 59, 74, 89, 104, 119]
    # 60 frames: segments of 7.5, floor(7.5k + 3.75)
    assert s.test(60) == [[3, 11, 18, 26, 33, 41, 48, 56]]
    for seed in range(200):
        idx = s.train(60, np.random.default_rng(seed))
        assert all(int(7.5 * k) <= i <= int(7.5 * (k + 1) - 1e-9) for k, i in enumerate(idx))


def test_uniform_short_video_repeats_frames():
    # 5 frames, 8 segments of 0.625: floor(0.625k + 0.3125)
    assert UniformSampler(8).test(5) == [[0, 0, 1, 2, 2, 3, 4, 4]]
    assert UniformSampler(8).train(5, FixedRng(u=0.999)) == [0, 1, 1, 2, 3, 3, 4, 4]


def test_make_sampler():
    assert make_sampler("dense", 16, 4) == DenseSampler(16, 4)
    assert make_sampler("uniform", 8, 99) == UniformSampler(8)
    assert make_sampler("dense", 8, 8, pad="loop").pad == "loop"
    for args in (("sparse", 8), ("dense", 0), ("dense", 8, 0)):
        with pytest.raises(ValueError):
            make_sampler(*args)
    with pytest.raises(ValueError, match="pad must be one of"):
        make_sampler("dense", 8, 1, pad="mirror")
