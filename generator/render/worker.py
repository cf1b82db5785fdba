"""Render worker processes and the pool that feeds them.

Each worker imports bpy once and renders clips one at a time, sent over its own pipe; it exits after
``max_tasks`` clips (recycling, so Blender's memory cannot grow over thousands of clips) and the pool
starts a fresh one. A worker that dies mid-clip (segfault, OOM kill) costs only that clip, which is
retried once and then reported. Every clip is rendered into a private partial folder and moved into the
dataset tree only when its video has been checked, video first and sidecar last: a clip is finished
exactly when its sidecar exists.
"""
from __future__ import annotations

import errno
import json
import multiprocessing as mp
import os
import shutil
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Callable

from synta.files import replace_durably, write_atomic
from synta.generator.render.dataset import video_ok
from synta.generator.render.plan import ClipJob

FATAL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES}
MAX_ATTEMPTS = 2
MIN_FREE_BYTES = 4 << 20  # below this a failed video write is taken for a full disk


class FatalRenderError(RuntimeError):
    """An error no retry can fix (disk full, read-only output): the run stops."""


@dataclass(frozen=True)
class Task:
    """Everything a worker needs to make one clip."""

    job: ClipJob
    spec_args: dict[str, Any]  # sample_clip keyword arguments besides the job's own
    out: str
    partial: str


def render_task(task: Task, options: Any) -> float:
    """Make one clip: spec, video, check, sidecar; returns render seconds. Runs in a worker."""
    from synta.generator import sample_clip, sidecar
    from synta.generator.render.blender import render_clip

    t0 = time.perf_counter()
    job = task.job
    spec = sample_clip(job.fine, job.clip_id, camera=job.camera, **task.spec_args)
    flat = job.stem.replace("/", "__")
    tmp_mp4 = Path(task.partial) / f"{flat}.mp4"
    tmp_mp4.unlink(missing_ok=True)
    render_clip(spec, tmp_mp4, options)
    if not video_ok(tmp_mp4, spec.num_frames, spec.resolution):
        if shutil.disk_usage(task.partial).free < MIN_FREE_BYTES:  # Blender's writer does not say why
            raise OSError(errno.ENOSPC, "No space left on device", task.partial)
        raise RuntimeError(f"{job.stem}.mp4 does not decode to {spec.num_frames} frames of {spec.resolution}")
    final = Path(task.out) / job.stem
    final.parent.mkdir(parents=True, exist_ok=True)
    replace_durably(tmp_mp4, final.with_suffix(".mp4"))  # video first, sidecar last: the sidecar marks it done
    write_atomic(final.with_suffix(".json"), json.dumps(sidecar(spec), separators=(",", ":")))
    return time.perf_counter() - t0


def _worker_main(conn: Connection, options: Any, max_tasks: int) -> None:
    # Blender prints a line per frame and GL probing noise; results and errors travel over the pipe
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    import synta.generator.render.blender  # noqa: F401  (import bpy once per worker)

    for _ in range(max_tasks):
        try:
            task = conn.recv()
        except EOFError:  # the parent is gone
            return
        if task is None:
            return
        try:
            conn.send(("ok", render_task(task, options)))
        except OSError as err:
            kind = "fatal" if err.errno in FATAL_ERRNOS else "error"
            conn.send((kind, f"{err.strerror or err} ({getattr(err, 'filename', '') or task.out})"))
        except Exception as err:  # noqa: BLE001 - any clip error is reported, the worker lives on
            conn.send(("error", f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=3)}"))


@dataclass
class _Worker:
    process: mp.Process
    conn: Connection
    task: Task | None = None
    done: int = 0  # tasks answered; the worker exits by itself after max_tasks


def _receive(conn: Connection) -> tuple[str, Any] | None:
    """The worker's answer if one is waiting; None if none is, or if the worker died (EOF)."""
    try:
        return conn.recv() if conn.poll() else None
    except (EOFError, OSError):
        return None


@dataclass
class PoolResult:
    """What a pool run achieved."""

    seconds: dict[str, float] = field(default_factory=dict)  # stem -> render seconds
    failures: dict[str, str] = field(default_factory=dict)  # stem -> last error


def run_pool(tasks: list[Task], options: Any, workers: int, max_tasks: int,
             on_done: Callable[[Task, bool], None]) -> PoolResult:
    """Render ``tasks`` with ``workers`` processes; ``on_done(task, ok)`` after each finished task.

    Raises FatalRenderError (after stopping every worker) when a clip hits a disk-full or permission
    error, which retrying cannot fix.
    """
    ctx = mp.get_context("spawn")  # a clean interpreter: bpy must not be forked
    queue, attempts, result = deque(tasks), {t.job.stem: 0 for t in tasks}, PoolResult()
    pool: list[_Worker] = []

    def start() -> _Worker:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker_main, args=(child, options, max_tasks), daemon=True)
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def finish(w: _Worker, ok: bool, payload: Any) -> None:
        task, w.task = w.task, None
        w.done += 1
        stem = task.job.stem
        attempts[stem] += 1
        if ok:
            result.seconds[stem] = payload
            on_done(task, True)
        elif attempts[stem] < MAX_ATTEMPTS:
            queue.appendleft(task)
        else:
            result.failures[stem] = payload
            on_done(task, False)

    try:
        pool = [start() for _ in range(min(workers, len(tasks)))]
        while queue or any(w.task for w in pool):
            for i, w in enumerate(pool):
                if w.task is None and queue:
                    if w.done >= max_tasks or not w.process.is_alive():
                        w.process.join()
                        w = pool[i] = start()
                    w.task = queue.popleft()
                    w.conn.send(w.task)
            busy = [w for w in pool if w.task is not None]
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for i, w in enumerate(pool):
                if w.task is None:
                    continue
                message = _receive(w.conn)
                if message is not None:
                    kind, payload = message
                    if kind == "fatal":
                        raise FatalRenderError(payload)
                    finish(w, kind == "ok", payload)
                elif not w.process.is_alive():
                    w.process.join()
                    finish(w, False, f"worker died (exit code {w.process.exitcode})")
                    pool[i] = start()
    finally:
        for w in pool:
            if w.process.is_alive():
                w.process.terminate()
            w.process.join(timeout=5)
    return result
