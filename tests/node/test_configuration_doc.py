"""docs/configuration.md's reference table names every key of the config file's schema (`settings.Settings`)
and every `fee_model` value, so the guide cannot fall behind the schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import msgspec

from nautilus_node import settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
# Tables of tables, or of keys one command reads, are documented in one row that lists their keys.
ROWS = {
    "strategies": "[[strategies]]",
    "backtest": "[backtest]",
    "backtest.data": "[[backtest.data]]",
    "backtest.venues": "[[backtest.venues]]",
}


def reference_rows() -> list[str]:
    return [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| `")]


def row(label: str) -> str:
    return next((r for r in reference_rows() if r.startswith(f"| `{label}`")), "")


def keys(struct: type[msgspec.Struct], prefix: str) -> list[tuple[str, str]]:
    """(table, key) for every key under `struct`; a nested table's keys are under its own name."""
    found = []
    for field in msgspec.structs.fields(struct):
        nested = next(
            (t for t in (field.type, *get_args(field.type)) if isinstance(t, type) and issubclass(t, msgspec.Struct)),
            None,
        )
        table = f"{prefix}.{field.name}".lstrip(".")
        if nested is not None:
            found += keys(nested, table)
        else:
            found.append((prefix, field.name))
    return found


def test_every_key_of_the_config_schema_is_in_the_reference() -> None:
    text = "\n".join(reference_rows())
    missing = [
        f"{table}.{key}"
        for table, key in keys(settings.Settings, "")
        if not (re.search(rf"\b{key}\b", row(ROWS[table])) if table in ROWS else f"`{table}.{key}`" in text)
    ]
    assert missing == []


def test_every_fee_model_value_is_explained() -> None:
    [fee_model] = [f for f in msgspec.structs.fields(settings.VenueSettings) if f.name == "fee_model"]
    explained = row("backtest.venues.fee_model")
    assert get_args(fee_model.type) and [v for v in get_args(fee_model.type) if f"`{v}`" not in explained] == []
