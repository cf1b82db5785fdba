"""Bad input through the real CLI: exit code 2, exactly one ``synta: error:`` line, no traceback, nothing written.

One row per case; cases that need a dataset or a run live beside their command's other tests
(test_bench.py, test_data_check.py, test_preview.py, test_report.py).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from synta.cli import main


def _binary_split(root: Path) -> list[str]:
    (root / "splits" / "coarse_classes").mkdir(parents=True)
    (root / "splits" / "coarse_classes" / "train_set1_coarse.txt").write_bytes(bytes(range(256)) * 4)
    return ["data", "prepare", "synta", "--splits", str(root / "splits"), "--videos", str(root),
            "--out", str(root / "out" / "manifest.csv")]


def _study(text: bytes):
    def make(root: Path) -> list[str]:
        (root / "study.yaml").write_bytes(text)
        return ["study", str(root / "study.yaml"), "--out", str(root / "out")]
    return make


def _ablation(text: bytes | None):
    def make(root: Path) -> list[str]:
        config = root / "ablation.yaml"
        if text is None:
            os.mkfifo(config)  # a FIFO must be refused, not read (a read would wait for a writer forever)
        else:
            config.write_bytes(text)
        return ["ablate", str(config), "--out", str(root / "out")]
    return make


RUN = b"runs: [{models: [x3d_m_tiny], datasets: [d]}]\n"

CASES = {
    "render --n beyond the bound": (lambda root: ["render", "--n", "1000000000000", "--out", str(root / "out")],
                                    "not in the range"),
    "render --resolution beyond the bound": (
        lambda root: ["render", "--resolution", "100000x100000", "--out", str(root / "out")], "16 to 4096"),
    "render --resolution not a size": (lambda root: ["render", "--resolution", "big", "--out", str(root / "out")],
                                       "must look like"),
    "render --fps beyond the bound": (lambda root: ["render", "--fps", "100000", "--out", str(root / "out")],
                                      "1<=x<=120"),
    "render --workers beyond the bound": (lambda root: ["render", "--workers", "99999", "--out", str(root / "out")],
                                          "1<=x<=128"),
    "bench --loader-workers beyond the bound": (
        lambda root: ["bench", "--model", "x3d_m_tiny", "--loader-workers", "99999", "--output", str(root / "out")],
        "0<=x<=128"),
    "features extract --temporal-views beyond the bound": (
        lambda root: ["features", "extract", "--model", "x3d_m_tiny", "--temporal-views", "100000",
                      "--out", str(root / "out")], "1<=x<=30"),
    "ablate config is a FIFO": (_ablation(None), "not a regular file"),
    "ablate config binary": (_ablation(b"\xff\xfe\x00"), "not a text file"),
    "ablate fps beyond the bound": (_ablation(b"name: f\nbase: {n: 4, fps: 100000}\nvary: {speed: [1, 2]}\n"),
                                    "fps must be 1 to 120"),
    "ablate clips too long (speed)": (_ablation(b"name: f\nbase: {n: 4}\nvary: {speed: [1.0e-7, 2]}\n"),
                                      "at most 2400"),
    "ablate clips too long (frames)": (_ablation(b"name: f\nbase: {n: 4}\nvary: {frames: [8, 100000000]}\n"),
                                       "at most 2400"),
    "bench --lr nan": (lambda root: ["bench", "--model", "x3d_m_tiny", "--lr", "nan", "--output", str(root / "out")],
                       "finite"),
    "bench --lr inf": (lambda root: ["bench", "--model", "x3d_m_tiny", "--lr", "inf", "--output", str(root / "out")],
                       "finite"),
    "bench --set wrong type": (lambda root: ["bench", "--model", "x3d_m_tiny", "--set", "optim.lr=abc",
                                             "--output", str(root / "out")], "optim.lr"),
    "bench --set unparsable YAML": (lambda root: ["bench", "--model", "x3d_m_tiny", "--set", "optim.lr=[1",
                                                  "--output", str(root / "out")], "not a YAML value"),
    "bench --set python tag": (lambda root: ["bench", "--model", "x3d_m_tiny", "--set",
                                             "optim.lr=!!python/object:os.system ls", "--output", str(root / "out")],
                               "--set"),
    "bench --dataset unknown": (lambda root: ["bench", "--model", "x3d_m_tiny", "--dataset", "hmdb",
                                              "--output", str(root / "out")], "unknown dataset 'hmdb'"),
    "data prepare binary split file": (_binary_split, "train_set1_coarse.txt"),
    "study YAML unparsable": (_study(b"model: [x\n"), "not valid YAML"),
    "study YAML binary": (_study(b"\xff\xfe\x00"), "not a text file"),
    "study YAML not a mapping": (_study(b"- model\n"), "expected a mapping"),
    "study render not a mapping": (_study(b"datasets: {d: {render: 5}}\n" + RUN), "datasets.d.render must be a mapping"),
    "study render value of the wrong type": (_study(b"datasets: {d: {render: {n: abc}}}\n" + RUN),
                                             "render-d: Invalid value for '--n'"),
    "study render option unknown": (_study(b"datasets: {d: {render: {bogus: 1}}}\n" + RUN), "`synta render` has no option --bogus"),
    "study seeds not integers": (_study(b"datasets: {d: {render: {}}}\n"
                                        b"runs: [{models: [x3d_m_tiny], datasets: [d], seeds: [a]}]\n"),
                                 "runs[0].seeds must be a list of integers"),
    "study dataset name escaping": (_study(b"datasets: {../../x: {render: {}}}\n"
                                           b"runs: [{models: [x3d_m_tiny], datasets: [../../x]}]\n"),
                                    "dataset name '../../x' must be letters"),
    "study run name escaping": (_study(b"datasets: {d: {render: {}}}\n"
                                       b"runs: [{models: [x3d_m_tiny], datasets: [d], name: ../../etc}]\n"),
                                "runs[0].name must be letters"),
    "study unknown model": (_study(b"datasets: {d: {render: {}}}\nruns: [{models: [nope], datasets: [d]}]\n"),
                            "unknown model 'nope'"),
    "study recipe override of the wrong type": (
        _study(b"datasets: {d: {render: {}}}\n"
               b"runs: [{models: [x3d_m_tiny], datasets: [d], bench: {train: {epochs: abc}}}]\n"),
        "train.epochs must be an integer"),
    "study shards beyond the bound": (_study(b"datasets: {d: {render: {}, shards: 100000000}}\n" + RUN),
                                      "datasets.d.shards must be an integer >= 1 and <= 10000"),
    "study gpus beyond one node": (_study(b"datasets: {d: {render: {}}}\n"
                                          b"runs: [{models: [x3d_m_tiny], datasets: [d], gpus: 100000}]\n"),
                                   "runs[0].gpus must be an integer >= 1 and <= 16"),
    "study report factor no dataset sets": (_study(b"datasets: {d: {render: {background: plain}}}\n" + RUN +
                                                   b"report: {factors: [backgrund]}\n"),
                                            "report.factors: 'backgrund' is not a render setting"),
    "study path dataset missing": (_study(b"datasets: {d: {path: /nonexistent/k400}}\n" + RUN),
                                   "dataset(s) not found: d: /nonexistent/k400"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2(case: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    make_args, message = CASES[case]
    args = make_args(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("synta: error:") and message in lines[0], err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing written, not even the output folder
