"""`synta bench` end to end on a tiny rendered Syn-TA: both directions, exact resume (stopped and killed),
DDP over gloo, evaluation of another run's weights, and the one-line errors."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from synta.benchmark.engine.checkpoint import load_checkpoint
from synta.cli import cli, main

pytestmark = pytest.mark.blender  # every test trains on clips rendered by `synta render`
MODEL = "c2d_r50_tiny"
SYNTA = Path(sys.executable).with_name("synta")


def bench(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["bench", "--model", MODEL, "--loader-workers", "0", *args])
    return result.exit_code, result.output


def final_weights(run: Path, task: str = "coarse", direction: str = "set1") -> dict[str, torch.Tensor]:
    return load_checkpoint(run / task / direction / "checkpoints" / "last.pt")["model"]


def assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.fixture(scope="module")
def two_epoch_run(tiny_synta, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "run"
    code, output = bench("--data-root", str(tiny_synta), "--output", str(out), "--epochs", "2", "--task", "both")
    assert code == 0, output
    return out


def test_results_have_both_directions_and_their_mean(two_epoch_run):
    results = json.loads((two_epoch_run / "results.json").read_text())
    assert results["format"] == "synta-results/1" and results["model"] == MODEL
    assert results["variant"]["background"] == "plain"
    coarse = results["tasks"]["coarse"]
    assert set(coarse["directions"]) == {"set1", "set2"}
    for name, d in coarse["directions"].items():
        assert d["known"]["num_videos"] == 6 and d["unknown"]["num_videos"] == 6  # 3 classes × 2 val clips
        assert d["known"]["set"] == d["train_set"] == int(name[-1]) and d["unknown"]["set"] == 3 - d["train_set"]
        assert len(d["known"]["confusion"]) == 20
        assert d["metrics"]["known"] == d["known"]["top1"] and d["metrics"]["unknown"] == d["unknown"]["top1"]
    for key in ("known", "unknown", "d_abs", "hm"):
        per = [d["metrics"][key] for d in coarse["directions"].values()]
        assert coarse["mean"][key] == pytest.approx(sum(per) / 2)
    fine = results["tasks"]["fine"]  # unimodal: fine K only, and the note says why
    assert fine["mean"]["unknown"] is None and "unimodal" in fine["note"]
    sizes = {name: len(d["known"]["confusion"]) for name, d in fine["directions"].items()}
    assert sizes == {"set1": 53, "set2": 47} and all(d["unknown"] is None for d in fine["directions"].values())


def test_run_folder_holds_config_logs_checkpoints_predictions(two_epoch_run):
    d = two_epoch_run / "coarse" / "set1"
    assert (two_epoch_run / "config.yaml").is_file()
    log = (d / "log.csv").read_text().splitlines()
    assert log[0].startswith("epoch,") and [row.split(",")[0] for row in log[1:]] == ["1", "2"]
    assert any((d / "tb").iterdir())
    state = torch.load(d / "checkpoints" / "last.pt", weights_only=True)  # loads without pickled code
    assert state["epoch"] == 2
    rows = (d / "predictions_unknown.csv").read_text().splitlines()
    assert rows[0].startswith("path,set,label") and len(rows) == 7 and all(r.split(",")[1] == "2" for r in rows[1:])
    assert not list(two_epoch_run.rglob(".*tmp*"))  # no temporary files left behind


def test_stopped_then_resumed_run_ends_with_the_same_weights(tiny_synta, two_epoch_run, tmp_path):
    out = tmp_path / "run"
    args = ["--data-root", str(tiny_synta), "--output", str(out), "--epochs", "2", "--task", "both"]
    code, output = bench(*args, "--stop-after", "1")
    assert code == 0 and "--resume" in output
    assert not (out / "results.json").exists()
    code, output = bench(*args, "--resume")
    assert code == 0, output
    for task in ("coarse", "fine"):
        for direction in ("set1", "set2"):
            assert_same_weights(final_weights(two_epoch_run, task, direction), final_weights(out, task, direction))
    assert json.loads((out / "results.json").read_text())["tasks"] == \
        json.loads((two_epoch_run / "results.json").read_text())["tasks"]


def test_killed_run_resumes_to_the_same_weights(tiny_synta, tmp_path):
    def run(out: Path, *extra: str) -> subprocess.Popen:
        return subprocess.Popen([str(SYNTA), "bench", "--model", MODEL, "--data-root", str(tiny_synta),
                                 "--output", str(out), "--epochs", "4", "--set-direction", "1", "--loader-workers", "2",
                                 *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    reference = tmp_path / "reference"
    assert run(reference).wait(timeout=600) == 0
    killed = tmp_path / "killed"
    proc = run(killed)
    log = killed / "coarse" / "set1" / "log.csv"
    deadline = time.time() + 600
    while proc.poll() is None and not (log.is_file() and len(log.read_text().splitlines()) >= 3):
        assert time.time() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # mid-way through the third epoch (or while saving it)
    proc.wait()
    assert load_checkpoint(killed / "coarse" / "set1" / "checkpoints" / "last.pt")["epoch"] in (2, 3, 4)
    assert run(killed, "--resume").wait(timeout=600) == 0
    assert_same_weights(final_weights(reference), final_weights(killed))


def test_ddp_over_gloo_gives_the_same_metrics_as_one_process(tiny_synta, two_epoch_run, tmp_path):
    def evaluate(out: Path, launcher: list[str]) -> dict:
        res = subprocess.run([*launcher, "bench", "--model", MODEL, "--data-root", str(tiny_synta),
                              "--output", str(out), "--eval-from", str(two_epoch_run), "--loader-workers", "0",
                              "--set", "train.eval_batch_size=1"], capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stderr[-2000:]
        return json.loads((out / "results.json").read_text())["tasks"]

    torchrun = [str(Path(sys.executable).with_name("torchrun")), "--nproc-per-node", "2", "--master-port", "29531",
                "-m", "synta"]
    one, two = evaluate(tmp_path / "one", [str(SYNTA)]), evaluate(tmp_path / "two", torchrun)
    assert one == two
    # evaluating a run's final weights reproduces the run's own numbers
    trained = json.loads((two_epoch_run / "results.json").read_text())["tasks"]["coarse"]
    assert one["coarse"]["mean"] == trained["mean"]


def test_ddp_training_runs_two_processes(tiny_synta, tmp_path):
    out = tmp_path / "ddp"
    # the old spelling --workers still means loader workers in bench
    res = subprocess.run([str(Path(sys.executable).with_name("torchrun")), "--nproc-per-node", "2",
                          "--master-port", "29532", "-m", "synta", "bench", "--model", MODEL, "--data-root",
                          str(tiny_synta), "--output", str(out), "--epochs", "1", "--batch-size", "1",
                          "--set-direction", "1", "--workers", "0"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    assert results["tasks"]["coarse"]["directions"]["set1"]["unknown"]["num_videos"] == 6
    assert load_checkpoint(out / "coarse" / "set1" / "checkpoints" / "last.pt")["step"] == 3  # 6 clips / (2 × 1)


@pytest.mark.parametrize("args, message", [
    (["--model", "nope"], "unknown model 'nope'"),
    (["--data-root", "/nonexistent"], "no manifest"),
    (["--dataset", "k400-ta"], "holds synta, not k400_ta"),
    (["--zero-shot"], "--zero-shot needs a model that classifies by text"),
    (["--set", "optim.nonsense=1"], "unknown optim setting"),
    (["--set", "nodots=1"], "expected SECTION.KEY=VALUE"),
])
def test_usage_errors_are_one_line_with_exit_code_2(tiny_synta, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--model", MODEL, "--data-root", str(tiny_synta), "--output", str(tmp_path / "x"), *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "x" / "results.json").exists()


def test_existing_run_needs_resume(tiny_synta, two_epoch_run):
    code, output = bench("--data-root", str(tiny_synta), "--output", str(two_epoch_run), "--epochs", "2",
                         "--task", "both")
    assert code == 2 and "--resume" in output
    code, output = bench("--data-root", str(tiny_synta), "--output", str(two_epoch_run), "--epochs", "3",
                         "--task", "both", "--resume")
    assert code == 2 and "another configuration" in output
    assert "--overwrite" in bench("--data-root", str(tiny_synta), "--output", str(two_epoch_run), "--epochs", "2",
                                  "--task", "both")[1]


def one_line_error(capsys, *args: str) -> tuple[int, str]:
    """Exit code and the single stderr line of ``synta bench`` run through the real entry point."""
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--model", MODEL, "--loader-workers", "0", *args])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("synta: error:") and "Traceback" not in err, err
    return exit_info.value.code, lines[0]


def test_bad_start_inputs_are_refused_before_the_run_folder_is_touched(tiny_synta, two_epoch_run, tmp_path, capsys):
    out = tmp_path / "run"
    common = ["--data-root", str(tiny_synta), "--out", str(out), "--epochs", "1", "--set-direction", "1"]
    (tmp_path / "notes.txt").write_text("not weights")
    (tmp_path / "hostile.pt").write_bytes(b"cos\nsystem\n(S'touch /tmp/pwned'\ntR.")
    assert one_line_error(capsys, *common, "--weights", str(tmp_path / "missing.pt")) == \
        (2, f"synta: error: --weights: no weights file at {tmp_path / 'missing.pt'}")
    for bad in ("notes.txt", "hostile.pt"):
        code, line = one_line_error(capsys, *common, "--weights", str(tmp_path / bad))
        assert code == 2 and "not a loadable weights file" in line
    truncated = tmp_path / "truncated"
    (truncated / "coarse" / "set1" / "checkpoints").mkdir(parents=True)
    last = two_epoch_run / "coarse" / "set1" / "checkpoints" / "last.pt"
    (truncated / "coarse" / "set1" / "checkpoints" / "last.pt").write_bytes(last.read_bytes()[:1000])
    code, line = one_line_error(capsys, *common, "--eval-from", str(truncated))
    assert code == 2 and "not a loadable checkpoint" in line
    (tmp_path / "file").write_text("")
    code, line = one_line_error(capsys, *common[:2], "--out", str(tmp_path / "file" / "run"))
    assert code == 2 and "is a file, not a folder" in line
    assert not out.exists()


def test_a_failed_start_leaves_a_folder_the_corrected_rerun_can_use(tiny_synta, tmp_path, capsys):
    out = tmp_path / "run"
    common = ["--data-root", str(tiny_synta), "--out", str(out), "--epochs", "1", "--set-direction", "1"]
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pt")  # loads, but fits no model
    code, line = one_line_error(capsys, *common, "--weights", str(tmp_path / "other.pt"))
    assert code == 2 and "does not fit" in line
    code, output = bench(*common)  # the same folder, no --resume needed: the failed start made no progress
    assert code == 0, output
    first = (out / "results.json").read_text()
    code, output = bench(*common, "--overwrite")  # a deliberate restart of a finished run
    assert code == 0, output
    assert json.loads((out / "results.json").read_text())["tasks"] == json.loads(first)["tasks"]
    replay = tmp_path / "replay"  # the run's own config.yaml replays it: model, data, seed, whole recipe
    result = CliRunner().invoke(cli, ["bench", "--config", str(out / "config.yaml"), "--loader-workers", "0", "--out",
                                      str(replay)])
    assert result.exit_code == 0, result.output
    assert json.loads((replay / "results.json").read_text())["tasks"] == json.loads(first)["tasks"]
    (out / "config.yaml").write_bytes(b"\xff\xfe not yaml")
    code, line = one_line_error(capsys, *common, "--resume")
    assert code == 2 and "not a readable run config" in line
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--config", str(out / "config.yaml")])
    assert exit_info.value.code == 2 and "not utf-8 text" in capsys.readouterr().err


def test_resume_with_nothing_to_resume_says_so_and_starts(tiny_synta, tmp_path, caplog):
    out = tmp_path / "run"
    code, output = bench("--data-root", str(tiny_synta), "--out", str(out), "--epochs", "1", "--set-direction", "1",
                         "--resume")
    assert code == 0, output
    assert f"{out}: nothing to resume" in caplog.text and (out / "results.json").is_file()


def test_a_second_run_into_a_folder_in_use_is_refused(tiny_synta, tmp_path, capsys):
    from synta.files import folder_lock

    out = tmp_path / "run"
    with folder_lock(out, what="run folder"):  # as a running bench holds it
        code, line = one_line_error(capsys, "--data-root", str(tiny_synta), "--out", str(out))
    assert code == 2 and f"run folder {out} is in use by another synta run (pid {os.getpid()})" in line
    assert not (out / "config.yaml").exists()


def test_dry_run_plans_and_estimates_without_writing(tiny_synta, two_epoch_run, tmp_path):
    out = tmp_path / "run"
    code, output = bench("--data-root", str(tiny_synta), "--out", str(out), "--epochs", "3", "--dry-run")
    assert code == 0, output
    lines = output.strip().splitlines()
    assert lines[0].startswith("coarse/set1 c2d_r50_tiny: 6 train clips, 3 steps/epoch x 3 epochs; 6 known + 6 "
                               "unknown val clips")
    assert sum(line.startswith("  estimated ") for line in lines) == 2 and lines[-1].startswith("total estimated ")
    assert not out.exists()
    code, output = bench("--data-root", str(tiny_synta), "--out", str(out), "--eval-from", str(two_epoch_run),
                         "--dry-run")  # evaluation only: timed on training batches of its val clips
    assert code == 0 and "evaluation only" in output and not out.exists(), output
