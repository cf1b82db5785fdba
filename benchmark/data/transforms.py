"""Video transforms on uint8 tensors ``(T, C, H, W)`` with ``torchvision.transforms.v2``, and the per-class
horizontal-flip policy (``assets/flip_policy.yaml``).

Every spatial transform draws its parameters once per clip, so all frames of a clip get the same crop,
flip and RandAugment operations. Randomness comes from torch's global generator, which the dataset seeds
per sample (see :mod:`synta.benchmark.data.dataset`). The transforms end with uint8 clips in the layout
the model wants; :class:`Normalize` turns a clip or a whole batch into normalised floats. The loader applies
it to each batch after it left the workers (on the training device if given): uint8 clips are a quarter of
the bytes to pass between processes and to copy to a GPU, and those copies bound loading as much as decoding.

Flip policy: a horizontal flip is applied (with probability 0.5) only to videos whose fine class keeps its
meaning when mirrored. The policy is keyed by *fine* class even when the task trains on coarse labels: a
mirrored Syn-TA Set-1 "moving left to right" clip would show the Set-2 class "moving right to left", and so
leak the unknown set into training.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

from synta.assets import load_yaml

# Per-channel RGB statistics on [0, 1]: Kinetics (PySlowFast's DATA.MEAN/STD), ImageNet, and OpenAI CLIP.
NORMS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "kinetics": ((0.45, 0.45, 0.45), (0.225, 0.225, 0.225)),
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "clip": ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),
}
TRAIN_CROPS = ("random_resized", "scale_jitter")
LAYOUTS = ("TCHW", "CTHW")


@dataclass(frozen=True)
class TransformConfig:
    """Spatial settings for training and testing.

    Training: ``random_resized`` crops a random area fraction ``area`` and aspect ratio ``ratio`` and
    resizes it to ``size``²; ``scale_jitter`` resizes the short side to a random length in ``jitter`` and
    crops ``size``² at random (the SlowFast recipe: 256–320 → 224). Then the flip (where allowed) and
    RandAugment ``(num_ops, magnitude)`` if set.
    Testing: one spatial view resizes the short side to ``short_side`` and takes the centre ``size``²
    crop; three views resize the short side to ``size`` and take the two ends and the middle of the long side.
    ``norm``: ``kinetics``, ``imagenet``, ``clip`` or ``None`` (float in [0, 1]).
    """

    size: int = 224
    short_side: int = 256
    train_crop: str = "random_resized"
    area: tuple[float, float] = (0.25, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    jitter: tuple[int, int] = (256, 320)
    flip: bool = True
    randaugment: tuple[int, int] | None = None
    norm: str | None = "kinetics"
    spatial_views: int = 1

    def __post_init__(self) -> None:
        if self.train_crop not in TRAIN_CROPS:
            raise ValueError(f"train_crop must be one of {TRAIN_CROPS}, got {self.train_crop!r}")
        if self.norm is not None and self.norm not in NORMS:
            raise ValueError(f"norm must be one of {tuple(NORMS)} or None, got {self.norm!r}")
        if self.spatial_views not in (1, 3):
            raise ValueError(f"spatial_views must be 1 or 3, got {self.spatial_views}")


class TrainTransform:
    """Random crop, allowed flip, optional RandAugment: one uint8 clip in, one uint8 clip in ``layout`` out."""

    def __init__(self, cfg: TransformConfig, layout: str = "TCHW") -> None:
        self.cfg = cfg
        if cfg.train_crop == "random_resized":
            crop = [v2.RandomResizedCrop(cfg.size, scale=cfg.area, ratio=cfg.ratio, antialias=True)]
        else:
            crop = [v2.RandomShortestSize(list(range(cfg.jitter[0], cfg.jitter[1] + 1)), antialias=True),
                    v2.RandomCrop(cfg.size, pad_if_needed=True)]
        self.crop = v2.Compose(crop)
        self.augment = v2.RandAugment(*cfg.randaugment) if cfg.randaugment else None
        self.layout = layout

    def __call__(self, video: torch.Tensor, flip_ok: bool = True) -> torch.Tensor:
        """``video``: uint8 ``(T, C, H, W)``; ``flip_ok``: may this clip be mirrored."""
        video = self.crop(tv_tensors.Video(video))
        if self.cfg.flip and flip_ok and torch.rand(()) < 0.5:
            video = F.horizontal_flip(video)
        if self.augment is not None:
            video = self.augment(video)
        return to_layout(video, self.layout)


class EvalTransform:
    """Deterministic resize and centre crop (or three crops): one uint8 clip in, a list of uint8 spatial
    views in ``layout`` out."""

    def __init__(self, cfg: TransformConfig, layout: str = "TCHW") -> None:
        self.cfg = cfg
        self.layout = layout

    def __call__(self, video: torch.Tensor, flip_ok: bool = True) -> list[torch.Tensor]:
        """``video``: uint8 ``(T, C, H, W)``; ``flip_ok`` is ignored (testing never flips)."""
        video = tv_tensors.Video(video)
        if self.cfg.spatial_views == 1:
            views = [F.center_crop(F.resize(video, [self.cfg.short_side], antialias=True), [self.cfg.size])]
        else:
            views = three_crop(F.resize(video, [self.cfg.size], antialias=True), self.cfg.size)
        return [to_layout(v, self.layout) for v in views]


def three_crop(video: torch.Tensor, size: int) -> list[torch.Tensor]:
    """Three ``size``² crops along the long side (start, middle, end), centred on the short side."""
    h, w = video.shape[-2:]
    if w >= h:
        top = (h - size) // 2
        lefts = (0, (w - size) // 2, w - size)
        return [F.crop(video, top, left, size, size) for left in lefts]
    left = (w - size) // 2
    return [F.crop(video, top, left, size, size) for top in (0, (h - size) // 2, h - size)]


def to_layout(video: torch.Tensor, layout: str) -> torch.Tensor:
    """A ``(T, C, H, W)`` clip as a plain contiguous tensor in ``layout`` (``TCHW`` or ``CTHW``)."""
    video = video.as_subclass(torch.Tensor)
    return (video.permute(1, 0, 2, 3) if layout == "CTHW" else video).contiguous()


class Normalize:
    """uint8 clips in ``layout`` (any leading batch/view dimensions) → float32, scaled to [0, 1] and
    normalised with ``norm``'s statistics (``None``: only scaled). One allocation, then in-place arithmetic.
    """

    def __init__(self, norm: str | None, layout: str = "TCHW") -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        mean, std = NORMS[norm] if norm is not None else ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
        shape = (-1, 1, 1, 1) if layout == "CTHW" else (-1, 1, 1)  # channel dimension -4 or -3
        self.scale = (1 / (255 * torch.tensor(std))).view(shape)  # x / 255 / std - mean / std
        self.shift = (torch.tensor(mean) / torch.tensor(std)).view(shape)

    def __call__(self, video: torch.Tensor) -> torch.Tensor:
        scale, shift = self.scale.to(video.device), self.shift.to(video.device)
        return video.to(torch.float32).mul_(scale).sub_(shift)


def build_transform(cfg: TransformConfig, train: bool, layout: str = "TCHW") -> TrainTransform | EvalTransform:
    """The training or the testing transform of ``cfg``, returning uint8 clips in ``layout``."""
    return TrainTransform(cfg, layout) if train else EvalTransform(cfg, layout)


@cache
def no_flip_classes(dataset: str) -> frozenset[str]:
    """Fine class names of ``dataset`` whose meaning a horizontal flip changes (``assets/flip_policy.yaml``)."""
    policy = load_yaml("flip_policy.yaml")
    if dataset not in policy:
        raise KeyError(f"no flip policy for dataset {dataset!r} in flip_policy.yaml")
    return frozenset((policy[dataset] or {}).get("no_flip") or {})


def flip_allowed(dataset: str, fine_name: str | None) -> bool:
    """May a video of this fine class be mirrored in training? (False when its class is unknown.)"""
    return fine_name is not None and fine_name not in no_flip_classes(dataset)
