"""Class names and the coarse→fine hierarchy: the reference's label CSVs, or the Syn-TA taxonomy."""
from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from synta.errors import InputError
from synta.files import read_text_input
from synta.generator.taxonomy import TASKS  # noqa: F401 (re-exported: the tasks are the taxonomy's label levels)


class FormatError(InputError):
    """A label or split file that does not follow the reference's format; the message names file and line."""


@dataclass(frozen=True)
class FineLabel:
    """One fine class: its set, its index within the set, a short name, its coarse parent and its caption.

    For Syn-TA ``name`` is the reference's file-name stem (``orbiting3``) and ``caption`` its label text;
    for K400-TA and SSv2-TA both are the class name of the label CSV. ``coarse`` is -1 while unknown.
    """

    set: int
    index: int
    name: str
    coarse: int
    caption: str


@dataclass(frozen=True)
class ClassIndex:
    """The label spaces of a dataset: coarse names (ids 0..C-1) and the fine classes of both sets."""

    coarse: tuple[str, ...]
    fine: tuple[FineLabel, ...]

    def in_set(self, set_id: int) -> tuple[FineLabel, ...]:
        """Fine classes of one set, ordered by index."""
        return tuple(f for f in self.fine if f.set == set_id)

    def fine_label(self, set_id: int, index: int) -> FineLabel:
        """The fine class ``index`` of ``set_id``; raises ``KeyError`` if there is none."""
        classes = self.in_set(set_id)
        if not 0 <= index < len(classes):
            raise KeyError(f"no fine class {index} in Set {set_id} (it has {len(classes)})")
        return classes[index]

    def num_classes(self, task: str, set_id: int) -> int:
        """Size of the coarse label space, or of one set's fine label space."""
        return len(self.coarse) if task == "coarse" else len(self.in_set(set_id))

    def names(self, task: str, set_id: int) -> list[str]:
        """Class names in label order: coarse names, or one set's fine captions (what text models read)."""
        return list(self.coarse) if task == "coarse" else [f.caption for f in self.in_set(set_id)]

    def with_parents(self, parents: dict[tuple[int, int], int]) -> ClassIndex:
        """A copy whose fine classes take their coarse parent from ``{(set, index): coarse id}``."""
        fine = tuple(replace(f, coarse=parents.get((f.set, f.index), f.coarse)) for f in self.fine)
        return ClassIndex(self.coarse, fine)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (see :meth:`from_dict`)."""
        return {"coarse": list(self.coarse), "fine": [asdict(f) for f in self.fine]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClassIndex:
        """Inverse of :meth:`to_dict`."""
        return cls(tuple(d["coarse"]), tuple(FineLabel(**f) for f in d["fine"]))


def read_label_csv(path: str | Path) -> list[str]:
    """Class names of a reference label CSV (``id,name`` header, 0-based ids in order).

    Handles the reference's quirks: names quoted or not (``0,"Bending"``), commas inside quoted names, a
    trailing space in a name (stripped: ``folding `` is ``folding``), an empty last line and no final
    newline. Raises :class:`FormatError` naming the line when ids are not 0, 1, 2, ... in order.
    """
    path = Path(path)
    reader = csv.reader(io.StringIO(read_text_input(path, FormatError, "utf-8-sig")))
    try:
        rows = list(reader)
    except csv.Error as err:
        raise FormatError(f"{path}:{reader.line_num}: not CSV ({err})") from None
    if not rows or [c.strip().lower() for c in rows[0]] != ["id", "name"]:
        raise FormatError(f"{path}:1: expected the header 'id,name'")
    names: list[str] = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != 2 or not (row[0].strip().isascii() and row[0].strip().isdigit()):
            raise FormatError(f"{path}:{lineno}: expected 'id,name', got {','.join(row)!r}")
        if int(row[0]) != len(names):
            raise FormatError(f"{path}:{lineno}: id {int(row[0])} out of order (expected {len(names)})")
        names.append(row[1].strip())
    return names


def classes_from_label_files(coarse: str | Path, set1: str | Path, set2: str | Path) -> ClassIndex:
    """A class index from the three label CSVs; fine parents stay unknown (-1) until the split lists give
    them (:func:`synta.benchmark.data.splits.recover_parents`)."""
    fine = tuple(FineLabel(s, i, name, -1, name)
                 for s, path in ((1, set1), (2, set2)) for i, name in enumerate(read_label_csv(path)))
    return ClassIndex(tuple(read_label_csv(coarse)), fine)


def synta_classes() -> ClassIndex:
    """The Syn-TA class index from the shipped taxonomy (names like ``orbiting3``, captions, parents)."""
    from synta.generator import load_taxonomy

    tax = load_taxonomy()
    fine = tuple(FineLabel(f.set, f.index, f.name, f.coarse, f.label)
                 for s in (1, 2) for f in tax.in_set(s))
    return ClassIndex(tuple(c.name for c in tax.coarse), fine)
