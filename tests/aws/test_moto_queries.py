"""The query verbs of the real CLI (`ciem reach`, `ciem who-can`, `ciem explain`) on an account that
moto hosts, collected live and written in the export layout, or collected by `ciem collect aws`."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import botocore.client
import pytest
from moto import mock_aws

from ciem.cli import main
from ciem_aws.collect import live
from ciem_aws.collect.export import write_export
from test_live_collect import MANAGEMENT, REGION, UNOFFERED, document, no_progress, refuse, trust

DEV = f"arn:aws:iam::{MANAGEMENT}:user/dev"
ADMIN = f"arn:aws:iam::{MANAGEMENT}:role/admin"
BUCKET = "arn:aws:s3:::payroll"
OBJECT = BUCKET + "/report.csv"


def build_account() -> None:
    """A developer who may assume an admin role, and a bucket whose policy denies deleting objects."""
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="dev")
    iam.put_user_policy(UserName="dev", PolicyName="assume-admin",
                        PolicyDocument=document({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ADMIN}))
    iam.create_role(RoleName="admin", AssumeRolePolicyDocument=trust({"AWS": DEV}))
    iam.put_role_policy(RoleName="admin", PolicyName="everything",
                        PolicyDocument=document({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="payroll")
    s3.put_bucket_policy(Bucket="payroll", Policy=document(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": BUCKET + "/*"}))


@pytest.fixture(scope="module")
def moto_account():
    """moto running with the account built (it lacks ssm:DescribeInstanceInformation: that call is a gap)."""
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            patch.delenv(name, raising=False)
        patch.setattr(live, "REPORT_POLL_SECONDS", 0.0)
        patch.setattr(botocore.client.BaseClient, "_make_api_call", refuse(UNOFFERED))
        build_account()
        yield


@pytest.fixture(scope="module")
def export(moto_account, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("moto-export")
    write_export(live.collect({"region": REGION}, no_progress), out)
    return out


def query(capsys, export: Path, *argv: str) -> dict:
    assert main([*argv, "--input", str(export), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def assert_answers(capsys, export: Path) -> None:
    reach = query(capsys, export, "reach", DEV, "--action", "s3:GetObject", "--resource-prefix", BUCKET)
    [entry] = [e for e in reach["entries"] if e["resource"] == BUCKET]
    assert entry["via"] == ADMIN and not entry["conditional"]
    [edge] = entry["path"]["edges"]
    assert (edge["source"], edge["target"], edge["kind"]) == (DEV, ADMIN, "EDGE_KIND_ASSUME")
    assert ADMIN in [r["identity"] for r in reach["reachable_identities"]]

    readers = query(capsys, export, "who-can", OBJECT, "--action", "s3:GetObject")
    assert {(e["identity"]["id"], e["holder"]) for e in readers["entries"]} >= {(ADMIN, ADMIN), (DEV, ADMIN)}
    deleters = query(capsys, export, "who-can", OBJECT, "--action", "s3:DeleteObject")
    assert not {DEV, ADMIN} & {e["identity"]["id"] for e in deleters["entries"]}, "the bucket policy denies deleting"

    # The developer holds no S3 permission itself; the role does, except where the bucket policy denies.
    assert query(capsys, export, "explain", DEV, "s3:GetObject", OBJECT)["decision"] == "implicitDeny"
    assert query(capsys, export, "explain", ADMIN, "s3:GetObject", OBJECT)["decision"] == "allowed"
    denied = query(capsys, export, "explain", ADMIN, "s3:DeleteObject", OBJECT)
    assert denied["decision"] == "explicitDeny"
    [resource_layer] = [layer for layer in denied["layers"] if layer["layer"] == "resource"]
    assert resource_layer["verdict"] == "deny" and resource_layer["statements"] == [f"resource:{BUCKET}#0"]


def test_queries_on_a_live_collection_written_as_an_export(export, capsys):
    assert_answers(capsys, export)


def test_queries_on_what_ciem_collect_aws_wrote(moto_account, tmp_path, capsys):
    out = tmp_path / "collected"
    assert main(["collect", "aws", "--out", str(out), "--option", f"region={REGION}"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert_answers(capsys, out)
