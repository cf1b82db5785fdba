"""What a model is asked to score: the label space of one task and set.

It lives with the models because every text model must accept one; the benchmark's protocol builds it
from a dataset's class index (``synta.benchmark.protocol.label_space``).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabelSpace:
    """The classes a model scores: ``names`` in label order (coarse names, or one set's fine captions).

    ``coarse_names`` is the dataset's coarse label space and ``parents`` the coarse id of each class (the
    identity for the coarse task). ``set_fine`` (captions) and ``set_fine_names`` (short names such as
    ``orbiting3``) list the fine classes of ``set_id`` and ``set_fine_parents`` their coarse ids, for either
    task: a hierarchical model scores a coarse space through the fine classes of the set it is shown.
    """

    task: str
    set_id: int
    names: tuple[str, ...]
    parents: tuple[int, ...]
    coarse_names: tuple[str, ...]
    set_fine: tuple[str, ...] = ()
    set_fine_names: tuple[str, ...] = ()
    set_fine_parents: tuple[int, ...] = ()

    def __len__(self) -> int:
        return len(self.names)

    @property
    def short_names(self) -> tuple[str, ...]:
        """Short names of the classes (``orbiting3``) for a fine space; empty for coarse."""
        return self.set_fine_names if self.task == "fine" else ()

    @property
    def key(self) -> tuple[str, int]:
        """Identifies the label space (for caching encoded labels)."""
        return self.task, self.set_id
