"""Not colliding (coarse 13): objects approach each other but never touch.

Fine variants: 1 two objects pass each other; 2 one object passes a stationary one; 3 several objects
converge and slip past each other; 4 two objects circle in opposite directions on concentric paths;
5 one object threads through a group of stationary ones.

"Not touching" is enforced with bounding spheres: every path keeps each pair of objects further apart
than the sum of their bounding radii (plus a margin), while the objects still come close.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np

from synta.generator.clip_view import ClipView, max_chord_deviation, unwrapped_angle
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene, ground, turn
from synta.generator.shapes import get_shape


def _heading(s: Scene) -> np.ndarray:
    """A horizontal direction 20-45 degrees off screen-right (either way, either sense): mostly
    sideways on screen, yet with enough depth that the gap between passing objects shows."""
    angle = s.sign() * s.u(20, 45)
    return turn(s.right * s.sign(), angle)


def _gap(*objs: Actor, s: Scene) -> float:
    """Centre distance that keeps the objects' bounding spheres apart, with a visible margin."""
    return sum(o.radius for o in objs) + s.u(0.6, 1.5)


def _cross(s: Scene, a: Actor, start: np.ndarray, end: np.ndarray) -> None:
    """Travel in a straight line from ``start`` to ``end`` over most of the clip."""
    a.place(ground(start)).move(ground(end), s.u(0, 8), s.last - s.u(0, 10))


@motion("not_colliding1")
def two_pass_each_other(s: Scene) -> None:
    axis, a, b = _heading(s), s.obj(), s.obj()
    # parallel lanes one gap apart: the objects cannot touch whatever their timing
    off, length = turn(axis, 90) * _gap(a, b, s=s) / 2, s.u(7, 9)
    _cross(s, a, -length * axis - off, length * axis - off)
    _cross(s, b, length * axis + off, -length * axis + off)


@motion("not_colliding2")
def one_passes_stationary(s: Scene) -> None:
    axis = _heading(s)
    still = s.obj(at=(s.u(-1, 1), s.u(-1, 1), None), role="static")
    mover = s.obj(role="mover")
    lane = still.at(0) + turn(axis, 90) * s.sign() * _gap(still, mover, s=s)
    length = s.u(7.5, 9)
    _cross(s, mover, lane - length * axis, lane + length * axis)


@motion("not_colliding3")
def many_slip_past(s: Scene) -> None:
    n = s.pick((3, 4))
    objs = [s.obj() for _ in range(n)]
    # a pinwheel: object k runs along a line tangent to a circle of radius d, all in step, so at any
    # moment they sit on a common circle 2*pi/n apart and the closest pair is 2 d sin(pi/n) apart
    d = _gap(*sorted(objs, key=lambda o: o.radius)[-2:], s=s) / (2 * np.sin(np.pi / n))
    length, theta0, spin = s.u(6.5, 8), s.u(0, 2 * np.pi), s.sign()
    f0, f1 = s.u(0, 8), s.last - s.u(0, 10)
    for k, o in enumerate(objs):
        th = theta0 + 2 * np.pi * k / n
        radial = np.array([np.cos(th), np.sin(th), 0.0])
        tangent = spin * turn(radial, 90)
        o.place(ground(length * radial + d * tangent)).move(ground(-length * radial + d * tangent), f0, f1)


@motion("not_colliding4")
def opposite_circles(s: Scene) -> None:
    inner, outer = s.obj(role="inner"), s.obj(role="outer")
    r_in = s.u(3, 4)
    # concentric circles one gap apart in radius keep the two apart wherever each one is on its circle
    r_out = r_in + _gap(inner, outer, s=s)
    th, cw = s.u(0, 2 * np.pi), bool(s.pick((True, False)))
    f0, f1 = s.u(0, 6), s.last - s.u(0, 6)
    for o, r, start, clockwise in ((inner, r_in, th, cw), (outer, r_out, th + np.pi, not cw)):
        o.place((r * np.cos(start), r * np.sin(start), None))
        o.orbit((0.0, 0.0, o.rest_z), f0, f1, turns=s.u(0.75, 1.0), clockwise=clockwise)


@motion("not_colliding5")
def one_threads_through_group(s: Scene) -> None:
    axis = _heading(s)
    side = turn(axis, 90) * s.sign()
    mover = s.obj(role="mover")
    statics = [s.obj(role="static") for _ in range(s.pick((2, 3)))]
    # a loose row across the mover's lane; it slips through the gap between the first two
    offsets = [-_gap(mover, statics[0], s=s), _gap(mover, statics[1], s=s)]
    if len(statics) == 3:
        offsets.append(offsets[1] + _gap(statics[1], statics[2], s=s))
    for o, off in zip(statics, offsets):
        o.place(ground(off * side + s.u(-1.5, 1.5) * axis))
    length = s.u(7.5, 9)
    _cross(s, mover, -length * axis, length * axis)


# -- checks ------------------------------------------------------------------------------------------

def _distance(v: ClipView, i: int, j: int) -> np.ndarray:
    return np.linalg.norm(v.pos[i] - v.pos[j], axis=1)


def _never_touch(v: ClipView) -> bool:
    """No two objects' bounding spheres ever intersect while both exist."""
    radius = np.array([get_shape(sh).radius for sh in v.shapes])[:, None] * v.scale
    for i, j in combinations(range(v.n), 2):
        both = v.exists[i] & v.exists[j]
        if np.any((_distance(v, i, j) - radius[i] - radius[j])[both] <= 0):
            return False
    return True


def _approach(v: ClipView, i: int, j: int) -> bool:
    """The two come substantially closer than they started."""
    d = _distance(v, i, j)
    return bool(d.min() < 0.7 * d[0])


def _movers(v: ClipView) -> tuple[list[int], list[int]] | None:
    """(moving, stationary) object indices, or None if some object merely drifts."""
    travel = np.array([v.travel(i) for i in range(v.n)])
    moving, still = list(np.nonzero(travel > 2)[0]), list(np.nonzero(travel < 1e-6)[0])
    return (moving, still) if len(moving) + len(still) == v.n else None


def _straight(v: ClipView, i: int) -> bool:
    return max_chord_deviation(v.pos[i]) < 0.1


def _turning(v: ClipView, i: int) -> float:
    """Signed total turn (radians, counter-clockwise from above) of object i's heading."""
    vel = np.diff(v.pos[i][:, :2], axis=0)
    vel = vel[np.linalg.norm(vel, axis=1) > 1e-4]
    if len(vel) < 2:
        return 0.0
    heading = unwrapped_angle(vel)
    return float(heading[-1] - heading[0])


@check("not_colliding1")
def two_pass_without_touching(v: ClipView) -> bool:
    m = _movers(v)
    return (v.n == 2 and m is not None and len(m[0]) == 2 and all(_straight(v, i) for i in range(2))
            and _approach(v, 0, 1) and _never_touch(v))


@check("not_colliding2")
def passes_stationary_without_touching(v: ClipView) -> bool:
    m = _movers(v)
    return (v.n == 2 and m is not None and len(m[0]) == 1 and len(m[1]) == 1
            and _approach(v, m[0][0], m[1][0]) and _never_touch(v))


@check("not_colliding3")
def many_slip_past_without_touching(v: ClipView) -> bool:
    m = _movers(v)
    if v.n < 3 or m is None or len(m[0]) != v.n or not all(_straight(v, i) for i in range(v.n)):
        return False
    spread = np.mean([_distance(v, i, j) for i, j in combinations(range(v.n), 2)], axis=0)
    return bool(spread.min() < 0.6 * spread[0]) and _never_touch(v)


@check("not_colliding4")
def circle_oppositely_without_touching(v: ClipView) -> bool:
    m = _movers(v)
    if v.n != 2 or m is None or len(m[0]) != 2:
        return False
    turn_a, turn_b = _turning(v, 0), _turning(v, 1)
    return (min(abs(turn_a), abs(turn_b)) > np.pi and turn_a * turn_b < 0
            and _approach(v, 0, 1) and _never_touch(v))


@check("not_colliding5")
def threads_through_group_without_touching(v: ClipView) -> bool:
    m = _movers(v)
    if m is None or len(m[0]) != 1 or len(m[1]) < 2:
        return False
    mover = m[0][0]
    return sum(_approach(v, mover, j) for j in m[1]) >= 2 and _never_touch(v)
