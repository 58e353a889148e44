"""Where a catalog lives: a local directory, or an fsspec URL (`s3://bucket/catalog`, `gcs://…`, `file:///…`)
that NautilusTrader's `ParquetDataCatalog` reads through the matching filesystem."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fsspec.utils import infer_storage_options
from nautilus_trader.persistence.catalog import ParquetDataCatalog


@dataclass(frozen=True)
class CatalogLocation:
    """A catalog's path within its filesystem, the fsspec protocol, and options taken from the URL."""

    path: str
    protocol: str = "file"
    storage_options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, value: str) -> CatalogLocation:
        """A local path (made absolute) or a URL with a protocol."""
        if "://" not in value:
            return cls(path=str(Path(value).resolve()))
        parsed = infer_storage_options(value)
        path, protocol = parsed.pop("path"), parsed.pop("protocol")
        return cls(path=path, protocol=protocol, storage_options={k: str(v) for k, v in parsed.items()})

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
        return ParquetDataCatalog(
            path=self.path, fs_protocol=self.protocol, fs_storage_options=self.storage_options or None
        )
