"""``synta bench --ablation INDEX``: run the protocol on every variant of a ``synta ablate`` output.

Two modes (the ablation config's ``bench: {mode: ...}`` section, or ``--ablation-mode``):

- ``each``: train and evaluate on every variant (does the transfer gap change with the factor?);
- ``transfer``: train once on one variant (``bench: {train: NAME}``, default the config's ``reference``)
  and evaluate those weights on every variant (which context cue does the trained model rely on?).

Each variant gets its own run folder ``<output>/<variant>/`` (the variant name slugged, so a name from the
index can never point outside ``<output>``; its ``dir`` must lie inside the index's folder) with the usual ``results.json`` (whose
``variant`` holds the variant's dataset factors, so ``synta report --factor <factor>`` tabulates them);
``<output>/ablation_runs.json`` maps each variant to its run folder (variants whose settings are equal
share one dataset and, in ``each`` mode, one run).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from synta.benchmark.bench import BenchConfig, BenchError, run_bench
from synta.benchmark.engine import DistEnv
from synta.files import write_atomic
from synta.paths import PathEscapeError, inside, slug

MODES = ("each", "transfer")


def read_index(path: Path) -> dict[str, Any]:
    """An ``ablation.json`` (or the folder holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / "ablation.json"
    try:
        index = json.loads(path.read_text())
    except FileNotFoundError:
        raise BenchError(f"--ablation: no ablation index at {path} (made by `synta ablate`)") from None
    except ValueError as err:
        raise BenchError(f"--ablation {path}: not JSON ({err})") from None
    if not isinstance(index, dict) or not isinstance(index.get("variants"), list) or not index["variants"] \
            or not isinstance(index.get("name"), str):
        raise BenchError(f"--ablation {path}: not a synta ablation index")
    return {**index, "root": str(path.parent), "path": str(path)}


def variant_roots(index: dict[str, Any]) -> dict[str, Path]:
    """``{variant name: its dataset folder}``, each folder checked to lie inside the index's folder
    (symlinks followed). Raises :class:`BenchError` naming the index and the variant."""
    roots: dict[str, Path] = {}
    for i, v in enumerate(index["variants"]):
        where = f"--ablation {index['path']}: variants[{i}]"
        if not isinstance(v, dict) or not isinstance(v.get("name"), str) or not isinstance(v.get("dir"), str):
            raise BenchError(f"{where}: expected {{\"name\": ..., \"dir\": ...}} strings")
        if v["name"] in roots:
            raise BenchError(f"{where}: variant {v['name']!r} appears twice")
        try:
            roots[v["name"]] = inside(index["root"], v["dir"])
        except PathEscapeError as err:
            raise BenchError(f"{where}: {err}") from None
    return roots


def run_ablation(index_path: Path, base: BenchConfig, env: DistEnv, mode: str | None = None) -> dict[str, Any] | None:
    """Run ``base`` (its model, tasks, recipe overrides, seed) on the variants of an ablation; returns the
    per-variant results, or None if ``stop_after`` stopped a training early."""
    index = read_index(index_path)
    settings = index.get("bench") or {}
    if not isinstance(settings, dict):
        raise BenchError(f"--ablation {index['path']}: its bench section is not a mapping")
    mode = mode or settings.get("mode", "each")
    if mode not in MODES:
        raise BenchError(f"ablation bench mode must be one of {MODES}, got {mode!r}")
    variants = variant_roots(index)
    out = base.output or Path("runs") / slug(f"{base.model}_{index['name']}")
    runs: dict[str, Any] = {}
    folders: dict[str, str] = {}  # variant → its run folder (variants with equal settings share a dataset)
    if mode == "each":
        first_on: dict[Path, str] = {}
        for name, root in variants.items():
            if root in first_on:
                runs[name], folders[name] = runs[first_on[root]], slug(first_on[root])
                continue
            first_on[root], folders[name] = name, slug(name)
            runs[name] = run_bench(dataclasses.replace(base, data_root=root, output=out / slug(name)), env)
            if runs[name] is None:
                return None
    else:
        train = settings.get("train") or index.get("reference") or next(iter(variants))
        if not isinstance(train, str) or train not in variants:
            raise BenchError(f"ablation {index['name']}: no variant {train!r} to train on")
        trained = out / slug(train)
        runs[train] = run_bench(dataclasses.replace(base, data_root=variants[train], output=trained), env)
        if runs[train] is None:
            return None
        folders = {name: slug(name) for name in variants}
        for name, root in variants.items():
            if name != train:
                runs[name] = run_bench(dataclasses.replace(base, data_root=root, output=out / slug(name),
                                                           eval_from=trained, stop_after=None), env)
    if env.is_main:
        write_atomic(out / "ablation_runs.json", json.dumps(
            {"ablation": index["name"], "factors": index.get("factors", []), "mode": mode,
             "trained_on": None if mode == "each" else train, "runs": folders}, indent=1) + "\n")
    return runs
