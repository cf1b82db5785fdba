"""Disappearing (coarse 7): objects fade out by decreasing opacity — a single object (1), several at
once (2), several one by one (3), some of several while the others remain (4). Mirrors appearing."""
from __future__ import annotations

from synta.generator.clip_view import ClipView
from synta.generator.motions import check, motion
from synta.generator.motions.appearing import fades, one_by_one, ring, ring_objects, staggered, steady, together
from synta.generator.motions.primitives import Scene


@motion("disappearing1")
def disappearing_single(s: Scene) -> None:
    s.obj(material="metallic").fade(0.0, s.u(0, 10), s.last - s.u(8, 25))


@motion("disappearing2")
def disappearing_together(s: Scene) -> None:
    f0, f1 = s.u(10, 35), s.last - s.u(0, 15)
    for a in ring_objects(s, s.pick((3, 4, 5))):
        a.fade(0.0, f0, f1)


@motion("disappearing3", elevation=(30.0, 50.0))
def disappearing_one_by_one(s: Scene) -> None:
    n = s.pick((3, 4, 5))
    for a, (f0, f1) in zip(ring_objects(s, n), staggered(s, n)):
        a.fade(0.0, f0, f1)


@motion("disappearing4")
def disappearing_some(s: Scene) -> None:
    n = s.pick((4, 5))
    gone = set(s.rng.permutation(n)[: s.pick(range(2, n - 1))].tolist())
    f0, f1 = s.u(10, 30), s.last - s.u(10, 35)
    for k, p in enumerate(ring(s, n, s.u(4.0, 5.5))):
        a = s.obj(at=p, material="metallic", role="actor" if k in gone else "static")
        if k in gone:
            a.fade(0.0, f0, f1)


@check("disappearing1")
def disappears_single(v: ClipView) -> bool:
    return v.n == 1 and fades(v, 0, appear=False)


@check("disappearing2")
def disappear_together(v: ClipView) -> bool:
    idx = list(range(v.n))
    return all(fades(v, i, appear=False) for i in idx) and together(v, idx)


@check("disappearing3")
def disappear_one_by_one(v: ClipView) -> bool:
    idx = list(range(v.n))
    return all(fades(v, i, appear=False) for i in idx) and one_by_one(v, idx)


@check("disappearing4")
def disappear_some(v: ClipView) -> bool:
    gone = [i for i in range(v.n) if fades(v, i, appear=False)]
    kept = [i for i in range(v.n) if steady(v, i)]
    return len(gone) >= 1 and len(kept) >= 1 and len(gone) + len(kept) == v.n
