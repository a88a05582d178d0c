"""Request evaluation, from the examples and rules of AWS's policy evaluation logic pages."""

from __future__ import annotations

import pytest

from ciem_aws.policy.document import parse_policy
from ciem_aws.policy.evaluate import RequestContext, evaluate_request
from ciem_aws.policy.matching import (
    PrincipalRef,
    action_matches,
    principal_match_kind,
    principal_matches,
    resource_matches,
)

ACCOUNT, OTHER = "111122223333", "444455556666"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
OTHER_USER = f"arn:aws:iam::{OTHER}:user/carol"
OBJECT = "arn:aws:s3:::bucket/key"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def policy(*statements, label="p", version="2012-10-17"):
    return parse_policy({"Version": version, "Statement": list(statements)}, label)


def stmt(effect, action, resource="*", **extra):
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def allow(action, resource="*", **extra):
    return stmt("Allow", action, resource, **extra)


def deny(action, resource="*", **extra):
    return stmt("Deny", action, resource, **extra)


def for_principal(effect, principal, action, resource="*", **extra):
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource, **extra}


def decide(caller, action, resource="*", *, identity=(), complete=True, **kwargs):
    principal = caller if isinstance(caller, PrincipalRef) else PrincipalRef.from_arn(caller)
    request = RequestContext(principal, action, resource, identity_policies=list(identity), context_complete=complete, **kwargs)
    return evaluate_request(request)


def verdicts(decision):
    return {v.layer: v.verdict for v in decision.layers}


ALLOW_ALL = policy(allow("*"), label="all")


# --- identity policies -------------------------------------------------------------------------


def test_no_policy_is_an_implicit_deny():
    assert decide(USER, "s3:GetObject", OBJECT).decision == "implicitDeny"


def test_explicit_deny_overrides_allow():
    decision = decide(USER, "s3:GetObject", OBJECT, identity=[ALLOW_ALL, policy(deny("s3:*"), label="d")])
    assert decision.decision == "explicitDeny"
    identity = next(v for v in decision.layers if v.layer == "identity")
    assert identity.verdict == "deny" and identity.statements == ("d#0",)


def test_allow_from_any_identity_policy():
    decision = decide(USER, "s3:GetObject", OBJECT, identity=[policy(allow("ec2:*")), policy(allow("s3:Get*", "arn:aws:s3:::bucket/*"), label="s3")])
    assert decision.decision == "allowed"
    assert next(v for v in decision.layers if v.layer == "identity").statements == ("s3#0",)


def test_not_action_allows_everything_else():
    everything_but_iam = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decide(USER, "s3:GetObject", OBJECT, identity=[everything_but_iam]).decision == "allowed"
    assert decide(USER, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x", identity=[everything_but_iam]).decision == "implicitDeny"


def test_not_resource_with_deny():
    only_bucket = policy(allow("s3:*"), {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]})
    assert decide(USER, "s3:GetObject", OBJECT, identity=[only_bucket]).decision == "allowed"
    assert decide(USER, "s3:GetObject", "arn:aws:s3:::other/key", identity=[only_bucket]).decision == "explicitDeny"


def test_policy_variables_in_resource():
    home = policy(allow("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}/*"))
    assert decide(USER, "s3:GetObject", "arn:aws:s3:::bucket/home/alice/a.txt", identity=[home]).decision == "allowed"
    assert decide(USER, "s3:GetObject", "arn:aws:s3:::bucket/home/bob/a.txt", identity=[home]).decision == "implicitDeny"
    # Version 2008-10-17 has no variables: the text is literal.
    old = policy(allow("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}/*"), version="2008-10-17")
    assert decide(USER, "s3:GetObject", "arn:aws:s3:::bucket/home/alice/a.txt", identity=[old]).decision == "implicitDeny"


def test_variable_of_a_role_session_username_is_absent_even_in_analysis():
    home = policy(allow("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}/*"))
    assert decide(SESSION, "s3:GetObject", "arn:aws:s3:::bucket/home/app/a", identity=[home], complete=False).decision == "implicitDeny"


def test_principal_arn_is_known_from_the_caller():
    only_app = policy(allow("s3:GetObject", Condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/app"}}))
    assert decide(SESSION, "s3:GetObject", OBJECT, identity=[only_app], complete=False).decision == "allowed"
    assert decide(USER, "s3:GetObject", OBJECT, identity=[only_app], complete=False).decision == "implicitDeny"


# --- unknown context ------------------------------------------------------------------------------


MFA_ONLY = policy(allow("s3:GetObject", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}), label="mfa")


def test_allow_that_depends_on_unknown_context_is_conditional():
    decision = decide(USER, "s3:GetObject", OBJECT, identity=[MFA_ONLY], complete=False)
    assert decision.decision == "conditional"
    assert decision.missing_context == ("aws:MultiFactorAuthPresent",)
    assert verdicts(decision)["identity"] == "conditional"


def test_known_context_decides():
    context = {"aws:MultiFactorAuthPresent": "false"}
    assert decide(USER, "s3:GetObject", OBJECT, identity=[MFA_ONLY], complete=False, context=context).decision == "implicitDeny"


def test_conditional_deny_makes_an_allow_conditional_but_not_a_deny():
    conditional_deny = policy(deny("s3:*", Condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    decision = decide(USER, "s3:GetObject", OBJECT, identity=[ALLOW_ALL, conditional_deny], complete=False)
    assert decision.decision == "conditional" and decision.missing_context == ("aws:SourceIp",)
    assert decide(USER, "s3:GetObject", OBJECT, identity=[conditional_deny], complete=False).decision == "implicitDeny"


def test_simulator_semantics_treat_absent_keys_as_absent_and_report_them():
    decision = decide(USER, "s3:GetObject", OBJECT, identity=[MFA_ONLY], complete=True)
    assert decision.decision == "implicitDeny" and decision.missing_context == ("aws:MultiFactorAuthPresent",)


# --- SCPs -------------------------------------------------------------------------------------------


FULL_ACCESS = policy(allow("*"), label="FullAWSAccess")
S3_ONLY = policy(allow("s3:*"), label="s3only")


def test_every_scp_level_must_allow():
    levels = [[FULL_ACCESS], [S3_ONLY], [FULL_ACCESS]]
    assert decide(USER, "s3:GetObject", OBJECT, identity=[ALLOW_ALL], scp_levels=levels).decision == "allowed"
    decision = decide(USER, "ec2:RunInstances", "*", identity=[ALLOW_ALL], scp_levels=levels)
    assert decision.decision == "implicitDeny"
    scp = next(v for v in decision.layers if v.layer == "scp")
    assert scp.verdict == "no-match" and "level 2 of 3" in scp.detail


def test_an_account_level_without_allow_denies_even_if_the_root_allows():
    assert decide(USER, "s3:GetObject", OBJECT, identity=[ALLOW_ALL], scp_levels=[[FULL_ACCESS], []]).decision == "implicitDeny"


def test_scp_deny_at_any_level_denies_even_the_root_user():
    no_s3 = policy(deny("s3:*"), label="nos3")
    levels = [[FULL_ACCESS], [FULL_ACCESS, no_s3]]
    assert decide(ROOT, "s3:GetObject", OBJECT, scp_levels=levels).decision == "explicitDeny"
    assert decide(ROOT, "s3:GetObject", OBJECT).decision == "allowed"


def test_scps_do_not_apply_to_the_management_account_or_service_linked_roles():
    levels = [[S3_ONLY]]
    assert decide(USER, "ec2:RunInstances", identity=[ALLOW_ALL], scp_levels=levels, management_account=ACCOUNT).decision == "allowed"
    linked = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSServiceRoleForSupport/s"
    principal = PrincipalRef.from_arn(linked, issuer_arn=f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport")
    assert principal.service_linked
    assert decide(principal, "ec2:RunInstances", identity=[ALLOW_ALL], scp_levels=levels).decision == "allowed"


def test_scps_do_not_grant():
    assert decide(USER, "s3:GetObject", OBJECT, scp_levels=[[FULL_ACCESS]]).decision == "implicitDeny"


def test_scps_limit_cross_account_access_granted_by_a_resource_policy():
    bucket = policy(for_principal("Allow", {"AWS": USER}, "s3:GetObject", "arn:aws:s3:::bucket/*"), label="bucket")
    decision = decide(USER, "s3:GetObject", OBJECT, identity=[ALLOW_ALL], resource_policy=bucket, resource_account=OTHER, scp_levels=[[policy(allow("ec2:*"))]])
    assert decision.decision == "implicitDeny"


# --- RCPs -------------------------------------------------------------------------------------------


RCP_FULL = policy(for_principal("Allow", "*", "*"), label="RCPFullAWSAccess")
RCP_ORG_ONLY = policy(
    for_principal("Deny", "*", "s3:*", Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-123"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}),
    label="perimeter",
)
PUBLIC_BUCKET = policy(for_principal("Allow", "*", "s3:GetObject", "arn:aws:s3:::bucket/*"), label="public")


def test_rcp_denies_outsiders_access_that_a_bucket_policy_grants():
    levels = [[RCP_FULL, RCP_ORG_ONLY]]
    outsider = decide(OTHER_USER, "s3:GetObject", OBJECT, identity=[ALLOW_ALL], resource_policy=PUBLIC_BUCKET, resource_account=ACCOUNT, rcp_levels=levels, context={"aws:PrincipalOrgID": "o-999"})
    assert outsider.decision == "explicitDeny" and verdicts(outsider)["rcp"] == "deny"
    insider = decide(OTHER_USER, "s3:GetObject", OBJECT, identity=[ALLOW_ALL], resource_policy=PUBLIC_BUCKET, resource_account=ACCOUNT, rcp_levels=levels, context={"aws:PrincipalOrgID": "o-123"})
    assert insider.decision == "allowed"


def test_rcps_govern_anonymous_access():
    levels = [[RCP_FULL, RCP_ORG_ONLY]]
    anonymous = PrincipalRef.anonymous()
    assert decide(anonymous, "s3:GetObject", OBJECT, resource_policy=PUBLIC_BUCKET, resource_account=ACCOUNT).decision == "allowed"
    assert decide(anonymous, "s3:GetObject", OBJECT, resource_policy=PUBLIC_BUCKET, resource_account=ACCOUNT, rcp_levels=levels).decision == "explicitDeny"


def test_rcps_apply_only_to_supported_services_and_need_an_allow_at_every_level():
    ec2 = decide(USER, "ec2:RunInstances", identity=[ALLOW_ALL], rcp_levels=[[]])
    assert ec2.decision == "allowed" and verdicts(ec2)["rcp"] == "not-applicable"
    assert decide(USER, "sqs:SendMessage", QUEUE, identity=[ALLOW_ALL], rcp_levels=[[RCP_FULL], []]).decision == "implicitDeny"
    assert decide(USER, "sqs:SendMessage", QUEUE, identity=[ALLOW_ALL], rcp_levels=[[RCP_FULL], [RCP_FULL]]).decision == "allowed"


def test_rcps_do_not_apply_to_resources_of_the_management_account():
    decision = decide(USER, "sqs:SendMessage", QUEUE, identity=[ALLOW_ALL], rcp_levels=[[]], management_account=ACCOUNT)
    assert decision.decision == "allowed"


# --- resource policies, same account and cross-account -------------------------------------------


def queue_policy(principal, effect="Allow", action="sqs:SendMessage"):
    return policy(for_principal(effect, principal, action, QUEUE), label="queue")


def test_same_account_resource_policy_alone_allows():
    assert decide(USER, "sqs:SendMessage", QUEUE, resource_policy=queue_policy({"AWS": USER})).decision == "allowed"
    # ... and a role ARN in it grants the role's sessions.
    assert decide(SESSION, "sqs:SendMessage", QUEUE, resource_policy=queue_policy({"AWS": ROLE})).decision == "allowed"


def test_same_account_identity_policy_alone_allows():
    assert decide(USER, "sqs:SendMessage", QUEUE, identity=[ALLOW_ALL]).decision == "allowed"


def test_same_account_resource_policy_naming_the_account_delegates_to_iam():
    by_account = queue_policy({"AWS": ACCOUNT})
    decision = decide(USER, "sqs:SendMessage", QUEUE, resource_policy=by_account)
    assert decision.decision == "implicitDeny"
    assert "identity-based policies decide" in next(v for v in decision.layers if v.layer == "resource").detail
    assert decide(USER, "sqs:SendMessage", QUEUE, identity=[ALLOW_ALL], resource_policy=by_account).decision == "allowed"


def test_resource_policy_deny_wins():
    decision = decide(USER, "sqs:SendMessage", QUEUE, identity=[ALLOW_ALL], resource_policy=queue_policy({"AWS": ACCOUNT}, "Deny"))
    assert decision.decision == "explicitDeny" and verdicts(decision)["resource"] == "deny"


def test_cross_account_needs_both_sides():
    other_queue = f"arn:aws:sqs:us-east-1:{OTHER}:queue"
    grant = policy(for_principal("Allow", {"AWS": USER}, "sqs:SendMessage", other_queue))
    by_account = policy(for_principal("Allow", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "sqs:SendMessage", other_queue))
    assert decide(USER, "sqs:SendMessage", other_queue, resource_policy=grant).decision == "implicitDeny"
    assert decide(USER, "sqs:SendMessage", other_queue, identity=[ALLOW_ALL]).decision == "implicitDeny"
    assert decide(USER, "sqs:SendMessage", other_queue, identity=[ALLOW_ALL], resource_policy=grant).decision == "allowed"
    assert decide(USER, "sqs:SendMessage", other_queue, identity=[ALLOW_ALL], resource_policy=by_account).decision == "allowed"


def test_resource_account_comes_from_the_arn_or_is_given():
    bucket = policy(for_principal("Allow", {"AWS": USER}, "s3:GetObject", "arn:aws:s3:::bucket/*"))
    assert decide(USER, "s3:GetObject", OBJECT, resource_policy=bucket).decision == "allowed"  # owner: the caller's account
    assert decide(USER, "s3:GetObject", OBJECT, resource_policy=bucket, resource_account=OTHER).decision == "implicitDeny"


# --- permissions boundaries and session policies ---------------------------------------------------


S3_BOUNDARY = policy(allow("s3:*"), label="boundary")


def test_boundary_limits_identity_policies():
    assert decide(USER, "s3:GetObject", OBJECT, identity=[ALLOW_ALL], permission_boundary=[S3_BOUNDARY]).decision == "allowed"
    decision = decide(USER, "sqs:SendMessage", QUEUE, identity=[ALLOW_ALL], permission_boundary=[S3_BOUNDARY])
    assert decision.decision == "implicitDeny" and verdicts(decision)["boundary"] == "no-match"
    assert decide(USER, "s3:GetObject", OBJECT, permission_boundary=[S3_BOUNDARY]).decision == "implicitDeny"  # boundaries grant nothing


def test_boundary_deny_is_explicit():
    decision = decide(USER, "s3:GetObject", OBJECT, identity=[ALLOW_ALL], permission_boundary=[policy(allow("*"), deny("s3:GetObject"))])
    assert decision.decision == "explicitDeny"


def test_boundary_implicit_deny_does_not_limit_a_resource_policy_naming_the_user_or_session():
    assert decide(USER, "sqs:SendMessage", QUEUE, permission_boundary=[S3_BOUNDARY], resource_policy=queue_policy({"AWS": USER})).decision == "allowed"
    assert decide(SESSION, "sqs:SendMessage", QUEUE, permission_boundary=[S3_BOUNDARY], resource_policy=queue_policy({"AWS": SESSION})).decision == "allowed"


def test_boundary_implicit_deny_limits_a_resource_policy_naming_the_role():
    decision = decide(SESSION, "sqs:SendMessage", QUEUE, permission_boundary=[S3_BOUNDARY], resource_policy=queue_policy({"AWS": ROLE}))
    assert decision.decision == "implicitDeny"
    assert "boundary and session policy limit it" in next(v for v in decision.layers if v.layer == "resource").detail


def test_boundary_still_limits_cross_account_resource_grants():
    other_queue = f"arn:aws:sqs:us-east-1:{OTHER}:queue"
    grant = policy(for_principal("Allow", {"AWS": USER}, "sqs:SendMessage", other_queue))
    assert decide(USER, "sqs:SendMessage", other_queue, identity=[ALLOW_ALL], permission_boundary=[S3_BOUNDARY], resource_policy=grant).decision == "implicitDeny"


def test_session_policy_limits_identity_policies():
    session = [policy(allow("s3:GetObject"), label="session")]
    assert decide(SESSION, "s3:GetObject", OBJECT, identity=[ALLOW_ALL], session_policies=session).decision == "allowed"
    decision = decide(SESSION, "s3:PutObject", OBJECT, identity=[ALLOW_ALL], session_policies=session)
    assert decision.decision == "implicitDeny" and verdicts(decision)["session"] == "no-match"


def test_session_policy_and_resource_policies_naming_the_session_or_the_role():
    session = [policy(allow("s3:GetObject"))]
    assert decide(SESSION, "sqs:SendMessage", QUEUE, session_policies=session, resource_policy=queue_policy({"AWS": SESSION})).decision == "allowed"
    assert decide(SESSION, "sqs:SendMessage", QUEUE, session_policies=session, resource_policy=queue_policy({"AWS": ROLE})).decision == "implicitDeny"


def test_federated_user_session_resource_grants():
    federated = PrincipalRef.from_arn(f"arn:aws:sts::{ACCOUNT}:federated-user/fred", issuer_arn=USER)
    session = [policy(allow("s3:GetObject"))]
    named_session = queue_policy({"AWS": f"arn:aws:sts::{ACCOUNT}:federated-user/fred"})
    assert decide(federated, "sqs:SendMessage", QUEUE, session_policies=session, resource_policy=named_session).decision == "allowed"
    assert decide(federated, "sqs:SendMessage", QUEUE, session_policies=session, resource_policy=queue_policy({"AWS": USER})).decision == "implicitDeny"
    assert decide(federated, "sqs:SendMessage", QUEUE, resource_policy=queue_policy({"AWS": USER})).decision == "allowed"


def test_unknown_variable_in_a_resource_makes_the_decision_conditional():
    by_tag = policy(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"))
    decision = decide(USER, "s3:GetObject", "arn:aws:s3:::bucket/red/k", identity=[by_tag], complete=False)
    assert decision.decision == "conditional" and decision.missing_context == ("aws:PrincipalTag/team",)
    context = {"aws:PrincipalTag/team": "red"}
    assert decide(USER, "s3:GetObject", "arn:aws:s3:::bucket/red/k", identity=[by_tag], complete=False, context=context).decision == "allowed"


def test_resource_policy_with_not_principal_deny_always_denies_a_principal_with_a_boundary():
    not_principal = policy(
        {"Effect": "Deny", "NotPrincipal": {"AWS": [USER, f"arn:aws:iam::{ACCOUNT}:root"]}, "Action": "sqs:*", "Resource": QUEUE},
        for_principal("Allow", {"AWS": USER}, "sqs:SendMessage", QUEUE),
    )
    assert decide(USER, "sqs:SendMessage", QUEUE, resource_policy=not_principal).decision == "allowed"
    assert decide(USER, "sqs:SendMessage", QUEUE, resource_policy=not_principal, permission_boundary=[policy(allow("*"))]).decision == "explicitDeny"


# --- KMS key policies and role trust policies ------------------------------------------------------


def test_kms_key_policy_must_allow_even_in_the_same_account():
    assert decide(USER, "kms:Decrypt", KEY, identity=[ALLOW_ALL]).decision == "implicitDeny"
    assert decide(USER, "kms:Decrypt", KEY, identity=[ALLOW_ALL], resource_policy=policy(for_principal("Allow", {"AWS": ROLE}, "kms:*"))).decision == "implicitDeny"


def test_kms_key_policy_delegating_to_the_account_lets_iam_policies_count():
    delegating = policy(for_principal("Allow", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "kms:*"), label="key")
    assert decide(USER, "kms:Decrypt", KEY, identity=[ALLOW_ALL], resource_policy=delegating).decision == "allowed"
    assert decide(USER, "kms:Decrypt", KEY, resource_policy=delegating).decision == "implicitDeny"


def test_kms_key_policy_naming_the_user_needs_no_iam_policy():
    assert decide(USER, "kms:Decrypt", KEY, resource_policy=policy(for_principal("Allow", {"AWS": USER}, "kms:Decrypt"))).decision == "allowed"


def test_kms_actions_without_a_key_need_only_iam():
    assert decide(USER, "kms:ListKeys", "*", identity=[ALLOW_ALL]).decision == "allowed"


def test_role_trust_policy_must_allow_assume_role():
    target = f"arn:aws:iam::{ACCOUNT}:role/admin"
    trusts_account = policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}, label="trust")
    trusts_user = policy({"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}, label="trust")
    trusts_service = policy({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert decide(USER, "sts:AssumeRole", target, identity=[ALLOW_ALL], resource_policy=trusts_service).decision == "implicitDeny"
    assert decide(USER, "sts:AssumeRole", target, identity=[ALLOW_ALL]).decision == "implicitDeny"
    assert decide(USER, "sts:AssumeRole", target, resource_policy=trusts_account).decision == "implicitDeny"
    assert decide(USER, "sts:AssumeRole", target, identity=[ALLOW_ALL], resource_policy=trusts_account).decision == "allowed"
    assert decide(USER, "sts:AssumeRole", target, resource_policy=trusts_user).decision == "allowed"
    assert decide(PrincipalRef.for_service("ec2.amazonaws.com"), "sts:AssumeRole", target, resource_policy=trusts_service).decision == "allowed"


def test_web_identity_trust():
    trust = policy({
        "Effect": "Allow", "Principal": {"Federated": "accounts.google.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"accounts.google.com:aud": "app-id"}},
    })
    caller = PrincipalRef.for_federated("accounts.google.com")
    target = f"arn:aws:iam::{ACCOUNT}:role/web"
    assert decide(caller, "sts:AssumeRoleWithWebIdentity", target, resource_policy=trust, context={"accounts.google.com:aud": "app-id"}).decision == "allowed"
    assert decide(caller, "sts:AssumeRoleWithWebIdentity", target, resource_policy=trust, context={"accounts.google.com:aud": "other"}).decision == "implicitDeny"
    assert decide(caller, "sts:AssumeRoleWithWebIdentity", target, resource_policy=trust, complete=False).decision == "conditional"


# --- special callers and actions ---------------------------------------------------------------------


def test_root_user_has_full_access_in_its_account_but_not_to_other_accounts():
    assert decide(ROOT, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x").decision == "allowed"
    other_queue = f"arn:aws:sqs:us-east-1:{OTHER}:queue"
    assert decide(ROOT, "sqs:SendMessage", other_queue).decision == "implicitDeny"
    grant = policy(for_principal("Allow", {"AWS": ACCOUNT}, "sqs:SendMessage", other_queue))
    assert decide(ROOT, "sqs:SendMessage", other_queue, resource_policy=grant).decision == "allowed"


def test_get_caller_identity_ignores_every_policy():
    decision = decide(USER, "sts:GetCallerIdentity", identity=[policy(deny("*"))], scp_levels=[[]])
    assert decision.decision == "allowed"


def test_service_principal_is_allowed_by_a_resource_policy_only():
    caller = PrincipalRef.for_service("sns.amazonaws.com")
    grant = queue_policy({"Service": "sns.amazonaws.com"})
    assert decide(caller, "sqs:SendMessage", QUEUE, resource_policy=grant).decision == "allowed"
    assert decide(caller, "sqs:SendMessage", QUEUE, resource_policy=queue_policy({"Service": "events.amazonaws.com"})).decision == "implicitDeny"
    decision = decide(caller, "sqs:SendMessage", QUEUE, resource_policy=grant, scp_levels=[[]])
    assert decision.decision == "allowed" and verdicts(decision)["scp"] == "not-applicable"


def test_service_principal_context_keys_are_set():
    caller = PrincipalRef.for_service("sns.amazonaws.com")
    grant = policy(for_principal("Allow", "*", "sqs:SendMessage", QUEUE, Condition={"Bool": {"aws:PrincipalIsAWSService": "true"}}))
    assert decide(caller, "sqs:SendMessage", QUEUE, resource_policy=grant).decision == "allowed"
    assert decide(USER, "sqs:SendMessage", QUEUE, resource_policy=grant).decision == "implicitDeny"


def test_every_layer_has_a_verdict():
    decision = decide(USER, "s3:GetObject", OBJECT, identity=[ALLOW_ALL])
    assert [v.layer for v in decision.layers] == ["scp", "rcp", "resource", "identity", "boundary", "session"]
    assert verdicts(decision) == {"scp": "not-applicable", "rcp": "not-applicable", "resource": "not-applicable",
                                  "identity": "allow", "boundary": "not-applicable", "session": "not-applicable"}


# --- matching ------------------------------------------------------------------------------------------


def principal_stmt(principal, element="Principal"):
    return policy({"Effect": "Allow", element: principal, "Action": "s3:*", "Resource": "*"}).statements[0]


def test_action_matching():
    assert action_matches("S3:get*", "s3:GetObject")
    assert action_matches("s3:Get?bject", "s3:GetObject")
    assert not action_matches("s3:Get", "s3:GetObject")
    assert action_matches("*", "ec2:RunInstances")


def test_resource_matching_is_case_sensitive_with_wildcards_inside_parts():
    assert resource_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", {}, context_complete=True)
    assert not resource_matches("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/a", {}, context_complete=True)
    assert resource_matches("arn:aws:sqs:*:111122223333:q?", "arn:aws:sqs:eu-west-1:111122223333:q1", {}, context_complete=True)
    assert not resource_matches("arn:aws:sqs:*:q1", "arn:aws:sqs:eu-west-1:111122223333:q1", {}, context_complete=True)
    assert resource_matches("arn:aws:logs:*:*:log-group:app:*", "arn:aws:logs:us-east-1:1:log-group:app:log-stream:x", {}, context_complete=True)
    assert resource_matches("arn:aws:s3:::${aws:username}/*", "arn:aws:s3:::a/b", {}, context_complete=False) is None


@pytest.mark.parametrize("principal, caller, expected", [
    ({"AWS": ACCOUNT}, USER, "account"),
    ({"AWS": ROOT}, SESSION, "account"),
    ({"AWS": ROOT}, ROOT, "direct"),
    ({"AWS": OTHER}, USER, None),
    ({"AWS": USER}, USER, "direct"),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:user/division/ALICE"}, USER, "direct"),  # IAM names: path and case do not matter
    ({"AWS": ROLE}, SESSION, "issuer"),
    ({"AWS": SESSION}, SESSION, "direct"),
    ({"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/other"}, SESSION, None),
    ({"AWS": "*"}, SESSION, "direct"),
    ("*", USER, "direct"),
    ({"Service": "lambda.amazonaws.com"}, USER, None),
])
def test_principal_match_kind(principal, caller, expected):
    assert principal_match_kind(principal_stmt(principal), PrincipalRef.from_arn(caller)) == expected


def test_star_matches_anonymous_and_services_but_named_principals_do_not():
    anonymous = PrincipalRef.anonymous()
    assert principal_matches(principal_stmt("*"), anonymous)
    assert principal_matches(principal_stmt({"AWS": "*"}), anonymous)
    assert not principal_matches(principal_stmt({"AWS": ACCOUNT}), anonymous)
    service = PrincipalRef.for_service("lambda.amazonaws.com")
    assert principal_matches(principal_stmt({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}), service)
    assert principal_matches(principal_stmt({"Federated": "cognito-identity.amazonaws.com"}), PrincipalRef.for_federated("cognito-identity.amazonaws.com"))


def test_not_principal_excludes_a_session_only_when_account_role_and_session_are_all_listed():
    session = PrincipalRef.from_arn(SESSION)
    assert principal_matches(principal_stmt({"AWS": [SESSION]}, "NotPrincipal"), session)
    assert principal_matches(principal_stmt({"AWS": [SESSION, ROLE]}, "NotPrincipal"), session)
    assert not principal_matches(principal_stmt({"AWS": [SESSION, ROLE, ROOT]}, "NotPrincipal"), session)
    assert not principal_matches(principal_stmt({"AWS": [USER, ACCOUNT]}, "NotPrincipal"), PrincipalRef.from_arn(USER))
    assert principal_matches(principal_stmt({"AWS": [USER]}, "NotPrincipal"), PrincipalRef.from_arn(USER))
    assert not principal_matches(principal_stmt("*", "NotPrincipal"), session)


def test_principal_from_arn():
    session = PrincipalRef.from_arn(SESSION)
    assert (session.kind, session.account, session.issuer_arn) == ("assumed-role", ACCOUNT, ROLE)
    assert PrincipalRef.from_arn(ROOT).kind == "root"
    assert PrincipalRef.from_arn(f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX").service_linked
    with pytest.raises(ValueError):
        PrincipalRef.from_arn("arn:aws:s3:::bucket")
