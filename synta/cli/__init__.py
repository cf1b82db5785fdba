"""The ``synta`` command line: one click group, one module per command group, each a thin layer.

Error contract (see :mod:`synta.errors`): every failure is one line on stderr, ``synta: error: ...``.
Usage and input errors (click's own, :class:`~synta.errors.InputError`) exit with code 2; runtime failures
(:class:`~synta.errors.RuntimeFailure`, an ``OSError`` such as a full disk) exit with code 1; Ctrl-C exits
with 130. Only a bug shows a traceback.
"""
from __future__ import annotations

import sys

import click

from synta import __version__
from synta.cli.ablate import ablate
from synta.cli.bench import bench, models
from synta.cli.data import data
from synta.cli.features import features
from synta.cli.preview import preview
from synta.cli.render import classes, render, spec
from synta.cli.report import report
from synta.cli.study import study
from synta.cli.weights import weights
from synta.errors import InputError, RuntimeFailure, one_line


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="synta")
def cli() -> None:
    """Motion transferability toolkit: the Syn-TA generator and the transfer benchmark."""


for _command in (classes, spec, render, data, features, ablate, preview, report, bench, models, study, weights):
    cli.add_command(_command)


def _fail(message: str, code: int) -> None:
    click.echo(f"synta: error: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and apply the error contract above."""
    try:
        cli.main(args=argv, prog_name="synta", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("synta: aborted", err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as err:
        click.echo(err.ctx.get_help())
    except click.ClickException as err:
        _fail(err.format_message(), err.exit_code)
    except InputError as err:
        _fail(one_line(err), err.exit_code)
    except (RuntimeFailure, OSError) as err:
        _fail(one_line(err), 1)
