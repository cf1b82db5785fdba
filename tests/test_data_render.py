"""A Syn-TA dataset rendered by `synta render` is read directly (its manifest.csv) and through its
official split files, passes `synta data check`, and feeds the loader."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synta.benchmark.data.dataset import ClipConfig, build_loader
from synta.benchmark.data.manifest import manifest_from_splits, read_manifest
from synta.benchmark.data.transforms import TransformConfig
from synta.benchmark.data.video import VideoReader

pytestmark = pytest.mark.blender
SYNTA = Path(sys.executable).with_name("synta")


def synta(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SYNTA), *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synta") / "data"
    res = synta("render", "--n", "8", "--classes", "rising1,orbiting2", "--resolution", "36", "--background", "plain",
                "--workers", "2", "--out", str(out))
    assert res.returncode == 0, res.stderr
    return out


def test_rendered_tree_through_manifest_and_official_splits(tree, tmp_path):
    direct = read_manifest(tree)
    via_splits = manifest_from_splits("synta", tree / "splits", tree)
    key = lambda v: (v.path, v.split, v.set, v.coarse, v.fine)  # noqa: E731
    assert sorted(map(key, direct.videos)) == sorted(map(key, via_splits.videos))
    assert len(direct) == 8 and {(v.split, v.set) for v in direct.videos} == {("train", 1), ("val", 1), ("train", 2),
                                                                             ("val", 2)}
    for v in direct.videos:
        assert direct.fine_class(v).name == Path(v.path).stem.split("_")[0]
        with VideoReader(direct.resolve(v)) as reader:
            assert reader.num_frames == v.num_frames
    res = synta("data", "prepare", "synta", "--splits", str(tree / "splits"), "--videos", str(tree), "--out",
                str(tmp_path / "m.csv"))
    assert res.returncode == 0 and "train: 2 videos in Set 1, 2 in Set 2" in res.stdout, res.stderr
    check = synta("data", "check", str(tmp_path / "m.csv"), "--strict", "--full")
    assert check.returncode == 0 and "8 videos checked: 8 ok, 0 with problems" in check.stdout


def test_rendered_tree_feeds_the_loader(tree):
    m = read_manifest(tree)
    loader = build_loader(m, task="fine", train=True, split="train", set_id=2, batch_size=2, num_workers=0,
                          clip=ClipConfig(frames=8, stride=8, transform=TransformConfig(size=32)))
    (batch,) = list(loader)
    assert batch["video"].shape == (2, 3, 8, 32, 32) and batch["label"].tolist() == [36, 36]
    assert not loader.dataset.flip_ok[0]  # orbiting2 (counter-clockwise) is never mirrored
