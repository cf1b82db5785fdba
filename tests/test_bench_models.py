"""Every tiny model of the zoo through `synta bench` on a tiny rendered Syn-TA: one command per model,
the same engine. Text models run both tasks (KC, UC, K, U); unimodal models the coarse task."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from synta.cli import cli
from synta.models.registry import list_models

pytestmark = pytest.mark.blender
TINY = list_models(tiny=True)


@pytest.mark.parametrize("info", TINY, ids=[m.name for m in TINY])
def test_tiny_model_benches_both_directions(info, tiny_synta, tmp_path):
    task = "both" if info.uses_text else "coarse"
    result = CliRunner().invoke(cli, ["bench", "--model", info.name, "--data-root", str(tiny_synta), "--task", task,
                                      "--epochs", "1", "--loader-workers", "0", "--output", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    for name, entry in results["tasks"].items():
        assert set(entry["directions"]) == {"set1", "set2"}
        for key in ("known", "unknown", "d_abs", "hm"):
            assert entry["mean"][key] is not None, (name, key)
    if info.uses_text:
        fine = results["tasks"]["fine"]["directions"]["set1"]
        assert len(fine["known"]["class_names"]) == 53 and len(fine["unknown"]["class_names"]) == 47
