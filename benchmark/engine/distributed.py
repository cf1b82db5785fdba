"""Process-group setup for ``torchrun`` (DDP) and the single-process default.

``torchrun`` sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; without them we run one process on one GPU
(or the CPU). The backend is NCCL on CUDA and gloo on CPU, so the same command runs DDP on a laptop.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistEnv:
    """Where this process sits: ``rank`` of ``world_size`` processes, on ``device``."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def setup(device: str = "auto") -> DistEnv:
    """Initialise the process group when launched by ``torchrun`` and pick this process's device
    (``auto``: its local GPU if CUDA is available, else the CPU)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda":
        dev = torch.device("cuda", local if dev.index is None else dev.index)
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    return DistEnv(rank, world, local, dev)


def teardown(env: DistEnv) -> None:
    """Leave the process group (if one was set up)."""
    if env.distributed and dist.is_initialized():
        dist.destroy_process_group()


def all_gather(env: DistEnv, obj: Any) -> list[Any]:
    """Every rank's ``obj`` (a list of one element without DDP)."""
    if not env.distributed:
        return [obj]
    out: list[Any] = [None] * env.world_size
    dist.all_gather_object(out, obj)
    return out


def broadcast(env: DistEnv, obj: Any) -> Any:
    """Rank 0's ``obj`` on every rank."""
    if not env.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(env: DistEnv) -> None:
    """Wait for every rank."""
    if env.distributed:
        dist.barrier()
