"""The render plan: counts, clip ids, splits, shards, and byte-compatibility with the official files."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from synta.generator.render.plan import plan_dataset, plan_gaps, select_classes, shard, split_files

# sha256 of the reference repository's current Syn-TA split files (dataset_splits/synta/, 10,000 clips)
REFERENCE_SHA256 = {
    "coarse_classes/train_set1_coarse.txt": "c8d143eaa002dfc39096b90a1c21040cf5462036174ce1f13b740b666a3a7851",
    "coarse_classes/train_set2_coarse.txt": "650d08c21baad83c0b1460835397666ec45896ee40bce2d5e4c83f1cbcdd98bf",
    "coarse_classes/val_set1_coarse.txt": "a617d33e667d9b00711b0e4442622e8a83725ec5e73639c6dd995ce3249a44c4",
    "coarse_classes/val_set2_coarse.txt": "5d98994084e1ed6da0e9edce1fcab4783d1e17cec3abc9c407c0e3336ab5c494",
    "fine_classes/train_set1_fine.txt": "468a65f6c183503be4a5fd84ad6703c191f2cd67e11678e5b2142d8b77edf857",
    "fine_classes/train_set2_fine.txt": "1f9a742793d4278867fb2ff591777130098a39ac8f15b8d4d68d901a4913a48b",
    "fine_classes/val_set1_fine.txt": "3f3662ad2384382d6c956691bb3ee0091852b0f5a356162e95b2ab44f1a97cbb",
    "fine_classes/val_set2_fine.txt": "149cf1c7528f6e910b10b9e3318fdf7582820f25e5515d214b64c13a56131c1b",
}
# lines of the reference's val_set{1,2}_fine.txt
REFERENCE_VAL_LINES = ["changing_shape/changing_shape3_id_31.mp4 11", "cloning/cloning2_id_31.mp4 14",
                       "changing_shape/changing_shape3_front_id_31.mp4 11", "appearing/appearing1_id_31.mp4 0",
                       "teleporting/teleporting5_front_id_50.mp4 46", "orbiting/orbiting4_id_40.mp4 37"]


def test_full_plan_reproduces_the_official_split_files_byte_for_byte():
    jobs = plan_dataset(10000, select_classes())
    assert len(jobs) == 10000 and len({j.stem for j in jobs}) == 10000
    files = split_files(jobs)
    assert {k: hashlib.sha256(v.encode()).hexdigest() for k, v in files.items()} == REFERENCE_SHA256


def test_counts_spread_evenly():
    fine = select_classes(["rising", "orbiting1"])
    jobs = plan_dataset(11, fine)
    per_class = {f.name: sum(j.fine == f for j in jobs) for f in fine}
    assert sorted(per_class.values()) == [2, 2, 2, 2, 3] and list(per_class.values())[0] == 3
    orbit_only = plan_dataset(5, fine, camera="orbit")
    assert {j.camera for j in orbit_only} == {"orbit"} and all(j.clip_id == 1 for j in orbit_only)
    big = plan_dataset(100 * 5, fine)  # 100 per class: ids 1..50 per camera, 1..30 train
    assert {j.split for j in big if j.clip_id <= 30} == {"train"}
    assert {j.split for j in big if j.clip_id > 30} == {"val"}
    with pytest.raises(ValueError):
        plan_dataset(0, fine)


def test_set_filter():
    assert {f.set for f in select_classes(None, 2)} == {2} and len(select_classes(None, 2)) == 47


def test_shards_are_disjoint_and_complete():
    jobs = plan_dataset(300, select_classes())
    parts = [shard(jobs, 7, i) for i in range(7)]
    assert sorted(j.stem for p in parts for j in p) == sorted(j.stem for j in jobs)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    with pytest.raises(ValueError, match="shard-id"):
        shard(jobs, 2, 2)


def test_dry_run_lists_every_reference_val_path(tmp_path):
    synta = Path(sys.executable).with_name("synta")
    out = tmp_path / "ds"
    r = subprocess.run([str(synta), "render", "--n", "10000", "--background", "plain", "--dry-run", "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 10001 and "10000 clips (10000 to render" in lines[-1] and "estimated" in lines[-1]
    planned = {line.split()[0] for line in lines[:-1]}
    for ref in REFERENCE_VAL_LINES:
        assert ref.split()[0] in planned
    assert not out.exists(), "a dry run writes nothing"


def test_plan_gaps_name_what_bench_would_miss_and_the_n_that_fills_them():
    fine = select_classes(["rising", "falling", "orbiting", "cloning"])
    assert plan_gaps(plan_dataset(4 * len(fine), fine), fine) == []  # a train and a val clip per camera
    assert plan_gaps(plan_dataset(2 * len(fine), fine, "orbit"), fine, "orbit") == []
    gaps = plan_gaps(plan_dataset(len(fine), fine), fine)  # one clip per class: train, orbit only
    assert gaps == ["no clip of the front camera", "no val Set 1, no val Set 2 clip, so `synta bench` cannot use "
                    "this dataset", f"--n {4 * len(fine)} or more gives each class a train and a val clip per camera"]
    few = plan_gaps(plan_dataset(3, fine, "orbit"), fine, "orbit")
    assert few[0].startswith(f"{len(fine) - 3} of {len(fine)} selected classes get no clip (")
