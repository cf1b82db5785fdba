"""``synta bench`` and ``synta models``."""
from __future__ import annotations

import json
import logging
import math
import sys
import time
from pathlib import Path

import click

from synta.benchmark.data.datasets import DATASETS, canonical_dataset
from synta.cpus import MAX_WORKERS
from synta.generator.taxonomy import TASKS


def _finite(value: float | None) -> float | None:
    """``--lr``: click's FloatRange lets ``inf`` and ``nan`` through; training on them reports nonsense."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"must be a finite number, got {value}")
    return value


REPLAYED_RECIPE = "synta.replayed_recipe"  # ctx.meta key: the recipe of a --config run


def _replay(ctx: click.Context, path: Path | None) -> None:
    """``--config``: a run's config.yaml becomes this command's defaults (options given still win); its
    recipe is kept for the overrides."""
    if path is None:
        return
    from synta.benchmark.bench import BenchError, read_run_config

    try:
        record = read_run_config(path)
    except BenchError as err:
        raise click.BadParameter(str(err)) from None
    ctx.meta[REPLAYED_RECIPE] = record.pop("recipe")
    tasks = record.pop("tasks", ["coarse"])
    ctx.default_map = {**(ctx.default_map or {}), "model_name": record.pop("model"),
                       "task": "both" if len(tasks) > 1 else tasks[0],
                       **{key: value for key, value in record.items() if value is not None}}


def _dataset(value: str) -> str:
    """``--dataset``: the canonical spelling, the hyphen spelling accepted."""
    try:
        return canonical_dataset(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


@click.command()
@click.option("--model", "model_name", required=True,
              help="Registered model name or alias (see `synta models`).")
@click.option("--dataset", default="synta", show_default=True, callback=lambda ctx, param, value: _dataset(value),
              help=f"{', '.join(DATASETS)} (k400-ta, ssv2-ta also accepted).")
@click.option("--task", type=click.Choice([*TASKS, "both"]), default="coarse", show_default=True)
@click.option("--data-root", type=click.Path(path_type=Path), default=Path("synta_data"), show_default=True,
              help="A rendered Syn-TA tree, or a manifest CSV from `synta data prepare`.")
@click.option("--out", "--output", "output", type=click.Path(path_type=Path),
              help="Run folder [default: runs/<model>_<dataset>] (--output: the old spelling).")
@click.option("--set-direction", type=click.Choice(["1", "2", "both"]), default="both", show_default=True,
              help="Train on Set 1, Set 2, or both directions.")
@click.option("--epochs", type=click.IntRange(1), help="Override the recipe's epochs.")
@click.option("--batch-size", type=click.IntRange(1), help="Override the per-process batch size.")
@click.option("--frames", type=click.IntRange(1), help="Override the frames per clip.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), callback=lambda ctx, param, value: _finite(value),
              help="Override the base learning rate (a finite number > 0).")
@click.option("--accumulate", type=click.IntRange(1), help="Gradient accumulation steps.")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16", "fp16"]),
              help="Mixed precision [recipe default: auto = bf16 on GPU, fp32 on CPU].")
@click.option("--set", "sets", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override any recipe field, e.g. --set optim.weight_decay=0.01 --set transform.size=112.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--loader-workers", "--workers", "workers", default=2, show_default=True,
              type=click.IntRange(0, MAX_WORKERS),
              help=f"Data-loading processes, at most {MAX_WORKERS} (--workers: the old spelling; render's --workers are "
              "Blender processes).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--weights", type=click.Path(path_type=Path, dir_okay=False), help="Initialise from a local file.")
@click.option("--pretrained", is_flag=True, help="Initialise from the model's canonical weights (needs network).")
@click.option("--zero-shot", is_flag=True, help="Text models: evaluate without training (the CLIP baseline).")
@click.option("--eval-from", type=click.Path(path_type=Path, file_okay=False),
              help="Evaluate the trained weights of another run folder on this data (no training).")
@click.option("--ablation", type=click.Path(path_type=Path),
              help="Run on every variant of a `synta ablate` output (its ablation.json) instead of --data-root.")
@click.option("--ablation-mode", type=click.Choice(["each", "transfer"]),
              help="each: train and test on every variant; transfer: train on one, test on all "
                   "[default: the ablation config's bench.mode, else each].")
@click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False), is_eager=True,
              expose_value=False, callback=lambda ctx, param, value: _replay(ctx, value),
              help="Replay a run: its config.yaml gives the model, data, seed, tasks and whole recipe; options "
                   "given on the command line override it.")
@click.option("--dry-run", is_flag=True, help="Print the plan of each direction and a time estimate from a few "
              "training batches measured here; write nothing.")
@click.option("--resume", is_flag=True, help="Continue the run in --out where it stopped.")
@click.option("--overwrite", is_flag=True, help="Start the run in --out again from scratch (deletes its "
              "checkpoints, logs and results; other files in the folder stay).")
@click.option("--stop-after", type=click.IntRange(1), metavar="EPOCHS",
              help="Stop after this many epochs in this invocation (time-limited job slots); go on with --resume.")
def bench(model_name: str, dataset: str, task: str, data_root: Path, output: Path | None, set_direction: str,
          epochs: int | None, batch_size: int | None, frames: int | None, lr: float | None, accumulate: int | None,
          precision: str | None, sets: tuple[str, ...], seed: int, workers: int, device: str,
          weights: Path | None, pretrained: bool, zero_shot: bool, eval_from: Path | None,
          ablation: Path | None, ablation_mode: str | None, dry_run: bool, resume: bool, overwrite: bool,
          stop_after: int | None) -> None:
    """Train and evaluate a model under the transfer protocol (known vs unknown contexts).

    Writes a run folder with the resolved config, logs, checkpoints, per-video predictions and
    results.json. Multi-GPU / multi-node: launch the same command with torchrun
    (`torchrun --nproc-per-node 4 -m synta bench ...`).
    """
    from synta.benchmark.ablation_bench import run_ablation
    from synta.benchmark.bench import BenchConfig, BenchError, plan_bench, run_bench, summary_lines
    from synta.benchmark.engine import setup, teardown
    from synta.benchmark.recipe import merge, parse_sets

    start = time.monotonic()
    ctx = click.get_current_context()
    if ablation is not None and ctx.get_parameter_source("data_root") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--ablation and --data-root exclude each other (the index names the datasets)")
    if ablation_mode is not None and ablation is None:
        raise click.UsageError("--ablation-mode needs --ablation")
    if resume and overwrite:
        raise click.UsageError("--resume and --overwrite exclude each other")
    if dry_run and ablation is not None:
        raise click.UsageError("--dry-run plans one dataset; run it on one variant's folder with --data-root")

    recipe = ctx.meta.get(REPLAYED_RECIPE, {})
    options = (("train.epochs", epochs), ("train.batch_size", batch_size), ("clip.frames", frames),
               ("optim.lr", lr), ("train.accumulate", accumulate), ("train.precision", precision))
    overrides = merge(recipe, parse_sets([*sets, *(f"{dotted}={value}" for dotted, value in options
                                                    if value is not None)]))
    cfg = BenchConfig(model=model_name, dataset=dataset, data_root=data_root,
                      tasks=TASKS if task == "both" else (task,), set_direction=set_direction,
                      output=output, overrides=overrides, seed=seed, workers=workers, resume=resume,
                      weights=weights, pretrained=pretrained, zero_shot=zero_shot, eval_from=eval_from,
                      stop_after=stop_after, overwrite=overwrite,
                      command=tuple(["synta", *sys.argv[1:]]))
    try:
        env = setup(device)
    except (RuntimeError, ValueError) as err:
        raise click.UsageError(f"--device {device}: {err}") from None
    logging.basicConfig(level=logging.INFO if env.is_main else logging.WARNING,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        if dry_run:
            if env.is_main:
                click.echo("\n".join(plan_bench(cfg, env)))
            return
        results = run_bench(cfg, env) if ablation is None else run_ablation(ablation, cfg, env, ablation_mode)
    except BenchError as err:
        raise click.UsageError(str(err)) from None
    finally:
        teardown(env)
    if not env.is_main:
        return
    if results is None:
        click.echo(f"stopped after {stop_after} epoch(s); continue with the same command and --resume")
    elif ablation is None:
        click.echo("\n".join(summary_lines(results)))
        click.echo(f"results: {cfg.run_dir() / 'results.json'} "
                   f"(wall {time.strftime('%H:%M:%S', time.gmtime(time.monotonic() - start))})")
    else:
        for name, variant_results in results.items():
            click.echo("\n".join(f"{name:<24} {line}" for line in summary_lines(variant_results)))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@click.option("--tiny/--no-tiny", default=False, show_default=True, help="List the tiny CI variants instead.")
@click.option("--count", is_flag=True, help="Build each model to count its parameters (slow for full sizes).")
def models(as_json: bool, tiny: bool, count: bool) -> None:
    """List the model zoo: name, family, parameters, frames × stride, input size, pretrained source."""
    from synta.benchmark.recipe import model_recipe
    from synta.models.base import count_parameters
    from synta.models.registry import build, list_models

    rows = []
    for info in list_models(tiny=tiny):
        recipe = model_recipe(info.name)
        row = {"name": info.name, "aliases": list(info.aliases), "family": info.family,
               "text": info.uses_text, "params_m": info.paper_params, "trainable_m": info.paper_trainable,
               "frames": recipe.clip.frames, "stride": recipe.clip.stride, "sampler": recipe.clip.sampler,
               "input": recipe.clip.transform.size, "pretrained": info.pretrained}
        if count:
            model = build(info.name, 400, **recipe.model)
            row["params_m"] = round(count_parameters(model) / 1e6, 2)
            row["trainable_m"] = round(count_parameters(model, trainable=True) / 1e6, 2)
        rows.append(row)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'name':<32} {'family':<12} {'params':>8} {'trainable':>9} {'frames':>9} {'input':>5}  pretrained")
    for r in rows:
        frames = f"{r['frames']}x{r['stride']}" if r["sampler"] == "dense" else f"{r['frames']} seg"
        params = f"{r['params_m']:.1f}M" if r["params_m"] else "–"
        trainable = f"{r['trainable_m']:.1f}M" if r["trainable_m"] else "–"
        name = r["name"] + (f" ({', '.join(r['aliases'])})" if r["aliases"] else "")
        click.echo(f"{name:<32} {r['family']:<12} {params:>8} {trainable:>9} {frames:>9} {r['input']:>5}  "
                   f"{r['pretrained']}")
    click.echo(f"{len(rows)} models" + ("" if count else " (reference parameter counts; --count to build and count)"))
