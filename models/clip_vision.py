"""The CLIP ViT image tower shared by the zoo's CLIP-based models (AIM, UniFormerV2, the text models).

Parameter names follow OpenAI CLIP / open_clip's ``visual.*`` layout exactly, so OpenAI's checkpoint loads
with strict key matching (:func:`load_clip_vision`). Tokens are **batch-first** ``(N, L, D)`` everywhere
(OpenAI's code is sequence-first; the layout has no parameters, so the weights are the same).

Video models customise the tower in two ways: by passing their own block class (a subclass of
:class:`ResidualAttentionBlock` that adds adapters or temporal modules) to :class:`VisionTransformer`, or by
running :meth:`VisionTransformer.embed`, the blocks and :meth:`VisionTransformer.pool` themselves.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import StochasticDepth

from synta.models.weights import WeightsUnavailable


@dataclass(frozen=True)
class VisionConfig:
    """Shape of the image tower; the defaults are CLIP ViT-B/16.

    ``output_dim=None`` builds the tower without CLIP's projection (:meth:`VisionTransformer.pool` then
    returns the normalised class token); ``post_norm=False`` also drops ``ln_post``, for models that read
    the tokens themselves. The CLIP weights of the parts left out are ignored when loading.
    """

    image_size: int = 224
    patch_size: int = 16
    width: int = 768
    layers: int = 12
    heads: int = 12
    mlp_ratio: float = 4.0
    output_dim: int | None = 512
    post_norm: bool = True

    def __post_init__(self) -> None:
        if self.image_size % self.patch_size:
            raise ValueError(f"image_size {self.image_size} is not a multiple of patch_size {self.patch_size}")
        if self.width % self.heads:
            raise ValueError(f"width {self.width} is not divisible by heads {self.heads}")

    @classmethod
    def tiny(cls) -> VisionConfig:
        """The tower of every ``_tiny`` CLIP model: 32² input, a 4×4 grid of 8² patches, width 64, 2 layers."""
        return cls(image_size=32, patch_size=8, width=64, layers=2, heads=2, output_dim=32)

    @property
    def grid(self) -> int:
        """Patches per side at ``image_size``."""
        return self.image_size // self.patch_size


class QuickGELU(nn.Module):
    """The GELU approximation OpenAI CLIP was trained with (its weights expect it, not ``nn.GELU``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


def stochastic_depth(rate: float) -> nn.Module:
    """Per-sample drop of a residual branch with probability ``rate`` (timm's DropPath); identity at 0."""
    return StochasticDepth(rate, "row") if rate > 0 else nn.Identity()


class ResidualAttentionBlock(nn.Module):
    """Pre-norm transformer block of CLIP: ``x + attn(ln_1(x))`` then ``x + mlp(ln_2(x))``; ``(N, L, D)``.

    Subclasses override :meth:`attention` or :meth:`forward` and add modules; the four parts below keep
    their names so the CLIP weights still load.
    """

    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0, drop_path: float = 0.0) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential(OrderedDict(
            c_fc=nn.Linear(width, hidden), gelu=QuickGELU(), c_proj=nn.Linear(hidden, width)))
        self.drop_path = stochastic_depth(drop_path)

    def attention(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Self-attention of already normalised tokens ``(N, L, D)`` (no residual)."""
        return self.attn(x, x, x, need_weights=False, attn_mask=attn_mask)[0]

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.drop_path(self.attention(self.ln_1(x), attn_mask))
        return x + self.drop_path(self.mlp(self.ln_2(x)))


class Transformer(nn.Module):
    """A stack of blocks named ``resblocks`` (open_clip's name), run in order."""

    def __init__(self, blocks: Iterable[nn.Module]) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        for block in self.resblocks:
            x = block(x, attn_mask) if attn_mask is not None else block(x)
        return x


class VisionTransformer(nn.Module):
    """CLIP's image tower: patchify, class token, position embedding, blocks, class-token projection.

    ``block`` is the block class (called as ``block(width, heads, mlp_ratio, **block_kwargs)``);
    ``drop_path_rate > 0`` also passes ``drop_path``, rising linearly from 0 at the first block to
    ``drop_path_rate`` at the last (the usual stochastic-depth rule). Images of another size than
    ``cfg.image_size`` get a bicubically resized position embedding.
    """

    def __init__(self, cfg: VisionConfig = VisionConfig(), block: type[ResidualAttentionBlock] = ResidualAttentionBlock,
                 drop_path_rate: float = 0.0, **block_kwargs) -> None:
        super().__init__()
        self.cfg = cfg
        scale = cfg.width ** -0.5  # CLIP's initialisation of the embeddings and the projection
        self.conv1 = nn.Conv2d(3, cfg.width, cfg.patch_size, cfg.patch_size, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(cfg.width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(cfg.grid ** 2 + 1, cfg.width))
        self.ln_pre = nn.LayerNorm(cfg.width)
        rates = torch.linspace(0, drop_path_rate, cfg.layers).tolist()
        self.transformer = Transformer(
            block(cfg.width, cfg.heads, cfg.mlp_ratio, **block_kwargs, **({"drop_path": r} if drop_path_rate else {}))
            for r in rates)
        self.ln_post = nn.LayerNorm(cfg.width) if cfg.post_norm else None
        if cfg.output_dim is None:
            self.register_parameter("proj", None)
        else:
            self.proj = nn.Parameter(scale * torch.randn(cfg.width, cfg.output_dim))

    @property
    def blocks(self) -> nn.ModuleList:
        """The transformer blocks (``transformer.resblocks``)."""
        return self.transformer.resblocks

    def position_embedding(self, grid: tuple[int, int]) -> torch.Tensor:
        """Position embedding ``(1 + gh·gw, D)`` for a ``grid`` of patches (resized if it differs)."""
        n = self.cfg.grid
        if grid == (n, n):
            return self.positional_embedding
        cls_pos, patch_pos = self.positional_embedding[:1], self.positional_embedding[1:]
        patch_pos = patch_pos.reshape(1, n, n, -1).permute(0, 3, 1, 2)
        patch_pos = F.interpolate(patch_pos, size=grid, mode="bicubic", align_corners=False)
        return torch.cat([cls_pos, patch_pos.permute(0, 2, 3, 1).flatten(0, 2)])

    def embed(self, images: torch.Tensor, norm: bool = True) -> torch.Tensor:
        """Tokens ``(N, 1 + L, D)`` of ``images (N, 3, H, W)``: class token first, position embedding added,
        then ``ln_pre`` (unless ``norm=False``, for models that add their own embeddings before it)."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"expected images (N, 3, H, W), got shape {tuple(images.shape)}")
        x = self.conv1(images)
        grid = (x.shape[2], x.shape[3])
        x = x.flatten(2).transpose(1, 2)
        cls = self.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.position_embedding(grid).to(x.dtype)
        return self.ln_pre(x) if norm else x

    def pool(self, tokens: torch.Tensor) -> torch.Tensor:
        """Image embedding ``(N, output_dim)``: ``ln_post`` of the class token, then the projection (if any)."""
        if self.ln_post is None:
            raise ValueError("this tower was built without ln_post (post_norm=False); pool the tokens yourself")
        x = self.ln_post(tokens[:, 0])
        return x if self.proj is None else x @ self.proj

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.pool(self.transformer(self.embed(images)))


def encode_frames(vit: VisionTransformer, video: torch.Tensor) -> torch.Tensor:
    """Per-frame embeddings ``(B, T, output_dim)`` of ``video (B, T, 3, H, W)``."""
    if video.ndim != 5:
        raise ValueError(f"expected video (B, T, 3, H, W), got shape {tuple(video.shape)}")
    b, t = video.shape[:2]
    return vit(video.flatten(0, 1)).unflatten(0, (b, t))


def clip_initialised(cls: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """The :func:`~synta.models.registry.register_family` builder of a classifier started from CLIP
    ViT-B/16: ``cls(num_classes, **kwargs)``, with OpenAI's weights put in by its ``load_clip(state)`` when
    ``pretrained`` (``_tiny`` rows have none)."""
    def make(name: str, num_classes: int | None, pretrained: bool, **kwargs: Any) -> nn.Module:
        if pretrained and name.endswith("_tiny"):
            raise ValueError(f"{name} has no pretrained weights")
        model = cls(num_classes, **kwargs)
        if pretrained:
            model.load_clip(openai_state_dict())
        return model
    return make


def openai_state_dict(arch: str = "ViT-B-16") -> dict[str, torch.Tensor]:
    """The full OpenAI CLIP state dict of ``arch`` (``visual.*`` and the text tower) through open_clip.

    Needs network access the first time (open_clip caches the file); raises
    :class:`~synta.models.weights.WeightsUnavailable` otherwise.
    """
    import open_clip

    try:
        model = open_clip.create_model(arch, pretrained="openai", force_quick_gelu=True)
    except Exception as err:  # download failures come as many exception types; report them in one line
        name = "/".join(arch.rsplit("-", 1))  # ViT-B-16 → ViT-B/16, as the papers write it
        raise WeightsUnavailable(f"could not load OpenAI CLIP {name} weights through open_clip (they are downloaded "
                           f"on first use, which needs network access): {type(err).__name__}: {err}") from None
    return model.state_dict()


_BLOCK_KEY = re.compile(r"^transformer\.resblocks\.\d+\.")


def _allowed(key: str, allow_missing: tuple[str, ...]) -> bool:
    return key.startswith(allow_missing) or key.startswith("transformer.resblocks.") and \
        _BLOCK_KEY.sub("", key).startswith(allow_missing)


def load_clip_vision(vit: nn.Module, state: Mapping[str, torch.Tensor], prefix: str = "visual.",
                     allow_missing: Iterable[str] = ()) -> list[str]:
    """Load the ``prefix`` part of a CLIP state dict into the tower ``vit`` (a :class:`VisionTransformer`, or
    any module with CLIP's names) with strict key and shape matching.

    The weights of parts the tower was built without (attributes set to None: ``proj``, ``ln_post``; see
    :class:`VisionConfig`) are ignored.

    ``allow_missing`` lists key prefixes that may stay at their initialisation (modules a video model adds);
    a prefix matches keys of the tower (``temporal_embedding``) or keys inside any block (``t_adapter.``
    matches ``transformer.resblocks.<i>.t_adapter.*``). Returns the keys left at initialisation; raises
    ``ValueError`` listing any other missing, unexpected or mis-shaped key.
    """
    allow = tuple(allow_missing)
    own = vit.state_dict()
    sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not sub:
        raise ValueError(f"no {prefix!r} keys in the CLIP state dict")
    # parts the tower was built without (set to None) ignore their weights
    sub = {k: v for k, v in sub.items() if getattr(vit, k.split(".", 1)[0], True) is not None}
    kept = [k for k in own if k not in sub and _allowed(k, allow)]
    missing = [k for k in own if k not in sub and k not in kept]
    unexpected = [k for k in sub if k not in own]
    shapes = [f"{k} {tuple(v.shape)} vs {tuple(own[k].shape)}" for k, v in sub.items()
              if k in own and v.shape != own[k].shape]
    problems = [f"{what}: {', '.join(keys[:8])}{f' … ({len(keys)} in all)' if len(keys) > 8 else ''}"
                for what, keys in (("missing keys", missing), ("unexpected keys", unexpected),
                                   ("shape mismatches", shapes)) if keys]
    if problems:
        raise ValueError(f"CLIP weights do not fit {type(vit).__name__}: " + "; ".join(problems))
    vit.load_state_dict(sub, strict=False)
    return kept
