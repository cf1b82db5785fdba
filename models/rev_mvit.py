"""Rev-MViT-B (Mangalam et al., "Reversible Vision Transformers", CVPR 2022), 16x4 Kinetics configuration.

A reversible block keeps two residual streams and computes

    Y1 = X1 + F(X2)      F: pre-norm pooling attention
    Y2 = X2 + G(Y1)      G: pre-norm MLP

so its inputs follow from its outputs (X2 = Y2 - G(Y1), X1 = Y1 - F(X2)). A run of such blocks is one
:class:`torch.autograd.Function` that keeps only the run's final outputs and recomputes every block's
activations from them during the backward pass: activation memory no longer grows with depth.
Where the width and resolution change (the first block of each stage), a non-reversible
:class:`StageTransition` averages the two streams and runs an MViT block whose queries, and residual, are
pooled; the next run starts again from two copies of its output. At the end the two streams are
concatenated, normalised and averaged over tokens.

Differences from the reference code (SlowFast ``reversible_mvit.py``): stochastic depth drops the residual
branches of a transition block (the reference drops its whole output) and F and G draw their masks
independently; masks are drawn once per step and reused when activations are recomputed, instead of
re-seeding the random generator. Checkpoints of the SlowFast model zoo load through
:meth:`RevMViT.remap_state_dict`.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from synta.models.base import VideoModel
from synta.models.heads import ClassifierHead
from synta.models.mvit import multiscale_blocks
from synta.models.registry import Variant, register_family
from synta.models.weights import load_pretrained

THW = tuple[int, int, int]
Masks = tuple[torch.Tensor | None, torch.Tensor | None]


def _pooling(channels: int, kernel: Sequence[int], stride: Sequence[int]) -> tuple[nn.Module | None, ...]:
    """Depthwise convolution and LayerNorm pooling one head's tokens, or ``(None, None)`` for identity."""
    if math.prod(kernel) == 1 and math.prod(stride) == 1:
        return None, None
    conv = nn.Conv3d(channels, channels, tuple(kernel), stride=tuple(stride), padding=[k // 2 for k in kernel],
                     groups=channels, bias=False)
    return conv, nn.LayerNorm(channels, eps=1e-6)


def _pool(x: torch.Tensor, conv: nn.Module | None, norm: nn.Module | None, thw: THW) -> tuple[torch.Tensor, THW]:
    """Pool per-head tokens ``(B, heads, T·H·W, C)`` laid out on the grid ``thw``."""
    if conv is None:
        return x, thw
    b, n, _, c = x.shape
    x = conv(x.reshape(b * n, *thw, c).permute(0, 4, 1, 2, 3))
    thw = tuple(x.shape[2:])
    return norm(x.reshape(b, n, c, -1).transpose(2, 3)), thw


class PoolingAttention(nn.Module):
    """Multi-head self-attention on tokens without a class token whose queries, keys and values are pooled
    by depthwise 3-D convolutions after the projection (MViT's "conv" mode). Maps ``dim`` to ``dim_out``
    channels; a query stride lowers the token grid."""

    def __init__(self, dim: int, dim_out: int, num_heads: int, kernel_q: Sequence[int], stride_q: Sequence[int],
                 kernel_kv: Sequence[int], stride_kv: Sequence[int], qkv_bias: bool = False) -> None:
        super().__init__()
        if dim_out % num_heads:
            raise ValueError(f"width {dim_out} is not a multiple of {num_heads} heads")
        self.num_heads = num_heads
        head_dim = dim_out // num_heads
        self.qkv = nn.Linear(dim, 3 * dim_out, bias=qkv_bias)
        self.proj = nn.Linear(dim_out, dim_out)
        self.pool_q, self.norm_q = _pooling(head_dim, kernel_q, stride_q)
        self.pool_k, self.norm_k = _pooling(head_dim, kernel_kv, stride_kv)
        self.pool_v, self.norm_v = _pooling(head_dim, kernel_kv, stride_kv)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], x.shape[1], self.num_heads, -1).transpose(1, 2)

    def pool_like_queries(self, x: torch.Tensor, thw: THW) -> torch.Tensor:
        """``x`` ``(B, L, dim_out)`` pooled with the queries' convolution (a transition block's residual)."""
        x, _ = _pool(self._heads(x), self.pool_q, self.norm_q, thw)
        return x.transpose(1, 2).flatten(2)

    def forward(self, x: torch.Tensor, thw: THW) -> tuple[torch.Tensor, THW]:
        q, k, v = (self._heads(t) for t in self.qkv(x).chunk(3, dim=-1))
        q, thw_q = _pool(q, self.pool_q, self.norm_q, thw)
        k, _ = _pool(k, self.pool_k, self.norm_k, thw)
        v, _ = _pool(v, self.pool_v, self.norm_v, thw)
        x = F.scaled_dot_product_attention(q, k, v)
        return self.proj(x.transpose(1, 2).flatten(2)), thw_q


class AttentionBranch(nn.Module):
    """F: LayerNorm then :class:`PoolingAttention`."""

    def __init__(self, dim: int, dim_out: int, num_heads: int, kernel_q: Sequence[int], stride_q: Sequence[int],
                 kernel_kv: Sequence[int], stride_kv: Sequence[int], qkv_bias: bool) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.attn = PoolingAttention(dim, dim_out, num_heads, kernel_q, stride_q, kernel_kv, stride_kv, qkv_bias)

    def forward(self, x: torch.Tensor, thw: THW) -> tuple[torch.Tensor, THW]:
        return self.attn(self.norm(x), thw)


class MlpBranch(nn.Module):
    """G: LayerNorm then a GELU MLP with ``mlp_ratio`` times wider hidden layer."""

    def __init__(self, dim: int, mlp_ratio: float) -> None:
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(OrderedDict(fc1=nn.Linear(dim, hidden), act=nn.GELU(), fc2=nn.Linear(hidden, dim)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.norm(x))


def _drop_masks(module: nn.Module, x: torch.Tensor, rate: float) -> Masks:
    """Stochastic-depth masks ``(B, 1, 1)`` for a block's two branches (kept samples scaled by 1/keep), or
    ``None`` where nothing is dropped."""
    if not module.training or rate == 0.0:
        return None, None
    keep = 1.0 - rate
    return tuple(x.new_empty(x.shape[0], 1, 1).bernoulli_(keep).div_(keep) for _ in range(2))


def _dropped(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return x if mask is None else x * mask


class ReversibleBlock(nn.Module):
    """``Y1 = X1 + F(X2)``, ``Y2 = X2 + G(Y1)`` at constant width and resolution; :meth:`invert` recovers the
    inputs and back-propagates through the block from its outputs alone."""

    def __init__(self, dim: int, num_heads: int, kernel_kv: Sequence[int], stride_kv: Sequence[int],
                 mlp_ratio: float = 4.0, qkv_bias: bool = False, drop_path: float = 0.0) -> None:
        super().__init__()
        self.F = AttentionBranch(dim, dim, num_heads, (), (), kernel_kv, stride_kv, qkv_bias)
        self.G = MlpBranch(dim, mlp_ratio)
        self.drop_path = drop_path

    def sample_masks(self, x: torch.Tensor) -> Masks:
        """This step's stochastic-depth masks for F and G."""
        return _drop_masks(self, x, self.drop_path)

    def trainable(self) -> list[nn.Parameter]:
        """Parameters that need gradients, F's then G's (the order :meth:`invert` returns their gradients in)."""
        return [p for p in (*self.F.parameters(), *self.G.parameters()) if p.requires_grad]

    def forward(self, x1: torch.Tensor, x2: torch.Tensor, thw: THW, masks: Masks) -> tuple[torch.Tensor, torch.Tensor]:
        y1 = x1 + _dropped(self.F(x2, thw)[0], masks[0])
        return y1, x2 + _dropped(self.G(y1), masks[1])

    def invert(self, y1: torch.Tensor, y2: torch.Tensor, dy1: torch.Tensor, dy2: torch.Tensor, thw: THW,
               masks: Masks) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, list]:
        """From the outputs and their gradients to ``(x1, x2, dx1, dx2, parameter gradients)``.

        G is re-run on Y1 to get X2 = Y2 - G(Y1) and the gradients through G, then F on X2 for X1 = Y1 - F(X2)
        and the gradients through F; only one branch's activations exist at a time.
        """
        params_f = [p for p in self.F.parameters() if p.requires_grad]
        params_g = [p for p in self.G.parameters() if p.requires_grad]
        with torch.enable_grad():
            y1 = y1.detach().requires_grad_()
            g = _dropped(self.G(y1), masks[1])
            dy1_g, *grads_g = torch.autograd.grad(g, (y1, *params_g), dy2, allow_unused=True)
        with torch.no_grad():
            x2 = y2 - g
            dx1 = dy1 + dy1_g
        del g
        with torch.enable_grad():
            x2 = x2.requires_grad_()
            f = _dropped(self.F(x2, thw)[0], masks[0])
            dx2_f, *grads_f = torch.autograd.grad(f, (x2, *params_f), dx1, allow_unused=True)
        with torch.no_grad():
            x1 = y1.detach() - f
            dx2 = dy2 + dx2_f
        return x1, x2.detach(), dx1, dx2, [*grads_f, *grads_g]


class _ReversibleRun(torch.autograd.Function):
    """A run of :class:`ReversibleBlock`\\ s that saves only its outputs; ``backward`` inverts block by block.

    The trainable parameters are inputs too, so their gradients flow through autograd like any other
    (``torch.autograd.grad``, gradient hooks and DDP see them). Autocast state is recorded and restored for
    the recomputation, which runs outside the forward's autocast context.
    """

    @staticmethod
    def forward(ctx: Any, x1: torch.Tensor, x2: torch.Tensor, blocks: list[ReversibleBlock], thw: THW,
                masks: list[Masks], *params: nn.Parameter) -> tuple[torch.Tensor, torch.Tensor]:
        for block, block_masks in zip(blocks, masks):
            x1, x2 = block(x1, x2, thw, block_masks)
        ctx.save_for_backward(x1, x2)
        ctx.blocks, ctx.thw, ctx.masks = blocks, thw, masks
        device = x1.device.type
        ctx.autocast = {"device_type": device, "enabled": torch.is_autocast_enabled(device),
                        "dtype": torch.get_autocast_dtype(device)}
        return x1, x2

    @staticmethod
    def backward(ctx: Any, dy1: torch.Tensor, dy2: torch.Tensor) -> tuple:
        y1, y2 = ctx.saved_tensors
        grads: list = []
        with torch.autocast(**ctx.autocast):
            for block, block_masks in zip(reversed(ctx.blocks), reversed(ctx.masks)):
                y1, y2, dy1, dy2, block_grads = block.invert(y1, y2, dy1, dy2, ctx.thw, block_masks)
                grads = block_grads + grads
        return dy1, dy2, None, None, None, *grads


def reversible_run(x1: torch.Tensor, x2: torch.Tensor, blocks: Sequence[ReversibleBlock], thw: THW,
                   reversible: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply ``blocks`` to the two streams. With ``reversible`` and gradients enabled, activations are
    recomputed in the backward pass (memory independent of depth); otherwise plain autograd. Both draw the
    same stochastic-depth masks from the random generator, so they compute the same function."""
    masks = [block.sample_masks(x1) for block in blocks]
    if reversible and torch.is_grad_enabled():
        params = [p for block in blocks for p in block.trainable()]
        return _ReversibleRun.apply(x1, x2, list(blocks), thw, masks, *params)
    for block, block_masks in zip(blocks, masks):
        x1, x2 = block(x1, x2, thw, block_masks)
    return x1, x2


class StageTransition(nn.Module):
    """The non-reversible first block of a stage: average the two streams, then
    ``X = Pool_q(Proj(X)) + F(X)`` (queries pooled, width ``dim → dim_out``) and ``X = X + G(X)``."""

    def __init__(self, dim: int, dim_out: int, num_heads: int, kernel_q: Sequence[int], stride_q: Sequence[int],
                 kernel_kv: Sequence[int], stride_kv: Sequence[int], mlp_ratio: float = 4.0, qkv_bias: bool = False,
                 drop_path: float = 0.0) -> None:
        super().__init__()
        self.F = AttentionBranch(dim, dim_out, num_heads, kernel_q, stride_q, kernel_kv, stride_kv, qkv_bias)
        self.G = MlpBranch(dim_out, mlp_ratio)
        self.res_proj = nn.Linear(dim, dim_out) if dim != dim_out else None
        self.drop_path = drop_path

    def forward(self, x1: torch.Tensor, x2: torch.Tensor, thw: THW) -> tuple[torch.Tensor, THW]:
        x = (x1 + x2) / 2
        residual = self.F.attn.pool_like_queries(x if self.res_proj is None else self.res_proj(x), thw)
        y, thw = self.F(x, thw)
        masks = _drop_masks(self, x, self.drop_path)
        x = residual + _dropped(y, masks[0])
        return x + _dropped(self.G(x), masks[1]), thw


class RevMViT(VideoModel):
    """Reversible MViT on ``(B, 3, T, H, W)`` clips; the defaults are Rev-MViT-B 16x4: 16 blocks, width
    96 → 768, heads 1 → 8, stages starting at blocks 1, 3 and 14 (the transitions), keys and values pooled
    with stride 8 → 1, no bias in the qkv projections, absolute space and time position embeddings sized for
    ``frames`` x ``size``² (interpolated for other inputs). Set ``reversible = False`` to back-propagate with
    plain autograd (same function, memory growing with depth)."""

    classifier_keys = ("head.",)

    def __init__(self, num_classes: int, dropout: float = 0.5, drop_path: float = 0.05, depth: int = 16,
                 embed_dim: int = 96, num_heads: int = 1, stage_starts: Sequence[int] = (1, 3, 14),
                 kv_stride: Sequence[int] = (1, 8, 8), mlp_ratio: float = 4.0, qkv_bias: bool = False,
                 frames: int = 16, size: int = 224, patch_kernel: Sequence[int] = (3, 7, 7),
                 patch_stride: Sequence[int] = (2, 4, 4)) -> None:
        super().__init__()
        self.patch_embed = nn.Conv3d(3, embed_dim, tuple(patch_kernel), stride=tuple(patch_stride),
                                     padding=[k // 2 for k in patch_kernel])
        self.grid = (frames // patch_stride[0], size // patch_stride[1], size // patch_stride[2])
        self.pos_embed_spatial = nn.Parameter(torch.zeros(1, self.grid[1] * self.grid[2], embed_dim))
        self.pos_embed_temporal = nn.Parameter(torch.zeros(1, self.grid[0], embed_dim))
        settings = multiscale_blocks(depth, embed_dim, num_heads, stage_starts, kv_stride, pool_q_everywhere=False)
        rates = torch.linspace(0, drop_path, depth).tolist()
        self.blocks = nn.ModuleList(
            StageTransition(s.input_channels, s.output_channels, s.num_heads, s.kernel_q, s.stride_q, s.kernel_kv,
                            s.stride_kv, mlp_ratio, qkv_bias, rate) if i in stage_starts else
            ReversibleBlock(s.input_channels, s.num_heads, s.kernel_kv, s.stride_kv, mlp_ratio, qkv_bias, rate)
            for i, (s, rate) in enumerate(zip(settings, rates)))
        # Runs of consecutive reversible blocks and the transitions between them, as block indices.
        self._segments: list[list[int]] = []
        for i, block in enumerate(self.blocks):
            if self._segments and isinstance(block, ReversibleBlock) and \
                    isinstance(self.blocks[self._segments[-1][-1]], ReversibleBlock):
                self._segments[-1].append(i)
            else:
                self._segments.append([i])
        width = 2 * settings[-1].output_channels  # the two streams, concatenated
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.head = ClassifierHead(width, num_classes, dropout, init_std=0.02)
        self.reversible = True
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear) and m is not self.head.fc:
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.trunc_normal_(self.pos_embed_spatial, std=0.02)
        nn.init.trunc_normal_(self.pos_embed_temporal, std=0.02)

    def position(self, thw: THW) -> torch.Tensor:
        """Position embeddings ``(1, T·H·W, C)`` for the token grid ``thw``."""
        t, hw = self.pos_embed_temporal.shape[1], self.pos_embed_spatial.shape[1]
        pos = self.pos_embed_spatial.repeat(1, t, 1) + self.pos_embed_temporal.repeat_interleave(hw, dim=1)
        if thw == self.grid:
            return pos
        grid = pos.reshape(1, *self.grid, -1).permute(0, 4, 1, 2, 3)
        return F.interpolate(grid, size=thw, mode="trilinear").flatten(2).transpose(1, 2)

    def forward_features(self, video: torch.Tensor) -> torch.Tensor:
        """Token average of the normalised, concatenated streams ``(B, 2·C)``."""
        x = self.patch_embed(video)
        thw = tuple(x.shape[2:])
        x1 = x2 = x.flatten(2).transpose(1, 2) + self.position(thw)
        for segment in self._segments:
            blocks = [self.blocks[i] for i in segment]
            if isinstance(blocks[0], StageTransition):
                x, thw = blocks[0](x1, x2, thw)
                x1 = x2 = x
            else:
                x1, x2 = reversible_run(x1, x2, blocks, thw, self.reversible)
        return self.norm(torch.cat([x1, x2], dim=-1)).mean(1)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(video))

    def remap_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """SlowFast model-zoo names → ours; its unused class-token parameters are dropped."""
        renames = (("patch_embed.proj.", "patch_embed."), ("rev_backbone.layers.", "blocks."),
                   ("head.projection.", "head.fc."))
        out = {}
        for key, value in state.items():
            if key in ("cls_token", "pos_embed_class"):
                continue
            for old, new in renames:
                if key.startswith(old):
                    key = new + key.removeprefix(old)
            out[key] = value
        return out


def _rev_mvit(name: str, num_classes: int | None, pretrained: bool, **kwargs: Any) -> RevMViT:
    model = RevMViT(num_classes, **kwargs)
    return load_pretrained(model, name) if pretrained else model


register_family("rev_mvit", "rev_mvit_b", _rev_mvit, [
    Variant("rev_mvit_b", description="Rev-MViT-B, 16x4 input (reversible; drop-path 0.05).",
            pretrained="Kinetics-400 (SlowFast model zoo)",
            weights_url="https://dl.fbaipublicfiles.com/pyslowfast/rev/REV_MVIT_B_16x4.pyth", aliases=("rev_mvit",),
            paper_params=34.9),
    Variant("rev_mvit_b_tiny", {"depth": 6, "embed_dim": 16, "stage_starts": (1, 3), "kv_stride": (1, 4, 4),
                                "frames": 4, "size": 32},
            tiny=True,
            description="Rev-MViT with 6 blocks of width 16 → 64 (two transitions between three reversible runs), "
                        "for tests."),
])
