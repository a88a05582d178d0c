"""The estate the resolver works on: organization tree, accounts, principals and their policies.

Built once from every snapshot of a refresh (docs/aws-export-layout.md, "Snapshot shape"); each
policy document is parsed once (:func:`ciem_aws.policy.document.parse_policy`) and shared by every
principal it is attached to. Malformed input raises :class:`ciem.errors.InputError` naming the
snapshot source and the JSON path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ciem.errors import InputError
from ciem.model import CoverageGap, Snapshot

from ciem_aws import PROVIDER
from ciem_aws.policy.document import Policy, parse_policy

SERVICE_LINKED_PATH = "/aws-service-role/"


@dataclass
class Principal:
    """An IAM user or role, or an account's root user (kind ``root``)."""

    arn: str
    kind: str  # "user", "role", "root"
    name: str
    account: str
    unique_id: str = ""
    path: str = "/"
    tags: dict[str, str] = field(default_factory=dict)
    policies: list[Policy] = field(default_factory=list)  # inline, managed (default version), groups'
    boundary: Policy | None = None
    groups: tuple[str, ...] = ()  # group ARNs
    managed_arns: tuple[str, ...] = ()  # managed policies attached directly or through a group
    trust: Policy | None = None  # roles only
    instance_profiles: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def service_linked(self) -> bool:
        return self.kind == "role" and self.path.startswith(SERVICE_LINKED_PATH)


@dataclass
class Group:
    arn: str
    name: str
    account: str
    unique_id: str
    policies: list[Policy]
    managed_arns: tuple[str, ...]
    members: list[str] = field(default_factory=list)


@dataclass
class Account:
    id: str
    path: tuple[str, ...] = ()  # org root id, OU ids ..., from the top down (not the account itself)
    scp_levels: list[list[Policy]] = field(default_factory=list)  # root first, the account's own last
    rcp_levels: list[list[Policy]] = field(default_factory=list)
    management: bool = False
    collected: bool = False
    credential_report: dict[str, dict[str, str]] = field(default_factory=dict)  # by user ARN
    saml_providers: list[str] = field(default_factory=list)
    oidc_providers: list[str] = field(default_factory=list)
    resources: dict[str, Any] = field(default_factory=dict)
    source: str = ""


@dataclass
class Estate:
    accounts: dict[str, Account] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    managed: dict[str, Policy] = field(default_factory=dict)  # policy ARN -> default version
    other_versions: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)  # ARN -> [(version id, document)]
    org_id: str = ""
    org_nodes: dict[str, str] = field(default_factory=dict)  # root / OU id -> name
    gaps: list[CoverageGap] = field(default_factory=list)

    def collected_accounts(self) -> list[Account]:
        return [account for account in self.accounts.values() if account.collected]

    def in_organization(self, account: str) -> bool | None:
        """Whether an account belongs to the collected organization; None without organization data."""
        if not self.org_id:
            return None
        info = self.accounts.get(account)
        return info is not None and (bool(info.path) or info.management)

    def org_paths(self, account: str) -> str | None:
        """The aws:PrincipalOrgPaths value of an account: ``o-x/r-x/ou-x/.../``."""
        info = self.accounts.get(account)
        if not self.org_id or info is None or not info.path:
            return None
        return "/".join((self.org_id, *info.path)) + "/"


def _tags(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return {str(t.get("Key")): str(t.get("Value", "")) for t in raw if isinstance(t, dict)}
    return {}


def _require(item: Any, key: str, source: str, where: str) -> Any:
    if not isinstance(item, dict) or key not in item:
        raise InputError(source, where, f"missing {key}")
    return item[key]


def account_of_arn(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


class _Builder:
    def __init__(self) -> None:
        self.estate = Estate()
        self.groups_by_name: dict[tuple[str, str], Group] = {}

    # -- organization -------------------------------------------------------------------------
    def organization(self, org: dict[str, Any], source: str) -> None:
        estate = self.estate
        description = org.get("organization") or {}
        description = description.get("Organization", description)
        estate.org_id = description.get("Id", "")
        management = description.get("MasterAccountId") or description.get("ManagementAccountId") or ""
        parents: dict[str, str] = {}
        for index, ou in enumerate(org.get("organizational_units") or []):
            where = f"$.organization.organizational_units[{index}]"
            parents[_require(ou, "Id", source, where)] = _require(ou, "ParentId", source, where)
            estate.org_nodes[ou["Id"]] = ou.get("Name", ou["Id"])
        for root in org.get("roots") or []:
            estate.org_nodes[root.get("Id", "")] = root.get("Name", "Root")
        for index, item in enumerate(org.get("accounts") or []):
            account_id = _require(item, "Id", source, f"$.organization.accounts[{index}]")
            estate.accounts.setdefault(account_id, Account(account_id))
        for account_id, parent in (org.get("account_parents") or {}).items():
            chain: list[str] = []
            node = parent
            while node:
                if node in chain:
                    raise InputError(source, f"$.organization.account_parents.{account_id}", "OU parents form a cycle")
                chain.append(node)
                node = parents.get(node, "")
            account = estate.accounts.setdefault(account_id, Account(account_id))
            account.path = tuple(reversed(chain))
        if management:
            estate.accounts.setdefault(management, Account(management)).management = True
        by_target: dict[tuple[str, str], list[Policy]] = {}
        for index, item in enumerate(org.get("policies") or []):
            where = f"$.organization.policies[{index}]"
            summary = _require(item, "summary", source, where)
            kind = summary.get("Type", "SERVICE_CONTROL_POLICY")
            prefix = {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp"}.get(kind)
            if prefix is None:
                continue
            policy = parse_policy(_require(item, "document", source, where),
                                  f"{prefix}:{summary.get('Id') or summary.get('Name')}", source, f"{where}.document")
            for target in item.get("targets") or []:
                by_target.setdefault((prefix, target.get("TargetId", "")), []).append(policy)
        for account in estate.accounts.values():
            for prefix, levels in (("scp", account.scp_levels), ("rcp", account.rcp_levels)):
                if not any(key[0] == prefix for key in by_target):
                    continue  # this policy type is not enabled (or was not collected)
                for node in (*account.path, account.id):
                    attached = by_target.get((prefix, node))
                    if attached:
                        levels.append(attached)
                    elif account.path:
                        # AWS keeps at least one policy on every node once the type is enabled: the
                        # export lacks its targets. Skipped (not read as "deny everything") and reported.
                        self.gap(account.id, "organizations:ListPoliciesForTarget",
                                 f"no {prefix.upper()} attached to {node} in the export; that level is not applied")

    # -- accounts --------------------------------------------------------------------------------
    def policies(self, account_id: str, data: dict[str, Any], source: str) -> None:
        """Managed policies first, for every account: any account's principals may attach them."""
        details = data.get("authorization_details") or {}
        for index, item in enumerate(details.get("Policies") or []):
            self.managed_policy(item, source, f"$.accounts.{account_id}.authorization_details.Policies[{index}]")

    def account(self, account_id: str, data: dict[str, Any], source: str) -> None:
        base = f"$.accounts.{account_id}"
        account = self.estate.accounts.setdefault(account_id, Account(account_id))
        account.collected = True
        account.source = source
        account.resources = data.get("resources") or {}
        for row in data.get("credential_report") or []:
            account.credential_report[row.get("arn", "")] = row
        account.saml_providers = [p.get("Arn", "") for p in data.get("saml_providers") or [] if isinstance(p, dict)]
        account.oidc_providers = [p.get("Arn", "") for p in data.get("oidc_providers") or [] if isinstance(p, dict)]
        details = data.get("authorization_details") or {}
        for index, item in enumerate(details.get("GroupDetailList") or []):
            self.group(account_id, item, source, f"{base}.authorization_details.GroupDetailList[{index}]")
        for index, item in enumerate(details.get("UserDetailList") or []):
            self.user(account_id, item, source, f"{base}.authorization_details.UserDetailList[{index}]")
        for index, item in enumerate(details.get("RoleDetailList") or []):
            self.role(account_id, item, source, f"{base}.authorization_details.RoleDetailList[{index}]")
        root_arn = f"arn:aws:iam::{account_id}:root"
        self.estate.principals[root_arn] = Principal(root_arn, "root", "root", account_id, unique_id=account_id)

    def managed_policy(self, item: dict[str, Any], source: str, where: str) -> None:
        arn = _require(item, "Arn", source, where)
        default = item.get("DefaultVersionId")
        found = False
        for index, version in enumerate(item.get("PolicyVersionList") or []):
            document = _require(version, "Document", source, f"{where}.PolicyVersionList[{index}]")
            if version.get("IsDefaultVersion") or version.get("VersionId") == default:
                self.estate.managed[arn] = parse_policy(document, arn, source, f"{where}.PolicyVersionList[{index}].Document")
                found = True
            else:
                self.estate.other_versions.setdefault(arn, []).append((version.get("VersionId", str(index)), document))
        if not found:
            raise InputError(source, where, "no default policy version")

    def _inline(self, owner_arn: str, items: Iterable[Any], key: str, source: str, where: str) -> list[Policy]:
        out = []
        for index, item in enumerate(items or []):
            name = _require(item, "PolicyName", source, f"{where}.{key}[{index}]")
            out.append(parse_policy(_require(item, "PolicyDocument", source, f"{where}.{key}[{index}]"),
                                    f"inline:{owner_arn}/{name}", source, f"{where}.{key}[{index}].PolicyDocument"))
        return out

    def _attached(self, owner: str, items: Iterable[Any], account: str) -> tuple[list[Policy], tuple[str, ...]]:
        policies, arns = [], []
        for item in items or []:
            arn = item.get("PolicyArn", "")
            arns.append(arn)
            policy = self.estate.managed.get(arn)
            if policy is None:
                self.gap(account, "iam:GetPolicyVersion", f"{owner}: attached policy {arn} was not collected; its permissions are missing")
            else:
                policies.append(policy)
        return policies, tuple(arns)

    def _boundary(self, owner: str, item: dict[str, Any], account: str) -> Policy | None:
        arn = (item.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if not arn:
            return None
        policy = self.estate.managed.get(arn)
        if policy is None:
            # An unknown boundary still caps the principal: treat it as allowing nothing we can show.
            self.gap(account, "iam:GetPolicyVersion", f"{owner}: permissions boundary {arn} was not collected; treated as allowing nothing")
            return Policy(label=arn, version="2012-10-17", statements=())
        return policy

    def group(self, account: str, item: dict[str, Any], source: str, where: str) -> None:
        arn = _require(item, "Arn", source, where)
        policies = self._inline(arn, item.get("GroupPolicyList"), "GroupPolicyList", source, where)
        managed, arns = self._attached(arn, item.get("AttachedManagedPolicies"), account)
        self.groups_by_name[(account, item.get("GroupName", arn.rsplit("/", 1)[-1]))] = self.estate.groups[arn] = Group(arn, item.get("GroupName", arn.rsplit("/", 1)[-1]), account,
                                        item.get("GroupId", ""), policies + managed, arns)

    def user(self, account: str, item: dict[str, Any], source: str, where: str) -> None:
        arn = _require(item, "Arn", source, where)
        policies = self._inline(arn, item.get("UserPolicyList"), "UserPolicyList", source, where)
        managed, arns = self._attached(arn, item.get("AttachedManagedPolicies"), account)
        group_arns = []
        for name in item.get("GroupList") or []:
            group = self.groups_by_name.get((account, name))
            if group is None:
                self.gap(account, "iam:GetGroup", f"{arn}: group {name} was not collected; its permissions are missing")
                continue
            group.members.append(arn)
            group_arns.append(group.arn)
            managed = managed + group.policies
            arns = arns + group.managed_arns
        self.estate.principals[arn] = Principal(
            arn, "user", _require(item, "UserName", source, where), account,
            unique_id=item.get("UserId", ""), path=item.get("Path", "/"), tags=_tags(item.get("Tags")),
            policies=policies + managed, boundary=self._boundary(arn, item, account),
            groups=tuple(group_arns), managed_arns=arns, raw=item)

    def role(self, account: str, item: dict[str, Any], source: str, where: str) -> None:
        arn = _require(item, "Arn", source, where)
        policies = self._inline(arn, item.get("RolePolicyList"), "RolePolicyList", source, where)
        managed, arns = self._attached(arn, item.get("AttachedManagedPolicies"), account)
        trust = parse_policy(_require(item, "AssumeRolePolicyDocument", source, where),
                             f"trust:{arn}", source, f"{where}.AssumeRolePolicyDocument")
        self.estate.principals[arn] = Principal(
            arn, "role", _require(item, "RoleName", source, where), account,
            unique_id=item.get("RoleId", ""), path=item.get("Path", "/"), tags=_tags(item.get("Tags")),
            policies=policies + managed, boundary=self._boundary(arn, item, account), managed_arns=arns,
            trust=trust, instance_profiles=tuple(p.get("Arn", "") for p in item.get("InstanceProfileList") or []),
            raw=item)

    def gap(self, scope: str, operation: str, reason: str) -> None:
        self.estate.gaps.append(CoverageGap(PROVIDER, scope, operation, reason))


def build_estate(snapshots: list[Snapshot]) -> Estate:
    builder = _Builder()
    for snapshot in snapshots:
        org = snapshot.data.get("organization")
        if org and not builder.estate.org_id:
            builder.organization(org, snapshot.source)
    accounts: list[tuple[str, dict[str, Any], str]] = []
    for snapshot in snapshots:
        found = snapshot.data.get("accounts")
        if not isinstance(found, dict):
            raise InputError(snapshot.source, "$.accounts", "must be an object of account ids")
        for account_id, data in found.items():
            if not isinstance(data, dict):
                raise InputError(snapshot.source, f"$.accounts.{account_id}", "must be an object")
            accounts.append((account_id, data, snapshot.source))
        builder.estate.gaps.extend(snapshot.gaps)
    for account_id, data, source in accounts:
        builder.policies(account_id, data, source)
    for account_id, data, source in accounts:
        builder.account(account_id, data, source)
    return builder.estate
