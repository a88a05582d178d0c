"""Live collection drives the real azure-mgmt and azure-core clients against a local HTTPS server
that answers with ARM's and Graph's documented shapes: nextLink paging, 429 with Retry-After, 403."""

from __future__ import annotations

import pytest

from ciem_azure.collect.live import collect
from ciem_azure.resolve import resolve

from azure_server import FakeAzure, StaticToken

SUB_A, SUB_B = "aaaaaaaa-0000-0000-0000-000000000001", "bbbbbbbb-0000-0000-0000-000000000002"
TENANT = "cccccccc-0000-0000-0000-000000000003"
ROOT_MG = "/providers/Microsoft.Management/managementGroups/" + TENANT
VM = f"/subscriptions/{SUB_A}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
KV = f"/subscriptions/{SUB_A}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
RUNNER = "11111111-2222-3333-4444-555555555555"
USER, USER2, MI = "0000000a-0000-0000-0000-00000000000a", "0000000b-0000-0000-0000-00000000000b", "0000000c-0000-0000-0000-00000000000c"
AUTH = "/providers/microsoft.authorization"


def role(guid, name, actions):
    return {"id": f"/subscriptions/{SUB_A}/providers/Microsoft.Authorization/roleDefinitions/{guid}", "name": guid,
            "type": "Microsoft.Authorization/roleDefinitions",
            "properties": {"roleName": name, "type": "CustomRole" if guid == RUNNER else "BuiltInRole",
                           "permissions": [{"actions": actions, "notActions": [], "dataActions": [], "notDataActions": []}],
                           "assignableScopes": ["/"]}}


def assignment(name, principal, role_guid, scope):
    return {"id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}", "name": name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {"principalId": principal, "principalType": "User", "scope": scope,
                           "roleDefinitionId": f"/subscriptions/{SUB_A}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"}}


@pytest.fixture
def azure(tmp_path):
    with FakeAzure(tmp_path) as server:
        server.route("GET", r"/subscriptions", {"value": [
            {"subscriptionId": SUB_A, "displayName": "prod", "tenantId": TENANT, "state": "Enabled"},
            {"subscriptionId": SUB_B, "displayName": "locked", "tenantId": TENANT, "state": "Enabled"}]})
        server.route("POST", r"/providers/microsoft.management/getentities",
                     server.page([{"id": ROOT_MG, "name": TENANT, "type": "Microsoft.Management/managementGroups",
                                   "properties": {"displayName": "Tenant Root Group", "parent": None}}],
                                 "/providers/Microsoft.Management/getEntities/page2"))
        server.route("POST", r"/providers/microsoft.management/getentities/page2", server.page([
            {"id": f"/subscriptions/{SUB_A}", "name": SUB_A, "type": "/subscriptions",
             "properties": {"displayName": "prod", "parent": {"id": ROOT_MG}}}]))
        server.route("GET", rf"/subscriptions/{SUB_A}{AUTH}/roledefinitions",
                     server.page([role(OWNER, "Owner", ["*"])], f"/subscriptions/{SUB_A}/roleDefinitions/page2"))
        server.route("GET", rf"/subscriptions/{SUB_A}/roledefinitions/page2",
                     server.page([role(RUNNER, "runner", ["Microsoft.Compute/virtualMachines/runCommand/action"])]))
        server.route("GET", rf"/subscriptions/{SUB_A}{AUTH}/roleassignments",
                     (429, {"Retry-After": "1"}, {"error": {"code": "TooManyRequests", "message": "slow down"}}),
                     server.page([assignment("ra1", USER, RUNNER, f"/subscriptions/{SUB_A}/resourceGroups/rg")]))
        server.route("GET", rf"/subscriptions/{SUB_B}{AUTH}/roleassignments",
                     (403, {}, {"error": {"code": "AuthorizationFailed", "message": "no access to roleAssignments"}}))
        server.route("GET", rf"/subscriptions/[ab0-9-]+{AUTH}/(roledefinitions|denyassignments|roleeligibilityschedules)",
                     server.page([]))
        server.route("GET", rf"{ROOT_MG.lower()}{AUTH}/roleassignments",
                     server.page([assignment("ra2", USER2, OWNER, ROOT_MG)]))
        server.route("GET", rf"/subscriptions/{SUB_A}/resources", server.page([
            {"id": VM, "name": "vm1", "type": "Microsoft.Compute/virtualMachines", "location": "westeurope",
             "identity": {"type": "SystemAssigned", "principalId": MI, "tenantId": TENANT}},
            {"id": KV, "name": "kv1", "type": "Microsoft.KeyVault/vaults", "location": "westeurope"}]))
        server.route("GET", rf"/subscriptions/{SUB_B}/resources", server.page([]))
        server.route("GET", r"/providers/microsoft.authorization/provideroperations", server.page([
            {"id": "/providers/Microsoft.Authorization/providerOperations/Microsoft.Compute", "name": "Microsoft.Compute",
             "type": "Microsoft.Authorization/providerOperations", "displayName": "Compute",
             "operations": [{"name": "Microsoft.Compute/register/action", "isDataAction": False}],
             "resourceTypes": [{"name": "virtualMachines", "displayName": "Virtual machines", "operations": [
                 {"name": "Microsoft.Compute/virtualMachines/start/action", "isDataAction": False},
                 {"name": "Microsoft.Compute/virtualMachines/runCommand/action", "isDataAction": False}]}]}]))
        server.route("GET", KV.lower(), {"id": KV, "properties": {"enableRbacAuthorization": True, "accessPolicies": []}})
        server.route("GET", r"/v1.0/users", server.page([{"id": USER, "displayName": "u", "userPrincipalName": "u@t.test"}],
                                                        "/v1.0/users/page2", graph=True))
        server.route("GET", r"/v1.0/users/page2", server.page([{"id": USER2, "displayName": "u2",
                                                                "userPrincipalName": "u2@t.test"}], graph=True))
        server.route("GET", r"/v1.0/serviceprincipals", server.page([
            {"id": MI, "appId": "app-mi", "displayName": "vm1", "servicePrincipalType": "ManagedIdentity",
             "alternativeNames": ["isExplicit=False", VM]}]))
        server.route("GET", r"/v1.0/(groups|applications|rolemanagement/directory/\w+)", server.page([]))
        server.route("GET", r"/v1.0/serviceprincipals/[0-9a-f-]+/approleassignments", server.page([]))
        yield server


def test_live_collection_pages_retries_and_records_denied_subscriptions(azure):
    snapshot = collect({"arm_endpoint": azure.base, "graph_endpoint": azure.base, "ca_bundle": str(azure.cert)},
                       lambda *args: None, credential=StaticToken())
    data = snapshot.data
    assert sorted(r["name"] for r in data["role_definitions"]) == sorted([OWNER, RUNNER])  # both pages
    assert {r["name"] for r in data["role_assignments"]} == {"ra1", "ra2"}  # after a 429, and at the management group
    assert [u["id"] for u in data["users"]] == [USER, USER2]  # Graph's @odata.nextLink
    assert [e["id"] for e in data["management_groups"]] == [ROOT_MG, f"/subscriptions/{SUB_A}"]
    assert data["resources"][1]["properties"]["enableRbacAuthorization"] is True
    retried = [r for r in azure.requests if r[1] == f"/subscriptions/{SUB_A}{AUTH}/roleassignments"]
    assert len(retried) == 2
    assert [(g.scope, g.operation) for g in snapshot.gaps] == [
        (f"/subscriptions/{SUB_B}", "Microsoft.Authorization/roleAssignments/read")]
    assert "403 AuthorizationFailed" in snapshot.gaps[0].reason
    assert data["tenant_id"] == TENANT
    operations = data["operations"][0]
    assert [o["name"] for o in operations["resourceTypes"][0]["operations"]] == [
        "Microsoft.Compute/virtualMachines/start/action", "Microsoft.Compute/virtualMachines/runCommand/action"]


def test_live_snapshot_resolves_like_an_export(azure):
    snapshot = collect({"arm_endpoint": azure.base, "graph_endpoint": azure.base, "ca_bundle": str(azure.cert)},
                       lambda *args: None, credential=StaticToken())
    resolution = resolve([snapshot])
    assert any(e.source == USER and e.target == MI for e in resolution.edges)  # runner on rg: run command on vm1
    assert USER2 in resolution.admin  # Owner at the root management group
    assert "Microsoft.Compute/virtualMachines/start/action" in resolution.catalog  # from providerOperations only


def test_ciem_collect_azure_writes_the_export_layout(azure, tmp_path, monkeypatch):
    from azure import identity as azure_identity

    from ciem.cli import main
    from ciem_azure.collect.export import load_export

    # the one stand-in: the credential DefaultAzureCredential would find on a workstation
    monkeypatch.setattr(azure_identity, "DefaultAzureCredential", StaticToken)
    out = tmp_path / "export"
    status = main(["collect", "azure", "--out", str(out), "--option", f"arm_endpoint={azure.base}",
                   "--option", f"graph_endpoint={azure.base}", "--option", f"ca_bundle={azure.cert}"])
    assert status == 0
    snapshot = load_export(out)
    assert {r["name"] for r in snapshot.data["role_assignments"]} == {"ra1", "ra2"}
    assert [(g.scope, g.operation) for g in snapshot.gaps] == [
        (f"/subscriptions/{SUB_B}", "Microsoft.Authorization/roleAssignments/read")]
    assert USER2 in resolve([snapshot]).admin
