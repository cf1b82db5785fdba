"""ActionCLIP (Wang et al., "ActionCLIP: A New Paradigm for Video Action Recognition", 2021).

Frame embeddings of CLIP's image tower are fused by a temporal transformer (the paper's "Transf" fusion:
learned frame position embeddings, CLIP-style blocks over the frames, a residual connection and temporal
average pooling; 6 blocks in the reference config). Classes are matched through an ensemble of 16 prompt
templates: all of them averaged at test time, one drawn at random per training step (ActionCLIP draws one
per video; a draw per step keeps the text tower at one prompt per class per step). Both towers and the
temperature are fine-tuned; the fusion learns 10× faster (the reference's "adapter ×10"). The objective is
the symmetric video–text KL divergence over the batch with the same-class ground-truth matrix
(:func:`~synta.models.clip_video.video_text_kl`).

The fusion starts from a small random initialisation (normal, std 0.02), as in the paper, so an untrained
model is close to but not exactly zero-shot CLIP.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from synta.models.base import ModelOutput
from synta.models.clip_text import TextTransformer
from synta.models.clip_video import CLIPVideoModel, clip_configs, register_clip_video
from synta.models.clip_vision import ResidualAttentionBlock, Transformer, VisionTransformer, encode_frames
from synta.models.prompts import ACTIONCLIP_TEMPLATES, PromptEnsemble


class TemporalFusion(nn.Module):
    """Transformer over frame embeddings ``(B, T, D) -> (B, D)``: ``mean_t(x + blocks(x + pos))``."""

    def __init__(self, dim: int, heads: int, layers: int, num_frames: int) -> None:
        super().__init__()
        self.frame_position_embeddings = nn.Parameter(torch.empty(num_frames, dim))
        self.transformer = Transformer(ResidualAttentionBlock(dim, heads) for _ in range(layers))
        nn.init.normal_(self.frame_position_embeddings, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        fused = self.transformer(frames + self.frame_position_embeddings.to(frames.dtype))
        return (frames + fused).mean(1)


class ActionCLIP(CLIPVideoModel):
    """CLIP frame encoder + temporal transformer fusion, trained with the video–text KL objective."""

    objective = "kl"
    lr_mults = {"fusion.": 10.0}

    def __init__(self, tiny: bool = False, num_frames: int | None = None, fusion_layers: int | None = None,
                 descriptions: str | Path | None = None) -> None:
        vision_cfg, text_cfg = clip_configs(tiny)
        num_frames = num_frames or (4 if tiny else 8)
        super().__init__(VisionTransformer(vision_cfg), TextTransformer(text_cfg),
                         PromptEnsemble(ACTIONCLIP_TEMPLATES, train_sample=1), num_frames, descriptions)
        # The fusion is as wide as the embeddings and uses the text tower's head size (width // 64 in CLIP).
        self.fusion = TemporalFusion(text_cfg.output_dim, text_cfg.heads, fusion_layers or (1 if tiny else 6),
                                     num_frames)

    def forward(self, video: torch.Tensor, labels: Any = None) -> ModelOutput:
        text = self.resolve_labels(labels)
        features = self.fusion(encode_frames(self.visual, self.check_video(video)))
        return ModelOutput(self.similarity(features, text), features=features)


register_clip_video(ActionCLIP, "actionclip_b16", "actionclip",
                    'ActionCLIP ViT-B/16 with the 6-layer "Transf" temporal fusion.', "ActionCLIP",
                    "ActionCLIP with the tiny CLIP towers and a 1-layer fusion (tests and smoke runs).")
