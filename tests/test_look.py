"""The look measures of generator/render/look.py against hand-worked values."""
import numpy as np
import pytest

from synta.generator import sample_clip
from synta.generator.render.look import background_reference, linear, luma, measure_clip, sample_filtered, srgb


def test_srgb_and_linear_are_inverse_and_hit_the_standard_points():
    assert srgb(np.array([0.0, 0.0031308, 0.18, 1.0])) == pytest.approx([0.0, 0.04045, 0.4614, 1.0], abs=1e-4)
    x = np.linspace(0, 1, 101)
    assert linear(srgb(x)) == pytest.approx(x, abs=1e-12)


def test_a_minified_sparse_pattern_shows_its_linear_mean():
    stars = np.zeros((256, 256, 3))
    stars[::8, ::8] = 1.0  # one white texel in every 8 x 8 block
    uv = np.array([[0.0, 1.0], [0.3, 0.6], [0.9, 0.1]])
    # a footprint of 8 texels reads mip level 3, the 8 x 8 block means: 1/64 in linear light everywhere
    assert sample_filtered(stars, uv, np.full(3, 8.0)) == pytest.approx(np.full((3, 3), 1 / 64))
    assert sample_filtered(stars, uv, np.full(3, 6.0)) == pytest.approx(np.full((3, 3), 1 / 64))  # rounds to 3
    # one texel per pixel reads the image itself: UV (0, 1) is the top-left texel, a white one
    assert sample_filtered(stars, uv[:1], np.ones(1)) == pytest.approx(np.ones((1, 3)))


def test_a_plain_background_should_show_its_colour_everywhere():
    spec = sample_clip("rising1", 1, resolution=(32, 18))
    ref = background_reference(spec)
    assert ref.shape == (18, 32) and ref == pytest.approx(np.full((18, 32), float(luma(srgb(spec.background.color)))))


def test_the_front_backdrop_shows_the_image_centred():
    spec = sample_clip("rising1", 1, camera="front", background="realistic", resolution=(64, 36))
    grey = np.full((90, 160, 3), 0.5)
    assert background_reference(spec, grey, "x") == pytest.approx(np.full((36, 64), 0.5))
    halves = np.zeros((90, 160, 3))
    halves[:, 80:] = 1.0  # black left half, white right half
    ref = background_reference(spec, halves, "x")
    assert ref[:, :30] == pytest.approx(0.0) and ref[:, 34:] == pytest.approx(1.0)


def test_a_ground_seen_to_its_horizon_should_show_ground_then_sky():
    spec = sample_clip("occlusion3", 1, resolution=(114, 64))  # looks past the horizon (test_render.py)
    scene = np.zeros((90, 160, 3))
    scene[:54], scene[54:] = np.array([60, 90, 200]) / 255, np.array([60, 160, 40]) / 255  # ground share 0.4
    ref = background_reference(spec, scene, "x")
    assert not np.isnan(ref).any()
    assert ref[0] == pytest.approx(float(luma(scene[0, 0])), abs=1e-6)  # sky
    assert ref[-1] == pytest.approx(float(luma(scene[-1, 0])), abs=1e-6)  # ground


def test_a_band_across_the_top_of_the_frame_is_a_step():
    spec = sample_clip("occlusion3", 1, resolution=(114, 64), frames=2)
    video = np.full((2, 64, 114, 3), 180, dtype=np.uint8)
    video[:, :8] = 230  # the top eighth of the rows shows the unlit world colour
    look = measure_clip(spec, video, np.full((64, 114), 230 / 255))
    assert look.top_step == pytest.approx([1 - 180 / 230] * 2)
    assert measure_clip(spec, np.full_like(video, 180), np.full((64, 114), 230 / 255)).top_step == pytest.approx([0, 0])


def test_only_opaque_objects_shadows_are_measured():
    spec = sample_clip("appearing1", 1, resolution=(228, 128), frames=8)  # the cube fades in over the clip
    assert [round(float(o), 2) for o in spec.objects[0].opacity] == [0.0, 0.13, 0.3, 0.46, 0.62, 0.78, 0.94, 1.0]
    look = measure_clip(spec, np.full((8, 128, 228, 3), 180, np.uint8), np.full((128, 228), 180 / 255))
    assert look.shadow_darkness == [0.0]  # the last frame only; flat ground: no darker in the shadow
