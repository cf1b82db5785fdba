"""Class texts and prompt templates for the CLIP text models.

A class is described by its text: the label space's name (a coarse name such as ``orbiting`` or a fine
caption), or a user-supplied description (EZ-CLIP's per-class LLM descriptions) read from a CSV file with
the columns ``class,description``. A :class:`PromptEnsemble` turns class texts into prompts with templates
(``"{}"`` stands for the class text); models average the normalised text embeddings of the templates
(CLIP's prompt ensembling). Training may draw templates at random per step instead (ActionCLIP's text
augmentation, FROSTER's one random template plus the bare name), which keeps the text tower's cost per
step small when it trains.
"""
from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from synta.models.label_space import LabelSpace

#: ActionCLIP's 16 Kinetics templates (also EZ-CLIP's when it has no descriptions).
ACTIONCLIP_TEMPLATES = (
    "a photo of action {}", "a picture of action {}", "Human action of {}", "{}, an action",
    "{} this is an action", "{}, a video of action", "Playing action of {}", "{}",
    "Playing a kind of action, {}", "Doing a kind of action, {}", "Look, the human is {}",
    "Can you recognize the action of {}?", "Video classification of {}", "A video of {}", "The man is {}",
    "The woman is {}",
)

#: FROSTER's templates: four openings × seven person phrasings, then the bare class text (kept last).
FROSTER_TEMPLATES = tuple(
    f"{opening} {phrase}{{}}."
    for opening in ("a photo of", "a video of", "a example of", "a demonstration of")
    for phrase in ("", "a person ", "a person using ", "a person doing ", "a person during ",
                   "a person performing ", "a person practicing ")
) + ("{}",)

#: ViFi-CLIP's single hand-written prompt.
VIFICLIP_TEMPLATES = ("a photo of a {}.",)

#: The class text alone (X-CLIP, and any model given full-sentence descriptions).
CLASS_TEXT = ("{}",)


@dataclass(frozen=True)
class PromptEnsemble:
    """Templates whose text embeddings are averaged per class.

    In training, ``train_sample`` templates are drawn at random each time labels are encoded (None: all),
    in addition to the templates at the indices ``train_keep`` (always used).
    """

    templates: tuple[str, ...]
    train_sample: int | None = None
    train_keep: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.templates:
            raise ValueError("a prompt ensemble needs at least one template")
        bad = [t for t in self.templates if t.count("{}") != 1]
        if bad:
            raise ValueError(f"templates must contain '{{}}' exactly once: {bad}")
        if any(not 0 <= i < len(self.templates) for i in self.train_keep):
            raise ValueError(f"train_keep {self.train_keep} out of range for {len(self.templates)} templates")
        drawable = len(self.templates) - len(set(self.train_keep))
        if self.train_sample is not None and not 0 <= self.train_sample <= drawable:
            raise ValueError(f"train_sample must be between 0 and {drawable}, got {self.train_sample}")

    def indices(self, train: bool) -> tuple[int, ...]:
        """Template indices to use: all of them, or in training ``train_keep`` plus a random draw."""
        if not train or self.train_sample is None:
            return tuple(range(len(self.templates)))
        pool = [i for i in range(len(self.templates)) if i not in self.train_keep]
        drawn = torch.randperm(len(pool))[:self.train_sample].tolist()
        return tuple(sorted({*self.train_keep, *(pool[i] for i in drawn)}))

    def prompts(self, texts: Sequence[str], indices: Sequence[int]) -> list[str]:
        """Prompts ``len(indices) × len(texts)``, template-major (all classes of the first template first)."""
        return [self.templates[i].format(text) for i in indices for text in texts]


def load_descriptions(path: str | Path) -> dict[str, str]:
    """Class descriptions from a CSV file with the header ``class,description`` (one row per class)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no descriptions file at {path}")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"class", "description"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: needs the columns class,description (missing {', '.join(sorted(missing))})")
        rows = [(row["class"].strip(), " ".join(row["description"].split())) for row in reader]
    empty = [name for name, text in rows if not name or not text]
    if empty:
        raise ValueError(f"{path}: empty class or description in {len(empty)} row(s)")
    return dict(rows)


def class_texts(space: LabelSpace, descriptions: Mapping[str, str] | None = None) -> list[str]:
    """The text of each class of ``space``: its description if given (looked up by the class name, then by
    its short fine name), else the name with underscores read as spaces."""
    if descriptions is None:
        return [name.replace("_", " ") for name in space.names]
    short = space.short_names or (None,) * len(space)
    texts = [descriptions.get(name, descriptions.get(alt) if alt else None) for name, alt in zip(space.names, short)]
    missing = [name for name, text in zip(space.names, texts) if text is None]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:5])
        raise KeyError(f"no description for {len(missing)} class(es) of the label space: {shown}"
                       f"{' …' if len(missing) > 5 else ''}")
    return texts
