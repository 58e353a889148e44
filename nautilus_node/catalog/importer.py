"""Import files into the catalog: LEAN quote files and plain CSV, all-or-nothing and without duplicates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.catalog import csv_import, lean
from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.catalog.instrument import eurusd_instrument
from nautilus_node.catalog.store import GroupResult, write_atomically

DEFAULT_INSTRUMENT = "EUR/USD.IDEALPRO"

Progress = Callable[[Path, int], None]


def checked_instrument_id(text: str) -> InstrumentId:
    """`text` as an InstrumentId, or an input error naming it."""
    try:
        return InstrumentId.from_str(text)
    except ValueError:
        raise CatalogInputError("--instrument", f"{text!r} is not an instrument id (SYMBOL.VENUE)") from None


def catalog_instrument(catalog_dir: Path, instrument_id: str) -> Instrument | None:
    """The instrument's definition as the catalog holds it, if it does."""
    if not (catalog_dir / "data").is_dir():
        return None
    found = ParquetDataCatalog(str(catalog_dir)).instruments(instrument_ids=[instrument_id])
    return found[-1] if found else None


def known_instrument(catalog_dir: Path, instrument_id: str) -> Instrument | None:
    """The instrument's definition from the catalog, or the built-in EUR/USD one; None if neither has it."""
    found = catalog_instrument(catalog_dir, instrument_id)
    if found is not None:
        return found
    builtin = eurusd_instrument()
    return builtin if str(builtin.id) == instrument_id else None


def import_lean(
    catalog_dir: Path,
    paths: Iterable[Path],
    instrument_id: str = DEFAULT_INSTRUMENT,
    progress: Progress | None = None,
) -> list[GroupResult]:
    """Import LEAN forex quote files (or folders of them) for `instrument_id` into the catalog."""
    checked_instrument_id(instrument_id)
    instrument = known_instrument(catalog_dir, instrument_id)
    if instrument is None:
        raise CatalogInputError(catalog_dir, f"instrument {instrument_id} is not defined in the catalog")
    data: list = [instrument]
    for lean_file in lean.find_files(list(paths)):
        rows = lean.read(lean_file, instrument)
        data.extend(rows)
        if progress is not None:
            progress(lean_file.path, len(rows))
    return write_atomically(catalog_dir, data)


def import_csv(
    catalog_dir: Path,
    files: Iterable[Path],
    spec: csv_import.CsvSpec,
    price_precision: int | None = None,
    size_precision: int | None = None,
    progress: Progress | None = None,
) -> list[GroupResult]:
    """Import CSV files of one kind for one instrument into the catalog.

    Precisions come from the instrument's definition (catalog or built-in) unless given.
    """
    checked_instrument_id(spec.instrument_id)
    instrument = known_instrument(catalog_dir, spec.instrument_id)
    if instrument is not None:
        price_precision = instrument.price_precision if price_precision is None else price_precision
        size_precision = instrument.size_precision if size_precision is None else size_precision
    if price_precision is None or size_precision is None:
        raise CatalogInputError(
            catalog_dir,
            f"instrument {spec.instrument_id} is not defined in the catalog: give --price-precision and "
            "--size-precision",
        )
    data: list = [instrument] if instrument is not None else []
    for path in files:
        if not path.is_file():
            raise CatalogInputError(path, "no such file")
        rows = csv_import.read(path, spec, price_precision, size_precision)
        data.extend(rows)
        if progress is not None:
            progress(path, len(rows))
    return write_atomically(catalog_dir, data)
