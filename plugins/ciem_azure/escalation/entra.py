"""Microsoft Entra ID: directory roles, object ownership and Microsoft Graph application permissions.

Tenant takeover: an active Global Administrator or Privileged Role Administrator (who can assign
itself Global Administrator), and a service principal holding the Graph application permission
RoleManagement.ReadWrite.Directory (assign itself any directory role) or AppRoleAssignment.ReadWrite.All
(grant itself RoleManagement.ReadWrite.Directory), can do all that a Global Administrator can: reset
any user's password, add a credential to any application or service principal, add members to any
group, and, as a user, elevate access to User Access Administrator at the root scope ``/``
(``Microsoft.Authorization/elevateAccess/Action``), then assign itself any Azure role. Such a
principal is admin-equivalent and a role-assignment writer at ``/``. An eligible (PIM) directory role
gives the same edges, conditional on activation, and no admin-equivalence.

The other directory roles act as the Microsoft Entra built-in roles reference documents: password
resets (Privileged Authentication Administrator for anyone; Helpdesk, Password, User and Authentication
Administrator only for users who hold no directory role, the documented safe subset), credentials
on applications (Application and Cloud Application Administrator), group membership (Groups and
User Administrator, not role-assignable groups). Owners of an application or service principal can
add a credential to it and sign in as its service principal; owners of a group can add themselves.
Managed identities take no added credentials. Roles scoped to an administrative unit or one object
act only there: an application-scoped role reaches that application's service principal; other
scopes are not modelled (no edge).
"""

from __future__ import annotations

from dataclasses import dataclass

from ciem.model import EdgeKind, IdentityKind

from ciem_azure.escalation.base import BLOODHOUND, EscalationContext, EscalationMethod, Writer
from ciem_azure.resolve.evaluate import PIM_KEY

ELEVATE = "Microsoft.Authorization/elevateAccess/Action"
GRAPH_DOCS = "https://learn.microsoft.com/graph/permissions-reference"
ROLES_DOCS = "https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference"


@dataclass(frozen=True)
class DirectoryRole:
    name: str
    takeover: bool = False
    reset: str = ""  # "any" or "unprivileged"
    add_secret: bool = False
    groups: bool = False  # add members to groups that are not role-assignable
    applications: frozenset[str] = frozenset()  # when scoped to applications: their object ids


DIRECTORY_ROLES: dict[str, DirectoryRole] = {
    "62e90394-69f5-4237-9190-012177145e10": DirectoryRole("Global Administrator", takeover=True),
    "e8611ab8-c189-46e8-94e1-60213ab1f814": DirectoryRole("Privileged Role Administrator", takeover=True),
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": DirectoryRole("Privileged Authentication Administrator", reset="any"),
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": DirectoryRole("Helpdesk Administrator", reset="unprivileged"),
    "966707d0-3269-4727-9be2-8c3a10f19b9d": DirectoryRole("Password Administrator", reset="unprivileged"),
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": DirectoryRole("Authentication Administrator", reset="unprivileged"),
    "fe930be7-5e62-47db-91af-98c3a49a38b1": DirectoryRole("User Administrator", reset="unprivileged", groups=True),
    "fdd7a751-b60b-444a-984c-02652fe8fa1c": DirectoryRole("Groups Administrator", groups=True),
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": DirectoryRole("Application Administrator", add_secret=True),
    "158c047a-c907-4556-b7ef-446551a6b5f7": DirectoryRole("Cloud Application Administrator", add_secret=True),
}
# Microsoft Graph application permissions (app role values) and what they lead to.
GRAPH_PERMISSIONS: dict[str, DirectoryRole] = {
    "RoleManagement.ReadWrite.Directory": DirectoryRole("RoleManagement.ReadWrite.Directory", takeover=True),
    "AppRoleAssignment.ReadWrite.All": DirectoryRole("AppRoleAssignment.ReadWrite.All", takeover=True),
    "Application.ReadWrite.All": DirectoryRole("Application.ReadWrite.All", add_secret=True),
    "GroupMember.ReadWrite.All": DirectoryRole("GroupMember.ReadWrite.All", groups=True),
    "Group.ReadWrite.All": DirectoryRole("Group.ReadWrite.All", groups=True),
}
# Well-known app role ids of those permissions, used when the export lacks Graph's service principal.
GRAPH_APP_ROLE_IDS = {
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
    "06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
    "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
    "dbaae8cf-10b5-4b86-a4a1-f871c94c6695": "GroupMember.ReadWrite.All",
    "62a82d76-70ea-41e2-9197-370581804d09": "Group.ReadWrite.All",
}


def _powers(context: EscalationContext) -> list[tuple[str, DirectoryRole, str, bool]]:
    """(principal, power, provenance, eligible) for every directory role and Graph permission held."""
    estate = context.estate
    found = []
    for row in estate.directory_roles:
        role = DIRECTORY_ROLES.get(row["role"])
        if role is None:
            continue
        scope = row["scope"]
        if scope != "/":
            if not (role.add_secret and scope.lower().startswith("/applications/")):
                continue
            role = DirectoryRole(role.name, add_secret=True, applications=frozenset({scope.rsplit("/", 1)[-1].lower()}))
        kind = "eligible (PIM) for" if row["eligible"] else "holds"
        provenance = f"{kind} directory role {role.name} at {scope} ({ROLES_DOCS})"
        for holder in _holders(estate, row["principal"]):
            found.append((holder, role, provenance if holder == row["principal"] else
                          f"{provenance} through group {row['principal']}", row["eligible"]))
    for row in estate.app_roles:
        if row["resource"] not in estate.graph_sp_ids and row["role"] not in GRAPH_APP_ROLE_IDS:
            continue
        value = estate.sp_app_roles.get(row["resource"], {}).get(row["role"]) or GRAPH_APP_ROLE_IDS.get(row["role"], "")
        power = GRAPH_PERMISSIONS.get(value)
        if power is not None:
            found.append((row["principal"], power, f"holds Microsoft Graph application permission {value} ({GRAPH_DOCS})", False))
    return found


def _holders(estate, principal: str) -> list[str]:
    """Who holds a directory role assigned to ``principal``: itself and, for a (role-assignable) group, its members."""
    return [principal, *sorted(estate.transitive_members(principal))]


def _privileged_users(context: EscalationContext) -> set[str]:
    return {holder for row in context.estate.directory_roles for holder in _holders(context.estate, row["principal"])}


class DirectoryTakeover(EscalationMethod):
    """Tenant takeover principals: admin, role-assignment writers at ``/`` (elevate access)."""

    family = "entra-takeover"
    operations = ((ELEVATE, False),)

    def run(self, context: EscalationContext) -> None:
        everything = context.catalog.catalog.all_bits
        for principal, power, provenance, eligible in _powers(context):
            if not power.takeover or principal not in context.principals:
                continue
            keys = (PIM_KEY,) if eligible else ()
            if not eligible:
                context.outcome.admin.setdefault(principal, provenance)
            if context.principals[principal].kind is IdentityKind.USER:
                statement = f"{provenance}; elevate access ({ELEVATE}) to User Access Administrator at /"
                context.writers.setdefault(principal, []).append(Writer("/", keys, (statement,), None))
                context.grant(principal, everything, ("*",), f"can assign itself any role at / ({statement})",
                              keys, potential=True, rbac=True)


class EntraObjects(EscalationMethod):
    """Password resets, added credentials and group membership: edges between Entra objects."""

    family = "entra-objects"

    def run(self, context: EscalationContext) -> None:
        principals = context.principals
        privileged = _privileged_users(context)
        users = [p for p in principals.values() if p.kind is IdentityKind.USER]
        apps = [p for p in principals.values() if p.kind is IdentityKind.SERVICE_ACCOUNT and not p.attributes.get("first_party")]
        groups = [p for p in principals.values() if p.kind is IdentityKind.GROUP]
        for principal, power, provenance, eligible in _powers(context):
            if principal not in principals:
                continue
            keys = (PIM_KEY,) if eligible else ()
            takeover = power.takeover
            via = "takeover+" if takeover and power.name != "Global Administrator" else ""
            if takeover or power.reset:
                for user in users:
                    if takeover or power.reset == "any" or user.id not in privileged:
                        context.edge(principal, user.id, EdgeKind.IMPERSONATE, f"entra:{via}reset-password", (power.name,),
                                     conditions=keys, provenance=(provenance,), reference=BLOODHOUND + "az-reset-password")
            if takeover or power.add_secret:
                for app in apps:
                    if power.applications and app.attributes.get("application") not in power.applications:
                        continue
                    context.edge(principal, app.id, EdgeKind.IMPERSONATE, f"entra:{via}add-credential", (power.name,),
                                 conditions=keys, provenance=(provenance,), reference=BLOODHOUND + "az-add-secret")
            if takeover or power.groups:
                for group in groups:
                    if takeover or not group.attributes.get("role_assignable"):
                        context.edge(principal, group.id, EdgeKind.ESCALATE, f"entra:{via}add-member", (power.name,),
                                     conditions=keys, provenance=(provenance,), reference=BLOODHOUND + "az-add-members")
        self._owners(context)

    @staticmethod
    def _owners(context: EscalationContext) -> None:
        estate = context.estate
        by_application = {p.attributes.get("application"): p for p in context.principals.values()
                          if p.attributes.get("application")}
        owned = [(owners, by_application.get(app), f"owner of application {app}")
                 for app, owners in estate.app_owners.items()]
        owned += [(owners, context.principals.get(sp), f"owner of service principal {sp}")
                  for sp, owners in estate.sp_owners.items()]
        for owners, target, provenance in owned:
            if target is None or target.kind is not IdentityKind.SERVICE_ACCOUNT:
                continue
            for owner in owners:
                context.edge(owner, target.id, EdgeKind.IMPERSONATE, "entra:owner-add-credential", ("owner",),
                             provenance=(provenance,), reference=BLOODHOUND + "az-owns")
        for group, owners in estate.group_owners.items():
            for owner in owners:
                if group in context.principals:
                    context.edge(owner, group, EdgeKind.ESCALATE, "entra:owner-add-member", ("owner",),
                                 provenance=(f"owner of group {group}",), reference=BLOODHOUND + "az-owns")
