"""Cloud Audit Logs entries into usage records: one per permission an entry's ``authorizationInfo``
says was checked and granted, for the principal ``authenticationInfo`` names.

The principal is ``principalSubject`` when present (``user:``, ``serviceAccount:``,
``principal://...`` for federated callers), else ``principalEmail``. An entry of a call made through
impersonation names the impersonated account; the account that asked for the token is the first
``serviceAccountDelegationInfo`` entry and becomes the record's ``caller``. Entries without
``authorizationInfo`` (some data-access logs) record the ``methodName`` as
``SERVICE_PREFIX.*`` service-level use: the permission is not known.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import ijson

from ciem.errors import InputError, SourceError
from ciem.model import UsageRecord


def _files(paths: Iterable[Path]) -> list[Path]:
    out = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl")))
        elif path.is_file():
            out.append(path)
        else:
            raise InputError(path, "", "no such file or folder")
    return out


def _entries(file: Path) -> Iterator[tuple[str, Any]]:
    with file.open("rb") as stream:
        first = stream.read(1)
        while first.isspace():
            first = stream.read(1)
        stream.seek(0)
        if first == b"[":
            for number, entry in enumerate(ijson.items(stream, "item", use_float=True)):
                yield f"[{number}]", entry
            return
        for number, line in enumerate(stream, 1):
            if line.strip():
                try:
                    yield f"line {number}", json.loads(line)
                except ValueError as error:
                    raise InputError(file, f"line {number}", f"not JSON: {error}") from None


def _time(value: Any, file: Path, where: str) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(file, f"{where}.timestamp", f"not an RFC 3339 time: {value!r}") from None


def records(entry: Any, file: Path, where: str) -> Iterator[UsageRecord]:
    """The usage records of one log entry (none for entries that are not audit logs)."""
    payload = entry.get("protoPayload") if isinstance(entry, dict) else None
    if not isinstance(payload, dict) or "authenticationInfo" not in payload:
        return
    auth = payload["authenticationInfo"] or {}
    identity = auth.get("principalSubject") or auth.get("principalEmail")
    if not identity:
        return
    when = _time(entry.get("timestamp") or entry.get("receiveTimestamp"), file, where)
    delegation = auth.get("serviceAccountDelegationInfo") or []
    first = delegation[0] if delegation and isinstance(delegation[0], dict) else {}
    caller = first.get("principalSubject") or (first.get("firstPartyPrincipal") or {}).get("principalEmail", "")
    checks = payload.get("authorizationInfo")
    if not checks:
        method = str(payload.get("methodName", ""))
        service = str(payload.get("serviceName", "")).removesuffix(".googleapis.com")
        if method and service:
            yield UsageRecord(identity, f"{service}.*", when, when, 1, payload.get("resourceName", ""), caller)
        return
    for check in checks:
        if isinstance(check, dict) and check.get("granted") and check.get("permission"):
            yield UsageRecord(identity, check["permission"], when, when, 1, check.get("resource", ""), caller)


def read_paths(paths: list[Path], progress: Callable[[str, int, "int | None"], None]) -> Iterator[UsageRecord]:
    files = _files(paths)
    for done, file in enumerate(files):
        progress("gcp audit logs", done, len(files))
        for where, entry in _entries(file):
            yield from records(entry, file, where)


LOGGING = "https://logging.googleapis.com"
AUDIT_FILTER = 'logName:"cloudaudit.googleapis.com"'


def read_logging_api(source: Mapping[str, Any], progress: Callable[[str, int, "int | None"], None]) -> Iterator[UsageRecord]:
    """Audit-log entries of ``resource_names`` from the Logging API's ``entries.list``, page by page.

    ``api_endpoint`` points elsewhere (tests use a local server with ``anonymous: true``).
    """
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    if source.get("anonymous"):
        from google.auth.credentials import AnonymousCredentials

        credentials: Any = AnonymousCredentials()
    else:
        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/logging.read"])
    session = AuthorizedSession(credentials)
    url = str(source.get("api_endpoint", LOGGING)).rstrip("/") + "/v2/entries:list"
    terms = [AUDIT_FILTER]
    if source.get("since"):
        terms.append(f'timestamp>="{source["since"]}"')
    if source.get("filter"):
        terms.append(f"({source['filter']})")
    body: dict[str, Any] = {"resourceNames": list(source["resource_names"]), "filter": " AND ".join(terms),
                            "orderBy": "timestamp asc", "pageSize": int(source.get("page_size", 1000))}
    page = 0
    while True:
        progress("gcp audit logs (Logging API)", page, None)
        response = session.post(url, json=body)
        if response.status_code != 200:
            raise SourceError(f"gcp Logging API entries.list: HTTP {response.status_code}: {response.text[:300]}")
        answer = response.json()
        for number, entry in enumerate(answer.get("entries", [])):
            yield from records(entry, Path(url), f"page {page}.entries[{number}]")
        token = answer.get("nextPageToken")
        if not token:
            return
        body["pageToken"] = token
        page += 1
