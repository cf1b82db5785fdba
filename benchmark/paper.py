"""The paper's published numbers (``assets/paper/results.yaml``, schema in its header) as typed rows.

Each :class:`PaperRow` is one printed model in one dataset column group of one table: the model by its
registry name, the dataset in its canonical spelling, the Syn-TA background (``plain`` / ``realistic``;
None for natural video), task, direction (``mean`` or ``set1`` / ``set2``), the printed metrics by
:data:`~synta.benchmark.metrics.METRIC_KEYS` key, and where the numbers were transcribed from.
:func:`paper_value` looks one number up by setting. Registry names are matched exactly, so a ``_tiny``
variant never finds the full-size model's published row (the report compares tiny runs explicitly).

The file is checked whole when it is read (form, source keys, metric keys, dataset names, model names, one
number per metric, no number printed twice for one setting); a broken file raises :class:`PaperError`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from synta.benchmark.data.datasets import canonical_dataset
from synta.benchmark.data.labels import TASKS
from synta.benchmark.metrics import METRIC_KEYS
from synta.benchmark.protocol import directions

SCHEMA = 1
RESOURCE = ("synta.assets", "paper/results.yaml")  # package and path of the file inside it
MEAN = "mean"  # the direction of a table of means over the two set directions (results.json's "mean" too)
BACKGROUNDS = ("plain", "realistic")


class PaperError(ValueError):
    """``assets/paper/results.yaml`` does not follow its schema."""


@dataclass(frozen=True)
class Provenance:
    """Where a row's numbers come from: a key of the file's ``sources``, the table's id and printed
    heading, and the row as the source prints it (model name and row group)."""

    source: str
    table: str
    heading: str
    row: str
    group: str | None = None

    def text(self) -> str:
        """``authors_readme, table coarse, row X3D``."""
        return f"{self.source}, table {self.table}, row {self.row}"


@dataclass(frozen=True, eq=False)
class PaperRow:
    """One published model × dataset × direction cell group (see the module docstring)."""

    model: str
    dataset: str
    background: str | None
    task: str
    direction: str
    metrics: dict[str, float]
    provenance: Provenance

    @property
    def key(self) -> tuple[str, str, str, str, str | None]:
        """``(model, dataset, task, direction, background)``: the setting :func:`paper_value` matches."""
        return self.model, self.dataset, self.task, self.direction, self.background


@dataclass(frozen=True, eq=False)
class Paper:
    """The whole file: its ``sources`` (key → title, url, where, note) and every row."""

    sources: dict[str, dict[str, Any]]
    rows: tuple[PaperRow, ...]

    def find(self, model: str, dataset: str, task: str, direction: str = MEAN,
             background: str | None = None, metric: str | None = None) -> PaperRow | None:
        """The row printing ``metric`` (any metric if None) for this exact setting, or None. ``dataset``
        may be spelled any way :func:`canonical_dataset` accepts; an unknown dataset finds nothing."""
        try:
            dataset = canonical_dataset(dataset)
        except ValueError:
            return None
        key = (model, dataset, task, direction, background)
        return next((r for r in self.rows if r.key == key and (metric is None or metric in r.metrics)), None)

    def value(self, model: str, dataset: str, task: str, direction: str = MEAN,
              background: str | None = None, metric: str = "hm") -> float | None:
        """The printed number of ``metric`` for this setting, or None where the paper has none."""
        row = self.find(model, dataset, task, direction, background, metric)
        return None if row is None else row.metrics[metric]


def _need(ok: bool, where: str, message: str) -> None:
    if not ok:
        raise PaperError(f"assets/paper/results.yaml: {where}: {message}")


def _numbers(values: Any, metrics: list[str], where: str) -> dict[str, float]:
    _need(isinstance(values, list) and len(values) == len(metrics), where,
          f"expected one number per metric ({', '.join(metrics)}), got {values!r}")
    _need(all(isinstance(v, int | float) and not isinstance(v, bool) for v in values), where,
          f"not all numbers: {values!r}")
    return {m: float(v) for m, v in zip(metrics, values)}


def parse_paper(data: Any) -> Paper:
    """A :class:`Paper` from the file's parsed YAML; raises :class:`PaperError` naming the table and row."""
    _need(isinstance(data, dict) and data.get("schema") == SCHEMA, "top level", f"expected schema: {SCHEMA}")
    sources, models, tables = data.get("sources"), data.get("models"), data.get("tables")
    _need(isinstance(sources, dict) and isinstance(models, dict) and isinstance(tables, list), "top level",
          "needs the mappings sources and models and the list tables")
    set_directions = [d.name for d in directions(TASKS[0])]
    rows: list[PaperRow] = []
    seen: dict[tuple, tuple[int, int, str]] = {}  # (setting, metric) → the row that prints it
    for i, table in enumerate(tables):
        _need(isinstance(table, dict), f"tables[{i}]", "not a mapping")
        where = f"table {table.get('id', i)}"
        _need(table.get("source") in sources, where, f"source {table.get('source')!r} is not a key of sources")
        _need(table.get("task") in TASKS, where, f"task must be one of {', '.join(TASKS)}")
        by_direction = table.get("columns") == "directions"
        direction = table.get("direction", MEAN)
        _need(by_direction or direction in (MEAN, *set_directions), where, f"unknown direction {direction!r}")
        metrics = table.get("metrics")
        _need(isinstance(metrics, list) and bool(metrics) and set(metrics) <= set(METRIC_KEYS), where,
              f"metrics must be keys of {', '.join(METRIC_KEYS)}")
        printed = table.get("datasets") or []
        backgrounds = table.get("backgrounds") or {}
        _need(set(backgrounds) <= set(printed) and set(backgrounds.values()) <= set(BACKGROUNDS), where,
              f"backgrounds must map printed datasets to {' or '.join(BACKGROUNDS)}")
        try:
            names = {d: canonical_dataset(d) for d in printed}
        except ValueError as err:
            raise PaperError(f"assets/paper/results.yaml: {where}: {err}") from None
        for j, row in enumerate(table.get("rows") or []):
            _need(isinstance(row, dict), f"{where}, rows[{j}]", "not a mapping")
            label = f"{where}, row {row.get('model')!r}"
            _need(row.get("model") in models, label, "the model is not a key of models")
            values = row.get("values")
            _need(isinstance(values, dict) and set(values) <= set(printed), label,
                  "values must be keyed by the table's datasets")
            provenance = Provenance(table["source"], str(table.get("id", i)), str(table.get("heading", "")).strip(),
                                    row["model"], row.get("group"))
            for dataset, cell in values.items():
                per_direction = cell if by_direction else {direction: cell}
                _need(not by_direction or isinstance(cell, dict) and set(cell) <= set(set_directions), label,
                      f"{dataset}: expected {{set1: [...], set2: [...]}}")
                for name, numbers in per_direction.items():
                    new = PaperRow(models[row["model"]], names[dataset], backgrounds.get(dataset), table["task"],
                                   name, _numbers(numbers, metrics, f"{label}, {dataset}"), provenance)
                    for metric in new.metrics:  # one setting, one published number
                        other = seen.setdefault((*new.key, metric), (i, j, label))
                        _need(other[:2] == (i, j), label, f"{dataset} {name} {metric} is printed by {other[2]} too")
                    rows.append(new)
    return Paper(dict(sources), tuple(rows))


@functools.cache
def load_paper() -> Paper:
    """The packaged file, read once (through :mod:`importlib.resources`, so it works installed too)."""
    package, path = RESOURCE
    text = (resources.files(package) / path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise PaperError(f"assets/paper/results.yaml: not valid YAML ({err})") from None
    return parse_paper(data)


def paper_value(model: str, dataset: str, task: str, direction: str, background: str | None,
                metric: str) -> float | None:
    """The paper's number of ``metric`` (a METRIC_KEYS key) for registry model ``model`` on ``dataset``
    (any spelling), ``task``, ``direction`` (``mean``, ``set1``, ``set2``) and Syn-TA ``background``
    (None for K400-TA / SSv2-TA); None where the paper printed none (D_rel, a tiny variant, plain Syn-TA)."""
    return load_paper().value(model, dataset, task, direction, background, metric)
