"""Transforms, the flip policy, the clip dataset and the DataLoader factory (determinism, worker seeding,
bad-video replacement, multi-view testing) on MP4s encoded by the test."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from synta.assets import load_yaml
from synta.benchmark.data.dataset import ClipConfig, SeededSampler, VideoClips, build_loader
from synta.benchmark.data.labels import synta_classes
from synta.benchmark.data.manifest import Manifest, Video
from synta.benchmark.data.transforms import (
    EvalTransform,
    Normalize,
    TrainTransform,
    TransformConfig,
    flip_allowed,
    no_flip_classes,
    three_crop,
)
from tests.data_helpers import encode, frame_index

W, H = 64, 36
FULL_FRAME = TransformConfig(size=32, area=(1.0, 1.0), ratio=(W / H, W / H), norm=None)  # no crop, no norm


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("videos")
    for k in range(6):
        encode(root / f"rising/rising1_id_{k + 1}.mp4", frames=60 + 10 * k, width=W, height=H)
    (root / "rising/broken_id_1.mp4").write_text("not a video")
    return root


def synta_manifest(root: Path, rows: list[tuple[str, str]]) -> Manifest:
    """Syn-TA videos ``(path, fine name)`` in the train split."""
    classes = synta_classes()
    fine = {f.name: f for f in classes.fine}
    return Manifest("synta", root, classes, tuple(Video(p, "train", fine[n].set, fine[n].coarse, fine[n].index)
                                                  for p, n in rows))


def mirrored(clip: torch.Tensor) -> bool:
    """Does the red ramp of ``frame_image`` fall from left to right? (clip: C, T, H, W)"""
    red = clip[0].float().mean(dim=(0, 1))
    return bool(red[0] > red[-1])


def as_frames(clip: torch.Tensor) -> list[int]:
    """Frame indices drawn into a uint8 clip (C, T, H, W)."""
    return [frame_index(clip[:, t].permute(1, 2, 0).numpy()) for t in range(clip.shape[1])]


# ---------------------------------------------------------------- flip policy and transforms


def test_flip_policy_file():
    policy = load_yaml("flip_policy.yaml")
    assert set(policy) == {"synta", "k400_ta", "ssv2_ta"}
    synta_names = {f.name for f in synta_classes().fine}
    assert no_flip_classes("synta") <= synta_names
    assert {"moving_in_a_path5", "moving_in_a_path6", "shooting_projectile2", "shooting_projectile3"} <= \
        no_flip_classes("synta")
    assert {f"orbiting{i}" for i in range(1, 7)} <= no_flip_classes("synta")
    assert {"Pushing something from left to right", "Pushing something from right to left",
            "Pulling something from left to right", "Pulling something from right to left",
            "Turning the camera left while filming something",
            "Turning the camera right while filming something"} == no_flip_classes("ssv2_ta")
    assert no_flip_classes("k400_ta") == frozenset()
    assert flip_allowed("synta", "rising1") and not flip_allowed("synta", "orbiting3")
    assert not flip_allowed("synta", None)
    with pytest.raises(KeyError):
        no_flip_classes("ucf101")


def test_flip_only_where_the_class_allows_it(videos):
    m = synta_manifest(videos, [("rising/rising1_id_1.mp4", "orbiting1"), ("rising/rising1_id_1.mp4", "rising1"),
                                ("rising/rising1_id_1.mp4", "moving_in_a_path5")])
    ds = VideoClips(m, "coarse", train=True, clip=ClipConfig(frames=2, stride=1, transform=FULL_FRAME))
    flips = {i: [mirrored(ds[(i, seed, 0)]["video"]) for seed in range(16)] for i in range(3)}
    assert not any(flips[0]) and not any(flips[2])  # clockwise orbit, left-to-right: never mirrored
    assert any(flips[1]) and not all(flips[1])      # rising: mirrored about half the time
    no_flip = VideoClips(m, "coarse", train=True,
                         clip=ClipConfig(frames=2, stride=1, transform=TransformConfig(**{**FULL_FRAME.__dict__,
                                                                                         "flip": False})))
    assert not any(mirrored(no_flip[(1, seed, 0)]["video"]) for seed in range(16))


def test_train_transforms():
    video = torch.randint(0, 256, (8, 3, H, W), dtype=torch.uint8)
    for cfg in (TransformConfig(size=32), TransformConfig(size=32, train_crop="scale_jitter", jitter=(40, 48)),
                TransformConfig(size=32, randaugment=(2, 9), norm="clip")):
        out = TrainTransform(cfg)(video)
        assert out.shape == (8, 3, 32, 32) and out.dtype == torch.uint8
    assert TrainTransform(TransformConfig(size=32), layout="CTHW")(video).shape == (3, 8, 32, 32)
    with pytest.raises(ValueError):
        TransformConfig(norm="cifar")
    with pytest.raises(ValueError):
        Normalize("kinetics", layout="THWC")
    with pytest.raises(ValueError):
        TransformConfig(spatial_views=2)


def test_eval_transforms_and_three_crop():
    video = torch.zeros(4, 3, 36, 96, dtype=torch.uint8)
    video[..., :32] = 10
    video[..., 64:] = 200
    crops = three_crop(video, 32)
    assert [int(c[0, 0, 0, 0]) for c in crops] == [10, 0, 200] and all(c.shape == (4, 3, 32, 32) for c in crops)
    tall = three_crop(torch.zeros(1, 3, 96, 36), 32)
    assert len(tall) == 3 and all(c.shape[-2:] == (32, 32) for c in tall)
    views = EvalTransform(TransformConfig(size=32, spatial_views=3, norm=None))(video)
    assert len(views) == 3 and views[0].shape == (4, 3, 32, 32)
    one = EvalTransform(TransformConfig(size=24, short_side=32, norm=None))(video)
    assert len(one) == 1 and one[0].shape == (4, 3, 24, 24)


def test_normalize_clips_and_batches():
    gray = torch.full((2, 4, 3, 8, 8), round(0.45 * 255), dtype=torch.uint8)  # (B, T, C, H, W)
    assert Normalize("kinetics")(gray).abs().max() < 0.02  # (0.45 - 0.45) / 0.225
    clip = torch.zeros(3, 4, 8, 8, dtype=torch.uint8)  # (C, T, H, W)
    clip[1] = 255
    out = Normalize("clip", layout="CTHW")(clip)
    assert out.dtype == torch.float32
    assert torch.allclose(out[:, 0, 0, 0], torch.tensor([-0.48145466 / 0.26862954, (1 - 0.4578275) / 0.26130258,
                                                         -0.40821073 / 0.27577711]))
    assert torch.equal(Normalize(None, layout="CTHW")(clip)[1], torch.ones(4, 8, 8))


# ---------------------------------------------------------------- dataset and loader


def test_test_views_decode_the_sampled_frames(videos):
    m = synta_manifest(videos, [("rising/rising1_id_1.mp4", "rising1")])  # 60 frames
    clip = ClipConfig(frames=4, stride=2, temporal_views=3, transform=TransformConfig(size=16, short_side=16,
                                                                                      spatial_views=3, norm=None))
    sample = VideoClips(m, "fine", train=False, clip=clip)[0]
    assert sample["video"].shape == (9, 3, 4, 16, 16) and sample["failed"] == 0
    assert sample["label"] == synta_classes().in_set(1)[43].index == 43
    # span 7, slack 53: view starts 0, round(26.5) = 26, 53; three crops each
    assert [as_frames(sample["video"][v]) for v in (0, 3, 6)] == [[0, 2, 4, 6], [26, 28, 30, 32], [53, 55, 57, 59]]
    tsn = ClipConfig(sampler="uniform", frames=6, transform=TransformConfig(size=16, short_side=16, norm=None),
                     layout="TCHW")
    sample = VideoClips(m, "coarse", train=False, clip=tsn)[0]
    assert sample["video"].shape == (1, 6, 3, 16, 16) and sample["label"] == 16
    assert as_frames(sample["video"][0].transpose(0, 1)) == [5, 15, 25, 35, 45, 55]


def test_training_clips_follow_the_seed(videos):
    m = synta_manifest(videos, [("rising/rising1_id_3.mp4", "rising1")])  # 80 frames
    ds = VideoClips(m, "coarse", train=True, clip=ClipConfig(frames=4, stride=3, transform=FULL_FRAME))
    starts = {as_frames(ds[(0, seed, 0)]["video"])[0] for seed in range(12)}
    assert len(starts) > 3 and all(0 <= s <= 80 - 10 for s in starts)
    assert torch.equal(ds[(0, 5, 2)]["video"], ds[(0, 5, 2)]["video"])
    assert as_frames(ds[(0, 5, 2)]["video"]) == [as_frames(ds[(0, 5, 2)]["video"])[0] + 3 * k for k in range(4)]


def batches(loader, epoch: int) -> list[dict]:
    loader.sampler.set_epoch(epoch)
    return list(loader)


def test_loader_is_deterministic_across_worker_counts(videos):
    m = synta_manifest(videos, [(f"rising/rising1_id_{k + 1}.mp4", "rising1") for k in range(6)])
    clip = ClipConfig(frames=4, stride=2, transform=TransformConfig(size=16, randaugment=(2, 9)))
    make = dict(task="fine", train=True, clip=clip, batch_size=2)
    a = batches(build_loader(m, num_workers=0, seed=7, **make), 0)
    b = batches(build_loader(m, num_workers=2, seed=7, **make), 0)
    assert len(a) == len(b) == 3
    assert a[0]["video"].dtype == torch.float32 and a[0]["video"].shape == (2, 3, 4, 16, 16)
    for x, y in zip(a, b):
        assert torch.equal(x["index"], y["index"]) and torch.equal(x["video"], y["video"])
    loader = build_loader(m, num_workers=0, seed=8, **make)
    other_seed, epoch1, epoch0 = batches(loader, 0), batches(loader, 1), batches(loader, 0)
    assert not all(torch.equal(x["video"], y["video"]) for x, y in zip(a, other_seed))
    assert not all(torch.equal(x["video"], y["video"]) for x, y in zip(epoch0, epoch1))
    assert all(torch.equal(x["video"], y["video"]) for x, y in zip(epoch0, other_seed))
    assert sorted(torch.cat([x["index"] for x in a]).tolist()) == list(range(6))


def test_loader_seeds_workers_distinctly(videos):
    m = synta_manifest(videos, [(f"rising/rising1_id_{k + 1}.mp4", "rising1") for k in range(6)])

    class GlobalDraws(VideoClips):
        def __getitem__(self, item):
            import random

            import numpy as np
            sample = super().__getitem__(item)
            sample["draws"] = torch.tensor([random.random(), float(np.random.rand()), float(torch.rand(()))])
            return sample

    def draws() -> list[torch.Tensor]:
        template = build_loader(m, task="coarse", train=False, batch_size=1, num_workers=2, seed=3,
                                clip=ClipConfig(frames=2, transform=TransformConfig(size=16)))
        loader = torch.utils.data.DataLoader(
            GlobalDraws(m, "coarse", False, template.dataset.clip), batch_size=1, sampler=template.sampler,
            num_workers=2, worker_init_fn=template.loader.worker_init_fn, generator=torch.Generator().manual_seed(3))
        return [b["draws"][0] for b in loader]

    first = draws()
    # batches alternate between the two workers: their first draws differ in every generator
    assert all((first[0] != first[1]).tolist())
    assert all(torch.equal(x, y) for x, y in zip(first, draws()))  # and a new run repeats them


def test_bad_videos_are_replaced_and_counted(videos):
    rows = [("rising/rising1_id_1.mp4", "rising1"), ("rising/missing_id_1.mp4", "rising1"),
            ("rising/broken_id_1.mp4", "rising1"), ("rising/rising1_id_2.mp4", "rising1")]
    m = synta_manifest(videos, rows)
    loader = build_loader(m, task="coarse", train=True, batch_size=2, num_workers=2, seed=0, drop_last=False,
                          clip=ClipConfig(frames=2, transform=TransformConfig(size=16)))
    seen, failed = [], 0
    for epoch in range(3):
        for batch in batches(loader, epoch):
            seen += batch["index"].tolist()
            failed += int(batch["failed"].sum())
    assert set(seen) <= {0, 3} and len(seen) == 12
    assert failed >= 6 and loader.dataset.failures == failed
    evaluation = VideoClips(m, "coarse", train=False, clip=ClipConfig(frames=2, transform=TransformConfig(size=16)))
    sample = evaluation[2]
    assert sample["failed"] == 1 and sample["video"].shape == (1, 3, 2, 16, 16) and not sample["video"].any()
    only_bad = synta_manifest(videos, rows[1:3])
    with pytest.raises(RuntimeError, match="failed to decode"):
        VideoClips(only_bad, "coarse", train=True, max_retries=3)[0]


def test_seeded_sampler_shards_over_ranks():
    shards = [list(SeededSampler(10, seed=1, rank=r, world_size=3)) for r in range(3)]
    assert [len(s) for s in shards] == [4, 4, 4]
    indices = [i for s in shards for i, _, _ in s]
    assert set(indices) == set(range(10)) and len(indices) == 12  # padded by repeating two indices
    assert len(SeededSampler(10, rank=0, world_size=3, drop_last=True)) == 3
    assert [i for i, _, _ in SeededSampler(5, shuffle=False)] == [0, 1, 2, 3, 4]
    sampler = SeededSampler(5, seed=2)
    sampler.set_epoch(4)
    assert {(s, e) for _, s, e in sampler} == {(2, 4)}
    with pytest.raises(ValueError):
        SeededSampler(5, rank=2, world_size=2)
