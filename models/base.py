"""What every model of the zoo is to the engine.

A model is an ``nn.Module`` that maps a batch of clips to logits. The engine only relies on this:

- ``model(video)`` (unimodal) or ``model(video, labels=encoded)`` (text models) returns a logits tensor
  ``(B, num_classes)`` or a :class:`ModelOutput` that also carries auxiliary losses (computed in training
  mode: EZ-CLIP's motion loss, FROSTER's distillation, adversarial terms, ...).
- ``video`` is a float tensor laid out as the model's recipe says (``CTHW`` → ``(B, C, T, H, W)``,
  ``TCHW`` → ``(B, T, C, H, W)``). Models with several pathways (SlowFast) split it themselves.
- Text models set ``uses_text = True`` and implement :meth:`VideoModel.encode_labels`; the engine encodes a
  label space once per evaluation (every step in training when the text side trains) and passes the
  result back as ``labels``. This is how a model scores label sets it never trained on (FineMotion-U).
- :meth:`VideoModel.loss` turns an output and the targets into named loss terms (default: the engine's
  criterion on the logits plus the output's auxiliary losses); models with ``uses_fine_labels`` also get
  each video's fine label (index within its set) as ``fine=`` whatever the task; :meth:`VideoModel.param_groups` gives
  learning-rate multipliers per parameter group (adapters vs backbone).

Plain modules (a pytorchvideo network) work too: the engine treats them as unimodal models with the
default loss and a single parameter group.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from synta.models.label_space import LabelSpace


@dataclass
class ModelOutput:
    """Logits plus named auxiliary loss terms (already weighted) and, optionally, features."""

    logits: torch.Tensor
    losses: dict[str, torch.Tensor] = field(default_factory=dict)
    features: torch.Tensor | None = None


def as_output(out: torch.Tensor | ModelOutput) -> ModelOutput:
    """Wrap a bare logits tensor."""
    return out if isinstance(out, ModelOutput) else ModelOutput(out)


Criterion = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class VideoModel(nn.Module):
    """Base class of the zoo's models (see the module docstring for the contract)."""

    uses_text: ClassVar[bool] = False
    #: hierarchical models also train on the fine label of each video (``loss(..., fine=...)``)
    uses_fine_labels: ClassVar[bool] = False

    def encode_labels(self, space: LabelSpace) -> Any:
        """Encode the classes of ``space`` (text models only); the result is passed to ``forward``."""
        raise NotImplementedError(f"{type(self).__name__} does not classify by text")

    @property
    def trains_text(self) -> bool:
        """Whether encoded labels need gradients (the engine then re-encodes them every training step)."""
        return False

    def loss(self, output: ModelOutput, target: torch.Tensor, criterion: Criterion) -> dict[str, torch.Tensor]:
        """Named loss terms to sum; override for losses that need the targets (contrastive, hierarchical)."""
        return {"ce": criterion(output.logits, target), **output.losses}

    def param_groups(self) -> list[dict[str, Any]]:
        """Trainable parameters as groups ``{"params": [...], "lr_mult": float, "name": str}``."""
        return [{"name": "all", "params": [p for p in self.parameters() if p.requires_grad], "lr_mult": 1.0}]


def model_loss(model: nn.Module, output: ModelOutput, target: torch.Tensor, criterion: Criterion,
               fine: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """:meth:`VideoModel.loss` for zoo models (with the fine labels ``fine`` for hierarchical ones), the
    default loss for plain modules."""
    if isinstance(model, VideoModel):
        if model.uses_fine_labels:
            return model.loss(output, target, criterion, fine=fine)
        return model.loss(output, target, criterion)
    return {"ce": criterion(output.logits, target), **output.losses}


def model_param_groups(model: nn.Module) -> list[dict[str, Any]]:
    """:meth:`VideoModel.param_groups` for zoo models, one group of trainable parameters otherwise."""
    if isinstance(model, VideoModel):
        return model.param_groups()
    return [{"name": "all", "params": [p for p in model.parameters() if p.requires_grad], "lr_mult": 1.0}]


def count_parameters(model: nn.Module, trainable: bool = False) -> int:
    """Number of parameters (only those with ``requires_grad`` when ``trainable``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable)
