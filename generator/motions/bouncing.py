"""Bouncing (coarse 2): objects hop off the ground.

Fine variants: 1 one object comes to rest, 2/3 several objects dropped from similar / very different heights
come to rest, 4 one object bounces against a wall and back, 5 one object bounces forward, 6 one object
bounces forever, 7/8 one object hops down / up a flight of stairs. Walls and stairs are built from cube
props (role ``prop``); hop timings follow free fall under ``G``.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, max_chord_deviation, monotonic, sign_changes
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene

G = 20.0  # units/s^2: the reference's timing (a 4-unit drop takes 14 frames), brisker than 9.81 at this scale
UP = np.array([0.0, 0.0, 1.0])


def _fall_frames(s: Scene, height: float) -> float:
    return float(np.sqrt(2 * height / G) * s.fps)


def _drop_and_settle(s: Scene, a: Actor, f0: float, height: float, restitution: float, end: float) -> None:
    """Drop ``a`` from ``height`` above the ground at f0; each rebound reaches ``restitution`` of the last
    height, until the hops get tiny or would run past ``end``; then it rests."""
    a.place((None, None, a.rest_z + height), 0)
    f = landing = f0 + _fall_frames(s, height)
    a.move((None, None, a.rest_z), f0, landing, "in")
    heights, frames = [], []
    h = height * restitution
    while h > 0.15 and f + 2 * _fall_frames(s, h) <= end:
        heights.append(h)
        frames.append(2 * _fall_frames(s, h))
        f += frames[-1]
        h *= restitution
    a.bounce(landing, heights, frames)


def _bob(s: Scene, a: Actor, height: float, f0: int) -> None:
    """Endless equal hops of ``height`` starting on the ground at frame f0 (may be negative: already
    bouncing when the clip starts). Whole-frame hops, so every landing is a sampled frame on the ground."""
    t = (np.arange(s.num_frames) - f0) / round(2 * _fall_frames(s, height))
    a.position[:, 2] = a.rest_z + np.where(t >= 0, height * (1 - (2 * (t % 1) - 1) ** 2), 0.0)


def _block(s: Scene, at: np.ndarray, size: float, color: list[float], facing: np.ndarray) -> Actor:
    """One cube prop of edge ``2 * size`` centred at ``at``, its faces square to ``facing``."""
    b = s.obj(at=tuple(at), shape="cube", scale=size, color=color, role="prop")
    b.rotation[:, 2] = np.arctan2(facing[1], facing[0])
    return b


def _hop_through(s: Scene, a: Actor, targets: list[np.ndarray], lift: float, f0: float, end: float) -> None:
    """Hop from spot to spot, each hop peaking ``lift`` above its higher end; free-fall durations, evenly
    squeezed if they would not finish by ``end``."""
    pts = [a.at(f0)] + targets
    frames = [_fall_frames(s, lift) + _fall_frames(s, lift + abs(q[2] - p[2])) for p, q in zip(pts, pts[1:])]
    k = min(1.0, (end - f0) / sum(frames))
    f = f0
    for q, n in zip(targets, frames):
        a.hop(q, lift, f, f + n * k)
        f += n * k


@motion("bouncing1", elevation=(15.0, 30.0))
def bouncing_settles(s: Scene) -> None:
    a = s.obj(at=(s.u(-1, 1), s.u(-1, 1), None))
    _drop_and_settle(s, a, 0, s.u(3.5, 5.0), s.u(0.4, 0.55), s.last - s.u(12, 20))


def _bouncing_group(s: Scene, heights: list[float]) -> None:
    gap = s.u(3.6, 4.2)
    for k, h in enumerate(s.rng.permutation(heights)):
        a = s.obj(at=s.screen((k - (len(heights) - 1) / 2) * gap, s.u(-1, 1)))
        _drop_and_settle(s, a, s.u(0, 6), float(h), s.u(0.4, 0.5), s.last - s.u(12, 20))


@motion("bouncing2", elevation=(15.0, 30.0))
def bouncing_group_similar(s: Scene) -> None:
    h = s.u(3.0, 4.5)
    _bouncing_group(s, [s.jitter(h, 0.08) for _ in range(s.pick((3, 4)))])


@motion("bouncing3", elevation=(15.0, 30.0))
def bouncing_group_different(s: Scene) -> None:
    n = s.pick((3, 4))
    _bouncing_group(s, [s.jitter(h, 0.06) for h in np.linspace(s.u(1.0, 1.4), s.u(5.5, 6.5), n)])


@motion("bouncing4", elevation=(15.0, 30.0))
def bouncing_off_wall(s: Scene) -> None:
    # towards screen-right or -left and a little away from the camera, so the wall stands behind the ball
    # and shows its face at an angle
    tilt = s.u(0.3, 0.6)
    d = s.sign() * s.right * np.cos(tilt) - s.toward_camera * np.sin(tilt)
    across = np.cross(UP, d)
    ball = s.obj(at=(s.u(-1, 1), s.u(-1, 1), None), scale=s.jitter(0.8, 0.1))
    start, size, color = ball.at(0), s.u(0.9, 1.05), s.color()
    reach = s.u(6.0, 8.0)  # from the ball's start to the wall's face
    wall = start * (1, 1, 0) + d * (reach + size)  # foot of the wall's middle, two cubes wide, three high
    for row in range(3):
        for col in (-0.5, 0.5):
            _block(s, wall + across * col * 2 * size + UP * size * (2 * row + 1), size, color, d)
    # horizontal motion at constant speed, mirrored at the wall: out to the wall and back
    f0, hit = round(s.u(0, 8)), s.u(48, 62)
    stop = reach - ball.radius
    x = np.clip(np.arange(s.num_frames) - f0, 0, None) * stop / (hit - f0)
    x = stop - np.abs(stop - x)
    ball.position[:, :2] = start[:2] + np.outer(x, d[:2])
    _bob(s, ball, s.u(1.6, 2.3), f0)


@motion("bouncing5", elevation=(15.0, 30.0))
def bouncing_forward(s: Scene) -> None:
    d = s.sign() * s.right
    travel, hops = s.u(12, 15), s.pick((4, 5, 6))
    start = -d * travel / 2 + s.toward_camera * s.u(-1, 1)
    a = s.obj(at=(start[0], start[1], None))
    f0, f1 = s.u(0, 6), s.last - s.u(4, 12)
    frames = (f1 - f0) / hops
    a.bounce(f0, [G * (frames / s.fps / 2) ** 2 / 2] * hops, [frames] * hops, step=d * travel / hops)


@motion("bouncing6", elevation=(15.0, 30.0))
def bouncing_forever(s: Scene) -> None:
    a = s.obj(at=(s.u(-1, 1), s.u(-1, 1), None))
    _bob(s, a, s.u(2.5, 4.0), -round(s.u(0, 30)))


def _stairs(s: Scene) -> tuple[Actor, np.ndarray, list[np.ndarray], np.ndarray]:
    """A flight of 4-5 steps rising towards screen-left or -right, and a small object.

    Steps are half a cube high and a cube deep (the reference's 1-up, 2-along hops), built of cube columns
    that overlap where a column is not a whole number of cubes high; the first step is a whole cube. Returns
    the object, the direction up the stairs, where the object stands on each tread (lowest first) and where
    it stands on the ground at the foot of the stairs.
    """
    up = s.sign() * s.right
    steps, size, color = s.pick((4, 5)), s.u(0.9, 1.05), s.color()
    base = s.toward_camera * s.u(-1, 1) - up * size * steps
    for j in range(steps):
        top = (j + 2) * size
        n = -(-(j + 2) // 2)
        for z in [size * (2 * k + 1) for k in range(n - 1)] + [top - size]:
            _block(s, base + up * 2 * size * j + UP * z, size, color, up)
    a = s.obj(scale=s.jitter(0.45, 0.1))
    # stand near the lower edge of each tread: hopping down, the object clears the edge sooner; hopping
    # up, it lands just past the riser it has to get over
    edge = base - up * (size - a.footprint - 0.05) + UP * a.rest_z
    treads = [edge + up * 2 * size * j + UP * (j + 2) * size for j in range(steps)]
    return a, up, treads, edge - up * 3 * size


@motion("bouncing7", elevation=(15.0, 30.0))
def bouncing_down_stairs(s: Scene) -> None:
    a, up, treads, foot = _stairs(s)
    a.place(treads[-1])
    _hop_through(s, a, treads[-2::-1] + [foot, foot - up * s.u(1.0, 1.5)], s.u(0.8, 1.1), s.u(0, 8),
                 s.last - s.u(8, 16))


@motion("bouncing8", elevation=(15.0, 30.0))
def bouncing_up_stairs(s: Scene) -> None:
    a, _, treads, foot = _stairs(s)
    a.place(foot)
    _hop_through(s, a, treads, s.u(0.7, 1.1), s.u(0, 8), s.last - s.u(8, 16))


# -- checks -----------------------------------------------------------------------------------------

def _turns(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames where the height turns from falling to rising (rebounds) and from rising to falling (apexes)."""
    dz = np.diff(z)
    idx = np.nonzero(np.abs(dz) > 1e-4)[0]
    sgn = np.sign(dz[idx])
    flip = np.nonzero(sgn[1:] != sgn[:-1])[0]
    frames = idx[flip] + 1
    return frames[sgn[flip] < 0], frames[sgn[flip] > 0]


def _still(v: ClipView, i: int) -> bool:
    return float(np.abs(v.pos[i] - v.pos[i, 0]).max()) < 1e-3


def _drift(v: ClipView, i: int) -> float:
    return float(np.linalg.norm(v.pos[i, :, :2] - v.pos[i, 0, :2], axis=1).max())


def _ground_hops(v: ClipView, i: int, min_rebounds: int) -> np.ndarray | None:
    """Apex heights above the ground of an object that rebounds at least ``min_rebounds`` times, always
    from the same level; None otherwise."""
    z = v.pos[i, :, 2]
    rebounds, apexes = _turns(z)
    if len(rebounds) < min_rebounds or float(np.ptp(z[rebounds])) > 0.02 or z.min() < z[rebounds].min() - 0.02:
        return None
    return z[apexes] - z[rebounds].min()


def _settles(v: ClipView, i: int) -> bool:
    """Rebounds at least twice, each lower than the one before, then rests on the ground for the last 8+ frames."""
    h = _ground_hops(v, i, 2)
    z = v.pos[i, :, 2]
    return (h is not None and len(h) >= 2 and bool(np.all(h[1:] < 0.9 * h[:-1]))
            and float(np.abs(v.pos[i, -9:] - v.pos[i, -1]).max()) < 1e-4 and abs(z[-1] - z.min()) < 0.02)


@check("bouncing1")
def bounces_and_settles(v: ClipView) -> bool:
    return v.n == 1 and _settles(v, 0) and _ground_hops(v, 0, 3) is not None and _drift(v, 0) < 1


def _group_drop_heights(v: ClipView) -> np.ndarray | None:
    """How high each of several objects bouncing in place and settling started; None if not that scene."""
    if v.n < 2 or not all(_settles(v, i) and _drift(v, i) < 1 for i in range(v.n)):
        return None
    return np.array([np.ptp(v.pos[i, :, 2]) for i in range(v.n)])


@check("bouncing2")
def group_bounces_similar(v: ClipView) -> bool:
    h = _group_drop_heights(v)
    return h is not None and float(h.max() / h.min()) < 1.35


@check("bouncing3")
def group_bounces_different(v: ClipView) -> bool:
    h = _group_drop_heights(v)
    return h is not None and float(h.max() / h.min()) > 2.5


def _mover(v: ClipView) -> int | None:
    """The one moving object of a scene whose other objects (props) all stay put, if there are props."""
    moving = [i for i in range(v.n) if not _still(v, i)]
    return moving[0] if len(moving) == 1 and v.n > 1 else None


@check("bouncing4")
def bounces_off_wall(v: ClipView) -> bool:
    i = _mover(v)
    if i is None or _ground_hops(v, i, 3) is None:
        return False
    # along one straight line, out and back
    xy = v.pos[i, :, :2] - v.pos[i, :, :2].mean(axis=0)
    axis = np.linalg.svd(xy, full_matrices=False)[2][0]
    along = xy @ axis
    if sign_changes(np.diff(along), eps=1e-4) != 1 or float(np.abs(xy - np.outer(along, axis)).max()) > 0.3:
        return False
    # it turns back where it comes closest to the wall, right against it
    turn = int(np.argmax(np.abs(along - along[0])))
    props = [j for j in range(v.n) if j != i]
    gap = np.linalg.norm(v.pos[i][:, None, :] - v.pos[props][:, 0][None], axis=2).min(axis=1)
    return abs(int(np.argmin(gap)) - turn) <= 2 and float(gap.min()) < 4


@check("bouncing5")
def bounces_forward(v: ClipView) -> bool:
    if v.n != 1 or _ground_hops(v, 0, 3) is None:
        return False
    xy = v.pos[0, :, :2] - v.pos[0, 0, :2]
    chord = xy[-1]
    return (float(np.linalg.norm(chord)) > 6 and monotonic(xy @ chord, increasing=True, tol=1e-6)
            and max_chord_deviation(xy) < 0.3)


@check("bouncing6")
def bounces_forever(v: ClipView) -> bool:
    h = _ground_hops(v, 0, 3) if v.n == 1 else None
    # never pauses: no two consecutive frame steps without motion (a sampled apex can give one)
    still = ~v.moving(0, eps=1e-4)
    return (h is not None and len(h) >= 3 and float(h.min() / h.max()) > 0.85 and _drift(v, 0) < 1
            and not bool((still[1:] & still[:-1]).any()))


def _stair_levels(v: ClipView) -> np.ndarray | None:
    """Heights the single mover stands on (start, each rebound, end) if each raised one is the top of a
    prop it stands on; None otherwise."""
    i = _mover(v)
    if i is None or v.n < 4:  # a flight of steps takes a few props
        return None
    z = v.pos[i, :, 2]
    contacts = np.concatenate([[0], _turns(z)[0], [v.num_frames - 1]])
    props = [j for j in range(v.n) if j != i]
    for c in contacts:
        if z[c] - z[contacts].min() > 0.5:
            below = [j for j in props if np.linalg.norm(v.pos[j, c, :2] - v.pos[i, c, :2]) < v.scale[j, c]
                     and v.pos[j, c, 2] < z[c]]
            if not below:
                return None
    return z[contacts]


def _goes_stairs(v: ClipView, sign: float) -> bool:
    """Three or more distinct standing levels, changing one way (sign +1: up) by 3+ units in all."""
    levels = _stair_levels(v)
    if levels is None:
        return False
    distinct = np.count_nonzero(np.abs(np.diff(levels)) > 0.5) + 1
    return (monotonic(sign * levels, increasing=True, tol=0.02) and distinct >= 3
            and float(sign * (levels[-1] - levels[0])) > 3)


@check("bouncing7")
def bounces_down_stairs(v: ClipView) -> bool:
    return _goes_stairs(v, -1.0)


@check("bouncing8")
def bounces_up_stairs(v: ClipView) -> bool:
    return _goes_stairs(v, 1.0)
