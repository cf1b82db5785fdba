"""The scene lights: the reference's three light positions, one light each (it stacked four types), and
the ``lighting`` factor's presets."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from synta.generator.clip_spec import LightSpec

KEY_ENERGY = 1.2  # the key sun's nominal strength (W/m^2) before the per-clip jitter and presets


def default_lights(rng: np.random.Generator, lighting: str = "default", ground: bool = True) -> list[LightSpec]:
    """Key sun, fill area light and a low rim point light, with a little per-clip variation, changed by
    the ``lighting`` preset (see ``LIGHTINGS``). The sun casts shadows only when the scene has a ground
    (``ground``): behind the front rig there is a vertical backdrop, where they would be blobs in the sky.

    Energies are Blender units (sun: W/m^2, others: W); the reference's 12 stacked lights at the same
    three positions (docs/reference.md#lights) collapse to these three. Every preset makes the same draws,
    so the per-clip jitter is the same under every preset.
    """
    if lighting not in LIGHTINGS:
        raise ValueError(f"lighting must be one of {sorted(LIGHTINGS)}, got {lighting!r}")

    def j(x: float) -> float:
        return float(round(x * rng.uniform(0.9, 1.1), 4))

    lights = [
        LightSpec("SUN", [11.0, -6.0, 25.0], [_deg(45.0) + j(0.1) - 0.1, 0.0, j(0.3)], j(KEY_ENERGY),
                  shadow=ground),
        LightSpec("AREA", [-10.0, 3.0, 6.0], [_deg(45.0), 0.0, 0.0], j(40.0)),
        LightSpec("POINT", [-5.0, -40.0, 3.0], [_deg(20.0), 0.0, 0.0], j(600.0)),
    ]
    return [LIGHTINGS[lighting](light) for light in lights]


def _deg(x: float) -> float:
    return float(round(np.radians(x), 5))


def _tilt_sun(degrees: float) -> Callable[[LightSpec], LightSpec]:
    """Tilt the sun ``degrees`` from vertical (keeping its jittered heading): short or long shadows."""
    def apply(light: LightSpec) -> LightSpec:
        if light.kind != "SUN":
            return light
        return replace(light, rotation=[_deg(degrees), light.rotation[1], light.rotation[2]])
    return apply


# Presets of the ``lighting`` factor. They show in Cycles and EEVEE; Workbench lights objects with its
# studio light but aims its cast shadows like the key sun, so "overhead" and "low" change its pixels too.
# The presets Workbench shows: only the shadow direction reaches its pixels, not energy or colour.
WORKBENCH_LIGHTINGS = ("default", "overhead", "low")
LIGHTINGS: dict[str, Callable[[LightSpec], LightSpec]] = {
    "default": lambda light: light,
    "overhead": _tilt_sun(5.0),  # noon sun: shadows right under the objects
    "low": _tilt_sun(72.0),  # evening sun: long shadows across the ground
    "dim": lambda light: replace(light, energy=round(light.energy * 0.3, 4)),
    "warm": lambda light: replace(light, color=[1.0, 0.75, 0.5]),
}
