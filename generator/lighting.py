"""The scene lights: the reference's three light positions, one light each (it stacked four types), the
sky, and the ``lighting`` factor's presets."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from synta.generator.clip_spec import LightSpec

# Nominal strengths before the per-clip jitter and presets. Under the Standard view transform a matte
# surface shows albedo x (sky + sun x cos(incidence) / pi): with the sun 45 degrees up these two sum to
# about 1, so an open ground or a backdrop shows its picture at its own brightness, and a shadow, lit by
# the sky alone, half of it in linear light (about 27 % darker on the display).
KEY_ENERGY = 2.2  # the key sun (W/m^2)
SKY_ENERGY = 0.5  # the sky: a uniform, white environment of this radiance
FILL_ENERGY = 1.0  # the fill: a sun shining along the view on the objects only (W/m^2)


def default_lights(rng: np.random.Generator, view: tuple[np.ndarray, np.ndarray], lighting: str = "default",
                   ground: bool = True) -> list[LightSpec]:
    """Key sun, fill, a low rim point light and the sky, with a little per-clip variation, changed by the
    ``lighting`` preset (see ``LIGHTINGS``). The sun casts shadows only when the scene has a ground
    (``ground``): behind the front rig there is a vertical backdrop, where they would be blobs in the sky.

    The fill is a sun shining from the camera (``view``: its position and target) on the objects only, so
    the faces the camera sees are never left to the sky alone and the ground's shadows stay as dark; the
    sky (kind ``WORLD``) is Blender's world background. Energies are Blender units (suns: W/m^2, the point
    light: W). The reference's 12 stacked lights at three positions (docs/reference.md#lights) collapse
    to the key and the rim at two of them. Every preset makes the same draws, so the per-clip jitter is
    the same under every preset.
    """
    if lighting not in LIGHTINGS:
        raise ValueError(f"lighting must be one of {sorted(LIGHTINGS)}, got {lighting!r}")

    def j(x: float) -> float:
        return float(round(x * rng.uniform(0.9, 1.1), 4))

    lights = [
        LightSpec("SUN", [11.0, -6.0, 25.0], [_deg(45.0) + j(0.1) - 0.1, 0.0, j(0.3)], j(KEY_ENERGY),
                  shadow=ground),
        LightSpec("SUN", [0.0, 0.0, 0.0], _aimed(*view), j(FILL_ENERGY), shadow=False,
                  objects_only=True),
        LightSpec("POINT", [-5.0, -40.0, 3.0], [_deg(20.0), 0.0, 0.0], j(600.0)),
        LightSpec("WORLD", [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], SKY_ENERGY, shadow=False),
    ]
    return [LIGHTINGS[lighting](light) for light in lights]


def key_light(lights: list[LightSpec]) -> LightSpec | None:
    """The key sun: the first sun that lights the whole scene (the one whose shadows fall on the ground)."""
    return next((light for light in lights if light.kind == "SUN" and not light.objects_only), None)


def _deg(x: float) -> float:
    return float(round(np.radians(x), 5))


def _aimed(position, target) -> list[float]:
    """XYZ Euler angles (about X, then Z) turning a light's -Z axis from ``position`` towards ``target``."""
    d = np.subtract(target, position, dtype=float)
    d /= np.linalg.norm(d)
    # R_z(c) R_x(a) (0, 0, -1) = (-sin c sin a, cos c sin a, -cos a)
    return [float(round(np.arccos(-d[2]), 5)), 0.0, float(round(np.arctan2(-d[0], d[1]), 5))]


def _tilt_sun(degrees: float) -> Callable[[LightSpec], LightSpec]:
    """Tilt the sun ``degrees`` from vertical (keeping its jittered heading): short or long shadows."""
    def apply(light: LightSpec) -> LightSpec:
        if light.kind != "SUN" or light.objects_only:
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
