"""The AWS export layout: recognising, loading (with validation) and writing it."""

from __future__ import annotations

import copy
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ciem.errors import InputError, SourceError
from ciem.model import CoverageGap
from ciem_aws.collect.export import load_export, looks_like_export, write_export

RECORDED = Path(__file__).parent / "recorded"
PAGE_1 = RECORDED / "authorization-details-page-1.json"
PAGE_2 = RECORDED / "authorization-details-page-2.json"
ACCOUNT = "111122223333"


def no_progress(what: str, done: int, total: int | None) -> None:
    pass


def page(path: Path) -> dict:
    return json.loads(path.read_text())


def whole_document() -> dict:
    """One get-account-authorization-details document: the two recorded pages together."""
    first, second = page(PAGE_1), page(PAGE_2)
    first.pop("NextToken")
    return {key: first[key] + [item for item in second[key] if item not in first[key]] for key in first}


def write(path: Path, value) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value if isinstance(value, str) else json.dumps(value, indent=2))
    return path


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


SCP = policy({"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"})
BUCKET_POLICY = policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"})


def make_layout(root: Path) -> Path:
    """A hand-written layout as a user would assemble it from AWS CLI output."""
    org = root / "organization"
    write(org / "organization.json", {"Organization": {"Id": "o-exampleorgid", "MasterAccountId": "999988887777",
                                                       "FeatureSet": "ALL"}})
    write(org / "roots.json", {"Roots": [{"Id": "r-ab12", "Name": "Root", "PolicyTypes": []}]})
    write(org / "accounts.json", {"Accounts": [{"Id": ACCOUNT, "Name": "workload", "Status": "ACTIVE"}]})
    write(org / "organizational-units.json", {"OrganizationalUnits": [
        {"Id": "ou-ab12-workload", "Arn": "arn:aws:organizations::999988887777:ou/o-exampleorgid/ou-ab12-workload",
         "Name": "workloads", "ParentId": "r-ab12"}]})
    write(org / "account-parents.json", {ACCOUNT: "ou-ab12-workload"})
    write(org / "policies.json", {"Policies": [{
        "PolicySummary": {"Id": "p-examplescp1", "Name": "deny-leave", "Type": "SERVICE_CONTROL_POLICY"},
        "Content": json.dumps(SCP),
        "Targets": [{"TargetId": "ou-ab12-workload", "Type": "ORGANIZATIONAL_UNIT"}]}]})
    account = root / "accounts" / ACCOUNT
    pages = account / "authorization-details"
    shutil.copy(PAGE_1, write(pages / "page-1.json", "{}"))
    shutil.copy(PAGE_2, pages / "page-2.json")
    shutil.copy(RECORDED / "credential-report.csv", account / "credential-report.csv")
    write(account / "oidc-providers.json", {"OpenIDConnectProviderList": [
        {"Arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}]})
    write(account / "resources" / "s3.json", {
        "Buckets": [{"Name": "data", "Region": "eu-west-1", "Policy": json.dumps(BUCKET_POLICY),
                     "PublicAccessBlock": None, "Tags": {}}],
        "AccountPublicAccessBlock": None})
    write(account / "resources" / "ec2.json", {"Instances": [
        {"InstanceId": "i-0aa", "IamInstanceProfile": {"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/app"}}]})
    write(root / "coverage-gaps.json", [{"scope": f"{ACCOUNT}/us-east-1", "operation": "kms:ListKeys",
                                         "reason": "AccessDenied: no"}])
    write(root / "manifest.json", {"CollectedAt": "2024-05-03T04:05:06+00:00"})
    return root


def test_looks_like_export(tmp_path):
    layout = make_layout(tmp_path / "layout")
    assert looks_like_export(layout)
    assert looks_like_export(PAGE_1)
    assert looks_like_export(RECORDED)  # a folder of pages
    azure = tmp_path / "azure"
    write(azure / "role-assignments.json", {"value": [{"properties": {"roleDefinitionId": "x"}}]})
    write(azure / "notes.txt", "UserDetailList")
    assert not looks_like_export(azure)
    assert not looks_like_export(azure / "role-assignments.json")
    assert not looks_like_export(tmp_path / "missing")


def test_load_layout(tmp_path):
    snapshot = load_export(make_layout(tmp_path / "layout"), no_progress)
    assert snapshot.provider == "aws"
    assert snapshot.source == f"files:{tmp_path / 'layout'}"
    assert snapshot.collected_at == datetime(2024, 5, 3, 4, 5, 6, tzinfo=timezone.utc)
    organization = snapshot.data["organization"]
    assert organization["organization"]["Id"] == "o-exampleorgid"
    assert organization["account_parents"] == {ACCOUNT: "ou-ab12-workload"}
    assert organization["organizational_units"][0]["ParentId"] == "r-ab12"
    assert organization["policies"] == [{
        "summary": {"Id": "p-examplescp1", "Name": "deny-leave", "Type": "SERVICE_CONTROL_POLICY"},
        "document": SCP, "targets": [{"TargetId": "ou-ab12-workload", "Type": "ORGANIZATIONAL_UNIT"}]}]
    account = snapshot.data["accounts"][ACCOUNT]
    assert [user["UserName"] for user in account["authorization_details"]["UserDetailList"]] == ["alice"]
    group = account["authorization_details"]["GroupDetailList"][0]
    assert group["GroupPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "iam:PassRole"
    assert [row["user"] for row in account["credential_report"]] == ["<root_account>", "alice"]
    assert account["saml_providers"] == []
    assert account["oidc_providers"][0]["Arn"].endswith("token.actions.githubusercontent.com")
    assert account["resources"]["s3"]["Buckets"][0]["Policy"] == BUCKET_POLICY
    assert set(account["resources"]) == {"s3", "ec2"}
    assert snapshot.gaps == [CoverageGap("aws", f"{ACCOUNT}/us-east-1", "kms:ListKeys", "AccessDenied: no")]


def test_write_then_load_is_the_same_snapshot(tmp_path):
    snapshot = load_export(make_layout(tmp_path / "layout"), no_progress)
    write_export(snapshot, tmp_path / "out")
    again = load_export(tmp_path / "out", no_progress)
    assert (again.data, again.gaps, again.collected_at) == (snapshot.data, snapshot.gaps, snapshot.collected_at)
    assert (tmp_path / "out" / "accounts" / ACCOUNT / "authorization-details.json").is_file()


def test_write_replaces_its_own_export_but_nothing_else(tmp_path):
    snapshot = load_export(make_layout(tmp_path / "layout"), no_progress)
    out = tmp_path / "out"
    write_export(snapshot, out)
    write(out / "accounts" / "444455556666" / "authorization-details.json", {"UserDetailList": []})
    write_export(snapshot, out)
    assert sorted(path.name for path in (out / "accounts").iterdir()) == [ACCOUNT]
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
    pages = shutil.copytree(RECORDED, tmp_path / "pages")  # the user's own CLI output
    for theirs in (tmp_path / "layout", pages, write(tmp_path / "mine" / "a.txt", "x").parent):
        before = sorted(theirs.rglob("*"))
        with pytest.raises(SourceError, match="not overwriting"):
            write_export(snapshot, theirs)
        assert sorted(theirs.rglob("*")) == before


def test_lone_file_names_its_account_by_the_arns_inside(tmp_path):
    file = write(tmp_path / "auth.json", whole_document())
    os.utime(file, (1_700_000_000, 1_700_000_000))
    snapshot = load_export(file, no_progress)
    assert list(snapshot.data["accounts"]) == [ACCOUNT]
    assert snapshot.data["organization"] is None
    account = snapshot.data["accounts"][ACCOUNT]
    role = account["authorization_details"]["RoleDetailList"][0]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert (account["credential_report"], account["resources"]) == (None, {})
    assert snapshot.collected_at == datetime.fromtimestamp(1_700_000_000, timezone.utc)
    assert snapshot.source == f"files:{file}"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_files_with_a_byte_order_mark(tmp_path, encoding):
    file = tmp_path / "auth.json"  # as `aws iam get-account-authorization-details > auth.json` in PowerShell 5
    file.write_text(json.dumps(whole_document(), indent=4), encoding=encoding)
    assert looks_like_export(file)
    assert list(load_export(file, no_progress).data["accounts"]) == [ACCOUNT]


def test_managed_policies_left_out_of_the_export_are_gaps(tmp_path):
    document = whole_document()  # as `--filter User Role Group LocalManagedPolicy` prints it
    document["Policies"] = [p for p in document["Policies"] if not p["Arn"].startswith("arn:aws:iam::aws:")]
    snapshot = load_export(write(tmp_path / "auth.json", document), no_progress)
    assert snapshot.gaps == [CoverageGap(
        "aws", ACCOUNT, "iam:GetAccountAuthorizationDetails",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore: attached or used as a permissions boundary, "
        "but its document is not in Policies")]


def test_pages_merge_in_file_name_order(tmp_path):
    first, second = page(PAGE_1), page(PAGE_2)
    bob = copy.deepcopy(second["UserDetailList"][0])
    bob.update(UserName="bob", UserId="AIDAEXAMPLEBOB000001", Arn=f"arn:aws:iam::{ACCOUNT}:user/bob")
    second["UserDetailList"].insert(0, bob)
    write(tmp_path / "pages" / "page-2.json", first)
    write(tmp_path / "pages" / "page-10.json", second)  # after page-2, although "page-10" < "page-2"
    write(tmp_path / "pages" / "manifest.json", {"CollectedAt": "2024-05-03T04:05:06+00:00"})
    snapshot = load_export(tmp_path / "pages", no_progress)
    assert snapshot.collected_at == datetime(2024, 5, 3, 4, 5, 6, tzinfo=timezone.utc)
    details = snapshot.data["accounts"][ACCOUNT]["authorization_details"]
    assert [user["UserName"] for user in details["UserDetailList"]] == ["alice", "bob"]
    assert [role["RoleName"] for role in details["RoleDetailList"]] == ["app"]
    assert len(details["Policies"]) == 2


def test_malformed_json_names_line_and_column(tmp_path):
    file = write(tmp_path / "auth.json", '{\n  "UserDetailList": [\n    {"Arn": "x",}\n  ]\n}\n')
    with pytest.raises(InputError) as error:
        load_export(file, no_progress)
    assert error.value.path == str(file)
    assert error.value.where == "line 3, column 17"
    assert "malformed JSON" in str(error.value)


def test_invalid_policy_names_file_and_json_path(tmp_path):
    document = whole_document()
    app = document["RoleDetailList"][0]
    for name in ("batch", "etl", "web"):
        document["RoleDetailList"].insert(0, {**copy.deepcopy(app), "RoleName": name,
                                              "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}"})
    app["RolePolicyList"][0]["PolicyDocument"] = json.dumps(policy(
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
        {"Effect": "Permit", "Action": "sqs:DeleteQueue", "Resource": "*"}))
    file = write(tmp_path / "layout" / "accounts" / ACCOUNT / "authorization-details.json", document)
    with pytest.raises(InputError) as error:
        load_export(tmp_path / "layout", no_progress)
    assert str(error.value) == (f"{file}: $.RoleDetailList[3].RolePolicyList[0].PolicyDocument.Statement[1].Effect: "
                                'Effect must be "Allow" or "Deny"')


@pytest.mark.parametrize("bucket_policy, where, problem", [
    (policy({"Effect": "Permit", "Principal": "*", "Action": "s3:*"}), "$.Buckets[0].Policy.Statement[0].Effect", "Effect"),
    ("{not json", "$.Buckets[0].Policy", "not valid JSON"),
    (policy({"Effect": "Allow", "Principal": {"User": "x"}, "Action": "s3:*"}),
     "$.Buckets[0].Policy.Statement[0].Principal.User", "principal type"),
])
def test_invalid_resource_policy(tmp_path, bucket_policy, where, problem):
    root = make_layout(tmp_path / "layout")
    file = write(root / "accounts" / ACCOUNT / "resources" / "s3.json",
                 {"Buckets": [{"Name": "data", "Region": "eu-west-1", "Policy": bucket_policy}]})
    with pytest.raises(InputError, match=problem) as error:
        load_export(root, no_progress)
    assert (error.value.path, error.value.where) == (str(file), where)


def test_invalid_organization_policy(tmp_path):
    root = make_layout(tmp_path / "layout")
    file = write(root / "organization" / "policies.json", {"Policies": [
        {"PolicySummary": {"Id": "p-1"}, "Content": json.dumps({"Statement": [{"Effect": "Deny", "Resource": "*"}]})}]})
    with pytest.raises(InputError, match="exactly one of Action and NotAction") as error:
        load_export(root, no_progress)
    assert (error.value.path, error.value.where) == (str(file), "$.Policies[0].Content.Statement[0]")


@pytest.mark.parametrize("change, problem", [
    (lambda root: shutil.move(root / "accounts" / ACCOUNT, root / "accounts" / "444455556666"),
     "holds ARNs of account 111122223333, not of 444455556666"),
    (lambda root: write(root / "accounts" / ACCOUNT / "resources" / "s4.json", {}), "not a resource file"),
    (lambda root: write(root / "accounts" / ACCOUNT / "authorization-details.json", {}), "exactly one of"),
    (lambda root: shutil.move(root / "accounts" / ACCOUNT, root / "accounts" / "prod"), "12-digit"),
    (lambda root: write(root / "coverage-gaps.json", [{"scope": "x"}]), "scope, operation and reason"),
    (lambda root: write(root / "manifest.json", {"CollectedAt": "yesterday"}), "ISO 8601"),
    (lambda root: write(root / "organization" / "roots.json", {"Roots": {}}), "expected a list"),
    (lambda root: write(root / "accounts" / ACCOUNT / "credential-report.csv", "a,b\n1,2\n"), "not a credential report"),
    (lambda root: [shutil.rmtree(root / "organization"), shutil.rmtree(root / "accounts" / ACCOUNT)],
     "neither accounts/ACCOUNT_ID folders nor"),
])
def test_malformed_layout(tmp_path, change, problem):
    root = make_layout(tmp_path / "layout")
    change(root)
    with pytest.raises(InputError, match=problem):
        load_export(root, no_progress)


def test_conflicting_copies_across_pages(tmp_path):
    second = page(PAGE_2)
    second["UserDetailList"][0]["GroupList"] = []
    write(tmp_path / "pages" / "1.json", page(PAGE_1))
    file = write(tmp_path / "pages" / "2.json", second)
    with pytest.raises(InputError, match="differs from its copy") as error:
        load_export(tmp_path / "pages", no_progress)
    assert (error.value.path, error.value.where) == (str(file), "$.UserDetailList[0]")


def test_lone_file_without_an_account(tmp_path):
    aws_only = {"UserDetailList": [], "Policies": [page(PAGE_2)["Policies"][1]]}
    with pytest.raises(InputError, match="names no account"):
        load_export(write(tmp_path / "auth.json", aws_only), no_progress)
    two = whole_document()
    two["UserDetailList"][0]["Arn"] = "arn:aws:iam::444455556666:user/alice"
    with pytest.raises(InputError, match="several accounts"):
        load_export(write(tmp_path / "two.json", two), no_progress)


def test_not_an_export(tmp_path):
    write(tmp_path / "notes.txt", "hello")
    with pytest.raises(InputError, match="not an AWS export"):
        load_export(tmp_path, no_progress)
    with pytest.raises(InputError, match="not a get-account-authorization-details document"):
        load_export(write(tmp_path / "other.json", {"value": []}), no_progress)
