"""Each escalation edge (docs/azure-edges.md): one estate where it is exploitable, one where it is blocked."""

from __future__ import annotations

import pytest

from azure_builders import EVERYONE, RG, SUB, VM, Tenant, actions_on, edges, oid

RUN = "Microsoft.Compute/virtualMachines/runCommand/action"
WRITE = "Microsoft.Authorization/roleAssignments/write"
GA = "62e90394-69f5-4237-9190-012177145e10"
PRA = "e8611ab8-c189-46e8-94e1-60213ab1f814"
PAA = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
HELPDESK = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
APP_ROLE_ASSIGNMENT_RW = "06b708a9-e830-4db3-a914-8e69da51d44f"
ROLE_MANAGEMENT_RW = "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"
APPLICATION_RW = "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"
USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214"


def vm_with_identity(tenant: Tenant, resource_id: str = VM, kind: str = "Microsoft.Compute/virtualMachines", **extra) -> str:
    identity = oid("mi/" + resource_id)
    tenant.resource(resource_id, kind, identities=(identity,), **extra)
    return identity


# -- run code as a managed identity ------------------------------------------------------------------

RUN_CODE_CASES = [
    ("Microsoft.Compute/virtualMachines", "vm", [RUN]),
    ("Microsoft.Compute/virtualMachines", "vm-ext", ["Microsoft.Compute/virtualMachines/extensions/write"]),
    ("Microsoft.Compute/virtualMachineScaleSets", "vmss", ["Microsoft.Compute/virtualMachineScaleSets/extensions/write"]),
    ("Microsoft.Automation/automationAccounts", "aa",
     ["Microsoft.Automation/automationAccounts/runbooks/write", "Microsoft.Automation/automationAccounts/jobs/write"]),
    ("Microsoft.Logic/workflows", "la", ["Microsoft.Logic/workflows/write"]),
    ("Microsoft.Web/sites", "web", ["Microsoft.Web/sites/write"]),
    ("Microsoft.Web/sites", "web-deploy", ["Microsoft.Web/sites/publish/Action"]),
]


@pytest.mark.parametrize("kind,name,actions", RUN_CODE_CASES, ids=[c[1] for c in RUN_CODE_CASES])
def test_run_code_as_managed_identity_is_exploitable_with_the_operations(kind, name, actions):
    tenant = Tenant()
    resource = f"{RG}/providers/{kind}/{name}"
    identity = vm_with_identity(tenant, resource, kind)
    user = tenant.user("u")
    tenant.assign(user, tenant.role("runner", actions=actions), RG)
    found = edges(tenant.resolve(), user, identity)
    assert len(found) == 1 and found[0].kind.value == "impersonate" and found[0].conditions == ()
    assert found[0].resources == (resource,)


@pytest.mark.parametrize("kind,name,actions", RUN_CODE_CASES, ids=[c[1] for c in RUN_CODE_CASES])
def test_run_code_is_blocked_without_every_operation_or_by_a_deny(kind, name, actions):
    tenant = Tenant()
    resource = f"{RG}/providers/{kind}/{name}"
    identity = vm_with_identity(tenant, resource, kind)
    partial, denied = tenant.user("partial"), tenant.user("denied")
    tenant.assign(partial, tenant.role("reader", actions=[f"{kind}/read"] + actions[:-1]), RG)
    tenant.assign(denied, tenant.role("runner", actions=actions), RG)
    tenant.deny(resource, actions=[actions[-1]], principals=(denied,))
    resolution = tenant.resolve()
    assert not edges(resolution, partial, identity) and not edges(resolution, denied, identity)


def test_aks_reaches_the_kubelet_identity_not_the_control_plane_identity():
    tenant = Tenant()
    aks = RG + "/providers/Microsoft.ContainerService/managedClusters/aks"
    control, kubelet = oid("mi/control"), oid("mi/kubelet")
    tenant.resource(aks, "Microsoft.ContainerService/managedClusters", identities=(control,),
                    properties={"identityProfile": {"kubeletidentity": {"objectId": kubelet}}})
    admin, reader = tenant.user("admin"), tenant.user("reader")
    tenant.assign(admin, tenant.role("aks admin", actions=[
        "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action"]), RG)
    tenant.assign(reader, tenant.role("aks reader", actions=["Microsoft.ContainerService/managedClusters/read"]), RG)
    resolution = tenant.resolve()
    assert edges(resolution, admin, kubelet) and not edges(resolution, admin, control)
    assert not edges(resolution, reader, kubelet)


def test_aks_without_local_accounts_gives_out_no_admin_credential():
    tenant = Tenant()
    aks = RG + "/providers/Microsoft.ContainerService/managedClusters/aks"
    kubelet = oid("mi/kubelet")
    tenant.resource(aks, "Microsoft.ContainerService/managedClusters", properties={
        "disableLocalAccounts": True, "identityProfile": {"kubeletidentity": {"objectId": kubelet}}})
    admin = tenant.user("admin")
    tenant.assign(admin, tenant.role("aks admin", actions=["Microsoft.ContainerService/managedClusters/*"]), RG)
    assert not edges(tenant.resolve(), admin, kubelet)


def test_user_assigned_identity_of_a_resource_is_reached():
    tenant = Tenant()
    uai = oid("mi/uai")
    tenant.resource(VM, "Microsoft.Compute/virtualMachines",
                    user_assigned={RG + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai": {"principalId": uai}})
    user = tenant.user("u")
    tenant.assign(user, tenant.role("runner", actions=[RUN]), RG)
    assert edges(tenant.resolve(), user, uai)


def test_eligible_run_code_is_a_conditional_edge():
    tenant = Tenant()
    identity = vm_with_identity(tenant)
    user = tenant.user("u")
    tenant.assign(user, tenant.role("runner", actions=[RUN]), RG, eligible=True)
    (edge,) = edges(tenant.resolve(), user, identity)
    assert edge.conditions == ("pim:activation",)


# -- role assignment writers ------------------------------------------------------------------------


def test_role_assignment_writer_can_run_code_by_assigning_itself_a_role():
    tenant = Tenant()
    identity = vm_with_identity(tenant)
    user = tenant.user("u")
    tenant.role("runner", actions=[RUN])
    tenant.assign(user, tenant.role("uaa", actions=["Microsoft.Authorization/*", "*/read"]), SUB)
    resolution = tenant.resolve()
    (edge,) = edges(resolution, user, identity)
    assert edge.permissions == (WRITE, RUN) and edge.conditions == ()
    assert "can assign itself any role" in resolution.admin[user]
    sure, conditional = actions_on(tenant.index(), user, VM)
    assert RUN.lower() in conditional and RUN.lower() not in sure  # potential: it must assign the role first


def test_role_assignment_writer_is_blocked_by_a_deny_on_the_operation():
    tenant = Tenant()
    identity = vm_with_identity(tenant)
    user = tenant.user("u")
    tenant.assign(user, tenant.role("uaa", actions=["Microsoft.Authorization/*"]), SUB)
    tenant.deny(RG, actions=["Microsoft.Compute/virtualMachines/*"], principals=(EVERYONE,))
    assert not edges(tenant.resolve(), user, identity)


def test_a_not_action_is_no_deny_another_role_grants_role_assignment_write():
    tenant = Tenant()
    identity = vm_with_identity(tenant)
    user = tenant.user("u")
    tenant.assign(user, tenant.role("contributor", actions=["*"], not_actions=["Microsoft.Authorization/*/Write"]), RG)
    resolution = tenant.resolve()
    assert user not in resolution.admin
    tenant.assign(user, tenant.role("uaa", actions=["Microsoft.Authorization/*"]), SUB)
    assert user in tenant.resolve().admin
    assert edges(tenant.resolve(), user, identity)


CONSTRAINED = ("((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
               "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {ROLE}))")


def test_constrained_delegation_writer_reaches_only_what_the_assignable_roles_grant():
    tenant = Tenant()
    identity = vm_with_identity(tenant)
    limited, broad = tenant.user("limited"), tenant.user("broad")
    reader = tenant.role("vm reader", actions=["Microsoft.Compute/virtualMachines/read"])
    runner = tenant.role("runner", actions=[RUN])
    delegate = tenant.role("rbac admin", actions=[WRITE])
    tenant.assign(limited, delegate, SUB, condition=CONSTRAINED.replace("ROLE", reader))
    tenant.assign(broad, delegate, SUB, condition=CONSTRAINED.replace("ROLE", runner))
    resolution = tenant.resolve()
    assert not edges(resolution, limited, identity) and limited not in resolution.admin
    (edge,) = edges(resolution, broad, identity)
    assert edge.conditions == ()


# -- Key Vault access policies, storage keys ---------------------------------------------------------

KV = RG + "/providers/Microsoft.KeyVault/vaults/kv"
GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action"


@pytest.mark.parametrize("rbac", [False, True], ids=["access-policies", "rbac"])
def test_key_vault_access_policy_writer_reaches_secrets_only_in_the_access_policy_model(rbac):
    tenant = Tenant()
    tenant.resource(KV, "Microsoft.KeyVault/vaults", properties={"enableRbacAuthorization": rbac, "accessPolicies": []})
    user = tenant.user("u")
    tenant.assign(user, tenant.role("kv contributor", actions=["Microsoft.KeyVault/*"]), RG)
    sure, conditional = actions_on(tenant.index(), user, KV + "/secrets/s")
    assert not sure & {GET_SECRET.lower()}
    assert (GET_SECRET.lower() in conditional) is (not rbac)


def test_rbac_data_roles_do_not_reach_an_access_policy_vault_but_its_policies_do():
    tenant = Tenant()
    app = tenant.app("app")
    user = tenant.user("u")
    tenant.resource(KV, "Microsoft.KeyVault/vaults", properties={
        "enableRbacAuthorization": False,
        "accessPolicies": [{"objectId": app, "permissions": {"secrets": ["Get"]}}]})
    tenant.assign(user, tenant.role("secrets user", data_actions=[GET_SECRET]), SUB)
    index = tenant.index()
    assert GET_SECRET.lower() not in actions_on(index, user, KV + "/secrets/s")[0]
    assert GET_SECRET.lower() in actions_on(index, user, SUB + "/resourceGroups/rg2/providers/Microsoft.KeyVault/vaults/other")[0]
    assert GET_SECRET.lower() in actions_on(index, app, KV + "/secrets/s")[0]


STORAGE = RG + "/providers/Microsoft.Storage/storageAccounts/st"
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"


@pytest.mark.parametrize("shared_key", [True, False], ids=["shared-key", "no-shared-key"])
def test_list_keys_gives_data_access_unless_shared_key_is_disallowed(shared_key):
    tenant = Tenant()
    tenant.resource(STORAGE, "Microsoft.Storage/storageAccounts", properties={"allowSharedKeyAccess": shared_key})
    user = tenant.user("u")
    tenant.assign(user, tenant.role("account contributor", actions=["Microsoft.Storage/storageAccounts/*"]), RG)
    sure, _ = actions_on(tenant.index(), user, STORAGE + "/blobServices/default/containers/c")
    assert (BLOB_READ.lower() in sure) is shared_key


# -- Entra ID -------------------------------------------------------------------------------------------


def test_application_owner_adds_a_credential_and_becomes_the_service_principal():
    tenant = Tenant()
    owner, stranger = tenant.user("owner"), tenant.user("stranger")
    sp = tenant.app("app", owners=[owner])
    resolution = tenant.resolve()
    (edge,) = edges(resolution, owner, sp)
    assert edge.kind.value == "impersonate" and edge.method == "entra:owner-add-credential"
    assert not edges(resolution, stranger, sp)


def test_application_administrator_scoped_to_one_app_reaches_only_it():
    tenant = Tenant()
    admin = tenant.user("admin")
    mine, other = tenant.app("mine"), tenant.app("other")
    tenant.directory_role(admin, APP_ADMIN, scope=f"/applications/{oid('app/mine')}")
    resolution = tenant.resolve()
    assert edges(resolution, admin, mine) and not edges(resolution, admin, other)


def test_tenant_wide_application_administrator_skips_managed_identities_and_microsoft_apps():
    tenant = Tenant()
    admin = tenant.user("admin")
    app = tenant.app("app")
    managed = tenant.app("mi", managed=True)
    graph = tenant.app("graph", first_party=True)
    tenant.directory_role(admin, APP_ADMIN)
    resolution = tenant.resolve()
    assert edges(resolution, admin, app)
    assert not edges(resolution, admin, managed) and not edges(resolution, admin, graph)


def test_helpdesk_resets_unprivileged_users_only_and_privileged_auth_admin_anyone():
    tenant = Tenant()
    helpdesk, paa = tenant.user("helpdesk"), tenant.user("paa")
    plain, global_admin = tenant.user("plain"), tenant.user("ga")
    tenant.directory_role(helpdesk, HELPDESK)
    tenant.directory_role(paa, PAA)
    tenant.directory_role(global_admin, GA)
    resolution = tenant.resolve()
    assert edges(resolution, helpdesk, plain) and not edges(resolution, helpdesk, global_admin)
    assert edges(resolution, paa, global_admin)


def test_global_admin_is_admin_and_elevates_to_the_root_scope():
    tenant = Tenant()
    identity = vm_with_identity(tenant)
    ga, sp_ga = tenant.user("ga"), tenant.app("automation")
    tenant.directory_role(ga, GA)
    tenant.directory_role(sp_ga, GA)
    resolution = tenant.resolve()
    assert ga in resolution.admin and sp_ga in resolution.admin
    (edge,) = edges(resolution, ga, identity)
    assert edge.permissions[0] == WRITE
    # elevate access is for users: the service principal reaches the VM only through a user it takes over
    assert not edges(resolution, sp_ga, identity) and edges(resolution, sp_ga, ga)


def test_privileged_role_administrator_takes_over_and_eligible_global_admin_is_only_potential():
    tenant = Tenant()
    pra, eligible, victim = tenant.user("pra"), tenant.user("eligible"), tenant.user("victim")
    tenant.directory_role(pra, PRA)
    tenant.directory_role(eligible, GA, eligible=True)
    resolution = tenant.resolve()
    assert pra in resolution.admin and eligible not in resolution.admin
    assert edges(resolution, pra, victim)[0].conditions == ()
    assert edges(resolution, eligible, victim)[0].conditions == ("pim:activation",)


@pytest.mark.parametrize("permission,admin", [(APP_ROLE_ASSIGNMENT_RW, True), (ROLE_MANAGEMENT_RW, True),
                                              (USER_READ_ALL, False)],
                         ids=["AppRoleAssignment.ReadWrite.All", "RoleManagement.ReadWrite.Directory", "User.Read.All"])
def test_graph_application_permissions_that_lead_to_directory_roles(permission, admin):
    tenant = Tenant()
    sp, victim = tenant.app("automation"), tenant.user("victim")
    tenant.graph_permission(sp, permission)
    resolution = tenant.resolve()
    assert (sp in resolution.admin) is admin
    assert bool(edges(resolution, sp, victim)) is admin


def test_application_readwrite_all_adds_credentials_to_any_application():
    tenant = Tenant()
    sp, target = tenant.app("automation"), tenant.app("target")
    reader = tenant.app("reader")
    tenant.graph_permission(sp, APPLICATION_RW)
    tenant.graph_permission(reader, USER_READ_ALL)
    resolution = tenant.resolve()
    assert edges(resolution, sp, target) and not edges(resolution, reader, target)


def test_groups_administrator_adds_members_except_to_role_assignable_groups():
    tenant = Tenant()
    admin = tenant.user("admin")
    plain, assignable = tenant.group("plain"), tenant.group("privileged", role_assignable=True)
    tenant.directory_role(admin, GROUPS_ADMIN)
    resolution = tenant.resolve()
    assert edges(resolution, admin, plain)[0].kind.value == "escalate"
    assert not edges(resolution, admin, assignable)


def test_group_owner_can_add_itself():
    tenant = Tenant()
    owner, other = tenant.user("owner"), tenant.user("other")
    group = tenant.group("g")
    tenant.data["group_owners"][group] = [{"id": owner}]
    resolution = tenant.resolve()
    assert edges(resolution, owner, group) and not edges(resolution, other, group)


def test_directory_role_assigned_to_a_group_is_held_by_its_members():
    tenant = Tenant()
    member, helpdesk, outsider = tenant.user("member"), tenant.user("helpdesk"), tenant.user("outsider")
    admins = tenant.group("admins", [member], role_assignable=True)
    tenant.directory_role(admins, GA)
    tenant.directory_role(helpdesk, HELPDESK)
    resolution = tenant.resolve()
    assert member in resolution.admin and outsider not in resolution.admin
    assert edges(resolution, member, outsider)
    assert not edges(resolution, helpdesk, member)  # a member of a privileged group is privileged
