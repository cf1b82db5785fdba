"""``results.json``: what one ``synta bench`` run measured, per task and set direction.

Layout (``format`` = ``synta-results/1``)::

    {"format": "synta-results/1",
     "model": "x3d_m", "family": "x3d", "uses_text": false,
     "dataset": "synta", "data_root": "/abs/path", "variant": {"background": "plain", ...},
     "seed": 0, "command": [...], "versions": {...}, "created": "2026-...Z",
     "tasks": {
       "coarse": {
         "directions": {
           "set1": {"train_set": 1, "unknown_set": 2,
                    "known":   {<accuracy report>, "class_names": [...], "set": 1},
                    "unknown": {<accuracy report>, "class_names": [...], "set": 2} | null,
                    "metrics": {"known", "unknown", "d_abs", "d_rel", "hm"}},
           "set2": {...}},
         "mean": {"known", "unknown", "d_abs", "d_rel", "hm"},
         "note": "..."},
       "fine": {...}}}

An accuracy report is :func:`synta.benchmark.metrics.accuracy_report`'s dict (``top1``, ``mean_class``,
``per_class``, ``support``, ``confusion``, ``num_videos``). Metrics are top-1 accuracies in percent; values
that cannot be measured (fine U of a unimodal model) are null and the task's ``note`` says why. ``mean`` is
the mean over the directions present of each per-direction metric. ``variant`` holds the factors of a
rendered Syn-TA dataset (its ``dataset.json``), so reports can tell plain from realistic backgrounds.
"""
from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from synta.benchmark.data.datasets import canonical_dataset

FORMAT = "synta-results/1"


class ResultsError(ValueError):
    """A file is not a synta results file."""


def read_results(path: str | Path) -> dict[str, Any]:
    """Read ``results.json`` (or a run folder holding one), with its dataset name in the canonical spelling
    (an unknown name is kept as written)."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"no results.json at {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise ResultsError(f"{path}: not JSON ({err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ResultsError(f"{path}: not a {FORMAT} file")
    with contextlib.suppress(ValueError):  # runs written before the names were fixed say k400-ta / ssv2-ta
        data["dataset"] = canonical_dataset(data.get("dataset", ""))
    return data
