"""Package list for setuptools, derived from the folders that pyproject.toml maps into ``synta.*``.

pyproject.toml cannot say "every package under this folder, renamed into this namespace", so this file
does it: the mapped roots (``[tool.setuptools] package-dir``) plus every package folder below each of
them. Everything else (metadata, package data) stays in pyproject.toml.
"""
import tomllib
from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOT = Path(__file__).resolve().parent
ROOTS: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
    "package-dir"]

# Namespace packages too: data folders (assets/models/, assets/backgrounds/set1/, ...) are then listed
# packages whose files the package-data globs ship, rather than data setuptools warns it may ignore.
SUBPACKAGES = [f"{name}.{sub}" for name, folder in ROOTS.items()
               for sub in find_namespace_packages(ROOT / folder, exclude=["__pycache__", "*.__pycache__"])]

setup(packages=[*ROOTS, *SUBPACKAGES])
