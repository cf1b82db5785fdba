"""Following (coarse 10): a follower travels along the path its leader has just taken, a little behind.

Fine variants: 1 one follower the whole time, straight line; 2 it follows for a while, then turns off onto
a path of its own; 3 several followers in a column, straight line; 4 one follower the whole time along a
winding path; 5 it comes in on a path of its own at first and only later falls in behind the leader.

A follower ``lag`` frames behind is where the leader was ``lag`` frames ago. Before the leader has
moved that long, the follower comes up the line the leader starts on, so it is behind from frame 0.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView, max_chord_deviation, sign_changes
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene, ground, turn

ELEVATION = (17.0, 39.0)  # the reference's R 50, z 15-40 orbit camera
ON_TRAIL = 0.3  # ground distance to the leader's track within which an object is on it
OFF_TRAIL = 2.0  # ground distance from the leader's track beyond which it clearly is not


def _straight_leader(s: Scene, length: float, ahead: float = 0.0) -> Actor:
    """A leader crossing the scene in a straight line at constant speed for the whole clip, within 60
    degrees of screen-horizontal; ``ahead`` shifts the line forward to centre a column behind it."""
    d = s.heading()
    start = np.array([s.u(-1, 1), s.u(-1, 1), 0.0]) + d * (ahead - length / 2)
    return s.obj(at=ground(start), role="leader").move(ground(start + d * length), 0, s.last, "linear")


def _lag(leader: Actor, gap: float) -> int:
    """Frames the leader needs to cover ``gap`` units at its starting speed."""
    return round(gap / np.linalg.norm(leader.position[1] - leader.position[0]))


def _trace(f: Actor, leader: Actor, f0: float, f1: float, lag: int) -> Actor:
    """``f`` where ``leader`` was ``lag`` frames earlier, from f0 to f1, resting on the ground whatever
    the two shapes."""
    return f.follow(leader, f0, f1, lag, (0.0, 0.0, f.rest_z - leader.rest_z))


def _follower(s: Scene, leader: Actor, lag: int, until: float | None = None) -> Actor:
    """An object ``lag`` frames behind ``leader`` from frame 0 (to ``until``, default the end)."""
    v = leader.position[1] - leader.position[0]
    f = s.obj(at=ground(leader.at(0) - v * lag), role="follower")
    return _trace(f.move(ground(leader.at(0)), 0, lag, "linear"), leader, lag, until or s.last, lag)


@motion("following1", elevation=ELEVATION)
def following_straight(s: Scene) -> None:
    leader = _straight_leader(s, s.u(12, 15))
    _follower(s, leader, _lag(leader, s.u(2.8, 3.4)))


@motion("following2", elevation=ELEVATION)
def following_then_own_path(s: Scene) -> None:
    leader = _straight_leader(s, s.u(12, 15))
    split = s.u(50, 65)
    f = _follower(s, leader, _lag(leader, s.u(2.8, 3.4)), until=split)
    # off at 50-80 degrees to the leader's line, at the same speed
    v = leader.position[1] - leader.position[0]
    f.move(ground(f.at(split) + turn(v, s.sign() * s.u(50, 80)) * (s.last - split)), split, s.last,
           "linear")


@motion("following3", elevation=ELEVATION)
def many_following(s: Scene) -> None:
    n, gap = s.pick((2, 3)), s.u(2.8, 3.2)
    leader = _straight_leader(s, s.u(10, 12), ahead=n * gap / 2)
    for k in range(1, n + 1):
        _follower(s, leader, _lag(leader, k * gap))


@motion("following4", elevation=ELEVATION)
def following_winding(s: Scene) -> None:
    # a sine-shaped path, one to one and a half waves, with bends gentle enough that the follower keeps
    # its distance through them
    d = s.heading(45)
    length, amp, waves = s.u(12, 14), s.u(1.8, 2.4), s.u(1.0, 1.5)
    x = np.linspace(0, 1, 40)
    start = np.array([s.u(-1, 1), s.u(-1, 1), 0.0]) - d * length / 2
    pts = start + np.outer(x * length, d) + np.outer(amp * np.sin(2 * np.pi * waves * x), turn(d, 90))
    leader = s.obj(at=ground(pts[0]), role="leader").path([ground(p) for p in pts[1:]], 0, s.last)
    _follower(s, leader, _lag(leader, s.u(3.5, 4.0)))


@motion("following5", elevation=ELEVATION)
def following_later(s: Scene) -> None:
    leader = _straight_leader(s, s.u(12, 15))
    lag, join = _lag(leader, s.u(3.4, 3.8)), s.u(45, 60)
    v = leader.position[1] - leader.position[0]
    meet = leader.position[s.frame(join) - lag]
    # at first it heads across the leader's line at the leader's speed, then falls in behind; at an
    # angle a it comes within cos(a/2) of the following distance of the leader while converging
    f = s.obj(at=ground(meet - turn(v, s.sign() * s.u(45, 65)) * join), role="follower")
    _trace(f.move(ground(meet), 0, join, "linear"), leader, join, s.last, lag)


# -- checks ---------------------------------------------------------------------------------------

def _trail_distance(v: ClipView, f: int, leader: int) -> np.ndarray:
    """Per frame, the ground distance of object ``f`` to the track the leader has covered so far,
    the track extended back along the leader's first heading (where a follower comes up behind)."""
    lp, fp = v.pos[leader, :, :2], v.pos[f, :, :2]
    step = lp[1] - lp[0]
    back = lp[0] - np.outer(np.linspace(15, 0, 151), step / max(np.linalg.norm(step), 1e-9))
    track = np.concatenate([back, lp])
    dist = np.linalg.norm(fp[:, None] - track[None], axis=2)
    seen = np.arange(len(track))[None] <= len(back) + np.arange(len(fp))[:, None]  # up to frame t
    return np.where(seen, dist, np.inf).min(axis=1)


def _following(v: ClipView, f: int, leader: int) -> np.ndarray:
    """Frames ``(T,)`` in which ``f`` is on the leader's past track, moving, and behind the leader at a
    distance (not on top of it, not left far behind)."""
    gap = np.linalg.norm(v.pos[f, :, :2] - v.pos[leader, :, :2], axis=1)
    moving = np.append(v.moving(f), v.moving(f)[-1])
    return (_trail_distance(v, f, leader) < ON_TRAIL) & moving & (gap > 2.0) & (gap < 12.0)


def _cast(v: ClipView, followers: int) -> tuple[int, list[int]] | None:
    """(leader, followers) if the clip has one moving leader and ``followers`` followers (or at least
    that many for a negative count)."""
    lead, fol = v.of("leader"), v.of("follower")
    ok = len(fol) >= -followers if followers < 0 else len(fol) == followers
    if len(lead) != 1 or not ok or v.n != 1 + len(fol) or v.moving(lead[0]).mean() < 0.9:
        return None
    return lead[0], fol


def _straight(v: ClipView, i: int) -> bool:
    return max_chord_deviation(v.pos[i, :, :2]) < 0.3


@check("following1")
def follows_straight(v: ClipView) -> bool:
    c = _cast(v, 1)
    return c is not None and _straight(v, c[0]) and bool(_following(v, c[1][0], c[0]).all())


@check("following2")
def follows_then_turns_off(v: ClipView) -> bool:
    """Follows from the start for at least 30 frames, then ends well off the leader's track."""
    c = _cast(v, 1)
    if c is None or not _straight(v, c[0]):
        return False
    (leader, (f,)) = c
    following = _following(v, f, leader)
    return bool(following[:30].all() and _trail_distance(v, f, leader)[-1] > OFF_TRAIL)


@check("following3")
def many_follow_straight(v: ClipView) -> bool:
    c = _cast(v, -2)
    return c is not None and _straight(v, c[0]) and all(_following(v, f, c[0]).all() for f in c[1])


@check("following4")
def follows_winding(v: ClipView) -> bool:
    """Follows the whole time along a leader's path that bends one way and then the other."""
    c = _cast(v, 1)
    if c is None or not _following(v, c[1][0], c[0]).all():
        return False
    p = v.pos[c[0], :, :2]
    chord = (p[-1] - p[0]) / np.linalg.norm(p[-1] - p[0])
    side = (p - p[0]) @ np.array([-chord[1], chord[0]])
    return max_chord_deviation(p) > 1.0 and sign_changes(np.diff(side), eps=1e-4) >= 2


@check("following5")
def starts_following_later(v: ClipView) -> bool:
    """Starts well off the leader's track and follows it for at least the last 30 frames."""
    c = _cast(v, 1)
    if c is None or not _straight(v, c[0]):
        return False
    (leader, (f,)) = c
    return bool(_trail_distance(v, f, leader)[0] > OFF_TRAIL and _following(v, f, leader)[-30:].all())
