"""FROSTER (Huang et al., "FROSTER: Frozen CLIP Is a Strong Teacher for Open-Vocabulary Action Recognition",
ICLR 2024).

The student is a video CLIP fine-tuned end to end (both towers and the temperature) with Open-VCLIP's
parameter-free temporal modelling: in every vision block a frame's queries also attend to the tokens of
the previous and next frame. Frame embeddings are classified one by one and the logits averaged over time.
Classes are described by 28 templates plus the bare class text; a training step uses one random template
and the bare text, testing averages all 29.

**Residual feature distillation** keeps the student close to frozen CLIP: a residual projector
``f + 0.1 · MLP(f)`` (two bias-free linear layers with GELU; the second starts at zero) maps the student's
normalised frame embeddings and class embeddings, and ``1 − cos`` to the frozen teacher's (per frame and
per class) is added to the cross-entropy, weighted 2 (the reference's ``DISTILLATION_RATIO``).

**The teacher** is plain CLIP (no temporal modelling) with the weights the student started from. It is
kept out of the state dict and the parameters (checkpoints hold the student only, half the size, and
optimisers and DDP never see it) and rebuilt when the model is built: from OpenAI's CLIP with
``pretrained=True`` or when a plain CLIP checkpoint is loaded (``--weights``), otherwise as a copy of the
student's (seeded) initialisation. Resuming a run therefore needs the same build arguments, as the engine
does; evaluation never uses the teacher.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from synta.models.label_space import LabelSpace
from synta.models.base import ModelOutput
from synta.models.clip_text import TextTransformer
from synta.models.clip_video import CLIPVideoModel, clip_configs, register_clip_video
from synta.models.clip_vision import ResidualAttentionBlock, VisionTransformer, encode_frames
from synta.models.prompts import FROSTER_TEMPLATES, PromptEnsemble


class NeighbourFrameBlock(ResidualAttentionBlock):
    """A CLIP vision block whose attention keys/values also hold the previous and next frame's tokens
    (Open-VCLIP's "expanded temporal view"; missing neighbours at the clip ends are masked out, where the
    original code attends to zero vectors instead). Adds no parameters; tokens ``(B·T, L, D)``."""

    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0, num_frames: int = 8) -> None:
        super().__init__(width, heads, mlp_ratio)
        self.num_frames = num_frames

    def attention(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        bt, n, d = x.shape
        t = self.num_frames
        clip = x.view(bt // t, t, n, d)
        pad = clip.new_zeros(bt // t, 1, n, d)
        context = torch.cat([torch.cat([clip[:, 1:], pad], 1), torch.cat([pad, clip[:, :-1]], 1), clip], dim=2)
        missing = torch.zeros(t, 3, dtype=torch.bool, device=x.device)
        missing[-1, 0] = missing[0, 1] = True  # no next frame for the last, no previous for the first
        missing = missing.repeat_interleave(n, dim=1).repeat(bt // t, 1)
        context = context.flatten(0, 1)
        return self.attn(x, context, context, need_weights=False, key_padding_mask=missing,
                         attn_mask=attn_mask)[0]


class ResidualProjector(nn.Module):
    """``x + alpha · fc2(gelu(fc1(x)))`` (bias-free); ``fc2`` starts at zero so it starts as the identity."""

    def __init__(self, dim: int, alpha: float = 0.1) -> None:
        super().__init__()
        self.alpha = alpha
        self.fc1 = nn.Linear(dim, dim, bias=False)
        self.fc2 = nn.Linear(dim, dim, bias=False)
        nn.init.kaiming_normal_(self.fc1.weight)
        nn.init.zeros_(self.fc2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.alpha * self.fc2(F.gelu(self.fc1(x)))


class DistillLabels(NamedTuple):
    """FROSTER's encoded labels: the student's class embeddings ``(K, D)`` and, in training, the teacher's
    (from the same templates) that they are distilled towards."""

    text: torch.Tensor
    teacher: torch.Tensor | None


class FROSTER(CLIPVideoModel):
    """Fine-tuned video CLIP with residual feature distillation from a frozen CLIP teacher."""

    def __init__(self, tiny: bool = False, num_frames: int | None = None, distill_weight: float = 2.0,
                 residual_alpha: float = 0.1, descriptions: str | Path | None = None) -> None:
        vision_cfg, text_cfg = clip_configs(tiny)
        num_frames = num_frames or (4 if tiny else 8)
        visual = VisionTransformer(vision_cfg, block=NeighbourFrameBlock, num_frames=num_frames)
        prompts = PromptEnsemble(FROSTER_TEMPLATES, train_sample=1, train_keep=(len(FROSTER_TEMPLATES) - 1,))
        super().__init__(visual, TextTransformer(text_cfg), prompts, num_frames, descriptions)
        self.distill_weight = distill_weight
        self.projector_v = ResidualProjector(text_cfg.output_dim, residual_alpha)
        self.projector_t = ResidualProjector(text_cfg.output_dim, residual_alpha)
        teacher = nn.ModuleDict({"visual": VisionTransformer(vision_cfg), "text": TextTransformer(text_cfg)})
        object.__setattr__(self, "teacher", teacher)  # unregistered: not in state_dict(), parameters() or train()
        self._reset_teacher()

    def _reset_teacher(self) -> None:
        """Make the teacher a frozen copy of the student's CLIP weights (the temporal blocks add none)."""
        self.teacher.visual.load_state_dict(self.visual.state_dict())
        self.teacher.text.load_state_dict(self.text.state_dict())
        self.teacher.requires_grad_(False).eval()

    def load_clip(self, state: Mapping[str, torch.Tensor]) -> None:
        super().load_clip(state)
        self._reset_teacher()

    def _apply(self, fn, recurse: bool = True):
        self.teacher._apply(fn, recurse)
        return super()._apply(fn, recurse)

    def _encode_labels(self, space: LabelSpace, indices: tuple[int, ...]) -> DistillLabels:
        text = super()._encode_labels(space, indices)
        if not self.training:
            return DistillLabels(text, None)
        key = ("teacher", space.key, space.names)  # every template, once per label space and mode change
        if key not in self._label_cache:
            everything = self.prompts.indices(train=False)
            with torch.no_grad():
                self._label_cache[key] = self.prompt_embeddings(self.teacher.text, space, everything)
        return DistillLabels(text, self.ensemble(self._label_cache[key][list(indices)]))

    def forward(self, video: torch.Tensor, labels: Any = None) -> ModelOutput:
        labels = self.resolve_labels(labels)
        text, teacher_text = labels if isinstance(labels, DistillLabels) else (labels, None)
        video = self.check_video(video)
        frames = F.normalize(encode_frames(self.visual, video), dim=-1)
        logits = self.temperature() * (frames @ F.normalize(text, dim=-1).t()).mean(1)
        output = ModelOutput(logits, features=frames.mean(1))
        if self.training:
            if teacher_text is None:
                raise ValueError("FROSTER training needs the labels of model.encode_labels(space) in training mode "
                                 "(they carry the teacher's class embeddings)")
            with torch.no_grad():
                teacher_frames = F.normalize(encode_frames(self.teacher.visual, video), dim=-1)
            distill = (2 - F.cosine_similarity(self.projector_v(frames), teacher_frames, dim=-1).mean()
                       - F.cosine_similarity(self.projector_t(text), teacher_text, dim=-1).mean())
            output.losses["distill"] = self.distill_weight * distill
        return output


register_clip_video(FROSTER, "froster_b16", "froster", "FROSTER ViT-B/16: fine-tuned video CLIP with residual "
                    "feature distillation from frozen CLIP.", "FROSTER")
