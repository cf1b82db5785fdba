"""Departing (coarse 6): objects at rest in the scene set off and go far away.

Fine variants: 1 a single object; 2 several objects at once; 3 several objects one by one; 4 one object
out of the middle of a group of resting objects; 5 one object from beside a resting object; 6 one
object leaves the side of a resting object and soon comes back.

Variants 1-5 are arriving 1-5 played backwards (the reference: "departing mirrors arriving"), and so
are their checks: a departure is an arrival seen in reverse.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from synta.generator.clip_view import ClipView
from synta.generator.motions import check, motion
from synta.generator.motions.arriving import (
    ELEVATION,
    EPS,
    FAR,
    NEAR,
    arrive_one_by_one,
    arrive_together,
    arrives_among,
    arrives_beside,
    arriving_among,
    arriving_beside,
    arriving_one_by_one,
    arriving_single,
    arriving_together,
    beside,
    framed,
    one_arrives,
    pair,
    rest_on,
)
from synta.generator.motions.primitives import Scene, ground, turn


def _backwards(s: Scene, program: Callable[[Scene], None]) -> None:
    """Run ``program`` and reverse time in every track."""
    program(s)
    for a in s.actors:
        for channel in (a.position, a.rotation, a.scale, a.opacity, a.color, a.morph, a.exists):
            channel[:] = channel[::-1].copy()


@motion("departing1", elevation=ELEVATION)
def departing_single(s: Scene) -> None:
    _backwards(s, arriving_single)


@motion("departing2", elevation=ELEVATION)
def departing_together(s: Scene) -> None:
    _backwards(s, arriving_together)


@motion("departing3", elevation=ELEVATION)
def departing_one_by_one(s: Scene) -> None:
    _backwards(s, arriving_one_by_one)


@motion("departing4", elevation=ELEVATION)
def departing_among(s: Scene) -> None:
    _backwards(s, arriving_among)


@motion("departing5", elevation=ELEVATION)
def departing_beside(s: Scene) -> None:
    _backwards(s, arriving_beside)


@motion("departing6", elevation=ELEVATION)
def departing_and_returning(s: Scene) -> None:
    spot, side = beside(s)
    a = s.obj(at=ground(spot))
    away = ground(spot + turn(side, s.u(-60, 60)) * s.u(7, 9))
    leave, trip = s.u(6, 14), s.u(30, 38)
    back = leave + trip + s.u(4, 10)  # "shortly": only a brief stop out there
    a.move(away, leave, leave + trip).move(ground(spot), back, back + trip * s.u(0.9, 1.1))
    rest_on(s, [a], 0)


def _reversed(v: ClipView) -> np.ndarray:
    return v.pos[:, ::-1]


@check("departing1")
def check_single(v: ClipView) -> bool:
    return one_arrives(_reversed(v)) and framed(v, 0, v.num_frames - 1)


@check("departing2")
def check_together(v: ClipView) -> bool:
    return arrive_together(_reversed(v)) and framed(v, 0, v.num_frames - 1)


@check("departing3")
def check_one_by_one(v: ClipView) -> bool:
    return arrive_one_by_one(_reversed(v)) and framed(v, 0, v.num_frames - 1)


@check("departing4")
def check_among(v: ClipView) -> bool:
    return arrives_among(_reversed(v)) and framed(v, 0, v.num_frames - 1)


@check("departing5")
def check_beside(v: ClipView) -> bool:
    return arrives_beside(_reversed(v)) and framed(v, 0, v.num_frames - 1)


@check("departing6")
def check_leaves_and_returns(v: ClipView) -> bool:
    """One object at rest beside a resting one goes far off and comes back to rest where it was."""
    r = pair(v.pos)
    if r is None:
        return False
    (mover, gap), speed = r, v.speed(r[0])
    far = int(np.argmax(gap))
    return bool(np.linalg.norm(v.pos[mover, -1, :2] - v.pos[mover, 0, :2]) < 0.3 and gap[0] <= NEAR
                and gap.max() >= FAR and speed[:3].max() < EPS and speed[-3:].max() < EPS
                and framed(v, 0, far))
