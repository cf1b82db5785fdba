"""``synta study``: the CLI of :mod:`synta.benchmark.study` (parse, plan, run here or on SLURM)."""
from __future__ import annotations

from pathlib import Path

import click

EXECUTOR_CHOICES = ("local", "slurm", "submitit-local")


def _validator(study_name: str):
    """Checks a job's command line with the real ``synta`` option parsers, without running it."""
    from synta.benchmark.study.spec import StudyError
    from synta.cli import cli

    root = click.Context(cli, info_name="synta")

    def validate(job) -> None:
        command = cli.get_command(root, job.argv[0])
        try:
            command.make_context(job.argv[0], list(job.argv[1:]), parent=root)
        except click.NoSuchOption as err:
            raise StudyError(f"study {study_name}: {job.name}: `synta {job.argv[0]}` has no option {err.option_name} "
                             "(settings are its options' long names, e.g. no_denoise: true)") from None
        except click.ClickException as err:
            raise StudyError(f"study {study_name}: {job.name}: {err.format_message()}") from None

    return validate


@click.command()
@click.argument("name", default="mini")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Study folder [default: studies/NAME].")
@click.option("--executor", type=click.Choice(EXECUTOR_CHOICES), default="local", show_default=True,
              help="Where jobs run: this machine, a SLURM cluster through submitit, or submitit's local "
                   "stand-in (to try a SLURM study on one machine).")
@click.option("--jobs", "parallel", default=1, show_default=True, type=click.IntRange(1),
              help="local: how many jobs run at once.")
@click.option("--partition", help="slurm: partition for every job (overrides the study's resources).")
@click.option("--account", help="slurm: account for every job (overrides the study's resources).")
@click.option("--dry-run", is_flag=True, help="Print every job still to run, its resources and a time estimate.")
def study(name: str, out: Path | None, executor: str, parallel: int, partition: str | None, account: str | None,
          dry_run: bool) -> None:
    """Run a study: render its datasets, train its runs, report them. Rerun the command to resume.

    NAME is a shipped study (`mini`: the paper's coarse transfer experiment in miniature, under 30 minutes
    on a 2-core CPU; `paper_transfer`, `paper_disentangle`: the paper's published tables) or a study YAML file.
    """
    from synta.benchmark.study.executors import LocalExecutor, SlurmExecutor
    from synta.benchmark.study.jobs import plan_study
    from synta.benchmark.study.run import describe_plan, run_study
    from synta.benchmark.study.spec import load_study

    spec = load_study(name)
    out = out or Path("studies") / spec.name
    plan = plan_study(spec, out, _validator(spec.name))
    if executor == "local":
        runner = LocalExecutor(out / "logs", parallel, click.echo)
    else:
        resources = {kind: {**res, **{k: v for k, v in (("partition", partition), ("account", account)) if v}}
                     for kind, res in spec.resources.items()}
        runner = SlurmExecutor(out / "logs" / "submitit", resources,
                               "slurm" if executor == "slurm" else "local", click.echo)
    if dry_run:
        click.echo(describe_plan(spec, plan, runner), nl=False)
        return
    if isinstance(runner, SlurmExecutor):
        runner.check()
    code, markdown = run_study(spec, out, plan, runner, click.echo)
    click.echo(markdown, nl=False)
    raise SystemExit(code)
