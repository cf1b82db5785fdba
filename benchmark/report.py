"""``synta report``: the paper's tables and the transfer plots, from the ``results.json`` of ``synta bench`` runs.

Runs are grouped by *model* (plus "zero-shot" for runs without training) and *setting*: the dataset and,
for rendered Syn-TA trees, the dataset factors (``variant``) that differ between the runs given, so plain
and realistic backgrounds become separate column groups. Runs of one model in one setting (different
seeds) are aggregated as mean ± sample standard deviation; every number is the mean over set directions of
the per-direction metrics (docs/design.md#metrics), or one direction in the detailed tables.

Tables are :class:`Table` values rendered by :func:`to_markdown` and :func:`to_latex`; figures are
matplotlib :class:`~matplotlib.figure.Figure` objects built without pyplot (no global backend state).
Only :func:`write_report` touches the disk.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from synta.benchmark.data.datasets import DATASETS as DATASET_INFO
from synta.benchmark.metrics import METRIC_KEYS, METRIC_NAMES, Stat, mean_std
from synta.benchmark.paper import MEAN, PaperRow, load_paper
from synta.benchmark.protocol import DATASETS, TASKS, direction_label
from synta.benchmark.results import read_results
from synta.errors import InputError, one_line
from synta.files import make_folder, read_text_input, write_atomic
from synta.paths import slug as file_slug

DASH = "–"  # a metric the protocol cannot measure for this model (the table's footnote says why)
DATASET_NAMES = {name: info.title for name, info in DATASET_INFO.items()}  # synta → Syn-TA, k400_ta → K400-TA
TABLE_METRICS = {"coarse": METRIC_KEYS, "fine": ("known", "unknown", "d_abs", "hm")}
ABLATION_METRICS = ("known", "unknown", "hm")
TASK_TITLES = {"coarse": "CoarseMotion-KC/UC", "fine": "FineMotion-K/U"}
# Entries of a dataset's description that detail another factor rather than being one: the images behind
# background=realistic differ whenever the background does, and would otherwise double every label.
DETAIL_FACTORS = frozenset({"background_images"})
KNOWN_COLOR, UNKNOWN_COLOR = "#4C72B0", "#DD8452"
STD_NOTE = "a ± b: mean ± sample standard deviation over runs with different seeds (runs per cell: the CSV files)."
# The recipe settings a run's config.yaml is compared on with the recipe file's defaults (--paper): the ones
# that change what the published numbers measure. (section of Recipe.to_dict(), key, how the mark names it)
RECIPE_CHECKS = (("train", "epochs", "epochs"), ("transform", "size", "input size"), ("clip", "frames", "frames"))
PAPER_NOTE = ("paper: the published number for the same model, dataset, background, task and direction "
              "(assets/paper/results.yaml; {sources}); ours − paper: our mean minus it; "
              "– where the paper has none.")
PAPER_DIRECTIONS_NOTE = " A set direction has paper rows only where the paper prints numbers for that direction."


@dataclass(frozen=True, eq=False)
class Run:
    """One ``synta bench`` run: where its ``results.json`` is, and what it holds."""

    path: Path
    results: dict[str, Any]

    @property
    def model(self) -> str:
        """The row label: the model name, marked when it was evaluated without training."""
        name = str(self.results["model"])
        return f"{name} (zero-shot)" if self.results.get("zero_shot") else name

    @property
    def dataset(self) -> str:
        return str(self.results["dataset"])

    @property
    def variant(self) -> dict[str, Any]:
        return dict(self.results.get("variant") or {})

    @property
    def seed(self) -> Any:
        return self.results.get("seed")

    def task(self, name: str) -> dict[str, Any] | None:
        """The entry of task ``name`` (``directions``, ``mean``, optional ``note``), or None if not run."""
        return (self.results.get("tasks") or {}).get(name)


def load_runs(paths: Iterable[str | Path]) -> list[Run]:
    """Read the runs in ``paths`` (run folders or ``results.json`` files), each folder once.

    Raises FileNotFoundError / :class:`~synta.benchmark.results.ResultsError` naming the bad path."""
    runs: dict[Path, Run] = {}
    for p in paths:
        path = Path(p)
        file = (path / "results.json" if path.is_dir() else path).resolve()
        if file not in runs:
            runs[file] = Run(file.parent, read_results(path))
    return list(runs.values())


Cell = Stat | str | None  # None: no run; a string (DASH) is printed as it is


def direction_metrics(run: Run, task: str, direction: str = MEAN) -> dict[str, float | None]:
    """The metrics of ``task`` in one direction (``set1``, ``set2``) or their mean over directions."""
    entry = run.task(task)
    if entry is None:
        raise KeyError(f"{run.path}: no {task} results")
    if direction == MEAN:
        return entry["mean"]
    return entry["directions"][direction]["metrics"]


def task_metrics(runs: Sequence[Run], task: str, direction: str = MEAN) -> dict[str, Stat | None]:
    """Every metric of ``task`` in ``direction`` as mean ± std over ``runs`` (one model and setting)."""
    per_run = [direction_metrics(r, task, direction) for r in runs]
    return {key: mean_std([m.get(key) for m in per_run]) for key in METRIC_KEYS}


def run_directions(runs: Sequence[Run], task: str) -> list[str]:
    """The set directions ``runs`` evaluated ``task`` in; they must agree, or their means would not compare."""
    found = {tuple(sorted(r.task(task)["directions"])) for r in runs}
    if len(found) > 1:
        listing = "; ".join(f"{r.path}: {', '.join(sorted(r.task(task)['directions']))}" for r in runs)
        raise ValueError(f"runs of {runs[0].model} on the same data cover different set directions ({listing})")
    return list(found.pop())


# --- settings: the dataset plus the factors that tell its variants apart -------------------------------


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def varying_factors(variants: Sequence[dict[str, Any]]) -> list[str]:
    """The factors (keys) whose values differ between ``variants``, in order of first appearance."""
    keys = list(dict.fromkeys(k for v in variants for k in v if k not in DETAIL_FACTORS))
    return [k for k in keys if len({_canonical(v.get(k)) for v in variants}) > 1]


def factor_text(value: Any) -> str:
    """A factor value as a short label (``[456, 256]`` → ``456x256``)."""
    if isinstance(value, list) and all(isinstance(v, int | float | str) for v in value):
        return "x".join(map(str, value))
    return value if isinstance(value, str) else _canonical(value)


def describe(variant: dict[str, Any], factors: Sequence[str]) -> str:
    """``realistic`` for one varying factor, ``background=realistic, objects=shared`` for several."""
    if len(factors) == 1:
        return factor_text(variant.get(factors[0]))
    return ", ".join(f"{k}={factor_text(variant.get(k))}" for k in factors)


def _value_order(value: Any) -> tuple:
    """Sort numbers numerically and everything else by its text (``plain`` before ``realistic``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0, value, ""
    return 1, 0, factor_text(value)


def variant_descriptions(runs: Sequence[Run], ignore: Sequence[str] = ()) -> dict[Run, str]:
    """Each run's values of the factors that differ between the runs of its dataset (``realistic``), or ``""``.

    Factors in ``ignore`` are left out (an ablation table shows its factor as columns instead)."""
    out: dict[Run, str] = {}
    for dataset in dict.fromkeys(r.dataset for r in runs):
        group = [r for r in runs if r.dataset == dataset]
        factors = [f for f in varying_factors([r.variant for r in group]) if f not in ignore]
        out.update({r: describe(r.variant, factors) if factors else "" for r in group})
    return out


def setting_labels(runs: Sequence[Run], ignore: Sequence[str] = ()) -> dict[Run, str]:
    """Each run's setting: ``Syn-TA (realistic)`` where the Syn-TA runs differ in background, ``K400-TA``."""
    return {r: DATASET_NAMES.get(r.dataset, r.dataset) + (f" ({d})" if d else "")
            for r, d in variant_descriptions(runs, ignore).items()}


def _setting_order(runs: Sequence[Run], labels: dict[Run, str]) -> list[str]:
    """Settings in the paper's dataset order, variants of one dataset by their factor values."""
    def key(run: Run) -> tuple:
        rank = DATASETS.index(run.dataset) if run.dataset in DATASETS else len(DATASETS)
        factors = varying_factors([r.variant for r in runs if r.dataset == run.dataset])
        return rank, run.dataset, tuple(_value_order(run.variant.get(f)) for f in factors)

    return list(dict.fromkeys(labels[r] for r in sorted(runs, key=key)))


Cells = dict[tuple[str, str], list[Run]]


def group_runs(runs: Sequence[Run], task: str) -> tuple[list[str], list[str], Cells]:
    """Models (rows), settings (column groups) and the runs of each (model, setting) that ran ``task``.

    Settings are labelled from all ``runs``, so a column group has the same name in every table."""
    labels = setting_labels(runs)
    ran = [r for r in runs if r.task(task) is not None]
    cells: Cells = {}
    for r in ran:
        cells.setdefault((r.model, labels[r]), []).append(r)
    for group in cells.values():
        run_directions(group, task)
    settings = {labels[r] for r in ran}
    order = [s for s in _setting_order(runs, labels) if s in settings]
    return list(dict.fromkeys(r.model for r in ran)), order, cells


# --- tables ---------------------------------------------------------------------------------------------


@dataclass
class Table:
    """A table as the paper lays it out: a row per model, column groups (settings) of metric columns."""

    title: str
    groups: list[tuple[str, tuple[str, ...]]]
    rows: list[tuple[str, list[Cell]]]
    notes: list[str] = field(default_factory=list)
    stub: str = "Model"

    @property
    def columns(self) -> list[str]:
        return [c for _, cols in self.groups for c in cols]


class _Notes:
    """Numbered footnotes, each text once; ``mark`` returns the marker to put after a row label."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def mark(self, text: str | None) -> str:
        if not text:
            return ""
        if text not in self.texts:
            self.texts.append(text)
        return f" [{self.texts.index(text) + 1}]"

    def lines(self, cells: Iterable[Cell]) -> list[str]:
        notes = [f"[{i}] {t}" for i, t in enumerate(self.texts, 1)]
        return notes + ([STD_NOTE] if any(isinstance(c, Stat) and c.std is not None for c in cells) else [])


def _metric_cells(stats: dict[str, Stat | None], metrics: Sequence[str]) -> list[Cell]:
    return [DASH if stats[m] is None else stats[m] for m in metrics]


# --- the paper's numbers beside ours (--paper) ----------------------------------------------------------


@dataclass(frozen=True)
class PaperMatch:
    """Which published rows a run is compared with: those of registry model ``model`` (the full-size model
    of a tiny variant; None for a model the registry does not know), and how the run's setting differs
    from the paper's, as far as the run records it."""

    model: str | None
    differs: tuple[str, ...] = ()


def _run_recipe(run: Run) -> dict[str, Any] | None:
    """The resolved recipe in the run folder's ``config.yaml``; None without one. Raises InputError for
    a config.yaml that is not a synta bench run config."""
    path = run.path / "config.yaml"
    if not path.exists():
        return None
    try:
        config = yaml.safe_load(read_text_input(path))
    except yaml.YAMLError as err:
        raise InputError(f"{path}: not valid YAML ({one_line(err)})") from None
    recipe = config.get("recipe") if isinstance(config, dict) else None
    if not isinstance(recipe, dict) or not all(isinstance(recipe.get(s, {}), dict) for s, _, _ in RECIPE_CHECKS):
        raise InputError(f"{path}: not the config.yaml of a synta bench run (no recipe mapping)")
    return recipe


def paper_match(run: Run) -> PaperMatch:
    """The published model ``run`` is compared with and the settings that differ from the paper's: a tiny
    variant, a zero-shot run, and the :data:`RECIPE_CHECKS` settings of its ``config.yaml`` that differ from
    the full-size model's recipe file. Imports the model registry (and torch), so only ``--paper`` calls it."""
    from synta.benchmark.recipe import model_recipe
    from synta.models.registry import get_info

    try:
        info = get_info(str(run.results["model"]))
        full = get_info(info.config).name if info.tiny else info.name
    except KeyError:
        return PaperMatch(None, ("not a registered model",))
    differs = [f"tiny variant of {full}"] if info.tiny else []
    if run.results.get("zero_shot"):
        differs.append("zero-shot (not trained)")
    recipe = _run_recipe(run)
    if recipe is None:
        differs.append("no config.yaml in the run folder: epochs, input size and frames not checked")
    else:
        default = model_recipe(full).to_dict()
        for section, key, name in RECIPE_CHECKS:
            ours, theirs = recipe.get(section, {}).get(key), default[section][key]
            if ours != theirs:
                differs.append(f"{name} {ours} (recipe {theirs})")
    return PaperMatch(full, tuple(differs))


def group_match(group: Sequence[Run]) -> PaperMatch:
    """:func:`paper_match` of runs of one model and setting (seeds): the model, and every run's differences."""
    matches = [paper_match(r) for r in group]
    return PaperMatch(matches[0].model, tuple(dict.fromkeys(d for m in matches for d in m.differs)))


def published(run: Run, match: PaperMatch, task: str, direction: str, metric: str) -> PaperRow | None:
    """The paper's row printing ``metric`` for ``run``'s setting: the model of ``match``, the run's dataset
    and background (``variant``; none for natural video), ``task`` and ``direction``; None if it has none."""
    if match.model is None:
        return None
    return load_paper().find(match.model, run.dataset, task, direction, run.variant.get("background"), metric)


def _comparison(group: Sequence[Run], match: PaperMatch, task: str, direction: str, metrics: Sequence[str],
                stats: dict[str, Stat | None]) -> tuple[list[Cell], list[Cell], set[PaperRow]]:
    """The paper cells and the ours − paper cells of one group of runs, and the rows they come from."""
    published_cells: list[Cell] = []
    differences: list[Cell] = []
    rows: set[PaperRow] = set()
    for m in metrics:
        row = published(group[0], match, task, direction, m)
        if row is None:
            published_cells.append(DASH)
            differences.append(DASH)
            continue
        rows.add(row)
        published_cells.append(Stat(row.metrics[m]))
        differences.append(DASH if stats[m] is None else Stat(stats[m].mean - row.metrics[m], signed=True))
    return published_cells, differences, rows


def _paper_note(rows: Iterable[PaperRow]) -> str:
    """:data:`PAPER_NOTE` naming the sources and tables the table's published numbers come from."""
    used = sorted({(r.provenance.source, r.provenance.table) for r in rows})
    sources = "; ".join(f"source {s}, table {t}" for s, t in used) or "no published numbers for these runs"
    return PAPER_NOTE.format(sources=sources)


# --- tables (continued) ------------------------------------------------------------------------------------


def results_table(runs: Sequence[Run], task: str, detailed: bool = False, paper: bool = False) -> Table | None:
    """The coarse (KC, UC, D_abs, D_rel, HM) or fine (K, U, D_abs, HM) table, a column group per setting.

    Values are means over set directions; ``detailed`` adds a row per direction under each model's mean.
    Metrics a model cannot have (fine U of a unimodal model) are DASH, footnoted with the task's note.
    ``paper`` adds under each row the paper's numbers for the same setting and ours − paper (DASH where
    the paper has none), footnoting how a run's setting differs from the paper's (:func:`paper_match`).
    None if no run has ``task``."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    models, settings, cells = group_runs(runs, task)
    if not cells:
        return None
    metrics = TABLE_METRICS[task]
    names = tuple(METRIC_NAMES[task][m] for m in metrics)
    notes = _Notes()
    matches = {g[0]: group_match(g) for g in cells.values()} if paper else {}
    used: set[PaperRow] = set()
    rows: list[tuple[str, list[Cell]]] = []
    for model in models:
        own = {s: cells[model, s] for s in settings if (model, s) in cells}
        found = {d for group in own.values() for d in run_directions(group, task)}
        for direction in [MEAN] + (sorted(found) if detailed else []):
            row: list[Cell] = []
            published_row: list[Cell] = []
            difference_row: list[Cell] = []
            differs: dict[str, None] = {}
            marker = ""
            for setting in settings:
                group = own.get(setting)
                if group is None or (direction != MEAN and direction not in run_directions(group, task)):
                    for cells_of in (row, published_row, difference_row):
                        cells_of += [None] * len(metrics)
                    continue
                stats = task_metrics(group, task, direction)
                row += _metric_cells(stats, metrics)
                if any(stats[m] is None for m in metrics):
                    marker = notes.mark(group[0].task(task).get("note") or "not measurable (D_rel where K is 0)")
                if paper:
                    match = matches[group[0]]
                    theirs, difference, sources = _comparison(group, match, task, direction, metrics, stats)
                    published_row += theirs
                    difference_row += difference
                    used |= sources
                    differs.update(dict.fromkeys(match.differs))
            label = model if direction == MEAN else f"  {model} {direction_label(direction)}"
            rows.append((label + marker, row))
            # The paper prints few per-direction numbers: a direction row gets paper rows only where it has some.
            if paper and (direction == MEAN or any(isinstance(c, Stat) for c in published_row)):
                mark = notes.mark("differs from the paper's setting: " + "; ".join(differs) if differs else None)
                indent = "  " if direction == MEAN else "    "
                rows.append((f"{indent}{label.strip()} · paper{mark}", published_row))
                rows.append((f"{indent}{label.strip()} · ours − paper", difference_row))
    title = f"{TASK_TITLES[task]}: " + ("per set direction (train set → unknown set) and mean" if detailed
                                        else "mean over set directions")
    paper_notes = [_paper_note(used) + (PAPER_DIRECTIONS_NOTE if detailed else "")] if paper else []
    table_notes = notes.lines(c for _, r in rows for c in r) + paper_notes
    return Table(title, [(s, names) for s in settings], rows, table_notes)


def ablation_table(runs: Sequence[Run], factor: str, task: str = "coarse",
                   metrics: Sequence[str] = ABLATION_METRICS) -> Table:
    """One column group per value of dataset factor ``factor`` (e.g. ``background``: plain, realistic) and
    one row per model (and other setting, if the runs span several), plus a Δ group (second − first value)
    when there are exactly two values. Raises ValueError when the runs do not differ in ``factor``."""
    runs = [r for r in runs if r.task(task) is not None and factor in r.variant]
    values = sorted({_canonical(r.variant[factor]): r.variant[factor] for r in runs}.values(), key=_value_order)
    if len(values) < 2:
        found = ", ".join(factor_text(v) for v in values) or "none of the runs has it"
        raise ValueError(f"the {task} runs do not differ in dataset factor {factor!r} ({found})")
    contexts = setting_labels(runs, ignore=[factor])
    rows_of: dict[tuple[str, str], dict[str, list[Run]]] = {}
    for r in runs:
        rows_of.setdefault((r.model, contexts[r]), {}).setdefault(_canonical(r.variant[factor]), []).append(r)
    several = len({c for _, c in rows_of}) > 1
    names = tuple(METRIC_NAMES[task][m] for m in metrics)
    notes = _Notes()
    rows: list[tuple[str, list[Cell]]] = []
    for (model, context), by_value in rows_of.items():
        for group in by_value.values():
            run_directions(group, task)
        stats = [task_metrics(by_value[_canonical(v)], task) if _canonical(v) in by_value else None for v in values]
        row: list[Cell] = []
        marker = ""
        for s in stats:
            row += [None] * len(metrics) if s is None else _metric_cells(s, metrics)
            if s is not None and any(s[m] is None for m in metrics):
                marker = notes.mark(next(iter(by_value.values()))[0].task(task).get("note"))
        if len(values) == 2:
            row += [_difference(stats[0], stats[1], m) for m in metrics]
        rows.append(((f"{model} · {context}" if several else model) + marker, row))
    groups = [(factor_text(v), names) for v in values]
    if len(values) == 2:
        groups.append((f"Δ ({factor_text(values[1])} − {factor_text(values[0])})", names))
    title = f"{TASK_TITLES[task]} by dataset factor '{factor}' (mean over set directions)"
    return Table(title, groups, rows, notes.lines(c for _, r in rows for c in r))


def _difference(first: dict[str, Stat | None] | None, second: dict[str, Stat | None] | None, metric: str) -> Cell:
    if first is None or second is None:
        return None
    a, b = first[metric], second[metric]
    return DASH if a is None or b is None else Stat(b.mean - a.mean, signed=True)


def plain_vs_realistic_table(runs: Sequence[Run]) -> Table | None:
    """The paper's plain-vs-realistic background table (Syn-TA, coarse), or None without both kinds."""
    synta = [r for r in runs if r.dataset == "synta" and r.task("coarse") is not None]
    if len({_canonical(r.variant.get("background")) for r in synta if "background" in r.variant}) < 2:
        return None
    table = ablation_table(synta, "background")
    table.title = "Syn-TA plain vs realistic backgrounds, CoarseMotion (mean over set directions)"
    return table


def report_tables(runs: Sequence[Run], factors: Sequence[str] = (), paper: bool = False) -> list[Table]:
    """Every table of the report: coarse and fine (mean, then per direction), plain vs realistic, and an
    ablation table per factor in ``factors``; ``paper`` compares the coarse and fine tables with the paper."""
    tables = [results_table(runs, task, detailed, paper) for task in TASKS for detailed in (False, True)]
    tables += [plain_vs_realistic_table(runs)]
    tables += [ablation_table(runs, f) for f in factors]
    return [t for t in tables if t is not None]


# --- rendering -------------------------------------------------------------------------------------------


def _cell_text(cell: Cell, plus_minus: str = " ± ") -> str:
    if cell is None:
        return ""
    return cell if isinstance(cell, str) else cell.text(plus_minus)


def to_markdown(table: Table) -> str:
    """The table in GitHub Markdown: a header row of settings over a row of metric names (Markdown has no
    column spans), columns padded so it also reads as plain text."""
    metric_row = [table.stub] + table.columns
    body = [[label] + [_cell_text(c) for c in cells] for label, cells in table.rows]
    if len(table.groups) == 1 and not table.groups[0][0]:
        header, body = metric_row, body
    else:
        header = [""] + [label if i == 0 else "" for label, cols in table.groups for i in range(len(cols))]
        body = [metric_row] + body
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    rule = "|" + "|".join(":" + "-" * (w + 1) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"
    lines = [f"### {table.title}", "", line(header), rule] + [line(r) for r in body]
    return "\n".join(lines + [line for note in table.notes for line in ("", note)])


_LATEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "–": "--", "−": "$-$", "→": r"$\to$", "Δ": r"$\Delta$", "±": r"$\pm$", "·": r"$\cdot$"}
_LATEX_COLUMNS = {"D_abs": r"$D_{abs}$", "D_rel": r"$D_{rel}$"}


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped and the report's symbols in math mode."""
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)


def to_latex(table: Table) -> str:
    """The table as a booktabs ``table`` environment (``\\usepackage{booktabs}``), footnotes below it."""
    spans, start = [], 2
    for label, cols in table.groups:
        spans.append((label, start, start + len(cols) - 1))
        start += len(cols)
    lines = [r"\begin{table}[t]", r"\centering", r"\small", rf"\caption{{{latex_escape(table.title)}}}",
             r"\begin{tabular}{l" + "".join(" " + "r" * len(cols) for _, cols in table.groups) + "}", r"\toprule"]
    if any(label for label, _ in table.groups):
        lines.append(" & ".join([""] + [rf"\multicolumn{{{b - a + 1}}}{{c}}{{{latex_escape(label)}}}"
                                        for label, a, b in spans]) + r" \\")
        lines.append(" ".join(rf"\cmidrule(lr){{{a}-{b}}}" for _, a, b in spans))
    header = [latex_escape(table.stub)] + [_LATEX_COLUMNS.get(c, latex_escape(c)) for c in table.columns]
    lines += [" & ".join(header) + r" \\", r"\midrule"]
    for label, cells in table.rows:
        lines.append(" & ".join([latex_escape(label.strip())] + [latex_escape(_cell_text(c, " ± "))
                                                                 for c in cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    lines += [r"\par\smallskip{\footnotesize " + latex_escape(n) + "}" for n in table.notes]
    return "\n".join(lines + [r"\end{table}"])


def csv_rows(runs: Sequence[Run], task: str, paper: bool = False) -> list[dict[str, str]]:
    """One row per model, setting and direction (``mean`` first): every metric and its std over runs;
    ``paper`` adds each metric's published number (``KC_paper``) and ours − paper (``KC_diff``), empty where
    the paper has none, the rows they come from (``paper_source``) and how the setting differs (``differs``)."""
    models, settings, cells = group_runs(runs, task)
    variants = variant_descriptions(runs)
    names = METRIC_NAMES[task]
    rows = []
    for model in models:
        for setting in settings:
            group = cells.get((model, setting))
            if group is None:
                continue
            run = group[0]
            match = group_match(group) if paper else None
            for direction in [MEAN] + run_directions(group, task):
                row = {"model": model, "dataset": run.dataset, "variant": variants[run], "direction": direction,
                       "runs": str(len(group)), "seeds": ";".join(str(r.seed) for r in group)}
                sources: dict[str, None] = {}
                for key, stat in task_metrics(group, task, direction).items():
                    row[names[key]] = "" if stat is None else f"{stat.mean:.2f}"
                    row[f"{names[key]}_std"] = "" if stat is None or stat.std is None else f"{stat.std:.2f}"
                    if match is not None:
                        theirs = published(run, match, task, direction, key)
                        value = None if theirs is None else theirs.metrics[key]
                        row[f"{names[key]}_paper"] = "" if value is None else f"{value:.2f}"
                        row[f"{names[key]}_diff"] = "" if value is None or stat is None else f"{stat.mean - value:+.2f}"
                        if theirs is not None:
                            sources[theirs.provenance.text()] = None
                if match is not None:
                    row.update(paper_source="; ".join(sources), differs="; ".join(match.differs))
                rows.append(row)
    return rows


def to_csv(rows: Sequence[dict[str, str]], task: str, paper: bool = False) -> str:
    """``rows`` from :func:`csv_rows` as CSV text (the header alone when there are none); ``paper``: rows
    made with ``paper=True``."""
    names = [METRIC_NAMES[task][k] for k in METRIC_KEYS]
    per_metric = ("", "_std", "_paper", "_diff") if paper else ("", "_std")
    fields = ["model", "dataset", "variant", "direction", "runs", "seeds"] + [
        n + suffix for n in names for suffix in per_metric] + (["paper_source", "differs"] if paper else [])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# --- figures ---------------------------------------------------------------------------------------------


def known_unknown_figure(runs: Sequence[Run], task: str, paper: bool = False) -> Figure | None:
    """Known vs unknown accuracy bars per model, a panel per setting, the transfer gap written above each
    pair (and drawn as a dashed line at the known level); ``paper`` marks the paper's known and unknown
    accuracy for the same setting on each bar (a black diamond). None if no run has ``task``."""
    models, settings, cells = group_runs(runs, task)
    if not cells:
        return None
    names = METRIC_NAMES[task]
    width = max(6.0, (0.9 + 1.1 * len(models)) * len(settings))
    fig = Figure(figsize=(width, 4.8), layout="constrained")
    axes = fig.subplots(1, len(settings), sharey=True, squeeze=False)[0]
    bar = 0.38
    for ax, setting in zip(axes, settings):
        for i, model in enumerate(models):
            group = cells.get((model, setting))
            if group is None:
                ax.text(i, 3, "not run", ha="center", va="bottom", fontsize=8, color="0.5", rotation=90)
                continue
            stats = task_metrics(group, task)
            known, unknown = stats["known"], stats["unknown"]
            marked = [0.0]  # the paper's values drawn, so the gap's label clears them too
            if paper:
                match = group_match(group)
                for x, metric in ((i - bar / 2, "known"), (i + bar / 2, "unknown")):
                    row = published(group[0], match, task, MEAN, metric)
                    if row is not None:
                        ax.plot(x, row.metrics[metric], marker="D", ms=6, color="black", mec="white", zorder=4)
                        marked.append(row.metrics[metric])
            _bar(ax, i - bar / 2, known, bar, KNOWN_COLOR)
            if unknown is None:
                ax.text(i + bar / 2, 3, f"{names['unknown']} not\nmeasurable", ha="center", va="bottom",
                        fontsize=7, color="0.4", rotation=90)
                continue
            _bar(ax, i + bar / 2, unknown, bar, UNKNOWN_COLOR)
            # The gap: a dashed line at the known level over both bars and an arrow down to the unknown level,
            # beside the error bar; its size is written above the pair, clear of both error bars.
            ax.plot([i - bar, i + bar], [known.mean] * 2, ls="--", lw=0.8, color="0.3")
            ax.annotate("", xy=(i + 0.8 * bar, unknown.mean), xytext=(i + 0.8 * bar, known.mean),
                        arrowprops={"arrowstyle": "->", "color": "0.25", "lw": 1})
            top = max([s.mean + (s.std or 0) for s in (known, unknown)] + marked)
            ax.text(i, top + 4, f"Δ {known.mean - unknown.mean:.1f}", ha="center", fontsize=8.5,
                    fontweight="bold", color="#B22222")
        ax.set_title(setting, fontsize=10)
        ax.set_xticks(range(len(models)), models, rotation=20 if max(map(len, models)) > 10 else 0,
                      ha="right" if max(map(len, models)) > 10 else "center", fontsize=8.5)
        ax.set_xlim(-0.6, len(models) - 0.4)
        ax.set_ylim(0, 118)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    axes[0].set_ylabel("top-1 accuracy (%)")
    _legend(fig, f"known ({names['known']})", f"unknown ({names['unknown']})", paper)
    seeds = "; error bars: std over seeds" if any(len(group) > 1 for group in cells.values()) else ""
    fig.suptitle(f"{TASK_TITLES[task]}: known vs unknown contexts\n(mean over set directions; Δ = known − unknown"
                 f"{seeds})", fontsize=10.5)
    return fig


def _legend(fig: Figure, known: str, unknown: str, paper: bool = False) -> None:
    """The known/unknown colour key (and the paper's marker, if drawn), once per figure, below the panels."""
    handles = [Patch(color=KNOWN_COLOR, label=known), Patch(color=UNKNOWN_COLOR, label=unknown)]
    if paper:
        handles.append(Line2D([], [], marker="D", ms=6, ls="", color="black", mec="white", label="paper"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9, frameon=False)


def _bar(ax: Any, x: float, stat: Stat, width: float, color: str) -> None:
    """One bar with its std as an error bar and its value written at its foot (clear of the error bar)."""
    ax.bar(x, stat.mean, width, color=color, yerr=stat.std, capsize=3, error_kw={"lw": 1})
    inside = stat.mean >= 12
    ax.text(x, 1.5 if inside else stat.mean + 1, f"{stat.mean:.1f}", ha="center", va="bottom", fontsize=7,
            color="white" if inside else "0.2", rotation=90)


def per_class_figure(run: Run, task: str = "coarse", setting: str | None = None) -> Figure | None:
    """Per-class accuracy on the known vs the unknown set, a panel per set direction, classes sorted by the
    gap (largest first): where the model fails to transfer. Classes are matched by name, so this needs a
    task whose two sets share their classes (coarse). ``setting`` names the data in the title (default: the
    dataset). None if no direction has both sets."""
    entry = run.task(task)
    panels = []
    for result in (entry or {}).get("directions", {}).values():
        known, unknown = result.get("known"), result.get("unknown")
        if not known or not unknown:
            continue
        u_acc = dict(zip(unknown["class_names"], unknown["per_class"]))
        classes = [(n, k, u_acc[n]) for n, k in zip(known["class_names"], known["per_class"]) if n in u_acc]
        if classes:
            panels.append((result, classes))
    if not panels:
        return None
    names = METRIC_NAMES[task]
    rows = max(len(c) for _, c in panels)
    fig = Figure(figsize=(6.2 * len(panels), 1.6 + 0.3 * rows), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (result, classes) in zip(axes, panels):
        measured = sorted((c for c in classes if c[1] is not None and c[2] is not None), key=lambda c: c[2] - c[1])
        classes = measured + [c for c in classes if c[1] is None or c[2] is None]
        y = np.arange(len(classes))
        height = 0.4
        ax.barh(y - height / 2, [c[1] or 0 for c in classes], height, color=KNOWN_COLOR, label="known set")
        ax.barh(y + height / 2, [c[2] or 0 for c in classes], height, color=UNKNOWN_COLOR, label="unknown set")
        for yi, (_, k, u) in zip(y, classes):
            text, color = ("no videos", "0.5") if k is None or u is None else (f"Δ {k - u:+.0f}", _gap_color(k - u))
            ax.text(101, yi, text, va="center", fontsize=7.5, color=color)
        ax.set_yticks(y, [c[0] for c in classes], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 114)
        ax.set_xticks(range(0, 101, 20))
        ax.set_xlabel("per-class top-1 accuracy (%)")
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
        m = result["metrics"]
        ax.set_title(f"train Set {result['train_set']} → unknown Set {result['unknown_set']}: "
                     f"{names['known']} {m['known']:.1f}, {names['unknown']} {m['unknown']:.1f}", fontsize=9.5)
    _legend(fig, "known set", "unknown set")
    fig.suptitle(f"{run.model} on {setting or _dataset_name(run)}, seed {run.seed}: per-class {task} accuracy,\n"
                 "largest transfer gap (Δ = known − unknown) first", fontsize=10.5)
    return fig


def _gap_color(gap: float) -> str:
    """Red where the model loses accuracy on the unknown set, green where it gains, grey for no change."""
    return "#B22222" if gap > 0 else "#2E7D32" if gap < 0 else "0.4"


def confusion_figure(run: Run, task: str, direction: str, setting: str | None = None) -> Figure | None:
    """Heatmap of the unknown set's confusion matrix in ``direction``, rows normalised to % of each true
    class (cells written out for up to 30 classes); ``setting`` as in :func:`per_class_figure`. None if the
    unknown set was not evaluated."""
    result = (run.task(task) or {}).get("directions", {}).get(direction)
    report = (result or {}).get("unknown")
    if not report:
        return None
    cm = np.asarray(report["confusion"], dtype=float)
    support = cm.sum(axis=1, keepdims=True)
    percent = np.divide(100 * cm, support, out=np.full_like(cm, np.nan), where=support > 0)
    labels = [_shorten(name) for name in report["class_names"]]
    n = len(labels)
    size = 3.0 + 0.36 * n
    fig = Figure(figsize=(size + 1.2, size), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(percent, cmap="Blues", vmin=0, vmax=100)
    if n <= 30:
        for (i, j), value in np.ndenumerate(percent):
            if value >= 0.5:
                ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=6.5,
                        color="white" if value > 55 else "0.15")
    # Outline the diagonal so correct predictions stand apart from the confusions around them.
    for i in range(n):
        ax.add_patch(Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, lw=0.6, ec="0.35"))
    ax.set_xticks(range(n), labels, rotation=60, ha="right", rotation_mode="anchor", fontsize=8)
    ax.set_yticks(range(n), labels, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(image, ax=ax, shrink=0.6, label="% of the true class's videos")
    name = METRIC_NAMES[task]["unknown"]
    ax.set_title(f"{run.model} on {setting or _dataset_name(run)}, seed {run.seed}, {task}\nunknown Set "
                 f"{result['unknown_set']} (trained on Set {result['train_set']}): {name} {report['top1']:.1f}%",
                 fontsize=10 if n <= 30 else 13)
    return fig


def _shorten(name: str, limit: int = 44) -> str:
    """``name`` cut in the middle to ``limit`` characters: fine captions often differ only at their end
    (``... clockwise`` / ``... counter-clockwise``), so both ends stay."""
    if len(name) <= limit:
        return name
    tail = limit // 3
    return f"{name[:limit - tail - 1]}…{name[-tail:]}"


def _dataset_name(run: Run) -> str:
    return DATASET_NAMES.get(run.dataset, run.dataset)


def run_slugs(runs: Sequence[Run], labels: dict[Run, str]) -> dict[Run, str]:
    """A distinct file-name stem per run from its model, setting (``labels``) and seed."""
    slugs: dict[Run, str] = {}
    for r in runs:
        stem = file_slug(re.sub(r"[^A-Za-z0-9._]+", "-", f"{r.model} {labels[r]} seed{r.seed}").strip("-").lower())
        slug, k = stem, 2
        while slug in slugs.values():
            slug, k = f"{stem}-{k}", k + 1
        slugs[r] = slug
    return slugs


def report_figures(runs: Sequence[Run], paper: bool = False) -> dict[str, Callable[[], Figure | None]]:
    """The report's figures by relative PNG path, each built lazily (a figure at a time stays in memory);
    ``paper`` marks the paper's numbers on the known/unknown bars."""
    figures: dict[str, Callable[[], Figure | None]] = {
        f"known_unknown_{task}.png": (lambda t=task: known_unknown_figure(runs, t, paper)) for task in TASKS}
    labels = setting_labels(runs)
    for run, slug in run_slugs(runs, labels).items():
        figures[f"per_class/{slug}_coarse.png"] = lambda r=run: per_class_figure(r, "coarse", labels[r])
        for task in TASKS:
            for direction in (run.task(task) or {}).get("directions", {}):
                # a direction key is read from results.json: slugged, so it names a file inside confusion/
                figures[f"confusion/{slug}_{task}_{file_slug(direction)}.png"] = (
                    lambda r=run, t=task, d=direction: confusion_figure(r, t, d, labels[r]))
    return figures


def write_report(runs: Sequence[Run], out: str | Path, factors: Sequence[str] = (),
                 paper: bool = False) -> tuple[str, list[Path]]:
    """Write ``tables.md``, ``tables.tex``, ``coarse.csv``, ``fine.csv`` and the PNG figures into ``out``;
    returns the Markdown and the files written, each written atomically. ``paper`` puts the paper's numbers
    beside ours (:func:`results_table`, :func:`csv_rows`, :func:`known_unknown_figure`). Raises ValueError
    for runs that cannot be tabulated and :class:`~synta.errors.InputError` if ``out`` is (or lies under)
    a file or a run folder's ``config.yaml`` is not a run config."""
    if not runs:
        raise ValueError("no runs to report")
    tables = report_tables(runs, factors, paper)
    markdown = "\n\n".join(to_markdown(t) for t in tables) + "\n"
    out = make_folder(out, "--out")
    texts = {"tables.md": markdown, "tables.tex": "\n\n".join(to_latex(t) for t in tables) + "\n"}
    texts.update({f"{task}.csv": to_csv(csv_rows(runs, task, paper), task, paper) for task in TASKS})
    written = []
    for name, text in texts.items():
        write_atomic(out / name, text)
        written.append(out / name)
    for name, build in report_figures(runs, paper).items():
        fig = build()
        if fig is None:
            continue
        path = out / name
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        write_atomic(path, buf.getvalue())
        written.append(path)
    return markdown, written
