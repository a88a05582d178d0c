"""Least-privilege IAM policies from what an identity used.

The policy grants each used action on the resources the logs named for it, and on ``*`` only where
the action takes no resource or the logs did not say which (a warning then names the action).
Actions with the same resources are one statement per service; a run of actions becomes a wildcard
(``s3:GetObject*``) only when every action the wildcard matches in the catalog was used, so the
wildcard grants nothing more today.
"""

from __future__ import annotations

import json
import os
from typing import Iterable

from ciem.catalog import PermissionCatalog
from ciem.model import RenderedPolicy, UsageRecord
from ciem.usage import ANY_RESOURCE, is_service_level

from ciem_aws import PROVIDER
from ciem_aws.activity.eventmap import action_target
from ciem_aws.catalog import aws_catalog

FORMAT = "aws-iam-policy-json"
# "IAM and AWS STS quotas": customer managed policies hold at most 6,144 characters, whitespace aside.
MANAGED_POLICY_LIMIT = 6144


def _word_starts(operation: str) -> list[int]:
    return [i for i in range(1, len(operation)) if operation[i].isupper() and not operation[i - 1].isupper()]


def compress_actions(names: Iterable[str], catalog: PermissionCatalog) -> list[str]:
    """The shortest list of names and wildcards that matches exactly ``names`` in ``catalog``."""
    names = sorted(set(names), key=str.lower)
    wanted = catalog.bits_of(names)
    services = {name.split(":", 1)[0].lower() for name in names}
    if len(services) == 1:
        service = services.pop()
        if wanted == catalog.service_bits(service):
            return [f"{service}:*"]
    out: list[str] = []
    covered = 0
    for name in names:
        if covered & catalog.bit(name):
            continue
        prefix, _, operation = name.partition(":")
        chosen = name
        for cut in _word_starts(operation) + [len(operation)]:
            pattern = f"{prefix}:{operation[:cut]}*"
            matched = catalog.expand(pattern)
            if not matched & ~wanted and matched & (matched - 1):  # nothing more, and more than one
                chosen = pattern
                break
        out.append(chosen)
        covered |= catalog.expand(chosen)
    return out


def _policy_arn(arn: str) -> str:
    """An ARN as a policy Resource: literal ``*``, ``?`` and ``$`` written as policy variables."""
    return arn.replace("$", "${$}").replace("*", "${*}").replace("?", "${?}")


def render_policy(identity: str, used: Iterable[UsageRecord], snapshots: object = ()) -> RenderedPolicy:
    """The policy for ``used`` (already limited to the window); the records carry all it needs, so
    ``snapshots`` (the hook's argument) is not read."""
    catalog = aws_catalog()
    resources: dict[str, set[str]] = {}
    unscoped: set[str] = set()
    service_level: set[str] = set()
    unknown: set[str] = set()
    for record in used:
        if is_service_level(record.action):
            service_level.add(record.action.split(":", 1)[0])
            continue
        if record.action not in catalog:
            unknown.add(record.action)
            continue
        name = catalog.info(record.action).name
        scoped = resources.setdefault(name, set())
        if not action_target(name).resource_types:
            scoped.add(ANY_RESOURCE)
        elif not record.resource or record.resource == ANY_RESOURCE:
            scoped.add(ANY_RESOURCE)
            unscoped.add(name)
        else:
            scoped.add(_policy_arn(record.resource))
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for name, arns in resources.items():
        key = (name.split(":", 1)[0], (ANY_RESOURCE,) if ANY_RESOURCE in arns else tuple(sorted(arns)))
        groups.setdefault(key, []).append(name)
    statements = []
    counters: dict[str, int] = {}
    for (service, arns), names in sorted(groups.items()):
        counters[service] = counters.get(service, 0) + 1
        sid = "".join(part.capitalize() for part in service.replace("-", " ").split()) + f"Use{counters[service]}"
        actions = compress_actions(names, catalog)
        statements.append({
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions[0] if len(actions) == 1 else actions,
            "Resource": arns[0] if len(arns) == 1 else list(arns),
        })
    document = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
    warnings = []
    if not statements:
        warnings.append("nothing was used in the window: the identity needs no permissions")
    if unscoped:
        warnings.append("the logs name no resource for " + ", ".join(sorted(unscoped))
                        + ": granted on * (scope them by hand)")
    if service_level:
        warnings.append("used per service-level data only, actions unknown, left out: " + ", ".join(sorted(service_level)))
    if unknown:
        warnings.append("not in the AWS catalog, left out: " + ", ".join(sorted(unknown)))
    for name, arns in sorted(resources.items()):
        common = os.path.commonprefix(sorted(arns)) if len(arns) > 1 and ANY_RESOURCE not in arns else ""
        if "/" in common:
            folder = common[: common.rindex("/") + 1]
            warnings.append(f"{name} was used on {len(arns)} resources under {folder}: the policy names each; "
                            f"{folder}* would also grant those not used yet")
    size = len("".join(document.split()))
    if size > MANAGED_POLICY_LIMIT:
        warnings.append(f"{size} characters: more than the {MANAGED_POLICY_LIMIT} a managed policy holds; split it")
    return RenderedPolicy(PROVIDER, identity, FORMAT, document, tuple(warnings))
