"""Changing color (coarse 3): an object keeps changing colour (1), two objects swap colours (2), one
goes from bright to dark (3) or dark to bright (4), one changes colour and returns to it (5).

The colours an object changes to are drawn here, whatever the clip's ``colors`` factor: a fixed
palette cannot supply a changing colour.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from synta.generator.clip_view import ClipView, monotonic
from synta.generator.motions import check, motion
from synta.generator.motions.primitives import Actor, Scene

MIN_CHANGE = 0.4  # RGB distance of every colour change, so each one is plain to see


def _colour_away(s: Scene, away_from: np.ndarray) -> list[float]:
    """A random colour at least MIN_CHANGE from ``away_from``."""
    while True:
        c = [s.u(0.05, 1.0) for _ in range(3)]
        if np.linalg.norm(np.subtract(c, away_from)) >= MIN_CHANGE:
            return c


def _bright(s: Scene) -> list[float]:
    return [s.u(0.55, 1.0) for _ in range(3)]  # Rec. 709 luma >= 0.55


def _dark(s: Scene) -> list[float]:
    return [s.u(0.02, 0.2) for _ in range(3)]  # luma <= 0.2


def _actor(s: Scene, **kw: Any) -> Actor:
    return s.obj(material="metallic", **kw)


@motion("changing_color1")
def changing_color_keeps(s: Scene) -> None:
    # a new colour every ~20 frames, blended key to key (reference: keys at f 1, 21, ..., 101)
    a, step = _actor(s), s.u(16, 24)
    f = s.u(0, 5)
    while f + step <= s.last:
        a.recolor(_colour_away(s, a.color[s.frame(f)]), f, f + step, "smooth")
        f += step


@motion("changing_color2")
def changing_color_swap(s: Scene) -> None:
    off = s.right * s.u(2.0, 3.0) + s.toward_camera * s.u(-1.5, 1.5)
    a, b = _actor(s, at=(off[0], off[1], None)), _actor(s, at=(-off[0], -off[1], None))
    if np.linalg.norm(a.color[0] - b.color[0]) < MIN_CHANGE:
        b.recolor(_colour_away(s, a.color[0]), 0, 0)
    ca, cb = a.color[0].copy(), b.color[0].copy()
    f0, f1 = s.u(0, 10), s.u(75, 100)  # reference: f 1→90, then hold
    a.recolor(cb, f0, f1, "smooth")
    b.recolor(ca, f0, f1, "smooth")


@motion("changing_color3")
def changing_color_darker(s: Scene) -> None:
    _actor(s, color=_bright(s)).recolor(_dark(s), s.u(0, 20), s.last - s.u(5, 25))


@motion("changing_color4")
def changing_color_brighter(s: Scene) -> None:
    _actor(s, color=_dark(s)).recolor(_bright(s), s.u(0, 20), s.last - s.u(5, 25))


@motion("changing_color5")
def changing_color_and_back(s: Scene) -> None:
    a = _actor(s)
    home, f0, d = a.color[0].copy(), s.u(5, 20), s.u(20, 30)
    back = f0 + d + s.u(15, 30)  # hold the new colour a while before returning
    a.recolor(_colour_away(s, home), f0, f0 + d, "smooth").recolor(home, back, back + d, "smooth")


def _changes(c: np.ndarray, min_change: float = 0.1) -> list[tuple[np.ndarray, np.ndarray]]:
    """The colour changes of a track ``(T, 3)``: (from, to) of each stretch over which the colour
    moves steadily in one RGB direction, ignoring those that change it by less than ``min_change``."""
    d = np.diff(c, axis=0)
    size = np.linalg.norm(d, axis=1)
    moving = size > 1e-5
    unit = d / np.maximum(size, 1e-12)[:, None]
    turns = np.einsum("ij,ij->i", unit[1:], unit[:-1]) < 0.9
    cont = np.concatenate([[False], moving[:-1] & ~turns])
    leg = np.cumsum(moving & ~cont)  # stretch number of every frame step
    out = []
    for k in np.unique(leg[moving]):
        steps = np.nonzero(moving & (leg == k))[0]
        a, b = c[steps[0]], c[steps[-1] + 1]
        if np.linalg.norm(b - a) >= min_change:
            out.append((a, b))
    return out


def _lone_changes(v: ClipView) -> list[tuple[np.ndarray, np.ndarray]] | None:
    return _changes(v.color[0]) if v.n == 1 else None


@check("changing_color1")
def keeps_changing(v: ClipView) -> bool:
    ch = _lone_changes(v)
    return ch is not None and len(ch) >= 3


@check("changing_color2")
def swap_colours(v: ClipView) -> bool:
    if v.n != 2:
        return False
    a, b = v.color[0], v.color[1]
    return bool(np.linalg.norm(a[0] - b[0]) >= 0.3 and np.linalg.norm(a[-1] - b[0]) < 0.02
                and np.linalg.norm(b[-1] - a[0]) < 0.02 and len(_changes(a)) == len(_changes(b)) == 1)


def _one_luma_change(v: ClipView, brighter: bool) -> bool:
    """A single colour change from a bright (luma >= 0.5) to a dark (<= 0.25) colour, or back."""
    ch = _lone_changes(v)
    if ch is None or len(ch) != 1:
        return False
    y = v.luminance(0)
    dark, bright = (y[0], y[-1]) if brighter else (y[-1], y[0])
    return bool(bright >= 0.5 and dark <= 0.25 and monotonic(y, increasing=brighter))


@check("changing_color3")
def bright_to_dark(v: ClipView) -> bool:
    return _one_luma_change(v, brighter=False)


@check("changing_color4")
def dark_to_bright(v: ClipView) -> bool:
    return _one_luma_change(v, brighter=True)


@check("changing_color5")
def changes_and_returns(v: ClipView) -> bool:
    ch = _lone_changes(v)
    if ch is None or len(ch) != 2:
        return False
    c = v.color[0]
    return bool(np.linalg.norm(c[-1] - c[0]) < 0.02 and np.linalg.norm(ch[0][1] - c[0]) >= 0.3)
