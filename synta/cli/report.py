"""``synta report RUN_DIR...`` (registered on the ``synta`` command in ``synta/cli/__init__.py``).

The work is in :mod:`synta.benchmark.report`; this module turns its errors into click errors, which
``synta``'s entry point prints as one ``synta: error:`` line with exit code 2.
"""
from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, metavar="RUN_DIR...", type=click.Path(path_type=Path))
@click.option("--out", default="report", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for tables.md, tables.tex, coarse.csv, fine.csv and the PNG plots.")
@click.option("--factor", "factors", multiple=True, metavar="NAME",
              help="Also tabulate coarse KC/UC/HM by this dataset factor (a key of the runs' variant, e.g. "
                   "objects); repeatable.")
@click.option("--paper", is_flag=True,
              help="Put the paper's published numbers (assets/paper/results.yaml) and ours − paper under each "
                   "row of the coarse and fine tables and CSV files (– where the paper has none), mark runs "
                   "whose setting differs (tiny variant, zero-shot, epochs / input size / frames other than "
                   "the recipe's, from the run's config.yaml), and mark the paper's values on the known/unknown "
                   "plots.")
def report(run_dirs: tuple[Path, ...], out: Path, factors: tuple[str, ...], paper: bool) -> None:
    """Aggregate `synta bench` runs (folders holding results.json) into the paper's tables and plots.

    Runs of one model on the same data with different seeds are shown as mean ± std. Tables: coarse
    (KC, UC, D_abs, D_rel, HM) and fine (K, U, D_abs, HM) per dataset, per set direction, and plain vs
    realistic backgrounds when the Syn-TA runs have both. Plots: known vs unknown bars, per-class known vs
    unknown accuracy per run and direction, and confusion matrices of the unknown sets. --paper compares
    the coarse and fine tables with the paper's numbers.
    """
    from synta.benchmark.report import load_runs, write_report
    from synta.benchmark.results import ResultsError

    try:
        runs = load_runs(run_dirs)
    except (FileNotFoundError, ResultsError) as err:
        raise click.BadParameter(str(err), param_hint="RUN_DIR") from None
    try:
        markdown, written = write_report(runs, out, factors, paper)
    except (ValueError, KeyError) as err:
        raise click.UsageError(str(err.args[0] if isinstance(err, KeyError) else err)) from None
    click.echo(markdown, nl=False)
    click.echo(f"wrote {len(written)} files to {out}", err=True)
