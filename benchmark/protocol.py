"""The transfer protocol (docs/design.md#transfer-protocol): tasks, set directions and the label spaces a model is
scored on.

Every dataset has two disjoint sets of fine classes that both cover every coarse class. A *direction*
trains on Set A's train videos and evaluates on Set A's val videos (the known contexts) and on Set B's val
videos (the unknown contexts):

- ``coarse`` (CoarseMotion-KC/UC): labels are the coarse classes, the same label space for both sets.
- ``fine`` (FineMotion-K/U): labels are Set A's fine classes; the unknown set's videos can only be scored
  among Set B's fine captions, which needs a model that classifies by text. Unimodal models report fine K
  only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from synta.benchmark.data.datasets import DATASETS as _DATASET_INFO
from synta.benchmark.data.labels import TASKS, ClassIndex
from synta.models.label_space import LabelSpace

DATASETS = tuple(_DATASET_INFO)  # canonical names in the paper's order: synta, k400_ta, ssv2_ta


def label_space(classes: ClassIndex, task: str, set_id: int) -> LabelSpace:
    """The label space of ``task`` for videos of ``set_id``."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    fine = classes.in_set(set_id)
    hierarchy = {"set_fine": tuple(f.caption for f in fine), "set_fine_names": tuple(f.name for f in fine),
                 "set_fine_parents": tuple(f.coarse for f in fine)}
    if task == "coarse":
        n = len(classes.coarse)
        return LabelSpace(task, set_id, tuple(classes.coarse), tuple(range(n)), tuple(classes.coarse), **hierarchy)
    return LabelSpace(task, set_id, hierarchy["set_fine"], hierarchy["set_fine_parents"], tuple(classes.coarse),
                      **hierarchy)


@dataclass(frozen=True)
class Direction:
    """Train on ``train_set``; evaluate on its val videos (known) and on the other set's (unknown)."""

    task: str
    train_set: int

    @property
    def unknown_set(self) -> int:
        return 3 - self.train_set

    @property
    def name(self) -> str:
        return f"set{self.train_set}"


def direction_label(direction: str) -> str:
    """``set1`` → ``1→2`` (trained on Set 1, unknown Set 2); any other name (``mean``) as it is."""
    match = re.fullmatch(r"set([12])", direction)
    return f"{match[1]}→{3 - int(match[1])}" if match else direction


def directions(task: str, set_direction: str = "both") -> list[Direction]:
    """The directions of ``task`` selected by ``set_direction`` (``1``, ``2`` or ``both``)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    sets = {"1": (1,), "2": (2,), "both": (1, 2)}.get(str(set_direction))
    if sets is None:
        raise ValueError(f"set direction must be 1, 2 or both, got {set_direction!r}")
    return [Direction(task, s) for s in sets]


def scores_unknown(task: str, uses_text: bool) -> bool:
    """Whether the unknown set can be evaluated: always for coarse, only by text models for fine."""
    return task == "coarse" or uses_text
