"""``synta classes``, ``synta spec`` and ``synta render``: the generator's commands."""
from __future__ import annotations

import json
from pathlib import Path

import click

from synta.cpus import MAX_WORKERS, usable_cpus
from synta.generator.clip_spec import BACKGROUNDS, MAX_FPS
from synta.generator.render.options import DEFAULT_BACKGROUND, ENGINES, MAX_CLIPS, MAX_SHARDS, MAX_SIDE


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the whole taxonomy as JSON.")
@click.option("--set-id", type=click.Choice(["1", "2"]), help="Only the fine classes of Set 1 or Set 2.")
@click.option("--check", "run_check", is_flag=True,
              help="Sample clips of every class and run its semantic and in-frame checks.")
@click.option("--seeds", default=5, show_default=True, type=click.IntRange(1),
              help="Seeds per class and camera for --check.")
def classes(as_json: bool, set_id: str | None, run_check: bool, seeds: int) -> None:
    """List the 20 coarse and 100 fine Syn-TA classes (or check that each class's clips show it)."""
    from synta.generator import load_taxonomy

    tax = load_taxonomy()
    fine = [f for f in tax.fine if set_id is None or f.set == int(set_id)]
    if run_check:
        _check_classes(fine, seeds)
    elif as_json:
        click.echo(json.dumps([f.to_dict() for f in fine], indent=2))
    else:
        click.echo(f"{'set':>3} {'idx':>3} {'coarse':<22} {'name':<22} {'frames':>6}  label")
        for f in fine:
            coarse = f"{f.coarse} {f.coarse_name}"
            click.echo(f"{f.set:>3} {f.index:>3} {coarse:<22} {f.name:<22} {f.frames:>6}  {f.label}")
        counts = {s: sum(f.set == s for f in fine) for s in (1, 2)}
        click.echo(f"{len(tax.coarse)} coarse classes; {len(fine)} fine classes "
                   f"(Set 1: {counts[1]}, Set 2: {counts[2]})")


def _check_classes(fine: list, seeds: int) -> None:
    from synta.generator import sample_clip, sidecar
    from synta.generator.checks import check, in_frame

    failures = 0
    for f in fine:
        bad = []
        for camera in ("orbit", "front"):
            for seed in range(seeds):
                sc = sidecar(sample_clip(f, 1, seed=seed, camera=camera))
                if not (check(sc) and in_frame(sc)):
                    bad.append(f"{camera}/seed {seed}")
        failures += bool(bad)
        click.echo(f"{'ok  ' if not bad else 'FAIL'} {f.name:<22} {2 * seeds - len(bad)}/{2 * seeds}"
                   + (f"  failed: {', '.join(bad)}" if bad else ""))
    click.echo(f"{len(fine) - failures}/{len(fine)} classes pass")
    if failures:
        raise SystemExit(1)


@click.command()
@click.argument("fine")
@click.option("--clip-id", default=1, show_default=True, type=click.IntRange(1), help="1-based clip number.")
@click.option("--seed", default=0, show_default=True, type=int, help="Global dataset seed.")
@click.option("--camera", type=click.Choice(["orbit", "front"]), default="orbit", show_default=True)
@click.option("--background", type=click.Choice(BACKGROUNDS), default=DEFAULT_BACKGROUND, show_default=True)
@click.option("--objects", default="set", show_default=True,
              help="Shape pool: set, shared, legacy, or one shape name.")
@click.option("--sidecar", "as_sidecar", is_flag=True, help="Print the annotation sidecar instead of the spec.")
def spec(fine: str, clip_id: int, seed: int, camera: str, background: str, objects: str, as_sidecar: bool) -> None:
    """Print the ClipSpec (or its sidecar annotations) of one clip as JSON, without rendering."""
    from synta.generator import sample_clip, sidecar

    try:
        clip = sample_clip(fine, clip_id, seed=seed, camera=camera, background=background, objects=objects)
    except KeyError as err:
        raise click.UsageError(err.args[0]) from None
    click.echo(json.dumps(sidecar(clip) if as_sidecar else clip.to_dict()))


@click.command()
@click.option("--n", "n", default=10000, show_default=True, type=click.IntRange(1, MAX_CLIPS),
              help=f"Total clips, spread evenly over the selected classes (and cameras); at most {MAX_CLIPS}.")
@click.option("--classes", multiple=True, metavar="NAMES",
              help="Coarse or fine classes by name or id, comma-separated or repeated (default: all).")
@click.option("--set-id", type=click.Choice(["1", "2"]), help="Only the fine classes of Set 1 or Set 2.")
@click.option("--camera", type=click.Choice(["orbit", "front", "both"]), default="both", show_default=True)
@click.option("--background", type=click.Choice(BACKGROUNDS), default=DEFAULT_BACKGROUND, show_default=True)
@click.option("--backgrounds", "backgrounds_dir", type=click.Path(path_type=Path),
              help="Folder of scene images for --background realistic (default: the shipped 2 x 10).")
@click.option("--objects", default="set", show_default=True,
              help="Shape pool: set, shared, legacy, or one shape name.")
@click.option("--seed", default=0, show_default=True, type=int, help="Global dataset seed.")
@click.option("--engine", type=click.Choice(ENGINES), default="auto",
              show_default=True, help="auto: eevee with a GPU, else workbench.")
@click.option("--samples", default=16, show_default=True, type=click.IntRange(1), help="Cycles/EEVEE samples.")
@click.option("--no-denoise", is_flag=True, help="Cycles: turn OpenImageDenoise off.")
@click.option("--resolution", default="256", show_default=True,
              help=f"WxH, or a short side for 16:9 (256 -> 456x256); even sides of 16 to {MAX_SIDE} px.")
@click.option("--fps", type=click.IntRange(1, MAX_FPS),
              help=f"Frame rate, at most {MAX_FPS} (default: the native 24; durations are kept).")
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS),
              help=f"Render processes, at most {MAX_WORKERS} (default: all cores).")
@click.option("--num-shards", default=1, show_default=True, type=click.IntRange(1, MAX_SHARDS))
@click.option("--shard-id", default=0, show_default=True, type=click.IntRange(0))
@click.option("--out", default="synta_data", show_default=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the plan (one line per clip) and an estimate; render nothing.")
@click.option("--merge", is_flag=True, help="Index a dataset rendered in shards: rebuild manifest.csv and splits/.")
def render(n: int, classes: tuple[str, ...], set_id: str | None, camera: str, background: str,
           backgrounds_dir: Path | None, objects: str, seed: int, engine: str, samples: int, no_denoise: bool,
           resolution: str, fps: int | None, workers: int | None, num_shards: int, shard_id: int, out: Path,
           dry_run: bool, merge: bool) -> None:
    """Render a Syn-TA dataset with Blender (resumable: rerun the same command to finish it)."""
    from synta.generator.render.backgrounds import BackgroundError
    from synta.generator.render.run import RenderConfig, merge_dataset, parse_resolution, render_dataset
    from synta.generator.render.worker import FatalRenderError

    try:
        if merge:
            raise SystemExit(merge_dataset(out, echo=click.echo))
        cfg = RenderConfig(
            out=out, n=n, classes=[c for item in classes for c in item.split(",") if c.strip()],
            set_id=int(set_id) if set_id else None, camera=camera, background=background,
            backgrounds=backgrounds_dir, objects=objects, seed=seed, engine=engine, samples=samples,
            denoise=not no_denoise, resolution=parse_resolution(resolution), fps=fps,
            workers=workers or usable_cpus(), num_shards=num_shards, shard_id=shard_id)
        _check_objects(objects)
        code = render_dataset(cfg, dry_run=dry_run, echo=click.echo)
    except (ValueError, BackgroundError) as err:
        raise click.UsageError(str(err)) from None
    except KeyError as err:
        raise click.UsageError(err.args[0]) from None
    except OSError as err:
        raise click.UsageError(str(err)) from None
    except FatalRenderError as err:
        raise click.ClickException(f"rendering stopped: {err}") from None
    raise SystemExit(code)


def _check_objects(objects: str) -> None:
    from synta.generator.shapes import shape_names, shape_pool

    if objects != "set" and objects not in shape_names():
        shape_pool(objects)  # raises KeyError naming the valid pools
