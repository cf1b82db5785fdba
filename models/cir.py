"""CIR, Cross-Instance Reconstruction (Plizzari, Perrett, Caputo, Damen, "What can a cook in Italy teach a
mechanic in India? Action Recognition Generalisation Over Scenarios and Locations", ICCV 2023; code
Chiaraplizz/ARGO1M-What-can-a-cook), with the Syn-TA run's settings (docs/reference.md#training-settings: pre-extracted
SlowFast features (2304-d), MLP [4096, 512], CLIP ViT-B/32 text model, Adam 5e-6, batch 128, 20 epochs).

CIR classifies **cached clip features** (the recipe's ``data`` section: ``source: features``; see
:mod:`synta.benchmark.features` and ``synta features extract``), not video: ``forward`` takes ``(B, D)``.

- **Video projection**: an MLP ``Linear → BN → ReLU → Dropout`` per hidden size (4096, 512) maps a feature to a
  512-d representation ``z``.
- **Classifier**: cosine similarity (× a learned temperature) between ``z`` and the class prototypes. A
  prototype is the class name's frozen CLIP ViT-B/32 text embedding passed through the reference's trainable
  text projection (``Linear → ReLU → Linear``).
- **Cross-instance reconstruction** (training only): a learned attention (``softmax(LN(W_q z)·LN(W_k z)ᵀ)``
  over the *other* videos of the batch) rebuilds each ``z`` as a weighted combination of other instances'
  representations.
  - ``cir`` term (the domain-invariance term): the reconstruction must still be classified correctly, so the
    class evidence of a video has to be expressible through instances from other domains.
  - ``text`` term (CIR-text): a second reconstruction, of the normalised representations with its own
    attention and temperature, is aligned with the text of each video's class by a symmetric video–text
    contrastive loss over the batch.

What "domain" means here. On ARGO1M the reconstruction draws only on videos of *other* scenarios and
locations. Syn-TA trains on one set of fine contexts, and the engine passes a model only the clip (no
camera, context or other metadata), so we treat every **video as its own domain**: a video is reconstructed
from all other videos of the batch (the reference's ``other`` attention mask). Reconstructing only from other
fine contexts (the protocol's natural domains) would need the engine to pass the fine label of each training
video to the model.

What differs from the reference code, and why:

- Classification is by similarity to projected class-name embeddings instead of a linear layer. The engine
  gives class texts only to models that classify by text, and the text term needs them; as a bonus CIR
  scores label spaces it never trained on (FineMotion-U). The ``ce`` and ``cir`` terms use the same prototypes.
- Texts are class names (coarse names or fine captions), not per-video narrations, so the contrastive
  ``text`` term treats all videos of a class as positives (the same-class target of
  :func:`~synta.models.clip_video.video_text_kl`) instead of the narration-per-video identity target.
- Adam's learning rate is constant (the engine's cosine with ``min_lr = lr``); the reference's step schedule
  for Syn-TA is not given.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from synta.models.label_space import LabelSpace
from synta.models.base import Criterion, ModelOutput, VideoModel
from synta.models.clip_text import TextConfig, TextTransformer, load_clip_text, tokenize
from synta.models.clip_video import video_text_kl
from synta.models.clip_vision import openai_state_dict
from synta.models.prompts import class_texts
from synta.models.registry import Variant, register_family

PRETRAINED = "OpenAI CLIP ViT-B/32 text tower (open_clip 'openai'); features from data.extractor"


@dataclass
class CIROutput(ModelOutput):
    """Logits plus, in training, the logits of the two reconstructions (``cir`` and ``text``)."""

    reconstructed: dict[str, torch.Tensor] = field(default_factory=dict)


class CrossInstanceReconstruction(nn.Module):
    """Rebuilds each row of ``z (B, D)`` from the *other* rows: ``softmax(q kᵀ) z`` with the diagonal masked,
    ``q = LN(W_q z)``, ``k = LN(W_k z)`` (one LayerNorm for both, as in the reference) in ``bottleneck`` dims."""

    def __init__(self, dim: int, bottleneck: int) -> None:
        super().__init__()
        self.query = nn.Linear(dim, bottleneck)
        self.key = nn.Linear(dim, bottleneck)
        self.norm = nn.LayerNorm(bottleneck)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        sim = self.norm(self.query(z)) @ self.norm(self.key(z)).t()
        self_mask = torch.eye(z.shape[0], dtype=torch.bool, device=z.device)
        return sim.masked_fill(self_mask, float("-inf")).softmax(dim=1) @ z


def mlp(in_features: int, hidden: Sequence[int], dropout: float) -> nn.Sequential:
    """The reference's video projection: ``Linear → BatchNorm → ReLU → Dropout`` for each hidden size."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(in_features, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout)]
        in_features = width
    return nn.Sequential(*layers)


class CIR(VideoModel):
    """Cross-Instance Reconstruction over cached clip features ``(B, in_features)`` (see the module docstring).

    ``hidden``: MLP sizes (the last is the representation size); ``bottleneck``: attention size of the
    reconstructions; ``text``: shape of the frozen CLIP text tower (default CLIP ViT-B/32's);
    ``cir_weight``/``text_weight``: weights of the two reconstruction terms.
    """

    uses_text = True

    def __init__(self, in_features: int = 2304, hidden: Sequence[int] = (4096, 512), dropout: float = 0.5,
                 bottleneck: int = 128, text: TextConfig | None = None, cir_weight: float = 1.0,
                 text_weight: float = 1.0) -> None:
        super().__init__()
        if not hidden:
            raise ValueError("CIR needs at least one hidden size")
        self.in_features = in_features
        text = text or TextConfig()  # CLIP ViT-B/32's text tower (the same shape as ViT-B/16's)
        dim = hidden[-1]
        self.mlp = mlp(in_features, hidden, dropout)
        self.text = TextTransformer(text).requires_grad_(False)  # frozen, as the reference's text model
        self.text_proj = nn.Sequential(nn.Linear(text.output_dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.action_reconstruction = CrossInstanceReconstruction(dim, bottleneck)
        self.text_reconstruction = CrossInstanceReconstruction(dim, bottleneck)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.text_logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.cir_weight, self.text_weight = cir_weight, text_weight
        self._label_cache: dict[Any, torch.Tensor] = {}

    # ------------------------------------------------------------------ text side

    def encode_labels(self, space: LabelSpace) -> torch.Tensor:
        """Frozen CLIP text embeddings ``(K, text_dim)`` of the class names of ``space`` (cached per space)."""
        key = (space.key, space.names)
        if key not in self._label_cache:
            tokens = tokenize(class_texts(space), self.text.cfg.context_length)
            with torch.no_grad():
                self._label_cache[key] = self.text(tokens.to(self.text.positional_embedding.device))
        return self._label_cache[key]

    def load_clip(self, state: dict[str, torch.Tensor]) -> None:
        """Load the text half of a CLIP state dict (OpenAI/open_clip layout) into the frozen text tower."""
        load_clip_text(self.text, state)
        self._label_cache.clear()

    # ------------------------------------------------------------------ video side

    def forward(self, video: torch.Tensor, labels: Any = None) -> CIROutput:
        if labels is None:
            raise ValueError("CIR classifies by text: call model(features, labels=model.encode_labels(space))")
        text = self.encode_labels(labels) if isinstance(labels, LabelSpace) else labels
        if video.ndim != 2 or video.shape[1] != self.in_features:
            raise ValueError(f"CIR expects cached clip features (B, {self.in_features}), got shape "
                             f"{tuple(video.shape)} (recipe data.source must be 'features' and model.in_features "
                             "the extractor's feature size)")
        z = self.mlp(video)
        prototypes = F.normalize(self.text_proj(text.to(z.dtype)), dim=-1)
        logits = self.logit_scale.exp().clamp(max=100.0) * F.normalize(z, dim=-1) @ prototypes.t()
        reconstructed = {}
        if self.training:  # a training batch has several videos (BatchNorm needs them too)
            action = F.normalize(self.action_reconstruction(z), dim=-1)
            matched = F.normalize(self.text_reconstruction(F.normalize(z, dim=-1)), dim=-1)
            reconstructed = {"cir": self.logit_scale.exp().clamp(max=100.0) * action @ prototypes.t(),
                             "text": self.text_logit_scale.exp().clamp(max=100.0) * matched @ prototypes.t()}
        return CIROutput(logits, features=z, reconstructed=reconstructed)

    def loss(self, output: ModelOutput, target: torch.Tensor, criterion: Criterion) -> dict[str, torch.Tensor]:
        losses = {"ce": criterion(output.logits, target)}
        reconstructed = getattr(output, "reconstructed", {})
        if "cir" in reconstructed and self.cir_weight:
            losses["cir"] = self.cir_weight * criterion(reconstructed["cir"], target)
        if "text" in reconstructed and self.text_weight:
            losses["text"] = self.text_weight * video_text_kl(reconstructed["text"], target)
        return losses

    # ------------------------------------------------------------------ cache invalidation

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False):
        self._label_cache.clear()
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def _apply(self, fn, recurse: bool = True):
        self._label_cache.clear()  # cached embeddings would stay on the old device / dtype
        return super()._apply(fn, recurse)


def _cir(name: str, num_classes: int | None, pretrained: bool, **kwargs: Any) -> CIR:
    """CIR with the full (CLIP ViT-B/32) or tiny text tower; ``pretrained`` loads OpenAI's text weights."""
    if pretrained and name.endswith("_tiny"):
        raise ValueError(f"{name} has no pretrained weights (it exists for tests)")
    model = CIR(**kwargs)
    if pretrained:
        model.load_clip(openai_state_dict("ViT-B-32"))
    return model


register_family("cir", "cir", _cir, [
    Variant("cir", description="CIR: MLP over cached SlowFast features with cross-instance reconstruction and a CLIP "
                               "text term.",
            pretrained=PRETRAINED),
    # slowfast_r50_tiny's features: 256 + 32 channels
    Variant("cir_tiny", {"in_features": 288, "hidden": (64, 32), "bottleneck": 16, "text": TextConfig.tiny()},
            tiny=True,
            description="CIR with a small MLP and the tiny CLIP text tower, over tiny-SlowFast features, for tests."),
], uses_text=True)
