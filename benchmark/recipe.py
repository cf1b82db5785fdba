"""Training recipes: the per-model settings of ``assets/models/<config>.yaml`` and their overrides.

A recipe file has the sections ``model`` (builder keyword arguments), ``clip`` and ``transform`` (how
samples are made, see :class:`~synta.benchmark.data.dataset.ClipConfig`), ``optim`` and ``train``, an
optional ``data`` section (``source: features`` feeds cached clip features instead of decoded video, see
:mod:`synta.benchmark.data.features`), and an optional ``tiny`` section of overrides used by the model's
``_tiny`` variant. Defaults follow the reference's configs (SYNTA_REFERENCE §5). Command-line options
override single fields last.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from typing import Any

import yaml

from synta.benchmark.data.dataset import ClipConfig
from synta.benchmark.data.transforms import TransformConfig

OPTIMIZERS = ("sgd", "adamw", "adam")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


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


def _build(cls: type, section: str, values: dict[str, Any]) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown {section} setting(s): {', '.join(sorted(unknown))}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return cls(**values)


def resolve_recipe(raw: dict[str, Any], tiny: bool = False, overrides: dict[str, Any] | None = None) -> Recipe:
    """A :class:`Recipe` from raw YAML data, its ``tiny`` section if ``tiny``, then ``overrides``
    (nested dict with the same sections). Raises ``ValueError`` on unknown or invalid settings."""
    data = {k: v for k, v in raw.items() if k != "tiny"}
    if tiny:
        data = merge(data, raw.get("tiny") or {})
    data = merge(data, overrides or {})
    unknown = set(data) - {"model", "clip", "transform", "optim", "train", "data"}
    if unknown:
        raise ValueError(f"unknown recipe section(s): {', '.join(sorted(unknown))}")
    transform = _build(TransformConfig, "transform", data.get("transform") or {})
    clip = _build(ClipConfig, "clip", {**(data.get("clip") or {}), "transform": transform})
    model = dict(data.get("model") or {})
    if "num_frames" in model:  # models built for a clip length follow the clip (so --frames changes both)
        model["num_frames"] = clip.frames
    return Recipe(model, clip, _build(OptimConfig, "optim", data.get("optim") or {}),
                  _build(TrainConfig, "train", data.get("train") or {}), dict(data.get("data") or {}))


def model_recipe(name: str, overrides: dict[str, Any] | None = None) -> Recipe:
    """The recipe of registered model ``name`` (tiny variants apply the file's ``tiny`` section)."""
    from synta.models.registry import get_info

    info = get_info(name)
    return resolve_recipe(read_recipe_file(info.config), info.tiny, overrides)
