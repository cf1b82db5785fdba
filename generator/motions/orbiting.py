"""Orbiting (coarse 15): one object circles another.

Fine variants: 1 clockwise and 2 counter-clockwise on the horizontal plane (as seen from above), 3 clockwise
then counter-clockwise, 4 A circles B and then B circles A (both clockwise), 5 clockwise and 6
counter-clockwise on a vertical plane facing the camera (as seen from the camera).
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, monotonic, sign_changes, unwrapped_angle
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene

LAP = 2 * np.pi
MIN_LAP = 0.8 * LAP  # the least a check accepts as "one lap"


def _pair(s: Scene, centre_role: str = "centre", orbiter_role: str = "orbiter") -> tuple[Actor, Actor]:
    """A centre object on the ground and a second object a radius away from it, also on the ground."""
    centre = s.obj(at=(s.u(-1, 1), s.u(-1, 1), None), role=centre_role)
    phi, r = s.u(0, LAP), s.u(4.5, 6.0)
    c = centre.at(0)
    return centre, s.obj(at=(c[0] + r * np.cos(phi), c[1] + r * np.sin(phi), None), role=orbiter_role)


def _horizontal_orbit(s: Scene, clockwise: bool) -> None:
    centre, orbiter = _pair(s)
    c = centre.at(0)
    orbiter.orbit((c[0], c[1], orbiter.rest_z), s.u(0, 6), s.last - s.u(0, 6), turns=s.u(0.95, 1.15),
                  clockwise=clockwise)


def _vertical_orbit(s: Scene, clockwise: bool) -> None:
    # The centre floats so the whole circle clears the ground; the plane faces the camera so the turning
    # direction reads the same in every clip (the reference's fixed xz plane was edge-on for some azimuths).
    r = s.u(4.0, 5.0)
    orbiter = s.obj(role="orbiter")
    c = np.array([s.u(-1, 1), s.u(-1, 1), r + orbiter.rest_z + s.u(0.3, 1.0)])
    s.obj(at=tuple(c), role="centre")
    orbiter.orbit(c, 0, s.last - s.u(0, 8), turns=s.u(0.95, 1.15), clockwise=clockwise,
                  normal=s.toward_camera, start_angle=s.u(0, LAP))


@motion("orbiting1", elevation=(30.0, 45.0))
def orbiting_cw(s: Scene) -> None:
    _horizontal_orbit(s, clockwise=True)


@motion("orbiting2", elevation=(30.0, 45.0))
def orbiting_ccw(s: Scene) -> None:
    _horizontal_orbit(s, clockwise=False)


@motion("orbiting3", elevation=(30.0, 45.0))
def orbiting_cw_then_ccw(s: Scene) -> None:
    centre, orbiter = _pair(s)
    c = centre.at(0)
    axis = (c[0], c[1], orbiter.rest_z)
    mid = s.u(54, 64)
    orbiter.orbit(axis, s.u(0, 5), mid, turns=s.u(0.95, 1.1), clockwise=True)
    orbiter.orbit(axis, mid + s.u(0, 4), s.last - s.u(0, 5), turns=s.u(0.95, 1.1), clockwise=False)


@motion("orbiting4", elevation=(30.0, 45.0))
def orbiting_swap_roles(s: Scene) -> None:
    # the label's "first object" circles first; the "second object" then circles it
    b, a = _pair(s, centre_role="second", orbiter_role="first")
    mid = s.u(54, 64)
    c = b.at(0)
    a.orbit((c[0], c[1], a.rest_z), s.u(0, 5), mid, turns=s.u(0.95, 1.1), clockwise=True)
    c = a.at(mid)
    b.orbit((c[0], c[1], b.rest_z), mid + s.u(2, 6), s.last - s.u(0, 5), turns=s.u(0.95, 1.1),
            clockwise=True)


@motion("orbiting5", elevation=(12.0, 28.0))
def orbiting_vertical_cw(s: Scene) -> None:
    _vertical_orbit(s, clockwise=True)


@motion("orbiting6", elevation=(12.0, 28.0))
def orbiting_vertical_ccw(s: Scene) -> None:
    _vertical_orbit(s, clockwise=False)


# -- checks -----------------------------------------------------------------------------------------

def _still(v: ClipView, i: int, frames: slice = slice(None)) -> bool:
    return float(np.abs(v.pos[i, frames] - v.pos[i, frames][0]).max()) < 1e-3


def _mover_and_centre(v: ClipView) -> tuple[int, int] | None:
    """(orbiter, centre) when the clip has two objects of which exactly one stays put."""
    if v.n != 2:
        return None
    still = [_still(v, i) for i in range(2)]
    if still.count(True) != 1:
        return None
    return (1, 0) if still[0] else (0, 1)


def _circles(v: ClipView, mover: int, centre: int, frames: slice = slice(None)) -> np.ndarray | None:
    """Relative path ``(T, 3)`` of ``mover`` about ``centre`` if it keeps a constant distance; else None."""
    rel = v.pos[mover, frames] - v.pos[centre, frames]
    dist = np.linalg.norm(rel, axis=1)
    return rel if float(dist.min()) > 2 and float(dist.max() / dist.min()) < 1.1 else None


def _horizontal_angle(v: ClipView, mover: int, centre: int, frames: slice = slice(None)) -> np.ndarray | None:
    """Angle about the centre as seen from above (counter-clockwise positive) of a level circling."""
    rel = _circles(v, mover, centre, frames)
    if rel is None or float(np.ptp(rel[:, 2])) > 0.05:
        return None
    return unwrapped_angle(rel[:, :2])


def _one_way(angle: np.ndarray, sign: float) -> bool:
    """At least ``MIN_LAP`` of turning, never backwards; sign -1 is clockwise."""
    return monotonic(sign * angle, increasing=True, tol=1e-6) and float(sign * (angle[-1] - angle[0])) >= MIN_LAP


def _level_orbit(v: ClipView, sign: float) -> bool:
    pair = _mover_and_centre(v)
    angle = None if pair is None else _horizontal_angle(v, *pair)
    return angle is not None and _one_way(angle, sign)


@check("orbiting1")
def orbits_cw(v: ClipView) -> bool:
    return _level_orbit(v, -1.0)


@check("orbiting2")
def orbits_ccw(v: ClipView) -> bool:
    return _level_orbit(v, 1.0)


@check("orbiting3")
def orbits_cw_then_ccw(v: ClipView) -> bool:
    pair = _mover_and_centre(v)
    angle = None if pair is None else _horizontal_angle(v, *pair)
    if angle is None or sign_changes(np.diff(angle), eps=1e-6) != 1:
        return False
    turn = int(np.argmin(angle))
    return _one_way(angle[:turn + 1], -1.0) and _one_way(angle[turn:], 1.0)


@check("orbiting4")
def orbits_then_swaps(v: ClipView) -> bool:
    if v.n != 2:
        return False
    moving = [np.nonzero(np.linalg.norm(np.diff(v.pos[i], axis=0), axis=1) > 1e-4)[0] for i in range(2)]
    if any(m.size == 0 for m in moving):
        return False
    first = 0 if moving[0][0] < moving[1][0] else 1
    second = 1 - first
    # the first one's circling ends before the second one's begins, and each circles the other clockwise
    p1 = slice(moving[first][0], moving[first][-1] + 2)
    p2 = slice(moving[second][0], moving[second][-1] + 2)
    if p1.stop > p2.start + 1 or not (_still(v, second, p1) and _still(v, first, p2)):
        return False
    a1, a2 = _horizontal_angle(v, first, second, p1), _horizontal_angle(v, second, first, p2)
    return a1 is not None and a2 is not None and _one_way(a1, -1.0) and _one_way(a2, -1.0)


def _upright_orbit(v: ClipView, sign: float) -> bool:
    """A circle in a vertical plane, turning clockwise (sign +1) or counter-clockwise on screen."""
    pair = _mover_and_centre(v)
    if pair is None:
        return False
    rel = _circles(v, *pair)
    if rel is None:
        return False
    normal = np.linalg.svd(rel - rel.mean(axis=0))[2][2]
    if abs(normal[2]) > 0.1:
        return False
    # image y points down, so a clockwise turn on screen increases atan2(y, x)
    offset = v.centre_px(pair[0]) - v.centre_px(pair[1])
    return not np.isnan(offset).any() and _one_way(unwrapped_angle(offset), sign)


@check("orbiting5")
def orbits_vertical_cw(v: ClipView) -> bool:
    return _upright_orbit(v, 1.0)


@check("orbiting6")
def orbits_vertical_ccw(v: ClipView) -> bool:
    return _upright_orbit(v, -1.0)
