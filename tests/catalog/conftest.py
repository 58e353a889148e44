"""Fixtures for the catalog tests: the real LEAN sample data, and an independent reader of it."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LEAN = REPO.parent / "shared" / "data" / "lean-eurusd-oanda"


@pytest.fixture(scope="session")
def lean_dir() -> Path:
    if not LEAN.is_dir():
        pytest.skip(f"LEAN sample data not found at {LEAN}")
    return LEAN


def source_rows(path: Path) -> list[list[str]]:
    """Every row of a LEAN zip, read with the standard library only (independent of the importer)."""
    with zipfile.ZipFile(path) as archive:
        [name] = archive.namelist()
        text = archive.read(name).decode()
    return [row for row in csv.reader(io.StringIO(text)) if row]


def scaled(text: str) -> int:
    """A decimal price as NautilusTrader's fixed-point raw value (16 decimals)."""
    return int(Decimal(text) * 10**16)


def write_lean_zip(path: Path, rows: list[str]) -> Path:
    """A LEAN-layout zip holding one CSV with `rows` (no trailing newline, like LEAN's files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{path.stem}.csv", "\n".join(rows))
    return path
