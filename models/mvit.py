"""MViTv2-S (torchvision ``MViT``) and the multiscale block schedule it shares with Rev-MViT.

A multiscale ViT is described block by block (torchvision's :class:`MSBlockConfig`); :func:`multiscale_blocks`
derives that list from the few numbers the papers give: depth, initial width and heads, the blocks that
start a stage (there queries are pooled 2x in space while width and heads double) and the initial key/value
stride, which shrinks with each stage so that keys and values keep their resolution (SlowFast's
``POOL_KV_STRIDE_ADAPTIVE``).

The MViTv2-S wrapper runs torchvision's modules but takes the token grid from the input instead of from
the construction size, so any clip length and crop size work (its relative position tables interpolate);
``frames`` and ``size`` only size those tables, as for the Kinetics checkpoint.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torchvision.models.video import MViT_V2_S_Weights
from torchvision.models.video.mvit import MSBlockConfig, MViT

from synta.models.heads import LibraryNet
from synta.models.registry import Variant, register_family
from synta.models.weights import load_pretrained


def multiscale_blocks(depth: int, embed_dim: int, num_heads: int, stage_starts: Sequence[int],
                      kv_stride: Sequence[int], kernel: Sequence[int] = (3, 3, 3), q_stride: Sequence[int] = (1, 2, 2),
                      pool_q_everywhere: bool = True) -> list[MSBlockConfig]:
    """Per-block settings of a multiscale ViT.

    Blocks in ``stage_starts`` pool their queries by ``q_stride`` and double width and heads (inside the
    attention, as MViTv2 and Rev-MViT do). Keys and values are pooled with ``kernel`` in every block, with a
    stride that starts at ``kv_stride`` and is divided by ``q_stride`` at each stage start.
    ``pool_q_everywhere`` (MViTv2) also convolves the queries of the other blocks (stride 1); MViTv1-style
    models (Rev-MViT) leave them alone.
    """
    if any(not 0 <= s < depth for s in stage_starts):
        raise ValueError(f"stage starts {tuple(stage_starts)} must lie in [0, {depth})")
    blocks, dim, heads, kv = [], embed_dim, num_heads, list(kv_stride)
    for i in range(depth):
        start = i in stage_starts
        if start:
            heads *= 2
            kv = [max(s // q, 1) for s, q in zip(kv, q_stride)]
        pooled_q = start or pool_q_everywhere
        blocks.append(MSBlockConfig(num_heads=heads, input_channels=dim, output_channels=dim * 2 if start else dim,
                                    kernel_q=list(kernel) if pooled_q else [],
                                    kernel_kv=list(kernel),
                                    stride_q=list(q_stride) if start else [1, 1, 1] if pooled_q else [],
                                    stride_kv=list(kv)))
        dim = blocks[-1].output_channels
    return blocks


class MViTv2(LibraryNet):
    """MViTv2 on ``(B, 3, T, H, W)`` clips (torchvision's implementation under ``self.net``); the defaults are
    MViTv2-S: 16 blocks, width 96 → 768, stages starting at blocks 1, 3 and 14."""

    classifier_keys = ("net.head.",)

    def __init__(self, num_classes: int, dropout: float = 0.5, drop_path: float = 0.2, depth: int = 16,
                 embed_dim: int = 96, num_heads: int = 1, stage_starts: Sequence[int] = (1, 3, 14),
                 kv_stride: Sequence[int] = (1, 8, 8), frames: int = 16, size: int = 224) -> None:
        super().__init__()
        self.net = MViT(spatial_size=(size, size), temporal_size=frames,
                        block_setting=multiscale_blocks(depth, embed_dim, num_heads, stage_starts, kv_stride),
                        residual_pool=True, residual_with_cls_embed=False, rel_pos_embed=True, proj_after_attn=True,
                        dropout=dropout, stochastic_depth_prob=drop_path, num_classes=num_classes)

    def forward_features(self, video: torch.Tensor) -> torch.Tensor:
        """The normalised class token ``(B, C)``."""
        x = self.net.conv_proj(video)
        thw = tuple(x.shape[2:])
        x = self.net.pos_encoding(x.flatten(2).transpose(1, 2))
        for block in self.net.blocks:
            x, thw = block(x, thw)
        return self.net.norm(x)[:, 0]

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return self.net.head(self.forward_features(video))


def _mvitv2(name: str, num_classes: int | None, pretrained: bool, **kwargs: Any) -> MViTv2:
    model = MViTv2(num_classes, **kwargs)
    return load_pretrained(model, name) if pretrained else model


register_family("mvitv2", "mvitv2_s", _mvitv2, [
    Variant("mvitv2_s", description="MViTv2-S, 16x4 input.", pretrained="Kinetics-400 (torchvision)",
            weights_url=MViT_V2_S_Weights.KINETICS400_V1.url, aliases=("mvitv2",), paper_params=34.5),
    Variant("mvitv2_s_tiny", {"depth": 4, "embed_dim": 16, "stage_starts": (1, 3), "kv_stride": (1, 4, 4),
                              "frames": 4, "size": 32},
            tiny=True, description="MViTv2 with 4 blocks of width 16 → 64, for tests."),
])
