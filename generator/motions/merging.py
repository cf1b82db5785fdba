"""Merging (coarse 11): objects meet and become one; the absorbed ones stop existing where they meet.

Fine variants: 1 two objects approach each other and merge into one of the same size; 2 a faster
object catches up with a slower one going the same way and merges into it; 3 several objects merge
into one big object; 4 several objects merge group-wise into several big objects.
"""
from __future__ import annotations

import numpy as np

from synta.generator.clip_view import ClipView
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene


def _twins(s: Scene, points: list[tuple]) -> list[Actor]:
    """Objects of one shape, colour and size (the reference gives merging pairs a shared colour); the
    first is the one that survives the merge."""
    first = s.obj(at=points[0])
    return [first] + [s.obj(at=p, shape=first.shape, color=first.color[0], scale=float(first.scale[0]),
                            role="absorbed") for p in points[1:]]


def _merge_group(s: Scene, centre: np.ndarray, n: int, radius: float, f0: float, f1: float) -> None:
    """``n`` twins spread around ``centre`` converge on it by f1, merge and grow into one big object."""
    angle0 = s.u(0, 2 * np.pi)
    angles = angle0 + 2 * np.pi * (np.arange(n) + np.array([s.u(-0.1, 0.1) for _ in range(n)])) / n
    starts = centre + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    group = _twins(s, [(x, y, None) for x, y in starts])
    for a in group:
        a.move((centre[0], centre[1], None), f0, f1)
    for a in group[1:]:
        a.vanish_at(f1)
    # sqrt(n): the merged object's picture has about the members' combined area
    group[0].grow(float(group[0].scale[0]) * np.sqrt(n), f1, f1 + s.u(12, 18))


@motion("merging1")
def merge_head_on(s: Scene) -> None:
    # reference: same-type, same-colour objects at x = +-4 meet at the midpoint, f 1 -> 60
    half, depth = s.u(3.5, 5), s.u(-1, 1)
    a, b = _twins(s, [s.screen(-half, depth), s.screen(half, depth)])
    meet = s.u(40, 50)
    for obj in (a, b):
        obj.move(s.screen(0, depth), s.u(0, 6), meet)
    b.vanish_at(meet)


@motion("merging2")
def merge_catching_up(s: Scene) -> None:
    way, depth = s.sign(), s.u(-1, 1)  # screen-right or screen-left
    gap, slow_travel, meet = s.u(5, 7), s.u(5, 7), s.u(50, 62)
    start = -(gap + slow_travel) / 2  # centres the whole run on the origin
    slow, fast = _twins(s, [s.screen(way * (start + gap), depth), s.screen(way * start, depth)])
    slow.move(s.screen(way * (start + gap + slow_travel), depth), 0, s.last, "linear")
    fast.move(tuple(slow.at(meet)), 0, meet, "linear")
    fast.vanish_at(meet)


@motion("merging3")
def merge_into_one_big(s: Scene) -> None:
    _merge_group(s, np.zeros(2), s.pick((3, 4)), s.u(4, 5), s.u(0, 6), s.u(45, 55))


@motion("merging4")
def merge_into_several_big(s: Scene) -> None:
    half = s.u(4.5, 5.5)
    f0, f1 = s.u(0, 6), s.u(45, 55)
    for side in (-1, 1):
        _merge_group(s, np.asarray(s.screen(side * half)[:2]), s.pick((2, 3)), s.u(2.5, 3), f0, f1)


# -- checks ---------------------------------------------------------------------------------------

def _merges(v: ClipView) -> tuple[list[int], dict[int, tuple[int, int]]] | None:
    """(survivors, {absorbed: (survivor it merged into, frame it ceased)}) when every object exists
    from the start, the survivors to the end, and each other object stops existing for good right
    where a survivor is, having started at least 3 units from it; else None."""
    if v.n < 2 or not v.exists[:, 0].all():
        return None
    survivors = [i for i in range(v.n) if v.exists[i].all()]
    merged: dict[int, tuple[int, int]] = {}
    for i in [k for k in range(v.n) if k not in survivors]:
        end = int(np.argmin(v.exists[i]))
        if v.exists[i, end:].any():
            return None
        last = v.pos[:, end - 1]
        near = [j for j in survivors if np.linalg.norm(last[i] - last[j]) < 0.25
                and np.linalg.norm(v.pos[i, 0] - v.pos[j, 0]) > 3]
        if not near:
            return None
        merged[i] = (near[0], end)
    if not survivors or not merged or not all(v.visible[j, -1] for j in survivors):
        return None
    return survivors, merged


def _growth(v: ClipView, i: int) -> float:
    return float(v.scale[i, -1] / v.scale[i, 0])


def _pair(v: ClipView) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """For two objects merging into one of about the same size: the survivor's and the absorbed
    object's displacements up to the merge, and the initial offset from the survivor to the other."""
    r = _merges(v)
    if v.n != 2 or r is None:
        return None
    (o,), merged = r
    (a, (_, end)), = merged.items()
    if not 0.8 < _growth(v, o) < 1.25:
        return None
    return v.pos[o, end - 1] - v.pos[o, 0], v.pos[a, end - 1] - v.pos[a, 0], v.pos[a, 0] - v.pos[o, 0]


@check("merging1")
def merges_head_on(v: ClipView) -> bool:
    p = _pair(v)
    if p is None:
        return False
    d_o, d_a, sep = p
    u = sep / np.linalg.norm(sep)
    return float(d_o @ u) > 1 and float(-d_a @ u) > 1  # each went at least 1 unit towards the other


@check("merging2")
def merges_catching_up(v: ClipView) -> bool:
    p = _pair(v)
    if p is None:
        return False
    d_o, d_a, _ = p
    lo, hi = sorted((float(np.linalg.norm(d_o)), float(np.linalg.norm(d_a))))
    cos = float(d_o @ d_a) / max(lo * hi, 1e-9)
    return lo > 1 and hi > 1.5 * lo and cos > 0.9


def _grows_from_groups(v: ClipView) -> list[int] | None:
    """Survivors, when each absorbed at least one object and ends at least 1.3 times its size."""
    r = _merges(v)
    if r is None:
        return None
    survivors, merged = r
    partners = {j for j, _ in merged.values()}
    ok = partners == set(survivors) and all(_growth(v, j) >= 1.3 for j in survivors)
    return survivors if ok else None


@check("merging3")
def merges_into_one_big(v: ClipView) -> bool:
    s = _grows_from_groups(v)
    return s is not None and len(s) == 1 and v.n >= 3


@check("merging4")
def merges_into_several_big(v: ClipView) -> bool:
    s = _grows_from_groups(v)
    return s is not None and len(s) >= 2
