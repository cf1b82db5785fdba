"""Shared fixtures: sidecars of every fine class over many seeds, computed once per session."""
from __future__ import annotations

from functools import cache

import pytest

from synta.generator import sample_clip, sidecar
from synta.generator.clip_view import ClipView

SEEDS = range(20)
CAMERAS = ("orbit", "front")


@cache
def views(fine: str, camera: str) -> tuple[ClipView, ...]:
    """ClipViews of ``fine`` for 20 seeds with one camera (clip id 1)."""
    return tuple(ClipView(sidecar(sample_clip(fine, 1, seed=s, camera=camera))) for s in SEEDS)


@pytest.fixture(scope="session")
def clip_views():
    return views
