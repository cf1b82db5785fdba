"""Run logs: one CSV row per epoch and TensorBoard scalars, written by the main process only."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


class RunLogger:
    """Appends epoch rows to ``<dir>/log.csv`` and scalars to ``<dir>/tb``; silent on other ranks.

    On resume, rows of epochs after the checkpoint being resumed are dropped first, so the log never holds an
    epoch twice."""

    FIELDS = ("epoch", "step", "lr", "loss", "train_top1", "val_top1", "seconds", "clips_per_s")

    def __init__(self, directory: Path, enabled: bool = True, start_epoch: int = 0) -> None:
        self.enabled, self.path = enabled, directory / "log.csv"
        self._tb = None
        if not enabled:
            return
        directory.mkdir(parents=True, exist_ok=True)
        rows = []
        if self.path.is_file():
            with self.path.open(newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["epoch"]) <= start_epoch]
        with self.path.open("w", newline="") as f:
            writer = csv.DictWriter(f, self.FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        from torch.utils.tensorboard import SummaryWriter

        self._tb = SummaryWriter(str(directory / "tb"), purge_step=None)

    def scalar(self, tag: str, value: float, step: int) -> None:
        """One TensorBoard scalar."""
        if self._tb is not None:
            self._tb.add_scalar(tag, value, step)

    def epoch(self, row: dict[str, Any]) -> None:
        """One epoch's row (keys of :attr:`FIELDS`; missing ones stay empty)."""
        if not self.enabled:
            return
        with self.path.open("a", newline="") as f:
            csv.DictWriter(f, self.FIELDS).writerow({k: row.get(k, "") for k in self.FIELDS})
        for key in ("loss", "train_top1", "val_top1", "lr"):
            if row.get(key) not in (None, ""):
                self.scalar(f"epoch/{key}", float(row[key]), int(row["epoch"]))
        self._tb.flush()

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
