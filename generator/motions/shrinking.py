"""Shrinking (coarse 18): objects shrink in place, resting on the ground (expanding in reverse).

Fine variants: 1 large -> medium; 2 large -> very small; 3 two different large objects shrink to the
same smaller size; 4 two different large objects shrink to different smaller sizes.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, monotonic
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Scene

# Sizes as object scales (1 = the reference's 2-unit primitives); the reference shrinks 4 -> 1.8.
LARGE, MEDIUM, VERY_SMALL = (2.2, 2.6), (1.1, 1.4), (0.3, 0.42)
VERY_SMALL_SHRINK = 0.3  # large -> medium keeps more than it (>= 0.42), large -> very small less (<= 0.19)


def _single(s: Scene, to: tuple[float, float]) -> None:
    a = s.obj(at=(s.u(-1, 1), s.u(-1, 1), None), scale=s.u(*LARGE))
    a.grow(s.u(*to), s.u(0, 6), s.last - s.u(0, 6))


def _pair(s: Scene, ends: tuple[float, float]) -> None:
    """Two objects of different shapes side by side on screen, far enough apart for their starting
    sizes, shrinking together to ``ends``."""
    starts = (s.u(*LARGE), s.u(*LARGE))
    half = np.sqrt(2) * sum(starts) / 2 + s.u(0.4, 1.0)  # sqrt(2): a turned cube's half-diagonal
    depth = s.u(-1, 1)
    f0, f1 = s.u(0, 6), s.last - s.u(0, 6)
    for side, start, end in zip((-1, 1), starts, ends):
        s.obj(at=s.screen(side * half, depth), scale=start).grow(end, f0, f1)


@motion("shrinking1")
def large_to_medium(s: Scene) -> None:
    _single(s, MEDIUM)


@motion("shrinking2")
def large_to_very_small(s: Scene) -> None:
    _single(s, VERY_SMALL)


@motion("shrinking3")
def two_different_to_same_size(s: Scene) -> None:
    end = s.u(0.7, 1.0)
    _pair(s, (end, end))


@motion("shrinking4")
def two_different_to_different_sizes(s: Scene) -> None:
    end = s.u(0.55, 0.8)
    ends = (end, end * s.u(1.5, 1.8))
    _pair(s, ends if s.sign() > 0 else ends[::-1])


# -- checks ---------------------------------------------------------------------------------------

def _shrinks(v: ClipView, i: int) -> float | None:
    """The fraction of its size object ``i`` keeps, when it only shrinks (to at most 0.7 times), stays
    in place and visible, and its picture shrinks too; else None."""
    sc, box = v.scale[i], v.bbox[i]
    area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
    ratio = float(sc[-1] / sc[0])
    ok = (ratio <= 0.7 and monotonic(sc, increasing=False) and bool(v.visible[i].all())
          and float(np.abs(v.pos[i, :, :2] - v.pos[i, 0, :2]).max()) < 0.05 and area[-1] < area[0] / 1.5)
    return ratio if ok else None


def _two_different_shrink(v: ClipView) -> bool:
    """Two objects shrink; they differ in shape, or at least in colour where the pool has one shape."""
    if v.n != 2 or not all(_shrinks(v, i) is not None for i in range(2)):
        return False
    return v.shapes[0] != v.shapes[1] or float(np.abs(v.color[0, 0] - v.color[1, 0]).max()) > 0.1


def _end_size_ratio(v: ClipView) -> float:
    """|log| of the ratio of the two objects' final sizes."""
    return abs(float(np.log(v.scale[0, -1] / v.scale[1, -1])))


@check("shrinking1")
def shrinks_to_medium(v: ClipView) -> bool:
    r = _shrinks(v, 0) if v.n == 1 else None
    return r is not None and r > VERY_SMALL_SHRINK


@check("shrinking2")
def shrinks_to_very_small(v: ClipView) -> bool:
    r = _shrinks(v, 0) if v.n == 1 else None
    return r is not None and r < VERY_SMALL_SHRINK


@check("shrinking3")
def shrink_to_same_size(v: ClipView) -> bool:
    return _two_different_shrink(v) and _end_size_ratio(v) < 0.03


@check("shrinking4")
def shrink_to_different_sizes(v: ClipView) -> bool:
    return _two_different_shrink(v) and _end_size_ratio(v) > np.log(1.3)
