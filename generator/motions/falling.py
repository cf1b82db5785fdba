"""Falling (coarse 9): an object comes down to the ground — straight, zigzag, at an angle, along a curve.

The mirror of ``rising.py``: each program starts the object high in the air and ends it resting on the
ground, accelerating like a dropped object where the path allows it.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, max_chord_deviation, monotonic, zigzags
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene


def _faller(s: Scene, height: tuple[float, float] = (7.0, 9.0)) -> Actor:
    return s.obj(at=(s.u(-1, 1), s.u(-1, 1), s.u(*height)))


@motion("falling1", elevation=(27.0, 40.0))
def falling_straight(s: Scene) -> None:
    a = _faller(s)
    a.move((None, None, a.rest_z), s.u(0, 8), s.last - s.u(0, 10), "in")


@motion("falling2", elevation=(20.0, 35.0))
def falling_zigzag(s: Scene) -> None:
    a = _faller(s, (8.0, 10.0))
    side = s.pick([s.right, s.toward_camera]) * s.sign()
    a.zigzag((None, None, a.rest_z), 0, s.last - s.u(0, 8), steps=7, amplitude=s.u(1.8, 2.4), lateral=side)


@motion("falling3", elevation=(20.0, 35.0))
def falling_angle(s: Scene) -> None:
    a = _faller(s)
    d = s.right * s.sign() * s.u(4, 6)
    a.move((a.at(0)[0] + d[0], a.at(0)[1] + d[1], a.rest_z), s.u(0, 5), s.last - s.u(0, 8), "in")


@motion("falling4", elevation=(20.0, 35.0))
def falling_curved(s: Scene) -> None:
    # thrown sideways: a gravity parabola, sideways first and then ever more steeply down (the reverse of
    # rising along a curve); the reference's small upward kick is dropped so the object only ever descends
    a = _faller(s, (8.0, 10.0))
    a.ballistic(s.right * s.sign() * s.u(3.8, 5.0), s.u(2, 14))


def _falls(v: ClipView) -> np.ndarray | None:
    """The single object's path if it ends at least 4 units lower, never rises and moves down in the image."""
    if v.n != 1:
        return None
    p = v.pos[0]
    cy = v.centre_px(0)[:, 1]
    if p[0, 2] - p[-1, 2] < 4 or not monotonic(p[:, 2], increasing=False) or not cy[-1] > cy[0]:
        return None
    return p


def _horizontal(p: np.ndarray) -> np.ndarray:
    return p[:, :2] - p[0, :2]


@check("falling1")
def falls_straight(v: ClipView) -> bool:
    p = _falls(v)
    return p is not None and float(np.linalg.norm(_horizontal(p), axis=1).max()) < 0.5


@check("falling2")
def falls_zigzag(v: ClipView) -> bool:
    p = _falls(v)
    if p is None:
        return False
    return zigzags(p)


@check("falling3")
def falls_at_angle(v: ClipView) -> bool:
    p = _falls(v)
    return p is not None and float(np.linalg.norm(p[-1, :2] - p[0, :2])) > 2 and max_chord_deviation(p) < 0.3


@check("falling4")
def falls_curved(v: ClipView) -> bool:
    p = _falls(v)
    if p is None:
        return False
    horizontal = np.linalg.norm(_horizontal(p), axis=1)
    return (float(horizontal[-1]) > 2 and max_chord_deviation(p) > 0.8
            and monotonic(horizontal, increasing=True, tol=1e-4))
