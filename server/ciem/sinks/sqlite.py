"""The embedded default sink: a local SQLite database of findings and their history.

Tables: ``scans`` (one row per scan, with its counts), ``findings`` (the latest state of every
finding ever seen: new, open or resolved), ``finding_events`` (each finding's status in each scan),
``identity_risk`` (ranked identities per scan). ``ciem findings`` reads it; so does the report.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from ciem.errors import InputError
from ciem.findings.history import apply_history, trend_point
from ciem.findings.model import Finding, IdentityRisk, Scan, Status
from ciem.findings.serialize import (
    finding_from_dict,
    finding_to_dict,
    identity_risk_from_dict,
    identity_risk_to_dict,
)
from ciem.sinks.options import Options

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scans (
  id TEXT PRIMARY KEY, at TEXT NOT NULL, index_built_at TEXT NOT NULL, trend TEXT NOT NULL,
  notes TEXT NOT NULL, rules TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
  id TEXT PRIMARY KEY, rule TEXT NOT NULL, subject TEXT NOT NULL, status TEXT NOT NULL,
  score INTEGER NOT NULL, severity TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  resolved_at TEXT, document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_status_score ON findings (status, score DESC);
CREATE TABLE IF NOT EXISTS finding_events (
  finding_id TEXT NOT NULL, scan_id TEXT NOT NULL, at TEXT NOT NULL, status TEXT NOT NULL,
  score INTEGER NOT NULL, PRIMARY KEY (finding_id, scan_id)
);
CREATE TABLE IF NOT EXISTS identity_risk (
  scan_id TEXT NOT NULL, identity TEXT NOT NULL, score INTEGER NOT NULL, document TEXT NOT NULL,
  PRIMARY KEY (scan_id, identity)
);
"""

OPEN_STATUSES = (Status.NEW.value, Status.OPEN.value)


@dataclass(frozen=True)
class ScanSummary:
    id: str
    at: str
    trend: Mapping[str, Any]
    notes: tuple[str, ...]


class FindingsStore:
    """The database, for writing scans and for reading findings back."""

    def __init__(self, path: Path, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise InputError(self.path, "", "no findings database here yet (run a scan first)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._lock = threading.Lock()
        try:
            with self._db:
                self._db.executescript(_SCHEMA)
                row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if row is None:
                    self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                elif row[0] != str(SCHEMA_VERSION):
                    raise InputError(self.path, "meta.schema", f"findings database schema {row[0]}, this ciem reads {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise InputError(self.path, "", f"not a findings database: {error}") from None

    def close(self) -> None:
        self._db.close()

    def record(self, scan: Scan) -> Scan:
        """Apply the stored history to ``scan`` and store the result in one transaction.

        Recording a scan id that is already stored changes nothing and returns the scan as stored.
        """
        with self._lock, self._db:
            if self._db.execute("SELECT 1 FROM scans WHERE id = ?", (scan.id,)).fetchone():
                return scan
            scan = apply_history(scan, {f.id: f for f in self._open()})
            for finding in scan.findings + scan.resolved:
                self._db.execute(
                    "INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (finding.id, finding.rule, finding.subject, finding.status.value, finding.score.value,
                     finding.score.severity, _iso(finding.first_seen), _iso(finding.last_seen),
                     _iso(finding.resolved_at), json.dumps(finding_to_dict(finding), sort_keys=True)),
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO finding_events VALUES (?, ?, ?, ?, ?)",
                    (finding.id, scan.id, scan.at.isoformat(), finding.status.value, finding.score.value),
                )
            for risk in scan.identities:
                self._db.execute(
                    "INSERT INTO identity_risk VALUES (?, ?, ?, ?)",
                    (scan.id, risk.identity, risk.score, json.dumps(identity_risk_to_dict(risk), sort_keys=True)),
                )
            self._db.execute(
                "INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?)",
                (scan.id, scan.at.isoformat(), scan.index_built_at.isoformat(), json.dumps(trend_point(scan)),
                 json.dumps(list(scan.notes)),
                 json.dumps([{"id": r.id, "title": r.title, "rationale": r.rationale, "source": r.source} for r in scan.rules])),
            )
        return scan

    def _open(self) -> list[Finding]:
        rows = self._db.execute(
            "SELECT document FROM findings WHERE status IN (?, ?)", OPEN_STATUSES
        ).fetchall()
        return [finding_from_dict(json.loads(row[0])) for row in rows]

    # -- reading ----------------------------------------------------------------------------------

    def findings(self, statuses: Iterable[str] = OPEN_STATUSES, min_score: int = 0, rule: str | None = None) -> list[Finding]:
        """Findings in ``statuses``, highest score first."""
        statuses = tuple(statuses)
        query = f"SELECT document FROM findings WHERE status IN ({','.join('?' * len(statuses))}) AND score >= ?"
        params: list[Any] = [*statuses, min_score]
        if rule:
            query += " AND rule = ?"
            params.append(rule)
        query += " ORDER BY score DESC, rule, subject, id"
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [finding_from_dict(json.loads(row[0])) for row in rows]

    def scans(self) -> list[ScanSummary]:
        """Every stored scan, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT id, at, trend, notes FROM scans ORDER BY at, id").fetchall()
        return [ScanSummary(row[0], row[1], json.loads(row[2]), tuple(json.loads(row[3]))) for row in rows]

    def identities(self, scan_id: str | None = None) -> list[IdentityRisk]:
        """Ranked identities of ``scan_id`` (the latest scan when None)."""
        with self._lock:
            if scan_id is None:
                row = self._db.execute("SELECT id FROM scans ORDER BY at DESC, id DESC LIMIT 1").fetchone()
                if row is None:
                    return []
                scan_id = row[0]
            rows = self._db.execute(
                "SELECT document FROM identity_risk WHERE scan_id = ? ORDER BY score DESC, identity", (scan_id,)
            ).fetchall()
        return [identity_risk_from_dict(json.loads(row[0])) for row in rows]

    def events(self, finding_id: str) -> list[tuple[str, str, str, int]]:
        """(scan id, time, status, score) of one finding in every scan that saw it."""
        with self._lock:
            return [tuple(row) for row in self._db.execute(
                "SELECT scan_id, at, status, score FROM finding_events WHERE finding_id = ? ORDER BY at", (finding_id,)
            )]


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


class SqliteSink:
    """``kind: sqlite``; option ``path`` (the database file)."""

    def __init__(self, path: Path):
        self.store = FindingsStore(path)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "SqliteSink":
        return cls(Options(options, "sqlite", {"path"}).path("path"))

    def publish(self, scan: Scan) -> None:
        self.store.record(scan)

    def close(self) -> None:
        self.store.close()
