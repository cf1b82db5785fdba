"""Progress of long commands (rendering, training): a live tqdm bar on a terminal, a plain line every
``every`` seconds otherwise, so a SLURM log or ``| tee`` file reads line by line instead of holding one
carriage-return-separated line. Both show done/total, rate and time left in tqdm's own format.
"""
from __future__ import annotations

import sys
import time
from typing import IO

from tqdm import tqdm

LOG_EVERY_S = 30.0  # how often a non-terminal stream gets a progress line


class Progress:
    """Count ``total`` units of work (``unit``: "clip", "step"), labelled ``desc``."""

    def __init__(self, total: int, desc: str, unit: str, stream: IO[str] | None = None,
                 every: float = LOG_EVERY_S) -> None:
        self.stream = stream or sys.stderr
        self.total, self.desc, self.unit, self.every = total, desc, unit, every
        self.n, self.start, self.last = 0, time.monotonic(), time.monotonic()
        self.postfix: dict[str, object] = {}
        tty = getattr(self.stream, "isatty", lambda: False)()
        self.bar = tqdm(total=total, desc=desc, unit=unit, file=self.stream, dynamic_ncols=True,
                        leave=False) if tty else None

    def update(self, n: int = 1, **postfix: object) -> None:
        """Record ``n`` more units done; ``postfix`` (e.g. ``loss=0.7``) is shown after the counts."""
        self.n += n
        self.postfix.update(postfix)
        if self.bar is not None:
            if postfix:
                self.bar.set_postfix(self.postfix, refresh=False)
            self.bar.update(n)
            return
        now = time.monotonic()
        if now - self.last >= self.every:  # the command's own summary line marks the end
            self.last = now
            tail = ", ".join(f"{k}={v}" for k, v in self.postfix.items())
            self.stream.write(tqdm.format_meter(self.n, self.total, now - self.start, prefix=self.desc,
                                                unit=self.unit, postfix=tail or None, ascii=True) + "\n")
            self.stream.flush()

    def close(self) -> None:
        """Remove the terminal bar (the command prints its own summary line)."""
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
