#!/usr/bin/env python3
"""A SOAR playbook step: add what ciem knows about the identities an alert names.

    python examples/playbook_enrich.py ALERT.json --server 127.0.0.1:50051 > enriched.json
    some-alert-source | python examples/playbook_enrich.py --server ciem.internal:443 \\
        --token-file /run/secrets/ciem-token --ca ca.pem

Reads one alert as JSON (a file, or stdin when the path is left out or ``-``), asks the server's Enrich
call about every identifier it names, and prints the alert with a ``ciem`` object added: one entry per
identifier, in the order found. An EventBridge envelope (``{"detail": {...}}``) is looked through.
The fields read:

- a generic alert: ``identifiers`` (a list of strings, taken as they are);
- a GuardDuty finding: ``resource.accessKeyDetails.accessKeyId`` and ``.principalId`` (the IAM unique
  id; ``AROA...:SESSION`` for an assumed role, of which the role's unique id before ``:`` is kept);
- a CloudTrail event: ``userIdentity.arn`` (a user, root or assumed-role session ARN) and
  ``userIdentity.accessKeyId``.

``ASIA`` access keys are left out: they are temporary credentials of a session that no export lists,
and the session's ARN or principal id already names the role. An identifier the index does not hold
gets an ``error`` entry; the step still succeeds. Each entry has the identity, whether it is
admin-equivalent (and why), its paths to an admin-equivalent identity, the sensitive resources it can
reach by sensitivity, the identities it can become, its last use and unused share (when the server
reads activity logs), and its open findings (NEW or OPEN) with ``risk``: the highest open finding's
score, severity and the reasons for each score factor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator

import grpc

from ciem.cli import TOKEN_ENV
from ciem.client import Client, ServerError
from ciem.errors import CiemError, InputError
from ciem.v1 import ciem_pb2 as pb

TEMPORARY_KEY_PREFIX = "ASIA"


def identifiers(alert: Any, source: str) -> list[str]:
    """The identifiers ``alert`` names, without duplicates, in the order of the fields above."""
    if not isinstance(alert, dict):
        raise InputError(source, "(top level)", f"expected a JSON object, got {type(alert).__name__}")
    body = alert["detail"] if isinstance(alert.get("detail"), dict) else alert
    where = "detail." if body is not alert else ""
    found = list(_named(body, source, where))
    return list(dict.fromkeys(i for i in found if i and not i.startswith(TEMPORARY_KEY_PREFIX)))


def _named(body: dict, source: str, where: str) -> Iterator[str]:
    if "identifiers" in body:
        listed = body["identifiers"]
        if not isinstance(listed, list) or not all(isinstance(i, str) for i in listed):
            raise InputError(source, f"{where}identifiers", "expected a list of strings")
        yield from listed
    key = _path(body, "resource", "accessKeyDetails")
    if isinstance(key, dict):
        yield _string(key, "accessKeyId", source, f"{where}resource.accessKeyDetails")
        yield _string(key, "principalId", source, f"{where}resource.accessKeyDetails").split(":", 1)[0]
    user = body.get("userIdentity")
    if isinstance(user, dict):
        yield _string(user, "arn", source, f"{where}userIdentity")
        yield _string(user, "accessKeyId", source, f"{where}userIdentity")


def _path(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _string(item: dict, key: str, source: str, where: str) -> str:
    value = item.get(key, "")
    if not isinstance(value, str):
        raise InputError(source, f"{where}.{key}", f"expected a string, got {type(value).__name__}")
    return value


def enrichment(client: Client, names: list[str]) -> dict[str, Any]:
    """The ``ciem`` object: one entry per identifier, keyed by it."""
    summaries = client.enrich(pb.EnrichRequest(identifiers=names)).summaries if names else []
    findings = _open_findings(client, sorted({s.identity.id for s in summaries if s.HasField("identity")}))
    return {s.identifier: _entry(s, findings) for s in summaries}


def _open_findings(client: Client, subjects: list[str]) -> dict[str, list[pb.Finding]] | None:
    """Open findings by subject, highest score first; None before the server's first findings scan."""
    by_subject: dict[str, list[pb.Finding]] = {subject: [] for subject in subjects}
    if not subjects:
        return by_subject
    request = pb.ListFindingsRequest(subjects=subjects, page_size=1000)
    try:
        while True:
            page = client.list_findings(request)
            for finding in page.findings:
                by_subject[finding.subject].append(finding)
            if not page.next_page_token:
                return by_subject
            request.page_token = page.next_page_token
    except ServerError as error:
        if error.code == grpc.StatusCode.UNAVAILABLE:
            return None
        raise


def _entry(summary: pb.IdentitySummary, findings: dict[str, list[pb.Finding]] | None) -> dict[str, Any]:
    if not summary.HasField("identity"):
        return {"error": summary.error}
    identity = summary.identity
    entry: dict[str, Any] = {
        "identity": {"id": identity.id, "provider": identity.provider, "account": identity.account,
                     "name": identity.name, "kind": pb.IdentityKind.Name(identity.kind), "human": identity.human},
        "admin_equivalent": summary.admin_equivalent,
        "admin_reason": summary.admin_reason,
        "paths_to_admin": [[{"source": e.source, "target": e.target, "method": e.method} for e in path.edges]
                           for path in summary.paths_to_admin],
        "reachable_identities": summary.reachable_identities,
        "sensitive_resources": dict(summary.sensitive_resources),
        "last_used": summary.last_used.ToJsonString() if summary.HasField("last_used") else None,
        "unused_share": summary.unused_share if summary.HasField("unused_share") else None,
    }
    if findings is None:
        entry["open_findings"] = None  # the server has not scanned for findings yet
        return entry
    mine = findings[identity.id]
    entry["open_findings"] = [{"id": f.id, "rule": f.rule, "title": f.title, "severity": f.score.severity,
                               "score": f.score.value} for f in mine]
    if mine:
        top = mine[0]
        entry["risk"] = {"score": top.score.value, "severity": top.score.severity, "finding": top.id,
                         "reasons": dict(top.score.factors.reasons)}
    return entry


def read_alert(path: str) -> tuple[Any, str]:
    source = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(source, "", f"cannot read: {exc.strerror or exc}") from None
    try:
        return json.loads(text), source
    except json.JSONDecodeError as exc:
        raise InputError(source, f"line {exc.lineno}, column {exc.colno}", f"not JSON: {exc.msg}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("alert", nargs="?", default="-", help="alert JSON file (default: stdin)")
    parser.add_argument("--server", default="127.0.0.1:50051", metavar="HOST:PORT")
    parser.add_argument("--token-file", type=Path, help=f"file holding a bearer token (default: ${TOKEN_ENV})")
    parser.add_argument("--ca", type=Path, help="PEM CA certificate of the server (enables TLS)")
    parser.add_argument("--cert", type=Path, help="PEM client certificate (mutual TLS)")
    parser.add_argument("--key", type=Path, help="PEM client key (mutual TLS)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds each call may take (default 30)")
    args = parser.parse_args(argv)
    try:
        alert, source = read_alert(args.alert)
        names = identifiers(alert, source)
        token = args.token_file.read_text(encoding="utf-8").strip() if args.token_file else os.environ.get(TOKEN_ENV)
        with Client(args.server, token=token or None, ca=args.ca, cert=args.cert, key=args.key,
                    timeout=args.timeout) as client:
            alert["ciem"] = enrichment(client, names)
    except (CiemError, OSError) as error:
        print(f"playbook_enrich: error: {error}", file=sys.stderr)
        return 1
    json.dump(alert, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
