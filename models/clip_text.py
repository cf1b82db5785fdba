"""The CLIP text tower shared by the zoo's text models (ActionCLIP, X-CLIP, ViFi-CLIP, EZ-CLIP, FROSTER).

Parameter names follow OpenAI CLIP / open_clip (``token_embedding``, ``positional_embedding``,
``transformer.resblocks.<i>``, ``ln_final``, ``text_projection``), so the text half of OpenAI's checkpoint
loads with strict key matching (:func:`load_clip_text`). The blocks are the vision tower's
:class:`~synta.models.clip_vision.ResidualAttentionBlock` run with a causal mask; methods that add modules
to the text blocks (EZ-CLIP's adapters) pass their own block class, as for the vision tower.

Text is tokenised with open_clip's CLIP tokenizer (its BPE vocabulary ships with the package, so it works
offline). Tiny configurations use a small vocabulary and context: token ids are folded modulo
``vocab_size`` and prompts are truncated to ``context_length`` (the tokenizer keeps the end-of-text token
last), which keeps every code path of the full model at a fraction of its size.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import torch
from torch import nn

from synta.models.clip_vision import ResidualAttentionBlock, Transformer, load_clip_vision


@dataclass(frozen=True)
class TextConfig:
    """Shape of the text tower; the defaults are CLIP ViT-B/16's."""

    context_length: int = 77
    vocab_size: int = 49408
    width: int = 512
    layers: int = 12
    heads: int = 8
    mlp_ratio: float = 4.0
    output_dim: int = 512

    def __post_init__(self) -> None:
        if self.width % self.heads:
            raise ValueError(f"width {self.width} is not divisible by heads {self.heads}")
        if self.context_length < 2:
            raise ValueError("context_length must hold at least the start and end tokens")

    @classmethod
    def tiny(cls) -> TextConfig:
        """The text tower of every ``_tiny`` CLIP model (output size matches ``VisionConfig.tiny()``)."""
        return cls(context_length=16, vocab_size=1024, width=32, layers=2, heads=2, output_dim=32)


@cache
def _tokenizer():
    import open_clip

    return open_clip.get_tokenizer("ViT-B-16")


def tokenize(texts: Sequence[str], context_length: int = 77) -> torch.Tensor:
    """CLIP BPE token ids ``(N, context_length)`` of ``texts``: start token, text, end token, zero padding;
    texts that do not fit are truncated with the end token kept last."""
    if isinstance(texts, str):
        raise TypeError("tokenize expects a sequence of texts, not a single string")
    return _tokenizer()(list(texts), context_length=context_length)


class TextTransformer(nn.Module):
    """CLIP's text tower: token and position embeddings, causal blocks, ``ln_final``, and the projection of
    the end-of-text token (the largest id of each row, as in CLIP).

    ``block`` is the block class, called as ``block(width, heads, mlp_ratio, **block_kwargs)``.
    """

    def __init__(self, cfg: TextConfig = TextConfig(), block: type[ResidualAttentionBlock] = ResidualAttentionBlock,
                 **block_kwargs) -> None:
        super().__init__()
        self.cfg = cfg
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.width)
        self.positional_embedding = nn.Parameter(torch.empty(cfg.context_length, cfg.width))
        self.transformer = Transformer(block(cfg.width, cfg.heads, cfg.mlp_ratio, **block_kwargs)
                                       for _ in range(cfg.layers))
        self.ln_final = nn.LayerNorm(cfg.width)
        self.text_projection = nn.Parameter(torch.empty(cfg.width, cfg.output_dim))
        # True above the diagonal: a token attends to itself and the tokens before it.
        causal = torch.ones(cfg.context_length, cfg.context_length, dtype=torch.bool).triu(1)
        self.register_buffer("attn_mask", causal, persistent=False)
        self._init_parameters()

    def _init_parameters(self) -> None:
        # CLIP's initialisation, so an untrained (tiny) tower already gives spread-out embeddings.
        cfg = self.cfg
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        proj_std = cfg.width ** -0.5 * (2 * cfg.layers) ** -0.5
        for block in self.transformer.resblocks:
            nn.init.normal_(block.attn.in_proj_weight, std=cfg.width ** -0.5)
            nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
            nn.init.normal_(block.mlp.c_fc.weight, std=(2 * cfg.width) ** -0.5)
            nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)
        nn.init.normal_(self.text_projection, std=cfg.width ** -0.5)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Text embeddings ``(N, output_dim)`` of token ids ``(N, L)`` with ``L <= context_length``."""
        if tokens.ndim != 2 or tokens.shape[1] > self.cfg.context_length:
            raise ValueError(f"expected token ids (N, L<={self.cfg.context_length}), got shape {tuple(tokens.shape)}")
        n = tokens.shape[1]
        # The fold is the identity for the full vocabulary; tiny towers map BPE ids into their small table.
        x = self.token_embedding(tokens % self.cfg.vocab_size) + self.positional_embedding[:n]
        x = self.ln_final(self.transformer(x, self.attn_mask[:n, :n]))
        eot = tokens.argmax(dim=-1)
        return x[torch.arange(x.shape[0], device=x.device), eot] @ self.text_projection


def load_clip_text(text: TextTransformer, state: Mapping[str, torch.Tensor],
                   allow_missing: Iterable[str] = ()) -> list[str]:
    """Load the text half of a CLIP state dict (every key outside ``visual.`` except ``logit_scale``) into
    ``text``, with the strict checks of :func:`~synta.models.clip_vision.load_clip_vision`; ``allow_missing``
    lists key prefixes of modules a method adds (kept at their initialisation and returned)."""
    sub = {k: v for k, v in state.items() if not k.startswith("visual.") and k != "logit_scale"}
    return load_clip_vision(text, sub, prefix="", allow_missing=allow_missing)
