"""Effective grants through every AWS policy layer, resource policies, identities and resources."""

from __future__ import annotations

import time

import pytest

from ciem.errors import InputError
from ciem.model import IdentityKind, Sensitivity

from builders import (
    A, B, MGMT, OUTSIDE, ROOT, account, allow, can, catalog, deny, doc, grants_of, group, group_arn, managed,
    organization, policy_arn, role, role_arn, run, service_trust, snapshot, trusts, user, user_arn,
)
from ciem_aws.resolve import resolve
from ciem_aws.resolve.grants import Layers, Verdict
from ciem_aws.resolve.principals import build_estate
from ciem_aws.resolve.trust import PUBLIC

ALICE = user_arn("alice")
BUCKET = "arn:aws:s3:::data"
OBJECT = BUCKET + "/report.csv"


def test_inline_managed_default_version_and_group_policies_all_grant():
    old = doc(allow("iam:*"))
    result = run({A: account(
        users=[user("alice", doc(allow("s3:GetObject", OBJECT)), managed=[policy_arn("p")], groups=["devs"])],
        groups=[group("devs", doc(allow("sqs:SendMessage")))],
        policies=[managed(policy_arn("p"), doc(allow("ec2:DescribeInstances")), old)],
    )})
    assert can(result, ALICE, "s3:GetObject", OBJECT) == "allow"
    assert can(result, ALICE, "s3:GetObject", BUCKET + "/other") is None
    assert can(result, ALICE, "ec2:DescribeInstances", "*") == "allow"
    assert can(result, ALICE, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:q") == "allow"
    # Only the default version counts.
    assert can(result, ALICE, "iam:CreateUser", "arn:aws:iam::111111111111:user/x") is None
    provenance = {p for g in grants_of(result, ALICE) for p in g.provenance}
    assert f"inline:{group_arn('devs')}/p0#0" in provenance
    assert f"{policy_arn('p')}#0" in provenance


def test_grants_are_symbolic_and_share_action_sets():
    same = doc(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::shared/*"))
    result = run({A: account(users=[user(f"u{i}", same) for i in range(5)])})
    grants = [g for g in result.grants if g.identity.startswith("arn:aws:iam::111111111111:user/u")]
    assert len(grants) == 5
    assert all(g.actions is grants[0].actions for g in grants)
    assert all(g.resources is grants[0].resources for g in grants)
    assert grants[0].actions == {"s3:GetObject", "s3:PutObject"}


def test_not_action_is_every_action_but_the_listed():
    result = run({A: account(users=[user("alice", doc(allow(None, not_actions=["iam:*", "organizations:*"])))])})
    assert can(result, ALICE, "s3:DeleteBucket", BUCKET) == "allow"
    assert can(result, ALICE, "iam:CreateUser", "arn:aws:iam::111111111111:user/x") is None
    assert can(result, ALICE, "organizations:LeaveOrganization", "*") is None


def test_not_resource_excludes_the_listed_resources():
    result = run({A: account(users=[user("alice", doc(allow("s3:GetObject", None, not_resources=["arn:aws:s3:::secret/*"])))])})
    assert can(result, ALICE, "s3:GetObject", OBJECT) == "allow"
    assert can(result, ALICE, "s3:GetObject", "arn:aws:s3:::secret/key") is None


def test_permission_boundary_intersects_and_narrows_resources():
    boundary = policy_arn("boundary")
    result = run({A: account(
        users=[user("alice", doc(allow(["s3:*", "iam:*"])), boundary=boundary), user("bob", doc(allow(["s3:*", "iam:*"])))],
        policies=[managed(boundary, doc(allow("s3:*", "arn:aws:s3:::data*")))],
    )})
    assert can(result, ALICE, "s3:GetObject", OBJECT) == "allow"
    assert can(result, ALICE, "s3:GetObject", "arn:aws:s3:::other/x") is None
    assert can(result, ALICE, "iam:CreateUser", "arn:aws:iam::111111111111:user/x") is None
    assert can(result, user_arn("bob"), "iam:CreateUser", "arn:aws:iam::111111111111:user/x") == "allow"
    narrowed = [g for g in grants_of(result, ALICE) if "s3:GetObject" in g.actions][0]
    assert narrowed.resources.also == (("arn:aws:s3:::data*",),)
    assert narrowed.provenance == (f"{boundary}#0", f"inline:{ALICE}/p0#0")


def _org_estate(scps, without_full_access=()):
    org = organization({A: "ou-prod", B: ROOT}, {"ou-prod": ROOT}, scps=scps, without_full_access=without_full_access)
    admin = doc(allow("*"))
    data = {
        A: account(users=[user("alice", admin)],
                   roles=[role("AWSServiceRoleForSupport", service_trust("support.amazonaws.com"), admin,
                               path="/aws-service-role/support.amazonaws.com/")]),
        B: account(users=[user("bob", admin, account=B)]),
        MGMT: account(users=[user("boss", admin, account=MGMT)]),
    }
    return run(data, org)


def test_scp_levels_root_first_each_must_allow():
    allow_list = doc(allow(["s3:*", "ec2:*"]))
    result = _org_estate([("p-ou", allow_list, ["ou-prod"])], without_full_access=["ou-prod"])
    # A sits under ou-prod, whose SCP allows only S3 and EC2.
    assert can(result, ALICE, "s3:GetObject", OBJECT) == "allow"
    assert can(result, ALICE, "iam:CreateUser", "arn:aws:iam::111111111111:user/x") is None
    # B hangs from the root: FullAWSAccess only.
    assert can(result, user_arn("bob", B), "iam:CreateUser", "arn:aws:iam::222222222222:user/x") == "allow"
    # The management account and service-linked roles are exempt from SCPs.
    assert can(result, user_arn("boss", MGMT), "iam:CreateUser", "arn:aws:iam::999999999999:user/x") == "allow"
    linked = "arn:aws:iam::111111111111:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"
    assert can(result, linked, "iam:CreateUser", "arn:aws:iam::111111111111:user/x") == "allow"
    scoped = [g for g in grants_of(result, ALICE) if "s3:GetObject" in g.actions][0]
    # Outermost first; FullAWSAccess levels narrow nothing and are left out.
    assert scoped.provenance == ("scp:p-ou#0", f"inline:{ALICE}/p0#0")


def test_unconditional_scp_deny_is_subtracted_and_partial_deny_stays_a_deny_grant():
    scp = doc(deny("iam:*"), deny("s3:DeleteBucket", "arn:aws:s3:::prod-*"))
    result = _org_estate([("p-deny", scp, [ROOT])])
    assert can(result, ALICE, "iam:CreateUser", "arn:aws:iam::111111111111:user/x") is None
    assert not any("iam:CreateUser" in g.actions for g in grants_of(result, ALICE))
    assert can(result, ALICE, "s3:DeleteBucket", "arn:aws:s3:::prod-data") is None
    assert can(result, ALICE, "s3:DeleteBucket", "arn:aws:s3:::dev-data") == "allow"
    partial = [g for g in grants_of(result, ALICE, deny=True) if "s3:DeleteBucket" in g.actions]
    assert partial and partial[0].conditions == () and partial[0].resources.include == ("arn:aws:s3:::prod-*",)


def test_conditional_deny_is_emitted_with_its_keys():
    scp = doc(deny("*", condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}))
    result = _org_estate([("p-region", scp, ["ou-prod"])])
    denies = grants_of(result, ALICE, deny=True)
    assert denies and denies[0].conditions == ("aws:RequestedRegion",)
    assert can(result, ALICE, "s3:GetObject", OBJECT) == "conditional"
    assert can(result, user_arn("bob", B), "s3:GetObject", OBJECT) == "allow"


def _effective(accounts, arn):
    layers = Layers(build_estate([snapshot(accounts)]), catalog())
    return layers, layers.effective(layers.estate.principals[arn])


def test_an_answer_no_resource_changes_is_worked_out_once_per_action_and_context():
    without_mfa = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    layers, admin = _effective({A: account(users=[user("alice", doc(allow("*"), deny("*", condition=without_mfa)))])},
                               ALICE)
    bit = layers.catalog.bit("s3:GetObject")
    assert admin.blind(bit)
    first = admin.can(bit, OBJECT)
    assert first.allowed and first.conditions == ("aws:MultiFactorAuthPresent",)
    assert admin.can(bit, "arn:aws:s3:::other/*") is first
    assert admin.can(bit, OBJECT, {"aws:MultiFactorAuthPresent": "true"}) == Verdict(True, (), first.provenance)


def test_an_answer_that_depends_on_the_resource_is_worked_out_for_each():
    layers, named_first = _effective({A: account(users=[user("alice", doc(allow("s3:GetObject", OBJECT), allow("*")))])},
                                     ALICE)
    bit = layers.catalog.bit("s3:GetObject")
    assert not named_first.blind(bit)  # the first allow names the object: it is the one that answers for it
    assert named_first.can(bit, OBJECT).provenance != named_first.can(bit, BUCKET + "/other").provenance
    layers, partly_denied = _effective({A: account(users=[user("alice", doc(allow("*"), deny("s3:*", BUCKET + "/*")))])},
                                       ALICE)
    assert not partly_denied.blind(bit)
    assert partly_denied.can(bit, "arn:aws:s3:::other/x").allowed and not partly_denied.can(bit, OBJECT).allowed


def test_identity_deny_folds_and_boundary_deny_applies():
    boundary = policy_arn("b")
    result = run({A: account(
        users=[user("alice", doc(allow("s3:*"), deny("s3:DeleteObject")), boundary=boundary)],
        policies=[managed(boundary, doc(allow("*"), deny("s3:PutObject", BUCKET + "/*")))],
    )})
    assert can(result, ALICE, "s3:DeleteObject", OBJECT) is None
    assert can(result, ALICE, "s3:PutObject", OBJECT) is None
    assert can(result, ALICE, "s3:PutObject", "arn:aws:s3:::other/x") == "allow"


def test_conditions_on_principal_facts_are_decided():
    team = {"StringEquals": {"aws:PrincipalTag/team": "data"}}
    result = run({A: account(users=[
        user("alice", doc(allow("s3:GetObject", condition=team)), tags={"team": "data"}),
        user("bob", doc(allow("s3:GetObject", condition=team)), tags={"team": "web"}),
        user("carol", doc(allow("s3:GetObject", condition=team))),
        user("dave", doc(allow("s3:GetObject", condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        user("erin", doc(allow("s3:GetObject", condition={"StringEquals": {"aws:PrincipalAccount": A}}))),
    ])})
    assert can(result, ALICE, "s3:GetObject", OBJECT) == "allow"
    assert can(result, user_arn("bob"), "s3:GetObject", OBJECT) is None
    assert can(result, user_arn("carol"), "s3:GetObject", OBJECT) is None  # an untagged user has no such tag
    assert can(result, user_arn("dave"), "s3:GetObject", OBJECT) == "conditional"
    assert grants_of(result, user_arn("dave"))[0].conditions == ("aws:SourceIp",)
    assert can(result, user_arn("erin"), "s3:GetObject", OBJECT) == "allow"


def test_org_condition_is_decided_from_the_organization():
    org = organization({A: ROOT, B: ROOT})
    in_org = doc(allow("s3:GetObject", condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))
    elsewhere = doc(allow("s3:GetObject", condition={"StringEquals": {"aws:PrincipalOrgID": "o-other"}}))
    result = run({A: account(users=[user("alice", in_org), user("bob", elsewhere)])}, org)
    assert can(result, ALICE, "s3:GetObject", OBJECT) == "allow"
    assert can(result, user_arn("bob"), "s3:GetObject", OBJECT) is None


def test_policy_variables_are_substituted_per_principal():
    home = doc(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"))
    result = run({A: account(users=[user("alice", home)], roles=[role("r", trusts({"AWS": A}), home)])})
    assert can(result, ALICE, "s3:GetObject", "arn:aws:s3:::home/alice/x") == "allow"
    assert can(result, ALICE, "s3:GetObject", "arn:aws:s3:::home/bob/x") is None
    # A role session has no aws:username: the statement matches nothing.
    assert can(result, role_arn("r"), "s3:GetObject", "arn:aws:s3:::home/alice/x") is None


def test_unknown_action_is_reported_as_a_gap():
    result = run({A: account(users=[user("alice", doc(allow(["s3:GetObject", "s3:GetObjetc"])))])})
    gaps = [g for g in result.gaps if g.operation == "unknown-action"]
    assert len(gaps) == 1 and gaps[0].scope == f"inline:{ALICE}/p0#0" and "s3:GetObjetc" in gaps[0].reason


def test_malformed_input_names_the_place():
    bad = account(users=[user("alice", {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*"}]})])
    with pytest.raises(InputError) as error:
        resolve([snapshot({A: bad}, source="export-dir")], catalog=catalog())
    assert "export-dir" in str(error.value) and "UserDetailList[0].UserPolicyList[0].PolicyDocument" in str(error.value)


# --- resource policies --------------------------------------------------------------------------

def _bucket(name: str, policy=None, **extra):
    return {"Name": name, "Region": "us-east-1", "Policy": policy, "Tags": {}, **extra}


def test_identity_policy_does_not_reach_another_collected_accounts_resources():
    result = run({
        A: account(users=[user("alice", doc(allow("s3:GetObject")))], resources={"s3": {"Buckets": [_bucket("mine")]}}),
        B: account(resources={"s3": {"Buckets": [_bucket("theirs")]}}),
    })
    assert can(result, ALICE, "s3:GetObject", "arn:aws:s3:::mine/x") == "allow"
    assert can(result, ALICE, "s3:GetObject", "arn:aws:s3:::theirs/x") is None
    assert can(result, ALICE, "s3:GetObject", "arn:aws:s3:::uncollected/x") == "allow"


def test_cross_account_resource_policy_needs_both_sides():
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::theirs/*", principal={"AWS": ALICE}),
                 allow("s3:GetObject", "arn:aws:s3:::theirs/*", principal={"AWS": user_arn("bob")}))
    result = run({
        A: account(users=[user("alice", doc(allow("s3:*"))), user("bob")]),
        B: account(resources={"s3": {"Buckets": [_bucket("theirs", policy)]}}),
    })
    assert can(result, ALICE, "s3:GetObject", "arn:aws:s3:::theirs/x") == "allow"
    assert can(result, ALICE, "s3:PutObject", "arn:aws:s3:::theirs/x") is None
    assert can(result, user_arn("bob"), "s3:GetObject", "arn:aws:s3:::theirs/x") is None


def test_principals_sharing_a_policy_get_the_same_cross_account_answer():
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::theirs/*", principal="*",
                       condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))
    reads_theirs, reads_other = doc(allow("s3:GetObject", "arn:aws:s3:::theirs/*")), doc(allow("s3:GetObject", BUCKET + "/*"))
    org = organization({A: ROOT, B: ROOT})
    result = run({
        A: account(users=[user("alice", reads_theirs), user("bob", reads_other), user("carol", reads_theirs)]),
        B: account(resources={"s3": {"Buckets": [_bucket("theirs", policy)]}}),
    }, org)
    for name, expected in (("alice", True), ("bob", False), ("carol", True)):
        assert (can(result, user_arn(name), "s3:GetObject", "arn:aws:s3:::theirs/x") == "allow") is expected
        assert any("arn:aws:s3:::theirs/*" in g.resources.include for g in grants_of(result, user_arn(name))) is expected


def test_same_account_resource_policy_naming_the_principal_grants_alone():
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::data/*", principal={"AWS": ALICE}),
                 allow("s3:PutObject", "arn:aws:s3:::data/*", principal={"AWS": f"arn:aws:iam::{A}:root"}))
    result = run({A: account(users=[user("alice")], resources={"s3": {"Buckets": [_bucket("data", policy)]}})})
    assert can(result, ALICE, "s3:GetObject", OBJECT) == "allow"
    # Naming the account only delegates to identity policies, which grant nothing here.
    assert can(result, ALICE, "s3:PutObject", OBJECT) is None


def test_resource_policy_grant_still_obeys_scps():
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::data/*", principal={"AWS": ALICE}))
    org = organization({A: ROOT}, scps=[("p-nos3", doc(deny("s3:*")), [A])])
    result = run({A: account(users=[user("alice")], resources={"s3": {"Buckets": [_bucket("data", policy)]}})}, org)
    assert can(result, ALICE, "s3:GetObject", OBJECT) is None


def test_public_policy_names_an_external_identity_and_block_public_access_restricts_it():
    public = doc(allow("s3:GetObject", "arn:aws:s3:::open/*", principal="*"))
    result = run({A: account(users=[user("alice")], resources={"s3": {"Buckets": [
        _bucket("open", public), _bucket("shut", doc(allow("s3:GetObject", "arn:aws:s3:::shut/*", principal="*")),
                                         PublicAccessBlock={"RestrictPublicBuckets": True})]}})})
    assert can(result, PUBLIC, "s3:GetObject", "arn:aws:s3:::open/x") == "allow"
    assert can(result, PUBLIC, "s3:GetObject", "arn:aws:s3:::shut/x") is None
    # A principal of the bucket's own account is still granted by the public statement.
    assert can(result, ALICE, "s3:GetObject", "arn:aws:s3:::shut/x") == "allow"
    public_identity = [i for i in result.identities if i.id == PUBLIC][0]
    assert public_identity.kind == IdentityKind.EXTERNAL
    assert public_identity.attributes["external"] == "public" and public_identity.attributes["in_organization"] is False


def test_account_level_block_public_access_restricts_every_bucket():
    public = doc(allow("s3:GetObject", "arn:aws:s3:::open/*", principal="*"))
    result = run({A: account(resources={"s3": {"AccountPublicAccessBlock": {"RestrictPublicBuckets": True},
                                               "Buckets": [_bucket("open", public)]}})})
    assert can(result, PUBLIC, "s3:GetObject", "arn:aws:s3:::open/x") is None
    # The account setting applies to this account's buckets only.
    other = run({A: account(resources={"s3": {"AccountPublicAccessBlock": {"RestrictPublicBuckets": False},
                                              "Buckets": [_bucket("open", public)]}})})
    assert can(other, PUBLIC, "s3:GetObject", "arn:aws:s3:::open/x") == "allow"


@pytest.mark.parametrize("condition, public", [
    ({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, False),
    ({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, False),
    ({"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{A}:topic"}}, False),
    ({"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}}, False),  # every session of one role
    # Near misses: each admits callers the condition does not pin.
    ({"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, True),
    ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, True),
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}, True),
    ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, True),
    ({"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}}, True),
    ({"ForAllValues:StringEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d"]}}, True),
])
def test_public_statement_narrowed_by_a_fixed_caller_condition_is_not_public(condition, public):
    queue = f"arn:aws:sqs:us-east-1:{A}:q"
    policy = doc(allow("sqs:SendMessage", queue, principal="*", condition=condition))
    result = run({A: account(resources={"sqs": {"Queues": [{"QueueUrl": "https://q", "Arn": queue, "Policy": policy}]}})})
    assert (can(result, PUBLIC, "sqs:SendMessage", queue) is not None) is public


def test_public_statement_with_a_condition_on_the_request_only_is_public_and_conditional():
    queue = f"arn:aws:sqs:us-east-1:{A}:q"
    policy = doc(allow("sqs:SendMessage", queue, principal="*", condition={"Bool": {"aws:SecureTransport": "true"}}))
    result = run({A: account(resources={"sqs": {"Queues": [{"QueueUrl": "https://q", "Arn": queue, "Policy": policy}]}})})
    assert can(result, PUBLIC, "sqs:SendMessage", queue) == "conditional"
    assert [g.conditions for g in grants_of(result, PUBLIC)] == [("aws:SecureTransport",)]


def test_external_identities_say_how_far_they_reach_and_whether_they_are_in_the_organization():
    inside = "444444444444"  # a member account that was not collected
    org = organization({A: ROOT, inside: ROOT})
    trust = trusts({"AWS": [f"arn:aws:iam::{OUTSIDE}:root", f"arn:aws:iam::{inside}:role/ops"]})
    accounts = {A: account(roles=[role("shared", trust), role("open", trusts({"AWS": "*"}))])}
    by_id = {i.id: i for i in run(accounts, org).identities}
    assert by_id[f"arn:aws:iam::{OUTSIDE}:root"].attributes | {"named_by": []} == \
        {"external": "account", "in_organization": False, "named_by": []}
    assert by_id[f"arn:aws:iam::{inside}:role/ops"].attributes["external"] == "principal"
    assert by_id[f"arn:aws:iam::{inside}:role/ops"].attributes["in_organization"] is True
    assert by_id[PUBLIC].attributes["external"] == "public" and by_id[PUBLIC].attributes["in_organization"] is False
    # Without organization data, membership is unknown and left out; anyone is never a member.
    unknown = {i.id: i for i in run(accounts).identities}
    assert "in_organization" not in unknown[f"arn:aws:iam::{OUTSIDE}:root"].attributes
    assert unknown[PUBLIC].attributes["in_organization"] is False


def test_statements_to_everyone_apply_to_every_external_identity_too():
    queue = f"arn:aws:sqs:us-east-1:{A}:q"
    outsider, stranger = f"arn:aws:iam::{OUTSIDE}:root", "arn:aws:iam::444444444444:root"
    policy = doc(
        allow("sqs:GetQueueUrl", queue, principal={"AWS": [outsider, stranger]}),
        allow("sqs:SendMessage", queue, principal="*"),
        # Narrowed to one account: not public, but the outsider is admitted.
        allow("sqs:ReceiveMessage", queue, principal="*", condition={"StringEquals": {"aws:PrincipalAccount": OUTSIDE}}),
        deny("sqs:SendMessage", queue, principal="*", condition={"Bool": {"aws:SecureTransport": "false"}}),
        {**deny("sqs:GetQueueUrl", queue), "NotPrincipal": {"AWS": outsider}},
    )
    result = run({A: account(resources={"sqs": {"Queues": [{"QueueUrl": "https://q", "Arn": queue, "Policy": policy}]}})})
    for identity in (PUBLIC, outsider, stranger):
        assert can(result, identity, "sqs:SendMessage", queue) == "conditional"  # the TLS deny reaches everyone
    assert can(result, outsider, "sqs:ReceiveMessage", queue) == "allow"
    assert can(result, stranger, "sqs:ReceiveMessage", queue) is None and can(result, PUBLIC, "sqs:ReceiveMessage", queue) is None
    # NotPrincipal denies everyone but the listed: the stranger, not the outsider.
    assert can(result, outsider, "sqs:GetQueueUrl", queue) == "allow"
    assert can(result, stranger, "sqs:GetQueueUrl", queue) is None


def test_canonical_user_in_a_bucket_policy_is_an_account():
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::data/*", principal={"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}))
    result = run({A: account(resources={"s3": {"Buckets": [_bucket("data", policy)]}})})
    identity = next(i for i in result.identities if i.id == "canonical-user:79a59df900b949e55d96a1e698fbaced")
    assert identity.attributes["external"] == "account" and "in_organization" not in identity.attributes


def test_uncollected_account_in_a_resource_policy_is_an_external_identity():
    policy = doc(allow("sqs:SendMessage", "*", principal={"AWS": OUTSIDE}))
    queue = f"arn:aws:sqs:us-east-1:{A}:q"
    result = run({A: account(resources={"sqs": {"Queues": [{"QueueUrl": "https://q", "Arn": queue, "Policy": policy}]}})})
    outsider = f"arn:aws:iam::{OUTSIDE}:root"
    assert can(result, outsider, "sqs:SendMessage", queue) == "allow"
    assert can(result, outsider, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{A}:other") is None
    assert [i.kind for i in result.identities if i.id == outsider] == [IdentityKind.EXTERNAL]


def _key(key_id: str, policy, **extra):
    return {"KeyId": key_id, "Arn": f"arn:aws:kms:us-east-1:{A}:key/{key_id}", "Region": "us-east-1",
            "Policy": policy, "Grants": extra.pop("Grants", []), "Tags": extra.pop("Tags", {})}


def test_kms_key_policy_must_delegate_to_the_account():
    delegating = doc(allow("kms:*", "*", principal={"AWS": f"arn:aws:iam::{A}:root"}))
    closed = doc(allow("kms:*", "*", principal={"AWS": role_arn("keyadmin")}))
    result = run({A: account(
        users=[user("alice", doc(allow("kms:Decrypt")))],
        roles=[role("keyadmin", trusts({"AWS": A}))],
        resources={"kms": {"Keys": [_key("open", delegating), _key("closed", closed)]}},
    )})
    key = f"arn:aws:kms:us-east-1:{A}:key/"
    assert can(result, ALICE, "kms:Decrypt", key + "open") == "allow"
    assert can(result, ALICE, "kms:Decrypt", key + "closed") is None
    assert can(result, ALICE, "kms:Decrypt", key + "uncollected") == "allow"
    # The key policy names the role itself: that grants with no identity policy.
    assert can(result, role_arn("keyadmin"), "kms:ScheduleKeyDeletion", key + "closed") == "allow"
    assert can(result, role_arn("keyadmin"), "kms:ScheduleKeyDeletion", key + "open") is None


def test_key_policies_limit_only_the_keys_an_identity_policy_reaches_in_its_own_account():
    delegating = doc(allow("kms:*", "*", principal={"AWS": f"arn:aws:iam::{A}:root"},
                           condition={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}))
    # The second key is filed under A but its ARN names B: B's resources are beyond A's identities.
    misfiled = {**_key("misfiled", delegating), "Arn": f"arn:aws:kms:us-east-1:{B}:key/misfiled"}
    result = run({A: account(users=[user("alice", doc(allow("kms:Decrypt")))],
                             resources={"kms": {"Keys": [_key("own", delegating), misfiled]}}),
                  B: account()})
    own, other = f"arn:aws:kms:us-east-1:{A}:key/own", misfiled["Arn"]
    assert can(result, ALICE, "kms:Decrypt", own) == "conditional"
    assert can(result, ALICE, "kms:Decrypt", other) is None
    per_key = [g.resources.include for g in grants_of(result, ALICE) if len(g.resources.include) == 1
               and g.resources.include[0].startswith("arn:aws:kms")]
    assert per_key == [(own,)]
    assert all(other not in g.resources.exclude for g in grants_of(result, ALICE))


def test_kms_grant_gives_its_operations():
    closed = doc(allow("kms:*", "*", principal={"AWS": role_arn("keyadmin")}))
    grant = {"GrantId": "g1", "GranteePrincipal": ALICE, "Operations": ["Decrypt"]}
    result = run({A: account(users=[user("alice")], roles=[role("keyadmin", trusts({"AWS": A}))],
                             resources={"kms": {"Keys": [_key("k", closed, Grants=[grant])]}})})
    key = f"arn:aws:kms:us-east-1:{A}:key/k"
    assert can(result, ALICE, "kms:Decrypt", key) == "allow"
    assert can(result, ALICE, "kms:Encrypt", key) is None


def test_rcp_denies_outsiders_on_the_accounts_resources():
    rcp = doc(deny("s3:*", principal="*", condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}))
    org = organization({A: ROOT}, rcps=[("p-perimeter", rcp, [ROOT])])
    public = doc(allow("s3:GetObject", "arn:aws:s3:::open/*", principal="*"))
    result = run({A: account(users=[user("alice", doc(allow("s3:*")))],
                             resources={"s3": {"Buckets": [_bucket("open", public)]}})}, org)
    # Anyone is read as a caller outside the organization: the RCP denies it.
    assert can(result, PUBLIC, "s3:GetObject", "arn:aws:s3:::open/x") is None
    assert can(result, ALICE, "s3:GetObject", "arn:aws:s3:::open/x") == "allow"


# --- identities and resources ---------------------------------------------------------------------

def test_identities_humans_aliases_and_attributes():
    report = [{"user": "alice", "arn": ALICE, "password_enabled": "true", "mfa_active": "true",
               "password_last_used": "2026-01-01T00:00:00+00:00", "access_key_1_active": "true",
               "access_key_1_last_rotated": "2025-01-01T00:00:00+00:00", "access_key_1_last_used_date": "N/A",
               "access_key_2_active": "false"},
              {"user": "ci", "arn": user_arn("ci"), "password_enabled": "false", "mfa_active": "false"}]
    result = run({A: account(
        users=[user("alice", AccessKeys=[{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}]), user("ci")],
        roles=[role("sso", trusts({"Federated": f"arn:aws:iam::{A}:saml-provider/okta"}, "sts:AssumeRoleWithSAML")),
               role("app", service_trust("lambda.amazonaws.com"))],
        groups=[group("g")],
        credential_report=report,
    )})
    by_id = {i.id: i for i in result.identities}
    alice = by_id[ALICE]
    assert alice.human and "AKIAIOSFODNN7EXAMPLE" in alice.aliases and alice.attributes["mfa"] is True
    assert alice.attributes["access_keys"][0]["active"] is True and alice.attributes["password_last_used"]
    assert not by_id[user_arn("ci")].human
    assert by_id[role_arn("sso")].human and not by_id[role_arn("app")].human
    assert "app@111111111111" in by_id[role_arn("app")].aliases
    assert by_id[f"arn:aws:iam::{A}:saml-provider/okta"].kind == IdentityKind.FEDERATED
    assert by_id[group_arn("g")].kind == IdentityKind.GROUP
    assert by_id[f"arn:aws:iam::{A}:root"].human


def test_root_user_carries_its_credential_report_row():
    root = f"arn:aws:iam::{A}:root"
    report = [{"user": "<root_account>", "arn": root, "password_enabled": "not_supported", "mfa_active": "false",
               "user_creation_time": "2019-01-01T00:00:00+00:00",
               "access_key_1_active": "true", "access_key_1_last_rotated": "2020-01-01T00:00:00+00:00",
               "access_key_1_last_used_date": "2025-06-01T00:00:00+00:00",
               "access_key_2_active": "false", "access_key_2_last_rotated": "N/A", "access_key_2_last_used_date": "N/A"}]
    attributes = {i.id: i for i in run({A: account(credential_report=report)}).identities}[root].attributes
    assert attributes["root"] is True and attributes["mfa"] is False
    # The second slot never held a key.
    assert attributes["access_keys"] == [{"active": True, "last_rotated": "2020-01-01T00:00:00+00:00",
                                          "last_used": "2025-06-01T00:00:00+00:00"}]
    # Without a report row nothing is claimed about MFA or keys.
    silent = {i.id: i for i in run({A: account()}).identities}[root].attributes
    assert silent == {"root": True}


def test_resources_parents_and_sensitivity():
    org = organization({A: "ou-prod"}, {"ou-prod": ROOT})
    result = run({A: account(
        roles=[role("admin", trusts({"AWS": A}), doc(allow("*"))), role("plain", trusts({"AWS": A}))],
        resources={
            "s3": {"Buckets": [_bucket("pii", Tags={"data-classification": "Confidential"}), _bucket("logs")]},
            "secretsmanager": {"Secrets": [{"ARN": f"arn:aws:secretsmanager:us-east-1:{A}:secret:s", "Name": "s"}]},
            "kms": {"Keys": [_key("k", doc(allow("kms:*", "*", principal={"AWS": A})), Tags={"sensitivity": "restricted"})]},
        })}, org)
    by_id = {r.id: r for r in result.resources}
    assert by_id["arn:aws:s3:::pii"].parents == (ROOT, "ou-prod", A)
    assert by_id["arn:aws:s3:::pii"].sensitivity == Sensitivity.HIGH
    assert by_id["arn:aws:s3:::logs"].sensitivity == Sensitivity.NONE
    assert by_id[f"arn:aws:secretsmanager:us-east-1:{A}:secret:s"].sensitivity == Sensitivity.HIGH
    assert by_id[f"arn:aws:kms:us-east-1:{A}:key/k"].sensitivity == Sensitivity.CRITICAL
    assert by_id[role_arn("admin")].sensitivity == Sensitivity.CRITICAL
    assert by_id[role_arn("plain")].sensitivity == Sensitivity.NONE


# --- scale ----------------------------------------------------------------------------------------

def test_large_account_resolves_in_seconds():
    services = ["s3", "ec2", "lambda", "dynamodb", "sqs", "sns", "kms", "logs", "cloudwatch", "ecr"]
    policies = [managed(policy_arn(f"p{i}"), doc(
        allow([f"{services[i % 10]}:Get*", f"{services[(i + 3) % 10]}:List*"], f"arn:aws:{services[i % 10]}:*:{A}:*{i}*"),
        allow("iam:PassRole", role_arn(f"r{i % 1400}"), condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
        deny("s3:DeleteBucket"))) for i in range(3000)]
    roles = [role(f"r{i}", service_trust("lambda.amazonaws.com") if i % 3 else trusts({"AWS": A}),
                  doc(allow("sts:AssumeRole", role_arn(f"r{(i + 1) % 1400}"))),
                  managed=[policy_arn(f"p{(i * 2 + k) % 3000}") for k in range(4)]) for i in range(1400)]
    users = [user(f"u{i}", doc(allow(["lambda:CreateFunction", "lambda:InvokeFunction"])),
                  managed=[policy_arn(f"p{i}")]) for i in range(200)]
    started = time.perf_counter()
    result = run({A: account(users=users, roles=roles, policies=policies)})
    elapsed = time.perf_counter() - started
    assert len([i for i in result.identities if i.kind == IdentityKind.ROLE]) == 1400
    assert any(e.method.startswith("iam:PassRole+lambda:CreateFunction") for e in result.edges)
    assert elapsed < 20, f"resolution took {elapsed:.1f}s"


# --- explain ---------------------------------------------------------------------------------------

def _explain(accounts, org=None, **request):
    from ciem.model import EvaluationRequest
    from ciem_aws.resolve import explain

    return explain([snapshot(accounts, org)], EvaluationRequest(**request), catalog=catalog())


def test_explain_gathers_every_layer():
    org = organization({A: ROOT}, scps=[("p-nodelete", doc(deny("s3:DeleteObject")), [A])])
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::data/*", principal={"AWS": ALICE}))
    accounts = {A: account(users=[user("alice", doc(allow("s3:*")))],
                           resources={"s3": {"Buckets": [_bucket("data", policy)]}})}
    allowed = _explain(accounts, org, identity=ALICE, action="s3:GetObject", resource=OBJECT)
    assert allowed.decision == "allowed"
    layers = {layer.layer: layer.verdict for layer in allowed.layers}
    assert layers["scp"] == "allow" and layers["identity"] == "allow" and layers["resource"] == "allow"
    denied = _explain(accounts, org, identity=ALICE, action="s3:DeleteObject", resource=OBJECT)
    assert denied.decision == "explicitDeny"


def test_explain_conditional_and_session_arn():
    accounts = {A: account(roles=[role("app", trusts({"AWS": A}),
                                       doc(allow("s3:GetObject", condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))])}
    session = f"arn:aws:sts::{A}:assumed-role/app/i-0123"
    unknown = _explain(accounts, identity=session, action="s3:GetObject", resource=OBJECT)
    assert unknown.decision == "conditional" and "aws:SourceIp" in unknown.missing_context
    known = _explain(accounts, identity=session, action="s3:GetObject", resource=OBJECT, context={"aws:SourceIp": "10.1.2.3"})
    assert known.decision == "allowed"


def test_explain_rejects_unknown_identities_and_malformed_input():
    from ciem.errors import NotFoundError, QueryError

    accounts = {A: account(users=[user("alice")])}
    with pytest.raises(NotFoundError):
        _explain(accounts, identity=user_arn("nobody"), action="s3:GetObject", resource=OBJECT)
    with pytest.raises(QueryError):
        _explain(accounts, identity="arn:aws:iam::12:user/x", action="s3:GetObject", resource=OBJECT)
    with pytest.raises(QueryError):
        _explain(accounts, identity=ALICE, action="s3:GetObject", resource="not-an-arn")
    with pytest.raises(QueryError):
        _explain(accounts, identity=ALICE, action="s3:NoSuchAction", resource=OBJECT)


def test_explain_external_caller_and_the_organization_perimeter():
    partner = f"arn:aws:iam::{OUTSIDE}:root"
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::exchange/*", principal={"AWS": partner}))
    accounts = {A: account(resources={"s3": {"Buckets": [_bucket("exchange", policy)]}})}
    request = dict(identity=partner, action="s3:GetObject", resource="arn:aws:s3:::exchange/feed.csv")
    assert _explain(accounts, organization({A: ROOT}), **request).decision == "allowed"
    perimeter = doc(deny("s3:*", principal="*", condition={
        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}))
    fenced = _explain(accounts, organization({A: ROOT}, rcps=[("p-perimeter", perimeter, [ROOT])]), **request)
    assert fenced.decision == "explicitDeny"


def test_explain_public_caller_agrees_with_the_public_grants():
    queue = f"arn:aws:sqs:us-east-1:{A}:q"
    open_queue = doc(allow("sqs:SendMessage", queue, principal="*"))
    public = doc(allow("s3:GetObject", "arn:aws:s3:::open/*", principal="*"))
    accounts = {A: account(resources={"sqs": {"Queues": [{"QueueUrl": "https://q", "Arn": queue, "Policy": open_queue}]},
                                      "s3": {"Buckets": [_bucket("open", public),
                                                         _bucket("shut", doc(allow("s3:GetObject", "arn:aws:s3:::shut/*", principal="*")),
                                                                 PublicAccessBlock={"RestrictPublicBuckets": True})]}})}
    perimeter = doc(deny("s3:*", principal="*", condition={
        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}))
    org = organization({A: ROOT}, rcps=[("p-perimeter", perimeter, [ROOT])])
    resolution = run(accounts, org)
    cases = [("sqs:SendMessage", queue, "allowed", "allow"),
             ("s3:GetObject", "arn:aws:s3:::shut/x", "implicitDeny", None),  # Block Public Access
             ("s3:GetObject", "arn:aws:s3:::open/x", "explicitDeny", None)]  # the RCP keeps strangers out
    for action, resource, decision, granted in cases:
        assert _explain(accounts, org, identity=PUBLIC, action=action, resource=resource).decision == decision
        assert can(resolution, PUBLIC, action, resource) == granted


def test_explain_counts_kms_grants():
    closed = doc(allow("kms:*", "*", principal={"AWS": role_arn("keyadmin")}))
    grant = {"GrantId": "g1", "GranteePrincipal": role_arn("app"), "Operations": ["Decrypt"]}
    accounts = {A: account(roles=[role("keyadmin", trusts({"AWS": A})), role("app", trusts({"AWS": A}))],
                           resources={"kms": {"Keys": [_key("k", closed, Grants=[grant])]}})}
    key = f"arn:aws:kms:us-east-1:{A}:key/k"
    assert _explain(accounts, identity=role_arn("app"), action="kms:Decrypt", resource=key).decision == "allowed"
    assert _explain(accounts, identity=role_arn("app"), action="kms:Encrypt", resource=key).decision == "implicitDeny"


def test_boundary_limits_a_resource_policy_naming_the_role_but_not_one_naming_everyone():
    boundary = policy_arn("b")
    app = role_arn("app")
    named = doc(allow("s3:GetObject", "arn:aws:s3:::named/*", principal={"AWS": app}))
    public = doc(allow("s3:GetObject", "arn:aws:s3:::open/*", principal="*"))
    result = run({A: account(roles=[role("app", trusts({"AWS": A}), boundary=boundary)],
                             policies=[managed(boundary, doc(allow("sqs:*")))],
                             resources={"s3": {"Buckets": [_bucket("named", named), _bucket("open", public)]}})})
    assert can(result, app, "s3:GetObject", "arn:aws:s3:::named/x") is None
    assert can(result, app, "s3:GetObject", "arn:aws:s3:::open/x") == "allow"


def test_an_scp_level_the_export_left_empty_is_reported_not_read_as_deny_all():
    org = organization({A: ROOT}, without_full_access=[A])
    result = run({A: account(users=[user("alice", doc(allow("s3:GetObject")))])}, org)
    assert can(result, ALICE, "s3:GetObject", OBJECT) == "allow"
    assert any(g.operation == "organizations:ListPoliciesForTarget" and A in g.reason for g in result.gaps)


def test_alike_bucket_policies_make_one_grant_per_principal():
    org = organization({A: ROOT, B: ROOT})
    buckets = [_bucket(f"shared-{i}", doc(allow("s3:GetObject", f"arn:aws:s3:::shared-{i}/*", principal="*",
                                               condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})))
               for i in range(20)]
    result = run({A: account(users=[user("alice", doc(allow("s3:GetObject")))]),
                  B: account(resources={"s3": {"Buckets": buckets}})}, org)
    shared = [g for g in grants_of(result, ALICE) if any(p.startswith("arn:aws:s3:::shared-") for p in g.resources.include)]
    assert len(shared) == 1 and len(shared[0].resources.include) == 20 and shared[0].conditions == ()
    assert can(result, ALICE, "s3:GetObject", "arn:aws:s3:::shared-7/x") == "allow"
    assert can(result, ALICE, "s3:PutObject", "arn:aws:s3:::shared-7/x") is None


def test_organization_with_shared_buckets_resolves_in_seconds():
    accounts = [f"10000000000{i}" for i in range(5)]
    org = organization({a: ROOT for a in accounts},
                       rcps=[("p-perimeter", doc(deny("s3:*", principal="*", condition={
                           "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}})), [ROOT])])
    data = {}
    for n, a in enumerate(accounts):
        roles = [role(f"r{i}", trusts({"AWS": accounts[(n + 1) % 5]}) if i % 10 == 0 else service_trust("lambda.amazonaws.com"),
                      doc(allow(["s3:*", "sqs:*", "sts:AssumeRole"]), allow("iam:PassRole", role_arn(f"r{i + 1}", a))),
                      account=a) for i in range(200)]
        buckets = [_bucket(f"b{a}-{j}", doc(
            allow("s3:GetObject", f"arn:aws:s3:::b{a}-{j}/*", principal="*",
                  condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
            deny("s3:*", f"arn:aws:s3:::b{a}-{j}/*", principal="*", condition={"Bool": {"aws:SecureTransport": "false"}})))
            for j in range(100)]
        data[a] = account(roles=roles, resources={"s3": {"Buckets": buckets}})
    started = time.perf_counter()
    result = run(data, org)
    elapsed = time.perf_counter() - started
    reader = role_arn("r3", accounts[0])
    assert can(result, reader, "s3:GetObject", f"arn:aws:s3:::b{accounts[2]}-5/x") == "conditional"  # TLS
    assert len(result.grants) < 50 * 1000
    assert elapsed < 20, f"resolution took {elapsed:.1f}s"


def test_a_bucket_policy_deny_to_everyone_binds_the_account_root_user_too():
    root = f"arn:aws:iam::{A}:root"
    policy = doc(deny("s3:DeleteObject", "arn:aws:s3:::payroll/*", principal="*"))
    result = run({A: account(resources={"s3": {"Buckets": [_bucket("payroll", policy)]}})})
    assert can(result, root, "s3:DeleteObject", "arn:aws:s3:::payroll/x") is None
    assert can(result, root, "s3:GetObject", "arn:aws:s3:::payroll/x") == "allow"  # near miss: not denied


def test_resource_prefixes_rule_out_only_patterns_that_overlap_no_resource():
    from ciem_aws.resolve.grants import could_overlap
    from ciem_aws.resolve.resource_policies import _Prefixes

    resources = [BUCKET, BUCKET + "/*", "arn:aws:sqs:us-east-1:111122223333:queue", "arn:aws:s3:::logs-?"]
    prefixes = _Prefixes(resources)
    patterns = ["*", "arn:aws:s3:::*", "arn:aws:s3:::da*", OBJECT, "arn:aws:s3:::other", "arn:aws:s3:::logs-a",
                "arn:aws:s3:::l*-b", "arn:aws:sqs:*:111122223333:queue", "arn:aws:sqs:us-east-1:444455556666:*",
                "arn:*:s3:::data", "arn:aws:s3:::datalake"]
    for pattern in patterns:
        assert prefixes.near(pattern) or not any(could_overlap(pattern, r) for r in resources), pattern
    assert [p for p in patterns if not prefixes.near(p)] == ["arn:aws:s3:::other", "arn:aws:sqs:us-east-1:444455556666:*"]
