"""A small in-memory Azure tenant for tests: the export's rows, built by name."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timezone

from ciem.index import EffectiveAccessIndex
from ciem.model import EvaluationRequest, Resolution, Snapshot

from ciem_azure.collect.export import FILES
from ciem_azure.resolve import explain, resolve

EVERYONE = "00000000-0000-0000-0000-000000000000"
SUB = "/subscriptions/11111111-1111-1111-1111-111111111111"
RG = SUB + "/resourceGroups/rg1"
VM = RG + "/providers/Microsoft.Compute/virtualMachines/vm1"
MG_ROOT = "/providers/Microsoft.Management/managementGroups/root-mg"
# The operations the tests name, as `az provider operation list` would list them (the catalog's source).
OPERATIONS = {
    "Microsoft.Compute": [("virtualMachines/read", False), ("virtualMachines/write", False),
                          ("virtualMachines/runCommand/action", False), ("virtualMachines/extensions/write", False)],
    "Microsoft.Storage": [("storageAccounts/read", False), ("storageAccounts/listKeys/action", False),
                          ("storageAccounts/blobServices/containers/blobs/read", True),
                          ("storageAccounts/blobServices/containers/blobs/write", True),
                          ("storageAccounts/blobServices/containers/blobs/delete", True)],
    "Microsoft.Authorization": [("roleAssignments/write", False), ("roleAssignments/read", False)],
    "Microsoft.Resources": [("tags/write", False)],
}


def oid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, name + ".test"))


class Tenant:
    def __init__(self):
        self.data = {key: ({} if shape == "members" else []) for key, (_p, _r, shape) in FILES.items()}
        self.data["tenant_id"] = oid("tenant")
        self.data["operations"] = [{"name": namespace, "operations": [{"name": f"{namespace}/{name}", "isDataAction": data}
                                                                     for name, data in names]}
                                   for namespace, names in OPERATIONS.items()]
        self.hierarchy(MG_ROOT, None)
        self.hierarchy(SUB, MG_ROOT)

    # -- ARM ----------------------------------------------------------------------------------------

    def hierarchy(self, scope: str, parent: str | None) -> None:
        self.data["management_groups"].append({"id": scope, "name": scope.rsplit("/", 1)[-1],
                                               "parent": {"id": parent} if parent else None})

    def role(self, name: str, actions=(), not_actions=(), data_actions=(), not_data_actions=()) -> str:
        guid = oid("role/" + name)
        self.data["role_definitions"].append({
            "name": guid, "roleName": name, "roleType": "CustomRole",
            "permissions": [{"actions": list(actions), "notActions": list(not_actions),
                             "dataActions": list(data_actions), "notDataActions": list(not_data_actions)}]})
        return guid

    def builtin(self, definitions: list[dict], name: str) -> str:
        row = next(r for r in definitions if r["roleName"] == name)
        self.data["role_definitions"].append(row)
        return row["name"]

    def assign(self, principal: str, role: str, scope: str, condition: str | None = None, principal_type: str = "User",
               eligible: bool = False) -> None:
        key = "role_eligibility" if eligible else "role_assignments"
        number = len(self.data[key])
        self.data[key].append({"id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{oid(f'{key}{number}')}",
                               "principalId": principal, "principalType": principal_type,
                               "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{role}",
                               "scope": scope, "condition": condition})

    def deny(self, scope: str, actions=(), not_actions=(), principals=(EVERYONE,), excluded=(), children=True,
             condition=None, data_actions=()) -> None:
        number = len(self.data["deny_assignments"])
        self.data["deny_assignments"].append({"id": f"{scope}/providers/Microsoft.Authorization/denyAssignments/d{number}",
                                              "properties": {
            "denyAssignmentName": f"deny{number}", "scope": scope, "doNotApplyToChildScopes": not children,
            "permissions": [{"actions": list(actions), "notActions": list(not_actions), "dataActions": list(data_actions),
                             "notDataActions": []}],
            "principals": [{"id": p} for p in principals], "excludePrincipals": [{"id": p} for p in excluded],
            "condition": condition}})

    def resource(self, resource_id: str, kind: str, identities=(), properties=None, user_assigned=None) -> None:
        row = {"id": resource_id, "name": resource_id.rsplit("/", 1)[-1], "type": kind, "properties": properties or {}}
        if identities:
            row["identity"] = {"type": "SystemAssigned", "principalId": identities[0]}
        if user_assigned:
            row.setdefault("identity", {"type": "UserAssigned"})["userAssignedIdentities"] = user_assigned
        self.data["resources"].append(row)

    # -- Entra ID -----------------------------------------------------------------------------------

    def user(self, name: str) -> str:
        ident = oid("user/" + name)
        self.data["users"].append({"id": ident, "displayName": name, "userPrincipalName": f"{name}@contoso.test"})
        return ident

    def group(self, name: str, members=(), role_assignable=False) -> str:
        ident = oid("group/" + name)
        self.data["groups"].append({"id": ident, "displayName": name, "isAssignableToRole": role_assignable})
        self.data["group_members"][ident] = [{"id": m} for m in members]
        return ident

    def app(self, name: str, owners=(), managed=False, first_party=False) -> str:
        """A service principal (with its application unless managed); returns the service principal's id."""
        sp, app_id = oid("sp/" + name), oid("appid/" + name)
        row = {"id": sp, "appId": app_id, "displayName": name,
               "servicePrincipalType": "ManagedIdentity" if managed else "Application"}
        if first_party:
            row["appOwnerOrganizationId"] = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
        self.data["service_principals"].append(row)
        if not managed:
            self.data["applications"].append({"id": oid("app/" + name), "appId": app_id, "displayName": name})
            self.data["application_owners"][oid("app/" + name)] = [{"id": o} for o in owners]
        return sp

    def directory_role(self, principal: str, template: str, scope: str = "/", eligible: bool = False) -> None:
        key = "directory_role_eligibility" if eligible else "directory_role_assignments"
        self.data[key].append({"principalId": principal, "roleDefinitionId": template, "directoryScopeId": scope})

    def graph_permission(self, principal: str, app_role_id: str) -> None:
        self.data["app_role_assignments"].append({"principalId": principal, "resourceId": oid("sp/graph"),
                                                  "appRoleId": app_role_id})

    # -- results ------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """A new snapshot of the tenant as it is now (a copy: the tenant may change afterwards)."""
        return Snapshot("azure", "test", datetime(2026, 11, 1, tzinfo=timezone.utc), copy.deepcopy(self.data))

    def resolve(self) -> Resolution:
        return resolve([self.snapshot()])

    def index(self) -> EffectiveAccessIndex:
        return EffectiveAccessIndex([self.resolve()])

    def explain(self, principal: str, action: str, resource: str, **context):
        return explain([self.snapshot()], EvaluationRequest(principal, action, resource, context))


def actions_on(index: EffectiveAccessIndex, identity: str, resource: str) -> tuple[set[str], set[str]]:
    """(sure, conditional) operation names, lower-cased, ``identity`` holds on ``resource``."""
    access = index.access_on(identity, resource.lower())
    catalog = index.catalogs["azure"]
    return ({n.lower() for n in catalog.names(access.allowed)}, {n.lower() for n in catalog.names(access.conditional)})


def edges(resolution: Resolution, source: str, target: str) -> list:
    return [e for e in resolution.edges if e.source == source and e.target == target]
