"""Semantic checks: one predicate per fine class over a clip's sidecar, true exactly when the clip
shows that fine motion. The predicates live beside their motion programs (``motions/<coarse>.py``)."""
from __future__ import annotations

from typing import Any

from synta.generator.clip_view import ClipView
from synta.generator.motions import CHECKS


def check(sidecar: dict[str, Any], fine: str | None = None) -> bool:
    """Does the clip described by ``sidecar`` show fine class ``fine`` (default: its own class)?"""
    name = fine or sidecar["fine"]["name"]
    return bool(CHECKS[name](ClipView(sidecar)))


def in_frame(sidecar: dict[str, Any], min_opacity: float = 0.5) -> bool:
    """Is every object wholly inside the image in every frame where it exists with at least
    ``min_opacity`` (i.e. whenever the class needs it seen)?"""
    v = ClipView(sidecar)
    needed = v.exists & (v.opacity >= min_opacity)
    return bool(v.in_frame[needed].all())
