"""The ``synta`` command as users run it (a real subprocess through the installed console script)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SYNTA = Path(sys.executable).with_name("synta")


def run(*args: str) -> subprocess.CompletedProcess:
    cmd = [str(SYNTA)] if SYNTA.exists() else [sys.executable, "-m", "synta.cli"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=300)


def test_classes_json():
    out = run("classes", "--json")
    assert out.returncode == 0, out.stderr
    fine = json.loads(out.stdout)
    assert len(fine) == 100
    assert sum(f["set"] == 1 for f in fine) == 53 and sum(f["set"] == 2 for f in fine) == 47
    assert len({f["coarse"] for f in fine}) == 20
    row = next(f for f in fine if f["name"] == "cloning2")
    assert (row["set"], row["index"], row["coarse"], row["intra"], row["folder"]) == (2, 14, 5, 2, "cloning")
    assert set(row) >= {"label", "frames", "fps", "coarse_name"}


def test_classes_table_and_set_filter():
    out = run("classes", "--set-id", "2")
    assert out.returncode == 0
    assert "47 fine classes" in out.stdout and "orbiting4" in out.stdout and "orbiting1 " not in out.stdout


def test_classes_check_runs_the_semantic_checks():
    out = run("classes", "--check", "--seeds", "1", "--set-id", "1")
    assert out.returncode == 0, out.stdout[-2000:]
    assert "53/53 classes pass" in out.stdout


def test_spec_prints_a_clip_and_its_sidecar():
    spec = json.loads(run("spec", "orbiting3", "--clip-id", "4", "--camera", "front").stdout)
    assert spec["fine"] == "orbiting3" and spec["clip_id"] == 4 and spec["camera"]["rig"] == "front"
    sc = json.loads(run("spec", "orbiting3", "--clip-id", "4", "--camera", "front", "--sidecar").stdout)
    assert sc["clip"] == "orbiting/orbiting3_front_id_4"


@pytest.mark.parametrize("args,needle", [
    (("spec", "flying1"), "unknown fine class 'flying1'"),
    (("classes", "--bogus"), "No such option"),
    (("spec", "rising1", "--camera", "top"), "'top' is not one of"),
    (("spec", "rising1", "--clip-id", "0"), "0 is not in the range"),
])
def test_usage_errors_are_one_line_with_exit_code_2(args, needle):
    out = run(*args)
    assert out.returncode == 2
    assert needle in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
