"""Every ```python block of README.md runs, and every `synta` command of its ```bash blocks parses, so the
documented API and command lines cannot rot.

Each block is executed as written, in a fresh namespace, with the current directory set to a temporary
folder holding the tiny inputs the block names (a rendered-style ``synta_data`` tree, a local checkpoint).
A block this file does not know fails with a message saying where to add its inputs."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.data_helpers import encode

README = Path(__file__).resolve().parents[1] / "README.md"
# A fenced block, also indented under a list item: the fence's indent is stripped from every line.
BLOCK = re.compile(r"^(?P<indent> *)```(?P<lang>\w*)\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)


def readme_blocks(lang: str) -> list[tuple[int, str]]:
    """``(line, code)`` of every fenced block of ``lang`` in README.md, dedented."""
    text = README.read_text()
    return [(text.count("\n", 0, m.start()) + 1, textwrap.dedent(m["body"]))
            for m in BLOCK.finditer(text) if m["lang"] == lang]


PYTHON_BLOCKS = readme_blocks("python")


def make_synta_data(root: Path) -> None:
    """A ``synta_data`` tree as ``synta render`` writes it (manifest.csv, splits/), written by the generator's
    own index code, with tiny stand-in videos instead of Blender renders: two coarse classes, one fine class
    of each per set, three orbit clips per class."""
    from synta.generator.render.dataset import write_index
    from synta.generator.render.plan import plan_dataset, select_classes

    jobs = plan_dataset(12, select_classes(["rising1", "rising3", "falling1", "falling3"]), "orbit")
    finished = []
    for job in jobs:
        encode(root / f"{job.stem}.mp4", frames=24, width=64, height=36)
        finished.append((job, {"num_frames": 24, "fps": 24, "resolution": [64, 36],
                               "factors": {"background": "plain"}, "seed": 0}))
    write_index(root, finished)


def make_x3d_checkpoint(path: Path) -> None:
    """``X3D_M.pyth``: an X3D-M state dict with the 400-class Kinetics head, as the model zoo's files have."""
    import torch

    from synta.models import build

    torch.save(build("x3d_m", num_classes=400).state_dict(), path)


# What each block needs, keyed by a string only that block contains.
INPUTS: dict[str, Callable[[Path], None]] = {
    "sample_clip(": lambda tmp: None,
    "submitit": lambda tmp: None,  # run as an imported module: defines shard(); the cluster part is __main__ only
    "build_loader(": lambda tmp: make_synta_data(tmp / "synta_data"),
    "synta.models.build(": lambda tmp: make_x3d_checkpoint(tmp / "X3D_M.pyth"),
}
# Blocks that belong inside a module of the package rather than in a script: module → a marker of the block.
IN_MODULE = {'@motion("rising5")': "synta.generator.motions.rising"}


def _block_id(block: tuple[int, str]) -> str:
    return f"README.md:{block[0]}"


def test_the_readme_has_python_blocks():
    assert len(PYTHON_BLOCKS) >= 5


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=_block_id)
def test_readme_python_block_runs(block, tmp_path, monkeypatch):
    line, code = block
    if any(marker in code for marker in IN_MODULE):
        pytest.skip("a motion program: run by test_readme_new_fine_class_passes_its_check")
    setups = [setup for marker, setup in INPUTS.items() if marker in code]
    assert len(setups) == 1, f"README.md:{line}: a new python block; give it its inputs in INPUTS of {__file__}"
    setups[0](tmp_path)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "readme"})  # noqa: S102 (the README's code)


NEW_CLASS_CHECK = """
import sys, yaml
from synta.assets import load_yaml
from synta.generator import sample_clip, sidecar
from synta.generator.checks import check, in_frame
from synta.generator.taxonomy import load_taxonomy
import {module} as module

# Step 1, in this process only: the row goes into the taxonomy, shifting the later rows of its set.
row = yaml.safe_load(sys.argv[2])[0]
fine = load_yaml("taxonomy.yaml")["fine"]
for f in fine:
    f["index"] += f["set"] == row["set"] and f["index"] >= row["index"]
fine.append(row)
load_taxonomy.cache_clear()
# Step 2: the program and its check, run as the module's own code.
exec(compile(sys.argv[1], "README.md:{line}", "exec"), vars(module))
name = row["folder"] + str(row["intra"])
failed = [(seed, camera) for seed in range(20) for camera in ("orbit", "front")
          if not (lambda ann: check(ann) and in_frame(ann))(sidecar(sample_clip(name, 1, seed=seed, camera=camera)))]
print(failed)
sys.exit(1 if failed else 0)
"""


def test_readme_new_fine_class_passes_its_check():
    """The "Adding a fine class" example: its taxonomy row (the YAML block before it) and its program and
    check, put into ``generator/motions/rising.py``'s namespace, give clips that pass the check (20 seeds,
    both cameras) with the object in frame. Run in a subprocess so the extra class stays out of this one."""
    (line, code), = [b for b in PYTHON_BLOCKS if any(marker in b[1] for marker in IN_MODULE)]
    module = next(m for marker, m in IN_MODULE.items() if marker in code)
    row = next(body for at, body in readme_blocks("yaml") if at < line and "rising" in body and "label:" in body)
    res = subprocess.run([sys.executable, "-c", NEW_CLASS_CHECK.format(module=module, line=line), code, row],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, f"seeds and cameras whose clip fails the check: {res.stdout}{res.stderr[-2000:]}"


def _parse_synta(args: list[str]) -> None:
    """Parse ``synta ARGS`` down to its (sub)command with the real option parsers, running nothing."""
    import click

    from synta.cli import cli

    ctx = cli.make_context("synta", list(args))
    command: click.Command = cli
    while isinstance(command, click.Group):
        name, command, rest = command.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        ctx = command.make_context(name, rest, parent=ctx)


SYNTA_LINES = [(line, cmd) for line, body in readme_blocks("bash")
               for cmd in (m.group(1) for m in re.finditer(r"(?:^|-m )synta (.*)$", body.replace("\\\n", " "), re.M))
               if "$" not in cmd]  # shell variables stand for values only a shell has


@pytest.mark.parametrize("line, command", SYNTA_LINES, ids=[f"line{line}" for line, _ in SYNTA_LINES])
def test_readme_synta_commands_parse(line: int, command: str) -> None:
    """Every ``synta`` command of a bash block names real subcommands, options and values. Paths the
    reader supplies need not exist here."""
    import shlex

    import click

    try:
        _parse_synta(shlex.split(command, comments=True))
    except click.exceptions.Exit:  # --help, --version
        pass
    except click.BadParameter as err:
        assert "does not exist" in err.format_message() or "no such file" in err.format_message(), (line, err)
    except click.ClickException as err:
        pytest.fail(f"README.md line {line}: synta {command}: {err.format_message()}")


STUDY_BLOCKS = [(line, body) for line, body in readme_blocks("yaml") if "runs:" in body and "datasets:" in body]


@pytest.mark.parametrize("line, body", STUDY_BLOCKS, ids=[f"line{line}" for line, _ in STUDY_BLOCKS])
def test_readme_study_examples_plan(line: int, body: str, tmp_path: Path) -> None:
    """Every study YAML in the README parses and plans, each job checked by the real CLI parsers."""
    from synta.benchmark.study.jobs import plan_study
    from synta.benchmark.study.spec import parse_study
    from synta.cli.study import _validator

    plan = plan_study(parse_study("readme", body, f"README.md:{line}"), tmp_path, _validator("readme"))
    assert plan.benches, line


def test_the_readme_has_a_study_example():
    assert STUDY_BLOCKS
