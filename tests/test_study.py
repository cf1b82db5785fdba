"""`synta study`: render → bench over seeds → report, resumable; and `synta models`."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from synta.benchmark.metrics import transfer_metrics
from synta.benchmark.study import Study, load_study, summarise, summary_markdown
from synta.cli import cli, main

STUDY = """
render: {classes: [rising1, rising3, falling1, falling3], n: 16, camera: orbit, resolution: 64, engine: workbench}
model: c2d_r50_tiny
bench: {train: {epochs: 1}}
seeds: [0, 1]
"""


@pytest.mark.blender
def test_study_renders_trains_every_seed_and_reports(tmp_path):
    spec = tmp_path / "small.yaml"
    spec.write_text(STUDY)
    out = tmp_path / "study"
    result = CliRunner().invoke(cli, ["study", str(spec), "--out", str(out), "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert "| 1→2 |" in result.output and "±" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {"set1", "set2", "mean"} and summary["mean"]["known"]["std"] >= 0
    seeds = [json.loads((out / "runs" / f"seed{s}" / "results.json").read_text())["seed"] for s in (0, 1)]
    assert seeds == [0, 1] and (out / "report" / "tables.md").is_file()
    again = CliRunner().invoke(cli, ["study", str(spec), "--out", str(out), "--workers", "0"])  # all done: resumes
    assert again.exit_code == 0
    assert json.loads((out / "summary.json").read_text()) == summary


def test_shipped_mini_study_covers_every_class_and_three_seeds():
    mini = load_study("mini")
    assert mini.seeds == (0, 1, 2) and "classes" not in mini.render and mini.tasks == ("coarse",)


def test_bad_study_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["study", str(tmp_path / "missing.yaml")])
    assert exit_info.value.code == 2 and "no study file" in capsys.readouterr().err


def test_models_lists_the_zoo_as_json():
    result = CliRunner().invoke(cli, ["models", "--json"])
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.output)}
    expected = {"c2d_r50", "i3d_r50", "x3d_m", "slowfast_r50", "mvitv2_s", "rev_mvit_b", "aim_b16", "uniformerv2_b16",
                "actionclip_b16", "xclip_b16", "vificlip_b16", "ezclip_b16", "froster_b16"}
    assert expected <= set(rows)
    assert rows["x3d_m"]["frames"] == 16 and rows["x3d_m"]["stride"] == 5 and "x3d" in rows["x3d_m"]["aliases"]
    assert rows["aim_b16"]["text"] is False and rows["vificlip_b16"]["text"] is True


def test_summary_aggregates_seeds_as_the_report_does():
    def result(known: float, unknown: float) -> dict:
        metrics = transfer_metrics(known, unknown)
        return {"tasks": {"coarse": {"directions": {"set1": {"metrics": metrics}}, "mean": metrics}}}

    study = Study("t", {}, "c2d_r50_tiny", {}, ("coarse",), (0,))
    one = summarise([result(80.0, 40.0)])
    assert one["set1"]["known"] == {"mean": 80.0, "std": None}  # one seed: no spread, not 0
    assert "| 1→2 | 80.00 | 40.00 | 40.00 | 50.00 | 53.33 |" in summary_markdown(study, one)
    two = summarise([result(80.0, 40.0), result(82.0, 40.0)])
    assert "| 1→2 | 81.00 ± 1.41 | 40.00 ± 0.00 |" in summary_markdown(study, two)
