"""Pieces the unimodal models share: pooling, the classification head, the wrapper around a library
network, and loading a model's canonical weights.

Families whose library brings a head of its own (X3D's projected pooling, torchvision's MViT) keep it, so
their canonical checkpoints load unchanged; the others end in :class:`ClassifierHead`, which pools
globally and therefore accepts any clip length and crop size (the pytorchvideo heads average with a
kernel fixed to the 224-px default input).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from synta.models.base import VideoModel


def pool_features(x: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    """Global average over every position of channels-first maps ``(B, C, *positions)``; several maps (one per
    pathway) are pooled separately and concatenated along channels. Returns ``(B, ΣC)``."""
    maps = [x] if isinstance(x, torch.Tensor) else list(x)
    return torch.cat([m.flatten(2).mean(-1) if m.ndim > 2 else m for m in maps], dim=1)


class ClassifierHead(nn.Module):
    """Dropout then a linear classifier on pooled features ``(B, in_features)`` (maps are pooled first).

    Initialised like pytorchvideo's heads (normal, std 0.01; zero bias) unless ``init_std`` says otherwise.
    """

    def __init__(self, in_features: int, num_classes: int, dropout: float = 0.5, init_std: float = 0.01) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_features, num_classes)
        nn.init.normal_(self.fc.weight, std=init_std)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
        return self.fc(self.dropout(pool_features(x)))


class LibraryNet(VideoModel):
    """A zoo model built around a library network kept under ``self.net``.

    Canonical checkpoints use the library's key names (``blocks.0.conv.weight``); our own state dicts carry the
    ``net.`` prefix (and the prefixes of modules outside ``net``, ``own_prefixes``). :meth:`remap_state_dict`
    renames keys of the first kind and leaves the others alone.
    """

    net: nn.Module
    own_prefixes: tuple[str, ...] = ("net.",)

    def remap_key(self, key: str) -> str:
        """Our name for a library checkpoint key (subclasses route keys that live outside ``net``)."""
        return "net." + key

    def remap_state_dict(self, state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Library keys renamed, keys already in our layout kept."""
        return {k if k.startswith(self.own_prefixes) else self.remap_key(k): v for k, v in state.items()}
