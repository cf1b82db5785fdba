"""Time estimates of a study's jobs for ``synta study --dry-run``, from figures measured elsewhere.

Renders: ``synta render``'s own estimate (:func:`~synta.generator.render.run.estimate_seconds`: its
per-engine cost model, measured on a 2-core CPU) for each shard, with the shard's render workers.

Runs: ``assets/throughput.yaml`` (training clips/s per model and hardware, the README's measured figures).
For a model with a figure, one run costs::

    seconds = directions × tasks × epochs × (train + val / 3) / clips_per_s

with ``train`` the training clips of one set, ``val`` the validation clips of both sets (evaluated every
epoch; a forward pass is taken as a third of a training step) and ``epochs`` from the model's recipe with
the run's overrides. A figure is measured at the recipe's input (frames × size²) unless it says otherwise
(``{clips_per_s: R, frames: T, size: S}``, or a list of such figures at several inputs). Seconds per clip
are modelled as a fixed cost plus a cost per pixel, ``1 / clips_per_s = a + b · frames · size²``: with one
figure ``a = 0`` (cost scales with the pixels); with several, ``a`` and ``b`` are the least-squares line
through them (both kept ≥ 0). The fixed part matters on a CPU, where decoding and loading do not shrink
with the model's input: the 2-core figures for ``i3d_r50_tiny`` are 62 clips/s at 8 × 64² and 39 at
8 × 112², not the 20 that pixel scaling alone predicts. Clip counts come from the render plan of a rendered dataset, or from
the manifest of a path dataset that is on this machine. Runs without a figure or without clip counts are
counted separately, never guessed.
"""
from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from synta.benchmark.study.jobs import Job
from synta.benchmark.study.spec import DatasetDef, RunGroup, Study
from synta.cpus import usable_cpus


@dataclasses.dataclass(frozen=True)
class Estimate:
    """Seconds for one job (None: no figure) and the figure it is based on."""

    seconds: float | None
    basis: str
    hardware: str = ""  # the key in assets/throughput.yaml of a run's figure
    devices: int = 1  # GPUs a run holds for ``seconds`` (device-hours = seconds × devices)


def throughput_figures() -> dict[str, Any]:
    """``assets/throughput.yaml``: ``hardware`` descriptions and ``train_clips_per_s`` per model."""
    return yaml.safe_load((resources.files("synta.assets") / "throughput.yaml").read_text())


def _render_config(data: DatasetDef, root: Path, shards: int = 1, shard_id: int = 0, workers: int | None = None):
    from synta.generator.render.run import RenderConfig, parse_resolution

    settings = dict(data.render or {})
    settings["resolution"] = parse_resolution(str(settings.get("resolution", "256")))
    if settings.get("set_id") is not None:
        settings["set_id"] = int(settings["set_id"])
    if "no_denoise" in settings:
        settings["denoise"] = not settings.pop("no_denoise")
    classes = settings.pop("classes", None)
    settings["classes"] = [c for item in ([classes] if isinstance(classes, str) else classes or [])
                           for c in item.split(",") if c.strip()] or None
    settings.setdefault("workers", workers or usable_cpus())
    return RenderConfig(out=root, num_shards=shards, shard_id=shard_id, **settings)


def clip_counts(data: DatasetDef, root: Path) -> tuple[dict[int, int], int] | None:
    """Training clips per set and validation clips in all of ``data``, or None if unknown."""
    if data.render is not None:
        from synta.generator.render.plan import plan_dataset, select_classes

        cfg = _render_config(data, root)
        jobs = plan_dataset(cfg.n, select_classes(cfg.classes, cfg.set_id), cfg.camera)
        train = {s: sum(1 for j in jobs if j.split == "train" and j.fine.set == s) for s in (1, 2)}
        return train, sum(1 for j in jobs if j.split == "val")
    from synta.benchmark.data.manifest import read_manifest

    if not root.exists():
        return None
    try:
        manifest = read_manifest(root)
    except (OSError, ValueError):
        return None
    return {s: len(manifest.select("train", s)) for s in (1, 2)}, len(manifest.select("val"))


def render_estimate(job: Job, data: DatasetDef, workers: int | None = None) -> Estimate:
    """The shard's estimate from ``synta render``'s cost model, with ``workers`` render processes (default:
    the CPUs here) unless the study sets them."""
    from synta.generator.render.plan import plan_dataset, select_classes, shard
    from synta.generator.render.run import estimate_seconds, resolve_engine

    shards = data.shards
    shard_id = int(job.argv[job.argv.index("--shard-id") + 1]) if "--shard-id" in job.argv else 0
    cfg = _render_config(data, job.out, shards, shard_id, workers)
    engine, _ = resolve_engine(cfg.engine)
    jobs = shard(plan_dataset(cfg.n, select_classes(cfg.classes, cfg.set_id), cfg.camera), shards, shard_id)
    return Estimate(estimate_seconds(jobs, cfg, engine, cfg.workers),
                    f"{len(jobs)} clips, {engine}, {cfg.workers} workers (synta render's cost model)")


def seconds_per_clip(measured: list[tuple[int, float]], pixels: int) -> float:
    """Training seconds per clip of ``pixels`` (frames × size²) from ``measured`` (pixels, clips/s) figures
    (see the module docstring)."""
    points = np.array([(p, 1 / rate) for p, rate in measured], dtype=float)
    x, t = points[:, 0], points[:, 1]
    if len(points) == 1:
        return float(t[0] * pixels / x[0])
    b, a = np.polyfit(x, t, 1)
    if b < 0:  # measurements noisier than the pixel cost: a fixed cost only
        a, b = t.mean(), 0.0
    elif a < 0:  # no fixed cost: the least-squares line through the origin
        a, b = 0.0, float((t * x).sum() / (x * x).sum())
    return float(a + b * pixels)


def bench_estimate(group: RunGroup, model: str, data: DatasetDef, root: Path, figures: dict[str, Any]) -> Estimate:
    """One run's estimate (see the module docstring), or None seconds with the reason."""
    from synta.benchmark.recipe import model_recipe

    rates = figures["train_clips_per_s"].get(model)
    if not rates:
        return Estimate(None, "no throughput figure for this model")
    hardware, figure = next(iter(rates.items()))
    counts = clip_counts(data, root)
    if counts is None:
        return Estimate(None, "clip counts unknown (dataset not on this machine)")
    train, val = counts
    recipe, default = model_recipe(model, group.bench), model_recipe(model).clip
    frames = group.options.get("frames") or recipe.clip.frames
    pixels = frames * recipe.clip.transform.size ** 2
    measured = [(f.get("frames", default.frames) * f.get("size", default.transform.size) ** 2, f["clips_per_s"])
                for f in ({"clips_per_s": f} if not isinstance(f, dict) else f
                          for f in (figure if isinstance(figure, list) else [figure]))]
    rate = 1 / seconds_per_clip(measured, pixels)
    epochs = group.options.get("epochs") or recipe.train.epochs
    direction = str(group.options.get("set_direction", "both"))
    sets = (1, 2) if direction == "both" else (int(direction),)
    clips = sum(epochs * (train[s] + val / 3) for s in sets) * len(group.tasks)
    devices = max(1, group.gpus) if hardware != "cpu2" else 1  # a CPU figure is for the whole machine
    return Estimate(clips / (rate * devices), f"{rate:.3g} clips/s on {hardware} × {devices}, {epochs} epochs",
                    hardware, devices)


def estimate_jobs(study: Study, jobs: list[Job], roots: dict[str, Path],
                  render_workers: int | None = None) -> dict[str, Estimate]:
    """An :class:`Estimate` per job name (renders with ``render_workers`` processes, default the CPUs here)."""
    figures = throughput_figures()
    out: dict[str, Estimate] = {}
    for job in jobs:
        data = study.datasets[job.dataset]
        if job.kind == "render":
            out[job.name] = render_estimate(job, data, render_workers)
        elif job.kind == "bench":
            out[job.name] = bench_estimate(study.runs[job.group], job.model, data, roots[job.dataset], figures)
        else:
            out[job.name] = Estimate(None, "indexing only")
    return out
