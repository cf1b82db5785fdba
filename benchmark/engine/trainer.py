"""One training and evaluation loop for every model of the zoo.

The loop is the usual one (mixed precision, gradient accumulation, clipping, warm-up + cosine schedule,
optional EMA of the weights, DDP) plus the two things the protocol needs:

- text models are fed the encoded label space (:meth:`~synta.models.base.VideoModel.encode_labels`):
  once per evaluation, and once per training epoch unless the text side trains (then every step);
- evaluation averages the softmax over a video's views and gathers predictions from every rank, keyed by
  video index, so 1 and N processes give the same metrics on the same data.

Checkpoints are written at the end of every epoch (``last.pt``; ``best.pt`` by known-set validation
accuracy when it is measured). Sample randomness depends only on (seed, epoch, video) and the global
generators are restored from the checkpoint, so a resumed run ends with the same weights as an
uninterrupted one.
"""
from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from synta.benchmark.data.dataset import ClipLoader
from synta.benchmark.engine.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from synta.benchmark.engine.distributed import DistEnv, all_gather
from synta.benchmark.engine.logger import RunLogger
from synta.benchmark.engine.optim import build_optimizer, build_scheduler
from synta.models.label_space import LabelSpace
from synta.benchmark.recipe import Recipe
from synta.models.base import as_output, model_loss
from synta.progress import Progress

log = logging.getLogger(__name__)


@dataclass
class Predictions:
    """Per-video evaluation results in dataset order: ``probs`` is ``(N, classes)``."""

    indices: np.ndarray
    targets: np.ndarray
    probs: np.ndarray
    failed: int

    @property
    def predictions(self) -> np.ndarray:
        return self.probs.argmax(axis=1)

    def top1(self) -> float:
        """Top-1 accuracy in percent."""
        return float(100.0 * (self.predictions == self.targets).mean()) if len(self.targets) else 0.0


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of a recipe's precision on ``device`` (None: full fp32)."""
    if precision == "auto":
        return torch.bfloat16 if device.type == "cuda" else None
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


class Trainer:
    """Trains ``model`` on one label space with ``recipe`` and evaluates it on any label space.

    ``run_dir`` receives ``checkpoints/``, ``log.csv`` and ``tb/``. ``model`` is the bare module; the
    trainer moves it to ``env.device`` and wraps it in DDP when several processes run.
    """

    def __init__(self, model: nn.Module, recipe: Recipe, env: DistEnv, run_dir: Path, space: LabelSpace) -> None:
        self.recipe, self.env, self.run_dir, self.space = recipe, env, Path(run_dir), space
        self.model = model.to(env.device)
        self.uses_text = bool(getattr(model, "uses_text", False))
        self.train_cfg = recipe.train
        self.dtype = autocast_dtype(self.train_cfg.precision, env.device)
        self.scaler = torch.amp.GradScaler(env.device.type, enabled=self.dtype == torch.float16)
        self.criterion = nn.CrossEntropyLoss(label_smoothing=self.train_cfg.label_smoothing)
        self.ema = AveragedModel(self.model, multi_avg_fn=get_ema_multi_avg_fn(self.train_cfg.ema),
                                 use_buffers=True) if self.train_cfg.ema else None
        self.ddp = DistributedDataParallel(self.model, device_ids=[env.device.index] if env.device.type == "cuda"
                                           else None) if env.distributed else None
        self.epoch, self.step, self.best = 0, 0, -1.0
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler = None

    @property
    def checkpoint_dir(self) -> Path:
        return self.run_dir / "checkpoints"

    @property
    def eval_model(self) -> nn.Module:
        """The weights evaluated: the EMA if enabled, else the trained model."""
        return self.ema.module if self.ema is not None else self.model

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.env.device.type, dtype=self.dtype)

    def _forward(self, module: nn.Module, video: torch.Tensor, labels: Any) -> Any:
        return module(video, labels=labels) if self.uses_text else module(video)

    # ------------------------------------------------------------------ training

    def fit(self, loader: ClipLoader, val_loader: ClipLoader | None = None, resume: bool = False,
            stop_after: int | None = None) -> bool:
        """Train for the recipe's epochs (from ``last.pt`` if ``resume``); returns False if it stopped early
        because ``stop_after`` epochs were run in this call (resume later to go on)."""
        steps_per_epoch = max(1, len(loader) // self.train_cfg.accumulate)
        self.optimizer = build_optimizer(self.model, self.recipe.optim)
        self.scheduler = build_scheduler(self.optimizer, self.recipe.optim, steps_per_epoch, self.train_cfg.epochs)
        last = self.checkpoint_dir / "last.pt"
        if resume and last.is_file():
            self._restore(load_checkpoint(last))
            log.info("resumed %s at epoch %d", self.run_dir, self.epoch)
        logger = RunLogger(self.run_dir, self.env.is_main, self.epoch)
        try:
            run = 0
            while self.epoch < self.train_cfg.epochs:
                if stop_after is not None and run >= stop_after:
                    return False
                row = self._train_epoch(loader, logger)
                self.epoch += 1
                run += 1
                if val_loader is not None and (self.epoch % self.train_cfg.eval_every == 0
                                               or self.epoch == self.train_cfg.epochs):
                    row["val_top1"] = self.evaluate(val_loader, self.space).top1()
                self._save(row.get("val_top1"))
                logger.epoch({"epoch": self.epoch, **row})
                if self.env.is_main:
                    stats = ", ".join(f"{k} {v:.4g}" for k, v in row.items() if isinstance(v, float))
                    log.info("%s/%s epoch %d/%d: %s", self.run_dir.parent.name, self.run_dir.name, self.epoch,
                             self.train_cfg.epochs, stats)
        finally:
            logger.close()
        return True

    def _train_epoch(self, loader: ClipLoader, logger: RunLogger) -> dict[str, Any]:
        self.model.train()
        loader.sampler.set_epoch(self.epoch)
        labels = self._fixed_labels()
        total_loss, correct, seen, start = 0.0, 0, 0, time.perf_counter()
        usable = len(loader) - len(loader) % self.train_cfg.accumulate  # an incomplete accumulation is dropped
        desc = f"{self.run_dir.parent.name}/{self.run_dir.name} epoch {self.epoch + 1}/{self.train_cfg.epochs}"
        progress = Progress(usable, desc, "batch") if self.env.is_main else None
        with progress or contextlib.nullcontext():
            for micro, batch in enumerate(loader):
                if micro >= usable:
                    break
                value, right, n = self._micro_step(batch, micro, labels)
                total_loss, correct, seen = total_loss + value * n, correct + right, seen + n
                if (micro + 1) % self.train_cfg.accumulate == 0:
                    logger.scalar("train/loss", value, self.step)
                    logger.scalar("train/lr", self.optimizer.param_groups[0]["lr"], self.step)
                if progress is not None:
                    progress.update(loss=f"{value:.3f}")
        elapsed = time.perf_counter() - start
        stats = torch.tensor([total_loss, correct, seen], dtype=torch.float64)
        totals = sum(all_gather(self.env, stats))
        n = max(1.0, float(totals[2]))
        return {"step": self.step, "lr": self.optimizer.param_groups[0]["lr"], "loss": float(totals[0]) / n,
                "train_top1": 100.0 * float(totals[1]) / n, "seconds": elapsed,
                "clips_per_s": float(totals[2]) / elapsed if elapsed else 0.0}

    def _fixed_labels(self) -> Any:
        """Text embeddings of the label space for text models whose text tower is frozen (computed once per
        epoch), else None."""
        if self.uses_text and not self.model.trains_text:
            with torch.no_grad():
                return self.model.encode_labels(self.space)
        return None

    def _micro_step(self, batch: dict[str, Any], micro: int, labels: Any) -> tuple[float, int, int]:
        """Forward and backward of one batch, and the optimiser step when an accumulation is complete;
        returns (loss, correct predictions, clips)."""
        net = self.ddp or self.model
        video, target = batch["video"], batch["label"].to(self.env.device)
        sync = (micro + 1) % self.train_cfg.accumulate == 0
        ctx = net.no_sync() if self.ddp is not None and not sync else contextlib.nullcontext()
        with ctx:
            with self._autocast():
                batch_labels = self.model.encode_labels(self.space) if self.uses_text and labels is None else labels
                output = as_output(self._forward(net, video, batch_labels))
                fine = batch["fine"].to(self.env.device) if "fine" in batch else None
                loss = sum(model_loss(self.model, output, target, self.criterion, fine=fine).values())
            self.scaler.scale(loss / self.train_cfg.accumulate).backward()
        if sync:
            self._optimizer_step()
        return float(loss.detach()), int((output.logits.detach().argmax(1) == target).sum()), len(target)

    def time_batches(self, loader: ClipLoader, batches: int = 3) -> tuple[float, float]:
        """Wall seconds of a pass's start (the first batch, with the loader's workers starting, minus a
        batch) and the median of one training batch (loading, forward, backward, optimiser) over ``batches``
        more: the figures behind ``synta bench --dry-run``'s estimate. The weights change; the caller throws
        the trainer away."""
        self.optimizer = build_optimizer(self.model, self.recipe.optim)
        self.scheduler = build_scheduler(self.optimizer, self.recipe.optim, max(1, len(loader)), self.train_cfg.epochs)
        self.model.train()
        loader.sampler.set_epoch(0)
        labels, times, start = self._fixed_labels(), [], time.perf_counter()
        for micro, batch in enumerate(loader):
            self._micro_step(batch, micro, labels)
            times.append(time.perf_counter() - start)
            start = time.perf_counter()
            if len(times) > batches:
                break
        per_batch = float(np.median(times[1:] if len(times) > 1 else times))
        return max(0.0, times[0] - per_batch), per_batch

    def _optimizer_step(self) -> None:
        if self.train_cfg.clip_grad:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_([p for g in self.optimizer.param_groups for p in g["params"]],
                                     self.train_cfg.clip_grad)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        self.step += 1

    # ------------------------------------------------------------------ checkpoints

    def _state(self) -> dict[str, Any]:
        state = {"epoch": self.epoch, "step": self.step, "best": self.best, "model": self.model.state_dict(),
                 "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                 "scaler": self.scaler.state_dict(), "rng": rng_state()}
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        return state

    def _save(self, val_top1: float | None) -> None:
        if not self.env.is_main:
            return
        improved = val_top1 is not None and val_top1 > self.best
        if improved:
            self.best = val_top1
        state = self._state()
        save_checkpoint(self.checkpoint_dir / "last.pt", state)
        if improved:
            save_checkpoint(self.checkpoint_dir / "best.pt", state)

    def _restore(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        if self.ema is not None and "ema" in state:
            self.ema.load_state_dict(state["ema"])
        self.epoch, self.step, self.best = int(state["epoch"]), int(state["step"]), float(state["best"])
        set_rng_state(state["rng"])

    def load_weights(self, path: Path) -> None:
        """Load the (EMA or trained) weights of a checkpoint for evaluation."""
        state = load_checkpoint(path)
        self.model.load_state_dict(state["model"])
        if self.ema is not None and "ema" in state:
            self.ema.load_state_dict(state["ema"])

    # ------------------------------------------------------------------ evaluation

    @torch.no_grad()
    def evaluate(self, loader: ClipLoader, space: LabelSpace) -> Predictions:
        """Class probabilities of every video of ``loader`` among the classes of ``space`` (averaged over
        views), gathered from all ranks; labels are encoded once for the whole evaluation."""
        model = self.eval_model
        model.eval()
        labels = model.encode_labels(space) if self.uses_text else None
        if not self.uses_text and getattr(model, "num_classes", len(space)) != len(space):
            raise ValueError(f"model has {model.num_classes} outputs but the label space {len(space)} classes")
        indices, targets, probs, failed = [], [], [], 0
        for batch in loader:
            video = batch["video"]  # (B, V, ...) test views
            b, v = video.shape[:2]
            with self._autocast():
                logits = as_output(self._forward(model, video.flatten(0, 1), labels)).logits
            p = logits.float().softmax(-1).view(b, v, -1).mean(1)
            indices.append(batch["index"].numpy())
            targets.append(batch["label"].numpy())
            probs.append(p.cpu().numpy())
            failed += int(batch["failed"].sum())
        local = (np.concatenate(indices), np.concatenate(targets), np.concatenate(probs), failed)
        parts = all_gather(self.env, local)
        idx = np.concatenate([p[0] for p in parts])
        order = np.unique(idx, return_index=True)[1]  # ranks pad by repeating videos: keep one of each
        return Predictions(idx[order], np.concatenate([p[1] for p in parts])[order],
                           np.concatenate([p[2] for p in parts])[order], sum(p[3] for p in parts))
