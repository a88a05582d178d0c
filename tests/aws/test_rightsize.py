"""Right-sized AWS policies: grouping, wildcards that grant nothing more, warnings, the demo estate's
policies by hand, and ciem's own evaluator allowing every used action and nothing unused."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ciem import usage
from ciem.model import UsageRecord
from ciem.pipeline import ActivitySpec, SourceSpec, build_from_sources
from ciem.providers import new_manager
from ciem_aws.catalog import aws_catalog
from ciem_aws.policy.document import parse_policy
from ciem_aws.policy.evaluate import RequestContext, evaluate_request
from ciem_aws.policy.matching import PrincipalRef
from ciem_aws.rightsize import MANAGED_POLICY_LIMIT, compress_actions, render_policy

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "aws-demo-cloudtrail"
NOW = datetime(2026, 11, 28, 2, tzinfo=timezone.utc)
WHEN = datetime(2026, 11, 1, tzinfo=timezone.utc)
ROLE = "arn:aws:iam::111122223333:role/app"


def used(action: str, resource: str = "") -> UsageRecord:
    return UsageRecord(ROLE, action, WHEN, WHEN, 1, resource)


def statements(rendered) -> list[dict]:
    return json.loads(rendered.document)["Statement"]


# -- wildcards ------------------------------------------------------------------------------------


def test_a_wildcard_replaces_actions_only_when_it_matches_nothing_else():
    catalog = aws_catalog()
    versions = catalog.names(catalog.expand("s3:GetObjectVersion*"))
    assert compress_actions(versions, catalog) == ["s3:GetObjectVersion*"]
    # Without GetObjectVersionTorrent the wildcard would grant it: every action stays named.
    partial = [name for name in versions if name != "s3:GetObjectVersionTorrent"]
    assert compress_actions(partial, catalog) == partial
    assert compress_actions(catalog.names(catalog.service_bits("sqs")), catalog) == ["sqs:*"]
    assert compress_actions(["kms:ReEncryptTo", "kms:Decrypt", "kms:ReEncryptFrom"], catalog) == ["kms:Decrypt", "kms:ReEncrypt*"]
    for names in (versions, partial, ["kms:ReEncryptTo", "kms:Decrypt", "kms:ReEncryptFrom"]):
        assert catalog.bits_of(compress_actions(names, catalog)) == catalog.bits_of(names)


# -- rendering ------------------------------------------------------------------------------------


def test_actions_group_by_service_and_resources():
    rendered = render_policy(ROLE, [
        used("s3:GetObject", "arn:aws:s3:::data/a.csv"),
        used("s3:PutObject", "arn:aws:s3:::data/a.csv"),
        used("s3:ListBucket", "arn:aws:s3:::data"),
        used("s3:ListAllMyBuckets"),
        used("kms:Decrypt", "arn:aws:kms:eu-west-1:111122223333:key/k1"),
    ])
    assert json.loads(rendered.document)["Version"] == "2012-10-17"
    assert statements(rendered) == [
        {"Sid": "KmsUse1", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:eu-west-1:111122223333:key/k1"},
        {"Sid": "S3Use1", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {"Sid": "S3Use2", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data"},
        {"Sid": "S3Use3", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::data/a.csv"},
    ]
    assert rendered.warnings == ()
    assert (rendered.provider, rendered.identity, rendered.format) == ("aws", ROLE, "aws-iam-policy-json")


def test_what_cannot_be_scoped_or_placed_is_said():
    rendered = render_policy(ROLE, [
        used("s3:GetObject", "arn:aws:s3:::data/a.csv"),
        used("s3:GetObject"),  # a record without resource: the action is granted on *
        used("ec2:*"),  # service-level data only
        used("s3:NoSuchAction"),
    ])
    assert statements(rendered) == [{"Sid": "S3Use1", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]
    assert rendered.warnings == (
        "the logs name no resource for s3:GetObject: granted on * (scope them by hand)",
        "used per service-level data only, actions unknown, left out: ec2",
        "not in the AWS catalog, left out: s3:NoSuchAction",
    )


def test_literal_wildcard_characters_in_arns_are_escaped_and_sibling_objects_noted():
    rendered = render_policy(ROLE, [used("s3:GetObject", "arn:aws:s3:::data/report*?.csv"),
                                    used("s3:GetObject", "arn:aws:s3:::data/$old.csv")])
    assert statements(rendered)[0]["Resource"] == ["arn:aws:s3:::data/${$}old.csv", "arn:aws:s3:::data/report${*}${?}.csv"]
    assert rendered.warnings == ("s3:GetObject was used on 2 resources under arn:aws:s3:::data/: the policy names each; "
                                 "arn:aws:s3:::data/* would also grant those not used yet",)


def test_nothing_used_and_oversized_policies_are_flagged():
    assert render_policy(ROLE, []).warnings == ("nothing was used in the window: the identity needs no permissions",)
    many = [used("s3:GetObject", f"arn:aws:s3:::bucket-{n:03}/data/object-{n:03}.parquet") for n in range(150)]
    assert any(f"more than the {MANAGED_POLICY_LIMIT}" in w for w in render_policy(ROLE, many).warnings)


def test_the_plugin_renders_only_aws_identities():
    manager = new_manager()
    rendered = manager.hook.ciem_render_policy(provider="aws", identity=ROLE, used=[used("s3:ListAllMyBuckets")], snapshots=[])
    assert statements(rendered)[0]["Action"] == "s3:ListAllMyBuckets"
    assert manager.hook.ciem_render_policy(provider="othercloud", identity="x", used=[], snapshots=[]) is None
    assert manager.hook.ciem_parse_activity(provider="othercloud", source={}, progress=lambda *_: None) is None


# -- the demo estate ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_estate):
    manager = new_manager()
    index = build_from_sources([SourceSpec("aws", path=demo_estate)], manager,
                               activity=[ActivitySpec("aws", {"path": str(SAMPLE)})])
    return index, manager


REPORTING = "arn:aws:iam::222222222222:role/reporting-instance"
DEV_BUILD = "arn:aws:iam::333333333333:role/service-role/dev-build"
CI_DEPLOY = "arn:aws:iam::333333333333:role/ci-deploy"
REPORTS = "arn:aws:s3:::northwind-prod-reports"
ARTIFACTS = "arn:aws:s3:::northwind-dev-artifacts"

# Written by hand from examples/make_cloudtrail.py: what each identity did in the 90 days to 2026-11-28.
EXPECTED = {
    REPORTING: [
        {"Sid": "KmsUse1", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": "arn:aws:kms:eu-west-1:222222222222:key/2f211e34-e247-4aac-a9a2-f8bca7c9803b"},
        {"Sid": "S3Use1", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": REPORTS},
        {"Sid": "S3Use2", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": [f"{REPORTS}/2026/09/summary.csv", f"{REPORTS}/2026/10/summary.csv", f"{REPORTS}/2026/11/summary.csv"]},
    ],
    DEV_BUILD: [
        {"Sid": "EcrUse1", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "EcrUse2", "Effect": "Allow",
         "Action": ["ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload",
                    "ecr:PutImage", "ecr:UploadLayerPart"],
         "Resource": "arn:aws:ecr:eu-west-1:333333333333:repository/northwind-web"},
        {"Sid": "LogsUse1", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"},
        {"Sid": "S3Use1", "Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{ARTIFACTS}/web/build-4.zip"},
        {"Sid": "S3Use2", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{ARTIFACTS}/web/source.zip"},
    ],
    # Deploy 1 (2026-08-01, build-1.zip, GetPolicyVersion) is before the window.
    CI_DEPLOY: [
        {"Sid": "CloudformationUse1", "Effect": "Allow",
         "Action": ["cloudformation:DescribeStacks", "cloudformation:UpdateStack"],
         "Resource": "arn:aws:cloudformation:eu-west-1:333333333333:stack/northwind-web/41b7a0c0-6b2e-11ee-8c1d-0a9b8c7d6e5f"},
        {"Sid": "S3Use1", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": [f"{ARTIFACTS}/web/build-2.zip", f"{ARTIFACTS}/web/build-3.zip", f"{ARTIFACTS}/web/build-4.zip"]},
        {"Sid": "StsUse1", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::222222222222:role/ProdDeployer"},
    ],
}


@pytest.mark.parametrize("identity", sorted(EXPECTED))
def test_demo_policies_match_the_hand_written_ones(demo, identity):
    index, manager = demo
    result = usage.rightsize(index, manager, identity, 90, NOW)
    assert statements(result.policy) == EXPECTED[identity]


def test_the_demo_diff_names_what_each_current_policy_loses(demo):
    index, manager = demo
    result = usage.rightsize(index, manager, CI_DEPLOY, 90, NOW)
    changes = {change.source: change for change in result.changes}
    self_manage = changes["arn:aws:iam::333333333333:policy/ci-deploy-policy#SelfManagePolicy"]
    assert self_manage.kept == () and "iam:CreatePolicyVersion" in self_manage.removed
    artifacts = changes["arn:aws:iam::333333333333:policy/ci-deploy-policy#Artifacts"]
    assert (artifacts.removed, artifacts.kept) == (("s3:GetObject", "s3:ListBucket"), ("s3:PutObject",))
    assert result.left_out == ()
    assert result.policy.warnings == (
        f"s3:PutObject was used on 3 resources under {ARTIFACTS}/web/: the policy names each; "
        f"{ARTIFACTS}/web/* would also grant those not used yet",)
    short = usage.rightsize(index, manager, CI_DEPLOY, 14, NOW)
    assert short.policy.warnings[0].startswith("the window is 14 days, shorter than 30")


def _identity_layer(identity: str, document: str, action: str, resource: str) -> str:
    request = RequestContext(PrincipalRef.from_arn(identity), action, resource,
                             identity_policies=[parse_policy(document, "rightsized")])
    (layer,) = [layer for layer in evaluate_request(request).layers if layer.layer == "identity"]
    return layer.verdict


@pytest.mark.parametrize("identity", [
    REPORTING, DEV_BUILD, CI_DEPLOY,
    "arn:aws:iam::222222222222:role/service-role/orders-api-lambda",
    "arn:aws:iam::333333333333:role/service-role/lambda-basic",
    "arn:aws:iam::333333333333:user/dana",
])
def test_ciems_engine_allows_every_used_action_and_nothing_unused(demo, identity):
    index, manager = demo
    result = usage.rightsize(index, manager, identity, 90, NOW)
    document = result.policy.document
    resources = {"*"} | {r.resource for r in result.used if r.resource}
    for record in result.used:
        assert _identity_layer(identity, document, record.action, record.resource or "*") == "allow", record
    unused = usage.unused(index, identity, 90, NOW).unused_actions
    assert unused
    for action in unused:
        for resource in resources:
            assert _identity_layer(identity, document, action, resource) == "no-match", (action, resource)
    catalog = aws_catalog()
    granted = catalog.bits_of(a for s in statements(result.policy) for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert granted == catalog.bits_of(r.action for r in result.used)


def test_the_cli_answers_rightsize_and_unused_the_same_from_a_server_and_from_a_config(capsys, tmp_path, demo_estate):
    from ciem.cli import main
    from ciem.config import load_config, parse_config
    from ciem.pipeline import IndexHolder
    from ciem.service import CiemServer

    config_file = tmp_path / "ciem.yaml"
    config_file.write_text(f"listen: 127.0.0.1:0\nsources:\n  - provider: aws\n    files: {demo_estate}\n"
                           f"activity:\n  - provider: aws\n    kind: cloudtrail\n    path: {SAMPLE}\n")
    config = load_config(config_file)
    manager = new_manager()
    holder = IndexHolder(config.sources, manager, activity=config.activity)
    holder.refresh()
    server = CiemServer(parse_config({"listen": "127.0.0.1:0"}), holder, manager)
    port = server.start()
    # A window long enough to hold the whole sample whenever the test runs.
    answers = {}
    try:
        for verb in ("rightsize", "unused"):
            argv = [verb, CI_DEPLOY, "--window-days", "3650", "--format", "json"]
            assert main([*argv, "--server", f"127.0.0.1:{port}"], manager=manager) == 0
            remote = json.loads(capsys.readouterr().out)
            assert main([*argv, "--config", str(config_file)], manager=manager) == 0
            local = json.loads(capsys.readouterr().out)
            # Each call's window ends when it is asked: the two starts differ by the time between them.
            assert remote.pop("since") and local.pop("since")
            assert remote == local
            answers[verb] = remote
    finally:
        server.stop(0)
    document = json.loads(answers["rightsize"]["document"])
    actions = {a for s in document["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {"cloudformation:DescribeStacks", "cloudformation:UpdateStack", "s3:PutObject",
                       "sts:AssumeRole", "iam:GetPolicyVersion"}
    assert answers["rightsize"]["format"] == "aws-iam-policy-json" and answers["rightsize"]["window_days"] == 3650
    assert "iam:CreatePolicyVersion" in answers["unused"]["unused_high_privilege"]
    assert answers["unused"]["used_count"] == 5 and not answers["unused"]["identity_unused"]
    status = main(["rightsize", "arn:aws:iam::333333333333:role/nobody", "--config", str(config_file)], manager=manager)
    assert status == 1 and "no identity known as" in capsys.readouterr().err
