"""The model zoo: every video model of the benchmark behind one registry.

``build(name, num_classes)`` constructs a model by its registered name or alias (``x3d`` → ``x3d_m``),
optionally from its canonical weights (``pretrained=True``) or a local checkpoint (``weights=PATH``);
``list_models()`` lists what is registered and ``get_info(name)`` tells what the registry knows about one
model. One module per family registers one builder and a table of :class:`Variant` rows with
:func:`register_family` (see :mod:`synta.models.registry`).

Weights come two ways, one function each: a whole-model checkpoint (a zoo URL or ``weights=PATH``) goes
through :func:`synta.models.weights.load_weights`, strict but for a resized classifier; a model initialised
from CLIP (the CLIP video models, AIM, UniFormerV2, CIR's text tower) has ``load_clip(state)``, which loads
a CLIP state dict into the towers it shares with CLIP and leaves the modules it adds as initialised.
"""
from __future__ import annotations

from synta.models.registry import (ModelInfo, Variant, build, get_info, list_models, register_family, register_model,
                                   resolve)

__all__ = ["ModelInfo", "Variant", "build", "get_info", "list_models", "register_family", "register_model", "resolve"]
