"""The look measures of generator/render/look.py against hand-worked values."""
import numpy as np
import pytest

from synta.generator.render.look import linear, luma, shown_luma, srgb


def test_srgb_and_linear_are_inverse_and_hit_the_standard_points():
    assert srgb(np.array([0.0, 0.0031308, 0.18, 1.0])) == pytest.approx([0.0, 0.04045, 0.4614, 1.0], abs=1e-4)
    x = np.linspace(0, 1, 101)
    assert linear(srgb(x)) == pytest.approx(x, abs=1e-12)


def test_a_sparse_bright_pattern_shows_brighter_than_its_encoded_mean():
    stars = np.zeros((400, 400, 3))
    stars[::10, ::10] = 1.0  # 1 % white pixels
    assert float(luma(stars).mean()) == pytest.approx(0.01)
    # shown 40 px wide: each output pixel averages 10 x 10 image pixels, one white: linear 0.01 -> sRGB 0.0998
    assert shown_luma(stars, (40, 40)) == pytest.approx(float(srgb(0.01)), abs=1e-9)
    assert shown_luma(stars, (400, 400)) == pytest.approx(0.01)  # one image pixel per output pixel


def test_a_flat_image_shows_at_its_own_luma():
    grey = np.full((90, 160, 3), 0.5)
    assert shown_luma(grey, (16, 9)) == pytest.approx(0.5)
