"""Data files of synta (taxonomy, shapes, later backgrounds and model configs): data, not code."""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

ASSETS_DIR = Path(__file__).resolve().parent


@cache
def load_yaml(name: str) -> Any:
    """Parse ``assets/<name>`` once per process."""
    with open(ASSETS_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)
