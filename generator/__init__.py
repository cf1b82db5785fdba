"""Syn-TA generator: taxonomy-driven clip specifications (pure Python) and, separately, rendering.

Public API: :func:`sample_clip`, :class:`ClipSpec`, :func:`sidecar`, :func:`load_taxonomy` and
:mod:`synta.generator.checks`. The names are imported on first use, so ``synta --help`` and modules that
need only the taxonomy do not pay for the mesh libraries behind ``sample_clip``.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"ClipSpec": "clip_spec", "clip_seed": "sampler", "load_taxonomy": "taxonomy",
            "sample_clip": "sampler", "sidecar": "annotations"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"synta.generator.{_EXPORTS[name]}"), name)
