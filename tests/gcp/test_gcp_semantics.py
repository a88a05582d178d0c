"""GCP evaluation rules (docs/gcp-semantics.md names each test): hierarchy inheritance, member forms,
basic roles, IAM Conditions, deny policies, organization policies."""

from __future__ import annotations

import pytest

from ciem.errors import QueryError
from ciem.index import EffectiveAccessIndex
from ciem.model import EvaluationRequest

from ciem_gcp.resolve import Model, explain_request as explain, resolve

from gcp_builders import ORG, GcpEstate, sa

READ = "storage.objects.get"


def estate() -> GcpEstate:
    e = GcpEstate()
    e.folder("10")
    e.project("app", "100", "folders/10")
    e.project("other", "200")
    e.role("roles/reader", READ, "storage.buckets.get")
    return e


def bucket(e: GcpEstate, name: str = "data", project: str = "app") -> str:
    return e.resource(f"//storage.googleapis.com/{name}", "storage.googleapis.com/Bucket", project, {"name": name})


def decide(e: GcpEstate, identity: str, resource: str, action: str = READ, **context) -> str:
    return explain([e.snapshot()], EvaluationRequest(identity, action, resource, context)).decision


def test_binding_on_a_folder_is_inherited_by_its_projects_and_their_resources_only():
    e = estate()
    inside, outside = bucket(e, "in"), bucket(e, "out", "other")
    e.bind("folders/10", "roles/reader", "user:ana@example.com")
    assert decide(e, "user:ana@example.com", inside) == "allowed"
    assert decide(e, "user:ana@example.com", outside) == "implicitDeny"
    index = EffectiveAccessIndex([resolve([e.snapshot()])])
    assert index.access_on("user:ana@example.com", inside).allowed
    assert not index.access_on("user:ana@example.com", outside).allowed


def test_resource_names_resolve_by_full_name_and_short_container_name():
    e = estate()
    bucket(e)
    e.bind("app", "roles/reader", "user:ana@example.com")
    assert decide(e, "user:ana@example.com", "//storage.googleapis.com/data") == "allowed"
    assert decide(e, "user:ana@example.com", "projects/app", "storage.buckets.get") == "allowed"
    with pytest.raises(QueryError):
        decide(e, "user:ana@example.com", "//storage.googleapis.com/missing")
    with pytest.raises(QueryError):
        decide(e, "user:ana@example.com", "projects/app", "compute.instances.create")


def test_group_members_get_the_group_bindings_transitively():
    e = estate()
    target = bucket(e)
    outer = e.group("outer@example.com", "group:inner@example.com")
    e.group("inner@example.com", "user:bo@example.com", "serviceAccount:job@app.iam.gserviceaccount.com")
    e.bind("app", "roles/reader", outer)
    assert decide(e, "user:bo@example.com", target) == "allowed"
    assert decide(e, "serviceAccount:job@app.iam.gserviceaccount.com", target) == "allowed"
    assert decide(e, "user:cy@example.com", target) == "implicitDeny"


def test_unread_groups_are_a_coverage_gap():
    e = estate()
    e.groups_read = False
    assert any("group memberships were not read" in g.reason for g in resolve([e.snapshot()]).gaps)


def test_domain_member_covers_users_of_that_domain_not_service_accounts():
    e = estate()
    target = bucket(e)
    e.group("g@example.com", "user:cy@example.com")
    e.bind("app", "roles/reader", "domain:example.com", "user:dee@other.org")
    assert decide(e, "user:dee@other.org", target) == "allowed"
    assert decide(e, "user:cy@example.com", target) == "allowed"
    e.bind("app", "roles/reader", "serviceAccount:x@app.iam.gserviceaccount.com")
    resolution = resolve([e.snapshot()])
    holders = {g.identity for g in resolution.grants}
    assert "domain:example.com" in holders and "user:cy@example.com" in holders
    e2 = estate()
    e2.bind("app", "roles/reader", "domain:example.com")
    e2.account(sa("svc"))
    assert decide(e2, sa("svc"), bucket(e2)) == "implicitDeny"


def test_all_users_covers_everyone_all_authenticated_users_covers_accounts_not_federated():
    e = estate()
    public, signed_in = bucket(e, "pub"), bucket(e, "auth")
    pool = "principal://iam.googleapis.com/projects/100/locations/global/workloadIdentityPools/p/subject/s1"
    e.bind("//storage.googleapis.com/pub", "roles/reader", "allUsers")
    e.bind("//storage.googleapis.com/auth", "roles/reader", "allAuthenticatedUsers", pool)
    e.account(sa("svc"))
    assert decide(e, sa("svc"), public) == "allowed"
    assert decide(e, sa("svc"), signed_in) == "allowed"
    assert decide(e, pool, public) == "allowed"
    e3 = estate()
    bucket(e3, "auth")
    e3.bind("//storage.googleapis.com/auth", "roles/reader", "allAuthenticatedUsers", "user:u@example.com")
    e3.bind("app", "roles/reader", pool.replace("s1", "s2"))
    assert decide(e3, pool.replace("s1", "s2"), "//storage.googleapis.com/auth") == "allowed"  # its own binding
    e3.bind("other", "roles/reader", pool)
    assert decide(e3, pool, "//storage.googleapis.com/auth") == "implicitDeny"


def test_principal_set_of_a_pool_covers_its_subjects():
    e = estate()
    target = bucket(e)
    base = "iam.googleapis.com/projects/100/locations/global/workloadIdentityPools/p"
    e.bind("app", "roles/reader", f"principalSet://{base}/*", f"principal://{base}/subject/x")
    e.bind("other", "roles/reader", f"principal://{base}/subject/y")
    assert decide(e, f"principal://{base}/subject/y", target) == "allowed"


def test_deleted_members_name_no_one():
    e = estate()
    target = bucket(e)
    e.bind("app", "roles/reader", "deleted:user:gone@example.com?uid=123", "user:kept@example.com")
    e.bind("other", "roles/reader", "user:gone@example.com")
    resolution = resolve([e.snapshot()])
    assert not any(i.id.startswith("deleted:") for i in resolution.identities)
    assert decide(e, "user:gone@example.com", target) == "implicitDeny"


def test_storage_convenience_values_expand_to_the_projects_basic_role_holders(shared_data):
    e = estate()
    target = bucket(e)
    e.predefined("roles/owner")
    e.predefined("roles/viewer")
    e.predefined("roles/storage.legacyBucketOwner")
    e.bind("folders/10", "roles/owner", "user:own@example.com")
    e.bind("app", "roles/viewer", "user:view@example.com")
    e.bind("//storage.googleapis.com/data", "roles/storage.legacyBucketOwner", "projectOwner:app")
    assert decide(e, "user:own@example.com", target, "storage.buckets.setIamPolicy") == "allowed"
    assert decide(e, "user:view@example.com", target, "storage.buckets.setIamPolicy") == "implicitDeny"


def test_basic_roles_hold_no_object_reads_and_no_token_creation(shared_data):
    e = estate()
    target = bucket(e)
    e.predefined("roles/owner")
    e.predefined("roles/editor")
    e.role("roles/other", "iam.serviceAccounts.getAccessToken")  # so the catalog knows the permission
    e.bind("app", "roles/owner", "user:own@example.com")
    e.bind("app", "roles/editor", "user:ed@example.com")
    account = e.account(sa("svc"))
    for who in ("user:own@example.com", "user:ed@example.com"):
        assert decide(e, who, target, "storage.buckets.delete") == "allowed"
        assert decide(e, who, target) == "implicitDeny"
        assert decide(e, who, account, "iam.serviceAccounts.getAccessToken") == "implicitDeny"


def test_basic_roles_cannot_be_granted_conditionally(shared_data):
    from ciem.errors import InputError

    e = estate()
    e.predefined("roles/owner")
    e.bind("app", "roles/owner", "user:own@example.com", condition="request.time < timestamp('2030-01-01T00:00:00Z')")
    with pytest.raises(InputError, match="basic role"):
        resolve([e.snapshot()])


def test_condition_on_time_is_conditional_until_the_time_is_known():
    e = estate()
    target = bucket(e)
    e.bind("app", "roles/reader", "user:ana@example.com", condition='request.time < timestamp("2027-01-01T00:00:00Z")')
    decision = explain([e.snapshot()], EvaluationRequest("user:ana@example.com", READ, target))
    assert decision.decision == "conditional" and decision.missing_context == ("request.time",)
    assert decide(e, "user:ana@example.com", target, **{"request.time": "2026-06-01T00:00:00Z"}) == "allowed"
    assert decide(e, "user:ana@example.com", target, **{"request.time": "2027-06-01T00:00:00Z"}) == "implicitDeny"
    grant = next(g for g in resolve([e.snapshot()]).grants if g.identity == "user:ana@example.com")
    assert grant.conditions == ("request.time",)


def test_condition_on_resource_name_is_decided_for_a_known_resource():
    e = estate()
    dev, prod = bucket(e, "dev-logs"), bucket(e, "prod-logs")
    e.bind("app", "roles/reader", "user:ana@example.com", condition='resource.name.startsWith("dev-")')
    assert decide(e, "user:ana@example.com", dev) == "allowed"
    assert decide(e, "user:ana@example.com", prod) == "implicitDeny"


def test_condition_that_is_constant_false_grants_nothing_and_bad_cel_is_rejected():
    from ciem.errors import InputError

    e = estate()
    e.bind("app", "roles/reader", "user:ana@example.com", condition="1 == 2")
    assert not [g for g in resolve([e.snapshot()]).grants if g.identity == "user:ana@example.com"]
    e.bind("app", "roles/reader", "user:bo@example.com", condition="resource.name ==")
    with pytest.raises(InputError, match="bindings\\[1\\].condition"):
        resolve([e.snapshot()])


def test_deny_policy_wins_over_allow_with_v2_names_and_is_inherited():
    e = estate()
    target = bucket(e)
    e.bind("app", "roles/reader", "user:ana@example.com", "user:bo@example.com")
    e.deny("folders/10", ["principal://goog/subject/ana@example.com"], ["storage.googleapis.com/objects.get"])
    decision = explain([e.snapshot()], EvaluationRequest("user:ana@example.com", READ, target))
    assert decision.decision == "explicitDeny" and decision.layers[0].verdict == "deny"
    assert decide(e, "user:bo@example.com", target) == "allowed"
    assert decide(e, "user:ana@example.com", target, "storage.buckets.get") == "allowed"
    index = EffectiveAccessIndex([resolve([e.snapshot()])])
    access = index.access_on("user:ana@example.com", target)
    catalog = index.catalogs["gcp"]
    assert not access.allowed & catalog.bit(READ) and access.allowed & catalog.bit("storage.buckets.get")


def test_deny_exceptions_and_groups_and_public_all():
    e = estate()
    target = bucket(e)
    sre = e.group("sre@example.com", "user:sam@example.com")
    e.group("dev@example.com", "user:dan@example.com")
    e.bind("app", "roles/reader", "user:sam@example.com", "user:dan@example.com", "user:ana@example.com")
    e.deny("app", ["principalSet://goog/public:all"], ["storage.googleapis.com/objects.*"],
           exception_principals=[f"principalSet://goog/group/{sre.split(':', 1)[1]}"])
    e.deny("app", ["principalSet://goog/group/dev@example.com"], ["storage.googleapis.com/buckets.get"])
    assert decide(e, "user:sam@example.com", target) == "allowed"
    assert decide(e, "user:ana@example.com", target) == "explicitDeny"
    assert decide(e, "user:dan@example.com", target, "storage.buckets.get") == "explicitDeny"
    assert decide(e, "user:ana@example.com", target, "storage.buckets.get") == "allowed"


def test_deny_exception_permissions_and_conditional_denial():
    e = estate()
    target = bucket(e)
    e.bind("app", "roles/reader", "user:ana@example.com")
    e.deny("app", ["principal://goog/subject/ana@example.com"], ["storage.googleapis.com/*"],
           exception_permissions=["storage.googleapis.com/buckets.get"])
    assert decide(e, "user:ana@example.com", target, "storage.buckets.get") == "allowed"
    assert decide(e, "user:ana@example.com", target) == "explicitDeny"
    e2 = estate()
    target2 = bucket(e2)
    e2.bind("app", "roles/reader", "user:ana@example.com")
    e2.deny("app", ["principal://goog/subject/ana@example.com"], ["storage.googleapis.com/objects.get"],
            condition="resource.matchTag('1/env', 'prod')")
    decision = explain([e2.snapshot()], EvaluationRequest("user:ana@example.com", READ, target2))
    assert decision.decision == "conditional" and decision.missing_context == ("resource.tags",)
    assert decide(e2, "user:ana@example.com", target2, **{"resource.tags": {"1/env": "prod"}}) == "explicitDeny"
    assert decide(e2, "user:ana@example.com", target2, **{"resource.tags": {"1/env": "dev"}}) == "allowed"
    deny = next(g for g in resolve([e2.snapshot()]).grants if g.deny)
    assert deny.conditions == ("resource.tags",)


def test_v2_permission_names_map_to_v1():
    from ciem_gcp.resolve.access import v1_permission

    assert v1_permission("iam.googleapis.com/serviceAccountKeys.create") == "iam.serviceAccountKeys.create"
    assert v1_permission("cloudresourcemanager.googleapis.com/projects.delete") == "resourcemanager.projects.delete"


def test_organization_policy_blocking_key_creation_is_noted_and_restore_default_lifts_it():
    e = estate()
    e.role("roles/keys", "iam.serviceAccountKeys.create")
    blocked, open_ = e.account(sa("a")), e.account(sa("b", "other"), "other")
    e.bind(ORG, "roles/keys", "user:ana@example.com")
    e.org_policy(ORG, "iam.disableServiceAccountKeyCreation", booleanPolicy={"enforced": True})
    e.org_policy("other", "iam.disableServiceAccountKeyCreation", restoreDefault={})
    resolution = resolve([e.snapshot()])
    targets = {edge.target for edge in resolution.edges if edge.source == "user:ana@example.com"}
    assert targets == {sa("b", "other")}
    noted = next(i for i in resolution.identities if i.id == sa("a"))
    assert "constraints/iam.disableServiceAccountKeyCreation" in noted.attributes["blocked_paths"][0]
    assert decide(e, "user:ana@example.com", blocked, "iam.serviceAccountKeys.create") == "explicitDeny"
    assert decide(e, "user:ana@example.com", open_, "iam.serviceAccountKeys.create") == "allowed"


def test_roles_missing_from_the_export_are_a_gap_and_grant_nothing():
    e = estate()
    bucket(e)
    e.bind("app", "roles/unknown", "user:ana@example.com")
    resolution = resolve([e.snapshot()])
    assert any("roles/unknown" in gap.reason for gap in resolution.gaps)
    assert not [g for g in resolution.grants if g.identity == "user:ana@example.com"]


def test_catalog_access_levels_follow_the_verb():
    from ciem.model import AccessLevel
    from ciem_gcp.catalog import access_level

    assert access_level("storage.buckets.setIamPolicy") == AccessLevel.PERMISSIONS_MANAGEMENT
    assert access_level("iam.roles.update") == AccessLevel.PERMISSIONS_MANAGEMENT
    assert access_level("compute.instances.list") == AccessLevel.LIST
    assert access_level("storage.objects.get") == AccessLevel.READ
    assert access_level("storage.buckets.getIamPolicy") == AccessLevel.READ
    assert access_level("compute.instances.setLabels") == AccessLevel.TAGGING
    assert access_level("compute.instances.create") == AccessLevel.WRITE
    catalog = Model([estate().snapshot()]).catalog
    assert sorted(info.name for info in catalog.actions) == ["storage.buckets.get", READ]


def test_organization_policies_not_modelled_are_coverage_gaps():
    e = estate()
    e.org_policy("app", "compute.vmExternalIpAccess", listPolicy={"allValues": "DENY"})
    e.org_policy("app", "iam.disableServiceAccountKeyCreation", booleanPolicy={"enforced": True})
    gaps = [g for g in resolve([e.snapshot()]).gaps if g.operation == "orgpolicy"]
    assert [g.reason.split()[2] for g in gaps] == ["constraints/compute.vmExternalIpAccess"]


def test_service_account_sets_of_a_container_cover_its_accounts_only():
    e = estate()
    target = bucket(e)
    e.account(sa("in"))
    e.account(sa("out", "other"), "other")
    member = "principalSet://cloudresourcemanager.googleapis.com/folders/10/type/ServiceAccount"
    e.bind("app", "roles/reader", member, "user:ana@example.com")
    assert decide(e, sa("in"), target) == "allowed"
    assert decide(e, sa("out", "other"), target) == "implicitDeny"
    assert decide(e, "user:ana@example.com", target) == "allowed"
    identity = next(i for i in resolve([e.snapshot()]).identities if i.id == member)
    assert identity.kind.value == "group"
