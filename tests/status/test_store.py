"""The snapshot file is replaced atomically."""

from __future__ import annotations

from pathlib import Path

from nautilus_node.status.store import write_atomic


def test_write_creates_the_folder_and_replaces_the_file_without_leftovers(tmp_path: Path):
    path = tmp_path / "status" / "status.json"
    write_atomic(path, b'{"a":1}')
    write_atomic(path, b'{"a":2}')
    assert path.read_bytes() == b'{"a":2}'
    assert [p.name for p in path.parent.iterdir()] == ["status.json"]
