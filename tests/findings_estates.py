"""Small cloud-neutral estates for the findings and sink tests, scanned at a fixed time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ciem.catalog import PermissionCatalog
from ciem.findings import FindingsConfig
from ciem.findings.engine import run_scan
from ciem.index import EffectiveAccessIndex
from ciem.model import (
    AccessLevel,
    ActionInfo,
    Edge,
    EdgeKind,
    Grant,
    Identity,
    IdentityKind,
    Resolution,
    ResourceSelector,
    UsageRecord,
)
from ciem.providers import new_manager
from ciem.usage import UsageStore

P = "testcloud"
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
LONG_AGO = (NOW - timedelta(days=400)).isoformat()
RECENTLY = (NOW - timedelta(days=3)).isoformat()

CATALOG = PermissionCatalog(P, [
    ActionInfo("store:List", "store", AccessLevel.LIST),
    ActionInfo("store:Get", "store", AccessLevel.READ, frozenset({"data-exfiltration"})),
    ActionInfo("store:Put", "store", AccessLevel.WRITE),
    ActionInfo("store:SetPolicy", "store", AccessLevel.PERMISSIONS_MANAGEMENT, frozenset({"resource-exposure"})),
    ActionInfo("id:Assume", "id", AccessLevel.WRITE),
    ActionInfo("id:PassRole", "id", AccessLevel.WRITE, frozenset({"privilege-escalation"})),
    ActionInfo("id:AttachPolicy", "id", AccessLevel.PERMISSIONS_MANAGEMENT, frozenset({"privilege-escalation"})),
    ActionInfo("compute:Create", "compute", AccessLevel.WRITE, frozenset({"privilege-escalation"})),
    ActionInfo("compute:Describe", "compute", AccessLevel.LIST),
    ActionInfo("pipe:Update", "pipe", AccessLevel.WRITE),
    ActionInfo("pipe:Approve", "pipe", AccessLevel.WRITE),
])


def ident(name, kind=IdentityKind.ROLE, human=False, account="acct-1", **attributes) -> Identity:
    return Identity(f"tc:{name}", P, kind, name, account, human, attributes=attributes)


def external(name, scope, in_organization=None) -> Identity:
    attributes = {"external": scope}
    if in_organization is not None:
        attributes["in_organization"] = in_organization
    return Identity(f"ext:{name}", P, IdentityKind.EXTERNAL, name, name, False, attributes=attributes)


def grant(who, actions, include=("*",), conditions=(), potential=False, holder_prefix="tc:") -> Grant:
    return Grant(f"{holder_prefix}{who}", frozenset(actions), ResourceSelector(tuple(include)),
                 (f"policy-of-{who}",), tuple(conditions), potential=potential)


def edge(source, target, kind=EdgeKind.ASSUME, conditions=(), method="id:Assume") -> Edge:
    return Edge(source if ":" in source else f"tc:{source}", f"tc:{target}", kind, method, ("id:Assume",),
                (), tuple(conditions))


def scan(identities, grants=(), edges=(), admin=None, resources=(), config=None, usage=None, manager=None):
    resolution = Resolution(P, CATALOG, list(identities), list(resources), list(grants), list(edges),
                            dict(admin or {}))
    index = EffectiveAccessIndex([resolution], built_at=NOW)
    if usage is not None:
        index.usage = usage
    return run_scan(index, manager or new_manager(load_entry_points=False), NOW, config=config or FindingsConfig())


def by_rule(result, rule):
    return [f for f in result.findings if f.rule == rule]


def logs(*records, since_days: int = 100) -> UsageStore:
    """A usage store whose logs start ``since_days`` before NOW (an event no identity answers to
    marks the start) and hold ``records``."""
    start = NOW - timedelta(days=since_days)
    store = UsageStore()
    opening = UsageRecord("someone-outside", "store:List", start, start)
    store.ingest([opening, *records], lambda identifier: identifier if identifier.startswith("tc:") else None,
                 f"{P}:logs")
    return store


def used(who, action, resource="") -> UsageRecord:
    return UsageRecord(f"tc:{who}", action, NOW - timedelta(days=5), NOW - timedelta(days=1), 3, resource)


def estate_scan(day: int, *, dev_trusted: bool = True, alice_mfa: bool = False, extra_users: int = 0):
    """A small estate as it stands on ``day``: what the sink and report tests publish.

    boss is admin; dev can assume boss (unless ``dev_trusted`` is off); builder escalates to boss;
    alice is a human admin signing in with a password (MFA per ``alice_mfa``); a vendor account is
    trusted without a condition; ``extra_users`` humans sign in without MFA.
    """
    identities = [
        ident("boss"), ident("dev", human=True), ident("builder"),
        ident("alice", IdentityKind.USER, True, password_enabled=True, mfa=alice_mfa),
        ident("vendor-role"), external("999", "account", in_organization=False),
    ] + [ident(f"user-{n:03d}", IdentityKind.USER, True, password_enabled=True, mfa=False)
         for n in range(extra_users)]
    edges = [edge("builder", "boss", EdgeKind.ESCALATE, method="id:PassRole+compute:Create"),
             edge("ext:999", "vendor-role")]
    if dev_trusted:
        edges.append(edge("dev", "boss"))
    resolution = Resolution(
        P, CATALOG, identities, [], [grant("boss", ["*"]), grant("alice", ["*"]),
                                     grant("builder", ["id:PassRole", "compute:Create"])],
        edges, {"tc:boss": "allowed * on *", "tc:alice": "allowed * on *"},
    )
    at = NOW + timedelta(days=day)
    index = EffectiveAccessIndex([resolution], built_at=at)
    return run_scan(index, new_manager(load_entry_points=False), at)
