"""Live AWS collection against moto, and its pure transforms on recorded API responses."""

from __future__ import annotations

import json
import os
import zipfile
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws

from ciem.errors import ConfigError, InputError, SourceError
from ciem_aws.collect import live, transform
from ciem_aws.collect.export import load_export, write_export

RECORDED = Path(__file__).parent / "recorded"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
MANAGEMENT = "123456789012"  # moto's default account
ORG_ROLE = "OrganizationAccountAccessRole"


def no_progress(what: str, done: int, total: int | None) -> None:
    pass


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal: dict, **extra) -> str:
    return document({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def lambda_zip() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


SEND = botocore.client.BaseClient._make_api_call


def refuse(calls: dict[tuple[str, str], Exception]):
    """Make botocore raise ``calls[(service, operation)]`` instead of sending those requests."""

    def make_api_call(client, operation_name, api_params):
        error = calls.get((client.meta.service_model.service_name, operation_name))
        if error is not None:
            raise error
        return SEND(client, operation_name, api_params)

    return make_api_call


def denied(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized by ciem-test"}}, operation)


def build_management_account() -> dict[str, str]:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_group(GroupName="developers")
    iam.put_group_policy(GroupName="developers", PolicyName="pass-app",
                         PolicyDocument=document(allow("iam:PassRole", f"arn:aws:iam::{MANAGEMENT}:role/app")))
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "data"}])
    iam.add_user_to_group(GroupName="developers", UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="read-logs", PolicyDocument=document(allow("logs:Get*")))
    policy_arn = iam.create_policy(PolicyName="s3-access", PolicyDocument=document(allow("s3:*")))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=document(allow("s3:GetObject")), SetAsDefault=True)
    iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=document(allow("s3:DeleteBucket")), SetAsDefault=False)
    iam.attach_user_policy(UserName="alice", PolicyArn=policy_arn)
    role_arn = iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust(
        {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="app", PolicyName="queue", PolicyDocument=document(allow("sqs:SendMessage")))
    iam.attach_role_policy(RoleName="app", PolicyArn=policy_arn)
    boundary_arn = iam.create_policy(PolicyName="boundary", PolicyDocument=document(
        allow(["s3:*", "sqs:*"])))["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName="app", PermissionsBoundary=boundary_arn)
    iam.create_role(RoleName="vendor", AssumeRolePolicyDocument=trust(
        {"AWS": "arn:aws:iam::111122223333:root"}, Condition={"StringEquals": {"sts:ExternalId": "vendor-42"}}))
    iam.create_instance_profile(InstanceProfileName="app-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")

    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    workloads = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    prod = org.create_organizational_unit(ParentId=workloads, Name="prod")["OrganizationalUnit"]["Id"]
    member = org.create_account(Email="member@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=prod)
    scp = org.create_policy(Name="deny-leave", Description="", Type="SERVICE_CONTROL_POLICY",
                            Content=document({"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}))
    scp_id = scp["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp_id, TargetId=workloads)

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="data-bucket")
    s3.put_bucket_policy(Bucket="data-bucket", Policy=document({
        "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-bucket/*"}))
    s3.put_public_access_block(Bucket="data-bucket", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    s3.put_bucket_tagging(Bucket="data-bucket", Tagging={"TagSet": [{"Key": "classification", "Value": "secret"}]})
    s3.create_bucket(Bucket="plain-bucket")
    boto3.client("s3control", region_name=REGION).put_public_access_block(
        AccountId=MANAGEMENT, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})

    kms = boto3.client("kms", region_name=REGION)
    key_policy = document({"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                           "Action": "kms:*", "Resource": "*"})
    key_id = kms.create_key(Policy=key_policy, Tags=[{"TagKey": "owner", "TagValue": "platform"}])["KeyMetadata"]["KeyId"]
    kms.create_grant(KeyId=key_id, GranteePrincipal=role_arn, Operations=["Decrypt"])

    secrets = boto3.client("secretsmanager", region_name=REGION)
    secret_arn = secrets.create_secret(Name="db-password", SecretString="hunter2")["ARN"]
    secrets.put_resource_policy(SecretId=secret_arn, ResourcePolicy=document({
        "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))

    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": document({
        "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
        "Resource": f"arn:aws:sqs:{REGION}:{MANAGEMENT}:jobs"})})

    boto3.client("sns", region_name=REGION).create_topic(Name="alerts")

    lambda_client = boto3.client("lambda", region_name=REGION)
    lambda_client.create_function(FunctionName="worker", Runtime="python3.11", Role=role_arn,
                                  Handler="handler.handler", Code={"ZipFile": lambda_zip()})
    lambda_client.add_permission(FunctionName="worker", StatementId="s3-invoke", Action="lambda:InvokeFunction",
                                 Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::data-bucket")

    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="images")
    ecr.set_repository_policy(repositoryName="images", policyText=document({
        "Sid": "Pull", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "ecr:BatchGetImage"}))

    ec2 = boto3.client("ec2", region_name=REGION)
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,  # one of moto's AMIs
                                 IamInstanceProfile={"Name": "app-profile"})["Instances"][0]["InstanceId"]

    ecs = boto3.client("ecs", region_name=REGION)
    ecs.register_task_definition(
        family="web", taskRoleArn=role_arn, containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}])
    ecs.create_cluster(clusterName="main")
    legacy = ecs.register_task_definition(
        family="legacy", taskRoleArn=role_arn, containerDefinitions=[{"name": "app", "image": "app", "memory": 128}])
    ecs.create_service(cluster="main", serviceName="legacy", taskDefinition="legacy:1", desiredCount=1)
    ecs.deregister_task_definition(taskDefinition=legacy["taskDefinition"]["taskDefinitionArn"])
    boto3.client("batch", region_name=REGION).register_job_definition(
        jobDefinitionName="nightly", type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128, "jobRoleArn": role_arn})
    boto3.client("sqs", region_name=OTHER_REGION).create_queue(QueueName="eu-jobs")
    boto3.client("glue", region_name=REGION).create_job(
        Name="etl", Role=role_arn, Command={"Name": "glueetl", "ScriptLocation": "s3://data-bucket/etl.py"})
    boto3.client("sagemaker", region_name=REGION).create_notebook_instance(
        NotebookInstanceName="lab", InstanceType="ml.t3.medium", RoleArn=role_arn)
    boto3.client("codebuild", region_name=REGION).create_project(
        name="build", source={"type": "S3", "location": "data-bucket/source.zip"}, artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=role_arn)
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="network", RoleARN=role_arn,
        TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
    return {"member": member, "policy_arn": policy_arn, "boundary_arn": boundary_arn, "role_arn": role_arn, "scp_id": scp_id, "root": root,
            "workloads": workloads, "prod": prod, "key_id": key_id, "secret_arn": secret_arn, "instance": instance}


def build_member_account(member: str) -> None:
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/{ORG_ROLE}", RoleSessionName="setup")["Credentials"]
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"], region_name=REGION)
    session.client("iam").create_role(RoleName="deployer", AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}))
    session.client("s3").create_bucket(Bucket="member-bucket")


# moto lacks ssm:DescribeInstanceInformation; it stands for a service a region does not offer.
UNOFFERED = {("ssm", "DescribeInstanceInformation"): EndpointConnectionError(endpoint_url="https://ssm.example.invalid")}


@pytest.fixture(scope="module")
def estate():
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            patch.delenv(name, raising=False)
        patch.setattr(live, "REPORT_POLL_SECONDS", 0.0)
        patch.setattr(botocore.client.BaseClient, "_make_api_call", refuse(UNOFFERED))
        names = build_management_account()
        build_member_account(names["member"])
        events: list[tuple[str, int, int | None]] = []
        snapshot = live.collect({"region": REGION, "regions": [REGION, OTHER_REGION], "organization": True,
                                 "assume_role": ORG_ROLE}, lambda *event: events.append(event))
        names["progress"] = events
        yield names, snapshot, patch


def by(items: list[dict], key: str, value: str) -> dict:
    matches = [item for item in items if item.get(key) == value]
    assert len(matches) == 1, f"{key}={value} in {items}"
    return matches[0]


def test_iam_entities_policies_and_versions(estate):
    names, snapshot, _ = estate
    details = snapshot.data["accounts"][MANAGEMENT]["authorization_details"]
    alice = by(details["UserDetailList"], "UserName", "alice")
    assert alice["GroupList"] == ["developers"]
    assert alice["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "logs:Get*"
    assert alice["AttachedManagedPolicies"] == [{"PolicyName": "s3-access", "PolicyArn": names["policy_arn"]}]
    group = by(details["GroupDetailList"], "GroupName", "developers")
    assert group["GroupPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "iam:PassRole"
    app = by(details["RoleDetailList"], "RoleName", "app")
    assert app["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}
    assert app["RolePolicyList"][0]["PolicyName"] == "queue"
    assert [profile["InstanceProfileName"] for profile in app["InstanceProfileList"]] == ["app-profile"]
    assert app["PermissionsBoundary"]["PermissionsBoundaryArn"] == names["boundary_arn"]
    assert by(details["Policies"], "Arn", names["boundary_arn"])["PolicyVersionList"][0]["IsDefaultVersion"] is True
    assert isinstance(app["InstanceProfileList"][0]["Roles"][0]["AssumeRolePolicyDocument"], dict)
    vendor = by(details["RoleDetailList"], "RoleName", "vendor")
    assert vendor["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == {
        "StringEquals": {"sts:ExternalId": "vendor-42"}}
    policy = by(details["Policies"], "Arn", names["policy_arn"])
    assert policy["DefaultVersionId"] == "v2"
    versions = {version["VersionId"]: version for version in policy["PolicyVersionList"]}
    assert sorted(versions) == ["v1", "v2", "v3"]
    assert [v for v, version in versions.items() if version["IsDefaultVersion"]] == ["v2"]
    assert versions["v2"]["Document"]["Statement"][0]["Action"] == "s3:GetObject"
    assert versions["v3"]["Document"]["Statement"][0]["Action"] == "s3:DeleteBucket"


def test_credential_report_and_json_shape(estate):
    _, snapshot, _ = estate
    account = snapshot.data["accounts"][MANAGEMENT]
    alice = by(account["credential_report"], "user", "alice")
    assert alice["arn"] == f"arn:aws:iam::{MANAGEMENT}:user/alice"
    assert alice["password_enabled"] == "false"
    assert account["saml_providers"] == [] and account["oidc_providers"] == []
    json.dumps(snapshot.data)  # timestamps and the rest are plain JSON


def test_organization(estate):
    names, snapshot, _ = estate
    organization = snapshot.data["organization"]
    assert organization["organization"]["MasterAccountId"] == MANAGEMENT
    assert [root["Id"] for root in organization["roots"]] == [names["root"]]
    assert {account["Id"] for account in organization["accounts"]} == {MANAGEMENT, names["member"]}
    units = {unit["Id"]: unit for unit in organization["organizational_units"]}
    assert units[names["workloads"]]["ParentId"] == names["root"]
    assert units[names["prod"]]["ParentId"] == names["workloads"]
    assert organization["account_parents"] == {MANAGEMENT: names["root"], names["member"]: names["prod"]}
    scp = by([p["summary"] for p in organization["policies"]], "Id", names["scp_id"])
    assert scp["Type"] == "SERVICE_CONTROL_POLICY"
    entry = next(p for p in organization["policies"] if p["summary"]["Id"] == names["scp_id"])
    assert entry["document"]["Statement"][0]["Action"] == "organizations:LeaveOrganization"
    assert [target["TargetId"] for target in entry["targets"]] == [names["workloads"]]
    full_access = [p for p in organization["policies"] if p["summary"]["Id"] == "p-FullAWSAccess"]
    assert full_access and full_access[0]["document"]["Statement"][0]["Effect"] == "Allow"


def test_member_account_through_assumed_role(estate):
    names, snapshot, _ = estate
    assert set(snapshot.data["accounts"]) == {MANAGEMENT, names["member"]}
    member = snapshot.data["accounts"][names["member"]]
    deployer = by(member["authorization_details"]["RoleDetailList"], "RoleName", "deployer")
    assert deployer["Arn"] == f"arn:aws:iam::{names['member']}:role/deployer"
    assert [bucket["Name"] for bucket in member["resources"]["s3"]["Buckets"]] == ["member-bucket"]
    management_buckets = snapshot.data["accounts"][MANAGEMENT]["resources"]["s3"]["Buckets"]
    assert "member-bucket" not in [bucket["Name"] for bucket in management_buckets]


def test_resource_policies(estate):
    names, snapshot, _ = estate
    resources = snapshot.data["accounts"][MANAGEMENT]["resources"]
    bucket = by(resources["s3"]["Buckets"], "Name", "data-bucket")
    assert bucket["Region"] == REGION
    assert bucket["Policy"]["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert bucket["PublicAccessBlock"]["BlockPublicPolicy"] is False
    assert bucket["Tags"] == {"classification": "secret"}
    plain = by(resources["s3"]["Buckets"], "Name", "plain-bucket")
    assert (plain["Policy"], plain["PublicAccessBlock"], plain["Tags"]) == (None, None, {})
    assert resources["s3"]["AccountPublicAccessBlock"]["RestrictPublicBuckets"] is True

    key = by(resources["kms"]["Keys"], "KeyId", names["key_id"])
    assert key["Policy"]["Statement"][0]["Sid"] == "Admin"
    assert key["Tags"] == {"owner": "platform"}
    assert key["Grants"][0]["GranteePrincipal"] == names["role_arn"]
    assert key["Arn"].startswith(f"arn:aws:kms:{REGION}:{MANAGEMENT}:key/")

    secret = by(resources["secretsmanager"]["Secrets"], "ARN", names["secret_arn"])
    assert secret["Policy"]["Statement"][0]["Principal"] == {"AWS": names["role_arn"]}
    queue = by(resources["sqs"]["Queues"], "Arn", f"arn:aws:sqs:{REGION}:{MANAGEMENT}:jobs")
    assert queue["Policy"]["Statement"][0]["Principal"] == "*"
    assert [(q["Region"], q["Policy"]) for q in resources["sqs"]["Queues"] if q["Region"] == OTHER_REGION] == [
        (OTHER_REGION, None)]
    topic = by(resources["sns"]["Topics"], "TopicArn", f"arn:aws:sns:{REGION}:{MANAGEMENT}:alerts")
    assert isinstance(topic["Policy"], dict)
    function = by(resources["lambda"]["Functions"], "FunctionName", "worker")
    assert function["Role"] == names["role_arn"]
    assert function["Policy"]["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    repository = by(resources["ecr"]["Repositories"], "repositoryName", "images")
    assert repository["Policy"]["Statement"][0]["Action"] == "ecr:BatchGetImage"


def test_compute_carrying_roles(estate):
    names, snapshot, _ = estate
    resources = snapshot.data["accounts"][MANAGEMENT]["resources"]
    instance = by(resources["ec2"]["Instances"], "InstanceId", names["instance"])
    assert instance["IamInstanceProfile"]["Arn"] == f"arn:aws:iam::{MANAGEMENT}:instance-profile/app-profile"
    assert instance["Region"] == REGION
    assert by(resources["ecs"]["TaskDefinitions"], "family", "web")["taskRoleArn"] == names["role_arn"]
    legacy = by(resources["ecs"]["TaskDefinitions"], "family", "legacy")  # inactive, but its service runs it
    assert (legacy["status"], legacy["taskRoleArn"]) == ("INACTIVE", names["role_arn"])
    assert by(resources["ecs"]["Services"], "serviceName", "legacy")["taskDefinition"] == legacy["taskDefinitionArn"]
    assert by(resources["glue"]["Jobs"], "Name", "etl")["Role"] == names["role_arn"]
    assert by(resources["sagemaker"]["NotebookInstances"], "NotebookInstanceName", "lab")["RoleArn"] == names["role_arn"]
    assert by(resources["codebuild"]["Projects"], "name", "build")["serviceRole"] == names["role_arn"]
    assert by(resources["cloudformation"]["Stacks"], "StackName", "network")["RoleARN"] == names["role_arn"]
    nightly = by(resources["batch"]["JobDefinitions"], "jobDefinitionName", "nightly")
    assert (nightly["containerProperties"]["jobRoleArn"], nightly["Region"]) == (names["role_arn"], REGION)


def test_unavailable_services_are_gaps_not_errors(estate):
    names, snapshot, _ = estate
    gaps = {(gap.scope, gap.operation) for gap in snapshot.gaps}
    expected = set()
    for account in (MANAGEMENT, names["member"]):
        for region in (REGION, OTHER_REGION):
            expected |= {(f"{account}/{region}", "ssm:DescribeInstanceInformation"),
                         (f"{account}/{region}", "apprunner:ListServices")}  # moto has no App Runner
    assert gaps == expected  # and no gap for the buckets, repositories ... without a policy
    assert snapshot.data["accounts"][MANAGEMENT]["resources"]["ssm"] == {"InstanceInformationList": []}


def test_denied_calls_become_gaps(estate):
    _, _, patch = estate
    patch.setattr(botocore.client.BaseClient, "_make_api_call", refuse({
        **UNOFFERED,
        ("s3", "GetBucketPolicy"): denied("GetBucketPolicy"),
        ("kms", "ListKeys"): denied("ListKeys"),
        ("organizations", "ListAccounts"): denied("ListAccounts"),
    }))
    try:
        snapshot = live.collect({"region": REGION}, no_progress)
    finally:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", refuse(UNOFFERED))
    gaps = {gap.operation: gap for gap in snapshot.gaps}
    bucket_gaps = [gap for gap in snapshot.gaps if gap.operation == "s3:GetBucketPolicy"]
    assert sorted(gap.reason.split(":")[0] for gap in bucket_gaps) == ["data-bucket", "plain-bucket"]
    assert all("AccessDenied: not authorized by ciem-test" in gap.reason for gap in bucket_gaps)
    assert all(gap.scope == MANAGEMENT for gap in bucket_gaps)
    assert gaps["kms:ListKeys"].scope == f"{MANAGEMENT}/{REGION}"
    assert gaps["organizations:ListAccounts"].scope == MANAGEMENT
    resources = snapshot.data["accounts"][MANAGEMENT]["resources"]
    assert resources["kms"] == {"Keys": []}
    assert by(resources["s3"]["Buckets"], "Name", "data-bucket")["Policy"] is None
    assert by(resources["s3"]["Buckets"], "Name", "data-bucket")["Tags"] == {"classification": "secret"}
    assert snapshot.data["organization"]["accounts"] == []
    assert list(snapshot.data["accounts"]) == [MANAGEMENT]


def test_member_account_alone_knows_its_organization_policies_are_unknown(estate):
    names, _, _ = estate
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{names['member']}:role/{ORG_ROLE}", RoleSessionName="member")["Credentials"]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
        env.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
        env.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
        snapshot = live.collect({"region": REGION}, no_progress)
    assert list(snapshot.data["accounts"]) == [names["member"]]
    organization = snapshot.data["organization"]
    assert organization["organization"]["MasterAccountId"] == MANAGEMENT
    assert (organization["accounts"], organization["policies"]) == ([], [])
    unknown = [gap for gap in snapshot.gaps if gap.operation == "organizations:ListPolicies"]
    assert [gap.scope for gap in unknown] == [names["member"]]
    assert "SCPs and RCPs" in unknown[0].reason


def test_assumed_role_credentials_are_renewed(estate):
    names, _, patch = estate
    unoffered = refuse(UNOFFERED)
    assumed = []

    def short_lived(client, operation_name, api_params):
        response = unoffered(client, operation_name, api_params)
        if operation_name == "AssumeRole":
            assumed.append(api_params["RoleArn"])
            response["Credentials"]["Expiration"] = datetime.now(timezone.utc) + timedelta(minutes=1)
        return response

    patch.setattr(botocore.client.BaseClient, "_make_api_call", short_lived)
    try:
        snapshot = live.collect({"region": REGION, "accounts": [names["member"]], "assume_role": ORG_ROLE},
                                no_progress)
    finally:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", unoffered)
    assert len(assumed) > 2 and set(assumed) == {f"arn:aws:iam::{names['member']}:role/{ORG_ROLE}"}
    role = by(snapshot.data["accounts"][names["member"]]["authorization_details"]["RoleDetailList"],
              "RoleName", "deployer")
    assert role["Arn"] == f"arn:aws:iam::{names['member']}:role/deployer"
    assert snapshot.gaps == [gap for gap in snapshot.gaps if gap.operation in (
        "ssm:DescribeInstanceInformation", "apprunner:ListServices")]


def collect_without_boundary_policy(boundary_arn: str, patch: pytest.MonkeyPatch, refusals: dict):
    refusing = refuse(refusals)

    def without_boundary(client, operation_name, api_params):
        response = refusing(client, operation_name, api_params)
        if operation_name == "GetAccountAuthorizationDetails":
            response["Policies"] = [p for p in response["Policies"] if p["Arn"] != boundary_arn]
        return response

    patch.setattr(botocore.client.BaseClient, "_make_api_call", without_boundary)
    try:
        return live.collect({"region": REGION}, no_progress)
    finally:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", refuse(UNOFFERED))


def test_unreadable_referenced_policy_is_a_gap_that_survives_the_export(estate, tmp_path):
    names, _, patch = estate
    snapshot = collect_without_boundary_policy(names["boundary_arn"], patch,
                                               {**UNOFFERED, ("iam", "GetPolicy"): denied("GetPolicy")})
    iam_gaps = [gap for gap in snapshot.gaps if gap.operation.startswith("iam:")]
    assert [gap.operation for gap in iam_gaps] == ["iam:GetPolicy", "iam:GetAccountAuthorizationDetails"]
    assert all(gap.reason.startswith(names["boundary_arn"] + ": ") for gap in iam_gaps)
    assert "AccessDenied" in iam_gaps[0].reason and "permissions boundary" in iam_gaps[1].reason
    assert names["boundary_arn"] not in [p["Arn"] for p in
                                         snapshot.data["accounts"][MANAGEMENT]["authorization_details"]["Policies"]]
    write_export(snapshot, tmp_path / "export")
    assert load_export(tmp_path / "export", no_progress).gaps == snapshot.gaps


def test_referenced_policy_missing_from_authorization_details_is_read(estate):
    """Should get-account-authorization-details leave out a managed policy some identity attaches
    or uses as its boundary, the collector reads it with get-policy and get-policy-version."""
    names, _, patch = estate
    snapshot = collect_without_boundary_policy(names["boundary_arn"], patch, UNOFFERED)
    policies = snapshot.data["accounts"][MANAGEMENT]["authorization_details"]["Policies"]
    boundary = by(policies, "Arn", names["boundary_arn"])
    assert boundary["DefaultVersionId"] == "v1" and "Tags" not in boundary
    [version] = boundary["PolicyVersionList"]
    assert (version["VersionId"], version["IsDefaultVersion"]) == ("v1", True)
    assert version["Document"]["Statement"][0]["Action"] == ["s3:*", "sqs:*"]
    assert {gap.operation for gap in snapshot.gaps} == {"ssm:DescribeInstanceInformation", "apprunner:ListServices"}


def test_unreachable_account_is_a_gap(estate):
    names, _, _ = estate
    snapshot = live.collect({"region": REGION, "accounts": [names["member"]]}, no_progress)
    assert snapshot.data["accounts"] == {}
    assert [(gap.scope, gap.operation) for gap in snapshot.gaps] == [(names["member"], "sts:AssumeRole")]


def test_progress(estate):
    names, _, _ = estate
    accounts = [event for event in names["progress"] if event[0].startswith("aws account ") and ":" not in event[0]]
    assert sorted(event[0] for event in accounts) == sorted(f"aws account {a}" for a in (MANAGEMENT, names["member"]))
    assert (f"aws account {names['member']}: kms", 2, 17) in names["progress"]
    assert names["progress"][-1] == ("aws accounts", 2, 2)


def test_export_round_trip(estate, tmp_path):
    _, snapshot, _ = estate
    write_export(snapshot, tmp_path / "export")
    loaded = load_export(tmp_path / "export", no_progress)
    assert loaded.data == snapshot.data
    assert loaded.gaps == snapshot.gaps
    assert loaded.collected_at == snapshot.collected_at
    assert loaded.source == f"files:{tmp_path / 'export'}"


@pytest.mark.parametrize("options, problem", [({}, "Unable to locate credentials"), ({"profile": "nope"}, "nope")])
def test_no_credentials_is_a_source_error(monkeypatch, tmp_path, options, problem):
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(SourceError, match=problem):
        live.collect(options, no_progress)


@pytest.mark.parametrize("options, problem", [
    ({"accounts": ["12345"]}, "12-digit"),
    ({"regions": "us-east-1"}, "list"),
    ({"organization": "yes"}, "true or false"),
    ({"assume_role": "arn:aws:iam::123456789012:role/x"}, "role name"),
])
def test_bad_options(options, problem):
    with pytest.raises(ConfigError, match=problem):
        live.Settings.from_options(options)


# -- transforms on recorded responses ----------------------------------------------------------


@pytest.fixture(scope="module")
def recorded() -> dict:
    return json.loads((RECORDED / "api-responses.json").read_text())


def recorded_pages() -> list[tuple[str, dict]]:
    return [(name, json.loads((RECORDED / name).read_text()))
            for name in ("authorization-details-page-1.json", "authorization-details-page-2.json")]


def test_merge_pages_and_decode_url_encoded_documents():
    details = transform.merge_authorization_details(recorded_pages())
    transform.decode_documents(details, transform.AUTH_DETAIL_DOCUMENTS, "recorded", validate=True)
    assert [user["UserName"] for user in details["UserDetailList"]] == ["alice"]  # page 2 repeats alice
    role = details["RoleDetailList"][0]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert role["InstanceProfileList"][0]["Roles"][0]["AssumeRolePolicyDocument"] == role["AssumeRolePolicyDocument"]
    assert role["RolePolicyList"][0]["PolicyDocument"]["Statement"]["Action"] == "sqs:SendMessage"
    assert details["Policies"][0]["PolicyVersionList"][1]["Document"]["Statement"][0]["Action"] == [
        "s3:GetObject", "s3:ListBucket"]
    assert transform.accounts_in_authorization_details(details) == {"111122223333"}


def test_missing_managed_policies():
    details = transform.merge_authorization_details(recorded_pages())
    assert transform.missing_managed_policies(details) == []
    details["Policies"] = details["Policies"][:1]
    assert transform.missing_managed_policies(details) == ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]
    details["UserDetailList"][0]["PermissionsBoundary"] = {
        "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/PowerUserAccess"}
    assert transform.missing_managed_policies(details) == [
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", "arn:aws:iam::aws:policy/PowerUserAccess"]


def test_merge_rejects_two_different_copies_of_one_entity():
    pages = recorded_pages()
    pages[1][1]["UserDetailList"][0]["GroupList"] = []
    with pytest.raises(InputError) as error:
        transform.merge_authorization_details(pages)
    assert error.value.path == "authorization-details-page-2.json"
    assert error.value.where == "$.UserDetailList[0]"


def test_credential_report_round_trip():
    text = (RECORDED / "credential-report.csv").read_text()
    rows = transform.parse_credential_report(text.encode())
    assert [row["user"] for row in rows] == ["<root_account>", "alice"]
    assert rows[1]["access_key_1_last_used_service"] == "s3"
    assert transform.format_credential_report(rows) == text


def test_s3_bucket_from_responses(recorded):
    s3 = recorded["s3"]
    eu = transform.s3_bucket(
        "data-eu", transform.bucket_region(s3["get-bucket-location"]["data-eu"]["LocationConstraint"]),
        s3["get-bucket-policy"]["data-eu"]["Policy"],
        s3["get-public-access-block"]["data-eu"]["PublicAccessBlockConfiguration"],
        s3["get-bucket-tagging"]["data-eu"]["TagSet"])
    assert eu["Region"] == "eu-west-1"  # "EU" is eu-west-1's legacy name
    assert eu["Tags"] == {"classification": "confidential"}
    content = {"Buckets": [eu]}
    transform.decode_documents(content, transform.RESOURCE_DOCUMENTS["s3"], "recorded", validate=True)
    assert content["Buckets"][0]["Policy"]["Statement"][0]["Sid"] == "DenyInsecure"
    assert transform.bucket_region(s3["get-bucket-location"]["logs"]["LocationConstraint"]) == "us-east-1"


def test_kms_key_from_responses(recorded):
    kms = recorded["kms"]
    key = transform.kms_key(kms["list-keys"]["Keys"][0], "eu-west-1", kms["get-key-policy"]["Policy"],
                            kms["list-grants"]["Grants"], kms["list-resource-tags"]["Tags"])
    assert key["Arn"].endswith(":key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert key["Tags"] == {"owner": "platform"}
    assert key["Grants"][0]["Operations"] == ["Decrypt", "GenerateDataKey"]
    assert json.loads(key["Policy"])["Id"] == "key-default-1"


def test_organization_policy_and_instances_from_responses(recorded):
    org = recorded["organizations"]
    described = org["describe-policy"]["Policy"]
    policy = transform.organization_policy(org["list-policies"]["Policies"][0], described["Content"],
                                           org["list-targets-for-policy"]["Targets"], "recorded")
    assert policy["document"]["Statement"][0]["Sid"] == "DenyLeaveOrg"
    assert policy["targets"][0]["Type"] == "ORGANIZATIONAL_UNIT"
    instances = transform.ec2_instances(recorded["ec2"]["describe-instances"]["Reservations"], "eu-west-1")
    assert [(i["InstanceId"], i["Region"]) for i in instances] == [("i-0aa", "eu-west-1"), ("i-0bb", "eu-west-1")]
    assert "IamInstanceProfile" not in instances[1]
    queue = transform.sqs_queue("https://sqs.eu-west-1.amazonaws.com/111122223333/jobs", "eu-west-1",
                                recorded["sqs"]["get-queue-attributes"]["Attributes"])
    assert queue["Policy"] is None and queue["Arn"].endswith(":jobs")


def test_jsonable_prints_like_the_cli():
    response = {"ResponseMetadata": {"RequestId": "x"}, "Created": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
                "Items": ({"Content": b"a,b"},)}
    assert transform.jsonable(response) == {"Created": "2024-01-02T03:04:05+00:00", "Items": [{"Content": "a,b"}]}
