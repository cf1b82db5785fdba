"""Cloning (coarse 5): copies of an object come into existence inside it and move out of it.

Fine variants: 1 into two, both going the same way; 2 into two going different ways; 3 into several,
one by one; 4 into several at once; 5 into an identical copy and one of a different colour.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene, turn


def _distinct_colour(s: Scene, colour: np.ndarray) -> np.ndarray:
    """A scene colour (random or the next palette entry) at least 0.5 away in some channel."""
    c = np.asarray(s.color())
    while float(np.abs(c - colour).max()) < 0.5:
        c = np.array([s.u(0.05, 1.0) for _ in range(3)])
    return c


def _go(a: Actor, d: np.ndarray, f0: float, f1: float) -> Actor:
    """Move ``d`` (a horizontal offset) from where ``a`` is at f0."""
    return a.move(a.at(f0) + d, f0, f1)


def _original(s: Scene, **kw) -> Actor:
    return s.obj(at=(s.u(-1, 1), s.u(-1, 1), None), **kw)


@motion("cloning1")
def clone_same_direction(s: Scene) -> None:
    # reference: still until f 30, then the copy goes 4 units and the original 10, same way, by f 60
    a = _original(s)
    f0 = s.u(24, 32)
    f1 = f0 + s.u(28, 36)
    d = s.heading(30)
    b = s.clone(a, f0)
    _go(a, d * s.u(9, 11), f0, f1)
    _go(b, d * s.u(3.5, 4.5), f0, f1)


@motion("cloning2")
def clone_different_directions(s: Scene) -> None:
    a = _original(s)
    f0 = s.u(24, 32)
    f1 = f0 + s.u(28, 36)
    d = s.heading(30)
    angle = s.u(90, 180) * s.sign()  # anything from a right angle to opposite ways
    b = s.clone(a, f0)
    _go(a, d * s.u(4.5, 6), f0, f1)
    _go(b, turn(d, angle) * s.u(4.5, 6), f0, f1)


@motion("cloning3")
def clone_one_by_one(s: Scene) -> None:
    # reference: the original stays; copy k goes 5 units along +x, +y, -x, -y over f [30+20k, 40+20k]
    a = _original(s)
    n = s.pick((3, 4))
    angle0, gap = s.u(0, 360), s.u(24, 30)
    for k in range(n):
        f0 = s.u(18, 24) + k * gap
        _go(s.clone(a, f0), turn((1, 0), angle0 + 360 * k / n) * s.u(4.5, 5.5), f0, f0 + s.u(10, 14))


@motion("cloning4")
def clone_at_once(s: Scene) -> None:
    a = _original(s)
    n = s.pick((3, 4))
    angle0, f0 = s.u(0, 360), s.u(18, 28)
    f1 = f0 + s.u(24, 32)
    for k in range(n):
        _go(s.clone(a, f0), turn((1, 0), angle0 + 360 * k / n) * s.u(4.5, 5.5), f0, f1)


@motion("cloning5")
def clone_identical_and_recoloured(s: Scene) -> None:
    a = _original(s, material="metallic")  # the copies share its material, and one changes colour
    f0 = s.u(20, 30)
    d = s.heading(30)
    same, other = s.clone(a, f0), s.clone(a, f0)
    f1 = f0 + s.u(26, 34)
    _go(same, d * s.u(4.5, 5.5), f0, f1)
    _go(other, turn(d, s.u(108, 162) * s.sign()) * s.u(4.5, 5.5), f0, f1)
    # recolour only once it is mostly clear of the original: overlapping coplanar faces of different
    # colours would flicker in the render
    other.recolor(_distinct_colour(s, a.color[0]), f0 + 0.5 * (f1 - f0), f1)


# -- checks ---------------------------------------------------------------------------------------

def _clones(v: ClipView) -> tuple[int, list[int], np.ndarray] | None:
    """(original, clones, birth frames) when one object exists throughout and every other object comes
    into existence later inside it as an exact copy (same shape, size, colour and place) and then keeps
    existing and moves at least 3 units away from it; else None."""
    born = ~v.exists[:, 0]
    if v.n < 2 or born.sum() != v.n - 1 or not v.exists[~born].all():
        return None
    o = int(np.nonzero(~born)[0][0])
    clones = [int(i) for i in np.nonzero(born)[0]]
    births = np.array([int(np.argmax(v.exists[c])) for c in clones])
    for c, b in zip(clones, births):
        copy = (v.shapes[c] == v.shapes[o] and abs(v.scale[c, b] - v.scale[o, b]) < 1e-6
                and float(np.abs(v.color[c, b] - v.color[o, b]).max()) < 1e-6
                and float(np.linalg.norm(v.pos[c, b] - v.pos[o, b])) < 0.2 * v.scale[o, b])
        apart = float(np.linalg.norm(v.pos[c, -1] - v.pos[o, -1])) > 3
        if not (copy and apart and v.exists[c, b:].all() and v.visible[c, -1]):
            return None
    return o, clones, births


def _identical(v: ClipView, objects: list[int]) -> bool:
    """All ``objects`` have the same colour in every frame."""
    return all(float(np.abs(v.color[i] - v.color[objects[0]]).max()) < 1e-6 for i in objects)


def _pair_displacements(v: ClipView) -> tuple[np.ndarray, np.ndarray] | None:
    """For one identical clone: how far the original and the clone move from the moment of cloning."""
    r = _clones(v)
    if r is None or len(r[1]) != 1 or not _identical(v, [r[0], *r[1]]):
        return None
    o, (c,), (b,) = r
    d_o, d_c = v.pos[o, -1] - v.pos[o, b], v.pos[c, -1] - v.pos[c, b]
    if min(np.linalg.norm(d_o), np.linalg.norm(d_c)) < 2:
        return None
    return d_o, d_c


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@check("cloning1")
def clones_same_direction(v: ClipView) -> bool:
    d = _pair_displacements(v)
    return d is not None and _cos(*d) > 0.95


@check("cloning2")
def clones_different_directions(v: ClipView) -> bool:
    d = _pair_displacements(v)
    return d is not None and _cos(*d) < 0.3


@check("cloning3")
def clones_one_by_one(v: ClipView) -> bool:
    r = _clones(v)
    return (r is not None and len(r[1]) >= 2 and _identical(v, [r[0], *r[1]])
            and bool(np.diff(np.sort(r[2])).min() >= 6))


@check("cloning4")
def clones_at_once(v: ClipView) -> bool:
    r = _clones(v)
    return (r is not None and len(r[1]) >= 2 and _identical(v, [r[0], *r[1]])
            and int(np.ptp(r[2])) <= 1)


@check("cloning5")
def clones_identical_and_recoloured(v: ClipView) -> bool:
    r = _clones(v)
    if r is None or len(r[1]) != 2:
        return False
    o, clones, _ = r
    recoloured = [c for c in clones if float(np.abs(v.color[c, -1] - v.color[o, -1]).max()) > 0.3]
    same = [c for c in clones if c not in recoloured]
    return len(recoloured) == 1 and len(same) == 1 and _identical(v, [o, same[0]])
