"""How many CPUs this process may use, and how many worker processes a command may start."""
from __future__ import annotations

import os

# --workers / --loader-workers: more than the cores of any node these commands run on, few enough that a
# typo (99999) is refused instead of forking until the machine stalls
MAX_WORKERS = 128


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity mask, which a SLURM allocation, a container's cpuset
    or ``taskset`` narrows, not ``os.cpu_count()``, which counts the whole machine (64 workers on an
    8-CPU allocation would thrash)."""
    return len(os.sched_getaffinity(0)) or 1
