"""Expanding (coarse 8): objects grow in place, resting on the ground.

Fine variants: 1 small -> medium; 2 small -> large; 3 two different small objects grow to the same
larger size; 4 two identical small objects grow to different larger sizes.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, monotonic
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Scene

# Sizes as object scales (1 = the reference's 2-unit primitives); the reference grows 1 -> 1.5.
SMALL, MEDIUM, LARGE = (0.5, 0.65), (1.1, 1.3), (2.4, 2.8)
LARGE_GROWTH = 3.1  # growth factors of small -> medium stay below it (<= 2.6), small -> large above (>= 3.7)


def _single(s: Scene, to: tuple[float, float]) -> None:
    a = s.obj(at=(s.u(-1, 1), s.u(-1, 1), None), scale=s.u(*SMALL))
    a.grow(s.u(*to), s.u(0, 6), s.last - s.u(0, 6))


def _pair(s: Scene, ends: tuple[float, float], same: bool) -> None:
    """Two objects side by side on screen, far enough apart for their final sizes (``same``: one
    shape, colour and size), growing together to ``ends``."""
    half = np.sqrt(2) * sum(ends) / 2 + s.u(0.4, 1.0)  # sqrt(2): a turned cube's half-diagonal
    depth = s.u(-1, 1)
    a = s.obj(at=s.screen(-half, depth), scale=s.u(*SMALL))
    b = (s.obj(at=s.screen(half, depth), shape=a.shape, color=a.color[0], scale=float(a.scale[0])) if same
         else s.obj(at=s.screen(half, depth), scale=s.u(*SMALL)))
    f0, f1 = s.u(0, 6), s.last - s.u(0, 6)
    for obj, end in zip((a, b), ends):
        obj.grow(end, f0, f1)


@motion("expanding1")
def small_to_medium(s: Scene) -> None:
    _single(s, MEDIUM)


@motion("expanding2")
def small_to_large(s: Scene) -> None:
    _single(s, LARGE)


@motion("expanding3")
def two_different_to_same_size(s: Scene) -> None:
    end = s.u(1.3, 1.7)
    _pair(s, (end, end), same=False)


@motion("expanding4")
def two_same_to_different_sizes(s: Scene) -> None:
    end = s.u(1.1, 1.4)
    ends = (end, end * s.u(1.5, 1.8))
    _pair(s, ends if s.sign() > 0 else ends[::-1], same=True)


# -- checks ---------------------------------------------------------------------------------------

def _expands(v: ClipView, i: int) -> float | None:
    """How many times larger object ``i`` ends, when it only grows (at least 1.4 times), stays in
    place and visible, and its picture grows too; else None."""
    sc, box = v.scale[i], v.bbox[i]
    area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
    ratio = float(sc[-1] / sc[0])
    ok = (ratio >= 1.4 and monotonic(sc, increasing=True) and bool(v.visible[i].all())
          and float(np.abs(v.pos[i, :, :2] - v.pos[i, 0, :2]).max()) < 0.05 and area[-1] > 1.5 * area[0])
    return ratio if ok else None


def _two_expand(v: ClipView) -> bool:
    return v.n == 2 and all(_expands(v, i) is not None for i in range(2))


def _size_ratio(v: ClipView, frame: int) -> float:
    """|log| of the ratio of the two objects' sizes at ``frame``."""
    return abs(float(np.log(v.scale[0, frame] / v.scale[1, frame])))


def _different(v: ClipView) -> bool:
    """The two objects differ in shape, or at least in colour where the shape pool has one shape."""
    return v.shapes[0] != v.shapes[1] or float(np.abs(v.color[0, 0] - v.color[1, 0]).max()) > 0.1


@check("expanding1")
def grows_to_medium(v: ClipView) -> bool:
    r = _expands(v, 0) if v.n == 1 else None
    return r is not None and r < LARGE_GROWTH


@check("expanding2")
def grows_to_large(v: ClipView) -> bool:
    r = _expands(v, 0) if v.n == 1 else None
    return r is not None and r > LARGE_GROWTH


@check("expanding3")
def different_grow_to_same_size(v: ClipView) -> bool:
    return _two_expand(v) and _different(v) and _size_ratio(v, -1) < 0.03


@check("expanding4")
def same_grow_to_different_sizes(v: ClipView) -> bool:
    return (_two_expand(v) and not _different(v) and _size_ratio(v, 0) < 0.01
            and _size_ratio(v, -1) > np.log(1.3))
