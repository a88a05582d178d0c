"""IAM Access Advisor: when each identity last used each service, and some actions, per AWS.

``iam:GenerateServiceLastAccessedDetails`` with ``Granularity=ACTION_LEVEL`` starts a job per
identity; ``iam:GetServiceLastAccessedDetails`` returns, for every service the identity's policies
allow, the last authentication and, for the services AWS tracks at action level, each tracked
action's last access. AWS keeps this for 400 days; it says when, never how often.

Each used service becomes a service-level record (``service:*``: used, actions not said) and each
tracked action with a last access an action-level record. Access Advisor gives no count, so
records carry ``count=0``.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

from ciem.errors import SourceError
from ciem.model import UsageRecord

Progress = Callable[[str, int, "int | None"], None]
POLL_SECONDS = 1.0
TIMEOUT_SECONDS = 300.0


def _list_identities(client: Any) -> list[str]:
    arns = []
    for operation, key in (("list_users", "Users"), ("list_roles", "Roles")):
        for page in client.get_paginator(operation).paginate():
            arns.extend(item["Arn"] for item in page[key])
    return arns


def _job_details(client: Any, job_id: str, arn: str, sleep: Callable[[float], None]) -> Iterator[dict]:
    """Every ServicesLastAccessed entry of one completed job, following pagination."""
    waited = 0.0
    marker: str | None = None
    while True:
        arguments = {"JobId": job_id, **({"Marker": marker} if marker else {})}
        page = client.get_service_last_accessed_details(**arguments)
        status = page["JobStatus"]
        if status == "IN_PROGRESS":
            if waited >= TIMEOUT_SECONDS:
                raise SourceError(f"{arn}: Access Advisor job {job_id} still running after {TIMEOUT_SECONDS:.0f} s")
            sleep(POLL_SECONDS)
            waited += POLL_SECONDS
            continue
        if status == "FAILED":
            reason = (page.get("Error") or {}).get("Message", "no reason given")
            raise SourceError(f"{arn}: Access Advisor job {job_id} failed: {reason}")
        yield from page.get("ServicesLastAccessed", ())
        if not page.get("IsTruncated"):
            return
        marker = page["Marker"]


def records_for(arn: str, services: Iterable[dict]) -> Iterator[UsageRecord]:
    """Usage records from one identity's ServicesLastAccessed entries."""
    for service in services:
        last: datetime | None = service.get("LastAuthenticated")
        if last is None:
            continue
        namespace = service["ServiceNamespace"]
        yield UsageRecord(arn, f"{namespace}:*", last, last, 0)
        for action in service.get("TrackedActionsLastAccessed") or ():
            accessed: datetime | None = action.get("LastAccessedTime")
            if accessed is not None:
                yield UsageRecord(arn, f"{namespace}:{action['ActionName']}", accessed, accessed, 0)


def read_access_advisor(
    session: Any = None,
    arns: Iterable[str] | None = None,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[UsageRecord]:
    """Usage records for ``arns`` (default: every user and role the credentials can list)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = (session or boto3.session.Session()).client("iam")
    try:
        targets = list(arns) if arns is not None else _list_identities(client)
        for number, arn in enumerate(targets):
            if progress:
                progress(f"access advisor {arn}", number, len(targets))
            job = client.generate_service_last_accessed_details(Arn=arn, Granularity="ACTION_LEVEL")
            yield from records_for(arn, _job_details(client, job["JobId"], arn, sleep))
    except (BotoCoreError, ClientError) as error:
        raise SourceError(f"IAM Access Advisor: {error}") from None
