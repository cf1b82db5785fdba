"""``synta ablate``: controlled variants of one Syn-TA dataset, rendered as exact counterfactual pairs.

A config (YAML) names a ``base`` dataset — the knobs of ``synta render`` plus the sampler's factors — and
the factors to ``vary``, each with a list of values. Each variant is the base with one factor set to one
of its values (or, with ``grid: true``, one combination of every factor's values), rendered by
``synta render`` as its own dataset tree under ``<out>/<variant>/``. Every variant plans the same
classes, clip ids and cameras with the same global seed, and the sampler draws motion, camera, shapes,
colours, lights and distractors from separate random streams, so the clip ``rising/rising1_id_3`` of
every variant has the same seed and motion and differs only in the varied factor (pairs across camera
rigs are the exception: the rig is part of a clip's seed and file name, see ``UNPAIRED``).

``<out>/ablation.json`` indexes the variants (name, dataset folder relative to ``<out>``, the values of
the varied factors, the full settings) for ``synta preview --side-by-side`` and ``synta bench``.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import re
from pathlib import Path
from typing import Any, Callable

import yaml

from synta.errors import InputError
from synta.files import read_text_input, write_atomic
from synta.generator import sample_clip
from synta.generator.lighting import WORKBENCH_LIGHTINGS
from synta.generator.render.backgrounds import background_lists
from synta.generator.render.plan import plan_dataset, select_classes
from synta.generator.render.options import ENGINES
from synta.generator.render.run import RenderConfig, parse_resolution, render_dataset, resolve_engine
from synta.generator.sampler import FACTOR_DEFAULTS
from synta.generator.shapes import shape_names, shape_pool

INDEX_NAME = "ablation.json"
INDEX_SCHEMA = 1
# Sampler factors a config may set (in ``base`` or ``vary``) besides the knobs of ``synta render``.
SPEC_FACTORS = ("speed", "colors", "camera_distance", "frames", "distractors", "distractor_motion", "lighting")
RENDER_KNOBS = ("classes", "set", "n", "seed", "camera", "background", "backgrounds", "objects", "engine",
                "samples", "denoise", "resolution", "fps")
VARIABLE = ("background", "objects", "colors", "camera", "camera_distance", "speed", "frames", "distractors",
            "distractor_motion", "lighting")
UNPAIRED = ("camera",)  # the rig is part of each clip's seed and file name: its variants are not pairs
TOP_KEYS = ("name", "description", "base", "vary", "grid", "reference", "bench")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class AblationError(InputError):
    """A config that cannot be used; the message names the config and the problem."""


@dataclasses.dataclass(frozen=True)
class Variant:
    """One dataset of an ablation: its name, folder (relative to the output), varied values and config."""

    name: str
    dir: str
    values: dict[str, Any]
    config: RenderConfig


@dataclasses.dataclass(frozen=True)
class Ablation:
    """A parsed, checked ablation config."""

    name: str
    description: str
    factors: list[str]
    grid: bool
    reference: str
    variants: list[Variant]
    raw: dict[str, Any]

    def index(self) -> dict[str, Any]:
        """The content of ``ablation.json`` (no timestamps: a rerun writes the same file)."""
        return {"schema": INDEX_SCHEMA, "name": self.name, "description": self.description,
                "factors": self.factors, "grid": self.grid, "reference": self.reference,
                "paired": not set(self.factors) & set(UNPAIRED),
                "variants": [{"name": v.name, "dir": v.dir, "values": v.values, "settings": settings(v.config)}
                             for v in self.variants],
                "bench": self.raw.get("bench"), "config": self.raw}


def settings(cfg: RenderConfig) -> dict[str, Any]:
    """What defines a variant's dataset (a RenderConfig without where and how fast it is rendered)."""
    skip = {"out", "workers", "num_shards", "shard_id"}
    out = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in skip}
    out["backgrounds"] = str(cfg.backgrounds) if cfg.backgrounds else None
    out["resolution"] = list(cfg.resolution)
    return out


def load_ablation(path: Path, out: Path, workers: int) -> Ablation:
    """Parse and check the config at ``path``; variants render into ``out/<variant>`` with ``workers``.

    Raises AblationError (a ValueError) naming the config for anything wrong with it: YAML syntax, an
    unknown key or factor, an empty or repeated value list, a value the sampler or renderer refuses.
    """
    try:
        raw = yaml.safe_load(read_text_input(path, AblationError))
    except OSError as err:
        raise AblationError(f"cannot read ablation config {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise AblationError(f"{path}: not valid YAML{where}") from None
    try:
        return _parse(raw, Path(path), Path(out), workers)
    except (ValueError, KeyError) as err:
        msg = err.args[0] if isinstance(err, KeyError) else str(err)
        raise AblationError(f"{path}: {msg}") from None


def _parse(raw: Any, path: Path, out: Path, workers: int) -> Ablation:
    if not isinstance(raw, dict):
        raise ValueError("the config must be a mapping with 'base' and 'vary'")
    _known(raw, TOP_KEYS, "key")
    base = raw.get("base") or {}
    if not isinstance(base, dict):
        raise ValueError("'base' must be a mapping of render settings")
    _known(base, RENDER_KNOBS + SPEC_FACTORS, "base setting")
    vary = raw.get("vary")
    if not isinstance(vary, dict) or not vary:
        raise ValueError(f"'vary' must map one or more factors ({', '.join(VARIABLE)}) to lists of values")
    _known(vary, VARIABLE, "factor to vary")
    grid = raw.get("grid", False)
    if not isinstance(grid, bool):
        raise ValueError(f"'grid' must be true or false, got {grid!r}")
    if "bench" in raw and not isinstance(raw["bench"], dict):
        raise ValueError("'bench' must be a mapping (read by synta bench --ablation)")
    choices = {factor: _values(factor, values) for factor, values in vary.items()}

    if grid:
        combos = [dict(zip(choices, combo)) for combo in itertools.product(*(c.items() for c in choices.values()))]
        named = [("_".join(name for name, _ in combo.values()), {f: v for f, (_, v) in combo.items()})
                 for combo in combos]
    else:
        named = [(name, {factor: value}) for factor, c in choices.items() for name, value in c.items()]
    variants: list[Variant] = []
    folders: dict[str, str] = {}  # settings (as JSON) -> folder: equal variants share one dataset
    for name, values in named:
        if any(v.name == name for v in variants):
            raise ValueError(f"two variants are named {name!r}; name the values (value: name mappings)")
        cfg = _config({**base, **values}, path.parent, out / name, workers)
        key = json.dumps(settings(cfg), sort_keys=True)
        folder = folders.setdefault(key, name)
        variants.append(Variant(name, folder, values, dataclasses.replace(cfg, out=out / folder)))
    for cfg in {v.dir: v.config for v in variants}.values():
        _check(cfg)

    reference = raw.get("reference", variants[0].name)
    if reference not in {v.name for v in variants}:
        raise ValueError(f"reference {reference!r} is not a variant; variants: {', '.join(v.name for v in variants)}")
    return Ablation(name=str(raw.get("name") or path.stem), description=str(raw.get("description") or ""),
                    factors=list(choices), grid=grid, reference=reference, variants=variants, raw=raw)


def _known(mapping: dict, allowed: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(map(str, mapping)) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r}; known: {', '.join(allowed)}")


def _values(factor: str, values: Any) -> dict[str, Any]:
    """A factor's values by variant name: a list gets names ``<factor>-<value>``, a mapping names its own."""
    if isinstance(values, dict):
        pairs = [(str(name), value) for name, value in values.items()]
    elif isinstance(values, list):
        pairs = [(f"{factor}-{_slug(value)}", value) for value in values]
    else:
        raise ValueError(f"vary.{factor} must be a list of values (or a mapping of variant names to values)")
    if not pairs:
        raise ValueError(f"vary.{factor} lists no values")
    if len({json.dumps(v, sort_keys=True) for _, v in pairs}) < len(pairs):
        raise ValueError(f"vary.{factor} lists a value twice")
    for name, _ in pairs:
        if not _NAME.match(name):
            raise ValueError(f"variant name {name!r} must be letters, digits, '.', '_' or '-'")
    return dict(pairs)


def _slug(value: Any) -> str:
    text = Path(value).name if isinstance(value, str) and "/" in value else str(value)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "value"


def _config(values: dict[str, Any], root: Path, out: Path, workers: int) -> RenderConfig:
    """The RenderConfig of one variant's settings (base merged with its varied values)."""
    background, backgrounds = str(values.get("background", "realistic")), values.get("backgrounds")
    if background not in ("plain", "realistic"):  # a folder of scene images
        background, backgrounds = "realistic", background
    classes = values.get("classes") or []
    classes = classes.split(",") if isinstance(classes, str) else [str(c) for c in classes]
    factors = {k: values[k] for k in SPEC_FACTORS if k in values and values[k] != FACTOR_DEFAULTS[k]}
    try:
        return RenderConfig(
            out=out, n=int(values.get("n", 10000)), classes=[c.strip() for c in classes if c.strip()],
            set_id=int(values["set"]) if values.get("set") is not None else None,
            camera=str(values.get("camera", "both")), background=background,
            backgrounds=(root / str(backgrounds)).resolve() if backgrounds else None,
            objects=str(values.get("objects", "set")), seed=int(values.get("seed", 0)),
            engine=str(values.get("engine", "auto")), samples=int(values.get("samples", 16)),
            denoise=bool(values.get("denoise", True)), resolution=parse_resolution(str(values.get("resolution", 256))),
            fps=int(values["fps"]) if values.get("fps") else None, workers=workers, factors=factors)
    except (TypeError, ValueError) as err:
        raise ValueError(f"bad base setting: {err}") from None


def _check(cfg: RenderConfig) -> None:
    """Everything ``synta render`` would refuse, found before the first variant renders."""
    if cfg.set_id not in (None, 1, 2):
        raise ValueError(f"set must be 1 or 2, got {cfg.set_id}")
    if cfg.engine not in ENGINES:
        raise ValueError(f"engine must be {', '.join(ENGINES[:-1])} or {ENGINES[-1]}, got {cfg.engine!r}")
    if cfg.objects != "set" and cfg.objects not in shape_names():
        shape_pool(cfg.objects)  # KeyError naming the pools
    jobs = plan_dataset(cfg.n, select_classes(cfg.classes, cfg.set_id), cfg.camera)
    if cfg.background == "realistic":
        background_lists(cfg.backgrounds)
    sample_clip(jobs[0].fine, 1, camera=jobs[0].camera, seed=cfg.seed, background=cfg.background,
                objects=cfg.objects, resolution=cfg.resolution, **({"fps": cfg.fps} if cfg.fps else {}),
                **cfg.factors)
    lighting = cfg.factors.get("lighting", "default")
    if lighting not in WORKBENCH_LIGHTINGS and resolve_engine(cfg.engine)[0] == "workbench":
        raise ValueError(f"lighting {lighting!r} would look the same: the workbench engine lights objects with "
                         f"its studio light and shows only the shadow direction ({', '.join(WORKBENCH_LIGHTINGS)}); "
                         "use engine: cycles or eevee")


def write_index(ablation: Ablation, out: Path) -> Path:
    """Write ``out/ablation.json`` atomically; refuse a folder holding a different ablation."""
    path = out / INDEX_NAME
    index = json.loads(json.dumps(ablation.index(), default=str))  # as it reads back
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            old = None
        if old is not None and old.get("variants") != index["variants"]:
            raise ValueError(f"{out} holds a different ablation (see its {INDEX_NAME}); use another --out")
    write_atomic(path, json.dumps(index, indent=2, default=str) + "\n")  # YAML may hold dates
    return path


def run_ablation(ablation: Ablation, out: Path, dry_run: bool = False,
                 echo: Callable[[str], None] = print) -> int:
    """Render every variant (resuming finished clips); returns the worst ``synta render`` exit code."""
    if not dry_run:
        out.mkdir(parents=True, exist_ok=True)
        write_index(ablation, out)
    code, done = 0, set()
    for i, v in enumerate(ablation.variants, 1):
        values = ", ".join(f"{k}={val}" for k, val in v.values.items())
        if v.dir in done:
            echo(f"[{i}/{len(ablation.variants)}] {v.name} ({values}): same dataset as {v.dir}/")
            continue
        done.add(v.dir)
        echo(f"[{i}/{len(ablation.variants)}] {v.name} ({values}) -> {v.config.out}")
        if dry_run:  # one summary line per variant; the per-clip plan is the same for every variant
            lines: list[str] = []
            render_dataset(v.config, dry_run=True, echo=lines.append)
            echo(f"  {lines[-1]}")
        else:
            code = max(code, render_dataset(v.config, echo=lambda line: echo(f"  {line}")))
    if not dry_run:
        echo(f"{out / INDEX_NAME}: {len(ablation.variants)} variants of {', '.join(ablation.factors)}"
             + ("" if ablation.index()["paired"] else " (camera rigs: variants are not clip-for-clip pairs)"))
    return code


def read_index(path: Path) -> tuple[Path, dict[str, Any]]:
    """An ablation's folder and index, from the folder or its ``ablation.json``."""
    path = Path(path)
    index_path = path / INDEX_NAME if path.is_dir() else path
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError):
        index = None
    if not isinstance(index, dict) or not isinstance(index.get("variants"), list):
        raise ValueError(f"{index_path} is not a readable {INDEX_NAME} (made by synta ablate)")
    return index_path.parent, index
