"""A least-privilege Azure custom role from what an identity used, in the JSON ``az role definition
create --role-definition`` takes.

The role lists each used operation (``DataActions`` for data actions); a run of operations becomes a
wildcard (``Microsoft.Compute/virtualMachines/*``) only when every operation the wildcard matches in the
catalog was used, so it grants nothing more today (operations Azure adds later would match it: a
warning says so). ``AssignableScopes`` are the resource groups the used resources sit in, or their
subscriptions for resources outside any group; an operation used with no resource named leaves the
scope to the subscriptions, with a warning.
"""

from __future__ import annotations

import json
from typing import Iterable, Sequence

from ciem.model import RenderedPolicy, Snapshot, UsageRecord
from ciem.usage import ANY_RESOURCE, is_service_level

from ciem_azure import PROVIDER
from ciem_azure.catalog import AzureCatalog, build_catalog
from ciem_azure.escalation.base import table_operations

FORMAT = "azure-role-definition-json"


def compress(names: Sequence[str], catalog: AzureCatalog, data: bool) -> list[str]:
    """The shortest list of operations and ``<prefix>/*`` wildcards matching exactly ``names``."""
    wanted = catalog.expand(names, data)
    out: list[str] = []
    covered = 0
    for name in sorted(names, key=str.lower):
        if covered & catalog.catalog.bit(name):
            continue
        chosen = name
        parts = name.split("/")
        for cut in range(2, len(parts)):
            pattern = "/".join(parts[:cut]) + "/*"
            matched = catalog.expand([pattern], data)
            if not matched & ~wanted and matched & (matched - 1):
                chosen = pattern
                break
        out.append(chosen)
        covered |= catalog.expand([chosen], data)
    return out


def _scope_of(resource: str) -> str:
    parts = resource.split("/")
    if len(parts) >= 5 and parts[1].lower() == "subscriptions" and parts[3].lower() == "resourcegroups":
        return "/".join(parts[:5])
    if len(parts) >= 3 and parts[1].lower() == "subscriptions":
        return "/".join(parts[:3])
    return "/"


def render_policy(identity: str, used: Iterable[UsageRecord], snapshots: Sequence[Snapshot]) -> RenderedPolicy:
    catalog = build_catalog([s.data for s in snapshots], table_operations())
    control: set[str] = set()
    data: set[str] = set()
    scopes: set[str] = set()
    unscoped: set[str] = set()
    unknown: set[str] = set()
    for record in used:
        if is_service_level(record.action) or record.action not in catalog.catalog:
            unknown.add(record.action)
            continue
        name = catalog.catalog.info(record.action).name
        (data if catalog.is_data(name) else control).add(name)
        if record.resource and record.resource != ANY_RESOURCE:
            scopes.add(_scope_of(record.resource))
        else:
            unscoped.add(name)
    if unscoped:
        subscriptions = {s.split("/resourceGroups")[0] for s in scopes if s != "/"}
        scopes = subscriptions or {"/"}
    narrowed = sorted(s for s in scopes if not any(o != s and s.lower().startswith(o.lower() + "/") for o in scopes))
    document = {
        "Name": f"ciem right-sized {identity}",
        "IsCustom": True,
        "Description": f"What {identity} used in the observation window",
        "Actions": compress(sorted(control), catalog, False),
        "NotActions": [],
        "DataActions": compress(sorted(data), catalog, True),
        "NotDataActions": [],
        "AssignableScopes": narrowed or ["/"],
    }
    warnings = []
    if not control and not data:
        warnings.append("nothing was used in the window: the identity needs no role")
    if any(a.endswith("/*") for a in document["Actions"] + document["DataActions"]):
        warnings.append("wildcards match every operation the catalog knows today; operations Azure adds later would match too")
    if unscoped:
        warnings.append("the log names no resource for " + ", ".join(sorted(unscoped)) + ": scoped to the subscriptions")
    if unknown:
        warnings.append("not in the Azure operation catalog, left out: " + ", ".join(sorted(unknown)))
    warnings.append("the Activity Log records no data actions: data access this identity needs is not in the role")
    return RenderedPolicy(PROVIDER, identity, FORMAT, json.dumps(document, indent=2), tuple(warnings))
