"""Running a study stage by stage (renders, merges, runs, report) and describing it for ``--dry-run``."""
from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from synta.benchmark.study.estimate import estimate_jobs, throughput_figures
from synta.benchmark.study.executors import Executor, LocalExecutor, SlurmExecutor
from synta.benchmark.study.jobs import Job, StudyPlan, dataset_finished, record_definition
from synta.benchmark.study.spec import Study, StudyError


def duration(seconds: float) -> str:
    """``1 min``, ``59 min``, ``2.5 h``."""
    return f"{max(1, round(seconds / 60))} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


def describe_plan(study: Study, plan: StudyPlan, executor: Executor) -> str:
    """The ``--dry-run`` text: every job still to run with its resources (on SLURM) and estimate, then
    the totals per kind of hardware."""
    pending = [*plan.renders, *plan.merges, *plan.pending_benches()]
    slurm = isinstance(executor, SlurmExecutor)  # renders get the job's CPUs, not this machine's
    estimates = estimate_jobs(study, pending, plan.data_roots,
                              executor.parameters("render", 0)["cpus_per_task"] if slurm else None)
    lines = [f"study {study.name}: {len(plan.renders)} render job(s), {len(plan.merges)} merge(s), "
             f"{len(plan.pending_benches())} of {len(plan.benches)} run(s) to train ({len(plan.done)} finished); "
             f"executor {type(executor).__name__.removesuffix('Executor').lower()}"]
    render_s, train_s, unknown = 0.0, {}, {}
    for job in pending:
        est = estimates[job.name]
        res = ""
        if slurm and job.kind != "merge":
            p = executor.parameters(job.kind, job.gpus)
            res = f" [{p['gpus_per_node']} GPU, {p['cpus_per_task']} CPU, {p['mem_gb']} GB, {p['timeout_min']} min]"
        lines.append(f"  {job.name}{res}  ~{duration(est.seconds) if est.seconds is not None else '?'} ({est.basis})")
        lines.append(f"      synta {shlex.join(job.argv)}")
        if job.kind == "render" and est.seconds is not None:
            render_s += est.seconds
        elif job.kind == "bench" and est.seconds is not None:
            train_s[est.hardware] = train_s.get(est.hardware, 0.0) + est.seconds * est.devices
        elif job.kind == "bench":
            unknown.setdefault(est.basis, set()).add(job.model)
    hardware = throughput_figures()["hardware"]
    lines.append(f"render: {render_s / 3600:.1f} job-hours")
    for name, seconds in sorted(train_s.items()):
        lines.append(f"training on {name}: {seconds / 3600:.1f} device-hours ({hardware[name]})")
    for why, models in sorted(unknown.items()):
        count = sum(1 for j in plan.pending_benches() if estimates[j.name].basis == why)
        lines.append(f"not estimated: {count} run(s), {why}: {', '.join(sorted(models))}")
    missing = [f"{name} ({d.path})" for name, d in study.datasets.items() if d.path is not None and not d.path.exists()]
    if missing:
        lines.append(f"missing path datasets (needed before a real run): {', '.join(missing)}")
    return "\n".join(lines) + "\n"


def run_study(study: Study, out: Path, plan: StudyPlan, executor: Executor,
              echo: Callable[[str], None] = print) -> tuple[int, str]:
    """Run every unfinished job of ``plan``, then report every finished run into ``out/report``.

    Returns the exit code (0: every run finished, 1: some job failed; what finished is reported) and the
    report's Markdown. A dataset whose render failed holds its runs back; rerun the study to retry.
    """
    missing = [f"{name}: {d.path}" for name, d in study.datasets.items() if d.path is not None and not d.path.exists()]
    if missing:
        raise StudyError(f"study {study.name}: dataset(s) not found: {'; '.join(missing)}")
    record_definition(study, out, plan)
    failed = executor.run(plan.renders)
    blocked = {j.dataset for j in plan.renders if j.name in failed}
    merges = [j for j in plan.merges if j.dataset not in blocked]
    failed += LocalExecutor(out / "logs", 1, echo).run(merges)  # indexing is light: no need to queue it
    for job in [*plan.renders, *merges]:
        if not dataset_finished(job.out):
            blocked.add(job.dataset)
    runs = [j for j in plan.pending_benches() if j.dataset not in blocked]
    held = len(plan.pending_benches()) - len(runs)
    if held:
        echo(f"{held} run(s) held back: their dataset is not complete ({', '.join(sorted(blocked))})")
    failed += executor.run(runs)
    finished = [j for j in plan.benches if (j.out / "results.json").is_file()]
    markdown = _report(study, out, finished, echo)
    if failed or held:
        echo(f"study {study.name}: {len(failed)} job(s) failed ({', '.join(failed[:5])}"
             f"{' ...' if len(failed) > 5 else ''}); rerun the same command to retry them")
        return 1, markdown
    return 0, markdown


def _report(study: Study, out: Path, finished: list[Job], echo: Callable[[str], None]) -> str:
    from synta.benchmark.report import load_runs, write_report

    if not finished:
        return ""
    markdown, written = write_report(load_runs([j.out for j in finished]), out / "report",
                                     study.report.get("factors", ()), study.report.get("paper", False))
    echo(f"reported {len(finished)} run(s): {len(written)} files in {out / 'report'}")
    return markdown
