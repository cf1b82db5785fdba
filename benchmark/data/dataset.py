"""The PyTorch side: a clip dataset over a manifest and the DataLoader factory the engine uses.

Workers decode, sample and transform clips and pass them on as uint8; :class:`ClipLoader` turns each batch
into normalised floats after it arrived (on the training device when one is given), which moves a quarter
of the bytes between processes and to the GPU.

Determinism: the loader's sampler yields ``(index, seed, epoch)`` and each sample draws all of its
randomness (temporal start or offsets, crop, flip, RandAugment, replacement of a bad video) from
generators seeded by that triple alone. A sample is therefore the same whatever the number of workers,
the worker that happens to load it, the batch size or the number of DDP ranks; only ``seed`` and the epoch
(``loader.sampler.set_epoch``) change it. Workers are also seeded (``seed_worker``) so that any other
library that draws from Python's, NumPy's or torch's global generators gets distinct, reproducible
streams per worker.

Bad videos: in training, a video that fails to open or decode is logged, counted (``failures``, shared by
all workers) and replaced by another video drawn from the sample's generator, so an epoch never stops on
a broken file. In evaluation nothing is replaced (that would bias the metrics): the sample comes back as a
black clip with ``failed = 1`` for the engine to count.
"""
from __future__ import annotations

import logging
import multiprocessing
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from synta.benchmark.data.labels import TASKS
from synta.benchmark.data.manifest import Manifest, Video
from synta.benchmark.data.sampling import make_sampler
from synta.benchmark.data.transforms import LAYOUTS, Normalize, TransformConfig, build_transform, flip_allowed
from synta.benchmark.data.video import DecodeError, open_video

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipConfig:
    """How a sample is made from a video.

    ``sampler``: ``dense`` (``frames`` at ``stride``) or ``uniform`` (TSN, one frame per segment); ``pad``:
    short-video policy of dense clips (``repeat`` the last frame or ``loop``). Testing takes
    ``temporal_views`` clips × ``transform.spatial_views`` crops. ``layout`` orders a clip's dimensions
    (``CTHW`` for 3-D CNNs and video transformers, ``TCHW`` for frame-wise image models).
    ``max_short_side`` downscales frames while decoding (see :class:`~synta.benchmark.data.video.VideoReader`).
    """

    sampler: str = "dense"
    frames: int = 8
    stride: int = 8
    pad: str = "repeat"
    temporal_views: int = 1
    transform: TransformConfig = field(default_factory=TransformConfig)
    layout: str = "CTHW"
    max_short_side: int | None = None

    def __post_init__(self) -> None:
        make_sampler(self.sampler, self.frames, self.stride, self.pad)  # validates
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {self.layout!r}")
        if self.temporal_views < 1:
            raise ValueError("temporal_views must be at least 1")


class VideoClips(Dataset):
    """Clips of the videos of ``manifest`` with their ``task`` labels (``coarse`` or ``fine``).

    Items are ``(index, seed, epoch)`` triples (what :class:`SeededSampler` yields) or plain indices
    (seeded by the index alone). A sample is a dict: ``video`` (uint8 ``(C, T, H, W)`` in training,
    ``(V, C, T, H, W)`` with V = temporal × spatial views in testing; ``layout`` may swap C and T; apply
    ``normalize`` to get model input), ``label``, ``fine`` (the fine index within the video's set, whatever
    the task: hierarchical models train on both), ``index`` (of the video actually used) and ``failed``
    (undecodable videos met).
    """

    def __init__(self, manifest: Manifest, task: str, train: bool, clip: ClipConfig | None = None,
                 max_retries: int = 20, decode_threads: int = 1) -> None:
        if task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {task!r}")
        if not manifest.videos:
            raise ValueError(f"no videos in the {manifest.dataset} manifest selection")
        self.manifest, self.task, self.train = manifest, task, train
        self.clip = clip or ClipConfig()
        self.sampler = make_sampler(self.clip.sampler, self.clip.frames, self.clip.stride, self.clip.pad)
        self.transform = build_transform(self.clip.transform, train, self.clip.layout)
        self.normalize = Normalize(self.clip.transform.norm, self.clip.layout)
        self.max_retries, self.decode_threads = max_retries, decode_threads
        self.labels = [manifest.label(v, task) for v in manifest.videos]
        self.fine_labels = [v.fine for v in manifest.videos]
        self.flip_ok = [flip_allowed(manifest.dataset, _fine_name(manifest, v)) for v in manifest.videos]
        self._failures = multiprocessing.get_context().Value("q", 0)

    def __len__(self) -> int:
        return len(self.manifest.videos)

    @property
    def failures(self) -> int:
        """Undecodable videos met so far, over all workers."""
        return int(self._failures.value)

    def __getitem__(self, item: int | tuple[int, int, int]) -> dict[str, Any]:
        index, seed, epoch = item if isinstance(item, tuple) else (int(item), 0, 0)
        if not self.train:
            return self._test_sample(index)
        last_error = None
        for attempt in range(self.max_retries + 1):
            rng = np.random.default_rng([seed, epoch, index, attempt])
            try:
                frames = self._decode(index, rng)
            except DecodeError as err:
                self._count_failure(err)
                last_error = err
                index = int(rng.integers(len(self)))  # the replacement, from this sample's own generator
                continue
            with torch.random.fork_rng(devices=[]):  # seed the transforms without touching the caller's RNG
                torch.manual_seed(int(rng.integers(2**63)))
                video = self.transform(frames[0], self.flip_ok[index])
            return {"video": video, "label": self.labels[index], "fine": self.fine_labels[index], "index": index,
                    "failed": attempt}
        raise RuntimeError(f"{self.max_retries + 1} videos in a row failed to decode (last: {last_error}); "
                           "run `synta data check` on the manifest")

    def _test_sample(self, index: int) -> dict[str, Any]:
        try:
            clips = self._decode(index, None)
            views = [v for clip in clips for v in self.transform(clip)]
            failed = 0
        except DecodeError as err:
            self._count_failure(err)
            size = self.clip.transform.size
            shape = (3, self.clip.frames) if self.clip.layout == "CTHW" else (self.clip.frames, 3)
            count = self.clip.temporal_views * self.clip.transform.spatial_views
            views, failed = [torch.zeros(*shape, size, size, dtype=torch.uint8)] * count, 1
        return {"video": torch.stack(views), "label": self.labels[index], "fine": self.fine_labels[index],
                "index": index, "failed": failed}

    def _decode(self, index: int, rng: np.random.Generator | None) -> list[torch.Tensor]:
        """The clip(s) of video ``index`` as uint8 ``(T, C, H, W)``: one random clip, or every test view."""
        video = self.manifest.videos[index]
        with open_video(self.manifest.resolve(video), video.num_frames, threads=self.decode_threads,
                        max_short_side=self.clip.max_short_side) as reader:
            n = reader.num_frames
            if n < 1:
                raise DecodeError(reader.path, "no frames")
            views = [self.sampler.train(n, rng)] if rng is not None else \
                self.sampler.test(n, self.clip.temporal_views)
            frames = torch.from_numpy(reader.read([i for v in views for i in v])).permute(0, 3, 1, 2)
        return list(frames.split(self.clip.frames))

    def _count_failure(self, err: DecodeError) -> None:
        with self._failures.get_lock():
            self._failures.value += 1
        log.warning("skipping undecodable video: %s", err)


def _fine_name(manifest: Manifest, video: Video) -> str | None:
    fine = manifest.fine_class(video)
    return fine.name if fine else None


class SeededSampler(Sampler):
    """Yields ``(index, seed, epoch)``: a seeded permutation (or the natural order), sharded over DDP ranks.

    Like ``DistributedSampler``, the order is padded by repeating indices so every rank gets the same count
    (unless ``drop_last``); call :meth:`set_epoch` before each epoch.
    """

    def __init__(self, size: int, seed: int = 0, shuffle: bool = True, rank: int = 0, world_size: int = 1,
                 drop_last: bool = False) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside world size {world_size}")
        self.size, self.seed, self.shuffle = size, seed, shuffle
        self.rank, self.world_size, self.drop_last = rank, world_size, drop_last
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use the order and sample randomness of ``epoch``."""
        self.epoch = epoch

    def _order(self) -> np.ndarray:
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.size) if self.shuffle \
            else np.arange(self.size)
        if self.drop_last:
            return order[: len(order) - len(order) % self.world_size]
        pad = -len(order) % self.world_size
        return np.concatenate([order, order[:pad]]) if pad else order

    def __len__(self) -> int:
        if self.drop_last:
            return self.size // self.world_size
        return -(-self.size // self.world_size)

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        for index in self._order()[self.rank::self.world_size]:
            yield int(index), self.seed, self.epoch


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn``: seed Python's and NumPy's global generators from the worker's torch seed, which
    the loader derives from its own seeded generator and the worker id (distinct per worker and run)."""
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)


class ClipLoader:
    """Iterates a DataLoader of :class:`VideoClips` and normalises each batch's ``video`` (uint8 → float),
    after moving it to ``device`` if one is given. ``sampler``, ``dataset`` and ``loader`` are exposed."""

    def __init__(self, loader: DataLoader, device: torch.device | str | None = None) -> None:
        self.loader, self.device = loader, torch.device(device) if device is not None else None
        self.dataset: VideoClips = loader.dataset
        self.sampler: SeededSampler = loader.sampler

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for batch in self.loader:
            video = batch["video"]
            if self.device is not None:
                video = video.to(self.device, non_blocking=self.loader.pin_memory)
            batch["video"] = self.dataset.normalize(video)
            yield batch


def build_loader(manifest: Manifest, *, task: str, train: bool, clip: ClipConfig | None = None,
                 split: str | None = None, set_id: int | None = None, batch_size: int = 8, num_workers: int = 2,
                 seed: int = 0, rank: int = 0, world_size: int = 1, drop_last: bool | None = None,
                 device: torch.device | str | None = None, pin_memory: bool = False,
                 persistent_workers: bool = False) -> ClipLoader:
    """A loader of normalised clips of ``manifest`` (optionally one ``split``/``set_id`` of it).

    Training shuffles and drops the last incomplete batch unless ``drop_last`` says otherwise; evaluation
    keeps the manifest order. Deterministic under ``seed`` (see the module docstring); call
    ``loader.sampler.set_epoch(epoch)`` at the start of every epoch. Batches are normalised on ``device``
    (default: where they arrive, the CPU). FFmpeg's own threads are used only without workers
    (``num_workers=0``), as workers already occupy the cores.
    """
    if split is not None or set_id is not None:
        manifest = manifest.select(split, set_id)
    dataset = VideoClips(manifest, task, train, clip, decode_threads=0 if num_workers == 0 else 1)
    sampler = SeededSampler(len(dataset), seed=seed, shuffle=train, rank=rank, world_size=world_size,
                            drop_last=False)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=num_workers,
                        drop_last=train if drop_last is None else drop_last, pin_memory=pin_memory,
                        worker_init_fn=seed_worker, generator=torch.Generator().manual_seed(seed),
                        persistent_workers=persistent_workers and num_workers > 0)
    return ClipLoader(loader, device)
