"""Workload identity federation: pool principals link to the AWS or Azure identity they are."""

from __future__ import annotations

from ciem.model import EdgeKind

from ciem_gcp.resolve import resolve

from gcp_builders import GcpEstate, sa

POOL = "projects/100/locations/global/workloadIdentityPools/p"
ROLE_SET = f"principalSet://iam.googleapis.com/{POOL}/attribute.aws_role/arn:aws:sts::222222222222:assumed-role/Deployer"


def estate(provider: dict, *members: str, pool_state: str = "ACTIVE") -> GcpEstate:
    e = GcpEstate()
    e.project("app", "100")
    e.account(sa("target"))
    e.resource(f"//iam.googleapis.com/{POOL}", "iam.googleapis.com/WorkloadIdentityPool", "app",
               {"name": POOL, "state": pool_state})
    e.resource(f"//iam.googleapis.com/{POOL}/providers/x", "iam.googleapis.com/WorkloadIdentityPoolProvider", "app",
               {"name": f"{POOL}/providers/x", "state": "ACTIVE", **provider})
    e.role("roles/wi", "iam.serviceAccounts.getAccessToken")
    e.bind("//iam.googleapis.com/projects/app/serviceAccounts/target@app.iam.gserviceaccount.com", "roles/wi", *members)
    return e


def links(e: GcpEstate) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {edge.source: (edge.target, edge.conditions) for edge in resolve([e.snapshot()]).edges
            if edge.kind == EdgeKind.ASSUME}


def test_aws_role_attribute_set_links_the_role_and_reaches_the_account():
    e = estate({"aws": {"accountId": "222222222222"}}, ROLE_SET)
    assert links(e) == {"arn:aws:iam::222222222222:role/Deployer": (ROLE_SET, ())}
    edges = resolve([e.snapshot()]).edges
    assert any(edge.source == ROLE_SET and edge.target == sa("target") for edge in edges)


def test_aws_subject_links_the_role_on_its_session_name_and_the_whole_pool_links_the_account():
    subject = f"principal://iam.googleapis.com/{POOL}/subject/arn:aws:sts::222222222222:assumed-role/Deployer/ci"
    every = f"principalSet://iam.googleapis.com/{POOL}/*"
    e = estate({"aws": {"accountId": "222222222222"}}, subject, every)
    assert links(e) == {"arn:aws:iam::222222222222:role/Deployer": (subject, ("sts:RoleSessionName",)),
                        "arn:aws:iam::222222222222:root": (every, ())}


def test_a_role_of_another_account_is_not_linked():
    other = ROLE_SET.replace("222222222222", "999999999999")
    assert links(estate({"aws": {"accountId": "222222222222"}}, other)) == {}


def test_attribute_condition_false_disabled_provider_or_pool_give_no_link():
    false = estate({"aws": {"accountId": "222222222222"}, "attributeCondition": "assertion.account == '1'"}, ROLE_SET)
    assert links(false) == {}
    unknown = estate({"aws": {"accountId": "222222222222"},
                      "attributeCondition": "assertion.userid.startsWith('AROA')"}, ROLE_SET)
    assert links(unknown)["arn:aws:iam::222222222222:role/Deployer"][1] == ("attributeCondition",)
    assert links(estate({"aws": {"accountId": "222222222222"}, "disabled": True}, ROLE_SET)) == {}
    assert links(estate({"aws": {"accountId": "222222222222"}}, ROLE_SET, pool_state="DELETED")) == {}


def test_entra_subject_links_the_azure_object_id():
    object_id = "7f1e2d3c-0000-4000-8000-000000000042"
    subject = f"principal://iam.googleapis.com/{POOL}/subject/{object_id}"
    issuer = "https://sts.windows.net/11111111-2222-3333-4444-555555555555/"
    assert links(estate({"oidc": {"issuerUri": issuer}}, subject)) == {object_id: (subject, ())}
    assert links(estate({"oidc": {"issuerUri": "https://token.actions.githubusercontent.com"}}, subject)) == {}
