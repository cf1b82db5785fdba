"""X-CLIP (Ni et al., "Expanding Language-Image Pretrained Models for General Video Recognition", ECCV 2022).

- **Cross-frame communication**: in every vision block, each frame's class token is projected to a
  message token; the messages of a clip attend to each other over time (``message_attn``) and each frame's
  message joins its tokens for the block's spatial attention, then is dropped.
- **Multi-frame integration transformer** (MIT, 1 block): frame embeddings plus learned temporal
  positions, a residual connection and temporal average pooling give the video embedding.
- **Video-specific prompting**: the class text embeddings attend to the clip's patch tokens (normalised,
  projected to the embedding size, averaged over frames) through 2 cross-attention layers; the result,
  scaled by a learned per-channel ``alpha`` (0.1 at start), is added to the text embedding. Logits are
  therefore per video and per class.

As in the official code the text tower and the temperature stay frozen (its class embeddings are encoded
once per label space, from the class text alone), the image tower is fine-tuned, and the new modules
(messages, MIT, prompts) learn 10× faster. New modules start from random initialisations as in the paper,
so an untrained X-CLIP is not zero-shot CLIP.
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from synta.models.label_space import LabelSpace
from synta.models.base import ModelOutput
from synta.models.clip_text import TextTransformer
from synta.models.clip_video import CLIPVideoModel, clip_configs, register_clip_video
from synta.models.clip_vision import QuickGELU, ResidualAttentionBlock, Transformer, VisionTransformer
from synta.models.prompts import CLASS_TEXT, PromptEnsemble


class CrossFrameBlock(ResidualAttentionBlock):
    """A CLIP vision block with X-CLIP's cross-frame message token; tokens ``(B·T, L, D)``."""

    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0, num_frames: int = 8) -> None:
        super().__init__(width, heads, mlp_ratio)
        self.num_frames = num_frames
        self.message_fc = nn.Linear(width, width)
        self.message_ln = nn.LayerNorm(width)
        self.message_attn = nn.MultiheadAttention(width, heads, batch_first=True)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        bt, n, d = x.shape
        msg = self.message_fc(x[:, 0]).view(bt // self.num_frames, self.num_frames, d)
        normed = self.message_ln(msg)
        msg = msg + self.message_attn(normed, normed, normed, need_weights=False)[0]
        x = torch.cat([x, msg.reshape(bt, 1, d)], dim=1)
        x = (x + self.attention(self.ln_1(x), attn_mask))[:, :n]
        return x + self.mlp(self.ln_2(x))


class MultiFrameIntegration(nn.Module):
    """X-CLIP's MIT: ``mean_t(x + blocks(x + pos))`` over frame embeddings ``(B, T, D) -> (B, D)``."""

    def __init__(self, dim: int, heads: int, num_frames: int, layers: int = 1) -> None:
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.empty(num_frames, dim))
        self.transformer = Transformer(ResidualAttentionBlock(dim, heads) for _ in range(layers))
        nn.init.trunc_normal_(self.positional_embedding, std=0.02)
        _init_linear(self)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return (frames + self.transformer(frames + self.positional_embedding.to(frames.dtype))).mean(1)


class CrossAttention(nn.Module):
    """Multi-head attention of queries ``(B, N, D)`` over keys/values ``(B, M, D)`` (unbiased q/k/v)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, query: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        def split(x: torch.Tensor) -> torch.Tensor:
            return x.unflatten(-1, (self.heads, -1)).transpose(1, 2)

        out = F.scaled_dot_product_attention(split(self.q_proj(query)), split(self.k_proj(context)),
                                             split(self.v_proj(context)))
        return self.proj(out.transpose(1, 2).flatten(2))


class PromptGeneratorLayer(nn.Module):
    """Text tokens attend to the video, then an MLP; both residual."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.cross_attn = CrossAttention(dim, heads)
        self.norm3 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(OrderedDict(
            c_fc=nn.Linear(dim, dim * 4), gelu=QuickGELU(), c_proj=nn.Linear(dim * 4, dim)))

    def forward(self, text: torch.Tensor, visual: torch.Tensor) -> torch.Tensor:
        text = text + self.cross_attn(self.norm1(text), visual)
        return text + self.mlp(self.norm3(text))


class VideoSpecificPrompt(nn.Module):
    """``alpha · layers(text, norm(visual))``: the per-video offset of the class embeddings ``(B, K, D)``."""

    def __init__(self, dim: int, heads: int, layers: int = 2, alpha: float = 0.1) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.decoder = nn.ModuleList(PromptGeneratorLayer(dim, heads) for _ in range(layers))
        self.alpha = nn.Parameter(torch.full((dim,), alpha))
        _init_linear(self)

    def forward(self, text: torch.Tensor, visual: torch.Tensor) -> torch.Tensor:
        visual = self.norm(visual)
        for layer in self.decoder:
            text = layer(text, visual)
        return self.alpha * text


def _init_linear(module: nn.Module) -> None:
    """X-CLIP's initialisation of its new linear layers: truncated normal (std 0.02), zero bias."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class XCLIP(CLIPVideoModel):
    """Cross-frame communication, multi-frame integration and video-specific prompts on CLIP."""

    vision_added = ("message_",)
    lr_mults = {"message_": 10.0, "mit.": 10.0, "prompts_": 10.0}

    def __init__(self, tiny: bool = False, num_frames: int | None = None, mit_layers: int = 1,
                 prompt_layers: int = 2, prompt_alpha: float = 0.1, descriptions: str | Path | None = None) -> None:
        vision_cfg, text_cfg = clip_configs(tiny)
        num_frames = num_frames or (4 if tiny else 8)
        visual = VisionTransformer(vision_cfg, block=CrossFrameBlock, num_frames=num_frames)
        super().__init__(visual, TextTransformer(text_cfg), PromptEnsemble(CLASS_TEXT), num_frames, descriptions,
                         learn_temperature=False)
        dim, heads = text_cfg.output_dim, text_cfg.heads  # CLIP's head size: heads = dim // 64 at full size
        self.mit = MultiFrameIntegration(dim, heads, num_frames, mit_layers)
        self.prompts_visual_ln = nn.LayerNorm(vision_cfg.width)
        # Unit-variance start as in the official code; the generator's LayerNorm makes the scale irrelevant.
        self.prompts_visual_proj = nn.Parameter(torch.randn(vision_cfg.width, dim))
        self.prompts_generator = VideoSpecificPrompt(dim, heads, prompt_layers, prompt_alpha)
        self.text.requires_grad_(False)

    def _encode_labels(self, space: LabelSpace, indices: tuple[int, ...]) -> torch.Tensor:
        # The prompt generator works on raw (unnormalised) class embeddings, as in X-CLIP.
        return self.prompt_embeddings(self.text, space, indices).mean(0)

    def forward(self, video: torch.Tensor, labels: Any = None) -> ModelOutput:
        text = self.resolve_labels(labels)
        video = self.check_video(video)
        b, t = video.shape[:2]
        tokens = self.visual.transformer(self.visual.embed(video.flatten(0, 1)))
        frames = self.visual.pool(tokens).unflatten(0, (b, t))
        patches = (self.prompts_visual_ln(tokens[:, 1:]) @ self.prompts_visual_proj).unflatten(0, (b, t)).mean(1)
        features = self.mit(frames)
        text = text.expand(b, -1, -1)
        text = text + self.prompts_generator(text, patches)
        return ModelOutput(self.similarity(features, text), features=features)


register_clip_video(XCLIP, "xclip_b16", "xclip", "X-CLIP ViT-B/16: cross-frame communication, MIT and "
                    "video-specific prompts.", "X-CLIP", paper_params=195.0)
