"""Motion programs, one per fine class, grouped in one module per coarse class (``rising.py`` ...).

Each module registers its programs with :func:`motion` and a semantic check per class with
:func:`check`. A program is a short function of a :class:`~synta.generator.motions.primitives.Scene`
that adds objects and animates them with the shared primitives; a check is a predicate over the
clip's annotations (:class:`~synta.generator.clip_view.ClipView`) that holds exactly when the clip
shows that fine motion.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from synta.generator.clip_view import ClipView
from synta.generator.motions.primitives import Scene


@dataclass(frozen=True)
class Motion:
    """A registered fine-class motion program and how the orbit camera frames it."""

    name: str
    program: Callable[[Scene], None]
    rig: str  # orbit-camera rig: "orbit" or "occlusion"; the front camera always uses the front rig
    elevation: tuple[float, float]  # orbit-rig camera elevation range, degrees


MOTIONS: dict[str, Motion] = {}
CHECKS: dict[str, Callable[[ClipView], bool]] = {}


def motion(name: str, *, rig: str = "orbit", elevation: tuple[float, float] = (22.0, 40.0)):
    """Register ``fn(scene)`` as the motion program of fine class ``name`` (e.g. ``"rising1"``)."""
    def register(fn: Callable[[Scene], None]) -> Callable[[Scene], None]:
        if name in MOTIONS:
            raise ValueError(f"motion {name!r} registered twice")
        MOTIONS[name] = Motion(name, fn, rig, elevation)
        return fn
    return register


def check(name: str):
    """Register ``fn(view) -> bool`` as the semantic check of fine class ``name``."""
    def register(fn: Callable[[ClipView], bool]) -> Callable[[ClipView], bool]:
        if name in CHECKS:
            raise ValueError(f"check {name!r} registered twice")
        CHECKS[name] = fn
        return fn
    return register


for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module != "primitives":
        importlib.import_module(f"{__name__}.{_module}")
