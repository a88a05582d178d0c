"""Findings inside the service: a scan of every index put in service, published to the sinks, and the
latest scan listed a page at a time (FindingsService.ListFindings)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Callable, Sequence

import pluggy

from ciem.config import Config
from ciem.errors import ConfigError, QueryError
from ciem.findings.config import FindingsConfig
from ciem.findings.engine import run_scan
from ciem.findings.history import JsonHistory, apply_history
from ciem.findings.model import Finding, FindingsSink, Scan, Status
from ciem.index import EffectiveAccessIndex
from ciem.sinks import default_sink_configs, make_sinks
from ciem.v1 import ciem_pb2 as pb

log = logging.getLogger(__name__)

HISTORY_FILE = "service-findings.json"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
SEVERITIES = ("info", "low", "medium", "high", "critical")  # least severe first
_STATUS = {
    pb.FINDING_STATUS_NEW: Status.NEW,
    pb.FINDING_STATUS_OPEN: Status.OPEN,
    pb.FINDING_STATUS_RESOLVED: Status.RESOLVED,
}


class FindingsFeed:
    """Scans each index (as an ``IndexHolder.on_built`` callback) and keeps the latest scan.

    Findings carry their lifecycle (new, open, resolved) from ``history``, or, without one, from the
    previous scan in memory. A sink that fails is logged and does not stop the others.
    """

    def __init__(
        self,
        manager: pluggy.PluginManager,
        config: FindingsConfig = FindingsConfig(),
        sinks: Sequence[FindingsSink] = (),
        history: JsonHistory | None = None,
    ):
        self.manager = manager
        self.config = config
        self.sinks = list(sinks)
        self.history = history
        self.latest: Scan | None = None
        self._lock = threading.Lock()

    def __call__(self, index: EffectiveAccessIndex) -> Scan:
        with self._lock:  # one scan at a time, so that each sees the one before
            return self._scan(index)

    def _scan(self, index: EffectiveAccessIndex) -> Scan:
        scan = run_scan(index, self.manager, config=self.config)
        if self.history is not None:
            scan = self.history.apply(scan)
        else:
            scan = apply_history(scan, {f.id: f for f in self.latest.findings} if self.latest else {})
        for sink in self.sinks:
            try:
                sink.publish(scan)
            except Exception:
                log.exception("findings sink %s failed to take scan %s", type(sink).__name__, scan.id)
        if self.history is not None:
            self.history.commit(scan)
        self.latest = scan
        log.info("scan %s: %d findings, %d resolved", scan.id, len(scan.findings), len(scan.resolved))
        return scan

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


def make_feed(config: Config, manager: pluggy.PluginManager) -> FindingsFeed:
    """The feed a configuration asks for: its sinks (by default the SQLite store and the HTML report
    in ``state_dir``) and a lifecycle history in ``state_dir``."""
    if config.sinks is not None:
        sink_configs = list(config.sinks)
    else:
        sink_configs = default_sink_configs(config.state_dir) if config.state_dir is not None else []
    try:
        sinks = make_sinks(manager, sink_configs)
    except ConfigError as error:
        raise ConfigError(f"{config.path}: {error}" if config.path is not None else str(error)) from None
    history = JsonHistory(Path(config.state_dir) / HISTORY_FILE) if config.state_dir is not None else None
    return FindingsFeed(manager, config.findings, sinks, history)


def select(scan: Scan, request: pb.ListFindingsRequest, visible: Callable[[str, str], bool] | None = None) -> list[Finding]:
    """The scan's findings that pass the request's filters (and ``visible(provider, account)``), in
    the scan's order: highest score first, resolved ones last."""
    if request.min_severity and request.min_severity not in SEVERITIES:
        raise QueryError(f"unknown severity {request.min_severity!r}; one of: {', '.join(reversed(SEVERITIES))}")
    floor = SEVERITIES.index(request.min_severity) if request.min_severity else 0
    if any(status not in _STATUS for status in request.statuses):
        raise QueryError("statuses must be FINDING_STATUS_NEW, _OPEN or _RESOLVED")
    statuses = {_STATUS[status] for status in request.statuses} or {Status.NEW, Status.OPEN}
    candidates = scan.findings + (scan.resolved if Status.RESOLVED in statuses else ())
    selected = []
    for finding in candidates:
        if finding.status not in statuses or SEVERITIES.index(finding.score.severity) < floor:
            continue
        if request.rules and finding.rule not in request.rules:
            continue
        if request.subjects and finding.subject not in request.subjects:
            continue
        if request.providers and finding.provider not in request.providers:
            continue
        if request.accounts and finding.account not in request.accounts:
            continue
        if visible is not None and not visible(finding.provider, finding.account):
            continue
        selected.append(finding)
    return selected


def page_bounds(scan: Scan, request: pb.ListFindingsRequest, total: int, scope: str = "") -> tuple[int, int, str]:
    """(start, end, next_page_token) of the page ``request`` asks for among ``total`` findings.

    The token is opaque to callers: the scan id, the filters' fingerprint (``scope`` included) and
    the offset. A token from another scan or other filters is refused.
    """
    if request.page_size < 0:
        raise QueryError(f"page_size must not be negative, not {request.page_size}")
    size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    fingerprint = _fingerprint(request, scope)
    start = 0
    if request.page_token:
        start = _read_token(request.page_token, scan.id, fingerprint)
    end = min(start + size, total)
    following = _token(scan.id, fingerprint, end) if end < total else ""
    return start, end, following


def _fingerprint(request: pb.ListFindingsRequest, scope: str) -> str:
    filters = pb.ListFindingsRequest()
    filters.CopyFrom(request)
    filters.ClearField("page_size")
    filters.ClearField("page_token")
    return hashlib.sha256(filters.SerializeToString(deterministic=True) + scope.encode()).hexdigest()[:16]


def _token(scan_id: str, fingerprint: str, offset: int) -> str:
    raw = json.dumps({"scan": scan_id, "filters": fingerprint, "offset": offset}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_token(token: str, scan_id: str, fingerprint: str) -> int:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = raw["offset"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError(offset)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise QueryError("page_token is not a token this server issued") from None
    if raw.get("scan") != scan_id:
        raise QueryError("page_token belongs to an earlier scan; list again from the first page")
    if raw.get("filters") != fingerprint:
        raise QueryError("page_token was issued for other filters; keep the filters of the first page")
    return offset
