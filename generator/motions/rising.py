"""Rising (coarse 16): an object goes up — straight, zigzag, at an angle, along a curve."""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, max_chord_deviation, monotonic, zigzags
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Scene


def _riser(s: Scene):
    return s.obj(at=(s.u(-1, 1), s.u(-1, 1), None))


@motion("rising1", elevation=(27.0, 40.0))
def rising_straight(s: Scene) -> None:
    a = _riser(s)
    a.move((None, None, s.u(7, 9)), s.u(0, 6), s.last - s.u(0, 6))


@motion("rising2", elevation=(20.0, 35.0))
def rising_zigzag(s: Scene) -> None:
    a = _riser(s)
    side = s.pick([s.right, s.toward_camera]) * s.sign()
    a.zigzag((None, None, s.u(8, 10)), 0, s.last - s.u(0, 8), steps=7, amplitude=s.u(1.8, 2.4), lateral=side)


@motion("rising3", elevation=(20.0, 35.0))
def rising_angle(s: Scene) -> None:
    a = _riser(s)
    d = s.right * s.sign() * s.u(4, 6)
    a.move((a.at(0)[0] + d[0], a.at(0)[1] + d[1], s.u(7, 9)), s.u(0, 5), s.last - s.u(0, 5), "linear")


@motion("rising4", elevation=(20.0, 35.0))
def rising_curved(s: Scene) -> None:
    a = _riser(s)
    d = s.right * s.sign()
    start, top = a.at(0), s.u(7, 9)
    # a quarter-ellipse: sideways first, then up (the reverse of falling along a curve)
    n = 12
    pts = [(start[0] + d[0] * 5 * np.sin(k / n * np.pi / 2), start[1] + d[1] * 5 * np.sin(k / n * np.pi / 2),
            start[2] + (top - start[2]) * (1 - np.cos(k / n * np.pi / 2))) for k in range(1, n + 1)]
    a.path(pts, s.u(0, 5), s.last - s.u(0, 5))


def _rises(v: ClipView) -> tuple[int, np.ndarray] | None:
    """The single object, if it ends at least 4 units higher and moves up in the image; else None."""
    if v.n != 1:
        return None
    p = v.pos[0]
    cy = v.centre_px(0)[:, 1]
    if p[-1, 2] - p[0, 2] < 4 or not monotonic(p[:, 2], increasing=True) or not cy[-1] < cy[0]:
        return None
    return 0, p


def _horizontal(p: np.ndarray) -> np.ndarray:
    return p[:, :2] - p[0, :2]


@check("rising1")
def rises_straight(v: ClipView) -> bool:
    r = _rises(v)
    return r is not None and float(np.linalg.norm(_horizontal(r[1]), axis=1).max()) < 0.5


@check("rising2")
def rises_zigzag(v: ClipView) -> bool:
    r = _rises(v)
    if r is None:
        return False
    return zigzags(r[1])


@check("rising3")
def rises_at_angle(v: ClipView) -> bool:
    r = _rises(v)
    if r is None:
        return False
    p = r[1]
    return float(np.linalg.norm(p[-1, :2] - p[0, :2])) > 2 and max_chord_deviation(p) < 0.3


@check("rising4")
def rises_curved(v: ClipView) -> bool:
    r = _rises(v)
    if r is None:
        return False
    p = r[1]
    horizontal = np.linalg.norm(_horizontal(p), axis=1)
    return (float(horizontal[-1]) > 2 and max_chord_deviation(p) > 0.8
            and monotonic(horizontal, increasing=True, tol=1e-4))
