"""Data-loading throughput: training clips per second through the DataLoader, with the seeking PyAV reader
against a baseline that decodes every frame of the video with PyAV and then samples, in the same run.

Both sides use the same manifest, samplers, transforms (random-resized crop to 224 px, flip, Kinetics
normalisation), batch size and worker count; only the decoding differs. Clips are 60-120-frame H.264 MP4s
encoded here like `synta render` writes them (456x256, a keyframe every 12 frames, no B-frames), or the
clips of a rendered dataset (--dataset). Target: >= 3x the baseline.

Shared machines are noisy, so the two sides are measured alternately --repeats times and each keeps its best.

    python benchmarks/data_throughput.py [--clips 24] [--workers 2] [--repeats 3] [--dataset DIR] [--gop 12]
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import torch

from synta.benchmark.data.dataset import ClipConfig, ClipLoader, SeededSampler, VideoClips, seed_worker
from synta.benchmark.data.labels import synta_classes
from synta.benchmark.data.manifest import Manifest, Video, read_manifest
from synta.benchmark.data.transforms import TransformConfig
from synta.benchmark.data.video import DecodeError

CONFIGS = [("dense 8x8", ClipConfig(frames=8, stride=8)), ("dense 16x4", ClipConfig(frames=16, stride=4)),
           ("uniform 8 (TSN)", ClipConfig(sampler="uniform", frames=8)),
           ("uniform 16 (TSN)", ClipConfig(sampler="uniform", frames=16))]


class DecodeEverything(VideoClips):
    """The baseline: decode every frame of the video to RGB with PyAV, then take the sampled ones."""

    def _decode(self, index: int, rng: np.random.Generator | None) -> list[torch.Tensor]:
        path = self.manifest.resolve(self.manifest.videos[index])
        try:
            with av.open(str(path)) as container:
                frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        except (av.error.FFmpegError, OSError) as err:
            raise DecodeError(path, str(err)) from None
        views = [self.sampler.train(len(frames), rng)] if rng is not None else \
            self.sampler.test(len(frames), self.clip.temporal_views)
        video = torch.from_numpy(np.stack([frames[i] for v in views for i in v])).permute(0, 3, 1, 2)
        return list(video.split(self.clip.frames))


def synthetic_clips(folder: Path, count: int, gop: int, bframes: int, width: int = 456, height: int = 256) -> Manifest:
    """``count`` clips of 60-120 frames: moving squares over a shaded background, a little sensor noise."""
    classes = synta_classes()
    rising = next(f for f in classes.fine if f.name == "rising1")
    yy, xx = np.mgrid[0:height, 0:width]
    background = np.stack([xx * 200 // width + 30, yy * 180 // height + 40, np.full_like(xx, 110)], -1)
    rng = np.random.default_rng(0)
    videos = []
    for k in range(count):
        frames = 60 + (k * 60) // max(count - 1, 1)
        path = folder / f"rising/rising1_id_{k + 1}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=24)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"g": str(gop), "bf": str(bframes), "crf": "18"}
            for t in range(frames):
                img = background.copy()
                for j, color in enumerate(((220, 40, 40), (40, 200, 60), (50, 60, 230))):
                    cx = int(width / 2 + (120 + 30 * j) * np.cos(t / 12 + 2 * j))
                    cy = int(height / 2 + 70 * np.sin(t / 9 + j))
                    img[max(cy - 24, 0):cy + 24, max(cx - 24, 0):cx + 24] = color
                img = np.clip(img + rng.integers(-3, 4, img.shape), 0, 255).astype(np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        videos.append(Video(str(path.relative_to(folder)), "train", 1, rising.coarse, rising.index, frames))
    return Manifest("synta", folder, classes, tuple(videos))


def clips_per_second(dataset: VideoClips, workers: int, batch_size: int, seconds: float) -> float:
    """Normalised clips per second through a :class:`ClipLoader` (as ``build_loader`` makes it, with
    persistent workers), over whole passes from the first batch on until ``seconds`` have passed."""
    sampler = SeededSampler(len(dataset), seed=0)
    loader = ClipLoader(torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, num_workers=workers, worker_init_fn=seed_worker,
        generator=torch.Generator().manual_seed(0), persistent_workers=workers > 0, drop_last=True))
    clips, start, epoch = 0, None, 0
    while start is None or time.perf_counter() - start < seconds:
        sampler.set_epoch(epoch)
        for batch in loader:
            if start is None:
                start = time.perf_counter()  # workers are up and the first batch is done
                continue
            clips += batch["video"].shape[0]
        epoch += 1
    return clips / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=24, help="synthetic clips to encode")
    parser.add_argument("--gop", type=int, default=12, help="keyframe interval of the synthetic clips")
    parser.add_argument("--bframes", type=int, default=0, help="B-frames of the synthetic clips")
    parser.add_argument("--dataset", type=Path, help="use the clips of this rendered Syn-TA folder instead")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="least duration of one measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternating measurements per side (best kept)")
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="synta-data-bench-"))
    try:
        if args.dataset:
            manifest = read_manifest(args.dataset)
            what = f"the {len(manifest)} clips of {args.dataset}"
        else:
            manifest = synthetic_clips(tmp, args.clips, args.gop, args.bframes)
            what = (f"{args.clips} synthetic 456x256 H.264 clips of 60-120 frames, keyframe every {args.gop} frames, "
                    f"{args.bframes} B-frames")
        frames = [v.num_frames for v in manifest.videos if v.num_frames]
        print(f"data throughput: {what} (mean {np.mean(frames):.0f} frames); {args.workers} workers, batch "
              f"{args.batch_size}, {args.size} px train transform; {os.cpu_count()} CPUs, torch {torch.__version__}, "
              f"PyAV {av.__version__}")
        print(f"{'clip':<18}{'ours clips/s':>14}{'decode-all clips/s':>20}{'ratio':>8}")
        transform = TransformConfig(size=args.size)
        for name, cfg in CONFIGS:
            cfg = ClipConfig(sampler=cfg.sampler, frames=cfg.frames, stride=cfg.stride, transform=transform)
            ours, base = 0.0, 0.0
            for _ in range(args.repeats):
                ours = max(ours, clips_per_second(VideoClips(manifest, "coarse", True, cfg), args.workers,
                                                  args.batch_size, args.seconds))
                base = max(base, clips_per_second(DecodeEverything(manifest, "coarse", True, cfg), args.workers,
                                                  args.batch_size, args.seconds))
            print(f"{name:<18}{ours:>14.1f}{base:>20.1f}{ours / base:>7.1f}x", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
