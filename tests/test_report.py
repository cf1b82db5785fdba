"""``synta report``: the tables, CSV, LaTeX and plots made from real results.json files written here."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from synta.benchmark.metrics import accuracy_report, mean_metrics, mean_std, transfer_metrics
from synta.benchmark.report import ablation_table, group_runs, load_runs, to_markdown
from synta.benchmark.results import FORMAT
from synta.cli import cli, main
from synta.generator import load_taxonomy

COARSE = [c.name for c in load_taxonomy().coarse]
FINE = {1: [f"set1 fine caption {i}" for i in range(6)], 2: [f"set2 fine caption {i}" for i in range(5)]}
NOTE = "fine U needs a model that classifies by text"
PLAIN = {"n": 200, "classes": ["orbiting1"], "camera": "both", "background": "plain", "background_images": None,
         "objects": "set", "seed": 0, "resolution": [456, 256], "fps": None, "engine": "workbench"}
REALISTIC = {**PLAIN, "background": "realistic", "background_images": {"1": ["a.jpg"], "2": ["b.jpg"]}}


def accuracy(names: list[str], percent: float, videos: int, seed: int) -> dict:
    """An accuracy report of exactly ``percent`` top-1 over ``videos`` videos per class, the correct videos
    spread unevenly over the classes (so per-class accuracies and confusions differ)."""
    n = len(names)
    correct = percent * n * videos / 100
    assert correct == int(correct), "choose an accuracy the video count can reach"
    rng = np.random.default_rng(seed)
    weights, hits = rng.dirichlet(np.full(n, 1.5)), np.zeros(n, dtype=int)
    for _ in range(int(correct)):
        open_ = (hits < videos) * weights
        hits[rng.choice(n, p=open_ / open_.sum())] += 1
    targets = np.repeat(np.arange(n), videos)
    wrong = (targets + 1 + rng.integers(0, 2, targets.size)) % n  # mistakes go to the next two classes
    predictions = np.where(np.tile(np.arange(videos), n) < hits[targets], targets, wrong)
    return {**accuracy_report(targets.tolist(), predictions.tolist(), n), "class_names": list(names)}


def task_entry(task: str, accuracies: dict[int, tuple[float, float | None]], seed: int) -> dict:
    """A task's results: per train set (known %, unknown % or None) → directions, mean, note."""
    directions = {}
    for a, (known, unknown) in accuracies.items():
        b = 3 - a
        names = {s: COARSE if task == "coarse" else FINE[s] for s in (a, b)}
        videos = {s: 10 if task == "coarse" else 30 // len(names[s]) for s in (a, b)}
        k = {**accuracy(names[a], known, videos[a], seed + a), "set": a}
        u = None if unknown is None else {**accuracy(names[b], unknown, videos[b], seed + 10 + a), "set": b}
        directions[f"set{a}"] = {"train_set": a, "unknown_set": b, "known": k, "unknown": u,
                                 "metrics": transfer_metrics(k["top1"], None if u is None else u["top1"])}
    entry = {"directions": directions, "mean": mean_metrics([d["metrics"] for d in directions.values()])}
    if any(u is None for _, u in accuracies.values()):
        entry["note"] = NOTE
    return entry


def write_run(folder: Path, model: str, dataset: str, variant: dict, seed: int, coarse: dict,
              fine: dict | None = None, uses_text: bool = False) -> Path:
    tasks = {"coarse": task_entry("coarse", coarse, seed)}
    if fine:
        tasks["fine"] = task_entry("fine", fine, seed)
    results = {"format": FORMAT, "model": model, "family": model.split("_")[0], "uses_text": uses_text,
               "dataset": dataset, "data_root": "/data", "variant": variant, "seed": seed, "command": [],
               "versions": {}, "created": "2026-01-01T00:00:00Z", "tasks": tasks}
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(results))
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    """x3d_m (unimodal, two seeds on plain) and clip_b16 (text) on plain and realistic Syn-TA, plus K400-TA."""
    root = tmp_path_factory.mktemp("runs")
    unimodal_fine = {1: (50.0, None), 2: (40.0, None)}
    return [
        write_run(root / "x3d_plain_s0", "x3d_m", "synta", PLAIN, 0, {1: (80.0, 40.0), 2: (60.0, 20.0)}, unimodal_fine),
        write_run(root / "x3d_plain_s1", "x3d_m", "synta", PLAIN, 1, {1: (82.0, 40.0), 2: (62.0, 20.0)}, unimodal_fine),
        write_run(root / "x3d_real", "x3d_m", "synta", REALISTIC, 0, {1: (70.0, 50.0), 2: (60.0, 40.0)}),
        write_run(root / "clip_plain", "clip_b16", "synta", PLAIN, 0, {1: (90.0, 70.0), 2: (80.0, 60.0)},
                  {1: (60.0, 30.0), 2: (50.0, 20.0)}, uses_text=True),
        write_run(root / "clip_real", "clip_b16", "synta", REALISTIC, 0, {1: (85.0, 75.0), 2: (75.0, 55.0)},
                  uses_text=True),
        write_run(root / "clip_k400", "clip_b16", "k400-ta", {}, 0, {1: (88.0, 38.5), 2: (86.0, 39.0)},
                  uses_text=True),
    ]


@pytest.fixture(scope="module")
def report(runs, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(cli, ["report", *map(str, runs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.stdout


def markdown_rows(markdown: str, title: str) -> dict[str, list[str]]:
    """The body rows of the Markdown table under the heading containing ``title``, by row label."""
    section = markdown.split(title, 1)[1].split("###", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in section.splitlines()
            if line.startswith("|") and not line.startswith("|:")]
    return {r[0]: r[1:] for r in rows}


def test_coarse_table_means_directions_and_seeds(report):
    out, stdout = report
    assert (out / "tables.md").read_text() == stdout  # the same Markdown on stdout and on disk
    rows = markdown_rows(stdout, "CoarseMotion-KC/UC: mean over set directions")
    header = rows[""]
    assert [h for h in header if h] == ["Syn-TA (plain)", "Syn-TA (realistic)", "K400-TA"]
    assert rows["Model"] == ["KC", "UC", "D_abs", "D_rel", "HM"] * 3
    # x3d_m plain, seeds 0 and 1: KC (80+60)/2 = 70 and (82+62)/2 = 72 → 71 ± 1.41; UC 30 in both.
    x3d = rows["x3d_m"]
    assert x3d[:2] == ["71.00 ± 1.41", "30.00 ± 0.00"]
    # realistic: one run; HM is the mean of the per-direction HMs, not the HM of the means.
    hm = np.mean([2 * 70 * 50 / 120, 2 * 60 * 40 / 100])
    assert x3d[5:10] == ["65.00", "45.00", "20.00", f"{np.mean([100 * 20 / 70, 100 * 20 / 60]):.2f}", f"{hm:.2f}"]
    assert x3d[10:] == [""] * 5  # not run on K400-TA
    clip = rows["clip_b16"]
    assert clip[10:13] == ["87.00", "38.75", "48.25"]


def test_detailed_table_has_each_direction(report):
    rows = markdown_rows(report[1], "CoarseMotion-KC/UC: per set direction")
    assert rows["clip_b16 1→2"][:5] == ["90.00", "70.00", "20.00", f"{100 * 20 / 90:.2f}", f"{2 * 90 * 70 / 160:.2f}"]
    assert rows["clip_b16 2→1"][:2] == ["80.00", "60.00"]
    assert rows["clip_b16"][:2] == ["85.00", "65.00"]


def test_fine_table_dashes_unimodal_unknown(report):
    out, stdout = report
    rows = markdown_rows(stdout, "FineMotion-K/U: mean over set directions")
    assert rows["Model"] == ["K", "U", "D_abs", "HM"]  # only Syn-TA plain has fine runs
    assert rows["x3d_m [1]"] == ["45.00 ± 0.00", "–", "–", "–"]
    assert rows["clip_b16"] == ["55.00", "25.00", "30.00", f"{np.mean([2 * 60 * 30 / 90, 2 * 50 * 20 / 70]):.2f}"]
    assert f"[1] {NOTE}" in stdout.split("FineMotion-K/U: mean")[1].split("###")[0]


def test_plain_vs_realistic_table(report):
    rows = markdown_rows(report[1], "plain vs realistic")
    assert [h for h in rows[""] if h] == ["plain", "realistic", "Δ (realistic − plain)"]
    clip = rows["clip_b16"]  # KC, UC, HM plain | realistic | difference
    assert clip[0:2] == ["85.00", "65.00"] and clip[3:5] == ["80.00", "65.00"]
    assert clip[6:8] == ["-5.00", "+0.00"]
    assert "k400" not in " ".join(rows).lower()  # only Syn-TA runs


def test_csv_and_latex(report):
    out, _ = report
    with open(out / "coarse.csv", newline="") as f:
        coarse = list(csv.DictReader(f))
    row = next(r for r in coarse if r["model"] == "x3d_m" and r["variant"] == "plain" and r["direction"] == "mean")
    assert (row["runs"], row["seeds"], row["KC"], row["KC_std"], row["UC"]) == ("2", "0;1", "71.00", "1.41", "30.00")
    assert {r["direction"] for r in coarse} == {"mean", "set1", "set2"}
    assert len(coarse) == 5 * 3  # five model/setting groups, mean + two directions each
    with open(out / "fine.csv", newline="") as f:
        fine = {(r["model"], r["direction"]): r for r in csv.DictReader(f)}
    assert fine["x3d_m", "set1"]["K"] == "50.00" and fine["x3d_m", "set1"]["U"] == ""
    tex = (out / "tables.tex").read_text()
    assert tex.count(r"\toprule") == tex.count(r"\bottomrule") == 5
    assert r"\multicolumn{5}{c}{Syn-TA (realistic)}" in tex and r"x3d\_m" in tex and r"71.00 $\pm$ 1.41" in tex
    for table in tex.split(r"\begin{tabular}")[1:]:  # every row has as many cells as the column spec
        spec, body = table.split("\n", 1)
        columns = spec.count("l") + spec.count("r")
        rows = body.split(r"\midrule")[1].split(r"\bottomrule")[0].strip().splitlines()
        assert rows and all(row.count(" & ") == columns - 1 and row.endswith(r"\\") for row in rows)


def assert_real_image(path: Path, min_size: int = 300) -> None:
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert min(pixels.shape[:2]) >= min_size, pixels.shape
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) > 50, f"{path.name}: {len(colours)} colours"
    assert (pixels < 128).mean() > 0.005, f"{path.name}: almost nothing drawn"


def test_plots_exist_and_show_something(report, runs):
    out, _ = report
    for task in ("coarse", "fine"):
        assert_real_image(out / f"known_unknown_{task}.png")
    per_class = sorted((out / "per_class").glob("*.png"))
    assert len(per_class) == len(runs)
    assert (out / "per_class/x3d_m-syn-ta-plain-seed1_coarse.png") in per_class
    confusion = sorted((out / "confusion").glob("*.png"))
    # both directions of every run's coarse task, and of clip_b16's fine task (x3d_m has no fine U)
    assert len(confusion) == 2 * len(runs) + 2
    for path in per_class[:2] + confusion[:1] + [out / "confusion/clip_b16-syn-ta-plain-seed0_fine_set2.png"]:
        assert_real_image(path)


def test_ablation_factor_and_its_errors(runs, tmp_path):
    result = CliRunner().invoke(cli, ["report", *map(str, runs[:5]), "--out", str(tmp_path), "--factor", "background"])
    assert result.exit_code == 0, result.output
    assert "by dataset factor 'background'" in result.stdout
    bad = CliRunner().invoke(cli, ["report", str(runs[0]), "--out", str(tmp_path), "--factor", "objects"])
    assert bad.exit_code == 2 and "do not differ in dataset factor 'objects'" in bad.output


def test_ablation_table_with_three_values_and_two_datasets(tmp_path):
    coarse = {1: (80.0, 40.0), 2: (60.0, 20.0)}
    paths = [write_run(tmp_path / f"{objects}_{res[0]}", "x3d_m", "synta", {**PLAIN, "objects": objects,
                                                                          "resolution": res}, 0, coarse)
             for objects in ("shared", "set", "cube") for res in ([456, 256], [228, 128])]
    table = ablation_table(load_runs(paths), "objects")
    assert [label for label, _ in table.groups] == ["cube", "set", "shared"]  # no Δ group for three values
    assert [label for label, _ in table.rows] == ["x3d_m · Syn-TA (456x256)", "x3d_m · Syn-TA (228x128)"]
    assert len(table.rows[0][1]) == 9 and table.rows[0][1] == table.rows[1][1]  # same accuracies everywhere
    assert "| x3d_m · Syn-TA (228x128) | 70.00 | 30.00 |" in " ".join(to_markdown(table).split())


def test_mixed_directions_are_an_error(runs, tmp_path):
    one_way = write_run(tmp_path / "one_way", "x3d_m", "synta", PLAIN, 2, {1: (80.0, 40.0)})
    result = CliRunner().invoke(cli, ["report", str(runs[0]), str(one_way), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "different set directions" in result.output


@pytest.mark.parametrize("content", [None, "not json", json.dumps({"format": "other"})])
def test_bad_run_dir_is_one_error_line(runs, tmp_path, capsys, content):
    bad = tmp_path / "bad"
    bad.mkdir()
    if content is not None:
        (bad / "results.json").write_text(content)
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(runs[0]), str(bad), "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("synta: error: ") and err.count("\n") == 1 and str(bad) in err
    assert not (tmp_path / "out").exists()


def test_runs_written_with_the_hyphen_dataset_name_join_the_canonical_ones(tmp_path):
    old = write_run(tmp_path / "old", "x3d_m", "k400-ta", {}, 0, {1: (80.0, 40.0), 2: (60.0, 20.0)})
    new = write_run(tmp_path / "new", "x3d_m", "k400_ta", {}, 1, {1: (82.0, 40.0), 2: (62.0, 20.0)})
    runs = load_runs([old, new])
    assert [r.dataset for r in runs] == ["k400_ta", "k400_ta"]
    models, settings, cells = group_runs(runs, "coarse")
    assert models == ["x3d_m"] and settings == ["K400-TA"] and len(cells[("x3d_m", "K400-TA")]) == 2


def test_seed_aggregation_rules():
    """One rule for report and study: a metric some run lacks is no number; one run has no std."""
    assert mean_std([]) is None and mean_std([70.0, None]) is None
    assert mean_std([70.0]).std is None and mean_std([70.0]).text() == "70.00"
    assert mean_std([70.0, 72.0]).text() == "71.00 ± 1.41" and mean_std([70.0, 72.0]).n == 2
