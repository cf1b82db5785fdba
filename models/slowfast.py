"""SlowFast ResNet-50 (pytorchvideo ``create_slowfast``), the SlowFast codebase's 8x8 Kinetics model.

The model takes one 32-frame clip and makes its two pathways itself: the fast pathway sees every frame, the
slow pathway ``T / alpha`` frames spread evenly over the clip (``alpha = 4``; ``torch.linspace`` indices, as
the SlowFast codebase's ``pack_pathway_output`` picks them, so the zoo weights see what they were trained
on). The fast pathway has ``1 / beta_inv = 1/8`` of the slow pathway's channels and is fused into it by
time-strided 7x1x1 convolutions after the stem and every stage.
"""
from __future__ import annotations

from typing import Any

import torch
from pytorchvideo.models.slowfast import create_slowfast
from torch import nn

from synta.models.registry import Variant, register_family
from synta.models.resnet3d import PRETRAINED, ZOO, PytorchVideoResNet
from synta.models.weights import load_pretrained


class SlowFast(PytorchVideoResNet):
    """SlowFast R50 on ``(B, 3, T, H, W)`` clips (T a multiple of ``alpha``); ``width`` is the slow stem's width
    (64 in the paper), ``alpha`` the frame-rate ratio and ``beta_inv`` the channel ratio of the pathways."""

    def __init__(self, num_classes: int, dropout: float = 0.5, width: int = 64, alpha: int = 4,
                 beta_inv: int = 8) -> None:
        if width % beta_inv:
            raise ValueError(f"width {width} must be a multiple of beta_inv {beta_inv}")
        net = create_slowfast(model_depth=50, slowfast_channel_reduction_ratio=(beta_inv,),
                              stem_dim_outs=(width, width // beta_inv), slowfast_fusion_conv_kernel_size=(7, 1, 1),
                              slowfast_fusion_conv_stride=(alpha, 1, 1), head=None, head_pool=nn.AdaptiveAvgPool3d)
        features = width * 32 + width * 32 // beta_inv
        super().__init__(net, features=features, num_classes=num_classes, dropout=dropout)
        self.alpha = alpha

    def pathways(self, video: torch.Tensor) -> list[torch.Tensor]:
        frames = video.shape[2]
        if frames % self.alpha:
            raise ValueError(f"SlowFast needs a multiple of alpha={self.alpha} frames, got {frames}")
        slow = torch.linspace(0, frames - 1, frames // self.alpha, device=video.device).long()
        return [video.index_select(2, slow), video]


def _slowfast(name: str, num_classes: int | None, pretrained: bool, **kwargs: Any) -> SlowFast:
    model = SlowFast(num_classes, **kwargs)
    return load_pretrained(model, name) if pretrained else model


register_family("slowfast", "slowfast_r50", _slowfast, [
    Variant("slowfast_r50", description="SlowFast R50, 8x8 (32 input frames: slow 8, fast 32; alpha 4, beta_inv 8).",
            pretrained=PRETRAINED, weights_url=f"{ZOO}/SLOWFAST_8x8_R50.pyth", aliases=("slowfast",),
            paper_params=34.6),
    Variant("slowfast_r50_tiny", {"width": 8}, tiny=True, description="SlowFast R50 at 1/8 width, for tests."),
])
