"""`synta study`: datasets → runs → report as real `synta` jobs, resumable, here or through submitit; and
`synta models`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from synta.benchmark.study.estimate import seconds_per_clip
from synta.benchmark.study.executors import SlurmExecutor
from synta.benchmark.study.jobs import Job, options_argv, plan_study, set_argv
from synta.benchmark.study.spec import load_study, parse_study
from synta.cli import cli, main

TINY_RENDER = "{classes: [rising1, rising3, falling1, falling3], n: 16, camera: orbit, resolution: 64, engine: workbench}"
STUDY = f"""
datasets:
  small: {{render: {TINY_RENDER}, shards: 2}}
runs:
  - models: [c2d_r50_tiny]
    datasets: [small]
    seeds: [0, 1]
    options: {{loader_workers: 0, device: cpu}}
    bench: {{train: {{epochs: 1}}}}
"""


def _study(tmp_path: Path, text: str = STUDY) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(text)
    return path


@pytest.mark.blender
def test_study_renders_in_shards_trains_every_seed_reports_and_resumes(tmp_path):
    spec, out = _study(tmp_path), tmp_path / "study"
    result = CliRunner().invoke(cli, ["study", str(spec), "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "finished render-small-shard0" in result.output and "finished merge-small" in result.output
    assert "| c2d_r50_tiny" in result.output  # the report's tables
    runs = [out / "runs" / "small" / "c2d_r50_tiny" / f"seed{s}" for s in (0, 1)]
    assert [json.loads((r / "results.json").read_text())["seed"] for r in runs] == [0, 1]
    assert (out / "report" / "tables.md").is_file() and (out / "logs" / "bench-small-c2d_r50_tiny-seed1.log").is_file()
    assert sum(1 for _ in (out / "data" / "small" / "manifest.csv").open()) == 17
    before = {r: (r / "results.json").read_bytes() for r in runs}
    again = CliRunner().invoke(cli, ["study", str(spec), "--out", str(out)])  # all done: nothing runs again
    assert again.exit_code == 0 and "started" not in again.output
    assert {r: (r / "results.json").read_bytes() for r in runs} == before
    dry = CliRunner().invoke(cli, ["study", str(spec), "--out", str(out), "--dry-run"])
    assert "0 render job(s), 0 merge(s), 0 of 2 run(s) to train (2 finished)" in dry.output


@pytest.mark.blender
def test_a_study_runs_through_submitit(tmp_path):
    """The SLURM path with submitit's local stand-in: real submitit jobs, real renders and training."""
    one_seed = STUDY.replace("seeds: [0, 1]", "seeds: [0]").replace(", shards: 2", "")
    spec, out = _study(tmp_path, one_seed), tmp_path / "study"
    result = CliRunner().invoke(cli, ["study", str(spec), "--out", str(out), "--executor", "submitit-local"])
    assert result.exit_code == 0, result.output
    assert "submitted 1 render job(s)" in result.output and "submitted 1 bench job(s)" in result.output
    assert (out / "runs" / "small" / "c2d_r50_tiny" / "seed0" / "results.json").is_file()
    assert list((out / "logs" / "submitit").glob("*_log.out"))


def test_a_changed_definition_is_refused_for_existing_folders_and_new_runs_are_added(tmp_path):
    out = tmp_path / "study"
    (out / "runs").mkdir(parents=True)
    (out / "definition.json").write_text(json.dumps({"data/small": ["render", "--n", "8"]}))
    with pytest.raises(SystemExit) as exit_info:
        main(["study", str(_study(tmp_path)), "--out", str(out), "--executor", "local", "--jobs", "1"])
    assert exit_info.value.code == 2
    from synta.benchmark.study.jobs import check_definition

    study = parse_study("s", STUDY, "s")
    plan = plan_study(study, tmp_path / "fresh")
    merged = check_definition(study, tmp_path / "fresh", list(plan.benches))
    assert set(merged) == {"runs/small/c2d_r50_tiny/seed0", "runs/small/c2d_r50_tiny/seed1"}


def test_the_plan_is_one_synta_command_per_shard_and_run():
    study = parse_study("s", STUDY, "s")
    plan = plan_study(study, Path("/o"))
    assert [j.name for j in plan.renders] == ["render-small-shard0", "render-small-shard1"]
    assert plan.renders[1].argv[-4:] == ("--num-shards", "2", "--shard-id", "1")
    assert [j.argv for j in plan.merges] == [("render", "--merge", "--out", "/o/data/small")]
    assert plan.benches[1].argv == (
        "bench", "--model", "c2d_r50_tiny", "--dataset", "synta", "--data-root", "/o/data/small", "--task", "coarse",
        "--seed", "1", "--loader-workers", "0", "--device", "cpu", "--set", "train.epochs=1",
        "--out", "/o/runs/small/c2d_r50_tiny/seed1")


def test_settings_become_options_and_overrides_become_sets():
    assert options_argv({"no_denoise": True, "zero_shot": False, "classes": ["a", "b"], "n": 5}) == [
        "--no-denoise", "--classes", "a", "--classes", "b", "--n", "5"]
    assert set_argv({"clip": {"sampler": "uniform", "frames": 8}, "transform": {"area": [0.6, 1.0]},
                     "optim": {"name": "2.0"}}) == [
        "--set", "clip.sampler=uniform", "--set", "clip.frames=8", "--set", "transform.area=[0.6,1.0]",
        "--set", 'optim.name="2.0"']  # a string YAML would read as a number stays a string


def test_several_gpus_start_torchrun_on_one_node():
    job = Job("bench", "b", ("bench", "--model", "x"), Path("/o"), gpus=4)
    assert job.command()[1:5] == ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node=4"]
    params = SlurmExecutor(Path("/o"), {"bench": {"cpus": 32, "partition": "gpu", "account": "lab"}}).parameters("bench", 4)
    assert params["gpus_per_node"] == 4 and params["cpus_per_task"] == 32
    assert params["slurm_partition"] == "gpu" and params["slurm_account"] == "lab"


def test_shipped_mini_study_covers_every_class_and_three_seeds():
    mini = load_study("mini")
    assert mini.runs[0].seeds == (0, 1, 2) and "classes" not in mini.datasets["syn_ta"].render
    assert mini.runs[0].tasks == ("coarse",)


def test_dry_run_estimates_from_the_measured_figures(tmp_path):
    result = CliRunner().invoke(cli, ["study", "mini", "--out", str(tmp_path / "m"), "--dry-run"])
    assert result.exit_code == 0, result.output
    # 100 classes x 4 train ids = 200 train clips per set, 200 val: 2 x 15 x (200 + 200/3) / 62 clips/s = 129 s,
    # 62 clips/s being the cpu2 figure measured at the mini study's input (8 x 64²)
    assert "bench-syn_ta-i3d_r50_tiny-seed0  ~2 min (62 clips/s on cpu2" in result.output
    assert "training on cpu2: 0.1 device-hours" in result.output  # 3 seeds
    assert not (tmp_path / "m").exists()


def test_seconds_per_clip_is_a_fixed_cost_plus_a_cost_per_pixel():
    # one figure: pixels only (10 clips/s at 100 px -> 0.2 s at 200 px)
    assert seconds_per_clip([(100, 10.0)], 200) == pytest.approx(0.2)
    # 0.1 s at 100 px, 0.2 s at 300 px: a = 0.05, b = 0.0005 -> 0.15 s at 200 px
    assert seconds_per_clip([(100, 10.0), (300, 5.0)], 200) == pytest.approx(0.15)
    # larger input measured faster (noise): the mean fixed cost, (0.2 + 0.1) / 2
    assert seconds_per_clip([(100, 5.0), (300, 10.0)], 200) == pytest.approx(0.15)
    # 0.1 s at 100, 0.5 s at 300 would need a < 0: through the origin, b = (10 + 150) / (1e4 + 9e4) = 0.0016
    assert seconds_per_clip([(100, 10.0), (300, 2.0)], 200) == pytest.approx(0.32)


def test_estimates_use_the_figure_measured_at_the_runs_input(tmp_path):
    # background_mini trains at 8 x 112², where the second cpu2 figure was measured (39 clips/s):
    # 2 x 40 x (200 + 200/3) / 39 = 547 s
    result = CliRunner().invoke(cli, ["study", "background_mini", "--out", str(tmp_path / "b"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "bench-realistic-i3d_r50_tiny-seed0  ~9 min (39 clips/s on cpu2" in result.output


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


def test_a_failed_run_is_named_and_the_study_exits_1(tmp_path):
    data = tmp_path / "empty"
    data.mkdir()
    spec = _study(tmp_path, f"datasets: {{d: {{path: {data}}}}}\nruns: [{{models: [c2d_r50_tiny], datasets: [d]}}]\n")
    result = CliRunner().invoke(cli, ["study", str(spec), "--out", str(tmp_path / "s")])
    assert result.exit_code == 1
    assert "FAILED bench-d-c2d_r50_tiny-seed0 (exit 2): synta: error:" in result.output
    assert "1 job(s) failed (bench-d-c2d_r50_tiny-seed0); rerun the same command to retry them" in result.output


@pytest.mark.parametrize("name, tables", [("paper_transfer", {"coarse", "fine"}), ("paper_disentangle", {"disentangle"})])
def test_the_paper_studies_run_what_the_paper_reports_and_nothing_else(name, tables, tmp_path):
    from synta.benchmark.paper import load_paper

    study = load_study(name)
    plan = plan_study(study, tmp_path)
    ours = {(job.model, study.datasets[job.dataset].kind, task) for job in plan.benches
            for task in study.runs[job.group].tasks}
    paper = load_paper()
    published = {(r.model, r.dataset, r.task) for r in paper.rows if r.provenance.table in tables}
    assert ours == published
    assert all(study.datasets[j.dataset].render is None or study.datasets[j.dataset].render["background"] == "realistic"
               for j in plan.benches)  # the published Syn-TA is the realistic one


def test_slurm_without_a_cluster_is_one_line_and_writes_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["study", str(_study(tmp_path)), "--out", str(tmp_path / "s"), "--executor", "slurm"])
    assert exit_info.value.code == 2 and 'Could not detect "srun"' in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_the_definition_does_not_depend_on_how_the_study_folder_is_spelled(tmp_path, monkeypatch):
    from synta.benchmark.study.jobs import check_definition, record_definition

    monkeypatch.chdir(tmp_path)
    study = parse_study("s", STUDY, "s")
    record_definition(study, Path("s"), plan_study(study, Path("s")))
    again = plan_study(study, tmp_path / "s")
    check_definition(study, tmp_path / "s", [*again.renders[:1], *again.benches])  # no error
    changed = parse_study("s", STUDY.replace("epochs: 1", "epochs: 2"), "s")
    with pytest.raises(Exception, match="was made by `synta bench"):
        check_definition(changed, tmp_path / "s", list(plan_study(changed, tmp_path / "s").benches))
