"""``synta preview``: the click command (the logic lives in ``preview.py``)."""
from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--classes", multiple=True, metavar="NAMES",
              help="Fine or coarse classes by name or coarse id, comma-separated or repeated (default: all).")
@click.option("--per-class", default=1, show_default=True, type=click.IntRange(1), help="Clips per fine class.")
@click.option("--frames", default=8, show_default=True, type=click.IntRange(1),
              help="Frames per clip on the contact sheet.")
@click.option("--gif-frames", default=24, show_default=True, type=click.IntRange(2), help="Frames of the GIF.")
@click.option("--height", default=96, show_default=True, type=click.IntRange(16), help="Thumbnail height (pixels).")
@click.option("--out", type=click.Path(path_type=Path),
              help="Contact sheet PNG (default: preview.png unless --gif or --html is given).")
@click.option("--gif", type=click.Path(path_type=Path), help="Also write an animated GIF grid.")
@click.option("--html", "html_dir", type=click.Path(path_type=Path),
              help="Also write an HTML gallery (DIR/index.html) that plays the videos.")
@click.option("--copy", is_flag=True, help="--html: copy the videos into DIR/videos/ instead of linking them.")
@click.option("--side-by-side", is_flag=True, help="An ablation: every variant of each clip next to each other.")
def preview(source: Path, classes: tuple[str, ...], per_class: int, frames: int, gif_frames: int, height: int,
            out: Path | None, gif: Path | None, html_dir: Path | None, copy: bool, side_by_side: bool) -> None:
    """Contact sheet, animated GIF and HTML gallery of a dataset, a manifest or an ablation.

    SOURCE is a rendered dataset folder (or any manifest CSV), or an ablation folder / its ablation.json
    (its reference variant, or all variants with --side-by-side).
    """
    from synta.benchmark import preview as pv

    try:
        names = [c for item in classes for c in item.split(",") if c.strip()]
        selection = pv.select(source, names or None, per_class, side_by_side)
        if out is None and gif is None and html_dir is None:
            out = Path("preview.png")
        problems: list[str] = []
        what = f"{len(selection.clips)} clips" + (f" x {len(selection.columns)} variants"
                                                   if len(selection.columns) > 1 else "")
        if out is not None:
            sheet, bad = pv.contact_sheet(selection, frames, height)
            pv.save_png(sheet, out)
            problems += bad
            click.echo(f"{out}: contact sheet of {what}, {sheet.width}x{sheet.height}")
        if gif is not None:
            images, bad = pv.gif_grid(selection, gif_frames, height)
            pv.save_gif(images, gif)
            problems += bad
            click.echo(f"{gif}: animated grid of {what}, {images[0].width}x{images[0].height}, {len(images)} frames")
        if html_dir is not None:
            page = pv.html_gallery(selection, html_dir, title=f"synta preview: {source}", copy=copy)
            click.echo(f"{page}: gallery of {what}")
    except (ValueError, OSError) as err:
        raise click.UsageError(str(err)) from None
    for problem in dict.fromkeys(problems):
        click.echo(f"warning: {problem}", err=True)
