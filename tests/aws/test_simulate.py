"""``ciem aws simulate``: AWS simulator request fields in, AWS-style evaluation results out."""

from __future__ import annotations

import argparse
import json

import pytest

from ciem.errors import InputError
from ciem_aws.simulate import add_cli, simulate_case

ACCOUNT, OTHER = "111122223333", "444455556666"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_S3 = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
ALLOW_ALL = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})


def run_case(**case):
    return simulate_case(case, "cases.jsonl", 7)


def test_one_result_per_action_and_resource_with_aws_field_names():
    results = run_case(PolicyInputList=[ALLOW_S3], ActionNames=["s3:GetObject", "ec2:RunInstances"], ResourceArns=["arn:aws:s3:::b/k"])
    assert [(r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in results] == [
        ("s3:GetObject", "arn:aws:s3:::b/k", "allowed"),
        ("ec2:RunInstances", "arn:aws:s3:::b/k", "implicitDeny"),
    ]
    assert results[0]["MatchedStatements"] == ["PolicyInputList.1#0"]
    assert results[0]["Layers"]["identity"] == {"Verdict": "allow", "Statements": ["PolicyInputList.1#0"], "Detail": ""}
    assert results[0]["Line"] == 7


def test_resource_arns_default_to_star():
    assert run_case(PolicyInputList=[ALLOW_S3], ActionNames=["s3:ListAllMyBuckets"])[0]["EvalResourceName"] == "*"


def test_explicit_deny_lists_the_deny_statements():
    deny = doc({"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"})
    result = run_case(PolicyInputList=[ALLOW_S3, deny], ActionNames=["s3:DeleteObject"])[0]
    assert result["EvalDecision"] == "explicitDeny" and result["MatchedStatements"] == ["PolicyInputList.2#NoDelete"]


def test_context_entries_and_missing_context_values():
    mfa = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {
        "Bool": {"aws:MultiFactorAuthPresent": "true"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
    missing = run_case(PolicyInputList=[mfa], ActionNames=["s3:GetObject"])[0]
    assert missing["EvalDecision"] == "implicitDeny"
    assert set(missing["MissingContextValues"]) <= {"aws:MultiFactorAuthPresent", "aws:SourceIp"} and missing["MissingContextValues"]
    entries = [
        {"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"},
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"},
    ]
    allowed = run_case(PolicyInputList=[mfa], ActionNames=["s3:GetObject"], ContextEntries=entries)[0]
    assert allowed["EvalDecision"] == "allowed" and allowed["MissingContextValues"] == []


def test_list_context_types_feed_set_operators():
    tags = doc({"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}})
    entry = {"ContextKeyName": "aws:TagKeys", "ContextKeyType": "stringList"}
    assert run_case(PolicyInputList=[tags], ActionNames=["ec2:CreateTags"], ContextEntries=[{**entry, "ContextKeyValues": ["team"]}])[0]["EvalDecision"] == "allowed"
    assert run_case(PolicyInputList=[tags], ActionNames=["ec2:CreateTags"], ContextEntries=[{**entry, "ContextKeyValues": ["team", "x"]}])[0]["EvalDecision"] == "implicitDeny"


def test_resource_policy_owner_and_caller():
    bucket = doc({"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    same = run_case(ResourcePolicy=bucket, CallerArn=USER, ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::b/k"])[0]
    assert same["EvalDecision"] == "allowed" and same["MatchedStatements"] == ["ResourcePolicy#0"]
    cross = dict(ResourcePolicy=bucket, CallerArn=USER, ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::b/k"], ResourceOwner=f"arn:aws:iam::{OTHER}:root")
    assert run_case(**cross)[0]["EvalDecision"] == "implicitDeny"
    assert run_case(**cross, PolicyInputList=[ALLOW_S3])[0]["EvalDecision"] == "allowed"


def test_boundary_session_scp_and_rcp_extensions():
    base = dict(CallerArn=USER, PolicyInputList=[ALLOW_ALL], ActionNames=["sqs:SendMessage"], ResourceArns=[QUEUE])
    assert run_case(**base)[0]["EvalDecision"] == "allowed"
    assert run_case(**base, PermissionsBoundaryPolicyInputList=[ALLOW_S3])[0]["EvalDecision"] == "implicitDeny"
    assert run_case(**base, SessionPolicyInputList=[ALLOW_S3])[0]["EvalDecision"] == "implicitDeny"
    result = run_case(**base, ServiceControlPolicyInputList=[[ALLOW_ALL], [ALLOW_S3]])[0]
    assert result["EvalDecision"] == "implicitDeny" and result["Layers"]["scp"]["Verdict"] == "no-match"
    rcp_deny = doc({"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"})
    result = run_case(**base, ResourceControlPolicyInputList=[[ALLOW_ALL.replace('"Action"', '"Principal": "*", "Action"'), rcp_deny]])[0]
    assert result["EvalDecision"] == "explicitDeny" and result["MatchedStatements"] == ["ResourceControlPolicyInputList.1.2#0"]


@pytest.mark.parametrize("case, where, problem", [
    ({"PolicyInputList": [ALLOW_S3]}, "ActionNames", "required"),
    ({"ActionNames": ["s3:GetObject"], "Policies": []}, "Policies", "unknown field"),
    ({"ActionNames": ["GetObject"]}, "ActionNames", "not an action name"),
    ({"ActionNames": ["s3:GetObject"], "PolicySourceArn": USER}, "PolicySourceArn", "live IAM"),
    ({"ActionNames": ["s3:GetObject"], "ResourcePolicy": ALLOW_S3}, "CallerArn", "required"),
    ({"ActionNames": ["s3:GetObject"], "CallerArn": "alice"}, "CallerArn", "not an IAM principal ARN"),
    ({"ActionNames": ["s3:GetObject"], "ResourceOwner": "acme"}, "ResourceOwner", "account id"),
    ({"ActionNames": ["s3:GetObject"], "PolicyInputList": ["{not json"]}, "PolicyInputList[0]", "not valid JSON"),
    ({"ActionNames": ["s3:GetObject"], "PolicyInputList": [doc({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"a": "b"}}})]},
     "PolicyInputList[0]", "unknown condition operator 'StringEqualz'"),
    ({"ActionNames": ["s3:GetObject"], "ServiceControlPolicyInputList": [ALLOW_S3]}, "ServiceControlPolicyInputList", "list of levels"),
    ({"ActionNames": ["s3:GetObject"], "ContextEntries": [{"ContextKeyName": "k", "ContextKeyValues": ["1"], "ContextKeyType": "number"}]},
     "ContextEntries[0].ContextKeyType", "unknown type"),
    ({"ActionNames": ["s3:GetObject"], "ContextEntries": [{"ContextKeyName": "k", "ContextKeyValues": ["a", "b"], "ContextKeyType": "string"}]},
     "ContextEntries[0].ContextKeyValues", "exactly one value"),
    ({"ActionNames": ["s3:GetObject"], "ContextEntries": [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["nowhere"], "ContextKeyType": "ip"}]},
     "ContextEntries[0].ContextKeyValues", "not a valid ip"),
])
def test_bad_cases_name_file_line_and_field(case, where, problem):
    with pytest.raises(InputError) as error:
        simulate_case(case, "cases.jsonl", 7)
    assert str(error.value).startswith("cases.jsonl: line 7")
    assert where in error.value.where and problem in error.value.problem


# --- the command line ---------------------------------------------------------------------------


def write_cases(tmp_path, *lines):
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_through_the_ciem_command(tmp_path, capsys):
    from ciem.cli import main

    good = json.dumps({"PolicyInputList": [ALLOW_S3], "ActionNames": ["s3:GetObject", "iam:CreateUser"]})
    path = write_cases(tmp_path, good, "", good)
    assert main(["aws", "simulate", "--cases", str(path), "--format", "json"]) == 0
    results = json.loads(capsys.readouterr().out)["EvaluationResults"]
    assert [(r["Line"], r["EvalActionName"], r["EvalDecision"]) for r in results] == [
        (1, "s3:GetObject", "allowed"), (1, "iam:CreateUser", "implicitDeny"),
        (3, "s3:GetObject", "allowed"), (3, "iam:CreateUser", "implicitDeny"),
    ]
    assert main(["aws", "simulate", "--cases", str(path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["LINE", "ACTION", "RESOURCE", "DECISION"]
    assert table[1].split()[:4] == ["1", "s3:GetObject", "*", "allowed"] and "identity=allow" in table[1]


def test_cli_reports_bad_input_with_file_and_line(tmp_path, capsys):
    from ciem.cli import main

    path = write_cases(tmp_path, json.dumps({"ActionNames": ["s3:GetObject"]}), "{oops")
    assert main(["aws", "simulate", "--cases", str(path)]) == 1
    assert f"{path}: line 2: not valid JSON" in capsys.readouterr().err.replace("\n", "")


def test_add_cli_on_a_plain_parser(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="ciem")
    add_cli(parser.add_subparsers(dest="verb", required=True))
    path = write_cases(tmp_path, json.dumps({"PolicyInputList": [ALLOW_S3], "ActionNames": ["s3:GetObject"]}))
    args = parser.parse_args(["aws", "simulate", "--cases", str(path), "--format", "json"])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["EvaluationResults"][0]["EvalDecision"] == "allowed"
    with pytest.raises(InputError, match="no such file"):
        args.func(parser.parse_args(["aws", "simulate", "--cases", str(tmp_path / "missing.jsonl")]))
