"""Teleporting (coarse 19): objects fade out, jump while invisible and fade in elsewhere — one object
corner to corner (1), the same past an object in the centre (2), two objects in opposite corners swap
(3), four objects in the four corners swap (4), one of two objects together in a corner jumps to
another corner (5).

Corners are those of a rectangle facing the camera (front-left, front-right, back-right, back-left,
in cyclic order), so "corner to corner" reads on screen from either camera.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene

OPAQUE, CLEAR = 0.95, 0.05


def _corners(s: Scene) -> list[tuple]:
    w, d = s.u(5.5, 7.5), s.u(4.5, 6.5)
    return [s.screen(-w, d), s.screen(w, d), s.screen(w, -d), s.screen(-w, -d)]


def _teleport(s: Scene, pairs: list[tuple[Actor, tuple]]) -> None:
    """Teleport every actor to its target with one shared timing (reference: out 10→40, in 60→90)."""
    f0, fade, gap = s.u(5, 20), s.u(22, 32), s.u(10, 25)
    for a, to in pairs:
        a.teleport(to, f0, f0 + 2 * fade + gap, fade)


def _jumper(s: Scene, at: tuple) -> Actor:
    return s.obj(at=at, material="metallic")


@motion("teleporting1")
def teleporting_corner(s: Scene) -> None:
    c, k = _corners(s), s.pick(range(4))
    _teleport(s, [(_jumper(s, c[k]), c[(k + 2) % 4])])


@motion("teleporting2")
def teleporting_past_centre(s: Scene) -> None:
    c, k = _corners(s), s.pick(range(4))
    s.obj(at=(0.0, 0.0, None), material="metallic", role="static")
    _teleport(s, [(_jumper(s, c[k]), c[(k + 2) % 4])])


@motion("teleporting3")
def teleporting_swap_two(s: Scene) -> None:
    c, k = _corners(s), s.pick(range(2))
    _teleport(s, [(_jumper(s, c[k]), c[k + 2]), (_jumper(s, c[k + 2]), c[k])])


@motion("teleporting4")
def teleporting_swap_four(s: Scene) -> None:
    # each object takes the place of its neighbour (either way round) or of the opposite one
    c, shift = _corners(s), s.pick((1, 2, 3))
    _teleport(s, [(_jumper(s, c[k]), c[(k + shift) % 4]) for k in range(4)])


@motion("teleporting5")
def teleporting_one_of_two(s: Scene) -> None:
    c, k, shift = _corners(s), s.pick(range(4)), s.pick((1, 2, 3))
    # the stayer stands beside the jumper, along an edge that does not lead to the jumper's target
    toward = c[(k + (3 if shift == 1 else 1)) % 4]
    home, edge = np.asarray(c[k][:2]), np.subtract(toward[:2], c[k][:2])
    beside = home + edge / np.linalg.norm(edge) * s.u(2.7, 3.2)
    s.obj(at=(beside[0], beside[1], None), material="metallic", role="static")
    _teleport(s, [(_jumper(s, c[k]), c[(k + shift) % 4])])


def _jump(v: ClipView, i: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Ground start and end of object ``i`` if it teleports: opaque and on screen at both ends,
    transparent for a while, moving only while transparent, and landing at least 4 units away."""
    op, seen, p = v.opacity[i], v.visible[i], v.pos[i, :, :2]
    gone = op < CLEAR
    if op[0] < OPAQUE or op[-1] < OPAQUE or not (seen[0] and seen[-1]) or not gone.any():
        return None
    if (v.moving(i, eps=1e-6) & ~(gone[:-1] & gone[1:])).any() or np.linalg.norm(p[-1] - p[0]) < 4:
        return None
    return p[0], p[-1]


def _still(v: ClipView, i: int) -> bool:
    return bool((v.opacity[i] >= OPAQUE).all() and v.visible[i].all() and v.travel(i) < 1e-6)


def _jumper_and_stayer(v: ClipView) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray] | None:
    """For two objects of which one teleports and one stays put: the jump and the stayer's place."""
    if v.n != 2:
        return None
    for i, k in ((0, 1), (1, 0)):
        jump = _jump(v, i)
        if jump is not None and _still(v, k):
            return jump, v.pos[k, 0, :2]
    return None


def _swap(v: ClipView) -> bool:
    """Every object teleports onto the start of another one, no two onto the same place."""
    jumps = [_jump(v, i) for i in range(v.n)]
    if v.n < 2 or any(j is None for j in jumps):
        return False
    starts = np.array([j[0] for j in jumps])
    landing = [int(np.argmin(np.linalg.norm(starts - end, axis=1))) for _, end in jumps]
    close = all(np.linalg.norm(starts[t] - end) < 0.5 for t, (_, end) in zip(landing, jumps))
    return close and len(set(landing)) == v.n and all(t != i for i, t in enumerate(landing))


@check("teleporting1")
def teleports_corner(v: ClipView) -> bool:
    return v.n == 1 and _jump(v, 0) is not None


@check("teleporting2")
def teleports_past_centre(v: ClipView) -> bool:
    r = _jumper_and_stayer(v)
    if r is None:
        return False
    (a, b), centre = r
    return bool(np.linalg.norm(centre - (a + b) / 2) < 0.1 * np.linalg.norm(b - a))


@check("teleporting3")
def teleport_swap_two(v: ClipView) -> bool:
    return v.n == 2 and _swap(v)


@check("teleporting4")
def teleport_swap_four(v: ClipView) -> bool:
    return v.n == 4 and _swap(v)


@check("teleporting5")
def teleports_one_of_two(v: ClipView) -> bool:
    r = _jumper_and_stayer(v)
    if r is None:
        return False
    (a, b), other = r
    return bool(np.linalg.norm(other - a) < 0.4 * np.linalg.norm(b - a))
