"""Property tests of the input readers: any bytes either parse or raise the reader's documented error.

Targets: the split-list reader, the label-CSV reader, the manifest reader (a rendered tree's CSV and a
prepared CSV with its class index), the ``--set`` parser with the recipe check behind it, and the study
parser with its planner (``synta study``'s option and recipe checks). Each example
must finish within the deadline (no hangs) and raise nothing but the documented type. CI runs
``SYNTA_FUZZ_EXAMPLES`` (default 200) examples per target; run longer by hand with e.g.
``SYNTA_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synta.benchmark.data.labels import FormatError, read_label_csv
from synta.benchmark.data.manifest import COLUMNS, FORMAT, read_manifest
from synta.benchmark.data.splits import read_list
from synta.benchmark.recipe import RecipeError, parse_sets, read_recipe_file, resolve_recipe

EXAMPLES = int(os.environ.get("SYNTA_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=2000, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Pieces that real and broken files are made of, so examples reach past the first check.
TOKENS = ["rising/rising1_id_1.mp4", "a/../../x.mp4", "/etc/passwd", " ", "  ", "\t", "\n", "\r\n", "\r",
          ",", '"', '""', "0", "1", "2", "-1", "16", "43", "99999999999999999999", "²", "٣", "1.5", "nan",
          "id,name", "train", "val", "test", "\ufeff", "\x00", "\xff", "é", "..", "/", "\\"]
TEXT = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)), max_size=40).map("".join)
BYTES = st.one_of(st.binary(max_size=400), TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
                  TEXT.map(lambda t: t.encode("latin-1", "replace")))


@pytest.fixture(scope="module")
def box(tmp_path_factory) -> Path:
    """One folder whose files every example overwrites."""
    return tmp_path_factory.mktemp("fuzz")


def _read_bytes(path: Path, data: bytes, reader: Callable[[Path], list]) -> tuple[Path, list]:
    """Write ``data`` to ``path`` and read it: the reader's result, or [] after checking that its
    FormatError is one line naming the file."""
    path.write_bytes(data)
    try:
        return path, reader(path)
    except FormatError as err:
        assert str(err).startswith(f"{path}") and "\n" not in str(err)
        return path, []


@FUZZ
@given(data=BYTES)
def test_split_list_reader(box, data):
    path, entries = _read_bytes(box / "list.txt", data, read_list)
    assert all(e.label >= 0 and e.source.startswith(f"{path}:") for e in entries)


@FUZZ
@given(data=BYTES)
def test_label_csv_reader(box, data):
    _, names = _read_bytes(box / "labels.csv", data, read_label_csv)
    assert all(isinstance(n, str) for n in names)


def _csv_text(rows: list[list[str]]) -> str:
    return "\n".join(",".join(r) for r in [list(COLUMNS), *rows])


ROWS = st.lists(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), min_size=0, max_size=11),
                max_size=6)


@FUZZ
@given(data=st.one_of(BYTES, ROWS.map(lambda r: _csv_text(r).encode("utf-8", "surrogatepass"))))
def test_rendered_manifest_reader(box, data):
    tree = box / "tree"
    tree.mkdir(exist_ok=True)
    (tree / "manifest.csv").write_bytes(data)
    try:
        manifest = read_manifest(tree)
    except FormatError as err:
        assert "\n" not in str(err)
        return
    for v in manifest.videos:
        assert not v.path.startswith("/") and ".." not in Path(v.path).parts[:1]


META = st.fixed_dictionaries({
    "format": st.sampled_from([FORMAT, "other", 1]),
    "dataset": st.sampled_from(["k400_ta", "synta", "nope", 3]),
    "root": st.sampled_from(["/data", "", 5, "rel"]),
    "classes": st.one_of(st.none(), st.fixed_dictionaries({
        "coarse": st.one_of(st.lists(st.text(max_size=4), max_size=3), st.integers()),
        "fine": st.lists(st.one_of(st.dictionaries(st.sampled_from(["set", "index", "name", "coarse", "caption"]),
                                                   st.one_of(st.integers(-2, 3), st.text(max_size=3), st.none())),
                                   st.integers()), max_size=3)})),
})


@FUZZ
@given(csv_data=st.one_of(BYTES, ROWS.map(lambda r: _csv_text(r).encode("utf-8", "surrogatepass"))),
       meta=st.one_of(BYTES, META.map(lambda m: json.dumps(m).encode())))
def test_prepared_manifest_reader(box, csv_data, meta):
    (box / "m.csv").write_bytes(csv_data)
    (box / "m.classes.json").write_bytes(meta)
    try:
        read_manifest(box / "m.csv")
    except FormatError as err:
        assert "\n" not in str(err)


SET_ITEMS = st.lists(st.one_of(
    st.text(max_size=30),
    st.tuples(st.sampled_from(["optim", "train", "transform", "clip", "model", "data", "bogus", ""]),
              st.sampled_from(["lr", "epochs", "size", "batch_size", "betas", "randaugment", "precision", "name",
                               "max_short_side", "dropout", "bogus", "", "a.b"]),
              st.one_of(st.sampled_from(["abc", "[1", "nan", ".inf", "-.inf", "1e-3", "2.5", "0", "-1", "null",
                                         "true", "[0.9, 0.98]", "[2, 9]", "{a: 1}", "!!python/name:os.system",
                                         "&a [*a]", "[" * 300, "1e400", "0x10", "sgd", "fp16"]),
                        st.text(max_size=12)))
    .map(lambda t: f"{t[0]}.{t[1]}={t[2]}")), max_size=4)


@FUZZ
@given(items=SET_ITEMS)
def test_set_parser_and_recipe_check(items):
    raw = read_recipe_file("x3d_m")
    try:
        recipe = resolve_recipe(raw, tiny=True, overrides=parse_sets(items))
    except RecipeError as err:
        assert "\n" not in str(err)
        return
    assert recipe.optim.lr > 0 and recipe.train.batch_size >= 1


NAMES = st.sampled_from(["d", "syn_ta", "../x", "a/b", "", ".hidden", "x" * 3, 5, None, "k400_ta"])
VALUES = st.one_of(st.sampled_from(["abc", 1, 0, -1, 2.5, True, None, [], {}, "plain", "../../etc", "/abs"]),
                   st.text(max_size=6), st.integers(-3, 3))
DATASET = st.one_of(VALUES, st.dictionaries(st.sampled_from(["render", "shards", "path", "kind", "bogus"]),
                                            st.one_of(VALUES, st.dictionaries(st.sampled_from(
                                                ["n", "camera", "resolution", "out", "classes", "bogus"]), VALUES,
                                                max_size=3)), max_size=3))
RUN = st.one_of(VALUES, st.dictionaries(
    st.sampled_from(["models", "datasets", "tasks", "seeds", "bench", "options", "gpus", "name", "bogus"]),
    st.one_of(VALUES, st.lists(st.one_of(NAMES, VALUES, st.sampled_from(["c2d_r50_tiny", "x3d", "nope", "coarse"])),
                               max_size=3),
              st.dictionaries(st.sampled_from(["train", "optim", "epochs", "out", "seed"]), VALUES, max_size=2)),
    max_size=5))
STUDY = st.dictionaries(st.sampled_from(["datasets", "runs", "resources", "report", "bogus"]),
                        st.one_of(VALUES, st.dictionaries(NAMES.filter(lambda n: isinstance(n, str)), DATASET,
                                                          max_size=2),
                                  st.lists(RUN, max_size=2)), max_size=4)
# Nearly valid studies, so examples reach the option parsers, the recipe check and the folder layout.
MODELS = st.lists(st.one_of(st.sampled_from(["c2d_r50_tiny", "x3d", "x3d_m_tiny", "nope"]), VALUES), min_size=1,
                  max_size=2)
GOOD_DATASET = st.one_of(
    st.fixed_dictionaries({"render": st.dictionaries(st.sampled_from(["n", "camera", "resolution", "seed", "classes",
                                                                      "no_denoise", "bogus"]), VALUES, max_size=2)},
                          optional={"shards": st.sampled_from([1, 2, 0, "x"])}),
    st.fixed_dictionaries({"path": st.sampled_from(["/abs/k400.csv", "rel", "../up"])},
                          optional={"kind": st.sampled_from(["k400_ta", "ssv2-ta", "synta", "hmdb"])}))
GOOD_RUN = st.fixed_dictionaries(
    {"models": MODELS, "datasets": st.sampled_from([["d"], ["d", "d"], ["e"]])},
    optional={"tasks": st.sampled_from([["coarse"], ["fine"], ["coarse", "fine"], [["x"]], ["bogus"]]),
              "seeds": st.lists(st.one_of(st.integers(-2, 3), VALUES), max_size=2),
              "bench": st.dictionaries(st.sampled_from(["train", "optim", "bogus"]),
                                       st.dictionaries(st.sampled_from(["epochs", "lr", "x"]), VALUES, max_size=1),
                                       max_size=1),
              "options": st.dictionaries(st.sampled_from(["epochs", "device", "workers", "pretrained", "out", "bogus"]),
                                         VALUES, max_size=2),
              "gpus": VALUES, "name": NAMES})


@FUZZ
@given(study=st.one_of(STUDY, st.builds(lambda d, r: {"datasets": {"d": d}, "runs": [r]}, DATASET, RUN),
                       st.builds(lambda d, r: {"datasets": {"d": d}, "runs": [r]}, GOOD_DATASET, GOOD_RUN)))
def test_study_parser_and_plan(box, study):
    """A study file is one error line, or a plan whose every folder stays inside the study folder."""
    import yaml

    from synta.benchmark.study.jobs import plan_study
    from synta.benchmark.study.spec import StudyError, parse_study
    from synta.cli.study import _validator

    out = box / "study"
    try:
        plan = plan_study(parse_study("f", yaml.safe_dump(study), "f.yaml"), out, _validator("f"))
    except StudyError as err:
        assert "\n" not in str(err)
        return
    for job in [*plan.renders, *plan.merges, *plan.benches]:
        assert job.out.resolve().is_relative_to(out.resolve())
