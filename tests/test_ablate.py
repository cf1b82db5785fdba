"""``synta ablate``: factors that change one thing only, config parsing, errors, and rendered
counterfactual pairs (the renders are marked ``blender`` and kept tiny)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy.ndimage import binary_dilation, binary_erosion

from synta.cli import main
from synta.generator import sample_clip, sidecar
from synta.generator.ablation import load_ablation, write_index
from synta.generator.annotations import world_vertices
from synta.generator.camera import project
from synta.generator.shapes import get_shape, shape_pool

SYNTA = Path(sys.executable).with_name("synta")
ROOT = Path(__file__).resolve().parents[1]
# classes whose tracks do not depend on the objects' sizes (unlike not_colliding or occlusion, which keep
# gaps from the shapes' footprints, or bouncing4/7/8, whose walls and stairs are sized to the objects)
SHAPE_FREE = ("orbiting1", "moving_in_a_path5", "teleporting1", "arriving2", "cloning3", "following1")
TRACKS = ("position", "rotation", "scale", "opacity", "exists", "morph")


def synta(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SYNTA), *args], capture_output=True, text=True, timeout=600)


def write_config(tmp_path: Path, text: str, name: str = "study.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def same_tracks(a, b, names=TRACKS) -> bool:
    return len(a.objects) == len(b.objects) and all(
        np.array_equal(getattr(x, n), getattr(y, n)) for x, y in zip(a.objects, b.objects) for n in names)


# -- every factor changes its own part of the clip and nothing else ------------------------------------

@pytest.mark.parametrize("fine", SHAPE_FREE)
def test_object_pool_changes_shapes_not_motion(fine):
    for k in (1, 2, 3):
        ref = sample_clip(fine, k, seed=7, objects="set")
        for pool in ("shared", "cube", "torus"):
            other = sample_clip(fine, k, seed=7, objects=pool)
            assert {o.shape for o in other.objects} <= set(shape_pool(pool) if pool == "shared" else [pool])
            # same motion draws: every track but the resting height, which follows the shape's size
            assert same_tracks(ref, other, ("rotation", "scale", "opacity", "exists", "morph"))
            for x, y in zip(ref.objects, other.objects):
                assert np.array_equal(x.position[:, :2], y.position[:, :2])
                assert np.array_equal(x.color, y.color)  # colours draw from their own stream
            assert ref.lights == other.lights
    assert any(sample_clip(f, 1, seed=7, objects="cube").objects[0].shape != sample_clip(f, 1, seed=7).objects[0].shape
               for f in SHAPE_FREE)


@pytest.mark.parametrize("fine", ("orbiting1", "cloning1", "changing_shape5", "occlusion2", "bouncing7"))
def test_fixed_colours_change_colours_only(fine):
    ref, fixed = sample_clip(fine, 4, seed=1), sample_clip(fine, 4, seed=1, colors="fixed")
    assert same_tracks(ref, fixed) and ref.camera.to_dict() == fixed.camera.to_dict() and ref.lights == fixed.lights
    assert [o.shape for o in ref.objects] == [o.shape for o in fixed.objects]
    assert not all(np.array_equal(a.color, b.color) for a, b in zip(ref.objects, fixed.objects))


@pytest.mark.parametrize("lighting", ["overhead", "low", "dim", "warm"])
def test_lighting_changes_lights_only(lighting):
    ref, lit = sample_clip("rising2", 3).to_dict(), sample_clip("rising2", 3, lighting=lighting).to_dict()
    lights_ref, lights = ref.pop("lights"), lit.pop("lights")
    assert ref.pop("factors")["lighting"] == "default" and lit.pop("factors")["lighting"] == lighting
    assert ref == lit and lights_ref != lights
    # the per-clip jitter is kept: the sun's heading and the other lights' energies do not move
    assert lights[0]["rotation"][2] == lights_ref[0]["rotation"][2]


@pytest.mark.parametrize("motion", ["still", "moving"])
def test_distractors_join_without_changing_the_clip(motion):
    for fine, camera in (("rising1", "orbit"), ("orbiting2", "front"), ("teleporting1", "orbit")):
        ref = sample_clip(fine, 2, camera=camera)
        busy = sample_clip(fine, 2, camera=camera, distractors=2, distractor_motion=motion)
        n = len(ref.objects)
        extra = busy.objects[n:]
        assert len(extra) == 2 and {o.role for o in extra} == {"distractor"}
        assert ref.camera.to_dict() == busy.camera.to_dict() and ref.lights == busy.lights
        assert all(np.array_equal(a.position, b.position) and np.array_equal(a.color, b.color)
                   for a, b in zip(ref.objects, busy.objects[:n]))
        travel = [np.linalg.norm(o.position[-1] - o.position[0]) for o in extra]
        assert all(t > 2.9 for t in travel) if motion == "moving" else all(t == 0 for t in travel)
        sc = sidecar(busy)  # in frame all the time, never touching another object's box
        boxes = np.array([[f["bbox"] or [np.nan] * 4 for f in o["frames"]] for o in sc["objects"]])
        for i in range(n, len(boxes)):
            assert all(f["in_frame"] for f in sc["objects"][i]["frames"])
            for j in range(len(boxes)):
                if j != i:
                    a, b = boxes[i], boxes[j]
                    overlap = (np.minimum(a[:, 2], b[:, 2]) > np.maximum(a[:, 0], b[:, 0])) & \
                              (np.minimum(a[:, 3], b[:, 3]) > np.maximum(a[:, 1], b[:, 1]))
                    assert not overlap.any()


def test_clip_length_speed_and_distance_keep_camera_and_path():
    ref = sample_clip("falling3", 5, seed=2)
    for kw in ({"frames": 30}, {"frames": 96}, {"speed": 0.5}, {"fps": 12}):
        other = sample_clip("falling3", 5, seed=2, **kw)
        assert other.camera.to_dict() == ref.camera.to_dict(), kw  # fitted on the native tracks
        for a, b in zip(ref.objects, other.objects):
            assert np.allclose(a.position[[0, -1]], b.position[[0, -1]]) and a.shape == b.shape
    assert sample_clip("falling3", 5, frames=30).num_frames == 30
    far = sample_clip("falling3", 5, seed=2, camera_distance=1.5)
    assert same_tracks(ref, far) and np.allclose(far.camera.target, ref.camera.target)
    assert np.linalg.norm(far.camera.position - far.camera.target) == pytest.approx(
        1.5 * np.linalg.norm(ref.camera.position - ref.camera.target), rel=1e-4)
    with pytest.raises(ValueError, match="frames must be"):
        sample_clip("falling3", 5, frames=30, speed=2.0)


# -- configs --------------------------------------------------------------------------------------------

def test_one_factor_at_a_time_and_grid(tmp_path):
    cfg = write_config(tmp_path, """
base: {classes: [rising1], n: 2, camera: orbit, resolution: 64x36, engine: cycles, background: realistic}
vary:
  background: [plain, realistic]
  objects: {set-tied: set, cubes: cube}
  lighting: [low]
""")
    ab = load_ablation(cfg, tmp_path / "out", workers=1)
    names = [v.name for v in ab.variants]
    assert names == ["background-plain", "background-realistic", "set-tied", "cubes", "lighting-low"]
    by_name = {v.name: v for v in ab.variants}
    # the base already is background realistic with the set pool: one dataset serves both variants
    assert by_name["set-tied"].dir == "background-realistic" and by_name["cubes"].dir == "cubes"
    assert by_name["cubes"].config.objects == "cube" and by_name["cubes"].config.background == "realistic"
    assert by_name["lighting-low"].config.factors == {"lighting": "low"}
    index = ab.index()
    assert index["reference"] == "background-plain" and index["paired"] and index["factors"] == [
        "background", "objects", "lighting"]

    grid = write_config(tmp_path, """
base: {classes: [rising1], n: 2, resolution: 64x36, engine: workbench}
grid: true
vary: {background: [plain, realistic], distractors: [0, 2]}
reference: background-plain_distractors-0
""", "grid.yaml")
    ab = load_ablation(grid, tmp_path / "grid", workers=1)
    assert [v.name for v in ab.variants] == ["background-plain_distractors-0", "background-plain_distractors-2",
                                             "background-realistic_distractors-0",
                                             "background-realistic_distractors-2"]
    assert ab.variants[3].values == {"background": "realistic", "distractors": 2}
    assert ab.variants[3].config.factors == {"distractors": 2}

    rigs = write_config(tmp_path, "base: {classes: [rising1], n: 2}\nvary: {camera: [orbit, front]}\n", "rigs.yaml")
    assert not load_ablation(rigs, tmp_path / "rigs", workers=1).index()["paired"]  # the rig is in each seed


def test_an_output_folder_holds_one_ablation(tmp_path):
    out = tmp_path / "out"
    first = write_config(tmp_path, "name: 2024-01-01\nbase: {n: 2}\nvary: {speed: [1, 2]}\n")  # YAML reads a date
    write_index(load_ablation(first, out, workers=1), out)
    write_index(load_ablation(first, out, workers=1), out)  # the same again: fine
    assert json.loads((out / "ablation.json").read_text())["config"]["name"] == "2024-01-01"
    other = write_config(tmp_path, "base: {n: 2}\nvary: {speed: [1, 3]}\n", "other.yaml")
    with pytest.raises(ValueError, match="holds a different ablation"):
        write_index(load_ablation(other, out, workers=1), out)


def test_shipped_configs_parse():
    for path in sorted((ROOT / "assets" / "ablations").glob("*.yaml")):
        ab = load_ablation(path, Path("/nonexistent/out"), workers=1)
        assert len({v.dir for v in ab.variants}) >= 2, path
        assert all(v.config.n == ab.variants[0].config.n for v in ab.variants)  # same clips in every variant
    study = load_ablation(ROOT / "assets/ablations/plain_vs_realistic.yaml", Path("o"), 1)
    assert [v.config.background for v in study.variants] == ["plain", "realistic"]
    pool = load_ablation(ROOT / "assets/ablations/object_pool_shift.yaml", Path("o"), 1)
    assert [v.config.objects for v in pool.variants] == ["set", "shared", "cube"]


def test_dry_run_plans_every_variant_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    r = synta("ablate", str(ROOT / "assets/ablations/object_pool_shift.yaml"), "--out", str(out), "--dry-run")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [line.split()[1] for line in lines if line.startswith("[")] == ["set-tied", "shared", "cube-only"]
    assert sum("10000 clips (10000 to render" in line for line in lines) == 3
    assert not out.exists()


@pytest.mark.parametrize("text,needle", [
    ("base: {n: 2}\n", "'vary' must map one or more factors"),
    ("base: {n: 2}\nvary: {wind: [1, 2]}\n", "unknown factor to vary 'wind'"),
    ("base: {n: 2, flavour: x}\nvary: {speed: [1, 2]}\n", "unknown base setting 'flavour'"),
    ("bass: {n: 2}\nvary: {speed: [1, 2]}\n", "unknown key 'bass'"),
    ("vary: {speed: []}\n", "vary.speed lists no values"),
    ("vary: {speed: 2}\n", "vary.speed must be a list"),
    ("vary: {speed: [1, 1]}\n", "lists a value twice"),
    ("vary: {colors: [random, neon]}\n", "colors must be 'random' or 'fixed'"),
    ("vary: {speed: [1, -1]}\n", "speed and camera_distance must be positive"),
    ("vary: {lighting: [default, disco]}\n", "lighting must be one of"),
    ("vary: {distractor_motion: [still, dancing]}\n", "distractor_motion must be one of"),
    ("vary: {objects: [set, teapot]}\n", "unknown shape pool 'teapot'"),
    ("base: {classes: [flying]}\nvary: {speed: [1, 2]}\n", "unknown fine class 'flying'"),
    ("base: {n: 0}\nvary: {speed: [1, 2]}\n", "--n must be at least 1"),
    ("base: {resolution: huge}\nvary: {speed: [1, 2]}\n", "--resolution must look like"),
    ("vary: {background: [plain, /nonexistent/images]}\n", "backgrounds folder not found"),
    ("base: {engine: workbench}\nvary: {lighting: [default, dim]}\n", "would look the same"),
    ("vary: {speed: [1, 2]}\nreference: speed-3\n", "reference 'speed-3' is not a variant"),
    ("vary: {speed: {'a b': 1, c: 2}}\n", "variant name 'a b'"),
    ("grid: maybe\nvary: {speed: [1, 2]}\n", "'grid' must be true or false"),
    ("vary: {speed: [1, 2]\n", "not valid YAML (line 2)"),
    ("- just\n- a list\n", "must be a mapping"),
])
def test_bad_config_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, text, needle):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:  # in process: the CLI's own entry point, without a new interpreter
        main(["ablate", str(write_config(tmp_path, text)), "--out", str(out)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "study.yaml" in err and not out.exists()


def test_missing_config(tmp_path):
    r = synta("ablate", str(tmp_path / "nope.yaml"))
    assert r.returncode == 2 and "cannot read ablation config" in r.stderr and len(r.stderr.splitlines()) == 1


# -- rendered pairs -------------------------------------------------------------------------------------

def frames(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(int)


def silhouettes(spec) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame masks of every object's exact silhouette (its projected triangles) and whether every
    shown object is fully opaque in that frame (a see-through object shows the background)."""
    cam = spec.camera_model()
    w, h = spec.resolution
    masks = [Image.new("1", (w, h)) for _ in range(spec.num_frames)]
    opaque = np.ones(spec.num_frames, dtype=bool)
    for obj in spec.objects:
        uv, _ = project(world_vertices(obj), cam.intrinsics(), cam.world_to_camera())
        faces = [get_shape(obj.shape).faces]
        if obj.morph_to:
            faces.append(get_shape(obj.morph_to).faces + len(get_shape(obj.shape).vertices))
        shown = obj.exists & (obj.scale > 1e-3)
        opaque &= ~shown | (obj.opacity >= 0.999)
        for t in np.nonzero(shown)[0]:
            draw = ImageDraw.Draw(masks[t])
            for tri in uv[t][np.concatenate(faces)]:
                draw.polygon([tuple(p) for p in tri], fill=1)
    return np.stack([np.array(m) for m in masks]), opaque


@pytest.mark.blender
def test_plain_vs_realistic_differ_only_in_the_background(tmp_path):
    cfg = write_config(tmp_path, """
base: {classes: [orbiting1, expanding1], n: 4, camera: both, resolution: 96x54, engine: workbench}
vary: {background: [plain, realistic]}
""")
    out = tmp_path / "ab"
    r = synta("ablate", str(cfg), "--out", str(out), "--workers", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    index = json.loads((out / "ablation.json").read_text())
    assert [(v["name"], v["dir"], v["values"]) for v in index["variants"]] == [
        ("background-plain", "background-plain", {"background": "plain"}),
        ("background-realistic", "background-realistic", {"background": "realistic"})]
    plain, real = out / "background-plain", out / "background-realistic"
    stems = sorted(str(p.relative_to(plain).with_suffix("")) for p in plain.glob("*/*.mp4"))
    assert stems == sorted(str(p.relative_to(real).with_suffix("")) for p in real.glob("*/*.mp4"))
    assert len(stems) == 4
    for name in ("manifest.csv", "splits/fine_classes/train_set1_fine.txt"):
        a, b = (plain / name).read_text(), (real / name).read_text()
        assert a.replace(",plain,", ",realistic,") == b  # the manifest's background column alone differs

    for stem in stems:
        sa, sb = json.loads((plain / f"{stem}.json").read_text()), json.loads((real / f"{stem}.json").read_text())
        fa, fb = sa.pop("factors"), sb.pop("factors")
        assert sa == sb, stem  # same seed, objects, tracks, boxes, camera
        assert {k for k in fa if fa[k] != fb[k]} == {"background", "background_list"}

        camera = "front" if "_front_" in stem else "orbit"
        spec = sample_clip(sa["fine"]["name"], sa["clip_id"], camera=camera, resolution=(96, 54))
        masks, opaque = silhouettes(spec)
        # inside the objects, 2 pixels in from their outlines (anti-aliasing and 4:2:0 chroma mix the
        # edge pixels with what is behind), in frames where every object is opaque: the same pixels up to
        # H.264 noise. Shadows fall on the ground, which is background.
        inner = np.stack([binary_erosion(m, iterations=2) for m in masks]) & opaque[:, None, None]
        outer = ~np.stack([binary_dilation(m, iterations=2) for m in masks])
        va, vb = frames(plain / f"{stem}.mp4"), frames(real / f"{stem}.mp4")
        diff = np.abs(va - vb).max(axis=-1)
        assert inner.sum() > 2000, stem
        assert diff[inner].mean() < 8 and np.percentile(diff[inner], 99) < 25, stem
        assert np.median(diff[outer]) > 25, stem  # ... while the background really changed
        # the check can fail: the same masks against another clip's realistic frames show differences
        other = stems[(stems.index(stem) + 1) % len(stems)]
        vo = frames(real / f"{other}.mp4")
        t = min(len(vo), len(va))
        assert np.abs(va[:t] - vo[:t]).max(axis=-1)[inner[:t]].mean() > 20

    again = synta("ablate", str(cfg), "--out", str(out), "--workers", "2")  # resumes: nothing left to do
    assert again.returncode == 0 and again.stdout.count("0 of 4 clips to render") == 2


@pytest.mark.blender
def test_object_pool_variants_change_shapes_not_tracks(tmp_path):
    cfg = write_config(tmp_path, """
base: {classes: [orbiting1, teleporting4], n: 2, camera: orbit, resolution: 64x36, engine: workbench,
       background: plain}
vary:
  objects: {set-tied: set, shared: shared, one-shape: capsule}
reference: set-tied
""")
    out = tmp_path / "pool"
    r = synta("ablate", str(cfg), "--out", str(out), "--workers", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    for stem in ("orbiting/orbiting1_id_1", "teleporting/teleporting4_id_1"):
        sides = {v: json.loads((out / v / f"{stem}.json").read_text()) for v in ("set-tied", "shared", "one-shape")}
        ref = sides["set-tied"]
        pool = set(shape_pool(f"set{ref['fine']['set']}"))
        assert {o["shape"] for o in ref["objects"]} <= pool
        assert {o["shape"] for o in sides["one-shape"]["objects"]} == {"capsule"}
        for name, sc in sides.items():
            assert sc["seed"] == ref["seed"] and len(sc["objects"]) == len(ref["objects"])
            for a, b in zip(ref["objects"], sc["objects"]):
                assert a["color"] == b["color"]
                for fa, fb in zip(a["frames"], b["frames"]):
                    assert fa["position"][:2] == fb["position"][:2], name  # same path on the ground
                    assert (fa["opacity"], fa["exists"], fa["scale"]) == (fb["opacity"], fb["exists"], fb["scale"])
        assert not np.array_equal(frames(out / "set-tied" / f"{stem}.mp4"), frames(out / "one-shape" / f"{stem}.mp4"))


@pytest.mark.blender
def test_workbench_shows_the_shadow_direction_of_lighting_presets(tmp_path):
    """``lighting: low`` tilts the key sun; Workbench aims its cast shadows like it, so the pixels change
    (measured mean absolute difference ≈ 0.05 on these clips; the same frames before definition 2)."""
    config = tmp_path / "light.yaml"
    config.write_text("name: light\nbase: {n: 1, classes: rising1, camera: orbit, seed: 0, resolution: 64, "
                      "engine: workbench, background: plain}\nvary: {lighting: [default, low]}\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["ablate", str(config), "--out", str(tmp_path / "out"), "--workers", "1"])
    assert exit_info.value.code in (0, None)
    default, low = (frames(next((tmp_path / "out" / f"lighting-{v}").rglob("*.mp4"))) for v in ("default", "low"))
    assert np.abs(default.astype(float) - low.astype(float)).mean() / 255 > 0.01
