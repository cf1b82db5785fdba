"""``synta weights``: which weights files ``--pretrained`` reads, and importing them on a machine without network
(the logic lives in ``synta.models.weights_cache``)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from synta.errors import RuntimeFailure


@click.group()
def weights() -> None:
    """The canonical weights `--pretrained` reads: where they are cached, and importing them offline."""


@weights.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_weights(as_json: bool) -> None:
    """Per model with canonical weights: the file(s) `--pretrained` reads, their source, where they are looked
    for on this machine, whether they are there, and the expected SHA-256 where one is published."""
    from synta.models.registry import list_models
    from synta.models.weights_cache import expected_weights

    entries = expected_weights()
    if as_json:
        click.echo(json.dumps([{"model": e.model, "pretrained": e.pretrained, "present": e.present, "files": [
            {"name": f.name, "source": f.source, "hf_repo": f.hf_repo or None, "path": str(f.path),
             "present": f.present, "sha256": f.sha256 or None} for f in e.files]} for e in entries], indent=2))
        return
    # models sharing a file (every CLIP ViT-B/16 model, both ImageNet ResNet-50 ones) are listed once per file
    groups: dict[tuple, list] = {}
    for e in entries:
        groups.setdefault(e.files, []).append(e)
    for files, group in groups.items():
        click.echo(f"{' or '.join(f.name for f in files)}: {'present' if group[0].present else 'MISSING'}  "
                   f"[{group[0].pretrained}]")
        click.echo(f"  models  {', '.join(e.model for e in group)}")
        indent = "    " if len(files) > 1 else "  "  # alternatives get a heading each
        for f in files:
            if len(files) > 1:
                click.echo(f"  {f.name}:")
            click.echo(f"{indent}source  {f.source}")
            click.echo(f"{indent}path    {f.path}" + ("  (present)" if f.present else ""))
            click.echo(f"{indent}sha256  {f.hash_text}")
    missing = sum(not e.present for e in entries)
    click.echo(f"{len(entries)} models with canonical weights in {len(groups)} files ({missing} models missing them on "
               f"this machine); {len(list_models()) - len(entries)} models have none. "
               f"Bring missing files with `synta weights import DIR`.")


@weights.command("import")
@click.argument("folder", type=click.Path(path_type=Path))
def import_cmd(folder: Path) -> None:
    """Verify the expected weights files found in FOLDER (by file name; Hugging Face files inside a folder named
    after their repo) and copy them into the cache `--pretrained` reads. Exit code 1 if any was rejected."""
    from synta.models.weights_cache import import_weights

    results = import_weights(folder)
    for r in results:
        click.echo(f"{r.status:<8}  {r.file}" + (f": {r.detail}" if r.detail else ""))
    rejected = sum(r.status == "rejected" for r in results)
    counts = {s: sum(r.status == s for r in results) for s in ("imported", "present", "rejected", "ignored")}
    click.echo(", ".join(f"{n} {s}" for s, n in counts.items()))
    if rejected:
        raise RuntimeFailure(f"{rejected} of {len(results) - counts['ignored']} weights files rejected (see above)")
