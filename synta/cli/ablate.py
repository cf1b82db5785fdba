"""``synta ablate``: the click command (the logic lives in ``ablation.py``)."""
from __future__ import annotations

from pathlib import Path

import click

from synta.cpus import MAX_WORKERS, usable_cpus


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder of the variants and ablation.json (default: ablations/<config name>).")
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS),
              help=f"Render processes, at most {MAX_WORKERS} (default: all cores).")
@click.option("--dry-run", is_flag=True, help="Check the config and print each variant's plan; render nothing.")
def ablate(config: Path, out: Path | None, workers: int | None, dry_run: bool) -> None:
    """Render controlled variants of one dataset as exact counterfactual pairs (resumable).

    CONFIG is a YAML file with a `base` dataset (the settings of synta render, plus speed, colors,
    camera_distance, frames, distractors, distractor_motion, lighting) and the factors to `vary`; see
    assets/ablations/ for examples. Each variant becomes a normal dataset under OUT/<variant>/ with the
    same clip ids, seeds and motions, indexed in OUT/ablation.json.
    """
    from synta.generator.ablation import load_ablation, run_ablation
    from synta.generator.render.worker import FatalRenderError

    out = out or Path("ablations") / config.stem
    try:
        ablation = load_ablation(config, out, workers or usable_cpus())
        code = run_ablation(ablation, out, dry_run=dry_run, echo=click.echo)
    except (ValueError, OSError) as err:  # BackgroundError is a ValueError
        raise click.UsageError(str(err)) from None
    except FatalRenderError as err:
        raise click.ClickException(f"rendering stopped: {err}") from None
    raise SystemExit(code)
