"""Arriving (coarse 1): objects come in from afar and come to rest at a spot in the scene.

Fine variants: 1 a single object; 2 several objects at once; 3 several objects one by one; 4 one object
into the middle of a group of resting objects; 5 one object to a spot beside a resting object; 6 the
same, pausing there and then going away.

Departing (``departing.py``) plays variants 1-5 backwards, so the geometry and the predicates that
judge a whole clip from its positions (``pos (N, T, 3)``) are public here.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, monotonic
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene, ground, turn

ELEVATION = (22.0, 45.0)  # about the reference's orbit camera (R 12, z 5-15)
EPS = 1e-3  # units per frame below which an object counts as at rest
NEAR = 4.5  # centre distance up to which two objects stand "beside" each other
MIDDLE = 1 / 3  # screen offset (fraction of the half-frame) within which a box centre is in the middle third
EDGE = 0.6  # screen reach from which a box lies in the outer fifth of the frame, at its edge
FAR = 6.0  # centre distance from which an object is clearly elsewhere


def comer(s: Scene, spot: np.ndarray, came_from: np.ndarray, f0: float, f1: float, dist: float,
          ease: str = "out") -> Actor:
    """An object that starts ``dist`` units from ``spot`` along ``came_from`` and travels there."""
    return s.obj(at=ground(spot + dist * came_from)).move(ground(spot), f0, f1, ease)


def ring(s: Scene, n: int, radius: float, start: float | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` (point, outward unit vector) pairs evenly spaced round a circle of ``radius`` about the
    origin, the first at angle ``start`` (radians; random if None)."""
    a0 = s.u(0, 2 * np.pi) if start is None else start
    out = [np.array([np.cos(a), np.sin(a), 0.0]) for a in a0 + 2 * np.pi * np.arange(n) / n]
    return [(radius * o, o) for o in out]


def beside(s: Scene) -> tuple[np.ndarray, np.ndarray]:
    """Add a resting object; return a spot beside it on screen (left or right) and the way to that spot."""
    still = s.obj(at=(s.u(-1, 1), s.u(-1, 1), None), role="static")
    side = s.right * s.sign()
    return still.at(0) + side * s.u(3.3, 3.9), side


def rest_on(s: Scene, movers: list[Actor], frame: float) -> None:
    """Aim the camera at where ``movers`` are at ``frame`` (their mean position), the reference's view
    of an arrival: it ends, and a departure starts, in the middle of the frame, and the mover comes from
    (or goes towards) the frame edge."""
    s.look_at(np.mean([a.at(frame) for a in movers], axis=0))


@motion("arriving1", elevation=ELEVATION)
def arriving_single(s: Scene) -> None:
    a = comer(s, np.array([s.u(-1, 1), s.u(-1, 1), 0.0]), s.heading(), 0, s.last - s.u(6, 12), s.u(8, 11))
    rest_on(s, [a], s.last)


@motion("arriving2", elevation=ELEVATION)
def arriving_together(s: Scene) -> None:
    # each from its own side onto a small ring, all in the same frames
    end = s.last - s.u(6, 12)
    movers = [comer(s, spot, out, 0, end + s.u(-1, 1), s.u(5.5, 7))
              for spot, out in ring(s, s.pick((3, 4)), s.u(2.5, 2.9))]
    rest_on(s, movers, s.last)


@motion("arriving3", elevation=ELEVATION)
def arriving_one_by_one(s: Scene) -> None:
    spots = ring(s, s.pick((3, 4)), s.u(2.5, 2.9))
    slot = (s.last - 6) / len(spots)
    movers = [comer(s, spot, out, k * slot + s.u(0, 3), (k + 1) * slot - s.u(1, 3), s.u(5.5, 7), "smooth")
              for k, (spot, out) in enumerate(spots)]
    rest_on(s, movers, s.last)


@motion("arriving4", elevation=ELEVATION)
def arriving_among(s: Scene) -> None:
    d, n = s.heading(), s.pick((4, 5))
    # the arrival direction runs through the middle of a gap 6.6-7.2 units wide between resting objects
    radius = s.u(3.3, 3.6) / np.sin(np.pi / n)
    for spot, _ in ring(s, n, radius, start=np.arctan2(d[1], d[0]) + np.pi / n):
        s.obj(at=ground(spot), role="static")
    rest_on(s, [comer(s, np.zeros(3), d, 0, s.last - s.u(6, 12), s.u(11.5, 13))], s.last)


@motion("arriving5", elevation=ELEVATION)
def arriving_beside(s: Scene) -> None:
    spot, side = beside(s)
    # from within 60 degrees of the side's direction, so it never passes through the resting object
    rest_on(s, [comer(s, spot, turn(side, s.u(-60, 60)), 0, s.last - s.u(6, 12), s.u(8, 10))], s.last)


@motion("arriving6", elevation=ELEVATION)
def arriving_pausing_leaving(s: Scene) -> None:
    spot, side = beside(s)
    arrive = s.u(32, 42)
    a = comer(s, spot, turn(side, s.u(-60, 60)), 0, arrive, s.u(8, 10))
    a.move(ground(spot + turn(side, s.u(-60, 60)) * s.u(8, 10)), arrive + s.u(20, 30), s.last, "in")
    rest_on(s, [a], arrive)


# -- predicates over positions (N, T, 3); departing.py applies them to the time-reversed clip ---------

def _speed(p: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.diff(p, axis=0), axis=1)


def _parts(pos: np.ndarray) -> tuple[list[int], list[int]] | None:
    """Indices of the objects that travel and of those that never move; None if some merely drift."""
    travel = np.array([_speed(p).sum() for p in pos])
    movers, still = np.nonzero(travel > 1.0)[0].tolist(), np.nonzero(travel < EPS)[0].tolist()
    return (movers, still) if len(movers) + len(still) == len(pos) else None


def arrives(p: np.ndarray) -> bool:
    """Comes from at least 5 units away, never gets further from where it ends, and ends at rest."""
    d = np.linalg.norm(p[:, :2] - p[-1, :2], axis=1)
    return bool(d.max() >= 5 and monotonic(d, increasing=False) and np.all(_speed(p)[-3:] < EPS))


def _window(p: np.ndarray) -> tuple[int, int]:
    """First and last frame in which the object moves."""
    moving = np.nonzero(_speed(p) > EPS)[0]
    return int(moving[0]), int(moving[-1]) + 1


def _group(pos: np.ndarray) -> list[tuple[int, int]] | None:
    """Motion windows of several objects that all arrive (and nothing else in the scene)."""
    parts = _parts(pos)
    if parts is None or len(parts[0]) < 2 or parts[1] or not all(arrives(pos[i]) for i in parts[0]):
        return None
    return [_window(pos[i]) for i in parts[0]]


def one_arrives(pos: np.ndarray) -> bool:
    return len(pos) == 1 and arrives(pos[0])


def arrive_together(pos: np.ndarray) -> bool:
    w = _group(pos)
    return w is not None and all(np.ptp(np.array(w), axis=0) <= 4)


def arrive_one_by_one(pos: np.ndarray) -> bool:
    w = _group(pos)
    if w is None:
        return False
    starts, ends = np.sort(np.array(w), axis=0).T
    return bool(np.diff(starts).min() >= 8 and np.diff(ends).min() >= 8)


def _one_among(pos: np.ndarray, n_still: int) -> tuple[int, list[int]] | None:
    """(traveller, resting objects) when exactly one object travels and ``n_still`` or more never move."""
    parts = _parts(pos)
    if parts is None or len(parts[0]) != 1 or len(parts[1]) < n_still:
        return None
    return parts[0][0], parts[1]


def arrives_among(pos: np.ndarray) -> bool:
    """One object comes from outside a group of at least three resting objects into its middle."""
    r = _one_among(pos, 3)
    if r is None or not arrives(pos[r[0]]):
        return False
    p, still = pos[r[0], :, :2], pos[r[1], 0, :2]
    centre = still.mean(axis=0)
    spread = np.linalg.norm(still - centre, axis=1)
    return bool(np.linalg.norm(p[-1] - centre) < spread.min() - 1
                and np.linalg.norm(p[0] - centre) > spread.max() + 1)


def pair(pos: np.ndarray) -> tuple[int, np.ndarray] | None:
    """(traveller, its per-frame distance to the other object) when the scene is one traveller and
    one resting object."""
    r = _one_among(pos, 1)
    if r is None or len(r[1]) != 1:
        return None
    return r[0], np.linalg.norm(pos[r[0], :, :2] - pos[r[1][0], :, :2], axis=1)


def arrives_beside(pos: np.ndarray) -> bool:
    """One object comes from afar to stop beside a resting one."""
    r = pair(pos)
    return r is not None and arrives(pos[r[0]]) and bool(r[1][0] >= FAR and r[1][-1] <= NEAR)


# -- framing on the rest spot, over the sidecar's pixel boxes ----------------------------------------

def _offset(v: ClipView, i: int, f: int) -> float:
    """How far object ``i``'s box centre is from the image centre at frame ``f``, as a fraction of the
    half-frame along the worse axis (inf when it is not visible)."""
    c = v.centre_px(i)[f]
    half = np.asarray(v.resolution, dtype=float) / 2
    return np.inf if np.isnan(c).any() else float((np.abs(c - half) / half).max())


def _reach(v: ClipView, i: int, f: int) -> float:
    """How far towards the frame border object ``i``'s box reaches at frame ``f``, as a fraction of the
    half-frame (inf when it is not wholly in view: it has left the frame)."""
    b = v.bbox[i, f]
    if not v.in_frame[i, f] or np.isnan(b).any():
        return np.inf
    half = np.asarray(v.resolution, dtype=float) / 2
    return float(np.max(np.concatenate([half - b[:2], b[2:] - half]) / np.tile(half, 2)))


def framed(v: ClipView, rest: int, far: int | tuple[int, ...]) -> bool:
    """The reference's view of an arrival or departure: every travelling object is in the middle third
    of the frame at frame ``rest`` (where it comes to rest or sets off), and at one of the frames ``far``
    some traveller is at the frame edge or out of view (where it comes from or goes to)."""
    movers = [i for i in range(v.n) if v.travel(i) > 1.0]
    fars = (far,) if isinstance(far, int) else far
    return bool(movers and all(_offset(v, i, rest) <= MIDDLE for i in movers)
                and max(_reach(v, i, f) for i in movers for f in fars) >= EDGE)


@check("arriving1")
def check_single(v: ClipView) -> bool:
    return one_arrives(v.pos) and framed(v, v.num_frames - 1, 0)


@check("arriving2")
def check_together(v: ClipView) -> bool:
    return arrive_together(v.pos) and framed(v, v.num_frames - 1, 0)


@check("arriving3")
def check_one_by_one(v: ClipView) -> bool:
    return arrive_one_by_one(v.pos) and framed(v, v.num_frames - 1, 0)


@check("arriving4")
def check_among(v: ClipView) -> bool:
    return arrives_among(v.pos) and framed(v, v.num_frames - 1, 0)


@check("arriving5")
def check_beside(v: ClipView) -> bool:
    return arrives_beside(v.pos) and framed(v, v.num_frames - 1, 0)


@check("arriving6")
def check_pause_then_away(v: ClipView) -> bool:
    """Comes from afar to beside the resting object, rests there a while, then goes far away."""
    r = pair(v.pos)
    if r is None or r[1][0] < FAR or r[1][-1] < FAR:
        return False
    mover, gap = r
    resting_beside = (v.speed(mover) < EPS) & (gap[1:] <= NEAR)
    run = np.convolve(resting_beside, np.ones(10), "valid")
    # framed on the pause: the middle frame of the first 10-frame rest beside the other object
    return bool(run.max() >= 10 and framed(v, int(np.argmax(run >= 10)) + 6, (0, v.num_frames - 1)))
