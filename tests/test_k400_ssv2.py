"""K400-TA and SSv2-TA through the CLI: `synta data prepare` on lists in the official grammar, `synta data
check` on tiny videos at the listed paths, and a one-epoch tiny `synta bench` on the cleaned manifest, with
the dataset named in its canonical spelling and in the paper's hyphen spelling."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from synta.benchmark.data.datasets import DATASETS
from synta.cli import cli
from tests.data_helpers import encode, label_csv, write_list

MODEL = "c2d_r50_tiny"
COARSE = ["coarse a", "coarse b"]
FINE = {1: ["fine 1-a", "fine 1-b"], 2: ["fine 2-a", "fine 2-b"]}  # fine class i of either set has parent i
VIDEOS_PER_CLASS = 2  # per split and set


def k400_path(split: str, s: int, i: int, k: int) -> str:
    """``train|val/<11-character YouTube id>_<t0>_<t1>.mp4``, as in the K400-TA lists."""
    return f"{split}/{s}{i}{k}-x_Ya{split[0]}cd_{10 * k:06d}_{10 * k + 10:06d}.mp4"


def ssv2_path(split: str, s: int, i: int, k: int) -> str:
    """``<numeric id>.webm``, as in the SSv2-TA lists."""
    return f"{s}{i}{k}{int(split == 'val')}.webm"


# Per dataset: the path grammar, the codec PyAV writes that container with, and whether lists end in "\n".
LAYOUT = {"k400_ta": (k400_path, "libx264", True), "ssv2_ta": (ssv2_path, "libvpx-vp9", False)}


def write_dataset(root: Path, dataset: str) -> Path:
    """``labels/``, ``dataset_splits/<dataset>/`` and ``videos/`` in the reference's layout; returns the
    splits folder."""
    path_of, codec, final_newline = LAYOUT[dataset]
    info = DATASETS[dataset]
    (root / "labels").mkdir(parents=True)
    for key, names in (("coarse", COARSE), (1, FINE[1]), (2, FINE[2])):
        (root / "labels" / info.label_files[key]).write_text(label_csv(names))
    splits = root / "dataset_splits" / dataset
    for split in ("train", "val"):
        for s in (1, 2):
            videos = [(path_of(split, s, i, k), i) for i in range(len(FINE[s])) for k in range(VIDEOS_PER_CLASS)]
            for task in ("coarse", "fine"):  # fine class i has coarse parent i: both labels are i
                write_list(splits / f"{task}_classes" / f"{split}_set{s}_{task}.txt",
                           [f"{path} {label}" for path, label in videos], final_newline=final_newline)
            for path, _ in videos:
                encode(root / "videos" / path, frames=16, width=64, height=36, codec=codec)
    return splits


def synta(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module", params=sorted(LAYOUT))
def clean_manifest(request, tmp_path_factory) -> tuple[str, Path]:
    """A dataset prepared and checked through the CLI: (canonical name, cleaned manifest CSV)."""
    dataset = request.param
    root = tmp_path_factory.mktemp(dataset)
    splits = write_dataset(root, dataset)
    manifest = root / f"{dataset}.csv"
    code, output = synta("data", "prepare", dataset, "--splits", splits, "--videos", root / "videos",
                         "--out", manifest)
    assert code == 0, output
    n = VIDEOS_PER_CLASS * len(FINE[1])
    assert f"train: {n} videos in Set 1, {n} in Set 2" in output
    code, output = synta("data", "check", manifest, "--report", root / "problems.json")
    assert code == 0, output
    clean = root / f"{dataset}.clean.csv"
    assert clean.is_file()
    assert len(clean.read_text().splitlines()) == 1 + 4 * n  # header + every video: none was dropped
    return dataset, clean


def test_check_finds_no_problems(clean_manifest):
    dataset, clean = clean_manifest
    report = json.loads((clean.parent / "problems.json").read_text())
    assert report["total"] == report["ok"] == 4 * VIDEOS_PER_CLASS * len(FINE[1]), report["problems"]


@pytest.mark.parametrize("spelling", ["canonical", "hyphen"])
def test_bench_trains_and_scores_both_directions(clean_manifest, spelling, tmp_path):
    dataset, clean = clean_manifest
    name = dataset if spelling == "canonical" else dataset.replace("_", "-")
    code, output = synta("bench", "--model", MODEL, "--dataset", name, "--data-root", clean,
                         "--output", tmp_path / "run", "--epochs", "1", "--batch-size", "2", "--loader-workers", "0")
    assert code == 0, output
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["dataset"] == dataset  # one spelling in the run folder, whatever the user typed
    assert set(results["tasks"]["coarse"]["directions"]) == {"set1", "set2"}
    for direction in ("set1", "set2", "mean"):
        assert f"coarse {direction:<5} KC " in output and " UC " in output
