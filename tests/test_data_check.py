"""``synta data check`` on a dataset folder with planted problems."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from synta.benchmark.data.check import check_file, check_manifest
from synta.benchmark.data.labels import ClassIndex, FineLabel
from synta.benchmark.data.manifest import Manifest, Video, read_manifest
from tests.data_helpers import encode, frame_image

SYNTA = Path(sys.executable).with_name("synta")
FIELDS = ["path", "split", "set", "coarse_id", "coarse_name", "fine_index", "fine_name", "label", "camera",
          "clip_id", "num_frames", "fps", "width", "height", "background", "seed"]


def audio_only(path: Path) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """A Syn-TA tree (manifest.csv as `synta render` writes it) with one video per kind of problem."""
    root = tmp_path_factory.mktemp("planted")
    good = encode(root / "rising/rising1_id_1.mp4", frames=60)
    encode(root / "rising/rising1_front_id_1.mp4", frames=60)
    (root / "rising/rising1_front_id_2.mp4").write_bytes(b"")                                  # empty
    data = good.read_bytes()
    (root / "rising/rising2_id_1.mp4").write_bytes(data[: len(data) // 2])                     # no index left
    fs = encode(root / "tmp.mp4", frames=60, faststart=True)
    with av.open(str(fs)) as container:
        cut = [p.pos for p in container.demux(video=0) if p.size][30]
    (root / "rising/rising2_front_id_1.mp4").write_bytes(fs.read_bytes()[:cut])               # ends in frame 30
    fs.unlink()
    (root / "rising/rising3_id_1.mp4").write_text("id,name\n0,not a video\n" * 40)             # text as .mp4
    audio_only(root / "rising/rising3_front_id_1.mp4")                                          # no video stream
    (root / "rising/rising4_id_1.mp4").write_bytes(good.read_bytes())
    (root / "rising/rising4_front_id_1.mp4").write_bytes(good.read_bytes())
    rows = [  # path, set, coarse, fine
        ("rising/rising1_id_1.mp4", 1, 16, 43), ("rising/rising1_front_id_1.mp4", 1, 16, 43),
        ("rising/rising1_id_2.mp4", 1, 16, 43),                                                 # missing
        ("rising/rising1_front_id_2.mp4", 1, 16, 43), ("rising/rising2_id_1.mp4", 1, 16, 44),
        ("rising/rising2_front_id_1.mp4", 1, 16, 44), ("rising/rising3_id_1.mp4", 2, 16, 40),
        ("rising/rising3_front_id_1.mp4", 2, 16, 40),
        ("rising/rising4_id_1.mp4", 2, 16, 47),                                                 # Set 2 has 0..46
        ("rising/rising4_front_id_1.mp4", 2, 20, 41),                                           # coarse 0..19
    ]
    with open(root / "manifest.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS, lineterminator="\n")
        writer.writeheader()
        for path, s, coarse, fine in rows:
            writer.writerow({"path": path, "split": "train", "set": s, "coarse_id": coarse, "coarse_name": "rising",
                             "fine_index": fine, "fine_name": Path(path).stem.split("_")[0], "label": "x",
                             "camera": "front" if "front" in path else "orbit", "clip_id": 1, "num_frames": 60,
                             "fps": 24, "width": 64, "height": 36, "background": "plain", "seed": 0})
    return root


EXPECTED = {
    "rising/rising1_id_2.mp4": "missing",
    "rising/rising1_front_id_2.mp4": "empty",
    "rising/rising2_id_1.mp4": "truncated",
    "rising/rising2_front_id_1.mp4": "truncated",
    "rising/rising3_id_1.mp4": "unreadable",
    "rising/rising3_front_id_1.mp4": "no_frames",
    "rising/rising4_id_1.mp4": "bad_label",
    "rising/rising4_front_id_1.mp4": "bad_label",
}


def test_check_reports_every_planted_problem_and_writes_a_clean_manifest(planted, tmp_path):
    out, report = tmp_path / "clean.csv", tmp_path / "report.json"
    res = subprocess.run([str(SYNTA), "data", "check", str(planted), "--out", str(out), "--report", str(report),
                          "--workers", "2"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("10 videos checked: 2 ok, 8 with problems")
    for line in ("  missing: 1", "  empty: 1", "  unreadable: 1", "  truncated: 2", "  no_frames: 1",
                 "  bad_label: 2", "rising/rising1_id_2.mp4: no such file", "rising/rising1_front_id_2.mp4: zero bytes",
                 "rising/rising2_front_id_1.mp4: ends early: its last keyframe does not decode, the header says 60",
                 "rising/rising3_id_1.mp4: not a video file",
                 "rising/rising4_id_1.mp4: fine index 47 outside 0..46 of Set 2",
                 "rising/rising4_front_id_1.mp4: coarse id 20 outside 0..19"):
        assert line in res.stdout, line
    problems = json.loads(report.read_text())["problems"]
    assert {p["path"]: kind for kind, ps in problems.items() for p in ps} == EXPECTED
    clean = read_manifest(out)
    assert [v.path for v in clean.videos] == ["rising/rising1_id_1.mp4", "rising/rising1_front_id_1.mp4"]
    assert clean.dataset == "synta" and clean.root == planted.resolve()
    assert clean.videos[0].extra["camera"] == "orbit"  # extra columns of the rendered manifest survive
    strict = subprocess.run([str(SYNTA), "data", "check", str(out), "--strict"], capture_output=True, text=True,
                            timeout=120)
    assert strict.returncode == 0 and "2 videos checked: 2 ok, 0 with problems" in strict.stdout


def test_full_decode_agrees_and_strict_fails(planted, tmp_path):
    report = check_manifest(read_manifest(planted), full=True, workers=1)
    assert {p.path: k for k, ps in report.problems.items() for p in ps} == EXPECTED
    res = subprocess.run([str(SYNTA), "data", "check", str(planted / "manifest.csv"), "--out", str(tmp_path / "c.csv"),
                          "--strict", "--examples", "0"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 1 and "  missing: 1\n    ... and 0 more" not in res.stdout
    assert "rising/rising1_id_2.mp4" not in res.stdout  # --examples 0


def test_truncated_details(planted):
    kind, detail = check_file(str(planted / "rising/rising2_front_id_1.mp4"))
    assert kind == "truncated" and "the header says 60 frames" in detail
    full = check_file(str(planted / "rising/rising2_front_id_1.mp4"), full=True)
    assert full == ("truncated", "30 of 60 frames decode")
    kind, detail = check_file(str(planted / "rising/rising2_id_1.mp4"))
    assert kind == "truncated" and "does not open" in detail


def test_frame_folders_are_checked(tmp_path):
    for n, folder in ((3, "ok"), (2, "short")):
        (tmp_path / folder).mkdir()
        for i in range(n):
            Image.fromarray(frame_image(i, 16, 16)).save(tmp_path / folder / f"img_{i + 1:05d}.jpg")
    (tmp_path / "nojpegs").mkdir()
    (tmp_path / "broken").mkdir()
    for i in range(3):
        (tmp_path / f"broken/img_{i + 1:05d}.jpg").write_text("not a jpeg")
    classes = ClassIndex(("a",), (FineLabel(1, 0, "a1", 0, "a1"), FineLabel(2, 0, "a2", 0, "a2")))
    videos = [Video(name, "val", 1, 0, 0, num_frames=3) for name in ("ok", "short", "nojpegs", "broken", "gone")]
    report = check_manifest(Manifest("k400_ta", tmp_path, classes, tuple(videos)), workers=1)
    assert {p.path: p.kind for ps in report.problems.values() for p in ps} == {
        "short": "truncated", "nojpegs": "no_frames", "broken": "unreadable", "gone": "missing"}
    assert [v.path for v in report.clean.videos] == ["ok"]
