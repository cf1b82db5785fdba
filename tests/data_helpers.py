"""Small files the data tests write: MP4/WebM clips encoded with PyAV, and files in the reference's
label-CSV and split-list formats (with their quirks)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import av
import numpy as np


def frame_image(i: int, width: int, height: int) -> np.ndarray:
    """Frame ``i`` (< 256): green and blue spell its index (so a decoded frame tells it, despite lossy
    coding), red rises left to right (so a decoded frame tells whether it was mirrored)."""
    img = np.empty((height, width, 3), np.uint8)
    img[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    img[..., 1] = 4 * (i % 64) + 2
    img[..., 2] = 32 + 64 * (i // 64)
    return img


def frame_index(frame: np.ndarray) -> int:
    """The index ``frame_image`` drew into a decoded ``(H, W, 3)`` frame."""
    return int(round((float(frame[..., 1].mean()) - 2) / 4)) + 64 * int(float(frame[..., 2].mean()) // 64)


def encode(path: Path, frames: int = 60, width: int = 64, height: int = 36, gop: int = 12, bframes: int = 0,
           codec: str = "libx264", fps: int = 24, extra: dict[str, str] | None = None,
           faststart: bool = False) -> Path:
    """Encode ``frames`` frames of ``frame_image`` to ``path`` (keyframe every ``gop`` frames; with
    ``faststart`` the MP4 index comes first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", options={"movflags": "+faststart"} if faststart else {}) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": str(gop), "bf": str(bframes), **({"crf": "10"} if codec == "libx264" else {}),
                          **(extra or {})}
        for i in range(frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame_image(i, width, height), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def decode_all(path: Path) -> list[np.ndarray]:
    """Every frame, decoded the plain way (the reference the fast reader must match)."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def label_csv(names: list[str], quote_all: bool = False, final_newline: bool = False,
              trailing_empty_line: bool = False) -> str:
    """A label CSV as the reference writes them: ``id,name`` header; names with commas quoted."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["id", "name"])
    for i, name in enumerate(names):
        if quote_all:
            buf.write(f'{i},"{name}"\n')
        else:
            writer.writerow([i, name])
    text = buf.getvalue()
    if trailing_empty_line:
        return text + "\n"
    return text if final_newline else text.rstrip("\n")


def write_list(path: Path, lines: list[str], final_newline: bool) -> Path:
    """A split list: one record per line, with or without a final newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""))
    return path
