"""The one error type for bad input files: it names the file, the line and what is wrong there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from nautilus_node.errors import InputError


class CatalogInputError(InputError, ValueError):
    """A file (or a row of it) that cannot be imported; the message is one line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


def check_rows(
    path: Path | str,
    bad: np.ndarray,
    first_line: int,
    describe: Callable[[int], str],
) -> None:
    """Raise for the first row flagged in `bad` (row i sits on line `first_line + i`), with a bad-row count."""
    flagged = np.flatnonzero(bad)
    if flagged.size == 0:
        return
    row = int(flagged[0])
    more = f" ({flagged.size} bad rows in the file)" if flagged.size > 1 else ""
    raise CatalogInputError(path, describe(row) + more, line=first_line + row)
