"""Training checkpoints: atomic writes, ``weights_only`` loading, and the random state for exact resume.

A checkpoint holds only tensors, numbers, strings and containers of them, so it loads with
``torch.load(weights_only=True)`` (no pickled code runs). It is written to a temporary name, fsynced and
renamed (then its folder fsynced), so neither a run killed while saving nor a power loss leaves a
half-written checkpoint. A file that is not such a checkpoint (truncated, text, a foreign or hostile
pickle) raises :class:`CheckpointError`, one line, whatever went wrong inside ``torch.load``.
"""
from __future__ import annotations

import os
import random
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from synta.errors import InputError, one_line
from synta.files import replace_durably

FORMAT = "synta-checkpoint/1"
RESUME_KEYS = ("epoch", "step", "best", "model", "optimizer", "scheduler", "scaler", "rng")  # what a resume reads


class CheckpointError(InputError):
    """A file that is not a loadable synta training checkpoint; the message names it."""


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write ``state`` (plus the format tag) to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        torch.save({"format": FORMAT, **state}, tmp)
        replace_durably(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_checkpoint(path: str | Path, require: tuple[str, ...] = ("model",)) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (CPU tensors) that holds the keys ``require``
    (:data:`RESUME_KEYS` for a resume) and a ``model`` state dict of tensors.

    Raises ``FileNotFoundError`` if there is no file, :class:`CheckpointError` for anything else that is
    not such a checkpoint (never runs pickled code: ``weights_only=True``).
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"no checkpoint at {path}") from None
    if not stat.S_ISREG(mode):
        raise CheckpointError(f"{path}: not a regular file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # unpickling fails in many types (UnpicklingError, RuntimeError, EOFError, ...)
        raise CheckpointError(f"{path}: not a loadable checkpoint ({type(err).__name__}: {one_line(err)[:200]})") \
            from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a synta training checkpoint")
    missing = [k for k in require if k not in state]
    if missing:
        raise CheckpointError(f"{path}: incomplete checkpoint (no {', '.join(missing)})")
    model = state.get("model")
    if "model" in require and not (isinstance(model, Mapping)
                                   and all(isinstance(v, torch.Tensor) for v in model.values())):
        raise CheckpointError(f"{path}: its model entry is not a state dict of tensors")
    return state


def rng_state() -> dict[str, Any]:
    """Python's, NumPy's and torch's global generator states in a ``weights_only``-loadable form."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` captured."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
