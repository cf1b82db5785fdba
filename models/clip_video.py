"""What the five CLIP video-text models share: towers, label encoding, similarity logits, CLIP loading.

A :class:`CLIPVideoModel` holds a vision tower (``visual``, a :class:`~synta.models.clip_vision.VisionTransformer`
whose blocks a method may replace), a text tower (``text``), a :class:`~synta.models.prompts.PromptEnsemble`
and a temperature ``logit_scale`` (CLIP's, learned or frozen per method). Classification is by cosine
similarity between the video embedding and the text embedding of every class of a label space, so any
label space can be scored, including classes never trained on.

Label encoding (:meth:`CLIPVideoModel.encode_labels`) is where text is computed: once per label space while
the text side is frozen or the model evaluates (the result is cached until the model changes mode, loads
weights or moves), and afresh with gradients at every training step when the text side trains. ``forward``
never runs the text tower on the base embeddings it is given.

Builders of the concrete models take ``tiny`` (the tiny towers of :meth:`VisionConfig.tiny` and
:meth:`TextConfig.tiny`), ``num_frames`` for methods whose modules are tied to the clip length, and
``descriptions`` (a ``class,description`` CSV or a mapping; the descriptions replace class names and the
bare ``"{}"`` template is used). ``pretrained=True`` loads OpenAI's CLIP ViT-B/16 through open_clip.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from synta.models.label_space import LabelSpace
from synta.models.base import Criterion, ModelOutput, VideoModel
from synta.models.clip_text import TextConfig, TextTransformer, load_clip_text, tokenize
from synta.models.clip_vision import VisionConfig, VisionTransformer, load_clip_vision, openai_state_dict
from synta.models.prompts import CLASS_TEXT, PromptEnsemble, class_texts, load_descriptions

OBJECTIVES = ("ce", "kl")
_TEXT_CHUNK = 1024  # prompts per text-tower call when encoding without gradients (bounds activation memory)
_OPENAI_EXTRAS = ("input_resolution", "context_length", "vocab_size")  # metadata in OpenAI's own files
PRETRAINED = "OpenAI CLIP ViT-B/16 (open_clip 'openai')"


def clip_configs(tiny: bool) -> tuple[VisionConfig, TextConfig]:
    """The tower shapes of the full (CLIP ViT-B/16) or tiny models."""
    return (VisionConfig.tiny(), TextConfig.tiny()) if tiny else (VisionConfig(), TextConfig())


def video_text_kl(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """ActionCLIP's symmetric video–text loss over a batch.

    ``logits[:, target]`` is the ``B × B`` similarity between each video and the text of each video's
    class; the ground truth marks every pair of the same class. Each direction (video→text on the rows,
    text→video on the columns) is the KL divergence between the softmax of the similarities and the
    ground truth sharpened as ActionCLIP does (``softmax(10 · gt)``); the two are averaged.
    """
    if target.ndim != 1 or target.dtype.is_floating_point:
        raise ValueError("the video-text loss needs integer class targets (B,), not soft labels")
    sim = logits[:, target]
    truth = F.softmax(10.0 * (target[:, None] == target[None, :]).to(sim.dtype), dim=1)
    v2t = F.kl_div(F.log_softmax(sim, dim=1), truth, reduction="batchmean")
    t2v = F.kl_div(F.log_softmax(sim.t(), dim=1), truth, reduction="batchmean")
    return (v2t + t2v) / 2


class CLIPVideoModel(VideoModel):
    """Base class of the CLIP video-text models (see the module docstring).

    Subclasses build ``visual`` (with their own block class if they change the blocks), set the class
    attributes below, and implement ``forward(video, labels)`` for ``video (B, T, 3, H, W)`` returning a
    :class:`ModelOutput` whose logits are ``(B, K)`` for the ``K`` classes of the encoded labels.
    """

    uses_text: ClassVar[bool] = True
    #: ``ce``: the engine's criterion on the logits; ``kl``: :func:`video_text_kl` (ActionCLIP, EZ-CLIP).
    objective: ClassVar[str] = "ce"
    #: Key prefixes, inside the vision / text blocks, of the modules a method adds (left at their
    #: initialisation when CLIP weights are loaded).
    vision_added: ClassVar[tuple[str, ...]] = ()
    text_added: ClassVar[tuple[str, ...]] = ()
    #: Parameter-name fragments trained with a learning-rate multiplier (the first match wins).
    lr_mults: ClassVar[dict[str, float]] = {}

    def __init__(self, visual: VisionTransformer, text: TextTransformer, prompts: PromptEnsemble,
                 num_frames: int | None = None, descriptions: str | Path | Mapping[str, str] | None = None,
                 learn_temperature: bool = True) -> None:
        super().__init__()
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        if visual.cfg.output_dim != text.cfg.output_dim:
            raise ValueError(f"vision ({visual.cfg.output_dim}) and text ({text.cfg.output_dim}) embeddings differ")
        if num_frames is not None and num_frames < 1:
            raise ValueError(f"num_frames must be positive, got {num_frames}")
        self.visual = visual
        self.text = text
        self.num_frames = num_frames
        self.descriptions = dict(descriptions) if isinstance(descriptions, Mapping) else \
            load_descriptions(descriptions) if descriptions is not None else None
        # A description is a whole sentence: templates written around a class name would garble it.
        self.prompts = PromptEnsemble(CLASS_TEXT) if self.descriptions is not None else prompts
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)), requires_grad=learn_temperature)
        self._label_cache: dict[Any, Any] = {}

    # ------------------------------------------------------------------ text side

    @property
    def trains_text(self) -> bool:
        """Whether any text-tower parameter trains (then labels are re-encoded with gradients each step)."""
        return any(p.requires_grad for p in self.text.parameters())

    def encode_labels(self, space: LabelSpace) -> Any:
        """The encoded classes of ``space`` for ``forward`` (by default normalised text embeddings ``(K, D)``).

        While the text side is frozen or the model evaluates, the result is computed once without gradients
        and cached per label space; in training with a trainable text side it is recomputed (with a fresh
        draw of training templates) on every call.
        """
        if self.training and self.trains_text:
            return self._encode_labels(space, self.prompts.indices(train=True))
        if space not in self._label_cache:  # keyed by the whole (frozen) space: names, captions, parents
            with torch.no_grad():
                self._label_cache[space] = self._encode_labels(space, self.prompts.indices(train=False))
        return self._label_cache[space]

    def _encode_labels(self, space: LabelSpace, indices: tuple[int, ...]) -> Any:
        """Encode ``space`` with the templates at ``indices`` (override to return more than text)."""
        return self.ensemble(self.prompt_embeddings(self.text, space, indices))

    def prompt_embeddings(self, text: TextTransformer, space: LabelSpace, indices: tuple[int, ...]) -> torch.Tensor:
        """Raw text embeddings ``(P, K, D)`` of the ``P`` templates at ``indices`` for the ``K`` classes."""
        texts = class_texts(space, self.descriptions)
        tokens = tokenize(self.prompts.prompts(texts, indices), text.cfg.context_length)
        tokens = tokens.to(text.positional_embedding.device)
        if torch.is_grad_enabled():
            out = text(tokens)
        else:
            out = torch.cat([text(chunk) for chunk in tokens.split(_TEXT_CHUNK)])
        return out.unflatten(0, (len(indices), len(texts)))

    @staticmethod
    def ensemble(embeddings: torch.Tensor) -> torch.Tensor:
        """Prompt ensembling: the normalised mean of the normalised embeddings ``(P, K, D) -> (K, D)``."""
        return F.normalize(F.normalize(embeddings, dim=-1).mean(0), dim=-1)

    # ------------------------------------------------------------------ video side and logits

    def check_video(self, video: torch.Tensor) -> torch.Tensor:
        """``video`` if it is ``(B, T, 3, H, W)`` with the clip length the model was built for."""
        if video.ndim != 5 or video.shape[2] != 3:
            raise ValueError(f"expected video (B, T, 3, H, W) (recipe layout TCHW), got shape {tuple(video.shape)}")
        if self.num_frames is not None and video.shape[1] != self.num_frames:
            raise ValueError(f"{type(self).__name__} was built for {self.num_frames} frames, got {video.shape[1]} "
                             "(set model.num_frames in the recipe to the clip's frames)")
        return video

    def resolve_labels(self, labels: Any) -> Any:
        """``labels`` as encoded labels (a :class:`LabelSpace` is encoded here, through the cache)."""
        if labels is None:
            raise ValueError(f"{type(self).__name__} classifies by text: call model(video, "
                             "labels=model.encode_labels(space))")
        return self.encode_labels(labels) if isinstance(labels, LabelSpace) else labels

    def temperature(self) -> torch.Tensor:
        """CLIP's logit scale ``exp(logit_scale)``, capped at 100 as in CLIP's training."""
        return self.logit_scale.exp().clamp(max=100.0)

    def similarity(self, video: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """Scaled cosine similarity of video embeddings ``(B, D)`` with text ``(K, D)`` or per-video text
        ``(B, K, D)``: logits ``(B, K)``."""
        video = F.normalize(video, dim=-1)
        text = F.normalize(text, dim=-1)
        sim = video @ text.t() if text.ndim == 2 else torch.einsum("bd,bkd->bk", video, text)
        return self.temperature() * sim

    # ------------------------------------------------------------------ training contract

    def loss(self, output: ModelOutput, target: torch.Tensor, criterion: Criterion) -> dict[str, torch.Tensor]:
        if self.objective == "kl":
            return {"video_text": video_text_kl(output.logits, target), **output.losses}
        return super().loss(output, target, criterion)

    def param_groups(self) -> list[dict[str, Any]]:
        """One group per ``lr_mults`` entry (parameters whose name contains it) plus the rest at ×1."""
        groups: dict[str, list[nn.Parameter]] = {"backbone": [], **{k: [] for k in self.lr_mults}}
        for name, p in self.named_parameters():
            if p.requires_grad:
                groups[next((k for k in self.lr_mults if k in name), "backbone")].append(p)
        return [{"name": k, "params": ps, "lr_mult": self.lr_mults.get(k, 1.0)} for k, ps in groups.items() if ps]

    def no_weight_decay(self) -> set[str]:
        """Embedding tables of positions and class tokens (no weight decay, as in CLIP fine-tuning code)."""
        return {n for n, _ in self.named_parameters() if n.endswith(("positional_embedding", "class_embedding"))}

    # ------------------------------------------------------------------ CLIP weights

    def load_clip(self, state: Mapping[str, torch.Tensor]) -> None:
        """Load a CLIP state dict (OpenAI/open_clip layout: ``visual.*``, the text keys, ``logit_scale``)
        strictly; the modules the method adds keep their initialisation."""
        load_clip_vision(self.visual, state, allow_missing=self.vision_added)
        load_clip_text(self.text, state, allow_missing=self.text_added)
        if "logit_scale" not in state:
            raise ValueError("CLIP weights do not fit: missing keys: logit_scale")
        with torch.no_grad():
            self.logit_scale.copy_(state["logit_scale"])
        self._label_cache.clear()

    def remap_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Adapt a plain CLIP checkpoint (``--weights`` pointing at OpenAI/open_clip CLIP ViT-B/16): it is
        loaded with :meth:`load_clip` and the model's resulting state returned; other states pass unchanged."""
        if "token_embedding.weight" not in state or "visual.conv1.weight" not in state:
            return state
        self.load_clip({k: v for k, v in state.items() if k not in _OPENAI_EXTRAS})
        return self.state_dict()

    # ------------------------------------------------------------------ cache invalidation

    def train(self, mode: bool = True) -> CLIPVideoModel:
        self._label_cache.clear()  # weights may have changed since the labels were encoded
        return super().train(mode)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False):
        self._label_cache.clear()
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def _apply(self, fn, recurse: bool = True):
        self._label_cache.clear()  # cached embeddings would stay on the old device / dtype
        return super()._apply(fn, recurse)


def clip_family(cls: type[CLIPVideoModel]) -> Callable[..., CLIPVideoModel]:
    """The :func:`~synta.models.registry.register_family` builder of a CLIP video family: ``cls`` with the
    tiny CLIP towers for ``_tiny`` rows, and OpenAI's CLIP ViT-B/16 weights loaded if ``pretrained``."""
    def make(name: str, num_classes: int | None, pretrained: bool, **kwargs: Any) -> CLIPVideoModel:
        tiny = name.endswith("_tiny")
        if pretrained and tiny:
            raise ValueError(f"{cls.__name__} tiny variants have no pretrained weights (they exist for tests)")
        model = cls(tiny=tiny, **kwargs)
        if pretrained:
            model.load_clip(openai_state_dict())
        return model
    return make


def register_clip_video(cls: type[CLIPVideoModel], name: str, alias: str, description: str, short: str,
                        tiny_description: str = "", **paper: float) -> None:
    """Register CLIP video model ``name`` (OpenAI CLIP ViT-B/16 weights; ``alias`` too) and its
    ``name_tiny`` test variant, built by :func:`clip_family`; ``paper`` sets paper_params/paper_trainable."""
    from synta.models.registry import Variant, register_family

    register_family("clip_text", name, clip_family(cls), [
        Variant(name, description=description, pretrained=PRETRAINED, aliases=(alias,), **paper),
        Variant(f"{name}_tiny", tiny=True,
                description=tiny_description or f"{short} with the tiny CLIP towers (tests and smoke runs)."),
    ], uses_text=True)
