"""A study as jobs: one ``synta render`` per dataset shard, one ``synta bench`` per run, in a fixed layout.

Folder layout under the study folder ``OUT``::

    OUT/definition.json                      the command of every dataset and run made here (see below)
    OUT/data/<dataset>/                      a rendered dataset (path datasets stay where they are)
    OUT/runs/<dataset>/<model>[-<name>]/seed<k>/   one `synta bench` run
    OUT/logs/                                job logs (and submitit's folders on SLURM)
    OUT/report/                              `synta report` of every finished run

Each job is a plain ``synta`` command line, so ``--dry-run`` prints exactly what will run and a user can run
any one by hand. Every command resumes by itself; the study only skips what is finished (a dataset whose
manifest lists every planned clip, a run with ``results.json``). ``definition.json`` records each folder's
command: a rerun with a changed command for an existing folder is refused, so settings never mix, while
new datasets and runs can be added to a study.
"""
from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from synta.benchmark.bench import has_progress
from synta.benchmark.study.spec import DatasetDef, RunGroup, Study, StudyError
from synta.errors import InputError
from synta.files import write_atomic

DEFINITION = "definition.json"


@dataclasses.dataclass(frozen=True)
class Job:
    """One command of a study: ``synta *argv`` writing into ``out``."""

    kind: str  # render, merge or bench
    name: str  # unique; also its log file name
    argv: tuple[str, ...]
    out: Path
    gpus: int = 0
    dataset: str = ""
    model: str = ""
    group: int = -1  # index of its run group in the study

    def command(self) -> list[str]:
        """The process to start: this interpreter's ``synta``, under ``torchrun`` on one node for several GPUs."""
        if self.gpus > 1:
            return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={self.gpus}",
                    "-m", "synta", *self.argv]
        return [sys.executable, "-m", "synta", *self.argv]


@dataclasses.dataclass(frozen=True)
class StudyPlan:
    """Every job of a study in order of need, and what is already done."""

    renders: tuple[Job, ...]  # shards of the rendered datasets that are not finished
    merges: tuple[Job, ...]  # one per sharded dataset that is not finished
    benches: tuple[Job, ...]  # every run, finished or not
    done: frozenset[str]  # names of finished bench jobs
    data_roots: dict[str, Path]

    def pending_benches(self) -> list[Job]:
        """The runs still to train."""
        return [j for j in self.benches if j.name not in self.done]


def options_argv(settings: dict[str, Any]) -> list[str]:
    """Command-line options for settings given by their long names: ``{no_denoise: true, classes: [a, b],
    n: 5}`` → ``--no-denoise --classes a --classes b --n 5`` (false flags are left out)."""
    argv: list[str] = []
    for key, value in settings.items():
        flag = "--" + str(key).replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is False or value is None:
            continue
        else:
            for item in value if isinstance(value, list) else [value]:
                argv += [flag, str(item)]
    return argv


def set_argv(overrides: dict[str, Any], prefix: str = "") -> list[str]:
    """``--set SECTION.KEY=VALUE`` options for nested recipe overrides; values as JSON (which is YAML), a
    string bare where YAML reads it back unchanged."""
    argv: list[str] = []
    for key, value in overrides.items():
        if isinstance(value, dict):
            argv += set_argv(value, f"{prefix}{key}.")
        else:
            text = value if isinstance(value, str) and yaml.safe_load(value) == value else \
                json.dumps(value, separators=(",", ":"))
            argv += ["--set", f"{prefix}{key}={text}"]
    return argv


def render_jobs(data: DatasetDef, root: Path) -> tuple[list[Job], Job | None]:
    """The shard jobs of a rendered dataset and, for several shards, the merge that indexes them."""
    base = ["render", *options_argv(data.render or {}), "--out", str(root)]
    if data.shards == 1:
        return [Job("render", f"render-{data.name}", tuple(base), root, dataset=data.name)], None
    shards = [Job("render", f"render-{data.name}-shard{i}",
                  (*base, "--num-shards", str(data.shards), "--shard-id", str(i)), root, dataset=data.name)
              for i in range(data.shards)]
    return shards, Job("merge", f"merge-{data.name}", ("render", "--merge", "--out", str(root)), root,
                       dataset=data.name)


def run_folder(out: Path, group: RunGroup, dataset: str, model: str, seed: int) -> Path:
    """``OUT/runs/<dataset>/<model>[-<name>]/seed<k>``."""
    return out / "runs" / dataset / (f"{model}-{group.name}" if group.name else model) / f"seed{seed}"


def bench_jobs(study: Study, out: Path, roots: dict[str, Path]) -> list[Job]:
    """One ``synta bench`` per model, dataset and seed of every run group, in the file's order."""
    from synta.benchmark.recipe import model_recipe
    from synta.models.registry import get_info

    jobs: list[Job] = []
    for index, group in enumerate(study.runs):
        for model in group.models:  # the whole recipe, as the run will resolve it
            try:
                model_recipe(model, group.bench)
            except (KeyError, InputError) as err:
                raise StudyError(f"study {study.name}: runs[{index}] {model}: "
                                 f"{err.args[0] if isinstance(err, KeyError) else err}") from None
        task = group.tasks[0] if len(group.tasks) == 1 else "both"
        extra = [*options_argv(group.options), *set_argv(group.bench)]
        for dataset in group.datasets:
            for model in (get_info(m).name for m in group.models):
                for seed in group.seeds:
                    folder = run_folder(out, group, dataset, model, seed)
                    argv = ("bench", "--model", model, "--dataset", study.datasets[dataset].kind,
                            "--data-root", str(roots[dataset]), "--task", task, "--seed", str(seed), *extra,
                            "--out", str(folder))
                    jobs.append(Job("bench", "bench-" + "-".join(folder.relative_to(out / "runs").parts), argv,
                                    folder, group.gpus, dataset, model, index))
    names = [j.name for j in jobs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise StudyError(f"study {study.name}: two run groups make the same run ({twice[0]}); give one a name")
    return jobs


def dataset_finished(root: Path) -> bool:
    """Whether ``root``'s manifest lists every clip its ``dataset.json`` plans (a render with failed or
    missing clips, or unmerged shards, is not finished)."""
    try:
        planned = json.loads((root / "dataset.json").read_text())["num_clips"]
        rows = sum(1 for _ in (root / "manifest.csv").open()) - 1
    except (OSError, ValueError, KeyError):
        return False
    return rows == planned and not any(root.glob("failures*.txt"))


def _definitions(out: Path, jobs: Iterable[Job]) -> dict[str, list[str]]:
    record: dict[str, list[str]] = {}
    prefix = str(out) + "/"
    for job in jobs:  # the command without what may change between reruns: --resume, where OUT is
        argv = ["OUT/" + a.removeprefix(prefix) if a.startswith(prefix) else a for a in job.argv if a != "--resume"]
        if job.kind == "render":
            argv = argv[:argv.index("--out")]
        record[str(job.out.relative_to(out))] = argv
    return record


def check_definition(study: Study, out: Path, jobs: list[Job]) -> dict[str, list[str]]:
    """``definition.json`` merged with these jobs; :class:`StudyError` if a folder it records would now be
    made by another command."""
    new = _definitions(out, (j for j in jobs if j.kind != "merge" and j.out.is_relative_to(out)))
    path = out / DEFINITION
    try:
        old = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        raise StudyError(f"{path} is unreadable; it records what made this study's folders") from None
    for folder, argv in new.items():
        if folder in old and old[folder] != argv:
            raise StudyError(f"study {study.name}: {out / folder} was made by `synta {' '.join(old[folder])}`, "
                             f"not `synta {' '.join(argv)}`; use another --out or delete that folder")
    return {**old, **new}


def plan_study(study: Study, out: Path, validate: Callable[[Job], None] | None = None) -> StudyPlan:
    """The jobs of ``study`` in folder ``out``, each checked by ``validate`` (the CLI passes its own option
    parser, so a bad setting fails here, before anything runs)."""
    roots = {name: d.path if d.path is not None else out / "data" / name for name, d in study.datasets.items()}
    renders: list[Job] = []
    merges: list[Job] = []
    used = {d for group in study.runs for d in group.datasets}
    for name, data in study.datasets.items():
        if data.render is None or name not in used:
            continue
        shards, merge = render_jobs(data, roots[name])
        if not dataset_finished(roots[name]):
            renders += shards
            merges += [merge] if merge else []
    benches = bench_jobs(study, out, roots)
    for job in [*renders, *merges, *benches] if validate else []:
        validate(job)
    done = frozenset(j.name for j in benches if (j.out / "results.json").is_file())
    resumed = tuple(dataclasses.replace(j, argv=(*j.argv, "--resume")) if has_progress(j.out) and j.name not in done
                    else j for j in benches)
    return StudyPlan(tuple(renders), tuple(merges), resumed, done, roots)


def record_definition(study: Study, out: Path, plan: StudyPlan) -> None:
    """Check and write ``definition.json`` before the first job starts."""
    used = {j.dataset for j in plan.benches}
    renders = [render_jobs(d, plan.data_roots[name])[0][0] for name, d in study.datasets.items()
               if d.render is not None and name in used]
    write_atomic(out / DEFINITION, json.dumps(check_definition(study, out, [*renders, *plan.benches]), indent=1) + "\n")
