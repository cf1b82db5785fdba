"""Paths and names that come from data files: kept inside their root, made safe as file names.

Any path read from a file (a manifest row, a split list, ``ablation.json``, ``results.json``, a study YAML)
is checked before anything is read or written there: :func:`inside` (symlinks followed) for anything
that is written or copied to, :func:`relative` (lexical, so that a dataset folder may be a symlink to a
big disk) for what is only read. Any output name derived from data goes through :func:`slug`.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from synta.errors import InputError

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")
MAX_SLUG = 100  # well under the 255-byte file-name limit, leaving room for prefixes and suffixes


class PathEscapeError(InputError):
    """A path from a data file that is absolute or resolves outside its root."""


def _where(source: str | Path | None, line: int | None) -> str:
    if source is None:
        return ""
    return f"{source}:{line}: " if line is not None else f"{source}: "


def _check_text(text: str, where: str) -> None:
    if not text or text.strip() in ("", "."):
        raise PathEscapeError(f"{where}empty path")
    if "\x00" in text:
        raise PathEscapeError(f"{where}path {text!r} holds a NUL byte")


def _is_absolute(text: str) -> bool:
    return PurePosixPath(text).is_absolute() or bool(PureWindowsPath(text).drive or PureWindowsPath(text).root)


def relative(relpath: str, source: str | Path | None = None, line: int | None = None) -> str:
    """``relpath`` if it is a relative path that stays below its root without following symlinks: not
    empty, no NUL byte, not absolute, and no ``..`` that climbs above the start. Raises
    :class:`PathEscapeError` naming ``source`` and ``line``."""
    text = str(relpath)
    where = _where(source, line)
    _check_text(text, where)
    if _is_absolute(text):
        raise PathEscapeError(f"{where}path {text!r} is absolute; paths must be relative to their root")
    depth = 0
    for part in text.replace("\\", "/").split("/"):
        depth += -1 if part == ".." else part not in ("", ".")
        if depth < 0:
            raise PathEscapeError(f"{where}path {text!r} climbs out of its root with '..'")
    return text


def inside(root: str | Path, relpath: str | Path, source: str | Path | None = None, line: int | None = None) -> Path:
    """``root / relpath`` resolved (symlinks followed), which must lie strictly inside ``root`` (resolved).

    ``source`` and ``line`` say where ``relpath`` was read, for the message. Raises :class:`PathEscapeError`
    for an empty or absolute ``relpath`` (POSIX or Windows style), a NUL byte, or a path that resolves
    outside ``root`` (through ``..`` or a symlink). The target need not exist.
    """
    text = str(relpath)
    where = _where(source, line)
    _check_text(text, where)
    if _is_absolute(text):
        raise PathEscapeError(f"{where}path {text!r} is absolute; paths must be relative to {root}")
    base = Path(root).resolve()
    try:
        target = (base / text).resolve()
    except (OSError, RuntimeError) as err:  # a symlink loop
        raise PathEscapeError(f"{where}path {text!r} does not resolve ({err})") from None
    if target == base or not target.is_relative_to(base):
        raise PathEscapeError(f"{where}path {text!r} resolves to {target}, outside {base}")
    return target


def slug(name: str) -> str:
    """A file-name-safe form of ``name``: ASCII letters, digits and ``._+-``; other runs become ``_``.

    A name that is already safe is returned unchanged; otherwise a short hash of the original is appended,
    so two different names never share a slug. Never empty, never ``.``/``..``, never starts with ``.`` or
    ``-`` (no hidden files, nothing that reads as an option), at most :data:`MAX_SLUG` characters.
    """
    name = str(name)
    safe = _UNSAFE.sub("_", name).lstrip(".-")[:MAX_SLUG]
    if safe == name and safe:
        return safe
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{safe[:MAX_SLUG - 9]}-{digest}" if safe else digest
