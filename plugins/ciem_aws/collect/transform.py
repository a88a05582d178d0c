"""Pure functions that turn raw AWS API responses (as boto3 returns them, or as the AWS CLI prints
them) into the snapshot ``data`` shape of docs/aws-export-layout.md.

Nothing here calls AWS or touches files; :mod:`ciem_aws.collect.live` and
:mod:`ciem_aws.collect.export` both build on these functions.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any, Iterable, Iterator, Mapping

from ciem.errors import InputError
from ciem.model import CoverageGap

from ciem_aws import PROVIDER

from ciem_aws.policy.document import decode_document, parse_policy

AUTH_DETAIL_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")

# Where policy documents sit, as key paths ("*" = every item of a list) relative to each file's top.
AUTH_DETAIL_DOCUMENTS = (
    ("UserDetailList", "*", "UserPolicyList", "*", "PolicyDocument"),
    ("GroupDetailList", "*", "GroupPolicyList", "*", "PolicyDocument"),
    ("RoleDetailList", "*", "RolePolicyList", "*", "PolicyDocument"),
    ("RoleDetailList", "*", "AssumeRolePolicyDocument"),
    ("RoleDetailList", "*", "InstanceProfileList", "*", "Roles", "*", "AssumeRolePolicyDocument"),
    ("Policies", "*", "PolicyVersionList", "*", "Document"),
)
ORGANIZATION_POLICY_DOCUMENTS = (("Policies", "*", "Content"),)

# Every resource file of the layout, and where its policy documents are.
RESOURCE_DOCUMENTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "s3": (("Buckets", "*", "Policy"),),
    "kms": (("Keys", "*", "Policy"),),
    "secretsmanager": (("Secrets", "*", "Policy"),),
    "sqs": (("Queues", "*", "Policy"),),
    "sns": (("Topics", "*", "Policy"),),
    "lambda": (("Functions", "*", "Policy"),),
    "ecr": (("Repositories", "*", "Policy"),),
    "ec2": (),
    "ssm": (),
    "cloudformation": (),
    "codebuild": (),
    "glue": (),
    "sagemaker": (),
    "ecs": (),
    "apprunner": (),
    "batch": (),
}

_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]+:[^:]*:[^:]*:(\d{12}):")


def jsonable(value: Any) -> Any:
    """A boto3 response as the AWS CLI prints it: timestamps as ISO 8601 strings, bytes as text,
    and without ``ResponseMetadata``."""
    if isinstance(value, Mapping):
        return {key: jsonable(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def _slots(value: Any, keys: tuple[str, ...], path: str, source: str) -> Iterator[tuple[str, dict, str]]:
    head, rest = keys[0], keys[1:]
    if head == "*":
        if not isinstance(value, list):
            raise InputError(source, path, "expected a list")
        for index, item in enumerate(value):
            yield from _slots(item, rest, f"{path}[{index}]", source)
        return
    if not isinstance(value, dict):
        raise InputError(source, path, "expected an object")
    if head not in value:
        return
    if rest:
        yield from _slots(value[head], rest, f"{path}.{head}", source)
    else:
        yield f"{path}.{head}", value, head


def decode_documents(
    value: Any, locations: Iterable[tuple[str, ...]], source: str, validate: bool
) -> None:
    """Replace, in place, every policy document at ``locations`` inside ``value`` by its parsed
    object (``null`` stays ``null``: no policy).

    With ``validate``, each document must also be one AWS would accept; otherwise
    :class:`InputError` names ``source`` and the JSON path, e.g.
    ``$.RoleDetailList[3].RolePolicyList[0].PolicyDocument.Statement[1].Effect``.
    """
    for keys in locations:
        for path, container, key in list(_slots(value, keys, "$", source)):
            raw = container[key]
            if raw is None:
                continue
            document = decode_document(raw, source, path)
            if validate:
                parse_policy(document, label=f"{source}#{path}", source=source, path=path)
            container[key] = document


def merge_authorization_details(pages: Iterable[tuple[str, Any]]) -> dict[str, list]:
    """Merge pages of ``get-account-authorization-details`` (each ``(source, page)``) in order.

    An entity repeated across pages (the same ARN) is kept once; two different copies of one ARN
    are an :class:`InputError`, since either could be the truth.
    """
    merged: dict[str, list] = {key: [] for key in AUTH_DETAIL_LISTS}
    seen: dict[tuple[str, str], tuple[str, dict]] = {}
    for source, page in pages:
        if not isinstance(page, dict) or not any(key in page for key in AUTH_DETAIL_LISTS):
            raise InputError(source, "$", "not a get-account-authorization-details document "
                             f"(expected one of {', '.join(AUTH_DETAIL_LISTS)})")
        for key in AUTH_DETAIL_LISTS:
            items = page.get(key, [])
            if not isinstance(items, list):
                raise InputError(source, f"$.{key}", "expected a list")
            for index, item in enumerate(items):
                where = f"$.{key}[{index}]"
                if not isinstance(item, dict) or not isinstance(item.get("Arn"), str):
                    raise InputError(source, where, "expected an object with an Arn")
                earlier = seen.get((key, item["Arn"]))
                if earlier is None:
                    seen[key, item["Arn"]] = (source, item)
                    merged[key].append(item)
                elif earlier[1] != item:
                    raise InputError(source, where, f"{item['Arn']} differs from its copy in {earlier[0]}")
    return merged


def accounts_in_authorization_details(details: Mapping[str, list]) -> set[str]:
    """The account ids in the ARNs of the users, groups, roles and customer managed policies."""
    accounts = set()
    for key in AUTH_DETAIL_LISTS:
        for item in details.get(key, []):
            match = _ACCOUNT_IN_ARN.match(item["Arn"])
            if match:
                accounts.add(match.group(1))
    return accounts


def missing_managed_policies(details: Mapping[str, list]) -> list[str]:
    """ARNs of managed policies that users, groups and roles attach or use as their permissions
    boundary but that ``Policies`` lacks (an AWS managed policy used only as a boundary, say)."""
    known = {policy["Arn"] for policy in details.get("Policies", [])}
    referenced: set[str] = set()
    for key in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
        for entity in details.get(key, []):
            referenced.update(attached["PolicyArn"] for attached in entity.get("AttachedManagedPolicies") or [])
            boundary = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            if boundary:
                referenced.add(boundary)
    return sorted(referenced - known)


def missing_policy_gaps(account: str, details: Mapping[str, list]) -> list[CoverageGap]:
    """A gap for each managed policy an identity references that ``details`` does not hold."""
    return [
        CoverageGap(PROVIDER, account, "iam:GetAccountAuthorizationDetails",
                    f"{arn}: attached or used as a permissions boundary, but its document is not in Policies")
        for arn in missing_managed_policies(details)
    ]


def managed_policy_detail(policy: Mapping, default_version: Mapping) -> dict[str, Any]:
    """A ``Policies`` item of get-account-authorization-details from get-policy and the default
    version's get-policy-version."""
    detail = {key: value for key, value in jsonable(policy).items() if key != "Tags"}
    return {**detail, "PolicyVersionList": [jsonable(default_version)]}


def parse_credential_report(content: str | bytes) -> list[dict[str, str]]:
    """Rows of ``get-credential-report``'s CSV, keyed by its column names, values as AWS wrote them
    (``true``/``false``, ``N/A``, ``no_information``, ISO 8601 timestamps)."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return [dict(row) for row in csv.DictReader(io.StringIO(text))]


def format_credential_report(rows: list[Mapping[str, str]]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def tags_to_dict(tags: Iterable[Mapping[str, str]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {tag[key]: tag[value] for tag in tags or ()}


def bucket_region(location_constraint: str | None) -> str:
    """The region of a bucket from ``get-bucket-location`` (``null`` is us-east-1, ``EU`` the legacy
    name of eu-west-1)."""
    if not location_constraint:
        return "us-east-1"
    return "eu-west-1" if location_constraint == "EU" else location_constraint


def s3_bucket(
    name: str,
    location_constraint: str | None,
    policy: str | None,
    public_access_block: Mapping | None,
    tag_set: Iterable[Mapping[str, str]] | None,
) -> dict[str, Any]:
    return {
        "Name": name,
        "Region": bucket_region(location_constraint),
        "Policy": policy,
        "PublicAccessBlock": dict(public_access_block) if public_access_block is not None else None,
        "Tags": tags_to_dict(tag_set),
    }


def kms_key(key: Mapping, region: str, policy: str | None, grants: list, tags: list) -> dict[str, Any]:
    return {
        "KeyId": key["KeyId"],
        "Arn": key["KeyArn"],
        "Region": region,
        "Policy": policy,
        "Grants": jsonable(grants),
        "Tags": tags_to_dict(tags, "TagKey", "TagValue"),
    }


def secret(item: Mapping, region: str, policy: str | None) -> dict[str, Any]:
    return {
        "ARN": item["ARN"],
        "Name": item["Name"],
        "Region": region,
        "Policy": policy,
        "Tags": tags_to_dict(item.get("Tags")),
    }


def sqs_queue(url: str, region: str, attributes: Mapping[str, str]) -> dict[str, Any]:
    return {"QueueUrl": url, "Arn": attributes.get("QueueArn"), "Region": region, "Policy": attributes.get("Policy")}


def sns_topic(topic_arn: str, region: str, attributes: Mapping[str, str]) -> dict[str, Any]:
    return {"TopicArn": topic_arn, "Region": region, "Policy": attributes.get("Policy")}


def with_region(item: Mapping, region: str, **extra: Any) -> dict[str, Any]:
    """An API item as it is, with the region it was read in (and any ``extra`` fields)."""
    return {**jsonable(item), "Region": region, **extra}


def ecr_repository(repository: Mapping, region: str, policy: str | None) -> dict[str, Any]:
    return {
        "repositoryArn": repository["repositoryArn"],
        "repositoryName": repository["repositoryName"],
        "Region": region,
        "Policy": policy,
    }


def ec2_instances(reservations: Iterable[Mapping], region: str) -> list[dict[str, Any]]:
    return [with_region(instance, region) for reservation in reservations for instance in reservation.get("Instances", [])]


def organization_policy(summary: Mapping, content: str | Mapping, targets: list, source: str) -> dict[str, Any]:
    """One SCP or RCP in the snapshot shape, from list-policies, describe-policy's Content and
    list-targets-for-policy."""
    document = decode_document(content, source, f"policy {summary.get('Id')}")
    return {"summary": jsonable(summary), "document": document, "targets": jsonable(targets)}


def merge_regional(parts: Iterable[Mapping[str, list]]) -> dict[str, list]:
    """One resource file from the same-shaped parts read in each region."""
    merged: dict[str, list] = {}
    for part in parts:
        for key, items in part.items():
            merged.setdefault(key, []).extend(items)
    return merged
