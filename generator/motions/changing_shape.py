"""Changing shape (coarse 4): an object turns into another shape by the reference's cross-scaling.

Fine variants: 1 other shape -> pyramid, 2 -> cube, 3 -> sphere, 4 -> cylinder, 5 two objects swap
shapes, 6 changes into another shape and then back.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, monotonic
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Scene
from synta.generator.shapes import shape_pool


def _other_shape(s: Scene, avoid: str) -> str:
    """A pool shape other than ``avoid``; a pool of nothing else (e.g. ``objects="cube"``) cannot show
    a change of shape, so it falls back to the shared pool."""
    try:
        return s.shape(exclude=(avoid,))
    except ValueError:
        return s.pick([name for name in shape_pool("shared") if name != avoid])


def _into(s: Scene, target: str) -> None:
    a = s.obj(at=(s.u(-1, 1), s.u(-1, 1), None), shape=_other_shape(s, target))
    a.morph_into(target, s.u(0, 8), s.last - s.u(0, 8))


@motion("changing_shape1")
def into_pyramid(s: Scene) -> None:
    _into(s, "pyramid")


@motion("changing_shape2")
def into_cube(s: Scene) -> None:
    _into(s, "cube")


@motion("changing_shape3")
def into_sphere(s: Scene) -> None:
    _into(s, "sphere")


@motion("changing_shape4")
def into_cylinder(s: Scene) -> None:
    _into(s, "cylinder")


@motion("changing_shape5")
def swap_shapes(s: Scene) -> None:
    gap = s.u(2.5, 3.5)
    a = s.obj(at=s.screen(-gap, s.u(-1.5, 1.5)))
    b = s.obj(at=s.screen(gap, s.u(-1.5, 1.5)), shape=_other_shape(s, a.shape))
    f0, f1 = s.u(0, 8), s.last - s.u(0, 8)
    for me, other in ((a, b), (b, a)):  # each keeps its own colour, as the reference does
        me.morph_into(other.shape, f0, f1)


@motion("changing_shape6")
def change_and_back(s: Scene) -> None:
    a = s.obj(at=(s.u(-1, 1), s.u(-1, 1), None))
    a.morph_into(_other_shape(s, a.shape), s.u(0, 8), s.u(45, 55))
    a.morph_back(s.u(65, 75), s.last - s.u(0, 8))


# -- checks ---------------------------------------------------------------------------------------

def _stays_put(v: ClipView, i: int) -> bool:
    """Visible throughout and no horizontal movement (the height follows the shapes' resting heights)."""
    return bool(v.visible[i].all()) and float(np.abs(v.pos[i, :, :2] - v.pos[i, 0, :2]).max()) < 0.05


def _turns_into(v: ClipView, i: int, target: str | None = None) -> bool:
    """Object ``i`` starts fully as its own shape and ends fully as another one (``target`` if given)."""
    m = v.morph[i]
    to = v.morph_to[i]
    return (to is not None and to != v.shapes[i] and (target is None or to == target)
            and m[0] < 0.01 and m[-1] > 0.99 and monotonic(m, increasing=True) and _stays_put(v, i))


@check("changing_shape1")
def turns_into_pyramid(v: ClipView) -> bool:
    return v.n == 1 and _turns_into(v, 0, "pyramid")


@check("changing_shape2")
def turns_into_cube(v: ClipView) -> bool:
    return v.n == 1 and _turns_into(v, 0, "cube")


@check("changing_shape3")
def turns_into_sphere(v: ClipView) -> bool:
    return v.n == 1 and _turns_into(v, 0, "sphere")


@check("changing_shape4")
def turns_into_cylinder(v: ClipView) -> bool:
    return v.n == 1 and _turns_into(v, 0, "cylinder")


@check("changing_shape5")
def swaps_shapes(v: ClipView) -> bool:
    if v.n != 2 or v.shapes[0] == v.shapes[1]:
        return False
    keeps_colour = all(float(np.abs(v.color[i] - v.color[i, 0]).max()) < 1e-6 for i in range(2))
    return keeps_colour and all(_turns_into(v, i, v.shapes[1 - i]) for i in range(2))


@check("changing_shape6")
def changes_and_turns_back(v: ClipView) -> bool:
    if v.n != 1 or v.morph_to[0] in (None, v.shapes[0]):
        return False
    m = v.morph[0]
    peak = int(np.argmax(m))
    return (m[0] < 0.01 and m[peak] > 0.99 and m[-1] < 0.01 and _stays_put(v, 0)
            and monotonic(m[:peak + 1], increasing=True) and monotonic(m[peak:], increasing=False))
