"""Where a study's jobs run: this machine (``local``, N at a time) or a SLURM cluster (``slurm``, via submitit).

Both run each :class:`~synta.benchmark.study.jobs.Job` as its own process and wait for all of them, so the
study moves stage by stage (renders, merges, runs, report) and a rerun picks up whatever failed. Logs go
to ``OUT/logs/<job>.log`` (local) or submitit's ``OUT/logs/submitit/`` (one ``*_log.out``/``.err`` pair per
job). The SLURM executor submits one array job per job kind and resource shape, so independent renders and
runs queue together; the machine that runs ``synta study`` only waits (a login node or a small job).
"""
from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from synta.benchmark.study.jobs import Job
from synta.benchmark.study.spec import StudyError


class Executor(Protocol):
    """Runs jobs and returns the names of those that failed."""

    def run(self, jobs: Sequence[Job]) -> list[str]: ...


def run_command(command: list[str]) -> None:
    """Run one job's command (in a SLURM job: its output goes to submitit's log); fail if it fails."""
    subprocess.run(command, check=True)


class LocalExecutor:
    """Runs ``parallel`` jobs at a time on this machine, each with its output in ``logs/<job>.log``."""

    def __init__(self, logs: Path, parallel: int = 1, echo: Callable[[str], None] = print) -> None:
        self.logs, self.parallel, self.echo = logs, parallel, echo

    def _one(self, job: Job) -> bool:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{job.name}.log"
        self.echo(f"started {job.name} (log: {log})")
        with log.open("ab") as fh:
            code = subprocess.run(job.command(), stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
        if code != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            self.echo(f"FAILED {job.name} (exit {code}): {tail[0]}")
        else:
            self.echo(f"finished {job.name}")
        return code == 0

    def run(self, jobs: Sequence[Job]) -> list[str]:
        with ThreadPoolExecutor(max(1, self.parallel)) as pool:
            ok = list(pool.map(self._one, jobs))
        return [job.name for job, good in zip(jobs, ok) if not good]


class SlurmExecutor:
    """Submits jobs with submitit (``cluster`` ``slurm``; ``local`` or ``debug`` run submitit's own stand-ins,
    which is how the tests exercise this path) and waits for them.

    ``resources`` are per job kind (render, bench): ``cpus``, ``mem_gb``, ``time_min``, ``partition``,
    ``account`` and for renders ``gpus``; a bench job asks for its run group's GPUs on one node.
    """

    def __init__(self, folder: Path, resources: dict[str, dict[str, Any]], cluster: str = "slurm",
                 echo: Callable[[str], None] = print) -> None:
        self.folder, self.resources, self.cluster, self.echo = folder, resources, cluster, echo

    def _executor(self):
        import submitit

        return submitit.AutoExecutor(folder=self.folder, cluster=self.cluster)

    def check(self) -> None:
        """Refuse at once, before anything is written, where the cluster cannot be reached (no ``srun``)."""
        try:
            self._executor()
        except RuntimeError as err:  # submitit: 'Could not detect "srun", are you indeed on a slurm cluster?'
            raise StudyError(f"--executor {self.cluster}: {err}") from None

    def parameters(self, kind: str, gpus: int) -> dict[str, Any]:
        """submitit parameters of one job of ``kind`` asking for ``gpus``."""
        res = self.resources.get("bench" if kind == "bench" else "render", {})
        params: dict[str, Any] = {"name": f"synta-{kind}", "nodes": 1, "tasks_per_node": 1,
                                  "gpus_per_node": gpus if kind == "bench" else res.get("gpus", 0),
                                  "cpus_per_task": res.get("cpus", 4), "mem_gb": res.get("mem_gb", 16),
                                  "timeout_min": res.get("time_min", 240)}
        for key in ("partition", "account"):
            if res.get(key):
                params[f"slurm_{key}"] = res[key]
        return params

    def run(self, jobs: Sequence[Job]) -> list[str]:
        shapes: dict[tuple[str, int], list[Job]] = {}
        for job in jobs:
            shapes.setdefault((job.kind, job.gpus), []).append(job)
        submitted = []
        for (kind, gpus), group in shapes.items():
            executor = self._executor()
            executor.update_parameters(**self.parameters(kind, gpus))
            handles = executor.map_array(run_command, [job.command() for job in group])
            self.echo(f"submitted {len(group)} {kind} job(s): {', '.join(h.job_id for h in handles[:3])}"
                      + (" ..." if len(handles) > 3 else ""))
            submitted += zip(group, handles)
        failed = []
        for job, handle in submitted:
            try:
                handle.result()
                self.echo(f"finished {job.name}")
            except Exception as err:  # a failed or cancelled job, whatever submitit raises for it
                failed.append(job.name)
                self.echo(f"FAILED {job.name} ({type(err).__name__}; log: {handle.paths.stderr})")
        return failed
