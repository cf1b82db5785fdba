"""``RenderOptions``: how a clip is rendered (never what is in it). Kept free of bpy so the parent
process can build it without importing Blender."""
from __future__ import annotations

from dataclasses import dataclass


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
