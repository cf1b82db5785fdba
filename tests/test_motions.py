"""Every fine class: deterministic specs, its semantic check passes on its own clips (20 seeds x both
cameras), fails on its siblings' clips, and objects stay in frame while they must be seen."""
from __future__ import annotations

import numpy as np
import pytest

from synta.generator import load_taxonomy, sample_clip
from synta.generator.motions import CHECKS, MOTIONS
from tests.conftest import CAMERAS

FINE = [f.name for f in load_taxonomy().fine]


def test_every_fine_class_has_a_program_and_a_check():
    assert sorted(MOTIONS) == sorted(FINE)
    assert sorted(CHECKS) == sorted(FINE)


@pytest.mark.parametrize("fine", FINE)
def test_sampling_is_deterministic(fine):
    for seed in (0, 7):
        for camera in CAMERAS:
            a = sample_clip(fine, 3, seed=seed, camera=camera).to_dict()
            assert a == sample_clip(fine, 3, seed=seed, camera=camera).to_dict()
    assert a != sample_clip(fine, 4, seed=7, camera="front").to_dict()


@pytest.mark.parametrize("camera", CAMERAS)
@pytest.mark.parametrize("fine", FINE)
def test_check_passes_on_own_clips(fine, camera, clip_views):
    results = [CHECKS[fine](v) for v in clip_views(fine, camera)]
    assert all(results), f"{fine}/{camera}: check failed for seeds {[s for s, ok in enumerate(results) if not ok]}"


@pytest.mark.parametrize("camera", CAMERAS)
@pytest.mark.parametrize("fine", FINE)
def test_objects_stay_in_frame(fine, camera, clip_views):
    for seed, v in enumerate(clip_views(fine, camera)):
        needed = v.exists & (v.opacity >= 0.5)
        assert v.in_frame[needed].all(), f"{fine}/{camera} seed {seed}: an object leaves the frame"


@pytest.mark.parametrize("fine", FINE)
def test_check_fails_on_sibling_classes(fine, clip_views):
    me = load_taxonomy().fine_class(fine)
    siblings = [f.name for f in load_taxonomy().children(me.coarse) if f.name != fine]
    for other in siblings:
        for camera in CAMERAS:
            passed = [s for s, v in enumerate(clip_views(other, camera)) if CHECKS[fine](v)]
            assert not passed, f"{fine}'s check accepts {other}/{camera} clips (seeds {passed})"


def test_clips_vary_within_a_class():
    specs = [sample_clip("rising1", k, seed=0) for k in range(1, 9)]
    assert len({s.objects[0].shape for s in specs}) > 1
    assert len({tuple(np.round(s.camera.position, 2)) for s in specs}) == len(specs)
