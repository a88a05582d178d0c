"""AWS activity sources: CloudTrail logs (files or an S3 bucket) and IAM Access Advisor.

An activity source's settings, as ``ciem_parse_activity`` receives them::

    {"kind": "cloudtrail", "path": "logs/"}                       # files or folders ("paths": [...])
    {"kind": "cloudtrail", "bucket": "trail-bucket", "prefix": "AWSLogs/", "profile": "audit", "region": "us-east-1"}
    {"kind": "access-advisor", "profile": "audit", "arns": ["arn:aws:iam::111122223333:role/app"]}

``kind`` defaults to ``cloudtrail``; ``arns`` defaults to every user and role the profile can list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from ciem.errors import ConfigError, SourceError
from ciem.model import UsageRecord

KINDS = ("cloudtrail", "access-advisor")


def _session(source: Mapping[str, Any]) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.session.Session(profile_name=source.get("profile"), region_name=source.get("region"))
    except BotoCoreError as error:  # an unknown profile, a malformed credentials file
        raise SourceError(f"aws activity source: {error}") from None


def parse_activity(source: Mapping[str, Any], progress: Callable[[str, int, "int | None"], None]) -> Iterator[UsageRecord]:
    """The usage records of one configured source, streamed."""
    kind = source.get("kind", "cloudtrail")
    if kind == "cloudtrail":
        from ciem_aws.activity.cloudtrail import CloudTrailReader, read_bucket

        reader = CloudTrailReader()
        if source.get("bucket"):
            return read_bucket(reader, str(source["bucket"]), str(source.get("prefix", "")), _session(source), progress)
        paths = source.get("paths") or ([source["path"]] if source.get("path") else [])
        if not paths:
            raise ConfigError("a cloudtrail activity source needs a path, paths or a bucket")
        return reader.read_paths([Path(p) for p in paths], progress)
    if kind == "access-advisor":
        from ciem_aws.activity.access_advisor import read_access_advisor

        return read_access_advisor(_session(source), source.get("arns"), progress)
    raise ConfigError(f"unknown aws activity kind {kind!r}; one of: {', '.join(KINDS)}")
