"""``synta data export``: the lists of each format against hand-worked labels, the flip files, a previous
export replaced, bad input through the real CLI, and the lists read back by pytorchvideo's path-list reader.

The manifest is a tiny Syn-TA tree made by hand (no Blender): a ``manifest.csv`` and 8 real 8-frame clips,
one train and one val clip of rising1 and orbiting1 (Set 1) and of rising3 and orbiting2 (Set 2).
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from synta.benchmark.data.labels import ClassIndex, FineLabel, synta_classes
from synta.benchmark.data.manifest import Manifest, Video
from synta.cli import main
from tests.data_helpers import encode

# (fine name, set, coarse id, fine index within its set), from the shipped taxonomy.
CLASSES = [("rising1", 1, 16, 43), ("orbiting1", 1, 15, 40), ("rising3", 2, 16, 39), ("orbiting2", 2, 15, 36)]
NO_FLIP = ["moving_in_a_path5", "orbiting1", "orbiting3", "orbiting5", "shooting_projectile2",  # Set 1
           "moving_in_a_path6", "orbiting2", "orbiting4", "orbiting6", "shooting_projectile3"]  # Set 2
RISING1 = "Single object rising straight up without changing direction"  # Set 1 caption 43
RISING3 = "Single object rising at an angle"  # Set 2 caption 39


def clip_path(name: str, split: str) -> str:
    return f"{name.rstrip('0123456789')}/{name}_{split}.mp4"


def write_tree(root: Path, videos: list[Video] | None = None) -> Path:
    """A Syn-TA tree: ``manifest.csv`` (read with the shipped taxonomy, like a rendered one) and its clips."""
    if videos is None:
        videos = [Video(clip_path(name, split), split, s, coarse, fine, 8)
                  for split in ("train", "val") for name, s, coarse, fine in CLASSES]
    for v in videos:
        encode(root / v.path, frames=8, width=32, height=32)
    (root / "manifest.csv").write_text(Manifest("synta", root, synta_classes(), tuple(videos)).to_csv())
    return root


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return write_tree(tmp_path_factory.mktemp("tree"))


def export(tree: Path, out: Path, fmt: str, capsys) -> str:
    main(["data", "export", "--format", fmt, str(tree), str(out)])
    return capsys.readouterr().out


def lines(tree: Path, *items: tuple[str, str, int]) -> str:
    """Expected list text: ``<absolute path> <label>`` for (name, split, label)."""
    return "".join(f"{tree / clip_path(name, split)} {label}\n" for name, split, label in items)


def test_mmaction2_lists_hold_the_bench_labels(tree, tmp_path, capsys):
    out = tmp_path / "out"
    printed = export(tree, out, "mmaction2", capsys)
    assert "coarse/set1: 2 train, 2 known val, 2 unknown val videos" in printed
    d = out / "coarse" / "set1"
    assert (d / "train.txt").read_text() == lines(tree, ("rising1", "train", 16), ("orbiting1", "train", 15))
    assert (d / "val_known.txt").read_text() == lines(tree, ("rising1", "val", 16), ("orbiting1", "val", 15))
    assert (d / "val_unknown.txt").read_text() == lines(tree, ("rising3", "val", 16), ("orbiting2", "val", 15))
    coarse = (d / "classes.txt").read_text().splitlines()
    assert len(coarse) == 20 and coarse[15] == "orbiting" and coarse[16] == "rising"
    assert not (d / "classes_unknown.txt").exists()  # coarse: one label space for both sets

    d = out / "fine" / "set1"
    assert (d / "train.txt").read_text() == lines(tree, ("rising1", "train", 43), ("orbiting1", "train", 40))
    assert (d / "val_unknown.txt").read_text() == lines(tree, ("rising3", "val", 39), ("orbiting2", "val", 36))
    known, unknown = (d / "classes.txt").read_text().splitlines(), (d / "classes_unknown.txt").read_text().splitlines()
    assert (len(known), known[43]) == (53, RISING1) and (len(unknown), unknown[39]) == (47, RISING3)

    d = out / "fine" / "set2"
    assert (d / "train.txt").read_text() == lines(tree, ("rising3", "train", 39), ("orbiting2", "train", 36))
    assert (d / "val_known.txt").read_text() == lines(tree, ("rising3", "val", 39), ("orbiting2", "val", 36))
    assert (d / "val_unknown.txt").read_text() == lines(tree, ("rising1", "val", 43), ("orbiting1", "val", 40))
    assert (d / "classes.txt").read_text().splitlines()[39] == RISING3
    record = json.loads((out / "export.json").read_text())
    assert record["complete"] and record["export_format"] == "mmaction2" and "fine/set2/train.txt" in record["files"]


def test_no_flip_files_name_the_direction_dependent_classes_and_their_videos(tree, tmp_path, capsys):
    out = tmp_path / "out"
    export(tree, out, "csv", capsys)
    for task in ("coarse", "fine"):
        assert (out / task / "set2" / "no_flip.txt").read_text().splitlines() == NO_FLIP
    assert (out / "coarse" / "set1" / "no_flip_videos.txt").read_text().splitlines() == [
        str(tree / clip_path("orbiting1", "train")), str(tree / clip_path("orbiting1", "val")),
        str(tree / clip_path("orbiting2", "val"))]


def test_slowfast_lists_and_readme(tree, tmp_path, capsys):
    out = tmp_path / "out"
    export(tree, out, "slowfast", capsys)
    d = out / "fine" / "set1"
    assert sorted(p.name for p in d.iterdir()) == ["README.txt", "classes.txt", "classes_unknown.txt", "no_flip.txt",
                                                  "no_flip_videos.txt", "test.csv", "train.csv", "val.csv"]
    assert (d / "train.csv").read_text() == lines(tree, ("rising1", "train", 43), ("orbiting1", "train", 40))
    assert (d / "val.csv").read_text() == lines(tree, ("rising1", "val", 43), ("orbiting1", "val", 40))
    assert (d / "test.csv").read_text() == lines(tree, ("rising3", "val", 39), ("orbiting2", "val", 36))
    readme = (d / "README.txt").read_text()
    assert "DATA.RANDOM_FLIP False" in readme and "no_flip.txt" in readme and "MODEL.NUM_CLASSES = 53" in readme


def test_a_prepared_manifest_csv_without_direction_dependent_classes(tmp_path, capsys):
    """A manifest CSV as `synta data prepare` writes it (K400-TA: every class may be flipped); its paths
    are relative to the root its class index names."""
    classes = ClassIndex(("coarse a", "coarse b"), (FineLabel(1, 0, "fine 1-a", 0, "fine 1-a"),
                                                    FineLabel(1, 1, "fine 1-b", 1, "fine 1-b"),
                                                    FineLabel(2, 0, "fine 2-a", 1, "fine 2-a")))
    videos = [Video("train/a.mp4", "train", 1, 1, 1), Video("val/b.mp4", "val", 1, 0, 0),
              Video("train/c.mp4", "train", 2, 1, 0), Video("val/d.mp4", "val", 2, 1, 0)]
    Manifest("k400_ta", tmp_path / "videos", classes, tuple(videos)).save(tmp_path / "k400.csv")
    out = tmp_path / "out"
    main(["data", "export", "--format", "slowfast", str(tmp_path / "k400.csv"), str(out)])
    d = out / "fine" / "set2"
    assert (d / "train.csv").read_text() == f"{tmp_path / 'videos' / 'train' / 'c.mp4'} 0\n"
    assert (d / "test.csv").read_text() == f"{tmp_path / 'videos' / 'val' / 'b.mp4'} 0\n"
    assert (d / "classes.txt").read_text() == "fine 2-a\n"
    assert (d / "classes_unknown.txt").read_text() == "fine 1-a\nfine 1-b\n"
    assert (d / "no_flip.txt").read_text() == "" and (d / "no_flip_videos.txt").read_text() == ""
    assert "DATA.RANDOM_FLIP may stay on" in (d / "README.txt").read_text()


def test_csv_rows(tree, tmp_path, capsys):
    out = tmp_path / "out"
    export(tree, out, "csv", capsys)
    rows = list(csv.DictReader(io.StringIO((out / "fine" / "set1" / "videos.csv").read_text())))
    assert [(Path(r["path"]).name, r["label"], r["split"], r["set"]) for r in rows] == [
        ("rising1_train.mp4", "43", "train", "1"), ("orbiting1_train.mp4", "40", "train", "1"),
        ("rising1_val.mp4", "43", "val", "1"), ("orbiting1_val.mp4", "40", "val", "1"),
        ("rising3_val.mp4", "39", "val", "2"), ("orbiting2_val.mp4", "36", "val", "2")]
    assert rows[0]["label_name"] == RISING1 and rows[4]["label_name"] == RISING3
    coarse = list(csv.DictReader(io.StringIO((out / "coarse" / "set2" / "videos.csv").read_text())))
    assert [(r["label"], r["label_name"], r["set"]) for r in coarse][:2] == [("16", "rising", "2"),
                                                                              ("15", "orbiting", "2")]


def test_a_previous_export_is_replaced(tree, tmp_path, capsys):
    out = tmp_path / "out"
    export(tree, out, "mmaction2", capsys)
    export(tree, out, "csv", capsys)
    assert (out / "coarse" / "set1" / "videos.csv").is_file()
    assert not (out / "coarse" / "set1" / "train.txt").exists()  # the mmaction2 files are gone
    assert json.loads((out / "export.json").read_text())["export_format"] == "csv"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_an_interrupted_export_can_be_rerun(tree, tmp_path, capsys):
    out = tmp_path / "out"
    export(tree, out, "mmaction2", capsys)
    record = json.loads((out / "export.json").read_text())
    (out / "export.json").write_text(json.dumps({**record, "complete": False}))
    leftover = out / "fine" / "set1" / ".train.txt.tmp-12345"  # what a kill -9 inside write_atomic leaves
    leftover.write_text("half")
    export(tree, out, "mmaction2", capsys)
    assert not leftover.exists() and json.loads((out / "export.json").read_text())["complete"]


def _bad_label(root: Path) -> list[str]:
    write_tree(root / "tree", [Video("rising/x.mp4", "train", 1, 16, 99, 8)])
    return [str(root / "tree"), str(root / "out")]


def _not_an_export(root: Path) -> list[str]:
    (root / "out").mkdir()
    (root / "out" / "notes.txt").write_text("mine\n")
    return [str(write_tree(root / "tree")), str(root / "out")]


def _export_plus_foreign_file(root: Path) -> list[str]:
    args = [str(write_tree(root / "tree")), str(root / "out")]
    main(["data", "export", "--format", "csv", *args])
    (root / "out" / "coarse" / "notes.txt").write_text("mine\n")
    return args


def _no_unknown_videos(root: Path) -> list[str]:
    videos = [Video(clip_path(name, split), split, s, c, f, 8) for split in ("train", "val")
              for name, s, c, f in CLASSES if s == 1]
    return [str(write_tree(root / "tree", videos)), str(root / "out")]


def _space_in_path(root: Path) -> list[str]:
    return [str(write_tree(root / "my tree")), str(root / "out")]


@pytest.mark.parametrize("make,needle", [
    (_bad_label, "fine index 99 outside the 53 fine classes of Set 1"),
    (_not_an_export, "is not empty and holds no previous export (export.json)"),
    (_export_plus_foreign_file, "holds coarse/notes.txt, which no export wrote"),
    (_no_unknown_videos, "has no val videos of Set 2"),
    (_space_in_path, "holds whitespace"),
], ids=["label out of range", "OUT not an export", "foreign file in an export", "no unknown videos",
        "whitespace in a path"])
def test_bad_input_is_one_error_line(make, needle, tmp_path, capsys):
    args = make(tmp_path)
    before = snapshot(tmp_path / "out")
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "export", "--format", "mmaction2", *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("synta: error: ") and needle in err and len(err.strip().splitlines()) == 1
    assert snapshot(tmp_path / "out") == before  # nothing written


@pytest.mark.parametrize("fmt,name,split,label", [("mmaction2", "val_unknown.txt", "val", 39),
                                                  ("slowfast", "train.csv", "train", 43)])
def test_pytorchvideo_reads_the_lists(fmt, name, split, label, tree, tmp_path, capsys):
    import torch
    from pytorchvideo.data import labeled_video_dataset, make_clip_sampler
    from pytorchvideo.data.labeled_video_paths import LabeledVideoPaths

    out = tmp_path / "out"
    export(tree, out, fmt, capsys)
    path = out / "fine" / "set1" / name
    first = str(tree / clip_path("rising1" if split == "train" else "rising3", split))
    assert list(LabeledVideoPaths.from_path(str(path)))[0] == (first, {"label": label})
    dataset = labeled_video_dataset(str(path), make_clip_sampler("uniform", 0.2),
                                    video_sampler=torch.utils.data.SequentialSampler, decode_audio=False)
    sample = next(iter(dataset))
    assert sample["label"] == label and sample["video_name"] == Path(first).name
    assert sample["video"].shape[0] == 3  # (C, T, H, W): the clip was decoded
