"""Appearing (coarse 0): objects fade in by increasing opacity — a single object (1), several at
once (2), several one by one (3), two among two others that are there all along (4).

The fade helpers here are shared with ``disappearing.py``, which mirrors this class in time.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, monotonic
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene

OPAQUE, CLEAR = 0.95, 0.05


def ring(s: Scene, n: int, radius: float) -> list[tuple[float, float, None]]:
    """Ground positions of ``n`` objects spread evenly round the origin, at a random rotation."""
    phase = s.u(0, 2 * np.pi)
    out = []
    for k in range(n):
        r, a = s.jitter(radius, 0.1), phase + 2 * np.pi * k / n
        out.append((r * np.cos(a), r * np.sin(a), None))
    return out


def ring_objects(s: Scene, n: int) -> list[Actor]:
    """``n`` fading (metallic) objects on a ring of a size that keeps them apart."""
    return [s.obj(at=p, material="metallic") for p in ring(s, n, s.u(4.0, 5.5))]


def staggered(s: Scene, n: int) -> list[tuple[float, float]]:
    """Fade windows of ``n`` objects one after another over the clip, in a random order of objects
    (reference, 4 objects in 170 frames: 30-frame fades starting every 40 frames)."""
    gap = (s.last - 15) / (n - 0.1)  # so the last fade ends some frames before the clip does
    f0, fade = s.u(0, 8), gap * s.u(0.6, 0.8)
    starts = [f0 + k * gap + s.u(-0.08, 0.08) * gap for k in s.rng.permutation(n)]
    return [(t, t + fade) for t in starts]


def fades(v: ClipView, i: int, appear: bool) -> bool:
    """Object ``i`` goes monotonically from invisible to opaque (``appear``) or back, seen on screen
    only at the opaque end."""
    op = v.opacity[i] if appear else v.opacity[i][::-1]
    seen = v.visible[i] if appear else v.visible[i][::-1]
    return bool(op[0] < CLEAR and op[-1] >= OPAQUE and not seen[0] and seen[-1]
                and monotonic(op, increasing=True))


def steady(v: ClipView, i: int) -> bool:
    """Object ``i`` is opaque and on screen throughout."""
    return bool((v.opacity[i] >= OPAQUE).all() and v.visible[i].all())


def half_frames(v: ClipView, idx: list[int]) -> np.ndarray:
    """Sorted frames at which the objects ``idx`` cross half opacity (in or out)."""
    return np.sort([int(np.argmax((v.opacity[i] >= 0.5) != (v.opacity[i, 0] >= 0.5))) for i in idx])


def together(v: ClipView, idx: list[int]) -> bool:
    """The objects' fades are simultaneous."""
    t = half_frames(v, idx)
    return len(idx) >= 2 and int(t[-1] - t[0]) <= 1


def one_by_one(v: ClipView, idx: list[int]) -> bool:
    """The objects' fades follow each other, at least a twentieth of the clip apart."""
    t = half_frames(v, idx)
    return len(idx) >= 3 and int(np.diff(t).min()) >= v.num_frames / 20


def _fade_in(a: Actor, f0: float, f1: float) -> Actor:
    return a.fade(0.0, 0, 0).fade(1.0, f0, f1)  # transparent from the first frame until it fades in


@motion("appearing1")
def appearing_single(s: Scene) -> None:
    _fade_in(s.obj(material="metallic"), s.u(0, 10), s.last - s.u(8, 25))


@motion("appearing2")
def appearing_together(s: Scene) -> None:
    f0, f1 = s.u(0, 15), s.last - s.u(10, 35)
    for a in ring_objects(s, s.pick((3, 4, 5))):
        _fade_in(a, f0, f1)


@motion("appearing3", elevation=(30.0, 50.0))
def appearing_one_by_one(s: Scene) -> None:
    n = s.pick((3, 4, 5))
    for a, (f0, f1) in zip(ring_objects(s, n), staggered(s, n)):
        _fade_in(a, f0, f1)


@motion("appearing4")
def appearing_among(s: Scene) -> None:
    # two objects stay at the ends of a screen-horizontal row; the two newcomers appear between them
    half = s.u(5.0, 6.5)
    for side in (-1, 1):
        s.obj(at=s.screen(side * half, s.u(-1, 1)), material="metallic", role="static")
    f0, f1 = s.u(0, 20), s.last - s.u(15, 40)
    for side in (-1, 1):
        new = s.obj(at=s.screen(side * half * s.u(0.3, 0.4), s.u(-1.5, 1.5)), material="metallic")
        _fade_in(new, f0, f1)


@check("appearing1")
def appears_single(v: ClipView) -> bool:
    return v.n == 1 and fades(v, 0, appear=True)


@check("appearing2")
def appear_together(v: ClipView) -> bool:
    idx = list(range(v.n))
    return all(fades(v, i, appear=True) for i in idx) and together(v, idx)


@check("appearing3")
def appear_one_by_one(v: ClipView) -> bool:
    idx = list(range(v.n))
    return all(fades(v, i, appear=True) for i in idx) and one_by_one(v, idx)


@check("appearing4")
def appear_among(v: ClipView) -> bool:
    new = [i for i in range(v.n) if fades(v, i, appear=True)]
    old = [i for i in range(v.n) if steady(v, i)]
    if v.n != 4 or len(new) != 2 or len(old) != 2:
        return False
    a, b = v.pos[old[0], 0, :2], v.pos[old[1], 0, :2]
    ab = b - a
    # each newcomer lies between the two old objects along the line joining them
    between = [(v.pos[i, -1, :2] - a) @ ab / (ab @ ab) for i in new]
    return all(0.15 < t < 0.85 for t in between)
