"""The wheel is the whole package: it holds every module and data file under the folders pyproject.toml maps
into ``synta.*``, and it works installed as a user installs it (not editable, without the source tree).

Editable installs (what development and CI use) serve modules straight from the folders, so they cannot show
a module the wheel leaves out; this builds the wheel from a copy of the tree, installs it into a folder that
comes first on ``PYTHONPATH`` and runs it from there.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# What the wheel must ship from the mapped folders: the code and the data files (taxonomy, recipes,
# background images, notes).
SHIPPED_SUFFIXES = (".py", ".yaml", ".jpg", ".md")


def mapped_folders() -> dict[str, str]:
    """``{package: folder}`` as pyproject.toml maps them (``synta.generator`` -> ``generator``)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-dir"]


def expected_files() -> set[str]:
    """The wheel paths of every code and data file under the mapped folders."""
    expected = set()
    for package, folder in mapped_folders().items():
        root = REPO / folder
        for path in root.rglob("*"):
            if path.is_file() and path.suffix in SHIPPED_SUFFIXES and "__pycache__" not in path.parts:
                expected.add("/".join([*package.split("."), *path.relative_to(root).parts]))
    return expected


def importable_modules(names: list[str]) -> list[str]:
    """Dotted names of the modules in the wheel that belong to regular packages (every folder up to the root
    has an ``__init__.py``; data folders hold no code to import), without ``__main__`` (it runs the CLI)."""
    files = set(names)
    modules = []
    for name in names:
        parts = name.split("/")
        if not name.endswith(".py") or parts[0] != "synta" or parts[-1] == "__main__.py":
            continue
        if all("/".join([*parts[:i], "__init__.py"]) in files for i in range(1, len(parts))):
            modules.append(".".join(parts[:-1] if parts[-1] == "__init__.py" else [*parts[:-1], parts[-1][:-3]]))
    return sorted(modules)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> dict:
    """The wheel built from a copy of the tree (top-level files and the mapped folders), and a folder it is
    installed into with ``pip install --target``."""
    tmp = tmp_path_factory.mktemp("packaging")
    src = tmp / "src"
    src.mkdir()
    for path in REPO.iterdir():  # pyproject.toml, setup.py, README.md, LICENSE, NOTICE
        if path.is_file():
            shutil.copy2(path, src / path.name)
    for folder in mapped_folders().values():
        shutil.copytree(REPO / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w",
                            str(tmp / "dist"), str(src)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = (tmp / "dist").glob("synta-*.whl")
    site = tmp / "site"
    installed = subprocess.run([*pip, "install", "--no-deps", "--no-index", "--no-compile", "--target", str(site),
                                str(path)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    return {"path": path, "names": names, "site": site, "cwd": tmp}


def run_installed(wheel: dict, *args: str) -> subprocess.CompletedProcess:
    """``python ARGS`` with the installed wheel first on the path, outside the repository (so neither the
    working directory nor the editable finder can serve ``synta``)."""
    env = {**os.environ, "PYTHONPATH": str(wheel["site"])}
    return subprocess.run([sys.executable, *args], cwd=wheel["cwd"], env=env, capture_output=True, text=True,
                          timeout=300)


def test_wheel_holds_every_module_and_data_file(wheel):
    missing = sorted(expected_files() - set(wheel["names"]))
    assert not missing, f"{wheel['path'].name} lacks {len(missing)} files: {missing}"


@pytest.mark.parametrize("command", ["bench", "render"])
def test_installed_cli_help(wheel, command):
    res = run_installed(wheel, "-m", "synta", command, "--help")
    assert res.returncode == 0, res.stderr
    assert f"Usage: synta {command}" in res.stdout


def test_installed_wheel_imports_every_module(wheel):
    modules = importable_modules(wheel["names"])
    assert "synta.benchmark.engine.trainer" in modules
    # Imports each module, then lists any synta module that did not come from the installed folder.
    script = (
        "import importlib, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        f"site = {str(wheel['site'])!r}\n"
        "import synta\n"
        "assert synta.__file__.startswith(site), synta.__file__\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "stray = sorted(n for n, m in sys.modules.items() if n.split('.')[0] == 'synta'\n"
        "               and getattr(m, '__file__', None) and not m.__file__.startswith(site))\n"
        "assert not stray, stray\n"
    )
    res = run_installed(wheel, "-c", script)
    assert res.returncode == 0, res.stderr
