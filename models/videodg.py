"""VideoDG (Yao et al., "VideoDG: Generalizing Temporal Relations in Videos to Novel Domains", TPAMI 2021;
arXiv 1912.03716 "Adversarial Pyramid Network for Video Domain Generalization"), as in the reference code
(thuml/VideoDG) and its Syn-TA run (docs/reference.md#training-settings: ResNet-50, 5 TSN segments, lr 1e-3, gradient
clip 20, batch 40, 120 epochs).

Architecture. A TSN ResNet-50 (:mod:`synta.models.tsn`) encodes each of the 5 segment frames; dropout (0.8) and
a linear layer map every frame to a 256-d segment feature. The **Adversarial Pyramid Network** (APN) relates
them with one transformer block (:class:`RelationTransformer`: an encoder over a context and a causally
masked decoder whose queries attend to it, shared by all relations):

- global relation ``g = R(x, x)`` over all ``T`` frames;
- for each smaller scale ``s = T-1 … 2``: a local relation ``l_s = R(x_S, x_S)`` over a subset ``S`` of ``s``
  frames, and the cross relation ``c_s = R(l_s, g)`` (the global tokens query the local relation);
- the pyramid feature ``g + Σ_s c_s`` is classified by ``ReLU → Linear(T·256, K)``; the same classifier on
  the cross-relation part ``Σ_s c_s`` alone gives the branch the second adversary attacks.

**Robust Adversarial Data Augmentation** (RADA; training only, :meth:`VideoDG.loss`). Two adversarial copies
of each batch are made by gradient ascent (``adv_steps`` steps of size ``adv_lr``) on

- ``CE(pyramid logits) − α·MSE(pyramid feature, clean pyramid feature)``, and
- ``CE(cross-relation logits) − α·MSE(cross feature, clean cross feature)``;

the MSE term keeps each copy close to the clean video in feature space (the "robust" part). The model is
then trained on the clean batch and both copies. Loss terms: ``ce`` and ``rada``, together the mean
cross-entropy over the three batches where each adversarial copy weighs ``adv_weight`` (1: the reference's
plain mean over the concatenated batch; 0 switches RADA off).

What differs from the reference code, and why:

- RADA perturbs the **segment features** (the APN input) instead of the input pixels, so the ten inner
  ascent steps run through the APN only, not ResNet-50 (the reference's costs 10 extra backbone
  forward/backward passes per step). Gradients of the final adversarial copies still reach the backbone.
  The clean reference features of the MSE terms are computed once per step (the reference recomputes them,
  under dropout, at each ascent step).
- The relation block uses torch's transformer layers (post-norm, 4 heads, feed-forward 4×256, dropout 0.3);
  the reference's own attention applies ReLU after the Q/K/V projections and has no output projection.
- The frame subset of each scale is drawn at random in training as in the reference; evaluation averages the
  cross relations over all subsets (the reference also draws at random at test time).
- The reference's step schedule (×0.1 at epochs 30, 60, 90) is approximated by the engine's cosine decay.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from synta.models.base import Criterion, ModelOutput
from synta.models.registry import Variant, register_family
from synta.models.tsn import IMAGENET, IMAGENET_URL, FrameEncoder, TSNModel, tsn_family, draw_relations


class RelationTransformer(nn.Module):
    """``R(context, query)``: a transformer encoder layer over ``context (B, Tc, D)``, then a decoder layer
    whose causally masked ``query (B, Tq, D)`` tokens attend to it; returns ``(B, Tq, D)``."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.encoder = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout, batch_first=True)
        self.decoder = nn.TransformerDecoderLayer(dim, heads, 4 * dim, dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)

    def forward(self, context: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        memory = self.encoder(context)
        mask = nn.Transformer.generate_square_subsequent_mask(query.shape[1], device=query.device,
                                                              dtype=query.dtype)
        return self.dropout(self.decoder(query, memory, tgt_mask=mask, tgt_is_causal=True))


@dataclass
class PyramidOutput:
    """Logits of the pyramid and of its cross-relation part, and both features ``(B, T, D)``."""

    logits: torch.Tensor
    cross_logits: torch.Tensor
    pyramid: torch.Tensor
    cross: torch.Tensor


class AdversarialPyramid(nn.Module):
    """The APN consensus over segment features ``(B, T, D)`` (see the module docstring); ``T >= 3``."""

    def __init__(self, dim: int, num_segments: int, num_classes: int, heads: int, dropout: float) -> None:
        super().__init__()
        if num_segments < 3:
            raise ValueError(f"the APN needs at least 3 segments (a cross-relation scale), got {num_segments}")
        self.relation = RelationTransformer(dim, heads, dropout)
        self.subsets = {s: list(itertools.combinations(range(num_segments), s)) for s in range(num_segments - 1, 1, -1)}
        self.fc = nn.Linear(num_segments * dim, num_classes)

    def classify(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.fc(F.relu(tokens.flatten(1)))

    def forward(self, x: torch.Tensor) -> PyramidOutput:
        glob = self.relation(x, x)
        cross = torch.zeros_like(glob)
        for subsets in self.subsets.values():
            drawn = draw_relations(subsets, 1, self.training)
            scale = torch.stack([self.relation(self.relation(x[:, list(s)], x[:, list(s)]), glob) for s in drawn])
            cross = cross + scale.mean(0)
        pyramid = glob + cross
        return PyramidOutput(self.classify(pyramid), self.classify(cross), pyramid, cross)


class VideoDG(TSNModel):
    """TSN frame encoder + APN, trained with RADA (see the module docstring).

    ``feature_dim``: segment feature size (256); ``heads``/``relation_dropout``: the relation block's;
    ``dropout``: before the segment projection (TSN's, 0.8). RADA: ``adv_weight`` (0 = off), ``adv_steps``,
    ``adv_lr`` (ascent step on the batch-mean objective) and ``adv_alpha`` (weight of the MSE constraint).
    """

    classifier_keys = ("apn.fc.",)

    def __init__(self, num_classes: int, num_segments: int = 5, arch: str = "resnet50", feature_dim: int = 256,
                 heads: int = 4, dropout: float = 0.8, relation_dropout: float = 0.3, partial_bn: bool = True,
                 adv_weight: float = 1.0, adv_steps: int = 5, adv_lr: float = 1.0, adv_alpha: float = 0.01) -> None:
        super().__init__(FrameEncoder(arch), num_classes, num_segments, partial_bn)
        if adv_weight < 0 or adv_steps < 1:
            raise ValueError("adv_weight must be >= 0 and adv_steps >= 1")
        self.dropout = nn.Dropout(dropout)
        self.embed = nn.Linear(self.encoder.out_channels, feature_dim)
        nn.init.normal_(self.embed.weight, std=0.001)  # the reference's initialisation of its new layers
        nn.init.zeros_(self.embed.bias)
        self.apn = AdversarialPyramid(feature_dim, num_segments, num_classes, heads, relation_dropout)
        self.adv_weight, self.adv_steps, self.adv_lr, self.adv_alpha = adv_weight, adv_steps, adv_lr, adv_alpha

    def segment_features(self, video: torch.Tensor) -> torch.Tensor:
        """Segment features ``(B, T, feature_dim)`` of ``video (B, T, 3, H, W)``."""
        b = video.shape[0]
        return self.embed(self.dropout(self.encoder(self.frames(video)))).unflatten(0, (b, self.num_segments))

    def forward(self, video: torch.Tensor) -> ModelOutput:
        features = self.segment_features(video)
        return ModelOutput(self.apn(features).logits, features=features)

    def loss(self, output: ModelOutput, target: torch.Tensor, criterion: Criterion) -> dict[str, torch.Tensor]:
        ce = criterion(output.logits, target)
        if not self.training or self.adv_weight == 0:
            return {"ce": ce}
        features = output.features
        with torch.no_grad():
            clean = self.apn(features)
        adversarial = [criterion(self.apn(features + self.perturbation(features, target, criterion, clean, branch))
                                 .logits, target) for branch in ("pyramid", "cross")]
        norm = 1.0 + 2.0 * self.adv_weight
        return {"ce": ce / norm, "rada": self.adv_weight * sum(adversarial) / norm}

    def perturbation(self, features: torch.Tensor, target: torch.Tensor, criterion: Criterion,
                     clean: PyramidOutput, branch: str) -> torch.Tensor:
        """RADA's perturbation of ``features`` against the ``pyramid`` or ``cross`` branch (detached)."""
        base = features.detach()
        delta = torch.zeros_like(base, requires_grad=True)
        for _ in range(self.adv_steps):
            out = self.apn(base + delta)
            logits, feat, ref = (out.logits, out.pyramid, clean.pyramid) if branch == "pyramid" \
                else (out.cross_logits, out.cross, clean.cross)
            objective = criterion(logits, target) - self.adv_alpha * F.mse_loss(feat, ref)
            (grad,) = torch.autograd.grad(objective, delta)
            delta = (delta + self.adv_lr * grad).detach().requires_grad_()
        return delta.detach()


register_family("videodg", "videodg_r50", tsn_family(VideoDG), [
    Variant("videodg_r50", description="VideoDG: TSN ResNet-50 (5 segments) + Adversarial Pyramid Network, trained "
                                       "with RADA.",
            pretrained=IMAGENET, weights_url=IMAGENET_URL, aliases=("videodg",)),
    Variant("videodg_r50_tiny", {"arch": "resnet10", "feature_dim": 32, "heads": 2, "partial_bn": False,
                                 "adv_steps": 2},
            tiny=True, description="VideoDG on a ResNet-10 frame encoder with 32-d segment features, for tests."),
])
