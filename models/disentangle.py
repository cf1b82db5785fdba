"""Disentangling coarse and fine motion: EZ-CLIP with a coarse and a fine branch whose predictions are fused.

The Syn-TA paper ("Punching Bag vs. Punching Person: Motion Transferability in Videos", ICCV 2025, Table 5)
improves coarse recognition in unknown contexts by "disentangling coarse and fine motion": a base coarse
model (EZ-CLIP: its printed base numbers are EZ-CLIP's coarse results; Syn-TA coarse HM Set 1 / Set 2 67.96 /
68.80 → 70.69 / 72.03) plus a fine branch whose cues aid the coarse decision. The paper describes the method
only briefly and gives no architecture details, loss weights or training settings for it; everything below
beyond "shared encoder, coarse and fine branches trained jointly, fine cues fused into the coarse decision"
is **our choice**, marked (ours). The training recipe is EZ-CLIP's (``assets/models/disentangle_b16.yaml``).

What is implemented:

- **Shared encoder**: EZ-CLIP unchanged (:class:`~synta.models.ezclip.EZCLIP`: frozen CLIP, temporal visual
  prompts, adapters in both towers, the motion loss on the frame embeddings). One text tower serves both
  branches.
- **Two branches** on the shared video embedding ``h`` (the time average of the frame embeddings), each with
  its own projection (ours: a bias-free ``D × D`` linear map initialised to the identity, so that with CLIP
  weights both branches start as EZ-CLIP's embedding; the fine one gets a small random perturbation,
  entries ``N(0, (0.1 / √D)²)``, because identical branches are a stationary point of the decorrelation
  term). At ViT-B/16 this adds ``2 × 512²`` trainable parameters to EZ-CLIP's 5.2M (5.73M in all):

  - the *coarse branch* ``z_c = P_c h`` is scored against the coarse class names through EZ-CLIP's prompts
    (ActionCLIP's templates, or the ``descriptions`` CSV);
  - the *fine branch* ``z_f = P_f h`` is scored against the fine captions of the set the label space is
    about (:attr:`LabelSpace.set_fine`), each caption encoded as it is (ours: captions are whole sentences,
    so no template is wrapped around them).

- **Training** (jointly, on the known set's videos with both labels; ``uses_fine_labels``): ``coarse`` is
  EZ-CLIP's video–text KL on the coarse branch's logits and the coarse targets, ``fine`` the same on the fine
  branch's logits and the fine targets (index within the set), ``decorrelation`` keeps the two embeddings
  apart, and ``motion`` is EZ-CLIP's motion loss; each term has its weight (``coarse_weight``,
  ``fine_weight``, ``decorrelation_weight``, ``motion_weight``). The branch losses are on each branch's own
  logits (ours), so the fusion does not enter training and its weight can be changed at evaluation without
  retraining (``synta bench --eval-from RUN --set model.fusion_weight=W``).
- **Decorrelation** (ours): the mean over videos of ``cos(z_c, z_f)²``. It is zero when the two embeddings
  of every video are orthogonal, so the fine embedding has to carry what the fine caption adds to the coarse
  name rather than repeat the coarse embedding. We chose it over the squared cross-correlation of
  batch-normalised embeddings because it needs no batch statistics: the per-process batch is 2 for tiny
  models and a few clips per GPU for the reference's 26 split over GPUs, and at 2 clips every standardised
  feature is ±1, which makes a cross-correlation term constant.
- **Fusion** (ours: a product of experts): the fine branch's class probabilities are summed onto their coarse
  parents through the fixed ``C × F`` hierarchy matrix ``H`` of the label space (``H[c, f] = 1`` when fine
  class ``f`` belongs to coarse class ``c``) and ``logits = coarse_logits + w · log(H p_fine + eps)``, i.e.
  ``p ∝ p_coarse · (H p_fine)^w``; ``w = fusion_weight``, and ``w = 0`` is the coarse branch alone. A coarse
  class with no fine class in the set gets ``log(eps)``: the fine branch vetoes it.
- **Unknown contexts**: the engine evaluates the unknown set with that set's coarse label space, which
  carries the unknown set's fine captions and parents; the fine branch scores those captions (open
  vocabulary) and contributes to the coarse decision the same way.
- **Fine task** (ours): the logits are over the set's fine captions, fused the other way round:
  ``fine_logits + w · log_softmax(coarse_logits)[parent(f)]``; the losses are the same, with the coarse
  target the parent of the fine target.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from synta.models.label_space import LabelSpace
from synta.models.base import Criterion, ModelOutput
from synta.models.clip_text import tokenize
from synta.models.clip_video import register_clip_video, video_text_kl
from synta.models.clip_vision import encode_frames
from synta.models.ezclip import EZCLIP, motion_loss

#: Added to the fine probabilities summed per coarse class before the log (a class without fine children).
FUSION_EPS = 1e-6
#: Relative size of the random perturbation of the fine projection's identity initialisation.
FINE_INIT_NOISE = 0.1


@dataclass(frozen=True)
class HierarchicalLabels:
    """A label space encoded for both branches: normalised text embeddings of the coarse names ``(C, D)`` and
    of the set's fine captions ``(F, D)``, the fine classes' coarse ids ``(F,)``, the ``C × F`` hierarchy
    matrix (:func:`hierarchy_matrix`) and the task scored."""

    coarse: torch.Tensor
    fine: torch.Tensor
    parents: torch.Tensor
    hierarchy: torch.Tensor
    task: str


@dataclass
class DisentangleOutput(ModelOutput):
    """Fused logits plus what the branch losses need: each branch's logits and embedding, the fine classes'
    parents and the task of the label space."""

    coarse_logits: torch.Tensor | None = None
    fine_logits: torch.Tensor | None = None
    coarse_features: torch.Tensor | None = None
    fine_features: torch.Tensor | None = None
    parents: torch.Tensor | None = None
    task: str = "coarse"


def hierarchy_matrix(parents: torch.Tensor, num_coarse: int) -> torch.Tensor:
    """``H (C, F)`` with ``H[c, f] = 1`` where ``parents[f] == c``: ``p_fine @ H.T`` sums fine probabilities
    onto their coarse classes."""
    if parents.numel() and not 0 <= int(parents.min()) <= int(parents.max()) < num_coarse:
        raise ValueError(f"fine-class parents must be coarse ids in [0, {num_coarse}), got {parents.tolist()}")
    return F.one_hot(parents, num_coarse).t().float()


def fuse_coarse(coarse_logits: torch.Tensor, fine_logits: torch.Tensor, hierarchy: torch.Tensor,
                weight: float) -> torch.Tensor:
    """Coarse logits ``(B, C)`` fused with the fine branch: ``coarse + weight · log(H p_fine + eps)``."""
    # In fp32 even under autocast: a bf16 product would round the small probabilities the log looks at.
    with torch.autocast(fine_logits.device.type, enabled=False):
        coarse_from_fine = fine_logits.float().softmax(-1) @ hierarchy.float().t()
    return coarse_logits.float() + weight * torch.log(coarse_from_fine + FUSION_EPS)


def fuse_fine(fine_logits: torch.Tensor, coarse_logits: torch.Tensor, parents: torch.Tensor,
              weight: float) -> torch.Tensor:
    """Fine logits ``(B, F)`` fused with the coarse branch: ``fine + weight · log p_coarse[parent]``."""
    return fine_logits.float() + weight * coarse_logits.float().log_softmax(-1)[:, parents]


def squared_cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean over rows of ``cos(a_i, b_i)²``: 0 when every pair is orthogonal, 1 when parallel."""
    return F.cosine_similarity(a, b, dim=-1).pow(2).mean()


class Disentangle(EZCLIP):
    """EZ-CLIP with a coarse and a fine branch, decorrelated and fused (see the module docstring)."""

    uses_fine_labels = True

    def __init__(self, tiny: bool = False, fusion_weight: float = 1.0, coarse_weight: float = 1.0,
                 fine_weight: float = 1.0, decorrelation_weight: float = 1.0, **ezclip_kwargs: Any) -> None:
        super().__init__(tiny=tiny, **ezclip_kwargs)
        weights = {"fusion_weight": fusion_weight, "coarse_weight": coarse_weight, "fine_weight": fine_weight,
                   "decorrelation_weight": decorrelation_weight}
        negative = [f"{k}={v}" for k, v in weights.items() if v < 0]
        if negative:
            raise ValueError(f"weights must be non-negative, got {', '.join(negative)}")
        self.fusion_weight = fusion_weight
        self.coarse_weight = coarse_weight
        self.fine_weight = fine_weight
        self.decorrelation_weight = decorrelation_weight
        dim = self.visual.cfg.output_dim
        self.coarse_proj = nn.Linear(dim, dim, bias=False)
        self.fine_proj = nn.Linear(dim, dim, bias=False)
        nn.init.eye_(self.coarse_proj.weight)  # the coarse branch starts as EZ-CLIP's embedding
        with torch.no_grad():
            # The fine branch starts near it: identical branches are a stationary point of any function of
            # their cosine (the decorrelation term would have no gradient), so they are made to differ a little.
            self.fine_proj.weight.copy_(torch.eye(dim) + FINE_INIT_NOISE / dim ** 0.5 * torch.randn(dim, dim))

    # ------------------------------------------------------------------ labels

    def _encode_labels(self, space: LabelSpace, indices: tuple[int, ...]) -> HierarchicalLabels:
        if space.task == "coarse":
            if not space.set_fine:
                raise ValueError(f"{type(self).__name__} scores a coarse label space through the fine classes of "
                                 f"its set, but the space of Set {space.set_id} carries none (set_fine is empty)")
            coarse_space, captions, parents = space, space.set_fine, space.set_fine_parents
        else:  # a fine space's classes are the set's fine classes
            n = len(space.coarse_names)
            coarse_space = LabelSpace("coarse", space.set_id, space.coarse_names, tuple(range(n)), space.coarse_names)
            captions, parents = space.names, space.parents
        if len(parents) != len(captions):
            raise ValueError(f"label space of Set {space.set_id}: {len(captions)} fine captions but "
                             f"{len(parents)} parents")
        coarse = self.ensemble(self.prompt_embeddings(self.text, coarse_space, indices))
        device = self.text.positional_embedding.device
        fine = F.normalize(self.text(tokenize(captions, self.text.cfg.context_length).to(device)), dim=-1)
        parents_t = torch.tensor(parents, dtype=torch.long, device=device)
        return HierarchicalLabels(coarse, fine, parents_t, hierarchy_matrix(parents_t, len(space.coarse_names)),
                                  space.task)

    def resolve_labels(self, labels: Any) -> HierarchicalLabels:
        labels = super().resolve_labels(labels)
        if not isinstance(labels, HierarchicalLabels):
            raise ValueError(f"{type(self).__name__} needs labels from its own encode_labels (coarse names and "
                             f"fine captions), got {type(labels).__name__}")
        return labels

    # ------------------------------------------------------------------ forward and losses

    def forward(self, video: torch.Tensor, labels: Any = None) -> DisentangleOutput:
        labels = self.resolve_labels(labels)
        frames = encode_frames(self.visual, self.check_video(video))
        shared = frames.mean(1)
        coarse_features, fine_features = self.coarse_proj(shared), self.fine_proj(shared)
        coarse_logits = self.similarity(coarse_features, labels.coarse)
        fine_logits = self.similarity(fine_features, labels.fine)
        if labels.task == "coarse":
            logits = fuse_coarse(coarse_logits, fine_logits, labels.hierarchy, self.fusion_weight)
        else:
            logits = fuse_fine(fine_logits, coarse_logits, labels.parents, self.fusion_weight)
        losses = {"motion": self.motion_weight * motion_loss(frames)} if self.training else {}
        return DisentangleOutput(logits, losses, shared, coarse_logits, fine_logits, coarse_features,
                                 fine_features, labels.parents, labels.task)

    def loss(self, output: ModelOutput, target: torch.Tensor, criterion: Criterion,
             fine: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Weighted ``coarse``, ``fine`` and ``decorrelation`` terms plus the output's ``motion`` term.

        ``target`` holds the labels of the space's task; ``fine`` each video's fine index within its set
        (needed for the coarse task; for the fine task the coarse targets are the parents of ``target``).
        """
        if not isinstance(output, DisentangleOutput) or output.coarse_logits is None:
            raise ValueError(f"{type(self).__name__}.loss needs the output of its own forward")
        if output.task == "coarse":
            if fine is None:
                raise ValueError(f"{type(self).__name__} trains on both labels: pass each video's fine index "
                                 "within its set as fine=")
            coarse_target, fine_target = target, fine
        else:
            coarse_target, fine_target = output.parents[target], target
        # Both branches train with EZ-CLIP's objective (the video-text KL), not the engine's criterion.
        return {"coarse": self.coarse_weight * video_text_kl(output.coarse_logits, coarse_target),
                "fine": self.fine_weight * video_text_kl(output.fine_logits, fine_target),
                "decorrelation": self.decorrelation_weight * squared_cosine(output.coarse_features,
                                                                            output.fine_features),
                **output.losses}


register_clip_video(Disentangle, "disentangle_b16", "disentangle",
                    "EZ-CLIP ViT-B/16 with decorrelated coarse and fine branches whose predictions are fused "
                    "(Table 5).", "The coarse/fine disentangling model")
