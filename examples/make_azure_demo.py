"""Generate examples/azure-demo: the Fabrikam Health demo tenant as an Azure export (docs/azure-export-layout.md).

Usage: python examples/make_azure_demo.py [OUT [ACTIVITY_OUT]] [--roles ROLE_DEFINITIONS_JSON]

The built-in role definitions are copied verbatim from ``az role definition list`` output
(../shared/data/azure/role-definitions.json by default); everything else is made up, with ids derived
from names so that the output is the same on every run. examples/README.md ("Azure demo tenant")
lists the paths the estate holds and those it must not.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROLES_DEFAULT = HERE.parent.parent / "shared" / "data" / "azure" / "role-definitions.json"
TENANT = "7f3c1a52-0d4e-4b6a-9c1e-fab0000a11ce"
DOMAIN = "fabrikamhealth.example"
PROD = "5a1e0001-0000-4000-8000-00000000a001"
DEV = "5a1e0002-0000-4000-8000-00000000a002"
COLLECTED = "2026-11-20T08:00:00+00:00"
BUILT_INS = ("Owner", "Contributor", "Reader", "User Access Administrator", "Virtual Machine Contributor",
             "Automation Contributor", "Storage Blob Data Reader", "Storage Account Contributor",
             "Key Vault Contributor", "Key Vault Secrets User", "Role Based Access Control Administrator")
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_ROLES = {"AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
               "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
               "User.Read.All": "df021288-bdef-4463-88db-98f22de89214"}
DIRECTORY_ROLES = {"Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
                   "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
                   "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"}


def oid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://{DOMAIN}/{name}"))


def sub(subscription: str) -> str:
    return f"/subscriptions/{subscription}"


def rg(subscription: str, group: str) -> str:
    return f"{sub(subscription)}/resourceGroups/{group}"


def mg(name: str) -> str:
    return f"/providers/Microsoft.Management/managementGroups/{name}"


ROLE_ID = {}  # role name -> GUID, filled from the definitions


def role_definition_id(role: str, scope_subscription: str = PROD) -> str:
    return f"{sub(scope_subscription)}/providers/Microsoft.Authorization/roleDefinitions/{ROLE_ID[role]}"


def user(name: str, display: str) -> dict:
    return {"id": oid("user/" + name), "displayName": display, "userPrincipalName": f"{name}@{DOMAIN}",
            "mail": f"{name}@{DOMAIN}", "accountEnabled": True, "userType": "Member"}


USERS = [user("alice", "Alice Admin"), user("bob", "Bob Batch"), user("carol", "Carol Locked"),
         user("dave", "Dave Ops"), user("erin", "Erin Delegate"), user("frank", "Frank Oncall"),
         user("grace", "Grace Helpdesk"), user("heidi", "Heidi Billing"), user("ivan", "Ivan Vault"),
         user("judy", "Judy Reports"), user("mallory", "Mallory Dev"), user("oscar", "Oscar Standby"),
         user("peggy", "Peggy Operator"), user("breakglass", "Break Glass")]
U = {u["userPrincipalName"].split("@")[0]: u["id"] for u in USERS}
GROUPS = [{"id": oid("group/platform-admins"), "displayName": "platform-admins", "isAssignableToRole": False},
          {"id": oid("group/ops-team"), "displayName": "ops-team", "isAssignableToRole": False}]
G = {g["displayName"]: g["id"] for g in GROUPS}

UAI = f"{rg(PROD, 'rg-ops')}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-deployer"
MI = {"vm-batch": oid("mi/vm-batch"), "vm-locked": oid("mi/vm-locked"), "uai-deployer": oid("mi/uai-deployer"),
      "la-sync": oid("mi/la-sync"), "app-dev": oid("mi/app-dev"), "aks-kubelet": oid("mi/aks-kubelet")}
APPS = {"billing-app": oid("app/billing-app"), "reporting-app": oid("app/reporting-app"), "ci-deployer": oid("app/ci-deployer")}
APP_IDS = {name: oid("appid/" + name) for name in APPS}
SPS = {name: oid("sp/" + name) for name in APPS}
GRAPH_SP = oid("sp/microsoft-graph")

VM_BATCH = f"{rg(PROD, 'rg-app')}/providers/Microsoft.Compute/virtualMachines/vm-batch"
VM_LOCKED = f"{rg(PROD, 'rg-locked')}/providers/Microsoft.Compute/virtualMachines/vm-locked"
STORAGE = f"{rg(PROD, 'rg-app')}/providers/Microsoft.Storage/storageAccounts/stpatientdata"
KV_POLICY = f"{rg(PROD, 'rg-app')}/providers/Microsoft.KeyVault/vaults/kv-legacy"
KV_RBAC = f"{rg(PROD, 'rg-app')}/providers/Microsoft.KeyVault/vaults/kv-rbac"
AUTOMATION = f"{rg(PROD, 'rg-ops')}/providers/Microsoft.Automation/automationAccounts/aa-ops"
LOGIC = f"{rg(PROD, 'rg-ops')}/providers/Microsoft.Logic/workflows/la-sync"
WEBAPP = f"{rg(DEV, 'rg-dev')}/providers/Microsoft.Web/sites/app-dev"
AKS = f"{rg(DEV, 'rg-dev')}/providers/Microsoft.ContainerService/managedClusters/aks-dev"


def resources() -> list[dict]:
    def res(rid, kind, identity=None, properties=None, tags=None):
        row = {"id": rid, "name": rid.rsplit("/", 1)[-1], "type": kind, "location": "westeurope",
               "subscriptionId": rid.split("/")[2], "resourceGroup": rid.split("/")[4], "tags": tags or {},
               "properties": properties or {}}
        if identity:
            row["identity"] = identity
        return row

    system = lambda name: {"type": "SystemAssigned", "principalId": MI[name], "tenantId": TENANT}
    return [
        res(VM_BATCH, "Microsoft.Compute/virtualMachines", system("vm-batch")),
        res(VM_LOCKED, "Microsoft.Compute/virtualMachines", system("vm-locked")),
        res(STORAGE, "Microsoft.Storage/storageAccounts", properties={"allowSharedKeyAccess": True},
            tags={"data-classification": "confidential"}),
        res(KV_POLICY, "Microsoft.KeyVault/vaults", properties={
            "enableRbacAuthorization": False, "tenantId": TENANT,
            "accessPolicies": [{"tenantId": TENANT, "objectId": SPS["billing-app"],
                                "permissions": {"secrets": ["get", "list"], "keys": [], "certificates": []}}]}),
        res(KV_RBAC, "Microsoft.KeyVault/vaults", properties={"enableRbacAuthorization": True, "tenantId": TENANT,
                                                              "accessPolicies": []}),
        res(UAI, "Microsoft.ManagedIdentity/userAssignedIdentities",
            properties={"principalId": MI["uai-deployer"], "clientId": oid("client/uai-deployer"), "tenantId": TENANT}),
        res(AUTOMATION, "Microsoft.Automation/automationAccounts", {
            "type": "UserAssigned", "userAssignedIdentities": {
                UAI: {"principalId": MI["uai-deployer"], "clientId": oid("client/uai-deployer")}}}),
        res(LOGIC, "Microsoft.Logic/workflows", system("la-sync")),
        res(WEBAPP, "Microsoft.Web/sites", system("app-dev")),
        res(AKS, "Microsoft.ContainerService/managedClusters", {"type": "SystemAssigned", "principalId": oid("mi/aks-control")},
            properties={"identityProfile": {"kubeletidentity": {"objectId": MI["aks-kubelet"], "clientId": oid("client/aks-kubelet"),
                        "resourceId": f"{rg(DEV, 'MC_rg-dev_aks-dev')}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aks-dev-agentpool"}}}),
    ]


def assignment(name: str, principal: str, principal_type: str, role: str, scope: str, condition: str | None = None) -> dict:
    scope_sub = scope.split("/")[2] if scope.startswith("/subscriptions/") else PROD
    row = {"id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{oid('ra/' + name)}",
           "name": oid("ra/" + name), "principalId": principal, "principalType": principal_type,
           "roleDefinitionId": role_definition_id(role, scope_sub), "roleDefinitionName": role, "scope": scope,
           "type": "Microsoft.Authorization/roleAssignments", "condition": condition,
           "conditionVersion": "2.0" if condition else None}
    if "/resourceGroups/" in scope:
        row["resourceGroup"] = scope.split("/")[4]
    return row


ERIN_CONDITION = ("((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
                  "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals "
                  "{2a2b9908-6ea1-4ae2-8e65-a410df84e7d1}))")


def role_assignments() -> list[dict]:
    return [
        assignment("bob-vmc", U["bob"], "User", "Virtual Machine Contributor", rg(PROD, "rg-app")),
        assignment("carol-vmc", U["carol"], "User", "Virtual Machine Contributor", rg(PROD, "rg-locked")),
        assignment("platform-automation", G["platform-admins"], "Group", "Automation Contributor", rg(PROD, "rg-ops")),
        assignment("uai-owner", MI["uai-deployer"], "ServicePrincipal", "Owner", sub(PROD)),
        assignment("vm-batch-blob", MI["vm-batch"], "ServicePrincipal", "Storage Blob Data Reader", STORAGE),
        assignment("erin-rbac", U["erin"], "User", "Role Based Access Control Administrator", rg(DEV, "rg-dev"), ERIN_CONDITION),
        assignment("billing-contributor", SPS["billing-app"], "ServicePrincipal", "Contributor", rg(DEV, "rg-dev")),
        assignment("ivan-kv-legacy", U["ivan"], "User", "Key Vault Contributor", KV_POLICY),
        assignment("ivan-kv-rbac", U["ivan"], "User", "Key Vault Contributor", KV_RBAC),
        assignment("judy-reader", U["judy"], "User", "Reader", sub(PROD)),
        assignment("judy-storage", U["judy"], "User", "Storage Account Contributor", STORAGE),
        assignment("mallory-contributor", U["mallory"], "User", "Contributor", sub(DEV)),
        assignment("peggy-operator", U["peggy"], "User", "VM Operator (no code)", rg(PROD, "rg-app")),
        assignment("la-sync-reader", MI["la-sync"], "ServicePrincipal", "Reader", sub(PROD)),
        assignment("app-dev-contributor", MI["app-dev"], "ServicePrincipal", "Contributor", rg(DEV, "rg-dev")),
        assignment("kubelet-reader", MI["aks-kubelet"], "ServicePrincipal", "Reader", rg(DEV, "rg-dev")),
        assignment("root-reader", U["judy"], "User", "Reader", mg(TENANT)),
    ]


def custom_roles() -> list[dict]:
    return [{
        "assignableScopes": [sub(PROD)], "description": "Start, stop and resize VMs; no run command, no extensions",
        "id": f"{sub(PROD)}/providers/Microsoft.Authorization/roleDefinitions/{ROLE_ID['VM Operator (no code)']}",
        "name": ROLE_ID["VM Operator (no code)"],
        "permissions": [{"actions": ["Microsoft.Compute/virtualMachines/*"],
                         "notActions": ["Microsoft.Compute/virtualMachines/runCommand/action",
                                        "Microsoft.Compute/virtualMachines/runCommands/*",
                                        "Microsoft.Compute/virtualMachines/extensions/*"],
                         "dataActions": [], "notDataActions": [], "condition": None, "conditionVersion": None}],
        "roleName": "VM Operator (no code)", "roleType": "CustomRole", "type": "Microsoft.Authorization/roleDefinitions"}]


def deny_assignments() -> dict:
    return {"value": [{
        "id": f"{rg(PROD, 'rg-locked')}/providers/Microsoft.Authorization/denyAssignments/{oid('deny/locked')}",
        "name": oid("deny/locked"), "type": "Microsoft.Authorization/denyAssignments",
        "properties": {
            "denyAssignmentName": "rg-locked: no code execution", "description": "Deployment stack deny settings",
            "permissions": [{"actions": ["Microsoft.Compute/virtualMachines/*"],
                             "notActions": ["Microsoft.Compute/virtualMachines/read"],
                             "dataActions": [], "notDataActions": []}],
            "scope": rg(PROD, "rg-locked"), "doNotApplyToChildScopes": False,
            "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
            "excludePrincipals": [{"id": U["breakglass"], "type": "User"}], "isSystemProtected": True}}]}


def eligibility() -> dict:
    return {"value": [{
        "id": f"{sub(DEV)}/providers/Microsoft.Authorization/roleEligibilitySchedules/{oid('pim/frank')}",
        "name": oid("pim/frank"), "type": "Microsoft.Authorization/roleEligibilitySchedules",
        "properties": {"principalId": U["frank"], "principalType": "User", "roleDefinitionId": role_definition_id("Owner", DEV),
                       "scope": sub(DEV), "memberType": "Direct", "status": "Provisioned",
                       "startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"}}]}


def hierarchy() -> list[dict]:
    def entity(eid, kind, display, parent):
        return {"id": eid, "name": eid.rsplit("/", 1)[-1], "type": kind, "displayName": display,
                "parent": {"id": parent} if parent else None}

    return [entity(mg(TENANT), "Microsoft.Management/managementGroups", "Tenant Root Group", None),
            entity(mg("mg-prod"), "Microsoft.Management/managementGroups", "Production", mg(TENANT)),
            entity(mg("mg-dev"), "Microsoft.Management/managementGroups", "Development", mg(TENANT)),
            entity(sub(PROD), "/subscriptions", "fabrikam-prod", mg("mg-prod")),
            entity(sub(DEV), "/subscriptions", "fabrikam-dev", mg("mg-dev"))]


def graph() -> dict[str, object]:
    sps = [{"id": SPS[name], "appId": APP_IDS[name], "displayName": name, "servicePrincipalType": "Application",
            "alternativeNames": [], "appRoles": []} for name in APPS]
    sps.append({"id": GRAPH_SP, "appId": GRAPH_APP_ID, "displayName": "Microsoft Graph", "servicePrincipalType": "Application",
                "appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
                "alternativeNames": [], "appRoles": [{"id": rid, "value": value, "allowedMemberTypes": ["Application"]}
                                                     for value, rid in GRAPH_ROLES.items()]})
    for name, principal in MI.items():
        resource = {"vm-batch": VM_BATCH, "vm-locked": VM_LOCKED, "uai-deployer": UAI, "la-sync": LOGIC,
                    "app-dev": WEBAPP}.get(name)
        sps.append({"id": principal, "appId": oid("client/" + name), "displayName": name,
                    "servicePrincipalType": "ManagedIdentity",
                    "alternativeNames": [f"isExplicit={'True' if name == 'uai-deployer' else 'False'}"] + ([resource] if resource else []),
                    "appRoles": []})

    def owner(kind: str, ident: str) -> dict:
        return {"@odata.type": f"#microsoft.graph.{kind}", "id": ident}

    def member(kind, ident):
        return owner(kind, ident)

    directory_assignments = [
        {"id": oid("dra/alice"), "principalId": U["alice"], "roleDefinitionId": DIRECTORY_ROLES["Global Administrator"], "directoryScopeId": "/"},
        {"id": oid("dra/grace"), "principalId": U["grace"], "roleDefinitionId": DIRECTORY_ROLES["Helpdesk Administrator"], "directoryScopeId": "/"},
    ]
    return {
        "users.json": {"value": USERS},
        "groups.json": {"value": GROUPS},
        "group-members.json": {G["platform-admins"]: [member("group", G["ops-team"])],
                               G["ops-team"]: [member("user", U["dave"])]},
        "service-principals.json": {"value": sps},
        "applications.json": {"value": [{"id": APPS[name], "appId": APP_IDS[name], "displayName": name,
                                         "passwordCredentials": [], "keyCredentials": []} for name in APPS]},
        "application-owners.json": {APPS["billing-app"]: [owner("user", U["heidi"])]},
        "service-principal-owners.json": {},
        "group-owners.json": {},
        "directory-role-definitions.json": {"value": [{"id": rid, "templateId": rid, "displayName": name, "isBuiltIn": True}
                                                      for name, rid in DIRECTORY_ROLES.items()]},
        "directory-role-assignments.json": {"value": directory_assignments},
        "directory-role-eligibility-schedules.json": {"value": [
            {"id": oid("dre/oscar"), "principalId": U["oscar"], "roleDefinitionId": DIRECTORY_ROLES["Global Administrator"],
             "directoryScopeId": "/", "memberType": "Direct", "status": "Provisioned"}]},
        "app-role-assignments.json": {"value": [
            {"id": oid("ara/ci"), "principalId": SPS["ci-deployer"], "principalType": "ServicePrincipal",
             "resourceId": GRAPH_SP, "appRoleId": GRAPH_ROLES["AppRoleAssignment.ReadWrite.All"]},
            {"id": oid("ara/reporting"), "principalId": SPS["reporting-app"], "principalType": "ServicePrincipal",
             "resourceId": GRAPH_SP, "appRoleId": GRAPH_ROLES["Application.ReadWrite.All"]},
            {"id": oid("ara/billing"), "principalId": SPS["billing-app"], "principalType": "ServicePrincipal",
             "resourceId": GRAPH_SP, "appRoleId": GRAPH_ROLES["User.Read.All"]}]},
    }


def operations() -> list[dict]:
    """The ``az provider operation list`` entries of the operations the demo's activity and paths use."""
    def provider(namespace, ops):
        return {"id": f"/providers/Microsoft.Authorization/providerOperations/{namespace}", "name": namespace,
                "displayName": namespace, "type": "Microsoft.Authorization/providerOperations",
                "operations": [{"name": f"{namespace}/{name}", "isDataAction": data, "displayName": name,
                                "description": name, "origin": "user,system"} for name, data in ops],
                "resourceTypes": []}

    return [provider("Microsoft.Storage", [("storageAccounts/listKeys/action", False), ("storageAccounts/read", False),
                                           ("storageAccounts/blobServices/containers/blobs/read", True)]),
            provider("Microsoft.Compute", [("virtualMachines/read", False), ("virtualMachines/start/action", False),
                                           ("virtualMachines/restart/action", False), ("virtualMachines/deallocate/action", False),
                                           ("virtualMachines/runCommand/action", False)]),
            provider("Microsoft.Web", [("sites/read", False), ("sites/write", False), ("sites/restart/action", False)])]


def activity_events() -> list[dict]:
    """What ``az monitor activity-log list`` prints for the demo identities' recent operations."""
    def event(who: str, operation: str, resource: str, day: int, status: str = "Succeeded") -> dict:
        number = oid(f"event/{who}/{operation}/{resource}/{day}/{status}")
        return {"caller": f"{who}@{DOMAIN}" if who in U else who,
                "claims": {"http://schemas.microsoft.com/identity/claims/objectidentifier": U.get(who) or MI.get(who) or SPS.get(who)},
                "operationName": {"value": operation, "localizedValue": operation}, "resourceId": resource,
                "eventTimestamp": f"2026-11-{day:02d}T09:00:00Z", "status": {"value": status, "localizedValue": status},
                "category": {"value": "Administrative"}, "eventDataId": number, "correlationId": number,
                "subscriptionId": resource.split("/")[2]}

    return [
        event("bob", "Microsoft.Compute/virtualMachines/start/action", VM_BATCH, 3),
        event("bob", "Microsoft.Compute/virtualMachines/restart/action", VM_BATCH, 12),
        event("bob", "Microsoft.Compute/virtualMachines/runCommand/action", VM_BATCH, 12, "Started"),
        event("bob", "Microsoft.Compute/virtualMachines/runCommand/action", VM_BATCH, 12, "Failed"),
        event("judy", "Microsoft.Storage/storageAccounts/listKeys/action", STORAGE, 15),
        event("mallory", "Microsoft.Web/sites/restart/action", WEBAPP, 18),
        event("billing-app", "Microsoft.Web/sites/write", WEBAPP, 19),
    ]


def write(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def generate(out: Path, roles_path: Path = ROLES_DEFAULT) -> None:
    builtins = [r for r in json.loads(roles_path.read_text(encoding="utf-8")) if r["roleName"] in BUILT_INS]
    ROLE_ID.update({r["roleName"]: r["name"] for r in builtins})
    ROLE_ID["VM Operator (no code)"] = oid("role/vm-operator")
    write(out / "manifest.json", {"provider": "azure", "tenantId": TENANT, "collectedAt": COLLECTED, "gaps": []})
    write(out / "arm/role-definitions.json", sorted(builtins, key=lambda r: r["roleName"]) + custom_roles())
    write(out / "arm/role-assignments.json", role_assignments())
    write(out / "arm/deny-assignments.json", deny_assignments())
    write(out / "arm/role-eligibility-schedules.json", eligibility())
    write(out / "arm/management-groups.json", hierarchy())
    write(out / "arm/subscriptions.json", [{"id": PROD, "name": "fabrikam-prod", "tenantId": TENANT, "state": "Enabled"},
                                           {"id": DEV, "name": "fabrikam-dev", "tenantId": TENANT, "state": "Enabled"}])
    write(out / "arm/resources.json", {"data": resources()})
    write(out / "arm/provider-operations.json", operations())
    for name, value in graph().items():
        write(out / "graph" / name, value)


def generate_activity(out: Path) -> None:
    """The demo's Activity Log export (examples/azure-demo-activity)."""
    write(out / "activity-log.json", activity_events())


if __name__ == "__main__":
    args = [a for a in sys.argv[1:]]
    roles = ROLES_DEFAULT
    if "--roles" in args:
        roles = Path(args[args.index("--roles") + 1])
        del args[args.index("--roles"):args.index("--roles") + 2]
    generate(Path(args[0]) if args else HERE / "azure-demo", roles)
    generate_activity(Path(args[1]) if len(args) > 1 else HERE / "azure-demo-activity")
