"""The README's Quickstart, end to end through the installed ``synta`` command: the first bash block's
first command line (render → bench → report) runs as written, only rendered smaller (plain background,
64 px, orbit camera: the options appended last win), so a newcomer's first hour keeps working."""
from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.blender
README = Path(__file__).resolve().parents[1] / "README.md"
SYNTA = Path(sys.executable).with_name("synta")
SMALLER = {"render": ["--resolution", "64", "--background", "plain", "--camera", "orbit", "--n", "38"]}


def quickstart_commands() -> list[list[str]]:
    """The ``synta`` commands of the Quickstart's first command line (the set-up steps before them dropped)."""
    block = README.read_text().split("## Quickstart", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    line = next(line for line in block.splitlines() if line and not line.startswith("#"))
    commands = [shlex.split(part) for part in line.split("&&")]
    return [cmd[1:] for cmd in commands if cmd[0].endswith("/synta")]


def test_the_quickstart_renders_benches_and_reports(tmp_path):
    commands = quickstart_commands()
    assert [cmd[0] for cmd in commands] == ["render", "bench", "report"]
    for cmd in commands:
        res = subprocess.run([str(SYNTA), *cmd, *SMALLER.get(cmd[0], [])], cwd=tmp_path, capture_output=True,
                             text=True, timeout=900)
        assert res.returncode == 0, f"{cmd}: {res.stderr[-2000:]}"
        assert "warning:" not in res.stdout, res.stdout  # the dataset has what bench needs
    results = json.loads(next(tmp_path.glob("runs/*/results.json")).read_text())
    assert set(results["tasks"]["coarse"]["directions"]) == {"set1", "set2"}
    assert (tmp_path / "report" / "tables.md").is_file()
