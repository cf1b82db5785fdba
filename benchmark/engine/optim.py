"""Optimiser and learning-rate schedule from a recipe.

Parameter groups come from the model (:meth:`~synta.models.base.VideoModel.param_groups`: each group's
learning rate is ``lr × lr_mult``, e.g. adapters ×10); within each group, biases, norm weights and the
model's ``no_weight_decay()`` names (position embeddings, class tokens) get no weight decay, as in timm.
The schedule is per optimiser step: linear warm-up, then cosine to ``min_lr``.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from synta.benchmark.recipe import OptimConfig
from synta.models.base import model_param_groups


def _no_decay_names(model: nn.Module) -> set[str]:
    fn = getattr(model, "no_weight_decay", None)
    return set(fn()) if callable(fn) else set()


def build_optimizer(model: nn.Module, cfg: OptimConfig) -> torch.optim.Optimizer:
    """The optimiser of ``cfg`` over the model's trainable parameter groups."""
    names = {id(p): n for n, p in model.named_parameters()}
    skip = _no_decay_names(model)
    groups = []
    for group in model_param_groups(model):
        params = [p for p in group["params"] if p.requires_grad]
        decay = [p for p in params if p.ndim > 1 and names.get(id(p), "") not in skip]
        no_decay = [p for p in params if not (p.ndim > 1 and names.get(id(p), "") not in skip)]
        lr = cfg.lr * group.get("lr_mult", 1.0)
        for ps, wd, suffix in ((decay, cfg.weight_decay, ""), (no_decay, 0.0, "/no_decay")):
            if ps:
                groups.append({"params": ps, "lr": lr, "weight_decay": wd, "name": group.get("name", "") + suffix})
    if not groups:
        raise ValueError("the model has no trainable parameters")
    if cfg.name == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
    cls = torch.optim.AdamW if cfg.name == "adamw" else torch.optim.Adam
    return cls(groups, lr=cfg.lr, betas=cfg.betas)


def lr_factor(step: int, total_steps: int, warmup_steps: int, start_factor: float, end_factor: float) -> float:
    """Multiplier of the base learning rate at optimiser step ``step`` (0-based)."""
    if step < warmup_steps:
        return start_factor + (1.0 - start_factor) * step / warmup_steps
    span = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / span)
    return end_factor + (1.0 - end_factor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: OptimConfig, steps_per_epoch: int,
                    epochs: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Warm-up + cosine schedule stepped once per optimiser step."""
    total = max(1, steps_per_epoch * epochs)
    warmup = min(total, round(cfg.warmup_epochs * steps_per_epoch))
    end = cfg.min_lr / cfg.lr
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total, warmup, cfg.warmup_start_factor, end))
