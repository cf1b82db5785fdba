"""The published numbers in ``assets/paper/results.yaml``: well-formed, names that resolve, and the arithmetic
the source prints.

The printed cells are means over the two set directions of each per-direction metric, so D_abs of the means
equals K − U (up to three roundings of 0.005), while the printed HM (a mean of per-direction HMs) may lie
below the HM of the mean K and U, because HM is concave, but not below U (K ≥ U in each direction).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from synta.benchmark.metrics import transfer_metrics
from synta.benchmark.paper import load_paper
from synta.models.registry import resolve

PAPER = yaml.safe_load((Path(__file__).resolve().parents[1] / "assets" / "paper" / "results.yaml").read_text())
ROUNDING = 0.015  # three printed numbers, each rounded to 0.005
ROWS = [(table["id"], row["model"], dataset, values)
        for table in PAPER["tables"] if table.get("columns") != "directions"
        for row in table["rows"] for dataset, values in row["values"].items()]


def test_tables_are_well_formed() -> None:
    """The loader checks the form (schema, sources, metric keys, dataset and model names, one number per
    metric, nothing printed twice) and makes a row per printed model, dataset and direction."""
    cells = sum(len(v) if table.get("columns") == "directions" else 1
                for table in PAPER["tables"] for row in table["rows"] for v in row["values"].values())
    assert len(load_paper().rows) == cells


@pytest.mark.parametrize("printed, name", sorted(PAPER["models"].items()))
def test_model_names_resolve(printed: str, name: str) -> None:
    assert resolve(name) == name, printed


@pytest.mark.parametrize("table, model, dataset, values", ROWS, ids=[f"{t}-{m}-{d}" for t, m, d, _ in ROWS])
def test_printed_arithmetic(table: str, model: str, dataset: str, values: list[float]) -> None:
    metrics = next(t["metrics"] for t in PAPER["tables"] if t["id"] == table)
    cell = dict(zip(metrics, values, strict=True))
    expected = transfer_metrics(cell["known"], cell["unknown"])
    if "d_abs" in cell:
        assert cell["d_abs"] == pytest.approx(expected["d_abs"], abs=ROUNDING)
    if "hm" in cell:
        assert cell["unknown"] - 0.01 <= cell["hm"] <= expected["hm"] + 0.01


def test_disentanglement_base_agrees_with_the_coarse_table() -> None:
    base = next(t for t in PAPER["tables"] if t.get("columns") == "directions")["rows"][0]
    assert base["model"] == "EZ-CLIP"
    per_set = base["values"]["Syn-TA"]
    coarse = next(t for t in PAPER["tables"] if t["id"] == "coarse")
    printed = next(r for r in coarse["rows"] if r["model"] == "EZ-CLIP")["values"]["Syn-TA"]
    hm = dict(zip(coarse["metrics"], printed, strict=True))["hm"]
    assert (per_set["set1"][0] + per_set["set2"][0]) / 2 == pytest.approx(hm, abs=0.005)
