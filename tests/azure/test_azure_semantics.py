"""Azure RBAC evaluation as Azure documents it (docs/azure-semantics.md names each test here)."""

from __future__ import annotations

import json

import pytest

from azure_builders import EVERYONE, MG_ROOT, RG, SUB, VM, Tenant, actions_on

READ = "Microsoft.Compute/virtualMachines/read"
RUN = "Microsoft.Compute/virtualMachines/runCommand/action"
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
STORAGE = RG + "/providers/Microsoft.Storage/storageAccounts/st1"


@pytest.fixture(scope="module")
def builtins(shared_data):
    return json.loads((shared_data / "azure" / "role-definitions.json").read_text(encoding="utf-8"))


def _tenant_with_vm_role(**role):
    tenant = Tenant()
    tenant.resource(VM, "Microsoft.Compute/virtualMachines")
    user = tenant.user("u")
    return tenant, user, tenant.role("r", **role)


def test_deny_assignment_is_checked_first_and_wins():
    tenant, user, role = _tenant_with_vm_role(actions=["Microsoft.Compute/*"])
    tenant.assign(user, role, SUB)
    tenant.deny(RG, actions=[RUN])
    assert tenant.explain(user, RUN, VM).decision == "explicitDeny"
    assert tenant.explain(user, READ, VM).decision == "allowed"
    sure, _ = actions_on(tenant.index(), user, VM)
    assert READ.lower() in sure and RUN.lower() not in sure


def test_deny_assignment_spares_excluded_principals_and_members_of_excluded_groups():
    tenant, user, role = _tenant_with_vm_role(actions=["Microsoft.Compute/*"])
    other = tenant.user("other")
    breakglass = tenant.group("breakglass", [other])
    tenant.assign(user, role, SUB)
    tenant.assign(other, role, SUB)
    tenant.deny(RG, actions=[RUN], principals=(EVERYONE,), excluded=(breakglass,))
    assert tenant.explain(user, RUN, VM).decision == "explicitDeny"
    assert tenant.explain(other, RUN, VM).decision == "allowed"


def test_deny_assignment_for_a_group_applies_to_its_nested_members():
    tenant, user, role = _tenant_with_vm_role(actions=["Microsoft.Compute/*"])
    inner = tenant.group("inner", [user])
    outer = tenant.group("outer", [inner])
    tenant.assign(user, role, SUB)
    tenant.deny(SUB, actions=[RUN], principals=(outer,))
    assert tenant.explain(user, RUN, VM).decision == "explicitDeny"
    sure, _ = actions_on(tenant.index(), user, VM)
    assert RUN.lower() not in sure


def test_do_not_apply_to_child_scopes_limits_a_deny_to_its_own_scope():
    tenant, user, role = _tenant_with_vm_role(actions=["Microsoft.Compute/*"])
    tenant.assign(user, role, SUB)
    tenant.deny(RG, actions=[RUN], children=False)
    assert tenant.explain(user, RUN, VM).decision == "allowed"
    assert tenant.explain(user, RUN, RG).decision == "explicitDeny"


def test_deny_not_actions_are_left_allowed():
    tenant, user, role = _tenant_with_vm_role(actions=["Microsoft.Compute/*"])
    tenant.assign(user, role, SUB)
    tenant.deny(SUB, actions=["Microsoft.Compute/*"], not_actions=[READ])
    assert tenant.explain(user, READ, VM).decision == "allowed"
    assert tenant.explain(user, RUN, VM).decision == "explicitDeny"


def test_not_actions_limit_only_their_own_role():
    tenant, user, operator = _tenant_with_vm_role(actions=["Microsoft.Compute/virtualMachines/*"], not_actions=[RUN])
    assert tenant.role("runner", actions=[RUN])
    tenant.assign(user, operator, RG)
    assert tenant.explain(user, RUN, VM).decision == "implicitDeny"
    tenant.assign(user, tenant.role("runner", actions=[RUN]), RG)
    assert tenant.explain(user, RUN, VM).decision == "allowed"
    sure, _ = actions_on(tenant.index(), user, VM)
    assert RUN.lower() in sure


def test_star_in_actions_grants_no_data_action():
    tenant = Tenant()
    tenant.resource(STORAGE, "Microsoft.Storage/storageAccounts", properties={"allowSharedKeyAccess": False})
    user = tenant.user("u")
    tenant.assign(user, tenant.role("everything", actions=["*"]), SUB)
    tenant.role("blob reader", data_actions=[BLOB_READ])
    assert tenant.explain(user, BLOB_READ, STORAGE + "/blobServices/default/containers/c/blobs/b").decision == "implicitDeny"
    sure, _ = actions_on(tenant.index(), user, STORAGE)
    assert BLOB_READ.lower() not in sure and "microsoft.storage/storageaccounts/listkeys/action" in sure


def test_data_actions_minus_not_data_actions():
    tenant = Tenant()
    tenant.resource(STORAGE, "Microsoft.Storage/storageAccounts")
    user = tenant.user("u")
    tenant.assign(user, tenant.role("blobs", data_actions=["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
                                    not_data_actions=["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete"]), SUB)
    blob = STORAGE + "/blobServices/default/containers/c/blobs/b"
    assert tenant.explain(user, BLOB_READ, blob).decision == "allowed"
    assert tenant.explain(user, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete", blob).decision == "implicitDeny"


def test_wildcard_segments_match_case_insensitively():
    tenant, user, role = _tenant_with_vm_role(actions=["microsoft.compute/*/READ"])
    tenant.assign(user, role, SUB.upper().replace("/SUBSCRIPTIONS", "/subscriptions"))
    assert tenant.explain(user, READ, VM.lower()).decision == "allowed"
    assert tenant.explain(user, RUN, VM).decision == "implicitDeny"
    sure, _ = actions_on(tenant.index(), user, VM.upper().replace("/SUBSCRIPTIONS", "/subscriptions"))
    assert READ.lower() in sure and RUN.lower() not in sure


def test_assignments_are_inherited_downward_only():
    tenant, user, role = _tenant_with_vm_role(actions=[READ])
    tenant.assign(user, role, RG)
    assert tenant.explain(user, READ, VM).decision == "allowed"
    assert tenant.explain(user, READ, SUB).decision == "implicitDeny"
    assert tenant.explain(user, READ, SUB + "/resourceGroups/rg10").decision == "implicitDeny"


def test_management_group_assignments_reach_their_subscriptions_and_no_others():
    tenant, user, role = _tenant_with_vm_role(actions=[READ])
    other = "/subscriptions/22222222-2222-2222-2222-222222222222"
    tenant.hierarchy(other, None)
    tenant.assign(user, role, MG_ROOT)
    assert tenant.explain(user, READ, VM).decision == "allowed"
    assert tenant.explain(user, READ, other + "/resourceGroups/x").decision == "implicitDeny"
    index = tenant.index()
    assert READ.lower() in actions_on(index, user, VM)[0]
    assert READ.lower() not in actions_on(index, user, other + "/resourceGroups/x")[0]


def test_nested_group_members_hold_the_group_assignments():
    tenant, user, role = _tenant_with_vm_role(actions=[READ])
    inner = tenant.group("inner", [user])
    outer = tenant.group("outer", [inner])
    tenant.assign(outer, role, RG, principal_type="Group")
    decision = tenant.explain(user, READ, VM)
    assert decision.decision == "allowed" and "through group outer" in decision.layers[1].statements[0]
    assert READ.lower() in actions_on(tenant.index(), user, VM)[0]


CONDITION = ("((!(ActionMatches{'" + BLOB_READ + "'})) OR "
             "(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'public'))")
CONTAINER_KEY = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"


def test_abac_condition_is_evaluated_when_the_context_is_known():
    tenant = Tenant()
    tenant.resource(STORAGE, "Microsoft.Storage/storageAccounts")
    user = tenant.user("u")
    tenant.assign(user, tenant.role("blobs", data_actions=["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"]),
                  SUB, condition=CONDITION)
    blob = STORAGE + "/blobServices/default/containers/public/blobs/b"
    assert tenant.explain(user, BLOB_READ, blob, **{CONTAINER_KEY: "public"}).decision == "allowed"
    assert tenant.explain(user, BLOB_READ, blob, **{CONTAINER_KEY: "secret"}).decision == "implicitDeny"
    unknown = tenant.explain(user, BLOB_READ, blob)
    assert unknown.decision == "conditional" and unknown.missing_context == (CONTAINER_KEY,)
    # an action the condition does not target is granted outright
    write = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
    assert tenant.explain(user, write, blob).decision == "allowed"
    sure, conditional = actions_on(tenant.index(), user, blob)
    assert write.lower() in sure and BLOB_READ.lower() in conditional and BLOB_READ.lower() not in sure


def test_an_unconditional_assignment_makes_a_condition_moot():
    tenant = Tenant()
    tenant.resource(STORAGE, "Microsoft.Storage/storageAccounts")
    user = tenant.user("u")
    role = tenant.role("blobs", data_actions=[BLOB_READ])
    tenant.assign(user, role, SUB, condition=CONDITION)
    tenant.assign(user, role, STORAGE)
    assert tenant.explain(user, BLOB_READ, STORAGE + "/blobServices/default/containers/x/blobs/b").decision == "allowed"
    assert BLOB_READ.lower() in actions_on(tenant.index(), user, STORAGE + "/x")[0]


def test_pim_eligible_access_is_potential_not_standing():
    tenant, user, role = _tenant_with_vm_role(actions=[READ])
    tenant.assign(user, role, RG, eligible=True)
    decision = tenant.explain(user, READ, VM)
    assert decision.decision == "conditional" and decision.missing_context == ("pim:activation",)
    grant = next(g for g in tenant.resolve().grants if g.identity == user)
    assert grant.potential and not grant.deny
    sure, conditional = actions_on(tenant.index(), user, VM)
    assert not sure and READ.lower() in conditional


def test_expired_eligibility_grants_nothing():
    tenant, user, role = _tenant_with_vm_role(actions=[READ])
    tenant.assign(user, role, RG, eligible=True)
    tenant.data["role_eligibility"][0]["endDateTime"] = "2025-01-01T00:00:00Z"
    assert tenant.explain(user, READ, VM).decision == "implicitDeny"


def test_real_contributor_cannot_write_role_assignments_but_owner_can(builtins):
    tenant = Tenant()
    tenant.resource(VM, "Microsoft.Compute/virtualMachines")
    contributor, owner = tenant.user("c"), tenant.user("o")
    tenant.assign(contributor, tenant.builtin(builtins, "Contributor"), SUB)
    tenant.assign(owner, tenant.builtin(builtins, "Owner"), SUB)
    write = "Microsoft.Authorization/roleAssignments/write"
    assert tenant.explain(contributor, write, SUB).decision == "implicitDeny"
    assert tenant.explain(contributor, RUN, VM).decision == "allowed"
    assert tenant.explain(owner, write, SUB).decision == "allowed"
    resolution = tenant.resolve()
    assert owner in resolution.admin and contributor not in resolution.admin


def test_unknown_role_definition_is_reported_as_a_gap():
    tenant, user, _ = _tenant_with_vm_role(actions=[READ])
    tenant.assign(user, "99999999-9999-9999-9999-999999999999", RG)
    gaps = tenant.resolve().gaps
    assert len(gaps) == 1 and "99999999-9999-9999-9999-999999999999" in gaps[0].reason
