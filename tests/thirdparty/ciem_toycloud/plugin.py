"""The toycloud provider's hook implementations.

Export shape (``format`` must be ``toycloud-export/1``)::

    {"format": "toycloud-export/1", "tenant": "acme", "exported_at": "2026-11-01T00:00:00+00:00",
     "users": [{"name": "ann", "human": true, "aliases": ["ann@acme.example"]}],
     "roles": {"reader": ["storage.objects.read", "storage.objects.*"]},
     "resources": [{"id": "bucket/reports", "sensitivity": "high"}],
     "grants": [{"user": "ann", "role": "reader", "scope": "bucket/*"}],
     "edges": [{"from": "ann", "to": "deployer", "kind": "impersonate"}]}

Ids are ``toycloud://TENANT/NAME``; a role of ``*`` on scope ``*`` makes its holder admin.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from ciem.catalog import PermissionCatalog
from ciem.errors import InputError
from ciem.hookspec import hookimpl
from ciem.model import (
    AccessLevel, ActionInfo, Edge, EdgeKind, Grant, Identity, IdentityKind, Resolution, Resource,
    ResourceSelector, Sensitivity, Snapshot,
)
from ciem.providers import ProviderInfo

from ciem_toycloud import PROVIDER

FORMAT = "toycloud-export/1"
EXPORT_NAME = "toycloud-export.json"
ACTIONS = (
    ActionInfo("storage.objects.list", "storage", AccessLevel.LIST),
    ActionInfo("storage.objects.read", "storage", AccessLevel.READ),
    ActionInfo("storage.objects.write", "storage", AccessLevel.WRITE),
    ActionInfo("compute.instances.deploy", "compute", AccessLevel.WRITE),
    ActionInfo("iam.policies.set", "iam", AccessLevel.PERMISSIONS_MANAGEMENT, frozenset({"privilege-escalation"})),
)


def _export_file(path: Path) -> Path:
    return path / EXPORT_NAME if path.is_dir() else path


def _identity_id(tenant: str, name: str) -> str:
    return f"{PROVIDER}://{tenant}/{name}"


@hookimpl
def ciem_provider_info() -> ProviderInfo:
    return ProviderInfo(name=PROVIDER, title="Toy Cloud", identifier_forms=("toycloud://TENANT/NAME", "e-mail alias"))


@hookimpl
def ciem_detect_export(path: Path) -> str | None:
    file = _export_file(path)
    if file.suffix != ".json" or not file.is_file():
        return None
    try:
        return PROVIDER if json.loads(file.read_text(encoding="utf-8")).get("format") == FORMAT else None
    except (ValueError, AttributeError):
        return None


def _require(value: Any, kind: type, file: Path, where: str) -> Any:
    if not isinstance(value, kind):
        raise InputError(file, where, f"expected {kind.__name__}")
    return value


@hookimpl
def ciem_load_export(provider: str, path: Path, progress) -> Snapshot | None:
    if provider != PROVIDER:
        return None
    file = _export_file(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as error:
        raise InputError(file, "", f"not valid JSON: {error}") from None
    _require(data, dict, file, "$")
    if data.get("format") != FORMAT:
        raise InputError(file, "$.format", f"expected {FORMAT!r}")
    users = {
        _require(_require(user, dict, file, f"$.users[{index}]").get("name"), str, file, f"$.users[{index}].name")
        for index, user in enumerate(_require(data.get("users"), list, file, "$.users"))
    }
    roles = _require(data.get("roles"), dict, file, "$.roles")
    for index, resource in enumerate(_require(data.get("resources", []), list, file, "$.resources")):
        _require(_require(resource, dict, file, f"$.resources[{index}]").get("id"), str, file, f"$.resources[{index}].id")
        if resource.get("sensitivity", "none").upper() not in Sensitivity.__members__:
            raise InputError(file, f"$.resources[{index}].sensitivity", "expected none, low, high or critical")
    for index, grant in enumerate(_require(data.get("grants", []), list, file, "$.grants")):
        _require(_require(grant, dict, file, f"$.grants[{index}]").get("scope"), str, file, f"$.grants[{index}].scope")
        if grant.get("user") not in users:
            raise InputError(file, f"$.grants[{index}].user", f"unknown user {grant.get('user')!r}")
        if grant.get("role") not in roles:
            raise InputError(file, f"$.grants[{index}].role", f"unknown role {grant.get('role')!r}")
    for index, edge in enumerate(_require(data.get("edges", []), list, file, "$.edges")):
        _require(edge, dict, file, f"$.edges[{index}]")
        for end in ("from", "to"):
            if edge.get(end) not in users:
                raise InputError(file, f"$.edges[{index}].{end}", f"unknown user {edge.get(end)!r}")
        if edge.get("kind") not in {kind.value for kind in EdgeKind}:
            raise InputError(file, f"$.edges[{index}].kind", f"unknown edge kind {edge.get('kind')!r}")
    progress("toycloud export", 1, 1)
    return Snapshot(PROVIDER, f"files:{file}", datetime.fromisoformat(data["exported_at"]), data)


@hookimpl
def ciem_resolve(snapshots: list[Snapshot]) -> Resolution | None:
    if not snapshots or snapshots[0].provider != PROVIDER:
        return None
    catalog = PermissionCatalog(PROVIDER, ACTIONS)
    resolution = Resolution(PROVIDER, catalog, identities=[], resources=[], grants=[], edges=[])
    for snapshot in snapshots:
        data, tenant = snapshot.data, snapshot.data["tenant"]
        for user in data["users"]:
            resolution.identities.append(Identity(
                _identity_id(tenant, user["name"]), PROVIDER,
                IdentityKind.USER if user.get("human") else IdentityKind.SERVICE_ACCOUNT,
                user["name"], tenant, bool(user.get("human")), tuple(user.get("aliases", ())),
            ))
        for resource in data.get("resources", []):
            resolution.resources.append(Resource(
                _identity_id(tenant, resource["id"]), PROVIDER, resource["id"].split("/")[0], tenant,
                name=resource["id"], sensitivity=Sensitivity[resource.get("sensitivity", "none").upper()],
            ))
        for index, grant in enumerate(data.get("grants", [])):
            holder = _identity_id(tenant, grant["user"])
            permissions = data["roles"][grant["role"]]
            resolution.grants.append(Grant(
                holder, frozenset(permissions), ResourceSelector((_identity_id(tenant, grant["scope"]),)),
                provenance=(f"{snapshot.source}#grants[{index}]:{grant['role']}",),
            ))
            if "*" in permissions and grant["scope"] == "*":
                resolution.admin[holder] = f"role {grant['role']} on every resource"
        for index, edge in enumerate(data.get("edges", [])):
            resolution.edges.append(Edge(
                _identity_id(tenant, edge["from"]), _identity_id(tenant, edge["to"]), EdgeKind(edge["kind"]),
                method=f"toycloud:{edge['kind']}", permissions=(), provenance=(f"{snapshot.source}#edges[{index}]",),
            ))
    return resolution
