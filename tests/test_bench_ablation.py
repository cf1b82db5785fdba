"""`synta bench --ablation`: the protocol on every variant of a `synta ablate` output (each / transfer),
then `synta report --factor` over the variants."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from synta.cli import cli

pytestmark = pytest.mark.blender
CONFIG = """
name: bg
base:
  classes: [rising1, rising3, orbiting1, orbiting2]
  n: 16
  camera: orbit
  resolution: 64
  engine: workbench
vary:
  background: [plain, realistic]
reference: background-realistic
bench:
  mode: transfer
"""


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def ablation(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ablation")
    (root / "bg.yaml").write_text(CONFIG)
    run("ablate", str(root / "bg.yaml"), "--out", str(root / "bg"), "--workers", "2")
    return root / "bg"


@pytest.mark.parametrize("mode", ["each", "transfer"])
def test_bench_runs_every_variant_and_report_tabulates_the_factor(ablation, tmp_path, mode):
    out = tmp_path / "runs"
    run("bench", "--model", "c2d_r50_tiny", "--ablation", str(ablation), "--ablation-mode", mode, "--epochs", "1",
        "--loader-workers", "0", "--output", str(out))
    index = json.loads((out / "ablation_runs.json").read_text())
    assert index["mode"] == mode and set(index["runs"]) == {"background-plain", "background-realistic"}
    results = {name: json.loads((out / name / "results.json").read_text()) for name in index["runs"]}
    assert {r["variant"]["background"] for r in results.values()} == {"plain", "realistic"}
    plain = results["background-plain"]
    if mode == "transfer":  # trained on the reference variant, evaluated on the other without training
        assert index["trained_on"] == "background-realistic"
        assert plain["eval_from"] == str((out / "background-realistic").resolve())
        assert not (out / "background-plain" / "coarse" / "set1" / "checkpoints").exists()
    else:
        assert plain["eval_from"] is None and (out / "background-plain" / "coarse" / "set1" / "log.csv").is_file()
    table = run("report", str(out / "background-plain"), str(out / "background-realistic"), "--factor",
                "background", "--out", str(tmp_path / "report"))
    assert "plain" in table and "realistic" in table
    assert (tmp_path / "report" / "tables.md").is_file()


def test_ablation_and_data_root_exclude_each_other(ablation, tmp_path):
    result = CliRunner().invoke(cli, ["bench", "--model", "c2d_r50_tiny", "--ablation", str(ablation),
                                      "--data-root", str(ablation / "background-plain")])
    assert result.exit_code == 2 and "exclude each other" in result.output
