"""How many CPUs this process may use."""
from __future__ import annotations

import os


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity mask, which a SLURM allocation, a container's cpuset
    or ``taskset`` narrows, not ``os.cpu_count()``, which counts the whole machine (64 workers on an
    8-CPU allocation would thrash)."""
    return len(os.sched_getaffinity(0)) or 1
