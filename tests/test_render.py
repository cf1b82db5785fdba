"""``synta render`` end to end with real Blender renders (tiny: 64x36 pixels, a few clips)."""
from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from synta.generator import sample_clip, sidecar
from synta.generator.checks import check

pytestmark = pytest.mark.blender
SYNTA = Path(sys.executable).with_name("synta")
TINY = ["--resolution", "36", "--background", "plain", "--workers", "2"]


def synta(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(SYNTA), *args], capture_output=True, text=True, timeout=600, **kw)


def frames(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def clips(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out).with_suffix("")) for p in out.glob("*/*.json"))


def assert_valid_dataset(out: Path, expected: int, background: str = "plain") -> None:
    stems = clips(out)
    assert len(stems) == expected
    for stem in stems:
        sc = json.loads((out / f"{stem}.json").read_text())
        video = frames(out / f"{stem}.mp4")
        assert video.shape == (sc["num_frames"], sc["resolution"][1], sc["resolution"][0], 3)
        assert check(sc), f"{stem} does not show its class"
        camera = "front" if "_front_" in stem else "orbit"
        spec = sample_clip(sc["fine"]["name"], sc["clip_id"], camera=camera, background=background,
                           resolution=(64, 36))
        assert json.loads(json.dumps(sidecar(spec))) == sc, "the sidecar is exactly sidecar(spec)"
    rows = (out / "manifest.csv").read_text().splitlines()
    assert len(rows) == expected + 1 and rows[0].startswith("path,split,set,coarse_id")
    assert not list(out.glob(".partial/*")) and not list(out.rglob("*.tmp-*"))


def test_render_small_dataset(tmp_path):
    out = tmp_path / "ds"
    r = synta("render", "--n", "6", "--classes", "rising1,orbiting2,teleporting1", "--out", str(out), *TINY)
    assert r.returncode == 0, r.stderr
    assert "engine auto: workbench" in r.stdout
    assert_valid_dataset(out, 6)
    assert (out / "orbiting/orbiting2_front_id_1.mp4").exists() and (out / "rising/rising1_id_1.json").exists()
    train = (out / "splits/fine_classes/train_set2_fine.txt").read_text().splitlines()
    assert train == ["orbiting/orbiting2_id_1.mp4 36", "orbiting/orbiting2_front_id_1.mp4 36"]
    meta = json.loads((out / "dataset.json").read_text())
    assert meta["dataset"]["engine"] == "workbench" and meta["num_clips"] == 6

    # a rerun renders nothing; a broken video and a missing sidecar are redone
    again = synta("render", "--n", "6", "--classes", "rising1,orbiting2,teleporting1", "--out", str(out), *TINY)
    assert "0 of 6 clips to render" in again.stdout
    (out / "rising/rising1_id_1.mp4").write_bytes(b"\0" * 100)
    (out / "teleporting/teleporting1_front_id_1.json").unlink()
    fixed = synta("render", "--n", "6", "--classes", "rising1,orbiting2,teleporting1", "--out", str(out), *TINY)
    assert fixed.returncode == 0 and "2 of 6 clips to render" in fixed.stdout
    assert_valid_dataset(out, 6)

    # a different dataset definition into the same folder is refused
    other = synta("render", "--n", "2", "--classes", "rising1", "--out", str(out), *TINY)
    assert other.returncode == 2 and "holds a different dataset" in other.stderr


def test_kill_and_resume(tmp_path):
    out = tmp_path / "ds"
    args = [str(SYNTA), "render", "--n", "8", "--classes", "falling", "--out", str(out), *TINY]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not (out.exists() and len(clips(out)) >= 2):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = clips(out)
    assert 2 <= len(done) < 8, "killed mid-run"
    for stem in done:  # whatever has a sidecar is complete
        assert len(frames(out / f"{stem}.mp4")) == json.loads((out / f"{stem}.json").read_text())["num_frames"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert f"{8 - len(done)} of 8 clips to render" in r.stdout
    assert_valid_dataset(out, 8)


def test_two_shards_equal_one_run(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    common = ["--n", "4", "--classes", "rising2,cloning1"]
    assert synta("render", *common, "--out", str(one), *TINY).returncode == 0
    for shard in ("0", "1"):
        r = synta("render", *common, "--out", str(two), "--num-shards", "2", "--shard-id", shard, *TINY)
        assert r.returncode == 0 and "--merge" in r.stdout
    assert not (two / "manifest.csv").exists()
    merged = synta("render", "--merge", "--out", str(two))
    assert merged.returncode == 0, merged.stderr
    assert clips(one) == clips(two) and len(clips(one)) == 4
    for stem in clips(one):
        assert np.array_equal(frames(one / f"{stem}.mp4"), frames(two / f"{stem}.mp4")), stem
        assert (one / f"{stem}.json").read_text() == (two / f"{stem}.json").read_text()
    for rel in ("manifest.csv", "splits/coarse_classes/train_set1_coarse.txt"):
        assert (one / rel).read_text() == (two / rel).read_text()


def _png(path: Path, rgb: tuple[int, int, int], size: int = 32) -> None:
    """A solid-colour PNG written with the standard library (so the test needs no image package)."""
    raw = b"".join(b"\0" + bytes(rgb) * size for _ in range(size))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_realistic_background_is_a_counterfactual(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    _png(images / "a_red.png", (200, 30, 30))
    _png(images / "b_green.png", (30, 200, 30))
    common = ["--n", "1", "--classes", "expanding1", "--camera", "orbit", "--resolution", "36", "--workers", "1"]
    plain, real = tmp_path / "plain", tmp_path / "real"
    assert synta("render", *common, "--background", "plain", "--out", str(plain)).returncode == 0
    r = synta("render", *common, "--background", "realistic", "--backgrounds", str(images), "--out", str(real))
    assert r.returncode == 0, r.stderr
    stem = "expanding/expanding1_id_1"
    a, b = json.loads((plain / f"{stem}.json").read_text()), json.loads((real / f"{stem}.json").read_text())
    assert a.pop("factors") != b.pop("factors") and a == b
    fa, fb = frames(plain / f"{stem}.mp4").astype(int), frames(real / f"{stem}.mp4").astype(int)
    corner = fb[:, :4, :4]  # the red ground image shows in the corner, the plain grey ground does not
    assert corner[..., 0].mean() > corner[..., 1].mean() + 40
    assert np.abs(fa - fb).mean() > 10


@pytest.mark.parametrize("camera", ["orbit", "front"])
def test_scene_images_show_at_their_own_brightness(tmp_path, camera):
    """A black scene image stays black (Workbench's specular light used to lay a grey veil of about 50/255
    on it) and a mid-grey one shows at its own value, on the orbit ground and on the front backdrop."""
    shown = {}
    for name, value in (("black", 0), ("grey", 128)):
        images = tmp_path / name
        images.mkdir()
        _png(images / "a.png", (value,) * 3)
        _png(images / "b.png", (value,) * 3)
        out = tmp_path / f"{name}_out"
        r = synta("render", "--n", "1", "--classes", "expanding1", "--camera", camera, "--resolution", "64",
                  "--workers", "1", "--background", "realistic", "--backgrounds", str(images), "--out", str(out))
        assert r.returncode == 0, r.stderr
        shown[name] = float(np.median(frames(next(out.glob("expanding/*.mp4")))))  # objects are a small part
    assert shown["black"] <= 8
    assert abs(shown["grey"] / 128 - 1) <= (0.1 if camera == "front" else 0.2), shown


def test_cover_window_keeps_the_picture_undistorted():
    from synta.generator.render.backgrounds import cover_window

    def flat(window):
        return [x for corner in window for x in corner]
    # a square image on a 16:9 backdrop: full width, the middle 9/16 of the height
    assert flat(cover_window(((0, 0), (1, 1)), 1.0, 16 / 9)) == pytest.approx([0, 0.21875, 1, 0.78125])
    # the lower half of a square image (proportions 2:1) on a 3:2 ground: full height, 3/4 of the width
    assert flat(cover_window(((0, 0), (1, 0.5)), 1.0, 1.5)) == pytest.approx([0.125, 0, 0.875, 0.5])


def test_mirrored_tiles_continue_the_picture_without_a_seam():
    from synta.generator.render.backgrounds import mirrored_tiles
    # the picture on [0, 2] with UV 0.2..0.6, extended to [-1, 5]: copies -1 (mirrored, cut at -1), 0, 1
    # (mirrored) and 2 (cut at 5); UVs meet at every shared edge
    tiles = mirrored_tiles((0, 2), (-1, 5), (0.2, 0.6))
    assert np.allclose(tiles, [(-1, 0, 0.4, 0.2), (0, 2, 0.2, 0.6), (2, 4, 0.6, 0.2), (4, 5, 0.2, 0.4)])
    assert mirrored_tiles((0, 2), (0, 2), (0, 1)) == [(0, 2, 0, 1)]  # a view inside the picture: one quad


def test_a_view_up_to_the_horizon_shows_ground_then_sky(tmp_path):
    """occlusion3 clip 1 looks 8-12 degrees down with an 11.5-degree half field of view: its top rows are
    ground far away and sky, never the unlit world colour (rows 0-15 were 230/255 on a ground of 206)."""
    images = tmp_path / "images"
    images.mkdir()
    scene = np.zeros((90, 160, 3), dtype=np.uint8)
    scene[:54], scene[54:] = (60, 90, 200), (60, 160, 40)  # sky above the default ground share of 0.4
    for name in ("a", "b"):
        Image.fromarray(scene).save(images / f"{name}.png")
    rows = {}
    for background in ("plain", "realistic"):
        out = tmp_path / background
        r = synta("render", "--n", "1", "--classes", "occlusion3", "--camera", "orbit", "--resolution", "64",
                  "--workers", "1", "--background", background, "--backgrounds", str(images), "--out", str(out))
        assert r.returncode == 0, r.stderr
        rows[background] = frames(next(out.glob("occlusion/*.mp4")))[0].astype(float).mean(axis=1)
    plain = rows["plain"].mean(axis=1)
    assert np.abs(plain[:8] - plain[8:24].mean()).max() <= 8, plain[:24].round()
    top, bottom = rows["realistic"][0], rows["realistic"][-1]
    assert top[2] > top[1] + 40 and bottom[1] > bottom[2] + 40, (top, bottom)  # blue sky, green ground


@pytest.mark.parametrize("args,needle", [
    (["--n", "0"], "0 is not in the range"),
    (["--n", "-2"], "-2 is not in the range"),
    (["--n", "many"], "not a valid integer"),
    (["--classes", "flying"], "unknown fine class 'flying'"),
    (["--shard-id", "2", "--num-shards", "2"], "--shard-id must be in [0, 1]"),
    (["--engine", "turbo"], "'turbo' is not one of"),
    (["--resolution", "big"], "--resolution must look like"),
    (["--resolution", "15x9"], "even sizes"),
    (["--workers", "0"], "0 is not in the range"),
    (["--objects", "teapot"], "unknown shape pool 'teapot'"),
    (["--backgrounds", "/nonexistent/dir"], "backgrounds folder not found"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, needle):
    out = tmp_path / "ds"
    r = synta("render", "--n", "2", "--out", str(out), *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not out.exists()


def test_backgrounds_that_are_not_images(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "one.jpg").write_text("not a picture")
    (bad / "two.jpg").write_text("nor this")
    r = synta("render", "--n", "2", "--out", str(tmp_path / "ds"), "--backgrounds", str(bad))
    assert r.returncode == 2 and "not a readable image" in r.stderr and len(r.stderr.splitlines()) == 1


def test_unwritable_out(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = synta("render", "--n", "1", "--classes", "rising1", "--out", str(blocker / "ds"), *TINY)
    assert r.returncode == 2 and "cannot write to --out" in r.stderr and len(r.stderr.splitlines()) == 1


def test_opacity_and_colour_tracks_render(tmp_path):
    out = tmp_path / "ds"
    r = synta("render", "--n", "2", "--classes", "appearing1,changing_color3", "--camera", "orbit",
              "--out", str(out), "--resolution", "72", "--background", "plain", "--workers", "2")
    assert r.returncode == 0, r.stderr
    for stem, first_vs_last in (("appearing/appearing1_id_1", "appears"),
                                ("changing_color/changing_color3_id_1", "darkens")):
        sc = json.loads((out / f"{stem}.json").read_text())
        video = frames(out / f"{stem}.mp4").astype(float)
        x0, y0, x1, y1 = (int(round(v)) for v in sc["objects"][0]["frames"][-1]["bbox"])
        first, last = video[0, y0:y1, x0:x1].mean(), video[-1, y0:y1, x0:x1].mean()
        ground = video[0, :4, :4].mean()
        if first_vs_last == "appears":  # fully transparent at frame 0: only ground where it will be
            assert abs(first - ground) < 12 and abs(last - ground) > 12
        else:  # bright to dark colour
            assert first > last + 20


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def test_a_clip_whose_worker_dies_is_retried(tmp_path):
    out = tmp_path / "ds"
    args = [str(SYNTA), "render", "--n", "3", "--classes", "orbiting1", "--camera", "orbit", "--out", str(out),
            "--resolution", "36", "--background", "plain", "--workers", "1"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline, killed = time.time() + 120, False
    while not killed and time.time() < deadline:
        for kid in _children(proc.pid):
            cmdline = Path(f"/proc/{kid}/cmdline").read_bytes()
            if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
                time.sleep(1.5)  # let it get into a render
                os.kill(kid, signal.SIGKILL)
                killed = True
                break
        time.sleep(0.1)
    stdout, stderr = proc.communicate(timeout=600)
    assert killed and proc.returncode == 0, stderr
    assert_valid_dataset(out, 3)


def test_disk_full_stops_with_one_line(tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(small)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        r = synta("render", "--n", "12", "--classes", "orbiting", "--out", str(small / "ds"), *TINY)
        assert r.returncode == 1, r.stdout + r.stderr
        errors = [line for line in r.stderr.splitlines() if line.startswith("synta: error")]
        assert len(errors) == 1 and "No space left on device" in errors[0] and "Traceback" not in r.stderr
        assert not list((small / "ds").rglob("*.tmp-*"))
        for side in (small / "ds").glob("*/*.json"):  # whatever was finished is whole
            json.loads(side.read_text())
    finally:
        subprocess.run(["umount", str(small)], check=False)


def test_a_second_render_of_the_same_shard_is_refused(tmp_path):
    from synta.files import folder_lock

    out = tmp_path / "ds"
    with folder_lock(out, ".lock-shard0", "render output folder"):  # as a running render holds it
        r = synta("render", "--n", "2", "--classes", "rising1", "--out", str(out), *TINY)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        f"synta: error: render output folder {out} is in use by another synta run (pid {os.getpid()}); "
        "wait for it to finish or choose another folder"]
    assert not (out / "dataset.json").exists() and not (out / ".partial").exists()


def test_plans_bench_cannot_use_are_warned_with_the_n_that_fills_them(tmp_path):
    r = synta("render", "--n", "3", "--classes", "rising", "--dry-run", "--out", str(tmp_path / "ds"))
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stdout.splitlines() if line.startswith("warning: ")]
    assert warnings[-1] == "warning: --n 16 or more gives each class a train and a val clip per camera"
    assert any("selected classes get no clip" in w for w in warnings)


def test_render_workers_default_to_the_cpus_this_process_may_use(tmp_path):
    """On a SLURM node the allocation, not the machine, bounds the workers (the affinity mask)."""
    args = [str(SYNTA), "render", "--n", "2", "--classes", "rising1", "--dry-run", "--out", str(tmp_path / "d")]
    one_cpu = subprocess.run(args, capture_output=True, text=True, preexec_fn=lambda: os.sched_setaffinity(0, {0}))
    assert one_cpu.returncode == 0 and "; 1 workers;" in one_cpu.stdout


def test_cycles_shows_objects_at_their_colour_grounds_at_their_brightness_and_shadows(tmp_path):
    """Cycles with the spec's lights (definition 6): on a mid-grey scene image the objects' median luma is
    0.7-1.2 of their colour's, the open ground and the front backdrop within 20 % / 10 % of the image, the
    key sun's shadow at least 20 % darker than the ground around it; a black image stays black (the
    diffuse backgrounds have no specular veil: night grounds showed up to 30x their value)."""
    from synta.generator.render.look import background_reference, measure_clip
    from synta.generator.render.options import RenderOptions
    from synta.generator.render.plan import ClipJob
    from synta.generator.render.worker import Task, run_pool
    from synta.generator.taxonomy import load_taxonomy

    fine = load_taxonomy().fine_class("expanding1")
    pairs = [(camera, value) for camera in ("orbit", "front") for value in (0, 128)]
    tasks = []
    for camera, value in pairs:
        images = tmp_path / f"images{value}"
        images.mkdir(exist_ok=True)
        _png(images / "a.png", (value,) * 3)
        out = tmp_path / f"{camera}{value}"
        (out / ".partial").mkdir(parents=True)
        args = {"background": "realistic", "background_list": images.name, "resolution": (170, 96), "frames": 3}
        tasks.append(Task(ClipJob(fine, camera, 1, "train"), args, str(out), str(out / ".partial")))
    options = RenderOptions(engine="cycles", samples=4,
                            background_images=tuple((f"images{v}", (str(tmp_path / f"images{v}/a.png"),))
                                                    for v in (0, 128)))
    result = run_pool(tasks, options, 2, max_tasks=10, on_done=lambda task, ok: None)
    assert not result.failures, result.failures
    for (camera, value), task in zip(pairs, tasks):
        spec = sample_clip(fine, 1, camera=camera, **task.spec_args)
        video = frames(Path(task.out) / f"{task.job.stem}.mp4")
        if value == 0:
            assert np.median(video) <= 8, camera
            continue
        grey = np.full((32, 32, 3), value / 255.0)
        look = measure_clip(spec, video, background_reference(spec, grey, "a"))
        objects = [r for ratios in look.object_ratio.values() for r in ratios]
        assert objects and 0.7 <= np.median(objects) <= 1.2, (camera, look.object_ratio)
        assert abs(np.median(look.backdrop_ratio) - 1) <= (0.1 if camera == "front" else 0.2), look.backdrop_ratio
        if camera == "orbit":
            assert look.shadow_darkness and np.median(look.shadow_darkness) >= 0.2, look.shadow_darkness
