"""CloudTrail records, streamed into usage records.

Reads what CloudTrail writes to S3 (``{"Records": [...]}``, gzip or not) and JSON lines (one record
per line, or EventBridge's ``{"detail": record}``), from files, folders or an S3 bucket. Records are
parsed one at a time (ijson), so memory stays flat whatever the log's size; the table of temporary
keys issued by STS keeps the latest :data:`MAX_SESSION_KEYS` (a session lasts 12 hours at most).

Each record becomes one usage record per IAM action it exercised (see
:mod:`ciem_aws.activity.eventmap`):

- the identity is the IAM user, the role behind an assumed-role session (``sessionIssuer``, else
  the role's ``NAME@ACCOUNT`` alias from the session ARN, which lacks the role's path), the user
  behind a federated-user session, or the account root; when the record names only a
  temporary key (``ASIA...``), the identity the STS call that issued the key was made for; when it
  names only a unique id (cross-account records), that id, which the index knows as an alias;
- ``credential`` is the long-term access key behind the call (directly, or through the session key
  that key obtained with ``GetSessionToken``/``GetFederationToken``);
- ``caller`` is the service that made the call on the identity's behalf (``invokedBy``);
- ``resource`` is the ARN the record names for the action's resource type (in ``resources``, among the
  request parameters or response elements, or an S3 bucket and key), else empty.

Calls AWS denied prove nothing about use and are skipped; so are records of a service acting as
itself and sign-in events, which exercise no IAM action. Unmapped events are counted.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

import ijson

from ciem.errors import InputError, SourceError
from ciem.model import UsageRecord

from ciem_aws.activity.eventmap import ActionTarget, actions_for, matches_pattern
from ciem_aws.identifiers import role_alias

Progress = Callable[[str, int, "int | None"], None]

_RECORDS_DOCUMENT = re.compile(rb'\A\s*\{\s*"Records"\s*:')
_ASSUMED_ROLE = re.compile(r"arn:[\w-]+:sts::(?P<account>\d{12}):assumed-role/(?P<name>[\w+=,.@-]+)/")
_DENIED = ("AccessDenied", "UnauthorizedOperation", "Client.UnauthorizedOperation", "UnauthorizedAccess")
_STS_ISSUERS = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"})
_NOT_API_CALLS = frozenset({"AwsServiceEvent", "AwsConsoleSignIn", "AwsCloudTrailInsight"})
MAX_SESSION_KEYS = 200_000
_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")


def _is_log(name: str) -> bool:
    """A log file, not a digest file (CloudTrail writes those under ``CloudTrail-Digest/``)."""
    return name.endswith(_SUFFIXES) and "CloudTrail-Digest" not in name


def _denied(error_code: str) -> bool:
    return any(error_code.startswith(prefix) or error_code.endswith(prefix) for prefix in _DENIED)


@dataclass
class ReadStats:
    """What a read saw besides the usage records it yielded."""

    records: int = 0
    denied: int = 0
    skipped: int = 0  # service events, sign-ins, service principals acting as themselves
    unattributed: int = 0
    unmapped: Counter = field(default_factory=Counter)  # "source:EventName" -> count


class CloudTrailReader:
    """Turns CloudTrail records into usage records; one reader per activity source, so that keys
    STS issues in one file attribute the calls in the next."""

    def __init__(self) -> None:
        # temporary key -> (identity it acts for, long-term key behind it or "")
        self.session_keys: dict[str, tuple[str, str]] = {}
        self.stats = ReadStats()

    # -- files -----------------------------------------------------------------------------------

    def read_paths(self, paths: Iterable[Path], progress: Progress | None = None) -> Iterator[UsageRecord]:
        files = []
        for path in paths:
            if path.is_dir():
                files.extend(sorted(p for p in path.rglob("*") if p.is_file() and _is_log(str(p))))
            elif path.is_file():
                files.append(path)
            else:
                raise SourceError(f"{path}: no such file or folder")
        for number, path in enumerate(files):
            if progress:
                progress(f"reading {path.name}", number, len(files))
            with open(path, "rb") as raw:
                yield from self.read_stream(raw, str(path))

    def read_stream(self, raw: IO[bytes], name: str) -> Iterator[UsageRecord]:
        """Records from one file-like object: a CloudTrail document or JSON lines, gzip or not."""
        stream: IO[bytes] = io.BufferedReader(raw) if not hasattr(raw, "peek") else raw  # type: ignore[arg-type]
        try:
            if stream.peek(2)[:2] == b"\x1f\x8b":
                stream = io.BufferedReader(gzip.GzipFile(fileobj=stream))  # type: ignore[arg-type]
            if _RECORDS_DOCUMENT.match(stream.peek(4096)[:4096]):
                yield from self._document(stream, name)
            else:
                yield from self._lines(stream, name)
        except (OSError, EOFError, zlib.error) as error:  # a truncated or corrupt gzip member
            raise InputError(name, "", f"cannot read: {error}") from None

    def _document(self, stream: IO[bytes], name: str) -> Iterator[UsageRecord]:
        """Records of a CloudTrail document, or of several written one after another (``cat``)."""
        position = -1
        try:
            records = ijson.items(stream, "Records.item", use_float=True, multiple_values=True)
            for position, record in enumerate(records):
                yield from self.record(record, name, f"$.Records[{position}]")
        except ijson.JSONError as error:
            raise InputError(name, f"$.Records[{position + 1}]", f"invalid JSON: {error}") from None

    def _lines(self, stream: IO[bytes], name: str) -> Iterator[UsageRecord]:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise InputError(name, f"line {number}", f"invalid JSON: {error}") from None
            if isinstance(record, dict) and isinstance(record.get("detail"), dict) and "eventName" not in record:
                record = record["detail"]  # an EventBridge envelope
            yield from self.record(record, name, f"line {number}")

    # -- one record ------------------------------------------------------------------------------

    def record(self, record: Any, name: str, where: str) -> Iterator[UsageRecord]:
        if not isinstance(record, dict):
            raise InputError(name, where, "a CloudTrail record must be a JSON object")
        self.stats.records += 1
        try:
            source, event, at = record["eventSource"], record["eventName"], record["eventTime"]
        except KeyError as missing:
            raise InputError(name, f"{where}.{missing.args[0]}", "missing from the CloudTrail record") from None
        if not isinstance(source, str) or not isinstance(event, str):
            raise InputError(name, where, "eventSource and eventName must be strings")
        when = _event_time(at, name, f"{where}.eventTime")
        user = record.get("userIdentity")
        if not isinstance(user, dict):
            raise InputError(name, f"{where}.userIdentity", "missing or not an object")
        error_code = record.get("errorCode")
        if error_code and _denied(str(error_code)):
            self.stats.denied += 1
            return
        identity, credential = self._identity(user)
        if not error_code and source == "sts.amazonaws.com":
            self._learn_session_key(event, record, identity, credential)
        if record.get("eventType") in _NOT_API_CALLS or user.get("type") == "AWSService":
            self.stats.skipped += 1
            return
        if not identity:
            self.stats.unattributed += 1
            return
        targets = actions_for(source, event)
        if targets is None:
            self.stats.unmapped[f"{source}:{event}"] += 1
            return
        caller = str(user.get("invokedBy") or "")
        for target in targets:
            yield UsageRecord(identity, target.action, when, when, 1, _resource(target, record), caller, credential)

    def _identity(self, user: dict[str, Any]) -> tuple[str, str]:
        """(identity id or alias, long-term credential) for a ``userIdentity`` block."""
        kind = user.get("type")
        key = str(user.get("accessKeyId") or "")
        issued = self.session_keys.get(key) if key.startswith("ASIA") else None
        credential = key if key.startswith("AKIA") else (issued[1] if issued else "")
        issuer = (user.get("sessionContext") or {}).get("sessionIssuer") or {}
        if kind in ("AssumedRole", "FederatedUser") and issuer.get("arn"):
            return str(issuer["arn"]), credential
        arn = str(user.get("arn") or "")
        if kind in ("IAMUser", "Root") and arn:
            return arn, credential
        session = _ASSUMED_ROLE.match(arn) if kind == "AssumedRole" else None
        if session:  # no issuer: the session ARN names the role but not its path
            return role_alias(session.group("name"), session.group("account")), credential
        if issued:
            return issued[0], credential
        principal = str(user.get("principalId") or "")
        if kind == "AWSAccount" and principal[:4] in ("AROA", "AIDA"):
            return principal.split(":", 1)[0], credential
        return "", credential

    def _learn_session_key(self, event: str, record: dict, identity: str, credential: str) -> None:
        response = record.get("responseElements") or {}
        key = str(((response.get("credentials") or {}).get("accessKeyId")) or "")
        if not key.startswith("ASIA"):
            return
        if event in _STS_ISSUERS:
            role = str((record.get("requestParameters") or {}).get("roleArn") or "")
            if not role:
                return
            self.session_keys[key] = (role, "")
        elif event in ("GetSessionToken", "GetFederationToken") and identity:
            self.session_keys[key] = (identity, credential)
        else:
            return
        if len(self.session_keys) > MAX_SESSION_KEYS:
            del self.session_keys[next(iter(self.session_keys))]  # the oldest issued


def _event_time(value: Any, name: str, where: str) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
            if moment.tzinfo is not None:
                return moment
        except ValueError:
            pass
    raise InputError(name, where, f"not an ISO-8601 time with a zone: {value!r}")


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _resource(target: ActionTarget, record: dict[str, Any]) -> str:
    """The ARN the record names for one of the action's resource types, or ""."""
    if not target.resource_types:
        return ""
    listed = record.get("resources")
    if isinstance(listed, list):
        for item in listed:
            if isinstance(item, dict) and str(item.get("type", "")).rsplit("::", 1)[-1].lower() in target.type_keys:
                return str(item.get("ARN") or "")
        for item in listed:
            arn = str(item.get("ARN") or "") if isinstance(item, dict) else ""
            if any(matches_pattern(p, arn) for p in target.arn_patterns):
                return arn
    parameters = record.get("requestParameters")
    if not isinstance(parameters, dict):
        return ""
    bucket = parameters.get("bucketName")
    if target.action.startswith("s3:") and isinstance(bucket, str):
        partition = _partition(str(record.get("awsRegion") or ""))
        key = parameters.get("key")
        if "object" in target.resource_types and isinstance(key, str):
            return f"arn:{partition}:s3:::{bucket}/{key}"
        if "bucket" in target.resource_types:
            return f"arn:{partition}:s3:::{bucket}"
        return ""
    response = record.get("responseElements")
    for values in (parameters, response if isinstance(response, dict) else {}):
        for value in values.values():
            if isinstance(value, str) and value.startswith("arn:") and any(
                matches_pattern(p, value) for p in target.arn_patterns
            ):
                return value
    return ""


def read_bucket(
    reader: CloudTrailReader,
    bucket: str,
    prefix: str = "",
    session: Any = None,
    progress: Progress | None = None,
) -> Iterator[UsageRecord]:
    """Records from every log object under ``s3://bucket/prefix``, in key order (S3 lists keys in
    order), streamed: the listing is read a page at a time too."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = (session or boto3.session.Session()).client("s3")
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    number = 0
    try:
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"]
                if not _is_log(key):
                    continue
                if progress:
                    progress(f"reading s3://{bucket}/{key}", number, None)
                number += 1
                body = client.get_object(Bucket=bucket, Key=key)["Body"]
                with body:
                    yield from reader.read_stream(io.BufferedReader(_RawBody(body), buffer_size=1 << 16),
                                                  f"s3://{bucket}/{key}")
    except (BotoCoreError, ClientError) as error:
        raise SourceError(f"s3://{bucket}/{prefix}: cannot read the CloudTrail logs: {error}") from None


class _RawBody(io.RawIOBase):
    """A botocore streaming body as a raw stream, so that it can be buffered and peeked."""

    def __init__(self, body: Any):
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
