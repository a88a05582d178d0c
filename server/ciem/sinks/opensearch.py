"""The OpenSearch sink: findings where SIEM users look.

Documents use Elastic Common Schema names where ECS has one (``@timestamp``, ``event.*``,
``rule.*``, ``risk.*``, ``cloud.*``, ``user.*``) and ``ciem.*`` for the rest. Three indices, each
from a composable index template over one shared component template (``templates/``):

* ``<prefix>-findings``: one document per finding id, upserted every scan (resolved ones too);
* ``<prefix>-identities``: one document per identity, its latest risk;
* ``<prefix>-scans``: one document per scan, for trends.

Delivery: a scan is first written to a disk spool (``spool_dir``) as one batch of bulk operations,
then the spool is replayed in order with bulk requests keyed by document id (replaying is
idempotent), retried with exponential backoff. While OpenSearch is down batches stay in the spool
and a background thread retries every ``replay_interval`` seconds; documents OpenSearch rejects for
good (a mapping conflict) are kept in ``spool_dir/dead/`` with the reason. Nothing accepted is lost.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Mapping

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import TransportError

from ciem.errors import ConfigError
from ciem.findings.history import JsonHistory
from ciem.findings.model import Finding, IdentityRisk, RuleInfo, Scan
from ciem.findings.serialize import edge_to_dict
from ciem.sinks.options import Options
from ciem.sinks.spool import Spool

log = logging.getLogger(__name__)

# ECS event.severity is numeric; risk.calculated_level uses the entity-risk level names.
SEVERITY_NUMBER = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
RISK_LEVEL = {"critical": "Critical", "high": "High", "medium": "Moderate", "low": "Low", "info": "Low"}
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
TEMPLATES = ("component-ecs", "index-findings", "index-identities", "index-scans")


class SinkUnavailable(Exception):
    """OpenSearch could not take a request after every retry; the batch stays spooled."""


# -- documents --------------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _cloud(provider: str, account: str) -> dict[str, Any]:
    return {"provider": provider, "account": {"id": account}}


def finding_document(finding: Finding, scan: Scan, rule: RuleInfo | None) -> dict[str, Any]:
    factors = finding.score.factors
    document: dict[str, Any] = {
        "@timestamp": scan.at.isoformat(),
        "message": finding.title,
        "event": {
            "kind": "state", "category": ["iam", "configuration"], "type": ["info"],
            "dataset": "ciem.findings", "module": "ciem", "id": finding.id,
            "created": scan.at.isoformat(), "start": _iso(finding.first_seen), "end": _iso(finding.resolved_at),
            "severity": SEVERITY_NUMBER[finding.score.severity],
            "risk_score": float(finding.score.value), "risk_score_norm": float(finding.score.value),
        },
        "rule": {
            "id": finding.rule, "name": finding.rule_title,
            "description": rule.rationale if rule else "", "category": "identity-risk",
            "ruleset": rule.source if rule else "",
        },
        "risk": {
            "calculated_score": float(finding.score.value), "calculated_score_norm": float(finding.score.value),
            "calculated_level": RISK_LEVEL[finding.score.severity],
        },
        "cloud": _cloud(finding.provider, finding.account),
        "ciem": {
            "scan": {"id": scan.id},
            "finding": {
                "id": finding.id, "status": finding.status.value, "severity": finding.score.severity,
                "title": finding.title, "subject": finding.subject, "subject_type": finding.subject_type,
                "subject_name": finding.subject_name, "human": finding.human, "usage": finding.usage.value,
                "first_seen": _iso(finding.first_seen), "last_seen": _iso(finding.last_seen),
                "resolved_at": _iso(finding.resolved_at),
                "path_count": len(finding.paths),
                "path_methods": sorted({edge.method for path in finding.paths for edge in path}),
                "key": dict(finding.key), "details": json.loads(json.dumps(dict(finding.details), default=str)),
                "paths": {"edges": [[edge_to_dict(edge) for edge in path] for path in finding.paths]},
            },
            "score": {
                "value": finding.score.value, "impact": factors.impact, "exploitability": factors.exploitability,
                "exposure": factors.exposure, "usage": factors.usage, "explanation": finding.score.explanation,
            },
        },
    }
    if finding.subject_type == "identity":
        document["user"] = {"id": finding.subject, "name": finding.subject_name}
    return document


def identity_document(risk: IdentityRisk | None, identity_id: str, scan: Scan) -> dict[str, Any]:
    """The identity's latest risk; ``risk`` None means it has no findings any more (score 0)."""
    score = risk.score if risk else 0
    level = RISK_LEVEL[risk.severity] if risk else "Unknown"
    document: dict[str, Any] = {
        "@timestamp": scan.at.isoformat(),
        "event": {"kind": "state", "category": ["iam"], "type": ["info"], "dataset": "ciem.identities",
                  "module": "ciem", "created": scan.at.isoformat()},
        "user": {"id": identity_id, "name": risk.name if risk else identity_id.rsplit("/", 1)[-1],
                 "risk": {"calculated_score_norm": float(score), "calculated_level": level}},
        "ciem": {"scan": {"id": scan.id}, "identity": {
            "score": score, "severity": risk.severity if risk else "none",
            "findings_count": len(risk.findings) if risk else 0, "finding_ids": list(risk.findings) if risk else [],
            "explanation": risk.explanation if risk else "no open findings",
        }},
    }
    if risk is not None:
        document["message"] = f"{risk.name}: risk {risk.score}"
        document["cloud"] = _cloud(risk.provider, risk.account)
        document["ciem"]["identity"].update(human=risk.human, admin=risk.admin)
    return document


def scan_document(scan: Scan) -> dict[str, Any]:
    severities = {name: 0 for name in SEVERITY_NUMBER}
    for finding in scan.findings:
        severities[finding.score.severity] += 1
    return {
        "@timestamp": scan.at.isoformat(),
        "message": f"scan {scan.id}: {len(scan.findings)} open findings, {len(scan.resolved)} resolved",
        "event": {"kind": "metric", "category": ["iam"], "type": ["info"], "dataset": "ciem.scans",
                  "module": "ciem", "id": scan.id, "created": scan.at.isoformat()},
        "ciem": {"scan": {
            "id": scan.id, "open": len(scan.findings), "resolved": len(scan.resolved),
            "new": sum(1 for f in scan.findings if f.status.value == "new"),
            "top_identity_score": max((r.score for r in scan.identities), default=0),
            "notes": list(scan.notes), **severities,
        }},
    }


def scan_operations(scan: Scan, prefix: str, identities_before: list[str]) -> list[dict[str, Any]]:
    """Every document of one scan as (index, id, document) operations, in delivery order."""
    rules = {rule.id: rule for rule in scan.rules}
    operations = [
        {"index": f"{prefix}-findings", "id": finding.id, "document": finding_document(finding, scan, rules.get(finding.rule))}
        for finding in scan.findings + scan.resolved
    ]
    ranked = {risk.identity: risk for risk in scan.identities}
    for identity_id in list(ranked) + [i for i in identities_before if i not in ranked]:
        operations.append({"index": f"{prefix}-identities", "id": identity_id,
                           "document": identity_document(ranked.get(identity_id), identity_id, scan)})
    operations.append({"index": f"{prefix}-scans", "id": scan.id, "document": scan_document(scan)})
    return operations


def load_templates(prefix: str) -> dict[str, dict[str, Any]]:
    """The component and index template bodies, named with ``prefix``."""
    folder = resources.files("ciem.sinks") / "templates"
    bodies = {}
    for name in TEMPLATES:
        text = (folder / f"{name}.json").read_text(encoding="utf-8").replace("{prefix}", prefix)
        bodies[name] = json.loads(text)
    return bodies


# -- the sink ---------------------------------------------------------------------------------------


class OpenSearchSink:
    def __init__(
        self,
        client: OpenSearch,
        spool_dir: Path,
        *,
        index_prefix: str = "ciem",
        chunk_size: int = 500,
        max_retries: int = 5,
        retry_backoff: float = 0.5,
        retry_backoff_max: float = 30.0,
        replay_interval: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client = client
        self.prefix = index_prefix
        self.spool = Spool(spool_dir)
        self.history = JsonHistory(Path(spool_dir) / "history.json")
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.retry_backoff_max = retry_backoff_max
        self.replay_interval = replay_interval
        self._sleep = sleep
        self._publish_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._templates_installed = False
        self._stop = threading.Event()
        self._replayer: threading.Thread | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "OpenSearchSink":
        read = Options(options, "opensearch", {
            "hosts", "username", "password", "password_env", "use_ssl", "verify_certs", "ca_certs",
            "client_cert", "client_key", "ssl_assert_hostname", "ssl_show_warn", "timeout",
            "index_prefix", "spool_dir", "chunk_size", "max_retries", "retry_backoff", "retry_backoff_max",
            "replay_interval",
        })
        client_options: dict[str, Any] = {
            "hosts": read.strings("hosts", []),
            "timeout": read.number("timeout", 10, minimum=0.1),
            "max_retries": 0,  # the sink retries, with backoff, and spools
            "verify_certs": read.boolean("verify_certs", True),
            "ssl_show_warn": read.boolean("ssl_show_warn", True),
        }
        if "use_ssl" in options:
            client_options["use_ssl"] = read.boolean("use_ssl", False)
        if "ssl_assert_hostname" in options:
            client_options["ssl_assert_hostname"] = read.boolean("ssl_assert_hostname", True)
        for key in ("ca_certs", "client_cert", "client_key"):
            path = read.optional_path(key)
            if path is not None:
                if not path.is_file():
                    raise read.fail(key, f"{path}: no such file")
                client_options[key] = str(path)
        username = read.optional_string("username")
        password = read.optional_string("password")
        password_env = read.optional_string("password_env")
        if password_env is not None:
            if password is not None:
                raise read.fail("password_env", "give password or password_env, not both")
            password = os.environ.get(password_env)
            if password is None:
                raise read.fail("password_env", f"environment variable {password_env} is not set")
        if (username is None) != (password is None):
            raise read.fail("username", "username and password go together")
        if username is not None:
            client_options["http_auth"] = (username, password)
        return cls(
            OpenSearch(**client_options),
            read.path("spool_dir"),
            index_prefix=read.string("index_prefix", "ciem"),
            chunk_size=int(read.number("chunk_size", 500, minimum=1)),
            max_retries=int(read.number("max_retries", 5)),
            retry_backoff=read.number("retry_backoff", 0.5),
            retry_backoff_max=read.number("retry_backoff_max", 30.0),
            replay_interval=read.number("replay_interval", 30.0, minimum=0.05),
        )

    def publish(self, scan: Scan) -> None:
        """Accept a scan (durably spooled before this returns), then try to deliver everything
        spooled; an outage is logged and retried in the background, never raised."""
        with self._publish_lock:
            scan = self.history.apply(scan)
            self.spool.append(scan_operations(scan, self.prefix, self.history.identities))
            self.history.commit(scan)
        self.flush()

    def flush(self) -> bool:
        """Deliver every spooled batch in order; True when the spool is empty afterwards."""
        with self._flush_lock:
            try:
                pending = self.spool.pending()
                if pending and not self._templates_installed:
                    self.install_templates()
                for sequence in pending:
                    self._deliver(sequence)
                return True
            except SinkUnavailable as error:
                self._templates_installed = False  # the cluster may come back without them
                log.warning("OpenSearch unavailable, %d batch(es) kept in %s: %s",
                            len(self.spool.pending()), self.spool.directory, error)
                self._start_replayer()
                return False

    def install_templates(self) -> None:
        """Put the component template, then the index templates (idempotent)."""
        templates = load_templates(self.prefix)
        self._call(lambda: self.client.cluster.put_component_template(
            name=f"{self.prefix}-ecs", body=templates["component-ecs"]))
        for name in TEMPLATES[1:]:
            index_name = f"{self.prefix}-{name.removeprefix('index-')}"
            self._call(lambda: self.client.indices.put_index_template(name=index_name, body=templates[name]))
        self._templates_installed = True

    def close(self) -> None:
        self._stop.set()
        if self._replayer is not None:
            self._replayer.join(timeout=5)
            self._replayer = None
        self.client.close()

    # -- delivery -------------------------------------------------------------------------------

    def _deliver(self, sequence: int) -> None:
        operations = self.spool.read(sequence)
        chunks = [operations[i:i + self.chunk_size] for i in range(0, len(operations), self.chunk_size)]
        for number, chunk in enumerate(chunks, 1):
            self._send(sequence, chunk)
            log.debug("delivered chunk %d of %d of spooled batch %d", number, len(chunks), sequence)
        self.spool.remove(sequence)
        log.info("delivered spooled batch %d (%d documents)", sequence, len(operations))

    def _send(self, sequence: int, operations: list[dict[str, Any]]) -> None:
        """One bulk request, retrying what failed for a passing reason; rejected documents are buried."""
        remaining = operations
        for attempt in range(self.max_retries + 1):
            if attempt:
                self._sleep(min(self.retry_backoff_max, self.retry_backoff * 2 ** (attempt - 1)))
            body: list[dict[str, Any]] = []
            for operation in remaining:
                body.append({"index": {"_index": operation["index"], "_id": operation["id"]}})
                body.append(operation["document"])
            try:
                response = self.client.bulk(body=body)
            except OpenSearchConnectionError as error:
                problem = f"cannot connect: {error}"
                continue
            except TransportError as error:
                if _status(error) in RETRYABLE_STATUS:
                    problem = f"HTTP {error.status_code}"
                    continue
                raise SinkUnavailable(f"bulk request refused: HTTP {error.status_code} {error.error}") from None
            retry, rejected = [], []
            for operation, item in zip(remaining, response["items"]):
                result = item.get("index", {})
                status = result.get("status", 500)
                if status in RETRYABLE_STATUS or status >= 500:
                    retry.append(operation)
                elif status >= 300:
                    rejected.append((operation, result.get("error")))
            if rejected:
                path = self.spool.bury(sequence, [op for op, _ in rejected],
                                       json.dumps([error for _, error in rejected], default=str))
                log.error("OpenSearch rejected %d document(s) of batch %d for good; kept in %s",
                          len(rejected), sequence, path)
            if not retry:
                return
            remaining, problem = retry, f"{len(retry)} document(s) not accepted yet"
        raise SinkUnavailable(f"after {self.max_retries + 1} attempts: {problem}")

    def _call(self, request: Callable[[], Any]) -> Any:
        """A single request with the same retries as bulk requests."""
        for attempt in range(self.max_retries + 1):
            if attempt:
                self._sleep(min(self.retry_backoff_max, self.retry_backoff * 2 ** (attempt - 1)))
            try:
                return request()
            except OpenSearchConnectionError as error:
                problem = f"cannot connect: {error}"
            except TransportError as error:
                if _status(error) not in RETRYABLE_STATUS:
                    raise ConfigError(f"OpenSearch refused a template: HTTP {error.status_code} {error.error}: {error.info}") from None
                problem = f"HTTP {error.status_code}"
        raise SinkUnavailable(f"after {self.max_retries + 1} attempts: {problem}")

    def _start_replayer(self) -> None:
        if self._replayer is not None and self._replayer.is_alive():
            return

        def replay() -> None:
            while not self._stop.wait(self.replay_interval):
                if self.flush() and not self.spool.pending():
                    return

        self._replayer = threading.Thread(target=replay, name="ciem-opensearch-replay", daemon=True)
        self._replayer.start()


def _status(error: TransportError) -> int:
    return error.status_code if isinstance(error.status_code, int) else 0
