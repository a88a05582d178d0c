"""A right-sized custom role from what an identity used: every permission the audit logs recorded
for it (the core leaves out what no current binding grants), in ``gcloud iam roles create --file``
form. Custom roles are bound at a scope, not per resource, so the resources the logs name are not
part of the role: a warning names where each permission was used, to choose the binding's scope."""

from __future__ import annotations

import json
from typing import Iterable

from ciem.model import RenderedPolicy, Snapshot, UsageRecord

from ciem_gcp import PROVIDER
from ciem_gcp.resolve import model_of

FORMAT = "gcp-custom-role-json"
# "Custom roles": at most 3,000 permissions per role.
CUSTOM_ROLE_LIMIT = 3000


def role_id(identity: str) -> str:
    """A custom role id (letters, digits, underscores and dots, up to 64) named after the identity."""
    local = identity.split(":", 1)[-1].split("@", 1)[0]
    cleaned = "".join(c if c.isalnum() else "_" for c in local)
    return f"rightsized_{cleaned}"[:64]


def render_role(identity: str, used: Iterable[UsageRecord], snapshots: list[Snapshot]) -> RenderedPolicy:
    catalog = model_of(snapshots).catalog
    permissions: set[str] = set()
    where: dict[str, set[str]] = {}
    unknown: set[str] = set()
    for record in used:
        if record.action not in catalog:
            unknown.add(record.action)
            continue
        name = catalog.info(record.action).name
        permissions.add(name)
        if record.resource:
            where.setdefault(name, set()).add(record.resource)
    role = {
        "title": f"Right-sized for {identity.split(':', 1)[-1]}"[:100],
        "description": "The permissions the audit logs recorded for this identity in the window.",
        "stage": "GA",
        "includedPermissions": sorted(permissions),
    }
    warnings = []
    if not permissions:
        warnings.append("nothing was used in the window: the identity needs no role")
    if unknown:
        warnings.append("no role of the snapshots includes these, left out: " + ", ".join(sorted(unknown)))
    if len(permissions) > CUSTOM_ROLE_LIMIT:
        warnings.append(f"{len(permissions)} permissions: more than the {CUSTOM_ROLE_LIMIT} a custom role holds; split it")
    for name, resources in sorted(where.items()):
        shown = sorted(resources)
        more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
        warnings.append(f"{name} was used on {', '.join(shown[:3])}{more}: bind the role as close to these as the service allows")
    document = json.dumps({"roleId": role_id(identity), **role}, indent=2)
    return RenderedPolicy(PROVIDER, identity, FORMAT, document, tuple(warnings))
