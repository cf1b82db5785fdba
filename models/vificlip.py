"""ViFi-CLIP (Rasheed et al., "Fine-tuned CLIP Models are Efficient Video Learners", CVPR 2023).

CLIP unchanged: every frame goes through the image tower, the frame embeddings are averaged over time, and
the video embedding is matched with the text embedding of the hand-written prompt ``"a photo of a {}."``.
Both towers are fine-tuned end to end, temperature included. As in the official code, the prompt's token
embeddings are looked up once (outside the trained graph), so ``text.token_embedding`` stays frozen.

Untrained, the model is exactly zero-shot CLIP with frame averaging (the CLIP baseline row).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from synta.models.base import ModelOutput
from synta.models.clip_text import TextTransformer
from synta.models.clip_video import CLIPVideoModel, clip_configs, register_clip_video
from synta.models.clip_vision import VisionTransformer, encode_frames
from synta.models.prompts import VIFICLIP_TEMPLATES, PromptEnsemble


class ViFiCLIP(CLIPVideoModel):
    """Fully fine-tuned CLIP with temporal average pooling of frame embeddings."""

    def __init__(self, tiny: bool = False, descriptions: str | Path | None = None) -> None:
        vision_cfg, text_cfg = clip_configs(tiny)
        super().__init__(VisionTransformer(vision_cfg), TextTransformer(text_cfg),
                         PromptEnsemble(VIFICLIP_TEMPLATES), descriptions=descriptions)
        self.text.token_embedding.requires_grad_(False)

    def forward(self, video: torch.Tensor, labels: Any = None) -> ModelOutput:
        text = self.resolve_labels(labels)
        features = encode_frames(self.visual, self.check_video(video)).mean(1)
        return ModelOutput(self.similarity(features, text), features=features)


register_clip_video(ViFiCLIP, "vificlip_b16", "vificlip", "ViFi-CLIP ViT-B/16: CLIP fine-tuned end to end, "
                    "frame embeddings averaged over time.", "ViFi-CLIP", paper_params=149.62)
