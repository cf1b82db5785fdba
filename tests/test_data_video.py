"""PyAV decoding: the seeking reader returns exactly the frames a full decode gives, for closed and open
GOPs, B-frames and VP9; short videos, downscaling, frame folders and broken files."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from synta.benchmark.data.video import DecodeError, FrameFolderReader, VideoReader, open_video, probe
from tests.data_helpers import decode_all, encode, frame_image, frame_index

ENCODINGS = {
    "h264-gop12": dict(gop=12),  # what `synta render` writes: keyframe every 12 frames, no B-frames
    "h264-gop250-bframes": dict(gop=250, bframes=3),
    "h264-open-gop": dict(gop=20, bframes=3, extra={"x264-params": "open-gop=1"}),
    "vp9-webm": dict(gop=30, codec="libvpx-vp9"),
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {name: encode(folder / f"{name}.{'webm' if 'vp9' in name else 'mp4'}", frames=90, **kw)
            for name, kw in ENCODINGS.items()}


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_reader_matches_a_full_decode(clips, name):
    reference = decode_all(clips[name])
    assert len(reference) == 90
    rng = np.random.default_rng(0)
    cases = [[0], [89], [89, 0, 7, 7], list(range(0, 90, 8)), list(range(30, 46)), [13, 14, 15, 58, 59, 60]]
    cases += [rng.choice(90, size=int(rng.integers(1, 9)), replace=False).tolist() for _ in range(12)]
    for indices in cases:
        with VideoReader(clips[name]) as reader:
            got = reader.read(indices)
        assert got.shape == (len(indices), 36, 64, 3) and got.dtype == np.uint8
        assert np.array_equal(got, np.stack([reference[i] for i in indices])), (name, indices)


def test_timestamps_are_used_not_the_slow_path(clips, monkeypatch):
    def fail(*args):
        raise AssertionError("fell back to decoding from the start")

    monkeypatch.setattr(VideoReader, "_read_in_order", fail)
    for name in ENCODINGS:
        with VideoReader(clips[name]) as reader:
            assert [frame_index(f) for f in reader.read([5, 40, 77])] == [5, 40, 77]


def test_one_reader_reads_many_times_and_threads(clips):
    with VideoReader(clips["h264-gop12"], threads=0) as reader:
        assert [frame_index(f) for f in reader.read([60, 61])] == [60, 61]
        assert [frame_index(f) for f in reader.read([0, 2])] == [0, 2]
        assert [frame_index(f) for f in reader.read([89])] == [89]


def test_probe(clips):
    info = probe(clips["h264-gop12"])
    assert (info.num_frames, info.fps, info.width, info.height) == (90, 24.0, 64, 36)
    assert probe(clips["vp9-webm"]).num_frames == 90  # WebM has no frame count: estimated from the duration


def test_frames_past_the_end_repeat_the_last(clips):
    with VideoReader(clips["h264-gop12"]) as reader:
        assert [frame_index(f) for f in reader.read([88, 89, 90, 120])] == [88, 89, 89, 89]


def test_downscaling_while_decoding(clips):
    with VideoReader(clips["h264-gop12"], max_short_side=18) as reader:
        frames = reader.read([3])
    assert frames.shape == (1, 18, 32, 3) and frame_index(frames[0]) == 3
    with VideoReader(clips["h264-gop12"], max_short_side=100) as reader:
        assert reader.read([3]).shape == (1, 36, 64, 3)


def test_frame_folders(tmp_path):
    for i in range(12):
        Image.fromarray(frame_image(i, 32, 24)).save(tmp_path / f"img_{i + 1:05d}.jpg", quality=95)
    with open_video(tmp_path) as reader:
        assert isinstance(reader, FrameFolderReader) and reader.num_frames == 12
        frames = reader.read([11, 0, 5, 5])
    assert frames.shape == (4, 24, 32, 3) and [frame_index(f) for f in frames] == [11, 0, 5, 5]
    with pytest.raises(DecodeError, match="img_00013.jpg"):
        FrameFolderReader(tmp_path).read([12])


def test_broken_files_raise_decode_errors(tmp_path, clips):
    (tmp_path / "text.mp4").write_text("this is not a video\n" * 50)
    (tmp_path / "empty.mp4").write_bytes(b"")
    for name in ("text.mp4", "empty.mp4", "missing.mp4"):
        with pytest.raises(DecodeError, match=name):
            VideoReader(tmp_path / name)
    with pytest.raises(ValueError):
        with VideoReader(clips["h264-gop12"]) as reader:
            reader.read([-1])


def test_counting_and_last_frame(clips, tmp_path):
    with VideoReader(clips["h264-gop250-bframes"]) as reader:
        assert reader.count() == 90 and reader.last_index() == 89
    data = clips["h264-gop12"].read_bytes()
    faststart = encode(tmp_path / "fs.mp4", frames=90, faststart=True)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(faststart.read_bytes()[: len(data) // 2])  # the index survives, half the frames do not
    with VideoReader(cut) as reader:
        assert reader.num_frames == 90 and reader.last_index() < 60
