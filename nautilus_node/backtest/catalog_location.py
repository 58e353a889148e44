"""Where a catalog lives: a local directory, or an fsspec URL (`s3://bucket/catalog`, `gcs://…`, `memory:///…`)
that NautilusTrader's `ParquetDataCatalog` reads through the matching filesystem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nautilus_trader.persistence.catalog import ParquetDataCatalog


@dataclass(frozen=True)
class CatalogLocation:
    """A catalog's path within its filesystem and the fsspec protocol; credentials and endpoints come from the
    filesystem's own environment (e.g. AWS_* variables for s3)."""

    path: str
    protocol: str = "file"

    @classmethod
    def parse(cls, value: str) -> CatalogLocation:
        """A local path (made absolute) or a URL with a protocol."""
        if "://" not in value:
            return cls(path=str(Path(value).resolve()))
        catalog = ParquetDataCatalog.from_uri(value)  # read as NautilusTrader reads it
        return cls(path=catalog.path, protocol=catalog.fs_protocol)

    @property
    def is_local(self) -> bool:
        """True for a directory on this machine's filesystem."""
        return self.protocol == "file"

    @property
    def url(self) -> str:
        """The location as a person writes it."""
        return self.path if self.is_local else f"{self.protocol}://{self.path}"

    def open(self) -> ParquetDataCatalog:
        """NautilusTrader's catalog at this location."""
        return ParquetDataCatalog(path=self.path, fs_protocol=self.protocol)
