"""Loading weights into zoo models: local files or canonical URLs, strict key matching.

A checkpoint may be a bare state dict or a container (``model_state`` as the SlowFast/pytorchvideo zoo
writes, ``state_dict``, ``model``, or a ``synta bench`` checkpoint). A model adapts a foreign layout by
defining ``remap_state_dict(state) -> state`` (renaming keys of the original code base). Its classifier
(``classifier_keys``: key prefixes) is re-initialised instead of loaded when its shape differs, which is
what fine-tuning a Kinetics-400 checkpoint on 20 coarse classes needs. Every other key must match in name
and shape; a mismatch raises :class:`WeightsError` listing the offending keys.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.error import URLError

import torch
from torch import nn

from synta.models.registry import get_info

_CONTAINERS = ("model_state", "state_dict", "model", "module")


class WeightsError(ValueError):
    """A checkpoint does not fit a model."""


class WeightsUnavailable(RuntimeError):
    """Canonical weights could not be fetched (no network, a failed download); the message says how to
    go on offline."""


def read_state_dict(source: str | Path) -> dict[str, torch.Tensor]:
    """The state dict in ``source``: a local file (loaded with ``weights_only=True``) or an http(s) URL
    (downloaded once into torch's hub cache)."""
    text = str(source)
    if text.startswith(("http://", "https://")):
        state = torch.hub.load_state_dict_from_url(text, map_location="cpu", weights_only=True, progress=False)
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no weights file at {path}")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # pickle errors have many types; report them in one line
            raise WeightsError(f"{path}: not a loadable weights file ({type(err).__name__}: "
                               f"{str(err).splitlines()[0] if str(err) else ''})") from None
    while isinstance(state, Mapping):
        inner = next((state[k] for k in _CONTAINERS if isinstance(state.get(k), Mapping)), None)
        if inner is None:
            break
        state = inner
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{source}: no state dict of tensors found")
    return {k.removeprefix("module."): v for k, v in state.items()}


def _listing(keys: list[str], limit: int = 8) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" … ({len(keys)} in all)" if len(keys) > limit else "")


def load_weights(model: nn.Module, source: str | Path | Mapping[str, torch.Tensor],
                 remap: bool = True) -> list[str]:
    """Load ``source`` into ``model`` strictly (see the module docstring); returns the classifier keys that
    were left re-initialised because their shape differs."""
    state = dict(source) if isinstance(source, Mapping) else read_state_dict(source)
    if remap and hasattr(model, "remap_state_dict"):
        state = model.remap_state_dict(state)
    own = model.state_dict()
    head = tuple(getattr(model, "classifier_keys", ()))
    skipped = [k for k, v in state.items()
               if head and k.startswith(head) and k in own and own[k].shape != v.shape]
    for k in skipped:
        del state[k]
    missing = [k for k in own if k not in state and k not in skipped]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
              for k in state if k in own and state[k].shape != own[k].shape]
    problems = []
    if missing:
        problems.append(f"missing keys: {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_listing(unexpected)}")
    if shapes:
        problems.append(f"shape mismatches: {_listing(shapes)}")
    if problems:
        name = source if not isinstance(source, Mapping) else "state dict"
        raise WeightsError(f"{name} does not fit {type(model).__name__}: " + "; ".join(problems))
    model.load_state_dict(state, strict=False)
    return skipped


def load_pretrained(model: nn.Module, name: str) -> nn.Module:
    """Load the canonical weights of registered model ``name`` into ``model`` (downloaded once into torch's
    hub cache). Raises ``ValueError`` for models without canonical weights and :class:`WeightsUnavailable`
    with a way out when the download fails (no network)."""
    info = get_info(name)
    if not info.weights_url:
        raise ValueError(f"{info.name} has no pretrained weights; build it with pretrained=False")
    try:
        load_weights(model, info.weights_url)
    except (URLError, OSError) as err:
        raise WeightsUnavailable(f"could not download the {info.name} weights from {info.weights_url} ({err}); "
                           f"fetch the file where the network is reachable and pass it as weights=PATH "
                           f"(--weights PATH)") from None
    return model
