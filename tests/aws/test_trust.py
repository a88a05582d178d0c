"""Role-trust (sts:AssumeRole) edges: both sides, every layer, conditions, external and federated callers."""

from __future__ import annotations

from ciem.model import EdgeKind, IdentityKind

from builders import (
    A, B, OUTSIDE, ROOT, account, allow, can, deny, doc, edges, managed, organization, policy_arn, role, role_arn,
    run, stmt, trusts, user, user_arn,
)
from ciem_aws.resolve.trust import PUBLIC

ALICE = user_arn("alice")
TARGET = role_arn("target")
ASSUME_ANY = doc(allow("sts:AssumeRole"))


def _assume(result, source, target=TARGET):
    return edges(result, source, target, "sts:AssumeRole")


def test_same_account_trust_naming_the_user_needs_no_identity_policy():
    result = run({A: account(users=[user("alice")], roles=[role("target", trusts({"AWS": ALICE}))])})
    [edge] = _assume(result, ALICE)
    assert edge.kind == EdgeKind.ASSUME and edge.conditions == () and edge.provenance[0] == f"trust:{TARGET}#0"
    assert can(result, ALICE, "sts:AssumeRole", TARGET) == "allow"


def test_trust_naming_the_account_needs_the_identity_policy():
    result = run({A: account(users=[user("alice", ASSUME_ANY), user("bob")],
                             roles=[role("target", trusts({"AWS": f"arn:aws:iam::{A}:root"}))])})
    assert _assume(result, ALICE)
    assert not _assume(result, user_arn("bob"))
    # The identity grant alone says nothing about collected roles: the edges decide.
    assert can(result, user_arn("bob"), "sts:AssumeRole", TARGET) is None
    assert can(result, ALICE, "sts:AssumeRole", "arn:aws:iam::444444444444:role/x") == "allow"


def test_identity_policy_without_trust_gives_no_edge():
    result = run({A: account(users=[user("alice", ASSUME_ANY)], roles=[role("target", trusts({"AWS": role_arn("other")}))])})
    assert not _assume(result, ALICE)
    assert can(result, ALICE, "sts:AssumeRole", TARGET) is None


def test_cross_account_needs_both_sides_even_when_the_trust_names_the_caller():
    trust = trusts({"AWS": [ALICE, user_arn("bob")]})
    result = run({A: account(users=[user("alice", doc(allow("sts:AssumeRole", role_arn("target", B)))), user("bob")]),
                  B: account(roles=[role("target", trust, account=B)])})
    assert _assume(result, ALICE, role_arn("target", B))
    assert not _assume(result, user_arn("bob"), role_arn("target", B))


def test_cross_account_trust_of_the_account_root():
    result = run({A: account(users=[user("alice", ASSUME_ANY), user("bob")]),
                  B: account(roles=[role("target", trusts({"AWS": A}), account=B)])})
    assert _assume(result, ALICE, role_arn("target", B))
    assert not _assume(result, user_arn("bob"), role_arn("target", B))


def test_scp_and_explicit_deny_block_even_a_direct_trust():
    org = organization({A: ROOT}, scps=[("p-nosts", doc(deny("sts:AssumeRole", role_arn("target"))), [A])])
    trust = trusts({"AWS": [ALICE, user_arn("bob")]})
    result = run({A: account(users=[user("alice"), user("bob", doc(deny("sts:*")))], roles=[role("target", trust)])})
    assert _assume(result, ALICE) and not _assume(result, user_arn("bob"))
    blocked = run({A: account(users=[user("alice")], roles=[role("target", trust)])}, org)
    assert not _assume(blocked, ALICE)


def test_boundary_limits_a_role_named_in_trust_but_not_a_user():
    boundary = policy_arn("b")
    trust = trusts({"AWS": [ALICE, role_arn("caller")]})
    result = run({A: account(
        users=[user("alice", boundary=boundary)],
        roles=[role("target", trust), role("caller", trusts({"AWS": A}), boundary=boundary)],
        policies=[managed(boundary, doc(allow("s3:*")))],
    )})
    assert _assume(result, ALICE)
    assert not _assume(result, role_arn("caller"))


def test_trust_conditions_decided_or_carried():
    tagged = {"StringEquals": {"aws:PrincipalTag/team": "ops"}}
    external_id = {"StringEquals": {"sts:ExternalId": "s3cr3t"}}
    result = run({A: account(
        users=[user("alice", tags={"team": "ops"}), user("bob", tags={"team": "web"})],
        roles=[role("target", doc(stmt("Allow", "sts:AssumeRole", None, principal={"AWS": [ALICE, user_arn("bob")]},
                                       condition=tagged))),
               role("vendor", trusts({"AWS": ALICE}, condition=external_id))],
    )})
    assert _assume(result, ALICE) and not _assume(result, user_arn("bob"))
    [edge] = _assume(result, ALICE, role_arn("vendor"))
    assert edge.conditions == ("sts:ExternalId",)
    assert can(result, ALICE, "sts:AssumeRole", role_arn("vendor")) == "conditional"


def test_trust_deny_statement_blocks_the_named_caller():
    trust = doc(stmt("Allow", "sts:AssumeRole", None, principal={"AWS": A}),
                stmt("Deny", "sts:AssumeRole", None, principal={"AWS": user_arn("bob")}))
    result = run({A: account(users=[user("alice", ASSUME_ANY), user("bob", ASSUME_ANY)], roles=[role("target", trust)])})
    assert _assume(result, ALICE) and not _assume(result, user_arn("bob"))


def test_org_condition_in_trust_is_decided_per_caller():
    org = organization({A: ROOT, B: ROOT})
    trust = trusts("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})
    result = run({A: account(users=[user("alice", ASSUME_ANY)]),
                  B: account(roles=[role("target", trust, account=B)])}, org)
    assert _assume(result, ALICE, role_arn("target", B))
    # Anyone (the public identity) is read as a caller outside the organization: the condition shuts it out.
    assert not _assume(result, PUBLIC, role_arn("target", B))


def test_uncollected_accounts_and_principals_become_external_identities():
    outside_role = f"arn:aws:iam::{OUTSIDE}:role/deployer"
    result = run({A: account(roles=[role("target", trusts({"AWS": [OUTSIDE, outside_role]}))])})
    sources = {e.source for e in result.edges if e.target == TARGET}
    assert sources == {f"arn:aws:iam::{OUTSIDE}:root", outside_role}
    kinds = {i.id: i.kind for i in result.identities}
    assert kinds[outside_role] == IdentityKind.EXTERNAL and kinds[f"arn:aws:iam::{OUTSIDE}:root"] == IdentityKind.EXTERNAL


def test_federated_providers_assume_with_saml_and_web_identity():
    saml = f"arn:aws:iam::{A}:saml-provider/okta"
    github = f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"
    result = run({A: account(roles=[
        role("sso", trusts({"Federated": saml}, "sts:AssumeRoleWithSAML",
                           condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}})),
        role("ci", trusts({"Federated": github}, "sts:AssumeRoleWithWebIdentity",
                          condition={"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/app:*"}})),
        role("cognito", trusts({"Federated": "cognito-identity.amazonaws.com"}, "sts:AssumeRoleWithWebIdentity")),
    ])})
    [sso] = edges(result, saml, role_arn("sso"))
    assert sso.method == "sts:AssumeRoleWithSAML" and sso.conditions == ("SAML:aud",)
    [ci] = edges(result, github, role_arn("ci"))
    assert ci.method == "sts:AssumeRoleWithWebIdentity" and ci.conditions == ("token.actions.githubusercontent.com:sub",)
    assert edges(result, "federated:cognito-identity.amazonaws.com", role_arn("cognito"))
    kinds = {i.id: (i.kind, i.human) for i in result.identities}
    assert kinds[saml] == (IdentityKind.FEDERATED, True) and kinds[github] == (IdentityKind.FEDERATED, False)


def test_cycles_are_just_edges_and_the_root_user_assumes_nothing():
    result = run({A: account(roles=[role("a", trusts({"AWS": role_arn("b")})), role("b", trusts({"AWS": role_arn("a")}))],
                             users=[user("alice", ASSUME_ANY)])})
    assert _assume(result, role_arn("a"), role_arn("b")) and _assume(result, role_arn("b"), role_arn("a"))
    assert not edges(result, f"arn:aws:iam::{A}:root", method="sts:AssumeRole")


def test_rcps_of_the_roles_account_govern_who_assumes_it():
    perimeter = doc(deny("sts:AssumeRole", principal="*",
                         condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}))
    locked = doc(deny("sts:AssumeRole", role_arn("locked"), principal="*"))
    member = "444444444444"  # in the organization, not collected
    org = organization({A: ROOT, member: ROOT}, rcps=[("p-perimeter", perimeter, [ROOT]), ("p-locked", locked, [A])])
    trust = trusts({"AWS": [ALICE, OUTSIDE, member]})
    result = run({A: account(users=[user("alice")], roles=[role("target", trust), role("locked", trust)])}, org)
    [inside] = _assume(result, ALICE)
    assert inside.conditions == ()
    [sibling] = _assume(result, f"arn:aws:iam::{member}:root")
    assert sibling.conditions == ()
    # OUTSIDE is not among the organization's accounts: whatever its organization, it is not this one.
    assert not _assume(result, f"arn:aws:iam::{OUTSIDE}:root")
    assert not _assume(result, ALICE, role_arn("locked"))


def test_federated_user_session_named_in_a_resource_policy_is_a_federated_identity():
    session = f"arn:aws:sts::{A}:federated-user/contractor"
    policy = doc(allow("sqs:SendMessage", "*", principal={"AWS": session}))
    queue = f"arn:aws:sqs:us-east-1:{A}:q"
    result = run({A: account(resources={"sqs": {"Queues": [{"QueueUrl": "https://q", "Arn": queue, "Policy": policy}]}})})
    assert [i.kind for i in result.identities if i.id == session] == [IdentityKind.FEDERATED]
    assert can(result, session, "sqs:SendMessage", queue) == "allow"
