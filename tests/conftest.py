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


@pytest.fixture(scope="session")
def tiny_synta(tmp_path_factory):
    """A tiny rendered Syn-TA (rising, falling, orbiting: one fine class of each per set; 2 train and 2 val
    clips per class, orbit camera, 64 px), rendered once per session through the CLI."""
    import subprocess
    import sys
    from pathlib import Path

    out = tmp_path_factory.mktemp("tiny_synta") / "data"
    cmd = [str(Path(sys.executable).with_name("synta")), "render", "--n", "24", "--camera", "orbit",
           "--classes", "rising1,rising3,falling1,falling3,orbiting1,orbiting2", "--resolution", "64",
           "--background", "plain", "--workers", "2", "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    return out


@pytest.fixture
def one_thread():
    """One intra-op torch thread for the test: on a shared 2-core machine more threads stall each other
    (model steps 10-100x slower)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
