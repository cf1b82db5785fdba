"""X3D-M (pytorchvideo ``create_x3d``): 16 frames at stride 5, 224-px crops.

X3D keeps its own head (a 1x1x1 projection to 432 channels, pooling, a projection to 2048, then the
classifier), whose weights belong to the Kinetics checkpoint. Two changes to pytorchvideo's build: the head
returns logits (pytorchvideo applies a softmax), and its pooling is global (``AdaptiveAvgPool3d``) instead
of an average with a kernel computed from the input size: the same at the default input, and other clip
lengths and crop sizes work too.
"""
from __future__ import annotations

from typing import Any

import torch
from pytorchvideo.models.x3d import create_x3d
from torch import nn

from synta.models.heads import LibraryNet
from synta.models.registry import Variant, register_family
from synta.models.resnet3d import PRETRAINED, ZOO
from synta.models.weights import load_pretrained


class X3D(LibraryNet):
    """X3D on ``(B, 3, T, H, W)`` clips. ``width_factor``, ``depth_factor`` and ``head_features`` (the head's
    2048) size the network; X3D-M is 2.0, 2.2 and 2048."""

    classifier_keys = ("net.blocks.5.proj.",)

    def __init__(self, num_classes: int, dropout: float = 0.5, width_factor: float = 2.0, depth_factor: float = 2.2,
                 head_features: int = 2048) -> None:
        super().__init__()
        self.net = create_x3d(model_num_class=num_classes, dropout_rate=dropout, width_factor=width_factor,
                              depth_factor=depth_factor, head_dim_out=head_features, head_activation=None,
                              input_clip_length=16, input_crop_size=224)
        self.net.blocks[-1].pool.pool = nn.AdaptiveAvgPool3d(1)

    def forward_features(self, video: torch.Tensor) -> torch.Tensor:
        """The head's projected, pooled features ``(B, head_features, 1, 1, 1)``, before dropout and classifier."""
        x = video
        for block in self.net.blocks[:-1]:
            x = block(x)
        return self.net.blocks[-1].pool(x)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return self.net(video)


def _x3d(name: str, num_classes: int | None, pretrained: bool, **kwargs: Any) -> X3D:
    model = X3D(num_classes, **kwargs)
    return load_pretrained(model, name) if pretrained else model


register_family("x3d", "x3d_m", _x3d, [
    Variant("x3d_m", description="X3D-M (16x5 input, 224-px crops).", pretrained=PRETRAINED,
            weights_url=f"{ZOO}/X3D_M.pyth", aliases=("x3d",), paper_params=3.8),
    Variant("x3d_m_tiny", {"width_factor": 0.5, "depth_factor": 1.0, "head_features": 64}, tiny=True,
            description="X3D at a quarter of X3D-M's width, depth factor 1 and a 64-channel head, for tests."),
])
