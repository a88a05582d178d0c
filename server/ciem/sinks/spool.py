"""A durable first-in first-out queue of batches on disk.

Each batch is one file, ``<sequence>.json``, written atomically (temporary file, fsync, rename,
fsync of the folder), so a batch is either wholly there or not at all, across crashes. Batches are
read back in sequence order and removed only after the consumer has them safe. A batch the consumer
can never deliver is moved to ``dead/`` with the reason, never dropped.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from ciem.errors import InputError
from ciem.findings.history import write_atomically

_WIDTH = 12


class Spool:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.dead = self.directory / "dead"
        self.dead.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        pending = self.pending()
        self._next = (pending[-1] + 1) if pending else 1

    def append(self, batch: list[dict[str, Any]]) -> int:
        """Store a batch durably; returns its sequence number."""
        with self._lock:
            sequence = self._next
            self._next += 1
            write_atomically(self._path(sequence), json.dumps(batch, separators=(",", ":")).encode("utf-8"))
            _fsync_directory(self.directory)
            return sequence

    def pending(self) -> list[int]:
        """Sequence numbers of the stored batches, oldest first."""
        return sorted(int(path.stem) for path in self.directory.glob("*.json") if path.stem.isdigit())

    def read(self, sequence: int) -> list[dict[str, Any]]:
        path = self._path(sequence)
        try:
            batch = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise InputError(path, "", f"spooled batch is not valid JSON: {error}") from None
        if not isinstance(batch, list):
            raise InputError(path, "", "spooled batch is not a list of operations")
        return batch

    def remove(self, sequence: int) -> None:
        self._path(sequence).unlink(missing_ok=True)
        _fsync_directory(self.directory)

    def bury(self, sequence: int, operations: list[dict[str, Any]], reason: str) -> Path:
        """Keep operations that can never be delivered in ``dead/``, with why."""
        path = self.dead / f"{sequence:0{_WIDTH}d}.json"
        write_atomically(path, json.dumps({"reason": reason, "operations": operations}, indent=1).encode("utf-8"))
        return path

    def _path(self, sequence: int) -> Path:
        return self.directory / f"{sequence:0{_WIDTH}d}.json"


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
