"""Training recipes: the per-model settings of ``assets/models/<config>.yaml`` and their overrides.

A recipe file has the sections ``model`` (builder keyword arguments), ``clip`` and ``transform`` (how
samples are made, see :class:`~synta.benchmark.data.dataset.ClipConfig`), ``optim`` and ``train``, an
optional ``data`` section (``source: features`` feeds cached clip features instead of decoded video, see
:mod:`synta.benchmark.features`), and an optional ``tiny`` section of overrides used by the model's
``_tiny`` variant. Defaults follow the reference's configs (docs/reference.md#training-settings). Command-line options
override single fields last (``--set SECTION.KEY=VALUE``, parsed by :func:`parse_sets`).

Every value is checked against its field's type before anything runs: numbers must be finite, integers
must be integers (``2.5`` is not a batch size), booleans must be booleans, and ``model`` settings must be
ones the model's recipe file names. Errors are :class:`RecipeError`, one line each.
"""
from __future__ import annotations

import copy
import math
import types
import typing
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from typing import Any

import yaml

from synta.benchmark.data.dataset import ClipConfig
from synta.benchmark.data.transforms import TransformConfig
from synta.errors import InputError, one_line

OPTIMIZERS = ("sgd", "adamw", "adam")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
SECTIONS = ("model", "clip", "transform", "optim", "train", "data")
_FREE_SECTIONS = ("model", "data")  # keys checked against the recipe file (model) or by their consumer (data)


class RecipeError(InputError):
    """A recipe setting of the wrong name, type or value (also a ``ValueError``)."""


@dataclass(frozen=True)
class OptimConfig:
    """Optimiser and schedule: linear warm-up from ``lr·warmup_start_factor`` over ``warmup_epochs``
    (fractional epochs allowed), then cosine decay to ``min_lr`` at the last epoch; stepped every optimiser
    step. Norm and bias parameters get no weight decay."""

    name: str = "sgd"
    lr: float = 0.1
    weight_decay: float = 1e-4
    momentum: float = 0.9
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    warmup_epochs: float = 0.0
    warmup_start_factor: float = 0.1
    min_lr: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.name!r}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")


@dataclass(frozen=True)
class TrainConfig:
    """Loop settings. ``batch_size`` is per process and per optimiser micro-step; the effective batch is
    ``batch_size × accumulate × world size``. ``ema``: decay of an exponential moving average of the
    weights used for evaluation (None: off). ``precision``: ``auto`` is bf16 on CUDA and fp32 on CPU."""

    epochs: int = 30
    batch_size: int = 8
    eval_batch_size: int = 16
    accumulate: int = 1
    label_smoothing: float = 0.0
    clip_grad: float | None = None
    ema: float | None = None
    precision: str = "auto"
    eval_every: int = 1

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.eval_batch_size < 1 or self.accumulate < 1:
            raise ValueError("epochs, batch sizes and accumulate must be at least 1")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")


@dataclass(frozen=True)
class Recipe:
    """A resolved recipe."""

    model: dict[str, Any]
    clip: ClipConfig
    optim: OptimConfig
    train: TrainConfig
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (what ``config.yaml`` of a run folder holds)."""
        clip = asdict(self.clip)
        transform = clip.pop("transform")
        return {"model": dict(self.model), "clip": clip, "transform": transform,
                "optim": asdict(self.optim), "train": asdict(self.train), "data": dict(self.data)}


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated recursively with ``override`` (copies; dict values merge, others replace)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) \
            else copy.deepcopy(value)
    return out


def read_recipe_file(config: str) -> dict[str, Any]:
    """The raw YAML of ``assets/models/<config>.yaml``."""
    path = resources.files("synta.assets") / "models" / f"{config}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no recipe assets/models/{config}.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters (user input is echoed in one-line messages)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return f"a list of {len(typing.get_args(hint))} ({', '.join(_type_name(a) for a in typing.get_args(hint))})"
    return {int: "an integer", float: "a number", bool: "true/false", str: "a string", type(None): "null"}.get(
        hint, getattr(hint, "__name__", str(hint)))


def _coerce(value: Any, hint: Any) -> tuple[bool, Any]:
    """``(ok, value)``: whether ``value`` fits the type ``hint``, and the value in that type's form (lists
    become tuples, integers become floats for float fields)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            ok, out = _coerce(value, arg)
            if ok:
                return True, out
        return False, value
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            return False, value
        items = [_coerce(v, a) for v, a in zip(value, args)]
        return all(ok for ok, _ in items), tuple(v for _, v in items)
    if hint is type(None):
        return value is None, value
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return ok, float(value) if ok else value
    if hint is str:
        return isinstance(value, str), value
    return True, value  # nested configs (ClipConfig.transform) are built and checked by their own _build


def _build(cls: type, section: str, values: Any) -> Any:
    if not isinstance(values, dict):
        raise RecipeError(f"recipe section {section} must be a mapping of settings, got {_short(values)}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise RecipeError(f"unknown {section} setting(s): {', '.join(sorted(map(str, unknown)))} "
                          f"(known: {', '.join(sorted(known))})")
    checked = {}
    for key, value in values.items():
        ok, checked[key] = _coerce(value, hints[key])
        if not ok:
            what = "not finite" if isinstance(value, float) and not math.isfinite(value) else f"got {_short(value)}"
            raise RecipeError(f"{section}.{key} must be {_type_name(hints[key])}, {what}")
    try:
        return cls(**checked)
    except RecipeError:
        raise
    except (TypeError, ValueError) as err:  # the config's own range checks
        raise RecipeError(f"{section}: {one_line(err)}") from None


def parse_sets(items: Iterable[str]) -> dict[str, Any]:
    """Recipe overrides from ``--set SECTION.KEY=VALUE`` items (VALUE is YAML: ``0.01``, ``[0.9, 0.98]``,
    ``null``, ``true``), as the nested dict :func:`resolve_recipe` takes.

    Checks the form, the section and (except for ``model`` and ``data``, which depend on the model) the
    key; numbers YAML reads as strings (``1e-3``, ``nan``) become floats so that their type check says
    what is wrong. Types and values are checked by :func:`resolve_recipe`. Raises :class:`RecipeError`.
    """
    overrides: dict[str, Any] = {}
    for item in items:
        dotted, sep, raw = str(item).partition("=")
        section, _, key = dotted.strip().partition(".")
        if not sep or not key or "." in key:
            raise RecipeError(f"--set {_short(item)}: expected SECTION.KEY=VALUE (e.g. optim.weight_decay=0.01)")
        if section not in SECTIONS:
            raise RecipeError(f"--set {_short(item)}: unknown section {_short(section)} (one of {', '.join(SECTIONS)})")
        if section not in _FREE_SECTIONS:
            cls = {"clip": ClipConfig, "transform": TransformConfig, "optim": OptimConfig, "train": TrainConfig}
            known = {f.name for f in fields(cls[section])} - {"transform"}
            if key not in known:
                raise RecipeError(f"--set {_short(item)}: unknown {section} setting {_short(key)} "
                                  f"(known: {', '.join(sorted(known))})")
        try:
            value = yaml.safe_load(raw)
        except (yaml.YAMLError, RecursionError, ValueError) as err:
            raise RecipeError(f"--set {_short(item)}: not a YAML value ({one_line(err)})") from None
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
        overrides.setdefault(section, {})[key] = value
    return overrides


def resolve_recipe(raw: dict[str, Any], tiny: bool = False, overrides: dict[str, Any] | None = None) -> Recipe:
    """A :class:`Recipe` from raw YAML data, its ``tiny`` section if ``tiny``, then ``overrides``
    (nested dict with the same sections). Raises :class:`RecipeError` on unknown or invalid settings: a
    whole recipe is checked here, before a run writes anything."""
    data = {k: v for k, v in raw.items() if k != "tiny"}
    if tiny:
        data = merge(data, raw.get("tiny") or {})
    data = merge(data, overrides or {})
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise RecipeError(f"unknown recipe section(s): {', '.join(sorted(map(str, unknown)))}")
    for section in _FREE_SECTIONS:
        if not isinstance(data.get(section) or {}, dict):
            raise RecipeError(f"recipe section {section} must be a mapping of settings, got {_short(data[section])}")
    transform = _build(TransformConfig, "transform", data.get("transform") or {})
    clip = _build(ClipConfig, "clip", {**(data.get("clip") or {}), "transform": transform})
    model = dict(data.get("model") or {})
    if "num_frames" in model:  # models built for a clip length follow the clip (so --frames changes both)
        model["num_frames"] = clip.frames
    return Recipe(model, clip, _build(OptimConfig, "optim", data.get("optim") or {}),
                  _build(TrainConfig, "train", data.get("train") or {}), dict(data.get("data") or {}))


def model_recipe(name: str, overrides: dict[str, Any] | None = None) -> Recipe:
    """The recipe of registered model ``name`` (tiny variants apply the file's ``tiny`` section), checked
    whole (see :func:`resolve_recipe`). ``model`` overrides must name settings the recipe file sets, since
    the builders pass their keyword arguments on and would only fail deep inside a run."""
    from synta.models.registry import get_info

    info = get_info(name)
    raw = read_recipe_file(info.config)
    allowed = set(raw.get("model") or {}) | set((raw.get("tiny") or {}).get("model") or {})
    asked = (overrides or {}).get("model")
    unknown = set(asked) - allowed if isinstance(asked, dict) else set()
    if unknown:
        raise RecipeError(f"unknown model setting(s) for {info.name}: {', '.join(sorted(map(str, unknown)))} "
                          f"(its recipe sets: {', '.join(sorted(allowed)) or 'none'})")
    return resolve_recipe(raw, info.tiny, overrides)
