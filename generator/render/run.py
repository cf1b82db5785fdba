"""``synta render``: plan a dataset, skip what is finished, render the rest in parallel, index it."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable

from synta import __version__
from synta.cpus import usable_cpus
from synta.files import folder_lock, write_atomic
from synta.generator.render.backgrounds import background_lists
from synta.generator.render.dataset import check_dataset_json, read_finished, write_index
from synta.generator.render.options import DEFAULT_BACKGROUND, MAX_SIDE, RenderOptions
from synta.generator.render.plan import ClipJob, plan_dataset, plan_gaps, select_classes, shard
from synta.generator.render.worker import Task, run_pool
from synta.generator.sampler import DEFAULT_RESOLUTION
from synta.progress import Progress

# What the pixels of a given spec look like; bumped whenever rendering changes them on purpose, so that a
# resumed render never mixes clips of two definitions in one folder (check_dataset_json refuses it).
# 2: Workbench cast shadows aimed like the key light, Workbench metallic 0, arrivals/departures framed on
#    the rest spot.
# 3: Workbench lit by synta's own studio light (objects, ground and backdrop at about their colour); no
#    sun shadows with the front rig (its backdrop is no ground); the orbit ground shows only the part of a
#    scene image below its horizon.
# 4: Workbench draws backdrops and grounds metallic, lit by a soft specular-only third light: no grey veil
#    over dark scene images (black stays black), backgrounds at about their image's brightness.
# 5: a ground seen up to its horizon runs on to it (mirrored copies of its picture) under a far backdrop of
#    the image's sky (or the plain colour): no pale band of unlit world colour at the top of the frame.
# 6: Cycles/EEVEE lit to show colours as they are: a white sky light, a stronger key sun, a fill sun along
#    the view on the objects only (replacing the area fill); matte (diffuse) grounds and backdrops, the
#    horizon sky emitted. Workbench pixels are those of definition 5.
DEFINITION_VERSION = 6
RECYCLE_EVERY = 40  # clips per worker process before it is replaced
# Rough seconds per frame per megapixel and fixed seconds per clip, measured on a 2-core CPU machine
# (benchmarks/render_throughput.py); only used for the --dry-run estimate.
# EEVEE's figure is a guess for GPU hosts (on a CPU it runs ~40 s per megapixel-frame).
COST = {"workbench": (0.55, 1.5), "cycles": (32.0, 2.0), "eevee": (0.3, 3.0)}
PARALLEL_EFFICIENCY = 0.8  # measured: two Workbench processes give 1.6x one


@dataclass
class RenderConfig:
    """Every option of ``synta render`` (see its --help)."""

    out: Path
    n: int = 10000
    classes: list[str] = field(default_factory=list)
    set_id: int | None = None
    camera: str = "both"
    background: str = DEFAULT_BACKGROUND
    backgrounds: Path | None = None
    objects: str = "set"
    seed: int = 0
    engine: str = "auto"
    samples: int = 16
    denoise: bool = True
    resolution: tuple[int, int] = DEFAULT_RESOLUTION
    fps: int | None = None
    workers: int = field(default_factory=usable_cpus)
    num_shards: int = 1
    shard_id: int = 0
    factors: dict[str, Any] = field(default_factory=dict)  # further sample_clip factors (speed, lighting, ...)


def parse_resolution(text: str) -> tuple[int, int]:
    """``"456x256"``, or ``"256"``: that short side at 16:9 (width rounded to even, as H.264 needs)."""
    try:
        if "x" in text.lower():
            w, h = (int(v) for v in text.lower().split("x"))
        else:
            h = int(text)
            w = 2 * round(h * 16 / 9 / 2)
    except ValueError:
        raise ValueError(f"--resolution must look like 456x256 or 256, got {text!r}") from None
    if not (16 <= w <= MAX_SIDE and 16 <= h <= MAX_SIDE) or w % 2 or h % 2:
        raise ValueError(f"--resolution needs even sizes of 16 to {MAX_SIDE} pixels, got {w}x{h}")
    return w, h


def gpu_available() -> bool:
    """A CUDA device node is present (the cheap test; Blender itself decides which device it uses)."""
    return any(Path("/dev").glob("nvidia[0-9]*"))


def resolve_engine(engine: str) -> tuple[str, str]:
    """The engine to use and a sentence saying why."""
    if engine != "auto":
        return engine, f"engine: {engine}"
    if gpu_available():
        return "eevee", "engine auto: eevee (a GPU is present)"
    return "workbench", "engine auto: workbench (no GPU found; --engine cycles renders path-traced on CPU)"


def _spec_args(cfg: RenderConfig) -> dict[str, Any]:
    args: dict[str, Any] = {"seed": cfg.seed, "background": cfg.background, "objects": cfg.objects,
                            "resolution": cfg.resolution, **cfg.factors}
    if cfg.fps:
        args["fps"] = cfg.fps
    return args


def _description(cfg: RenderConfig, engine: str, jobs: list[ClipJob], lists) -> dict[str, Any]:
    dataset = {"definition": DEFINITION_VERSION, "n": cfg.n, "classes": sorted({j.fine.name for j in jobs}),
               "camera": cfg.camera,
               "background": cfg.background, "background_images": lists, "objects": cfg.objects,
               "seed": cfg.seed, "resolution": list(cfg.resolution), "fps": cfg.fps, "engine": engine,
               "samples": cfg.samples if engine != "workbench" else None,
               "denoise": cfg.denoise if engine == "cycles" else None}
    if cfg.factors:  # only when set, so datasets made without them keep their definition
        dataset["factors"] = dict(sorted(cfg.factors.items()))
    return {"dataset": dataset, "num_clips": len(jobs), "command": sys.argv,
            "versions": {"synta": __version__, "bpy": version("bpy"),
                         "python": sys.version.split()[0]},
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def estimate_seconds(jobs: list[ClipJob], cfg: RenderConfig, engine: str, workers: int) -> float:
    """A rough wall-clock estimate for rendering ``jobs``."""
    per_mpx, per_clip = COST[engine]
    mpx = cfg.resolution[0] * cfg.resolution[1] / 1e6
    fps_scale = (cfg.fps or 24) / 24 / cfg.factors.get("speed", 1.0)
    total = sum((cfg.factors.get("frames") or j.fine.frames * fps_scale) * per_mpx * mpx + per_clip for j in jobs)
    parallel = 1 if engine == "cycles" else max(1, min(workers, usable_cpus()))
    return total / (1 + (parallel - 1) * PARALLEL_EFFICIENCY)


def render_dataset(cfg: RenderConfig, dry_run: bool = False, echo: Callable[[str], None] = print) -> int:
    """Run ``synta render``; returns the exit code (0 all done, 1 some clips failed).

    Raises ValueError for bad options, OSError when ``--out`` is unusable, FatalRenderError when the
    disk fills up or becomes unwritable mid-run.
    """
    fine = select_classes(cfg.classes, cfg.set_id)
    everything = plan_dataset(cfg.n, fine, cfg.camera)
    jobs = shard(everything, cfg.num_shards, cfg.shard_id)
    engine, why = resolve_engine(cfg.engine)
    if cfg.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {cfg.workers}")
    lists = background_lists(cfg.backgrounds) if cfg.background == "realistic" else None
    for gap in plan_gaps(everything, fine, cfg.camera):
        echo(f"warning: {gap}")
    if dry_run:
        finished = _finished(cfg.out, jobs)
        todo = [j for j in jobs if j.stem not in finished]
        for j in jobs:
            echo(f"{j.stem}.mp4  {j.split}  {j.camera}  {'done' if j.stem in finished else 'todo'}")
        eta = estimate_seconds(todo, cfg, engine, cfg.workers)
        echo(f"{len(jobs)} clips ({len(todo)} to render, {len(jobs) - len(todo)} finished) of "
             f"{len(everything)} in the dataset; {why}; {cfg.workers} workers; "
             f"estimated {time.strftime('%H:%M:%S', time.gmtime(eta))} (rough)")
        return 0

    _check_writable(cfg.out)
    # One run per shard at a time: a second one would delete this one's .partial/ folder.
    with folder_lock(cfg.out, f".lock-shard{cfg.shard_id}", "render output folder"):
        return _render_locked(cfg, engine, why, everything, jobs, lists, echo)


def _render_locked(cfg: RenderConfig, engine: str, why: str, everything: list[ClipJob], jobs: list[ClipJob],
                   lists: dict[str, list[str]] | None, echo: Callable[[str], None]) -> int:
    start = time.monotonic()
    finished = _finished(cfg.out, jobs)
    todo = [j for j in jobs if j.stem not in finished]
    check_dataset_json(cfg.out, _description(cfg, engine, everything, lists))
    workers = min(cfg.workers, max(len(todo), 1))
    echo(f"{why}; {len(todo)} of {len(jobs)} clips to render" + (f" with {workers} workers" if todo else ""))
    partial = cfg.out / ".partial" / f"shard{cfg.shard_id}"
    shutil.rmtree(partial, ignore_errors=True)  # left by a killed run of this shard
    partial.mkdir(parents=True)
    options = RenderOptions(
        engine=engine, samples=cfg.samples, denoise=cfg.denoise, device="GPU" if gpu_available() else "CPU",
        background_images=tuple((k, tuple(v)) for k, v in (lists or {}).items()),
        threads=max(1, usable_cpus() // workers))
    failed = 0

    with Progress(len(todo), "render", "clip") as progress:
        def done(task: Task, ok: bool) -> None:
            nonlocal failed
            failed += not ok
            progress.update(**({"failed": failed} if failed else {}))

        result = run_pool([Task(j, _spec_args(cfg), str(cfg.out), str(partial)) for j in todo], options,
                          cfg.workers, RECYCLE_EVERY, done)
    shutil.rmtree(partial, ignore_errors=True)
    with contextlib.suppress(OSError):  # other shards may still be using it
        partial.parent.rmdir()
    failures = cfg.out / f"failures{'' if cfg.num_shards == 1 else f'.shard{cfg.shard_id}'}.txt"
    if result.failures:
        write_atomic(failures, "".join(f"{stem}\t{err.splitlines()[0]}\n" for stem, err in result.failures.items()))
        echo(f"{len(result.failures)} clips failed; see {failures}")
    else:
        failures.unlink(missing_ok=True)
    for stem in result.seconds:  # checked by the worker before it moved the clip into place
        finished[stem] = json.loads((cfg.out / f"{stem}.json").read_text())
    wall = time.monotonic() - start
    echo(f"rendered {len(result.seconds)} clips in {time.strftime('%H:%M:%S', time.gmtime(wall))}"
         + (f" ({len(result.seconds) / wall * 3600:.0f} clips/h)" if result.seconds else ""))
    if cfg.num_shards == 1:
        index_dataset(cfg.out, everything, echo, finished)
    else:
        echo(f"shard {cfg.shard_id}/{cfg.num_shards} done; when every shard is, run: "
             f"synta render --merge --out {cfg.out}")
    return 1 if result.failures else 0


def _finished(out: Path, jobs: list[ClipJob]) -> dict[str, dict[str, Any]]:
    """Sidecars of the clips of ``jobs`` already finished in ``out``, by stem (each one verified)."""
    if not out.exists():
        return {}
    return {j.stem: sc for j in jobs if (sc := read_finished(out, j)) is not None}


def index_dataset(out: Path, jobs: list[ClipJob], echo: Callable[[str], None] = print,
                  known: dict[str, dict[str, Any]] | None = None) -> int:
    """Write manifest.csv and the split files for the finished clips of ``jobs`` (``known``: sidecars
    already verified, by stem; default: verify every clip on disk); returns how many are missing."""
    known = _finished(out, jobs) if known is None else known
    finished = [(j, known[j.stem]) for j in jobs if j.stem in known]
    write_index(out, finished)
    missing = len(jobs) - len(finished)
    echo(f"{out}: {len(finished)} of {len(jobs)} clips finished" + (f", {missing} missing" if missing else "")
         + "; wrote manifest.csv and splits/")
    return missing


def merge_dataset(out: Path, echo: Callable[[str], None] = print) -> int:
    """``synta render --merge``: index a dataset rendered in shards (from its dataset.json)."""
    try:
        d = json.loads((out / "dataset.json").read_text())["dataset"]
    except (OSError, ValueError, KeyError):
        raise ValueError(f"{out} has no readable dataset.json (was it made by synta render?)") from None
    jobs = plan_dataset(d["n"], select_classes(d["classes"]), d["camera"])
    return 1 if index_dataset(out, jobs, echo) else 0


def _check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise OSError(f"cannot write to --out {out}: {err.strerror}") from None

