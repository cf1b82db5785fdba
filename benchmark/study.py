"""``synta study``: self-contained, reproducible experiments made of render → bench (several seeds) → report.

A study is a YAML under ``assets/studies/`` (or any path): ``render`` (the settings of ``synta render``),
``model``, ``bench`` (recipe overrides), ``tasks`` (default coarse) and ``seeds``. Every step resumes: the
dataset render skips finished clips, each seed's run continues from its last checkpoint, and finished
runs are not repeated, so a killed study goes on where it stopped when run again.
"""
from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import yaml

from synta.benchmark.bench import BenchConfig, BenchError, run_bench
from synta.benchmark.engine import DistEnv
from synta.benchmark.metrics import METRIC_KEYS, METRIC_NAMES, Stat, mean_std
from synta.benchmark.protocol import direction_label
from synta.errors import one_line
from synta.files import read_text_input, write_atomic
from synta.generator.taxonomy import TASKS

KEYS = ("render", "model", "bench", "tasks", "seeds")


@dataclasses.dataclass(frozen=True)
class Study:
    """A parsed study definition."""

    name: str
    render: dict[str, Any]
    model: str
    bench: dict[str, Any]
    tasks: tuple[str, ...]
    seeds: tuple[int, ...]


def load_study(name_or_path: str) -> Study:
    """A shipped study by name (``mini``) or a study YAML file."""
    path = Path(name_or_path)
    if not path.suffix:
        shipped = resources.files("synta.assets") / "studies" / f"{name_or_path}.yaml"
        if not shipped.is_file():
            raise BenchError(f"no study {name_or_path!r} (shipped: mini) and no such file")
        text = shipped.read_text()
    else:
        if not path.is_file():
            raise BenchError(f"no study file {path}")
        text = read_text_input(path, BenchError)
    return parse_study(path.stem, text, name_or_path)


def parse_study(name: str, text: str, where: str) -> Study:
    """The study ``name`` defined by YAML ``text``; :class:`BenchError` naming ``where`` if it is not one."""
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise BenchError(f"study {where}: not valid YAML ({one_line(err)})") from None
    if not isinstance(raw, dict):
        raise BenchError(f"study {where}: expected a mapping with the keys {', '.join(KEYS)}")
    unknown = set(raw) - set(KEYS)
    if unknown or not raw.get("model") or not raw.get("seeds"):
        raise BenchError(f"study {where}: needs model and seeds; unknown keys: {sorted(unknown) or 'none'}")
    for key in ("render", "bench"):
        if not isinstance(raw.get(key) or {}, dict):
            raise BenchError(f"study {where}: {key} must be a mapping of settings")
    tasks, seeds = raw.get("tasks") or ["coarse"], raw["seeds"]
    if not isinstance(raw["model"], str):
        raise BenchError(f"study {where}: model must be a model name")
    if not isinstance(tasks, list) or not set(tasks) <= set(TASKS):
        raise BenchError(f"study {where}: tasks must be a list of {', '.join(TASKS)}")
    if not isinstance(seeds, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in seeds):
        raise BenchError(f"study {where}: seeds must be a list of integers")
    return Study(name, dict(raw.get("render") or {}), raw["model"], dict(raw.get("bench") or {}), tuple(tasks),
                 tuple(seeds))


def render_study_data(study: Study, out: Path, workers: int | None, echo: Callable[[str], None]) -> Path:
    """Render (or finish rendering) the study's dataset into ``out/data``."""
    from synta.generator.render.run import RenderConfig, parse_resolution, render_dataset

    settings = dict(study.render)
    if "resolution" in settings:
        settings["resolution"] = parse_resolution(str(settings["resolution"]))
    if workers:
        settings["workers"] = workers
    defaults = {f.name: f.default for f in dataclasses.fields(RenderConfig) if f.default is not dataclasses.MISSING}
    for key, value in settings.items():  # scalars are typed here as click types them on the command line
        if isinstance(defaults.get(key), (bool, int, str)) and type(value) is not type(defaults[key]):
            raise BenchError(f"study {study.name}: render.{key} must be {type(defaults[key]).__name__}, "
                             f"got {value!r}")
    try:
        cfg = RenderConfig(out=out / "data", **settings)
    except TypeError as err:
        raise BenchError(f"study {study.name}: bad render settings ({err})") from None
    if render_dataset(cfg, echo=echo) != 0:
        raise BenchError(f"study {study.name}: rendering failed (see {out / 'data'})")
    return cfg.out


def summarise(results: list[dict[str, Any]], task: str = "coarse") -> dict[str, dict[str, dict[str, float | None]]]:
    """Mean and sample std over seeds of every metric, per direction and for the direction mean.

    The same aggregation as ``synta report`` (:func:`~synta.benchmark.metrics.mean_std`): a metric that
    some seed could not measure is left out, and a single seed has ``std`` None.
    """
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for direction in [*results[0]["tasks"][task]["directions"], "mean"]:
        per_seed = [r["tasks"][task]["mean"] if direction == "mean" else r["tasks"][task]["directions"][direction]
                    ["metrics"] for r in results]
        stats = {key: mean_std([m.get(key) for m in per_seed]) for key in METRIC_KEYS}
        out[direction] = {key: {"mean": s.mean, "std": s.std} for key, s in stats.items() if s is not None}
    return out


def summary_markdown(study: Study, summary: dict[str, Any]) -> str:
    """The study's coarse table: KC, UC, D_abs, D_rel, HM as mean ± std over seeds."""
    names = METRIC_NAMES["coarse"]
    lines = [f"{study.model} on the study's Syn-TA, {len(study.seeds)} seeds (mean ± std):", "",
             "| direction | " + " | ".join(names[k] for k in METRIC_KEYS) + " |",
             "|---" * (len(METRIC_KEYS) + 1) + "|"]
    for direction, metrics in summary.items():
        cells = [Stat(metrics[k]["mean"], metrics[k]["std"]).text() if k in metrics else "–" for k in METRIC_KEYS]
        lines.append(f"| {direction_label(direction)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_study(study: Study, out: Path, env: DistEnv, workers: int = 2, render_workers: int | None = None,
              echo: Callable[[str], None] = print) -> str:
    """Render, train every seed, report; returns the summary Markdown (also in ``out/summary.md``)."""
    data = render_study_data(study, out, render_workers, echo) if env.is_main else out / "data"
    results = []
    for seed in study.seeds:
        echo(f"study {study.name}: training {study.model}, seed {seed}")
        cfg = BenchConfig(model=study.model, data_root=data, tasks=study.tasks, output=out / "runs" / f"seed{seed}",
                          overrides=study.bench, seed=seed, workers=workers, resume=True,
                          command=("synta", "study", study.name))
        results.append(run_bench(cfg, env))
    if not env.is_main:
        return ""
    from synta.benchmark.report import load_runs, write_report

    write_report(load_runs([out / "runs" / f"seed{s}" for s in study.seeds]), out / "report")
    summary = summarise(results)
    text = summary_markdown(study, summary)
    write_atomic(out / "summary.json", json.dumps(summary, indent=1) + "\n")
    write_atomic(out / "summary.md", text)
    return text
