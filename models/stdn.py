"""STDN, the Spatial-Temporal Diversification Network (Lin, Du, Gao, Zhou, Zheng, "Diversifying Spatial-Temporal
Perception for Video Domain Generalization", NeurIPS 2023; code KunyuLin/STDN), with the Syn-TA run's settings
(docs/reference.md#training-settings: ResNet-50, 5 segments, batch 32, 20 epochs, lr 5e-5 with steps at 10 and 20,
dropout 0.3, style mixing after stages 1–3).

The idea: a model that perceives *many* spatial and temporal cues is less likely to rely only on the
domain-specific ones. Per frame (TSN ResNet-50, :mod:`synta.models.tsn`, feature maps kept):

- **Style mixing** (:class:`VideoMixStyle`): in training, after ResNet stages 1–3, each video's channel
  statistics (over its frames and positions) are mixed with another video's with probability 0.5.
- **Spatial grouping** (:class:`SpatialGrouping`): the ``h×w`` positions of a frame's map are softly assigned
  to ``G`` (4) learned centres, giving ``G`` group tokens; a **spatial relation** module
  (:class:`SpatialRelation`) relates ordered tuples of 2…G group tokens (local feature), and a convolution over
  the whole map gives a global feature.
- **Temporal relation** at every scale ``s = T … 2`` (each scale has its own grouping, spatial relation and
  global layers): frame tuples of ``s`` frames (all frames at ``s = T``; 3 random tuples otherwise) are fused
  (``ReLU → Dropout → Linear → ReLU``) into a 256-d relation feature, gated by a small adapter
  (``x·sigmoid(MLP(x))``) and classified by a classifier shared across scales; the logits are summed.

Losses (the reference's weights for UCF–HMDB; the Syn-TA script's are not in docs/reference.md):

- ``ce``: cross-entropy of the summed logits;
- ``entropy`` (× 0.15, forward): entropy of each position's group assignment, minimised (each position
  belongs clearly to one group);
- ``diversity`` (× 0.15, forward): minus the entropy of the frame's mean assignment, i.e. its entropy is
  maximised (the groups cover different positions);
- ``cross_relation`` (× 0.5, :meth:`STDN.loss`): a relation classifier predicts class *and* scale from each
  scale's relation feature (``K·(T-1)`` outputs), so the scales must carry distinct, class-relevant cues.

What differs from the reference code, and why:

- The entropy terms use each position's softmax assignment over the groups; the reference evaluates them on
  the assignment after it was renormalised over positions (no longer a distribution over groups).
- The global branch's 7×7 convolution is preceded by adaptive average pooling to ``map_size`` (7 at 224 px,
  where it is the identity), so other input sizes work; channel groups are not implemented (the reference's
  default is 1).
- Style mixing pairs each video with a random other video of the batch (the reference pairs the two halves
  of the batch in shuffled order) and draws from torch's generator.
- Tuples of frames and of groups are drawn at random in training as in the reference; evaluation averages
  over all of them (the reference also draws at random at test time).
- The step schedule (×0.1 at epochs 10 and 20 of 20) is approximated by the engine's cosine decay.
"""
from __future__ import annotations

import itertools

import torch
from torch import nn

from synta.models.base import Criterion, ModelOutput
from synta.models.registry import Variant, register_family
from synta.models.tsn import IMAGENET, IMAGENET_URL, STAGES, FrameEncoder, TSNModel, tsn_family, draw_relations

TEMPORAL_DRAWS = 3  # frame tuples per temporal scale (the reference's subsample_num)
SPATIAL_DRAWS = 12  # group tuples per spatial scale


def entropy(p: torch.Tensor, dim: int) -> torch.Tensor:
    """Entropy of distributions ``p`` along ``dim`` (natural log; ``1e-5`` keeps zeros finite)."""
    return -(p * torch.log(p + 1e-5)).sum(dim)


class VideoMixStyle(nn.Module):
    """MixStyle (Zhou et al., ICLR 2021) for frame batches ``(B·T, C, H, W)``: with probability ``p`` in
    training, normalise each video by its channel mean and std over frames and positions, and re-style it with
    a ``Beta(alpha, alpha)`` mix of its own and another video's statistics."""

    def __init__(self, num_segments: int, p: float = 0.5, alpha: float = 0.1, eps: float = 1e-6) -> None:
        super().__init__()
        self.num_segments, self.p, self.alpha, self.eps = num_segments, p, alpha, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0] // self.num_segments
        if not self.training or b < 2 or float(torch.rand(())) >= self.p:
            return x
        v = x.unflatten(0, (b, self.num_segments))
        mu = v.mean(dim=(1, 3, 4), keepdim=True).detach()
        sigma = (v.var(dim=(1, 3, 4), keepdim=True) + self.eps).sqrt().detach()
        concentration = torch.tensor(self.alpha, device=x.device)
        lam = torch.distributions.Beta(concentration, concentration).sample((b, 1, 1, 1, 1)).to(x.dtype)
        perm = torch.randperm(b, device=x.device)
        mixed_mu, mixed_sigma = lam * mu + (1 - lam) * mu[perm], lam * sigma + (1 - lam) * sigma[perm]
        return ((v - mu) / sigma * mixed_sigma + mixed_mu).flatten(0, 1)


class SpatialGrouping(nn.Module):
    """Soft grouping of the positions of maps ``(N, C, h, w)`` around ``groups`` centres.

    A small convolutional head weighs the positions for each centre (softmax over positions); positions are
    assigned to the centres by ``softmax(-distance / tau)``; each group token is the assignment-weighted mean of
    its positions. Returns the tokens ``(N, G, C)`` and the assignment ``(N, h·w, G)``.
    """

    def __init__(self, channels: int, hidden: int, groups: int, tau: float) -> None:
        super().__init__()
        self.centre_weights = nn.Sequential(nn.Conv2d(channels, hidden, 3, padding=1), nn.ReLU(),
                                            nn.Conv2d(hidden, groups, 3, padding=1))
        self.tau = tau

    def forward(self, maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        positions = maps.flatten(2).transpose(1, 2)  # (N, P, C)
        centres = self.centre_weights(maps).flatten(2).softmax(-1) @ positions  # (N, G, C)
        assignment = torch.softmax(-torch.cdist(positions.float(), centres.float()) / self.tau, dim=2)
        weights = assignment / (assignment.sum(1, keepdim=True).detach() + 1e-6)  # per-group weighted mean
        return weights.transpose(1, 2).to(positions.dtype) @ positions, assignment


class SpatialRelation(nn.Module):
    """Relations among ``G`` group tokens ``(N, G, C)``: for each size ``s = G … 2``, ordered ``s``-tuples of
    tokens are concatenated and projected to ``dim`` (averaged over up to 12 tuples); returns
    ``(N, dim·(G-1))``."""

    def __init__(self, channels: int, dim: int, groups: int) -> None:
        super().__init__()
        self.tuples = [list(itertools.permutations(range(groups), s)) for s in range(groups, 1, -1)]
        self.proj = nn.ModuleList(nn.Linear(s * channels, dim) for s in range(groups, 1, -1))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out = []
        for tuples, proj in zip(self.tuples, self.proj):
            drawn = draw_relations(tuples, SPATIAL_DRAWS, self.training)
            out.append(torch.stack([proj(tokens[:, list(t)].flatten(1)) for t in drawn]).mean(0))
        return torch.cat(out, dim=1)


class TemporalScale(nn.Module):
    """One temporal scale ``s``: per-frame local (grouping + spatial relation) and global features, fused over
    tuples of ``s`` frames into a relation feature, then the adapter's gate."""

    def __init__(self, scale: int, num_segments: int, channels: int, hidden: int, groups: int, tau: float,
                 local_dim: int, global_dim: int, map_size: int, relation_dim: int, adapter_dim: int,
                 dropout: float) -> None:
        super().__init__()
        self.tuples = list(itertools.combinations(range(num_segments), scale))
        self.draws = 1 if scale == num_segments else TEMPORAL_DRAWS
        self.grouping = SpatialGrouping(channels, hidden, groups, tau)
        self.spatial = SpatialRelation(channels, local_dim, groups)
        self.global_pool = nn.AdaptiveAvgPool2d(map_size)
        self.global_conv = nn.Conv2d(channels, global_dim, map_size)
        frame_dim = local_dim * (groups - 1) + global_dim
        self.fuse = nn.Sequential(nn.ReLU(), nn.Dropout(dropout), nn.Linear(scale * frame_dim, relation_dim),
                                  nn.ReLU())
        self.gate = nn.Sequential(nn.Linear(relation_dim, adapter_dim, bias=False), nn.ReLU(),
                                  nn.Linear(adapter_dim, relation_dim, bias=False), nn.Sigmoid())

    def forward(self, maps: torch.Tensor, b: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``maps (B·T, C, h, w)`` → relation feature ``(B, relation_dim)``, gated feature, assignment."""
        tokens, assignment = self.grouping(maps)
        frames = torch.cat([self.spatial(tokens), self.global_conv(self.global_pool(maps)).flatten(1)], dim=1)
        frames = frames.unflatten(0, (b, -1))
        drawn = draw_relations(self.tuples, self.draws, self.training)
        # The reference sums its 3 draws (and multiplies the single all-frame tuple by 3): the mean times 3.
        relation = TEMPORAL_DRAWS * torch.stack([self.fuse(frames[:, list(t)].flatten(1)) for t in drawn]).mean(0)
        return relation, relation * self.gate(relation), assignment


class STDN(TSNModel):
    """TSN frame encoder with style mixing + spatial grouping and multi-scale spatial-temporal relations
    (see the module docstring). Loss weights: ``entropy_weight``, ``diversity_weight``, ``cross_weight``."""

    classifier_keys = ("classifier.", "relation_classifier.2.")

    def __init__(self, num_classes: int, num_segments: int = 5, arch: str = "resnet50", groups: int = 4,
                 tau: float = 0.5, group_hidden: int = 256, local_dim: int = 192, global_dim: int = 192,
                 map_size: int = 7, relation_dim: int = 256, adapter_dim: int = 64, relation_classifier_dim: int = 128,
                 dropout: float = 0.3, mix_layers: tuple[int, ...] = (1, 2, 3), mix_prob: float = 0.5,
                 mix_alpha: float = 0.1, partial_bn: bool = True, entropy_weight: float = 0.15,
                 diversity_weight: float = 0.15, cross_weight: float = 0.5) -> None:
        if num_segments < 2 or groups < 2:
            raise ValueError("STDN needs at least 2 segments and 2 spatial groups")
        bad = [m for m in mix_layers if m not in range(1, len(STAGES) + 1)]
        if bad:
            raise ValueError(f"mix_layers are ResNet stages 1-4, got {bad}")
        hooks = {STAGES[m - 1]: VideoMixStyle(num_segments, mix_prob, mix_alpha) for m in mix_layers}
        super().__init__(FrameEncoder(arch, hooks), num_classes, num_segments, partial_bn)
        channels = self.encoder.out_channels
        self.scales = nn.ModuleList(
            TemporalScale(s, num_segments, channels, group_hidden, groups, tau, local_dim, global_dim, map_size,
                          relation_dim, adapter_dim, dropout) for s in range(num_segments, 1, -1))
        self.classifier = nn.Linear(relation_dim, num_classes)
        self.relation_classifier = nn.Sequential(nn.Linear(relation_dim, relation_classifier_dim), nn.ReLU(),
                                                 nn.Linear(relation_classifier_dim, num_classes * len(self.scales)))
        self.entropy_weight, self.diversity_weight, self.cross_weight = entropy_weight, diversity_weight, cross_weight

    def forward(self, video: torch.Tensor) -> ModelOutput:
        b = video.shape[0]
        maps = self.encoder.forward_maps(self.frames(video))
        logits, relations, losses = 0, [], {}
        entropies, diversities = [], []
        for scale in self.scales:
            relation, gated, assignment = scale(maps, b)
            logits = logits + self.classifier(gated)
            relations.append(relation)
            entropies.append(entropy(assignment, dim=2).mean())
            diversities.append(-entropy(assignment.mean(1), dim=1).mean())
        if self.training:
            losses = {"entropy": self.entropy_weight * torch.stack(entropies).mean(),
                      "diversity": self.diversity_weight * torch.stack(diversities).mean()}
        return ModelOutput(logits, losses, features=torch.stack(relations, dim=1))

    def loss(self, output: ModelOutput, target: torch.Tensor, criterion: Criterion) -> dict[str, torch.Tensor]:
        losses = {"ce": criterion(output.logits, target), **output.losses}
        if self.training and self.cross_weight:
            relations = output.features  # (B, S, D)
            scales = relations.shape[1]
            scale_target = target[:, None] * scales + torch.arange(scales, device=target.device)
            logits = self.relation_classifier(relations)
            losses["cross_relation"] = self.cross_weight * criterion(logits.flatten(0, 1), scale_target.flatten())
        return losses


register_family("stdn", "stdn_r50", tsn_family(STDN), [
    Variant("stdn_r50", description="STDN: TSN ResNet-50 (5 segments) with spatial grouping and multi-scale "
                                    "spatial-temporal relations.",
            pretrained=IMAGENET, weights_url=IMAGENET_URL, aliases=("stdn",)),
    Variant("stdn_r50_tiny", {"arch": "resnet10", "groups": 2, "group_hidden": 16, "local_dim": 8, "global_dim": 8,
                              "map_size": 2, "relation_dim": 16, "adapter_dim": 8, "relation_classifier_dim": 16,
                              "partial_bn": False},
            tiny=True,
            description="STDN on a ResNet-10 frame encoder with 2 groups and small relation layers, for tests."),
])
