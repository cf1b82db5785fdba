"""UniFormerV2: CLIP ViT blocks with local temporal relation aggregators plus a global video decoder.

Li et al., "UniFormerV2: Unlocking the Potential of Image ViTs for Video Understanding", ICCV 2023.

- *Local UniBlocks*: each CLIP block gets a local temporal MHRA before its attention and another before its
  MLP (a depthwise temporal convolution between two point-wise ones, on the patch tokens). Their last
  convolution starts at zero, so the untrained backbone is CLIP applied frame by frame.
- *Global UniBlocks*: on each of the last ``global_layers`` blocks' tokens, a depthwise 3-D convolution adds
  a dynamic position encoding, then a cross-attention block updates one learnable video query from all
  tokens of the clip (attention and MLP outputs start at zero).
- *Fusion*: the video query and the frame-averaged final class token are mixed with a learned per-channel
  weight (sigmoid, starting at ½), then LayerNorm, dropout and the classifier.

The whole network trains with one learning rate (the default :meth:`VideoModel.param_groups`). The
reference code's defaults have the local MHRA; its Kinetics-400 B/16 8×224 configuration switches them off
(``local_mhra=False``: 115 M parameters, the paper's count; with them: 134 M). The reference's temporal
down-sampling patch embedding (its Something-Something setting) is not implemented. Input:
``(B, T, 3, H, W)`` (layout TCHW) with T = ``num_frames``.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace

import torch
from torch import nn

from synta.models.base import VideoModel
from synta.models.clip_video import PRETRAINED as CLIP_PRETRAINED
from synta.models.clip_vision import (
    QuickGELU,
    ResidualAttentionBlock,
    VisionConfig,
    VisionTransformer,
    clip_initialised,
    load_clip_vision,
    stochastic_depth,
)
from synta.models.registry import Variant, register_family

LOCAL_MHRA = ("lmhra1.", "lmhra2.")


class LocalMHRA(nn.Module):
    """Local temporal relation aggregator on ``(N, C, T, H, W)``: BatchNorm, 1×1×1 reduction, depthwise
    temporal convolution, 1×1×1 expansion (zero-initialised)."""

    def __init__(self, width: int, reduction: float = 1.5, kernel: int = 3) -> None:
        super().__init__()
        inner = int(width // reduction)
        self.norm = nn.BatchNorm3d(width)
        self.reduce = nn.Conv3d(width, inner, 1)
        self.temporal = nn.Conv3d(inner, inner, (kernel, 1, 1), padding=(kernel // 2, 0, 0), groups=inner)
        self.expand = nn.Conv3d(inner, width, 1)
        nn.init.zeros_(self.expand.weight)
        nn.init.zeros_(self.expand.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.expand(self.temporal(self.reduce(self.norm(x))))


class LocalUniBlock(ResidualAttentionBlock):
    """A CLIP block with local temporal MHRA before the attention and before the MLP; tokens ``(B·T, 1+HW, D)``
    with the frames of a clip adjacent and a square patch grid."""

    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0, drop_path: float = 0.0, *,
                 num_frames: int, reduction: float = 1.5) -> None:
        super().__init__(width, heads, mlp_ratio, drop_path)
        self.num_frames = num_frames
        self.lmhra1 = LocalMHRA(width, reduction)
        self.lmhra2 = LocalMHRA(width, reduction)

    def _local(self, x: torch.Tensor, mhra: LocalMHRA) -> torch.Tensor:
        bt, n, d = x.shape
        t, side = self.num_frames, int((n - 1) ** 0.5)
        if bt % t or side * side != n - 1:
            raise ValueError(f"tokens {tuple(x.shape)} are not clips of {t} frames with a square patch grid")
        patches = x[:, 1:].reshape(bt // t, t, side, side, d).permute(0, 4, 1, 2, 3)
        patches = patches + self.drop_path(mhra(patches))
        return torch.cat([x[:, :1], patches.permute(0, 2, 3, 4, 1).reshape(bt, n - 1, d)], dim=1)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self._local(x, self.lmhra1)
        x = x + self.drop_path(self.attention(self.ln_1(x), attn_mask))
        x = self._local(x, self.lmhra2)
        return x + self.drop_path(self.mlp(self.ln_2(x)))


class GlobalUniBlock(nn.Module):
    """Cross-attention of the video query ``(B, 1, D)`` to a clip's tokens ``(B, N, D)``, then an MLP; the
    attention output and the MLP start at zero (the query passes unchanged until trained)."""

    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0, dropout: float = 0.5,
                 drop_path: float = 0.0) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)  # query
        self.ln_3 = nn.LayerNorm(width)  # tokens
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        hidden = round(width * mlp_ratio)
        self.mlp = nn.Sequential(OrderedDict(c_fc=nn.Linear(width, hidden), gelu=QuickGELU(),
                                             dropout=nn.Dropout(dropout), c_proj=nn.Linear(hidden, width)))
        self.drop_path = stochastic_depth(drop_path)
        nn.init.xavier_uniform_(self.attn.in_proj_weight)
        nn.init.zeros_(self.attn.out_proj.weight)
        nn.init.zeros_(self.attn.out_proj.bias)
        nn.init.xavier_uniform_(self.mlp.c_fc.weight)
        nn.init.zeros_(self.mlp.c_proj.weight)
        nn.init.zeros_(self.mlp.c_proj.bias)

    def forward(self, query: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        kv = self.ln_3(tokens)
        query = query + self.drop_path(self.attn(self.ln_1(query), kv, kv, need_weights=False)[0])
        return query + self.drop_path(self.mlp(self.ln_2(query)))


class UniFormerV2(VideoModel):
    """UniFormerV2 on a CLIP ViT (see the module docstring)."""

    classifier_keys = ("head.fc.",)

    def __init__(self, num_classes: int, vision: VisionConfig | None = None, num_frames: int = 8,
                 local_mhra: bool = True, reduction: float = 1.5, global_layers: int = 4,
                 backbone_drop_path_rate: float = 0.0, drop_path_rate: float = 0.0, mlp_dropout: float = 0.5,
                 dropout: float = 0.5) -> None:
        super().__init__()
        vision = vision or VisionConfig()
        if not 1 <= global_layers <= vision.layers:
            raise ValueError(f"global_layers must be between 1 and {vision.layers}, got {global_layers}")
        self.num_frames = num_frames
        # the model reads the tokens itself: CLIP's ln_post and projection are not used
        cfg = replace(vision, output_dim=None, post_norm=False)
        if local_mhra:
            self.backbone = VisionTransformer(cfg, LocalUniBlock, drop_path_rate=backbone_drop_path_rate,
                                              num_frames=num_frames, reduction=reduction)
        else:
            self.backbone = VisionTransformer(cfg, drop_path_rate=backbone_drop_path_rate)
        width = vision.width
        self.first_global = vision.layers - global_layers
        self.query = nn.Parameter(torch.zeros(1, 1, width))
        self.dpe = nn.ModuleList(nn.Conv3d(width, width, 3, padding=1, groups=width) for _ in range(global_layers))
        for conv in self.dpe:
            nn.init.zeros_(conv.bias)
        rates = torch.linspace(0, drop_path_rate, global_layers).tolist()
        self.decoder = nn.ModuleList(GlobalUniBlock(width, vision.heads, vision.mlp_ratio, mlp_dropout, r)
                                     for r in rates)
        self.balance = nn.Parameter(torch.zeros(width))
        self.head = nn.Sequential(OrderedDict(norm=nn.LayerNorm(width), dropout=nn.Dropout(dropout),
                                              fc=nn.Linear(width, num_classes)))

    def load_clip(self, state: Mapping[str, torch.Tensor]) -> None:
        """Initialise the backbone from a CLIP ViT-B/16 state dict (OpenAI/open_clip layout; local MHRA keep
        their initialisation)."""
        load_clip_vision(self.backbone, state, allow_missing=LOCAL_MHRA)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        if video.ndim != 5 or video.shape[1] != self.num_frames or video.shape[2] != 3:
            raise ValueError(f"UniFormerV2 expects video (B, {self.num_frames}, 3, H, W), "
                             f"got shape {tuple(video.shape)}")
        b, t = video.shape[:2]
        x = self.backbone.embed(video.flatten(0, 1))
        n, d = x.shape[1:]
        side = int((n - 1) ** 0.5)
        query = self.query.expand(b, -1, -1)
        for i, block in enumerate(self.backbone.blocks):
            x = block(x)
            if i < self.first_global:
                continue
            j = i - self.first_global
            tokens = x.view(b, t, n, d)
            patches = tokens[:, :, 1:].reshape(b, t, side, side, d).permute(0, 4, 1, 2, 3)
            patches = patches + self.dpe[j](patches)
            tokens = torch.cat([tokens[:, :, :1], patches.permute(0, 2, 3, 4, 1).reshape(b, t, n - 1, d)], dim=2)
            query = self.decoder[j](query, tokens.reshape(b, t * n, d))
        weight = torch.sigmoid(self.balance)
        frames_cls = x.view(b, t, n, d)[:, :, 0].mean(1)
        return self.head((1 - weight) * query[:, 0] + weight * frames_cls)


register_family("uniformerv2", "uniformerv2_b16", clip_initialised(UniFormerV2), [
    Variant("uniformerv2_b16", description="UniFormerV2-B/16, 8 frames: CLIP ViT-B/16 with local temporal MHRA and "
            "4 global UniBlocks (ICCV 2023).", pretrained=CLIP_PRETRAINED,
            aliases=("uniformerv2",), paper_params=115.0),
    Variant("uniformerv2_b16_tiny", {"vision": VisionConfig.tiny(), "num_frames": 4, "global_layers": 2}, tiny=True,
            description="Tiny UniFormerV2 (32² input, 4 frames, 2 layers of width 64, 2 global blocks) for tests "
            "and smoke runs."),
])
