"""Small cloud-neutral estates for the core's tests, built directly as provider resolutions."""

from __future__ import annotations

from datetime import datetime, timezone

from ciem.catalog import PermissionCatalog
from ciem.model import (
    AccessLevel,
    ActionInfo,
    Edge,
    EdgeKind,
    Grant,
    Identity,
    IdentityKind,
    Resolution,
    Resource,
    ResourceSelector,
    Sensitivity,
    Snapshot,
)

PROVIDER = "testcloud"

CATALOG = PermissionCatalog(
    PROVIDER,
    [
        ActionInfo("store:List", "store", AccessLevel.LIST),
        ActionInfo("store:Get", "store", AccessLevel.READ),
        ActionInfo("store:Put", "store", AccessLevel.WRITE),
        ActionInfo("store:Delete", "store", AccessLevel.WRITE),
        ActionInfo("store:SetPolicy", "store", AccessLevel.PERMISSIONS_MANAGEMENT),
        ActionInfo("id:Assume", "id", AccessLevel.WRITE),
        ActionInfo("id:AttachPolicy", "id", AccessLevel.PERMISSIONS_MANAGEMENT, frozenset({"privilege-escalation"})),
    ],
)


def identity(name: str, kind: IdentityKind = IdentityKind.ROLE, human: bool = False, aliases=()) -> Identity:
    return Identity(f"tc:{name}", PROVIDER, kind, name, "acct-1", human, tuple(aliases))


def resource(rid: str, sensitivity: Sensitivity = Sensitivity.NONE) -> Resource:
    return Resource(rid, PROVIDER, "bucket", "acct-1", rid.rsplit("/", 1)[-1], ("org", "acct-1"), {}, sensitivity)


def grant(who: str, actions, include, *, exclude=(), deny=False, conditions=(), also=()) -> Grant:
    return Grant(
        identity=f"tc:{who}",
        actions=frozenset(actions),
        resources=ResourceSelector(tuple(include), tuple(tuple(c) for c in also), tuple(exclude)),
        provenance=(f"policy-of-{who}#{'deny' if deny else 'allow'}",),
        conditions=tuple(conditions),
        deny=deny,
    )


def edge(source: str, target: str, kind: EdgeKind = EdgeKind.ASSUME, conditions=()) -> Edge:
    return Edge(f"tc:{source}", f"tc:{target}", kind, "id:Assume", ("id:Assume",), (f"tc:{target}",), tuple(conditions))


def estate() -> Resolution:
    """alice (human) -> ci -> deployer (admin); bob reads one bucket; eve is denied deletes."""
    return Resolution(
        provider=PROVIDER,
        catalog=CATALOG,
        identities=[
            identity("alice", IdentityKind.USER, human=True, aliases=("KEY-ALICE", "alice@example.com")),
            identity("bob", IdentityKind.USER, human=True),
            identity("eve", IdentityKind.USER, human=True),
            identity("ci"),
            identity("deployer"),
        ],
        resources=[
            resource("store:acct-1/public"),
            resource("store:acct-1/payroll", Sensitivity.CRITICAL),
            resource("store:acct-1/logs/2026"),
        ],
        grants=[
            grant("bob", ["store:Get", "store:List"], ["store:acct-1/public"]),
            grant("eve", ["store:*"], ["store:acct-1/*"], exclude=["store:acct-1/logs/*"]),
            grant("eve", ["store:Delete"], ["*"], deny=True),
            grant("eve", ["store:Put"], ["store:acct-1/payroll"], deny=True, conditions=["time:Weekend"]),
            grant("ci", ["store:Get"], ["store:acct-1/logs/*"], conditions=["net:SourceIp"]),
            grant("deployer", ["*"], ["*"]),
        ],
        edges=[edge("alice", "ci"), edge("ci", "deployer"), edge("deployer", "ci")],
        admin={"tc:deployer": "allowed * on *"},
    )


def snapshot(source: str = "memory") -> Snapshot:
    return Snapshot(PROVIDER, source, datetime(2026, 1, 1, tzinfo=timezone.utc), {"estate": "default"})
