"""The study definition: which datasets to render or use, which runs to train on them, what to report.

A study YAML (``assets/studies/*.yaml`` or any file) has these keys::

    datasets:                      # NAME: one dataset, rendered into <out>/data/NAME or found at a path
      syn_ta:
        render: {n: 600, background: plain, resolution: 64}   # any `synta render` option, by its long name
        shards: 4                  # render as 4 independent jobs (an array job on SLURM); default 1
      k400_ta:
        path: data/k400_ta.csv     # an existing dataset: a manifest or a rendered folder (`--data-root`)
        kind: k400_ta              # `synta bench --dataset`; default synta
    runs:                          # each group is models x datasets x seeds, one `synta bench` each
      - models: [i3d_r50_tiny]
        datasets: [syn_ta]
        tasks: [coarse]            # coarse, fine or both; default [coarse]
        seeds: [0, 1, 2]           # default [0]
        bench: {train: {epochs: 15}}   # recipe overrides, as `synta bench --set SECTION.KEY=VALUE`
        options: {pretrained: true}    # other `synta bench` options by their long name (epochs, frames, ...)
        gpus: 1                    # GPUs per run; above 1 the run is started with torchrun on one node
        name: lr2e-3               # optional: a variant name, so two groups can share a model and dataset
    resources:                     # per job kind, for `--executor slurm` (the command line wins)
      render: {cpus: 8, mem_gb: 16, time_min: 240, gpus: 1, partition: gpu, account: me}
      bench: {cpus: 8, mem_gb: 64, time_min: 1440}   # a run's GPUs are its group's gpus
    report: {paper: true, factors: [background]}   # `synta report --paper --factor background`

Names from the file become folder names, so they must be plain slugs (letters, digits, ``_ - .``).
Everything is checked here and by the commands' own option parsers before any job starts.
"""
from __future__ import annotations

import dataclasses
import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from synta.benchmark.data.datasets import canonical_dataset
from synta.errors import InputError, one_line
from synta.files import read_text_input
from synta.generator.render.options import MAX_SHARDS
from synta.generator.taxonomy import TASKS

KEYS = ("datasets", "runs", "resources", "report")
MAX_GPUS = 16  # GPUs of one run: torchrun --standalone starts them on one node
DATASET_KEYS = ("render", "shards", "path", "kind")
RUN_KEYS = ("models", "datasets", "tasks", "seeds", "bench", "options", "gpus", "name")
JOB_KINDS = ("render", "bench")
RESOURCE_KEYS = ("cpus", "mem_gb", "time_min", "partition", "account", "gpus")
REPORT_KEYS = ("paper", "factors")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class StudyError(InputError):
    """A study definition that cannot be run: one line naming the file and the key at fault."""


@dataclasses.dataclass(frozen=True)
class DatasetDef:
    """One dataset of a study: rendered from ``render`` settings, or an existing one at ``path``."""

    name: str
    render: dict[str, Any] | None = None
    shards: int = 1
    path: Path | None = None
    kind: str = "synta"


@dataclasses.dataclass(frozen=True)
class RunGroup:
    """Runs of every model on every dataset with every seed, with the same settings."""

    models: tuple[str, ...]
    datasets: tuple[str, ...]
    tasks: tuple[str, ...] = ("coarse",)
    seeds: tuple[int, ...] = (0,)
    bench: dict[str, Any] = dataclasses.field(default_factory=dict)
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    gpus: int = 1
    name: str = ""


@dataclasses.dataclass(frozen=True)
class Study:
    """A parsed study definition."""

    name: str
    datasets: dict[str, DatasetDef]
    runs: tuple[RunGroup, ...]
    resources: dict[str, dict[str, Any]]
    report: dict[str, Any]


def load_study(name_or_path: str) -> Study:
    """A shipped study by name (``mini``) or a study YAML file."""
    path = Path(name_or_path)
    if not path.suffix:
        folder = resources.files("synta.assets") / "studies"
        shipped = folder / f"{name_or_path}.yaml"
        if not shipped.is_file():
            names = sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))
            raise StudyError(f"no study {name_or_path!r} (shipped: {', '.join(names)}) and no such file")
        return parse_study(name_or_path, shipped.read_text(), name_or_path)
    if not path.is_file():
        raise StudyError(f"no study file {path}")
    return parse_study(path.stem, read_text_input(path, StudyError), str(path))


def _need(ok: bool, where: str, message: str) -> None:
    if not ok:
        raise StudyError(f"study {where}: {message}")


def _mapping(value: Any, where: str, key: str, allowed: tuple[str, ...] | None = None) -> dict[str, Any]:
    value = {} if value is None else value
    _need(isinstance(value, dict), where, f"{key} must be a mapping")
    if allowed is not None:
        unknown = sorted(map(str, set(value) - set(allowed)))
        _need(not unknown, where, f"unknown key(s) in {key}: {', '.join(unknown)} (allowed: {', '.join(allowed)})")
    return value


def _names(value: Any, where: str, key: str) -> tuple[str, ...]:
    _need(isinstance(value, list) and value and all(isinstance(v, str) and _SLUG.fullmatch(v) for v in value),
          where, f"{key} must be a non-empty list of names (letters, digits, _ - .)")
    return tuple(value)


def _int(value: Any, where: str, key: str, low: int = 1, high: int | None = None) -> int:
    _need(isinstance(value, int) and not isinstance(value, bool) and value >= low and (high is None or value <= high),
          where, f"{key} must be an integer >= {low}" + (f" and <= {high}" if high is not None else "") +
          f", got {value!r}")
    return value


def _dataset(name: str, raw: Any, where: str) -> DatasetDef:
    key = f"datasets.{name}"
    _need(isinstance(name, str) and bool(_SLUG.fullmatch(name)), where,
          f"dataset name {name!r} must be letters, digits, _ - .")
    raw = _mapping(raw, where, key, DATASET_KEYS)
    _need(("render" in raw) != ("path" in raw), where, f"{key} needs exactly one of render (settings) or path")
    if "path" in raw:
        _need(isinstance(raw["path"], str) and raw["path"], where, f"{key}.path must be a path")
        _need("shards" not in raw, where, f"{key}: shards only apply to rendered datasets")
        try:
            kind = canonical_dataset(raw.get("kind", "synta"))
        except ValueError as err:
            raise StudyError(f"study {where}: {key}.kind: {err}") from None
        return DatasetDef(name, path=Path(raw["path"]).expanduser(), kind=kind)
    _need("kind" not in raw, where, f"{key}: a rendered dataset is Syn-TA; kind is for path datasets")
    render = _mapping(raw["render"], where, f"{key}.render")
    for reserved in ("out", "num_shards", "shard_id", "merge", "dry_run"):
        _need(reserved not in render, where, f"{key}.render.{reserved} is set by the study")
    return DatasetDef(name, render=dict(render),
                      shards=_int(raw.get("shards", 1), where, f"{key}.shards", high=MAX_SHARDS))


def _run_group(i: int, raw: Any, datasets: dict[str, DatasetDef], where: str) -> RunGroup:
    key = f"runs[{i}]"
    raw = _mapping(raw, where, key, RUN_KEYS)
    _need("models" in raw and "datasets" in raw, where, f"{key} needs models and datasets")
    names = _names(raw["datasets"], where, f"{key}.datasets")
    missing = [d for d in names if d not in datasets]
    _need(not missing, where, f"{key}.datasets: {', '.join(missing)} not defined under datasets")
    tasks = raw.get("tasks", ["coarse"])
    _need(isinstance(tasks, list) and tasks and all(isinstance(t, str) and t in TASKS for t in tasks), where,
          f"{key}.tasks must be a list of {', '.join(TASKS)}")
    seeds = raw.get("seeds", [0])
    _need(isinstance(seeds, list) and seeds and all(isinstance(s, int) and not isinstance(s, bool) for s in seeds),
          where, f"{key}.seeds must be a list of integers")
    options = _mapping(raw.get("options"), where, f"{key}.options")
    for reserved in ("model_name", "model", "dataset", "data_root", "task", "output", "out", "seed", "resume"):
        _need(reserved not in options, where, f"{key}.options.{reserved} is set by the study")
    name = raw.get("name", "")
    _need(name == "" or (isinstance(name, str) and bool(_SLUG.fullmatch(name))), where,
          f"{key}.name must be letters, digits, _ - .")
    return RunGroup(_names(raw["models"], where, f"{key}.models"), names, tuple(dict.fromkeys(tasks)),
                    tuple(dict.fromkeys(seeds)), dict(_mapping(raw.get("bench"), where, f"{key}.bench")),
                    dict(options), _int(raw.get("gpus", 1), where, f"{key}.gpus", high=MAX_GPUS), name)


def parse_study(name: str, text: str, where: str) -> Study:
    """The study ``name`` defined by YAML ``text``; :class:`StudyError` naming ``where`` if it is not one."""
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise StudyError(f"study {where}: not valid YAML ({one_line(err)})") from None
    _need(isinstance(raw, dict), where, f"expected a mapping with the keys {', '.join(KEYS)}")
    raw = _mapping(raw, where, "the study", KEYS)
    _need(bool(raw.get("datasets")) and bool(raw.get("runs")), where, "needs datasets and runs")
    datasets = {n: _dataset(n, d, where) for n, d in _mapping(raw["datasets"], where, "datasets").items()}
    _need(isinstance(raw["runs"], list), where, "runs must be a list of run groups")
    runs = tuple(_run_group(i, r, datasets, where) for i, r in enumerate(raw["runs"]))
    res = _mapping(raw.get("resources"), where, "resources", JOB_KINDS)
    _need("gpus" not in (res.get("bench") or {}), where, "resources.bench.gpus: give gpus per run group")
    for kind in JOB_KINDS:
        for key, value in _mapping(res.get(kind), where, f"resources.{kind}", RESOURCE_KEYS).items():
            if key in ("partition", "account"):
                _need(isinstance(value, str), where, f"resources.{kind}.{key} must be a name")
            else:
                _int(value, where, f"resources.{kind}.{key}", 0 if key == "gpus" else 1)
    resources_ = {kind: dict(_mapping(res.get(kind), where, f"resources.{kind}", RESOURCE_KEYS)) for kind in JOB_KINDS}
    report = dict(_mapping(raw.get("report"), where, "report", REPORT_KEYS))
    _need(isinstance(report.get("paper", False), bool), where, "report.paper must be true or false")
    factors = report.get("factors", [])
    _need(isinstance(factors, list) and all(isinstance(f, str) for f in factors), where,
          "report.factors must be a list of names")
    settings = sorted({k for d in datasets.values() for k in d.render or {}})
    for factor in factors:  # a factor no dataset sets cannot vary: a typo, found before anything trains
        _need(factor in settings, where, f"report.factors: {factor!r} is not a render setting of any dataset here "
              f"({', '.join(settings) or 'none'})")
    return Study(name, datasets, runs, resources_, report)
