"""CloudTrail and Access Advisor into usage records, and unused access on the demo estate's sample.

The demo expectations below are worked out by hand from examples/README.md (what each identity
holds) and examples/make_cloudtrail.py (what each did); the window ends 2026-11-28T02:00Z.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ciem import usage
from ciem.errors import InputError, SourceError
from ciem.pipeline import ActivitySpec, SourceSpec, build_from_sources
from ciem.providers import new_manager
from ciem_aws.activity import parse_activity
from ciem_aws.activity.access_advisor import read_access_advisor
from ciem_aws.activity.cloudtrail import CloudTrailReader, read_bucket

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/team/app"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "aws-demo-cloudtrail"
NOW = datetime(2026, 11, 28, 2, tzinfo=timezone.utc)
JOB_1, JOB_2 = "8a1d7c2e-1111-4c3b-9d6e-0a1b2c3d4e5f", "8a1d7c2e-2222-4c3b-9d6e-0a1b2c3d4e5f"


def event(name: str = "GetObject", source: str = "s3.amazonaws.com", *, user: dict | None = None, **fields) -> dict:
    return {
        "eventTime": "2026-10-01T10:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "eventType": "AwsApiCall",
        "userIdentity": user or {"type": "IAMUser", "arn": USER, "accessKeyId": "AKIAEXAMPLEKEY000001"},
        **fields,
    }


def role_session(key: str = "ASIAEXAMPLESESSION01", **extra) -> dict:
    return {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s-1", "accessKeyId": key,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}}, **extra}


def read(*records: dict, reader: CloudTrailReader | None = None):
    reader = reader or CloudTrailReader()
    data = json.dumps({"Records": list(records)}).encode()
    return list(reader.read_stream(io.BytesIO(data), "test.json")), reader


# -- formats ----------------------------------------------------------------------------------------


def test_documents_gzip_json_lines_and_eventbridge_envelopes_all_read(tmp_path):
    logs = tmp_path / "AWSLogs"
    logs.mkdir()
    (logs / "a.json").write_text(json.dumps({"Records": [event("GetObject")]}))
    (logs / "b.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [event("PutObject")]}).encode()))
    (logs / "c.jsonl").write_text(json.dumps(event("DeleteObject")) + "\n\n"
                                  + json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": event("HeadObject")}) + "\n")
    digest = logs / "CloudTrail-Digest"
    digest.mkdir()
    (digest / "d.json.gz").write_bytes(gzip.compress(b'{"awsAccountId": "111122223333", "digestEndTime": "x"}'))
    (logs / "notes.txt").write_text("not a log")
    (logs / "e.json").write_text(json.dumps({"Records": [event("ListBuckets")]}) + "\n"
                                 + json.dumps({"Records": [event("ListObjects")]}) + "\n")
    reader = CloudTrailReader()
    actions = [r.action for r in reader.read_paths([tmp_path])]
    assert actions == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObject",
                       "s3:ListAllMyBuckets", "s3:ListBucket"]
    assert reader.stats.records == 6


@pytest.mark.parametrize("content, where", [
    (b'{"Records": [' + json.dumps(event()).encode() + b', {"eventTime": ', "$.Records[1]"),
    (b'{"Records": [{"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "userIdentity": {}}]}',
     "$.Records[0].eventTime"),
    (b'{"Records": [{"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventTime": "yesterday", "userIdentity": {}}]}',
     "$.Records[0].eventTime"),
    (b'{"Records": [{"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventTime": "2026-10-01T10:00:00Z"}]}',
     "$.Records[0].userIdentity"),
    (b'{"Records": ["GetObject"]}', "$.Records[0]"),
])
def test_malformed_documents_name_the_file_and_the_record(tmp_path, content, where):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as raised:
        list(CloudTrailReader().read_paths([path]))
    assert raised.value.path == str(path) and raised.value.where == where


def test_malformed_json_lines_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(event()) + "\n{oops\n")
    with pytest.raises(InputError, match=r"bad.jsonl: line 2: invalid JSON"):
        list(CloudTrailReader().read_paths([path]))
    truncated = tmp_path / "cut.json.gz"
    truncated.write_bytes(gzip.compress(json.dumps({"Records": [event()]}).encode())[:-12])
    with pytest.raises(InputError, match="cut.json.gz"):
        list(CloudTrailReader().read_paths([truncated]))
    with pytest.raises(SourceError, match="no such file"):
        list(CloudTrailReader().read_paths([tmp_path / "missing"]))


def test_reading_streams_one_record_at_a_time():
    """Peak memory for 20,000 records stays close to that for 2,000: nothing holds the log."""

    def peak(count: int) -> int:
        body = b'{"Records": [' + b",".join(json.dumps(event(time=n)).encode() for n in range(count)) + b"]}"
        reader = CloudTrailReader()
        tracemalloc.start()
        try:
            for _ in reader.read_stream(io.BytesIO(body), "big.json"):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(20_000)
    assert large < small * 1.5 + 64 * 1024


# -- attribution ----------------------------------------------------------------------------------


def test_a_role_session_is_attributed_to_its_role_with_its_path():
    (record,), _ = read(event(user=role_session()))
    assert (record.identity, record.action, record.credential) == (ROLE, "s3:GetObject", "")


def test_a_session_without_its_issuer_is_attributed_to_the_role_alias():
    session = {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s-1", "accessKeyId": "ASIAX"}
    (record,), _ = read(event(user=session))
    assert record.identity == f"app@{ACCOUNT}"


def test_temporary_keys_are_attributed_to_the_identity_the_sts_call_issued_them_for():
    assume = event("AssumeRole", "sts.amazonaws.com", requestParameters={"roleArn": ROLE},
                   responseElements={"credentials": {"accessKeyId": "ASIAROLESESSION00001"}})
    session = event("GetSessionToken", "sts.amazonaws.com",
                    responseElements={"credentials": {"accessKeyId": "ASIAUSERSESSION00001"}})
    # Records that carry only the key, as a resource owner's trail shows a caller from elsewhere.
    by_role_key = event("ListBuckets", user={"type": "Unknown", "accessKeyId": "ASIAROLESESSION00001"})
    by_user_key = event("ListBuckets", user={"type": "Unknown", "accessKeyId": "ASIAUSERSESSION00001"})
    unknown_key = event("ListBuckets", user={"type": "Unknown", "accessKeyId": "ASIANEVERISSUED00001"})
    records, reader = read(assume, session, by_role_key, by_user_key, unknown_key)
    assert [(r.identity, r.action, r.credential) for r in records] == [
        (USER, "sts:AssumeRole", "AKIAEXAMPLEKEY000001"),
        (USER, "sts:GetSessionToken", "AKIAEXAMPLEKEY000001"),
        (ROLE, "s3:ListAllMyBuckets", ""),
        (USER, "s3:ListAllMyBuckets", "AKIAEXAMPLEKEY000001"),
    ]
    assert reader.stats.unattributed == 1


def test_the_session_key_table_keeps_the_latest_keys(monkeypatch):
    from ciem_aws.activity import cloudtrail

    monkeypatch.setattr(cloudtrail, "MAX_SESSION_KEYS", 2)
    issued = [event("AssumeRole", "sts.amazonaws.com", requestParameters={"roleArn": f"{ROLE}-{n}"},
                    responseElements={"credentials": {"accessKeyId": f"ASIAKEY{n}"}}) for n in range(3)]
    _, reader = read(*issued)
    assert list(reader.session_keys) == ["ASIAKEY1", "ASIAKEY2"]


def test_a_service_assuming_a_role_is_skipped_but_its_session_key_is_learnt():
    service = {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"}
    assume = event("AssumeRole", "sts.amazonaws.com", user=service, requestParameters={"roleArn": ROLE},
                   responseElements={"credentials": {"accessKeyId": "ASIALAMBDASESSION001"}})
    later = event("ListBuckets", user={"type": "Unknown", "accessKeyId": "ASIALAMBDASESSION001"})
    records, reader = read(assume, later)
    assert [(r.identity, r.action) for r in records] == [(ROLE, "s3:ListAllMyBuckets")]
    assert reader.stats.skipped == 1


def test_federated_sessions_count_for_the_issuing_user_and_cross_account_ids_stay_aliases():
    federated = {"type": "FederatedUser", "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/bob",
                 "sessionContext": {"sessionIssuer": {"type": "IAMUser", "arn": USER}}}
    other_account = {"type": "AWSAccount", "principalId": "AROAEXAMPLEROLEID0001:session", "accountId": "444455556666"}
    records, _ = read(event(user=federated), event(user=other_account))
    assert [r.identity for r in records] == [USER, "AROAEXAMPLEROLEID0001"]


def test_denied_calls_sign_ins_and_unmapped_events_are_not_use():
    records, reader = read(
        event(errorCode="AccessDenied"),
        event("RunInstances", "ec2.amazonaws.com", errorCode="Client.UnauthorizedOperation"),
        event("ConsoleLogin", "signin.amazonaws.com", eventType="AwsConsoleSignIn"),
        event("Frobnicate", "s3.amazonaws.com"),
        event("GetObject", errorCode="NoSuchKey"),  # authorised, then failed: the permission was used
    )
    assert [r.action for r in records] == ["s3:GetObject"]
    assert (reader.stats.denied, reader.stats.skipped, dict(reader.stats.unmapped)) == (
        2, 1, {"s3.amazonaws.com:Frobnicate": 1})


def test_the_calling_service_is_recorded():
    (record,), _ = read(event("Decrypt", "kms.amazonaws.com", user=role_session(invokedBy="s3.amazonaws.com")))
    assert record.caller == "s3.amazonaws.com"


# -- resources ------------------------------------------------------------------------------------


def test_the_resource_is_the_one_of_the_action_s_type():
    s3_resources = [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::data/a/b.csv"},
                    {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::data"}]
    records, _ = read(
        event("GetObject", resources=s3_resources),
        event("ListObjectsV2", resources=s3_resources[::-1]),
        event("ListObjectsV2", resources=s3_resources),
        event("CopyObject", requestParameters={"bucketName": "data", "key": "c.csv"}),
        event("GetSecretValue", "secretsmanager.amazonaws.com",
              requestParameters={"secretId": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:db-AbCdEf"}),
        event("CreateFunction20150331", "lambda.amazonaws.com", requestParameters={"functionName": "f"},
              responseElements={"functionArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f"}),
        event("ListBuckets", resources=s3_resources),
        event("GetObject", awsRegion="cn-north-1", requestParameters={"bucketName": "cn-data", "key": "k"}),
    )
    assert [(r.action, r.resource) for r in records] == [
        ("s3:GetObject", "arn:aws:s3:::data/a/b.csv"),
        ("s3:ListBucket", "arn:aws:s3:::data"),
        ("s3:ListBucket", "arn:aws:s3:::data"),
        ("s3:GetObject", "arn:aws:s3:::data/c.csv"),
        ("s3:PutObject", "arn:aws:s3:::data/c.csv"),
        ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:db-AbCdEf"),
        ("lambda:CreateFunction", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f"),
        ("s3:ListAllMyBuckets", ""),
        ("s3:GetObject", "arn:aws-cn:s3:::cn-data/k"),
    ]


# -- S3 and Access Advisor ------------------------------------------------------------------------


@mock_aws
def test_logs_stream_from_an_s3_bucket_in_key_order():
    session = boto3.session.Session(region_name="us-east-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket="trail")
    prefix = f"AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/2026/10/01/"
    s3.put_object(Bucket="trail", Key=prefix + "b.json.gz",
                  Body=gzip.compress(json.dumps({"Records": [event("PutObject")]}).encode()))
    s3.put_object(Bucket="trail", Key=prefix + "a.json", Body=json.dumps({"Records": [event("GetObject")]}).encode())
    s3.put_object(Bucket="trail", Key=f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/x.json.gz", Body=gzip.compress(b"{}"))
    s3.put_object(Bucket="trail", Key="elsewhere/c.json", Body=json.dumps({"Records": [event("DeleteObject")]}).encode())
    records = list(read_bucket(CloudTrailReader(), "trail", "AWSLogs/", session))
    assert [r.action for r in records] == ["s3:GetObject", "s3:PutObject"]
    with pytest.raises(SourceError, match="s3://missing/"):
        list(read_bucket(CloudTrailReader(), "missing", "", session))


def _advisor_client():
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


class _Session:
    def __init__(self, client):
        self._client = client

    def client(self, name):
        return self._client


def test_access_advisor_gives_service_and_tracked_action_records():
    # moto does not implement GenerateServiceLastAccessedDetails, so botocore's Stubber plays IAM.
    client, stub = _advisor_client()
    last = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    stub.add_response("generate_service_last_accessed_details", {"JobId": JOB_1},
                      {"Arn": ROLE, "Granularity": "ACTION_LEVEL"})
    stub.add_response("get_service_last_accessed_details", {
        "JobStatus": "IN_PROGRESS", "JobCreationDate": last, "JobCompletionDate": last, "ServicesLastAccessed": []}, {"JobId": JOB_1})
    stub.add_response("get_service_last_accessed_details", {
        "JobStatus": "COMPLETED", "JobCreationDate": last, "JobCompletionDate": last, "IsTruncated": True, "Marker": "m",
        "ServicesLastAccessed": [
            {"ServiceName": "Amazon S3", "ServiceNamespace": "s3", "LastAuthenticated": last,
             "TrackedActionsLastAccessed": [{"ActionName": "CreateBucket"},
                                            {"ActionName": "PutBucketPolicy", "LastAccessedTime": last}]},
            {"ServiceName": "AWS IAM", "ServiceNamespace": "iam"},
        ]}, {"JobId": JOB_1})
    stub.add_response("get_service_last_accessed_details", {
        "JobStatus": "COMPLETED", "JobCreationDate": last, "JobCompletionDate": last,
        "ServicesLastAccessed": [{"ServiceName": "AWS KMS", "ServiceNamespace": "kms", "LastAuthenticated": last}]},
        {"JobId": JOB_1, "Marker": "m"})
    waits = []
    with stub:
        records = list(read_access_advisor(_Session(client), [ROLE], sleep=waits.append))
    assert [(r.identity, r.action, r.last_seen, r.count) for r in records] == [
        (ROLE, "s3:*", last, 0), (ROLE, "s3:PutBucketPolicy", last, 0), (ROLE, "kms:*", last, 0)]
    assert waits == [1.0]


def test_a_failed_access_advisor_job_is_a_source_error():
    client, stub = _advisor_client()
    now = datetime(2026, 11, 2, tzinfo=timezone.utc)
    stub.add_response("generate_service_last_accessed_details", {"JobId": JOB_2})
    stub.add_response("get_service_last_accessed_details", {
        "JobStatus": "FAILED", "JobCreationDate": now, "JobCompletionDate": now, "ServicesLastAccessed": [],
        "Error": {"Message": "entity gone", "Code": "NoSuchEntity"}})
    with stub, pytest.raises(SourceError, match=f"{JOB_2} failed: entity gone"):
        list(read_access_advisor(_Session(client), [ROLE], sleep=lambda _: None))


def test_activity_settings_are_checked():
    from ciem.errors import ConfigError

    with pytest.raises(ConfigError, match="needs a path"):
        parse_activity({"kind": "cloudtrail"}, lambda *_: None)
    with pytest.raises(ConfigError, match="unknown aws activity kind 'vpc-flow'"):
        parse_activity({"kind": "vpc-flow"}, lambda *_: None)
    with pytest.raises(SourceError, match="no-such-profile"):
        parse_activity({"bucket": "trail", "profile": "no-such-profile"}, lambda *_: None)


# -- the demo estate ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_index(demo_estate):
    manager = new_manager()
    index = build_from_sources([SourceSpec("aws", path=demo_estate)], manager,
                               activity=[ActivitySpec("aws", {"path": str(SAMPLE)})])
    return index, manager


def test_the_sample_regenerates_byte_for_byte(tmp_path):
    sys.path.insert(0, str(SAMPLE.parent))
    try:
        import make_cloudtrail
    finally:
        sys.path.remove(str(SAMPLE.parent))
    make_cloudtrail.generate(tmp_path / "out")
    generated = {p.relative_to(tmp_path / "out"): p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    committed = {p.relative_to(SAMPLE): p.read_bytes() for p in SAMPLE.rglob("*") if p.is_file()}
    assert generated == committed, "regenerate with examples/make_cloudtrail.py"


def test_every_sample_record_is_attributed_to_an_identity_of_the_estate(demo_index):
    index, _ = demo_index
    store = usage.usage_of(index)
    assert store.unattributed == {}
    assert store.records == 79  # 82 records: 2 denied calls and Lambda assuming a role as a service


@pytest.mark.parametrize("identity, granted, unused", [
    # AWSLambdaBasicExecutionRole: the function writes to a log group it never creates.
    ("333333333333:role/service-role/lambda-basic", 3, ["logs:CreateLogGroup"]),
    # ReadReports (s3:GetObject, s3:ListBucket), the KMS grant (kms:Decrypt, kms:DescribeKey) and the public
    # bucket's s3:GetObject: it lists, reads and decrypts, never describes the key.
    ("222222222222:role/reporting-instance", 4, ["kms:DescribeKey"]),
    # OrdersApi (GetSecretValue; SendMessage, GetQueueAttributes), AWSLambdaBasicExecutionRole (3 logs actions),
    # the key policy (kms:Decrypt, kms:DescribeKey) and the public bucket (s3:GetObject).
    ("222222222222:role/service-role/orders-api-lambda", 9,
     ["kms:DescribeKey", "logs:CreateLogGroup", "s3:GetObject", "sqs:GetQueueAttributes"]),
    # BuildWeb: 3 logs, 2 S3, 6 ECR actions; everything but CreateLogGroup is used.
    ("333333333333:role/service-role/dev-build", 11, ["logs:CreateLogGroup"]),
    ("333333333333:user/ci-bot", 1, []),
    ("333333333333:user/old-etl", 2, ["s3:GetObject", "s3:ListBucket"]),
])
def test_unused_actions_and_share_match_the_hand_count(demo_index, identity, granted, unused):
    index, _ = demo_index
    report = usage.unused(index, f"arn:aws:iam::{identity}", 90, NOW)
    assert report.granted_count == granted
    assert list(report.unused_actions) == unused
    assert report.unused_share == pytest.approx(len(unused) / granted)


def test_ci_deploy_leaves_its_policy_self_management_unused(demo_index):
    index, _ = demo_index
    catalog = index.catalogs["aws"]
    stacks = bin(catalog.service_bits("cloudformation")).count("1")
    ci_deploy = "arn:aws:iam::333333333333:role/ci-deploy"
    # cloudformation:* on stacks, 3 S3 actions on artifacts, sts:AssumeRole, 4 IAM actions on its policy.
    report = usage.unused(index, ci_deploy, 90, NOW)
    assert report.granted_count == stacks + 3 + 1 + 4
    # Used in the window: UpdateStack, DescribeStacks, PutObject, AssumeRole.
    assert len(report.unused_actions) == report.granted_count - 4
    assert {"iam:CreatePolicyVersion", "iam:GetPolicyVersion", "s3:GetObject", "s3:ListBucket"} <= set(report.unused_actions)
    assert "iam:CreatePolicyVersion" in report.unused_high_privilege
    assert "cloudformation:DescribeStacks" not in report.unused_high_privilege
    assert report.unused_services == ("iam",)
    # GetPolicyVersion was used on 2026-08-01, inside a 120-day window.
    longer = usage.unused(index, ci_deploy, 120, NOW)
    assert len(longer.unused_actions) == longer.granted_count - 5 and "iam:GetPolicyVersion" not in longer.unused_actions


def test_unused_identities_and_keys_match_the_hand_list(demo_index):
    index, _ = demo_index
    unused = {r.identity: r for r in usage.unused_identities(index, 90, NOW)}
    assert set(unused) == {
        "arn:aws:iam::111111111111:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport",
        "arn:aws:iam::222222222222:role/BreakGlassAdmin",
        "arn:aws:iam::333333333333:role/service-role/data-pipeline-lambda",
        "arn:aws:iam::333333333333:user/old-etl",
        "arn:aws:iam::111111111111:root",
        "arn:aws:iam::222222222222:root",
        "arn:aws:iam::333333333333:root",
    }
    keys = unused["arn:aws:iam::333333333333:user/old-etl"].unused_credentials
    assert [(k.id, k.last_used) for k in keys] == [("access key 1", datetime(2024, 2, 1, 3, tzinfo=timezone.utc))]
    # ci-bot's second key is inactive: nothing to report.
    assert usage.unused(index, "arn:aws:iam::333333333333:user/ci-bot", 90, NOW).unused_credentials == ()
