"""An Azure snapshot read into principals, scopes, role definitions and assignments.

Scopes are compared case-insensitively, as ARM compares them. A scope covers itself and everything
below it: the path prefix for subscriptions, resource groups and resources, the management-group
tree (from ``arm/management-groups.json``) for management groups, everything for ``/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

from ciem.errors import InputError
from ciem.model import IdentityKind, Sensitivity

ROOT = "/"
MG_PREFIX = "/providers/microsoft.management/managementgroups/"
EVERYONE = "00000000-0000-0000-0000-000000000000"
TAG_KEYS = ("sensitivity", "data-classification", "classification", "dataclassification")
TAG_LEVELS = {
    "public": Sensitivity.NONE, "none": Sensitivity.NONE,
    "internal": Sensitivity.LOW, "low": Sensitivity.LOW,
    "confidential": Sensitivity.HIGH, "sensitive": Sensitivity.HIGH, "pii": Sensitivity.HIGH, "high": Sensitivity.HIGH,
    "restricted": Sensitivity.CRITICAL, "secret": Sensitivity.CRITICAL, "critical": Sensitivity.CRITICAL,
}
TYPE_DEFAULTS = {"microsoft.keyvault/vaults": Sensitivity.HIGH}


def norm(scope: str) -> str:
    """A scope as compared: lower case, no trailing slash, ``/`` for the root."""
    return scope.strip().rstrip("/").lower() or ROOT


def flat(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row from the CLI (flat) or REST (``properties`` bag) as one flat dict."""
    merged = dict(row)
    properties = row.get("properties")
    if isinstance(properties, dict):
        merged.update(properties)
    return merged


def guid_of(role_definition_id: str) -> str:
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


@dataclass(frozen=True)
class RoleDefinition:
    guid: str
    name: str
    permissions: tuple[Mapping[str, Any], ...]
    builtin: bool


@dataclass(frozen=True)
class Assignment:
    """A role assignment, or (``eligible``) a PIM eligibility schedule, of one principal at one scope."""

    id: str
    principal: str
    principal_type: str
    role: str  # role definition GUID
    scope: str  # as written
    condition: str = ""
    eligible: bool = False
    key: str = ""  # the scope normalised

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", norm(self.scope))


@dataclass(frozen=True)
class DenyAssignment:
    id: str
    name: str
    scope: str
    permissions: tuple[Mapping[str, Any], ...]
    principals: tuple[str, ...]  # object ids; EVERYONE for all principals
    excluded: tuple[str, ...]
    child_scopes: bool  # False when doNotApplyToChildScopes
    condition: str = ""


@dataclass
class Principal:
    id: str  # object id, lower case
    kind: IdentityKind
    name: str
    aliases: tuple[str, ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    app_id: str = ""


@dataclass
class AzureResource:
    id: str  # as written
    type: str
    name: str
    subscription: str
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    identities: tuple[str, ...] = ()  # principal ids of its system- and user-assigned identities

    @property
    def key(self) -> str:
        return norm(self.id)

    def sensitivity(self) -> Sensitivity:
        for key, value in self.tags.items():
            if key.lower() in TAG_KEYS and str(value).strip().lower() in TAG_LEVELS:
                return TAG_LEVELS[str(value).strip().lower()]
        return TYPE_DEFAULTS.get(self.type.lower(), Sensitivity.NONE)


class Estate:
    """Everything one provider's snapshots hold, merged (several exports of one tenant may overlap)."""

    def __init__(self, datas: Iterable[tuple[str, Mapping[str, Any]]], collected_at: datetime | None = None):
        self.tenant = ""
        self.roles: dict[str, RoleDefinition] = {}
        self.assignments: dict[str, Assignment] = {}
        self.denies: dict[str, DenyAssignment] = {}
        self.mg_parent: dict[str, str] = {}  # normalised MG or subscription scope -> parent MG scope
        self.scope_names: dict[str, str] = {}  # normalised scope -> its id as written
        self.principals: dict[str, Principal] = {}
        self.members: dict[str, set[str]] = {}  # group -> direct members
        self.resources: dict[str, AzureResource] = {}
        self.applications: dict[str, dict[str, Any]] = {}  # object id -> application
        self.app_owners: dict[str, set[str]] = {}  # application object id -> owners
        self.sp_owners: dict[str, set[str]] = {}
        self.group_owners: dict[str, set[str]] = {}
        self.directory_role_names: dict[str, str] = {}  # template id -> display name
        self.directory_roles: list[dict[str, Any]] = []  # {principal, role, scope, eligible}
        self.app_roles: list[dict[str, Any]] = []  # Graph app role assignments held by principals
        self.sp_app_roles: dict[str, dict[str, str]] = {}  # resource SP id -> app role id -> value
        self.graph_sp_ids: set[str] = set()
        for source, data in datas:
            self._read(source, data, collected_at)
        self._transitive: dict[str, frozenset[str]] = {}

    # -- reading ------------------------------------------------------------------------------------

    def _read(self, source: str, data: Mapping[str, Any], collected_at: datetime | None) -> None:
        self.tenant = self.tenant or data.get("tenant_id", "")
        for number, raw in enumerate(data.get("role_definitions") or ()):
            row = flat(raw)
            guid = (row.get("name") or guid_of(row.get("id", ""))).lower()
            if not guid:
                raise InputError(source, f"arm/role-definitions.json[{number}]", "a role definition needs a name (its GUID) or id")
            self.roles[guid] = RoleDefinition(guid, row.get("roleName") or guid, tuple(row.get("permissions") or ()),
                                              (row.get("roleType") or row.get("type", "")) == "BuiltInRole")
        for number, raw in enumerate(data.get("role_assignments") or ()):
            assignment = self._assignment(raw, source, f"arm/role-assignments.json[{number}]", False)
            self.assignments.setdefault(assignment.id, assignment)
        for number, raw in enumerate(data.get("role_eligibility") or ()):
            row = flat(raw)
            end = row.get("endDateTime")
            if end and collected_at is not None and _time(end, source, number) < collected_at:
                continue  # an expired eligibility grants nothing
            if row.get("status", "Provisioned") not in ("Provisioned", "Active", "Accepted", "AdminApproved"):
                continue
            assignment = self._assignment(raw, source, f"arm/role-eligibility-schedules.json[{number}]", True)
            self.assignments.setdefault(assignment.id, assignment)
        for number, raw in enumerate(data.get("deny_assignments") or ()):
            row = flat(raw)
            where = f"arm/deny-assignments.json[{number}]"
            if not row.get("scope"):
                raise InputError(source, where, "a deny assignment needs a scope")
            self.denies.setdefault(row.get("id", where).lower(), DenyAssignment(
                id=row.get("id", where), name=row.get("denyAssignmentName") or row.get("name", ""),
                scope=row["scope"], permissions=tuple(row.get("permissions") or ()),
                principals=tuple(p.get("id", "").lower() for p in row.get("principals") or ()),
                excluded=tuple(p.get("id", "").lower() for p in row.get("excludePrincipals") or ()),
                child_scopes=not row.get("doNotApplyToChildScopes", False),
                condition=row.get("condition") or ""))
        for raw in data.get("management_groups") or ():
            row = flat(raw)
            scope = norm(row.get("id", ""))
            self.scope_names.setdefault(scope, row.get("id", ""))
            parent = (row.get("parent") or {}).get("id")
            if parent:
                self.mg_parent[scope] = norm(parent)
        for raw in data.get("subscriptions") or ():
            sub = raw.get("subscriptionId") or raw.get("id", "")
            sub = sub.rsplit("/", 1)[-1]
            self.scope_names.setdefault(norm(f"/subscriptions/{sub}"), f"/subscriptions/{sub}")
            self.scope_names.setdefault(f"name:{sub.lower()}", raw.get("displayName") or raw.get("name") or sub)
        for number, raw in enumerate(data.get("resources") or ()):
            if not raw.get("id") or not raw.get("type"):
                raise InputError(source, f"arm/resources.json[{number}]", "a resource needs an id and a type")
            self._resource(raw)
        self._principals(source, data)

    def _assignment(self, raw: Mapping[str, Any], source: str, where: str, eligible: bool) -> Assignment:
        row = flat(raw)
        for key in ("principalId", "roleDefinitionId", "scope"):
            if not row.get(key):
                raise InputError(source, where, f"missing {key}")
        return Assignment(
            id=(row.get("id") or where).lower(), principal=row["principalId"].lower(),
            principal_type=row.get("principalType", ""), role=guid_of(row["roleDefinitionId"]),
            scope=row["scope"], condition=row.get("condition") or "", eligible=eligible)

    def _resource(self, raw: Mapping[str, Any]) -> None:
        resource_id = raw.get("id", "")
        parts = resource_id.split("/")
        subscription = parts[2].lower() if len(parts) > 2 and parts[1].lower() == "subscriptions" else ""
        identity = raw.get("identity") or {}
        identities = []
        if identity.get("principalId"):
            identities.append(identity["principalId"].lower())
            self._managed_identity(identity["principalId"], raw.get("name", ""), resource_id, "", system=True)
        for uai_id, uai in (identity.get("userAssignedIdentities") or {}).items():
            if uai.get("principalId"):
                identities.append(uai["principalId"].lower())
                self._managed_identity(uai["principalId"], uai_id.rsplit("/", 1)[-1], uai_id, uai.get("clientId", ""))
        resource = AzureResource(resource_id, raw.get("type", ""), raw.get("name", ""), subscription,
                                 dict(raw.get("tags") or {}), dict(raw.get("properties") or {}), tuple(identities))
        self.resources[resource.key] = resource

    def _managed_identity(self, principal_id: str, name: str, resource_id: str, client_id: str, system: bool = False) -> None:
        key = principal_id.lower()
        principal = self.principals.setdefault(key, Principal(key, IdentityKind.MANAGED_IDENTITY, name))
        aliases = [a for a in (resource_id, client_id) if a]
        principal.aliases = tuple(dict.fromkeys(principal.aliases + tuple(aliases)))
        principal.app_id = principal.app_id or client_id
        principal.attributes.setdefault("resource", resource_id)
        principal.attributes.setdefault("system_assigned", system)

    def _principals(self, source: str, data: Mapping[str, Any]) -> None:
        for key, keys in (("users", ("id",)), ("groups", ("id",)), ("applications", ("id",)),
                          ("service_principals", ("id",)),
                          ("directory_role_assignments", ("principalId", "roleDefinitionId")),
                          ("directory_role_eligibility", ("principalId", "roleDefinitionId")),
                          ("app_role_assignments", ("principalId", "resourceId", "appRoleId"))):
            for number, row in enumerate(data.get(key) or ()):
                missing = [k for k in keys if not row.get(k)]
                if missing:
                    raise InputError(source, f"{FILE_OF[key]}[{number}]", f"missing {', '.join(missing)}")
        for row in data.get("users") or ():
            key = row["id"].lower()
            aliases = tuple(a for a in (row.get("userPrincipalName"), row.get("mail")) if a)
            self.principals[key] = Principal(key, IdentityKind.USER, row.get("displayName") or row.get("userPrincipalName") or key,
                                             aliases, {"account_enabled": row.get("accountEnabled", True),
                                                       "user_type": row.get("userType", "Member")})
        for row in data.get("groups") or ():
            key = row["id"].lower()
            self.principals[key] = Principal(key, IdentityKind.GROUP, row.get("displayName") or key,
                                             tuple(a for a in (row.get("mail"),) if a),
                                             {"role_assignable": bool(row.get("isAssignableToRole"))})
        applications_by_app_id = {}
        for row in data.get("applications") or ():
            self.applications[row["id"].lower()] = row
            applications_by_app_id[(row.get("appId") or "").lower()] = row
        for row in data.get("service_principals") or ():
            key = row["id"].lower()
            app_id = row.get("appId") or ""
            managed = row.get("servicePrincipalType") == "ManagedIdentity"
            aliases = [app_id] if app_id else []
            aliases += [name for name in row.get("alternativeNames") or () if name.startswith("/")]
            application = applications_by_app_id.get(app_id.lower())
            if application is not None:
                aliases.append(application["id"])
            existing = self.principals.get(key)
            if existing is not None:
                aliases = list(existing.aliases) + aliases
            principal = Principal(key, IdentityKind.MANAGED_IDENTITY if managed else IdentityKind.SERVICE_ACCOUNT,
                                  row.get("displayName") or key, tuple(dict.fromkeys(aliases)),
                                  existing.attributes if existing else {}, app_id)
            principal.attributes["service_principal_type"] = row.get("servicePrincipalType", "Application")
            # Microsoft's own applications: their service principals take no credentials from a tenant
            principal.attributes["first_party"] = (row.get("appOwnerOrganizationId") or "").lower() == MICROSOFT_TENANT
            if application is not None:
                principal.attributes["application"] = application["id"].lower()
            self.principals[key] = principal
            if app_id.lower() == MICROSOFT_GRAPH_APP_ID:
                self.graph_sp_ids.add(key)
            roles = {role["id"].lower(): role.get("value", "") for role in row.get("appRoles") or () if role.get("id")}
            if roles:
                self.sp_app_roles[key] = roles
        for group, rows in (data.get("group_members") or {}).items():
            self.members.setdefault(group.lower(), set()).update(r["id"].lower() for r in rows if r.get("id"))
        for target, mapping in (("application_owners", self.app_owners), ("service_principal_owners", self.sp_owners),
                                ("group_owners", self.group_owners)):
            for owned, rows in (data.get(target) or {}).items():
                mapping.setdefault(owned.lower(), set()).update(r["id"].lower() for r in rows if r.get("id"))
        for row in data.get("directory_roles") or ():
            for key in (row.get("templateId"), row.get("id")):
                if key:
                    self.directory_role_names[key.lower()] = row.get("displayName", key)
        for eligible, key in ((False, "directory_role_assignments"), (True, "directory_role_eligibility")):
            for row in data.get(key) or ():
                self.directory_roles.append({
                    "principal": row["principalId"].lower(), "role": row["roleDefinitionId"].lower(),
                    "scope": row.get("directoryScopeId") or "/", "eligible": eligible, "id": row.get("id", "")})
        for row in data.get("app_role_assignments") or ():
            self.app_roles.append({"principal": row["principalId"].lower(), "resource": row["resourceId"].lower(),
                                   "role": row["appRoleId"].lower(), "id": row.get("id", "")})

    # -- membership ---------------------------------------------------------------------------------

    def groups_of(self, principal: str) -> frozenset[str]:
        """Every group ``principal`` belongs to, directly or through nested groups."""
        if not self._transitive:
            parents: dict[str, set[str]] = {}
            for group, members in self.members.items():
                for member in members:
                    parents.setdefault(member, set()).add(group)
            for member in parents:
                seen: set[str] = set()
                stack = list(parents[member])
                while stack:
                    group = stack.pop()
                    if group not in seen:
                        seen.add(group)
                        stack.extend(parents.get(group, ()))
                self._transitive[member] = frozenset(seen)
            self._transitive[""] = frozenset()
        return self._transitive.get(principal, frozenset())

    def transitive_members(self, group: str) -> set[str]:
        seen: set[str] = set()
        stack = list(self.members.get(group, ()))
        while stack:
            member = stack.pop()
            if member not in seen:
                seen.add(member)
                stack.extend(self.members.get(member, ()))
        return seen

    # -- scopes -------------------------------------------------------------------------------------

    def mg_chain(self, scope: str) -> list[str]:
        """Management groups above ``scope`` (normalised), nearest first."""
        chain = []
        current = scope
        if current.startswith("/subscriptions/"):
            current = "/".join(current.split("/")[:3])
        while current in self.mg_parent and self.mg_parent[current] not in chain:
            current = self.mg_parent[current]
            chain.append(current)
        return chain

    def covers(self, scope: str, target: str, children: bool = True) -> bool:
        """Whether an assignment at ``scope`` applies to ``target`` (both normalised)."""
        if scope == target:
            return True
        if not children:
            return False
        if scope == ROOT:
            return True
        if scope.startswith(MG_PREFIX):
            return scope in self.mg_chain(target)
        return target.startswith(scope + "/")

    def descendant_subscriptions(self, mg: str) -> list[str]:
        return sorted(s for s in self.mg_parent if s.startswith("/subscriptions/") and mg in self.mg_chain(s))

    def descendant_groups(self, mg: str) -> list[str]:
        return sorted(s for s in self.mg_parent if s.startswith(MG_PREFIX) and mg in self.mg_chain(s))

    def selector_patterns(self, scope: str, children: bool = True) -> tuple[str, ...]:
        """Resource-id patterns for what an assignment at ``scope`` covers (compared case-insensitively)."""
        key = norm(scope)
        if not children:
            return (key,)
        if key == ROOT:
            return ("*",)
        if key.startswith(MG_PREFIX):
            patterns = [key] + self.descendant_groups(key)
            for subscription in self.descendant_subscriptions(key):
                patterns += [subscription, subscription + "/*"]
            return tuple(patterns)
        return (key, key + "/*")

    def known_scopes(self) -> list[str]:
        """Every scope the estate names, shallowest first."""
        scopes = {ROOT} | set(self.mg_parent) | set(self.mg_parent.values())
        scopes |= {norm(a.scope) for a in self.assignments.values()}
        scopes |= {norm(d.scope) for d in self.denies.values()}
        scopes |= {r.key for r in self.resources.values()}
        scopes |= {"/".join(r.key.split("/")[:3]) for r in self.resources.values() if r.subscription}
        scopes |= {"/".join(r.key.split("/")[:5]) for r in self.resources.values() if "/resourcegroups/" in r.key}
        scopes = {s for s in scopes if not s.startswith("name:")}
        return sorted(scopes, key=lambda s: (s != ROOT, not s.startswith(MG_PREFIX), len(self.mg_chain(s)), s.count("/"), s))

    def written(self, scope: str) -> str:
        return self.scope_names.get(scope) or (self.resources[scope].id if scope in self.resources else scope)


MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
FILE_OF = {
    "users": "graph/users.json", "groups": "graph/groups.json", "applications": "graph/applications.json",
    "service_principals": "graph/service-principals.json",
    "directory_role_assignments": "graph/directory-role-assignments.json",
    "directory_role_eligibility": "graph/directory-role-eligibility-schedules.json",
    "app_role_assignments": "graph/app-role-assignments.json",
}
MICROSOFT_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"


def _time(text: str, source: str, number: int) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(source, f"arm/role-eligibility-schedules.json[{number}].endDateTime", f"not a time: {text!r}") from None
    if value.tzinfo is None:
        from datetime import timezone
        value = value.replace(tzinfo=timezone.utc)
    return value
