"""Moving in a path (coarse 12): an object travels from one place to another.

Fine variants: 1 slowly from one position to another, then stops; 2 the same quickly; 3 slowly there and
back to where it started; 4 two objects switch places; 5 left to right across the screen; 6 right to
left. Variants 1-3 stop well before the clip ends, 5 and 6 travel for the whole clip.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, max_chord_deviation, monotonic
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Scene, ground, turn

EPS = 1e-3  # units per frame below which an object counts as at rest
SLOW, QUICK = 0.18, 0.25  # mean speed (units per frame) while moving: slow below, quick above


def _leg(s: Scene, length: float):
    """A random mover at the start of a straight leg of ``length`` through the middle of the scene, and
    the leg's end; the leg runs within 60 degrees of screen-horizontal so the travel reads on screen."""
    d = s.heading() * length
    centre = np.array([s.u(-1, 1), s.u(-1, 1), 0.0])
    return s.obj(at=ground(centre - d / 2)), centre + d / 2


@motion("moving_in_a_path1")
def slow_then_stop(s: Scene) -> None:
    a, end = _leg(s, s.u(8, 10))
    f0 = s.u(0, 8)
    a.move(ground(end), f0, f0 + s.u(75, 90))


@motion("moving_in_a_path2")
def quick_then_stop(s: Scene) -> None:
    a, end = _leg(s, s.u(7, 10))
    f0 = s.u(15, 45)
    a.move(ground(end), f0, f0 + s.u(14, 22))


@motion("moving_in_a_path3")
def slow_there_and_back(s: Scene) -> None:
    a, end = _leg(s, s.u(5.5, 7))
    f0, trip = s.u(0, 6), s.u(44, 50)
    start = a.at(0)
    back = f0 + trip + s.u(6, 12)
    a.move(ground(end), f0, f0 + trip).move(ground(start), back, back + trip)


@motion("moving_in_a_path4")
def two_switch_places(s: Scene) -> None:
    a, q = _leg(s, s.u(6, 8))
    b, p = s.obj(at=ground(q)), a.at(0)
    # "]" and "[" shaped paths on opposite sides of the line between them, so they never meet
    off = turn(q - p, 90) / np.linalg.norm(q - p) * s.u(2.2, 2.8)
    f0, f1 = s.u(0, 8), s.last - s.u(0, 8)
    a.path([ground(p + off), ground(q + off), ground(q)], f0, f1, "smooth")
    b.path([ground(q - off), ground(p - off), ground(p)], f0, f1, "smooth")


def _across(s: Scene, sense: float) -> None:
    """Straight across the screen, ``sense`` +1 left to right or -1 right to left, the whole clip."""
    half, depth = s.u(4.5, 5.5) * sense, s.u(-2, 2)
    a = s.obj(at=s.screen(-half, depth))
    a.move(s.screen(half, depth), s.u(0, 3), s.last - s.u(0, 3))


@motion("moving_in_a_path5")
def left_to_right(s: Scene) -> None:
    _across(s, 1.0)


@motion("moving_in_a_path6")
def right_to_left(s: Scene) -> None:
    _across(s, -1.0)


# -- checks ---------------------------------------------------------------------------------------

def _single_trip(v: ClipView) -> np.ndarray | None:
    """The lone object's ground path if it makes one straight move of 5+ units and then rests for at
    least 15 frames far from where it started; else None."""
    if v.n != 1:
        return None
    p, moving = v.pos[0, :, :2], v.moving(0, EPS)
    idx = np.nonzero(moving)[0]
    if (idx.size == 0 or idx[-1] - idx[0] + 1 != idx.size or moving.size - idx[-1] - 1 < 15
            or np.linalg.norm(p[-1] - p[0]) < 5 or max_chord_deviation(p) > 0.3):
        return None
    return p


def _mean_speed(v: ClipView, i: int) -> float:
    moving = v.moving(i, EPS)
    return float(v.speed(i)[moving].mean())


@check("moving_in_a_path1")
def moves_slowly_and_stops(v: ClipView) -> bool:
    return _single_trip(v) is not None and _mean_speed(v, 0) < SLOW


@check("moving_in_a_path2")
def moves_quickly_and_stops(v: ClipView) -> bool:
    return _single_trip(v) is not None and _mean_speed(v, 0) > QUICK


@check("moving_in_a_path3")
def moves_slowly_and_returns(v: ClipView) -> bool:
    """Goes 5+ units away in a straight line, slowly, and ends back where it began."""
    if v.n != 1:
        return False
    p = v.pos[0, :, :2]
    reach = np.linalg.norm(p - p[0], axis=1)
    turn = int(np.argmax(reach))
    return bool(reach[turn] >= 5 and reach[-1] < 0.3 and max_chord_deviation(p[:turn + 1]) < 0.3
                and max_chord_deviation(p[turn:]) < 0.3 and _mean_speed(v, 0) < SLOW)


@check("moving_in_a_path4")
def two_swap(v: ClipView) -> bool:
    """Two objects each end where the other began, without ever touching."""
    if v.n != 2:
        return False
    p = v.pos[:, :, :2]
    gap = np.linalg.norm(p[0] - p[1], axis=1)
    return bool(np.linalg.norm(p[0, -1] - p[1, 0]) < 0.3 and np.linalg.norm(p[1, -1] - p[0, 0]) < 0.3
                and gap[0] >= 4 and gap.min() >= 3)


def _crosses_screen(v: ClipView, sense: float) -> bool:
    """The lone object moves nearly all the clip, its image steadily going one way across at least a
    quarter of the frame width and hardly up or down."""
    if v.n != 1 or v.moving(0, EPS).mean() < 0.9:
        return False
    c = v.centre_px(0)
    dx, dy = sense * (c[-1, 0] - c[0, 0]), abs(c[-1, 1] - c[0, 1])
    return bool(monotonic(sense * c[:, 0], increasing=True) and dx > 0.25 * v.resolution[0]
                and dy < 0.25 * dx)


@check("moving_in_a_path5")
def moves_left_to_right(v: ClipView) -> bool:
    return _crosses_screen(v, 1.0)


@check("moving_in_a_path6")
def moves_right_to_left(v: ClipView) -> bool:
    return _crosses_screen(v, -1.0)
