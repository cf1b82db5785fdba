"""Accuracy and the transfer metrics of the protocol (docs/design.md#metrics).

Per direction: K and U are top-1 accuracies in percent on the known and unknown sets,
``d_abs = K − U``, ``d_rel = 100·(K − U)/K`` and ``hm = 2KU/(K + U)``. Tables report the mean over the two
directions of each per-direction metric (:func:`mean_metrics`), which reproduces the paper's numbers.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

METRIC_KEYS = ("known", "unknown", "d_abs", "d_rel", "hm")
# How tables and logs name each metric: the paper's KC/UC for the coarse task, K/U for the fine task.
METRIC_NAMES = {
    "coarse": {"known": "KC", "unknown": "UC", "d_abs": "D_abs", "d_rel": "D_rel", "hm": "HM"},
    "fine": {"known": "K", "unknown": "U", "d_abs": "D_abs", "d_rel": "D_rel", "hm": "HM"},
}


@dataclass(frozen=True)
class Stat:
    """A metric over ``n`` runs (seeds): their mean and sample standard deviation (None for one run)."""

    mean: float
    std: float | None = None
    n: int = 1
    signed: bool = False  # a difference, printed with its sign

    def text(self, plus_minus: str = " ± ") -> str:
        """``71.00 ± 1.41``, or the mean alone for a single run."""
        value = f"{self.mean:+.2f}" if self.signed else f"{self.mean:.2f}"
        return value if self.std is None else f"{value}{plus_minus}{self.std:.2f}"


def mean_std(values: Sequence[float | None]) -> Stat | None:
    """Mean ± sample std of one metric over runs (one value per seed).

    None when there are no values or any run could not measure it: a mean over the runs that happen to
    have a value would not compare with the other cells. One run has no spread, so its ``std`` is None
    (printed without ``±``), not 0.
    """
    if not values or any(v is None for v in values):
        return None
    array = np.asarray(values, dtype=float)
    return Stat(float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else None, len(array))


def transfer_metrics(known: float, unknown: float | None) -> dict[str, float | None]:
    """``known, unknown, d_abs, d_rel, hm`` from known and unknown accuracy (%); the ones that need the
    unknown accuracy are None when it is None (unimodal fine task), and ``d_rel`` is None when K is 0."""
    known = float(known)
    if unknown is None:
        return {"known": known, "unknown": None, "d_abs": None, "d_rel": None, "hm": None}
    unknown = float(unknown)
    return {
        "known": known,
        "unknown": unknown,
        "d_abs": known - unknown,
        "d_rel": 100.0 * (known - unknown) / known if known else None,
        "hm": 2 * known * unknown / (known + unknown) if known + unknown else 0.0,
    }


def mean_metrics(per_direction: Sequence[dict[str, float | None]]) -> dict[str, float | None]:
    """The mean over directions of each metric (None where any direction lacks it)."""
    if not per_direction:
        raise ValueError("no directions to average")
    out: dict[str, float | None] = {}
    for key in METRIC_KEYS:
        values = [d.get(key) for d in per_direction]
        out[key] = None if any(v is None for v in values) else float(np.mean(values))
    return out


def confusion_matrix(targets: Sequence[int], predictions: Sequence[int], num_classes: int) -> np.ndarray:
    """``C[i, j]`` = number of videos of class ``i`` predicted as ``j``."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(targets, dtype=np.int64), np.asarray(predictions, dtype=np.int64)), 1)
    return cm


def accuracy_report(targets: Sequence[int], predictions: Sequence[int], num_classes: int) -> dict:
    """Top-1 and mean-class accuracy (%), per-class accuracy (None for classes without videos), the
    confusion matrix and the number of videos."""
    cm = confusion_matrix(targets, predictions, num_classes)
    support = cm.sum(axis=1)
    per_class = [float(100.0 * cm[i, i] / support[i]) if support[i] else None for i in range(num_classes)]
    present = [a for a in per_class if a is not None]
    total = int(support.sum())
    return {
        "top1": float(100.0 * np.trace(cm) / total) if total else 0.0,
        "mean_class": float(np.mean(present)) if present else 0.0,
        "per_class": per_class,
        "support": support.tolist(),
        "confusion": cm.tolist(),
        "num_videos": total,
    }
