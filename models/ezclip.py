"""EZ-CLIP (Ahmad, Chanda, Rawat, "EZ-CLIP: Efficient Zeroshot Video Action Recognition", 2024).

CLIP stays frozen; what trains (5.2M parameters at ViT-B/16, as the paper states) is:

- **Temporal visual prompts** (deep: one set per vision block, one prompt per frame, VPT-style uniform
  initialisation, dropout 0.1). In each block, a frame's prompt plus the mean of that frame's tokens
  attend to the other frames' (through the block's own frozen attention); the result joins the frame's
  tokens as an extra token for the block's attention and is dropped afterwards.
- **Adapters** (bottleneck ``D → D/4 → D`` with GELU and a skip connection) after the attention of every
  block of both towers; their output layers start at zero, so they start as the identity.

Video embeddings are the time average of the frame embeddings. The objective is ActionCLIP's video–text KL
(:func:`~synta.models.clip_video.video_text_kl`) plus the **motion loss** on the frame embeddings
``x_t``: with ``C`` the mean absolute central difference ``|x_{t+1} − x_{t−1}| / 2`` (ends replicated) and
``V`` the mean temporal variance, ``1 / (C + V + 1)`` — minimising it rewards frame embeddings that change
over time. Classes are described by ActionCLIP's templates (one drawn per training step) or, as in the
paper, by per-class descriptions (``descriptions=`` a ``class,description`` CSV).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import nn

from synta.models.base import ModelOutput
from synta.models.clip_text import TextTransformer
from synta.models.clip_video import CLIPVideoModel, clip_configs, register_clip_video
from synta.models.clip_vision import ResidualAttentionBlock, VisionTransformer, encode_frames
from synta.models.prompts import ACTIONCLIP_TEMPLATES, PromptEnsemble


class Adapter(nn.Module):
    """``x + fc2(gelu(fc1(x)))`` with a ``dim / 4`` bottleneck; ``fc2`` starts at zero (identity)."""

    def __init__(self, dim: int, ratio: float = 0.25) -> None:
        super().__init__()
        hidden = int(dim * ratio)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc2(self.act(self.fc1(x)))


class AdapterBlock(ResidualAttentionBlock):
    """A CLIP block with an adapter between the attention and the MLP (EZ-CLIP's text blocks)."""

    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__(width, heads, mlp_ratio)
        self.adapter = Adapter(width)

    def feed_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The part after the attention: adapter, then the residual MLP."""
        x = self.adapter(x)
        return x + self.mlp(self.ln_2(x))

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.feed_forward(x + self.attention(self.ln_1(x), attn_mask))


class TemporalPromptBlock(AdapterBlock):
    """An adapter block with one learnable temporal prompt per frame; tokens ``(B·T, L, D)``."""

    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0, num_frames: int = 8, patch_size: int = 16,
                 prompt_dropout: float = 0.1) -> None:
        super().__init__(width, heads, mlp_ratio)
        self.num_frames = num_frames
        bound = math.sqrt(6.0 / (3 * patch_size ** 2 + width))  # VPT's uniform initialisation
        self.temporal_prompt = nn.Parameter(torch.empty(num_frames, width).uniform_(-bound, bound))
        self.prompt_dropout = nn.Dropout(prompt_dropout)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        bt, n, d = x.shape
        frame_mean = x.mean(1).view(bt // self.num_frames, self.num_frames, d)
        prompt = self.prompt_dropout(self.temporal_prompt).to(x.dtype) + frame_mean
        prompt = self.attention(self.ln_1(prompt))  # the frames of a clip exchange information
        x = torch.cat([x, prompt.reshape(bt, 1, d)], dim=1)
        return self.feed_forward((x + self.attention(self.ln_1(x), attn_mask))[:, :n])


def motion_loss(frames: torch.Tensor) -> torch.Tensor:
    """EZ-CLIP's motion loss ``1 / (C + V + 1)`` of frame embeddings ``(B, T, D)`` (see the module docstring)."""
    prev = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)
    nxt = torch.cat([frames[:, 1:], frames[:, -1:]], dim=1)
    central = ((nxt - prev).abs() / 2).mean()
    variance = frames.var(dim=1).mean()
    return 1.0 / (central + variance + 1.0)


class EZCLIP(CLIPVideoModel):
    """Frozen CLIP with temporal visual prompts and adapters, trained with the video–text KL and motion loss."""

    objective = "kl"
    vision_added = ("temporal_prompt", "adapter.")
    text_added = ("adapter.",)

    def __init__(self, tiny: bool = False, num_frames: int | None = None, motion_weight: float = 1.0,
                 prompt_dropout: float = 0.1, descriptions: str | Path | None = None) -> None:
        vision_cfg, text_cfg = clip_configs(tiny)
        num_frames = num_frames or (4 if tiny else 8)
        if num_frames < 2:
            raise ValueError("EZ-CLIP's motion loss needs at least 2 frames")
        visual = VisionTransformer(vision_cfg, block=TemporalPromptBlock, num_frames=num_frames,
                                   patch_size=vision_cfg.patch_size, prompt_dropout=prompt_dropout)
        super().__init__(visual, TextTransformer(text_cfg, block=AdapterBlock),
                         PromptEnsemble(ACTIONCLIP_TEMPLATES, train_sample=1), num_frames, descriptions,
                         learn_temperature=False)
        self.motion_weight = motion_weight
        for name, p in self.named_parameters():
            p.requires_grad_(name.endswith("temporal_prompt") or ".adapter." in name)

    def forward(self, video: torch.Tensor, labels: Any = None) -> ModelOutput:
        text = self.resolve_labels(labels)
        frames = encode_frames(self.visual, self.check_video(video))
        features = frames.mean(1)
        losses = {"motion": self.motion_weight * motion_loss(frames)} if self.training else {}
        return ModelOutput(self.similarity(features, text), losses, features)


register_clip_video(EZCLIP, "ezclip_b16", "ezclip", "EZ-CLIP ViT-B/16: frozen CLIP, deep temporal visual "
                    "prompts, adapters and the motion loss.", "EZ-CLIP", paper_trainable=5.2)
