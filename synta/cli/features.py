"""``synta features``: cache clip features of a frozen backbone (the input of feature-based models such as CIR)."""
from __future__ import annotations

import logging
from pathlib import Path

import click

from synta.cpus import MAX_WORKERS

# three times the 10 views of the usual multi-view test; every view's frames are decoded at once
MAX_TEMPORAL_VIEWS = 30


@click.group()
def features() -> None:
    """Cached clip features of a frozen backbone (what feature-based models such as CIR train on)."""


@features.command()
@click.option("--model", "model_name", default="slowfast_r50", show_default=True,
              help="Registered backbone whose pooled features are cached (e.g. slowfast_r50).")
@click.option("--data-root", type=click.Path(path_type=Path), default=Path("synta_data"), show_default=True,
              help="A rendered Syn-TA tree, or a manifest CSV from `synta data prepare`.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Cache folder [default: <video root>/features/<model>; the video root of a Syn-TA tree is "
                   "the tree].")
@click.option("--weights", type=click.Path(path_type=Path, dir_okay=False),
              help="Initialise the backbone from a local checkpoint (e.g. SLOWFAST_8x8_R50.pyth).")
@click.option("--pretrained", is_flag=True, help="Initialise from the backbone's canonical weights (needs network).")
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(1), help="Videos per forward pass.")
@click.option("--loader-workers", "--workers", "workers", default=2, show_default=True,
              type=click.IntRange(0, MAX_WORKERS),
              help=f"Decoding processes, at most {MAX_WORKERS} (--workers: the old spelling).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--temporal-views", default=1, show_default=True, type=click.IntRange(1, MAX_TEMPORAL_VIEWS),
              help=f"Clips per video, at most {MAX_TEMPORAL_VIEWS} (features of each are cached).")
@click.option("--spatial-views", type=click.Choice(["1", "3"]), default="1", show_default=True,
              help="Crops per clip.")
def extract(model_name: str, data_root: Path, out: Path | None, weights: Path | None, pretrained: bool,
            batch_size: int, workers: int, device: str, temporal_views: int, spatial_views: str) -> None:
    """Extract the pooled clip features of every video of a dataset, in evaluation mode with the backbone's
    recipe clips. Resumable: videos already in the cache are skipped."""
    import torch

    from synta.benchmark.features import extract_features
    from synta.benchmark.data.manifest import read_manifest

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        manifest = read_manifest(data_root)
    except (FileNotFoundError, ValueError) as err:
        raise click.UsageError(f"--data-root {data_root}: {err}") from None
    if weights is not None and not weights.is_file():
        raise click.UsageError(f"--weights {weights}: no such file")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        done = extract_features(manifest, model_name, out, weights=weights, pretrained=pretrained,
                                temporal_views=temporal_views, spatial_views=int(spatial_views),
                                batch_size=batch_size, num_workers=workers, device=device)
    except (KeyError, ValueError, RuntimeError) as err:
        raise click.UsageError(str(err.args[0] if isinstance(err, KeyError) else err)) from None
    click.echo(f"{done.extracted} videos extracted, {done.cached} already cached, {done.failed} failed to decode: "
               f"{done.dir}")
