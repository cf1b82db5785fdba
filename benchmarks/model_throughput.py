"""Training throughput of the model zoo: clips per second of full optimiser steps (forward, backward, step)
and memory, for every registered model built and fed as its recipe says (model settings, frames, crop
size, layout; cached-feature models get feature vectors of their extractor's width).

A step is timed after --warmup steps; the table reports the median of --steps steps. On CUDA each model runs
in the same process our way (bf16 autocast, cuDNN autotuning, torch.compile with --compile; convolutional
networks both with contiguous and with channels-last memory, which helps some and not others) and the
reference way (fp32, eager, contiguous, PyTorch's default cuDNN settings), with our speed-ups over it. On
CPU the tiny variants run by default (also for models named in --models; --full for the full-size models),
fp32 eager only.

Memory: "act MiB" is what autograd keeps for the backward pass during one training forward (distinct
non-parameter tensors seen by ``saved_tensors_hooks``), a deterministic measure that also holds on CPU;
"peak MiB" is CUDA's peak allocation over the timed steps (parameters, gradients and optimiser state
included).

Models are trained on the Syn-TA coarse label space of Set 1 (20 classes); text models encode it once
(every step when their text side trains).

    python benchmarks/model_throughput.py [--models x3d_m,rev_mvit_b] [--batch 8] [--steps 10] [--warmup 3]
                                          [--full] [--compile] [--no-reference] [--threads N]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import torch
from torch import nn

from synta.benchmark.data.labels import synta_classes
from synta.benchmark.protocol import label_space
from synta.models.label_space import LabelSpace
from synta.benchmark.recipe import model_recipe
from synta.models import registry
from synta.models.base import as_output, model_loss, model_param_groups

OPTIMIZERS = {"sgd": torch.optim.SGD, "adamw": torch.optim.AdamW, "adam": torch.optim.Adam}


@dataclass
class Mode:
    """How a model is run: autocast dtype (None: fp32), channels-last memory, torch.compile, cuDNN autotuning."""

    name: str
    dtype: torch.dtype | None = None
    channels_last: bool = False
    compile: bool = False
    autotune: bool = False


@dataclass
class Result:
    clips_per_s: float
    step_ms: float
    act_mib: float
    peak_mib: float | None


def is_convolutional(model: nn.Module) -> bool:
    """Whether most weights sit in 3-D convolutions: then channels-last (NDHWC) memory speeds cuDNN up; for
    transformers, whose only convolution is the patch embedding, it does not."""
    conv = sum(p.numel() for m in model.modules() if isinstance(m, nn.Conv3d) for p in m.parameters(recurse=False))
    return conv > 0.5 * sum(p.numel() for p in model.parameters())


def clip_batch(name: str, batch: int, device: torch.device) -> torch.Tensor:
    """A random normalised clip batch laid out as the recipe of ``name`` says."""
    clip = model_recipe(name).clip
    size = clip.transform.size
    shape = (batch, 3, clip.frames, size, size) if clip.layout == "CTHW" else (batch, clip.frames, 3, size, size)
    return torch.randn(shape, device=device)


def model_input(name: str, batch: int, device: torch.device) -> torch.Tensor:
    """What the engine feeds ``name``: clips, or for cached-feature recipes vectors as wide as the pooled
    features of the recipe's extractor (measured on one clip)."""
    data = model_recipe(name).data
    if data.get("source") != "features":
        return clip_batch(name, batch, device)
    from synta.benchmark.features import pooled_features

    extractor = registry.build(data["extractor"], 400).eval()
    with torch.no_grad():
        width = pooled_features(extractor, clip_batch(data["extractor"], 1, torch.device("cpu"))).shape[1]
    return torch.randn(batch, width, device=device)


def training_step(model: nn.Module, name: str, space: LabelSpace, batch: int, device: torch.device,
                  mode: Mode) -> tuple[Callable[..., None], nn.Module]:
    """A closure running one optimiser step as the engine does (``forward_context`` wraps its forward
    pass), and the module it trains."""
    recipe = model_recipe(name)
    inputs = model_input(name, batch, device)
    if mode.channels_last and inputs.ndim == 5:
        inputs = inputs.contiguous(memory_format=torch.channels_last_3d)
        model = model.to(memory_format=torch.channels_last_3d)
    target = torch.randint(0, len(space), (batch,), device=device)
    fine = torch.randint(0, len(space.set_fine), (batch,), device=device)  # hierarchical models' fine labels
    groups = [{"params": g["params"], "lr": recipe.optim.lr * g["lr_mult"]} for g in model_param_groups(model)]
    optimizer = OPTIMIZERS[recipe.optim.name](groups, lr=recipe.optim.lr)
    criterion = nn.CrossEntropyLoss()
    runner = torch.compile(model) if mode.compile else model
    uses_text = getattr(model, "uses_text", False)
    labels = model.encode_labels(space) if uses_text and not model.trains_text else None

    def step(forward_context: AbstractContextManager | None = None) -> None:
        optimizer.zero_grad(set_to_none=True)
        with forward_context or nullcontext(), \
                torch.autocast(device.type, dtype=mode.dtype or torch.float32, enabled=mode.dtype is not None):
            encoded = (model.encode_labels(space) if labels is None else labels) if uses_text else None
            out = as_output(runner(inputs, labels=encoded) if uses_text else runner(inputs))
            loss = sum(model_loss(model, out, target, criterion, fine=fine).values())
        loss.backward()
        optimizer.step()

    return step, model


def activation_bytes(step: Callable[..., None], model: nn.Module) -> int:
    """Bytes autograd saves for backward during the forward pass of one step (parameters excluded; what a
    reversible model recomputes during its backward pass is transient and not counted)."""
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in weights:
            saved[storage.data_ptr()] = storage.nbytes()
        return t

    step(torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t))
    return sum(saved.values())


def measure(name: str, space: LabelSpace, batch: int, device: torch.device, mode: Mode, warmup: int,
            steps: int) -> Result:
    """Build ``name`` afresh and time ``steps`` training steps after ``warmup`` ones."""
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = mode.autotune  # fixed shapes: let cuDNN pick the fastest kernels
    model = registry.build(name, len(space), **model_recipe(name).model).to(device).train()
    step, model = training_step(model, name, space, batch, device, mode)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        step()
    act = float("nan") if mode.compile else activation_bytes(step, model)  # hooks do not see inside compiled graphs
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for _ in range(steps):
        sync()
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    median = statistics.median(times)
    return Result(batch / median, 1000 * median, act / 2**20, peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", help="comma-separated names or aliases (default: every registered model)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="full-size models on CPU (default there: tiny)")
    parser.add_argument("--compile", action="store_true", help="torch.compile our way (CUDA)")
    parser.add_argument("--no-reference", action="store_true", help="skip the fp32 eager run on CUDA")
    parser.add_argument("--threads", type=int, help="CPU threads for torch (on a shared machine, 1 avoids "
                                                      "oversubscription stalls)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tiny = device.type == "cpu" and not args.full
    if args.models:
        names = [registry.resolve(n.strip()) for n in args.models.split(",")]
        if tiny:  # a named full-size model runs as its tiny variant where there is one
            known = {m.name for m in registry.list_models(tiny=True)}
            names = [f"{n}_tiny" if f"{n}_tiny" in known else n for n in names]
    else:
        names = [m.name for m in registry.list_models(tiny=tiny)]
    space = label_space(synta_classes(), "coarse", 1)

    card = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device: {card}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads, batch {args.batch}, "
          f"median of {args.steps} steps after {args.warmup}")
    header = f"{'model':<24}{'input':<18}{'mode':<28}{'clips/s':>9}{'step ms':>10}{'act MiB':>10}{'peak MiB':>10}" \
             f"{'ratio':>7}"
    print(header)
    print("-" * len(header))
    for name in names:
        recipe = model_recipe(name)
        shape = "features" if recipe.data.get("source") == "features" else \
            f"{recipe.clip.frames}x{recipe.clip.transform.size}² {recipe.clip.layout}"
        if device.type == "cuda":
            # channels-last only pays off for some convolutional networks (not for depthwise-heavy X3D): show both
            layouts = [False, True] if is_convolutional(registry.build(name, len(space), **recipe.model)) else [False]
            compiled = " compiled" if args.compile else ""
            modes = [Mode("bf16" + (" channels-last" if last else "") + compiled, torch.bfloat16, last, args.compile,
                          autotune=True) for last in layouts]
            if not args.no_reference:
                modes.append(Mode("fp32 eager (reference)"))
        else:
            modes = [Mode("fp32 eager")]
        results: list[Result | None] = []
        for mode in modes:
            try:
                results.append(measure(name, space, args.batch, device, mode, args.warmup, args.steps))
            except (RuntimeError, ValueError, NotImplementedError) as err:  # OOM, unsupported op: report, go on
                print(f"{name:<24}{shape:<18}{mode.name:<28} failed: {str(err).splitlines()[0][:80]}")
                results.append(None)
            gc.collect()
            if device.type == "cuda":
                torch.cuda.empty_cache()
        reference = results[-1] if not args.no_reference and device.type == "cuda" else None
        for mode, r in zip(modes, results):
            if r is None:
                continue
            # speed-up over the reference way, on our rows
            ratio = f"{r.clips_per_s / reference.clips_per_s:.2f}x" if reference is not None and r is not reference \
                else ""
            peak = f"{r.peak_mib:.0f}" if r.peak_mib is not None else "-"
            print(f"{name:<24}{shape:<18}{mode.name:<28}{r.clips_per_s:>9.1f}{r.step_ms:>10.1f}{r.act_mib:>10.1f}"
                  f"{peak:>10}{ratio:>7}")


if __name__ == "__main__":
    main()
