"""One registry for every model: names, aliases, builders and what users need to know about each.

Model modules register their family with :func:`register_family`: one builder and a small table of
:class:`Variant` rows (the full model and its ``_tiny`` test variant), timm style; :func:`build`
constructs a model by name (or alias), optionally loading weights. The registry imports every module of
the ``synta.models`` package the first time it is asked, so adding a model family is adding one module.
"""
from __future__ import annotations

import importlib
import pkgutil
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

_INFRASTRUCTURE = {"base", "registry", "weights", "weights_cache"}


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about a model.

    ``config`` names its training recipe (``assets/models/<config>.yaml``; tiny variants use the recipe's
    ``tiny`` overrides). ``pretrained`` describes the canonical initialisation in the paper's setting and
    ``weights_url`` is where it is fetched from when online (empty if it comes from a library such as
    open_clip). ``paper_params`` is the reference parameter count in millions (all parameters; for models
    with a frozen backbone, ``paper_trainable`` is the trainable count).
    """

    name: str
    family: str
    builder: Callable[..., nn.Module]
    config: str
    pretrained: str = "none"
    weights_url: str = ""
    aliases: tuple[str, ...] = ()
    uses_text: bool = False
    tiny: bool = False
    paper_params: float | None = None
    paper_trainable: float | None = None
    description: str = ""
    extra: dict = field(default_factory=dict, compare=False)


_MODELS: dict[str, ModelInfo] = {}
_ALIASES: dict[str, str] = {}
_loaded = False


def register_model(name: str, *, family: str, config: str, pretrained: str = "none", weights_url: str = "",
                   aliases: tuple[str, ...] = (), uses_text: bool = False, tiny: bool = False,
                   paper_params: float | None = None, paper_trainable: float | None = None,
                   description: str = "") -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering ``builder(num_classes=..., **kw) -> nn.Module`` under ``name``."""
    def wrap(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        for key in (name, *aliases):
            if key in _MODELS or key in _ALIASES:
                raise ValueError(f"model name {key!r} registered twice")
        _MODELS[name] = ModelInfo(name, family, builder, config, pretrained, weights_url, tuple(aliases),
                                  uses_text, tiny, paper_params, paper_trainable,
                                  description or (builder.__doc__ or "").strip().split("\n")[0])
        _ALIASES.update({a: name for a in aliases})
        return builder
    return wrap


@dataclass(frozen=True)
class Variant:
    """One row of a family's config table (timm style): a registered name, the builder arguments that size
    it, and what the registry shows about it (see :class:`ModelInfo`). ``description`` is its one-line
    summary in ``synta models``."""

    name: str
    kwargs: dict = field(default_factory=dict)
    description: str = ""
    tiny: bool = False
    pretrained: str = "none"
    weights_url: str = ""
    aliases: tuple[str, ...] = ()
    paper_params: float | None = None
    paper_trainable: float | None = None


def register_family(family: str, config: str, make: Callable[..., nn.Module], variants: Iterable[Variant],
                    uses_text: bool = False) -> None:
    """Register each row of ``variants`` with one builder for the whole family:
    ``make(name, num_classes, pretrained, **kwargs)``, called with the row's ``kwargs`` updated by the
    caller's. ``make`` builds the network and, when ``pretrained``, loads the weights its family loads."""
    for row in variants:
        def builder(num_classes: int | None = None, pretrained: bool = False, _row: Variant = row,
                    **kwargs: Any) -> nn.Module:
            return make(_row.name, num_classes, pretrained, **{**_row.kwargs, **kwargs})

        register_model(row.name, family=family, config=config, pretrained=row.pretrained,
                       weights_url=row.weights_url, aliases=row.aliases, uses_text=uses_text, tiny=row.tiny,
                       paper_params=row.paper_params, paper_trainable=row.paper_trainable,
                       description=row.description)(builder)


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    package = Path(__file__).parent
    with warnings.catch_warnings():  # pytorchvideo 0.1.5 uses torch.jit.script at import time
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*", category=FutureWarning)
        for module in pkgutil.iter_modules([str(package)]):
            if module.name not in _INFRASTRUCTURE and not module.name.startswith("_"):
                importlib.import_module(f"synta.models.{module.name}")


def resolve(name: str) -> str:
    """The registered name of ``name`` or its alias; ``KeyError`` with the known names otherwise."""
    _load_all()
    key = name.lower()
    if key in _MODELS:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(_MODELS))} (see `synta models`)")


def get_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a model name or alias."""
    return _MODELS[resolve(name)]


def list_models(tiny: bool | None = None, family: str | None = None) -> list[ModelInfo]:
    """Registered models sorted by name; ``tiny`` filters variants, ``family`` the family."""
    _load_all()
    return [m for _, m in sorted(_MODELS.items())
            if (tiny is None or m.tiny == tiny) and (family is None or m.family == family)]


def build(name: str, num_classes: int | None = None, *, weights: str | Path | None = None,
          pretrained: bool = False, **kwargs) -> nn.Module:
    """Build model ``name`` (or alias) with ``num_classes`` outputs (ignored by text models).

    ``pretrained=True`` initialises from the model's canonical source (needs network access unless it is
    cached); ``weights`` loads a local checkpoint with strict key matching (see :mod:`synta.models.weights`).
    """
    info = get_info(name)
    if not info.uses_text and num_classes is None:
        raise ValueError(f"{info.name} needs num_classes")
    model = info.builder(num_classes=num_classes, pretrained=pretrained, **kwargs)
    if weights is not None:
        from synta.models.weights import load_weights

        load_weights(model, weights)
    return model
