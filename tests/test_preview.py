"""``synta preview`` on real (tiny) renders: contact sheet and GIF geometry and content, side by side for
an ablation, and the HTML gallery loaded in headless Chromium."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from synta.benchmark.preview import LABEL_WIDTH, PAD, frame_indices, select

pytestmark = pytest.mark.blender
SYNTA = Path(sys.executable).with_name("synta")
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install -y chromium; CI's .ci/run should)")


def synta(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SYNTA), *args], capture_output=True, text=True, timeout=600, cwd=cwd)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("preview") / "ds"
    r = synta("render", "--n", "4", "--classes", "orbiting1,teleporting1", "--resolution", "96x54",
              "--background", "plain", "--engine", "workbench", "--workers", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def ablation(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("preview") / "ab"
    r = synta("ablate", str(ROOT / "assets/ablations/tiny.yaml"), "--out", str(out), "--workers", "2")
    assert r.returncode == 0, r.stderr
    return out


def decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def test_contact_sheet_rows_frames_and_labels(dataset, tmp_path):
    sheet_path, frames, h = tmp_path / "sheet.png", 5, 48
    r = synta("preview", str(dataset), "--per-class", "2", "--frames", str(frames), "--height", str(h),
              "--out", str(sheet_path))
    assert r.returncode == 0, r.stderr
    sheet = np.asarray(Image.open(sheet_path).convert("RGB")).astype(int)
    clips = select(dataset, per_class=2).clips
    assert [c.name for c in clips] == ["orbiting1", "orbiting1", "teleporting1", "teleporting1"]
    w, head = 86, h // 5  # 16:9 thumbnails, even width
    strip = (frames + 1) * (w + PAD) + 3 * PAD  # the path thumbnail, then the frames
    assert sheet.shape[:2] == (head + len(clips) * (h + PAD) + PAD, LABEL_WIDTH + strip)
    for i, clip in enumerate(clips):
        y = head + i * (h + PAD)
        label = sheet[y:y + h, :LABEL_WIDTH]
        assert (label.max(axis=-1) < 100).sum() > 150, "the row has its label text"
        video = decode(clip.paths[0])
        for k, t in enumerate(frame_indices(len(video), frames)):
            x = LABEL_WIDTH + (k + 1) * (w + PAD) + 2 * PAD
            want = np.asarray(Image.fromarray(video[t]).resize((w, h), Image.Resampling.LANCZOS)).astype(int)
            got = sheet[y:y + h, x:x + w]
            assert np.abs(got - want).mean() < 6, (clip.key, k)  # frame t of this clip, in time order
        path_thumb = sheet[y:y + h, LABEL_WIDTH:LABEL_WIDTH + w]
        red = (path_thumb[..., 0] > 180) & (path_thumb[..., 1] < 80)
        assert red.sum() > 10, "the first object's path is drawn"


def test_gif_grid_and_side_by_side(dataset, ablation, tmp_path):
    gif = tmp_path / "grid.gif"
    r = synta("preview", str(dataset), "--per-class", "2", "--gif", str(gif), "--gif-frames", "6", "--height", "48",
              cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "preview.png").exists()  # a contact sheet only when asked for (or nothing else is)
    im = Image.open(gif)
    label = max(12, 48 // 6) + 6
    assert im.n_frames == 6 and im.info["loop"] == 0
    assert im.size == (2 * (86 + PAD) + PAD, 2 * (48 + label + PAD) + PAD)  # 4 clips: a 2 x 2 grid
    shots = []
    for t in (0, 5):
        im.seek(t)
        shots.append(np.asarray(im.convert("RGB")).astype(int))
    assert np.abs(shots[0] - shots[1]).mean() > 1, "the grid plays"

    sheet, sbs_gif = tmp_path / "sbs.png", tmp_path / "sbs.gif"
    r = synta("preview", str(ablation), "--side-by-side", "--frames", "3", "--height", "36", "--out", str(sheet),
              "--gif", str(sbs_gif), "--gif-frames", "4")
    assert r.returncode == 0, r.stderr
    assert "2 clips x 2 variants" in r.stdout
    w = 64
    strip = 4 * (w + PAD) + 3 * PAD
    png = np.asarray(Image.open(sheet).convert("RGB")).astype(int)
    assert png.shape[:2] == (36 // 3 + 2 * (36 + PAD) + PAD, LABEL_WIDTH + 2 * strip)
    # the same clip in both variants: same motion, other background, so the two strips differ
    y = 36 // 3
    plain = png[y:y + 36, LABEL_WIDTH + w + 3 * PAD:LABEL_WIDTH + strip]
    real = png[y:y + 36, LABEL_WIDTH + strip + w + 3 * PAD:LABEL_WIDTH + 2 * strip]
    assert np.abs(plain - real).mean() > 10
    assert Image.open(sbs_gif).size[0] == 2 * (w + PAD) + PAD  # one column per variant

    alone = synta("preview", str(ablation), "--out", str(tmp_path / "ref.png"))  # its reference variant
    assert alone.returncode == 0 and "2 clips," in alone.stdout


def test_default_output_is_a_contact_sheet(dataset, tmp_path):
    r = synta("preview", str(dataset), cwd=tmp_path)
    assert r.returncode == 0 and Image.open(tmp_path / "preview.png").size[1] > 2 * 96


def test_class_selection(dataset):
    assert [c.name for c in select(dataset, ["teleporting"], per_class=5).clips] == ["teleporting1"] * 2
    assert [c.name for c in select(dataset, ["orbiting1", "19"]).clips] == ["orbiting1", "teleporting1"]


@pytest.mark.parametrize("args,needle", [
    (["--side-by-side"], "--side-by-side needs an ablation"),
    (["--classes", "flying"], "no class 'flying'"),
    (["--frames", "0"], "0 is not in the range"),
])
def test_bad_usage_is_one_line(dataset, tmp_path, args, needle):
    r = synta("preview", str(dataset), *args, "--out", str(tmp_path / "x.png"))
    assert r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_missing_dataset(tmp_path):
    r = synta("preview", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "cannot read the clips" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def load_in_chromium(page: Path, tmp_path: Path) -> str:
    """The page's DOM after its scripts ran and its videos loaded, from headless Chromium."""
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'chromium-profile'}", "--virtual-time-budget=15000",
                        "--dump-dom", page.resolve().as_uri()], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def video_states(dom: str) -> dict[str, dict[str, str]]:
    return {m.group(1): dict(re.findall(r'data-([a-z-]+)="([^"]*)"', m.group(0)))
            for m in re.finditer(r'<video[^>]*data-key="([^"]+)"[^>]*>', dom)}


@needs_chromium
def test_html_gallery_plays_in_chromium(dataset, ablation, tmp_path):
    gallery = tmp_path / "gallery"
    r = synta("preview", str(dataset), "--per-class", "2", "--html", str(gallery))
    assert r.returncode == 0, r.stderr
    dom = load_in_chromium(gallery / "index.html", tmp_path)
    assert 'data-playable="4" data-failed="0"' in dom and "4 of 4 videos playable" in dom
    states = video_states(dom)
    assert len(states) == 4
    for key, state in states.items():
        sc = json.loads((dataset / key).with_suffix(".json").read_text())
        assert int(state["ready-state"]) >= 2
        assert float(state["duration"]) == pytest.approx(sc["num_frames"] / sc["fps"], abs=0.05)
    assert "Single object orbiting another object" in dom  # labels travel with the videos

    # side by side, the videos copied into the gallery; one broken copy is reported, not hidden
    shared = tmp_path / "shared"
    r = synta("preview", str(ablation), "--side-by-side", "--html", str(shared), "--copy")
    assert r.returncode == 0, r.stderr
    copies = sorted((shared / "videos").rglob("*.mp4"))
    assert len(copies) == 4 and all(c.stat().st_size > 0 for c in copies)
    assert "<th>background-plain</th><th>background-realistic</th>" in (shared / "index.html").read_text()
    assert 'data-playable="4" data-failed="0"' in load_in_chromium(shared / "index.html", tmp_path)
    copies[0].write_bytes(b"\0" * 2000)
    assert 'data-playable="3" data-failed="1"' in load_in_chromium(shared / "index.html", tmp_path)
