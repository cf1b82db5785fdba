"""Occlusion (coarse 14): one object passes in front of another, hiding part or all of it.

Fine variants: 1 a small object comes in front of a big one, barely occluding it; 2 a big object comes
in front of a small one, mostly or fully occluding it; 3 an occluder swaps places with the object
behind it and ends up behind; 4 two front objects partially occluding two back ones swap with them.

Depth is expressed with ``Scene.toward_camera``, so "in front" holds for the occlusion rig (camera on
the +y side) and the front rig (camera on the -y side) alike.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, box_overlap
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene

# Big objects are scaled so their silhouette is large: the reference used scale 3 for the slender
# cone and pyramid (2 otherwise); the capsule, only half as wide as it is tall, needs it too. The
# torus lies flat, so it is never the big object (a small object would hide most of its low box).
_BIG_SCALE = {"cone": 3.0, "pyramid": 3.0, "capsule": 3.0}
_FLAT = ("torus",)
_VIEW_DISTANCE = 25.0  # typical fitted camera distance for the two-pair layout of occlusion 4


def _upright(s: Scene, role: str) -> Actor:
    """An object of any shape but the flat-lying torus."""
    return s.obj(shape=s.shape(exclude=_FLAT), role=role)


def _big(s: Scene, role: str) -> Actor:
    shape = s.shape(exclude=_FLAT)
    return s.obj(shape=shape, scale=s.jitter(_BIG_SCALE.get(shape, 2.0), 0.1), role=role)


def _come_in_front(s: Scene, back: Actor, front: Actor, end_right: float) -> None:
    """``front`` slides in from one side to ``end_right`` in front of the stationary ``back``."""
    # close in depth, so that seen from above the front object still overlaps the back one
    depth = back.footprint + front.footprint + s.u(0.3, 0.8)
    back.place(s.screen(0.0, -depth / 2))
    front.place(s.screen(s.sign() * s.u(6.5, 8), depth / 2))
    front.move(s.screen(end_right, depth / 2), s.u(0, 5), s.last - s.u(2, 10))


@motion("occlusion1", rig="occlusion")
def small_barely_occludes_big(s: Scene) -> None:
    big = _big(s, "occluded")
    _come_in_front(s, big, s.obj(scale=s.u(0.7, 0.9), role="occluder"), s.u(-1, 1))


@motion("occlusion2", rig="occlusion")
def big_hides_small(s: Scene) -> None:
    small = s.obj(scale=s.u(0.6, 0.8), role="occluded")
    _come_in_front(s, small, _big(s, "occluder"), s.u(-0.3, 0.3))


def _legs(s: Scene) -> list[float]:
    """Four frame boundaries of three roughly equal legs shared by every object of the swap."""
    f0, f1 = s.u(0, 4), s.last - s.u(0, 6)
    cuts = np.cumsum([0.0] + [s.u(0.9, 1.1) for _ in range(3)])
    return list(f0 + (f1 - f0) * cuts / cuts[-1])


def _swap(s: Scene, obj: Actor, start: tuple[float, float], end: tuple[float, float], swing: float,
          legs: list[float]) -> None:
    """A "]"-shaped path in screen terms (right, depth): sideways to ``swing``, across in depth, then
    sideways to ``end``; the reference's three-leg swap."""
    obj.place(s.screen(*start))
    for (right, depth), a, b in zip(((swing, start[1]), (swing, end[1]), end), legs, legs[1:]):
        obj.move(s.screen(right, depth), a, b)


@motion("occlusion3", rig="occlusion")
def occluder_goes_behind(s: Scene) -> None:
    front, back = s.obj(role="occluder"), s.obj(role="occluded")
    # legs 1 and 3 keep the pair one gap apart in depth, leg 2 at least that far apart sideways
    g = (front.footprint + back.footprint) / 2 + s.u(0.1, 0.4)
    swing, legs = s.sign() * s.u(2.8, 3.5), _legs(s)
    _swap(s, front, (0.0, g), (0.0, -g), swing, legs)
    _swap(s, back, (0.0, -g), (0.0, g), -swing, legs)


@motion("occlusion4", rig="occlusion")
def pairs_swap_front_and_back(s: Scene) -> None:
    # a flat torus in front hides nothing from this low camera, so every object here can be an occluder
    pairs = [(_upright(s, role="occluder"), _upright(s, role="occluded")) for _ in range(2)]
    g = max(f.footprint + b.footprint for f, b in pairs) / 2 + s.u(0.2, 0.5)
    swing, legs = s.u(2.0, 2.4), _legs(s)
    # parallax: seen from the camera (about _VIEW_DISTANCE away) a nearer object at lateral x appears
    # where an object 2g further back at x * (1 + 2g / distance) would be
    parallax = 1 + 2 * g / _VIEW_DISTANCE
    for (front, back), side in zip(pairs, (-1.0, 1.0)):
        c = side * s.u(4.5, 5)
        # side by side in view, the two overlap by 40-60% of the narrower one's width: partial
        # occlusion both before and after the swap, whatever their sizes
        fp_front, fp_back = front.footprint, back.footprint
        offset = fp_front + fp_back - s.u(0.8, 1.2) * min(fp_front, fp_back)
        partial = (c + s.sign() * offset) / parallax
        # the front object swings outward, the back one inward: 2*swing apart while they cross in
        # depth, and the two pairs' inner swings stay clear of each other
        _swap(s, front, (partial, g), (c, -g), c + side * swing, legs)
        _swap(s, back, (c, -g), (partial, g), c - side * swing, legs)


# -- checks ------------------------------------------------------------------------------------------

def _size(v: ClipView, i: int) -> float:
    """World size: every shape's largest extent is 2 units at scale 1."""
    return float(v.scale[i, 0])


def _covered(v: ClipView, i: int, j: int) -> np.ndarray:
    """Per frame, the fraction of i's box covered by j's box where j is nearer the camera (else 0)."""
    return box_overlap(v.bbox[i], v.bbox[j]) * (v.depth[j] < v.depth[i])


def _mover_and_still(v: ClipView) -> tuple[int, int] | None:
    """(moving, stationary) of a two-object clip with exactly one moving object, else None."""
    if v.n != 2:
        return None
    moving = [i for i in range(2) if v.travel(i) > 2]
    still = [i for i in range(2) if v.travel(i) < 1e-6]
    return (moving[0], still[0]) if len(moving) == 1 and len(still) == 1 else None


def _goes_behind(v: ClipView, front: int, back: int, lo: float) -> bool:
    """``front`` covers at least ``lo`` of ``back`` at first, they trade places, and at the end
    ``back`` is in front covering at least ``lo`` of it."""
    traded = (np.linalg.norm(v.pos[front, -1, :2] - v.pos[back, 0, :2]) < 0.5
              and np.linalg.norm(v.pos[back, -1, :2] - v.pos[front, 0, :2]) < 0.5)
    return bool(traded and _covered(v, back, front)[0] >= lo and _covered(v, front, back)[-1] >= lo)


@check("occlusion1")
def small_comes_in_front_barely(v: ClipView) -> bool:
    ms = _mover_and_still(v)
    if ms is None or _size(v, ms[0]) > 0.6 * _size(v, ms[1]):
        return False
    cover = _covered(v, ms[1], ms[0])
    return bool(cover[0] == 0 and 0.01 < cover.max() < 0.45)


@check("occlusion2")
def big_comes_in_front_hiding(v: ClipView) -> bool:
    ms = _mover_and_still(v)
    if ms is None or _size(v, ms[0]) < 1.6 * _size(v, ms[1]):
        return False
    cover = _covered(v, ms[1], ms[0])
    return bool(cover[0] == 0 and cover.max() >= 0.75)


@check("occlusion3")
def occluder_switches_behind(v: ClipView) -> bool:
    if v.n != 2 or min(v.travel(0), v.travel(1)) < 2:
        return False
    front = int(np.argmin(v.depth[:, 0]))
    return _goes_behind(v, front, 1 - front, 0.2)


@check("occlusion4")
def two_pairs_switch_behind(v: ClipView) -> bool:
    if v.n != 4 or min(v.travel(i) for i in range(4)) < 2:
        return False
    fronts = list(np.argsort(v.depth[:, 0])[:2])
    backs = [i for i in range(4) if i not in fronts]
    # each front object's partner is the back object it hides most of
    partners = [max(backs, key=lambda b: _covered(v, b, f)[0]) for f in fronts]
    if len(set(partners)) != 2:
        return False
    return all(_covered(v, b, f)[0] < 0.9 and _goes_behind(v, f, b, 0.05) for f, b in zip(fronts, partners))
