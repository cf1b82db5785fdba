"""Benchmark data: manifests from the official split files, PyAV decoding, clip samplers, video transforms
and the DataLoader factory.

Modules, one idea each: :mod:`.datasets` (the three datasets' names, counts and path grammars),
:mod:`.labels` (label CSVs, class index), :mod:`.splits` (split-list readers), :mod:`.manifest` (the
manifest model), :mod:`.video` (decoding), :mod:`.sampling` (which frames), :mod:`.transforms` (spatial
transforms, flip policy), :mod:`.dataset` (torch Dataset and loader factory) and :mod:`.check` (what
``synta data check`` runs; the command itself is :mod:`synta.cli.data`). Importing this package does not
import torch; the torch-side modules are imported where used.
"""
from synta.benchmark.data.labels import ClassIndex, FineLabel, FormatError
from synta.benchmark.data.manifest import Manifest, Video, manifest_from_splits, read_manifest

__all__ = ["ClassIndex", "FineLabel", "FormatError", "Manifest", "Video", "manifest_from_splits", "read_manifest"]
