"""The error contract of every ``synta`` command, in one place.

Library code raises :class:`InputError` (or a subclass) when what the user gave is wrong: a bad option
value, a malformed or hostile input file, a path that escapes its folder, an output folder that is in use
or holds another run. The message is one line and names the file (and line) at fault. The command line
prints it as ``synta: error: <message>`` and exits with code 2.

Anything else that stops a command (an OSError such as a full disk, a render that fails, a
:class:`RuntimeFailure`) is a runtime failure: one line too, exit code 1. Only a bug shows a traceback.
"""
from __future__ import annotations

EXIT_INPUT = 2  # usage and input errors
EXIT_RUNTIME = 1  # runtime failures


class InputError(ValueError):
    """Bad usage or bad input (exit code 2); ``str()`` is one line naming the file and line at fault."""

    exit_code = EXIT_INPUT


class RuntimeFailure(RuntimeError):
    """A run that could not finish for a reason other than its input (exit code 1)."""

    exit_code = EXIT_RUNTIME


def one_line(err: BaseException) -> str:
    """The first line of ``err``'s message (or its type name), for error messages built from foreign errors."""
    text = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return text.strip().splitlines()[0] if text.strip() else type(err).__name__
