"""The scene lights: the reference's three light positions, one light each (it stacked four types)."""
from __future__ import annotations

import numpy as np

from synta.generator.clip_spec import LightSpec


def default_lights(rng: np.random.Generator) -> list[LightSpec]:
    """Key sun, fill area light and a low rim point light, with a little per-clip variation.

    Energies are Blender units (sun: W/m^2, others: W); the reference's 12 stacked lights at the same
    three positions (SYNTA_REFERENCE §3.2) collapse to these three.
    """
    def j(x: float) -> float:
        return float(round(x * rng.uniform(0.9, 1.1), 4))

    return [
        LightSpec("SUN", [11.0, -6.0, 25.0], [_deg(45.0) + j(0.1) - 0.1, 0.0, j(0.3)], j(1.2)),
        LightSpec("AREA", [-10.0, 3.0, 6.0], [_deg(45.0), 0.0, 0.0], j(40.0)),
        LightSpec("POINT", [-5.0, -40.0, 3.0], [_deg(20.0), 0.0, 0.0], j(600.0)),
    ]


def _deg(x: float) -> float:
    return float(round(np.radians(x), 5))
