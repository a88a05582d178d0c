"""GCP activity sources: Cloud Audit Logs, from exported files or the Cloud Logging API.

An activity source's settings, as ``ciem_parse_activity`` receives them::

    {"kind": "audit-logs", "path": "logs/"}        # files or folders ("paths": [...])
    {"kind": "audit-logs", "resource_names": ["organizations/123"], "since": "2026-08-01T00:00:00Z"}

With ``resource_names`` the entries are read with the Logging API (``entries.list``, application
default credentials), filtered to the audit logs (and ``filter``, if given, ANDed to it).

Files hold LogEntry objects as Cloud Logging exports them: newline-delimited JSON (a sink to Cloud
Storage, ``gcloud logging read --format=json`` piped through ``jq -c '.[]'``) or one JSON array
(``gcloud logging read --format=json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from ciem.errors import ConfigError
from ciem.model import UsageRecord

KINDS = ("audit-logs",)


def parse_activity(source: Mapping[str, Any], progress: Callable[[str, int, "int | None"], None]) -> Iterator[UsageRecord]:
    kind = source.get("kind", "audit-logs")
    if kind != "audit-logs":
        raise ConfigError(f"unknown gcp activity kind {kind!r}; one of: {', '.join(KINDS)}")
    if source.get("resource_names"):
        from ciem_gcp.activity.auditlogs import read_logging_api

        return read_logging_api(source, progress)
    paths = source.get("paths") or ([source["path"]] if source.get("path") else [])
    if not paths:
        raise ConfigError("a gcp audit-logs activity source needs a path, paths or resource_names")
    from ciem_gcp.activity.auditlogs import read_paths

    return read_paths([Path(p) for p in paths], progress)
