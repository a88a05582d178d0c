"""Azure activity: the Activity Log, from an export file or the Azure Monitor API.

An activity source's settings, as ``ciem_parse_activity`` receives them::

    {"kind": "activity-log", "path": "activity/"}                 # files or folders ("paths": [...])
    {"kind": "activity-log", "subscriptions": ["<id>"], "days": 90}  # live, Azure Monitor

``kind`` defaults to ``activity-log``. Files hold what ``az monitor activity-log list`` prints (a JSON
array) or Monitor's REST pages (``{"value": [...]}``); a folder is read file by file (``*.json``).
The live form reads ``/subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values``
for the last ``days`` (at most 90, the Activity Log's retention), with the options of live collection
(``arm_endpoint``, ``ca_bundle``) and ``DefaultAzureCredential``.

Each succeeded (or accepted) event is one use of its ``operationName`` (the operation, as roles name
it) on its ``resourceId`` by its caller: the ``objectidentifier`` claim (the caller's object id) when
the event carries claims, else ``caller`` (a UPN, or an application id). Started and failed events are
not uses. Only control-plane operations are logged: data actions (blob reads, secret gets) never appear,
so they always look unused. An operation outside the catalog (docs/azure-export-layout.md) is not
counted as the use of any granted operation.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import ijson

from ciem.errors import ConfigError, InputError, SourceError
from ciem.model import UsageRecord

KINDS = ("activity-log",)
USED = ("succeeded", "accepted")
OBJECT_ID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier"
MAX_DAYS = 90


def _value(field: Any) -> str:
    return str(field.get("value", "")) if isinstance(field, Mapping) else str(field or "")


def event_record(event: Mapping[str, Any]) -> UsageRecord | None:
    """The use one Activity Log event records, or None for events that are not uses."""
    if _value(event.get("status")).lower() not in USED:
        return None
    operation = _value(event.get("operationName")) or (event.get("authorization") or {}).get("action", "")
    claims = event.get("claims") or {}
    caller = claims.get(OBJECT_ID_CLAIM) or claims.get("oid") or event.get("caller") or ""
    stamp = event.get("eventTimestamp") or event.get("submissionTimestamp")
    if not operation or not caller or not stamp:
        return None
    when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return UsageRecord(identity=str(caller), action=operation, first_seen=when, last_seen=when,
                       resource=str(event.get("resourceId") or ""))


def _events_of_file(path: Path) -> Iterator[Mapping[str, Any]]:
    with path.open("rb") as handle:
        head = handle.read(64).lstrip()
        handle.seek(0)
        prefix = "item" if head.startswith(b"[") else "value.item"
        try:
            yield from ijson.items(handle, prefix)
        except ijson.JSONError as error:
            raise InputError(path, "", f"not an Activity Log export: {error}") from None


def read_paths(paths: Iterable[Path], progress: Callable[[str, int, "int | None"], None]) -> Iterator[UsageRecord]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.rglob("*.json"))
        elif path.is_file():
            files.append(path)
        else:
            raise SourceError(f"{path}: no such file or folder")
    for number, file in enumerate(files):
        progress("reading the Azure Activity Log", number, len(files))
        for index, event in enumerate(_events_of_file(file)):
            try:
                record = event_record(event)
            except (ValueError, AttributeError) as error:
                raise InputError(file, f"event {index}", f"unreadable event: {error}") from None
            if record is not None:
                yield record


def read_monitor(source: Mapping[str, Any], progress, credential: Any = None) -> Iterator[UsageRecord]:
    """Events from the Azure Monitor API, page by page."""
    from ciem_azure.collect.live import Collector

    days = int(source.get("days", MAX_DAYS))
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"azure activity: days must be between 1 and {MAX_DAYS}, not {days}")
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    collector = Collector(source, credential, progress)
    subscriptions = source.get("subscriptions") or [s["id"] for s in collector.subscriptions()]
    since = (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for number, subscription in enumerate(subscriptions):
        progress("reading the Azure Activity Log", number, len(subscriptions))
        url = (f"{collector.arm}/subscriptions/{subscription}/providers/Microsoft.Insights/eventtypes/management/values"
               f"?api-version=2015-04-01&$filter=eventTimestamp ge '{since}'")
        for event in collector.pages(collector._arm_client, url):
            record = event_record(event)
            if record is not None:
                yield record


def parse_activity(source: Mapping[str, Any], progress) -> Iterator[UsageRecord]:
    kind = source.get("kind", "activity-log")
    if kind != "activity-log":
        raise ConfigError(f"unknown azure activity kind {kind!r}; one of: {', '.join(KINDS)}")
    paths = source.get("paths") or ([source["path"]] if source.get("path") else [])
    if paths:
        return read_paths([Path(p) for p in paths], progress)
    return read_monitor(source, progress)
