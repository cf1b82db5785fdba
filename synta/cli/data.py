"""``synta data prepare``, ``synta data check`` and ``synta data export`` (registered on the ``synta``
command in ``synta/cli/__init__.py``).

Library modules raise ``FormatError`` / ``FileNotFoundError`` / ``KeyError`` with one-line messages;
this module turns them into click errors, which ``synta``'s entry point prints as one ``synta: error:``
line (exit code 2 for bad usage, 1 for bad input files).
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from synta.benchmark.data.export import FORMATS
from synta.cpus import MAX_WORKERS

data = click.Group("data", help="Build and verify the benchmark's video manifests (Syn-TA, K400-TA, SSv2-TA).")


def _rewrite_root(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    old, sep, new = value.partition("=")
    if not sep or not old or not new:
        raise click.BadParameter("expected OLD=NEW, e.g. /home/ra164195/Datasets/K400=/data/k400", ctx, param)
    return old, new


@data.command()
@click.argument("dataset", metavar="DATASET")
@click.option("--splits", "splits_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The reference's dataset_splits/<dataset>/ (or a rendered Syn-TA tree's splits/).")
@click.option("--videos", "videos_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder the list paths are relative to (K400: the folder holding train/ and val/).")
@click.option("--labels", "labels_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The reference's labels/ folder (default: <splits>/../../labels; not used for Syn-TA).")
@click.option("--frame-lists", is_flag=True,
              help="Read the EZ-CLIP frame-folder lists ('<dir> <num_frames> <label>') instead of video lists.")
@click.option("--rewrite-root", callback=_rewrite_root, metavar="OLD=NEW",
              help="Replace the path prefix OLD of frame-folder lists by NEW.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Manifest CSV to write (its class index goes beside it as <name>.classes.json).")
def prepare(dataset: str, splits_dir: Path, videos_dir: Path | None, labels_dir: Path | None, frame_lists: bool,
            rewrite_root: tuple[str, str] | None, out: Path) -> None:
    """Build a manifest from the official split lists of DATASET (synta, k400_ta or ssv2_ta).

    Every list found is read; a coarse list and the fine list of the same split are paired line by line,
    which also recovers each fine class's coarse parent. No video is opened: `synta data check` does that.
    """
    from synta.benchmark.data.datasets import dataset_info
    from synta.benchmark.data.labels import FormatError
    from synta.benchmark.data.manifest import count_notes, manifest_from_splits

    try:
        info = dataset_info(dataset)
    except KeyError as err:
        raise click.BadParameter(err.args[0], param_hint="DATASET") from None
    if videos_dir is None and not frame_lists:
        raise click.UsageError("--videos is required (the folder the list paths are relative to)")
    try:
        manifest = manifest_from_splits(info.name, splits_dir, videos_dir, labels_dir, frame_lists, rewrite_root)
    except FileNotFoundError as err:
        raise click.UsageError(str(err)) from None
    except FormatError as err:
        raise click.ClickException(str(err)) from None
    classes = manifest.classes
    click.echo(f"{info.title}: {len(classes.coarse)} coarse classes, {len(classes.in_set(1))} + "
               f"{len(classes.in_set(2))} fine classes")
    for note in count_notes(manifest):
        click.echo(f"  note: {note}")
    for split in ("train", "val"):
        counts = [len(manifest.select(split, s)) for s in (1, 2)]
        click.echo(f"  {split}: {counts[0]:,} videos in Set 1, {counts[1]:,} in Set 2")
    try:
        manifest.save(out)
    except OSError as err:
        raise click.UsageError(f"cannot write {out}: {err.strerror or err}") from None
    click.echo(f"wrote {out} ({len(manifest):,} videos) and {out.stem}.classes.json")


@data.command()
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(exists=True, path_type=Path))
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Where the videos are, if not where the manifest says.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Cleaned manifest to write (default: <manifest>.clean.csv beside it).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every problem found as JSON.")
@click.option("--full", is_flag=True, help="Decode every frame (default: first frame and the last GOP).")
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS), help=f"Processes, at most {MAX_WORKERS} (default: all cores).")
@click.option("--examples", default=3, show_default=True, type=click.IntRange(0),
              help="Examples printed per kind of problem.")
@click.option("--strict", is_flag=True, help="Exit with status 1 if any video has a problem.")
def check(manifest_path: Path, root: Path | None, out: Path | None, report_path: Path | None, full: bool,
          workers: int | None, examples: int, strict: bool) -> None:
    """Verify MANIFEST (a manifest CSV, or a rendered Syn-TA folder) against the disk and its label spaces.

    Reports missing, empty, unreadable and truncated videos, videos without frames and labels out of range,
    with counts and the first examples of each, and writes a cleaned manifest without them.
    """
    from synta.benchmark.data.check import check_manifest
    from synta.benchmark.data.labels import FormatError
    from synta.benchmark.data.manifest import read_manifest
    from synta.files import write_atomic

    try:
        manifest = read_manifest(manifest_path, root=root)
    except (FileNotFoundError, FormatError) as err:
        raise click.UsageError(str(err)) from None
    if out is None:
        base = manifest_path / "manifest.csv" if manifest_path.is_dir() else manifest_path
        out = base.with_name(base.stem + ".clean.csv")
    step = max(1, len(manifest) // 20)

    def progress(done: int, total: int) -> None:
        if total >= 1000 and (done % step == 0 or done == total):
            click.echo(f"  checked {done:,}/{total:,}", err=True)

    report = check_manifest(manifest, full=full, workers=workers, progress=progress)
    for line in report.lines(examples):
        click.echo(line)
    try:
        report.clean.save(out)
        if report_path is not None:
            write_atomic(report_path, json.dumps(report.to_dict(), indent=1) + "\n")
    except OSError as err:
        raise click.UsageError(f"cannot write {err.filename}: {err.strerror or err}") from None
    click.echo(f"wrote {out} ({len(report.clean):,} videos)")
    if strict and report.num_problems:
        raise SystemExit(1)


@data.command()
@click.option("--format", "fmt", required=True, type=click.Choice(FORMATS),
              help="mmaction2 VideoDataset lists, PySlowFast Kinetics-style CSVs, or one CSV per direction.")
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(exists=True, path_type=Path))
@click.argument("out", metavar="OUT", type=click.Path(path_type=Path))
def export(fmt: str, manifest_path: Path, out: Path) -> None:
    """Write MANIFEST's transfer protocol (a manifest CSV, or a rendered Syn-TA folder) as annotation lists
    for mmaction2, PySlowFast or plain CSV under OUT/<task>/set<A>/, with the labels `synta bench` uses.

    Paths are absolute. Every folder also lists the fine classes that must not be flipped (no_flip.txt).
    OUT must be new, empty or a previous export (which is replaced).
    """
    from synta.benchmark.data.export import export_manifest
    from synta.benchmark.data.labels import FormatError
    from synta.benchmark.data.manifest import read_manifest
    from synta.errors import InputError

    try:
        manifest = read_manifest(manifest_path)
    except (FileNotFoundError, FormatError) as err:
        raise click.UsageError(str(err)) from None
    try:
        counts = export_manifest(manifest, fmt, out, source=manifest_path)
    except InputError as err:
        raise click.UsageError(str(err)) from None
    except OSError as err:
        raise click.ClickException(f"cannot write {err.filename}: {err.strerror or err}") from None
    for c in counts:
        click.echo(f"  {c.folder}: {c.train:,} train, {c.known:,} known val, {c.unknown:,} unknown val videos")
    click.echo(f"wrote {fmt} lists of {len(counts)} directions to {out}")
