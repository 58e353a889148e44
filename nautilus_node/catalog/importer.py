"""Import files into the catalog: LEAN quote files and plain CSV, all-or-nothing and without duplicates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.catalog import csv_import, definitions, lean
from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.catalog.instrument import eurusd_instrument
from nautilus_node.catalog.store import GroupResult, write_atomically
from nautilus_node.ib.instrument_ids import check_instrument_id

DEFAULT_INSTRUMENT = "EUR/USD.IDEALPRO"

Progress = Callable[[Path, int], None]
Note = Callable[[str], None]


def checked_instrument_id(text: str, catalog_dir: Path | None = None, where: str = "--instrument") -> InstrumentId:
    """`text` as an InstrumentId IB's rules allow, or an input error naming it with the ids (of the catalog at
    `catalog_dir`, and the built-in EUR/USD) it probably meant."""
    return check_instrument_id(text, catalog_instrument_ids(catalog_dir), where=where)


def catalog_instrument_ids(catalog_dir: Path | None) -> list[str]:
    """The ids of the instruments the catalog at `catalog_dir` defines, then the built-in EUR/USD."""
    ids = []
    if catalog_dir is not None and (catalog_dir / "data").is_dir():
        ids = [str(i.id) for i in ParquetDataCatalog(str(catalog_dir)).instruments()]
    return [*dict.fromkeys(ids), DEFAULT_INSTRUMENT]


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


def instrument_for_import(catalog_dir: Path, instrument_id: str) -> tuple[Instrument, str | None]:
    """The catalog's (or the built-in) definition of `instrument_id`; when there is none, the definition IB's
    conventions give from the id alone, with the line that announces it once written. Otherwise an error naming
    the commands."""
    found = known_instrument(catalog_dir, instrument_id)
    if found is not None:
        return found, None
    try:
        defined = definitions.define(definitions.InstrumentDefinition(id=instrument_id))
    except CatalogInputError as exc:
        reason = str(exc).split(": ", 1)[-1].split("; ")[0]
        raise CatalogInputError(
            instrument_id,
            f"not in the catalog, and the id alone does not define it ({reason}); define it with "
            f"`catalog instruments define {instrument_id} --tick ... ` (or a TOML file) or fetch it from IB with "
            f"`catalog instruments fetch {instrument_id}`",
        ) from None
    return defined.instrument, definitions.describe(defined)


def import_lean(
    catalog_dir: Path,
    paths: Iterable[Path],
    instrument_id: str = DEFAULT_INSTRUMENT,
    progress: Progress | None = None,
) -> list[GroupResult]:
    """Import LEAN forex quote files (or folders of them) for `instrument_id` into the catalog."""
    checked_instrument_id(instrument_id, catalog_dir)
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
    note: Note | None = None,
) -> list[GroupResult]:
    """Import CSV files of one kind for one instrument into the catalog.

    The instrument comes from the catalog, else from its id with IB's conventions (said through `note` once
    the import is written);
    explicit precisions import an instrument that stays undefined. A file given twice, or a row that another
    file of the same command already has, is refused.
    """
    checked_instrument_id(spec.instrument_id, catalog_dir)
    note = _once(note)
    if price_precision is None or size_precision is None or known_instrument(catalog_dir, spec.instrument_id):
        instrument, defined = instrument_for_import(catalog_dir, spec.instrument_id)
        price_precision = instrument.price_precision if price_precision is None else price_precision
        size_precision = instrument.size_precision if size_precision is None else size_precision
        data: list = [instrument]
    else:
        data, defined = [], None
    seen = csv_import.CommandRows()
    for path in files:
        if not path.is_file():
            raise CatalogInputError(path, "no such file")
        rows = csv_import.read(path, spec, price_precision, size_precision, note, seen)
        data.extend(rows)
        if progress is not None:
            progress(path, len(rows))
    written = write_atomically(catalog_dir, data)
    if defined is not None and note is not None:
        note(defined)
    return written


def _once(note: Note | None) -> Note | None:
    """`note`, saying each distinct line only once."""
    if note is None:
        return None
    said: set[str] = set()

    def say(line: str) -> None:
        if line not in said:
            said.add(line)
            note(line)

    return say
