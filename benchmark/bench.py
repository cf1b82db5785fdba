"""``synta bench``: train and evaluate one model under the transfer protocol and write a run folder.

Run folder::

    <output>/config.yaml                  what was run: model, recipe, dataset, seed, command
    <output>/results.json                 every metric per task and direction, and their means
    <output>/<task>/set<A>/checkpoints/   last.pt (every epoch), best.pt (best known-set val top-1)
    <output>/<task>/set<A>/log.csv, tb/   per-epoch log and TensorBoard scalars
    <output>/<task>/set<A>/predictions_{known,unknown}.csv
    <output>/<task>/set<A>/result.json    this direction's numbers (written last: the direction is done)

Reported numbers come from the weights at the end of training (the EMA if enabled), never from a checkpoint
selected on the evaluation videos. A killed run continues with ``--resume``: finished directions are
skipped and the running one restarts from its last epoch checkpoint.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml

from synta import __version__
from synta.benchmark.data.dataset import ClipLoader, build_loader
from synta.benchmark.data.datasets import canonical_dataset
from synta.benchmark.data.manifest import Manifest, read_manifest
from synta.benchmark.engine import DistEnv, Predictions, Trainer
from synta.benchmark.engine.checkpoint import CheckpointError, load_checkpoint
from synta.benchmark.engine.distributed import barrier, broadcast
from synta.benchmark.metrics import METRIC_KEYS, METRIC_NAMES, accuracy_report, mean_metrics, transfer_metrics
from synta.benchmark.protocol import Direction, directions, label_space, scores_unknown
from synta.benchmark.recipe import Recipe, model_recipe
from synta.benchmark.results import FORMAT
from synta.errors import InputError, RuntimeFailure, one_line
from synta.files import folder_lock, read_text_input, write_atomic
from synta.generator.taxonomy import TASKS
from synta.models.label_space import LabelSpace
from synta.models.registry import ModelInfo, build, get_info
from synta.models.weights import WeightsError, WeightsUnavailable, read_state_dict

log = logging.getLogger(__name__)

UNIMODAL_FINE_NOTE = ("fine U needs a model that classifies by text: unimodal models are scored on the known "
                      "set's fine classes only (FineMotion-K)")


class BenchError(InputError):
    """A bench run cannot start (bad data root, existing output, ...): one line for the user."""


@dataclass(frozen=True)
class BenchConfig:
    """One ``synta bench`` invocation."""

    model: str
    dataset: str = "synta"
    data_root: Path = Path("synta_data")
    tasks: tuple[str, ...] = ("coarse",)
    set_direction: str = "both"
    output: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    workers: int = 2
    resume: bool = False
    weights: Path | None = None
    pretrained: bool = False
    zero_shot: bool = False
    eval_from: Path | None = None
    stop_after: int | None = None
    overwrite: bool = False
    command: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # One spelling from here on (k400-ta → k400_ta): manifests, the flip policy and run folders use it.
        try:
            object.__setattr__(self, "dataset", canonical_dataset(self.dataset))
        except ValueError as err:
            raise BenchError(str(err)) from None

    def run_dir(self) -> Path:
        """``output`` or ``runs/<model>_<dataset>``."""
        return self.output or Path("runs") / f"{self.model}_{self.dataset}"


REPLAYED = ("model", "dataset", "data_root", "tasks", "set_direction", "seed", "weights", "pretrained", "zero_shot",
            "eval_from")  # the BenchConfig fields a run's config.yaml gives back (with its recipe)


def read_run_config(path: Path) -> dict[str, Any]:
    """A run's ``config.yaml`` for ``synta bench --config``: the fields of :data:`REPLAYED` and ``recipe``
    (the resolved recipe, which replays as overrides of the model's recipe file). Raises :class:`BenchError`."""
    try:
        raw = yaml.safe_load(read_text_input(path, BenchError))
    except FileNotFoundError:
        raise BenchError(f"{path}: no such file") from None
    except yaml.YAMLError as err:
        raise BenchError(f"{path}: not valid YAML ({one_line(err)})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("model"), str) or not isinstance(raw.get("recipe"), dict):
        raise BenchError(f"{path}: not the config.yaml of a synta bench run")
    tasks = raw.get("tasks", ["coarse"])
    if not isinstance(tasks, list) or not tasks or not set(tasks) <= set(TASKS):
        raise BenchError(f"{path}: tasks must be a list of {', '.join(TASKS)}")
    if not isinstance(raw.get("seed", 0), int) or str(raw.get("set_direction", "both")) not in ("1", "2", "both"):
        raise BenchError(f"{path}: seed must be an integer and set_direction 1, 2 or both")
    return {k: raw[k] for k in (*REPLAYED, "recipe") if k in raw}


def load_dataset(cfg: BenchConfig) -> Manifest:
    """The manifest under ``cfg.data_root`` (a rendered Syn-TA tree or a prepared manifest CSV)."""
    try:
        manifest = read_manifest(cfg.data_root)
    except (FileNotFoundError, ValueError) as err:
        hint = {"synta": "render one with `synta render`"}.get(cfg.dataset, "make one with `synta data prepare`")
        raise BenchError(f"--data-root {cfg.data_root}: {err} ({hint})") from None
    if manifest.dataset != cfg.dataset:
        raise BenchError(f"--data-root {cfg.data_root} holds {manifest.dataset}, not {cfg.dataset}")
    return manifest


def dataset_variant(cfg: BenchConfig) -> dict[str, Any]:
    """The factors of a rendered Syn-TA dataset (``dataset.json``), else empty."""
    root = cfg.data_root if cfg.data_root.is_dir() else cfg.data_root.parent
    path = root / "dataset.json"
    try:
        return dict(json.loads(path.read_text())["dataset"]) if path.is_file() else {}
    except (ValueError, KeyError, TypeError):
        return {}


def _config_record(cfg: BenchConfig, info: ModelInfo, recipe: Recipe) -> dict[str, Any]:
    record = {"model": info.name, "family": info.family, "dataset": cfg.dataset,
            "data_root": str(Path(cfg.data_root).resolve()), "tasks": list(cfg.tasks),
            "set_direction": cfg.set_direction, "seed": cfg.seed, "zero_shot": cfg.zero_shot,
              "eval_from": str(Path(cfg.eval_from).resolve()) if cfg.eval_from else None,
            "pretrained": cfg.pretrained, "weights": str(cfg.weights) if cfg.weights else None,
            "recipe": recipe.to_dict()}
    return json.loads(json.dumps(record))  # plain lists and dicts, as they read back from config.yaml


@contextlib.contextmanager
def run_folder(cfg: BenchConfig, record: dict[str, Any], env: DistEnv) -> Iterator[Path]:
    """Hold the run folder for the ``with`` block: rank 0 locks it (a second run into it is refused at
    once), creates it or checks that a resumed one was made by the same configuration, and tells the other
    ranks, so they never race on ``config.yaml``."""
    out = cfg.run_dir()
    with contextlib.ExitStack() as stack:
        error = None
        if env.is_main:
            try:
                stack.enter_context(folder_lock(out, what="run folder"))
                error = _check_output(cfg, record, out)
            except InputError as err:
                error = str(err)
        error = broadcast(env, error)
        if error:
            raise BenchError(error)
        yield out


def has_progress(out: Path) -> bool:
    """Whether run folder ``out`` holds anything a resume would keep: a finished direction or an epoch
    checkpoint. A folder with only ``config.yaml`` (a start that failed) holds none."""
    return any(out.glob("*/*/result.json")) or any(out.glob("*/*/checkpoints/last.pt"))


def _check_output(cfg: BenchConfig, record: dict[str, Any], out: Path) -> str | None:
    """Refuse an unusable or occupied ``out``, else (re)write its ``config.yaml``; returns the error."""
    path = out / "config.yaml"
    if path.exists() and (cfg.overwrite or not has_progress(out)):
        for task in TASKS:  # only what a run writes; anything else in the folder stays
            shutil.rmtree(out / task, ignore_errors=True)
        for name in ("results.json", "config.yaml"):
            (out / name).unlink(missing_ok=True)
    elif path.exists():
        if not cfg.resume:
            return (f"{out} already holds a run; pass --resume to continue it, --overwrite to start it again, "
                    f"or choose another --out")
        try:
            old = yaml.safe_load(read_text_input(path))
        except (InputError, yaml.YAMLError) as err:
            return f"{path}: not a readable run config ({one_line(err)}); use another --out or --overwrite"
        if not isinstance(old, dict) or {k: v for k, v in old.items() if k != "command"} != record:
            return f"{out} holds a run with another configuration (see its config.yaml); use another --out"
        return None
    if cfg.resume and not has_progress(out):
        log.warning("%s: nothing to resume (no finished direction or checkpoint); starting the run", out)
    write_atomic(path, yaml.safe_dump({**record, "command": list(cfg.command)}, sort_keys=False))
    return None


def check_inputs(cfg: BenchConfig, info: ModelInfo, manifest: Manifest) -> None:
    """Everything a run reads, checked before its folder is touched: the clips each direction needs, the
    ``--weights`` file and the ``--eval-from`` checkpoints. Raises :class:`BenchError`."""
    trains = not (cfg.zero_shot or cfg.eval_from)
    for task in cfg.tasks:
        for direction in directions(task, cfg.set_direction):
            a, b = direction.train_set, direction.unknown_set
            needed = ([("train", a)] if trains else []) + [("val", a)]
            needed += [("val", b)] if scores_unknown(task, info.uses_text) else []
            for split, s in needed:
                if not manifest.select(split, s).videos:
                    hint = ("; render more clips (`synta render --n` of at least 4 x classes gives every class "
                            "a train and a val clip on both cameras)" if cfg.dataset == "synta" else "")
                    raise BenchError(f"{cfg.data_root} has no {split} videos of Set {s}{hint}")
            if cfg.eval_from:
                trained = Path(cfg.eval_from) / task / direction.name / "checkpoints" / "last.pt"
                try:
                    load_checkpoint(trained)
                except FileNotFoundError:
                    raise BenchError(f"--eval-from {cfg.eval_from}: no trained {task}/{direction.name} "
                                     f"weights") from None
                except CheckpointError as err:
                    raise BenchError(f"--eval-from: {err}") from None
    if cfg.weights is not None:
        try:
            read_state_dict(cfg.weights)
        except (FileNotFoundError, IsADirectoryError, WeightsError) as err:
            raise BenchError(f"--weights: {one_line(err)}") from None


def _predictions_csv(manifest: Manifest, preds: Predictions, space: LabelSpace) -> str:
    """Per-video predictions; ``manifest`` is the evaluated selection (prediction indices point into it)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["path", "set", "label", "label_name", "prediction", "prediction_name", "confidence", "correct"])
    for i, target, p in zip(preds.indices, preds.targets, preds.probs):
        video, pred = manifest.videos[int(i)], int(p.argmax())
        writer.writerow([video.path, video.set, int(target), space.names[int(target)], pred, space.names[pred],
                         f"{float(p[pred]):.4f}", int(pred == int(target))])
    return buf.getvalue()


def _report(preds: Predictions, space: LabelSpace) -> dict[str, Any]:
    return {**accuracy_report(preds.targets, preds.predictions, len(space)), "class_names": list(space.names),
            "set": space.set_id, "failed_videos": preds.failed}


def make_loader(manifest: Manifest, recipe: Recipe, **kwargs: Any) -> ClipLoader:
    """The loader a recipe asks for: decoded clips, or cached clip features (``data.source: features``)."""
    if recipe.data.get("source", "video") == "features":
        from synta.benchmark.features import build_feature_loader

        return build_feature_loader(manifest, recipe.data, **kwargs)
    return build_loader(manifest, **kwargs)


def start_banner(cfg: BenchConfig, info: ModelInfo, recipe: Recipe, direction: Direction, manifest: Manifest,
                 env: DistEnv, train_loader: ClipLoader | None) -> str:
    """One line saying what a direction is about to do: clips, steps, epochs, input, device, initialisation
    (``train_loader`` None: it only evaluates)."""
    a, b = direction.train_set, direction.unknown_set
    clip, train = recipe.clip, recipe.train
    init = (f"weights of {cfg.eval_from}" if cfg.eval_from else f"weights {cfg.weights}" if cfg.weights
            else f"pretrained ({info.pretrained})" if cfg.pretrained else "from scratch")
    work = "evaluation only"
    if train_loader is not None:
        work = (f"{len(manifest.select('train', a).videos)} train clips, "
                f"{len(train_loader) // train.accumulate} steps/epoch x {train.epochs} epochs")
    unknown = len(manifest.select("val", b).videos) if scores_unknown(direction.task, info.uses_text) else 0
    return (f"{direction.task}/{direction.name} {info.name}: {work}; {len(manifest.select('val', a).videos)} "
            f"known + {unknown} unknown val clips; {clip.frames} frames at {clip.transform.size} px; "
            f"{env.device} x {env.world_size}; {init}")


def _direction_parts(cfg: BenchConfig, info: ModelInfo, recipe: Recipe, manifest: Manifest, direction: Direction,
                     run_dir: Path, env: DistEnv) -> tuple[Trainer, ClipLoader | None, ClipLoader, dict[str, Any]]:
    """The trainer (with its freshly built model) and the loaders of one direction: train (None when it only
    evaluates), known val, and the keyword arguments every loader of the direction shares."""
    a = direction.train_set
    train_space = label_space(manifest.classes, direction.task, a)
    torch.manual_seed(cfg.seed)
    try:
        model = build(info.name, None if info.uses_text else len(train_space), weights=cfg.weights,
                      pretrained=cfg.pretrained, **recipe.model)
    except WeightsError as err:  # keys or shapes that do not fit this model
        raise BenchError(one_line(err)) from None
    except WeightsUnavailable as err:  # a download that failed; the message says how to go on offline
        raise RuntimeFailure(one_line(err)) from None
    trainer = Trainer(model, recipe, env, run_dir, train_space)
    common = {"task": direction.task, "clip": recipe.clip, "num_workers": cfg.workers, "seed": cfg.seed,
              "rank": env.rank, "world_size": env.world_size, "device": env.device}
    known_loader = make_loader(manifest.select("val", a), recipe, train=False,
                               batch_size=recipe.train.eval_batch_size, **common)
    if cfg.eval_from:
        trainer.load_weights(Path(cfg.eval_from) / direction.task / direction.name / "checkpoints" / "last.pt")
    train_loader = None
    if not (cfg.zero_shot or cfg.eval_from):
        train_loader = make_loader(manifest.select("train", a), recipe, train=True,
                                   batch_size=recipe.train.batch_size, **common)
    return trainer, train_loader, known_loader, common


EVAL_COST = 0.5  # an evaluation clip costs about this share of a training clip (no backward pass), per view


def plan_bench(cfg: BenchConfig, env: DistEnv, batches: int = 3) -> list[str]:
    """``synta bench --dry-run``: what the run would do, direction by direction, and a time estimate from
    ``batches`` training batches measured here (after a warm-up one) on the first direction of each task.
    Checks everything :func:`run_bench` checks and writes nothing."""
    info, recipe, manifest = _prepare(cfg)
    lines, total = [], 0.0
    for task in cfg.tasks:
        per_batch = None
        for direction in directions(task, cfg.set_direction):
            trainer, train_loader, _, common = _direction_parts(cfg, info, recipe, manifest, direction,
                                                                Path(os.devnull), env)
            lines.append(start_banner(cfg, info, recipe, direction, manifest, env, train_loader))
            if per_batch is None:  # an evaluation-only run is timed on training batches of its val clips
                timed = train_loader or make_loader(manifest.select("val", direction.train_set), recipe, train=True,
                                                    batch_size=recipe.train.batch_size, **common)
                startup, per_batch = trainer.time_batches(timed, batches)
            train, views = recipe.train, recipe.clip.temporal_views * recipe.clip.transform.spatial_views
            passes = (train.epochs // train.eval_every + 1) if train_loader is not None else 1
            unknown = (len(manifest.select("val", direction.unknown_set).videos)
                       if scores_unknown(task, info.uses_text) else 0)
            eval_clips = len(manifest.select("val", direction.train_set).videos) * passes + unknown
            epochs = train.epochs if train_loader is not None else 0
            seconds = (per_batch * ((len(train_loader) * epochs if train_loader is not None else 0)
                                    + eval_clips * views * EVAL_COST / train.batch_size)
                       + startup * (epochs + passes + (unknown > 0)))  # every pass starts its loader
            total += seconds
            lines.append(f"  estimated {_clock(seconds)} ({per_batch:.2f} s per training batch of "
                         f"{train.batch_size} and {startup:.2f} s per loader start, measured here)")
    lines.append(f"total estimated {_clock(total)}; nothing was written (drop --dry-run to run it)")
    return lines


def _clock(seconds: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(seconds))


def run_direction(cfg: BenchConfig, info: ModelInfo, recipe: Recipe, manifest: Manifest, direction: Direction,
                  out: Path, env: DistEnv) -> dict[str, Any] | None:
    """Train (unless zero-shot) and evaluate one direction; returns its result, or None if it stopped early
    (``stop_after``)."""
    run_dir = out / direction.task / direction.name
    done = run_dir / "result.json"
    if done.is_file():
        return json.loads(done.read_text())
    trainer, train_loader, known_loader, common = _direction_parts(cfg, info, recipe, manifest, direction,
                                                                   run_dir, env)
    a, b = direction.train_set, direction.unknown_set
    train_space = trainer.space
    known_videos, unknown_videos = manifest.select("val", a), manifest.select("val", b)
    if env.is_main:
        log.info("%s", start_banner(cfg, info, recipe, direction, manifest, env, train_loader))
    if train_loader is not None and not trainer.fit(train_loader, known_loader, resume=cfg.resume,
                                                    stop_after=cfg.stop_after):
        return None
    known = trainer.evaluate(known_loader, train_space)
    unknown = unknown_space = None
    if scores_unknown(direction.task, info.uses_text):
        unknown_space = label_space(manifest.classes, direction.task, b)
        unknown_loader = make_loader(unknown_videos, recipe, train=False, batch_size=recipe.train.eval_batch_size,
                                     **common)
        unknown = trainer.evaluate(unknown_loader, unknown_space)
    result = {"train_set": a, "unknown_set": b, "known": _report(known, train_space),
              "unknown": _report(unknown, unknown_space) if unknown is not None else None}
    result["metrics"] = transfer_metrics(result["known"]["top1"],
                                         result["unknown"]["top1"] if unknown is not None else None)
    if env.is_main:
        write_atomic(run_dir / "predictions_known.csv", _predictions_csv(known_videos, known, train_space))
        if unknown is not None:
            write_atomic(run_dir / "predictions_unknown.csv", _predictions_csv(unknown_videos, unknown, unknown_space))
        write_atomic(done, json.dumps(result, indent=1) + "\n")
    barrier(env)
    return result


def _prepare(cfg: BenchConfig) -> tuple[ModelInfo, Recipe, Manifest]:
    """The model, its resolved recipe and the data of ``cfg``, every input checked (:func:`check_inputs`)."""
    try:
        info = get_info(cfg.model)
    except KeyError as err:
        raise BenchError(err.args[0]) from None
    if cfg.zero_shot and not info.uses_text:
        raise BenchError(f"--zero-shot needs a model that classifies by text; {info.name} does not")
    if cfg.zero_shot and cfg.eval_from:
        raise BenchError("--zero-shot and --eval-from exclude each other")
    try:
        recipe = model_recipe(info.name, cfg.overrides)
    except (ValueError, FileNotFoundError) as err:
        raise BenchError(f"{info.name} recipe: {err}") from None
    manifest = load_dataset(cfg)
    check_inputs(cfg, info, manifest)
    return info, recipe, manifest


def run_bench(cfg: BenchConfig, env: DistEnv) -> dict[str, Any] | None:
    """Run every task and direction of ``cfg``; returns the results (also written to ``results.json``), or
    None when ``stop_after`` stopped training early."""
    info, recipe, manifest = _prepare(cfg)
    with run_folder(cfg, _config_record(cfg, info, recipe), env) as out:
        return _run_tasks(cfg, info, recipe, manifest, out, env)


def _run_tasks(cfg: BenchConfig, info: ModelInfo, recipe: Recipe, manifest: Manifest, out: Path,
               env: DistEnv) -> dict[str, Any] | None:
    tasks: dict[str, Any] = {}
    for task in cfg.tasks:
        per_direction: dict[str, Any] = {}
        for direction in directions(task, cfg.set_direction):
            result = run_direction(cfg, info, recipe, manifest, direction, out, env)
            if result is None:
                return None
            per_direction[direction.name] = result
        entry = {"directions": per_direction, "mean": mean_metrics([d["metrics"] for d in per_direction.values()])}
        if not scores_unknown(task, info.uses_text):
            entry["note"] = UNIMODAL_FINE_NOTE
        tasks[task] = entry
    results = {"format": FORMAT, "model": info.name, "family": info.family, "uses_text": info.uses_text,
               "dataset": cfg.dataset, "data_root": str(Path(cfg.data_root).resolve()),
               "variant": dataset_variant(cfg), "seed": cfg.seed, "zero_shot": cfg.zero_shot,
               "eval_from": str(Path(cfg.eval_from).resolve()) if cfg.eval_from else None,
               "command": list(cfg.command), "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "versions": {"synta": __version__, "torch": torch.__version__,
                            "python": ".".join(map(str, sys.version_info[:3]))},
               "tasks": tasks}
    if env.is_main:
        write_atomic(out / "results.json", json.dumps(results, indent=1) + "\n")
    return results


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def summary_lines(results: dict[str, Any]) -> list[str]:
    """Human-readable lines of a results dict (per direction and mean)."""
    lines = []
    for task, entry in results["tasks"].items():
        names = METRIC_NAMES[task]
        for label, m in [*((d, v["metrics"]) for d, v in entry["directions"].items()), ("mean", entry["mean"])]:
            parts = [f"{names['known']} {m['known']:.2f}"]
            if m["unknown"] is not None:
                parts += [f"{names[key]} {_fmt(m[key])}" for key in METRIC_KEYS[1:]]
            lines.append(f"{task:<6} {label:<5} " + "  ".join(parts))
        if "note" in entry:
            lines.append(f"{task:<6} note: {entry['note']}")
    return lines
