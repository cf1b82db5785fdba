"""How long does one ClipSpec (and its sidecar) take to sample? Target: well under 50 ms per spec.

Baseline measured in the same run: serialising the spec to JSON, the least any renderer pays per clip
to hand a spec to a worker. Prints medians over every fine class x both cameras x N clips.

    python benchmarks/spec_sampling.py [--clips 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

from synta.generator import load_taxonomy, sample_clip, sidecar

TARGET_MS = 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=5, help="clips per class and camera")
    args = parser.parse_args()
    sample_ms, sidecar_ms, json_ms = [], [], []
    sample_clip("rising1", 1)  # build shape meshes and caches outside the timings
    for fine in load_taxonomy().fine:
        for camera in ("orbit", "front"):
            for clip_id in range(1, args.clips + 1):
                t0 = time.perf_counter()
                spec = sample_clip(fine, clip_id, camera=camera)
                t1 = time.perf_counter()
                sidecar(spec)
                t2 = time.perf_counter()
                json.dumps(spec.to_dict())
                t3 = time.perf_counter()
                sample_ms.append((t1 - t0) * 1e3)
                sidecar_ms.append((t2 - t1) * 1e3)
                json_ms.append((t3 - t2) * 1e3)

    def row(name: str, xs: list[float]) -> str:
        q = statistics.quantiles(xs, n=20)
        return f"{name:<22} median {statistics.median(xs):7.2f} ms   p95 {q[18]:7.2f} ms   max {max(xs):7.2f} ms"

    print(f"{len(sample_ms)} clips (100 classes x 2 cameras x {args.clips})")
    print(row("sample_clip", sample_ms))
    print(row("sidecar", sidecar_ms))
    print(row("baseline: spec -> JSON", json_ms))
    med = statistics.median(sample_ms)
    print(f"ratio sample_clip / JSON baseline (median): {med / statistics.median(json_ms):.2f}")
    print(f"ratio sample_clip / {TARGET_MS:.0f} ms target (median): {med / TARGET_MS:.3f}"
          f"   (p95: {statistics.quantiles(sample_ms, n=20)[18] / TARGET_MS:.3f})")


if __name__ == "__main__":
    main()
