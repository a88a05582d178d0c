"""Every escalation method of the table: an estate where it is exploitable, and estates where it is
blocked (each permission it needs missing in turn; a deny policy on its first permission)."""

from __future__ import annotations

import pytest

from ciem.model import EdgeKind

from ciem_gcp.escalation.base import (
    OnAccount, OnAccountProject, RunAsAgent, RunAsNew, SetContainerPolicy, UseExisting, methods,
)
from ciem_gcp.escalation.iam import ImplicitDelegation, LiftKeyCreationBlock, UpdateHeldCustomRole
from ciem_gcp.resolve import resolve

from gcp_builders import ORG, GcpEstate, sa

ATTACKER = "user:mallory@example.com"
TARGET = sa("target")
MID = sa("mid")
ROLE = f"{ORG}/roles/attack"
METHODS = {method.id: method for method in methods()}


def granted(method) -> list[str]:
    """The permissions that make ``method`` exploitable (with the first alternative, if any)."""
    if isinstance(method, RunAsNew):
        return [*method.needs, *method.alternatives[0], "iam.serviceAccounts.actAs"]
    return list(method.permissions())


def build(method, permissions: list[str]) -> GcpEstate:
    e = GcpEstate()
    e.folder("10")
    e.project("app", "100", "folders/10")
    e.account(TARGET)
    e.role(ROLE, *permissions)
    e.role("roles/token", "iam.serviceAccounts.getAccessToken")
    e.bind(ORG, ROLE, ATTACKER)
    if isinstance(method, UseExisting):
        email = TARGET.split(":", 1)[1]
        data = {"serviceAccounts": [{"email": email}], "serviceAccountEmail": email,
                "serviceConfig": {"serviceAccountEmail": email}, "template": {"serviceAccount": email},
                "spec": {"template": {"spec": {"serviceAccountName": email}}}}
        e.resource(f"//example.googleapis.com/projects/app/things/{method.resource_type.rsplit('/', 1)[1]}",
                   method.resource_type, "app", data)
    if isinstance(method, RunAsAgent):
        e.bind("app", "roles/token", f"serviceAccount:{method.agent.format(number='100')}")
    if isinstance(method, ImplicitDelegation):
        e.account(MID)
        e.bind(f"//iam.googleapis.com/projects/app/serviceAccounts/{TARGET.split(':', 1)[1]}", "roles/token", MID)
    if isinstance(method, LiftKeyCreationBlock):
        e.org_policy(ORG, "iam.disableServiceAccountKeyCreation", booleanPolicy={"enforced": True})
    return e


def target_of(method) -> str:
    if isinstance(method, RunAsAgent):
        return f"serviceAccount:{method.agent.format(number='100')}"
    return TARGET


def found(method, e: GcpEstate) -> bool:
    resolution = resolve([e.snapshot()])
    if isinstance(method, UpdateHeldCustomRole):
        return "iam.roles.update" in resolution.admin.get(ATTACKER, "")
    return any(edge.source == ATTACKER and edge.target == target_of(method) and edge.method == method.id
               for edge in resolution.edges)


def v2(permission: str) -> str:
    service, rest = permission.split(".", 1)
    host = "cloudresourcemanager" if service == "resourcemanager" else service
    return f"{host}.googleapis.com/{rest}"


@pytest.mark.parametrize("method_id", sorted(METHODS))
def test_exploitable(method_id):
    method = METHODS[method_id]
    assert found(method, build(method, granted(method)))


@pytest.mark.parametrize("method_id", sorted(METHODS))
def test_blocked_without_each_permission(method_id):
    method = METHODS[method_id]
    permissions = granted(method)
    for missing in permissions:
        assert not found(method, build(method, [p for p in permissions if p != missing])), missing


@pytest.mark.parametrize("method_id", sorted(METHODS))
def test_blocked_by_a_deny_policy(method_id):
    method = METHODS[method_id]
    e = build(method, granted(method))
    e.deny(ORG, ["principal://goog/subject/mallory@example.com"], [v2(granted(method)[0])])
    assert not found(method, e)


def test_the_table_has_every_shape_and_rhinos_methods():
    shapes = {type(m) for m in METHODS.values()}
    assert {OnAccount, OnAccountProject, RunAsNew, RunAsAgent, UseExisting, SetContainerPolicy, ImplicitDelegation,
            LiftKeyCreationBlock, UpdateHeldCustomRole} <= shapes
    permissions = {p for m in METHODS.values() for p in m.permissions()}
    rhino = {"iam.roles.update", "iam.serviceAccountKeys.create", "iam.serviceAccounts.getAccessToken",
             "iam.serviceAccounts.implicitDelegation", "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt",
             "orgpolicy.policy.set", "storage.hmacKeys.create", "deploymentmanager.deployments.create",
             "cloudbuild.builds.create", "cloudfunctions.functions.create", "cloudfunctions.functions.update",
             "compute.instances.create", "run.services.create", "cloudscheduler.jobs.create",
             "resourcemanager.organizations.setIamPolicy", "resourcemanager.folders.setIamPolicy",
             "resourcemanager.projects.setIamPolicy", "iam.serviceAccounts.setIamPolicy"}
    assert rhino <= permissions


def test_implicit_delegation_follows_chains():
    method = METHODS["iam.serviceAccounts.implicitDelegation"]
    e = build(method, ["iam.serviceAccounts.implicitDelegation"])
    last = sa("last")
    e.account(last)
    # mallory may delegate through every account; mid may delegate through target; target gets last's token.
    e.role("roles/delegate", "iam.serviceAccounts.implicitDelegation")
    e.bind(f"//iam.googleapis.com/projects/app/serviceAccounts/{last.split(':', 1)[1]}", "roles/token", TARGET)
    edges = [edge for edge in resolve([e.snapshot()]).edges if edge.method == method.id and edge.source == ATTACKER]
    assert {edge.target for edge in edges} == {TARGET, last}


def test_conditional_permission_makes_the_edge_conditional():
    e = GcpEstate()
    e.project("app", "100")
    e.account(TARGET)
    e.role("roles/token", "iam.serviceAccounts.getAccessToken")
    e.bind("app", "roles/token", ATTACKER, condition='request.time < timestamp("2030-01-01T00:00:00Z")')
    edge = next(edge for edge in resolve([e.snapshot()]).edges if edge.source == ATTACKER)
    assert edge.kind == EdgeKind.IMPERSONATE and edge.conditions == ("request.time",)


def test_resource_name_condition_is_decided_per_account():
    e = GcpEstate()
    e.project("app", "100")
    e.account(TARGET)
    e.account(sa("other"))
    e.role("roles/token", "iam.serviceAccounts.getAccessToken")
    e.bind("app", "roles/token", ATTACKER, condition='resource.name.endsWith("/target@app.iam.gserviceaccount.com")')
    edges = [edge for edge in resolve([e.snapshot()]).edges if edge.source == ATTACKER]
    assert [(edge.target, edge.conditions) for edge in edges] == [(TARGET, ())]


def test_cross_project_account_use_is_blocked_by_its_organization_policy():
    method = METHODS["iam.serviceAccounts.actAs+dataflow.jobs.create"]
    e = GcpEstate()
    e.project("app", "100")
    e.project("jobs", "200")
    e.account(TARGET)
    e.role("roles/jobs", "dataflow.jobs.create")
    e.role("roles/user", "iam.serviceAccounts.actAs")
    e.bind("jobs", "roles/jobs", ATTACKER)
    e.bind(f"//iam.googleapis.com/projects/app/serviceAccounts/{TARGET.split(':', 1)[1]}", "roles/user", ATTACKER)
    assert found(method, e)
    e.org_policy("app", "iam.disableCrossProjectServiceAccountUsage", booleanPolicy={"enforced": True})
    resolution = resolve([e.snapshot()])
    assert not any(edge.method == method.id for edge in resolution.edges)
    assert "disableCrossProjectServiceAccountUsage" in next(
        i for i in resolution.identities if i.id == TARGET).attributes["blocked_paths"][0]


def test_container_policy_holders_are_admin_and_reach_accounts_once():
    e = GcpEstate()
    e.project("app", "100")
    e.account(TARGET)
    e.role("roles/iamadmin", "resourcemanager.organizations.setIamPolicy", "resourcemanager.projects.setIamPolicy")
    e.bind(ORG, "roles/iamadmin", ATTACKER)
    resolution = resolve([e.snapshot()])
    assert "organizations/1" in resolution.admin[ATTACKER]
    assert [edge.method for edge in resolution.edges if edge.source == ATTACKER] == [
        "resourcemanager.organizations.setIamPolicy"]
