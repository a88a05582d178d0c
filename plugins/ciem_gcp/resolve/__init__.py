"""GCP snapshots resolved into identities, effective grants, impersonation, escalation and
federation edges, and admins.

docs/gcp-semantics.md states the rules; the modules: estate (hierarchy, bindings, roles, deny rules),
principals (who a member names), conditions (CEL), access (one identity on one resource),
federation (workload identity pools to AWS and Azure identities), explain, and ciem_gcp.escalation.
"""

from __future__ import annotations

from ciem.model import (
    Edge, Grant, Identity, Resolution, Resource, ResourceSelector, Sensitivity, Snapshot,
)
from ciem.providers import PerSnapshots

from ciem_gcp import PROVIDER
from ciem_gcp.catalog import gcp_catalog
from ciem_gcp.members import email_of, pool_of
from ciem_gcp.resolve.access import Access
from ciem_gcp.resolve.conditions import evaluate, keys_of
from ciem_gcp.resolve.estate import CONTAINERS, Estate, build_estate
from ciem_gcp.resolve.federation import federation_edges
from ciem_gcp.resolve.principals import KINDS, Principals

__all__ = ["resolve", "explain_request", "Model", "model_of"]

SENSITIVE_TYPES = {
    "secretmanager.googleapis.com/Secret": Sensitivity.HIGH,
    "cloudkms.googleapis.com/CryptoKey": Sensitivity.HIGH,
    "storage.googleapis.com/Bucket": Sensitivity.LOW,
    "bigquery.googleapis.com/Dataset": Sensitivity.LOW,
}


class Model:
    """Everything resolution derives from a set of snapshots, reused by explain and right-sizing."""

    def __init__(self, snapshots: list[Snapshot]):
        self.estate: Estate = build_estate(snapshots)
        self.catalog = gcp_catalog(p for permissions in self.estate.roles.values() for p in permissions)
        self.principals = Principals(self.estate)
        self.access = Access(self.estate, self.principals, self.catalog)


# Explain and right-sizing ask about the serving index's snapshots again and again.
model_of = PerSnapshots(Model)


def _selector(node_id: str) -> ResourceSelector:
    return ResourceSelector((node_id, node_id + "/*"))


def _grants(m: Model) -> list[Grant]:
    estate, principals, access = m.estate, m.principals, m.access
    out: list[Grant] = []
    for node_id, bindings in estate.bindings.items():
        selector = _selector(node_id)
        node_name = estate.nodes[node_id].name if node_id in estate.nodes else node_id
        for binding in bindings:
            actions = estate.roles.get(binding.role)
            if not actions:
                continue
            keys: tuple[str, ...] = ()
            if binding.condition:
                decided = evaluate(binding.condition, {})
                if decided is False:
                    continue
                keys = () if decided else keys_of(binding.condition) or ("condition",)
            holders = dict.fromkeys(h for member in binding.members for h in principals.holders(member))
            provenance = (binding.label(node_name),)
            for holder in holders:
                out.append(Grant(holder, actions, selector, provenance, keys))
    for rule in estate.deny_rules:
        bits = access.deny_bits[rule]
        if not bits:
            continue
        actions = frozenset(m.catalog.names(bits))
        keys = keys_of(rule.condition) or ("denialCondition",) if rule.condition else ()
        for principal in principals.all:
            if rule in access.denied_rules(principal, rule.node):
                out.append(Grant(principal, actions, _selector(rule.node), (rule.label,), keys, deny=True))
    return out


def resolve(snapshots: list[Snapshot]) -> Resolution:
    from ciem_gcp.escalation.base import EscalationContext, methods

    m = Model(snapshots)
    context = EscalationContext(m.estate, m.principals, m.access)
    edges: list[Edge] = list(federation_edges(m.estate, m.principals))
    admin: dict[str, str] = {}
    for method in methods():
        edges.extend(method.edges(context))
        for identity, reason in method.admin_reasons(context):
            admin.setdefault(identity, reason)
    return Resolution(
        provider=PROVIDER,
        catalog=m.catalog,
        identities=_identities(m, context.blocked),
        resources=_resources(m.estate, admin),
        grants=_grants(m),
        edges=edges,
        admin=admin,
        gaps=[*m.estate.gaps, *_unmodelled(m.estate)],
    )


MODELLED_CONSTRAINTS = ("iam.disableServiceAccountKeyCreation", "iam.disableCrossProjectServiceAccountUsage")


def _unmodelled(estate: Estate):
    """Gaps for what the resolution cannot account for: unread groups, organization policies it
    does not model (an answer may be too generous where they apply)."""
    from ciem.model import CoverageGap

    for node in estate.nodes.values():
        for constraint in node.org_policies:
            if constraint not in MODELLED_CONSTRAINTS:
                yield CoverageGap(PROVIDER, node.id, "orgpolicy", f"organization policy constraints/{constraint} "
                                  "is not modelled: paths it blocks are still reported")
    if not estate.groups_read:
        yield CoverageGap(PROVIDER, "groups", "groups.memberships.searchTransitiveGroups",
                          "group memberships were not read: members of groups get none of the groups' grants")


def _identities(m: Model, blocked: dict[str, list[str]]) -> list[Identity]:
    estate, principals = m.estate, m.principals
    user_keys = [node for node in estate.nodes.values() if node.type == "iam.googleapis.com/ServiceAccountKey"
                 and node.data.get("keyType", "USER_MANAGED") == "USER_MANAGED"]
    out = []
    for principal in principals.all.values():
        kind = KINDS[principal.kind]
        attributes: dict = {}
        aliases: tuple[str, ...] = ()
        email = email_of(principal.id)
        name, account, human = email or principal.id, "", False
        if principal.kind == "user":
            account, human, aliases = email.rsplit("@", 1)[1], True, (email,)
        elif principal.kind == "serviceAccount":
            node = estate.service_accounts.get(email)
            data = node.data if node else {}
            domain = email.split("@", 1)[1]
            account = data.get("projectId") or (node.project if node else domain.removesuffix(
                ".iam.gserviceaccount.com") if domain.endswith(".iam.gserviceaccount.com") else "")
            aliases = tuple(a for a in (email, str(data.get("uniqueId", "")),
                                        f"projects/{account}/serviceAccounts/{email}") if a)
            prefixes = (f"{node.name}/keys/",) if node else ()
            prefixes += (f"//iam.googleapis.com/projects/{account}/serviceAccounts/{email}/keys/",)
            attributes = {"disabled": bool(data.get("disabled")), "google_managed": node is None,
                          "user_managed_keys": [{"id": k.name.rsplit("/", 1)[1],
                                                 "created": k.data.get("validAfterTime", "")}
                                                for k in user_keys if k.name.startswith(prefixes)]}
        elif principal.kind == "group":
            members = estate.groups.get(email, [])
            account, aliases = email.rsplit("@", 1)[1], (email,)
            human = any(member.startswith("user:") for member in members)
            attributes = {"members": members}
        elif principal.kind in ("principal", "principalSet"):
            pool = pool_of(principal.id)
            account = pool[0] if pool else principal.id.split("/")[2]
        if principal.id in blocked:
            attributes["blocked_paths"] = blocked[principal.id]
        out.append(Identity(principal.id, PROVIDER, kind, name, account, human, aliases, {}, attributes))
    return out


def _resources(estate: Estate, admin: dict[str, str]) -> list[Resource]:
    out = []
    for node in estate.nodes.values():
        sensitivity = SENSITIVE_TYPES.get(node.type, Sensitivity.NONE)
        if node.type == "iam.googleapis.com/ServiceAccount" and f"serviceAccount:{str(node.data.get('email', '')).lower()}" in admin:
            sensitivity = Sensitivity.CRITICAL
        account = node.project or (node.id.split("/", 2)[0] + "/" + node.id.split("/", 2)[1]
                                   if node.type in CONTAINERS else "")
        labels = node.data.get("labels") if isinstance(node.data.get("labels"), dict) else {}
        out.append(Resource(node.id, PROVIDER, node.type, account, node.name, node.parents, labels, sensitivity))
    return out


def explain_request(snapshots: list[Snapshot], request):
    """:func:`ciem_gcp.resolve.explain.explain` over the snapshots' model."""
    from ciem_gcp.resolve.explain import explain

    return explain(model_of(snapshots), request)
