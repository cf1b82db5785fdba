"""Cached clip features: extracting them with a frozen backbone, and loading them like clips.

Feature-based models (CIR) classify the pooled features of a frozen video backbone instead of decoded video.
Their recipes say so in a ``data`` section::

    data: {source: features, extractor: slowfast_r50, dir: null, weights: null, pretrained: true}

``extractor`` is a registered model whose ``forward_features`` maps are pooled into one vector per view (for
SlowFast R50 the 2304-d input of its classifier: slow and fast pathway pooled separately and concatenated);
it runs in evaluation mode on the clips its own recipe defines, one view per video unless asked
(``temporal_views``, ``spatial_views``). ``weights``/``pretrained`` initialise it as ``synta bench`` would.

The cache lives in ``dir`` (default ``<video root>/features/<extractor>/``, the video root being the data root
of a rendered Syn-TA tree) and holds ``part-NNNNN.npy`` arrays ``(videos, views, dim)`` plus ``index.json``:
the extractor's configuration and, keyed by the manifest's video paths, where each video's row is (and which
videos failed to decode; they are not retried, and evaluation counts them as failed). Parts are written
whole and the index after them, both atomically, so an interrupted extraction resumes where it stopped and a
video is either fully cached or not at all. Features are keyed by path, so every manifest over the same video
root shares one cache; one process writes a cache at a time.

:func:`build_feature_loader` is the drop-in for :func:`~synta.benchmark.data.dataset.build_loader` when a
recipe's ``data.source`` is ``features``: same arguments, same batches (``video`` = features ``(B, D)`` in
training and ``(B, V, D)`` in evaluation, ``label``, ``index``, ``failed``), same seeded sampler. A missing
cache is extracted on first use (single process; under DDP run ``synta features extract`` first).
"""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from synta.benchmark.data.dataset import ClipConfig, ClipLoader, SeededSampler, build_loader
from synta.benchmark.data.labels import TASKS
from synta.benchmark.data.manifest import Manifest, Video
from synta.files import write_atomic

log = logging.getLogger(__name__)

FORMAT = "synta-features/1"
INDEX = "index.json"
DATA_KEYS = ("source", "extractor", "dir", "weights", "pretrained", "temporal_views", "spatial_views")


def default_dir(manifest: Manifest, extractor: str) -> Path:
    """Where the features of ``extractor`` over ``manifest``'s videos are cached by default."""
    return manifest.root / "features" / extractor


def read_index(root: Path) -> dict[str, Any] | None:
    """The cache index in ``root``, or None if there is none."""
    path = Path(root) / INDEX
    if not path.is_file():
        return None
    index = json.loads(path.read_text(encoding="utf-8"))
    if index.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} feature index")
    return index


def pooled_features(model: nn.Module, video: torch.Tensor) -> torch.Tensor:
    """Globally pooled final features ``(N, D)`` of ``video`` (the input of the model's classifier head)."""
    from synta.models.heads import pool_features

    forward_features = getattr(model, "forward_features", None)
    if not callable(forward_features):
        raise ValueError(f"{type(model).__name__} exposes no forward_features(); it cannot be a feature extractor")
    return pool_features(forward_features(video))


def extraction_clip(extractor: str, temporal_views: int = 1, spatial_views: int = 1) -> ClipConfig:
    """The extractor recipe's clip with the requested number of test views."""
    from synta.benchmark.recipe import model_recipe

    clip = model_recipe(extractor).clip
    return replace(clip, temporal_views=temporal_views,
                   transform=replace(clip.transform, spatial_views=spatial_views))


@dataclass(frozen=True)
class Extraction:
    """What :func:`extract_features` did: ``extracted`` new videos, ``cached`` ones skipped, ``failed`` ones."""

    dir: Path
    extracted: int
    cached: int
    failed: int


def _weights_key(weights: str | Path | None) -> str | None:
    """How the index records an extractor checkpoint: its absolute path (the same from any working folder)."""
    return str(Path(weights).resolve()) if weights else None


def _provenance(extractor: str, weights: str | Path | None, pretrained: bool, clip: ClipConfig) -> dict[str, Any]:
    record = {"extractor": extractor, "weights": _weights_key(weights), "pretrained": bool(pretrained),
              "clip": asdict(clip)}
    return json.loads(json.dumps(record))  # lists for tuples, as the record reads back from index.json


def _unique(videos: Iterable[Video]) -> list[Video]:
    return list({v.path: v for v in videos}.values())


def extract_features(manifest: Manifest, extractor: str = "slowfast_r50", out: str | Path | None = None, *,
                     weights: str | Path | None = None, pretrained: bool = False, temporal_views: int = 1,
                     spatial_views: int = 1, batch_size: int = 8, num_workers: int = 2,
                     device: torch.device | str | None = None, part_size: int = 512) -> Extraction:
    """Cache the pooled features of every video of ``manifest`` not cached yet under ``out`` (default
    :func:`default_dir`). Raises ``ValueError`` if ``out`` holds features of another configuration."""
    from synta.models.registry import build, get_info

    extractor = get_info(extractor).name
    root = Path(out) if out is not None else default_dir(manifest, extractor)
    clip = extraction_clip(extractor, temporal_views, spatial_views)
    record = _provenance(extractor, weights, pretrained, clip)
    index = read_index(root)
    if index is None:
        index = {"format": FORMAT, **record, "dim": None, "views": None, "parts": [], "videos": {}, "failed": []}
    elif any(index.get(k) != v for k, v in record.items()):
        differ = ", ".join(k for k, v in record.items() if index.get(k) != v)
        raise ValueError(f"{root} holds features of another configuration ({differ} differ); remove it or choose "
                         "another output folder")
    done = set(index["videos"]) | set(index["failed"])
    todo = [v for v in _unique(manifest.videos) if v.path not in done]
    cached = len(_unique(manifest.videos)) - len(todo)
    if not todo:
        return Extraction(root, 0, cached, 0)
    device = torch.device(device if device is not None else "cuda" if torch.cuda.is_available() else "cpu")
    if not weights and not pretrained:
        log.warning("%s features come from randomly initialised weights (pass weights or pretrained)", extractor)
    model = build(extractor, 400, weights=weights, pretrained=pretrained).to(device).eval()
    loader = build_loader(manifest.with_videos(todo), task="coarse", train=False, clip=clip, batch_size=batch_size,
                          num_workers=num_workers, device=device)
    rows: list[np.ndarray] = []
    paths: list[str] = []
    extracted = failed = 0

    def flush() -> None:
        if not paths:
            return
        name = f"part-{len(index['parts']):05d}.npy"
        buf = io.BytesIO()
        np.save(buf, np.stack(rows))
        write_atomic(root / name, buf.getvalue())
        index["parts"].append(name)
        index["videos"].update({p: [len(index["parts"]) - 1, i] for i, p in enumerate(paths)})
        write_atomic(root / INDEX, json.dumps(index) + "\n")
        rows.clear()
        paths.clear()

    with torch.no_grad():
        for step, batch in enumerate(loader):
            video = batch["video"]
            b, views = video.shape[:2]
            feats = pooled_features(model, video.flatten(0, 1)).float().view(b, views, -1).cpu().numpy()
            index["dim"], index["views"] = int(feats.shape[-1]), int(views)
            for j, (i, bad) in enumerate(zip(batch["index"].tolist(), batch["failed"].tolist())):
                if bad:
                    index["failed"].append(todo[i].path)
                    failed += 1
                else:
                    rows.append(feats[j])
                    paths.append(todo[i].path)
                    extracted += 1
            if len(paths) >= part_size:
                flush()
            if (step + 1) % 50 == 0:
                log.info("features: %d/%d videos", extracted + failed, len(todo))
    flush()
    if failed:  # the index records them too; written here in case the last part was empty
        write_atomic(root / INDEX, json.dumps(index) + "\n")
    return Extraction(root, extracted, cached, failed)


def load_features(root: Path, videos: Sequence[Video]) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(N, V, D)`` of ``videos`` from the cache in ``root`` (zeros for videos that failed to
    decode) and the failed mask ``(N,)``. Raises ``KeyError`` naming videos that are not cached."""
    index = read_index(root)
    if index is None:
        raise FileNotFoundError(f"no feature cache in {root}")
    failed_paths = set(index["failed"])
    missing = [v.path for v in videos if v.path not in index["videos"] and v.path not in failed_paths]
    if missing:
        raise KeyError(f"{len(missing)} videos have no cached features in {root} (first: {missing[0]})")
    dim, views = index["dim"] or 0, index["views"] or 1
    out = np.zeros((len(videos), views, dim), np.float32)
    failed = np.array([v.path in failed_paths for v in videos])
    by_part: dict[int, list[tuple[int, int]]] = {}
    for i, v in enumerate(videos):
        if not failed[i]:
            part, row = index["videos"][v.path]
            by_part.setdefault(part, []).append((i, row))
    for part, pairs in by_part.items():
        array = np.load(Path(root) / index["parts"][part], mmap_mode="r")
        targets, rows = zip(*pairs)
        out[list(targets)] = array[list(rows)]
    return out, failed


def identity(x: torch.Tensor) -> torch.Tensor:
    """Features need no normalisation (the loader's ``dataset.normalize``)."""
    return x


class FeatureClips(Dataset):
    """Cached features of the videos of ``manifest`` with their ``task`` labels; the counterpart of
    :class:`~synta.benchmark.data.dataset.VideoClips` (same items, same sample dicts).

    Training yields one view ``(D,)`` drawn from the sample's generator (seeded by ``(seed, epoch, index)``),
    replacing a video that failed to decode by another one drawn the same way; evaluation yields every view
    ``(V, D)`` and zeros with ``failed = 1`` for a failed video.
    """

    normalize = staticmethod(identity)

    def __init__(self, manifest: Manifest, task: str, train: bool, features: np.ndarray, failed: np.ndarray) -> None:
        if task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {task!r}")
        if not manifest.videos:
            raise ValueError(f"no videos in the {manifest.dataset} manifest selection")
        if train and failed.all():
            raise ValueError("every video of the training selection failed to decode; run `synta data check`")
        self.manifest, self.task, self.train = manifest, task, train
        self.features, self.failed = torch.from_numpy(features), failed
        self.labels = [manifest.label(v, task) for v in manifest.videos]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, item: int | tuple[int, int, int]) -> dict[str, Any]:
        index, seed, epoch = item if isinstance(item, tuple) else (int(item), 0, 0)
        if not self.train:
            return {"video": self.features[index], "label": self.labels[index], "index": index,
                    "failed": int(self.failed[index])}
        rng = np.random.default_rng([seed, epoch, index])
        replaced = 0
        while self.failed[index]:
            index, replaced = int(rng.integers(len(self))), replaced + 1
        view = int(rng.integers(self.features.shape[1]))
        return {"video": self.features[index, view], "label": self.labels[index], "index": index, "failed": replaced}


def _check_data_config(data_cfg: dict[str, Any]) -> str:
    unknown = set(data_cfg) - set(DATA_KEYS)
    if unknown:
        raise ValueError(f"unknown data setting(s): {', '.join(sorted(unknown))} (known: {', '.join(DATA_KEYS)})")
    extractor = data_cfg.get("extractor")
    if not extractor:
        raise ValueError("data.source 'features' needs data.extractor (a registered model, e.g. slowfast_r50)")
    return str(extractor)


def ensure_features(manifest: Manifest, selection: Sequence[Video], data_cfg: dict[str, Any],
                    device: torch.device | str | None = None, world_size: int = 1) -> Path:
    """The cache folder of ``data_cfg`` for ``manifest``, after extracting every uncached video of ``manifest``
    if any of ``selection`` is uncached (one process only: under DDP a missing cache is an error)."""
    extractor = _check_data_config(data_cfg)
    root = Path(data_cfg["dir"]) if data_cfg.get("dir") else default_dir(manifest, extractor)
    index = read_index(root)
    known = set(index["videos"]) | set(index["failed"]) if index else set()
    command = (f"synta features extract --model {extractor} --data-root {manifest.root} --out {root}"
               + (f" --weights {data_cfg['weights']}" if data_cfg.get("weights") else "")
               + (" --pretrained" if data_cfg.get("pretrained") else ""))
    if all(v.path in known for v in selection):
        asked = {"weights": _weights_key(data_cfg.get("weights")),
                 "pretrained": bool(data_cfg.get("pretrained", False))}
        if index and any(index.get(k) != v for k, v in asked.items()):
            log.warning("features in %s were extracted with weights=%s pretrained=%s, not as the recipe's data "
                        "section asks (weights=%s pretrained=%s); using them", root, index.get("weights"),
                        index.get("pretrained"), asked["weights"], asked["pretrained"])
        return root
    if world_size > 1:
        raise ValueError(f"no cached {extractor} features for some videos in {root}; extract them before a "
                         f"multi-process run: {command}")
    log.info("extracting %s features of uncached videos into %s (what `%s` does)", extractor, root, command)
    try:
        done = extract_features(manifest, extractor, root, weights=data_cfg.get("weights"),
                                pretrained=bool(data_cfg.get("pretrained", False)),
                                temporal_views=int(data_cfg.get("temporal_views", 1)),
                                spatial_views=int(data_cfg.get("spatial_views", 1)), device=device)
    except (RuntimeError, ValueError, FileNotFoundError) as err:
        raise ValueError(f"{extractor} features are missing in {root} and extracting them failed: {err} "
                         f"(run `{command}` to extract them yourself)") from None
    log.info("extracted %d videos (%d failed to decode) into %s", done.extracted, done.failed, done.dir)
    return root


def build_feature_loader(manifest: Manifest, data_cfg: dict[str, Any], *, task: str, train: bool,
                         clip: ClipConfig | None = None, split: str | None = None, set_id: int | None = None,
                         batch_size: int = 8, num_workers: int = 2, seed: int = 0, rank: int = 0,
                         world_size: int = 1, drop_last: bool | None = None, device: torch.device | str | None = None,
                         pin_memory: bool = False, persistent_workers: bool = False) -> ClipLoader:
    """A loader of cached features with :func:`~synta.benchmark.data.dataset.build_loader`'s interface.

    ``data_cfg`` is the recipe's ``data`` section (see the module docstring). ``clip`` is ignored (the
    extractor's recipe made the clips) and so are the worker settings: the features are indexed in memory, so
    batches are assembled in the main process. Batches move to ``device`` if given.
    """
    del clip, num_workers, pin_memory, persistent_workers  # part of build_loader's interface, not needed here
    selected = manifest.select(split, set_id) if split is not None or set_id is not None else manifest
    root = ensure_features(manifest, selected.videos, data_cfg, device, world_size)
    features, failed = load_features(root, selected.videos)
    dataset = FeatureClips(selected, task, train, features, failed)
    sampler = SeededSampler(len(dataset), seed=seed, shuffle=train, rank=rank, world_size=world_size)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=0,
                        drop_last=train if drop_last is None else drop_last)
    return ClipLoader(loader, device)
