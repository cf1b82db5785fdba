"""``synta report --paper`` and its loader: the published numbers beside ours, from run folders written here."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

from synta.benchmark.paper import PaperError, load_paper, paper_value, parse_paper
from synta.benchmark.recipe import model_recipe
from synta.cli import main
from tests.test_report import PLAIN, REALISTIC, assert_real_image, markdown_rows, write_run

COARSE = {1: (90.0, 60.0), 2: (80.0, 50.0)}  # mean KC 85, UC 55, D_abs 30
X3D_SYNTA = {"known": 93.71, "unknown": 58.45, "d_abs": 35.25, "hm": 71.79}  # X3D, Syn-TA, coarse table
ACTIONCLIP_K400_FINE = {"known": 87.75, "unknown": 41.52, "d_abs": 46.23, "hm": 56.20}


def write_config(folder: Path, model: str, overrides: dict | None = None) -> None:
    """The run's config.yaml as ``synta bench`` writes it: the model and its resolved recipe."""
    record = {"model": model, "dataset": "synta", "seed": 0, "recipe": model_recipe(model, overrides).to_dict()}
    (folder / "config.yaml").write_text(yaml.safe_dump(record, sort_keys=False))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    """x3d_m on realistic (the paper's Syn-TA) and plain Syn-TA with the recipe's settings, x3d_m_tiny
    trained 2 epochs, a model the registry does not know, actionclip_b16 with fine U on K400-TA, and
    ezclip_b16 on realistic Syn-TA (the paper prints its HM per set direction too)."""
    root = tmp_path_factory.mktemp("paper_runs")
    real = write_run(root / "x3d_real", "x3d_m", "synta", REALISTIC, 0, COARSE)
    plain = write_run(root / "x3d_plain", "x3d_m", "synta", PLAIN, 0, COARSE)
    tiny = write_run(root / "x3d_tiny", "x3d_m_tiny", "synta", REALISTIC, 0, COARSE)
    mystery = write_run(root / "mystery", "mystery_net", "synta", REALISTIC, 0, COARSE)
    ezclip = write_run(root / "ezclip_real", "ezclip_b16", "synta", REALISTIC, 0, COARSE, uses_text=True)
    clip = write_run(root / "clip_k400", "actionclip_b16", "k400_ta", {}, 0, {1: (88.0, 38.5), 2: (86.0, 39.0)},
                     {1: (90.0, 40.0), 2: (80.0, 50.0)}, uses_text=True)
    for folder, model in ((real, "x3d_m"), (plain, "x3d_m"), (clip, "actionclip_b16"), (ezclip, "ezclip_b16")):
        write_config(folder, model)
    write_config(tiny, "x3d_m_tiny", {"train": {"epochs": 2}})
    return [real, plain, tiny, mystery, clip, ezclip]


@pytest.fixture(scope="module")
def report(runs, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("paper_report")
    main(["report", *map(str, runs), "--out", str(out), "--paper"])  # a failure would exit
    return out, (out / "tables.md").read_text()


def test_loader_rows_and_lookup() -> None:
    paper = load_paper()
    row = paper.find("x3d_m", "Syn-TA", "coarse", "mean", "realistic")
    assert row is not None and row.dataset == "synta" and row.metrics == X3D_SYNTA
    assert (row.provenance.source, row.provenance.table, row.provenance.row) == ("authors_readme", "coarse", "X3D")
    assert "coarse activities" in row.provenance.heading
    assert paper_value("x3d_m", "K400-TA", "coarse", "mean", None, "known") == 81.23
    assert paper_value("ezclip_b16", "synta", "coarse", "set2", "realistic", "hm") == 68.80  # per-direction table
    assert paper_value("x3d_m", "synta", "coarse", "mean", "plain", "known") is None  # the paper's Syn-TA is realistic
    assert paper_value("x3d_m", "synta", "coarse", "mean", "realistic", "d_rel") is None  # not printed
    assert paper_value("x3d_m_tiny", "synta", "coarse", "mean", "realistic", "known") is None  # no full-size match
    assert paper_value("x3d_m", "ucf101", "coarse", "mean", None, "known") is None


def _broken(edit) -> dict:
    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "assets/paper/results.yaml").read_text())
    edit(data)
    return data


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(schema=2), "schema"),
    (lambda d: d["tables"][0].update(source="nowhere"), "not a key of sources"),
    (lambda d: d["tables"][0]["rows"][0]["values"]["Syn-TA"].pop(), "one number per metric"),
    (lambda d: d["tables"][0]["rows"].append(d["tables"][0]["rows"][2]), "printed by"),
    (lambda d: d["tables"][0]["datasets"].append("UCF-101"), "unknown dataset"),
], ids=["schema", "source", "short-row", "duplicate", "dataset"])
def test_loader_refuses_a_broken_file(edit, message) -> None:
    with pytest.raises(PaperError, match=message):
        parse_paper(_broken(edit))


def test_paper_rows_beside_ours(report) -> None:
    rows = markdown_rows(report[1], "CoarseMotion-KC/UC: mean over set directions")
    header = [h for h in rows[""] if h]
    assert header == ["Syn-TA (plain)", "Syn-TA (realistic)", "K400-TA"]
    realistic = slice(5, 10)  # KC, UC, D_abs, D_rel, HM of the realistic group
    ours_hm = np.mean([2 * 90 * 60 / 150, 2 * 80 * 50 / 130])
    assert rows["x3d_m"][realistic][:3] == ["85.00", "55.00", "30.00"]
    assert rows["x3d_m · paper"][realistic] == ["93.71", "58.45", "35.25", "–", "71.79"]
    assert rows["x3d_m · ours − paper"][realistic] == ["-8.71", "-3.45", "-5.25", "–", f"{ours_hm - 71.79:+.2f}"]
    assert rows["x3d_m · paper"][0:5] == ["–"] * 5  # plain Syn-TA: the paper has no number
    assert rows["x3d_m · paper"][10:] == [""] * 5  # not run on K400-TA
    assert rows["actionclip_b16 · paper"][10:12] == ["93.24", "62.24"]
    assert "source authors_readme, table coarse" in report[1]


def test_tiny_and_unknown_models_are_marked(report) -> None:
    markdown = report[1]
    section = markdown.split("CoarseMotion-KC/UC: mean over set directions", 1)[1].split("###", 1)[0]
    rows = markdown_rows(markdown, "CoarseMotion-KC/UC: mean over set directions")
    tiny = next(label for label in rows if label.startswith("x3d_m_tiny · paper"))
    assert rows[tiny][5:7] == ["93.71", "58.45"]  # compared with the full-size row, but marked
    mark = tiny.rsplit("[", 1)[1].rstrip("]")
    note = next(line for line in section.splitlines() if line.startswith(f"[{mark}]"))
    assert "tiny variant of x3d_m" in note and "epochs 2 (recipe 30)" in note and "input size 32 (recipe 224)" in note
    mystery = next(label for label in rows if label.startswith("mystery_net · paper"))
    assert rows[mystery][5:10] == ["–"] * 5 and "[" in mystery
    assert "not a registered model" in section
    assert not any(label.startswith("x3d_m · paper [") for label in rows)  # the recipe's own settings: no mark


def test_fine_detailed_latex_and_csv(report) -> None:
    out, markdown = report
    fine = markdown_rows(markdown, "FineMotion-K/U: mean over set directions")
    assert fine["actionclip_b16 · paper"] == [f"{v:.2f}" for v in ACTIONCLIP_K400_FINE.values()]
    assert fine["actionclip_b16 · ours − paper"][:2] == [f"{85 - 87.75:+.2f}", f"{45 - 41.52:+.2f}"]
    detailed = markdown_rows(markdown, "CoarseMotion-KC/UC: per set direction")
    assert "x3d_m 1→2 · paper" not in detailed  # the paper prints X3D's means only
    assert detailed["x3d_m · paper"][5] == "93.71"
    assert detailed["ezclip_b16 1→2 · paper"][5:10] == ["–"] * 4 + ["67.96"]
    assert detailed["ezclip_b16 2→1 · ours − paper"][9] == f"{2 * 80 * 50 / 130 - 68.80:+.2f}"
    tex = (out / "tables.tex").read_text()
    assert r"x3d\_m $\cdot$ paper & -- &" in tex and "93.71" in tex
    with open(out / "coarse.csv", newline="") as f:
        coarse = list(csv.DictReader(f))
    row = next(r for r in coarse if r["model"] == "x3d_m" and r["variant"] == "realistic" and r["direction"] == "mean")
    assert (row["KC"], row["KC_paper"], row["KC_diff"], row["D_rel_paper"]) == ("85.00", "93.71", "-8.71", "")
    assert row["paper_source"] == "authors_readme, table coarse, row X3D" and row["differs"] == ""
    tiny = next(r for r in coarse if r["model"] == "x3d_m_tiny" and r["direction"] == "mean")
    assert tiny["KC_paper"] == "93.71" and tiny["differs"].startswith("tiny variant of x3d_m")
    assert_real_image(out / "known_unknown_coarse.png")


def test_without_paper_the_tables_stay_as_they_were(runs, tmp_path) -> None:
    main(["report", str(runs[0]), "--out", str(tmp_path)])
    markdown = (tmp_path / "tables.md").read_text()
    assert "paper" not in markdown
    assert "KC_paper" not in (tmp_path / "coarse.csv").read_text()


def test_a_broken_run_config_is_one_error_line(runs, tmp_path, capsys) -> None:
    bad = write_run(tmp_path / "bad", "x3d_m", "synta", REALISTIC, 1, COARSE)
    (bad / "config.yaml").write_text("recipe: [unclosed\n")
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(runs[0]), str(bad), "--out", str(tmp_path / "out"), "--paper"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("synta: error: ") and err.count("\n") == 1 and "config.yaml" in err
    assert not (tmp_path / "out").exists()
