"""Finding lifecycle across scans: new, still open, resolved.

A finding's id is a hash of its rule, subject and key facts, so the same risk has the same id in
every scan. Given the findings a store held open before, :func:`apply_history` marks each current
finding new or open (keeping its first-seen time) and every previously open finding that is gone as
resolved at the scan's time. A resolved risk that comes back is new again.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from ciem.errors import InputError
from ciem.findings.model import Finding, Scan, Status
from ciem.findings.serialize import finding_from_dict, finding_to_dict


def apply_history(scan: Scan, open_before: Mapping[str, Finding]) -> Scan:
    current = []
    for finding in scan.findings:
        prior = open_before.get(finding.id)
        if prior is None:
            current.append(replace(finding, status=Status.NEW, first_seen=scan.at, last_seen=scan.at, resolved_at=None))
        else:
            current.append(replace(finding, status=Status.OPEN, first_seen=prior.first_seen or scan.at,
                                   last_seen=scan.at, resolved_at=None))
    present = {finding.id for finding in current}
    resolved = tuple(
        replace(prior, status=Status.RESOLVED, resolved_at=scan.at)
        for finding_id, prior in sorted(open_before.items())
        if finding_id not in present
    )
    return replace(scan, findings=tuple(current), resolved=resolved)


def trend_point(scan: Scan) -> dict[str, Any]:
    """One scan's counts, for trends across scans."""
    severities: dict[str, int] = {}
    for finding in scan.findings:
        severities[finding.score.severity] = severities.get(finding.score.severity, 0) + 1
    return {
        "scan": scan.id,
        "at": scan.at.isoformat(),
        "open": len(scan.findings),
        "new": sum(1 for f in scan.findings if f.status is Status.NEW),
        "resolved": len(scan.resolved),
        "severity": severities,
        "top_identity_score": max((risk.score for risk in scan.identities), default=0),
    }


class JsonHistory:
    """Open findings, the identities last ranked, and the trend, in one JSON file written
    atomically (for sinks that have no database of their own).

    :meth:`apply` has no side effect; :meth:`commit` records a scan once the sink has it safe.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.open: dict[str, Finding] = {}
        self.identities: list[str] = []
        self.trend: list[dict[str, Any]] = []
        if self.path.exists():
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                self.open = {key: finding_from_dict(value) for key, value in raw["open"].items()}
                self.identities = list(raw["identities"])
                self.trend = list(raw["trend"])
            except (ValueError, KeyError, TypeError) as error:
                raise InputError(self.path, "", f"not a findings history file: {error}") from None

    def apply(self, scan: Scan) -> Scan:
        return apply_history(scan, self.open)

    def commit(self, scan: Scan) -> None:
        """Record a scan :meth:`apply` returned, durably."""
        self.open = {finding.id: finding for finding in scan.findings}
        self.identities = [risk.identity for risk in scan.identities]
        self.trend.append(trend_point(scan))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "open": {key: finding_to_dict(value) for key, value in self.open.items()},
            "identities": self.identities,
            "trend": self.trend,
        }
        write_atomically(self.path, json.dumps(payload, sort_keys=True).encode("utf-8"))


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file so that a crash leaves either the old or the new content, never a mix."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
