"""TSN frame features (Wang et al., "Temporal Segment Networks", ECCV 2016), as VideoDG and STDN build on them.

A clip is ``T`` frames, one per segment (uniform sampler, layout TCHW: ``(B, T, 3, H, W)``). Every frame runs
through a 2-D torchvision ResNet (:class:`FrameEncoder`); the video model then relates the per-frame features
over time (its "consensus"). What both models take from the TSN code base they are written in:

- **Partial BN.** All BatchNorm layers of the frame encoder except the first keep their ImageNet statistics
  and affine parameters (evaluation mode, no gradients) during training; only the first adapts to the new
  input distribution. This assumes an ImageNet initialisation (``pretrained=True`` or ``--weights``); a model
  trained from scratch should set ``partial_bn: false`` (the tiny recipes do).
- **Learning-rate policy.** Biases of convolutions, linear and attention layers learn at twice the base rate
  (``lr_mult`` 2); every other parameter at the base rate. Biases and norm parameters get no weight decay
  (the engine's rule for 1-D parameters; TSN also exempts them).
- **ImageNet initialisation.** ``pretrained=True`` loads torchvision's ``IMAGENET1K_V1`` ResNet-50 (what the
  references' ``resnet50(pretrained=True)`` loads). The same file, or any torchvision ResNet-50 state dict,
  also loads offline through ``weights=PATH`` (:meth:`TSNModel.remap_state_dict` routes it to the encoder and
  keeps the model's other modules as they are).

Tiny variants use torchvision's ResNet with one BasicBlock per stage (a ResNet-10, 512 channels): the same
code at a fraction of the cost.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from synta.models.base import VideoModel
from synta.models.weights import WeightsError, load_pretrained

#: Block type and blocks per stage of the frame encoders.
ARCHS: dict[str, tuple[type[nn.Module], tuple[int, int, int, int]]] = {
    "resnet50": (Bottleneck, (3, 4, 6, 3)),
    "resnet10": (BasicBlock, (1, 1, 1, 1)),
}
STAGES = ("layer1", "layer2", "layer3", "layer4")
IMAGENET = "ImageNet-1k ResNet-50 (torchvision IMAGENET1K_V1)"
IMAGENET_URL = "https://download.pytorch.org/models/resnet50-0676ba61.pth"
_NORMS = (nn.BatchNorm2d, nn.BatchNorm1d, nn.LayerNorm, nn.GroupNorm)


class FrameEncoder(nn.Module):
    """A torchvision ResNet without its classifier, applied to frames ``(N, 3, H, W)``.

    ``stage_hooks`` maps stage names (``layer1`` … ``layer4``) to modules applied to that stage's output (STDN's
    style mixing). Parameter names are torchvision's under ``net.`` so ImageNet checkpoints map one to one.
    """

    def __init__(self, arch: str = "resnet50", stage_hooks: Mapping[str, nn.Module] | None = None) -> None:
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"arch must be one of {tuple(ARCHS)}, got {arch!r}")
        unknown = set(stage_hooks or {}) - set(STAGES)
        if unknown:
            raise ValueError(f"stage hooks must be among {STAGES}, got {sorted(unknown)}")
        block, layers = ARCHS[arch]
        self.net = ResNet(block, list(layers))
        self.net.fc = nn.Identity()  # the video models bring their own heads
        self.hooks = nn.ModuleDict(dict(stage_hooks or {}))
        self.out_channels = 512 * block.expansion

    def forward_maps(self, frames: torch.Tensor) -> torch.Tensor:
        """Final feature maps ``(N, C, H/32, W/32)``."""
        net = self.net
        x = net.maxpool(net.relu(net.bn1(net.conv1(frames))))
        for name in STAGES:
            x = getattr(net, name)(x)
            if name in self.hooks:
                x = self.hooks[name](x)
        return x

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Globally pooled features ``(N, C)``."""
        return self.forward_maps(frames).mean(dim=(2, 3))


def is_torchvision_resnet(state: Mapping[str, Any]) -> bool:
    """Whether ``state`` is a bare torchvision ResNet state dict (an ImageNet checkpoint)."""
    return "conv1.weight" in state and "layer1.0.conv1.weight" in state


class TSNModel(VideoModel):
    """Base of the TSN-style models: a :class:`FrameEncoder` under ``encoder`` plus the subclass's consensus.

    Handles the input check, partial BN, TSN's learning-rate policy and ImageNet checkpoints (see the module
    docstring). ``num_classes`` is the size of the classifier, ``num_segments`` the frames per clip.
    """

    def __init__(self, encoder: FrameEncoder, num_classes: int, num_segments: int, partial_bn: bool) -> None:
        super().__init__()
        if num_classes is None or num_classes < 1:
            raise ValueError(f"{type(self).__name__} needs a positive num_classes, got {num_classes}")
        self.encoder = encoder
        self.num_classes, self.num_segments, self.partial_bn = num_classes, num_segments, partial_bn
        for bn in self.frozen_norms():
            bn.weight.requires_grad_(False)
            bn.bias.requires_grad_(False)

    def frozen_norms(self) -> list[nn.BatchNorm2d]:
        """The encoder's BatchNorm layers that partial BN keeps fixed (all but the first)."""
        if not self.partial_bn:
            return []
        return [m for m in self.encoder.modules() if isinstance(m, nn.BatchNorm2d)][1:]

    def train(self, mode: bool = True) -> TSNModel:
        super().train(mode)
        for bn in self.frozen_norms():
            bn.eval()
        return self

    def frames(self, video: torch.Tensor) -> torch.Tensor:
        """``video (B, T, 3, H, W)`` as a batch of frames ``(B·T, 3, H, W)`` after checking its shape."""
        if video.ndim != 5 or video.shape[2] != 3:
            raise ValueError(f"expected video (B, T, 3, H, W) (recipe layout TCHW), got shape {tuple(video.shape)}")
        if video.shape[1] != self.num_segments:
            raise ValueError(f"{type(self).__name__} was built for {self.num_segments} segments, got "
                             f"{video.shape[1]} frames (set model.num_segments to the recipe's clip.frames)")
        return video.flatten(0, 1)

    def param_groups(self) -> list[dict[str, Any]]:
        """TSN's policy: biases (outside norm layers) at ``lr_mult`` 2, everything else at 1."""
        norm_params = {id(p) for m in self.modules() if isinstance(m, _NORMS) for p in m.parameters(recurse=False)}
        groups: dict[str, list[nn.Parameter]] = {"weights": [], "biases": []}
        for name, p in self.named_parameters():
            if p.requires_grad:
                is_bias = name.endswith("bias") and id(p) not in norm_params
                groups["biases" if is_bias else "weights"].append(p)
        return [{"name": k, "params": ps, "lr_mult": 2.0 if k == "biases" else 1.0} for k, ps in groups.items() if ps]

    def remap_state_dict(self, state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """A torchvision ResNet checkpoint is loaded into the encoder (strictly, its ``fc`` ignored) and the
        model's resulting state returned; our own state dicts pass unchanged."""
        if not is_torchvision_resnet(state):
            return dict(state)
        own = self.encoder.net.state_dict()
        backbone = {k: v for k, v in state.items() if not k.startswith("fc.")}
        missing, unexpected = sorted(set(own) - set(backbone)), sorted(set(backbone) - set(own))
        shapes = [k for k in own if k in backbone and own[k].shape != backbone[k].shape]
        if missing or unexpected or shapes:
            raise WeightsError(f"the ResNet checkpoint does not fit {type(self).__name__}'s frame encoder "
                             f"(missing {missing[:3]}, unexpected {unexpected[:3]}, shapes differ {shapes[:3]})")
        self.encoder.net.load_state_dict(backbone)
        return self.state_dict()


def draw_relations(relations: list[tuple[int, ...]], k: int, training: bool) -> list[tuple[int, ...]]:
    """The relations (frame or group index tuples) a relation module uses in one forward pass.

    Training draws ``k`` of them at random without replacement, as the TRN-style references do (from torch's
    generator, so runs are reproducible and resumable); evaluation uses every one of them, so predictions
    are deterministic. Callers average over the returned relations (scaled by ``k`` where the reference sums
    its ``k`` draws), which makes evaluation the expectation of the training-time draw.
    """
    if training and k < len(relations):
        return [relations[int(i)] for i in torch.randperm(len(relations))[:k]]
    return list(relations)


def tsn_family(cls: type[TSNModel]) -> Callable[..., TSNModel]:
    """The :func:`~synta.models.registry.register_family` builder of a TSN family: ``cls(num_classes,
    **kwargs)``, with the ImageNet frame encoder loaded if ``pretrained`` (``ValueError`` for variants
    without canonical weights)."""
    def make(name: str, num_classes: int | None, pretrained: bool, **kwargs: Any) -> TSNModel:
        model = cls(num_classes, **kwargs)
        return load_pretrained(model, name) if pretrained else model
    return make
