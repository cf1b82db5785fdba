"""The three benchmark datasets (Syn-TA, K400-TA, SSv2-TA): names, class counts, the reference's label
file names and the path grammar of each dataset's official split lists (docs/reference.md#split-files)."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    """What the reference's files say about one dataset.

    ``counts`` is (coarse, fine Set 1, fine Set 2). ``label_files`` maps ``"coarse"``, ``1`` and ``2`` to
    the label CSV names under the reference's ``labels/``. ``video_path`` is the grammar of a path in a
    video list (matched whole); ``frame_dir`` the grammar of the end of a frame-folder list's directory
    (searched).
    ``frame_lists`` maps ``(task, split, set)`` to the reference's frame-folder list files.
    """

    name: str
    title: str
    counts: tuple[int, int, int]
    label_files: dict[str | int, str]
    video_path: re.Pattern[str]
    frame_dir: re.Pattern[str]
    frame_lists: dict[tuple[str, str, int], str]

    def num_classes(self, task: str, set_id: int) -> int:
        """Official number of classes of the coarse task, or of one set's fine task."""
        return self.counts[0] if task == "coarse" else self.counts[set_id]


def _ez(coarse: str, fine: str, splits: tuple[str, ...]) -> dict[tuple[str, str, int], str]:
    """Frame-folder list names (``{split}``/``{set}`` placeholders) for every task, split and set."""
    return {(task, split, s): pattern.format(split=split, set=s)
            for task, pattern in (("coarse", coarse), ("fine", fine)) for split in splits for s in (1, 2)}


DATASETS: dict[str, DatasetInfo] = {
    "synta": DatasetInfo(
        name="synta", title="Syn-TA", counts=(20, 53, 47),
        label_files={"coarse": "synthetic_motion_head_labels.csv", 1: "synta_set1_labels.csv",
                     2: "synta_set2_labels.csv"},
        video_path=re.compile(r"(?P<folder>[a-z_]+)/(?P=folder)(?P<intra>\d+)(?P<front>_front)?_id_(?P<k>[1-9]\d*)\.mp4"),
        frame_dir=re.compile(r"(?:^|/)(?P<folder>[a-z_]+)/(?P=folder)\d+(_front)?_id_[1-9]\d*/?$"),
        # Legacy lists (old intra numbering, 100 plain clips per class); kept readable, not the default.
        frame_lists=_ez("head_classes/Synthetic_{split}_set{set}.txt",
                        "fine_context_classes/synta_{split}_set{set}.txt", ("train", "val")),
    ),
    "k400_ta": DatasetInfo(
        name="k400_ta", title="K400-TA", counts=(41, 111, 94),
        label_files={"coarse": "k400_ta_coarse_labels.csv", 1: "kinetics_400_205_set1_labels.csv",
                     2: "k400_ta_set2_labels.csv"},
        video_path=re.compile(r"(?P<split>train|val)/(?P<ytid>[\w-]{11})_(?P<t0>\d{6})_(?P<t1>\d{6})\.mp4"),
        frame_dir=re.compile(r"(?:^|/)[\w-]/[\w-]{11}_\d{6}_\d{6}/?$"),
        frame_lists=_ez("head_classes/K400_{split}_set{set}.txt", "fine_context_classes/K400_{split}_set{set}.txt",
                        ("val",)),
    ),
    "ssv2_ta": DatasetInfo(
        name="ssv2_ta", title="SSv2-TA", counts=(26, 81, 68),
        label_files={"coarse": "ssv2_coarse_labels.csv", 1: "ssv2_149_set1_labels_distribution3.csv",
                     2: "ssv2_set2_labels.csv"},
        video_path=re.compile(r"(?P<id>[1-9]\d{0,5})\.webm"),
        frame_dir=re.compile(r"(?:^|/)[1-9]\d{0,5}\.webm/?$"),  # the reference's frame folders keep the .webm suffix
        frame_lists=_ez("head_classes/SS_{split}_set{set}.txt", "fine_context_classes/SS_{split}_set{set}.txt",
                        ("val",)),
    ),
}

_ALIASES = {"syn-ta": "synta", "syn_ta": "synta", "k400-ta": "k400_ta", "k400": "k400_ta", "ssv2-ta": "ssv2_ta",
            "ssv2": "ssv2_ta"}


def canonical_dataset(name: str) -> str:
    """The canonical spelling of a dataset name: ``synta``, ``k400_ta`` or ``ssv2_ta``.

    Accepts the hyphen spellings (``k400-ta``) and the titles (``K400-TA``) as well, because older run
    folders and the paper write them so. Raises ``ValueError`` naming the valid choices for anything else.
    """
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r} (expected one of: {', '.join(DATASETS)})")
    return key


def dataset_info(name: str) -> DatasetInfo:
    """Look a dataset up by any spelling :func:`canonical_dataset` accepts.

    Raises ``KeyError`` naming the valid choices.
    """
    try:
        return DATASETS[canonical_dataset(name)]
    except ValueError as err:
        raise KeyError(str(err)) from None
