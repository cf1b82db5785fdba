"""Readers of the reference's label CSVs and split lists (with their quirks), the manifest model, and
``synta data prepare``. Every file is written by the test in the official formats (docs/reference.md#split-files)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synta.benchmark.data.datasets import DATASETS, dataset_info
from synta.benchmark.data.labels import FormatError, read_label_csv, synta_classes
from synta.benchmark.data.manifest import manifest_from_splits, read_manifest
from synta.benchmark.data.splits import check_paths, pair_lists, read_list, recover_parents
from tests.data_helpers import label_csv, write_list

SYNTA = Path(sys.executable).with_name("synta")
# The reference's class counts: coarse, fine Set 1, fine Set 2.
COUNTS = {"synta": (20, 53, 47), "k400_ta": (41, 111, 94), "ssv2_ta": (26, 81, 68)}


def synta_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SYNTA), *args], capture_output=True, text=True, timeout=120)


# ---------------------------------------------------------------- label CSVs


def write_labels(folder: Path, dataset: str) -> dict:
    """The three label CSVs of ``dataset`` with the reference's row counts and quirks. Returns the names."""
    info = DATASETS[dataset]
    c, n1, n2 = COUNTS[dataset]
    coarse = [f"coarse {i}" for i in range(c)]
    fine = {s: [f"fine {s}-{i}" for i in range(n)] for s, n in ((1, n1), (2, n2))}
    folder.mkdir(parents=True, exist_ok=True)
    if dataset == "k400_ta":  # row 11 is "folding " with a trailing space; no final newline anywhere
        coarse[11] = "folding "
        texts = [label_csv(coarse), label_csv(fine[1]), label_csv(fine[2])]
    elif dataset == "ssv2_ta":  # coarse names all quoted; commas in names; set 1 ends with an empty line
        fine[1][12] = "Lifting something up completely, then letting it drop down"
        fine[2][5] = "Letting something roll up a slanted surface, so it rolls back down"
        texts = [label_csv(coarse, quote_all=True), label_csv(fine[1], trailing_empty_line=True),
                 label_csv(fine[2], final_newline=True)]
    else:
        texts = [label_csv(coarse), label_csv(fine[1]), label_csv(fine[2])]
    for key, text in zip(("coarse", 1, 2), texts):
        (folder / info.label_files[key]).write_text(text)
    return {"coarse": [n.strip() for n in coarse], 1: fine[1], 2: fine[2]}


@pytest.mark.parametrize("dataset", ["synta", "k400_ta", "ssv2_ta"])
def test_label_csvs_give_the_reference_counts(tmp_path, dataset):
    names = write_labels(tmp_path, dataset)
    info = DATASETS[dataset]
    counts = tuple(len(read_label_csv(tmp_path / info.label_files[k])) for k in ("coarse", 1, 2))
    assert counts == COUNTS[dataset] == info.counts
    assert read_label_csv(tmp_path / info.label_files[1]) == names[1]


def test_label_csv_quirks(tmp_path):
    names = write_labels(tmp_path, "k400_ta")
    coarse = read_label_csv(tmp_path / "k400_ta_coarse_labels.csv")
    assert coarse[11] == "folding" and coarse == names["coarse"]
    assert not (tmp_path / "k400_ta_coarse_labels.csv").read_text().endswith("\n")
    write_labels(tmp_path, "ssv2_ta")
    assert read_label_csv(tmp_path / "ssv2_coarse_labels.csv")[:2] == ["coarse 0", "coarse 1"]  # quotes removed
    assert (tmp_path / "ssv2_coarse_labels.csv").read_text().splitlines()[1] == '0,"coarse 0"'
    set1 = tmp_path / "ssv2_149_set1_labels_distribution3.csv"
    assert set1.read_text().endswith("\n\n")
    assert read_label_csv(set1)[12] == "Lifting something up completely, then letting it drop down"


def test_label_csv_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n0,a\n2,b")
    with pytest.raises(FormatError, match=r"bad.csv:3: id 2 out of order"):
        read_label_csv(bad)
    bad.write_text("0,a\n1,b")
    with pytest.raises(FormatError, match=r"bad.csv:1: expected the header"):
        read_label_csv(bad)


def test_synta_classes_come_from_the_taxonomy():
    classes = synta_classes()
    assert (len(classes.coarse), len(classes.in_set(1)), len(classes.in_set(2))) == (20, 53, 47)
    orbit = classes.fine_label(2, 36)
    assert (orbit.name, orbit.coarse, classes.coarse[orbit.coarse]) == ("orbiting2", 15, "orbiting")
    assert "counter clockwise" in orbit.caption


# ---------------------------------------------------------------- split lists


@pytest.mark.parametrize("text", [
    "a/a1_id_1.mp4 0\na/a1_id_2.mp4 1",          # no final newline (Syn-TA, SSv2)
    "a/a1_id_1.mp4 0\na/a1_id_2.mp4 1\n",        # final newline (K400)
    "a/a1_id_1.mp4 0 \na/a1_id_2.mp4 1\n\n\n",   # trailing space, trailing empty lines
    "a/a1_id_1.mp4 0\r\na/a1_id_2.mp4 1\r\n",    # CRLF
])
def test_video_lists_with_and_without_final_newline(tmp_path, text):
    path = tmp_path / "list.txt"
    path.write_text(text)
    entries = read_list(path)
    assert [(e.path, e.label, e.num_frames) for e in entries] == [("a/a1_id_1.mp4", 0, None),
                                                                  ("a/a1_id_2.mp4", 1, None)]
    assert entries[1].source == f"{path}:2"


@pytest.mark.parametrize("text,needle", [
    ("a.webm 1\nb.webm\n", r"list.txt:2: expected 'path label'"),
    ("a.webm 1\nb.webm x\n", r"list.txt:2: label and frame count must be non-negative integers"),
    ("a.webm 1\n/f/1.webm 40 2\n", r"list.txt:2: expected"),
    ("a.webm -1\n", r"list.txt:1: label"),
])
def test_malformed_lists_name_the_line(tmp_path, text, needle):
    (tmp_path / "list.txt").write_text(text)
    with pytest.raises(FormatError, match=needle):
        read_list(tmp_path / "list.txt")


@pytest.mark.parametrize("dataset,good,bad", [
    ("synta", ["changing_shape/changing_shape3_id_31.mp4", "cloning/cloning2_front_id_7.mp4"],
     ["cloning/rising2_id_1.mp4", "cloning/cloning2_id_01.mp4", "cloning2_id_1.mp4", "Cloning/Cloning2_id_1.mp4"]),
    ("k400_ta", ["train/-37UUIjsmGA_000016_000026.mp4", "val/zX8mLojq_BY_000066_000076.mp4"],
     ["test/-37UUIjsmGA_000016_000026.mp4", "train/-37UUIjsmGA_16_26.mp4", "train/short_000016_000026.mp4"]),
    ("ssv2_ta", ["100904.webm", "34899.webm", "1.webm"], ["100904.mp4", "0123.webm", "1234567.webm", "a/1.webm"]),
])
def test_path_grammars(tmp_path, dataset, good, bad):
    info = dataset_info(dataset)
    path = write_list(tmp_path / "good.txt", [f"{p} 0" for p in good], final_newline=False)
    check_paths(read_list(path), info)
    for p in bad:
        path = write_list(tmp_path / "bad.txt", [f"{good[0]} 0", f"{p} 0"], final_newline=False)
        with pytest.raises(FormatError, match=r"bad.txt:2: .* is not a"):
            check_paths(read_list(path), info)


def test_frame_folder_lists_and_rewrite_root(tmp_path):
    old = "/home/ra164195/Datasets/K400/extracted_frames_ezclip"
    lines = [f"{old}/N/N4alAbuPsOo_000027_000037 66 32", f"{old}/-/-aQR-rCWaVQ_000016_000026 300 17"]
    path = write_list(tmp_path / "K400_val_set1.txt", lines, final_newline=True)
    entries = read_list(path, rewrite_root=(old, "/data/k400_frames"))
    assert [(e.path, e.num_frames, e.label) for e in entries] == [
        ("/data/k400_frames/N/N4alAbuPsOo_000027_000037", 66, 32),
        ("/data/k400_frames/-/-aQR-rCWaVQ_000016_000026", 300, 17)]
    assert all(e.is_frame_dir for e in entries)
    check_paths(entries, dataset_info("k400_ta"))
    ssv2 = write_list(tmp_path / "SS_val_set1.txt", ["/x/extracted_frames_ezclip/174240.webm 41 2"],
                      final_newline=False)
    check_paths(read_list(ssv2), dataset_info("ssv2_ta"))


def test_pairing_recovers_parents_and_rejects_mismatches(tmp_path):
    coarse = write_list(tmp_path / "c.txt", ["1.webm 3", "2.webm 3", "3.webm 0"], final_newline=False)
    fine = write_list(tmp_path / "f.txt", ["1.webm 7", "2.webm 8", "3.webm 7"], final_newline=False)
    fine_out_of_step = write_list(tmp_path / "g.txt", ["1.webm 7", "3.webm 8", "2.webm 7"], final_newline=False)
    with pytest.raises(FormatError, match=r"g.txt:2: lists out of step: '3.webm' here but '2.webm' at .*c.txt:2"):
        pair_lists(read_list(coarse), read_list(fine_out_of_step))
    pairs = pair_lists(read_list(coarse), read_list(fine))
    with pytest.raises(FormatError, match=r"f.txt:3: fine class 7 of Set 1 has coarse label 0 here but 3 at .*f.txt:1"):
        recover_parents({1: pairs})
    short = write_list(tmp_path / "s.txt", ["1.webm 7"], final_newline=False)
    with pytest.raises(FormatError, match=r"c.txt:2: 3 lines, but the paired list has 1"):
        pair_lists(read_list(coarse), read_list(short))


# ---------------------------------------------------------------- whole reference layouts


def _k400_path(split: str, s: int, i: int, k: int) -> str:
    return f"{split}/{s}{i:03d}{k}-abcde_{10 * k:06d}_{10 * k + 10:06d}.mp4"


def _ssv2_path(split: str, s: int, i: int, k: int) -> str:
    return f"{s}{i:03d}{k}{0 if split == 'train' else 1}.webm"


def write_reference(root: Path, dataset: str) -> dict:
    """``labels/`` and ``dataset_splits/<dataset>/`` as in the reference repository: two videos per fine
    class, split and set; fine class i of either set has coarse parent i mod C. SSv2's val lists live under
    the older folder names (head_classes/, fine_context_classes/), K400's lists end with a newline."""
    names = write_labels(root / "labels", dataset)
    c = COUNTS[dataset][0]
    path_of = _k400_path if dataset == "k400_ta" else _ssv2_path
    splits = root / "dataset_splits" / dataset
    for split in ("train", "val"):
        for s in (1, 2):
            videos = [(path_of(split, s, i, k), i % c, i) for i in range(COUNTS[dataset][s]) for k in range(2)]
            old = dataset == "ssv2_ta" and split == "val"
            for folder, suffix, col in (("head_classes" if old else "coarse_classes", "head" if old else "coarse", 1),
                                        ("fine_context_classes" if old else "fine_classes", "fine", 2)):
                write_list(splits / folder / f"{split}_set{s}_{suffix}.txt", [f"{v[0]} {v[col]}" for v in videos],
                           final_newline=dataset == "k400_ta")
    return names


@pytest.mark.parametrize("dataset", ["k400_ta", "ssv2_ta"])
def test_prepare_reads_a_reference_layout(tmp_path, dataset):
    names = write_reference(tmp_path / "Motion-Transfer", dataset)
    (tmp_path / "videos").mkdir()
    out = tmp_path / "out" / f"{dataset}.csv"
    res = synta_cli("data", "prepare", dataset, "--splits", str(tmp_path / "Motion-Transfer/dataset_splits" / dataset),
                    "--videos", str(tmp_path / "videos"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    c, n1, n2 = COUNTS[dataset]
    assert f"{c} coarse classes, {n1} + {n2} fine classes" in res.stdout and "note:" not in res.stdout
    assert f"train: {2 * n1:,} videos in Set 1, {2 * n2:,} in Set 2" in res.stdout
    m = read_manifest(out)
    assert m.dataset == dataset and m.root == (tmp_path / "videos").resolve()
    assert len(m) == 4 * (n1 + n2)
    assert m.classes.names("coarse", 1) == names["coarse"] and m.classes.names("fine", 2) == names[2]
    assert all(f.coarse == f.index % c for f in m.classes.fine)  # the hierarchy, recovered from the pairing
    v = m.select("val", 2).videos[3]
    assert (v.path, v.coarse, v.fine) == (_k400_path("val", 2, 1, 1) if dataset == "k400_ta" else
                                          _ssv2_path("val", 2, 1, 1), 1 % c, 1)


def test_prepare_reports_an_inconsistent_hierarchy_in_one_line(tmp_path):
    write_reference(tmp_path, "ssv2_ta")
    fine = tmp_path / "dataset_splits/ssv2_ta/fine_classes/train_set2_fine.txt"
    lines = fine.read_text().split("\n")
    path = lines[4].split()[0]
    lines[4] = f"{path} 0"  # video 5 is a class-2 video; relabelled as fine class 0 of another coarse parent
    fine.write_text("\n".join(lines))
    res = synta_cli("data", "prepare", "ssv2-ta", "--splits", str(tmp_path / "dataset_splits/ssv2_ta"),
                    "--videos", str(tmp_path), "--out", str(tmp_path / "m.csv"))
    assert res.returncode == 1
    assert res.stderr.startswith("synta: error: ") and len(res.stderr.strip().splitlines()) == 1
    assert "train_set2_fine.txt:5: fine class 0 of Set 2 has coarse label 2 here but 0 at" in res.stderr
    assert not (tmp_path / "m.csv").exists()


@pytest.mark.parametrize("args,needle", [
    (("data", "prepare", "hmdb", "--splits", ".", "--videos", ".", "--out", "x.csv"), "unknown dataset 'hmdb'"),
    (("data", "prepare", "k400_ta", "--splits", ".", "--out", "x.csv"), "--videos is required"),
    (("data", "prepare", "k400_ta", "--splits", "/nonexistent", "--videos", ".", "--out", "x.csv"), "does not exist"),
    (("data", "prepare", "k400_ta", "--splits", ".", "--videos", ".", "--out", "x.csv"), "no K400-TA split lists"),
    (("data", "prepare", "k400_ta", "--splits", ".", "--frame-lists", "--rewrite-root", "abc", "--out", "x.csv"),
     "expected OLD=NEW"),
    (("data", "check", "/nonexistent.csv"), "does not exist"),
])
def test_prepare_usage_errors(tmp_path, args, needle):
    res = subprocess.run([str(SYNTA), *args], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


def synta_official_lists(splits: Path) -> None:
    """Syn-TA's current official lists (docs/reference.md#inventory) for all 100 classes, built from the taxonomy:
    classes in set order, ids 1-30 train and 31-50 val, plain then front per id, no final newline."""
    classes = synta_classes()
    for s in (1, 2):
        for split, ids in (("train", range(1, 31)), ("val", range(31, 51))):
            rows = [(f"{f.name.rstrip('0123456789')}/{f.name}{cam}_id_{k}.mp4", f)
                    for f in classes.in_set(s) for k in ids for cam in ("", "_front")]
            write_list(splits / "coarse_classes" / f"{split}_set{s}_coarse.txt", [f"{p} {f.coarse}" for p, f in rows],
                       final_newline=False)
            write_list(splits / "fine_classes" / f"{split}_set{s}_fine.txt", [f"{p} {f.index}" for p, f in rows],
                       final_newline=False)


def test_synta_official_split_files(tmp_path):
    synta_official_lists(tmp_path / "splits")
    assert (tmp_path / "splits/fine_classes/val_set2_fine.txt").read_text().split("\n")[:2] == [
        "appearing/appearing3_id_31.mp4 0", "appearing/appearing3_front_id_31.mp4 0"]
    m = manifest_from_splits("synta", tmp_path / "splits", tmp_path)
    sizes = {(sp, s): len(m.select(sp, s)) for sp in ("train", "val") for s in (1, 2)}
    assert sizes == {("train", 1): 3180, ("train", 2): 2820, ("val", 1): 2120, ("val", 2): 1880}
    assert (len(m.classes.coarse), len(m.classes.in_set(1)), len(m.classes.in_set(2))) == (20, 53, 47)
    assert {v.fine for v in m.select("train", 1).videos} == set(range(53))
    v = next(v for v in m.videos if v.path == "orbiting/orbiting2_front_id_33.mp4")
    assert (v.split, v.set, v.coarse, m.fine_class(v).name) == ("val", 2, 15, "orbiting2")


def test_synta_lists_that_contradict_the_taxonomy_are_refused(tmp_path):
    splits = tmp_path / "splits"
    write_list(splits / "coarse_classes/train_set1_coarse.txt", ["rising/rising1_id_1.mp4 9"], final_newline=False)
    write_list(splits / "fine_classes/train_set1_fine.txt", ["rising/rising1_id_1.mp4 43"], final_newline=False)
    with pytest.raises(FormatError, match=r"train_set1_fine.txt:1: Syn-TA fine class 43 of Set 1 belongs to coarse "
                                          r"class 16, but the coarse list labels this video 9"):
        manifest_from_splits("synta", splits, tmp_path)


def test_manifest_round_trip(tmp_path):
    write_reference(tmp_path, "k400_ta")
    m = manifest_from_splits("k400_ta", tmp_path / "dataset_splits/k400_ta", tmp_path)
    m.save(tmp_path / "m.csv")
    again = read_manifest(tmp_path / "m.csv")
    assert again == m
    header = (tmp_path / "m.csv").read_text().splitlines()[0]
    assert header == "path,split,set,coarse_id,coarse_name,fine_index,fine_name,label,num_frames"
    moved = read_manifest(tmp_path / "m.csv", root="/elsewhere")
    assert moved.resolve(moved.videos[0]) == Path("/elsewhere") / m.videos[0].path


def test_prepare_frame_folder_lists(tmp_path):
    write_labels(tmp_path / "labels", "k400_ta")
    old = "/home/ra164195/Datasets/K400/extracted_frames_ezclip"
    splits = tmp_path / "dataset_splits/k400_ta"
    for s in (1, 2):
        rows = [(f"{old}/{c}/{c}{s}{i:02d}abcdefg_000010_000020", 30 + i, i % 41, i)
                for i, c in enumerate("ab-", start=s)]
        write_list(splits / f"head_classes/K400_val_set{s}.txt", [f"{d} {n} {c}" for d, n, c, _ in rows], True)
        write_list(splits / f"fine_context_classes/K400_val_set{s}.txt", [f"{d} {n} {f}" for d, n, _, f in rows], True)
    out = tmp_path / "frames.csv"
    res = synta_cli("data", "prepare", "k400", "--splits", str(splits), "--frame-lists", "--rewrite-root",
                    f"{old}=/data/frames", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "val: 3 videos in Set 1, 3 in Set 2" in res.stdout and "fine classes appear in no list" in res.stdout
    m = read_manifest(out)
    v = m.select("val", 2).videos[0]
    assert (v.path, v.num_frames, v.coarse, v.fine) == ("/data/frames/a/a202abcdefg_000010_000020", 32, 2, 2)
    assert m.resolve(v) == Path(v.path)
