"""Syn-TA generator: taxonomy-driven clip specifications (pure Python) and, separately, rendering.

Public API: :func:`sample_clip`, :class:`ClipSpec`, :func:`sidecar`, :func:`load_taxonomy` and
:mod:`synta.generator.checks`.
"""
from synta.generator.annotations import sidecar
from synta.generator.clip_spec import ClipSpec
from synta.generator.sampler import clip_seed, sample_clip
from synta.generator.taxonomy import load_taxonomy

__all__ = ["ClipSpec", "clip_seed", "load_taxonomy", "sample_clip", "sidecar"]
