"""Small builders for AWS snapshots in the shape of docs/aws-export-layout.md ("Snapshot shape")."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from ciem.model import Snapshot

from ciem_aws.catalog import aws_catalog
from ciem_aws.resolve import resolve

A = "111111111111"
B = "222222222222"
MGMT = "999999999999"
OUTSIDE = "333333333333"
ORG = "o-abc123"
ROOT = "r-root"


def catalog():
    return aws_catalog()


def stmt(effect: str, actions: str | list[str], resources: str | list[str] | None = "*", *, not_actions=None,
         not_resources=None, principal=None, condition=None, sid: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect}
    if sid:
        out["Sid"] = sid
    if not_actions is not None:
        out["NotAction"] = not_actions
    else:
        out["Action"] = actions
    if not_resources is not None:
        out["NotResource"] = not_resources
    elif resources is not None:
        out["Resource"] = resources
    if principal is not None:
        out["Principal"] = principal
    if condition is not None:
        out["Condition"] = condition
    return out


def allow(actions, resources="*", **kw) -> dict[str, Any]:
    return stmt("Allow", actions, resources, **kw)


def deny(actions, resources="*", **kw) -> dict[str, Any]:
    return stmt("Deny", actions, resources, **kw)


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def trusts(principal: dict[str, Any] | str, action: str = "sts:AssumeRole", condition=None) -> dict[str, Any]:
    return doc(stmt("Allow", action, None, principal=principal, condition=condition))


def service_trust(service: str) -> dict[str, Any]:
    return trusts({"Service": service})


def user_arn(name: str, account: str = A) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def role_arn(name: str, account: str = A) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def group_arn(name: str, account: str = A) -> str:
    return f"arn:aws:iam::{account}:group/{name}"


def policy_arn(name: str, account: str = A) -> str:
    return f"arn:aws:iam::{account}:policy/{name}"


def _inline(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"PolicyName": f"p{i}", "PolicyDocument": d} for i, d in enumerate(documents)]


def _attached(arns: Iterable[str]) -> list[dict[str, str]]:
    return [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in arns]


def _boundary(arn: str | None) -> dict[str, Any]:
    return {"PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}} if arn else {}


def user(name: str, *policies: dict[str, Any], account: str = A, managed: Iterable[str] = (), groups: Iterable[str] = (),
         boundary: str | None = None, tags: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"UserName": name, "UserId": f"AIDA{name.upper():0<17}"[:21], "Arn": user_arn(name, account), "Path": "/",
            "CreateDate": "2024-01-01T00:00:00Z", "UserPolicyList": _inline(policies),
            "AttachedManagedPolicies": _attached(managed), "GroupList": list(groups),
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()], **_boundary(boundary), **extra}


def role(name: str, trust: dict[str, Any], *policies: dict[str, Any], account: str = A, managed: Iterable[str] = (),
         boundary: str | None = None, path: str = "/", profile: bool = False, tags: dict[str, str] | None = None) -> dict[str, Any]:
    arn = f"arn:aws:iam::{account}:role{path}{name}"
    return {"RoleName": name, "RoleId": f"AROA{name.upper():0<17}"[:21], "Arn": arn, "Path": path,
            "CreateDate": "2024-01-01T00:00:00Z", "AssumeRolePolicyDocument": trust,
            "RolePolicyList": _inline(policies), "AttachedManagedPolicies": _attached(managed),
            "InstanceProfileList": [{"InstanceProfileName": name, "Arn": f"arn:aws:iam::{account}:instance-profile/{name}"}]
            if profile else [],
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()], **_boundary(boundary)}


def group(name: str, *policies: dict[str, Any], account: str = A, managed: Iterable[str] = ()) -> dict[str, Any]:
    return {"GroupName": name, "GroupId": f"AGPA{name.upper():0<17}"[:21], "Arn": group_arn(name, account),
            "GroupPolicyList": _inline(policies), "AttachedManagedPolicies": _attached(managed)}


def managed(arn: str, document: dict[str, Any], *older: dict[str, Any]) -> dict[str, Any]:
    versions = [{"Document": document, "VersionId": f"v{len(older) + 1}", "IsDefaultVersion": True}]
    versions += [{"Document": d, "VersionId": f"v{i + 1}", "IsDefaultVersion": False} for i, d in enumerate(older)]
    return {"PolicyName": arn.rsplit("/", 1)[-1], "Arn": arn, "DefaultVersionId": f"v{len(older) + 1}",
            "PolicyVersionList": versions}


def account(users=(), roles=(), groups=(), policies=(), resources=None, credential_report=None,
            saml=(), oidc=()) -> dict[str, Any]:
    return {
        "authorization_details": {"UserDetailList": list(users), "RoleDetailList": list(roles),
                                  "GroupDetailList": list(groups), "Policies": list(policies)},
        "credential_report": credential_report,
        "saml_providers": [{"Arn": a} for a in saml],
        "oidc_providers": [{"Arn": a} for a in oidc],
        "resources": resources or {},
    }


def organization(parents: dict[str, str], ous: dict[str, str] = None, scps: Iterable[tuple[str, dict, list[str]]] = (),
                 rcps: Iterable[tuple[str, dict, list[str]]] = (), management: str = MGMT,
                 without_full_access: Iterable[str] = ()) -> dict[str, Any]:
    """``parents``: account -> parent id; ``ous``: OU id -> parent id; policies: (id, document, target ids).
    FullAWSAccess is attached to the root and every OU and account, as AWS does, except to
    ``without_full_access`` (an allow-list SCP replaces it there)."""
    ous = ous or {}
    full = doc(allow("*"))
    nodes = [n for n in (ROOT, *ous, *parents, management) if n not in set(without_full_access)]
    policies = [{"summary": {"Id": "p-full", "Type": "SERVICE_CONTROL_POLICY"}, "document": full,
                 "targets": [{"TargetId": n} for n in nodes]}]
    policies += [{"summary": {"Id": pid, "Type": "SERVICE_CONTROL_POLICY"}, "document": d,
                  "targets": [{"TargetId": t} for t in targets]} for pid, d, targets in scps]
    if rcps:
        policies.append({"summary": {"Id": "p-rcpfull", "Type": "RESOURCE_CONTROL_POLICY"}, "document": full,
                         "targets": [{"TargetId": n} for n in nodes]})
        policies += [{"summary": {"Id": pid, "Type": "RESOURCE_CONTROL_POLICY"}, "document": d,
                      "targets": [{"TargetId": t} for t in targets]} for pid, d, targets in rcps]
    return {
        "organization": {"Organization": {"Id": ORG, "MasterAccountId": management}},
        "roots": [{"Id": ROOT, "Name": "Root"}],
        "accounts": [{"Id": a} for a in (*parents, management)],
        "organizational_units": [{"Id": ou, "Name": ou, "ParentId": parent} for ou, parent in ous.items()],
        "account_parents": {**parents, management: ROOT},
        "policies": policies,
    }


def snapshot(accounts: dict[str, dict[str, Any]], org: dict[str, Any] | None = None, source: str = "test") -> Snapshot:
    return Snapshot("aws", source, datetime(2026, 1, 1, tzinfo=timezone.utc), {"organization": org, "accounts": accounts})


def run(accounts: dict[str, dict[str, Any]], org: dict[str, Any] | None = None):
    return resolve([snapshot(accounts, org)], catalog=catalog())


def grants_of(resolution, identity: str, *, deny: bool = False):
    return [g for g in resolution.grants if g.identity == identity and g.deny == deny]


def selector_matches(selector, resource: str) -> bool:
    from ciem.index import selector_matches as matches

    return matches(selector, resource)


def can(resolution, identity: str, action: str, resource: str) -> str | None:
    """"allow", "conditional" or None: what the grants say, with deny grants subtracted as the index does."""
    result = None
    for grant in grants_of(resolution, identity):
        if action in grant.actions and selector_matches(grant.resources, resource):
            if not grant.conditions:
                result = "allow"
                break
            result = "conditional"
    if result is None:
        return None
    for grant in grants_of(resolution, identity, deny=True):
        if action in grant.actions and selector_matches(grant.resources, resource):
            if not grant.conditions:
                return None
            result = "conditional"
    return result


def edges(resolution, source: str | None = None, target: str | None = None, method: str | None = None):
    return [e for e in resolution.edges if (source is None or e.source == source)
            and (target is None or e.target == target) and (method is None or e.method == method)]
