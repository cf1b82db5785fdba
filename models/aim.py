"""AIM: a frozen CLIP image model adapted to video by small trainable adapters.

Yang et al., "AIM: Adapting Image Models for Efficient Video Action Recognition", ICLR 2023. Every block of
CLIP ViT-B/16 gets three bottleneck adapters: a *temporal* one after an extra attention along time (the
block's own frozen attention weights, applied to the tokens of one patch position across the frames), a
*spatial* one after the spatial attention and a *joint* one parallel to the MLP (scaled by 0.5). The
adapters' up-projections start at zero, so the untrained model is CLIP applied frame by frame. Only the
adapters, a temporal position embedding, ``ln_post`` and the classifier train (11 M of 97 M parameters).
Frames are classified from their normalised class tokens averaged over time (mmaction2's I3D head). The
reference trains all of these with one learning rate, so the default :meth:`VideoModel.param_groups` applies.
Input: ``(B, T, 3, H, W)`` (layout TCHW) with T = ``num_frames``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import torch
from torch import nn

from synta.models.base import VideoModel
from synta.models.clip_video import PRETRAINED as CLIP_PRETRAINED
from synta.models.clip_vision import (ResidualAttentionBlock, VisionConfig, VisionTransformer, clip_initialised,
                                     load_clip_vision)
from synta.models.registry import Variant, register_family

ADAPTERS = ("t_adapter.", "s_adapter.", "mlp_adapter.")


class Adapter(nn.Module):
    """Bottleneck MLP ``fc2(GELU(fc1(x)))`` (plus ``x`` if ``skip``); ``fc2`` starts at zero."""

    def __init__(self, width: int, ratio: float = 0.25, skip: bool = False) -> None:
        super().__init__()
        self.skip = skip
        hidden = int(width * ratio)
        self.fc1 = nn.Linear(width, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, width)
        nn.init.trunc_normal_(self.fc1.weight, std=0.02)
        nn.init.zeros_(self.fc1.bias)
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.fc2(self.act(self.fc1(x)))
        return x + out if self.skip else out


class AIMBlock(ResidualAttentionBlock):
    """A CLIP block with temporal, spatial and joint adaptation; tokens ``(B·T, L, D)``, frames of a clip
    adjacent. The spatial adapter has a skip connection (it rescales the attention output); the temporal
    and joint ones add a zero-initialised branch."""

    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0, drop_path: float = 0.0, *,
                 num_frames: int, adapter_ratio: float = 0.25, adapter_scale: float = 0.5) -> None:
        super().__init__(width, heads, mlp_ratio, drop_path)
        self.num_frames = num_frames
        self.adapter_scale = adapter_scale
        self.t_adapter = Adapter(width, adapter_ratio)
        self.s_adapter = Adapter(width, adapter_ratio, skip=True)
        self.mlp_adapter = Adapter(width, adapter_ratio)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        bt, n, d = x.shape
        t = self.num_frames
        if bt % t:
            raise ValueError(f"{bt} frames do not make clips of {t}")
        # temporal attention: each token position (class token included) attends across the clip's frames
        xt = x.view(bt // t, t, n, d).transpose(1, 2).reshape(-1, t, d)
        xt = self.t_adapter(self.attention(self.ln_1(xt)))
        x = x + self.drop_path(xt.view(bt // t, n, t, d).transpose(1, 2).reshape(bt, n, d))
        x = x + self.s_adapter(self.attention(self.ln_1(x), attn_mask))
        xn = self.ln_2(x)
        return x + self.mlp(xn) + self.drop_path(self.adapter_scale * self.mlp_adapter(xn))


class AIM(VideoModel):
    """AIM on a CLIP ViT (see the module docstring)."""

    classifier_keys = ("head.",)

    def __init__(self, num_classes: int, vision: VisionConfig | None = None, num_frames: int = 8,
                 adapter_ratio: float = 0.25, adapter_scale: float = 0.5, drop_path_rate: float = 0.2,
                 dropout: float = 0.5) -> None:
        super().__init__()
        vision = vision or VisionConfig()
        self.num_frames = num_frames
        # AIM drops CLIP's projection and classifies the normalised class token
        self.backbone = VisionTransformer(replace(vision, output_dim=None), AIMBlock, drop_path_rate=drop_path_rate,
                                          num_frames=num_frames, adapter_ratio=adapter_ratio,
                                          adapter_scale=adapter_scale)
        self.temporal_embedding = nn.Parameter(torch.zeros(1, num_frames, vision.width))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(vision.width, num_classes)
        nn.init.normal_(self.head.weight, std=0.01)  # mmaction2's I3D head initialisation
        nn.init.zeros_(self.head.bias)
        self.freeze_backbone()

    def freeze_backbone(self) -> None:
        """Freeze every CLIP weight except ``ln_post``, as the paper does."""
        for name, p in self.backbone.named_parameters():
            p.requires_grad = name.startswith("ln_post.") or any(f".{a}" in name for a in ADAPTERS)

    def load_clip(self, state: Mapping[str, torch.Tensor]) -> None:
        """Initialise the backbone from a CLIP ViT-B/16 state dict (OpenAI/open_clip layout; adapters keep
        their initialisation)."""
        load_clip_vision(self.backbone, state, allow_missing=ADAPTERS)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        if video.ndim != 5 or video.shape[1] != self.num_frames or video.shape[2] != 3:
            raise ValueError(f"AIM expects video (B, {self.num_frames}, 3, H, W), got shape {tuple(video.shape)}")
        b, t = video.shape[:2]
        x = self.backbone.embed(video.flatten(0, 1), norm=False)
        # the temporal position embedding is shared by all tokens of a frame
        x = (x.unflatten(0, (b, t)) + self.temporal_embedding[:, :, None]).flatten(0, 1)
        x = self.backbone.transformer(self.backbone.ln_pre(x))
        features = self.backbone.pool(x).unflatten(0, (b, t)).mean(1)
        return self.head(self.dropout(features))


register_family("aim", "aim_b16", clip_initialised(AIM), [
    Variant("aim_b16", description="AIM ViT-B/16, 8 frames: frozen CLIP with temporal, spatial and joint adapters "
            "(ICLR 2023).", pretrained=CLIP_PRETRAINED, aliases=("aim",),
            paper_params=97.0, paper_trainable=11.0),
    Variant("aim_b16_tiny", {"vision": VisionConfig.tiny(), "num_frames": 4}, tiny=True,
            description="Tiny AIM (32² input, 4 frames, 2 layers of width 64) for tests and smoke runs."),
])
