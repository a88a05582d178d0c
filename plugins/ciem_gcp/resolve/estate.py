"""The estate one or more GCP snapshots describe: the resource hierarchy, allow bindings, roles,
service accounts, groups, deny rules, organization policies and workload identity pools.

Every node (organization, folder, project, resource) gets a hierarchical id, root first:
``organizations/1/folders/2/projects/shop-prod`` for a project and
``organizations/1/folders/2/projects/shop-prod/storage.googleapis.com/payroll`` for a resource (its
Cloud Asset Inventory name without the leading ``//``), so that a binding on an ancestor covers every
descendant by prefix. Projects are named by their project id, not their number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import unquote

from ciem.errors import InputError
from ciem.model import CoverageGap, Snapshot

from ciem_gcp import PROVIDER
from ciem_gcp.members import canonical
from ciem_gcp.resolve.conditions import ConditionError, check

ORGANIZATION = "cloudresourcemanager.googleapis.com/Organization"
FOLDER = "cloudresourcemanager.googleapis.com/Folder"
PROJECT = "cloudresourcemanager.googleapis.com/Project"
CONTAINERS = (ORGANIZATION, FOLDER, PROJECT)
SERVICE_ACCOUNT = "iam.googleapis.com/ServiceAccount"
CUSTOM_ROLE = "iam.googleapis.com/Role"
POOL_PROVIDER = "iam.googleapis.com/WorkloadIdentityPoolProvider"
BASIC_ROLES = ("roles/owner", "roles/editor", "roles/viewer")
# Where each resource type names the service account its code runs as.
_RUNS_AS: dict[str, tuple[tuple[str, ...], ...]] = {
    "compute.googleapis.com/Instance": (("serviceAccounts", "*", "email"),),
    "cloudfunctions.googleapis.com/CloudFunction": (("serviceAccountEmail",),),
    "cloudfunctions.googleapis.com/Function": (("serviceConfig", "serviceAccountEmail"),),
    "run.googleapis.com/Service": (("spec", "template", "spec", "serviceAccountName"), ("template", "serviceAccount")),
    "run.googleapis.com/Job": (("template", "template", "serviceAccount"),),
    "cloudscheduler.googleapis.com/Job": (("httpTarget", "oauthToken", "serviceAccountEmail"),
                                          ("httpTarget", "oidcToken", "serviceAccountEmail")),
    "composer.googleapis.com/Environment": (("config", "nodeConfig", "serviceAccount"),),
    "dataflow.googleapis.com/Job": (("environment", "serviceAccountEmail"),),
    "notebooks.googleapis.com/Instance": (("serviceAccount",),),
}


@dataclass
class Node:
    id: str
    name: str  # the Cloud Asset Inventory full resource name, "//service/..."
    type: str
    project: str  # project id; "" for the organization and folders
    parents: tuple[str, ...]
    data: dict[str, Any]
    org_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # constraint (no prefix) -> policy

    @property
    def service(self) -> str:
        return self.name[2:].split("/", 1)[0]

    @property
    def relative_name(self) -> str:
        """The name IAM Conditions see as ``resource.name`` (the full name without its service)."""
        return self.name[2:].split("/", 1)[1] if "/" in self.name[2:] else ""

    def runs_as(self) -> list[str]:
        """E-mail addresses of the service accounts this resource's code runs as."""
        found = []
        for path in _RUNS_AS.get(self.type, ()):
            values: list[Any] = [self.data]
            for step in path:
                values = [item for v in values for item in (v if step == "*" and isinstance(v, list) else
                                                            [v.get(step)] if isinstance(v, dict) else [])]
            found.extend(v.lower() for v in values if isinstance(v, str) and "@" in v)
        return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Binding:
    node: str
    role: str
    members: tuple[str, ...]
    condition: str
    title: str

    def label(self, node_name: str) -> str:
        suffix = f" if {self.title or self.condition}" if self.condition else ""
        return f"{node_name}: {self.role}{suffix}"


@dataclass(frozen=True)
class DenyRule:
    node: str
    policy: str
    number: int
    denied_principals: tuple[str, ...]
    exception_principals: tuple[str, ...]
    denied_permissions: tuple[str, ...]
    exception_permissions: tuple[str, ...]
    condition: str

    @property
    def label(self) -> str:
        return f"{self.policy} rule {self.number}"


@dataclass
class Estate:
    nodes: dict[str, Node] = field(default_factory=dict)
    by_short: dict[str, str] = field(default_factory=dict)  # "projects/123", "folders/4" -> node id
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    roles: dict[str, frozenset[str]] = field(default_factory=dict)
    service_accounts: dict[str, Node] = field(default_factory=dict)  # e-mail -> node
    groups: dict[str, list[str]] = field(default_factory=dict)
    groups_read: bool = False
    deny_rules: list[DenyRule] = field(default_factory=list)
    pool_providers: list[Node] = field(default_factory=list)
    domains: set[str] = field(default_factory=set)  # the organizations' primary domains
    gaps: list[CoverageGap] = field(default_factory=list)

    def chain(self, resource_id: str) -> list[str]:
        """The ids of the known nodes that are ``resource_id`` or hold it, root first."""
        node = self.nodes.get(resource_id)
        if node is not None:
            return [*node.parents, node.id]
        out = []
        for cut in range(len(resource_id)):
            if resource_id[cut] == "/" and resource_id[:cut] in self.nodes:
                out.append(resource_id[:cut])
        return out

    def short_names(self, resource_id: str) -> list[str]:
        """``organizations/N``, ``folders/N``, ``projects/NUMBER`` of the containers holding a node."""
        out = []
        for node_id in self.chain(resource_id):
            node = self.nodes[node_id]
            if node.type in CONTAINERS:
                out.append("/".join(node.name.rsplit("/", 2)[1:]))
        return out

    def project_node(self, project: str) -> Node | None:
        node_id = self.by_short.get(f"projects/{project}")
        return self.nodes.get(node_id) if node_id else None

    def enforced(self, resource_id: str, constraint: str) -> str | None:
        """The node whose organization policy enforces a boolean ``constraint`` on ``resource_id``,
        or None: the policy nearest the resource decides; ``restoreDefault`` lifts it."""
        for node_id in reversed(self.chain(resource_id)):
            policy = self.nodes[node_id].org_policies.get(constraint)
            if policy is None:
                continue
            if policy.get("restoreDefault") is not None or policy.get("restore_default") is not None:
                return None
            boolean = policy.get("booleanPolicy") or policy.get("boolean_policy") or {}
            return node_id if boolean.get("enforced") else None
        return None


def _project_ids(assets: Iterable[dict[str, Any]]) -> dict[str, str]:
    """projects/NUMBER -> projects/ID for every project asset."""
    out = {}
    for asset in assets:
        if asset.get("asset_type") == PROJECT:
            data = (asset.get("resource") or {}).get("data") or {}
            number = str(data.get("projectNumber") or asset["name"].rsplit("/", 1)[1])
            project_id = data.get("projectId") or number
            out[f"projects/{number}"] = f"projects/{project_id}"
            out[f"projects/{project_id}"] = f"projects/{project_id}"
    return out


def _node(asset: dict[str, Any], projects: dict[str, str]) -> Node:
    ancestors = [projects.get(a, a) for a in asset.get("ancestors", [])]
    path = list(reversed(ancestors))
    data = (asset.get("resource") or {}).get("data") or {}
    if asset["asset_type"] in CONTAINERS:
        short = projects.get("projects/" + asset["name"].rsplit("/", 1)[1]) if asset["asset_type"] == PROJECT else \
            "/".join(asset["name"].rsplit("/", 2)[1:])
        if not path or path[-1] != short:
            path.append(short)
        node_id = "/".join(path)
        parents = tuple("/".join(path[:i]) for i in range(1, len(path)))
    else:
        node_id = "/".join([*path, asset["name"][2:]])
        parents = tuple("/".join(path[:i]) for i in range(1, len(path) + 1))
    project = next((a.split("/", 1)[1] for a in ancestors if a.startswith("projects/")), "")
    policies = {str(p.get("constraint", "")).removeprefix("constraints/"): p
                for p in asset.get("org_policy") or [] if isinstance(p, dict)}
    return Node(node_id, asset["name"], asset["asset_type"], project, parents, data, policies)


def _attachment(policy_name: str) -> str:
    """``policies/cloudresourcemanager.googleapis.com%2Ffolders%2F4/denypolicies/x`` -> ``folders/4``."""
    attachment = unquote(policy_name.split("/denypolicies/", 1)[0].removeprefix("policies/"))
    return attachment.split("/", 1)[1] if "/" in attachment else attachment


def build_estate(snapshots: list[Snapshot]) -> Estate:
    estate = Estate()
    all_assets = [asset for s in snapshots for asset in s.data.get("assets", {}).values()]
    projects = _project_ids(all_assets)
    for snapshot in snapshots:
        estate.gaps.extend(snapshot.gaps)
        for name, role in snapshot.data.get("roles", {}).items():
            estate.roles[name] = frozenset() if role.get("deleted") else frozenset(role.get("includedPermissions", []))
        for email, members in snapshot.data.get("groups", {}).items():
            estate.groups[email.lower()] = [canonical(m) for m in members]
        estate.groups_read = estate.groups_read or bool(snapshot.data.get("groups_read"))
    for asset in all_assets:
        node = _node(asset, projects)
        known = estate.nodes.get(node.id)
        if known is not None:  # the same asset from two snapshots: the later one's facts
            known.data.update(node.data)
            known.org_policies.update(node.org_policies)
            node = known
        estate.nodes[node.id] = node
        if node.type in CONTAINERS:
            estate.by_short[node.id.rsplit("/", 2)[-2] + "/" + node.id.rsplit("/", 1)[-1]] = node.id
            if node.type == PROJECT:
                number = node.data.get("projectNumber") or node.name.rsplit("/", 1)[1]
                estate.by_short[f"projects/{number}"] = node.id
            if node.type == ORGANIZATION and node.data.get("displayName"):
                estate.domains.add(str(node.data["displayName"]).lower())
        elif node.type == SERVICE_ACCOUNT and node.data.get("email"):
            estate.service_accounts[node.data["email"].lower()] = node
        elif node.type == CUSTOM_ROLE and node.data.get("name"):
            estate.roles.setdefault(node.data["name"], frozenset(() if node.data.get("deleted") else
                                                                 node.data.get("includedPermissions", [])))
        elif node.type == POOL_PROVIDER:
            estate.pool_providers.append(node)
    for snapshot in snapshots:
        for asset in snapshot.data.get("assets", {}).values():
            _bindings(estate, asset, projects, snapshot.source)
        for policy in snapshot.data.get("deny_policies", []):
            _deny_rules(estate, policy, snapshot.source)
    return estate


def _bindings(estate: Estate, asset: dict[str, Any], projects: dict[str, str], source: str) -> None:
    policy = asset.get("iam_policy")
    if not policy:
        return
    node = _node(asset, projects)
    where = f"{asset['name']}.iam_policy"
    out = estate.bindings.setdefault(node.id, [])
    for number, binding in enumerate(policy.get("bindings", [])):
        condition = binding.get("condition") or {}
        expression = condition.get("expression", "")
        role = binding["role"]
        if expression:
            if role in BASIC_ROLES:
                raise InputError(source, f"{where}.bindings[{number}]",
                                 f"{role} is a basic role, which IAM does not grant conditionally")
            try:
                check(expression)
            except ConditionError as error:
                raise InputError(source, f"{where}.bindings[{number}].condition", str(error)) from None
        if role not in estate.roles:
            estate.gaps.append(CoverageGap(PROVIDER, asset["name"], "roles.get",
                                           f"role {role} is not in the export: its binding grants nothing here"))
        members = tuple(canonical(m) for m in binding["members"])
        out.append(Binding(node.id, role, members, expression, condition.get("title", "")))


def _deny_rules(estate: Estate, policy: dict[str, Any], source: str) -> None:
    attachment = _attachment(policy["name"])
    node_id = estate.by_short.get(attachment)
    if node_id is None:
        estate.gaps.append(CoverageGap(PROVIDER, attachment, "policies.list",
                                       f"deny policy {policy['name']} is attached to a node the export lacks"))
        return
    for number, rule in enumerate(policy.get("rules", [])):
        deny = rule["denyRule"]
        condition = (deny.get("denialCondition") or {}).get("expression", "")
        if condition:
            try:
                check(condition)
            except ConditionError as error:
                raise InputError(source, f"{policy['name']}.rules[{number}].denyRule.denialCondition",
                                 str(error)) from None
        estate.deny_rules.append(DenyRule(
            node_id, policy.get("displayName") or policy["name"], number,
            tuple(deny.get("deniedPrincipals", ())), tuple(deny.get("exceptionPrincipals", ())),
            tuple(deny.get("deniedPermissions", ())), tuple(deny.get("exceptionPermissions", ())), condition))
