"""C2D and I3D ResNet-50 (pytorchvideo ``create_resnet``), as in the SlowFast codebase's 8x8 Kinetics models.

Both are ResNet-50s on 8-frame clips whose stem and stages differ only in temporal kernels: C2D keeps every
kernel 1 in time (a 2-D ResNet over frames, with one temporal max-pool after res2), I3D inflates the stem to
5x7x7 and alternates 3x1x1 / 1x1x1 first convolutions in the bottlenecks (pytorchvideo hub ``i3d_r50``).
The pytorchvideo head (average pooling with a kernel fixed to the 224-px input) is replaced by
:class:`~synta.models.heads.ClassifierHead`; :meth:`PytorchVideoResNet.remap_key` routes the zoo
checkpoints' head keys (``blocks.6.proj``) to it.
"""
from __future__ import annotations

from typing import Any

import torch
from pytorchvideo.models.resnet import create_resnet
from torch import nn

from synta.models.heads import ClassifierHead, LibraryNet
from synta.models.registry import Variant, register_family
from synta.models.weights import load_pretrained

ZOO = "https://dl.fbaipublicfiles.com/pytorchvideo/model_zoo/kinetics"
PRETRAINED = "Kinetics-400 (pytorchvideo model zoo)"

# Temporal kernel sizes of the stem and of each stage's first bottleneck convolution (per block when a list).
ARCHS: dict[str, dict[str, Any]] = {
    "c2d": {"stem_conv_kernel_size": (1, 7, 7),
            "stage_conv_a_kernel_size": ((1, 1, 1), (1, 1, 1), (1, 1, 1), (1, 1, 1))},
    "i3d": {"stem_conv_kernel_size": (5, 7, 7),
            "stage_conv_a_kernel_size": ((3, 1, 1), [(3, 1, 1), (1, 1, 1)], [(3, 1, 1), (1, 1, 1)],
                                         [(1, 1, 1), (3, 1, 1)])},
}
# Tiny variants: the same ResNet-50 with 1/8 of the width.
TINY = {"width": 8}


class PytorchVideoResNet(LibraryNet):
    """A headless pytorchvideo ResNet-style network (``self.net``) followed by :class:`ClassifierHead`.

    Subclasses with several pathways override :meth:`pathways`. Checkpoints of the pytorchvideo model zoo
    load through :meth:`remap_state_dict`: their head is the block after the last one we keep.
    """

    classifier_keys = ("head.",)
    own_prefixes = ("net.", "head.")

    def __init__(self, net: nn.Module, features: int, num_classes: int, dropout: float) -> None:
        super().__init__()
        self.net = net
        self.head = ClassifierHead(features, num_classes, dropout)
        self._zoo_head = f"blocks.{len(net.blocks)}.proj."

    def remap_key(self, key: str) -> str:
        if key.startswith(self._zoo_head):
            return "head.fc." + key.removeprefix(self._zoo_head)
        return super().remap_key(key)

    def pathways(self, video: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        """The network's input made from the ``(B, C, T, H, W)`` clip."""
        return video

    def forward_features(self, video: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        """Final feature maps, before pooling."""
        return self.net(self.pathways(video))

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(video))


class ResNet3D(PytorchVideoResNet):
    """C2D or I3D ResNet-50 on ``(B, 3, T, H, W)`` clips; ``width`` is the stem width (64 in the paper)."""

    def __init__(self, arch: str, num_classes: int, dropout: float = 0.5, width: int = 64) -> None:
        if arch not in ARCHS:
            raise ValueError(f"arch must be one of {tuple(ARCHS)}, got {arch!r}")
        net = create_resnet(model_depth=50, stem_dim_out=width, stage1_pool=nn.MaxPool3d, head=None, **ARCHS[arch])
        super().__init__(net, features=width * 32, num_classes=num_classes, dropout=dropout)


def _resnet3d(name: str, num_classes: int | None, pretrained: bool, **kwargs: Any) -> ResNet3D:
    model = ResNet3D(num_classes=num_classes, **kwargs)
    return load_pretrained(model, name) if pretrained else model


register_family("c2d", "c2d_r50", _resnet3d, [
    Variant("c2d_r50", {"arch": "c2d"},
            description="C2D ResNet-50, 8x8 (temporal kernels 1; one temporal pooling after res2).",
            pretrained=PRETRAINED, weights_url=f"{ZOO}/C2D_8x8_R50.pyth", aliases=("c2d",), paper_params=24.3),
    Variant("c2d_r50_tiny", {**TINY, "arch": "c2d"}, tiny=True, description="C2D ResNet-50 at 1/8 width, for tests."),
])
register_family("i3d", "i3d_r50", _resnet3d, [
    Variant("i3d_r50", {"arch": "i3d"},
            description="I3D ResNet-50, 8x8 (5x7x7 stem, inflated 3x1x1 bottleneck convolutions).",
            pretrained=PRETRAINED, weights_url=f"{ZOO}/I3D_8x8_R50.pyth", aliases=("i3d",), paper_params=28.0),
    Variant("i3d_r50_tiny", {**TINY, "arch": "i3d"}, tiny=True, description="I3D ResNet-50 at 1/8 width, for tests."),
])
