"""AWS snapshots resolved into identities, effective grants, trust and escalation edges, and admins.

docs/aws-semantics.md ("Grant resolution, trust and escalation") states the rules; the modules:
principals (estate), resources, grants (identity-side layers), resource_policies (resource side),
trust (AssumeRole edges), admin, and ciem_aws.escalation (escalation edges).
"""

from __future__ import annotations

from typing import Any

from ciem.catalog import PermissionCatalog
from ciem.model import (
    Edge, EdgeKind, Grant, Identity, IdentityKind, Resolution, Resource, ResourceSelector, Sensitivity, Snapshot,
)

from ciem_aws import PROVIDER
from ciem_aws.identifiers import role_alias
from ciem_aws.resolve.admin import admin_reasons
from ciem_aws.resolve.grants import Compiler, Item, Layers
from ciem_aws.resolve.explain import explain
from ciem_aws.resolve.principals import Estate, Principal, build_estate
from ciem_aws.resolve.resource_policies import ResourceSide
from ciem_aws.resolve.resources import AwsResource, read_resources
from ciem_aws.resolve.trust import PUBLIC, External, PrincipalIndex, TrustResolver

__all__ = ["resolve", "explain"]


def _catalog(catalog: PermissionCatalog | None) -> PermissionCatalog:
    if catalog is not None:
        return catalog
    from ciem_aws.catalog import aws_catalog

    return aws_catalog()


class _Grants:
    """Grant objects, with identical action sets and selectors shared."""

    def __init__(self, compiler: Compiler):
        self.compiler = compiler
        self.grants: list[Grant] = []
        self._selectors: dict[tuple, ResourceSelector] = {}
        self._excludes: dict[tuple[str, ...], tuple[str, ...]] = {}  # each exclude: the first equal one
        self._seen: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}  # id -> (exclude, the first equal one)

    def _exclude(self, exclude: tuple[str, ...]) -> tuple[str, ...]:
        """The first exclude equal to ``exclude``. Items share long excludes (the other accounts'
        resources): each object is hashed once, not once per grant."""
        seen = self._seen.get(id(exclude))
        if seen is None:  # the object is kept with its answer: its id stays its own
            seen = self._seen[id(exclude)] = (exclude, self._excludes.setdefault(exclude, exclude))
        return seen[1]

    def add(self, identity: str, item: Item, deny: bool = False) -> None:
        exclude = self._exclude(item.exclude)
        key = (item.include, item.also, id(exclude))
        selector = self._selectors.get(key)
        if selector is None:
            selector = self._selectors[key] = ResourceSelector(item.include, item.also, exclude)
        self.grants.append(Grant(identity, self.compiler.names(item.bits), selector, item.provenance, item.keys, deny))


def _group_principal(estate: Estate, arn: str) -> Principal:
    group = estate.groups[arn]
    return Principal(arn, "group", group.name, group.account, unique_id=group.unique_id, policies=group.policies)


def resolve(snapshots: list[Snapshot], *, catalog: PermissionCatalog | None = None) -> Resolution:
    """Resolve every snapshot of a refresh together (accounts of one organization trust each other).

    :param catalog: the permission catalog; ``ciem_aws.catalog.aws_catalog()`` by default.
    """
    # ciem_aws.escalation builds on this package's modules: imported here, not at the top.
    from ciem_aws.escalation.base import EscalationContext, methods

    catalog = _catalog(catalog)
    estate = build_estate(snapshots)
    resources = read_resources(estate)
    layers = Layers(estate, catalog)
    index = PrincipalIndex(estate)
    externals: dict[str, External] = {}
    principals = [p for p in estate.principals.values() if estate.accounts[p.account].collected]
    groups = [_group_principal(estate, arn) for arn in estate.groups]
    effective = [layers.effective(p) for p in principals + groups]

    trust = TrustResolver(estate, layers, index, externals)
    edges: list[Edge] = list(trust.edges())
    admin = admin_reasons(layers, effective)
    assumable: dict[str, set[str]] = {}
    for edge in edges:
        if not edge.conditions and edge.source in estate.principals:
            assumable.setdefault(edge.source, set()).add(edge.target)
    context = EscalationContext(estate, layers, resources, trust.services, assumable, set(admin))
    for method in methods():
        edges.extend(method.edges(context))
        for arn, reason in method.admin_reasons(context):
            admin.setdefault(arn, reason)

    side = ResourceSide(estate, layers, index, externals, resources)
    out = _Grants(layers.compiler)
    for item in effective:
        for allow in side.scope(item, item.allows):
            out.add(item.principal.arn, allow)
        for deny in item.denies:
            out.add(item.principal.arn, deny, deny=True)
    for identity, item, deny in side.grants():
        out.add(identity, item, deny)
    assume = catalog.bits_of(["sts:AssumeRole"]) if "sts:AssumeRole" in catalog else 0
    for edge in edges:
        if edge.kind == EdgeKind.ASSUME and edge.method == "sts:AssumeRole" and assume:
            out.add(edge.source, Item(assume, (edge.target,), keys=edge.conditions, provenance=edge.provenance))

    return Resolution(
        provider=PROVIDER,
        catalog=catalog,
        identities=_identities(estate, edges, externals),
        resources=_resources(estate, resources, admin),
        grants=out.grants,
        edges=edges,
        admin=admin,
        gaps=[*estate.gaps, *layers.compiler.gaps],
    )


# --- identities ------------------------------------------------------------------------------------

def _report_keys(report: dict[str, str]) -> list[dict[str, Any]]:
    """The access keys a credential report row lists (users and the root user alike); a slot that
    is inactive and was never rotated ("N/A") holds no key."""
    keys = []
    for slot in (1, 2):
        active = report.get(f"access_key_{slot}_active")
        if active == "true" or (active == "false" and report.get(f"access_key_{slot}_last_rotated", "N/A") != "N/A"):
            keys.append({"active": report[f"access_key_{slot}_active"] == "true",
                         "last_rotated": report.get(f"access_key_{slot}_last_rotated", ""),
                         "last_used": report.get(f"access_key_{slot}_last_used_date", "")})
    return keys


def _root_facts(report: dict[str, str]) -> dict[str, Any]:
    """The root user's credential report row; without one, only that it is the root user."""
    attributes: dict[str, Any] = {"root": True}
    if report:
        attributes.update({"mfa": report.get("mfa_active") == "true", "access_keys": _report_keys(report),
                           "password_last_used": report.get("password_last_used", ""),
                           "created": report.get("user_creation_time", "")})
    return attributes


def _user_facts(estate: Estate, user: Principal) -> tuple[bool, dict[str, Any], tuple[str, ...]]:
    """(human, attributes, access key ids). Human: a console password or an MFA device."""
    report = estate.accounts[user.account].credential_report.get(user.arn) or {}
    raw = user.raw
    password = report.get("password_enabled") == "true" or bool(raw.get("LoginProfile"))
    mfa = report.get("mfa_active") == "true" or bool(raw.get("MFADevices"))
    keys = _report_keys(report)
    key_ids = tuple(k.get("AccessKeyId", "") for k in raw.get("AccessKeys") or raw.get("AccessKeyMetadata") or []
                    if k.get("AccessKeyId"))
    attributes = {
        "created": raw.get("CreateDate") or report.get("user_creation_time", ""),
        "password_enabled": password,
        "password_last_used": report.get("password_last_used", ""),
        "mfa": mfa,
        "access_keys": keys,
        "path": user.path,
        "permissions_boundary": user.boundary.label if user.boundary else "",
    }
    return password or mfa, attributes, key_ids


def _identities(estate: Estate, edges: list[Edge], externals: dict[str, External]) -> list[Identity]:
    out: list[Identity] = []
    humans: set[str] = set()
    for principal in estate.principals.values():
        if not estate.accounts[principal.account].collected:
            continue
        if principal.kind == "user":
            human, attributes, key_ids = _user_facts(estate, principal)
            if human:
                humans.add(principal.arn)
            out.append(Identity(principal.arn, PROVIDER, IdentityKind.USER, principal.name, principal.account, human,
                                (principal.unique_id, *key_ids) if principal.unique_id else key_ids,
                                principal.tags, attributes))
        elif principal.kind == "root":
            report = estate.accounts[principal.account].credential_report.get(principal.arn) or {}
            out.append(Identity(principal.arn, PROVIDER, IdentityKind.USER, "root", principal.account, True,
                                (f"root@{principal.account}",), {}, _root_facts(report)))
    # A role is human when a SAML provider or a human user can assume it.
    human_roles = {e.target for e in edges if e.kind == EdgeKind.ASSUME and
                   (e.source in humans or e.method == "sts:AssumeRoleWithSAML")}
    for principal in estate.principals.values():
        if principal.kind != "role" or not estate.accounts[principal.account].collected:
            continue
        raw = principal.raw
        attributes = {
            "created": raw.get("CreateDate", ""),
            "last_used": (raw.get("RoleLastUsed") or {}).get("LastUsedDate", ""),
            "path": principal.path,
            "service_linked": principal.service_linked,
            "instance_profiles": list(principal.instance_profiles),
            "permissions_boundary": principal.boundary.label if principal.boundary else "",
        }
        aliases = (principal.unique_id, role_alias(principal.name, principal.account)) if principal.unique_id \
            else (role_alias(principal.name, principal.account),)
        out.append(Identity(principal.arn, PROVIDER, IdentityKind.ROLE, principal.name, principal.account,
                            principal.arn in human_roles, aliases, principal.tags, attributes))
    for group in estate.groups.values():
        out.append(Identity(group.arn, PROVIDER, IdentityKind.GROUP, group.name, group.account,
                            any(m in humans for m in group.members), (group.unique_id,) if group.unique_id else (),
                            {}, {"members": list(group.members)}))
    for external in externals.values():
        if external.kind == "federated":
            saml = ":saml-provider/" in external.id or ":federated-user/" in external.id
            out.append(Identity(external.id, PROVIDER, IdentityKind.FEDERATED, external.id.rsplit("/", 1)[-1],
                                external.account, saml, (), {}, {"protocol": "saml" if saml else "oidc"}))
        else:
            name = "anyone (public)" if external.id == PUBLIC else external.id
            attributes: dict[str, Any] = {"named_by": sorted(external.named_by), "external": external.scope}
            member = external.in_organization(estate)
            if member is not None:
                attributes["in_organization"] = member
            out.append(Identity(external.id, PROVIDER, IdentityKind.EXTERNAL, name, external.account, False, (), {},
                                attributes))
    return out


# --- resources -------------------------------------------------------------------------------------

def _parents(estate: Estate, account: str) -> tuple[str, ...]:
    info = estate.accounts.get(account)
    return (*(info.path if info else ()), account)


def _resources(estate: Estate, resources: list[AwsResource], admin: dict[str, str]) -> list[Resource]:
    out = [Resource(r.arn, PROVIDER, r.type, r.account, r.name, _parents(estate, r.account), r.tags, r.sensitivity())
           for r in resources]
    for principal in estate.principals.values():
        if principal.kind == "role" and estate.accounts[principal.account].collected:
            level = Sensitivity.CRITICAL if principal.arn in admin else Sensitivity.NONE
            out.append(Resource(principal.arn, PROVIDER, "iam:role", principal.account, principal.name,
                                _parents(estate, principal.account), principal.tags, level))
    return out
