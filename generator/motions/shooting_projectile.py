"""Shooting projectile (coarse 17): objects fly on gravity arcs between corners of the scene.

Fine variants: 1 from one corner to the diagonally opposite corner, 2 from the right corner to the left
corner, 3 from left to right, 4 two projectiles from the same corner to the opposite corner, 5 two
projectiles from opposite corners swapping places. Corners are those of a ground rectangle in camera terms
(left/right on screen, near/far from the camera), so "right" and "opposite" read the same from any view.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from synta.generator.clip_view import ClipView, max_chord_deviation
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene

GRAVITY = 9.81


def _corners(s: Scene) -> Callable[[float, float], tuple]:
    """A function from (screen side, depth side), each -1 or +1, to a ground corner (z=None)."""
    half_right = s.u(6.0, 7.5)
    half_depth = half_right * s.u(0.75, 1.3)
    centre = s.toward_camera * s.u(-1, 1)

    def corner(side: float, depth: float) -> tuple:
        p = centre + side * half_right * s.right + depth * half_depth * s.toward_camera
        return (float(p[0]), float(p[1]), None)
    return corner


def _shoot(s: Scene, at: tuple, to: tuple, f0: float, seconds: float, appear: bool = False) -> Actor:
    """A projectile from ground point ``at`` landing on ``to`` ``seconds`` after frame f0."""
    a = s.obj(at=at, scale=s.jitter(0.8, 0.1), role="projectile")
    if appear:
        a.appear_at(f0)
    v = (np.array(to[:2]) - np.array(at[:2])) / seconds
    a.ballistic((v[0], v[1], GRAVITY * seconds / 2), f0, GRAVITY)
    return a


def _diagonal(s: Scene) -> tuple[tuple, tuple]:
    """A random corner and the one diagonally opposite."""
    corner = _corners(s)
    side, depth = s.sign(), s.sign()
    return corner(side, depth), corner(-side, -depth)


@motion("shooting_projectile1", elevation=(25.0, 40.0))
def shooting_diagonal(s: Scene) -> None:
    start, end = _diagonal(s)
    _shoot(s, start, end, s.u(0, 8), s.u(1.3, 1.7))


def _across(s: Scene, side: float) -> None:
    corner, depth = _corners(s), s.sign()
    _shoot(s, corner(side, depth), corner(-side, depth), s.u(0, 8), s.u(1.3, 1.7))


@motion("shooting_projectile2", elevation=(25.0, 40.0))
def shooting_right_to_left(s: Scene) -> None:
    _across(s, 1.0)


@motion("shooting_projectile3", elevation=(25.0, 40.0))
def shooting_left_to_right(s: Scene) -> None:
    _across(s, -1.0)


@motion("shooting_projectile4", elevation=(25.0, 40.0))
def shooting_two_from_one_spot(s: Scene) -> None:
    # one after the other; the second is loaded at the launch spot as it fires, and they land side by side
    start, end = _diagonal(s)
    d = np.array(end[:2]) - np.array(start[:2])
    beside = np.array([-d[1], d[0]]) / np.linalg.norm(d) * s.u(1.2, 1.6)
    f0, gap = s.u(0, 4), s.u(8, 14)
    for k, off in enumerate((beside, -beside)):
        _shoot(s, start, (end[0] + off[0], end[1] + off[1], None), f0 + k * gap, s.u(1.3, 1.5), appear=k > 0)


@motion("shooting_projectile5", elevation=(25.0, 40.0))
def shooting_swap(s: Scene) -> None:
    # fired together along the same line: a flat shot and a high lob, so they pass one above the other
    a, b = _diagonal(s)
    f0 = s.u(0, 6)
    _shoot(s, a, b, f0, s.u(1.05, 1.15))
    _shoot(s, b, a, f0 + s.u(-2, 2), s.u(1.8, 1.95))


# -- checks -----------------------------------------------------------------------------------------

def _flight(v: ClipView, i: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Launch and landing points of object ``i`` if, while it exists, it sits on the ground, flies one
    gravity arc (straight in plan, steady horizontal speed, steady downward acceleration) at least 1
    units high, and rests again where it lands; None otherwise."""
    p = v.pos[i][v.exists[i]]
    z = p[:, 2]
    ground = z[0]
    air = np.nonzero(z > ground + 1e-6)[0]
    if air.size == 0 or abs(z[-1] - ground) > 1e-3 or z.max() - ground < 1.0:
        return None
    a, b = air[0] - 1, air[-1] + 1
    arc = p[a:b]  # launch up to the last frame before touching down (the landing frame is cut short)
    tol = 1e-4  # sidecar positions carry 5 decimals
    if (np.abs(p[:a + 1] - p[a]).max() > tol or np.abs(p[b:] - p[b]).max() > tol
            or np.ptp(np.diff(arc[:, :2], axis=0), axis=0).max() > tol or np.ptp(np.diff(arc[:, 2], 2)) > tol
            or np.diff(arc[:, 2], 2)[0] >= 0 or max_chord_deviation(p[a:b + 1, :2]) > 1e-3):
        return None
    return p[a], p[b]


def _camera_axes(v: ClipView) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal screen-right and towards-the-camera unit vectors (x, y)."""
    right = v.world_to_camera[0, :2] / np.linalg.norm(v.world_to_camera[0, :2])
    return right, np.array([right[1], -right[0]])


def _heading(v: ClipView, start: np.ndarray, end: np.ndarray) -> tuple[float, float]:
    """Ground distance and direction in degrees (0: to screen-right, 90: towards the camera)."""
    right, toward = _camera_axes(v)
    d = end[:2] - start[:2]
    return float(np.linalg.norm(d)), float(np.degrees(np.arctan2(d @ toward, d @ right)))


def _is_diagonal(v: ClipView, start: np.ndarray, end: np.ndarray) -> bool:
    """A long flight both across the screen and in depth (corner to opposite corner)."""
    dist, angle = _heading(v, start, end)
    return dist > 8 and 25 < abs(angle) % 90 < 65


def _flights(v: ClipView, n: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The flights of a clip of exactly ``n`` objects, each of which flies; None otherwise."""
    if v.n != n:
        return None
    f = [_flight(v, i) for i in range(n)]
    return None if any(x is None for x in f) else f


@check("shooting_projectile1")
def shoots_diagonally(v: ClipView) -> bool:
    f = _flights(v, 1)
    return f is not None and _is_diagonal(v, *f[0])


def _shoots_across(v: ClipView, leftward: bool) -> bool:
    f = _flights(v, 1)
    if f is None:
        return False
    dist, angle = _heading(v, *f[0])
    dx = v.centre_px(0)[-1, 0] - v.centre_px(0)[0, 0]
    target = 180.0 if leftward else 0.0
    return dist > 8 and abs((angle - target + 180) % 360 - 180) < 15 and (dx < 0) == leftward and abs(dx) > 50


@check("shooting_projectile2")
def shoots_right_to_left(v: ClipView) -> bool:
    return _shoots_across(v, leftward=True)


@check("shooting_projectile3")
def shoots_left_to_right(v: ClipView) -> bool:
    return _shoots_across(v, leftward=False)


@check("shooting_projectile4")
def shoots_two_from_one_spot(v: ClipView) -> bool:
    f = _flights(v, 2)
    if f is None:
        return False
    (s0, e0), (s1, e1) = f
    return (np.linalg.norm(s0[:2] - s1[:2]) < 0.5 and np.linalg.norm(e0[:2] - e1[:2]) < 4
            and _is_diagonal(v, s0, e0) and _is_diagonal(v, s1, e1))


@check("shooting_projectile5")
def shoots_swapping(v: ClipView) -> bool:
    f = _flights(v, 2)
    if f is None:
        return False
    (s0, e0), (s1, e1) = f
    return (np.linalg.norm(s0[:2] - e1[:2]) < 1 and np.linalg.norm(s1[:2] - e0[:2]) < 1
            and _is_diagonal(v, s0, e0) and _is_diagonal(v, s1, e1))
