"""The allowed import directions between the packages, checked on the source (imports inside functions too).

generator imports neither benchmark nor models; models imports neither benchmark nor generator; only the
CLI package imports the CLI.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "generator": ("synta.benchmark", "synta.models", "synta.cli"),
    "models": ("synta.benchmark", "synta.generator", "synta.cli"),
    "benchmark": ("synta.cli",),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_package_imports_point_one_way(folder: str) -> None:
    bad = [f"{path.relative_to(ROOT)} imports {name}"
           for path in sorted((ROOT / folder).rglob("*.py"))
           for name in sorted(_imports(path))
           if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[folder])]
    assert not bad, "\n".join(bad)
