"""Rendering throughput: seconds per frame and clips per hour per engine, scaling over worker processes,
against a reference-style configuration (EEVEE at 1920x1080, one process) measured in the same run.

Clips are rising1 (60 frames, one object) at the default 456x256 unless --resolution says otherwise.
Workbench renders whole 60-frame clips; slow engines render short clips (the same motion sped up) and
are extrapolated to 60 frames from their seconds per frame, which includes each clip's fixed cost.

    python benchmarks/render_throughput.py [--clips 8] [--engines workbench,cycles] [--skip-reference]
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from synta.generator.render.options import RenderOptions
from synta.generator.render.plan import plan_dataset, select_classes
from synta.generator.render.run import gpu_available, parse_resolution
from synta.generator.render.worker import Task, run_pool

CLIP_FRAMES = 60


def measure(engine: str, workers: int, clips: int, frames: int, resolution: tuple[int, int],
            samples: int = 16) -> tuple[float, float]:
    """Render ``clips`` clips of ``frames`` frames; returns (wall seconds, seconds per frame per process)."""
    jobs = plan_dataset(clips, select_classes(["rising1"]), camera="orbit")
    speed = CLIP_FRAMES / frames
    tmp = Path(tempfile.mkdtemp(prefix="synta-bench-"))
    try:
        tasks = [Task(j, {"background": "plain", "resolution": resolution, "speed": speed}, str(tmp), str(tmp))
                 for j in jobs]
        options = RenderOptions(engine=engine, samples=samples, device="GPU" if gpu_available() else "CPU",
                                threads=max(1, (os.cpu_count() or 1) // workers))
        t0 = time.perf_counter()
        result = run_pool(tasks, options, workers, max_tasks=1000, on_done=lambda task, ok: None)
        wall = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if result.failures:
        raise RuntimeError(f"{engine}: {next(iter(result.failures.values()))}")
    return wall, wall * workers / (clips * frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8, help="clips per Workbench measurement")
    parser.add_argument("--engines", default="workbench,cycles" + (",eevee" if gpu_available() else ""))
    parser.add_argument("--resolution", default="256")
    parser.add_argument("--skip-reference", action="store_true", help="skip the slow EEVEE 1920x1080 baseline")
    args = parser.parse_args()
    res = parse_resolution(args.resolution)
    cores = os.cpu_count() or 1
    rows = []
    for engine in args.engines.split(","):
        if engine == "workbench":
            for workers in sorted({1, cores}):
                wall, spf = measure(engine, workers, args.clips, CLIP_FRAMES, res)
                rows.append((f"workbench {res[0]}x{res[1]}", workers, spf, args.clips / wall * 3600))
        else:  # Cycles uses every core in one process; EEVEE needs a GPU to be quick
            wall, spf = measure(engine, 1, 2, 10, res)
            rows.append((f"{engine} {res[0]}x{res[1]} 16spp", 1, spf, 3600 / (spf * CLIP_FRAMES)))
    if not args.skip_reference:
        wall, spf = measure("eevee", 1, 1, 2, (1920, 1080))
        rows.append(("reference-style: eevee 1920x1080", 1, spf, 3600 / (spf * CLIP_FRAMES)))

    print(f"{cores} cores, GPU: {'yes' if gpu_available() else 'no'}; clips of {CLIP_FRAMES} frames")
    print(f"{'configuration':<36} {'workers':>7} {'s/frame/proc':>12} {'clips/hour':>11}")
    for name, workers, spf, cph in rows:
        print(f"{name:<36} {workers:>7} {spf:>12.3f} {cph:>11.0f}")
    workbench = [r for r in rows if r[0].startswith("workbench")]
    if workbench and not args.skip_reference:
        best = max(workbench, key=lambda r: r[3])
        print(f"ratio default (workbench, {best[1]} workers) / reference-style clips per hour: "
              f"{best[3] / rows[-1][3]:.0f}x  (target >= 100x; >= 300 clips/h: "
              f"{'met' if best[3] >= 300 else 'NOT met'})")


if __name__ == "__main__":
    main()
