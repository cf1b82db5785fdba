"""``RenderOptions``: how a clip is rendered (never what is in it), and the bounds and choices of the
``synta render`` options. Kept free of bpy and of the generator, so the parent process and the command
line can use it without importing Blender or the mesh libraries."""
from __future__ import annotations

from dataclasses import dataclass

ENGINES = ("auto", "workbench", "cycles", "eevee")
DEFAULT_BACKGROUND = "realistic"  # of synta.generator.clip_spec.BACKGROUNDS: the paper's datasets show scenes
MAX_CLIPS = 1_000_000  # --n: ten times the largest dataset anyone renders; planning holds every job in memory
MAX_SIDE = 4096  # --resolution: per side; beyond it a frame no longer fits a worker's memory budget
MAX_SHARDS = 10_000  # --num-shards: a study plans one job per shard; at MAX_CLIPS still 100 clips a shard


@dataclass(frozen=True)
class RenderOptions:
    """Engine, sampling, threads and where background images come from."""

    engine: str = "workbench"  # "workbench", "cycles" or "eevee"
    samples: int = 16  # Cycles / EEVEE samples per pixel
    denoise: bool = True  # Cycles: OpenImageDenoise
    device: str = "CPU"  # Cycles: "CPU" or "GPU"
    threads: int = 0  # render threads per worker process; 0: Blender's default (all cores)
    background_images: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (list name, image paths)

    def image(self, list_name: str, index: int) -> str:
        """Path of image ``index`` (cycling) of background list ``list_name``."""
        for name, paths in self.background_images:
            if name == list_name:
                return paths[index % len(paths)]
        raise KeyError(f"no background image list {list_name!r}")
